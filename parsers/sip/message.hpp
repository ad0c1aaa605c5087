// SIP message framing: a zero-copy view over one datagram (RFC 3261 §7).
//
// Message::parse() splits a datagram into its start line, its header fields and its body, and
// classifies every header name (long and compact forms, case-insensitively), but parses nothing
// inside header values: the typed value parsers (uri.hpp, values.hpp) run lazily on the slices
// returned here. Every std::string_view points into the caller's datagram, which must outlive
// the Message. No allocation, no exceptions; a failure is a ParseStatus plus a named Reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>

namespace palisade::sip {

/// Known header names (headers.def); `unknown` for any other name, kept opaque.
enum class HeaderId : std::uint8_t {
    unknown,
#define PALISADE_SIP_HEADER(id, name, compact) id,
#include "parsers/sip/headers.def"
#undef PALISADE_SIP_HEADER
    count
};

/// Number of HeaderId values including `unknown` (size of per-id tables).
inline constexpr std::size_t kHeaderIdCount = static_cast<std::size_t>(HeaderId::count);

/// Canonical long name ("Call-ID"); "" for unknown.
std::string_view header_name(HeaderId id) noexcept;
/// Compact form ('i' for Call-ID), or 0 when the header has none.
char header_compact(HeaderId id) noexcept;
/// Classifies a header name, long or compact form, case-insensitively (RFC 3261 §7.3.1, §7.3.3).
HeaderId header_id(std::string_view name) noexcept;

/// Why a message or a value was refused (reasons.def); `none` means no failure.
enum class Reason : std::uint8_t {
    none,
#define PALISADE_SIP_REASON(id, text) id,
#include "parsers/sip/reasons.def"
#undef PALISADE_SIP_REASON
    count
};
/// Human phrase for a reason ("" for none): for logs, counters and palisadectl.
std::string_view reason_text(Reason r) noexcept;
/// Identifier of a reason as written in reasons.def ("bad_content_length"): for JSON and metrics.
std::string_view reason_name(Reason r) noexcept;

/// Three-way result, picohttpparser style.
enum class ParseStatus : std::uint8_t {
    ok,          ///< a complete message
    incomplete,  ///< a valid prefix of a message: more octets could complete it
    malformed    ///< no continuation can make it a message; see Message::reason()
};

/// Methods Palisade knows (RFC 3261 §7.1 and extensions); anything else is `unknown`.
enum class Method : std::uint8_t {
    unknown, invite, ack, bye, cancel, options, register_, prack,
    update, info, subscribe, notify, refer, message, publish
};
/// Method of a token, case-SENSITIVE (RFC 3261 §7.1: "INVITE" only, not "invite").
Method method_from(std::string_view token) noexcept;
/// Upper-case name of a method ("" for unknown).
std::string_view method_name(Method m) noexcept;

/// One header field: a line plus its folded continuation lines (RFC 3261 §7.3.1).
struct HeaderField {
    HeaderId id;
    std::string_view name;   ///< as written ("v", "VIA", ...)
    std::string_view value;  ///< after ':' and LWS, trailing LWS trimmed; may contain CRLF+WSP folds
    std::string_view line;   ///< whole field: name start up to and including its final CRLF
};

class Message;

/// Every field of one HeaderId, in message order (a walk over per-id next links: O(fields)).
class FieldRange {
public:
    class iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = HeaderField;
        using difference_type = std::ptrdiff_t;
        using pointer = const HeaderField*;
        using reference = const HeaderField&;
        iterator() noexcept = default;
        iterator(const Message* m, std::uint8_t i) noexcept : msg_(m), index_(i) {}
        reference operator*() const noexcept;
        pointer operator->() const noexcept { return &**this; }
        iterator& operator++() noexcept;
        iterator operator++(int) noexcept { iterator t = *this; ++*this; return t; }
        bool operator==(const iterator& o) const noexcept { return index_ == o.index_; }
        bool operator!=(const iterator& o) const noexcept { return index_ != o.index_; }
    private:
        const Message* msg_ = nullptr;
        std::uint8_t index_ = 0xff;  // 0xff = end
    };
    FieldRange(const Message* m, std::uint8_t first) noexcept : msg_(m), first_(first) {}
    iterator begin() const noexcept { return {msg_, first_}; }
    iterator end() const noexcept { return {msg_, 0xff}; }
    bool empty() const noexcept { return first_ == 0xff; }
private:
    const Message* msg_;
    std::uint8_t first_;
};

