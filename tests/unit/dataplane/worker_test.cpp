// The worker loop through EAL (--no-huge --no-pci --in-memory) on net_ring ports made with
// rte_eth_from_rings: packets are generated into the port's rx rings and read back from its tx
// rings. Two workers are driven from the test thread, one poll at a time, so that handoffs are
// deterministic.
#include "dataplane/worker.hpp"

#include <gtest/gtest.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <unistd.h>
#include <fstream>
#include <iterator>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/contract/clock.hpp"
#include "dataplane/contract/limits.hpp"
#include "dataplane/contract/location.hpp"
#include "dataplane/contract/policy_snapshot.hpp"
#include "dataplane/eal.hpp"
#include "dataplane/port.hpp"
#include "parsers/sip/message.hpp"
#include "parsers/sip/validate.hpp"

namespace palisade::dp {
namespace {

constexpr std::uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d) {
    return (a << 24) | (b << 16) | (c << 8) | d;
}

constexpr std::uint32_t kOurIp = ip4(10, 0, 0, 1);
constexpr std::uint32_t kPeerIp = ip4(10, 0, 0, 2);       // inside the trunk's 10.0.0.0/25
constexpr std::uint32_t kStrangerIp = ip4(10, 0, 0, 200);  // on-link, outside every trunk
const rte_ether_addr kPeerMac = {{0x02, 0, 0, 0, 0, 0x02}};
const rte_ether_addr kStrangerMac = {{0x02, 0, 0, 0, 0, 0xc8}};
constexpr unsigned kWorkers = 2;

/// What came out of a tx ring.
struct Sent {
    rte_ether_addr eth_dst, eth_src;
    std::uint32_t src_ip, dst_ip;
    std::uint16_t src_port, dst_port;
    bool udp_checksum_ok;
    std::string payload;
};

class WorkerTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        std::string err;
        EalSpec spec;
        spec.lcores = "0";
        spec.args = {"--no-huge", "--no-pci", "--in-memory", "-m", "512", "--log-level", "*:error"};
        spec.mbuf_count = 4095;
        ASSERT_TRUE(eal_init(build_eal_args("worker_test", spec, {}, false), err)) << err;
        ASSERT_TRUE(create_pools(spec, 256, "_wt", 0, pools_, err)) << err;
        for (unsigned q = 0; q < kWorkers; ++q) {
            rx_[q] = rte_ring_create(("wt_rx" + std::to_string(q)).c_str(), 1024, 0,
                                     RING_F_SP_ENQ | RING_F_SC_DEQ);
            tx_[q] = rte_ring_create(("wt_tx" + std::to_string(q)).c_str(), 1024, 0,
                                     RING_F_SP_ENQ | RING_F_SC_DEQ);
            ASSERT_NE(rx_[q], nullptr);
            ASSERT_NE(tx_[q], nullptr);
        }
        const int pid = create_ring_port("wt_ring", rx_, kWorkers, tx_, kWorkers, err);
        ASSERT_GE(pid, 0) << err;
        port_id_ = static_cast<std::uint16_t>(pid);
        InterfaceSpec ifs;
        ifs.name = "access";
        ifs.device = "wt_ring";
        ifs.address = {kOurIp, 24};
        ifs.sip_port = 5060;
        PortInfo info;
        ASSERT_TRUE(configure_port(port_id_, ifs, kWorkers, pools_.mbufs, info, err)) << err;
        std::memcpy(our_mac_.addr_bytes, info.mac, 6);

        EngineConfig cfg;
        cfg.workers = kWorkers;
        cfg.ports.push_back({port_id_, ifs, our_mac_});
        cfg.pools = pools_;
        cfg.ring_size = 64;
        cfg.timers_per_worker = 1024;
        cfg.known.add({ip4(10, 0, 0, 0), 25});
        cfg.tag = "_wt";
        limits_ = new LimitsTable(64);
        policy_ = new PolicySlot(kWorkers);
        cfg.policy = policy_;  // nothing published: the start-up KnownSources answer
        LocationLimits ll;
        ll.accounts = 64;
        ll.sources = 64;
        ll.blocked = 64;
        ll.trunks = 64;
        ll.max_readers = kWorkers;
        location_ = new LocationTable(ll);
        cfg.location = location_;  // empty: changes nothing until a test registers or blocks
        engine_ = new Engine;
        ASSERT_TRUE(engine_->init(cfg, err)) << err;
        // Neighbours known up front, so that replies leave at once (ARP has its own tests).
        const std::uint64_t now = rte_rdtsc();
        for (unsigned w = 0; w < kWorkers; ++w) {
            engine_->worker(w).l3(0).arp().learn(kPeerIp, kPeerMac, now, true);
            engine_->worker(w).l3(0).arp().learn(kStrangerIp, kStrangerMac, now, true);
        }
    }

    void SetUp() override {
        ASSERT_NE(engine_, nullptr);
        drain_all();
    }

    /// Frame: Ethernet + IPv4 + UDP (checksum computed) + payload, into an mbuf.
    static rte_mbuf* frame(std::uint32_t src_ip, std::uint16_t src_port, std::string_view payload,
                           const rte_ether_addr& src_mac = kPeerMac) {
        rte_mbuf* m = rte_pktmbuf_alloc(pools_.mbufs);
        EXPECT_NE(m, nullptr);
        const std::size_t len = sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr) +
                                payload.size();
        char* p = rte_pktmbuf_append(m, static_cast<std::uint16_t>(len));
        EXPECT_NE(p, nullptr);
        auto* eth = reinterpret_cast<rte_ether_hdr*>(p);
        eth->dst_addr = our_mac_;
        eth->src_addr = src_mac;
        eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
        auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
        std::memset(ip, 0, sizeof *ip);
        ip->version_ihl = RTE_IPV4_VHL_DEF;
        ip->total_length = rte_cpu_to_be_16(static_cast<std::uint16_t>(len - sizeof(rte_ether_hdr)));
        ip->packet_id = rte_cpu_to_be_16(7);
        ip->time_to_live = 64;
        ip->next_proto_id = IPPROTO_UDP;
        ip->src_addr = rte_cpu_to_be_32(src_ip);
        ip->dst_addr = rte_cpu_to_be_32(kOurIp);
        ip->hdr_checksum = rte_ipv4_cksum(ip);
        auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
        udp->src_port = rte_cpu_to_be_16(src_port);
        udp->dst_port = rte_cpu_to_be_16(5060);
        udp->dgram_len = rte_cpu_to_be_16(static_cast<std::uint16_t>(sizeof(rte_udp_hdr) + payload.size()));
        udp->dgram_cksum = 0;
        std::memcpy(udp + 1, payload.data(), payload.size());
        udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
        return m;
    }

    static void inject_rx(unsigned queue, rte_mbuf* m) {
        ASSERT_EQ(rte_ring_enqueue(rx_[queue], m), 0);
    }

    /// Polls every worker a few rounds (handoff needs the owner's next poll; tx drains when a
    /// poll finds nothing).
    static void pump(int rounds = 4) {
        std::uint64_t now = rte_rdtsc();
        for (int r = 0; r < rounds; ++r)
            for (unsigned w = 0; w < kWorkers; ++w) engine_->worker(w).poll(now += 1000);
    }

    static std::vector<Sent> sent(unsigned queue) {
        std::vector<Sent> out;
        void* obj = nullptr;
        while (rte_ring_dequeue(tx_[queue], &obj) == 0) {
            auto* m = static_cast<rte_mbuf*>(obj);
            EXPECT_EQ(m->nb_segs, 1);
            auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
            Sent s{};
            s.eth_dst = eth->dst_addr;
            s.eth_src = eth->src_addr;
            if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
                auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
                auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
                s.src_ip = rte_be_to_cpu_32(ip->src_addr);
                s.dst_ip = rte_be_to_cpu_32(ip->dst_addr);
                s.src_port = rte_be_to_cpu_16(udp->src_port);
                s.dst_port = rte_be_to_cpu_16(udp->dst_port);
                const std::uint16_t got = udp->dgram_cksum;
                udp->dgram_cksum = 0;
                s.udp_checksum_ok = got != 0 && rte_ipv4_udptcp_cksum(ip, udp) == got;
                udp->dgram_cksum = got;
                s.payload.assign(reinterpret_cast<const char*>(udp + 1),
                                 rte_be_to_cpu_16(udp->dgram_len) - sizeof(rte_udp_hdr));
                out.push_back(s);
            }
            rte_pktmbuf_free(m);
        }
        return out;
    }

    static void drain_all() {
        pump(2);
        for (unsigned q = 0; q < kWorkers; ++q) sent(q);
        for (unsigned w = 0; w < kWorkers; ++w) {
            void* obj = nullptr;
            while (rte_ring_dequeue(engine_->punt_ring(w), &obj) == 0)
                rte_mempool_put(pools_.messages, obj);
        }
    }

    static std::uint64_t count(Counter c) { return engine_->sum(c, port_id_); }

    /// A Call-ID owned by worker `w`.
    static std::string call_id_for(unsigned w, const std::string& base = "cid") {
        for (int i = 0;; ++i) {
            std::string id = base + std::to_string(i) + "@10.0.0.2";
            if (owner_worker(id, kWorkers) == w) return id;
        }
    }

    static std::string options(const std::string& call_id, const std::string& ruri = "sip:10.0.0.1",
                               const std::string& extra = "") {
        return "OPTIONS " + ruri + " SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 10.0.0.2:5070;branch=z9hG4bK-opt1;rport\r\n"
               "Max-Forwards: 70\r\n"
               "From: <sip:probe@10.0.0.2>;tag=a1\r\n"
               "To: <" + ruri + ">\r\n"
               "Call-ID: " + call_id + "\r\n"
               "CSeq: 1 OPTIONS\r\n" + extra +
               "Content-Length: 0\r\n\r\n";
    }

    /// The To tag Palisade added, cut out of a response (to compare the rest exactly).
    static std::string without_to_tag(const std::string& text, std::string* tag = nullptr) {
        const std::size_t to = text.find("\r\nTo: ");
        const std::size_t t = text.find(";tag=", to);
        const std::size_t e = text.find("\r\n", t);
        if (to == std::string::npos || t == std::string::npos || t > e) return text;
        if (tag) *tag = text.substr(t + 5, e - t - 5);
        return text.substr(0, t) + ";tag=TAG" + text.substr(e);
    }

    static inline Pools pools_{};
    static inline rte_ring* rx_[kWorkers]{};
    static inline rte_ring* tx_[kWorkers]{};
    static inline std::uint16_t port_id_ = 0;
    static inline rte_ether_addr our_mac_{};
    static inline Engine* engine_ = nullptr;
    static inline LimitsTable* limits_ = nullptr;
    static inline PolicySlot* policy_ = nullptr;
    static inline LocationTable* location_ = nullptr;
};

