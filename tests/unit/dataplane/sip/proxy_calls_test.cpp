// Whole calls through one worker's Proxy with a driven clock (issue 6 point 6): the outbound
// call with its digest, every refusal code reaching the PBX, core-peer failover, inbound serial
// failover and the failover dialplan, CANCEL, session expiry and refresh, maximum duration,
// retransmissions; topology hiding is checked on every datagram (ProxyFixture::take) and the
// concurrent-call gauge is back to zero after every scenario.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/dataplane/sip/proxy_fixture.hpp"

namespace palisade::dp::test {
namespace {

class ProxyCalls : public ProxyFixture {
protected:
    void TearDown() override {
        if (snap_) {
            EXPECT_EQ(gauge("acme"), 0u) << "a concurrent-call slot leaked";
            EXPECT_EQ(gauge("beta"), 0u) << "a concurrent-call slot leaked";
            EXPECT_EQ(limits_.refused_releases(), 0u) << "a slot was released twice";
            EXPECT_EQ(counter(Counter::proxy_list_depth_overflow), 0u) << "table calls nested too deep";
        }
    }
    // The core's 200 to `inv` (the INVITE as the core got it) with SDP, a Contact and a
    // Record-Route of its own.
    static std::string core_ok(const std::string& inv, const std::string& tag = "core-1",
                               const std::string& extra = "") {
        return peer::response(inv, 200, "OK", tag,
                              "Contact: <sip:+31201112222@198.18.0.1:5060>\r\n"
                              "Record-Route: <sip:198.18.0.7;lr>\r\n" + extra,
                              peer::sdp("198.18.0.50", "8 101"));
    }
    // BYEs sent (retransmissions of the same one, Timer E, counted once).
    static std::size_t byes(const std::vector<Sent>& out) {
        std::vector<std::string> branches;
        for (const Sent& x : out)
            if (x.method() == "BYE") {
                const std::string b = peer::param(peer::header(x.data, "Via"), "branch");
                if (std::find(branches.begin(), branches.end(), b) == branches.end()) branches.push_back(b);
            }
        return branches.size();
    }
    static int count_type(const std::vector<CallEvent>& ev, CallEventType t) {
        int n = 0;
        for (const CallEvent& e : ev) n += e.type == t;
        return n;
    }
    // The calls the control plane would still count live after these events, by its rule
    // (controlplane/calls/call_records.cpp on_event): `started`, `answered` and `failover` admit
    // a call (a `failover` of a call it has not seen creates it), only `ended` removes it, and a
    // `refused` never touches the live set.
    static std::vector<std::string> still_live(const std::vector<CallEvent>& ev) {
        std::vector<std::string> live;
        for (const CallEvent& e : ev) {
            const std::string id(e.call_id());
            auto it = std::find(live.begin(), live.end(), id);
            if (e.type == CallEventType::ended) {
                if (it != live.end()) live.erase(it);
            } else if (e.type != CallEventType::refused && it == live.end()) {
                live.push_back(id);
            }
        }
        return live;
    }
    static const CallEvent* first(const std::vector<CallEvent>& ev, CallEventType t) {
        for (const CallEvent& e : ev)
            if (e.type == t) return &e;
        return nullptr;
    }
    // An answered outbound call: returns the PBX's INVITE, the core's copy and the 200 the
    // PBX received.
    struct Answered {
        std::string invite, core_invite, core_200, pbx_200;
    };
    Answered answered_call(peer::InviteSpec s) {
        Answered a;
        Outbound o = authenticated_call(s);
        a.invite = o.invite;
        a.core_invite = o.to_core.data;
        a.core_200 = core_ok(a.core_invite);
        from_core(a.core_200);
        std::vector<Sent> out = take();
        const Sent* ok = find(out, "", 200);
        EXPECT_NE(ok, nullptr);
        if (ok != nullptr) a.pbx_200 = ok->data;
        // End-to-end ACK (RFC 3261 §13.2.2.4).
        std::string ack = peer::in_dialog("ACK", a.invite, a.pbx_200, s.cseq + 1, "192.0.2.10:5060", "z9hG4bK-ack");
        from_pbx(ack);
        out = take();
        EXPECT_NE(find(out, "ACK"), nullptr);
        return a;
    }
};

TEST_F(ProxyCalls, OutboundCallWithDigestEndToEnd) {
    start();
    peer::InviteSpec s = pbx_invite();
    const std::string first_invite = peer::invite(s);
    from_pbx(first_invite);
    std::vector<Sent> out = take();
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].status(), 100);  // RFC 3261 §16.2: 100 Trying at once
    EXPECT_EQ(out[1].status(), 407);
    EXPECT_EQ(out[1].to, (Endpoint{kPbxIp, 5060}));
    EXPECT_EQ(out[1].iface, kAccess);
    EXPECT_FALSE(peer::header(out[1].data, "Proxy-Authenticate").empty());
    EXPECT_TRUE(events().empty());  // a challenge is not a refusal

