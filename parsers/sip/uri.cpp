// SIP/SIPS/tel URI parsing (RFC 3261 §19.1, §25.1; RFC 3966; RFC 5118). One forward pass per
// component over the character table of scan.hpp; every result is a slice of the input.
#include "parsers/sip/uri.hpp"

#include <bit>
#include <cstring>

#include "parsers/sip/scan.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <tmmintrin.h>
#define PALISADE_SIP_SSSE3 1
#endif

namespace palisade::sip {

// ---- span ---------------------------------------------------------------------------------

namespace {

std::size_t span_scalar(const char* p, std::size_t i, std::size_t n, const CharSet& set) noexcept {
    while (i < n && set.has(p[i])) ++i;
    return i;
}

#ifdef PALISADE_SIP_SSSE3
// Octets of the 16 at `v` that are NOT in the set, one bit each (pshufb nibble lookup).
__attribute__((target("ssse3"))) inline unsigned outside_mask(__m128i v, __m128i lo_t, __m128i hi_t) noexcept {
    const __m128i nib = _mm_set1_epi8(0x0f);
    const __m128i lo = _mm_shuffle_epi8(lo_t, _mm_and_si128(v, nib));
    const __m128i hi = _mm_shuffle_epi8(hi_t, _mm_and_si128(_mm_srli_epi16(v, 4), nib));
    const __m128i in = _mm_and_si128(lo, hi);
    return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(in, _mm_setzero_si128())));
}

__attribute__((target("ssse3"))) std::size_t span_ssse3(const char* p, std::size_t i, std::size_t n,
                                                        const CharSet& set) noexcept {
    const __m128i lo_t = _mm_load_si128(reinterpret_cast<const __m128i*>(set.lo));
    const __m128i hi_t = _mm_load_si128(reinterpret_cast<const __m128i*>(set.hi));
    while (n - i >= 16) {
        const unsigned m = outside_mask(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)), lo_t, hi_t);
        if (m != 0) return i + static_cast<std::size_t>(__builtin_ctz(m));
        i += 16;
    }
    if (i == n) return n;
    if (n < 16) return span_scalar(p, i, n, set);
    // The last 16 octets of the view, overlapping what was already checked: no read past it.
    const unsigned m = outside_mask(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16)), lo_t, hi_t) >>
                       (16 - (n - i));
    return m != 0 ? i + static_cast<std::size_t>(__builtin_ctz(m)) : n;
}

const bool kHaveSsse3 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("ssse3") != 0;
}();
#endif

}  // namespace

std::size_t span(std::string_view s, std::size_t from, const CharSet& set) noexcept {
    if (from >= s.size()) return s.size();
#ifdef PALISADE_SIP_SSSE3
    if (kHaveSsse3) return span_ssse3(s.data(), from, s.size(), set);
#endif
    return span_scalar(s.data(), from, s.size(), set);
}

