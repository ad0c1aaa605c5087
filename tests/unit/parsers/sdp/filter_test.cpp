// Codec filter (parsers/sdp/filter.hpp): byte-exact messages after the edit list is applied.
#include "parsers/sdp/filter.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "parsers/sip/edit_list.hpp"
#include "parsers/sip/message.hpp"

namespace palisade::sdp {
namespace {

std::string invite(std::string_view body) {
    std::string s =
        "INVITE sip:+4930123456@core.example.net SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds\r\n"
        "Max-Forwards: 70\r\n"
        "To: <sip:+4930123456@core.example.net>\r\n"
        "From: <sip:+4930999@pbx.example.com>;tag=1928301774\r\n"
        "Call-ID: a84b4c76e66710@pbx.example.com\r\n"
        "CSeq: 314159 INVITE\r\n"
        "Contact: <sip:+4930999@192.0.2.10>\r\n"
        "Content-Type: application/sdp\r\n"
        "Content-Length: ";
    s += std::to_string(body.size());
    s += "\r\n\r\n";
    s += body;
    return s;
}

constexpr std::string_view kHead =
    "v=0\r\n"
    "o=- 20518 0 IN IP4 192.0.2.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n";

std::string sdp_body(std::string_view media) {
    std::string s(kHead);
    s += media;
    return s;
}

// Parses `body` inside an INVITE, filters it, applies the edits; `out` gets the new message.
struct Filtered {
    std::string datagram;
    sip::Message msg;
    Sdp sdp;
    sip::EditList edits;
    std::array<char, 2048> scratch{};
    FilterResult result;
    std::string out;

