// Every outcome of decide_outbound / decide_inbound, and the order of the checks (DESIGN.md §4).
// GCC 12 warns falsely on "literal" + std::string at -O3 (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

#include "dataplane/policy/decide.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/unit/dataplane/policy/policy_test_config.hpp"

namespace palisade::dp {
namespace {

using test::ip;

class Decide : public ::testing::Test {
protected:
    void SetUp() override {
        spec_ = test::small_config();
        SnapshotBuild b = build_policy_snapshot(spec_, limits_);
        ASSERT_TRUE(b.snapshot) << b.error;
        snap_ = std::move(b.snapshot);
        ASSERT_TRUE(scratch_.refresh(snap_->destinations().scratch_prototype(), snap_->generation()));
        acme_ = snap_->find_trunk("acme");
        beta_ = snap_->find_trunk("beta");
        ASSERT_NE(acme_, kNoTrunk);
        ASSERT_NE(beta_, kNoTrunk);
    }
    OutboundRequest good() const {
        OutboundRequest r;
        r.source_addr = ip(192, 0, 2, 10);
        r.trunk = acme_;
        r.ruri_user = "+31201112222";
        r.to_user = "+31201112222";
        r.from_user = "+31201234567";
        r.pai_user = "+31201234567";
        return r;
    }
    Outcome out(const OutboundRequest& r, std::uint64_t now_s = 1'700'000'000) {
        Outcome o = decide_outbound(*snap_, limits_, scratch_, r, instant_from_seconds(now_s));
        counters_.count(o.reason);
        return o;
    }
    void expect(const OutboundRequest& r, DecideReason reason, std::uint16_t code) {
        Outcome o = out(r);
        EXPECT_EQ(o.reason, reason) << decide_reason_name(o.reason);
        EXPECT_EQ(o.code, code);
        EXPECT_EQ(o.token.held(), code == 0);
        if (o.token.held()) limits_.release(o.token);
    }