/// Unix seconds now (the workers read the same coarse wall clock once per loop).
std::uint64_t unix_now_s() { return SystemClock{}.now().seconds(); }

TEST_F(WorkerTest, OptionsFromKnownSourceIsAnswered200WithExactHeaders) {
    const std::string cid = call_id_for(0);
    const std::uint64_t before = count(Counter::sip_options_answered);
    inject_rx(0, frame(kPeerIp, 5070, options(cid)));
    pump();
    const std::vector<Sent> out = sent(0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(sent(1).empty());
    const Sent& s = out[0];
    EXPECT_EQ(std::memcmp(&s.eth_dst, &kPeerMac, 6), 0);
    EXPECT_EQ(std::memcmp(&s.eth_src, &our_mac_, 6), 0);
    EXPECT_EQ(s.src_ip, kOurIp);
    EXPECT_EQ(s.dst_ip, kPeerIp);
    EXPECT_EQ(s.src_port, 5060);
    EXPECT_EQ(s.dst_port, 5070);  // rport: back to the source port (RFC 3581 §4)
    EXPECT_TRUE(s.udp_checksum_ok);
    std::string tag;
    EXPECT_EQ(without_to_tag(s.payload, &tag),
              "SIP/2.0 200 OK\r\n"
              // RFC 3581 §4: received and rport=<source port> stamped on the top Via.
              "Via: SIP/2.0/UDP 10.0.0.2:5070;branch=z9hG4bK-opt1;received=10.0.0.2;rport=5070\r\n"
              "From: <sip:probe@10.0.0.2>;tag=a1\r\n"
              "To: <sip:10.0.0.1>;tag=TAG\r\n"
              "Call-ID: " + cid + "\r\n"
              "CSeq: 1 OPTIONS\r\n"
              "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER\r\n"
              "Accept: application/sdp\r\n"
              "Supported: timer\r\n"
              "Content-Length: 0\r\n\r\n");
    EXPECT_EQ(tag.rfind("pl00.", 0), 0u) << tag;
    EXPECT_EQ(count(Counter::sip_options_answered), before + 1);
}

TEST_F(WorkerTest, ReplyGoesToTheViaPortWithoutRport) {
    const std::string cid = call_id_for(0);
    std::string req = options(cid);
    req.replace(req.find(";rport"), 6, "");
    inject_rx(0, frame(kPeerIp, 40000, req));
    pump();
    const std::vector<Sent> out = sent(0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].dst_port, 5070);  // RFC 3261 §18.2.2: the sent-by port
}

TEST_F(WorkerTest, OptionsFromUnknownSourceIsDroppedAndCounted) {
    const std::uint64_t before = count(Counter::sip_unknown_source_dropped);
    const std::uint64_t answered = count(Counter::sip_options_answered);
    inject_rx(0, frame(kStrangerIp, 5070, options(call_id_for(0)), kStrangerMac));
    inject_rx(1, frame(kStrangerIp, 5070, options(call_id_for(1)), kStrangerMac));
    pump();
    EXPECT_TRUE(sent(0).empty());
    EXPECT_TRUE(sent(1).empty());
    EXPECT_EQ(count(Counter::sip_unknown_source_dropped), before + 2);
    EXPECT_EQ(count(Counter::sip_options_answered), answered);
}

TEST_F(WorkerTest, BlockedSourceIsDroppedSilentlyAndCounted) {
    // Brute-force protection (issue 5 point 4): even a trunk's own peer, once blocked, gets no
    // answer, not even to a malformed request; the drop is counted, nothing else is.
    struct Unblock {
        ~Unblock() { location_->unblock(kPeerIp); }
    } unblock;
    ASSERT_TRUE(location_->block(kPeerIp, unix_now_s() + 3600));
    const std::uint64_t blocked = count(Counter::sip_blocked_source_dropped);
    const std::uint64_t requests = count(Counter::sip_requests);
    const std::uint64_t answered = count(Counter::sip_options_answered);
    const std::uint64_t rejected = count(Counter::sip_malformed_request_rejected);
    std::string malformed = options(call_id_for(1));
    malformed.erase(malformed.find("CSeq: 1 OPTIONS\r\n"), 17);
    inject_rx(0, frame(kPeerIp, 5070, options(call_id_for(0))));
    inject_rx(1, frame(kPeerIp, 5070, malformed));
    pump();
    EXPECT_TRUE(sent(0).empty());
    EXPECT_TRUE(sent(1).empty());
    EXPECT_EQ(count(Counter::sip_blocked_source_dropped), blocked + 2);
    EXPECT_EQ(count(Counter::sip_requests), requests);
    EXPECT_EQ(count(Counter::sip_options_answered), answered);
    EXPECT_EQ(count(Counter::sip_malformed_request_rejected), rejected);
    // A block that has run out no longer applies.
    ASSERT_TRUE(location_->block(kPeerIp, unix_now_s() - 1));
    inject_rx(0, frame(kPeerIp, 5070, options(call_id_for(0))));
    pump();
    EXPECT_EQ(sent(0).size(), 1u);
    EXPECT_EQ(count(Counter::sip_blocked_source_dropped), blocked + 2);
    EXPECT_EQ(count(Counter::sip_options_answered), answered + 1);
}

TEST_F(WorkerTest, RegisteredContactOutsideEverySubnetIsAKnownSource) {
    // Issue 5 point 3: a registered contact is a known source beside the allowed subnets.
    struct Deregister {
        ~Deregister() {
            location_->set_contacts("pbx-1", 0, LocationRole::primary, {});
            location_->reclaim();
        }
    } deregister;
    const std::uint64_t answered = count(Counter::sip_options_answered);
    const std::uint64_t dropped = count(Counter::sip_unknown_source_dropped);
    const std::uint64_t rejected = count(Counter::sip_malformed_request_rejected);
    LocationTable::ContactInput c;
    c.uri = "sip:pbx-1@10.0.0.200:5070";
    c.ip = kStrangerIp;
    c.port = 5070;
    c.contact_id = 1;
    c.expires_at_s = unix_now_s() + 3600;
    ASSERT_TRUE(location_->set_contacts("pbx-1", 0, LocationRole::primary, {&c, 1}));
    std::string malformed = options(call_id_for(1));
    malformed.erase(malformed.find("CSeq: 1 OPTIONS\r\n"), 17);
    inject_rx(0, frame(kStrangerIp, 5070, options(call_id_for(0)), kStrangerMac));
    inject_rx(1, frame(kStrangerIp, 5070, malformed, kStrangerMac));
    pump();
    const std::vector<Sent> out = sent(0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].dst_ip, kStrangerIp);
    EXPECT_EQ(out[0].payload.rfind("SIP/2.0 200 OK\r\n", 0), 0u) << out[0].payload;
    const std::vector<Sent> out1 = sent(1);
    ASSERT_EQ(out1.size(), 1u);
    EXPECT_EQ(out1[0].payload.rfind("SIP/2.0 400 ", 0), 0u) << out1[0].payload;
    EXPECT_EQ(count(Counter::sip_options_answered), answered + 1);
    EXPECT_EQ(count(Counter::sip_malformed_request_rejected), rejected + 1);
    EXPECT_EQ(count(Counter::sip_unknown_source_dropped), dropped);
    // Once the binding is gone, the stranger is unknown again.
    location_->set_contacts("pbx-1", 0, LocationRole::primary, {});
    inject_rx(0, frame(kStrangerIp, 5070, options(call_id_for(0)), kStrangerMac));
    pump();
    EXPECT_TRUE(sent(0).empty());
    EXPECT_EQ(count(Counter::sip_unknown_source_dropped), dropped + 1);
}

