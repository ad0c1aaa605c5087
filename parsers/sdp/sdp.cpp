// SDP view (RFC 4566). See sdp.hpp for the contract.
#include "parsers/sdp/sdp.hpp"

#include "parsers/sip/scan.hpp"

namespace palisade::sdp {

using sip::iequals;
using sip::is_digit;
using sip::parse_uint;

std::string_view reason_text(Reason r) noexcept {
    switch (r) {
#define PALISADE_SDP_REASON_TEXT(id, text) \
    case Reason::id:                       \
        return text;
        PALISADE_SDP_REASONS(PALISADE_SDP_REASON_TEXT)
#undef PALISADE_SDP_REASON_TEXT
    }
    return "unknown reason";
}

std::string_view reason_name(Reason r) noexcept {
    switch (r) {
#define PALISADE_SDP_REASON_NAME(id, text) \
    case Reason::id:                       \
        return #id;
        PALISADE_SDP_REASONS(PALISADE_SDP_REASON_NAME)
#undef PALISADE_SDP_REASON_NAME
    }
    return "unknown";
}

std::string_view direction_name(Direction d) noexcept {
    switch (d) {
        case Direction::sendrecv:
            return "sendrecv";
        case Direction::sendonly:
            return "sendonly";
        case Direction::recvonly:
            return "recvonly";
        case Direction::inactive:
            return "inactive";
        case Direction::unspecified:
            break;
    }
    return "";
}

std::string_view media_kind_name(MediaKind k) noexcept {
    switch (k) {
        case MediaKind::audio:
            return "audio";
        case MediaKind::video:
            return "video";
        case MediaKind::text:
            return "text";
        case MediaKind::application:
            return "application";
        case MediaKind::message:
            return "message";
        case MediaKind::image:
            return "image";
        case MediaKind::other:
            break;
    }
    return "other";
}

std::string_view codec_name(Codec c) noexcept {
    switch (c) {
        case Codec::pcma:
            return "PCMA";
        case Codec::pcmu:
            return "PCMU";
        case Codec::telephone_event:
            return "telephone-event";
        case Codec::other:
            break;
    }
    return "";
}

namespace {

constexpr bool is_sp(char c) noexcept {
    return c == ' ' || c == '\t';
}

// Split the next line off `rest`. `content` is the line without its line end and without
// trailing SP/HTAB; `text` includes the CRLF or LF. RFC 4566 §5: lines end in CRLF, parsers
// SHOULD also accept LF alone.
void split_line(std::string_view& rest, std::string_view& content,
                std::string_view& text) noexcept {
    const std::size_t nl = sip::find_char(rest, '\n');
    if (nl == std::string_view::npos) {
        text = rest;
        content = rest;
        rest = {};
    } else {
        text = rest.substr(0, nl + 1);
        content = rest.substr(0, nl);
        rest.remove_prefix(nl + 1);
        if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
    }
    while (!content.empty() && is_sp(content.back())) content.remove_suffix(1);
}

// Next SP/HTAB-separated field of `s` (runs of separators tolerated), consumed from `s`.
std::string_view next_field(std::string_view& s) noexcept {
    std::size_t b = 0;
    while (b < s.size() && is_sp(s[b])) ++b;
    std::size_t e = b;
    while (e < s.size() && !is_sp(s[e])) ++e;
    const std::string_view f = s.substr(b, e - b);
    s.remove_prefix(e);
    return f;
}

std::string_view skip_sp(std::string_view s) noexcept {
    std::size_t b = 0;
    while (b < s.size() && is_sp(s[b])) ++b;
    return s.substr(b);
}

// Line types of RFC 4566 §5 (v o s i u e p c b z k a t r m). Any other letter makes the
// description one the parser "MUST completely ignore": we refuse it.
constexpr bool is_known_type(char c) noexcept {
    switch (c) {
        case 'v':
        case 'o':
        case 's':
        case 'i':
        case 'u':
        case 'e':
        case 'p':
        case 'c':
        case 'b':
        case 'z':
        case 'k':
        case 'a':
        case 't':
        case 'r':
        case 'm':
            return true;
        default:
            return false;
    }
}

bool parse_addr_type(std::string_view s, AddrType& out) noexcept {
    if (s == "IP4") {
        out = AddrType::ip4;
        return true;
    }
    if (s == "IP6") {
        out = AddrType::ip6;
        return true;
    }
    return false;
}

// unicast-address / multicast-address / FQDN characters (RFC 4566 §9): hostname characters,
// ':' for IPv6 literals. Anything else in an address is refused rather than passed to a peer.
bool is_address(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s)
        if (!sip::is(c, sip::kHostChar) && c != ':') return false;
    return true;
}

bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s)
        if (!sip::is_token_char(c)) return false;
    return true;
}

