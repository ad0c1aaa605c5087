// Tests of controlplane/registrar: RFC 3261 §10.3 rule by rule, with exact responses, through
// a test UA that answers challenges like a PBX.
#include "controlplane/registrar/registrar.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "controlplane/guard/auth_guard.hpp"
#include "dataplane/contract/limits.hpp"
#include "parsers/sip/digest.hpp"
#include "parsers/sip/message.hpp"
#include "parsers/sip/scan.hpp"
#include "parsers/sip/values.hpp"

namespace palisade::cp {
namespace {

using dp::RingKind;
using dp::RingMessage;

constexpr std::uint64_t kNow = 1'700'000'000;  // Tue, 14 Nov 2023 22:13:20 GMT
constexpr std::uint32_t kSrcIp = 0xc6336407;   // 198.51.100.7
constexpr std::uint16_t kSrcPort = 40000;

std::string hex_ha1(sip::HashAlgorithm alg, std::string_view user, std::string_view pw) {
    char out[sip::kMaxDigestHexLen];
    return std::string(out, sip::compute_ha1(alg, user, "palisade", pw, out, sizeof out));
}

dp::AccountSpec account(std::string user, std::vector<dp::DigestAlgorithm> algs) {
    dp::AccountSpec a;
    a.username = user;
    a.algorithms = algs;
    for (auto alg : algs) {
        if (alg == dp::DigestAlgorithm::md5) a.ha1_md5 = hex_ha1(sip::HashAlgorithm::md5, user, "secret");
        if (alg == dp::DigestAlgorithm::sha256) a.ha1_sha256 = hex_ha1(sip::HashAlgorithm::sha256, user, "secret");
    }
    return a;
}

dp::ConfigSpec config() {
    dp::ConfigSpec c;
    c.sip.realm = "palisade";
    c.sip.nonce_secret = "registrar-test";
    c.policies.push_back({"open", {}, dp::RuleAction::allow});
    dp::TrunkSpec t;
    t.id = "acme";
    t.policy = "open";
    t.subnets = {{0xc0000200, 24}};
    t.primary = account("alice", {dp::DigestAlgorithm::sha256, dp::DigestAlgorithm::md5});
    t.secondary = account("alice2", {dp::DigestAlgorithm::md5});
    dp::TrunkSpec u = t;
    u.id = "beta";
    u.primary = account("bob", {dp::DigestAlgorithm::md5, dp::DigestAlgorithm::sha256});
    u.secondary = account("bob2", {dp::DigestAlgorithm::sha256});
    c.trunks = {t, u};
    return c;
}

struct Sent {
    std::string text;
    int code = 0;
};

class RegistrarTest : public ::testing::Test {
protected:
    RegistrarTest() {
        dp::SnapshotBuild b = dp::build_policy_snapshot(spec, limits);
        EXPECT_TRUE(b.snapshot) << b.error;
        snap = std::move(b.snapshot);
    }

    // One REGISTER through the registrar; the reply text and code (0: no reply).
    Sent send(const std::string& text, std::uint64_t now = kNow, std::uint16_t port = kSrcPort) {
        auto in = std::make_unique<RingMessage>();
        in->kind = RingKind::sip_register;
        in->port = 0;
        in->remote_ip = kSrcIp;
        in->remote_port = port;
        EXPECT_TRUE(in->set_text(text));
        auto out = std::make_unique<RingMessage>();
        Sent s;
        if (!reg.handle(*in, *snap, now, *out)) return s;
        EXPECT_EQ(out->kind, RingKind::inject_sip);
        EXPECT_EQ(out->remote_ip, kSrcIp);
        EXPECT_EQ(out->remote_port, port);
        s.text = std::string(out->text());
        sip::Message m;
        EXPECT_EQ(m.parse(s.text), sip::ParseStatus::ok) << s.text;
        s.code = m.status_code();
        return s;
    }

    static std::string request(std::string_view to_user, std::string_view call_id, std::uint32_t cseq,
                               const std::vector<std::string>& contacts, std::string_view extra = {}) {
        std::string r = "REGISTER sip:palisade.example SIP/2.0\r\n"
                        "Via: SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bK" + std::string(call_id) + std::to_string(cseq) + ";rport\r\n"
                        "Max-Forwards: 70\r\n"
                        "From: <sip:" + std::string(to_user) + "@palisade.example>;tag=f1\r\n"
                        "To: <sip:" + std::string(to_user) + "@palisade.example>\r\n"
                        "Call-ID: " + std::string(call_id) + "\r\n"
                        "CSeq: " + std::to_string(cseq) + " REGISTER\r\n";
        for (const std::string& c : contacts) r += "Contact: " + c + "\r\n";
        r += extra;
        r += "Content-Length: 0\r\n\r\n";
        return r;
    }

    // The Authorization header answering `challenge` (a 401 text), for `user` with `password`.
    static std::string answer(const std::string& challenge, std::string_view user, std::string_view password,
                              std::string_view want_alg = {}, std::string_view nc = "00000001") {
        sip::Message m;
        EXPECT_EQ(m.parse(challenge), sip::ParseStatus::ok);
        for (const sip::HeaderField& f : m.fields(sip::HeaderId::www_authenticate)) {
            sip::DigestChallenge c;
            EXPECT_EQ(sip::parse_challenge(f.value, c), sip::Reason::none);
            if (!want_alg.empty() && c.algorithm != want_alg) continue;
            sip::HashAlgorithm alg;
            EXPECT_TRUE(sip::parse_algorithm(c.algorithm, alg));
            char ha1[sip::kMaxDigestHexLen];
            const std::size_t hn = sip::compute_ha1(alg, user, c.realm, password, ha1, sizeof ha1);
            char resp[sip::kMaxDigestHexLen];
            const std::size_t rn = sip::compute_response(alg, std::string_view(ha1, hn), c.nonce, nc, "0a4f113b",
                                                         "auth", "REGISTER", "sip:palisade.example", resp, sizeof resp);
            return "Authorization: Digest username=\"" + std::string(user) + "\", realm=\"" + std::string(c.realm) +
                   "\", nonce=\"" + std::string(c.nonce) + "\", uri=\"sip:palisade.example\", response=\"" +
                   std::string(resp, rn) + "\", algorithm=" + std::string(c.algorithm) + ", cnonce=\"0a4f113b\", qop=auth, nc=" +
                   std::string(nc) + "\r\n";
        }
        ADD_FAILURE() << "no challenge with " << want_alg;
        return {};
    }

