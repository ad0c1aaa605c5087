// Call records and live calls, from the workers' call events alone (DESIGN.md §2: the control
// plane never reads worker-owned tables). cp only: every function runs on the control-plane
// thread, so nothing here locks.
//
// What it keeps:
//   - live calls (palisadectl `calls`): one entry per Call-ID hash, from the first event of a
//     call (started, or any later one if the started event was lost) until its ended event;
//   - per trunk: live calls, calls counted against the hour / day / week windows (the started
//     events flagged kCallFlagCounted, bucketed exactly like dp::LimitsTable: minutes for the
//     hour, hours for the day and the week), and totals by event type;
//   - one JSON line per ended call, and per refused call, in the `call_records` file.
//
// Records (one JSON object per line, fields documented in docs/call-records.md):
//   {"call_id":"...","trunk":"acme","account":"primary","direction":"outbound",
//    "caller":"+3120...","callee":"+4420...","start":"2026-11-26T08:30:00.123Z",
//    "answer":"2026-11-26T08:30:04.000Z"|null,"end":"2026-11-26T08:31:00.500Z",
//    "duration_s":56.5,"code":200,"result":"answered"|"unanswered"|"refused",
//    "ended_by":"caller"|"callee"|"palisade","reason":"caller_bye","failovers":0}
//   Times are RFC 3339 UTC with milliseconds; duration_s is end - answer (0 when unanswered).
// Refused attempts DO get a record (result "refused", answer null, start = end = the refusal,
// ended_by palisade, reason = the refusal reason, code = the code sent): carriers want records
// of failed attempts (fraud analysis, ASR statistics). Options::record_refused turns them off.
// A 407 challenge is not a refusal and has no record (call_refuse_reasons.def).
//
// Writing happens off the packet path, on the control-plane thread: on_event appends the line to
// a buffer; tick() writes the buffer out once it is a second old (or Options::flush_bytes
// large), so a line reaches the kernel at most ~1 s after its event. fsync policy:
//   - RecordFsync::never (default): no fsync on the periodic flush. A crash of the daemon, even
//     SIGKILL, loses at most the last second still in the buffer; a power loss also loses what
//     the kernel had not yet written back (vm.dirty_expire_centisecs, 30 s by default).
//   - RecordFsync::every_flush: fdatasync after each flush, i.e. at most once a second; it
//     blocks the control-plane thread for one disk flush per second.
//   close() and the destructor always flush and fdatasync.
// Rotation without losing a record (logrotate's move-then-HUP): the file is renamed; until
// reopen() the records still go to the renamed file (same descriptor); on SIGHUP the daemon
// calls reopen(), which flushes everything buffered into the old file, closes it and opens the
// path anew. No record is lost or split between files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dataplane/contract/call_events.hpp"
#include "dataplane/contract/limits.hpp"
#include "dataplane/contract/rings.hpp"

namespace palisade::cp {

/// When call records are fsynced (see the header comment).
enum class RecordFsync : std::uint8_t { never, every_flush };

/// Settings of the call records.
struct CallRecordsOptions {
    std::string path;                           ///< [control] call_records
    bool record_refused = true;                 ///< write a record per refused attempt
    RecordFsync fsync = RecordFsync::never;
    std::uint64_t flush_interval_us = 1'000'000;  ///< at most this old when written out
    std::size_t flush_bytes = 1u << 20;         ///< write out earlier once the buffer is this big
    std::size_t max_buffer = 64u << 20;         ///< past this (file unwritable), records are dropped, counted
};

/// One call in progress, as the events told it.
struct LiveCall {
    std::uint64_t call_id_hash = 0;
    std::string call_id;
    std::string trunk_id;
    std::uint32_t trunk_key = dp::kCallNoTrunk;
    dp::CallAccount account = dp::CallAccount::none;
    dp::CallDirection direction = dp::CallDirection::outbound;
    std::string caller;
    std::string callee;
    std::uint64_t start_us = 0;
    std::uint64_t answer_us = 0;   ///< 0 = ringing / not answered yet
    std::uint64_t last_event_us = 0;
    std::uint16_t worker = 0;
    std::uint32_t failovers = 0;
    bool counted = false;
};

/// A trunk's view for the CLI (`trunk ID`).
struct TrunkCallCounts {
    std::uint32_t live = 0;        ///< calls in progress
    std::uint32_t hour = 0;        ///< counted calls in the hour window (as dp::LimitsTable)
    std::uint32_t day = 0;
    std::uint32_t week = 0;
    std::uint64_t started = 0;     ///< since start of the daemon
    std::uint64_t answered = 0;
    std::uint64_t ended = 0;
    std::uint64_t refused = 0;
    std::uint64_t failovers = 0;
};

/// What the call records did. cp writes and reads.
struct CallRecordsCounters {
    std::uint64_t events = 0;
    std::uint64_t bad_messages = 0;      ///< on_message: not a valid call event
    std::uint64_t records = 0;           ///< lines produced (ended + refused)
    std::uint64_t refused_records = 0;
    std::uint64_t orphan_events = 0;     ///< answered/ended/failover with no live entry (started lost)
    std::uint64_t duplicate_starts = 0;  ///< started for a Call-ID hash already live
    std::uint64_t stale_swept = 0;       ///< live calls closed by sweep_stale (end event lost)
    std::uint64_t flushes = 0;
    std::uint64_t bytes_written = 0;
    std::uint64_t write_errors = 0;
    std::uint64_t records_dropped = 0;   ///< buffer past max_buffer while the file was unwritable
    std::uint64_t reopens = 0;
    std::uint64_t reopen_errors = 0;
};

/// Live calls, per-trunk counts and the call-records file. cp only.
class CallRecords {
public:
    explicit CallRecords(CallRecordsOptions options);
    /// Flushes, fdatasyncs and closes.
    ~CallRecords();
    CallRecords(const CallRecords&) = delete;
    CallRecords& operator=(const CallRecords&) = delete;

