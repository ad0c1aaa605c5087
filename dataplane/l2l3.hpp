// L2/L3 below SIP on one port, for one worker: Ethernet, ARP (RFC 826), ICMP echo (RFC 792),
// IPv4 checks (RFC 1812 §5.2.2, martians §5.3.7), UDP checksum (RFC 768), IPv4 reassembly and
// fragmentation (RFC 791). The worker loop (dataplane/worker.cpp) calls l3_input per received
// packet, udp_output per SIP message to send, and L3Port::poll / flush_tx once per loop.
//
// Threads: an L3Port belongs to one worker (dp: rw, owner only). The one thing shared is each
// worker's ARP inbox ring per port (dp: any worker of the port enqueues, the owner dequeues):
// ARP answers reach one worker only, and it passes what it learns to the others. No function
// here allocates (beyond mbufs from the configured pools), locks, logs, throws or makes a
// syscall; every drop is a counter of counters.def (group "L2 / L3").
#pragma once

#include <array>
#include <cstdint>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/arp_table.hpp"
#include "dataplane/contract/counters.hpp"
#include "dataplane/reassembly.hpp"

namespace palisade::dp {

/// One port as L2/L3 sees it (dp: ro after start).
struct PortL3 {
    std::uint16_t port_id = 0;     // DPDK port id; also the counters' port index (< kMaxPorts)
    rte_ether_addr mac{};          // our MAC on this port
    std::uint32_t ip = 0;          // our address, host byte order
    std::uint8_t prefix_len = 24;  // on-link subnet
    std::uint32_t gateway = 0;     // host order; 0 = none (off-link destinations are dropped)
    std::uint16_t sip_port = 5060; // UDP port SIP is received on and sent from
    std::uint16_t mtu = 1500;      // IPv4 MTU: largest IPv4 packet (header included) sent as is
};

/// Everything an L3Port needs besides the port: the worker's tx queue and pools, and its limits.
struct L3PortConfig {
    PortL3 port;
    std::uint16_t tx_queue = 0;            // the worker's own tx queue on this port
    rte_mempool* direct_pool = nullptr;    // ARP requests, fragments' headers
    rte_mempool* indirect_pool = nullptr;  // fragments' payloads (rte_ipv4_fragment_packet)
    std::uint16_t worker_index = 0;        // IPv4 Identification = worker_index + k * worker_count,
    std::uint16_t worker_count = 1;        // so that two workers never reuse each other's ids
    ArpConfig arp{};
    ReassemblyConfig reassembly{};
};

/// A SIP datagram found by rx. payload is contiguous: it points into the mbuf (single segment,
/// or a chain linearised in place), or, when a reassembled chain does not fit one buffer, into
/// the L3Port's scratch (in_scratch = true: valid until the next l3_input on this L3Port, and m
/// still owns the packet). Counted in rx_multiseg_linearised either way.
struct UdpDatagram {
    rte_mbuf* m = nullptr;  // owned by the caller after RxVerdict::sip; may differ from the input
                            // mbuf when the datagram was reassembled from fragments
    std::uint32_t src_ip = 0, dst_ip = 0;        // host order
    std::uint16_t src_port = 0, dst_port = 0;    // host order
    const char* payload = nullptr;
    std::uint16_t length = 0;
    bool in_scratch = false;
    rte_ether_addr src_mac{};  // the L2 sender (next hop back), for the record
};

/// What l3_input did with a packet.
enum class RxVerdict : std::uint8_t {
    sip,       // UdpDatagram filled; the caller owns out.m
    consumed,  // taken by L2/L3: ARP/ICMP answered (staged for tx), ARP reply learned, or a
               // fragment held for reassembly (or dropped by it, counted): do not touch the mbuf
    drop,      // counted under its reason and already freed: the caller must not touch the mbuf
};

/// Per worker, per port: ARP table, reassembly table, tx staging. The worker flushes the staged
/// packets with flush_tx (rte_eth_tx_burst on its own queue) on its drain timer; staging also
/// flushes by itself when full.
class L3Port {
public:
    static constexpr std::uint16_t kTxBurst = 32;
    static constexpr std::uint32_t kScratchBytes = 65536;

    /// Creates the reassembly table (rte_ip_frag_table_create) on socket_id and, with more than
    /// one worker, finds or creates the port's ARP inbox rings ("l3arp_p<port>_w<worker>").
    /// ok() says whether set-up worked; err() why not. Start-up only.
    L3Port(const L3PortConfig& cfg, int socket_id);
    ~L3Port();
    L3Port(const L3Port&) = delete;
    L3Port& operator=(const L3Port&) = delete;

    bool ok() const noexcept { return ok_; }
    const char* err() const noexcept { return err_; }

