// The destination matcher (trie + Hyperscan) against a plain reference implementation of the
// documented precedence (dest_policy.hpp), on random policies (prefixes, countries, patterns) and
// at least 100,000 random numbers.

// GCC 12 false positives: "literal" + std::string at -O3 (GCC bug 105329) and std::regex
// internals under the sanitizers.
#pragma GCC diagnostic ignored "-Wrestrict"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "dataplane/policy/dest_policy.hpp"
#include "dataplane/policy/prefix_index.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <regex>
#include <string>
#include <vector>

namespace palisade::dp {
namespace {

// The reference: read the rules literally, no trie, no Hyperscan (std::regex).
struct RefRule {
    RuleKind kind;
    RuleAction action;
    std::vector<std::string> prefixes;  // with '+', for prefix and country
    std::regex re;                      // for pattern
};

bool reference(const std::vector<RefRule>& rules, RuleAction def, const std::string& number) {
    bool pattern_allow = false;
    bool pattern_deny = false;
    std::size_t best = 0;
    bool best_deny = false;
    for (const RefRule& r : rules) {
        if (r.kind == RuleKind::pattern) {
            if (std::regex_match(number, r.re)) (r.action == RuleAction::deny ? pattern_deny : pattern_allow) = true;
            continue;
        }
        for (const std::string& p : r.prefixes) {
            if (number.size() < p.size() || number.compare(0, p.size(), p) != 0) continue;
            const bool deny = r.action == RuleAction::deny;
            if (p.size() > best) {
                best = p.size();
                best_deny = deny;
            } else if (p.size() == best) {
                best_deny = best_deny || deny;
            }
        }
    }
    if (pattern_deny) return false;
    if (pattern_allow) return true;
    if (best != 0) return !best_deny;
    return def == RuleAction::allow;
}

std::string random_digits(std::mt19937_64& rng, int n, bool first_nonzero) {
    std::string s;
    for (int i = 0; i < n; ++i)
        s += static_cast<char>('0' + (i == 0 && first_nonzero ? 1 + rng() % 9 : rng() % 10));
    return s;
}

// A pattern over a small grammar both std::regex (ECMAScript) and Hyperscan read the same way.
std::string random_pattern(std::mt19937_64& rng) {
    std::string p = R"(\+)";
    p += random_digits(rng, 1 + static_cast<int>(rng() % 3), true);
    const int atoms = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < atoms; ++i) {
        switch (rng() % 6) {
            case 0: p += random_digits(rng, 1, false); break;
            case 1: {
                const int a = static_cast<int>(rng() % 10);
                const int b = a + static_cast<int>(rng() % (10 - a));
                p += '[';
                p += static_cast<char>('0' + a);
                p += '-';
                p += static_cast<char>('0' + b);
                p += ']';
                break;
            }
            case 2: p += "[0-9]{" + std::to_string(1 + rng() % 6) + "}"; break;
            case 3: p += "(" + random_digits(rng, 1, false) + "|" + random_digits(rng, 2, false) + ")"; break;
            case 4: p += "[0-9]*"; break;
            default: p += R"(\d{)" + std::to_string(rng() % 3) + "," + std::to_string(3 + rng() % 5) + "}"; break;
        }
    }
    return p;
}

TEST(DestPolicyProperty, MatchesReferenceOnRandomPoliciesAndNumbers) {
    std::mt19937_64 rng(20261126);
    // Random countries: a few prefixes each, some nested in others' (like +44 / +441534).
    std::vector<CountrySpec> countries;
    for (int c = 0; c < 40; ++c) {
        CountrySpec cs;
        cs.iso = std::string{static_cast<char>('A' + c / 26), static_cast<char>('A' + c % 26)};
        const int n = 1 + static_cast<int>(rng() % 4);
        for (int i = 0; i < n; ++i) cs.prefixes.push_back("+" + random_digits(rng, 1 + static_cast<int>(rng() % 4), true));
        countries.push_back(cs);
    }
    constexpr int kPolicies = 200;
    constexpr int kNumbersPerPolicy = 600;  // 120,000 numbers in all
    std::vector<DestPolicySpec> specs;
    std::vector<std::vector<RefRule>> refs;
    for (int pi = 0; pi < kPolicies; ++pi) {
        DestPolicySpec spec;
        spec.name = std::string(1, 'p').append(std::to_string(pi));
        spec.default_action = rng() % 2 ? RuleAction::allow : RuleAction::deny;
        std::vector<RefRule> ref;
        const int nrules = static_cast<int>(rng() % 40);
        for (int r = 0; r < nrules; ++r) {
            DestRule d;
            d.action = rng() % 2 ? RuleAction::allow : RuleAction::deny;
            RefRule rr{};
            const auto roll = rng() % 10;
            if (roll < 6) {
                d.kind = RuleKind::prefix;
                d.value = "+" + random_digits(rng, 1 + static_cast<int>(rng() % 6), true);
                rr.prefixes.push_back(d.value);
            } else if (roll < 8) {
                d.kind = RuleKind::country;
                const CountrySpec& c = countries[rng() % countries.size()];
                d.value = c.iso;
                rr.prefixes = c.prefixes;
            } else {
                d.kind = RuleKind::pattern;
                d.value = random_pattern(rng);
                rr.re = std::regex(d.value, std::regex::ECMAScript);
            }
            rr.kind = d.kind;
            rr.action = d.action;
            spec.rules.push_back(d);
            ref.push_back(std::move(rr));
        }
        specs.push_back(std::move(spec));
        refs.push_back(std::move(ref));
    }
    DestPolicies policies;
    std::string err;
    ASSERT_TRUE(policies.build(specs, countries, &err)) << err;
    WorkerScratch scratch;
    ASSERT_TRUE(scratch.refresh(policies.scratch_prototype(), 1));

    std::size_t checked = 0;
    std::size_t allowed = 0;
    std::size_t by_pattern = 0;
    std::size_t by_prefix = 0;
    for (int pi = 0; pi < kPolicies; ++pi) {
        const auto idx = policies.index_of(specs[static_cast<std::size_t>(pi)].name);
        ASSERT_NE(idx, DestPolicies::kNoPolicy);
        for (int q = 0; q < kNumbersPerPolicy; ++q) {
            // Half the numbers extend one of the policy's own prefixes, so rules really match.
            std::string number;
            const auto& rules = specs[static_cast<std::size_t>(pi)].rules;
            if (!rules.empty() && rng() % 2) {
                const DestRule& r = rules[rng() % rules.size()];
                const auto& rr = refs[static_cast<std::size_t>(pi)][static_cast<std::size_t>(&r - rules.data())];
                if (!rr.prefixes.empty()) number = rr.prefixes[rng() % rr.prefixes.size()];
            }
            if (number.empty()) number = "+" + random_digits(rng, 1, true);
            const int target = 2 + static_cast<int>(rng() % 14);
            while (static_cast<int>(number.size()) < target) number += random_digits(rng, 1, false);
            const DestVerdict got = policies.match(idx, number, scratch.get());
            const bool want = reference(refs[static_cast<std::size_t>(pi)], specs[static_cast<std::size_t>(pi)].default_action, number);
            ASSERT_NE(got.by, DestDecidedBy::scan_error);
            ASSERT_EQ(got.allowed, want) << "policy " << pi << " number " << number;
            ++checked;
            allowed += got.allowed ? 1 : 0;
            by_pattern += got.by == DestDecidedBy::pattern ? 1 : 0;
            by_prefix += got.by == DestDecidedBy::prefix ? 1 : 0;
        }
    }
    EXPECT_GE(checked, 100'000u);
    // The random data exercises every path, not just the default.
    EXPECT_GT(by_pattern, checked / 100);
    EXPECT_GT(by_prefix, checked / 5);
    EXPECT_GT(allowed, checked / 10);
    EXPECT_LT(allowed, checked - checked / 10);
    std::printf("checked %zu numbers: %zu allowed, %zu by pattern, %zu by prefix\n", checked, allowed,
                by_pattern, by_prefix);
}

// The two-level prefix index (prefix_index.hpp) gives exactly the trie's answer, value and
// length, on random prefix sets of every stride (1..5 digits), on clustered sets whose blocks
// overflow a bucket and fall back to the trie, and on numbers of every length, with non-digits,
// shorter than the stride and longer than every prefix.
TEST(PrefixIndexProperty, SameAnswerAsTheTrie) {
    std::mt19937_64 rng(31337);
    DigitTrie trie;
    PrefixIndex index;
    struct Policy {
        std::uint32_t root;
        PrefixIndex::Ref ref;
        std::vector<std::string> prefixes;
    };
    std::vector<Policy> policies;
    std::set<unsigned> strides;
    const std::size_t sizes[] = {1, 3, 12, 150, 1'200, 15'000, 120'000};
    for (int round = 0; round < 3; ++round) {
        for (const std::size_t n : sizes) {
            std::vector<std::string> own;
            // Some policies cluster their prefixes under a few 3-digit blocks (so that blocks hold
            // many prefixes), some reach 15 digits, some are one digit long.
            const bool clustered = rng() % 2 == 0;
            const std::string hub = random_digits(rng, 3, true);
            for (std::size_t i = 0; i < n; ++i) {
                // The largest sets use longer prefixes, so that 100,000 distinct ones exist.
                const int len = (n > 100'000 ? 5 : 1) + static_cast<int>(rng() % (round == 2 ? 15 : 8));
                std::string p = clustered && rng() % 3 != 0 ? hub + random_digits(rng, len, false)
                                                            : random_digits(rng, len, true);
                if (p.size() > 15) p.resize(15);
                own.push_back(std::move(p));
            }
            std::vector<DigitTrie::Entry> entries;
            for (const std::string& p : own)
                entries.push_back({p, static_cast<std::uint8_t>(1 + rng() % 2)});
            Policy pol;
            pol.root = trie.add(entries);
            pol.ref = index.add(trie, pol.root);
            ASSERT_NE(pol.ref.stride, 0) << n;
            strides.insert(pol.ref.stride);
            pol.prefixes = std::move(own);
            policies.push_back(std::move(pol));
        }
    }
    EXPECT_EQ(strides, (std::set<unsigned>{1, 2, 3, 4, 5}));
    EXPECT_GT(index.fallback_blocks(), 0u);  // clustered blocks went back to the trie
    EXPECT_GT(index.bucket_count(), 1'000u);
    EXPECT_GT(index.inline_blocks(), 1'000u);
    std::size_t checked = 0;
    std::size_t matched = 0;
    for (const Policy& pol : policies) {
        for (int q = 0; q < 20'000; ++q) {
            std::string num;
            const auto kind = rng() % 10;
            if (kind < 6) {
                num = pol.prefixes[rng() % pol.prefixes.size()];
                num += random_digits(rng, static_cast<int>(rng() % 9), false);
            } else if (kind < 9) {
                num = random_digits(rng, 1 + static_cast<int>(rng() % 16), false);
            } else {
                num = random_digits(rng, 1 + static_cast<int>(rng() % 6), true);
                num[rng() % num.size()] = "+x/ *"[rng() % 5];
                num += random_digits(rng, static_cast<int>(rng() % 5), false);
            }
            const DigitTrie::Match want = trie.longest(pol.root, num);
            const DigitTrie::Match got = index.longest(pol.ref, num, trie, pol.root);
            ASSERT_EQ(got.value, want.value) << num << " stride " << int(pol.ref.stride);
            ASSERT_EQ(got.length, want.length) << num << " stride " << int(pol.ref.stride);
            // The staged form used by the burst API gives the same.
            if (const PrefixIndex::Entry* e = index.entry(pol.ref, num)) {
                const DigitTrie::Match staged = index.resolve(pol.ref, *e, num, trie);
                ASSERT_EQ(staged.value, want.value) << num;
                ASSERT_EQ(staged.length, want.length) << num;
            }
            ++checked;
            matched += want.value != 0 ? 1 : 0;
        }
    }
    EXPECT_GE(checked, 400'000u);
    EXPECT_GT(matched, checked / 3);
}

// The interval key orders strings as the trie does: a string and its extensions sit inside the
// prefix's interval, everything else outside.
TEST(PrefixIndex, SuffixKeyIntervals) {
    // D = 1, Lmax = 4: positions 1..3, base 11.
    EXPECT_EQ(PrefixIndex::suffix_key("3", 1, 4), 0u);
    EXPECT_EQ(PrefixIndex::suffix_key("30", 1, 4), 1u * 121);
    EXPECT_EQ(PrefixIndex::suffix_key("305", 1, 4), 1u * 121 + 6 * 11);
    EXPECT_EQ(PrefixIndex::suffix_key("3059999", 1, 4), 1u * 121 + 6 * 11 + 10);
    EXPECT_EQ(PrefixIndex::suffix_key("30x9", 1, 4), 1u * 121);  // stops at a non-digit
    // "30" covers [121, 121 + 121): "305..." inside, "31" outside.
    EXPECT_LT(PrefixIndex::suffix_key("3059999", 1, 4), 121u + 121);
    EXPECT_GE(PrefixIndex::suffix_key("31", 1, 4), 121u + 121);
}

}  // namespace
}  // namespace palisade::dp
