// Persistence: bindings and counted calls written, reloaded and compared; expired rows skipped;
// the limits windows restored equal to a table that counted the same calls live; and a child
// process SIGKILLed while it writes loses nothing older than one second.
#include "controlplane/persist/persist.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace palisade::cp {
namespace {

namespace fs = std::filesystem;

struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/palisade-persist-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path); }
};

PersistOptions options(const TempDir& d) {
    PersistOptions o;
    o.path = (d.path / "state.db").string();
    return o;
}

std::string user(std::uint64_t i) { return "acct" + std::to_string(i); }
std::string uri(std::uint64_t i) { return "sip:" + std::to_string(i) + "@10.1.2.3:5060;transport=udp"; }

PersistedBinding make_binding(std::uint64_t i, std::uint64_t expires_at) {
    PersistedBinding b;
    b.username = user(i);
    b.uri = uri(i);
    b.call_id = "reg-" + std::to_string(i) + "@pbx";
    b.cseq = static_cast<std::uint32_t>(i % 1000 + 1);
    b.expires_at = expires_at;
    b.ip = 0x0a000000u + static_cast<std::uint32_t>(i);
    b.port = static_cast<std::uint16_t>(5060 + i % 100);
    b.iface = static_cast<std::uint16_t>(i % 2);
    b.q_milli = static_cast<std::uint16_t>(i % 3 == 0 ? 500 : 1000);
    return b;
}

using Loaded = std::map<std::pair<std::string, std::string>, PersistedBinding>;
struct CountRow {
    std::string trunk;
    CountUnit unit;
    std::uint32_t bucket;
    std::uint32_t count;
};

bool load_all(const PersistOptions& o, std::uint64_t now_s, Loaded& out, std::vector<CountRow>& counts,
              LoadStats* stats = nullptr) {
    Persist p(o);
    std::string err;
    if (!p.open(err)) {
        ADD_FAILURE() << err;
        return false;
    }
    const bool ok = p.load(
        now_s,
        [&](const BindingView& b) {
            PersistedBinding pb{std::string(b.username), std::string(b.uri), std::string(b.call_id), b.cseq,
                                b.expires_at, b.ip, b.port, b.iface, b.q_milli};
            out[{pb.username, pb.uri}] = pb;
        },
        [&](std::string_view t, CountUnit u, std::uint32_t bucket, std::uint32_t n) {
            counts.push_back({std::string(t), u, bucket, n});
        },
        stats, err);
    EXPECT_TRUE(ok) << err;
    return ok;
}

void expect_same(const PersistedBinding& a, const PersistedBinding& b) {
    EXPECT_EQ(a.username, b.username);
    EXPECT_EQ(a.uri, b.uri);
    EXPECT_EQ(a.call_id, b.call_id);
    EXPECT_EQ(a.cseq, b.cseq);
    EXPECT_EQ(a.expires_at, b.expires_at);
    EXPECT_EQ(a.ip, b.ip);
    EXPECT_EQ(a.port, b.port);
    EXPECT_EQ(a.iface, b.iface);
    EXPECT_EQ(a.q_milli, b.q_milli);
}

TEST(Persist, WriteCloseReloadCompare) {
    TempDir d;
    const std::uint64_t now = 1'800'000'000;
    {
        Persist p(options(d));
        std::string err;
        ASSERT_TRUE(p.open(err)) << err;
        p.start();
        for (std::uint64_t i = 0; i < 100; ++i) p.record_binding(make_binding(i, now + 3600));
        p.remove_binding(user(7), uri(7));
        PersistedBinding refreshed = make_binding(8, now + 7200);
        refreshed.cseq = 999;
        p.record_binding(refreshed);
        ASSERT_TRUE(p.commit_now());
        p.remove_binding(user(9), uri(9));  // committed by stop()
        p.record_binding(make_binding(7, now + 60));  // registered again after its removal
        p.stop();
        EXPECT_GE(p.stats().commits, 2u);
        EXPECT_EQ(p.stats().pending, 0u);
    }
    Loaded got;
    std::vector<CountRow> counts;
    ASSERT_TRUE(load_all(options(d), now, got, counts));
    EXPECT_EQ(got.size(), 99u);
    EXPECT_EQ(got.count({user(9), uri(9)}), 0u);
    for (std::uint64_t i = 0; i < 100; ++i) {
        if (i == 9) continue;
        PersistedBinding want = make_binding(i, now + 3600);
        if (i == 8) {
            want.cseq = 999;
            want.expires_at = now + 7200;
        }
        if (i == 7) want.expires_at = now + 60;
        auto it = got.find({user(i), uri(i)});
        ASSERT_NE(it, got.end()) << i;
        expect_same(it->second, want);
    }
    EXPECT_TRUE(counts.empty());
}

