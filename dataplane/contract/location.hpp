// Location state (DESIGN.md §2): who is registered where, which source addresses are known,
// whether each registered contact answers keepalives, each trunk's failover mode, and the
// sources blocked by brute-force protection. One writer (the control plane thread: registrar,
// keepalive, failover CLI, brute-force protection), many readers (the workers).
//
// Updated incrementally, never by copying the whole table, so that 100,000 REGISTERs a second
// stay cheap (bench/registrar_bench.cpp):
//   - per account, one small immutable AccountLocation record (its contacts, each with its URI
//     inline) reached through an atomic pointer in an open-addressing slot keyed by username.
//     A binding change builds a new record for that one account, swaps the pointer and retires
//     the old record; it is freed once every worker has passed a quiescent point (rte_rcu_qsbr,
//     the same QSBR scheme as PolicySlot in policy_snapshot.hpp, without EAL). Freeing is
//     deferred (reclaim(), never a blocking synchronize per update).
//   - source index, blocked list: open-addressing tables of fixed capacity whose slots are each
//     guarded by a per-slot sequence counter (a seqlock with one writer): readers never block
//     and never see a torn (key, value) pair; deleted keys leave a tombstone that a later insert
//     reuses, so chains never break under a reader.
//   - reachability: one atomic byte per contact inside the record (carried over when the record
//     is rebuilt); failover mode: one atomic byte per trunk key.
//
// Trunks are named by their stable key: the trunk's LimitsTable slot (TrunkRecord::limit_slot,
// stable across reloads), so a reload never rewrites this table.
//
// Worker usage: register_reader(id) once (or have it done before start); per burst any of the
// reader functions; quiescent(id) once per loop when holding no pointer or span from this table
// (next to PolicySlot::quiescent). Every reader function is wait-free except the seqlock retry
// when it meets the one slot the writer is changing at that instant.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct rte_rcu_qsbr;

namespace palisade::dp {

/// Largest value of any LocationLimits field: 2^28 (the account table has 2 x accounts slots).
inline constexpr std::uint32_t kMaxLocationSlots = 1u << 28;
/// "No trunk" for trunk_for_source.
inline constexpr std::uint32_t kNoTrunkKey = 0xffffffffu;
/// trunk_for_source: the address is known (a registered contact) but belongs to several trunks
/// (several PBXs behind one NAT address): the digest account decides.
inline constexpr std::uint32_t kAmbiguousTrunkKey = 0xfffffffeu;
/// Most contacts one account may register (RFC 3261 §10.3 leaves the cap to the registrar; a
/// PBX registers one or two). A REGISTER that would exceed it is refused by the registrar.
inline constexpr std::size_t kMaxContactsPerAccount = 10;
/// Longest Contact URI kept (octets); a longer one is refused by the registrar.
inline constexpr std::size_t kMaxContactUri = 512;

/// Keepalive view of one contact (issue 5 point 5). Written by cp (keepalive), read by workers.
enum class Reachability : std::uint8_t { unknown = 0, up = 1, down = 2 };

/// Per-trunk failover mode (forced by palisadectl `failover ID ...`). auto: targets in order,
/// skipping unreachable contacts; primary / secondary: only that account; dialplan: straight to
/// the failover dialplan. Written by cp, read by workers.
enum class FailoverMode : std::uint8_t { automatic = 0, primary = 1, secondary = 2, dialplan = 3 };

/// Which account of its trunk a record belongs to (mirrors policy AccountRole).
enum class LocationRole : std::uint8_t { primary = 0, secondary = 1 };

/// One registered contact, inside an immutable AccountLocation (except `reachability`).
struct LocationContact {
    std::uint32_t ip = 0;             ///< source address of the REGISTER, host order (RFC 3581)
    std::uint16_t port = 0;           ///< source UDP port of the REGISTER
    std::uint16_t iface = 0;          ///< interface index it arrived on (ConfigSpec::interfaces)
    std::uint32_t contact_id = 0;     ///< registrar's binding id, stable while the binding lives
    std::uint16_t uri_len = 0;
    std::uint8_t reserved = 0;
    /// Written by cp (keepalive, copied on record rebuild); read by workers (relaxed is enough:
    /// a stale value for one probe interval is harmless).
    std::atomic<std::uint8_t> reachability{0};
    /// Unix seconds; the registrar removes the contact by then. Written by cp (registrar: a
    /// refresh that changes nothing else updates it in place instead of rebuilding the record),
    /// read by workers.
    std::atomic<std::uint64_t> expires_at_s{0};
    const char* uri_ptr = nullptr;    ///< into the same record

