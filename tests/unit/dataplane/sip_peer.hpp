// The far ends of a call as plain text, for the data-plane tests and the `calls` benchmark: a
// PBX (user agent client on the access side) and a carrier softswitch (user agent server on the
// core side) that answer whatever Palisade sends them, the way RFC 3261 says a UA does: a
// response copies the request's Via, From, To, Call-ID and CSeq (§8.2.6.2), a request in a
// dialog goes to the remote target with the route set (§12.2.1.1), and a digest answer to a 407
// is computed with the parser's own digest code (RFC 7616 §3.4). Test code: allocates freely.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/sip/digest.hpp"

namespace palisade::dp::peer {

inline bool iequal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

/// The header lines of a message (without the start line), each without its CRLF.
inline std::vector<std::string_view> lines(std::string_view msg) {
    std::vector<std::string_view> out;
    std::size_t pos = msg.find("\r\n");
    if (pos == std::string_view::npos) return out;
    pos += 2;
    while (pos < msg.size()) {
        const std::size_t end = msg.find("\r\n", pos);
        if (end == std::string_view::npos || end == pos) break;
        out.push_back(msg.substr(pos, end - pos));
        pos = end + 2;
    }
    return out;
}

/// The long name of a compact header name (RFC 3261 §7.3.3), else the name itself.
inline std::string_view long_name(std::string_view n) {
    if (n.size() != 1) return n;
    switch (n[0] | 0x20) {
    case 'v': return "Via";
    case 'f': return "From";
    case 't': return "To";
    case 'i': return "Call-ID";
    case 'm': return "Contact";
    case 'l': return "Content-Length";
    case 'c': return "Content-Type";
    case 'k': return "Supported";
    default: return n;
    }
}

/// Every value of header `name` (one per header line; comma lists are not split).
inline std::vector<std::string> headers(std::string_view msg, std::string_view name) {
    std::vector<std::string> out;
    for (std::string_view l : lines(msg)) {
        const std::size_t colon = l.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view n = l.substr(0, colon);
        while (!n.empty() && (n.back() == ' ' || n.back() == '\t')) n.remove_suffix(1);
        if (!iequal(long_name(n), name)) continue;
        std::string_view v = l.substr(colon + 1);
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
        out.emplace_back(v);
    }
    return out;
}

/// The first value of header `name`, or "".
inline std::string header(std::string_view msg, std::string_view name) {
    std::vector<std::string> all = headers(msg, name);
    return all.empty() ? std::string() : all.front();
}

/// The status code of a response, 0 for a request.
inline int status(std::string_view msg) {
    if (msg.substr(0, 8) != "SIP/2.0 " || msg.size() < 11) return 0;
    return (msg[8] - '0') * 100 + (msg[9] - '0') * 10 + (msg[10] - '0');
}

/// The method of a request ("" for a response).
inline std::string method(std::string_view msg) {
    if (status(msg) != 0) return {};
    return std::string(msg.substr(0, msg.find(' ')));
}

/// The Request-URI of a request.
inline std::string request_uri(std::string_view msg) {
    const std::size_t a = msg.find(' ');
    const std::size_t b = msg.find(' ', a + 1);
    return std::string(msg.substr(a + 1, b - a - 1));
}

/// The body (after the blank line).
inline std::string body(std::string_view msg) {
    const std::size_t p = msg.find("\r\n\r\n");
    return p == std::string_view::npos ? std::string() : std::string(msg.substr(p + 4));
}

/// A parameter of a header value (";name=value"), or "".
inline std::string param(std::string_view value, std::string_view name) {
    std::size_t pos = 0;
    while ((pos = value.find(';', pos)) != std::string_view::npos) {
        ++pos;
        const std::size_t eq = value.find('=', pos);
        const std::size_t end = value.find_first_of(";,>", pos);
        if (eq != std::string_view::npos && (end == std::string_view::npos || eq < end) &&
            iequal(value.substr(pos, eq - pos), name))
            return std::string(value.substr(eq + 1, end == std::string_view::npos ? end : end - eq - 1));
    }
    return {};
}

/// The URI inside <...> of a name-addr (or the value up to ';' when there are no brackets).
inline std::string uri_of(std::string_view v) {
    const std::size_t lt = v.find('<');
    if (lt != std::string_view::npos) return std::string(v.substr(lt + 1, v.find('>', lt) - lt - 1));
    return std::string(v.substr(0, v.find(';')));
}

/// The user part of a SIP URI ("" when none).
inline std::string user_of(std::string_view uri) {
    const std::size_t colon = uri.find(':');
    const std::size_t at = uri.find('@');
    if (colon == std::string_view::npos || at == std::string_view::npos || at < colon) return {};
    return std::string(uri.substr(colon + 1, at - colon - 1));
}

/// A response of a UA to `req` (RFC 3261 §8.2.6.2): every Via, From, To (with `to_tag` when it
/// has none), Call-ID and CSeq copied; then `extra` header lines and the body.
inline std::string response(std::string_view req, int code, std::string_view phrase,
                            std::string_view to_tag = {}, std::string_view extra = {},
                            std::string_view sdp = {}) {
    std::string r = "SIP/2.0 " + std::to_string(code) + " " + std::string(phrase) + "\r\n";
    for (const std::string& v : headers(req, "Via")) r += "Via: " + v + "\r\n";
    r += "From: " + header(req, "From") + "\r\n";
    std::string to = header(req, "To");
    if (!to_tag.empty() && param(to, "tag").empty()) to += ";tag=" + std::string(to_tag);
    r += "To: " + to + "\r\n";
    r += "Call-ID: " + header(req, "Call-ID") + "\r\n";
    r += "CSeq: " + header(req, "CSeq") + "\r\n";
    r += extra;
    if (!sdp.empty()) r += "Content-Type: application/sdp\r\n";
    r += "Content-Length: " + std::to_string(sdp.size()) + "\r\n\r\n";
    r += sdp;
    return r;
}

/// An SDP offer or answer with the given audio payload types (RFC 4566).
inline std::string sdp(std::string_view ip, std::string_view payloads = "8 0 101",
                       std::string_view extra_media = {}) {
    std::string s = "v=0\r\no=- 1 1 IN IP4 " + std::string(ip) + "\r\ns=-\r\nc=IN IP4 " +
                    std::string(ip) + "\r\nt=0 0\r\nm=audio 40000 RTP/AVP " + std::string(payloads) +
                    "\r\n";
    if (payloads.find('8') != std::string_view::npos) s += "a=rtpmap:8 PCMA/8000\r\n";
    if (payloads.find("101") != std::string_view::npos)
        s += "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n";
    s += "a=sendrecv\r\n";
    s += extra_media;
    return s;
}

/// What a PBX puts in a new INVITE.
struct InviteSpec {
    std::string call_id = "call-1@10.0.0.2";
    std::string from_user = "+31201234567";  ///< also the P-Asserted-Identity unless pai is set
    std::string to_user = "+31612345678";    ///< Request-URI and To user
    std::string pbx_ip = "10.0.0.2";
    std::uint16_t pbx_port = 5060;
    std::string palisade_ip = "10.0.0.1";
    std::string branch = "z9hG4bK-pbx-1";
    std::string from_tag = "pbx1";           ///< kept when the INVITE is sent again with credentials
    std::uint32_t cseq = 1;
    std::string pai;                         ///< empty: none
    std::string extra;                       ///< more header lines (CRLF each)
    std::string body;                        ///< SDP; empty: no body
    int max_forwards = 70;
};

inline std::string invite(const InviteSpec& s) {
    std::string r = "INVITE sip:" + s.to_user + "@" + s.palisade_ip + " SIP/2.0\r\n";
    r += "Via: SIP/2.0/UDP " + s.pbx_ip + ":" + std::to_string(s.pbx_port) + ";branch=" + s.branch +
         ";rport\r\n";
    r += "Max-Forwards: " + std::to_string(s.max_forwards) + "\r\n";
    r += "From: <sip:" + s.from_user + "@" + s.pbx_ip + ">;tag=" + s.from_tag + "\r\n";
    r += "To: <sip:" + s.to_user + "@" + s.palisade_ip + ">\r\n";
    r += "Call-ID: " + s.call_id + "\r\n";
    r += "CSeq: " + std::to_string(s.cseq) + " INVITE\r\n";
    r += "Contact: <sip:pbx@" + s.pbx_ip + ":" + std::to_string(s.pbx_port) + ">\r\n";
    if (!s.pai.empty()) r += "P-Asserted-Identity: <sip:" + s.pai + "@" + s.pbx_ip + ">\r\n";
    r += s.extra;
    if (!s.body.empty()) r += "Content-Type: application/sdp\r\n";
    r += "Content-Length: " + std::to_string(s.body.size()) + "\r\n\r\n" + s.body;
    return r;
}

/// The ACK a UAC sends for a non-2xx final response (RFC 3261 §17.1.1.3): same Request-URI,
/// top Via, From, Call-ID and CSeq number as the INVITE, the response's To.
inline std::string ack_for_failure(std::string_view inv, std::string_view resp) {
    std::string r = "ACK " + request_uri(inv) + " SIP/2.0\r\n";
    r += "Via: " + headers(inv, "Via").front() + "\r\n";
    r += "Max-Forwards: 70\r\n";
    r += "From: " + header(inv, "From") + "\r\n";
    r += "To: " + header(resp, "To") + "\r\n";
    r += "Call-ID: " + header(inv, "Call-ID") + "\r\n";
    const std::string cseq = header(inv, "CSeq");
    r += "CSeq: " + cseq.substr(0, cseq.find(' ')) + " ACK\r\nContent-Length: 0\r\n\r\n";
    return r;
}

/// A request of the UAC inside the dialog a 2xx to `inv` set up (RFC 3261 §12.2.1.1): to the
/// 2xx's Contact, with the route set from its Record-Route (reversed), From of the INVITE, To of
/// the 2xx.
inline std::string in_dialog(std::string_view method_name, std::string_view inv,
                             std::string_view ok, std::uint32_t cseq, std::string_view via_host,
                             std::string_view branch) {
    std::string r = std::string(method_name) + " " + uri_of(header(ok, "Contact")) + " SIP/2.0\r\n";
    r += "Via: SIP/2.0/UDP " + std::string(via_host) + ";branch=" + std::string(branch) + ";rport\r\n";
    r += "Max-Forwards: 70\r\n";
    std::vector<std::string> rr = headers(ok, "Record-Route");
    for (auto it = rr.rbegin(); it != rr.rend(); ++it) r += "Route: " + *it + "\r\n";
    r += "From: " + header(inv, "From") + "\r\n";
    r += "To: " + header(ok, "To") + "\r\n";
    r += "Call-ID: " + header(inv, "Call-ID") + "\r\n";
    r += "CSeq: " + std::to_string(cseq) + " " + std::string(method_name) + "\r\n";
    r += "Content-Length: 0\r\n\r\n";
    return r;
}

/// The Proxy-Authorization answering the first MD5 challenge of a 407 (RFC 7616 §3.4, qop=auth),
/// or "" when the 407 offers no MD5 challenge.
inline std::string proxy_authorization(std::string_view resp407, std::string_view user,
                                       std::string_view password, std::string_view method_name,
                                       std::string_view uri, std::string_view nc = "00000001") {
    for (const std::string& ch : headers(resp407, "Proxy-Authenticate")) {
        auto field = [&](std::string_view name) {
            const std::string key = std::string(name) + "=";
            std::size_t p = 0;
            while ((p = ch.find(key, p)) != std::string::npos) {
                if (p == 0 || ch[p - 1] == ' ' || ch[p - 1] == ',') break;
                ++p;
            }
            if (p == std::string::npos) return std::string();
            p += key.size();
            if (p < ch.size() && ch[p] == '"') return ch.substr(p + 1, ch.find('"', p + 1) - p - 1);
            return ch.substr(p, ch.find_first_of(", ", p) - p);
        };
        const std::string alg = field("algorithm");
        if (!alg.empty() && !iequal(alg, "MD5")) continue;
        const std::string realm = field("realm"), nonce = field("nonce");
        char ha1[64], resp[64];
        const std::size_t h = sip::compute_ha1(sip::HashAlgorithm::md5, user, realm, password, ha1, sizeof ha1);
        const std::size_t n = sip::compute_response(sip::HashAlgorithm::md5, {ha1, h}, nonce, nc,
                                                    "0a4f113b", "auth", method_name, uri, resp, sizeof resp);
        return "Proxy-Authorization: Digest username=\"" + std::string(user) + "\", realm=\"" + realm +
               "\", nonce=\"" + nonce + "\", uri=\"" + std::string(uri) + "\", response=\"" +
               std::string(resp, n) + "\", algorithm=MD5, qop=auth, nc=" + std::string(nc) +
               ", cnonce=\"0a4f113b\"\r\n";
    }
    return {};
}

}  // namespace palisade::dp::peer
