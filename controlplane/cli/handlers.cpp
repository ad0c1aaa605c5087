#include "controlplane/cli/handlers.hpp"

#include <cstdio>
#include <string_view>

#include "controlplane/calls/call_records.hpp"
#include "controlplane/guard/auth_guard.hpp"
#include "controlplane/json.hpp"
#include "controlplane/keepalive/failover.hpp"
#include "controlplane/keepalive/keepalive.hpp"
#include "controlplane/persist/persist.hpp"
#include "controlplane/registrar/registrar.hpp"
#include "dataplane/contract/dataplane.hpp"
#include "dataplane/contract/location.hpp"
#include "dataplane/policy/snapshot.hpp"

namespace palisade::cp {
namespace {

std::string ip_text(std::uint32_t a) {
    char b[16];
    std::snprintf(b, sizeof b, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
    return b;
}

std::string mac_text(const std::uint8_t* m) {
    char b[18];
    std::snprintf(b, sizeof b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return b;
}

std::string_view reachability_name(dp::Reachability r) {
    switch (r) {
        case dp::Reachability::up:
            return "up";
        case dp::Reachability::down:
            return "down";
        case dp::Reachability::unknown:
            break;
    }
    return "unknown";
}

std::string unix_time(std::uint64_t s) {
    return CallRecords::format_time(s * 1'000'000ull);
}

// A drop counter: its description says the packet or message was dropped or not sent.
bool is_drop_counter(dp::Counter c) {
    const std::string_view h = dp::counter_help(c);
    return h.find("dropped") != std::string_view::npos ||
           h.find("not sent") != std::string_view::npos ||
           h.find("lost") != std::string_view::npos || h.find("refused") != std::string_view::npos;
}

std::string ok_head(JsonWriter& w, std::string_view command) {
    w.begin_object().member("ok", true).member("command", command);
    return {};
}

}  // namespace

CliHandlers::CliHandlers(CliContext ctx) : ctx_(std::move(ctx)) {
    if (!ctx_.now_unix_s) ctx_.now_unix_s = [] { return std::uint64_t{0}; };
    if (!ctx_.now_ms) ctx_.now_ms = [] { return std::uint64_t{0}; };
}

const std::vector<std::string>& CliHandlers::commands() {
    static const std::vector<std::string> kNames = {"status",        "trunks", "trunk",
                                                    "registrations", "calls",  "counters",
                                                    "blocked",       "reload", "failover"};
    return kNames;
}

std::string CliHandlers::handle(const CliRequest& r) {
    const std::size_t n = r.args.size();
    auto arity = [&](std::size_t want, const char* usage) -> std::string {
        if (n == want) return {};
        return cli_error_response(std::string("usage: ") + usage);
    };
    std::string bad;
    if (r.command == "status") return (bad = arity(0, "status")).empty() ? status() : bad;
    if (r.command == "trunks") return (bad = arity(0, "trunks")).empty() ? trunks() : bad;
    if (r.command == "trunk") return (bad = arity(1, "trunk ID")).empty() ? trunk(r.args[0]) : bad;
    if (r.command == "registrations")
        return (bad = arity(0, "registrations")).empty() ? registrations() : bad;
    if (r.command == "calls") return (bad = arity(0, "calls")).empty() ? calls() : bad;
    if (r.command == "counters") return (bad = arity(0, "counters")).empty() ? counters() : bad;
    if (r.command == "blocked") return (bad = arity(0, "blocked")).empty() ? blocked() : bad;
    if (r.command == "reload") return (bad = arity(0, "reload")).empty() ? reload() : bad;
    if (r.command == "failover") {
        bad = arity(2, "failover ID auto|primary|secondary|dialplan");
        return bad.empty() ? failover(r.args[0], r.args[1]) : bad;
    }
    return cli_error_response("unknown command '" + r.command + "'");
}

std::uint64_t CliHandlers::calls_started_total() const {
    const dp::PolicySnapshot* snap = ctx_.snapshot ? ctx_.snapshot() : nullptr;
    if (ctx_.calls == nullptr || snap == nullptr) return 0;
    std::uint64_t total = 0;
    const std::uint64_t now = ctx_.now_unix_s();
    for (std::uint32_t t = 0; t < snap->trunk_count(); ++t)
        total += ctx_.calls->trunk_counts(snap->info(t).id, now).started;
    return total;
}

void CliHandlers::sample() {
    prev_ms_ = last_ms_;
    prev_packets_ = last_packets_;
    prev_calls_ = last_calls_;
    last_ms_ = ctx_.now_ms();
    last_packets_ = ctx_.plane != nullptr ? ctx_.plane->counter(dp::Counter::rx_packets) : 0;
    last_calls_ = calls_started_total();
}

std::string CliHandlers::status() {
    JsonWriter w;
    ok_head(w, "status");
    const std::uint64_t now = ctx_.now_unix_s();
    w.member("uptime_s", now >= ctx_.started_unix_s ? now - ctx_.started_unix_s : 0ull)
        .member("started", unix_time(ctx_.started_unix_s))
        .member("config", ctx_.config_path);
    const dp::PolicySnapshot* snap = ctx_.snapshot ? ctx_.snapshot() : nullptr;
    w.member("policy_generation", snap != nullptr ? snap->generation() : 0ull)
        .member("trunks", snap != nullptr ? snap->trunk_count() : 0u);

    w.key("ports").begin_array();
    if (ctx_.plane != nullptr) {
        const auto& ports = ctx_.plane->ports();
        for (std::size_t i = 0; i < ports.size(); ++i) {
            const dp::PortInfo& p = ports[i];
            const auto idx = static_cast<std::uint16_t>(i);
            w.begin_object()
                .member("name", p.name)
                .member("device", p.device)
                .member("port_id", static_cast<unsigned>(p.port_id))
                .member("queues", static_cast<unsigned>(p.queues))
                .member("rss", p.rss)
                .member("mac", mac_text(p.mac))
                .member("rx_packets", ctx_.plane->port_counter(idx, dp::Counter::rx_packets))
                .member("tx_packets", ctx_.plane->port_counter(idx, dp::Counter::tx_packets))
                .end_object();
        }
    }
    w.end_array();

    w.key("workers").begin_array();
    if (ctx_.plane != nullptr) {
        for (unsigned i = 0; i < ctx_.plane->worker_count(); ++i) {
            const dp::WorkerLoad l = ctx_.plane->worker_load(i);
            const double total = static_cast<double>(l.busy_cycles + l.idle_cycles);
            const double busy =
                total > 0 ? 100.0 * static_cast<double>(l.busy_cycles) / total : 0.0;
            w.begin_object()
                .member("index", i)
                .member("lcore", l.lcore)
                .member("busy_pct", busy)
                .member("idle_pct", total > 0 ? 100.0 - busy : 0.0)
                .member("polls", l.polls)
                .member("rx_packets", ctx_.plane->worker_counter(i, dp::Counter::rx_packets))
                .end_object();
        }
    }
    w.end_array();

    const double secs = last_ms_ > prev_ms_ && prev_ms_ != 0
                            ? static_cast<double>(last_ms_ - prev_ms_) / 1000.0
                            : 0.0;
    w.member("packets_per_s",
             secs > 0 ? static_cast<double>(last_packets_ - prev_packets_) / secs : 0.0)
        .member("calls_per_s",
                secs > 0 ? static_cast<double>(last_calls_ - prev_calls_) / secs : 0.0)
        .member("live_calls", ctx_.calls != nullptr
                                  ? static_cast<unsigned long long>(ctx_.calls->live_count())
                                  : 0ull)
        .member("registrations", ctx_.registrar != nullptr ? static_cast<unsigned long long>(
                                                                 ctx_.registrar->bindings().size())
                                                           : 0ull)
        .member("blocked", ctx_.guard != nullptr
                               ? static_cast<unsigned long long>(ctx_.guard->blocked().size())
                               : 0ull);

    w.key("core_peers").begin_array();
    if (ctx_.keepalive != nullptr) {
        for (const TargetStatus& t : ctx_.keepalive->targets()) {
            if (t.kind != TargetKind::core_peer) continue;
            w.begin_object()
                .member("index", t.peer_index)
                .member("target", t.name)
                .member("ip", ip_text(t.ip))
                .member("port", static_cast<unsigned>(t.port))
                .member("state", reachability_name(t.state))
                .member("sent", t.sent)
                .member("answered", t.answered)
                .member("missed", t.missed)
                .end_object();
        }
    }
    w.end_array();

    w.key("drops").begin_object();
    for (std::size_t i = 0; i < dp::kCounterCount; ++i) {
        const auto c = static_cast<dp::Counter>(i);
        if (is_drop_counter(c))
            w.member(dp::counter_name(c), ctx_.plane != nullptr ? ctx_.plane->counter(c) : 0ull);
    }
    w.end_object();
    w.end_object();
    return w.take();
}

namespace {

struct AccountView {
    std::string username;
    std::uint32_t contacts = 0;
    std::uint32_t up = 0, down = 0, unknown = 0;
};

AccountView account_view(const dp::LocationTable* location, const std::string& username) {
    AccountView v;
    v.username = username;
    if (location == nullptr || username.empty()) return v;
    for (const dp::LocationContact& c : location->contacts(username)) {
        ++v.contacts;
        switch (c.reachable()) {
            case dp::Reachability::up:
                ++v.up;
                break;
            case dp::Reachability::down:
                ++v.down;
                break;
            case dp::Reachability::unknown:
                ++v.unknown;
                break;
        }
    }
    return v;
}

void write_account(JsonWriter& w, const AccountView& a) {
    w.begin_object()
        .member("username", a.username)
        .member("registered", a.contacts > 0)
        .member("reachable", a.contacts > a.down)
        .member("contacts", a.contacts)
        .member("contacts_up", a.up)
        .member("contacts_down", a.down)
        .member("contacts_unknown", a.unknown)
        .end_object();
}

void write_binding(JsonWriter& w, const Binding& b, std::string_view username,
                   std::string_view trunk, std::string_view role, const dp::LocationTable* location,
                   std::uint64_t now) {
    dp::Reachability r = dp::Reachability::unknown;
    if (location != nullptr)
        for (const dp::LocationContact& c : location->contacts(username))
            if (c.contact_id == b.contact_id) r = c.reachable();
    w.begin_object()
        .member("username", username)
        .member("trunk", trunk)
        .member("role", role)
        .member("uri", b.uri)
        .member("source", ip_text(b.ip) + ":" + std::to_string(b.port))
        .member("ip", ip_text(b.ip))
        .member("port", static_cast<unsigned>(b.port))
        .member("iface", static_cast<unsigned>(b.iface))
        .member("expires_in_s", b.expires_at > now ? b.expires_at - now : 0ull)
        .member("expires_at", unix_time(b.expires_at))
        .member("call_id", b.call_id)
        .member("cseq", b.cseq)
        .member("reachability", reachability_name(r))
        .end_object();
}

}  // namespace

std::string CliHandlers::trunks() {
    JsonWriter w;
    ok_head(w, "trunks");
    const dp::PolicySnapshot* snap = ctx_.snapshot ? ctx_.snapshot() : nullptr;
    const std::uint64_t now = ctx_.now_unix_s();
    w.key("trunks").begin_array();
    for (std::uint32_t t = 0; snap != nullptr && t < snap->trunk_count(); ++t) {
        const dp::TrunkInfo& info = snap->info(t);
        const dp::TrunkRecord& rec = snap->trunk(t);
        const TrunkFailover f =
            ctx_.failover != nullptr ? ctx_.failover->get(rec.limit_slot) : TrunkFailover{};
        const TrunkCallCounts cc =
            ctx_.calls != nullptr ? ctx_.calls->trunk_counts(info.id, now) : TrunkCallCounts{};
        w.begin_object().member("id", info.id).key("primary");
        write_account(w, account_view(ctx_.location, info.primary.username));
        w.key("secondary");
        write_account(w, account_view(ctx_.location, info.secondary.username));
        w.member("failover", failover_mode_name(f.setting))
            .member("failover_effective", failover_mode_name(f.effective))
            .member("live_calls", cc.live)
            .member("max_concurrent", rec.limits.max_concurrent)
            .member("calls_hour", cc.hour)
            .member("calls_per_hour", rec.limits.calls_per_hour)
            .member("calls_day", cc.day)
            .member("calls_per_day", rec.limits.calls_per_day)
            .member("calls_week", cc.week)
            .member("calls_per_week", rec.limits.calls_per_week)
            .end_object();
    }
    w.end_array().end_object();
    return w.take();
}

std::string CliHandlers::trunk(const std::string& id) {
    const dp::PolicySnapshot* snap = ctx_.snapshot ? ctx_.snapshot() : nullptr;
    const std::uint32_t t = snap != nullptr ? snap->find_trunk(id) : dp::kNoTrunk;
    if (snap == nullptr || t == dp::kNoTrunk || t >= snap->trunk_count())
        return cli_error_response("no trunk '" + id + "'");
    const dp::TrunkInfo& info = snap->info(t);
    const dp::TrunkRecord& rec = snap->trunk(t);
    const std::uint64_t now = ctx_.now_unix_s();
    const TrunkFailover f =
        ctx_.failover != nullptr ? ctx_.failover->get(rec.limit_slot) : TrunkFailover{};
    const TrunkCallCounts cc =
        ctx_.calls != nullptr ? ctx_.calls->trunk_counts(info.id, now) : TrunkCallCounts{};
    JsonWriter w;
    ok_head(w, "trunk");
    w.member("id", info.id).member("policy", info.policy_name).key("primary");
    write_account(w, account_view(ctx_.location, info.primary.username));
    w.key("secondary");
    write_account(w, account_view(ctx_.location, info.secondary.username));
    w.key("failover")
        .begin_object()
        .member("setting", failover_mode_name(f.setting))
        .member("effective", failover_mode_name(f.effective))
        .member("published", failover_mode_name(f.published))
        .member("changes", f.changes)
        .end_object();
    w.key("registrations").begin_array();
    if (ctx_.registrar != nullptr) {
        const BindingStore& store = ctx_.registrar->bindings();
        for (const dp::AccountSpec* acc : {&info.primary, &info.secondary}) {
            const std::uint32_t a =
                acc->username.empty() ? kNoIndex : store.find_account(acc->username);
            if (a == kNoIndex) continue;
            const AccountBindings& ab = store.account(a);
            for (std::uint8_t i = 0; i < ab.count; ++i)
                write_binding(w, store.binding(ab.ids[i]), ab.username, info.id,
                              acc == &info.primary ? "primary" : "secondary", ctx_.location, now);
        }
    }
    w.end_array();
    const std::uint32_t slot = rec.limit_slot;
    w.key("calls")
        .begin_object()
        .member("live", cc.live)
        .member("concurrent_gauge", ctx_.limits != nullptr && slot != dp::kNoLimitSlot
                                        ? ctx_.limits->concurrent(slot)
                                        : 0u)
        .member("hour", cc.hour)
        .member("day", cc.day)
        .member("week", cc.week)
        .member("started", cc.started)
        .member("answered", cc.answered)
        .member("ended", cc.ended)
        .member("refused", cc.refused)
        .member("failovers", cc.failovers)
        .end_object();
    w.key("limits")
        .begin_object()
        .member("max_concurrent", rec.limits.max_concurrent)
        .member("attempts_per_second", rec.limits.attempts_per_second)
        .member("calls_per_hour", rec.limits.calls_per_hour)
        .member("calls_per_day", rec.limits.calls_per_day)
        .member("calls_per_week", rec.limits.calls_per_week)
        .member("max_duration_s", rec.limits.max_duration_s)
        .end_object();
    w.end_object();
    return w.take();
}

std::string CliHandlers::registrations() {
    JsonWriter w;
    ok_head(w, "registrations");
    const dp::PolicySnapshot* snap = ctx_.snapshot ? ctx_.snapshot() : nullptr;
    const std::uint64_t now = ctx_.now_unix_s();
    w.member("count", ctx_.registrar != nullptr
                          ? static_cast<unsigned long long>(ctx_.registrar->bindings().size())
                          : 0ull);
    w.key("registrations").begin_array();
    if (ctx_.registrar != nullptr) {
        const BindingStore& store = ctx_.registrar->bindings();
        for (std::size_t a = 0; a < store.account_count(); ++a) {
            const AccountBindings& ab = store.account(static_cast<std::uint32_t>(a));
            if (ab.count == 0) continue;
            std::string trunk_id;
            std::string_view role =
                ab.role == dp::LocationRole::secondary ? "secondary" : "primary";
            if (snap != nullptr) {
                const dp::AccountRef ref = snap->find_account(ab.username);
                if (ref.trunk != dp::kNoTrunk && ref.trunk < snap->trunk_count())
                    trunk_id = snap->info(ref.trunk).id;
            }
            for (std::uint8_t i = 0; i < ab.count; ++i)
                write_binding(w, store.binding(ab.ids[i]), ab.username, trunk_id, role,
                              ctx_.location, now);
        }
    }
    w.end_array().end_object();
    return w.take();
}

std::string CliHandlers::calls() {
    JsonWriter w;
    ok_head(w, "calls");
    const std::uint64_t now_us = ctx_.now_unix_s() * 1'000'000ull;
    std::vector<LiveCall> live;
    if (ctx_.calls != nullptr) live = ctx_.calls->live_calls();
    w.member("count", static_cast<unsigned long long>(live.size())).key("calls").begin_array();
    for (const LiveCall& c : live) {
        w.begin_object()
            .member("call_id", c.call_id)
            .member("trunk", c.trunk_id)
            .member("account", dp::call_account_name(c.account))
            .member("direction", dp::call_direction_name(c.direction))
            .member("caller", c.caller)
            .member("callee", c.callee)
            .member("start", CallRecords::format_time(c.start_us))
            .member("answered", c.answer_us != 0);
        if (c.answer_us != 0)
            w.member("answer", CallRecords::format_time(c.answer_us));
        else
            w.null_member("answer");
        const std::uint64_t from = c.answer_us != 0 ? c.answer_us : c.start_us;
        w.member("duration_s",
                 now_us > from && c.answer_us != 0 ? static_cast<double>(now_us - from) / 1e6 : 0.0)
            .member("age_s",
                    now_us > c.start_us ? static_cast<double>(now_us - c.start_us) / 1e6 : 0.0)
            .member("failovers", c.failovers)
            .member("worker", static_cast<unsigned>(c.worker))
            .end_object();
    }
    w.end_array().end_object();
    return w.take();
}

std::string CliHandlers::counters() {
    JsonWriter w;
    ok_head(w, "counters");
    w.key("dataplane").begin_object();
    for (std::size_t i = 0; i < dp::kCounterCount; ++i) {
        const auto c = static_cast<dp::Counter>(i);
        w.member(dp::counter_name(c), ctx_.plane != nullptr ? ctx_.plane->counter(c) : 0ull);
    }
    w.end_object();
    const RegistrarCounters rc =
        ctx_.registrar != nullptr ? ctx_.registrar->counters() : RegistrarCounters{};
    w.key("registrar")
        .begin_object()
        .member("received", rc.received)
        .member("dropped_unparsable", rc.dropped_unparsable)
        .member("dropped_blocked", rc.dropped_blocked)
        .member("dropped_not_register", rc.dropped_not_register)
        .member("reply_too_large", rc.reply_too_large)
        .member("r200", rc.r200)
        .member("r400", rc.r400)
        .member("r401", rc.r401)
        .member("r403", rc.r403)
        .member("r404", rc.r404)
        .member("r420", rc.r420)
        .member("r423", rc.r423)
        .member("r5xx", rc.r5xx)
        .member("challenges", rc.challenges)
        .member("stale", rc.stale)
        .member("auth_failures", rc.auth_failures)
        .member("retransmissions", rc.retransmissions)
        .member("bindings_added", rc.bindings_added)
        .member("bindings_refreshed", rc.bindings_refreshed)
        .member("bindings_removed", rc.bindings_removed)
        .member("bindings_expired", rc.bindings_expired)
        .member("location_refused", rc.location_refused)
        .end_object();
    const AuthGuardCounters g =
        ctx_.guard != nullptr ? ctx_.guard->counters() : AuthGuardCounters{};
    w.key("guard")
        .begin_object()
        .member("failures", g.failures)
        .member("successes", g.successes)
        .member("blocks", g.blocks)
        .member("blocks_by_username", g.blocks_by_username)
        .member("unblocks", g.unblocks)
        .member("block_refused", g.block_refused)
        .member("forbidden", g.forbidden)
        .member("untracked", g.untracked)
        .member("failures_while_blocked", g.failures_while_blocked)
        .end_object();
    const KeepaliveCounters k =
        ctx_.keepalive != nullptr ? ctx_.keepalive->counters() : KeepaliveCounters{};
    w.key("keepalive")
        .begin_object()
        .member("sent", k.sent)
        .member("send_failed", k.send_failed)
        .member("build_failed", k.build_failed)
        .member("deferred_ticks", k.deferred_ticks)
        .member("skipped_busy", k.skipped_busy)
        .member("answered", k.answered)
        .member("timeouts", k.timeouts)
        .member("unmatched", k.unmatched)
        .member("wrong_source", k.wrong_source)
        .member("malformed", k.malformed)
        .member("went_up", k.went_up)
        .member("went_down", k.went_down)
        .end_object();
    const FailoverCounters f =
        ctx_.failover != nullptr ? ctx_.failover->counters() : FailoverCounters{};
    w.key("failover")
        .begin_object()
        .member("changes", f.changes)
        .member("to_primary", f.to_primary)
        .member("to_secondary", f.to_secondary)
        .member("to_dialplan", f.to_dialplan)
        .member("forced", f.forced)
        .member("publish_refused", f.publish_refused)
        .end_object();
    const CallRecordsCounters c =
        ctx_.calls != nullptr ? ctx_.calls->counters() : CallRecordsCounters{};
    w.key("call_records")
        .begin_object()
        .member("events", c.events)
        .member("bad_messages", c.bad_messages)
        .member("records", c.records)
        .member("refused_records", c.refused_records)
        .member("orphan_events", c.orphan_events)
        .member("duplicate_starts", c.duplicate_starts)
        .member("stale_swept", c.stale_swept)
        .member("flushes", c.flushes)
        .member("bytes_written", c.bytes_written)
        .member("write_errors", c.write_errors)
        .member("records_dropped", c.records_dropped)
        .member("reopens", c.reopens)
        .member("reopen_errors", c.reopen_errors)
        .end_object();
    const PersistStats p = ctx_.persist != nullptr ? ctx_.persist->stats() : PersistStats{};
    w.key("persistence")
        .begin_object()
        .member("commits", p.commits)
        .member("commit_errors", p.commit_errors)
        .member("bindings_written", p.bindings_written)
        .member("bindings_removed", p.bindings_removed)
        .member("trunk_rows_written", p.trunk_rows_written)
        .member("rows_pruned", p.rows_pruned)
        .member("last_commit_us", p.last_commit_us)
        .member("max_commit_us", p.max_commit_us)
        .member("pending", p.pending)
        .end_object();
    const dp::LocationStats l =
        ctx_.location != nullptr ? ctx_.location->stats() : dp::LocationStats{};
    w.key("location")
        .begin_object()
        .member("records_published", l.records_published)
        .member("records_retired", l.records_retired)
        .member("records_freed", l.records_freed)
        .member("accounts_full", l.accounts_full)
        .member("sources_full", l.sources_full)
        .member("blocked_full", l.blocked_full)
        .member("map_rebuilds", l.map_rebuilds)
        .member("accounts_with_contacts", l.accounts_with_contacts)
        .member("contacts", l.contacts)
        .member("bytes", static_cast<unsigned long long>(l.bytes))
        .end_object();
    const CliServerCounters s =
        ctx_.server != nullptr ? ctx_.server->counters() : CliServerCounters{};
    w.key("cli")
        .begin_object()
        .member("accepted", s.accepted)
        .member("refused_busy", s.refused_busy)
        .member("requests", s.requests)
        .member("bad_requests", s.bad_requests)
        .member("timeouts", s.timeouts)
        .member("write_errors", s.write_errors)
        .end_object();
    w.end_object();
    return w.take();
}

std::string CliHandlers::blocked() {
    JsonWriter w;
    ok_head(w, "blocked");
    const std::uint64_t now = ctx_.now_unix_s();
    std::vector<BlockedSource> list;
    if (ctx_.guard != nullptr) list = ctx_.guard->blocked();
    w.member("count", static_cast<unsigned long long>(list.size())).key("blocked").begin_array();
    for (const BlockedSource& b : list) {
        w.begin_object()
            .member("ip", ip_text(b.ip))
            .member("reason", block_reason_name(b.reason))
            .member("username", b.username)
            .member("failures", b.failures)
            .member("since", unix_time(b.since_s))
            .member("until", unix_time(b.until_s))
            .member("remaining_s", b.until_s > now ? b.until_s - now : 0ull)
            .end_object();
    }
    w.end_array().end_object();
    return w.take();
}

std::string CliHandlers::reload() {
    if (!ctx_.reload) return cli_error_response("reload is not available");
    const ReloadOutcome r = ctx_.reload();
    JsonWriter w;
    if (!r.ok) {
        w.begin_object()
            .member("ok", false)
            .member("command", "reload")
            .member("error", "configuration refused (" + std::to_string(r.errors.size()) +
                                 " error(s)); nothing changed")
            .key("errors")
            .begin_array();
        for (const std::string& e : r.errors) w.value(e);
        w.end_array().end_object();
        return w.take();
    }
    ok_head(w, "reload");
    w.member("generation", r.generation).member("summary", r.summary).end_object();
    return w.take();
}

std::string CliHandlers::failover(const std::string& id, const std::string& mode) {
    dp::FailoverMode m{};
    if (!parse_failover_mode(mode, m))
        return cli_error_response(
            "failover mode must be auto, primary, secondary or dialplan, not '" + mode + "'");
    const dp::PolicySnapshot* snap = ctx_.snapshot ? ctx_.snapshot() : nullptr;
    const std::uint32_t t = snap != nullptr ? snap->find_trunk(id) : dp::kNoTrunk;
    if (snap == nullptr || t == dp::kNoTrunk || t >= snap->trunk_count())
        return cli_error_response("no trunk '" + id + "'");
    if (ctx_.failover == nullptr) return cli_error_response("failover is not available");
    const std::uint32_t key = snap->trunk(t).limit_slot;
    if (!ctx_.failover->force(key, m))
        return cli_error_response("trunk '" + id + "' has no failover slot");
    const TrunkFailover f = ctx_.failover->get(key);
    JsonWriter w;
    ok_head(w, "failover");
    w.member("trunk", id)
        .member("setting", failover_mode_name(f.setting))
        .member("effective", failover_mode_name(f.effective))
        .member("published", failover_mode_name(f.published))
        .end_object();
    return w.take();
}

}  // namespace palisade::cp