    Outbound o = authenticated_call(s);
    const std::string& core_inv = o.to_core.data;
    EXPECT_EQ(o.to_core.iface, kCore);
    EXPECT_EQ(o.to_core.to, (Endpoint{kPeerA, 5060}));  // priority 1 first
    EXPECT_EQ(peer::request_uri(core_inv), "sip:+31201112222@198.18.0.1:5060");
    EXPECT_EQ(peer::header(core_inv, "Proxy-Authorization"), "");
    EXPECT_EQ(peer::header(core_inv, "Max-Forwards"), "69");
    EXPECT_EQ(peer::header(core_inv, "Call-ID"), "out-1@pbx");
    EXPECT_EQ(peer::uri_of(peer::header(core_inv, "Contact")), "sip:pbx@198.18.0.254:5060");
    EXPECT_NE(peer::header(core_inv, "Session-Expires"), "");  // RFC 4028 inserted
    EXPECT_EQ(gauge(), 1u);
    std::vector<CallEvent> ev = events();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].type, CallEventType::started);
    EXPECT_EQ(ev[0].direction, CallDirection::outbound);
    EXPECT_EQ(ev[0].trunk_id(), "acme");
    EXPECT_EQ(ev[0].caller(), "+31201234567");
    EXPECT_EQ(ev[0].callee(), "+31201112222");
    EXPECT_EQ(ev[0].call_id(), "out-1@pbx");

    // 100 from the core: hop by hop, absorbed. 180: passed up with the PBX's own view.
    from_core(peer::response(core_inv, 100, "Trying"));
    EXPECT_TRUE(take().empty());
    from_core(peer::response(core_inv, 180, "Ringing", "core-1"));
    out = take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].status(), 180);
    EXPECT_EQ(out[0].to, (Endpoint{kPbxIp, 5060}));
    EXPECT_EQ(peer::headers(out[0].data, "Via"), peer::headers(o.invite, "Via").size() == 1
                                                      ? std::vector<std::string>{peer::headers(o.invite, "Via")[0] + "=5060;received=192.0.2.10"}
                                                      : std::vector<std::string>{});
    EXPECT_EQ(peer::header(out[0].data, "From"), peer::header(o.invite, "From"));
    EXPECT_EQ(peer::header(out[0].data, "To"), peer::header(o.invite, "To") + ";tag=core-1");

    const std::string ok = core_ok(core_inv);
    from_core(ok);
    out = take();
    ASSERT_EQ(out.size(), 1u);
    const std::string pbx_ok = out[0].data;
    EXPECT_EQ(out[0].status(), 200);
    EXPECT_EQ(peer::uri_of(peer::header(pbx_ok, "Contact")), "sip:+31201112222@192.0.2.1:5060");
    EXPECT_EQ(peer::header(pbx_ok, "Record-Route"), "");
    EXPECT_NE(peer::body(pbx_ok).find("c=IN IP4 198.18.0.50"), std::string::npos);  // SDP passes
    ev = events();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].type, CallEventType::answered);
    EXPECT_NE(ev[0].answer_us, 0u);

    // ACK: to the core's Contact, through its Record-Route.
    from_pbx(peer::in_dialog("ACK", o.invite, pbx_ok, 3, "192.0.2.10:5060", "z9hG4bK-ack1"));
    out = take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].method(), "ACK");
    EXPECT_EQ(out[0].to, (Endpoint{kPeerA, 5060}));
    EXPECT_EQ(peer::request_uri(out[0].data), "sip:+31201112222@198.18.0.1:5060");
    EXPECT_EQ(peer::header(out[0].data, "Route"), "<sip:198.18.0.7;lr>");

    // BYE from the PBX, 200 from the core.
    const std::string bye = peer::in_dialog("BYE", o.invite, pbx_ok, 4, "192.0.2.10:5060", "z9hG4bK-bye1");
    from_pbx(bye);
    out = take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].method(), "BYE");
    EXPECT_EQ(out[0].to, (Endpoint{kPeerA, 5060}));
    EXPECT_EQ(gauge(), 0u);  // released when the call ends
    ev = events();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].type, CallEventType::ended);
    EXPECT_EQ(ev[0].reason, static_cast<std::uint8_t>(CallEndReason::caller_bye));
    EXPECT_EQ(ev[0].ended_by, CallParty::caller);
    from_core(peer::response(out[0].data, 200, "OK"));
    out = take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].status(), 200);
    EXPECT_EQ(peer::headers(out[0].data, "Via")[0].find("z9hG4bK-bye1") != std::string::npos, true);
    EXPECT_EQ(peer::header(out[0].data, "From"), peer::header(bye, "From"));
    EXPECT_EQ(proxy_->stats().dialogs, 0u);
}

TEST_F(ProxyCalls, InDialogCredentialsForUsAreNotForwarded) {
    // baresip repeats its Proxy-Authorization on the ACK and BYE; its uri names our access
    // address. Credentials for our realm are ours (RFC 3261 §22.3) and do not cross to the core
    // (e2e out_topology_hidden); another realm's pass.
    start();
    Answered a = answered_call(pbx_invite("cred"));
    events();
    auto with_auth = [](std::string m) {
        m.insert(m.find("Content-Length"),
                 "Proxy-Authorization: Digest username=\"acme-1\", realm=\"palisade\", nonce=\"n1\", "
                 "uri=\"sip:+31201112222@192.0.2.1:5060\", response=\"0123456789abcdef0123456789abcdef\"\r\n"
                 "Proxy-Authorization: Digest username=\"x\", realm=\"carrier.example\", nonce=\"n2\", "
                 "uri=\"sip:x@carrier.example\", response=\"0123456789abcdef0123456789abcdef\"\r\n");
        return m;
    };
    from_pbx(with_auth(peer::in_dialog("ACK", a.invite, a.pbx_200, 3, "192.0.2.10:5060", "z9hG4bK-cack")));
    std::vector<Sent> out = take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].method(), "ACK");
    std::vector<std::string> pa = peer::headers(out[0].data, "Proxy-Authorization");
    ASSERT_EQ(pa.size(), 1u) << out[0].data;
    EXPECT_NE(pa[0].find("carrier.example"), std::string::npos);
    from_pbx(with_auth(peer::in_dialog("BYE", a.invite, a.pbx_200, 4, "192.0.2.10:5060", "z9hG4bK-cbye")));
    out = take();
    const Sent* bye = find(out, "BYE");
    ASSERT_NE(bye, nullptr);
    EXPECT_EQ(bye->data.find("192.0.2.1:5060"), std::string::npos) << bye->data;
    pa = peer::headers(bye->data, "Proxy-Authorization");
    ASSERT_EQ(pa.size(), 1u);
    EXPECT_NE(pa[0].find("carrier.example"), std::string::npos);
    from_core(peer::response(bye->data, 200, "OK"));
    take();
}

