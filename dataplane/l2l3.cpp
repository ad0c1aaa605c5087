// L2/L3 below SIP on one port, for one worker. See l2l3.hpp.
#include "dataplane/l2l3.hpp"

#include <cstdio>
#include <cstring>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_udp.h>

namespace palisade::dp {

namespace {

constexpr std::uint32_t kEthLen = sizeof(rte_ether_hdr);       // 14
constexpr std::uint32_t kArpLen = sizeof(rte_arp_hdr);         // 28
constexpr std::uint32_t kIpLen = sizeof(rte_ipv4_hdr);         // 20, no options
constexpr std::uint32_t kUdpLen = sizeof(rte_udp_hdr);         // 8
constexpr std::uint32_t kIcmpLen = sizeof(rte_icmp_hdr);       // 8
constexpr std::uint8_t kTtl = 64;                              // RFC 1700 default TTL
// Fragments one datagram may leave as: 65,535 bytes over a 1,500-byte MTU need 45; a smaller
// MTU that needs more is refused (frag_out_fail) rather than flooding the tx queue.
constexpr std::uint16_t kMaxFragsOut = 64;
constexpr std::uint8_t kIpOptEol = 0, kIpOptNop = 1, kIpOptLsrr = 131, kIpOptSsrr = 137;
constexpr unsigned kArpInboxSize = 256;  // per worker and port; ARP is a trickle

RxVerdict drop(rte_mbuf* m, WorkerCounters& c, std::uint16_t port, Counter why) noexcept {
    rte_pktmbuf_free(m);
    c.add(port, why);
    return RxVerdict::drop;
}

/// Headers too short for the frame, or split over segments: which counter.
Counter short_reason(const rte_mbuf* m, std::uint32_t need, Counter too_short) noexcept {
    return rte_pktmbuf_pkt_len(m) < need ? too_short : Counter::l2_headers_split;
}

/// Non-complemented, folded one's-complement sum of the UDP pseudo header (RFC 768) and ulen
/// bytes of UDP header and data starting at l4_off (any number of segments). 0xffff = valid.
std::uint16_t udp_sum(const rte_mbuf* m, std::uint32_t l4_off, rte_be32_t src, rte_be32_t dst,
                      std::uint16_t ulen) noexcept {
    struct Pseudo {
        rte_be32_t src, dst;
        std::uint8_t zero, proto;
        rte_be16_t len;
    } __attribute__((packed)) ph{src, dst, 0, IPPROTO_UDP, rte_cpu_to_be_16(ulen)};
    std::uint32_t sum = rte_raw_cksum(&ph, sizeof ph);
    std::uint16_t data = 0;
    if (m->nb_segs == 1) {
        data = rte_raw_cksum(rte_pktmbuf_mtod_offset(m, const char*, l4_off), ulen);
    } else if (rte_raw_cksum_mbuf(m, l4_off, ulen, &data) != 0) {
        return 0;  // cannot happen: lengths were checked against the packet
    }
    sum += data;
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(sum);
}

/// RFC 1812 §5.3.7: addresses that are never a valid source (the subnet's own broadcast and our
/// own address are checked by the caller).
bool martian_source(std::uint32_t src) noexcept {
    const std::uint32_t top = src >> 24;
    return top == 0            // "this network" 0/8
           || top == 127       // loopback
           || src >= 0xe0000000u;  // multicast 224/4, reserved 240/4, limited broadcast
}

/// Walks the options of an IPv4 header (RFC 791 §3.1). Returns the counter to drop with, or
/// Counter::count_ when the options are acceptable.
Counter check_options(const std::uint8_t* opt, std::uint32_t len) noexcept {
    std::uint32_t i = 0;
    while (i < len) {
        const std::uint8_t type = opt[i];
        if (type == kIpOptEol) break;
        if (type == kIpOptNop) {
            ++i;
            continue;
        }
        if (i + 1 >= len) return Counter::ipv4_bad_options;
        const std::uint8_t olen = opt[i + 1];
        if (olen < 2 || i + olen > len) return Counter::ipv4_bad_options;
        // RFC 7126 §4.3, §4.4: source routes are a spoofing tool; drop, as routers do by default.
        if (type == kIpOptLsrr || type == kIpOptSsrr) return Counter::ipv4_source_route;
        i += olen;
    }
    return Counter::count_;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// L3Port

L3Port::L3Port(const L3PortConfig& cfg, int socket_id) : cfg_(cfg) {
    const PortL3& p = cfg_.port;
    mask_ = p.prefix_len == 0 ? 0 : ~0u << (32 - (p.prefix_len > 32 ? 32 : p.prefix_len));
    if (p.port_id >= kMaxPorts) {
        err_ = "port id beyond kMaxPorts (counters)";
        return;
    }
    if (cfg_.direct_pool == nullptr || cfg_.indirect_pool == nullptr) {
        err_ = "direct and indirect mbuf pools are required";
        return;
    }
    if (p.mtu < RTE_ETHER_MIN_MTU) {  // RFC 791: every host takes 68-byte datagrams
        err_ = "MTU below 68";
        return;
    }
    if (p.ip == 0 || p.prefix_len > 32) {
        err_ = "address missing or prefix longer than /32";
        return;
    }
    if (cfg_.worker_count == 0 || cfg_.worker_index >= cfg_.worker_count) {
        err_ = "worker index out of range";
        return;
    }
    const std::uint64_t hz = rte_get_tsc_hz();
    arp_.init(cfg_.arp, hz);
    if (!reasm_.init(cfg_.reassembly, hz, socket_id)) {
        err_ = "rte_ip_frag_table_create failed (no memory)";
        return;
    }
    timer_period_tsc_ = hz / 100;  // ARP and reassembly timers every 10 ms
    if (cfg_.worker_count > 1) {
        if (cfg_.worker_count > kMaxWorkers) {
            err_ = "more workers than kMaxWorkers";
            return;
        }
        for (std::uint16_t w = 0; w < cfg_.worker_count; ++w) {
            char name[RTE_RING_NAMESIZE];
            std::snprintf(name, sizeof name, "l3arp_p%u_w%u", unsigned(p.port_id), unsigned(w));
            rte_ring* r = rte_ring_lookup(name);
            if (r == nullptr) {
                r = rte_ring_create_elem(name, sizeof(ArpShareMsg), kArpInboxSize, socket_id,
                                         RING_F_SC_DEQ);
            }
            if (r == nullptr) r = rte_ring_lookup(name);  // created meanwhile by another worker
            if (r == nullptr) {
                err_ = "cannot create the ARP inbox ring";
                return;
            }
            arp_inboxes_[w] = r;
        }
        // Whatever an earlier user of this port's inbox left is stale.
        ArpShareMsg stale[16];
        while (rte_ring_sc_dequeue_burst_elem(arp_inboxes_[cfg_.worker_index], stale,
                                              sizeof(ArpShareMsg), 16, nullptr) != 0) {
        }
    }
    ok_ = true;
}

void L3Port::share_neighbour(std::uint32_t ip, const rte_ether_addr& mac,
                             WorkerCounters& c) noexcept {
    if (cfg_.worker_count <= 1) return;
    ArpShareMsg msg{ip, mac, 0};
    for (std::uint16_t w = 0; w < cfg_.worker_count; ++w) {
        if (w == cfg_.worker_index) continue;
        if (rte_ring_mp_enqueue_elem(arp_inboxes_[w], &msg, sizeof msg) == 0) {
            c.add(cfg_.port.port_id, Counter::arp_sync_out);
        } else {
            c.add(cfg_.port.port_id, Counter::arp_sync_dropped);
        }
    }
}

void L3Port::drain_arp_inbox(std::uint64_t now_tsc, WorkerCounters& c) noexcept {
    const std::uint16_t pid = cfg_.port.port_id;
    ArpShareMsg msgs[16];
    const unsigned n = rte_ring_sc_dequeue_burst_elem(arp_inboxes_[cfg_.worker_index], msgs,
                                                      sizeof(ArpShareMsg), 16, nullptr);
    for (unsigned i = 0; i < n; ++i) {
        c.add(pid, Counter::arp_sync_in);
        // Another worker of this port saw the neighbour answer: as good as seeing it here.
        if (arp_.learn(msgs[i].ip, msgs[i].mac, now_tsc, true) ==
            ArpTable::LearnResult::resolved) {
            std::array<rte_mbuf*, ArpTable::kMaxQueued> waiting;
            const std::uint32_t k = arp_.take_queued(msgs[i].ip, waiting.data(), ArpTable::kMaxQueued);
            for (std::uint32_t j = 0; j < k; ++j) send_resolved(waiting[j], msgs[i].mac, c);
        }
    }
}

L3Port::~L3Port() {
    arp_.clear();
    for (std::uint16_t i = 0; i < tx_count_; ++i) rte_pktmbuf_free(tx_[i]);
    tx_count_ = 0;
}

bool L3Port::on_link(std::uint32_t ip) const noexcept {
    return (ip & mask_) == (cfg_.port.ip & mask_);
}

std::uint16_t L3Port::next_ip_id() noexcept {
    // Identification partitioned between workers (RFC 6864 §4.1: unique per source, destination
    // and protocol while a datagram may be reassembled): worker w uses w, w + n, w + 2n, ...
    const std::uint32_t per_worker = 65536u / cfg_.worker_count;
    ip_id_ = static_cast<std::uint16_t>((ip_id_ + 1u) % per_worker);
    return static_cast<std::uint16_t>(ip_id_ * cfg_.worker_count + cfg_.worker_index);
}

void L3Port::stage(rte_mbuf* m, WorkerCounters& c) noexcept {
    if (tx_count_ == kTxBurst) flush_tx(c);
    tx_[tx_count_++] = m;
}

std::uint16_t L3Port::flush_tx(WorkerCounters& c) noexcept {
    if (tx_count_ == 0) return 0;
    const std::uint16_t pid = cfg_.port.port_id;
    std::uint64_t bytes = 0;
    for (std::uint16_t i = 0; i < tx_count_; ++i) bytes += rte_pktmbuf_pkt_len(tx_[i]);
    const std::uint16_t sent = rte_eth_tx_burst(pid, cfg_.tx_queue, tx_.data(), tx_count_);
    for (std::uint16_t i = sent; i < tx_count_; ++i) {
        bytes -= rte_pktmbuf_pkt_len(tx_[i]);
        rte_pktmbuf_free(tx_[i]);
    }
    c.add(pid, Counter::tx_packets, sent);
    c.add(pid, Counter::tx_bytes, bytes);
    if (sent != tx_count_) c.add(pid, Counter::tx_dropped, tx_count_ - sent);
    tx_count_ = 0;
    return sent;
}

std::uint16_t L3Port::take_staged(rte_mbuf** out, std::uint16_t n) noexcept {
    const std::uint16_t k = n < tx_count_ ? n : tx_count_;
    for (std::uint16_t i = 0; i < k; ++i) out[i] = tx_[i];
    for (std::uint16_t i = k; i < tx_count_; ++i) tx_[i - k] = tx_[i];
    tx_count_ = static_cast<std::uint16_t>(tx_count_ - k);
    return k;
}

bool L3Port::send_arp(std::uint16_t op, const rte_ether_addr& eth_dst, const rte_ether_addr& tha,
                      std::uint32_t tpa, WorkerCounters& c) noexcept {
    const std::uint16_t pid = cfg_.port.port_id;
    rte_mbuf* m = rte_pktmbuf_alloc(cfg_.direct_pool);
    if (m == nullptr) {
        c.add(pid, Counter::arp_no_mbuf);
        return false;
    }
    char* p = rte_pktmbuf_append(m, kEthLen + kArpLen);
    if (p == nullptr) {  // a pool whose buffers cannot hold 42 bytes
        rte_pktmbuf_free(m);
        c.add(pid, Counter::arp_no_mbuf);
        return false;
    }
    auto* eth = reinterpret_cast<rte_ether_hdr*>(p);
    eth->dst_addr = eth_dst;
    eth->src_addr = cfg_.port.mac;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
    auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
    arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
    arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    arp->arp_hlen = RTE_ETHER_ADDR_LEN;
    arp->arp_plen = 4;
    arp->arp_opcode = rte_cpu_to_be_16(op);
    arp->arp_data.arp_sha = cfg_.port.mac;
    arp->arp_data.arp_sip = rte_cpu_to_be_32(cfg_.port.ip);
    arp->arp_data.arp_tha = tha;
    arp->arp_data.arp_tip = rte_cpu_to_be_32(tpa);
    m->l2_len = kEthLen;
    stage(m, c);
    return true;
}

void L3Port::start(std::uint64_t now_tsc, WorkerCounters& c) noexcept {
    next_timer_tsc_ = now_tsc;
    // One announcement per port, not one per worker; the gateway's answer is shared.
    if (cfg_.worker_index != 0) return;
    // RFC 5227 §2.3: announce with an ARP request whose sender and target address are ours.
    rte_ether_addr bcast;
    std::memset(&bcast, 0xff, sizeof bcast);
    const rte_ether_addr zero{};
    if (send_arp(RTE_ARP_OP_REQUEST, bcast, zero, cfg_.port.ip, c)) {
        c.add(cfg_.port.port_id, Counter::arp_gratuitous_out);
    }
    garp_at_tsc_ = now_tsc + 2 * rte_get_tsc_hz();  // ANNOUNCE_INTERVAL 2 s, ANNOUNCE_NUM 2
    if (garp_at_tsc_ == 0) garp_at_tsc_ = 1;
    // Resolve the gateway now, so that the first datagram through it does not wait for ARP.
    if (cfg_.port.gateway != 0 && on_link(cfg_.port.gateway) &&
        arp_.resolve_ahead(cfg_.port.gateway, now_tsc) &&
        send_arp(RTE_ARP_OP_REQUEST, bcast, zero, cfg_.port.gateway, c)) {
        c.add(cfg_.port.port_id, Counter::arp_request_out);
    }
}

void L3Port::poll(std::uint64_t now_tsc, WorkerCounters& c) noexcept {
    reasm_.free_death_row();
    if (cfg_.worker_count > 1) drain_arp_inbox(now_tsc, c);
    if (now_tsc < next_timer_tsc_) return;
    next_timer_tsc_ = now_tsc + timer_period_tsc_;
    const std::uint16_t pid = cfg_.port.port_id;
    rte_ether_addr bcast;
    std::memset(&bcast, 0xff, sizeof bcast);
    const rte_ether_addr zero{};
    if (garp_at_tsc_ != 0 && now_tsc >= garp_at_tsc_) {
        garp_at_tsc_ = 0;
        if (send_arp(RTE_ARP_OP_REQUEST, bcast, zero, cfg_.port.ip, c)) {
            c.add(pid, Counter::arp_gratuitous_out);
        }
    }
    reasm_.expire(now_tsc, c, pid);
    ArpTickResult r;
    arp_.tick(now_tsc, r);
    for (std::uint32_t i = 0; i < r.requests; ++i) {
        const rte_ether_addr& dst = r.request_unicast[i] ? r.request_mac[i] : bcast;
        if (send_arp(RTE_ARP_OP_REQUEST, dst, zero, r.request_ip[i], c)) {
            c.add(pid, Counter::arp_request_out);
        }
    }
    if (r.unresolved_dropped != 0) c.add(pid, Counter::arp_unresolved_drop, r.unresolved_dropped);
    if (r.given_up != 0) c.add(pid, Counter::arp_given_up, r.given_up);
    if (r.aged != 0) c.add(pid, Counter::arp_aged, r.aged);
}

void L3Port::send_resolved(rte_mbuf* m, const rte_ether_addr& dst, WorkerCounters& c) noexcept {
    const std::uint16_t pid = cfg_.port.port_id;
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    eth->dst_addr = dst;
    const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(eth + 1);
    if (rte_be_to_cpu_16(ip->total_length) <= cfg_.port.mtu) {
        stage(m, c);
        return;
    }
    // RFC 791 §2.3, §3.2: fragments of 8n data bytes, each with the header, MF on all but the
    // last. rte_ipv4_fragment_packet wants the packet to start at its IPv4 header, refuses
    // DF packets, leaves each fragment's header checksum at 0 and takes a reference on m.
    const rte_ether_addr src = eth->src_addr;
    rte_pktmbuf_adj(m, kEthLen);
    std::array<rte_mbuf*, kMaxFragsOut> frags;
    const std::int32_t n = rte_ipv4_fragment_packet(m, frags.data(), kMaxFragsOut, cfg_.port.mtu,
                                                    cfg_.direct_pool, cfg_.indirect_pool);
    rte_pktmbuf_free(m);
    if (n <= 0) {
        c.add(pid, Counter::frag_out_fail);
        return;
    }
    for (std::int32_t i = 0; i < n; ++i) {
        rte_mbuf* f = frags[static_cast<std::size_t>(i)];
        auto* feth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_prepend(f, kEthLen));
        if (feth == nullptr) {  // a direct pool without headroom: nothing of this datagram goes
            for (std::int32_t j = i; j < n; ++j) rte_pktmbuf_free(frags[static_cast<std::size_t>(j)]);
            c.add(pid, Counter::frag_out_fail);
            return;
        }
        feth->dst_addr = dst;
        feth->src_addr = src;
        feth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
        auto* fip = reinterpret_cast<rte_ipv4_hdr*>(feth + 1);
        fip->hdr_checksum = 0;
        fip->hdr_checksum = rte_ipv4_cksum(fip);
        f->l2_len = kEthLen;
        stage(f, c);
    }
    c.add(pid, Counter::frag_out, static_cast<std::uint64_t>(n));
}

bool L3Port::emit_ipv4(rte_mbuf* m, std::uint32_t next_hop, std::uint64_t now_tsc,
                       WorkerCounters& c) noexcept {
    const std::uint16_t pid = cfg_.port.port_id;
    if (const rte_ether_addr* mac = arp_.lookup(next_hop); mac != nullptr) {
        send_resolved(m, *mac, c);
        return true;
    }
    // RFC 1122 §2.3.2.2: keep the packet while the next hop resolves (bounded queue).
    switch (arp_.enqueue(next_hop, m, now_tsc)) {
        case ArpTable::ResolveResult::queued_send_request: {
            c.add(pid, Counter::arp_queued);
            rte_ether_addr bcast;
            std::memset(&bcast, 0xff, sizeof bcast);
            if (send_arp(RTE_ARP_OP_REQUEST, bcast, rte_ether_addr{}, next_hop, c)) {
                c.add(pid, Counter::arp_request_out);
            }
            return true;
        }
        case ArpTable::ResolveResult::queued:
            c.add(pid, Counter::arp_queued);
            return true;
        case ArpTable::ResolveResult::queue_full:
            rte_pktmbuf_free(m);
            c.add(pid, Counter::arp_queue_full);
            return false;
        case ArpTable::ResolveResult::table_full:
            break;
    }
    rte_pktmbuf_free(m);
    c.add(pid, Counter::arp_table_full);
    return false;
}

// ---------------------------------------------------------------------------------------------
// rx

namespace {

RxVerdict arp_input(L3Port& port, rte_mbuf* m, std::uint64_t now, WorkerCounters& c) noexcept {
    const PortL3& p = port.port();
    const std::uint16_t pid = p.port_id;
    if (rte_pktmbuf_data_len(m) < kEthLen + kArpLen) {
        return drop(m, c, pid, short_reason(m, kEthLen + kArpLen, Counter::arp_bad));
    }
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    if (!rte_is_same_ether_addr(&eth->dst_addr, &p.mac) &&
        !rte_is_broadcast_ether_addr(&eth->dst_addr)) {
        return drop(m, c, pid, Counter::l2_not_ours);
    }
    auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
    const std::uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);
    if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
        arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
        arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4 ||
        (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY)) {
        return drop(m, c, pid, Counter::arp_bad);
    }
    c.add(pid, op == RTE_ARP_OP_REQUEST ? Counter::arp_request_in : Counter::arp_reply_in);
    const rte_ether_addr sha = arp->arp_data.arp_sha;
    const std::uint32_t spa = rte_be_to_cpu_32(arp->arp_data.arp_sip);
    const std::uint32_t tpa = rte_be_to_cpu_32(arp->arp_data.arp_tip);
    if (!rte_is_valid_assigned_ether_addr(&sha)) return drop(m, c, pid, Counter::arp_bad_sender);
    if (spa == p.ip) {
        // Our own announcement looped back, or another host using our address (RFC 5227 §2.4).
        if (rte_is_same_ether_addr(&sha, &p.mac)) return drop(m, c, pid, Counter::arp_bad_sender);
        return drop(m, c, pid, Counter::arp_conflict);
    }
    // spa 0 is an RFC 5227 probe: answer it but learn nothing. Otherwise the sender must be a
    // neighbour: an off-link or martian sender is a misconfigured or spoofing host.
    if (spa != 0) {
        const bool bcast_addr = p.prefix_len <= 30 && (spa | port.mask()) == 0xffffffffu;
        if (!port.on_link(spa) || martian_source(spa) || bcast_addr) {
            return drop(m, c, pid, Counter::arp_bad_sender);
        }
        // RFC 826 packet reception: merge the sender into an existing entry; add it only when
        // we are the target.
        // Every confirmation is shared, unchanged ones too: the other workers' entries age
        // unless they hear that the neighbour still answers.
        switch (port.arp().learn(spa, sha, now, tpa == p.ip)) {
            case ArpTable::LearnResult::added:
                c.add(pid, Counter::arp_learned);
                port.share_neighbour(spa, sha, c);
                break;
            case ArpTable::LearnResult::resolved: {
                c.add(pid, Counter::arp_learned);
                port.share_neighbour(spa, sha, c);
                std::array<rte_mbuf*, ArpTable::kMaxQueued> waiting;
                const std::uint32_t n = port.arp().take_queued(spa, waiting.data(), ArpTable::kMaxQueued);
                for (std::uint32_t i = 0; i < n; ++i) port.send_resolved(waiting[i], sha, c);
                break;
            }
            case ArpTable::LearnResult::updated:
                c.add(pid, Counter::arp_updated);
                port.share_neighbour(spa, sha, c);
                break;
            case ArpTable::LearnResult::unchanged:
                port.share_neighbour(spa, sha, c);
                break;
            case ArpTable::LearnResult::full:
                c.add(pid, Counter::arp_table_full);
                break;
            case ArpTable::LearnResult::ignored:
                break;
        }
    }
    if (op == RTE_ARP_OP_REPLY) {
        rte_pktmbuf_free(m);
        return RxVerdict::consumed;
    }
    if (tpa != p.ip) return drop(m, c, pid, Counter::arp_not_ours);
    // RFC 826: swap sender and target, put our addresses in the sender fields, opcode reply,
    // and send it to the requester's hardware address. The buffer is reused in place.
    eth->dst_addr = sha;
    eth->src_addr = p.mac;
    arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
    arp->arp_data.arp_tha = sha;
    arp->arp_data.arp_tip = rte_cpu_to_be_32(spa);
    arp->arp_data.arp_sha = p.mac;
    arp->arp_data.arp_sip = rte_cpu_to_be_32(p.ip);
    port.stage(m, c);
    c.add(pid, Counter::arp_reply_out);
    return RxVerdict::consumed;
}

RxVerdict icmp_input(L3Port& port, rte_mbuf* m, std::uint32_t ihl, std::uint32_t total,
                     WorkerCounters& c) noexcept {
    const PortL3& p = port.port();
    const std::uint16_t pid = p.port_id;
    const std::uint32_t len = total - ihl;
    if (len < kIcmpLen) return drop(m, c, pid, Counter::icmp_bad);
    const std::uint32_t off = kEthLen + ihl;
    if (rte_pktmbuf_data_len(m) < off + kIcmpLen) return drop(m, c, pid, Counter::l2_headers_split);
    std::uint16_t sum = 0;
    if (rte_raw_cksum_mbuf(m, off, len, &sum) != 0 || sum != 0xffff) {
        return drop(m, c, pid, Counter::icmp_bad);
    }
    auto* icmp = rte_pktmbuf_mtod_offset(m, rte_icmp_hdr*, off);
    if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST) return drop(m, c, pid, Counter::icmp_other);
    c.add(pid, Counter::icmp_echo_in);
    // RFC 792 echo reply: same identifier, sequence and data, type 0, addresses swapped. The
    // buffer is reused in place; the reply goes back to the frame's sender (no ARP needed).
    icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
    icmp->icmp_cksum = 0;
    rte_raw_cksum_mbuf(m, off, len, &sum);
    icmp->icmp_cksum = static_cast<std::uint16_t>(~sum);
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    const rte_ether_addr back = eth->src_addr;
    eth->src_addr = p.mac;
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    ip->dst_addr = ip->src_addr;
    ip->src_addr = rte_cpu_to_be_32(p.ip);
    ip->time_to_live = kTtl;
    ip->packet_id = rte_cpu_to_be_16(port.next_ip_id());
    ip->fragment_offset = 0;  // a reassembled request may leave as fragments again
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    c.add(pid, Counter::icmp_echo_reply_out);
    port.send_resolved(m, back, c);  // fragments above the MTU
    return RxVerdict::consumed;
}

