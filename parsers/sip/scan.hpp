// Character classes and small scanning helpers shared by every parser in parsers/.
// Header-only, constexpr tables, no allocation, no exceptions.
//
// The character classes are the RFC 3261 §25.1 ABNF sets, one bit each in a 256-entry table
// (the picohttpparser/Kamailio approach: one load and one AND per byte).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace palisade::sip {

/// Bits of the character-class table.
enum CharClass : std::uint16_t {
    kAlpha = 1u << 0,        // ALPHA
    kDigit = 1u << 1,        // DIGIT
    kHex = 1u << 2,          // HEXDIG (upper and lower case)
    kToken = 1u << 3,        // token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"
    kWsp = 1u << 4,          // SP / HTAB
    kUnreserved = 1u << 5,   // unreserved: alphanum / mark
    kUserUnreserved = 1u << 6,   // user-unreserved: "&" / "=" / "+" / "$" / "," / ";" / "?" / "/"
    kParamUnreserved = 1u << 7,  // param-unreserved: "[" / "]" / "/" / ":" / "&" / "+" / "$"
    kHnvUnreserved = 1u << 8,    // hnv-unreserved: "[" / "]" / "/" / "?" / ":" / "+" / "$"
    kWord = 1u << 9,             // word: token chars plus "(" ")" "<" ">" ":" "\" DQUOTE "/" "[" "]" "?" "{" "}"
    kHostChar = 1u << 10,        // alphanum / "-" / "." (hostname labels)
    kPasswordUnreserved = 1u << 11,  // "&" / "=" / "+" / "$" / ","
};

namespace detail {
constexpr bool in(std::string_view set, char c) noexcept {
    for (char s : set)
        if (s == c) return true;
    return false;
}
constexpr std::uint16_t classify(unsigned char c) noexcept {
    std::uint16_t m = 0;
    const char ch = static_cast<char>(c);
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    const bool mark = in("-_.!~*'()", ch);
    if (alpha) m |= kAlpha;
    if (digit) m |= kDigit;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) m |= kHex;
    if (alpha || digit || in("-.!%*_+`'~", ch)) m |= kToken;
    if (c == ' ' || c == '\t') m |= kWsp;
    if (alpha || digit || mark) m |= kUnreserved;
    if (in("&=+$,;?/", ch)) m |= kUserUnreserved;
    if (in("[]/:&+$", ch)) m |= kParamUnreserved;
    if (in("[]/?:+$", ch)) m |= kHnvUnreserved;
    if (alpha || digit || in("-.!%*_+`'~()<>:\\\"/[]?{}", ch)) m |= kWord;
    if (alpha || digit || c == '-' || c == '.') m |= kHostChar;
    if (in("&=+$,", ch)) m |= kPasswordUnreserved;
    return m;
}
struct CharTable {
    std::uint16_t bits[256];
    constexpr CharTable() noexcept : bits{} {
        for (unsigned i = 0; i < 256; ++i) bits[i] = classify(static_cast<unsigned char>(i));
    }
};
inline constexpr CharTable kCharTable{};

constexpr unsigned char lower_table_entry(unsigned i) noexcept {
    return (i >= 'A' && i <= 'Z') ? static_cast<unsigned char>(i + 32) : static_cast<unsigned char>(i);
}
struct LowerTable {
    unsigned char v[256];
    constexpr LowerTable() noexcept : v{} {
        for (unsigned i = 0; i < 256; ++i) v[i] = lower_table_entry(i);
    }
};
inline constexpr LowerTable kLowerTable{};
}  // namespace detail

/// True when `c` belongs to at least one of the classes in `mask`.
constexpr bool is(char c, std::uint16_t mask) noexcept {
    return (detail::kCharTable.bits[static_cast<unsigned char>(c)] & mask) != 0;
}
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_wsp(char c) noexcept { return c == ' ' || c == '\t'; }
constexpr bool is_token_char(char c) noexcept { return is(c, kToken); }
constexpr char to_lower(char c) noexcept {
    return static_cast<char>(detail::kLowerTable.v[static_cast<unsigned char>(c)]);
}

/// ASCII case-insensitive equality (header names, method-independent tokens, URI schemes).
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (to_lower(a[i]) != to_lower(b[i])) return false;
    return true;
}
/// ASCII case-insensitive prefix test.
constexpr bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

/// Strip SP / HTAB / CR / LF from both ends (LWS after unfolding; folds are CRLF + WSP).
constexpr std::string_view trim(std::string_view s) noexcept {
    // Message stores values already trimmed: two compares settle the usual case.
    if (!s.empty() && static_cast<unsigned char>(s.front()) > ' ' &&
        static_cast<unsigned char>(s.back()) > ' ')
        return s;
    std::size_t b = 0, e = s.size();
    while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n')) ++b;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n')) --e;
    return s.substr(b, e - b);
}
constexpr std::string_view trim_left(std::string_view s) noexcept {
    std::size_t b = 0;
    while (b < s.size() && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n')) ++b;
    return s.substr(b);
}

/// Whole string is a non-empty token (RFC 3261 §25.1).
constexpr bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_token_char(c)) return false;
    return true;
}

/// Parse an unsigned decimal of at most `max` (leading zeros allowed, RFC 4475 §3.1.1.1).
/// Returns false on empty input, a non-digit, or a value above `max` (never wraps: RFC 4475
/// §3.1.2.4 scalar02 / scalarlg).
constexpr bool parse_uint(std::string_view s, std::uint64_t max, std::uint64_t& out) noexcept {
    if (s.empty()) return false;
    if (s.size() <= 19) {
        // 19 digits stay below 2^64: accumulate without a per-digit range check, flag any
        // non-digit with one OR (branchless: CSeq, Max-Forwards, ports, Content-Length on every
        // packet), compare with `max` once.
        std::uint64_t v = 0;
        bool bad = false;
        for (char c : s) {
            const auto d = static_cast<std::uint64_t>(static_cast<unsigned char>(c)) - '0';
            bad |= d > 9;
            v = v * 10 + d;  // unsigned: wraps harmlessly when `bad`
        }
        if (bad || v > max) return false;
        out = v;
        return true;
    }
    std::uint64_t v = 0;
    for (char c : s) {
        if (!is_digit(c)) return false;
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (max - d) / 10) return false;
        v = v * 10 + d;
    }
    out = v;
    return true;
}

/// Find `c` in `s` from `from`; npos when absent. memchr is vectorised by glibc.
inline std::size_t find_char(std::string_view s, char c, std::size_t from = 0) noexcept {
    if (from >= s.size()) return std::string_view::npos;
    const void* p = std::memchr(s.data() + from, c, s.size() - from);
    return p ? static_cast<std::size_t>(static_cast<const char*>(p) - s.data())
             : std::string_view::npos;
}

/// Value of a hex digit, or -1.
constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace palisade::sip