    /// The Contact URI as registered (the Request-URI of an inbound INVITE, RFC 3261 §16.5).
    [[nodiscard]] std::string_view uri() const noexcept { return {uri_ptr, uri_len}; }
    /// Current keepalive state.
    [[nodiscard]] Reachability reachable() const noexcept {
        return static_cast<Reachability>(reachability.load(std::memory_order_relaxed));
    }
};

/// One account's registered contacts: immutable once published (cp builds, workers read). One
/// allocation: this header, the contacts, then the username and URIs (~100 octets per contact).
struct AccountLocation {
    std::uint64_t version = 0;        ///< bumped on every rebuild (diagnostics, tests)
    std::uint32_t trunk_key = kNoTrunkKey;
    LocationRole role = LocationRole::primary;
    std::uint8_t count = 0;           ///< contacts in use
    std::uint16_t username_len = 0;
    const char* username_ptr = nullptr;      ///< into the same record
    LocationContact* contact_ptr = nullptr;  ///< `count` contacts, right after this header

    /// The account's username (the key).
    [[nodiscard]] std::string_view username() const noexcept { return {username_ptr, username_len}; }
    /// Its contacts, in registration order.
    [[nodiscard]] std::span<const LocationContact> contacts() const noexcept { return {contact_ptr, count}; }
};

/// Sizes fixed at construction (nothing grows on the packet path; the writer refuses and
/// counts when a table is full). Each is at most kMaxLocationSlots (init refuses more).
struct LocationLimits {
    std::uint32_t accounts = 1u << 16;   ///< username slots (>= 2 x trunks; rounded up to 2^n x 2)
    std::uint32_t sources = 1u << 17;    ///< source-index slots (ip and ip:port keys)
    std::uint32_t blocked = 1u << 14;    ///< blocked-source slots
    std::uint32_t trunks = 1u << 17;     ///< trunk keys (LimitsTable capacity)
    std::uint32_t max_readers = 64;      ///< worker reader ids 0..max_readers-1
};

/// What the writer did so far (cp reads; for the CLI and tests).
struct LocationStats {
    std::uint64_t records_published = 0;
    std::uint64_t records_retired = 0;
    std::uint64_t records_freed = 0;
    std::uint64_t accounts_full = 0;    ///< set_contacts refused: no username slot left
    std::uint64_t sources_full = 0;     ///< a source key not indexed: table full
    std::uint64_t blocked_full = 0;     ///< block refused: table full
    std::uint64_t map_rebuilds = 0;     ///< source/blocked maps rebuilt to shed tombstones
    std::uint32_t accounts_with_contacts = 0;
    std::uint32_t contacts = 0;
    std::size_t bytes = 0;              ///< memory of tables and live records
};

/// Single-writer open-addressing map of non-zero 64-bit keys to 32-bit values, readable from
/// any thread without locks (per-slot seqlock). Fixed capacity (power of two).
class SeqlockMap {
public:
    static constexpr std::uint32_t kNone = 0xffffffffu;  ///< "absent" / tombstone value

