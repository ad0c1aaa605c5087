// The worker's SIP proxy core (proxy.hpp; docs/proxy.md for the decisions).
//
// Structure: the TransactionTable does RFC 3261 §17 (retransmissions, 100 Trying, CANCEL, the
// hop-by-hop ACK, timers A-M); this file is its transaction user (§16): it decides new calls
// (call_checks.hpp), keeps the dialogs (dialog_table.hpp), rewrites every message for topology
// hiding (topology.hpp) and drives serial failover, session timers, maximum duration and the
// call events. Every message is rewritten by ONE EditList applied once into out_.
#include "dataplane/sip/proxy.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "dataplane/sip/call_checks.hpp"
#include "dataplane/sip/dialog_table.hpp"
#include "dataplane/sip/topology.hpp"
#include "dataplane/sip/transaction_table.hpp"
#include "dataplane/sip_stage.hpp"
#include "dataplane/timer_wheel.hpp"
#include "parsers/sip/builder.hpp"
#include "parsers/sip/edit_list.hpp"
#include "parsers/sip/scan.hpp"
#include "parsers/sip/values.hpp"

namespace palisade::dp {

namespace {

constexpr std::uint32_t kNil = 0xffff'ffffu;
constexpr std::size_t kOutMax = 8192;       // one rewritten datagram
constexpr std::size_t kArenaMax = 4096;     // texts the edits of one message reference
constexpr std::size_t kUpstreamMax = 1024;  // Via stack + From + To of a forwarded request
constexpr std::size_t kSetupMsgMax = 4096;  // the INVITE kept for serial failover
constexpr std::size_t kTargetUriMax = 256;  // Contact URI of an inbound target

// What a transaction is to the proxy.
enum class TxRole : std::uint8_t {
    none,
    setup_server,   // the caller's INVITE
    setup_client,   // an attempt of that INVITE (one target or core peer)
    dialog_server,  // an in-dialog request received
    dialog_client,  // its forwarded copy
    originated,     // a request Palisade sends itself (BYE): responses are absorbed
};

enum DialogTimerKind : std::uint32_t { kSessionTimer = 1, kDurationTimer = 2, kAckTimer = 3 };

std::uint64_t cookie_of(std::uint32_t i, std::uint32_t gen) noexcept {
    return static_cast<std::uint64_t>(i) << 32 | gen;
}

std::string_view strip_crlf(std::string_view s) noexcept {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

}  // namespace

class ProxyImpl {
    friend class ListRef;

public:
    explicit ProxyImpl(const ProxyConfig& cfg);

    void on_request(const sip::Message& msg, const sip::Validated& v, const SipSource& src,
                    std::uint16_t iface) noexcept;
    void on_response(const sip::Message& msg, const sip::Validated& v,
                     const SipSource& src) noexcept;
    void advance() noexcept;
    void shutdown() noexcept;
    ProxyStats stats() const noexcept;

    // The per-call context (set by Proxy before each entry).
    void enter(ProxyEnv& env, ProxySink& out, WorkerCounters& c, std::uint16_t port) noexcept {
        env_ = &env;
        out_ = &out;
        c_ = &c;
        port_ = port;
        if (!based_) {
            // Tables count time from their construction: start them at the first call's clock
            // so that a large monotonic value does not make the first advance walk every tick.
            base_ = env.now_ms;
            based_ = true;
        }
        now_ = env.now_ms >= base_ ? env.now_ms - base_ + 1 : 1;
    }

private:
    struct TxAux {
        std::uint32_t generation = 0;  // TxId generation this entry describes
        TxRole role = TxRole::none;
        std::uint16_t iface = 0;
        std::uint32_t dialog = kNil;
        std::uint32_t dialog_gen = 0;
        std::uint16_t via_len = 0, from_len = 0, to_len = 0;
        char text[kUpstreamMax];
    };
    struct Target {
        Endpoint to{};
        std::uint16_t iface = 0;
        AccountRole account = AccountRole::primary;
        std::uint16_t uri_len = 0;
        char uri[kTargetUriMax];
    };
    struct Setup {
        std::uint32_t dialog = kNil;
        std::uint8_t target_count = 0;
        std::uint8_t next_target = 0;
        std::uint32_t loop_hash = 0;
        std::uint64_t peers_tried = 0;  // bit per core peer (config order)
        std::uint32_t msg_len = 0;      // outbound: the forwarded INVITE; inbound: the received one
        std::array<Target, kMaxInboundTargets> targets;
        char msg[kSetupMsgMax];
    };

    // --- plumbing
    void run(const ActionList& al) noexcept;
    void count(Counter k) noexcept { c_->add(port_, k); }
    Endpoint us(std::uint16_t iface) const noexcept {
        if (iface >= cfg_.interfaces.size()) return {};
        return {cfg_.interfaces[iface].address, cfg_.interfaces[iface].sip_port};
    }
    int first_iface(Side s) const noexcept {
        for (std::size_t i = 0; i < cfg_.interfaces.size(); ++i)
            if (cfg_.interfaces[i].side == s) return static_cast<int>(i);
        return -1;
    }
    TxAux* aux(TxId id) noexcept {
        if (!id.valid() || id.index >= aux_.size()) return nullptr;
        TxAux& a = aux_[id.index];
        return a.generation == id.generation && a.role != TxRole::none ? &a : nullptr;
    }
    void set_aux(TxId id, TxRole role, std::uint16_t iface, std::uint32_t dialog) noexcept;
    bool store_upstream(TxId server, const sip::Message& msg, const sip::Validated& v,
                        Endpoint source) noexcept;
    Dialog* dialog_of(const TxAux* a) noexcept {
        return a == nullptr || a->dialog == kNil ? nullptr : dialogs_.get(a->dialog, a->dialog_gen);
    }
    std::uint32_t index_of(const Dialog& d) const noexcept {
        return static_cast<std::uint32_t>(&d - &dialogs_[0]);
    }
    std::string_view make_tag() noexcept;
    CheckContext check_context() noexcept;

    // --- responses Palisade makes
    void respond(TxId server, const sip::Message& req, int code, std::string_view phrase,
                 std::string_view extra = {}) noexcept;

    // --- requests
    void new_request(TxId tx) noexcept;
    void new_invite(TxId tx) noexcept;
    void outbound(TxId tx, std::uint32_t loop_hash) noexcept;
    void inbound(TxId tx, std::uint32_t loop_hash) noexcept;
    void in_dialog(TxId tx) noexcept;
    void end_to_end_ack() noexcept;

    // --- call setup
    int pick_peer(std::uint64_t tried) noexcept;
    bool send_to_peer(Dialog& d, Setup& s, int peer) noexcept;
    bool send_to_target(Dialog& d, Setup& s, const Target& t) noexcept;
    bool forward_dialplan(Dialog& d, Setup& s, std::string_view request_uri, int peer) noexcept;
    void next_target(Dialog& d, CallFailoverReason why, std::uint16_t code) noexcept;
    void next_peer(Dialog& d, std::uint16_t code) noexcept;
    void go_dialplan(Dialog& d, CallFailoverReason why, std::uint16_t code) noexcept;
    void answer_options(TxId tx) noexcept;
    void refuse_dialplan(const Dialog& d, CallRefuseReason why, std::uint16_t code) noexcept;
    void attempt_failed(Dialog& d, std::uint16_t code, bool timeout) noexcept;
    void setup_response(Dialog& d, TxId client, TxId server, int code) noexcept;
    void fail_upstream(Dialog& d, int code, std::string_view phrase, CallEndReason why) noexcept;
    std::uint32_t alloc_setup() noexcept;
    void free_setup(Dialog& d) noexcept;

    // --- responses forwarded
    bool forward_response(TxId server, int code, bool filter) noexcept;
    void orphan_2xx() noexcept;

    // --- dialog life
    void arm_session(Dialog& d) noexcept;
    void end_call(Dialog& d, CallEndReason why, std::uint16_t code) noexcept;
    void bye_both(Dialog& d) noexcept;
    void send_bye(Dialog& d, bool to_callee) noexcept;
    void on_dialog_timer(std::uint32_t kind, std::uint64_t cookie) noexcept;

    // --- events
    void fill_event(CallEvent& ev, const Dialog& d, CallEventType type) noexcept;
    void emit(const Dialog& d, CallEventType type) noexcept;
    void emit_failover(const Dialog& d, CallFailoverReason why, FailoverTarget to,
                       std::uint16_t code) noexcept;
    void emit_refused(std::uint32_t trunk, CallDirection dir, CallAccount account,
                      CallRefuseReason why, std::uint16_t code, std::string_view caller,
                      std::string_view callee, std::uint16_t flags,
                      std::string_view call_id) noexcept;

    ProxyConfig cfg_;
    TransactionTable txs_;
    DialogTable dialogs_;
    TimerWheel wheel_;
    std::vector<TxAux> aux_;
    std::vector<Setup> setups_;
    std::vector<std::uint32_t> setup_free_;
    std::uint64_t base_ = 0;
    bool based_ = false;
    std::uint64_t now_ = 1;
    std::uint64_t tag_counter_;
    std::uint64_t peer_rr_ = 0;

    // The current call's context.
    ProxyEnv* env_ = nullptr;
    ProxySink* out_ = nullptr;
    WorkerCounters* c_ = nullptr;
    std::uint16_t port_ = 0;
    const sip::Message* msg_ = nullptr;  // the message being handled
    const sip::Validated* v_ = nullptr;
    Endpoint source_{};
    std::uint16_t iface_ = 0;

