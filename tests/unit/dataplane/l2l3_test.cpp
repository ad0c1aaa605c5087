// L2/L3 through EAL (no hugepages, no PCI): ARP, ICMP echo, IPv4/UDP checks, SIP hand-off,
// udp_output with ARP resolution and fragmentation, tx through a net_ring port.
#include "dataplane/l2l3.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "tests/unit/dataplane/l2l3_packets.hpp"

namespace palisade::dp::test {
namespace {

[[maybe_unused]] ::testing::Environment* const kEnv =
    ::testing::AddGlobalTestEnvironment(new EalEnv);

class L2L3 : public ::testing::Test {
protected:
    void SetUp() override {
        baseline_ = in_use();
        port_ = std::make_unique<L3Port>(port_config(), SOCKET_ID_ANY);
        ASSERT_TRUE(port_->ok()) << port_->err();
        now_ = 1000 * hz();
    }
    void TearDown() override {
        drain(*port_);
        port_.reset();
        EXPECT_EQ(in_use(), baseline_) << "mbufs leaked";
    }
    std::uint64_t get(Counter k) const { return c_->get(0, k); }
    RxVerdict input(const Bytes& frame) {
        rte_mbuf* m = to_mbuf(frame);
        EXPECT_NE(m, nullptr);
        out_ = UdpDatagram{};
        return l3_input(*port_, m, now_, out_, *c_);
    }
    /// A frame from the peer (02:..:02, 192.0.2.2) to us.
    static Bytes from_peer(const Bytes& l3, std::uint16_t type = 0x0800) {
        return cat(eth(mac(1), mac(2), type), l3);
    }
    static Bytes sip_udp(const Bytes& payload, std::uint16_t dport = 5060) {
        return udp(kPeerIp, kOurIp, 5070, dport, payload);
    }
    /// Sends a payload with udp_output.
    bool send(std::uint32_t dst, const Bytes& payload, std::uint16_t dport = 5060) {
        rte_mbuf* m = to_mbuf(payload);
        EXPECT_NE(m, nullptr);
        return udp_output(*port_, m, dst, dport, now_, *c_);
    }
    void learn_peer(std::uint32_t ip, std::uint8_t mac_last) {
        EXPECT_EQ(input(cat(eth(mac(1), mac(mac_last), 0x0806),
                            arp(2, mac(mac_last), ip, mac(1), kOurIp))),
                  RxVerdict::consumed);
    }

