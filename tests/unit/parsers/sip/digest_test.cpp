// Tests of parsers/sip/digest: RFC vectors, verification verdicts, challenges.
#include "parsers/sip/digest.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace palisade::sip {
namespace {

std::string ha1(HashAlgorithm alg, std::string_view u, std::string_view r, std::string_view p) {
    char out[kMaxDigestHexLen];
    const std::size_t n = compute_ha1(alg, u, r, p, out, sizeof out);
    return std::string(out, n);
}

std::string response(HashAlgorithm alg, std::string_view ha1_hex, std::string_view nonce,
                     std::string_view nc, std::string_view cnonce, std::string_view qop,
                     std::string_view method, std::string_view uri) {
    char out[kMaxDigestHexLen];
    const std::size_t n = compute_response(alg, ha1_hex, nonce, nc, cnonce, qop, method, uri, out, sizeof out);
    return std::string(out, n);
}

// RFC 2617 §3.5.
TEST(DigestTest, Rfc2617Section35Vector) {
    const std::string a1 = ha1(HashAlgorithm::md5, "Mufasa", "testrealm@host.com", "Circle Of Life");
    EXPECT_EQ(response(HashAlgorithm::md5, a1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001",
                       "0a4f113b", "auth", "GET", "/dir/index.html"),
              "6629fae49393a05397450978507c4ef1");
}

// RFC 7616 §3.9.1, both algorithms.
TEST(DigestTest, Rfc7616Section391Vectors) {
    constexpr std::string_view kNonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    constexpr std::string_view kCnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    const std::string md5 = ha1(HashAlgorithm::md5, "Mufasa", "http-auth@example.org", "Circle of Life");
    EXPECT_EQ(response(HashAlgorithm::md5, md5, kNonce, "00000001", kCnonce, "auth", "GET", "/dir/index.html"),
              "8ca523f5e9506fed4657c9700eebdbec");
    const std::string sha = ha1(HashAlgorithm::sha256, "Mufasa", "http-auth@example.org", "Circle of Life");
    EXPECT_EQ(response(HashAlgorithm::sha256, sha, kNonce, "00000001", kCnonce, "auth", "GET", "/dir/index.html"),
              "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

// RFC 2069 form: H(HA1:nonce:HA2). RFC 2069 §2.4 example (MD5).
TEST(DigestTest, Rfc2069FormVector) {
    const std::string a1 = ha1(HashAlgorithm::md5, "Mufasa", "testrealm@host.com", "CircleOfLife");
    EXPECT_EQ(response(HashAlgorithm::md5, a1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "", "", "", "GET",
                       "/dir/index.html"),
              "1949323746fe6a43ef61f9606e7febea");
}

TEST(DigestTest, SmallBufferWritesNothing) {
    char out[63];
    EXPECT_EQ(compute_response(HashAlgorithm::sha256, "a", "n", "", "", "", "M", "u", out, sizeof out), 0u);
    EXPECT_EQ(compute_response(HashAlgorithm::md5, "a", "n", "", "", "", "M", "u", out, 32), 32u);
}

TEST(DigestTest, AlgorithmTokens) {
    HashAlgorithm a = HashAlgorithm::sha256;
    EXPECT_TRUE(parse_algorithm("", a));
    EXPECT_EQ(a, HashAlgorithm::md5);
    EXPECT_TRUE(parse_algorithm("sha-256", a));
    EXPECT_EQ(a, HashAlgorithm::sha256);
    EXPECT_TRUE(parse_algorithm("md5", a));
    EXPECT_EQ(a, HashAlgorithm::md5);
    EXPECT_FALSE(parse_algorithm("MD5-sess", a));
    EXPECT_FALSE(parse_algorithm("SHA-512-256", a));
    EXPECT_EQ(algorithm_name(HashAlgorithm::sha256), "SHA-256");
}

// ---- verify_digest ----

class VerifyTest : public ::testing::Test {
protected:
    static constexpr std::uint64_t kNow = 1'700'000'000;
    static constexpr std::string_view kRealm = "palisade";
    NonceCodec codec{"test-secret"};
    NonceCountTable counts{1024};
    std::string md5 = ha1(HashAlgorithm::md5, "alice", "palisade", "pw");
    std::string sha = ha1(HashAlgorithm::sha256, "alice", "palisade", "pw");
    DigestAccount account{md5, sha, false};
    char nonce_buf[kNonceLen];
    std::string nonce() { return std::string(nonce_buf, codec.make(kNow, 300, nonce_buf, sizeof nonce_buf)); }

    // Credentials text a UA would send.
    std::string creds_text(HashAlgorithm alg, const std::string& n, std::string_view nc = "00000001",
                           std::string_view password = "pw", std::string_view qop = "auth",
                           std::string_view realm = "palisade") {
        const std::string a1 = ha1(alg, "alice", realm, password);
        const std::string r = response(alg, a1, n, nc, "c0ffee", qop, "REGISTER", "sip:palisade.example");
        std::string t = "Digest username=\"alice\", realm=\"" + std::string(realm) + "\", nonce=\"" + n +
                        "\", uri=\"sip:palisade.example\", response=\"" + r + "\", algorithm=" +
                        std::string(algorithm_name(alg));
        if (!qop.empty()) t += ", qop=" + std::string(qop) + ", nc=" + std::string(nc) + ", cnonce=\"c0ffee\"";
        return t;
    }
    DigestVerdict verify(const std::string& text, std::uint64_t now = kNow) {
        DigestCredentials c;
        if (parse_credentials(text, c) != Reason::none) return DigestVerdict::missing_field;
        return verify_digest(c, "REGISTER", kRealm, account, codec, counts, now);
    }
};

TEST_F(VerifyTest, AcceptsBothAlgorithms) {
    EXPECT_EQ(verify(creds_text(HashAlgorithm::sha256, nonce())), DigestVerdict::ok);
    EXPECT_EQ(verify(creds_text(HashAlgorithm::md5, nonce())), DigestVerdict::ok);
}

TEST_F(VerifyTest, WrongPasswordIsBadResponse) {
    EXPECT_EQ(verify(creds_text(HashAlgorithm::sha256, nonce(), "00000001", "wrong")), DigestVerdict::bad_response);
}

TEST_F(VerifyTest, WrongPasswordDoesNotConsumeTheCount) {
    const std::string n = nonce();
    EXPECT_EQ(verify(creds_text(HashAlgorithm::sha256, n, "00000001", "wrong")), DigestVerdict::bad_response);
    EXPECT_EQ(verify(creds_text(HashAlgorithm::sha256, n, "00000001")), DigestVerdict::ok);
}

TEST_F(VerifyTest, ForgedNonce) {
    std::string n = nonce();
    n[20] = n[20] == 'a' ? 'b' : 'a';
    EXPECT_EQ(verify(creds_text(HashAlgorithm::sha256, n)), DigestVerdict::forged_nonce);
    EXPECT_EQ(verify(creds_text(HashAlgorithm::sha256, "abcdef")), DigestVerdict::forged_nonce);
}

TEST_F(VerifyTest, ExpiredNonceIsStaleOnlyWithTheRightPassword) {
    const std::string n = nonce();
    EXPECT_EQ(verify(creds_text(HashAlgorithm::sha256, n), kNow + 300), DigestVerdict::stale_nonce);
    EXPECT_EQ(verify(creds_text(HashAlgorithm::sha256, n, "00000001", "x"), kNow + 300), DigestVerdict::bad_response);
    EXPECT_EQ(verify(creds_text(HashAlgorithm::sha256, n), kNow + 299), DigestVerdict::ok);
}

TEST_F(VerifyTest, ReplayedAndLowerCountsRefused) {
    const std::string n = nonce();
    EXPECT_EQ(verify(creds_text(HashAlgorithm::sha256, n, "00000002")), DigestVerdict::ok);
    EXPECT_EQ(verify(creds_text(HashAlgorithm::sha256, n, "00000002")), DigestVerdict::nc_refused);
    EXPECT_EQ(verify(creds_text(HashAlgorithm::sha256, n, "00000001")), DigestVerdict::nc_refused);
    EXPECT_EQ(verify(creds_text(HashAlgorithm::sha256, n, "00000003")), DigestVerdict::ok);
}

TEST_F(VerifyTest, AlgorithmNotAllowed) {
    account.ha1_md5 = {};
    EXPECT_EQ(verify(creds_text(HashAlgorithm::md5, nonce())), DigestVerdict::algorithm_not_allowed);
    EXPECT_EQ(verify(creds_text(HashAlgorithm::sha256, nonce())), DigestVerdict::ok);
}

TEST_F(VerifyTest, WrongRealm) {
    EXPECT_EQ(verify(creds_text(HashAlgorithm::sha256, nonce(), "00000001", "pw", "auth", "other")),
              DigestVerdict::wrong_realm);
}

TEST_F(VerifyTest, NoQopOnlyWhenAllowed) {
    const std::string n = nonce();
    EXPECT_EQ(verify(creds_text(HashAlgorithm::md5, n, "", "pw", "")), DigestVerdict::bad_qop);
    account.allow_rfc2069 = true;
    EXPECT_EQ(verify(creds_text(HashAlgorithm::md5, n, "", "pw", "")), DigestVerdict::ok);
}

TEST_F(VerifyTest, AuthIntAndSessRefused) {
    EXPECT_EQ(verify(creds_text(HashAlgorithm::sha256, nonce(), "00000001", "pw", "auth-int")), DigestVerdict::bad_qop);
    std::string t = creds_text(HashAlgorithm::md5, nonce());
    t.replace(t.find("algorithm=MD5"), 13, "algorithm=MD5-sess");
    EXPECT_EQ(verify(t), DigestVerdict::bad_algorithm);
}

TEST_F(VerifyTest, NotDigestAndMissingFields) {
    EXPECT_EQ(verify("Basic dXNlcjpwYXNz"), DigestVerdict::not_digest);
    EXPECT_EQ(verify("Digest username=\"alice\", realm=\"palisade\""), DigestVerdict::missing_field);
    std::string t = creds_text(HashAlgorithm::sha256, nonce());
    t.replace(t.find(", cnonce=\"c0ffee\""), 17, "");
    EXPECT_EQ(verify(t), DigestVerdict::missing_field);
}

TEST(ChallengeTest, OnePerAlgorithmPreferredFirst) {
    const std::array<HashAlgorithm, 2> algs{HashAlgorithm::sha256, HashAlgorithm::md5};
    char out[512];
    const std::size_t n = build_challenges(false, "palisade", algs, "NONCE", false, out);
    EXPECT_EQ(std::string_view(out, n),
              "WWW-Authenticate: Digest realm=\"palisade\", nonce=\"NONCE\", algorithm=SHA-256, qop=\"auth\"\r\n"
              "WWW-Authenticate: Digest realm=\"palisade\", nonce=\"NONCE\", algorithm=MD5, qop=\"auth\"\r\n");
    const std::size_t m = build_challenges(true, "r", std::span(algs).subspan(1), "N", true, out);
    EXPECT_EQ(std::string_view(out, m),
              "Proxy-Authenticate: Digest realm=\"r\", nonce=\"N\", algorithm=MD5, qop=\"auth\", stale=true\r\n");
    EXPECT_EQ(build_challenges(false, "palisade", algs, "NONCE", false, std::span(out, 100)), 0u);
}

TEST(ChallengeTest, ParsesBackWithTheProjectParser) {
    const std::array<HashAlgorithm, 1> algs{HashAlgorithm::sha256};
    char out[256];
    const std::size_t n = build_challenges(false, "palisade", algs, "abc", true, out);
    std::string_view line(out, n);
    line.remove_prefix(std::string_view("WWW-Authenticate: ").size());
    line.remove_suffix(2);
    DigestChallenge c;
    ASSERT_EQ(parse_challenge(line, c), Reason::none);
    EXPECT_EQ(c.realm, "palisade");
    EXPECT_EQ(c.nonce, "abc");
    EXPECT_EQ(c.algorithm, "SHA-256");
    EXPECT_EQ(c.qop, "auth");
    EXPECT_TRUE(c.stale);
}

}  // namespace
}  // namespace palisade::sip
