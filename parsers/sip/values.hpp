// Typed, lazy views of the header values a proxy and registrar use (RFC 3261 §20, §25.1 and
// the extensions named per declaration). Each parser takes one value (as returned by
// Message::values, or a whole HeaderField::value where commas do not separate values, e.g.
// digest credentials) and fills a plain struct of slices into it. Reason::none on success.
// No allocation, no exceptions; nothing is unescaped or unquoted beyond what is documented.
// On failure the fields of the output struct are unspecified (partly filled): read them only
// after Reason::none.
#pragma once

#include <cstdint>
#include <string_view>

#include "parsers/sip/message.hpp"
#include "parsers/sip/uri.hpp"

namespace palisade::sip {

/// One via-parm (RFC 3261 §20.42, §25.1; RFC 3581 rport; RFC 5118 §4.5 received with IPv6).
struct Via {
    std::string_view protocol;   ///< "SIP/2.0/UDP" as written (LWS around '/' allowed)
    std::string_view transport;  ///< "UDP", "TCP", ... or an extension token
    std::string_view sent_by;    ///< host[:port] as written
    std::string_view host;       ///< IPv6 without [ ]
    HostKind host_kind = HostKind::none;
    std::uint16_t port = 0;      ///< 0 when absent
    std::string_view branch;     ///< empty when absent
    std::string_view received;   ///< as written (an IPv6 value may carry [ ], RFC 5118 §4.5)
    std::string_view maddr;
    std::string_view params;     ///< raw, after the first ';', without it
    bool has_rport = false;
    std::int32_t rport = -1;     ///< -1 when absent or valueless
    std::int32_t ttl = -1;       ///< -1 when absent
};
/// Parses one via-parm.
Reason parse_via(std::string_view value, Via& out) noexcept;

/// True when the branch starts with the RFC 3261 §8.1.1.7 magic cookie and carries more
/// (RFC 4475 §3.2.1 badbranch: the bare cookie is not a usable branch).
bool branch_is_rfc3261(std::string_view branch) noexcept;

/// name-addr or addr-spec followed by header params (RFC 3261 §20.10, §25.1): From, To, Contact,
/// Route, Record-Route, P-Asserted-Identity, Remote-Party-ID, Refer-To, Referred-By...
/// In addr-spec form, everything after the first ';' is a header param, not a URI param.
struct NameAddr {
    std::string_view display_name;  ///< quotes stripped (quoted-pairs kept as written), or tokens
    bool display_quoted = false;
    bool bracketed = false;         ///< name-addr form (<...>)
    std::string_view uri_text;      ///< inside <> or the addr-spec
    Uri uri;
    std::string_view params;        ///< header params, raw, without the leading ';'
    std::string_view tag;           ///< empty when absent
};
/// Parses one name-addr / addr-spec with params. Unterminated quote: Reason::unterminated_quote.
Reason parse_name_addr(std::string_view value, NameAddr& out) noexcept;

/// One Contact value (RFC 3261 §20.10): "*" or a name-addr with expires and q.
struct ContactValue {
    bool star = false;
    NameAddr addr;
    std::int64_t expires = -1;  ///< -1 when absent; range-checked 0..2^32-1 (RFC 4475 scalar02)
    std::string_view q;         ///< as written, empty when absent
};
/// Parses one Contact value.
Reason parse_contact(std::string_view value, ContactValue& out) noexcept;

/// CSeq (RFC 3261 §20.16): 32-bit sequence number and method token.
struct CSeq {
    std::uint32_t number = 0;
    Method method = Method::unknown;
    std::string_view method_text;
};
/// Parses a CSeq value; numbers above 2^32-1 are refused (RFC 4475 §3.1.2.4).
Reason parse_cseq(std::string_view value, CSeq& out) noexcept;

/// Max-Forwards (RFC 3261 §20.22): 0..255 (leading zeros allowed, RFC 4475 wsinv).
Reason parse_max_forwards(std::string_view value, std::uint32_t& out) noexcept;

/// Any 32-bit delta-seconds or count: Expires, Min-Expires, Min-SE, Content-Length...
Reason parse_uint32(std::string_view value, std::uint32_t& out) noexcept;

/// Authorization / Proxy-Authorization (RFC 3261 §20.7, §25.1; RFC 2617, RFC 7616, RFC 8760).
/// Pass the whole HeaderField::value: commas separate auth-params, not values. Quoted values
/// are unquoted (quoted-pairs kept). A non-Digest scheme parses (scheme and params set, the
/// digest fields empty): RFC 4475 §3.3.7 regaut01.
struct DigestCredentials {
    std::string_view scheme;
    std::string_view username, realm, nonce, uri, response, algorithm, cnonce, opaque, qop,
        nc_text, userhash;
    std::uint32_t nc = 0;     ///< nonce-count as a number (8 hex digits), 0 when absent
    std::string_view params;  ///< the raw auth-param list after the scheme
};
/// Parses credentials.
Reason parse_credentials(std::string_view value, DigestCredentials& out) noexcept;

/// WWW-Authenticate / Proxy-Authenticate (RFC 3261 §20.44, RFC 7616 §3.3). Whole field value.
struct DigestChallenge {
    std::string_view scheme, realm, nonce, opaque, algorithm, qop, domain, charset, userhash;
    bool stale = false;
    std::string_view params;  ///< raw auth-param list after the scheme
};
/// Parses a challenge.
Reason parse_challenge(std::string_view value, DigestChallenge& out) noexcept;

/// Iterates auth-params ("name=value" separated by commas, LWS allowed; RFC 3261 §25.1
/// auth-param). `value` keeps its quotes; use unquote(). A malformed element (no '=', an
/// unterminated quote, junk before the next comma) is yielded once as a Param with an empty
/// name, and iteration ends there.
class AuthParamRange {
public:
    class Iterator {
    public:
        using value_type = Param;
        using difference_type = std::ptrdiff_t;
        Iterator() noexcept = default;
        explicit Iterator(std::string_view rest) noexcept : rest_(rest) { advance(); }
        const Param& operator*() const noexcept { return cur_; }
        const Param* operator->() const noexcept { return &cur_; }
        Iterator& operator++() noexcept {
            advance();
            return *this;
        }
        bool operator==(const Iterator& o) const noexcept {
            return done_ == o.done_ && (done_ || (rest_.data() == o.rest_.data() && error_ == o.error_));
        }