/// Every comma-separated value of one HeaderId across all its fields, in order (RFC 3261 §7.3.1:
/// "Contact: a, b" is the same as two Contact lines). Commas inside quoted strings (with
/// quoted-pairs) and inside <...> do not split. Values are trimmed of LWS; folds inside a value
/// are kept. A field whose whole value is empty yields nothing; an empty element between two
/// commas ("a,,b") IS yielded as an empty view, so that validation can refuse it (RFC 4475
/// badinv01). Do not use on headers whose grammar has commas inside one value: Authorization,
/// Proxy-Authorization, WWW-/Proxy-Authenticate, Authentication-Info, Date, Retry-After.
class ValueRange {
public:
    class iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = std::string_view;
        using difference_type = std::ptrdiff_t;
        using pointer = const std::string_view*;
        using reference = const std::string_view&;
        iterator() noexcept = default;
        iterator(const Message* m, std::uint8_t field) noexcept;
        reference operator*() const noexcept { return current_; }
        pointer operator->() const noexcept { return &current_; }
        iterator& operator++() noexcept;
        iterator operator++(int) noexcept { iterator t = *this; ++*this; return t; }
        bool operator==(const iterator& o) const noexcept {
            // pos_ only matters inside a field (it is 0 at the end). Written so that the two
            // members are not compared as one 8-byte load: that load would span the 1- and
            // 4-byte stores that just built end() and stall on store forwarding.
            return field_ == o.field_ && (field_ == 0xff || pos_ == o.pos_);
        }
        bool operator!=(const iterator& o) const noexcept { return !(*this == o); }
    private:
        void load_field() noexcept;   // position on the first value of field_ (skipping empty)
        void next_value() noexcept;   // cut current_ from pos_ in field_'s value
        const Message* msg_ = nullptr;
        std::uint8_t field_ = 0xff;   // 0xff = end
        std::uint32_t pos_ = 0;       // offset in the field value where the next value starts
        std::string_view current_{};
    };
    ValueRange(const Message* m, std::uint8_t first) noexcept : msg_(m), first_(first) {}
    iterator begin() const noexcept { return {msg_, first_}; }
    iterator end() const noexcept { return {}; }
private:
    const Message* msg_;
    std::uint8_t first_;
};

/// A framed SIP message. Reusable: parse() resets it. Accessors other than status/reason are
/// meaningful after parse() returned ok (the start-line accessors also after a failure in the
/// header section). The datagram must outlive the Message and every view taken from it.
class Message {
public:
    /// More header fields than this -> malformed, too_many_headers.
    static constexpr std::size_t kMaxHeaders = 128;
    /// Larger datagrams -> malformed, message_too_large (offsets are kept in 32 bits).
    static constexpr std::size_t kMaxSize = 0xffff'ffffu;

    Message() noexcept;

    /// Frames one datagram: start line, header fields (names classified, values NOT parsed),
    /// body located by Content-Length (absent: the rest of the datagram, RFC 3261 §18.3; octets
    /// beyond Content-Length are ignored, RFC 4475 dblreq). Content-Length larger than what is
    /// there: incomplete (content_length_exceeds_datagram); over UDP the caller treats that as
    /// malformed (RFC 3261 §18.3, RFC 4475 clerr). Line ends must be CRLF (RFC 3261 §7: bare LF
    /// or bare CR in the start line or headers is malformed, bad_line_ending): an SBC that read
    /// a bare LF as a line end would see header boundaries the element behind it does not (the
    /// request-smuggling class of RFC 4475 mcl01), so it refuses rather than guesses. The body
    /// is never scanned (binary bodies, RFC 4475 mpart01). A datagram that ends inside the
    /// header section is incomplete. Leading CRLFs before the start line are not skipped (that
    /// rule is for stream transports, RFC 3261 §7.5; UDP keepalives are the caller's).
    ParseStatus parse(std::string_view datagram) noexcept;