namespace {

constexpr std::size_t npos = std::string_view::npos;

constexpr bool is_lws(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

bool is_ipv4_address(std::string_view s) noexcept {
    const std::size_t n = s.size();
    if (n < 7 || n > 15) return false;
    std::size_t i = 0;
    for (int part = 0;; ++part) {
        unsigned v = 0;
        const std::size_t start = i;
        while (i < n && is_digit(s[i])) {
            v = v * 10 + static_cast<unsigned>(s[i] - '0');
            if (++i - start > 3) return false;
        }
        if (i == start || v > 255) return false;
        if (part == 3) return i == n;
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
    std::size_t used = 0;
    const Reason r = parse_host_prefix(text, used, host, kind);
    if (r != Reason::none) return r;
    return used == text.size() ? Reason::none : Reason::bad_host;
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

// One table lookup per octet for every URI component class (RFC 3261 §25.1). The scanning
// loops test one bit per octet and handle their few special octets (separators, '%') in a
// rarely taken branch: these loops run on every packet (Request-URI, From, To, Contact, PAI;
// bench/parser_bench.cpp BM_Parse/palisade/*).
enum UriClass : std::uint16_t {
    kUser = 1u << 0,      // unreserved / user-unreserved
    kPass = 1u << 1,      // unreserved / "&" / "=" / "+" / "$" / ","
    kHost = 1u << 2,      // alphanum / "-" / "."
    kParam = 1u << 3,     // paramchar without escapes: unreserved / param-unreserved
    kHnv = 1u << 4,       // hname / hvalue chars without escapes: unreserved / hnv-unreserved
    kAlnum = 1u << 5,     // alphanum
    kAlphaDash = 1u << 6, // ALPHA / "-": a host with neither is all digits and dots
    kUserLoop = 1u << 7,  // what the userinfo loop runs over: user chars, ':' and '%'
    kUserRare = 1u << 8,  // ':' and '%' in userinfo: slow-path validation
    kParamLoop = 1u << 9, // paramchar, ';', '=', '%'
    kParamSep = 1u << 10, // ';', '=', '%'
    kHdrLoop = 1u << 11,  // hname/hvalue chars, '&', '=', '%'
    kHdrSep = 1u << 12,   // '&', '=', '%'
    kTel = 1u << 13,      // telephone-subscriber number chars: HEXDIG "*" "#" "+" visual-separator
    kOpaque = 1u << 14,   // absoluteURI chars (printable ASCII without SP " < > { } | \ ^ `)
};
struct UriTable {
    std::uint16_t v[256];
    constexpr UriTable() noexcept : v{} {
        for (unsigned i = 0; i < 256; ++i) {
            const char c = static_cast<char>(i);
            std::uint16_t m = 0;
            if (is(c, kUnreserved | kUserUnreserved)) m |= kUser | kUserLoop;
            if (is(c, kUnreserved | kPasswordUnreserved)) m |= kPass;
            if (c == ':' || c == '%') m |= kUserLoop | kUserRare;
            if (is(c, kHostChar)) m |= kHost;
            if (is(c, kAlpha | kDigit)) m |= kAlnum;
            if (is(c, kAlpha) || c == '-') m |= kAlphaDash;
            if (is(c, kUnreserved | kParamUnreserved)) m |= kParam | kParamLoop;
            if (c == ';' || c == '=' || c == '%') m |= kParamLoop | kParamSep;
            if (is(c, kUnreserved | kHnvUnreserved)) m |= kHnv | kHdrLoop;
            if (c == '&' || c == '=' || c == '%') m |= kHdrLoop | kHdrSep;
            if (is(c, kHex) || c == '*' || c == '#' || c == '+' || c == '-' || c == '.' ||
                c == '(' || c == ')')
                m |= kTel;
            if (i > 0x20 && i < 0x7f && c != '<' && c != '>' && c != '"' && c != '{' && c != '}' &&
                c != '|' && c != '\\' && c != '^' && c != '`')
                m |= kOpaque;
            v[i] = m;
        }
    }
};
constexpr UriTable kUri{};
inline std::uint16_t uclass(char c) noexcept { return kUri.v[static_cast<unsigned char>(c)]; }
inline bool escape_at(const char* p, std::size_t i, std::size_t n) noexcept {
    return i + 2 < n && hex_value(p[i + 1]) >= 0 && hex_value(p[i + 2]) >= 0;
}

// SIMD-scannable classes (see span()).
constexpr CharSet kUserSet = make_char_set([](unsigned char c) { return (kUri.v[c] & kUser) != 0; });
constexpr CharSet kHostSet = make_char_set([](unsigned char c) { return (kUri.v[c] & kHost) != 0; });
constexpr CharSet kParamSet = make_char_set([](unsigned char c) { return (kUri.v[c] & kParam) != 0; });
constexpr CharSet kHnvSet = make_char_set([](unsigned char c) { return (kUri.v[c] & kHnv) != 0; });

// Characters of an escaped component: `cls` octets plus "%" HEXDIG HEXDIG.
bool component_ok(std::string_view s, std::uint16_t cls) noexcept {
    const std::size_t n = s.size();
    for (std::size_t i = 0; i < n; ++i) {
        if (s[i] == '%') {
            if (!escape_at(s.data(), i, n)) return false;
            i += 2;
        } else if (!(uclass(s[i]) & cls)) {
            return false;
        }
    }
    return true;
}

// uri-parameters = *( ";" pname [ "=" pvalue ] ), pname and pvalue 1*paramchar, from `i` just
// after a ';'. Stops at the first octet that cannot continue them ('?', '>', end...).
Reason scan_uri_params(const char* p, std::size_t n, std::size_t& i) noexcept {
    const std::string_view s(p, n);
    std::size_t seg = i;    // start of the current parameter
    std::size_t eq = npos;  // its '=' if any
    while (true) {
        i = detail::fast_span(s, i, kParamSet);
        if (i == n) break;
        const char c = p[i];
        if (c == ';') {
            if (i == seg || eq + 1 == i) return Reason::bad_uri;  // empty name or value
            seg = ++i;
            eq = npos;
        } else if (c == '=') {
            if (eq != npos || i == seg) return Reason::bad_uri;
            eq = i++;
        } else if (c == '%') {
            if (!escape_at(p, i, n)) return Reason::bad_uri;
            i += 3;
        } else {
            break;
        }
    }
    if (i == seg || eq + 1 == i) return Reason::bad_uri;
    return Reason::none;
}

// headers = "?" header *( "&" header ), header = hname "=" hvalue (hvalue may be empty), from
// `i` just after the '?'.
Reason scan_uri_headers(const char* p, std::size_t n, std::size_t& i) noexcept {
    const std::string_view s(p, n);
    std::size_t seg = i;
    std::size_t eq = npos;
    while (true) {
        i = detail::fast_span(s, i, kHnvSet);
        if (i == n) break;
        const char c = p[i];
        if (c == '&') {
            if (eq == npos || eq == seg) return Reason::bad_uri;
            seg = ++i;
            eq = npos;
        } else if (c == '=' && eq == npos) {
            eq = i++;  // a second '=' is not an hvalue character: it ends the scan
        } else if (c == '%') {
            if (!escape_at(p, i, n)) return Reason::bad_uri;
            i += 3;
        } else {
            break;
        }
    }
    if (eq == npos || eq == seg) return Reason::bad_uri;
    return Reason::none;
}

// "userinfo@hostport;params?headers" (RFC 3261 §25.1 SIP-URI) from the start of `rest`; `i`
// gets the octet where the URI ends.
Reason parse_sip_uri(std::string_view rest, Uri& out, std::size_t& end) noexcept {
    const char* p = rest.data();
    const std::size_t n = rest.size();
    std::size_t i = 0;
    // userinfo ends at '@', which is allowed unescaped nowhere after it; the user may contain
    // ';' '?' '/' (RFC 4475 §3.1.1.9 semiuri, §3.1.1.2 intmeth). Without an '@' the same octets
    // are the host and what follows, parsed again below.
    i = detail::fast_span(rest, 0, kUserSet);
    if (i < n && p[i] == '@') {
        if (i == 0) return Reason::bad_uri;
        out.user = rest.substr(0, i);
        out.has_user = true;
        ++i;
    } else if (i < n && (p[i] == ':' || p[i] == '%')) {
        // A password or escapes (or a port: "host:5060"): validate precisely, octet by octet.
        while (i < n && (uclass(p[i]) & kUserLoop)) ++i;
        if (i < n && p[i] == '@') {
            std::string_view user = rest.substr(0, i);
            const std::size_t colon = find_char(user, ':');
            if (colon != npos) {
                out.password = user.substr(colon + 1);
                user = user.substr(0, colon);
                if (!component_ok(out.password, kPass)) return Reason::bad_uri;
            }
            if (user.empty() || !component_ok(user, kUser)) return Reason::bad_uri;
            out.user = user;
            out.has_user = true;
            ++i;
        } else {
            i = 0;
        }
    } else {
        i = 0;
    }
    std::size_t used = 0;
    const Reason r = parse_host_prefix(rest.substr(i), used, out.host, out.host_kind);
    if (r != Reason::none) return r;
    i += used;
    if (i < n && p[i] == ':') {  // port: range-checked, leading zeros allowed
        const std::size_t ps = ++i;
        std::uint32_t port = 0;
        while (i < n && is_digit(p[i])) {
            port = port * 10 + static_cast<std::uint32_t>(p[i] - '0');
            if (port > 65535) return Reason::bad_port;
            ++i;
        }
        if (i == ps) return Reason::bad_port;
        out.port_text = rest.substr(ps, i - ps);
        out.port = static_cast<std::uint16_t>(port);
    }
    if (i < n && p[i] == ';') {
        const std::size_t ps = ++i;
        if (scan_uri_params(p, n, i) != Reason::none) return Reason::bad_uri;
        out.params = rest.substr(ps, i - ps);
    }
    if (i < n && p[i] == '?') {
        const std::size_t hs = ++i;
        if (scan_uri_headers(p, n, i) != Reason::none) return Reason::bad_uri;
        out.headers = rest.substr(hs, i - hs);
    }
    end = i;
    return Reason::none;
}

// RFC 3966 §3: telephone-subscriber = global-number / local-number, then ;par.
Reason parse_tel_uri(std::string_view rest, Uri& out, std::size_t& end) noexcept {
    const char* p = rest.data();
    const std::size_t n = rest.size();
    std::size_t i = 0;
    while (i < n && (uclass(p[i]) & kTel)) ++i;
    const std::string_view number = rest.substr(0, i);
    if (number.empty()) return Reason::bad_uri;
    bool digit = false;
    const bool global = number[0] == '+';
    for (std::size_t j = global ? 1 : 0; j < number.size(); ++j) {
        const char c = number[j];
        if (is_digit(c)) {
            digit = true;
        } else if (c == '-' || c == '.' || c == '(' || c == ')') {
            // visual-separator
        } else if (!global && c != '+') {
            digit = true;  // HEXDIG / "*" / "#" of a local number
        } else {
            return Reason::bad_uri;
        }
    }
    if (!digit) return Reason::bad_uri;
    out.user = number;
    out.has_user = true;
    if (i < n && p[i] == ';') {
        const std::size_t ps = ++i;
        if (scan_uri_params(p, n, i) != Reason::none) return Reason::bad_uri;
        out.params = rest.substr(ps, i - ps);
    }
    // RFC 3966 §5.1.5: a local number needs its phone-context.
    if (!global && !out.has_param("phone-context")) return Reason::bad_uri;
    end = i;
    return Reason::none;
}

}  // namespace

namespace {
// is_ipv4_address() for `len` octets at `p` when 16 octets are readable there: the digit and
// dot masks of one vector give the group boundaries, so no loop exits on the digit count
// (4 unpredictable exits per address in the scalar loop). SSE2 is baseline on x86-64.
#if defined(__SSE2__)
// The IPv4 rules on the dot and digit masks of the `len` octets in `v` (bits beyond len clear).
inline bool ipv4_from_masks(__m128i v, std::size_t len, unsigned dots, unsigned digits) noexcept {
    const unsigned all = (1u << len) - 1;
    if ((dots | digits) != all || std::popcount(dots) != 3) return false;
    // Every group 1..3 digits, from the masks: no dot first, last or next to a dot; no four
    // digits in a row.
    const unsigned last = 1u << (len - 1);
    if ((dots & (1u | last)) || (dots & (dots << 1)) ||
        (digits & (digits << 1) & (digits << 2) & (digits << 3)))
        return false;
    // Only a three-digit group can exceed 255: at each one's first digit d0 d1 d2, over 255
    // means d0 > '2', or d0 == '2' and (d1 > '5', or d1 == '5' and d2 > '5'). From four compares
    // of the whole vector, without a loop over the groups.
    const unsigned starts3 = digits & (digits >> 1) & (digits >> 2) & ~(digits << 1);
    const auto mask = [](__m128i x) noexcept { return static_cast<unsigned>(_mm_movemask_epi8(x)); };
    const unsigned gt2 = mask(_mm_cmpgt_epi8(v, _mm_set1_epi8('2')));
    const unsigned eq2 = mask(_mm_cmpeq_epi8(v, _mm_set1_epi8('2')));
    const unsigned gt5 = mask(_mm_cmpgt_epi8(v, _mm_set1_epi8('5')));
    const unsigned eq5 = mask(_mm_cmpeq_epi8(v, _mm_set1_epi8('5')));
    const unsigned over = gt2 | (eq2 & ((gt5 >> 1) | ((eq5 >> 1) & (gt5 >> 2))));
    return (over & starts3) == 0;
}

// Octets of `x` in [lo, hi] (signed compares: every bound here is ASCII), one bit each.
inline std::uint32_t in_range16(__m128i x, char lo, char hi) noexcept {
    return static_cast<std::uint32_t>(_mm_movemask_epi8(
        _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(static_cast<char>(lo - 1))),
                      _mm_cmpgt_epi8(_mm_set1_epi8(static_cast<char>(hi + 1)), x))));
}
#endif

bool ipv4_in_16(const char* p, std::size_t len) noexcept {
    if (len < 7 || len > 15) return false;
#if defined(__SSE2__)
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const unsigned all = (1u << len) - 1;
    const unsigned dots = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.')))) & all;
    const unsigned digits = in_range16(v, '0', '9') & all;
    return ipv4_from_masks(v, len, dots, digits);
#else
    return is_ipv4_address(std::string_view(p, len));
#endif
}

// The hostname rules for `len` (1..32) octets of host characters at `p`, when 16 octets are
// readable there (len > 16 needs nothing more: the second load ends at p + len): labels of
// alphanum with inner '-', a trailing '.' allowed, not all digits and dots. Dot, digit and
// letter masks of one or two vectors replace the per-octet loop.
#if defined(__SSE2__)
// The hostname rules on the masks of `len` (1..32) host-character octets (bits beyond len
// ignored): labels of alphanum with inner '-', a trailing '.' allowed, not all digits and dots.
inline bool hostname_from_masks(std::size_t len, std::uint32_t dots, std::uint32_t digits,
                                std::uint32_t alpha) noexcept {
    const std::uint32_t all = len == 32 ? 0xffffffffu : (std::uint32_t{1} << len) - 1;
    const std::uint32_t last = std::uint32_t{1} << (len - 1);
    dots &= all;
    digits &= all;
    alpha &= all;
    const std::uint32_t alnum = digits | alpha;
    const std::uint32_t dashes = all & ~(alnum | dots);
    if (!(alnum & 1u) || (dashes & last)) return false;               // no leading '.'/'-', no trailing '-'
    if (dots & ~((alnum << 1) & ((alnum >> 1) | last))) return false;  // each '.' between alnums
    return (alpha | dashes) != 0;                                      // digits and dots only: no name
}
#endif

bool hostname_vector(const char* p, std::size_t len) noexcept {
#if defined(__SSE2__)
    const auto in_range = [](__m128i x, char lo, char hi) noexcept {
        return static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_and_si128(
            _mm_cmpgt_epi8(x, _mm_set1_epi8(static_cast<char>(lo - 1))),
            _mm_cmpgt_epi8(_mm_set1_epi8(static_cast<char>(hi + 1)), x))));
    };
    const auto masks = [&](const char* at, std::uint32_t& dots, std::uint32_t& digits, std::uint32_t& alpha) noexcept {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
        dots = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.'))));
        digits = in_range(v, '0', '9');
        alpha = in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z');
    };
    std::uint32_t dots, digits, alpha;
    masks(p, dots, digits, alpha);
    if (len > 16) {  // the last 16 octets of the host, overlapping the first load
        std::uint32_t d2, g2, a2;
        masks(p + len - 16, d2, g2, a2);
        const unsigned shift = static_cast<unsigned>(len - 16);
        dots |= d2 << shift;
        digits |= g2 << shift;
        alpha |= a2 << shift;
    }
    return hostname_from_masks(len, dots, digits, alpha);
#else
    if (!(uclass(p[0]) & kAlnum) || p[len - 1] == '-') return false;
    std::uint16_t seen = uclass(p[0]);
    for (std::size_t j = 1; j < len; ++j) {
        seen |= uclass(p[j]);
        if (p[j] == '.' && (!(uclass(p[j - 1]) & kAlnum) || (j + 1 < len && !(uclass(p[j + 1]) & kAlnum))))
            return false;
    }
    return (seen & kAlphaDash) != 0;
#endif
}
}  // namespace

