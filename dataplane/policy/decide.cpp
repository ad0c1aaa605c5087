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

namespace {

void prefetch_for(const PolicySnapshot& snap, const LimitsTable& limits, const TrunkRecord& tr,
                  std::uint64_t now_s) noexcept {
    limits.prefetch(tr.limit_slot, now_s);
    // Only what the record does not hold inline.
    if (tr.subnet_count > 1) __builtin_prefetch(snap.subnet_data(tr.subnet_begin + 1));
}

// Checks 1..4 (trunk, source, emergency, E.164, caller ID). True when they decided `o`; false
// when the call goes on to the destination check.
bool pre_checks(const PolicySnapshot& snap, LimitsTable& limits, const OutboundRequest& req,
                Outcome& o) noexcept {
    const std::uint32_t t = req.trunk;
    if (t >= snap.trunk_count()) {
        o = refuse(DecideReason::unknown_trunk, kNoTrunk);
        return true;
    }
    const TrunkRecord& tr = snap.trunk(t);
    if (!snap.source_allowed(t, req.source_addr)) {
        o = refuse(DecideReason::source_not_allowed, t);
        return true;
    }
    std::uint64_t key = 0;
    if (!req.ruri_user.empty() && req.ruri_user[0] != '+' && parse_short_code(req.ruri_user, key) &&
        snap.is_emergency(key)) {
        o = Outcome{};
        o.reason = DecideReason::emergency;
        o.trunk = t;
        limits.try_acquire(tr.limit_slot, std::numeric_limits<std::uint32_t>::max(), o.token);
        return true;
    }
    DecideReason r = DecideReason::admitted;
    std::uint64_t cid_key = 0;
    // DESIGN.md §4: P-Asserted-Identity, else Remote-Party-ID; the From user only for a trunk
    // whose UAs cannot add either header (caller_id_from_header), still checked below.
    const std::string_view cid = !req.pai_user.empty()    ? req.pai_user
                                 : !req.rpid_user.empty() ? req.rpid_user
                                 : tr.cid_from_header      ? req.from_user
                                                           : std::string_view{};
    if (!parse_e164(req.ruri_user, key)) r = DecideReason::ruri_not_e164;
    else if (!parse_e164(req.to_user, key)) r = DecideReason::to_not_e164;
    else if (!parse_e164(req.from_user, key)) r = DecideReason::from_not_e164;
    else if (cid.empty()) r = DecideReason::caller_id_missing;
    else if (!parse_e164(cid, cid_key)) r = DecideReason::caller_id_not_e164;
    else if (!snap.caller_id_allowed(t, cid_key)) r = DecideReason::caller_id_not_allowed;
    if (r != DecideReason::admitted) {
        o = refuse(r, t);
        return true;
    }
    return false;
}

// Checks 5..8 once the destination verdict is known.
void finish(const TrunkRecord& tr, std::uint32_t t, LimitsTable& limits, DestVerdict v,
            std::uint64_t now_s, Outcome& o) noexcept {
    if (!v.allowed) {
        o = refuse(v.by == DestDecidedBy::scan_error ? DecideReason::destination_scan_error
                                                     : DecideReason::destination_denied,
                   t);
        return;
    }
    o = Outcome{};
    o.trunk = t;
    switch (limits.admit(tr.limit_slot, tr.limits, now_s, o.token)) {
        case AdmitResult::admitted: o.reason = DecideReason::admitted; return;
        case AdmitResult::rate: o = refuse(DecideReason::rate_limited, t, kRetryAfterRateS); return;
        case AdmitResult::hour: o = refuse(DecideReason::hour_limit, t); return;
        case AdmitResult::day: o = refuse(DecideReason::day_limit, t); return;
        case AdmitResult::week: o = refuse(DecideReason::week_limit, t); return;
        case AdmitResult::concurrency:
            o = refuse(DecideReason::concurrency_limit, t, kRetryAfterBusyS);
            return;
    }
}

}  // namespace

Outcome decide_outbound(const PolicySnapshot& snap, LimitsTable& limits,
                        const WorkerScratch& scratch, const OutboundRequest& req,
                        Instant now) noexcept {
    Outcome o;
    const DestPolicies& dest = snap.destinations();
    const PrefixIndex::Entry* entry = nullptr;
    if (req.trunk < snap.trunk_count()) {
        // Start the independent cache misses of the later steps now (limits line, caller-ID
        // set, destination index entry, subnets) so that they overlap.
        const TrunkRecord& tr = snap.trunk(req.trunk);
        prefetch_for(snap, limits, tr, now.seconds());
        if (dest.has_prefixes(tr.policy) && !req.ruri_user.empty()) {
            entry = dest.prefix_entry(tr.policy, req.ruri_user);
            if (entry != nullptr) __builtin_prefetch(entry);
        }
    }
    if (pre_checks(snap, limits, req, o)) return o;
    const TrunkRecord& tr = snap.trunk(req.trunk);
    DestVerdict v;
    if (entry == nullptr || dest.has_patterns(tr.policy)) {
        v = dest.match(tr.policy, req.ruri_user, scratch.get());
    } else {
        v = dest.from_prefix(tr.policy, dest.prefix_resolve(tr.policy, *entry, req.ruri_user));
    }
    finish(tr, req.trunk, limits, v, now.seconds(), o);
    return o;
}

