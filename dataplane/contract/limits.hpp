// Live per-trunk gauges: concurrent calls, call attempts per second, calls per hour, day and week.
//
// They live OUTSIDE the policy snapshots, in one table indexed by a stable slot per trunk id, so
// that a reload never resets them: a reload that keeps a trunk keeps its slot and its counters.
// The limits themselves (how many) are in the snapshot; this table only counts.
//
// Threads: every worker reads and writes the gauges (lock-free, std::atomic); the control plane
// binds, retires and reaps slots (cp only: bind, retire_except, reap) and reads them for the CLI.
//
// Exact semantics (DESIGN.md §4, issue 3 point 6):
// - Concurrent calls: try_acquire admits while the gauge is below the limit, by compare-and-swap,
//   so it never passes the limit and never goes below zero. Each admission yields a move-only
//   AdmissionToken; release(token) decrements once and clears the token, so a second release of
//   the same token returns false (counted by the caller as a double release), never decrements.
// - Attempts per second: a fixed one-second window (Unix seconds). An attempt counts when it
//   reaches the rate check and is under the limit; it stays counted even if a later check (hour,
//   day, week, concurrency) refuses the call: it WAS an attempt. Attempts refused by the rate
//   check itself do not count.
// - Calls per hour: 60 one-minute buckets. A call admitted at time t (minute m = floor(t/60))
//   counts against the hour limit until the start of minute m + 60, i.e. for 59 to 60 minutes.
// - Calls per day: 24 one-hour buckets; a call admitted in hour h counts until the start of hour
//   h + 24. Calls per week: 168 one-hour buckets; counts until the start of hour h + 168.
// - A call counts against hour, day and week only when it is admitted (passes every check,
//   concurrency included): admit() reserves hour, day, week, then the concurrency slot, and rolls
//   back every reservation it made when a later one fails. Refused attempts use no budget.
// - A call admitted here but refused by a LATER check (420, 422, 400, 488, 500 in
//   sip/call_checks.cpp) is not forwarded, so it must not count either: unadmit(token) gives
//   back the hour, day and week reservations the token's admit() made (in the buckets recorded
//   in the token) and releases its concurrency slot. The attempt stays counted (it WAS one).
//   Same CAS as admit()'s own rollback: when the window's head has moved to a newer bucket since
//   (the refusal straddled a minute or hour boundary), that window keeps the call (conservative,
//   counted in stuck_rollbacks()).
// - No window is ever over-admitted, whatever the interleaving: each window keeps its running
//   total and its current bucket in ONE 64-bit word updated by a bounded compare-and-swap. The
//   only imprecision is conservative: while another attempt holds a reservation it will roll
//   back, or when a rollback straddles a bucket boundary (a nanosecond window once a minute), a
//   call may be refused (or one call keep counting) that an exact oracle would have admitted.
// - Window limits are clamped to kMaxWindowLimit (2,097,151 calls per window).
// - Time comes from the caller (Clock::now() once per burst), in whole Unix seconds. A clock that
//   steps backwards never un-counts: the window keeps its newest bucket.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dataplane/contract/config_spec.hpp"

