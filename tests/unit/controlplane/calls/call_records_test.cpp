// Call records from injected call events: live calls, per-trunk counts, one JSON line per ended
// or refused call, flushing, and rotation (rename + reopen) under a stream of events.
#include "controlplane/calls/call_records.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace palisade::cp {
namespace {

namespace fs = std::filesystem;
using dp::CallEvent;
using dp::CallEventType;

constexpr std::uint64_t kT0 = 1'764'145'800'000'000ull;  // 2025-11-26T08:30:00.000Z in µs

struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/palisade-records-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path); }
};

std::vector<std::string> lines_of(const fs::path& p) {
    std::vector<std::string> out;
    std::ifstream in(p);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

CallEvent event(CallEventType type, std::string_view call_id, std::uint64_t t_us,
                std::string_view trunk = "acme") {
    CallEvent ev;
    ev.type = type;
    ev.set_call_id(call_id);
    ev.set_trunk_id(trunk);
    ev.trunk_key = 3;
    ev.account = dp::CallAccount::primary;
    ev.direction = dp::CallDirection::outbound;
    ev.set_caller("+31201234567");
    ev.set_callee("+442079460000");
    ev.start_us = kT0;
    ev.time_us = t_us;
    return ev;
}

CallRecordsOptions options(const TempDir& d) {
    CallRecordsOptions o;
    o.path = (d.path / "calls.jsonl").string();
    return o;
}

TEST(CallRecords, FormatsTimesAsRfc3339UtcWithMilliseconds) {
    EXPECT_EQ(CallRecords::format_time(kT0), "2025-11-26T08:30:00.000Z");
    EXPECT_EQ(CallRecords::format_time(kT0 + 4'567'999), "2025-11-26T08:30:04.567Z");
    EXPECT_EQ(CallRecords::format_time(0), "1970-01-01T00:00:00.000Z");
}

TEST(CallRecords, AnsweredCallIsLiveThenOneRecord) {
    TempDir d;
    CallRecords rec(options(d));
    std::string err;
    ASSERT_TRUE(rec.open(err)) << err;

    CallEvent ev = event(CallEventType::started, "call-1@pbx", kT0);
    ev.flags |= dp::kCallFlagCounted;
    rec.on_event(ev);
    ASSERT_EQ(rec.live_count(), 1u);
    EXPECT_EQ(rec.trunk_counts("acme", kT0 / 1'000'000).live, 1u);
    const LiveCall* live = rec.find(dp::call_id_hash("call-1@pbx"));
    ASSERT_NE(live, nullptr);
    EXPECT_EQ(live->callee, "+442079460000");
    EXPECT_EQ(live->answer_us, 0u);

    rec.on_event(event(CallEventType::answered, "call-1@pbx", kT0 + 4'000'000));
    EXPECT_EQ(rec.find(dp::call_id_hash("call-1@pbx"))->answer_us, kT0 + 4'000'000);

    CallEvent end = event(CallEventType::ended, "call-1@pbx", 0);
    dp::make_ended(end, dp::CallEndReason::caller_bye, 200, kT0 + 60'500'000);
    rec.on_event(end);
    EXPECT_EQ(rec.live_count(), 0u);
    EXPECT_EQ(rec.trunk_counts("acme", kT0 / 1'000'000).live, 0u);
    ASSERT_TRUE(rec.flush());

    const auto lines = lines_of(d.path / "calls.jsonl");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0],
              "{\"call_id\":\"call-1@pbx\",\"trunk\":\"acme\",\"account\":\"primary\","
              "\"direction\":\"outbound\",\"caller\":\"+31201234567\",\"callee\":\"+442079460000\","
              "\"start\":\"2025-11-26T08:30:00.000Z\",\"answer\":\"2025-11-26T08:30:04.000Z\","
              "\"end\":\"2025-11-26T08:31:00.500Z\",\"duration_s\":56.5,\"code\":200,"
              "\"result\":\"answered\",\"ended_by\":\"caller\",\"reason\":\"caller_bye\",\"failovers\":0}");
    EXPECT_EQ(rec.counters().records, 1u);
}

TEST(CallRecords, UnansweredFailoverAndPalisadeEnd) {
    TempDir d;
    CallRecords rec(options(d));
    std::string err;
    ASSERT_TRUE(rec.open(err));
    CallEvent s = event(CallEventType::started, "in-7", kT0);
    s.direction = dp::CallDirection::inbound;
    rec.on_event(s);
    CallEvent f = event(CallEventType::failover, "in-7", kT0 + 32'000'000);
    f.reason = static_cast<std::uint8_t>(dp::CallFailoverReason::target_timeout);
    rec.on_event(f);
    EXPECT_EQ(rec.find(dp::call_id_hash("in-7"))->failovers, 1u);
    CallEvent e = event(CallEventType::ended, "in-7", 0);
    dp::make_ended(e, dp::CallEndReason::no_answer, 480, kT0 + 64'000'000);
    rec.on_event(e);
    rec.flush();
    const auto lines = lines_of(d.path / "calls.jsonl");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find("\"direction\":\"inbound\""), std::string::npos);
    EXPECT_NE(lines[0].find("\"answer\":null"), std::string::npos);
    EXPECT_NE(lines[0].find("\"duration_s\":0,"), std::string::npos);
    EXPECT_NE(lines[0].find("\"result\":\"unanswered\",\"ended_by\":\"palisade\",\"reason\":\"no_answer\",\"failovers\":1"),
              std::string::npos);
    EXPECT_NE(lines[0].find("\"code\":480"), std::string::npos);
    EXPECT_EQ(rec.trunk_counts("acme", kT0 / 1'000'000).failovers, 1u);
}

