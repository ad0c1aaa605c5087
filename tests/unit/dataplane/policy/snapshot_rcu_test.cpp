// Snapshot build and the RCU slot: readers decide continuously while the control plane reloads
// in a loop. Run once by hand under ASan (bench/README.md, "## Policy") for use-after-free.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "dataplane/contract/policy_snapshot.hpp"
#include "dataplane/policy/decide.hpp"
#include "dataplane/policy/snapshot.hpp"
#include "tests/unit/dataplane/policy/policy_test_config.hpp"

// GCC 12 warns falsely on "literal" + std::string at -O3 (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

namespace palisade::dp {
namespace {

using test::ip;

TEST(Snapshot, BuildsEverythingFromTheSpec) {
    LimitsTable limits(8);
    const ConfigSpec spec = test::small_config();
    SnapshotBuild b = build_policy_snapshot(spec, limits);
    ASSERT_TRUE(b.snapshot) << b.error;
    const PolicySnapshot& s = *b.snapshot;
    const PolicySummary sum = summarize(s);
    EXPECT_EQ(sum.trunks, 2u);
    EXPECT_EQ(sum.policies, 2u);
    EXPECT_EQ(sum.hs_databases, 1u);
    EXPECT_EQ(sum.did_ranges, 3u);
    EXPECT_GT(sum.generation, 0u);
    const std::uint32_t acme = s.find_trunk("acme");
    ASSERT_NE(acme, kNoTrunk);
    EXPECT_EQ(s.info(acme).id, "acme");
    EXPECT_EQ(s.trunk(acme).limit_slot, limits.find("acme"));
    EXPECT_EQ(s.trunk(acme).limits.max_concurrent, 2u);
    EXPECT_EQ(s.find_trunk("nobody"), kNoTrunk);
    const AccountRef acc = s.find_account("beta-2");
    EXPECT_EQ(acc.trunk, s.find_trunk("beta"));
    EXPECT_EQ(acc.role, AccountRole::secondary);
    EXPECT_EQ(s.find_account("beta-3").trunk, kNoTrunk);
    std::uint64_t k = 0;
    ASSERT_TRUE(parse_short_code("911", k));
    EXPECT_TRUE(s.is_emergency(k));
    EXPECT_TRUE(s.source_allowed(acme, ip(192, 0, 2, 1)));
    EXPECT_FALSE(s.source_allowed(acme, ip(192, 0, 3, 1)));
}

TEST(Snapshot, BadInputFailsTheBuildAndChangesNothing) {
    LimitsTable limits(8);
    ConfigSpec spec = test::small_config();
    spec.trunks[1].policy = "missing";
    SnapshotBuild b = build_policy_snapshot(spec, limits);
    EXPECT_FALSE(b.snapshot);
    EXPECT_NE(b.error.find("missing"), std::string::npos);
    EXPECT_EQ(limits.used(), 0u);  // no slot bound by a failed build
    spec = test::small_config();
    spec.policies[0].rules.push_back({RuleKind::pattern, RuleAction::deny, "(?<=1)2"});
    b = build_policy_snapshot(spec, limits);
    EXPECT_FALSE(b.snapshot);
    EXPECT_FALSE(b.error.empty());
    spec = test::small_config();
    spec.trunks[0].dids.push_back(test::range("+3120", "+312000"));
    b = build_policy_snapshot(spec, limits);
    EXPECT_FALSE(b.snapshot);
    std::string err;
    EXPECT_FALSE(check_dest_pattern("(?<=1)2", &err));
    EXPECT_TRUE(check_dest_pattern(R"(\+3184[0-9]{7})", &err));
}

TEST(Snapshot, ReloadKeepsCountersOfTrunksThatStayAndReapsRemovedOnes) {
    LimitsTable limits(8);
    PolicySlot slot(4);
    ConfigSpec spec = test::small_config();
    ReloadResult r = reload_policy(slot, limits, spec);
    ASSERT_TRUE(r.ok) << r.error;
    const PolicySnapshot* s1 = slot.read();
    ASSERT_NE(s1, nullptr);
    EXPECT_EQ(s1->generation(), r.generation);
    const std::uint32_t acme_slot = s1->trunk(s1->find_trunk("acme")).limit_slot;
    const std::uint32_t beta_slot = s1->trunk(s1->find_trunk("beta")).limit_slot;
    AdmissionToken acme_call;
    AdmissionToken beta_call;
    ASSERT_TRUE(limits.try_acquire(acme_slot, 2, acme_call));
    ASSERT_TRUE(limits.try_acquire(beta_slot, 2, beta_call));

    // Reload: acme changes its limits and moves to index 1, beta goes away, gamma arrives.
    ConfigSpec next = test::small_config();
    next.trunks[0].limits.max_concurrent = 7;
    TrunkSpec gamma = test::trunk("gamma", "open", {ip(10, 0, 0, 0), 8});
    next.trunks = {gamma, next.trunks[0]};
    r = reload_policy(slot, limits, next);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.reaped, 0u);  // beta still has a call
    const PolicySnapshot* s2 = slot.read();
    EXPECT_GT(s2->generation(), 0u);
    const std::uint32_t acme2 = s2->find_trunk("acme");
    EXPECT_EQ(acme2, 1u);
    EXPECT_EQ(s2->trunk(acme2).limit_slot, acme_slot);
    EXPECT_EQ(s2->trunk(acme2).limits.max_concurrent, 7u);
    EXPECT_EQ(limits.concurrent(acme_slot), 1u);  // the live gauge survived the reload
    EXPECT_NE(s2->trunk(s2->find_trunk("gamma")).limit_slot, beta_slot);
    EXPECT_EQ(s2->find_trunk("beta"), kNoTrunk);