TEST(Persist, ExpiredBindingsAreSkippedAndPruned) {
    TempDir d;
    const std::uint64_t now = 1'800'000'000;
    {
        Persist p(options(d));
        std::string err;
        ASSERT_TRUE(p.open(err));
        p.record_binding(make_binding(1, now - 1));
        p.record_binding(make_binding(2, now));      // expires exactly now: gone
        p.record_binding(make_binding(3, now + 1));
        ASSERT_TRUE(p.commit_now());
    }
    Loaded got;
    std::vector<CountRow> counts;
    LoadStats st;
    ASSERT_TRUE(load_all(options(d), now, got, counts, &st));
    EXPECT_EQ(got.size(), 1u);
    EXPECT_EQ(got.count({user(3), uri(3)}), 1u);
    EXPECT_EQ(st.expired, 2u);
    // Pruned: a load "in the past" no longer sees them.
    got.clear();
    ASSERT_TRUE(load_all(options(d), now - 100, got, counts, &st));
    EXPECT_EQ(got.size(), 1u);
    EXPECT_EQ(st.expired, 0u);
}

TEST(Persist, GarbageFileIsAnErrorNotACrash) {
    TempDir d;
    {
        std::ofstream f(d.path / "state.db");
        f << std::string(10000, 'x');
    }
    Persist p(options(d));
    std::string err;
    bool ok = p.open(err);
    if (ok) ok = p.load(0, {}, {}, nullptr, err);
    EXPECT_FALSE(ok);
    EXPECT_FALSE(err.empty());
}

// Counts accumulate across commits and across restarts: a second run adds to what the first
// left (its rows are read back at open), never overwrites them; buckets out of every window go.
TEST(Persist, CountsAccumulateAcrossCommitsAndRestarts) {
    TempDir d;
    const auto now = static_cast<std::uint64_t>(std::time(nullptr));
    {
        Persist p(options(d));
        std::string err;
        ASSERT_TRUE(p.open(err));
        p.record_call_counted("t1", now);
        p.record_call_counted("t1", now);
        ASSERT_TRUE(p.commit_now());
        p.record_call_counted("t1", now);
        p.record_call_counted("t2", now - 2 * 3600);
        p.record_call_counted("t3", now - 8 * 86400);  // already outside the week
        ASSERT_TRUE(p.commit_now());
    }
    {
        Persist p(options(d));
        std::string err;
        ASSERT_TRUE(p.open(err));
        p.record_call_counted("t1", now);
        p.stop();
    }
    Loaded got;
    std::vector<CountRow> counts;
    ASSERT_TRUE(load_all(options(d), now, got, counts));
    std::map<std::pair<std::string, int>, std::uint32_t> sum;
    for (const auto& r : counts) sum[{r.trunk, static_cast<int>(r.unit)}] += r.count;
    EXPECT_EQ((sum[{"t1", 0}]), 4u);
    EXPECT_EQ((sum[{"t1", 1}]), 4u);
    EXPECT_EQ((sum[{"t2", 0}]), 0u);  // two hours ago: out of the hour window
    EXPECT_EQ((sum[{"t2", 1}]), 1u);
    EXPECT_EQ((sum[{"t3", 1}]), 0u);
}

// The counted calls, reloaded into a fresh LimitsTable, give the same hour/day/week counts as a
// table that admitted the same calls as they happened, and refuse the next call the same way.
TEST(Persist, CountersRestoreTheLimitsWindows) {
    TempDir d;
    const std::uint64_t now = 1'800'000'000 + 1234;
    dp::LimitsSpec big;
    big.max_concurrent = 1'000'000;
    big.attempts_per_second = 1'000'000;
    big.calls_per_hour = 1'000'000;
    big.calls_per_day = 1'000'000;
    big.calls_per_week = 1'000'000;
    dp::LimitsTable live(8);
    const std::uint32_t live_a = live.bind("trunk-a");
    const std::uint32_t live_b = live.bind("trunk-b");
    // Call times, oldest first (admit() sees time move forward).
    std::vector<std::pair<std::string, std::uint64_t>> calls;
    for (std::uint64_t ago : {8ull * 86400, 6ull * 86400, 2ull * 86400, 30ull * 3600, 23ull * 3600 + 59 * 60, 5ull * 3600,
                              3600ull + 1, 3599ull, 59ull * 60, 30ull * 60, 1800ull, 600ull, 59ull, 1ull, 0ull}) {
        calls.emplace_back("trunk-a", now - ago);
        if (ago % 2 == 0) calls.emplace_back("trunk-b", now - ago);
    }
    {
        Persist p(options(d));
        std::string err;
        ASSERT_TRUE(p.open(err));
        for (const auto& [t, at] : calls) {
            p.record_call_counted(t, at);
            dp::AdmissionToken tok;
            ASSERT_EQ(live.admit(t == "trunk-a" ? live_a : live_b, big, at, tok), dp::AdmitResult::admitted);
            live.release(tok);
        }
        p.stop();
    }
    Loaded got;
    std::vector<CountRow> counts;
    ASSERT_TRUE(load_all(options(d), now, got, counts));
    dp::LimitsTable restored(8);
    for (const auto& r : counts) restore_count_into(restored, r.trunk, r.unit, r.bucket, r.count, now);
    for (const char* t : {"trunk-a", "trunk-b"}) {
        const std::uint32_t ls = live.find(t);
        const std::uint32_t rs = restored.find(t);
        ASSERT_NE(rs, dp::kNoLimitSlot) << t;
        for (auto w : {dp::CallWindow::hour, dp::CallWindow::day, dp::CallWindow::week}) {
            for (std::uint64_t later : {0ull, 60ull, 3600ull, 86400ull}) {
                EXPECT_EQ(restored.window_count(rs, w, now + later), live.window_count(ls, w, now + later))
                    << t << " window " << static_cast<int>(w) << " +" << later;
            }
        }
    }
    const std::uint32_t rs = restored.find("trunk-a");
    EXPECT_GT(restored.window_count(rs, dp::CallWindow::hour, now), 0u);
    // The restored budget refuses like the live one: the hour limit set at the hour's count.
    dp::LimitsSpec tight = big;
    tight.calls_per_hour = restored.window_count(rs, dp::CallWindow::hour, now);
    dp::AdmissionToken tok;
    EXPECT_EQ(restored.admit(rs, tight, now, tok), dp::AdmitResult::hour);
    tight.calls_per_hour += 1;
    EXPECT_EQ(restored.admit(rs, tight, now, tok), dp::AdmitResult::admitted);
    restored.release(tok);
}

