// Persistence in SQLite (WAL mode): see persist.hpp for the design, durability and threads.
#include "controlplane/persist/persist.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <utility>
#include <vector>

namespace palisade::cp {

namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS bindings("
    " username TEXT NOT NULL, uri TEXT NOT NULL, call_id TEXT NOT NULL, cseq INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL, ip INTEGER NOT NULL, port INTEGER NOT NULL,"
    " iface INTEGER NOT NULL, q INTEGER NOT NULL, PRIMARY KEY(username, uri)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS windows(trunk TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
    "INSERT OR IGNORE INTO meta(key, value) VALUES('schema', '1');";

// Buckets a window spans (limits.hpp): the hour window is 60 minutes, the week 168 hours (the
// day window's 24 hours are inside it).
constexpr std::uint32_t kMinuteSpan = dp::kHourBuckets;
constexpr std::uint32_t kHourSpan = dp::kWeekBuckets;

bool in_window(CountUnit unit, std::uint32_t bucket, std::uint64_t now_s) {
    const auto now = static_cast<std::uint32_t>(unit == CountUnit::minute ? now_s / 60 : now_s / 3600);
    const std::uint32_t span = unit == CountUnit::minute ? kMinuteSpan : kHourSpan;
    return bucket > now || now - bucket < span;  // a future bucket (clock stepped back) still counts
}

std::uint64_t now_us() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

std::string_view column_text(sqlite3_stmt* s, int i) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
    return p == nullptr ? std::string_view() : std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
}

void bind_text(sqlite3_stmt* s, int i, std::string_view v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

using Buckets = std::vector<std::pair<std::uint32_t, std::uint32_t>>;  // (bucket, count), ascending

void add_bucket(Buckets& v, std::uint32_t bucket, std::uint32_t n) {
    if (v.empty() || v.back().first < bucket) {  // the usual case: the newest bucket
        v.emplace_back(bucket, n);
        return;
    }
    auto it = std::lower_bound(v.begin(), v.end(), bucket, [](const auto& p, std::uint32_t b) { return p.first < b; });
    if (it != v.end() && it->first == bucket) {
        it->second += n;
    } else {
        v.insert(it, {bucket, n});
    }
}

// Drops the buckets that left the window at `now` (bucket numbers); true when any was dropped.
bool prune_buckets(Buckets& v, std::uint32_t now, std::uint32_t span) {
    const auto before = v.size();
    std::erase_if(v, [&](const auto& p) { return p.first <= now && now - p.first >= span; });
    return v.size() != before;
}

// Blob of one trunk's windows: version (1 octet, = 1), then for minutes and then hours a count
// (u32) and that many (bucket u32, count u32) pairs; host byte order (the file is local state).
void encode_windows(const Buckets& minutes, const Buckets& hours, std::string& out) {
    out.clear();
    out.push_back(1);
    for (const Buckets* v : {&minutes, &hours}) {
        const auto n = static_cast<std::uint32_t>(v->size());
        out.append(reinterpret_cast<const char*>(&n), 4);
        for (const auto& [b, c] : *v) {
            out.append(reinterpret_cast<const char*>(&b), 4);
            out.append(reinterpret_cast<const char*>(&c), 4);
        }
    }
}

bool decode_windows(const unsigned char* p, std::size_t len, Buckets& minutes, Buckets& hours) {
    if (len < 9 || p[0] != 1) return false;
    std::size_t at = 1;
    for (Buckets* v : {&minutes, &hours}) {
        std::uint32_t n = 0;
        if (len - at < 4) return false;
        std::memcpy(&n, p + at, 4);
        at += 4;
        if (n > (len - at) / 8 || n > 1024) return false;
        v->clear();
        for (std::uint32_t i = 0; i < n; ++i, at += 8) {
            std::uint32_t b = 0, c = 0;
            std::memcpy(&b, p + at, 4);
            std::memcpy(&c, p + at + 4, 4);
            if (!v->empty() && b <= v->back().first) return false;  // ascending, no duplicates
            v->emplace_back(b, c);
        }
    }
    return at == len;
}

}  // namespace

struct Persist::Pending {
    struct Binding {
        bool remove = false;
        PersistedBinding b;
    };
    // Counted calls per trunk since the last commit: usually one or two buckets per trunk per
    // commit period, so a short vector scanned from its newest end.
    struct Delta {
        CountUnit unit;
        std::uint32_t bucket;
        std::uint32_t n;
    };
    struct NameHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view v) const noexcept { return std::hash<std::string_view>{}(v); }
    };
    static void add(std::vector<Delta>& v, CountUnit unit, std::uint32_t bucket) {
        for (auto it = v.rbegin(); it != v.rend(); ++it) {
            if (it->bucket == bucket && it->unit == unit) {
                ++it->n;
                return;
            }
        }
        v.push_back({unit, bucket, 1});
    }
    std::unordered_map<std::string, Binding> bindings;  // key: username '\0' uri
    std::unordered_map<std::string, std::vector<Delta>, NameHash, std::equal_to<>> counts;

    [[nodiscard]] std::size_t size() const noexcept { return bindings.size() + counts.size(); }
    void clear() {
        bindings.clear();
        counts.clear();
    }
};

