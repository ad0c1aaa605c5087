// SIP, SIPS and tel URIs (RFC 3261 §19.1, §25.1; RFC 3966; RFC 5118 IPv6 references) and the
// generic-param iterator shared by URIs and header values.
//
// Zero-copy: every field is a slice of the text given to parse_uri. No allocation, no exceptions.
// Nothing is unescaped implicitly: call unescape() on the parts the grammar says are escaped
// (user, password, URI params and headers), once (RFC 4475 §3.1.1.3: never recursively).
//
// Speed: the scanners classify 16 octets per step (span(), SSSE3 pshufb lookups). A default
// build checks the CPU once and calls them out of line; a -Dnative=true build inlines them,
// which is how bench/palisade-bench-parser should be built for its figures.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "parsers/sip/message.hpp"

#if defined(__SSSE3__)
#include <tmmintrin.h>
#endif

// Set when AddressSanitizer instruments this translation unit (GCC or clang spelling): the
// scanners then never read past a view, even inside its page.
#if defined(__SANITIZE_ADDRESS__)
#define PALISADE_SIP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PALISADE_SIP_ASAN 1
#endif
#endif
#ifndef PALISADE_SIP_ASAN
#define PALISADE_SIP_ASAN 0
#endif

namespace palisade::sip {

/// A set of octets as two 16-entry nibble tables (the SIMD classification of simdjson and
/// Hyperscan's "shufti"): octet c is in the set when lo[c & 15] & hi[c >> 4] is non-zero. Any
/// set whose 16 rows (high nibbles) show at most 8 distinct patterns fits; make_char_set()
/// refuses others at compile time.
struct CharSet {
    alignas(16) std::uint8_t lo[16];
    alignas(16) std::uint8_t hi[16];
    /// Scalar membership test.
    constexpr bool has(char c) const noexcept {
        const auto u = static_cast<unsigned char>(c);
        return (lo[u & 15] & hi[u >> 4]) != 0;
    }
};

/// Builds the CharSet of the octets for which `pred(unsigned char)` is true, at compile time
/// (a set with more than 8 distinct rows fails to compile: no exceptions involved).
template <class Pred>
consteval CharSet make_char_set(Pred pred) {
    CharSet cs{};
    std::uint16_t patterns[8] = {};
    int used = 0;
    for (unsigned h = 0; h < 16; ++h) {
        std::uint16_t row = 0;
        for (unsigned l = 0; l < 16; ++l)
            if (pred(static_cast<unsigned char>(h << 4 | l))) row = static_cast<std::uint16_t>(row | 1u << l);
        if (row == 0) continue;
        int bit = -1;
        for (int k = 0; k < used; ++k)
            if (patterns[k] == row) bit = k;
        if (bit < 0) {
            patterns[used] = row;  // a 9th distinct row indexes out of bounds: not a constant
            bit = used++;
        }
        cs.hi[h] = static_cast<std::uint8_t>(cs.hi[h] | 1u << bit);
        for (unsigned l = 0; l < 16; ++l)
            if (row & (1u << l)) cs.lo[l] = static_cast<std::uint8_t>(cs.lo[l] | 1u << bit);
    }
    return cs;
}

/// Index of the first octet of `s` at or after `from` that is NOT in `set` (s.size() when
/// none). 16 octets per step with SSSE3 where the CPU has it (checked once), scalar otherwise;
/// never reads outside `s`. The scanning primitive of the URI and value parsers.
std::size_t span(std::string_view s, std::size_t from, const CharSet& set) noexcept;

namespace detail {
#if defined(__SSSE3__)
/// span() inlined, for translation units compiled with SSSE3 (-Dnative=true): the parsers call
/// it several times per value, and the call and dispatch cost more than the scan of a token.
[[gnu::always_inline]] inline std::size_t span_inline(std::string_view s, std::size_t i,
                                                      const CharSet& set) noexcept {
    const char* p = s.data();
    const std::size_t n = s.size();
    if (i >= n) return n;
    const __m128i lo_t = _mm_load_si128(reinterpret_cast<const __m128i*>(set.lo));
    const __m128i hi_t = _mm_load_si128(reinterpret_cast<const __m128i*>(set.hi));
    const __m128i nib = _mm_set1_epi8(0x0f);
    const auto outside = [&](const char* at) noexcept {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
        const __m128i in = _mm_and_si128(_mm_shuffle_epi8(lo_t, _mm_and_si128(v, nib)),
                                         _mm_shuffle_epi8(hi_t, _mm_and_si128(_mm_srli_epi16(v, 4), nib)));
        return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(in, _mm_setzero_si128())));
    };
    while (n - i >= 16) {
        const unsigned m = outside(p + i);
        if (m != 0) return i + static_cast<std::size_t>(__builtin_ctz(m));
        i += 16;
    }
    if (i == n) return n;
    if (n < 16) {
#if !PALISADE_SIP_ASAN
        // Short views (params, tokens, CSeq, media types) are the common case: load 16 octets
        // anyway when they cannot cross into the next page (the glibc str* technique), and
        // treat the octets past the view as outside the set. Not under AddressSanitizer, which
        // would rightly report the read past the object.
        if ((reinterpret_cast<std::uintptr_t>(p + i) & 4095u) <= 4096u - 16u) {
            const unsigned m = outside(p + i) | (~0u << (n - i));
            return i + static_cast<std::size_t>(__builtin_ctz(m));
        }
#endif
        while (i < n && set.has(p[i])) ++i;
        return i;
    }
    // The last 16 octets of the view, overlapping what was checked: never reads past it.
    const unsigned m = outside(p + n - 16) >> (16 - (n - i));
    return m != 0 ? i + static_cast<std::size_t>(__builtin_ctz(m)) : n;
}
/// The scanner the parsers use: inlined with SSSE3, else the dispatching span().
[[gnu::always_inline]] inline std::size_t fast_span(std::string_view s, std::size_t i, const CharSet& set) noexcept {
    return span_inline(s, i, set);
}
#else
inline std::size_t fast_span(std::string_view s, std::size_t i, const CharSet& set) noexcept {
    return span(s, i, set);
}
#endif
}  // namespace detail