    /// Result of the last parse().
    ParseStatus status() const noexcept { return status_; }
    /// Why the last parse() was not ok (Reason::none when it was).
    Reason reason() const noexcept { return reason_; }
    /// True for a request, false for a response.
    bool is_request() const noexcept { return is_request_; }
    /// Method of a request (unknown for extension methods and for responses).
    Method method() const noexcept { return method_; }
    /// Method token of a request as written.
    std::string_view method_text() const noexcept { return method_text_; }
    /// Request-URI as written (requests).
    std::string_view request_uri() const noexcept { return request_uri_; }
    /// SIP-Version as written ("SIP/2.0").
    std::string_view version() const noexcept { return version_; }
    /// Status code 100..699 (responses), 0 for requests.
    int status_code() const noexcept { return status_code_; }
    /// Reason-Phrase as written, possibly empty (responses).
    std::string_view reason_phrase() const noexcept { return reason_phrase_; }
    /// The datagram as given to parse(), trailing octets included.
    std::string_view data() const noexcept { return data_; }
    /// The start line without its CRLF.
    std::string_view start_line() const noexcept { return start_line_; }

    /// Number of header fields.
    std::size_t header_count() const noexcept { return header_count_; }
    /// Field i in message order; i < header_count().
    const HeaderField& header(std::size_t i) const noexcept { return fields_[i]; }
    /// First field of that id, or null. O(1).
    const HeaderField* find(HeaderId id) const noexcept {
        const std::uint8_t i = first_[static_cast<std::size_t>(id)];
        return i == kNone ? nullptr : &fields_[i];
    }
    /// First field with that name (long or compact form of a known header, or any other name),
    /// case-insensitively; null when absent.
    const HeaderField* find(std::string_view name) const noexcept;
    /// Number of FIELDS (lines) of that id. O(1).
    std::size_t count(HeaderId id) const noexcept { return count_[static_cast<std::size_t>(id)]; }
    /// Every field of an id, in order:  for (const HeaderField& f : msg.fields(HeaderId::via))
    FieldRange fields(HeaderId id) const noexcept {
        return {this, first_[static_cast<std::size_t>(id)]};
    }
    /// Every comma-separated value of an id across its fields (see ValueRange):
    ///   for (std::string_view v : msg.values(HeaderId::via))
    ValueRange values(HeaderId id) const noexcept {
        return {this, first_[static_cast<std::size_t>(id)]};
    }
    /// Index (for header()) of the field after `index` with the same id, or header_count().
    std::size_t next_index(std::size_t index) const noexcept {
        return next_[index] == kNone ? header_count_ : next_[index];
    }

    /// The body: Content-Length octets after the empty line, or the rest of the datagram.
    std::string_view body() const noexcept { return body_; }
    /// Offset of the body (just after the empty line).
    std::size_t headers_end() const noexcept { return headers_end_; }
    /// Headers + body: trailing octets beyond Content-Length excluded.
    std::size_t size() const noexcept { return size_; }
    /// True when the message has a Content-Length field.
    bool has_content_length() const noexcept { return first_[kClIndex] != kNone; }
    /// The Content-Length value (0 when absent).
    std::uint32_t content_length() const noexcept { return content_length_; }

private:
    friend class FieldRange::iterator;
    friend class ValueRange::iterator;
    static constexpr std::uint8_t kNone = 0xff;
    static constexpr std::size_t kClIndex = static_cast<std::size_t>(HeaderId::content_length);

    ParseStatus fail(ParseStatus s, Reason r) noexcept {
        status_ = s;
        reason_ = r;
        return s;
    }
    bool parse_start_line(const char* p, std::size_t n) noexcept;

    std::string_view data_{};
    std::string_view start_line_{};
    std::string_view method_text_{};
    std::string_view request_uri_{};
    std::string_view version_{};
    std::string_view reason_phrase_{};
    std::string_view body_{};
    std::size_t headers_end_ = 0;
    std::size_t size_ = 0;
    std::uint32_t content_length_ = 0;
    std::uint32_t header_count_ = 0;
    int status_code_ = 0;
    ParseStatus status_ = ParseStatus::incomplete;
    Reason reason_ = Reason::none;
    Method method_ = Method::unknown;
    bool is_request_ = false;
    std::uint8_t first_[kHeaderIdCount];   // first field index of each id, kNone when absent
    std::uint8_t last_[kHeaderIdCount];    // last field index of each id (valid when first_ is)
    std::uint8_t count_[kHeaderIdCount];   // number of fields of each id
    std::uint8_t next_[kMaxHeaders];       // next field index of the same id, kNone at the end
    HeaderField fields_[kMaxHeaders];      // only [0, header_count_) is initialised
};

inline FieldRange::iterator::reference FieldRange::iterator::operator*() const noexcept {
    return msg_->fields_[index_];
}
inline FieldRange::iterator& FieldRange::iterator::operator++() noexcept {
    index_ = msg_->next_[index_];
    return *this;
}

}  // namespace palisade::sip
