#include "dataplane/policy/lookups.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

namespace palisade::dp {
namespace {

constexpr std::uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d) {
    return (a << 24) | (b << 16) | (c << 8) | d;
}

std::uint64_t num(std::string_view e164) {
    std::uint64_t k = 0;
    EXPECT_TRUE(parse_e164(e164, k)) << e164;
    return k;
}

TEST(Numbers, E164ParsingAndOrder) {
    std::uint64_t k = 0;
    EXPECT_TRUE(parse_e164("+31201234567", k));
    EXPECT_EQ(key_length(k), 11u);
    EXPECT_EQ(key_value(k), 31201234567ULL);
    EXPECT_FALSE(parse_e164("31201234567", k));
    EXPECT_FALSE(parse_e164("+0201234567", k));
    EXPECT_FALSE(parse_e164("+", k));
    EXPECT_FALSE(parse_e164("+3120123456a", k));
    EXPECT_FALSE(parse_e164("+1234567890123456", k));  // 16 digits
    EXPECT_TRUE(parse_e164("+123456789012345", k));
    // By length, then value: +999 < +1000.
    EXPECT_LT(num("+999"), num("+1000"));
    EXPECT_TRUE(key_has_prefix(num("+31201234567"), num("+3120")));
    EXPECT_FALSE(key_has_prefix(num("+31201234567"), num("+3121")));
    EXPECT_FALSE(key_has_prefix(num("+312"), num("+3120")));
}

TEST(Numbers, SwarParseMatchesADigitLoop) {
    std::mt19937_64 rng(1);
    const char alphabet[] = "0123456789+-a/: \x7f\x80\xb0\xba\xff";
    for (int i = 0; i < 200'000; ++i) {
        std::string s;
        const int n = static_cast<int>(rng() % 18);
        const bool clean = rng() % 2 == 0;
        for (int j = 0; j < n; ++j)
            s += clean ? static_cast<char>('0' + rng() % 10) : alphabet[rng() % (sizeof(alphabet) - 1)];
        bool want = !s.empty() && s.size() <= 15;
        std::uint64_t v = 0;
        for (const char c : s) {
            if (c < '0' || c > '9') want = false;
            else v = v * 10 + static_cast<std::uint64_t>(c - '0');
        }
        std::uint64_t k = 0;
        ASSERT_EQ(parse_digits(s, k), want) << s;
        if (want) {
            ASSERT_EQ(key_value(k), v) << s;
            ASSERT_EQ(key_length(k), s.size()) << s;
        }
    }
    std::uint64_t k = 0;
    ASSERT_TRUE(parse_digits("999999999999999", k));
    EXPECT_EQ(key_value(k), 999999999999999ULL);
    ASSERT_TRUE(parse_digits("100000000", k));
    EXPECT_EQ(key_value(k), 100000000ULL);
}

TEST(Ipv4Lpm, LongestMatchCarriesEveryCoveringTrunk) {
    Ipv4Lpm lpm;
    lpm.build({{ip(10, 0, 0, 0), 8, 1},
               {ip(10, 1, 0, 0), 16, 2},
               {ip(10, 1, 2, 0), 24, 3},
               {ip(10, 1, 2, 128), 25, 4},
               {ip(10, 1, 2, 7), 32, 5},
               {ip(192, 0, 2, 0), 24, 6},
               {ip(192, 0, 2, 0), 24, 7},     // shared subnet
               {ip(198, 51, 100, 99), 24, 8}}); // host bits ignored
    auto set = [&](std::uint32_t a) {
        const auto s = lpm.lookup(a);
        return std::vector<std::uint32_t>(s.begin(), s.end());
    };
    EXPECT_EQ(set(ip(10, 9, 9, 9)), (std::vector<std::uint32_t>{1}));
    EXPECT_EQ(set(ip(10, 1, 9, 9)), (std::vector<std::uint32_t>{1, 2}));
    EXPECT_EQ(set(ip(10, 1, 2, 1)), (std::vector<std::uint32_t>{1, 2, 3}));
    EXPECT_EQ(set(ip(10, 1, 2, 200)), (std::vector<std::uint32_t>{1, 2, 3, 4}));
    EXPECT_EQ(set(ip(10, 1, 2, 7)), (std::vector<std::uint32_t>{1, 2, 3, 5}));
    EXPECT_EQ(set(ip(192, 0, 2, 77)), (std::vector<std::uint32_t>{6, 7}));
    EXPECT_EQ(set(ip(198, 51, 100, 1)), (std::vector<std::uint32_t>{8}));
    EXPECT_TRUE(set(ip(11, 0, 0, 1)).empty());
    EXPECT_FALSE(lpm.contains(ip(192, 0, 3, 1)));
    EXPECT_TRUE(lpm.contains(ip(10, 200, 0, 1)));
}

TEST(Ipv4Lpm, DefaultRouteAndEmpty) {
    Ipv4Lpm empty;
    EXPECT_FALSE(empty.contains(ip(1, 2, 3, 4)));
    empty.build({});
    EXPECT_FALSE(empty.contains(ip(1, 2, 3, 4)));
    Ipv4Lpm all;
    all.build({{0, 0, 9}});
    EXPECT_TRUE(all.contains(ip(1, 2, 3, 4)));
    EXPECT_TRUE(all.contains(0xffffffffu));
}

TEST(Ipv4Lpm, MatchesBruteForceOnRandomPrefixes) {
    std::mt19937 rng(11);
    struct P {
        std::uint32_t addr;
        std::uint8_t len;
        std::uint32_t trunk;
    };
    std::vector<P> ps;
    std::vector<Ipv4Lpm::Prefix> in;
    for (std::uint32_t t = 0; t < 3000; ++t) {
        // Cluster in 10.0.0.0/12 so that prefixes nest.
        const std::uint32_t a = ip(10, 0, 0, 0) | (rng() & 0x000fffffu);
        const auto len = static_cast<std::uint8_t>(8 + rng() % 25);
        const std::uint32_t mask = ~0u << (32 - len);
        ps.push_back({a & mask, len, t});
        in.push_back({a, len, t});
    }
    Ipv4Lpm lpm;
    lpm.build(in);
    for (int q = 0; q < 20000; ++q) {
        const std::uint32_t a = q % 10 == 0 ? rng() : (ip(10, 0, 0, 0) | (rng() & 0x000fffffu));
        std::vector<std::uint32_t> want;
        for (const P& p : ps) {
            const std::uint32_t mask = ~0u << (32 - p.len);
            if ((a & mask) == p.addr) want.push_back(p.trunk);
        }
        std::sort(want.begin(), want.end());
        const auto got = lpm.lookup(a);
        ASSERT_EQ(std::vector<std::uint32_t>(got.begin(), got.end()), want) << std::hex << a;
    }
}

TEST(DidTable, NumbersAndRanges) {
    DidTable t;
    t.build({{num("+31201234500"), num("+31201234599"), 1},
             {num("+31201234600"), num("+31201234600"), 2},
             {num("+4420"), num("+4429"), 3},
             {num("+12125550100"), num("+12125550199"), 4}});
    EXPECT_EQ(t.lookup(num("+31201234500")), 1u);
    EXPECT_EQ(t.lookup(num("+31201234555")), 1u);
    EXPECT_EQ(t.lookup(num("+31201234599")), 1u);
    EXPECT_EQ(t.lookup(num("+31201234600")), 2u);
    EXPECT_EQ(t.lookup(num("+31201234601")), DidTable::kNone);
    EXPECT_EQ(t.lookup(num("+31201234499")), DidTable::kNone);
    EXPECT_EQ(t.lookup(num("+4425")), 3u);
    EXPECT_EQ(t.lookup(num("+44250")), DidTable::kNone);  // longer number, not in range
    EXPECT_EQ(t.lookup(num("+1")), DidTable::kNone);
    EXPECT_EQ(t.lookup(num("+12125550150")), 4u);
    DidTable empty;
    empty.build({});
    EXPECT_EQ(empty.lookup(num("+1")), DidTable::kNone);
}

TEST(DidTable, MatchesBruteForceAtManySizes) {
    std::mt19937_64 rng(5);
    for (const std::size_t n : {1u, 2u, 3u, 7u, 8u, 100u, 1000u, 4097u}) {
        std::vector<DidTable::Range> in;
        std::uint64_t at = num("+31200000000");
        for (std::size_t i = 0; i < n; ++i) {
            at += 1 + rng() % 50;
            const std::uint64_t len = rng() % 3 == 0 ? 0 : rng() % 20;
            in.push_back({at, at + len, static_cast<std::uint32_t>(i)});
            at += len;
        }
        std::shuffle(in.begin(), in.end(), rng);
        DidTable t;
        t.build(in);
        ASSERT_EQ(t.size(), n);
        for (int q = 0; q < 5000; ++q) {
            const std::uint64_t k = num("+31200000000") + rng() % (at - num("+31200000000") + 10);
            std::uint32_t want = DidTable::kNone;
            for (const auto& r : in)
                if (r.first <= k && k <= r.last) want = r.trunk;
            ASSERT_EQ(t.lookup(k), want) << n << " " << k;
        }
    }
}

TEST(DidTable, OverlapKeepsTheFirstRange) {
    DidTable t;
    t.build({{num("+3120100"), num("+3120199"), 1}, {num("+3120150"), num("+3120250"), 2}});
    EXPECT_EQ(t.lookup(num("+3120160")), 1u);
    EXPECT_EQ(t.lookup(num("+3120220")), DidTable::kNone);
}

TEST(CallerIdTable, RangesNumbersAndPrefixesPerTrunk) {
    CallerIdTable c;
    const auto a = c.add({{num("+31201234500"), num("+31201234599")}, {num("+31207777777"), num("+31207777777")},
                          {num("+31201234590"), num("+31201234650")}},
                         {num("+3130")});
    const auto b = c.add({}, {num("+44"), num("+1212")});
    const auto none = c.add({}, {});
    EXPECT_TRUE(c.contains(a, num("+31201234500")));
    EXPECT_TRUE(c.contains(a, num("+31201234650")));  // merged with the overlapping range
    EXPECT_FALSE(c.contains(a, num("+31201234651")));
    EXPECT_TRUE(c.contains(a, num("+31207777777")));
    EXPECT_FALSE(c.contains(a, num("+31207777778")));
    EXPECT_TRUE(c.contains(a, num("+31301234567")));
    EXPECT_FALSE(c.contains(a, num("+442071234567")));
    EXPECT_TRUE(c.contains(b, num("+442071234567")));
    EXPECT_TRUE(c.contains(b, num("+12125550100")));
    EXPECT_FALSE(c.contains(b, num("+12135550100")));
    EXPECT_FALSE(c.contains(none, num("+442071234567")));
}

TEST(CallerIdTable, MatchesBruteForce) {
    std::mt19937_64 rng(9);
    CallerIdTable c;
    std::vector<std::vector<std::pair<std::uint64_t, std::uint64_t>>> sets;
    std::vector<CallerIdTable::Ref> refs;
    const std::uint64_t base = num("+3120000000");
    for (int t = 0; t < 200; ++t) {
        std::vector<std::pair<std::uint64_t, std::uint64_t>> r;
        const int n = static_cast<int>(rng() % 12);
        for (int i = 0; i < n; ++i) {
            const std::uint64_t f = base + rng() % 5000;
            r.emplace_back(f, f + rng() % 40);
        }
        sets.push_back(r);
        refs.push_back(c.add(r, {}));
    }
    for (int q = 0; q < 50000; ++q) {
        const auto t = static_cast<std::size_t>(rng() % sets.size());
        const std::uint64_t k = base + rng() % 5100;
        bool want = false;
        for (const auto& [f, l] : sets[t]) want = want || (f <= k && k <= l);
        ASSERT_EQ(c.contains(refs[t], k), want);
    }
}

}  // namespace
}  // namespace palisade::dp