TEST_F(WorkerTest, MessageIsHandedToTheWorkerOwningItsCallId) {
    const std::string cid = call_id_for(1);
    const std::uint64_t out0 = engine_->counters(0).get(port_id_, Counter::handoff_out);
    const std::uint64_t in1 = engine_->counters(1).get(port_id_, Counter::handoff_in);
    inject_rx(0, frame(kPeerIp, 5070, options(cid)));  // received by worker 0
    engine_->worker(0).poll(rte_rdtsc());
    EXPECT_EQ(engine_->counters(0).get(port_id_, Counter::handoff_out), out0 + 1);
    EXPECT_EQ(rte_ring_count(engine_->handoff_ring(1)), 1u);
    pump();
    EXPECT_EQ(engine_->counters(1).get(port_id_, Counter::handoff_in), in1 + 1);
    // Worker 1 answered, on its own tx queue, with its own tag.
    EXPECT_TRUE(sent(0).empty());
    const std::vector<Sent> out = sent(1);
    ASSERT_EQ(out.size(), 1u);
    std::string tag;
    without_to_tag(out[0].payload, &tag);
    EXPECT_EQ(tag.rfind("pl01.", 0), 0u) << tag;
    EXPECT_NE(out[0].payload.find("Call-ID: " + cid + "\r\n"), std::string::npos);
}

TEST_F(WorkerTest, FragmentedRequestIsReassembledThenHandedToItsOwner) {
    // A 3000-octet OPTIONS in two IPv4 fragments reaches worker 0; its Call-ID belongs to worker
    // 1. Worker 0 reassembles it (a chain larger than one mbuf: read from L3 scratch), hands the
    // chain over, and worker 1 reads it into its own scratch and answers.
    const std::string cid = call_id_for(1, "frag");
    const std::string pad(2600, 'p');
    const std::string payload = options(cid, "sip:10.0.0.1", "X-Pad: " + pad + "\r\n");
    ASSERT_GT(payload.size(), 2800u);
    // The whole UDP datagram, then cut in two fragments at a multiple of 8 octets.
    std::string udp(sizeof(rte_udp_hdr) + payload.size(), '\0');
    auto* uh = reinterpret_cast<rte_udp_hdr*>(udp.data());
    uh->src_port = rte_cpu_to_be_16(5070);
    uh->dst_port = rte_cpu_to_be_16(5060);
    uh->dgram_len = rte_cpu_to_be_16(static_cast<std::uint16_t>(udp.size()));
    std::memcpy(udp.data() + sizeof(rte_udp_hdr), payload.data(), payload.size());
    {
        // UDP checksum over the pseudo header and the whole datagram.
        rte_ipv4_hdr ph{};
        ph.version_ihl = RTE_IPV4_VHL_DEF;
        ph.next_proto_id = IPPROTO_UDP;
        ph.src_addr = rte_cpu_to_be_32(kPeerIp);
        ph.dst_addr = rte_cpu_to_be_32(kOurIp);
        ph.total_length = rte_cpu_to_be_16(static_cast<std::uint16_t>(sizeof(rte_ipv4_hdr) + udp.size()));
        uh->dgram_cksum = rte_ipv4_udptcp_cksum(&ph, udp.data());
    }
    const std::size_t cut = 1480;  // first fragment's IP payload (multiple of 8)
    auto fragment = [&](std::size_t off, std::size_t len, bool more) {
        rte_mbuf* m = rte_pktmbuf_alloc(pools_.mbufs);
        const std::size_t total = sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) + len;
        char* p = rte_pktmbuf_append(m, static_cast<std::uint16_t>(total));
        auto* eth = reinterpret_cast<rte_ether_hdr*>(p);
        eth->dst_addr = our_mac_;
        eth->src_addr = kPeerMac;
        eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
        auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
        std::memset(ip, 0, sizeof *ip);
        ip->version_ihl = RTE_IPV4_VHL_DEF;
        ip->total_length = rte_cpu_to_be_16(static_cast<std::uint16_t>(sizeof(rte_ipv4_hdr) + len));
        ip->packet_id = rte_cpu_to_be_16(0x4242);
        ip->fragment_offset = rte_cpu_to_be_16(static_cast<std::uint16_t>(
            (off / 8) | (more ? RTE_IPV4_HDR_MF_FLAG : 0)));
        ip->time_to_live = 64;
        ip->next_proto_id = IPPROTO_UDP;
        ip->src_addr = rte_cpu_to_be_32(kPeerIp);
        ip->dst_addr = rte_cpu_to_be_32(kOurIp);
        ip->hdr_checksum = rte_ipv4_cksum(ip);
        std::memcpy(ip + 1, udp.data() + off, len);
        return m;
    };
    const std::uint64_t out0 = engine_->counters(0).get(port_id_, Counter::handoff_out);
    const std::uint64_t in1 = engine_->counters(1).get(port_id_, Counter::handoff_in);
    const std::uint64_t lin0 = engine_->counters(0).get(port_id_, Counter::rx_multiseg_linearised);
    const std::uint64_t lin1 = engine_->counters(1).get(port_id_, Counter::rx_multiseg_linearised);
    inject_rx(0, fragment(0, cut, true));
    inject_rx(0, fragment(cut, udp.size() - cut, false));
    pump();
    EXPECT_EQ(engine_->counters(0).get(port_id_, Counter::handoff_out), out0 + 1);
    EXPECT_EQ(engine_->counters(1).get(port_id_, Counter::handoff_in), in1 + 1);
    // Both copied the chain into their scratch: the receiver to read the Call-ID, the owner
    // to frame it.
    EXPECT_EQ(engine_->counters(0).get(port_id_, Counter::rx_multiseg_linearised), lin0 + 1);
    EXPECT_EQ(engine_->counters(1).get(port_id_, Counter::rx_multiseg_linearised), lin1 + 1);
    EXPECT_TRUE(sent(0).empty());
    const std::vector<Sent> out = sent(1);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].payload.rfind("SIP/2.0 200 OK\r\n", 0), 0u) << out[0].payload;
    EXPECT_NE(out[0].payload.find("Call-ID: " + cid + "\r\n"), std::string::npos);
}

TEST_F(WorkerTest, ResponsesToOurRequestsAreSteeredByTheirBranch) {
    // A response whose Call-ID hashes to worker 0 but whose branch names worker 1.
    char branch[kBranchMax];
    const std::size_t n = format_branch(branch, 1, 0xabc);
    const std::string resp = "SIP/2.0 200 OK\r\n"
                             "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=" + std::string(branch, n) + "\r\n"
                             "From: <sip:10.0.0.1>;tag=x\r\nTo: <sip:10.0.0.2>;tag=y\r\n"
                             "Call-ID: " + call_id_for(0) + "\r\nCSeq: 5 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    const std::uint64_t in1 = engine_->counters(1).get(port_id_, Counter::handoff_in);
    const std::uint64_t to_proxy = engine_->counters(1).get(port_id_, Counter::sip_proxy_responses);
    inject_rx(0, frame(kPeerIp, 5060, resp));
    pump();
    drain_all();
    EXPECT_EQ(engine_->counters(1).get(port_id_, Counter::handoff_in), in1 + 1);
    // Worker 1's proxy gets it (it matches no transaction of that proxy: dropped there).
    EXPECT_EQ(engine_->counters(1).get(port_id_, Counter::sip_proxy_responses), to_proxy + 1);
}

TEST_F(WorkerTest, ResponsesToControlPlaneRequestsArePunted) {
    char branch[kBranchMax];
    const std::size_t n = format_branch(branch, -1, 0x1234);
    const std::string resp = "SIP/2.0 200 OK\r\n"
                             "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=" + std::string(branch, n) + "\r\n"
                             "From: <sip:10.0.0.1>;tag=x\r\nTo: <sip:10.0.0.2>;tag=y\r\n"
                             "Call-ID: ka1@10.0.0.1\r\nCSeq: 9 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    inject_rx(1, frame(kPeerIp, 5060, resp));
    pump();
    void* obj = nullptr;
    ASSERT_EQ(rte_ring_dequeue(engine_->punt_ring(1), &obj), 0);  // punted by the receiver
    auto* msg = static_cast<RingMessage*>(obj);
    EXPECT_EQ(msg->kind, RingKind::sip_cp_response);
    EXPECT_EQ(msg->text(), resp);
    rte_mempool_put(pools_.messages, msg);
}

