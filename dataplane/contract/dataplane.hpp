// The control plane's view of the data plane: start it from a validated config, stop it, read
// its counters and per-worker load, and exchange messages with the workers through the punt and
// inject rings (contract/rings.hpp). Everything here is called from the control-plane thread
// (the EAL main lcore) unless a declaration says otherwise; nothing here is on the packet path.
//
// Threads: start() initialises EAL (once per process), creates the mbuf and message pools, the
// rings, configures and starts every port, then launches one worker on every non-main lcore.
// The calling thread becomes the control plane; it owns no port queue.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/contract/config_spec.hpp"
#include "dataplane/contract/counters.hpp"
#include "dataplane/contract/limits.hpp"
#include "dataplane/contract/policy_snapshot.hpp"
#include "dataplane/contract/rings.hpp"

struct rte_rcu_qsbr;

namespace palisade::sip {
class NonceCountTable;
}

namespace palisade::dp {

class LocationTable;
class PeerHealthTable;

/// What the caller adds to the config's [dpdk] section.
struct StartOptions {
    /// argv[0] given to EAL.
    std::string program = "palisade";
    /// EAL arguments from the command line; they come after the config's, so they win where EAL
    /// takes the last value (e.g. "-l", "-m"), and add to it otherwise (e.g. "--vdev").
    std::vector<std::string> eal_overrides;
    /// When the config asks for hugepages and none are available, retry EAL with --no-huge
    /// (and -m from the pools' needs) instead of failing.
    bool fall_back_to_no_huge = true;
    /// The control plane's location state (registered contacts, blocked sources), read by every
    /// worker (reader id = worker index). Not owned; must outlive stop(). Null: none (tests).
    LocationTable* location = nullptr;
    /// The nonce-count high-water marks the registrar shares with the workers' digest checks
    /// (DESIGN.md §2: one nonce may serve a REGISTER and INVITEs on different workers). Not
    /// owned; must outlive stop(). Null: none (ProxyEnv::nonce_counts null; tests).
    sip::NonceCountTable* nonce_counts = nullptr;
    /// Health of the core peers as keepalive sees it (cp writes, workers read). Not owned; must
    /// outlive stop(). Null: every core peer usable.
    const PeerHealthTable* peers = nullptr;
};

/// Load of one worker, so that load is visible even though a poll-mode core always runs at 100 %.
struct WorkerLoad {
    unsigned lcore = 0;              ///< EAL lcore the worker runs on
    std::uint64_t busy_cycles = 0;   ///< TSC cycles spent in polls that found work
    std::uint64_t idle_cycles = 0;   ///< TSC cycles spent in polls that found nothing (and sleeping)
    std::uint64_t polls = 0;         ///< loop iterations
    std::uint64_t busy_polls = 0;    ///< iterations that found work
};

/// One port as started.
struct PortInfo {
    std::string name;        ///< InterfaceSpec::name
    std::string device;      ///< InterfaceSpec::device
    std::uint16_t port_id;   ///< DPDK port id
    std::uint16_t queues;    ///< rx = tx queues (one per worker)
    bool rss;                ///< RSS spreads received packets over the queues
    std::uint8_t mac[6];     ///< the port's MAC address
};

class DataPlaneImpl;

/// The running data plane. One per process (EAL initialises once).
class DataPlane {
public:
    DataPlane();
    ~DataPlane();  ///< stop()s when running
    DataPlane(const DataPlane&) = delete;
    DataPlane& operator=(const DataPlane&) = delete;

    /// cp only. EAL, pools, rings, ports, workers. On failure returns false with a message that
    /// names what could not be used and why ("interface access (net_af_packet0,iface=x): ...");
    /// nothing is left running then. Never throws.
    bool start(const ConfigSpec& config, const StartOptions& options, std::string& error) noexcept;
    /// cp only. Stops the workers (they finish their current burst, then end every call: BYE to
    /// both sides of answered calls, CANCEL of pending ones, an `ended` event with reason
    /// shutdown on the punt ring), then the ports. Idempotent.
    void stop() noexcept;
    /// cp only. Stops the workers only: each ends its calls (BYE, CANCEL, an `ended` event with
    /// reason shutdown) and returns; the rings stay, so that the control plane can drain those
    /// last events (receive_punts) before stop(). Idempotent.
    void stop_workers() noexcept;
    /// True between a successful start() and stop().
    bool running() const noexcept;

    /// Number of workers (EAL lcores other than the main one).
    unsigned worker_count() const noexcept;
    /// Ports in ConfigSpec::interfaces order.
    const std::vector<PortInfo>& ports() const noexcept;

    /// Any thread. Counter c summed over every worker and port.
    std::uint64_t counter(Counter c) const noexcept;
    /// Any thread. Counter c of one port (interface index), summed over workers.
    std::uint64_t port_counter(std::uint16_t port, Counter c) const noexcept;
    /// Any thread. Counter c of one worker, summed over ports.
    std::uint64_t worker_counter(unsigned worker, Counter c) const noexcept;
    /// Any thread. Busy and idle cycles of one worker.
    WorkerLoad worker_load(unsigned worker) const noexcept;
    /// TSC frequency (cycles per second), to turn WorkerLoad cycles into time.
    std::uint64_t tsc_hz() const noexcept;

    /// cp only. Up to n punted messages from worker's punt ring; returns how many. Each message
    /// is the caller's until it gives it back with release() (or re-uses it for inject()).
    unsigned receive_punts(unsigned worker, RingMessage** out, unsigned n) noexcept;
    /// cp only. A message from the pool (header zeroed), or null when the pool is exhausted.
    RingMessage* allocate() noexcept;
    /// Any thread. Gives a message back to the pool.
    void release(RingMessage* m) noexcept;
    /// cp only. Queues m (kind inject_sip) to worker's inject ring. Any worker can send any
    /// datagram; a reply to a punted message goes best through the worker that punted it
    /// (m->worker), whose ARP table already knows the peer. On success the worker owns
    /// it; on false (ring full, or not running) the caller still does, and counts it.
    bool inject(unsigned worker, RingMessage* m) noexcept;

    /// The slot through which workers read the policy snapshot (reader id = worker index).
    /// start() publishes the snapshot of the start-up config; a reload is
    /// reload_policy(*policy_slot(), *limits(), spec). Null before start(). cp only.
    PolicySlot* policy_slot() noexcept;
    /// The per-trunk gauges and windows the snapshots bind to (outlive every reload).
    LimitsTable* limits() noexcept;

    /// The RCU variable every worker reports quiescence to once per loop; the control plane
    /// synchronises on it before freeing a replaced snapshot. Null before start().
    rte_rcu_qsbr* rcu() const noexcept;

private:
    std::unique_ptr<DataPlaneImpl> impl_;
};

}  // namespace palisade::dp
