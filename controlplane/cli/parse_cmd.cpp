// `palisadectl parse`: see parse_cmd.hpp and docs/cli.md. cp only.
//
// The same parser the data plane runs (parsers/sip, parsers/sdp), on a file instead of a packet:
// framing first (Message::parse), then the typed views of the fields an operator looks at, then
// the RFC 3261 §8.2 / §16.3 checks (validate_request / validate_response), so that the output
// says both "is it a SIP message" (status) and "would Palisade accept it" (valid).
#include "controlplane/cli/parse_cmd.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "controlplane/json.hpp"
#include "parsers/sdp/sdp.hpp"
#include "parsers/sip/message.hpp"
#include "parsers/sip/uri.hpp"
#include "parsers/sip/validate.hpp"
#include "parsers/sip/values.hpp"

namespace palisade::cp {
namespace {

// A captured datagram is at most 64 KiB (UDP) and a TCP message rarely more than a few; anything
// this large is not one SIP message, and reading it whole would only waste memory.
constexpr std::size_t kMaxFileSize = 16u << 20;

constexpr int kExitOk = 0;
constexpr int kExitMalformed = 1;
constexpr int kExitUsage = 2;

// A typed view that failed: the raw value and the reason, so the operator sees both.
void write_unparsable(JsonWriter& w, std::string_view raw, sip::Reason r) {
    w.begin_object().member("raw", raw).member("error", sip::reason_name(r)).end_object();
}

// A display name as a person reads it: parse_name_addr has stripped the DQUOTEs of a quoted one
// and kept its quoted-pairs (RFC 3261 §25.1 quoted-pair = "\" octet); resolve them, so that
// "Acme \"Sales\"" prints as Acme "Sales". A token display name is shown as written.
std::string display_text(const sip::NameAddr& na) {
    if (!na.display_quoted) return std::string(na.display_name);
    std::string out;
    out.reserve(na.display_name.size());
    for (std::size_t i = 0; i < na.display_name.size(); ++i) {
        if (na.display_name[i] == '\\' && i + 1 < na.display_name.size()) ++i;
        out += na.display_name[i];
    }
    return out;
}

// From / To: {uri, tag, display}; null when absent.
void write_name_addr(JsonWriter& w, std::string_view name, const sip::Message& msg,
                     sip::HeaderId id) {
    w.key(name);
    const sip::HeaderField* h = msg.find(id);
    if (h == nullptr) {
        w.null();
        return;
    }
    sip::NameAddr na;
    if (const sip::Reason r = sip::parse_name_addr(h->value, na); r != sip::Reason::none) {
        write_unparsable(w, h->value, r);
        return;
    }
    w.begin_object().member("uri", na.uri_text);
    if (na.tag.empty())
        w.null_member("tag");
    else
        w.member("tag", na.tag);
    if (na.display_name.empty() && !na.display_quoted)
        w.null_member("display");
    else
        w.member("display", std::string_view(display_text(na)));
    w.end_object();
}

void write_sdp(JsonWriter& w, std::string_view body) {
    // A few KB: on the heap rather than on the stack of a CLI that may be run from scripts with
    // small stacks.
    auto sdp = std::make_unique<sdp::Sdp>();
    w.key("sdp").begin_object();
    if (const sdp::Reason r = sdp->parse(body); r != sdp::Reason::none) {
        w.member("error", sdp::reason_name(r))
            .member("error_text", sdp::reason_text(r))
            .end_object();
        return;
    }
    w.key("media").begin_array();
    for (const sdp::Media& m : sdp->medias()) {
        w.begin_object()
            .member("type", m.media)
            .member("port", static_cast<unsigned>(m.port))
            .member("proto", m.proto);
        w.key("codecs").begin_array();
        for (const sdp::Format& f : sdp->formats(m))
            w.value(f.encoding.empty() ? f.text : f.encoding);
        w.end_array();
        w.member("direction", sdp::direction_name(sdp->direction_for(m)));
        w.end_object();
    }
    w.end_array().end_object();
}

void write_ok_message(JsonWriter& w, const sip::Message& msg) {
    using sip::HeaderId;
    if (msg.is_request()) {
        w.member("kind", "request")
            .member("method", msg.method_text())
            .member("request_uri", msg.request_uri());
    } else {
        w.member("kind", "response")
            .member("status_code", msg.status_code())
            .member("reason_phrase", msg.reason_phrase());
    }

    if (const sip::HeaderField* h = msg.find(HeaderId::call_id))
        w.member("call_id", h->value);
    else
        w.null_member("call_id");
    write_name_addr(w, "from", msg, HeaderId::from);
    write_name_addr(w, "to", msg, HeaderId::to);

    w.key("cseq");
    if (const sip::HeaderField* h = msg.find(HeaderId::cseq)) {
        sip::CSeq cseq;
        if (const sip::Reason r = sip::parse_cseq(h->value, cseq); r != sip::Reason::none)
            write_unparsable(w, h->value, r);
        else
            w.begin_object()
                .member("number", cseq.number)
                .member("method", cseq.method_text)
                .end_object();
    } else {
        w.null();
    }

    std::size_t via_count = 0;
    std::string_view top_via;
    for (std::string_view v : msg.values(HeaderId::via)) {
        if (via_count++ == 0) top_via = v;
    }
    w.member("via_count", via_count);
    w.key("top_via");
    if (via_count == 0) {
        w.null();
    } else {
        sip::Via via;
        if (const sip::Reason r = sip::parse_via(top_via, via); r != sip::Reason::none) {
            write_unparsable(w, top_via, r);
        } else {
            w.begin_object().member("sent_by", via.sent_by);
            if (via.branch.empty())
                w.null_member("branch");
            else
                w.member("branch", via.branch);
            w.member("transport", via.transport).end_object();
        }
    }

    w.key("max_forwards");
    if (const sip::HeaderField* h = msg.find(HeaderId::max_forwards)) {
        std::uint32_t mf = 0;
        if (const sip::Reason r = sip::parse_max_forwards(h->value, mf); r != sip::Reason::none)
            write_unparsable(w, h->value, r);
        else
            w.value(mf);
    } else {
        w.null();
    }

    if (msg.has_content_length())
        w.member("content_length", msg.content_length());
    else
        w.null_member("content_length");
    w.member("body_length", msg.body().size());

    const sip::HeaderField* ct = msg.find(HeaderId::content_type);
    if (ct != nullptr)
        w.member("content_type", ct->value);
    else
        w.null_member("content_type");
    sip::MediaType mt;
    if (ct != nullptr && !msg.body().empty() &&
        sip::parse_media_type(ct->value, mt) == sip::Reason::none && mt.is("application", "sdp"))
        write_sdp(w, msg.body());

    const sip::Reason invalid =
        msg.is_request() ? sip::validate_request(msg) : sip::validate_response(msg);
    w.member("valid", invalid == sip::Reason::none);
    if (invalid != sip::Reason::none) {
        w.member("validation_reason", sip::reason_name(invalid))
            .member("validation_text", sip::reason_text(invalid));
        // The response a request failing this check earns (RFC 3261 §8.2); a response that
        // fails is dropped (§16.7), so it gets none.
        if (msg.is_request()) w.member("response_code", sip::status_for(invalid));
    }
}

// Reads a whole file (or stdin for "-"); false with `error` set when it cannot.
bool read_file(const std::string& path, std::string& out, std::string& error) {
    std::FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
        error = std::strerror(errno);
        return false;
    }
    char buf[65536];
    bool ok = true;
    for (;;) {
        const std::size_t n = std::fread(buf, 1, sizeof buf, f);
        out.append(buf, n);
        if (out.size() > kMaxFileSize) {
            error = "larger than 16 MiB: not one SIP message";
            ok = false;
            break;
        }
        if (n < sizeof buf) {
            if (std::ferror(f)) {
                error = std::strerror(errno);
                ok = false;
            }
            break;
        }
    }
    if (f != stdin) std::fclose(f);
    return ok;
}

void print_usage(std::FILE* to) {
    std::fputs(
        "usage: palisadectl parse [--json] FILE...\n"
        "  Parse each FILE as one SIP message (a captured datagram; - reads stdin) and\n"
        "  print one JSON object per line: status, start line, Call-ID, From, To, CSeq,\n"
        "  Vias, Content-Length, Content-Type, SDP media and codecs, validity.\n"
        "  --json is the default (and only) output format.\n"
        "  Exit status: 0 all ok, 1 any malformed or incomplete, 2 usage or read error.\n"
        "  Fields: docs/cli.md.\n",
        to);
}

}  // namespace

