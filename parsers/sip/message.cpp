// SIP message framing (RFC 3261 §7). See message.hpp for the contract.
//
// Speed (bench/parser_bench.cpp, BM_Frame/palisade/*; about 250 ns for the 1.2 KB INVITE with
// SDP, 4-5 GB/s of CPU time on this project's 2-core VM): one pass over the header section; a
// 16-octet block at each line start gives the name's end and often the line's end; longer lines
// are searched 64 octets at a time; header names are classified from that register by one hash
// probe into a compile-time table shared by long and compact forms, compared exactly without a
// per-octet loop; per-id first/next links make find() O(1) and fields() walk only its id;
// nothing inside values is parsed except Content-Length, which framing needs.
#include "parsers/sip/message.hpp"

#include <cstring>

#include "parsers/sip/scan.hpp"

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace palisade::sip {

static_assert(Message::kMaxHeaders < 0xff, "field indexes are uint8_t with 0xff as 'none'");
static_assert(kHeaderIdCount <= 0xff, "HeaderId is a uint8_t");

namespace {

// ---------------------------------------------------------------------------------------------
// Header names: one compile-time table for long and compact forms.

struct HeaderInfo {
    std::string_view name;
    char compact;
};
constexpr HeaderInfo kHeaderInfo[] = {
    {"", 0},
#define PALISADE_SIP_HEADER(id, name, compact) {name, compact},
#include "parsers/sip/headers.def"
#undef PALISADE_SIP_HEADER
};
static_assert(sizeof(kHeaderInfo) / sizeof(kHeaderInfo[0]) == kHeaderIdCount);

constexpr std::size_t kNameMax = 24;   // longest canonical name + 1, see headers.def
constexpr std::size_t kSlots = 512;    // open-addressing table, power of two

constexpr bool is_alpha_ascii(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Per known name: its lower-case form and a fold mask holding 0x20 exactly at its letters,
// zero-padded to 32 octets. `(c | fold[i]) == lower[i]` is then an EXACT case-insensitive
// match: a letter position accepts only that letter in either case, any other position only
// the octet itself (so "Call\rID" never matches "call-id"). A match therefore also proves the
// name is a token, and known names skip the per-octet token check.
struct alignas(16) NameKey {
    char lower[32];
    char fold[32];
};
struct NameKeys {
    NameKey key[kHeaderIdCount];
    std::uint8_t len[kHeaderIdCount];
    constexpr NameKeys() noexcept : key{}, len{} {
        for (std::size_t i = 0; i < kHeaderIdCount; ++i) {
            const std::string_view n = kHeaderInfo[i].name;
            len[i] = static_cast<std::uint8_t>(n.size());
            for (std::size_t j = 0; j < n.size(); ++j) {
                const bool alpha = is_alpha_ascii(n[j]);
                key[i].lower[j] = alpha ? static_cast<char>(n[j] | 0x20) : n[j];
                key[i].fold[j] = alpha ? static_cast<char>(0x20) : static_cast<char>(0);
            }
        }
    }
};
constexpr NameKeys kNameKeys{};

// Hash of a name of n >= 2 octets: its first two octets (bit 5 set) and its length, multiplied
// and added. Both are known as soon as the name's end is (the two octets come with the line's
// first load), so the key load of classify_name16 no longer waits for the length-masked name
// to be extracted and mixed: that chain was the longest wait of framing (perf on
// BM_Frame/palisade/invite_sdp). Names sharing both (Accept-Encoding / Accept-Language,
// Security-*) probe on; the constants were searched so that the usual names of headers.def
// (Via ... Warning) take no extra probe, and the static_assert below bounds the rest.
constexpr std::uint64_t kHashK1 = 0x1818e811892f902bull;
constexpr std::uint64_t kHashK2 = 0x9531985d5d9dc9f9ull;
constexpr std::size_t hash_head(std::uint32_t first2, std::size_t n) noexcept {
    return static_cast<std::size_t>(
        ((std::uint64_t{first2 | 0x2020u} * kHashK1) + static_cast<std::uint64_t>(n) * kHashK2) >> 55);
}
constexpr std::size_t name_hash(const char* s, std::size_t n) noexcept {
    return hash_head(static_cast<std::uint32_t>(static_cast<unsigned char>(s[0])) |
                         static_cast<std::uint32_t>(static_cast<unsigned char>(s[1])) << 8,
                     n);
}
static_assert(kSlots == 512, "hash_head yields 9 bits");

struct NameTable {
    std::uint8_t slot[kSlots];         // HeaderId, 0 = empty
    std::uint8_t compact[256];         // compact form (both cases) -> HeaderId
    std::size_t max_probe;
    constexpr NameTable() noexcept : slot{}, compact{}, max_probe(0) {
        for (std::size_t i = 1; i < kHeaderIdCount; ++i) {
            const std::string_view n = kHeaderInfo[i].name;
            std::size_t h = name_hash(n.data(), n.size());
            std::size_t probe = 1;
            while (slot[h] != 0) {
                h = (h + 1) & (kSlots - 1);
                ++probe;
            }
            slot[h] = static_cast<std::uint8_t>(i);
            if (probe > max_probe) max_probe = probe;
            const char c = kHeaderInfo[i].compact;
            if (c != 0) {
                compact[static_cast<unsigned char>(c | 0x20)] = static_cast<std::uint8_t>(i);
                compact[static_cast<unsigned char>(c & ~0x20)] = static_cast<std::uint8_t>(i);
            }
        }
    }
};
constexpr NameTable kNameTable{};
static_assert(kNameTable.max_probe <= 4, "retune name_hash: too many collisions");

// The keys of names of at most 16 octets stored in their hash slot (16 KiB, of which a message
// touches the ~20 lines of its names): the compare of classify_name16 then loads its key right
// from the hash, in parallel with the slot's id, instead of after it. That second dependent
// load was the longest wait of framing (perf on BM_Frame/palisade/invite_sdp).
struct alignas(32) SlotKey {
    char lower[16];
    char fold[16];
};
struct SlotKeys {
    SlotKey key[kSlots];
    std::uint8_t short_id[kSlots];   // the slot's id when its name has <= 16 octets, else 0
    constexpr SlotKeys() noexcept : key{}, short_id{} {
        for (std::size_t h = 0; h < kSlots; ++h) {
            const std::uint8_t id = kNameTable.slot[h];
            if (id == 0 || kNameKeys.len[id] > 16) continue;
            short_id[h] = id;
            for (std::size_t j = 0; j < 16; ++j) {
                key[h].lower[j] = kNameKeys.key[id].lower[j];
                key[h].fold[j] = kNameKeys.key[id].fold[j];
            }
        }
    }
};
constexpr SlotKeys kSlotKeys{};

inline bool key_equals(const char* s, std::size_t n, const NameKey& k) noexcept {
    for (std::size_t i = 0; i < n; ++i)
        if (static_cast<char>(s[i] | k.fold[i]) != k.lower[i]) return false;
    return true;
}

// Classifies any name of n >= 1 octets (not necessarily a token): a known id only on an exact
// case-insensitive match.
inline HeaderId classify_name(const char* s, std::size_t n) noexcept {
    if (n == 1) return static_cast<HeaderId>(kNameTable.compact[static_cast<unsigned char>(*s)]);
    if (n >= kNameMax) return HeaderId::unknown;
    std::size_t h = name_hash(s, n);
    for (;;) {
        const std::uint8_t id = kNameTable.slot[h];
        if (id == 0) return HeaderId::unknown;
        if (kNameKeys.len[id] == n && key_equals(s, n, kNameKeys.key[id]))
            return static_cast<HeaderId>(id);
        h = (h + 1) & (kSlots - 1);
    }
}

#if defined(__SSE2__)
// 16 octets of 0xff then 16 of 0: loading at (16 - n) gives a mask of the first n octets.
alignas(32) constexpr unsigned char kLengthMask[32] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

// Same as classify_name for a name of n >= 2 octets starting the 16 octets already loaded in
// `v`: the hash and, for n <= 16, the comparison work on the register (no per-octet loop, no
// length-dependent branch).
inline HeaderId classify_name16(const char* s, std::size_t n, __m128i v) noexcept {
    if (n >= kNameMax) return HeaderId::unknown;
    const std::size_t m = n < 16 ? n : 16;
    const __m128i len_mask =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(kLengthMask + 16 - m));
    const __m128i name = _mm_and_si128(v, len_mask);
    std::size_t h =
        hash_head(static_cast<std::uint32_t>(_mm_cvtsi128_si32(v)) & 0xffffu, n);   // n >= 2
    if (n <= 16) {
        for (;;) {
            // Zero beyond n on both sides, so equal registers also mean equal lengths. An empty
            // slot or one of a longer name has a zero key: it matches only a name of NULs, and
            // short_id (0) then sends it on to the slot check.
            const SlotKey& k = kSlotKeys.key[h];
            const __m128i x =
                _mm_or_si128(name, _mm_load_si128(reinterpret_cast<const __m128i*>(k.fold)));
            const auto eq = _mm_movemask_epi8(
                _mm_cmpeq_epi8(x, _mm_load_si128(reinterpret_cast<const __m128i*>(k.lower))));
            if (eq == 0xffff && kSlotKeys.short_id[h] != 0)
                return static_cast<HeaderId>(kSlotKeys.short_id[h]);
            if (kNameTable.slot[h] == 0) return HeaderId::unknown;
            h = (h + 1) & (kSlots - 1);
        }
    }
    for (;;) {
        const std::uint8_t id = kNameTable.slot[h];
        if (id == 0) return HeaderId::unknown;
        const NameKey& k = kNameKeys.key[id];
        if (kNameKeys.len[id] == n) {
            // 17..23 octets: the first 16 in `v`, then the last 16 (overlapping; the name
            // lies inside the datagram and the keys are 32 octets wide).
            const __m128i x0 =
                _mm_or_si128(v, _mm_load_si128(reinterpret_cast<const __m128i*>(k.fold)));
            const __m128i t = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + n - 16));
            const __m128i x1 = _mm_or_si128(
                t, _mm_loadu_si128(reinterpret_cast<const __m128i*>(k.fold + n - 16)));
            const __m128i eq = _mm_and_si128(
                _mm_cmpeq_epi8(x0, _mm_load_si128(reinterpret_cast<const __m128i*>(k.lower))),
                _mm_cmpeq_epi8(x1,
                               _mm_loadu_si128(reinterpret_cast<const __m128i*>(k.lower + n - 16))));
            if (_mm_movemask_epi8(eq) == 0xffff) return static_cast<HeaderId>(id);
        }
        h = (h + 1) & (kSlots - 1);
    }
}
#endif

