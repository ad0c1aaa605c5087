// SDP view (parsers/sdp/sdp.hpp): realistic offers and answers, session vs media c=, IPv6,
// several streams, odd whitespace, malformed lines and capacity limits.
#include "parsers/sdp/sdp.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace palisade::sdp {
namespace {

// Linphone 5.x style offer: several audio codecs, dynamic PTs, telephone-event twice.
constexpr std::string_view kLinphoneOffer =
    "v=0\r\n"
    "o=alice 2890 1052 IN IP4 192.0.2.10\r\n"
    "s=Talk\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
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
    "a=rtcp-fb:* ccm tmmbr\r\n";

// SIPp uac_pcap style: one codec, session-level c=, ptime.
constexpr std::string_view kSippOffer =
    "v=0\r\n"
    "o=user1 53655765 2353687637 IN IP4 10.0.0.1\r\n"
    "s=-\r\n"
    "c=IN IP4 10.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 6000 RTP/AVP 8 101\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-11,16\r\n"
    "a=ptime:20\r\n"
    "a=maxptime:150\r\n"
    "a=sendrecv\r\n";

// baresip style answer with audio and video, media-level c= only, IPv6.
constexpr std::string_view kBaresipAnswer =
    "v=0\r\n"
    "o=- 1735215410 2 IN IP6 2001:db8::5\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=tool:baresip 1.1.0\r\n"
    "a=recvonly\r\n"
    "m=audio 10002 RTP/AVP 0 101\r\n"
    "c=IN IP6 2001:db8::5\r\n"
    "b=AS:64\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=rtcp-mux\r\n"
    "a=ptime:20\r\n"
    "m=video 10004 RTP/AVPF 96 97\r\n"
    "c=IN IP6 2001:db8::6\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 packetization-mode=1;profile-level-id=42e01f\r\n"
    "a=rtpmap:97 VP8/90000\r\n"
    "a=sendonly\r\n";

std::string with_head(std::string_view rest) {
    std::string s = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";
    s += rest;
    return s;
}

TEST(SdpParse, SippOfferSessionFields) {
    Sdp sdp;
    ASSERT_EQ(sdp.parse(kSippOffer), Reason::none);
    EXPECT_EQ(sdp.reason(), Reason::none);
    EXPECT_EQ(sdp.origin().username, "user1");
    EXPECT_EQ(sdp.origin().session_id, "53655765");
    EXPECT_EQ(sdp.origin().session_version, "2353687637");
    EXPECT_EQ(sdp.origin().addr_type, AddrType::ip4);
    EXPECT_EQ(sdp.origin().address, "10.0.0.1");
    EXPECT_EQ(sdp.origin().line, "o=user1 53655765 2353687637 IN IP4 10.0.0.1\r\n");
    EXPECT_EQ(sdp.session_name(), "-");
    ASSERT_TRUE(sdp.connection().present());
    EXPECT_EQ(sdp.connection().address, "10.0.0.1");
    EXPECT_EQ(sdp.connection().line, "c=IN IP4 10.0.0.1\r\n");
    EXPECT_EQ(sdp.direction(), Direction::unspecified);
    EXPECT_EQ(sdp.session_section(),
              "v=0\r\no=user1 53655765 2353687637 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n"
              "t=0 0\r\n");

    ASSERT_EQ(sdp.media_count(), 1u);
    const Media& m = sdp.media(0);
    EXPECT_EQ(m.kind, MediaKind::audio);
    EXPECT_EQ(m.port, 6000);
    EXPECT_EQ(m.port_count, 1);
    EXPECT_EQ(m.port_text, "6000");
    EXPECT_EQ(m.proto, "RTP/AVP");
    EXPECT_TRUE(m.is_rtp());
    EXPECT_EQ(m.formats_text, "8 101");
    EXPECT_EQ(m.line, "m=audio 6000 RTP/AVP 8 101\r\n");
    EXPECT_EQ(m.section, kSippOffer.substr(kSippOffer.find("m=audio")));
    EXPECT_FALSE(m.connection.present());
    EXPECT_EQ(sdp.connection_for(m), &sdp.connection());
    EXPECT_EQ(m.direction, Direction::sendrecv);
    EXPECT_EQ(m.ptime, 20u);
    EXPECT_EQ(m.maxptime, 150u);

    auto f = sdp.formats(m);
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(f[0].pt, 8);
    EXPECT_EQ(f[0].encoding, "PCMA");
    EXPECT_EQ(f[0].clock, 8000u);
    EXPECT_EQ(f[0].rtpmap_line, "a=rtpmap:8 PCMA/8000\r\n");
    EXPECT_EQ(codec_of(f[0]), Codec::pcma);
    EXPECT_EQ(f[1].pt, 101);
    EXPECT_EQ(f[1].encoding, "telephone-event");
    EXPECT_EQ(f[1].fmtp, "0-11,16");
    EXPECT_EQ(f[1].fmtp_line, "a=fmtp:101 0-11,16\r\n");
    EXPECT_EQ(codec_of(f[1]), Codec::telephone_event);
}

TEST(SdpParse, LinphoneOfferStaticAndDynamicLookup) {
    Sdp sdp;
    ASSERT_EQ(sdp.parse(kLinphoneOffer), Reason::none);
    ASSERT_EQ(sdp.media_count(), 1u);
    const Media& m = sdp.media(0);
    ASSERT_EQ(m.format_count, 9);
    EXPECT_EQ(m.direction, Direction::unspecified);
    EXPECT_EQ(sdp.direction_for(m), Direction::sendrecv);  // RFC 3264 §5.1 default

    // Static PTs without rtpmap take their RFC 3551 names.
    const Format* pcmu = sdp.find_format(m, 0);
    ASSERT_NE(pcmu, nullptr);
    EXPECT_EQ(pcmu->encoding, "PCMU");
    EXPECT_EQ(pcmu->clock, 8000u);
    EXPECT_TRUE(pcmu->rtpmap_line.empty());
    EXPECT_EQ(codec_of(*pcmu), Codec::pcmu);
    EXPECT_EQ(sdp.find_encoding(m, "pcma"), sdp.find_format(m, 8));
    const Format* g729 = sdp.find_encoding(m, "G729");
    ASSERT_NE(g729, nullptr);
    EXPECT_EQ(g729->pt, 18);
    EXPECT_EQ(g729->fmtp, "annexb=yes");
    EXPECT_EQ(codec_of(*g729), Codec::other);

    // Dynamic PTs by rtpmap name, and by clock.
    const Format* te = sdp.find_encoding(m, "telephone-event", 8000);
    ASSERT_NE(te, nullptr);
    EXPECT_EQ(te->pt, 100);
    EXPECT_EQ(sdp.find_encoding(m, "telephone-event")->pt, 101);
    const Format* opus = sdp.find_format(m, 96);
    ASSERT_NE(opus, nullptr);
    EXPECT_EQ(opus->encoding, "opus");
    EXPECT_EQ(opus->clock, 48000u);
    EXPECT_EQ(opus->channels, 2);
    EXPECT_EQ(opus->fmtp, "useinbandfec=1");
    EXPECT_EQ(sdp.find_format(m, 102), nullptr);
    EXPECT_EQ(sdp.find_encoding(m, "G722"), nullptr);

    Attribute a;
    ASSERT_TRUE(Sdp::find_attribute(sdp.session_section(), "rtcp-xr", a));
    EXPECT_TRUE(a.has_value);
    EXPECT_EQ(a.value, "rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics");
    ASSERT_TRUE(Sdp::find_attribute(m.section, "rtcp-fb", a));
    EXPECT_EQ(a.line, "a=rtcp-fb:* trr-int 1000\r\n");
    EXPECT_FALSE(Sdp::find_attribute(m.section, "rtcp-xr", a));
}

TEST(SdpParse, BaresipAnswerIpv6MediaLevelConnectionAndVideo) {
    Sdp sdp;
    ASSERT_EQ(sdp.parse(kBaresipAnswer), Reason::none);
    EXPECT_EQ(sdp.origin().addr_type, AddrType::ip6);
    EXPECT_EQ(sdp.origin().address, "2001:db8::5");
    EXPECT_FALSE(sdp.connection().present());
    EXPECT_EQ(sdp.direction(), Direction::recvonly);
    ASSERT_EQ(sdp.media_count(), 2u);

    const Media& audio = sdp.media(0);
    EXPECT_EQ(audio.kind, MediaKind::audio);
    ASSERT_TRUE(audio.connection.present());
    EXPECT_EQ(audio.connection.addr_type, AddrType::ip6);
    EXPECT_EQ(audio.connection.address, "2001:db8::5");
    EXPECT_EQ(sdp.connection_for(audio), &audio.connection);
    EXPECT_EQ(sdp.direction_for(audio), Direction::recvonly);  // inherited from session
    EXPECT_EQ(audio.section.substr(0, 7), "m=audio");
    EXPECT_EQ(audio.section.substr(audio.section.size() - 12), "a=ptime:20\r\n");

    const Media& video = sdp.media(1);
    EXPECT_EQ(video.kind, MediaKind::video);
    EXPECT_EQ(video.proto, "RTP/AVPF");
    EXPECT_EQ(video.connection.address, "2001:db8::6");
    EXPECT_EQ(sdp.direction_for(video), Direction::sendonly);
    auto vf = sdp.formats(video);
    ASSERT_EQ(vf.size(), 2u);
    EXPECT_EQ(vf[0].encoding, "H264");
    EXPECT_EQ(vf[0].clock, 90000u);
    EXPECT_EQ(vf[0].channels, 0);
    EXPECT_EQ(vf[0].fmtp, "packetization-mode=1;profile-level-id=42e01f");
    EXPECT_EQ(vf[1].encoding, "VP8");
    EXPECT_EQ(video.section.substr(video.section.size() - 12), "a=sendonly\r\n");
    // Sections tile the body: session + audio + video.
    EXPECT_EQ(sdp.session_section().size() + audio.section.size() + video.section.size(),
              kBaresipAnswer.size());
}

TEST(SdpParse, BareLfAndMissingFinalLineEnd) {
    const std::string lf =
        "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=x\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 4000 RTP/AVP 0\n"
        "a=rtpmap:0 PCMU/8000";
    Sdp sdp;
    ASSERT_EQ(sdp.parse(lf), Reason::none);
    ASSERT_EQ(sdp.media_count(), 1u);
    EXPECT_EQ(sdp.media(0).line, "m=audio 4000 RTP/AVP 0\n");
    EXPECT_EQ(sdp.formats(sdp.media(0))[0].rtpmap_line, "a=rtpmap:0 PCMU/8000");
    EXPECT_EQ(sdp.connection().line, "c=IN IP4 192.0.2.1\n");
}

TEST(SdpParse, OddWhitespaceIsTolerated) {
    // Runs of SP/HTAB between fields, trailing whitespace, blank lines (a trailing CRLF CRLF).
    const std::string s =
        "v=0 \r\n"
        "o=-  1 1  IN IP4\t192.0.2.1\r\n"
        "s= \r\n"
        "c=IN  IP4 192.0.2.1  \r\n"
        "t=0 0\r\n"
        "\r\n"
        "m=audio  5004   RTP/AVP  8\t 0  \r\n"
        "a=rtpmap:8  PCMA/8000 \r\n"
        "a=sendrecv\t\r\n"
        "\r\n";
    Sdp sdp;
    ASSERT_EQ(sdp.parse(s), Reason::none) << reason_text(sdp.reason());
    EXPECT_EQ(sdp.session_name(), "");
    EXPECT_EQ(sdp.origin().address, "192.0.2.1");
    const Media& m = sdp.media(0);
    EXPECT_EQ(m.port, 5004);
    EXPECT_EQ(m.formats_text, "8\t 0");
    EXPECT_EQ(m.format_count, 2);
    EXPECT_EQ(sdp.formats(m)[0].text, "8");
    EXPECT_EQ(sdp.formats(m)[1].text, "0");
    EXPECT_EQ(m.direction, Direction::sendrecv);
    EXPECT_EQ(sdp.formats(m)[0].rtpmap_line, "a=rtpmap:8  PCMA/8000 \r\n");
    // LineRange walks the same lines, skipping the blank ones.
    int n = 0;
    for (const Line& l : LineRange(sdp.data())) {
        EXPECT_NE(l.type, 0);
        ++n;
    }
    EXPECT_EQ(n, 8);
}

TEST(SdpParse, PortCountMulticastAndPtimeFraction) {
    const std::string s =
        "v=0\r\no=- 1 1 IN IP4 198.51.100.1\r\ns=-\r\nc=IN IP4 224.2.1.1/127/3\r\nt=0 0\r\n"
        "m=audio 49170/2 RTP/AVP 0\r\na=ptime:20.5\r\n"
        "m=audio 0 RTP/SAVP 8\r\nc=IN IP6 ff15::101/3\r\n";
    Sdp sdp;
    ASSERT_EQ(sdp.parse(s), Reason::none) << reason_text(sdp.reason());
    EXPECT_EQ(sdp.connection().address, "224.2.1.1");
    EXPECT_EQ(sdp.connection().suffix, "127/3");
    EXPECT_EQ(sdp.media(0).port, 49170);
    EXPECT_EQ(sdp.media(0).port_count, 2);
    EXPECT_EQ(sdp.media(0).port_text, "49170/2");
    EXPECT_EQ(sdp.media(0).ptime, 20u);
    EXPECT_EQ(sdp.media(1).port, 0);
    EXPECT_EQ(sdp.media(1).connection.address, "ff15::101");
    EXPECT_EQ(sdp.media(1).connection.suffix, "3");
}

TEST(SdpParse, T38ImageStreamHasTokenFormats) {
    const std::string s =
        "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
        "m=audio 0 RTP/AVP 8\r\n"
        "m=image 4002 udptl t38\r\n"
        "a=T38FaxVersion:0\r\na=T38FaxRateManagement:transferredTCF\r\n";
    Sdp sdp;
    ASSERT_EQ(sdp.parse(s), Reason::none);
    const Media& img = sdp.media(1);
    EXPECT_EQ(img.kind, MediaKind::image);
    EXPECT_FALSE(img.is_rtp());
    ASSERT_EQ(img.format_count, 1);
    EXPECT_EQ(sdp.formats(img)[0].text, "t38");
    EXPECT_EQ(sdp.formats(img)[0].pt, -1);
    EXPECT_EQ(codec_of(sdp.formats(img)[0]), Codec::other);
}

TEST(SdpParse, RtpmapOverridesStaticAndAppliesOnlyToItsMedia) {
    const std::string s =
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
        "a=rtpmap:0 PCMA/8000\r\n"  // session level: ignored
        "m=audio 4000 RTP/AVP 0 8\r\n"
        "a=rtpmap:8 PCMA/16000\r\n"  // wideband variant: not G.711
        "a=rtpmap:9 G722/8000\r\n"   // PT not in the m= line: ignored
        "m=audio 4002 RTP/AVP 8\r\n"
        "a=rtpmap:8 PCMA/8000/1\r\n";
    Sdp sdp;
    ASSERT_EQ(sdp.parse(s), Reason::none);
    const Media& a = sdp.media(0);
    EXPECT_EQ(sdp.find_format(a, 0)->encoding, "PCMU");
    EXPECT_EQ(codec_of(*sdp.find_format(a, 0)), Codec::pcmu);
    EXPECT_EQ(sdp.find_format(a, 8)->clock, 16000u);
    EXPECT_EQ(codec_of(*sdp.find_format(a, 8)), Codec::other);
    EXPECT_EQ(sdp.find_format(a, 9), nullptr);
    const Format* b = sdp.find_format(sdp.media(1), 8);
    EXPECT_EQ(b->channels, 1);
    EXPECT_EQ(codec_of(*b), Codec::pcma);
}

TEST(SdpParse, RtpmapWithoutClockIsToleratedButNeverG711) {
    // RFC 4475 §3.3.15 (sdp01) carries "a=rtpmap:31 LPC"; the message is valid SIP.
    const std::string body =
        with_head("m=audio 4000 RTP/AVP 8 31\r\na=rtpmap:31 LPC\r\na=rtpmap:8 PCMA\r\n");
    Sdp sdp;  // slices point into `body`, which must outlive it
    ASSERT_EQ(sdp.parse(body), Reason::none);
    const Format* lpc = sdp.find_format(sdp.media(0), 31);
    EXPECT_EQ(lpc->encoding, "LPC");
    EXPECT_EQ(lpc->clock, 0u);
    const Format* pcma = sdp.find_format(sdp.media(0), 8);
    EXPECT_EQ(pcma->clock, 0u);  // the rtpmap overrides the static entry, clock unknown
    EXPECT_EQ(codec_of(*pcma), Codec::other);
}

TEST(SdpParse, StaticPayloadTable) {
    ASSERT_NE(static_payload(0), nullptr);
    EXPECT_EQ(static_payload(0)->encoding, "PCMU");
    EXPECT_EQ(static_payload(8)->encoding, "PCMA");
    EXPECT_EQ(static_payload(18)->encoding, "G729");
    EXPECT_EQ(static_payload(9)->encoding, "G722");
    EXPECT_EQ(static_payload(34)->encoding, "H263");
    EXPECT_EQ(static_payload(1), nullptr);
    EXPECT_EQ(static_payload(96), nullptr);
    EXPECT_EQ(static_payload(-1), nullptr);
    EXPECT_EQ(static_payload(35), nullptr);
}

struct BadCase {
    const char* name;
    std::string body;
    Reason want;
};

class SdpMalformed : public ::testing::TestWithParam<BadCase> {};

TEST_P(SdpMalformed, IsRefusedWithItsReason) {
    Sdp sdp;
    EXPECT_EQ(sdp.parse(GetParam().body), GetParam().want)
        << GetParam().name << ": got " << reason_name(sdp.reason());
    EXPECT_EQ(sdp.reason(), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SdpMalformed,
    ::testing::Values(
        BadCase{"empty", "", Reason::empty}, BadCase{"blank", "\r\n\r\n", Reason::empty},
        BadCase{"no_v", "o=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n", Reason::missing_version},
        BadCase{"v1", "v=1\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n", Reason::bad_version},
        BadCase{"second_v", with_head("v=0\r\n"), Reason::bad_version},
        BadCase{"no_equals", with_head("m audio 4000 RTP/AVP 0\r\n"), Reason::bad_line},
        BadCase{"space_before_equals", with_head("a =sendrecv\r\n"), Reason::bad_line},
        BadCase{"leading_space", with_head(" a=sendrecv\r\n"), Reason::bad_line},
        BadCase{"single_char", with_head("a\r\n"), Reason::bad_line},
        BadCase{"nul", with_head(std::string("a=x\0y\r\n", 7)), Reason::bad_character},
        BadCase{"bare_cr", with_head("a=x\ry\r\n"), Reason::bad_character},
        BadCase{"unknown_type", with_head("x=1\r\n"), Reason::unknown_type},
        BadCase{"upper_type", with_head("A=1\r\n"), Reason::unknown_type},
        BadCase{"no_origin", "v=0\r\ns=-\r\n", Reason::missing_origin},
        BadCase{"no_session_name", "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n",
                Reason::missing_session_name},
        BadCase{"origin_short", "v=0\r\no=- 1 1 IN IP4\r\ns=-\r\n", Reason::bad_origin},
        BadCase{"origin_extra", "v=0\r\no=- 1 1 IN IP4 1.2.3.4 x\r\ns=-\r\n", Reason::bad_origin},
        BadCase{"origin_nonnumeric_id", "v=0\r\no=- 1a 1 IN IP4 1.2.3.4\r\ns=-\r\n",
                Reason::bad_origin},
        BadCase{"origin_twice",
                "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n",
                Reason::bad_origin},
        BadCase{"conn_nettype", with_head("c=ATM IP4 1.2.3.4\r\n"), Reason::bad_connection},
        BadCase{"conn_addrtype", with_head("c=IN IPX 1.2.3.4\r\n"), Reason::bad_connection},
        BadCase{"conn_no_addr", with_head("c=IN IP4\r\n"), Reason::bad_connection},
        BadCase{"conn_extra", with_head("c=IN IP4 1.2.3.4 5\r\n"), Reason::bad_connection},
        BadCase{"conn_bad_char", with_head("c=IN IP4 1.2.3.4;x\r\n"), Reason::bad_connection},
        BadCase{"conn_bad_ttl", with_head("c=IN IP4 224.2.1.1/x\r\n"), Reason::bad_connection},
        BadCase{"conn_empty_ttl", with_head("c=IN IP4 224.2.1.1/\r\n"), Reason::bad_connection},
        BadCase{"conn_three_suffix", with_head("c=IN IP4 224.2.1.1/1/2/3\r\n"),
                Reason::bad_connection},
        BadCase{"media_no_proto", with_head("m=audio 4000\r\n"), Reason::bad_media},
        BadCase{"media_no_fmt", with_head("m=audio 4000 RTP/AVP\r\n"), Reason::bad_format},
        BadCase{"media_port_big", with_head("m=audio 65536 RTP/AVP 0\r\n"), Reason::bad_port},
        BadCase{"media_port_alpha", with_head("m=audio 40a0 RTP/AVP 0\r\n"), Reason::bad_port},
        BadCase{"media_port_count0", with_head("m=audio 4000/0 RTP/AVP 0\r\n"), Reason::bad_port},
        BadCase{"media_pt_128", with_head("m=audio 4000 RTP/AVP 0 128\r\n"), Reason::bad_format},
        BadCase{"media_pt_alpha", with_head("m=audio 4000 RTP/AVP 0 PCMA\r\n"), Reason::bad_format},
        BadCase{"media_pt_negative", with_head("m=audio 4000 RTP/AVP -1\r\n"), Reason::bad_format},
        BadCase{"media_bad_proto", with_head("m=audio 4000 RTP//AVP/ 0\r\n"), Reason::bad_media},
        BadCase{"rtpmap_no_encoding", with_head("m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 /8000\r\n"),
                Reason::bad_rtpmap},
        BadCase{"rtpmap_no_name", with_head("m=audio 4000 RTP/AVP 96\r\na=rtpmap:96\r\n"),
                Reason::bad_rtpmap},
        BadCase{"rtpmap_zero_clock", with_head("m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus/0\r\n"),
                Reason::bad_rtpmap},
        BadCase{"rtpmap_pt_big", with_head("m=audio 4000 RTP/AVP 96\r\na=rtpmap:300 x/8000\r\n"),
                Reason::bad_rtpmap},
        BadCase{"rtpmap_extra", with_head("m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 x/8000 y\r\n"),
                Reason::bad_rtpmap},
        BadCase{"rtpmap_bad_channels",
                with_head("m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 x/8000/two\r\n"),
                Reason::bad_rtpmap},
        BadCase{"fmtp_empty", with_head("m=audio 4000 RTP/AVP 96\r\na=fmtp:\r\n"),
                Reason::bad_fmtp},
        BadCase{"ptime_alpha", with_head("m=audio 4000 RTP/AVP 0\r\na=ptime:twenty\r\n"),
                Reason::bad_ptime},
        BadCase{"ptime_dot", with_head("m=audio 4000 RTP/AVP 0\r\na=ptime:20.\r\n"),
                Reason::bad_ptime},
        BadCase{"maxptime_empty", with_head("m=audio 4000 RTP/AVP 0\r\na=maxptime:\r\n"),
                Reason::bad_ptime}),
    [](const ::testing::TestParamInfo<BadCase>& i) { return std::string(i.param.name); });

TEST(SdpLimits, TooManyMedia) {
    std::string s = with_head("");
    for (std::size_t i = 0; i < Sdp::kMaxMedia; ++i) s += "m=audio 0 RTP/AVP 0\r\n";
    Sdp sdp;
    ASSERT_EQ(sdp.parse(s), Reason::none);
    EXPECT_EQ(sdp.media_count(), Sdp::kMaxMedia);
    s += "m=audio 0 RTP/AVP 0\r\n";
    EXPECT_EQ(sdp.parse(s), Reason::too_many_media);
}

TEST(SdpLimits, TooManyFormats) {
    std::string line = "m=video 4000 RTP/AVP";
    for (std::size_t i = 0; i < Sdp::kMaxFormats; ++i) {
        line += ' ';
        line += std::to_string(i % 128);
    }
    Sdp sdp;
    const std::string full = with_head(line) + "\r\n";
    ASSERT_EQ(sdp.parse(full), Reason::none);
    EXPECT_EQ(sdp.media(0).format_count, Sdp::kMaxFormats);
    std::string over = with_head(line);
    over += " 5\r\n";
    EXPECT_EQ(sdp.parse(over), Reason::too_many_formats);
    // The limit is over the whole body, not per m= line.
    std::string two = full;
    two += "m=audio 4000 RTP/AVP 0\r\n";
    EXPECT_EQ(sdp.parse(two), Reason::too_many_formats);
}

TEST(SdpParse, ReuseResetsState) {
    Sdp sdp;
    ASSERT_EQ(sdp.parse(kBaresipAnswer), Reason::none);
    ASSERT_EQ(sdp.parse(kSippOffer), Reason::none);
    EXPECT_EQ(sdp.media_count(), 1u);
    EXPECT_EQ(sdp.direction(), Direction::unspecified);
    EXPECT_EQ(sdp.origin().username, "user1");
    EXPECT_EQ(sdp.parse("v=0\r\n"), Reason::missing_origin);
    EXPECT_EQ(sdp.media_count(), 0u);
}

TEST(SdpParse, EveryTruncationIsSafe) {
    // Any prefix either parses or is refused with a reason; nothing reads outside it (ASan).
    for (std::string_view body : {kLinphoneOffer, kSippOffer, kBaresipAnswer}) {
        for (std::size_t n = 0; n <= body.size(); ++n) {
            const std::string cut(body.substr(0, n));
            Sdp sdp;
            const Reason r = sdp.parse(cut);
            if (r == Reason::none) {
                for (const Media& m : sdp.medias()) {
                    EXPECT_GE(m.line.data(), cut.data());
                    EXPECT_LE(m.section.data() + m.section.size(), cut.data() + cut.size());
                }
            }
        }
    }
}

TEST(SdpNames, ReasonAndEnumNames) {
    EXPECT_EQ(reason_name(Reason::bad_rtpmap), "bad_rtpmap");
    EXPECT_EQ(reason_text(Reason::none), "ok");
    EXPECT_EQ(direction_name(Direction::inactive), "inactive");
    EXPECT_EQ(direction_name(Direction::unspecified), "");
    EXPECT_EQ(media_kind_name(MediaKind::image), "image");
    EXPECT_EQ(codec_name(Codec::telephone_event), "telephone-event");
}

}  // namespace
}  // namespace palisade::sdp
