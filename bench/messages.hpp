// The message set of the parser benchmark (issue 2, item 7) and the fields every parser must
// extract from each, checked before anything is timed.
//
// The messages are what an SBC on a carrier trunk receives in one call and around it, written the
// way the usual senders write them: an INVITE from a carrier softswitch (two Vias, Record-Route,
// P-Asserted-Identity, Privacy, Session-Expires, Min-SE, Supported, Allow, User-Agent, an SDP
// offer with PCMA, PCMU, G722, G729 and telephone-event), the provisional and final responses of
// an Asterisk PBX (three Vias as they arrive back through two proxies, two Record-Routes), the
// ACK and BYE of the dialog (Route sets, Reason), a REGISTER with MD5 digest credentials as
// Asterisk's PJSIP sends it, and an OPTIONS keepalive. Addresses are documentation ranges
// (RFC 5737).
#pragma once

#include <array>
#include <string_view>

#include "bench/peers/peer.hpp"

namespace palisade::bench {

// One SIP line per source line, one golden field pair per line: formatted by hand.
// clang-format off
inline constexpr std::string_view kInviteSdp =
    "INVITE sip:+4930123456789@203.0.113.10:5060;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK-524287-1---8c2a6f1b3d4e5f60;rport\r\n"
    "Via: SIP/2.0/UDP 192.0.2.5:5060;received=192.0.2.5;branch=z9hG4bK3f9a1c2e7b\r\n"
    "Record-Route: <sip:192.0.2.20;lr;ftag=as5f3c2a1b>\r\n"
    "Max-Forwards: 69\r\n"
    "From: \"+4989765432100\" <sip:+4989765432100@192.0.2.5;user=phone>;tag=as5f3c2a1b\r\n"
    "To: <sip:+4930123456789@carrier.example.net;user=phone>\r\n"
    "Contact: <sip:+4989765432100@192.0.2.5:5060;transport=udp>\r\n"
    "Call-ID: 3c26700d5f1a4c1a9b8e2f0d7a6b5c4d@192.0.2.5\r\n"
    "CSeq: 102 INVITE\r\n"
    "P-Asserted-Identity: <sip:+4989765432100@carrier.example.net;user=phone>\r\n"
    "Privacy: none\r\n"
    "Session-Expires: 1800;refresher=uac\r\n"
    "Min-SE: 90\r\n"
    "Supported: replaces, timer\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, INFO, UPDATE\r\n"
    "User-Agent: Carrier-Softswitch/7.4.2\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 321\r\n"
    "\r\n"
    "v=0\r\n"
    "o=- 1700000000 1700000001 IN IP4 192.0.2.30\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.30\r\n"
    "t=0 0\r\n"
    "m=audio 16384 RTP/AVP 8 0 9 18 101\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=fmtp:18 annexb=no\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=maxptime:150\r\n"
    "a=sendrecv\r\n";

inline constexpr std::string_view kTrying =
    "SIP/2.0 100 Trying\r\n"
    "Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKpal.0.7f3a91c2d4e5\r\n"
    "Via: SIP/2.0/UDP 192.0.2.20:5060;received=192.0.2.20;branch=z9hG4bK-524287-1---8c2a6f1b3d4e5f60;rport=5060\r\n"
    "Via: SIP/2.0/UDP 192.0.2.5:5060;received=192.0.2.5;branch=z9hG4bK3f9a1c2e7b\r\n"
    "From: \"+4989765432100\" <sip:+4989765432100@192.0.2.5;user=phone>;tag=as5f3c2a1b\r\n"
    "To: <sip:+4930123456789@carrier.example.net;user=phone>\r\n"
    "Call-ID: 3c26700d5f1a4c1a9b8e2f0d7a6b5c4d@192.0.2.5\r\n"
    "CSeq: 102 INVITE\r\n"
    "Server: Asterisk PBX 18.20.0\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

inline constexpr std::string_view kRinging =
    "SIP/2.0 180 Ringing\r\n"
    "Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKpal.0.7f3a91c2d4e5\r\n"
    "Via: SIP/2.0/UDP 192.0.2.20:5060;received=192.0.2.20;branch=z9hG4bK-524287-1---8c2a6f1b3d4e5f60;rport=5060\r\n"
    "Via: SIP/2.0/UDP 192.0.2.5:5060;received=192.0.2.5;branch=z9hG4bK3f9a1c2e7b\r\n"
    "Record-Route: <sip:203.0.113.10;lr>\r\n"
    "Record-Route: <sip:192.0.2.20;lr;ftag=as5f3c2a1b>\r\n"
    "From: \"+4989765432100\" <sip:+4989765432100@192.0.2.5;user=phone>;tag=as5f3c2a1b\r\n"
    "To: <sip:+4930123456789@carrier.example.net;user=phone>;tag=3a9d8e2c-5f1b-4e7a\r\n"
    "Call-ID: 3c26700d5f1a4c1a9b8e2f0d7a6b5c4d@192.0.2.5\r\n"
    "CSeq: 102 INVITE\r\n"
    "Contact: <sip:4930123456789@198.51.100.10:5060>\r\n"
    "Allow: OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, MESSAGE, REFER\r\n"
    "Supported: 100rel, timer, replaces, norefersub\r\n"
    "P-Asserted-Identity: \"Sales\" <sip:+4930123456789@198.51.100.10>\r\n"
    "Server: Asterisk PBX 18.20.0\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

inline constexpr std::string_view kOkSdp =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKpal.0.7f3a91c2d4e5\r\n"
    "Via: SIP/2.0/UDP 192.0.2.20:5060;received=192.0.2.20;branch=z9hG4bK-524287-1---8c2a6f1b3d4e5f60;rport=5060\r\n"
    "Via: SIP/2.0/UDP 192.0.2.5:5060;received=192.0.2.5;branch=z9hG4bK3f9a1c2e7b\r\n"
    "Record-Route: <sip:203.0.113.10;lr>\r\n"
    "Record-Route: <sip:192.0.2.20;lr;ftag=as5f3c2a1b>\r\n"
    "From: \"+4989765432100\" <sip:+4989765432100@192.0.2.5;user=phone>;tag=as5f3c2a1b\r\n"
    "To: <sip:+4930123456789@carrier.example.net;user=phone>;tag=3a9d8e2c-5f1b-4e7a\r\n"
    "Call-ID: 3c26700d5f1a4c1a9b8e2f0d7a6b5c4d@192.0.2.5\r\n"
    "CSeq: 102 INVITE\r\n"
    "Contact: <sip:4930123456789@198.51.100.10:5060>\r\n"
    "Session-Expires: 1800;refresher=uac\r\n"
    "Require: timer\r\n"
    "Allow: OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, MESSAGE, REFER\r\n"
    "Supported: 100rel, timer, replaces, norefersub\r\n"
    "P-Asserted-Identity: \"Sales\" <sip:+4930123456789@198.51.100.10>\r\n"
    "Server: Asterisk PBX 18.20.0\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 254\r\n"
    "\r\n"
    "v=0\r\n"
    "o=root 1839421623 1839421623 IN IP4 198.51.100.10\r\n"
    "s=Asterisk PBX 18.20.0\r\n"
    "c=IN IP4 198.51.100.10\r\n"
    "t=0 0\r\n"
    "m=audio 12042 RTP/AVP 8 101\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=maxptime:150\r\n"
    "a=sendrecv\r\n";

inline constexpr std::string_view kAck =
    "ACK sip:4930123456789@198.51.100.10:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK-524287-1---4d1e7a9b2c3f5e6d;rport\r\n"
    "Via: SIP/2.0/UDP 192.0.2.5:5060;received=192.0.2.5;branch=z9hG4bK7b2d4f6a8c\r\n"
    "Route: <sip:203.0.113.10;lr>\r\n"
    "Max-Forwards: 69\r\n"
    "From: \"+4989765432100\" <sip:+4989765432100@192.0.2.5;user=phone>;tag=as5f3c2a1b\r\n"
    "To: <sip:+4930123456789@carrier.example.net;user=phone>;tag=3a9d8e2c-5f1b-4e7a\r\n"
    "Contact: <sip:+4989765432100@192.0.2.5:5060;transport=udp>\r\n"
    "Call-ID: 3c26700d5f1a4c1a9b8e2f0d7a6b5c4d@192.0.2.5\r\n"
    "CSeq: 102 ACK\r\n"
    "User-Agent: Carrier-Softswitch/7.4.2\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

inline constexpr std::string_view kBye =
    "BYE sip:+4989765432100@192.0.2.5:5060;transport=udp SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.51.100.10:5060;rport;branch=z9hG4bKPj5e8f0a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5b\r\n"
    "Route: <sip:203.0.113.10;lr>\r\n"
    "Route: <sip:192.0.2.20;lr;ftag=as5f3c2a1b>\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:+4930123456789@carrier.example.net;user=phone>;tag=3a9d8e2c-5f1b-4e7a\r\n"
    "To: \"+4989765432100\" <sip:+4989765432100@192.0.2.5;user=phone>;tag=as5f3c2a1b\r\n"
    "Call-ID: 3c26700d5f1a4c1a9b8e2f0d7a6b5c4d@192.0.2.5\r\n"
    "CSeq: 9731 BYE\r\n"
    "Reason: Q.850;cause=16;text=\"Normal call clearing\"\r\n"
    "User-Agent: Asterisk PBX 18.20.0\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

inline constexpr std::string_view kRegisterAuth =
    "REGISTER sip:sip.palisade.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.51.100.10:5060;rport;branch=z9hG4bKPj0d8c7b6a-5f4e-4d3c-9b2a-1f0e9d8c7b6a\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:acme-pbx-1@sip.palisade.example.com>;tag=9f8e7d6c-5b4a-4321-8fed-cba987654321\r\n"
    "To: <sip:acme-pbx-1@sip.palisade.example.com>\r\n"
    "Call-ID: 6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d\r\n"
    "CSeq: 27411 REGISTER\r\n"
    "Contact: <sip:acme-pbx-1@198.51.100.10:5060>;expires=3600\r\n"
    "Expires: 3600\r\n"
    "Allow: OPTIONS, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, PRACK, ACK, BYE, CANCEL, UPDATE, MESSAGE, REFER\r\n"
    "Supported: 100rel, timer, replaces, norefersub, path\r\n"
    "Authorization: Digest username=\"acme-pbx-1\", realm=\"sip.palisade.example.com\", nonce=\"Y2xvdWQ6MTcwMDAwMDAwMDpmYjM4ZTc3NWRiYzM0\", uri=\"sip:sip.palisade.example.com\", response=\"6629fae49393a05397450978507c4ef1\", algorithm=MD5, cnonce=\"0a4f113b\", qop=auth, nc=00000001\r\n"
    "User-Agent: Asterisk PBX 18.20.0\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

inline constexpr std::string_view kOptions =
    "OPTIONS sip:192.0.2.20:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKpal.ka.1c9e4b7a02f3\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:keepalive@203.0.113.10>;tag=pal-ka-5e2b91\r\n"
    "To: <sip:192.0.2.20:5060>\r\n"
    "Call-ID: ka-7d41c9e2b05a@203.0.113.10\r\n"
    "CSeq: 4711 OPTIONS\r\n"
    "Contact: <sip:keepalive@203.0.113.10:5060>\r\n"
    "Accept: application/sdp\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE\r\n"
    "Supported: timer, replaces\r\n"
    "User-Agent: Palisade/0.1.0\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

/// One message of the set: its benchmark name, its bytes and the fields every parser must find.
struct BenchMessage {
    std::string_view name;
    std::string_view bytes;
    Fields golden;
};

// Golden values. Call-ID is given whole (call_id_host empty); the check joins a parser's split
// parts with '@'. Content-Type is type and subtype.
inline constexpr UriFields kCallerAtGw{"sip", "+4989765432100", "192.0.2.5", 0};
inline constexpr UriFields kCalleeAtCarrier{"sip", "+4930123456789", "carrier.example.net", 0};
inline constexpr std::string_view kDialogCallId = "3c26700d5f1a4c1a9b8e2f0d7a6b5c4d@192.0.2.5";
inline constexpr std::string_view kPbxTag = "3a9d8e2c-5f1b-4e7a";
inline constexpr UriFields kPbxContact{"sip", "4930123456789", "198.51.100.10", 5060};
inline constexpr UriFields kPbxPai{"sip", "+4930123456789", "198.51.100.10", 0};

inline const std::array<BenchMessage, 8> kMessages = {{
    {"invite_sdp", kInviteSdp,
     Fields{.method = "INVITE",
            .request_uri = {"sip", "+4930123456789", "203.0.113.10", 5060},
            .via_host = "192.0.2.20", .via_port = 5060,
            .via_branch = "z9hG4bK-524287-1---8c2a6f1b3d4e5f60",
            .from_uri = kCallerAtGw, .from_tag = "as5f3c2a1b",
            .to_uri = kCalleeAtCarrier, .to_tag = "",
            .call_id = kDialogCallId,
            .cseq_number = 102, .cseq_method = "INVITE",
            .max_forwards = 69,
            .contact_uri = {"sip", "+4989765432100", "192.0.2.5", 5060},
            .content_type = "application", .content_subtype = "sdp",
            .content_length = 321,
            .pai_uri = {"sip", "+4989765432100", "carrier.example.net", 0},
            .session_expires = 1800}},
    {"trying", kTrying,
     Fields{.status_code = 100,
            .via_host = "203.0.113.10", .via_port = 5060, .via_branch = "z9hG4bKpal.0.7f3a91c2d4e5",
            .from_uri = kCallerAtGw, .from_tag = "as5f3c2a1b",
            .to_uri = kCalleeAtCarrier,
            .call_id = kDialogCallId,
            .cseq_number = 102, .cseq_method = "INVITE",
            .content_length = 0}},
    {"ringing", kRinging,
     Fields{.status_code = 180,
            .via_host = "203.0.113.10", .via_port = 5060, .via_branch = "z9hG4bKpal.0.7f3a91c2d4e5",
            .from_uri = kCallerAtGw, .from_tag = "as5f3c2a1b",
            .to_uri = kCalleeAtCarrier, .to_tag = kPbxTag,
            .call_id = kDialogCallId,
            .cseq_number = 102, .cseq_method = "INVITE",
            .contact_uri = kPbxContact,
            .content_length = 0,
            .pai_uri = kPbxPai}},
    {"ok_sdp", kOkSdp,
     Fields{.status_code = 200,
            .via_host = "203.0.113.10", .via_port = 5060, .via_branch = "z9hG4bKpal.0.7f3a91c2d4e5",
            .from_uri = kCallerAtGw, .from_tag = "as5f3c2a1b",
            .to_uri = kCalleeAtCarrier, .to_tag = kPbxTag,
            .call_id = kDialogCallId,
            .cseq_number = 102, .cseq_method = "INVITE",
            .contact_uri = kPbxContact,
            .content_type = "application", .content_subtype = "sdp",
            .content_length = 254,
            .pai_uri = kPbxPai,
            .session_expires = 1800}},
    {"ack", kAck,
     Fields{.method = "ACK",
            .request_uri = kPbxContact,
            .via_host = "192.0.2.20", .via_port = 5060,
            .via_branch = "z9hG4bK-524287-1---4d1e7a9b2c3f5e6d",
            .from_uri = kCallerAtGw, .from_tag = "as5f3c2a1b",
            .to_uri = kCalleeAtCarrier, .to_tag = kPbxTag,
            .call_id = kDialogCallId,
            .cseq_number = 102, .cseq_method = "ACK",
            .max_forwards = 69,
            .contact_uri = {"sip", "+4989765432100", "192.0.2.5", 5060},
            .content_length = 0}},
    {"bye", kBye,
     Fields{.method = "BYE",
            .request_uri = {"sip", "+4989765432100", "192.0.2.5", 5060},
            .via_host = "198.51.100.10", .via_port = 5060,
            .via_branch = "z9hG4bKPj5e8f0a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5b",
            .from_uri = kCalleeAtCarrier, .from_tag = kPbxTag,
            .to_uri = kCallerAtGw, .to_tag = "as5f3c2a1b",
            .call_id = kDialogCallId,
            .cseq_number = 9731, .cseq_method = "BYE",
            .max_forwards = 70,
            .content_length = 0}},
    {"register_auth", kRegisterAuth,
     Fields{.method = "REGISTER",
            .request_uri = {"sip", "", "sip.palisade.example.com", 0},
            .via_host = "198.51.100.10", .via_port = 5060,
            .via_branch = "z9hG4bKPj0d8c7b6a-5f4e-4d3c-9b2a-1f0e9d8c7b6a",
            .from_uri = {"sip", "acme-pbx-1", "sip.palisade.example.com", 0},
            .from_tag = "9f8e7d6c-5b4a-4321-8fed-cba987654321",
            .to_uri = {"sip", "acme-pbx-1", "sip.palisade.example.com", 0},
            .call_id = "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d",
            .cseq_number = 27411, .cseq_method = "REGISTER",
            .max_forwards = 70,
            .contact_uri = {"sip", "acme-pbx-1", "198.51.100.10", 5060},
            .content_length = 0,
            .auth_username = "acme-pbx-1", .auth_response = "6629fae49393a05397450978507c4ef1"}},
    {"options", kOptions,
     Fields{.method = "OPTIONS",
            .request_uri = {"sip", "", "192.0.2.20", 5060},
            .via_host = "203.0.113.10", .via_port = 5060, .via_branch = "z9hG4bKpal.ka.1c9e4b7a02f3",
            .from_uri = {"sip", "keepalive", "203.0.113.10", 0}, .from_tag = "pal-ka-5e2b91",
            .to_uri = {"sip", "", "192.0.2.20", 5060},
            .call_id = "ka-7d41c9e2b05a@203.0.113.10",
            .cseq_number = 4711, .cseq_method = "OPTIONS",
            .max_forwards = 70,
            .contact_uri = {"sip", "keepalive", "203.0.113.10", 5060},
            .content_length = 0}},
}};
// clang-format on

}  // namespace palisade::bench