struct Persist::Statements {
    sqlite3_stmt* upsert = nullptr;
    sqlite3_stmt* remove = nullptr;
    sqlite3_stmt* put_windows = nullptr;
    sqlite3_stmt* drop_windows = nullptr;
    ~Statements() {
        sqlite3_finalize(upsert);
        sqlite3_finalize(remove);
        sqlite3_finalize(put_windows);
        sqlite3_finalize(drop_windows);
    }
};

// Every trunk's counted calls, mirrored in memory (commit_mu_): the writer rewrites a trunk's one
// row from it. Loaded whole at open(), so a commit never overwrites history it has not read.
struct Persist::WindowStore {
    struct Trunk {
        Buckets minutes;  // the hour window
        Buckets hours;    // the day and week windows
        bool dirty = false;
    };
    std::unordered_map<std::string, Trunk> trunks;
    std::vector<std::string> dirty;
    std::uint64_t bad_rows = 0;

    void touch(const std::string& id, Trunk& t) {
        if (!t.dirty) {
            t.dirty = true;
            dirty.push_back(id);
        }
    }
};

namespace {
std::string binding_key(std::string_view username, std::string_view uri) {
    std::string k;
    k.reserve(username.size() + 1 + uri.size());
    k.append(username);
    k.push_back('\0');
    k.append(uri);
    return k;
}
}  // namespace

Persist::Persist(PersistOptions options)
    : options_(std::move(options)), windows_(new WindowStore), pending_(new Pending) {}

Persist::~Persist() {
    stop();
    delete st_;
    if (db_ != nullptr) sqlite3_close(db_);
    delete pending_;
    delete windows_;
}

bool Persist::exec(const char* sql, std::string* error) {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
        if (error != nullptr) *error = options_.path + ": " + (msg != nullptr ? msg : "sqlite error");
        sqlite3_free(msg);
        return false;
    }
    return true;
}

bool Persist::open(std::string& error) {
    if (sqlite3_open_v2(options_.path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
        error = options_.path + ": " + (db_ != nullptr ? sqlite3_errmsg(db_) : "cannot open");
        return false;
    }
    sqlite3_busy_timeout(db_, 5000);
    if (!exec("PRAGMA journal_mode=WAL", &error)) return false;
    if (!exec(options_.fsync_each_commit ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", &error))
        return false;
    // A bigger page cache (64 MiB) keeps the primary-key B-trees of a million bindings in memory.
    if (!exec("PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY", &error)) return false;
    if (!exec(kSchema, &error)) return false;
    st_ = new Statements;
    const auto prep = [&](const char* sql, sqlite3_stmt** out) {
        if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, out, nullptr) != SQLITE_OK) {
            error = options_.path + ": " + sqlite3_errmsg(db_);
            return false;
        }
        return true;
    };
    return prep("INSERT OR REPLACE INTO bindings(username, uri, call_id, cseq, expires_at, ip, port, iface, q)"
                " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                &st_->upsert) &&
           prep("DELETE FROM bindings WHERE username = ?1 AND uri = ?2", &st_->remove) &&
           prep("INSERT OR REPLACE INTO windows(trunk, data) VALUES(?1, ?2)", &st_->put_windows) &&
           prep("DELETE FROM windows WHERE trunk = ?1", &st_->drop_windows) && read_windows(error);
}

bool Persist::read_windows(std::string& error) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT trunk, data FROM windows", -1, &s, nullptr) != SQLITE_OK) {
        error = options_.path + ": " + sqlite3_errmsg(db_);
        return false;
    }
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        WindowStore::Trunk t;
        const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(s, 1));
        if (p == nullptr ||
            !decode_windows(p, static_cast<std::size_t>(sqlite3_column_bytes(s, 1)), t.minutes, t.hours)) {
            ++windows_->bad_rows;  // a damaged row: that trunk starts from zero
            continue;
        }
        windows_->trunks.insert_or_assign(std::string(column_text(s, 0)), std::move(t));
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        error = options_.path + ": " + sqlite3_errmsg(db_);
        return false;
    }
    return true;
}