TEST_F(WorkerTest, MalformedRequestFromKnownSourceGets400WithTheReason) {
    const std::string req = "OPTIONS sip:10.0.0.1 SIP/2.0\r\n"
                            "Via: SIP/2.0/UDP 10.0.0.2:5070;branch=z9hG4bK-bad1\r\n"
                            "From: <sip:probe@10.0.0.2>;tag=a1\r\n"
                            "To: <sip:10.0.0.1>\r\n"
                            "CSeq: 1 OPTIONS\r\n"
                            "Content-Length: 0\r\n\r\n";  // no Call-ID
    const std::uint64_t before = count(Counter::sip_malformed_request_rejected);
    inject_rx(0, frame(kPeerIp, 5070, req));
    inject_rx(1, frame(kPeerIp, 5070, req));
    pump();
    std::vector<Sent> out = sent(0);
    const std::vector<Sent> out1 = sent(1);
    out.insert(out.end(), out1.begin(), out1.end());
    ASSERT_EQ(out.size(), 2u);
    std::string tag;
    EXPECT_EQ(without_to_tag(out[0].payload, &tag),
              "SIP/2.0 400 Bad Request (" + std::string(sip::reason_text(sip::Reason::missing_call_id)) + ")\r\n"
              "Via: SIP/2.0/UDP 10.0.0.2:5070;branch=z9hG4bK-bad1\r\n"
              "From: <sip:probe@10.0.0.2>;tag=a1\r\n"
              "To: <sip:10.0.0.1>;tag=TAG\r\n"
              "CSeq: 1 OPTIONS\r\n"
              "Content-Length: 0\r\n\r\n");
    EXPECT_EQ(count(Counter::sip_malformed_request_rejected), before + 2);
}

TEST_F(WorkerTest, MalformedRequestFromUnknownSourceIsDroppedSilently) {
    const std::string req = "OPTIONS sip:10.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.200;branch=z9hG4bK-x\r\n"
                            "From: <sip:a@b>;tag=1\r\nTo: <sip:10.0.0.1>\r\nCSeq: nope OPTIONS\r\n"
                            "Call-ID: u1\r\nContent-Length: 0\r\n\r\n";
    const std::uint64_t before = count(Counter::sip_malformed_request_dropped);
    inject_rx(0, frame(kStrangerIp, 5060, req, kStrangerMac));
    pump();
    EXPECT_TRUE(sent(0).empty());
    EXPECT_TRUE(sent(1).empty());
    EXPECT_EQ(count(Counter::sip_malformed_request_dropped), before + 1);
}

TEST_F(WorkerTest, MalformedResponseIsDroppedAndCounted) {
    const std::string resp = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-r\r\n"
                             "Call-ID: r1\r\nContent-Length: 0\r\n\r\n";  // no From, To, CSeq
    const std::uint64_t before = count(Counter::sip_malformed_response_dropped);
    inject_rx(0, frame(kPeerIp, 5060, resp));
    pump();
    EXPECT_TRUE(sent(0).empty());
    EXPECT_TRUE(sent(1).empty());
    EXPECT_EQ(count(Counter::sip_malformed_response_dropped), before + 1);
}

TEST_F(WorkerTest, UnsupportedMethodGets405WithAllow) {
    const std::string cid = call_id_for(0);
    std::string req = options(cid);
    req.replace(0, 7, "SUBSCRIBE");
    req.replace(req.find("CSeq: 1 OPTIONS"), 15, "CSeq: 1 SUBSCRIBE");
    const std::uint64_t before = count(Counter::sip_method_not_allowed);
    inject_rx(0, frame(kPeerIp, 5070, req));
    pump();
    const std::vector<Sent> out = sent(0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].payload.rfind("SIP/2.0 405 Method Not Allowed\r\n", 0), 0u) << out[0].payload;
    EXPECT_NE(out[0].payload.find("\r\nAllow: INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER\r\n"),
              std::string::npos);
    EXPECT_NE(out[0].payload.find("\r\nCSeq: 1 SUBSCRIBE\r\n"), std::string::npos);
    EXPECT_EQ(count(Counter::sip_method_not_allowed), before + 1);
}

TEST_F(WorkerTest, MaxForwardsZeroNotForUsGets483) {
    const std::string cid = call_id_for(0);
    std::string req = options(cid, "sip:+31201234567@198.51.100.7");
    req.replace(req.find("Max-Forwards: 70"), 16, "Max-Forwards: 0");
    const std::uint64_t before = count(Counter::sip_max_forwards_exhausted);
    inject_rx(0, frame(kPeerIp, 5070, req));
    pump();
    const std::vector<Sent> out = sent(0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].payload.rfind("SIP/2.0 483 Too Many Hops\r\n", 0), 0u) << out[0].payload;
    EXPECT_EQ(count(Counter::sip_max_forwards_exhausted), before + 1);
}

TEST_F(WorkerTest, MaxForwardsZeroOptionsForUsIsStillAnswered) {
    std::string req = options(call_id_for(0));
    req.replace(req.find("Max-Forwards: 70"), 16, "Max-Forwards: 0");
    inject_rx(0, frame(kPeerIp, 5070, req));
    pump();
    const std::vector<Sent> out = sent(0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].payload.rfind("SIP/2.0 200 OK\r\n", 0), 0u);
}

TEST_F(WorkerTest, OptionsForAnotherUserGoesToTheProxy) {
    const std::uint64_t before = count(Counter::sip_proxy_requests);
    const std::uint64_t answered = count(Counter::sip_options_answered);
    inject_rx(0, frame(kPeerIp, 5070, options(call_id_for(0), "sip:bob@198.51.100.7")));
    pump();
    drain_all();
    EXPECT_EQ(count(Counter::sip_proxy_requests), before + 1);
    EXPECT_EQ(count(Counter::sip_options_answered), answered);
}

TEST_F(WorkerTest, RegisterIsPuntedToTheControlPlaneByItsOwner) {
    const std::string cid = call_id_for(1, "reg");
    const std::string req = "REGISTER sip:10.0.0.1 SIP/2.0\r\n"
                            "Via: SIP/2.0/UDP 10.0.0.2:5070;branch=z9hG4bK-reg1;rport\r\n"
                            "Max-Forwards: 70\r\n"
                            "From: <sip:pbx1@10.0.0.1>;tag=r1\r\n"
                            "To: <sip:pbx1@10.0.0.1>\r\n"
                            "Call-ID: " + cid + "\r\n"
                            "CSeq: 1 REGISTER\r\n"
                            "Contact: <sip:pbx1@10.0.0.2:5070>\r\n"
                            "Expires: 3600\r\n"
                            "Content-Length: 0\r\n\r\n";
    const std::uint64_t before = count(Counter::sip_register_punted);
    inject_rx(0, frame(kPeerIp, 5070, req));
    pump();
    EXPECT_TRUE(sent(0).empty());
    EXPECT_TRUE(sent(1).empty());
    EXPECT_EQ(count(Counter::sip_register_punted), before + 1);
    EXPECT_EQ(rte_ring_count(engine_->punt_ring(0)), 0u);
    void* obj = nullptr;
    ASSERT_EQ(rte_ring_dequeue(engine_->punt_ring(1), &obj), 0);
    auto* msg = static_cast<RingMessage*>(obj);
    EXPECT_EQ(msg->kind, RingKind::sip_register);
    EXPECT_EQ(msg->worker, 1);
    EXPECT_EQ(msg->port, 0);
    EXPECT_EQ(msg->remote_ip, kPeerIp);
    EXPECT_EQ(msg->remote_port, 5070);
    EXPECT_EQ(msg->local_ip, kOurIp);
    EXPECT_EQ(msg->local_port, 5060);
    EXPECT_EQ(msg->text(), req);
    rte_mempool_put(pools_.messages, msg);
}

TEST_F(WorkerTest, InjectedDatagramIsSentWithTheRightHeaders) {
    void* obj = nullptr;
    ASSERT_EQ(rte_mempool_get(pools_.messages, &obj), 0);
    auto* msg = static_cast<RingMessage*>(obj);
    msg->kind = RingKind::inject_sip;
    msg->port = 0;
    msg->remote_ip = kPeerIp;
    msg->remote_port = 5080;
    const std::string text = "OPTIONS sip:10.0.0.2:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;"
                             "branch=z9hG4bK-pl-c-1\r\nContent-Length: 0\r\n\r\n";
    ASSERT_TRUE(msg->set_text(text));
    const std::uint64_t before = count(Counter::inject_sent);
    const unsigned avail = rte_mempool_avail_count(pools_.messages);
    ASSERT_EQ(rte_ring_enqueue(engine_->inject_ring(1), msg), 0);
    pump();
    EXPECT_EQ(count(Counter::inject_sent), before + 1);
    EXPECT_EQ(rte_mempool_avail_count(pools_.messages), avail + 1);  // message back in the pool
    EXPECT_TRUE(sent(0).empty());
    const std::vector<Sent> out = sent(1);  // the worker's own tx queue
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(std::memcmp(&out[0].eth_dst, &kPeerMac, 6), 0);
    EXPECT_EQ(std::memcmp(&out[0].eth_src, &our_mac_, 6), 0);
    EXPECT_EQ(out[0].src_ip, kOurIp);
    EXPECT_EQ(out[0].dst_ip, kPeerIp);
    EXPECT_EQ(out[0].src_port, 5060);
    EXPECT_EQ(out[0].dst_port, 5080);
    EXPECT_TRUE(out[0].udp_checksum_ok);
    EXPECT_EQ(out[0].payload, text);
}

