// The checks a worker runs on a new call, as pure functions over a parsed message (issue 6
// point 3 and 4, DESIGN.md §4): digest on the worker, the outbound policy in DESIGN.md §4's
// order with its codes, 100rel and session timers, SDP filtering of offers and answers, the
// inbound DID lookup and target list, and Privacy towards a PBX. The proxy core
// (dataplane/sip/proxy.cpp) calls them; they send nothing and keep no state of their own.
//
// Every function records the rewrites it wants in the caller's sip::EditList (the proxy adds its
// topology-hiding edits to the same list and applies it once) and writes any text those edits
// and the response headers need into the caller's scratch, which must outlive EditList::apply.
// No allocation, lock, syscall, log or exception.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "dataplane/contract/call_events.hpp"
#include "dataplane/contract/clock.hpp"
#include "dataplane/contract/limits.hpp"
#include "dataplane/contract/location.hpp"
#include "dataplane/policy/decide.hpp"
#include "dataplane/policy/snapshot.hpp"
#include "dataplane/sip/transaction.hpp"
#include "parsers/sip/edit_list.hpp"
#include "parsers/sip/message.hpp"
#include "parsers/sip/nonce.hpp"
#include "parsers/sip/validate.hpp"

namespace palisade::dp {

/// When a source's failed digest attempts earn 403 instead of a new challenge (DESIGN.md §4
/// "403 after repeated failures"): `max_failures` failures within `window_s` seconds. The
/// config's [security] keys (auth_fail_threshold 10, auth_fail_window 60 s) set when the control
/// plane BLOCKS a source (LocationTable::is_blocked, checked too); the worker answers 403 earlier
/// than that, so that a PBX looping on a wrong password stops before it is blocked.
struct AuthFailurePolicy {
    std::uint32_t max_failures = 5;
    std::uint32_t window_s = 60;
};

/// A small fixed-size table of recent digest failures per source address, one per worker (the
/// proxy owns it; no other thread touches it). 4-way set-associative by address; a new source
/// evicts the set's oldest window. A failure window starts with its first failure and lasts
/// `window_s` (fixed window: cheap, and at most 2N failures pass in any sliding window).
class AuthFailureTable {
public:
    static constexpr std::size_t kSets = 256;
    static constexpr std::size_t kWays = 4;

