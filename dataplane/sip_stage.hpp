// The first SIP behaviour of a worker (DESIGN.md §4 "Everywhere"), run by the owner worker of a
// message: OPTIONS to Palisade answered 200 for known sources, Max-Forwards (483), malformed
// requests (400 with the reason), unsupported methods (405 with Allow), REGISTER and responses
// to control-plane requests punted, silent counted drops for unknown sources and malformed
// responses. Pure logic over a framed sip::Message: the worker does the I/O. No allocation,
// locks, logging, exceptions or syscalls.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "dataplane/contract/config_spec.hpp"
#include "dataplane/contract/counters.hpp"
#include "dataplane/contract/location.hpp"
#include "dataplane/contract/rings.hpp"
#include "dataplane/policy/snapshot.hpp"
#include "dataplane/sip/proxy.hpp"
#include "parsers/sip/message.hpp"
#include "parsers/sip/uri.hpp"
#include "parsers/sip/validate.hpp"

namespace palisade::dp {

/// Allow header value: the methods Palisade handles (spec: ACK, BYE, INVITE, OPTIONS, REGISTER;
/// CANCEL for pending INVITEs, RFC 3261 §9).
inline constexpr std::string_view kAllowValue = "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER";
/// Accept header value: SDP is the only body Palisade reads.
inline constexpr std::string_view kAcceptValue = "application/sdp";
/// Supported header value: session timers (RFC 4028). 100rel is not supported (DESIGN.md §4).
inline constexpr std::string_view kSupportedValue = "timer";

/// Sources Palisade answers when no policy snapshot is published: the trunks' allowed subnets
/// of the start-up config. Immutable after construction (dp: ro). With a snapshot, its source
/// index (PolicySnapshot::sources()) answers instead, so that a reload changes who is known.
class KnownSources {
public:
    KnownSources() = default;
    /// Every subnet of every trunk.
    explicit KnownSources(const std::vector<TrunkSpec>& trunks);
    /// Adds one prefix (start-up only).
    void add(Ipv4Prefix p);
    /// True when ip (host order) is inside one of the prefixes. O(prefixes): trunks are few and
    /// the masks are compared as plain integers; a trie comes with the policy snapshot.
    bool contains(std::uint32_t ip) const noexcept;
    std::size_t size() const noexcept { return prefixes_.size(); }

private:
    struct Masked {
        std::uint32_t net;
        std::uint32_t mask;
    };
    std::vector<Masked> prefixes_;
};

/// Where a datagram came from and which port it arrived on.
struct SipSource {
    std::uint32_t src_ip = 0;    ///< host order
    std::uint32_t dst_ip = 0;    ///< host order: our address it was sent to
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    std::uint16_t port_id = 0;   ///< DPDK port id (counter row)
    std::uint16_t iface = 0;     ///< interface index (ConfigSpec::interfaces order)
};

/// What the stage decided.
struct SipOutcome {
    enum class Action : std::uint8_t {
        drop,   ///< nothing to send (counted); the worker frees the packet
        reply,  ///< send reply[0, reply_length) to reply_ip:reply_port from the arrival port
        punt,   ///< copy the datagram to the control plane as punt_kind
        proxy,  ///< a request or a response for the proxy core; SipStage::validated() has
                ///< what validation parsed (valid until the next handle())
    };
    Action action = Action::drop;
    std::uint32_t reply_ip = 0;
    std::uint16_t reply_port = 0;
    std::size_t reply_length = 0;
    RingKind punt_kind = RingKind::none;
};

/// Per-worker SIP stage state (dp: owner worker only).
class SipStage {
public:
    /// known: the sources to answer (must outlive the stage); our_addresses: every interface
    /// address (host order), for "addressed to Palisade"; worker: this worker's index (tags).
    SipStage(const KnownSources* known, std::span<const std::uint32_t> our_addresses,
             unsigned worker, std::uint64_t tag_salt) noexcept;

    /// Handles one datagram framed into msg (status = what msg.parse returned). When the
    /// outcome is a reply, it is written into reply_buffer (the worker passes the data room of
    /// a spare mbuf, so that the reply is built in place: no copy); a reply that does not fit is
    /// counted (sip_reply_failed) and dropped. Counts every outcome.
    SipOutcome handle(const sip::Message& msg, sip::ParseStatus status, const SipSource& src,
                      std::span<char> reply_buffer, WorkerCounters& c) noexcept;

