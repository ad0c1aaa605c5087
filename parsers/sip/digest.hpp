// Digest hashes for SIP authentication (RFC 2617 §3.2.2, RFC 7616 §3.4): HA1 and, for the
// later response verification, hashes over ':'-joined parts. Lower-case hex into a caller buffer;
// no std::string, no exceptions. Hashing goes through OpenSSL EVP (libcrypto).
//
// Allocation: these functions allocate nothing themselves, but OpenSSL 3.0's EVP allocates and
// frees one provider context per digest (measured: one CRYPTO_malloc per EVP_DigestInit_ex2,
// also with a reused EVP_MD_CTX or EVP_MD_CTX_copy_ex). Fine for HA1 (control plane, at load);
// response verification on workers must take that into account.
#pragma once

#include <cstddef>
#include <string_view>

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

/// H(parts[0] ":" parts[1] ":" ... ) in lower-case hex into out (no NUL written).
/// Returns the number of characters written, or 0 when out_size is below
/// digest_hex_length(alg) or libcrypto fails.
std::size_t digest_hex(HashAlgorithm alg, const std::string_view* parts, std::size_t n_parts,
                       char* out, std::size_t out_size) noexcept;

/// HA1 = H(username ":" realm ":" password), RFC 2617 §3.2.2.2 and RFC 7616 §3.4.2 (algorithm
/// without "-sess"), in lower-case hex into out (no NUL written). Returns 32 (MD5) or 64
/// (SHA-256), or 0 when out_size is too small or libcrypto fails.
std::size_t compute_ha1(HashAlgorithm alg, std::string_view username, std::string_view realm,
                        std::string_view password, char* out, std::size_t out_size) noexcept;

}  // namespace palisade::sip
