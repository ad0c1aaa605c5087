// Tests of parsers/sip/builder: messages written byte-exactly into a caller's buffer.
#include "parsers/sip/builder.hpp"

#include <gtest/gtest.h>

#include <string>

namespace palisade::sip {
namespace {

std::string response(const Message& req, int code, std::string_view reason,
                     std::string_view tag, std::string_view extra = {},
                     std::string_view body = {}, std::size_t cap = 4096) {
    std::string out(cap, '\0');
    const std::size_t n = build_response(req, code, reason, tag, extra, body,
                                         std::span<char>(out.data(), out.size()));
    out.resize(n);
    return out;
}

const std::string kOptions =
    "OPTIONS sip:carrier.example.net SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pbx.example.com:5060;branch=z9hG4bKop1;rport\r\n"
    "v: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKop0\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:carrier.example.net>\r\n"
    "From: <sip:pbx.example.com>;tag=abc\r\n"
    "Call-ID: opt-1@pbx.example.com\r\n"
    "CSeq: 42 OPTIONS\r\n"
    "Accept: application/sdp\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

TEST(BuilderTest, CseqWritesNumberAndMethod) {
    char buf[128];
    Builder b(buf);
    b.request_line(Method::bye, "sip:a@192.0.2.1").cseq(4294967295u, Method::bye).cseq(0, Method::ack);
    const std::size_t n = b.finish();
    ASSERT_NE(n, 0u);
    EXPECT_EQ(std::string(buf, n),
              "BYE sip:a@192.0.2.1 SIP/2.0\r\nCSeq: 4294967295 BYE\r\nCSeq: 0 ACK\r\n"
              "Content-Length: 0\r\n\r\n");
    char tiny[40];
    Builder t(tiny);
    t.request_line(Method::cancel, "sip:a@192.0.2.1").cseq(12345, Method::cancel);
    EXPECT_EQ(t.finish(), 0u);  // does not fit: refused, never truncated
}

TEST(BuilderTest, OkToOptionsIsByteExact) {
    Message req;
    ASSERT_EQ(req.parse(kOptions), ParseStatus::ok);
    EXPECT_EQ(response(req, 200, "OK", "sbc1", "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n"),
              "SIP/2.0 200 OK\r\n"
              "Via: SIP/2.0/UDP pbx.example.com:5060;branch=z9hG4bKop1;rport\r\n"
              "v: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKop0\r\n"
              "From: <sip:pbx.example.com>;tag=abc\r\n"
              "To: <sip:carrier.example.net>;tag=sbc1\r\n"
              "Call-ID: opt-1@pbx.example.com\r\n"
              "CSeq: 42 OPTIONS\r\n"
              "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n"
              "Content-Length: 0\r\n"
              "\r\n");
}

TEST(BuilderTest, MethodNotAllowedKeepsAnExistingTag) {
    const std::string req_text =
        "PUBLISH sip:alice@example.com SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKpub\r\n"
        "From: \"Bob\" <sip:bob@example.com>;tag=f1\r\n"
        "To: \"Alice\" <sip:alice@example.com>;tag=existing \r\n"
        "Call-ID: pub-7\r\n"
        "CSeq: 9 PUBLISH\r\n"
        "Content-Length: 0\r\n"
        "\r\n";
    Message req;
    ASSERT_EQ(req.parse(req_text), ParseStatus::ok);
    EXPECT_EQ(response(req, 405, "Method Not Allowed", "new",
                       "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n"),
              "SIP/2.0 405 Method Not Allowed\r\n"
              "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKpub\r\n"
              "From: \"Bob\" <sip:bob@example.com>;tag=f1\r\n"
              "To: \"Alice\" <sip:alice@example.com>;tag=existing \r\n"
              "Call-ID: pub-7\r\n"
              "CSeq: 9 PUBLISH\r\n"
              "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n"
              "Content-Length: 0\r\n"
              "\r\n");
}

TEST(BuilderTest, TryingGetsNoTagAndBodyIsWritten) {
    Message req;
    ASSERT_EQ(req.parse(kOptions), ParseStatus::ok);
    const std::string trying = response(req, 100, "Trying", "sbc1");
    EXPECT_NE(trying.find("To: <sip:carrier.example.net>\r\n"), std::string::npos) << trying;
    const std::string with_body = response(req, 200, "OK", "t", {}, "v=0\r\n");
    EXPECT_NE(with_body.find("Content-Length: 5\r\n\r\nv=0\r\n"), std::string::npos);
    Message parsed;
    ASSERT_EQ(parsed.parse(with_body), ParseStatus::ok);
    EXPECT_EQ(parsed.status_code(), 200);
    EXPECT_EQ(parsed.count(HeaderId::via), 2u);
    EXPECT_EQ(parsed.body(), "v=0\r\n");
}

TEST(BuilderTest, FoldedToGetsTheTagAfterItsValue) {
    const std::string req_text =
        "INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        "TO :\r\n <sip:vivekg@example.com>  \r\nFrom: <sip:a@b>;tag=1\r\nl: 0\r\n\r\n";
    Message req;
    ASSERT_EQ(req.parse(req_text), ParseStatus::ok);
    const std::string out = response(req, 180, "Ringing", "xy");
    EXPECT_NE(out.find("TO :\r\n <sip:vivekg@example.com>;tag=xy\r\n"), std::string::npos) << out;
}

TEST(BuilderTest, MissingFieldsAreSkipped) {
    // RFC 4475 insuf: no Call-ID, From or To; a 400 must still be possible.
    const std::string req_text =
        "INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: 1 INVITE\r\n"
        "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    Message req;
    ASSERT_EQ(req.parse(req_text), ParseStatus::ok);
    EXPECT_EQ(response(req, 400, "Bad Request", "t"),
              "SIP/2.0 400 Bad Request\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
              "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
}

TEST(BuilderTest, OverflowAndBadCodeReturnZero) {
    Message req;
    ASSERT_EQ(req.parse(kOptions), ParseStatus::ok);
    const std::size_t full = response(req, 200, "OK", "t").size();
    ASSERT_GT(full, 0u);
    EXPECT_EQ(response(req, 200, "OK", "t", {}, {}, full).size(), full);
    EXPECT_EQ(response(req, 200, "OK", "t", {}, {}, full - 1), "");
    EXPECT_EQ(response(req, 99, "Low", "t"), "");
    EXPECT_EQ(response(req, 700, "High", "t"), "");
}

TEST(BuilderTest, BuildsRequests) {
    char buf[512];
    Builder b(buf);
    b.request_line(Method::options, "sip:carrier.example.net")
        .header(HeaderId::via, "SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKka1")
        .header_uint(HeaderId::max_forwards, 70)
        .header(HeaderId::from, "<sip:sbc@203.0.113.1>;tag=k1")
        .header(HeaderId::to, "<sip:carrier.example.net>")
        .header(HeaderId::call_id, "ka-1")
        .header("CSeq", "1 OPTIONS")
        .raw("X-Probe: 1\r\n");
    const std::size_t n = b.finish();
    EXPECT_EQ(std::string_view(buf, n),
              "OPTIONS sip:carrier.example.net SIP/2.0\r\n"
              "Via: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKka1\r\n"
              "Max-Forwards: 70\r\n"
              "From: <sip:sbc@203.0.113.1>;tag=k1\r\n"
              "To: <sip:carrier.example.net>\r\n"
              "Call-ID: ka-1\r\n"
              "CSeq: 1 OPTIONS\r\n"
              "X-Probe: 1\r\n"
              "Content-Length: 0\r\n"
              "\r\n");
    Message m;
    ASSERT_EQ(m.parse(std::string_view(buf, n)), ParseStatus::ok);
    EXPECT_EQ(m.method(), Method::options);
}

TEST(BuilderTest, BuilderFailsOnceAndStaysFailed) {
    char buf[20];
    Builder b(buf);
    b.request_line("BYE", "sip:a@b");   // 23 octets: does not fit
    EXPECT_FALSE(b.ok());
    b.raw("x");
    EXPECT_EQ(b.finish(), 0u);
    char buf2[64];
    Builder c(buf2);
    c.status_line(200, "OK").header_uint(HeaderId::rseq, 4294967295u);
    EXPECT_EQ(std::string_view(buf2, c.size()), "SIP/2.0 200 OK\r\nRSeq: 4294967295\r\n");
}

}  // namespace
}  // namespace palisade::sip
