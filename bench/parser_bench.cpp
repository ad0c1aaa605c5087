// palisade-bench-parser: Palisade's SIP parser side by side with libosip2, sofia-sip and libre on
// the realistic message set of bench/messages.hpp (issue 2, item 7).
//
// Every parser does the same job per iteration: parse one received datagram with its normal API
// and extract the same Fields (peer/peer.hpp), then free what it allocated. Before anything is
// timed, every parser's extraction is compared with the golden values of every message; one
// difference aborts the run (a benchmark checks its input before timing it).
//
// Benchmarks: BM_Parse/<parser>/<message>, with bytes and items processed; BM_Frame/palisade/
// <message> times Palisade's framing alone, for the breakdown in bench/README.md;
// BM_Validate/palisade/<message> times request or response validation alone.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "bench/messages.hpp"
#include "bench/peers/peer.hpp"
#include "parsers/sip/message.hpp"
#include "parsers/sip/uri.hpp"
#include "parsers/sip/validate.hpp"
#include "parsers/sip/values.hpp"

namespace palisade::bench {
namespace {

// ---------------------------------------------------------------------------------------------
// Palisade adapter: Message::parse frames the datagram (no value parsed), then the typed views
// parse exactly the values the Fields need, lazily, as the data plane does.

UriFields uri_fields(const sip::Uri& u) noexcept {
    return UriFields{u.scheme_text, u.user, u.host, u.port};
}

// One Message per worker, reused for every datagram (parse() resets it): what a data-plane
// worker does. Single-threaded benchmark.
sip::Message g_message;

// The typed views' result structs and the Fields are per-worker scratch too, reused like the
// Message: default-constructing them per datagram zeroed ~1.7 KB (Uri, Via, NameAddr,
// ContactValue, DigestCredentials, Fields) that every parser overwrites anyway. Each parse_*
// sets every member it reports on success, and every Fields member is assigned below on every
// path (absent headers get the same defaults as a fresh Fields), so nothing leaks from one
// datagram to the next: the golden check, which runs the eight messages in a row through this
// same scratch, would report it.
struct Scratch {
    Fields f;
    sip::Uri ruri;
    sip::Via via;
    sip::NameAddr addr;
    sip::CSeq cseq;
    sip::ContactValue contact;
    sip::MediaType mt;
    sip::DigestCredentials cred;
    sip::SessionExpires se;
};
Scratch g_scratch;

constexpr UriFields kNoUri{};

bool palisade_parse(std::string_view datagram, FieldsSink sink, void* ctx) {
    using sip::HeaderId;
    sip::Message& msg = g_message;
    Scratch& s = g_scratch;
    Fields& f = s.f;
    if (msg.parse(datagram) != sip::ParseStatus::ok) return false;
    if (msg.is_request()) {
        f.method = msg.method_text();
        f.status_code = 0;
        if (sip::parse_uri(msg.request_uri(), s.ruri) != sip::Reason::none) return false;
        f.request_uri = uri_fields(s.ruri);
    } else {
        f.method = {};
        f.status_code = msg.status_code();
        f.request_uri = kNoUri;
    }
    {
        sip::ValueRange vias = msg.values(HeaderId::via);
        auto it = vias.begin();
        if (it == vias.end() || sip::parse_via(*it, s.via) != sip::Reason::none) return false;
        f.via_host = s.via.host;
        f.via_port = s.via.port;
        f.via_branch = s.via.branch;
    }
    sip::NameAddr& addr = s.addr;
    const sip::HeaderField* h = msg.find(HeaderId::from);
    if (h == nullptr || sip::parse_name_addr(h->value, addr) != sip::Reason::none) return false;
    f.from_uri = uri_fields(addr.uri);
    f.from_tag = addr.tag;
    h = msg.find(HeaderId::to);
    if (h == nullptr || sip::parse_name_addr(h->value, addr) != sip::Reason::none) return false;
    f.to_uri = uri_fields(addr.uri);
    f.to_tag = addr.tag;
    h = msg.find(HeaderId::call_id);
    if (h == nullptr) return false;
    f.call_id = h->value;
    f.call_id_host = {};
    h = msg.find(HeaderId::cseq);
    if (h == nullptr || sip::parse_cseq(h->value, s.cseq) != sip::Reason::none) return false;
    f.cseq_number = s.cseq.number;
    f.cseq_method = s.cseq.method_text;
    f.max_forwards = -1;
    if ((h = msg.find(HeaderId::max_forwards)) != nullptr) {
        std::uint32_t mf = 0;
        if (sip::parse_max_forwards(h->value, mf) != sip::Reason::none) return false;
        f.max_forwards = mf;
    }
    f.contact_uri = kNoUri;
    {
        sip::ValueRange contacts = msg.values(HeaderId::contact);
        if (auto it = contacts.begin(); it != contacts.end()) {
            if (sip::parse_contact(*it, s.contact) != sip::Reason::none) return false;
            f.contact_uri = uri_fields(s.contact.addr.uri);
        }
    }
    f.content_type = {};
    f.content_subtype = {};
    if ((h = msg.find(HeaderId::content_type)) != nullptr) {
        if (sip::parse_media_type(h->value, s.mt) != sip::Reason::none) return false;
        f.content_type = s.mt.type;
        f.content_subtype = s.mt.subtype;
    }
    // Message::parse already parsed Content-Length to locate the body: its typed view.
    f.content_length = msg.has_content_length() ? static_cast<long>(msg.content_length()) : -1;
    f.pai_uri = kNoUri;
    {
        sip::ValueRange pais = msg.values(HeaderId::p_asserted_identity);
        if (auto it = pais.begin(); it != pais.end()) {
            if (sip::parse_name_addr(*it, addr) != sip::Reason::none) return false;
            f.pai_uri = uri_fields(addr.uri);
        }
    }
    f.auth_username = {};
    f.auth_response = {};
    h = msg.find(HeaderId::authorization);
    if (h == nullptr) h = msg.find(HeaderId::proxy_authorization);
    if (h != nullptr) {
        if (sip::parse_credentials(h->value, s.cred) != sip::Reason::none) return false;
        f.auth_username = s.cred.username;
        f.auth_response = s.cred.response;
    }
    f.session_expires = -1;
    if ((h = msg.find(HeaderId::session_expires)) != nullptr) {
        if (sip::parse_session_expires(h->value, s.se) != sip::Reason::none) return false;
        f.session_expires = s.se.delta;
    }
    sink(f, ctx);
    return true;
}

// ---------------------------------------------------------------------------------------------

using ParseFn = bool (*)(std::string_view, FieldsSink, void*);

struct Parser {
    const char* name;
    ParseFn parse;
};

std::vector<Parser> parsers() {
    std::vector<Parser> v;
    v.push_back({"palisade", palisade_parse});
#ifdef PALISADE_HAVE_OSIP2
    v.push_back({"osip2", osip2_parse});
#endif
#ifdef PALISADE_HAVE_SOFIA
    v.push_back({"sofia", sofia_parse});
#endif
#ifdef PALISADE_HAVE_LIBRE
    v.push_back({"libre", libre_parse});
#endif
    return v;
}

std::string join(std::string_view a, std::string_view b, char sep) {
    std::string s(a);
    if (!b.empty()) {
        s += sep;
        s += b;
    }
    return s;
}

// Golden comparison: one line per differing field.
struct Check {
    const Fields* golden;
    std::vector<std::string> diffs;
    bool called = false;
};

void add_diff(Check& c, const char* field, const std::string& got, const std::string& want) {
    if (got != want)
        c.diffs.push_back(std::string(field) + ": got \"" + got + "\", want \"" + want + "\"");
}
void add_diff(Check& c, const char* field, long got, long want) {
    if (got != want) add_diff(c, field, std::to_string(got), std::to_string(want));
}
void add_uri_diff(Check& c, const std::string& field, const UriFields& got, const UriFields& want) {
    add_diff(c, (field + ".scheme").c_str(), std::string(got.scheme), std::string(want.scheme));
    add_diff(c, (field + ".user").c_str(), std::string(got.user), std::string(want.user));
    add_diff(c, (field + ".host").c_str(), std::string(got.host), std::string(want.host));
    add_diff(c, (field + ".port").c_str(), got.port, want.port);
}

void compare_sink(const Fields& f, void* ctx) {
    Check& c = *static_cast<Check*>(ctx);
    const Fields& g = *c.golden;
    c.called = true;
    auto s = [](std::string_view v) { return std::string(v); };
    add_diff(c, "method", s(f.method), s(g.method));
    add_diff(c, "status_code", f.status_code, g.status_code);
    add_uri_diff(c, "request_uri", f.request_uri, g.request_uri);
    add_diff(c, "via.host", s(f.via_host), s(g.via_host));
    add_diff(c, "via.port", f.via_port, g.via_port);
    add_diff(c, "via.branch", s(f.via_branch), s(g.via_branch));
    add_uri_diff(c, "from", f.from_uri, g.from_uri);
    add_diff(c, "from.tag", s(f.from_tag), s(g.from_tag));
    add_uri_diff(c, "to", f.to_uri, g.to_uri);
    add_diff(c, "to.tag", s(f.to_tag), s(g.to_tag));
    add_diff(c, "call_id", join(f.call_id, f.call_id_host, '@'),
             join(g.call_id, g.call_id_host, '@'));
    add_diff(c, "cseq.number", f.cseq_number, g.cseq_number);
    add_diff(c, "cseq.method", s(f.cseq_method), s(g.cseq_method));
    add_diff(c, "max_forwards", f.max_forwards, g.max_forwards);
    add_uri_diff(c, "contact", f.contact_uri, g.contact_uri);
    add_diff(c, "content_type", s(f.content_type), s(g.content_type));
    add_diff(c, "content_subtype", s(f.content_subtype), s(g.content_subtype));
    add_diff(c, "content_length", f.content_length, g.content_length);
    add_uri_diff(c, "p_asserted_identity", f.pai_uri, g.pai_uri);
    add_diff(c, "auth.username", s(f.auth_username), s(g.auth_username));
    add_diff(c, "auth.response", s(f.auth_response), s(g.auth_response));
    add_diff(c, "session_expires", f.session_expires, g.session_expires);
}

// The message set checks itself too: each golden Content-Length is the size of the body.
bool check_message_set() {
    bool ok = true;
    for (const BenchMessage& m : kMessages) {
        const std::size_t end = m.bytes.find("\r\n\r\n");
        if (end == std::string_view::npos ||
            static_cast<long>(m.bytes.size() - end - 4) != m.golden.content_length) {
            std::fprintf(stderr, "message set: %.*s: body size does not match its Content-Length\n",
                         static_cast<int>(m.name.size()), m.name.data());
            ok = false;
        }
    }
    return ok;
}

bool check_golden(const std::vector<Parser>& ps) {
    bool ok = check_message_set();
    for (const Parser& p : ps) {
        for (const BenchMessage& m : kMessages) {
            Check c{&m.golden, {}, false};
            const bool parsed = p.parse(m.bytes, compare_sink, &c);
            if (!parsed || !c.called) {
                std::fprintf(stderr, "golden check: %s refused %.*s\n", p.name,
                             static_cast<int>(m.name.size()), m.name.data());
                ok = false;
                continue;
            }
            for (const std::string& d : c.diffs) {
                std::fprintf(stderr, "golden check: %s on %.*s: %s\n", p.name,
                             static_cast<int>(m.name.size()), m.name.data(), d.c_str());
                ok = false;
            }
        }
    }
    return ok;
}

// The timing sink: makes the compiler materialise every field, nothing more.
void keep_sink(const Fields& f, void*) {
    benchmark::DoNotOptimize(&f);
    benchmark::ClobberMemory();
}

void bm_parse(benchmark::State& state, ParseFn parse, std::string_view bytes) {
    for (auto _ : state) {
        bool ok = parse(bytes, keep_sink, nullptr);
        benchmark::DoNotOptimize(ok);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(bytes.size()));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// Framing alone (Message::parse: start line, header fields classified, body located; no value
// parsed), to show how Palisade's BM_Parse time splits between framing and the typed views.
void bm_frame(benchmark::State& state, std::string_view bytes) {
    for (auto _ : state) {
        const sip::ParseStatus st = g_message.parse(bytes);
        benchmark::DoNotOptimize(st);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(bytes.size()));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// Validation alone (validate_request / validate_response with the default options, keeping
// what it parsed, as the data plane calls it) on a message framed once before timing: the
// RFC 3261 §8.2 / §16.3 checks every received request pays (issue 4's OPTIONS budget). The
// message must validate, else the run stops.
sip::Message g_validate_message;
sip::Validated g_validated;

sip::Reason validate(const sip::Message& msg) {
    return msg.is_request() ? sip::validate_request(msg, sip::ValidateOptions{}, g_validated)
                            : sip::validate_response(msg, g_validated);
}

void bm_validate(benchmark::State& state, std::string_view bytes) {
    sip::Message& msg = g_validate_message;
    if (msg.parse(bytes) != sip::ParseStatus::ok || validate(msg) != sip::Reason::none) {
        state.SkipWithError("message does not validate");
        return;
    }
    for (auto _ : state) {
        const sip::Reason r = validate(msg);
        benchmark::DoNotOptimize(r);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(bytes.size()));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

}  // namespace
}  // namespace palisade::bench

int main(int argc, char** argv) {
    using namespace palisade::bench;
#ifdef PALISADE_HAVE_OSIP2
    if (!osip2_init()) {
        std::fprintf(stderr, "libosip2: parser_init failed\n");
        return 1;
    }
#endif
#ifdef PALISADE_HAVE_SOFIA
    if (!sofia_init()) {
        std::fprintf(stderr, "sofia-sip: sip_extend_mclass failed\n");
        return 1;
    }
#endif
#ifdef PALISADE_HAVE_LIBRE
    if (!libre_init_peer()) {
        std::fprintf(stderr, "libre: libre_init failed\n");
        return 1;
    }
#endif
    const std::vector<Parser> ps = parsers();
    if (!check_golden(ps)) {
        std::fprintf(stderr,
                     "palisade-bench-parser: extraction differs from the golden values; "
                     "nothing timed\n");
        return 2;
    }
    for (const Parser& p : ps) {
        for (const BenchMessage& m : kMessages) {
            const std::string name = std::string("BM_Parse/") + p.name + "/" + std::string(m.name);
            benchmark::RegisterBenchmark(name.c_str(), bm_parse, p.parse, m.bytes);
        }
    }
    for (const BenchMessage& m : kMessages) {
        const std::string name = "BM_Frame/palisade/" + std::string(m.name);
        benchmark::RegisterBenchmark(name.c_str(), bm_frame, m.bytes);
    }
    for (const BenchMessage& m : kMessages) {
        const std::string name = "BM_Validate/palisade/" + std::string(m.name);
        benchmark::RegisterBenchmark(name.c_str(), bm_validate, m.bytes);
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
