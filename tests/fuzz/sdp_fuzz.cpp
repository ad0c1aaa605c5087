// libFuzzer target: the SDP view and the codec filter (parsers/sdp/).
//
// The input is an SDP body. It is parsed on its own, every slice is checked to lie inside the
// input (or, for a static payload type's encoding name, in the RFC 3551 table) and read, then
// the same body is wrapped in an INVITE, filtered through the SIP edit list, applied, and the
// result parsed and filtered again. Invariants, each a __builtin_trap() when broken:
//   - parsing the body alone and inside a message gives the same Reason;
//   - sections tile the body; formats lie inside their m= line;
//   - the filter never fails with a scratch of body size, except edit_failed on edit overflow;
//   - its edits apply (no overlap), the output frames and its SDP parses;
//   - filtering is idempotent: the second pass records no edit and keeps the same codecs.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

#include "parsers/sdp/filter.hpp"
#include "parsers/sdp/sdp.hpp"
#include "parsers/sip/edit_list.hpp"
#include "parsers/sip/message.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using namespace palisade;

void check_sdp(const sdp::Sdp& sdp, std::string_view in) {
    using namespace palisade::sdp;
    touch(sdp.data(), in);
    touch(sdp.origin().username, in);
    touch(sdp.origin().session_id, in);
    touch(sdp.origin().session_version, in);
    touch(sdp.origin().address, in);
    touch(sdp.origin().line, in);
    touch(sdp.session_name(), in);
    touch(sdp.connection().address, in);
    touch(sdp.connection().suffix, in);
    touch(sdp.connection().line, in);
    touch(sdp.session_section(), in);
    FUZZ_CHECK(sdp.session_section().data() == in.data() || sdp.session_section().empty());
    FUZZ_CHECK(sdp.media_count() <= Sdp::kMaxMedia);
    std::size_t tiled = sdp.session_section().size();
    std::size_t formats = 0;
    for (const Media& m : sdp.medias()) {
        touch(m.media, in);
        touch(m.port_text, in);
        touch(m.proto, in);
        touch(m.formats_text, in);
        touch(m.line, in);
        touch(m.section, in);
        touch(m.connection.address, in);
        touch(m.connection.line, in);
        FUZZ_CHECK(m.line.substr(0, 2) == "m=");
        FUZZ_CHECK(m.section.data() == m.line.data());
        FUZZ_CHECK(m.section.data() == in.data() + tiled);
        tiled += m.section.size();
        FUZZ_CHECK(m.formats_text.data() >= m.line.data() &&
                   m.formats_text.data() + m.formats_text.size() <= m.line.data() + m.line.size());
        FUZZ_CHECK(m.format_count >= 1);
        formats += m.format_count;
        (void)sdp.connection_for(m);
        (void)sdp.direction_for(m);
        for (const Format& f : sdp.formats(m)) {
            touch(f.text, in);
            FUZZ_CHECK(f.text.data() >= m.formats_text.data() &&
                       f.text.data() + f.text.size() <=
                           m.formats_text.data() + m.formats_text.size());
            FUZZ_CHECK(f.pt >= -1 && f.pt <= 127);
            const StaticPayload* sp = static_payload(f.pt);
            if (!inside(f.encoding, in)) FUZZ_CHECK(sp && f.encoding.data() == sp->encoding.data());
            touch(f.rtpmap_line, in);
            touch(f.fmtp, in);
            touch(f.fmtp_line, in);
            if (f.pt >= 0) FUZZ_CHECK(sdp.find_format(m, f.pt) != nullptr);
            (void)codec_of(f);
        }
        Attribute a;
        if (Sdp::find_attribute(m.section, "rtpmap", a)) {
            touch(a.name, in);
            touch(a.value, in);
            touch(a.line, in);
        }
        (void)sdp.find_encoding(m, "telephone-event", 8000);
    }
    FUZZ_CHECK(formats <= Sdp::kMaxFormats);
    FUZZ_CHECK(tiled == in.size());
    std::size_t lines = 0;
    for (const Line& l : LineRange(in)) {
        touch(l.text, in);
        touch(l.value, in);
        FUZZ_CHECK(l.type >= 'a' && l.type <= 'z');
        ++lines;
    }
    FUZZ_CHECK(lines >= 1);
}