namespace {
// parse_host_prefix() beyond its one-load case: IPv6 references, hosts of 16 octets or more,
// the last octets of a view.
[[gnu::noinline]] Reason host_prefix_general(std::string_view text, std::size_t& used,
                                             std::string_view& host, HostKind& kind) noexcept {
    const char* p = text.data();
    const std::size_t n = text.size();
    if (n > 0 && p[0] == '[') {
        std::size_t j = 1;
        while (j < n && p[j] != ']') ++j;
        if (j >= n) return Reason::bad_host;
        const std::string_view inner = text.substr(1, j - 1);
        if (!is_ipv6_address(inner)) return Reason::bad_host;
        host = inner;
        kind = HostKind::ipv6;
        used = j + 1;
        return Reason::none;
    }
    const std::size_t i = detail::fast_span(text, 0, kHostSet);
    if (i == 0) return Reason::bad_host;
    host = text.substr(0, i);
    if (is_digit(p[0]) && (n >= 16 ? ipv4_in_16(p, i) : is_ipv4_address(host))) {
        kind = HostKind::ipv4;
    } else {
        // hostname = *( domainlabel "." ) toplabel [ "." ]: labels are alphanum with inner '-'
        // (a label may start with a digit, RFC 1123 §2.1); a trailing '.' is allowed. Digits
        // and dots only must have been an IPv4 address ("1.2.3.999" is refused).
        if (i <= 32 && (i > 16 || n >= 16)) {
            if (!hostname_vector(p, i)) return Reason::bad_host;
            kind = HostKind::name;
            used = i;
            return Reason::none;
        }
        if (!(uclass(p[0]) & kAlnum) || p[i - 1] == '-') return Reason::bad_host;
        std::uint16_t seen = 0;
        for (std::size_t j = 1; j < i; ++j) {
            const std::uint16_t k = uclass(p[j]);
            seen |= k;
            if (p[j] == '.' && (!(uclass(p[j - 1]) & kAlnum) || (j + 1 < i && !(uclass(p[j + 1]) & kAlnum))))
                return Reason::bad_host;
        }
        if (!((seen | uclass(p[0])) & kAlphaDash)) return Reason::bad_host;
        kind = HostKind::name;
    }
    used = i;
    return Reason::none;
}
}  // namespace

