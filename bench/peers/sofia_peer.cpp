// sofia-sip adapter: msg_make (copy into a msg_t with its own su_home, then parse every header the
// parser class knows) + the sip_t fields + msg_destroy, what a sofia-sip (nta) proxy pays per
// received datagram. The parser class is sofia's default one extended with its "extra" headers
// (sip_extend_mclass), which is how P-Asserted-Identity becomes a parsed header.
#include "bench/peers/peer.hpp"

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>

namespace palisade::bench {
namespace {

msg_mclass_t const* g_mclass = nullptr;

UriFields uri_fields(const url_t* u) noexcept {
    UriFields f;
    f.scheme = sv(u->url_scheme);
    f.user = sv(u->url_user);
    f.host = sv(u->url_host);
    const long port = leading_number(sv(u->url_port));
    f.port = port < 0 ? 0 : static_cast<int>(port);
    return f;
}

/// Value of `name` ("username=") in a sofia parameter list, quotes removed.
std::string_view auth_param(msg_param_t const* params, const char* name) noexcept {
    return strip_quotes(sv(msg_params_find(params, name)));
}

}  // namespace

bool sofia_init() {
    g_mclass = sip_extend_mclass(nullptr);
    return g_mclass != nullptr;
}

bool sofia_parse(std::string_view datagram, FieldsSink sink, void* ctx) {
    msg_t* msg = msg_make(g_mclass, 0, datagram.data(), static_cast<ssize_t>(datagram.size()));
    if (msg == nullptr) return false;
    sip_t* sip = sip_object(msg);
    bool ok = sip != nullptr && (sip->sip_flags & MSG_FLG_ERROR) == 0 &&
              sip->sip_error == nullptr &&
              (sip->sip_request != nullptr || sip->sip_status != nullptr);
    if (ok) {
        Fields f;
        if (sip->sip_request != nullptr) {
            f.method = sv(sip->sip_request->rq_method_name);
            f.request_uri = uri_fields(sip->sip_request->rq_url);
        } else {
            f.status_code = sip->sip_status->st_status;
        }
        if (const sip_via_t* via = sip->sip_via) {
            f.via_host = sv(via->v_host);
            const long port = leading_number(sv(via->v_port));
            f.via_port = port < 0 ? 0 : static_cast<int>(port);
            f.via_branch = sv(via->v_branch);
        }
        if (const sip_from_t* from = sip->sip_from) {
            f.from_uri = uri_fields(from->a_url);
            f.from_tag = sv(from->a_tag);
        }
        if (const sip_to_t* to = sip->sip_to) {
            f.to_uri = uri_fields(to->a_url);
            f.to_tag = sv(to->a_tag);
        }
        if (sip->sip_call_id != nullptr) f.call_id = sv(sip->sip_call_id->i_id);
        if (const sip_cseq_t* cseq = sip->sip_cseq) {
            f.cseq_number = static_cast<long>(cseq->cs_seq);
            f.cseq_method = sv(cseq->cs_method_name);
        }
        if (sip->sip_max_forwards != nullptr)
            f.max_forwards = static_cast<long>(sip->sip_max_forwards->mf_count);
        if (sip->sip_contact != nullptr) f.contact_uri = uri_fields(sip->sip_contact->m_url);
        if (const sip_content_type_t* ct = sip->sip_content_type) {
            // c_type is "type/subtype", c_subtype points after the slash.
            const std::string_view full = sv(ct->c_type);
            const std::string_view sub = sv(ct->c_subtype);
            f.content_type = sub.empty() ? full : full.substr(0, full.size() - sub.size() - 1);
            f.content_subtype = sub;
        }
        if (sip->sip_content_length != nullptr)
            f.content_length = static_cast<long>(sip->sip_content_length->l_length);
        if (const sip_p_asserted_identity_t* pai = sip_p_asserted_identity(sip))
            f.pai_uri = uri_fields(pai->paid_url);
        const msg_auth_t* auth =
            sip->sip_authorization ? sip->sip_authorization : sip->sip_proxy_authorization;
        if (auth != nullptr) {
            f.auth_username = auth_param(auth->au_params, "username=");
            f.auth_response = auth_param(auth->au_params, "response=");
        }
        if (sip->sip_session_expires != nullptr)
            f.session_expires = static_cast<long>(sip->sip_session_expires->x_delta);
        sink(f, ctx);
    }
    msg_destroy(msg);
    return ok;
}

}  // namespace palisade::bench
