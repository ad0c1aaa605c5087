// DataPlane (contract/dataplane.hpp): EAL, pools, ports, the Engine and its workers on every
// non-main lcore. cp thread only; nothing here is on the packet path.
#include "dataplane/contract/dataplane.hpp"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <algorithm>
#include <cstring>
#include <exception>

#include "dataplane/counters.hpp"
#include "dataplane/eal.hpp"
#include "dataplane/port.hpp"
#include "dataplane/sip/transaction.hpp"
#include "dataplane/worker.hpp"

namespace palisade::dp {

class DataPlaneImpl {
public:
    ~DataPlaneImpl() {
        stop();
        engine_.reset();
        policy_.reset();
        limits_.reset();
        // Gives back hugepage files and EAL threads (one DataPlane per process: EAL is ours).
        if (eal_started_) rte_eal_cleanup();
    }

    bool start(const ConfigSpec& config, const StartOptions& options, std::string& error);
    void stop() noexcept;
    void stop_workers() noexcept;

    bool running_ = false;
    Pools pools_{};
    std::vector<PortInfo> ports_;
    std::vector<std::uint16_t> probed_;  // ports to close at stop
    std::unique_ptr<LimitsTable> limits_;
    std::unique_ptr<PolicySlot> policy_;  // outlives engine_ (its workers are readers)
    std::unique_ptr<Engine> engine_;
    std::vector<unsigned> lcores_;
    bool launched_ = false;
    bool eal_started_ = false;  // this DataPlane initialised EAL
};

namespace {

int worker_main(void* arg) {
    auto* w = static_cast<Worker*>(arg);
    w->announce(rte_rdtsc());
    return w->run();
}

}  // namespace

bool DataPlaneImpl::start(const ConfigSpec& config, const StartOptions& options, std::string& error) {
    if (running_ || engine_) {
        error = "the data plane was started already (EAL initialises once per process)";
        return false;
    }
    if (config.interfaces.empty()) {
        error = "no [[interfaces]]: the data plane needs at least one port";
        return false;
    }
    if (config.interfaces.size() > kMaxPorts) {
        error = "at most " + std::to_string(kMaxPorts) + " [[interfaces]]";
        return false;
    }
    const EalArgs args = build_eal_args(options.program, config.eal, options.eal_overrides,
                                        options.fall_back_to_no_huge);
    const bool was_up = eal_ready();
    if (!eal_init(args, error)) return false;
    eal_started_ = !was_up;
    if (args.fell_back) {
        std::fprintf(stderr, "palisade: no free hugepages: running EAL with --no-huge\n");
    }
    lcores_.clear();
    unsigned lc;
    RTE_LCORE_FOREACH_WORKER(lc) { lcores_.push_back(lc); }
    if (lcores_.empty()) {
        error = "EAL has no worker lcore: [dpdk] lcores (or -l) must list the control-plane lcore "
                "and at least one worker, e.g. \"0-1\"";
        return false;
    }
    const unsigned workers = static_cast<unsigned>(lcores_.size());
    if (workers > kMaxWorkers) {
        error = "at most " + std::to_string(kMaxWorkers) + " worker lcores";
        return false;
    }
    const int socket = static_cast<int>(rte_socket_id()) < 0 ? 0 : static_cast<int>(rte_socket_id());
    // Ring messages: enough for every punt and inject ring to hold a burst-sized backlog.
    const std::uint32_t messages = std::min<std::uint32_t>(
        4095, std::max<std::uint32_t>(511, 256u * workers * 2u - 1u));
    if (!create_pools(config.eal, messages, "", socket, pools_, error)) return false;

    // The policy snapshot of the start-up config, published before any worker reads it.
    limits_ = std::make_unique<LimitsTable>(
        std::max<std::uint32_t>(64, static_cast<std::uint32_t>(config.trunks.size()) * 2 + 16));
    policy_ = std::make_unique<PolicySlot>(workers);
    {
        SnapshotBuild b = build_policy_snapshot(config, *limits_);
        if (!b.snapshot) {
            error = "cannot build the policy snapshot: " + b.error;
            stop();
            return false;
        }
        policy_->publish(std::move(b.snapshot));
    }

    EngineConfig ec;
    ec.workers = workers;
    ec.policy = policy_.get();
    ec.location = options.location;
    // The proxy core's shared state (issue 6): gauges, nonce counts, core-peer health, timers.
    ec.limits = limits_.get();
    ec.nonce_counts = options.nonce_counts;
    ec.peers = options.peers;
    ec.timers = timers_from(config.sip);
    // Proxy tables sized from the config (allocated and zeroed at start-up, so a small config
    // starts fast): dialogs for twice the trunks' concurrent calls (failover-dialplan calls and
    // a reload that raises limits get room), transactions for the attempts per second times
    // the longest a finished one lingers (64*T1 = 32 s, RFC 3261 §17.1.2.2) times the ~4 of a
    // call. Spread over the workers (Call-ID hash); a full table refuses the call, counted.
    {
        std::uint64_t concurrent = 0, attempts = 0;
        for (const TrunkSpec& t : config.trunks) {
            concurrent += t.limits.max_concurrent;
            attempts += t.limits.attempts_per_second;
        }
        auto clamp = [](std::uint64_t v, std::uint64_t lo, std::uint64_t hi) {
            return static_cast<std::uint32_t>(std::min(std::max(v, lo), hi));
        };
        ec.max_dialogs = clamp(2 * concurrent / workers + 1024, 4096, 1u << 20);
        ec.max_transactions = clamp(attempts * 4 * 32 / workers + 1024, 4096, 1u << 17);
    }
    ec.pools = pools_;
    ec.ring_size = config.eal.ring_size;
    ec.idle_backoff_us = config.eal.idle_backoff_us;
    ec.known = KnownSources(config.trunks);
    for (const InterfaceSpec& spec : config.interfaces) {
        std::uint16_t port_id = 0;
        if (!find_or_probe_port(spec, static_cast<std::uint16_t>(workers), port_id, error)) {
            stop();
            return false;
        }
        for (const PortInfo& p : ports_) {
            if (p.port_id == port_id) {
                error = "interface " + spec.name + " (" + spec.device + ") is the same device as interface " + p.name;
                stop();
                return false;
            }
        }
        PortInfo info;
        probed_.push_back(port_id);
        if (!configure_port(port_id, spec, static_cast<std::uint16_t>(workers), pools_.mbufs, info, error)) {
            stop();
            return false;
        }
        ports_.push_back(info);
        EnginePort ep;
        ep.port_id = port_id;
        ep.spec = spec;
        std::memcpy(ep.mac.addr_bytes, info.mac, 6);
        ec.ports.push_back(ep);
    }
    engine_ = std::make_unique<Engine>();
    if (!engine_->init(ec, error)) {
        stop();
        return false;
    }
    for (unsigned i = 0; i < workers; ++i) {
        const int rc = rte_eal_remote_launch(worker_main, &engine_->worker(i), lcores_[i]);
        if (rc != 0) {
            error = "cannot launch worker " + std::to_string(i) + " on lcore " + std::to_string(lcores_[i]);
            launched_ = true;
            stop();
            return false;
        }
    }
    launched_ = true;
    running_ = true;
    return true;
}

void DataPlaneImpl::stop_workers() noexcept {
    if (engine_ && launched_) {
        // Each worker's run() ends its calls (BYEs, CANCELs) and flushes before it returns, so
        // they leave before the ports close (stop()).
        engine_->request_stop();
        rte_eal_mp_wait_lcore();
    }
    launched_ = false;
}

void DataPlaneImpl::stop() noexcept {
    stop_workers();
    // Ports first (their queues hold mbufs of the pools), then the engine (rings, L3 tables).
    for (std::uint16_t id : probed_) close_port(id);
    probed_.clear();
    // The engine's counters stay readable after a stop (the daemon prints them); the rest goes.
    if (engine_) engine_->shutdown();  // unregisters the policy readers
    if (pools_.mbufs || pools_.indirect || pools_.messages) free_pools(pools_);
    running_ = false;
}

DataPlane::DataPlane() : impl_(std::make_unique<DataPlaneImpl>()) {}
DataPlane::~DataPlane() = default;

bool DataPlane::start(const ConfigSpec& config, const StartOptions& options, std::string& error) noexcept {
    try {
        return impl_->start(config, options, error);
    } catch (const std::exception& e) {
        // Start-up allocates (vectors, strings); running out of memory is a message, not a crash.
        error = std::string("data plane start-up failed: ") + e.what();
        impl_->stop();
        return false;
    }
}

void DataPlane::stop() noexcept { impl_->stop(); }
void DataPlane::stop_workers() noexcept { impl_->stop_workers(); }
bool DataPlane::running() const noexcept { return impl_->running_; }
unsigned DataPlane::worker_count() const noexcept {
    return impl_->engine_ ? impl_->engine_->workers() : 0;
}
const std::vector<PortInfo>& DataPlane::ports() const noexcept { return impl_->ports_; }

std::uint64_t DataPlane::counter(Counter c) const noexcept {
    return impl_->engine_ ? impl_->engine_->sum(c) : 0;
}

std::uint64_t DataPlane::port_counter(std::uint16_t port, Counter c) const noexcept {
    if (!impl_->engine_ || port >= impl_->ports_.size()) return 0;
    return impl_->engine_->sum(c, impl_->ports_[port].port_id);
}

std::uint64_t DataPlane::worker_counter(unsigned worker, Counter c) const noexcept {
    if (!impl_->engine_ || worker >= impl_->engine_->workers()) return 0;
    return sum_rows(impl_->engine_->counters(worker), c);
}

WorkerLoad DataPlane::worker_load(unsigned worker) const noexcept {
    WorkerLoad out;
    if (!impl_->engine_ || worker >= impl_->engine_->workers()) return out;
    const WorkerLoadCounters& l = impl_->engine_->load(worker);
    out.lcore = impl_->lcores_[worker];
    out.busy_cycles = l.busy_cycles.load(std::memory_order_relaxed);
    out.idle_cycles = l.idle_cycles.load(std::memory_order_relaxed);
    out.polls = l.polls.load(std::memory_order_relaxed);
    out.busy_polls = l.busy_polls.load(std::memory_order_relaxed);
    return out;
}

std::uint64_t DataPlane::tsc_hz() const noexcept { return rte_get_tsc_hz(); }

unsigned DataPlane::receive_punts(unsigned worker, RingMessage** out, unsigned n) noexcept {
    if (!impl_->running_ || worker >= impl_->engine_->workers()) return 0;
    return rte_ring_sc_dequeue_burst(impl_->engine_->punt_ring(worker), reinterpret_cast<void**>(out),
                                     n, nullptr);
}

RingMessage* DataPlane::allocate() noexcept {
    void* obj = nullptr;
    if (impl_->pools_.messages == nullptr || rte_mempool_get(impl_->pools_.messages, &obj) != 0)
        return nullptr;
    auto* m = static_cast<RingMessage*>(obj);
    m->kind = RingKind::none;
    m->port = m->worker = m->flags = 0;
    m->remote_ip = m->local_ip = 0;
    m->remote_port = m->local_port = 0;
    m->length = 0;
    m->rx_tsc = m->cookie = 0;
    return m;
}

void DataPlane::release(RingMessage* m) noexcept {
    if (m != nullptr && impl_->pools_.messages != nullptr) rte_mempool_put(impl_->pools_.messages, m);
}

bool DataPlane::inject(unsigned worker, RingMessage* m) noexcept {
    if (!impl_->running_ || worker >= impl_->engine_->workers() || m == nullptr) return false;
    return rte_ring_sp_enqueue(impl_->engine_->inject_ring(worker), m) == 0;
}

PolicySlot* DataPlane::policy_slot() noexcept { return impl_->policy_.get(); }
LimitsTable* DataPlane::limits() noexcept { return impl_->limits_.get(); }

rte_rcu_qsbr* DataPlane::rcu() const noexcept {
    return impl_->running_ ? impl_->engine_->rcu() : nullptr;
}

}  // namespace palisade::dp
