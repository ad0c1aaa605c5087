// The transaction table with a driven clock: every timer of every machine, retransmission
// schedules, absorption, the CANCEL races, ACK generation, failover timeouts, table limits.
#include "dataplane/sip/transaction_table.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "dataplane/contract/config_spec.hpp"
#include "parsers/sip/validate.hpp"

namespace palisade::dp {
namespace {

constexpr Endpoint kUac{0x0a000001u, 5060};   // 10.0.0.1
constexpr Endpoint kCore{0xc0000264u, 5060};  // 192.0.2.100

// A parsed message that owns its text.
struct Parsed {
    std::string text;
    std::unique_ptr<sip::Message> msg = std::make_unique<sip::Message>();
    sip::Validated v;
    explicit Parsed(std::string t) : text(std::move(t)) {
        EXPECT_EQ(msg->parse(text), sip::ParseStatus::ok) << text;
        const sip::Reason r = msg->is_request() ? sip::validate_request(*msg, {}, v)
                                                : sip::validate_response(*msg, v);
        EXPECT_EQ(r, sip::Reason::none) << sip::reason_text(r) << "\n" << text;
    }
};

std::string request(std::string_view method, std::string_view branch,
                    std::string_view cseq_method = {}, std::string_view top_via = {},
                    std::string_view to_tag = {}) {
    std::string s(method);
    s += " sip:+4930123@core.example SIP/2.0\r\n";
    if (!top_via.empty()) s += "Via: SIP/2.0/UDP " + std::string(top_via) + "\r\n";
    s += "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=" + std::string(branch) + ";rport\r\n";
    s += "Max-Forwards: 70\r\n";
    s += "Route: <sip:core.example;lr>\r\n";
    s += "From: <sip:+4930999@pbx.example>;tag=f1\r\n";
    s += "To: <sip:+4930123@core.example>";
    if (!to_tag.empty()) s += ";tag=" + std::string(to_tag);
    s += "\r\nCall-ID: call1@pbx\r\n";
    s += "CSeq: 1 " + std::string(cseq_method.empty() ? method : cseq_method) + "\r\n";
    s += "Contact: <sip:+4930999@10.0.0.1>\r\nContent-Length: 0\r\n\r\n";
    return s;
}

// A response as the downstream element sends it to our forwarded request (our Via on top).
std::string response(int code, std::string_view our_branch, std::string_view cseq_method = "INVITE",
                     std::string_view to_tag = "t2") {
    std::string s = "SIP/2.0 " + std::to_string(code) + " Whatever\r\n";
    s += "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=" + std::string(our_branch) + "\r\n";
    s += "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKuac1;rport=5060;received=10.0.0.1\r\n";
    s += "From: <sip:+4930999@pbx.example>;tag=f1\r\n";
    s += "To: <sip:+4930123@core.example>";
    if (code > 100 && !to_tag.empty()) s += ";tag=" + std::string(to_tag);
    s += "\r\nCall-ID: call1@pbx\r\nCSeq: 1 " + std::string(cseq_method) +
         "\r\nContent-Length: 0\r\n\r\n";
    return s;
}

// A response the core logic sends upstream on the server transaction.
std::string upstream_response(int code, std::string_view cseq_method = "INVITE") {
    std::string s = "SIP/2.0 " + std::to_string(code) + " Whatever\r\n";
    s += "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKuac1;rport=5060;received=10.0.0.1\r\n";
    s += "From: <sip:+4930999@pbx.example>;tag=f1\r\nTo: <sip:+4930123@core.example>;tag=t2\r\n";
    s += "Call-ID: call1@pbx\r\nCSeq: 1 " + std::string(cseq_method) +
         "\r\nContent-Length: 0\r\n\r\n";
    return s;
}

std::string forwarded(std::string_view method, std::string_view our_branch) {
    return request(method, "z9hG4bKuac1", {}, "192.0.2.1:5060;branch=" + std::string(our_branch));
}

struct Sent {
    std::uint64_t at;
    std::string data;
    Endpoint to;
};

class TxTest : public ::testing::Test {
  protected:
    void make(TransactionTableConfig c = {}) {
        if (c.capacity == 4096) c.capacity = 64;
        if (c.slot_size == 4096) c.slot_size = 2048;
        table = std::make_unique<TransactionTable>(c, 0);
    }
    void SetUp() override { make(); }

    // Runs the clock forward ms by ms, collecting actions with their time.
    void run_until(std::uint64_t until) {
        for (std::uint64_t t = now + 1; t <= until; ++t) {
            out.clear();
            table->advance(t, out);
            now = t;
            collect();
        }
    }
    void collect() {
        for (const Action& a : out) {
            all.push_back(a);
            if (a.kind == ActionKind::send) sent.push_back({now, std::string(a.data), a.to});
        }
    }
    RequestVerdict req(const Parsed& p, Endpoint from = kUac) {
        out.clear();
        const RequestVerdict r = table->on_request(*p.msg, p.v, from, now, out);
        collect();
        return r;
    }
    ResponseVerdict resp(const Parsed& p) {
        out.clear();
        const ResponseVerdict r = table->on_response(*p.msg, p.v, now, out);
        collect();
        return r;
    }
    bool respond(TxId s, const std::string& text, int code) {
        out.clear();
        const bool ok = table->respond(s, text, code, now, out);
        collect();
        return ok;
    }
    TxId forward(TxId s, std::string_view method, std::string* branch_out = nullptr) {
        char buf[kBranchMax];
        const std::string branch(table->make_branch(buf, 0));
        if (branch_out != nullptr) *branch_out = branch;
        fwd_text = forwarded(method, branch);
        out.clear();
        const TxId id =
            table->forward(s, fwd_text, sip::method_from(method), branch, kCore, now, out);
        collect();
        return id;
    }
    // The one server transaction delivered by the last call.
    TxId delivered() const {
        for (const Action& a : out)
            if (a.kind == ActionKind::deliver_request) return a.tx;
        return {};
    }
    std::size_t count(ActionKind k, TimerId t = TimerId::none) const {
        std::size_t n = 0;
        for (const Action& a : all)
            if (a.kind == k && (t == TimerId::none || a.timer == t)) ++n;
        return n;
    }
    std::vector<std::uint64_t> send_times(std::string_view prefix) const {
        std::vector<std::uint64_t> v;
        for (const Sent& s : sent)
            if (s.data.compare(0, prefix.size(), prefix) == 0) v.push_back(s.at);
        return v;
    }