    // Challenge then authenticated REGISTER (cseq, cseq + 1), as a PBX does.
    Sent reg_auth(std::string_view user, std::string_view call_id, std::uint32_t cseq,
                  const std::vector<std::string>& contacts, std::string_view extra = {},
                  std::uint64_t now = kNow, std::string_view to_user = {}, std::uint16_t port = kSrcPort) {
        const std::string_view to = to_user.empty() ? user : to_user;
        const Sent c = send(request(to, call_id, cseq, contacts, extra), now, port);
        EXPECT_EQ(c.code, 401) << c.text;
        return send(request(to, call_id, cseq + 1, contacts, std::string(extra) + answer(c.text, user, "secret")), now, port);
    }

    static std::vector<std::string> headers(const std::string& text, std::string_view name) {
        std::vector<std::string> out;
        sip::Message m;
        if (m.parse(text) != sip::ParseStatus::ok) return out;
        for (std::size_t i = 0; i < m.header_count(); ++i)
            if (sip::iequals(m.header(i).name, name)) out.emplace_back(m.header(i).value);
        return out;
    }

    dp::ConfigSpec spec = config();
    dp::LimitsTable limits{16};
    dp::PolicySnapshotPtr snap;
    dp::LocationTable location{dp::LocationLimits{64, 256, 64, 16, 4}};
    sip::NonceCountTable counts{4096};
    Registrar reg{location, counts, "registrar-test"};
};

TEST_F(RegistrarTest, NoCredentialsGets401WithOneChallengePerAlgorithmPreferredFirst) {
    const Sent s = send(request("alice", "c1", 1, {"<sip:alice@10.1.1.1:5060>"}));
    ASSERT_EQ(s.code, 401);
    const auto ch = headers(s.text, "WWW-Authenticate");
    ASSERT_EQ(ch.size(), 2u);
    EXPECT_NE(ch[0].find("algorithm=SHA-256"), std::string::npos);
    EXPECT_NE(ch[1].find("algorithm=MD5"), std::string::npos);
    EXPECT_EQ(ch[0].find("stale"), std::string::npos);
    EXPECT_EQ(s.text.substr(0, s.text.find("\r\n")), "SIP/2.0 401 Unauthorized");
    // RFC 3581: received and rport added to the top Via; RFC 3261 §8.2.6.2: a To tag.
    EXPECT_EQ(headers(s.text, "Via")[0],
              "SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bKc11;received=198.51.100.7;rport=40000");
    EXPECT_NE(headers(s.text, "To")[0].find(";tag="), std::string::npos);
    EXPECT_EQ(headers(s.text, "Call-ID")[0], "c1");
    EXPECT_EQ(headers(s.text, "CSeq")[0], "1 REGISTER");
    EXPECT_TRUE(location.contacts("alice").empty());
}

TEST_F(RegistrarTest, ChallengeFollowsTheAccountsPreference) {
    auto ch = headers(send(request("bob", "c1", 1, {"<sip:bob@10.1.1.1>"})).text, "WWW-Authenticate");
    ASSERT_EQ(ch.size(), 2u);
    EXPECT_NE(ch[0].find("algorithm=MD5"), std::string::npos);
    EXPECT_NE(ch[1].find("algorithm=SHA-256"), std::string::npos);
    ch = headers(send(request("alice2", "c1", 1, {"<sip:a@10.1.1.1>"})).text, "WWW-Authenticate");
    ASSERT_EQ(ch.size(), 1u);
    EXPECT_NE(ch[0].find("algorithm=MD5"), std::string::npos);
}

TEST_F(RegistrarTest, UnknownAorIsChallengedLikeAnyOther) {
    // §10.3 step 3 before 5: nothing tells a scanner which names exist.
    const auto ch = headers(send(request("mallory", "c1", 1, {"<sip:m@10.1.1.1>"})).text, "WWW-Authenticate");
    ASSERT_EQ(ch.size(), 2u);
    EXPECT_NE(ch[0].find("algorithm=SHA-256"), std::string::npos);
}

TEST_F(RegistrarTest, AuthenticatedRegisterBindsAndPublishes) {
    const Sent s = reg_auth("alice", "c1", 1, {"<sip:alice@10.1.1.1:5060;transport=udp>"}, "Expires: 600\r\n");
    ASSERT_EQ(s.code, 200) << s.text;
    EXPECT_EQ(headers(s.text, "Contact"), std::vector<std::string>{"<sip:alice@10.1.1.1:5060;transport=udp>;expires=600"});
    EXPECT_EQ(headers(s.text, "Date"), std::vector<std::string>{"Tue, 14 Nov 2023 22:13:20 GMT"});
    const auto contacts = location.contacts("alice");
    ASSERT_EQ(contacts.size(), 1u);
    EXPECT_EQ(contacts[0].uri(), "sip:alice@10.1.1.1:5060;transport=udp");
    EXPECT_EQ(contacts[0].ip, kSrcIp);  // NAT: the packet's source, not the Contact host
    EXPECT_EQ(contacts[0].port, kSrcPort);
    EXPECT_EQ(contacts[0].expires_at_s.load(), kNow + 600);
    const dp::AccountLocation* rec = location.account("alice");
    ASSERT_NE(rec, nullptr);
    EXPECT_EQ(rec->role, dp::LocationRole::primary);
    EXPECT_TRUE(location.is_known_source(kSrcIp, kSrcPort));
    EXPECT_TRUE(location.is_known_source(kSrcIp, 1));  // ip alone is known too
    EXPECT_EQ(location.trunk_for_source(kSrcIp, kSrcPort), rec->trunk_key);
    EXPECT_EQ(reg.counters().bindings_added, 1u);
}

TEST_F(RegistrarTest, Md5AnswerAcceptedForAnAccountThatAllowsIt) {
    const Sent c = send(request("alice", "c1", 1, {"<sip:alice@10.1.1.1>"}));
    const Sent s = send(request("alice", "c1", 2, {"<sip:alice@10.1.1.1>"}, answer(c.text, "alice", "secret", "MD5")));
    EXPECT_EQ(s.code, 200) << s.text;
}

TEST_F(RegistrarTest, WrongPasswordGets401AndIsReported) {
    std::vector<AuthEvent> events;
    reg.set_auth_observer([&](const AuthEvent& e) {
        EXPECT_EQ(e.ip, kSrcIp);
        events.push_back(e);
    });
    const Sent c = send(request("alice", "c1", 1, {"<sip:alice@10.1.1.1>"}));
    const Sent s = send(request("alice", "c1", 2, {"<sip:alice@10.1.1.1>"}, answer(c.text, "alice", "wrong")));
    EXPECT_EQ(s.code, 401);
    EXPECT_EQ(headers(s.text, "WWW-Authenticate").size(), 2u);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_FALSE(events[0].success);
    EXPECT_EQ(events[0].verdict, sip::DigestVerdict::bad_response);
    EXPECT_EQ(reg.counters().auth_failures, 1u);
    // An unknown username in the credentials: also 401, reported as unknown.
    const Sent u = send(request("alice", "c1", 3, {"<sip:alice@10.1.1.1>"}, answer(c.text, "mallory", "x")));
    EXPECT_EQ(u.code, 401);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_TRUE(events[1].unknown_user);
    EXPECT_TRUE(location.contacts("alice").empty());
}

// DESIGN.md §4: 403 after repeated failures, before the block. With the guard at
// forbid_after 3 and threshold 5: failures 1-2 get a new challenge, 3-4 get 403, the 5th blocks
// the source (answered 403 too), and from then on the source gets nothing.
TEST_F(RegistrarTest, RepeatedFailuresGet403ThenTheSourceIsBlocked) {
    AuthGuardSettings gs;
    gs.threshold = 5;
    gs.forbid_after = 3;
    gs.window_s = 60;
    gs.block_s = 600;
    AuthGuard guard(location, gs);
    guard.set_log([](std::string_view) {});
    reg.set_guard(&guard);
    std::vector<int> codes;
    for (std::uint32_t i = 0; i < 5; ++i) {
        const std::string cid = "bf" + std::to_string(i);
        const Sent c = send(request("alice", cid, 1, {"<sip:alice@10.1.1.1>"}), kNow + i);
        ASSERT_EQ(c.code, 401) << "no credentials: always a challenge, attempt " << i;
        const Sent s = send(request("alice", cid, 2, {"<sip:alice@10.1.1.1>"}, answer(c.text, "alice", "wrong")), kNow + i);
        codes.push_back(s.code);
        if (s.code == 403) {
            EXPECT_TRUE(headers(s.text, "WWW-Authenticate").empty()) << s.text;
            EXPECT_NE(s.text.find("SIP/2.0 403 Forbidden\r\n"), std::string::npos) << s.text;
        }
    }
    EXPECT_EQ(codes, (std::vector<int>{401, 401, 403, 403, 403}));
    EXPECT_EQ(reg.counters().auth_failures, 5u);
    EXPECT_EQ(reg.counters().r403, 3u);
    EXPECT_EQ(guard.counters().failures, 5u);
    EXPECT_EQ(guard.counters().blocks, 1u);
    EXPECT_TRUE(location.is_blocked(kSrcIp, kNow + 5));
    EXPECT_EQ(send(request("alice", "bf9", 1, {"<sip:alice@10.1.1.1>"}), kNow + 5).code, 0);
    EXPECT_EQ(reg.counters().dropped_blocked, 1u);
    EXPECT_TRUE(location.contacts("alice").empty());
}

// A success resets the source's count (AuthGuard::on_auth_success), so a PBX that mistyped
// twice and was fixed is challenged normally afterwards.
TEST_F(RegistrarTest, SuccessResetsTheSourcesFailures) {
    AuthGuardSettings gs;
    gs.threshold = 10;
    gs.forbid_after = 2;
    AuthGuard guard(location, gs);
    guard.set_log([](std::string_view) {});
    reg.set_guard(&guard);
    const Sent c = send(request("bob", "s1", 1, {"<sip:bob@10.1.1.1>"}));
    EXPECT_EQ(send(request("bob", "s1", 2, {"<sip:bob@10.1.1.1>"}, answer(c.text, "bob", "wrong", "MD5"))).code, 401);
    EXPECT_EQ(guard.source_failures(kSrcIp, kNow), 1u);
    const Sent c2 = send(request("bob", "s2", 1, {"<sip:bob@10.1.1.1>"}));
    EXPECT_EQ(send(request("bob", "s2", 2, {"<sip:bob@10.1.1.1>"}, answer(c2.text, "bob", "secret", "MD5"))).code, 200);
    EXPECT_EQ(guard.counters().successes, 1u);
    EXPECT_EQ(guard.source_failures(kSrcIp, kNow), 0u);
    // The username's count is kept (an attack on bob from elsewhere is not reset by bob's PBX):
    // one more failure reaches forbid_after for the username.
    const Sent c3 = send(request("bob", "s3", 1, {"<sip:bob@10.1.1.1>"}), kNow, 40100);
    EXPECT_EQ(send(request("bob", "s3", 2, {"<sip:bob@10.1.1.1>"}, answer(c3.text, "bob", "wrong", "MD5")), kNow, 40100).code,
              403);
}

// The publish observers (issue 5 point 2): every binding change and every account record
// published reach the observers, in order, with the data persistence and keepalive need.
TEST_F(RegistrarTest, ObserversSeeEveryBindingChangeAndEveryPublishedAccount) {
    struct Seen {
        BindingChange change;
        std::string username, uri, call_id;
        std::uint32_t cseq;
        std::uint64_t expires_at;
        std::uint16_t port;
    };
    std::vector<Seen> bindings;
    std::vector<std::pair<std::string, std::vector<std::string>>> accounts;
    reg.set_binding_observer([&](const BindingEvent& e) {
        ASSERT_NE(e.binding, nullptr);
        bindings.push_back({e.change, std::string(e.username), e.binding->uri, e.binding->call_id, e.binding->cseq,
                            e.binding->expires_at, e.binding->port});
    });
    reg.set_account_observer([&](const AccountEvent& e) {
        std::vector<std::string> uris;
        for (const auto& c : e.contacts) uris.emplace_back(c.uri);
        EXPECT_EQ(e.contacts.size(), location.contacts(e.username).size());
        accounts.emplace_back(std::string(e.username), uris);
    });
    // Two contacts added: two `added`, one account record.
    ASSERT_EQ(reg_auth("alice", "o1", 1, {"<sip:a@10.1.1.1>", "<sip:a@10.1.1.2>;expires=120"}, "Expires: 600\r\n").code, 200);
    ASSERT_EQ(bindings.size(), 2u);
    EXPECT_EQ(bindings[0].change, BindingChange::added);
    EXPECT_EQ(bindings[0].username, "alice");
    EXPECT_EQ(bindings[0].uri, "sip:a@10.1.1.1");
    EXPECT_EQ(bindings[0].call_id, "o1");
    EXPECT_EQ(bindings[0].cseq, 2u);
    EXPECT_EQ(bindings[0].expires_at, kNow + 600);
    EXPECT_EQ(bindings[1].uri, "sip:a@10.1.1.2");
    EXPECT_EQ(bindings[1].expires_at, kNow + 120);
    ASSERT_EQ(accounts.size(), 1u);
    EXPECT_EQ(accounts[0].second, (std::vector<std::string>{"sip:a@10.1.1.1", "sip:a@10.1.1.2"}));
    // A refresh from the same source: `refreshed` with the new CSeq and expiry; the location
    // record is updated in place, so no account event (keepalive's targets did not change).
    const Sent c = send(request("alice", "o1", 3, {"<sip:a@10.1.1.1>"}, "Expires: 900\r\n"), kNow + 10);
    ASSERT_EQ(send(request("alice", "o1", 4, {"<sip:a@10.1.1.1>"}, "Expires: 900\r\n" + answer(c.text, "alice", "secret")),
                   kNow + 10)
                  .code,
              200);
    ASSERT_EQ(bindings.size(), 3u);
    EXPECT_EQ(bindings[2].change, BindingChange::refreshed);
    EXPECT_EQ(bindings[2].cseq, 4u);
    EXPECT_EQ(bindings[2].expires_at, kNow + 910);
    EXPECT_EQ(accounts.size(), 1u);
    // The same contact from a new source port: refreshed, and the record is rebuilt.
    const Sent c2 = send(request("alice", "o1", 5, {"<sip:a@10.1.1.1>"}), kNow + 20, 40007);
    ASSERT_EQ(send(request("alice", "o1", 6, {"<sip:a@10.1.1.1>"}, answer(c2.text, "alice", "secret")), kNow + 20, 40007).code,
              200);
    ASSERT_EQ(bindings.size(), 4u);
    EXPECT_EQ(bindings[3].change, BindingChange::refreshed);
    EXPECT_EQ(bindings[3].port, 40007);
    EXPECT_EQ(accounts.size(), 2u);
    // Removed with expires=0: `removed` carries the URI before it is released.
    const Sent c3 = send(request("alice", "o1", 7, {"<sip:a@10.1.1.2>;expires=0"}), kNow + 30);
    ASSERT_EQ(send(request("alice", "o1", 8, {"<sip:a@10.1.1.2>;expires=0"}, answer(c3.text, "alice", "secret")), kNow + 30)
                  .code,
              200);
    ASSERT_EQ(bindings.size(), 5u);
    EXPECT_EQ(bindings[4].change, BindingChange::removed);
    EXPECT_EQ(bindings[4].uri, "sip:a@10.1.1.2");
    ASSERT_EQ(accounts.size(), 3u);
    EXPECT_EQ(accounts[2].second, (std::vector<std::string>{"sip:a@10.1.1.1"}));
    // Expiry: `expired`, then the account published empty.
    EXPECT_EQ(reg.expire(kNow + 5000), 1u);
    ASSERT_EQ(bindings.size(), 6u);
    EXPECT_EQ(bindings[5].change, BindingChange::expired);
    EXPECT_EQ(bindings[5].uri, "sip:a@10.1.1.1");
    ASSERT_EQ(accounts.size(), 4u);
    EXPECT_TRUE(accounts[3].second.empty());
    // A refused request changes nothing and tells nobody.
    EXPECT_EQ(send(request("alice", "o2", 1, {"<sip:a@10.1.1.1>"})).code, 401);
    EXPECT_EQ(bindings.size(), 6u);
    EXPECT_EQ(accounts.size(), 4u);
}

TEST_F(RegistrarTest, ExpiredNonceGetsStaleChallenge) {
    const Sent c = send(request("alice", "c1", 1, {"<sip:alice@10.1.1.1>"}));
    const Sent s = send(request("alice", "c1", 2, {"<sip:alice@10.1.1.1>"}, answer(c.text, "alice", "secret")), kNow + 300);
    EXPECT_EQ(s.code, 401);
    const auto ch = headers(s.text, "WWW-Authenticate");
    ASSERT_EQ(ch.size(), 2u);
    EXPECT_NE(ch[0].find("stale=true"), std::string::npos);
    EXPECT_EQ(reg.counters().auth_failures, 0u);  // a stale nonce is no failure
}

TEST_F(RegistrarTest, ReplayedNonceCountWithNewRequestIsStale) {
    const Sent c = send(request("alice", "c1", 1, {"<sip:alice@10.1.1.1>"}));
    const std::string auth = answer(c.text, "alice", "secret");
    EXPECT_EQ(send(request("alice", "c1", 2, {"<sip:alice@10.1.1.1>"}, auth)).code, 200);
    // Same credentials (nc=1) on a new request: refused, stale.
    const Sent s = send(request("alice", "c1", 3, {"<sip:alice@10.1.1.1>"}, auth));
    EXPECT_EQ(s.code, 401);
    EXPECT_NE(headers(s.text, "WWW-Authenticate")[0].find("stale=true"), std::string::npos);
    // The next nonce-count on the same nonce is fine (§22.4 / RFC 7616 §3.4 reuse).
    EXPECT_EQ(send(request("alice", "c1", 4, {"<sip:alice@10.1.1.1>"}, answer(c.text, "alice", "secret", {}, "00000002"))).code, 200);
}

TEST_F(RegistrarTest, AuthenticatedRetransmissionGetsTheSame200) {
    const Sent c = send(request("alice", "c1", 1, {"<sip:alice@10.1.1.1>"}));
    const std::string req = request("alice", "c1", 2, {"<sip:alice@10.1.1.1>"}, answer(c.text, "alice", "secret"));
    const Sent first = send(req);
    const Sent again = send(req);
    EXPECT_EQ(first.code, 200);
    EXPECT_EQ(again.code, 200);
    EXPECT_EQ(first.text, again.text);
    EXPECT_EQ(reg.counters().retransmissions, 1u);
    EXPECT_EQ(reg.counters().bindings_added, 1u);
}

TEST_F(RegistrarTest, OtherAccountsAorIsForbiddenUnknownAorNotFound) {
    // §10.3 step 4: alice's credentials cannot register bob.
    EXPECT_EQ(reg_auth("alice", "c1", 1, {"<sip:x@10.1.1.1>"}, {}, kNow, "bob").code, 403);
    // §10.3 step 5: an AOR that is no account.
    const Sent s = reg_auth("alice", "c2", 1, {"<sip:x@10.1.1.1>"}, {}, kNow, "nobody");
    EXPECT_EQ(s.code, 404);
    EXPECT_EQ(s.text.substr(0, s.text.find("\r\n")), "SIP/2.0 404 Not Found");
    EXPECT_TRUE(location.contacts("bob").empty());
}

TEST_F(RegistrarTest, RequireGets420WithUnsupported) {
    const Sent s = send(request("alice", "c1", 1, {"<sip:a@10.1.1.1>"}, "Require: path, gruu\r\n"));
    EXPECT_EQ(s.code, 420);
    EXPECT_EQ(headers(s.text, "Unsupported"), std::vector<std::string>{"path, gruu"});
}

TEST_F(RegistrarTest, ExpiresBelowMinimumGets423) {
    const Sent s = reg_auth("alice", "c1", 1, {"<sip:a@10.1.1.1>"}, "Expires: 30\r\n");
    EXPECT_EQ(s.code, 423);
    EXPECT_EQ(s.text.substr(0, s.text.find("\r\n")), "SIP/2.0 423 Interval Too Brief");
    EXPECT_EQ(headers(s.text, "Min-Expires"), std::vector<std::string>{"60"});
    EXPECT_TRUE(location.contacts("alice").empty());
    // The contact's own expires param wins over the header (both ways).
    EXPECT_EQ(reg_auth("alice", "c2", 1, {"<sip:a@10.1.1.1>;expires=30"}, "Expires: 600\r\n").code, 423);
    const Sent ok = reg_auth("alice", "c3", 1, {"<sip:a@10.1.1.1>;expires=120"}, "Expires: 30\r\n");
    EXPECT_EQ(ok.code, 200);
    EXPECT_EQ(headers(ok.text, "Contact"), std::vector<std::string>{"<sip:a@10.1.1.1>;expires=120"});
}

TEST_F(RegistrarTest, ExpiresAboveMaximumIsLoweredAndDefaultApplies) {
    Sent s = reg_auth("alice", "c1", 1, {"<sip:a@10.1.1.1>"}, "Expires: 100000\r\n");
    EXPECT_EQ(headers(s.text, "Contact"), std::vector<std::string>{"<sip:a@10.1.1.1>;expires=7200"});
    s = reg_auth("bob", "c1", 1, {"<sip:b@10.1.1.1>"});
    EXPECT_EQ(headers(s.text, "Contact"), std::vector<std::string>{"<sip:b@10.1.1.1>;expires=3600"});
}

TEST_F(RegistrarTest, SeveralContactsListedAndRemovedOneByOne) {
    Sent s = reg_auth("alice", "c1", 1, {"<sip:a@10.1.1.1>", "<sip:a@10.1.1.2>;expires=300"});
    EXPECT_EQ(headers(s.text, "Contact"),
              (std::vector<std::string>{"<sip:a@10.1.1.1>;expires=3600", "<sip:a@10.1.1.2>;expires=300"}));
    // A second REGISTER (another Call-ID) adds one, 100 s later: remaining times shown.
    s = reg_auth("alice", "c2", 1, {"<sip:a@10.1.1.3>"}, {}, kNow + 100);
    EXPECT_EQ(headers(s.text, "Contact"),
              (std::vector<std::string>{"<sip:a@10.1.1.1>;expires=3500", "<sip:a@10.1.1.2>;expires=200",
                                        "<sip:a@10.1.1.3>;expires=3600"}));
    EXPECT_EQ(location.contacts("alice").size(), 3u);
    // expires=0 removes exactly that one.
    s = reg_auth("alice", "c1", 10, {"<sip:a@10.1.1.2>;expires=0"}, {}, kNow + 100);
    EXPECT_EQ(headers(s.text, "Contact"),
              (std::vector<std::string>{"<sip:a@10.1.1.1>;expires=3500", "<sip:a@10.1.1.3>;expires=3600"}));
    EXPECT_EQ(location.contacts("alice").size(), 2u);
}

TEST_F(RegistrarTest, QueryWithoutContactListsBindings) {
    reg_auth("alice", "c1", 1, {"<sip:a@10.1.1.1>"});
    const Sent s = reg_auth("alice", "c9", 1, {}, {}, kNow + 10);
    EXPECT_EQ(s.code, 200);
    EXPECT_EQ(headers(s.text, "Contact"), std::vector<std::string>{"<sip:a@10.1.1.1>;expires=3590"});
}

TEST_F(RegistrarTest, StarWithExpiresZeroRemovesAll) {
    reg_auth("alice", "c1", 1, {"<sip:a@10.1.1.1>", "<sip:a@10.1.1.2>"});
    ASSERT_EQ(location.contacts("alice").size(), 2u);
    const Sent s = reg_auth("alice", "c2", 1, {"*"}, "Expires: 0\r\n");
    EXPECT_EQ(s.code, 200);
    EXPECT_TRUE(headers(s.text, "Contact").empty());
    EXPECT_TRUE(location.contacts("alice").empty());
    EXPECT_FALSE(location.is_known_source(kSrcIp, kSrcPort));
}

TEST_F(RegistrarTest, StarOtherwiseIs400) {
    reg_auth("alice", "c1", 1, {"<sip:a@10.1.1.1>"});
    // A malformed wildcard is refused before authentication (RFC 3261 §8.2 precedes §10.3).
    for (const auto& [contacts, extra] :
         std::vector<std::pair<std::vector<std::string>, std::string>>{{{"*"}, "Expires: 3600\r\n"},
                                                                       {{"*"}, ""},
                                                                       {{"*", "<sip:a@10.1.1.9>"}, "Expires: 0\r\n"}}) {
        const Sent s = send(request("alice", "c2", 1, contacts, extra));
        EXPECT_EQ(s.code, 400) << s.text;
    }
    EXPECT_EQ(location.contacts("alice").size(), 1u);
}

TEST_F(RegistrarTest, StarWithOlderCSeqOnSameCallIdIsAborted) {
    reg_auth("alice", "c1", 10, {"<sip:a@10.1.1.1>"});  // binding at CSeq 11
    const Sent s = reg_auth("alice", "c1", 5, {"*"}, "Expires: 0\r\n");
    EXPECT_EQ(s.code, 400);
    EXPECT_EQ(location.contacts("alice").size(), 1u);
}

TEST_F(RegistrarTest, CSeqOrderingPerBinding) {
    reg_auth("alice", "c1", 10, {"<sip:a@10.1.1.1>"}, "Expires: 600\r\n");  // CSeq 11
    // Same Call-ID, lower CSeq: aborted (§10.3 step 7), nothing changes.
    Sent s = reg_auth("alice", "c1", 5, {"<sip:a@10.1.1.1>"}, "Expires: 900\r\n");
    EXPECT_EQ(s.code, 400);
    EXPECT_EQ(s.text.substr(0, s.text.find("\r\n")), "SIP/2.0 400 Invalid CSeq");
    EXPECT_EQ(location.contacts("alice")[0].expires_at_s.load(), kNow + 600);
    // Another Call-ID (the PBX restarted): updates whatever its CSeq.
    s = reg_auth("alice", "c2", 1, {"<sip:a@10.1.1.1>"}, "Expires: 900\r\n");
    EXPECT_EQ(s.code, 200);
    EXPECT_EQ(location.contacts("alice")[0].expires_at_s.load(), kNow + 900);
    EXPECT_EQ(location.contacts("alice").size(), 1u);
}

TEST_F(RegistrarTest, AtMostTenContacts) {
    std::vector<std::string> ten;
    for (int i = 0; i < 10; ++i) ten.push_back("<sip:a@10.1.2." + std::to_string(i) + ">");
    EXPECT_EQ(reg_auth("alice", "c1", 1, ten).code, 200);
    const Sent s = reg_auth("alice", "c2", 1, {"<sip:a@10.1.3.1>"});
    EXPECT_EQ(s.code, 403);
    EXPECT_EQ(s.text.substr(0, s.text.find("\r\n")), "SIP/2.0 403 Too Many Contacts");
    EXPECT_EQ(location.contacts("alice").size(), 10u);
}

TEST_F(RegistrarTest, RefreshFromANewSourceMovesTheBinding) {
    reg_auth("alice", "c1", 1, {"<sip:a@10.1.1.1>"});
    reg_auth("alice", "c1", 3, {"<sip:a@10.1.1.1>"}, {}, kNow + 60, {}, 40001);  // NAT rebinding
    const auto c = location.contacts("alice");
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].port, 40001);
    EXPECT_FALSE(location.is_known_source(kSrcIp + 1, kSrcPort));
    EXPECT_EQ(location.trunk_for_source(kSrcIp, kSrcPort), location.trunk_for_source(kSrcIp, 40001));
}

