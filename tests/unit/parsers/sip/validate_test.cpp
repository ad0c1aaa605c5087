// Request/response validation (parsers/sip/validate.hpp): RFC 3261 §8.2, §16.3, §18.1.2.
#include "parsers/sip/validate.hpp"

#include <gtest/gtest.h>

#include <string>

namespace palisade::sip {
namespace {

// A valid INVITE; each test replaces or removes one line.
const std::string kInvite =
    "INVITE sip:+31201234567@core.example.com;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pbx.example.net:5060;branch=z9hG4bK74bf9;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: \"Alice\" <sip:+31207654321@pbx.example.net>;tag=9fxced76sl\r\n"
    "To: <sip:+31201234567@core.example.com>\r\n"
    "Call-ID: 3848276298220188511@pbx.example.net\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:alice@192.0.2.10:5060>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\n";

std::string replace_line(const std::string& msg, const std::string& prefix, const std::string& line) {
    const std::size_t at = msg.find("\r\n" + prefix);
    EXPECT_NE(at, std::string::npos) << prefix;
    const std::size_t end = msg.find("\r\n", at + 2);
    std::string out = msg.substr(0, at + 2);
    if (!line.empty()) out += line + "\r\n";
    out += msg.substr(end + 2);
    return out;
}
std::string remove_line(const std::string& msg, const std::string& prefix) {
    return replace_line(msg, prefix, "");
}
std::string add_line(const std::string& msg, const std::string& line) {
    const std::size_t at = msg.find("\r\n") + 2;
    return msg.substr(0, at) + line + "\r\n" + msg.substr(at);
}

// Holds the bytes so that the Message views stay valid.
struct Parsed {
    std::string bytes;
    Message msg;
    explicit Parsed(std::string b) : bytes(std::move(b)) {
        EXPECT_EQ(msg.parse(bytes), ParseStatus::ok) << reason_name(msg.reason()) << "\n" << bytes;
    }
};

std::string req_reason(const std::string& m, const ValidateOptions& o = {}) {
    Parsed p(m);
    return std::string(reason_name(validate_request(p.msg, o)));
}
std::string resp_reason(const std::string& m) {
    Parsed p(m);
    return std::string(reason_name(validate_response(p.msg)));
}
std::string name(Reason r) { return std::string(reason_name(r)); }

ValidateOptions strict() {
    ValidateOptions o;
    o.require_rfc3261_branch = true;
    o.require_max_forwards = true;
    o.require_content_length = true;
    return o;
}

TEST(ValidateRequest, ValidInvitePasses) {
    EXPECT_EQ(req_reason(kInvite), name(Reason::none));
    EXPECT_EQ(req_reason(kInvite, strict()), name(Reason::none));
}

TEST(ValidateRequest, Version) {
    std::string m = kInvite;
    m.replace(m.find("SIP/2.0\r\n"), 7, "SIP/7.0");
    EXPECT_EQ(req_reason(m), name(Reason::unsupported_version));
    EXPECT_EQ(status_for(Reason::unsupported_version), 505);
}

TEST(ValidateRequest, RequestUriSchemes) {
    const std::string head = "INVITE sip:+31201234567@core.example.com;user=phone SIP/2.0";
    auto with_ruri = [&](const std::string& ruri) {
        std::string m = kInvite;
        m.replace(0, head.size(), "INVITE " + ruri + " SIP/2.0");
        return m;
    };
    EXPECT_EQ(req_reason(with_ruri("sips:bob@core.example.com")), name(Reason::none));
    EXPECT_EQ(req_reason(with_ruri("tel:+31201234567")), name(Reason::none));
    EXPECT_EQ(req_reason(with_ruri("mailto:bob@example.com")), name(Reason::unsupported_uri_scheme));
    EXPECT_EQ(status_for(Reason::unsupported_uri_scheme), 416);
    ValidateOptions any;
    any.restrict_uri_scheme = false;
    EXPECT_EQ(req_reason(with_ruri("mailto:bob@example.com"), any), name(Reason::none));
    EXPECT_EQ(req_reason(with_ruri("sip:bob@example.com?Route=%3Csip:x.example.com%3E")),
              name(Reason::request_uri_has_headers));
    EXPECT_EQ(req_reason(with_ruri("sip:2001:db8::10")), name(Reason::bad_request_uri));  // RFC 5118 §4.2
    EXPECT_EQ(req_reason(with_ruri("<sip:bob@example.com>")), name(Reason::bad_request_uri));
    EXPECT_EQ(req_reason(with_ruri("sip:[2001:db8::10]:5070")), name(Reason::none));
}

TEST(ValidateRequest, MandatoryHeadersExactlyOnce) {
    EXPECT_EQ(req_reason(remove_line(kInvite, "From:")), name(Reason::missing_from));
    EXPECT_EQ(req_reason(remove_line(kInvite, "To:")), name(Reason::missing_to));
    EXPECT_EQ(req_reason(remove_line(kInvite, "Call-ID:")), name(Reason::missing_call_id));
    EXPECT_EQ(req_reason(remove_line(kInvite, "CSeq:")), name(Reason::missing_cseq));
    EXPECT_EQ(req_reason(remove_line(kInvite, "Via:")), name(Reason::missing_via));
    EXPECT_EQ(req_reason(add_line(kInvite, "f: <sip:mallory@example.org>;tag=2")), name(Reason::duplicate_from));
    EXPECT_EQ(req_reason(add_line(kInvite, "t: <sip:other@example.org>")), name(Reason::duplicate_to));
    EXPECT_EQ(req_reason(add_line(kInvite, "i: second@example.org")), name(Reason::duplicate_call_id));
    EXPECT_EQ(req_reason(add_line(kInvite, "CSeq: 2 INVITE")), name(Reason::duplicate_cseq));
    EXPECT_EQ(status_for(Reason::duplicate_from), 400);
    EXPECT_EQ(status_for(Reason::missing_via), 400);
}

TEST(ValidateRequest, CallIdSyntax) {
    EXPECT_EQ(req_reason(replace_line(kInvite, "Call-ID:", "Call-ID: a@b, c@d")), name(Reason::bad_call_id));
    EXPECT_EQ(req_reason(replace_line(kInvite, "Call-ID:", "Call-ID: a@b@c")), name(Reason::bad_call_id));
    EXPECT_EQ(req_reason(replace_line(kInvite, "Call-ID:", "Call-ID: @b")), name(Reason::bad_call_id));
    EXPECT_EQ(req_reason(replace_line(kInvite, "Call-ID:", "Call-ID: plain-word")), name(Reason::none));
}

TEST(ValidateRequest, CSeq) {
    EXPECT_EQ(req_reason(replace_line(kInvite, "CSeq:", "CSeq: 1 OPTIONS")), name(Reason::cseq_method_mismatch));
    EXPECT_EQ(req_reason(replace_line(kInvite, "CSeq:", "CSeq: 1 invite")), name(Reason::cseq_method_mismatch));
    EXPECT_EQ(req_reason(replace_line(kInvite, "CSeq:", "CSeq: 4294967296 INVITE")), name(Reason::bad_cseq));
    EXPECT_EQ(req_reason(replace_line(kInvite, "CSeq:", "CSeq: 4294967295 INVITE")), name(Reason::none));
    EXPECT_EQ(req_reason(replace_line(kInvite, "CSeq:", "CSeq: INVITE")), name(Reason::bad_cseq));
}

TEST(ValidateRequest, MaxForwards) {
    EXPECT_EQ(req_reason(replace_line(kInvite, "Max-Forwards:", "Max-Forwards: 256")), name(Reason::bad_max_forwards));
    EXPECT_EQ(req_reason(replace_line(kInvite, "Max-Forwards:", "Max-Forwards: 0")), name(Reason::none));
    EXPECT_EQ(req_reason(add_line(kInvite, "Max-Forwards: 5")), name(Reason::duplicate_max_forwards));
    const std::string none = remove_line(kInvite, "Max-Forwards:");
    EXPECT_EQ(req_reason(none), name(Reason::none));  // RFC 2543 requests have none
    EXPECT_EQ(req_reason(none, strict()), name(Reason::missing_max_forwards));
}

TEST(ValidateRequest, FromToSyntax) {
    EXPECT_EQ(req_reason(replace_line(kInvite, "To:", "To: \"Mr. J. User <sip:j.user@example.com>")), name(Reason::bad_to));
    EXPECT_EQ(req_reason(replace_line(kInvite, "From:", "From: Bell, Alexander <sip:a.g.bell@example.com>;tag=43")),
              name(Reason::bad_from));
    EXPECT_EQ(req_reason(replace_line(kInvite, "To:", "To: < sip:t.watson@ieee.org >")), name(Reason::bad_to));
    EXPECT_EQ(req_reason(replace_line(kInvite, "To:", "To: isbn:2983792873")), name(Reason::none));  // RFC 4475 §3.3.4
}

TEST(ValidateRequest, ViaEveryValueAndStrictBranch) {
    EXPECT_EQ(req_reason(add_line(kInvite, "v: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKa, SIP/2.0/UDP x;;")),
              name(Reason::bad_via));
    EXPECT_EQ(req_reason(replace_line(kInvite, "Via:", "Via: SIP/2.0/UDP 192.0.2.15;;,;,,")), name(Reason::bad_via));
    const std::string old_branch = replace_line(kInvite, "Via:", "Via: SIP/2.0/UDP pbx.example.net");
    EXPECT_EQ(req_reason(old_branch), name(Reason::none));
    EXPECT_EQ(req_reason(old_branch, strict()), name(Reason::bad_branch));
    const std::string bare = replace_line(kInvite, "Via:", "Via: SIP/2.0/UDP pbx.example.net;branch=z9hG4bK");
    EXPECT_EQ(req_reason(bare, strict()), name(Reason::bad_branch));
}

TEST(ValidateRequest, ExpiresAndContacts) {
    EXPECT_EQ(req_reason(add_line(kInvite, "Expires: 4294967296")), name(Reason::bad_expires));
    EXPECT_EQ(req_reason(add_line(kInvite, "Expires: 180")), name(Reason::none));
    EXPECT_EQ(req_reason(replace_line(kInvite, "Contact:", "Contact: <sip:a@192.0.2.10>;expires=4294967296")),
              name(Reason::bad_expires));
    EXPECT_EQ(req_reason(replace_line(kInvite, "Contact:", "Contact: <sip:a@192.0.2.10>;;")), name(Reason::bad_contact));
    EXPECT_EQ(req_reason(replace_line(kInvite, "Contact:", "Contact: sip:a@192.0.2.10?Route=x")), name(Reason::bad_contact));
    EXPECT_EQ(req_reason(replace_line(kInvite, "Contact:", "Contact: *")), name(Reason::bad_contact));  // not REGISTER
}

const std::string kRegister =
    "REGISTER sip:registrar.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnashds7\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:+31201234567@example.com>\r\n"
    "From: <sip:+31201234567@example.com>;tag=456248\r\n"
    "Call-ID: 843817637684230@998sdasdh09\r\n"
    "CSeq: 1826 REGISTER\r\n"
    "Contact: *\r\n"
    "Expires: 0\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

TEST(ValidateRequest, StarContactOnlyInRegisterWithExpiresZero) {
    EXPECT_EQ(req_reason(kRegister), name(Reason::none));
    EXPECT_EQ(req_reason(replace_line(kRegister, "Expires:", "Expires: 3600")), name(Reason::bad_contact));
    EXPECT_EQ(req_reason(remove_line(kRegister, "Expires:")), name(Reason::bad_contact));
    EXPECT_EQ(req_reason(replace_line(kRegister, "Contact:", "Contact: *, <sip:a@192.0.2.10>")), name(Reason::bad_contact));
}

TEST(ValidateRequest, RouteMustBeNameAddr) {
    EXPECT_EQ(req_reason(add_line(kInvite, "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>")), name(Reason::none));
    EXPECT_EQ(req_reason(add_line(kInvite, "Route: sip:p1.example.com")), name(Reason::bad_record_route));
    EXPECT_EQ(req_reason(add_line(kInvite, "Record-Route: <sip:p1.example.com;lr")), name(Reason::bad_record_route));
}

TEST(ValidateRequest, BodyAndContentLength) {
    EXPECT_EQ(req_reason(remove_line(kInvite, "Content-Type:")), name(Reason::missing_content_type));
    EXPECT_EQ(req_reason(replace_line(kInvite, "Content-Type:", "Content-Type: application")), name(Reason::bad_content_type));
    const std::string no_cl = remove_line(kInvite, "Content-Length:");
    EXPECT_EQ(req_reason(no_cl), name(Reason::none));  // UDP: RFC 3261 §18.3
    EXPECT_EQ(req_reason(no_cl, strict()), name(Reason::missing_content_length));
}

TEST(ValidateRequest, Date) {
    EXPECT_EQ(req_reason(add_line(kInvite, "Date: Sat, 13 Nov 2010 23:29:00 GMT")), name(Reason::none));
    EXPECT_EQ(req_reason(add_line(kInvite, "Date: Fri, 01 Jan 2010 16:00:00 EST")), name(Reason::bad_date));
    EXPECT_EQ(req_reason(add_line(kInvite, "Date: Fri, 1 Jan 2010 16:00:00 GMT")), name(Reason::bad_date));
}

TEST(ValidateRequest, RefusesResponses) {
    Parsed p("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n");
    EXPECT_NE(validate_request(p.msg), Reason::none);
}

const std::string kOk =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP pbx.example.net:5060;branch=z9hG4bK74bf9;received=192.0.2.10\r\n"
    "From: \"Alice\" <sip:+31207654321@pbx.example.net>;tag=9fxced76sl\r\n"
    "To: <sip:+31201234567@core.example.com>;tag=8321234356\r\n"
    "Call-ID: 3848276298220188511@pbx.example.net\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:bob@192.0.2.4>\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

TEST(ValidateResponse, Checks) {
    EXPECT_EQ(resp_reason(kOk), name(Reason::none));
    EXPECT_EQ(resp_reason(remove_line(kOk, "Via:")), name(Reason::missing_via));
    EXPECT_EQ(resp_reason(remove_line(kOk, "Call-ID:")), name(Reason::missing_call_id));
    EXPECT_EQ(resp_reason(replace_line(kOk, "CSeq:", "CSeq: 9292394834772304023312 OPTIONS")), name(Reason::bad_cseq));
    EXPECT_EQ(resp_reason(add_line(kOk, "Retry-After: 949302838503028349304023988")), name(Reason::bad_retry_after));
    EXPECT_EQ(resp_reason(add_line(kOk, "Retry-After: 120 (busy)")), name(Reason::none));
    EXPECT_EQ(resp_reason(add_line(kOk, "Warning: 1812 overture \"In Progress\"")), name(Reason::bad_warning));
    EXPECT_EQ(resp_reason(add_line(kOk, "Warning: 399 devnull \"Choose a bigger pipe\"")), name(Reason::none));
    EXPECT_EQ(resp_reason(replace_line(kOk, "Via:", "Via: SIP/2.0/UDP ;branch=1")), name(Reason::bad_via));
    // A response's CSeq method is the request's, whatever the response is.
    EXPECT_EQ(resp_reason(replace_line(kOk, "CSeq:", "CSeq: 2 BYE")), name(Reason::none));
}

TEST(ValidateResponse, RefusesRequests) {
    Parsed p(kInvite);
    EXPECT_NE(validate_response(p.msg), Reason::none);
}

TEST(StatusFor, Mapping) {
    EXPECT_EQ(status_for(Reason::none), 0);
    EXPECT_EQ(status_for(Reason::unsupported_version), 505);
    EXPECT_EQ(status_for(Reason::unsupported_uri_scheme), 416);
    EXPECT_EQ(status_for(Reason::bad_cseq), 400);
    EXPECT_EQ(status_for(Reason::unterminated_quote), 400);
    EXPECT_EQ(status_for(Reason::cseq_method_mismatch), 400);
}

}  // namespace
}  // namespace palisade::sip