bool Persist::load(std::uint64_t now_s, const std::function<void(const BindingView&)>& on_binding,
                   const std::function<void(std::string_view, CountUnit, std::uint32_t, std::uint32_t)>& on_count,
                   LoadStats* stats, std::string& error) {
    if (db_ == nullptr) {
        error = "persistence: load before open";
        return false;
    }
    std::lock_guard<std::mutex> commit_lock(commit_mu_);
    LoadStats ls;
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT username, uri, call_id, cseq, expires_at, ip, port, iface, q FROM bindings",
                           -1, &s, nullptr) != SQLITE_OK) {
        error = options_.path + ": " + sqlite3_errmsg(db_);
        return false;
    }
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        BindingView b;
        b.expires_at = static_cast<std::uint64_t>(sqlite3_column_int64(s, 4));
        if (b.expires_at <= now_s) {
            ++ls.expired;
            continue;
        }
        b.username = column_text(s, 0);
        b.uri = column_text(s, 1);
        b.call_id = column_text(s, 2);
        b.cseq = static_cast<std::uint32_t>(sqlite3_column_int64(s, 3));
        b.ip = static_cast<std::uint32_t>(sqlite3_column_int64(s, 5));
        b.port = static_cast<std::uint16_t>(sqlite3_column_int(s, 6));
        b.iface = static_cast<std::uint16_t>(sqlite3_column_int(s, 7));
        b.q_milli = static_cast<std::uint16_t>(sqlite3_column_int(s, 8));
        ++ls.bindings;
        if (on_binding) on_binding(b);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        error = options_.path + ": " + sqlite3_errmsg(db_);
        return false;
    }
    for (const auto& [id, t] : windows_->trunks) {
        for (const auto& [b, n] : t.minutes) {
            if (n == 0 || !in_window(CountUnit::minute, b, now_s)) continue;
            ++ls.count_rows;
            if (on_count) on_count(id, CountUnit::minute, b, n);
        }
        for (const auto& [b, n] : t.hours) {
            if (n == 0 || !in_window(CountUnit::hour, b, now_s)) continue;
            ++ls.count_rows;
            if (on_count) on_count(id, CountUnit::hour, b, n);
        }
    }
    if (stats != nullptr) *stats = ls;
    if (ls.expired > 0) prune(now_s);
    return true;
}

void Persist::record_binding(const BindingView& b) {
    std::string key = binding_key(b.username, b.uri);
    std::lock_guard<std::mutex> lock(mu_);
    Pending::Binding& p = pending_->bindings[std::move(key)];
    p.remove = false;
    p.b.username.assign(b.username);
    p.b.uri.assign(b.uri);
    p.b.call_id.assign(b.call_id);
    p.b.cseq = b.cseq;
    p.b.expires_at = b.expires_at;
    p.b.ip = b.ip;
    p.b.port = b.port;
    p.b.iface = b.iface;
    p.b.q_milli = b.q_milli;
}

void Persist::record_binding(const PersistedBinding& b) {
    record_binding(BindingView{b.username, b.uri, b.call_id, b.cseq, b.expires_at, b.ip, b.port, b.iface, b.q_milli});
}

void Persist::remove_binding(std::string_view username, std::string_view uri) {
    std::string key = binding_key(username, uri);
    std::lock_guard<std::mutex> lock(mu_);
    Pending::Binding& p = pending_->bindings[std::move(key)];
    p.remove = true;
    p.b.username.assign(username);
    p.b.uri.assign(uri);
}

void Persist::record_call_counted(std::string_view trunk_id, std::uint64_t at_s) {
    const auto minute = static_cast<std::uint32_t>(at_s / 60);
    const auto hour = static_cast<std::uint32_t>(at_s / 3600);
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_->counts.find(trunk_id);
    if (it == pending_->counts.end()) it = pending_->counts.emplace(std::string(trunk_id), std::vector<Pending::Delta>{}).first;
    Pending::add(it->second, CountUnit::minute, minute);
    Pending::add(it->second, CountUnit::hour, hour);
}

