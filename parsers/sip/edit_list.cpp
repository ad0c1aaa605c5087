// Applying an edit list in one pass. See edit_list.hpp for the contract.
#include "parsers/sip/edit_list.hpp"

#include <cstring>

namespace palisade::sip {

namespace {

// A resolved edit: offsets in the datagram, plus the recording sequence for stable order.
struct Resolved {
    std::size_t begin;
    std::size_t end;
    std::string_view text;
    std::uint32_t seq;
};

// Order: by position; at one position inserts come before a replaced span (an insert "before
// the octet at position" lands before whatever replaces that octet); then recording order.
bool before(const Resolved& a, const Resolved& b) noexcept {
    if (a.begin != b.begin) return a.begin < b.begin;
    const bool a_insert = a.begin == a.end;
    const bool b_insert = b.begin == b.end;
    if (a_insert != b_insert) return a_insert;
    return a.seq < b.seq;
}

// Decimal digits of v into buf (at least 10 octets); returns the length.
std::size_t format_uint(std::uint64_t v, char* buf) noexcept {
    char tmp[20];
    std::size_t n = 0;
    do {
        tmp[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (std::size_t i = 0; i < n; ++i) buf[i] = tmp[n - 1 - i];
    return n;
}

}  // namespace

std::size_t EditList::apply(const Message& msg, std::span<char> out) const noexcept {
    if (overflow_ || msg.status() != ParseStatus::ok) return 0;
    const char* const base = msg.data().data();
    const std::size_t size = msg.size();
    const std::size_t headers_end = msg.headers_end();
    // The empty line is [blank, headers_end); headers are [0, blank), body [headers_end, size).
    const std::size_t blank = headers_end - 2;

    // Room for the caller's edits plus one per Content-Length field (or the added one).
    constexpr std::size_t kCap = kMaxEdits + Message::kMaxHeaders;
    Resolved list[kCap];
    std::size_t n = 0;

    // Pointers are compared as integers: a caller's pointer outside the datagram is an error
    // to report, not undefined behaviour to trust.
    const auto lo = reinterpret_cast<std::uintptr_t>(base);
    std::int64_t body_delta = 0;
    for (std::size_t i = 0; i < size_; ++i) {
        const Edit& e = edits_[i];
        std::size_t b = 0;
        std::size_t en = 0;
        if (e.begin == kAppend) {
            b = en = blank;
        } else {
            const auto pb = reinterpret_cast<std::uintptr_t>(e.begin);
            const auto pe = reinterpret_cast<std::uintptr_t>(e.end);
            if (pb < lo || pe < pb || pe - lo > size) return 0;
            b = pb - lo;
            en = pe - lo;
        }
        // An edit belongs wholly to the headers (an insert at the empty line is a header
        // insert) or wholly to the body; the empty line itself is never edited.
        if (en <= blank) {
            // header edit
        } else if (b >= headers_end) {
            body_delta += static_cast<std::int64_t>(e.text.size()) -
                          static_cast<std::int64_t>(en - b);
        } else {
            return 0;
        }
        list[n++] = Resolved{b, en, e.text, static_cast<std::uint32_t>(i)};
    }

    // Content-Length (RFC 3261 §20.14) is recomputed from the new body length.
    const std::int64_t new_body = static_cast<std::int64_t>(msg.body().size()) + body_delta;
    if (new_body < 0 || new_body > 0xffff'ffffLL) return 0;
    char digits[16];
    const std::size_t ndigits = format_uint(static_cast<std::uint64_t>(new_body), digits);
    char added[32];   // "Content-Length: " + digits + CRLF
    if (msg.has_content_length()) {
        for (const HeaderField& f : msg.fields(HeaderId::content_length)) {
            const auto b = static_cast<std::size_t>(f.value.data() - base);
            list[n++] = Resolved{b, b + f.value.size(), std::string_view(digits, ndigits),
                                 0xffff'ffffu};
        }
    } else {
        constexpr std::string_view kName = "Content-Length: ";
        std::memcpy(added, kName.data(), kName.size());
        std::memcpy(added + kName.size(), digits, ndigits);
        std::memcpy(added + kName.size() + ndigits, "\r\n", 2);
        list[n++] = Resolved{blank, blank, std::string_view(added, kName.size() + ndigits + 2),
                             0xffff'ffffu};   // after every appended field
    }

    // Insertion sort: n is small and the caller's edits are usually recorded in order.
    for (std::size_t i = 1; i < n; ++i) {
        const Resolved x = list[i];
        std::size_t j = i;
        while (j > 0 && before(x, list[j - 1])) {
            list[j] = list[j - 1];
            --j;
        }
        list[j] = x;
    }
    for (std::size_t i = 1; i < n; ++i)
        if (list[i].begin < list[i - 1].end) return 0;   // overlap

    // One pass: copy untouched runs and edit texts.
    char* const o = out.data();
    const std::size_t cap = out.size();
    std::size_t w = 0;
    std::size_t cursor = 0;
    auto put = [&](const char* src, std::size_t len) noexcept {
        if (len > cap - w) return false;
        if (len != 0) std::memcpy(o + w, src, len);
        w += len;
        return true;
    };
    for (std::size_t i = 0; i < n; ++i) {
        const Resolved& r = list[i];
        if (!put(base + cursor, r.begin - cursor)) return 0;
        if (!put(r.text.data(), r.text.size())) return 0;
        cursor = r.end;
    }
    if (!put(base + cursor, size - cursor)) return 0;   // octets beyond size() are dropped
    return w;
}

}  // namespace palisade::sip
