// Digest authentication: see digest.hpp. The low-level MD5_* / SHA256_* functions are deprecated
// in OpenSSL 3 but allocate nothing (EVP does, per digest): the deprecation is silenced for this
// file only.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "parsers/sip/digest.hpp"

#include <openssl/md5.h>
#include <openssl/sha.h>

#include <cstring>

#include "parsers/sip/scan.hpp"

namespace palisade::sip {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// One digest in progress, on the stack.
class Hasher {
public:
    explicit Hasher(HashAlgorithm alg) noexcept : alg_(alg) {
        if (alg_ == HashAlgorithm::md5)
            MD5_Init(&md5_);
        else
            SHA256_Init(&sha_);
    }
    void update(std::string_view s) noexcept {
        if (s.empty()) return;
        if (alg_ == HashAlgorithm::md5)
            MD5_Update(&md5_, s.data(), s.size());
        else
            SHA256_Update(&sha_, s.data(), s.size());
    }
    // Lower-case hex of the digest into out (digest_hex_length(alg) octets).
    void final_hex(char* out) noexcept {
        unsigned char raw[32];
        std::size_t n = 0;
        if (alg_ == HashAlgorithm::md5) {
            MD5_Final(raw, &md5_);
            n = 16;
        } else {
            SHA256_Final(raw, &sha_);
            n = 32;
        }
        for (std::size_t i = 0; i < n; ++i) {
            out[2 * i] = kHex[raw[i] >> 4];
            out[2 * i + 1] = kHex[raw[i] & 0x0f];
        }
    }

private:
    HashAlgorithm alg_;
    union {
        MD5_CTX md5_;
        SHA256_CTX sha_;
    };
};

}  // namespace

std::string_view algorithm_name(HashAlgorithm alg) noexcept {
    return alg == HashAlgorithm::md5 ? std::string_view("MD5") : std::string_view("SHA-256");
}

bool parse_algorithm(std::string_view token, HashAlgorithm& out) noexcept {
    if (token.empty() || iequals(token, "MD5")) {
        out = HashAlgorithm::md5;
        return true;
    }
    if (iequals(token, "SHA-256")) {
        out = HashAlgorithm::sha256;
        return true;
    }
    return false;
}

std::size_t digest_hex(HashAlgorithm alg, const std::string_view* parts, std::size_t n_parts,
                       char* out, std::size_t out_size) noexcept {
    const std::size_t hex_len = digest_hex_length(alg);
    if (out == nullptr || out_size < hex_len) return 0;
    Hasher h(alg);
    for (std::size_t i = 0; i < n_parts; ++i) {
        if (i != 0) h.update(":");
        h.update(parts[i]);
    }
    h.final_hex(out);
    return hex_len;
}

std::size_t compute_ha1(HashAlgorithm alg, std::string_view username, std::string_view realm,
                        std::string_view password, char* out, std::size_t out_size) noexcept {
    const std::string_view parts[3] = {username, realm, password};
    return digest_hex(alg, parts, 3, out, out_size);
}

std::size_t compute_response(HashAlgorithm alg, std::string_view ha1_hex, std::string_view nonce,
                             std::string_view nc_text, std::string_view cnonce, std::string_view qop,
                             std::string_view method, std::string_view digest_uri, char* out,
                             std::size_t out_size) noexcept {
    const std::size_t hex_len = digest_hex_length(alg);
    if (out == nullptr || out_size < hex_len) return 0;
    char ha2[kMaxDigestHexLen];
    {
        Hasher h(alg);
        h.update(method);
        h.update(":");
        h.update(digest_uri);
        h.final_hex(ha2);
    }
    Hasher h(alg);
    h.update(ha1_hex);
    h.update(":");
    h.update(nonce);
    h.update(":");
    if (!qop.empty()) {
        h.update(nc_text);
        h.update(":");
        h.update(cnonce);
        h.update(":");
        h.update(qop);
        h.update(":");
    }
    h.update(std::string_view(ha2, hex_len));
    h.final_hex(out);
    return hex_len;
}

bool response_matches(HashAlgorithm alg, std::string_view ha1_hex, const DigestCredentials& creds,
                      std::string_view method) noexcept {
    const std::size_t hex_len = digest_hex_length(alg);
    if (creds.response.size() != hex_len) return false;
    char expect[kMaxDigestHexLen];
    if (compute_response(alg, ha1_hex, creds.nonce, creds.nc_text, creds.cnonce, creds.qop, method,
                         creds.uri, expect, sizeof expect) != hex_len)
        return false;
    // Constant time; hex digits compared case-insensitively (RFC 7616 §3.4: LHEX, but some UAs
    // send upper case).
    unsigned diff = 0;
    for (std::size_t i = 0; i < hex_len; ++i)
        diff |= static_cast<unsigned>(static_cast<unsigned char>(to_lower(creds.response[i])) ^
                                      static_cast<unsigned char>(expect[i]));
    return diff == 0;
}

