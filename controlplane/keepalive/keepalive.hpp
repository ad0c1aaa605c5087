// Keepalive (issue 5 point 5; DESIGN.md §4). cp only.
//
// OPTIONS (RFC 3261 §11) to every registered contact and every core peer, each target once per
// keepalive_interval. A contact is probed at its binding's real address (the REGISTER's source,
// RFC 3581), so the probe also keeps the PBX's NAT pinhole open. Every probe's top Via branch
// names the control plane (rings.hpp format_branch(-1, unique)), so its response is punted to the
// control plane as RingKind::sip_cp_response; on_response() matches it by branch.
//
// Any response counts as answered (a 404 or 503 still shows the peer is there); no response
// within keepalive_timeout counts as missed. Hysteresis: a target goes down after down_after
// missed probes in a row and comes back up after up_after answered ones in a row; a target
// never probed is unknown, and its first answer makes it up. Every change is logged (one line),
// counted, and written where the workers read it: the contact's reachability byte in the
// LocationTable, or the core peer's byte in the PeerHealthTable. Account-level changes
// (registered, reachable) go to the FailoverTable.
//
// Spreading: a new target's first probe is at a fixed pseudo-random offset within one interval
// (a hash of its identity), then one interval apart, so 1,000,000 contacts at 30 s are ~33,000
// OPTIONS a second evenly rather than a burst. tick() sends at most max_sends_per_tick and
// expires at most max_timeouts_per_tick; the rest waits for the next tick (counted).
//
// Time: tick() and on_response() take now_ms from a monotonic clock the caller reads (tests
// drive it by hand).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "controlplane/keepalive/failover.hpp"
#include "dataplane/contract/config_spec.hpp"
#include "dataplane/contract/location.hpp"
#include "dataplane/contract/peer_health.hpp"
#include "dataplane/contract/rings.hpp"

namespace palisade::cp {

class BindingStore;

/// Timing and thresholds ([sip] keepalive_*), and the per-tick work bounds.
struct KeepaliveSettings {
    std::uint32_t interval_ms = 30000;
    std::uint32_t timeout_ms = 2000;
    std::uint32_t down_after = 3;
    std::uint32_t up_after = 2;
    std::uint32_t max_sends_per_tick = 512;
    std::uint32_t max_timeouts_per_tick = 4096;
};
/// The [sip] keepalive keys of a config (work bounds at their defaults).
KeepaliveSettings keepalive_settings(const dp::SipSettings& sip);

/// One datagram to send: from interface `iface`'s SIP address and port to ip:port.
struct Datagram {
    std::uint16_t iface = 0;
    std::uint32_t ip = 0;  ///< host order
    std::uint16_t port = 0;
    std::string_view text;  ///< valid during the SendFn call only
};
/// Queues a datagram (the daemon: DataPlane::allocate, to_ring_message, inject). False when it
/// could not (pool or ring full): the probe is not sent and not counted as missed.
using SendFn = std::function<bool(const Datagram&)>;
/// Fills `m` as an inject_sip message; false when the text does not fit.
bool to_ring_message(const Datagram& d, dp::RingMessage& m) noexcept;

/// Writes an OPTIONS request (RFC 3261 §11.1) to `request_uri` sent from local_ip:local_port,
/// with a Via branch naming the control plane made from `unique`, into `out`. Returns its size,
/// 0 when it does not fit or the URI holds characters that cannot stand in a request line.
std::size_t build_options(std::span<char> out, std::string_view request_uri, std::uint32_t local_ip,
                          std::uint16_t local_port, std::uint64_t unique) noexcept;
/// The `unique` of a control-plane branch ("z9hG4bK-pl-c-<hex>"); false for any other branch.
bool parse_cp_branch(std::string_view branch, std::uint64_t& unique) noexcept;

enum class TargetKind : std::uint8_t { contact, core_peer };

/// One target's keepalive view (CLI, tests).
struct TargetStatus {
    TargetKind kind = TargetKind::contact;
    std::string username;          ///< contact: the account
    std::uint32_t contact_id = 0;  ///< contact: the registrar's binding id
    std::uint32_t peer_index = 0;  ///< core peer: index in ConfigSpec::core_peers
    std::string name;              ///< the Request-URI probed (contact URI, or sip:ip:port)
    std::uint32_t ip = 0;
    std::uint16_t port = 0;
    std::uint16_t iface = 0;
    dp::Reachability state = dp::Reachability::unknown;
    std::uint32_t answered_run = 0;  ///< answered in a row
    std::uint32_t missed_run = 0;    ///< missed in a row
    std::uint64_t sent = 0, answered = 0, missed = 0;
    std::uint64_t last_change_ms = 0;  ///< 0 = never changed
    std::uint32_t changes = 0;
    bool probing = false;  ///< a probe is out
};

/// What a punted response was.
enum class ResponseMatch : std::uint8_t {
    matched,       ///< a keepalive probe's response: counted as answered
    not_ours,      ///< no keepalive probe has that branch (late, duplicate, or another module's)
    wrong_source,  ///< the branch matched but the response came from another address: ignored
    malformed,     ///< not a parsable SIP response with a Via branch
};

/// What keepalive did. cp only.
struct KeepaliveCounters {
    std::uint64_t sent = 0;
    std::uint64_t send_failed = 0;     ///< SendFn refused
    std::uint64_t build_failed = 0;    ///< no request could be built (URI, interface)
    std::uint64_t deferred_ticks = 0;  ///< ticks that ran out of budget with work left
    std::uint64_t skipped_busy = 0;    ///< due while its previous probe was still out
    std::uint64_t answered = 0;        ///< responses matched
    std::uint64_t timeouts = 0;        ///< probes missed
    std::uint64_t unmatched = 0;       ///< ResponseMatch::not_ours
    std::uint64_t wrong_source = 0;
    std::uint64_t malformed = 0;
    std::uint64_t went_up = 0;    ///< changes to up (from unknown or down)
    std::uint64_t went_down = 0;  ///< changes to down
};

/// The keepalive prober. cp only.
class Keepalive {
  public:
    /// `failover` may be null. `salt`: mixed into branches (a random value at start-up, so that
    /// branches of a restarted daemon differ; tests pass a constant).
    Keepalive(dp::LocationTable& location, dp::PeerHealthTable& peers, FailoverTable* failover,
              std::uint64_t salt);