TEST_F(WorkerTest, BadInjectIsCountedAndFreed) {
    void* obj = nullptr;
    ASSERT_EQ(rte_mempool_get(pools_.messages, &obj), 0);
    auto* msg = static_cast<RingMessage*>(obj);
    msg->kind = RingKind::inject_sip;
    msg->port = 7;  // no such interface
    msg->set_text("x");
    const std::uint64_t before = engine_->sum(Counter::inject_bad);
    const unsigned avail = rte_mempool_avail_count(pools_.messages);
    ASSERT_EQ(rte_ring_enqueue(engine_->inject_ring(0), msg), 0);
    pump();
    EXPECT_EQ(engine_->sum(Counter::inject_bad), before + 1);
    EXPECT_EQ(rte_mempool_avail_count(pools_.messages), avail + 1);
}

TEST_F(WorkerTest, FullHandoffRingDropsAreCounted) {
    // Fill worker 1's handoff ring (64 entries, one slot kept free) without polling it.
    const std::string cid = call_id_for(1);
    const std::uint64_t before = engine_->counters(0).get(port_id_, Counter::handoff_ring_full);
    const unsigned capacity = rte_ring_get_capacity(engine_->handoff_ring(1));
    const std::uint64_t now = rte_rdtsc();
    for (unsigned i = 0; i < capacity + 5; ++i) {
        inject_rx(0, frame(kPeerIp, 5070, options(cid)));
        if (i % 16 == 15) engine_->worker(0).poll(now);
    }
    engine_->worker(0).poll(now);
    engine_->worker(0).poll(now);
    EXPECT_EQ(engine_->counters(0).get(port_id_, Counter::handoff_ring_full), before + 5);
    pump(8);
    drain_all();
}

TEST_F(WorkerTest, PublishedPolicySnapshotDecidesWhichSourcesAreKnown) {
    // A reload that makes the stranger's /32 a trunk subnet (and drops 10.0.0.0/25): from the
    // next loop on, the workers answer the stranger and ignore the old peer.
    ConfigSpec spec;
    DestPolicySpec open;
    open.name = "open";
    open.default_action = RuleAction::allow;
    spec.policies.push_back(open);
    TrunkSpec t;
    t.id = "reloaded";
    t.primary.username = "r-1";
    t.primary.ha1_md5 = std::string(32, 'a');
    t.secondary.username = "r-2";
    t.secondary.ha1_md5 = std::string(32, 'b');
    t.subnets.push_back({kStrangerIp, 32});
    t.policy = "open";
    spec.trunks.push_back(t);
    SnapshotBuild b = build_policy_snapshot(spec, *limits_);
    ASSERT_TRUE(b.snapshot) << b.error;
    // The workers are driven by this thread, so they cannot report quiescence while it waits in
    // publish(): take them offline meanwhile (as a worker does around a sleep).
    for (unsigned w = 0; w < kWorkers; ++w) policy_->reader_offline(w);
    policy_->publish(std::move(b.snapshot));
    for (unsigned w = 0; w < kWorkers; ++w) policy_->reader_online(w);
    const std::uint64_t answered = count(Counter::sip_options_answered);
    const std::uint64_t dropped = count(Counter::sip_unknown_source_dropped);
    inject_rx(0, frame(kStrangerIp, 5070, options(call_id_for(0)), kStrangerMac));
    inject_rx(0, frame(kPeerIp, 5070, options(call_id_for(0))));
    pump();
    const std::vector<Sent> out = sent(0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].dst_ip, kStrangerIp);
    EXPECT_EQ(count(Counter::sip_options_answered), answered + 1);
    EXPECT_EQ(count(Counter::sip_unknown_source_dropped), dropped + 1);
    // Back to no snapshot: the start-up sources answer again.
    for (unsigned w = 0; w < kWorkers; ++w) policy_->reader_offline(w);
    policy_->publish(PolicySnapshotPtr{});
    for (unsigned w = 0; w < kWorkers; ++w) policy_->reader_online(w);
}

TEST_F(WorkerTest, MutatedMessagesNeverCrashOrLeakMbufs) {
    // Byte flips, truncations and insertions of valid requests and responses, from known and
    // unknown sources, through both workers (handoffs included): every mbuf must come back.
    const std::string seeds[] = {
        options(call_id_for(0)),
        options(call_id_for(1), "sip:+31201234567@198.51.100.7"),
        "REGISTER sip:10.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.2:5070;branch=z9hG4bK-m1\r\n"
        "From: <sip:a@10.0.0.1>;tag=1\r\nTo: <sip:a@10.0.0.1>\r\nCall-ID: m1\r\nCSeq: 1 REGISTER\r\n"
        "Contact: <sip:a@10.0.0.2:5070>;expires=60\r\nContent-Length: 0\r\n\r\n",
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-pl-c-7\r\nFrom: <sip:x@y>;tag=1\r\n"
        "To: <sip:z@y>;tag=2\r\nCall-ID: r7\r\nCSeq: 3 OPTIONS\r\nContent-Length: 0\r\n\r\n",
    };
    // A worker may keep one spare mbuf for its next reply: count those as not lost.
    auto mbufs_free = [] {
        unsigned n = rte_mempool_avail_count(pools_.mbufs);
        for (unsigned w = 0; w < kWorkers; ++w) n += engine_->worker(w).holds_spare() ? 1 : 0;
        return n;
    };
    pump(4);
    drain_all();
    const unsigned before = mbufs_free();
    const unsigned messages_before = rte_mempool_avail_count(pools_.messages);
    std::uint64_t state = 0x9e3779b97f4a7c15ull;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    for (int i = 0; i < 3000; ++i) {
        std::string m = seeds[next() % std::size(seeds)];
        const int edits = 1 + static_cast<int>(next() % 4);
        for (int e = 0; e < edits && !m.empty(); ++e) {
            const std::size_t at = next() % m.size();
            switch (next() % 4) {
            case 0: m[at] = static_cast<char>(next()); break;
            case 1: m.resize(at); break;
            case 2: m.insert(at, 1, "\r\n:;,<>@ \"\t"[next() % 12]); break;
            default: m.erase(at, 1 + next() % 8); break;
            }
        }
        const bool stranger = next() % 4 == 0;
        inject_rx(static_cast<unsigned>(next() % kWorkers),
                  frame(stranger ? kStrangerIp : kPeerIp, 5070, m, stranger ? kStrangerMac : kPeerMac));
        if (i % 64 == 63) {
            pump(3);
            for (unsigned q = 0; q < kWorkers; ++q) sent(q);
            drain_all();
        }
    }
    pump(6);
    drain_all();
    EXPECT_EQ(mbufs_free(), before);
    EXPECT_EQ(rte_mempool_avail_count(pools_.messages), messages_before);
    EXPECT_GT(count(Counter::sip_malformed_request_rejected), 0u);
}

/// Frames of a pcap file (classic format, either byte order of the magic is not needed here:
/// net_pcap and the generator both write little-endian microsecond files).
std::vector<std::string> read_pcap(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::vector<std::string> out;
    if (all.size() < 24) return out;
    std::size_t off = 24;
    while (off + 16 <= all.size()) {
        std::uint32_t incl = 0;
        std::memcpy(&incl, all.data() + off + 8, 4);
        off += 16;
        if (off + incl > all.size()) break;
        out.push_back(all.substr(off, incl));
        off += incl;
    }
    return out;
}

std::string payload_of(const std::string& frame) {
    return frame.size() > 42 ? frame.substr(42) : std::string();
}