    // A failed reload changes nothing.
    ConfigSpec bad = next;
    bad.trunks[0].policy = "missing";
    r = reload_policy(slot, limits, bad);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(slot.read(), s2);

    // beta's last call ends: its slot is released at the next reap.
    EXPECT_TRUE(limits.release(beta_call));
    EXPECT_EQ(limits.reap(), 1u);
    EXPECT_EQ(limits.find("beta"), kNoLimitSlot);
    EXPECT_TRUE(limits.release(acme_call));
    EXPECT_EQ(limits.concurrent(acme_slot), 0u);
}

// Configurations that differ in every table, each self-describing so that a reader can check it
// sees a complete one: trunk i is "v<variant>-t<i>", with i+1 caller IDs... and DIDs per variant.
ConfigSpec variant(int v) {
    ConfigSpec c = test::small_config();
    c.trunks.clear();
    const int n = 20 + 10 * (v % 3);
    for (int i = 0; i < n; ++i) {
        TrunkSpec t = test::trunk("v" + std::to_string(v) + "-t" + std::to_string(i), i % 2 ? "open" : "nl-only",
                                  {ip(10, static_cast<unsigned>(i), 0, 0), 16});
        t.caller_ids.prefixes = {"+31"};
        t.dids = {test::range("+3120" + std::to_string(1000 + i) + std::to_string(v % 10))};
        t.limits.max_concurrent = 1000;
        t.limits.attempts_per_second = 1'000'000;
        t.limits.calls_per_hour = t.limits.calls_per_day = t.limits.calls_per_week = 2'000'000;
        c.trunks.push_back(t);
    }
    return c;
}

TEST(SnapshotRcu, ReadersDecideWhileTheControlPlaneReloads) {
    LimitsTable limits(256);
    PolicySlot slot(8);
    ASSERT_TRUE(reload_policy(slot, limits, variant(0)).ok);
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> decisions{0};
    std::atomic<std::uint64_t> errors{0};
    const unsigned readers = std::max(2u, std::thread::hardware_concurrency());
    std::vector<std::thread> threads;
    for (unsigned id = 0; id < readers; ++id) {
        threads.emplace_back([&, id] {
            ASSERT_TRUE(slot.register_reader(id));
            WorkerScratch scratch;
            std::uint64_t last_gen = 0;
            std::uint64_t n = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                const PolicySnapshot* s = slot.read();  // once per burst
                if (s->generation() < last_gen) errors.fetch_add(1);
                last_gen = s->generation();
                if (!scratch.refresh(s->destinations().scratch_prototype(), s->generation())) errors.fetch_add(1);
                const std::uint32_t count = s->trunk_count();
                if (count != 20 && count != 30 && count != 40) errors.fetch_add(1);
                for (int k = 0; k < 32; ++k) {  // a burst
                    const auto t = static_cast<std::uint32_t>((n + static_cast<std::uint64_t>(k)) % count);
                    const TrunkInfo& info = s->info(t);
                    // Complete: the trunk's id, record and DID all belong to the same config.
                    if (s->find_trunk(info.id) != t) errors.fetch_add(1);
                    OutboundRequest r;
                    r.source_addr = ip(10, t, 1, 1);
                    r.trunk = t;
                    r.ruri_user = r.to_user = "+31201112222";
                    r.from_user = r.pai_user = "+31201234567";
                    Outcome o = decide_outbound(*s, limits, scratch, r, instant_from_seconds(1'700'000'000));
                    if (!o.admitted()) errors.fetch_add(1);
                    if (o.token.held() && !limits.release(o.token)) errors.fetch_add(1);
                    InboundOutcome in = decide_inbound(*s, limits, s->info(t).id.empty() ? "+1" : "+31201000");
                    if (in.token.held()) limits.release(in.token);
                }
                n += 32;
                slot.quiescent(id);  // once per loop, holding no snapshot pointer
            }
            decisions.fetch_add(n);
            slot.unregister_reader(id);
        });
    }
    for (int i = 1; i <= 300; ++i) {
        const ReloadResult r = reload_policy(slot, limits, variant(i));
        ASSERT_TRUE(r.ok) << r.error;
    }
    stop.store(true);
    for (auto& t : threads) t.join();
    EXPECT_EQ(errors.load(), 0u);
    EXPECT_GT(decisions.load(), 1000u);
    EXPECT_EQ(slot.publishes(), 301u);
    // Old trunks were reaped as they went: only the last config's trunks (and those of the one
    // before, at most, if a call was live) hold slots.
    EXPECT_LE(limits.used(), 80u);
}

TEST(SnapshotRcu, OfflineReaderDoesNotBlockPublish) {
    LimitsTable limits(64);
    PolicySlot slot(2);
    ASSERT_TRUE(slot.register_reader(1));
    slot.reader_offline(1);
    ASSERT_TRUE(reload_policy(slot, limits, variant(0)).ok);
    ASSERT_TRUE(reload_policy(slot, limits, variant(1)).ok);  // would hang if it waited for 1
    slot.reader_online(1);
    const PolicySnapshot* s = slot.read();
    EXPECT_EQ(s->trunk_count(), 30u);
    slot.quiescent(1);
    slot.unregister_reader(1);
    EXPECT_FALSE(slot.register_reader(2));  // out of range
}

}  // namespace
}  // namespace palisade::dp
