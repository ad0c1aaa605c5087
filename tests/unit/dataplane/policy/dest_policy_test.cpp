#include "dataplane/policy/dest_policy.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace palisade::dp {
namespace {

DestRule rule(RuleKind k, RuleAction a, std::string v) { return DestRule{k, a, std::move(v)}; }
constexpr auto kAllow = RuleAction::allow;
constexpr auto kDeny = RuleAction::deny;

struct Fixture {
    DestPolicies p;
    WorkerScratch scratch;
    explicit Fixture(std::vector<DestPolicySpec> specs, std::vector<CountrySpec> countries = {}) {
        std::string err;
        const bool ok = p.build(specs, countries, &err);
        EXPECT_TRUE(ok) << err;
        scratch.refresh(p.scratch_prototype(), 1);
    }
    DestVerdict at(std::string_view policy, std::string_view number) {
        return p.match(p.index_of(policy), number, scratch.get());
    }
};

std::vector<CountrySpec> countries() {
    return {{"NL", {"+31"}}, {"US", {"+1201", "+1202", "+1212"}}, {"CA", {"+1204", "+1416"}},
            {"GB", {"+44"}}, {"JE", {"+441534"}}};
}

TEST(DestPolicy, DefaultWhenNothingMatches) {
    Fixture f({{"open", {}, kAllow}, {"closed", {}, kDeny}});
    EXPECT_TRUE(f.at("open", "+31201234567").allowed);
    EXPECT_EQ(f.at("open", "+31201234567").by, DestDecidedBy::default_action);
    EXPECT_FALSE(f.at("closed", "+31201234567").allowed);
}

TEST(DestPolicy, LongestPrefixWinsAndCountriesCountAtTheirPrefixLength) {
    Fixture f({{"p",
                {rule(RuleKind::country, kAllow, "NL"), rule(RuleKind::prefix, kDeny, "+3190"),
                 rule(RuleKind::prefix, kAllow, "+1"), rule(RuleKind::country, kDeny, "US"),
                 rule(RuleKind::country, kAllow, "GB"), rule(RuleKind::country, kDeny, "JE")},
                kDeny}},
              countries());
    EXPECT_TRUE(f.at("p", "+31201234567").allowed);
    const DestVerdict premium = f.at("p", "+319001234567");
    EXPECT_FALSE(premium.allowed);
    EXPECT_EQ(premium.prefix_length, 4);
    EXPECT_FALSE(f.at("p", "+12015550100").allowed);  // US +1201 (4) beats +1 (1)
    EXPECT_TRUE(f.at("p", "+12045550100").allowed);   // CA: only +1 matches
    EXPECT_TRUE(f.at("p", "+442071234567").allowed);
    EXPECT_FALSE(f.at("p", "+441534123456").allowed);  // Jersey inside +44
    EXPECT_FALSE(f.at("p", "+4930123456").allowed);    // default
}

TEST(DestPolicy, EqualLengthDenyWins) {
    Fixture f({{"p", {rule(RuleKind::prefix, kAllow, "+31"), rule(RuleKind::country, kDeny, "NL")}, kAllow}},
              countries());
    EXPECT_FALSE(f.at("p", "+31201234567").allowed);
    Fixture g({{"p", {rule(RuleKind::country, kDeny, "NL"), rule(RuleKind::prefix, kAllow, "+31")}, kAllow}},
              countries());
    EXPECT_FALSE(g.at("p", "+31201234567").allowed);
}

TEST(DestPolicy, PatternsOutrankPrefixesAndMatchTheWholeNumber) {
    Fixture f({{"p",
                {rule(RuleKind::country, kAllow, "NL"),
                 rule(RuleKind::pattern, kDeny, R"(\+3190[0-9]{7})"),
                 rule(RuleKind::prefix, kDeny, "+3120"),
                 rule(RuleKind::pattern, kAllow, R"(\+31201234[0-9]{3})")},
                kDeny}},
              countries());
    EXPECT_FALSE(f.at("p", "+31900123456").allowed);
    EXPECT_EQ(f.at("p", "+31900123456").by, DestDecidedBy::pattern);
    EXPECT_TRUE(f.at("p", "+3190012345").allowed);     // one digit short: pattern needs all of it
    EXPECT_EQ(f.at("p", "+3190012345").by, DestDecidedBy::prefix);
    EXPECT_TRUE(f.at("p", "+319001234567").allowed);   // one digit too many: no match either
    EXPECT_TRUE(f.at("p", "+31201234567").allowed);    // allow pattern beats the longer deny prefix
    EXPECT_FALSE(f.at("p", "+31209999999").allowed);   // deny prefix
}

TEST(DestPolicy, BetweenMatchingPatternsDenyWins) {
    Fixture f({{"p", {rule(RuleKind::pattern, kAllow, R"(\+44.*)"), rule(RuleKind::pattern, kDeny, R"(\+449.*)"),
                      rule(RuleKind::pattern, kAllow, R"(\+4490.*)")},
                kDeny}});
    EXPECT_TRUE(f.at("p", "+4420123").allowed);
    EXPECT_FALSE(f.at("p", "+4490123").allowed);
}

TEST(DestPolicy, IdenticalPatternSetsCompileOnce) {
    std::vector<DestPolicySpec> specs;
    for (int i = 0; i < 10; ++i)
        specs.push_back({std::string(1, 'p').append(std::to_string(i)),
                         {rule(RuleKind::pattern, kDeny, R"(\+1900.*)")}, kAllow});
    specs.push_back({"other", {rule(RuleKind::pattern, kDeny, R"(\+1976.*)")}, kAllow});
    specs.push_back({"none", {rule(RuleKind::prefix, kDeny, "+1976")}, kAllow});
    Fixture f(specs);
    EXPECT_EQ(f.p.database_count(), 2u);
    EXPECT_FALSE(f.at("p3", "+19005550100").allowed);
    EXPECT_TRUE(f.at("p3", "+19765550100").allowed);
    EXPECT_FALSE(f.at("other", "+19765550100").allowed);
    EXPECT_FALSE(f.p.has_patterns(f.p.index_of("none")));
}

TEST(DestPolicy, BuildRefusesUnknownCountryAndBadPattern) {
    DestPolicies a;
    std::string err;
    const std::vector<DestPolicySpec> bad_country{{"p", {rule(RuleKind::country, kDeny, "XX")}, kAllow}};
    EXPECT_FALSE(a.build(bad_country, countries(), &err));
    EXPECT_NE(err.find("XX"), std::string::npos);
    DestPolicies b;
    const std::vector<DestPolicySpec> bad_pattern{{"p", {rule(RuleKind::pattern, kDeny, R"(\+31(?=9))")}, kAllow}};
    EXPECT_FALSE(b.build(bad_pattern, {}, &err));
    EXPECT_NE(err.find("Hyperscan"), std::string::npos);
    EXPECT_FALSE(check_dest_pattern(R"((a)\1)", &err));
    EXPECT_TRUE(check_dest_pattern(R"(\+3190[0-9]{7})", &err));
}

TEST(DestPolicy, NoScratchIsAScanErrorNotACrash) {
    DestPolicies p;
    std::string err;
    const std::vector<DestPolicySpec> specs{{"p", {rule(RuleKind::pattern, kAllow, R"(\+31.*)")}, kAllow}};
    ASSERT_TRUE(p.build(specs, {}, &err));
    const DestVerdict v = p.match(0, "+31201234567", nullptr);
    EXPECT_FALSE(v.allowed);
    EXPECT_EQ(v.by, DestDecidedBy::scan_error);
}

}  // namespace
}  // namespace palisade::dp