    /// A map of at least `capacity` slots (at most kMaxLocationSlots). Never throws: when the
    /// slots cannot be allocated, ok() is false, find() finds nothing and put() refuses. cp only.
    explicit SeqlockMap(std::uint32_t capacity) noexcept;
    /// The slots were allocated.
    [[nodiscard]] bool ok() const noexcept { return slots_ != nullptr; }
    /// Value of `key` (non-zero), or kNone. Any thread.
    [[nodiscard]] std::uint32_t find(std::uint64_t key) const noexcept;
    /// Sets key -> value (value != kNone); false when the table is too full (3/4). Writer only.
    bool put(std::uint64_t key, std::uint32_t value) noexcept;
    /// Removes key (leaves a tombstone that a later put reuses). Writer only.
    void erase(std::uint64_t key) noexcept;
    /// Live keys. Writer only.
    [[nodiscard]] std::uint32_t size() const noexcept { return live_; }
    /// Table memory in octets.
    [[nodiscard]] std::size_t bytes() const noexcept { return ok() ? (mask_ + 1ull) * sizeof(Slot) : 0; }
    /// Slots (a power of two).
    [[nodiscard]] std::uint32_t capacity() const noexcept { return mask_ + 1; }
    /// Calls f(key, value) for every live key. Writer only.
    template <class F>
    void for_each(F&& f) const {
        for (std::uint32_t i = 0; i <= mask_; ++i) {
            const std::uint64_t k = slots_[i].key.load(std::memory_order_relaxed);
            const std::uint32_t v = slots_[i].value.load(std::memory_order_relaxed);
            if (k != 0 && v != kNone) f(k, v);
        }
    }

private:
    struct Slot {
        std::atomic<std::uint32_t> seq{0};     // odd while the writer changes the slot
        std::atomic<std::uint32_t> value{kNone};
        std::atomic<std::uint64_t> key{0};     // 0 = never used (ends a probe chain)
    };
    std::unique_ptr<Slot[]> slots_;
    std::uint32_t mask_ = 0;
    std::uint32_t used_ = 0;  // slots with a key (live or tombstone); writer only
    std::uint32_t live_ = 0;  // writer only
};

/// The location table. Writer functions: cp thread only. Reader functions: any thread (workers).
///
/// Creation never throws: its tables are large (sized from the config, tens of MiB for 100,000
/// trunks), so an allocation failure is an operator's problem to report, not a crash. create()
/// returns null with the reason; the constructor leaves a failed table empty, with ok() false
/// and the reason in error() (the control plane checks it before the data plane starts, and
/// start-up refuses with that message). An empty table is safe to read (nothing registered,
/// nothing blocked) and refuses every write.
class LocationTable {
public:
    /// A table for `limits`, or null with `error` (which table, how large, or which limit is
    /// out of range).
    static std::unique_ptr<LocationTable> create(const LocationLimits& limits, std::string& error) noexcept;
    /// Allocates every table for `limits`; on failure the table stays empty: check ok().
    explicit LocationTable(const LocationLimits& limits = {}) noexcept;
    /// The tables were allocated.
    [[nodiscard]] bool ok() const noexcept { return qsbr_ != nullptr; }
    /// Why not, when !ok().
    [[nodiscard]] const std::string& error() const noexcept { return error_; }
    /// Frees everything. Every reader must have unregistered.
    ~LocationTable();
    LocationTable(const LocationTable&) = delete;
    LocationTable& operator=(const LocationTable&) = delete;

    // ---- readers (workers) ----

    /// Registers reader `id` (a worker) and puts it online. False for an id out of range.
    bool register_reader(std::uint32_t id) noexcept;
    /// Takes reader `id` offline and unregisters it.
    void unregister_reader(std::uint32_t id) noexcept;
    /// Reader `id` stops / resumes being waited for (around a sleep).
    void reader_online(std::uint32_t id) noexcept;
    void reader_offline(std::uint32_t id) noexcept;
    /// Reader `id` holds no record pointer or span from this table any more. Once per loop.
    void quiescent(std::uint32_t id) noexcept;

    /// The account's record, or null when it has no contact. Valid until quiescent().
    [[nodiscard]] const AccountLocation* account(std::string_view username) const noexcept;
    /// The account's registered contacts (empty when none). Valid until quiescent().
    [[nodiscard]] std::span<const LocationContact> contacts(std::string_view username) const noexcept;
    /// True when ip:port, or ip alone, is the source of a registered contact.
    [[nodiscard]] bool is_known_source(std::uint32_t ip, std::uint16_t port) const noexcept;
    /// The trunk key of the registered contact at ip:port, else of ip (any port); kNoTrunkKey
    /// when unknown, kAmbiguousTrunkKey when several trunks share the address.
    [[nodiscard]] std::uint32_t trunk_for_source(std::uint32_t ip, std::uint16_t port) const noexcept;
    /// True while `ip` is blocked (brute-force protection) at `now_s` (Unix seconds).
    [[nodiscard]] bool is_blocked(std::uint32_t ip, std::uint64_t now_s) const noexcept;
    /// Failover mode of trunk `trunk_key` (automatic for an out-of-range key).
    [[nodiscard]] FailoverMode failover_state(std::uint32_t trunk_key) const noexcept;

    // ---- writer (control plane thread only) ----

