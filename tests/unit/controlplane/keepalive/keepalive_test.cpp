// Keepalive: OPTIONS built correctly (parsed back with the project's parser), sent to the
// binding's real address, spread over the interval with bounded work per tick, responses
// matched by branch, and the hysteresis state machine driven by a hand clock with exact counts,
// written to the LocationTable, the PeerHealthTable and the FailoverTable.
#include "controlplane/keepalive/keepalive.hpp"

#include <gtest/gtest.h>

#include <array>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "controlplane/registrar/bindings.hpp"
#include "parsers/sip/builder.hpp"
#include "parsers/sip/message.hpp"
#include "parsers/sip/values.hpp"

namespace palisade::cp {
namespace {

constexpr std::uint32_t kAccessIp = 0x0a000001;  // 10.0.0.1
constexpr std::uint32_t kCoreIp = 0x0a010001;    // 10.1.0.1
constexpr std::uint32_t kPeerIp = 0x0a010009;    // 10.1.0.9
constexpr std::uint32_t kNatIp = 0xcb007105;     // 203.0.113.5: the PBX's public address
constexpr std::uint32_t kTrunk = 7;

dp::LocationLimits small_limits() {
    dp::LocationLimits l;
    l.accounts = 256;
    l.sources = 512;
    l.blocked = 16;
    l.trunks = 64;
    l.max_readers = 2;
    return l;
}

dp::ConfigSpec config(bool with_peer = true) {
    dp::ConfigSpec c;
    dp::InterfaceSpec a;
    a.name = "access";
    a.role = dp::PortRole::access;
    a.address = {kAccessIp, 24};
    a.sip_port = 5060;
    dp::InterfaceSpec k;
    k.name = "core";
    k.role = dp::PortRole::core;
    k.address = {kCoreIp, 24};
    k.sip_port = 5070;
    c.interfaces = {a, k};
    if (with_peer) {
        dp::CorePeerSpec p;
        p.name = "core-a";
        p.address = kPeerIp;
        p.port = 5060;
        c.core_peers = {p};
    }
    c.sip.keepalive_interval_s = 30;
    c.sip.keepalive_timeout_ms = 2000;
    c.sip.keepalive_down_after = 3;
    c.sip.keepalive_up_after = 2;
    return c;
}

struct Sent {
    std::uint16_t iface;
    std::uint32_t ip;
    std::uint16_t port;
    std::string text;
};

struct Fixture {
    dp::LocationTable location{small_limits()};
    dp::PeerHealthTable peers;
    FailoverTable failover{location};
    Keepalive ka{location, peers, &failover, 0x5a5a1234};
    std::vector<Sent> sent;
    std::vector<std::string> log;
    SendFn send = [this](const Datagram& d) {
        sent.push_back({d.iface, d.ip, d.port, std::string(d.text)});
        return true;
    };
    std::uint64_t now = 1000;

    explicit Fixture(bool with_peer = false) {
        ka.set_log([this](std::string_view l) { log.emplace_back(l); });
        failover.set_log([this](std::string_view l) { log.emplace_back(l); });
        ka.configure(config(with_peer));
    }

    // Registers `username` with the given contacts in both the LocationTable and keepalive,
    // as the registrar's publish does.
    void register_account(const std::string& username, dp::LocationRole role,
                          std::vector<dp::LocationTable::ContactInput> contacts) {
        ASSERT_TRUE(location.set_contacts(username, kTrunk, role, contacts));
        ka.set_account_contacts(username, kTrunk, role, contacts);
    }

