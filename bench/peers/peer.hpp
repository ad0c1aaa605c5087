// The common ground of the parser benchmark: the fields every parser extracts from a message, and
// the entry points of the peer adapters (libosip2, sofia-sip, libre), each in its own file so that
// their C headers never meet each other or Palisade's.
#pragma once

#include <cstdint>
#include <string_view>

namespace palisade::bench {

/// A URI as every parser can give it without re-serialising: scheme, user, host and port
/// (0 when absent). Slices point into the parser's own storage.
struct UriFields {
    std::string_view scheme{}, user{}, host{};
    int port = 0;
};

/// What a proxy reads from every message it receives (issue 2, item 7). Numbers are converted in
/// the timed region by every adapter, as a proxy would. Absent numbers are -1, absent text empty.
///
/// Two values are kept in two parts because libosip2 stores them split and joining them would
/// cost it a copy it never pays in real use: Call-ID (`call_id` "@" `call_id_host`; parsers that
/// keep it whole leave `call_id_host` empty) and Content-Type (`content_type` "/"
/// `content_subtype`). The golden check joins the parts; timing never does.
struct Fields {
    std::string_view method{};  // requests
    int status_code = 0;        // responses
    UriFields request_uri{};
    std::string_view via_host{};  // top Via sent-by
    int via_port = 0;
    std::string_view via_branch{};
    UriFields from_uri{};
    std::string_view from_tag{};
    UriFields to_uri{};
    std::string_view to_tag{};
    std::string_view call_id{}, call_id_host{};
    long cseq_number = -1;
    std::string_view cseq_method{};
    long max_forwards = -1;
    UriFields contact_uri{};
    std::string_view content_type{}, content_subtype{};
    long content_length = -1;
    UriFields pai_uri{};                                // P-Asserted-Identity, when present
    std::string_view auth_username{}, auth_response{};  // Authorization or Proxy-Authorization
    long session_expires = -1;
};

/// Called with the extracted fields while the parser's message is still alive (a peer frees its
/// message right after). The benchmark passes a sink that only keeps the compiler honest; the
/// golden check passes one that compares.
using FieldsSink = void (*)(const Fields& fields, void* ctx);

/// Each peer: parse one datagram with the library's normal API (its allocation included), fill
/// Fields with its accessors, call `sink`, free the message. False when the library refused the
/// message or a mandatory field was missing. `*_init` is called once before anything else.
bool osip2_init();
bool osip2_parse(std::string_view datagram, FieldsSink sink, void* ctx);
bool sofia_init();
bool sofia_parse(std::string_view datagram, FieldsSink sink, void* ctx);
bool libre_init_peer();
bool libre_parse(std::string_view datagram, FieldsSink sink, void* ctx);

/// Leading decimal digits of `text` as a number (after leading spaces), -1 when there are none.
/// Shared by adapters whose library hands out numbers as text.
inline long leading_number(std::string_view text) noexcept {
    std::size_t i = 0;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i == text.size() || text[i] < '0' || text[i] > '9') return -1;
    long v = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) v = v * 10 + (text[i] - '0');
    return v;
}
/// `text` without one pair of surrounding double quotes, if it has them.
inline std::string_view strip_quotes(std::string_view text) noexcept {
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
        return text.substr(1, text.size() - 2);
    return text;
}
/// A C string as a view (empty for null).
inline std::string_view sv(const char* s) noexcept {
    return s ? std::string_view(s) : std::string_view();
}

}  // namespace palisade::bench
