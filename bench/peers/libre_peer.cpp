// libre adapter: the datagram in a fresh mbuf (as libre's UDP receive path hands it over), then
// sip_msg_decode (start line, every header into a list and a hash table, first Via, From, To,
// CSeq, Content-Type decoded) + libre's decoders for the rest (sip_addr_decode for Contact and
// P-Asserted-Identity, httpauth_digest_response_decode for credentials) + mem_deref. No re_main
// loop is needed: libre_init() once is enough for the decoders.
#include "bench/peers/peer.hpp"

#include <re.h>

namespace palisade::bench {
namespace {

std::string_view plv(const pl& p) noexcept {
    return p.p != nullptr ? std::string_view(p.p, p.l) : std::string_view();
}

UriFields uri_fields(const uri& u) noexcept {
    UriFields f;
    f.scheme = plv(u.scheme);
    f.user = plv(u.user);
    f.host = plv(u.host);
    f.port = u.port;
    return f;
}

std::string_view tag_of(const sip_taddr& a) noexcept {
    return plv(a.tag);
}

}  // namespace

bool libre_init_peer() {
    return ::libre_init() == 0;
}

bool libre_parse(std::string_view datagram, FieldsSink sink, void* ctx) {
    mbuf* mb = mbuf_alloc(datagram.size());
    if (mb == nullptr) return false;
    if (mbuf_write_mem(mb, reinterpret_cast<const uint8_t*>(datagram.data()), datagram.size()) !=
        0) {
        mem_deref(mb);
        return false;
    }
    mbuf_set_pos(mb, 0);
    sip_msg* msg = nullptr;
    const bool ok = sip_msg_decode(&msg, mb) == 0 && msg != nullptr;
    if (ok) {
        Fields f;
        if (msg->req) {
            f.method = plv(msg->met);
            f.request_uri = uri_fields(msg->uri);
        } else {
            f.status_code = msg->scode;
        }
        pl host{}, port{};
        if (uri_decode_hostport(&msg->via.sentby, &host, &port) == 0) {
            f.via_host = plv(host);
            const long p = leading_number(plv(port));
            f.via_port = p < 0 ? 0 : static_cast<int>(p);
        }
        f.via_branch = plv(msg->via.branch);
        f.from_uri = uri_fields(msg->from.uri);
        f.from_tag = tag_of(msg->from);
        f.to_uri = uri_fields(msg->to.uri);
        f.to_tag = tag_of(msg->to);
        f.call_id = plv(msg->callid);
        f.cseq_number = static_cast<long>(msg->cseq.num);
        f.cseq_method = plv(msg->cseq.met);
        if (pl_isset(&msg->maxfwd)) f.max_forwards = leading_number(plv(msg->maxfwd));
        sip_addr addr{};
        if (const sip_hdr* h = sip_msg_hdr(msg, SIP_HDR_CONTACT);
            h != nullptr && sip_addr_decode(&addr, &h->val) == 0)
            f.contact_uri = uri_fields(addr.uri);
        f.content_type = plv(msg->ctyp.type);
        f.content_subtype = plv(msg->ctyp.subtype);
        if (pl_isset(&msg->clen)) f.content_length = leading_number(plv(msg->clen));
        if (const sip_hdr* h = sip_msg_hdr(msg, SIP_HDR_P_ASSERTED_IDENTITY);
            h != nullptr && sip_addr_decode(&addr, &h->val) == 0)
            f.pai_uri = uri_fields(addr.uri);
        const sip_hdr* auth = sip_msg_hdr(msg, SIP_HDR_AUTHORIZATION);
        if (auth == nullptr) auth = sip_msg_hdr(msg, SIP_HDR_PROXY_AUTHORIZATION);
        httpauth_digest_resp resp{};
        if (auth != nullptr && httpauth_digest_response_decode(&resp, &auth->val) == 0) {
            f.auth_username = plv(resp.username);
            f.auth_response = plv(resp.response);
        }
        if (const sip_hdr* h = sip_msg_hdr(msg, SIP_HDR_SESSION_EXPIRES))
            f.session_expires = leading_number(plv(h->val));
        sink(f, ctx);
    }
    mem_deref(msg);
    mem_deref(mb);
    return ok;
}

}  // namespace palisade::bench