TEST(CallRecords, RefusedAttemptsGetARecordUnlessTurnedOff) {
    TempDir d;
    {
        CallRecords rec(options(d));
        std::string err;
        ASSERT_TRUE(rec.open(err));
        CallEvent r = event(CallEventType::refused, "bad-1", kT0 + 1000);
        r.reason = static_cast<std::uint8_t>(dp::CallRefuseReason::destination_denied);
        r.code = 403;
        rec.on_event(r);
        EXPECT_EQ(rec.live_count(), 0u);
        EXPECT_EQ(rec.trunk_counts("acme", kT0 / 1'000'000).refused, 1u);
    }  // the destructor flushes
    auto lines = lines_of(d.path / "calls.jsonl");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find("\"code\":403,\"result\":\"refused\",\"ended_by\":\"palisade\",\"reason\":\"destination_denied\""),
              std::string::npos);
    EXPECT_NE(lines[0].find("\"end\":\"2025-11-26T08:30:00.001Z\""), std::string::npos);

    CallRecordsOptions o = options(d);
    o.record_refused = false;
    CallRecords quiet(o);
    std::string err;
    ASSERT_TRUE(quiet.open(err));
    CallEvent r = event(CallEventType::refused, "bad-2", kT0);
    r.reason = static_cast<std::uint8_t>(dp::CallRefuseReason::sdp_not_acceptable);
    quiet.on_event(r);
    quiet.close();
    EXPECT_EQ(lines_of(d.path / "calls.jsonl").size(), 1u);
    EXPECT_EQ(quiet.trunk_counts("acme", 0).refused, 1u);
}

TEST(CallRecords, EndedWithoutStartStillRecorded) {
    TempDir d;
    CallRecords rec(options(d));
    std::string err;
    ASSERT_TRUE(rec.open(err));
    CallEvent e = event(CallEventType::ended, "lost-start", 0);
    e.answer_us = kT0 + 1'000'000;
    dp::make_ended(e, dp::CallEndReason::max_duration, 200, kT0 + 14'401'000'000ull);
    rec.on_event(e);
    rec.flush();
    const auto lines = lines_of(d.path / "calls.jsonl");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find("\"duration_s\":14400,"), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("\"reason\":\"max_duration\""), std::string::npos);
    EXPECT_EQ(rec.counters().orphan_events, 1u);
    EXPECT_EQ(rec.live_count(), 0u);
}

TEST(CallRecords, WindowsCountOnlyCountedStarts) {
    TempDir d;
    CallRecords rec(options(d));
    const std::uint64_t t0 = 1'700'000'000;  // seconds
    auto start = [&](std::string id, std::uint64_t s, bool counted) {
        CallEvent ev = event(CallEventType::started, id, s * 1'000'000);
        ev.start_us = s * 1'000'000;
        if (counted) ev.flags |= dp::kCallFlagCounted;
        rec.on_event(ev);
    };
    start("a", t0, true);
    start("b", t0 + 10, true);
    start("c", t0 + 20, false);  // inbound or emergency: not counted
    start("d", t0 + 3 * 3600, true);
    auto c = rec.trunk_counts("acme", t0 + 3 * 3600 + 60);
    EXPECT_EQ(c.hour, 1u);  // a and b left the hour
    EXPECT_EQ(c.day, 3u);
    start("e", t0 + 30 * 3600, true);
    c = rec.trunk_counts("acme", t0 + 30 * 3600);
    EXPECT_EQ(c.live, 5u);
    EXPECT_EQ(c.hour, 1u);  // only e
    EXPECT_EQ(c.day, 1u);   // a, b, d left the day
    EXPECT_EQ(c.week, 4u);
    // A duplicate start is not counted twice.
    start("a", t0, true);
    EXPECT_EQ(rec.counters().duplicate_starts, 1u);
    EXPECT_EQ(rec.trunk_counts("acme", t0 + 30 * 3600).week, 4u);
    // Restored buckets (persistence) add to the windows.
    rec.restore_minute("acme", static_cast<std::uint32_t>((t0 + 30 * 3600) / 60) - 5, 7);
    rec.restore_hour("acme", static_cast<std::uint32_t>((t0 + 30 * 3600) / 3600) - 100, 9);
    c = rec.trunk_counts("acme", t0 + 30 * 3600);
    EXPECT_EQ(c.hour, 8u);
    EXPECT_EQ(c.day, 1u);
    EXPECT_EQ(c.week, 13u);
}