    /// Which side each interface faces, by interface index (start-up; interfaces not listed are
    /// access). Requests arriving on a core interface are known only from a core peer.
    void set_sides(std::span<const Side> sides) noexcept {
        side_count_ = 0;
        for (Side s : sides)
            if (side_count_ < sides_.size()) sides_[side_count_++] = s;
    }
    /// What validation parsed for the message of the last handle() whose outcome was proxy.
    const sip::Validated& validated() const noexcept { return validated_; }

    /// The policy snapshot to use until the next call (worker: once per burst; null = use the
    /// start-up KnownSources).
    void set_snapshot(const PolicySnapshot* s) noexcept { snapshot_ = s; }
    /// The location state to use until the next call, and the current Unix time for its
    /// blocks (worker: once per loop; null = no registered contacts, no blocked sources).
    void set_location(const LocationTable* t, std::uint64_t now_s) noexcept {
        location_ = t;
        now_s_ = now_s;
    }
    /// True when src (host order) belongs to some trunk's allowed subnets.
    bool known_source(std::uint32_t src) const noexcept {
        if (snapshot_ != nullptr) return snapshot_->sources().contains(src);
        return known_ != nullptr && known_->contains(src);
    }
    /// True when src is in some trunk's allowed subnets or is the source of a registered
    /// contact (issue 5 point 3: registered contacts are known sources, beside the subnets).
    bool known_source(std::uint32_t src, std::uint16_t port) const noexcept {
        return known_source(src) || (location_ != nullptr && location_->is_known_source(src, port));
    }

    /// True when src sent from a configured core peer's address (the snapshot's core_peers;
    /// without a snapshot, the start-up KnownSources, as before there were core peers).
    bool known_core_peer(std::uint32_t src) const noexcept {
        if (snapshot_ == nullptr) return known_ != nullptr && known_->contains(src);
        for (const CorePeerSpec& p : snapshot_->core_peers())
            if (p.address == src) return true;
        return false;
    }
    Side side_of(std::uint16_t iface) const noexcept {
        return iface < side_count_ ? sides_[iface] : Side::access;
    }

    /// True when the Request-URI names Palisade: no user part, or one of our addresses as host.
    bool addressed_to_us(std::string_view request_uri) const noexcept;
    /// The same for a Request-URI already parsed (validation parses it for every request).
    bool addressed_to_us(const sip::Uri& request_uri) const noexcept;

private:
    SipOutcome handle_request(const sip::Message& msg, const SipSource& src,
                              std::span<char> out, WorkerCounters& c) noexcept;
    SipOutcome handle_response(const sip::Message& msg, sip::ParseStatus status,
                               const SipSource& src, WorkerCounters& c) noexcept;
    /// Builds a response into out; fills o for sending back per the top Via (RFC 3261
    /// §18.2.2). Returns false (counted sip_reply_failed) when it does not fit in out.
    /// valid: what validation parsed for a valid request (its top Via and To are reused);
    /// null for a malformed one (parsed here).
    bool respond(const sip::Message& msg, int code, std::string_view phrase,
                 std::string_view extra_lines, const sip::Validated* valid,
                 const SipSource& src, std::span<char> out, SipOutcome& o,
                 WorkerCounters& c) noexcept;
    /// The reply itself, once the top Via is parsed and whether To has a tag is known.
    bool respond_via(const sip::Message& msg, int code, std::string_view phrase,
                     std::string_view extra_lines, const sip::Via& via, bool to_has_tag,
                     const SipSource& src, std::span<char> out, SipOutcome& o,
                     WorkerCounters& c) noexcept;
    std::string_view next_tag() noexcept;

    const KnownSources* known_;
    const PolicySnapshot* snapshot_ = nullptr;  // valid for the current burst only
    const LocationTable* location_ = nullptr;   // valid until the worker's next quiescent()
    std::uint64_t now_s_ = 0;                   // Unix seconds, for location_->is_blocked
    std::array<std::uint32_t, kMaxPorts> ours_{};
    std::size_t our_count_ = 0;
    std::array<Side, kMaxPorts> sides_{};
    std::size_t side_count_ = 0;
    unsigned worker_;
    std::uint64_t tag_counter_;
    std::array<char, 24> tag_{};
    sip::Validated validated_{};  // the current message's, valid until the next handle()
};

}  // namespace palisade::dp
