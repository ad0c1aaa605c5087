// E.164 numbers as the policy engine compares them: "+" then 1 to 15 digits (ITU-T E.164 §6),
// the first digit not 0 (no country code starts with 0). Numbers are compared "by length, then
// by value" by packing both into one 64-bit key: length in bits 50..53, value below (10^15 <
// 2^50), so an ordinary integer comparison orders them and ranges are integer intervals.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace palisade::dp {

inline constexpr unsigned kMaxE164Digits = 15;
inline constexpr std::uint64_t kNumValueBits = 50;

/// Key of a digit string of length `len` and numeric value `value`.
constexpr std::uint64_t number_key(unsigned len, std::uint64_t value) noexcept {
    return (static_cast<std::uint64_t>(len) << kNumValueBits) | value;
}
constexpr unsigned key_length(std::uint64_t key) noexcept {
    return static_cast<unsigned>(key >> kNumValueBits);
}
constexpr std::uint64_t key_value(std::uint64_t key) noexcept {
    return key & ((1ULL << kNumValueBits) - 1);
}

namespace detail {
// Up to 8 ASCII digits to their value, 8 at a time (SWAR): no per-digit multiply chain, which
// was the largest in-cache cost of a decision (bench/policy_bench.cpp BM_OutboundBurst/0).
// `c` holds the digits in its high bytes (the first digit lowest of them) and '0' below them.
// False if any byte is not a digit.
inline bool swar_value(std::uint64_t c, std::uint64_t& out) noexcept {
    // Every byte in '0'..'9': adding 0x46 must not carry into bit 7 and subtracting 0x30 must
    // not borrow.
    if ((((c + 0x4646464646464646ULL) | (c - 0x3030303030303030ULL)) & 0x8080808080808080ULL) != 0)
        return false;
    std::uint64_t v = c - 0x3030303030303030ULL;  // first digit in the lowest byte
    v = (v * 10 + (v >> 8)) & 0x00ff00ff00ff00ffULL;
    v = (v * 100 + (v >> 16)) & 0x0000ffff0000ffffULL;
    v = (v * 10000 + (v >> 32)) & 0x00000000ffffffffULL;
    out = v;
    return true;
}
inline std::uint64_t load8(const char* p) noexcept {
    std::uint64_t c;
    std::memcpy(&c, p, 8);
    return c;
}
// The n (1..8) digits at p, shifted into a register byte by byte. Not a memcpy into a stack
// word: an 8-byte load of bytes just stored one by one cannot be forwarded from the store
// buffer and stalled every parse (~14 % of an in-cache decision, perf annotate).
inline std::uint64_t gather(const char* p, std::size_t n) noexcept {
    std::uint64_t c = 0x3030303030303030ULL;
    for (std::size_t i = 0; i < n; ++i)
        c = (c >> 8) | (static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << 56);
    return c;
}
inline bool swar_digits(const char* p, std::size_t n, std::uint64_t& out) noexcept {
    return swar_value(gather(p, n), out);
}
}  // namespace detail

/// Parses 1..15 ASCII digits; false on anything else.
inline bool parse_digits(std::string_view d, std::uint64_t& key) noexcept {
    const std::size_t n = d.size();
    if (n == 0 || n > kMaxE164Digits) return false;
    std::uint64_t v = 0;
    if (n <= 8) {
        if (!detail::swar_digits(d.data(), n, v)) return false;
    } else {
        // 9..15 digits: two plain 8-byte loads inside the string; the first one keeps its
        // n - 8 leading digits in its high bytes, '0' shifted in below them.
        const unsigned k = static_cast<unsigned>(n - 8);  // 1..7
        const std::uint64_t first = (detail::load8(d.data()) << (8 * (8 - k))) |
                                    (0x3030303030303030ULL >> (8 * k));
        std::uint64_t hi = 0;
        std::uint64_t lo = 0;
        if (!detail::swar_value(first, hi) || !detail::swar_value(detail::load8(d.data() + n - 8), lo))
            return false;
        v = hi * 100000000ULL + lo;
    }
    key = number_key(static_cast<unsigned>(n), v);
    return true;
}

/// True for "+" followed by 1..15 digits, the first not 0; sets `key` to its digits' key.
inline bool parse_e164(std::string_view s, std::uint64_t& key) noexcept {
    if (s.size() < 2 || s[0] != '+' || s[1] == '0') return false;
    return parse_digits(s.substr(1), key);
}

/// Short numeric string (emergency short codes such as "112"): 1..15 digits, leading 0 allowed.
inline bool parse_short_code(std::string_view s, std::uint64_t& key) noexcept {
    return parse_digits(s, key);
}

inline constexpr std::uint64_t kPow10[16] = {1ULL,
                                             10ULL,
                                             100ULL,
                                             1000ULL,
                                             10000ULL,
                                             100000ULL,
                                             1000000ULL,
                                             10000000ULL,
                                             100000000ULL,
                                             1000000000ULL,
                                             10000000000ULL,
                                             100000000000ULL,
                                             1000000000000ULL,
                                             10000000000000ULL,
                                             100000000000000ULL,
                                             1000000000000000ULL};

/// True when the number `key` starts with the digit prefix `prefix_key` (both number keys).
constexpr bool key_has_prefix(std::uint64_t key, std::uint64_t prefix_key) noexcept {
    const unsigned n = key_length(key);
    const unsigned p = key_length(prefix_key);
    return p <= n && key_value(key) / kPow10[n - p] == key_value(prefix_key);
}

}  // namespace palisade::dp