TEST(CallRecords, FlushesWithinOneSecond) {
    TempDir d;
    CallRecords rec(options(d));
    std::string err;
    ASSERT_TRUE(rec.open(err));
    const std::uint64_t now = 5'000'000'000ull;
    rec.tick(now);
    CallEvent r = event(CallEventType::refused, "r", kT0);
    r.reason = static_cast<std::uint8_t>(dp::CallRefuseReason::rate_limited);
    rec.on_event(r);
    rec.tick(now + 400'000);
    EXPECT_GT(rec.buffered(), 0u);
    EXPECT_TRUE(lines_of(d.path / "calls.jsonl").empty());
    rec.tick(now + 1'000'000);
    EXPECT_EQ(rec.buffered(), 0u);
    EXPECT_EQ(lines_of(d.path / "calls.jsonl").size(), 1u);
}

TEST(CallRecords, SweepClosesCallsWhoseEndWasLost) {
    TempDir d;
    CallRecords rec(options(d));
    std::string err;
    ASSERT_TRUE(rec.open(err));
    rec.on_event(event(CallEventType::started, "old", kT0));
    rec.on_event(event(CallEventType::started, "new", kT0 + 3'000'000'000ull));
    EXPECT_EQ(rec.sweep_stale(kT0 + 4'000'000'000ull, 2'000'000'000ull), 1u);
    EXPECT_EQ(rec.live_count(), 1u);
    EXPECT_NE(rec.find(dp::call_id_hash("new")), nullptr);
    rec.flush();
    const auto lines = lines_of(d.path / "calls.jsonl");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find("\"reason\":\"event_lost\""), std::string::npos);
}

TEST(CallRecords, BadRingMessagesAreCountedNotApplied) {
    TempDir d;
    CallRecords rec(options(d));
    auto msg = std::make_unique<dp::RingMessage>();
    msg->kind = dp::RingKind::call_ended;
    msg->length = 3;
    EXPECT_FALSE(rec.on_message(*msg));
    CallEvent ev = event(CallEventType::started, "ok", kT0);
    ASSERT_TRUE(dp::encode_call_event(ev, *msg));
    EXPECT_TRUE(rec.on_message(*msg));
    EXPECT_EQ(rec.counters().bad_messages, 1u);
    EXPECT_EQ(rec.live_count(), 1u);
}

// logrotate's pattern under load: one thread streams events and ticks (the control plane); the
// other renames the file and raises a HUP flag (as the signal handler would); the first calls
// reopen() when it sees the flag. Every record must be in exactly one of the files.
TEST(CallRecords, RenameAndReopenLoseNoRecordUnderAStream) {
    TempDir d;
    CallRecordsOptions o = options(d);
    o.flush_interval_us = 1000;  // flush often, so renames land between and during flushes
    CallRecords rec(o);
    std::string err;
    ASSERT_TRUE(rec.open(err));
    constexpr int kCalls = 60000;
    constexpr int kRotations = 20;
    std::atomic<bool> hup{false};
    std::atomic<bool> done{false};
    std::thread rotator([&] {
        for (int i = 0; i < kRotations && !done.load(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(3));
            while (hup.load()) std::this_thread::yield();  // previous HUP not handled yet
            std::string name = "calls.jsonl.";
            name += std::to_string(i);
            fs::rename(d.path / "calls.jsonl", d.path / name);
            hup.store(true);
        }
    });
    const auto t_start = std::chrono::steady_clock::now();
    for (int i = 0; i < kCalls; ++i) {
        std::string id = "c";
        id += std::to_string(i);
        rec.on_event(event(CallEventType::started, id, kT0));
        CallEvent e = event(CallEventType::ended, id, 0);
        dp::make_ended(e, dp::CallEndReason::callee_bye, 200, kT0 + 1'000'000);
        rec.on_event(e);
        if (i % 64 == 0) {
            const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::steady_clock::now() - t_start);
            rec.tick(static_cast<std::uint64_t>(us.count()) + 1'000'000);
        }
        if (hup.load()) {
            ASSERT_TRUE(rec.reopen());
            hup.store(false);
        }
    }
    done.store(true);
    rotator.join();
    if (hup.load()) {
        ASSERT_TRUE(rec.reopen());
    }
    rec.close();

    std::multiset<std::string> seen;
    std::size_t files = 0;
    for (const auto& entry : fs::directory_iterator(d.path)) {
        ++files;
        for (const auto& line : lines_of(entry.path())) {
            ASSERT_EQ(line.rfind("{\"call_id\":\"c", 0), 0u) << line;  // whole lines only
            ASSERT_EQ(line.back(), '}');
            seen.insert(line.substr(12, line.find('"', 12) - 12));
        }
    }
    EXPECT_GE(files, 2u);
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(kCalls));
    std::set<std::string> unique(seen.begin(), seen.end());
    EXPECT_EQ(unique.size(), static_cast<std::size_t>(kCalls));
    EXPECT_EQ(rec.counters().records, static_cast<std::uint64_t>(kCalls));
}

}  // namespace
}  // namespace palisade::cp
