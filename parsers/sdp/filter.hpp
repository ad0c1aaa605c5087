// The codec filter the proxy runs on every SDP offer and answer (DESIGN.md §4, RFC 3264).
//
// What it does to a parsed body, as edits recorded in a sip::EditList (nothing is written until
// the caller applies the list, which also recomputes Content-Length):
//   - each audio m= line with a non-zero port keeps only PCMA, PCMU and telephone-event (8 kHz),
//     PCMA first, then PCMU, then telephone-event, each group in the order the peer wrote it; the
//     a=rtpmap, a=fmtp and a=rtcp-fb lines of the payload types it removed are erased;
//   - an audio stream left with no PCMA or PCMU is rejected by setting its port to 0, and so is
//     every m=image stream (T.38 is not supported, spec "T.38"); m= lines are never removed and
//     a rejected stream keeps its formats (RFC 3264 §6 and §8.2);
//   - every other media (video, text, application, message) passes untouched: DESIGN.md §4 only
//     filters audio codecs, and a video stream the core cannot take is the core's to reject in
//     its answer;
//   - streams whose port is already 0 are left as they are.
// telephone-event is kept only at 8000 Hz: RFC 4733 §2.1 ties its clock to the audio codec's,
// and G.711 runs at 8000 Hz, so a 16 or 48 kHz telephone-event would be unusable.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "parsers/sdp/sdp.hpp"
#include "parsers/sip/edit_list.hpp"

namespace palisade::sdp {

/// One bit per Codec in a codec set (FilterResult::kept, StreamOutcome::kept).
constexpr std::uint8_t codec_bit(Codec c) noexcept {
    return static_cast<std::uint8_t>(1u << static_cast<unsigned>(c));
}

/// What the filter did to one m= line.
struct StreamOutcome {
    MediaKind kind = MediaKind::other;
    bool usable = false;       // audio, port non-zero, PCMA or PCMU left
    bool rejected = false;     // this filter set its port to 0
    std::uint8_t kept = 0;     // codec_bit() set of the codecs left in the m= line (audio only)
    std::uint8_t removed = 0;  // number of formats removed from the m= line
    Codec preferred = Codec::other;  // first codec left (pcma or pcmu) on a usable stream
};

/// The outcome of filter_codecs().
struct FilterResult {
    /// none; scratch_too_small or edit_failed (then NOTHING was recorded in the edit list).
    Reason reason = Reason::none;
    /// Audio streams still usable after filtering: 0 means the caller answers 488 Not Acceptable
    /// Here (DESIGN.md §4, RFC 3261 §21.4.26).
    std::size_t usable_audio = 0;
    /// Streams whose port the filter set to 0.
    std::size_t rejected = 0;
    /// Union of StreamOutcome::kept over usable audio streams.
    std::uint8_t kept = 0;
    /// Edits recorded in the list, and scratch octets they reference.
    std::size_t edits = 0;
    std::size_t scratch_used = 0;
    /// One entry per m= line, in order (sdp.media_count() of them).
    std::array<StreamOutcome, Sdp::kMaxMedia> streams{};
};

/// Filter `sdp`, which must have been parsed (Reason::none) from the body of the Message the
/// edit list will be applied to (its slices are the spans the edits target). The rewritten format
/// lists are written into `scratch`, which must live until EditList::apply(); a scratch of
/// sdp.data().size() octets is always enough. All-or-nothing: on failure the edit list is left
/// as it was given.
FilterResult filter_codecs(const Sdp& sdp, sip::EditList& edits, std::span<char> scratch) noexcept;

/// True when `sdp` offers T.38 fax: an m=image stream with a non-zero port and the format "t38"
/// (RFC 3362, ITU-T T.38 Annex D). Used to refuse a T.38 re-INVITE (488) before filtering.
bool offers_t38(const Sdp& sdp) noexcept;

}  // namespace palisade::sdp