TEST_F(RegistrarTest, BindingsExpireOnTheTimer) {
    reg_auth("alice", "c1", 1, {"<sip:a@10.1.1.1>;expires=60", "<sip:a@10.1.1.2>;expires=120"});
    reg_auth("bob", "c1", 1, {"<sip:b@10.1.1.1>;expires=90"});
    EXPECT_EQ(reg.expire(kNow + 59), 0u);
    EXPECT_EQ(reg.expire(kNow + 60), 1u);
    EXPECT_EQ(location.contacts("alice").size(), 1u);
    EXPECT_EQ(reg.expire(kNow + 200), 2u);
    EXPECT_TRUE(location.contacts("alice").empty());
    EXPECT_TRUE(location.contacts("bob").empty());
    EXPECT_FALSE(location.is_known_source(kSrcIp, kSrcPort));
    EXPECT_EQ(reg.counters().bindings_expired, 3u);
    EXPECT_EQ(reg.bindings().size(), 0u);
}

TEST_F(RegistrarTest, BlockedSourceGetsNothing) {
    location.block(kSrcIp, kNow + 10);
    EXPECT_EQ(send(request("alice", "c1", 1, {"<sip:a@10.1.1.1>"})).code, 0);
    EXPECT_EQ(reg.counters().dropped_blocked, 1u);
    EXPECT_EQ(send(request("alice", "c1", 1, {"<sip:a@10.1.1.1>"}), kNow + 10).code, 401);
}

