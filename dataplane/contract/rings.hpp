// Messages that cross between the workers and the control plane (DESIGN.md §2), and the Via
// branch format that names the originator of a request Palisade sends.
//
//   punt ring   (one per worker, worker -> control plane, single producer / single consumer):
//               REGISTER requests, responses to requests the control plane originated; later
//               call events (started, answered, ended, refused), each its own RingKind.
//   inject ring (one per worker, control plane -> worker, single producer / single consumer):
//               SIP datagrams the control plane sends (REGISTER replies, keepalive OPTIONS); the
//               worker sends them through udp_output with its own tx queue and ARP table, so the
//               control plane owns no port queue.
//
// A RingMessage is a fixed-size buffer from a preallocated pool (DataPlane::allocate/release):
// nothing is allocated on the packet path, and a full pool or ring is a counted drop.
// The payload is a copy, so the mbuf it came from goes back to its pool at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace palisade::dp {

/// Octets of SIP datagram a RingMessage carries. Larger datagrams are dropped and counted
/// (punt_too_large, inject_too_large): every REGISTER and keepalive fits with room to spare.
inline constexpr std::size_t kRingPayloadMax = 8192 - 64;

/// What a RingMessage is. Values are stable (they may be logged and persisted); new kinds take
/// the next free value of their range.
enum class RingKind : std::uint16_t {
    none = 0,
    // --- punt: worker -> control plane (1..63)
    sip_register = 1,     ///< a REGISTER request, as received
    sip_cp_response = 2,  ///< a response whose top Via branch names the control plane
    // 3..63: call events; the payload is one CallEvent (call_events.hpp)
    call_started = 3,     ///< a call passed the checks and went to a target
    call_answered = 4,    ///< a 2xx came back
    call_ended = 5,       ///< a started call ended: who and why
    call_refused = 6,     ///< a new call was refused: code and reason
    call_failover = 7,    ///< a call moved to the next target or the failover dialplan: why
    // --- inject: control plane -> worker (64..127)
    inject_sip = 64,      ///< a SIP datagram to send from `port` to remote_ip:remote_port
};

/// One message on a punt or inject ring. Header 64 octets, then the payload.
/// Ownership: whoever took it from the pool or a ring owns it until it enqueues or releases it.
struct alignas(64) RingMessage {
    RingKind kind = RingKind::none;
    std::uint16_t port = 0;         ///< interface index (ConfigSpec::interfaces order)
    std::uint16_t worker = 0;       ///< punt: the worker that received it; inject: ignored
    std::uint16_t flags = 0;        ///< reserved, 0
    std::uint32_t remote_ip = 0;    ///< host order. punt: the source; inject: the destination
    std::uint32_t local_ip = 0;     ///< host order. punt: our address it was sent to; inject: ignored
    std::uint16_t remote_port = 0;  ///< punt: source UDP port; inject: destination UDP port
    std::uint16_t local_port = 0;   ///< punt: our UDP port; inject: ignored (sent from the sip_port)
    std::uint32_t length = 0;       ///< payload octets used
    std::uint64_t rx_tsc = 0;       ///< punt: TSC at receive; inject: 0
    std::uint64_t cookie = 0;       ///< free for the sender (later: call-event correlation id)
    std::uint8_t reserved[24] = {};
    char payload[kRingPayloadMax];

    /// The payload as text.
    std::string_view text() const noexcept { return {payload, length}; }
    /// Copies text into the payload; false (nothing copied) when it does not fit.
    bool set_text(std::string_view t) noexcept {
        if (t.size() > kRingPayloadMax) return false;
        for (std::size_t i = 0; i < t.size(); ++i) payload[i] = t[i];
        length = static_cast<std::uint32_t>(t.size());
        return true;
    }
};
static_assert(sizeof(RingMessage) == 8192, "ring messages are 8 KiB pool elements");
static_assert(offsetof(RingMessage, payload) == 64, "header is one cache line");

// --- Call-ID steering ------------------------------------------------------------------------

