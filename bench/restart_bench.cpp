// palisade-bench-restart: restart with 1,000,000 bindings and 100,000 trunks back to serving
// (issue 5 target: under 5 s), and the persistence write rate, against ceilings measured in the
// same run.
//
// State written once (outside the timing) into a SQLite database on disk
// ($PALISADE_BENCH_DIR, default /var/tmp): 100,000 trunks with two accounts each, five contacts
// per account = 1,000,000 bindings; every trunk with calls in each of the last 60 minutes and
// each of the last 168 hours (the worst case: every bucket of every window non-empty).
//
//  BM_ReadFileCeiling   ceiling: read() the database and WAL files into a buffer (page cache
//                       warm), nothing decoded
//  BM_LoadScan          Persist::open + load with empty callbacks: every row decoded by SQLite
//  BM_RestoreBindings   open + load, each binding staged by Registrar::stage_restore
//                       (BindingStore; expiry heap built once), then publish_staged(): one
//                       LocationTable record per account: the registrar's serving state
//  BM_RestoreCounters   open + load, each bucket into LimitsTable::restore_window (day and week
//                       from the hour buckets) and into CallRecords (the CLI's counts)
//  BM_BuildSnapshot     the policy snapshot of 100,000 trunks from a ConfigSpec (every restart
//                       builds it before restoring; not persistence's cost, shown for the total)
//  BM_Restart           the whole sequence the daemon runs before its first packet: snapshot,
//                       open, then one load pass feeding the registrar (bulk), the limits
//                       table and the call records, then one location record per account
//  BM_GroupCommit       one group commit of 20,000 binding refreshes (what 200 ms of 100,000
//                       REGISTERs a second produce) with synchronous=FULL: the sustained rate is
//                       items_per_second
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "controlplane/calls/call_records.hpp"
#include "controlplane/persist/persist.hpp"
#include "controlplane/registrar/registrar.hpp"
#include "dataplane/contract/limits.hpp"
#include "dataplane/policy/snapshot.hpp"
#include "parsers/sip/digest.hpp"

// GCC 12 warns falsely on "literal" + std::string at -O3 (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

namespace palisade::cp {
namespace {

constexpr std::uint32_t kTrunks = 100'000;
constexpr std::uint32_t kAccounts = 2 * kTrunks;
constexpr std::uint32_t kContacts = 5;
constexpr std::string_view kSecret = "bench-secret";

std::string user_name(std::uint32_t i) {
    std::string s("pbx");
    s.append(std::to_string(i));
    return s;
}
std::string trunk_name(std::uint32_t t) {
    std::string s("t");
    s.append(std::to_string(t));
    return s;
}
std::string contact_uri(std::uint32_t account, std::uint32_t c) {
    std::string s("sip:");
    s.append(user_name(account)).append("@192.0.2.10:").append(std::to_string(5060 + c)).append(";transport=udp");
    return s;
}

dp::ConfigSpec make_spec() {
    dp::ConfigSpec spec;
    spec.sip.realm = "palisade";
    spec.sip.nonce_secret = std::string(kSecret);
    spec.policies.push_back({"open", {}, dp::RuleAction::allow});
    spec.trunks.reserve(kTrunks);
    const std::string ha1(64, 'a');  // restore needs no real credentials
    for (std::uint32_t t = 0; t < kTrunks; ++t) {
        dp::TrunkSpec ts;
        ts.id = trunk_name(t);
        ts.policy = "open";
        ts.subnets = {{0x0a000000u + (t << 8), 24}};
        ts.primary.username = user_name(2 * t);
        ts.primary.ha1_sha256 = ha1;
        ts.secondary.username = user_name(2 * t + 1);
        ts.secondary.ha1_sha256 = ha1;
        spec.trunks.push_back(std::move(ts));
    }
    return spec;
}

struct State {
    std::filesystem::path dir;
    PersistOptions options;
    dp::ConfigSpec spec;
    std::uint64_t now_s = 0;
    double write_bindings_s = 0;
    double write_counts_s = 0;
    std::uint64_t file_bytes = 0;

    bool keep = false;

