// SIP message framing (RFC 3261 §7). See message.hpp for the contract.
//
// Speed (bench/parser_bench.cpp, BM_Parse/palisade/*): one pass over the header section; line
// ends found 16 (SSE2) or 32 (AVX2) octets at a time; header names classified by one hash probe
// into a compile-time table shared by long and compact forms; per-id first/next links so that
// find() is O(1) and fields() walks only its id; nothing inside values is parsed except
// Content-Length, which framing needs.
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

// Lower-case canonical names, zero-padded, for word-wise comparison.
struct LowerNames {
    char v[kHeaderIdCount][kNameMax];
    constexpr LowerNames() noexcept : v{} {
        for (std::size_t i = 0; i < kHeaderIdCount; ++i)
            for (std::size_t j = 0; j < kHeaderInfo[i].name.size(); ++j)
                v[i][j] = static_cast<char>(static_cast<unsigned char>(kHeaderInfo[i].name[j]) | 0x20);
    }
};
constexpr LowerNames kLowerNames{};

// For token characters, `c | 0x20` is exact ASCII case folding: the only token characters that
// differ in bit 5 from another token character are the letters (checked: '_' maps to DEL, which
// is no token character, and every other token punctuation already has bit 5 set).
constexpr std::uint32_t fold(char c) noexcept {
    return static_cast<unsigned char>(c) | 0x20u;
}
// Hash of a name of length >= 2 (case-folded). The constants were searched so that the names of
// headers.def do not collide (a perfect hash today); a new name that collides costs one more
// probe, and the static_assert below bounds that.
constexpr std::uint32_t name_hash(const char* s, std::size_t n) noexcept {
    return (static_cast<std::uint32_t>(n) * 29u + fold(s[0]) * 126u + fold(s[n - 1]) * 125u +
            fold(s[n - 2]) * 81u + fold(s[n >> 1]) * 103u) &
           (kSlots - 1);
}

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
static_assert(kNameTable.max_probe <= 3, "retune name_hash: too many collisions");

inline std::uint64_t load64(const char* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}
inline std::uint32_t load32(const char* p) noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

// Case-insensitive equality of a token `s` (length n) with the lower-case padded name `lower`.
// Overlapping word loads: both have length n, so comparing [0,8) and [n-8,n) covers all.
inline bool name_equals(const char* s, std::size_t n, const char* lower) noexcept {
    if (n >= 8) {
        constexpr std::uint64_t k = 0x2020202020202020ull;
        for (std::size_t i = 0; i + 8 <= n; i += 8)
            if ((load64(s + i) | k) != load64(lower + i)) return false;
        return (load64(s + n - 8) | k) == load64(lower + n - 8);
    }
    if (n >= 4) {
        constexpr std::uint32_t k = 0x20202020u;
        return (load32(s) | k) == load32(lower) && (load32(s + n - 4) | k) == load32(lower + n - 4);
    }
    for (std::size_t i = 0; i < n; ++i)
        if (fold(s[i]) != static_cast<unsigned char>(lower[i])) return false;
    return true;
}

// Classify a header name known to be a non-empty token.
inline HeaderId classify_token(const char* s, std::size_t n) noexcept {
    if (n == 1) return static_cast<HeaderId>(kNameTable.compact[static_cast<unsigned char>(*s)]);
    if (n >= kNameMax) return HeaderId::unknown;
    std::size_t h = name_hash(s, n);
    for (;;) {
        const std::uint8_t id = kNameTable.slot[h];
        if (id == 0) return HeaderId::unknown;
        if (kHeaderInfo[id].name.size() == n && name_equals(s, n, kLowerNames.v[id]))
            return static_cast<HeaderId>(id);
        h = (h + 1) & (kSlots - 1);
    }
}

// ---------------------------------------------------------------------------------------------
// Line ends. Returns the first CR or LF in [p, end), or end.

inline const char* find_line_break(const char* p, const char* end) noexcept {
#if defined(__AVX2__)
    const __m256i cr32 = _mm256_set1_epi8('\r');
    const __m256i lf32 = _mm256_set1_epi8('\n');
    while (end - p >= 32) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
        const auto m = static_cast<std::uint32_t>(_mm256_movemask_epi8(
            _mm256_or_si256(_mm256_cmpeq_epi8(v, cr32), _mm256_cmpeq_epi8(v, lf32))));
        if (m != 0) return p + __builtin_ctz(m);
        p += 32;
    }
