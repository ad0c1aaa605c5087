// Proxy checks of RFC 3261 §16.3 / §16.6 and RFC 3581 as edits; see transaction.hpp.
#include "dataplane/sip/transaction.hpp"

#include "dataplane/contract/config_spec.hpp"
#include "dataplane/contract/rings.hpp"
#include "parsers/sip/uri.hpp"

namespace palisade::dp {

TxTimers timers_from(const SipSettings& s) noexcept {
    TxTimers t;
    if (s.t1_ms != 0) t.t1_ms = s.t1_ms;
    if (s.t2_ms != 0) t.t2_ms = s.t2_ms;
    if (s.t4_ms != 0) t.t4_ms = s.t4_ms;
    t.timer_b_ms = s.invite_timeout_ms != 0 ? s.invite_timeout_ms : 64u * t.t1_ms;
    // §17.1.1.2: Timer D at least 32 s for unreliable transports; 64*T1 when T1 was raised.
    t.timer_d_ms = 64u * t.t1_ms > 32000u ? 64u * t.t1_ms : 32000u;
    return t;
}

std::string_view timer_name(TimerId t) noexcept {
    switch (t) {
        case TimerId::none:
            return "none";
        case TimerId::a:
            return "A";
        case TimerId::b:
            return "B";
        case TimerId::c:
            return "C";
        case TimerId::d:
            return "D";
        case TimerId::e:
            return "E";
        case TimerId::f:
            return "F";
        case TimerId::g:
            return "G";
        case TimerId::h:
            return "H";
        case TimerId::i:
            return "I";
        case TimerId::j:
            return "J";
        case TimerId::k:
            return "K";
        case TimerId::l:
            return "L";
        case TimerId::m:
            return "M";
        case TimerId::trying:
            return "trying";
        case TimerId::guard:
            return "guard";
    }
    return "?";
}

std::string_view state_name(TxState s) noexcept {
    switch (s) {
        case TxState::free:
            return "free";
        case TxState::calling:
            return "calling";
        case TxState::trying:
            return "trying";
        case TxState::proceeding:
            return "proceeding";
        case TxState::completed:
            return "completed";
        case TxState::confirmed:
            return "confirmed";
        case TxState::accepted:
            return "accepted";
        case TxState::terminated:
            return "terminated";
    }
    return "?";
}

namespace {

std::size_t format_uint(std::uint32_t v, std::span<char> out) noexcept {
    char digits[10];
    std::size_t d = 0;
    do {
        digits[d++] = static_cast<char>('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    if (out.size() < d) return 0;
    std::size_t n = 0;
    while (d > 0) out[n++] = digits[--d];
    return n;
}

bool parse_ipv4(std::string_view s, std::uint32_t& ip) noexcept {
    std::uint32_t value = 0;
    std::uint32_t octet = 0;
    int digits = 0;
    int dots = 0;
    for (char c : s) {
        if (c >= '0' && c <= '9') {
            octet = octet * 10u + static_cast<std::uint32_t>(c - '0');
            if (++digits > 3 || octet > 255) return false;
        } else if (c == '.') {
            if (digits == 0 || ++dots > 3) return false;
            value = (value << 8) | octet;
            octet = 0;
            digits = 0;
        } else {
            return false;
        }
    }
    if (dots != 3 || digits == 0) return false;
    ip = (value << 8) | octet;
    return true;
}

struct Fnv {
    std::uint32_t h = 2166136261u;
    void add(std::string_view s) noexcept {
        for (char c : s) {
            h ^= static_cast<unsigned char>(c);
            h *= 16777619u;
        }
        h ^= 0xffu;  // separator, so that ("ab","c") and ("a","bc") differ
        h *= 16777619u;
    }
    void add(std::uint32_t v) noexcept {
        for (int i = 0; i < 4; ++i) {
            h ^= (v >> (8 * i)) & 0xffu;
            h *= 16777619u;
        }
    }
};

}  // namespace

std::size_t format_ipv4(std::uint32_t ip, std::span<char> out) noexcept {
    if (out.size() < 15) return 0;
    std::size_t n = 0;
    for (int i = 3; i >= 0; --i) {
        n += format_uint((ip >> (8 * i)) & 0xffu, out.subspan(n));
        if (i != 0) out[n++] = '.';
    }
    return n;
}

MaxForwardsResult max_forwards_edit(const sip::Message& msg, const sip::Validated& v,
                                    std::span<char> scratch, sip::EditList& edits) noexcept {
    if (v.max_forwards < 0) {
        // §16.6 item 3: a proxy adds Max-Forwards with 70 when the request had none.
        return edits.append_field("Max-Forwards: 70\r\n") ? MaxForwardsResult::inserted
                                                          : MaxForwardsResult::no_space;
    }
    if (v.max_forwards == 0) return MaxForwardsResult::too_many_hops;  // §16.3 item 3: 483
    const sip::HeaderField* f = msg.find(sip::HeaderId::max_forwards);
    if (f == nullptr) return MaxForwardsResult::no_space;  // cannot happen after validation
    const std::size_t n = format_uint(static_cast<std::uint32_t>(v.max_forwards - 1), scratch);
    if (n == 0) return MaxForwardsResult::no_space;
    return edits.replace(f->value, std::string_view(scratch.data(), n))
               ? MaxForwardsResult::decremented
               : MaxForwardsResult::no_space;
}

std::uint32_t loop_hash(const sip::Message& msg, const sip::Validated& v,
                        std::uint32_t context) noexcept {
    Fnv f;
    f.add(msg.request_uri());
    f.add(v.to.tag);
    f.add(v.from.tag);
    f.add(v.call_id);
    f.add(v.cseq.number);
    for (const sip::HeaderField& h : msg.fields(sip::HeaderId::proxy_require)) f.add(h.value);
    for (const sip::HeaderField& h : msg.fields(sip::HeaderId::proxy_authorization)) f.add(h.value);
    f.add(context);
    return f.h;
}

bool branch_loop_hash(std::string_view branch, std::uint32_t& hash) noexcept {
    if (parse_branch(branch).kind == BranchOwner::Kind::none) return false;
    const std::size_t dash = branch.rfind('-');
    if (dash == std::string_view::npos) return false;
    const std::string_view hex = branch.substr(dash + 1);
    if (hex.empty() || hex.size() > 16) return false;
    std::uint64_t u = 0;
    for (char c : hex) {
        unsigned d;
        if (c >= '0' && c <= '9')
            d = static_cast<unsigned>(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = static_cast<unsigned>(c - 'a' + 10);
        else
            return false;
        u = (u << 4) | d;
    }
    hash = static_cast<std::uint32_t>(u >> 32);
    return true;
}

bool detect_loop(const sip::Message& msg, std::uint32_t hash) noexcept {
    for (std::string_view value : msg.values(sip::HeaderId::via)) {
        sip::Via via;
        if (sip::parse_via(value, via) != sip::Reason::none) continue;
        std::uint32_t h = 0;
        if (branch_loop_hash(via.branch, h) && h == hash) return true;
    }
    return false;
}

bool via_received_edit(const sip::Via& top, Endpoint source, std::span<char> scratch,
                       sip::EditList& edits) noexcept {
    if (scratch.size() < 48) return false;
    // rport present without a value: fill it (RFC 3581 §4), and received= becomes mandatory.
    sip::Param rport;
    const bool fill_rport = top.has_rport && top.rport < 0 &&
                            sip::find_param(top.params, "rport", rport) && !rport.has_value;
    std::uint32_t sent_ip = 0;
    const bool same_ip = top.host_kind == sip::HostKind::ipv4 && parse_ipv4(top.host, sent_ip) &&
                         sent_ip == source.ip;
    std::size_t n = 0;
    if (fill_rport) {
        scratch[n++] = '=';
        const std::size_t d = format_uint(source.port, scratch.subspan(n));
        if (!edits.insert(rport.name.data() + rport.name.size(),
                          std::string_view(scratch.data(), n + d)))
            return false;
        n += d;
    }
    if (same_ip && !fill_rport) return true;  // §18.2.1: received only when sent-by differs
    const std::size_t start = n;
    sip::Param received;
    if (sip::find_param(top.params, "received", received) && received.has_value) {
        // A received= the sender wrote itself is replaced by what we saw.
        const std::size_t ipn = format_ipv4(source.ip, scratch.subspan(n));
        return edits.replace(received.value, std::string_view(scratch.data() + start, ipn));
    }
    constexpr std::string_view kReceived = ";received=";
    for (char c : kReceived) scratch[n++] = c;
    n += format_ipv4(source.ip, scratch.subspan(n));
    const char* end = top.params.empty() ? top.sent_by.data() + top.sent_by.size()
                                         : top.params.data() + top.params.size();
    return edits.insert(end, std::string_view(scratch.data() + start, n - start));
}

Endpoint response_address(const sip::Via& top, Endpoint source) noexcept {
    Endpoint to{source.ip, top.port != 0 ? top.port : static_cast<std::uint16_t>(5060)};
    if (top.has_rport) to.port = source.port;
    return to;
}

}  // namespace palisade::dp
