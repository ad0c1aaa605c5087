// The four RFC 3261 §17 state machines (with RFC 6026's Accepted state) on one worker's table.
// See transaction_table.hpp for the API and docs/transactions.md for the decisions.
#include "dataplane/sip/transaction_table.hpp"

#include <cstring>

#include "dataplane/contract/rings.hpp"
#include "parsers/sip/builder.hpp"

namespace palisade::dp {

namespace {

// Fixed-size key under construction; `ok` goes false when it overflows.
struct KeyBuf {
    char b[TransactionTable::kKeyMax];
    std::size_t n = 0;
    bool ok = true;
    void put(std::string_view s) noexcept {
        if (n + s.size() > sizeof b) {
            ok = false;
            return;
        }
        std::memcpy(b + n, s.data(), s.size());
        n += s.size();
    }
    void put(char c) noexcept { put(std::string_view(&c, 1)); }
    void put_uint(std::uint32_t v) noexcept {
        char d[10];
        std::size_t k = 0;
        do {
            d[k++] = static_cast<char>('0' + v % 10u);
            v /= 10u;
        } while (v != 0);
        while (k > 0) put(d[--k]);
    }
    std::string_view view() const noexcept { return {b, n}; }
};

std::uint32_t fnv(std::string_view s) noexcept {
    std::uint32_t h = 2166136261u;
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 16777619u;
    }
    return h;
}

// ACK matches its INVITE (§17.2.3: "the method of the request matches the one that created
// the transaction, except for ACK, where the method of the request that created the
// transaction is INVITE").
std::string_view key_method(sip::Method m, std::string_view text) noexcept {
    if (m == sip::Method::invite || m == sip::Method::ack) return "INVITE";
    return text;
}

// Server key (§17.2.3), or the RFC 2543 fallback for a branch without the magic cookie.
void server_key(KeyBuf& k, std::string_view method, const sip::Validated& v) noexcept {
    k.put('S');
    k.put(method);
    k.put('|');
    if (sip::branch_is_rfc3261(v.top_via.branch)) {
        k.put(v.top_via.branch);
    } else {
        // RFC 2543 (§17.2.3 last paragraphs), reduced to what is cheap and stable across a
        // retransmission and the ACK: Call-ID, From tag, CSeq number, top Via (sent-by and
        // whatever branch it had). The Request-URI and To tag are left out (the ACK's To tag
        // differs from the INVITE's); see docs/transactions.md.
        k.put("2543|");
        k.put(v.call_id);
        k.put('|');
        k.put(v.from.tag);
        k.put('|');
        k.put_uint(v.cseq.number);
        k.put('|');
        k.put(v.top_via.branch);
    }
    k.put('|');
    k.put(v.top_via.sent_by);
}

void client_key(KeyBuf& k, std::string_view method, std::string_view branch) noexcept {
    k.put('C');
    k.put(method);
    k.put('|');
    k.put(branch);
}

}  // namespace

TransactionTable::TransactionTable(const TransactionTableConfig& config, std::uint64_t now_ms)
    : slot_size_(config.slot_size),
      timers_(config.timers),
      worker_(config.worker),
      branch_counter_(config.branch_salt),
      txs_(config.capacity == 0 ? 1 : config.capacity),
      slab_(static_cast<std::size_t>(txs_.size()) * config.slot_size),
      scratch_(config.slot_size < 512 ? 512 : config.slot_size),
      // Three timers per transaction at most: retransmission, timeout, Timer C.
      wheel_(static_cast<std::uint32_t>(txs_.size()) * 3u, now_ms) {
    std::uint32_t buckets = 16;
    while (buckets < txs_.size() * 2u) buckets <<= 1;
    buckets_.assign(buckets, kNil);
    bucket_mask_ = buckets - 1;
    free_.reserve(txs_.size());
    pending_free_.reserve(txs_.size());
    for (std::uint32_t i = static_cast<std::uint32_t>(txs_.size()); i-- > 0;) free_.push_back(i);
}

// --- plumbing -----------------------------------------------------------------------------

void TransactionTable::begin(std::uint64_t now_ms, ActionList& out) noexcept {
    // Records terminated by the previous call are reused only now, so that the data of the
    // actions that call returned (pointing into their slots) stayed valid until it was drained;
    // not while the caller holds reuse (a nested call: an outer list is still being drained).
    // pending_free_ cannot grow past capacity: a record is terminated once per use.
    if (reuse_holds_ == 0) {
        for (std::uint32_t i : pending_free_) {
            Tx& t = txs_[i];
            t.state = TxState::free;
            t.kind = TxKind::none;
            ++t.generation;
            free_.push_back(i);
        }
        pending_free_.clear();
    }
    if (now_ms > wheel_.now())
        wheel_.advance(now_ms, [&](TimerHandle h, std::uint32_t kind, std::uint64_t cookie) {
            on_timer(h, static_cast<TimerId>(kind), cookie, out);
        });
}