    State() {
        spec = make_spec();
        // PALISADE_BENCH_DB=<file>: keep the state between runs (written once, reused while
        // younger than ten minutes, so the windows checked below still hold every bucket).
        if (const char* db = std::getenv("PALISADE_BENCH_DB")) {
            keep = true;
            options.path = db;
            dir = std::filesystem::path(db).parent_path();
            std::FILE* f = std::fopen((options.path + ".now").c_str(), "r");
            unsigned long long t = 0;
            if (f != nullptr && std::fscanf(f, "%llu", &t) == 1 &&
                static_cast<std::uint64_t>(std::time(nullptr)) - t < 600) {
                std::fclose(f);
                now_s = t;
                std::fprintf(stderr, "state: reusing %s written at %llu\n", db, t);
                return;
            }
            if (f != nullptr) std::fclose(f);
            for (const char* suffix : {"", "-wal", "-shm"}) std::remove((options.path + suffix).c_str());
        } else {
            const char* env = std::getenv("PALISADE_BENCH_DIR");
            std::string tmpl = std::string(env != nullptr ? env : "/var/tmp") + "/palisade-restart-XXXXXX";
            dir = mkdtemp(tmpl.data());
            options.path = (dir / "state.db").string();
        }
        now_s = static_cast<std::uint64_t>(std::time(nullptr));
        Persist p(options);
        std::string err;
        if (!p.open(err)) {
            std::fprintf(stderr, "open: %s\n", err.c_str());
            std::abort();
        }
        auto t0 = std::chrono::steady_clock::now();
        PersistedBinding b;
        for (std::uint32_t a = 0; a < kAccounts; ++a) {
            for (std::uint32_t c = 0; c < kContacts; ++c) {
                b.username = user_name(a);
                b.uri = contact_uri(a, c);
                b.call_id = "5c1e9a7b-" + b.username + "@192.0.2.10";
                b.cseq = 1 + c;
                b.expires_at = now_s + 3600;
                b.ip = 0x0b000000u + a;
                b.port = static_cast<std::uint16_t>(5060 + c);
                p.record_binding(b);
            }
            if (a % 20000 == 19999) p.commit_now();
        }
        p.commit_now();
        auto t1 = std::chrono::steady_clock::now();
        write_bindings_s = std::chrono::duration<double>(t1 - t0).count();
        // Every bucket of every window: one call per minute of the last hour, one per hour of
        // the last week.
        for (std::uint32_t t = 0; t < kTrunks; ++t) {
            const std::string id = trunk_name(t);
            for (std::uint64_t h = 167; h >= 1; --h) p.record_call_counted(id, now_s - h * 3600);
            for (std::uint64_t m = 60; m-- > 0;) p.record_call_counted(id, now_s - m * 60);
            if (t % 10000 == 9999) p.commit_now();
        }
        p.stop();
        write_counts_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
        // Leave the WAL as a restart after a crash finds it (no final checkpoint forced).
        for (const char* suffix : {"", "-wal"}) {
            std::error_code ec;
            file_bytes += std::filesystem::file_size(options.path + suffix, ec);
        }
        if (keep) {
            if (std::FILE* f = std::fopen((options.path + ".now").c_str(), "w")) {
                std::fprintf(f, "%llu\n", static_cast<unsigned long long>(now_s));
                std::fclose(f);
            }
        }
        std::fprintf(stderr, "state: %u bindings written in %.2f s, counters of %u trunks in %.2f s, files %.1f MB\n",
                     kAccounts * kContacts, write_bindings_s, kTrunks, write_counts_s,
                     static_cast<double>(file_bytes) / 1e6);
    }
    ~State() {
        std::error_code ec;
        if (!keep) std::filesystem::remove_all(dir, ec);
    }
};

// Process CPU time: the machine may be shared, so wall time alone overstates the cost.
double cpu_now() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

State& state_once() {
    static State s;
    return s;
}

struct Registry {
    dp::LocationTable location{dp::LocationLimits{kAccounts, kAccounts * (kContacts + 1) * 2, 1024, kTrunks + 16, 8}};
    sip::NonceCountTable counts{1u << 16};
    Registrar reg{location, counts, kSecret};
};

std::uint64_t restore_bindings(Persist& p, Registrar& reg, dp::LocationTable& location, const dp::PolicySnapshot& snap,
                               std::uint64_t now_s) {
    std::uint64_t ok = 0;
    std::string err;
    BindingData d;
    p.load(
        now_s,
        [&](const BindingView& b) {
            d.uri.assign(b.uri);
            d.call_id.assign(b.call_id);
            d.cseq = b.cseq;
            d.expires_at = b.expires_at;
            d.ip = b.ip;
            d.port = b.port;
            d.iface = b.iface;
            ok += reg.stage_restore(snap, b.username, std::move(d)) ? 1 : 0;
            d = BindingData();
        },
        {}, nullptr, err);
    // One location record per account (200,000), not one per binding (1,000,000).
    reg.publish_staged();
    location.reclaim();
    return ok;
}

std::uint64_t restore_counts(Persist& p, dp::LimitsTable& limits, CallRecords& records, std::uint64_t now_s) {
    std::uint64_t calls = 0;
    std::string err;
    LimitsRestorer restore(limits, now_s);
    p.load(now_s, {},
           [&](std::string_view trunk, CountUnit unit, std::uint32_t bucket, std::uint32_t count) {
               calls += restore(trunk, unit, bucket, count);
               if (unit == CountUnit::minute) {
                   records.restore_minute(trunk, bucket, count);
               } else {
                   records.restore_hour(trunk, bucket, count);
               }
           },
           nullptr, err);
    return calls;
}

// The daemon's restore (ControlPlane::restore_state): ONE load() pass with both callbacks:
// bindings staged into the registrar, buckets into the limits table and the call records; then
// one location record per account.
std::uint64_t restore_all(Persist& p, Registrar& reg, dp::LocationTable& location, const dp::PolicySnapshot& snap,
                          dp::LimitsTable& limits, CallRecords& records, std::uint64_t now_s) {
    std::uint64_t ok = 0;
    std::string err;
    BindingData d;
    LimitsRestorer restore(limits, now_s);
    p.load(
        now_s,
        [&](const BindingView& b) {
            d.uri.assign(b.uri);
            d.call_id.assign(b.call_id);
            d.cseq = b.cseq;
            d.expires_at = b.expires_at;
            d.ip = b.ip;
            d.port = b.port;
            d.iface = b.iface;
            ok += reg.stage_restore(snap, b.username, std::move(d)) ? 1 : 0;
            d = BindingData();
        },
        [&](std::string_view trunk, CountUnit unit, std::uint32_t bucket, std::uint32_t count) {
            restore(trunk, unit, bucket, count);
            if (unit == CountUnit::minute) {
                records.restore_minute(trunk, bucket, count);
            } else {
                records.restore_hour(trunk, bucket, count);
            }
        },
        nullptr, err);
    reg.publish_staged();
    location.reclaim();
    return ok;
}

void BM_ReadFileCeiling(benchmark::State& st) {
    State& s = state_once();
    std::vector<char> buf(1 << 20);
    for (auto _ : st) {
        std::uint64_t total = 0;
        for (const char* suffix : {"", "-wal"}) {
            const int fd = ::open((s.options.path + suffix).c_str(), O_RDONLY);
            if (fd < 0) continue;
            ssize_t n;
            while ((n = ::read(fd, buf.data(), buf.size())) > 0) total += static_cast<std::uint64_t>(n);
            ::close(fd);
        }
        benchmark::DoNotOptimize(total);
        st.counters["MB"] = static_cast<double>(total) / 1e6;
    }
}

void BM_LoadScan(benchmark::State& st) {
    State& s = state_once();
    for (auto _ : st) {
        Persist p(s.options);
        std::string err;
        LoadStats ls;
        if (!p.open(err) || !p.load(s.now_s, {}, {}, &ls, err)) st.SkipWithError(err.c_str());
        st.counters["bindings"] = static_cast<double>(ls.bindings);
        st.counters["buckets"] = static_cast<double>(ls.count_rows);
    }
}

void BM_RestoreBindings(benchmark::State& st) {
    State& s = state_once();
    dp::LimitsTable limits(kTrunks + 16);
    dp::SnapshotBuild b = dp::build_policy_snapshot(s.spec, limits);
    if (!b.snapshot) {
        st.SkipWithError(b.error.c_str());
        return;
    }
    for (auto _ : st) {
        auto r = std::make_unique<Registry>();
        const auto t0 = std::chrono::steady_clock::now();
        const double c0 = cpu_now();
        Persist p(s.options);
        std::string err;
        p.open(err);
        const std::uint64_t ok = restore_bindings(p, r->reg, r->location, *b.snapshot, s.now_s);
        st.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        st.counters["cpu_ms"] = (cpu_now() - c0) * 1000.0;
        st.counters["restored"] = static_cast<double>(ok);
        if (ok != std::uint64_t{kAccounts} * kContacts) {
            st.SkipWithError("not every binding was restored");
            break;
        }
    }
}

void BM_RestoreCounters(benchmark::State& st) {
    State& s = state_once();
    for (auto _ : st) {
        auto limits = std::make_unique<dp::LimitsTable>(kTrunks + 16);
        CallRecordsOptions ro;
        ro.path = (s.dir / "calls.jsonl").string();
        auto records = std::make_unique<CallRecords>(ro);
        const auto t0 = std::chrono::steady_clock::now();
        const double c0 = cpu_now();
        Persist p(s.options);
        std::string err;
        p.open(err);
        const std::uint64_t calls = restore_counts(p, *limits, *records, s.now_s);
        st.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        st.counters["cpu_ms"] = (cpu_now() - c0) * 1000.0;
        st.counters["calls"] = static_cast<double>(calls);
        // Writing the state takes minutes on a loaded machine: the oldest minute buckets may have
        // left the hour before their commit (pruned, correctly), hence >= rather than ==.
        const std::uint32_t slot = limits->find("t77");
        if (slot == dp::kNoLimitSlot || limits->window_count(slot, dp::CallWindow::hour, s.now_s) < 50 ||
            limits->window_count(slot, dp::CallWindow::week, s.now_s) < 210 ||
            records->trunk_counts("t77", s.now_s).week != limits->window_count(slot, dp::CallWindow::week, s.now_s)) {
            st.SkipWithError("windows not restored");
            break;
        }
    }
}

void BM_BuildSnapshot(benchmark::State& st) {
    State& s = state_once();
    for (auto _ : st) {
        dp::LimitsTable limits(kTrunks + 16);
        dp::SnapshotBuild b = dp::build_policy_snapshot(s.spec, limits);
        if (!b.snapshot) st.SkipWithError(b.error.c_str());
    }
}

void BM_Restart(benchmark::State& st) {
    State& s = state_once();
    for (auto _ : st) {
        auto r = std::make_unique<Registry>();
        auto limits = std::make_unique<dp::LimitsTable>(kTrunks + 16);
        CallRecordsOptions ro;
        ro.path = (s.dir / "calls.jsonl").string();
        auto records = std::make_unique<CallRecords>(ro);
        const auto t0 = std::chrono::steady_clock::now();
        const double c0 = cpu_now();
        dp::SnapshotBuild b = dp::build_policy_snapshot(s.spec, *limits);
        Persist p(s.options);
        std::string err;
        p.open(err);
        const std::uint64_t ok = restore_all(p, r->reg, r->location, *b.snapshot, *limits, *records, s.now_s);
        p.start();  // serving: the writer is running
        st.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        st.counters["cpu_ms"] = (cpu_now() - c0) * 1000.0;
        if (ok != std::uint64_t{kAccounts} * kContacts) {
            st.SkipWithError("not every binding was restored");
            break;
        }
    }
}

void BM_GroupCommit(benchmark::State& st) {
    State& s = state_once();
    Persist p(s.options);
    std::string err;
    if (!p.open(err)) {
        st.SkipWithError(err.c_str());
        return;
    }
    constexpr std::uint32_t kBatch = 20000;
    std::uint32_t next = 0;
    std::uint32_t cseq = 100;
    PersistedBinding b;
    for (auto _ : st) {
        st.PauseTiming();
        for (std::uint32_t i = 0; i < kBatch; ++i) {
            const std::uint32_t a = (next + i * 7919u) % kAccounts;  // spread over the table
            b.username = user_name(a);
            b.uri = contact_uri(a, i % kContacts);
            b.call_id = "5c1e9a7b-" + b.username + "@192.0.2.10";
            b.cseq = cseq;
            b.expires_at = s.now_s + 3600;
            b.ip = 0x0b000000u + a;
            b.port = static_cast<std::uint16_t>(5060 + i % kContacts);
            p.record_binding(b);
            if (i % 4 == 0) p.record_call_counted(trunk_name(a / 2), s.now_s);
        }
        next += kBatch;
        ++cseq;
        st.ResumeTiming();
        if (!p.commit_now()) st.SkipWithError("commit failed");
    }
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()) * kBatch);
    st.counters["max_commit_ms"] = static_cast<double>(p.stats().max_commit_us) / 1000.0;
}

BENCHMARK(BM_ReadFileCeiling)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_LoadScan)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_RestoreBindings)->Unit(benchmark::kMillisecond)->Iterations(3)->UseManualTime();
BENCHMARK(BM_RestoreCounters)->Unit(benchmark::kMillisecond)->Iterations(3)->UseManualTime();
BENCHMARK(BM_BuildSnapshot)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_Restart)->Unit(benchmark::kMillisecond)->Iterations(3)->UseManualTime();
BENCHMARK(BM_GroupCommit)->Unit(benchmark::kMillisecond)->Iterations(20);

}  // namespace
}  // namespace palisade::cp

BENCHMARK_MAIN();