TEST_F(RegistrarTest, MalformedRequestGets400AndGarbageNothing) {
    std::string r = request("alice", "c1", 1, {"<sip:a@10.1.1.1>"});
    r.erase(r.find("Call-ID"), r.find("CSeq") - r.find("Call-ID"));
    EXPECT_EQ(send(r).code, 400);
    EXPECT_EQ(send("not sip at all").code, 0);
    // The Request-URI of a REGISTER has no user part (§10.2).
    std::string u = request("alice", "c1", 1, {"<sip:a@10.1.1.1>"});
    u.replace(0, u.find(" SIP/2.0"), "REGISTER sip:alice@palisade.example");
    EXPECT_EQ(send(u).code, 400);
    EXPECT_EQ(reg.counters().dropped_unparsable, 1u);
}

TEST_F(RegistrarTest, ReconcileDropsAccountsRemovedByReload) {
    reg_auth("bob", "c1", 1, {"<sip:b@10.1.1.1>"});
    ASSERT_EQ(location.contacts("bob").size(), 1u);
    dp::ConfigSpec next = config();
    next.trunks.pop_back();
    dp::SnapshotBuild b = dp::build_policy_snapshot(next, limits);
    ASSERT_TRUE(b.snapshot);
    reg.reconcile(*b.snapshot);
    EXPECT_TRUE(location.contacts("bob").empty());
}