bool Persist::commit_batch(Pending& batch, std::uint64_t now_s) {
    if (batch.size() == 0 && windows_->dirty.empty()) return true;
    const std::uint64_t t0 = now_us();
    // Counts go into the in-memory windows first; each touched trunk's row is rewritten below
    // (and stays dirty until a commit succeeds).
    for (auto& [trunk, deltas] : batch.counts) {
        auto [it, fresh] = windows_->trunks.try_emplace(trunk);
        for (const Pending::Delta& d : deltas)
            add_bucket(d.unit == CountUnit::minute ? it->second.minutes : it->second.hours, d.bucket, d.n);
        windows_->touch(it->first, it->second);
    }
    batch.counts.clear();
    // Rows in primary-key order (the key is username '\0' uri, whose byte order is the
    // (username, uri) order of SQLite's BINARY collation): the B-tree is walked once from left
    // to right, each leaf page touched once per commit, instead of jumping around in hash order.
    std::vector<const std::pair<const std::string, Pending::Binding>*> order;
    order.reserve(batch.bindings.size());
    for (const auto& kv : batch.bindings) order.push_back(&kv);
    std::sort(order.begin(), order.end(), [](const auto* x, const auto* y) { return x->first < y->first; });
    bool ok = exec("BEGIN IMMEDIATE");
    std::uint64_t written = 0, removed = 0, counts = 0;
    for (auto it = order.begin(); ok && it != order.end(); ++it) {
        const Pending::Binding& p = (*it)->second;
        sqlite3_stmt* s = p.remove ? st_->remove : st_->upsert;
        bind_text(s, 1, p.b.username);
        bind_text(s, 2, p.b.uri);
        if (!p.remove) {
            bind_text(s, 3, p.b.call_id);
            sqlite3_bind_int64(s, 4, p.b.cseq);
            sqlite3_bind_int64(s, 5, static_cast<sqlite3_int64>(p.b.expires_at));
            sqlite3_bind_int64(s, 6, p.b.ip);
            sqlite3_bind_int(s, 7, p.b.port);
            sqlite3_bind_int(s, 8, p.b.iface);
            sqlite3_bind_int(s, 9, p.b.q_milli);
        }
        ok = sqlite3_step(s) == SQLITE_DONE;
        sqlite3_reset(s);
        ++(p.remove ? removed : written);
    }
    std::string blob;
    const auto minute_now = static_cast<std::uint32_t>(now_s / 60);
    const auto hour_now = static_cast<std::uint32_t>(now_s / 3600);
    for (auto it = windows_->dirty.begin(); ok && it != windows_->dirty.end(); ++it) {
        auto t = windows_->trunks.find(*it);
        if (t == windows_->trunks.end()) continue;
        prune_buckets(t->second.minutes, minute_now, kMinuteSpan);
        prune_buckets(t->second.hours, hour_now, kHourSpan);
        sqlite3_stmt* s = nullptr;
        if (t->second.minutes.empty() && t->second.hours.empty()) {
            s = st_->drop_windows;
            bind_text(s, 1, t->first);
        } else {
            encode_windows(t->second.minutes, t->second.hours, blob);
            s = st_->put_windows;
            bind_text(s, 1, t->first);
            sqlite3_bind_blob(s, 2, blob.data(), static_cast<int>(blob.size()), SQLITE_STATIC);
        }
        ok = sqlite3_step(s) == SQLITE_DONE;
        sqlite3_reset(s);
        ++counts;
    }
    if (ok) ok = exec("COMMIT");
    const std::uint64_t took = now_us() - t0;
    if (ok) {
        for (const auto& id : windows_->dirty) {
            auto t = windows_->trunks.find(id);
            if (t == windows_->trunks.end()) continue;
            t->second.dirty = false;
            if (t->second.minutes.empty() && t->second.hours.empty()) windows_->trunks.erase(t);
        }
        windows_->dirty.clear();
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (!ok) {
        exec("ROLLBACK");
        ++stats_.commit_errors;
        // Keep the bindings for the next commit, under anything newer recorded meanwhile (the
        // counts are in the windows, whose trunks stay dirty).
        for (auto& [k, v] : batch.bindings) pending_->bindings.try_emplace(k, std::move(v));
        return false;
    }
    ++stats_.commits;
    stats_.bindings_written += written;
    stats_.bindings_removed += removed;
    stats_.trunk_rows_written += counts;
    stats_.last_commit_us = took;
    if (took > stats_.max_commit_us) stats_.max_commit_us = took;
    return true;
}

void Persist::prune(std::uint64_t now_s) {
    sqlite3_stmt* s = nullptr;
    const auto run = [&](const char* sql, std::int64_t v) {
        if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) return;
        sqlite3_bind_int64(s, 1, v);
        if (sqlite3_step(s) == SQLITE_DONE) {
            std::lock_guard<std::mutex> lock(mu_);
            stats_.rows_pruned += static_cast<std::uint64_t>(sqlite3_changes(db_));
        }
        sqlite3_finalize(s);
    };
    // Trunks whose buckets left their windows are rewritten (or dropped) by the next commit.
    const auto minute_now = static_cast<std::uint32_t>(now_s / 60);
    const auto hour_now = static_cast<std::uint32_t>(now_s / 3600);
    for (auto& [id, t] : windows_->trunks) {
        const bool a = prune_buckets(t.minutes, minute_now, kMinuteSpan);
        const bool b = prune_buckets(t.hours, hour_now, kHourSpan);
        if (a || b) windows_->touch(id, t);
    }
    run("DELETE FROM bindings WHERE expires_at <= ?1", static_cast<std::int64_t>(now_s));
    last_prune_s_ = now_s;
}

