#include "controlplane/control_plane.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>

#include "controlplane/cli/check_cmd.hpp"
#include "dataplane/contract/call_events.hpp"
#include "dataplane/contract/policy_snapshot.hpp"
#include "dataplane/policy/snapshot.hpp"
#include "parsers/sip/message.hpp"
#include "parsers/sip/values.hpp"

namespace palisade::cp {

std::uint64_t unix_now_us() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}
std::uint64_t unix_now_s() {
    return unix_now_us() / 1'000'000ull;
}
std::uint64_t mono_now_ms() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

namespace {

AuthGuardSettings guard_settings(const Settings& s) {
    AuthGuardSettings g;
    g.threshold = s.auth_fail_threshold;
    g.window_s = s.auth_fail_window_s;
    g.block_s = s.block_duration_s;
    return g;
}

CallRecordsOptions call_record_options(const Settings& s) {
    CallRecordsOptions o;
    o.path = s.call_records;
    return o;
}

PersistOptions persist_options(const Settings& s) {
    PersistOptions o;
    o.path = s.state_dir + "/palisade.db";
    return o;
}

// The workers' location table, sized from the config: two accounts per trunk with room to
// double by reload (the table does not grow), two source keys (ip:port and ip) per account's
// contact with the map kept under half full, and the trunk keys of the data plane's LimitsTable
// (dataplane.cpp: 2 x trunks + 16). Never below the defaults.
dp::LocationLimits location_limits(const dp::ConfigSpec& config) {
    const auto trunks = static_cast<std::uint64_t>(config.trunks.size());
    const auto clamp = [](std::uint64_t v, std::uint32_t floor) {
        return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(v, floor, dp::kMaxLocationSlots));
    };
    dp::LocationLimits l;
    l.accounts = clamp(4 * trunks, l.accounts);
    l.sources = clamp(4ull * l.accounts, l.sources);
    l.trunks = clamp(2 * trunks + 16, l.trunks);
    return l;
}

std::uint64_t random_salt() {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

// The parent directory of a file path, created when missing (state_dir, call_records).
bool make_dirs(const std::string& dir, std::string& error) {
    for (std::size_t i = 1; i <= dir.size(); ++i) {
        if (i != dir.size() && dir[i] != '/') continue;
        const std::string part = dir.substr(0, i);
        if (::mkdir(part.c_str(), 0750) != 0 && errno != EEXIST) {
            error = "cannot create directory " + part + ": " + std::strerror(errno);
            return false;
        }
    }
    return true;
}

std::string parent_of(const std::string& path) {
    const std::size_t slash = path.rfind('/');
    return slash == std::string::npos || slash == 0 ? std::string() : path.substr(0, slash);
}

}  // namespace

ControlPlane::ControlPlane(dp::DataPlane& plane, dp::ConfigSpec config, Settings settings)
    : plane_(plane),
      config_(std::move(config)),
      settings_(std::move(settings)),
      location_(location_limits(config_)),
      nonce_counts_(std::size_t{1} << 20),
      registrar_(location_, nonce_counts_, config_.sip.nonce_secret),
      guard_(location_, guard_settings(settings_)),
      failover_(location_),
      keepalive_(location_, peers_, &failover_, random_salt()),
      calls_(call_record_options(settings_)),
      persist_(persist_options(settings_)),
      cli_(CliServerOptions{settings_.cli_socket, settings_.cli_group}) {
    started_unix_s_ = unix_now_s();
    // Brute-force protection sees every authentication the registrar makes, and decides when a
    // wrong answer gets 403 rather than a new challenge.
    registrar_.set_guard(&guard_);
    // The registrar's publish observers: persistence marks every binding change, keepalive
    // follows every account record published to the workers.
    registrar_.set_binding_observer([this](const BindingEvent& ev) { on_binding(ev); });
    registrar_.set_account_observer([this](const AccountEvent& ev) {
        keepalive_.set_account_contacts(ev.username, ev.trunk_key, ev.role, ev.contacts);
    });
    failover_.set_trunk_namer([this](std::uint32_t key) {
        const dp::PolicySnapshot* s = snapshot();
        for (std::uint32_t t = 0; s != nullptr && t < s->trunk_count(); ++t)
            if (s->trunk(t).limit_slot == key) return s->info(t).id;
        return std::string();
    });
    keepalive_.configure(config_);
}

