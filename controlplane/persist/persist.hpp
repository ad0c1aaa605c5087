// Persistence (issue 5 point 7): registrations and the hour/day/week call counters survive a
// restart. Embedded, no server: one SQLite database in WAL mode under [control] state_dir.
//
// Why SQLite in WAL mode rather than a hand-made journal with snapshots: it gives crash-atomic
// group commits, compaction (rows are updated in place, so a binding refreshed every minute does
// not grow the file) and a readable state file for operators (`sqlite3 palisade.db`), for less
// code; bench/restart_bench.cpp measures that it meets the targets (bench/README.md § Restart):
// restore of 1,000,000 bindings and 100,000 trunks' counters well under 5 s, and a sustained
// write rate above the registrar's 100,000 REGISTERs a second.
//
// Threads and the packet path: the control-plane thread calls record_binding / remove_binding /
// record_call_counted; each takes a mutex shared only with the writer thread and merges the
// change into a pending batch (the latest state per binding, a count per bucket): no I/O. The
// writer thread (start()) commits the batch every commit_interval_ms (200 ms by default) in one
// transaction (group commit). Workers never call into this.
//
// Durability: a change is committed at most commit_interval_ms + one commit's duration after the
// call (measured in the bench: well under one second), so SIGKILL loses nothing older than one
// second (tests/unit/controlplane/persist/persist_test.cpp kills a writing child and checks).
// With fsync_each_commit (synchronous=FULL, the default) a commit is also on disk, so a power
// loss loses the same second; synchronous=NORMAL (fsync_each_commit = false) fsyncs only at WAL
// checkpoints: still safe against a crash of the process, not against power loss.
//
// Counters: each counted call adds 1 to its minute bucket (the hour window: 60 one-minute
// buckets) and to its hour bucket (the day and week windows share one-hour buckets), exactly
// dp::LimitsTable's geometry (limits.hpp). One row per trunk holds its non-empty buckets (a
// small blob: at most 60 + 168 pairs), so a restart reads 100,000 rows, not one per bucket (up
// to 22.8 million for 100,000 busy trunks); the writer keeps every trunk's buckets in memory
// (read whole at open()) and rewrites the rows of the trunks a commit touched. Buckets that left
// every window are pruned. load() hands them back so the daemon restores LimitsTable
// (restore_count_into) before the first packet.
//
// Bindings: keyed by (account username, Contact URI), the registrar's identity of a binding
// (controlplane/registrar/registrar.hpp: byte-identical URI). Expired rows are skipped by load()
// and pruned.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "dataplane/contract/limits.hpp"

struct sqlite3;

namespace palisade::cp {

/// One binding as persisted (mirrors the registrar's BindingData plus its account).
struct PersistedBinding {
    std::string username;          ///< account username (the AOR's user)
    std::string uri;               ///< Contact URI as registered
    std::string call_id;           ///< of the REGISTER that last updated it
    std::uint32_t cseq = 0;
    std::uint64_t expires_at = 0;  ///< Unix seconds
    std::uint32_t ip = 0;          ///< packet source, host order (RFC 3581)
    std::uint16_t port = 0;
    std::uint16_t iface = 0;
    std::uint16_t q_milli = 1000;  ///< q-value x 1000 (RFC 3261 §20.10); 1000 when absent
};

/// A binding handed to load()'s callback; the views are valid during the call only.
struct BindingView {
    std::string_view username;
    std::string_view uri;
    std::string_view call_id;
    std::uint32_t cseq = 0;
    std::uint64_t expires_at = 0;
    std::uint32_t ip = 0;
    std::uint16_t port = 0;
    std::uint16_t iface = 0;
    std::uint16_t q_milli = 1000;
};

/// Which buckets a counter row holds.
enum class CountUnit : std::uint8_t {
    minute = 0,  ///< minutes since the epoch: the hour window
    hour = 1,    ///< hours since the epoch: the day and week windows
};

/// Settings.
struct PersistOptions {
    std::string path;                       ///< database file, e.g. state_dir + "/palisade.db"
    std::uint32_t commit_interval_ms = 200; ///< group commit period
    bool fsync_each_commit = true;          ///< synchronous=FULL (else NORMAL)
    std::uint32_t prune_interval_s = 60;    ///< drop expired bindings and old buckets this often
};

/// What the writer did. Read with stats() from any thread.
struct PersistStats {
    std::uint64_t commits = 0;
    std::uint64_t commit_errors = 0;
    std::uint64_t bindings_written = 0;
    std::uint64_t bindings_removed = 0;
    std::uint64_t trunk_rows_written = 0;  ///< per-trunk window rows rewritten
    std::uint64_t rows_pruned = 0;
    std::uint64_t last_commit_us = 0;   ///< duration of the last commit
    std::uint64_t max_commit_us = 0;
    std::uint64_t pending = 0;          ///< changes waiting for the next commit
};

/// What load() found.
struct LoadStats {
    std::uint64_t bindings = 0;         ///< handed to the callback
    std::uint64_t expired = 0;          ///< skipped (and pruned)
    std::uint64_t count_rows = 0;       ///< buckets handed to the callback
};

/// The persistent state. Writer functions: the control-plane thread. open/load/start/stop: the
/// daemon's start-up and shutdown, on the control-plane thread.
class Persist {
public:
    explicit Persist(PersistOptions options);
    /// stop(), then closes the database.
    ~Persist();
    Persist(const Persist&) = delete;
    Persist& operator=(const Persist&) = delete;