TEST_F(ProxyCalls, CalleeByeEndsTheCallTowardsThePbx) {
    start();
    Answered a = answered_call(pbx_invite());
    // The core hangs up: a BYE to our core Contact with From/To swapped (RFC 3261 §12.2.1.1).
    std::string bye = "BYE sip:pbx@198.18.0.254:5060 SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK-cbye\r\nMax-Forwards: 70\r\n"
                      "From: " + peer::header(a.core_200, "To") + "\r\n" +
                      "To: " + peer::header(a.core_invite, "From") + "\r\n" +
                      "Call-ID: out-1@pbx\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n";
    from_core(bye);
    std::vector<Sent> out = take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].method(), "BYE");
    EXPECT_EQ(out[0].to, (Endpoint{kPbxIp, 5060}));
    EXPECT_EQ(peer::request_uri(out[0].data), "sip:pbx@192.0.2.10:5060");  // the PBX's Contact
    std::vector<CallEvent> ev = events();
    ASSERT_NE(first(ev, CallEventType::ended), nullptr);
    EXPECT_EQ(first(ev, CallEventType::ended)->reason, static_cast<std::uint8_t>(CallEndReason::callee_bye));
    from_pbx(peer::response(out[0].data, 200, "OK"));
    out = take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].status(), 200);
    EXPECT_EQ(out[0].to, (Endpoint{kPeerA, 5060}));
}

struct Refusal {
    const char* name;
    int code;
    CallRefuseReason reason;
};

TEST_F(ProxyCalls, EveryRefusalReachesThePbxWithItsCode) {
    spec_.trunks[0].limits.max_concurrent = 1;
    start();
    struct Case {
        const char* what;
        int code;
        void (*edit)(peer::InviteSpec&);
    };
    const Case cases[] = {
        {"destination", 403, [](peer::InviteSpec& s) { s.to_user = "+44201234567"; }},
        {"not e164", 484, [](peer::InviteSpec& s) { s.to_user = "0201112222"; }},
        {"caller id", 403, [](peer::InviteSpec& s) { s.pai = "+31999999999"; }},
        {"codecs", 488, [](peer::InviteSpec& s) { s.body = peer::sdp("192.0.2.10", "18"); }},
        {"100rel", 420, [](peer::InviteSpec& s) { s.extra = "Require: 100rel\r\n"; }},
        {"session timer", 422, [](peer::InviteSpec& s) { s.extra = "Session-Expires: 30\r\nMin-SE: 30\r\n"; }},
    };
    int n = 0;
    for (const Case& c : cases) {
        peer::InviteSpec s = pbx_invite("refused-" + std::to_string(n));
        s.branch = "z9hG4bK-refused-" + std::to_string(n++);
        c.edit(s);
        Outbound o;
        const std::string first_inv = peer::invite(s);
        from_pbx(first_inv);
        std::vector<Sent> out = take();
        const Sent* c407 = find(out, "", 407);
        ASSERT_NE(c407, nullptr) << c.what << "\n" << (out.empty() ? std::string() : out.back().data);
        from_pbx(peer::ack_for_failure(first_inv, c407->data));
        take();
        s.cseq += 1;
        s.branch += "-2";
        s.extra += peer::proxy_authorization(c407->data, "acme-1", "pw1", "INVITE",
                                             "sip:" + s.to_user + "@" + s.palisade_ip);
        from_pbx(peer::invite(s));
        out = take();
        ASSERT_EQ(out.size(), 2u) << c.what;
        EXPECT_EQ(out[1].status(), c.code) << c.what << "\n" << out[1].data;
        EXPECT_EQ(out[1].to, (Endpoint{kPbxIp, 5060})) << c.what;
        EXPECT_EQ(find(out, "INVITE"), nullptr) << c.what;
        std::vector<CallEvent> ev = events();
        ASSERT_EQ(ev.size(), 1u) << c.what;
        EXPECT_EQ(ev[0].type, CallEventType::refused) << c.what;
        EXPECT_EQ(ev[0].code, c.code) << c.what;
        EXPECT_EQ(gauge(), 0u) << c.what;
    }
    // Concurrency: one call up, the second gets 503 with Retry-After.
    peer::InviteSpec b1 = pbx_invite("busy-1");
    b1.branch = "z9hG4bK-busy-1";
    Outbound up = authenticated_call(b1);
    events();
    peer::InviteSpec s = pbx_invite("busy-2");
    s.branch = "z9hG4bK-busy-2";
    std::string c407;
    std::vector<Sent> out = send_with_credentials(s, {kPbxIp, 5060}, false, nullptr, &c407);
    ASSERT_FALSE(c407.empty());
    ASSERT_NE(find(out, "", 503), nullptr);
    EXPECT_NE(peer::header(find(out, "", 503)->data, "Retry-After"), "");
    EXPECT_EQ(gauge(), 1u);
    // The first call is cancelled: its slot comes back.
    from_core(peer::response(up.to_core.data, 180, "Ringing", "t"));
    take();
    std::string cancel = up.invite;
    cancel.replace(0, 6, "CANCEL");
    cancel = "CANCEL" + peer::invite(pbx_invite("x")).substr(0, 0) + up.invite.substr(6, up.invite.find("\r\n") - 6) + "\r\n" +
             "Via: " + peer::headers(up.invite, "Via")[0] + "\r\nMax-Forwards: 70\r\nFrom: " + peer::header(up.invite, "From") +
             "\r\nTo: " + peer::header(up.invite, "To") + "\r\nCall-ID: busy-1\r\nCSeq: 2 CANCEL\r\nContent-Length: 0\r\n\r\n";
    from_pbx(cancel);
    take();
    EXPECT_EQ(gauge(), 0u);
}

TEST_F(ProxyCalls, CorePeerFailoverOn503AndTimeout) {
    start();
    // 503 from peer A: the INVITE goes to peer B; B answers; the PBX never sees the 503.
    Outbound o = authenticated_call(pbx_invite("fo-1"));
    events();
    from_core(peer::response(o.to_core.data, 503, "Service Unavailable", "a1"));
    std::vector<Sent> out = take();
    const Sent* ack = find(out, "ACK");
    ASSERT_NE(ack, nullptr);  // hop-by-hop ACK of the 503 (RFC 3261 §17.1.1.3)
    EXPECT_EQ(ack->to, (Endpoint{kPeerA, 5060}));
    const Sent* inv_b = find(out, "INVITE");
    ASSERT_NE(inv_b, nullptr);
    EXPECT_EQ(inv_b->to, (Endpoint{kPeerB, 5060}));
    EXPECT_EQ(peer::request_uri(inv_b->data), "sip:+31201112222@198.18.0.2:5060");
    EXPECT_EQ(find(out, "", 503), nullptr);
    std::vector<CallEvent> ev = events();
    ASSERT_NE(first(ev, CallEventType::failover), nullptr);
    EXPECT_EQ(first(ev, CallEventType::failover)->reason, static_cast<std::uint8_t>(CallFailoverReason::core_peer_failed));
    EXPECT_EQ(first(ev, CallEventType::failover)->failover_to, static_cast<std::uint8_t>(FailoverTarget::next_core_peer));
    const std::string inv_b_text = inv_b->data;
    from_core(core_ok(inv_b_text), {kPeerB, 5060});
    out = take();
    ASSERT_NE(find(out, "", 200), nullptr);
    EXPECT_EQ(gauge(), 1u);
    proxy_->shutdown(env_, sink_, counters_);
    out = take();
    EXPECT_EQ(out.size(), 2u);  // BYE to both sides
    ev = events();
    ASSERT_NE(first(ev, CallEventType::ended), nullptr);
    EXPECT_EQ(first(ev, CallEventType::ended)->reason, static_cast<std::uint8_t>(CallEndReason::shutdown));
}

