// The checks a worker runs on a new call (issue 6 points 3 and 4, DESIGN.md §4). See
// call_checks.hpp for every contract and docs/call_checks.md for the decisions.
#include "dataplane/sip/call_checks.hpp"

#include <algorithm>
#include <atomic>
#include <utility>

#include "parsers/sdp/filter.hpp"
#include "parsers/sdp/sdp.hpp"
#include "parsers/sip/digest.hpp"
#include "parsers/sip/scan.hpp"
#include "parsers/sip/values.hpp"

namespace palisade::dp {

// ---- AuthFailureTable ----

std::uint32_t AuthFailureTable::record_failure(std::uint32_t ip, std::uint64_t now_s) noexcept {
    Entry* set = &entries_[set_of(ip) * kWays];
    Entry* victim = &set[0];
    for (std::size_t w = 0; w < kWays; ++w) {
        Entry& e = set[w];
        if (e.count != 0 && e.ip == ip) {
            if (now_s >= e.since_s + policy_.window_s) {  // window over: a new one starts
                e.since_s = now_s;
                e.count = 0;
            }
            if (e.count != 0xffff'ffffu) ++e.count;
            return e.count;
        }
        // Prefer a free way, else the oldest window.
        if (victim->count != 0 && (e.count == 0 || e.since_s < victim->since_s)) victim = &e;
    }
    victim->ip = ip;
    victim->count = 1;
    victim->since_s = now_s;
    return 1;
}

std::uint32_t AuthFailureTable::failures(std::uint32_t ip, std::uint64_t now_s) const noexcept {
    const Entry* set = &entries_[set_of(ip) * kWays];
    for (std::size_t w = 0; w < kWays; ++w) {
        const Entry& e = set[w];
        if (e.count != 0 && e.ip == ip) return now_s >= e.since_s + policy_.window_s ? 0 : e.count;
    }
    return 0;
}

void AuthFailureTable::record_success(std::uint32_t ip) noexcept {
    Entry* set = &entries_[set_of(ip) * kWays];
    for (std::size_t w = 0; w < kWays; ++w)
        if (set[w].count != 0 && set[w].ip == ip) set[w].count = 0;
}

namespace {

using sip::HeaderField;
using sip::HeaderId;

// Bump allocation over the caller's scratch: every text an edit or a response header needs.
struct Bump {
    std::span<char> buf;
    std::size_t used = 0;
    bool ok = true;

    // Appends `s` to the text being built since `start`.
    void put(std::string_view s) noexcept {
        if (!ok || s.size() > buf.size() - used) {
            ok = false;
            return;
        }
        std::copy(s.begin(), s.end(), buf.data() + used);
        used += s.size();
    }
    void put_uint(std::uint64_t v) noexcept {
        char d[20];
        std::size_t n = 0;
        do {
            d[n++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v != 0);
        char r[20];
        for (std::size_t i = 0; i < n; ++i) r[i] = d[n - 1 - i];
        put(std::string_view(r, n));
    }
    [[nodiscard]] std::string_view since(std::size_t start) const noexcept {
        return std::string_view(buf.data() + start, used - start);
    }
    [[nodiscard]] std::span<char> rest() noexcept { return buf.subspan(used); }
};

constexpr std::string_view phrase_of(std::uint16_t code) noexcept {
    switch (code) {
        case 400: return "Bad Request";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 407: return "Proxy Authentication Required";
        case 420: return "Bad Extension";
        case 422: return "Session Interval Too Small";
        case 480: return "Temporarily Unavailable";
        case 483: return "Too Many Hops";
        case 484: return "Address Incomplete";
        case 488: return "Not Acceptable Here";
        case 500: return "Server Internal Error";
        case 503: return "Service Unavailable";
        default: return "Refused";
    }
}

// The user part of the first value of `id` that parses as a name-addr with a user, else empty
// (a sip: URI's user, or a tel: URI's number: RFC 3325 §9.1 allows one of each in PAI).
// Remote-Party-ID values for the called party (;party=called) are not the caller.
std::string_view identity_user(const sip::Message& msg, HeaderId id) noexcept {
    if (msg.find(id) == nullptr) return {};
    for (std::string_view value : msg.values(id)) {
        sip::NameAddr na;
        if (sip::parse_name_addr(value, na) != sip::Reason::none || na.uri.user.empty()) continue;
        if (id == HeaderId::remote_party_id) {
            sip::Param party;
            if (sip::find_param(na.params, "party", party) && sip::iequals(party.value, "called")) continue;
        }
        return na.uri.user;
    }
    return {};
}

// The first Proxy-Authorization field with Digest credentials for our realm (RFC 3261 §22.3:
// credentials for other realms belong to other proxies and are left alone).
const HeaderField* find_credentials(const sip::Message& msg, std::string_view realm,
                                    sip::DigestCredentials& out) noexcept {
    for (const HeaderField& f : msg.fields(HeaderId::proxy_authorization)) {
        if (sip::parse_credentials(f.value, out) == sip::Reason::none &&
            sip::iequals(out.scheme, "Digest") && out.realm == realm)
            return &f;
    }
    return nullptr;
}

constexpr sip::HashAlgorithm kDefaultAlgorithms[2] = {sip::HashAlgorithm::sha256,
                                                      sip::HashAlgorithm::md5};

// The algorithms `a` allows, in its order of preference, those with a usable HA1 only (the
// registrar's rule). Appends to out[n..2) without duplicates; returns the new n.
std::size_t add_algorithms(const AccountSpec& a, sip::HashAlgorithm (&out)[2], std::size_t n) noexcept {
    for (const DigestAlgorithm alg : a.algorithms) {
        sip::HashAlgorithm h;
        if (alg == DigestAlgorithm::md5 && a.ha1_md5.size() == sip::kMd5HexLen)
            h = sip::HashAlgorithm::md5;
        else if (alg == DigestAlgorithm::sha256 && a.ha1_sha256.size() == sip::kSha256HexLen)
            h = sip::HashAlgorithm::sha256;
        else
            continue;
        bool dup = false;
        for (std::size_t i = 0; i < n; ++i) dup = dup || out[i] == h;
        if (!dup && n < 2) out[n++] = h;
    }
    return n;
}

const AccountSpec* account_spec(const PolicySnapshot& snap, AccountRef ref) noexcept {
    if (ref.trunk == kNoTrunk || ref.trunk >= snap.trunk_count()) return nullptr;
    const TrunkInfo& info = snap.info(ref.trunk);
    return ref.role == AccountRole::primary ? &info.primary : &info.secondary;
}

// Process-wide nonce ids for contexts without a CheckState (tests, tools): issuer 0xfffe.
std::atomic<std::uint64_t> g_fallback_nonce_counter{0};

std::uint64_t next_nonce_id(CheckContext& ctx) noexcept {
    if (ctx.state != nullptr) return ctx.state->next_nonce_id();
    const std::uint64_t c = g_fallback_nonce_counter.fetch_add(1, std::memory_order_relaxed) + 1;
    return std::uint64_t{0xfffe} << 48 | (c & 0xffff'ffff'ffffull);
}

// Finishes a refusal: gives back what the admission took first (no slot leaks, and DESIGN.md §4:
// a call that is not forwarded does not count against hour/day/week; its attempt does), sets
// code, phrase, reason.
void refuse(OutboundCheck& r, CheckContext& ctx, std::uint16_t code, CallRefuseReason reason) noexcept {
    if (r.decision.token.held() && ctx.limits != nullptr) ctx.limits->unadmit(r.decision.token);
    r.counted = false;
    r.code = code;
    r.phrase = phrase_of(code);
    r.reason = reason;
}

// One `Name: value\r\n` line into the bump.
std::string_view header_line(Bump& b, std::string_view name, std::uint64_t value) noexcept {
    const std::size_t start = b.used;
    b.put(name);
    b.put(": ");
    b.put_uint(value);
    b.put("\r\n");
    return b.ok ? b.since(start) : std::string_view{};
}

// The worker's SDP view (about 12 KB: kept per thread, never on a small stack, never allocated
// per message).
thread_local sdp::Sdp t_sdp;

}  // namespace

// ---- 100rel (RFC 3262) ----

bool requires_100rel(const sip::Message& msg) noexcept {
    return msg.find(HeaderId::require) != nullptr && sip::has_token(msg, HeaderId::require, "100rel");
}

namespace {
// strip_100rel over the bump, so that check_outbound_invite keeps its texts and goes on after them.
bool strip_100rel_into(const sip::Message& msg, Bump& b, sip::EditList& edits) noexcept {
    if (msg.find(HeaderId::supported) == nullptr) return true;
    for (const HeaderField& f : msg.fields(HeaderId::supported)) {
        if (!sip::has_token(f.value, "100rel")) continue;
        // Rebuild the option-tag list without 100rel (RFC 3261 §20.37: option-tags, commas).
        const std::size_t start = b.used;
        std::string_view rest = f.value;
        while (!rest.empty()) {
            const std::size_t comma = rest.find(',');
            const std::string_view tag = sip::trim(rest.substr(0, comma));
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            if (tag.empty() || sip::iequals(tag, "100rel")) continue;
            if (b.used != start) b.put(", ");
            b.put(tag);
        }
        if (!b.ok) return false;
        // A list left empty: the whole field goes (an empty Supported is legal but pointless).
        const bool recorded = b.used == start ? edits.remove_field(f) : edits.replace(f.value, b.since(start));
        if (!recorded) return false;
    }
    return true;
}
}  // namespace

bool strip_100rel(const sip::Message& msg, std::span<char> scratch, sip::EditList& edits) noexcept {
    Bump b{scratch};
    return strip_100rel_into(msg, b, edits);
}

// ---- SDP ----

SdpVerdict filter_sdp(const sip::Message& msg, std::span<char> scratch, sip::EditList& edits) noexcept {
    const std::string_view body = msg.body();
    if (body.empty()) return SdpVerdict::no_sdp;
    const HeaderField* ct = msg.find(HeaderId::content_type);
    if (ct == nullptr) return SdpVerdict::no_sdp;
    sip::MediaType mt;
    if (sip::parse_media_type(ct->value, mt) != sip::Reason::none || !mt.is("application", "sdp"))
        return SdpVerdict::no_sdp;
    // A compressed body cannot be filtered in place (RFC 3261 §20.12); nobody sends one.
    if (msg.find(HeaderId::content_encoding) != nullptr) return SdpVerdict::malformed;
    sdp::Sdp& s = t_sdp;
    if (s.parse(body) != sdp::Reason::none) return SdpVerdict::malformed;
    // filter_codecs rejects every m=image stream (T.38) with port 0 and every audio stream left
    // without PCMA/PCMU, so offers_t38 needs no branch of its own here.
    const sdp::FilterResult fr = sdp::filter_codecs(s, edits, scratch);
    if (fr.reason != sdp::Reason::none) return SdpVerdict::no_space;
    if (fr.usable_audio == 0) return SdpVerdict::no_audio;
    return fr.edits == 0 ? SdpVerdict::unchanged : SdpVerdict::filtered;
}

// ---- Privacy (RFC 3323, RFC 3325) ----

bool privacy_edits(const sip::Message& msg, std::span<char> scratch, sip::EditList& edits) noexcept {
    if (msg.find(HeaderId::privacy) == nullptr) return true;
    const bool hide = sip::has_token(msg, HeaderId::privacy, "id") ||
                      sip::has_token(msg, HeaderId::privacy, "user") ||
                      sip::has_token(msg, HeaderId::privacy, "header");
    if (!hide) return true;
    // RFC 3325 §9.1: towards an untrusted element the asserted identity is removed.
    for (HeaderId id : {HeaderId::p_asserted_identity, HeaderId::remote_party_id, HeaderId::p_preferred_identity})
        for (const HeaderField& f : msg.fields(id))
            if (!edits.remove_field(f)) return false;
    // RFC 3323 §4.1.1.3: an anonymous From, its tag kept (the dialog needs it).
    const HeaderField* from = msg.find(HeaderId::from);
    if (from == nullptr) return true;
    sip::NameAddr na;
    if (sip::parse_name_addr(from->value, na) != sip::Reason::none) return false;
    Bump b{scratch};
    b.put("\"Anonymous\" <sip:anonymous@anonymous.invalid>");
    if (!na.tag.empty()) {
        b.put(";tag=");
        b.put(na.tag);
    }
    if (!b.ok) return false;
    return edits.replace(from->value, b.since(0));
}

// ---- outbound ----

OutboundCheck check_outbound_invite(const sip::Message& msg, const sip::Validated& v,
                                    std::uint32_t source_ip, CheckContext& ctx,
                                    std::span<char> scratch, sip::EditList& edits) noexcept {
    OutboundCheck r;
    const PolicySnapshot& snap = *ctx.snapshot;
    const SipSettings& sip_cfg = snap.sip();
    const std::uint64_t now_s = ctx.now.seconds();
    Bump b{scratch};

    r.callee = v.request_uri.user;
    const std::string_view pai = identity_user(msg, HeaderId::p_asserted_identity);
    const std::string_view rpid = pai.empty() ? identity_user(msg, HeaderId::remote_party_id) : std::string_view{};
    r.caller = !pai.empty() ? pai : !rpid.empty() ? rpid : v.from.uri.user;

    // ---- 1. digest (RFC 3261 §22.3, RFC 7616, RFC 8760) ----
    sip::DigestCredentials creds;
    const HeaderField* auth = find_credentials(msg, sip_cfg.realm, creds);
    AccountRef ref;
    const AccountSpec* spec = nullptr;
    if (auth != nullptr) {
        ref = snap.find_account(creds.username);
        spec = account_spec(snap, ref);
        r.decision.trunk = ref.trunk;
        r.account = ref.role;
        r.auth_username = creds.username;
    }
    // The control plane's verdict first: a blocked source costs no hashing.
    if (ctx.location != nullptr && ctx.location->is_blocked(source_ip, now_s)) {
        refuse(r, ctx, 403, CallRefuseReason::auth_failed);
        return r;
    }
    AuthFailureTable* failures = ctx.state != nullptr ? &ctx.state->failures : nullptr;

    // Answers 407 with a fresh challenge, or 403 when the source failed too often.
    auto challenge = [&](const AccountSpec* for_spec, bool stale) {
        if (!stale && failures != nullptr && failures->over_limit(source_ip, now_s)) {
            refuse(r, ctx, 403, CallRefuseReason::auth_failed);
            return;
        }
        sip::HashAlgorithm algs[2];
        std::size_t n = 0;
        if (for_spec != nullptr) {
            n = add_algorithms(*for_spec, algs, 0);
        } else {
            // No credentials, or an unknown username: the challenge cannot depend on the
            // username (probing). When the source belongs to exactly one trunk, offer what its
            // accounts allow, so that an MD5-only PBX is not offered SHA-256 first; else the
            // default (SHA-256, then MD5).
            const std::span<const std::uint32_t> trunks = trunks_for_source(snap, source_ip);
            if (trunks.size() == 1 && trunks[0] < snap.trunk_count()) {
                const TrunkInfo& info = snap.info(trunks[0]);
                n = add_algorithms(info.primary, algs, 0);
                n = add_algorithms(info.secondary, algs, n);
            }
        }
        std::span<const sip::HashAlgorithm> list(algs, n);
        if (n == 0) list = kDefaultAlgorithms;
        char nonce[sip::kNonceLen];
        const auto expiry = static_cast<std::uint32_t>(now_s + sip_cfg.nonce_lifetime_s);
        if (ctx.nonces == nullptr ||
            ctx.nonces->make_with_id(expiry, next_nonce_id(ctx), nonce, sizeof nonce) != sip::kNonceLen) {
            refuse(r, ctx, 500, CallRefuseReason::internal_error);
            return;
        }
        const std::size_t w = sip::build_challenges(true, sip_cfg.realm, list,
                                                    std::string_view(nonce, sizeof nonce), stale, b.rest());
        if (w == 0) {
            refuse(r, ctx, 500, CallRefuseReason::internal_error);
            return;
        }
        r.response_headers = std::string_view(b.buf.data() + b.used, w);
        b.used += w;
        r.code = 407;
        r.phrase = phrase_of(407);
        r.reason = CallRefuseReason::admitted;  // not a refusal: no call event
    };

    if (auth == nullptr) {
        challenge(nullptr, false);
        return r;
    }
    if (spec == nullptr) {
        // Unknown username: a failure, answered exactly like a known one with no credentials.
        r.digest_failure = true;
        if (failures != nullptr) failures->record_failure(source_ip, now_s);
        challenge(nullptr, false);
        return r;
    }
    sip::DigestAccount da;
    for (const DigestAlgorithm alg : spec->algorithms) {
        if (alg == DigestAlgorithm::md5) da.ha1_md5 = spec->ha1_md5;
        if (alg == DigestAlgorithm::sha256) da.ha1_sha256 = spec->ha1_sha256;
    }
    const sip::DigestVerdict verdict =
        ctx.nonces != nullptr && ctx.nonce_counts != nullptr
            ? sip::verify_digest(creds, msg.method_text(), sip_cfg.realm, da, *ctx.nonces, *ctx.nonce_counts, now_s)
            : sip::DigestVerdict::forged_nonce;
    switch (verdict) {
        case sip::DigestVerdict::ok:
            if (failures != nullptr) failures->record_success(source_ip);
            break;
        case sip::DigestVerdict::stale_nonce:
        case sip::DigestVerdict::nc_refused:
            // The password was right (RFC 7616 §3.3 stale=true: retry without asking the user).
            challenge(spec, true);
            return r;
        case sip::DigestVerdict::not_digest:
        case sip::DigestVerdict::missing_field:
        case sip::DigestVerdict::wrong_realm:
            // Not usable credentials for us: a plain new challenge, not a failed guess.
            challenge(spec, false);
            return r;
        default:
            // bad_response (wrong password), forged nonce, algorithm or qop refused.
            r.digest_failure = true;
            if (failures != nullptr) failures->record_failure(source_ip, now_s);
            challenge(spec, false);
            return r;
    }
    // The consumed credentials are not forwarded (RFC 3261 §22.3: they were for this realm).
    edits.remove_field(*auth);

    // ---- 2..10. the policy (decide.hpp) ----
    OutboundRequest req;
    req.source_addr = source_ip;
    req.trunk = ref.trunk;
    req.account = ref.role;
    req.ruri_user = v.request_uri.user;
    req.to_user = v.to.uri.user;
    req.from_user = v.from.uri.user;
    req.pai_user = pai;
    req.rpid_user = rpid;
    Outcome o = decide_outbound(snap, *ctx.limits, *ctx.scratch, req, ctx.now);
    r.decision = std::move(o);
    if (!r.decision.admitted()) {
        const std::uint16_t code = r.decision.code;
        refuse(r, ctx, code, static_cast<CallRefuseReason>(r.decision.reason));
        if (r.decision.retry_after_s != 0)
            r.response_headers = header_line(b, "Retry-After", r.decision.retry_after_s);
        return r;
    }
    r.emergency = r.decision.reason == DecideReason::emergency;
    r.counted = !r.emergency;

    // ---- 11. 100rel (RFC 3262) and session timers (RFC 4028) ----
    if (requires_100rel(msg)) {
        refuse(r, ctx, 420, CallRefuseReason::extension_100rel);
        r.response_headers = "Unsupported: 100rel\r\n";
        return r;
    }
    const std::uint32_t min_se = sip_cfg.min_se_s;
    std::uint32_t req_min_se = 0;
    const HeaderField* min_se_field = msg.find(HeaderId::min_se);
    if (min_se_field != nullptr) {
        sip::SessionExpires mse;
        if (sip::parse_session_expires(min_se_field->value, mse) != sip::Reason::none) {
            refuse(r, ctx, 400, CallRefuseReason::malformed);
            r.phrase = "Bad Min-SE";
            return r;
        }
        req_min_se = mse.delta;
    }
    const std::uint32_t floor_se = std::max(min_se, req_min_se);
    const HeaderField* se_field = msg.find(HeaderId::session_expires);
    if (se_field != nullptr) {
        sip::SessionExpires se;
        if (sip::parse_session_expires(se_field->value, se) != sip::Reason::none) {
            refuse(r, ctx, 400, CallRefuseReason::malformed);
            r.phrase = "Bad Session-Expires";
            return r;
        }
        if (se.delta < min_se) {
            // RFC 4028 §8.1: 422 with our minimum, the larger of ours and the request's.
            refuse(r, ctx, 422, CallRefuseReason::session_interval_too_small);
            r.response_headers = header_line(b, "Min-SE", floor_se);
            return r;
        }
        r.session_expires_s = se.delta;
    } else {
        // RFC 4028 §8.1: a proxy may insert Session-Expires, never below the Min-SE in force.
        r.session_expires_s = std::max(sip_cfg.session_expires_s, floor_se);
        const std::string_view line = header_line(b, "Session-Expires", r.session_expires_s);
        if (line.empty() || !edits.append_field(line)) {
            refuse(r, ctx, 500, CallRefuseReason::internal_error);
            return r;
        }
    }
    // Min-SE: present and below ours -> raised to ours (RFC 4028 §8.1); absent -> ours inserted.
    if (min_se_field == nullptr || req_min_se < min_se) {
        bool ok = false;
        if (min_se_field == nullptr) {
            const std::string_view line = header_line(b, "Min-SE", min_se);
            ok = !line.empty() && edits.append_field(line);
        } else {
            const std::size_t start = b.used;
            b.put_uint(min_se);
            ok = b.ok && edits.replace(min_se_field->value, b.since(start));
        }
        if (!ok) {
            refuse(r, ctx, 500, CallRefuseReason::internal_error);
            return r;
        }
    }
    if (!strip_100rel_into(msg, b, edits)) {
        refuse(r, ctx, 500, CallRefuseReason::internal_error);
        return r;
    }

    // ---- 12. SDP offer (DESIGN.md §4, RFC 3264) ----
    switch (filter_sdp(msg, b.rest(), edits)) {
        case SdpVerdict::no_sdp:
        case SdpVerdict::unchanged:
        case SdpVerdict::filtered:
            break;
        case SdpVerdict::no_audio:
        case SdpVerdict::malformed:
        case SdpVerdict::no_space:
            refuse(r, ctx, 488, CallRefuseReason::sdp_not_acceptable);
            return r;
    }
    return r;
}

// ---- inbound ----

InboundCheck check_inbound_invite(const sip::Message& msg, const sip::Validated& v,
                                  CheckContext& ctx) noexcept {
    InboundCheck r;
    const PolicySnapshot& snap = *ctx.snapshot;
    r.callee = v.request_uri.user;
    const std::string_view pai = identity_user(msg, HeaderId::p_asserted_identity);
    r.caller = !pai.empty() ? pai : v.from.uri.user;

    InboundOutcome o = decide_inbound(snap, *ctx.limits, r.callee);
    r.trunk = o.trunk;
    r.reason = static_cast<CallRefuseReason>(o.reason);
    if (o.code != 0) {
        r.code = o.code;
        return r;
    }
    if (o.failover) {
        r.failover = true;
        r.failover_reason = CallFailoverReason::concurrent_limit;
        return r;
    }
    r.token = std::move(o.token);
    auto to_failover = [&](CallFailoverReason why) {
        if (r.token.held()) ctx.limits->release(r.token);
        r.failover = true;
        r.failover_reason = why;
        r.reason = CallRefuseReason::inbound_failover;
        r.target_count = 0;
    };

    const TrunkRecord& tr = snap.trunk(r.trunk);
    const TrunkInfo& info = snap.info(r.trunk);
    const FailoverMode mode =
        ctx.location != nullptr ? ctx.location->failover_state(tr.limit_slot) : FailoverMode::automatic;
    if (mode == FailoverMode::dialplan) {
        to_failover(CallFailoverReason::forced);
        return r;
    }
    std::span<const LocationContact> prim, sec;
    if (ctx.location != nullptr) {
        if (mode != FailoverMode::secondary) prim = ctx.location->contacts(info.primary.username);
        if (mode != FailoverMode::primary) sec = ctx.location->contacts(info.secondary.username);
    }
    std::size_t registered = 0;
    auto add = [&](const LocationContact& c, AccountRole role) {
        // Expired bindings are the registrar's to remove (location.hpp): not checked here.
        ++registered;
        if (c.reachable() == Reachability::down) {
            ++r.skipped_unreachable;
            return;
        }
        if (r.target_count == kMaxInboundTargets) return;
        InboundTarget& t = r.targets[r.target_count++];
        t.to = Endpoint{c.ip, c.port};
        t.iface = c.iface;
        t.account = role;
        t.contact_id = c.contact_id;
        t.uri = c.uri();
    };
    if (info.inbound == InboundMode::alternate) {
        // The two accounts in turn: P0, S0, P1, S1, ... (then the longer one's rest).
        const std::size_t n = std::max(prim.size(), sec.size());
        for (std::size_t i = 0; i < n; ++i) {
            if (i < prim.size()) add(prim[i], AccountRole::primary);
            if (i < sec.size()) add(sec[i], AccountRole::secondary);
        }
    } else {
        for (const LocationContact& c : prim) add(c, AccountRole::primary);
        for (const LocationContact& c : sec) add(c, AccountRole::secondary);
    }
    if (r.target_count == 0)
        to_failover(registered == 0 ? CallFailoverReason::no_registration : CallFailoverReason::target_unreachable);
    return r;
}

}  // namespace palisade::dp
