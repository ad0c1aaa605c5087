// Request and response validity checks (validate.hpp). Runs after framing, on the fields the
// Message located; each check parses only the header it needs.
#include "parsers/sip/validate.hpp"

#include "parsers/sip/scan.hpp"
#include "parsers/sip/uri.hpp"
#include "parsers/sip/values.hpp"

namespace palisade::sip {

namespace {

// SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT (RFC 3261 §25.1; literal strings in ABNF are
// case-insensitive). A well-formed version other than 2.0 is 505 (RFC 3261 §8.2.2, RFC 4475
// §3.1.2.16 badvers); anything else (trailing SP: RFC 4475 §3.1.2.10 trws) is 400.
Reason check_version(std::string_view v) noexcept {
    if (v.size() < 7 || !istarts_with(v, "SIP/")) return Reason::bad_version;
    std::size_t i = 4;
    const std::size_t major = i;
    while (i < v.size() && is_digit(v[i])) ++i;
    if (i == major || i >= v.size() || v[i] != '.') return Reason::bad_version;
    const std::size_t minor = ++i;
    while (i < v.size() && is_digit(v[i])) ++i;
    if (i == minor || i != v.size()) return Reason::bad_version;
    if (v.size() == 7 && v[4] == '2' && v[6] == '0') return Reason::none;
    return Reason::unsupported_version;
}

// Exactly one field of `id` (RFC 3261 §8.2.2 / §16.3 item 1 need them; RFC 4475 §3.3.8
// multi01: several are refused, never "first wins").
Reason check_single(const Message& msg, HeaderId id, Reason missing, Reason duplicate) noexcept {
    const std::size_t c = msg.count(id);
    if (c == 0) return missing;
    if (c > 1) return duplicate;
    return Reason::none;
}

// callid = word [ "@" word ] (RFC 3261 §25.1). A comma means two values (RFC 4475 multi01).
// word characters 16 at a time (span(), the URI scanners' pshufb lookup): '@' is not one, so
// the first scan stops at it and the second must reach the end (a second '@' stops it too).
constexpr CharSet kWordSet = make_char_set([](unsigned char c) { return is(static_cast<char>(c), kWord); });
bool is_call_id(std::string_view v) noexcept {
    const std::size_t n = v.size();
    if (n == 0) return false;
    const std::size_t at = detail::fast_span(v, 0, kWordSet);
    if (at == n) return true;
    if (v[at] != '@' || at == 0 || at + 1 >= n) return false;
    return detail::fast_span(v, at + 1, kWordSet) == n;
}

// rfc1123-date = wkday "," SP date1 SP time SP "GMT" (RFC 3261 §20.17; RFC 4475 §3.1.2.12
// baddate: only "GMT" is legal).
bool is_sip_date(std::string_view v) noexcept {
    static constexpr std::string_view kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (v.size() != 29) return false;
    bool ok = false;
    for (std::string_view d : kDays) ok = ok || v.substr(0, 3) == d;
    if (!ok || v.substr(3, 2) != ", " || v[7] != ' ' || v[11] != ' ' || v[16] != ' ') return false;
    ok = false;
    for (std::string_view m : kMonths) ok = ok || v.substr(8, 3) == m;
    if (!ok) return false;
    constexpr std::size_t kDigits[] = {5, 6, 12, 13, 14, 15, 17, 18, 20, 21, 23, 24};
    for (std::size_t i : kDigits)
        if (!is_digit(v[i])) return false;
    return v[19] == ':' && v[22] == ':' && v.substr(25) == " GMT";
}

// warning-value = warn-code SP warn-agent SP warn-text, warn-code = 3DIGIT (RFC 3261 §20.43;
// RFC 4475 §3.1.2.5 scalarlg has a 4-digit code).
bool is_warning(std::string_view v) noexcept {
    return v.size() > 4 && is_digit(v[0]) && is_digit(v[1]) && is_digit(v[2]) && v[3] == ' ';
}

// From and To: one name-addr/addr-spec over the whole field value (Message::values would split
// an unquoted "Bell, Alexander" display name: RFC 4475 §3.1.2.15 baddn must be refused).
Reason check_address(const Message& msg, HeaderId id, Reason bad, NameAddr& na) noexcept {
    const HeaderField* f = msg.find(id);
    return parse_name_addr(f->value, na) == Reason::none ? Reason::none : bad;
}

// The checks requests and responses share: mandatory fields, CSeq, Call-ID, From, To, Via.
// What they parse is left in `out` for the caller.
Reason check_common(const Message& msg, Validated& out, const ValidateOptions& options) noexcept {
    Reason r;
    if ((r = check_single(msg, HeaderId::from, Reason::missing_from, Reason::duplicate_from)) != Reason::none) return r;
    if ((r = check_single(msg, HeaderId::to, Reason::missing_to, Reason::duplicate_to)) != Reason::none) return r;
    if ((r = check_single(msg, HeaderId::call_id, Reason::missing_call_id, Reason::duplicate_call_id)) != Reason::none) return r;
    if ((r = check_single(msg, HeaderId::cseq, Reason::missing_cseq, Reason::duplicate_cseq)) != Reason::none) return r;
    if (msg.count(HeaderId::via) == 0) return Reason::missing_via;

    // CSeq: 32-bit number (RFC 4475 §3.1.2.4 scalar02, §3.1.2.5 scalarlg) and a method token.
    if (parse_cseq(msg.find(HeaderId::cseq)->value, out.cseq) != Reason::none) return Reason::bad_cseq;
    out.call_id = trim(msg.find(HeaderId::call_id)->value);
    if (!is_call_id(out.call_id)) return Reason::bad_call_id;
    if ((r = check_address(msg, HeaderId::from, Reason::bad_from, out.from)) != Reason::none) return r;
    if ((r = check_address(msg, HeaderId::to, Reason::bad_to, out.to)) != Reason::none) return r;

    // Via: every value parses (RFC 4475 §3.1.2.1 badinv01 has empty params and values); the
    // top one is what responses are routed by (RFC 3261 §18.2.1).
    bool top = true;
    for (std::string_view v : msg.values(HeaderId::via)) {
        Via scratch;
        Via& via = top ? out.top_via : scratch;
        if (parse_via(v, via) != Reason::none) return Reason::bad_via;
        if (top && options.require_rfc3261_branch && !branch_is_rfc3261(via.branch))
            return Reason::bad_branch;
        top = false;
    }
    if (top) return Reason::missing_via;  // only empty Via fields
    return Reason::none;
}

}  // namespace

Reason validate_request(const Message& msg, const ValidateOptions& options) noexcept {
    Validated scratch;
    return validate_request(msg, options, scratch);
}

Reason validate_request(const Message& msg, const ValidateOptions& options, Validated& out) noexcept {
    out.max_forwards = -1;
    if (!msg.is_request()) return Reason::bad_start_line;
    Reason r = check_version(msg.version());
    if (r != Reason::none) return r;

    // Request-URI (RFC 3261 §8.2.1, §16.3 item 1). URI headers are not allowed in a
    // Request-URI (§19.1.1 table): refused rather than forwarded (RFC 4475 §3.1.2.11 escruri).
    Uri& ruri = out.request_uri;
    if (parse_uri(msg.request_uri(), ruri) != Reason::none) return Reason::bad_request_uri;
    if (options.restrict_uri_scheme && ruri.scheme == UriScheme::other)
        return Reason::unsupported_uri_scheme;
    if (!ruri.headers.empty()) return Reason::request_uri_has_headers;

    if ((r = check_common(msg, out, options)) != Reason::none) return r;
    // RFC 3261 §8.1.1.5: the CSeq method MUST match the request method (case-sensitive, §7.1;
    // RFC 4475 §3.1.2.17 mismatch01, §3.1.2.18 mismatch02).
    if (out.cseq.method_text != msg.method_text()) return Reason::cseq_method_mismatch;

    // Max-Forwards (RFC 3261 §16.3 item 2 reads it; 0..255, RFC 4475 scalar02).
    const std::size_t mf = msg.count(HeaderId::max_forwards);
    if (mf > 1) return Reason::duplicate_max_forwards;
    if (mf == 1) {
        std::uint32_t hops = 0;
        if (parse_max_forwards(msg.find(HeaderId::max_forwards)->value, hops) != Reason::none)
            return Reason::bad_max_forwards;
        out.max_forwards = static_cast<std::int32_t>(hops);
    } else if (options.require_max_forwards) {
        return Reason::missing_max_forwards;
    }

    // Expires (RFC 3261 §20.19: delta-seconds, range-checked).
    std::int64_t expires_header = -1;
    for (const HeaderField& f : msg.fields(HeaderId::expires)) {
        std::uint32_t e = 0;
        if (parse_uint32(f.value, e) != Reason::none) return Reason::bad_expires;
        expires_header = e;
    }

    // Contact: every value; "*" only alone, in REGISTER, with Expires: 0 (RFC 3261 §10.2.2).
    std::size_t contacts = 0;
    bool star = false;
    for (std::string_view v : msg.values(HeaderId::contact)) {
        ContactValue c;
        r = parse_contact(v, c);
        if (r == Reason::bad_expires) return r;
        if (r != Reason::none) return Reason::bad_contact;
        star = star || c.star;
        ++contacts;
    }
    if (star && (contacts != 1 || msg.method() != Method::register_ || expires_header != 0))
        return Reason::bad_contact;

    // Route and Record-Route: lists of name-addr (RFC 3261 §20.30, §20.34).
    for (HeaderId id : {HeaderId::route, HeaderId::record_route}) {
        for (std::string_view v : msg.values(id)) {
            NameAddr na;
            if (parse_name_addr(v, na) != Reason::none || !na.bracketed)
                return Reason::bad_record_route;
        }
    }

    // Content-Length: framing already checked its value and consistency (RFC 4475 clerr, ncl,
    // mcl01); UDP may omit it (RFC 3261 §18.3), a policy may not.
    if (options.require_content_length && !msg.has_content_length())
        return Reason::missing_content_length;
    // RFC 3261 §20.15: a non-empty body MUST come with Content-Type.
    const HeaderField* ct = msg.find(HeaderId::content_type);
    if (ct != nullptr) {
        MediaType mt;
        if (parse_media_type(ct->value, mt) != Reason::none) return Reason::bad_content_type;
    } else if (!msg.body().empty()) {
        return Reason::missing_content_type;
    }

    for (const HeaderField& f : msg.fields(HeaderId::date))
        if (!is_sip_date(trim(f.value))) return Reason::bad_date;
    return Reason::none;
}

Reason validate_register(const Message& msg) noexcept {
    if (!msg.is_request() || msg.method() != Method::register_) return Reason::bad_start_line;
    // RFC 3261 §10.2: "The userinfo and @ components of the SIP URI MUST NOT be present."
    Uri ruri;
    if (parse_uri(msg.request_uri(), ruri) != Reason::none) return Reason::bad_request_uri;
    if (ruri.has_user) return Reason::register_uri_has_user;
    // RFC 3261 §10.3 step 5: To holds the address-of-record, a SIP or SIPS URI.
    const HeaderField* to = msg.find(HeaderId::to);
    if (to == nullptr) return Reason::missing_to;
    NameAddr aor;
    if (parse_name_addr(to->value, aor) != Reason::none) return Reason::bad_to;
    if (aor.uri.scheme != UriScheme::sip && aor.uri.scheme != UriScheme::sips)
        return Reason::register_aor_not_sip;
    return Reason::none;
}

Reason validate_response(const Message& msg) noexcept {
    Validated scratch;
    return validate_response(msg, scratch);
}

Reason validate_response(const Message& msg, Validated& out) noexcept {
    out.max_forwards = -1;
    if (msg.is_request()) return Reason::bad_start_line;
    Reason r = check_version(msg.version());
    if (r != Reason::none) return r;
    if (msg.status_code() < 100 || msg.status_code() > 699) return Reason::bad_status_code;
    if ((r = check_common(msg, out, ValidateOptions{})) != Reason::none) return r;
    for (const HeaderField& f : msg.fields(HeaderId::retry_after)) {
        RetryAfter ra;
        if (parse_retry_after(f.value, ra) != Reason::none) return Reason::bad_retry_after;
    }
    for (std::string_view v : msg.values(HeaderId::warning))
        if (!is_warning(v)) return Reason::bad_warning;
    for (const HeaderField& f : msg.fields(HeaderId::content_type)) {
        MediaType mt;
        if (parse_media_type(f.value, mt) != Reason::none) return Reason::bad_content_type;
    }
    return Reason::none;
}

int status_for(Reason reason) noexcept {
    switch (reason) {
    case Reason::none: return 0;
    case Reason::unsupported_version: return 505;     // RFC 3261 §8.2.2 / §21.5.20
    case Reason::unsupported_uri_scheme: return 416;  // RFC 3261 §8.2.2.1 / §21.4.14
    default: return 400;
    }
}

}  // namespace palisade::sip