RxVerdict udp_input(L3Port& port, rte_mbuf* m, std::uint32_t ihl, std::uint32_t total,
                    UdpDatagram& out, WorkerCounters& c) noexcept {
    const PortL3& p = port.port();
    const std::uint16_t pid = p.port_id;
    const std::uint32_t off = kEthLen + ihl;
    if (total - ihl < kUdpLen) return drop(m, c, pid, Counter::udp_bad_length);
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    // A reassembled chain may start its UDP header in a later segment: read it through a copy.
    rte_udp_hdr udp_copy;
    const auto* udp = static_cast<const rte_udp_hdr*>(rte_pktmbuf_read(m, off, kUdpLen, &udp_copy));
    if (udp == nullptr) return drop(m, c, pid, Counter::udp_bad_length);
    // RFC 768: the UDP length covers header and data and must fit the IP payload; bytes after
    // it (IP payload longer than the UDP length) are ignored.
    const std::uint16_t ulen = rte_be_to_cpu_16(udp->dgram_len);
    if (ulen < kUdpLen || ulen > total - ihl) return drop(m, c, pid, Counter::udp_bad_length);
    if (rte_be_to_cpu_16(udp->dst_port) != p.sip_port) {
        return drop(m, c, pid, Counter::udp_not_sip_port);
    }
    if (udp->dgram_cksum == 0) {
        c.add(pid, Counter::udp_no_checksum);  // RFC 768: zero = no checksum, legal over IPv4
    } else if (udp_sum(m, off, ip->src_addr, ip->dst_addr, ulen) != 0xffff) {
        return drop(m, c, pid, Counter::udp_bad_checksum);
    }
    m->l4_len = kUdpLen;
    out.m = m;
    out.src_ip = rte_be_to_cpu_32(ip->src_addr);
    out.dst_ip = rte_be_to_cpu_32(ip->dst_addr);
    out.src_port = rte_be_to_cpu_16(udp->src_port);
    out.dst_port = rte_be_to_cpu_16(udp->dst_port);
    out.src_mac = eth->src_addr;
    out.length = static_cast<std::uint16_t>(ulen - kUdpLen);
    out.in_scratch = false;
    const std::uint32_t data_off = off + kUdpLen;
    if (m->nb_segs > 1) {
        // A reassembled datagram: make it contiguous for the parser. In place when the first
        // buffer has room (pointers into the first segment stay valid), else in scratch.
        c.add(pid, Counter::rx_multiseg_linearised);
        // Only a buffer nobody else references may be written (an indirect or shared first
        // segment would change another packet's bytes).
        const bool writable = RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1;
        if (!writable || rte_pktmbuf_linearize(m) != 0) {
            const void* d = rte_pktmbuf_read(m, data_off, out.length, port.scratch());
            out.payload = static_cast<const char*>(d);
            out.in_scratch = d == port.scratch();
            return RxVerdict::sip;
        }
    }
    out.payload = rte_pktmbuf_mtod_offset(m, const char*, data_off);
    return RxVerdict::sip;
}