    std::unique_ptr<TransactionTable> table;
    ActionList out;
    std::vector<Action> all;
    std::vector<Sent> sent;
    std::uint64_t now = 0;
    std::string fwd_text;
};

// --- INVITE server transaction ------------------------------------------------------------

TEST_F(TxTest, NewInviteIsDeliveredAndGets100TryingAtOnce) {
    Parsed inv(request("INVITE", "z9hG4bKuac1"));
    EXPECT_EQ(req(inv), RequestVerdict::new_transaction);
    const TxId s = delivered();
    ASSERT_TRUE(s.valid());
    EXPECT_EQ(table->kind(s), TxKind::server_invite);
    EXPECT_EQ(table->state(s), TxState::proceeding);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].data.rfind("SIP/2.0 100 Trying\r\n", 0), 0u);
    EXPECT_EQ(sent[0].to, kUac);
    EXPECT_NE(sent[0].data.find("CSeq: 1 INVITE"), std::string::npos);
}

TEST_F(TxTest, RetransmittedInviteResendsLastResponseAndIsNotDeliveredAgain) {
    Parsed inv(request("INVITE", "z9hG4bKuac1"));
    req(inv);
    const TxId s = delivered();
    EXPECT_EQ(req(inv), RequestVerdict::retransmission);
    EXPECT_FALSE(delivered().valid());
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[1].data, sent[0].data);
    ASSERT_TRUE(respond(s, upstream_response(180), 180));
    EXPECT_EQ(req(inv), RequestVerdict::retransmission);
    EXPECT_EQ(sent.back().data.rfind("SIP/2.0 180", 0), 0u);
    EXPECT_EQ(table->counters().absorbed_requests, 2u);
}

TEST_F(TxTest, DelayedTryingIsSentAfterItsDelayUnlessAResponseCameFirst) {
    TransactionTableConfig c;
    c.timers.trying_delay_ms = 200;
    make(c);
    Parsed inv(request("INVITE", "z9hG4bKuac1"));
    req(inv);
    EXPECT_TRUE(sent.empty());
    run_until(199);
    EXPECT_TRUE(sent.empty());
    run_until(200);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].data.rfind("SIP/2.0 100", 0), 0u);

    Parsed inv2(request("INVITE", "z9hG4bKuac2"));
    req(inv2);
    const TxId s2 = delivered();
    respond(s2, upstream_response(180), 180);
    run_until(1000);
    EXPECT_EQ(send_times("SIP/2.0 100").size(), 1u);  // only the first INVITE's
}

TEST_F(TxTest, NonTwoXxFinalIsRetransmittedByTimerGCappedAtT2UntilTimerH) {
    Parsed inv(request("INVITE", "z9hG4bKuac1"));
    req(inv);
    const TxId s = delivered();
    ASSERT_TRUE(respond(s, upstream_response(486), 486));
    EXPECT_EQ(table->state(s), TxState::completed);
    run_until(32000);
    // Sent at 0, then Timer G: +500, +1000, +2000, +4000, +4000, ... (T2 = 4000).
    const std::vector<std::uint64_t> expect{0,     500,   1500,  3500,  7500, 11500,
                                            15500, 19500, 23500, 27500, 31500};
    EXPECT_EQ(send_times("SIP/2.0 486"), expect);
    EXPECT_EQ(count(ActionKind::terminated, TimerId::h), 1u);
    EXPECT_EQ(table->state(s), TxState::free);
    EXPECT_EQ(table->counters().no_ack, 1u);
    EXPECT_EQ(table->size(), 0u);
}

TEST_F(TxTest, AckOfNonTwoXxIsAbsorbedAndTimerIEndsTheTransaction) {
    Parsed inv(request("INVITE", "z9hG4bKuac1"));
    req(inv);
    const TxId s = delivered();
    respond(s, upstream_response(486), 486);
    run_until(600);  // one Timer G resend at 500
    Parsed ack(request("ACK", "z9hG4bKuac1", {}, {}, "t2"));
    EXPECT_EQ(req(ack), RequestVerdict::ack_absorbed);
    EXPECT_FALSE(delivered().valid());
    EXPECT_EQ(table->state(s), TxState::confirmed);
    EXPECT_EQ(req(ack), RequestVerdict::ack_absorbed);    // retransmitted ACK
    EXPECT_EQ(req(inv), RequestVerdict::retransmission);  // Confirmed: absorbed, nothing sent
    run_until(5599);
    EXPECT_EQ(send_times("SIP/2.0 486").size(), 2u);  // no more Timer G after the ACK
    EXPECT_EQ(table->state(s), TxState::confirmed);
    run_until(5600);  // Timer I = T4 after the ACK
    EXPECT_EQ(count(ActionKind::terminated, TimerId::i), 1u);
    EXPECT_EQ(table->state(s), TxState::free);
}

TEST_F(TxTest, RetransmittedInviteInCompletedGetsTheFinalAgain) {
    Parsed inv(request("INVITE", "z9hG4bKuac1"));
    req(inv);
    respond(delivered(), upstream_response(603), 603);
    EXPECT_EQ(req(inv), RequestVerdict::retransmission);
    EXPECT_EQ(send_times("SIP/2.0 603").size(), 2u);
}

TEST_F(TxTest, TwoXxMovesToAcceptedAndItsAckIsEndToEnd) {
    Parsed inv(request("INVITE", "z9hG4bKuac1"));
    req(inv);
    const TxId s = delivered();
    ASSERT_TRUE(respond(s, upstream_response(200), 200));
    EXPECT_EQ(table->state(s), TxState::accepted);
    const std::size_t before = sent.size();
    EXPECT_EQ(req(inv), RequestVerdict::retransmission);  // absorbed, RFC 6026 §7.1
    EXPECT_EQ(sent.size(), before);
    ASSERT_TRUE(respond(s, upstream_response(200), 200));  // 2xx retransmission from downstream
    EXPECT_EQ(sent.size(), before + 1);
    Parsed ack(request("ACK", "z9hG4bKack2xx", {}, {}, "t2"));  // 2xx ACK: new branch
    EXPECT_EQ(req(ack), RequestVerdict::ack_end_to_end);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].kind, ActionKind::deliver_request);
    EXPECT_FALSE(out[0].tx.valid());
    EXPECT_FALSE(respond(s, upstream_response(486), 486));  // no non-2xx after a 2xx
    run_until(31999);
    EXPECT_EQ(table->state(s), TxState::accepted);
    run_until(32000);  // Timer L = 64*T1
    EXPECT_EQ(count(ActionKind::terminated, TimerId::l), 1u);
}

