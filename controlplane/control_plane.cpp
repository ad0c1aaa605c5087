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
      nonce_counts_(std::size_t{1} << 20),
      registrar_(location_, nonce_counts_, config_.sip.nonce_secret),
      guard_(location_, guard_settings(settings_)),
      failover_(location_),
      keepalive_(location_, peers_, &failover_, random_salt()),
      calls_(call_record_options(settings_)),
      persist_(persist_options(settings_)),
      cli_(CliServerOptions{settings_.cli_socket, settings_.cli_group}) {
    started_unix_s_ = unix_now_s();
    // Brute-force protection sees every authentication the registrar makes.
    registrar_.set_auth_observer([this](const AuthEvent& ev) {
        if (ev.success)
            guard_.on_auth_success(ev.ip, ev.username, ev.now_s);
        else
            guard_.on_auth_failure(ev.ip, ev.username, ev.now_s);
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

std::uint64_t ControlPlane::registrar_changes() const {
    const RegistrarCounters& c = registrar_.counters();
    return c.bindings_added + c.bindings_refreshed + c.bindings_removed + c.bindings_expired;
}

// ---- start-up ----

bool ControlPlane::load_state(std::string& error) {
    const std::string records_dir = parent_of(settings_.call_records);
    if (!records_dir.empty() && !make_dirs(records_dir, error)) return false;
    if (!calls_.open(error)) return false;
    if (!make_dirs(settings_.state_dir, error)) return false;
    if (!persist_.open(error)) return false;
    LoadStats ls;
    const bool ok = persist_.load(
        unix_now_s(),
        [this](const BindingView& b) {
            PersistedBinding p;
            p.username = b.username;
            p.uri = b.uri;
            p.call_id = b.call_id;
            p.cseq = b.cseq;
            p.expires_at = b.expires_at;
            p.ip = b.ip;
            p.port = b.port;
            p.iface = b.iface;
            p.q_milli = b.q_milli;
            loaded_bindings_.push_back(std::move(p));
        },
        [this](std::string_view trunk, CountUnit unit, std::uint32_t bucket, std::uint32_t count) {
            loaded_counts_.push_back({std::string(trunk), unit, bucket, count});
        },
        &ls, error);
    if (!ok) return false;
    persist_ok_ = true;
    std::printf(
        "palisade: state %s: %llu binding(s), %llu counter bucket(s) (%llu expired binding(s) "
        "skipped)\n",
        persist_options(settings_).path.c_str(), static_cast<unsigned long long>(ls.bindings),
        static_cast<unsigned long long>(ls.count_rows),
        static_cast<unsigned long long>(ls.expired));
    return true;
}

bool ControlPlane::restore_state(std::string& error) {
    make_handlers();
    const dp::PolicySnapshot* snap = snapshot();
    std::size_t bindings = 0;
    if (snap != nullptr) {
        for (const PersistedBinding& p : loaded_bindings_) {
            BindingData b;
            b.uri = p.uri;
            b.call_id = p.call_id;
            b.cseq = p.cseq;
            b.expires_at = p.expires_at;
            b.ip = p.ip;
            b.port = p.port;
            b.iface = p.iface;
            if (registrar_.restore(*snap, p.username, b)) ++bindings;
        }
    }
    std::uint64_t calls = 0;
    if (dp::LimitsTable* limits = plane_.limits(); limits != nullptr) {
        LimitsRestorer restore(*limits, unix_now_s());
        for (const LoadedCount& c : loaded_counts_) {
            calls += restore(c.trunk, c.unit, c.bucket, c.count);
            if (c.unit == CountUnit::minute)
                calls_.restore_minute(c.trunk, c.bucket, c.count);
            else
                calls_.restore_hour(c.trunk, c.bucket, c.count);
        }
    }
    loaded_bindings_.clear();
    loaded_counts_.clear();
    // Mirror what was restored, so the first sync does not rewrite every row.
    mark_all_dirty();
    sync_bindings();
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

void ControlPlane::close() {
    cli_.close();
    calls_.close();
    if (persist_ok_) {
        sync_bindings();
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
    sync_bindings();
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
    const std::uint64_t changes = registrar_changes();
    const bool replied = registrar_.handle(m, *snap, unix_now_s(), *reply);
    if (registrar_changes() != changes) mark_dirty_from(m);
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

void ControlPlane::mark_dirty_from(const dp::RingMessage& m) {
    // The registrar binds the To header's user (RFC 3261 §10.3: the address-of-record); it has
    // just parsed and validated the same request.
    sip::Message msg;
    sip::NameAddr to;
    const sip::HeaderField* f = nullptr;
    if (msg.parse(m.text()) == sip::ParseStatus::ok &&
        (f = msg.find(sip::HeaderId::to)) != nullptr &&
        sip::parse_name_addr(f->value, to) == sip::Reason::none) {
        dirty_.emplace(to.uri.user);
    } else {
        mark_all_dirty();
    }
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

void ControlPlane::mark_all_dirty() {
    const BindingStore& store = registrar_.bindings();
    for (std::size_t a = 0; a < store.account_count(); ++a)
        dirty_.insert(store.account(static_cast<std::uint32_t>(a)).username);
    for (const auto& [name, list] : mirror_) dirty_.insert(name);
}

void ControlPlane::mark_expired(std::uint64_t now_s) {
    // Entries of refreshed bindings were replaced when their account was synced, so what is
    // left at or before now_s names accounts that (may) have lost a binding to expiry.
    for (auto it = expiry_index_.begin(); it != expiry_index_.end() && it->first <= now_s; ++it)
        dirty_.insert(it->second);
}

void ControlPlane::sync_bindings() {
    if (dirty_.empty()) return;
    ++stats_.binding_syncs;
    for (const std::string& name : dirty_) sync_account(name);
    dirty_.clear();
}

void ControlPlane::sync_account(const std::string& username) {
    const BindingStore& store = registrar_.bindings();
    const std::uint32_t a = store.find_account(username);
    std::vector<Mirrored>& old = mirror_[username];
    std::vector<Mirrored> now;
    std::vector<dp::LocationTable::ContactInput> contacts;
    std::uint32_t trunk_key = dp::kNoTrunkKey;
    dp::LocationRole role = dp::LocationRole::primary;
    if (a != kNoIndex) {
        const AccountBindings& ab = store.account(a);
        trunk_key = ab.trunk_key;
        role = ab.role;
        for (std::uint8_t i = 0; i < ab.count; ++i) {
            const Binding& b = store.binding(ab.ids[i]);
            if (!b.live) continue;
            Mirrored m;
            m.uri = b.uri;
            m.expires_at = b.expires_at;
            m.cseq = b.cseq;
            m.ip = b.ip;
            m.port = b.port;
            const Mirrored* before = nullptr;
            for (const Mirrored& o : old)
                if (o.uri == b.uri) before = &o;
            const bool changed = before == nullptr || before->expires_at != m.expires_at ||
                                 before->cseq != m.cseq || before->ip != m.ip ||
                                 before->port != m.port;
            if (changed && persist_ok_) {
                BindingView v;
                v.username = username;
                v.uri = b.uri;
                v.call_id = b.call_id;
                v.cseq = b.cseq;
                v.expires_at = b.expires_at;
                v.ip = b.ip;
                v.port = b.port;
                v.iface = b.iface;
                persist_.record_binding(v);
            }
            dp::LocationTable::ContactInput c;
            c.ip = b.ip;
            c.port = b.port;
            c.iface = b.iface;
            c.contact_id = b.contact_id;
            c.expires_at_s = b.expires_at;
            contacts.push_back(c);
            now.push_back(std::move(m));
        }
    }
    for (Mirrored& o : old) {
        bool still = false;
        for (const Mirrored& m : now) still = still || m.uri == o.uri;
        if (!still && persist_ok_) persist_.remove_binding(username, o.uri);
        expiry_index_.erase(o.expiry);
    }
    // ContactInput views point into `now`, which is final from here on.
    for (std::size_t i = 0; i < now.size(); ++i) {
        contacts[i].uri = now[i].uri;
        now[i].expiry = expiry_index_.emplace(now[i].expires_at, username);
    }
    keepalive_.set_account_contacts(username, trunk_key, role, contacts);
    if (now.empty())
        mirror_.erase(username);
    else
        old = std::move(now);
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
    if (registrar_.expire(now_s) > 0) mark_expired(now_s);
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
    mark_all_dirty();
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
