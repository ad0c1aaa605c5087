// IPv4 reassembly through l3_input (rte_ip_frag underneath): every order of a 3-fragment SIP
// datagram, timeouts, a full table, bad fragment sets; mbufs accounted for in every case.
#include "dataplane/reassembly.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "dataplane/l2l3.hpp"
#include "tests/unit/dataplane/l2l3_packets.hpp"

namespace palisade::dp::test {
namespace {

[[maybe_unused]] ::testing::Environment* const kEnv =
    ::testing::AddGlobalTestEnvironment(new EalEnv);

/// Frames carrying ip_payload in fragments of the given sizes (all but the last 8n bytes).
std::vector<Bytes> fragments(const Bytes& ip_payload, const std::vector<std::size_t>& sizes,
                             std::uint16_t id = 0x100, std::uint8_t proto = 17) {
    std::vector<Bytes> out;
    std::size_t off = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        const bool last = i + 1 == sizes.size();
        Ip h;
        h.id = id;
        h.proto = proto;
        h.frag = std::uint16_t((last ? 0 : 0x2000) | (off / 8));
        Bytes piece(ip_payload.begin() + std::ptrdiff_t(off),
                    ip_payload.begin() + std::ptrdiff_t(off + sizes[i]));
        out.push_back(cat(eth(mac(1), mac(2), 0x0800), ipv4(h, piece)));
        off += sizes[i];
    }
    return out;
}

class Reasm : public ::testing::Test {
protected:
    void SetUp() override { make_port(1024); }
    void make_port(std::uint32_t flows) {
        port_.reset();
        baseline_ = in_use();
        L3PortConfig cfg = port_config();
        cfg.reassembly.max_flows = flows;
        cfg.reassembly.timeout_ms = 2000;
        port_ = std::make_unique<L3Port>(cfg, SOCKET_ID_ANY);
        ASSERT_TRUE(port_->ok()) << port_->err();
        now_ = 1000 * hz();
    }
    void TearDown() override {
        // Whatever is still held goes when its datagram times out.
        port_->poll(now_ + 1000 * hz(), *c_);
        drain(*port_);
        port_.reset();
        EXPECT_EQ(in_use(), baseline_) << "mbufs leaked";
    }
    std::uint64_t get(Counter k) const { return c_->get(0, k); }
    RxVerdict input(const Bytes& frame, std::uint64_t at = 0) {
        rte_mbuf* m = to_mbuf(frame);
        EXPECT_NE(m, nullptr);
        out_ = UdpDatagram{};
        return l3_input(*port_, m, at == 0 ? now_ : at, out_, *c_);
    }