    private:
        void advance() noexcept;
        std::string_view rest_;
        Param cur_{};
        bool done_ = true;
        bool error_ = false;  // the element after cur_ is malformed: yield it as an error next
    };
    explicit AuthParamRange(std::string_view params) noexcept : params_(params) {}
    Iterator begin() const noexcept { return Iterator(params_); }
    Iterator end() const noexcept { return Iterator(); }

private:
    std::string_view params_;
};

/// Session-Expires (RFC 4028 §4): delta-seconds and refresher.
struct SessionExpires {
    enum class Refresher : std::uint8_t { none, uac, uas };
    std::uint32_t delta = 0;
    Refresher refresher = Refresher::none;
    std::string_view params;
};
/// Parses Session-Expires (and Min-SE: the refresher stays none).
Reason parse_session_expires(std::string_view value, SessionExpires& out) noexcept;

/// Retry-After (RFC 3261 §20.33): seconds, optional "(comment)", optional ;duration=.
struct RetryAfter {
    std::uint32_t seconds = 0;
    std::string_view comment;   ///< without parentheses
    std::int64_t duration = -1; ///< -1 when absent
    std::string_view params;
};
/// Parses Retry-After; values above 2^32-1 are refused (RFC 4475 §3.1.2.5 scalarlg).
Reason parse_retry_after(std::string_view value, RetryAfter& out) noexcept;

/// One Reason header value (RFC 3326): protocol ;cause= ;text=.
struct ReasonHeader {
    std::string_view protocol;
    std::int32_t cause = -1;    ///< -1 when absent
    std::string_view text;      ///< unquoted
    std::string_view params;
};
/// Parses one Reason value.
Reason parse_reason(std::string_view value, ReasonHeader& out) noexcept;

/// Content-Type / media-type (RFC 3261 §20.15, §25.1 m-type / m-subtype).
struct MediaType {
    std::string_view type, subtype, params;
    /// True for "application/sdp" (case-insensitive).
    bool is(std::string_view t, std::string_view s) const noexcept;
};
/// Parses a media type.
Reason parse_media_type(std::string_view value, MediaType& out) noexcept;

/// True when the comma-separated token list `list` contains `token` (case-insensitive).
/// With `semicolon_separates` false, anything after ';' in an element is a parameter and
/// ignored; with it true, ';' separates tokens too (Privacy, RFC 3323 §4.2: "id;critical").
bool has_token(std::string_view list, std::string_view token,
               bool semicolon_separates = false) noexcept;
/// True when any field of `id` in `msg` lists `token`: Supported, Require, Proxy-Require,
/// Allow, Privacy...
bool has_token(const Message& msg, HeaderId id, std::string_view token) noexcept;

}  // namespace palisade::sip
