// Request and response validity checks (RFC 3261 §8.2.1, §8.2.2, the syntax items of §16.3,
// §18.1.2 / §16.7 for responses), on a Message that framed `ok`. Each failure is a named
// Reason; status_for() maps it to the response code a request failure earns.
#pragma once

#include "parsers/sip/message.hpp"
#include "parsers/sip/uri.hpp"
#include "parsers/sip/values.hpp"

namespace palisade::sip {

/// Policy switches for checks RFC 3261 leaves to the element. The defaults accept everything
/// RFC 4475 calls valid, including RFC 2543 requests (RFC 4475 §3.4.1 inv2543: no branch
/// cookie, no From tag, no Max-Forwards, no Content-Length over UDP).
struct ValidateOptions {
    /// Require the top Via branch to carry the z9hG4bK cookie and more (RFC 3261 §8.1.1.7;
    /// refuses RFC 2543 requests and RFC 4475 §3.2.1 badbranch): Reason::bad_branch.
    bool require_rfc3261_branch = false;
    /// Require Max-Forwards (RFC 3261 §8.1.1.6 says a UAC MUST send it).
    bool require_max_forwards = false;
    /// Require Content-Length (mandatory on streams, optional on UDP: RFC 3261 §18.3, §20.14).
    bool require_content_length = false;
    /// Refuse Request-URI schemes other than sip, sips, tel with unsupported_uri_scheme (416).
    bool restrict_uri_scheme = true;
};

/// What validation parsed on its way, valid when it returned Reason::none: a caller that
/// needs these fields (the data plane does for every request) reuses them instead of parsing
/// the same headers a second time.
struct Validated {
    Uri request_uri;            ///< requests only
    Via top_via;
    NameAddr from;
    NameAddr to;
    CSeq cseq;
    std::string_view call_id;   ///< trimmed
    std::int32_t max_forwards = -1;  ///< -1 when absent (and for responses)
};

/// RFC 3261 §8.2.1–§8.2.2 and §16.3 checks for a request; Reason::none when acceptable.
/// Checked in order: version (505), Request-URI syntax (400) and scheme (416), mandatory
/// To/From/Call-ID/CSeq exactly once (400), at least one Via with a parsable top value, CSeq
/// range and method equal to the request method, Max-Forwards, Expires, From/To/Contact syntax
/// and ranges, Content-Length.
Reason validate_request(const Message& msg, const ValidateOptions& options = {}) noexcept;
/// The same, leaving what it parsed in `out`.
Reason validate_request(const Message& msg, const ValidateOptions& options, Validated& out) noexcept;

/// Registrar checks on a REGISTER that passed validate_request (RFC 3261 §10.2, §10.3): the
/// Request-URI has no user part, the To header (the address-of-record) is a sip or sips URI
/// (RFC 4475 §3.3.4 unksm2: 400). Reason::none when acceptable.
Reason validate_register(const Message& msg) noexcept;

/// Checks for a response (§18.1.2, §16.7: a proxy drops malformed responses, RFC 4475 §3.1.2.5
/// scalarlg): version, status code 100..699, To/From/Call-ID/CSeq exactly once and parsable,
/// a parsable top Via, Retry-After range.
Reason validate_response(const Message& msg) noexcept;
/// The same, leaving what it parsed in `out` (request_uri stays empty).
Reason validate_response(const Message& msg, Validated& out) noexcept;

/// The response code a failed request check maps to: 505 for the version, 416 for an
/// unsupported URI scheme, 400 for everything else (0 for Reason::none).
int status_for(Reason reason) noexcept;

}  // namespace palisade::sip
