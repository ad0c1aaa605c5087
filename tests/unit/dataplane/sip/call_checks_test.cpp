// Every path and code of dataplane/sip/call_checks (DESIGN.md §4, issue 6 points 3 and 4):
// digest (407 variants, stale, replay, failures, 403), each policy refusal, emergency bypass,
// 420, 422, session-timer insertion, 100rel stripping, SDP filtering and 488, the inbound DID
// lookup and target order with failover, and privacy. Edits are applied and the result parsed.
#include "dataplane/sip/call_checks.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "parsers/sdp/sdp.hpp"
#include "parsers/sip/digest.hpp"
#include "parsers/sip/values.hpp"
#include "tests/unit/dataplane/policy/policy_test_config.hpp"

namespace palisade::dp {
namespace {

using test::ip;

constexpr std::uint64_t kNow = 1'700'000'000;
constexpr std::uint32_t kAcmeSrc = ip(192, 0, 2, 10);
constexpr std::uint32_t kBetaSrc = ip(203, 0, 113, 10);
constexpr std::uint32_t kSharedSrc = ip(198, 51, 100, 7);  // in acme's and beta's subnets

std::string ha1(sip::HashAlgorithm alg, const std::string& user, const std::string& pw) {
    char out[sip::kMaxDigestHexLen];
    return std::string(out, sip::compute_ha1(alg, user, "palisade", pw, out, sizeof out));
}

// The SDP of a PBX offer; `m` is the whole m= line and the attribute lines after it.
std::string sdp_body(const std::string& media) {
    return "v=0\r\no=pbx 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n" + media;
}
const std::string kPcmaSdp = sdp_body("m=audio 4000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n"
                                      "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n");

struct Invite {
    std::string ruri_user = "+31201112222";
    std::string to_user = "+31201112222";
    std::string from_user = "+31201234567";
    std::string pai = "<sip:+31201234567@192.0.2.10>";  // empty: no P-Asserted-Identity
    std::string extra;                                  // header lines, each with CRLF
    std::string body = kPcmaSdp;
    std::string text() const {
        std::string t = "INVITE sip:" + ruri_user + "@192.0.2.1 SIP/2.0\r\n"
                        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-abc;rport\r\n"
                        "Max-Forwards: 70\r\n"
                        "From: \"Alice\" <sip:" + from_user + "@192.0.2.10>;tag=f1\r\n"
                        "To: <sip:" + to_user + "@192.0.2.1>\r\n"
                        "Call-ID: call-1@192.0.2.10\r\n"
                        "CSeq: 2 INVITE\r\n"
                        "Contact: <sip:" + from_user + "@192.0.2.10:5060>\r\n";
        if (!pai.empty()) t += "P-Asserted-Identity: " + pai + "\r\n";
        t += extra;
        if (!body.empty()) t += "Content-Type: application/sdp\r\n";
        t += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        return t;
    }
};

class CallChecks : public ::testing::Test {
protected:
    void SetUp() override {
        spec_ = test::small_config();
        spec_.sip.realm = "palisade";
        spec_.sip.nonce_lifetime_s = 300;
        spec_.sip.session_expires_s = 1800;
        spec_.sip.min_se_s = 90;
        TrunkSpec& acme = spec_.trunks[0];
        acme.primary.ha1_md5 = ha1(sip::HashAlgorithm::md5, "acme-1", "pw1");
        acme.primary.ha1_sha256 = ha1(sip::HashAlgorithm::sha256, "acme-1", "pw1");
        acme.secondary.algorithms = {DigestAlgorithm::md5};
        acme.secondary.ha1_md5 = ha1(sip::HashAlgorithm::md5, "acme-2", "pw2");
        TrunkSpec& beta = spec_.trunks[1];  // MD5 only (a SIPp-like PBX)
        beta.primary.algorithms = {DigestAlgorithm::md5};
        beta.primary.ha1_md5 = ha1(sip::HashAlgorithm::md5, "beta-1", "pwb");
        beta.secondary.algorithms = {DigestAlgorithm::md5};
        beta.secondary.ha1_md5 = ha1(sip::HashAlgorithm::md5, "beta-2", "pwb2");
        rebuild();
    }
    void rebuild() {
        SnapshotBuild b = build_policy_snapshot(spec_, limits_);
        ASSERT_TRUE(b.snapshot) << b.error;
        snap_ = std::move(b.snapshot);
        ASSERT_TRUE(scratch_.refresh(snap_->destinations().scratch_prototype(), snap_->generation()));
        acme_ = snap_->find_trunk(spec_.trunks[0].id);
        beta_ = snap_->find_trunk("beta");
        ctx_.snapshot = snap_.get();
        ctx_.limits = &limits_;
        ctx_.scratch = &scratch_;
        ctx_.location = &location_;
        ctx_.nonces = &codec_;
        ctx_.nonce_counts = &counts_;
        ctx_.now = instant_from_seconds(kNow);
        ctx_.state = &state_;
    }

    std::string nonce(std::uint64_t now_s = kNow) {
        char n[sip::kNonceLen];
        EXPECT_EQ(codec_.make(now_s, 300, n, sizeof n), sip::kNonceLen);
        return std::string(n, sizeof n);
    }
    // A Proxy-Authorization line for `user`/`pw` over `nonce` with nonce-count `nc`.
    static std::string credentials(const std::string& user, const std::string& pw, sip::HashAlgorithm alg,
                                   const std::string& nonce, unsigned nc = 1,
                                   const std::string& ruri = "sip:+31201112222@192.0.2.1") {
        const std::string h = ha1(alg, user, pw);
        char ncs[9];
        std::snprintf(ncs, sizeof ncs, "%08x", nc);
        char resp[sip::kMaxDigestHexLen];
        const std::size_t rn = sip::compute_response(alg, h, nonce, ncs, "0a4f113b", "auth", "INVITE", ruri,
                                                     resp, sizeof resp);
        return "Proxy-Authorization: Digest username=\"" + user + "\", realm=\"palisade\", nonce=\"" + nonce +
               "\", uri=\"" + ruri + "\", response=\"" + std::string(resp, rn) + "\", algorithm=" +
               std::string(sip::algorithm_name(alg)) + ", qop=auth, nc=" + ncs + ", cnonce=\"0a4f113b\"\r\n";
    }
    std::string acme_auth(sip::HashAlgorithm alg = sip::HashAlgorithm::sha256) {
        return credentials("acme-1", "pw1", alg, nonce());
    }

