// Codec filter (DESIGN.md §4, RFC 3264). See filter.hpp for the contract.
#include "parsers/sdp/filter.hpp"

#include <string_view>

#include "parsers/sip/scan.hpp"

namespace palisade::sdp {

namespace {

// Edits are collected here first and handed to the EditList only when all of them fit, so that
// a failure leaves the caller's list untouched.
struct Pending {
    struct Edit {
        std::string_view span;
        std::string_view text;
    };
    Edit edits[sip::EditList::kMaxEdits];
    std::size_t size = 0;
    bool overflow = false;

    void add(std::string_view span, std::string_view text) noexcept {
        if (size == std::size(edits)) {
            overflow = true;
            return;
        }
        edits[size++] = Edit{span, text};
    }
};

// Consecutive lines to erase become one erase: an offer with ten codecs left unsupported is
// one edit, not twenty.
struct EraseRun {
    std::string_view run;
    void line(std::string_view text, Pending& out) noexcept {
        if (!run.empty() && run.data() + run.size() == text.data()) {
            run = std::string_view(run.data(), run.size() + text.size());
            return;
        }
        flush(out);
        run = text;
    }
    void flush(Pending& out) noexcept {
        if (!run.empty()) out.add(run, {});
        run = {};
    }
};

// A set of RTP payload types 0..127.
struct PtSet {
    std::uint64_t bits[2] = {0, 0};
    void add(int pt) noexcept {
        if (pt >= 0 && pt < 128) bits[pt >> 6] |= std::uint64_t{1} << (pt & 63);
    }
    bool has(int pt) const noexcept {
        return pt >= 0 && pt < 128 && (bits[pt >> 6] >> (pt & 63)) & 1u;
    }
};

// The payload type an a=rtpmap / a=fmtp / a=rtcp-fb value starts with, or -1 ("*" or junk).
int leading_pt(std::string_view value) noexcept {
    std::size_t e = 0;
    while (e < value.size() && value[e] != ' ' && value[e] != '\t') ++e;
    std::uint64_t v = 0;
    if (e == 0 || e > 3 || !sip::parse_uint(value.substr(0, e), 127, v)) return -1;
    return static_cast<int>(v);
}

// The filter's class of a format: the codec it keeps, or `other` to remove it.
Codec keep_class(const Format& f) noexcept {
    const Codec c = codec_of(f);
    // RFC 4733 §2.1: telephone-event uses the clock of the audio codec it accompanies; only G.711
    // remains, so only the 8 kHz one is usable.
    if (c == Codec::telephone_event && f.clock != 8000) return Codec::other;
    return c;
}

}  // namespace

FilterResult filter_codecs(const Sdp& sdp, sip::EditList& edits, std::span<char> scratch) noexcept {
    FilterResult res;
    if (sdp.reason() != Reason::none) {
        // Filtering an unparsed body is a caller bug; report it rather than touch anything.
        res.reason = sdp.reason();
        return res;
    }
    Pending pending;
    std::size_t used = 0;
    static constexpr std::string_view kRejectedPort = "0";  // RFC 3264 §6 / §8.2

    for (std::size_t i = 0; i < sdp.media_count(); ++i) {
        const Media& m = sdp.media(i);
        StreamOutcome& out = res.streams[i];
        out.kind = m.kind;
        if (m.port == 0) continue;  // already rejected or disabled: leave as is
        if (m.kind == MediaKind::image) {
            // T.38 (or any fax/image stream) is not supported (spec "T.38"): reject, keep the line.
            pending.add(m.port_text, kRejectedPort);
            out.rejected = true;
            ++res.rejected;
            continue;
        }
        if (m.kind != MediaKind::audio) continue;  // only audio codecs are filtered

        const auto formats = sdp.formats(m);
        PtSet kept_pts, removed_pts;
        std::size_t g711 = 0;
        for (const Format& f : formats) {
            const Codec c = keep_class(f);
            if (c == Codec::other) {
                removed_pts.add(f.pt);
                ++out.removed;
                continue;
            }
            kept_pts.add(f.pt);
            if (c != Codec::telephone_event) ++g711;
        }
        if (g711 == 0) {
            // Nothing we can carry: reject the stream, formats untouched (RFC 3264 §6 requires at
            // least one format on a rejected stream; the peer's own list is the safest one).
            pending.add(m.port_text, kRejectedPort);
            out.rejected = true;
            out.removed = 0;
            ++res.rejected;
            continue;
        }

        // The new format list: PCMA, then PCMU, then telephone-event, each in the peer's order.
        const std::size_t start = used;
        bool fits = true;
        for (Codec group : {Codec::pcma, Codec::pcmu, Codec::telephone_event}) {
            for (const Format& f : formats) {
                if (keep_class(f) != group) continue;
                const std::size_t need = f.text.size() + (used != start ? 1 : 0);
                if (scratch.size() - used < need) {
                    fits = false;
                    break;
                }
                if (used != start) scratch[used++] = ' ';
                for (char c : f.text) scratch[used++] = c;
                if (out.preferred == Codec::other) out.preferred = group;
                out.kept |= codec_bit(group);
            }
        }
        if (!fits) {
            res.reason = Reason::scratch_too_small;
            return res;
        }
        const std::string_view list(scratch.data() + start, used - start);
        if (list != m.formats_text)
            pending.add(m.formats_text, list);
        else
            used = start;  // unchanged: no edit, scratch reclaimed

        out.usable = true;
        ++res.usable_audio;
        res.kept |= out.kept;

        if (out.removed == 0) continue;
        // Erase the attribute lines that describe removed payload types. A PT that is also kept
        // (written twice in m=) keeps its lines.
        EraseRun run;
        for (const Line& l : LineRange(m.section)) {
            bool drop = false;
            if (l.type == 'a') {
                const Attribute a = parse_attribute(l.value);
                if (a.has_value &&
                    (a.name == "rtpmap" || a.name == "fmtp" || a.name == "rtcp-fb")) {
                    const int pt = leading_pt(a.value);
                    drop = removed_pts.has(pt) && !kept_pts.has(pt);
                }
            }
            if (drop)
                run.line(l.text, pending);
            else
                run.flush(pending);
        }
        run.flush(pending);
    }

    if (pending.overflow || pending.size > sip::EditList::kMaxEdits - edits.size()) {
        res.reason = Reason::edit_failed;
        return res;
    }
    for (std::size_t i = 0; i < pending.size; ++i) {
        // Cannot fail: capacity was checked above.
        if (!edits.replace(pending.edits[i].span, pending.edits[i].text)) {
            res.reason = Reason::edit_failed;
            return res;
        }
    }
    res.edits = pending.size;
    res.scratch_used = used;
    return res;
}

bool offers_t38(const Sdp& sdp) noexcept {
    for (const Media& m : sdp.medias()) {
        if (m.kind != MediaKind::image || m.port == 0) continue;
        for (const Format& f : sdp.formats(m))
            if (sip::iequals(f.text, "t38")) return true;
    }
    return false;
}

}  // namespace palisade::sdp
