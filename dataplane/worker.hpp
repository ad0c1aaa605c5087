// The poll-mode worker (DESIGN.md §3): rx burst on its queue of every port -> l3_input -> SIP
// framing -> steer to the owner worker (Call-ID hash, or our Via branch for responses to our
// requests) -> handoff ring -> sip_stage -> buffered tx with a drain timer; inject ring; RCU
// quiescent once per loop; idle back-off; busy/idle cycle accounting.
//
// Engine holds what the workers share (rings, counters, loads, RCU) and builds the workers; the
// daemon (dataplane.cpp) and the tests (worker_test.cpp) both use it. Set-up allocates; poll()
// never allocates, locks, logs, throws or makes a syscall (the idle back-off sleeps only after
// a poll that found nothing).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/contract/clock.hpp"
#include "dataplane/contract/config_spec.hpp"
#include "dataplane/contract/counters.hpp"
#include "dataplane/contract/dataplane.hpp"
#include "dataplane/contract/limits.hpp"
#include "dataplane/contract/location.hpp"
#include "dataplane/contract/peer_health.hpp"
#include "dataplane/contract/policy_snapshot.hpp"
#include "dataplane/eal.hpp"
#include "dataplane/l2l3.hpp"
#include "dataplane/policy/pattern_matcher.hpp"
#include "dataplane/sip/proxy.hpp"
#include "dataplane/sip/transaction.hpp"
#include "dataplane/sip_stage.hpp"
#include "dataplane/timer_wheel.hpp"
#include "parsers/sip/message.hpp"
#include "parsers/sip/nonce.hpp"

struct rte_ring;
struct rte_mbuf;
struct rte_rcu_qsbr;

namespace palisade::dp {

/// Received-SIP metadata carried in an mbuf dynamic field across a handoff ring.
struct SipMeta {
    std::uint32_t src_ip;
    std::uint32_t dst_ip;
    std::uint16_t src_port;
    std::uint16_t dst_port;
    std::uint32_t payload_offset;  ///< from the start of the packet data (chains included)
    std::uint16_t length;
    std::uint16_t port_index;      ///< interface index
};

/// The Call-ID of a request without framing it: a scan of the header lines for "Call-ID" or
/// "i" (any case). False when the datagram is a response or anything is unusual (no Call-ID, a
/// folded or empty value, no CRLF); the caller then frames the message fully. When true, the
/// value is the one Message::find(HeaderId::call_id) gives for a message that frames. Lets a
/// worker hand a request to its owner without framing it twice (bench: options_handoff).
bool prescan_call_id(std::string_view datagram, std::string_view& call_id) noexcept;

/// Registers the SipMeta dynamic field (idempotent). Start-up only.
bool register_sip_meta(std::string& error);

/// Busy/idle accounting of one worker (dp: wo by the worker, cp: ro).
struct alignas(64) WorkerLoadCounters {
    std::atomic<std::uint64_t> busy_cycles{0};
    std::atomic<std::uint64_t> idle_cycles{0};
    std::atomic<std::uint64_t> polls{0};
    std::atomic<std::uint64_t> busy_polls{0};
};

/// One port as the engine sees it.
struct EnginePort {
    std::uint16_t port_id = 0;   ///< DPDK port id
    InterfaceSpec spec;          ///< address, gateway, SIP port, MTU
    rte_ether_addr mac{};
};

/// Everything the engine needs.
struct EngineConfig {
    unsigned workers = 1;
    std::vector<EnginePort> ports;       ///< interface order
    Pools pools;
    std::uint32_t ring_size = 4096;      ///< handoff, punt and inject rings (rounded up to 2^n)
    std::uint32_t idle_backoff_us = 0;
    std::uint32_t drain_us = 100;        ///< tx drain period while busy
    std::uint32_t timers_per_worker = 65536;
    KnownSources known;                  ///< used while no policy snapshot is published
    PolicySlot* policy = nullptr;        ///< not owned; workers read it (reader id = worker index)
    LocationTable* location = nullptr;   ///< not owned; workers read it (reader id = worker index)
    std::string tag;                     ///< ring name suffix (unique per engine in a process)
    std::uint64_t tag_salt = 0;          ///< To-tag and proxy salt; 0 = from the TSC (tests fix it)
    // --- the proxy core (issue 6): what each worker's Proxy reads beyond its own tables
    LimitsTable* limits = nullptr;       ///< not owned; per-trunk gauges (null: no calls admitted)
    sip::NonceCountTable* nonce_counts = nullptr;  ///< not owned; shared with the registrar
    const PeerHealthTable* peers = nullptr;        ///< not owned; null = every core peer usable
    const Clock* clock = nullptr;        ///< wall clock, read once per loop; null = SystemClock
    TxTimers timers{};                   ///< RFC 3261 §17 timers (timers_from(config.sip))
    std::uint32_t max_transactions = 16384;  ///< per worker
    std::uint32_t max_dialogs = 65536;       ///< per worker
};

class Engine;
class Worker;

/// Where a worker's Proxy output goes (proxy.hpp): datagrams copied into fresh mbufs and sent
/// with udp_output on the named interface; call events encoded into ring messages on this
/// worker's punt ring. Failures are counted, never reported back (no allocation but mbufs and
/// pool messages, no lock, no syscall).
class WorkerSink final : public ProxySink {
public:
    explicit WorkerSink(Worker& w) noexcept : worker_(w) {}
    void send(std::uint16_t iface, Endpoint to, std::string_view datagram) noexcept override;
    void event(const CallEvent& ev) noexcept override;

private:
    Worker& worker_;
};

/// One worker. Owned by the Engine; runs on one lcore (or a test thread).
class Worker {
public:
    static constexpr std::uint16_t kBurst = 32;