TransactionTable::Tx* TransactionTable::get(TxId id) noexcept {
    if (!id.valid() || id.index >= txs_.size()) return nullptr;
    Tx& t = txs_[id.index];
    if (t.generation != id.generation || t.state == TxState::free || t.state == TxState::terminated)
        return nullptr;
    return &t;
}

const TransactionTable::Tx* TransactionTable::get(TxId id) const noexcept {
    return const_cast<TransactionTable*>(this)->get(id);
}

TxState TransactionTable::state(TxId id) const noexcept {
    const Tx* t = get(id);
    return t == nullptr ? TxState::free : t->state;
}

TxKind TransactionTable::kind(TxId id) const noexcept {
    const Tx* t = get(id);
    return t == nullptr ? TxKind::none : t->kind;
}

TxId TransactionTable::server_of(TxId client) const noexcept {
    const Tx* t = get(client);
    if (t == nullptr || t->parent == kNil) return {};
    return id_of(t->parent);
}

bool TransactionTable::store(std::uint32_t i, std::string_view bytes) noexcept {
    if (bytes.size() > slot_size_) {
        ++counters_.slot_too_large;
        txs_[i].slot_len = 0;
        return false;
    }
    if (!bytes.empty())
        std::memcpy(slab_.data() + static_cast<std::size_t>(i) * slot_size_, bytes.data(),
                    bytes.size());
    txs_[i].slot_len = static_cast<std::uint32_t>(bytes.size());
    return true;
}

std::uint32_t TransactionTable::lookup(std::string_view key, std::uint32_t hash) const noexcept {
    for (std::uint32_t b = hash & bucket_mask_;; b = (b + 1) & bucket_mask_) {
        const std::uint32_t i = buckets_[b];
        if (i == kNil) return kNil;
        const Tx& t = txs_[i];
        if (t.hash == hash && t.key_len == key.size() &&
            std::memcmp(t.key, key.data(), key.size()) == 0)
            return i;
    }
}

std::uint32_t TransactionTable::create(TxKind kind, std::string_view key,
                                       std::uint32_t hash) noexcept {
    if (free_.empty()) {
        ++counters_.table_full;
        return kNil;
    }
    const std::uint32_t i = free_.back();
    free_.pop_back();
    Tx& t = txs_[i];
    // Field by field: the key buffer is overwritten below, no need to clear it first.
    t.flags = 0;
    t.slot_len = 0;
    t.interval = 0;
    t.last_code = 0;
    t.peer = {};
    t.iface = 0;
    t.retx = {};
    t.timeout = {};
    t.timer_c = {};
    t.parent = kNil;
    t.first_child = kNil;
    t.next_sibling = kNil;
    t.state = TxState::free;
    t.kind = kind;
    t.hash = hash;
    t.key_len = static_cast<std::uint16_t>(key.size());
    std::memcpy(t.key, key.data(), key.size());
    // The index has at least twice as many buckets as records: a free bucket always exists.
    std::uint32_t b = hash & bucket_mask_;
    while (buckets_[b] != kNil) b = (b + 1) & bucket_mask_;
    buckets_[b] = i;
    ++live_;
    ++counters_.created;
    return i;
}

void TransactionTable::index_erase(std::uint32_t i) noexcept {
    std::uint32_t b = txs_[i].hash & bucket_mask_;
    while (buckets_[b] != i) {
        if (buckets_[b] == kNil) return;
        b = (b + 1) & bucket_mask_;
    }
    // Backward-shift deletion (linear probing without tombstones).
    std::uint32_t hole = b;
    for (std::uint32_t j = (hole + 1) & bucket_mask_; buckets_[j] != kNil;
         j = (j + 1) & bucket_mask_) {
        const std::uint32_t home = txs_[buckets_[j]].hash & bucket_mask_;
        // Move j into the hole unless its home lies cyclically in (hole, j].
        const bool between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!between) {
            buckets_[hole] = buckets_[j];
            hole = j;
        }
    }
    buckets_[hole] = kNil;
}

void TransactionTable::arm(std::uint32_t i, TimerHandle& h, TimerId id,
                           std::uint32_t delay_ms) noexcept {
    wheel_.cancel(h);
    const std::uint64_t cookie = (static_cast<std::uint64_t>(i) << 32) | txs_[i].generation;
    h = wheel_.add(delay_ms, static_cast<std::uint32_t>(id), cookie);
    if (!h.valid()) ++counters_.timer_full;
}

void TransactionTable::disarm(TimerHandle& h) noexcept {
    wheel_.cancel(h);
    h = TimerHandle{};
}

void TransactionTable::send_slot(std::uint32_t i, int code, ActionList& out) noexcept {
    const Tx& t = txs_[i];
    if (t.slot_len == 0) return;  // the message did not fit its slot (counted when stored)
    Action a;
    a.kind = ActionKind::send;
    a.tx = id_of(i);
    a.to = t.peer;
    a.iface = t.iface;
    a.code = code;
    a.data = slot(i);
    out.push(a);
}