// ---------------------------------------------------------------------------------------------
// Line ends. Returns the first CR or LF in [p, end), or end.
//
// 64 octets per iteration (four SSE2 compares folded into one 64-bit mask), so that most header
// lines end within one iteration. (Measured: no worse than 16 at a time on the bench INVITE,
// fewer loop exits on long Via and Contact lines.)

#if defined(__SSE2__)
inline std::uint32_t line_break_mask16(const char* p) noexcept {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return static_cast<std::uint32_t>(_mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\n')))));
}
#endif

inline const char* find_line_break(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
    while (end - p >= 64) {
        const std::uint64_t m = static_cast<std::uint64_t>(line_break_mask16(p)) |
                                static_cast<std::uint64_t>(line_break_mask16(p + 16)) << 16 |
                                static_cast<std::uint64_t>(line_break_mask16(p + 32)) << 32 |
                                static_cast<std::uint64_t>(line_break_mask16(p + 48)) << 48;
        if (m != 0) return p + __builtin_ctzll(m);
        p += 64;
    }
    while (end - p >= 16) {
        const std::uint32_t m = line_break_mask16(p);
        if (m != 0) return p + __builtin_ctz(m);
        p += 16;
    }
#endif
    while (p < end && *p != '\r' && *p != '\n') ++p;
    return p;
}

// Line-break index of the header section: one 64-bit mask of the CR and LF octets of a
// 64-octet block, computed once per block and consumed line by line (the structural index of
// simdjson). A line end then costs a mask, a shift and a tzcnt instead of a search of up to 64
// octets from every value start (bench/parser_bench.cpp BM_Frame/palisade/*). Blocks are not
// aligned: a block starts where the first query beyond the previous one falls. The last,
// partial block is read from a zero-padded copy (NUL is not a line break), so nothing is read
// past the datagram.
class BreakIndex {
public:
    BreakIndex(const char* start, const char* end) noexcept : block_(start), end_(end) {
        load();
    }
    // First CR or LF at or after q, or end. Queries come in order (line and value starts); one
    // before the current block reloads from q.
    const char* next(const char* q) noexcept {
        const auto off = static_cast<std::size_t>(q - block_);
        if (off < 64) {
            const std::uint64_t m = bits_ >> off;
            if (m != 0) return q + __builtin_ctzll(m);
        }
        return next_block(q);
    }

private:
    // The break is not in the current block: load the following ones until one has a break at
    // or after q.
    const char* next_block(const char* q) noexcept {
        const auto off = static_cast<std::size_t>(q - block_);
        block_ = off < 64 ? block_ + 64 : q;
        for (;;) {
            if (block_ >= end_) {
                block_ = end_;
                bits_ = 0;
                return end_;
            }
            load();
            if (bits_ != 0) return block_ + __builtin_ctzll(bits_);
            block_ += 64;
        }
    }
    void load() noexcept {
#if defined(__SSE2__)
        bits_ = end_ - block_ >= 64 ? mask64(block_) : tail_mask(block_, end_);
#else
        bits_ = 0;
        const std::size_t n = end_ - block_ < 64 ? static_cast<std::size_t>(end_ - block_) : 64;
        for (std::size_t i = 0; i < n; ++i)
            if (block_[i] == '\r' || block_[i] == '\n') bits_ |= std::uint64_t{1} << i;
#endif
    }
#if defined(__SSE2__)
    // The last, partial block: once per message at most, out of line.
    [[gnu::noinline, gnu::cold]] static std::uint64_t tail_mask(const char* p,
                                                                const char* end) noexcept {
        alignas(16) char pad[64] = {};
        std::memcpy(pad, p, static_cast<std::size_t>(end - p));
        return mask64(pad);
    }
    static std::uint64_t mask64(const char* p) noexcept {
        return static_cast<std::uint64_t>(line_break_mask16(p)) |
               static_cast<std::uint64_t>(line_break_mask16(p + 16)) << 16 |
               static_cast<std::uint64_t>(line_break_mask16(p + 32)) << 32 |
               static_cast<std::uint64_t>(line_break_mask16(p + 48)) << 48;
    }
#endif
    const char* block_;
    const char* end_;
    std::uint64_t bits_ = 0;
};

// End of a header name: the first ':', SP, HTAB, CR or LF in [p, end), or end.
inline const char* scan_name(const char* p, const char* end) noexcept {
    while (p < end && *p != ':' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') ++p;
    return p;
}

// First octet at or after i in [0, n) that is not visible (<= 0x20 or DEL), or n.
inline std::size_t scan_visible(const char* p, std::size_t i, std::size_t n) noexcept {
#if defined(__SSE2__)
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i del = _mm_set1_epi8(0x7f);
    while (n - i >= 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        // max(v, 0x20) == 0x20 exactly when v <= 0x20 (unsigned).
        const auto m = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_or_si128(
            _mm_cmpeq_epi8(_mm_max_epu8(v, space), space), _mm_cmpeq_epi8(v, del))));
        if (m != 0) return i + static_cast<std::size_t>(__builtin_ctz(m));
        i += 16;
    }
#endif
    while (i < n) {
        const auto u = static_cast<unsigned char>(p[i]);
        if (u <= 0x20 || u == 0x7f) break;
        ++i;
    }
    return i;
}

// SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT (RFC 3261 §25.1; "SIP" case-insensitive, §7.1).
constexpr bool is_version(std::string_view v) noexcept {
    if (v == "SIP/2.0") return true;   // what every message carries: one compare
    if (v.size() < 7 || !istarts_with(v, "SIP/")) return false;
    std::size_t i = 4;
    const std::size_t major = i;
    while (i < v.size() && is_digit(v[i])) ++i;
    if (i == major || i == v.size() || v[i] != '.') return false;
    const std::size_t minor = ++i;
    while (i < v.size() && is_digit(v[i])) ++i;
    return i != minor && i == v.size();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Names

std::string_view header_name(HeaderId id) noexcept {
    const auto i = static_cast<std::size_t>(id);
    return i < kHeaderIdCount ? kHeaderInfo[i].name : std::string_view{};
}

char header_compact(HeaderId id) noexcept {
    const auto i = static_cast<std::size_t>(id);
    return i < kHeaderIdCount ? kHeaderInfo[i].compact : '\0';
}

HeaderId header_id(std::string_view name) noexcept {
    if (name.empty()) return HeaderId::unknown;
    return classify_name(name.data(), name.size());
}

namespace {
constexpr std::string_view kReasonText[] = {
    "",
#define PALISADE_SIP_REASON(id, text) text,
#include "parsers/sip/reasons.def"
#undef PALISADE_SIP_REASON
};
constexpr std::string_view kReasonName[] = {
    "none",
#define PALISADE_SIP_REASON(id, text) #id,
#include "parsers/sip/reasons.def"
#undef PALISADE_SIP_REASON
};
constexpr std::string_view kMethodName[] = {
    "", "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK",
    "UPDATE", "INFO", "SUBSCRIBE", "NOTIFY", "REFER", "MESSAGE", "PUBLISH",
};
}  // namespace

std::string_view reason_text(Reason r) noexcept {
    const auto i = static_cast<std::size_t>(r);
    return i < static_cast<std::size_t>(Reason::count) ? kReasonText[i] : std::string_view{};
}

std::string_view reason_name(Reason r) noexcept {
    const auto i = static_cast<std::size_t>(r);
    return i < static_cast<std::size_t>(Reason::count) ? kReasonName[i] : std::string_view{};
}

std::string_view method_name(Method m) noexcept {
    const auto i = static_cast<std::size_t>(m);
    return i < sizeof(kMethodName) / sizeof(kMethodName[0]) ? kMethodName[i] : std::string_view{};
}

Method method_from(std::string_view t) noexcept {
    // Switch on length and first octet, then one comparison: case-sensitive (RFC 3261 §7.1).
    auto is = [t](std::string_view name, Method m) noexcept {
        return t == name ? m : Method::unknown;
    };
    if (t.empty()) return Method::unknown;
    switch (t.size()) {
    case 3:
        return t[0] == 'A' ? is("ACK", Method::ack) : is("BYE", Method::bye);
    case 4:
        return is("INFO", Method::info);
    case 5:
        return t[0] == 'P' ? is("PRACK", Method::prack) : is("REFER", Method::refer);
    case 6:
        switch (t[0]) {
        case 'I': return is("INVITE", Method::invite);
        case 'C': return is("CANCEL", Method::cancel);
        case 'U': return is("UPDATE", Method::update);
        case 'N': return is("NOTIFY", Method::notify);
        default: return Method::unknown;
        }
    case 7:
        switch (t[0]) {
        case 'O': return is("OPTIONS", Method::options);
        case 'M': return is("MESSAGE", Method::message);
        case 'P': return is("PUBLISH", Method::publish);
        default: return Method::unknown;
        }
    case 8:
        return is("REGISTER", Method::register_);
    case 9:
        return is("SUBSCRIBE", Method::subscribe);
    default:
        return Method::unknown;
    }
}

// ---------------------------------------------------------------------------------------------
// Message

Message::Message() noexcept {
    std::memset(first_, kNone, sizeof first_);
    std::memset(last_, kNone, sizeof last_);
    std::memset(count_, 0, sizeof count_);
}

// Start line without its CRLF, [p, p+n). Sets reason_ and returns false when malformed.
bool Message::parse_start_line(const char* p, std::size_t n) noexcept {
    const std::string_view line(p, n);
    start_line_ = line;
    if (n >= 4 && istarts_with(line, "SIP/")) {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF (RFC 3261 §7.2)
        is_request_ = false;
        const std::size_t sp = find_char(line, ' ');
        version_ = line.substr(0, sp);
        if (sp == std::string_view::npos || !is_version(version_)) {
            reason_ = Reason::bad_version;
            return false;
        }
        const std::string_view rest = line.substr(sp + 1);
        // Exactly three digits, class 1..6 (RFC 3261 §21); "4294967301" is refused, never
        // wrapped (RFC 4475 bigcode).
        if (rest.size() < 3 || !is_digit(rest[0]) || !is_digit(rest[1]) || !is_digit(rest[2]) ||
            rest[0] < '1' || rest[0] > '6' || (rest.size() > 3 && rest[3] != ' ')) {
            reason_ = Reason::bad_status_code;
            return false;
        }
        status_code_ = (rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0');
        // Reason-Phrase may be empty (RFC 4475 noreason, "SIP/2.0 100 "); a missing SP after
        // the code is accepted too (RFC 4475 §3.1.1.13 allows a liberal receiver to).
        reason_phrase_ = rest.size() > 4 ? rest.substr(4) : std::string_view{};
        // Reason-Phrase = *(reserved / unreserved / escaped / UTF8-NONASCII / UTF8-CONT / SP /
        // HTAB): no control characters other than HTAB.
        for (char c : reason_phrase_) {
            const auto u = static_cast<unsigned char>(c);
            if ((u < 0x20 && c != '\t') || u == 0x7f) {
                reason_ = Reason::bad_reason_phrase;
                return false;
            }
        }
        return true;
    }
    // Request-Line = Method SP Request-URI SP SIP-Version CRLF (RFC 3261 §7.1). Exactly one SP
    // between elements: RFC 4475 lwsstart (double SP) and trws (SP before CRLF) are refused.
    is_request_ = true;
    std::size_t i = 0;
    while (i < n && is_token_char(p[i])) ++i;
    if (i == 0 || i == n || p[i] != ' ') {
        reason_ = i == 0 || (i < n && p[i] != ' ') ? Reason::bad_method : Reason::bad_start_line;
        if (i == 0) reason_ = Reason::bad_start_line;
        return false;
    }
    method_text_ = line.substr(0, i);
    method_ = method_from(method_text_);
    const std::size_t uri = ++i;
    // Request-URI: any run of visible octets; its grammar is checked by parse_uri (uri.hpp).
    i = scan_visible(p, i, n);
    if (i == uri || i == n || p[i] != ' ') {
        reason_ = Reason::bad_request_uri;
        return false;
    }
    request_uri_ = line.substr(uri, i - uri);
    version_ = line.substr(i + 1);
    if (!is_version(version_)) {
        // A second SP before the version means LWS inside the Request-URI (RFC 4475 lwsruri).
        reason_ = find_char(version_, ' ') < version_.size() - 1 ? Reason::bad_request_uri
                                                                : Reason::bad_version;
        return false;
    }
    return true;
}

ParseStatus Message::parse(std::string_view datagram) noexcept {
    data_ = datagram;
    start_line_ = method_text_ = request_uri_ = version_ = reason_phrase_ = body_ = {};
    headers_end_ = size_ = 0;
    content_length_ = 0;
    header_count_ = 0;
    status_code_ = 0;
    reason_ = Reason::none;
    method_ = Method::unknown;
    is_request_ = false;
    std::memset(first_, kNone, sizeof first_);
    std::memset(count_, 0, sizeof count_);

    if (datagram.size() > kMaxSize) return fail(ParseStatus::malformed, Reason::message_too_large);
    if (datagram.empty()) return fail(ParseStatus::incomplete, Reason::empty_message);

    const char* const begin = datagram.data();
    const char* const end = begin + datagram.size();

    // Start line.
    const char* e = find_line_break(begin, end);
    if (e == end) return fail(ParseStatus::incomplete, Reason::headers_unterminated);
    if (*e != '\r') return fail(ParseStatus::malformed, Reason::bad_line_ending);
    if (e + 1 == end) return fail(ParseStatus::incomplete, Reason::headers_unterminated);
    if (e[1] != '\n') return fail(ParseStatus::malformed, Reason::bad_line_ending);
    if (!parse_start_line(begin, static_cast<std::size_t>(e - begin)))
        return fail(ParseStatus::malformed, reason_);

    // Header fields: field-name HCOLON field-value CRLF, HCOLON = *( SP / HTAB ) ":" SWS,
    // a line starting with SP / HTAB continues the previous field (RFC 3261 §7.3.1).
    const char* p = e + 2;
    bool have_cl = false;
    BreakIndex breaks(p, end);
    for (;;) {
#if defined(__SSE2__)
        // Fast path: the usual line, "Name: value" + CRLF, name known or a token of at most 15
        // octets, one SP after the colon, no fold, the line well inside the datagram. It
        // either frames the whole line exactly as the general code below would and continues,
        // or touches nothing and leaves the line (empty line, folds, odd spacing, long names,
        // errors, the datagram's last 32 octets) to the general code.
        if (end - p >= 32 && static_cast<unsigned char>(*p) > ' ') {
            // The name ends at the first ':' of the block. A blank or line break before it makes
            // the name neither a known one (the exact compare refuses those octets) nor a token,
            // so such a line goes to the general code, which frames it or names the error.
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
            const auto colon = static_cast<std::uint32_t>(
                _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(':'))));
            const auto name_len = static_cast<std::size_t>(__builtin_ctz(colon | 0x10000u));
            const char* const q = p + name_len + 2;   // the value's first octet
            if (name_len - 1 < 15 && q[-1] == ' ' && static_cast<unsigned char>(*q) > ' ') {
                const HeaderId id = name_len >= 2 ? classify_name16(p, name_len, v)
                                                  : classify_name(p, 1);
                const char* const le = breaks.next(p);
                if ((id != HeaderId::unknown || is_token(std::string_view(p, name_len))) &&
                    end - le >= 3 && le[0] == '\r' && le[1] == '\n' && le[2] != ' ' &&
                    le[2] != '\t' && header_count_ < kMaxHeaders &&
                    id != HeaderId::content_length) {
                    const char* value_end = le;
                    while (static_cast<unsigned char>(value_end[-1]) <= ' ' &&
                           (value_end[-1] == ' ' || value_end[-1] == '\t'))
                        --value_end;   // stops at *q, which is visible
                    const auto index = static_cast<std::uint8_t>(header_count_++);
                    HeaderField& f = fields_[index];
                    f.id = id;
                    f.name = std::string_view(p, name_len);
                    f.value = std::string_view(q, static_cast<std::size_t>(value_end - q));
                    f.line = std::string_view(p, static_cast<std::size_t>(le + 2 - p));
                    const auto k = static_cast<std::size_t>(id);
                    next_[index] = kNone;
                    if (first_[k] == kNone)
                        first_[k] = index;
                    else
                        next_[last_[k]] = index;
                    last_[k] = index;
                    ++count_[k];
                    p = le + 2;
                    continue;
                }
            }
        }
#endif
        if (p == end) return fail(ParseStatus::incomplete, Reason::headers_unterminated);
        const char c = *p;
        if (static_cast<unsigned char>(c) <= ' ') {   // one compare for every name's first octet
            if (c == '\r') {
                if (p + 1 == end) return fail(ParseStatus::incomplete, Reason::headers_unterminated);
                if (p[1] != '\n') return fail(ParseStatus::malformed, Reason::bad_line_ending);
                p += 2;
                break;   // the empty line
            }
            if (c == '\n') return fail(ParseStatus::malformed, Reason::bad_line_ending);
            if (c == ' ' || c == '\t')
                return fail(ParseStatus::malformed, Reason::fold_without_header);
        }

        // field-name = token. The name ends at ':', blank or line break; a known name is
        // matched exactly (which proves it a token), any other name is checked octet by octet.
        std::size_t name_len = 0;
        HeaderId id = HeaderId::unknown;
        const char* line_break = nullptr;   // first CR/LF when it lies in the loaded block
#if defined(__SSE2__)
        if (end - p >= 16) {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
            const auto crlf = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_or_si128(
                _mm_cmpeq_epi8(v, _mm_set1_epi8('\r')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\n')))));
            const auto stop = crlf | static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(':')),
                             _mm_cmpeq_epi8(v, _mm_set1_epi8(' '))),
                _mm_cmpeq_epi8(v, _mm_set1_epi8('\t')))));
            if (crlf != 0) line_break = p + __builtin_ctz(crlf);
            if (stop != 0) {
                name_len = static_cast<std::size_t>(__builtin_ctz(stop));
            } else if (end - p >= 32) {
                // Long names (P-Asserted-Identity, Proxy-Authorization...): one more block.
                const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
                const auto stop2 = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_or_si128(
                    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(w, _mm_set1_epi8(':')),
                                              _mm_cmpeq_epi8(w, _mm_set1_epi8(' '))),
                                 _mm_or_si128(_mm_cmpeq_epi8(w, _mm_set1_epi8('\t')),
                                              _mm_cmpeq_epi8(w, _mm_set1_epi8('\r')))),
                    _mm_cmpeq_epi8(w, _mm_set1_epi8('\n')))));
                name_len = stop2 != 0 ? 16 + static_cast<std::size_t>(__builtin_ctz(stop2))
                                      : static_cast<std::size_t>(scan_name(p + 32, end) - p);
            } else {
                name_len = static_cast<std::size_t>(scan_name(p + 16, end) - p);
            }
            if (name_len >= 2 && p + name_len != end)
                id = classify_name16(p, name_len, v);
            else if (name_len == 1)
                id = classify_name(p, 1);
        } else
