// Proxy checks as edits: Max-Forwards (483), loop detection (482), Via received/rport.
#include "dataplane/sip/transaction.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "dataplane/contract/rings.hpp"
#include "dataplane/sip/transaction_table.hpp"

namespace palisade::dp {
namespace {

struct Parsed {
    std::string text;
    std::unique_ptr<sip::Message> msg = std::make_unique<sip::Message>();
    sip::Validated v;
    explicit Parsed(std::string t) : text(std::move(t)) {
        EXPECT_EQ(msg->parse(text), sip::ParseStatus::ok);
        EXPECT_EQ(sip::validate_request(*msg, {}, v), sip::Reason::none) << text;
    }
    std::string apply(const sip::EditList& e) const {
        std::string out(text.size() + 256, '\0');
        const std::size_t n = e.apply(*msg, {out.data(), out.size()});
        EXPECT_NE(n, 0u);
        out.resize(n);
        return out;
    }
};

std::string invite(std::string_view via, std::string_view extra = {}) {
    std::string s = "INVITE sip:+4930123@core.example SIP/2.0\r\nVia: SIP/2.0/UDP ";
    s += via;
    s += "\r\n";
    s += extra;
    s += "From: <sip:+4930999@pbx.example>;tag=f1\r\nTo: <sip:+4930123@core.example>\r\n"
         "Call-ID: c1@pbx\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n";
    return s;
}

constexpr Endpoint kSource{0xcb007107u, 40123};  // 203.0.113.7:40123

TEST(MaxForwards, IsDecremented) {
    Parsed p(invite("10.0.0.1;branch=z9hG4bK1", "Max-Forwards: 70\r\n"));
    sip::EditList e;
    char scratch[8];
    EXPECT_EQ(max_forwards_edit(*p.msg, p.v, scratch, e), MaxForwardsResult::decremented);
    EXPECT_NE(p.apply(e).find("Max-Forwards: 69\r\n"), std::string::npos);
}

TEST(MaxForwards, ZeroMeans483) {
    Parsed p(invite("10.0.0.1;branch=z9hG4bK1", "Max-Forwards: 0\r\n"));
    sip::EditList e;
    char scratch[8];
    EXPECT_EQ(max_forwards_edit(*p.msg, p.v, scratch, e), MaxForwardsResult::too_many_hops);
    EXPECT_TRUE(e.empty());
}

TEST(MaxForwards, OneBecomesZeroAndAbsentIsInsertedAs70) {
    Parsed one(invite("10.0.0.1;branch=z9hG4bK1", "Max-Forwards: 1\r\n"));
    sip::EditList e;
    char scratch[8];
    EXPECT_EQ(max_forwards_edit(*one.msg, one.v, scratch, e), MaxForwardsResult::decremented);
    EXPECT_NE(one.apply(e).find("Max-Forwards: 0\r\n"), std::string::npos);
    Parsed none(invite("10.0.0.1;branch=z9hG4bK1"));
    sip::EditList e2;
    EXPECT_EQ(max_forwards_edit(*none.msg, none.v, scratch, e2), MaxForwardsResult::inserted);
    EXPECT_NE(none.apply(e2).find("Max-Forwards: 70\r\n"), std::string::npos);
}

TEST(ViaReceived, AddsReceivedWhenSentByDiffers) {
    Parsed p(invite("10.0.0.1:5060;branch=z9hG4bK1"));
    sip::EditList e;
    char scratch[64];
    ASSERT_TRUE(via_received_edit(p.v.top_via, kSource, scratch, e));
    EXPECT_NE(
        p.apply(e).find("Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;received=203.0.113.7\r\n"),
        std::string::npos);
}

TEST(ViaReceived, NothingWhenSentByIsTheSourceAndNoRport) {
    Parsed p(invite("203.0.113.7:5060;branch=z9hG4bK1"));
    sip::EditList e;
    char scratch[64];
    ASSERT_TRUE(via_received_edit(p.v.top_via, kSource, scratch, e));
    EXPECT_TRUE(e.empty());
}

TEST(ViaReceived, FillsRportAndThenAlwaysAddsReceived) {
    // RFC 3581 §4: with rport, received is added even when it equals sent-by.
    Parsed p(invite("203.0.113.7:5060;rport;branch=z9hG4bK1"));
    sip::EditList e;
    char scratch[64];
    ASSERT_TRUE(via_received_edit(p.v.top_via, kSource, scratch, e));
    EXPECT_NE(
        p.apply(e).find("Via: SIP/2.0/UDP "
                        "203.0.113.7:5060;rport=40123;branch=z9hG4bK1;received=203.0.113.7\r\n"),
        std::string::npos);
}

TEST(ViaReceived, HostNameSentByGetsReceived) {
    Parsed p(invite("pbx.example.com;branch=z9hG4bK1;rport"));
    sip::EditList e;
    char scratch[64];
    ASSERT_TRUE(via_received_edit(p.v.top_via, kSource, scratch, e));
    EXPECT_NE(
        p.apply(e).find("pbx.example.com;branch=z9hG4bK1;rport=40123;received=203.0.113.7\r\n"),
        std::string::npos);
}

TEST(ViaReceived, ForgedReceivedIsReplaced) {
    Parsed p(invite("10.0.0.1;received=1.2.3.4;branch=z9hG4bK1"));
    sip::EditList e;
    char scratch[64];
    ASSERT_TRUE(via_received_edit(p.v.top_via, kSource, scratch, e));
    EXPECT_NE(p.apply(e).find("10.0.0.1;received=203.0.113.7;branch=z9hG4bK1\r\n"),
              std::string::npos);
}

TEST(ViaReceived, ShortScratchFails) {
    Parsed p(invite("10.0.0.1;branch=z9hG4bK1"));
    sip::EditList e;
    char scratch[16];
    EXPECT_FALSE(via_received_edit(p.v.top_via, kSource, scratch, e));
}

TEST(ResponseAddress, UsesSourcePortOnlyWithRport) {
    Parsed with(invite("10.0.0.1:5070;rport;branch=z9hG4bK1"));
    EXPECT_EQ(response_address(with.v.top_via, kSource), (Endpoint{kSource.ip, 40123}));
    Parsed port(invite("10.0.0.1:5070;branch=z9hG4bK1"));
    EXPECT_EQ(response_address(port.v.top_via, kSource), (Endpoint{kSource.ip, 5070}));
    Parsed none(invite("10.0.0.1;branch=z9hG4bK1"));
    EXPECT_EQ(response_address(none.v.top_via, kSource), (Endpoint{kSource.ip, 5060}));
}

TEST(Loop, OurOwnViaWithTheSameHashIsALoop) {
    Parsed first(invite("10.0.0.1;branch=z9hG4bK1"));
    const std::uint32_t h = loop_hash(*first.msg, first.v, 0);
    EXPECT_FALSE(detect_loop(*first.msg, h));
    TransactionTable table(TransactionTableConfig{.capacity = 4, .slot_size = 512});
    char buf[kBranchMax];
    const std::string branch(table.make_branch(buf, h));
    // The same request comes back with our Via under someone else's.
    Parsed back(invite("198.51.100.9;branch=z9hG4bKcore",
                       "Via: SIP/2.0/UDP 192.0.2.1;branch=" + branch +
                           "\r\n"
                           "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n"));
    EXPECT_EQ(loop_hash(*back.msg, back.v, 0), h);  // Vias are not part of the hash
    EXPECT_TRUE(detect_loop(*back.msg, loop_hash(*back.msg, back.v, 0)));
    // Arriving on the other side (context) it is a spiral, not a loop.
    EXPECT_FALSE(detect_loop(*back.msg, loop_hash(*back.msg, back.v, 1)));
}

TEST(Loop, ChangedRequestUriIsASpiral) {
    Parsed first(invite("10.0.0.1;branch=z9hG4bK1"));
    const std::uint32_t h = loop_hash(*first.msg, first.v, 0);
    TransactionTable table(TransactionTableConfig{.capacity = 4, .slot_size = 512});
    char buf[kBranchMax];
    const std::string branch(table.make_branch(buf, h));
    std::string text = invite("198.51.100.9;branch=z9hG4bKcore",
                              "Via: SIP/2.0/UDP 192.0.2.1;branch=" + branch + "\r\n");
    text.replace(text.find("+4930123@core"), 8, "+4930777");
    Parsed back(text);
    EXPECT_FALSE(detect_loop(*back.msg, loop_hash(*back.msg, back.v, 0)));
}

TEST(Loop, ForeignBranchesAreNotOurs) {
    std::uint32_t h = 0;
    EXPECT_FALSE(branch_loop_hash("z9hG4bKabc-def", h));
    EXPECT_FALSE(branch_loop_hash("z9hG4bK-pl-w1-xyz", h));
    EXPECT_TRUE(branch_loop_hash("z9hG4bK-pl-c-ab00000001", h));
    EXPECT_EQ(h, 0xabu);
}

TEST(Names, TimersAndStates) {
    EXPECT_EQ(timer_name(TimerId::a), "A");
    EXPECT_EQ(timer_name(TimerId::m), "M");
    EXPECT_EQ(state_name(TxState::accepted), "accepted");
    char ip[16];
    EXPECT_EQ(std::string_view(ip, format_ipv4(0xc0000201u, ip)), "192.0.2.1");
}

}  // namespace
}  // namespace palisade::dp