// proto (RFC 4566 §5.14): token *("/" token).
bool is_proto(std::string_view s) noexcept {
    if (s.empty() || s.front() == '/' || s.back() == '/') return false;
    for (char c : s)
        if (!sip::is_token_char(c) && c != '/') return false;
    return true;
}

bool parse_payload_type(std::string_view s, std::int16_t& out) noexcept {
    std::uint64_t v = 0;
    if (s.size() > 3 || !parse_uint(s, 127, v)) return false;
    out = static_cast<std::int16_t>(v);
    return true;
}

// ptime / maxptime: milliseconds, a fraction tolerated ("20.5"; RFC 4566 §6 does not forbid it
// and some endpoints write one) and dropped.
bool parse_ms(std::string_view s, std::uint32_t& out) noexcept {
    const std::size_t dot = s.find('.');
    std::string_view whole = s.substr(0, dot);
    if (dot != std::string_view::npos) {
        const std::string_view frac = s.substr(dot + 1);
        if (frac.empty()) return false;
        for (char c : frac)
            if (!is_digit(c)) return false;
    }
    std::uint64_t v = 0;
    if (!parse_uint(whole, 0xffffffffu, v)) return false;
    out = static_cast<std::uint32_t>(v);
    return true;
}

bool parse_direction(std::string_view name, Direction& out) noexcept {
    if (name == "sendrecv")
        out = Direction::sendrecv;
    else if (name == "sendonly")
        out = Direction::sendonly;
    else if (name == "recvonly")
        out = Direction::recvonly;
    else if (name == "inactive")
        out = Direction::inactive;
    else
        return false;
    return true;
}

MediaKind media_kind(std::string_view s) noexcept {
    if (s == "audio") return MediaKind::audio;
    if (s == "video") return MediaKind::video;
    if (s == "text") return MediaKind::text;
    if (s == "application") return MediaKind::application;
    if (s == "message") return MediaKind::message;
    if (s == "image") return MediaKind::image;
    return MediaKind::other;
}

// c=<nettype> <addrtype> <connection-address> (RFC 4566 §5.7).
bool parse_connection(std::string_view value, std::string_view text, Connection& out) noexcept {
    std::string_view rest = value;
    const std::string_view net = next_field(rest);
    const std::string_view addr_type = next_field(rest);
    const std::string_view addr = next_field(rest);
    if (net != "IN" || !skip_sp(rest).empty()) return false;
    Connection c;
    if (!parse_addr_type(addr_type, c.addr_type)) return false;
    const std::size_t slash = addr.find('/');
    c.address = addr.substr(0, slash);
    if (slash != std::string_view::npos) {
        c.suffix = addr.substr(slash + 1);
        // ttl and number of addresses: "/127" or "/127/3" (IPv4) or "/3" (IPv6).
        std::string_view s = c.suffix;
        for (int i = 0; i < 2 && !s.empty(); ++i) {
            const std::size_t sl = s.find('/');
            std::uint64_t v = 0;
            if (!parse_uint(s.substr(0, sl), 0xffffffffu, v)) return false;
            s = sl == std::string_view::npos ? std::string_view{} : s.substr(sl + 1);
            if (sl != std::string_view::npos && s.empty()) return false;
        }
        if (!s.empty() || c.suffix.empty()) return false;
    }
    if (!is_address(c.address)) return false;
    c.line = text;
    out = c;
    return true;
}

// o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> (RFC 4566 §5.2).
bool parse_origin(std::string_view value, std::string_view text, Origin& out) noexcept {
    std::string_view rest = value;
    Origin o;
    o.username = next_field(rest);
    o.session_id = next_field(rest);
    o.session_version = next_field(rest);
    const std::string_view net = next_field(rest);
    const std::string_view addr_type = next_field(rest);
    o.address = next_field(rest);
    if (o.address.empty() || !skip_sp(rest).empty() || net != "IN") return false;
    if (!parse_addr_type(addr_type, o.addr_type) || !is_address(o.address)) return false;
    // sess-id and sess-version are numeric (RFC 4566 §5.2: "a numeric string").
    for (char c : o.session_id)
        if (!is_digit(c)) return false;
    for (char c : o.session_version)
        if (!is_digit(c)) return false;
    o.line = text;
    out = o;
    return true;
}