TEST_F(ProxyCalls, CorePeerTimeoutThenAllFailGives500) {
    start();
    Outbound o = authenticated_call(pbx_invite("fo-2"));
    events();
    advance(5100);  // Timer B (invite timeout): next peer
    std::vector<Sent> out = take();
    const Sent* inv_b = nullptr;
    for (const Sent& s : out)
        if (s.method() == "INVITE" && s.to == Endpoint{kPeerB, 5060}) inv_b = &s;
    ASSERT_NE(inv_b, nullptr);
    const std::string b = inv_b->data;
    from_core(peer::response(b, 503, "Service Unavailable", "b1"), {kPeerB, 5060});
    out = take();
    const Sent* final = find(out, "", 500);
    ASSERT_NE(final, nullptr);  // RFC 3261 §16.7: never a 503 to the PBX
    EXPECT_EQ(final->to, (Endpoint{kPbxIp, 5060}));
    EXPECT_EQ(find(out, "", 503), nullptr);
    EXPECT_EQ(peer::header(final->data, "From"), peer::header(o.invite, "From"));
    std::vector<CallEvent> ev = events();
    const CallEvent* end = first(ev, CallEventType::ended);
    ASSERT_NE(end, nullptr);
    EXPECT_EQ(end->reason, static_cast<std::uint8_t>(CallEndReason::core_failed));
    EXPECT_EQ(end->code, 500);
    EXPECT_EQ(proxy_->stats().dialogs, 0u);
}

TEST_F(ProxyCalls, NoHealthyCorePeerGives503) {
    start();
    peers_.set(0, Reachability::down);
    peers_.set(1, Reachability::down);
    std::string c407;
    std::vector<Sent> out =
        send_with_credentials(pbx_invite("nopeer"), {kPbxIp, 5060}, false, nullptr, &c407);
    ASSERT_FALSE(c407.empty());
    ASSERT_NE(find(out, "", 503), nullptr);
    std::vector<CallEvent> ev = events();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].reason, static_cast<std::uint8_t>(CallRefuseReason::no_core_peer));
    // DESIGN.md §4: only a forwarded call counts against hour/day/week; this one was admitted
    // by the policy, then refused: its reservations are given back and its record says so.
    EXPECT_EQ(ev[0].flags & kCallFlagCounted, 0u);
    const std::uint32_t slot = snap_->trunk(snap_->find_trunk("acme")).limit_slot;
    const std::uint64_t now_s = env_.wall.ns / 1'000'000'000ULL;
    EXPECT_EQ(limits_.window_count(slot, CallWindow::hour, now_s), 0u);
    EXPECT_EQ(limits_.window_count(slot, CallWindow::week, now_s), 0u);
}

TEST_F(ProxyCalls, CancelWhileRinging) {
    start();
    Outbound o = authenticated_call(pbx_invite("cancel-1"));
    from_core(peer::response(o.to_core.data, 180, "Ringing", "c1"));
    take();
    events();
    const std::string cancel =
        "CANCEL sip:+31201112222@192.0.2.1 SIP/2.0\r\nVia: " + peer::headers(o.invite, "Via")[0] +
        "\r\nMax-Forwards: 70\r\nFrom: " + peer::header(o.invite, "From") + "\r\nTo: " +
        peer::header(o.invite, "To") + "\r\nCall-ID: cancel-1\r\nCSeq: 2 CANCEL\r\nContent-Length: 0\r\n\r\n";
    from_pbx(cancel);
    std::vector<Sent> out = take();
    ASSERT_NE(find(out, "", 200), nullptr);   // to the CANCEL
    ASSERT_NE(find(out, "", 487), nullptr);   // to the INVITE
    const Sent* down = find(out, "CANCEL");
    ASSERT_NE(down, nullptr);                 // downstream
    EXPECT_EQ(down->to, (Endpoint{kPeerA, 5060}));
    EXPECT_EQ(gauge(), 0u);
    std::vector<CallEvent> ev = events();
    const CallEvent* end = first(ev, CallEventType::ended);
    ASSERT_NE(end, nullptr);
    EXPECT_EQ(end->reason, static_cast<std::uint8_t>(CallEndReason::caller_cancel));
    // The core's 487 is ACKed hop by hop and not passed up again.
    from_core(peer::response(o.to_core.data, 487, "Request Terminated", "c1"));
    out = take();
    EXPECT_EQ(find(out, "", 487), nullptr);
    EXPECT_NE(find(out, "ACK"), nullptr);
}