TEST_F(TxTest, UnansweredServerTransactionsAreReclaimedByTheGuard) {
    Parsed inv(request("INVITE", "z9hG4bKuac1"));
    req(inv);
    const TxId s = delivered();
    Parsed opt(request("OPTIONS", "z9hG4bKo1"));
    req(opt);
    const TxId o = delivered();
    run_until(63999);
    EXPECT_EQ(table->state(o), TxState::trying);
    run_until(64000);  // non-INVITE: 64*T1 + 32 s
    EXPECT_EQ(table->state(o), TxState::free);
    // INVITE: Timer C + 64*T1 + 32 s after the last provisional sent upstream.
    run_until(100000);
    respond(s, upstream_response(180), 180);
    run_until(344999);
    EXPECT_EQ(table->state(s), TxState::proceeding);
    run_until(345000);
    EXPECT_EQ(table->state(s), TxState::free);
    EXPECT_EQ(count(ActionKind::terminated, TimerId::guard), 2u);
    EXPECT_EQ(table->counters().unanswered, 2u);
}

// --- non-INVITE server transaction ---------------------------------------------------------

TEST_F(TxTest, NonInviteServerAbsorbsInTryingResendsLaterAndEndsWithTimerJ) {
    Parsed bye(request("BYE", "z9hG4bKbye1", {}, {}, "t2"));
    EXPECT_EQ(req(bye), RequestVerdict::new_transaction);
    const TxId s = delivered();
    EXPECT_EQ(table->kind(s), TxKind::server_non_invite);
    EXPECT_EQ(table->state(s), TxState::trying);
    EXPECT_TRUE(sent.empty());  // no 100 for non-INVITE
    EXPECT_EQ(req(bye), RequestVerdict::retransmission);
    EXPECT_TRUE(sent.empty());  // Trying: absorbed silently
    ASSERT_TRUE(respond(s, upstream_response(200, "BYE"), 200));
    EXPECT_EQ(table->state(s), TxState::completed);
    EXPECT_EQ(req(bye), RequestVerdict::retransmission);
    EXPECT_EQ(send_times("SIP/2.0 200").size(), 2u);
    EXPECT_FALSE(respond(s, upstream_response(500, "BYE"), 500));
    run_until(31999);
    EXPECT_EQ(table->state(s), TxState::completed);
    run_until(32000);
    EXPECT_EQ(count(ActionKind::terminated, TimerId::j), 1u);
    EXPECT_EQ(req(bye), RequestVerdict::new_transaction);  // gone: a new transaction
}

TEST_F(TxTest, NonInviteServerProvisionalIsResentForRetransmissions) {
    Parsed opt(request("OPTIONS", "z9hG4bKo1"));
    req(opt);
    const TxId s = delivered();
    respond(s, upstream_response(183, "OPTIONS"), 183);
    EXPECT_EQ(table->state(s), TxState::proceeding);
    req(opt);
    EXPECT_EQ(send_times("SIP/2.0 183").size(), 2u);
}

// --- INVITE client transaction -------------------------------------------------------------

TEST_F(TxTest, TimerADoublesWithoutCapAndTimerBReportsTheTimeout) {
    const TxId c = forward({}, "INVITE");
    ASSERT_TRUE(c.valid());
    EXPECT_EQ(table->state(c), TxState::calling);
    run_until(32000);
    const std::vector<std::uint64_t> expect{0, 500, 1500, 3500, 7500, 15500, 31500};
    EXPECT_EQ(send_times("INVITE "), expect);
    EXPECT_EQ(sent[0].to, kCore);
    EXPECT_EQ(count(ActionKind::timed_out, TimerId::b), 1u);
    EXPECT_EQ(count(ActionKind::terminated, TimerId::b), 1u);
    EXPECT_EQ(table->state(c), TxState::free);
    EXPECT_EQ(table->counters().retransmitted_requests, 6u);
}

TEST_F(TxTest, TimerBUsesTheConfiguredInviteTimeout) {
    SipSettings s;
    s.invite_timeout_ms = 8000;
    TransactionTableConfig c;
    c.timers = timers_from(s);
    make(c);
    forward({}, "INVITE");
    run_until(7999);
    EXPECT_EQ(count(ActionKind::timed_out), 0u);
    run_until(8000);
    EXPECT_EQ(count(ActionKind::timed_out, TimerId::b), 1u);
}

TEST_F(TxTest, ProvisionalStopsRetransmissionsAndIsDeliveredExcept100) {
    Parsed inv(request("INVITE", "z9hG4bKuac1"));
    req(inv);
    const TxId s = delivered();
    std::string br;
    const TxId c = forward(s, "INVITE", &br);
    EXPECT_EQ(table->server_of(c), s);
    run_until(600);
    Parsed p100(response(100, br));
    EXPECT_EQ(resp(p100), ResponseVerdict::absorbed);
    EXPECT_EQ(table->state(c), TxState::proceeding);
    Parsed p180(response(180, br));
    EXPECT_EQ(resp(p180), ResponseVerdict::delivered);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].kind, ActionKind::deliver_response);
    EXPECT_EQ(out[0].tx, c);
    EXPECT_EQ(out[0].server, s);
    EXPECT_EQ(out[0].code, 180);
    EXPECT_EQ(out[0].data, p180.text);
    run_until(60000);
    EXPECT_EQ(send_times("INVITE ").size(), 2u);  // 0 and 500 only
    EXPECT_EQ(count(ActionKind::timed_out), 0u);  // no Timer B in Proceeding
}

