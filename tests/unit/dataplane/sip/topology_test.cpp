#include "dataplane/sip/topology.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "parsers/sip/validate.hpp"

namespace palisade::dp {
namespace {

constexpr std::uint32_t ip(int a, int b, int c, int d) {
    return static_cast<std::uint32_t>(a) << 24 | static_cast<std::uint32_t>(b) << 16 |
           static_cast<std::uint32_t>(c) << 8 | static_cast<std::uint32_t>(d);
}

const std::string kInvite =
    "INVITE sip:+31201234567@10.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.168.1.10:5062;branch=z9hG4bK-pbx-1;rport\r\n"
    "Via: SIP/2.0/UDP 192.168.1.20;branch=z9hG4bK-phone-1\r\n"
    "Record-Route: <sip:192.168.1.10;lr>\r\n"
    "Route: <sip:10.0.0.1;lr>\r\n"
    "Max-Forwards: 70\r\n"
    "From: \"Alice\" <sip:+31101111111@192.168.1.10>;tag=a1\r\n"
    "To: <sip:+31201234567@10.0.0.1>\r\n"
    "P-Asserted-Identity: <sip:+31101111111@192.168.1.10>\r\n"
    "Call-ID: abc123@192.168.1.10\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:alice@192.168.1.10:5062;transport=udp>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 14\r\n"
    "\r\n"
    "v=0\r\no=x 1 1\r\n";

struct Parsed {
    sip::Message msg;
    sip::Validated v;
    explicit Parsed(const std::string& s) {
        EXPECT_EQ(msg.parse(s), sip::ParseStatus::ok);
        if (msg.is_request())
            EXPECT_EQ(sip::validate_request(msg, {}, v), sip::Reason::none);
        else
            EXPECT_EQ(sip::validate_response(msg, v), sip::Reason::none);
    }
};

std::string apply(const sip::Message& msg, const sip::EditList& e) {
    std::array<char, 8192> out{};
    const std::size_t n = e.apply(msg, out);
    EXPECT_NE(n, 0u);
    return std::string(out.data(), n);
}

TEST(Topology, ForwardedRequestCarriesOnlyOurAddresses) {
    Parsed p(kInvite);
    std::array<char, 2048> buf{};
    TextArena arena(buf);
    sip::EditList e;
    HideRequest h;
    h.us = {ip(172, 16, 0, 1), 5060};
    h.branch = "z9hG4bK-pl-w0-0001-abc";
    h.request_uri = "sip:+31201234567@172.16.0.9:5060";
    ASSERT_EQ(hide_request(p.msg, p.v, h, arena, e), HideResult::ok);
    const std::string out = apply(p.msg, e);
    Parsed f(out);
    EXPECT_EQ(f.msg.request_uri(), "sip:+31201234567@172.16.0.9:5060");
    EXPECT_EQ(f.msg.count(sip::HeaderId::via), 1u);
    EXPECT_EQ(f.v.top_via.branch, "z9hG4bK-pl-w0-0001-abc");
    EXPECT_EQ(f.v.top_via.host, "172.16.0.1");
    EXPECT_EQ(f.msg.count(sip::HeaderId::route), 0u);
    EXPECT_EQ(f.msg.count(sip::HeaderId::record_route), 0u);
    EXPECT_EQ(f.msg.find(sip::HeaderId::max_forwards)->value, "69");
    EXPECT_EQ(f.msg.find(sip::HeaderId::contact)->value, "<sip:alice@172.16.0.1:5060>");
    EXPECT_EQ(f.msg.find(sip::HeaderId::from)->value, "\"Alice\" <sip:+31101111111@172.16.0.1>;tag=a1");
    EXPECT_EQ(f.msg.find(sip::HeaderId::to)->value, "<sip:+31201234567@172.16.0.1>");
    EXPECT_EQ(f.msg.find(sip::HeaderId::p_asserted_identity)->value, "<sip:+31101111111@172.16.0.1>");
    // Call-ID, CSeq and body pass through.
    EXPECT_EQ(f.v.call_id, "abc123@192.168.1.10");
    EXPECT_EQ(f.msg.body(), "v=0\r\no=x 1 1\r\n");
    // Nothing but Call-ID names the PBX.
    std::string headers(out.substr(0, f.msg.headers_end()));
    const auto cid = headers.find("Call-ID:");
    headers.erase(cid, headers.find("\r\n", cid) - cid);
    EXPECT_EQ(headers.find("192.168."), std::string::npos) << headers;
}

TEST(Topology, RouteSetAndMaxForwardsZero) {
    std::string inv = kInvite;
    inv.replace(inv.find("Max-Forwards: 70"), 16, "Max-Forwards: 0");
    Parsed p(inv);
    std::array<char, 2048> buf{};
    TextArena arena(buf);
    sip::EditList e;
    HideRequest h;
    h.us = {ip(172, 16, 0, 1), 5060};
    h.branch = "z9hG4bK-x";
    EXPECT_EQ(hide_request(p.msg, p.v, h, arena, e), HideResult::too_many_hops);

    Parsed q(kInvite);
    sip::EditList e2;
    arena.reset();
    h.routes = "<sip:10.9.9.9;lr>, <sip:10.9.9.8;lr>";
    ASSERT_EQ(hide_request(q.msg, q.v, h, arena, e2), HideResult::ok);
    const std::string out = apply(q.msg, e2);
    Parsed f(out);
    ASSERT_EQ(f.msg.count(sip::HeaderId::route), 1u);
    EXPECT_EQ(f.msg.find(sip::HeaderId::route)->value, "<sip:10.9.9.9;lr>, <sip:10.9.9.8;lr>");
    EXPECT_EQ(f.msg.request_uri(), "sip:+31201234567@10.0.0.1");  // kept
}

TEST(Topology, ReceivedViaStampedAndRouteSets) {
    Parsed p(kInvite);
    std::array<char, 2048> buf{};
    TextArena arena(buf);
    const std::string_view vias = received_via_lines(p.msg, p.v, {ip(203, 0, 113, 5), 40000}, arena);
    EXPECT_EQ(vias,
              "Via: SIP/2.0/UDP 192.168.1.10:5062;branch=z9hG4bK-pbx-1;rport=40000;received=203.0.113.5\r\n"
              "Via: SIP/2.0/UDP 192.168.1.20;branch=z9hG4bK-phone-1\r\n");
    EXPECT_EQ(contact_uri(p.msg), "sip:alice@192.168.1.10:5062;transport=udp");
    std::string two = kInvite;
    two.insert(two.find("Route: <sip:10.0.0.1"), "Record-Route: <sip:b;lr>, <sip:c;lr>\r\n");
    Parsed r(two);
    EXPECT_EQ(route_set(r.msg, false, arena), "<sip:192.168.1.10;lr>, <sip:b;lr>, <sip:c;lr>");
    EXPECT_EQ(route_set(r.msg, true, arena), "<sip:c;lr>, <sip:b;lr>, <sip:192.168.1.10;lr>");
    // No rport, sent-by equal to the source: nothing added.
    const std::string plain =
        "BYE sip:a@1.2.3.4 SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK-1\r\n"
        "From: <sip:a@1.2.3.4>;tag=1\r\nTo: <sip:b@5.6.7.8>;tag=2\r\nCall-ID: c\r\nCSeq: 2 BYE\r\n"
        "Content-Length: 0\r\n\r\n";
    Parsed b(plain);
    EXPECT_EQ(received_via_lines(b.msg, b.v, {ip(1, 2, 3, 4), 5060}, arena),
              "Via: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK-1\r\n");
}

TEST(Topology, ResponseGetsTheCallersViewBack) {
    const std::string resp =
        "SIP/2.0 200 OK\r\n"
        "Via: SIP/2.0/UDP 172.16.0.1:5060;branch=z9hG4bK-pl-w0-0001-abc;rport=5060\r\n"
        "Record-Route: <sip:172.16.0.9;lr>\r\n"
        "From: \"Alice\" <sip:+31101111111@172.16.0.1>;tag=a1\r\n"
        "To: <sip:+31201234567@172.16.0.1>;tag=core-7\r\n"
        "P-Asserted-Identity: <sip:+31201234567@172.16.0.9>\r\n"
        "Call-ID: abc123@192.168.1.10\r\n"
        "CSeq: 1 INVITE\r\n"
        "Contact: <sip:+31201234567@172.16.0.9:5070>\r\n"
        "Content-Length: 0\r\n\r\n";
    Parsed p(resp);
    Parsed req(kInvite);
    std::array<char, 2048> buf{};
    TextArena arena(buf);
    HideResponse h;
    h.via_lines = received_via_lines(req.msg, req.v, {ip(203, 0, 113, 5), 40000}, arena);
    h.from_line = req.msg.find(sip::HeaderId::from)->line;
    h.to_line = req.msg.find(sip::HeaderId::to)->line;
    h.us = {ip(10, 0, 0, 1), 5060};
    sip::EditList e;
    ASSERT_TRUE(hide_response(p.msg, p.v, h, arena, e));
    const std::string out = apply(p.msg, e);
    Parsed f(out);
    EXPECT_EQ(f.msg.count(sip::HeaderId::via), 2u);
    EXPECT_EQ(f.v.top_via.branch, "z9hG4bK-pbx-1");
    EXPECT_EQ(f.v.top_via.rport, 40000);
    EXPECT_EQ(f.msg.find(sip::HeaderId::from)->value, "\"Alice\" <sip:+31101111111@192.168.1.10>;tag=a1");
    EXPECT_EQ(f.msg.find(sip::HeaderId::to)->value, "<sip:+31201234567@10.0.0.1>;tag=core-7");
    EXPECT_EQ(f.msg.find(sip::HeaderId::contact)->value, "<sip:+31201234567@10.0.0.1:5060>");
    EXPECT_EQ(f.msg.count(sip::HeaderId::record_route), 0u);
    EXPECT_EQ(out.find("172.16."), std::string::npos) << out;
}

}  // namespace
}  // namespace palisade::dp
