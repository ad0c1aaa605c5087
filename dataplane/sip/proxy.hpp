// The worker's SIP proxy core (issue 6, DESIGN.md §1 and §4): transaction- and dialog-stateful,
// topology hiding on both sides, the outbound call policy, inbound DID routing with serial
// failover, session timers and maximum call duration, and the call events the control plane
// records. One Proxy per worker; it owns that worker's transactions, dialogs and timers (the
// calls whose Call-ID hashes to it), so nothing here locks.
//
// The worker does the I/O: sip_stage frames and validates every datagram, answers what is not a
// call (OPTIONS to Palisade, malformed requests, REGISTER punted, responses to the control
// plane), and hands everything else to the Proxy. The Proxy answers through a ProxySink: datagrams
// to send on an interface, and call events for the punt ring. Time is given by the caller
// (ProxyEnv::now_ms, a driven clock in tests), so every timer and failover path is testable
// without DPDK.
//
// Packet path: on_request, on_response and advance never allocate, lock, log, throw or make a
// syscall. The constructor preallocates every table (it may throw std::bad_alloc at start-up).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "dataplane/contract/call_events.hpp"
#include "dataplane/contract/clock.hpp"
#include "dataplane/contract/counters.hpp"
#include "dataplane/contract/limits.hpp"
#include "dataplane/contract/location.hpp"
#include "dataplane/contract/peer_health.hpp"
#include "dataplane/policy/snapshot.hpp"
#include "dataplane/sip/transaction.hpp"
#include "parsers/sip/message.hpp"
#include "parsers/sip/nonce.hpp"
#include "parsers/sip/validate.hpp"

namespace palisade::dp {

class WorkerScratch;
struct SipSource;

/// Which side of Palisade an interface faces (ConfigSpec::interfaces[i].role).
enum class Side : std::uint8_t { access, core };

/// One interface as the proxy sees it (index = interface index, as in SipMeta::port_index).
struct ProxyInterface {
    Side side = Side::access;
    std::uint32_t address = 0;  ///< our address on it, host order
    std::uint16_t sip_port = 5060;
    std::uint16_t mtu = 1500;
};

/// Sizing and identity of one worker's proxy.
struct ProxyConfig {
    unsigned worker = 0;   ///< this worker's index (named in Via branches and tags)
    unsigned workers = 1;  ///< how many workers (Call-ID ownership)
    std::vector<ProxyInterface> interfaces;
    std::uint32_t max_transactions = 16384;
    std::uint32_t max_dialogs = 65536;
    TxTimers timers{};       ///< from the start-up config's [sip] (timers_from())
    std::uint64_t salt = 0;  ///< start-up randomness for branches and tags (tests fix it)
    /// Nesting levels of table calls with their own action list (1..8; tests lower it to
    /// reach the deeper-than-that path, proxy.md § Memory).
    unsigned list_depth = 8;
};

/// What the proxy reads beyond its own tables, refreshed by the worker once per loop. Every
/// pointer stays valid until the worker's next quiescent point; null means "none" where noted.
struct ProxyEnv {
    const PolicySnapshot* snapshot = nullptr;  ///< null: no calls (new INVITEs get 503)
    LimitsTable* limits = nullptr;
    const WorkerScratch* scratch = nullptr;    ///< this worker's Hyperscan scratch for snapshot
    const LocationTable* location = nullptr;   ///< null: nothing registered
    const PeerHealthTable* peers = nullptr;    ///< null: every core peer usable
    sip::NonceCountTable* nonce_counts = nullptr;  ///< shared with the registrar (DESIGN.md §2)
    const sip::NonceCodec* nonces = nullptr;   ///< from snapshot->sip().nonce_secret
    Instant wall{};             ///< wall clock: events, rate windows, nonce expiry
    std::uint64_t now_ms = 0;   ///< monotonic milliseconds: transactions, dialogs, timers
};

/// Where the proxy's output goes; the worker implements it. Neither call may allocate, block or
/// throw; a failure (no mbuf, ring full) is counted by the sink, never reported back.
class ProxySink {
public:
    /// Send `datagram` (a whole SIP message, valid only during the call: copy it) to `to` from
    /// interface `iface` (fragmented above the interface MTU by the worker).
    virtual void send(std::uint16_t iface, Endpoint to, std::string_view datagram) noexcept = 0;
    /// Queue a call event for the control plane (punt ring).
    virtual void event(const CallEvent& ev) noexcept = 0;

protected:
    ~ProxySink() = default;
};

/// Live figures of one worker's proxy (owner worker writes; the control plane may read them
/// relaxed for stats; tests read them directly).
struct ProxyStats {
    std::uint32_t dialogs = 0;       ///< dialogs alive (early and confirmed)
    std::uint32_t transactions = 0;  ///< transactions alive
    std::size_t memory_bytes = 0;    ///< preallocated bytes of every table
};

class ProxyImpl;

class Proxy {
public:
    explicit Proxy(const ProxyConfig& config);
    ~Proxy();
    Proxy(const Proxy&) = delete;
    Proxy& operator=(const Proxy&) = delete;

    /// A request sip_stage validated (`v`) from a known source, arriving on interface `iface`:
    /// every request except OPTIONS addressed to Palisade and REGISTER (which sip_stage
    /// handles). Max-Forwards 0 was already answered 483 by sip_stage. Counts on `c` (row
    /// src.port_id).
    void on_request(const sip::Message& msg, const sip::Validated& v, const SipSource& src,
                    std::uint16_t iface, ProxyEnv& env, ProxySink& out,
                    WorkerCounters& c) noexcept;

    /// A response sip_stage validated (`v`) whose top Via branch names this worker.
    void on_response(const sip::Message& msg, const sip::Validated& v, const SipSource& src,
                     std::uint16_t iface, ProxyEnv& env, ProxySink& out,
                     WorkerCounters& c) noexcept;

    /// Runs every timer due at env.now_ms (transactions, failover, session timers, maximum
    /// duration). The worker calls it once per loop.
    void advance(ProxyEnv& env, ProxySink& out, WorkerCounters& c) noexcept;

    /// Ends every call (BYE to both sides of confirmed dialogs, CANCEL of pending INVITEs, an
    /// `ended` event with reason shutdown for each, every concurrent-call slot released).
    void shutdown(ProxyEnv& env, ProxySink& out, WorkerCounters& c) noexcept;

    [[nodiscard]] ProxyStats stats() const noexcept;

private:
    std::unique_ptr<ProxyImpl> impl_;
};

}  // namespace palisade::dp