constexpr std::string_view kHead =
    "INVITE sip:+4930123456@core.example.net SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds\r\n"
    "To: <sip:+4930123456@core.example.net>\r\n"
    "From: <sip:+4930999@pbx.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pbx.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: ";

std::vector<char> wrap(std::string_view body) {
    std::vector<char> out(kHead.begin(), kHead.end());
    char num[24];
    const int n = __builtin_snprintf(num, sizeof num, "%zu\r\n\r\n", body.size());
    out.insert(out.end(), num, num + n);
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace palisade;
    const std::string_view in(reinterpret_cast<const char*>(data), size);

    sdp::Sdp alone;
    const sdp::Reason r = alone.parse(in);
    FUZZ_CHECK(alone.reason() == r);
    (void)sdp::reason_text(r);
    (void)sdp::reason_name(r);
    if (r == sdp::Reason::none) {
        check_sdp(alone, in);
        (void)sdp::offers_t38(alone);
    }

    // The same body inside an INVITE, filtered and applied.
    const std::vector<char> dgram = wrap(in);
    const std::string_view datagram(dgram.data(), dgram.size());
    sip::Message msg;
    FUZZ_CHECK(msg.parse(datagram) == sip::ParseStatus::ok);
    FUZZ_CHECK(msg.body().size() == in.size());
    sdp::Sdp sdp;
    FUZZ_CHECK(sdp.parse(msg.body()) == r);
    if (r != sdp::Reason::none) return 0;
    check_sdp(sdp, msg.body());

    std::vector<char> scratch(in.size());
    sip::EditList edits;
    const sdp::FilterResult first = sdp::filter_codecs(sdp, edits, scratch);
    if (first.reason == sdp::Reason::edit_failed) {
        FUZZ_CHECK(edits.empty());
        return 0;
    }
    FUZZ_CHECK(first.reason == sdp::Reason::none);
    FUZZ_CHECK(first.edits == edits.size());
    FUZZ_CHECK(first.scratch_used <= scratch.size());
    std::size_t usable = 0, rejected = 0;
    for (std::size_t i = 0; i < sdp.media_count(); ++i) {
        const sdp::StreamOutcome& o = first.streams[i];
        FUZZ_CHECK(o.kind == sdp.media(i).kind);
        usable += o.usable;
        rejected += o.rejected;
        FUZZ_CHECK(!(o.usable && o.rejected));
        if (o.usable)
            FUZZ_CHECK(o.kind == sdp::MediaKind::audio && o.preferred != sdp::Codec::other);
    }
    FUZZ_CHECK(usable == first.usable_audio && rejected == first.rejected);

    std::vector<char> out(datagram.size() + 64);
    const std::size_t n = edits.apply(msg, out);
    FUZZ_CHECK(n != 0);
    const std::string_view edited(out.data(), n);
    sip::Message msg2;
    FUZZ_CHECK(msg2.parse(edited) == sip::ParseStatus::ok);
    sdp::Sdp sdp2;
    FUZZ_CHECK(sdp2.parse(msg2.body()) == sdp::Reason::none);
    FUZZ_CHECK(sdp2.media_count() == sdp.media_count());  // m= lines are never removed
    check_sdp(sdp2, msg2.body());

    std::vector<char> scratch2(msg2.body().size() + 1);
    sip::EditList edits2;
    const sdp::FilterResult second = sdp::filter_codecs(sdp2, edits2, scratch2);
    FUZZ_CHECK(second.reason == sdp::Reason::none);
    FUZZ_CHECK(second.edits == 0 && edits2.empty());
    FUZZ_CHECK(second.usable_audio == first.usable_audio);
    FUZZ_CHECK(second.kept == first.kept);
    FUZZ_CHECK(second.rejected == 0);
    for (std::size_t i = 0; i < sdp2.media_count(); ++i) {
        FUZZ_CHECK(second.streams[i].usable == first.streams[i].usable);
        FUZZ_CHECK(second.streams[i].kept == first.streams[i].kept);
        if (first.streams[i].rejected) FUZZ_CHECK(sdp2.media(i).port == 0);
    }
    return 0;
}