/// URI scheme. `other` is any absolute URI (RFC 3986 scheme ":" ...), kept opaque.
enum class UriScheme : std::uint8_t { sip, sips, tel, other };

/// What the host part of a URI or a Via sent-by is.
enum class HostKind : std::uint8_t { none, name, ipv4, ipv6 };

/// One generic-param: `name` or `name=value`. `value` keeps quotes if it was a quoted-string
/// (header params, RFC 3261 §25.1 gen-value); `has_value` tells `;lr` from `;lr=`.
struct Param {
    std::string_view name;
    std::string_view value;
    bool has_value = false;
};

/// Iterates `;`-separated parameters: `for (Param p : ParamRange(uri.params))`.
/// Accepts the list with or without its leading ';'. LWS around ';' and '=' is skipped
/// (header params allow it, RFC 3261 §25.1 SEMI / EQUAL); quoted values may contain ';'.
/// Empty parameters (";;") are skipped here; use params_well_formed() to reject them.
class ParamRange {
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
        Iterator operator++(int) noexcept {
            Iterator t = *this;
            advance();
            return t;
        }
        bool operator==(const Iterator& o) const noexcept { return done_ == o.done_ && (done_ || rest_.data() == o.rest_.data()); }

    private:
        void advance() noexcept;
        std::string_view rest_;
        Param cur_{};
        bool done_ = true;
    };
    /// `params`: the raw parameter list (e.g. Uri::params, Via::params).
    explicit ParamRange(std::string_view params) noexcept : params_(params) {}
    Iterator begin() const noexcept { return Iterator(params_); }
    Iterator end() const noexcept { return Iterator(); }

private:
    std::string_view params_;
};

/// First parameter named `name` (case-insensitive, RFC 3261 §19.1.4) or nullopt-like: returns
/// true and fills `out` when found.
bool find_param(std::string_view params, std::string_view name, Param& out) noexcept;

/// True when every parameter in the list is `token [= (token / host / quoted-string)]`
/// with no empty entries (RFC 4475 §3.1.2.1 badinv01: ";;,;" is malformed).
bool params_well_formed(std::string_view params) noexcept;

