// Tests of parsers/sip/nonce: stateless nonces and the shared nonce-count table.
#include "parsers/sip/nonce.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace palisade::sip {
namespace {

constexpr std::uint64_t kNow = 1'700'000'000;

std::string make(NonceCodec& c, std::uint64_t now = kNow, std::uint32_t life = 300) {
    char buf[kNonceLen];
    return std::string(buf, c.make(now, life, buf, sizeof buf));
}

TEST(NonceTest, RoundTripAndExpiry) {
    NonceCodec c("secret", 7);
    const std::string n = make(c);
    ASSERT_EQ(n.size(), kNonceLen);
    NonceInfo info;
    EXPECT_EQ(c.check(n, kNow, info), NonceStatus::ok);
    EXPECT_EQ(info.expiry_s, kNow + 300);
    EXPECT_EQ(info.id >> 48, 7u);
    EXPECT_EQ(c.check(n, kNow + 299, info), NonceStatus::ok);
    EXPECT_EQ(c.check(n, kNow + 300, info), NonceStatus::expired);
}

TEST(NonceTest, AnotherWorkerWithTheSameSecretVerifies) {
    NonceCodec a("shared", 1);
    NonceCodec b("shared", 2);
    NonceInfo info;
    EXPECT_EQ(b.check(make(a), kNow, info), NonceStatus::ok);
    NonceCodec other("other", 1);
    EXPECT_EQ(other.check(make(a), kNow, info), NonceStatus::forged);
}

TEST(NonceTest, EveryNonceIsUnique) {
    NonceCodec c("s");
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.insert(make(c)).second);
}

TEST(NonceTest, ForgeriesRefused) {
    NonceCodec c("secret");
    const std::string n = make(c);
    NonceInfo info;
    // Every single-character change, including moving the expiry later, is refused.
    for (std::size_t i = 0; i < n.size(); ++i) {
        std::string f = n;
        f[i] = f[i] == '0' ? '1' : '0';
        EXPECT_EQ(c.check(f, kNow, info), NonceStatus::forged) << i;
    }
    EXPECT_EQ(c.check(n.substr(1), kNow, info), NonceStatus::forged);
    EXPECT_EQ(c.check(n + "0", kNow, info), NonceStatus::forged);
    EXPECT_EQ(c.check("", kNow, info), NonceStatus::forged);
    std::string upper = n;
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (upper != n) {
        EXPECT_EQ(c.check(upper, kNow, info), NonceStatus::forged);
    }
    std::string junk(kNonceLen, 'z');
    EXPECT_EQ(c.check(junk, kNow, info), NonceStatus::forged);
}

TEST(NonceTest, EmptySecretStillWorksInProcess) {
    NonceCodec c("");
    NonceInfo info;
    EXPECT_EQ(c.check(make(c), kNow, info), NonceStatus::ok);
}

TEST(NonceCountTest, MonotonicPerNonce) {
    NonceCountTable t(64, 1);
    const NonceInfo n{static_cast<std::uint32_t>(kNow + 300), 42};
    EXPECT_FALSE(t.accept(n, 0));
    EXPECT_TRUE(t.accept(n, 1));
    EXPECT_FALSE(t.accept(n, 1));
    EXPECT_TRUE(t.accept(n, 3));
    EXPECT_FALSE(t.accept(n, 2));
    EXPECT_TRUE(t.accept(n, 4));
}

TEST(NonceCountTest, NoncesAreIndependentUnlessTheyShareASlot) {
    NonceCountTable t(1u << 16);
    const NonceInfo a{static_cast<std::uint32_t>(kNow + 300), 1};
    const NonceInfo b{static_cast<std::uint32_t>(kNow + 300), 2};
    EXPECT_TRUE(t.accept(a, 1));
    EXPECT_TRUE(t.accept(b, 1));
    EXPECT_TRUE(t.accept(a, 2));
    EXPECT_FALSE(t.accept(b, 1));
}

TEST(NonceCountTest, OneIssuersNoncesNeverCollideWithinAPartition) {
    NonceCountTable t(1024, 4);  // 256 slots per partition
    for (std::uint64_t c = 5000; c < 5256; ++c) EXPECT_TRUE(t.accept(NonceInfo{1, c}, 1)) << c;
    for (std::uint64_t c = 5000; c < 5256; ++c) EXPECT_TRUE(t.accept(NonceInfo{1, c}, 2)) << c;
    // Other issuers use other partitions.
    for (std::uint64_t c = 5000; c < 5256; ++c) EXPECT_TRUE(t.accept(NonceInfo{1, (1ull << 48) | c}, 1)) << c;
}

TEST(NonceCountTest, EvictedOlderNonceIsRefusedNeverReplayed) {
    NonceCountTable t(1024, 4);  // 256 slots per partition
    const NonceInfo old{1, 100};
    EXPECT_TRUE(t.accept(old, 1));
    const NonceInfo newer{1, 100 + 256};  // same slot, one lap later
    EXPECT_TRUE(t.accept(newer, 1));
    EXPECT_FALSE(t.accept(old, 2));   // history gone: refused (stale), never accepted
    EXPECT_FALSE(t.accept(old, 1));
    EXPECT_FALSE(t.accept(newer, 1));
    EXPECT_TRUE(t.accept(newer, 2));
}

TEST(NonceCountTest, ConcurrentVerifiersNeverAcceptOneCountTwice) {
    NonceCountTable t(1024);
    constexpr int kThreads = 4;
    constexpr std::uint32_t kCounts = 20000;
    constexpr int kNonces = 8;
    std::vector<std::atomic<int>> accepted(kNonces * (kCounts + 1));
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int th = 0; th < kThreads; ++th)
        threads.emplace_back([&, th] {
            while (!go.load()) std::this_thread::yield();
            for (std::uint32_t nc = 1; nc <= kCounts; ++nc)
                for (int k = 0; k < kNonces; ++k) {
                    const NonceInfo n{static_cast<std::uint32_t>(kNow), static_cast<std::uint64_t>(k * 7919 + th * 0)};
                    if (t.accept(n, nc)) accepted[k * (kCounts + 1) + nc].fetch_add(1);
                }
        });
    go.store(true);
    for (auto& th : threads) th.join();
    int total = 0;
    for (auto& a : accepted) {
        EXPECT_LE(a.load(), 1);
        total += a.load();
    }
    // Each count is tried by every thread: most are taken by someone (a few lose to a faster
    // thread that already went past them: counts are refused below the high-water mark).
    EXPECT_GT(total, kNonces);
}

}  // namespace
}  // namespace palisade::sip
