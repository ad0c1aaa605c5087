// The registrar's own record of bindings (cp only, never read by workers: they read the
// LocationTable the registrar publishes). A slab of bindings with a free list, accounts by
// username, and an indexed min-heap on expiry so that refreshing a binding moves its one heap
// entry (O(log n)) and a tick pops only what has expired: no stale timer entries pile up at
// 100,000 REGISTERs a second.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
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
    /// Adds a binding to account `a` (which has room); returns its slab index.
    std::uint32_t add(std::uint32_t a, BindingData&& data);
    /// Removes binding `id` from its account, the heap and the slab.
    void remove(std::uint32_t id);
    /// Moves binding `id`'s expiry.
    void set_expiry(std::uint32_t id, std::uint64_t at) noexcept;
    /// The binding that expires first if it has expired at now_s, else kNoIndex.
    [[nodiscard]] std::uint32_t expired(std::uint64_t now_s) const noexcept;
    /// Live bindings.
    [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }
    /// Approximate memory (slab, heap, accounts, strings), octets.
    [[nodiscard]] std::size_t bytes() const noexcept;

private:
    struct NameHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    void sift_up(std::size_t i) noexcept;
    void sift_down(std::size_t i) noexcept;
    void place(std::size_t i, std::uint32_t id) noexcept {
        heap_[i] = id;
        slab_[id].heap_pos = static_cast<std::uint32_t>(i);
    }

    std::vector<AccountBindings> accounts_;
    std::unordered_map<std::string, std::uint32_t, NameHash, std::equal_to<>> by_name_;
    std::vector<Binding> slab_;
    std::vector<std::uint32_t> free_;
    std::vector<std::uint32_t> heap_;  // slab indices, min-heap on expires_at
    std::vector<std::uint8_t> generation_;
};

}  // namespace palisade::cp
