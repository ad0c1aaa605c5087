#include "dataplane/policy/decide.hpp"

#include <limits>

namespace palisade::dp {

namespace {
constexpr std::string_view kNames[] = {
#define X(name, code, text) #name,
#include "dataplane/policy/decide_reasons.def"
#undef X
};
constexpr std::uint16_t kCodes[] = {
#define X(name, code, text) code,
#include "dataplane/policy/decide_reasons.def"
#undef X
};

Outcome refuse(DecideReason r, std::uint32_t trunk, std::uint16_t retry_after = 0) noexcept {
    Outcome o;
    o.code = kCodes[static_cast<std::size_t>(r)];
    o.reason = r;
    o.trunk = trunk;
    o.retry_after_s = retry_after;
    return o;
}
}  // namespace

std::string_view decide_reason_name(DecideReason r) noexcept {
    return kNames[static_cast<std::size_t>(r)];
}
std::uint16_t decide_reason_code(DecideReason r) noexcept {
    return kCodes[static_cast<std::size_t>(r)];
}

Outcome decide_outbound(const PolicySnapshot& snap, LimitsTable& limits,
                        const WorkerScratch& scratch, const OutboundRequest& req,
                        Instant now) noexcept {
    const std::uint32_t t = req.trunk;
    if (t >= snap.trunk_count()) return refuse(DecideReason::unknown_trunk, kNoTrunk);
    const TrunkRecord& tr = snap.trunk(t);
    // Start the independent cache misses of the later steps now (limits line, caller-ID set,
    // policy trie root) so that they overlap with the checks before them.
    limits.prefetch(tr.limit_slot);
    snap.caller_ids().prefetch(tr.caller_ids);
    snap.destinations().prefetch(tr.policy);

    if (!snap.source_allowed(t, req.source_addr))
        return refuse(DecideReason::source_not_allowed, t);

    std::uint64_t key = 0;
    if (parse_short_code(req.ruri_user, key) && snap.is_emergency(key)) {
        Outcome o;
        o.reason = DecideReason::emergency;
        o.trunk = t;
        limits.try_acquire(tr.limit_slot, std::numeric_limits<std::uint32_t>::max(), o.token);
        return o;
    }

    std::uint64_t dest = 0;
    if (!parse_e164(req.ruri_user, dest)) return refuse(DecideReason::ruri_not_e164, t);
    if (!parse_e164(req.to_user, key)) return refuse(DecideReason::to_not_e164, t);
    if (!parse_e164(req.from_user, key)) return refuse(DecideReason::from_not_e164, t);
    const std::string_view cid = !req.pai_user.empty() ? req.pai_user : req.rpid_user;
    if (cid.empty()) return refuse(DecideReason::caller_id_missing, t);
    std::uint64_t cid_key = 0;
    if (!parse_e164(cid, cid_key)) return refuse(DecideReason::caller_id_not_e164, t);

    if (!snap.caller_ids().contains(tr.caller_ids, cid_key))
        return refuse(DecideReason::caller_id_not_allowed, t);

    const DestVerdict v = snap.destinations().match(tr.policy, req.ruri_user, scratch.get());
    if (!v.allowed) {
        return refuse(v.by == DestDecidedBy::scan_error ? DecideReason::destination_scan_error
                                                        : DecideReason::destination_denied,
                      t);
    }

    Outcome o;
    o.trunk = t;
    switch (limits.admit(tr.limit_slot, tr.limits, now.seconds(), o.token)) {
        case AdmitResult::admitted: o.reason = DecideReason::admitted; return o;
        case AdmitResult::rate: return refuse(DecideReason::rate_limited, t, kRetryAfterRateS);
        case AdmitResult::hour: return refuse(DecideReason::hour_limit, t);
        case AdmitResult::day: return refuse(DecideReason::day_limit, t);
        case AdmitResult::week: return refuse(DecideReason::week_limit, t);
        case AdmitResult::concurrency:
            return refuse(DecideReason::concurrency_limit, t, kRetryAfterBusyS);
    }
    return refuse(DecideReason::concurrency_limit, t, kRetryAfterBusyS);
}

InboundOutcome decide_inbound(const PolicySnapshot& snap, LimitsTable& limits,
                              std::string_view ruri_user) noexcept {
    InboundOutcome o;
    std::uint64_t key = 0;
    if (!parse_e164(ruri_user, key)) {
        o.code = 404;
        o.reason = DecideReason::did_not_e164;
        return o;
    }
    const std::uint32_t t = snap.dids().lookup(key);
    if (t == DidTable::kNone || t >= snap.trunk_count()) {
        o.code = 404;
        o.reason = DecideReason::did_unknown;
        return o;
    }
    o.trunk = t;
    const TrunkRecord& tr = snap.trunk(t);
    if (limits.try_acquire(tr.limit_slot, tr.limits.max_concurrent, o.token)) {
        o.reason = DecideReason::inbound_admitted;
    } else {
        o.reason = DecideReason::inbound_failover;
        o.failover = true;
    }
    return o;
}

}  // namespace palisade::dp