    /// Announce our address: gratuitous ARP now and once more 2 s later (RFC 5227 §2.3), and
    /// start resolving the gateway; worker 0 of the port only. Call once, after the port
    /// started.
    void start(std::uint64_t now_tsc, WorkerCounters& c) noexcept;
    /// Once per worker loop: frees reassembly's death row, takes the neighbours the port's other
    /// workers learned; every 10 ms runs the ARP timers (retries, ageing, announce) and drops
    /// expired reassembly flows.
    void poll(std::uint64_t now_tsc, WorkerCounters& c) noexcept;
    /// Sends every staged packet (rte_eth_tx_burst on tx_queue); what the port refuses is freed
    /// and counted as tx_dropped. Counts tx_packets and tx_bytes. Returns packets sent.
    std::uint16_t flush_tx(WorkerCounters& c) noexcept;

    /// Stages a complete Ethernet frame for tx (takes ownership). Flushes first when full.
    void stage(rte_mbuf* m, WorkerCounters& c) noexcept;
    /// Staged packets, not yet flushed (tests look at them).
    std::uint16_t staged() const noexcept { return tx_count_; }
    rte_mbuf* staged_at(std::uint16_t i) const noexcept { return tx_[i]; }
    /// Takes the staged packets without sending them (tests): the caller owns them.
    std::uint16_t take_staged(rte_mbuf** out, std::uint16_t n) noexcept;

    const PortL3& port() const noexcept { return cfg_.port; }
    const L3PortConfig& config() const noexcept { return cfg_; }
    ArpTable& arp() noexcept { return arp_; }
    Reassembly& reassembly() noexcept { return reasm_; }

    /// Tells the port's other workers about a neighbour learned here (ARP replies reach one
    /// worker only: RSS and af_packet's fanout put non-IP frames on one queue).
    void share_neighbour(std::uint32_t ip, const rte_ether_addr& mac, WorkerCounters& c) noexcept;

    // Internals shared by l3_input and udp_output (l2l3.cpp).
    bool on_link(std::uint32_t ip) const noexcept;
    /// Subnet mask, host order.
    std::uint32_t mask() const noexcept { return mask_; }
    std::uint16_t next_ip_id() noexcept;
    char* scratch() noexcept { return scratch_.data(); }
    /// Sends an IPv4 packet (Ethernet header present, source MAC set) to next_hop: resolves its
    /// MAC (queueing while ARP resolves), fragments above the MTU, stages. Takes ownership.
    bool emit_ipv4(rte_mbuf* m, std::uint32_t next_hop, std::uint64_t now_tsc,
                   WorkerCounters& c) noexcept;
    /// Fills the destination MAC, fragments if needed, stages (ARP resolved).
    void send_resolved(rte_mbuf* m, const rte_ether_addr& dst, WorkerCounters& c) noexcept;
    /// Builds and stages an ARP packet (request or gratuitous). False when no mbuf.
    bool send_arp(std::uint16_t op, const rte_ether_addr& eth_dst, const rte_ether_addr& tha,
                  std::uint32_t tpa, WorkerCounters& c) noexcept;

private:
    L3PortConfig cfg_;
    std::uint32_t mask_ = 0;
    bool ok_ = false;
    const char* err_ = "";
    ArpTable arp_;
    Reassembly reasm_;
    std::uint16_t tx_count_ = 0;
    std::array<rte_mbuf*, kTxBurst> tx_{};
    std::uint16_t ip_id_ = 0;
    std::uint64_t next_timer_tsc_ = 0;
    std::uint64_t garp_at_tsc_ = 0;  // second announcement; 0 = none pending
    std::uint64_t timer_period_tsc_ = 0;
    // ARP sharing: one inbox per worker of this port (MP enqueue, SC dequeue), found by name so
    // that the workers of a port wire themselves; empty with one worker.
    std::array<rte_ring*, kMaxWorkers> arp_inboxes_{};
    void drain_arp_inbox(std::uint64_t now_tsc, WorkerCounters& c) noexcept;
    alignas(64) std::array<char, kScratchBytes> scratch_{};
};

/// Classifies one received frame (data starts at the Ethernet header): answers ARP and ICMP echo
/// for our address, checks IPv4 and UDP, reassembles fragments, and returns a SIP datagram for
/// our SIP port. Every other packet is dropped and counted.
RxVerdict l3_input(L3Port& port, rte_mbuf* m, std::uint64_t now_tsc, UdpDatagram& out,
                   WorkerCounters& c) noexcept;

/// Sends a UDP payload from our SIP port: prepends UDP/IPv4/Ethernet (the mbuf must have 42 bytes
/// of headroom; RTE_PKTMBUF_HEADROOM has 128), computes the UDP checksum (no offload assumed),
/// resolves the next hop (on-link or gateway; queues while ARP resolves), fragments above the
/// MTU, stages for tx. Takes ownership of the mbuf in every case; false = dropped and counted.
bool udp_output(L3Port& port, rte_mbuf* payload_mbuf, std::uint32_t dst_ip,
                std::uint16_t dst_port, std::uint64_t now_tsc, WorkerCounters& c) noexcept;

}  // namespace palisade::dp