    ConfigSpec spec_;
    LimitsTable limits_{16};
    PolicySnapshotPtr snap_;
    WorkerScratch scratch_;
    DecideCounters counters_;
    std::uint32_t acme_ = kNoTrunk;
    std::uint32_t beta_ = kNoTrunk;
};

TEST_F(Decide, AdmitsAGoodCallAndHoldsASlot) {
    Outcome o = out(good());
    ASSERT_TRUE(o.admitted());
    EXPECT_EQ(o.reason, DecideReason::admitted);
    EXPECT_EQ(o.trunk, acme_);
    EXPECT_TRUE(o.token.held());
    EXPECT_EQ(limits_.concurrent(snap_->trunk(acme_).limit_slot), 1u);
    EXPECT_TRUE(limits_.release(o.token));
    EXPECT_EQ(limits_.concurrent(snap_->trunk(acme_).limit_slot), 0u);
    EXPECT_EQ(limits_.window_count(snap_->trunk(acme_).limit_slot, CallWindow::hour, 1'700'000'000), 1u);
}

TEST_F(Decide, EveryRefusalHasItsReasonAndCode) {
    OutboundRequest r = good();
    r.source_addr = ip(203, 0, 113, 5);  // beta's subnet, not acme's
    expect(r, DecideReason::source_not_allowed, 403);
    r = good();
    r.ruri_user = "0201112222";
    expect(r, DecideReason::ruri_not_e164, 484);
    r = good();
    r.to_user = "bob";
    expect(r, DecideReason::to_not_e164, 403);
    r = good();
    r.from_user = "+3120abc";
    expect(r, DecideReason::from_not_e164, 403);
    r = good();
    r.pai_user = {};
    expect(r, DecideReason::caller_id_missing, 403);
    r.rpid_user = "+31201234500";  // Remote-Party-ID when there is no PAI
    expect(r, DecideReason::admitted, 0);
    r = good();
    r.pai_user = "anonymous";
    expect(r, DecideReason::caller_id_not_e164, 403);
    r = good();
    r.pai_user = "+31201234600";  // just past the range
    expect(r, DecideReason::caller_id_not_allowed, 403);
    r.pai_user = "+31301234567";  // by prefix
    expect(r, DecideReason::admitted, 0);
    r = good();
    r.ruri_user = "+319001234567";  // deny prefix inside NL
    expect(r, DecideReason::destination_denied, 403);
    r.ruri_user = "+31841234567";  // deny pattern
    expect(r, DecideReason::destination_denied, 403);
    r.ruri_user = "+442071234567";  // default deny
    expect(r, DecideReason::destination_denied, 403);
    EXPECT_EQ(counters_.get(DecideReason::destination_denied), 3u);
    EXPECT_EQ(counters_.get(DecideReason::admitted), 2u);
}

// trunks[].caller_id_from_header: the From user is the caller ID only when the trunk says so,
// only when neither PAI nor RPID is present, and it is still checked.
TEST_F(Decide, CallerIdFromHeaderOnlyForTrunksThatAskForIt) {
    OutboundRequest r = good();
    r.pai_user = {};
    expect(r, DecideReason::caller_id_missing, 403);  // default: DESIGN.md §4
    spec_.trunks[0].caller_id_from_header = true;
    SnapshotBuild b = build_policy_snapshot(spec_, limits_);
    ASSERT_TRUE(b.snapshot) << b.error;
    snap_ = std::move(b.snapshot);
    ASSERT_TRUE(scratch_.refresh(snap_->destinations().scratch_prototype(), snap_->generation()));
    EXPECT_EQ(snap_->trunk(acme_).cid_from_header, 1u);
    EXPECT_EQ(snap_->trunk(beta_).cid_from_header, 0u);
    expect(r, DecideReason::admitted, 0);              // From +31201234567 is one of acme's
    r.from_user = "+31201234600";                      // E.164 but not one of acme's
    expect(r, DecideReason::caller_id_not_allowed, 403);
    r.pai_user = "+31201234567";                       // a PAI still wins over From
    expect(r, DecideReason::admitted, 0);
    r.pai_user = {};
    r.rpid_user = "+31209999999";                      // so does an RPID (not acme's: refused)
    r.from_user = "+31201234567";
    expect(r, DecideReason::caller_id_not_allowed, 403);
    // The burst path decides the same.
    OutboundRequest reqs[2] = {good(), good()};
    reqs[0].pai_user = {};
    reqs[1].pai_user = {};
    reqs[1].from_user = "+31201234600";
    Outcome outs[2];
    decide_outbound_burst(*snap_, limits_, scratch_, reqs, outs, instant_from_seconds(1'700'000'000));
    EXPECT_EQ(outs[0].reason, DecideReason::admitted);
    EXPECT_EQ(outs[1].reason, DecideReason::caller_id_not_allowed);
    limits_.release(outs[0].token);
}

TEST_F(Decide, ChecksRunInDesignOrder) {
    OutboundRequest r = good();
    r.source_addr = ip(10, 0, 0, 1);
    r.ruri_user = "garbage";
    r.pai_user = "+1";
    expect(r, DecideReason::source_not_allowed, 403);  // source before everything
    r = good();
    r.ruri_user = "garbage";
    r.from_user = "garbage";
    expect(r, DecideReason::ruri_not_e164, 484);  // R-URI before From
    r = good();
    r.pai_user = "+4420";
    r.ruri_user = "+4420";
    expect(r, DecideReason::caller_id_not_allowed, 403);  // caller ID before destination
}

TEST_F(Decide, EmergencySkipsNumberCallerIdDestinationAndRates) {
    OutboundRequest r = good();
    r.ruri_user = "112";
    r.from_user = "anonymous";
    r.pai_user = {};
    r.to_user = "112";
    Outcome a = out(r);
    EXPECT_TRUE(a.admitted());
    EXPECT_EQ(a.reason, DecideReason::emergency);
    // Even past the concurrent limit (2): emergency calls are never refused, and hold a slot.
    Outcome b = out(r);
    Outcome c = out(r);
    EXPECT_TRUE(c.admitted());
    EXPECT_EQ(limits_.concurrent(snap_->trunk(acme_).limit_slot), 3u);
    expect(good(), DecideReason::concurrency_limit, 503);
    // But not from a source the trunk does not allow.
    r.source_addr = ip(10, 0, 0, 1);
    expect(r, DecideReason::source_not_allowed, 403);
    // Emergency calls used no call-count budget.
    EXPECT_EQ(limits_.window_count(snap_->trunk(acme_).limit_slot, CallWindow::hour, 1'700'000'000), 0u);
    EXPECT_TRUE(limits_.release(a.token));
    EXPECT_TRUE(limits_.release(b.token));
    EXPECT_TRUE(limits_.release(c.token));
}

TEST_F(Decide, LimitsGiveTheirCodesAndRetryAfter) {
    std::vector<Outcome> held;
    held.push_back(out(good()));
    held.push_back(out(good()));
    ASSERT_TRUE(held[0].admitted() && held[1].admitted());
    Outcome busy = out(good());
    EXPECT_EQ(busy.code, 503);
    EXPECT_EQ(busy.reason, DecideReason::concurrency_limit);
    EXPECT_EQ(busy.retry_after_s, kRetryAfterBusyS);
    for (auto& o : held) limits_.release(o.token);
}

TEST(DecideLimits, RateAndCallCounts) {
    ConfigSpec spec = test::small_config();
    spec.trunks[0].limits.attempts_per_second = 2;
    spec.trunks[0].limits.calls_per_hour = 3;
    spec.trunks[0].limits.max_concurrent = 100;
    LimitsTable limits(4);
    auto b = build_policy_snapshot(spec, limits);
    ASSERT_TRUE(b.snapshot);
    WorkerScratch scratch;
    scratch.refresh(b.snapshot->destinations().scratch_prototype(), b.snapshot->generation());
    OutboundRequest r;
    r.source_addr = ip(192, 0, 2, 10);
    r.trunk = b.snapshot->find_trunk("acme");
    r.ruri_user = r.to_user = "+31201112222";
    r.from_user = r.pai_user = "+31201234567";
    auto at = [&](std::uint64_t s) { return decide_outbound(*b.snapshot, limits, scratch, r, instant_from_seconds(s)); };
    const std::uint64_t t0 = 1'700'000'000;
    EXPECT_TRUE(at(t0).admitted());
    EXPECT_TRUE(at(t0).admitted());
    Outcome rate = at(t0);
    EXPECT_EQ(rate.code, 503);
    EXPECT_EQ(rate.reason, DecideReason::rate_limited);
    EXPECT_EQ(rate.retry_after_s, kRetryAfterRateS);
    EXPECT_TRUE(at(t0 + 1).admitted());
    Outcome hour = at(t0 + 1);
    EXPECT_EQ(hour.code, 403);
    EXPECT_EQ(hour.reason, DecideReason::hour_limit);
    EXPECT_EQ(hour.retry_after_s, 0);
}

TEST_F(Decide, Inbound) {
    InboundOutcome a = decide_inbound(*snap_, limits_, "+31205550042");
    EXPECT_EQ(a.code, 0);
    EXPECT_EQ(a.reason, DecideReason::inbound_admitted);
    EXPECT_EQ(a.trunk, acme_);
    EXPECT_FALSE(a.failover);
    EXPECT_TRUE(a.token.held());
    InboundOutcome single = decide_inbound(*snap_, limits_, "+31207770000");
    EXPECT_EQ(single.trunk, acme_);
    InboundOutcome full = decide_inbound(*snap_, limits_, "+31205550001");  // acme: max 2
    EXPECT_EQ(full.code, 0);
    EXPECT_TRUE(full.failover);
    EXPECT_EQ(full.reason, DecideReason::inbound_failover);
    EXPECT_FALSE(full.token.held());
    EXPECT_EQ(snap_->info(full.trunk).failover.action, FailoverAction::reject);
    EXPECT_EQ(decide_inbound(*snap_, limits_, "+442070000001").trunk, beta_);
    EXPECT_EQ(snap_->info(beta_).failover.target, "+31201234599");
    InboundOutcome none = decide_inbound(*snap_, limits_, "+31205550100");
    EXPECT_EQ(none.code, 404);
    EXPECT_EQ(none.reason, DecideReason::did_unknown);
    EXPECT_EQ(decide_inbound(*snap_, limits_, "31205550042").reason, DecideReason::did_not_e164);
    EXPECT_TRUE(limits_.release(a.token));
    EXPECT_TRUE(limits_.release(single.token));
}

TEST_F(Decide, KnownSourcesAndSharedSubnets) {
    EXPECT_TRUE(source_known(*snap_, ip(192, 0, 2, 200)));
    EXPECT_TRUE(source_known(*snap_, ip(203, 0, 113, 1)));
    EXPECT_FALSE(source_known(*snap_, ip(198, 51, 100, 8)));
    const auto shared = trunks_for_source(*snap_, ip(198, 51, 100, 7));
    ASSERT_EQ(shared.size(), 2u);
    EXPECT_TRUE(snap_->source_allowed(beta_, ip(198, 51, 100, 7)));
    OutboundRequest r = good();
    r.source_addr = ip(198, 51, 100, 7);
    expect(r, DecideReason::admitted, 0);
}

TEST_F(Decide, UnknownTrunkIsRefusedNotACrash) {
    OutboundRequest r = good();
    r.trunk = 999;
    expect(r, DecideReason::unknown_trunk, 403);
    r.trunk = kNoTrunk;
    expect(r, DecideReason::unknown_trunk, 403);
}

// decide_outbound_burst gives the same outcomes as decide_outbound one by one, on a mix of every
// outcome (emergency calls aside, which take their concurrency slots first within a burst).
TEST(DecideBurst, SameOutcomesAsOneByOne) {
    ConfigSpec spec = test::small_config();
    spec.trunks[0].limits.max_concurrent = 1'000'000;
    spec.trunks[0].limits.calls_per_hour = 40;
    spec.trunks[1].limits.max_concurrent = 1'000'000;
    LimitsTable la(4);
    LimitsTable lb(4);
    auto a = build_policy_snapshot(spec, la);
    auto b = build_policy_snapshot(spec, lb);
    ASSERT_TRUE(a.snapshot && b.snapshot);
    WorkerScratch sa;
    WorkerScratch sb;
    sa.refresh(a.snapshot->destinations().scratch_prototype(), a.snapshot->generation());
    sb.refresh(b.snapshot->destinations().scratch_prototype(), b.snapshot->generation());
    const char* ruris[] = {"+31201112222", "+319001234567", "+31841234567", "+442071234567", "+441534123456",
                           "x", "+31", "+3120111222233334", "+4420"};
    const char* cids[] = {"+31201234567", "+31301234567", "+442071234567", "+31201234600", "anon", ""};
    const std::uint32_t sources[] = {ip(192, 0, 2, 10), ip(198, 51, 100, 7), ip(203, 0, 113, 9), ip(10, 0, 0, 1)};
    std::mt19937 rng(17);
    std::vector<OutboundRequest> reqs(5000);
    for (auto& r : reqs) {
        r.source_addr = sources[rng() % 4];
        r.trunk = rng() % 11 == 0 ? 7u : static_cast<std::uint32_t>(rng() % 2);
        r.ruri_user = r.to_user = ruris[rng() % std::size(ruris)];
        r.from_user = r.pai_user = cids[rng() % std::size(cids)];
        if (rng() % 5 == 0) r.from_user = "+31201234567";
    }
    std::vector<Outcome> burst(reqs.size());
    std::size_t at = 0;
    std::size_t admitted = 0;
    while (at < reqs.size()) {
        const std::size_t n = std::min<std::size_t>(1 + rng() % 100, reqs.size() - at);
        decide_outbound_burst(*b.snapshot, lb, sb, std::span<const OutboundRequest>(reqs).subspan(at, n),
                              std::span<Outcome>(burst).subspan(at, n), instant_from_seconds(1'700'000'000));
        for (std::size_t i = at; i < at + n; ++i) {
            Outcome one = decide_outbound(*a.snapshot, la, sa, reqs[i], instant_from_seconds(1'700'000'000));
            ASSERT_EQ(one.reason, burst[i].reason) << i << " " << decide_reason_name(one.reason) << " vs "
                                                   << decide_reason_name(burst[i].reason);
            ASSERT_EQ(one.code, burst[i].code);
            ASSERT_EQ(one.trunk, burst[i].trunk);
            ASSERT_EQ(one.token.held(), burst[i].token.held());
            admitted += one.admitted() ? 1 : 0;
        }
        at += n;
    }
    EXPECT_GT(admitted, 40u);
    EXPECT_EQ(la.window_count(0, CallWindow::hour, 1'700'000'000), 40u);  // acme's hour limit reached
    EXPECT_EQ(la.window_count(0, CallWindow::hour, 1'700'000'000), lb.window_count(0, CallWindow::hour, 1'700'000'000));
}

// The staged burst against one by one on policies big enough for a multi-digit index stride
// (prefix_index.hpp), with numbers shorter than the stride (the batched trie walk), numbers the
// index answers from a bucket or a leaf, trunks with a second subnet and with caller IDs beyond
// their first interval: every outcome, destination verdicts included, is the same.
TEST(DecideBurst, IndexedPoliciesSameOutcomesAsOneByOne) {
    std::mt19937_64 rng(99);
    auto digits = [&](int n, bool first_nonzero) {
        std::string d;
        for (int i = 0; i < n; ++i) d += static_cast<char>('0' + (i == 0 && first_nonzero ? 1 + rng() % 9 : rng() % 10));
        return d;
    };
    ConfigSpec spec = test::small_config();
    std::vector<std::vector<std::string>> own(2);
    for (int p = 0; p < 2; ++p) {
        DestPolicySpec d;
        d.name = "big" + std::to_string(p);
        d.default_action = p == 0 ? RuleAction::allow : RuleAction::deny;
        for (int i = 0; i < (p == 0 ? 150 : 1'500); ++i) {
            std::string pre = "+" + digits(1 + static_cast<int>(rng() % 7), true);
            own[static_cast<std::size_t>(p)].push_back(pre);
            d.rules.push_back({RuleKind::prefix, rng() % 3 ? RuleAction::allow : RuleAction::deny, pre});
        }
        spec.policies.push_back(std::move(d));
    }
    spec.trunks[0].policy = "big0";
    spec.trunks[1].policy = "big1";
    for (TrunkSpec& t : spec.trunks) {
        t.limits.max_concurrent = 1'000'000;
        t.limits.attempts_per_second = 1'000'000;
        t.limits.calls_per_hour = t.limits.calls_per_day = t.limits.calls_per_week = 1'000'000;
    }
    LimitsTable la(4);
    LimitsTable lb(4);
    auto a = build_policy_snapshot(spec, la);
    auto b = build_policy_snapshot(spec, lb);
    ASSERT_TRUE(a.snapshot && b.snapshot) << a.error;
    WorkerScratch sa;
    WorkerScratch sb;
    sa.refresh(a.snapshot->destinations().scratch_prototype(), a.snapshot->generation());
    sb.refresh(b.snapshot->destinations().scratch_prototype(), b.snapshot->generation());
    // acme: 192.0.2.0/24 and 198.51.100.7 (its second subnet); beta: 203.0.113.0/24.
    const std::uint32_t sources[] = {ip(192, 0, 2, 10), ip(198, 51, 100, 7), ip(203, 0, 113, 9)};
    // acme's first caller-ID interval, its prefix +3130 (beyond the first interval), beta's.
    const char* cids[] = {"+31201234567", "+31301234567", "+442071234567"};
    std::vector<std::string> ruris(6000);
    std::vector<OutboundRequest> reqs(ruris.size());
    for (std::size_t i = 0; i < reqs.size(); ++i) {
        const auto t = static_cast<std::uint32_t>(rng() % 2);
        const auto& pre = own[t];
        // Short numbers (1..2 digits: shorter than the stride), extensions of a prefix, anything.
        const auto kind = rng() % 4;
        ruris[i] = kind == 0 ? "+" + digits(1 + static_cast<int>(rng() % 2), true)
                   : kind == 1 ? "+" + digits(3 + static_cast<int>(rng() % 12), true)
                               : pre[rng() % pre.size()] + digits(static_cast<int>(rng() % 8), false);
        if (ruris[i].size() > 16) ruris[i].resize(16);
        OutboundRequest& r = reqs[i];
        r.source_addr = sources[rng() % 3];
        r.trunk = t;
        r.ruri_user = r.to_user = ruris[i];
        r.from_user = r.pai_user = cids[rng() % 3];
    }
    std::vector<Outcome> burst(reqs.size());
    std::size_t at = 0;
    std::size_t by_reason[kDecideReasonCount] = {};
    while (at < reqs.size()) {
        const std::size_t n = std::min<std::size_t>(1 + rng() % 64, reqs.size() - at);
        decide_outbound_burst(*b.snapshot, lb, sb, std::span<const OutboundRequest>(reqs).subspan(at, n),
                              std::span<Outcome>(burst).subspan(at, n), instant_from_seconds(1'700'000'000));
        for (std::size_t i = at; i < at + n; ++i) {
            Outcome one = decide_outbound(*a.snapshot, la, sa, reqs[i], instant_from_seconds(1'700'000'000));
            ASSERT_EQ(one.reason, burst[i].reason) << ruris[i] << " " << decide_reason_name(one.reason) << " vs "
                                                   << decide_reason_name(burst[i].reason);
            ASSERT_EQ(one.code, burst[i].code);
            // And both agree with the destination policy on its own.
            if (one.reason == DecideReason::admitted || one.reason == DecideReason::destination_denied) {
                const DestVerdict v = a.snapshot->destinations().match(a.snapshot->trunk(reqs[i].trunk).policy,
                                                                       reqs[i].ruri_user, sa.get());
                ASSERT_EQ(v.allowed, one.reason == DecideReason::admitted) << ruris[i];
            }
            ++by_reason[static_cast<std::size_t>(one.reason)];
            if (one.token.held()) la.release(one.token);
            if (burst[i].token.held()) lb.release(burst[i].token);
        }
        at += n;
    }
    // Every path was taken: admitted and denied by destination, refused on source and caller ID.
    EXPECT_GT(by_reason[static_cast<std::size_t>(DecideReason::admitted)], 500u);
    EXPECT_GT(by_reason[static_cast<std::size_t>(DecideReason::destination_denied)], 500u);
    EXPECT_GT(by_reason[static_cast<std::size_t>(DecideReason::source_not_allowed)], 100u);
    EXPECT_GT(by_reason[static_cast<std::size_t>(DecideReason::caller_id_not_allowed)], 100u);
    EXPECT_GT(a.snapshot->destinations().index().bucket_count(), 10u);
}

TEST(DecideReasons, NamesAndCodesComeFromTheDefFile) {
    EXPECT_EQ(decide_reason_name(DecideReason::source_not_allowed), "source_not_allowed");
    EXPECT_EQ(decide_reason_code(DecideReason::ruri_not_e164), 484);
    EXPECT_EQ(decide_reason_code(DecideReason::rate_limited), 503);
    EXPECT_EQ(decide_reason_code(DecideReason::week_limit), 403);
    EXPECT_EQ(decide_reason_name(static_cast<DecideReason>(kDecideReasonCount - 1)), "did_unknown");
}

}  // namespace
}  // namespace palisade::dp