    CheckState check_state_;  // this worker's nonce issuer and digest-failure table

    // Action lists, one per nesting level of table calls (a handler of one list's action calls
    // the table again): preallocated, 1024 actions each is too much for the stack. Deeper than
    // list_depth_ levels, every call gets the last list, kLeaf, whose actions are only sent:
    // run() hands none of them to a handler, so no table call is made while it is in use and
    // it is never shared by two live levels (counted proxy_list_depth_overflow; the actions
    // not sent, proxy_actions_overflow). The deepest nesting the tests reach is 2 levels.
    static constexpr int kListDepth = 8;
    static constexpr int kLeaf = kListDepth;
    std::unique_ptr<std::array<ActionList, kListDepth + 1>> lists_ = std::make_unique<std::array<ActionList, kListDepth + 1>>();
    int depth_ = 0;
    int list_depth_ = kListDepth;

    // Scratch (one message at a time).
    sip::EditList edits_;
    sip::Message msg2_;        // a stored message parsed again (failover, orphan 2xx)
    sip::Validated v2_;
    std::array<char, kOutMax> outbuf_{};
    std::array<char, kArenaMax> arena_buf_{};
    std::array<char, kCheckScratchBytes> check_scratch_{};
    std::array<char, kCheckScratchBytes> sdp_scratch_{};
    std::array<char, 512> privacy_scratch_{};
    std::array<char, kBranchMax + 1> branch_buf_{};
    std::array<char, 32> tag_buf_{};
};

// Takes the action list of the current nesting level for the scope of one table call and
// the handling of its actions.
class ListRef {
public:
    explicit ListRef(ProxyImpl& p) noexcept : p_(p) {
        // Nested (a handler of an outer list's action): the outer list still holds `send`
        // actions pointing into message slots, so the table must not reuse the slots it freed
        // (TransactionTable::hold_reuse).
        nested_ = p.depth_ > 0;
        if (nested_) p.txs_.hold_reuse();
        int level = p.depth_;
        if (level >= p.list_depth_) {
            level = ProxyImpl::kLeaf;
            p.count(Counter::proxy_list_depth_overflow);
        }
        l_ = &(*p.lists_)[static_cast<std::size_t>(level)];
        ++p.depth_;
        l_->reset();
    }
    ~ListRef() {
        --p_.depth_;
        if (nested_) p_.txs_.release_reuse();
    }
    ListRef(const ListRef&) = delete;
    ListRef& operator=(const ListRef&) = delete;
    ActionList& operator*() noexcept { return *l_; }

private:
    ProxyImpl& p_;
    ActionList* l_;
    bool nested_ = false;
};

// --- construction and plumbing ------------------------------------------------------------

namespace {
TransactionTableConfig tx_config(const ProxyConfig& c) {
    TransactionTableConfig t;
    t.capacity = c.max_transactions;
    t.slot_size = 4096;
    t.timers = c.timers;
    t.worker = static_cast<int>(c.worker);
    t.branch_salt = c.salt;
    return t;
}
}  // namespace

ProxyImpl::ProxyImpl(const ProxyConfig& cfg)
    : cfg_(cfg),
      txs_(tx_config(cfg), 1),
      dialogs_(cfg.max_dialogs),
      wheel_(cfg.max_dialogs * 2u + 16u, 1),
      aux_(cfg.max_transactions == 0 ? 1 : cfg.max_transactions),
      setups_(std::max<std::uint32_t>(16, cfg.max_transactions / 4)),
      tag_counter_(cfg.salt * 0x9e3779b97f4a7c15ull) {
    check_state_.nonce_issuer = static_cast<std::uint16_t>(cfg.worker);
    list_depth_ = static_cast<int>(std::clamp<unsigned>(cfg.list_depth, 1u, static_cast<unsigned>(kListDepth)));
    setup_free_.reserve(setups_.size());
    for (std::uint32_t i = static_cast<std::uint32_t>(setups_.size()); i-- > 0;) setup_free_.push_back(i);
}

void ProxyImpl::set_aux(TxId id, TxRole role, std::uint16_t iface, std::uint32_t dialog) noexcept {
    if (!id.valid() || id.index >= aux_.size()) return;
    TxAux& a = aux_[id.index];
    a.generation = id.generation;
    a.role = role;
    a.iface = iface;
    a.dialog = dialog;
    a.dialog_gen = dialog == kNil ? 0 : dialogs_[dialog].generation;
    a.via_len = a.from_len = a.to_len = 0;
}

bool ProxyImpl::store_upstream(TxId server, const sip::Message& msg, const sip::Validated& v,
                               Endpoint source) noexcept {
    TxAux* a = aux(server);
    if (a == nullptr) return false;
    TextArena arena({a->text, kUpstreamMax});
    const std::string_view vias = received_via_lines(msg, v, source, arena);
    const sip::HeaderField* from = msg.find(sip::HeaderId::from);
    const sip::HeaderField* to = msg.find(sip::HeaderId::to);
    if (from == nullptr || to == nullptr) return false;
    arena.copy(from->line);
    arena.copy(to->line);
    if (!arena.ok()) return false;
    a->via_len = static_cast<std::uint16_t>(vias.size());
    a->from_len = static_cast<std::uint16_t>(from->line.size());
    a->to_len = static_cast<std::uint16_t>(to->line.size());
    return true;
}

std::string_view ProxyImpl::make_tag() noexcept {
    // RFC 3261 §19.3: a globally unique To tag; the worker index plus a salted counter.
    const std::uint64_t u = (++tag_counter_) * 0x9e3779b97f4a7c15ull ^ cfg_.worker;
    constexpr char kHex[] = "0123456789abcdef";
    std::size_t n = 0;
    tag_buf_[n++] = 'p';
    tag_buf_[n++] = 'w';
    for (int s = 60; s >= 0; s -= 4) tag_buf_[n++] = kHex[(u >> s) & 0xfu];
    return {tag_buf_.data(), n};
}

CheckContext ProxyImpl::check_context() noexcept {
    CheckContext ctx;
    ctx.snapshot = env_->snapshot;
    ctx.limits = env_->limits;
    ctx.scratch = env_->scratch;
    ctx.location = env_->location;
    ctx.nonces = env_->nonces;
    ctx.nonce_counts = env_->nonce_counts;
    ctx.now = env_->wall;
    ctx.state = &check_state_;
    return ctx;
}

void ProxyImpl::run(const ActionList& al) noexcept {
    if (al.overflow() != 0) c_->add(port_, Counter::proxy_actions_overflow, al.overflow());
    const bool leaf = &al == &(*lists_)[kLeaf];
    for (const Action& a : al) {
        if (leaf && a.kind != ActionKind::send) {
            // Too deep to nest again (see lists_): the datagrams go, the rest is lost.
            count(Counter::proxy_actions_overflow);
            continue;
        }
        switch (a.kind) {
            case ActionKind::send: out_->send(a.iface, a.to, a.data); break;
            case ActionKind::deliver_request:
                if (a.tx.valid())
                    new_request(a.tx);
                else
                    end_to_end_ack();
                break;
            case ActionKind::deliver_response: {
                TxAux* ax = aux(a.tx);
                if (ax == nullptr || ax->role == TxRole::originated || !a.server.valid()) {
                    if (a.code >= 200 && a.code < 300 && ax != nullptr && ax->role == TxRole::setup_client)
                        orphan_2xx();
                    count(Counter::proxy_response_absorbed);
                    break;
                }
                if (ax->role == TxRole::setup_client) {
                    Dialog* d = dialog_of(ax);
                    if (d == nullptr) {
                        // The call already ended (CANCEL race, §16.7 item 5): a 2xx is still
                        // passed up, and this leg is closed by ACK + BYE.
                        if (a.code >= 200 && a.code < 300) {
                            forward_response(a.server, a.code, true);
                            orphan_2xx();
                        } else {
                            count(Counter::proxy_response_absorbed);
                        }
                        break;
                    }
                    setup_response(*d, a.tx, a.server, a.code);
                } else {
                    Dialog* d = dialog_of(ax);
                    const bool refresh = a.code >= 200 && a.code < 300 && d != nullptr &&
                                         d->state == DialogState::confirmed &&
                                         (v_->cseq.method == sip::Method::invite ||
                                          v_->cseq.method == sip::Method::update);
                    if (refresh) {
                        // RFC 4028 §10: a 2xx to a re-INVITE or UPDATE refreshes the session.
                        if (const sip::HeaderField* f = msg_->find(sip::HeaderId::session_expires)) {
                            sip::SessionExpires se;
                            if (sip::parse_session_expires(f->value, se) == sip::Reason::none && se.delta > 0)
                                d->session_expires_s = se.delta;
                        }
                        arm_session(*d);
                        count(Counter::proxy_session_refreshed);
                    }
                    forward_response(a.server, a.code, v_->cseq.method == sip::Method::invite);
                }
                break;
            }
            case ActionKind::timed_out: {
                TxAux* ax = aux(a.tx);
                if (ax == nullptr || ax->role != TxRole::setup_client) break;
                Dialog* d = dialog_of(ax);
                if (d == nullptr || !(d->client_tx == a.tx)) break;
                attempt_failed(*d, 0, true);
                break;
            }
            case ActionKind::cancelled: {
                TxAux* ax = aux(a.tx);
                Dialog* d = dialog_of(ax);
                if (d == nullptr || d->state == DialogState::confirmed) break;
                count(Counter::proxy_cancelled);
                end_call(*d, CallEndReason::caller_cancel, 487);
                break;
            }
            case ActionKind::terminated: {
                TxAux* ax = aux(a.tx);
                if (ax == nullptr) break;
                if (ax->role == TxRole::setup_server) {
                    // The caller's INVITE transaction ended while the call was still being set
                    // up (its guard timer): nothing can answer the caller any more.
                    Dialog* d = dialog_of(ax);
                    if (d != nullptr && d->server_tx == a.tx && d->state != DialogState::confirmed)
                        end_call(*d, CallEndReason::internal_error, 0);
                }
                ax->role = TxRole::none;
                break;
            }
        }
    }
}

// --- responses Palisade makes ----------------------------------------------------------------

void ProxyImpl::respond(TxId server, const sip::Message& req, int code, std::string_view phrase,
                        std::string_view extra) noexcept {
    // RFC 3261 §8.2.6.2: a To tag on every final response to a request without one.
    const std::string_view tag = code > 100 ? make_tag() : std::string_view{};
    const std::size_t n = sip::build_response(req, code, phrase, tag, extra, {}, outbuf_);
    if (n == 0) {
        count(Counter::proxy_build_failed);
        return;
    }
    ListRef al(*this);
    txs_.respond(server, {outbuf_.data(), n}, code, now_, *al);
    run(*al);
}

// --- requests --------------------------------------------------------------------------------

void ProxyImpl::on_request(const sip::Message& msg, const sip::Validated& v, const SipSource& src,
                           std::uint16_t iface) noexcept {
    msg_ = &msg;
    v_ = &v;
    source_ = {src.src_ip, src.src_port};
    iface_ = iface;
    const Endpoint reply_to = response_address(v.top_via, source_);
    ListRef al(*this);
    const RequestVerdict verdict = txs_.on_request(msg, v, reply_to, now_, *al, iface);
    if (verdict == RequestVerdict::table_full && msg.method() != sip::Method::ack) {
        // No record: answer statelessly (RFC 3261 §16.7 lets a stateless 503 through).
        count(Counter::proxy_tx_full);
        const std::size_t n = sip::build_response(msg, 503, "Service Unavailable", make_tag(),
                                                  "Retry-After: 5\r\n", {}, outbuf_);
        if (n != 0) out_->send(iface, reply_to, {outbuf_.data(), n});
    }
    run(*al);
}

void ProxyImpl::new_request(TxId tx) noexcept {
    const sip::Message& msg = *msg_;
    const sip::Method m = msg.method();
    set_aux(tx, TxRole::dialog_server, iface_, kNil);
    if (m == sip::Method::cancel) {
        // §9.2: a CANCEL matching no INVITE transaction.
        respond(tx, msg, 481, "Call/Transaction Does Not Exist");
        return;
    }
    if (!v_->to.tag.empty()) {
        in_dialog(tx);
        return;
    }
    if (m == sip::Method::invite) {
        new_invite(tx);
        return;
    }
    if (m == sip::Method::options) {
        answer_options(tx);
        return;
    }
    // DESIGN.md §4: out of dialog only INVITE (and OPTIONS, answered above, and REGISTER,
    // handled by sip_stage).
    count(Counter::proxy_method_not_allowed);
    char allow[96];
    TextArena a(allow);
    respond(tx, msg, 405, "Method Not Allowed", a.begin().add("Allow: ").add(kAllowValue).add("\r\n").end());
}

void ProxyImpl::answer_options(TxId tx) noexcept {
    // Spec: "We will also reply 200 OK to received OPTIONS packets". sip_stage answers an
    // OPTIONS addressed to Palisade; one for a user (sip:user@host) out of dialog ends here and
    // Palisade answers it as the UAS (RFC 3261 §11.2) with the same capabilities: a capability
    // query is not forwarded across the trust boundary (each side only ever talks to Palisade,
    // DESIGN.md §1). Only known sources get here (sip_stage drops the others).
    const sip::Message& msg = *msg_;
    char lines[512];
    TextArena a(lines);
    // RFC 3261 §8.2.2.3: a Require naming an option tag we do not support gets 420 with an
    // Unsupported header listing those tags. We support `timer` (RFC 4028) only.
    if (msg.find(sip::HeaderId::require) != nullptr) {
        a.begin().add("Unsupported: ");
        const std::size_t head = a.used();
        constexpr std::size_t kListMax = sizeof(lines) - 8;  // room for "\r\n"
        bool any = false;
        for (const sip::HeaderField& f : msg.fields(sip::HeaderId::require)) {
            std::string_view rest = f.value;
            while (!rest.empty()) {
                const std::size_t comma = rest.find(',');
                const std::string_view tag = sip::trim(rest.substr(0, comma));
                rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
                if (tag.empty() || sip::iequals(tag, kSupportedValue)) continue;
                any = true;
                // A list longer than the buffer keeps its first tags (still a 420).
                if (a.used() + tag.size() + 2 > kListMax) continue;
                if (a.used() != head) a.add(", ");
                a.add(tag);
            }
        }
        if (any) {
            count(Counter::proxy_bad_extension);
            respond(tx, msg, 420, "Bad Extension", a.add("\r\n").end());
            return;
        }
    }
    count(Counter::proxy_options_answered);
    respond(tx, msg, 200, "OK",
            a.begin().add("Allow: ").add(kAllowValue).add("\r\nAccept: ").add(kAcceptValue)
                .add("\r\nSupported: ").add(kSupportedValue).add("\r\n").end());
}

void ProxyImpl::new_invite(TxId tx) noexcept {
    const sip::Message& msg = *msg_;
    if (env_->snapshot == nullptr || iface_ >= cfg_.interfaces.size()) {
        respond(tx, msg, 503, "Service Unavailable", "Retry-After: 5\r\n");
        return;
    }
    // §16.3 item 4: a branch of ours carrying this request's loop hash means it was here.
    const std::uint32_t lh = loop_hash(msg, *v_, iface_);
    if (detect_loop(msg, lh)) {
        count(Counter::proxy_loop_detected);
        respond(tx, msg, 482, "Loop Detected");
        return;
    }
    if (cfg_.interfaces[iface_].side == Side::access)
        outbound(tx, lh);
    else
        inbound(tx, lh);
}

std::uint32_t ProxyImpl::alloc_setup() noexcept {
    if (setup_free_.empty()) return kNil;
    const std::uint32_t s = setup_free_.back();
    setup_free_.pop_back();
    Setup& st = setups_[s];
    st.dialog = kNil;
    st.target_count = 0;
    st.next_target = 0;
    st.loop_hash = 0;
    st.peers_tried = 0;
    st.msg_len = 0;
    return s;
}

void ProxyImpl::free_setup(Dialog& d) noexcept {
    if (d.setup == kNil) return;
    setups_[d.setup].dialog = kNil;
    setup_free_.push_back(d.setup);
    d.setup = kNil;
}

void ProxyImpl::outbound(TxId tx, std::uint32_t lh) noexcept {
    const sip::Message& msg = *msg_;
    const sip::Validated& v = *v_;
    count(Counter::proxy_invite_outbound);
    CheckContext ctx = check_context();
    edits_.clear();
    OutboundCheck r = check_outbound_invite(msg, v, source_.ip, ctx, check_scratch_, edits_);
    if (r.code == 407) {
        count(Counter::proxy_challenged);
        respond(tx, msg, 407, r.phrase, r.response_headers);
        return;
    }
    const CallAccount account =
        r.decision.trunk == kNoTrunk ? CallAccount::none
                                     : (r.account == AccountRole::primary ? CallAccount::primary
                                                                          : CallAccount::secondary);
    const std::uint16_t flags = static_cast<std::uint16_t>((r.counted ? kCallFlagCounted : 0) |
                                                           (r.emergency ? kCallFlagEmergency : 0));
    auto refuse = [&](int code, std::string_view phrase, std::string_view headers,
                      CallRefuseReason why) {
        // DESIGN.md §4: a call counts against hour/day/week only when it is forwarded, so a
        // refusal after admission (no core peer, overload) gives the windows back.
        if (r.decision.token.held() && env_->limits != nullptr) env_->limits->unadmit(r.decision.token);
        count(Counter::proxy_refused);
        respond(tx, msg, code, phrase, headers);
        emit_refused(r.decision.trunk, CallDirection::outbound, account, why,
                     static_cast<std::uint16_t>(code), r.caller, r.callee,
                     static_cast<std::uint16_t>(flags & ~kCallFlagCounted), v_->call_id);
    };
    if (r.code != 0) {
        refuse(r.code, r.phrase, r.response_headers, r.reason);
        return;
    }
    const int core_if = first_iface(Side::core);
    const int peer = core_if < 0 ? -1 : pick_peer(0);
    if (peer < 0) {
        count(Counter::proxy_no_core_peer);
        refuse(503, "Service Unavailable", "Retry-After: 5\r\n", CallRefuseReason::no_core_peer);
        return;
    }
    const std::uint32_t di = dialogs_.create(v.call_id, v.from.tag);
    if (di == kNil) {
        count(Counter::proxy_dialog_full);
        refuse(503, "Service Unavailable", "Retry-After: 5\r\n", CallRefuseReason::overload);
        return;
    }
    const std::uint32_t si = alloc_setup();
    if (si == kNil) {
        dialogs_.erase(di);
        count(Counter::proxy_setup_full);
        refuse(503, "Service Unavailable", "Retry-After: 5\r\n", CallRefuseReason::overload);
        return;
    }
    Dialog& d = dialogs_[di];
    Setup& s = setups_[si];
    s.dialog = di;
    s.loop_hash = lh;
    d.setup = si;
    d.direction = CallDirection::outbound;
    d.account = account;
    d.trunk_index = r.decision.trunk;
    d.trunk_key = env_->snapshot->trunk(r.decision.trunk).limit_slot;
    d.event_flags = flags;
    d.token = std::move(r.decision.token);
    d.session_expires_s = r.session_expires_s;
    d.start_us = to_event_us(env_->wall);
    d.server_tx = tx;
    d.caller.next_hop = source_;
    d.caller.iface = iface_;
    d.caller.cseq = v.cseq.number;
    {
        TextArena arena(arena_buf_);
        dialogs_.put(di, d.caller.target, contact_uri(msg));
        dialogs_.put(di, d.caller.routes, route_set(msg, false, arena));
        dialogs_.put(di, d.trunk_id, env_->snapshot->info(r.decision.trunk).id);
        dialogs_.put(di, d.caller_number, r.caller);
        dialogs_.put(di, d.callee_number, r.callee);
    }
    d.callee.iface = static_cast<std::uint16_t>(core_if);
    set_aux(tx, TxRole::setup_server, iface_, di);
    store_upstream(tx, msg, v, source_);

    // The first attempt: the check's edits plus topology hiding, applied once.
    const CorePeerSpec& p = env_->snapshot->core_peers()[static_cast<std::size_t>(peer)];
    TextArena arena(arena_buf_);
    const std::string_view ruri =
        arena.begin().add("sip:").add(r.callee).add("@").ip(p.address).add(":").num(p.port).end();
    HideRequest h;
    h.us = us(static_cast<std::uint16_t>(core_if));
    h.branch = txs_.make_branch(branch_buf_, lh);
    h.request_uri = ruri;
    const HideResult hr = arena.ok() ? hide_request(msg, v, h, arena, edits_) : HideResult::no_space;
    const std::size_t n = hr == HideResult::ok ? edits_.apply(msg, outbuf_) : 0;
    if (n == 0) {
        const bool hops = hr == HideResult::too_many_hops;
        count(hops ? Counter::proxy_too_many_hops : Counter::proxy_build_failed);
        fail_upstream(d, hops ? 483 : 500, hops ? "Too Many Hops" : "Server Internal Error",
                      CallEndReason::internal_error);
        return;
    }
    // Kept for the next core peer (serial failover re-targets this copy).
    if (n <= kSetupMsgMax) {
        std::memcpy(s.msg, outbuf_.data(), n);
        s.msg_len = static_cast<std::uint32_t>(n);
    }
    s.peers_tried = 1ull << peer;
    d.callee.next_hop = {p.address, p.port};
    ListRef al(*this);
    const TxId client = txs_.forward(tx, {outbuf_.data(), n}, sip::Method::invite, h.branch,
                                     d.callee.next_hop, now_, *al, d.callee.iface);
    if (!client.valid()) {
        count(Counter::proxy_build_failed);
        run(*al);
        fail_upstream(d, 500, "Server Internal Error", CallEndReason::internal_error);
        return;
    }
    set_aux(client, TxRole::setup_client, d.callee.iface, di);
    d.client_tx = client;
    d.flags |= kDialogStarted;
    count(Counter::proxy_started);
    emit(d, CallEventType::started);
    run(*al);
}

void ProxyImpl::inbound(TxId tx, std::uint32_t lh) noexcept {
    const sip::Message& msg = *msg_;
    const sip::Validated& v = *v_;
    count(Counter::proxy_invite_inbound);
    CheckContext ctx = check_context();
    InboundCheck r = check_inbound_invite(msg, v, ctx);
    auto refuse = [&](int code, std::string_view phrase, CallRefuseReason why) {
        if (r.token.held() && env_->limits != nullptr) env_->limits->release(r.token);
        count(Counter::proxy_refused);
        respond(tx, msg, code, phrase);
        emit_refused(r.trunk, CallDirection::inbound, CallAccount::none, why,
                     static_cast<std::uint16_t>(code), r.caller, r.callee, 0, v_->call_id);
    };
    if (r.code != 0) {
        refuse(r.code, r.code == 404 ? "Not Found" : "Forbidden", r.reason);
        return;
    }
    // The offer must carry usable audio whichever target takes it.
    {
        sip::EditList probe;
        const SdpVerdict sv = filter_sdp(msg, sdp_scratch_, probe);
        if (sv == SdpVerdict::no_audio || sv == SdpVerdict::malformed) {
            count(Counter::proxy_sdp_rejected);
            refuse(488, "Not Acceptable Here", CallRefuseReason::sdp_not_acceptable);
            return;
        }
    }
    const std::uint32_t di = dialogs_.create(v.call_id, v.from.tag);
    const std::uint32_t si = di == kNil ? kNil : alloc_setup();
    if (di == kNil || si == kNil || msg.size() > kSetupMsgMax) {
        if (di != kNil) dialogs_.erase(di);
        count(di == kNil ? Counter::proxy_dialog_full : Counter::proxy_setup_full);
        refuse(503, "Service Unavailable", CallRefuseReason::overload);
        return;
    }
    Dialog& d = dialogs_[di];
    Setup& s = setups_[si];
    s.dialog = di;
    s.loop_hash = lh;
    d.setup = si;
    d.direction = CallDirection::inbound;
    d.trunk_index = r.trunk;
    d.trunk_key = env_->snapshot->trunk(r.trunk).limit_slot;
    if (r.token.held()) d.token = std::move(r.token);
    d.start_us = to_event_us(env_->wall);
    d.server_tx = tx;
    d.caller.next_hop = source_;
    d.caller.iface = iface_;
    d.caller.cseq = v.cseq.number;
    {
        TextArena arena(arena_buf_);
        dialogs_.put(di, d.caller.target, contact_uri(msg));
        dialogs_.put(di, d.caller.routes, route_set(msg, false, arena));
        dialogs_.put(di, d.trunk_id, env_->snapshot->info(r.trunk).id);
        dialogs_.put(di, d.caller_number, r.caller);
        dialogs_.put(di, d.callee_number, r.callee);
    }
    // The received INVITE, re-rewritten for each target (the Request-URI, interface and
    // privacy edits differ per attempt).
    std::memcpy(s.msg, msg.data().data(), msg.size());
    s.msg_len = static_cast<std::uint32_t>(msg.size());
    for (std::size_t k = 0; k < r.target_count && s.target_count < kMaxInboundTargets; ++k) {
        const InboundTarget& it = r.targets[k];
        if (it.uri.size() > kTargetUriMax) continue;  // cannot be kept: skipped
        Target& t = s.targets[s.target_count++];
        t.to = it.to;
        t.iface = it.iface;
        t.account = it.account;
        t.uri_len = static_cast<std::uint16_t>(it.uri.size());
        std::memcpy(t.uri, it.uri.data(), it.uri.size());
    }
    set_aux(tx, TxRole::setup_server, iface_, di);
    store_upstream(tx, msg, v, source_);
    if (r.failover) {
        go_dialplan(d, r.failover_reason, 0);
        return;
    }
    if (s.target_count == 0) {
        go_dialplan(d, CallFailoverReason::no_registration, 0);
        return;
    }
    next_target(d, CallFailoverReason::target_timeout, 0);
}

bool ProxyImpl::send_to_target(Dialog& d, Setup& s, const Target& t) noexcept {
    if (msg2_.parse({s.msg, s.msg_len}) != sip::ParseStatus::ok ||
        sip::validate_request(msg2_, {}, v2_) != sip::Reason::none)
        return false;
    edits_.clear();
    TextArena arena(arena_buf_);
    HideRequest h;
    // RFC 3323 / RFC 3325: towards an untrusted PBX, Privacy: id hides the caller.
    const bool privacy = sip::has_token(msg2_, sip::HeaderId::privacy, "id") ||
                         sip::has_token(msg2_, sip::HeaderId::privacy, "user") ||
                         sip::has_token(msg2_, sip::HeaderId::privacy, "header");
    if (privacy) {
        if (!privacy_edits(msg2_, privacy_scratch_, edits_)) return false;
        h.hosts = kHostTo;
    }
    if (filter_sdp(msg2_, sdp_scratch_, edits_) == SdpVerdict::no_space) return false;
    h.us = us(t.iface);
    h.branch = txs_.make_branch(branch_buf_, s.loop_hash);
    h.request_uri = {t.uri, t.uri_len};
    if (hide_request(msg2_, v2_, h, arena, edits_) != HideResult::ok) return false;
    const std::size_t n = edits_.apply(msg2_, outbuf_);
    if (n == 0) return false;
    ListRef al(*this);
    const TxId client = txs_.forward(d.server_tx, {outbuf_.data(), n}, sip::Method::invite,
                                     h.branch, t.to, now_, *al, t.iface);
    if (!client.valid()) {
        run(*al);
        return false;
    }
    const std::uint32_t di = index_of(d);
    set_aux(client, TxRole::setup_client, t.iface, di);
    d.client_tx = client;
    d.callee.next_hop = t.to;
    d.callee.iface = t.iface;
    d.account = t.account == AccountRole::primary ? CallAccount::primary : CallAccount::secondary;
    if ((d.flags & kDialogStarted) == 0) {
        d.flags |= kDialogStarted;
        count(Counter::proxy_started);
        emit(d, CallEventType::started);
    }
    run(*al);
    return true;
}

void ProxyImpl::next_target(Dialog& d, CallFailoverReason why, std::uint16_t code) noexcept {
    Setup& s = setups_[d.setup];
    bool moved = s.next_target > 0;  // a previous target failed
    AccountRole prev = moved ? s.targets[s.next_target - 1].account : AccountRole::primary;
    while (s.next_target < s.target_count) {
        const Target& t = s.targets[s.next_target++];
        if (moved) {
            count(Counter::proxy_failover);
            emit_failover(d, why, t.account == prev ? FailoverTarget::next_contact
                                                    : FailoverTarget::other_account, code);
        }
        const std::uint32_t gen = d.generation;
        const std::uint32_t di = index_of(d);
        if (send_to_target(d, s, t)) return;
        if (dialogs_.get(di, gen) == nullptr) return;  // ended meanwhile
        count(Counter::proxy_build_failed);
        moved = true;
        prev = t.account;
        why = CallFailoverReason::target_unreachable;
        code = 0;
    }
    go_dialplan(d, moved ? why : CallFailoverReason::no_registration, code);
}

int ProxyImpl::pick_peer(std::uint64_t tried) noexcept {
    // Lowest priority value first (config), then weighted among equals, skipping peers
    // keepalive marks down and peers already tried for this call.
    const auto& peers = env_->snapshot->core_peers();
    int best_prio = -1;
    std::uint32_t total = 0;
    const std::size_t n = std::min<std::size_t>(peers.size(), 64);
    for (std::size_t i = 0; i < n; ++i) {
        if ((tried >> i & 1u) != 0) continue;
        if (env_->peers != nullptr && !env_->peers->usable(i)) continue;
        if (best_prio < 0 || peers[i].priority < best_prio) {
            best_prio = peers[i].priority;
            total = 0;
        }
        if (peers[i].priority == best_prio) total += peers[i].weight == 0 ? 1u : peers[i].weight;
    }
    if (best_prio < 0) return -1;
    std::uint32_t pick = static_cast<std::uint32_t>(peer_rr_++ % total);
    for (std::size_t i = 0; i < n; ++i) {
        if ((tried >> i & 1u) != 0) continue;
        if (env_->peers != nullptr && !env_->peers->usable(i)) continue;
        if (peers[i].priority != best_prio) continue;
        const std::uint32_t w = peers[i].weight == 0 ? 1u : peers[i].weight;
        if (pick < w) return static_cast<int>(i);
        pick -= w;
    }
    return -1;
}

bool ProxyImpl::send_to_peer(Dialog& d, Setup& s, int peer) noexcept {
    // Re-target the INVITE forwarded to the previous peer: new Request-URI host, new branch.
    if (s.msg_len == 0 || msg2_.parse({s.msg, s.msg_len}) != sip::ParseStatus::ok ||
        sip::validate_request(msg2_, {}, v2_) != sip::Reason::none)
        return false;
    const CorePeerSpec& p = env_->snapshot->core_peers()[static_cast<std::size_t>(peer)];
    edits_.clear();
    TextArena arena(arena_buf_);
    const std::string_view ruri = arena.begin()
                                      .add("sip:")
                                      .add(v2_.request_uri.user)
                                      .add("@")
                                      .ip(p.address)
                                      .add(":")
                                      .num(p.port)
                                      .end();
    const std::string_view branch = txs_.make_branch(branch_buf_, s.loop_hash);
    const std::string_view via = arena.begin()
                                     .add("Via: SIP/2.0/UDP ")
                                     .ip(us(d.callee.iface).ip)
                                     .add(":")
                                     .num(us(d.callee.iface).port)
                                     .add(";branch=")
                                     .add(branch)
                                     .add(";rport\r\n")
                                     .end();
    const sip::HeaderField* top = msg2_.find(sip::HeaderId::via);
    if (!arena.ok() || top == nullptr || !edits_.replace(msg2_.request_uri(), ruri) ||
        !edits_.replace(top->line, via))
        return false;
    const std::size_t n = edits_.apply(msg2_, outbuf_);
    if (n == 0) return false;
    std::memcpy(s.msg, outbuf_.data(), n);  // the next re-target starts from this one
    s.msg_len = static_cast<std::uint32_t>(n);
    s.peers_tried |= 1ull << peer;
    d.callee.next_hop = {p.address, p.port};
    ListRef al(*this);
    const TxId client = txs_.forward(d.server_tx, {outbuf_.data(), n}, sip::Method::invite, branch,
                                     d.callee.next_hop, now_, *al, d.callee.iface);
    if (!client.valid()) {
        run(*al);
        return false;
    }
    set_aux(client, TxRole::setup_client, d.callee.iface, index_of(d));
    d.client_tx = client;
    run(*al);
    return true;
}

void ProxyImpl::next_peer(Dialog& d, std::uint16_t code) noexcept {
    Setup& s = setups_[d.setup];
    for (;;) {
        const int peer = pick_peer(s.peers_tried);
        if (peer < 0) break;
        count(Counter::proxy_failover);
        emit_failover(d, CallFailoverReason::core_peer_failed, FailoverTarget::next_core_peer, code);
        const std::uint32_t gen = d.generation;
        const std::uint32_t di = index_of(d);
        if (send_to_peer(d, s, peer)) return;
        if (dialogs_.get(di, gen) == nullptr) return;
        s.peers_tried |= 1ull << peer;
        count(Counter::proxy_build_failed);
    }
    // RFC 3261 §16.7: a 503 is never forwarded; every core peer failed: 500.
    count(Counter::proxy_no_core_peer);
    fail_upstream(d, 500, "Server Internal Error", CallEndReason::core_failed);
}

bool ProxyImpl::forward_dialplan(Dialog& d, Setup& s, std::string_view request_uri,
                                 int peer) noexcept {
    if (msg2_.parse({s.msg, s.msg_len}) != sip::ParseStatus::ok ||
        sip::validate_request(msg2_, {}, v2_) != sip::Reason::none)
        return false;
    const int core_if = first_iface(Side::core);
    if (core_if < 0) return false;
    const CorePeerSpec& p = env_->snapshot->core_peers()[static_cast<std::size_t>(peer)];
    edits_.clear();
    TextArena arena(arena_buf_);
    if (filter_sdp(msg2_, sdp_scratch_, edits_) == SdpVerdict::no_space) return false;
    HideRequest h;
    h.us = us(static_cast<std::uint16_t>(core_if));
    // A branch with another loop context than the received one: the INVITE goes back to the
    // core on purpose (a spiral, not a loop).
    h.branch = txs_.make_branch(branch_buf_, s.loop_hash ^ 0x5bd1e995u);
    h.request_uri = request_uri;
    if (hide_request(msg2_, v2_, h, arena, edits_) != HideResult::ok) return false;
    const std::size_t n = edits_.apply(msg2_, outbuf_);
    if (n == 0) return false;
    d.callee.next_hop = {p.address, p.port};
    d.callee.iface = static_cast<std::uint16_t>(core_if);
    ListRef al(*this);
    const TxId client = txs_.forward(d.server_tx, {outbuf_.data(), n}, sip::Method::invite,
                                     h.branch, d.callee.next_hop, now_, *al, d.callee.iface);
    if (!client.valid()) {
        run(*al);
        return false;
    }
    set_aux(client, TxRole::setup_client, d.callee.iface, index_of(d));
    d.client_tx = client;
    if ((d.flags & kDialogStarted) == 0) {
        d.flags |= kDialogStarted;
        count(Counter::proxy_started);
        emit(d, CallEventType::started);
    }
    run(*al);
    return true;
}

void ProxyImpl::refuse_dialplan(const Dialog& d, CallRefuseReason why, std::uint16_t code) noexcept {
    count(Counter::proxy_refused);
    emit_refused(d.trunk_index, CallDirection::inbound, CallAccount::none, why, code,
                 d.str(d.caller_number), d.str(d.callee_number), 0, d.str(d.call_id));
}

void ProxyImpl::go_dialplan(Dialog& d, CallFailoverReason why, std::uint16_t code) noexcept {
    // The trunk's failover dialplan (DESIGN.md §4). The dialplan leg does not hold the trunk's
    // concurrent-call slot: the PBX does not carry the call.
    if (d.token.held() && env_->limits != nullptr && !env_->limits->release(d.token))
        count(Counter::proxy_double_release);
    d.flags |= kDialogDialplan;
    count(Counter::proxy_failover);
    // The control plane counts a call live from its first event (a `failover` of an unknown
    // call admits it, call_records.cpp) and only `ended` makes it leave; a `refused` does not.
    // So a call the control plane has not seen `started` gets no `failover` event here: a
    // reject is its `refused` alone, a forward gets its `failover` after forward_dialplan's
    // `started`.
    const bool started = (d.flags & kDialogStarted) != 0;
    if (started) emit_failover(d, why, FailoverTarget::dialplan, code);
    const FailoverSpec& f = env_->snapshot->info(d.trunk_index).failover;
    if (f.action == FailoverAction::reject) {
        const int rc = f.reject_code >= 300 && f.reject_code <= 699 ? f.reject_code : 480;
        // Never reached a target: a refusal, not an ended call.
        if (!started) refuse_dialplan(d, CallRefuseReason::failover_reject, static_cast<std::uint16_t>(rc));
        fail_upstream(d, rc, f.reject_reason, CallEndReason::failover);
        return;
    }
    const int peer = pick_peer(0);
    if (peer < 0) {
        count(Counter::proxy_no_core_peer);
        if (!started) refuse_dialplan(d, CallRefuseReason::no_core_peer, 503);
        fail_upstream(d, 503, "Service Unavailable", CallEndReason::core_failed);
        return;
    }
    Setup& s = setups_[d.setup];
    char uri[512];
    TextArena a(uri);
    std::string_view ruri;
    if (f.action == FailoverAction::forward_number) {
        const CorePeerSpec& p = env_->snapshot->core_peers()[static_cast<std::size_t>(peer)];
        ruri = a.begin().add("sip:").add(f.target).add("@").ip(p.address).add(":").num(p.port).end();
    } else {
        ruri = a.copy(f.target);
    }
    const std::uint32_t gen = d.generation;
    const std::uint32_t di = index_of(d);
    if (ruri.empty() || !forward_dialplan(d, s, ruri, peer)) {
        if (dialogs_.get(di, gen) == nullptr) return;
        count(Counter::proxy_build_failed);
        if (!started) refuse_dialplan(d, CallRefuseReason::internal_error, 500);
        fail_upstream(d, 500, "Server Internal Error", CallEndReason::internal_error);
        return;
    }
    if (!started && dialogs_.get(di, gen) != nullptr)
        emit_failover(d, why, FailoverTarget::dialplan, code);
}

void ProxyImpl::attempt_failed(Dialog& d, std::uint16_t code, bool timeout) noexcept {
    if (d.setup == kNil) return;
    if ((d.flags & kDialogDialplan) != 0) {
        // The dialplan's leg is the last one.
        if (code == 0 || code == 503)
            fail_upstream(d, code == 0 ? 408 : 500, code == 0 ? "Request Timeout" : "Server Internal Error",
                          CallEndReason::failover);
        return;
    }
    if (d.direction == CallDirection::outbound) {
        next_peer(d, code);
        return;
    }
    next_target(d, timeout ? CallFailoverReason::target_timeout
                           : (code == 408 ? CallFailoverReason::target_408 : CallFailoverReason::target_5xx),
                code);
}

void ProxyImpl::fail_upstream(Dialog& d, int code, std::string_view phrase,
                              CallEndReason why) noexcept {
    // The caller's INVITE gets a final response made here (no downstream response to pass).
    if (txs_.state(d.server_tx) == TxState::proceeding) {
        // The stored 100/18x of the server transaction carries the caller's Via, From, To.
        const TxId server = d.server_tx;
        TxAux* ax = aux(server);
        if (ax != nullptr && ax->via_len != 0) {
            sip::Builder b(outbuf_);
            b.status_line(code, phrase);
            const std::string_view text{ax->text, static_cast<std::size_t>(ax->via_len + ax->from_len + ax->to_len)};
            b.raw(text.substr(0, ax->via_len));
            b.raw(text.substr(ax->via_len, ax->from_len));
            std::string_view to = strip_crlf(text.substr(ax->via_len + ax->from_len, ax->to_len));
            b.raw(to);
            sip::NameAddr na;
            const std::size_t colon = to.find(':');
            std::string_view tv = colon == std::string_view::npos ? std::string_view{} : to.substr(colon + 1);
            while (!tv.empty() && (tv.front() == ' ' || tv.front() == '\t')) tv.remove_prefix(1);
            const bool tagged = sip::parse_name_addr(tv, na) == sip::Reason::none && !na.tag.empty();
            if (!tagged) b.raw(";tag=").raw(make_tag());
            b.raw("\r\n");
            char cid[160];
            TextArena ca(cid);
            b.raw(ca.begin().add("Call-ID: ").add(d.str(d.call_id)).add("\r\n").end());
            b.cseq(d.caller.cseq, sip::Method::invite);
            const std::size_t n = b.finish();
            if (n != 0) {
                ListRef al(*this);
                txs_.respond(server, {outbuf_.data(), n}, code, now_, *al);
                // Dialog ends first so that the actions see it gone.
                d.final_code = static_cast<std::uint16_t>(code);
                end_call(d, why, static_cast<std::uint16_t>(code));
                run(*al);
                return;
            }
            count(Counter::proxy_build_failed);
        }
    }
    end_call(d, why, static_cast<std::uint16_t>(code));
}

void ProxyImpl::setup_response(Dialog& d, TxId client, TxId server, int code) noexcept {
    const sip::Message& resp = *msg_;
    const sip::Validated& v = *v_;
    if (!(client == d.client_tx)) {
        // A previous attempt answering after we moved on.
        if (code >= 200 && code < 300) orphan_2xx();
        count(Counter::proxy_response_absorbed);
        return;
    }
    const std::uint32_t di = index_of(d);
    if (code < 200) {
        if (!v.to.tag.empty() && d.callee.tag.len == 0) {
            dialogs_.put(di, d.callee.tag, v.to.tag);
            d.state = DialogState::early;
        }
        forward_response(server, code, true);
        return;
    }
    if (code < 300) {
        if (d.callee.tag.len == 0 || d.str(d.callee.tag) != v.to.tag) dialogs_.put(di, d.callee.tag, v.to.tag);
        TextArena arena(arena_buf_);
        dialogs_.put(di, d.callee.target, contact_uri(resp));
        // RFC 3261 §12.1.2: the UAC's route set is the Record-Route of the 2xx, reversed.
        dialogs_.put(di, d.callee.routes, route_set(resp, true, arena));
        d.state = DialogState::confirmed;
        d.flags |= kDialogAnswered;
        d.final_code = static_cast<std::uint16_t>(code);
        d.answer_us = to_event_us(env_->wall);
        if (const sip::HeaderField* f = resp.find(sip::HeaderId::session_expires)) {
            sip::SessionExpires se;
            if (sip::parse_session_expires(f->value, se) == sip::Reason::none && se.delta > 0)
                d.session_expires_s = se.delta;
        }
        arm_session(d);
        const std::uint32_t max_s = env_->snapshot != nullptr && d.trunk_index < env_->snapshot->trunk_count()
                                        ? env_->snapshot->trunk(d.trunk_index).limits.max_duration_s
                                        : 0;
        if (max_s != 0)
            d.duration_timer = wheel_.add(static_cast<std::uint64_t>(max_s) * 1000u, kDurationTimer,
                                          cookie_of(di, d.generation));
        // RFC 3261 §13.3.1.4: a 2xx not acknowledged within 64*T1 ends the call.
        d.ack_timer = wheel_.add(64ull * cfg_.timers.t1_ms, kAckTimer, cookie_of(di, d.generation));
        free_setup(d);
        count(Counter::proxy_answered);
        emit(d, CallEventType::answered);
        forward_response(server, code, true);
        return;
    }
    // A failure final. RFC 3261 §16.7 would collect every branch; Palisade forks serially, so
    // this branch's answer decides: fail over, or pass it up.
    const bool retry = d.direction == CallDirection::outbound
                           ? code == 503
                           : (code == 408 || (code >= 500 && code < 600));
    if (retry && (d.flags & kDialogDialplan) == 0) {
        attempt_failed(d, static_cast<std::uint16_t>(code), false);
        return;
    }
    d.final_code = static_cast<std::uint16_t>(code);
    const CallEndReason why = (d.flags & kDialogDialplan) != 0 ? CallEndReason::failover
                                                              : CallEndReason::callee_rejected;
    end_call(d, why, static_cast<std::uint16_t>(code == 503 ? 500 : code));
    forward_response(server, code, false);
}

// --- responses forwarded ---------------------------------------------------------------------

bool ProxyImpl::forward_response(TxId server, int code, bool filter) noexcept {
    const sip::Message& resp = *msg_;
    TxAux* ax = aux(server);
    if (ax == nullptr || ax->via_len == 0) {
        count(Counter::proxy_response_absorbed);
        return false;
    }
    edits_.clear();
    TextArena arena(arena_buf_);
    HideResponse h;
    const std::string_view text{ax->text, static_cast<std::size_t>(ax->via_len + ax->from_len + ax->to_len)};
    h.via_lines = text.substr(0, ax->via_len);
    h.from_line = text.substr(ax->via_len, ax->from_len);
    h.to_line = text.substr(ax->via_len + ax->from_len, ax->to_len);
    h.us = us(ax->iface);
    int out_code = code;
    bool ok = hide_response(resp, *v_, h, arena, edits_);
    if (ok && code == 503) {
        // RFC 3261 §16.7 item 6: a 503 is not forwarded as such.
        count(Counter::proxy_503_to_500);
        out_code = 500;
        ok = edits_.replace(resp.start_line(), "SIP/2.0 500 Server Internal Error");
    }
    if (ok && filter && code > 100 && code < 300 && !resp.body().empty()) {
        const SdpVerdict sv = filter_sdp(resp, sdp_scratch_, edits_);
        ok = sv != SdpVerdict::no_space;
    }
    const std::size_t n = ok ? edits_.apply(resp, outbuf_) : 0;
    if (n == 0) {
        count(Counter::proxy_build_failed);
        return false;
    }
    ListRef al(*this);
    txs_.respond(server, {outbuf_.data(), n}, out_code, now_, *al);
    count(Counter::proxy_response_forwarded);
    run(*al);
    return true;
}

void ProxyImpl::orphan_2xx() noexcept {
    // A 2xx for a call that is over (RFC 3261 §16.7 item 5 race with CANCEL, or a target that
    // answered after failover moved on): acknowledge it and hang it up, so the far end stops
    // retransmitting and does not keep a dangling call.
    const sip::Message& resp = *msg_;
    const sip::Validated& v = *v_;
    count(Counter::proxy_orphan_2xx);
    const std::string_view target = contact_uri(resp);
    if (target.empty()) return;
    const sip::HeaderField* from = resp.find(sip::HeaderId::from);
    const sip::HeaderField* to = resp.find(sip::HeaderId::to);
    if (from == nullptr || to == nullptr) return;
    // The leg answered on the interface our top Via names: find it by address.
    sip::Via top = v.top_via;
    std::uint16_t iface = 0;
    for (std::size_t i = 0; i < cfg_.interfaces.size(); ++i) {
        char b[16];
        if (std::string_view(b, format_ipv4(cfg_.interfaces[i].address, b)) == top.host)
            iface = static_cast<std::uint16_t>(i);
    }
    const Endpoint to_ep = source_;
    for (const sip::Method m : {sip::Method::ack, sip::Method::bye}) {
        const std::string_view branch = txs_.make_branch(branch_buf_, 0);
        char hdr[256];
        TextArena a(hdr);
        const std::string_view via = a.begin()
                                         .add("SIP/2.0/UDP ")
                                         .ip(us(iface).ip)
                                         .add(":")
                                         .num(us(iface).port)
                                         .add(";branch=")
                                         .add(branch)
                                         .add(";rport")
                                         .end();
        sip::Builder b(outbuf_);
        b.request_line(m, target)
            .header(sip::HeaderId::via, via)
            .header(sip::HeaderId::max_forwards, "70")
            .header(sip::HeaderId::from, from->value)
            .header(sip::HeaderId::to, to->value)
            .header(sip::HeaderId::call_id, v.call_id)
            .cseq(v.cseq.number + (m == sip::Method::bye ? 1u : 0u), m);
        const std::size_t n = b.finish();
        if (n == 0 || !a.ok()) {
            count(Counter::proxy_build_failed);
            return;
        }
        if (m == sip::Method::ack) {
            out_->send(iface, to_ep, {outbuf_.data(), n});
        } else {
            ListRef al(*this);
            const TxId c = txs_.forward(TxId{}, {outbuf_.data(), n}, m, branch, to_ep, now_, *al, iface);
            set_aux(c, TxRole::originated, iface, kNil);
            count(Counter::proxy_bye_sent);
            run(*al);
        }
    }
}

// --- in-dialog requests ----------------------------------------------------------------------

void ProxyImpl::in_dialog(TxId tx) noexcept {
    const sip::Message& msg = *msg_;
    const sip::Validated& v = *v_;
    LegFrom from{};
    const std::uint32_t di = dialogs_.find(v.call_id, v.from.tag, v.to.tag, from);
    if (di == kNil || dialogs_[di].state != DialogState::confirmed) {
        count(Counter::proxy_unknown_dialog);
        respond(tx, msg, 481, "Call/Transaction Does Not Exist");
        return;
    }
    Dialog& d = dialogs_[di];
    const sip::Method m = msg.method();
    bool allowed = m == sip::Method::bye || m == sip::Method::invite;
    if (!allowed && env_->snapshot != nullptr)
        for (const std::string& name : env_->snapshot->sip().in_dialog_methods)
            if (name == msg.method_text()) allowed = true;
    if (!allowed) {
        // DESIGN.md §4: other methods in a dialog only where the config allows them.
        count(Counter::proxy_method_not_allowed);
        char allow[128];
        TextArena a(allow);
        respond(tx, msg, 405, "Method Not Allowed", a.begin().add("Allow: ").add(kAllowValue).add("\r\n").end());
        return;
    }
    DialogLeg& src_leg = from == LegFrom::caller ? d.caller : d.callee;
    DialogLeg& dst_leg = from == LegFrom::caller ? d.callee : d.caller;
    if (v.cseq.number > src_leg.cseq) src_leg.cseq = v.cseq.number;
    edits_.clear();
    if (m == sip::Method::invite && !msg.body().empty()) {
        // A re-INVITE's offer is filtered like the first one; T.38 (m=image) alone leaves no
        // audio: 488 (DESIGN.md §4, the service has no T.38).
        const SdpVerdict sv = filter_sdp(msg, sdp_scratch_, edits_);
        if (sv == SdpVerdict::no_audio || sv == SdpVerdict::malformed) {
            count(Counter::proxy_sdp_rejected);
            respond(tx, msg, 488, "Not Acceptable Here");
            return;
        }
    }
    TextArena arena(arena_buf_);
    HideRequest h;
    h.us = us(dst_leg.iface);
    h.branch = txs_.make_branch(branch_buf_, loop_hash(msg, v, iface_));
    std::string_view target = d.str(dst_leg.target);
    if (target.empty()) target = arena.begin().add("sip:").ip(dst_leg.next_hop.ip).add(":").num(dst_leg.next_hop.port).end();
    h.request_uri = target;
    h.routes = d.str(dst_leg.routes);
    if (env_->snapshot != nullptr) h.our_realm = env_->snapshot->sip().realm;
    const HideResult hr = hide_request(msg, v, h, arena, edits_);
    const std::size_t n = hr == HideResult::ok ? edits_.apply(msg, outbuf_) : 0;
    if (n == 0) {
        const bool hops = hr == HideResult::too_many_hops;
        count(hops ? Counter::proxy_too_many_hops : Counter::proxy_build_failed);
        respond(tx, msg, hops ? 483 : 500, hops ? "Too Many Hops" : "Server Internal Error");
        return;
    }
    set_aux(tx, TxRole::dialog_server, iface_, di);
    store_upstream(tx, msg, v, source_);
    ListRef al(*this);
    const TxId client = txs_.forward(tx, {outbuf_.data(), n}, m, h.branch, dst_leg.next_hop, now_,
                                     *al, dst_leg.iface);
    set_aux(client, TxRole::dialog_client, dst_leg.iface, di);
    count(Counter::proxy_in_dialog_forwarded);
    if (m == sip::Method::bye)
        end_call(d, from == LegFrom::caller ? CallEndReason::caller_bye : CallEndReason::callee_bye,
                 d.final_code != 0 ? d.final_code : 200);
    run(*al);
}

void ProxyImpl::end_to_end_ack() noexcept {
    // The ACK of a 2xx is a request of its own (RFC 3261 §13.2.2.4, §17.1.1.3 leaves it to the
    // TU): routed by the dialog, no transaction.
    const sip::Message& msg = *msg_;
    const sip::Validated& v = *v_;
    LegFrom from{};
    const std::uint32_t di = dialogs_.find(v.call_id, v.from.tag, v.to.tag, from);
    if (di == kNil || dialogs_[di].state != DialogState::confirmed) {
        count(Counter::proxy_ack_unmatched);
        return;
    }
    Dialog& d = dialogs_[di];
    // The ACK of a 2xx to a re-INVITE may come from either side: it goes to the other one.
    DialogLeg& dst = from == LegFrom::caller ? d.callee : d.caller;
    if (from == LegFrom::caller && (d.flags & kDialogAcked) == 0) {
        d.flags |= kDialogAcked;
        wheel_.cancel(d.ack_timer);
        d.ack_timer = {};
    }
    edits_.clear();
    if (!msg.body().empty() && filter_sdp(msg, sdp_scratch_, edits_) == SdpVerdict::no_space) {
        count(Counter::proxy_build_failed);
        return;
    }
    TextArena arena(arena_buf_);
    HideRequest h;
    h.us = us(dst.iface);
    h.branch = txs_.make_branch(branch_buf_, 0);
    std::string_view target = d.str(dst.target);
    if (target.empty()) target = arena.begin().add("sip:").ip(dst.next_hop.ip).add(":").num(dst.next_hop.port).end();
    h.request_uri = target;
    h.routes = d.str(dst.routes);
    if (env_->snapshot != nullptr) h.our_realm = env_->snapshot->sip().realm;
    const std::size_t n =
        hide_request(msg, v, h, arena, edits_) == HideResult::ok ? edits_.apply(msg, outbuf_) : 0;
    if (n == 0) {
        count(Counter::proxy_build_failed);
        return;
    }
    count(Counter::proxy_ack_forwarded);
    out_->send(dst.iface, dst.next_hop, {outbuf_.data(), n});
}

// --- responses -------------------------------------------------------------------------------

void ProxyImpl::on_response(const sip::Message& msg, const sip::Validated& v,
                            const SipSource& src) noexcept {
    msg_ = &msg;
    v_ = &v;
    source_ = {src.src_ip, src.src_port};
    ListRef al(*this);
    if (txs_.on_response(msg, v, now_, *al) == ResponseVerdict::no_match) {
        if (msg.status_code() >= 200 && msg.status_code() < 300 && v.cseq.method == sip::Method::invite) {
            // A 2xx retransmitted after its client transaction ended: the ACK we forwarded got
            // lost, or the call is gone. Resend the ACK when the dialog is alive.
            LegFrom from{};
            const std::uint32_t di = dialogs_.find(v.call_id, v.from.tag, v.to.tag, from);
            if (di == kNil) orphan_2xx();
        }
        count(Counter::proxy_stray_response);
    }
    run(*al);
}

// --- dialog life -----------------------------------------------------------------------------

void ProxyImpl::arm_session(Dialog& d) noexcept {
    wheel_.cancel(d.session_timer);
    d.session_timer = {};
    if (d.session_expires_s == 0) return;
    // RFC 4028 §10: without a refresh within the interval the session is over.
    d.session_timer = wheel_.add(static_cast<std::uint64_t>(d.session_expires_s) * 1000u,
                                 kSessionTimer, cookie_of(index_of(d), d.generation));
}

void ProxyImpl::end_call(Dialog& d, CallEndReason why, std::uint16_t code) noexcept {
    // Every end goes through here: the slot is released exactly once (the token is cleared by
    // the release), one ended event, timers off, record freed.
    if (d.token.held() && env_->limits != nullptr && !env_->limits->release(d.token))
        count(Counter::proxy_double_release);
    wheel_.cancel(d.session_timer);
    wheel_.cancel(d.duration_timer);
    wheel_.cancel(d.ack_timer);
    if ((d.flags & kDialogStarted) != 0) {
        CallEvent ev;
        fill_event(ev, d, CallEventType::ended);
        make_ended(ev, why, code, to_event_us(env_->wall));
        out_->event(ev);
        count(Counter::proxy_ended);
    }
    free_setup(d);
    d.state = DialogState::ended;
    dialogs_.erase(index_of(d));
}

void ProxyImpl::send_bye(Dialog& d, bool to_callee) noexcept {
    DialogLeg& to = to_callee ? d.callee : d.caller;
    DialogLeg& other = to_callee ? d.caller : d.callee;
    const Endpoint me = us(to.iface);
    const std::string_view branch = txs_.make_branch(branch_buf_, 0);
    TextArena a(arena_buf_);
    std::string_view target = d.str(to.target);
    if (target.empty()) target = a.begin().add("sip:").ip(to.next_hop.ip).add(":").num(to.next_hop.port).end();
    const std::string_view via = a.begin().add("SIP/2.0/UDP ").ip(me.ip).add(":").num(me.port).add(";branch=").add(branch).add(";rport").end();
    // From is the other party as this side knows it; the tags make the dialog (§12.2.1.1).
    const std::string_view from_num = to_callee ? d.str(d.caller_number) : d.str(d.callee_number);
    const std::string_view to_num = to_callee ? d.str(d.callee_number) : d.str(d.caller_number);
    const std::string_view from_v = a.begin().add("<sip:").add(from_num).add("@").ip(me.ip).add(">;tag=").add(d.str(other.tag)).end();
    const std::string_view to_v = a.begin().add("<sip:").add(to_num).add("@").ip(me.ip).add(">;tag=").add(d.str(to.tag)).end();
    // The CSeq space of the side we speak for (§12.2.1.1: one more than its last request).
    other.cseq += 1;
    sip::Builder b(outbuf_);
    b.request_line(sip::Method::bye, target).header(sip::HeaderId::via, via).header(sip::HeaderId::max_forwards, "70");
    if (to.routes.len != 0) b.header(sip::HeaderId::route, d.str(to.routes));
    b.header(sip::HeaderId::from, from_v)
        .header(sip::HeaderId::to, to_v)
        .header(sip::HeaderId::call_id, d.str(d.call_id))
        .cseq(other.cseq, sip::Method::bye)
        .header(sip::HeaderId::reason, "SIP;text=\"Palisade ended the call\"");
    const std::size_t n = a.ok() ? b.finish() : 0;
    if (n == 0) {
        count(Counter::proxy_build_failed);
        return;
    }
    ListRef al(*this);
    const TxId c = txs_.forward(TxId{}, {outbuf_.data(), n}, sip::Method::bye, branch, to.next_hop, now_, *al, to.iface);
    set_aux(c, TxRole::originated, to.iface, kNil);
    count(Counter::proxy_bye_sent);
    run(*al);
}

void ProxyImpl::bye_both(Dialog& d) noexcept {
    send_bye(d, true);
    send_bye(d, false);
}

void ProxyImpl::on_dialog_timer(std::uint32_t kind, std::uint64_t cookie) noexcept {
    Dialog* d = dialogs_.get(static_cast<std::uint32_t>(cookie >> 32), static_cast<std::uint32_t>(cookie));
    if (d == nullptr || d->state != DialogState::confirmed) return;
    if (kind == kAckTimer) {
        d->ack_timer = {};
        if ((d->flags & kDialogAcked) != 0) return;
        count(Counter::proxy_ack_timeout);
        bye_both(*d);
        end_call(*d, CallEndReason::ack_timeout, 200);
    } else if (kind == kSessionTimer) {
        d->session_timer = {};
        count(Counter::proxy_session_expired);
        bye_both(*d);
        end_call(*d, CallEndReason::session_expired, 200);
    } else {
        d->duration_timer = {};
        count(Counter::proxy_max_duration);
        bye_both(*d);
        end_call(*d, CallEndReason::max_duration, 200);
    }
}

void ProxyImpl::advance() noexcept {
    msg_ = nullptr;
    v_ = nullptr;
    ListRef al(*this);
    txs_.advance(now_, *al);
    run(*al);
    wheel_.advance(now_, [&](TimerHandle, std::uint32_t kind, std::uint64_t cookie) {
        on_dialog_timer(kind, cookie);
    });
}

void ProxyImpl::shutdown() noexcept {
    for (std::uint32_t i = 0; i < dialogs_.capacity(); ++i) {
        Dialog& d = dialogs_[i];
        if (d.state == DialogState::free) continue;
        if (d.state == DialogState::confirmed) {
            bye_both(d);
            end_call(d, CallEndReason::shutdown, 200);
            continue;
        }
        // Ended first, so that the `cancelled` action finds no call to end a second time.
        const TxId server = d.server_tx;
        end_call(d, CallEndReason::shutdown, 487);
        ListRef al(*this);
        txs_.cancel(server, now_, *al);  // 487 to the caller, CANCEL downstream
        run(*al);
    }
}

ProxyStats ProxyImpl::stats() const noexcept {
    ProxyStats s;
    s.dialogs = dialogs_.size();
    s.transactions = txs_.size();
    s.memory_bytes = dialogs_.memory_bytes() + aux_.size() * sizeof(TxAux) +
                     setups_.size() * sizeof(Setup) +
                     static_cast<std::size_t>(txs_.capacity()) * (4096 + 264);
    return s;
}

// --- events ----------------------------------------------------------------------------------

void ProxyImpl::fill_event(CallEvent& ev, const Dialog& d, CallEventType type) noexcept {
    ev.type = type;
    ev.direction = d.direction;
    ev.account = d.account;
    ev.flags = d.event_flags;
    ev.worker = static_cast<std::uint16_t>(cfg_.worker);
    ev.trunk_index = d.trunk_index;
    ev.trunk_key = d.trunk_key;
    ev.set_call_id(d.str(d.call_id));
    ev.set_trunk_id(d.str(d.trunk_id));
    ev.set_caller(d.str(d.caller_number));
    ev.set_callee(d.str(d.callee_number));
    ev.time_us = to_event_us(env_->wall);
    ev.start_us = d.start_us;
    ev.answer_us = d.answer_us;
    ev.code = type == CallEventType::answered ? 200 : 0;
}

void ProxyImpl::emit(const Dialog& d, CallEventType type) noexcept {
    CallEvent ev;
    fill_event(ev, d, type);
    out_->event(ev);
}

void ProxyImpl::emit_failover(const Dialog& d, CallFailoverReason why, FailoverTarget to,
                              std::uint16_t code) noexcept {
    CallEvent ev;
    fill_event(ev, d, CallEventType::failover);
    ev.reason = static_cast<std::uint8_t>(why);
    ev.failover_to = static_cast<std::uint8_t>(to);
    ev.code = code;
    out_->event(ev);
}

void ProxyImpl::emit_refused(std::uint32_t trunk, CallDirection dir, CallAccount account,
                             CallRefuseReason why, std::uint16_t code, std::string_view caller,
                             std::string_view callee, std::uint16_t flags,
                             std::string_view call_id) noexcept {
    CallEvent ev;
    ev.type = CallEventType::refused;
    ev.direction = dir;
    ev.account = account;
    ev.reason = static_cast<std::uint8_t>(why);
    ev.code = code;
    ev.flags = flags;
    ev.worker = static_cast<std::uint16_t>(cfg_.worker);
    if (env_->snapshot != nullptr && trunk < env_->snapshot->trunk_count()) {
        ev.trunk_index = trunk;
        ev.trunk_key = env_->snapshot->trunk(trunk).limit_slot;
        ev.set_trunk_id(env_->snapshot->info(trunk).id);
    }
    ev.set_call_id(call_id);
    ev.set_caller(caller);
    ev.set_callee(callee);
    ev.time_us = to_event_us(env_->wall);
    ev.start_us = ev.time_us;
    out_->event(ev);
}

// --- Proxy -----------------------------------------------------------------------------------

Proxy::Proxy(const ProxyConfig& config) : impl_(std::make_unique<ProxyImpl>(config)) {}
Proxy::~Proxy() = default;

void Proxy::on_request(const sip::Message& msg, const sip::Validated& v, const SipSource& src,
                       std::uint16_t iface, ProxyEnv& env, ProxySink& out,
                       WorkerCounters& c) noexcept {
    impl_->enter(env, out, c, src.port_id);
    impl_->on_request(msg, v, src, iface);
}

void Proxy::on_response(const sip::Message& msg, const sip::Validated& v, const SipSource& src,
                        std::uint16_t /*iface*/, ProxyEnv& env, ProxySink& out,
                        WorkerCounters& c) noexcept {
    impl_->enter(env, out, c, src.port_id);
    impl_->on_response(msg, v, src);
}

void Proxy::advance(ProxyEnv& env, ProxySink& out, WorkerCounters& c) noexcept {
    impl_->enter(env, out, c, 0);
    impl_->advance();
}

void Proxy::shutdown(ProxyEnv& env, ProxySink& out, WorkerCounters& c) noexcept {
    impl_->enter(env, out, c, 0);
    impl_->shutdown();
}

ProxyStats Proxy::stats() const noexcept { return impl_->stats(); }

}  // namespace palisade::dp
