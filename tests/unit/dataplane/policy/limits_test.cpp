// The lock-free per-trunk limits: exact semantics with a driven clock, and storms from every core
// (TBB) that prove no over-admission and no lost release.
#include "dataplane/contract/limits.hpp"

#include <gtest/gtest.h>
#include <tbb/parallel_for.h>
#include <tbb/task_group.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "dataplane/contract/clock.hpp"

namespace palisade::dp {
namespace {

constexpr std::uint64_t kT0 = 1'700'000'040;  // 2023-11-14, mid-hour

std::uint64_t hour_start(std::uint64_t s) { return s / 3600 * 3600; }

LimitsSpec generous() {
    LimitsSpec l;
    l.max_concurrent = 1'000'000;
    l.attempts_per_second = 1'000'000;
    l.calls_per_hour = 1'000'000;
    l.calls_per_day = 1'000'000;
    l.calls_per_week = 1'000'000;
    return l;
}

TEST(Limits, GaugeNeverPassesLimitAndReleaseIsOnce) {
    LimitsTable t(4);
    const std::uint32_t s = t.bind("a");
    ASSERT_NE(s, kNoLimitSlot);
    AdmissionToken a;
    AdmissionToken b;
    AdmissionToken c;
    EXPECT_TRUE(t.try_acquire(s, 2, a));
    EXPECT_TRUE(t.try_acquire(s, 2, b));
    EXPECT_FALSE(t.try_acquire(s, 2, c));
    EXPECT_FALSE(c.held());
    EXPECT_EQ(t.concurrent(s), 2u);
    EXPECT_TRUE(t.release(a));
    EXPECT_FALSE(a.held());
    EXPECT_FALSE(t.release(a));  // double release: detected, nothing changes
    EXPECT_EQ(t.concurrent(s), 1u);
    EXPECT_EQ(t.refused_releases(), 1u);
    AdmissionToken moved = std::move(b);
    EXPECT_FALSE(b.held());  // NOLINT(bugprone-use-after-move): moving clears the source
    EXPECT_FALSE(t.release(b));
    EXPECT_TRUE(t.release(moved));
    EXPECT_EQ(t.concurrent(s), 0u);
    EXPECT_FALSE(t.release(c));
    EXPECT_EQ(t.concurrent(s), 0u);  // never below zero
}

TEST(Limits, AttemptsPerSecondIsAFixedSecond) {
    LimitsTable t(1);
    const std::uint32_t s = t.bind("a");
    LimitsSpec l = generous();
    l.attempts_per_second = 3;
    AdmissionToken tok[8];
    EXPECT_EQ(t.admit(s, l, kT0, tok[0]), AdmitResult::admitted);
    EXPECT_EQ(t.admit(s, l, kT0, tok[1]), AdmitResult::admitted);
    EXPECT_EQ(t.admit(s, l, kT0, tok[2]), AdmitResult::admitted);
    EXPECT_EQ(t.admit(s, l, kT0, tok[3]), AdmitResult::rate);
    EXPECT_EQ(t.attempts(s, kT0), 3u);
    EXPECT_EQ(t.admit(s, l, kT0 + 1, tok[3]), AdmitResult::admitted);
    // An attempt refused by a later check still used the second's budget.
    l.max_concurrent = 4;
    EXPECT_EQ(t.admit(s, l, kT0 + 1, tok[4]), AdmitResult::concurrency);
    EXPECT_EQ(t.attempts(s, kT0 + 1), 2u);
    // A worker whose clock is a little behind counts in the newer second.
    EXPECT_EQ(t.admit(s, l, kT0, tok[4]), AdmitResult::concurrency);
    EXPECT_EQ(t.attempts(s, kT0 + 1), 3u);
    EXPECT_EQ(t.admit(s, l, kT0 + 1, tok[4]), AdmitResult::rate);
}

TEST(Limits, HourWindowIsSixtyMinuteBuckets) {
    LimitsTable t(1);
    const std::uint32_t s = t.bind("a");
    LimitsSpec l = generous();
    l.calls_per_hour = 3;
    const std::uint64_t m0 = hour_start(kT0) + 10 * 60 + 30;  // 10.5 minutes into an hour
    std::vector<AdmissionToken> toks(10);
    EXPECT_EQ(t.admit(s, l, m0, toks[0]), AdmitResult::admitted);
    EXPECT_EQ(t.admit(s, l, m0 + 60 * 20, toks[1]), AdmitResult::admitted);
    EXPECT_EQ(t.admit(s, l, m0 + 60 * 40, toks[2]), AdmitResult::admitted);
    EXPECT_EQ(t.admit(s, l, m0 + 60 * 50, toks[3]), AdmitResult::hour);
    EXPECT_EQ(t.window_count(s, CallWindow::hour, m0 + 60 * 50), 3u);
    // The first call (minute 10) counts until the start of minute 70.
    const std::uint64_t minute70 = hour_start(kT0) + 70 * 60;
    EXPECT_EQ(t.admit(s, l, minute70 - 1, toks[3]), AdmitResult::hour);
    EXPECT_EQ(t.window_count(s, CallWindow::hour, minute70 - 1), 3u);
    EXPECT_EQ(t.window_count(s, CallWindow::hour, minute70), 2u);
    EXPECT_EQ(t.admit(s, l, minute70, toks[3]), AdmitResult::admitted);
    EXPECT_EQ(t.admit(s, l, minute70 + 1, toks[4]), AdmitResult::hour);
    // The day and week windows counted every admitted call, and nothing refused.
    EXPECT_EQ(t.window_count(s, CallWindow::day, minute70), 4u);
    EXPECT_EQ(t.window_count(s, CallWindow::week, minute70), 4u);
    // Long after: everything expired, even after a jump over many windows (and past the 2^20
    // buckets the head's low bits can tell apart).
    EXPECT_EQ(t.window_count(s, CallWindow::hour, m0 + 86400 * 400), 0u);
    EXPECT_EQ(t.admit(s, l, m0 + 86400 * 800, toks[4]), AdmitResult::admitted);
    EXPECT_EQ(t.window_count(s, CallWindow::hour, m0 + 86400 * 800), 1u);
    EXPECT_EQ(t.window_count(s, CallWindow::week, m0 + 86400 * 800), 1u);
}

TEST(Limits, DayAndWeekWindowsAreHourlyBuckets) {
    LimitsTable t(1);
    const std::uint32_t s = t.bind("a");
    LimitsSpec l = generous();
    l.calls_per_day = 2;
    l.calls_per_week = 3;
    const std::uint64_t h0 = hour_start(kT0) + 1800;
    AdmissionToken tok[6];
    EXPECT_EQ(t.admit(s, l, h0, tok[0]), AdmitResult::admitted);
    EXPECT_EQ(t.admit(s, l, h0 + 3600, tok[1]), AdmitResult::admitted);
    EXPECT_EQ(t.admit(s, l, h0 + 7200, tok[2]), AdmitResult::day);
    // A day refusal used no hour budget and no week budget.
    EXPECT_EQ(t.window_count(s, CallWindow::hour, h0 + 7200), 0u);
    EXPECT_EQ(t.window_count(s, CallWindow::week, h0 + 7200), 2u);
    // Hour h counts for the day until the start of hour h + 24.
    EXPECT_EQ(t.admit(s, l, hour_start(h0) + 24 * 3600 - 1, tok[2]), AdmitResult::day);
    EXPECT_EQ(t.admit(s, l, hour_start(h0) + 24 * 3600, tok[2]), AdmitResult::admitted);
    EXPECT_EQ(t.window_count(s, CallWindow::week, hour_start(h0) + 24 * 3600), 3u);
    EXPECT_EQ(t.admit(s, l, hour_start(h0) + 48 * 3600, tok[3]), AdmitResult::week);
    EXPECT_EQ(t.admit(s, l, hour_start(h0) + 168 * 3600 - 1, tok[3]), AdmitResult::week);
    EXPECT_EQ(t.admit(s, l, hour_start(h0) + 168 * 3600, tok[3]), AdmitResult::admitted);
    EXPECT_EQ(t.window_count(s, CallWindow::week, hour_start(h0) + 168 * 3600), 3u);
}

TEST(Limits, RefusedCallsUseNoWindowBudget) {
    LimitsTable t(1);
    const std::uint32_t s = t.bind("a");
    LimitsSpec l = generous();
    l.max_concurrent = 1;
    l.calls_per_hour = 5;
    AdmissionToken first;
    ASSERT_EQ(t.admit(s, l, kT0, first), AdmitResult::admitted);
    for (int i = 0; i < 100; ++i) {
        AdmissionToken tok;
        ASSERT_EQ(t.admit(s, l, kT0, tok), AdmitResult::concurrency);
    }
    EXPECT_EQ(t.window_count(s, CallWindow::hour, kT0), 1u);
    EXPECT_EQ(t.window_count(s, CallWindow::day, kT0), 1u);
    EXPECT_EQ(t.window_count(s, CallWindow::week, kT0), 1u);
    EXPECT_TRUE(t.release(first));
}

// DESIGN.md §4: a call refused by a check after admission (420, 422, 488, 500 in call_checks)
// is not forwarded and must not count against hour, day or week; its attempt still counts.
TEST(Limits, UnadmitGivesBackTheWindowsButNotTheAttempt) {
    LimitsTable t(1);
    const std::uint32_t s = t.bind("a");
    LimitsSpec l = generous();
    l.calls_per_hour = 2;
    l.calls_per_day = 3;
    l.calls_per_week = 4;
    for (int i = 0; i < 10; ++i) {
        AdmissionToken tok;
        ASSERT_EQ(t.admit(s, l, kT0, tok), AdmitResult::admitted) << i;
        EXPECT_TRUE(tok.reserved());
        EXPECT_TRUE(t.unadmit(tok));
        EXPECT_FALSE(tok.held());
        EXPECT_FALSE(tok.reserved());
        EXPECT_FALSE(t.unadmit(tok));  // once: a second one changes nothing
    }
    EXPECT_EQ(t.window_count(s, CallWindow::hour, kT0), 0u);
    EXPECT_EQ(t.window_count(s, CallWindow::day, kT0), 0u);
    EXPECT_EQ(t.window_count(s, CallWindow::week, kT0), 0u);
    EXPECT_EQ(t.concurrent(s), 0u);
    EXPECT_EQ(t.attempts(s, kT0), 10u);  // every one was an attempt
    EXPECT_EQ(t.stuck_rollbacks(), 0u);
    // The hour budget is intact: two calls still pass, the third is refused.
    AdmissionToken a;
    AdmissionToken b;
    AdmissionToken c;
    EXPECT_EQ(t.admit(s, l, kT0, a), AdmitResult::admitted);
    EXPECT_EQ(t.admit(s, l, kT0, b), AdmitResult::admitted);
    EXPECT_EQ(t.admit(s, l, kT0, c), AdmitResult::hour);
    // A forwarded call's release keeps it counted; a later unadmit cannot un-count it.
    EXPECT_TRUE(t.release(a));
    EXPECT_FALSE(t.unadmit(a));
    EXPECT_EQ(t.window_count(s, CallWindow::hour, kT0), 2u);
    EXPECT_TRUE(t.release(b));
}

TEST(Limits, UnadmitOfAnEmergencyTokenIsARelease) {
    LimitsTable t(1);
    const std::uint32_t s = t.bind("a");
    LimitsSpec l = generous();
    AdmissionToken counted;
    ASSERT_EQ(t.admit(s, l, kT0, counted), AdmitResult::admitted);
    AdmissionToken em;
    ASSERT_TRUE(t.try_acquire(s, 0xffffffffu, em));
    EXPECT_FALSE(em.reserved());
    EXPECT_TRUE(t.unadmit(em));
    EXPECT_EQ(t.concurrent(s), 1u);
    EXPECT_EQ(t.window_count(s, CallWindow::hour, kT0), 1u);  // the other call's count stays
    // A moved token carries its reservation.
    AdmissionToken moved = std::move(counted);
    EXPECT_FALSE(counted.reserved());  // NOLINT(bugprone-use-after-move)
    EXPECT_TRUE(t.unadmit(moved));
    EXPECT_EQ(t.window_count(s, CallWindow::hour, kT0), 0u);
    EXPECT_EQ(t.concurrent(s), 0u);
}

TEST(Limits, UnadmitAcrossAMinuteBoundaryKeepsTheCallCounted) {
    LimitsTable t(1);
    const std::uint32_t s = t.bind("a");
    LimitsSpec l = generous();
    const std::uint64_t end_of_minute = kT0 / 60 * 60 + 59;
    AdmissionToken tok;
    ASSERT_EQ(t.admit(s, l, end_of_minute, tok), AdmitResult::admitted);
    AdmissionToken next;  // another call moves the hour head to the next minute
    ASSERT_EQ(t.admit(s, l, end_of_minute + 1, next), AdmitResult::admitted);
    EXPECT_TRUE(t.unadmit(tok));
    // Hour: the head moved on, the call stays counted (conservative, counted as stuck); day and
    // week (same hour bucket) gave it back.
    EXPECT_EQ(t.window_count(s, CallWindow::hour, end_of_minute + 1), 2u);
    EXPECT_EQ(t.window_count(s, CallWindow::day, end_of_minute + 1), 1u);
    EXPECT_EQ(t.stuck_rollbacks(), 1u);
    EXPECT_TRUE(t.release(next));
}

TEST(Limits, UnadmitOfAStaleTokenGivesNothingBack) {
    LimitsTable t(1);
    const std::uint32_t a = t.bind("a");
    LimitsSpec l = generous();
    AdmissionToken call;
    ASSERT_EQ(t.admit(a, l, kT0, call), AdmitResult::admitted);
    // A token released long ago, then the slot given to another trunk: its unadmit must not
    // touch the new trunk's windows.
    AdmissionToken copy;
    ASSERT_EQ(t.admit(a, l, kT0, copy), AdmitResult::admitted);
    ASSERT_TRUE(t.release(copy));
    t.retire_except({});
    EXPECT_EQ(t.reap(), 0u);  // `call` still holds it
    ASSERT_TRUE(t.release(call));
    ASSERT_EQ(t.reap(), 1u);
    const std::uint32_t b = t.bind("b");
    ASSERT_EQ(b, a);
    AdmissionToken fresh;
    ASSERT_EQ(t.admit(b, l, kT0, fresh), AdmitResult::admitted);
    EXPECT_FALSE(t.unadmit(copy));  // released long ago
    EXPECT_EQ(t.window_count(b, CallWindow::hour, kT0), 1u);
    EXPECT_TRUE(t.unadmit(fresh));
    EXPECT_EQ(t.window_count(b, CallWindow::hour, kT0), 0u);
}

TEST(Limits, ClockSteppedBackNeverUncounts) {
    LimitsTable t(1);
    const std::uint32_t s = t.bind("a");
    LimitsSpec l = generous();
    l.calls_per_hour = 2;
    AdmissionToken a;
    AdmissionToken b;
    AdmissionToken c;
    ASSERT_EQ(t.admit(s, l, kT0, a), AdmitResult::admitted);
    ASSERT_EQ(t.admit(s, l, kT0 - 7200, b), AdmitResult::admitted);
    EXPECT_EQ(t.admit(s, l, kT0 - 7200, c), AdmitResult::hour);
}

TEST(Limits, SlotsSurviveReloadAndAreReapedAfterTheirLastCall) {
    LimitsTable t(2);
    const std::uint32_t a = t.bind("a");
    EXPECT_EQ(t.bind("a"), a);  // same id, same slot
    AdmissionToken call;
    ASSERT_TRUE(t.try_acquire(a, 5, call));
    const std::string_view keep_b[] = {"b"};
    const std::uint32_t b = t.bind("b");
    ASSERT_NE(b, a);
    EXPECT_EQ(t.bind("c"), kNoLimitSlot);  // full
    t.retire_except(keep_b);
    EXPECT_EQ(t.reap(), 0u);  // "a" still has a call
    EXPECT_EQ(t.bind("c"), kNoLimitSlot);
    // "a" comes back before its slot was reaped: same slot, same live counters.
    EXPECT_EQ(t.bind("a"), a);
    EXPECT_EQ(t.concurrent(a), 1u);
    const std::string_view keep_none[] = {"b"};
    t.retire_except(keep_none);
    EXPECT_TRUE(t.release(call));
    EXPECT_EQ(t.reap(), 1u);
    const std::uint32_t c = t.bind("c");
    EXPECT_EQ(c, a);  // the freed slot, with fresh counters
    EXPECT_EQ(t.concurrent(c), 0u);
    EXPECT_EQ(t.find("a"), kNoLimitSlot);
}

TEST(Limits, StaleTokenFromAReusedSlotChangesNothing) {
    LimitsTable t(1);
    const std::uint32_t a = t.bind("a");
    AdmissionToken call;
    ASSERT_TRUE(t.try_acquire(a, 5, call));
    AdmissionToken other;
    ASSERT_TRUE(t.try_acquire(a, 5, other));
    ASSERT_TRUE(t.release(other));
    ASSERT_TRUE(t.release(call));
    t.retire_except({});
    ASSERT_EQ(t.reap(), 1u);
    const std::uint32_t b = t.bind("b");
    AdmissionToken fresh;
    ASSERT_TRUE(t.try_acquire(b, 5, fresh));
    EXPECT_FALSE(t.release(call));  // already released: not held
    EXPECT_EQ(t.concurrent(b), 1u);
}

// ---- storms from every core ----

TEST(LimitsStorm, GaugeHoldsTheLimitAndLosesNoRelease) {
    LimitsTable t(1);
    const std::uint32_t s = t.bind("a");
    constexpr std::uint32_t kLimit = 7;
    std::atomic<std::uint64_t> admitted{0};
    std::atomic<std::uint64_t> refused{0};
    std::atomic<std::uint32_t> over{0};
    tbb::parallel_for(0, 400'000, [&](int) {
        AdmissionToken tok;
        if (t.try_acquire(s, kLimit, tok)) {
            admitted.fetch_add(1, std::memory_order_relaxed);
            if (t.concurrent(s) > kLimit) over.fetch_add(1);
            if (!t.release(tok)) over.fetch_add(1000);
        } else {
            refused.fetch_add(1, std::memory_order_relaxed);
        }
    });
    EXPECT_EQ(over.load(), 0u);
    EXPECT_EQ(admitted.load() + refused.load(), 400'000u);
    EXPECT_GT(admitted.load(), 0u);
    EXPECT_EQ(t.concurrent(s), 0u);
    EXPECT_EQ(t.refused_releases(), 0u);
}

TEST(LimitsStorm, ExactCountsWithoutRelease) {
    LimitsTable t(3);
    const std::uint32_t s = t.bind("a");
    LimitsSpec l = generous();
    l.max_concurrent = 1'000;
    l.calls_per_hour = 5'000;
    std::vector<AdmissionToken> held(200'000);
    std::atomic<std::uint32_t> admitted{0};
    std::atomic<std::uint32_t> by_conc{0};
    tbb::parallel_for(0, 200'000, [&](int i) {
        const AdmitResult r = t.admit(s, l, kT0, held[static_cast<std::size_t>(i)]);
        if (r == AdmitResult::admitted) admitted.fetch_add(1);
        if (r == AdmitResult::concurrency) by_conc.fetch_add(1);
    });
    EXPECT_EQ(admitted.load(), 1'000u);
    EXPECT_EQ(by_conc.load(), 199'000u);
    EXPECT_EQ(t.concurrent(s), 1'000u);
    // Refused calls rolled back every reservation: the windows hold exactly the admitted calls.
    EXPECT_EQ(t.window_count(s, CallWindow::hour, kT0), 1'000u);
    EXPECT_EQ(t.window_count(s, CallWindow::day, kT0), 1'000u);
    EXPECT_EQ(t.window_count(s, CallWindow::week, kT0), 1'000u);
    // Release everything from every core, twice: exactly 1,000 succeed.
    std::atomic<std::uint32_t> released{0};
    tbb::parallel_for(0, 400'000, [&](int i) {
        if (t.release(held[static_cast<std::size_t>(i % 200'000)])) released.fetch_add(1);
    });
    EXPECT_EQ(released.load(), 1'000u);
    EXPECT_EQ(t.concurrent(s), 0u);
    EXPECT_EQ(t.stuck_rollbacks(), 0u);
}

TEST(LimitsStorm, HourLimitExactUnderContention) {
    LimitsTable t(1);
    const std::uint32_t s = t.bind("a");
    LimitsSpec l = generous();
    l.calls_per_hour = 12'345;
    std::atomic<std::uint32_t> admitted{0};
    tbb::parallel_for(0, 100'000, [&](int) {
        AdmissionToken tok;
        if (t.admit(s, l, kT0, tok) == AdmitResult::admitted) {
            admitted.fetch_add(1);
            t.release(tok);
        }
    });
    EXPECT_EQ(admitted.load(), 12'345u);
    EXPECT_EQ(t.window_count(s, CallWindow::hour, kT0), 12'345u);
    EXPECT_EQ(t.concurrent(s), 0u);
}

TEST(LimitsStorm, NoWindowOverAdmittedWhileTheClockMoves) {
    LimitsTable t(1);
    const std::uint32_t s = t.bind("a");
    LimitsSpec l = generous();
    l.calls_per_hour = 300;
    l.max_concurrent = 50;
    ManualClock clock(instant_from_seconds(hour_start(kT0)));
    std::atomic<bool> stop{false};
    std::mutex mu;
    std::map<std::uint64_t, std::uint32_t> per_minute;  // recorded minute -> admitted calls
    tbb::task_group g;
    const unsigned workers = std::max(2u, std::thread::hardware_concurrency());
    for (unsigned w = 0; w < workers; ++w) {
        g.run([&] {
            std::map<std::uint64_t, std::uint32_t> mine;
            while (!stop.load(std::memory_order_relaxed)) {
                const std::uint64_t now = clock.now().seconds();
                AdmissionToken tok;
                if (t.admit(s, l, now, tok) == AdmitResult::admitted) {
                    ++mine[now / 60];
                    t.release(tok);
                }
            }
            const std::lock_guard<std::mutex> lock(mu);
            for (const auto& [m, n] : mine) per_minute[m] += n;
        });
    }
    g.run([&] {
        for (int i = 0; i < 400; ++i) {  // 400 minutes, 7 steps of 1 s... 60 s each
            std::this_thread::sleep_for(std::chrono::microseconds(300));
            clock.advance_seconds(60);
        }
        stop.store(true);
    });
    g.wait();
    std::uint32_t total = 0;
    for (const auto& [m, n] : per_minute) total += n;
    ASSERT_GT(total, 300u);
    // In any 59 recorded minutes (a worker's clock read may be one bucket behind the head's),
    // never more than the limit.
    const std::uint64_t first = per_minute.begin()->first;
    const std::uint64_t last = per_minute.rbegin()->first;
    for (std::uint64_t end = first; end <= last; ++end) {
        std::uint32_t n = 0;
        for (std::uint64_t m = end >= 58 ? end - 58 : 0; m <= end; ++m) {
            const auto it = per_minute.find(m);
            if (it != per_minute.end()) n += it->second;
        }
        ASSERT_LE(n, 300u) << "window ending at minute " << end;
    }
    EXPECT_EQ(t.concurrent(s), 0u);
}

}  // namespace
}  // namespace palisade::dp