/// Hash of a Call-ID value (octets as written: Call-ID compares case-sensitively, RFC 3261
/// §20.8). FNV-1a 64; the owner worker of a call is call_id_hash(id) % worker_count.
constexpr std::uint64_t call_id_hash(std::string_view call_id) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (char c : call_id) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ull;
    }
    return h;
}

/// Owner worker of a Call-ID among `workers` (> 0).
constexpr unsigned owner_worker(std::string_view call_id, unsigned workers) noexcept {
    return static_cast<unsigned>(call_id_hash(call_id) % workers);
}

// --- Via branches of requests Palisade originates ---------------------------------------------
//
// Format:  z9hG4bK-pl-<originator>-<unique>
//   z9hG4bK      the RFC 3261 §8.1.1.7 magic cookie
//   -pl-         marks a branch Palisade made
//   <originator> "c" for the control plane, or "w" + decimal worker index ("w0", "w12")
//   <unique>     lower-case hex, unique per originator (a counter mixed with a start-up salt)
// A response carries our branch back in its top Via (RFC 3261 §18.2.1), so the worker that
// receives it can hand it to its originator without a lookup.

/// Literal prefix of every branch Palisade makes.
inline constexpr std::string_view kBranchPrefix = "z9hG4bK-pl-";
/// Longest branch format_branch writes.
inline constexpr std::size_t kBranchMax = 11 + 1 + 4 + 1 + 16;  // prefix, w, 4 digits, -, hex

/// Who originated a request, as named by its branch.
struct BranchOwner {
    enum class Kind : std::uint8_t { none, control_plane, worker };
    Kind kind = Kind::none;  ///< none: not a branch Palisade made (or malformed)
    unsigned worker = 0;     ///< worker index when kind == worker
};

/// Writes a branch into out (at least kBranchMax octets); returns its length, 0 if out is short.
/// worker < 0 names the control plane.
constexpr std::size_t format_branch(std::span<char> out, int worker, std::uint64_t unique) noexcept {
    if (out.size() < kBranchMax) return 0;
    std::size_t n = 0;
    for (char c : kBranchPrefix) out[n++] = c;
    if (worker < 0) {
        out[n++] = 'c';
    } else {
        out[n++] = 'w';
        char digits[4];
        std::size_t d = 0;
        unsigned w = static_cast<unsigned>(worker) % 10000u;
        do {
            digits[d++] = static_cast<char>('0' + w % 10u);
            w /= 10u;
        } while (w != 0);
        while (d > 0) out[n++] = digits[--d];
    }
    out[n++] = '-';
    constexpr char kHex[] = "0123456789abcdef";
    bool started = false;
    for (int shift = 60; shift >= 0; shift -= 4) {
        const unsigned nib = static_cast<unsigned>(unique >> shift) & 0xfu;
        if (nib != 0 || started || shift == 0) {
            out[n++] = kHex[nib];
            started = true;
        }
    }
    return n;
}

/// Originator named by a branch (the `branch` parameter value of a top Via).
constexpr BranchOwner parse_branch(std::string_view branch) noexcept {
    BranchOwner owner;
    if (branch.size() < kBranchPrefix.size() + 3 || branch.substr(0, kBranchPrefix.size()) != kBranchPrefix)
        return owner;
    std::size_t i = kBranchPrefix.size();
    if (branch[i] == 'c') {
        if (branch[i + 1] != '-') return owner;
        owner.kind = BranchOwner::Kind::control_plane;
        return owner;
    }
    if (branch[i] != 'w') return owner;
    ++i;
    unsigned w = 0;
    std::size_t digits = 0;
    while (i < branch.size() && branch[i] >= '0' && branch[i] <= '9' && digits < 4) {
        w = w * 10u + static_cast<unsigned>(branch[i] - '0');
        ++i;
        ++digits;
    }
    if (digits == 0 || i >= branch.size() || branch[i] != '-') return owner;
    owner.kind = BranchOwner::Kind::worker;
    owner.worker = w;
    return owner;
}

}  // namespace palisade::dp
