// Zero-copy SDP view (RFC 4566): session and media sections, c=, m= with its formats, a=rtpmap,
// a=fmtp, a=ptime, a=maxptime and the direction attributes. Enough for a proxy to filter codecs
// and reject streams (RFC 3264) with the SIP edit list; see filter.hpp.
//
// Every string_view returned points into the body given to Sdp::parse(); nothing is copied,
// nothing is allocated, nothing throws. Capacities are fixed (kMaxMedia, kMaxFormats); exceeding
// one is a named Reason, never a crash. Lines are not stored: every line of a section can be
// walked again with LineRange (parse() has already checked that each one is well formed), and the
// lines a filter edits (m=, c=, a=rtpmap, a=fmtp) are kept as spans that include their line end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace palisade::sdp {

// Every reason an SDP body is refused, and every reason the filter (filter.hpp) fails; declared
// once here, X-macro style: X(id, "human phrase").
#define PALISADE_SDP_REASONS(X)                                                         \
    X(none, "ok")                                                                       \
    X(empty, "empty SDP body")                                                          \
    X(bad_line, "line is not <letter>=<value>")                                         \
    X(bad_character, "NUL or bare CR inside a line")                                    \
    X(unknown_type, "unknown line type letter (RFC 4566 section 5)")                    \
    X(missing_version, "first line is not v=")                                          \
    X(bad_version, "v= is not 0")                                                       \
    X(missing_origin, "no o= line in the session section")                              \
    X(bad_origin, "o= line malformed")                                                  \
    X(missing_session_name, "no s= line in the session section")                        \
    X(bad_connection, "c= is not IN IP4|IP6 <address>")                                 \
    X(bad_media, "m= line malformed")                                                   \
    X(bad_port, "m= port not a number in 0..65535")                                     \
    X(bad_format, "m= format list empty, or an RTP payload type not in 0..127")         \
    X(bad_rtpmap, "a=rtpmap malformed")                                                 \
    X(bad_fmtp, "a=fmtp malformed")                                                     \
    X(bad_ptime, "a=ptime or a=maxptime not a number")                                  \
    X(too_many_media, "more m= lines than Sdp::kMaxMedia")                              \
    X(too_many_formats, "more formats than Sdp::kMaxFormats")                           \
    X(scratch_too_small, "filter: scratch buffer too small for the rewritten m= lines") \
    X(edit_failed, "filter: the edit list refused an edit")

/// Why an SDP body was refused (or a filter failed); Reason::none on success.
enum class Reason : std::uint8_t {
#define PALISADE_SDP_REASON_ENUM(id, text) id,
    PALISADE_SDP_REASONS(PALISADE_SDP_REASON_ENUM)
#undef PALISADE_SDP_REASON_ENUM
};

/// Human phrase of a reason (for counters, logs and palisadectl).
std::string_view reason_text(Reason r) noexcept;
/// Short identifier of a reason ("bad_rtpmap"), for JSON.
std::string_view reason_name(Reason r) noexcept;

/// Address type of c= and o= (RFC 4566 §5.7).
enum class AddrType : std::uint8_t { none, ip4, ip6 };

/// Media direction attribute (RFC 4566 §6, RFC 3264 §5.1); `unspecified` when no attribute.
enum class Direction : std::uint8_t { unspecified, sendrecv, sendonly, recvonly, inactive };

/// The "media" field of an m= line (RFC 4566 §5.14).
enum class MediaKind : std::uint8_t { audio, video, text, application, message, image, other };

/// Name of a direction ("sendrecv"; "" for unspecified).
std::string_view direction_name(Direction d) noexcept;
/// Name of a media kind ("audio", ...; "other" for an unknown one).
std::string_view media_kind_name(MediaKind k) noexcept;

/// One line of the body.
struct Line {
    char type = 0;           // the letter before '='
    std::string_view value;  // after "x=", line end and trailing SP/HTAB removed
    std::string_view
        text;  // the whole line including its CRLF or LF (none on a last line without one)
};

/// Iterates the lines of a span of a parsed body (a section, or the whole body). Empty lines are
/// skipped. Only meaningful over text Sdp::parse() accepted.
///   for (const Line& l : LineRange(sdp.session_section())) ...
class LineRange {
  public:
    class Iterator {
      public:
        Iterator() noexcept = default;
        explicit Iterator(std::string_view rest) noexcept : rest_(rest) { advance(); }
        const Line& operator*() const noexcept { return line_; }
        const Line* operator->() const noexcept { return &line_; }
        Iterator& operator++() noexcept {
            advance();
            return *this;
        }
        // Only ever compared with end() (range-for); two live iterators are equal when they
        // stand on the same line.
        bool operator==(const Iterator& o) const noexcept {
            return done_ == o.done_ && (done_ || line_.text.data() == o.line_.text.data());
        }