void TransactionTable::terminate(std::uint32_t i, TimerId why, ActionList& out) noexcept {
    Tx& t = txs_[i];
    if (t.state == TxState::free || t.state == TxState::terminated) return;
    index_erase(i);
    disarm(t.retx);
    disarm(t.timeout);
    disarm(t.timer_c);
    // Detach from the parent's child list, and the children from this parent.
    if (t.parent != kNil) {
        std::uint32_t* link = &txs_[t.parent].first_child;
        while (*link != kNil && *link != i) link = &txs_[*link].next_sibling;
        if (*link == i) *link = t.next_sibling;
        t.parent = kNil;
    }
    for (std::uint32_t c = t.first_child; c != kNil;) {
        const std::uint32_t next = txs_[c].next_sibling;
        txs_[c].parent = kNil;
        txs_[c].next_sibling = kNil;
        c = next;
    }
    t.first_child = kNil;
    t.state = TxState::terminated;
    --live_;
    ++counters_.terminated;
    pending_free_.push_back(i);
    Action a;
    a.kind = ActionKind::terminated;
    a.timer = why;
    a.tx = id_of(i);
    out.push(a);
}

std::string_view TransactionTable::make_tag() noexcept {
    // A To tag for the responses the table makes itself (487, 200 to CANCEL): RFC 3261 §19.3
    // asks for 32 bits of randomness; the worker index plus a salted counter is unique here.
    const std::uint64_t u = (branch_counter_ * 0x9e3779b97f4a7c15ull) ^ ++tag_counter_;
    constexpr char kHex[] = "0123456789abcdef";
    std::size_t n = 0;
    tag_[n++] = 'p';
    tag_[n++] = 'l';
    for (int s = 60; s >= 0; s -= 4) tag_[n++] = kHex[(u >> s) & 0xfu];
    return {tag_, n};
}

std::string_view TransactionTable::make_branch(std::span<char> out,
                                               std::uint32_t loop_hash) noexcept {
    const std::uint64_t unique = (static_cast<std::uint64_t>(loop_hash) << 32) |
                                 static_cast<std::uint32_t>(++branch_counter_);
    const std::size_t n = format_branch(out, worker_, unique);
    return {out.data(), n};
}

// --- server side ----------------------------------------------------------------------------