TEST_F(RegistrarTest, RestoreRepublishes) {
    BindingData d;
    d.uri = "sip:a@10.9.9.9";
    d.call_id = "persisted";
    d.cseq = 7;
    d.expires_at = kNow + 500;
    d.ip = kSrcIp;
    d.port = 5060;
    EXPECT_TRUE(reg.restore(*snap, "alice", d));
    EXPECT_FALSE(reg.restore(*snap, "nobody", d));
    ASSERT_EQ(location.contacts("alice").size(), 1u);
    EXPECT_EQ(location.contacts("alice")[0].uri(), "sip:a@10.9.9.9");
}

// The expiry heap is lazy for refreshes (bindings.hpp): a binding extended by a refresh is not
// removed at its old time, one shortened is removed at its new time, whatever the order.
TEST_F(RegistrarTest, ExpiryFollowsRefreshesBothWays) {
    auto refresh = [&](std::string_view user, std::string_view cid, std::uint32_t cseq, std::string uri,
                       std::uint32_t expires, std::uint64_t now) {
        const std::string ex = "Expires: " + std::to_string(expires) + "\r\n";
        const Sent c = send(request(user, cid, cseq, {uri}, ex), now);
        return send(request(user, cid, cseq + 1, {uri}, ex + answer(c.text, user, "secret", "MD5")), now).code;
    };
    ASSERT_EQ(refresh("alice", "x1", 1, "<sip:a@10.1.1.1>", 600, kNow), 200);   // until +600
    ASSERT_EQ(refresh("bob", "x2", 1, "<sip:b@10.1.1.1>", 600, kNow), 200);     // until +600
    ASSERT_EQ(refresh("alice2", "x3", 1, "<sip:c@10.1.1.1>", 300, kNow), 200);  // until +300
    ASSERT_EQ(refresh("alice", "x1", 3, "<sip:a@10.1.1.1>", 900, kNow + 100), 200);  // later: +1000
    ASSERT_EQ(refresh("bob", "x2", 3, "<sip:b@10.1.1.1>", 120, kNow + 100), 200);    // sooner: +220
    EXPECT_EQ(reg.expire(kNow + 219), 0u);
    EXPECT_EQ(reg.expire(kNow + 220), 1u);  // bob, at its shortened time
    EXPECT_TRUE(location.contacts("bob").empty());
    EXPECT_EQ(reg.expire(kNow + 300), 1u);  // alice2
    EXPECT_EQ(reg.expire(kNow + 600), 0u);  // alice's old time: extended, kept
    EXPECT_EQ(location.contacts("alice").size(), 1u);
    EXPECT_EQ(reg.expire(kNow + 999), 0u);
    EXPECT_EQ(reg.expire(kNow + 1000), 1u);
    EXPECT_EQ(reg.bindings().size(), 0u);
    EXPECT_EQ(location.stats().contacts, 0u);
}

