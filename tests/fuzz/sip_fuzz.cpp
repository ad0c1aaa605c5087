// libFuzzer target: the SIP message view, every typed value parser, validation, the builder
// and the edit list (parsers/sip/).
//
// The input is one datagram. Message::parse frames it; then every typed view runs on every
// header it finds (each value parser on every field value and every comma-separated value, not
// only on the header it is meant for: the parsers must survive any text a header can hold), and
// every slice they return is checked to lie inside the input and read (so ASan also sees a wild
// length). Invariants, each a __builtin_trap() when broken:
//   - framing: body and header fields inside the datagram, in order, counts consistent;
//   - every slice from a value parser lies inside the value it was given;
//   - a small edit list (replace a value, erase a field, append a field, append to the body)
//     applies, and its output frames again with the new body length;
//   - a response built to a request that validates frames again.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string_view>
#include <vector>

#include "parsers/sdp/filter.hpp"
#include "parsers/sdp/sdp.hpp"
#include "parsers/sip/builder.hpp"
#include "parsers/sip/edit_list.hpp"
#include "parsers/sip/message.hpp"
#include "parsers/sip/uri.hpp"
#include "parsers/sip/validate.hpp"
#include "parsers/sip/values.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using namespace palisade::sip;

void check_params(std::string_view params, std::string_view in) {
    touch(params, in);
    int n = 0;
    for (const Param& p : ParamRange(params)) {
        touch(p.name, in);
        touch(p.value, in);
        touch(unquote(p.value), in);
        if (++n > 4096) __builtin_trap();  // must terminate
    }
    (void)params_well_formed(params);
    Param p;
    if (find_param(params, "tag", p)) {
        touch(p.name, in);
        touch(p.value, in);
    }
}

// What a parsed host says about itself must hold (RFC 3261 §25.1 host, RFC 5118).
void check_host(std::string_view host, HostKind kind) {
    if (kind == HostKind::ipv4) FUZZ_CHECK(is_ipv4_address(host));
    if (kind == HostKind::ipv6) FUZZ_CHECK(is_ipv6_address(host));
    if (kind != HostKind::none) FUZZ_CHECK(!host.empty());
}

void check_port(std::string_view port_text, std::uint16_t port) {
    if (port_text.empty()) return;
    std::uint32_t v = 0;
    for (char c : port_text) {
        FUZZ_CHECK(c >= '0' && c <= '9');
        v = v * 10 + static_cast<std::uint32_t>(c - '0');
        FUZZ_CHECK(v <= 65535);
    }
    FUZZ_CHECK(v == port);
}

void check_uri(const Uri& u, std::string_view in) {
    if (u.scheme == UriScheme::sip || u.scheme == UriScheme::sips) {
        FUZZ_CHECK(!u.host.empty());  // RFC 3261 §19.1.1: the host is mandatory
        check_host(u.host, u.host_kind);
        check_port(u.port_text, u.port);
    }
    touch(u.text, in);
    touch(u.scheme_text, in);
    touch(u.opaque, in);
    touch(u.user, in);
    touch(u.password, in);
    touch(u.host, in);
    touch(u.port_text, in);
    touch(u.params, in);
    touch(u.headers, in);
    touch(u.param("transport"), in);
    (void)u.has_param("lr");
    touch(u.hostport(), in);
    check_params(u.params, in);
    char buf[512];
    for (std::string_view part : {u.user, u.password, u.params, u.headers}) {
        const std::size_t n = unescape(part, std::span<char>(buf, sizeof buf));
        FUZZ_CHECK(n == static_cast<std::size_t>(-1) || n <= part.size());
    }
}

void check_name_addr(const NameAddr& a, std::string_view in) {
    touch(a.display_name, in);
    touch(a.uri_text, in);
    touch(a.params, in);
    touch(a.tag, in);
    check_uri(a.uri, in);
    check_params(a.params, in);
}