      private:
        void advance() noexcept;
        std::string_view rest_;
        Line line_;
        bool done_ = true;
    };
    explicit LineRange(std::string_view text) noexcept : text_(text) {}
    Iterator begin() const noexcept { return Iterator(text_); }
    Iterator end() const noexcept { return Iterator(); }

  private:
    std::string_view text_;
};

/// An a= line split at its first ':' (RFC 4566 §5.13): "a=rtpmap:8 PCMA/8000" gives name
/// "rtpmap", value "8 PCMA/8000"; a property attribute ("a=sendrecv") has no value.
struct Attribute {
    std::string_view name;
    std::string_view value;
    bool has_value = false;
    std::string_view line;  // the whole a= line including its line end
};
/// Split the value of an a= line (what follows "a=").
Attribute parse_attribute(std::string_view value) noexcept;

/// c= (RFC 4566 §5.7). `line` is empty when there is none.
struct Connection {
    AddrType addr_type = AddrType::none;
    std::string_view address;  // without the /ttl or /count suffix
    std::string_view suffix;   // after the first '/', raw ("127/3"), empty when absent
    std::string_view line;     // the whole c= line including its line end
    bool present() const noexcept { return !line.empty(); }
};

/// o= (RFC 4566 §5.2).
struct Origin {
    std::string_view username, session_id, session_version, address;
    AddrType addr_type = AddrType::none;
    std::string_view line;
};

/// One format of an m= line, with what its a=rtpmap and a=fmtp lines say about it.
struct Format {
    std::string_view text;         // the fmt token as written in m= (a slice of the m= line)
    std::int16_t pt = -1;          // RTP payload type 0..127; -1 for a non-RTP format ("t38")
    std::string_view encoding;     // rtpmap encoding name; for a static PT without rtpmap, the
                                   // RFC 3551 name; empty when unknown
    std::uint32_t clock = 0;       // rtpmap clock rate (or the static one); 0 when unknown,
                                   // including an rtpmap without one (tolerated, RFC 4475 sdp01)
    std::uint16_t channels = 0;    // audio channels: rtpmap encoding parameters, else the static
                                   // table's for a static PT without rtpmap; 0 when not stated
    std::string_view rtpmap_line;  // whole a=rtpmap line incl. line end; empty when none
    std::string_view fmtp;         // a=fmtp parameters (after "<pt> "); empty when none
    std::string_view fmtp_line;    // whole a=fmtp line incl. line end; empty when none
};

/// One media description: an m= line and the lines up to the next m= (RFC 4566 §5.14).
struct Media {
    MediaKind kind = MediaKind::other;
    std::string_view media;         // the media field as written ("audio")
    std::uint16_t port = 0;         // 0 = stream rejected or disabled (RFC 3264 §6 / §8.2)
    std::uint16_t port_count = 1;   // the "/<number of ports>" suffix, 1 when absent
    std::string_view port_text;     // port and its /count suffix as written (edits target it)
    std::string_view proto;         // "RTP/AVP", "udptl", ...
    std::string_view formats_text;  // from the first fmt to the end of the last one
    std::string_view line;          // the whole m= line including its line end
    std::string_view section;       // this m= line through the line before the next m=
    Connection connection;          // media-level c= (the first one); see Sdp::connection_for
    Direction direction = Direction::unspecified;  // media-level attribute only
    std::uint32_t ptime = 0;         // a=ptime in ms (fraction dropped), 0 when absent
    std::uint32_t maxptime = 0;      // a=maxptime in ms, 0 when absent
    std::uint16_t first_format = 0;  // index into the Sdp's format table
    std::uint16_t format_count = 0;
    bool is_rtp() const noexcept;  // proto is RTP/AVP, RTP/SAVP, RTP/AVPF, ... (formats are PTs)
};

/// A static RTP payload type of RFC 3551 §6 (tables 4 and 5).
struct StaticPayload {
    std::string_view encoding;
    std::uint32_t clock;
    std::uint16_t channels;  // 0 for video
};
/// The RFC 3551 assignment of a static payload type, or null (unassigned or dynamic).
const StaticPayload* static_payload(int pt) noexcept;

