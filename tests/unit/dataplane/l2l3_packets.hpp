// Test support for l2l3_test and reassembly_test: EAL set-up once per binary, mbuf pools, and a
// byte-level packet builder whose checksums are computed here (RFC 1071), independently of the
// DPDK helpers the code under test uses.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <unistd.h>
#include <string>
#include <vector>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dataplane/l2l3.hpp"

namespace palisade::dp::test {

using Bytes = std::vector<std::uint8_t>;

/// EAL once per binary, without hugepages or PCI, one net_ring port (port 0).
class EalEnv : public ::testing::Environment {
public:
    void SetUp() override {
        // DPDK 22.11 refuses --in-memory with --no-huge (it implies --legacy-mem): a private
        // prefix and no shared config keep parallel test binaries apart instead.
        prefix_ = "p8_l2l3_" + std::to_string(::getpid());
        std::vector<std::string> args{"l2l3_test", "--no-huge", "--no-pci", "--no-shconf",
                                      "--file-prefix=" + prefix_, "-m", "512", "-l", "0",
                                      "--vdev=net_ring0", "--log-level=3"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        ASSERT_GE(rte_eal_init(static_cast<int>(argv.size()), argv.data()), 0) << "EAL init";
        direct = rte_pktmbuf_pool_create("p8_direct", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                         SOCKET_ID_ANY);
        indirect = rte_pktmbuf_pool_create("p8_indirect", 2047, 0, 0, 0, SOCKET_ID_ANY);
        ASSERT_NE(direct, nullptr);
        ASSERT_NE(indirect, nullptr);
    }
    void TearDown() override {
        rte_eal_cleanup();
        std::error_code ec;
        std::filesystem::remove_all("/var/run/dpdk/" + prefix_, ec);
    }
    std::string prefix_;
    static inline rte_mempool* direct = nullptr;
    static inline rte_mempool* indirect = nullptr;
};

inline std::uint64_t hz() { return rte_get_tsc_hz(); }

/// RFC 1071 one's-complement sum, folded, not complemented.
inline std::uint32_t sum16(const std::uint8_t* p, std::size_t n, std::uint32_t acc = 0) {
    for (std::size_t i = 0; i + 1 < n; i += 2) acc += (std::uint32_t(p[i]) << 8) | p[i + 1];
    if (n & 1) acc += std::uint32_t(p[n - 1]) << 8;
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return acc;
}
inline std::uint16_t csum(const std::uint8_t* p, std::size_t n, std::uint32_t acc = 0) {
    return static_cast<std::uint16_t>(~sum16(p, n, acc) & 0xffff);
}

inline void put16(Bytes& b, std::size_t at, std::uint16_t v) {
    b[at] = std::uint8_t(v >> 8);
    b[at + 1] = std::uint8_t(v);
}
inline void put32(Bytes& b, std::size_t at, std::uint32_t v) {
    put16(b, at, std::uint16_t(v >> 16));
    put16(b, at + 2, std::uint16_t(v));
}
/// Appends b to a (resize + memcpy: GCC 12 warns falsely on vector::insert at -O3).
inline void append(Bytes& a, const std::uint8_t* p, std::size_t n) {
    const std::size_t at = a.size();
    a.resize(at + n);
    if (n != 0) std::memcpy(a.data() + at, p, n);
}
inline void append(Bytes& a, const Bytes& b) { append(a, b.data(), b.size()); }

inline std::uint16_t get16(const std::uint8_t* p) { return std::uint16_t((p[0] << 8) | p[1]); }
inline std::uint32_t get32(const std::uint8_t* p) {
    return (std::uint32_t(get16(p)) << 16) | get16(p + 2);
}

inline constexpr std::uint32_t ip4(int a, int b, int c, int d) {
    return (std::uint32_t(a) << 24) | (std::uint32_t(b) << 16) | (std::uint32_t(c) << 8) |
           std::uint32_t(d);
}
inline rte_ether_addr mac(std::uint8_t last) { return rte_ether_addr{{0x02, 0, 0, 0, 0, last}}; }
/// Whether a resolved MAC (may be null) is 02:00:00:00:00:last.
inline bool is_mac(const rte_ether_addr* a, std::uint8_t last) {
    const rte_ether_addr want = mac(last);
    return a != nullptr && rte_is_same_ether_addr(a, &want);
}
inline const rte_ether_addr kBcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

/// Our port in every test: 192.0.2.1/24 on 02:00:00:00:00:01, gateway .254, SIP 5060.
inline constexpr std::uint32_t kOurIp = ip4(192, 0, 2, 1);
inline constexpr std::uint32_t kPeerIp = ip4(192, 0, 2, 2);
inline constexpr std::uint32_t kGateway = ip4(192, 0, 2, 254);

inline Bytes eth(const rte_ether_addr& dst, const rte_ether_addr& src, std::uint16_t type) {
    Bytes b(14);
    std::memcpy(b.data(), dst.addr_bytes, 6);
    std::memcpy(b.data() + 6, src.addr_bytes, 6);
    put16(b, 12, type);
    return b;
}

inline Bytes arp(std::uint16_t op, const rte_ether_addr& sha, std::uint32_t spa,
                 const rte_ether_addr& tha, std::uint32_t tpa) {
    Bytes b(28);
    put16(b, 0, 1);
    put16(b, 2, 0x0800);
    b[4] = 6;
    b[5] = 4;
    put16(b, 6, op);
    std::memcpy(b.data() + 8, sha.addr_bytes, 6);
    put32(b, 14, spa);
    std::memcpy(b.data() + 18, tha.addr_bytes, 6);
    put32(b, 24, tpa);
    return b;
}

/// IPv4 header (with options, padded by the caller to 4n bytes) followed by payload.
struct Ip {
    std::uint32_t src = kPeerIp, dst = kOurIp;
    std::uint8_t proto = 17, ttl = 64, tos = 0;
    std::uint16_t id = 0x1234;
    std::uint16_t frag = 0;  // flags and offset field, host order
    Bytes options;
    int version = 4;
    int ihl = -1;                // -1 = from options
    int total_delta = 0;         // added to the right total length
    bool bad_checksum = false;
};

inline Bytes ipv4(const Ip& h, const Bytes& payload) {
    const std::size_t hl = 20 + h.options.size();
    Bytes b(hl);
    const int ihl = h.ihl >= 0 ? h.ihl : int(hl / 4);
    b[0] = std::uint8_t((h.version << 4) | (ihl & 0xf));
    b[1] = h.tos;
    put16(b, 2, std::uint16_t(int(hl + payload.size()) + h.total_delta));
    put16(b, 4, h.id);
    put16(b, 6, h.frag);
    b[8] = h.ttl;
    b[9] = h.proto;
    put32(b, 12, h.src);
    put32(b, 16, h.dst);
    if (!h.options.empty()) std::memcpy(b.data() + 20, h.options.data(), h.options.size());
    std::uint16_t ck = csum(b.data(), hl);
    if (h.bad_checksum) ck = std::uint16_t(ck ^ 0x5a5a);
    put16(b, 10, ck);
    append(b, payload);
    return b;
}

/// UDP header and payload; checksum over the RFC 768 pseudo header unless zero_checksum.
inline Bytes udp(std::uint32_t src, std::uint32_t dst, std::uint16_t sport, std::uint16_t dport,
                 const Bytes& payload, bool zero_checksum = false, int len_delta = 0,
                 bool bad_checksum = false) {
    Bytes b(8);
    put16(b, 0, sport);
    put16(b, 2, dport);
    const std::uint16_t ulen = std::uint16_t(8 + payload.size());
    put16(b, 4, std::uint16_t(ulen + len_delta));
    append(b, payload);
    if (!zero_checksum) {
        Bytes ph(12);
        put32(ph, 0, src);
        put32(ph, 4, dst);
        ph[9] = 17;
        put16(ph, 10, ulen);
        std::uint16_t ck = csum(b.data(), b.size(), sum16(ph.data(), 12));
        if (ck == 0) ck = 0xffff;
        if (bad_checksum) ck = std::uint16_t(ck ^ 0x0101);
        put16(b, 6, ck);
    }
    return b;
}

inline Bytes icmp_echo(std::uint8_t type, std::uint16_t ident, std::uint16_t seq,
                       const Bytes& data, bool bad_checksum = false) {
    Bytes b(8);
    b[0] = type;
    put16(b, 4, ident);
    put16(b, 6, seq);
    append(b, data);
    std::uint16_t ck = csum(b.data(), b.size());
    if (bad_checksum) ck = std::uint16_t(ck ^ 1);
    put16(b, 2, ck);
    return b;
}

inline Bytes cat(Bytes a, const Bytes& b) {
    append(a, b);
    return a;
}

inline Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

inline Bytes pattern(std::size_t n) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = std::uint8_t('A' + (i * 7) % 26);
    return b;
}

/// An mbuf holding bytes: one segment when they fit, else a chain of 1,024-byte segments.
inline rte_mbuf* to_mbuf(const Bytes& b) {
    const std::size_t room = 2048;
    const std::size_t seg = b.size() <= room ? room : 1024;
    rte_mbuf* head = nullptr;
    std::size_t at = 0;
    do {
        rte_mbuf* m = rte_pktmbuf_alloc(EalEnv::direct);
        if (m == nullptr) break;
        const std::size_t n = std::min(seg, b.size() - at);
        char* p = rte_pktmbuf_append(m, std::uint16_t(n));
        if (p == nullptr) {
            rte_pktmbuf_free(m);
            break;
        }
        std::memcpy(p, b.data() + at, n);
        at += n;
        if (head == nullptr) {
            head = m;
        } else if (rte_pktmbuf_chain(head, m) != 0) {
            rte_pktmbuf_free(m);
            break;
        }
    } while (at < b.size());
    if (at != b.size()) {
        rte_pktmbuf_free(head);
        return nullptr;
    }
    return head;
}

/// All bytes of a (possibly chained) mbuf.
inline Bytes from_mbuf(const rte_mbuf* m) {
    Bytes b(rte_pktmbuf_pkt_len(m));
    const void* p = rte_pktmbuf_read(m, 0, std::uint32_t(b.size()), b.data());
    if (p != b.data()) std::memcpy(b.data(), p, b.size());
    return b;
}

/// The L2/L3 config of our test port.
inline L3PortConfig port_config(std::uint32_t ip = kOurIp, std::uint8_t mac_last = 1,
                                std::uint32_t gateway = kGateway, std::uint16_t mtu = 1500) {
    L3PortConfig c;
    c.port.port_id = 0;
    c.port.mac = mac(mac_last);
    c.port.ip = ip;
    c.port.prefix_len = 24;
    c.port.gateway = gateway;
    c.port.sip_port = 5060;
    c.port.mtu = mtu;
    c.direct_pool = EalEnv::direct;
    c.indirect_pool = EalEnv::indirect;
    return c;
}

/// Frees every staged mbuf of a port; returns their bytes.
inline std::vector<Bytes> drain(L3Port& p) {
    std::vector<Bytes> out;
    std::array<rte_mbuf*, L3Port::kTxBurst> ms{};
    const std::uint16_t n = p.take_staged(ms.data(), L3Port::kTxBurst);
    for (std::uint16_t i = 0; i < n; ++i) {
        out.push_back(from_mbuf(ms[i]));
        rte_pktmbuf_free(ms[i]);
    }
    return out;
}

inline unsigned in_use() {
    return rte_mempool_in_use_count(EalEnv::direct) + rte_mempool_in_use_count(EalEnv::indirect);
}

}  // namespace palisade::dp::test
