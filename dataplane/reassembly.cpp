// IPv4 reassembly of one worker on one port, on rte_ip_frag. See reassembly.hpp.
//
// rte_ip_frag reports only "reassembled" or "not yet" and gives dropped mbufs back on the death
// row, so the reason for a drop is read from what it put there during the call: the fragment
// itself alone (no free flow: table full), the fragment with its flow's others (too many
// fragments, duplicates, overlaps), or only older mbufs (a timed-out flow it reclaimed).

// rte_ip_frag_table_del_expired_entries is still marked experimental in DPDK 22.11.
#ifndef ALLOW_EXPERIMENTAL_API
#define ALLOW_EXPERIMENTAL_API
#endif

#include "dataplane/reassembly.hpp"

#include <rte_cycles.h>

namespace palisade::dp {

namespace {
// Mbufs one call can put on the death row: a reclaimed stale flow, or a flow and the fragment.
constexpr std::uint32_t kMaxDrPerCall = 2 * (RTE_LIBRTE_IP_FRAG_MAX_FRAG + 1);
// Associativity of the library's buckets (power of two).
constexpr std::uint32_t kBucketEntries = 8;
}  // namespace

Reassembly::~Reassembly() {
    free_death_row();
    if (tbl_ != nullptr) rte_ip_frag_table_destroy(tbl_);
}

bool Reassembly::init(const ReassemblyConfig& cfg, std::uint64_t tsc_hz, int socket_id) noexcept {
    const std::uint32_t flows = cfg.max_flows == 0 ? 1 : cfg.max_flows;
    // The table holds buckets * entries * 2 (two hash functions) slots; ask for twice the flows
    // so that a full bucket rarely refuses a flow before max_flows is reached.
    std::uint32_t buckets = (flows + kBucketEntries - 1) / kBucketEntries;
    const std::uint64_t max_cycles = tsc_hz / 1000 * cfg.timeout_ms;
    tbl_ = rte_ip_frag_table_create(buckets, kBucketEntries, flows, max_cycles, socket_id);
    dr_.cnt = 0;
    return tbl_ != nullptr;
}

void Reassembly::free_death_row() noexcept {
    if (dr_.cnt != 0) rte_ip_frag_free_death_row(&dr_, 0);
}

void Reassembly::make_room() noexcept {
    if (dr_.cnt + kMaxDrPerCall > RTE_IP_FRAG_DEATH_ROW_MBUF_LEN) free_death_row();
}

rte_mbuf* Reassembly::input(rte_mbuf* m, rte_ipv4_hdr* ip, std::uint64_t now_tsc,
                            WorkerCounters& c, std::uint16_t port) noexcept {
    c.add(port, Counter::frag_in);
    // Checks the library leaves to its caller (DPDK 22.11): a fragment without payload, or one
    // whose end lies past the largest IPv4 datagram (RFC 791 §3.1: total length is 16 bits).
    const std::uint32_t ihl = m->l3_len;
    const std::uint32_t total = rte_be_to_cpu_16(ip->total_length);
    const std::uint32_t offset =
        (rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK) *
        RTE_IPV4_HDR_OFFSET_UNITS;
    const bool more = (rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_MF_FLAG) != 0;
    if (total <= ihl || offset + (total - ihl) + ihl > 65535 ||
        (more && ((total - ihl) % 8) != 0)) {  // RFC 791: all but the last carry 8n bytes
        rte_pktmbuf_free(m);
        c.add(port, Counter::frag_drop_bad);
        return nullptr;
    }
    make_room();
    const std::uint32_t before = dr_.cnt;
    rte_mbuf* out = rte_ipv4_frag_reassemble_packet(tbl_, &dr_, m, now_tsc, ip);
    const std::uint32_t added = dr_.cnt - before;
    if (out != nullptr) {
        if (added != 0) c.add(port, Counter::frag_timeout, added);
        c.add(port, Counter::frag_reassembled);
        return out;
    }
    if (added == 0) return nullptr;  // held
    bool self = false;
    for (std::uint32_t i = before; i < dr_.cnt; ++i) self |= dr_.row[i] == m;
    if (!self) {
        c.add(port, Counter::frag_timeout, added);  // a stale flow reclaimed; m is held
    } else if (added == 1) {
        c.add(port, Counter::frag_drop_table_full);
    } else {
        c.add(port, Counter::frag_drop_bad, added);
    }
    return nullptr;
}

void Reassembly::expire(std::uint64_t now_tsc, WorkerCounters& c, std::uint16_t port) noexcept {
    // The library stops when the death row is full; free it and go on, a bounded number of times.
    for (int round = 0; round < 4; ++round) {
        free_death_row();
        rte_ip_frag_table_del_expired_entries(tbl_, &dr_, now_tsc);
        if (dr_.cnt == 0) break;
        c.add(port, Counter::frag_timeout, dr_.cnt);
        if (dr_.cnt + RTE_LIBRTE_IP_FRAG_MAX_FRAG < RTE_IP_FRAG_DEATH_ROW_MBUF_LEN) break;
    }
    free_death_row();
}

}  // namespace palisade::dp