std::string_view parse_file_status_name(ParseFileStatus s) noexcept {
    switch (s) {
        case ParseFileStatus::ok:
            return "ok";
        case ParseFileStatus::malformed:
            return "malformed";
        case ParseFileStatus::incomplete:
            return "incomplete";
        case ParseFileStatus::error:
            return "error";
    }
    return "error";
}

std::string describe_message(std::string_view file, std::string_view bytes,
                             ParseFileStatus& status) {
    // The Message is ~10 KB (128 header slots); heap, as in write_sdp.
    auto msg = std::make_unique<sip::Message>();
    const sip::ParseStatus ps = msg->parse(bytes);
    status = ps == sip::ParseStatus::ok           ? ParseFileStatus::ok
             : ps == sip::ParseStatus::incomplete ? ParseFileStatus::incomplete
                                                  : ParseFileStatus::malformed;
    JsonWriter w;
    w.begin_object().member("file", file).member("status", parse_file_status_name(status));
    if (status == ParseFileStatus::ok) {
        write_ok_message(w, *msg);
    } else {
        w.member("reason", sip::reason_name(msg->reason()))
            .member("reason_text", sip::reason_text(msg->reason()))
            .member("bytes", bytes.size());
    }
    w.end_object();
    return w.take();
}

int run_parse(int argc, char** argv) {
    std::vector<std::string> files;
    bool options_done = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (!options_done && a == "--") {
            options_done = true;
        } else if (!options_done && a == "--json") {
            // The default; accepted so that scripts can say what they expect.
        } else if (!options_done && (a == "-h" || a == "--help")) {
            print_usage(stdout);
            return kExitOk;
        } else if (!options_done && a.size() > 1 && a[0] == '-') {
            std::fprintf(stderr, "palisadectl parse: unknown option %s\n", argv[i]);
            print_usage(stderr);
            return kExitUsage;
        } else {
            files.emplace_back(a);
        }
    }
    if (files.empty()) {
        print_usage(stderr);
        return kExitUsage;
    }
    int exit_code = kExitOk;
    for (const std::string& path : files) {
        std::string bytes;
        std::string error;
        std::string line;
        if (!read_file(path, bytes, error)) {
            JsonWriter w;
            w.begin_object()
                .member("file", path)
                .member("status", parse_file_status_name(ParseFileStatus::error))
                .member("reason", "unreadable")
                .member("reason_text", error)
                .end_object();
            line = w.take();
            exit_code = kExitUsage;
        } else {
            ParseFileStatus status = ParseFileStatus::ok;
            line = describe_message(path, bytes, status);
            if (status != ParseFileStatus::ok && exit_code == kExitOk) exit_code = kExitMalformed;
        }
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), stdout);
    }
    std::fflush(stdout);
    return exit_code;
}

}  // namespace palisade::cp
