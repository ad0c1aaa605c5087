#include "dataplane/sip_stage.hpp"

#include <cstring>

#include "parsers/sip/scan.hpp"
#include "parsers/sip/uri.hpp"
#include "parsers/sip/validate.hpp"
#include "parsers/sip/values.hpp"

namespace palisade::dp {
namespace {

using sip::HeaderId;
using sip::Method;

constexpr std::uint32_t mask_of(std::uint8_t len) noexcept {
    return len == 0 ? 0u : (len >= 32 ? 0xffff'ffffu : ~((1u << (32 - len)) - 1u));
}

/// Dotted quad to host-order integer; false when not exactly an IPv4 address.
bool parse_ipv4(std::string_view s, std::uint32_t& out) noexcept {
    std::uint32_t v = 0;
    int parts = 0;
    std::size_t i = 0;
    while (parts < 4) {
        std::uint32_t octet = 0;
        std::size_t digits = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9' && digits < 3) {
            octet = octet * 10 + static_cast<std::uint32_t>(s[i] - '0');
            ++i;
            ++digits;
        }
        if (digits == 0 || octet > 255) return false;
        v = (v << 8) | octet;
        ++parts;
        if (parts < 4) {
            if (i >= s.size() || s[i] != '.') return false;
            ++i;
        }
    }
    if (i != s.size()) return false;
    out = v;
    return true;
}

/// Writes a.b.c.d; returns the length (at most 15).
std::size_t format_ipv4(std::uint32_t ip, char* out) noexcept {
    std::size_t n = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        const unsigned octet = (ip >> shift) & 0xffu;
        if (octet >= 100) out[n++] = static_cast<char>('0' + octet / 100);
        if (octet >= 10) out[n++] = static_cast<char>('0' + octet / 10 % 10);
        out[n++] = static_cast<char>('0' + octet % 10);
        if (shift != 0) out[n++] = '.';
    }
    return n;
}

std::size_t format_uint(std::uint32_t v, char* out) noexcept {
    char digits[10];
    std::size_t d = 0;
    do {
        digits[d++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    std::size_t n = 0;
    while (d > 0) out[n++] = digits[--d];
    return n;
}

/// RFC 3261 §18.2.1 and RFC 3581 §4: the top Via of the response carries `received` (the
/// source address) when the sent-by host is not that address or rport was asked for, and
/// `rport=<source port>` when rport was asked for. Writes the rewritten via-parm (the request's
/// `top`, parsed into `via`, without its rport/received params, then ours) into parm and
/// returns its size; 0 when nothing is to be added or it does not fit (the Via is then copied
/// verbatim).
std::size_t stamped_top_via(std::string_view top, const sip::Via& via, const SipSource& src,
                            char (&parm)[512]) noexcept {
    char addr[16];
    const std::size_t addr_len = format_ipv4(src.src_ip, addr);
    const bool host_is_source = via.host_kind == sip::HostKind::ipv4 &&
                                via.host == std::string_view(addr, addr_len);
    if (host_is_source && !via.has_rport) return 0;
    std::size_t len = 0;
    const char* cursor = top.data();
    const char* const top_end = top.data() + top.size();
    auto copy = [&](const char* from, const char* to) noexcept {
        const auto k = static_cast<std::size_t>(to - from);
        if (len + k > sizeof parm) return false;
        std::memcpy(parm + len, from, k);
        len += k;
        return true;
    };
    for (const sip::Param& p : sip::ParamRange(via.params)) {
        if (!sip::iequals(p.name, "rport") && !sip::iequals(p.name, "received")) continue;
        const char* begin = p.name.data();
        while (begin > cursor && begin[-1] != ';') --begin;
        if (begin > cursor) --begin;  // the ';'
        const char* end = p.has_value ? p.value.data() + p.value.size() : p.name.data() + p.name.size();
        if (begin < cursor || end > top_end || !copy(cursor, begin)) return 0;
        cursor = end;
    }
    if (!copy(cursor, top_end)) return 0;
    if (len + 10 + addr_len + 7 + 5 > sizeof parm) return 0;
    std::memcpy(parm + len, ";received=", 10);
    len += 10;
    std::memcpy(parm + len, addr, addr_len);
    len += addr_len;
    if (via.has_rport) {
        std::memcpy(parm + len, ";rport=", 7);
        len += 7;
        len += format_uint(src.src_port, parm + len);
    }
    return len;
}

/// Copies n bytes with fixed-size moves for the short pieces a response is made of (header
/// lines of a few dozen bytes): no call per piece.
inline void copy_bytes(char* d, const char* s, std::size_t n) noexcept {
    if (n >= 16) {
        if (n <= 32) {
            std::memcpy(d, s, 16);
            std::memcpy(d + n - 16, s + n - 16, 16);
        } else if (n <= 64) {
            std::memcpy(d, s, 32);
            std::memcpy(d + n - 32, s + n - 32, 32);
        } else {
            std::memcpy(d, s, n);
        }
    } else if (n >= 8) {
        std::memcpy(d, s, 8);
        std::memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4) {
        std::memcpy(d, s, 4);
        std::memcpy(d + n - 4, s + n - 4, 4);
    } else {
        for (std::size_t i = 0; i < n; ++i) d[i] = s[i];
    }
}

/// Appends into a fixed buffer (sip::Builder's contract, inlined): the first piece that does
/// not fit fails the whole reply.
class ReplyWriter {
public:
    explicit ReplyWriter(std::span<char> out) noexcept
        : p_(out.data()), end_(out.data() + out.size()) {}
    ReplyWriter& put(std::string_view s) noexcept {
        if (s.size() > static_cast<std::size_t>(end_ - p_)) {
            end_ = p_;  // nothing more fits
            ok_ = false;
        } else {
            copy_bytes(p_, s.data(), s.size());
            p_ += s.size();
        }
        return *this;
    }
    bool ok() const noexcept { return ok_; }
    char* pos() const noexcept { return p_; }

private:
    char* p_;
    char* end_;
    bool ok_ = true;
};

/// What sip::build_response writes (RFC 3261 §8.2.6.2: the status line, every Via line in
/// order, From, To with our tag when it has none, Call-ID, CSeq, the extra lines,
/// Content-Length), with the top via-parm replaced by parm[0, parm_len) when parm_len != 0:
/// one pass, straight into the reply buffer, reusing what validation parsed (the To tag)
/// instead of parsing it again. code is 100..699. Returns the size, 0 when it does not fit.
std::size_t compose_response(const sip::Message& req, int code, std::string_view phrase,
                             std::string_view to_tag, bool to_has_tag, std::string_view extra,
                             std::string_view top, const char* parm, std::size_t parm_len,
                             std::span<char> out) noexcept {
    ReplyWriter w(out);
    const char status[12] = {'S', 'I', 'P', '/', '2', '.', '0', ' ',
                             static_cast<char>('0' + code / 100),
                             static_cast<char>('0' + code / 10 % 10),
                             static_cast<char>('0' + code % 10), ' '};
    w.put({status, sizeof status}).put(phrase).put("\r\n");
    bool first = true;
    for (const sip::HeaderField& f : req.fields(HeaderId::via)) {
        if (first && parm_len != 0) {
            // The top via-parm lies inside the first Via field line (checked by the caller).
            const auto at = static_cast<std::size_t>(top.data() - f.line.data());
            w.put(f.line.substr(0, at)).put({parm, parm_len}).put(f.line.substr(at + top.size()));
        } else {
            w.put(f.line);
        }
        first = false;
    }
    if (const sip::HeaderField* f = req.find(HeaderId::from)) w.put(f->line);
    if (const sip::HeaderField* f = req.find(HeaderId::to)) {
        if (code > 100 && !to_tag.empty() && !to_has_tag) {
            // The field as written up to the end of its value (folds kept), then the tag.
            const auto value_end =
                static_cast<std::size_t>(f->value.data() + f->value.size() - f->line.data());
            w.put(f->line.substr(0, value_end)).put(";tag=").put(to_tag).put("\r\n");
        } else {
            w.put(f->line);
        }
    }
    if (const sip::HeaderField* f = req.find(HeaderId::call_id)) w.put(f->line);
    if (const sip::HeaderField* f = req.find(HeaderId::cseq)) w.put(f->line);
    // No body: RFC 3261 §20.14 Content-Length, always written.
    w.put(extra).put("Content-Length: 0\r\n\r\n");
    return w.ok() ? static_cast<std::size_t>(w.pos() - out.data()) : 0;
}

// Extra header lines of the answers (RFC 3261 §11.2: Allow, Accept, Supported in a 200 to
// OPTIONS; §21.4.6: Allow in a 405).
constexpr std::string_view kOptionsLines =
    "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER\r\n"
    "Accept: application/sdp\r\n"
    "Supported: timer\r\n";
constexpr std::string_view kAllowLine = "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER\r\n";

}  // namespace

KnownSources::KnownSources(const std::vector<TrunkSpec>& trunks) {
    for (const TrunkSpec& t : trunks)
        for (const Ipv4Prefix& p : t.subnets) add(p);
}

void KnownSources::add(Ipv4Prefix p) {
    const std::uint32_t m = mask_of(p.len);
    prefixes_.push_back({p.addr & m, m});
}

bool KnownSources::contains(std::uint32_t ip) const noexcept {
    for (const Masked& p : prefixes_)
        if ((ip & p.mask) == p.net) return true;
    return false;
}

SipStage::SipStage(const KnownSources* known, std::span<const std::uint32_t> our_addresses,
                   unsigned worker, std::uint64_t tag_salt) noexcept
    : known_(known), worker_(worker), tag_counter_(tag_salt) {
    for (std::uint32_t a : our_addresses) {
        if (our_count_ < ours_.size()) ours_[our_count_++] = a;
    }
}

std::string_view SipStage::next_tag() noexcept {
    // "pl" + worker (hex) + "." + counter (hex): unique per worker, and the salt (start-up
    // time) keeps a restarted daemon from repeating tags (RFC 3261 §19.3: globally unique).
    constexpr char kHex[] = "0123456789abcdef";
    std::size_t n = 0;
    tag_[n++] = 'p';
    tag_[n++] = 'l';
    tag_[n++] = kHex[(worker_ >> 4) & 0xf];
    tag_[n++] = kHex[worker_ & 0xf];
    tag_[n++] = '.';
    const std::uint64_t v = ++tag_counter_;
    for (int shift = 60; shift >= 0; shift -= 4) tag_[n++] = kHex[(v >> shift) & 0xf];
    return {tag_.data(), n};
}

bool SipStage::addressed_to_us(std::string_view request_uri) const noexcept {
    sip::Uri uri;
    if (sip::parse_uri(request_uri, uri) != sip::Reason::none) return false;
    return addressed_to_us(uri);
}

bool SipStage::addressed_to_us(const sip::Uri& uri) const noexcept {
    if (uri.scheme != sip::UriScheme::sip && uri.scheme != sip::UriScheme::sips) return false;
    if (uri.user.empty()) return true;
    std::uint32_t ip = 0;
    if (uri.host_kind != sip::HostKind::ipv4 || !parse_ipv4(uri.host, ip)) return false;
    for (std::size_t i = 0; i < our_count_; ++i)
        if (ours_[i] == ip) return true;
    return false;
}

bool SipStage::respond(const sip::Message& msg, int code, std::string_view phrase,
                       std::string_view extra_lines, const sip::Validated* valid,
                       const SipSource& src, std::span<char> out, SipOutcome& o,
                       WorkerCounters& c) noexcept {
    if (valid != nullptr) {
        // Validation parsed the top Via and the To of a valid request: not again.
        return respond_via(msg, code, phrase, extra_lines, valid->top_via,
                           !valid->to.tag.empty(), src, out, o, c);
    }
    // Only a malformed request gets here: with no usable Via there is no one to answer
    // (RFC 3261 §18.2.2).
    const sip::ValueRange vias = msg.values(HeaderId::via);
    auto it = vias.begin();
    sip::Via via;
    if (it == vias.end() || sip::parse_via(*it, via) != sip::Reason::none) {
        c.add(src.port_id, Counter::sip_malformed_request_dropped);
        return false;
    }
    // build_response's rule: a To that does not parse gets no tag.
    sip::NameAddr to{};
    const sip::HeaderField* f = msg.find(HeaderId::to);
    const bool to_has_tag = f == nullptr ||
                            sip::parse_name_addr(f->value, to) != sip::Reason::none ||
                            !to.tag.empty();
    return respond_via(msg, code, phrase, extra_lines, via, to_has_tag, src, out, o, c);
}

bool SipStage::respond_via(const sip::Message& msg, int code, std::string_view phrase,
                           std::string_view extra_lines, const sip::Via& via, bool to_has_tag,
                           const SipSource& src, std::span<char> out, SipOutcome& o,
                           WorkerCounters& c) noexcept {
    // RFC 3261 §18.2.2 over UDP (no maddr handling: we never join multicast): back to the source
    // address (what `received` would say), to the source port when the top Via asks for rport
    // (RFC 3581 §4), else to the sent-by port or 5060.
    const sip::HeaderField* first_via = msg.find(HeaderId::via);
    const sip::ValueRange vias = msg.values(HeaderId::via);
    auto it = vias.begin();
    if (it == vias.end() || first_via == nullptr) {
        c.add(src.port_id, Counter::sip_malformed_request_dropped);
        return false;
    }
    const std::string_view top = *it;
    std::uint16_t port = 5060;
    if (via.has_rport) {
        port = src.src_port;
    } else if (via.port != 0) {
        port = via.port;
    }
    char parm[512];
    std::size_t parm_len = 0;
    if (top.data() >= first_via->line.data() &&
        top.data() + top.size() <= first_via->line.data() + first_via->line.size())
        parm_len = stamped_top_via(top, via, src, parm);
    const std::string_view tag = code > 100 ? next_tag() : std::string_view{};
    std::size_t n = compose_response(msg, code, phrase, tag, to_has_tag, extra_lines, top, parm,
                                     parm_len, out);
    // Too large with received/rport added: the Via verbatim, as before it was stamped.
    if (n == 0 && parm_len != 0)
        n = compose_response(msg, code, phrase, tag, to_has_tag, extra_lines, top, parm, 0, out);
    if (n == 0) {
        c.add(src.port_id, Counter::sip_reply_failed);
        return false;
    }
    o.action = SipOutcome::Action::reply;
    o.reply_ip = src.src_ip;
    o.reply_port = port;
    o.reply_length = n;
    return true;
}

SipOutcome SipStage::handle(const sip::Message& msg, sip::ParseStatus status, const SipSource& src,
                            std::span<char> reply_buffer, WorkerCounters& c) noexcept {
    // Brute-force protection (issue 5 point 4): a blocked source gets nothing, not even a 400;
    // an answer would tell a guesser it is still being heard.
    if (location_ != nullptr && location_->is_blocked(src.src_ip, now_s_)) {
        c.add(src.port_id, Counter::sip_blocked_source_dropped);
        return {};
    }
    const bool framed_start = status == sip::ParseStatus::ok || !msg.start_line().empty();
    if (!framed_start) {
        // Not even a start line: neither a request to answer nor a response to route.
        c.add(src.port_id, Counter::steer_unparsable);
        return {};
    }
    if (msg.is_request()) return handle_request(msg, src, reply_buffer, c);
    if (msg.status_code() != 0) return handle_response(msg, status, src, c);
    c.add(src.port_id, Counter::steer_unparsable);
    return {};
}

SipOutcome SipStage::handle_response(const sip::Message& msg, sip::ParseStatus status,
                                     const SipSource& src, WorkerCounters& c) noexcept {
    SipOutcome o;
    c.add(src.port_id, Counter::sip_responses);
    // RFC 3261 §16.7 / §18.1.2: a malformed response is dropped, silently.
    // Validation parses the top Via: its branch names the originator.
    sip::Validated& v = validated_;
    if (status != sip::ParseStatus::ok || sip::validate_response(msg, v) != sip::Reason::none) {
        c.add(src.port_id, Counter::sip_malformed_response_dropped);
        return o;
    }
    const BranchOwner bo = parse_branch(v.top_via.branch);
    if (bo.kind == BranchOwner::Kind::control_plane) {
        o.action = SipOutcome::Action::punt;
        o.punt_kind = RingKind::sip_cp_response;
        c.add(src.port_id, Counter::sip_cp_response_punted);
        return o;
    }
    // RFC 3261 §16.7: a response is matched by the branch we put in our Via; steering brought
    // it to the worker the branch names, whose proxy holds the client transaction.
    if (bo.kind == BranchOwner::Kind::worker && bo.worker == worker_) {
        o.action = SipOutcome::Action::proxy;
        c.add(src.port_id, Counter::sip_proxy_responses);
        return o;
    }
    // Not a branch of ours (or another worker's that steering could not reach): no
    // transaction to match (RFC 3261 §16.7 step 1: a stray response is dropped).
    c.add(src.port_id, Counter::sip_response_unmatched);
    return o;
}

SipOutcome SipStage::handle_request(const sip::Message& msg, const SipSource& src,
                                    std::span<char> out, WorkerCounters& c) noexcept {
    SipOutcome o;
    c.add(src.port_id, Counter::sip_requests);
    // Who may send requests: on the access side the trunks' subnets and registered contacts;
    // on the core side only the configured core peers (the carrier), so that nothing else can
    // place an "inbound" call to a DID.
    const bool core_side = side_of(src.iface) == Side::core;
    const bool known =
        core_side ? known_core_peer(src.src_ip) : known_source(src.src_ip, src.src_port);
    // What validation parses (Request-URI, top Via, To, Max-Forwards) is reused below. A
    // member, not a local: a fresh Validated is ~1 KiB to clear per request (a memset), and
    // every field read below is rewritten by a validation that returns Reason::none.
    sip::Validated& v = validated_;
    sip::Reason why = msg.status() == sip::ParseStatus::ok
                          ? sip::validate_request(msg, sip::ValidateOptions{}, v)
                          : msg.reason();
    if (msg.status() == sip::ParseStatus::incomplete) {
        // Over UDP a datagram is the whole message (RFC 3261 §18.3): what is missing never comes.
        if (why == sip::Reason::none) why = sip::Reason::headers_unterminated;
    }
    if (why != sip::Reason::none) {
        if (!known) {
            c.add(src.port_id, Counter::sip_malformed_request_dropped);
            return o;
        }
        // Never answer an ACK (RFC 3261 §17.2.1: no response to ACK); and without a Via there
        // is no one to send a response to.
        if (msg.method() == Method::ack || msg.count(HeaderId::via) == 0) {
            c.add(src.port_id, Counter::sip_malformed_request_dropped);
            return o;
        }
        const int code = sip::status_for(why);
        char phrase[160];
        std::string_view base = code == 505 ? "Version Not Supported"
                              : code == 416 ? "Unsupported URI Scheme"
                                            : "Bad Request";
        const std::string_view text = sip::reason_text(why);
        // "Bad Request (no Call-ID header)": the reason in the phrase, RFC 3261 §21.4.1 allows it.
        std::size_t n = 0;
        for (char ch : base) phrase[n++] = ch;
        if (!text.empty() && n + text.size() + 3 < sizeof phrase) {
            phrase[n++] = ' ';
            phrase[n++] = '(';
            for (char ch : text) phrase[n++] = ch;
            phrase[n++] = ')';
        }
        if (respond(msg, code == 0 ? 400 : code, {phrase, n}, {}, nullptr, src, out, o, c)) {
            c.add(src.port_id, code == 505   ? Counter::sip_version_rejected
                               : code == 416 ? Counter::sip_uri_scheme_rejected
                                             : Counter::sip_malformed_request_rejected);
        }
        return o;
    }
    if (!known) {
        c.add(src.port_id, core_side ? Counter::sip_core_unknown_source_dropped
                                     : Counter::sip_unknown_source_dropped);
        return o;
    }
    const Method m = msg.method();
    const bool for_us = addressed_to_us(v.request_uri);
    if (m == Method::ack) {
        // Never answered (RFC 3261 §17.2.1). The proxy absorbs the ACK of a non-2xx final
        // answer in its server transaction and routes the end-to-end ACK of a 2xx by its dialog
        // (§13.2.2.4); its Request-URI is our Contact, so "for us" says nothing here.
        o.action = SipOutcome::Action::proxy;
        c.add(src.port_id, Counter::sip_proxy_requests);
        return o;
    }
    // RFC 3261 §16.3 item 3: a request we would forward with Max-Forwards 0 gets 483. Only an
    // OPTIONS or a REGISTER addressed to Palisade is answered here; every call goes on (a
    // PBX's INVITE names Palisade's address as host too, with the callee as user).
    const bool answered_here = for_us && (m == Method::options || m == Method::register_);
    if (!answered_here) {
        // Validation checked it: at most one, in range; -1 when absent.
        if (v.max_forwards == 0) {
            if (respond(msg, 483, "Too Many Hops", {}, &v, src, out, o, c))
                c.add(src.port_id, Counter::sip_max_forwards_exhausted);
            return o;
        }
    }
    switch (m) {
    case Method::options:
        if (for_us) {
            // RFC 3261 §11.2; §16.3 item 3 lets a proxy answer an OPTIONS with Max-Forwards 0
            // that is addressed to itself.
            if (respond(msg, 200, "OK", kOptionsLines, &v, src, out, o, c))
                c.add(src.port_id, Counter::sip_options_answered);
        } else {
            // An OPTIONS for a user (a PBX's or the carrier's): in dialog it is routed, out of
            // dialog the proxy answers it.
            o.action = SipOutcome::Action::proxy;
            c.add(src.port_id, Counter::sip_proxy_requests);
        }
        return o;
    case Method::register_:
        o.action = SipOutcome::Action::punt;
        o.punt_kind = RingKind::sip_register;
        c.add(src.port_id, Counter::sip_register_punted);
        return o;
    case Method::invite:
    case Method::bye:
    case Method::cancel:
        // Calls: the proxy core (new INVITEs to the policy, in-dialog requests by dialog
        // state, CANCEL to its pending INVITE; 481 when nothing matches).
        o.action = SipOutcome::Action::proxy;
        c.add(src.port_id, Counter::sip_proxy_requests);
        return o;
    default:
        if (!v.to.tag.empty()) {
            // In dialog (RFC 3261 §12.2: To carries a tag): the proxy routes the methods the
            // config allows in dialog and answers 405 (or 481) to the rest.
            o.action = SipOutcome::Action::proxy;
            c.add(src.port_id, Counter::sip_proxy_requests);
            return o;
        }
        // RFC 3261 §8.2.1: 405 with Allow for a method we do not handle out of dialog.
        if (respond(msg, 405, "Method Not Allowed", kAllowLine, &v, src, out, o, c))
            c.add(src.port_id, Counter::sip_method_not_allowed);
        return o;
    }
}

}  // namespace palisade::dp