RxVerdict ipv4_input(L3Port& port, rte_mbuf* m, std::uint64_t now, UdpDatagram& out,
                     WorkerCounters& c) noexcept {
    const PortL3& p = port.port();
    const std::uint16_t pid = p.port_id;
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    if (!rte_is_same_ether_addr(&eth->dst_addr, &p.mac)) {
        // RFC 1122 §3.3.6: a unicast-only host drops IP in link-layer broadcast/multicast.
        return drop(m, c, pid, rte_is_multicast_ether_addr(&eth->dst_addr)
                                   ? Counter::ipv4_link_broadcast
                                   : Counter::l2_not_ours);
    }
    // RFC 1812 §5.2.2, point by point.
    const std::uint32_t avail = rte_pktmbuf_pkt_len(m) - kEthLen;
    if (avail < kIpLen) return drop(m, c, pid, Counter::ipv4_truncated);  // (1) >= 20 bytes
    if (rte_pktmbuf_data_len(m) < kEthLen + kIpLen) return drop(m, c, pid, Counter::l2_headers_split);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    if ((ip->version_ihl >> 4) != 4) return drop(m, c, pid, Counter::ipv4_bad_version);  // (3)
    const std::uint32_t ihl = (ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
    if (ihl < kIpLen || ihl > avail) return drop(m, c, pid, Counter::ipv4_bad_ihl);  // (4)
    if (rte_pktmbuf_data_len(m) < kEthLen + ihl) return drop(m, c, pid, Counter::l2_headers_split);
    if (rte_raw_cksum(ip, ihl) != 0xffff) return drop(m, c, pid, Counter::ipv4_bad_checksum);  // (2)
    const std::uint32_t total = rte_be_to_cpu_16(ip->total_length);
    if (total < ihl || total > avail) return drop(m, c, pid, Counter::ipv4_bad_total_length);  // (5)
    if (avail > total && rte_pktmbuf_trim(m, static_cast<std::uint16_t>(avail - total)) != 0) {
        return drop(m, c, pid, Counter::ipv4_bad_total_length);  // padding past the last segment
    }
    // RFC 1812 §4.2.2.9 / §5.3.1: a datagram to us is received whatever its TTL; nothing is
    // decremented because nothing is forwarded.
    const std::uint32_t src = rte_be_to_cpu_32(ip->src_addr);
    const std::uint32_t dst = rte_be_to_cpu_32(ip->dst_addr);
    // The subnet's broadcast address; /31 and /32 have none (RFC 3021).
    const bool subnet_bcast =
        p.prefix_len <= 30 && port.on_link(src) && (src | port.mask()) == 0xffffffffu;
    if (martian_source(src) || subnet_bcast || src == p.ip) {
        return drop(m, c, pid, Counter::ipv4_bad_source);  // RFC 1812 §5.3.7
    }
    if (dst != p.ip) return drop(m, c, pid, Counter::ipv4_not_ours);
    if (ihl > kIpLen) {
        c.add(pid, Counter::ipv4_options);
        const Counter bad = check_options(reinterpret_cast<const std::uint8_t*>(ip + 1), ihl - kIpLen);
        if (bad != Counter::count_) return drop(m, c, pid, bad);
    }
    m->l2_len = kEthLen;
    m->l3_len = ihl;
    std::uint32_t total_now = total, ihl_now = ihl;
    if (rte_ipv4_frag_pkt_is_fragmented(ip) != 0) {
        rte_mbuf* whole = port.reassembly().input(m, ip, now, c, pid);
        if (whole == nullptr) return RxVerdict::consumed;  // held, or dropped and counted
        m = whole;  // the first fragment's buffer heads the chain: its header, its options
        ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, kEthLen);
        total_now = rte_be_to_cpu_16(ip->total_length);
        ihl_now = (ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
    }
    switch (ip->next_proto_id) {
        case IPPROTO_UDP:
            return udp_input(port, m, ihl_now, total_now, out, c);
        case IPPROTO_ICMP:
            return icmp_input(port, m, ihl_now, total_now, c);
        default:
            return drop(m, c, pid, Counter::ipv4_bad_protocol);
    }
}

}  // namespace

