// SIP/SIPS/tel URI parsing (RFC 3261 §19.1, §25.1; RFC 3966; RFC 5118). One forward pass per
// component over the character table of scan.hpp; every result is a slice of the input.
#include "parsers/sip/uri.hpp"

#include "parsers/sip/scan.hpp"

namespace palisade::sip {

namespace {

constexpr std::size_t npos = std::string_view::npos;

constexpr bool is_lws(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Characters of an escaped URI component: `allowed` classes plus "%" HEXDIG HEXDIG.
// Returns false on a character outside the set or a bad escape (RFC 3261 §25.1 escaped).
bool escaped_chars_ok(std::string_view s, std::uint16_t allowed) noexcept {
    const std::size_t n = s.size();
    for (std::size_t i = 0; i < n; ++i) {
        const char c = s[i];
        if (c == '%') {
            if (i + 2 >= n || hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0) return false;
            i += 2;
            continue;
        }
        if (!is(c, allowed)) return false;
    }
    return true;
}

// RFC 3261 §25.1 scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
bool is_scheme(std::string_view s) noexcept {
    if (s.empty() || !is(s[0], kAlpha)) return false;
    for (char c : s)
        if (!is(c, kAlpha | kDigit) && c != '+' && c != '-' && c != '.') return false;
    return true;
}

// hostname = *( domainlabel "." ) toplabel [ "." ]; labels alphanum with inner '-'.
// Decision: a toplabel may start with a digit (RFC 1123 §2.1 relaxed what RFC 3261 copied),
// but a name whose labels are all digits must be an IPv4 address (so "1.2.3.999" is refused).
bool is_hostname(std::string_view s) noexcept {
    if (s.empty() || s.size() > 255) return false;
    std::size_t label_start = 0;
    bool all_digits = true;
    const std::size_t n = (s.back() == '.' && s.size() > 1) ? s.size() - 1 : s.size();
    for (std::size_t i = 0; i <= n; ++i) {
        if (i == n || s[i] == '.') {
            const std::size_t len = i - label_start;
            if (len == 0) return false;
            if (s[label_start] == '-' || s[i - 1] == '-') return false;
            label_start = i + 1;
            continue;
        }
        const char c = s[i];
        if (!is(c, kHostChar) || c == '.') return false;
        if (!is_digit(c)) all_digits = false;
    }
    return !all_digits;
}

}  // namespace

bool is_ipv4_address(std::string_view s) noexcept {
    int parts = 0;
    std::size_t i = 0;
    const std::size_t n = s.size();
    while (true) {
        unsigned v = 0;
        std::size_t digits = 0;
        while (i < n && is_digit(s[i]) && digits < 4) {
            v = v * 10 + static_cast<unsigned>(s[i] - '0');
            ++i;
            ++digits;
        }
        if (digits == 0 || digits > 3 || v > 255) return false;
        ++parts;
        if (parts == 4) return i == n;
        if (i >= n || s[i] != '.') return false;
        ++i;
    }
}

bool is_ipv6_address(std::string_view s) noexcept {
    const std::size_t n = s.size();
    if (n < 2) return false;
    std::size_t i = 0;
    int groups = 0;
    bool dbl = false;
    if (s[0] == ':') {
        if (s[1] != ':') return false;
        dbl = true;
        i = 2;
        if (i == n) return true;  // "::"
        if (s[i] == ':') return is_ipv4_address(s.substr(i + 1));  // RFC 3261 ABNF bug form
    }
    while (i < n) {
        std::size_t j = i;
        while (j < n && j - i < 5 && hex_value(s[j]) >= 0) ++j;
        if (j < n && s[j] == '.') {  // embedded IPv4 tail: the last 32 bits
            if (!is_ipv4_address(s.substr(i))) return false;
            groups += 2;
            break;
        }
        if (j == i || j - i > 4) return false;
        ++groups;
        i = j;
        if (i == n) break;
        if (s[i] != ':') return false;
        ++i;
        if (i == n) return false;  // trailing single ':'
        if (s[i] == ':') {
            if (dbl) return false;
            dbl = true;
            ++i;
            if (i == n) break;
            if (s[i] == ':') {
                // RFC 5118 §4.10: "2001:db8:::192.0.2.1", admitted by RFC 3261's ABNF
                // (hexpart "::" then ":" IPv4address); tolerated only before an IPv4 tail.
                if (!is_ipv4_address(s.substr(i + 1))) return false;
                groups += 2;
                break;
            }
        }
        if (groups > 8) return false;
    }
    return dbl ? groups <= 7 : groups == 8;
}

Reason parse_host(std::string_view text, std::string_view& host, HostKind& kind) noexcept {
    if (text.empty()) return Reason::bad_host;
    if (text[0] == '[') {
        if (text.size() < 3 || text.back() != ']') return Reason::bad_host;
        const std::string_view inner = text.substr(1, text.size() - 2);
        if (!is_ipv6_address(inner)) return Reason::bad_host;
        host = inner;
        kind = HostKind::ipv6;
        return Reason::none;
    }
    if (is_digit(text[0]) && is_ipv4_address(text)) {
        host = text;
        kind = HostKind::ipv4;
        return Reason::none;
    }
    if (!is_hostname(text)) return Reason::bad_host;
    host = text;
    kind = HostKind::name;
    return Reason::none;
}

// ---- ParamRange ---------------------------------------------------------------------------

void ParamRange::Iterator::advance() noexcept {
    std::string_view r = rest_;
    std::size_t i = 0;
    const std::size_t n = r.size();
    while (i < n && (r[i] == ';' || is_lws(r[i]))) ++i;
    if (i >= n) {
        done_ = true;
        rest_ = {};
        return;
    }
    done_ = false;
    const std::size_t name_start = i;
    while (i < n && r[i] != '=' && r[i] != ';' && !is_lws(r[i])) ++i;
    cur_.name = r.substr(name_start, i - name_start);
    cur_.value = {};
    cur_.has_value = false;
    std::size_t k = i;
    while (k < n && is_lws(r[k])) ++k;
    if (k < n && r[k] == '=') {
        cur_.has_value = true;
        ++k;
        while (k < n && is_lws(r[k])) ++k;
        const std::size_t vs = k;
        if (k < n && r[k] == '"') {
            ++k;
            while (k < n && r[k] != '"') k += (r[k] == '\\') ? 2 : 1;
            k = k < n ? k + 1 : n;
        } else {
            while (k < n && r[k] != ';' && !is_lws(r[k])) ++k;
        }
        cur_.value = r.substr(vs, k - vs);
        i = k;
    }
    rest_ = r.substr(i);
}

bool find_param(std::string_view params, std::string_view name, Param& out) noexcept {
    for (const Param& p : ParamRange(params)) {
        if (iequals(p.name, name)) {
            out = p;
            return true;
        }
    }
    return false;
}

namespace {
// gen-value = token / host / quoted-string (RFC 3261 §25.1); host admits IPv6 references and,
// for received (RFC 5118 §4.5), bare IPv6 addresses: token characters plus ':' '[' ']'.
bool gen_value_ok(std::string_view v) noexcept {
    if (v.empty()) return false;
    if (v[0] == '"') {
        if (v.size() < 2 || v.back() != '"') return false;
        // The closing quote must not be escaped: walk the quoted-pairs.
        std::size_t i = 1;
        while (i < v.size() - 1) i += (v[i] == '\\') ? 2 : 1;
        return i == v.size() - 1;
    }
    for (char c : v)
        if (!is_token_char(c) && c != ':' && c != '[' && c != ']') return false;
    return true;
}
}  // namespace

bool params_well_formed(std::string_view params) noexcept {
    // Walk ';' separators explicitly: ParamRange skips empty entries, which must be refused
    // here (RFC 4475 §3.1.2.1).
    std::string_view r = trim(params);
    if (!r.empty() && r[0] == ';') r = trim_left(r.substr(1));
    if (r.empty()) return params.empty() || trim(params).empty();
    while (true) {
        ParamRange::Iterator it(r);
        if (it == ParamRange::Iterator()) return false;
        // The iterator skips leading ';': an empty entry shows as a name not at r's start.
        if (it->name.data() != r.data()) return false;
        if (!is_token(it->name)) return false;
        if (it->has_value && !gen_value_ok(it->value)) return false;
        const char* end = it->has_value ? it->value.data() + it->value.size()
                                        : it->name.data() + it->name.size();
        std::string_view tail = trim_left(r.substr(static_cast<std::size_t>(end - r.data())));
        if (tail.empty()) return true;
        if (tail[0] != ';') return false;
        r = trim_left(tail.substr(1));
        if (r.empty()) return false;  // trailing ';'
    }
}

// ---- Uri ----------------------------------------------------------------------------------

std::string_view Uri::param(std::string_view name) const noexcept {
    Param p;
    return find_param(params, name, p) ? p.value : std::string_view{};
}

bool Uri::has_param(std::string_view name) const noexcept {
    Param p;
    return find_param(params, name, p);
}

std::string_view Uri::hostport() const noexcept {
    if (host.empty()) return {};
    const char* b = host.data();
    const char* e = host.data() + host.size();
    if (host_kind == HostKind::ipv6) {
        --b;
        ++e;
    }
    if (!port_text.empty()) e = port_text.data() + port_text.size();
    return {b, static_cast<std::size_t>(e - b)};
}

namespace {

// uri-parameters: *( ";" pname [ "=" pvalue ] ), pname/pvalue = 1*paramchar (RFC 3261 §25.1).
bool uri_params_ok(std::string_view params) noexcept {
    std::size_t start = 0;
    const std::size_t n = params.size();
    while (start <= n) {
        std::size_t end = find_char(params, ';', start);
        if (end == npos) end = n;
        const std::string_view p = params.substr(start, end - start);
        if (p.empty()) return false;
        const std::size_t eq = find_char(p, '=');
        const std::string_view name = eq == npos ? p : p.substr(0, eq);
        if (name.empty() || !escaped_chars_ok(name, kUnreserved | kParamUnreserved)) return false;
        if (eq != npos) {
            const std::string_view value = p.substr(eq + 1);
            if (value.empty() || !escaped_chars_ok(value, kUnreserved | kParamUnreserved))
                return false;
        }
        start = end + 1;
    }
    return true;
}

// headers = "?" header *( "&" header ), header = hname "=" hvalue (RFC 3261 §25.1).
bool uri_headers_ok(std::string_view headers) noexcept {
    std::size_t start = 0;
    const std::size_t n = headers.size();
    while (start <= n) {
        std::size_t end = find_char(headers, '&', start);
        if (end == npos) end = n;
        const std::string_view h = headers.substr(start, end - start);
        const std::size_t eq = find_char(h, '=');
        if (eq == npos || eq == 0) return false;
        if (!escaped_chars_ok(h.substr(0, eq), kUnreserved | kHnvUnreserved)) return false;
        if (!escaped_chars_ok(h.substr(eq + 1), kUnreserved | kHnvUnreserved)) return false;
        start = end + 1;
    }
    return true;
}

Reason parse_sip_uri(std::string_view rest, Uri& out) noexcept {
    // userinfo ends at the first '@': '@' is not allowed unescaped in params or headers, and
    // the user part may itself contain ';' '?' '/' (RFC 4475 §3.1.1.9 semiuri, §3.1.1.2).
    std::size_t i = 0;
    const std::size_t at = find_char(rest, '@');
    if (at != npos) {
        const std::string_view userinfo = rest.substr(0, at);
        const std::size_t colon = find_char(userinfo, ':');
        out.user = colon == npos ? userinfo : userinfo.substr(0, colon);
        if (colon != npos) out.password = userinfo.substr(colon + 1);
        out.has_user = true;
        if (out.user.empty()) return Reason::bad_uri;
        if (!escaped_chars_ok(out.user, kUnreserved | kUserUnreserved)) return Reason::bad_uri;
        if (colon != npos && !escaped_chars_ok(out.password, kUnreserved | kPasswordUnreserved))
            return Reason::bad_uri;
        i = at + 1;
    }
    const std::size_t n = rest.size();
    // host
    const std::size_t host_start = i;
    std::size_t host_end;
    if (i < n && rest[i] == '[') {
        const std::size_t close = find_char(rest, ']', i);
        if (close == npos) return Reason::bad_host;
        host_end = close + 1;
    } else {
        host_end = i;
        while (host_end < n && is(rest[host_end], kHostChar)) ++host_end;
    }
    Reason r = parse_host(rest.substr(host_start, host_end - host_start), out.host, out.host_kind);
    if (r != Reason::none) return r;
    i = host_end;
    if (i < n && rest[i] == ':') {
        ++i;
        const std::size_t ps = i;
        while (i < n && is_digit(rest[i])) ++i;
        out.port_text = rest.substr(ps, i - ps);
        std::uint64_t port = 0;
        if (!parse_uint(out.port_text, 65535, port)) return Reason::bad_port;
        out.port = static_cast<std::uint16_t>(port);
    }
    if (i < n && rest[i] == ';') {
        ++i;
        std::size_t q = find_char(rest, '?', i);
        if (q == npos) q = n;
        out.params = rest.substr(i, q - i);
        if (!uri_params_ok(out.params)) return Reason::bad_uri;
        i = q;
    }
    if (i < n && rest[i] == '?') {
        out.headers = rest.substr(i + 1);
        if (!uri_headers_ok(out.headers)) return Reason::bad_uri;
        i = n;
    }
    if (i != n) return Reason::bad_uri;  // any other character after the hostport (LWS, '>', ...)
    return Reason::none;
}

// RFC 3966 §3: telephone-subscriber = global-number / local-number, then ;par.
Reason parse_tel_uri(std::string_view rest, Uri& out) noexcept {
    std::size_t semi = find_char(rest, ';');
    const std::string_view number = semi == npos ? rest : rest.substr(0, semi);
    if (number.empty()) return Reason::bad_uri;
    bool digit = false;
    const bool global = number[0] == '+';
    for (std::size_t i = global ? 1 : 0; i < number.size(); ++i) {
        const char c = number[i];
        if (is_digit(c)) {
            digit = true;
        } else if (c == '-' || c == '.' || c == '(' || c == ')') {
            // visual-separator
        } else if (!global && (hex_value(c) >= 0 || c == '*' || c == '#')) {
            digit = true;
        } else {
            return Reason::bad_uri;
        }
    }
    if (!digit) return Reason::bad_uri;
    out.user = number;
    out.has_user = true;
    if (semi != npos) {
        out.params = rest.substr(semi + 1);
        if (!uri_params_ok(out.params)) return Reason::bad_uri;
        // RFC 3966 §5.1.5: a local number needs its phone-context.
    }
    if (!global && !out.has_param("phone-context")) return Reason::bad_uri;
    return Reason::none;
}

}  // namespace

Reason parse_uri(std::string_view text, Uri& out) noexcept {
    out = Uri{};
    out.text = text;
    const std::size_t colon = find_char(text, ':');
    if (colon == npos || colon == 0) return Reason::bad_uri;
    out.scheme_text = text.substr(0, colon);
    if (!is_scheme(out.scheme_text)) return Reason::bad_uri;
    out.opaque = text.substr(colon + 1);
    if (out.opaque.empty()) return Reason::bad_uri;
    // RFC 3261 §19.1.4: schemes compare case-insensitively.
    const std::string_view s = out.scheme_text;
    if (s.size() == 3 && iequals(s, "sip")) {
        out.scheme = UriScheme::sip;
        return parse_sip_uri(out.opaque, out);
    }
    if (s.size() == 4 && iequals(s, "sips")) {
        out.scheme = UriScheme::sips;
        return parse_sip_uri(out.opaque, out);
    }
    if (s.size() == 3 && iequals(s, "tel")) {
        out.scheme = UriScheme::tel;
        return parse_tel_uri(out.opaque, out);
    }
    out.scheme = UriScheme::other;
    // absoluteURI (RFC 3261 §25.1, RFC 3986): printable ASCII without space, quotes and <>.
    for (char c : out.opaque) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == '<' || c == '>' || c == '"' || c == '{' || c == '}' ||
            c == '|' || c == '\\' || c == '^' || c == '`')
            return Reason::bad_uri;
    }
    return Reason::none;
}

std::size_t unescape(std::string_view in, std::span<char> out) noexcept {
    std::size_t o = 0;
    const std::size_t n = in.size();
    for (std::size_t i = 0; i < n; ++i) {
        char c = in[i];
        if (c == '%') {
            if (i + 2 >= n) return npos;
            const int hi = hex_value(in[i + 1]);
            const int lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0) return npos;
            c = static_cast<char>((hi << 4) | lo);  // %00 stays a byte (RFC 4475 §3.1.1.4)
            i += 2;
        }
        if (o >= out.size()) return npos;
        out[o++] = c;
    }
    return o;
}

std::string_view unquote(std::string_view quoted) noexcept {
    if (quoted.size() >= 2 && quoted.front() == '"' && quoted.back() == '"')
        return quoted.substr(1, quoted.size() - 2);
    return quoted;
}

}  // namespace palisade::sip
