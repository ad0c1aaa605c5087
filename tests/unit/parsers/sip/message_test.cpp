// Tests of parsers/sip/message: framing of start lines, header fields and bodies.
#include "parsers/sip/message.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace palisade::sip {
namespace {

using namespace std::string_view_literals;

std::string read_corpus(const std::string& rel) {
    const char* root = std::getenv("PALISADE_TEST_DATA");
    const std::string dir = root ? root : "tests/data";
    std::ifstream f(dir + "/" + rel, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::vector<std::string_view> collect_values(const Message& m, HeaderId id) {
    std::vector<std::string_view> out;
    for (std::string_view v : m.values(id)) out.push_back(v);
    return out;
}

const std::string kInvite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\n";

TEST(MessageTest, FramesRequestLineHeadersAndBody) {
    Message m;
    ASSERT_EQ(m.parse(kInvite), ParseStatus::ok) << reason_name(m.reason());
    EXPECT_EQ(m.reason(), Reason::none);
    EXPECT_TRUE(m.is_request());
    EXPECT_EQ(m.method(), Method::invite);
    EXPECT_EQ(m.method_text(), "INVITE");
    EXPECT_EQ(m.request_uri(), "sip:bob@biloxi.example.com");
    EXPECT_EQ(m.version(), "SIP/2.0");
    EXPECT_EQ(m.start_line(), "INVITE sip:bob@biloxi.example.com SIP/2.0");
    EXPECT_EQ(m.status_code(), 0);
    ASSERT_EQ(m.header_count(), 9u);
    EXPECT_EQ(m.header(0).id, HeaderId::via);
    EXPECT_EQ(m.header(0).name, "Via");
    EXPECT_EQ(m.header(0).value, "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds");
    EXPECT_EQ(m.header(0).line,
              "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n");
    EXPECT_EQ(m.header(1).id, HeaderId::max_forwards);
    EXPECT_EQ(m.header(5).id, HeaderId::cseq);
    EXPECT_EQ(m.find(HeaderId::call_id)->value, "a84b4c76e66710@pc33.atlanta.example.com");
    EXPECT_EQ(m.body(), "v=0\n");
    EXPECT_TRUE(m.has_content_length());
    EXPECT_EQ(m.content_length(), 4u);
    EXPECT_EQ(m.size(), kInvite.size());
    EXPECT_EQ(m.headers_end(), kInvite.size() - 4);
    EXPECT_EQ(m.data().data(), kInvite.data());   // zero-copy
    EXPECT_EQ(m.find(HeaderId::from)->value.data(), kInvite.data() + kInvite.find("Alice"));
}

TEST(MessageTest, FramesStatusLine) {
    const std::string r =
        "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nContent-Length: 0\r\n\r\n";
    Message m;
    ASSERT_EQ(m.parse(r), ParseStatus::ok);
    EXPECT_FALSE(m.is_request());
    EXPECT_EQ(m.status_code(), 180);
    EXPECT_EQ(m.reason_phrase(), "Ringing");
    EXPECT_EQ(m.version(), "SIP/2.0");
    EXPECT_EQ(m.method(), Method::unknown);
    EXPECT_TRUE(m.body().empty());
}

TEST(MessageTest, StatusLineReasonPhraseForms) {
    Message m;
    // Empty phrase after the SP (RFC 4475 noreason).
    ASSERT_EQ(m.parse("SIP/2.0 100 \r\nContent-Length: 0\r\n\r\n"sv), ParseStatus::ok);
    EXPECT_EQ(m.status_code(), 100);
    EXPECT_EQ(m.reason_phrase(), "");
    // Missing SP: accepted liberally.
    ASSERT_EQ(m.parse("SIP/2.0 404\r\nContent-Length: 0\r\n\r\n"sv), ParseStatus::ok);
    EXPECT_EQ(m.status_code(), 404);
    // UTF-8 and reserved characters (RFC 4475 unreason).
    ASSERT_EQ(m.parse("SIP/2.0 200 = 2**3 \xD0\x9F\r\nl: 0\r\n\r\n"sv), ParseStatus::ok);
    EXPECT_EQ(m.reason_phrase(), "= 2**3 \xD0\x9F");
    // Lower-case "sip" is still the version (RFC 3261 §7.1 is case-insensitive there).
    ASSERT_EQ(m.parse("sip/2.0 200 OK\r\nl: 0\r\n\r\n"sv), ParseStatus::ok);
}

TEST(MessageTest, RefusesBadStatusLines) {
    Message m;
    EXPECT_EQ(m.parse("SIP/2.0 4294967301 Huge\r\nl: 0\r\n\r\n"sv), ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::bad_status_code);
    EXPECT_EQ(m.parse("SIP/2.0 20 OK\r\nl: 0\r\n\r\n"sv), ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::bad_status_code);
    EXPECT_EQ(m.parse("SIP/2.0 099 Low\r\nl: 0\r\n\r\n"sv), ParseStatus::malformed);
    EXPECT_EQ(m.parse("SIP/2.0 700 High\r\nl: 0\r\n\r\n"sv), ParseStatus::malformed);
    EXPECT_EQ(m.parse("SIP/2.0 2x0 OK\r\nl: 0\r\n\r\n"sv), ParseStatus::malformed);
    EXPECT_EQ(m.parse("SIP/2.0 200 O\x01K\r\nl: 0\r\n\r\n"sv), ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::bad_reason_phrase);
    EXPECT_EQ(m.parse("SIP/2 200 OK\r\nl: 0\r\n\r\n"sv), ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::bad_version);
    EXPECT_EQ(m.parse("SIP/2.0\r\nl: 0\r\n\r\n"sv), ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::bad_version);
}

TEST(MessageTest, RequestLineVariants) {
    Message m;
    // Extension method, '%' is not an escape (RFC 4475 intmeth / esc02).
    ASSERT_EQ(m.parse("RE%47IST%45R sip:x SIP/2.0\r\nl: 0\r\n\r\n"sv), ParseStatus::ok);
    EXPECT_EQ(m.method(), Method::unknown);
    EXPECT_EQ(m.method_text(), "RE%47IST%45R");
    // Methods are case-sensitive (RFC 3261 §7.1).
    ASSERT_EQ(m.parse("invite sip:x SIP/2.0\r\nl: 0\r\n\r\n"sv), ParseStatus::ok);
    EXPECT_EQ(m.method(), Method::unknown);
    // Another version is framed; validation answers 505 (RFC 4475 badvers).
    ASSERT_EQ(m.parse("OPTIONS sip:x SIP/7.0\r\nl: 0\r\n\r\n"sv), ParseStatus::ok);
    EXPECT_EQ(m.version(), "SIP/7.0");
    ASSERT_EQ(m.parse("OPTIONS sip:x sip/2.0\r\nl: 0\r\n\r\n"sv), ParseStatus::ok);
}

TEST(MessageTest, KnowsEveryMethod) {
    for (auto m : {Method::invite, Method::ack, Method::bye, Method::cancel, Method::options,
                   Method::register_, Method::prack, Method::update, Method::info,
                   Method::subscribe, Method::notify, Method::refer, Method::message,
                   Method::publish}) {
        EXPECT_EQ(method_from(method_name(m)), m) << method_name(m);
    }
    EXPECT_EQ(method_from("INVITEX"), Method::unknown);
    EXPECT_EQ(method_from("Invite"), Method::unknown);
    EXPECT_EQ(method_from(""), Method::unknown);
}

TEST(MessageTest, RefusesBadRequestLines) {
    Message m;
    // Double SP (RFC 4475 lwsstart).
    EXPECT_EQ(m.parse("INVITE  sip:x SIP/2.0\r\nl: 0\r\n\r\n"sv), ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::bad_request_uri);
    // SP before CRLF (RFC 4475 trws).
    EXPECT_EQ(m.parse("INVITE sip:x SIP/2.0 \r\nl: 0\r\n\r\n"sv), ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::bad_version);
    // LWS inside the Request-URI (RFC 4475 lwsruri).
    EXPECT_EQ(m.parse("INVITE sip:x; lr SIP/2.0\r\nl: 0\r\n\r\n"sv), ParseStatus::malformed);
    EXPECT_EQ(m.parse("INV@TE sip:x SIP/2.0\r\nl: 0\r\n\r\n"sv), ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::bad_method);
    EXPECT_EQ(m.parse(" INVITE sip:x SIP/2.0\r\nl: 0\r\n\r\n"sv), ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::bad_start_line);
    EXPECT_EQ(m.parse("INVITE\r\nl: 0\r\n\r\n"sv), ParseStatus::malformed);
    EXPECT_EQ(m.parse("INVITE sip:x\r\nl: 0\r\n\r\n"sv), ParseStatus::malformed);
    EXPECT_EQ(m.parse("INVITE sip:x HTTP/1.1\r\nl: 0\r\n\r\n"sv), ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::bad_version);
    EXPECT_EQ(m.parse("\r\n\r\n"sv), ParseStatus::malformed);
}

TEST(MessageTest, RequiresCrlf) {
    Message m;
    EXPECT_EQ(m.parse("OPTIONS sip:x SIP/2.0\nl: 0\n\n"sv), ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::bad_line_ending);
    EXPECT_EQ(m.parse("OPTIONS sip:x SIP/2.0\r\nl: 0\n\r\n"sv), ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::bad_line_ending);
    EXPECT_EQ(m.parse("OPTIONS sip:x SIP/2.0\r\nl: 0\r\r\n\r\n"sv), ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::bad_line_ending);
    EXPECT_EQ(m.parse("OPTIONS sip:x SIP/2.0\r\nl: 0\r\n\n"sv), ParseStatus::malformed);
    EXPECT_EQ(m.parse("OPTIONS sip:x SIP/2.0\r\nl: 0\r\n\rX"sv), ParseStatus::malformed);
}

TEST(MessageTest, CompactAndLongNamesAreOneId) {
    const std::string r =
        "OPTIONS sip:x SIP/2.0\r\n"
        "v: SIP/2.0/UDP a;branch=z9hG4bK1\r\n"
        "VIA: SIP/2.0/UDP b;branch=z9hG4bK2\r\n"
        "f: <sip:a@x>;tag=1\r\nt: <sip:b@x>\r\ni: c1\r\nm: <sip:a@h>\r\n"
        "k: timer\r\nc: application/sdp\r\ne: gzip\r\ns: hi\r\no: presence\r\nr: <sip:r>\r\n"
        "b: <sip:b>\r\nu: talk\r\nx: 1800\r\na: *\r\nj: *\r\nd: proxy\r\ny: abc\r\nn: <x>\r\n"
        "L: 0\r\n\r\n";
    Message m;
    ASSERT_EQ(m.parse(r), ParseStatus::ok) << reason_name(m.reason());
    EXPECT_EQ(m.count(HeaderId::via), 2u);
    const HeaderId expect[] = {HeaderId::via, HeaderId::via, HeaderId::from, HeaderId::to,
                               HeaderId::call_id, HeaderId::contact, HeaderId::supported,
                               HeaderId::content_type, HeaderId::content_encoding,
                               HeaderId::subject, HeaderId::event, HeaderId::refer_to,
                               HeaderId::referred_by, HeaderId::allow_events,
                               HeaderId::session_expires, HeaderId::accept_contact,
                               HeaderId::reject_contact, HeaderId::request_disposition,
                               HeaderId::identity, HeaderId::identity_info,
                               HeaderId::content_length};
    ASSERT_EQ(m.header_count(), std::size(expect));
    for (std::size_t i = 0; i < std::size(expect); ++i)
        EXPECT_EQ(m.header(i).id, expect[i]) << m.header(i).name;
    EXPECT_EQ(m.find("Call-ID")->value, "c1");
    EXPECT_EQ(m.find("i")->value, "c1");
    EXPECT_EQ(m.find("cALL-iD")->value, "c1");
}

TEST(MessageTest, ClassifiesEveryKnownNameInAnyCase) {
    for (std::size_t i = 1; i < kHeaderIdCount; ++i) {
        const auto id = static_cast<HeaderId>(i);
        const std::string_view name = header_name(id);
        ASSERT_FALSE(name.empty());
        EXPECT_EQ(header_id(name), id) << name;
        std::string upper(name), lower(name);
        for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        EXPECT_EQ(header_id(upper), id) << upper;
        EXPECT_EQ(header_id(lower), id) << lower;
        if (const char c = header_compact(id)) {
            EXPECT_EQ(header_id(std::string(1, c)), id);
            EXPECT_EQ(header_id(std::string(1, static_cast<char>(std::toupper(c)))), id);
        }
        // A name one octet longer or shorter is another header.
        EXPECT_EQ(header_id(std::string(name) + "x"), HeaderId::unknown);
        if (name.size() > 2) {   // "To" minus one octet is the compact "t"
            EXPECT_NE(header_id(name.substr(0, name.size() - 1)), id);
        }
    }
    EXPECT_EQ(header_id("Call_ID"), HeaderId::unknown);   // '_' is not '-'
    EXPECT_EQ(header_id("Via\r"), HeaderId::unknown);
    EXPECT_EQ(header_id("X-Custom"), HeaderId::unknown);
    EXPECT_EQ(header_id("C%6Fntact"), HeaderId::unknown);   // RFC 4475 esc02
    EXPECT_EQ(header_id(""), HeaderId::unknown);
    EXPECT_EQ(header_id("g"), HeaderId::unknown);
    EXPECT_EQ(header_name(HeaderId::call_id), "Call-ID");
    EXPECT_EQ(header_name(HeaderId::www_authenticate), "WWW-Authenticate");
}

TEST(MessageTest, FramingClassifiesEveryKnownNameInAnyCase) {
    // The framing path classifies from a 16-octet register (and a second one for names of 17
    // octets or more): check it on every name, in three cases, plus a near miss of each.
    std::string r = "OPTIONS sip:x SIP/2.0\r\n";
    std::vector<HeaderId> expect;
    for (std::size_t i = 1; i < kHeaderIdCount; ++i) {
        const auto id = static_cast<HeaderId>(i);
        if (id == HeaderId::content_length) continue;
        std::string name(header_name(id));
        std::string upper = name, lower = name, miss = name;
        for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        miss[miss.size() / 2] = miss[miss.size() / 2] == 'q' ? 'z' : 'q';
        for (const std::string& n : {name, upper, lower}) {
            r += n + ": v\r\n";
            expect.push_back(id);
        }
        r += miss + ":v\r\n";
        expect.push_back(HeaderId::unknown);
    }
    r += "l: 0\r\n\r\n";
    expect.push_back(HeaderId::content_length);
    ASSERT_LE(expect.size(), Message::kMaxHeaders * 3);
    // Split into messages of at most kMaxHeaders fields.
    Message m;
    std::size_t done = 0;
    std::size_t pos = r.find("\r\n") + 2;
    while (done < expect.size()) {
        std::string part = "OPTIONS sip:x SIP/2.0\r\n";
        std::size_t n = 0;
        while (n < Message::kMaxHeaders - 1 && done + n < expect.size()) {
            const std::size_t e = r.find("\r\n", pos) + 2;
            part += r.substr(pos, e - pos);
            pos = e;
            ++n;
        }
        part += "\r\n";
        ASSERT_EQ(m.parse(part), ParseStatus::ok) << reason_name(m.reason());
        ASSERT_EQ(m.header_count(), n);
        for (std::size_t i = 0; i < n; ++i)
            EXPECT_EQ(m.header(i).id, expect[done + i]) << m.header(i).name;
        done += n;
    }
}

TEST(MessageTest, UnknownHeadersAreKeptOpaque) {
    const std::string r =
        "OPTIONS sip:x SIP/2.0\r\n"
        "X-Foo: ;;,,;;,;\r\n"
        "NewFangledHeader:   newfangled value\r\n continued newfangled value\r\n"
        "x-foo: second\r\n"
        "l: 0\r\n\r\n";
    Message m;
    ASSERT_EQ(m.parse(r), ParseStatus::ok);
    EXPECT_EQ(m.header(0).id, HeaderId::unknown);
    EXPECT_EQ(m.header(0).value, ";;,,;;,;");
    EXPECT_EQ(m.header(1).value, "newfangled value\r\n continued newfangled value");
    EXPECT_EQ(m.find("X-FOO")->value, ";;,,;;,;");
    EXPECT_EQ(m.find("NewFangledHeader")->name, "NewFangledHeader");
    EXPECT_EQ(m.find("Absent"), nullptr);
    EXPECT_EQ(m.count(HeaderId::unknown), 3u);
}

TEST(MessageTest, FoldingAndLwsAroundColon) {
    const std::string r =
        "INVITE sip:x SIP/2.0\r\n"
        "TO :\r\n sip:vivekg@example.com ;   tag    = 1918181833n\r\n"
        "from   : \"J R\" <sip:j@example.com>\r\n  ;\r\n  tag = 98asjd8\r\n"
        "Subject\t:\tfolded   \r\n\t  \r\n"
        "s :\r\n"
        "Max-Forwards:70\r\n"
        "l: 0\r\n\r\n";
    Message m;
    ASSERT_EQ(m.parse(r), ParseStatus::ok) << reason_name(m.reason());
    ASSERT_EQ(m.header_count(), 6u);
    EXPECT_EQ(m.header(0).id, HeaderId::to);
    EXPECT_EQ(m.header(0).name, "TO");
    EXPECT_EQ(m.header(0).value, "sip:vivekg@example.com ;   tag    = 1918181833n");
    EXPECT_EQ(m.header(0).line, "TO :\r\n sip:vivekg@example.com ;   tag    = 1918181833n\r\n");
    EXPECT_EQ(m.header(1).id, HeaderId::from);
    EXPECT_EQ(m.header(1).value, "\"J R\" <sip:j@example.com>\r\n  ;\r\n  tag = 98asjd8");
    EXPECT_EQ(m.header(2).value, "folded");
    EXPECT_EQ(m.header(3).id, HeaderId::subject);
    EXPECT_EQ(m.header(3).value, "");
    EXPECT_EQ(m.header(4).value, "70");
}

TEST(MessageTest, RefusesBadHeaderLines) {
    Message m;
    EXPECT_EQ(m.parse("OPTIONS sip:x SIP/2.0\r\n folded\r\nl: 0\r\n\r\n"sv),
              ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::fold_without_header);
    EXPECT_EQ(m.parse("OPTIONS sip:x SIP/2.0\r\nNoColon\r\nl: 0\r\n\r\n"sv),
              ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::missing_colon);
    EXPECT_EQ(m.parse("OPTIONS sip:x SIP/2.0\r\nName value\r\nl: 0\r\n\r\n"sv),
              ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::missing_colon);
    EXPECT_EQ(m.parse("OPTIONS sip:x SIP/2.0\r\n: value\r\nl: 0\r\n\r\n"sv),
              ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::bad_header_name);
    EXPECT_EQ(m.parse("OPTIONS sip:x SIP/2.0\r\nBad(Name): v\r\nl: 0\r\n\r\n"sv),
              ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::bad_header_name);
}

TEST(MessageTest, TooManyHeaders) {
    std::string r = "OPTIONS sip:x SIP/2.0\r\n";
    for (std::size_t i = 0; i < Message::kMaxHeaders; ++i) r += "X-H: 1\r\n";
    Message m;
    ASSERT_EQ(m.parse(r + "\r\n"), ParseStatus::ok);
    EXPECT_EQ(m.header_count(), Message::kMaxHeaders);
    EXPECT_EQ(m.count(HeaderId::unknown), Message::kMaxHeaders);
    EXPECT_EQ(m.parse(r + "X-H: 1\r\n\r\n"), ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::too_many_headers);
}

TEST(MessageTest, FieldsWalkOnlyTheirId) {
    const std::string r =
        "SIP/2.0 200 OK\r\nVia: a\r\nTo: t\r\nv: b\r\nRecord-Route: <sip:r1>\r\nVia: c, d\r\n"
        "Content-Length: 0\r\n\r\n";
    Message m;
    ASSERT_EQ(m.parse(r), ParseStatus::ok);
    std::vector<std::string_view> vias;
    for (const HeaderField& f : m.fields(HeaderId::via)) vias.push_back(f.value);
    EXPECT_EQ(vias, (std::vector<std::string_view>{"a", "b", "c, d"}));
    EXPECT_EQ(m.count(HeaderId::via), 3u);
    EXPECT_EQ(m.count(HeaderId::route), 0u);
    EXPECT_TRUE(m.fields(HeaderId::route).empty());
    EXPECT_EQ(m.find(HeaderId::route), nullptr);
    EXPECT_EQ(m.next_index(0), 2u);
    EXPECT_EQ(m.next_index(2), 4u);
    EXPECT_EQ(m.next_index(4), m.header_count());
}

TEST(MessageTest, ValuesSplitOnCommasOutsideQuotesAndBrackets) {
    const std::string r =
        "REGISTER sip:x SIP/2.0\r\n"
        "Contact: \"Doe, John\" <sip:a@h;x=\"p,q\">;q=0.5 ,<sip:b,c@h>\r\n"
        "Via: SIP/2.0/UDP a , SIP/2.0/UDP b\r\n"
        "Contact: <sip:c@h>,\r\n \"q\\\"u,o\" <sip:d@h>\r\n"
        "Via: SIP/2.0/UDP c\r\n"
        "Supported:\r\n"
        "Allow: INVITE,,ACK,\r\n"
        "Content-Length: 0\r\n\r\n";
    Message m;
    ASSERT_EQ(m.parse(r), ParseStatus::ok);
    EXPECT_EQ(collect_values(m, HeaderId::contact),
              (std::vector<std::string_view>{"\"Doe, John\" <sip:a@h;x=\"p,q\">;q=0.5",
                                             "<sip:b,c@h>", "<sip:c@h>",
                                             "\"q\\\"u,o\" <sip:d@h>"}));
    EXPECT_EQ(collect_values(m, HeaderId::via),
              (std::vector<std::string_view>{"SIP/2.0/UDP a", "SIP/2.0/UDP b", "SIP/2.0/UDP c"}));
    EXPECT_TRUE(collect_values(m, HeaderId::supported).empty());
    EXPECT_TRUE(collect_values(m, HeaderId::route).empty());
    // Empty elements are yielded so that validation can refuse them (RFC 4475 badinv01).
    EXPECT_EQ(collect_values(m, HeaderId::allow),
              (std::vector<std::string_view>{"INVITE", "", "ACK", ""}));
}

TEST(MessageTest, ContentLengthCases) {
    Message m;
    // No space, leading zeros.
    ASSERT_EQ(m.parse("OPTIONS sip:x SIP/2.0\r\nContent-Length:0004\r\n\r\nabcdXYZ"sv),
              ParseStatus::ok);
    EXPECT_EQ(m.body(), "abcd");
    EXPECT_EQ(m.size(), m.data().size() - 3);   // trailing octets ignored (RFC 4475 dblreq)
    // Absent: the rest of the datagram (RFC 3261 §18.3).
    ASSERT_EQ(m.parse("OPTIONS sip:x SIP/2.0\r\nVia: a\r\n\r\nabc"sv), ParseStatus::ok);
    EXPECT_FALSE(m.has_content_length());
    EXPECT_EQ(m.body(), "abc");
    // Larger than what arrived (RFC 4475 clerr).
    EXPECT_EQ(m.parse("OPTIONS sip:x SIP/2.0\r\nl: 9999\r\n\r\nabc"sv), ParseStatus::incomplete);
    EXPECT_EQ(m.reason(), Reason::content_length_exceeds_datagram);
    // Negative, non-numeric, too large, empty (RFC 4475 ncl).
    for (auto v : {"-999"sv, "five"sv, "4294967296"sv, ""sv, "1 2"sv, "+1"sv, "0x10"sv}) {
        const std::string r = "OPTIONS sip:x SIP/2.0\r\nContent-Length: " + std::string(v) +
                              "\r\n\r\n";
        EXPECT_EQ(m.parse(r), ParseStatus::malformed) << v;
        EXPECT_EQ(m.reason(), Reason::bad_content_length) << v;
    }
    // The largest value is accepted (and then incomplete).
    EXPECT_EQ(m.parse("OPTIONS sip:x SIP/2.0\r\nl: 4294967295\r\n\r\n"sv), ParseStatus::incomplete);
    // Conflicting values (RFC 4475 mcl01); equal repeated values are not a conflict.
    EXPECT_EQ(m.parse("OPTIONS sip:x SIP/2.0\r\nContent-Length: 3\r\nl: 5\r\n\r\nabcde"sv),
              ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::conflicting_content_length);
    ASSERT_EQ(m.parse("OPTIONS sip:x SIP/2.0\r\nContent-Length: 3\r\nl: 03\r\n\r\nabcde"sv),
              ParseStatus::ok);
    EXPECT_EQ(m.body(), "abc");
    EXPECT_EQ(m.count(HeaderId::content_length), 2u);
}

TEST(MessageTest, BinaryBodyIsFramedByLength) {
    std::string body("a\0b\rc\nd\r\n\r\ne", 12);
    const std::string r = "MESSAGE sip:x SIP/2.0\r\nContent-Length: 12\r\n\r\n" + body;
    Message m;
    ASSERT_EQ(m.parse(r), ParseStatus::ok);
    EXPECT_EQ(m.body(), body);
}

TEST(MessageTest, NulInsideValuesIsNotAnEnd) {
    const char raw[] = "OPTIONS sip:x SIP/2.0\r\nTo: \"a\\\0b\" <sip:x>\r\nl: 0\r\n\r\n";
    const std::string r(raw, sizeof raw - 1);
    const char value[] = "\"a\\\0b\" <sip:x>";
    Message m;
    ASSERT_EQ(m.parse(r), ParseStatus::ok);
    EXPECT_EQ(m.find(HeaderId::to)->value, std::string_view(value, sizeof value - 1));
}

TEST(MessageTest, EmptyAndPartialInputs) {
    Message m;
    EXPECT_EQ(m.parse(""sv), ParseStatus::incomplete);
    EXPECT_EQ(m.parse("OPTIONS sip:x SIP/2.0"sv), ParseStatus::incomplete);
    EXPECT_EQ(m.parse("OPTIONS sip:x SIP/2.0\r\nVia: a\r\n"sv), ParseStatus::incomplete);
    EXPECT_EQ(m.reason(), Reason::headers_unterminated);
    EXPECT_EQ(m.parse("OPTIONS sip:x SIP/2.0\r\nVia: a\r\n\r"sv), ParseStatus::incomplete);
    EXPECT_EQ(m.parse("OPTIONS sip:x SIP/2.0\r\nVia: a\r\n\r\n"sv), ParseStatus::ok);
}

TEST(MessageTest, ReusableAcrossParses) {
    Message m;
    ASSERT_EQ(m.parse(kInvite), ParseStatus::ok);
    ASSERT_EQ(m.parse("SIP/2.0 200 OK\r\nl: 0\r\n\r\n"sv), ParseStatus::ok);
    EXPECT_EQ(m.header_count(), 1u);
    EXPECT_EQ(m.find(HeaderId::via), nullptr);
    EXPECT_EQ(m.count(HeaderId::via), 0u);
    EXPECT_EQ(m.request_uri(), "");
    EXPECT_FALSE(m.is_request());
}

TEST(MessageTest, ReasonNamesAndTexts) {
    EXPECT_EQ(reason_name(Reason::none), "none");
    EXPECT_EQ(reason_text(Reason::none), "");
    EXPECT_EQ(reason_name(Reason::bad_content_length), "bad_content_length");
    for (std::size_t i = 1; i < static_cast<std::size_t>(Reason::count); ++i)
        EXPECT_FALSE(reason_text(static_cast<Reason>(i)).empty()) << i;
}

// Corpus files whose framing this file checks in detail; the table-driven run over every
// corpus file is corpus_test.cpp.
TEST(MessageTest, Rfc4475Wsinv) {
    const std::string s = read_corpus("rfc4475/wsinv.sip");
    ASSERT_FALSE(s.empty());
    Message m;
    ASSERT_EQ(m.parse(s), ParseStatus::ok);
    EXPECT_EQ(m.find(HeaderId::max_forwards)->value, "0068");
    EXPECT_EQ(m.find(HeaderId::cseq)->value, "0009\r\n  INVITE");
    EXPECT_EQ(m.find(HeaderId::subject)->value, "");
    EXPECT_EQ(m.find("UnknownHeaderWithUnusualValue")->value, ";;,,;;,;");
    EXPECT_EQ(m.count(HeaderId::via), 2u);
    EXPECT_EQ(collect_values(m, HeaderId::via).size(), 3u);
    EXPECT_EQ(m.body().size(), 150u);
    EXPECT_EQ(m.find(HeaderId::contact)->name, "m");
}

TEST(MessageTest, Rfc4475Longreq) {
    const std::string s = read_corpus("rfc4475/longreq.sip");
    ASSERT_EQ(s.size(), 3515u);
    Message m;
    ASSERT_EQ(m.parse(s), ParseStatus::ok);
    EXPECT_EQ(collect_values(m, HeaderId::via).size(), 34u);
    EXPECT_EQ(m.body().size(), 150u);
}

TEST(MessageTest, Rfc4475Mpart01AndIntmeth) {
    Message m;
    const std::string mp = read_corpus("rfc4475/mpart01.sip");
    ASSERT_EQ(m.parse(mp), ParseStatus::ok);
    EXPECT_EQ(m.body().size(), 553u);
    EXPECT_EQ(m.size(), mp.size());
    const std::string im = read_corpus("rfc4475/intmeth.sip");
    ASSERT_EQ(m.parse(im), ParseStatus::ok);
    EXPECT_EQ(m.method(), Method::unknown);
    EXPECT_NE(m.find(HeaderId::to)->value.find('\0'), std::string_view::npos);
}

TEST(MessageTest, Rfc4475FramingFailures) {
    Message m;
    EXPECT_EQ(m.parse(read_corpus("rfc4475/ncl.sip")), ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::bad_content_length);
    EXPECT_EQ(m.parse(read_corpus("rfc4475/mcl01.sip")), ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::conflicting_content_length);
    EXPECT_EQ(m.parse(read_corpus("rfc4475/clerr.sip")), ParseStatus::incomplete);
    EXPECT_EQ(m.reason(), Reason::content_length_exceeds_datagram);
    EXPECT_EQ(m.parse(read_corpus("rfc4475/bigcode.sip")), ParseStatus::malformed);
    EXPECT_EQ(m.reason(), Reason::bad_status_code);
    const std::string d = read_corpus("rfc4475/dblreq.sip");
    ASSERT_EQ(m.parse(d), ParseStatus::ok);
    EXPECT_EQ(m.method(), Method::register_);
    EXPECT_EQ(d.size() - m.size(), 450u);
}

}  // namespace
}  // namespace palisade::sip
