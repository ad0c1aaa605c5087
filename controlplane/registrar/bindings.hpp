// The registrar's own record of bindings (cp only, never read by workers: they read the
// LocationTable the registrar publishes). A slab of bindings with a free list, accounts by
// username, and an indexed min-heap on expiry: one entry per binding, so no stale timer entries
// pile up at 100,000 REGISTERs a second, and a tick pops only what has expired.
//
// The heap is lazy for refreshes: an entry's key is the time the binding must be looked at,
// never later than its expiry. A refresh that moves the expiry later (the usual case) only
// writes the binding's expires_at and leaves the heap alone (no sift, no cache misses along a
// path of log n entries); when the entry reaches the top, expired() finds the binding was
// extended and re-keys it (one sift down). A refresh that shortens the expiry sifts the entry up
// at once. Keys live in the heap array, so comparisons never touch the slab.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/contract/location.hpp"

namespace palisade::cp {

/// "No account" / "no binding".
inline constexpr std::uint32_t kNoIndex = 0xffffffffu;

/// One binding's data (RFC 3261 §10.3: AOR -> contact, with Call-ID, CSeq and expiry).
struct BindingData {
    std::string uri;          ///< the Contact URI (inside <>), as registered
    std::string call_id;      ///< of the REGISTER that last updated it
    std::uint32_t cseq = 0;
    std::uint64_t expires_at = 0;  ///< Unix seconds
    std::uint32_t ip = 0;     ///< packet source, host order (RFC 3581: the real address)
    std::uint16_t port = 0;
    std::uint16_t iface = 0;
};

/// A binding in the slab.
struct Binding : BindingData {
    std::uint32_t account = kNoIndex;
    std::uint32_t heap_pos = kNoIndex;
    std::uint32_t contact_id = 0;  ///< slab index | generation << 24: LocationContact::contact_id
    bool live = false;
};

/// One account's bindings.
struct AccountBindings {
    std::string username;
    std::uint32_t trunk_key = dp::kNoTrunkKey;
    dp::LocationRole role = dp::LocationRole::primary;
    std::uint8_t count = 0;
    std::uint8_t cached_role = 0;        ///< policy AccountRole cached with cached_trunk
    bool staged = false;                 ///< restored, not yet published (Registrar::stage_restore)
    std::uint32_t ids[dp::kMaxContactsPerAccount] = {};  ///< slab indices, registration order
    /// The account's trunk index in the policy snapshot of generation cached_generation (saves
    /// the snapshot's username search on every refresh; 0 = nothing cached).
    std::uint64_t cached_generation = 0;
    std::uint32_t cached_trunk = 0;
};

/// Bindings by account with expiry order. cp only.
class BindingStore {
public:
    /// Account index of `username`, or kNoIndex.
    [[nodiscard]] std::uint32_t find_account(std::string_view username) const;
    /// The account's index, created when new (trunk and role updated when it exists).
    std::uint32_t upsert_account(std::string_view username, std::uint32_t trunk_key, dp::LocationRole role);
    [[nodiscard]] AccountBindings& account(std::uint32_t a) noexcept { return accounts_[a]; }
    [[nodiscard]] const AccountBindings& account(std::uint32_t a) const noexcept { return accounts_[a]; }
    [[nodiscard]] std::size_t account_count() const noexcept { return accounts_.size(); }

    [[nodiscard]] Binding& binding(std::uint32_t id) noexcept { return slab_[id]; }
    [[nodiscard]] const Binding& binding(std::uint32_t id) const noexcept { return slab_[id]; }
    /// Adds a binding to account `a` (which has room); returns its slab index. With
    /// `defer_heap` the expiry heap is left unordered until rebuild_heap() (bulk restore: one
    /// O(n) heapify instead of n sifts); expired() must not be called in between.
    std::uint32_t add(std::uint32_t a, BindingData&& data, bool defer_heap = false);
    /// Restores the heap order after deferred adds: O(n).
    void rebuild_heap() noexcept;
    /// Room for `bindings` bindings and `accounts` accounts (bulk restore), so the slab and the
    /// name index grow once.
    void reserve(std::size_t bindings, std::size_t accounts);
    /// Removes binding `id` from its account, the heap and the slab.
    void remove(std::uint32_t id);
    /// Moves binding `id`'s expiry.
    void set_expiry(std::uint32_t id, std::uint64_t at) noexcept;
    /// The binding that expires first if it has expired at now_s, else kNoIndex (re-keys the
    /// entries of bindings extended since they were keyed, on the way).
    [[nodiscard]] std::uint32_t expired(std::uint64_t now_s) noexcept;
    /// Live bindings.
    [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }
    /// Approximate memory (slab, heap, accounts, strings), octets.
    [[nodiscard]] std::size_t bytes() const noexcept;

private:
    void rehash(std::size_t slots);  // slots: a power of two
    void sift_up(std::size_t i) noexcept;
    void sift_down(std::size_t i) noexcept;
    struct HeapEntry {
        std::uint64_t key;  // when to look at the binding: <= its expires_at
        std::uint32_t id;   // slab index
    };
    void place(std::size_t i, HeapEntry e) noexcept {
        heap_[i] = e;
        slab_[e.id].heap_pos = static_cast<std::uint32_t>(i);
    }

    std::vector<AccountBindings> accounts_;
    // Accounts by username: open addressing, linear probing, never more than half full. A slot
    // is (hash's high 32 bits << 32 | account index), kEmptySlot when free; accounts are never
    // removed, so there are no tombstones. One cache line per lookup (then the account itself,
    // whose username confirms the match), where a node-based map costs a bucket, a node and
    // the key's string.
    static constexpr std::uint64_t kEmptySlot = ~std::uint64_t{0};
    std::vector<std::uint64_t> by_name_;
    std::vector<Binding> slab_;
    std::vector<std::uint32_t> free_;
    std::vector<HeapEntry> heap_;  // min-heap on key
    std::vector<std::uint8_t> generation_;
};

}  // namespace palisade::cp