TEST_F(TxTest, TimerCAfterAProvisionalSendsCancelAndReportsTheTimeout) {
    Parsed inv(request("INVITE", "z9hG4bKuac1"));
    req(inv);
    const TxId s = delivered();
    std::string br;
    const TxId c = forward(s, "INVITE", &br);
    run_until(1000);
    Parsed p180(response(180, br));
    resp(p180);  // Timer C restarts at 1000
    run_until(100000);
    resp(p180);  // and again at 100000
    run_until(280999);
    EXPECT_EQ(count(ActionKind::timed_out), 0u);
    run_until(281000);
    EXPECT_EQ(count(ActionKind::timed_out, TimerId::c), 1u);
    const std::vector<std::uint64_t> cancels = send_times("CANCEL ");
    ASSERT_EQ(cancels.size(), 1u);
    EXPECT_EQ(cancels[0], 281000u);
    const std::string& cancel = sent.back().data;
    EXPECT_NE(cancel.find("branch=" + br), std::string::npos);
    EXPECT_NE(cancel.find("CSeq: 1 CANCEL"), std::string::npos);
    EXPECT_NE(cancel.find("CANCEL sip:+4930123@core.example SIP/2.0"), std::string::npos);
    EXPECT_NE(cancel.find("Route: <sip:core.example;lr>"), std::string::npos);
    EXPECT_EQ(cancel.find("branch=z9hG4bKuac1"), std::string::npos);  // top Via only
    EXPECT_EQ(table->state(c), TxState::proceeding);
    // The 487 comes back: ACKed here, delivered.
    Parsed p487(response(487, br));
    EXPECT_EQ(resp(p487), ResponseVerdict::delivered);
    EXPECT_EQ(send_times("ACK ").size(), 1u);
}

TEST_F(TxTest, TimerCWithoutProvisionalActsAsA408) {
    TransactionTableConfig cfg;
    cfg.timers.timer_b_ms = 400000;  // so that Timer C comes first
    make(cfg);
    const TxId c = forward({}, "INVITE");
    run_until(180999);
    EXPECT_EQ(count(ActionKind::timed_out), 0u);
    run_until(181000);
    EXPECT_EQ(count(ActionKind::timed_out, TimerId::c), 1u);
    EXPECT_EQ(count(ActionKind::terminated, TimerId::c), 1u);
    EXPECT_TRUE(send_times("CANCEL ").empty());
    EXPECT_EQ(table->state(c), TxState::free);
}

TEST_F(TxTest, NonTwoXxFinalIsAckedHopByHopAndRetransmissionsAreAbsorbedUntilTimerD) {
    std::string br;
    const TxId c = forward({}, "INVITE", &br);
    Parsed p503(response(503, br));
    EXPECT_EQ(resp(p503), ResponseVerdict::delivered);
    EXPECT_EQ(table->state(c), TxState::completed);
    ASSERT_EQ(send_times("ACK ").size(), 1u);
    const std::string ack = sent.back().data;
    EXPECT_EQ(ack.rfind("ACK sip:+4930123@core.example SIP/2.0\r\n", 0), 0u);
    EXPECT_NE(ack.find("To: <sip:+4930123@core.example>;tag=t2"), std::string::npos);
    EXPECT_NE(ack.find("CSeq: 1 ACK"), std::string::npos);
    EXPECT_NE(ack.find("branch=" + br), std::string::npos);
    EXPECT_EQ(ack.find("branch=z9hG4bKuac1"), std::string::npos);
    EXPECT_NE(ack.find("Route: <sip:core.example;lr>"), std::string::npos);
    EXPECT_EQ(sent.back().to, kCore);
    EXPECT_EQ(resp(p503), ResponseVerdict::absorbed);
    EXPECT_EQ(send_times("ACK ").size(), 2u);
    EXPECT_EQ(sent.back().data, ack);
    run_until(31999);
    EXPECT_EQ(table->state(c), TxState::completed);
    run_until(32000);
    EXPECT_EQ(count(ActionKind::terminated, TimerId::d), 1u);
    EXPECT_EQ(send_times("INVITE ").size(), 1u);  // no Timer A after the final
}

TEST_F(TxTest, TwoXxPassesThroughUnackedAndRetransmissionsAreDeliveredUntilTimerM) {
    std::string br;
    const TxId c = forward({}, "INVITE", &br);
    Parsed p200(response(200, br));
    EXPECT_EQ(resp(p200), ResponseVerdict::delivered);
    EXPECT_EQ(table->state(c), TxState::accepted);
    EXPECT_EQ(resp(p200), ResponseVerdict::delivered);  // RFC 6026: 2xx retransmissions go up
    EXPECT_TRUE(send_times("ACK ").empty());            // the 2xx ACK is end to end
    Parsed p486(response(486, br));
    EXPECT_EQ(resp(p486), ResponseVerdict::absorbed);
    run_until(32000);
    EXPECT_EQ(count(ActionKind::terminated, TimerId::m), 1u);
    EXPECT_EQ(resp(p200), ResponseVerdict::no_match);
}

// --- non-INVITE client transaction ---------------------------------------------------------

TEST_F(TxTest, TimerEDoublesCappedAtT2AndTimerFReportsTheTimeout) {
    const TxId c = forward({}, "OPTIONS");
    EXPECT_EQ(table->state(c), TxState::trying);
    run_until(32000);
    const std::vector<std::uint64_t> expect{0,     500,   1500,  3500,  7500, 11500,
                                            15500, 19500, 23500, 27500, 31500};
    EXPECT_EQ(send_times("OPTIONS "), expect);
    EXPECT_EQ(count(ActionKind::timed_out, TimerId::f), 1u);
    EXPECT_EQ(count(ActionKind::terminated, TimerId::f), 1u);
}

TEST_F(TxTest, NonInviteProvisionalSwitchesTimerEToT2AndFinalEndsWithTimerK) {
    std::string br;
    const TxId c = forward({}, "BYE", &br);
    run_until(600);  // resent at 500; next would be 1500
    Parsed p180(response(180, br, "BYE"));
    EXPECT_EQ(resp(p180), ResponseVerdict::delivered);
    EXPECT_EQ(table->state(c), TxState::proceeding);
    run_until(9600);
    // 0, 500, then 1500 (the interval armed before the 1xx), then every T2.
    const std::vector<std::uint64_t> expect{0, 500, 1500, 5500, 9500};
    EXPECT_EQ(send_times("BYE "), expect);
    Parsed p200(response(200, br, "BYE"));
    EXPECT_EQ(resp(p200), ResponseVerdict::delivered);
    EXPECT_EQ(table->state(c), TxState::completed);
    EXPECT_EQ(resp(p200), ResponseVerdict::absorbed);
    run_until(14599);
    EXPECT_EQ(send_times("BYE ").size(), 5u);
    EXPECT_EQ(table->state(c), TxState::completed);
    run_until(14600);  // Timer K = T4
    EXPECT_EQ(count(ActionKind::terminated, TimerId::k), 1u);
    EXPECT_EQ(count(ActionKind::timed_out), 0u);
}