    Worker(Engine& engine, unsigned index);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    /// L3 set-up of every port (reassembly tables). False with a message on failure.
    bool init(std::string& error);
    /// Gratuitous ARP on every port (once, after the ports started).
    void announce(std::uint64_t now_tsc) noexcept;
    /// One loop iteration at time now_tsc; returns the packets and messages it handled (0 =
    /// idle). Never blocks.
    unsigned poll(std::uint64_t now_tsc) noexcept;
    /// Flushes every port's staged tx now.
    void flush() noexcept;
    /// The loop: poll until the engine's stop flag, with busy/idle accounting and back-off.
    int run() noexcept;

    unsigned index() const noexcept { return index_; }
    L3Port& l3(std::size_t port_index) noexcept { return *l3_[port_index]; }
    TimerWheel& timers() noexcept { return timers_; }
    SipStage& stage() noexcept { return stage_; }
    WorkerCounters& counters() noexcept { return *counters_; }
    /// True while the worker keeps a spare mbuf for its next reply (mbuf accounting in tests).
    bool holds_spare() const noexcept { return spare_ != nullptr; }
    /// This worker's proxy core (tests read its stats).
    Proxy& proxy() noexcept { return *proxy_; }
    /// Ends every call of this worker's proxy (BYE/CANCEL out, `ended` events, slots released)
    /// and flushes the tx. The engine's owner calls it after the worker's loop returned and
    /// before the ports stop, so that the BYEs leave.
    void shutdown_calls(std::uint64_t now_tsc) noexcept;

private:
    friend class WorkerSink;
    /// Refreshes env_ for this loop: snapshot, scratch and nonce codec for its generation,
    /// location, clocks.
    void refresh_env(const PolicySnapshot* snap, std::uint64_t now_tsc) noexcept;
    void send_datagram(std::uint16_t iface, Endpoint to, std::string_view datagram) noexcept;
    void send_event(const CallEvent& ev) noexcept;

    void on_datagram(std::size_t port_index, const UdpDatagram& d, std::uint64_t now) noexcept;
    void hand_off(unsigned owner, std::size_t port_index, const UdpDatagram& d, SipMeta& meta) noexcept;
    void on_handoff(rte_mbuf* m, std::uint64_t now) noexcept;
    void on_inject(RingMessage* r, std::uint64_t now) noexcept;
    void process(std::size_t port_index, rte_mbuf* m, const char* payload, std::uint16_t length,
                 sip::ParseStatus st, const SipMeta& meta, std::uint64_t now) noexcept;
    void punt(RingKind kind, const SipMeta& meta, const char* payload, std::uint16_t length,
              std::uint64_t now) noexcept;
    std::uint16_t row(std::size_t port_index) const noexcept;

