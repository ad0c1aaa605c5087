// The lock-free per-trunk gauges of contract/limits.hpp. Semantics are documented there; this
// file states the invariants of the encoding.
//
// A window (hour, day, week) is one 64-bit head word plus a ring of B bucket records:
//   head = epoch_lo (20 bits) | set (1 bit) | cur (21 bits) | total (22 bits)
//     epoch_lo: low 20 bits of the current bucket number (minutes or hours since the epoch);
//     set:      1 once the window has been used (a fresh slot's head is all zero);
//     cur:      calls admitted (or reserved) in the current bucket;
//     total:    calls counting in the window: the completed buckets still inside it plus cur.
//   ring[e % B] = full bucket number (32 bits) | count (32 bits), written once per bucket when
//     the head moves away from it (max-CAS: a stale writer never lowers a record).
// Admission is a bounded CAS on the head (total < limit -> cur+1, total+1), so concurrent
// admissions can never pass the limit. Moving the head to a newer bucket (rotation) records the
// completed bucket, subtracts the buckets that leave the window (read from the ring), then CASes
// the head; a rotation that loses the CAS retries from the new head.
#include "dataplane/contract/limits.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <type_traits>
#include <new>

#include "dataplane/policy/huge_alloc.hpp"

namespace palisade::dp {

struct alignas(64) LimitsTable::Gauges {
    std::atomic<std::uint32_t> concurrent{0};  // any worker: acquire/release
    std::atomic<std::uint32_t> generation{0};  // cp: bumped when the slot is given to a new id
    std::atomic<std::uint64_t> attempts{0};    // second (32) | count (32)
    std::atomic<std::uint64_t> hour{0};        // window heads, see above
    std::atomic<std::uint64_t> day{0};
    std::atomic<std::uint64_t> week{0};
    // Newest full bucket number each head was moved to (monotone, written before the head CAS):
    // tells a head that is behind "now" from one that is ahead of it (a stepped-back clock),
    // which the 20 low bits in the head cannot.
    std::atomic<std::uint32_t> hour_full{0};
    std::atomic<std::uint32_t> day_full{0};
    std::atomic<std::uint32_t> week_full{0};
};
static_assert(sizeof(LimitsTable::Gauges) == 64);

struct alignas(64) LimitsTable::History {
    std::atomic<std::uint64_t> hour[kHourBuckets];
    std::atomic<std::uint64_t> day[kDayBuckets];
    std::atomic<std::uint64_t> week[kWeekBuckets];
};

namespace {

constexpr std::uint64_t kEpochBits = 20;
constexpr std::uint64_t kCountBits = 22;
constexpr std::uint64_t kEpochMask = (1ULL << kEpochBits) - 1;
constexpr std::uint64_t kCountMask = (1ULL << kCountBits) - 1;
constexpr std::uint64_t kCurMask = (1ULL << 21) - 1;
constexpr std::uint64_t kSetBit = 1ULL << 43;
constexpr std::uint64_t kReservedBit = 1ULL << 63;  // AdmissionToken::reserved_ in use
static_assert(kMaxWindowLimit <= kCurMask);

constexpr std::uint32_t head_epoch(std::uint64_t h) { return static_cast<std::uint32_t>(h >> 44); }
constexpr std::uint32_t head_cur(std::uint64_t h) {
    return static_cast<std::uint32_t>((h >> 22) & kCurMask);
}
constexpr std::uint32_t head_total(std::uint64_t h) {
    return static_cast<std::uint32_t>(h & kCountMask);
}
constexpr std::uint64_t make_head(std::uint64_t epoch_lo, std::uint64_t cur, std::uint64_t total) {
    return ((epoch_lo & kEpochMask) << 44) | kSetBit | ((cur & kCurMask) << 22) |
           (total & kCountMask);
}

struct WindowRef {
    std::atomic<std::uint64_t>* head;
    std::atomic<std::uint32_t>* full;
    std::atomic<std::uint64_t>* ring;
    std::uint32_t buckets;
    std::uint32_t bucket_seconds;
};

// Where the head stands relative to bucket `now` (full bucket number).
enum class HeadPos { current, behind, ahead, unset };

struct HeadView {
    HeadPos pos;
    std::uint32_t full;  // full bucket number of the head (valid when behind)
};

HeadView locate(const WindowRef& w, std::uint64_t h, std::uint32_t now) {
    if ((h & kSetBit) == 0) return {HeadPos::unset, 0};
    if (((now - head_epoch(h)) & kEpochMask) == 0) return {HeadPos::current, now};
    // The head's full bucket number: the newest one <= `newest` with the head's low bits.
    // `newest` is at most a rotation or two ahead of the head (it is raised just before a head
    // CAS), far less than 2^20 buckets, so this is exact.
    const std::uint32_t newest = w.full->load(std::memory_order_acquire);
    const std::uint32_t full =
        newest - static_cast<std::uint32_t>((newest - head_epoch(h)) & kEpochMask);
    if (full < now) return {HeadPos::behind, full};
    if (full == now) return {HeadPos::current, now};
    return {HeadPos::ahead, full};  // another worker's newer clock read, or a stepped-back clock
}

void raise_newest(std::atomic<std::uint32_t>& newest, std::uint32_t now) {
    std::uint32_t cur = newest.load(std::memory_order_acquire);
    while (cur < now && !newest.compare_exchange_weak(cur, now, std::memory_order_acq_rel)) {
    }
}

void record_bucket(std::atomic<std::uint64_t>& rec, std::uint32_t bucket, std::uint32_t count) {
    const std::uint64_t want = (static_cast<std::uint64_t>(bucket) << 32) | count;
    std::uint64_t cur = rec.load(std::memory_order_acquire);
    for (;;) {
        const auto e = static_cast<std::uint32_t>(cur >> 32);
        const auto c = static_cast<std::uint32_t>(cur);
        if (e > bucket || (e == bucket && c >= count)) return;
        if (rec.compare_exchange_weak(cur, want, std::memory_order_acq_rel)) return;
    }
}

// Sum of the completed buckets that still count at bucket `now`: numbers in [now-B+1, now-1].
std::uint32_t ring_sum(const WindowRef& w, std::uint32_t now) {
    std::uint64_t sum = 0;
    for (std::uint32_t i = 0; i < w.buckets; ++i) {
        const std::uint64_t r = w.ring[i].load(std::memory_order_acquire);
        const auto e = static_cast<std::uint32_t>(r >> 32);
        if (e < now && now - e < w.buckets) sum += static_cast<std::uint32_t>(r);
    }
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(sum, kCountMask));
}

// The head word for bucket `now`, moved on from `h` (which is behind or unset).
// The buckets leaving the window are (head - B, now - B]: all but the head's own are recorded
// (final) in the ring; the head's own count is cur. Usually one bucket, so a rotation reads one
// ring record (bench/policy_bench.cpp BM_Outbound: scanning the whole ring cost ~10 cache misses
// per decision at 100,000 trunks).
std::uint64_t rotated(const WindowRef& w, std::uint64_t h, HeadView v, std::uint32_t now) {
    if (v.pos != HeadPos::behind) return make_head(now, 0, ring_sum(w, now));  // fresh slot
    if (head_cur(h) != 0) record_bucket(w.ring[v.full % w.buckets], v.full, head_cur(h));
    if (now - v.full >= w.buckets) return make_head(now, 0, 0);  // everything left the window
    std::uint64_t leaving = 0;
    // Buckets e with v.full - B < e <= now - B, all older than the head.
    const std::int64_t lo = std::int64_t{v.full} - w.buckets + 1;
    const std::int64_t hi = std::int64_t{now} - w.buckets;
    for (std::int64_t e = std::max<std::int64_t>(lo, 0); e <= hi; ++e) {
        const std::uint64_t r = w.ring[static_cast<std::uint64_t>(e) % w.buckets].load(std::memory_order_acquire);
        if (static_cast<std::int64_t>(r >> 32) == e) leaving += static_cast<std::uint32_t>(r);
    }
    const std::uint64_t total = head_total(h);
    return make_head(now, 0, leaving >= total ? 0 : total - leaving);
}

// Reserves one call in the window; on success sets `epoch_lo` to the bucket it went into.
bool window_reserve(const WindowRef& w, std::uint32_t limit, std::uint32_t now,
                    std::uint32_t& epoch_lo) noexcept {
    limit = std::min(limit, kMaxWindowLimit);
    std::uint64_t h = w.head->load(std::memory_order_acquire);
    for (;;) {
        const HeadView v = locate(w, h, now);
        if (v.pos == HeadPos::behind || v.pos == HeadPos::unset) {
            const std::uint64_t next = rotated(w, h, v, now);
            raise_newest(*w.full, now);
            if (w.head->compare_exchange_weak(h, next, std::memory_order_acq_rel)) h = next;
            continue;
        }
        if (head_total(h) >= limit) return false;
        const std::uint64_t next = make_head(head_epoch(h), head_cur(h) + 1, head_total(h) + 1);
        if (w.head->compare_exchange_weak(h, next, std::memory_order_acq_rel)) {
            epoch_lo = head_epoch(h);
            return true;
        }
    }
}

// Undoes a reservation made in bucket `epoch_lo`. False when the head has moved on since (the
// call keeps counting in its recorded bucket: conservative).
bool window_rollback(const WindowRef& w, std::uint32_t epoch_lo) noexcept {
    std::uint64_t h = w.head->load(std::memory_order_acquire);
    for (;;) {
        if (head_epoch(h) != epoch_lo || head_cur(h) == 0 || head_total(h) == 0) return false;
        const std::uint64_t next = make_head(epoch_lo, head_cur(h) - 1, head_total(h) - 1);
        if (w.head->compare_exchange_weak(h, next, std::memory_order_acq_rel)) return true;
    }
}

std::uint32_t window_read(const WindowRef& w, std::uint32_t now) noexcept {
    const std::uint64_t h = w.head->load(std::memory_order_acquire);
    const HeadView v = locate(w, h, now);
    switch (v.pos) {
        case HeadPos::current:
        case HeadPos::ahead: return head_total(h);
        case HeadPos::unset: return ring_sum(w, now);
        case HeadPos::behind: {
            std::uint64_t sum = ring_sum(w, now);
            // The head's own bucket may not be recorded yet.
            const std::uint64_t rec = w.ring[v.full % w.buckets].load(std::memory_order_acquire);
            const bool recorded = static_cast<std::uint32_t>(rec >> 32) == v.full;
            if (!recorded && now - v.full < w.buckets) sum += head_cur(h);
            return static_cast<std::uint32_t>(std::min<std::uint64_t>(sum, kCountMask));
        }
    }
    return 0;
}

}  // namespace

