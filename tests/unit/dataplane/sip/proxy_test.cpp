// The proxy core's single decisions (proxy.hpp): what it answers out of dialog and for unknown
// dialogs, methods allowed in a dialog, loop detection, no snapshot, unmatched CANCEL, the
// CANCEL/2xx race, sizing. Whole calls are in proxy_calls_test.cpp.
#include <gtest/gtest.h>

#include "dataplane/sip/dialog_table.hpp"
#include "tests/unit/dataplane/sip/proxy_fixture.hpp"

namespace palisade::dp::test {
namespace {

class ProxyUnit : public ProxyFixture {
protected:
    static std::string request(const std::string& method, const std::string& to_tag,
                               const std::string& call_id = "u-1", const std::string& branch = "z9hG4bK-u1") {
        return method + " sip:+31201112222@192.0.2.1 SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=" + branch + ";rport\r\n"
               "Max-Forwards: 70\r\n"
               "From: <sip:+31201234567@192.0.2.10>;tag=f1\r\n"
               "To: <sip:+31201112222@192.0.2.1>" + (to_tag.empty() ? "" : ";tag=" + to_tag) + "\r\n"
               "Call-ID: " + call_id + "\r\nCSeq: 5 " + method + "\r\nContent-Length: 0\r\n\r\n";
    }
};

TEST_F(ProxyUnit, OutOfDialogMethodsGet405WithAllow) {
    start();
    from_pbx(request("MESSAGE", ""));
    std::vector<Sent> out = take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].status(), 405);
    EXPECT_EQ(peer::header(out[0].data, "Allow"), std::string(kAllowValue));
    EXPECT_FALSE(peer::param(peer::header(out[0].data, "To"), "tag").empty());
    from_pbx(request("BYE", "", "u-2", "z9hG4bK-u2"));
    out = take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].status(), 405);
    EXPECT_EQ(counter(Counter::proxy_method_not_allowed), 2u);
    EXPECT_TRUE(events().empty());
}

TEST_F(ProxyUnit, OutOfDialogOptionsForAUserGets200WithCapabilities) {
    // Spec: "We will also reply 200 OK to received OPTIONS packets" (RFC 3261 §11.2); this one
    // names a user (sip_stage answers those for Palisade itself), out of dialog.
    start();
    from_pbx(request("OPTIONS", ""));
    std::vector<Sent> out = take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].status(), 200);
    EXPECT_EQ(out[0].to, (Endpoint{kPbxIp, 5060}));
    EXPECT_EQ(peer::header(out[0].data, "Allow"), std::string(kAllowValue));
    EXPECT_EQ(peer::header(out[0].data, "Accept"), std::string(kAcceptValue));
    EXPECT_EQ(peer::header(out[0].data, "Supported"), std::string(kSupportedValue));
    EXPECT_FALSE(peer::param(peer::header(out[0].data, "To"), "tag").empty());
    EXPECT_EQ(counter(Counter::proxy_options_answered), 1u);
    EXPECT_EQ(counter(Counter::proxy_method_not_allowed), 0u);
    EXPECT_TRUE(events().empty());
    EXPECT_EQ(proxy_->stats().dialogs, 0u);
    // A retransmission is answered from the server transaction, not again by the proxy.
    from_pbx(request("OPTIONS", ""));
    out = take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].status(), 200);
    EXPECT_EQ(counter(Counter::proxy_options_answered), 1u);
}

TEST_F(ProxyUnit, OptionsRequiringAnUnknownExtensionGets420WithUnsupported) {
    // RFC 3261 §8.2.2.3 (RFC 4475 bext01): every tag we do not support is listed; `timer`
    // (RFC 4028) is supported and not listed.
    start();
    std::string r = request("OPTIONS", "", "u-ext", "z9hG4bK-ext");
    r.insert(r.find("Content-Length"), "Require: nothing, TIMER\r\nRequire: siphon\r\n");
    from_pbx(r);
    std::vector<Sent> out = take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].status(), 420);
    EXPECT_EQ(peer::header(out[0].data, "Unsupported"), "nothing, siphon");
    EXPECT_EQ(counter(Counter::proxy_bad_extension), 1u);
    EXPECT_EQ(counter(Counter::proxy_options_answered), 0u);
    // Require: timer alone is supported: 200.
    r = request("OPTIONS", "", "u-tmr", "z9hG4bK-tmr");
    r.insert(r.find("Content-Length"), "Require: timer\r\n");
    from_pbx(r);
    out = take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].status(), 200);
    EXPECT_EQ(peer::header(out[0].data, "Unsupported"), "");
}

