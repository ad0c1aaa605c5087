#include "dataplane/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <vector>

namespace palisade::dp {
namespace {

struct Fired {
    std::uint64_t tick;
    std::uint32_t kind;
    std::uint64_t cookie;
};

TEST(TimerWheel, FiresAtTheTickAskedFor) {
    TimerWheel w(16, 100);
    w.add(5, 1, 11);
    w.add(1, 2, 22);
    std::vector<Fired> fired;
    for (std::uint64_t t = 101; t <= 110; ++t) {
        w.advance(t, [&](TimerHandle, std::uint32_t k, std::uint64_t c) { fired.push_back({t, k, c}); });
    }
    ASSERT_EQ(fired.size(), 2u);
    EXPECT_EQ(fired[0].tick, 101u);
    EXPECT_EQ(fired[0].cookie, 22u);
    EXPECT_EQ(fired[1].tick, 105u);
    EXPECT_EQ(fired[1].kind, 1u);
    EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, DelaysBeyondOneRevolutionUseRounds) {
    TimerWheel w(8);
    const std::uint64_t delays[] = {TimerWheel::kSlots - 1, TimerWheel::kSlots, TimerWheel::kSlots + 1,
                                    3 * TimerWheel::kSlots + 7, 32000, 1800000};
    for (std::uint64_t d : delays) w.add(d, 0, d);
    std::map<std::uint64_t, std::uint64_t> at;  // cookie -> tick
    for (std::uint64_t t = 1; t <= 1800000; ++t) {
        w.advance(t, [&](TimerHandle, std::uint32_t, std::uint64_t c) { at[c] = t; });
    }
    for (std::uint64_t d : delays) EXPECT_EQ(at[d], d) << d;
}

TEST(TimerWheel, LargeJumpFiresEverythingDue) {
    TimerWheel w(8);
    w.add(10, 0, 1);
    w.add(5000, 0, 2);
    w.add(9000, 0, 3);
    std::vector<std::uint64_t> fired;
    EXPECT_EQ(w.advance(6000, [&](TimerHandle, std::uint32_t, std::uint64_t c) { fired.push_back(c); }), 2u);
    EXPECT_EQ(fired, (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(w.size(), 1u);
}

TEST(TimerWheel, CancelIsO1AndStaleHandlesAreHarmless) {
    TimerWheel w(4);
    TimerHandle a = w.add(3, 0, 1);
    TimerHandle b = w.add(3, 0, 2);
    EXPECT_TRUE(w.armed(a));
    EXPECT_TRUE(w.cancel(a));
    EXPECT_FALSE(w.armed(a));
    EXPECT_FALSE(w.cancel(a));  // twice: no-op
    // The node of `a` is reused; the old handle must not cancel the new timer.
    TimerHandle c = w.add(3, 0, 3);
    EXPECT_EQ(c.index, a.index);
    EXPECT_FALSE(w.cancel(a));
    std::vector<std::uint64_t> fired;
    w.advance(3, [&](TimerHandle, std::uint32_t, std::uint64_t k) { fired.push_back(k); });
    EXPECT_EQ(fired.size(), 2u);
    EXPECT_FALSE(w.cancel(b));  // fired: stale
}

TEST(TimerWheel, FullWheelRefusesWithoutAllocating) {
    TimerWheel w(2);
    EXPECT_TRUE(w.add(1, 0, 0).valid());
    EXPECT_TRUE(w.add(1, 0, 0).valid());
    EXPECT_FALSE(w.add(1, 0, 0).valid());
    w.advance(1, [](TimerHandle, std::uint32_t, std::uint64_t) {});
    EXPECT_TRUE(w.add(1, 0, 0).valid());
}

TEST(TimerWheel, CallbackMayCancelASiblingAndRearm) {
    TimerWheel w(8);
    TimerHandle first = w.add(2, 1, 0);
    TimerHandle second = w.add(2, 2, 0);
    (void)first;
    int calls = 0;
    w.advance(2, [&](TimerHandle, std::uint32_t kind, std::uint64_t) {
        ++calls;
        // Whichever fires first cancels the other (same slot, both due) and re-arms itself:
        // like RFC 3261 timer A doubling its interval.
        if (kind == 2) {
            w.cancel(first);
        } else {
            w.cancel(second);
        }
        w.add(4, 9, 0);
    });
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(w.size(), 1u);
    int later = 0;
    w.advance(6, [&](TimerHandle, std::uint32_t kind, std::uint64_t) { later += kind == 9; });
    EXPECT_EQ(later, 1);
}

TEST(TimerWheel, RandomisedAgainstAReferenceModel) {
    std::mt19937_64 rng(42);
    TimerWheel w(512);
    std::map<std::uint64_t, std::uint64_t> due;  // cookie -> tick
    std::map<std::uint64_t, TimerHandle> handles;
    std::uint64_t next_cookie = 1;
    std::uint64_t now = 0;
    for (int step = 0; step < 20000; ++step) {
        const int op = static_cast<int>(rng() % 4);
        if (op <= 1 && w.size() < w.capacity()) {
            const std::uint64_t d = 1 + rng() % 10000;
            const std::uint64_t c = next_cookie++;
            handles[c] = w.add(d, 0, c);
            due[c] = now + d;
        } else if (op == 2 && !handles.empty()) {
            auto it = handles.begin();
            std::advance(it, static_cast<long>(rng() % handles.size()));
            EXPECT_TRUE(w.cancel(it->second));
            due.erase(it->first);
            handles.erase(it);
        } else {
            now += rng() % 50;
            w.advance(now, [&](TimerHandle, std::uint32_t, std::uint64_t c) {
                ASSERT_TRUE(due.count(c));
                EXPECT_LE(due[c], now);
                EXPECT_GT(due[c], now - 50);
                due.erase(c);
                handles.erase(c);
            });
            for (const auto& [c, t] : due) ASSERT_GT(t, now) << "timer " << c << " missed";
        }
    }
}

}  // namespace
}  // namespace palisade::dp
