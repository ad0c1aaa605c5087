// libosip2 adapter: osip_message_init + osip_message_parse + its accessors + osip_message_free,
// what an osip-based proxy (e.g. a eXosip/Kamailio-free stack) pays per received datagram.
// libosip2 parses every header it knows eagerly into allocated structures; P-Asserted-Identity
// and Session-Expires are kept as raw name/value pairs, so the adapter parses PAI with
// osip_from_parse (the library's name-addr parser) as an osip user would.
#include "bench/peers/peer.hpp"

#include <osipparser2/osip_message.h>
#include <osipparser2/osip_parser.h>

namespace palisade::bench {
namespace {

UriFields uri_fields(const osip_uri_t* u) noexcept {
    UriFields f;
    if (u == nullptr) return f;
    f.scheme = sv(u->scheme);
    f.user = sv(u->username);
    f.host = sv(u->host);
    const long port = leading_number(sv(u->port));
    f.port = port < 0 ? 0 : static_cast<int>(port);
    return f;
}

std::string_view generic_param(osip_list_t* params, const char* name) noexcept {
    osip_generic_param_t* p = nullptr;
    if (osip_generic_param_get_byname(params, const_cast<char*>(name), &p) == 0 && p != nullptr)
        return sv(p->gvalue);
    return {};
}

}  // namespace

bool osip2_init() {
    return parser_init() == 0;
}

bool osip2_parse(std::string_view datagram, FieldsSink sink, void* ctx) {
    osip_message_t* sip = nullptr;
    if (osip_message_init(&sip) != 0) return false;
    bool ok = osip_message_parse(sip, datagram.data(), datagram.size()) == 0;
    osip_from_t* pai = nullptr;
    if (ok) {
        Fields f;
        if (sip->sip_method != nullptr) {
            f.method = sv(sip->sip_method);
            f.request_uri = uri_fields(sip->req_uri);
        } else {
            f.status_code = sip->status_code;
        }
        osip_via_t* via = nullptr;
        if (osip_message_get_via(sip, 0, &via) >= 0 && via != nullptr) {
            f.via_host = sv(via->host);
            const long port = leading_number(sv(via->port));
            f.via_port = port < 0 ? 0 : static_cast<int>(port);
            f.via_branch = generic_param(&via->via_params, "branch");
        }
        if (sip->from != nullptr) {
            f.from_uri = uri_fields(sip->from->url);
            f.from_tag = generic_param(&sip->from->gen_params, "tag");
        }
        if (sip->to != nullptr) {
            f.to_uri = uri_fields(sip->to->url);
            f.to_tag = generic_param(&sip->to->gen_params, "tag");
        }
        if (sip->call_id != nullptr) {
            f.call_id = sv(sip->call_id->number);
            f.call_id_host = sv(sip->call_id->host);
        }
        if (sip->cseq != nullptr) {
            f.cseq_number = leading_number(sv(sip->cseq->number));
            f.cseq_method = sv(sip->cseq->method);
        }
        osip_header_t* h = nullptr;
        if (osip_message_get_max_forwards(sip, 0, &h) >= 0 && h != nullptr)
            f.max_forwards = leading_number(sv(h->hvalue));
        osip_contact_t* contact = nullptr;
        if (osip_message_get_contact(sip, 0, &contact) >= 0 && contact != nullptr)
            f.contact_uri = uri_fields(contact->url);
        if (sip->content_type != nullptr) {
            f.content_type = sv(sip->content_type->type);
            f.content_subtype = sv(sip->content_type->subtype);
        }
        if (sip->content_length != nullptr)
            f.content_length = leading_number(sv(sip->content_length->value));
        h = nullptr;
        if (osip_message_header_get_byname(sip, "p-asserted-identity", 0, &h) >= 0 &&
            h != nullptr && osip_from_init(&pai) == 0 && osip_from_parse(pai, h->hvalue) == 0)
            f.pai_uri = uri_fields(pai->url);
        osip_authorization_t* auth = nullptr;
        if (osip_message_get_authorization(sip, 0, &auth) < 0 || auth == nullptr) {
            auth = nullptr;
            osip_message_get_proxy_authorization(sip, 0, &auth);
        }
        if (auth != nullptr) {
            f.auth_username = strip_quotes(sv(auth->username));
            f.auth_response = strip_quotes(sv(auth->response));
        }
        h = nullptr;
        if (osip_message_header_get_byname(sip, "session-expires", 0, &h) >= 0 && h != nullptr)
            f.session_expires = leading_number(sv(h->hvalue));
        sink(f, ctx);
    }
    if (pai != nullptr) osip_from_free(pai);
    osip_message_free(sip);
    return ok;
}

}  // namespace palisade::bench
