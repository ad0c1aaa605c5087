// Per-worker, per-port IPv4 reassembly (RFC 791 §3.2) on DPDK's rte_ip_frag: bounded in flows,
// fragments per datagram (RTE_LIBRTE_IP_FRAG_MAX_FRAG) and time; every dropped fragment counted.
// Owned by one worker (dp: rw, owner only). The death row (mbufs the library gives back) is
// freed once per worker loop and whenever it could overflow.
#pragma once

#include <cstdint>

#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>

#include "dataplane/contract/counters.hpp"

namespace palisade::dp {

/// Reassembly bounds.
struct ReassemblyConfig {
    // Datagrams being reassembled at once. Each may hold up to RTE_LIBRTE_IP_FRAG_MAX_FRAG (8)
    // mbufs until it completes or times out, so this bounds what a fragment flood can take from
    // the pool: 128 x 8 = 1,024 mbufs per worker and port. SIP rarely fragments.
    std::uint32_t max_flows = 128;
    std::uint32_t timeout_ms = 5000;  // a datagram not complete by then is dropped
};

/// One rte_ip_frag table and its death row.
class Reassembly {
public:
    Reassembly() = default;
    ~Reassembly();
    Reassembly(const Reassembly&) = delete;
    Reassembly& operator=(const Reassembly&) = delete;

    /// Creates the table. False on failure (no memory). Start-up only.
    bool init(const ReassemblyConfig& cfg, std::uint64_t tsc_hz, int socket_id) noexcept;

    /// Offers one fragment (m->l2_len and l3_len set, ip points into m). Returns the reassembled
    /// datagram (a chain, IPv4 header updated: total length, no MF/offset, checksum 0) or nullptr
    /// when the fragment is held or dropped (counted: frag_drop_table_full, frag_drop_bad,
    /// frag_timeout). Counts frag_in and frag_reassembled. Takes ownership of m.
    rte_mbuf* input(rte_mbuf* m, rte_ipv4_hdr* ip, std::uint64_t now_tsc, WorkerCounters& c,
                    std::uint16_t port) noexcept;
    /// Drops datagrams older than the timeout (frag_timeout counts their fragments).
    void expire(std::uint64_t now_tsc, WorkerCounters& c, std::uint16_t port) noexcept;
    /// Frees the mbufs the library put on the death row.
    void free_death_row() noexcept;
    /// Mbufs waiting on the death row (tests).
    std::uint32_t death_row_size() const noexcept { return dr_.cnt; }

private:
    void make_room() noexcept;

    rte_ip_frag_tbl* tbl_ = nullptr;
    rte_ip_frag_death_row dr_{};
};

}  // namespace palisade::dp