LimitsTable::LimitsTable(std::uint32_t capacity)
    : capacity_(capacity),
      // Huge-page backed (huge_alloc.hpp): at 100,000 trunks the gauges are 8 MB and the
      // window rings 200 MB, which on 4 KiB pages made every gauge miss a TLB miss as well.
      gauges_(static_cast<Gauges*>(huge_alloc_bytes(sizeof(Gauges) * std::size_t{capacity}))),
      history_(static_cast<History*>(huge_alloc_bytes(sizeof(History) * std::size_t{capacity}))),
      state_(capacity, SlotState::free),
      owner_(capacity) {
    std::uninitialized_default_construct_n(gauges_, capacity);
    std::uninitialized_default_construct_n(history_, capacity);
    for (std::uint32_t i = 0; i < capacity; ++i) {
        for (auto& r : history_[i].hour) r.store(0, std::memory_order_relaxed);
        for (auto& r : history_[i].day) r.store(0, std::memory_order_relaxed);
        for (auto& r : history_[i].week) r.store(0, std::memory_order_relaxed);
    }
    free_list_.reserve(capacity);
    for (std::uint32_t i = capacity; i > 0; --i) free_list_.push_back(i - 1);
}

LimitsTable::~LimitsTable() {
    // Gauges and History are arrays of atomics: trivially destructible, nothing to run.
    static_assert(std::is_trivially_destructible_v<Gauges> && std::is_trivially_destructible_v<History>);
    std::free(gauges_);
    std::free(history_);
}