// After the data plane started: the limits table exists only from then on.
void ControlPlane::make_handlers() {
    CliContext ctx;
    ctx.plane = &plane_;
    ctx.location = &location_;
    ctx.limits = plane_.limits();
    ctx.snapshot = [this] { return snapshot(); };
    ctx.registrar = &registrar_;
    ctx.guard = &guard_;
    ctx.keepalive = &keepalive_;
    ctx.failover = &failover_;
    ctx.calls = &calls_;
    ctx.persist = &persist_;
    ctx.server = &cli_;
    ctx.reload = [this] { return reload(); };
    ctx.config_path = settings_.config_path;
    ctx.started_unix_s = started_unix_s_;
    ctx.now_unix_s = [] { return unix_now_s(); };
    ctx.now_ms = [] { return mono_now_ms(); };
    handlers_ = std::make_unique<CliHandlers>(std::move(ctx));
    cli_.set_handler([this](const CliRequest& r) { return handlers_->handle(r); });
}

ControlPlane::~ControlPlane() {
    close();
}

const dp::PolicySnapshot* ControlPlane::snapshot() const {
    dp::PolicySlot* slot = plane_.policy_slot();
    return slot != nullptr ? slot->read() : nullptr;
}

// ---- start-up ----

bool ControlPlane::load_state(std::string& error) {
    // The location table is allocated by the constructor (it never throws): refuse to start
    // here, with its reason, before the data plane would hand it to the workers.
    if (!location_.ok()) {
        error = location_.error();
        return false;
    }
    const std::string records_dir = parent_of(settings_.call_records);
    if (!records_dir.empty() && !make_dirs(records_dir, error)) return false;
    if (!calls_.open(error)) return false;
    if (!make_dirs(settings_.state_dir, error)) return false;
    if (!persist_.open(error)) return false;
    persist_ok_ = true;
    return true;
}

bool ControlPlane::restore_state(std::string& error) {
    make_handlers();
    // One pass over the database, persist -> registrar -> location: every binding is staged in
    // the registrar's store as it is read (no intermediate copy of a million rows), then each
    // account is published once (one location record and one keepalive update per account,
    // not per binding); every counter bucket goes straight into the limits table and the call
    // records' windows. The loop has not run yet, so no punted REGISTER is handled before this.
    const dp::PolicySnapshot* snap = snapshot();
    dp::LimitsTable* limits = plane_.limits();
    const std::uint64_t now_s = unix_now_s();
    std::size_t bindings = 0, refused = 0;
    std::uint64_t calls = 0;
    LoadStats ls;
    if (persist_ok_) {
        std::optional<LimitsRestorer> restore;
        if (limits != nullptr) restore.emplace(*limits, now_s);
        BindingData d;
        const bool ok = persist_.load(
            now_s,
            [&](const BindingView& b) {
                d.uri.assign(b.uri);
                d.call_id.assign(b.call_id);
                d.cseq = b.cseq;
                d.expires_at = b.expires_at;
                d.ip = b.ip;
                d.port = b.port;
                d.iface = b.iface;
                if (snap != nullptr && registrar_.stage_restore(*snap, b.username, std::move(d))) {
                    ++bindings;
                } else {
                    // The config no longer accepts it (account gone, duplicate): forget it.
                    ++refused;
                    persist_.remove_binding(b.username, b.uri);
                }
                d = BindingData();
            },
            [&](std::string_view trunk, CountUnit unit, std::uint32_t bucket, std::uint32_t count) {
                if (restore) calls += (*restore)(trunk, unit, bucket, count);
                if (unit == CountUnit::minute)
                    calls_.restore_minute(trunk, bucket, count);
                else
                    calls_.restore_hour(trunk, bucket, count);
            },
            &ls, error);
        if (!ok) return false;
        registrar_.publish_staged();
    }
    std::printf(
        "palisade: state %s: %llu binding(s), %llu counter bucket(s) (%llu expired binding(s) "
        "skipped, %zu refused by the config)\n",
        persist_options(settings_).path.c_str(), static_cast<unsigned long long>(ls.bindings),
        static_cast<unsigned long long>(ls.count_rows), static_cast<unsigned long long>(ls.expired), refused);
    if (persist_ok_) persist_.start();
    std::printf("palisade: restored %zu binding(s), %llu counted call(s)\n", bindings,
                static_cast<unsigned long long>(calls));
    if (!cli_.open(error)) {
        error = "CLI socket: " + error;
        return false;
    }
    std::printf("palisade: CLI socket %s\n", cli_.path().c_str());
    std::fflush(stdout);
    return true;
}