namespace palisade::dp {

/// Slot number of "no slot".
inline constexpr std::uint32_t kNoLimitSlot = 0xffffffffu;
/// Largest per-window limit the window counters hold (21-bit current bucket); larger limits are clamped to it.
inline constexpr std::uint32_t kMaxWindowLimit = (1u << 21) - 1;

/// Proof of one acquired concurrent-call slot. Move-only: the dialog that owns the call owns the
/// token; LimitsTable::release clears it, so a second release is detected (returns false).
class AdmissionToken {
public:
    AdmissionToken() noexcept = default;
    AdmissionToken(const AdmissionToken&) = delete;
    AdmissionToken& operator=(const AdmissionToken&) = delete;
    AdmissionToken(AdmissionToken&& o) noexcept
        : slot_(o.slot_), generation_(o.generation_), reserved_(o.reserved_) {
        o.slot_ = kNoLimitSlot;
        o.reserved_ = 0;
    }
    AdmissionToken& operator=(AdmissionToken&& o) noexcept {
        if (this != &o) {
            slot_ = o.slot_;
            generation_ = o.generation_;
            reserved_ = o.reserved_;
            o.slot_ = kNoLimitSlot;
            o.reserved_ = 0;
        }
        return *this;
    }
    /// True while the token holds an acquired slot (not yet released).
    [[nodiscard]] bool held() const noexcept { return slot_ != kNoLimitSlot; }
    /// The limits slot it was acquired on (kNoLimitSlot when not held).
    [[nodiscard]] std::uint32_t slot() const noexcept { return slot_; }
    /// True while the token carries hour/day/week reservations that unadmit() can give back
    /// (admit() sets it; try_acquire, unadmit and a move-from clear it).
    [[nodiscard]] bool reserved() const noexcept { return reserved_ != 0; }

private:
    friend class LimitsTable;
    std::uint32_t slot_ = kNoLimitSlot;
    std::uint32_t generation_ = 0;
    // The buckets admit() reserved in: bit 63 set | week epoch_lo << 40 | day << 20 | hour
    // (20 bits each, the window heads' own epoch field), 0 when none. One word: the token
    // lives in every Dialog.
    std::uint64_t reserved_ = 0;
};

/// Result of LimitsTable::admit, in the order the checks run (DESIGN.md §4).
enum class AdmitResult : std::uint8_t {
    admitted,
    rate,         // attempts per second at the limit: 503 + Retry-After
    hour,         // calls per hour: 403
    day,          // calls per day: 403
    week,         // calls per week: 403
    concurrency,  // concurrent calls: 503 + Retry-After
};

/// Which rolling window (for reads and tests).
enum class CallWindow : std::uint8_t { hour, day, week };

/// Bucket geometry of the windows (see the semantics above).
inline constexpr std::uint32_t kHourBuckets = 60;   // one minute each
inline constexpr std::uint32_t kDayBuckets = 24;    // one hour each
inline constexpr std::uint32_t kWeekBuckets = 168;  // one hour each

/// The per-trunk gauges and windows, one slot per trunk id, fixed capacity.
class LimitsTable {
public:
    /// Makes a table of `capacity` slots (fixed: pick at least the trunk count plus headroom for
    /// reloads; ~2.1 KiB per slot). cp only.
    explicit LimitsTable(std::uint32_t capacity);
    ~LimitsTable();
    LimitsTable(const LimitsTable&) = delete;
    LimitsTable& operator=(const LimitsTable&) = delete;

    /// Number of slots.
    [[nodiscard]] std::uint32_t capacity() const noexcept { return capacity_; }

    // ---- any thread (workers): lock-free, no allocation ----

    /// Full outbound admission for a call on `slot` at `now_s` (Unix seconds): attempts per
    /// second, then hour, day, week, then concurrency, reserving each and rolling back on a later
    /// refusal. On `admitted`, `token` holds the concurrency slot.
    AdmitResult admit(std::uint32_t slot, const LimitsSpec& limits, std::uint64_t now_s,
                      AdmissionToken& token) noexcept;
    /// Concurrency only (inbound calls, which do not count against the outbound rate and
    /// call-count limits): acquires one slot if the gauge is below `limit`.
    bool try_acquire(std::uint32_t slot, std::uint32_t limit, AdmissionToken& token) noexcept;
    /// Releases the slot the token holds, exactly once; clears the token. Returns false (and
    /// changes nothing) for a token that is not held (double release) or whose slot was since
    /// given to another trunk.
    bool release(AdmissionToken& token) noexcept;
    /// A call admit() admitted was refused by a later check and is not forwarded: gives back
    /// the hour, day and week reservations the token holds (once), then releases its slot
    /// exactly as release() does (and returns what release() returns). A token from try_acquire
    /// (emergency, inbound) has no reservation: this is release(). Nothing is given back for a
    /// token whose slot was since given to another trunk. Call it right after admission (the
    /// same request), never for a call that was forwarded: that one counts.
    bool unadmit(AdmissionToken& token) noexcept;
    /// Concurrency gauge alone: bounded CAS, never past `limit`. Prefer admit/try_acquire.
    bool gauge_try_acquire(std::uint32_t slot, std::uint32_t limit) noexcept;
    /// Prefetches the slot's hot cache line and the hour-window record a rotation at `now_s`
    /// would touch (the decision functions call it early, to overlap the cache misses).
    void prefetch(std::uint32_t slot, std::uint64_t now_s) const noexcept;