TEST_F(TxTest, StrayResponseMatchesNothing) {
    Parsed p200(response(200, "z9hG4bK-pl-w0-99"));
    EXPECT_EQ(resp(p200), ResponseVerdict::no_match);
    EXPECT_EQ(table->counters().stray_responses, 1u);
    // Same branch, other method: no match either (§17.1.3).
    std::string br;
    forward({}, "INVITE", &br);
    Parsed wrong(response(200, br, "BYE"));
    EXPECT_EQ(resp(wrong), ResponseVerdict::no_match);
}

// --- CANCEL ---------------------------------------------------------------------------------

struct CancelFixture : TxTest {
    TxId server, client;
    std::string branch;
    std::unique_ptr<Parsed> inv, cancel;
    void start() {
        inv = std::make_unique<Parsed>(request("INVITE", "z9hG4bKuac1"));
        req(*inv);
        server = delivered();
        client = forward(server, "INVITE", &branch);
        cancel = std::make_unique<Parsed>(request("CANCEL", "z9hG4bKuac1"));
    }
};

TEST_F(CancelFixture, CancelBeforeProvisionalIsDeferredUntilTheFirstProvisional) {
    start();
    EXPECT_EQ(req(*cancel), RequestVerdict::cancel_matched);
    // 200 to the CANCEL, 487 to the INVITE, the cancelled notice; no CANCEL downstream yet.
    ASSERT_EQ(send_times("SIP/2.0 200").size(), 1u);
    EXPECT_NE(sent[sent.size() - 2].data.find("CSeq: 1 CANCEL"), std::string::npos);
    ASSERT_EQ(send_times("SIP/2.0 487").size(), 1u);
    EXPECT_NE(sent.back().data.find("CSeq: 1 INVITE"), std::string::npos);
    EXPECT_NE(sent.back().data.find("To: <sip:+4930123@core.example>;tag=pl"), std::string::npos);
    EXPECT_EQ(sent.back().to, kUac);
    // §9.2: one To tag for the 200 to the CANCEL and the 487 to the INVITE.
    const std::string& ok = sent[sent.size() - 2].data;
    const std::string& t487 = sent.back().data;
    const std::size_t a = ok.find(";tag=pl"), b = t487.find(";tag=pl");
    ASSERT_NE(a, std::string::npos);
    ASSERT_NE(b, std::string::npos);
    EXPECT_EQ(ok.substr(a, 25), t487.substr(b, 25));
    EXPECT_EQ(count(ActionKind::cancelled), 1u);
    EXPECT_EQ(table->state(server), TxState::completed);
    EXPECT_TRUE(send_times("CANCEL ").empty());
    // A new branch for this server is refused now.
    EXPECT_FALSE(forward(server, "INVITE").valid());
    // The first provisional releases the CANCEL (§9.1).
    Parsed p180(response(180, branch));
    resp(p180);
    ASSERT_EQ(send_times("CANCEL ").size(), 1u);
    EXPECT_NE(sent.back().data.find("branch=" + branch), std::string::npos);
    EXPECT_EQ(sent.back().to, kCore);
    // Its 200 stays here (§16.10).
    Parsed c200(response(200, branch, "CANCEL"));
    EXPECT_EQ(resp(c200), ResponseVerdict::absorbed);
    // The downstream 487 is ACKed; the core logic may not send a second final upstream.
    Parsed p487(response(487, branch));
    EXPECT_EQ(resp(p487), ResponseVerdict::delivered);
    EXPECT_EQ(send_times("ACK ").size(), 1u);
    EXPECT_FALSE(respond(server, upstream_response(487), 487));
    // The UAC ACKs our 487.
    Parsed ack(request("ACK", "z9hG4bKuac1", {}, {}, "x"));
    EXPECT_EQ(req(ack), RequestVerdict::ack_absorbed);
}

TEST_F(CancelFixture, CancelAfterProvisionalGoesDownstreamAtOnce) {
    start();
    Parsed p183(response(183, branch));
    resp(p183);
    ASSERT_TRUE(respond(server, upstream_response(183), 183));  // the callee's To tag t2 goes up
    EXPECT_EQ(req(*cancel), RequestVerdict::cancel_matched);
    ASSERT_EQ(send_times("CANCEL ").size(), 1u);
    EXPECT_EQ(table->counters().cancels_sent, 1u);
    // Both the 200 to the CANCEL and the 487 carry the tag of the 183 sent upstream.
    EXPECT_NE(sent[sent.size() - 3].data.find("CSeq: 1 CANCEL"), std::string::npos);
    EXPECT_NE(sent[sent.size() - 3].data.find(";tag=t2\r\n"), std::string::npos);
    EXPECT_EQ(sent[sent.size() - 2].data.rfind("SIP/2.0 487", 0), 0u);
    EXPECT_NE(sent[sent.size() - 2].data.find(";tag=t2\r\n"), std::string::npos);
    // A retransmitted CANCEL gets its 200 again and nothing else.
    const std::size_t before = sent.size();
    EXPECT_EQ(req(*cancel), RequestVerdict::retransmission);
    ASSERT_EQ(sent.size(), before + 1);
    EXPECT_EQ(sent.back().data.rfind("SIP/2.0 200", 0), 0u);
    EXPECT_NE(sent.back().data.find("CSeq: 1 CANCEL"), std::string::npos);
    // The downstream CANCEL is retransmitted by Timer E until answered.
    run_until(now + 600);
    EXPECT_EQ(send_times("CANCEL ").size(), 2u);
    EXPECT_EQ(count(ActionKind::cancelled), 1u);
}

TEST_F(CancelFixture, CancelAfterFinalIsAnswered200AndChangesNothing) {
    start();
    Parsed p486(response(486, branch));
    resp(p486);
    ASSERT_TRUE(respond(server, upstream_response(486), 486));
    EXPECT_EQ(req(*cancel), RequestVerdict::cancel_matched);
    EXPECT_EQ(send_times("SIP/2.0 200").size(), 1u);
    EXPECT_TRUE(send_times("SIP/2.0 487").empty());
    EXPECT_TRUE(send_times("CANCEL ").empty());
    EXPECT_EQ(count(ActionKind::cancelled), 0u);
}