/// The audio codecs the filter knows (DESIGN.md §4); everything else is `other`.
enum class Codec : std::uint8_t { other, pcma, pcmu, telephone_event };
/// Classify a format: PCMA/8000 and PCMU/8000 mono (by rtpmap, or static PT 8 and 0 without one),
/// telephone-event (RFC 4733) by rtpmap name at any clock.
Codec codec_of(const Format& f) noexcept;
/// Name of a codec as in rtpmap ("PCMA", "PCMU", "telephone-event"; "" for other).
std::string_view codec_name(Codec c) noexcept;

/// A parsed SDP body. About 12 KB (the format table): keep one per worker, parse into it, reuse
/// it rather than putting one on a small stack.
class Sdp {
  public:
    static constexpr std::size_t kMaxMedia = 16;    // m= lines
    static constexpr std::size_t kMaxFormats = 96;  // formats over all m= lines

    /// Parse a whole body. Accepts CRLF and bare LF line ends (RFC 4566 §5 says parsers SHOULD),
    /// trailing SP/HTAB on a line and runs of SP/HTAB between fields; skips empty lines; ignores
    /// unknown attributes and the line types the proxy does not use (i u e p b z k t r). Refuses
    /// an unknown type letter (§5: such a description MUST be ignored), a line not starting with
    /// "<letter>=", a NUL or bare CR, and any malformed v/o/c/m/rtpmap/fmtp/ptime line. o= and s=
    /// are required, t= and c= are not (connection_for() tells whether a stream has an address).
    /// Returns (and keeps, see reason()) Reason::none when the body is usable.
    Reason parse(std::string_view body) noexcept;
    Reason reason() const noexcept { return reason_; }
    /// The body as given.
    std::string_view data() const noexcept { return data_; }

    const Origin& origin() const noexcept { return origin_; }
    std::string_view session_name() const noexcept { return session_name_; }
    /// Session-level c=; present() false when the session section has none.
    const Connection& connection() const noexcept { return connection_; }
    /// Session-level direction attribute (unspecified when none).
    Direction direction() const noexcept { return direction_; }
    /// From v= up to (not including) the first m= line.
    std::string_view session_section() const noexcept { return session_section_; }

    std::size_t media_count() const noexcept { return media_count_; }
    const Media& media(std::size_t i) const noexcept { return media_[i]; }
    std::span<const Media> medias() const noexcept { return {media_, media_count_}; }
    /// The formats of a media description, in m= line order.
    std::span<const Format> formats(const Media& m) const noexcept {
        return {formats_ + m.first_format, m.format_count};
    }
    /// The format with this RTP payload type in `m`, or null.
    const Format* find_format(const Media& m, int pt) const noexcept;
    /// The first format of `m` whose encoding name matches (case-insensitive; static names count:
    /// "PCMU" finds PT 0), with `clock` when non-zero; or null. Dynamic PTs are found by rtpmap
    /// name: find_encoding(m, "telephone-event", 8000).
    const Format* find_encoding(const Media& m, std::string_view name,
                                std::uint32_t clock = 0) const noexcept;
    /// The c= that applies to `m`: media level, else session level, else null (RFC 4566 §5.7).
    const Connection* connection_for(const Media& m) const noexcept;
    /// The direction that applies to `m`: media level, else session level, else sendrecv
    /// (RFC 3264 §5.1).
    Direction direction_for(const Media& m) const noexcept;
    /// The first a=<name> of a section (session_section() or Media::section); false when absent.
    static bool find_attribute(std::string_view section, std::string_view name,
                               Attribute& out) noexcept;

  private:
    Reason fail(Reason r) noexcept {
        reason_ = r;
        return r;
    }
    Reason parse_line(const Line& l) noexcept;
    Reason parse_media_line(const Line& l) noexcept;
    Reason parse_attribute_line(const Line& l) noexcept;

    std::string_view data_;
    Reason reason_ = Reason::empty;
    Origin origin_;
    std::string_view session_name_;
    bool has_session_name_ = false;
    Connection connection_;
    Direction direction_ = Direction::unspecified;
    std::string_view session_section_;
    std::size_t media_count_ = 0;
    std::size_t format_count_ = 0;
    Media media_[kMaxMedia];
    Format formats_[kMaxFormats];
};

}  // namespace palisade::sdp