Reason parse_host_prefix(std::string_view text, std::size_t& used, std::string_view& host,
                         HostKind& kind) noexcept {
#if defined(__SSE2__)
    const char* p = text.data();
    const std::size_t n = text.size();
    if (n >= 16 && p[0] != '[') {
        // One pass for the usual host of under 16 octets: the digit, letter, dot and dash masks
        // of one load give its length (the first octet that is none of them) and decide IPv4
        // or hostname without scanning it again (bench/parser_bench.cpp: six hosts per INVITE).
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const std::uint32_t dots = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.'))));
        const std::uint32_t dashes = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('-'))));
        const std::uint32_t digits = in_range16(v, '0', '9');
        const std::uint32_t alpha = in_range16(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z');
        const auto len = static_cast<std::size_t>(
            std::countr_zero(~(dots | dashes | digits | alpha) | 0x10000u));
        if (len < 16) {
            if (len == 0) return Reason::bad_host;
            host = text.substr(0, len);
            used = len;
            const std::uint32_t all = (std::uint32_t{1} << len) - 1;
            if ((digits & 1u) && len >= 7 && ipv4_from_masks(v, len, dots & all, digits & all)) {
                kind = HostKind::ipv4;
                return Reason::none;
            }
            if (!hostname_from_masks(len, dots, digits, alpha)) return Reason::bad_host;
            kind = HostKind::name;
            return Reason::none;
        }
    }