#endif
        {
            name_len = static_cast<std::size_t>(scan_name(p, end) - p);
            if (name_len != 0 && p + name_len != end) id = classify_name(p, name_len);
        }
        const char* const name_end = p + name_len;
        if (name_end == end) return fail(ParseStatus::incomplete, Reason::headers_unterminated);
        if (name_len == 0 || (id == HeaderId::unknown && !is_token(std::string_view(p, name_len))))
            return fail(ParseStatus::malformed, Reason::bad_header_name);
        const char* q = name_end;
        if (*q != ':') {   // name_end < end here; "Name : value" is legal but rare
            while (q < end && (*q == ' ' || *q == '\t')) ++q;
            if (q == end) return fail(ParseStatus::incomplete, Reason::headers_unterminated);
            if (*q != ':') return fail(ParseStatus::malformed, Reason::missing_colon);
        }
        ++q;
        if (end - q >= 2 && q[0] == ' ' && static_cast<unsigned char>(q[1]) > ' ') {
            ++q;   // "Name: value", the usual spelling: one SP, then a visible octet
        } else {
            // SWS = [LWS], LWS = [*WSP CRLF] 1*WSP: skip blanks and folds before the value.
            for (;;) {
                while (q < end && (*q == ' ' || *q == '\t')) ++q;
                if (q == end) return fail(ParseStatus::incomplete, Reason::headers_unterminated);
                if (*q != '\r' || end - q < 3 || q[1] != '\n' || (q[2] != ' ' && q[2] != '\t'))
                    break;
                q += 3;
                line_break = nullptr;   // past the loaded block's first line break
            }
        }
        const char* const value_begin = q;
        // The field ends at the first CRLF not followed by SP / HTAB.
        for (;;) {
            e = line_break != nullptr ? line_break : breaks.next(q);
            line_break = nullptr;
            if (e == end) return fail(ParseStatus::incomplete, Reason::headers_unterminated);
            if (*e != '\r') return fail(ParseStatus::malformed, Reason::bad_line_ending);
            if (e + 1 == end) return fail(ParseStatus::incomplete, Reason::headers_unterminated);
            if (e[1] != '\n') return fail(ParseStatus::malformed, Reason::bad_line_ending);
            // Whether the next line continues this one is unknown until its first octet.
            if (e + 2 == end) return fail(ParseStatus::incomplete, Reason::headers_unterminated);
            if (e[2] != ' ' && e[2] != '\t') break;
            q = e + 3;
        }
        const char* value_end = e;
        // Only octets <= SP can be trimmed: one compare in the usual case.
        while (value_end > value_begin && static_cast<unsigned char>(value_end[-1]) <= ' ' &&
               (value_end[-1] == ' ' || value_end[-1] == '\t' || value_end[-1] == '\r' ||
                value_end[-1] == '\n'))
            --value_end;

        if (header_count_ == kMaxHeaders)
            return fail(ParseStatus::malformed, Reason::too_many_headers);
        const auto index = static_cast<std::uint8_t>(header_count_++);
        HeaderField& f = fields_[index];
        f.id = id;
        f.name = std::string_view(p, name_len);
        f.value = std::string_view(value_begin, static_cast<std::size_t>(value_end - value_begin));
        f.line = std::string_view(p, static_cast<std::size_t>(e + 2 - p));
        const auto k = static_cast<std::size_t>(id);
        next_[index] = kNone;
        if (first_[k] == kNone)
            first_[k] = index;
        else
            next_[last_[k]] = index;
        last_[k] = index;
        ++count_[k];

        if (id == HeaderId::content_length) {
            // RFC 3261 §20.14; RFC 4475 ncl (negative, non-numeric) and mcl01 (conflicting).
            std::uint64_t v = 0;
            if (!parse_uint(f.value, 0xffff'ffffu, v))
                return fail(ParseStatus::malformed, Reason::bad_content_length);
            if (have_cl && v != content_length_)
                return fail(ParseStatus::malformed, Reason::conflicting_content_length);
            have_cl = true;
            content_length_ = static_cast<std::uint32_t>(v);
        }
        p = e + 2;
    }

    headers_end_ = static_cast<std::size_t>(p - begin);
    const auto available = static_cast<std::size_t>(end - p);
    if (have_cl) {
        // Octets beyond Content-Length are not part of this message (RFC 3261 §18.3).
        if (content_length_ > available)
            return fail(ParseStatus::incomplete, Reason::content_length_exceeds_datagram);
        body_ = std::string_view(p, content_length_);
    } else {
        body_ = std::string_view(p, available);
    }
    size_ = headers_end_ + body_.size();
    status_ = ParseStatus::ok;
    return ParseStatus::ok;
}