    OutboundCheck run(const Invite& inv, std::uint32_t src = kAcmeSrc) {
        text_ = inv.text();
        edits_.clear();
        EXPECT_EQ(msg_.parse(text_), sip::ParseStatus::ok);
        EXPECT_EQ(sip::validate_request(msg_, {}, v_), sip::Reason::none);
        return check_outbound_invite(msg_, v_, src, ctx_, buf_, edits_);
    }
    // An admitted call with the default acme credentials; releases nothing.
    OutboundCheck admitted(Invite inv) {
        inv.extra += acme_auth();
        OutboundCheck r = run(inv);
        EXPECT_EQ(r.code, 0) << r.phrase << " " << call_refuse_reason_name(r.reason);
        return r;
    }
    // Applies the recorded edits and parses the result into out_msg_.
    const sip::Message& applied() {
        const std::size_t n = edits_.apply(msg_, out_);
        EXPECT_GT(n, 0u);
        out_text_.assign(out_.data(), n);
        EXPECT_EQ(out_msg_.parse(out_text_), sip::ParseStatus::ok) << out_text_;
        sip::Validated v;
        EXPECT_EQ(sip::validate_request(out_msg_, {}, v), sip::Reason::none) << out_text_;
        return out_msg_;
    }
    std::string header(const sip::Message& m, sip::HeaderId id) {
        const sip::HeaderField* f = m.find(id);
        return f == nullptr ? std::string("<none>") : std::string(f->value);
    }
    // Challenges in a 407's headers: "algorithm=...;stale" per line.
    std::vector<std::string> challenges(const OutboundCheck& r) {
        std::vector<std::string> out;
        std::string_view rest = r.response_headers;
        while (!rest.empty()) {
            const std::size_t e = rest.find("\r\n");
            std::string_view line = rest.substr(0, e);
            rest.remove_prefix(e + 2);
            EXPECT_EQ(line.substr(0, 20), "Proxy-Authenticate: ");
            sip::DigestChallenge c;
            EXPECT_EQ(sip::parse_challenge(line.substr(20), c), sip::Reason::none);
            EXPECT_EQ(c.realm, "palisade");
            sip::NonceInfo info;
            EXPECT_EQ(codec_.check(c.nonce, kNow, info), sip::NonceStatus::ok);
            out.push_back(std::string(c.algorithm) + (c.stale ? ";stale" : ""));
        }
        return out;
    }
    std::uint32_t acme_gauge() const { return limits_.concurrent(snap_->trunk(acme_).limit_slot); }