TEST_F(WorkerTest, PcapGoldenCapture) {
    // tests/data/dataplane/options_in.pcap (made by make_options_capture.py) through a net_pcap
    // port; what Palisade sends must equal options_out.pcap frame for frame (timestamps aside).
    // PALISADE_UPDATE_GOLDEN=1 rewrites the golden file from this run.
    const char* env = std::getenv("PALISADE_TEST_DATA");
    const std::string data = env != nullptr ? env : "tests/data";
    const std::string in = data + "/dataplane/options_in.pcap";
    const std::string golden = data + "/dataplane/options_out.pcap";
    ASSERT_FALSE(read_pcap(in).empty()) << "cannot read " << in;
    char dir_template[] = "/tmp/palisade-golden-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    const std::string out = std::string(dir_template) + "/out.pcap";

    std::string err;
    InterfaceSpec ifs;
    ifs.name = "pcap";
    ifs.device = "net_pcap_golden,rx_pcap=" + in + ",tx_pcap=" + out;
    ifs.address = {kOurIp, 24};
    std::uint16_t pid = 0;
    ASSERT_TRUE(find_or_probe_port(ifs, 1, pid, err)) << err;
    PortInfo info;
    ASSERT_TRUE(configure_port(pid, ifs, 1, pools_.mbufs, info, err)) << err;
    const std::uint8_t expected_mac[6] = {0x02, 0x70, 0x63, 0x61, 0x70, 0x00};
    ASSERT_EQ(std::memcmp(info.mac, expected_mac, 6), 0)
        << "the capture is addressed to 02:70:63:61:70:00, net_pcap's first port";

    EngineConfig cfg;
    rte_ether_addr mac{};
    std::memcpy(mac.addr_bytes, info.mac, 6);
    cfg.workers = 1;
    cfg.ports.push_back({pid, ifs, mac});
    cfg.pools = pools_;
    cfg.ring_size = 64;
    cfg.timers_per_worker = 64;
    cfg.known.add({ip4(10, 0, 0, 0), 25});
    cfg.tag = "_pc";
    cfg.tag_salt = 0x1000;  // deterministic To tags
    unsigned punted = 0;
    {
        Engine e;
        ASSERT_TRUE(e.init(cfg, err)) << err;
        std::uint64_t now = rte_rdtsc();
        for (int i = 0; i < 20; ++i) e.worker(0).poll(now += 1000);
        e.worker(0).flush();
        void* obj = nullptr;
        while (rte_ring_dequeue(e.punt_ring(0), &obj) == 0) {
            EXPECT_EQ(static_cast<RingMessage*>(obj)->kind, RingKind::sip_register);
            rte_mempool_put(pools_.messages, obj);
            ++punted;
        }
        close_port(pid);  // flushes and closes the tx capture
        EXPECT_EQ(e.sum(Counter::udp_bad_checksum), 1u);
        EXPECT_EQ(e.sum(Counter::sip_unknown_source_dropped), 1u);
        EXPECT_EQ(e.sum(Counter::sip_reply_failed), 0u);
    }
    EXPECT_EQ(punted, 1u);
    const std::vector<std::string> got = read_pcap(out);
    if (std::getenv("PALISADE_UPDATE_GOLDEN") != nullptr) {
        std::ifstream src(out, std::ios::binary);
        std::ofstream dst(golden, std::ios::binary);
        dst << src.rdbuf();
    }
    std::remove(out.c_str());
    rmdir(dir_template);

    // What the capture must hold, whatever the golden file says: ARP reply, 200, 405, 400, 483.
    ASSERT_EQ(got.size(), 5u);
    EXPECT_EQ(got[0].substr(12, 2), std::string("\x08\x06", 2));
    EXPECT_EQ(payload_of(got[1]).rfind("SIP/2.0 200 OK\r\n", 0), 0u);
    EXPECT_EQ(payload_of(got[2]).rfind("SIP/2.0 405 Method Not Allowed\r\n", 0), 0u);
    EXPECT_EQ(payload_of(got[3]).rfind("SIP/2.0 400 Bad Request (", 0), 0u);
    EXPECT_EQ(payload_of(got[4]).rfind("SIP/2.0 483 Too Many Hops\r\n", 0), 0u);

    const std::vector<std::string> want = read_pcap(golden);
    ASSERT_EQ(want.size(), got.size()) << "golden capture " << golden;
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i], want[i]) << "frame " << i + 1 << ": got\n"
                                   << payload_of(got[i]) << "\nwant\n" << payload_of(want[i]);
    }
}

TEST_F(WorkerTest, RunLoopAccountsBusyAndIdleCyclesAndStops) {
    // Last test: it stops the engine. Worker 0 runs its real loop on a thread with back-off.
    const WorkerLoad zero{};
    (void)zero;
    std::thread t([] { engine_->worker(0).run(); });
    inject_rx(0, frame(kPeerIp, 5070, options(call_id_for(0))));
    std::vector<Sent> out;
    for (int i = 0; i < 200 && out.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        out = sent(0);
    }
    engine_->request_stop();
    t.join();
    ASSERT_EQ(out.size(), 1u);
    const WorkerLoadCounters& load = engine_->load(0);
    EXPECT_GT(load.polls.load(), 0u);
    EXPECT_GE(load.busy_polls.load(), 1u);
    EXPECT_GT(load.busy_cycles.load(), 0u);
    EXPECT_GT(load.idle_cycles.load(), 0u);
}

}  // namespace
}  // namespace palisade::dp

// --- pieces that need no EAL ------------------------------------------------------------------