const HeaderField* Message::find(std::string_view name) const noexcept {
    const HeaderId id = header_id(name);
    if (id != HeaderId::unknown) return find(id);
    for (std::uint8_t i = first_[0]; i != kNone; i = next_[i])
        if (iequals(fields_[i].name, name)) return &fields_[i];
    return nullptr;
}

// ---------------------------------------------------------------------------------------------
// ValueRange

ValueRange::iterator::iterator(const Message* m, std::uint8_t field) noexcept
    : msg_(m), field_(field) {
    load_field();
}

void ValueRange::iterator::load_field() noexcept {
    // Field values are stored trimmed (no leading SWS, no trailing LWS): empty means empty.
    while (field_ != Message::kNone) {
        if (!msg_->fields_[field_].value.empty()) {
            pos_ = 0;
            next_value();
            return;
        }
        field_ = msg_->next_[field_];
    }
    pos_ = 0;
    current_ = {};
}

namespace {
#if defined(__SSE2__)
// Bits of the octets of `v` equal to c1, c2 or c3.
inline std::uint32_t match3(__m128i v, char c1, char c2, char c3) noexcept {
    return static_cast<std::uint32_t>(_mm_movemask_epi8(
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(c1)),
                                  _mm_cmpeq_epi8(v, _mm_set1_epi8(c2))),
                     _mm_cmpeq_epi8(v, _mm_set1_epi8(c3)))));
}
#endif