    /// One contact as the registrar gives it.
    struct ContactInput {
        std::string_view uri;
        std::uint32_t ip = 0;
        std::uint16_t port = 0;
        std::uint16_t iface = 0;
        std::uint32_t contact_id = 0;
        std::uint64_t expires_at_s = 0;
    };
    /// Replaces the account's contacts with `contacts` (at most kMaxContactsPerAccount, URIs at
    /// most kMaxContactUri): builds one new record, swaps it in, retires the old one, updates the
    /// source index. Reachability of a contact_id present before is kept. An empty span removes
    /// the record. False (nothing changed) on a full table or an oversized input.
    bool set_contacts(std::string_view username, std::uint32_t trunk_key, LocationRole role,
                      std::span<const ContactInput> contacts);
    /// Moves one contact's expiry in place (a refresh that changes nothing else: no new record,
    /// no index change); false when the account or contact is not there.
    bool set_expiry(std::string_view username, std::uint32_t contact_id, std::uint64_t expires_at_s) noexcept;
    /// Sets the reachability of one contact; false when the account or contact is not there.
    bool set_reachability(std::string_view username, std::uint32_t contact_id, Reachability r) noexcept;
    /// Sets a trunk's failover mode; false for a key out of range.
    bool set_failover(std::uint32_t trunk_key, FailoverMode mode) noexcept;
    /// Blocks `ip` until `until_s` (Unix seconds); false when the blocked table is full.
    bool block(std::uint32_t ip, std::uint64_t until_s) noexcept;
    /// Lifts a block.
    void unblock(std::uint32_t ip) noexcept;
    /// Frees retired records that no reader can hold any more (non-blocking). Call once per
    /// control-plane tick (the registrar does after each batch). Returns how many records were
    /// freed (replaced maps are freed too, not counted).
    std::size_t reclaim() noexcept;
    /// Blocks until every online reader passed a quiescent point, then frees every retired
    /// record (shutdown, tests). Must not be called from a reader thread.
    void synchronize() noexcept;
    /// Counters and memory.
    [[nodiscard]] LocationStats stats() const noexcept;

private:
    struct AccountSlot {
        std::atomic<std::uint64_t> hash{0};                  // cp writes once; 0 = empty
        std::atomic<const AccountLocation*> record{nullptr}; // cp swaps; workers read
    };
    struct SourceRef {  // cp only: who claims a source key
        std::uint32_t trunk = kNoTrunkKey;
        std::uint32_t count = 0;       // contacts of that trunk with this key
    };
    struct SourceRefs {  // cp only: the claimants of one key; the first inline (usually the only one)
        SourceRef first;
        std::vector<SourceRef> more;  // other trunks behind the same address (NAT): ambiguous
    };
    struct Retired {
        std::uint64_t token;
        const AccountLocation* record;  // or null when `map` is set
        SeqlockMap* map = nullptr;      // a replaced map (after a rebuild)
    };

    bool init(const LocationLimits& limits, std::string& error) noexcept;
    const AccountSlot* find_slot(std::string_view username, std::uint64_t h) const noexcept;
    void source_add(std::uint64_t key, std::uint32_t trunk);
    void source_remove(std::uint64_t key, std::uint32_t trunk);
    void retire(const AccountLocation* rec);
    bool map_put(std::atomic<SeqlockMap*>& map, std::uint64_t key, std::uint32_t value);

    rte_rcu_qsbr* qsbr_ = nullptr;
    std::uint32_t max_readers_ = 0;
    std::unique_ptr<AccountSlot[]> accounts_;
    std::uint32_t account_mask_ = 0;
    std::uint32_t account_used_ = 0;                           // cp only
    struct NameHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, std::uint32_t, NameHash, std::equal_to<>> account_index_;  // cp only
    // Deleted keys leave tombstones; when a put finds no room, the writer rebuilds the map from
    // its live keys into a fresh one of the same size, swaps the pointer and retires the old one
    // through RCU (rare: only after as many distinct keys as the map has slots came and went).
    // Both are null until init() succeeds.
    std::atomic<SeqlockMap*> sources_{nullptr};  // cp swaps, workers read. ip:port (bit 62) or ip (bit 63) -> trunk
    std::atomic<SeqlockMap*> blocked_{nullptr};  // cp swaps, workers read. ip | bit 63 -> until (Unix s, 32 bits)
    std::unique_ptr<std::atomic<std::uint8_t>[]> failover_;  // cp writes, workers read
    std::uint32_t trunks_ = 0;
    std::unordered_map<std::uint64_t, SourceRefs> source_refs_;  // cp only, per key
    std::deque<Retired> retired_;                              // cp only
    LocationStats stats_;                                      // cp only
    std::uint64_t version_ = 0;                                // cp only
    std::string error_;                                        // why init failed
};

/// Source-index key of ip:port.
constexpr std::uint64_t location_key_ip_port(std::uint32_t ip, std::uint16_t port) noexcept {
    return (1ull << 62) | (static_cast<std::uint64_t>(ip) << 16) | port;
}
/// Source-index key of ip alone.
constexpr std::uint64_t location_key_ip(std::uint32_t ip) noexcept {
    return (1ull << 63) | ip;
}

}  // namespace palisade::dp
