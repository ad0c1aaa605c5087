// Nonces and the nonce-count table: see nonce.hpp. HMAC-SHA256 is computed with OpenSSL's
// low-level SHA256_* functions, which allocate nothing (OpenSSL 3's EVP allocates per digest);
// they are deprecated in OpenSSL 3, hence the suppression for this file only. OpenSSL picks its
// SHA-NI / AVX2 block function at run time (OPENSSL_ia32cap), so no dispatch of our own.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "parsers/sip/nonce.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstring>

namespace palisade::sip {
namespace {

static_assert(sizeof(SHA256_CTX) <= 128, "NonceCodec keeps a SHA256_CTX in 128 octets");

constexpr char kHex[] = "0123456789abcdef";
constexpr std::string_view kLabel = "palisade-nonce-v1";

void put_hex(const unsigned char* in, std::size_t n, char* out) noexcept {
    for (std::size_t i = 0; i < n; ++i) {
        out[2 * i] = kHex[in[i] >> 4];
        out[2 * i + 1] = kHex[in[i] & 0x0f];
    }
}

int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;  // we only ever emit lower case
}

bool get_hex(std::string_view s, unsigned char* out) noexcept {
    for (std::size_t i = 0; i < s.size() / 2; ++i) {
        const int hi = hex_digit(s[2 * i]);
        const int lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = static_cast<unsigned char>(hi << 4 | lo);
    }
    return true;
}

void be32(std::uint32_t v, unsigned char* out) noexcept {
    for (int i = 3; i >= 0; --i, v >>= 8) out[i] = static_cast<unsigned char>(v);
}
void be64(std::uint64_t v, unsigned char* out) noexcept {
    for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<unsigned char>(v);
}

}  // namespace

NonceCodec::NonceCodec(std::string_view secret, std::uint16_t issuer) noexcept : issuer_(issuer) {
    // HMAC (RFC 2104): keys longer than the block are hashed first; pad with zeros to 64.
    unsigned char key[64] = {};
    unsigned char random_key[32];
    if (secret.empty()) {
        if (RAND_bytes(random_key, sizeof random_key) != 1) std::memset(random_key, 0x5a, sizeof random_key);
        secret = std::string_view(reinterpret_cast<const char*>(random_key), sizeof random_key);
    }
    if (secret.size() > 64) {
        SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), key);
    } else {
        std::memcpy(key, secret.data(), secret.size());
    }
    unsigned char pad[64];
    auto* inner = reinterpret_cast<SHA256_CTX*>(inner_);
    auto* outer = reinterpret_cast<SHA256_CTX*>(outer_);
    for (int i = 0; i < 64; ++i) pad[i] = static_cast<unsigned char>(key[i] ^ 0x36);
    SHA256_Init(inner);
    SHA256_Update(inner, pad, 64);
    for (int i = 0; i < 64; ++i) pad[i] = static_cast<unsigned char>(key[i] ^ 0x5c);
    SHA256_Init(outer);
    SHA256_Update(outer, pad, 64);
    // A start-up salt in the counter: two runs of the same node do not reuse ids.
    std::uint64_t salt = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&salt), sizeof salt) != 1) salt = 0;
    counter_.store(salt & 0xffffffffffffull, std::memory_order_relaxed);
}

void NonceCodec::mac(std::uint32_t expiry_s, std::uint64_t id, unsigned char out16[16]) const noexcept {
    SHA256_CTX ctx;
    std::memcpy(&ctx, inner_, sizeof ctx);
    unsigned char msg[12];
    be32(expiry_s, msg);
    be64(id, msg + 4);
    SHA256_Update(&ctx, kLabel.data(), kLabel.size());
    SHA256_Update(&ctx, msg, sizeof msg);
    unsigned char ih[32];
    SHA256_Final(ih, &ctx);
    std::memcpy(&ctx, outer_, sizeof ctx);
    SHA256_Update(&ctx, ih, sizeof ih);
    unsigned char full[32];
    SHA256_Final(full, &ctx);
    std::memcpy(out16, full, 16);
}