TEST_F(ProxyUnit, TableCallsNestedDeeperThanTheListsOnlySend) {
    // One list level: the 405 is made from the handler of the request's delivery (a nested
    // table call), which gets the leaf list: its datagram still goes, nothing is shared with
    // the outer list being drained, and the depth overflow is counted.
    config_.list_depth = 1;
    start();
    from_pbx(request("MESSAGE", ""));
    std::vector<Sent> out = take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].status(), 405);
    EXPECT_EQ(counter(Counter::proxy_list_depth_overflow), 1u);
    EXPECT_EQ(counter(Counter::proxy_actions_overflow), 0u);
    // The retransmission is answered by the server transaction from the outer level.
    from_pbx(request("MESSAGE", ""));
    out = take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].status(), 405);
    EXPECT_EQ(counter(Counter::proxy_list_depth_overflow), 1u);
    EXPECT_EQ(counter(Counter::proxy_method_not_allowed), 1u);
}

TEST_F(ProxyUnit, UnknownDialogGets481) {
    start();
    from_pbx(request("BYE", "nope"));
    std::vector<Sent> out = take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].status(), 481);
    EXPECT_EQ(out[0].to, (Endpoint{kPbxIp, 5060}));
    EXPECT_EQ(counter(Counter::proxy_unknown_dialog), 1u);
    // A CANCEL that matches no INVITE: 481 too (RFC 3261 §9.2).
    from_pbx(request("CANCEL", "", "u-3", "z9hG4bK-u3"));
    out = take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].status(), 481);
}

TEST_F(ProxyUnit, NoSnapshotMeansNoCalls) {
    start();
    env_.snapshot = nullptr;
    from_pbx(peer::invite(pbx_invite()));
    std::vector<Sent> out = take();
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].status(), 100);
    EXPECT_EQ(out[1].status(), 503);
    EXPECT_EQ(proxy_->stats().dialogs, 0u);
}

TEST_F(ProxyUnit, LoopDetected482) {
    start();
    Outbound o = authenticated_call(pbx_invite("loop-1"));
    ASSERT_FALSE(o.to_core.data.empty());
    // The same request comes back to the access side with our Via on top (a loop, not a
    // spiral: same interface, same Request-URI, tags, Call-ID and CSeq).
    std::string back = o.invite;
    const std::string our_via = peer::headers(o.to_core.data, "Via")[0];
    back.insert(back.find("Via:"), "Via: " + our_via + "\r\n");
    from_pbx(back);
    // Not take(): this looped request itself carries our core address (it came round).
    std::vector<Sent> out = std::move(sink_.sent);
    sink_.sent.clear();
    const Sent* r = find(out, "", 482);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(counter(Counter::proxy_loop_detected), 1u);
    proxy_->shutdown(env_, sink_, counters_);
    take();
}

TEST_F(ProxyUnit, InDialogMethodsOnlyWhereConfigured) {
    start();
    Outbound o = authenticated_call(pbx_invite("info-1"));
    const std::string ok = peer::response(o.to_core.data, 200, "OK", "k1",
                                          "Contact: <sip:b@198.18.0.1:5060>\r\n", peer::sdp("198.18.0.50"));
    from_core(ok);
    std::vector<Sent> out = take();
    const Sent* pbx_ok = find(out, "", 200);
    ASSERT_NE(pbx_ok, nullptr);
    const std::string ok_text = pbx_ok->data;
    from_pbx(peer::in_dialog("INFO", o.invite, ok_text, 7, "192.0.2.10:5060", "z9hG4bK-info1"));
    out = take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].status(), 405);
    proxy_->shutdown(env_, sink_, counters_);
    take();
}

