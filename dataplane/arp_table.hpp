// Per-worker, per-port ARP cache (RFC 826): learn, resolve with bounded retries, a bounded queue
// of packets waiting for resolution (RFC 1122 §2.3.2.2), entry ageing. Owned by one worker
// (dp: rw, owner only); fixed size, nothing allocated after construction.
#pragma once

#include <array>
#include <cstdint>

#include <rte_ether.h>
#include <rte_mbuf.h>

namespace palisade::dp {

/// ARP timers and bounds.
struct ArpConfig {
    std::uint32_t retry_ms = 1000;       // RFC 1122 §2.3.2.1: at most one request per second
    std::uint32_t max_retries = 3;       // requests before a destination is given up
    std::uint32_t reachable_s = 300;     // after this a used entry is refreshed (re-requested)
};

/// One cached neighbour.
struct ArpEntry {
    std::uint32_t ip = 0;  // host order; 0 = free slot
    rte_ether_addr mac{};
    enum State : std::uint8_t { incomplete, reachable } state = incomplete;
    std::uint8_t retries = 0;          // requests sent in the current resolution / refresh
    std::uint64_t updated_tsc = 0;     // last time the MAC was confirmed
    std::uint64_t last_req_tsc = 0;    // last request sent
};

/// A neighbour one worker passes to the port's other workers (rte_ring element, 12 bytes).
struct ArpShareMsg {
    std::uint32_t ip;  // host order
    rte_ether_addr mac;
    std::uint16_t pad;
};
static_assert(sizeof(ArpShareMsg) % 4 == 0, "rte_ring elements are 4n bytes");

/// What one timer run wants from its port.
struct ArpTickResult {
    static constexpr std::uint32_t kMaxRequests = 32;
    std::array<std::uint32_t, kMaxRequests> request_ip{};  // send a request for each
    std::array<bool, kMaxRequests> request_unicast{};      // refresh: unicast to the known MAC
    std::array<rte_ether_addr, kMaxRequests> request_mac{};
    std::uint32_t requests = 0;
    std::uint32_t unresolved_dropped = 0;  // queued packets freed: destination never answered
    std::uint32_t given_up = 0;            // destinations given up
    std::uint32_t aged = 0;                // reachable entries that stopped answering, removed
};

/// Open-addressed hash of neighbours (linear probing, backward-shift deletion) plus the queue of
/// packets waiting for a MAC.
class ArpTable {
public:
    static constexpr std::uint32_t kSlots = 1024;       // power of two
    static constexpr std::uint32_t kMaxEntries = 768;   // load factor 0.75
    static constexpr std::uint32_t kMaxQueued = 64;     // packets waiting, all destinations

    ArpTable() = default;
    /// Sets the timers in TSC cycles. Start-up only.
    void init(const ArpConfig& cfg, std::uint64_t tsc_hz) noexcept;
    /// Frees every queued packet (shutdown).
    void clear() noexcept;

    /// The resolved MAC of ip, or nullptr.
    const rte_ether_addr* lookup(std::uint32_t ip) const noexcept;
    /// The entry of ip (any state), or nullptr.
    ArpEntry* find(std::uint32_t ip) noexcept;

    enum class LearnResult : std::uint8_t { added, resolved, updated, unchanged, ignored, full };
    /// RFC 826 merge: updates an existing entry; adds one only when create (we were the target).
    /// `resolved` means an incomplete entry got its MAC: flush its queued packets.
    LearnResult learn(std::uint32_t ip, const rte_ether_addr& mac, std::uint64_t now,
                      bool create) noexcept;

    enum class ResolveResult : std::uint8_t {
        queued_send_request,  // new incomplete entry, packet queued: send a request now
        queued,               // resolution under way, packet queued
        queue_full,           // not queued (caller frees and counts)
        table_full,           // not queued (caller frees and counts)
    };
    /// For a destination without a MAC: creates/uses the incomplete entry and queues m.
    ResolveResult enqueue(std::uint32_t ip, rte_mbuf* m, std::uint64_t now) noexcept;
    /// Starts resolving ip before any packet needs it (the gateway at start): creates an
    /// incomplete entry. True when the caller should send the first request now.
    bool resolve_ahead(std::uint32_t ip, std::uint64_t now) noexcept;
    /// Moves up to n queued packets for ip to out (in arrival order); returns how many.
    std::uint32_t take_queued(std::uint32_t ip, rte_mbuf** out, std::uint32_t n) noexcept;
    std::uint32_t queued() const noexcept { return queued_; }
    std::uint32_t size() const noexcept { return size_; }

    /// Timers: retries of incomplete entries, give-up (queued packets freed), refresh of old
    /// reachable entries, removal of those that stop answering.
    void tick(std::uint64_t now, ArpTickResult& out) noexcept;

    /// Removes ip (and frees its queued packets; returns how many).
    std::uint32_t erase(std::uint32_t ip) noexcept;

private:
    static std::uint32_t home(std::uint32_t ip) noexcept;
    std::uint32_t slot_of(std::uint32_t ip) const noexcept;  // kSlots if absent
    ArpEntry* insert(std::uint32_t ip) noexcept;
    void erase_slot(std::uint32_t i) noexcept;
    std::uint32_t drop_queued(std::uint32_t ip) noexcept;

    std::uint64_t retry_tsc_ = 0;
    std::uint64_t reachable_tsc_ = 0;
    std::uint32_t max_retries_ = 3;
    std::uint32_t size_ = 0;
    std::array<ArpEntry, kSlots> slots_{};
    struct Queued { std::uint32_t ip; rte_mbuf* m; };
    std::array<Queued, kMaxQueued> queue_{};
    std::uint32_t queued_ = 0;
};

}  // namespace palisade::dp
