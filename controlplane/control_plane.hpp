// The control-plane thread's modules and loop (DESIGN.md §2; issue 5), driven by the daemon
// (daemon.cpp). cp only: everything here runs on the EAL main lcore, one pass of the loop at a
// time, so the modules need no locks between them.
//
// One pass of the loop (run_once), one function per concern:
//   drain_punts   every worker's punt ring: REGISTER -> registrar -> reply injected through the
//                 worker that punted it; responses to our requests -> keepalive; call events ->
//                 call records (+ counted calls -> persistence);
//   tick          keepalive probes and timeouts, binding expiry, the guard's block expiry,
//                 location-record reclaim, call-record flush and stale sweep, rate samples;
//   poll_cli      the CLI socket (non-blocking; handlers run here);
//   reopen        SIGHUP: the call-record file is reopened (logrotate).
//
// Start-up order (run_daemon): load_state() checks the location table (sized from the config;
// start-up refuses with its message when it could not be allocated) and opens the database
// BEFORE the data plane starts; after start, restore_state() reads the persisted bindings and
// call counts and applies them in the same pass (registrar in bulk: one location record per
// account, LimitsTable, call records, keepalive) before the loop handles its first punted
// message.
//
// Registrar changes reach the other modules through its publish observers, as they happen
// (registrar.hpp): every binding added, refreshed, removed or expired is marked in
// persistence's pending batch (no I/O on this thread; the writer thread group-commits), and
// every account record published to the workers' location table sets keepalive's targets for
// that account. Authentication outcomes go straight to the brute-force guard, which decides
// when a wrong answer gets 403 instead of a new challenge.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "controlplane/calls/call_records.hpp"
#include "controlplane/cli/handlers.hpp"
#include "controlplane/cli/server.hpp"
#include "controlplane/config/loader.hpp"
#include "controlplane/guard/auth_guard.hpp"
#include "controlplane/keepalive/failover.hpp"
#include "controlplane/keepalive/keepalive.hpp"
#include "controlplane/persist/persist.hpp"
#include "controlplane/registrar/registrar.hpp"
#include "dataplane/contract/dataplane.hpp"
#include "dataplane/contract/location.hpp"
#include "dataplane/contract/peer_health.hpp"
#include "parsers/sip/nonce.hpp"

namespace palisade::cp {

/// What the loop saw (printed at shutdown).
struct ControlPlaneStats {
    std::uint64_t registers = 0;         ///< REGISTERs punted
    std::uint64_t register_replies = 0;  ///< replies injected
    std::uint64_t reply_dropped = 0;     ///< no pool message, or the inject ring was full
    std::uint64_t cp_responses = 0;      ///< responses to our requests (keepalive)
    std::uint64_t call_events = 0;
    std::uint64_t other_punts = 0;
    std::uint64_t probes_dropped = 0;  ///< keepalive OPTIONS not queued (pool or ring full)
    std::uint64_t reloads = 0, reloads_refused = 0;
    std::uint64_t reopens = 0;
};

class ControlPlane {
  public:
    ControlPlane(dp::DataPlane& plane, dp::ConfigSpec config, Settings settings);
    ~ControlPlane();
    ControlPlane(const ControlPlane&) = delete;
    ControlPlane& operator=(const ControlPlane&) = delete;

    /// Before the data plane starts: checks the location table (sized from the config by the
    /// constructor), opens the call-record file and the database. False with `error` (e.g. the
    /// location table could not be allocated: start-up refuses with its reason).
    bool load_state(std::string& error);
    /// After the data plane started, before the loop: reads the persisted state and applies it
    /// in one pass (registrar in bulk, LimitsTable, call records, keepalive), starts the
    /// persistence writer, opens the CLI socket. False with `error`.
    bool restore_state(std::string& error);
    /// Runs the loop until `stop`; `hup` (set by SIGHUP) reopens the call-record file.
    void run(const std::atomic<bool>& stop, std::atomic<bool>& hup);
    /// One pass of the loop; returns the punted messages handled.
    unsigned run_once(std::atomic<bool>& hup);
    /// After DataPlane::stop_workers(): handles what the workers left on the punt rings (the
    /// `ended` events of the calls they ended at shutdown), so that every call has its record.
    void drain_final();
    /// Shutdown: closes the CLI socket, flushes call records, commits and stops persistence.
    void close();

    [[nodiscard]] const ControlPlaneStats& stats() const noexcept { return stats_; }
    /// The location state this control plane writes; the data plane's workers read it
    /// (dp::StartOptions::location), so it must outlive the data plane's stop().
    [[nodiscard]] dp::LocationTable& location() noexcept { return location_; }
    /// The nonce-count table the registrar shares with the workers' digest checks, and the core
    /// peers' health keepalive writes (dp::StartOptions::nonce_counts, peers): both must
    /// outlive the data plane's stop().
    [[nodiscard]] sip::NonceCountTable& nonce_counts() noexcept { return nonce_counts_; }
    [[nodiscard]] const dp::PeerHealthTable& peers() const noexcept { return peers_; }
    /// One line per module with its main figures (shutdown log).
    [[nodiscard]] std::string summary() const;

  private:
    void make_handlers();
    unsigned drain_punts();
    void handle_register(dp::RingMessage& m);
    void handle_call_event(const dp::RingMessage& m);
    void on_binding(const BindingEvent& ev);  // registrar observer -> persistence
    void tick();
    ReloadOutcome reload();
    bool send_datagram(const Datagram& d);
    const dp::PolicySnapshot* snapshot() const;

    dp::DataPlane& plane_;
    dp::ConfigSpec config_;
    Settings settings_;
    dp::LocationTable location_;
    sip::NonceCountTable nonce_counts_;
    dp::PeerHealthTable peers_;
    Registrar registrar_;
    AuthGuard guard_;
    FailoverTable failover_;
    Keepalive keepalive_;
    CallRecords calls_;
    Persist persist_;
    CliServer cli_;
    std::unique_ptr<CliHandlers> handlers_;
    ControlPlaneStats stats_;

    bool persist_ok_ = false;

    std::uint64_t last_sample_ms_ = 0;
    std::uint64_t last_sweep_ms_ = 0;
    std::uint64_t started_unix_s_ = 0;
};

/// Unix seconds (wall clock) and a monotonic ms clock.
std::uint64_t unix_now_s();
std::uint64_t unix_now_us();
std::uint64_t mono_now_ms();

}  // namespace palisade::cp