// Every parser that takes one comma-separated value.
void parse_value(std::string_view v, std::string_view in) {
    touch(v, in);
    Via via;
    if (parse_via(v, via) == Reason::none) {
        for (std::string_view s : {via.protocol, via.transport, via.sent_by, via.host, via.branch,
                                   via.received, via.maddr, via.params})
            touch(s, v);
        FUZZ_CHECK(!via.host.empty());
        check_host(via.host, via.host_kind);
        (void)branch_is_rfc3261(via.branch);
        check_params(via.params, v);
    }
    NameAddr na;
    if (parse_name_addr(v, na) == Reason::none) check_name_addr(na, v);
    ContactValue cv;
    if (parse_contact(v, cv) == Reason::none) {
        check_name_addr(cv.addr, v);
        touch(cv.q, v);
    }
    ReasonHeader rh;
    if (parse_reason(v, rh) == Reason::none) {
        touch(rh.protocol, v);
        touch(rh.text, v);
        touch(rh.params, v);
    }
    Uri u;
    if (parse_uri(v, u) == Reason::none) check_uri(u, v);
    std::string_view host;
    HostKind kind{};
    if (parse_host(v, host, kind) == Reason::none) touch(host, v);
    (void)is_ipv6_address(v);
    (void)is_ipv4_address(v);
    SessionExpires se;
    if (parse_session_expires(v, se) == Reason::none) touch(se.params, v);
    MediaType mt;
    if (parse_media_type(v, mt) == Reason::none) {
        touch(mt.type, v);
        touch(mt.subtype, v);
        touch(mt.params, v);
        (void)mt.is("application", "sdp");
    }
}

// Every parser that takes a whole field value.
void parse_field_value(std::string_view v, std::string_view in) {
    touch(v, in);
    DigestCredentials dc;
    if (parse_credentials(v, dc) == Reason::none) {
        for (std::string_view s :
             {dc.scheme, dc.username, dc.realm, dc.nonce, dc.uri, dc.response, dc.algorithm,
              dc.cnonce, dc.opaque, dc.qop, dc.nc_text, dc.userhash, dc.params})
            touch(s, v);
    }
    DigestChallenge ch;
    if (parse_challenge(v, ch) == Reason::none) {
        for (std::string_view s : {ch.scheme, ch.realm, ch.nonce, ch.opaque, ch.algorithm, ch.qop,
                                   ch.domain, ch.charset, ch.userhash, ch.params})
            touch(s, v);
        int n = 0;
        AuthParamRange range(ch.params);
        for (auto it = range.begin(); it != range.end(); ++it) {
            touch(it->name, v);
            touch(it->value, v);
            if (++n > 4096) __builtin_trap();
        }
    }
    CSeq cs;
    if (parse_cseq(v, cs) == Reason::none) {
        touch(cs.method_text, v);
        FUZZ_CHECK(method_from(cs.method_text) == cs.method);
    }
    std::uint32_t u32 = 0;
    if (parse_max_forwards(v, u32) == Reason::none) FUZZ_CHECK(u32 <= 255);
    (void)parse_uint32(v, u32);
    RetryAfter ra;
    if (parse_retry_after(v, ra) == Reason::none) {
        touch(ra.comment, v);
        touch(ra.params, v);
    }
    (void)has_token(v, "100rel");
    (void)has_token(v, "id", true);
}