// RFC 3551 §6, tables 4 and 5.
// clang-format off
constexpr StaticPayload kStatic[35] = {
    {"PCMU", 8000, 1},   {"", 0, 0},          {"", 0, 0},          {"GSM", 8000, 1},
    {"G723", 8000, 1},   {"DVI4", 8000, 1},   {"DVI4", 16000, 1},  {"LPC", 8000, 1},
    {"PCMA", 8000, 1},   {"G722", 8000, 1},   {"L16", 44100, 2},   {"L16", 44100, 1},
    {"QCELP", 8000, 1},  {"CN", 8000, 1},     {"MPA", 90000, 0},   {"G728", 8000, 1},
    {"DVI4", 11025, 1},  {"DVI4", 22050, 1},  {"G729", 8000, 1},   {"", 0, 0},
    {"", 0, 0},          {"", 0, 0},          {"", 0, 0},          {"", 0, 0},
    {"", 0, 0},          {"CelB", 90000, 0},  {"JPEG", 90000, 0},  {"", 0, 0},
    {"nv", 90000, 0},    {"", 0, 0},          {"", 0, 0},          {"H261", 90000, 0},
    {"MPV", 90000, 0},   {"MP2T", 90000, 0},  {"H263", 90000, 0},
};
// clang-format on

}  // namespace

void LineRange::Iterator::advance() noexcept {
    while (!rest_.empty()) {
        std::string_view content, text;
        split_line(rest_, content, text);
        if (content.empty()) continue;
        line_.type = content[0];
        line_.value = content.size() >= 2 ? content.substr(2) : std::string_view{};
        line_.text = text;
        done_ = false;
        return;
    }
    done_ = true;
    line_ = Line{};
}

Attribute parse_attribute(std::string_view value) noexcept {
    Attribute a;
    const std::size_t colon = value.find(':');
    a.name = value.substr(0, colon);
    if (colon != std::string_view::npos) {
        a.value = value.substr(colon + 1);
        a.has_value = true;
    }
    return a;
}

const StaticPayload* static_payload(int pt) noexcept {
    if (pt < 0 || pt >= static_cast<int>(std::size(kStatic)) || kStatic[pt].encoding.empty())
        return nullptr;
    return &kStatic[pt];
}

Codec codec_of(const Format& f) noexcept {
    if (iequals(f.encoding, "telephone-event")) return Codec::telephone_event;
    // G.711 is 8 kHz mono (RFC 3551 §4.5.14); PCMA/16000 or stereo is another format.
    if (f.clock != 8000 || f.channels > 1) return Codec::other;
    if (iequals(f.encoding, "PCMA")) return Codec::pcma;
    if (iequals(f.encoding, "PCMU")) return Codec::pcmu;
    return Codec::other;
}

bool Media::is_rtp() const noexcept {
    // RTP/AVP, RTP/SAVP, RTP/AVPF, RTP/SAVPF, UDP/TLS/RTP/SAVP(F), TCP/RTP/AVP: the formats are
    // RTP payload types (RFC 4566 §5.14).
    for (std::size_t i = 0; i + 4 <= proto.size(); ++i)
        if (iequals(proto.substr(i, 4), "RTP/")) return true;
    return false;
}

const Format* Sdp::find_format(const Media& m, int pt) const noexcept {
    for (const Format& f : formats(m))
        if (f.pt == pt && pt >= 0) return &f;
    return nullptr;
}

const Format* Sdp::find_encoding(const Media& m, std::string_view name,
                                 std::uint32_t clock) const noexcept {
    for (const Format& f : formats(m))
        if (iequals(f.encoding, name) && (clock == 0 || f.clock == clock)) return &f;
    return nullptr;
}

const Connection* Sdp::connection_for(const Media& m) const noexcept {
    if (m.connection.present()) return &m.connection;
    if (connection_.present()) return &connection_;
    return nullptr;
}

Direction Sdp::direction_for(const Media& m) const noexcept {
    if (m.direction != Direction::unspecified) return m.direction;
    if (direction_ != Direction::unspecified) return direction_;
    return Direction::sendrecv;
}

bool Sdp::find_attribute(std::string_view section, std::string_view name, Attribute& out) noexcept {
    for (const Line& l : LineRange(section)) {
        if (l.type != 'a') continue;
        Attribute a = parse_attribute(l.value);
        if (a.name == name) {
            a.line = l.text;
            out = a;
            return true;
        }
    }
    return false;
}