// Bulk restore (issue 5 point 3): bindings staged account by account reach the workers only at
// publish_staged(), with one record per account (not one per binding), one AccountEvent each
// and no BindingEvent; refused rows are reported; the expiry heap is in order afterwards.
TEST_F(RegistrarTest, BulkRestorePublishesEachAccountOnce) {
    std::size_t binding_events = 0;
    std::vector<std::pair<std::string, std::size_t>> accounts;
    reg.set_binding_observer([&](const BindingEvent&) { ++binding_events; });
    reg.set_account_observer([&](const AccountEvent& e) { accounts.emplace_back(std::string(e.username), e.contacts.size()); });
    const std::uint64_t published0 = location.stats().records_published;
    auto staged = [&](std::string_view user, std::string uri, std::uint64_t expires_at) {
        BindingData d;
        d.uri = std::move(uri);
        d.call_id = "persisted";
        d.cseq = 3;
        d.expires_at = expires_at;
        d.ip = kSrcIp;
        d.port = 5060;
        return reg.stage_restore(*snap, user, std::move(d));
    };
    // Rows in key order, as persistence returns them; expiries deliberately out of order.
    EXPECT_TRUE(staged("alice", "sip:a@10.0.0.1", kNow + 900));
    EXPECT_TRUE(staged("alice", "sip:a@10.0.0.2", kNow + 100));
    EXPECT_TRUE(staged("alice", "sip:a@10.0.0.3", kNow + 500));
    EXPECT_FALSE(staged("alice", "sip:a@10.0.0.3", kNow + 500));  // duplicate
    EXPECT_FALSE(staged("nobody", "sip:n@10.0.0.9", kNow + 500));  // no such account any more
    EXPECT_TRUE(staged("bob", "sip:b@10.0.0.4", kNow + 300));
    EXPECT_TRUE(staged("alice2", "sip:a2@10.0.0.5", kNow + 200));
    // Nothing visible yet.
    EXPECT_TRUE(location.contacts("alice").empty());
    EXPECT_TRUE(accounts.empty());
    EXPECT_EQ(reg.publish_staged(), 3u);
    EXPECT_EQ(location.stats().records_published - published0, 3u);  // one per account
    EXPECT_EQ(location.contacts("alice").size(), 3u);
    EXPECT_EQ(location.contacts("bob").size(), 1u);
    EXPECT_EQ(location.contacts("alice2").size(), 1u);
    EXPECT_EQ(binding_events, 0u);
    ASSERT_EQ(accounts.size(), 3u);
    EXPECT_EQ(accounts[0], (std::pair<std::string, std::size_t>{"alice", 3}));
    EXPECT_EQ(reg.bindings().size(), 5u);
    // The heap is in order: each expire() takes exactly the ones due.
    EXPECT_EQ(reg.expire(kNow + 100), 1u);
    EXPECT_EQ(reg.expire(kNow + 250), 1u);
    EXPECT_EQ(reg.expire(kNow + 300), 1u);
    EXPECT_EQ(reg.expire(kNow + 899), 1u);
    EXPECT_EQ(location.contacts("alice").size(), 1u);
    EXPECT_EQ(location.contacts("alice")[0].uri(), "sip:a@10.0.0.1");
    EXPECT_EQ(reg.expire(kNow + 900), 1u);
    EXPECT_EQ(location.stats().contacts, 0u);
    EXPECT_EQ(binding_events, 5u);  // expiries are changes again
    // An empty publish_staged() publishes nothing.
    EXPECT_EQ(reg.publish_staged(), 0u);
}

