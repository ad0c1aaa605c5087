// Tests of dataplane/location: the workers' view of registrations, sources, failover and
// blocks, read on threads while the control plane writes.
#include "dataplane/contract/location.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

// Under AddressSanitizer a failed allocation aborts by default; this test binary checks what
// the table does when new(std::nothrow) returns null, so let it return null.
#if defined(__SANITIZE_ADDRESS__)
extern "C" const char* __asan_default_options() {  // NOLINT: the sanitizer's hook
    return "allocator_may_return_null=1";
}
#endif

namespace palisade::dp {
namespace {

using Input = LocationTable::ContactInput;

// Built by appending: GCC 12 warns falsely (-Wrestrict) on chained operator+ here.
std::string uri_for(const std::string& name, std::uint64_t gen) {
    std::string u("sip:");
    u.append(name).append("@g").append(std::to_string(gen));
    return u;
}
std::string account_name(int a) {
    std::string n("acct");
    n.append(std::to_string(a));
    return n;
}

TEST(SeqlockMapTest, PutFindEraseReuse) {
    SeqlockMap m(16);
    EXPECT_EQ(m.find(5), SeqlockMap::kNone);
    EXPECT_TRUE(m.put(5, 50));
    EXPECT_TRUE(m.put(6, 60));
    EXPECT_EQ(m.find(5), 50u);
    EXPECT_TRUE(m.put(5, 51));
    EXPECT_EQ(m.find(5), 51u);
    m.erase(5);
    EXPECT_EQ(m.find(5), SeqlockMap::kNone);
    EXPECT_EQ(m.find(6), 60u);
    EXPECT_EQ(m.size(), 1u);
    // At most 3/4 of the slots hold keys (live or tombstone): then put refuses.
    int ok = 0;
    for (std::uint64_t k = 1000; k < 1100; ++k) ok += m.put(k, 7) ? 1 : 0;
    EXPECT_EQ(ok, 11);  // 16 slots: 12 usable, key 6 holds one (key 5's tombstone is reused)
    EXPECT_EQ(m.find(6), 60u);
}

// Address churn (NAT ports come and go) never fills the source index: the writer rebuilds it.
TEST(LocationTest, SourceChurnNeverFillsTheIndex) {
    LocationTable t(LocationLimits{16, 64, 16, 8, 4});
    for (std::uint32_t i = 0; i < 5000; ++i) {
        const Input a[] = {{"sip:a@h", 0x0a000000 + i, static_cast<std::uint16_t>(i), 0, i, 1}};
        ASSERT_TRUE(t.set_contacts("a", 1, LocationRole::primary, a));
        ASSERT_TRUE(t.is_known_source(0x0a000000 + i, static_cast<std::uint16_t>(i))) << i;
        if (i > 0) {
            ASSERT_FALSE(t.is_known_source(0x0a000000 + i - 1, static_cast<std::uint16_t>(i - 1)));
        }
        t.reclaim();
    }
    EXPECT_EQ(t.stats().sources_full, 0u);
    EXPECT_GT(t.stats().map_rebuilds, 0u);
    t.synchronize();
    EXPECT_EQ(t.stats().records_freed + 0, t.stats().records_retired);
}

TEST(LocationTest, ContactsSourcesAndRemoval) {
    LocationTable t(LocationLimits{16, 64, 16, 8, 4});
    const Input a[] = {{"sip:a@10.0.0.1", 0x0a000001, 5060, 0, 1, 100}, {"sip:a@10.0.0.2", 0x0a000002, 5062, 1, 2, 200}};
    ASSERT_TRUE(t.set_contacts("alice", 3, LocationRole::primary, a));
    auto cs = t.contacts("alice");
    ASSERT_EQ(cs.size(), 2u);
    EXPECT_EQ(cs[0].uri(), "sip:a@10.0.0.1");
    EXPECT_EQ(cs[1].uri(), "sip:a@10.0.0.2");
    EXPECT_EQ(cs[1].iface, 1);
    EXPECT_EQ(cs[1].expires_at_s.load(), 200u);
    EXPECT_EQ(t.account("alice")->username(), "alice");
    EXPECT_TRUE(t.contacts("bob").empty());
    EXPECT_TRUE(t.is_known_source(0x0a000001, 5060));
    EXPECT_TRUE(t.is_known_source(0x0a000001, 9999));  // ip alone
    EXPECT_FALSE(t.is_known_source(0x0a000003, 5060));
    EXPECT_EQ(t.trunk_for_source(0x0a000002, 5062), 3u);
    EXPECT_EQ(t.trunk_for_source(0x0a000009, 5062), kNoTrunkKey);
    // Replace with one contact: the other's source disappears.
    ASSERT_TRUE(t.set_contacts("alice", 3, LocationRole::primary, std::span(a, 1)));
    EXPECT_EQ(t.contacts("alice").size(), 1u);
    EXPECT_FALSE(t.is_known_source(0x0a000002, 5062));
    ASSERT_TRUE(t.set_contacts("alice", 3, LocationRole::primary, {}));
    EXPECT_TRUE(t.contacts("alice").empty());
    EXPECT_FALSE(t.is_known_source(0x0a000001, 5060));
    t.synchronize();
    EXPECT_EQ(t.stats().records_freed, 2u);
    EXPECT_EQ(t.stats().contacts, 0u);
}

TEST(LocationTest, SharedAddressIsAmbiguousUntilOneLeaves) {
    LocationTable t(LocationLimits{16, 64, 16, 8, 4});
    const Input x[] = {{"sip:x@h", 0x0a000001, 5060, 0, 1, 100}};
    const Input y[] = {{"sip:y@h", 0x0a000001, 5070, 0, 2, 100}};
    t.set_contacts("x", 1, LocationRole::primary, x);
    t.set_contacts("y", 2, LocationRole::primary, y);
    EXPECT_EQ(t.trunk_for_source(0x0a000001, 5060), 1u);            // ip:port is exact
    EXPECT_EQ(t.trunk_for_source(0x0a000001, 5999), kAmbiguousTrunkKey);  // ip is shared
    t.set_contacts("y", 2, LocationRole::primary, {});
    EXPECT_EQ(t.trunk_for_source(0x0a000001, 5999), 1u);
}

TEST(LocationTest, ReachabilityKeptAcrossRebuilds) {
    LocationTable t(LocationLimits{16, 64, 16, 8, 4});
    Input a[] = {{"sip:a@1", 1, 1, 0, 11, 100}, {"sip:a@2", 2, 2, 0, 12, 100}};
    t.set_contacts("a", 0, LocationRole::secondary, a);
    EXPECT_EQ(t.contacts("a")[0].reachable(), Reachability::unknown);
    EXPECT_TRUE(t.set_reachability("a", 12, Reachability::down));
    EXPECT_FALSE(t.set_reachability("a", 99, Reachability::up));
    a[0].expires_at_s = 500;  // a refresh rebuilds the record
    t.set_contacts("a", 0, LocationRole::secondary, a);
    EXPECT_EQ(t.contacts("a")[1].reachable(), Reachability::down);
    EXPECT_EQ(t.contacts("a")[0].expires_at_s.load(), 500u);
    EXPECT_TRUE(t.set_expiry("a", 12, 900));
    EXPECT_EQ(t.contacts("a")[1].expires_at_s.load(), 900u);
    EXPECT_FALSE(t.set_expiry("a", 99, 900));
    EXPECT_EQ(t.account("a")->role, LocationRole::secondary);
}

TEST(LocationTest, FailoverAndBlocks) {
    LocationTable t(LocationLimits{16, 64, 16, 8, 4});
    EXPECT_EQ(t.failover_state(3), FailoverMode::automatic);
    EXPECT_TRUE(t.set_failover(3, FailoverMode::dialplan));
    EXPECT_EQ(t.failover_state(3), FailoverMode::dialplan);
    EXPECT_FALSE(t.set_failover(8, FailoverMode::primary));
    EXPECT_EQ(t.failover_state(1000), FailoverMode::automatic);
    EXPECT_FALSE(t.is_blocked(7, 100));
    EXPECT_TRUE(t.block(7, 200));
    EXPECT_TRUE(t.is_blocked(7, 100));
    EXPECT_TRUE(t.is_blocked(7, 199));
    EXPECT_FALSE(t.is_blocked(7, 200));
    EXPECT_FALSE(t.is_blocked(8, 100));
    t.unblock(7);
    EXPECT_FALSE(t.is_blocked(7, 100));
}

TEST(LocationTest, RefusesOversizedInput) {
    LocationTable t(LocationLimits{16, 64, 16, 8, 4});
    std::vector<Input> many(kMaxContactsPerAccount + 1, Input{"sip:a@b", 1, 1, 0, 1, 1});
    EXPECT_FALSE(t.set_contacts("a", 0, LocationRole::primary, many));
    const std::string long_uri(kMaxContactUri + 1, 'x');
    const Input big[] = {{long_uri, 1, 1, 0, 1, 1}};
    EXPECT_FALSE(t.set_contacts("a", 0, LocationRole::primary, big));
    EXPECT_TRUE(t.contacts("a").empty());
}

TEST(LocationTest, AccountTableFullIsRefusedAndCounted) {
    LocationTable t(LocationLimits{4, 64, 16, 8, 4});
    const Input a[] = {{"sip:a@b", 1, 1, 0, 1, 1}};
    int ok = 0;
    for (int i = 0; i < 20; ++i) ok += t.set_contacts(account_name(i), 0, LocationRole::primary, a) ? 1 : 0;
    EXPECT_EQ(ok, 8);  // at least 16 slots, half usable
    EXPECT_EQ(t.stats().accounts_full, 12u);
    for (int i = 0; i < 8; ++i) EXPECT_EQ(t.contacts(account_name(i)).size(), 1u);
}

// Creation never throws (issue 5: the constructor used to throw bad_alloc): a limit out of range
// is refused with its name, and create() returns null with the reason.
TEST(LocationTest, CreateRefusesLimitsOutOfRange) {
    std::string error;
    EXPECT_EQ(LocationTable::create(LocationLimits{0, 64, 16, 8, 4}, error), nullptr);
    EXPECT_EQ(error, "location table: accounts = 0 is out of range (1..268435456)");
    EXPECT_EQ(LocationTable::create(LocationLimits{16, kMaxLocationSlots + 1, 16, 8, 4}, error), nullptr);
    EXPECT_EQ(error, "location table: sources = 268435457 is out of range (1..268435456)");
    auto t = LocationTable::create(LocationLimits{16, 64, 16, 8, 4}, error);
    ASSERT_NE(t, nullptr);
    EXPECT_TRUE(t->ok());
    EXPECT_TRUE(t->error().empty());
    const Input a[] = {{"sip:a@b", 1, 1, 0, 1, 1}};
    EXPECT_TRUE(t->set_contacts("a", 0, LocationRole::primary, a));
    EXPECT_EQ(t->contacts("a").size(), 1u);
}

// Memory that cannot be had (here: the address space capped at 128 MiB above its use, in a child
// process, and
// 2^24 accounts asking for 512 MiB of slots) gives a message naming the table and its size, and
// an empty table that is safe to read and refuses every write.
// Runs in a death-test child: 0 when every check passed, else the number of the failed one.
int allocation_failure_child() {
    // The address space in use now (first field of statm, in pages), plus 128 MiB.
    unsigned long pages = 0;
    if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%lu", &pages) != 1) pages = 0;
        std::fclose(f);
    }
    const rlim_t cap = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + (128u << 20);
    const rlimit lim{cap, cap};
    if (pages == 0 || setrlimit(RLIMIT_AS, &lim) != 0) return 10;
    std::string error;
    if (LocationTable::create(LocationLimits{1u << 24, 64, 16, 8, 4}, error) != nullptr) return 11;
    if (error != "location table: cannot allocate the account slots (33554432 slots, 512 MiB)") return 12;
    LocationTable t(LocationLimits{1u << 24, 64, 16, 8, 4});
    if (t.ok() || t.error() != error) return 13;
    // Readers see nothing; writers refuse; nothing crashes.
    const Input a[] = {{"sip:a@b", 1, 1, 0, 1, 1}};
    if (t.set_contacts("a", 0, LocationRole::primary, a)) return 14;
    if (t.account("a") != nullptr || !t.contacts("a").empty()) return 15;
    if (t.is_known_source(1, 1) || t.trunk_for_source(1, 1) != kNoTrunkKey) return 16;
    if (t.block(1, 100) || t.is_blocked(1, 0)) return 17;
    if (t.set_failover(0, FailoverMode::dialplan) || t.failover_state(0) != FailoverMode::automatic) return 18;
    if (t.register_reader(0)) return 19;
    t.quiescent(0);
    t.unblock(1);
    t.reclaim();
    t.synchronize();
    if (t.stats().bytes != 0) return 20;
    return 0;
}

TEST(LocationTest, AllocationFailureIsAnErrorNotAnException) {
    EXPECT_EXIT(std::_Exit(allocation_failure_child()), ::testing::ExitedWithCode(0), "");
}

// Readers on threads while the control plane rewrites every account: a reader always sees a
// whole record (its contacts agree with each other), never freed memory (run under ASan too).
TEST(LocationTest, ReadersWhileTheWriterUpdates) {
    constexpr int kAccounts = 64;
    constexpr int kReaders = 3;
    LocationTable t(LocationLimits{kAccounts, 1024, 16, 8, kReaders});
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> reads{0};
    std::atomic<int> bad{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < kReaders; ++r) {
        ASSERT_TRUE(t.register_reader(static_cast<std::uint32_t>(r)));
        readers.emplace_back([&, r] {
            std::uint64_t n = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                for (int a = 0; a < kAccounts; ++a) {
                    const std::string name = account_name(a);
                    const auto cs = t.contacts(name);
                    // Every contact of one record carries the same generation in expires_at_s,
                    // and its URI says which account and generation it belongs to.
                    for (const LocationContact& c : cs) {
                        if (c.expires_at_s.load() != cs[0].expires_at_s.load()) bad.fetch_add(1);
                        const std::string want = uri_for(name, c.expires_at_s.load());
                        if (c.uri() != want) bad.fetch_add(1);
                    }
                    if (!cs.empty() && !t.is_known_source(cs[0].ip, cs[0].port)) {
                        // The source index is updated after the record: a brand-new record may
                        // be seen before its source keys only if they were added before the
                        // swap, which set_contacts guarantees: never.
                        bad.fetch_add(1);
                    }
                    ++n;
                }
                t.quiescent(static_cast<std::uint32_t>(r));
            }
            reads.fetch_add(n);
            t.unregister_reader(static_cast<std::uint32_t>(r));
        });
    }
    std::uint64_t gen = 1;
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(700);
    std::vector<std::string> uris;
    while (std::chrono::steady_clock::now() < until) {
        for (int a = 0; a < kAccounts; ++a, ++gen) {
            const std::string name = account_name(a);
            const std::size_t n = 1 + gen % 3;
            uris.assign(n, uri_for(name, gen));
            std::vector<Input> in;
            for (std::size_t i = 0; i < n; ++i)
                in.push_back(Input{uris[i], static_cast<std::uint32_t>(0x0a000000 + a), static_cast<std::uint16_t>(5000 + gen % 7),
                                   0, static_cast<std::uint32_t>(i), gen});
            ASSERT_TRUE(t.set_contacts(name, static_cast<std::uint32_t>(a % 8), LocationRole::primary, in));
        }
        t.reclaim();
    }
    stop.store(true);
    for (auto& th : readers) th.join();
    t.synchronize();
    EXPECT_EQ(bad.load(), 0);
    EXPECT_GT(reads.load(), 1000u);
    const LocationStats s = t.stats();
    EXPECT_EQ(s.records_freed, s.records_retired);
    EXPECT_EQ(s.accounts_with_contacts, static_cast<std::uint32_t>(kAccounts));
}

}  // namespace
}  // namespace palisade::dp