#endif
    return host_prefix_general(text, used, host, kind);
}

[[gnu::flatten]] Reason parse_uri_prefix(std::string_view text, Uri& out, std::size_t& used) noexcept {
    // Field by field: `out = Uri{}` compiles to a rep stos plus a copy, measurable per URI.
    out.scheme = UriScheme::other;
    out.text = {};
    out.scheme_text = {};
    out.opaque = {};
    out.user = {};
    out.password = {};
    out.host = {};
    out.host_kind = HostKind::none;
    out.port_text = {};
    out.params = {};
    out.headers = {};
    out.port = 0;
    out.has_user = false;
    // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), compared case-insensitively
    // (RFC 3261 §19.1.4).
    const std::size_t n = text.size();
    const char* s = text.data();
    std::size_t colon;
    std::size_t end = 0;
    Reason r;
    // Fast path: "sip:" in any case, one 32-bit compare (nearly every URI Palisade sees).
    std::uint32_t head = 0;
    if (n > 4) std::memcpy(&head, s, 4);
    constexpr std::uint32_t kSipColon = 's' | 'i' << 8 | 'p' << 16 | ':' << 24;
    if (std::endian::native == std::endian::little && n > 4 && (head | 0x00202020u) == kSipColon) {
        colon = 3;
        out.scheme_text = text.substr(0, 3);
        out.scheme = UriScheme::sip;
        r = parse_sip_uri(text.substr(4), out, end);
    } else {
        if (n == 0 || !is(s[0], kAlpha)) return Reason::bad_uri;
        colon = 1;
        while (colon < n && (is(s[colon], kAlpha | kDigit) || s[colon] == '+' || s[colon] == '-' || s[colon] == '.'))
            ++colon;
        if (colon + 1 >= n || s[colon] != ':') return Reason::bad_uri;  // no ':' or nothing after
        out.scheme_text = text.substr(0, colon);
        const std::string_view rest = text.substr(colon + 1);
        const auto lower = [s](std::size_t j) noexcept { return static_cast<char>(s[j] | 0x20); };
        if (colon == 3 && lower(0) == 's' && lower(1) == 'i' && lower(2) == 'p') {
            out.scheme = UriScheme::sip;
            r = parse_sip_uri(rest, out, end);
        } else if (colon == 4 && lower(0) == 's' && lower(1) == 'i' && lower(2) == 'p' && lower(3) == 's') {
            out.scheme = UriScheme::sips;
            r = parse_sip_uri(rest, out, end);
        } else if (colon == 3 && lower(0) == 't' && lower(1) == 'e' && lower(2) == 'l') {
            out.scheme = UriScheme::tel;
            r = parse_tel_uri(rest, out, end);
        } else {
            // absoluteURI (RFC 3261 §25.1, RFC 3986), kept opaque.
            while (end < rest.size() && (uclass(rest[end]) & kOpaque)) ++end;
            r = end == 0 ? Reason::bad_uri : Reason::none;
        }
    }
    const std::string_view rest = text.substr(colon + 1);
    if (r != Reason::none) return r;
    out.opaque = rest.substr(0, end);
    used = colon + 1 + end;
    out.text = text.substr(0, used);
    return Reason::none;
}

Reason parse_uri(std::string_view text, Uri& out) noexcept {
    std::size_t used = 0;
    const Reason r = parse_uri_prefix(text, out, used);
    if (r != Reason::none) return r;
    // Anything after the URI (LWS, '>', a bad character) makes it malformed (RFC 4475
    // §3.1.2.7 ltgtruri, §3.1.2.8 lwsruri).
    return used == text.size() ? Reason::none : Reason::bad_uri;
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
