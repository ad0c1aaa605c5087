#include "parsers/sip/digest.hpp"

#include <openssl/evp.h>

namespace palisade::sip {
namespace {

const EVP_MD* evp_for(HashAlgorithm alg) noexcept {
    return alg == HashAlgorithm::md5 ? EVP_md5() : EVP_sha256();
}

// RAII for the EVP context so every exit path frees it.
struct MdCtx {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    MdCtx() = default;
    MdCtx(const MdCtx&) = delete;
    MdCtx& operator=(const MdCtx&) = delete;
    ~MdCtx() { EVP_MD_CTX_free(ctx); }
};

}  // namespace

std::size_t digest_hex(HashAlgorithm alg, const std::string_view* parts, std::size_t n_parts,
                       char* out, std::size_t out_size) noexcept {
    const std::size_t hex_len = digest_hex_length(alg);
    if (out == nullptr || out_size < hex_len) return 0;
    MdCtx md;
    if (md.ctx == nullptr || EVP_DigestInit_ex2(md.ctx, evp_for(alg), nullptr) != 1) return 0;
    for (std::size_t i = 0; i < n_parts; ++i) {
        if (i != 0 && EVP_DigestUpdate(md.ctx, ":", 1) != 1) return 0;
        if (!parts[i].empty() && EVP_DigestUpdate(md.ctx, parts[i].data(), parts[i].size()) != 1)
            return 0;
    }
    unsigned char raw[EVP_MAX_MD_SIZE];
    unsigned int raw_len = 0;
    if (EVP_DigestFinal_ex(md.ctx, raw, &raw_len) != 1 || raw_len * 2 != hex_len) return 0;
    static constexpr char kHex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < raw_len; ++i) {
        out[2 * i] = kHex[raw[i] >> 4];
        out[2 * i + 1] = kHex[raw[i] & 0x0f];
    }
    return hex_len;
}

std::size_t compute_ha1(HashAlgorithm alg, std::string_view username, std::string_view realm,
                        std::string_view password, char* out, std::size_t out_size) noexcept {
    const std::string_view parts[3] = {username, realm, password};
    return digest_hex(alg, parts, 3, out, out_size);
}

}  // namespace palisade::sip