    /// Opens (creates) the database, sets WAL mode, creates the tables. False with `error`.
    bool open(std::string& error);

    /// Reads the state back, before start() and before the first packet: every binding that has
    /// not expired at `now_s`, then every counter row still inside a window at `now_s`. Either
    /// callback may be empty. False with `error` on a database error.
    bool load(std::uint64_t now_s, const std::function<void(const BindingView&)>& on_binding,
              const std::function<void(std::string_view trunk_id, CountUnit unit, std::uint32_t bucket,
                                       std::uint32_t count)>& on_count,
              LoadStats* stats, std::string& error);

    /// Starts the writer thread (group commit every commit_interval_ms).
    void start();
    /// Commits what is pending and stops the writer thread (shutdown). Idempotent.
    void stop();
    /// Commits what is pending now, on the calling thread (tests, shutdown, the bench); false on
    /// a database error. Serialised with the writer thread.
    bool commit_now();

    // ---- the control-plane thread, on every change (no I/O: merged into the pending batch) ----

    /// A binding was added or refreshed (the registrar calls it on every change).
    void record_binding(const BindingView& b);
    /// Same, from the owned struct.
    void record_binding(const PersistedBinding& b);
    /// A binding was removed (unregistered, `*`, expired, or dropped by a reload).
    void remove_binding(std::string_view username, std::string_view uri);
    /// A call of trunk `trunk_id` was counted against the hour/day/week limits at `at_s` (Unix
    /// seconds): the daemon calls it for each started event flagged kCallFlagCounted.
    void record_call_counted(std::string_view trunk_id, std::uint64_t at_s);

    /// Counters (any thread).
    [[nodiscard]] PersistStats stats() const;

private:
    struct Pending;
    bool exec(const char* sql, std::string* error = nullptr);
    bool commit_batch(Pending& batch, std::uint64_t now_s);
    bool read_windows(std::string& error);
    void prune(std::uint64_t now_s);
    void run();

    PersistOptions options_;
    sqlite3* db_ = nullptr;
    struct Statements;
    Statements* st_ = nullptr;
    struct WindowStore;
    WindowStore* windows_ = nullptr;  // commit_mu_ (and open/load before start)

    mutable std::mutex mu_;          // guards pending_ and stats_ (cp thread <-> writer)
    std::condition_variable wake_;
    Pending* pending_ = nullptr;
    PersistStats stats_;
    bool stopping_ = false;
    std::thread writer_;
    std::mutex commit_mu_;           // one commit at a time (writer thread or commit_now)
    std::uint64_t last_prune_s_ = 0; // commit_mu_
};

/// Restores load()'s counter rows into the workers' limits table: binds each trunk's slot (by
/// id, as the snapshot builder does; build and bind the snapshot first) and restores minute rows
/// into the hour window and hour rows into the day and week windows. load() hands a trunk's
/// buckets one after the other, so the slot of the last trunk is cached. cp, before the first
/// packet.
class LimitsRestorer {
public:
    LimitsRestorer(dp::LimitsTable& limits, std::uint64_t now_s) : limits_(limits), now_s_(now_s) {}
    /// Restores one row; returns the calls restored (0 when the table is full or the bucket
    /// left its window).
    std::uint64_t operator()(std::string_view trunk_id, CountUnit unit, std::uint32_t bucket, std::uint32_t count);

private:
    dp::LimitsTable& limits_;
    std::uint64_t now_s_;
    std::string last_;
    std::uint32_t slot_ = dp::kNoLimitSlot;
};

/// One row without the cache (tests, a few rows).
std::uint64_t restore_count_into(dp::LimitsTable& limits, std::string_view trunk_id, CountUnit unit,
                                 std::uint32_t bucket, std::uint32_t count, std::uint64_t now_s);

}  // namespace palisade::cp