// Bad input never crashes: mutated authenticated REGISTERs (bytes flipped, cut, duplicated)
// either get a parsable reply to the source or nothing, and the tables stay consistent.
TEST_F(RegistrarTest, MutatedRegistersNeverCrash) {
    const Sent c = send(request("alice", "m1", 1, {"<sip:alice@10.1.1.1>", "<sip:alice@10.1.1.2>;expires=120"}));
    const std::string base = request("alice", "m1", 2, {"<sip:alice@10.1.1.1>", "<sip:alice@10.1.1.2>;expires=120"},
                                     "Expires: 600\r\n" + answer(c.text, "alice", "secret"));
    std::mt19937 rng(7);
    const std::string alphabet = "\r\n :;,<>\"=*@0123456789aZ\t\\%";
    int replies = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string m = base;
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits && !m.empty(); ++e) {
            const std::size_t at = rng() % m.size();
            switch (rng() % 4) {
            case 0: m[at] = alphabet[rng() % alphabet.size()]; break;
            case 1: m.erase(at, 1 + rng() % 8); break;
            case 2: m.insert(at, m.substr(rng() % m.size(), 1 + rng() % 16)); break;
            default: m.resize(at); break;
            }
        }
        const Sent s = send(m, kNow + static_cast<std::uint64_t>(i % 400));
        if (s.code != 0) {
            ++replies;
            EXPECT_GE(s.code, 200);
        }
        if (i % 1000 == 0) reg.expire(kNow + static_cast<std::uint64_t>(i % 400));
    }
    EXPECT_GT(replies, 1000);
    EXPECT_LE(location.contacts("alice").size(), dp::kMaxContactsPerAccount);
    EXPECT_EQ(reg.bindings().size(), location.stats().contacts);
    reg.expire(kNow + 100000);
    EXPECT_EQ(reg.bindings().size(), 0u);
    EXPECT_EQ(location.stats().contacts, 0u);
}

}  // namespace
}  // namespace palisade::cp
