// The RFC 4475 and RFC 5118 torture corpora, one test case per file (tests/data, copied byte for
// byte; see tests/data/CORPUS.md). The expectation of every file is written out below, from
// the RFC text (not derived from index.tsv); CoversIndex checks that the table and the index
// name the same files with the same valid/invalid verdict.
//
// What "accepted" means here: Message::parse frames it `ok` and validate_request /
// validate_response return Reason::none with default (RFC 2543-tolerant) options. Where the
// RFC has the application answer something other than success for a syntactically valid
// message, the answer that validation produces is asserted (416, 505) and the answers that
// belong to later stages (420, 415, 483, 501...) are written in the note.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "parsers/sip/message.hpp"
#include "parsers/sip/uri.hpp"
#include "parsers/sip/validate.hpp"
#include "parsers/sip/values.hpp"

namespace palisade::sip {
namespace {

// How the message must end up.
enum class Outcome {
    accept,      // frames ok, validates (Reason::none)
    reject,      // frames ok, validation fails with `reason` and the status in `status`
    incomplete,  // framing says incomplete (over UDP the caller answers 400 / drops)
    malformed,   // framing says malformed
};

struct Case {
    const char* file;  // relative to PALISADE_TEST_DATA
    bool rfc_valid;    // the RFC's own verdict (cross-checked with index.tsv)
    Outcome outcome;
    Reason reason;     // validation reason (reject) or framing reason (Reason::none: any reason)
    int status;        // status_for(reason) for requests; -1: a response, dropped
    Reason strict;     // validate_request with every strict option (requests that frame ok)
    const char* note;
};

constexpr Reason kNone = Reason::none;

// clang-format off
const Case kCases[] = {
    // ---- RFC 4475 §3.1.1: valid messages a parser must accept --------------------------------
    {"rfc4475/wsinv.sip", true, Outcome::accept, kNone, 0, Reason::bad_branch,
     "§3.1.1.1 folding, LWS everywhere, leading zeros; its branch 390skdjuw has no cookie"},
    {"rfc4475/intmeth.sip", true, Outcome::accept, kNone, 0, kNone,
     "§3.1.1.2 extension method; endpoint answers 501 (not validation's job)"},
    {"rfc4475/esc01.sip", true, Outcome::accept, kNone, 0, kNone, "§3.1.1.3 %-escapes"},
    {"rfc4475/escnull.sip", true, Outcome::accept, kNone, 0, kNone, "§3.1.1.4 %00 in user parts"},
    {"rfc4475/esc02.sip", true, Outcome::accept, kNone, 0, kNone,
     "§3.1.1.5 RE%47IST%45R is an unknown method; endpoint answers 501"},
    {"rfc4475/lwsdisp.sip", true, Outcome::accept, kNone, 0, kNone, "§3.1.1.6 caller<sip:...>"},
    {"rfc4475/longreq.sip", true, Outcome::accept, kNone, 0, Reason::bad_branch,
     "§3.1.1.7 long values, 34 Vias; top branch has no cookie"},
    {"rfc4475/dblreq.sip", true, Outcome::accept, kNone, 0, kNone,
     "§3.1.1.8 the 450 trailing octets are ignored (Content-Length: 0)"},
    {"rfc4475/semiuri.sip", true, Outcome::accept, kNone, 0, kNone, "§3.1.1.9 ';' in the user part"},
    {"rfc4475/transports.sip", true, Outcome::accept, kNone, 0, kNone, "§3.1.1.10 UNKNOWN transport"},
    {"rfc4475/mpart01.sip", true, Outcome::accept, kNone, 0, kNone, "§3.1.1.11 binary multipart body"},
    {"rfc4475/unreason.sip", true, Outcome::accept, kNone, 0, kNone, "§3.1.1.12 UTF-8 reason phrase"},
    {"rfc4475/noreason.sip", true, Outcome::accept, kNone, 0, kNone, "§3.1.1.13 empty reason phrase"},
    // ---- RFC 4475 §3.1.2: invalid messages -------------------------------------------------
    {"rfc4475/badinv01.sip", false, Outcome::reject, Reason::bad_via, 400, Reason::bad_via,
     "§3.1.2.1 ';;,;,,' in Via, ';;;;' in Contact: 400"},
    {"rfc4475/clerr.sip", false, Outcome::incomplete, Reason::content_length_exceeds_datagram, 400, kNone,
     "§3.1.2.2 Content-Length 9999: over UDP 400"},
    {"rfc4475/ncl.sip", false, Outcome::malformed, Reason::bad_content_length, 400, kNone,
     "§3.1.2.3 Content-Length -999"},
    {"rfc4475/scalar02.sip", false, Outcome::reject, Reason::bad_cseq, 400, Reason::bad_cseq,
     "§3.1.2.4 CSeq > 2^32-1 (also Max-Forwards 300, Expires and Contact expires overlarge): 400"},
    {"rfc4475/scalarlg.sip", false, Outcome::reject, Reason::bad_cseq, -1, kNone,
     "§3.1.2.5 response with overlarge CSeq, Retry-After, Warning code: dropped"},
    {"rfc4475/quotbal.sip", false, Outcome::reject, Reason::bad_to, 400, Reason::bad_to,
     "§3.1.2.6 unterminated quote in To display name: 400"},
    {"rfc4475/ltgtruri.sip", false, Outcome::reject, Reason::bad_request_uri, 400, Reason::bad_request_uri,
     "§3.1.2.7 Request-URI in <>: 400"},
    {"rfc4475/lwsruri.sip", false, Outcome::malformed, kNone, 400, kNone,
     "§3.1.2.8 LWS inside the Request-URI: the request line has four parts"},
    {"rfc4475/lwsstart.sip", false, Outcome::malformed, kNone, 400, kNone,
     "§3.1.2.9 two SP in the request line"},
    {"rfc4475/trws.sip", false, Outcome::malformed, kNone, 400, kNone,
     "§3.1.2.10 SP after SIP/2.0"},
    {"rfc4475/escruri.sip", false, Outcome::reject, Reason::request_uri_has_headers, 400,
     Reason::request_uri_has_headers, "§3.1.2.11 ?Route= in the Request-URI: refused, never forwarded"},
    {"rfc4475/baddate.sip", false, Outcome::reject, Reason::bad_date, 400, Reason::bad_date,
     "§3.1.2.12 Date in EST"},
    {"rfc4475/regbadct.sip", false, Outcome::reject, Reason::bad_contact, 400, Reason::bad_contact,
     "§3.1.2.13 Contact addr-spec with URI headers, not in <>"},
    {"rfc4475/badaspec.sip", false, Outcome::reject, Reason::bad_to, 400, Reason::bad_to,
     "§3.1.2.14 spaces inside <> of To"},
    {"rfc4475/baddn.sip", false, Outcome::incomplete, Reason::headers_unterminated, 400, kNone,
     "§3.1.2.15 archive copy lacks the final CRLF; extras/baddn.terminated.sip is the message"},
    {"rfc4475/badvers.sip", false, Outcome::reject, Reason::unsupported_version, 505,
     Reason::unsupported_version, "§3.1.2.16 SIP/7.0: 505"},
    {"rfc4475/mismatch01.sip", false, Outcome::reject, Reason::cseq_method_mismatch, 400,
     Reason::cseq_method_mismatch, "§3.1.2.17 OPTIONS with CSeq INVITE: 400"},
    {"rfc4475/mismatch02.sip", false, Outcome::reject, Reason::cseq_method_mismatch, 400,
     Reason::cseq_method_mismatch,
     "§3.1.2.18 NEWMETHOD with CSeq INVITE: 400 (the RFC prefers 501, 400 acceptable)"},
    {"rfc4475/bigcode.sip", false, Outcome::malformed, Reason::bad_status_code, -1, kNone,
     "§3.1.2.19 status code 4294967301: dropped"},
    // ---- RFC 4475 §3.2 ------------------------------------------------------------------------
    {"rfc4475/badbranch.sip", true, Outcome::accept, kNone, 0, Reason::bad_branch,
     "§3.2.1 branch is the bare cookie: accepted as RFC 2543 by default, 400 when strict"},
    // ---- RFC 4475 §3.3 ------------------------------------------------------------------------
    {"rfc4475/insuf.sip", false, Outcome::reject, Reason::missing_from, 400, Reason::missing_from,
     "§3.3.1 no Call-ID, From, To: 400"},
    {"rfc4475/unkscm.sip", true, Outcome::reject, Reason::unsupported_uri_scheme, 416,
     Reason::unsupported_uri_scheme, "§3.3.2 parses; the element answers 416"},
    {"rfc4475/novelsc.sip", true, Outcome::reject, Reason::unsupported_uri_scheme, 416,
     Reason::unsupported_uri_scheme, "§3.3.3 soap.beep: never meaningful here: 416"},
    {"rfc4475/unksm2.sip", true, Outcome::accept, kNone, 0, kNone,
     "§3.3.4 isbn:/http:/name: URIs in To/From/Contact parse; a registrar answers 400"},
    {"rfc4475/bext01.sip", true, Outcome::accept, kNone, 0, kNone,
     "§3.3.5 unknown Require/Proxy-Require: 420 from the option-tag stage"},
    {"rfc4475/invut.sip", true, Outcome::accept, kNone, 0, kNone,
     "§3.3.6 unknown body type: an endpoint answers 415, a proxy forwards"},
    {"rfc4475/regaut01.sip", true, Outcome::accept, kNone, 0, kNone,
     "§3.3.7 unknown auth scheme: parses; a registrar doing auth answers 401"},
    {"rfc4475/multi01.sip", false, Outcome::reject, Reason::duplicate_from, 400, Reason::duplicate_from,
     "§3.3.8 two From/To/Call-ID/CSeq: 400"},
    {"rfc4475/mcl01.sip", false, Outcome::malformed, Reason::conflicting_content_length, 400, kNone,
     "§3.3.9 two different Content-Length values: framing error"},
    {"rfc4475/bcast.sip", true, Outcome::accept, kNone, 0, kNone,
     "§3.3.10 response with a broadcast 2nd Via: parses; a proxy drops it (routing stage)"},
    {"rfc4475/zeromf.sip", true, Outcome::accept, kNone, 0, kNone,
     "§3.3.11 Max-Forwards 0: a proxy answers 483 (proxy stage), a UAS processes it"},
    {"rfc4475/cparam01.sip", true, Outcome::accept, kNone, 0, kNone, "§3.3.12 contact param"},
    {"rfc4475/cparam02.sip", true, Outcome::accept, kNone, 0, kNone, "§3.3.13 URI param in <>"},
    {"rfc4475/regescrt.sip", true, Outcome::accept, kNone, 0, kNone, "§3.3.14 escaped Route in <>"},
    {"rfc4475/sdp01.sip", true, Outcome::accept, kNone, 0, kNone,
     "§3.3.15 Accept without SDP: 406 or 400 from the endpoint"},
    // ---- RFC 4475 §3.4 ------------------------------------------------------------------------
    {"rfc4475/inv2543.sip", true, Outcome::accept, kNone, 0, Reason::bad_branch,
     "§3.4.1 RFC 2543 INVITE: accepted by default, refused by a strict policy"},
    // ---- RFC 4475 archive extras (tests/data/CORPUS.md) ---------------------------------------
    {"rfc4475/extras/baddn.terminated.sip", false, Outcome::reject, Reason::bad_from, 400, Reason::bad_from,
     "§3.1.2.15 with its final CRLF: unquoted 'Bell, Alexander' display name: 400"},
    {"rfc4475/extras/test.sip", false, Outcome::malformed, kNone, 400, kNone,
     "archive file no section describes; malformed"},
    // ---- RFC 5118 -----------------------------------------------------------------------------
    {"rfc5118/ipv6-good.sip", true, Outcome::accept, kNone, 0, kNone, "§4.1"},
    {"rfc5118/ipv6-bad.sip", false, Outcome::reject, Reason::bad_request_uri, 400, Reason::bad_request_uri,
     "§4.2 sip:2001:db8::10 without []: 400"},
    {"rfc5118/port-ambiguous.sip", true, Outcome::accept, kNone, 0, kNone, "§4.3 [..:5070] one address"},
    {"rfc5118/port-unambiguous.sip", true, Outcome::accept, kNone, 0, kNone, "§4.4 [..]:5070"},
    {"rfc5118/via-received-param-with-delim.sip", true, Outcome::accept, kNone, 0, kNone,
     "§4.5 received=[...]"},
    {"rfc5118/via-received-param-no-delim.sip", true, Outcome::accept, kNone, 0, kNone,
     "§4.5 received= bare IPv6"},
    {"rfc5118/ipv6-in-sdp.sip", true, Outcome::accept, kNone, 0, kNone, "§4.6"},
    {"rfc5118/mult-ip-in-header.sip", true, Outcome::accept, kNone, 0, kNone, "§4.7"},
    {"rfc5118/mult-ip-in-sdp.sip", true, Outcome::accept, kNone, 0, kNone, "§4.8"},
    {"rfc5118/ipv4-mapped-ipv6.sip", true, Outcome::accept, kNone, 0, kNone, "§4.9"},
    {"rfc5118/ipv6-bug-abnf-3-colons.sip", true, Outcome::accept, kNone, 0, kNone,
     "§4.10 [2001:db8:::192.0.2.1] tolerated (decision documented in uri.hpp)"},
    {"rfc5118/ipv6-correct-abnf-2-colons.sip", true, Outcome::accept, kNone, 0, kNone, "§4.10"},
};
// clang-format on

std::string data_dir() {
    const char* d = std::getenv("PALISADE_TEST_DATA");
    return d ? d : "tests/data";
}

std::string load(const std::string& rel) {
    std::ifstream in(data_dir() + "/" + rel, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string test_name(const testing::TestParamInfo<Case>& info) {
    std::string s = info.param.file;
    for (char& c : s)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    if (s.size() > 4 && s.substr(s.size() - 4) == "_sip") s.resize(s.size() - 4);
    return s;
}

ValidateOptions strict_options() {
    ValidateOptions o;
    o.require_rfc3261_branch = true;
    o.require_max_forwards = true;
    o.require_content_length = true;
    return o;
}

class CorpusTest : public testing::TestWithParam<Case> {};

TEST_P(CorpusTest, FramesAndValidatesAsTheRfcSays) {
    const Case& c = GetParam();
    const std::string bytes = load(c.file);
    ASSERT_FALSE(bytes.empty()) << "cannot read " << data_dir() << "/" << c.file;
    Message msg;
    const ParseStatus st = msg.parse(bytes);
    SCOPED_TRACE(c.note);
    switch (c.outcome) {
    case Outcome::incomplete:
    case Outcome::malformed:
        EXPECT_EQ(st, c.outcome == Outcome::incomplete ? ParseStatus::incomplete : ParseStatus::malformed)
            << "framing reason: " << reason_name(msg.reason());
        EXPECT_NE(msg.reason(), Reason::none);
        if (c.reason != kNone) {
            EXPECT_EQ(reason_name(msg.reason()), reason_name(c.reason));
        }
        return;
    case Outcome::accept:
    case Outcome::reject:
        break;
    }
    ASSERT_EQ(st, ParseStatus::ok) << "framing reason: " << reason_name(msg.reason());
    const Reason r = msg.is_request() ? validate_request(msg) : validate_response(msg);
    EXPECT_EQ(reason_name(r), reason_name(c.reason));
    if (msg.is_request()) {
        EXPECT_EQ(status_for(r), c.status);
        EXPECT_EQ(reason_name(validate_request(msg, strict_options())), reason_name(c.strict));
    } else {
        EXPECT_EQ(c.status, c.outcome == Outcome::accept ? 0 : -1) << "table: responses are dropped";
    }
}

INSTANTIATE_TEST_SUITE_P(Rfc, CorpusTest, testing::ValuesIn(kCases), test_name);

// Reads one index.tsv: file -> valid?
std::vector<std::pair<std::string, bool>> read_index(const std::string& dir) {
    std::vector<std::pair<std::string, bool>> out;
    std::ifstream in(data_dir() + "/" + dir + "/index.tsv");
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
        if (header) {
            header = false;
            continue;
        }
        if (line.empty()) continue;
        const auto t1 = line.find('\t');
        const auto t2 = line.find('\t', t1 + 1);
        const auto t3 = line.find('\t', t2 + 1);
        if (t1 == std::string::npos || t2 == std::string::npos || t3 == std::string::npos) continue;
        out.emplace_back(dir + "/" + line.substr(0, t1), line.substr(t2 + 1, t3 - t2 - 1) == "valid");
    }
    return out;
}

TEST(CorpusTable, CoversIndex) {
    std::set<std::string> table;
    for (const Case& c : kCases) EXPECT_TRUE(table.insert(c.file).second) << "twice: " << c.file;
    std::size_t indexed = 0;
    for (const char* dir : {"rfc4475", "rfc5118"}) {
        for (const auto& [file, valid] : read_index(dir)) {
            ++indexed;
            bool found = false;
            for (const Case& c : kCases) {
                if (file == c.file) {
                    found = true;
                    EXPECT_EQ(c.rfc_valid, valid) << file << ": table and index disagree";
                }
            }
            EXPECT_TRUE(found) << file << " is in the index but not in the table";
        }
    }
    EXPECT_EQ(indexed, 49u + 12u);  // RFC 4475 has 49 messages, RFC 5118 has 12
    // Every .sip file on disk (extras included) is in the table, and the other way round.
    std::size_t on_disk = 0;
    for (const char* dir : {"rfc4475", "rfc4475/extras", "rfc5118"}) {
        for (const auto& e : std::filesystem::directory_iterator(data_dir() + "/" + dir)) {
            if (e.path().extension() != ".sip") continue;
            ++on_disk;
            const std::string rel = std::string(dir) + "/" + e.path().filename().string();
            EXPECT_TRUE(table.count(rel)) << rel << " on disk but not in the table";
        }
    }
    EXPECT_EQ(on_disk, table.size());
}

// Spot checks that the valid corpus files also parse field by field (what the proxy reads).
TEST(CorpusFields, ValidRequestsExposeTheirFields) {
    for (const Case& c : kCases) {
        if (c.outcome != Outcome::accept) continue;
        const std::string bytes = load(c.file);
        Message msg;
        ASSERT_EQ(msg.parse(bytes), ParseStatus::ok) << c.file;
        SCOPED_TRACE(c.file);
        bool top = true;
        for (std::string_view v : msg.values(HeaderId::via)) {
            Via via;
            EXPECT_EQ(parse_via(v, via), Reason::none) << v;
            if (top) {
                EXPECT_FALSE(via.host.empty());
            }
            top = false;
        }
        NameAddr from, to;
        EXPECT_EQ(parse_name_addr(msg.find(HeaderId::from)->value, from), Reason::none);
        EXPECT_EQ(parse_name_addr(msg.find(HeaderId::to)->value, to), Reason::none);
        for (std::string_view v : msg.values(HeaderId::contact)) {
            ContactValue cv;
            EXPECT_EQ(parse_contact(v, cv), Reason::none) << v;
        }
        CSeq cseq;
        EXPECT_EQ(parse_cseq(msg.find(HeaderId::cseq)->value, cseq), Reason::none);
        if (msg.is_request()) {
            Uri uri;
            EXPECT_EQ(parse_uri(msg.request_uri(), uri), Reason::none) << msg.request_uri();
        }
    }
}

// RFC-specific facts the corpus files carry (RFC 4475 §3.1.1.9, §3.3.12, §3.3.13, RFC 5118).
Message parsed(const std::string& bytes) {
    Message m;
    EXPECT_EQ(m.parse(bytes), ParseStatus::ok);
    return m;
}

TEST(CorpusFields, SemiUriUserKeepsItsSemicolon) {
    const std::string b = load("rfc4475/semiuri.sip");
    const Message m = parsed(b);
    Uri u;
    ASSERT_EQ(parse_uri(m.request_uri(), u), Reason::none);
    EXPECT_EQ(u.user, "user;par=u%40example.net");
    EXPECT_EQ(u.host, "example.com");
    char buf[64];
    const std::size_t n = unescape(u.user, buf);
    EXPECT_EQ(std::string_view(buf, n), "user;par=u@example.net");
}

TEST(CorpusFields, Cparam01ParamIsAContactParam) {
    const std::string b = load("rfc4475/cparam01.sip");
    const Message m = parsed(b);
    ContactValue c;
    ASSERT_EQ(parse_contact(*m.values(HeaderId::contact).begin(), c), Reason::none);
    EXPECT_FALSE(c.addr.bracketed);
    EXPECT_FALSE(c.addr.uri.has_param("unknownparam"));
    Param p;
    EXPECT_TRUE(find_param(c.addr.params, "unknownparam", p));
}

TEST(CorpusFields, Cparam02ParamIsAUriParam) {
    const std::string b = load("rfc4475/cparam02.sip");
    const Message m = parsed(b);
    ContactValue c;
    ASSERT_EQ(parse_contact(*m.values(HeaderId::contact).begin(), c), Reason::none);
    EXPECT_TRUE(c.addr.bracketed);
    EXPECT_TRUE(c.addr.uri.has_param("unknownparam"));
}

TEST(CorpusFields, PortAmbiguousIsOneAddress) {
    const std::string b = load("rfc5118/port-ambiguous.sip");
    const Message m = parsed(b);
    Uri u;
    ASSERT_EQ(parse_uri(m.request_uri(), u), Reason::none);
    EXPECT_EQ(u.host_kind, HostKind::ipv6);
    EXPECT_EQ(u.host, "2001:db8::10:5070");
    EXPECT_EQ(u.port, 0);
    const std::string b2 = load("rfc5118/port-unambiguous.sip");
    const Message m2 = parsed(b2);
    ASSERT_EQ(parse_uri(m2.request_uri(), u), Reason::none);
    EXPECT_EQ(u.host, "2001:db8::10");
    EXPECT_EQ(u.port, 5070);
}

TEST(CorpusFields, ReceivedWithAndWithoutBrackets) {
    for (const char* f : {"rfc5118/via-received-param-with-delim.sip",
                          "rfc5118/via-received-param-no-delim.sip"}) {
        const std::string b = load(f);
        const Message m = parsed(b);
        Via v;
        ASSERT_EQ(parse_via(*m.values(HeaderId::via).begin(), v), Reason::none) << f;
        EXPECT_NE(v.received.find("2001:db8::9:255"), std::string_view::npos) << f;
        EXPECT_FALSE(v.branch.empty()) << f;
    }
}

TEST(CorpusFields, Scalar02EveryOverlargeScalarIsRefused) {
    const std::string b = load("rfc4475/scalar02.sip");
    const Message m = parsed(b);
    std::uint32_t x = 0;
    EXPECT_EQ(parse_max_forwards(m.find(HeaderId::max_forwards)->value, x), Reason::bad_max_forwards);
    EXPECT_EQ(parse_uint32(m.find(HeaderId::expires)->value, x), Reason::bad_number);
    ContactValue c;
    EXPECT_EQ(parse_contact(*m.values(HeaderId::contact).begin(), c), Reason::bad_expires);
}

TEST(CorpusFields, ScalarlgRetryAfterAndWarningAreRefused) {
    const std::string b = load("rfc4475/scalarlg.sip");
    const Message m = parsed(b);
    RetryAfter ra;
    EXPECT_EQ(parse_retry_after(m.find(HeaderId::retry_after)->value, ra), Reason::bad_retry_after);
}

TEST(CorpusFields, QuotbalIsAnUnterminatedQuote) {
    const std::string b = load("rfc4475/quotbal.sip");
    const Message m = parsed(b);
    NameAddr na;
    EXPECT_EQ(parse_name_addr(m.find(HeaderId::to)->value, na), Reason::unterminated_quote);
}

TEST(CorpusFields, Unksm2RegistrarRefusesNonSipAor) {
    // RFC 4475 §3.3.4: proxies treat it as any request; a registrar answers 400.
    const std::string b = load("rfc4475/unksm2.sip");
    const Message m = parsed(b);
    EXPECT_EQ(validate_request(m), Reason::none);
    EXPECT_EQ(reason_name(validate_register(m)), reason_name(Reason::register_aor_not_sip));
    EXPECT_EQ(status_for(validate_register(m)), 400);
}

TEST(CorpusFields, RegisterMessagesPassRegistrarChecks) {
    for (const char* f : {"rfc4475/escnull.sip", "rfc4475/cparam01.sip", "rfc4475/cparam02.sip",
                          "rfc4475/regescrt.sip", "rfc4475/regaut01.sip", "rfc4475/dblreq.sip"}) {
        const std::string b = load(f);
        const Message m = parsed(b);
        EXPECT_EQ(reason_name(validate_register(m)), reason_name(Reason::none)) << f;
    }
}

TEST(CorpusFields, Regaut01UnknownSchemeParses) {
    const std::string b = load("rfc4475/regaut01.sip");
    const Message m = parsed(b);
    DigestCredentials cr;
    ASSERT_EQ(parse_credentials(m.find(HeaderId::authorization)->value, cr), Reason::none);
    EXPECT_EQ(cr.scheme, "NoOneKnowsThisScheme");
    EXPECT_TRUE(cr.username.empty());
}

}  // namespace
}  // namespace palisade::sip