TEST_F(CancelFixture, TwoXxCrossingTheCancelIsStillForwardedUpstream) {
    start();
    Parsed p180(response(180, branch));
    resp(p180);
    req(*cancel);  // 487 upstream, CANCEL downstream
    ASSERT_EQ(send_times("CANCEL ").size(), 1u);
    // The callee answered before our CANCEL reached it.
    Parsed p200(response(200, branch));
    EXPECT_EQ(resp(p200), ResponseVerdict::delivered);
    EXPECT_EQ(table->state(client), TxState::accepted);
    EXPECT_TRUE(respond(server, upstream_response(200), 200));  // §16.7 item 5
    EXPECT_EQ(sent.back().data.rfind("SIP/2.0 200", 0), 0u);
    EXPECT_NE(sent.back().data.find("CSeq: 1 INVITE"), std::string::npos);
    EXPECT_EQ(table->counters().late_2xx_forwarded, 1u);
    // The 481/200 to the CANCEL downstream is absorbed.
    Parsed c481(response(481, branch, "CANCEL"));
    EXPECT_EQ(resp(c481), ResponseVerdict::absorbed);
    // Timer G still resends our 487 until the UAC ACKs it.
    run_until(now + 500);
    EXPECT_EQ(send_times("SIP/2.0 487").size(), 2u);
}

TEST_F(CancelFixture, UnmatchedCancelIsDeliveredForA481) {
    Parsed cancel(request("CANCEL", "z9hG4bKnothere"));
    EXPECT_EQ(req(cancel), RequestVerdict::cancel_unmatched);
    const TxId s = delivered();
    ASSERT_TRUE(s.valid());
    EXPECT_TRUE(respond(s, upstream_response(481, "CANCEL"), 481));
    EXPECT_EQ(table->counters().cancels_unmatched, 1u);
}

TEST_F(CancelFixture, CoreLogicCancelBehavesLikeACancelWithout200) {
    start();
    Parsed p180(response(180, branch));
    resp(p180);
    out.clear();
    EXPECT_TRUE(table->cancel(server, now, out));
    collect();
    EXPECT_EQ(send_times("SIP/2.0 487").size(), 1u);
    EXPECT_EQ(send_times("CANCEL ").size(), 1u);
    EXPECT_TRUE(send_times("SIP/2.0 200").empty());
    out.clear();
    EXPECT_FALSE(table->cancel(server, now, out));
}

TEST_F(CancelFixture, UnansweredDownstreamCancelEndsQuietlyAndTimerCGivesUpOnTheInvite) {
    start();
    Parsed p180(response(180, branch));
    resp(p180);
    const std::uint64_t t0 = now;
    req(*cancel);
    ASSERT_EQ(send_times("CANCEL ").size(), 1u);
    // Nobody answers: the CANCEL's Timer F ends it without a timed_out (it is ours, not a branch).
    run_until(t0 + 32000);
    EXPECT_EQ(count(ActionKind::terminated, TimerId::f), 1u);
    EXPECT_EQ(count(ActionKind::timed_out), 0u);
    EXPECT_EQ(table->state(client), TxState::proceeding);
    // Our 487 was never ACKed either: Timer H.
    EXPECT_EQ(count(ActionKind::terminated, TimerId::h), 1u);
    // Timer C (armed at the 180) finally gives up on the INVITE branch.
    run_until(t0 + 181000);
    EXPECT_EQ(count(ActionKind::terminated, TimerId::c), 1u);
    EXPECT_EQ(table->state(client), TxState::free);
    EXPECT_EQ(table->size(), 0u);
}

TEST_F(TxTest, ActionListOverflowIsCounted) {
    ActionList list;
    for (std::size_t i = 0; i < ActionList::kCapacity + 3; ++i) list.push(Action{});
    EXPECT_EQ(list.size(), ActionList::kCapacity);
    EXPECT_EQ(list.overflow(), 3u);
}

TEST_F(CancelFixture, SerialFailoverAcrossBranchesThenCancelReachesOnlyTheLiveOne) {
    start();
    // Branch 1: no answer at all -> Timer B reports it for failover, naming the server.
    run_until(32000);
    ASSERT_EQ(count(ActionKind::timed_out, TimerId::b), 1u);
    for (const Action& a : all) {
        if (a.kind == ActionKind::timed_out) {
            EXPECT_EQ(a.server, server);
        }
    }
    EXPECT_EQ(table->state(server), TxState::proceeding);
    // Branch 2: 503 -> ACKed here, delivered with its server for the next failover.
    std::string br2;
    const TxId c2 = forward(server, "INVITE", &br2);
    ASSERT_TRUE(c2.valid());
    Parsed p503(response(503, br2));
    EXPECT_EQ(resp(p503), ResponseVerdict::delivered);
    EXPECT_EQ(out[out.size() - 1].server, server);
    EXPECT_EQ(send_times("ACK ").size(), 1u);
    // Branch 3: rings; then the caller gives up.
    std::string br3;
    forward(server, "INVITE", &br3);
    Parsed p180(response(180, br3));
    resp(p180);
    EXPECT_EQ(req(*cancel), RequestVerdict::cancel_matched);
    ASSERT_EQ(send_times("CANCEL ").size(), 1u);  // not to the completed branch 2
    EXPECT_NE(sent.back().data.find("branch=" + br3), std::string::npos);
}

// --- ACK end to end, RFC 2543 ----------------------------------------------------------------

TEST_F(TxTest, UnmatchedAckIsHandedToTheDialogLayer) {
    Parsed ack(request("ACK", "z9hG4bKsomething", {}, {}, "t2"));
    EXPECT_EQ(req(ack), RequestVerdict::ack_end_to_end);
    EXPECT_EQ(table->size(), 0u);
    EXPECT_EQ(table->counters().ack_end_to_end, 1u);
}

TEST_F(TxTest, Rfc2543RequestsMatchByCallIdFromTagCSeqAndVia) {
    Parsed inv(request("INVITE", "oldstyle1"));
    EXPECT_EQ(req(inv), RequestVerdict::new_transaction);
    const TxId s = delivered();
    EXPECT_EQ(req(inv), RequestVerdict::retransmission);
    respond(s, upstream_response(404), 404);
    Parsed ack(request("ACK", "oldstyle1", {}, {}, "t2"));
    EXPECT_EQ(req(ack), RequestVerdict::ack_absorbed);
    // A different CSeq is a different transaction.
    std::string text = request("INVITE", "oldstyle1");
    text.replace(text.find("CSeq: 1"), 7, "CSeq: 2");
    Parsed inv2(text);
    EXPECT_EQ(req(inv2), RequestVerdict::new_transaction);
}