/// A parsed URI. For sip/sips: user/password (escaped, as written; the user may contain ';'
/// before '@', RFC 4475 §3.1.1.9), host (an IPv6 reference without its brackets), port, params
/// (after the first ';' of the hostport, raw, without the ';'), headers (after '?', raw).
/// For tel (RFC 3966): `user` is the telephone-subscriber number, params its parameters, no host.
/// For other schemes: only scheme_text and opaque are set.
struct Uri {
    UriScheme scheme = UriScheme::other;
    std::string_view text;         ///< the whole URI as parsed
    std::string_view scheme_text;  ///< as written, without ':'
    std::string_view opaque;       ///< everything after "scheme:"
    std::string_view user;         ///< escaped; tel: the number
    std::string_view password;     ///< escaped; empty when absent
    std::string_view host;         ///< IPv6 without [ ]
    HostKind host_kind = HostKind::none;
    std::string_view port_text;    ///< digits as written, empty when absent
    std::uint16_t port = 0;        ///< 0 when absent
    std::string_view params;       ///< raw, without the leading ';'
    std::string_view headers;      ///< raw, without the leading '?'
    bool has_user = false;         ///< an '@' was present (the user may still be empty: tel no)

    /// Value of URI parameter `name` (case-insensitive), empty when absent or valueless.
    std::string_view param(std::string_view name) const noexcept;
    /// True when URI parameter `name` is present (with or without value).
    bool has_param(std::string_view name) const noexcept;
    /// The host as written in the URI (IPv6 with its brackets) plus ":port" when present.
    std::string_view hostport() const noexcept;
};

/// Parses `text` (no surrounding LWS or <>) as a sip:, sips:, tel: or other absolute URI.
/// Reason::none on success. LWS anywhere inside is an error (RFC 4475 §3.1.2.8 lwsruri).
Reason parse_uri(std::string_view text, Uri& out) noexcept;

/// Parses the URI at the start of `text` and stops at the first octet that cannot continue it
/// (e.g. the '>' of a name-addr); `used` gets its length. parse_uri() is this plus "nothing
/// follows". Lets name-addr parsing find the '>' without scanning the URI twice.
Reason parse_uri_prefix(std::string_view text, Uri& out, std::size_t& used) noexcept;

/// Validates and classifies a host (hostname, IPv4address, or IPv6reference with brackets).
/// RFC 3261 §25.1. On success `host` is the slice without brackets. Decision: a hostname label
/// may start with a digit (RFC 1123 §2.1), but a name of digits and dots only must be a valid
/// IPv4 address ("1.2.3.999" is refused).
Reason parse_host(std::string_view text, std::string_view& host, HostKind& kind) noexcept;

/// Parses the host at the start of `text` (the longest hostname, IPv4address or IPv6reference
/// prefix); `used` gets its length in octets. For scanners of sent-by and hostport.
Reason parse_host_prefix(std::string_view text, std::size_t& used, std::string_view& host,
                         HostKind& kind) noexcept;

/// True when `s` is a syntactically valid IPv6 address (RFC 4291 §2.2 text forms, including an
/// embedded IPv4 tail, at most one "::"). Decision (RFC 5118 §4.10): the form RFC 3261's ABNF
/// bug admits, "::" directly followed by ":" and an IPv4 tail ("2001:db8:::192.0.2.1"), is
/// tolerated as the same address as "2001:db8::192.0.2.1"; any other ":::" is refused.
bool is_ipv6_address(std::string_view s) noexcept;
/// True when `s` is a dotted-quad IPv4 address, each octet 0..255.
bool is_ipv4_address(std::string_view s) noexcept;

/// %HH-unescape once (never recursively) into `out`; returns bytes written, or npos on a bad
/// escape or no room. %00 is kept as a NUL byte (RFC 4475 §3.1.1.4). Only call where the grammar
/// says the part is escaped (user, password, params, headers).
std::size_t unescape(std::string_view in, std::span<char> out) noexcept;

/// Strips the DQUOTEs of a quoted-string (quoted-pairs are kept as written); returns the input
/// unchanged when it is not quoted.
std::string_view unquote(std::string_view quoted) noexcept;

}  // namespace palisade::sip