RequestVerdict TransactionTable::on_request(const sip::Message& msg, const sip::Validated& v,
                                            Endpoint reply_to, std::uint64_t now_ms,
                                            ActionList& out, std::uint16_t iface) noexcept {
    begin(now_ms, out);
    const sip::Method m = msg.method();
    KeyBuf k;
    server_key(k, key_method(m, msg.method_text()), v);
    if (!k.ok) {
        ++counters_.key_too_long;
        return RequestVerdict::key_too_long;
    }
    const std::uint32_t h = fnv(k.view());
    const std::uint32_t found = lookup(k.view(), h);

    if (m == sip::Method::ack) {
        if (found != kNil) {
            Tx& t = txs_[found];
            if (t.state == TxState::completed) {
                // §17.2.1: ACK for our non-2xx final: Confirmed, stop G and H, Timer I = T4.
                t.state = TxState::confirmed;
                disarm(t.retx);
                arm(found, t.timeout, TimerId::i, timers_.t4_ms);
                ++counters_.absorbed_acks;
                return RequestVerdict::ack_absorbed;
            }
            if (t.state == TxState::confirmed) {
                ++counters_.absorbed_acks;
                return RequestVerdict::ack_absorbed;
            }
            // Accepted (2xx sent): the ACK belongs to the dialog (RFC 6026 §7.1); Proceeding:
            // an ACK before any final is not ours either.
        }
        ++counters_.ack_end_to_end;
        Action a;
        a.kind = ActionKind::deliver_request;
        out.push(a);
        return RequestVerdict::ack_end_to_end;
    }

    if (found != kNil) {
        Tx& t = txs_[found];
        ++counters_.absorbed_requests;
        // §17.2.1 / §17.2.2: a retransmission gets the last response again (none in Trying;
        // none in Confirmed and Accepted, where the 2xx retransmissions are the UAS's job).
        const bool resend =
            t.state == TxState::completed ||
            (t.state == TxState::proceeding && (t.kind == TxKind::server_non_invite ||
                                                t.last_code > 100 || (t.flags & kTryingSent) != 0));
        if (resend) {
            ++counters_.resent_responses;
            send_slot(found, t.last_code, out);
        }
        return RequestVerdict::retransmission;
    }

    const bool invite = m == sip::Method::invite;
    const std::uint32_t i =
        create(invite ? TxKind::server_invite : TxKind::server_non_invite, k.view(), h);
    if (i == kNil) return RequestVerdict::table_full;
    Tx& t = txs_[i];
    t.peer = reply_to;
    t.iface = iface;

    if (invite) {
        t.state = TxState::proceeding;
        // §17.2.1 / §16.2: the proxy's own 100 Trying. Built now, kept in the slot as the last
        // response (it is resent for a retransmitted INVITE, and the 487 is built from it).
        // Built straight into the slot (no copy).
        char* const slot_data = slab_.data() + static_cast<std::size_t>(i) * slot_size_;
        const std::size_t n =
            sip::build_response(msg, 100, "Trying", {}, {}, {}, {slot_data, slot_size_});
        if (n == 0) {
            ++counters_.build_failed;
        } else {
            t.slot_len = static_cast<std::uint32_t>(n);
            t.last_code = 100;
            if (timers_.trying_delay_ms == 0) {
                t.flags |= kTryingSent;
                send_slot(i, 100, out);
            } else {
                arm(i, t.retx, TimerId::trying, timers_.trying_delay_ms);
            }
        }
        arm(i, t.timeout, TimerId::guard,
            timers_.timer_c_ms + 64u * timers_.t1_ms + timers_.server_guard_ms);
    } else {
        t.state = TxState::trying;
        arm(i, t.timeout, TimerId::guard, 64u * timers_.t1_ms + timers_.server_guard_ms);
    }

    Action a;
    a.kind = ActionKind::deliver_request;
    a.tx = id_of(i);
    if (m != sip::Method::cancel) {
        out.push(a);
        return RequestVerdict::new_transaction;
    }

    // CANCEL (§9.2, §16.10): find the INVITE server transaction with the same key but INVITE.
    KeyBuf ik;
    server_key(ik, "INVITE", v);
    const std::uint32_t inv = ik.ok ? lookup(ik.view(), fnv(ik.view())) : kNil;
    if (inv == kNil || txs_[inv].kind != TxKind::server_invite) {
        ++counters_.cancels_unmatched;
        out.push(a);  // the core logic answers 481 (§9.2) through respond()
        return RequestVerdict::cancel_unmatched;
    }
    ++counters_.cancels_matched;
    // §9.2: the 200 to the CANCEL SHOULD carry the To tag of the INVITE's response.
    const std::string_view tag = invite_to_tag(inv);
    const std::size_t n = sip::build_response(msg, 200, "OK", tag, {}, {}, scratch_);
    if (n == 0) {
        ++counters_.build_failed;
    } else {
        respond_now(id_of(i), {scratch_.data(), n}, 200, out);
    }
    if (txs_[inv].state == TxState::proceeding) cancel_server(inv, tag, out);
    return RequestVerdict::cancel_matched;
}

std::string_view TransactionTable::invite_to_tag(std::uint32_t s) noexcept {
    // The To tag of the last response of INVITE server transaction s (a 1xx or final the core
    // logic forwarded carries the callee's), else a new one of ours. Copied: the slot changes.
    if (txs_[s].slot_len != 0 && scratch_msg_.parse(slot(s)) == sip::ParseStatus::ok) {
        if (const sip::HeaderField* f = scratch_msg_.find(sip::HeaderId::to)) {
            sip::NameAddr to;
            if (sip::parse_name_addr(f->value, to) == sip::Reason::none && !to.tag.empty() &&
                to.tag.size() <= sizeof peer_tag_) {
                std::memcpy(peer_tag_, to.tag.data(), to.tag.size());
                return {peer_tag_, to.tag.size()};
            }
        }
    }
    return make_tag();
}

void TransactionTable::cancel_server(std::uint32_t s, std::string_view tag,
                                     ActionList& out) noexcept {
    Tx& t = txs_[s];
    t.flags |= kCancelled;
    // §9.2: the INVITE gets 487, built from the stored 100 (same Via, From, To, Call-ID, CSeq).
    bool sent = false;
    if (t.slot_len != 0 && scratch_msg_.parse(slot(s)) == sip::ParseStatus::ok) {
        const std::size_t n =
            sip::build_response(scratch_msg_, 487, "Request Terminated", tag, {}, {}, scratch_);
        if (n != 0) {
            respond_now(id_of(s), {scratch_.data(), n}, 487, out);
            sent = true;
        }
    }
    if (!sent) ++counters_.build_failed;
    // §16.10: CANCEL every pending client transaction; one without a provisional yet gets it
    // when its first provisional arrives (§9.1).
    for (std::uint32_t c = t.first_child; c != kNil; c = txs_[c].next_sibling) {
        Tx& ct = txs_[c];
        if (ct.kind != TxKind::client_invite) continue;
        if (ct.state != TxState::calling && ct.state != TxState::proceeding) continue;
        if ((ct.flags & kHadProvisional) != 0) {
            send_cancel(c, out);
        } else {
            ct.flags |= kCancelPending;
        }
    }
    Action a;
    a.kind = ActionKind::cancelled;
    a.tx = id_of(s);
    out.push(a);
}