TEST_F(TxTest, SameBranchFromAnotherSentByIsAnotherTransaction) {
    Parsed a(request("INVITE", "z9hG4bKsame"));
    std::string t = request("INVITE", "z9hG4bKsame");
    t.replace(t.find("10.0.0.1:5060"), 13, "10.0.0.2:5060");
    Parsed b(t);
    EXPECT_EQ(req(a), RequestVerdict::new_transaction);
    EXPECT_EQ(req(b), RequestVerdict::new_transaction);
    EXPECT_EQ(table->size(), 2u);
}

// --- table limits ---------------------------------------------------------------------------

TEST_F(TxTest, FullTableRefusesAndCounts) {
    TransactionTableConfig c;
    c.capacity = 2;
    make(c);
    Parsed a(request("OPTIONS", "z9hG4bKa")), b(request("OPTIONS", "z9hG4bKb")),
        d(request("OPTIONS", "z9hG4bKd"));
    EXPECT_EQ(req(a), RequestVerdict::new_transaction);
    EXPECT_EQ(req(b), RequestVerdict::new_transaction);
    EXPECT_EQ(req(d), RequestVerdict::table_full);
    EXPECT_FALSE(forward({}, "OPTIONS").valid());
    EXPECT_EQ(table->counters().table_full, 2u);
    EXPECT_EQ(req(a), RequestVerdict::retransmission);  // existing ones still match
}

TEST_F(TxTest, RecordsAreReusedAndOldIdsGoStale) {
    TransactionTableConfig c;
    c.capacity = 1;
    make(c);
    Parsed a(request("OPTIONS", "z9hG4bKa"));
    req(a);
    const TxId first = delivered();
    respond(first, upstream_response(200, "OPTIONS"), 200);
    run_until(32000);  // Timer J
    Parsed b(request("OPTIONS", "z9hG4bKb"));
    EXPECT_EQ(req(b), RequestVerdict::new_transaction);
    const TxId second = delivered();
    EXPECT_EQ(second.index, first.index);
    EXPECT_NE(second.generation, first.generation);
    EXPECT_EQ(table->state(first), TxState::free);
    EXPECT_FALSE(respond(first, upstream_response(200, "OPTIONS"), 200));
    EXPECT_TRUE(respond(second, upstream_response(200, "OPTIONS"), 200));
}

TEST_F(TxTest, TerminatedRecordIsNotReusedWithinTheSameCall) {
    TransactionTableConfig c;
    c.capacity = 1;
    make(c);
    Parsed a(request("OPTIONS", "z9hG4bKa"));
    req(a);
    respond(delivered(), upstream_response(200, "OPTIONS"), 200);
    // Timer J fires inside this on_request (time jumps), the record is freed only at the next
    // call: the table is full for this one request.
    now = 32000;
    Parsed b(request("OPTIONS", "z9hG4bKb"));
    EXPECT_EQ(req(b), RequestVerdict::table_full);
    EXPECT_EQ(count(ActionKind::terminated, TimerId::j), 1u);
    EXPECT_EQ(req(b), RequestVerdict::new_transaction);
}

TEST_F(TxTest, HeldReuseKeepsTheOuterListsSlotsForANestedCall) {
    // The proxy drains one call's actions and, from a handler, calls the table again (a
    // timeout moves a call to the next target: a new client transaction). The outer list may
    // still hold a `send` into a slot the outer call freed: here one jump of the clock both
    // retransmits a 486 (Timer G) and ends its transaction (Timer H). A nested call made under
    // hold_reuse must not hand that slot to a new transaction.
    TransactionTableConfig c;
    c.capacity = 1;
    make(c);
    Parsed inv(request("INVITE", "z9hG4bKa"));
    req(inv);
    respond(delivered(), upstream_response(486), 486);
    out.clear();
    table->advance(now + 40000, out);  // G retransmissions, then Timer H: terminated
    now += 40000;
    std::vector<std::string_view> outer_sends;
    bool terminated = false;
    for (const Action& a : out) {
        if (a.kind == ActionKind::send) outer_sends.push_back(a.data);
        terminated = terminated || a.kind == ActionKind::terminated;
    }
    ASSERT_TRUE(terminated);
    ASSERT_FALSE(outer_sends.empty());
    const std::string before(outer_sends.back());
    ASSERT_EQ(before.compare(0, 11, "SIP/2.0 486"), 0) << before;

    table->hold_reuse();  // a nested call while the outer list is being drained
    Parsed b(request("OPTIONS", "z9hG4bKb"));
    ActionList nested;
    EXPECT_EQ(table->on_request(*b.msg, b.v, kUac, now, nested), RequestVerdict::table_full);
    EXPECT_EQ(std::string(outer_sends.back()), before) << "the outer send's bytes changed";
    table->release_reuse();

    // Drained: the next call reuses the record.
    ActionList next;
    EXPECT_EQ(table->on_request(*b.msg, b.v, kUac, now, next), RequestVerdict::new_transaction);
}

TEST_F(TxTest, MessagesLargerThanASlotAreCountedFailures) {
    TransactionTableConfig c;
    c.slot_size = 600;
    make(c);
    // A request larger than a slot cannot be a client transaction (it could not be resent).
    std::string big = forwarded("INVITE", "z9hG4bK-pl-w0-1");
    big.insert(big.find("Content-Length"), "X-Pad: " + std::string(400, 'x') + "\r\n");
    ActionList o;
    EXPECT_FALSE(
        table->forward({}, big, sip::Method::invite, "z9hG4bK-pl-w0-1", kCore, 0, o).valid());
    EXPECT_EQ(table->counters().slot_too_large, 1u);
    // A response larger than a slot is sent once from the caller's buffer, never resent.
    Parsed inv(request("INVITE", "z9hG4bKuac1"));
    req(inv);
    const TxId s = delivered();
    std::string resp486 = upstream_response(486);
    resp486.insert(resp486.find("Content-Length"), "X-Pad: " + std::string(600, 'y') + "\r\n");
    ASSERT_TRUE(respond(s, resp486, 486));
    EXPECT_EQ(sent.back().data, resp486);
    EXPECT_EQ(table->counters().slot_too_large, 2u);
    run_until(2000);
    EXPECT_EQ(send_times("SIP/2.0 486").size(), 1u);
    EXPECT_EQ(table->state(s), TxState::completed);
}