// First c1, c2 or c3 in [i, n) of s, or n. `limit` is the end of the datagram that holds s: the
// last partial block is read as a whole block when the datagram has 16 octets there (a value
// is always followed by at least its CRLF), its bits beyond n masked off.
inline std::size_t find3(const char* s, std::size_t i, std::size_t n, const char* limit, char c1,
                         char c2, char c3) noexcept {
#if defined(__SSE2__)
    while (n - i >= 16) {
        const std::uint32_t m =
            match3(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i)), c1, c2, c3);
        if (m != 0) return i + static_cast<std::size_t>(__builtin_ctz(m));
        i += 16;
    }
    if (i < n && limit - (s + i) >= 16) {
        const std::uint32_t m =
            match3(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i)), c1, c2, c3) &
            ((1u << (n - i)) - 1);
        return m != 0 ? i + static_cast<std::size_t>(__builtin_ctz(m)) : n;
    }
#else
    (void)limit;
#endif
    while (i < n && s[i] != c1 && s[i] != c2 && s[i] != c3) ++i;
    return i;
}
}  // namespace

void ValueRange::iterator::next_value() noexcept {
    const std::string_view v = msg_->fields_[field_].value;
    const char* const s = v.data();
    const std::size_t n = v.size();
    const char* const limit = msg_->data_.data() + msg_->data_.size();
    std::size_t i = pos_;
    for (;;) {
        // Only ',', '"' and '<' matter between values.
        i = find3(s, i, n, limit, ',', '"', '<');
        if (i == n || s[i] == ',') break;
        if (s[i] == '"') {
            // quoted-string with quoted-pairs (RFC 3261 §25.1); unterminated: to the end.
            ++i;
            while (i < n && s[i] != '"') i += s[i] == '\\' ? 2 : 1;
            i = i < n ? i + 1 : n;
        } else {
            // <...>: a URI may hold commas (RFC 3261 §20: name-addr in Contact, Route...).
            i = find3(s, i + 1, n, limit, '>', '>', '>');
            i = i < n ? i + 1 : n;
        }
    }
    // Trim LWS (blanks and folds) around the value.
    const char* b = s + pos_;
    const char* e = s + i;
    auto lws = [](char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (b < e && lws(*b)) ++b;
    while (e > b && lws(e[-1])) --e;
    current_ = std::string_view(b, static_cast<std::size_t>(e - b));
    pos_ = static_cast<std::uint32_t>(i + 1);
}

ValueRange::iterator& ValueRange::iterator::operator++() noexcept {
    if (pos_ > msg_->fields_[field_].value.size()) {
        field_ = msg_->next_[field_];
        load_field();
    } else {
        next_value();
    }
    return *this;
}

}  // namespace palisade::sip