Reason Sdp::parse_media_line(const Line& l) noexcept {
    // m=<media> <port>[/<number of ports>] <proto> <fmt> ... (RFC 4566 §5.14)
    if (media_count_ == kMaxMedia) return Reason::too_many_media;
    Media m;
    std::string_view rest = l.value;
    m.media = next_field(rest);
    m.port_text = next_field(rest);
    m.proto = next_field(rest);
    if (!is_token(m.media) || !is_proto(m.proto)) return Reason::bad_media;
    m.kind = media_kind(m.media);
    const std::size_t slash = m.port_text.find('/');
    std::uint64_t v = 0;
    if (!parse_uint(m.port_text.substr(0, slash), 65535, v)) return Reason::bad_port;
    m.port = static_cast<std::uint16_t>(v);
    if (slash != std::string_view::npos) {
        if (!parse_uint(m.port_text.substr(slash + 1), 65535, v) || v == 0) return Reason::bad_port;
        m.port_count = static_cast<std::uint16_t>(v);
    }
    m.line = l.text;
    m.first_format = static_cast<std::uint16_t>(format_count_);
    const bool rtp = m.is_rtp();
    const char* fmt_begin = nullptr;
    const char* fmt_end = nullptr;
    for (std::string_view fmt = next_field(rest); !fmt.empty(); fmt = next_field(rest)) {
        if (format_count_ == kMaxFormats) return Reason::too_many_formats;
        Format f;
        f.text = fmt;
        if (rtp) {
            if (!parse_payload_type(fmt, f.pt)) return Reason::bad_format;
            if (const StaticPayload* s = static_payload(f.pt)) {
                f.encoding = s->encoding;
                f.clock = s->clock;
                f.channels = m.kind == MediaKind::audio ? s->channels : 0;
            }
        } else {
            // fmt is a token for other protos (RFC 4566 §5.14: "udptl t38", "TCP/MSRP *").
            for (char c : fmt)
                if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f) return Reason::bad_format;
        }
        if (fmt_begin == nullptr) fmt_begin = fmt.data();
        fmt_end = fmt.data() + fmt.size();
        formats_[format_count_++] = f;
    }
    if (fmt_begin == nullptr) return Reason::bad_format;
    m.formats_text = std::string_view(fmt_begin, static_cast<std::size_t>(fmt_end - fmt_begin));
    m.format_count = static_cast<std::uint16_t>(format_count_ - m.first_format);
    media_[media_count_++] = m;
    return Reason::none;
}

Reason Sdp::parse_attribute_line(const Line& l) noexcept {
    Attribute a = parse_attribute(l.value);
    a.line = l.text;
    Direction d{};
    if (!a.has_value && parse_direction(a.name, d)) {
        Direction& target = media_count_ == 0 ? direction_ : media_[media_count_ - 1].direction;
        // RFC 3264 §5.1 allows one; a second is ignored rather than refused.
        if (target == Direction::unspecified) target = d;
        return Reason::none;
    }
    if (media_count_ == 0) return Reason::none;  // rtpmap, fmtp, ptime are media-level
    Media& m = media_[media_count_ - 1];
    if (a.name == "rtpmap") {
        // a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>] (§6)
        std::string_view rest = a.value;
        const std::string_view pt_text = next_field(rest);
        const std::string_view map = next_field(rest);
        std::int16_t pt = 0;
        if (!parse_payload_type(pt_text, pt) || !skip_sp(rest).empty()) return Reason::bad_rtpmap;
        // The clock rate is mandatory in the grammar, but RFC 4475 §3.3.15 (sdp01) itself
        // carries "a=rtpmap:31 LPC": tolerated with clock 0, which no codec lookup matches
        // (codec_of never takes it for G.711).
        const std::size_t s1 = map.find('/');
        const std::string_view enc = map.substr(0, s1);
        std::uint64_t clock = 0, channels = 0;
        if (!is_token(enc)) return Reason::bad_rtpmap;
        if (s1 != std::string_view::npos) {
            const std::string_view after = map.substr(s1 + 1);
            const std::size_t s2 = after.find('/');
            if (!parse_uint(after.substr(0, s2), 0xffffffffu, clock) || clock == 0)
                return Reason::bad_rtpmap;
            if (s2 != std::string_view::npos && !parse_uint(after.substr(s2 + 1), 255, channels))
                return Reason::bad_rtpmap;
        }
        for (Format& f : std::span<Format>(formats_ + m.first_format, m.format_count)) {
            if (f.pt != pt || !f.rtpmap_line.empty()) continue;
            f.encoding = enc;
            f.clock = static_cast<std::uint32_t>(clock);
            f.channels = static_cast<std::uint16_t>(channels);
            f.rtpmap_line = l.text;
        }
        return Reason::none;
    }
    if (a.name == "fmtp") {
        // a=fmtp:<format> <format specific parameters> (§6)
        std::string_view rest = a.value;
        const std::string_view fmt = next_field(rest);
        if (fmt.empty()) return Reason::bad_fmtp;
        std::int16_t pt = -1;
        const bool numeric = parse_payload_type(fmt, pt);
        for (Format& f : std::span<Format>(formats_ + m.first_format, m.format_count)) {
            if (!f.fmtp_line.empty()) continue;
            if (numeric ? f.pt == pt : f.text == fmt) {
                f.fmtp = skip_sp(rest);
                f.fmtp_line = l.text;
            }
        }
        return Reason::none;
    }
    if (a.name == "ptime" || a.name == "maxptime") {
        std::uint32_t ms = 0;
        if (!parse_ms(a.value, ms)) return Reason::bad_ptime;
        std::uint32_t& target = a.name == "ptime" ? m.ptime : m.maxptime;
        if (target == 0) target = ms;
        return Reason::none;
    }
    return Reason::none;  // other attributes are kept opaque
}