    // ---- reads (any thread; for the CLI and tests) ----

    /// Calls in progress on the slot.
    [[nodiscard]] std::uint32_t concurrent(std::uint32_t slot) const noexcept;
    /// Attempts counted in second `now_s`.
    [[nodiscard]] std::uint32_t attempts(std::uint32_t slot, std::uint64_t now_s) const noexcept;
    /// Calls counted in the window as of `now_s` (admissions and still-held reservations).
    [[nodiscard]] std::uint32_t window_count(std::uint32_t slot, CallWindow w,
                                             std::uint64_t now_s) const noexcept;
    /// Releases refused because the token was not held or stale (double releases), since start.
    [[nodiscard]] std::uint64_t refused_releases() const noexcept {
        return refused_releases_.load(std::memory_order_relaxed);
    }
    /// Rollbacks that could not be undone because they straddled a bucket boundary (the call
    /// keeps counting: conservative), since start.
    [[nodiscard]] std::uint64_t stuck_rollbacks() const noexcept {
        return stuck_rollbacks_.load(std::memory_order_relaxed);
    }

    // ---- cp only: slot management across reloads ----

    /// The slot of trunk `id`: its existing slot (bound or retired, counters kept), else a free
    /// slot with fresh counters. kNoLimitSlot when the table is full.
    std::uint32_t bind(std::string_view id);
    /// Retires every bound slot whose id is not in `keep` (call after the snapshot that dropped
    /// them is published and synchronised: no worker can admit on them any more).
    void retire_except(std::span<const std::string_view> keep);
    /// Frees retired slots whose last call has ended; returns how many were freed.
    std::uint32_t reap();
    /// The slot bound (or retired) for id, or kNoLimitSlot.
    [[nodiscard]] std::uint32_t find(std::string_view id) const;
    /// Slots bound or retired (not free).
    [[nodiscard]] std::uint32_t used() const noexcept;
    /// Restart (persistence, issue 5 point 7): adds `count` calls admitted in `bucket` of window
    /// `w` (minutes since the epoch for the hour window, hours for day and week: restore the
    /// same hour buckets into both) as seen at `now_s`, exactly as if admit() had counted them
    /// then. Buckets already outside the window are ignored; a bucket after now counts as now
    /// (never un-count). Returns the count added. cp only, before any worker admits on the slot.
    std::uint32_t restore_window(std::uint32_t slot, CallWindow w, std::uint32_t bucket,
                                 std::uint32_t count, std::uint64_t now_s) noexcept;

    struct Gauges;   // one cache line per slot (defined in policy/limits.cpp)
    struct History;  // the buckets of the three windows per slot

private:
    std::uint32_t capacity_;
    Gauges* gauges_;
    History* history_;
    std::atomic<std::uint64_t> refused_releases_{0};
    std::atomic<std::uint64_t> stuck_rollbacks_{0};
    // cp only
    enum class SlotState : std::uint8_t { free, bound, retired };
    std::vector<SlotState> state_;
    std::vector<std::string> owner_;
    std::vector<std::uint32_t> free_list_;
    std::unordered_map<std::string, std::uint32_t> index_;  // id -> bound or retired slot
};

}  // namespace palisade::dp