bool TransactionTable::cancel(TxId server, std::uint64_t now_ms, ActionList& out) noexcept {
    begin(now_ms, out);
    Tx* t = get(server);
    if (t == nullptr || t->kind != TxKind::server_invite || t->state != TxState::proceeding)
        return false;
    cancel_server(server.index, invite_to_tag(server.index), out);
    return true;
}

bool TransactionTable::respond(TxId server, std::string_view response, int code,
                               std::uint64_t now_ms, ActionList& out) noexcept {
    begin(now_ms, out);
    return respond_now(server, response, code, out);
}

bool TransactionTable::respond_now(TxId server, std::string_view response, int code,
                                   ActionList& out) noexcept {
    Tx* tp = get(server);
    if (tp == nullptr ||
        (tp->kind != TxKind::server_invite && tp->kind != TxKind::server_non_invite) ||
        code < 100 || code > 699) {
        ++counters_.late_responses;
        return false;
    }
    Tx& t = *tp;
    const std::uint32_t i = server.index;
    const bool final = code >= 200;
    auto send_direct = [&](std::string_view bytes) {
        // Slot too small: send from the caller's buffer; retransmissions will have nothing.
        Action a;
        a.kind = ActionKind::send;
        a.tx = server;
        a.to = t.peer;
        a.iface = t.iface;
        a.code = code;
        a.data = bytes;
        out.push(a);
    };
    auto store_and_send = [&]() {
        t.last_code = code;
        if (store(i, response)) {
            send_slot(i, code, out);
        } else {
            send_direct(response);
        }
    };

    if (t.kind == TxKind::server_invite) {
        if (t.state == TxState::proceeding) {
            disarm(t.retx);  // a delayed 100 is no longer needed
            t.flags |= kTryingSent;
            if (code >= 200 && code < 300) {
                // A 2xx is never resent by the transaction (the UAS resends it, RFC 6026 §7.1),
                // so it is sent from the caller's buffer and not copied; the slot keeps the
                // last provisional (its To tag serves a late CANCEL, §9.2).
                send_direct(response);
            } else {
                store_and_send();
            }
            if (code < 200) {
                // A call may ring for longer than Timer C as long as provisionals keep coming
                // (§16.7 item 2 restarts C on the branch): the guard follows.
                arm(i, t.timeout, TimerId::guard,
                    timers_.timer_c_ms + 64u * timers_.t1_ms + timers_.server_guard_ms);
            } else if (code >= 300) {
                // §17.2.1: Completed; Timer G = T1 (unreliable transport), Timer H = 64*T1.
                t.state = TxState::completed;
                t.interval = timers_.t1_ms;
                arm(i, t.retx, TimerId::g, t.interval);
                arm(i, t.timeout, TimerId::h, 64u * timers_.t1_ms);
            } else if (final) {
                // RFC 6026 §7.1: Accepted; Timer L = 64*T1 absorbs INVITE retransmissions.
                t.state = TxState::accepted;
                arm(i, t.timeout, TimerId::l, 64u * timers_.t1_ms);
            }
            return true;
        }
        if (code >= 200 && code < 300) {
            // RFC 6026 §7.1 (Accepted: further 2xx go out), §16.7 item 5 (a 2xx is always
            // forwarded, also after our own 487: the CANCEL/2xx race; the UAC ACKs and BYEs).
            if (t.state != TxState::accepted) ++counters_.late_2xx_forwarded;
            send_direct(response);  // in Completed, keep the stored non-2xx for Timer G
            return true;
        }
        ++counters_.late_responses;
        return false;
    }

    // Non-INVITE server (§17.2.2).
    if (t.state != TxState::trying && t.state != TxState::proceeding) {
        ++counters_.late_responses;
        return false;
    }
    store_and_send();
    if (final) {
        t.state = TxState::completed;
        arm(i, t.timeout, TimerId::j, 64u * timers_.t1_ms);  // Timer J, unreliable transport
    } else {
        t.state = TxState::proceeding;
    }
    return true;
}

// --- client side ----------------------------------------------------------------------------

