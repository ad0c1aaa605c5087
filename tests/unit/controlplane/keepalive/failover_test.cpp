// Failover state per trunk: auto (primary if usable, else secondary, else dialplan) and forced
// states, what the workers read in the LocationTable, and the counts and log lines of changes.
#include "controlplane/keepalive/failover.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace palisade::cp {
namespace {

using dp::FailoverMode;
using dp::LocationRole;

dp::LocationLimits small_limits() {
    dp::LocationLimits l;
    l.accounts = 64;
    l.sources = 64;
    l.blocked = 16;
    l.trunks = 64;
    l.max_readers = 2;
    return l;
}

struct Fixture {
    dp::LocationTable location{small_limits()};
    FailoverTable table{location};
    std::vector<std::string> log;
    Fixture() {
        table.set_log([this](std::string_view l) { log.emplace_back(l); });
        table.set_trunk_namer(
            [](std::uint32_t k) { return k == 3 ? std::string("acme") : std::string(); });
    }
};

TEST(Failover, ModeNames) {
    for (FailoverMode m : {FailoverMode::automatic, FailoverMode::primary, FailoverMode::secondary,
                           FailoverMode::dialplan}) {
        FailoverMode back = FailoverMode::dialplan;
        ASSERT_TRUE(parse_failover_mode(failover_mode_name(m), back));
        EXPECT_EQ(back, m);
    }
    EXPECT_EQ(failover_mode_name(FailoverMode::automatic), "auto");
    FailoverMode x = FailoverMode::primary;
    EXPECT_FALSE(parse_failover_mode("automatic", x));
    EXPECT_FALSE(parse_failover_mode("", x));
    EXPECT_FALSE(parse_failover_mode("Primary", x));
    EXPECT_EQ(x, FailoverMode::primary);
}

TEST(Failover, UnknownTrunkIsAutoWithNothingRegistered) {
    Fixture f;
    const TrunkFailover t = f.table.get(3);
    EXPECT_EQ(t.setting, FailoverMode::automatic);
    EXPECT_EQ(t.effective, FailoverMode::dialplan);
    EXPECT_EQ(f.location.failover_state(3), FailoverMode::automatic);
}

TEST(Failover, AutoTransitions) {
    Fixture f;
    // Primary registers and is reachable: primary; workers keep per-call order (automatic).
    f.table.set_account(3, LocationRole::primary, true, true);
    EXPECT_EQ(f.table.effective(3), FailoverMode::primary);
    EXPECT_EQ(f.location.failover_state(3), FailoverMode::automatic);
    // Secondary registers too: nothing changes.
    f.table.set_account(3, LocationRole::secondary, true, true);
    EXPECT_EQ(f.table.effective(3), FailoverMode::primary);
    EXPECT_EQ(f.table.counters().changes, 1u);
    // Primary unreachable: secondary.
    f.table.set_account(3, LocationRole::primary, true, false);
    EXPECT_EQ(f.table.effective(3), FailoverMode::secondary);
    EXPECT_EQ(f.location.failover_state(3), FailoverMode::secondary);
    // Secondary unregisters: dialplan.
    f.table.set_account(3, LocationRole::secondary, false, false);
    EXPECT_EQ(f.table.effective(3), FailoverMode::dialplan);
    EXPECT_EQ(f.location.failover_state(3), FailoverMode::dialplan);
    // Secondary back: secondary.
    f.table.set_account(3, LocationRole::secondary, true, true);
    EXPECT_EQ(f.table.effective(3), FailoverMode::secondary);
    // Primary reachable again: primary, workers back to automatic.
    f.table.set_account(3, LocationRole::primary, true, true);
    EXPECT_EQ(f.table.effective(3), FailoverMode::primary);
    EXPECT_EQ(f.location.failover_state(3), FailoverMode::automatic);
    // A repeated input is not a change.
    f.table.set_account(3, LocationRole::primary, true, true);

    const FailoverCounters& c = f.table.counters();
    EXPECT_EQ(c.changes, 5u);
    EXPECT_EQ(c.to_primary, 2u);
    EXPECT_EQ(c.to_secondary, 2u);
    EXPECT_EQ(c.to_dialplan, 1u);
    EXPECT_EQ(f.table.get(3).changes, 5u);
    ASSERT_EQ(f.log.size(), 5u);
    EXPECT_EQ(f.log[0],
              "failover: trunk acme dialplan -> primary (primary registered; setting auto, primary "
              "registered up, secondary unregistered)");
    EXPECT_EQ(f.log[1],
              "failover: trunk acme primary -> secondary (primary unreachable; setting auto, "
              "primary registered down, secondary registered up)");
    EXPECT_EQ(
        f.log[2].rfind("failover: trunk acme secondary -> dialplan (secondary unregistered;", 0),
        0u)
        << f.log[2];
}

TEST(Failover, RegisteredButUnreachablePrimaryWithNoSecondaryIsDialplan) {
    Fixture f;
    f.table.set_account(9, LocationRole::primary, true, false);
    EXPECT_EQ(f.table.effective(9), FailoverMode::dialplan);
    EXPECT_EQ(f.location.failover_state(9), FailoverMode::dialplan);
    EXPECT_TRUE(f.log.empty());  // dialplan was already the effective state: no change
    f.table.set_account(9, LocationRole::primary, true, true);
    EXPECT_EQ(f.table.effective(9), FailoverMode::primary);
    ASSERT_EQ(f.log.size(), 1u);
    EXPECT_EQ(f.log[0].rfind("failover: trunk key 9 dialplan -> primary (primary reachable;", 0),
              0u)
        << f.log[0];  // no name: the key
}

TEST(Failover, ForcedStatesWinUntilAuto) {
    Fixture f;
    f.table.set_account(3, LocationRole::primary, true, true);
    f.table.set_account(3, LocationRole::secondary, true, true);
    ASSERT_TRUE(f.table.force(3, FailoverMode::secondary));
    EXPECT_EQ(f.table.get(3).setting, FailoverMode::secondary);
    EXPECT_EQ(f.table.effective(3), FailoverMode::secondary);
    EXPECT_EQ(f.location.failover_state(3), FailoverMode::secondary);
    // Reachability changes do not move a forced trunk.
    f.table.set_account(3, LocationRole::secondary, true, false);
    EXPECT_EQ(f.table.effective(3), FailoverMode::secondary);
    EXPECT_EQ(f.location.failover_state(3), FailoverMode::secondary);
    ASSERT_TRUE(f.table.force(3, FailoverMode::dialplan));
    EXPECT_EQ(f.location.failover_state(3), FailoverMode::dialplan);
    ASSERT_TRUE(f.table.force(3, FailoverMode::primary));
    EXPECT_EQ(f.location.failover_state(3), FailoverMode::primary);  // only the primary
    EXPECT_EQ(f.table.effective(3), FailoverMode::primary);
    // Back to auto: the primary is usable, workers get automatic.
    ASSERT_TRUE(f.table.force(3, FailoverMode::automatic));
    EXPECT_EQ(f.table.effective(3), FailoverMode::primary);
    EXPECT_EQ(f.location.failover_state(3), FailoverMode::automatic);
    // Setting the same again is no change.
    ASSERT_TRUE(f.table.force(3, FailoverMode::automatic));
    EXPECT_EQ(f.table.counters().forced, 4u);
    bool saw_operator = false;
    for (const auto& l : f.log)
        saw_operator =
            saw_operator || l == "failover: trunk acme setting auto -> secondary (operator)";
    EXPECT_TRUE(saw_operator);
}

TEST(Failover, ForcedOnAnUnregisteredTrunkAndBack) {
    Fixture f;
    ASSERT_TRUE(f.table.force(5, FailoverMode::primary));
    EXPECT_EQ(f.table.effective(5), FailoverMode::primary);
    EXPECT_EQ(f.location.failover_state(5), FailoverMode::primary);
    ASSERT_TRUE(f.table.force(5, FailoverMode::automatic));
    EXPECT_EQ(f.table.effective(5), FailoverMode::dialplan);
    EXPECT_EQ(f.location.failover_state(5), FailoverMode::dialplan);
}

TEST(Failover, KeyOutOfRangeChangesNothing) {
    Fixture f;
    EXPECT_FALSE(f.table.force(64, FailoverMode::dialplan));
    EXPECT_EQ(f.table.size(), 0u);
    EXPECT_TRUE(f.log.empty());
    // An account on such a key still has its state computed; publishing is refused and counted.
    f.table.set_account(100, LocationRole::primary, false, false);
    EXPECT_EQ(f.table.counters().publish_refused, 1u);
}

TEST(Failover, RemovedTrunkGoesBackToAutomatic) {
    Fixture f;
    ASSERT_TRUE(f.table.force(3, FailoverMode::dialplan));
    f.table.remove(3);
    EXPECT_EQ(f.location.failover_state(3), FailoverMode::automatic);
    EXPECT_EQ(f.table.get(3).setting, FailoverMode::automatic);
}

}  // namespace
}  // namespace palisade::cp