namespace {
WindowRef hour_ref(LimitsTable::Gauges& g, LimitsTable::History& h) {
    return {&g.hour, &g.hour_full, h.hour, kHourBuckets, 60};
}
WindowRef day_ref(LimitsTable::Gauges& g, LimitsTable::History& h) {
    return {&g.day, &g.day_full, h.day, kDayBuckets, 3600};
}
WindowRef week_ref(LimitsTable::Gauges& g, LimitsTable::History& h) {
    return {&g.week, &g.week_full, h.week, kWeekBuckets, 3600};
}

bool attempt(std::atomic<std::uint64_t>& a, std::uint32_t limit, std::uint64_t now_s) noexcept {
    const auto sec = static_cast<std::uint32_t>(now_s);
    std::uint64_t cur = a.load(std::memory_order_acquire);
    for (;;) {
        const auto s = static_cast<std::uint32_t>(cur >> 32);
        const auto c = static_cast<std::uint32_t>(cur);
        std::uint64_t next;
        if (static_cast<std::int32_t>(sec - s) > 0) {  // a newer second: start again
            if (limit == 0) return false;
            next = (static_cast<std::uint64_t>(sec) << 32) | 1;
        } else {  // the same second, or a worker whose clock is a little behind
            if (c >= limit) return false;
            next = cur + 1;
        }
        if (a.compare_exchange_weak(cur, next, std::memory_order_acq_rel)) return true;
    }
}
}  // namespace