namespace palisade::sip {
namespace {

TEST(ValidateRegister, AorAndRequestUri) {
    EXPECT_EQ(name(validate_register(Parsed(kRegister).msg)), name(Reason::none));
    {
        Parsed p(replace_line(kRegister, "To:", "To: isbn:2983792873"));  // RFC 4475 §3.3.4
        EXPECT_EQ(name(validate_request(p.msg)), name(Reason::none));
        EXPECT_EQ(name(validate_register(p.msg)), name(Reason::register_aor_not_sip));
        EXPECT_EQ(status_for(validate_register(p.msg)), 400);
    }
    {
        std::string m = kRegister;
        m.replace(0, std::string("REGISTER sip:registrar.example.com").size(), "REGISTER sip:user@registrar.example.com");
        Parsed p(m);
        EXPECT_EQ(name(validate_register(p.msg)), name(Reason::register_uri_has_user));
    }
    EXPECT_NE(validate_register(Parsed(kInvite).msg), Reason::none);  // not a REGISTER
}

}  // namespace
}  // namespace palisade::sip

namespace palisade::sip {
namespace {

TEST(Validated, KeepsWhatValidationParsed) {
    Parsed p(kInvite);
    Validated v;
    ASSERT_EQ(validate_request(p.msg, ValidateOptions{}, v), Reason::none);
    EXPECT_EQ(v.request_uri.user, "+31201234567");
    EXPECT_EQ(v.request_uri.host, "core.example.com");
    EXPECT_EQ(v.top_via.host, "pbx.example.net");
    EXPECT_EQ(v.top_via.branch, "z9hG4bK74bf9");
    EXPECT_TRUE(v.top_via.has_rport);
    EXPECT_EQ(v.from.tag, "9fxced76sl");
    EXPECT_EQ(v.from.display_name, "Alice");
    EXPECT_EQ(v.to.uri.user, "+31201234567");
    EXPECT_TRUE(v.to.tag.empty());
    EXPECT_EQ(v.cseq.number, 1u);
    EXPECT_EQ(v.cseq.method, Method::invite);
    EXPECT_EQ(v.call_id, "3848276298220188511@pbx.example.net");
    EXPECT_EQ(v.max_forwards, 70);
    // The top Via is the first one even when several follow.
    Parsed two(add_line(kInvite, "Via: SIP/2.0/UDP second.example.com;branch=z9hG4bK2"));
    ASSERT_EQ(validate_request(two.msg, ValidateOptions{}, v), Reason::none);
    EXPECT_EQ(v.top_via.host, "second.example.com");  // add_line puts it first
    Parsed none(remove_line(kInvite, "Max-Forwards:"));
    ASSERT_EQ(validate_request(none.msg, ValidateOptions{}, v), Reason::none);
    EXPECT_EQ(v.max_forwards, -1);

    Parsed ok(kOk);
    ASSERT_EQ(validate_response(ok.msg, v), Reason::none);
    EXPECT_EQ(v.to.tag, "8321234356");
    EXPECT_EQ(v.top_via.received, "192.0.2.10");
    EXPECT_EQ(v.max_forwards, -1);
}

}  // namespace
}  // namespace palisade::sip