    /// Takes the [sip] keepalive settings, the interfaces (local addresses) and the core peers
    /// of `cfg` (start and every reload). A changed peer list restarts every peer as unknown.
    void configure(const dp::ConfigSpec& cfg);
    /// Replaces the timing and bounds only (tests).
    void set_settings(const KeepaliveSettings& s);
    [[nodiscard]] const KeepaliveSettings& settings() const noexcept { return settings_; }
    /// Where log lines go.
    void set_log(LogSink sink) { log_ = std::move(sink); }

    /// The account's current contacts (as given to LocationTable::set_contacts): contacts
    /// already known by contact_id keep their state (their address is updated), new ones are
    /// scheduled, missing ones dropped. An empty span removes the account.
    void set_account_contacts(std::string_view username, std::uint32_t trunk_key,
                              dp::LocationRole role,
                              std::span<const dp::LocationTable::ContactInput> contacts);
    /// Makes the contact set equal to every binding of `store` (start-up after restore, or a
    /// periodic resync): O(bindings).
    void sync_from_bindings(const BindingStore& store);

    /// Sends due probes and expires unanswered ones. Returns the number of probes sent.
    std::size_t tick(std::uint64_t now_ms, const SendFn& send);
    /// A response punted to the control plane (RingKind::sip_cp_response).
    ResponseMatch on_response(const dp::RingMessage& m, std::uint64_t now_ms);
    /// Same, from its parts (datagram text and source address).
    ResponseMatch on_response(std::string_view datagram, std::uint32_t src_ip,
                              std::uint16_t src_port, std::uint64_t now_ms);

    /// A contact's view, if known.
    [[nodiscard]] std::optional<TargetStatus> contact_status(std::string_view username,
                                                             std::uint32_t contact_id) const;
    /// A core peer's view, if known.
    [[nodiscard]] std::optional<TargetStatus> peer_status(std::uint32_t index) const;
    /// Every target (CLI).
    [[nodiscard]] std::vector<TargetStatus> targets() const;
    /// Probes out now.
    [[nodiscard]] std::size_t outstanding() const noexcept { return probes_.size(); }
    [[nodiscard]] const KeepaliveCounters& counters() const noexcept { return counters_; }

  private:
    struct Target {
        TargetStatus st;
        std::uint32_t gen = 0;
        bool live = false;
        bool scheduled = false;
        std::uint64_t due_ms = 0;
        std::uint32_t trunk_key = dp::kNoTrunkKey;
        dp::LocationRole role = dp::LocationRole::primary;
    };
    struct Account {
        std::uint32_t trunk_key = dp::kNoTrunkKey;
        dp::LocationRole role = dp::LocationRole::primary;
        std::vector<std::uint32_t> targets;  // indices into targets_
    };
    struct Due {
        std::uint64_t due_ms;
        std::uint32_t target;
        std::uint32_t gen;
        bool operator>(const Due& o) const noexcept { return due_ms > o.due_ms; }
    };
    struct Probe {
        std::uint32_t target;
        std::uint32_t gen;
        std::uint64_t sent_ms;
    };
    struct Deadline {
        std::uint64_t at_ms;
        std::uint64_t unique;
    };
    struct NameHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    std::uint32_t new_target();
    void free_target(std::uint32_t t);
    void push_due(std::uint32_t t, std::uint64_t due_ms);
    void record(std::uint32_t t, bool answered, std::uint64_t now_ms);
    void account_changed(std::string_view username);
    bool send_probe(std::uint32_t t, std::uint64_t now_ms, const SendFn& send);
    void set_peers(std::span<const dp::CorePeerSpec> peers, std::uint16_t core_iface);

    dp::LocationTable& location_;
    dp::PeerHealthTable& peer_health_;
    FailoverTable* failover_;
    std::uint64_t salt_;
    std::uint64_t counter_ = 0;
    KeepaliveSettings settings_;
    LogSink log_;
    std::vector<dp::InterfaceSpec> interfaces_;
    std::vector<dp::CorePeerSpec> peer_specs_;
    std::vector<std::uint32_t> peer_targets_;  // index -> target
    std::vector<Target> targets_;
    std::vector<std::uint32_t> free_;
    std::vector<std::uint32_t> pending_;  // new targets, scheduled by the next tick
    std::vector<Due> heap_;               // min-heap on due_ms (lazy: stale gens skipped)
    std::unordered_map<std::string, Account, NameHash, std::equal_to<>> accounts_;
    std::unordered_map<std::uint64_t, Probe> probes_;  // by branch unique
    std::deque<Deadline> deadlines_;                   // in send order = deadline order
    KeepaliveCounters counters_;
};

}  // namespace palisade::cp
