// Typed header value parsers (values.hpp). Each is one forward pass over its value with the
// character table of scan.hpp; the strict parameter walker below validates and extracts the
// interesting parameters in the same pass (the benchmark path: top Via, From/To, Contact).
#include "parsers/sip/values.hpp"

#include <bit>
#include <cstring>
#include <string>

#include "parsers/sip/scan.hpp"

namespace palisade::sip {

namespace {

constexpr std::size_t npos = std::string_view::npos;

constexpr bool is_lws(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Skips LWS (SP, HTAB and the CRLF of folds; Message keeps folds inside values).
inline std::size_t skip_lws(std::string_view s, std::size_t i) noexcept {
    while (i < s.size() && static_cast<unsigned char>(s[i]) <= ' ' && is_lws(s[i])) ++i;
    return i;
}
constexpr CharSet kTokenSet = make_char_set([](unsigned char c) { return is_token_char(static_cast<char>(c)); });
constexpr CharSet kGenSet = make_char_set([](unsigned char c) {
    return is_token_char(static_cast<char>(c)) || c == ':' || c == '[' || c == ']';
});
constexpr CharSet kQuotedSet = make_char_set([](unsigned char c) { return c != '"' && c != '\\'; });

inline std::size_t skip_token(std::string_view s, std::size_t i) noexcept { return detail::fast_span(s, i, kTokenSet); }
// `i` at a DQUOTE: index just past the closing DQUOTE, or npos when unterminated.
// quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F) (RFC 3261 §25.1): the escaped octet is
// skipped whatever it is, so "\"" does not close the string (RFC 4475 §3.1.1.1, §3.1.1.2).
inline std::size_t skip_quoted(std::string_view s, std::size_t i) noexcept {
    const std::size_t n = s.size();
    ++i;
    while (true) {
        i = detail::fast_span(s, i, kQuotedSet);
        if (i >= n) return npos;
        if (s[i] == '"') return i + 1;
        i += 2;  // quoted-pair
    }
}
// One table lookup per octet: token, gen-value (token plus ':' '[' ']' for hosts and bare IPv6
// received values, RFC 5118 §4.5) and LWS.
enum ValueClass : std::uint8_t { kTok = 1, kGen = 2, kLws = 4 };
struct ValueTable {
    std::uint8_t v[256];
    constexpr ValueTable() noexcept : v{} {
        for (unsigned i = 0; i < 256; ++i) {
            const char c = static_cast<char>(i);
            std::uint8_t m = 0;
            if (is_token_char(c)) m |= kTok | kGen;
            if (c == ':' || c == '[' || c == ']') m |= kGen;
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') m |= kLws;
            v[i] = m;
        }
    }
};
constexpr ValueTable kValue{};
inline std::uint8_t vclass(char c) noexcept { return kValue.v[static_cast<unsigned char>(c)]; }

// A parameter as the strict walker saw it: `token` is true when an unquoted value is a token.
struct WalkedParam {
    Param param;
    bool token = false;
};

// Strict walk over a generic-param list (RFC 3261 §25.1: *( SEMI generic-param ), given here
// without its first SEMI). Every entry must be `token [EQUAL gen-value]`; empty entries, a
// trailing ';' or an unterminated quoted value are refused (RFC 4475 §3.1.2.1). `f(WalkedParam)`
// returns Reason::none to continue. One pass, one table lookup per octet.
template <class F>
Reason walk_params(std::string_view params, F&& f) noexcept {
    const char* s = params.data();
    const std::size_t n = params.size();
    std::size_t i = skip_lws(params, 0);
    if (i == n) return Reason::bad_params;
    while (true) {
        const std::size_t ns = i;
        i = detail::fast_span(params, i, kTokenSet);
        if (i == ns) return Reason::bad_params;
        WalkedParam w;
        w.param.name = params.substr(ns, i - ns);
        std::size_t j = i;
        while (j < n && (vclass(s[j]) & kLws)) ++j;
        if (j < n && s[j] == '=') {
            ++j;
            while (j < n && (vclass(s[j]) & kLws)) ++j;
            const std::size_t vs = j;
            if (j < n && s[j] == '"') {
                j = skip_quoted(params, j);
                if (j == npos) return Reason::unterminated_quote;
            } else {
                j = detail::fast_span(params, j, kTokenSet);
                w.token = true;
                if (j < n && (vclass(s[j]) & kGen)) {  // ':' '[' ']': a host, not a token
                    j = detail::fast_span(params, j, kGenSet);
                    w.token = false;
                }
                if (j == vs) return Reason::bad_params;
            }
            w.param.value = params.substr(vs, j - vs);
            w.param.has_value = true;
            i = j;
            while (j < n && (vclass(s[j]) & kLws)) ++j;
        }
        const Reason r = f(static_cast<const WalkedParam&>(w));
        if (r != Reason::none) return r;
        if (j == n) return Reason::none;
        if (s[j] != ';') return Reason::bad_params;
        i = j + 1;
        while (i < n && (vclass(s[i]) & kLws)) ++i;
        if (i == n) return Reason::bad_params;
    }
}

// Unsigned decimal of at most `max` (leading zeros allowed), whole string.
inline bool parse_decimal(std::string_view s, std::uint64_t max, std::uint64_t& out) noexcept {
    return parse_uint(s, max, out);
}

// Case-insensitive equality with a literal (parameter names and values: RFC 3261 §7.3.1,
// §19.1.4): up to 8 octets are compared as one word, the literal's letters OR 0x20 on
// both sides. OR-ing 0x20 maps exactly the two cases of a letter to its lower case and no other
// octet to a letter, so this is iequals; the word and its fold mask fold to constants. Taken on
// every Via, From, To and Contact parameter.
template <std::size_t N>
[[gnu::always_inline]] inline bool name_is(std::string_view name, const char (&lit)[N]) noexcept {
    constexpr std::size_t n = N - 1;
    if (name.size() != n) return false;
    if constexpr (n <= 8 && std::endian::native == std::endian::little) {
        std::uint64_t got = 0, want = 0, fold = 0;
        std::memcpy(&got, name.data(), n);
        for (std::size_t i = 0; i < n; ++i) {
            const auto c = static_cast<unsigned char>(lit[i]);
            const auto l = static_cast<unsigned char>(c | 0x20u);
            const bool letter = l >= 'a' && l <= 'z';
            want |= std::uint64_t{letter ? l : c} << (8 * i);
            fold |= std::uint64_t{letter ? 0x20u : 0u} << (8 * i);
        }
        return (got | fold) == want;
    } else {
        return iequals(name, std::string_view(lit, n));
    }
}

}  // namespace

// ---- Via ----------------------------------------------------------------------------------

bool branch_is_rfc3261(std::string_view branch) noexcept {
    return branch.size() > 7 && branch.substr(0, 7) == "z9hG4bK";
}

Reason parse_via(std::string_view value, Via& out) noexcept {
    // Field by field: `out = Via{}` compiles to a rep stos plus a copy (hot path).
    out.protocol = {};
    out.transport = {};
    out.sent_by = {};
    out.host = {};
    out.host_kind = HostKind::none;
    out.port = 0;
    out.branch = {};
    out.received = {};
    out.maddr = {};
    out.params = {};
    out.has_rport = false;
    out.rport = -1;
    out.ttl = -1;
    const std::string_view v = value;
    const std::size_t n = v.size();
    // sent-protocol = protocol-name SLASH protocol-version SLASH transport (SLASH = SWS "/" SWS)
    std::size_t i = 0;
    std::size_t ps = 0;
    std::size_t ts;
    if (n > 8 && std::char_traits<char>::compare(v.data(), "SIP/2.0/", 8) == 0) {
        ts = i = 8;  // the common spelling, without LWS
    } else {
        i = ps = skip_lws(v, 0);
        i = skip_token(v, i);
        if (i == ps) return Reason::bad_via;
        i = skip_lws(v, i);
        if (i >= n || v[i] != '/') return Reason::bad_via;
        i = skip_lws(v, i + 1);
        const std::size_t k = skip_token(v, i);
        if (k == i) return Reason::bad_via;
        i = skip_lws(v, k);
        if (i >= n || v[i] != '/') return Reason::bad_via;
        ts = i = skip_lws(v, i + 1);
    }
    i = skip_token(v, i);
    if (i == ts) return Reason::bad_via;
    out.protocol = v.substr(ps, i - ps);
    out.transport = v.substr(ts, i - ts);
    // LWS sent-by
    const std::size_t hs = skip_lws(v, i);
    if (hs == i || hs >= n) return Reason::bad_via;
    std::size_t used = 0;
    if (parse_host_prefix(v.substr(hs), used, out.host, out.host_kind) != Reason::none)
        return Reason::bad_via;
    const std::size_t he = hs + used;
    std::size_t k;
    std::size_t end = he;
    k = skip_lws(v, he);
    if (k < n && v[k] == ':') {  // COLON = SWS ":" SWS
        k = skip_lws(v, k + 1);
        const std::size_t pd = k;
        while (k < n && is_digit(v[k])) ++k;
        std::uint64_t port = 0;
        if (!parse_decimal(v.substr(pd, k - pd), 65535, port)) return Reason::bad_via;
        out.port = static_cast<std::uint16_t>(port);
        end = k;
    }
    out.sent_by = v.substr(hs, end - hs);
    k = skip_lws(v, end);
    if (k == n) return Reason::none;
    if (v[k] != ';') return Reason::bad_via;
    // Walk the local view: reading out.params back right after storing it stalls on store
    // forwarding.
    const std::string_view params = trim(v.substr(k + 1));
    out.params = params;
    const Reason r = walk_params(params, [&out](const WalkedParam& w) noexcept -> Reason {
        const Param& p = w.param;
        const std::string_view nm = p.name;
        switch (nm.size()) {
        case 6:
            if (name_is(nm, "branch")) {
                if (!p.has_value || !w.token) return Reason::bad_via;
                out.branch = p.value;
            }
            break;
        case 8:
            if (name_is(nm, "received")) {
                // RFC 3261: IPv4address / IPv6address; RFC 5118 §4.5: tolerate [ ].
                if (!p.has_value) return Reason::bad_via;
                std::string_view a = p.value;
                if (a.size() > 2 && a.front() == '[' && a.back() == ']')
                    a = a.substr(1, a.size() - 2);
                if (!is_ipv4_address(a) && !is_ipv6_address(a)) return Reason::bad_via;
                out.received = p.value;
            }
            break;
        case 5:
            if (name_is(nm, "maddr")) {
                std::string_view h;
                HostKind kind;
                if (!p.has_value || parse_host(p.value, h, kind) != Reason::none)
                    return Reason::bad_via;
                out.maddr = p.value;
            } else if (name_is(nm, "rport")) {
                // RFC 3581 §3: response-port = "rport" [EQUAL 1*DIGIT]
                out.has_rport = true;
                if (p.has_value) {
                    std::uint64_t port = 0;
                    if (!parse_decimal(p.value, 65535, port)) return Reason::bad_via;
                    out.rport = static_cast<std::int32_t>(port);
                }
            }
            break;
        case 3:
            if (name_is(nm, "ttl")) {
                std::uint64_t ttl = 0;
                if (!p.has_value || !parse_decimal(p.value, 255, ttl)) return Reason::bad_via;
                out.ttl = static_cast<std::int32_t>(ttl);
            }
            break;
        default:
            break;
        }
        return Reason::none;
    });
    if (r == Reason::unterminated_quote) return r;
    return r == Reason::none ? Reason::none : Reason::bad_via;
}

// ---- name-addr / addr-spec ----------------------------------------------------------------

Reason parse_name_addr(std::string_view value, NameAddr& out) noexcept {
    // Field by field (hot path); parse_uri resets out.uri itself.
    out.display_name = {};
    out.uri_text = {};
    out.params = {};
    out.tag = {};
    out.display_quoted = false;
    out.bracketed = false;
    const std::string_view v = value;
    const std::size_t n = v.size();
    std::size_t i = skip_lws(v, 0);
    if (i >= n) return Reason::bad_name_addr;
    bool name_addr = false;
    if (v[i] == '"') {
        // display-name as quoted-string (quoted-pairs may escape '"', NUL, BEL, DEL: RFC 4475
        // §3.1.1.2); an unterminated quote is refused (RFC 4475 §3.1.2.6 quotbal).
        const std::size_t e = skip_quoted(v, i);
        if (e == npos) return Reason::unterminated_quote;
        out.display_name = v.substr(i + 1, e - i - 2);
        out.display_quoted = true;
        i = skip_lws(v, e);
        if (i >= n || v[i] != '<') return Reason::bad_name_addr;
        name_addr = true;
    } else if (v[i] == '<') {
        name_addr = true;
    } else {
        // *(token LWS) then '<' is a name-addr; the LWS before '<' may be absent (RFC 4475
        // §3.1.1.6 lwsdisp). Anything else (the ':' of a scheme) makes it an addr-spec.
        std::size_t j = i;
        std::size_t last = i;
        while (j < n) {
            if (is_token_char(v[j])) {
                ++j;
                last = j;
            } else if (is_lws(v[j])) {
                ++j;
            } else {
                break;
            }
        }
        if (j < n && v[j] == '<') {
            out.display_name = v.substr(i, last - i);
            i = j;
            name_addr = true;
        }
    }
    std::size_t after;
    if (name_addr) {
        // The URI ends where its grammar does; a '>' must follow (one pass, no search for '>').
        std::size_t used = 0;
        const Reason r = parse_uri_prefix(v.substr(i + 1), out.uri, used);
        if (r != Reason::none) return r;
        const std::size_t close = i + 1 + used;
        if (close >= n || v[close] != '>') return Reason::bad_uri;  // LWS or junk inside <>
        out.bracketed = true;
        // From local values: reading out.uri.text back right after parse_uri_prefix stored it
        // (two 8-byte stores, one 16-byte load) stalls on store forwarding (perf, invite_sdp).
        out.uri_text = v.substr(i + 1, used);
        after = close + 1;
    } else {
        // addr-spec: RFC 3261 §20.10: a URI with ',', '?' or ';' must be in <>, so the URI ends
        // at the first ';' (what follows is header params, RFC 4475 §3.3.12 cparam01) and a
        // '?' means URI headers outside <> (RFC 4475 §3.1.2.13 regbadct).
        std::size_t j = i;
        while (j < n && v[j] != ';' && !is_lws(v[j])) {
            if (v[j] == '?' || v[j] == ',' || v[j] == '"' || v[j] == '<' || v[j] == '>')
                return Reason::bad_name_addr;
            ++j;
        }
        out.uri_text = v.substr(i, j - i);
        const Reason r = parse_uri(out.uri_text, out.uri);
        if (r != Reason::none) return r;
        after = j;
    }
    std::size_t k = skip_lws(v, after);
    if (k == n) return Reason::none;
    if (v[k] != ';') return Reason::bad_name_addr;
    // Walk the local view: reading out.params back right after storing it stalls on store
    // forwarding.
    const std::string_view params = trim(v.substr(k + 1));
    out.params = params;
    return walk_params(params, [&out](const WalkedParam& w) noexcept -> Reason {
        const Param& p = w.param;
        if (name_is(p.name, "tag")) {
            if (!p.has_value || !w.token) return Reason::bad_params;
            out.tag = p.value;
        }
        return Reason::none;
    });
}

// ---- Contact ------------------------------------------------------------------------------

namespace {
// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )  (RFC 3261 §25.1)
bool is_qvalue(std::string_view q) noexcept {
    if (q.empty() || q.size() > 5) return false;
    if (q[0] != '0' && q[0] != '1') return false;
    if (q.size() == 1) return true;
    if (q[1] != '.') return false;
    for (std::size_t i = 2; i < q.size(); ++i) {
        if (!is_digit(q[i])) return false;
        if (q[0] == '1' && q[i] != '0') return false;
    }
    return true;
}
}  // namespace

Reason parse_contact(std::string_view value, ContactValue& out) noexcept {
    out.star = false;
    out.expires = -1;
    out.q = {};
    const std::string_view t = trim(value);
    if (t.size() == 1 && t[0] == '*') {
        out.star = true;
        return Reason::none;
    }
    const Reason r = parse_name_addr(t, out.addr);
    if (r != Reason::none) return r;
    if (out.addr.params.empty()) return Reason::none;
    for (const Param& p : ParamRange(out.addr.params)) {
        if (name_is(p.name, "expires")) {
            std::uint64_t e = 0;
            // RFC 4475 §3.1.2.4 scalar02: range-checked, never wrapped.
            if (!p.has_value || !parse_decimal(p.value, 0xffff'ffffu, e)) return Reason::bad_expires;
            out.expires = static_cast<std::int64_t>(e);
        } else if (name_is(p.name, "q")) {
            if (!p.has_value || !is_qvalue(p.value)) return Reason::bad_contact;
            out.q = p.value;
        }
    }
    return Reason::none;
}

// ---- scalars ------------------------------------------------------------------------------

Reason parse_cseq(std::string_view value, CSeq& out) noexcept {
    out = CSeq{};
    const std::string_view v = trim(value);
    const std::size_t n = v.size();
    std::size_t i = 0;
    while (i < n && is_digit(v[i])) ++i;
    std::uint64_t num = 0;
    if (!parse_decimal(v.substr(0, i), 0xffff'ffffu, num)) return Reason::bad_cseq;
    const std::size_t ms = skip_lws(v, i);
    if (ms == i) return Reason::bad_cseq;  // CSeq = 1*DIGIT LWS Method
    const std::size_t me = skip_token(v, ms);
    if (me == ms || me != n) return Reason::bad_cseq;
    out.number = static_cast<std::uint32_t>(num);
    out.method_text = v.substr(ms, me - ms);
    out.method = method_from(out.method_text);
    return Reason::none;
}

Reason parse_max_forwards(std::string_view value, std::uint32_t& out) noexcept {
    std::uint64_t v = 0;
    if (!parse_decimal(trim(value), 255, v)) return Reason::bad_max_forwards;
    out = static_cast<std::uint32_t>(v);
    return Reason::none;
}

Reason parse_uint32(std::string_view value, std::uint32_t& out) noexcept {
    std::uint64_t v = 0;
    if (!parse_decimal(trim(value), 0xffff'ffffu, v)) return Reason::bad_number;
    out = static_cast<std::uint32_t>(v);
    return Reason::none;
}

// ---- authentication -----------------------------------------------------------------------

void AuthParamRange::Iterator::advance() noexcept {
    if (error_) {
        // The previous element was followed by garbage: report it once as an empty name.
        error_ = false;
        done_ = false;
        cur_ = Param{{}, rest_, false};
        rest_ = {};
        return;
    }
    const std::string_view r = rest_;
    const std::size_t n = r.size();
    std::size_t i = 0;
    while (i < n && (r[i] == ',' || is_lws(r[i]))) ++i;
    if (i >= n) {
        done_ = true;
        rest_ = {};
        return;
    }
    done_ = false;
    const std::size_t ns = i;
    i = skip_token(r, i);
    std::size_t j = skip_lws(r, i);
    if (i == ns || j >= n || r[j] != '=') {
        cur_ = Param{{}, r.substr(ns), false};
        rest_ = {};
        return;
    }
    cur_.name = r.substr(ns, i - ns);
    j = skip_lws(r, j + 1);
    const std::size_t vs = j;
    if (j < n && r[j] == '"') {
        j = skip_quoted(r, j);
        if (j == npos) {
            cur_ = Param{{}, r.substr(ns), false};
            rest_ = {};
            return;
        }
    } else {
        while (j < n && r[j] != ',' && !is_lws(r[j])) ++j;
        if (j == vs) {
            cur_ = Param{{}, r.substr(ns), false};
            rest_ = {};
            return;
        }
    }
    cur_.value = r.substr(vs, j - vs);
    cur_.has_value = true;
    const std::size_t k = skip_lws(r, j);
    if (k < n && r[k] != ',') {
        error_ = true;
        rest_ = r.substr(k);
        return;
    }
    rest_ = r.substr(k);
}

namespace {
// auth-scheme LWS auth-params: splits off the scheme token.
bool split_scheme(std::string_view value, std::string_view& scheme, std::string_view& params) noexcept {
    const std::string_view v = trim(value);
    const std::size_t e = skip_token(v, 0);
    if (e == 0) return false;
    if (e < v.size() && !is_lws(v[e])) return false;
    scheme = v.substr(0, e);
    params = trim(v.substr(e));
    return true;
}
bool parse_nc(std::string_view s, std::uint32_t& out) noexcept {
    // nonce-count = "nc" EQUAL 8LHEX (RFC 2617 §3.2.2)
    if (s.size() != 8) return false;
    std::uint32_t v = 0;
    for (char c : s) {
        const int h = hex_value(c);
        if (h < 0) return false;
        v = (v << 4) | static_cast<std::uint32_t>(h);
    }
    out = v;
    return true;
}
}  // namespace

Reason parse_credentials(std::string_view value, DigestCredentials& out) noexcept {
    // Field by field (struct assignment is a rep stos plus a copy on the REGISTER path).
    out.username = {};
    out.realm = {};
    out.nonce = {};
    out.uri = {};
    out.response = {};
    out.algorithm = {};
    out.cnonce = {};
    out.opaque = {};
    out.qop = {};
    out.nc_text = {};
    out.userhash = {};
    out.nc = 0;
    std::string_view scheme, params;
    if (!split_scheme(value, scheme, params)) return Reason::bad_credentials;
    out.scheme = scheme;
    out.params = params;
    // Other schemes are kept opaque (RFC 4475 §3.3.7 regaut01: the parser must not fail).
    if (!iequals(scheme, "Digest")) return Reason::none;
    unsigned seen = 0;
    for (const Param& p : AuthParamRange(params)) {
        if (p.name.empty()) return Reason::bad_credentials;
        const std::string_view nm = p.name;
        const std::string_view val = unquote(p.value);
        switch (to_lower(nm[0])) {
        case 'u':
            if (name_is(nm, "username")) { out.username = val; seen |= 1u; }
            else if (name_is(nm, "uri")) { out.uri = val; seen |= 2u; }
            else if (name_is(nm, "userhash")) out.userhash = val;
            break;
        case 'r':
            if (name_is(nm, "realm")) { out.realm = val; seen |= 4u; }
            else if (name_is(nm, "response")) { out.response = val; seen |= 8u; }
            break;
        case 'n':
            if (name_is(nm, "nonce")) { out.nonce = val; seen |= 16u; }
            else if (name_is(nm, "nc")) {
                if (!parse_nc(val, out.nc)) return Reason::bad_credentials;
                out.nc_text = val;
            }
            break;
        case 'a':
            if (name_is(nm, "algorithm")) out.algorithm = val;
            break;
        case 'c':
            if (name_is(nm, "cnonce")) out.cnonce = val;
            break;
        case 'o':
            if (name_is(nm, "opaque")) out.opaque = val;
            break;
        case 'q':
            if (name_is(nm, "qop")) out.qop = val;
            break;
        default:
            break;
        }
    }
    // RFC 7616 §3.4 (RFC 2617 §3.2.2): username, realm, nonce, uri and response are required.
    if (seen != 31u) return Reason::bad_credentials;
    return Reason::none;
}

Reason parse_challenge(std::string_view value, DigestChallenge& out) noexcept {
    out = DigestChallenge{};
    std::string_view scheme, params;
    if (!split_scheme(value, scheme, params)) return Reason::bad_challenge;
    out.scheme = scheme;
    out.params = params;
    if (!iequals(scheme, "Digest")) return Reason::none;
    unsigned seen = 0;
    for (const Param& p : AuthParamRange(params)) {
        if (p.name.empty()) return Reason::bad_challenge;
        const std::string_view nm = p.name;
        const std::string_view val = unquote(p.value);
        if (name_is(nm, "realm")) { out.realm = val; seen |= 1u; }
        else if (name_is(nm, "nonce")) { out.nonce = val; seen |= 2u; }
        else if (name_is(nm, "opaque")) out.opaque = val;
        else if (name_is(nm, "algorithm")) out.algorithm = val;
        else if (name_is(nm, "qop")) out.qop = val;
        else if (name_is(nm, "domain")) out.domain = val;
        else if (name_is(nm, "charset")) out.charset = val;
        else if (name_is(nm, "userhash")) out.userhash = val;
        else if (name_is(nm, "stale")) out.stale = iequals(val, "true");
    }
    // RFC 7616 §3.3: realm and nonce are required in a challenge.
    if (seen != 3u) return Reason::bad_challenge;
    return Reason::none;
}

// ---- Session-Expires, Retry-After, Reason, media type -------------------------------------

namespace {
// Leading delta-seconds, then optional LWS; `rest_at` gets the index after them.
bool leading_uint32(std::string_view v, std::uint32_t& out, std::size_t& rest_at) noexcept {
    std::size_t i = 0;
    while (i < v.size() && is_digit(v[i])) ++i;
    std::uint64_t x = 0;
    if (!parse_decimal(v.substr(0, i), 0xffff'ffffu, x)) return false;
    out = static_cast<std::uint32_t>(x);
    rest_at = skip_lws(v, i);
    return true;
}
}  // namespace

Reason parse_session_expires(std::string_view value, SessionExpires& out) noexcept {
    out = SessionExpires{};
    const std::string_view v = trim(value);
    std::size_t i = 0;
    if (!leading_uint32(v, out.delta, i)) return Reason::bad_session_expires;
    if (i == v.size()) return Reason::none;
    if (v[i] != ';') return Reason::bad_session_expires;
    // Walk the local view: reading out.params back right after storing it stalls on store
    // forwarding.
    const std::string_view params = trim(v.substr(i + 1));
    out.params = params;
    const Reason r = walk_params(params, [&out](const WalkedParam& w) noexcept -> Reason {
        const Param& p = w.param;
        if (name_is(p.name, "refresher")) {
            // RFC 4028 §4: refresher-param = "refresher" EQUAL ("uas" / "uac")
            if (name_is(p.value, "uac")) out.refresher = SessionExpires::Refresher::uac;
            else if (name_is(p.value, "uas")) out.refresher = SessionExpires::Refresher::uas;
            else return Reason::bad_session_expires;
        }
        return Reason::none;
    });
    return r == Reason::none ? r : Reason::bad_session_expires;
}

Reason parse_retry_after(std::string_view value, RetryAfter& out) noexcept {
    out = RetryAfter{};
    const std::string_view v = trim(value);
    const std::size_t n = v.size();
    std::size_t i = 0;
    if (!leading_uint32(v, out.seconds, i)) return Reason::bad_retry_after;
    if (i < n && v[i] == '(') {
        // comment = LPAREN *(ctext / quoted-pair / comment) RPAREN, nested (RFC 3261 §25.1)
        int depth = 0;
        std::size_t j = i;
        for (; j < n; ++j) {
            if (v[j] == '\\') { ++j; continue; }
            if (v[j] == '(') ++depth;
            else if (v[j] == ')' && --depth == 0) break;
        }
        if (j >= n) return Reason::bad_retry_after;
        out.comment = v.substr(i + 1, j - i - 1);
        i = skip_lws(v, j + 1);
    }
    if (i == n) return Reason::none;
    if (v[i] != ';') return Reason::bad_retry_after;
    // Walk the local view: reading out.params back right after storing it stalls on store
    // forwarding.
    const std::string_view params = trim(v.substr(i + 1));
    out.params = params;
    const Reason r = walk_params(params, [&out](const WalkedParam& w) noexcept -> Reason {
        const Param& p = w.param;
        if (name_is(p.name, "duration")) {
            std::uint64_t d = 0;
            if (!p.has_value || !parse_decimal(p.value, 0xffff'ffffu, d)) return Reason::bad_retry_after;
            out.duration = static_cast<std::int64_t>(d);
        }
        return Reason::none;
    });
    return r == Reason::none ? r : Reason::bad_retry_after;
}

Reason parse_reason(std::string_view value, ReasonHeader& out) noexcept {
    out = ReasonHeader{};
    const std::string_view v = trim(value);
    const std::size_t e = skip_token(v, 0);
    if (e == 0) return Reason::bad_reason_header;
    out.protocol = v.substr(0, e);
    const std::size_t i = skip_lws(v, e);
    if (i == v.size()) return Reason::none;
    if (v[i] != ';') return Reason::bad_reason_header;
    // Walk the local view: reading out.params back right after storing it stalls on store
    // forwarding.
    const std::string_view params = trim(v.substr(i + 1));
    out.params = params;
    const Reason r = walk_params(params, [&out](const WalkedParam& w) noexcept -> Reason {
        const Param& p = w.param;
        if (name_is(p.name, "cause")) {
            std::uint64_t c = 0;
            if (!p.has_value || !parse_decimal(p.value, 0x7fff'ffff, c)) return Reason::bad_reason_header;
            out.cause = static_cast<std::int32_t>(c);
        } else if (name_is(p.name, "text")) {
            out.text = unquote(p.value);
        }
        return Reason::none;
    });
    return r == Reason::none ? r : Reason::bad_reason_header;
}

bool MediaType::is(std::string_view t, std::string_view s) const noexcept {
    return iequals(type, t) && iequals(subtype, s);
}

Reason parse_media_type(std::string_view value, MediaType& out) noexcept {
    out = MediaType{};
    const std::string_view v = trim(value);
    const std::size_t n = v.size();
    std::size_t e = skip_token(v, 0);
    if (e == 0) return Reason::bad_media_type;
    out.type = v.substr(0, e);
    std::size_t i = skip_lws(v, e);
    if (i >= n || v[i] != '/') return Reason::bad_media_type;
    i = skip_lws(v, i + 1);
    e = skip_token(v, i);
    if (e == i) return Reason::bad_media_type;
    out.subtype = v.substr(i, e - i);
    i = skip_lws(v, e);
    if (i == n) return Reason::none;
    if (v[i] != ';') return Reason::bad_media_type;
    // Walk the local view: reading out.params back right after storing it stalls on store
    // forwarding.
    const std::string_view params = trim(v.substr(i + 1));
    out.params = params;
    const Reason r = walk_params(params, [](const WalkedParam&) noexcept { return Reason::none; });
    return r == Reason::none ? r : Reason::bad_media_type;
}

// ---- token lists --------------------------------------------------------------------------

bool has_token(std::string_view list, std::string_view token, bool semicolon_separates) noexcept {
    const std::size_t n = list.size();
    std::size_t i = 0;
    while (i < n) {
        std::size_t e = i;
        while (e < n && list[e] != ',' && !(semicolon_separates && list[e] == ';')) ++e;
        std::string_view element = list.substr(i, e - i);
        if (!semicolon_separates) {
            const std::size_t semi = find_char(element, ';');
            if (semi != npos) element = element.substr(0, semi);
        }
        if (iequals(trim(element), token)) return true;
        i = e + 1;
    }
    return false;
}

bool has_token(const Message& msg, HeaderId id, std::string_view token) noexcept {
    const bool semi = id == HeaderId::privacy;  // RFC 3323 §4.2: priv-value *(";" priv-value)
    for (const HeaderField& f : msg.fields(id))
        if (has_token(f.value, token, semi)) return true;
    return false;
}

}  // namespace palisade::sip