bool Persist::commit_now() {
    if (db_ == nullptr) return false;
    std::lock_guard<std::mutex> commit_lock(commit_mu_);
    Pending batch;
    {
        std::lock_guard<std::mutex> lock(mu_);
        std::swap(batch.bindings, pending_->bindings);
        std::swap(batch.counts, pending_->counts);
    }
    const auto now_s = static_cast<std::uint64_t>(std::time(nullptr));
    const bool ok = commit_batch(batch, now_s);
    if (ok && now_s >= last_prune_s_ + options_.prune_interval_s) prune(now_s);
    return ok;
}

void Persist::start() {
    if (writer_.joinable() || db_ == nullptr) return;
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = false;
    }
    last_prune_s_ = static_cast<std::uint64_t>(std::time(nullptr));
    writer_ = std::thread([this] { run(); });
}

void Persist::run() {
    // Commits start every commit_interval_ms, measured from the start of the previous one, not
    // from its end: when a commit is slow (a loaded machine, a slow fsync), the next one starts
    // at once instead of a whole period later, so a change waits at most about one period plus
    // two commits, not a period plus two commits plus a period (the SIGKILL promise).
    const auto period = std::chrono::milliseconds(options_.commit_interval_ms);
    auto next = std::chrono::steady_clock::now() + period;
    for (;;) {
        bool stop = false;
        {
            std::unique_lock<std::mutex> lock(mu_);
            wake_.wait_until(lock, next, [this] { return stopping_; });
            stop = stopping_;
        }
        next = std::chrono::steady_clock::now() + period;
        commit_now();
        if (stop) return;
    }
}

void Persist::stop() {
    if (writer_.joinable()) {
        {
            std::lock_guard<std::mutex> lock(mu_);
            stopping_ = true;
        }
        wake_.notify_all();
        writer_.join();
    }
    if (db_ != nullptr) commit_now();
}

PersistStats Persist::stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    PersistStats s = stats_;
    s.pending = pending_->size();
    return s;
}

std::uint64_t LimitsRestorer::operator()(std::string_view trunk_id, CountUnit unit, std::uint32_t bucket,
                                         std::uint32_t count) {
    if (slot_ == dp::kNoLimitSlot || trunk_id != last_) {
        last_.assign(trunk_id);
        slot_ = limits_.bind(trunk_id);
    }
    if (slot_ == dp::kNoLimitSlot) return 0;
    if (unit == CountUnit::minute) return limits_.restore_window(slot_, dp::CallWindow::hour, bucket, count, now_s_);
    const std::uint32_t day = limits_.restore_window(slot_, dp::CallWindow::day, bucket, count, now_s_);
    const std::uint32_t week = limits_.restore_window(slot_, dp::CallWindow::week, bucket, count, now_s_);
    return day > week ? day : week;
}

std::uint64_t restore_count_into(dp::LimitsTable& limits, std::string_view trunk_id, CountUnit unit,
                                 std::uint32_t bucket, std::uint32_t count, std::uint64_t now_s) {
    LimitsRestorer r(limits, now_s);
    return r(trunk_id, unit, bucket, count);
}

}  // namespace palisade::cp