std::size_t NonceCodec::make_with_id(std::uint32_t expiry_s, std::uint64_t id, char* out,
                                     std::size_t out_size) const noexcept {
    if (out == nullptr || out_size < kNonceLen) return 0;
    unsigned char raw[28];
    be32(expiry_s, raw);
    be64(id, raw + 4);
    mac(expiry_s, id, raw + 12);
    put_hex(raw, sizeof raw, out);
    return kNonceLen;
}

std::size_t NonceCodec::make(std::uint64_t now_s, std::uint32_t lifetime_s, char* out,
                             std::size_t out_size) noexcept {
    const std::uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed) & 0xffffffffffffull;
    const std::uint64_t id = static_cast<std::uint64_t>(issuer_) << 48 | n;
    const std::uint64_t expiry = now_s + lifetime_s;
    return make_with_id(expiry > 0xffffffffull ? 0xffffffffu : static_cast<std::uint32_t>(expiry), id,
                        out, out_size);
}

NonceStatus NonceCodec::check(std::string_view nonce, std::uint64_t now_s, NonceInfo& info) const noexcept {
    if (nonce.size() != kNonceLen) return NonceStatus::forged;
    unsigned char raw[28];
    if (!get_hex(nonce, raw)) return NonceStatus::forged;
    std::uint32_t expiry = 0;
    for (int i = 0; i < 4; ++i) expiry = expiry << 8 | raw[i];
    std::uint64_t id = 0;
    for (int i = 4; i < 12; ++i) id = id << 8 | raw[i];
    unsigned char expect[16];
    mac(expiry, id, expect);
    // Constant time: the comparison does not tell an attacker how many octets matched.
    unsigned char diff = 0;
    for (int i = 0; i < 16; ++i) diff = static_cast<unsigned char>(diff | (expect[i] ^ raw[12 + i]));
    if (diff != 0) return NonceStatus::forged;
    info.expiry_s = expiry;
    info.id = id;
    return now_s >= expiry ? NonceStatus::expired : NonceStatus::ok;
}

// ---- NonceCountTable ----

NonceCountTable::NonceCountTable(std::size_t slots, std::size_t partitions) {
    std::size_t n = 64;
    while (n < slots) n <<= 1;
    std::size_t p = 1;
    while (p < partitions && p * 2 <= n / 16) p <<= 1;
    slots_.reset(new std::atomic<std::uint64_t>[n]);
    for (std::size_t i = 0; i < n; ++i) slots_[i].store(0, std::memory_order_relaxed);
    mask_ = n - 1;
    partitions_ = p;
    const std::size_t psize = n / p;
    while ((std::size_t{1} << partition_shift_) < psize) ++partition_shift_;
}

bool NonceCountTable::accept(const NonceInfo& info, std::uint32_t nc) noexcept {
    if (nc == 0) return false;
    const std::uint64_t issuer = info.id >> 48;
    const std::uint64_t counter = info.id & 0xffffffffffffull;
    const std::size_t psize = std::size_t{1} << partition_shift_;
    const std::size_t index = static_cast<std::size_t>(issuer & (partitions_ - 1)) * psize +
                              static_cast<std::size_t>(counter & (psize - 1));
    // Lap: which pass over the partition this nonce belongs to (serial arithmetic: ordered
    // within 2^31 laps).
    std::uint32_t lap = static_cast<std::uint32_t>((counter >> partition_shift_) + 1);
    if (lap == 0) lap = 1;  // 0 marks an empty slot (reached only after 2^32 laps)
    std::atomic<std::uint64_t>& slot = slots_[index];
    const std::uint64_t want = static_cast<std::uint64_t>(lap) << 32 | nc;
    std::uint64_t cur = slot.load(std::memory_order_acquire);
    for (;;) {
        const std::uint32_t cur_lap = static_cast<std::uint32_t>(cur >> 32);
        const std::uint32_t cur_nc = static_cast<std::uint32_t>(cur);
        if (cur != 0) {
            if (cur_lap == lap) {
                if (nc <= cur_nc) return false;  // replayed or lower count
            } else if (static_cast<std::int32_t>(lap - cur_lap) < 0) {
                return false;  // an older nonce whose slot a newer one took: history gone
            }
        }
        if (slot.compare_exchange_weak(cur, want, std::memory_order_acq_rel, std::memory_order_acquire))
            return true;
    }
}

}  // namespace palisade::sip