TEST_F(TxTest, TooLongBranchIsRefused) {
    Parsed inv(request("INVITE", "z9hG4bK" + std::string(300, 'a')));
    EXPECT_EQ(req(inv), RequestVerdict::key_too_long);
    EXPECT_EQ(table->counters().key_too_long, 1u);
}

TEST_F(TxTest, IndexStaysConsistentUnderChurn) {
    TransactionTableConfig c;
    c.capacity = 64;
    make(c);
    std::vector<std::unique_ptr<Parsed>> reqs;
    std::vector<TxId> ids;
    for (int i = 0; i < 64; ++i) {
        reqs.push_back(
            std::make_unique<Parsed>(request("OPTIONS", "z9hG4bKchurn" + std::to_string(i))));
        ASSERT_EQ(req(*reqs.back()), RequestVerdict::new_transaction);
        ids.push_back(delivered());
    }
    // End every third one with a final + Timer J.
    for (int i = 0; i < 64; i += 3) respond(ids[i], upstream_response(200, "OPTIONS"), 200);
    run_until(32000);
    for (int i = 0; i < 64; ++i) {
        if (i % 3 == 0) {
            EXPECT_EQ(table->state(ids[i]), TxState::free) << i;
        } else {
            EXPECT_EQ(req(*reqs[i]), RequestVerdict::retransmission) << i;
        }
    }
    for (int i = 0; i < 64; i += 3) EXPECT_EQ(req(*reqs[i]), RequestVerdict::new_transaction) << i;
    EXPECT_EQ(table->size(), 64u);
}

TEST_F(TxTest, BranchesNameThisWorker) {
    TransactionTableConfig c;
    c.worker = 7;
    make(c);
    char a[kBranchMax], b[kBranchMax];
    const std::string_view x = table->make_branch(a, 0x1234);
    const std::string_view y = table->make_branch(b, 0x1234);
    EXPECT_NE(x, y);
    EXPECT_EQ(parse_branch(x).kind, BranchOwner::Kind::worker);
    EXPECT_EQ(parse_branch(x).worker, 7u);
    std::uint32_t h = 0;
    ASSERT_TRUE(branch_loop_hash(x, h));
    EXPECT_EQ(h, 0x1234u);
}

// Random traffic against a small table: nothing crashes, the counters stay consistent, and once
// time runs on every transaction ends and every timer is released.
class RandomTraffic : public TxTest, public ::testing::WithParamInterface<unsigned> {};

TEST_P(RandomTraffic, AlwaysDrainsToAnEmptyTable) {
    TransactionTableConfig c;
    c.capacity = 32;
    c.slot_size = 1024;
    make(c);
    std::mt19937 rng(GetParam());
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    std::vector<TxId> servers;
    std::vector<std::pair<TxId, std::string>> clients;
    const char* methods[] = {"INVITE", "OPTIONS", "BYE", "CANCEL", "ACK"};
    const int codes[] = {100, 180, 183, 200, 202, 302, 404, 486, 487, 503, 603};
    for (int step = 0; step < 20000; ++step) {
        switch (pick(7)) {
            case 0:
            case 1: {  // a request (new or a retransmission: 8 branches only)
                const std::string m = methods[pick(5)];
                Parsed p(request(m, "z9hG4bKr" + std::to_string(pick(8)), {}, {},
                                 m == "ACK" ? "t2" : ""));
                req(p);
                if (delivered().valid()) servers.push_back(delivered());
                break;
            }
            case 2:  // the core logic answers some server transaction (maybe a stale one)
                if (!servers.empty()) {
                    const int code = codes[pick(11)];
                    respond(servers[pick(servers.size())],
                            upstream_response(code == 100 ? 101 : code), code == 100 ? 101 : code);
                }
                break;
            case 3:  // the core logic forwards
                if (!servers.empty()) {
                    std::string br;
                    const TxId id = forward(pick(4) == 0 ? TxId{} : servers[pick(servers.size())],
                                            pick(2) == 0 ? "INVITE" : "BYE", &br);
                    if (id.valid()) clients.emplace_back(id, br);
                }
                break;
            case 4:  // a response from downstream
                if (!clients.empty()) {
                    const auto& [id, br] = clients[pick(clients.size())];
                    const bool invite = table->kind(id) == TxKind::client_invite;
                    Parsed p(response(codes[pick(11)], br,
                                      pick(5) == 0 ? "CANCEL" : (invite ? "INVITE" : "BYE")));
                    resp(p);
                }
                break;
            case 5:
                if (!servers.empty()) {
                    out.clear();
                    table->cancel(servers[pick(servers.size())], now, out);
                    collect();
                }
                break;
            default:
                run_until(now + 1 + pick(3000));
                break;
        }
        ASSERT_LE(table->size(), table->capacity());
        ASSERT_LE(table->wheel().size(), table->capacity() * 3);
    }
    run_until(now + 400000);  // past Timer C and its CANCEL wait
    EXPECT_EQ(table->size(), 0u);
    EXPECT_EQ(table->wheel().size(), 0u);
    const TransactionCounters& k = table->counters();
    EXPECT_EQ(k.created, k.terminated);
    EXPECT_EQ(count(ActionKind::terminated), k.terminated);
    EXPECT_GT(k.created, 100u);
    EXPECT_GT(k.cancels_matched + k.cancels_sent, 0u);
    EXPECT_GT(k.acks_sent, 0u);
    EXPECT_GT(k.absorbed_requests, 0u);
}
INSTANTIATE_TEST_SUITE_P(Seeds, RandomTraffic, ::testing::Values(1u, 2u, 3u, 12345u, 777u, 4242u));

TEST(TxTimersFrom, ReadsTheSettings) {
    SipSettings s;
    s.t1_ms = 1000;
    s.t2_ms = 8000;
    s.t4_ms = 6000;
    s.invite_timeout_ms = 20000;
    const TxTimers t = timers_from(s);
    EXPECT_EQ(t.t1_ms, 1000u);
    EXPECT_EQ(t.t2_ms, 8000u);
    EXPECT_EQ(t.t4_ms, 6000u);
    EXPECT_EQ(t.timer_b_ms, 20000u);
    EXPECT_EQ(t.timer_d_ms, 64000u);
    EXPECT_GT(t.timer_c_ms, 180000u);
}

}  // namespace
}  // namespace palisade::dp