void check_message(const Message& msg, std::string_view in) {
    touch(msg.data(), in);
    touch(msg.start_line(), in);
    touch(msg.method_text(), in);
    touch(msg.request_uri(), in);
    touch(msg.version(), in);
    touch(msg.reason_phrase(), in);
    if (msg.status() != ParseStatus::ok) return;

    FUZZ_CHECK(msg.data().data() == in.data() && msg.data().size() == in.size());
    FUZZ_CHECK(msg.size() <= in.size());
    FUZZ_CHECK(msg.headers_end() <= msg.size());
    touch(msg.body(), in);
    FUZZ_CHECK(msg.body().empty() || msg.body().data() == in.data() + msg.headers_end());
    FUZZ_CHECK(msg.headers_end() + msg.body().size() == msg.size());
    FUZZ_CHECK(msg.header_count() <= Message::kMaxHeaders);
    if (msg.is_request()) {
        FUZZ_CHECK(msg.status_code() == 0);
        FUZZ_CHECK(msg.method() == Method::unknown ||
                   method_name(msg.method()) == msg.method_text());
    } else {
        FUZZ_CHECK(msg.status_code() >= 100 && msg.status_code() <= 699);
    }

    const char* prev_end = msg.start_line().data() + msg.start_line().size();
    std::size_t per_id[static_cast<std::size_t>(HeaderId::count)] = {};
    for (std::size_t i = 0; i < msg.header_count(); ++i) {
        const HeaderField& f = msg.header(i);
        touch(f.line, in);
        touch(f.name, f.line);
        touch(f.value, f.line);
        FUZZ_CHECK(f.line.data() >= prev_end);  // fields in order, not overlapping
        prev_end = f.line.data() + f.line.size();
        FUZZ_CHECK(prev_end <= in.data() + msg.headers_end());
        FUZZ_CHECK(f.name.data() == f.line.data());
        FUZZ_CHECK(f.line.size() >= 2 && f.line.substr(f.line.size() - 2) == "\r\n");
        FUZZ_CHECK(static_cast<std::size_t>(f.id) < static_cast<std::size_t>(HeaderId::count));
        FUZZ_CHECK(header_id(f.name) == f.id);
        ++per_id[static_cast<std::size_t>(f.id)];
        const HeaderField* by_name = msg.find(f.name);
        FUZZ_CHECK(by_name != nullptr && by_name->id == f.id);
        parse_field_value(f.value, f.line);
    }
    for (std::size_t id = 0; id < static_cast<std::size_t>(HeaderId::count); ++id) {
        const auto hid = static_cast<HeaderId>(id);
        FUZZ_CHECK(msg.count(hid) == per_id[id]);
        std::size_t n = 0;
        for (const HeaderField& f : msg.fields(hid)) {
            FUZZ_CHECK(f.id == hid);
            if (n == 0) FUZZ_CHECK(&f == msg.find(hid));
            ++n;
        }
        FUZZ_CHECK(n == per_id[id]);
        if (n == 0) FUZZ_CHECK(msg.find(hid) == nullptr);
        std::size_t values = 0;
        if (hid != HeaderId::unknown) FUZZ_CHECK(msg.find(header_name(hid)) == msg.find(hid));
        for (std::string_view v : msg.values(hid)) {
            // Values are trimmed of LWS (message.hpp, ValueRange).
            if (!v.empty()) {
                for (char c : {v.front(), v.back()})
                    FUZZ_CHECK(c != ' ' && c != '\t' && c != '\r' && c != '\n');
            }
            parse_value(v, in);
            if (++values > in.size() + 1) __builtin_trap();  // must terminate
        }
        (void)has_token(msg, hid, "timer");
    }
    (void)header_name(HeaderId::via);

    Uri ruri;
    if (msg.is_request() && parse_uri(msg.request_uri(), ruri) == Reason::none)
        check_uri(ruri, msg.request_uri());
}

// What validation promises (validate.hpp) must hold for the value parsers too: a message that
// validates has exactly one From, To, Call-ID and CSeq, all parsable, and a parsable top Via.
void check_validated(const Message& msg) {
    for (HeaderId id : {HeaderId::from, HeaderId::to, HeaderId::call_id, HeaderId::cseq})
        FUZZ_CHECK(msg.count(id) == 1);
    FUZZ_CHECK(msg.find(HeaderId::via) != nullptr);
    const std::string_view top_via = *msg.values(HeaderId::via).begin();
    Via via;
    FUZZ_CHECK(parse_via(top_via, via) == Reason::none);
    CSeq cs;
    FUZZ_CHECK(parse_cseq(msg.find(HeaderId::cseq)->value, cs) == Reason::none);
    if (msg.is_request()) FUZZ_CHECK(cs.method_text == msg.method_text());  // §8.2.1 ... CSeq
    NameAddr na;
    FUZZ_CHECK(parse_name_addr(msg.find(HeaderId::from)->value, na) == Reason::none);
    FUZZ_CHECK(parse_name_addr(msg.find(HeaderId::to)->value, na) == Reason::none);
    if (msg.is_request()) {
        Uri u;
        FUZZ_CHECK(parse_uri(msg.request_uri(), u) == Reason::none);
    }
}

