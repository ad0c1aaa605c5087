// The registrar (RFC 3261 §10.3) on the control-plane thread. Workers punt every REGISTER
// (dp::RingMessage kind sip_register, with the packet's source address); handle() authenticates
// it against the account's HA1 in the current policy snapshot, updates the account's bindings,
// publishes them incrementally to the workers' LocationTable, and writes the reply datagram
// (kind inject_sip) for the caller to enqueue on an inject ring. expire() is the timer.
//
// Decisions (RFC 3261 §10.3 leaves them to the registrar):
//   - step 1: any Request-URI host is accepted (Palisade is the registrar for whatever domain
//     the PBX registers to; only its userinfo is refused, §10.2, validate_register).
//   - step 2: every Require option is unsupported: 420 with Unsupported listing them.
//   - step 3 before 5: a REGISTER without valid credentials gets 401 whether or not its To names
//     an account (no account enumeration); the challenge offers the To account's algorithms, or
//     the default (SHA-256, MD5) for an unknown name. Wrong credentials: 401 with a new challenge
//     A wrong answer from a source or for a username that has failed repeatedly gets 403
//     instead of a new challenge (DESIGN.md §4; RFC 3261 §22.2 lets a UAS refuse credentials
//     it will not accept): the registrar asks AuthGuard::should_forbid (set_guard) after
//     counting the failure, so the answer that blocks a source is a 403, then silence.
//   - step 5 then 4: authenticated, a To user that is no account gets 404; an account's
//     credentials used for another account's To gets 403.
//   - step 6/7: a Contact URI is the same binding when its URI text is byte-identical (a strict
//     subset of §19.1.4 equivalence: at worst a duplicate lives until it expires). The whole
//     request is applied or nothing is (all checks first). Same Call-ID and a lower CSeq than a
//     binding's: 400 "Invalid CSeq" (the update is aborted, §10.3 step 7). The same Call-ID and
//     CSeq (a retransmission the transaction layer would absorb) is answered like the original:
//     200 with the current bindings, nothing changed; an authenticated retransmission whose
//     nonce-count was already used is recognised the same way.
//   - `Contact: *` only with `Expires: 0` and as the only contact (else 400); removes every
//     binding unless one has the same Call-ID and a higher-or-equal CSeq (then 400, aborted).
//   - expiry: the contact's expires param, else the Expires header, else the configured default;
//     non-zero below the minimum: 423 with Min-Expires; above the maximum: lowered to it.
//   - at most dp::kMaxContactsPerAccount (10) bindings per account: more gets 403 "Too Many
//     Contacts" (nothing changed).
//   - NAT (RFC 3581): a binding's real address is the packet's source ip:port, kept beside its
//     Contact URI; the reply goes to the source ip:port and its top Via gets received= and
//     rport= when the request asked for rport.
//   - 200 OK lists every current contact of the account with its remaining expires, and Date.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "controlplane/registrar/bindings.hpp"
#include "dataplane/contract/location.hpp"
#include "dataplane/contract/rings.hpp"
#include "dataplane/policy/snapshot.hpp"
#include "parsers/sip/digest.hpp"

namespace palisade::cp {

/// One authentication outcome, for brute-force protection (issue 5 point 4). cp only; the
/// views are valid during the callback only.
struct AuthEvent {
    std::uint32_t ip = 0;             ///< packet source, host order
    std::uint16_t port = 0;
    std::string_view username;        ///< as sent in the credentials (may be no account)
    bool success = false;
    sip::DigestVerdict verdict = sip::DigestVerdict::ok;  ///< why it failed
    bool unknown_user = false;        ///< credentials named no account
    std::uint64_t now_s = 0;
};
/// Called for every REGISTER that carried credentials (success or failure). cp only.
using AuthObserver = std::function<void(const AuthEvent&)>;

class AuthGuard;

/// What happened to one binding (the registrar's publish observer, issue 5 point 2).
enum class BindingChange : std::uint8_t {
    added,      ///< a new Contact bound
    refreshed,  ///< an existing binding's expiry, CSeq or source moved
    removed,    ///< unregistered (expires=0, `*`) or dropped by a reload
    expired,    ///< removed by expire()
};
/// One binding change, given to the binding observer right after the store changed (for
/// removed / expired: right before the binding's strings are released). `binding` is valid
/// during the callback only. cp only.
struct BindingEvent {
    BindingChange change = BindingChange::added;
    std::string_view username;  ///< the account (the AOR's user)
    const Binding* binding = nullptr;
};
/// One account's contacts as just published to the LocationTable (after every record rebuild:
/// a binding added, removed, moved to another source, or the account moved to another trunk
/// or role; not after a refresh that only moved expiries in place). `contacts` is the exact
/// input given to LocationTable::set_contacts (empty: the account has no binding left); views
/// valid during the callback only. cp only.
struct AccountEvent {
    std::string_view username;
    std::uint32_t trunk_key = dp::kNoTrunkKey;
    dp::LocationRole role = dp::LocationRole::primary;
    std::span<const dp::LocationTable::ContactInput> contacts;
};
using BindingObserver = std::function<void(const BindingEvent&)>;
using AccountObserver = std::function<void(const AccountEvent&)>;

/// What the registrar did, by outcome. cp writes; read by the CLI on the same thread.
struct RegistrarCounters {
    std::uint64_t received = 0;
    std::uint64_t dropped_unparsable = 0;  ///< no reply possible (framing failed)
    std::uint64_t dropped_blocked = 0;     ///< source blocked (silent)
    std::uint64_t dropped_not_register = 0;
    std::uint64_t reply_too_large = 0;
    std::uint64_t r200 = 0, r400 = 0, r401 = 0, r403 = 0, r404 = 0, r420 = 0, r423 = 0, r5xx = 0;
    std::uint64_t challenges = 0;          ///< 401 sent (first or after a failure)
    std::uint64_t stale = 0;               ///< 401 with stale=true
    std::uint64_t auth_failures = 0;       ///< credentials present and refused
    std::uint64_t retransmissions = 0;     ///< answered as a retransmission
    std::uint64_t bindings_added = 0, bindings_refreshed = 0, bindings_removed = 0,
                  bindings_expired = 0;
    std::uint64_t location_refused = 0;    ///< LocationTable refused an update (full)
};

/// Settings the registrar reads (from [sip]); taken from the snapshot on each call so a reload
/// applies at once.
class Registrar {
public:
    /// `location`: the workers' table (this registrar is its writer). `counts`: the nonce-count
    /// table shared with the workers. `nonce_secret`: [sip] nonce_secret. cp only.
    Registrar(dp::LocationTable& location, sip::NonceCountTable& counts, std::string_view nonce_secret);