    // Advances the clock in 100 ms steps until a probe goes out; returns it.
    Sent next_probe() {
        const std::size_t before = sent.size();
        for (int i = 0; i < 400 && sent.size() == before; ++i) {
            ka.tick(now, send);
            if (sent.size() == before) now += 100;
        }
        EXPECT_EQ(sent.size(), before + 1);
        return sent.empty() ? Sent{} : sent.back();
    }
    // Answers a probe from `src` (a 200 built from the request, Via copied).
    ResponseMatch answer(const Sent& probe, std::uint32_t src, int code = 200) {
        sip::Message req;
        EXPECT_EQ(req.parse(probe.text), sip::ParseStatus::ok);
        std::array<char, 4096> buf;
        const std::size_t n = sip::build_response(req, code, "OK", "t1", "", "", buf);
        EXPECT_GT(n, 0u);
        return ka.on_response(std::string_view(buf.data(), n), src, probe.port, now);
    }
    // Lets a probe time out.
    void miss() {
        now += 2000;
        ka.tick(now, send);
    }
};

dp::LocationTable::ContactInput contact(std::uint32_t id, std::uint16_t port = 40001,
                                        std::string_view uri = "sip:100@192.168.1.10:5060") {
    dp::LocationTable::ContactInput c;
    c.uri = uri;
    c.ip = kNatIp;
    c.port = port;
    c.iface = 0;
    c.contact_id = id;
    c.expires_at_s = 1'700'003'600;
    return c;
}

dp::Reachability location_state(const dp::LocationTable& loc, std::string_view user,
                                std::uint32_t id) {
    for (const auto& c : loc.contacts(user))
        if (c.contact_id == id) return c.reachable();
    return dp::Reachability::unknown;
}

// ---- the request

TEST(Keepalive, OptionsRequestParsesBack) {
    std::array<char, 2048> buf;
    const std::uint64_t unique = 0x1234abcdef;
    const std::size_t n =
        build_options(buf, "sip:100@192.168.1.10:5060;transport=udp", kAccessIp, 5060, unique);
    ASSERT_GT(n, 0u);
    const std::string_view text(buf.data(), n);
    sip::Message m;
    ASSERT_EQ(m.parse(text), sip::ParseStatus::ok) << text;
    EXPECT_TRUE(m.is_request());
    EXPECT_EQ(m.method(), sip::Method::options);
    EXPECT_EQ(m.request_uri(), "sip:100@192.168.1.10:5060;transport=udp");
    EXPECT_EQ(m.version(), "SIP/2.0");
    ASSERT_EQ(m.count(sip::HeaderId::via), 1u);
    sip::Via via;
    ASSERT_EQ(sip::parse_via(m.find(sip::HeaderId::via)->value, via), sip::Reason::none);
    EXPECT_EQ(via.transport, "UDP");
    EXPECT_EQ(via.host, "10.0.0.1");
    EXPECT_EQ(via.port, 5060);
    EXPECT_TRUE(via.has_rport);
    EXPECT_TRUE(sip::branch_is_rfc3261(via.branch));
    const dp::BranchOwner owner = dp::parse_branch(via.branch);
    EXPECT_EQ(owner.kind, dp::BranchOwner::Kind::control_plane);
    std::uint64_t back = 0;
    ASSERT_TRUE(parse_cp_branch(via.branch, back));
    EXPECT_EQ(back, unique);
    std::uint32_t mf = 0;
    ASSERT_EQ(sip::parse_max_forwards(m.find(sip::HeaderId::max_forwards)->value, mf),
              sip::Reason::none);
    EXPECT_EQ(mf, 70u);
    sip::CSeq cseq;
    ASSERT_EQ(sip::parse_cseq(m.find(sip::HeaderId::cseq)->value, cseq), sip::Reason::none);
    EXPECT_EQ(cseq.method, sip::Method::options);
    EXPECT_EQ(cseq.number, 1u);
    sip::NameAddr from, to;
    ASSERT_EQ(sip::parse_name_addr(m.find(sip::HeaderId::from)->value, from), sip::Reason::none);
    EXPECT_FALSE(from.tag.empty());  // RFC 3261 §8.1.1.3
    EXPECT_EQ(from.uri_text, "sip:palisade@10.0.0.1");
    ASSERT_EQ(sip::parse_name_addr(m.find(sip::HeaderId::to)->value, to), sip::Reason::none);
    EXPECT_EQ(to.uri_text, "sip:100@192.168.1.10:5060;transport=udp");
    EXPECT_TRUE(to.tag.empty());
    ASSERT_NE(m.find(sip::HeaderId::call_id), nullptr);
    EXPECT_NE(m.find(sip::HeaderId::call_id)->value.find("@10.0.0.1"), std::string_view::npos);
    ASSERT_NE(m.find(sip::HeaderId::accept), nullptr);
    EXPECT_EQ(m.find(sip::HeaderId::accept)->value, "application/sdp");
    EXPECT_TRUE(m.has_content_length());
    EXPECT_EQ(m.content_length(), 0u);
    EXPECT_EQ(m.size(), n);
}

TEST(Keepalive, OptionsRefusesUnsafeUris) {
    std::array<char, 2048> buf;
    EXPECT_EQ(build_options(buf, "sip:a@b\r\nX: y", kAccessIp, 5060, 1), 0u);
    EXPECT_EQ(build_options(buf, "sip:a@b>", kAccessIp, 5060, 1), 0u);
    EXPECT_EQ(build_options(buf, "", kAccessIp, 5060, 1), 0u);
    std::array<char, 40> tiny;
    EXPECT_EQ(build_options(tiny, "sip:a@b", kAccessIp, 5060, 1), 0u);
}

TEST(Keepalive, CpBranchParsing) {
    std::uint64_t u = 0;
    EXPECT_TRUE(parse_cp_branch("z9hG4bK-pl-c-0", u));
    EXPECT_EQ(u, 0u);
    EXPECT_TRUE(parse_cp_branch("z9hG4bK-pl-c-ffffffffffffffff", u));
    EXPECT_EQ(u, ~0ull);
    EXPECT_FALSE(parse_cp_branch("z9hG4bK-pl-w1-10", u));
    EXPECT_FALSE(parse_cp_branch("z9hG4bK-pl-c-", u));
    EXPECT_FALSE(parse_cp_branch("z9hG4bK-pl-c-1ffffffffffffffff", u));
    EXPECT_FALSE(parse_cp_branch("z9hG4bK-pl-c-12G", u));
    EXPECT_FALSE(parse_cp_branch("z9hG4bKabc", u));
}

TEST(Keepalive, RingMessageIsAnInject) {
    dp::RingMessage m;
    Datagram d{1, kPeerIp, 5062, "OPTIONS sip:x SIP/2.0\r\n\r\n"};
    ASSERT_TRUE(to_ring_message(d, m));
    EXPECT_EQ(m.kind, dp::RingKind::inject_sip);
    EXPECT_EQ(m.port, 1);
    EXPECT_EQ(m.remote_ip, kPeerIp);
    EXPECT_EQ(m.remote_port, 5062);
    EXPECT_EQ(m.text(), d.text);
}

// ---- where and when

TEST(Keepalive, ProbesTheBindingsRealAddressWithItsContactUri) {
    Fixture f;
    f.register_account("acme-1", dp::LocationRole::primary, {contact(11, 40001)});
    const Sent p = f.next_probe();
    EXPECT_EQ(p.iface, 0);
    EXPECT_EQ(p.ip, kNatIp);  // the REGISTER's source, not the URI's private host
    EXPECT_EQ(p.port, 40001);
    sip::Message m;
    ASSERT_EQ(m.parse(p.text), sip::ParseStatus::ok);
    EXPECT_EQ(m.request_uri(), "sip:100@192.168.1.10:5060");
    sip::Via via;
    ASSERT_EQ(sip::parse_via(m.find(sip::HeaderId::via)->value, via), sip::Reason::none);
    EXPECT_EQ(via.host, "10.0.0.1");  // the access interface's address
    EXPECT_EQ(f.ka.outstanding(), 1u);
}

TEST(Keepalive, CorePeerIsProbedFromTheCoreInterface) {
    Fixture f(true);
    const Sent p = f.next_probe();
    EXPECT_EQ(p.iface, 1);
    EXPECT_EQ(p.ip, kPeerIp);
    EXPECT_EQ(p.port, 5060);
    sip::Message m;
    ASSERT_EQ(m.parse(p.text), sip::ParseStatus::ok);
    EXPECT_EQ(m.request_uri(), "sip:10.1.0.9:5060");
    sip::Via via;
    ASSERT_EQ(sip::parse_via(m.find(sip::HeaderId::via)->value, via), sip::Reason::none);
    EXPECT_EQ(via.host, "10.1.0.1");
    EXPECT_EQ(via.port, 5070);
    EXPECT_EQ(f.peers.count(), 1u);
}

TEST(Keepalive, SendsAreSpreadOverTheIntervalAndEachTargetOncePerInterval) {
    Fixture f(true);
    for (int a = 0; a < 20; ++a) {
        std::vector<dp::LocationTable::ContactInput> cs;
        for (int k = 0; k < 5; ++k)
            cs.push_back(contact(static_cast<std::uint32_t>(a * 10 + k + 1),
                                 static_cast<std::uint16_t>(41000 + a * 10 + k)));
        f.register_account("acct-" + std::to_string(a), dp::LocationRole::primary, cs);
    }
    // 100 contacts + 1 peer. One tick per millisecond for one interval (first due times are
    // start + [0, 30000) ms).
    std::map<std::uint64_t, int> per_second;
    std::set<std::pair<std::uint32_t, std::uint16_t>> dests;
    const std::uint64_t start = f.now;
    for (std::uint64_t t = start; t < start + 30000; ++t) {
        const std::size_t before = f.sent.size();
        f.ka.tick(t, f.send);
        per_second[(t - start) / 1000] += static_cast<int>(f.sent.size() - before);
        for (std::size_t i = before; i < f.sent.size(); ++i) {
            dests.insert({f.sent[i].ip, f.sent[i].port});
            // Answer everything so that no target is skipped as busy.
            f.now = t;
            EXPECT_EQ(f.answer(f.sent[i], f.sent[i].ip), ResponseMatch::matched);
        }
    }
    EXPECT_EQ(f.sent.size(), 101u);
    EXPECT_EQ(dests.size(), 101u);
    int busiest = 0;
    for (const auto& [s, n] : per_second) busiest = std::max(busiest, n);
    EXPECT_LE(busiest, 15) << "not spread: " << busiest << " in one second";
    // The second interval: each once more, at the same phase.
    for (std::uint64_t t = start + 30000; t < start + 60000; ++t) f.ka.tick(t, f.send);
    EXPECT_EQ(f.sent.size(), 202u);
    EXPECT_EQ(f.ka.counters().sent, 202u);
}

TEST(Keepalive, WorkPerTickIsBounded) {
    Fixture f;
    KeepaliveSettings s = f.ka.settings();
    s.max_sends_per_tick = 5;
    f.ka.set_settings(s);
    for (int a = 0; a < 4; ++a) {
        std::vector<dp::LocationTable::ContactInput> cs;
        for (int k = 0; k < 5; ++k)
            cs.push_back(contact(static_cast<std::uint32_t>(a * 10 + k + 1)));
        f.register_account("b-" + std::to_string(a), dp::LocationRole::primary, cs);
    }
    f.ka.tick(f.now, f.send);  // schedules
    EXPECT_LE(f.sent.size(), 5u);
    const std::uint64_t late = f.now + 30000;  // every one of the 20 is due
    const std::size_t before = f.sent.size();
    f.ka.tick(late, f.send);
    EXPECT_EQ(f.sent.size() - before, 5u);
    f.ka.tick(late, f.send);
    EXPECT_EQ(f.sent.size() - before, 10u);
    EXPECT_GE(f.ka.counters().deferred_ticks, 2u);
}

// ---- the state machine

TEST(Keepalive, HysteresisDownAfterNMissedUpAfterMAnswered) {
    Fixture f;
    f.register_account("acme-1", dp::LocationRole::primary, {contact(11)});
    EXPECT_EQ(location_state(f.location, "acme-1", 11), dp::Reachability::unknown);

    // First answer: unknown -> up.
    EXPECT_EQ(f.answer(f.next_probe(), kNatIp), ResponseMatch::matched);
    EXPECT_EQ(f.ka.contact_status("acme-1", 11)->state, dp::Reachability::up);
    EXPECT_EQ(location_state(f.location, "acme-1", 11), dp::Reachability::up);
    EXPECT_EQ(f.ka.counters().went_up, 1u);

    // Two misses: still up.
    for (int i = 0; i < 2; ++i) {
        f.next_probe();
        f.miss();
        EXPECT_EQ(f.ka.contact_status("acme-1", 11)->state, dp::Reachability::up) << i;
        EXPECT_EQ(f.ka.contact_status("acme-1", 11)->missed_run, static_cast<std::uint32_t>(i + 1));
    }
    EXPECT_EQ(location_state(f.location, "acme-1", 11), dp::Reachability::up);
    // The third: down.
    f.next_probe();
    f.miss();
    auto st = f.ka.contact_status("acme-1", 11);
    EXPECT_EQ(st->state, dp::Reachability::down);
    EXPECT_EQ(st->missed_run, 3u);
    EXPECT_EQ(st->missed, 3u);
    EXPECT_EQ(st->answered, 1u);
    EXPECT_EQ(location_state(f.location, "acme-1", 11), dp::Reachability::down);
    EXPECT_EQ(f.ka.counters().went_down, 1u);
    EXPECT_EQ(f.ka.counters().timeouts, 3u);

    // More misses change nothing.
    f.next_probe();
    f.miss();
    EXPECT_EQ(f.ka.counters().went_down, 1u);

    // One answer: still down (up_after = 2).
    EXPECT_EQ(f.answer(f.next_probe(), kNatIp), ResponseMatch::matched);
    EXPECT_EQ(f.ka.contact_status("acme-1", 11)->state, dp::Reachability::down);
    EXPECT_EQ(location_state(f.location, "acme-1", 11), dp::Reachability::down);
    // A miss in between restarts the count.
    f.next_probe();
    f.miss();
    EXPECT_EQ(f.answer(f.next_probe(), kNatIp), ResponseMatch::matched);
    EXPECT_EQ(f.ka.contact_status("acme-1", 11)->state, dp::Reachability::down);
    // The second answer in a row: up.
    EXPECT_EQ(f.answer(f.next_probe(), kNatIp), ResponseMatch::matched);
    st = f.ka.contact_status("acme-1", 11);
    EXPECT_EQ(st->state, dp::Reachability::up);
    EXPECT_EQ(st->answered_run, 2u);
    EXPECT_EQ(st->changes, 3u);
    EXPECT_EQ(location_state(f.location, "acme-1", 11), dp::Reachability::up);
    EXPECT_EQ(f.ka.counters().went_up, 2u);
    EXPECT_EQ(f.ka.counters().went_down, 1u);
    EXPECT_EQ(f.ka.counters().answered, 4u);
    EXPECT_EQ(f.ka.counters().timeouts, 5u);

    // Every change logged, one line each, with the contact and the counts.
    std::vector<std::string> ka_lines;
    for (const auto& l : f.log)
        if (l.rfind("keepalive:", 0) == 0) ka_lines.push_back(l);
    ASSERT_EQ(ka_lines.size(), 3u);
    EXPECT_NE(ka_lines[0].find("contact acme-1 id 11 sip:100@192.168.1.10:5060 at "
                               "203.0.113.5:40001 unknown -> up after 1 answered"),
              std::string::npos)
        << ka_lines[0];
    EXPECT_NE(ka_lines[1].find("up -> down after 3 missed (sent 4, answered 1, missed 3)"),
              std::string::npos)
        << ka_lines[1];
    EXPECT_NE(ka_lines[2].find("down -> up after 2 answered"), std::string::npos) << ka_lines[2];
}

TEST(Keepalive, NeverAnsweredGoesFromUnknownToDown) {
    Fixture f;
    f.register_account("acme-1", dp::LocationRole::primary, {contact(11)});
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(f.ka.contact_status("acme-1", 11)->state, dp::Reachability::unknown);
        f.next_probe();
        f.miss();
    }
    EXPECT_EQ(f.ka.contact_status("acme-1", 11)->state, dp::Reachability::down);
    EXPECT_EQ(f.ka.counters().went_down, 1u);
    EXPECT_EQ(f.ka.counters().went_up, 0u);
}

TEST(Keepalive, AnyResponseCountsAsAlive) {
    Fixture f;
    f.register_account("acme-1", dp::LocationRole::primary, {contact(11)});
    EXPECT_EQ(f.answer(f.next_probe(), kNatIp, 503), ResponseMatch::matched);
    EXPECT_EQ(f.ka.contact_status("acme-1", 11)->state, dp::Reachability::up);
    f.next_probe();
    f.miss();
    EXPECT_EQ(f.answer(f.next_probe(), kNatIp, 404), ResponseMatch::matched);
    EXPECT_EQ(f.ka.contact_status("acme-1", 11)->missed_run, 0u);
}

TEST(Keepalive, CorePeerHealthFollowsTheSameMachine) {
    Fixture f(true);
    EXPECT_EQ(f.peers.state(0), dp::Reachability::unknown);
    EXPECT_TRUE(f.peers.usable(0));
    for (int i = 0; i < 3; ++i) {
        f.next_probe();
        f.miss();
    }
    EXPECT_EQ(f.peers.state(0), dp::Reachability::down);
    EXPECT_FALSE(f.peers.usable(0));
    EXPECT_EQ(f.ka.peer_status(0)->state, dp::Reachability::down);
    f.answer(f.next_probe(), kPeerIp);
    EXPECT_EQ(f.peers.state(0), dp::Reachability::down);
    f.answer(f.next_probe(), kPeerIp);
    EXPECT_EQ(f.peers.state(0), dp::Reachability::up);
    ASSERT_GE(f.log.size(), 2u);
    EXPECT_NE(f.log[0].find("core peer core-a (10.1.0.9:5060) unknown -> down after 3 missed"),
              std::string::npos)
        << f.log[0];
}

// ---- matching responses

TEST(Keepalive, ResponsesAreMatchedByBranchAndSource) {
    Fixture f;
    f.register_account("acme-1", dp::LocationRole::primary, {contact(11)});
    const Sent p = f.next_probe();
    // From another address: ignored, the probe stays out.
    EXPECT_EQ(f.answer(p, kNatIp + 1), ResponseMatch::wrong_source);
    EXPECT_EQ(f.ka.outstanding(), 1u);
    EXPECT_EQ(f.ka.contact_status("acme-1", 11)->state, dp::Reachability::unknown);
    // From the probed address: matched.
    EXPECT_EQ(f.answer(p, kNatIp), ResponseMatch::matched);
    EXPECT_EQ(f.ka.outstanding(), 0u);
    // A retransmitted response: no probe any more.
    EXPECT_EQ(f.answer(p, kNatIp), ResponseMatch::not_ours);
    // Garbage, a request, a response without Via, a worker's branch.
    EXPECT_EQ(f.ka.on_response("garbage", kNatIp, 1, f.now), ResponseMatch::malformed);
    EXPECT_EQ(f.ka.on_response(p.text, kNatIp, 1, f.now), ResponseMatch::malformed);
    EXPECT_EQ(f.ka.on_response("SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", kNatIp, 1, f.now),
              ResponseMatch::malformed);
    EXPECT_EQ(
        f.ka.on_response("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-pl-w0-5\r\n"
                         "Content-Length: 0\r\n\r\n",
                         kNatIp, 1, f.now),
        ResponseMatch::not_ours);
    EXPECT_EQ(f.ka.counters().wrong_source, 1u);
    EXPECT_EQ(f.ka.counters().answered, 1u);
    EXPECT_EQ(f.ka.counters().unmatched, 2u);
    EXPECT_EQ(f.ka.counters().malformed, 3u);
}

TEST(Keepalive, LateResponseAfterTimeoutIsNotCounted) {
    Fixture f;
    f.register_account("acme-1", dp::LocationRole::primary, {contact(11)});
    const Sent p = f.next_probe();
    f.miss();
    EXPECT_EQ(f.ka.contact_status("acme-1", 11)->missed, 1u);
    EXPECT_EQ(f.answer(p, kNatIp), ResponseMatch::not_ours);
    EXPECT_EQ(f.ka.contact_status("acme-1", 11)->answered, 0u);
}

TEST(Keepalive, ViaRingMessage) {
    Fixture f;
    f.register_account("acme-1", dp::LocationRole::primary, {contact(11)});
    const Sent p = f.next_probe();
    sip::Message req;
    ASSERT_EQ(req.parse(p.text), sip::ParseStatus::ok);
    dp::RingMessage m;
    const std::size_t n =
        sip::build_response(req, 200, "OK", "x", "", "", {m.payload, dp::kRingPayloadMax});
    ASSERT_GT(n, 0u);
    m.kind = dp::RingKind::sip_cp_response;
    m.length = static_cast<std::uint32_t>(n);
    m.remote_ip = kNatIp;
    m.remote_port = 40001;
    EXPECT_EQ(f.ka.on_response(m, f.now), ResponseMatch::matched);
}

TEST(Keepalive, MangledResponsesNeverCrashOrMatchWrongly) {
    Fixture f;
    f.register_account("acme-1", dp::LocationRole::primary, {contact(11)});
    const Sent p = f.next_probe();
    sip::Message req;
    ASSERT_EQ(req.parse(p.text), sip::ParseStatus::ok);
    std::array<char, 4096> buf;
    const std::size_t n = sip::build_response(req, 200, "OK", "t", "", "", buf);
    const std::string good(buf.data(), n);
    // Every truncation, and every single-octet change, of a valid response.
    std::size_t matched = 0;
    for (std::size_t cut = 0; cut < good.size(); ++cut) {
        const ResponseMatch r = f.ka.on_response(std::string_view(good).substr(0, cut), kNatIp, 1, f.now);
        matched += r == ResponseMatch::matched;
    }
    const std::string junk = "\0\r\n;=,<>\"\xff zZ9";
    for (std::size_t i = 0; i < good.size() && matched == 0; ++i)
        for (char c : junk) {
            std::string m = good;
            m[i] = c;
            if (f.ka.on_response(m, kNatIp, 1, f.now) == ResponseMatch::matched) {
                // Only a change outside the branch may still match, and then only once.
                ++matched;
                break;
            }
        }
    EXPECT_LE(matched, 1u);
    EXPECT_EQ(f.ka.counters().answered, matched);
}

// ---- contacts come and go

TEST(Keepalive, ContactChangesKeepStateByIdAndDropRemovedOnes) {
    Fixture f;
    f.register_account("acme-1", dp::LocationRole::primary, {contact(11, 40001)});
    f.answer(f.next_probe(), kNatIp);
    ASSERT_EQ(f.ka.contact_status("acme-1", 11)->state, dp::Reachability::up);
    // Same binding, new NAT port (re-REGISTER), plus a second contact.
    f.register_account("acme-1", dp::LocationRole::primary,
                       {contact(11, 40002), contact(12, 40003, "sip:101@192.168.1.11")});
    EXPECT_EQ(f.ka.contact_status("acme-1", 11)->state, dp::Reachability::up);
    EXPECT_EQ(f.ka.contact_status("acme-1", 11)->port, 40002);
    EXPECT_EQ(f.ka.contact_status("acme-1", 12)->state, dp::Reachability::unknown);
    EXPECT_EQ(f.ka.targets().size(), 2u);
    // The next probe of contact 11 goes to the new port.
    std::set<std::uint16_t> ports;
    for (int i = 0; i < 2; ++i) {
        Sent p = f.next_probe();
        ports.insert(p.port);
        f.answer(p, kNatIp);
    }
    EXPECT_EQ(ports, (std::set<std::uint16_t>{40002, 40003}));
    // Unregister everything: an answer to a probe still out is not ours any more.
    const Sent p = f.next_probe();
    f.register_account("acme-1", dp::LocationRole::primary, {});
    EXPECT_FALSE(f.ka.contact_status("acme-1", 11).has_value());
    EXPECT_TRUE(f.ka.targets().empty());
    EXPECT_EQ(f.answer(p, kNatIp), ResponseMatch::not_ours);
    // And nothing more is sent.
    const std::size_t before = f.sent.size();
    for (int i = 0; i < 70; ++i) {
        f.now += 1000;
        f.ka.tick(f.now, f.send);
    }
    EXPECT_EQ(f.sent.size(), before);
}

TEST(Keepalive, RefusedSendIsNotAMiss) {
    Fixture f;
    f.register_account("acme-1", dp::LocationRole::primary, {contact(11)});
    SendFn refuse = [](const Datagram&) { return false; };
    for (int i = 0; i < 100; ++i) {
        f.ka.tick(f.now, refuse);
        f.now += 1000;
    }
    EXPECT_GE(f.ka.counters().send_failed, 3u);
    EXPECT_EQ(f.ka.counters().timeouts, 0u);
    EXPECT_EQ(f.ka.contact_status("acme-1", 11)->state, dp::Reachability::unknown);
}

// ---- failover follows reachability

TEST(Keepalive, UnreachablePrimaryMovesTheTrunkToTheSecondary) {
    Fixture f;
    f.register_account("acme-1", dp::LocationRole::primary, {contact(11, 40001)});
    f.register_account("acme-2", dp::LocationRole::secondary,
                       {contact(21, 40002, "sip:200@192.168.1.20")});
    EXPECT_EQ(f.failover.effective(kTrunk), dp::FailoverMode::primary);
    EXPECT_EQ(f.location.failover_state(kTrunk), dp::FailoverMode::automatic);
    // Only contact 11 misses; 21 answers.
    for (int round = 0; round < 3; ++round) {
        for (int k = 0; k < 2; ++k) {
            Sent p = f.next_probe();
            if (p.port == 40002) f.answer(p, kNatIp);
        }
        f.miss();
    }
    EXPECT_EQ(f.ka.contact_status("acme-1", 11)->state, dp::Reachability::down);
    EXPECT_EQ(f.ka.contact_status("acme-2", 21)->state, dp::Reachability::up);
    EXPECT_EQ(f.failover.effective(kTrunk), dp::FailoverMode::secondary);
    EXPECT_EQ(f.location.failover_state(kTrunk), dp::FailoverMode::secondary);
    // The secondary unregisters: dialplan.
    f.register_account("acme-2", dp::LocationRole::secondary, {});
    EXPECT_EQ(f.failover.effective(kTrunk), dp::FailoverMode::dialplan);
    EXPECT_EQ(f.location.failover_state(kTrunk), dp::FailoverMode::dialplan);
}

// ---- start-up: the registrar's bindings (restored from persistence) become targets

TEST(Keepalive, SyncFromBindings) {
    Fixture f;
    BindingStore store;
    const std::uint32_t a = store.upsert_account("acme-1", kTrunk, dp::LocationRole::primary);
    const std::uint32_t b = store.upsert_account("acme-2", kTrunk, dp::LocationRole::secondary);
    BindingData d1;
    d1.uri = "sip:100@192.168.1.10";
    d1.ip = kNatIp;
    d1.port = 40001;
    d1.expires_at = 1'700'003'600;
    const std::uint32_t id1 = store.add(a, std::move(d1));
    BindingData d2;
    d2.uri = "sip:200@192.168.1.20";
    d2.ip = kNatIp + 1;
    d2.port = 40002;
    d2.expires_at = 1'700'003'600;
    store.add(b, std::move(d2));
    f.ka.sync_from_bindings(store);
    EXPECT_EQ(f.ka.targets().size(), 2u);
    const auto st = f.ka.contact_status("acme-1", store.binding(id1).contact_id);
    ASSERT_TRUE(st.has_value());
    EXPECT_EQ(st->port, 40001);
    EXPECT_EQ(st->name, "sip:100@192.168.1.10");
    EXPECT_EQ(f.failover.effective(kTrunk), dp::FailoverMode::primary);
    // The primary's binding goes: the next sync drops it, the trunk falls to the secondary.
    store.remove(id1);
    f.ka.sync_from_bindings(store);
    EXPECT_EQ(f.ka.targets().size(), 1u);
    EXPECT_FALSE(f.ka.contact_status("acme-1", st->contact_id).has_value());
    EXPECT_EQ(f.failover.effective(kTrunk), dp::FailoverMode::secondary);
    EXPECT_EQ(f.failover.counters().publish_refused, 0u);
}

}  // namespace
}  // namespace palisade::cp