    explicit Filtered(std::string_view body) : datagram(invite(body)) {
        EXPECT_EQ(msg.parse(datagram), sip::ParseStatus::ok);
        EXPECT_EQ(sdp.parse(msg.body()), Reason::none) << reason_text(sdp.reason());
        result = filter_codecs(sdp, edits, scratch);
        std::array<char, 8192> buf{};
        const std::size_t n = edits.apply(msg, buf);
        EXPECT_NE(n, 0u);
        out.assign(buf.data(), n);
    }
};

TEST(SdpFilter, G729OnlyIsRejectedAndLeavesNoUsableAudio) {
    const std::string in = sdp_body(
        "m=audio 49170 RTP/AVP 18\r\n"
        "a=rtpmap:18 G729/8000\r\n"
        "a=fmtp:18 annexb=no\r\n");
    Filtered r(in);
    EXPECT_EQ(r.result.reason, Reason::none);
    EXPECT_EQ(r.result.usable_audio, 0u);  // -> 488
    EXPECT_EQ(r.result.rejected, 1u);
    EXPECT_EQ(r.result.kept, 0);
    EXPECT_TRUE(r.result.streams[0].rejected);
    EXPECT_FALSE(r.result.streams[0].usable);
    // Port 0, formats and their lines kept (RFC 3264 §6).
    EXPECT_EQ(r.out, invite(sdp_body("m=audio 0 RTP/AVP 18\r\n"
                                     "a=rtpmap:18 G729/8000\r\n"
                                     "a=fmtp:18 annexb=no\r\n")));
}

TEST(SdpFilter, G729AndPcmaKeepsPcmaOnly) {
    const std::string in = sdp_body(
        "m=audio 49170 RTP/AVP 18 8\r\n"
        "a=rtpmap:18 G729/8000\r\n"
        "a=fmtp:18 annexb=no\r\n"
        "a=rtpmap:8 PCMA/8000\r\n"
        "a=ptime:20\r\n");
    Filtered r(in);
    EXPECT_EQ(r.result.reason, Reason::none);
    EXPECT_EQ(r.result.usable_audio, 1u);
    EXPECT_EQ(r.result.rejected, 0u);
    EXPECT_EQ(r.result.kept, codec_bit(Codec::pcma));
    EXPECT_EQ(r.result.streams[0].removed, 1);
    EXPECT_EQ(r.result.streams[0].preferred, Codec::pcma);
    EXPECT_EQ(r.result.edits, 2u);  // the format list, and one erase for two adjacent lines
    EXPECT_EQ(r.out, invite(sdp_body("m=audio 49170 RTP/AVP 8\r\n"
                                     "a=rtpmap:8 PCMA/8000\r\n"
                                     "a=ptime:20\r\n")));
}

TEST(SdpFilter, PcmuPcmaTelephoneEventReorderedPcmaFirst) {
    const std::string in = sdp_body(
        "m=audio 6000 RTP/AVP 0 101 8\r\n"
        "a=rtpmap:0 PCMU/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\n"
        "a=fmtp:101 0-16\r\n"
        "a=rtpmap:8 PCMA/8000\r\n"
        "a=sendrecv\r\n");
    Filtered r(in);
    EXPECT_EQ(r.result.usable_audio, 1u);
    EXPECT_EQ(r.result.kept,
              codec_bit(Codec::pcma) | codec_bit(Codec::pcmu) | codec_bit(Codec::telephone_event));
    EXPECT_EQ(r.result.streams[0].removed, 0);
    EXPECT_EQ(r.result.edits, 1u);
    std::string want = in;
    want.replace(want.find("0 101 8"), 7, "8 0 101");
    EXPECT_EQ(r.out, invite(want));
}

TEST(SdpFilter, AlreadyCleanOfferIsNotEdited) {
    const std::string in = sdp_body(
        "m=audio 6000 RTP/AVP 8 0 101\r\n"
        "a=rtpmap:101 telephone-event/8000\r\n");
    Filtered r(in);
    EXPECT_EQ(r.result.usable_audio, 1u);
    EXPECT_EQ(r.result.edits, 0u);
    EXPECT_EQ(r.result.scratch_used, 0u);
    EXPECT_TRUE(r.edits.empty());
    EXPECT_EQ(r.out, r.datagram);
}

TEST(SdpFilter, LinphoneOfferKeepsG711AndNarrowbandTelephoneEvent) {
    const std::string in = sdp_body(
        "a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\r\n"
        "m=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100\r\n"
        "a=rtpmap:96 opus/48000/2\r\n"
        "a=fmtp:96 useinbandfec=1\r\n"
        "a=rtpmap:97 speex/16000\r\n"
        "a=fmtp:97 vbr=on\r\n"
        "a=rtpmap:98 speex/8000\r\n"
        "a=fmtp:98 vbr=on\r\n"
        "a=fmtp:18 annexb=yes\r\n"
        "a=rtpmap:101 telephone-event/48000\r\n"
        "a=rtpmap:99 telephone-event/16000\r\n"
        "a=rtpmap:100 telephone-event/8000\r\n"
        "a=rtcp-fb:* trr-int 1000\r\n"
        "a=rtcp-fb:* ccm tmmbr\r\n");
    Filtered r(in);
    EXPECT_EQ(r.result.usable_audio, 1u);
    EXPECT_EQ(r.result.streams[0].removed, 6);
    EXPECT_EQ(r.result.streams[0].preferred, Codec::pcma);
    EXPECT_EQ(r.result.edits, 2u);  // m= list + one erase for the nine adjacent lines
    EXPECT_EQ(r.out,
              invite(sdp_body(
                  "a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\r\n"
                  "m=audio 7078 RTP/AVP 8 0 100\r\n"
                  "a=rtpmap:100 telephone-event/8000\r\n"
                  "a=rtcp-fb:* trr-int 1000\r\n"
                  "a=rtcp-fb:* ccm tmmbr\r\n")));
}

TEST(SdpFilter, RtcpFbOfRemovedPayloadTypesIsErased) {
    const std::string in = sdp_body(
        "m=audio 7078 RTP/AVPF 111 8\r\n"
        "a=rtpmap:111 opus/48000/2\r\n"
        "a=rtcp-fb:111 transport-cc\r\n"
        "a=rtcp-mux\r\n"
        "a=fmtp:111 minptime=10\r\n"
        "a=rtcp-fb:8 nack\r\n");
    Filtered r(in);
    EXPECT_EQ(r.result.usable_audio, 1u);
    EXPECT_EQ(r.out, invite(sdp_body("m=audio 7078 RTP/AVPF 8\r\n"
                                     "a=rtcp-mux\r\n"
                                     "a=rtcp-fb:8 nack\r\n")));
}

TEST(SdpFilter, VideoStreamIsLeftUntouched) {
    // DESIGN.md §4 filters audio codecs only; video passes as the PBX wrote it.
    const std::string video =
        "m=video 9078 RTP/AVP 96 34\r\n"
        "a=rtpmap:96 H264/90000\r\n"
        "a=fmtp:96 profile-level-id=42801F\r\n";
    const std::string in = sdp_body(std::string("m=audio 7078 RTP/AVP 9 0\r\n") + video);
    Filtered r(in);
    EXPECT_EQ(r.result.usable_audio, 1u);
    EXPECT_EQ(r.result.rejected, 0u);
    EXPECT_EQ(r.result.streams[1].kind, MediaKind::video);
    EXPECT_FALSE(r.result.streams[1].rejected);
    EXPECT_FALSE(r.result.streams[1].usable);
    EXPECT_EQ(r.out, invite(sdp_body(std::string("m=audio 7078 RTP/AVP 0\r\n") + video)));
}

TEST(SdpFilter, T38ImageStreamIsRejected) {
    // A T.38 re-INVITE: audio disabled, image offered.
    const std::string in = sdp_body(
        "m=audio 0 RTP/AVP 8\r\n"
        "m=image 4002 udptl t38\r\n"
        "a=T38FaxVersion:0\r\n"
        "a=T38FaxUdpEC:t38UDPRedundancy\r\n");
    Filtered r(in);
    EXPECT_TRUE(offers_t38(r.sdp));
    EXPECT_EQ(r.result.usable_audio, 0u);
    EXPECT_EQ(r.result.rejected, 1u);
    EXPECT_FALSE(r.result.streams[0].rejected);  // was already 0: not ours
    EXPECT_TRUE(r.result.streams[1].rejected);
    EXPECT_EQ(r.out, invite(sdp_body("m=audio 0 RTP/AVP 8\r\n"
                                     "m=image 0 udptl t38\r\n"
                                     "a=T38FaxVersion:0\r\n"
                                     "a=T38FaxUdpEC:t38UDPRedundancy\r\n")));
}

TEST(SdpFilter, AudioWithT38FallbackKeepsAudio) {
    const std::string in = sdp_body(
        "m=audio 4000 RTP/AVP 8\r\n"
        "m=image 4002/2 udptl t38\r\n");
    Filtered r(in);
    EXPECT_EQ(r.result.usable_audio, 1u);
    EXPECT_EQ(r.result.rejected, 1u);
    EXPECT_EQ(r.out, invite(sdp_body("m=audio 4000 RTP/AVP 8\r\n"
                                     "m=image 0 udptl t38\r\n")));
}

TEST(SdpFilter, TwoAudioStreamsOneRejected) {
    const std::string in = sdp_body(
        "m=audio 4000 RTP/AVP 9 97\r\n"
        "a=rtpmap:97 telephone-event/8000\r\n"
        "m=audio 4002 RTP/SAVP 18 0\r\n"
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n");
    Filtered r(in);
    EXPECT_EQ(r.result.usable_audio, 1u);
    EXPECT_EQ(r.result.rejected, 1u);
    EXPECT_TRUE(r.result.streams[0].rejected);  // G.722 + telephone-event: no G.711
    EXPECT_TRUE(r.result.streams[1].usable);
    EXPECT_EQ(r.result.streams[1].kept, codec_bit(Codec::pcmu));
    EXPECT_EQ(r.out, invite(sdp_body("m=audio 0 RTP/AVP 9 97\r\n"
                                     "a=rtpmap:97 telephone-event/8000\r\n"
                                     "m=audio 4002 RTP/SAVP 0\r\n"
                                     "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                                     "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n")));
}

TEST(SdpFilter, DynamicPcmaAndBareLfBody) {
    // PCMA under a dynamic PT, found by rtpmap name; LF-only line ends are kept as they are.
    const std::string in =
        "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
        "m=audio 5000 RTP/AVP 3 96 0\na=rtpmap:3 GSM/8000\na=rtpmap:96 pcma/8000\n";
    Filtered r(in);
    EXPECT_EQ(r.result.usable_audio, 1u);
    EXPECT_EQ(r.out, invite("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
                            "m=audio 5000 RTP/AVP 96 0\na=rtpmap:96 pcma/8000\n"));
}

TEST(SdpFilter, NonRtpAudioIsRejected) {
    const std::string in = sdp_body("m=audio 5000 TCP/MSRP *\r\n");
    Filtered r(in);
    EXPECT_EQ(r.result.usable_audio, 0u);
    EXPECT_EQ(r.out, invite(sdp_body("m=audio 0 TCP/MSRP *\r\n")));
}

TEST(SdpFilter, ScratchTooSmallLeavesEditListUntouched) {
    const std::string datagram =
        invite(sdp_body("m=audio 4000 RTP/AVP 0 8 18\r\na=rtpmap:18 G729/8000\r\n"));
    sip::Message msg;
    ASSERT_EQ(msg.parse(datagram), sip::ParseStatus::ok);
    Sdp sdp;
    ASSERT_EQ(sdp.parse(msg.body()), Reason::none);
    sip::EditList edits;
    std::array<char, 2> small{};
    const FilterResult res = filter_codecs(sdp, edits, small);
    EXPECT_EQ(res.reason, Reason::scratch_too_small);
    EXPECT_TRUE(edits.empty());
    std::array<char, 3> exact{};  // "8 0"
    const FilterResult ok = filter_codecs(sdp, edits, exact);
    EXPECT_EQ(ok.reason, Reason::none);
    EXPECT_EQ(ok.scratch_used, 3u);
    EXPECT_EQ(std::string_view(exact.data(), 3), "8 0");
}

TEST(SdpFilter, FullEditListLeavesItUntouched) {
    const std::string datagram = invite(sdp_body("m=audio 4000 RTP/AVP 0 8\r\n"));
    sip::Message msg;
    ASSERT_EQ(msg.parse(datagram), sip::ParseStatus::ok);
    Sdp sdp;
    ASSERT_EQ(sdp.parse(msg.body()), Reason::none);
    sip::EditList edits;
    const std::string_view start = msg.start_line();
    for (std::size_t i = 0; i < sip::EditList::kMaxEdits; ++i)
        ASSERT_TRUE(edits.insert(start.data(), ""));
    std::array<char, 64> scratch{};
    const FilterResult res = filter_codecs(sdp, edits, scratch);
    EXPECT_EQ(res.reason, Reason::edit_failed);
    EXPECT_EQ(edits.size(), sip::EditList::kMaxEdits);
    EXPECT_FALSE(edits.overflowed());
}

TEST(SdpFilter, UnparsedSdpIsNotFiltered) {
    Sdp sdp;
    ASSERT_EQ(sdp.parse("v=1\r\n"), Reason::bad_version);
    sip::EditList edits;
    std::array<char, 64> scratch{};
    EXPECT_EQ(filter_codecs(sdp, edits, scratch).reason, Reason::bad_version);
    EXPECT_TRUE(edits.empty());
}

TEST(SdpFilter, OffersT38) {
    // Each body is kept alive while its Sdp's slices are read.
    const std::string audio = sdp_body("m=audio 4000 RTP/AVP 8\r\n");
    const std::string rejected = sdp_body("m=image 0 udptl t38\r\n");
    const std::string both = sdp_body("m=audio 4000 RTP/AVP 8\r\nm=image 5000 udptl T38\r\n");
    const std::string tcp = sdp_body("m=image 5000 tcp t38\r\n");
    Sdp sdp;
    ASSERT_EQ(sdp.parse(audio), Reason::none);
    EXPECT_FALSE(offers_t38(sdp));
    ASSERT_EQ(sdp.parse(rejected), Reason::none);
    EXPECT_FALSE(offers_t38(sdp));  // a rejected image stream offers nothing
    ASSERT_EQ(sdp.parse(both), Reason::none);
    EXPECT_TRUE(offers_t38(sdp));
    ASSERT_EQ(sdp.parse(tcp), Reason::none);
    EXPECT_TRUE(offers_t38(sdp));
}

TEST(SdpFilter, FuzzSeedsFilterIdempotently) {
    // The SDP fuzzer's seeds (tests/fuzz/corpus/sdp), replayed in the ordinary build too: each
    // filters, its edits apply, and filtering the result changes nothing more.
    const char* root = std::getenv("PALISADE_SOURCE_ROOT");
    ASSERT_NE(root, nullptr) << "set PALISADE_SOURCE_ROOT to the repository";
    const std::filesystem::path dir = std::filesystem::path(root) / "tests/fuzz/corpus/sdp";
    std::size_t parsed = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        std::ifstream file(entry.path(), std::ios::binary);
        std::stringstream ss;
        ss << file.rdbuf();
        const std::string body = ss.str();
        SCOPED_TRACE(entry.path().filename().string());
        Sdp probe;
        if (probe.parse(body) != Reason::none) continue;
        ++parsed;
        Filtered first(body);
        EXPECT_EQ(first.result.reason, Reason::none);
        sip::Message msg;
        ASSERT_EQ(msg.parse(first.out), sip::ParseStatus::ok);
        Sdp again;
        ASSERT_EQ(again.parse(msg.body()), Reason::none);
        EXPECT_EQ(again.media_count(), first.sdp.media_count());
        sip::EditList edits;
        std::array<char, 4096> scratch{};
        const FilterResult second = filter_codecs(again, edits, scratch);
        EXPECT_EQ(second.reason, Reason::none);
        EXPECT_EQ(second.edits, 0u);
        EXPECT_EQ(second.usable_audio, first.result.usable_audio);
        EXPECT_EQ(second.kept, first.result.kept);
    }
    EXPECT_GE(parsed, 15u);
}

}  // namespace
}  // namespace palisade::sdp
