// URI parsing (parsers/sip/uri.hpp): RFC 3261 §19.1 / §25.1, RFC 3966, RFC 5118, RFC 4475.
#include "parsers/sip/uri.hpp"

#include "parsers/sip/scan.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace palisade::sip {
namespace {

Uri parse_ok(std::string_view s) {
    Uri u;
    EXPECT_EQ(reason_name(parse_uri(s, u)), reason_name(Reason::none)) << s;
    return u;
}

TEST(Uri, SipWithUserHostPortParamsHeaders) {
    const Uri u = parse_ok("sip:alice@atlanta.example.com:5070;transport=udp;lr?subject=project%20x&priority=urgent");
    EXPECT_EQ(u.scheme, UriScheme::sip);
    EXPECT_EQ(u.scheme_text, "sip");
    EXPECT_EQ(u.user, "alice");
    EXPECT_TRUE(u.has_user);
    EXPECT_TRUE(u.password.empty());
    EXPECT_EQ(u.host, "atlanta.example.com");
    EXPECT_EQ(u.host_kind, HostKind::name);
    EXPECT_EQ(u.port_text, "5070");
    EXPECT_EQ(u.port, 5070);
    EXPECT_EQ(u.params, "transport=udp;lr");
    EXPECT_EQ(u.headers, "subject=project%20x&priority=urgent");
    EXPECT_EQ(u.param("TRANSPORT"), "udp");  // RFC 3261 §19.1.4: names case-insensitive
    EXPECT_TRUE(u.has_param("lr"));
    EXPECT_EQ(u.param("lr"), "");
    EXPECT_FALSE(u.has_param("maddr"));
    EXPECT_EQ(u.hostport(), "atlanta.example.com:5070");
}

TEST(Uri, SchemeIsCaseInsensitive) {
    EXPECT_EQ(parse_ok("SIP:bob@biloxi.example.com").scheme, UriScheme::sip);
    EXPECT_EQ(parse_ok("SiPs:bob@biloxi.example.com").scheme, UriScheme::sips);
    EXPECT_EQ(parse_ok("TEL:+1-201-555-0123").scheme, UriScheme::tel);
}

TEST(Uri, NoUserAndIpv4) {
    const Uri u = parse_ok("sip:192.0.2.4");
    EXPECT_FALSE(u.has_user);
    EXPECT_EQ(u.host, "192.0.2.4");
    EXPECT_EQ(u.host_kind, HostKind::ipv4);
    EXPECT_EQ(u.port, 0);
    EXPECT_TRUE(u.port_text.empty());
}

TEST(Uri, Password) {
    const Uri u = parse_ok("sip:alice:secret%21@example.com");
    EXPECT_EQ(u.user, "alice");
    EXPECT_EQ(u.password, "secret%21");
}

TEST(Uri, Rfc4475WideRangeOfUserAndPasswordCharacters) {
    // RFC 4475 §3.1.1.2 intmeth: ';' '?' '/' in the user, '&' '=' ',' '$' in the password.
    const Uri u = parse_ok(
        "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com");
    EXPECT_EQ(u.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    EXPECT_EQ(u.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    EXPECT_EQ(u.host, "example.com");
    EXPECT_TRUE(u.params.empty());
    EXPECT_TRUE(u.headers.empty());
}

TEST(Uri, SemicolonInUserBelongsToUserinfo) {
    // RFC 4475 §3.1.1.9 semiuri.
    const Uri u = parse_ok("sip:user;par=u%40example.net@example.com");
    EXPECT_EQ(u.user, "user;par=u%40example.net");
    EXPECT_EQ(u.host, "example.com");
    EXPECT_TRUE(u.params.empty());
}

TEST(Uri, Ipv6Reference) {
    const Uri u = parse_ok("sip:[2001:db8::10]:5070;transport=udp");
    EXPECT_EQ(u.host_kind, HostKind::ipv6);
    EXPECT_EQ(u.host, "2001:db8::10");
    EXPECT_EQ(u.port, 5070);
    EXPECT_EQ(u.hostport(), "[2001:db8::10]:5070");
}

TEST(Uri, Rfc5118PortInsideBracketsIsPartOfTheAddress) {
    const Uri u = parse_ok("sip:[2001:db8::10:5070]");
    EXPECT_EQ(u.host, "2001:db8::10:5070");
    EXPECT_EQ(u.port, 0);
}

TEST(Uri, Rfc5118ThreeColonBugFormIsTolerated) {
    const Uri u = parse_ok("sip:user@[2001:db8:::192.0.2.1]");
    EXPECT_EQ(u.host_kind, HostKind::ipv6);
    EXPECT_EQ(u.host, "2001:db8:::192.0.2.1");
    EXPECT_EQ(parse_ok("sip:user@[2001:db8::192.0.2.1]").host_kind, HostKind::ipv6);
}

TEST(Uri, Rfc5118UnbracketedIpv6IsRefused) {
    Uri u;
    EXPECT_NE(parse_uri("sip:2001:db8::10", u), Reason::none);
    EXPECT_NE(parse_uri("sip:user@2001:db8::10", u), Reason::none);
}

TEST(Uri, BadIpv6References) {
    Uri u;
    for (const char* s : {"sip:[2001:db8::10", "sip:[]", "sip:[1:2:3:4:5:6:7:8:9]",
                          "sip:[1::2::3]", "sip:[12345::1]", "sip:[2001:db8:::1]", "sip:[:1]",
                          "sip:[1:]", "sip:[::1]x", "sip:[2001:db8::1.2.3]"}) {
        EXPECT_NE(parse_uri(s, u), Reason::none) << s;
    }
    for (const char* s : {"sip:[::]", "sip:[::1]", "sip:[1:2:3:4:5:6:7:8]", "sip:[::ffff:192.0.2.1]",
                          "sip:[1:2:3:4:5:6:1.2.3.4]", "sip:[fe80::1:2]"}) {
        EXPECT_EQ(parse_uri(s, u), Reason::none) << s;
    }
}

TEST(Uri, PortRange) {
    Uri u;
    EXPECT_EQ(parse_ok("sip:h.example.com:65535").port, 65535);
    EXPECT_EQ(parse_uri("sip:h.example.com:65536", u), Reason::bad_port);
    EXPECT_EQ(parse_uri("sip:h.example.com:99999999999999999999", u), Reason::bad_port);
    EXPECT_EQ(parse_uri("sip:h.example.com:", u), Reason::bad_port);
    EXPECT_EQ(parse_ok("sip:h.example.com:00005060").port, 5060);
}

TEST(Uri, HostSyntax) {
    Uri u;
    EXPECT_EQ(parse_uri("sip:user@", u), Reason::bad_host);
    EXPECT_EQ(parse_uri("sip:user@-bad.example.com", u), Reason::bad_host);
    EXPECT_EQ(parse_uri("sip:user@bad-.example.com", u), Reason::bad_host);
    EXPECT_EQ(parse_uri("sip:user@a..b", u), Reason::bad_host);
    EXPECT_EQ(parse_uri("sip:user@1.2.3.999", u), Reason::bad_host);  // all-numeric: IPv4 or nothing
    EXPECT_EQ(parse_uri("sip:user@1.2.3", u), Reason::bad_host);
    EXPECT_EQ(parse_ok("sip:user@example.com.").host, "example.com.");
    EXPECT_EQ(parse_ok("sip:user@3com.example").host_kind, HostKind::name);
}

TEST(Uri, LwsAndBracketsAreRefused) {
    Uri u;
    // RFC 4475 §3.1.2.8 lwsruri, §3.1.2.7 ltgtruri, §3.1.2.14 badaspec.
    EXPECT_NE(parse_uri("sip:user@example.com; lr", u), Reason::none);
    EXPECT_NE(parse_uri("<sip:user@example.com>", u), Reason::none);
    EXPECT_NE(parse_uri(" sip:t.watson@ieee.org ", u), Reason::none);
    EXPECT_NE(parse_uri("sip:user@example.com>", u), Reason::none);
}

TEST(Uri, EmptyPartsAreRefused) {
    Uri u;
    EXPECT_EQ(parse_uri("sip:@example.com", u), Reason::bad_uri);
    EXPECT_EQ(parse_uri("sip:", u), Reason::bad_uri);
    EXPECT_EQ(parse_uri(":foo", u), Reason::bad_uri);
    EXPECT_EQ(parse_uri("", u), Reason::bad_uri);
    EXPECT_EQ(parse_uri("sip:example.com;", u), Reason::bad_uri);
    EXPECT_EQ(parse_uri("sip:example.com;;lr", u), Reason::bad_uri);
    EXPECT_EQ(parse_uri("sip:example.com;a=", u), Reason::bad_uri);
    EXPECT_EQ(parse_uri("sip:example.com?", u), Reason::bad_uri);
    EXPECT_EQ(parse_uri("sip:example.com?novalue", u), Reason::bad_uri);
}

TEST(Uri, BadEscapesAreRefused) {
    Uri u;
    EXPECT_EQ(parse_uri("sip:a%4Gb@example.com", u), Reason::bad_uri);
    EXPECT_EQ(parse_uri("sip:ab%4@example.com", u), Reason::bad_uri);
    EXPECT_EQ(parse_uri("sip:example.com;p=%", u), Reason::bad_uri);
    EXPECT_EQ(parse_ok("sip:null-%00-null@example.com").user, "null-%00-null");
}

TEST(Uri, EscapedHeadersKeptRaw) {
    // RFC 4475 §3.3.14 regescrt: the escaped Route stays in the URI as written.
    const Uri u = parse_ok("sip:user@example.com?Route=%3Csip:sip.example.com%3E");
    EXPECT_EQ(u.headers, "Route=%3Csip:sip.example.com%3E");
}

TEST(Uri, TelGlobalAndLocal) {
    Uri u = parse_ok("tel:+1-201-555-0123;ext=1234");
    EXPECT_EQ(u.scheme, UriScheme::tel);
    EXPECT_EQ(u.user, "+1-201-555-0123");
    EXPECT_EQ(u.param("ext"), "1234");
    EXPECT_EQ(u.host_kind, HostKind::none);
    u = parse_ok("tel:7042;phone-context=example.com");
    EXPECT_EQ(u.user, "7042");
    EXPECT_EQ(u.param("phone-context"), "example.com");
    Uri bad;
    EXPECT_EQ(parse_uri("tel:7042", bad), Reason::bad_uri);  // RFC 3966 §5.1.5
    EXPECT_EQ(parse_uri("tel:+", bad), Reason::bad_uri);
    EXPECT_EQ(parse_uri("tel:+1 201", bad), Reason::bad_uri);
    EXPECT_EQ(parse_uri("tel:+12a", bad), Reason::bad_uri);
}

TEST(Uri, OtherSchemesStayOpaque) {
    // RFC 4475 §3.3.2-§3.3.4: parsers accept unknown schemes.
    Uri u = parse_ok("nobodyKnowsThisScheme:totallyopaquecontent");
    EXPECT_EQ(u.scheme, UriScheme::other);
    EXPECT_EQ(u.scheme_text, "nobodyKnowsThisScheme");
    EXPECT_EQ(u.opaque, "totallyopaquecontent");
    EXPECT_TRUE(u.host.empty());
    EXPECT_EQ(parse_ok("soap.beep://192.0.2.103:3002").scheme, UriScheme::other);
    EXPECT_EQ(parse_ok("isbn:2983792873").opaque, "2983792873");
    EXPECT_EQ(parse_ok("http://www.example.com").scheme_text, "http");
    Uri bad;
    EXPECT_EQ(parse_uri("1sip:x", bad), Reason::bad_uri);
    EXPECT_EQ(parse_uri("urn:a b", bad), Reason::bad_uri);
}

TEST(Unescape, DecodesOnceNeverRecursively) {
    std::array<char, 32> buf{};
    // RFC 4475 §3.1.1.3: %2541 is "%41", not "A".
    std::size_t n = unescape("value%2541", buf);
    EXPECT_EQ(std::string_view(buf.data(), n), "value%41");
    n = unescape("sips%3Auser%40example.com", buf);
    EXPECT_EQ(std::string_view(buf.data(), n), "sips:user@example.com");
}

TEST(Unescape, KeepsNulAsAByte) {
    std::array<char, 32> buf{};
    const std::size_t n = unescape("null-%00-null", buf);
    ASSERT_EQ(n, 11u);
    EXPECT_EQ(std::string_view(buf.data(), n), std::string_view("null-\0-null", 11));
}

TEST(Unescape, RefusesBadEscapesAndOverflow) {
    std::array<char, 4> buf{};
    EXPECT_EQ(unescape("%4", buf), std::string_view::npos);
    EXPECT_EQ(unescape("%G1", buf), std::string_view::npos);
    EXPECT_EQ(unescape("%", buf), std::string_view::npos);
    EXPECT_EQ(unescape("abcde", buf), std::string_view::npos);
    EXPECT_EQ(unescape("abcd", buf), 4u);
    EXPECT_EQ(unescape("", buf), 0u);
    EXPECT_EQ(unescape("%41%42%43%44", buf), 4u);
}

TEST(Unquote, StripsQuotesOnly) {
    EXPECT_EQ(unquote("\"abc\""), "abc");
    EXPECT_EQ(unquote("\"a\\\"b\""), "a\\\"b");
    EXPECT_EQ(unquote("abc"), "abc");
    EXPECT_EQ(unquote("\""), "\"");
    EXPECT_EQ(unquote("\"\""), "");
}

TEST(ParamRange, IteratesWithLwsAndQuotedValues) {
    std::vector<std::pair<std::string, std::string>> got;
    for (const Param& p : ParamRange(";  tag    = 1918181833n ; lr ;text=\"a;b\";x=y"))
        got.emplace_back(std::string(p.name), std::string(p.value));
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got[0], (std::pair<std::string, std::string>{"tag", "1918181833n"}));
    EXPECT_EQ(got[1], (std::pair<std::string, std::string>{"lr", ""}));
    EXPECT_EQ(got[2], (std::pair<std::string, std::string>{"text", "\"a;b\""}));
    EXPECT_EQ(got[3], (std::pair<std::string, std::string>{"x", "y"}));
}

TEST(ParamRange, EmptyListAndValuelessParams) {
    int n = 0;
    for (const Param& p : ParamRange("")) {
        (void)p;
        ++n;
    }
    EXPECT_EQ(n, 0);
    Param p;
    ASSERT_TRUE(find_param("lr;maddr=x", "LR", p));
    EXPECT_FALSE(p.has_value);
    ASSERT_TRUE(find_param("lr;maddr=", "maddr", p));
    EXPECT_TRUE(p.has_value);
    EXPECT_TRUE(p.value.empty());
    EXPECT_FALSE(find_param("lr", "l", p));
}

TEST(ParamsWellFormed, RefusesEmptyEntries) {
    EXPECT_TRUE(params_well_formed("tag=1;lr"));
    EXPECT_TRUE(params_well_formed(" tag = 1 ; lr "));
    EXPECT_TRUE(params_well_formed("received=2001:db8::9:255;rport"));
    EXPECT_TRUE(params_well_formed("received=[2001:db8::9:255]"));
    EXPECT_TRUE(params_well_formed("text=\"with ; and \\\" inside\""));
    EXPECT_TRUE(params_well_formed(""));
    EXPECT_FALSE(params_well_formed(";"));   // RFC 4475 §3.1.2.1 badinv01
    EXPECT_FALSE(params_well_formed(";;;"));
    EXPECT_FALSE(params_well_formed("a;;b"));
    EXPECT_FALSE(params_well_formed("a;"));
    EXPECT_FALSE(params_well_formed("a="));
    EXPECT_FALSE(params_well_formed("a=\"open"));
    EXPECT_FALSE(params_well_formed("a b"));
}

TEST(Addresses, Ipv4AndIpv6Predicates) {
    EXPECT_TRUE(is_ipv4_address("0.0.0.0"));
    EXPECT_TRUE(is_ipv4_address("255.255.255.255"));
    EXPECT_FALSE(is_ipv4_address("256.1.1.1"));
    EXPECT_FALSE(is_ipv4_address("1.1.1"));
    EXPECT_FALSE(is_ipv4_address("1.1.1.1."));
    EXPECT_FALSE(is_ipv4_address("1.1.1.1.1"));
    EXPECT_FALSE(is_ipv4_address("1111.1.1.1"));
    EXPECT_FALSE(is_ipv4_address(""));
    EXPECT_TRUE(is_ipv6_address("2001:db8::9:255"));
    EXPECT_TRUE(is_ipv6_address("::ffff:192.0.2.10"));
    EXPECT_FALSE(is_ipv6_address("2001:db8::9:255:"));
    EXPECT_FALSE(is_ipv6_address("1:2:3:4:5:6:7"));
    EXPECT_FALSE(is_ipv6_address("1:2:3:4:5:6:7:8:1.2.3.4"));
    EXPECT_FALSE(is_ipv6_address("g::1"));
}

TEST(Uri, ParseHostDirect) {
    std::string_view h;
    HostKind k;
    EXPECT_EQ(parse_host("[::1]", h, k), Reason::none);
    EXPECT_EQ(h, "::1");
    EXPECT_EQ(k, HostKind::ipv6);
    EXPECT_EQ(parse_host("::1", h, k), Reason::bad_host);
    EXPECT_EQ(parse_host("", h, k), Reason::bad_host);
}

}  // namespace
}  // namespace palisade::sip