void check_validate_and_build(const Message& msg, std::string_view in) {
    if (msg.status() != ParseStatus::ok) return;
    if (!msg.is_request()) {
        const Reason rr = validate_response(msg);
        (void)status_for(rr);
        if (rr == Reason::none) check_validated(msg);
        return;
    }
    ValidateOptions strict;
    strict.require_rfc3261_branch = true;
    strict.require_max_forwards = true;
    strict.require_content_length = true;
    strict.restrict_uri_scheme = true;
    (void)validate_request(msg, strict);
    const Reason r = validate_request(msg);
    const int code = status_for(r);
    FUZZ_CHECK(r == Reason::none ? code == 0 : code >= 400 && code <= 699);
    if (r != Reason::none) return;
    check_validated(msg);
    // A response to a valid request frames again (RFC 3261 §8.2.6.2 copies Via, From, To,
    // Call-ID and CSeq as written).
    std::vector<char> out(in.size() + 512);
    const std::size_t n =
        build_response(msg, 404, "Not Found", "abc123", "Allow: INVITE\r\n", {}, out);
    if (n == 0) return;
    FUZZ_CHECK(n <= out.size());
    Message resp;
    FUZZ_CHECK(resp.parse(std::string_view(out.data(), n)) == ParseStatus::ok);
    FUZZ_CHECK(resp.status_code() == 404);
}

// An empty edit list reproduces the message: same start line, fields and body (Content-Length
// is rewritten, or added when absent).
void check_identity(const Message& msg, std::string_view in) {
    if (msg.status() != ParseStatus::ok || msg.header_count() + 1 > Message::kMaxHeaders) return;
    EditList none;
    std::vector<char> out(in.size() + 64);
    const std::size_t n = none.apply(msg, out);
    FUZZ_CHECK(n != 0);
    Message again;
    FUZZ_CHECK(again.parse(std::string_view(out.data(), n)) == ParseStatus::ok);
    FUZZ_CHECK(again.start_line() == msg.start_line());
    FUZZ_CHECK(again.body() == msg.body());
    FUZZ_CHECK(again.header_count() == msg.header_count() + (msg.has_content_length() ? 0 : 1));
    for (std::size_t i = 0; i < msg.header_count(); ++i) {
        if (msg.header(i).id == HeaderId::content_length) continue;
        FUZZ_CHECK(again.header(i).line == msg.header(i).line);
    }
}

void check_edits(const Message& msg, std::string_view in) {
    // Room for the appended field and a Content-Length apply() may add.
    if (msg.status() != ParseStatus::ok || msg.header_count() == 0 ||
        msg.header_count() + 2 > Message::kMaxHeaders)
        return;
    EditList edits;
    const HeaderField& first = msg.header(0);
    const HeaderField& last = msg.header(msg.header_count() - 1);
    // Only edits that cannot overlap each other or a Content-Length value.
    const bool first_is_cl = first.id == HeaderId::content_length;
    const bool last_is_cl = last.id == HeaderId::content_length;
    if (!first_is_cl) FUZZ_CHECK(edits.replace(first.value, "x"));
    if (msg.header_count() > 1 && !last_is_cl) FUZZ_CHECK(edits.remove_field(last));
    FUZZ_CHECK(edits.append_field("X-Fuzz: 1\r\n"));
    const char* body_end = in.data() + msg.size();
    FUZZ_CHECK(edits.insert(body_end, "tail"));
    std::vector<char> out(in.size() + 256);
    const std::size_t n = edits.apply(msg, out);
    FUZZ_CHECK(n != 0);
    FUZZ_CHECK(n <= out.size());
    Message again;
    const ParseStatus st = again.parse(std::string_view(out.data(), n));
    FUZZ_CHECK(st == ParseStatus::ok);
    FUZZ_CHECK(again.body().size() == msg.body().size() + 4);
    FUZZ_CHECK(again.find("X-Fuzz") != nullptr);
}