TxId TransactionTable::forward(TxId server, std::string_view request, sip::Method method,
                               std::string_view branch, Endpoint to, std::uint64_t now_ms,
                               ActionList& out, std::uint16_t iface) noexcept {
    begin(now_ms, out);
    std::uint32_t parent = kNil;
    if (server.valid()) {
        Tx* s = get(server);
        if (s == nullptr || (s->flags & kCancelled) != 0) {
            ++counters_.bad_forward;
            return {};
        }
        parent = server.index;
    }
    if (method == sip::Method::unknown || method == sip::Method::ack) {
        // ACK is never a transaction (2xx ACK is end to end; non-2xx ACK is made here).
        ++counters_.bad_forward;
        return {};
    }
    if (request.size() > slot_size_) {
        ++counters_.slot_too_large;
        return {};
    }
    KeyBuf k;
    client_key(k, key_method(method, sip::method_name(method)), branch);
    if (!k.ok) {
        ++counters_.key_too_long;
        return {};
    }
    const std::uint32_t h = fnv(k.view());
    const bool invite = method == sip::Method::invite;
    const std::uint32_t i =
        create(invite ? TxKind::client_invite : TxKind::client_non_invite, k.view(), h);
    if (i == kNil) return {};
    Tx& t = txs_[i];
    t.peer = to;
    t.iface = iface;
    store(i, request);
    t.interval = timers_.t1_ms;
    if (invite) {
        // §17.1.1.2: Calling; Timer A = T1, Timer B; §16.6 item 11: Timer C.
        t.state = TxState::calling;
        arm(i, t.retx, TimerId::a, t.interval);
        arm(i, t.timeout, TimerId::b, timers_.timer_b_ms);
        arm(i, t.timer_c, TimerId::c, timers_.timer_c_ms);
    } else {
        // §17.1.2.2: Trying; Timer E = T1, Timer F = 64*T1.
        t.state = TxState::trying;
        arm(i, t.retx, TimerId::e, t.interval);
        arm(i, t.timeout, TimerId::f, 64u * timers_.t1_ms);
    }
    if (parent != kNil) {
        t.parent = parent;
        t.next_sibling = txs_[parent].first_child;
        txs_[parent].first_child = i;
    }
    send_slot(i, 0, out);
    return id_of(i);
}

void TransactionTable::send_cancel(std::uint32_t c, ActionList& out) noexcept {
    Tx& t = txs_[c];
    t.flags = static_cast<std::uint8_t>((t.flags | kCancelSent) & ~kCancelPending);
    // §9.1: Request-URI, Call-ID, To, From, CSeq number and the top Via (same branch) of the
    // INVITE; Route headers kept; method CANCEL.
    if (scratch_msg_.parse(slot(c)) != sip::ParseStatus::ok) {
        ++counters_.build_failed;
        return;
    }
    const sip::Message& req = scratch_msg_;
    sip::Builder b(scratch_);
    b.request_line(sip::Method::cancel, req.request_uri());
    std::string_view branch;
    for (std::string_view via : req.values(sip::HeaderId::via)) {
        b.header(sip::HeaderId::via, via);
        sip::Via parsed;
        if (sip::parse_via(via, parsed) == sip::Reason::none) branch = parsed.branch;
        break;  // top Via only
    }
    for (const sip::HeaderField& f : req.fields(sip::HeaderId::route))
        b.header(sip::HeaderId::route, f.value);
    b.header(sip::HeaderId::max_forwards, "70");
    if (const sip::HeaderField* f = req.find(sip::HeaderId::from))
        b.header(sip::HeaderId::from, f->value);
    if (const sip::HeaderField* f = req.find(sip::HeaderId::to))
        b.header(sip::HeaderId::to, f->value);
    if (const sip::HeaderField* f = req.find(sip::HeaderId::call_id))
        b.header(sip::HeaderId::call_id, f->value);
    sip::CSeq cseq;
    const sip::HeaderField* cf = req.find(sip::HeaderId::cseq);
    if (cf == nullptr || sip::parse_cseq(cf->value, cseq) != sip::Reason::none) {
        ++counters_.build_failed;
        return;
    }
    b.cseq(cseq.number, sip::Method::cancel);
    const std::size_t size = b.finish();
    if (size == 0 || branch.empty()) {
        ++counters_.build_failed;
        return;
    }
    KeyBuf k;
    client_key(k, "CANCEL", branch);
    const std::uint32_t i =
        k.ok ? create(TxKind::client_non_invite, k.view(), fnv(k.view())) : kNil;
    if (i == kNil)
        return;  // counted by create (table_full) or key length can't exceed the INVITE's
    Tx& ct = txs_[i];
    ct.state = TxState::trying;
    ct.flags = kInternal;  // its responses stay here: a proxy does not forward them (§16.10)
    ct.peer = txs_[c].peer;
    ct.iface = txs_[c].iface;
    ct.interval = timers_.t1_ms;
    store(i, {scratch_.data(), size});
    arm(i, ct.retx, TimerId::e, ct.interval);
    arm(i, ct.timeout, TimerId::f, 64u * timers_.t1_ms);
    ++counters_.cancels_sent;
    send_slot(i, 0, out);
}