RxVerdict l3_input(L3Port& port, rte_mbuf* m, std::uint64_t now_tsc, UdpDatagram& out,
                   WorkerCounters& c) noexcept {
    const std::uint16_t pid = port.port().port_id;
    if (rte_pktmbuf_data_len(m) < kEthLen) {
        return drop(m, c, pid, short_reason(m, kEthLen, Counter::l2_runt));
    }
    const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
    switch (rte_be_to_cpu_16(eth->ether_type)) {
        case RTE_ETHER_TYPE_IPV4:
            return ipv4_input(port, m, now_tsc, out, c);
        case RTE_ETHER_TYPE_ARP:
            return arp_input(port, m, now_tsc, c);
        default:
            return drop(m, c, pid, Counter::non_ip_drop);
    }
}

// ---------------------------------------------------------------------------------------------
// tx

bool udp_output(L3Port& port, rte_mbuf* m, std::uint32_t dst_ip, std::uint16_t dst_port,
                std::uint64_t now_tsc, WorkerCounters& c) noexcept {
    const PortL3& p = port.port();
    const std::uint16_t pid = p.port_id;
    const std::uint32_t len = rte_pktmbuf_pkt_len(m);
    if (len > 65535u - kIpLen - kUdpLen) {
        rte_pktmbuf_free(m);
        c.add(pid, Counter::tx_too_large);
        return false;
    }
    std::uint32_t next_hop = dst_ip;
    const bool subnet_bcast = p.prefix_len <= 30 && (dst_ip | port.mask()) == 0xffffffffu &&
                              port.on_link(dst_ip);
    if (dst_ip == 0 || martian_source(dst_ip) || dst_ip == p.ip || subnet_bcast) {
        next_hop = 0;  // nothing we may send to: SIP over UDP here is unicast only
    } else if (!port.on_link(dst_ip)) {
        next_hop = p.gateway;
    }
    if (next_hop == 0) {
        rte_pktmbuf_free(m);
        c.add(pid, Counter::tx_no_route);
        return false;
    }
    char* h = rte_pktmbuf_prepend(m, kEthLen + kIpLen + kUdpLen);
    if (h == nullptr) {
        rte_pktmbuf_free(m);
        c.add(pid, Counter::tx_no_headroom);
        return false;
    }
    auto* eth = reinterpret_cast<rte_ether_hdr*>(h);
    eth->src_addr = p.mac;  // dst_addr when the next hop is resolved
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->type_of_service = 0;
    ip->total_length = rte_cpu_to_be_16(static_cast<std::uint16_t>(kIpLen + kUdpLen + len));
    ip->packet_id = rte_cpu_to_be_16(port.next_ip_id());
    ip->fragment_offset = 0;  // DF clear: a datagram above the MTU is fragmented, here or on path
    ip->time_to_live = kTtl;
    ip->next_proto_id = IPPROTO_UDP;
    ip->src_addr = rte_cpu_to_be_32(p.ip);
    ip->dst_addr = rte_cpu_to_be_32(dst_ip);
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
    udp->src_port = rte_cpu_to_be_16(p.sip_port);
    udp->dst_port = rte_cpu_to_be_16(dst_port);
    udp->dgram_len = rte_cpu_to_be_16(static_cast<std::uint16_t>(kUdpLen + len));
    udp->dgram_cksum = 0;
    if (m->nb_segs == 1) {
        udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
    } else {
        const std::uint16_t s = static_cast<std::uint16_t>(
            ~udp_sum(m, kEthLen + kIpLen, ip->src_addr, ip->dst_addr,
                     static_cast<std::uint16_t>(kUdpLen + len)));
        udp->dgram_cksum = s == 0 ? 0xffff : s;  // RFC 768: a computed zero is sent as ones
    }
    m->l2_len = kEthLen;
    m->l3_len = kIpLen;
    m->l4_len = kUdpLen;
    return port.emit_ipv4(m, next_hop, now_tsc, c);
}

}  // namespace palisade::dp