// The library-level form of the restart test: a child records bindings (some removed
// again) and counted calls at a steady pace with its writer thread running, and is SIGKILLed;
// the parent reloads and checks that every change made more than one second before the kill is
// there.
TEST(Persist, SigkillLosesNothingOlderThanOneSecond) {
    TempDir d;
    const PersistOptions o = options(d);
    constexpr std::size_t kMax = 1u << 20;
    constexpr double kRate = 40000.0;  // changes per second (a shared 2-core machine)
    struct Shared {
        std::atomic<std::uint64_t> done{0};
        std::atomic<std::uint64_t> at_ns[kMax];
    };
    void* mem = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(mem, MAP_FAILED);
    auto* shared = new (mem) Shared;
    const auto mono_ns = [] {
        return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                              std::chrono::steady_clock::now().time_since_epoch())
                                              .count());
    };
    const std::uint64_t wall = static_cast<std::uint64_t>(std::time(nullptr));
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        Persist p(o);
        std::string err;
        if (!p.open(err)) _exit(2);
        p.start();
        const std::uint64_t t0 = mono_ns();
        for (std::uint64_t i = 0; i < kMax; ++i) {
            p.record_binding(make_binding(i, wall + 86400));
            if (i % 4 == 3) p.remove_binding(user(i - 2), uri(i - 2));
            p.record_call_counted("trunk-" + std::to_string(i % 50), wall);
            shared->at_ns[i].store(mono_ns(), std::memory_order_relaxed);
            shared->done.store(i + 1, std::memory_order_release);
            if (i % 256 == 255) {
                const auto due = t0 + static_cast<std::uint64_t>(static_cast<double>(i) / kRate * 1e9);
                const std::uint64_t n = mono_ns();
                if (due > n) std::this_thread::sleep_for(std::chrono::nanoseconds(due - n));
            }
        }
        for (;;) pause();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    const std::uint64_t kill_ns = mono_ns();
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child exited by itself: " << status;
    const std::uint64_t n = shared->done.load(std::memory_order_acquire);
    ASSERT_GT(n, 20000u) << "the child wrote too little to test anything";

    Loaded got;
    std::vector<CountRow> counts;
    ASSERT_TRUE(load_all(o, wall, got, counts));
    const std::uint64_t old_before = kill_ns - 1'000'000'000ull;
    std::uint64_t checked = 0, old_calls = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
        const std::uint64_t at = shared->at_ns[i].load(std::memory_order_relaxed);
        if (at < old_before) ++old_calls;
        const bool removed_at_known = i % 4 == 1 && i + 2 < n;
        if (removed_at_known && shared->at_ns[i + 2].load(std::memory_order_relaxed) < old_before) {
            EXPECT_EQ(got.count({user(i), uri(i)}), 0u) << "binding " << i << " removed over 1 s before the kill is back";
            ++checked;
            continue;
        }
        if (removed_at_known) continue;  // removed within the last second: either state is fine
        if (at >= old_before) continue;  // written within the last second: may be lost
        auto it = got.find({user(i), uri(i)});
        ASSERT_NE(it, got.end()) << "binding " << i << " of " << n << " written "
                                 << (kill_ns - at) / 1'000'000 << " ms before the kill is lost";
        expect_same(it->second, make_binding(i, wall + 86400));
        ++checked;
    }
    EXPECT_GT(checked, 10000u);
    std::uint64_t minute_sum = 0, hour_sum = 0;
    for (const auto& r : counts) (r.unit == CountUnit::minute ? minute_sum : hour_sum) += r.count;
    EXPECT_GE(minute_sum, old_calls);
    EXPECT_GE(hour_sum, old_calls);
    EXPECT_LE(minute_sum, n);
    EXPECT_LE(hour_sum, n);
    munmap(mem, sizeof(Shared));
}

}  // namespace
}  // namespace palisade::cp