namespace palisade::sip {
namespace {

// span(): the SIMD path (16 octets per step, overlapping tail) must agree with a plain loop at
// every length and every stop position, and never read outside the view (ASan builds check).
TEST(Span, AgreesWithScalarAtEveryLengthAndStop) {
    constexpr CharSet kDigits = make_char_set([](unsigned char c) { return c >= '0' && c <= '9'; });
    for (std::size_t len = 0; len <= 40; ++len) {
        for (std::size_t stop = 0; stop <= len; ++stop) {
            std::string s(len, '7');
            if (stop < len) s[stop] = 'x';
            for (std::size_t from = 0; from <= len; ++from) {
                std::size_t want = from;
                while (want < len && s[want] != 'x') ++want;
                // Exact-size heap copy so that ASan sees any over-read.
                const std::unique_ptr<char[]> buf(new char[len + 1]);
                std::memcpy(buf.get(), s.data(), len);
                const std::string_view v(buf.get(), len);
                ASSERT_EQ(span(v, from, kDigits), want) << len << " " << stop << " " << from;
                ASSERT_EQ(detail::fast_span(v, from, kDigits), want) << len << " " << stop << " " << from;
            }
        }
    }
    EXPECT_EQ(span("123", 7, kDigits), 3u);  // from past the end
}

TEST(Span, CharSetMembershipMatchesPredicate) {
    constexpr CharSet kTok = make_char_set([](unsigned char c) { return is_token_char(static_cast<char>(c)); });
    constexpr CharSet kNotQuote = make_char_set([](unsigned char c) { return c != '"' && c != '\\'; });
    for (unsigned c = 0; c < 256; ++c) {
        EXPECT_EQ(kTok.has(static_cast<char>(c)), is_token_char(static_cast<char>(c))) << c;
        EXPECT_EQ(kNotQuote.has(static_cast<char>(c)), c != '"' && c != '\\') << c;
    }
    // Non-ASCII octets and NUL are scanned like any other (quoted strings carry UTF-8).
    const std::string q = std::string("a\0\xd0\xbf\x7f", 5) + "\"rest of the value........";
    EXPECT_EQ(span(q, 0, kNotQuote), 5u);
}

// The vector IPv4 check (used when 16 octets follow the host) must agree with the scalar one.
TEST(Addresses, VectorIpv4CheckAgreesWithScalar) {
    const char* hosts[] = {"0.0.0.0", "1.2.3.4", "255.255.255.255", "256.1.1.1", "1.256.1.1",
                           "1.1.1.256", "10.0.0.1", "192.168.100.200", "999.1.1.1", "1.1.1",
                           "1.1.1.1.1", "1..1.1", ".1.1.1", "01.02.03.04", "001.002.003.004",
                           "0001.2.3.4", "1.2.3.4444", "12.34.56.78", "99.99.99.99", "100.100.100.100",
                           "249.250.251.252", "1.2.3.04", "123.45.6.7", "1.2.3.", "1.2.3.4."};
    for (const char* h : hosts) {
        std::string_view host_short;
        HostKind kind_short = HostKind::none, kind_long = HostKind::none;
        std::size_t used_short = 0, used_long = 0;
        const Reason short_r = parse_host_prefix(h, used_short, host_short, kind_short);
        const std::string padded = std::string(h) + ":5060;transport=udp";
        std::string_view host_long;
        const Reason long_r = parse_host_prefix(padded, used_long, host_long, kind_long);
        EXPECT_EQ(short_r, long_r) << h;
        if (short_r == Reason::none && long_r == Reason::none) {
            EXPECT_EQ(kind_short, kind_long) << h;
            EXPECT_EQ(host_short, host_long) << h;
        }
        EXPECT_EQ(kind_short == HostKind::ipv4 && short_r == Reason::none, is_ipv4_address(h)) << h;
    }
}

}  // namespace
}  // namespace palisade::sip

