// Tests of parsers/sip/edit_list: edits applied once, Content-Length recomputed.
#include "parsers/sip/edit_list.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace palisade::sip {
namespace {

using namespace std::string_view_literals;

const std::string kReq =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n"
    "From: <sip:alice@example.com>;tag=1\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: c1\r\n"
    "CSeq: 1 INVITE\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 11\r\n"
    "\r\n"
    "hello world";

std::string apply(const EditList& edits, const Message& m, std::size_t cap = 4096) {
    std::string out(cap, '\0');
    const std::size_t n = edits.apply(m, std::span<char>(out.data(), out.size()));
    out.resize(n);
    return out;
}

TEST(EditListTest, NoEditsCopiesTheMessage) {
    Message m;
    ASSERT_EQ(m.parse(kReq), ParseStatus::ok);
    EditList e;
    EXPECT_EQ(apply(e, m), kReq);
}

TEST(EditListTest, HeaderInsertReplaceEraseAppend) {
    Message m;
    ASSERT_EQ(m.parse(kReq), ParseStatus::ok);
    EditList e;
    const HeaderField* via = m.find(HeaderId::via);
    ASSERT_TRUE(e.insert_field_before(*via, "Via: SIP/2.0/UDP sbc.example.net;branch=z9hG4bKs\r\n"));
    ASSERT_TRUE(e.replace(m.request_uri(), "sip:bob@10.0.0.2:5060"));
    ASSERT_TRUE(e.remove_field(*m.find(HeaderId::content_type)));
    ASSERT_TRUE(e.append_field("Record-Route: <sip:sbc.example.net;lr>\r\n"));
    ASSERT_TRUE(e.append_field("X-Second: 2\r\n"));
    EXPECT_EQ(e.size(), 5u);
    EXPECT_EQ(apply(e, m),
              "INVITE sip:bob@10.0.0.2:5060 SIP/2.0\r\n"
              "Via: SIP/2.0/UDP sbc.example.net;branch=z9hG4bKs\r\n"
              "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n"
              "From: <sip:alice@example.com>;tag=1\r\n"
              "To: <sip:bob@example.com>\r\n"
              "Call-ID: c1\r\n"
              "CSeq: 1 INVITE\r\n"
              "Content-Length: 11\r\n"
              "Record-Route: <sip:sbc.example.net;lr>\r\n"
              "X-Second: 2\r\n"
              "\r\n"
              "hello world");
}

TEST(EditListTest, RecordingOrderDoesNotMatter) {
    Message m;
    ASSERT_EQ(m.parse(kReq), ParseStatus::ok);
    EditList a, b;
    const std::string_view tail = m.body().substr(6);   // "world"
    a.replace(m.request_uri(), "sip:x");
    a.replace(tail, "there");
    b.replace(tail, "there");
    b.replace(m.request_uri(), "sip:x");
    EXPECT_EQ(apply(a, m), apply(b, m));
    EXPECT_NE(apply(a, m).find("hello there"), std::string::npos);
}

TEST(EditListTest, BodyEditsRecomputeContentLength) {
    Message m;
    ASSERT_EQ(m.parse(kReq), ParseStatus::ok);
    EditList e;
    const std::string_view body = m.body();
    e.replace(body.substr(0, 5), "goodbye cruel");   // +8
    e.insert(body.data() + body.size(), "!!");       // append to the body, +2
    e.erase(body.substr(5, 1));                      // -1
    const std::string out = apply(e, m);
    EXPECT_NE(out.find("Content-Length: 20\r\n\r\ngoodbye cruelworld!!"), std::string::npos)
        << out;
    Message again;
    ASSERT_EQ(again.parse(out), ParseStatus::ok);
    EXPECT_EQ(again.body(), "goodbye cruelworld!!");
    EXPECT_EQ(again.size(), out.size());
}

TEST(EditListTest, InsertAtStartOfBodyIsBody) {
    Message m;
    ASSERT_EQ(m.parse(kReq), ParseStatus::ok);
    EditList e;
    e.insert(m.body().data(), ">> ");
    const std::string out = apply(e, m);
    EXPECT_NE(out.find("Content-Length: 14\r\n\r\n>> hello world"), std::string::npos) << out;
}

TEST(EditListTest, InsertsAtOnePositionKeepTheirOrder) {
    Message m;
    ASSERT_EQ(m.parse(kReq), ParseStatus::ok);
    EditList e;
    const HeaderField* to = m.find(HeaderId::to);
    e.insert_field_before(*to, "X-A: 1\r\n");
    e.insert_field_before(*to, "X-B: 2\r\n");
    e.replace(to->line, "To: <sip:carol@example.com>\r\n");   // replaced after the inserts
    const std::string out = apply(e, m);
    EXPECT_NE(out.find("X-A: 1\r\nX-B: 2\r\nTo: <sip:carol@example.com>\r\nCall-ID"),
              std::string::npos)
        << out;
}

TEST(EditListTest, CompactContentLengthStaysCompact) {
    const std::string r = "MESSAGE sip:x SIP/2.0\r\nl:3\r\nc: text/plain\r\n\r\nabc";
    Message m;
    ASSERT_EQ(m.parse(r), ParseStatus::ok);
    EditList e;
    e.replace(m.body(), "abcdefghijkl");
    EXPECT_EQ(apply(e, m), "MESSAGE sip:x SIP/2.0\r\nl:12\r\nc: text/plain\r\n\r\nabcdefghijkl");
}

TEST(EditListTest, EveryEqualContentLengthIsRewritten) {
    const std::string r = "MESSAGE sip:x SIP/2.0\r\nContent-Length: 3\r\nl: 003\r\n\r\nabc";
    Message m;
    ASSERT_EQ(m.parse(r), ParseStatus::ok);
    EditList e;
    e.erase(m.body().substr(1, 1));
    EXPECT_EQ(apply(e, m), "MESSAGE sip:x SIP/2.0\r\nContent-Length: 2\r\nl: 2\r\n\r\nac");
}

TEST(EditListTest, AddsContentLengthWhenAbsent) {
    const std::string r = "INVITE sip:x SIP/2.0\r\nVia: a\r\n\r\nv=0\r\n";   // RFC 4475 inv2543
    Message m;
    ASSERT_EQ(m.parse(r), ParseStatus::ok);
    EditList e;
    e.append_field("X-Added: 1\r\n");
    EXPECT_EQ(apply(e, m),
              "INVITE sip:x SIP/2.0\r\nVia: a\r\nX-Added: 1\r\nContent-Length: 5\r\n\r\nv=0\r\n");
}

TEST(EditListTest, DropsOctetsBeyondTheBody) {
    const std::string r = "REGISTER sip:x SIP/2.0\r\nl: 0\r\n\r\nINVITE sip:y SIP/2.0\r\n";
    Message m;
    ASSERT_EQ(m.parse(r), ParseStatus::ok);
    EditList e;
    EXPECT_EQ(apply(e, m), "REGISTER sip:x SIP/2.0\r\nl: 0\r\n\r\n");
    // The trailing octets are outside the message: an edit there is refused.
    e.erase(std::string_view(r).substr(r.size() - 4, 2));
    EXPECT_EQ(apply(e, m), "");
}

TEST(EditListTest, OverlappingEditsAreRefused) {
    Message m;
    ASSERT_EQ(m.parse(kReq), ParseStatus::ok);
    const HeaderField* from = m.find(HeaderId::from);
    {
        EditList e;
        e.remove_field(*from);
        e.replace(from->value, "<sip:x>");
        EXPECT_EQ(apply(e, m), "");
    }
    {
        EditList e;
        e.remove_field(*from);
        e.remove_field(*from);
        EXPECT_EQ(apply(e, m), "");
    }
    {
        EditList e;   // insert strictly inside a replaced span
        e.replace(from->line, "From: <sip:x>\r\n");
        e.insert(from->value.data(), "y");
        EXPECT_EQ(apply(e, m), "");
    }
    {
        EditList e;   // Content-Length is owned by apply()
        e.remove_field(*m.find(HeaderId::content_length));
        EXPECT_EQ(apply(e, m), "");
    }
    {
        EditList e;   // adjacent spans are not an overlap
        e.remove_field(*from);
        e.remove_field(*m.find(HeaderId::to));
        const std::string out = apply(e, m);
        EXPECT_NE(out.find("branch=z9hG4bK1\r\nCall-ID: c1\r\n"), std::string::npos) << out;
    }
}

TEST(EditListTest, EditsAcrossTheEmptyLineAreRefused) {
    Message m;
    ASSERT_EQ(m.parse(kReq), ParseStatus::ok);
    const std::string_view data = m.data();
    EditList e;
    e.erase(data.substr(m.headers_end() - 4, 6));
    EXPECT_EQ(apply(e, m), "");
    EditList f;
    f.insert(data.data() + m.headers_end() - 1, "x");
    EXPECT_EQ(apply(f, m), "");
}

TEST(EditListTest, ForeignSpansAreRefused) {
    Message m;
    ASSERT_EQ(m.parse(kReq), ParseStatus::ok);
    const std::string other = kReq;
    EditList e;
    e.erase(std::string_view(other).substr(0, 6));
    EXPECT_EQ(apply(e, m), "");
}

TEST(EditListTest, OutputOverflowReturnsZero) {
    Message m;
    ASSERT_EQ(m.parse(kReq), ParseStatus::ok);
    EditList e;
    e.append_field("X-Big: 0123456789\r\n");
    const std::size_t full = kReq.size() + 19;
    EXPECT_EQ(apply(e, m, full).size(), full);
    EXPECT_EQ(apply(e, m, full - 1), "");
    EXPECT_EQ(apply(e, m, 0), "");
}

TEST(EditListTest, CapacityOverflowIsReported) {
    Message m;
    ASSERT_EQ(m.parse(kReq), ParseStatus::ok);
    EditList e;
    for (std::size_t i = 0; i < EditList::kMaxEdits; ++i) ASSERT_TRUE(e.append_field("X: 1\r\n"));
    EXPECT_FALSE(e.overflowed());
    EXPECT_EQ(apply(e, m, 8192).size(), kReq.size() + 6 * EditList::kMaxEdits);
    EXPECT_FALSE(e.append_field("X: 1\r\n"));
    EXPECT_TRUE(e.overflowed());
    EXPECT_EQ(apply(e, m, 8192), "");
    e.clear();
    EXPECT_TRUE(e.empty());
    EXPECT_EQ(apply(e, m), kReq);
}

TEST(EditListTest, UnparsedMessageIsRefused) {
    Message m;
    EXPECT_EQ(m.parse("INVITE sip:x SIP/2.0\r\nVia: a\r\n"sv), ParseStatus::incomplete);
    EditList e;
    EXPECT_EQ(apply(e, m), "");
}

}  // namespace
}  // namespace palisade::sip