std::string_view digest_verdict_text(DigestVerdict v) noexcept {
    switch (v) {
    case DigestVerdict::ok: return "ok";
    case DigestVerdict::not_digest: return "not a Digest scheme";
    case DigestVerdict::missing_field: return "missing digest field";
    case DigestVerdict::wrong_realm: return "wrong realm";
    case DigestVerdict::bad_algorithm: return "unsupported algorithm";
    case DigestVerdict::algorithm_not_allowed: return "algorithm not allowed for the account";
    case DigestVerdict::bad_qop: return "unsupported qop";
    case DigestVerdict::forged_nonce: return "nonce not ours";
    case DigestVerdict::bad_response: return "wrong response";
    case DigestVerdict::stale_nonce: return "nonce expired";
    case DigestVerdict::nc_refused: return "nonce-count replayed";
    }
    return "unknown";
}

DigestVerdict verify_digest(const DigestCredentials& creds, std::string_view method,
                            std::string_view realm, const DigestAccount& account,
                            const NonceCodec& nonces, NonceCountTable& counts,
                            std::uint64_t now_s) noexcept {
    if (!iequals(creds.scheme, "Digest")) return DigestVerdict::not_digest;
    if (creds.username.empty() || creds.nonce.empty() || creds.uri.empty() || creds.response.empty())
        return DigestVerdict::missing_field;
    // RFC 3261 §22.4: the realm must be one we challenged with (quoted-pairs are not expected in
    // a realm we chose, so plain equality is right).
    if (creds.realm != realm) return DigestVerdict::wrong_realm;
    HashAlgorithm alg;
    if (!parse_algorithm(creds.algorithm, alg)) return DigestVerdict::bad_algorithm;
    const std::string_view ha1 = alg == HashAlgorithm::md5 ? account.ha1_md5 : account.ha1_sha256;
    if (ha1.size() != digest_hex_length(alg)) return DigestVerdict::algorithm_not_allowed;
    const bool has_qop = !creds.qop.empty();
    if (has_qop) {
        if (!iequals(creds.qop, "auth")) return DigestVerdict::bad_qop;
        // RFC 7616 §3.4: with qop, cnonce and nc (8LHEX) are mandatory.
        if (creds.cnonce.empty() || creds.nc_text.size() != 8) return DigestVerdict::missing_field;
    } else if (!account.allow_rfc2069) {
        return DigestVerdict::bad_qop;
    }
    NonceInfo info;
    const NonceStatus ns = nonces.check(creds.nonce, now_s, info);
    if (ns == NonceStatus::forged) return DigestVerdict::forged_nonce;
    if (!response_matches(alg, ha1, creds, method)) return DigestVerdict::bad_response;
    // Only a client that knows the password learns that its nonce is stale (RFC 7616 §3.3).
    if (ns == NonceStatus::expired) return DigestVerdict::stale_nonce;
    // Without qop there is no nonce-count: the RFC 2069 form accepts the nonce until it expires.
    if (has_qop && !counts.accept(info, creds.nc)) return DigestVerdict::nc_refused;
    return DigestVerdict::ok;
}

std::size_t build_challenges(bool proxy, std::string_view realm, std::span<const HashAlgorithm> algorithms,
                             std::string_view nonce, bool stale, std::span<char> out) noexcept {
    std::size_t n = 0;
    bool ok = true;
    auto put = [&](std::string_view s) {
        if (!ok || s.size() > out.size() - n) {
            ok = false;
            return;
        }
        std::memcpy(out.data() + n, s.data(), s.size());
        n += s.size();
    };
    for (const HashAlgorithm alg : algorithms) {
        put(proxy ? "Proxy-Authenticate: Digest realm=\"" : "WWW-Authenticate: Digest realm=\"");
        put(realm);
        put("\", nonce=\"");
        put(nonce);
        put("\", algorithm=");
        put(algorithm_name(alg));
        put(", qop=\"auth\"");
        if (stale) put(", stale=true");
        put("\r\n");
    }
    return ok ? n : 0;
}

}  // namespace palisade::sip