    ConfigSpec spec_;
    LimitsTable limits_{16};
    PolicySnapshotPtr snap_;
    WorkerScratch scratch_;
    sip::NonceCodec codec_{"test-secret", 3};
    sip::NonceCountTable counts_{1u << 12, 4};
    LocationTable location_{LocationLimits{64, 256, 64, 16, 4}};
    CheckState state_;
    CheckContext ctx_;
    std::uint32_t acme_ = kNoTrunk;
    std::uint32_t beta_ = kNoTrunk;
    std::string text_;
    sip::Message msg_;
    sip::Validated v_;
    sip::EditList edits_;
    std::array<char, kCheckScratchBytes> buf_{};
    std::array<char, 8192> out_{};
    std::string out_text_;
    sip::Message out_msg_;
};

// ---- digest ----

TEST_F(CallChecks, NoCredentialsGetsOneChallengePerAlgorithmOfTheSourcesTrunk) {
    Invite inv;
    OutboundCheck r = run(inv);
    EXPECT_EQ(r.code, 407);
    EXPECT_EQ(r.phrase, "Proxy Authentication Required");
    EXPECT_EQ(r.reason, CallRefuseReason::admitted);  // not a refusal
    // acme: primary SHA-256 then MD5, secondary MD5: SHA-256 first.
    EXPECT_EQ(challenges(r), (std::vector<std::string>{"SHA-256", "MD5"}));
    EXPECT_EQ(acme_gauge(), 0u);
    EXPECT_FALSE(r.decision.token.held());
    // An MD5-only trunk's PBX is offered MD5 alone (SIPp and baresip stop at SHA-256).
    r = run(inv, kBetaSrc);
    EXPECT_EQ(challenges(r), (std::vector<std::string>{"MD5"}));
    // A source of two trunks: the default challenge.
    r = run(inv, kSharedSrc);
    EXPECT_EQ(challenges(r), (std::vector<std::string>{"SHA-256", "MD5"}));
}

TEST_F(CallChecks, NoncesAreFreshAndFromTheWorkersIssuer) {
    state_.nonce_issuer = 9;
    Invite inv;
    OutboundCheck a = run(inv);
    const std::string first(a.response_headers);
    OutboundCheck b = run(inv);
    EXPECT_NE(first, std::string(b.response_headers));
    sip::DigestChallenge c;
    const std::string_view line = b.response_headers.substr(20, b.response_headers.find("\r\n") - 20);
    ASSERT_EQ(sip::parse_challenge(line, c), sip::Reason::none);
    sip::NonceInfo info;
    ASSERT_EQ(codec_.check(c.nonce, kNow, info), sip::NonceStatus::ok);
    EXPECT_EQ(info.id >> 48, 9u);
    EXPECT_EQ(info.expiry_s, kNow + 300);
}

TEST_F(CallChecks, Sha256CredentialsAdmitAndAreRemoved) {
    Invite inv;
    inv.extra = acme_auth(sip::HashAlgorithm::sha256);
    OutboundCheck r = run(inv);
    ASSERT_EQ(r.code, 0) << r.phrase;
    EXPECT_EQ(r.reason, CallRefuseReason::admitted);
    EXPECT_EQ(r.decision.trunk, acme_);
    EXPECT_EQ(r.account, AccountRole::primary);
    EXPECT_TRUE(r.decision.token.held());
    EXPECT_TRUE(r.counted);
    EXPECT_FALSE(r.emergency);
    EXPECT_FALSE(r.digest_failure);
    EXPECT_EQ(r.callee, "+31201112222");
    EXPECT_EQ(r.caller, "+31201234567");
    EXPECT_EQ(acme_gauge(), 1u);
    const sip::Message& out = applied();
    EXPECT_EQ(out.find(sip::HeaderId::proxy_authorization), nullptr);
    limits_.release(r.decision.token);
    EXPECT_EQ(acme_gauge(), 0u);
}

TEST_F(CallChecks, Md5CredentialsOfTheSecondaryAccount) {
    Invite inv;
    inv.extra = credentials("acme-2", "pw2", sip::HashAlgorithm::md5, nonce());
    OutboundCheck r = run(inv);
    ASSERT_EQ(r.code, 0) << r.phrase;
    EXPECT_EQ(r.account, AccountRole::secondary);
    limits_.release(r.decision.token);
}

TEST_F(CallChecks, AlgorithmTheAccountDoesNotAllowIsAFailure) {
    Invite inv;  // acme-2 is MD5-only
    inv.extra = credentials("acme-2", "pw2", sip::HashAlgorithm::sha256, nonce());
    OutboundCheck r = run(inv);
    EXPECT_EQ(r.code, 407);
    EXPECT_EQ(challenges(r), (std::vector<std::string>{"MD5"}));  // the account's own list
    EXPECT_EQ(state_.failures.failures(kAcmeSrc, kNow), 1u);
}

TEST_F(CallChecks, WrongPasswordGets407UntilTheLimitThen403) {
    const std::uint32_t n = state_.failures.policy().max_failures;
    ASSERT_EQ(n, 5u);
    for (std::uint32_t i = 1; i < n; ++i) {
        Invite inv;
        inv.extra = credentials("acme-1", "wrong", sip::HashAlgorithm::sha256, nonce());
        OutboundCheck r = run(inv);
        EXPECT_EQ(r.code, 407) << i;
        EXPECT_TRUE(r.digest_failure);
        EXPECT_EQ(r.auth_username, "acme-1");
        EXPECT_EQ(challenges(r), (std::vector<std::string>{"SHA-256", "MD5"}));
        EXPECT_EQ(state_.failures.failures(kAcmeSrc, kNow), i);
    }
    Invite inv;
    inv.extra = credentials("acme-1", "wrong", sip::HashAlgorithm::md5, nonce());
    OutboundCheck r = run(inv);
    EXPECT_EQ(r.code, 403);
    EXPECT_EQ(r.reason, CallRefuseReason::auth_failed);
    EXPECT_EQ(r.decision.trunk, acme_);
    EXPECT_TRUE(r.response_headers.empty());
    // Still 403 without credentials while the window lasts; another source is unaffected.
    r = run(Invite{});
    EXPECT_EQ(r.code, 403);
    r = run(Invite{}, ip(192, 0, 2, 11));
    EXPECT_EQ(r.code, 407);
    // The window ends: a challenge again.
    ctx_.now = instant_from_seconds(kNow + 61);
    r = run(Invite{});
    EXPECT_EQ(r.code, 407);
}

TEST_F(CallChecks, SuccessForgetsTheSourcesFailures) {
    for (int i = 0; i < 3; ++i) {
        Invite inv;
        inv.extra = credentials("acme-1", "wrong", sip::HashAlgorithm::sha256, nonce());
        EXPECT_EQ(run(inv).code, 407);
    }
    EXPECT_EQ(state_.failures.failures(kAcmeSrc, kNow), 3u);
    OutboundCheck ok = admitted(Invite{});
    limits_.release(ok.decision.token);
    EXPECT_EQ(state_.failures.failures(kAcmeSrc, kNow), 0u);
}

TEST_F(CallChecks, ExpiredNonceWithTheRightPasswordIsStale) {
    Invite inv;
    char n[sip::kNonceLen];
    ASSERT_EQ(codec_.make_with_id(static_cast<std::uint32_t>(kNow - 1), 77, n, sizeof n), sip::kNonceLen);
    inv.extra = credentials("acme-1", "pw1", sip::HashAlgorithm::sha256, std::string(n, sizeof n));
    OutboundCheck r = run(inv);
    EXPECT_EQ(r.code, 407);
    EXPECT_EQ(challenges(r), (std::vector<std::string>{"SHA-256;stale", "MD5;stale"}));
    EXPECT_EQ(state_.failures.failures(kAcmeSrc, kNow), 0u);  // not a failure
    EXPECT_FALSE(r.digest_failure);
    // The same expired nonce with a wrong password: a failure, no stale.
    inv.extra = credentials("acme-1", "bad", sip::HashAlgorithm::sha256, std::string(n, sizeof n));
    r = run(inv);
    EXPECT_EQ(challenges(r), (std::vector<std::string>{"SHA-256", "MD5"}));
    EXPECT_EQ(state_.failures.failures(kAcmeSrc, kNow), 1u);
}

TEST_F(CallChecks, ReplayedNonceCountIsStale) {
    Invite inv;
    inv.extra = acme_auth();
    OutboundCheck r = run(inv);
    ASSERT_EQ(r.code, 0);
    limits_.release(r.decision.token);
    r = run(inv);  // the same credentials again: nc 1 was used
    EXPECT_EQ(r.code, 407);
    EXPECT_EQ(challenges(r), (std::vector<std::string>{"SHA-256;stale", "MD5;stale"}));
    EXPECT_EQ(acme_gauge(), 0u);
}

TEST_F(CallChecks, ForgedNonceIsAFailure) {
    Invite inv;
    std::string forged = nonce();
    forged[10] = forged[10] == 'a' ? 'b' : 'a';
    inv.extra = credentials("acme-1", "pw1", sip::HashAlgorithm::sha256, forged);
    OutboundCheck r = run(inv);
    EXPECT_EQ(r.code, 407);
    EXPECT_EQ(state_.failures.failures(kAcmeSrc, kNow), 1u);
}

TEST_F(CallChecks, UnknownUsernameGetsTheSameChallengeAsNoCredentials) {
    for (std::uint32_t src : {kAcmeSrc, kBetaSrc, kSharedSrc}) {
        const std::vector<std::string> none = challenges(run(Invite{}, src));
        Invite inv;
        inv.extra = credentials("nobody", "x", sip::HashAlgorithm::md5, nonce());
        OutboundCheck r = run(inv, src);
        EXPECT_EQ(r.code, 407);
        EXPECT_EQ(challenges(r), none);
        EXPECT_EQ(r.decision.trunk, kNoTrunk);
        EXPECT_TRUE(r.digest_failure);
        EXPECT_EQ(r.auth_username, "nobody");
        EXPECT_EQ(state_.failures.failures(src, kNow), 1u);
    }
    // With no source trunk: the default SHA-256 then MD5.
    Invite inv;
    inv.extra = credentials("nobody", "x", sip::HashAlgorithm::md5, nonce());
    EXPECT_EQ(challenges(run(inv, ip(10, 9, 9, 9))), (std::vector<std::string>{"SHA-256", "MD5"}));
}

TEST_F(CallChecks, CredentialsForAnotherRealmAreIgnoredAndKept) {
    Invite inv;
    inv.extra = "Proxy-Authorization: Digest username=\"acme-1\", realm=\"other\", nonce=\"x\", "
                "uri=\"sip:a@b\", response=\"00\"\r\n" + acme_auth();
    OutboundCheck r = run(inv);
    ASSERT_EQ(r.code, 0);
    const sip::Message& out = applied();
    ASSERT_EQ(out.count(sip::HeaderId::proxy_authorization), 1u);
    EXPECT_NE(header(out, sip::HeaderId::proxy_authorization).find("realm=\"other\""), std::string::npos);
    limits_.release(r.decision.token);
}

TEST_F(CallChecks, BlockedSourceGets403BeforeAnyHashing) {
    ASSERT_TRUE(location_.block(kAcmeSrc, kNow + 600));
    Invite inv;
    inv.extra = acme_auth();
    OutboundCheck r = run(inv);
    EXPECT_EQ(r.code, 403);
    EXPECT_EQ(r.reason, CallRefuseReason::auth_failed);
    EXPECT_EQ(acme_gauge(), 0u);
}

TEST_F(CallChecks, WithoutCheckStateNoncesStillWork) {
    ctx_.state = nullptr;
    OutboundCheck r = run(Invite{});
    ASSERT_EQ(r.code, 407);
    EXPECT_EQ(challenges(r).size(), 2u);
    Invite inv;
    inv.extra = acme_auth();
    r = run(inv);
    EXPECT_EQ(r.code, 0);
    limits_.release(r.decision.token);
}

// ---- policy (decide.hpp), each refusal with its code ----

struct PolicyCase {
    const char* name;
    Invite inv;
    std::uint32_t src;
    std::uint16_t code;
    CallRefuseReason reason;
};

TEST_F(CallChecks, EachPolicyRefusalWithItsCode) {
    auto with = [](auto f) {
        Invite i;
        f(i);
        return i;
    };
    const std::vector<PolicyCase> cases = {
        {"source", Invite{}, ip(203, 0, 113, 5), 403, CallRefuseReason::source_not_allowed},
        {"ruri", with([](Invite& i) { i.ruri_user = "0201112222"; }), kAcmeSrc, 484, CallRefuseReason::ruri_not_e164},
        {"to", with([](Invite& i) { i.to_user = "0201112222"; }), kAcmeSrc, 403, CallRefuseReason::to_not_e164},
        {"from", with([](Invite& i) { i.from_user = "alice"; }), kAcmeSrc, 403, CallRefuseReason::from_not_e164},
        {"cid-missing", with([](Invite& i) { i.pai.clear(); }), kAcmeSrc, 403, CallRefuseReason::caller_id_missing},
        {"cid-e164", with([](Invite& i) { i.pai = "<sip:alice@192.0.2.10>"; }), kAcmeSrc, 403,
         CallRefuseReason::caller_id_not_e164},
        {"cid-allowed", with([](Invite& i) { i.pai = "<sip:+31209999999@192.0.2.10>"; }), kAcmeSrc, 403,
         CallRefuseReason::caller_id_not_allowed},
        {"destination", with([](Invite& i) { i.ruri_user = i.to_user = "+3190123456"; }), kAcmeSrc, 403,
         CallRefuseReason::destination_denied},
    };
    for (const PolicyCase& c : cases) {
        Invite inv = c.inv;
        inv.extra = credentials("acme-1", "pw1", sip::HashAlgorithm::sha256, nonce(),
                                1, "sip:" + inv.ruri_user + "@192.0.2.1");
        OutboundCheck r = run(inv, c.src);
        EXPECT_EQ(r.code, c.code) << c.name;
        EXPECT_EQ(r.reason, c.reason) << c.name << ": " << call_refuse_reason_name(r.reason);
        EXPECT_EQ(r.phrase, c.code == 484 ? "Address Incomplete" : "Forbidden") << c.name;
        EXPECT_EQ(r.decision.trunk, acme_) << c.name;
        EXPECT_FALSE(r.decision.token.held()) << c.name;
        EXPECT_TRUE(r.response_headers.empty()) << c.name;
    }
    EXPECT_EQ(acme_gauge(), 0u);
}

TEST_F(CallChecks, RemotePartyIdIsTheCallerIdWithoutPai) {
    Invite inv;
    inv.pai.clear();
    inv.extra = "Remote-Party-ID: <sip:+31201234599@192.0.2.10>;party=calling\r\n";
    OutboundCheck r = admitted(inv);
    EXPECT_EQ(r.caller, "+31201234599");
    limits_.release(r.decision.token);
    // Not one of the trunk's: refused like a PAI would be.
    inv.extra = "Remote-Party-ID: <sip:+31209999999@192.0.2.10>;party=calling\r\n" + acme_auth();
    r = run(inv);
    EXPECT_EQ(r.reason, CallRefuseReason::caller_id_not_allowed);
}

// A UA that cannot send PAI or RPID (baresip 1.0): refused by default, its From user is the
// caller ID on a trunk with caller_id_from_header (still one of the trunk's).
TEST_F(CallChecks, FromUserIsTheCallerIdOnlyWithCallerIdFromHeader) {
    Invite inv;
    inv.pai.clear();
    inv.extra = acme_auth();
    EXPECT_EQ(run(inv).reason, CallRefuseReason::caller_id_missing);
    spec_.trunks[0].caller_id_from_header = true;
    rebuild();
    inv.extra.clear();  // admitted() adds fresh credentials
    OutboundCheck r = admitted(inv);
    EXPECT_EQ(r.caller, "+31201234567");
    limits_.release(r.decision.token);
    inv.from_user = "+31209999999";
    inv.extra = acme_auth();
    EXPECT_EQ(run(inv).reason, CallRefuseReason::caller_id_not_allowed);
}

TEST_F(CallChecks, TelUriPaiAndCalledPartyRpid) {
    Invite inv;
    inv.pai = "<tel:+31201234501>";
    OutboundCheck r = admitted(inv);
    EXPECT_EQ(r.caller, "+31201234501");
    limits_.release(r.decision.token);
    // The called party's Remote-Party-ID is skipped; the calling one is the caller ID.
    inv.pai.clear();
    inv.extra = "Remote-Party-ID: <sip:+31201112222@x>;party=called, <sip:+31201234502@x>;party=calling\r\n";
    r = admitted(inv);
    EXPECT_EQ(r.caller, "+31201234502");
    limits_.release(r.decision.token);
}

TEST_F(CallChecks, CallerForTheEventIsFromWhenNoIdentityHeader) {
    // An emergency call skips the caller-ID check: the From user is the caller.
    Invite inv;
    inv.pai.clear();
    inv.ruri_user = "112";
    inv.to_user = "112";
    inv.extra = credentials("acme-1", "pw1", sip::HashAlgorithm::sha256, nonce(), 1, "sip:112@192.0.2.1");
    OutboundCheck r = run(inv);
    ASSERT_EQ(r.code, 0);
    EXPECT_EQ(r.caller, "+31201234567");
    limits_.release(r.decision.token);
}

TEST_F(CallChecks, RateLimitIs503WithRetryAfter) {
    spec_.trunks[0].limits.attempts_per_second = 1;
    rebuild();
    OutboundCheck a = admitted(Invite{});
    Invite inv;
    inv.extra = acme_auth();
    OutboundCheck r = run(inv);
    EXPECT_EQ(r.code, 503);
    EXPECT_EQ(r.reason, CallRefuseReason::rate_limited);
    EXPECT_EQ(r.response_headers, "Retry-After: 1\r\n");
    EXPECT_EQ(acme_gauge(), 1u);
    limits_.release(a.decision.token);
}

TEST_F(CallChecks, HourDayWeekLimitsAre403) {
    const struct {
        std::uint32_t hour, day, week;
        CallRefuseReason reason;
    } cases[] = {{1, 1000, 1000, CallRefuseReason::hour_limit},
                 {1000, 1, 1000, CallRefuseReason::day_limit},
                 {1000, 1000, 1, CallRefuseReason::week_limit}};
    for (const auto& c : cases) {
        // A fresh trunk id each time, so that the windows start empty.
        spec_.trunks[0].id = "acme-" + std::string(call_refuse_reason_name(c.reason));
        spec_.trunks[0].limits.calls_per_hour = c.hour;
        spec_.trunks[0].limits.calls_per_day = c.day;
        spec_.trunks[0].limits.calls_per_week = c.week;
        rebuild();
        OutboundCheck a = admitted(Invite{});
        limits_.release(a.decision.token);
        Invite inv;
        inv.extra = acme_auth();
        OutboundCheck r = run(inv);
        EXPECT_EQ(r.code, 403);
        EXPECT_EQ(r.reason, c.reason) << call_refuse_reason_name(r.reason);
        EXPECT_TRUE(r.response_headers.empty());
        EXPECT_EQ(acme_gauge(), 0u);
    }
}

// DESIGN.md §4: only a call that passes EVERY check counts against hour/day/week. Calls the
// policy admitted and a later check refused (488, 420, 422, 500) give their reservations back.
TEST_F(CallChecks, RefusalsAfterAdmissionUseNoHourBudget) {
    spec_.trunks[0].id = "acme-budget";
    spec_.trunks[0].limits.calls_per_hour = 2;
    spec_.trunks[0].limits.attempts_per_second = 100;
    rebuild();
    const std::uint32_t slot = snap_->trunk(acme_).limit_slot;
    for (int i = 0; i < 2; ++i) {
        Invite inv;
        inv.body = sdp_body("m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n");
        inv.extra = acme_auth();
        OutboundCheck r = run(inv);
        ASSERT_EQ(r.code, 488) << i;
        EXPECT_FALSE(r.counted) << i;
        EXPECT_EQ(limits_.window_count(slot, CallWindow::hour, kNow), 0u) << i;
    }
    Invite inv;
    inv.extra = "Require: 100rel\r\n" + acme_auth();
    ASSERT_EQ(run(inv).code, 420);
    inv.extra = "Session-Expires: 30\r\n" + acme_auth();
    ASSERT_EQ(run(inv).code, 422);
    inv.extra = "Session-Expires: soon\r\n" + acme_auth();
    ASSERT_EQ(run(inv).code, 400);
    EXPECT_EQ(limits_.window_count(slot, CallWindow::hour, kNow), 0u);
    EXPECT_EQ(limits_.window_count(slot, CallWindow::day, kNow), 0u);
    EXPECT_EQ(limits_.window_count(slot, CallWindow::week, kNow), 0u);
    EXPECT_EQ(limits_.attempts(slot, kNow), 5u);  // the attempts stay counted
    // The whole hour budget is left: two good calls pass, the third is refused.
    OutboundCheck a = admitted(Invite{});
    EXPECT_TRUE(a.counted);
    OutboundCheck b = admitted(Invite{});
    EXPECT_EQ(limits_.window_count(slot, CallWindow::hour, kNow), 2u);
    Invite third;
    third.extra = acme_auth();
    EXPECT_EQ(run(third).reason, CallRefuseReason::hour_limit);
    limits_.release(a.decision.token);
    limits_.release(b.decision.token);
    EXPECT_EQ(limits_.stuck_rollbacks(), 0u);
}

TEST_F(CallChecks, ScratchFullAfterAdmissionIs500InternalErrorAndUsesNoBudget) {
    const std::uint32_t slot = snap_->trunk(acme_).limit_slot;
    Invite inv;
    inv.extra = acme_auth();
    text_ = inv.text();
    edits_.clear();
    ASSERT_EQ(msg_.parse(text_), sip::ParseStatus::ok);
    ASSERT_EQ(sip::validate_request(msg_, {}, v_), sip::Reason::none);
    char tiny[8];  // no room for the Session-Expires line
    OutboundCheck r = check_outbound_invite(msg_, v_, kAcmeSrc, ctx_, std::span<char>(tiny), edits_);
    EXPECT_EQ(r.code, 500);
    EXPECT_EQ(r.reason, CallRefuseReason::internal_error);
    EXPECT_EQ(call_refuse_reason_code(r.reason), 500);
    EXPECT_EQ(call_refuse_reason_name(r.reason), "internal_error");
    EXPECT_FALSE(r.decision.token.held());
    EXPECT_FALSE(r.counted);
    EXPECT_EQ(acme_gauge(), 0u);
    EXPECT_EQ(limits_.window_count(slot, CallWindow::hour, kNow), 0u);
}

TEST_F(CallChecks, NoNonceCodecIs500InternalError) {
    ctx_.nonces = nullptr;
    OutboundCheck r = run(Invite{});
    EXPECT_EQ(r.code, 500);
    EXPECT_EQ(r.reason, CallRefuseReason::internal_error);
}

TEST_F(CallChecks, ConcurrencyLimitIs503WithRetryAfterAndEmergencyStillPasses) {
    OutboundCheck a = admitted(Invite{});  // acme: max_concurrent 2
    OutboundCheck b = admitted(Invite{});
    Invite inv;
    inv.extra = acme_auth();
    OutboundCheck r = run(inv);
    EXPECT_EQ(r.code, 503);
    EXPECT_EQ(r.reason, CallRefuseReason::concurrency_limit);
    EXPECT_EQ(r.response_headers, "Retry-After: 5\r\n");
    // Emergency: no E.164 needed, no caller ID, above the concurrent limit; not counted.
    Invite e;
    e.ruri_user = e.to_user = "112";
    e.from_user = "200";
    e.pai.clear();
    e.extra = credentials("acme-1", "pw1", sip::HashAlgorithm::sha256, nonce(), 1, "sip:112@192.0.2.1");
    OutboundCheck em = run(e);
    ASSERT_EQ(em.code, 0) << call_refuse_reason_name(em.reason);
    EXPECT_TRUE(em.emergency);
    EXPECT_FALSE(em.counted);
    EXPECT_EQ(em.decision.reason, DecideReason::emergency);
    EXPECT_TRUE(em.decision.token.held());
    EXPECT_EQ(acme_gauge(), 3u);
    applied();
    for (OutboundCheck* c : {&a, &b, &em}) limits_.release(c->decision.token);
    EXPECT_EQ(acme_gauge(), 0u);
}

// ---- 100rel and session timers ----

TEST_F(CallChecks, Require100relIs420AndReleasesTheSlot) {
    Invite inv;
    inv.extra = "Require: 100rel\r\n" + acme_auth();
    OutboundCheck r = run(inv);
    EXPECT_EQ(r.code, 420);
    EXPECT_EQ(r.phrase, "Bad Extension");
    EXPECT_EQ(r.reason, CallRefuseReason::extension_100rel);
    EXPECT_EQ(r.response_headers, "Unsupported: 100rel\r\n");
    EXPECT_FALSE(r.decision.token.held());
    EXPECT_EQ(acme_gauge(), 0u);
    EXPECT_EQ(r.decision.trunk, acme_);
}

TEST_F(CallChecks, SessionExpiresBelowMinSeIs422WithMinSe) {
    Invite inv;
    inv.extra = "Session-Expires: 60\r\n" + acme_auth();
    OutboundCheck r = run(inv);
    EXPECT_EQ(r.code, 422);
    EXPECT_EQ(r.phrase, "Session Interval Too Small");
    EXPECT_EQ(r.reason, CallRefuseReason::session_interval_too_small);
    EXPECT_EQ(r.response_headers, "Min-SE: 90\r\n");
    EXPECT_EQ(acme_gauge(), 0u);
    // The request's own larger Min-SE is the one the 422 names (RFC 4028 §6).
    inv.extra = "x: 60\r\nMin-SE: 120\r\n" + acme_auth();
    r = run(inv);
    EXPECT_EQ(r.code, 422);
    EXPECT_EQ(r.response_headers, "Min-SE: 120\r\n");
}

TEST_F(CallChecks, SessionExpiresAndMinSeInsertedWhenAbsent) {
    OutboundCheck r = admitted(Invite{});
    EXPECT_EQ(r.session_expires_s, 1800u);
    const sip::Message& out = applied();
    EXPECT_EQ(header(out, sip::HeaderId::session_expires), "1800");
    EXPECT_EQ(header(out, sip::HeaderId::min_se), "90");
    limits_.release(r.decision.token);
}

TEST_F(CallChecks, PbxSessionExpiresKeptAndLowMinSeRaised) {
    Invite inv;
    inv.extra = "Session-Expires: 600;refresher=uac\r\nMin-SE: 30\r\nSupported: timer\r\n";
    OutboundCheck r = admitted(inv);
    EXPECT_EQ(r.session_expires_s, 600u);
    const sip::Message& out = applied();
    EXPECT_EQ(out.count(sip::HeaderId::session_expires), 1u);
    EXPECT_EQ(header(out, sip::HeaderId::session_expires), "600;refresher=uac");
    EXPECT_EQ(out.count(sip::HeaderId::min_se), 1u);
    EXPECT_EQ(header(out, sip::HeaderId::min_se), "90");
    EXPECT_EQ(header(out, sip::HeaderId::supported), "timer");
    limits_.release(r.decision.token);
}

TEST_F(CallChecks, InsertedSessionExpiresHonoursAHigherMinSe) {
    Invite inv;
    inv.extra = "Min-SE: 3600\r\n";
    OutboundCheck r = admitted(inv);
    EXPECT_EQ(r.session_expires_s, 3600u);
    const sip::Message& out = applied();
    EXPECT_EQ(header(out, sip::HeaderId::session_expires), "3600");
    EXPECT_EQ(header(out, sip::HeaderId::min_se), "3600");
    limits_.release(r.decision.token);
}

TEST_F(CallChecks, MalformedSessionExpiresIs400) {
    Invite inv;
    inv.extra = "Session-Expires: soon\r\n" + acme_auth();
    OutboundCheck r = run(inv);
    EXPECT_EQ(r.code, 400);
    EXPECT_EQ(r.reason, CallRefuseReason::malformed);
    EXPECT_EQ(acme_gauge(), 0u);
}

TEST_F(CallChecks, OneHundredRelRemovedFromSupported) {
    Invite inv;
    inv.extra = "Supported: 100rel, timer,replaces\r\nk: 100rel\r\n";
    OutboundCheck r = admitted(inv);
    const sip::Message& out = applied();
    ASSERT_EQ(out.count(sip::HeaderId::supported), 1u);
    EXPECT_EQ(header(out, sip::HeaderId::supported), "timer, replaces");
    EXPECT_FALSE(sip::has_token(out, sip::HeaderId::supported, "100rel"));
    limits_.release(r.decision.token);
}

TEST_F(CallChecks, StripAndRequireHelpers) {
    text_ = Invite{.extra = "Supported: timer\r\nRequire: timer, 100rel\r\n"}.text();
    ASSERT_EQ(msg_.parse(text_), sip::ParseStatus::ok);
    EXPECT_TRUE(requires_100rel(msg_));
    edits_.clear();
    EXPECT_TRUE(strip_100rel(msg_, buf_, edits_));
    EXPECT_TRUE(edits_.empty());  // nothing to strip
    text_ = Invite{.extra = "Supported: timer\r\n"}.text();
    ASSERT_EQ(msg_.parse(text_), sip::ParseStatus::ok);
    EXPECT_FALSE(requires_100rel(msg_));
}

// ---- SDP ----

TEST_F(CallChecks, G729OnlyOfferIs488AndReleasesTheSlot) {
    Invite inv;
    inv.body = sdp_body("m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n");
    inv.extra = acme_auth();
    OutboundCheck r = run(inv);
    EXPECT_EQ(r.code, 488);
    EXPECT_EQ(r.phrase, "Not Acceptable Here");
    EXPECT_EQ(r.reason, CallRefuseReason::sdp_not_acceptable);
    EXPECT_FALSE(r.decision.token.held());
    EXPECT_EQ(acme_gauge(), 0u);
}

TEST_F(CallChecks, G729AndPcmaKeepsPcmaOnly) {
    Invite inv;
    inv.body = sdp_body("m=audio 4000 RTP/AVP 18 8\r\na=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\n"
                        "a=rtpmap:8 PCMA/8000\r\n");
    OutboundCheck r = admitted(inv);
    const sip::Message& out = applied();
    sdp::Sdp s;
    ASSERT_EQ(s.parse(out.body()), sdp::Reason::none) << out.body();
    ASSERT_EQ(s.media_count(), 1u);
    EXPECT_EQ(s.media(0).formats_text, "8");
    EXPECT_EQ(out.body().find("G729"), std::string_view::npos);
    EXPECT_EQ(out.body().find("annexb"), std::string_view::npos);
    EXPECT_EQ(out.content_length(), out.body().size());
    limits_.release(r.decision.token);
}

TEST_F(CallChecks, PcmaFirstTelephoneEventKeptT38Rejected) {
    Invite inv;
    inv.body = sdp_body("m=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
                        "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
                        "m=image 4002 udptl t38\r\n");
    OutboundCheck r = admitted(inv);
    const sip::Message& out = applied();
    sdp::Sdp s;
    ASSERT_EQ(s.parse(out.body()), sdp::Reason::none);
    ASSERT_EQ(s.media_count(), 2u);
    EXPECT_EQ(s.media(0).formats_text, "8 0 101");
    EXPECT_NE(s.find_encoding(s.media(0), "telephone-event", 8000), nullptr);
    EXPECT_EQ(s.media(0).port, 4000);
    EXPECT_EQ(s.media(1).kind, sdp::MediaKind::image);
    EXPECT_EQ(s.media(1).port, 0);
    limits_.release(r.decision.token);
}

TEST_F(CallChecks, T38OnlyOfferIs488) {
    Invite inv;
    inv.body = sdp_body("m=image 4002 udptl t38\r\n");
    inv.extra = acme_auth();
    EXPECT_EQ(run(inv).code, 488);
    EXPECT_EQ(acme_gauge(), 0u);
}

TEST_F(CallChecks, InviteWithoutSdpPassesAndMalformedSdpIs488) {
    Invite inv;
    inv.body.clear();
    OutboundCheck r = admitted(inv);
    limits_.release(r.decision.token);
    inv.body = "v=0\r\nthis is not sdp\r\n";
    inv.extra = acme_auth();
    EXPECT_EQ(run(inv).code, 488);
    EXPECT_EQ(acme_gauge(), 0u);
}

TEST_F(CallChecks, FilterSdpVerdicts) {
    auto verdict = [&](const Invite& inv) {
        text_ = inv.text();
        EXPECT_EQ(msg_.parse(text_), sip::ParseStatus::ok);
        edits_.clear();
        return filter_sdp(msg_, buf_, edits_);
    };
    Invite inv;
    EXPECT_EQ(verdict(inv), SdpVerdict::unchanged);
    EXPECT_TRUE(edits_.empty());
    inv.body = sdp_body("m=audio 4000 RTP/AVP 0 8\r\n");
    EXPECT_EQ(verdict(inv), SdpVerdict::filtered);
    inv.body = sdp_body("m=audio 4000 RTP/AVP 18\r\n");
    EXPECT_EQ(verdict(inv), SdpVerdict::no_audio);
    inv.body = "garbage";
    EXPECT_EQ(verdict(inv), SdpVerdict::malformed);
    inv.body.clear();
    EXPECT_EQ(verdict(inv), SdpVerdict::no_sdp);
    // A scratch too small for the rewritten m= line.
    inv.body = sdp_body("m=audio 4000 RTP/AVP 0 8\r\n");
    text_ = inv.text();
    ASSERT_EQ(msg_.parse(text_), sip::ParseStatus::ok);
    edits_.clear();
    EXPECT_EQ(filter_sdp(msg_, std::span<char>(buf_.data(), 1), edits_), SdpVerdict::no_space);
    EXPECT_TRUE(edits_.empty());
}

// ---- privacy ----

TEST_F(CallChecks, PrivacyIdRemovesIdentityAndAnonymisesFrom) {
    for (const char* privacy : {"id", "id;critical", "user", "header;id"}) {
        Invite inv;
        inv.extra = std::string("Privacy: ") + privacy +
                    "\r\nP-Asserted-Identity: <tel:+31201234567>\r\nRemote-Party-ID: <sip:+31201234567@x>\r\n";
        text_ = inv.text();
        ASSERT_EQ(msg_.parse(text_), sip::ParseStatus::ok);
        edits_.clear();
        ASSERT_TRUE(privacy_edits(msg_, buf_, edits_)) << privacy;
        const sip::Message& out = applied();
        EXPECT_EQ(msg_.count(sip::HeaderId::p_asserted_identity), 2u);
        EXPECT_EQ(out.find(sip::HeaderId::p_asserted_identity), nullptr) << privacy;
        EXPECT_EQ(out.find(sip::HeaderId::privacy)->value, privacy);  // kept
        EXPECT_EQ(out.find(sip::HeaderId::remote_party_id), nullptr) << privacy;
        sip::NameAddr from;
        ASSERT_EQ(sip::parse_name_addr(out.find(sip::HeaderId::from)->value, from), sip::Reason::none);
        EXPECT_EQ(from.display_name, "Anonymous");
        EXPECT_EQ(from.uri_text, "sip:anonymous@anonymous.invalid");
        EXPECT_EQ(from.tag, "f1");
        EXPECT_EQ(out_text_.find("+31201234567@192.0.2.10>;tag"), std::string::npos);
    }
}

TEST_F(CallChecks, NoPrivacyOrPrivacyNoneChangesNothing) {
    for (const char* extra : {"", "Privacy: none\r\n"}) {
        Invite inv;
        inv.extra = extra;
        text_ = inv.text();
        ASSERT_EQ(msg_.parse(text_), sip::ParseStatus::ok);
        edits_.clear();
        EXPECT_TRUE(privacy_edits(msg_, buf_, edits_));
        EXPECT_TRUE(edits_.empty()) << extra;
    }
}

// ---- inbound ----

class InboundChecks : public CallChecks {
protected:
    // Registers `n` contacts for `user` at 10.0.<role>.<i+1>:5060+i.
    void register_contacts(const std::string& user, LocationRole role, int n, std::uint32_t first_id) {
        std::vector<std::string> uris;
        for (int i = 0; i < n; ++i) uris.push_back("sip:" + user + "@10.0." + std::to_string(int(role)) + "." + std::to_string(i + 1));
        std::vector<LocationTable::ContactInput> in;
        for (int i = 0; i < n; ++i)
            in.push_back({uris[i], ip(10, 0, unsigned(role), unsigned(i + 1)), std::uint16_t(5060 + i), 1,
                          first_id + std::uint32_t(i), kNow + 3600});
        ASSERT_TRUE(location_.set_contacts(user, snap_->trunk(acme_).limit_slot, role, in));
    }
    InboundCheck inbound(const std::string& did, const std::string& extra = "") {
        std::string t = "INVITE sip:" + did + "@192.0.2.1 SIP/2.0\r\n"
                        "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK-core\r\n"
                        "Max-Forwards: 70\r\n"
                        "From: <sip:+442079460000@198.18.0.1>;tag=c1\r\n"
                        "To: <sip:" + did + "@192.0.2.1>\r\n"
                        "Call-ID: in-1@core\r\nCSeq: 1 INVITE\r\n" + extra + "Content-Length: 0\r\n\r\n";
        text_ = t;
        EXPECT_EQ(msg_.parse(text_), sip::ParseStatus::ok);
        EXPECT_EQ(sip::validate_request(msg_, {}, v_), sip::Reason::none);
        return check_inbound_invite(msg_, v_, ctx_);
    }
    static std::vector<std::uint32_t> ids(const InboundCheck& r) {
        std::vector<std::uint32_t> out;
        for (std::size_t i = 0; i < r.target_count; ++i) out.push_back(r.targets[i].contact_id);
        return out;
    }
};

TEST_F(InboundChecks, UnknownDidOrNotE164Is404) {
    InboundCheck r = inbound("+31209999999");
    EXPECT_EQ(r.code, 404);
    EXPECT_EQ(r.reason, CallRefuseReason::did_unknown);
    EXPECT_EQ(r.trunk, kNoTrunk);
    r = inbound("0205550001");
    EXPECT_EQ(r.code, 404);
    EXPECT_EQ(r.reason, CallRefuseReason::did_not_e164);
    EXPECT_EQ(acme_gauge(), 0u);
}

TEST_F(InboundChecks, PrimaryContactsFirstThenSecondary) {
    register_contacts("acme-1", LocationRole::primary, 2, 10);
    register_contacts("acme-2", LocationRole::secondary, 2, 20);
    InboundCheck r = inbound("+31205550042", "P-Asserted-Identity: <sip:+442079461111@core>\r\n");
    EXPECT_EQ(r.code, 0);
    EXPECT_FALSE(r.failover);
    EXPECT_EQ(r.trunk, acme_);
    EXPECT_EQ(r.reason, CallRefuseReason::inbound_admitted);
    EXPECT_TRUE(r.token.held());
    EXPECT_EQ(acme_gauge(), 1u);
    EXPECT_EQ(r.callee, "+31205550042");
    EXPECT_EQ(r.caller, "+442079461111");
    EXPECT_EQ(ids(r), (std::vector<std::uint32_t>{10, 11, 20, 21}));
    EXPECT_EQ(r.targets[0].to, (Endpoint{ip(10, 0, 0, 1), 5060}));
    EXPECT_EQ(r.targets[0].uri, "sip:acme-1@10.0.0.1");
    EXPECT_EQ(r.targets[0].iface, 1);
    EXPECT_EQ(r.targets[0].account, AccountRole::primary);
    EXPECT_EQ(r.targets[3].account, AccountRole::secondary);
    limits_.release(r.token);
}

TEST_F(InboundChecks, CallerIsFromWithoutPai) {
    register_contacts("acme-1", LocationRole::primary, 1, 10);
    InboundCheck r = inbound("+31207770000");
    EXPECT_EQ(r.caller, "+442079460000");
    limits_.release(r.token);
}

TEST_F(InboundChecks, AlternateModeInterleavesTheAccounts) {
    spec_.trunks[0].inbound = InboundMode::alternate;
    rebuild();
    register_contacts("acme-1", LocationRole::primary, 3, 10);
    register_contacts("acme-2", LocationRole::secondary, 1, 20);
    InboundCheck r = inbound("+31205550042");
    EXPECT_EQ(ids(r), (std::vector<std::uint32_t>{10, 20, 11, 12}));
    limits_.release(r.token);
}

TEST_F(InboundChecks, UnreachableContactsAreSkippedAndCounted) {
    register_contacts("acme-1", LocationRole::primary, 2, 10);
    register_contacts("acme-2", LocationRole::secondary, 1, 20);
    ASSERT_TRUE(location_.set_reachability("acme-1", 10, Reachability::down));
    ASSERT_TRUE(location_.set_reachability("acme-1", 11, Reachability::up));
    InboundCheck r = inbound("+31205550042");
    EXPECT_EQ(ids(r), (std::vector<std::uint32_t>{11, 20}));
    EXPECT_EQ(r.skipped_unreachable, 1);
    limits_.release(r.token);
    // Every contact down: failover, target_unreachable, no slot held.
    ASSERT_TRUE(location_.set_reachability("acme-1", 11, Reachability::down));
    ASSERT_TRUE(location_.set_reachability("acme-2", 20, Reachability::down));
    r = inbound("+31205550042");
    EXPECT_TRUE(r.failover);
    EXPECT_EQ(r.failover_reason, CallFailoverReason::target_unreachable);
    EXPECT_EQ(r.reason, CallRefuseReason::inbound_failover);
    EXPECT_EQ(r.skipped_unreachable, 3);
    EXPECT_EQ(r.target_count, 0);
    EXPECT_FALSE(r.token.held());
    EXPECT_EQ(acme_gauge(), 0u);
}

TEST_F(InboundChecks, NothingRegisteredIsFailoverNoRegistration) {
    InboundCheck r = inbound("+31205550042");
    EXPECT_EQ(r.code, 0);
    EXPECT_TRUE(r.failover);
    EXPECT_EQ(r.failover_reason, CallFailoverReason::no_registration);
    EXPECT_EQ(r.trunk, acme_);
    EXPECT_FALSE(r.token.held());
    EXPECT_EQ(acme_gauge(), 0u);
    // No location table at all: the same.
    ctx_.location = nullptr;
    r = inbound("+31205550042");
    EXPECT_EQ(r.failover_reason, CallFailoverReason::no_registration);
}

TEST_F(InboundChecks, ForcedModes) {
    register_contacts("acme-1", LocationRole::primary, 1, 10);
    register_contacts("acme-2", LocationRole::secondary, 1, 20);
    const std::uint32_t key = snap_->trunk(acme_).limit_slot;
    ASSERT_TRUE(location_.set_failover(key, FailoverMode::secondary));
    InboundCheck r = inbound("+31205550042");
    EXPECT_EQ(ids(r), (std::vector<std::uint32_t>{20}));
    limits_.release(r.token);
    ASSERT_TRUE(location_.set_failover(key, FailoverMode::primary));
    r = inbound("+31205550042");
    EXPECT_EQ(ids(r), (std::vector<std::uint32_t>{10}));
    limits_.release(r.token);
    ASSERT_TRUE(location_.set_failover(key, FailoverMode::dialplan));
    r = inbound("+31205550042");
    EXPECT_TRUE(r.failover);
    EXPECT_EQ(r.failover_reason, CallFailoverReason::forced);
    EXPECT_FALSE(r.token.held());
    EXPECT_EQ(acme_gauge(), 0u);
    // Forced to the secondary, which has nothing registered: no_registration.
    ASSERT_TRUE(location_.set_failover(key, FailoverMode::secondary));
    ASSERT_TRUE(location_.set_contacts("acme-2", key, LocationRole::secondary, {}));
    r = inbound("+31205550042");
    EXPECT_TRUE(r.failover);
    EXPECT_EQ(r.failover_reason, CallFailoverReason::no_registration);
}

TEST_F(InboundChecks, ConcurrentLimitIsFailoverWithoutSlot) {
    register_contacts("acme-1", LocationRole::primary, 1, 10);
    InboundCheck a = inbound("+31205550042");  // acme: max_concurrent 2
    InboundCheck b = inbound("+31205550043");
    ASSERT_TRUE(a.token.held() && b.token.held());
    InboundCheck r = inbound("+31205550044");
    EXPECT_TRUE(r.failover);
    EXPECT_EQ(r.failover_reason, CallFailoverReason::concurrent_limit);
    EXPECT_EQ(r.reason, CallRefuseReason::inbound_failover);
    EXPECT_FALSE(r.token.held());
    EXPECT_EQ(acme_gauge(), 2u);
    limits_.release(a.token);
    limits_.release(b.token);
    EXPECT_EQ(acme_gauge(), 0u);
}

TEST_F(InboundChecks, AtMostKMaxInboundTargets) {
    register_contacts("acme-1", LocationRole::primary, 10, 100);
    register_contacts("acme-2", LocationRole::secondary, 10, 200);
    InboundCheck r = inbound("+31205550042");
    EXPECT_EQ(r.target_count, kMaxInboundTargets);
    EXPECT_EQ(r.targets[9].contact_id, 109u);
    EXPECT_EQ(r.targets[10].contact_id, 200u);
    limits_.release(r.token);
}

// ---- the failure table ----

TEST(AuthFailureTableTest, WindowsEvictionAndSuccess) {
    AuthFailureTable t(AuthFailurePolicy{3, 10});
    EXPECT_EQ(t.record_failure(1, 100), 1u);
    EXPECT_EQ(t.record_failure(1, 105), 2u);
    EXPECT_FALSE(t.over_limit(1, 105));
    EXPECT_EQ(t.record_failure(1, 109), 3u);
    EXPECT_TRUE(t.over_limit(1, 109));
    EXPECT_FALSE(t.over_limit(1, 110));  // the window started at 100
    EXPECT_EQ(t.record_failure(1, 110), 1u);
    t.record_success(1);
    EXPECT_EQ(t.failures(1, 110), 0u);
    // More sources than the table holds: the oldest windows go, the newest stay.
    AuthFailureTable u(AuthFailurePolicy{5, 1000000});
    for (std::uint32_t i = 0; i < 5000; ++i) u.record_failure(i, i);
    // 1024 entries at most: the last sources are remembered, the first are not.
    EXPECT_EQ(u.failures(4999, 4999), 1u);
    EXPECT_EQ(u.failures(0, 4999), 0u);
}

}  // namespace
}  // namespace palisade::dp
