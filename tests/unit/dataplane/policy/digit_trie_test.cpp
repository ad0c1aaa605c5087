#include "dataplane/policy/digit_trie.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace palisade::dp {
namespace {

TEST(DigitTrie, LongestPrefixWins) {
    DigitTrie t;
    const std::vector<DigitTrie::Entry> e{{"31", 1}, {"3190", 2}, {"319", 1}, {"44", 2}};
    const std::uint32_t root = t.add(e);
    EXPECT_EQ(t.longest(root, "31201234567").value, 1);
    EXPECT_EQ(t.longest(root, "31201234567").length, 2);
    EXPECT_EQ(t.longest(root, "31901234567").value, 2);
    EXPECT_EQ(t.longest(root, "31901234567").length, 4);
    EXPECT_EQ(t.longest(root, "31911234567").value, 1);
    EXPECT_EQ(t.longest(root, "31911234567").length, 3);
    EXPECT_EQ(t.longest(root, "4420").value, 2);
    EXPECT_EQ(t.longest(root, "4520").value, 0);
    EXPECT_EQ(t.longest(root, "3").value, 0);
    EXPECT_EQ(t.longest(root, "").value, 0);
}

TEST(DigitTrie, DuplicateKeepsLargerValue) {
    DigitTrie t;
    const std::vector<DigitTrie::Entry> e{{"49", 1}, {"49", 2}, {"49", 1}};
    const std::uint32_t root = t.add(e);
    EXPECT_EQ(t.longest(root, "4930").value, 2);
}

TEST(DigitTrie, IgnoresNonDigitsAndStopsAtThem) {
    DigitTrie t;
    const std::vector<DigitTrie::Entry> e{{"1a", 1}, {"12", 2}, {"", 1}};
    const std::uint32_t root = t.add(e);
    EXPECT_EQ(t.longest(root, "1a").value, 0);
    EXPECT_EQ(t.longest(root, "12x").value, 2);
    EXPECT_EQ(t.longest(root, "x12").value, 0);
}

TEST(DigitTrie, ManyTriesInOneArenaAreIndependent) {
    DigitTrie t;
    const std::vector<DigitTrie::Entry> a{{"1", 1}};
    const std::vector<DigitTrie::Entry> b{{"1", 2}, {"2", 1}};
    const std::vector<DigitTrie::Entry> none;
    const std::uint32_t ra = t.add(a);
    const std::uint32_t rb = t.add(b);
    const std::uint32_t rn = t.add(none);
    EXPECT_EQ(t.longest(ra, "123").value, 1);
    EXPECT_EQ(t.longest(ra, "223").value, 0);
    EXPECT_EQ(t.longest(rb, "123").value, 2);
    EXPECT_EQ(t.longest(rb, "223").value, 1);
    EXPECT_EQ(t.longest(rn, "123").value, 0);
}

TEST(DigitTrie, MatchesBruteForceOnRandomSets) {
    std::mt19937_64 rng(7);
    for (int round = 0; round < 50; ++round) {
        std::vector<std::string> keys;
        std::vector<DigitTrie::Entry> e;
        const int n = 1 + static_cast<int>(rng() % 300);
        for (int i = 0; i < n; ++i) {
            std::string k;
            const int len = 1 + static_cast<int>(rng() % 7);
            for (int j = 0; j < len; ++j) k += static_cast<char>('0' + rng() % 4);
            keys.push_back(k);
        }
        for (std::size_t i = 0; i < keys.size(); ++i)
            e.push_back({keys[i], static_cast<std::uint8_t>(1 + i % 2)});
        DigitTrie t;
        t.add(std::vector<DigitTrie::Entry>{{"9", 1}});  // not at root 0
        const std::uint32_t root = t.add(e);
        for (int q = 0; q < 500; ++q) {
            std::string num;
            const int len = 1 + static_cast<int>(rng() % 10);
            for (int j = 0; j < len; ++j) num += static_cast<char>('0' + rng() % 4);
            std::uint8_t want = 0;
            std::size_t best = 0;
            for (std::size_t i = 0; i < keys.size(); ++i) {
                if (num.compare(0, keys[i].size(), keys[i]) != 0 || keys[i].size() > num.size()) continue;
                const std::uint8_t v = e[i].value;
                if (keys[i].size() > best) {
                    best = keys[i].size();
                    want = v;
                } else if (keys[i].size() == best && v > want) {
                    want = v;
                }
            }
            const auto m = t.longest(root, num);
            ASSERT_EQ(m.value, want) << num;
            ASSERT_EQ(m.length, want ? best : 0) << num;
        }
    }
}

TEST(DigitTrie, BatchEqualsOneByOne) {
    std::mt19937_64 rng(3);
    DigitTrie t;
    std::vector<std::uint32_t> roots;
    std::vector<std::vector<std::string>> keep;
    for (int p = 0; p < 20; ++p) {
        std::vector<std::string> keys;
        for (int i = 0; i < 200; ++i) {
            std::string k;
            const int len = 1 + static_cast<int>(rng() % 6);
            for (int j = 0; j < len; ++j) k += static_cast<char>('0' + rng() % 10);
            keys.push_back(k);
        }
        std::vector<DigitTrie::Entry> e;
        for (std::size_t i = 0; i < keys.size(); ++i) e.push_back({keys[i], static_cast<std::uint8_t>(1 + rng() % 2)});
        roots.push_back(t.add(e));
        keep.push_back(std::move(keys));
    }
    for (const std::size_t batch : {0u, 1u, 7u, 64u, 65u, 150u}) {
        std::vector<std::string> nums(batch);
        std::vector<DigitTrie::BatchItem> items(batch);
        for (std::size_t i = 0; i < batch; ++i) {
            const int len = static_cast<int>(rng() % 12);
            for (int j = 0; j < len; ++j) nums[i] += static_cast<char>('0' + rng() % 10);
            if (rng() % 10 == 0) nums[i] += 'x';
            items[i].root = roots[rng() % roots.size()];
            items[i].digits = nums[i];
        }
        t.longest_batch(items);
        for (std::size_t i = 0; i < batch; ++i) {
            const auto want = t.longest(items[i].root, items[i].digits);
            ASSERT_EQ(items[i].match.value, want.value) << nums[i];
            ASSERT_EQ(items[i].match.length, want.length) << nums[i];
        }
    }
}

}  // namespace
}  // namespace palisade::dp
