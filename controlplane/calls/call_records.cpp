// Call records: see call_records.hpp for what is kept, the record format and the write policy.
#include "controlplane/calls/call_records.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "controlplane/json.hpp"

namespace palisade::cp {

namespace {

constexpr std::uint32_t kHourSpan = dp::kHourBuckets;  // minutes
constexpr std::uint32_t kDaySpan = dp::kDayBuckets;    // hours
constexpr std::uint32_t kWeekSpan = dp::kWeekBuckets;  // hours

void put2(std::string& out, unsigned v) {
    out += static_cast<char>('0' + v / 10 % 10);
    out += static_cast<char>('0' + v % 10);
}

// Duration in seconds with millisecond precision, as a JSON number ("56.5", "0", "12.345").
void append_duration(std::string& out, std::uint64_t us) {
    const std::uint64_t ms = us / 1000;
    out += std::to_string(ms / 1000);
    unsigned frac = static_cast<unsigned>(ms % 1000);
    if (frac == 0) return;
    char digits[4] = {static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                      static_cast<char>('0' + frac % 10), 0};
    int n = 3;
    while (n > 0 && digits[n - 1] == '0') --n;
    out += '.';
    out.append(digits, static_cast<std::size_t>(n));
}

}  // namespace

std::string CallRecords::format_time(std::uint64_t us) {
    const auto secs = static_cast<std::time_t>(us / 1'000'000);
    const auto ms = static_cast<unsigned>(us / 1000 % 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    std::string out;
    out.reserve(24);
    const unsigned year = static_cast<unsigned>(tm.tm_year + 1900);
    put2(out, year / 100);
    put2(out, year % 100);
    out += '-';
    put2(out, static_cast<unsigned>(tm.tm_mon + 1));
    out += '-';
    put2(out, static_cast<unsigned>(tm.tm_mday));
    out += 'T';
    put2(out, static_cast<unsigned>(tm.tm_hour));
    out += ':';
    put2(out, static_cast<unsigned>(tm.tm_min));
    out += ':';
    put2(out, static_cast<unsigned>(tm.tm_sec));
    out += '.';
    out += static_cast<char>('0' + ms / 100);
    put2(out, ms % 100);
    out += 'Z';
    return out;
}

void CallRecords::Window::add(std::uint32_t bucket, std::uint32_t count, std::uint32_t span) {
    // Drop buckets that left the window as seen from the newest bucket.
    const std::uint32_t newest = buckets.empty() ? bucket : std::max(bucket, buckets.back().first);
    std::size_t keep = 0;
    while (keep < buckets.size() && newest - buckets[keep].first >= span) ++keep;
    if (keep > 0) buckets.erase(buckets.begin(), buckets.begin() + static_cast<std::ptrdiff_t>(keep));
    if (newest - bucket >= span) return;
    auto it = std::lower_bound(buckets.begin(), buckets.end(), bucket,
                               [](const auto& p, std::uint32_t b) { return p.first < b; });
    if (it != buckets.end() && it->first == bucket) {
        it->second += count;
    } else {
        buckets.insert(it, {bucket, count});
    }
}

std::uint32_t CallRecords::Window::sum(std::uint32_t now, std::uint32_t span) const {
    std::uint64_t s = 0;
    for (const auto& [b, c] : buckets) {
        // A bucket newer than now (clock stepped back) still counts: never un-count (limits.hpp).
        if (b > now || now - b < span) s += c;
    }
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(s, 0xffffffffu));
}

CallRecords::CallRecords(CallRecordsOptions options) : options_(std::move(options)) {}

CallRecords::~CallRecords() { close(); }

bool CallRecords::open(std::string& error) {
    const int fd = ::open(options_.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        error = options_.path + ": " + std::strerror(errno);
        return false;
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
    return true;
}

void CallRecords::close() {
    if (fd_ < 0) return;
    write_out();
    ::fdatasync(fd_);
    ::close(fd_);
    fd_ = -1;
}

bool CallRecords::write_out() {
    if (buffer_.empty()) return true;
    if (fd_ < 0) {
        ++counters_.write_errors;
        return false;
    }
    std::size_t done = 0;
    while (done < buffer_.size()) {
        const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            ++counters_.write_errors;
            buffer_.erase(0, done);
            counters_.bytes_written += done;
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    counters_.bytes_written += done;
    buffer_.clear();
    ++counters_.flushes;
    return true;
}

bool CallRecords::flush() {
    const bool ok = write_out();
    if (ok && fd_ >= 0 && options_.fsync == RecordFsync::every_flush) ::fdatasync(fd_);
    return ok;
}

void CallRecords::tick(std::uint64_t now_us) {
    last_now_us_ = now_us;
    if (buffer_.empty()) return;
    if (buffer_.size() >= options_.flush_bytes || now_us - buffer_since_us_ >= options_.flush_interval_us ||
        now_us < buffer_since_us_)
        flush();
}

bool CallRecords::reopen() {
    ++counters_.reopens;
    // Everything buffered so far belongs to the file that was open when it was produced (the
    // one logrotate renamed): write it there first, then switch.
    write_out();
    if (fd_ >= 0) {
        ::fdatasync(fd_);
        ::close(fd_);
        fd_ = -1;
    }
    std::string error;
    if (!open(error)) {
        ++counters_.reopen_errors;  // lines stay buffered; the next reopen or tick retries
        return false;
    }
    return true;
}

CallRecords::TrunkState& CallRecords::trunk(std::string_view id) {
    auto it = trunks_.find(id);
    if (it == trunks_.end()) it = trunks_.emplace(std::string(id), TrunkState{}).first;
    return it->second;
}

void CallRecords::restore_minute(std::string_view trunk_id, std::uint32_t minute, std::uint32_t count) {
    trunk(trunk_id).minutes.add(minute, count, kHourSpan);
}

void CallRecords::restore_hour(std::string_view trunk_id, std::uint32_t hour, std::uint32_t count) {
    trunk(trunk_id).hours.add(hour, count, kWeekSpan);
}

LiveCall& CallRecords::admit_live(const dp::CallEvent& ev, bool& created) {
    auto [it, fresh] = live_.try_emplace(ev.call_id_hash);
    created = fresh;
    LiveCall& c = it->second;
    if (fresh) {
        c.call_id_hash = ev.call_id_hash;
        c.call_id.assign(ev.call_id());
        c.trunk_id.assign(ev.trunk_id());
        c.trunk_key = ev.trunk_key;
        c.account = ev.account;
        c.direction = ev.direction;
        c.caller.assign(ev.caller());
        c.callee.assign(ev.callee());
        c.start_us = ev.start_us != 0 ? ev.start_us : ev.time_us;
        c.worker = ev.worker;
        ++trunk(c.trunk_id).live;
    }
    c.last_event_us = ev.time_us;
    return c;
}

void CallRecords::end_live(std::unordered_map<std::uint64_t, LiveCall>::iterator it) {
    auto t = trunks_.find(std::string_view(it->second.trunk_id));
    if (t != trunks_.end() && t->second.live > 0) --t->second.live;
    live_.erase(it);
}

void CallRecords::append_record(const LiveCall& c, std::uint64_t end_us, std::uint16_t code,
                                std::string_view result, dp::CallParty by, std::string_view reason) {
    if (buffer_.size() >= options_.max_buffer) {
        ++counters_.records_dropped;
        return;
    }
    if (buffer_.empty()) buffer_since_us_ = last_now_us_;
    std::string& o = buffer_;
    o += "{\"call_id\":";
    append_json_string(o, c.call_id);
    o += ",\"trunk\":";
    append_json_string(o, c.trunk_id);
    o += ",\"account\":\"";
    o += dp::call_account_name(c.account);
    o += "\",\"direction\":\"";
    o += dp::call_direction_name(c.direction);
    o += "\",\"caller\":";
    append_json_string(o, c.caller);
    o += ",\"callee\":";
    append_json_string(o, c.callee);
    o += ",\"start\":\"";
    o += format_time(c.start_us);
    o += "\",\"answer\":";
    if (c.answer_us != 0) {
        o += '"';
        o += format_time(c.answer_us);
        o += '"';
    } else {
        o += "null";
    }
    o += ",\"end\":\"";
    o += format_time(end_us);
    o += "\",\"duration_s\":";
    append_duration(o, c.answer_us != 0 && end_us > c.answer_us ? end_us - c.answer_us : 0);
    o += ",\"code\":";
    o += std::to_string(code);
    o += ",\"result\":\"";
    o += result;
    o += "\",\"ended_by\":\"";
    o += dp::call_party_name(by);
    o += "\",\"reason\":\"";
    o += reason;
    o += "\",\"failovers\":";
    o += std::to_string(c.failovers);
    o += "}\n";
    ++counters_.records;
}

bool CallRecords::on_message(const dp::RingMessage& msg) {
    dp::CallEvent ev;
    if (!dp::decode_call_event(msg, ev)) {
        ++counters_.bad_messages;
        return false;
    }
    on_event(ev);
    return true;
}

void CallRecords::on_event(const dp::CallEvent& ev) {
    ++counters_.events;
    switch (ev.type) {
        case dp::CallEventType::started: {
            bool created = false;
            LiveCall& c = admit_live(ev, created);
            if (!created) {
                ++counters_.duplicate_starts;  // a retransmitted or re-sent start: count once
                return;
            }
            TrunkState& t = trunk(c.trunk_id);
            ++t.started;
            if (ev.flags & dp::kCallFlagCounted) {
                c.counted = true;
                const std::uint64_t s = c.start_us / 1'000'000;
                t.minutes.add(static_cast<std::uint32_t>(s / 60), 1, kHourSpan);
                t.hours.add(static_cast<std::uint32_t>(s / 3600), 1, kWeekSpan);
            }
            return;
        }
        case dp::CallEventType::answered: {
            bool created = false;
            LiveCall& c = admit_live(ev, created);
            if (created) ++counters_.orphan_events;
            if (c.answer_us == 0) {
                c.answer_us = ev.answer_us != 0 ? ev.answer_us : ev.time_us;
                ++trunk(c.trunk_id).answered;
            }
            return;
        }
        case dp::CallEventType::failover: {
            bool created = false;
            LiveCall& c = admit_live(ev, created);
            if (created) ++counters_.orphan_events;
            ++c.failovers;
            ++trunk(c.trunk_id).failovers;
            return;
        }
        case dp::CallEventType::ended: {
            auto it = live_.find(ev.call_id_hash);
            if (it == live_.end()) {
                bool created = false;
                admit_live(ev, created);
                ++counters_.orphan_events;
                it = live_.find(ev.call_id_hash);
            }
            LiveCall& c = it->second;
            if (c.answer_us == 0 && ev.answer_us != 0) c.answer_us = ev.answer_us;
            const auto why = static_cast<dp::CallEndReason>(ev.reason);
            ++trunk(c.trunk_id).ended;
            append_record(c, ev.time_us, ev.code, c.answer_us != 0 ? "answered" : "unanswered",
                          ev.ended_by, dp::call_end_reason_name(why));
            end_live(it);
            return;
        }
        case dp::CallEventType::refused: {
            TrunkState& t = trunk(ev.trunk_id());
            ++t.refused;
            if (!options_.record_refused) return;
            LiveCall c;  // never live: the record alone
            c.call_id.assign(ev.call_id());
            c.trunk_id.assign(ev.trunk_id());
            c.account = ev.account;
            c.direction = ev.direction;
            c.caller.assign(ev.caller());
            c.callee.assign(ev.callee());
            c.start_us = ev.start_us != 0 ? ev.start_us : ev.time_us;
            append_record(c, ev.time_us, ev.code, "refused", dp::CallParty::palisade,
                          dp::call_refuse_reason_name(static_cast<dp::CallRefuseReason>(ev.reason)));
            ++counters_.refused_records;
            return;
        }
    }
}

std::size_t CallRecords::sweep_stale(std::uint64_t now_us, std::uint64_t max_age_us) {
    std::size_t n = 0;
    for (auto it = live_.begin(); it != live_.end();) {
        if (now_us > it->second.last_event_us && now_us - it->second.last_event_us > max_age_us) {
            auto next = std::next(it);
            ++trunk(it->second.trunk_id).ended;
            append_record(it->second, now_us, 0, it->second.answer_us != 0 ? "answered" : "unanswered",
                          dp::CallParty::palisade, dp::call_end_reason_name(dp::CallEndReason::event_lost));
            end_live(it);
            it = next;
            ++n;
        } else {
            ++it;
        }
    }
    counters_.stale_swept += n;
    return n;
}

std::vector<LiveCall> CallRecords::live_calls() const {
    std::vector<LiveCall> out;
    out.reserve(live_.size());
    for (const auto& [h, c] : live_) out.push_back(c);
    std::sort(out.begin(), out.end(), [](const LiveCall& a, const LiveCall& b) {
        return a.start_us != b.start_us ? a.start_us < b.start_us : a.call_id_hash < b.call_id_hash;
    });
    return out;
}

const LiveCall* CallRecords::find(std::uint64_t call_id_hash) const {
    const auto it = live_.find(call_id_hash);
    return it == live_.end() ? nullptr : &it->second;
}

TrunkCallCounts CallRecords::trunk_counts(std::string_view trunk_id, std::uint64_t now_s) const {
    TrunkCallCounts out;
    const auto it = trunks_.find(trunk_id);
    if (it == trunks_.end()) return out;
    const TrunkState& t = it->second;
    out.live = t.live;
    out.hour = t.minutes.sum(static_cast<std::uint32_t>(now_s / 60), kHourSpan);
    out.day = t.hours.sum(static_cast<std::uint32_t>(now_s / 3600), kDaySpan);
    out.week = t.hours.sum(static_cast<std::uint32_t>(now_s / 3600), kWeekSpan);
    out.started = t.started;
    out.answered = t.answered;
    out.ended = t.ended;
    out.refused = t.refused;
    out.failovers = t.failovers;
    return out;
}

}  // namespace palisade::cp