bool LimitsTable::gauge_try_acquire(std::uint32_t slot, std::uint32_t limit) noexcept {
    auto& c = gauges_[slot].concurrent;
    std::uint32_t v = c.load(std::memory_order_acquire);
    while (v < limit) {
        if (c.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel)) return true;
    }
    return false;
}

bool LimitsTable::try_acquire(std::uint32_t slot, std::uint32_t limit,
                              AdmissionToken& token) noexcept {
    if (slot >= capacity_ || token.held()) return false;
    if (!gauge_try_acquire(slot, limit)) return false;
    token.slot_ = slot;
    token.generation_ = gauges_[slot].generation.load(std::memory_order_acquire);
    token.reserved_ = 0;
    return true;
}

bool LimitsTable::release(AdmissionToken& token) noexcept {
    const std::uint32_t slot = token.slot_;
    if (slot >= capacity_) {
        refused_releases_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    token.slot_ = kNoLimitSlot;
    token.reserved_ = 0;  // a released call counts where it is (it was forwarded)
    Gauges& g = gauges_[slot];
    if (g.generation.load(std::memory_order_acquire) != token.generation_) {
        refused_releases_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    std::uint32_t v = g.concurrent.load(std::memory_order_acquire);
    while (v > 0) {
        if (g.concurrent.compare_exchange_weak(v, v - 1, std::memory_order_acq_rel)) return true;
    }
    refused_releases_.fetch_add(1, std::memory_order_relaxed);
    return false;
}

AdmitResult LimitsTable::admit(std::uint32_t slot, const LimitsSpec& limits, std::uint64_t now_s,
                               AdmissionToken& token) noexcept {
    if (slot >= capacity_ || token.held()) return AdmitResult::concurrency;
    Gauges& g = gauges_[slot];
    History& hist = history_[slot];
    if (!attempt(g.attempts, limits.attempts_per_second, now_s)) return AdmitResult::rate;

    const auto minute = static_cast<std::uint32_t>(now_s / 60);
    const auto hour = static_cast<std::uint32_t>(now_s / 3600);
    const WindowRef wh = hour_ref(g, hist);
    const WindowRef wd = day_ref(g, hist);
    const WindowRef ww = week_ref(g, hist);
    std::uint32_t eh = 0;
    std::uint32_t ed = 0;
    std::uint32_t ew = 0;
    auto undo = [this](const WindowRef& w, std::uint32_t e) {
        if (!window_rollback(w, e)) stuck_rollbacks_.fetch_add(1, std::memory_order_relaxed);
    };
    if (!window_reserve(wh, limits.calls_per_hour, minute, eh)) return AdmitResult::hour;
    if (!window_reserve(wd, limits.calls_per_day, hour, ed)) {
        undo(wh, eh);
        return AdmitResult::day;
    }
    if (!window_reserve(ww, limits.calls_per_week, hour, ew)) {
        undo(wd, ed);
        undo(wh, eh);
        return AdmitResult::week;
    }
    if (!gauge_try_acquire(slot, limits.max_concurrent)) {
        undo(ww, ew);
        undo(wd, ed);
        undo(wh, eh);
        return AdmitResult::concurrency;
    }
    token.slot_ = slot;
    token.generation_ = g.generation.load(std::memory_order_acquire);
    token.reserved_ = kReservedBit | (std::uint64_t{ew & kEpochMask} << 40) |
                      (std::uint64_t{ed & kEpochMask} << 20) | (eh & kEpochMask);
    return AdmitResult::admitted;
}

bool LimitsTable::unadmit(AdmissionToken& token) noexcept {
    const std::uint64_t res = token.reserved_;
    token.reserved_ = 0;
    const std::uint32_t slot = token.slot_;
    if (res != 0 && slot < capacity_ &&
        gauges_[slot].generation.load(std::memory_order_acquire) == token.generation_) {
        Gauges& g = gauges_[slot];
        History& hist = history_[slot];
        // Reverse order of admit()'s reservations, like its own rollback.
        const auto e = [res](unsigned shift) { return static_cast<std::uint32_t>((res >> shift) & kEpochMask); };
        if (!window_rollback(week_ref(g, hist), e(40))) stuck_rollbacks_.fetch_add(1, std::memory_order_relaxed);
        if (!window_rollback(day_ref(g, hist), e(20))) stuck_rollbacks_.fetch_add(1, std::memory_order_relaxed);
        if (!window_rollback(hour_ref(g, hist), e(0))) stuck_rollbacks_.fetch_add(1, std::memory_order_relaxed);
    }
    return release(token);
}

void LimitsTable::prefetch(std::uint32_t slot, std::uint64_t now_s) const noexcept {
    if (slot >= capacity_) return;
    __builtin_prefetch(&gauges_[slot], 1, 3);
    // A rotation of the hour window reads the records of the minutes leaving it (ending at
    // now % 60) and records the head's own minute; for a trunk with a call every minute or two
    // (100,000 trunks at 1,000 calls per second) those are the records of the last two minutes,
    // which sit on a second cache line whenever now % 8 < 2.
    const std::uint64_t minute = now_s / 60;
    const auto* ring = history_[slot].hour;
    __builtin_prefetch(&ring[minute % kHourBuckets], 1, 3);
    const std::uint64_t before = (minute + kHourBuckets - 2) % kHourBuckets;
    if (before / 8 != (minute % kHourBuckets) / 8) __builtin_prefetch(&ring[before], 1, 3);
}

std::uint32_t LimitsTable::concurrent(std::uint32_t slot) const noexcept {
    return slot < capacity_ ? gauges_[slot].concurrent.load(std::memory_order_acquire) : 0;
}

std::uint32_t LimitsTable::attempts(std::uint32_t slot, std::uint64_t now_s) const noexcept {
    if (slot >= capacity_) return 0;
    const std::uint64_t a = gauges_[slot].attempts.load(std::memory_order_acquire);
    return static_cast<std::uint32_t>(a >> 32) == static_cast<std::uint32_t>(now_s)
               ? static_cast<std::uint32_t>(a)
               : 0;
}

std::uint32_t LimitsTable::window_count(std::uint32_t slot, CallWindow w,
                                        std::uint64_t now_s) const noexcept {
    if (slot >= capacity_) return 0;
    Gauges& g = gauges_[slot];
    History& h = history_[slot];
    switch (w) {
        case CallWindow::hour: return window_read(hour_ref(g, h), static_cast<std::uint32_t>(now_s / 60));
        case CallWindow::day: return window_read(day_ref(g, h), static_cast<std::uint32_t>(now_s / 3600));
        case CallWindow::week: return window_read(week_ref(g, h), static_cast<std::uint32_t>(now_s / 3600));
    }
    return 0;
}

std::uint32_t LimitsTable::bind(std::string_view id) {
    const std::uint32_t found = find(id);
    if (found != kNoLimitSlot) {
        state_[found] = SlotState::bound;  // a retired trunk that came back keeps its counters
        return found;
    }
    if (free_list_.empty()) return kNoLimitSlot;
    const std::uint32_t slot = free_list_.back();
    free_list_.pop_back();
    // A free slot has no outstanding token and no worker can reach it (no published snapshot
    // names it), so plain stores reset it; the generation makes any stale token harmless.
    Gauges& g = gauges_[slot];
    g.concurrent.store(0, std::memory_order_relaxed);
    g.attempts.store(0, std::memory_order_relaxed);
    g.hour.store(0, std::memory_order_relaxed);
    g.day.store(0, std::memory_order_relaxed);
    g.week.store(0, std::memory_order_relaxed);
    g.hour_full.store(0, std::memory_order_relaxed);
    g.day_full.store(0, std::memory_order_relaxed);
    g.week_full.store(0, std::memory_order_relaxed);
    for (auto& r : history_[slot].hour) r.store(0, std::memory_order_relaxed);
    for (auto& r : history_[slot].day) r.store(0, std::memory_order_relaxed);
    for (auto& r : history_[slot].week) r.store(0, std::memory_order_relaxed);
    g.generation.fetch_add(1, std::memory_order_release);
    state_[slot] = SlotState::bound;
    owner_[slot] = std::string(id);
    index_.emplace(owner_[slot], slot);
    return slot;
}

void LimitsTable::retire_except(std::span<const std::string_view> keep) {
    std::vector<std::string_view> sorted(keep.begin(), keep.end());
    std::sort(sorted.begin(), sorted.end());
    for (std::uint32_t i = 0; i < capacity_; ++i) {
        if (state_[i] != SlotState::bound) continue;
        if (!std::binary_search(sorted.begin(), sorted.end(), std::string_view(owner_[i])))
            state_[i] = SlotState::retired;
    }
}

std::uint32_t LimitsTable::reap() {
    std::uint32_t freed = 0;
    for (std::uint32_t i = 0; i < capacity_; ++i) {
        if (state_[i] != SlotState::retired) continue;
        if (gauges_[i].concurrent.load(std::memory_order_acquire) != 0) continue;
        state_[i] = SlotState::free;
        index_.erase(owner_[i]);
        owner_[i].clear();
        free_list_.push_back(i);
        ++freed;
    }
    return freed;
}

std::uint32_t LimitsTable::find(std::string_view id) const {
    const auto it = index_.find(std::string(id));
    return it == index_.end() ? kNoLimitSlot : it->second;
}

std::uint32_t LimitsTable::used() const noexcept {
    return capacity_ - static_cast<std::uint32_t>(free_list_.size());
}

// Restore: bring the head to `now` the way a reservation would, then put the restored calls
// where admit() would have left them: in the head (cur and total) for the current bucket, else
// in the bucket's ring record plus the head's total, so that the rotation that later moves the
// bucket out of the window subtracts them again.
std::uint32_t LimitsTable::restore_window(std::uint32_t slot, CallWindow w, std::uint32_t bucket,
                                          std::uint32_t count, std::uint64_t now_s) noexcept {
    if (slot >= capacity_ || count == 0) return 0;
    Gauges& g = gauges_[slot];
    History& hist = history_[slot];
    const WindowRef wr = w == CallWindow::hour ? hour_ref(g, hist) : w == CallWindow::day ? day_ref(g, hist) : week_ref(g, hist);
    const auto now = static_cast<std::uint32_t>(now_s / wr.bucket_seconds);
    if (bucket > now) bucket = now;
    if (now - bucket >= wr.buckets) return 0;
    std::uint64_t h = wr.head->load(std::memory_order_acquire);
    HeadView v = locate(wr, h, now);
    while (v.pos == HeadPos::behind || v.pos == HeadPos::unset) {
        const std::uint64_t next = rotated(wr, h, v, now);
        raise_newest(*wr.full, now);
        if (wr.head->compare_exchange_weak(h, next, std::memory_order_acq_rel)) h = next;
        v = locate(wr, h, now);
    }
    if (v.pos == HeadPos::ahead) bucket = now;  // a stepped-back clock: keep it in the head's count
    const std::uint64_t room = kCountMask - head_total(h);
    count = static_cast<std::uint32_t>(std::min<std::uint64_t>(count, room));
    if (bucket == now || v.pos == HeadPos::ahead) {
        count = static_cast<std::uint32_t>(std::min<std::uint64_t>(count, kCurMask - head_cur(h)));
        wr.head->store(make_head(head_epoch(h), head_cur(h) + count, head_total(h) + count), std::memory_order_release);
        return count;
    }
    std::atomic<std::uint64_t>& rec = wr.ring[bucket % wr.buckets];
    const std::uint64_t r = rec.load(std::memory_order_acquire);
    const std::uint32_t had = static_cast<std::uint32_t>(r >> 32) == bucket ? static_cast<std::uint32_t>(r) : 0;
    rec.store((static_cast<std::uint64_t>(bucket) << 32) | (had + count), std::memory_order_release);
    wr.head->store(make_head(head_epoch(h), head_cur(h), head_total(h) + count), std::memory_order_release);
    return count;
}

}  // namespace palisade::dp