TEST_F(ProxyCalls, SessionExpiryByesBothSides) {
    start();
    peer::InviteSpec s = pbx_invite("se-1");
    s.extra = "Session-Expires: 90\r\nSupported: timer\r\n";
    answered_call(s);
    events();
    advance(89'000, 1000);
    EXPECT_TRUE(take().empty());
    advance(2'000, 500);
    std::vector<Sent> out = take();
    EXPECT_EQ(byes(out), 2u);
    EXPECT_NE(find(out, "BYE"), nullptr);
    bool pbx = false, core = false;
    for (const Sent& x : out) {
        if (x.method() != "BYE") continue;
        pbx |= x.to == Endpoint{kPbxIp, 5060};
        core |= x.to == Endpoint{kPeerA, 5060};
    }
    EXPECT_TRUE(pbx && core);
    std::vector<CallEvent> ev = events();
    const CallEvent* end = first(ev, CallEventType::ended);
    ASSERT_NE(end, nullptr);
    EXPECT_EQ(end->reason, static_cast<std::uint8_t>(CallEndReason::session_expired));
    EXPECT_EQ(end->ended_by, CallParty::palisade);
    EXPECT_EQ(proxy_->stats().dialogs, 0u);
}

TEST_F(ProxyCalls, ReInviteRefreshKeepsTheCallUp) {
    start();
    peer::InviteSpec s = pbx_invite("se-2");
    s.extra = "Session-Expires: 90\r\nSupported: timer\r\n";
    Answered a = answered_call(s);
    events();
    advance(60'000, 1000);
    std::string reinv = peer::in_dialog("INVITE", a.invite, a.pbx_200, 10, "192.0.2.10:5060", "z9hG4bK-re1");
    reinv.replace(reinv.find("Content-Length: 0\r\n\r\n"), 21,
                  "Session-Expires: 90;refresher=uac\r\nContent-Type: application/sdp\r\nContent-Length: " +
                      std::to_string(peer::sdp("192.0.2.10").size()) + "\r\n\r\n" + peer::sdp("192.0.2.10"));
    from_pbx(reinv);
    std::vector<Sent> out = take();
    const Sent* fwd = find(out, "INVITE");
    ASSERT_NE(fwd, nullptr);
    EXPECT_EQ(fwd->to, (Endpoint{kPeerA, 5060}));
    from_core(peer::response(fwd->data, 200, "OK", {}, "Session-Expires: 90;refresher=uac\r\n", peer::sdp("198.18.0.50")));
    out = take();
    ASSERT_NE(find(out, "", 200), nullptr);
    EXPECT_EQ(counter(Counter::proxy_session_refreshed), 1u);
    advance(60'000, 1000);  // 120 s after the answer, 60 s after the refresh: still up
    out = take();
    EXPECT_EQ(find(out, "BYE"), nullptr);
    EXPECT_EQ(proxy_->stats().dialogs, 1u);
    advance(31'000, 1000);
    out = take();
    EXPECT_NE(find(out, "BYE"), nullptr);
    EXPECT_EQ(proxy_->stats().dialogs, 0u);
}

TEST_F(ProxyCalls, T38ReInviteRefused488) {
    start();
    Answered a = answered_call(pbx_invite("t38"));
    std::string reinv = peer::in_dialog("INVITE", a.invite, a.pbx_200, 10, "192.0.2.10:5060", "z9hG4bK-t38");
    const std::string t38 = "v=0\r\no=- 1 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
                            "m=image 40002 udptl t38\r\n";
    reinv.replace(reinv.find("Content-Length: 0\r\n\r\n"), 21,
                  "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(t38.size()) + "\r\n\r\n" + t38);
    from_pbx(reinv);
    std::vector<Sent> out = take();
    ASSERT_NE(find(out, "", 488), nullptr);
    EXPECT_EQ(find(out, "INVITE"), nullptr);
    EXPECT_EQ(proxy_->stats().dialogs, 1u);  // the call itself goes on
    proxy_->shutdown(env_, sink_, counters_);
    take();
}

TEST_F(ProxyCalls, MaximumDurationEndsTheCall) {
    spec_.trunks[0].limits.max_duration_s = 100;
    start();
    answered_call(pbx_invite("maxdur"));
    events();
    advance(99'000, 1000);
    EXPECT_TRUE(take().empty());
    advance(2'000, 1000);
    std::vector<Sent> out = take();
    EXPECT_EQ(byes(out), 2u);
    std::vector<CallEvent> ev = events();
    const CallEvent* end = first(ev, CallEventType::ended);
    ASSERT_NE(end, nullptr);
    EXPECT_EQ(end->reason, static_cast<std::uint8_t>(CallEndReason::max_duration));
}

TEST_F(ProxyCalls, UnacknowledgedTwoHundredEndsTheCall) {
    start();
    Outbound o = authenticated_call(pbx_invite("noack"));
    from_core(core_ok(o.to_core.data));
    ASSERT_NE(find(take(), "", 200), nullptr);
    events();
    advance(31'000, 1000);  // 64*T1 = 32 s (RFC 3261 §13.3.1.4)
    std::vector<Sent> out = take();
    EXPECT_EQ(byes(out), 0u);
    advance(2'000, 500);
    out = take();
    EXPECT_EQ(byes(out), 2u);
    std::vector<CallEvent> ev = events();
    const CallEvent* end = first(ev, CallEventType::ended);
    ASSERT_NE(end, nullptr);
    EXPECT_EQ(end->reason, static_cast<std::uint8_t>(CallEndReason::ack_timeout));
    EXPECT_EQ(counter(Counter::proxy_ack_timeout), 1u);
}

TEST_F(ProxyCalls, AcknowledgedCallOutlivesTheAckTimer) {
    start();
    answered_call(pbx_invite("acked"));
    events();
    advance(40'000, 1000);
    EXPECT_EQ(byes(take()), 0u);
    EXPECT_EQ(proxy_->stats().dialogs, 1u);
    EXPECT_TRUE(events().empty());
    proxy_->shutdown(env_, sink_, counters_);
    EXPECT_EQ(byes(take()), 2u);
}

TEST_F(ProxyCalls, RetransmissionsAreAbsorbed) {
    start();
    Outbound o = authenticated_call(pbx_invite("retx"));
    // The PBX retransmits its INVITE: the 100 again, no second INVITE to the core.
    from_pbx(o.invite);
    std::vector<Sent> out = take();
    EXPECT_EQ(find(out, "INVITE"), nullptr);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].status(), 100);
    // The core retransmits its 180: passed once only.
    from_core(peer::response(o.to_core.data, 180, "Ringing", "r1"));
    EXPECT_EQ(take().size(), 1u);
    from_core(peer::response(o.to_core.data, 486, "Busy Here", "r1"));
    out = take();
    EXPECT_NE(find(out, "", 486), nullptr);  // a real answer goes back
    from_core(peer::response(o.to_core.data, 486, "Busy Here", "r1"));
    out = take();
    EXPECT_EQ(find(out, "", 486), nullptr);  // retransmission: only the ACK again
    EXPECT_NE(find(out, "ACK"), nullptr);
    std::vector<CallEvent> ev = events();
    const CallEvent* end = first(ev, CallEventType::ended);
    ASSERT_NE(end, nullptr);
    EXPECT_EQ(end->reason, static_cast<std::uint8_t>(CallEndReason::callee_rejected));
    EXPECT_EQ(end->code, 486);
}

// ---- inbound ----

class InboundCalls : public ProxyCalls {
protected:
    void register_pbx() {
        std::vector<LocationTable::ContactInput> p{{"sip:acme-1@192.168.1.50:5060", ip(192, 0, 2, 50), 5060, kAccess, 1, kWallS + 3600}};
        std::vector<LocationTable::ContactInput> s{{"sip:acme-2@192.168.1.60:5062", ip(192, 0, 2, 60), 5062, kAccess, 2, kWallS + 3600}};
        ASSERT_TRUE(location_.set_contacts("acme-1", snap_->trunk(snap_->find_trunk("acme")).limit_slot, LocationRole::primary, p));
        ASSERT_TRUE(location_.set_contacts("acme-2", snap_->trunk(snap_->find_trunk("acme")).limit_slot, LocationRole::secondary, s));
    }
    std::string core_invite(const std::string& did, const std::string& call_id = "in-1",
                            const std::string& extra = "") {
        return "INVITE sip:" + did + "@198.18.0.254 SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK-core-" + call_id + "\r\n"
               "Max-Forwards: 70\r\n"
               "From: <sip:+442079460000@198.18.0.1>;tag=c1\r\n"
               "To: <sip:" + did + "@198.18.0.254>\r\n"
               "P-Asserted-Identity: <sip:+442079460000@198.18.0.1>\r\n"
               "Call-ID: " + call_id + "\r\nCSeq: 1 INVITE\r\n"
               "Contact: <sip:core@198.18.0.1:5060>\r\n" + extra +
               "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(peer::sdp("198.18.0.50").size()) +
               "\r\n\r\n" + peer::sdp("198.18.0.50");
    }
};

TEST_F(InboundCalls, PrimaryThenSecondaryOnTimeout) {
    start();
    register_pbx();
    const std::string inv = core_invite("+31205550001");
    from_core(inv);
    std::vector<Sent> out = take();
    ASSERT_NE(find(out, "", 100), nullptr);
    const Sent* p = find(out, "INVITE");
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->to, (Endpoint{ip(192, 0, 2, 50), 5060}));
    EXPECT_EQ(p->iface, kAccess);
    EXPECT_EQ(peer::request_uri(p->data), "sip:acme-1@192.168.1.50:5060");
    EXPECT_EQ(peer::headers(p->data, "Via").size(), 1u);
    EXPECT_EQ(gauge(), 1u);
    std::vector<CallEvent> ev = events();
    ASSERT_NE(first(ev, CallEventType::started), nullptr);
    EXPECT_EQ(first(ev, CallEventType::started)->direction, CallDirection::inbound);
    EXPECT_EQ(first(ev, CallEventType::started)->account, CallAccount::primary);
    advance(5100);  // no provisional within the invite timeout
    out = take();
    const Sent* s = nullptr;
    for (const Sent& x : out)
        if (x.method() == "INVITE" && x.to == Endpoint{ip(192, 0, 2, 60), 5062}) s = &x;
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(peer::request_uri(s->data), "sip:acme-2@192.168.1.60:5062");
    ev = events();
    const CallEvent* fo = first(ev, CallEventType::failover);
    ASSERT_NE(fo, nullptr);
    EXPECT_EQ(fo->reason, static_cast<std::uint8_t>(CallFailoverReason::target_timeout));
    EXPECT_EQ(fo->failover_to, static_cast<std::uint8_t>(FailoverTarget::other_account));
    const std::string sec = s->data;
    from_pbx(peer::response(sec, 200, "OK", "pbx-2", "Contact: <sip:acme-2@192.168.1.60:5062>\r\n", peer::sdp("192.168.1.60")),
             {ip(192, 0, 2, 60), 5062});
    out = take();
    const Sent* ok = find(out, "", 200);
    ASSERT_NE(ok, nullptr);
    EXPECT_EQ(ok->to, (Endpoint{kPeerA, 5060}));
    EXPECT_EQ(peer::header(ok->data, "From"), peer::header(inv, "From"));
    EXPECT_EQ(peer::headers(ok->data, "Via"), peer::headers(inv, "Via"));
    EXPECT_EQ(gauge(), 1u);
    proxy_->shutdown(env_, sink_, counters_);
    take();
}

TEST_F(InboundCalls, AnsweredInboundCallAckAndByeFromThePbx) {
    start();
    register_pbx();
    const std::string inv = core_invite("+31205550010", "in-full-call",
                                        "Record-Route: <sip:198.18.0.7;lr>\r\n");
    from_core(inv);
    std::vector<Sent> out = take();
    const Sent* p = find(out, "INVITE");
    ASSERT_NE(p, nullptr);
    const std::string pbx_inv = p->data;
    EXPECT_EQ(peer::header(pbx_inv, "Record-Route"), "");
    EXPECT_EQ(peer::uri_of(peer::header(pbx_inv, "Contact")), "sip:core@192.0.2.1:5060");
    const Endpoint pbx{ip(192, 0, 2, 50), 5060};
    from_pbx(peer::response(pbx_inv, 180, "Ringing", "pbx-t"), pbx);
    out = take();
    ASSERT_NE(find(out, "", 180), nullptr);
    const std::string ok = peer::response(pbx_inv, 200, "OK", "pbx-t",
                                          "Contact: <sip:acme-1@192.168.1.50:5060>\r\n", peer::sdp("192.168.1.50"));
    from_pbx(ok, pbx);
    out = take();
    const Sent* core_ok = find(out, "", 200);
    ASSERT_NE(core_ok, nullptr);
    EXPECT_EQ(core_ok->to, (Endpoint{kPeerA, 5060}));
    EXPECT_EQ(peer::uri_of(peer::header(core_ok->data, "Contact")), "sip:acme-1@198.18.0.254:5060");
    EXPECT_EQ(peer::header(core_ok->data, "To"), peer::header(inv, "To") + ";tag=pbx-t");
    std::vector<CallEvent> ev = events();
    ASSERT_NE(first(ev, CallEventType::answered), nullptr);
    // The core ACKs (to our core Contact): to the PBX's Contact at its real address.
    const std::string core_ok_text = core_ok->data;
    from_core(peer::in_dialog("ACK", inv, core_ok_text, 1, "198.18.0.1:5060", "z9hG4bK-cack"));
    out = take();
    const Sent* ack = find(out, "ACK");
    ASSERT_NE(ack, nullptr);
    EXPECT_EQ(ack->to, pbx);
    EXPECT_EQ(peer::request_uri(ack->data), "sip:acme-1@192.168.1.50:5060");
    // The PBX hangs up: the BYE reaches the core through the core's Record-Route.
    const std::string bye = "BYE sip:core@192.0.2.1:5060 SIP/2.0\r\n"
                            "Via: SIP/2.0/UDP 192.168.1.50:5060;branch=z9hG4bK-pbye;rport\r\n"
                            "Max-Forwards: 70\r\nFrom: " + peer::header(ok, "To") + "\r\nTo: " +
                            peer::header(pbx_inv, "From") + "\r\nCall-ID: in-full-call\r\nCSeq: 1 BYE\r\n"
                            "Content-Length: 0\r\n\r\n";
    from_pbx(bye, pbx);
    out = take();
    const Sent* cbye = find(out, "BYE");
    ASSERT_NE(cbye, nullptr);
    EXPECT_EQ(cbye->to, (Endpoint{kPeerA, 5060}));
    EXPECT_EQ(peer::request_uri(cbye->data), "sip:core@198.18.0.1:5060");
    EXPECT_EQ(peer::header(cbye->data, "Route"), "<sip:198.18.0.7;lr>");
    ev = events();
    const CallEvent* end = first(ev, CallEventType::ended);
    ASSERT_NE(end, nullptr);
    EXPECT_EQ(end->reason, static_cast<std::uint8_t>(CallEndReason::callee_bye));
    EXPECT_EQ(end->direction, CallDirection::inbound);
    from_core(peer::response(cbye->data, 200, "OK"));
    out = take();
    const Sent* bye_ok = find(out, "", 200);
    ASSERT_NE(bye_ok, nullptr);
    EXPECT_EQ(bye_ok->to, (Endpoint{ip(192, 0, 2, 50), 5060}));
    EXPECT_EQ(proxy_->stats().dialogs, 0u);
}

TEST_F(InboundCalls, FailoverOn408And503ButNotOn486) {
    start();
    register_pbx();
    from_core(core_invite("+31205550002", "in-408"));
    std::vector<Sent> out = take();
    const Sent* p = find(out, "INVITE");
    ASSERT_NE(p, nullptr);
    from_pbx(peer::response(p->data, 408, "Request Timeout", "x"), {ip(192, 0, 2, 50), 5060});
    out = take();
    const Sent* s = find(out, "INVITE");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->to, (Endpoint{ip(192, 0, 2, 60), 5062}));
    from_pbx(peer::response(s->data, 503, "Service Unavailable", "y"), {ip(192, 0, 2, 60), 5062});
    out = take();
    // No target left: acme's dialplan (default: reject 480).
    const Sent* rej = find(out, "", 480);
    ASSERT_NE(rej, nullptr);
    EXPECT_EQ(rej->to, (Endpoint{kPeerA, 5060}));
    std::vector<CallEvent> ev = events();
    int failovers = 0;
    for (const CallEvent& e : ev) failovers += e.type == CallEventType::failover;
    EXPECT_EQ(failovers, 2);  // 408 -> other account, 503 -> dialplan
    ASSERT_NE(first(ev, CallEventType::ended), nullptr);
    EXPECT_EQ(first(ev, CallEventType::ended)->reason, static_cast<std::uint8_t>(CallEndReason::failover));

    from_core(core_invite("+31205550003", "in-486"));
    out = take();
    p = find(out, "INVITE");
    ASSERT_NE(p, nullptr);
    from_pbx(peer::response(p->data, 486, "Busy Here", "z"), {ip(192, 0, 2, 50), 5060});
    out = take();
    EXPECT_EQ(find(out, "INVITE"), nullptr);  // 486 is a real answer: no failover
    const Sent* busy = find(out, "", 486);
    ASSERT_NE(busy, nullptr);
    EXPECT_EQ(busy->to, (Endpoint{kPeerA, 5060}));
    ev = events();
    EXPECT_EQ(first(ev, CallEventType::failover), nullptr);
}

TEST_F(InboundCalls, NoRegistrationGoesToTheDialplan) {
    start();
    // beta: forward_number to +31201234599 through the core.
    from_core(core_invite("+442070000042", "in-dp"));
    std::vector<Sent> out = take();
    const Sent* fwd = find(out, "INVITE");
    ASSERT_NE(fwd, nullptr);
    EXPECT_EQ(fwd->iface, kCore);
    EXPECT_EQ(fwd->to, (Endpoint{kPeerA, 5060}));
    EXPECT_EQ(peer::request_uri(fwd->data), "sip:+31201234599@198.18.0.1:5060");
    std::vector<CallEvent> ev = events();
    // The forwarded leg is a call: `started` first, then its `failover` (never the other way
    // round: the control plane would admit the call from the failover and count the start as
    // a duplicate).
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[0].type, CallEventType::started);
    ASSERT_EQ(ev[1].type, CallEventType::failover);
    const CallEvent* fo = &ev[1];
    EXPECT_EQ(fo->reason, static_cast<std::uint8_t>(CallFailoverReason::no_registration));
    EXPECT_EQ(fo->failover_to, static_cast<std::uint8_t>(FailoverTarget::dialplan));
    EXPECT_EQ(gauge("beta"), 0u);  // the dialplan leg holds no slot
    std::vector<CallEvent> all = ev;
    const std::string f = fwd->data;
    from_core(peer::response(f, 200, "OK", "dp", "Contact: <sip:x@198.18.0.1>\r\n", peer::sdp("198.18.0.9")));
    out = take();
    ASSERT_NE(find(out, "", 200), nullptr);
    proxy_->shutdown(env_, sink_, counters_);
    take();
    ev = events();
    all.insert(all.end(), ev.begin(), ev.end());
    EXPECT_TRUE(still_live(all).empty()) << "the control plane would keep the call live";

    // acme with nothing registered: its dialplan rejects with 480: a refusal, and nothing
    // else (e2e in_none_registered_dialplan: a `failover` event before the `refused` left the
    // trunk's live-call count at 1).
    from_core(core_invite("+31205550004", "in-rej"));
    out = take();
    ASSERT_NE(find(out, "", 480), nullptr);
    ev = events();
    ASSERT_EQ(ev.size(), 1u);
    const CallEvent* ref = first(ev, CallEventType::refused);
    ASSERT_NE(ref, nullptr);
    EXPECT_EQ(ref->reason, static_cast<std::uint8_t>(CallRefuseReason::failover_reject));
    EXPECT_EQ(ref->code, 480);
    EXPECT_TRUE(still_live(ev).empty()) << "the control plane would keep the refused call live";
    EXPECT_EQ(proxy_->stats().dialogs, 0u);
}

TEST_F(InboundCalls, DialplanRejectAfterATargetEndsTheCall) {
    // A target was tried (the call started), then the dialplan rejects: `ended`, and the
    // control plane's live count goes back to zero.
    start();  // acme's dialplan: reject 480 (the fixture's default)
    std::vector<LocationTable::ContactInput> p{{"sip:acme-1@192.168.1.50:5060", ip(192, 0, 2, 50), 5060, kAccess, 1, kWallS + 3600}};
    ASSERT_TRUE(location_.set_contacts("acme-1", snap_->trunk(snap_->find_trunk("acme")).limit_slot, LocationRole::primary, p));
    from_core(core_invite("+31205550007", "in-rej2"));
    std::vector<Sent> out = take();
    const Sent* pbx = find(out, "INVITE");
    ASSERT_NE(pbx, nullptr);
    from_pbx(peer::response(pbx->data, 503, "Service Unavailable", "p1"), pbx->to);
    out = take();
    ASSERT_NE(find(out, "", 480), nullptr);
    std::vector<CallEvent> ev = events();
    EXPECT_EQ(count_type(ev, CallEventType::started), 1);
    EXPECT_EQ(count_type(ev, CallEventType::refused), 0);
    const CallEvent* end = first(ev, CallEventType::ended);
    ASSERT_NE(end, nullptr);
    EXPECT_TRUE(still_live(ev).empty());
    EXPECT_EQ(proxy_->stats().dialogs, 0u);
}

TEST_F(InboundCalls, DialplanToAUriThenItsFailureEndsTheCall) {
    spec_.trunks[1].failover.action = FailoverAction::forward_uri;
    spec_.trunks[1].failover.target = "sip:voicemail@198.18.5.5";
    start();
    const std::string inv = core_invite("+442070000043", "in-uri");
    from_core(inv);
    std::vector<Sent> out = take();
    const Sent* fwd = find(out, "INVITE");
    ASSERT_NE(fwd, nullptr);
    EXPECT_EQ(fwd->to, (Endpoint{kPeerA, 5060}));  // via the core peer
    EXPECT_EQ(peer::request_uri(fwd->data), "sip:voicemail@198.18.5.5");
    const std::string f = fwd->data;
    events();
    // The dialplan leg is the last one: its 503 goes back as 500 (RFC 3261 §16.7).
    from_core(peer::response(f, 503, "Service Unavailable", "vm"));
    out = take();
    ASSERT_NE(find(out, "", 500), nullptr);
    EXPECT_EQ(find(out, "", 500)->to, (Endpoint{kPeerA, 5060}));
    EXPECT_EQ(find(out, "INVITE"), nullptr);
    std::vector<CallEvent> ev = events();
    const CallEvent* end = first(ev, CallEventType::ended);
    ASSERT_NE(end, nullptr);
    EXPECT_EQ(end->reason, static_cast<std::uint8_t>(CallEndReason::failover));
    EXPECT_EQ(proxy_->stats().dialogs, 0u);
}

TEST_F(InboundCalls, AtTheConcurrentLimitGoesToTheDialplan) {
    start();
    register_pbx();
    AdmissionToken a, b;
    const std::uint32_t slot = snap_->trunk(snap_->find_trunk("acme")).limit_slot;
    ASSERT_TRUE(limits_.try_acquire(slot, 2, a));
    ASSERT_TRUE(limits_.try_acquire(slot, 2, b));
    from_core(core_invite("+31205550005", "in-full"));
    std::vector<Sent> out = take();
    EXPECT_EQ(find(out, "INVITE"), nullptr);
    ASSERT_NE(find(out, "", 480), nullptr);
    std::vector<CallEvent> ev = events();
    // Never started: the reject is a refusal alone (a `failover` event would make the control
    // plane count a live call that nothing ends).
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].type, CallEventType::refused);
    EXPECT_EQ(ev[0].reason, static_cast<std::uint8_t>(CallRefuseReason::failover_reject));
    EXPECT_TRUE(still_live(ev).empty());
    limits_.release(a);
    limits_.release(b);
}

TEST_F(InboundCalls, UnknownDidIs404) {
    start();
    from_core(core_invite("+15550000000", "in-404"));
    std::vector<Sent> out = take();
    ASSERT_NE(find(out, "", 404), nullptr);
    std::vector<CallEvent> ev = events();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].type, CallEventType::refused);
    EXPECT_EQ(ev[0].code, 404);
}

TEST_F(InboundCalls, PrivacyIdHidesTheCallerFromThePbx) {
    start();
    register_pbx();
    from_core(core_invite("+31205550006", "in-priv", "Privacy: id\r\n"));
    std::vector<Sent> out = take();
    const Sent* p = find(out, "INVITE");
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(peer::header(p->data, "P-Asserted-Identity"), "");
    EXPECT_NE(peer::header(p->data, "From").find("anonymous"), std::string::npos) << p->data;
    proxy_->shutdown(env_, sink_, counters_);
    take();
}

}  // namespace
}  // namespace palisade::dp::test
