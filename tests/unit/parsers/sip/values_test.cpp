// Header value parsers (parsers/sip/values.hpp).
#include "parsers/sip/values.hpp"

#include <gtest/gtest.h>

#include <string>

namespace palisade::sip {
namespace {

// ---- Via ----------------------------------------------------------------------------------

TEST(Via, Basic) {
    Via v;
    ASSERT_EQ(parse_via("SIP/2.0/UDP pc33.atlanta.example.com:5066;branch=z9hG4bK776asdhds;rport", v),
              Reason::none);
    EXPECT_EQ(v.protocol, "SIP/2.0/UDP");
    EXPECT_EQ(v.transport, "UDP");
    EXPECT_EQ(v.sent_by, "pc33.atlanta.example.com:5066");
    EXPECT_EQ(v.host, "pc33.atlanta.example.com");
    EXPECT_EQ(v.host_kind, HostKind::name);
    EXPECT_EQ(v.port, 5066);
    EXPECT_EQ(v.branch, "z9hG4bK776asdhds");
    EXPECT_TRUE(v.has_rport);
    EXPECT_EQ(v.rport, -1);
    EXPECT_EQ(v.ttl, -1);
    EXPECT_TRUE(v.received.empty());
    EXPECT_EQ(v.params, "branch=z9hG4bK776asdhds;rport");
}

TEST(Via, AllParams) {
    Via v;
    ASSERT_EQ(parse_via("SIP/2.0/UDP 10.0.0.1;received=192.0.2.1;rport=5062;maddr=224.2.0.1;ttl=16;branch=z9hG4bKx", v),
              Reason::none);
    EXPECT_EQ(v.host_kind, HostKind::ipv4);
    EXPECT_EQ(v.port, 0);
    EXPECT_EQ(v.received, "192.0.2.1");
    EXPECT_EQ(v.rport, 5062);
    EXPECT_EQ(v.maddr, "224.2.0.1");
    EXPECT_EQ(v.ttl, 16);
    EXPECT_EQ(v.branch, "z9hG4bKx");
}

TEST(Via, LwsEverywhereAndFolds) {
    // RFC 4475 §3.1.1.1 wsinv: "SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw"
    Via v;
    ASSERT_EQ(parse_via("SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw", v), Reason::none);
    EXPECT_EQ(v.transport, "UDP");
    EXPECT_EQ(v.host, "192.0.2.2");
    EXPECT_EQ(v.branch, "390skdjuw");
    ASSERT_EQ(parse_via("SIP/2.0/TCP host.example.com : 5060 ; branch = z9hG4bKa", v), Reason::none);
    EXPECT_EQ(v.port, 5060);
    EXPECT_EQ(v.sent_by, "host.example.com : 5060");
    EXPECT_EQ(v.branch, "z9hG4bKa");
}

TEST(Via, Ipv6SentByAndReceived) {
    Via v;
    ASSERT_EQ(parse_via("SIP/2.0/UDP [2001:db8::9:1]:5070;branch=z9hG4bKas3-111;received=[2001:db8::9:255]", v),
              Reason::none);
    EXPECT_EQ(v.host_kind, HostKind::ipv6);
    EXPECT_EQ(v.host, "2001:db8::9:1");
    EXPECT_EQ(v.port, 5070);
    EXPECT_EQ(v.received, "[2001:db8::9:255]");
    // RFC 5118 §4.5: the RFC 3261 form without brackets; colons must not end the params.
    ASSERT_EQ(parse_via("SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3", v),
              Reason::none);
    EXPECT_EQ(v.received, "2001:db8::9:255");
    EXPECT_EQ(v.branch, "z9hG4bKas3");
}

TEST(Via, Refusals) {
    Via v;
    EXPECT_EQ(parse_via("SIP/2.0/UDP 192.0.2.15;;", v), Reason::bad_via);  // RFC 4475 badinv01
    EXPECT_EQ(parse_via("SIP/2.0/UDP 192.0.2.15;", v), Reason::bad_via);
    EXPECT_EQ(parse_via("", v), Reason::bad_via);
    EXPECT_EQ(parse_via(";", v), Reason::bad_via);
    EXPECT_EQ(parse_via("SIP/2.0/UDP", v), Reason::bad_via);
    EXPECT_EQ(parse_via("SIP/2.0/UDPhost", v), Reason::bad_via);
    EXPECT_EQ(parse_via("SIP/2.0 host", v), Reason::bad_via);
    EXPECT_EQ(parse_via("SIP/2.0/UDP host:70000", v), Reason::bad_via);
    EXPECT_EQ(parse_via("SIP/2.0/UDP host:", v), Reason::bad_via);
    EXPECT_EQ(parse_via("SIP/2.0/UDP host junk", v), Reason::bad_via);
    EXPECT_EQ(parse_via("SIP/2.0/UDP host;ttl=256", v), Reason::bad_via);
    EXPECT_EQ(parse_via("SIP/2.0/UDP host;rport=x", v), Reason::bad_via);
    EXPECT_EQ(parse_via("SIP/2.0/UDP host;received=example.com", v), Reason::bad_via);
    EXPECT_EQ(parse_via("SIP/2.0/UDP host;branch", v), Reason::bad_via);
    EXPECT_EQ(parse_via("SIP/2.0/UDP [2001:db8::1;branch=z9hG4bKa", v), Reason::bad_via);
    EXPECT_EQ(parse_via("SIP/2.0/UDP 2001:db8::1;branch=z9hG4bKa", v), Reason::bad_via);
    EXPECT_EQ(parse_via("SIP/2.0/UDP host;x=\"open", v), Reason::unterminated_quote);
}

TEST(Via, BranchCookie) {
    EXPECT_TRUE(branch_is_rfc3261("z9hG4bK776asdhds"));
    EXPECT_FALSE(branch_is_rfc3261("z9hG4bK"));  // RFC 4475 §3.2.1 badbranch
    EXPECT_FALSE(branch_is_rfc3261("390skdjuw"));
    EXPECT_FALSE(branch_is_rfc3261(""));
}

// ---- name-addr / addr-spec ----------------------------------------------------------------

TEST(NameAddr, QuotedDisplayName) {
    NameAddr a;
    ASSERT_EQ(parse_name_addr("\"Bob \\\"the\\\" Builder\" <sips:bob@biloxi.example.com>;tag=a48s", a), Reason::none);
    EXPECT_TRUE(a.display_quoted);
    EXPECT_EQ(a.display_name, "Bob \\\"the\\\" Builder");
    EXPECT_TRUE(a.bracketed);
    EXPECT_EQ(a.uri_text, "sips:bob@biloxi.example.com");
    EXPECT_EQ(a.uri.scheme, UriScheme::sips);
    EXPECT_EQ(a.tag, "a48s");
    EXPECT_EQ(a.params, "tag=a48s");
}

TEST(NameAddr, QuotedPairsOfControlCharacters) {
    // RFC 4475 §3.1.1.2 intmeth: quoted-pairs of NUL, BEL and DEL in a display name.
    const std::string v = std::string("\"BEL:\\\x07 NUL:\\") + '\0' + " DEL:\\\x7f\" <sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>";
    NameAddr a;
    ASSERT_EQ(parse_name_addr(v, a), Reason::none);
    EXPECT_EQ(a.uri.host, "example.com");
    EXPECT_EQ(a.display_name.size(), 20u);  // "BEL:\<07> NUL:\<00> DEL:\<7f>"
}

TEST(NameAddr, TokenDisplayNameWithoutLws) {
    NameAddr a;
    ASSERT_EQ(parse_name_addr("caller<sip:caller@example.com>;tag=323", a), Reason::none);  // lwsdisp
    EXPECT_EQ(a.display_name, "caller");
    EXPECT_FALSE(a.display_quoted);
    EXPECT_EQ(a.tag, "323");
    ASSERT_EQ(parse_name_addr("~ Joe Bob  <sip:j@example.com>", a), Reason::none);
    EXPECT_EQ(a.display_name, "~ Joe Bob");
    ASSERT_EQ(parse_name_addr("<sip:j@example.com>", a), Reason::none);
    EXPECT_TRUE(a.display_name.empty());
    EXPECT_TRUE(a.tag.empty());
}

TEST(NameAddr, AddrSpecParamsAreHeaderParams) {
    // RFC 3261 §20.10, RFC 4475 §3.3.12 cparam01.
    NameAddr a;
    ASSERT_EQ(parse_name_addr("sip:caller@example.net;tag=134161461246", a), Reason::none);
    EXPECT_FALSE(a.bracketed);
    EXPECT_EQ(a.uri_text, "sip:caller@example.net");
    EXPECT_TRUE(a.uri.params.empty());
    EXPECT_EQ(a.tag, "134161461246");
    ASSERT_EQ(parse_name_addr("<sip:caller@example.net;lr>;tag=1", a), Reason::none);
    EXPECT_TRUE(a.uri.has_param("lr"));
    EXPECT_EQ(a.tag, "1");
}

TEST(NameAddr, WsinvToWithSpacesAroundEquals) {
    NameAddr a;
    ASSERT_EQ(parse_name_addr("\r\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n", a), Reason::none);
    EXPECT_EQ(a.uri.user, "vivekg");
    EXPECT_EQ(a.tag, "1918181833n");
}

TEST(NameAddr, Refusals) {
    NameAddr a;
    EXPECT_EQ(parse_name_addr("\"Mr. J. User <sip:j.user@example.com>", a), Reason::unterminated_quote);
    EXPECT_NE(parse_name_addr("Bell, Alexander <sip:a.g.bell@bell-tel.com>;tag=43", a), Reason::none);
    EXPECT_NE(parse_name_addr("\"Watson, Thomas\" < sip:t.watson@ieee.org >", a), Reason::none);
    EXPECT_NE(parse_name_addr("<sip:x@example.com", a), Reason::none);
    EXPECT_NE(parse_name_addr("sip:user@example.com?Route=%3Csip:sip.example.com%3E", a), Reason::none);
    EXPECT_NE(parse_name_addr("<sip:x@example.com> junk", a), Reason::none);
    EXPECT_NE(parse_name_addr("<sip:x@example.com>;;;;", a), Reason::none);  // badinv01 Contact
    EXPECT_NE(parse_name_addr("<sip:x@example.com>;tag", a), Reason::none);
    EXPECT_NE(parse_name_addr("\"a\" b <sip:x@example.com>", a), Reason::none);
    EXPECT_NE(parse_name_addr("", a), Reason::none);
    EXPECT_NE(parse_name_addr("   ", a), Reason::none);
}

TEST(NameAddr, OtherSchemesParse) {
    NameAddr a;
    ASSERT_EQ(parse_name_addr("isbn:2983792873", a), Reason::none);  // RFC 4475 §3.3.4
    EXPECT_EQ(a.uri.scheme, UriScheme::other);
    ASSERT_EQ(parse_name_addr("<http://www.example.com>;tag=3234233", a), Reason::none);
    EXPECT_EQ(a.tag, "3234233");
}

// ---- Contact ------------------------------------------------------------------------------

TEST(Contact, StarExpiresQ) {
    ContactValue c;
    ASSERT_EQ(parse_contact(" * ", c), Reason::none);
    EXPECT_TRUE(c.star);
    ASSERT_EQ(parse_contact("<sip:user@host.example.com>;expires=3600;q=0.7", c), Reason::none);
    EXPECT_FALSE(c.star);
    EXPECT_EQ(c.expires, 3600);
    EXPECT_EQ(c.q, "0.7");
    EXPECT_EQ(c.addr.uri.host, "host.example.com");
    ASSERT_EQ(parse_contact("<sip:u@h.example.com>", c), Reason::none);
    EXPECT_EQ(c.expires, -1);
    EXPECT_TRUE(c.q.empty());
    ASSERT_EQ(parse_contact("<sip:u@h.example.com>;expires=4294967295;q=1.000", c), Reason::none);
    EXPECT_EQ(c.expires, 4294967295LL);
}

TEST(Contact, Refusals) {
    ContactValue c;
    // RFC 4475 §3.1.2.4 scalar02: expires above 2^32-1.
    EXPECT_EQ(parse_contact("<sip:user@host129.example.com>\r\n  ;expires=280297596632815", c), Reason::bad_expires);
    EXPECT_EQ(parse_contact("<sip:u@h.example.com>;expires=4294967296", c), Reason::bad_expires);
    EXPECT_EQ(parse_contact("<sip:u@h.example.com>;q=1.5", c), Reason::bad_contact);
    EXPECT_EQ(parse_contact("<sip:u@h.example.com>;q=0.1234", c), Reason::bad_contact);
    EXPECT_NE(parse_contact("sip:user@example.com?Route=%3Csip:sip.example.com%3E", c), Reason::none);
    EXPECT_NE(parse_contact("*;expires=0", c), Reason::none);
}

// ---- scalars ------------------------------------------------------------------------------

TEST(CSeq, Parses) {
    CSeq c;
    ASSERT_EQ(parse_cseq("0009\r\n  INVITE", c), Reason::none);  // wsinv: leading zeros, fold
    EXPECT_EQ(c.number, 9u);
    EXPECT_EQ(c.method, Method::invite);
    EXPECT_EQ(c.method_text, "INVITE");
    ASSERT_EQ(parse_cseq("4294967295 NEWMETHOD", c), Reason::none);
    EXPECT_EQ(c.number, 4294967295u);
    EXPECT_EQ(c.method, Method::unknown);
    EXPECT_EQ(c.method_text, "NEWMETHOD");
    ASSERT_EQ(parse_cseq("1 invite", c), Reason::none);
    EXPECT_EQ(c.method, Method::unknown);  // case-sensitive, RFC 3261 §7.1
}

TEST(CSeq, Refusals) {
    CSeq c;
    EXPECT_EQ(parse_cseq("36893488147419103232 REGISTER", c), Reason::bad_cseq);  // scalar02
    EXPECT_EQ(parse_cseq("4294967296 INVITE", c), Reason::bad_cseq);
    EXPECT_EQ(parse_cseq("INVITE", c), Reason::bad_cseq);
    EXPECT_EQ(parse_cseq("1INVITE", c), Reason::bad_cseq);
    EXPECT_EQ(parse_cseq("1 ", c), Reason::bad_cseq);
    EXPECT_EQ(parse_cseq("1 INVITE x", c), Reason::bad_cseq);
    EXPECT_EQ(parse_cseq("-1 INVITE", c), Reason::bad_cseq);
    EXPECT_EQ(parse_cseq("", c), Reason::bad_cseq);
}

TEST(MaxForwards, Range) {
    std::uint32_t v = 1;
    ASSERT_EQ(parse_max_forwards("0068", v), Reason::none);
    EXPECT_EQ(v, 68u);
    ASSERT_EQ(parse_max_forwards(" 0 ", v), Reason::none);
    EXPECT_EQ(v, 0u);
    ASSERT_EQ(parse_max_forwards("255", v), Reason::none);
    EXPECT_EQ(parse_max_forwards("256", v), Reason::bad_max_forwards);
    EXPECT_EQ(parse_max_forwards("300", v), Reason::bad_max_forwards);
    EXPECT_EQ(parse_max_forwards("", v), Reason::bad_max_forwards);
    EXPECT_EQ(parse_max_forwards("7a", v), Reason::bad_max_forwards);
}

TEST(Uint32, Range) {
    std::uint32_t v = 0;
    ASSERT_EQ(parse_uint32("4294967295", v), Reason::none);
    EXPECT_EQ(v, 4294967295u);
    EXPECT_EQ(parse_uint32("4294967296", v), Reason::bad_number);
    EXPECT_EQ(parse_uint32("10000000000000000000000000000000000000000", v), Reason::bad_number);
    EXPECT_EQ(parse_uint32("-1", v), Reason::bad_number);
}

// ---- authentication -----------------------------------------------------------------------

TEST(Credentials, DigestWithEveryField) {
    const char* v =
        "Digest username=\"alice\",realm=\"atlanta.example.com\",\r\n nonce=\"84a4cc6f3082121f32b42a2187831a9e\","
        " uri=\"sip:bob@biloxi.example.com\", response=\"7587245234b3434cc3412213e5f113a5\","
        " algorithm=MD5, cnonce=\"0a4f113b\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\","
        " qop=auth, nc=0000000A";
    DigestCredentials c;
    ASSERT_EQ(parse_credentials(v, c), Reason::none);
    EXPECT_EQ(c.scheme, "Digest");
    EXPECT_EQ(c.username, "alice");
    EXPECT_EQ(c.realm, "atlanta.example.com");
    EXPECT_EQ(c.nonce, "84a4cc6f3082121f32b42a2187831a9e");
    EXPECT_EQ(c.uri, "sip:bob@biloxi.example.com");
    EXPECT_EQ(c.response, "7587245234b3434cc3412213e5f113a5");
    EXPECT_EQ(c.algorithm, "MD5");
    EXPECT_EQ(c.cnonce, "0a4f113b");
    EXPECT_EQ(c.opaque, "5ccc069c403ebaf9f0171e9517f40e41");
    EXPECT_EQ(c.qop, "auth");
    EXPECT_EQ(c.nc_text, "0000000A");
    EXPECT_EQ(c.nc, 10u);
}

TEST(Credentials, CommaInsideQuotedValueAndCaseInsensitiveNames) {
    DigestCredentials c;
    ASSERT_EQ(parse_credentials("digest USERNAME=\"a,b\", Realm=\"r\", nonce=\"n\", uri=\"sip:x@y.example\", "
                                "response=\"00\", algorithm=SHA-256",
                                c),
              Reason::none);
    EXPECT_EQ(c.username, "a,b");
    EXPECT_EQ(c.algorithm, "SHA-256");
}

TEST(Credentials, OtherSchemesAreOpaque) {
    DigestCredentials c;
    ASSERT_EQ(parse_credentials("NoOneKnowsThisScheme opaque-data=here", c), Reason::none);  // regaut01
    EXPECT_EQ(c.scheme, "NoOneKnowsThisScheme");
    EXPECT_EQ(c.params, "opaque-data=here");
    EXPECT_TRUE(c.username.empty());
}

TEST(Credentials, Refusals) {
    DigestCredentials c;
    EXPECT_EQ(parse_credentials("", c), Reason::bad_credentials);
    EXPECT_EQ(parse_credentials("Digest username=\"alice", c), Reason::bad_credentials);
    EXPECT_EQ(parse_credentials("Digest username=\"a\" realm=\"r\"", c), Reason::bad_credentials);
    EXPECT_EQ(parse_credentials("Digest username=\"a\", realm=\"r\"", c), Reason::bad_credentials);  // no nonce...
    EXPECT_EQ(parse_credentials("Digest username=\"a\",realm=\"r\",nonce=\"n\",uri=\"u\",response=\"x\",nc=12", c),
              Reason::bad_credentials);
    EXPECT_EQ(parse_credentials("Digest username", c), Reason::bad_credentials);
    EXPECT_EQ(parse_credentials("Digest=x", c), Reason::bad_credentials);
}

TEST(Challenge, DigestFields) {
    DigestChallenge c;
    ASSERT_EQ(parse_challenge("Digest realm=\"atlanta.example.com\", qop=\"auth\", nonce=\"abc\", "
                              "opaque=\"\", stale=TRUE, algorithm=SHA-256, domain=\"sip:ss1.example.com\"",
                              c),
              Reason::none);
    EXPECT_EQ(c.scheme, "Digest");
    EXPECT_EQ(c.realm, "atlanta.example.com");
    EXPECT_EQ(c.qop, "auth");
    EXPECT_EQ(c.nonce, "abc");
    EXPECT_EQ(c.opaque, "");
    EXPECT_TRUE(c.stale);
    EXPECT_EQ(c.algorithm, "SHA-256");
    EXPECT_EQ(c.domain, "sip:ss1.example.com");
    EXPECT_EQ(parse_challenge("Digest realm=\"r\"", c), Reason::bad_challenge);
    EXPECT_EQ(parse_challenge("Digest realm=\"r\", nonce=\"n", c), Reason::bad_challenge);
}

TEST(AuthParamRange, YieldsErrorsAsEmptyNames) {
    int n = 0, errors = 0;
    for (const Param& p : AuthParamRange("a=1, b=\"x, y\" c=3")) {
        ++n;
        if (p.name.empty()) ++errors;
    }
    EXPECT_EQ(n, 3);  // a, b, then the error
    EXPECT_EQ(errors, 1);
}

// ---- Session-Expires, Retry-After, Reason, media type -------------------------------------

TEST(SessionExpires, Parses) {
    SessionExpires s;
    ASSERT_EQ(parse_session_expires("1800;refresher=uac", s), Reason::none);
    EXPECT_EQ(s.delta, 1800u);
    EXPECT_EQ(s.refresher, SessionExpires::Refresher::uac);
    ASSERT_EQ(parse_session_expires(" 90 ", s), Reason::none);  // Min-SE
    EXPECT_EQ(s.refresher, SessionExpires::Refresher::none);
    ASSERT_EQ(parse_session_expires("4000 ; refresher = UAS ; x=y", s), Reason::none);
    EXPECT_EQ(s.refresher, SessionExpires::Refresher::uas);
    EXPECT_EQ(parse_session_expires("1800;refresher=both", s), Reason::bad_session_expires);
    EXPECT_EQ(parse_session_expires("abc", s), Reason::bad_session_expires);
    EXPECT_EQ(parse_session_expires("99999999999", s), Reason::bad_session_expires);
    EXPECT_EQ(parse_session_expires("1800;", s), Reason::bad_session_expires);
}

TEST(RetryAfter, Parses) {
    RetryAfter r;
    ASSERT_EQ(parse_retry_after("18000;duration=3600", r), Reason::none);
    EXPECT_EQ(r.seconds, 18000u);
    EXPECT_EQ(r.duration, 3600);
    ASSERT_EQ(parse_retry_after("120 (I'm in a meeting (really))", r), Reason::none);
    EXPECT_EQ(r.comment, "I'm in a meeting (really)");
    EXPECT_EQ(r.duration, -1);
    EXPECT_EQ(parse_retry_after("949302838503028349304023988", r), Reason::bad_retry_after);  // scalarlg
    EXPECT_EQ(parse_retry_after("120 (open", r), Reason::bad_retry_after);
    EXPECT_EQ(parse_retry_after("120;duration=x", r), Reason::bad_retry_after);
}

TEST(ReasonHeader, Parses) {
    ReasonHeader r;
    ASSERT_EQ(parse_reason("Q.850 ;cause=16 ;text=\"Terminated\"", r), Reason::none);
    EXPECT_EQ(r.protocol, "Q.850");
    EXPECT_EQ(r.cause, 16);
    EXPECT_EQ(r.text, "Terminated");
    ASSERT_EQ(parse_reason("SIP", r), Reason::none);
    EXPECT_EQ(r.cause, -1);
    EXPECT_EQ(parse_reason("SIP;cause=abc", r), Reason::bad_reason_header);
    EXPECT_EQ(parse_reason(";cause=1", r), Reason::bad_reason_header);
}

TEST(MediaType, Parses) {
    MediaType m;
    ASSERT_EQ(parse_media_type("application/sdp", m), Reason::none);
    EXPECT_TRUE(m.is("application", "sdp"));
    EXPECT_TRUE(m.is("APPLICATION", "SDP"));
    ASSERT_EQ(parse_media_type("multipart/mixed;boundary=7a9cbec02ceef655", m), Reason::none);
    EXPECT_EQ(m.type, "multipart");
    EXPECT_EQ(m.subtype, "mixed");
    EXPECT_EQ(m.params, "boundary=7a9cbec02ceef655");
    ASSERT_EQ(parse_media_type("text / plain ; charset=\"utf-8\"", m), Reason::none);
    EXPECT_EQ(m.subtype, "plain");
    EXPECT_EQ(parse_media_type("application", m), Reason::bad_media_type);
    EXPECT_EQ(parse_media_type("application/", m), Reason::bad_media_type);
    EXPECT_EQ(parse_media_type("application/sdp;", m), Reason::bad_media_type);
}

// ---- token lists --------------------------------------------------------------------------

TEST(HasToken, Lists) {
    EXPECT_TRUE(has_token("timer, 100rel ,replaces", "100REL"));
    EXPECT_TRUE(has_token("INVITE,ACK,BYE", "BYE"));
    EXPECT_FALSE(has_token("INVITE,ACK,BYE", "CANCEL"));
    EXPECT_FALSE(has_token("100relx", "100rel"));
    EXPECT_FALSE(has_token("", "x"));
    EXPECT_TRUE(has_token("id;critical", "id", true));
    EXPECT_TRUE(has_token("id;critical", "critical", true));
    EXPECT_FALSE(has_token("id;critical", "critical"));
    EXPECT_TRUE(has_token("id;critical", "id"));
}

TEST(HasToken, AcrossMessageFields) {
    const std::string m =
        "INVITE sip:b@example.com SIP/2.0\r\n"
        "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n"
        "Supported: timer\r\n"
        "k: 100rel, path\r\n"
        "Privacy: header; id\r\n"
        "Content-Length: 0\r\n\r\n";
    Message msg;
    ASSERT_EQ(msg.parse(m), ParseStatus::ok);
    EXPECT_TRUE(has_token(msg, HeaderId::supported, "100rel"));
    EXPECT_TRUE(has_token(msg, HeaderId::supported, "TIMER"));
    EXPECT_FALSE(has_token(msg, HeaderId::supported, "replaces"));
    EXPECT_TRUE(has_token(msg, HeaderId::privacy, "id"));
    EXPECT_FALSE(has_token(msg, HeaderId::require, "100rel"));
}

}  // namespace
}  // namespace palisade::sip