bool TransactionTable::build_ack(std::uint32_t c, const sip::Message& response) noexcept {
    // §17.1.1.3: Request-URI, Call-ID, From, CSeq number of the INVITE; To of the response;
    // only the INVITE's top Via; its Route headers. Replaces the INVITE in the slot (nothing
    // needs the INVITE once a final arrived).
    if (scratch_msg_.parse(slot(c)) != sip::ParseStatus::ok) return false;
    const sip::Message& req = scratch_msg_;
    sip::Builder b(scratch_);
    b.request_line(sip::Method::ack, req.request_uri());
    for (std::string_view via : req.values(sip::HeaderId::via)) {
        b.header(sip::HeaderId::via, via);
        break;
    }
    for (const sip::HeaderField& f : req.fields(sip::HeaderId::route))
        b.header(sip::HeaderId::route, f.value);
    b.header(sip::HeaderId::max_forwards, "70");
    if (const sip::HeaderField* f = req.find(sip::HeaderId::from))
        b.header(sip::HeaderId::from, f->value);
    if (const sip::HeaderField* f = response.find(sip::HeaderId::to))
        b.header(sip::HeaderId::to, f->value);
    if (const sip::HeaderField* f = req.find(sip::HeaderId::call_id))
        b.header(sip::HeaderId::call_id, f->value);
    sip::CSeq cseq;
    const sip::HeaderField* cf = req.find(sip::HeaderId::cseq);
    if (cf == nullptr || sip::parse_cseq(cf->value, cseq) != sip::Reason::none) return false;
    b.cseq(cseq.number, sip::Method::ack);
    const std::size_t size = b.finish();
    if (size == 0) return false;
    return store(c, {scratch_.data(), size});
}

ResponseVerdict TransactionTable::on_response(const sip::Message& msg, const sip::Validated& v,
                                              std::uint64_t now_ms, ActionList& out) noexcept {
    begin(now_ms, out);
    KeyBuf k;
    client_key(k, key_method(v.cseq.method, v.cseq.method_text), v.top_via.branch);
    const std::uint32_t i = k.ok ? lookup(k.view(), fnv(k.view())) : kNil;
    if (i == kNil || v.cseq.method == sip::Method::ack) {
        ++counters_.stray_responses;
        return ResponseVerdict::no_match;
    }
    Tx& t = txs_[i];
    const int code = msg.status_code();
    auto deliver = [&]() {
        Action a;
        a.kind = ActionKind::deliver_response;
        a.tx = id_of(i);
        a.server = t.parent == kNil ? TxId{} : id_of(t.parent);
        a.code = code;
        a.data = msg.data().substr(0, msg.size());
        out.push(a);
        return ResponseVerdict::delivered;
    };
    auto absorbed = [&]() {
        ++counters_.absorbed_responses;
        return ResponseVerdict::absorbed;
    };

    if (t.kind == TxKind::client_invite) {
        switch (t.state) {
            case TxState::calling:
            case TxState::proceeding:
                if (code < 200) {
                    // §17.1.1.2: Proceeding, no more retransmissions; §16.7 item 2: restart C.
                    t.state = TxState::proceeding;
                    disarm(t.retx);
                    disarm(t.timeout);
                    t.flags |= kHadProvisional;
                    if ((t.flags & kCancelSent) == 0)
                        arm(i, t.timer_c, TimerId::c, timers_.timer_c_ms);
                    if ((t.flags & kCancelPending) != 0) send_cancel(i, out);  // §9.1 deferred
                    if (code == 100) return absorbed();  // §16.7 item 6: 100 is hop by hop
                    return deliver();
                }
                disarm(t.retx);
                disarm(t.timeout);
                disarm(t.timer_c);
                if (code < 300) {
                    // RFC 6026 §8.4: Accepted, Timer M; the 2xx goes up (its ACK is end to end).
                    t.state = TxState::accepted;
                    arm(i, t.timeout, TimerId::m, 64u * timers_.t1_ms);
                    return deliver();
                }
                // §17.1.1.2: Completed, ACK sent here, Timer D.
                t.state = TxState::completed;
                if (build_ack(i, msg)) {
                    ++counters_.acks_sent;
                    send_slot(i, 0, out);
                } else {
                    ++counters_.build_failed;
                }
                arm(i, t.timeout, TimerId::d, timers_.timer_d_ms);
                return deliver();
            case TxState::accepted:
                // RFC 6026 §8.4: 2xx retransmissions (and 2xx from other forks) go up.
                if (code >= 200 && code < 300) return deliver();
                return absorbed();
            case TxState::completed:
                if (code >= 300) {
                    ++counters_.acks_sent;
                    send_slot(i, 0, out);  // §17.1.1.2: ACK again for a retransmitted final
                }
                return absorbed();
            default:
                return absorbed();
        }
    }

    // Non-INVITE client (§17.1.2.2).
    const bool internal = (t.flags & kInternal) != 0;
    if (t.state != TxState::trying && t.state != TxState::proceeding) return absorbed();
    if (code < 200) {
        t.state = TxState::proceeding;
        if (code == 100 || internal) return absorbed();
        return deliver();
    }
    t.state = TxState::completed;
    disarm(t.retx);
    disarm(t.timeout);
    arm(i, t.timeout, TimerId::k, timers_.t4_ms);  // Timer K = T4, unreliable transport
    if (internal) return absorbed();
    return deliver();
}