TEST_F(ProxyUnit, InDialogMethodAllowedByConfigIsRouted) {
    spec_.sip.in_dialog_methods = {"INFO"};
    start();
    Outbound o = authenticated_call(pbx_invite("info-2"));
    std::vector<Sent> out;
    from_core(peer::response(o.to_core.data, 200, "OK", "k2", "Contact: <sip:b@198.18.0.1:5060>\r\n",
                             peer::sdp("198.18.0.50")));
    out = take();
    const std::string ok2 = find(out, "", 200)->data;
    from_pbx(peer::in_dialog("INFO", o.invite, ok2, 7, "192.0.2.10:5060", "z9hG4bK-info2"));
    out = take();
    const Sent* info = find(out, "INFO");
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->to, (Endpoint{kPeerA, 5060}));
    EXPECT_EQ(peer::request_uri(info->data), "sip:b@198.18.0.1:5060");
    from_core(peer::response(info->data, 200, "OK"));
    out = take();
    ASSERT_NE(find(out, "", 200), nullptr);
    EXPECT_EQ(find(out, "", 200)->to, (Endpoint{kPbxIp, 5060}));
    proxy_->shutdown(env_, sink_, counters_);
    take();
}

TEST_F(ProxyUnit, LateTwoHundredAfterCancelIsAckedAndHungUp) {
    start();
    Outbound o = authenticated_call(pbx_invite("race-1"));
    from_core(peer::response(o.to_core.data, 180, "Ringing", "r"));
    take();
    const std::string cancel =
        "CANCEL sip:+31201112222@192.0.2.1 SIP/2.0\r\nVia: " + peer::headers(o.invite, "Via")[0] +
        "\r\nMax-Forwards: 70\r\nFrom: " + peer::header(o.invite, "From") + "\r\nTo: " +
        peer::header(o.invite, "To") + "\r\nCall-ID: race-1\r\nCSeq: 2 CANCEL\r\nContent-Length: 0\r\n\r\n";
    from_pbx(cancel);
    take();
    events();
    // The callee's 200 crossed our CANCEL (RFC 3261 §16.7 item 5): passed up, and the leg is
    // closed by Palisade with ACK + BYE so that the core does not keep a dangling call.
    from_core(peer::response(o.to_core.data, 200, "OK", "r", "Contact: <sip:b@198.18.0.1:5060>\r\n",
                             peer::sdp("198.18.0.50")));
    std::vector<Sent> out = take();
    ASSERT_NE(find(out, "", 200), nullptr);
    const Sent* ack = find(out, "ACK");
    const Sent* bye = find(out, "BYE");
    ASSERT_NE(ack, nullptr);
    ASSERT_NE(bye, nullptr);
    EXPECT_EQ(bye->to, (Endpoint{kPeerA, 5060}));
    EXPECT_EQ(peer::request_uri(bye->data), "sip:b@198.18.0.1:5060");
    EXPECT_EQ(counter(Counter::proxy_orphan_2xx), 1u);
    EXPECT_TRUE(events().empty());  // the call already ended (caller_cancel)
    EXPECT_EQ(gauge(), 0u);
}

TEST_F(ProxyUnit, SizingAndMemory) {
    config_.max_dialogs = 1000;
    start();
    const ProxyStats s = proxy_->stats();
    EXPECT_EQ(s.dialogs, 0u);
    EXPECT_EQ(s.transactions, 0u);
    EXPECT_GE(s.memory_bytes, 1000 * sizeof(Dialog));
    EXPECT_LT(sizeof(Dialog), 1024u);
}

TEST_F(ProxyUnit, DialogTableFullAnswers503) {
    config_.max_dialogs = 1;
    start();
    authenticated_call(pbx_invite("full-1"));
    events();
    peer::InviteSpec s = pbx_invite("full-2");
    s.branch = "z9hG4bK-full-2";
    std::string c407;
    std::vector<Sent> out = send_with_credentials(s, {kPbxIp, 5060}, false, nullptr, &c407);
    ASSERT_FALSE(c407.empty());
    ASSERT_NE(find(out, "", 503), nullptr);
    EXPECT_EQ(counter(Counter::proxy_dialog_full), 1u);
    std::vector<CallEvent> ev = events();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].reason, static_cast<std::uint8_t>(CallRefuseReason::overload));
    EXPECT_EQ(gauge(), 1u);  // only the first call holds a slot
    proxy_->shutdown(env_, sink_, counters_);
    EXPECT_EQ(gauge(), 0u);
}

}  // namespace
}  // namespace palisade::dp::test
