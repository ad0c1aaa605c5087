// Digest nonces (RFC 7616 §3.3, §5.4; RFC 3261 §22.4) and the shared nonce-count table
// (DESIGN.md §2). No allocation, no locks, no syscalls after construction: workers verify
// INVITE credentials with these on the packet path, the control plane REGISTER credentials.
//
// Nonce format (56 lower-case hex digits, opaque to clients):
//   expiry (8: Unix seconds, big-endian) || id (16) || MAC (32)
//   id  = issuer (16 bits: node/worker/cp) << 48 | per-issuer counter (48 bits)
//   MAC = the first 16 octets of HMAC-SHA256(secret, "palisade-nonce-v1" || expiry || id)
// Any worker or node sharing `[sip] nonce_secret` verifies a nonce with no state: a forged or
// altered nonce fails the MAC; an expired one is recognised as ours but stale (RFC 7616 §3.3
// stale=true, the client retries with the new nonce without asking the user).
//
// Nonce-count table: a fixed array of std::atomic<uint64_t>, split into partitions, one per
// issuer (issuer mod partitions). The slot of a nonce is chosen from its id: its issuer's
// partition, at (counter mod partition size), so consecutive nonces of one issuer take
// consecutive slots and a slot is reused only by a nonce issued a whole partition later (the
// "lap": counter / partition size). Each entry holds (lap, nc); accept() is an atomic max by
// CAS: a nonce-count is accepted only when it is above the count recorded for the same lap, or
// the nonce is of a later lap than the slot's occupant. Hence a given (nonce, nc) is accepted at
// most once, whichever thread verifies it, and nonces are forgotten strictly oldest first: a
// nonce issued more than a partition ago is refused (stale=true, the client gets a fresh nonce
// and retries: one extra round trip, never a replay window). The id is inside the MAC, so no
// client can choose its slot. Default 2^22 slots (32 MiB) in 4 partitions: the control plane's
// partition remembers its last 1,048,576 nonces.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace palisade::sip {

/// Length of a nonce in characters.
inline constexpr std::size_t kNonceLen = 56;

/// What check() found.
enum class NonceStatus : std::uint8_t {
    ok,        ///< ours, not expired
    expired,   ///< ours (MAC valid) but past its expiry: answer with stale=true
    forged,    ///< wrong length, not hex, or MAC mismatch: not ours
};

/// The decoded contents of a valid nonce.
struct NonceInfo {
    std::uint32_t expiry_s = 0;  ///< Unix seconds
    std::uint64_t id = 0;        ///< issuer << 48 | counter
};

/// Makes and checks nonces with a shared secret. Immutable after construction except the issue
/// counter (atomic): any thread may call make() and check().
class NonceCodec {
public:
    /// `secret`: the configured nonce_secret (its octets are the HMAC key). An empty secret gets
    /// a random key from the OS: nonces then verify only in this process (documented fallback;
    /// the config validator requires a secret in production). `issuer`: 16-bit id of this
    /// process (node) so that two nodes never issue the same id.
    explicit NonceCodec(std::string_view secret, std::uint16_t issuer = 0) noexcept;

    /// Writes a fresh nonce valid until now_s + lifetime_s into out (>= kNonceLen octets).
    /// Returns kNonceLen, or 0 when out is too small.
    std::size_t make(std::uint64_t now_s, std::uint32_t lifetime_s, char* out, std::size_t out_size) noexcept;
    /// Same, with an explicit id (tests, or a worker with its own counter).
    std::size_t make_with_id(std::uint32_t expiry_s, std::uint64_t id, char* out,
                             std::size_t out_size) const noexcept;
    /// Checks a nonce at now_s; fills info when not forged.
    NonceStatus check(std::string_view nonce, std::uint64_t now_s, NonceInfo& info) const noexcept;

private:
    void mac(std::uint32_t expiry_s, std::uint64_t id, unsigned char out16[16]) const noexcept;

    alignas(16) unsigned char inner_[128];  // SHA256_CTX after the HMAC ipad block (opaque storage)
    alignas(16) unsigned char outer_[128];  // SHA256_CTX after the HMAC opad block
    std::uint16_t issuer_ = 0;
    std::atomic<std::uint64_t> counter_{0};
};

/// The shared nonce-count high-water marks (DESIGN.md §2). Any thread.
class NonceCountTable {
public:
    /// A table of `slots` entries (rounded up to a power of two, at least 64) in `partitions`
    /// partitions (rounded up to a power of two; at most slots / 16).
    explicit NonceCountTable(std::size_t slots = std::size_t{1} << 22, std::size_t partitions = 4);

    /// Records nonce-count `nc` (> 0) for the nonce `info`; true when it was never accepted
    /// before for this nonce and is above every count accepted for it so far (RFC 7616 §3.4:
    /// the server SHOULD refuse a repeated nonce-count). False for nc 0, a replay, a lower
    /// count, or an older nonce evicted from its slot.
    bool accept(const NonceInfo& info, std::uint32_t nc) noexcept;

    /// Slots in the table.
    [[nodiscard]] std::size_t size() const noexcept { return mask_ + 1; }
    /// Memory in octets.
    [[nodiscard]] std::size_t bytes() const noexcept { return size() * sizeof(std::uint64_t); }

private:
    std::unique_ptr<std::atomic<std::uint64_t>[]> slots_;
    std::size_t mask_ = 0;
    std::size_t partitions_ = 1;       // power of two
    unsigned partition_shift_ = 0;     // log2(partition size)
};

}  // namespace palisade::sip