#endif
#if defined(__SSE2__)
    const __m128i cr = _mm_set1_epi8('\r');
    const __m128i lf = _mm_set1_epi8('\n');
    while (end - p >= 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const auto m = static_cast<std::uint32_t>(
            _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf))));
        if (m != 0) return p + __builtin_ctz(m);
        p += 16;
    }
#endif
    while (p < end && *p != '\r' && *p != '\n') ++p;
    return p;
}

// SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT (RFC 3261 §25.1; "SIP" case-insensitive, §7.1).
constexpr bool is_version(std::string_view v) noexcept {
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
    // The fast classifier relies on token characters (see fold()).
    if (!is_token(name)) return HeaderId::unknown;
    return classify_token(name.data(), name.size());
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
    while (i < n) {
        const auto u = static_cast<unsigned char>(p[i]);
        if (u <= 0x20 || u == 0x7f) break;
        ++i;
    }
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
    for (;;) {
        if (p == end) return fail(ParseStatus::incomplete, Reason::headers_unterminated);
        const char c = *p;
        if (c == '\r') {
            if (p + 1 == end) return fail(ParseStatus::incomplete, Reason::headers_unterminated);
            if (p[1] != '\n') return fail(ParseStatus::malformed, Reason::bad_line_ending);
            p += 2;
            break;   // the empty line
        }
        if (c == '\n') return fail(ParseStatus::malformed, Reason::bad_line_ending);
        if (c == ' ' || c == '\t') return fail(ParseStatus::malformed, Reason::fold_without_header);

        // field-name = token
        const char* q = p;
        while (q < end && is_token_char(*q)) ++q;
        if (q == end) return fail(ParseStatus::incomplete, Reason::headers_unterminated);
        if (q == p) return fail(ParseStatus::malformed, Reason::bad_header_name);
        const char* const name_end = q;
        while (q < end && (*q == ' ' || *q == '\t')) ++q;
        if (q == end) return fail(ParseStatus::incomplete, Reason::headers_unterminated);
        if (*q != ':') {
            const bool after_ws = q != name_end;
            const bool line_end = *q == '\r' || *q == '\n';
            return fail(ParseStatus::malformed, after_ws || line_end ? Reason::missing_colon
                                                                     : Reason::bad_header_name);
        }
        ++q;
        // SWS = [LWS], LWS = [*WSP CRLF] 1*WSP: skip blanks and folds before the value.
        for (;;) {
            while (q < end && (*q == ' ' || *q == '\t')) ++q;
            if (q == end) return fail(ParseStatus::incomplete, Reason::headers_unterminated);
            if (*q != '\r' || end - q < 3 || q[1] != '\n' || (q[2] != ' ' && q[2] != '\t')) break;
            q += 3;
        }
        const char* const value_begin = q;
        // The field ends at the first CRLF not followed by SP / HTAB.
        for (;;) {
            e = find_line_break(q, end);
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
        while (value_end > value_begin &&
               (value_end[-1] == ' ' || value_end[-1] == '\t' || value_end[-1] == '\r' ||
                value_end[-1] == '\n'))
            --value_end;

        if (header_count_ == kMaxHeaders)
            return fail(ParseStatus::malformed, Reason::too_many_headers);
        const auto index = static_cast<std::uint8_t>(header_count_++);
        const std::size_t name_len = static_cast<std::size_t>(name_end - p);
        const HeaderId id = classify_token(p, name_len);
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
    while (field_ != Message::kNone) {
        if (!trim(msg_->fields_[field_].value).empty()) {
            pos_ = 0;
            next_value();
            return;
        }
        field_ = msg_->next_[field_];
    }
    pos_ = 0;
    current_ = {};
}

void ValueRange::iterator::next_value() noexcept {
    const std::string_view v = msg_->fields_[field_].value;
    std::size_t i = pos_;
    bool quoted = false;
    bool angle = false;
    for (; i < v.size(); ++i) {
        const char c = v[i];
        if (quoted) {
            if (c == '\\')
                ++i;   // quoted-pair (RFC 3261 §25.1)
            else if (c == '"')
                quoted = false;
        } else if (c == '"') {
            quoted = true;
        } else if (angle) {
            if (c == '>') angle = false;
        } else if (c == '<') {
            angle = true;
        } else if (c == ',') {
            break;
        }
    }
    if (i > v.size()) i = v.size();   // a trailing backslash
    current_ = trim(v.substr(pos_, i - pos_));
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