    unsigned baseline_ = 0;
    std::unique_ptr<WorkerCounters> c_ = std::make_unique<WorkerCounters>();
    std::unique_ptr<L3Port> port_;
    std::uint64_t now_ = 0;
    UdpDatagram out_{};
};

Bytes hex(const char* s) {
    Bytes b;
    auto nib = [](char ch) { return ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10; };
    for (; *s != 0; ++s) {
        if (*s == ' ') continue;
        b.push_back(std::uint8_t(nib(s[0]) * 16 + nib(s[1])));
        ++s;
    }
    return b;
}

/// Checks an IPv4 header's checksum and returns its header length.
std::size_t check_ip(const Bytes& f) {
    const std::size_t ihl = (f[14] & 0xf) * 4u;
    EXPECT_EQ(sum16(f.data() + 14, ihl), 0xffffu) << "IPv4 header checksum";
    return ihl;
}

// ----------------------------------------------------------------------------------------------
// ARP

TEST_F(L2L3, ArpRequestForUsIsAnsweredWithGoldenBytes) {
    const Bytes req = cat(eth(kBcast, mac(2), 0x0806), arp(1, mac(2), kPeerIp, rte_ether_addr{}, kOurIp));
    EXPECT_EQ(input(req), RxVerdict::consumed);
    const auto tx = drain(*port_);
    ASSERT_EQ(tx.size(), 1u);
    // RFC 826 reply: to the requester, opcode 2, our MAC/IP as sender, the requester as target.
    const Bytes golden = hex(
        "020000000002 020000000001 0806"
        "0001 0800 06 04 0002"
        "020000000001 c0000201"
        "020000000002 c0000202");
    EXPECT_EQ(tx[0], golden);
    EXPECT_EQ(get(Counter::arp_request_in), 1u);
    EXPECT_EQ(get(Counter::arp_reply_out), 1u);
    EXPECT_EQ(get(Counter::arp_learned), 1u);  // we were the target: the sender is added
    const rte_ether_addr* m = port_->arp().lookup(kPeerIp);
    ASSERT_NE(m, nullptr);
    EXPECT_TRUE(is_mac(m, 2));
}

TEST_F(L2L3, ArpRequestForAnotherAddressIsNeitherAnsweredNorLearned) {
    const Bytes req = cat(eth(kBcast, mac(3), 0x0806),
                          arp(1, mac(3), ip4(192, 0, 2, 3), rte_ether_addr{}, ip4(192, 0, 2, 9)));
    EXPECT_EQ(input(req), RxVerdict::drop);
    EXPECT_EQ(get(Counter::arp_not_ours), 1u);
    EXPECT_EQ(port_->staged(), 0u);
    EXPECT_EQ(port_->arp().lookup(ip4(192, 0, 2, 3)), nullptr);  // RFC 826: not the target
}

TEST_F(L2L3, ArpLearningFollowsTheMergeRule) {
    learn_peer(kPeerIp, 2);  // a reply to us: learned
    EXPECT_EQ(get(Counter::arp_reply_in), 1u);
    EXPECT_EQ(get(Counter::arp_learned), 1u);
    // The known sender asks for someone else with a new MAC: merged (updated), not answered.
    input(cat(eth(kBcast, mac(9), 0x0806), arp(1, mac(9), kPeerIp, rte_ether_addr{}, ip4(192, 0, 2, 50))));
    EXPECT_EQ(get(Counter::arp_updated), 1u);
    EXPECT_TRUE(is_mac(port_->arp().lookup(kPeerIp), 9));
    // A probe (sender 0.0.0.0, RFC 5227) for our address is answered but teaches nothing.
    EXPECT_EQ(input(cat(eth(kBcast, mac(4), 0x0806), arp(1, mac(4), 0, rte_ether_addr{}, kOurIp))),
              RxVerdict::consumed);
    EXPECT_EQ(port_->arp().size(), 1u);
    EXPECT_EQ(get(Counter::arp_reply_out), 1u);
}

TEST_F(L2L3, ArpBadPacketsAreCountedByReason) {
    Bytes bad_hlen = arp(1, mac(2), kPeerIp, rte_ether_addr{}, kOurIp);
    bad_hlen[4] = 8;
    EXPECT_EQ(input(from_peer(bad_hlen, 0x0806)), RxVerdict::drop);
    EXPECT_EQ(get(Counter::arp_bad), 1u);
    Bytes bad_op = arp(7, mac(2), kPeerIp, rte_ether_addr{}, kOurIp);
    EXPECT_EQ(input(from_peer(bad_op, 0x0806)), RxVerdict::drop);
    EXPECT_EQ(get(Counter::arp_bad), 2u);
    EXPECT_EQ(input(from_peer(Bytes(20, 0), 0x0806)), RxVerdict::drop);  // truncated
    EXPECT_EQ(get(Counter::arp_bad), 3u);
    const rte_ether_addr mcast{{0x01, 0, 0x5e, 0, 0, 1}};
    EXPECT_EQ(input(from_peer(arp(1, mcast, kPeerIp, rte_ether_addr{}, kOurIp), 0x0806)), RxVerdict::drop);
    EXPECT_EQ(get(Counter::arp_bad_sender), 1u);
    EXPECT_EQ(input(from_peer(arp(1, mac(2), ip4(10, 0, 0, 1), rte_ether_addr{}, kOurIp), 0x0806)),
              RxVerdict::drop);  // off-link sender
    EXPECT_EQ(get(Counter::arp_bad_sender), 2u);
    EXPECT_EQ(input(from_peer(arp(1, mac(5), kOurIp, rte_ether_addr{}, kOurIp), 0x0806)),
              RxVerdict::drop);  // someone else announces our address
    EXPECT_EQ(get(Counter::arp_conflict), 1u);
    EXPECT_EQ(input(cat(eth(mac(77), mac(2), 0x0806), arp(2, mac(2), kPeerIp, mac(77), kOurIp))),
              RxVerdict::drop);  // unicast to another MAC
    EXPECT_EQ(get(Counter::l2_not_ours), 1u);
    EXPECT_EQ(port_->staged(), 0u);
    EXPECT_EQ(port_->arp().size(), 0u);
}

TEST_F(L2L3, UnresolvedNextHopQueuesThenFlushesOnReply) {
    const std::uint32_t dst = ip4(192, 0, 2, 7);
    EXPECT_TRUE(send(dst, text("first")));
    EXPECT_TRUE(send(dst, text("second")));
    auto tx = drain(*port_);
    ASSERT_EQ(tx.size(), 1u) << "one ARP request for two queued packets";
    EXPECT_EQ(tx[0], cat(eth(kBcast, mac(1), 0x0806), arp(1, mac(1), kOurIp, rte_ether_addr{}, dst)));
    EXPECT_EQ(get(Counter::arp_queued), 2u);
    EXPECT_EQ(get(Counter::arp_request_out), 1u);
    EXPECT_EQ(port_->arp().queued(), 2u);

    learn_peer(dst, 7);
    tx = drain(*port_);
    ASSERT_EQ(tx.size(), 2u);
    EXPECT_EQ(port_->arp().queued(), 0u);
    const char* words[] = {"first", "second"};
    for (std::size_t i = 0; i < 2; ++i) {
        const Bytes& f = tx[i];
        const Bytes payload = text(words[i]);
        // Ethernet to the resolved MAC, IPv4 from us, UDP 5060 -> 5060 with a valid checksum.
        ASSERT_EQ(f.size(), 14 + 20 + 8 + payload.size());
        EXPECT_EQ(Bytes(f.begin(), f.begin() + 14), eth(mac(7), mac(1), 0x0800));
        EXPECT_EQ(check_ip(f), 20u);
        EXPECT_EQ(get32(&f[26]), kOurIp);
        EXPECT_EQ(get32(&f[30]), dst);
        EXPECT_EQ(f[23], 17);
        EXPECT_EQ(f[22], 64);
        EXPECT_EQ(get16(&f[20]) & 0x4000, 0) << "DF clear";
        EXPECT_EQ(Bytes(f.begin() + 34, f.end()), udp(kOurIp, dst, 5060, 5060, payload));
    }
}

TEST_F(L2L3, OffLinkDestinationsResolveTheGateway) {
    EXPECT_TRUE(send(ip4(198, 51, 100, 9), text("x")));
    auto tx = drain(*port_);
    ASSERT_EQ(tx.size(), 1u);
    EXPECT_EQ(get32(&tx[0][14 + 24]), kGateway);
    learn_peer(kGateway, 0xfe);
    tx = drain(*port_);
    ASSERT_EQ(tx.size(), 1u);
    EXPECT_EQ(Bytes(tx[0].begin(), tx[0].begin() + 6), Bytes({2, 0, 0, 0, 0, 0xfe}));
    EXPECT_EQ(get32(&tx[0][30]), ip4(198, 51, 100, 9));
    // Once resolved, no queueing: staged at once.
    EXPECT_TRUE(send(ip4(203, 0, 113, 5), text("y")));
    EXPECT_EQ(drain(*port_).size(), 1u);
}

TEST_F(L2L3, NoGatewayMeansNoRoute) {
    port_ = std::make_unique<L3Port>(port_config(kOurIp, 1, 0), SOCKET_ID_ANY);
    ASSERT_TRUE(port_->ok());
    EXPECT_FALSE(send(ip4(198, 51, 100, 9), text("x")));
    EXPECT_FALSE(send(ip4(127, 0, 0, 1), text("x")));
    EXPECT_FALSE(send(ip4(192, 0, 2, 255), text("x")));  // the subnet's broadcast
    EXPECT_FALSE(send(ip4(224, 0, 0, 9), text("x")));
    EXPECT_EQ(get(Counter::tx_no_route), 4u);
    EXPECT_EQ(port_->staged(), 0u);
}

TEST_F(L2L3, ArpRetriesAreBoundedThenQueuedPacketsDrop) {
    const std::uint32_t dst = ip4(192, 0, 2, 9);
    EXPECT_TRUE(send(dst, text("waiting")));
    EXPECT_EQ(drain(*port_).size(), 1u);
    const std::uint64_t t0 = now_;
    port_->poll(t0 + hz() / 2, *c_);
    EXPECT_EQ(drain(*port_).size(), 0u) << "no retry before retry_ms";
    port_->poll(t0 + hz() + 1, *c_);
    EXPECT_EQ(drain(*port_).size(), 1u);
    port_->poll(t0 + 2 * hz() + 2, *c_);
    EXPECT_EQ(drain(*port_).size(), 1u);
    EXPECT_EQ(get(Counter::arp_request_out), 3u);
    port_->poll(t0 + 3 * hz() + 3, *c_);  // max_retries = 3: given up
    EXPECT_EQ(drain(*port_).size(), 0u);
    EXPECT_EQ(get(Counter::arp_given_up), 1u);
    EXPECT_EQ(get(Counter::arp_unresolved_drop), 1u);
    EXPECT_EQ(port_->arp().queued(), 0u);
    EXPECT_EQ(port_->arp().find(dst), nullptr);
    port_->poll(t0 + 10 * hz(), *c_);
    EXPECT_EQ(get(Counter::arp_request_out), 3u);
}

TEST_F(L2L3, ArpWaitQueueIsBounded) {
    for (std::uint32_t i = 0; i < ArpTable::kMaxQueued + 3; ++i) send(ip4(192, 0, 2, 9), text("q"));
    EXPECT_EQ(get(Counter::arp_queued), ArpTable::kMaxQueued);
    EXPECT_EQ(get(Counter::arp_queue_full), 3u);
}

TEST_F(L2L3, GratuitousArpAnnouncesTwiceAtStartAndTheGatewayIsResolved) {
    port_->start(now_, *c_);
    auto tx = drain(*port_);
    ASSERT_EQ(tx.size(), 2u);
    // RFC 5227 §2.3 announcement: a broadcast request with our address as sender and target.
    EXPECT_EQ(tx[0], hex("ffffffffffff 020000000001 0806 0001 0800 0604 0001"
                         "020000000001 c0000201 000000000000 c0000201"));
    EXPECT_EQ(tx[1], hex("ffffffffffff 020000000001 0806 0001 0800 0604 0001"
                         "020000000001 c0000201 000000000000 c00002fe"));
    EXPECT_EQ(get(Counter::arp_request_out), 1u);
    learn_peer(kGateway, 0xfe);
    EXPECT_NE(port_->arp().lookup(kGateway), nullptr);
    port_->poll(now_ + hz(), *c_);
    EXPECT_EQ(drain(*port_).size(), 0u);
    port_->poll(now_ + 2 * hz(), *c_);
    EXPECT_EQ(drain(*port_).size(), 1u);
    port_->poll(now_ + 10 * hz(), *c_);
    EXPECT_EQ(drain(*port_).size(), 0u);
    EXPECT_EQ(get(Counter::arp_gratuitous_out), 2u);
}

TEST_F(L2L3, ReachableEntriesAreRefreshedThenAged) {
    learn_peer(kPeerIp, 2);
    port_->poll(now_ + 299 * hz(), *c_);
    EXPECT_EQ(drain(*port_).size(), 0u);
    port_->poll(now_ + 300 * hz(), *c_);
    auto tx = drain(*port_);
    ASSERT_EQ(tx.size(), 1u);
    EXPECT_EQ(Bytes(tx[0].begin(), tx[0].begin() + 6), Bytes({2, 0, 0, 0, 0, 2})) << "unicast probe";
    EXPECT_NE(port_->arp().lookup(kPeerIp), nullptr) << "still usable while refreshing";
    port_->poll(now_ + 301 * hz() + 1, *c_);
    port_->poll(now_ + 302 * hz() + 2, *c_);
    EXPECT_EQ(drain(*port_).size(), 2u);
    port_->poll(now_ + 303 * hz() + 3, *c_);
    EXPECT_EQ(get(Counter::arp_aged), 1u);
    EXPECT_EQ(port_->arp().lookup(kPeerIp), nullptr);
}

TEST_F(L2L3, AnswerToARefreshKeepsTheEntry) {
    learn_peer(kPeerIp, 2);
    now_ += 300 * hz();
    port_->poll(now_, *c_);
    EXPECT_EQ(drain(*port_).size(), 1u);
    learn_peer(kPeerIp, 2);
    for (int s = 1; s <= 5; ++s) port_->poll(now_ + s * hz(), *c_);
    EXPECT_EQ(drain(*port_).size(), 0u);
    EXPECT_NE(port_->arp().lookup(kPeerIp), nullptr);
    EXPECT_EQ(get(Counter::arp_aged), 0u);
}

TEST_F(L2L3, ArpTableSurvivesManyNeighboursAndRemovals) {
    // Fill past the load bound, then let everything age out: probe chains must stay intact.
    for (std::uint32_t i = 0; i < ArpTable::kMaxEntries + 10; ++i) {
        const std::uint32_t ip = ip4(10, 0, std::uint8_t(i >> 8), std::uint8_t(i));
        port_->arp().learn(ip, mac(2), now_, true);
    }
    EXPECT_EQ(port_->arp().size(), ArpTable::kMaxEntries);
    for (std::uint32_t i = 0; i < ArpTable::kMaxEntries; i += 2) {
        port_->arp().erase(ip4(10, 0, std::uint8_t(i >> 8), std::uint8_t(i)));
    }
    for (std::uint32_t i = 1; i < ArpTable::kMaxEntries; i += 2) {
        ASSERT_NE(port_->arp().lookup(ip4(10, 0, std::uint8_t(i >> 8), std::uint8_t(i))), nullptr) << i;
    }
    EXPECT_EQ(port_->arp().size(), ArpTable::kMaxEntries / 2);
}

// ----------------------------------------------------------------------------------------------
// ICMP

TEST_F(L2L3, IcmpEchoIsAnsweredWithACorrectChecksum) {
    const Bytes data = pattern(56);
    Ip h;
    h.proto = 1;
    h.ttl = 1;
    EXPECT_EQ(input(from_peer(ipv4(h, icmp_echo(8, 0xbeef, 7, data)))), RxVerdict::consumed);
    auto tx = drain(*port_);
    ASSERT_EQ(tx.size(), 1u);
    const Bytes& f = tx[0];
    EXPECT_EQ(Bytes(f.begin(), f.begin() + 14), eth(mac(2), mac(1), 0x0800));
    ASSERT_EQ(check_ip(f), 20u);
    EXPECT_EQ(get32(&f[26]), kOurIp);
    EXPECT_EQ(get32(&f[30]), kPeerIp);
    EXPECT_EQ(f[22], 64);
    // The echo reply: type 0, same identifier, sequence and data, checksum over the message.
    EXPECT_EQ(Bytes(f.begin() + 34, f.end()), icmp_echo(0, 0xbeef, 7, data));
    EXPECT_EQ(sum16(f.data() + 34, f.size() - 34), 0xffffu);
    EXPECT_EQ(get(Counter::icmp_echo_in), 1u);
    EXPECT_EQ(get(Counter::icmp_echo_reply_out), 1u);
}

TEST_F(L2L3, IcmpBadAndOtherTypesAreDropped) {
    Ip h;
    h.proto = 1;
    EXPECT_EQ(input(from_peer(ipv4(h, icmp_echo(8, 1, 1, pattern(8), true)))), RxVerdict::drop);
    EXPECT_EQ(get(Counter::icmp_bad), 1u);
    EXPECT_EQ(input(from_peer(ipv4(h, Bytes{8, 0, 0xf7}))), RxVerdict::drop);
    EXPECT_EQ(get(Counter::icmp_bad), 2u);
    EXPECT_EQ(input(from_peer(ipv4(h, icmp_echo(13, 1, 1, pattern(12))))), RxVerdict::drop);
    EXPECT_EQ(get(Counter::icmp_other), 1u);
    EXPECT_EQ(input(from_peer(ipv4(h, icmp_echo(0, 1, 1, pattern(12))))), RxVerdict::drop);
    EXPECT_EQ(get(Counter::icmp_other), 2u);
    EXPECT_EQ(port_->staged(), 0u);
}

// ----------------------------------------------------------------------------------------------
// IPv4 and UDP checks: each bad case under its own counter

struct BadCase {
    const char* name;
    Bytes frame;
    Counter counter;
};

std::vector<BadCase> bad_cases() {
    const Bytes sip = udp(kPeerIp, kOurIp, 5070, 5060, text("OPTIONS sip:x SIP/2.0\r\n\r\n"));
    auto with = [&](auto edit, const Bytes& l4) {
        Ip h;
        edit(h);
        return cat(eth(mac(1), mac(2), 0x0800), ipv4(h, l4));
    };
    auto src = [&](std::uint32_t a) { return with([a](Ip& h) { h.src = a; }, sip); };
    std::vector<BadCase> v;
    v.push_back({"runt", Bytes(10, 0), Counter::l2_runt});
    v.push_back({"ipv6", cat(eth(mac(1), mac(2), 0x86dd), Bytes(40, 0)), Counter::non_ip_drop});
    v.push_back({"vlan", cat(eth(mac(1), mac(2), 0x8100), Bytes(40, 0)), Counter::non_ip_drop});
    v.push_back({"other unicast MAC", cat(eth(mac(9), mac(2), 0x0800), ipv4(Ip{}, sip)),
                 Counter::l2_not_ours});
    v.push_back({"link broadcast", cat(eth(kBcast, mac(2), 0x0800), ipv4(Ip{}, sip)),
                 Counter::ipv4_link_broadcast});
    v.push_back({"truncated", cat(eth(mac(1), mac(2), 0x0800), Bytes(12, 0x45)), Counter::ipv4_truncated});
    v.push_back({"version 6", with([](Ip& h) { h.version = 6; }, sip), Counter::ipv4_bad_version});
    v.push_back({"ihl 4", with([](Ip& h) { h.ihl = 4; }, sip), Counter::ipv4_bad_ihl});
    v.push_back({"ihl past packet", cat(eth(mac(1), mac(2), 0x0800), Bytes(ipv4([] {
                     Ip h;
                     h.ihl = 15;
                     return h;
                 }(), Bytes{}))), Counter::ipv4_bad_ihl});
    v.push_back({"bad checksum", with([](Ip& h) { h.bad_checksum = true; }, sip), Counter::ipv4_bad_checksum});
    v.push_back({"total > frame", with([](Ip& h) { h.total_delta = 1; }, sip), Counter::ipv4_bad_total_length});
    v.push_back({"total < ihl", with([&](Ip& h) { h.total_delta = -int(sip.size()) - 1; }, sip),
                 Counter::ipv4_bad_total_length});
    v.push_back({"src 0/8", src(ip4(0, 1, 2, 3)), Counter::ipv4_bad_source});
    v.push_back({"src loopback", src(ip4(127, 0, 0, 1)), Counter::ipv4_bad_source});
    v.push_back({"src multicast", src(ip4(224, 0, 0, 5)), Counter::ipv4_bad_source});
    v.push_back({"src class E", src(ip4(240, 0, 0, 1)), Counter::ipv4_bad_source});
    v.push_back({"src broadcast", src(ip4(255, 255, 255, 255)), Counter::ipv4_bad_source});
    v.push_back({"src subnet broadcast", src(ip4(192, 0, 2, 255)), Counter::ipv4_bad_source});
    v.push_back({"src ours", src(kOurIp), Counter::ipv4_bad_source});
    v.push_back({"dst other", with([](Ip& h) { h.dst = ip4(192, 0, 2, 3); }, sip), Counter::ipv4_not_ours});
    v.push_back({"dst broadcast", with([](Ip& h) { h.dst = ip4(192, 0, 2, 255); }, sip), Counter::ipv4_not_ours});
    v.push_back({"LSRR", with([](Ip& h) { h.options = {131, 7, 4, 1, 2, 3, 4, 0}; }, sip),
                 Counter::ipv4_source_route});
    v.push_back({"SSRR", with([](Ip& h) { h.options = {1, 137, 7, 4, 1, 2, 3, 4}; }, sip),
                 Counter::ipv4_source_route});
    v.push_back({"option length 1", with([](Ip& h) { h.options = {7, 1, 0, 0}; }, sip), Counter::ipv4_bad_options});
    v.push_back({"option past header", with([](Ip& h) { h.options = {1, 68, 12, 5}; }, sip),
                 Counter::ipv4_bad_options});
    v.push_back({"TCP", with([](Ip& h) { h.proto = 6; }, Bytes(20, 0)), Counter::ipv4_bad_protocol});
    v.push_back({"UDP shorter than 8", with([](Ip&) {}, Bytes(6, 0)), Counter::udp_bad_length});
    v.push_back({"UDP length < 8", with([](Ip&) {}, udp(kPeerIp, kOurIp, 5070, 5060, text("abc"), false, -4)),
                 Counter::udp_bad_length});
    v.push_back({"UDP length > IP payload",
                 with([](Ip&) {}, udp(kPeerIp, kOurIp, 5070, 5060, text("abc"), true, 1)),
                 Counter::udp_bad_length});
    v.push_back({"UDP bad checksum",
                 with([](Ip&) {}, udp(kPeerIp, kOurIp, 5070, 5060, text("abc"), false, 0, true)),
                 Counter::udp_bad_checksum});
    v.push_back({"UDP other port", with([](Ip&) {}, udp(kPeerIp, kOurIp, 5070, 5061, text("abc"))),
                 Counter::udp_not_sip_port});
    return v;
}

TEST_F(L2L3, EachBadPacketIsDroppedUnderItsOwnCounter) {
    for (const BadCase& bc : bad_cases()) {
        SCOPED_TRACE(bc.name);
        c_ = std::make_unique<WorkerCounters>();
        EXPECT_EQ(input(bc.frame), RxVerdict::drop);
        EXPECT_EQ(get(bc.counter), 1u);
        std::uint64_t total = 0;
        for (std::size_t k = 0; k < kCounterCount; ++k) {
            const auto ctr = static_cast<Counter>(k);
            if (ctr != Counter::ipv4_options) total += get(ctr);
        }
        EXPECT_EQ(total, 1u) << "exactly one counter";
        EXPECT_EQ(port_->staged(), 0u);
        EXPECT_EQ(in_use(), baseline_) << "the dropped mbuf was freed";
    }
}

// ----------------------------------------------------------------------------------------------
// SIP hand-off

TEST_F(L2L3, SipDatagramIsDeliveredWithTheRightOffsets) {
    const Bytes payload = text("OPTIONS sip:192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2:5070\r\n\r\n");
    Ip h;
    h.options = {1, 1, 1, 0};  // NOP NOP NOP EOL: IHL 6
    h.ttl = 0;                 // RFC 1812 §4.2.2.9: received whatever the TTL
    ASSERT_EQ(input(from_peer(ipv4(h, sip_udp(payload)))), RxVerdict::sip);
    ASSERT_NE(out_.m, nullptr);
    const char* base = rte_pktmbuf_mtod(out_.m, const char*);
    EXPECT_EQ(out_.payload, base + 14 + 24 + 8);
    EXPECT_EQ(out_.length, payload.size());
    EXPECT_EQ(Bytes(out_.payload, out_.payload + out_.length), payload);
    EXPECT_FALSE(out_.in_scratch);
    EXPECT_EQ(out_.src_ip, kPeerIp);
    EXPECT_EQ(out_.dst_ip, kOurIp);
    EXPECT_EQ(out_.src_port, 5070);
    EXPECT_EQ(out_.dst_port, 5060);
    EXPECT_TRUE(is_mac(&out_.src_mac, 2));
    EXPECT_EQ(out_.m->l2_len, 14u);
    EXPECT_EQ(out_.m->l3_len, 24u);
    EXPECT_EQ(get(Counter::ipv4_options), 1u);
    rte_pktmbuf_free(out_.m);
}

TEST_F(L2L3, EthernetPaddingAndZeroChecksumAreAccepted) {
    // A short datagram in a 60-byte minimum frame, without UDP checksum (legal in IPv4).
    Bytes f = from_peer(ipv4(Ip{}, udp(kPeerIp, kOurIp, 5070, 5060, text("hi"), true)));
    f.resize(60, 0);
    ASSERT_EQ(input(f), RxVerdict::sip);
    EXPECT_EQ(out_.length, 2u);
    EXPECT_EQ(rte_pktmbuf_pkt_len(out_.m), 14u + 20 + 8 + 2) << "padding trimmed";
    EXPECT_EQ(get(Counter::udp_no_checksum), 1u);
    rte_pktmbuf_free(out_.m);
}

// ----------------------------------------------------------------------------------------------
// Fragmentation on send

TEST_F(L2L3, LargePayloadLeavesAsCorrectFragments) {
    const std::uint32_t dst = ip4(192, 0, 2, 7);
    learn_peer(dst, 7);
    const Bytes payload = pattern(3000);
    ASSERT_TRUE(send(dst, payload));
    std::array<rte_mbuf*, L3Port::kTxBurst> ms{};
    const std::uint16_t n = port_->take_staged(ms.data(), L3Port::kTxBurst);
    ASSERT_EQ(n, 3u);
    EXPECT_EQ(get(Counter::frag_out), 3u);
    // 8 + 3000 UDP bytes in 1480-byte pieces (RFC 791: 8n bytes, header copied, MF on all
    // but the last, offset in 8-byte units).
    const std::uint16_t want_total[] = {1500, 1500, 20 + 48};
    const std::uint16_t want_off[] = {0, 185, 370};
    Bytes joined;
    std::uint16_t id = 0;
    for (std::uint16_t i = 0; i < n; ++i) {
        const Bytes f = from_mbuf(ms[i]);
        SCOPED_TRACE(i);
        EXPECT_EQ(Bytes(f.begin(), f.begin() + 14), eth(mac(7), mac(1), 0x0800));
        ASSERT_EQ(check_ip(f), 20u);
        EXPECT_EQ(get16(&f[16]), want_total[i]);
        EXPECT_EQ(f.size(), 14u + want_total[i]);
        const std::uint16_t fo = get16(&f[20]);
        EXPECT_EQ(fo & 0x1fff, want_off[i]);
        EXPECT_EQ((fo & 0x2000) != 0, i + 1 < n) << "MF";
        if (i == 0) id = get16(&f[18]);
        EXPECT_EQ(get16(&f[18]), id) << "same Identification";
        EXPECT_EQ(get32(&f[26]), kOurIp);
        EXPECT_EQ(get32(&f[30]), dst);
        append(joined, f.data() + 34, f.size() - 34);
    }
    EXPECT_EQ(joined, udp(kOurIp, dst, 5060, 5060, payload)) << "UDP checksum over all 3000 bytes";

    // Reassemble them with our own reassembly, on a port that has the destination's address.
    L3Port rx(port_config(dst, 7), SOCKET_ID_ANY);
    ASSERT_TRUE(rx.ok());
    const std::uint16_t order[] = {2, 0, 1};
    RxVerdict v = RxVerdict::drop;
    UdpDatagram d;
    for (std::uint16_t k = 0; k < 3; ++k) v = l3_input(rx, ms[order[k]], now_, d, *c_);
    ASSERT_EQ(v, RxVerdict::sip);
    EXPECT_EQ(d.length, payload.size());
    EXPECT_EQ(Bytes(d.payload, d.payload + d.length), payload);
    EXPECT_EQ(d.src_ip, kOurIp);
    EXPECT_EQ(c_->get(0, Counter::frag_reassembled), 1u);
    rte_pktmbuf_free(d.m);
}

TEST_F(L2L3, PayloadAtTheMtuIsNotFragmented) {
    learn_peer(kPeerIp, 2);
    ASSERT_TRUE(send(kPeerIp, pattern(1500 - 28)));
    auto tx = drain(*port_);
    ASSERT_EQ(tx.size(), 1u);
    EXPECT_EQ(tx[0].size(), 1514u);
    EXPECT_EQ(get(Counter::frag_out), 0u);
    ASSERT_TRUE(send(kPeerIp, pattern(1500 - 27)));
    EXPECT_EQ(drain(*port_).size(), 2u);
}

TEST_F(L2L3, FragmentationNeedsHeadroomAndRespectsLimits) {
    learn_peer(kPeerIp, 2);
    rte_mbuf* m = to_mbuf(text("x"));
    ASSERT_NE(m, nullptr);
    rte_pktmbuf_prepend(m, rte_pktmbuf_headroom(m));  // no headroom left
    EXPECT_FALSE(udp_output(*port_, m, kPeerIp, 5060, now_, *c_));
    EXPECT_EQ(get(Counter::tx_no_headroom), 1u);
    // An MTU of 68 would need 84 fragments for 4,000 bytes: refused, not flooded.
    port_ = std::make_unique<L3Port>(port_config(kOurIp, 1, kGateway, 68), SOCKET_ID_ANY);
    ASSERT_TRUE(port_->ok());
    learn_peer(kPeerIp, 2);
    rte_mbuf* big = to_mbuf(pattern(4000));
    ASSERT_NE(big, nullptr);
    EXPECT_TRUE(udp_output(*port_, big, kPeerIp, 5060, now_, *c_));
    EXPECT_EQ(port_->staged(), 0u);
    EXPECT_EQ(get(Counter::frag_out_fail), 1u);
    // The same over MTU 576 leaves as ceil(4008 / 552) = 8 fragments.
    port_ = std::make_unique<L3Port>(port_config(kOurIp, 1, kGateway, 576), SOCKET_ID_ANY);
    learn_peer(kPeerIp, 2);
    EXPECT_TRUE(udp_output(*port_, to_mbuf(pattern(4000)), kPeerIp, 5060, now_, *c_));
    EXPECT_EQ(port_->staged(), 8u);
}

TEST_F(L2L3, ChainedPayloadGetsTheRightChecksum) {
    learn_peer(kPeerIp, 2);
    rte_mbuf* a = to_mbuf(text("hello "));
    rte_mbuf* b = rte_pktmbuf_alloc(EalEnv::direct);
    ASSERT_NE(rte_pktmbuf_append(b, 5), nullptr);
    std::memcpy(rte_pktmbuf_mtod(b, char*), "world", 5);
    ASSERT_EQ(rte_pktmbuf_chain(a, b), 0);
    ASSERT_TRUE(udp_output(*port_, a, kPeerIp, 5080, now_, *c_));
    auto tx = drain(*port_);
    ASSERT_EQ(tx.size(), 1u);
    EXPECT_EQ(Bytes(tx[0].begin() + 34, tx[0].end()), udp(kOurIp, kPeerIp, 5060, 5080, text("hello world")));
}

TEST_F(L2L3, IpIdentificationIsPartitionedBetweenWorkers) {
    L3PortConfig cfg = port_config();
    cfg.worker_index = 2;
    cfg.worker_count = 3;
    port_ = std::make_unique<L3Port>(cfg, SOCKET_ID_ANY);
    learn_peer(kPeerIp, 2);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(send(kPeerIp, text("x")));
    for (const Bytes& f : drain(*port_)) EXPECT_EQ(get16(&f[18]) % 3, 2);
}

TEST_F(L2L3, NeighboursLearnedByOneWorkerReachTheOthers) {
    // ARP replies land on one worker's queue; the worker that asked is another one.
    L3PortConfig c0 = port_config(), c1 = port_config();
    c0.worker_count = c1.worker_count = 2;
    c0.worker_index = 0;
    c1.worker_index = 1;
    port_ = std::make_unique<L3Port>(c0, SOCKET_ID_ANY);
    L3Port w1(c1, SOCKET_ID_ANY);
    ASSERT_TRUE(port_->ok()) << port_->err();
    ASSERT_TRUE(w1.ok()) << w1.err();
    w1.start(now_, *c_);
    EXPECT_EQ(w1.staged(), 0u) << "worker 0 announces for the port";
    port_->start(now_, *c_);
    EXPECT_EQ(drain(*port_).size(), 2u);
    learn_peer(kGateway, 0xfe);
    w1.poll(now_, *c_);
    EXPECT_TRUE(is_mac(w1.arp().lookup(kGateway), 0xfe)) << "the gateway's answer is shared";
    c_ = std::make_unique<WorkerCounters>();
    const std::uint32_t dst = ip4(192, 0, 2, 7);
    ASSERT_TRUE(udp_output(w1, to_mbuf(text("via worker 1")), dst, 5060, now_, *c_));
    EXPECT_EQ(drain(w1).size(), 1u) << "worker 1's request";
    learn_peer(dst, 7);  // the reply reaches worker 0
    EXPECT_EQ(get(Counter::arp_sync_out), 1u);
    w1.poll(now_, *c_);
    EXPECT_EQ(get(Counter::arp_sync_in), 1u);
    auto tx = drain(w1);
    ASSERT_EQ(tx.size(), 1u) << "the queued datagram leaves from worker 1";
    EXPECT_EQ(Bytes(tx[0].begin(), tx[0].begin() + 6), Bytes({2, 0, 0, 0, 0, 7}));
    EXPECT_EQ(w1.arp().queued(), 0u);
    // A confirmation seen by worker 0 keeps worker 1's entry from ageing.
    w1.poll(now_ + 300 * hz(), *c_);
    EXPECT_EQ(drain(w1).size(), 2u) << "refresh requests: the gateway and .7";
    learn_peer(dst, 7);
    w1.poll(now_ + 300 * hz() + 1, *c_);
    for (int s = 1; s <= 5; ++s) w1.poll(now_ + (300 + s) * hz(), *c_);
    drain(w1);
    EXPECT_NE(w1.arp().lookup(dst), nullptr) << ".7 answered worker 0";
    EXPECT_EQ(w1.arp().lookup(kGateway), nullptr) << "the gateway did not";
    EXPECT_EQ(get(Counter::arp_aged), 1u);
}

TEST_F(L2L3, BadConfigIsRefusedWithAReason) {
    L3PortConfig cfg = port_config();
    cfg.indirect_pool = nullptr;
    L3Port a(cfg, SOCKET_ID_ANY);
    EXPECT_FALSE(a.ok());
    EXPECT_STRNE(a.err(), "");
    L3Port b(port_config(kOurIp, 1, kGateway, 60), SOCKET_ID_ANY);
    EXPECT_FALSE(b.ok());
}

// ----------------------------------------------------------------------------------------------
// Robustness: mutated frames never crash and never leak

TEST_F(L2L3, MutatedFramesAreHandledWithoutLeaks) {
    const Bytes sip = text("OPTIONS sip:192.0.2.1 SIP/2.0\r\nCall-ID: x\r\n\r\n");
    const auto frag = [&](std::uint16_t fo, const Bytes& piece) {
        Ip h;
        h.frag = fo;
        return from_peer(ipv4(h, piece));
    };
    const Bytes big = udp(kPeerIp, kOurIp, 5070, 5060, pattern(100));
    std::vector<Bytes> seeds{
        from_peer(ipv4(Ip{}, sip_udp(sip))),
        from_peer(ipv4([] { Ip h; h.proto = 1; return h; }(), icmp_echo(8, 1, 2, pattern(32)))),
        cat(eth(kBcast, mac(2), 0x0806), arp(1, mac(2), kPeerIp, rte_ether_addr{}, kOurIp)),
        from_peer(arp(2, mac(2), kPeerIp, mac(1), kOurIp), 0x0806),
        frag(0x2000, Bytes(big.begin(), big.begin() + 56)),
        frag(7, Bytes(big.begin() + 56, big.end())),
        from_peer(ipv4([] { Ip h; h.options = {1, 1, 7, 7, 4, 0, 0, 0, 0, 0, 0, 0}; return h; }(), sip_udp(sip))),
    };
    std::uint64_t rng = 0x9e3779b97f4a7c15ull;
    auto next = [&rng] {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return rng;
    };
    unsigned sip_seen = 0;
    for (int i = 0; i < 20000; ++i) {
        Bytes f = seeds[next() % seeds.size()];
        const unsigned edits = 1 + next() % 4;
        for (unsigned e = 0; e < edits; ++e) {
            switch (next() % 4) {
                case 0: f[next() % f.size()] ^= std::uint8_t(1u << (next() % 8)); break;
                case 1: f[next() % f.size()] = std::uint8_t(next()); break;
                case 2: if (f.size() > 1) f.resize(next() % f.size() + 1); break;
                default: f.resize(f.size() + next() % 16, std::uint8_t(next())); break;
            }
        }
        out_ = UdpDatagram{};
        rte_mbuf* m = to_mbuf(f);
        ASSERT_NE(m, nullptr);
        if (l3_input(*port_, m, now_ + std::uint64_t(i) * 1000, out_, *c_) == RxVerdict::sip) {
            ASSERT_NE(out_.m, nullptr);
            ASSERT_LE(out_.length, 65535u);
            volatile char sink = 0;
            for (std::uint16_t k = 0; k < out_.length; ++k) sink = char(sink ^ out_.payload[k]);
            rte_pktmbuf_free(out_.m);
            ++sip_seen;
        }
        if (port_->staged() > 16) drain(*port_);
        port_->poll(now_ + std::uint64_t(i) * 1000, *c_);
    }
    EXPECT_GT(sip_seen, 0u);
    port_->poll(now_ + 3600 * hz(), *c_);  // every held fragment and queued packet times out
    drain(*port_);
    EXPECT_EQ(in_use(), baseline_);
}

// ----------------------------------------------------------------------------------------------
// tx through a real ethdev: net_ring0 loops its tx queue back to its rx queue

/// Starts port 0 (net_ring0) once per binary, with one rx and one tx queue.
bool ring_port_started() {
    static const bool ok = [] {
        rte_eth_conf conf{};
        return rte_eth_dev_configure(0, 1, 1, &conf) == 0 &&
               rte_eth_rx_queue_setup(0, 0, 64, SOCKET_ID_ANY, nullptr, EalEnv::direct) == 0 &&
               rte_eth_tx_queue_setup(0, 0, 64, SOCKET_ID_ANY, nullptr) == 0 &&
               rte_eth_dev_start(0) == 0;
    }();
    return ok;
}

/// Takes everything the ring port has received.
std::vector<rte_mbuf*> receive_all() {
    std::vector<rte_mbuf*> v;
    std::array<rte_mbuf*, 8> rx{};
    for (std::uint16_t k = rte_eth_rx_burst(0, 0, rx.data(), 8); k != 0;
         k = rte_eth_rx_burst(0, 0, rx.data(), 8)) {
        v.insert(v.end(), rx.begin(), rx.begin() + k);
    }
    return v;
}

TEST_F(L2L3, FragmentsBothWaysThroughTheRingPort) {
    // Two hosts on one net_ring port (its tx queue feeds its rx queue): .7 sends 3,000 bytes to
    // us; they leave .7 as fragments through the ethdev and we reassemble what the port hands us.
    ASSERT_TRUE(ring_port_started());
    L3Port peer(port_config(ip4(192, 0, 2, 7), 7), SOCKET_ID_ANY);
    ASSERT_TRUE(peer.ok());
    UdpDatagram d;
    rte_mbuf* a = to_mbuf(cat(eth(mac(7), mac(1), 0x0806), arp(2, mac(1), kOurIp, mac(7), ip4(192, 0, 2, 7))));
    ASSERT_EQ(l3_input(peer, a, now_, d, *c_), RxVerdict::consumed);
    const Bytes payload = pattern(3000);
    ASSERT_TRUE(udp_output(peer, to_mbuf(payload), kOurIp, 5060, now_, *c_));
    EXPECT_EQ(peer.flush_tx(*c_), 3u);
    const auto got = receive_all();
    ASSERT_EQ(got.size(), 3u);
    std::vector<RxVerdict> v;
    for (rte_mbuf* m : got) v.push_back(l3_input(*port_, m, now_, out_, *c_));
    EXPECT_EQ(v, (std::vector<RxVerdict>{RxVerdict::consumed, RxVerdict::consumed, RxVerdict::sip}));
    ASSERT_EQ(out_.length, 3000u);
    EXPECT_EQ(Bytes(out_.payload, out_.payload + out_.length), payload);
    EXPECT_EQ(out_.src_ip, ip4(192, 0, 2, 7));
    rte_pktmbuf_free(out_.m);
}

TEST_F(L2L3, FlushSendsStagedPacketsOnThePort) {
    ASSERT_TRUE(ring_port_started());
    for (rte_mbuf* m : receive_all()) rte_pktmbuf_free(m);
    port_->start(now_, *c_);
    EXPECT_EQ(input(cat(eth(kBcast, mac(2), 0x0806), arp(1, mac(2), kPeerIp, rte_ether_addr{}, kOurIp))),
              RxVerdict::consumed);
    EXPECT_EQ(port_->flush_tx(*c_), 3u);
    EXPECT_EQ(get(Counter::tx_packets), 3u);
    EXPECT_EQ(get(Counter::tx_bytes), 126u);
    std::array<rte_mbuf*, 8> rx{};
    const std::uint16_t n = rte_eth_rx_burst(0, 0, rx.data(), 8);
    ASSERT_EQ(n, 3u);
    EXPECT_EQ(get16(rte_pktmbuf_mtod_offset(rx[0], const std::uint8_t*, 20)), 1u) << "announcement";
    EXPECT_EQ(get16(rte_pktmbuf_mtod_offset(rx[1], const std::uint8_t*, 20)), 1u) << "gateway";
    EXPECT_EQ(get16(rte_pktmbuf_mtod_offset(rx[2], const std::uint8_t*, 20)), 2u) << "reply";
    for (std::uint16_t i = 0; i < n; ++i) rte_pktmbuf_free(rx[i]);
    // Staging flushes by itself when full.
    for (std::uint16_t i = 0; i < L3Port::kTxBurst + 1; ++i) {
        input(cat(eth(kBcast, mac(2), 0x0806), arp(1, mac(2), kPeerIp, rte_ether_addr{}, kOurIp)));
    }
    EXPECT_EQ(port_->staged(), 1u);
    EXPECT_EQ(get(Counter::tx_packets), 3u + L3Port::kTxBurst);
    for (rte_mbuf* m : receive_all()) rte_pktmbuf_free(m);
}

}  // namespace
}  // namespace palisade::dp::test
