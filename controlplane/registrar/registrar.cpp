// The registrar: see registrar.hpp for the RFC 3261 §10.3 decisions.
#include "controlplane/registrar/registrar.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <ctime>

#include "controlplane/guard/auth_guard.hpp"
#include "parsers/sip/builder.hpp"
#include "parsers/sip/message.hpp"
#include "parsers/sip/scan.hpp"
#include "parsers/sip/validate.hpp"
#include "parsers/sip/values.hpp"

namespace palisade::cp {
namespace {

constexpr std::size_t kExtraMax = 7168;
constexpr std::array<sip::HashAlgorithm, 2> kDefaultAlgorithms{sip::HashAlgorithm::sha256,
                                                               sip::HashAlgorithm::md5};

// Appends to a fixed buffer; `ok` false once something did not fit.
struct Text {
    char* data;
    std::size_t cap;
    std::size_t n = 0;
    bool ok = true;
    void put(std::string_view s) noexcept {
        if (!ok || s.size() > cap - n) {
            ok = false;
            return;
        }
        std::memcpy(data + n, s.data(), s.size());
        n += s.size();
    }
    void put_uint(std::uint64_t v) noexcept {
        char d[20];
        std::size_t k = 0;
        do {
            d[k++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v != 0);
        char r[20];
        for (std::size_t i = 0; i < k; ++i) r[i] = d[k - 1 - i];
        put(std::string_view(r, k));
    }
    void put_ip(std::uint32_t ip) noexcept {
        for (int i = 3; i >= 0; --i) {
            put_uint((ip >> (8 * i)) & 0xffu);
            if (i != 0) put(".");
        }
    }
    [[nodiscard]] std::string_view view() const noexcept { return {data, n}; }
};

// The algorithms account `a` allows, in its order of preference, that have an HA1.
std::size_t account_algorithms(const dp::AccountSpec& a, sip::HashAlgorithm* out) noexcept {
    std::size_t n = 0;
    for (const dp::DigestAlgorithm alg : a.algorithms) {
        if (n == 2) break;
        if (alg == dp::DigestAlgorithm::md5 && a.ha1_md5.size() == sip::kMd5HexLen) out[n++] = sip::HashAlgorithm::md5;
        if (alg == dp::DigestAlgorithm::sha256 && a.ha1_sha256.size() == sip::kSha256HexLen)
            out[n++] = sip::HashAlgorithm::sha256;
    }
    return n;
}

const dp::AccountSpec* account_spec(const dp::PolicySnapshot& snap, dp::AccountRef ref) noexcept {
    if (ref.trunk == dp::kNoTrunk || ref.trunk >= snap.trunk_count()) return nullptr;
    const dp::TrunkInfo& info = snap.info(ref.trunk);
    return ref.role == dp::AccountRole::primary ? &info.primary : &info.secondary;
}

dp::LocationRole location_role(dp::AccountRole r) noexcept {
    return r == dp::AccountRole::primary ? dp::LocationRole::primary : dp::LocationRole::secondary;
}

// RFC 3261 §20.17 / RFC 1123 date, e.g. "Sat, 13 Nov 2010 23:29:00 GMT".
std::size_t format_date(std::uint64_t now_s, char* out, std::size_t cap) noexcept {
    const std::time_t t = static_cast<std::time_t>(now_s);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return std::strftime(out, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

// A To tag derived from the Call-ID: a retransmission gets the same tag.
std::size_t to_tag(std::string_view call_id, char* out) noexcept {
    const std::uint64_t h = dp::call_id_hash(call_id) ^ 0x9e3779b97f4a7c15ull;
    constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 16; ++i) out[i] = kHex[(h >> (60 - 4 * i)) & 0xf];
    return 16;
}

}  // namespace

struct Registrar::Request {
    const sip::Message& msg;
    const dp::RingMessage& in;
    Text extra;
    std::string_view phrase;
    std::uint32_t account = kNoIndex;  // BindingStore index, when known
};

Registrar::Registrar(dp::LocationTable& location, sip::NonceCountTable& counts, std::string_view nonce_secret)
    : location_(location), counts_(counts), nonces_(nonce_secret, 0xffff) {}

bool Registrar::publish(std::uint32_t a) {
    const AccountBindings& acc = store_.account(a);
    dp::LocationTable::ContactInput in[dp::kMaxContactsPerAccount];
    for (std::uint8_t i = 0; i < acc.count; ++i) {
        const Binding& b = store_.binding(acc.ids[i]);
        in[i] = dp::LocationTable::ContactInput{b.uri, b.ip, b.port, b.iface, b.contact_id, b.expires_at};
    }
    const std::span<const dp::LocationTable::ContactInput> contacts(in, acc.count);
    const bool ok = location_.set_contacts(acc.username, acc.trunk_key, acc.role, contacts);
    if (!ok) ++counters_.location_refused;
    // Keepalive follows the registrar's bindings even when the workers' table was full: the
    // contact is still registered (and answered 200), so it is probed.
    if (account_observer_) account_observer_(AccountEvent{acc.username, acc.trunk_key, acc.role, contacts});
    return ok;
}

void Registrar::notify(BindingChange change, std::uint32_t a, std::uint32_t id) {
    if (binding_observer_) binding_observer_(BindingEvent{change, store_.account(a).username, &store_.binding(id)});
}

void Registrar::drop(std::uint32_t id, BindingChange change) {
    notify(change, store_.binding(id).account, id);
    store_.remove(id);
}

int Registrar::process(Request& r, const dp::PolicySnapshot& snap, std::uint64_t now_s) {
    const sip::Message& msg = r.msg;
    const dp::SipSettings& sip = snap.sip();
    // RFC 3261 §8.2.1-§8.2.2 and §10.2.
    sip::Reason v = sip::validate_request(msg);
    if (v == sip::Reason::none) v = sip::validate_register(msg);
    if (v != sip::Reason::none) {
        r.phrase = sip::reason_text(v);
        return sip::status_for(v);
    }
    // §10.3 step 2: we support no extension a Require could name (RFC 3261 §8.2.2.3).
    if (msg.count(sip::HeaderId::require) != 0) {
        r.extra.put("Unsupported: ");
        bool first = true;
        for (std::string_view opt : msg.values(sip::HeaderId::require)) {
            if (!first) r.extra.put(", ");
            r.extra.put(opt);
            first = false;
        }
        r.extra.put("\r\n");
        r.phrase = "Bad Extension";
        return 420;
    }
    sip::NameAddr to;
    sip::parse_name_addr(msg.find(sip::HeaderId::to)->value, to);  // validated above
    const std::string_view aor_user = to.uri.user;
    // The snapshot's account search, cached per account and snapshot generation.
    const std::uint32_t aor_index = store_.find_account(aor_user);
    dp::AccountRef to_ref;
    if (aor_index != kNoIndex && store_.account(aor_index).cached_generation == snap.generation()) {
        const AccountBindings& ab = store_.account(aor_index);
        to_ref.trunk = ab.cached_trunk;
        to_ref.role = static_cast<dp::AccountRole>(ab.cached_role);
    } else {
        to_ref = snap.find_account(aor_user);
        if (aor_index != kNoIndex && to_ref.trunk != dp::kNoTrunk) {
            AccountBindings& ab = store_.account(aor_index);
            ab.cached_generation = snap.generation();
            ab.cached_trunk = to_ref.trunk;
            ab.cached_role = static_cast<std::uint8_t>(to_ref.role);
        }
    }
    const dp::AccountSpec* to_spec = account_spec(snap, to_ref);

    // §10.3 step 3: authentication (RFC 3261 §22.4). Only credentials for our realm count.
    const sip::DigestCredentials* creds = nullptr;
    sip::DigestCredentials parsed;
    for (const sip::HeaderField& f : msg.fields(sip::HeaderId::authorization)) {
        if (sip::parse_credentials(f.value, parsed) == sip::Reason::none && sip::iequals(parsed.scheme, "Digest") &&
            parsed.realm == sip.realm) {
            creds = &parsed;
            break;
        }
    }
    auto challenge = [&](const dp::AccountSpec* spec, bool stale) {
        sip::HashAlgorithm algs[2];
        std::size_t n = spec != nullptr ? account_algorithms(*spec, algs) : 0;
        std::span<const sip::HashAlgorithm> list(algs, n);
        if (n == 0) list = kDefaultAlgorithms;
        char nonce[sip::kNonceLen];
        nonces_.make(now_s, sip.nonce_lifetime_s, nonce, sizeof nonce);
        const std::size_t w = sip::build_challenges(false, sip.realm, list, std::string_view(nonce, sizeof nonce),
                                                   stale, std::span(r.extra.data + r.extra.n, r.extra.cap - r.extra.n));
        if (w == 0) r.extra.ok = false;
        r.extra.n += w;
        ++counters_.challenges;
        if (stale) ++counters_.stale;
        r.phrase = "Unauthorized";
        return 401;
    };
    if (creds == nullptr) return challenge(to_spec, false);

    // Usually the PBX authenticates as its own AOR: one account lookup, not two.
    const dp::AccountRef cred_ref = creds->username == aor_user ? to_ref : snap.find_account(creds->username);
    const dp::AccountSpec* cred_spec = account_spec(snap, cred_ref);
    AuthEvent ev;
    ev.ip = r.in.remote_ip;
    ev.port = r.in.remote_port;
    ev.username = creds->username;
    ev.now_s = now_s;
    // A refused answer: counted, reported, then a new challenge, or 403 once the guard has
    // seen this source or username fail repeatedly (DESIGN.md §4; the failure that blocks the
    // source gets 403 too, and its next packets nothing).
    auto refuse = [&](const dp::AccountSpec* spec) {
        ++counters_.auth_failures;
        if (observer_) observer_(ev);
        if (guard_ != nullptr) {
            guard_->on_auth_failure(ev.ip, ev.username, now_s);
            if (guard_->should_forbid(ev.ip, ev.username, now_s)) {
                r.phrase = "Forbidden";
                return 403;
            }
        }
        return challenge(spec, false);
    };
    if (cred_spec == nullptr) {
        ev.unknown_user = true;
        ev.verdict = sip::DigestVerdict::bad_response;
        return refuse(to_spec);
    }
    sip::DigestAccount da;
    for (const dp::DigestAlgorithm alg : cred_spec->algorithms) {
        if (alg == dp::DigestAlgorithm::md5) da.ha1_md5 = cred_spec->ha1_md5;
        if (alg == dp::DigestAlgorithm::sha256) da.ha1_sha256 = cred_spec->ha1_sha256;
    }
    const sip::DigestVerdict verdict =
        sip::verify_digest(*creds, msg.method_text(), sip.realm, da, nonces_, counts_, now_s);

    sip::CSeq cseq;
    sip::parse_cseq(msg.find(sip::HeaderId::cseq)->value, cseq);
    const std::string_view call_id = msg.find(sip::HeaderId::call_id)->value;
    const std::uint32_t acc_index = creds->username == aor_user ? aor_index : store_.find_account(creds->username);
    // A retransmission: the account holds a binding written by this very request.
    auto is_retransmission = [&] {
        if (acc_index == kNoIndex) return false;
        const AccountBindings& acc = store_.account(acc_index);
        for (std::uint8_t i = 0; i < acc.count; ++i) {
            const Binding& b = store_.binding(acc.ids[i]);
            if (b.call_id == call_id && b.cseq == cseq.number) return true;
        }
        return false;
    };
    auto ok_with_bindings = [&](std::uint32_t a) {
        // The Date text changes once a second: formatted then, not per 200 (gmtime_r and
        // strftime were ~1% of a REGISTER).
        if (now_s != date_s_ || date_len_ == 0) {
            date_len_ = format_date(now_s, date_, sizeof date_);
            date_s_ = now_s;
        }
        if (a != kNoIndex) {
            const AccountBindings& acc = store_.account(a);
            for (std::uint8_t i = 0; i < acc.count; ++i) {
                const Binding& b = store_.binding(acc.ids[i]);
                r.extra.put("Contact: <");
                r.extra.put(b.uri);
                r.extra.put(">;expires=");
                r.extra.put_uint(b.expires_at > now_s ? b.expires_at - now_s : 0);
                r.extra.put("\r\n");
            }
        }
        r.extra.put("Date: ");
        r.extra.put(std::string_view(date_, date_len_));
        r.extra.put("\r\n");
        r.phrase = "OK";
        return 200;
    };

    if (verdict != sip::DigestVerdict::ok) {
        if (verdict == sip::DigestVerdict::nc_refused && is_retransmission()) {
            ++counters_.retransmissions;
            return ok_with_bindings(acc_index);
        }
        const bool stale = verdict == sip::DigestVerdict::stale_nonce || verdict == sip::DigestVerdict::nc_refused;
        if (!stale) {
            ev.verdict = verdict;
            return refuse(cred_spec);
        }
        return challenge(cred_spec, true);
    }
    ev.success = true;
    if (observer_) observer_(ev);
    if (guard_ != nullptr) guard_->on_auth_success(ev.ip, ev.username, now_s);

    // §10.3 step 5, then 4 (see the header): the AOR must be an account, and this one.
    if (to_spec == nullptr) {
        r.phrase = "Not Found";
        return 404;
    }
    if (aor_user != creds->username) {
        r.phrase = "Forbidden";
        return 403;
    }

    // §10.3 step 6: the contacts, all checked before anything changes.
    std::int64_t header_expires = -1;
    if (const sip::HeaderField* e = msg.find(sip::HeaderId::expires)) {
        std::uint32_t x = 0;
        if (sip::parse_uint32(e->value, x) != sip::Reason::none) {
            r.phrase = "Bad Expires";
            return 400;
        }
        header_expires = x;
    }
    struct Planned {
        std::string_view uri;
        std::uint32_t expires;
        std::uint32_t existing;
    };
    Planned plan[dp::kMaxContactsPerAccount + 1];
    std::size_t planned = 0;
    bool star = false;
    std::size_t values = 0;
    const std::uint32_t a_existing = aor_index;
    const AccountBindings* acc = a_existing == kNoIndex ? nullptr : &store_.account(a_existing);
    for (std::string_view cv : msg.values(sip::HeaderId::contact)) {
        ++values;
        sip::ContactValue c;
        if (sip::parse_contact(cv, c) != sip::Reason::none) {
            r.phrase = "Bad Contact";
            return 400;
        }
        if (c.star) {
            star = true;
            continue;
        }
        std::uint64_t ex = c.expires >= 0 ? static_cast<std::uint64_t>(c.expires)
                                          : header_expires >= 0 ? static_cast<std::uint64_t>(header_expires)
                                                                : sip.register_expires_default_s;
        if (ex != 0 && ex < sip.register_expires_min_s) {
            r.extra.put("Min-Expires: ");
            r.extra.put_uint(sip.register_expires_min_s);
            r.extra.put("\r\n");
            r.phrase = "Interval Too Brief";
            return 423;
        }
        if (ex > sip.register_expires_max_s) ex = sip.register_expires_max_s;
        const std::string_view uri = c.addr.uri_text;
        if (uri.empty() || uri.size() > dp::kMaxContactUri) {
            r.phrase = "Bad Contact";
            return 400;
        }
        std::uint32_t existing = kNoIndex;
        if (acc != nullptr)
            for (std::uint8_t i = 0; i < acc->count; ++i)
                if (store_.binding(acc->ids[i]).uri == uri) existing = acc->ids[i];
        bool dup = false;
        for (std::size_t i = 0; i < planned; ++i)
            if (plan[i].uri == uri) {  // the last one listed wins
                plan[i].expires = static_cast<std::uint32_t>(ex);
                dup = true;
            }
        if (dup) continue;
        if (planned == dp::kMaxContactsPerAccount) {
            r.phrase = "Too Many Contacts";
            return 403;
        }
        plan[planned++] = Planned{uri, static_cast<std::uint32_t>(ex), existing};
    }
    if (star && (values != 1 || header_expires != 0)) {
        r.phrase = "Invalid Wildcard";  // RFC 3261 §10.3 step 6
        return 400;
    }
    // §10.3 steps 6 and 7: Call-ID and CSeq ordering per binding.
    auto order_check = [&](const Binding& b) -> int {
        if (b.call_id != call_id) return 0;
        if (cseq.number > b.cseq) return 0;
        return cseq.number == b.cseq ? 1 : -1;  // 1: retransmission, -1: out of order
    };
    if (star) {
        if (acc != nullptr)
            for (std::uint8_t i = 0; i < acc->count; ++i) {
                const int o = order_check(store_.binding(acc->ids[i]));
                if (o > 0) {
                    ++counters_.retransmissions;
                    return ok_with_bindings(a_existing);
                }
                if (o < 0) {
                    r.phrase = "Invalid CSeq";
                    return 400;
                }
            }
    }
    std::size_t after = acc == nullptr ? 0 : acc->count;
    for (std::size_t i = 0; i < planned; ++i) {
        if (plan[i].existing != kNoIndex) {
            const int o = order_check(store_.binding(plan[i].existing));
            if (o > 0) {
                ++counters_.retransmissions;
                return ok_with_bindings(a_existing);
            }
            if (o < 0) {
                r.phrase = "Invalid CSeq";
                return 400;
            }
            if (plan[i].expires == 0) --after;
        } else if (plan[i].expires != 0) {
            ++after;
        }
    }
    if (!star && after > dp::kMaxContactsPerAccount) {
        r.phrase = "Too Many Contacts";
        return 403;
    }

    // Apply.
    const std::uint32_t trunk_key = snap.trunk(to_ref.trunk).limit_slot;
    const std::uint32_t a = store_.upsert_account(aor_user, trunk_key, location_role(to_ref.role));
    bool changed = false;
    std::uint32_t expiry_only[dp::kMaxContactsPerAccount + 1];
    std::size_t expiry_count = 0;
    if (star) {
        AccountBindings& ab = store_.account(a);
        while (ab.count > 0) {
            drop(ab.ids[ab.count - 1], BindingChange::removed);
            ++counters_.bindings_removed;
            changed = true;
        }
    }
    for (std::size_t i = 0; i < planned; ++i) {
        const Planned& p = plan[i];
        if (p.existing != kNoIndex) {
            if (p.expires == 0) {
                drop(p.existing, BindingChange::removed);
                ++counters_.bindings_removed;
            } else {
                Binding& b = store_.binding(p.existing);
                b.call_id.assign(call_id);
                b.cseq = cseq.number;
                if (b.ip != r.in.remote_ip || b.port != r.in.remote_port || b.iface != r.in.port) {
                    b.ip = r.in.remote_ip;
                    b.port = r.in.remote_port;
                    b.iface = r.in.port;
                    changed = true;
                } else {
                    expiry_only[expiry_count++] = p.existing;
                }
                store_.set_expiry(p.existing, now_s + p.expires);
                ++counters_.bindings_refreshed;
                notify(BindingChange::refreshed, a, p.existing);
                continue;
            }
            changed = true;
        } else if (p.expires != 0) {
            BindingData d;
            d.uri.assign(p.uri);
            d.call_id.assign(call_id);
            d.cseq = cseq.number;
            d.expires_at = now_s + p.expires;
            d.ip = r.in.remote_ip;
            d.port = r.in.remote_port;
            d.iface = r.in.port;
            notify(BindingChange::added, a, store_.add(a, std::move(d)));
            ++counters_.bindings_added;
            changed = true;
        }
    }
    if (changed) {
        publish(a);
    } else {
        // Only expiries moved: update them in place, no new record (the common refresh).
        for (std::size_t i = 0; i < expiry_count; ++i) {
            const Binding& b = store_.binding(expiry_only[i]);
            if (!location_.set_expiry(aor_user, b.contact_id, b.expires_at)) publish(a);
        }
    }
    return ok_with_bindings(a);
}

bool Registrar::handle(const dp::RingMessage& in, const dp::PolicySnapshot& snap, std::uint64_t now_s,
                       dp::RingMessage& reply) {
    if (in.kind != dp::RingKind::sip_register) {
        ++counters_.dropped_not_register;
        return false;
    }
    ++counters_.received;
    // Brute-force protection: a blocked source gets nothing (workers drop it too).
    if (location_.is_blocked(in.remote_ip, now_s)) {
        ++counters_.dropped_blocked;
        return false;
    }
    sip::Message msg;
    if (msg.parse(in.text()) != sip::ParseStatus::ok || !msg.is_request() ||
        msg.find(sip::HeaderId::via) == nullptr) {
        ++counters_.dropped_unparsable;
        return false;
    }
    if (msg.method() != sip::Method::register_) {
        ++counters_.dropped_not_register;
        return false;
    }
    char extra[kExtraMax];
    Request r{msg, in, Text{extra, sizeof extra}, {}, kNoIndex};
    int code = process(r, snap, now_s);
    if (!r.extra.ok) {  // a reply we cannot fit: say so rather than send half of it
        r.extra.n = 0;
        r.extra.ok = true;
        code = 500;
        r.phrase = "Server Internal Error";
    }
    switch (code) {
    case 200: ++counters_.r200; break;
    case 400: ++counters_.r400; break;
    case 401: ++counters_.r401; break;
    case 403: ++counters_.r403; break;
    case 404: ++counters_.r404; break;
    case 420: ++counters_.r420; break;
    case 423: ++counters_.r423; break;
    default: if (code >= 500) ++counters_.r5xx; break;
    }

    // The response (RFC 3261 §8.2.6.2), built like sip::build_response, with RFC 3581 §4
    // received= and rport= added to the top Via when it asked for rport.
    sip::Builder b(std::span<char>(reply.payload, dp::kRingPayloadMax));
    b.status_line(code, r.phrase);
    bool first_via = true;
    for (const sip::HeaderField& f : msg.fields(sip::HeaderId::via)) {
        if (!first_via) {
            b.raw(f.line);
            continue;
        }
        first_via = false;
        std::string_view top_value;
        for (std::string_view v : msg.values(sip::HeaderId::via)) {
            top_value = v;
            break;
        }
        sip::Via via;
        if (!top_value.empty() && sip::parse_via(top_value, via) == sip::Reason::none && via.has_rport &&
            via.rport < 0) {
            const auto end = static_cast<std::size_t>(top_value.data() + top_value.size() - f.line.data());
            char params[64];
            Text t{params, sizeof params};
            if (via.received.empty()) {
                t.put(";received=");
                t.put_ip(in.remote_ip);
            }
            t.put(";rport=");
            t.put_uint(in.remote_port);
            // The valueless ";rport" is dropped and ";rport=N" appended after the value
            // (RFC 3581 §4: the response carries the port in the rport parameter).
            const std::string_view head = f.line.substr(0, end);
            const std::size_t rp = head.rfind(";rport");
            if (rp != std::string_view::npos &&
                (rp + 6 == head.size() || head[rp + 6] == ';' || head[rp + 6] == ' ' || head[rp + 6] == '\t')) {
                b.raw(head.substr(0, rp)).raw(head.substr(rp + 6));
            } else {
                b.raw(head);
            }
            b.raw(t.view()).raw(f.line.substr(end));
        } else {
            b.raw(f.line);
        }
    }
    if (const sip::HeaderField* f = msg.find(sip::HeaderId::from)) b.raw(f->line);
    const sip::HeaderField* call_id = msg.find(sip::HeaderId::call_id);
    if (const sip::HeaderField* f = msg.find(sip::HeaderId::to)) {
        sip::NameAddr to{};
        if (call_id != nullptr && sip::parse_name_addr(f->value, to) == sip::Reason::none && to.tag.empty()) {
            char tag[16];
            to_tag(call_id->value, tag);
            const auto value_end = static_cast<std::size_t>(f->value.data() + f->value.size() - f->line.data());
            b.raw(f->line.substr(0, value_end)).raw(";tag=").raw(std::string_view(tag, 16)).raw("\r\n");
        } else {
            b.raw(f->line);
        }
    }
    if (call_id != nullptr) b.raw(call_id->line);
    if (const sip::HeaderField* f = msg.find(sip::HeaderId::cseq)) b.raw(f->line);
    b.raw(r.extra.view());
    const std::size_t size = b.finish();
    location_.reclaim();
    if (size == 0) {
        ++counters_.reply_too_large;
        return false;
    }
    reply.kind = dp::RingKind::inject_sip;
    reply.port = in.port;
    reply.worker = in.worker;
    reply.flags = 0;
    reply.remote_ip = in.remote_ip;      // RFC 3581 §4: to the source, whatever Via says
    reply.remote_port = in.remote_port;
    reply.local_ip = in.local_ip;
    reply.local_port = in.local_port;
    reply.length = static_cast<std::uint32_t>(size);
    reply.rx_tsc = 0;
    reply.cookie = in.cookie;
    return true;
}

std::size_t Registrar::expire(std::uint64_t now_s) {
    std::size_t removed = 0;
    dirty_.clear();
    for (std::uint32_t id = store_.expired(now_s); id != kNoIndex; id = store_.expired(now_s)) {
        const std::uint32_t a = store_.binding(id).account;
        drop(id, BindingChange::expired);
        ++removed;
        if (dirty_.empty() || dirty_.back() != a) dirty_.push_back(a);
    }
    std::sort(dirty_.begin(), dirty_.end());
    dirty_.erase(std::unique(dirty_.begin(), dirty_.end()), dirty_.end());
    for (const std::uint32_t a : dirty_) publish(a);
    counters_.bindings_expired += removed;
    location_.reclaim();
    return removed;
}

void Registrar::reconcile(const dp::PolicySnapshot& snap) {
    for (std::uint32_t a = 0; a < store_.account_count(); ++a) {
        AccountBindings& acc = store_.account(a);
        if (acc.count == 0) continue;
        const dp::AccountRef ref = snap.find_account(acc.username);
        if (ref.trunk == dp::kNoTrunk) {
            while (acc.count > 0) {
                drop(acc.ids[acc.count - 1], BindingChange::removed);
                ++counters_.bindings_removed;
            }
            publish(a);
            continue;
        }
        const std::uint32_t key = snap.trunk(ref.trunk).limit_slot;
        if (key != acc.trunk_key || location_role(ref.role) != acc.role) {
            acc.trunk_key = key;
            acc.role = location_role(ref.role);
            publish(a);
        }
    }
    location_.reclaim();
}

bool Registrar::restore(const dp::PolicySnapshot& snap, std::string_view username, const BindingData& b) {
    const std::uint32_t a = stage(snap, username, BindingData(b), false);
    if (a == kNoIndex) return false;
    // Published at once: take it off the staged list (it is the last one, or was staged before).
    AccountBindings& acc = store_.account(a);
    if (acc.staged) {
        acc.staged = false;
        std::erase(staged_, a);
    }
    return publish(a);
}

bool Registrar::stage_restore(const dp::PolicySnapshot& snap, std::string_view username, BindingData&& b) {
    return stage(snap, username, std::move(b), true) != kNoIndex;
}

std::uint32_t Registrar::stage(const dp::PolicySnapshot& snap, std::string_view username, BindingData&& b,
                               bool defer_heap) {
    if (b.uri.empty() || b.uri.size() > dp::kMaxContactUri) return kNoIndex;
    std::uint32_t a = staged_last_;
    if (a == kNoIndex || staged_generation_ != snap.generation() || store_.account(a).username != username) {
        const dp::AccountRef ref = snap.find_account(username);
        if (ref.trunk == dp::kNoTrunk) return kNoIndex;
        a = store_.upsert_account(username, snap.trunk(ref.trunk).limit_slot, location_role(ref.role));
        staged_last_ = a;
        staged_generation_ = snap.generation();
    }
    AccountBindings& acc = store_.account(a);
    for (std::uint8_t i = 0; i < acc.count; ++i)
        if (store_.binding(acc.ids[i]).uri == b.uri) return kNoIndex;
    if (acc.count == dp::kMaxContactsPerAccount) return kNoIndex;
    store_.add(a, std::move(b), defer_heap);
    if (defer_heap && !acc.staged) {
        acc.staged = true;
        staged_.push_back(a);
    }
    return a;
}

std::size_t Registrar::publish_staged() {
    store_.rebuild_heap();
    std::size_t n = 0;
    for (const std::uint32_t a : staged_) {
        store_.account(a).staged = false;
        publish(a);
        ++n;
        // Records replaced during a restore (none unless an account was staged twice) are
        // freed as we go rather than piling up.
        if ((n & 0xffff) == 0) location_.reclaim();
    }
    staged_.clear();
    location_.reclaim();
    return n;
}

}  // namespace palisade::cp