namespace palisade::sip {
namespace {

// Reference hostname rule written independently of uri.cpp (RFC 3261 §25.1 with the RFC 1123
// digit-first label relaxation): labels of alphanum and inner '-', optional trailing '.', and
// not only digits and dots.
bool reference_hostname(std::string_view h) {
    if (h.empty()) return false;
    std::string_view body = h.back() == '.' ? h.substr(0, h.size() - 1) : h;
    if (body.empty()) return false;
    bool non_numeric = false;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = body.find('.', start);
        const std::string_view label = body.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty() || label.front() == '-' || label.back() == '-') return false;
        for (char c : label) {
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
            if (!std::isdigit(static_cast<unsigned char>(c))) non_numeric = true;
        }
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return non_numeric;
}

// The vector hostname check (hosts up to 32 octets) agrees with the loop and the reference.
TEST(Addresses, VectorHostnameCheckAgreesWithScalar) {
    const char* hosts[] = {"a", "example.com", "example.com.", "a.b.c.d.e.f.g.h", "a-b.c-d", "-ab.com",
                           "ab-.com", "a..b", ".a.b", "a.-b", "a-.b", "1.2.3.4.5", "3com.example",
                           "a.b.c.d.e.f.g.hh", "x-y-z", "1-2", "9", "1.2", "a.1", "carrier.example.n",
                           "A.EXAMPLE.COM", "abcdefghijklmnop", "abcdefghijklmno-", "abcdefghijklmn.p",
                           "carrier.example.net", "a-very-long-label.example.com", "sub.a-very-long-label.example.org",
                           "abcdefghijklmnopq", "abcdefghijklmnop.", "abcdefghijklmnop..", "abcdefghijklmnop-",
                           "abcdefghijklmnop.-x", "123456789012345678", "1234567890.123456.78a",
                           "abcdefghijklmnopqrstuvwxyz012345", "abcdefghijklmnopqrstuvwxyz01234-",
                           "abcdefghijklmnopqrstuvwxyz0123456", ".bcdefghijklmnopqrstu"};
    for (const char* h : hosts) {
        std::string_view host_short, host_long;
        HostKind kind_short = HostKind::none, kind_long = HostKind::none;
        std::size_t used_short = 0, used_long = 0;
        const Reason short_r = parse_host_prefix(h, used_short, host_short, kind_short);
        const std::string padded = std::string(h) + ";transport=udp;lr";
        const Reason long_r = parse_host_prefix(padded, used_long, host_long, kind_long);
        EXPECT_EQ(short_r, long_r) << h;
        if (short_r == Reason::none && long_r == Reason::none) {
            EXPECT_EQ(kind_short, kind_long) << h;
        }
        if (!is_ipv4_address(h)) {
            EXPECT_EQ(long_r == Reason::none && host_long == h, reference_hostname(h)) << h;
        }
    }
    std::string_view host;
    HostKind kind;
    std::size_t used;
    EXPECT_EQ(parse_host_prefix("a..b;transport=udp;lr", used, host, kind), Reason::bad_host);
    EXPECT_EQ(parse_host_prefix("example.com;transport=udp", used, host, kind), Reason::none);
    EXPECT_EQ(kind, HostKind::name);
    EXPECT_EQ(parse_host_prefix("1.2.3.4.5;transport=udp", used, host, kind), Reason::bad_host);
}

}  // namespace
}  // namespace palisade::sip

namespace palisade::sip {
namespace {

TEST(Uri, PrefixStopsWhereTheGrammarDoes) {
    Uri u;
    std::size_t used = 0;
    const std::string_view v = "sip:alice@example.com;lr>;tag=1";
    ASSERT_EQ(parse_uri_prefix(v, u, used), Reason::none);
    EXPECT_EQ(used, 24u);
    EXPECT_EQ(u.text, "sip:alice@example.com;lr");
    EXPECT_EQ(u.params, "lr");
    EXPECT_EQ(parse_uri(v, u), Reason::bad_uri);  // the whole text is not a URI
    ASSERT_EQ(parse_uri_prefix("isbn:2983792873>", u, used), Reason::none);
    EXPECT_EQ(used, 15u);
    ASSERT_EQ(parse_uri_prefix("tel:+1-201-555-0123>", u, used), Reason::none);
    EXPECT_EQ(u.user, "+1-201-555-0123");
}

}  // namespace
}  // namespace palisade::sip