    unsigned baseline_ = 0;
    std::unique_ptr<WorkerCounters> c_ = std::make_unique<WorkerCounters>();
    std::unique_ptr<L3Port> port_;
    std::uint64_t now_ = 0;
    UdpDatagram out_{};
};

const Bytes& sip_3000() {
    static const Bytes b = [] {
        std::string s = "INVITE sip:+31201234567@192.0.2.1 SIP/2.0\r\nContent-Length: 2950\r\n\r\n";
        s.resize(3000, 'v');
        return text(s);
    }();
    return b;
}

TEST_F(Reasm, ThreeFragmentsInEveryOrderAreReassembled) {
    const Bytes dgram = udp(kPeerIp, kOurIp, 5070, 5060, sip_3000());  // 3,008 bytes
    const auto frags = fragments(dgram, {1480, 1480, 48}, 0x4242);
    std::vector<int> order{0, 1, 2};
    int runs = 0;
    do {
        SCOPED_TRACE(::testing::Message() << order[0] << order[1] << order[2]);
        EXPECT_EQ(input(frags[std::size_t(order[0])]), RxVerdict::consumed);
        EXPECT_EQ(input(frags[std::size_t(order[1])]), RxVerdict::consumed);
        ASSERT_EQ(input(frags[std::size_t(order[2])]), RxVerdict::sip);
        EXPECT_EQ(out_.length, 3000u);
        EXPECT_EQ(Bytes(out_.payload, out_.payload + out_.length), sip_3000());
        EXPECT_EQ(out_.src_ip, kPeerIp);
        EXPECT_EQ(out_.src_port, 5070);
        // The chain does not fit one 2 KiB buffer: the payload was copied to scratch.
        EXPECT_TRUE(out_.in_scratch);
        rte_pktmbuf_free(out_.m);
        ++runs;
    } while (std::next_permutation(order.begin(), order.end()));
    EXPECT_EQ(runs, 6);
    EXPECT_EQ(get(Counter::frag_in), 18u);
    EXPECT_EQ(get(Counter::frag_reassembled), 6u);
    EXPECT_EQ(get(Counter::rx_multiseg_linearised), 6u);
    EXPECT_EQ(in_use(), baseline_);
}

TEST_F(Reasm, SmallReassembledDatagramIsLinearisedInPlace) {
    const Bytes payload = text(std::string(600, 's'));
    const auto frags = fragments(udp(kPeerIp, kOurIp, 5070, 5060, payload), {304, 304});
    EXPECT_EQ(input(frags[1]), RxVerdict::consumed);
    ASSERT_EQ(input(frags[0]), RxVerdict::sip);
    EXPECT_FALSE(out_.in_scratch);
    EXPECT_EQ(out_.m->nb_segs, 1u);
    EXPECT_EQ(out_.payload, rte_pktmbuf_mtod_offset(out_.m, const char*, 14 + 20 + 8));
    EXPECT_EQ(Bytes(out_.payload, out_.payload + out_.length), payload);
    rte_pktmbuf_free(out_.m);
}

TEST_F(Reasm, InterleavedDatagramsAreKeptApart) {
    const Bytes a = text(std::string(2000, 'a')), b = text(std::string(2000, 'b'));
    const auto fa = fragments(udp(kPeerIp, kOurIp, 5070, 5060, a), {1480, 528}, 1);
    const auto fb = fragments(udp(kPeerIp, kOurIp, 5071, 5060, b), {1480, 528}, 2);
    EXPECT_EQ(input(fa[0]), RxVerdict::consumed);
    EXPECT_EQ(input(fb[1]), RxVerdict::consumed);
    ASSERT_EQ(input(fb[0]), RxVerdict::sip);
    EXPECT_EQ(out_.src_port, 5071);
    EXPECT_EQ(Bytes(out_.payload, out_.payload + out_.length), b);
    rte_pktmbuf_free(out_.m);
    ASSERT_EQ(input(fa[1]), RxVerdict::sip);
    EXPECT_EQ(Bytes(out_.payload, out_.payload + out_.length), a);
    rte_pktmbuf_free(out_.m);
}

TEST_F(Reasm, IncompleteDatagramTimesOut) {
    const auto frags = fragments(udp(kPeerIp, kOurIp, 5070, 5060, sip_3000()), {1480, 1480, 48}, 7);
    EXPECT_EQ(input(frags[0]), RxVerdict::consumed);
    EXPECT_EQ(input(frags[2]), RxVerdict::consumed);
    port_->poll(now_ + hz(), *c_);
    EXPECT_EQ(get(Counter::frag_timeout), 0u) << "within the 2 s timeout";
    port_->poll(now_ + 2 * hz() + hz() / 10, *c_);
    EXPECT_EQ(get(Counter::frag_timeout), 2u);
    EXPECT_EQ(port_->reassembly().death_row_size(), 0u) << "freed in the same poll";
    EXPECT_EQ(in_use(), baseline_);
    // The missing piece alone now starts a new datagram that never completes.
    EXPECT_EQ(input(frags[1], now_ + 3 * hz()), RxVerdict::consumed);
    EXPECT_EQ(get(Counter::frag_reassembled), 0u);
}

TEST_F(Reasm, StaleDatagramIsReclaimedWhenItsNextFragmentArrives) {
    const auto frags = fragments(udp(kPeerIp, kOurIp, 5070, 5060, sip_3000()), {1480, 1480, 48}, 8);
    EXPECT_EQ(input(frags[0]), RxVerdict::consumed);
    EXPECT_EQ(input(frags[1]), RxVerdict::consumed);
    // No poll in between: the library finds its flow expired and starts over with this one.
    EXPECT_EQ(input(frags[2], now_ + 3 * hz()), RxVerdict::consumed);
    EXPECT_EQ(get(Counter::frag_timeout), 2u);
    EXPECT_EQ(get(Counter::frag_reassembled), 0u);
    port_->poll(now_ + 3 * hz(), *c_);
    EXPECT_EQ(port_->reassembly().death_row_size(), 0u);
}

TEST_F(Reasm, FullTableDropsNewDatagramsAndCountsThem) {
    make_port(4);
    for (std::uint16_t id = 1; id <= 6; ++id) {
        const auto f = fragments(udp(kPeerIp, kOurIp, 5070, 5060, sip_3000()), {1480, 1480, 48}, id);
        EXPECT_EQ(input(f[0]), RxVerdict::consumed);
    }
    EXPECT_EQ(get(Counter::frag_drop_table_full), 2u);
    EXPECT_GT(port_->reassembly().death_row_size(), 0u);
    port_->poll(now_, *c_);
    EXPECT_EQ(port_->reassembly().death_row_size(), 0u) << "death row freed every loop";
    // The held ones still complete.
    const auto f1 = fragments(udp(kPeerIp, kOurIp, 5070, 5060, sip_3000()), {1480, 1480, 48}, 1);
    EXPECT_EQ(input(f1[1]), RxVerdict::consumed);
    ASSERT_EQ(input(f1[2]), RxVerdict::sip);
    rte_pktmbuf_free(out_.m);
    // Once the others time out, their room is reused.
    port_->poll(now_ + 5 * hz(), *c_);
    EXPECT_EQ(get(Counter::frag_timeout), 3u);
    const auto f9 = fragments(udp(kPeerIp, kOurIp, 5070, 5060, sip_3000()), {1480, 1480, 48}, 9);
    const std::uint64_t later = now_ + 5 * hz();
    for (int i = 0; i < 2; ++i) EXPECT_EQ(input(f9[std::size_t(i)], later), RxVerdict::consumed);
    EXPECT_EQ(input(f9[2], later), RxVerdict::sip);
    rte_pktmbuf_free(out_.m);
    EXPECT_EQ(get(Counter::frag_drop_table_full), 2u);
}

TEST_F(Reasm, TooManyFragmentsAreDropped) {
    // RTE_LIBRTE_IP_FRAG_MAX_FRAG (8) bounds the pieces of one datagram.
    const Bytes payload = text(std::string(200, 'x'));
    const Bytes dgram = udp(kPeerIp, kOurIp, 5070, 5060, payload);  // 208 bytes
    std::vector<std::size_t> sizes(12, 16);
    sizes.push_back(dgram.size() - 12 * 16);
    const auto frags = fragments(dgram, sizes, 9);
    int sip = 0;
    for (const Bytes& f : frags) sip += input(f) == RxVerdict::sip;
    EXPECT_EQ(sip, 0);
    EXPECT_GT(get(Counter::frag_drop_bad), 0u);
    EXPECT_EQ(get(Counter::frag_reassembled), 0u);
}

TEST_F(Reasm, DuplicateFirstFragmentDropsTheDatagram) {
    const auto frags = fragments(udp(kPeerIp, kOurIp, 5070, 5060, sip_3000()), {1480, 1480, 48}, 10);
    EXPECT_EQ(input(frags[0]), RxVerdict::consumed);
    EXPECT_EQ(input(frags[0]), RxVerdict::consumed);
    EXPECT_EQ(get(Counter::frag_drop_bad), 2u) << "the held first fragment and its duplicate";
}

TEST_F(Reasm, MalformedFragmentsAreDropped) {
    Ip h;
    h.frag = 0x2000;  // MF with 13 data bytes: RFC 791 wants 8n
    EXPECT_EQ(input(cat(eth(mac(1), mac(2), 0x0800), ipv4(h, pattern(13)))), RxVerdict::consumed);
    h.frag = 8189;  // ends past 65,535 bytes
    EXPECT_EQ(input(cat(eth(mac(1), mac(2), 0x0800), ipv4(h, pattern(100)))), RxVerdict::consumed);
    h.frag = 0x2000 | 4;  // no data at all
    EXPECT_EQ(input(cat(eth(mac(1), mac(2), 0x0800), ipv4(h, Bytes{}))), RxVerdict::consumed);
    EXPECT_EQ(get(Counter::frag_in), 3u);
    EXPECT_EQ(get(Counter::frag_drop_bad), 3u);
    EXPECT_EQ(in_use(), baseline_);
}

TEST_F(Reasm, FragmentsNotForUsAreNotHeld) {
    Ip h;
    h.frag = 0x2000;
    h.dst = ip4(192, 0, 2, 99);
    EXPECT_EQ(input(cat(eth(mac(1), mac(2), 0x0800), ipv4(h, pattern(16)))), RxVerdict::drop);
    EXPECT_EQ(get(Counter::ipv4_not_ours), 1u);
    EXPECT_EQ(get(Counter::frag_in), 0u);
}

TEST_F(Reasm, BadChecksumAfterReassemblyIsDroppedAndFreed) {
    Bytes dgram = udp(kPeerIp, kOurIp, 5070, 5060, sip_3000());
    dgram[2000] ^= 0x01;  // corrupt one byte of the second fragment
    const auto frags = fragments(dgram, {1480, 1480, 48}, 11);
    input(frags[0]);
    input(frags[1]);
    EXPECT_EQ(input(frags[2]), RxVerdict::drop);
    EXPECT_EQ(get(Counter::udp_bad_checksum), 1u);
    EXPECT_EQ(in_use(), baseline_);
}

TEST_F(Reasm, FragmentedEchoRequestIsAnsweredInFragments) {
    const Bytes data = pattern(2992);
    const Bytes echo = icmp_echo(8, 0x77, 3, data);  // 3,000 bytes
    const auto frags = fragments(echo, {1480, 1480, 40}, 12, 1);
    EXPECT_EQ(input(frags[1]), RxVerdict::consumed);
    EXPECT_EQ(input(frags[2]), RxVerdict::consumed);
    EXPECT_EQ(input(frags[0]), RxVerdict::consumed);
    EXPECT_EQ(get(Counter::icmp_echo_reply_out), 1u);
    const auto tx = drain(*port_);
    ASSERT_EQ(tx.size(), 3u);
    Bytes joined;
    for (std::size_t i = 0; i < tx.size(); ++i) {
        EXPECT_EQ(sum16(tx[i].data() + 14, 20), 0xffffu);
        EXPECT_EQ((get16(&tx[i][20]) & 0x2000) != 0, i + 1 < tx.size());
        append(joined, tx[i].data() + 34, tx[i].size() - 34);
    }
    EXPECT_EQ(joined, icmp_echo(0, 0x77, 3, data));
}

}  // namespace
}  // namespace palisade::dp::test