    Engine& engine_;
    unsigned index_;
    WorkerCounters* counters_;
    std::vector<std::unique_ptr<L3Port>> l3_;
    SipStage stage_;
    TimerWheel timers_;
    sip::Message msg_;
    std::uint64_t drain_tsc_ = 0;
    std::uint64_t last_drain_ = 0;
    std::uint64_t tick_tsc_ = 0;       // one timer-wheel tick (1 ms)
    std::uint64_t next_tick_ = 0;
    std::uint64_t ticks_ = 0;
    bool policy_registered_ = false;
    bool location_registered_ = false;
    rte_mbuf* spare_ = nullptr;        // the next reply is built in its data room (no copy)
    // --- proxy core (issue 6)
    std::unique_ptr<Proxy> proxy_;
    WorkerSink sink_{*this};
    ProxyEnv env_{};                   // refreshed once per loop (refresh_env)
    WorkerScratch hs_scratch_;         // Hyperscan scratch for env_.snapshot's databases
    std::optional<sip::NonceCodec> nonces_;  // from the snapshot's nonce_secret
    std::uint64_t nonce_generation_ = 0;     // snapshot generation env_ was refreshed for (0: none)
    std::uint64_t nonce_secret_key_ = 0;     // secret_key() of the secret nonces_ was made from
    std::uint64_t now_tsc_ = 0;        // the current loop's time, for the sink's udp_output
    alignas(64) std::array<char, L3Port::kScratchBytes> scratch_{};
};

/// What the workers share, and the workers.
class Engine {
public:
    Engine() = default;
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    /// Rings, counters, RCU, workers (with their L3 state). False with a message on failure.
    bool init(const EngineConfig& config, std::string& error);

    /// Frees the workers, rings and RCU variable; counters and loads stay readable (the final
    /// figures after a stop). The ports must be stopped first.
    void shutdown() noexcept;

    /// Workers configured (still reported after shutdown(), for the counters).
    unsigned workers() const noexcept { return config_.workers; }
    Worker& worker(unsigned i) noexcept { return *workers_[i]; }
    const EngineConfig& config() const noexcept { return config_; }
    WorkerCounters& counters(unsigned w) noexcept { return counters_[w]; }
    const WorkerCounters& counters(unsigned w) const noexcept { return counters_[w]; }
    WorkerLoadCounters& load(unsigned w) noexcept { return loads_[w]; }
    const WorkerLoadCounters& load(unsigned w) const noexcept { return loads_[w]; }
    rte_ring* handoff_ring(unsigned w) const noexcept { return handoff_[w]; }
    rte_ring* punt_ring(unsigned w) const noexcept { return punt_[w]; }
    rte_ring* inject_ring(unsigned w) const noexcept { return inject_[w]; }
    rte_rcu_qsbr* rcu() const noexcept { return rcu_; }
    /// Our addresses, one per port, host order.
    const std::vector<std::uint32_t>& addresses() const noexcept { return addresses_; }

    /// Asks every worker's run() to return (cp).
    void request_stop() noexcept { stop_.store(true, std::memory_order_release); }
    bool stop_requested() const noexcept { return stop_.load(std::memory_order_acquire); }

    /// Sum of counter c over workers, for one DPDK port row (or every row when row < 0).
    std::uint64_t sum(Counter c, int row = -1) const noexcept;

private:
    EngineConfig config_;
    std::vector<std::uint32_t> addresses_;
    std::unique_ptr<WorkerCounters[]> counters_;
    std::unique_ptr<WorkerLoadCounters[]> loads_;
    std::vector<rte_ring*> handoff_, punt_, inject_;
    rte_rcu_qsbr* rcu_ = nullptr;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::atomic<bool> stop_{false};
};

}  // namespace palisade::dp