void decide_outbound_burst(const PolicySnapshot& snap, LimitsTable& limits,
                           const WorkerScratch& scratch, std::span<const OutboundRequest> reqs,
                           std::span<Outcome> out, Instant now) noexcept {
    constexpr std::size_t kChunk = 64;
    const std::size_t total = std::min(reqs.size(), out.size());
    const std::uint64_t now_s = now.seconds();
    const DestPolicies& dest = snap.destinations();
    // The burst goes through in stages, each over every call, each prefetching what a later
    // one reads, and the light memory stages first so that the checks' computation covers the
    // latency of the last misses: the burst pays about one memory latency per stage instead of
    // one per dependent read per call (bench/policy_bench.cpp BM_OutboundBurst).
    //   A. prefetch the trunk records
    //   B. read them; prefetch the limits line, the window ring record, the destination index
    //      entry (computed from the Request-URI whether or not the call passes the checks)
    //   C. read the index entries; prefetch their buckets
    //   D. checks 1..4 and patterns (computation)
    //   E. destination verdicts from the buckets (or a batched trie walk)
    //   F. limits, checks 5..8, in order (locked instructions: kept apart from the reads above)
    enum Step : std::uint8_t { kDone, kVerdict, kEntry, kWalk };
    for (std::size_t base = 0; base < total; base += kChunk) {
        const std::size_t n = std::min(kChunk, total - base);
        const OutboundRequest* rq = reqs.data() + base;
        Outcome* oc = out.data() + base;
        for (std::size_t i = 0; i < n; ++i)
            if (rq[i].trunk < snap.trunk_count()) __builtin_prefetch(&snap.trunk(rq[i].trunk));
        const PrefixIndex::Entry* entry[kChunk];
        for (std::size_t i = 0; i < n; ++i) {
            entry[i] = nullptr;
            const OutboundRequest& req = rq[i];
            if (req.trunk >= snap.trunk_count()) continue;
            const TrunkRecord& tr = snap.trunk(req.trunk);
            limits.prefetch(tr.limit_slot, now_s);
            if (req.ruri_user.size() < 2 || req.ruri_user[0] != '+' || !dest.has_prefixes(tr.policy)) continue;
            entry[i] = dest.prefix_entry(tr.policy, req.ruri_user);
            if (entry[i] != nullptr) __builtin_prefetch(entry[i]);
        }
        for (std::size_t i = 0; i < n; ++i)
            if (entry[i] != nullptr) dest.prefetch_prefix_bucket(*entry[i]);
        Step step[kChunk];
        DestVerdict verdict[kChunk];
        DigitTrie::BatchItem walk[kChunk];
        std::uint8_t walk_of[kChunk];
        std::size_t walks = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const OutboundRequest& req = rq[i];
            step[i] = kDone;
            if (pre_checks(snap, limits, req, oc[i])) continue;
            const std::uint32_t pol = snap.trunk(req.trunk).policy;
            step[i] = kVerdict;
            if (dest.match_patterns(pol, req.ruri_user, scratch.get(), verdict[i])) continue;
            if (!dest.has_prefixes(pol)) {
                verdict[i] = dest.from_prefix(pol, DigitTrie::Match{});
                continue;
            }
            if (entry[i] != nullptr) {
                step[i] = kEntry;
                continue;
            }
            // Numbers the index does not take (shorter than its stride): the trie, as one batch.
            walk_of[walks] = static_cast<std::uint8_t>(i);
            walk[walks].root = dest.prefix_root(pol);
            walk[walks].digits = req.ruri_user.substr(1);
            ++walks;
            step[i] = kWalk;
        }
        if (walks != 0) {
            dest.trie().longest_batch(std::span<DigitTrie::BatchItem>(walk, walks));
            for (std::size_t w = 0; w < walks; ++w) {
                const std::size_t i = walk_of[w];
                verdict[i] = dest.from_prefix(snap.trunk(rq[i].trunk).policy, walk[w].match);
            }
        }
        for (std::size_t i = 0; i < n; ++i) {
            if (step[i] != kEntry) continue;
            const std::uint32_t pol = snap.trunk(rq[i].trunk).policy;
            verdict[i] = dest.from_prefix(pol, dest.prefix_resolve(pol, *entry[i], rq[i].ruri_user));
        }
        for (std::size_t i = 0; i < n; ++i) {
            if (step[i] == kDone) continue;
            finish(snap.trunk(rq[i].trunk), rq[i].trunk, limits, verdict[i], now_s, oc[i]);
        }
    }
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
