// Digest authentication (RFC 2617, RFC 7616, RFC 8760; RFC 3261 §22): HA1, response
// computation and verification, and the challenges Palisade sends. Lower-case hex into caller
// buffers; no std::string, no exceptions, no allocation: the workers verify INVITE credentials
// with this on the packet path, the control plane REGISTER credentials.
//
// Hashing uses OpenSSL's low-level MD5_* / SHA256_* functions, not EVP: OpenSSL 3.0's EVP
// allocates and frees one provider context per digest (one CRYPTO_malloc per
// EVP_DigestInit_ex2, measured), the low-level functions allocate nothing. OpenSSL dispatches
// to SHA-NI / AVX2 block functions at run time. bench/registrar_bench.cpp BM_VerifySha256 and
// BM_VerifySha256Evp compare both (0.35 µs against 0.76-0.81 µs per verification).
//
// Decisions:
//   - qop=auth only (auth-int is not offered; a request with qop=auth-int is refused).
//   - The RFC 2069 form (no qop, response = H(HA1:nonce:HA2)) is refused unless the account
//     allows it (DigestAccount::allow_rfc2069, default false): without nc/cnonce a replayed
//     response cannot be told from a new one within the nonce lifetime.
//   - "-sess" algorithms are not offered and are refused (their HA1 would depend on cnonce,
//     which needs the password, which Palisade does not keep).
//   - The digest-uri is hashed as the client sent it and is not required to equal the
//     Request-URI byte for byte (UAs differ in params and case; RFC 7616 §3.4.6 says SHOULD).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "parsers/sip/nonce.hpp"
#include "parsers/sip/values.hpp"

namespace palisade::sip {

/// The digest hash functions Palisade supports (RFC 7616 §3.2: "MD5" and "SHA-256").
enum class HashAlgorithm : unsigned char { md5, sha256 };

/// Hex length of an MD5 digest.
inline constexpr std::size_t kMd5HexLen = 32;
/// Hex length of a SHA-256 digest.
inline constexpr std::size_t kSha256HexLen = 64;
/// Largest hex length of any supported digest: a buffer this big always suffices.
inline constexpr std::size_t kMaxDigestHexLen = kSha256HexLen;

/// Hex length of a digest made with alg.
constexpr std::size_t digest_hex_length(HashAlgorithm alg) noexcept {
    return alg == HashAlgorithm::md5 ? kMd5HexLen : kSha256HexLen;
}

/// The algorithm token of alg: "MD5" or "SHA-256" (RFC 7616 §6.1).
std::string_view algorithm_name(HashAlgorithm alg) noexcept;
/// Parses an algorithm token, case-insensitively. An empty token is MD5 (RFC 2617 §3.2.1: the
/// default). False for "-sess" variants and anything else.
bool parse_algorithm(std::string_view token, HashAlgorithm& out) noexcept;

/// H(parts[0] ":" parts[1] ":" ... ) in lower-case hex into out (no NUL written).
/// Returns the number of characters written, or 0 when out_size is below
/// digest_hex_length(alg).
std::size_t digest_hex(HashAlgorithm alg, const std::string_view* parts, std::size_t n_parts,
                       char* out, std::size_t out_size) noexcept;

/// HA1 = H(username ":" realm ":" password), RFC 2617 §3.2.2.2 and RFC 7616 §3.4.2 (algorithm
/// without "-sess"), in lower-case hex into out (no NUL written). Returns 32 (MD5) or 64
/// (SHA-256), or 0 when out_size is too small.
std::size_t compute_ha1(HashAlgorithm alg, std::string_view username, std::string_view realm,
                        std::string_view password, char* out, std::size_t out_size) noexcept;

/// The request-digest (RFC 7616 §3.4.1, RFC 2617 §3.2.2.1):
///   qop "auth":  H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)
///   qop empty:   H(HA1 ":" nonce ":" HA2)             (RFC 2069 compatibility)
/// with HA2 = H(method ":" digest-uri). ha1_hex is the stored lower-case hex HA1. Returns the
/// hex length written into out, or 0 when out is too small.
std::size_t compute_response(HashAlgorithm alg, std::string_view ha1_hex, std::string_view nonce,
                             std::string_view nc_text, std::string_view cnonce, std::string_view qop,
                             std::string_view method, std::string_view digest_uri, char* out,
                             std::size_t out_size) noexcept;

/// True when `response` (hex, any case) equals the request-digest computed from the other
/// inputs. Constant time in the response's content.
bool response_matches(HashAlgorithm alg, std::string_view ha1_hex, const DigestCredentials& creds,
                      std::string_view method) noexcept;

/// One account's credentials as the verifier needs them (views into the config snapshot).
struct DigestAccount {
    std::string_view ha1_md5;       ///< lower-case hex, empty when MD5 is not allowed
    std::string_view ha1_sha256;    ///< lower-case hex, empty when SHA-256 is not allowed
    bool allow_rfc2069 = false;     ///< accept credentials without qop (see the header comment)
};

/// Outcome of verify_digest, one named reason per failure (each becomes a counter).
enum class DigestVerdict : std::uint8_t {
    ok,
    not_digest,             ///< scheme is not Digest
    missing_field,          ///< username, realm, nonce, uri or response missing; qop without nc/cnonce
    wrong_realm,            ///< realm is not ours
    bad_algorithm,          ///< unknown or "-sess" algorithm
    algorithm_not_allowed,  ///< the account does not allow this algorithm
    bad_qop,                ///< qop other than "auth" (auth-int), or no qop when not allowed
    forged_nonce,           ///< not a nonce of ours
    bad_response,           ///< wrong response (wrong password)
    stale_nonce,            ///< right response, expired nonce: challenge again with stale=true
    nc_refused,             ///< right response, replayed or lower nonce-count: stale=true
};
/// Human phrase of a verdict (logs, counters).
std::string_view digest_verdict_text(DigestVerdict v) noexcept;

/// Full verification of parsed credentials (RFC 7616 §3.4, §3.5; RFC 3261 §22.4): scheme, realm,
/// algorithm allowed for the account, qop, nonce ours (nonce.hpp), response, then the
/// nonce-count recorded in the shared table (last, so that a wrong response never consumes a
/// count). The caller has already matched creds.username to the account.
DigestVerdict verify_digest(const DigestCredentials& creds, std::string_view method,
                            std::string_view realm, const DigestAccount& account,
                            const NonceCodec& nonces, NonceCountTable& counts,
                            std::uint64_t now_s) noexcept;

/// Writes one challenge header line per algorithm, in the given order (preferred first, RFC 8760
/// §2.4 / RFC 7616 §3.7), each ending in CRLF:
///   WWW-Authenticate: Digest realm="R", nonce="N", algorithm=SHA-256, qop="auth"[, stale=true]
/// (`Proxy-Authenticate` when proxy is true, RFC 3261 §22.3). Returns the octets written into
/// out, or 0 when they do not fit.
std::size_t build_challenges(bool proxy, std::string_view realm, std::span<const HashAlgorithm> algorithms,
                             std::string_view nonce, bool stale, std::span<char> out) noexcept;

}  // namespace palisade::sip
