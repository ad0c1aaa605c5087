// Brute-force protection: sliding windows per source and per username, blocks written to the
// workers' LocationTable and lifted on time, 403 after repeated failures, the CLI view, and the
// [security] config keys.
#include "controlplane/guard/auth_guard.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "controlplane/config/loader.hpp"

namespace palisade::cp {
namespace {

constexpr std::uint32_t kA = 0xcb007101;  // 203.0.113.1
constexpr std::uint32_t kB = 0xcb007102;
constexpr std::uint32_t kC = 0xcb007103;
constexpr std::uint32_t kD = 0xcb007104;
constexpr std::uint64_t kT0 = 1'700'000'000;

dp::LocationLimits small_limits() {
    dp::LocationLimits l;
    l.accounts = 64;
    l.sources = 64;
    l.blocked = 64;
    l.trunks = 64;
    l.max_readers = 2;
    return l;
}

AuthGuardSettings settings(std::uint32_t threshold, std::uint32_t window, std::uint32_t block) {
    AuthGuardSettings s;
    s.threshold = threshold;
    s.window_s = window;
    s.block_s = block;
    return s;
}

struct Fixture {
    dp::LocationTable location{small_limits()};
    AuthGuard guard;
    std::vector<std::string> log;
    explicit Fixture(const AuthGuardSettings& s) : guard(location, s) {
        guard.set_log([this](std::string_view l) { log.emplace_back(l); });
    }
};

TEST(AuthGuard, BlocksASourceAtTheThresholdWithinTheWindow) {
    Fixture f(settings(3, 60, 600));
    EXPECT_FALSE(f.guard.on_auth_failure(kA, "acme-1", kT0));
    EXPECT_FALSE(f.guard.on_auth_failure(kA, "acme-2", kT0 + 10));
    EXPECT_FALSE(f.location.is_blocked(kA, kT0 + 10));
    EXPECT_EQ(f.guard.source_failures(kA, kT0 + 10), 2u);
    EXPECT_TRUE(f.guard.on_auth_failure(kA, "acme-3", kT0 + 20));
    // Workers see it at once, until exactly now + block_duration.
    EXPECT_TRUE(f.location.is_blocked(kA, kT0 + 20));
    EXPECT_TRUE(f.location.is_blocked(kA, kT0 + 619));
    EXPECT_FALSE(f.location.is_blocked(kA, kT0 + 620));
    EXPECT_FALSE(f.location.is_blocked(kB, kT0 + 20));
    EXPECT_TRUE(f.guard.is_blocked(kA, kT0 + 20));
    EXPECT_EQ(f.guard.counters().blocks, 1u);
    EXPECT_EQ(f.guard.counters().failures, 3u);
    ASSERT_EQ(f.log.size(), 1u);
    EXPECT_NE(f.log[0].find("blocked 203.0.113.1 for 600s: 3 failed authentications of the source"),
              std::string::npos)
        << f.log[0];
}

TEST(AuthGuard, WindowSlides) {
    Fixture f(settings(3, 60, 600));
    f.guard.on_auth_failure(kA, "u", kT0);
    f.guard.on_auth_failure(kA, "u", kT0 + 30);
    // kT0 leaves the window exactly 60 s later: (now - 60, now].
    EXPECT_EQ(f.guard.source_failures(kA, kT0 + 59), 2u);
    EXPECT_EQ(f.guard.source_failures(kA, kT0 + 60), 1u);
    EXPECT_FALSE(f.guard.on_auth_failure(kA, "u", kT0 + 60));
    EXPECT_EQ(f.guard.source_failures(kA, kT0 + 60), 2u);
    EXPECT_FALSE(f.location.is_blocked(kA, kT0 + 60));
    // kT0+30 is still inside at kT0+89: three in the window.
    EXPECT_TRUE(f.guard.on_auth_failure(kA, "u", kT0 + 89));
    EXPECT_TRUE(f.location.is_blocked(kA, kT0 + 89));
}

TEST(AuthGuard, SpacedFailuresNeverBlock) {
    Fixture f(settings(3, 60, 600));
    for (int i = 0; i < 100; ++i) EXPECT_FALSE(f.guard.on_auth_failure(kA, "u", kT0 + 31 * i));
    EXPECT_EQ(f.guard.counters().blocks, 0u);
}

TEST(AuthGuard, OneUsernameAttackedFromManySourcesBlocksEachFailingSource) {
    Fixture f(settings(3, 60, 600));
    EXPECT_FALSE(f.guard.on_auth_failure(kA, "acme-1", kT0));
    EXPECT_FALSE(f.guard.on_auth_failure(kB, "acme-1", kT0 + 1));
    EXPECT_TRUE(f.guard.on_auth_failure(kC, "acme-1", kT0 + 2));
    EXPECT_FALSE(f.location.is_blocked(kA, kT0 + 2));
    EXPECT_FALSE(f.location.is_blocked(kB, kT0 + 2));
    EXPECT_TRUE(f.location.is_blocked(kC, kT0 + 2));
    // While the username is over the threshold, the next failing source goes too...
    EXPECT_TRUE(f.guard.on_auth_failure(kD, "acme-1", kT0 + 3));
    EXPECT_TRUE(f.location.is_blocked(kD, kT0 + 3));
    // ...but not a source failing against another username.
    EXPECT_FALSE(f.guard.on_auth_failure(kA, "acme-2", kT0 + 4));
    EXPECT_FALSE(f.location.is_blocked(kA, kT0 + 4));
    EXPECT_EQ(f.guard.counters().blocks, 2u);
    EXPECT_EQ(f.guard.counters().blocks_by_username, 2u);
    const auto view = f.guard.blocked();
    ASSERT_EQ(view.size(), 2u);
    EXPECT_EQ(view[0].ip, kC);
    EXPECT_EQ(view[0].reason, BlockReason::username_failures);
    EXPECT_EQ(view[0].failures, 3u);
    EXPECT_EQ(view[1].ip, kD);
    EXPECT_EQ(view[1].failures, 3u);  // counts are kept up to the threshold only
}

TEST(AuthGuard, SuccessClearsTheSourceButNotTheUsername) {
    Fixture f(settings(3, 60, 600));
    f.guard.on_auth_failure(kA, "u1", kT0);
    f.guard.on_auth_failure(kA, "u1", kT0 + 1);
    f.guard.on_auth_success(kA, "u1", kT0 + 2);
    EXPECT_EQ(f.guard.source_failures(kA, kT0 + 2), 0u);
    EXPECT_EQ(f.guard.username_failures("u1", kT0 + 2), 2u);
    EXPECT_FALSE(f.guard.on_auth_failure(kA, "u2", kT0 + 3));
    EXPECT_FALSE(f.guard.on_auth_failure(kA, "u3", kT0 + 4));
    EXPECT_FALSE(f.location.is_blocked(kA, kT0 + 4));
    EXPECT_TRUE(f.guard.on_auth_failure(kA, "u4", kT0 + 5));  // third since the success
    EXPECT_EQ(f.guard.counters().successes, 1u);
}

TEST(AuthGuard, BlockIsLiftedWhenItsTimePasses) {
    Fixture f(settings(2, 60, 300));
    f.guard.on_auth_failure(kA, "u", kT0);
    ASSERT_TRUE(f.guard.on_auth_failure(kA, "u", kT0 + 1));
    const std::uint64_t until = kT0 + 1 + 300;
    EXPECT_EQ(f.guard.tick(until - 1), 0u);
    EXPECT_TRUE(f.location.is_blocked(kA, until - 1));
    EXPECT_EQ(f.guard.blocked().size(), 1u);
    EXPECT_EQ(f.guard.tick(until), 1u);
    // The entry is gone from the workers' table, not just expired: an earlier "now" shows it.
    EXPECT_FALSE(f.location.is_blocked(kA, until - 1));
    EXPECT_TRUE(f.guard.blocked().empty());
    EXPECT_FALSE(f.guard.is_blocked(kA, until));
    EXPECT_EQ(f.guard.counters().unblocks, 1u);
    ASSERT_EQ(f.log.size(), 2u);
    EXPECT_NE(f.log[1].find("unblocked 203.0.113.1"), std::string::npos);
    // It starts over with the whole threshold (its count was reset by the block).
    EXPECT_FALSE(f.guard.on_auth_failure(kA, "v", until + 100));
    EXPECT_TRUE(f.guard.on_auth_failure(kA, "v", until + 101));
}

TEST(AuthGuard, OperatorUnblock) {
    Fixture f(settings(1, 60, 300));
    ASSERT_TRUE(f.guard.on_auth_failure(kA, "u", kT0));
    EXPECT_FALSE(f.guard.unblock(kB, kT0));
    EXPECT_TRUE(f.guard.unblock(kA, kT0 + 1));
    EXPECT_FALSE(f.location.is_blocked(kA, kT0 + 1));
    EXPECT_TRUE(f.guard.blocked().empty());
}

TEST(AuthGuard, BlockedViewHasEveryField) {
    Fixture f(settings(2, 60, 900));
    f.guard.on_auth_failure(kB, "acme-9", kT0 + 5);
    f.guard.on_auth_failure(kB, "acme-9", kT0 + 6);
    f.guard.on_auth_failure(kA, "x", kT0 + 1);  // earlier failure, later block
    f.guard.on_auth_failure(kA, "y", kT0 + 7);
    const auto v = f.guard.blocked();
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[0].ip, kB);
    EXPECT_EQ(v[0].reason, BlockReason::source_failures);
    EXPECT_EQ(v[0].username, "acme-9");
    EXPECT_EQ(v[0].failures, 2u);
    EXPECT_EQ(v[0].since_s, kT0 + 6);
    EXPECT_EQ(v[0].until_s, kT0 + 906);
    EXPECT_EQ(v[1].ip, kA);
    EXPECT_EQ(v[1].username, "y");
    EXPECT_EQ(v[1].since_s, kT0 + 7);
    EXPECT_EQ(block_reason_name(v[0].reason), "source");
    EXPECT_EQ(block_reason_name(BlockReason::username_failures), "username");
}

TEST(AuthGuard, ForbidsAfterRepeatedFailures) {
    AuthGuardSettings s = settings(10, 60, 600);
    s.forbid_after = 3;
    Fixture f(s);
    f.guard.on_auth_failure(kA, "acme-1", kT0);
    f.guard.on_auth_failure(kA, "acme-1", kT0 + 1);
    EXPECT_FALSE(f.guard.should_forbid(kA, "acme-1", kT0 + 1));
    f.guard.on_auth_failure(kA, "acme-1", kT0 + 2);
    EXPECT_TRUE(f.guard.should_forbid(kA, "acme-1", kT0 + 2));
    // Another source trying the same username: forbidden by the username's count.
    EXPECT_TRUE(f.guard.should_forbid(kB, "acme-1", kT0 + 2));
    // Another username from a clean source: a normal challenge.
    EXPECT_FALSE(f.guard.should_forbid(kB, "acme-2", kT0 + 2));
    // The window passes: challenges again.
    EXPECT_FALSE(f.guard.should_forbid(kA, "acme-1", kT0 + 62));
    EXPECT_EQ(f.guard.counters().forbidden, 2u);
    EXPECT_FALSE(f.location.is_blocked(kA, kT0 + 2));  // forbidding is not blocking
}

TEST(AuthGuard, ForbidAfterIsCappedByTheThreshold) {
    AuthGuardSettings s = settings(2, 60, 600);
    s.forbid_after = 5;
    Fixture f(s);
    EXPECT_EQ(f.guard.settings().forbid_after, 2u);
}

TEST(AuthGuard, FailuresWhileBlockedDoNotExtendTheBlock) {
    Fixture f(settings(2, 60, 300));
    f.guard.on_auth_failure(kA, "u", kT0);
    f.guard.on_auth_failure(kA, "u", kT0 + 1);
    EXPECT_FALSE(f.guard.on_auth_failure(kA, "u", kT0 + 100));
    EXPECT_EQ(f.guard.counters().failures_while_blocked, 1u);
    EXPECT_EQ(f.guard.blocked().at(0).until_s, kT0 + 301);
}

TEST(AuthGuard, TrackedKeysAreBoundedAndPruned) {
    AuthGuardSettings s = settings(5, 60, 600);
    s.max_tracked = 2;
    Fixture f(s);
    f.guard.on_auth_failure(kA, "u1", kT0);
    f.guard.on_auth_failure(kB, "u2", kT0);
    f.guard.on_auth_failure(kC, "u3", kT0);  // neither source nor username tracked
    EXPECT_EQ(f.guard.counters().untracked, 2u);
    EXPECT_EQ(f.guard.source_failures(kC, kT0), 0u);
    // After a window, tick() prunes: room again.
    f.guard.tick(kT0 + 60);
    f.guard.on_auth_failure(kC, "u3", kT0 + 61);
    EXPECT_EQ(f.guard.source_failures(kC, kT0 + 61), 1u);
    EXPECT_EQ(f.guard.counters().untracked, 2u);
}

TEST(AuthGuard, FullBlockedListIsCountedAndStillForbids) {
    dp::LocationLimits l = small_limits();
    l.blocked = 4;
    dp::LocationTable location(l);
    AuthGuard guard(location, settings(1, 60, 600));
    guard.set_log([](std::string_view) {});
    // The table has at least 16 slots and refuses beyond 3/4: 20 blocks overflow it.
    for (std::uint32_t i = 0; i < 20; ++i) guard.on_auth_failure(kA + i, "u", kT0);
    EXPECT_EQ(guard.counters().blocks, 20u);
    EXPECT_GT(guard.counters().block_refused, 0u);
    EXPECT_EQ(guard.counters().block_refused, location.stats().blocked_full);
    for (std::uint32_t i = 0; i < 20; ++i) EXPECT_TRUE(guard.should_forbid(kA + i, "v", kT0 + 1));
}

// ---- [security] configuration keys

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string example_path() {
    const char* root = std::getenv("PALISADE_SOURCE_ROOT");
    return std::string(root != nullptr ? root : ".") + "/conf/palisade.example.toml";
}

TEST(AuthGuardConfig, SecurityKeysLoad) {
    const std::string path = example_path();
    std::string text = read_file(path);
    ASSERT_FALSE(text.empty()) << path;
    auto replace = [&](const std::string& a, const std::string& b) {
        const auto at = text.find(a);
        ASSERT_NE(at, std::string::npos) << a;
        text.replace(at, a.size(), b);
    };
    replace("auth_fail_threshold = 10", "auth_fail_threshold = 7");
    replace("auth_fail_window = \"60s\"", "auth_fail_window = \"2m\"");
    replace("block_duration = \"10m\"", "block_duration = \"1h\"");
    dp::ConfigSpec cfg;
    Settings st;
    std::vector<std::string> errors;
    ASSERT_TRUE(load_config_text(text, path, cfg, st, errors)) << (errors.empty() ? "" : errors[0]);
    EXPECT_EQ(st.auth_fail_threshold, 7u);
    EXPECT_EQ(st.auth_fail_window_s, 120u);
    EXPECT_EQ(st.block_duration_s, 3600u);
}

TEST(AuthGuardConfig, BadSecurityValuesAreRefused) {
    const std::string path = example_path();
    std::string text = read_file(path);
    const std::string a = "auth_fail_threshold = 10";
    text.replace(text.find(a), a.size(), "auth_fail_threshold = 0");
    const std::string b = "block_duration = \"10m\"";
    text.replace(text.find(b), b.size(), "block_duration = 600");
    dp::ConfigSpec cfg;
    Settings st;
    std::vector<std::string> errors;
    EXPECT_FALSE(load_config_text(text, path, cfg, st, errors));
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_NE(errors[0].find("auth_fail_threshold"), std::string::npos) << errors[0];
    EXPECT_NE(errors[1].find("block_duration"), std::string::npos) << errors[1];
}

TEST(AuthGuardConfig, DefaultsMatchTheSchema) {
    Settings st;
    EXPECT_EQ(st.auth_fail_threshold, 10u);
    EXPECT_EQ(st.auth_fail_window_s, 60u);
    EXPECT_EQ(st.block_duration_s, 600u);
}

}  // namespace
}  // namespace palisade::cp