    explicit AuthFailureTable(AuthFailurePolicy policy = {}) noexcept : policy_(policy) {}
    /// Counts one failure of `ip` at `now_s`; returns the failures in its window, this one included.
    std::uint32_t record_failure(std::uint32_t ip, std::uint64_t now_s) noexcept;
    /// Failures of `ip` in its current window at `now_s` (0 when none or expired).
    [[nodiscard]] std::uint32_t failures(std::uint32_t ip, std::uint64_t now_s) const noexcept;
    /// True when `ip` has reached policy().max_failures in its window: answer 403.
    [[nodiscard]] bool over_limit(std::uint32_t ip, std::uint64_t now_s) const noexcept {
        return failures(ip, now_s) >= policy_.max_failures;
    }
    /// Credentials of `ip` were accepted: its failures are forgotten.
    void record_success(std::uint32_t ip) noexcept;
    [[nodiscard]] const AuthFailurePolicy& policy() const noexcept { return policy_; }
    void set_policy(AuthFailurePolicy p) noexcept { policy_ = p; }

private:
    struct Entry {
        std::uint32_t ip = 0;
        std::uint32_t count = 0;     ///< 0: free
        std::uint64_t since_s = 0;   ///< first failure of the window
    };
    [[nodiscard]] static std::size_t set_of(std::uint32_t ip) noexcept {
        return static_cast<std::size_t>((ip * 0x9E3779B1u) >> 24) & (kSets - 1);
    }
    AuthFailurePolicy policy_;
    std::array<Entry, kSets * kWays> entries_{};
};

/// Per-worker mutable state of the checks, owned by the proxy (one per worker, never shared):
/// the issuer and counter of the nonces this worker makes (NonceCodec::make_with_id: the codec
/// in the context is const and shared), and the failure table.
struct CheckState {
    /// Nonce issuer of this worker (16 bits, distinct from every other worker's and from the
    /// registrar's 0xffff): the worker index is the natural choice. The nonce-count table's
    /// partition is issuer mod partitions.
    std::uint16_t nonce_issuer = 0;
    std::uint64_t nonce_counter = 0;   ///< 48 bits used
    AuthFailureTable failures;
    /// Next nonce id: issuer << 48 | counter.
    std::uint64_t next_nonce_id() noexcept {
        return static_cast<std::uint64_t>(nonce_issuer) << 48 | (++nonce_counter & 0xffff'ffff'ffffull);
    }
};

/// Shared state the checks read (views; valid for one call).
struct CheckContext {
    const PolicySnapshot* snapshot = nullptr;
    LimitsTable* limits = nullptr;
    const WorkerScratch* scratch = nullptr;
    const LocationTable* location = nullptr;   ///< null: nothing registered, nothing blocked
    const sip::NonceCodec* nonces = nullptr;
    sip::NonceCountTable* nonce_counts = nullptr;
    Instant now{};                             ///< wall clock (nonce expiry, rate windows)
    /// This worker's nonce issuer and failure table. Null works (tests, tools): nonces then come
    /// from one process-wide atomic counter (issuer 0xfffe) and there is no 403 after repeated
    /// failures except for sources the control plane blocked.
    CheckState* state = nullptr;
};

/// Scratch space the checks write into (edit texts, response header lines, filtered SDP).
/// 4 KiB is always enough for a message that fits a slot.
inline constexpr std::size_t kCheckScratchBytes = 4096;

/// The outcome of check_outbound_invite.
struct OutboundCheck {
    /// 0: forward the INVITE (edits recorded); 407: challenge (not a refusal: no call event);
    /// anything else: refuse with this final response and record a `refused` event.
    std::uint16_t code = 0;
    std::string_view phrase;            ///< reason phrase for `code` (static text)
    CallRefuseReason reason = CallRefuseReason::admitted;
    /// Header lines (each ending in CRLF) for the response: Proxy-Authenticate (407), Retry-After
    /// (503), Min-SE (422), Unsupported (420). In the caller's scratch.
    std::string_view response_headers;
    /// Admitted: the trunk, the held AdmissionToken (release exactly once when the call ends) and
    /// the decision's reason (admitted or emergency). Refused after the digest: the trunk too.
    Outcome decision;
    AccountRole account = AccountRole::primary;
    bool emergency = false;
    bool counted = false;                ///< counted against hour/day/week (kCallFlagCounted)
    std::string_view caller;             ///< E.164 caller ID (PAI, else RPID, else From user)
    std::string_view callee;             ///< Request-URI user
    /// Session timer in force after the checks (RFC 4028): the PBX's Session-Expires, or the
    /// configured one inserted; the proxy arms its refresh deadline from it.
    std::uint32_t session_expires_s = 0;
    /// True when this request's credentials were refused as a failed guess (wrong response,
    /// forged nonce, refused algorithm or qop, unknown username): the proxy may report it to the
    /// control plane's brute-force guard (AuthGuard::on_auth_failure) with `auth_username`.
    bool digest_failure = false;
    std::string_view auth_username;      ///< username of the credentials used, empty when none
};

/// Every check on a new outbound INVITE from the access side, in DESIGN.md §4's order:
///   1. Proxy-Authorization digest for one of the accounts (trunk from the username): missing,
///      wrong or stale credentials -> 407 with one Proxy-Authenticate per algorithm the account
///      allows (preferred first; stale=true when only the nonce expired or the count was
///      replayed); an unknown username gets the default challenge (SHA-256, MD5) so that
///      usernames cannot be probed; 403 auth_failed for a source the control plane blocked
///      (LocationTable::is_blocked) or that failed AuthFailurePolicy::max_failures times within
///      its window (ctx.state's AuthFailureTable).
///   2..10. decide_outbound (source subnet 403, emergency bypass, E.164 484/403, caller ID 403,
///      destination 403, attempts per second 503 + Retry-After, hour/day/week 403, concurrent
///      503 + Retry-After).
///   11. `Require: 100rel` -> 420 with `Unsupported: 100rel`; Session-Expires below Min-SE ->
///      422 with Min-SE; otherwise Session-Expires and Min-SE inserted when absent and `100rel`
///      removed from Supported.
///   12. the SDP offer filtered (filter_sdp); no usable audio -> 488.
/// The consumed Proxy-Authorization is removed (edit). On any refusal after the token was taken,
/// LimitsTable::unadmit gives the hour/day/week reservations back and releases the slot before
/// returning (no slot leaks; a call that is not forwarded does not count, DESIGN.md §4; its
/// attempt does), and `counted` is false. `source_ip` host order.
/// ctx.snapshot, ctx.limits and ctx.scratch must be set; ctx.nonces and ctx.nonce_counts too
/// (without them every credential fails and a challenge is 500 `internal_error`). 500
/// `internal_error` also when the scratch or the edit list is full.
/// Docs: docs/call_checks.md.
OutboundCheck check_outbound_invite(const sip::Message& msg, const sip::Validated& v,
                                    std::uint32_t source_ip, CheckContext& ctx,
                                    std::span<char> scratch, sip::EditList& edits) noexcept;

/// What filter_sdp did.
enum class SdpVerdict : std::uint8_t {
    no_sdp,      ///< no body, or not application/sdp: nothing to do
    unchanged,   ///< already acceptable: no edit
    filtered,    ///< edits recorded (payload types removed, PCMA first, streams set to port 0)
    no_audio,    ///< no audio stream with PCMA or PCMU left: answer 488 (offer) / end (answer)
    malformed,   ///< the SDP does not parse: 488 (offer) / pass through unchanged (answer)
    no_space,    ///< scratch or edit list too small (counted; treat as 500)
};

/// SDP filtering of an offer or an answer, in an INVITE, a re-INVITE, a 18x/2xx or an ACK
/// (DESIGN.md §4): payload types other than PCMA, PCMU and telephone-event removed from each
/// audio m-line (PCMA ordered first), a stream left with no codec and any T.38 (m=image) stream
/// rejected with port 0.
SdpVerdict filter_sdp(const sip::Message& msg, std::span<char> scratch,
                      sip::EditList& edits) noexcept;

/// One target of an inbound call.
struct InboundTarget {
    Endpoint to{};                 ///< the contact's real address (REGISTER source, RFC 3581)
    std::uint16_t iface = 0;       ///< interface it registered on
    AccountRole account = AccountRole::primary;
    std::uint32_t contact_id = 0;
    std::string_view uri;          ///< Contact URI as registered: the Request-URI to send
};

/// Most targets one inbound call tries (both accounts' contacts).
inline constexpr std::size_t kMaxInboundTargets = 16;

/// The outcome of check_inbound_invite.
struct InboundCheck {
    std::uint16_t code = 0;        ///< 404 unknown DID / not E.164; 0 otherwise
    CallRefuseReason reason = CallRefuseReason::inbound_admitted;
    std::uint32_t trunk = kNoTrunk;
    AdmissionToken token;          ///< held when a slot was taken (release exactly once)
    /// True: go straight to the trunk's failover dialplan, for `failover_reason`
    /// (concurrent_limit, no_registration, forced, or target_unreachable when every contact is
    /// down). The token is then NOT held.
    bool failover = false;
    CallFailoverReason failover_reason = CallFailoverReason::no_registration;
    std::string_view callee;       ///< the DID (Request-URI user)
    std::string_view caller;       ///< P-Asserted-Identity user, else From user
    /// Contacts to try in order: the primary account's then the secondary's (InboundMode
    /// alternate and the forced FailoverMode change the order or the set), unreachable ones
    /// skipped. Views into the location table (valid until the worker's quiescent point: the
    /// proxy copies what it keeps).
    std::array<InboundTarget, kMaxInboundTargets> targets{};
    std::uint8_t target_count = 0;
    std::uint8_t skipped_unreachable = 0;  ///< contacts skipped because keepalive marks them down
};

/// DID lookup, concurrent-call slot and target list for a new INVITE from the core.
InboundCheck check_inbound_invite(const sip::Message& msg, const sip::Validated& v,
                                  CheckContext& ctx) noexcept;

/// Privacy towards an untrusted PBX (RFC 3323, RFC 3325): when the request carries
/// `Privacy: id` (or `user`/`header`), remove P-Asserted-Identity (and Remote-Party-ID) and
/// replace the From URI and display name by `"Anonymous" <sip:anonymous@anonymous.invalid>`,
/// keeping the From tag. Returns false when an edit could not be recorded.
bool privacy_edits(const sip::Message& msg, std::span<char> scratch,
                   sip::EditList& edits) noexcept;

/// `Require: 100rel` present (RFC 3262): the caller answers 420 with `Unsupported: 100rel`.
bool requires_100rel(const sip::Message& msg) noexcept;

/// Records the removal of `100rel` from every Supported header (a header left empty is removed).
bool strip_100rel(const sip::Message& msg, std::span<char> scratch, sip::EditList& edits) noexcept;

}  // namespace palisade::dp