void ControlPlane::drain_final() {
    // Bounded: the workers have stopped, so the rings only hold what they left.
    for (int i = 0; i < 1024 && drain_punts() != 0; ++i) {
    }
}

void ControlPlane::close() {
    cli_.close();
    calls_.close();
    if (persist_ok_) {
        persist_.stop();
        persist_ok_ = false;
    }
}

// ---- the loop ----

void ControlPlane::run(const std::atomic<bool>& stop, std::atomic<bool>& hup) {
    while (!stop.load()) {
        if (run_once(hup) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

unsigned ControlPlane::run_once(std::atomic<bool>& hup) {
    const unsigned got = drain_punts();
    tick();
    cli_.poll(mono_now_ms());
    if (hup.exchange(false)) {
        ++stats_.reopens;
        if (!calls_.reopen())
            std::fprintf(stderr, "palisade: cannot reopen %s\n", settings_.call_records.c_str());
    }
    return got;
}

unsigned ControlPlane::drain_punts() {
    dp::RingMessage* burst[32];
    unsigned got = 0;
    for (unsigned w = 0; w < plane_.worker_count(); ++w) {
        const unsigned n = plane_.receive_punts(w, burst, 32);
        for (unsigned i = 0; i < n; ++i) {
            dp::RingMessage* m = burst[i];
            if (m->kind == dp::RingKind::sip_register) {
                ++stats_.registers;
                handle_register(*m);
            } else if (m->kind == dp::RingKind::sip_cp_response) {
                ++stats_.cp_responses;
                keepalive_.on_response(*m, mono_now_ms());
            } else if (dp::is_call_event(m->kind)) {
                ++stats_.call_events;
                handle_call_event(*m);
            } else {
                ++stats_.other_punts;
            }
            plane_.release(m);
        }
        got += n;
    }
    return got;
}

void ControlPlane::handle_register(dp::RingMessage& m) {
    const dp::PolicySnapshot* snap = snapshot();
    if (snap == nullptr) return;
    dp::RingMessage* reply = plane_.allocate();
    if (reply == nullptr) {
        ++stats_.reply_dropped;
        return;
    }
    const bool replied = registrar_.handle(m, *snap, unix_now_s(), *reply);
    if (!replied) {
        plane_.release(reply);
        return;
    }
    // The worker that punted it knows the peer's MAC already (rings.hpp).
    if (!plane_.inject(m.worker, reply)) {
        ++stats_.reply_dropped;
        plane_.release(reply);
        return;
    }
    ++stats_.register_replies;
}

void ControlPlane::handle_call_event(const dp::RingMessage& m) {
    dp::CallEvent ev;
    const bool valid = dp::decode_call_event(m, ev);
    calls_.on_message(m);
    if (valid && ev.type == dp::CallEventType::started && (ev.flags & dp::kCallFlagCounted) != 0 &&
        persist_ok_)
        // The bucket is the call's start, as CallRecords counts it, so a restart restores the
        // same windows the CLI showed before it.
        persist_.record_call_counted(ev.trunk_id(), ev.start_us / 1'000'000ull);
}

void ControlPlane::on_binding(const BindingEvent& ev) {
    if (!persist_ok_) return;
    const Binding& b = *ev.binding;
    if (ev.change == BindingChange::removed || ev.change == BindingChange::expired) {
        persist_.remove_binding(ev.username, b.uri);
        return;
    }
    BindingView v;
    v.username = ev.username;
    v.uri = b.uri;
    v.call_id = b.call_id;
    v.cseq = b.cseq;
    v.expires_at = b.expires_at;
    v.ip = b.ip;
    v.port = b.port;
    v.iface = b.iface;
    persist_.record_binding(v);
}

bool ControlPlane::send_datagram(const Datagram& d) {
    const unsigned workers = plane_.worker_count();
    if (workers == 0) return false;
    dp::RingMessage* m = plane_.allocate();
    if (m == nullptr) {
        ++stats_.probes_dropped;
        return false;
    }
    if (!to_ring_message(d, *m) || !plane_.inject(d.ip % workers, m)) {
        ++stats_.probes_dropped;
        plane_.release(m);
        return false;
    }
    return true;
}

void ControlPlane::tick() {
    const std::uint64_t now_ms = mono_now_ms();
    const std::uint64_t now_us = unix_now_us();
    const std::uint64_t now_s = now_us / 1'000'000ull;
    registrar_.expire(now_s);
    location_.reclaim();
    guard_.tick(now_s);
    keepalive_.tick(now_ms, [this](const Datagram& d) { return send_datagram(d); });
    calls_.tick(now_us);
    if (now_ms - last_sample_ms_ >= 1000) {
        last_sample_ms_ = now_ms;
        if (handlers_) handlers_->sample();
    }
    if (now_ms - last_sweep_ms_ >= 60'000) {
        last_sweep_ms_ = now_ms;
        // A call with no event for the longest allowed duration plus one session refresh has
        // lost its ended event.
        std::uint64_t max_s = 0;
        for (const dp::TrunkSpec& t : config_.trunks)
            max_s = std::max<std::uint64_t>(max_s, t.limits.max_duration_s);
        calls_.sweep_stale(now_us, (max_s + config_.sip.session_expires_s) * 1'000'000ull);
    }
}

ReloadOutcome ControlPlane::reload() {
    ReloadOutcome out;
    dp::ConfigSpec next;
    Settings next_settings;
    if (!load_config(settings_.config_path, next, next_settings, out.errors)) {
        if (out.errors.empty()) out.errors.push_back(settings_.config_path + ": cannot load");
        ++stats_.reloads_refused;
        return out;
    }
    dp::PolicySlot* slot = plane_.policy_slot();
    dp::LimitsTable* limits = plane_.limits();
    if (slot == nullptr || limits == nullptr) {
        out.errors.push_back("the data plane is not running");
        ++stats_.reloads_refused;
        return out;
    }
    const dp::ReloadResult r = dp::reload_policy(*slot, *limits, next);
    if (!r.ok) {
        out.errors.push_back(settings_.config_path + ": " + r.error);
        ++stats_.reloads_refused;
        return out;
    }
    // The file is now in force: every module takes its part of it. Paths of [control] (socket,
    // records, state) and the nonce secret take effect at the next start.
    const dp::PolicySnapshot* snap = snapshot();
    if (snap != nullptr) registrar_.reconcile(*snap);
    keepalive_.configure(next);
    guard_.configure(guard_settings(next_settings));
    settings_.auth_fail_threshold = next_settings.auth_fail_threshold;
    settings_.auth_fail_window_s = next_settings.auth_fail_window_s;
    settings_.block_duration_s = next_settings.block_duration_s;
    out.summary = config_summary(settings_.config_path, next);
    config_ = std::move(next);
    out.ok = true;
    out.generation = r.generation;
    ++stats_.reloads;
    std::printf("palisade: reloaded %s: policy generation %llu\n", settings_.config_path.c_str(),
                static_cast<unsigned long long>(r.generation));
    std::fflush(stdout);
    return out;
}

std::string ControlPlane::summary() const {
    const RegistrarCounters& r = registrar_.counters();
    char b[512];
    std::snprintf(
        b, sizeof b,
        "  control plane: %llu REGISTER (%llu replies, %llu reply drops), %llu responses to our "
        "requests, %llu call events, %llu other; %zu binding(s), %llu 200, %llu 401, %llu 403; "
        "%llu reload(s), %llu refused\n",
        static_cast<unsigned long long>(stats_.registers),
        static_cast<unsigned long long>(stats_.register_replies),
        static_cast<unsigned long long>(stats_.reply_dropped),
        static_cast<unsigned long long>(stats_.cp_responses),
        static_cast<unsigned long long>(stats_.call_events),
        static_cast<unsigned long long>(stats_.other_punts), registrar_.bindings().size(),
        static_cast<unsigned long long>(r.r200), static_cast<unsigned long long>(r.r401),
        static_cast<unsigned long long>(r.r403), static_cast<unsigned long long>(stats_.reloads),
        static_cast<unsigned long long>(stats_.reloads_refused));
    return b;
}

}  // namespace palisade::cp