    /// Handles one punted message (kind sip_register; others are ignored). Writes the reply into
    /// `reply` (kind inject_sip, port, remote ip and port set) and returns true when there is
    /// one to inject; false when the message is dropped silently (counted). `now_s`: Unix
    /// seconds (wall clock: bindings' expiry and Date). cp only.
    bool handle(const dp::RingMessage& in, const dp::PolicySnapshot& snap, std::uint64_t now_s,
                dp::RingMessage& reply);

    /// Removes every binding expired at `now_s` and publishes the accounts that changed; frees
    /// retired location records. Call once per control-plane tick (cost: O(expired log n)).
    /// Returns the number of bindings removed.
    std::size_t expire(std::uint64_t now_s);

    /// Drops the bindings of accounts that are gone from `snap` (or moved to another trunk:
    /// re-published under the new trunk). Call after each reload is published. cp only.
    void reconcile(const dp::PolicySnapshot& snap);

    /// Restores one binding (persistence, before the first packet) and publishes its account
    /// at once. False when refused. A bulk restore uses stage_restore + publish_staged instead.
    bool restore(const dp::PolicySnapshot& snap, std::string_view username, const BindingData& b);
    /// Bulk restore (start-up, one pass persist -> registrar -> location): adds one binding to
    /// the store without publishing it; nothing reaches the workers or the observers until
    /// publish_staged(). The expiry heap is rebuilt once at the end instead of sifted per
    /// binding. False when refused (account unknown to `snap`, bad URI, duplicate, or the
    /// account already has kMaxContactsPerAccount). Rows of one account are usually adjacent
    /// (persistence returns them in key order): the account lookup is cached for the next row.
    bool stage_restore(const dp::PolicySnapshot& snap, std::string_view username, BindingData&& b);
    /// Publishes every account staged since the last call: one LocationTable record per account
    /// (not one per binding), one AccountEvent each (no BindingEvent: a restored binding is
    /// not a change). Returns the accounts published.
    std::size_t publish_staged();

    /// Observer of every authentication (brute-force protection).
    void set_auth_observer(AuthObserver observer) { observer_ = std::move(observer); }
    /// Brute-force protection: failures and successes are reported to `guard`, and a failure
    /// it says should_forbid gets 403 instead of a new 401. Null: always 401. cp only.
    void set_guard(AuthGuard* guard) noexcept { guard_ = guard; }
    /// Publish observers (persistence, keepalive): every binding change, and every account
    /// record published to the workers. cp only.
    void set_binding_observer(BindingObserver observer) { binding_observer_ = std::move(observer); }
    void set_account_observer(AccountObserver observer) { account_observer_ = std::move(observer); }

    /// Counters.
    [[nodiscard]] const RegistrarCounters& counters() const noexcept { return counters_; }
    /// The bindings (CLI `registrations`, persistence).
    [[nodiscard]] const BindingStore& bindings() const noexcept { return store_; }

private:
    struct Request;
    int process(Request& r, const dp::PolicySnapshot& snap, std::uint64_t now_s);
    bool publish(std::uint32_t account);
    void notify(BindingChange change, std::uint32_t account, std::uint32_t id);
    void drop(std::uint32_t id, BindingChange change);  // notify, then remove from the store
    std::uint32_t stage(const dp::PolicySnapshot& snap, std::string_view username, BindingData&& b,
                        bool defer_heap);  // the account, or kNoIndex when refused

    dp::LocationTable& location_;
    sip::NonceCountTable& counts_;
    sip::NonceCodec nonces_;
    BindingStore store_;
    RegistrarCounters counters_;
    AuthObserver observer_;
    AuthGuard* guard_ = nullptr;
    BindingObserver binding_observer_;
    AccountObserver account_observer_;
    std::vector<std::uint32_t> dirty_;   // scratch for expire()
    std::vector<std::uint32_t> staged_;  // accounts staged by stage_restore, not yet published
    std::uint32_t staged_last_ = kNoIndex;  // account of the last restored row (lookup cache)
    std::uint64_t staged_generation_ = 0;   // snapshot generation of that cache
    char date_[64] = {};                    // Date header text of second date_s_ (200 OK)
    std::size_t date_len_ = 0;
    std::uint64_t date_s_ = 0;
};

}  // namespace palisade::cp