    /// Opens (creates, appends to) the records file. False with `error` set when it cannot.
    bool open(std::string& error);
    /// Flushes, fdatasyncs and closes the file (shutdown).
    void close();

    /// Consumes one punted message: decodes the call event (a bad one is counted, false) and
    /// applies it. The caller releases the message.
    bool on_message(const dp::RingMessage& msg);
    /// Applies one event: live calls, counts, and the record line of an ended or refused call.
    void on_event(const dp::CallEvent& ev);

    /// Periodic work (call every control-plane loop, or at least every 100 ms): writes the
    /// buffer out when its oldest line is flush_interval_us old or it passed flush_bytes.
    void tick(std::uint64_t now_us);
    /// Writes every buffered line now (and fdatasyncs when fsync == every_flush). False on a
    /// write error (the unwritten lines stay buffered, counted).
    bool flush();
    /// SIGHUP: flushes into the current (possibly renamed) file, closes it, opens the path anew.
    bool reopen();
    /// Closes live calls with no event for max_age_us (their ended event was lost): writes their
    /// record with reason event_lost. Call now and then (e.g. once a minute with the largest
    /// max_duration plus Session-Expires as max_age). Returns how many were closed.
    std::size_t sweep_stale(std::uint64_t now_us, std::uint64_t max_age_us);

    /// Seed a trunk's counted calls after a restart (persistence restores what the windows held
    /// before), before the first event. cp.
    /// `count` calls admitted in minute `minute` (minutes since the epoch: the hour window).
    void restore_minute(std::string_view trunk_id, std::uint32_t minute, std::uint32_t count);
    /// `count` calls admitted in hour `hour` (hours since the epoch: the day and week windows).
    void restore_hour(std::string_view trunk_id, std::uint32_t hour, std::uint32_t count);

    /// Calls in progress.
    [[nodiscard]] std::size_t live_count() const noexcept { return live_.size(); }
    /// Calls in progress, oldest first (palisadectl `calls`).
    [[nodiscard]] std::vector<LiveCall> live_calls() const;
    /// The live call with this Call-ID hash, or null.
    [[nodiscard]] const LiveCall* find(std::uint64_t call_id_hash) const;
    /// One trunk's counts at `now_s` (Unix seconds).
    [[nodiscard]] TrunkCallCounts trunk_counts(std::string_view trunk_id, std::uint64_t now_s) const;
    /// Counters.
    [[nodiscard]] const CallRecordsCounters& counters() const noexcept { return counters_; }
    /// Octets waiting in the buffer.
    [[nodiscard]] std::size_t buffered() const noexcept { return buffer_.size(); }

    /// RFC 3339 UTC with milliseconds ("2026-11-26T08:30:00.123Z") of µs since the epoch.
    static std::string format_time(std::uint64_t us);

private:
    struct Window {
        std::vector<std::pair<std::uint32_t, std::uint32_t>> buckets;  // (bucket, count), ascending
        void add(std::uint32_t bucket, std::uint32_t count, std::uint32_t span);
        [[nodiscard]] std::uint32_t sum(std::uint32_t now, std::uint32_t span) const;
    };
    struct TrunkState {
        std::uint32_t live = 0;
        Window minutes;  // hour window: 60 one-minute buckets
        Window hours;    // day (24) and week (168) windows: one-hour buckets
        std::uint64_t started = 0, answered = 0, ended = 0, refused = 0, failovers = 0;
    };
    struct NameHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };

    TrunkState& trunk(std::string_view id);
    LiveCall& admit_live(const dp::CallEvent& ev, bool& created);
    void end_live(std::unordered_map<std::uint64_t, LiveCall>::iterator it);
    void append_record(const LiveCall& c, std::uint64_t end_us, std::uint16_t code, std::string_view result,
                       dp::CallParty by, std::string_view reason);
    bool write_out();

    CallRecordsOptions options_;
    int fd_ = -1;
    std::string buffer_;
    std::uint64_t buffer_since_us_ = 0;  // time of the oldest buffered line's event
    std::uint64_t last_now_us_ = 0;
    std::unordered_map<std::uint64_t, LiveCall> live_;
    std::unordered_map<std::string, TrunkState, NameHash, std::equal_to<>> trunks_;
    CallRecordsCounters counters_;
};

}  // namespace palisade::cp