// --- timers ---------------------------------------------------------------------------------

void TransactionTable::advance(std::uint64_t now_ms, ActionList& out) noexcept {
    begin(now_ms, out);
}

void TransactionTable::on_timer(TimerHandle h, TimerId id, std::uint64_t cookie,
                                ActionList& out) noexcept {
    const std::uint32_t i = static_cast<std::uint32_t>(cookie >> 32);
    if (i >= txs_.size()) return;
    Tx& t = txs_[i];
    if (t.generation != static_cast<std::uint32_t>(cookie) || t.state == TxState::free ||
        t.state == TxState::terminated)
        return;
    auto is = [&](const TimerHandle& mine) {
        return mine.index == h.index && mine.generation == h.generation;
    };
    auto timed_out = [&](TimerId which) {
        ++counters_.timeouts;
        Action a;
        a.kind = ActionKind::timed_out;
        a.timer = which;
        a.tx = id_of(i);
        a.server = t.parent == kNil ? TxId{} : id_of(t.parent);
        out.push(a);
    };
    switch (id) {
        case TimerId::trying:
            if (!is(t.retx)) return;
            t.retx = {};
            if (t.state == TxState::proceeding && t.last_code == 100) {
                t.flags |= kTryingSent;
                send_slot(i, 100, out);
            }
            return;
        case TimerId::a:  // §17.1.1.2: retransmit, double (no T2 cap for INVITE)
            if (!is(t.retx) || t.state != TxState::calling) return;
            ++counters_.retransmitted_requests;
            send_slot(i, 0, out);
            t.interval *= 2u;
            arm(i, t.retx, TimerId::a, t.interval);
            return;
        case TimerId::e: {  // §17.1.2.2: doubling capped at T2; T2 in Proceeding
            if (!is(t.retx) || (t.state != TxState::trying && t.state != TxState::proceeding))
                return;
            ++counters_.retransmitted_requests;
            send_slot(i, 0, out);
            const std::uint32_t doubled = t.interval * 2u;
            t.interval = t.state == TxState::proceeding
                             ? timers_.t2_ms
                             : (doubled < timers_.t2_ms ? doubled : timers_.t2_ms);
            arm(i, t.retx, TimerId::e, t.interval);
            return;
        }
        case TimerId::g: {  // §17.2.1: resend the final, doubling capped at T2
            if (!is(t.retx) || t.state != TxState::completed) return;
            ++counters_.resent_responses;
            send_slot(i, t.last_code, out);
            const std::uint32_t doubled = t.interval * 2u;
            t.interval = doubled < timers_.t2_ms ? doubled : timers_.t2_ms;
            arm(i, t.retx, TimerId::g, t.interval);
            return;
        }
        case TimerId::c:
            if (!is(t.timer_c)) return;
            t.timer_c = {};
            if (t.state != TxState::calling && t.state != TxState::proceeding) return;
            if ((t.flags & kCancelSent) != 0) {
                // Second expiry: the CANCEL got no final for the INVITE either; give up.
                terminate(i, TimerId::c, out);
                return;
            }
            if ((t.flags & kHadProvisional) != 0) {
                // §16.8: CANCEL the branch and wait (one more Timer C, 64*T1) for its 487.
                timed_out(TimerId::c);
                send_cancel(i, out);
                arm(i, t.timer_c, TimerId::c, 64u * timers_.t1_ms);
                return;
            }
            // §16.8: no provisional: behave as if a 408 came back.
            timed_out(TimerId::c);
            terminate(i, TimerId::c, out);
            return;
        default:
            break;
    }
    // Timeout timers.
    if (!is(t.timeout)) return;
    t.timeout = {};
    switch (id) {
        case TimerId::b:
            if (t.state != TxState::calling) return;
            timed_out(TimerId::b);
            terminate(i, TimerId::b, out);
            return;
        case TimerId::f:
            if (t.state != TxState::trying && t.state != TxState::proceeding) return;
            if ((t.flags & kInternal) == 0) timed_out(TimerId::f);
            terminate(i, TimerId::f, out);
            return;
        case TimerId::h:
            ++counters_.no_ack;  // §17.2.1: no ACK came for our non-2xx final
            terminate(i, TimerId::h, out);
            return;
        case TimerId::guard:
            if (t.state != TxState::trying && t.state != TxState::proceeding) return;
            ++counters_.unanswered;
            terminate(i, TimerId::guard, out);
            return;
        case TimerId::d:
        case TimerId::i:
        case TimerId::j:
        case TimerId::k:
        case TimerId::l:
        case TimerId::m:
            terminate(i, id, out);
            return;
        default:
            return;
    }
}

}  // namespace palisade::dp