namespace palisade::dp {
namespace {

TEST(Branch, FormatsAndParsesTheOriginator) {
    char buf[kBranchMax];
    std::size_t n = format_branch(buf, -1, 0xdeadbeef);
    EXPECT_EQ(std::string_view(buf, n), "z9hG4bK-pl-c-deadbeef");
    BranchOwner o = parse_branch({buf, n});
    EXPECT_EQ(o.kind, BranchOwner::Kind::control_plane);
    n = format_branch(buf, 12, 0);
    EXPECT_EQ(std::string_view(buf, n), "z9hG4bK-pl-w12-0");
    o = parse_branch({buf, n});
    EXPECT_EQ(o.kind, BranchOwner::Kind::worker);
    EXPECT_EQ(o.worker, 12u);
    n = format_branch(buf, 9999, ~0ull);
    EXPECT_EQ(n, kBranchMax);
    EXPECT_EQ(parse_branch({buf, n}).worker, 9999u);
    char small[8];
    EXPECT_EQ(format_branch(small, 0, 1), 0u);
}

TEST(Branch, ForeignAndMalformedBranchesNameNobody) {
    for (std::string_view b : {"", "z9hG4bK", "z9hG4bK776asdhds", "z9hG4bK-pl-", "z9hG4bK-pl-x-1",
                               "z9hG4bK-pl-w-1", "z9hG4bK-pl-w12", "z9hG4bK-pl-cx", "z9hg4bk-pl-c-1",
                               "z9hG4bK-pl-w12345-1"}) {
        EXPECT_EQ(parse_branch(b).kind, BranchOwner::Kind::none) << b;
    }
}

TEST(Steering, OwnerIsAStableHashOfTheCallIdBytes) {
    EXPECT_EQ(owner_worker("a84b4c76e66710@pc33.atlanta.com", 1), 0u);
    const unsigned w = owner_worker("a84b4c76e66710@pc33.atlanta.com", 4);
    EXPECT_EQ(owner_worker("a84b4c76e66710@pc33.atlanta.com", 4), w);
    // Call-ID is case-sensitive (RFC 3261 §20.8): another case may be another owner; the hash
    // must at least differ.
    EXPECT_NE(call_id_hash("abc@x"), call_id_hash("ABC@x"));
    // Spread: 4000 ids over 4 workers, each gets a fair share.
    unsigned counts[4] = {};
    for (int i = 0; i < 4000; ++i) ++counts[owner_worker(std::to_string(i) + "@host", 4)];
    for (unsigned c : counts) EXPECT_GT(c, 800u);
}

TEST(Prescan, FindsTheCallIdOfRequestsLikeTheFramer) {
    std::string_view id;
    EXPECT_TRUE(prescan_call_id("OPTIONS sip:a SIP/2.0\r\nVia: x\r\ni :  abc@h \t\r\n\r\n", id));
    EXPECT_EQ(id, "abc@h");
    EXPECT_TRUE(prescan_call_id("INVITE sip:a SIP/2.0\r\nCALL-ID:x\r\nCall-ID: y\r\n\r\n", id));
    EXPECT_EQ(id, "x");
    EXPECT_FALSE(prescan_call_id("SIP/2.0 200 OK\r\nCall-ID: x\r\n\r\n", id));   // response
    EXPECT_FALSE(prescan_call_id("BYE sip:a SIP/2.0\r\nCall-ID: x\r\n y\r\n\r\n", id));  // fold
    EXPECT_FALSE(prescan_call_id("BYE sip:a SIP/2.0\r\nCall-ID:  \r\n\r\n", id));
    EXPECT_FALSE(prescan_call_id("BYE sip:a SIP/2.0\r\nTo: x\r\n\r\nCall-ID: body\r\n", id));
    EXPECT_FALSE(prescan_call_id("BYE sip:a SIP/2.0\nCall-ID: x\n\n", id));
    EXPECT_FALSE(prescan_call_id("Call-ID: x", id));
}

TEST(Prescan, AgreesWithTheFramerOnTheCorpusAndMutations) {
    // Wherever the prescan answers and the message frames, both must name the same Call-ID,
    // or two messages of one call could go to different workers.
    const char* env = std::getenv("PALISADE_TEST_DATA");
    const std::string dir = std::string(env != nullptr ? env : "tests/data") + "/rfc4475";
    std::vector<std::string> corpus;
    for (const char* name : {"wsinv", "intmeth", "esc01", "escnull", "esc02", "lwsdisp", "longreq",
                             "dblreq", "semiuri", "transports", "mpart01", "unreason", "noreason",
                             "inv2543", "badinv01", "clerr", "lwsruri", "lwsstart", "trws",
                             "novelsc", "regaut01", "multi01", "ncl", "quotbal", "ltgtruri"}) {
        std::ifstream f(dir + "/" + name + ".sip", std::ios::binary);
        if (!f) continue;
        corpus.emplace_back((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    }
    ASSERT_GT(corpus.size(), 10u) << "corpus not found in " << dir;
    std::uint64_t state = 42;
    auto next = [&state] {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return state >> 33;
    };
    sip::Message msg;
    unsigned compared = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string m = corpus[next() % corpus.size()];
        if (round >= static_cast<int>(corpus.size())) {
            for (int e = 0; e < 3 && !m.empty(); ++e) {
                const std::size_t at = next() % m.size();
                switch (next() % 3) {
                case 0: m[at] = "\r\n :\tiI-"[next() % 8]; break;
                case 1: m.erase(at, 1 + next() % 4); break;
                default: m.insert(at, 1, " \t:\r\n"[next() % 5]); break;
                }
            }
        }
        std::string_view id;
        if (!prescan_call_id(m, id)) continue;
        if (msg.parse(m) != sip::ParseStatus::ok) continue;
        const sip::HeaderField* f = msg.find(sip::HeaderId::call_id);
        ASSERT_NE(f, nullptr) << m;
        ASSERT_EQ(id, f->value) << m;
        ++compared;
    }
    EXPECT_GT(compared, 1000u);
}

TEST(DataPlaneContract, RefusesAConfigWithoutPortsAndIsInertBeforeStart) {
    DataPlane plane;
    EXPECT_FALSE(plane.running());
    EXPECT_EQ(plane.worker_count(), 0u);
    EXPECT_EQ(plane.counter(Counter::rx_packets), 0u);
    EXPECT_EQ(plane.allocate(), nullptr);
    RingMessage* out[4];
    EXPECT_EQ(plane.receive_punts(0, out, 4), 0u);
    EXPECT_FALSE(plane.inject(0, nullptr));
    EXPECT_EQ(plane.rcu(), nullptr);
    EXPECT_EQ(plane.policy_slot(), nullptr);
    ConfigSpec empty;
    std::string error;
    EXPECT_FALSE(plane.start(empty, StartOptions{}, error));
    EXPECT_NE(error.find("no [[interfaces]]"), std::string::npos) << error;
    ConfigSpec many;
    many.interfaces.resize(kMaxPorts + 1);
    error.clear();
    EXPECT_FALSE(plane.start(many, StartOptions{}, error));
    EXPECT_NE(error.find("at most"), std::string::npos) << error;
    EXPECT_FALSE(plane.running());
}

TEST(EalArgs, ConfigThenCommandLineWithLcores) {
    EalSpec spec;
    spec.lcores = "0-1";
    spec.args = {"--no-pci", "-m", "256"};
    EalArgs a = build_eal_args("palisade", spec, {"-m", "1024", "--vdev", "net_null0"}, false);
    EXPECT_EQ(a.args, (std::vector<std::string>{"palisade", "-l", "0-1", "--no-pci", "-m", "256",
                                                "-m", "1024", "--vdev", "net_null0"}));
    EXPECT_FALSE(a.no_huge);
    a = build_eal_args("p", spec, {"--lcores", "0@0,1@1,2@1"}, false);
    EXPECT_EQ(std::count(a.args.begin(), a.args.end(), "-l"), 0);
}

TEST(EalArgs, NoHugeReplacesInMemoryWithNoShconf) {
    EalSpec spec;
    spec.args = {"--no-huge", "--in-memory", "-m", "512"};
    EalArgs a = build_eal_args("p", spec, {}, true);
    EXPECT_TRUE(a.no_huge);
    EXPECT_FALSE(a.fell_back);
    EXPECT_EQ(std::count(a.args.begin(), a.args.end(), "--in-memory"), 0);
    EXPECT_EQ(std::count(a.args.begin(), a.args.end(), "--no-shconf"), 1);
    spec.args = {"--in-memory"};
    a = build_eal_args("p", spec, {}, false);  // hugepages asked for: --in-memory stays
    EXPECT_EQ(std::count(a.args.begin(), a.args.end(), "--in-memory"), 1);
}

TEST(EalArgs, FallsBackToNoHugeOnlyWithoutFreeHugepages) {
    EalSpec spec;
    spec.args = {"--in-memory"};
    const EalArgs a = build_eal_args("p", spec, {}, true);
    if (free_hugepages() == 0) {
        EXPECT_TRUE(a.fell_back);
        EXPECT_TRUE(a.no_huge);
        EXPECT_EQ(std::count(a.args.begin(), a.args.end(), "-m"), 1);
    } else {
        EXPECT_FALSE(a.fell_back);
        EXPECT_FALSE(a.no_huge);
    }
}

TEST(DeviceArgs, AfPacketGetsOneQueuePairPerWorker) {
    EXPECT_EQ(device_args_for("net_af_packet0,iface=x", 1), "net_af_packet0,iface=x");
    EXPECT_EQ(device_args_for("net_af_packet0,iface=x", 3), "net_af_packet0,iface=x,qpairs=3");
    EXPECT_EQ(device_args_for("net_af_packet0,iface=x,qpairs=4", 3), "net_af_packet0,iface=x,qpairs=4");
    EXPECT_EQ(device_args_for("net_tap0", 2), "net_tap0");
    EXPECT_EQ(device_args_for("0000:03:00.0", 2), "0000:03:00.0");
}

TEST(KnownSourcesTest, PrefixesMatchOnTheirLength) {
    std::vector<TrunkSpec> trunks(2);
    trunks[0].subnets = {{ip4(192, 0, 2, 0), 28}};
    trunks[1].subnets = {{ip4(198, 51, 100, 7), 32}, {ip4(203, 0, 113, 77), 24}};  // host bits ignored
    const KnownSources k(trunks);
    EXPECT_TRUE(k.contains(ip4(192, 0, 2, 15)));
    EXPECT_FALSE(k.contains(ip4(192, 0, 2, 16)));
    EXPECT_TRUE(k.contains(ip4(198, 51, 100, 7)));
    EXPECT_FALSE(k.contains(ip4(198, 51, 100, 8)));
    EXPECT_TRUE(k.contains(ip4(203, 0, 113, 1)));
    EXPECT_FALSE(KnownSources().contains(ip4(192, 0, 2, 1)));
    KnownSources all;
    all.add({0, 0});
    EXPECT_TRUE(all.contains(ip4(8, 8, 8, 8)));
}

class SipStageTest : public ::testing::Test {
protected:
    SipStageTest() : known_(make_known()), stage_(&known_, ours_, 3, 0) {}
    static KnownSources make_known() {
        KnownSources k;
        k.add({ip4(10, 0, 0, 0), 24});
        return k;
    }
    SipOutcome run(const std::string& text, std::uint32_t src = ip4(10, 0, 0, 2)) {
        text_ = text;
        const sip::ParseStatus st = msg_.parse(text_);
        SipSource s;
        s.src_ip = src;
        s.src_port = 5099;
        s.dst_ip = kOurIp;
        s.dst_port = 5060;
        return stage_.handle(msg_, st, s, buf_, c_);
    }
    std::string reply(const SipOutcome& o) const { return std::string(buf_, o.reply_length); }
    std::uint64_t count(Counter c) const { return c_.get(0, c); }

    static std::string request(const std::string& method, const std::string& ruri,
                               const std::string& extra = "") {
        return method + " " + ruri + " SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 10.0.0.2:5070;branch=z9hG4bK-u1\r\n"
               "From: <sip:a@10.0.0.2>;tag=1\r\nTo: <" + ruri + ">\r\n"
               "Call-ID: u1@10.0.0.2\r\nCSeq: 7 " + method + "\r\n" + extra + "Content-Length: 0\r\n\r\n";
    }

    const std::uint32_t ours_[1] = {kOurIp};
    KnownSources known_;
    SipStage stage_;
    sip::Message msg_;
    std::string text_;
    char buf_[2048] = {};
    WorkerCounters c_;
};

TEST_F(SipStageTest, AddressedToUsMeansNoUserOrOurAddress) {
    EXPECT_TRUE(stage_.addressed_to_us("sip:10.0.0.1"));
    EXPECT_TRUE(stage_.addressed_to_us("sip:example.com"));
    EXPECT_TRUE(stage_.addressed_to_us("sip:pbx@10.0.0.1:5060"));
    EXPECT_FALSE(stage_.addressed_to_us("sip:pbx@10.0.0.9"));
    EXPECT_FALSE(stage_.addressed_to_us("sip:+31201234567@carrier.example"));
    EXPECT_FALSE(stage_.addressed_to_us("tel:+31201234567"));
    EXPECT_FALSE(stage_.addressed_to_us("not a uri"));
}

TEST_F(SipStageTest, RepliesGoToTheSentByPortWithoutRport) {
    const SipOutcome o = run(request("OPTIONS", "sip:10.0.0.1"));
    ASSERT_EQ(o.action, SipOutcome::Action::reply);
    EXPECT_EQ(o.reply_port, 5070);
    EXPECT_EQ(o.reply_ip, ip4(10, 0, 0, 2));
    EXPECT_NE(reply(o).find(";tag=pl03."), std::string::npos);  // tags name the worker
}

TEST_F(SipStageTest, TopViaGetsReceivedWhenTheSentByIsNotTheSource) {
    // RFC 3261 §18.2.1: sent-by a name (or another address) -> received=<source>; no rport ->
    // the port stays the sent-by's, and a received the request carried is replaced.
    std::string r = request("OPTIONS", "sip:10.0.0.1");
    r.replace(r.find("10.0.0.2:5070;branch=z9hG4bK-u1"), 31,
              "pbx.example.com:5070;received=192.0.2.9;branch=z9hG4bK-u1");
    r.insert(r.find("\r\nFrom:"), "\r\nVia: SIP/2.0/UDP 10.9.9.9;branch=z9hG4bK-second");
    const SipOutcome o = run(r);
    ASSERT_EQ(o.action, SipOutcome::Action::reply);
    EXPECT_EQ(o.reply_port, 5070);
    const std::string text = reply(o);
    EXPECT_NE(text.find("\r\nVia: SIP/2.0/UDP pbx.example.com:5070;branch=z9hG4bK-u1;received=10.0.0.2\r\n"
                        "Via: SIP/2.0/UDP 10.9.9.9;branch=z9hG4bK-second\r\n"),
              std::string::npos)
        << text;
    sip::Message back;
    ASSERT_EQ(back.parse(text), sip::ParseStatus::ok);
    EXPECT_EQ(sip::validate_response(back), sip::Reason::none);
}

TEST_F(SipStageTest, TopViaIsLeftAloneWhenItNamesTheSourceWithoutRport) {
    const SipOutcome o = run(request("OPTIONS", "sip:10.0.0.1"));
    ASSERT_EQ(o.action, SipOutcome::Action::reply);
    EXPECT_NE(reply(o).find("\r\nVia: SIP/2.0/UDP 10.0.0.2:5070;branch=z9hG4bK-u1\r\n"), std::string::npos);
}

TEST_F(SipStageTest, AckIsNeverAnswered) {
    // The proxy absorbs it or routes it by its dialog; the stage never answers it.
    SipOutcome o = run(request("ACK", "sip:10.0.0.1"));
    EXPECT_EQ(o.action, SipOutcome::Action::proxy);
    EXPECT_EQ(count(Counter::sip_proxy_requests), 1u);
    // Malformed ACK (no Call-ID) from a known source: no 400 either (RFC 3261 §17.2.1).
    std::string bad = request("ACK", "sip:10.0.0.1");
    bad.erase(bad.find("Call-ID:"), bad.find("CSeq:") - bad.find("Call-ID:"));
    o = run(bad);
    EXPECT_EQ(o.action, SipOutcome::Action::drop);
    EXPECT_EQ(count(Counter::sip_malformed_request_dropped), 1u);
}

TEST_F(SipStageTest, InviteByeCancelGoToTheProxyWithWhatValidationParsed) {
    for (const char* m : {"INVITE", "BYE", "CANCEL"}) {
        EXPECT_EQ(run(request(m, "sip:+31201234567@10.0.0.1")).action, SipOutcome::Action::proxy) << m;
        EXPECT_EQ(stage_.validated().request_uri.user, "+31201234567") << m;
        EXPECT_EQ(stage_.validated().top_via.branch, "z9hG4bK-u1") << m;
    }
    EXPECT_EQ(count(Counter::sip_proxy_requests), 3u);
    EXPECT_EQ(count(Counter::sip_not_handled), 0u);
}

TEST_F(SipStageTest, InDialogRequestOfAnotherMethodGoesToTheProxyOutOfDialogGets405) {
    // In dialog (To tag) the proxy decides (allowed in dialog or 405/481); out of dialog the
    // stage answers 405 itself.
    std::string info = request("INFO", "sip:+31201234567@10.0.0.1");
    info.replace(info.find("To: <sip:+31201234567@10.0.0.1>"), 31,
                 "To: <sip:+31201234567@10.0.0.1>;tag=x9");
    EXPECT_EQ(run(info).action, SipOutcome::Action::proxy);
    const SipOutcome o = run(request("INFO", "sip:+31201234567@10.0.0.1"));
    ASSERT_EQ(o.action, SipOutcome::Action::reply);
    EXPECT_EQ(reply(o).rfind("SIP/2.0 405 Method Not Allowed\r\n", 0), 0u);
    EXPECT_EQ(count(Counter::sip_method_not_allowed), 1u);
}

TEST_F(SipStageTest, CoreInterfaceKnowsOnlyTheCorePeers) {
    // Interface 1 faces the core: a request from the trunks' subnets arriving there is dropped;
    // without a snapshot the start-up sources still answer (no core peers are known then).
    const Side sides[2] = {Side::access, Side::core};
    stage_.set_sides(sides);
    ConfigSpec spec;
    DestPolicySpec open;
    open.name = "open";
    open.default_action = RuleAction::allow;
    spec.policies.push_back(open);
    TrunkSpec t;
    t.id = "t1";
    t.primary.username = "u1";
    t.primary.ha1_md5 = std::string(32, 'a');
    t.secondary.username = "u2";
    t.secondary.ha1_md5 = std::string(32, 'b');
    t.subnets.push_back({ip4(10, 0, 0, 0), 24});
    t.policy = "open";
    spec.trunks.push_back(t);
    CorePeerSpec peer;
    peer.name = "sbc";
    peer.address = ip4(192, 0, 2, 10);
    spec.core_peers.push_back(peer);
    LimitsTable limits(16);
    SnapshotBuild b = build_policy_snapshot(spec, limits);
    ASSERT_TRUE(b.snapshot) << b.error;
    stage_.set_snapshot(b.snapshot.get());
    auto on = [&](std::uint16_t iface, std::uint32_t src) {
        text_ = request("INVITE", "sip:+31201234567@10.0.0.1");
        const sip::ParseStatus st = msg_.parse(text_);
        SipSource s;
        s.src_ip = src;
        s.src_port = 5060;
        s.iface = iface;
        return stage_.handle(msg_, st, s, buf_, c_).action;
    };
    EXPECT_EQ(on(1, ip4(192, 0, 2, 10)), SipOutcome::Action::proxy);
    EXPECT_EQ(on(1, ip4(10, 0, 0, 2)), SipOutcome::Action::drop);
    EXPECT_EQ(count(Counter::sip_core_unknown_source_dropped), 1u);
    EXPECT_EQ(on(0, ip4(10, 0, 0, 2)), SipOutcome::Action::proxy);
    EXPECT_EQ(on(0, ip4(192, 0, 2, 10)), SipOutcome::Action::drop);
    EXPECT_EQ(count(Counter::sip_unknown_source_dropped), 1u);
    stage_.set_snapshot(nullptr);
}

TEST_F(SipStageTest, ResponsesGoToTheProxyOfTheWorkerTheirBranchNames) {
    auto response = [](const std::string& branch) {
        return "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=" + branch +
               "\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: r1\r\n"
               "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    };
    EXPECT_EQ(run(response("z9hG4bK-pl-w3-1a")).action, SipOutcome::Action::proxy);  // ours: worker 3
    EXPECT_EQ(stage_.validated().top_via.branch, "z9hG4bK-pl-w3-1a");
    EXPECT_EQ(count(Counter::sip_proxy_responses), 1u);
    EXPECT_EQ(run(response("z9hG4bK-pl-w1-1a")).action, SipOutcome::Action::drop);
    EXPECT_EQ(run(response("z9hG4bKforeign")).action, SipOutcome::Action::drop);
    EXPECT_EQ(count(Counter::sip_response_unmatched), 2u);
    EXPECT_EQ(run(response("z9hG4bK-pl-c-9")).action, SipOutcome::Action::punt);
}

TEST_F(SipStageTest, UnsupportedVersionGets505) {
    std::string r = request("OPTIONS", "sip:10.0.0.1");
    r.replace(r.find("SIP/2.0\r\n"), 7, "SIP/7.0");
    const SipOutcome o = run(r);
    ASSERT_EQ(o.action, SipOutcome::Action::reply);
    EXPECT_EQ(reply(o).rfind("SIP/2.0 505 Version Not Supported (", 0), 0u) << reply(o);
    EXPECT_EQ(count(Counter::sip_version_rejected), 1u);
}

TEST_F(SipStageTest, ReplyThatDoesNotFitIsCountedNotSent) {
    text_ = request("OPTIONS", "sip:10.0.0.1");
    const sip::ParseStatus st = msg_.parse(text_);
    SipSource s;
    s.src_ip = ip4(10, 0, 0, 2);
    char tiny[16];
    const SipOutcome o = stage_.handle(msg_, st, s, tiny, c_);
    EXPECT_EQ(o.action, SipOutcome::Action::drop);
    EXPECT_EQ(count(Counter::sip_reply_failed), 1u);
}

TEST_F(SipStageTest, GarbageIsCountedAsUnparsable) {
    EXPECT_EQ(run("\x01\x02 hello\r\n\r\n").action, SipOutcome::Action::drop);
    EXPECT_EQ(run("").action, SipOutcome::Action::drop);
    // Either not even a start line, or a request line without a Via to answer: never a reply.
    EXPECT_EQ(count(Counter::steer_unparsable) + count(Counter::sip_malformed_request_dropped), 2u);
}

}  // namespace
}  // namespace palisade::dp
