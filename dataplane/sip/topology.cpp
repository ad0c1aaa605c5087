#include "dataplane/sip/topology.hpp"

#include <cstring>

#include "parsers/sip/values.hpp"

namespace palisade::dp {

TextArena& TextArena::add(std::string_view s) noexcept {
    if (!ok_) return *this;
    if (s.size() > buf_.size() - used_) {
        ok_ = false;
        return *this;
    }
    if (!s.empty()) std::memcpy(buf_.data() + used_, s.data(), s.size());
    used_ += s.size();
    return *this;
}

TextArena& TextArena::num(std::uint64_t v) noexcept {
    char d[20];
    std::size_t k = 0;
    do {
        d[k++] = static_cast<char>('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    char out[20];
    for (std::size_t i = 0; i < k; ++i) out[i] = d[k - 1 - i];
    return add({out, k});
}

TextArena& TextArena::ip(std::uint32_t addr) noexcept {
    char b[16];
    const std::size_t n = format_ipv4(addr, b);
    return add({b, n});
}

namespace {

// The value part of a name-addr header value: the URI's host[:port] slice to replace.
bool replace_host(std::string_view value, std::uint32_t us, TextArena& arena,
                  sip::EditList& edits) noexcept {
    sip::NameAddr na;
    if (sip::parse_name_addr(value, na) != sip::Reason::none) return true;  // left as is
    if (na.uri.scheme != sip::UriScheme::sip && na.uri.scheme != sip::UriScheme::sips) return true;
    const std::string_view hp = na.uri.hostport();
    if (hp.empty()) return true;
    const std::string_view text = arena.begin().ip(us).end();
    return arena.ok() && edits.replace(hp, text);
}

}  // namespace

bool rewrite_identity_hosts(const sip::Message& msg, std::uint32_t us, unsigned which,
                            TextArena& arena, sip::EditList& edits) noexcept {
    if ((which & kHostFrom) != 0)
        if (const sip::HeaderField* f = msg.find(sip::HeaderId::from))
            if (!replace_host(f->value, us, arena, edits)) return false;
    if ((which & kHostTo) != 0)
        if (const sip::HeaderField* f = msg.find(sip::HeaderId::to))
            if (!replace_host(f->value, us, arena, edits)) return false;
    if ((which & kHostIdentity) == 0) return true;
    for (const sip::HeaderId id : {sip::HeaderId::p_asserted_identity, sip::HeaderId::p_preferred_identity,
                                   sip::HeaderId::remote_party_id})
        for (std::string_view value : msg.values(id))
            if (!replace_host(value, us, arena, edits)) return false;
    return true;
}

bool rewrite_contacts(const sip::Message& msg, Endpoint us, TextArena& arena,
                      sip::EditList& edits) noexcept {
    for (const sip::HeaderField& f : msg.fields(sip::HeaderId::contact)) {
        sip::ContactValue cv;
        std::string_view user;
        for (std::string_view value : msg.values(sip::HeaderId::contact)) {
            if (value.data() < f.value.data() || value.data() >= f.value.data() + f.value.size())
                continue;
            if (sip::parse_contact(value, cv) == sip::Reason::none && !cv.star) user = cv.addr.uri.user;
            break;
        }
        arena.begin().add("<sip:");
        if (!user.empty()) arena.add(user).add("@");
        const std::string_view text = arena.ip(us.ip).add(":").num(us.port).add(">").end();
        if (!arena.ok() || !edits.replace(f.value, text)) return false;
    }
    return true;
}

std::string_view contact_uri(const sip::Message& msg) noexcept {
    for (std::string_view value : msg.values(sip::HeaderId::contact)) {
        sip::ContactValue cv;
        if (sip::parse_contact(value, cv) == sip::Reason::none && !cv.star) return cv.addr.uri_text;
        break;
    }
    return {};
}

std::string_view route_set(const sip::Message& msg, bool reverse, TextArena& arena) noexcept {
    std::string_view vals[16];
    std::size_t n = 0;
    for (std::string_view value : msg.values(sip::HeaderId::record_route)) {
        if (n == 16) break;
        vals[n++] = value;
    }
    if (n == 0) return {};
    arena.begin();
    for (std::size_t k = 0; k < n; ++k) {
        if (k != 0) arena.add(", ");
        arena.add(vals[reverse ? n - 1 - k : k]);
    }
    return arena.end();
}

std::string_view received_via_lines(const sip::Message& msg, const sip::Validated& v,
                                    Endpoint source, TextArena& arena) noexcept {
    arena.begin();
    bool top = true;
    for (std::string_view value : msg.values(sip::HeaderId::via)) {
        arena.add("Via: ");
        if (!top) {
            arena.add(value).add("\r\n");
            continue;
        }
        top = false;
        // RFC 3581 §4: a valueless rport gets the source port, and received= is then always
        // added; RFC 3261 §18.2.1: received= when sent-by is not the source address.
        sip::Param rport;
        const bool fill_rport = v.top_via.has_rport && v.top_via.rport < 0 &&
                                sip::find_param(v.top_via.params, "rport", rport);
        if (fill_rport) {
            const std::size_t cut =
                static_cast<std::size_t>(rport.name.data() + rport.name.size() - value.data());
            if (cut <= value.size()) {
                arena.add(value.substr(0, cut)).add("=").num(source.port).add(value.substr(cut));
            } else {
                arena.add(value);
            }
        } else {
            arena.add(value);
        }
        char ipbuf[16];
        const std::string_view src_ip{ipbuf, format_ipv4(source.ip, ipbuf)};
        if (v.top_via.received.empty() && (fill_rport || v.top_via.host != src_ip))
            arena.add(";received=").ip(source.ip);
        arena.add("\r\n");
    }
    return arena.end();
}

HideResult hide_request(const sip::Message& msg, const sip::Validated& v, const HideRequest& h,
                        TextArena& arena, sip::EditList& edits) noexcept {
    // RFC 3261 §16.6 item 8 puts our Via on top; topology hiding (DESIGN.md §1) removes the
    // others: the response brings ours back and the stack is restored from the transaction.
    const std::string_view via = arena.begin()
                                     .add("Via: SIP/2.0/UDP ")
                                     .ip(h.us.ip)
                                     .add(":")
                                     .num(h.us.port)
                                     .add(";branch=")
                                     .add(h.branch)
                                     .add(";rport\r\n")
                                     .end();
    if (!arena.ok()) return HideResult::no_space;
    bool first = true;
    for (const sip::HeaderField& f : msg.fields(sip::HeaderId::via)) {
        if (!(first ? edits.replace(f.line, via) : edits.remove_field(f))) return HideResult::no_space;
        first = false;
    }
    if (first && !edits.insert(msg.header(0).line.data(), via)) return HideResult::no_space;
    // Route and Record-Route stay in the dialog (§16.6 item 6 / §16.12 loose routing is done
    // by Palisade itself: it sends to the next hop the dialog knows).
    for (const sip::HeaderId id : {sip::HeaderId::route, sip::HeaderId::record_route})
        for (const sip::HeaderField& f : msg.fields(id))
            if (!edits.remove_field(f)) return HideResult::no_space;
    if (!h.routes.empty()) {
        const std::string_view line = arena.begin().add("Route: ").add(h.routes).add("\r\n").end();
        if (!arena.ok() || !edits.append_field(line)) return HideResult::no_space;
    }
    if (!h.request_uri.empty()) {
        const std::string_view uri = arena.copy(h.request_uri);
        if (!arena.ok() || !edits.replace(msg.request_uri(), uri)) return HideResult::no_space;
    }
    if (h.max_forwards) {
        char* mf = nullptr;
        {
            const std::string_view slot = arena.begin().add("    ").end();  // 4 octets
            if (!arena.ok()) return HideResult::no_space;
            mf = const_cast<char*>(slot.data());
        }
        switch (max_forwards_edit(msg, v, {mf, 4}, edits)) {
            case MaxForwardsResult::decremented:
            case MaxForwardsResult::inserted: break;
            case MaxForwardsResult::too_many_hops: return HideResult::too_many_hops;
            case MaxForwardsResult::no_space: return HideResult::no_space;
        }
    }
    if (!h.our_realm.empty()) {
        // Credentials for other realms belong to other elements and pass (RFC 3261 §22.3).
        for (const sip::HeaderField& f : msg.fields(sip::HeaderId::proxy_authorization)) {
            sip::DigestCredentials c;
            if (sip::parse_credentials(f.value, c) == sip::Reason::none && c.realm == h.our_realm &&
                !edits.remove_field(f))
                return HideResult::no_space;
        }
    }
    if (!rewrite_contacts(msg, h.us, arena, edits)) return HideResult::no_space;
    if (!rewrite_identity_hosts(msg, h.us.ip, h.hosts, arena, edits)) return HideResult::no_space;
    return HideResult::ok;
}

bool hide_response(const sip::Message& msg, const sip::Validated& v, const HideResponse& h,
                   TextArena& arena, sip::EditList& edits) noexcept {
    bool first = true;
    for (const sip::HeaderField& f : msg.fields(sip::HeaderId::via)) {
        if (!(first ? edits.replace(f.line, h.via_lines) : edits.remove_field(f))) return false;
        first = false;
    }
    if (first) return false;  // validated responses have a Via
    if (const sip::HeaderField* f = msg.find(sip::HeaderId::from); f != nullptr && !h.from_line.empty())
        if (!edits.replace(f->line, h.from_line)) return false;
    if (const sip::HeaderField* f = msg.find(sip::HeaderId::to); f != nullptr && !h.to_line.empty()) {
        // RFC 3261 §8.2.6.2: the response's To tag (the callee's) is added to the To as the
        // caller wrote it.
        std::string_view line = h.to_line;
        sip::NameAddr orig;
        const std::size_t colon = line.find(':');
        std::string_view value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
        while (!value.empty() && (value.back() == '\n' || value.back() == '\r' || value.back() == ' '))
            value.remove_suffix(1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        const bool had_tag = sip::parse_name_addr(value, orig) == sip::Reason::none && !orig.tag.empty();
        if (!had_tag && !v.to.tag.empty()) {
            std::string_view body = line;
            while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
            line = arena.begin().add(body).add(";tag=").add(v.to.tag).add("\r\n").end();
            if (!arena.ok()) return false;
        }
        if (!edits.replace(f->line, line)) return false;
    }
    for (const sip::HeaderField& f : msg.fields(sip::HeaderId::record_route))
        if (!edits.remove_field(f)) return false;
    if (!rewrite_contacts(msg, h.us, arena, edits)) return false;
    return rewrite_identity_hosts(msg, h.us.ip, kHostIdentity, arena, edits);
}

}  // namespace palisade::dp