Reason Sdp::parse_line(const Line& l) noexcept {
    switch (l.type) {
        case 'v':
            return Reason::bad_version;  // only the first line may be v= (one session per body)
        case 'm':
            return parse_media_line(l);
        case 'a':
            return parse_attribute_line(l);
        case 'c': {
            Connection c;
            if (!parse_connection(l.value, l.text, c)) return Reason::bad_connection;
            Connection& target =
                media_count_ == 0 ? connection_ : media_[media_count_ - 1].connection;
            if (!target.present()) target = c;  // several c= per media are multicast layers
            return Reason::none;
        }
        case 'o':
            if (media_count_ != 0) return Reason::bad_origin;
            if (!origin_.line.empty()) return Reason::bad_origin;
            return parse_origin(l.value, l.text, origin_) ? Reason::none : Reason::bad_origin;
        case 's':
            // s= " " is the RFC 4566 §5.3 way to say "no name"; trailing SP is trimmed, so an
            // empty value is accepted too.
            if (media_count_ == 0 && !has_session_name_) {
                session_name_ = l.value;
                has_session_name_ = true;
            }
            return Reason::none;
        default:
            return Reason::none;  // i u e p b z k t r: not needed by the proxy
    }
}

Reason Sdp::parse(std::string_view body) noexcept {
    data_ = body;
    origin_ = Origin{};
    session_name_ = {};
    has_session_name_ = false;
    connection_ = Connection{};
    direction_ = Direction::unspecified;
    session_section_ = {};
    media_count_ = 0;
    format_count_ = 0;

    std::string_view rest = body;
    bool first = true;
    while (!rest.empty()) {
        std::string_view content, text;
        split_line(rest, content, text);
        if (content.empty()) continue;  // blank lines tolerated (trailing CRLF CRLF is common)
        if (content.size() < 2 || content[1] != '=') return fail(Reason::bad_line);
        for (char c : content)
            if (c == '\0' || c == '\r') return fail(Reason::bad_character);
        Line l;
        l.type = content[0];
        l.value = content.substr(2);
        l.text = text;
        if (first) {
            // RFC 4566 §5.1: v=0 is the first line.
            if (l.type != 'v') return fail(Reason::missing_version);
            if (l.value != "0") return fail(Reason::bad_version);
            first = false;
            continue;
        }
        if (!is_known_type(l.type)) return fail(Reason::unknown_type);
        if (l.type == 'm') {
            const std::size_t at = static_cast<std::size_t>(l.text.data() - body.data());
            if (media_count_ == 0)
                session_section_ = body.substr(0, at);
            else {
                Media& prev = media_[media_count_ - 1];
                const std::size_t from = static_cast<std::size_t>(prev.line.data() - body.data());
                prev.section = body.substr(from, at - from);
            }
        }
        const Reason r = parse_line(l);
        if (r != Reason::none) return fail(r);
    }
    if (first) return fail(Reason::empty);
    if (media_count_ == 0)
        session_section_ = body;
    else {
        Media& last = media_[media_count_ - 1];
        last.section = body.substr(static_cast<std::size_t>(last.line.data() - body.data()));
    }
    if (origin_.line.empty()) return fail(Reason::missing_origin);
    if (!has_session_name_) return fail(Reason::missing_session_name);
    reason_ = Reason::none;
    return reason_;
}

}  // namespace palisade::sdp
