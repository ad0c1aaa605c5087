// Edits of a framed SIP message, recorded as a list and applied once into an output buffer
// (the Kamailio "lumps" idea without its allocations): every rewrite Palisade does (topology
// hiding, header removal, SDP codec filtering) is a handful of replace/erase/insert records
// against the received datagram, and the forwarded message is written in one pass.
//
// Ownership: spans and positions point into the datagram of the Message later given to apply();
// inserted and replacement texts are REFERENCED, NOT COPIED, until apply() runs: whatever they
// point at (the datagram, a per-worker scratch buffer, a string literal) must outlive apply().
// Fixed capacity, no allocation, no exceptions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "parsers/sip/message.hpp"

namespace palisade::sip {

/// A fixed-capacity list of edits against one Message's datagram.
class EditList {
public:
    /// Edits one list holds; recording more fails and makes apply() return 0.
    static constexpr std::size_t kMaxEdits = 64;

    /// Replace `span` (a slice of the message's datagram) by `text`. False when the list is full.
    bool replace(std::string_view span, std::string_view text) noexcept {
        return add(span.data(), span.data() + span.size(), text);
    }
    /// Remove `span` (a slice of the message's datagram). False when the list is full.
    bool erase(std::string_view span) noexcept { return replace(span, {}); }
    /// Insert `text` before the octet at `position` (a pointer into the datagram, or one past the
    /// message's last octet to append to the body). Several inserts at one position keep the
    /// order in which they were recorded. False when the list is full.
    bool insert(const char* position, std::string_view text) noexcept {
        return add(position, position, text);
    }
    /// Remove a whole header field, folded continuation lines and CRLF included.
    bool remove_field(const HeaderField& field) noexcept { return erase(field.line); }
    /// Insert a complete header line (`text` includes its CRLF) before `field`.
    bool insert_field_before(const HeaderField& field, std::string_view text) noexcept {
        return insert(field.line.data(), text);
    }
    /// Insert a complete header line (`text` includes its CRLF) after the last header field,
    /// before the empty line. Appended lines keep their recording order.
    bool append_field(std::string_view text) noexcept { return add(kAppend, kAppend, text); }

    /// Writes the edited message into `out`, edits in position order, and returns its size.
    /// Octets after the body (beyond Content-Length) are dropped. Content-Length is owned by
    /// apply(): the value of every Content-Length field is rewritten to the new body length
    /// (the name is kept, so a compact `l:` stays compact), or `Content-Length: N\r\n` is added
    /// after the last header when there was none. Returns 0, with the content of `out`
    /// unspecified, when: the message was not parsed ok, an edit lies outside the message or
    /// straddles the empty line between headers and body, two edits overlap (also with a
    /// Content-Length value), the list overflowed, or `out` is too small. `out` must not
    /// overlap the datagram or any edit text.
    std::size_t apply(const Message& msg, std::span<char> out) const noexcept;

    /// Forget every edit (reuse for the next message).
    void clear() noexcept {
        size_ = 0;
        overflow_ = false;
    }
    /// Number of recorded edits.
    std::size_t size() const noexcept { return size_; }
    /// True when no edit is recorded.
    bool empty() const noexcept { return size_ == 0; }
    /// True when an edit could not be recorded (apply() will return 0).
    bool overflowed() const noexcept { return overflow_; }

private:
    struct Edit {
        const char* begin;       // first octet replaced, or the insert position
        const char* end;         // one past the last octet replaced (== begin for an insert)
        std::string_view text;   // referenced, not copied
    };
    // Marker position of append_field(), resolved by apply() to the start of the empty line.
    static inline const char kAppendMarker = 0;
    static constexpr const char* kAppend = &kAppendMarker;

    bool add(const char* begin, const char* end, std::string_view text) noexcept {
        if (size_ == kMaxEdits) {
            overflow_ = true;
            return false;
        }
        edits_[size_++] = Edit{begin, end, text};
        return true;
    }

    Edit edits_[kMaxEdits];
    std::size_t size_ = 0;
    bool overflow_ = false;
};

}  // namespace palisade::sip