// Edits chosen from the input itself (a hash picks the fields), so that the edit list sees
// many shapes: replace a value, remove a field, insert a field before another, at the same
// position twice; then an overlapping pair that apply() must refuse.
void check_random_edits(const Message& msg, std::string_view in) {
    const std::size_t count = msg.header_count();
    // Up to 8 inserted fields and an added Content-Length must still fit kMaxHeaders.
    if (msg.status() != ParseStatus::ok || count == 0 || count + 9 > Message::kMaxHeaders) return;
    std::uint64_t h = 1469598103934665603ull;
    for (char c : in) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    bool used[Message::kMaxHeaders] = {};
    EditList edits;
    std::size_t removed = 0, inserted = 0;
    for (int k = 0; k < 4; ++k) {
        const std::size_t i = static_cast<std::size_t>(h % count);
        const unsigned op = static_cast<unsigned>((h >> 20) % 3);
        h = h * 6364136223846793005ull + 1442695040888963407ull;
        const HeaderField& f = msg.header(i);
        if (used[i] || f.id == HeaderId::content_length) continue;
        used[i] = true;
        if (op == 0) {
            FUZZ_CHECK(edits.replace(f.value, "y;z=1"));
        } else if (op == 1) {
            FUZZ_CHECK(edits.remove_field(f));
            ++removed;
        } else {
            FUZZ_CHECK(edits.insert_field_before(f, "X-A: 1\r\n"));
            FUZZ_CHECK(edits.insert_field_before(f, "X-B: 2\r\n"));
            inserted += 2;
        }
    }
    std::vector<char> out(in.size() + 256);
    const std::size_t n = edits.apply(msg, out);
    FUZZ_CHECK(n != 0);
    Message again;
    FUZZ_CHECK(again.parse(std::string_view(out.data(), n)) == ParseStatus::ok);
    FUZZ_CHECK(again.body() == msg.body());
    FUZZ_CHECK(again.header_count() ==
               count - removed + inserted + (msg.has_content_length() ? 0 : 1));
    if (inserted) {
        const HeaderField* a = again.find("X-A");
        FUZZ_CHECK(a != nullptr);
        // Inserts at one position keep their recording order.
        FUZZ_CHECK(a + 1 < &again.header(0) + again.header_count() && a[1].name == "X-B");
    }
    // Two overlapping replacements: refused, never a corrupt message.
    const HeaderField& f = msg.header(static_cast<std::size_t>(h % count));
    if (f.line.size() >= 2) {
        EditList bad;
        FUZZ_CHECK(bad.replace(f.line.substr(0, f.line.size() - 1), "a"));
        FUZZ_CHECK(bad.replace(f.line.substr(1), "b"));
        FUZZ_CHECK(bad.apply(msg, out) == 0);
    }
}

// An SDP body, when there is one, goes through the SDP view and the filter too.
void check_sdp(const Message& msg) {
    if (msg.status() != ParseStatus::ok || msg.body().empty()) return;
    palisade::sdp::Sdp sdp;
    if (sdp.parse(msg.body()) != palisade::sdp::Reason::none) return;
    std::vector<char> scratch(msg.body().size());
    EditList edits;
    const auto res = palisade::sdp::filter_codecs(sdp, edits, scratch);
    if (res.reason != palisade::sdp::Reason::none) return;
    std::vector<char> out(msg.size() + 64);
    FUZZ_CHECK(edits.apply(msg, out) != 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    Message msg;
    const ParseStatus st = msg.parse(in);
    FUZZ_CHECK(msg.status() == st);
    FUZZ_CHECK((st == ParseStatus::ok) == (msg.reason() == Reason::none));
    check_message(msg, in);
    check_validate_and_build(msg, in);
    check_identity(msg, in);
    check_edits(msg, in);
    check_random_edits(msg, in);
    check_sdp(msg);
    return 0;
}
