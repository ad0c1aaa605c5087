// The decisions the data plane takes on every new call, from the current snapshot and the live
// limits: no allocation, lock, syscall or exception (DESIGN.md §2, §4).
//
// Outbound (from the access side, after the digest check named the trunk and account), in
// DESIGN.md §4 order, the first failing check decides:
//   1. the trunk allows the source subnet                               403 source_not_allowed
//   2. Request-URI user is an emergency short code -> skip 3..7, route  0   emergency
//   3. Request-URI user E.164 (484); To, From E.164 (403); caller ID = P-Asserted-Identity,
//      else Remote-Party-ID (else the From user when the trunk sets caller_id_from_header),
//      present (403) and E.164 (403)
//   4. caller ID in the trunk's set                                     403 caller_id_not_allowed
//   5. destination allowed by the trunk's policy (dest_policy.hpp)      403 destination_denied
//   6. attempts per second                                              503 + Retry-After 1
//   7. calls per hour, day, week                                        403
//   8. concurrent calls                                                 503 + Retry-After 5
// Limits: contract/limits.hpp (6..8 reserve together, refused calls use no hour/day/week budget).
// Emergency calls are never refused after step 1: they take a concurrent-call slot even above
// the limit (so ordinary calls see the trunk as busy while they last) and count against nothing
// else. An admitted outcome holds an AdmissionToken: release it exactly once when the call ends.
//
// Inbound (from the core): the Request-URI number among the trunks' DIDs (404), then one
// concurrent-call slot; at the limit the outcome says failover (the caller runs the trunk's
// failover dialplan from PolicySnapshot::info(trunk).failover). Inbound calls do not count
// against the outbound attempt and call-count limits.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string_view>

#include "dataplane/contract/clock.hpp"
#include "dataplane/contract/limits.hpp"
#include "dataplane/policy/pattern_matcher.hpp"
#include "dataplane/policy/snapshot.hpp"

namespace palisade::dp {

/// Why a decision came out as it did (decide_reasons.def).
enum class DecideReason : std::uint8_t {
#define X(name, code, text) name,
#include "dataplane/policy/decide_reasons.def"
#undef X
};
inline constexpr std::size_t kDecideReasonCount = 0
#define X(name, code, text) +1
#include "dataplane/policy/decide_reasons.def"
#undef X
    ;
/// Counter name of a reason ("source_not_allowed").
std::string_view decide_reason_name(DecideReason r) noexcept;
/// SIP status of a reason (0 = the call goes on).
std::uint16_t decide_reason_code(DecideReason r) noexcept;

inline constexpr std::uint16_t kRetryAfterRateS = 1;  // the per-second window ends within 1 s
inline constexpr std::uint16_t kRetryAfterBusyS = 5;  // a concurrent call may end any time

/// What the outbound request says (views into the parsed message; not kept).
struct OutboundRequest {
    std::uint32_t source_addr = 0;      // host byte order
    std::uint32_t trunk = kNoTrunk;     // trunk index in this snapshot (from the digest account)
    AccountRole account = AccountRole::primary;
    std::string_view ruri_user;         // Request-URI user part
    std::string_view to_user;
    std::string_view from_user;
    std::string_view pai_user;          // P-Asserted-Identity user, empty when absent
    std::string_view rpid_user;         // Remote-Party-ID user, used when PAI is absent
};

/// The outcome of decide_outbound.
struct Outcome {
    std::uint16_t code = 0;           // SIP status to answer; 0 = admit and forward
    DecideReason reason = DecideReason::admitted;
    std::uint16_t retry_after_s = 0;  // Retry-After for a 503, else 0
    std::uint32_t trunk = kNoTrunk;
    AdmissionToken token;             // held when admitted (emergency included)
    [[nodiscard]] bool admitted() const noexcept { return code == 0; }
};

/// The outcome of decide_inbound.
struct InboundOutcome {
    std::uint16_t code = 0;           // 404 when no trunk has the DID; 0 otherwise
    DecideReason reason = DecideReason::inbound_admitted;
    std::uint32_t trunk = kNoTrunk;
    bool failover = false;            // trunk at its concurrent limit: run its failover dialplan
    AdmissionToken token;             // held when a slot was taken
};

/// Decides a new outbound call. `scratch` is this worker's (refreshed for `snap`); `now` read
/// once per burst. Worker; no allocation, lock or syscall.
Outcome decide_outbound(const PolicySnapshot& snap, LimitsTable& limits,
                        const WorkerScratch& scratch, const OutboundRequest& req,
                        Instant now) noexcept;

/// Decides a burst of new outbound calls at once: the same outcome as decide_outbound for each,
/// in order, except that the burst's emergency calls take their concurrency slots before its
/// ordinary calls are admitted. The cache misses of the calls overlap (bench/policy_bench.cpp
/// BM_OutboundBurst). out.size() >= reqs.size(); `out` entries are assigned (their tokens must
/// not be held). Worker.
void decide_outbound_burst(const PolicySnapshot& snap, LimitsTable& limits,
                           const WorkerScratch& scratch, std::span<const OutboundRequest> reqs,
                           std::span<Outcome> out, Instant now) noexcept;

/// Decides a new inbound call for Request-URI user `ruri_user`. Worker.
InboundOutcome decide_inbound(const PolicySnapshot& snap, LimitsTable& limits,
                              std::string_view ruri_user) noexcept;

/// True when `addr` is in some trunk's subnets (OPTIONS from a known source get 200).
inline bool source_known(const PolicySnapshot& snap, std::uint32_t addr) noexcept {
    return snap.sources().contains(addr);
}
/// Trunks whose subnets contain `addr` (a small set; the digest username picks among them).
inline std::span<const std::uint32_t> trunks_for_source(const PolicySnapshot& snap,
                                                        std::uint32_t addr) noexcept {
    return snap.sources().lookup(addr);
}

/// Per-worker counters, one per reason: written by the owner worker only (relaxed store of its
/// own value, no RMW), summed by the control plane when read.
class DecideCounters {
public:
    void count(DecideReason r) noexcept {
        auto& c = n_[static_cast<std::size_t>(r)];
        c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t get(DecideReason r) const noexcept {
        return n_[static_cast<std::size_t>(r)].load(std::memory_order_relaxed);
    }

private:
    std::array<std::atomic<std::uint64_t>, kDecideReasonCount> n_{};
};

}  // namespace palisade::dp
