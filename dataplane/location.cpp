// Location state: see dataplane/contract/location.hpp for the design (single writer, RCU records,
// seqlock open-addressing maps).
#include "dataplane/contract/location.hpp"

#include <rte_rcu_qsbr.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>
#include <type_traits>

namespace palisade::dp {
namespace {

// Records are freed with ::operator delete and no destructor calls: nothing in them owns memory.
static_assert(std::is_trivially_destructible_v<AccountLocation>);
static_assert(std::is_trivially_destructible_v<LocationContact>);
static_assert(alignof(LocationContact) <= alignof(AccountLocation));
static_assert(sizeof(AccountLocation) % alignof(LocationContact) == 0);

std::uint32_t round_pow2(std::uint64_t n) {
    std::uint64_t c = 16;
    while (c < n) c <<= 1;
    return static_cast<std::uint32_t>(c);
}

// 64-bit mix (splitmix64 finaliser): keys are addresses, which cluster.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

// FNV-1a over the username, mixed; never 0 (0 marks an empty slot).
std::uint64_t name_hash(std::string_view s) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ull;
    }
    h = mix64(h);
    return h == 0 ? 1 : h;
}

}  // namespace

// ---- SeqlockMap ----

SeqlockMap::SeqlockMap(std::uint32_t capacity) noexcept {
    const std::uint32_t n = round_pow2(capacity > kMaxLocationSlots ? kMaxLocationSlots : capacity);
    slots_.reset(new (std::nothrow) Slot[n]);
    mask_ = slots_ ? n - 1 : 0;
}

std::uint32_t SeqlockMap::find(std::uint64_t key) const noexcept {
    if (!slots_) return kNone;
    std::uint32_t i = static_cast<std::uint32_t>(mix64(key)) & mask_;
    for (std::uint32_t probes = 0; probes <= mask_; ++probes, i = (i + 1) & mask_) {
        const Slot& s = slots_[i];
        for (;;) {
            const std::uint32_t s1 = s.seq.load(std::memory_order_acquire);
            if (s1 & 1u) continue;  // the writer is inside this slot: a few instructions
            const std::uint64_t k = s.key.load(std::memory_order_relaxed);
            const std::uint32_t v = s.value.load(std::memory_order_relaxed);
            std::atomic_thread_fence(std::memory_order_acquire);
            if (s.seq.load(std::memory_order_relaxed) != s1) continue;
            if (k == 0) return kNone;  // end of the chain
            if (k == key) return v;    // kNone for a tombstone
            break;
        }
    }
    return kNone;
}

bool SeqlockMap::put(std::uint64_t key, std::uint32_t value) noexcept {
    if (!slots_) return false;
    std::uint32_t i = static_cast<std::uint32_t>(mix64(key)) & mask_;
    std::uint32_t reuse = mask_ + 1;  // first tombstone on the chain
    for (std::uint32_t probes = 0; probes <= mask_; ++probes, i = (i + 1) & mask_) {
        Slot& s = slots_[i];
        const std::uint64_t k = s.key.load(std::memory_order_relaxed);
        if (k == key) {
            if (s.value.load(std::memory_order_relaxed) == kNone) ++live_;
            // One 32-bit store: readers see the old or the new value, never a torn pair.
            s.value.store(value, std::memory_order_release);
            return true;
        }
        if (k == 0) break;
        if (reuse > mask_ && s.value.load(std::memory_order_relaxed) == kNone) reuse = i;
    }
    if (reuse > mask_) {
        if ((used_ + 1) * 4ull > (mask_ + 1ull) * 3ull) return false;
        reuse = i;
        ++used_;
    }
    Slot& s = slots_[reuse];
    const std::uint32_t seq = s.seq.load(std::memory_order_relaxed);
    s.seq.store(seq + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    s.key.store(key, std::memory_order_relaxed);
    s.value.store(value, std::memory_order_relaxed);
    s.seq.store(seq + 2, std::memory_order_release);
    ++live_;
    return true;
}

void SeqlockMap::erase(std::uint64_t key) noexcept {
    if (!slots_) return;
    std::uint32_t i = static_cast<std::uint32_t>(mix64(key)) & mask_;
    for (std::uint32_t probes = 0; probes <= mask_; ++probes, i = (i + 1) & mask_) {
        Slot& s = slots_[i];
        const std::uint64_t k = s.key.load(std::memory_order_relaxed);
        if (k == 0) return;
        if (k == key) {
            if (s.value.load(std::memory_order_relaxed) != kNone) {
                s.value.store(kNone, std::memory_order_release);
                --live_;
            }
            return;
        }
    }
}

// ---- LocationTable ----

LocationTable::LocationTable(const LocationLimits& limits) noexcept {
    init(limits, error_);  // failure leaves the table empty: ok() and error() say so
}

std::unique_ptr<LocationTable> LocationTable::create(const LocationLimits& limits, std::string& error) noexcept {
    std::unique_ptr<LocationTable> t(new (std::nothrow) LocationTable(limits));
    if (!t) {
        error = "location table: out of memory";
        return nullptr;
    }
    if (!t->ok()) {
        error = t->error();
        return nullptr;
    }
    return t;
}

bool LocationTable::init(const LocationLimits& limits, std::string& error) noexcept {
    // std::string may throw on a message; nothing else below does (nothrow allocations).
    auto fail = [&](const char* what, std::uint64_t count, std::uint64_t octets) {
        char b[192];
        std::snprintf(b, sizeof b, "location table: cannot allocate the %s (%llu slots, %llu MiB)", what,
                      static_cast<unsigned long long>(count), static_cast<unsigned long long>(octets >> 20));
        error = b;
        return false;
    };
    const struct {
        const char* name;
        std::uint32_t value;
    } checks[] = {{"accounts", limits.accounts}, {"sources", limits.sources}, {"blocked", limits.blocked},
                  {"trunks", limits.trunks}, {"max_readers", limits.max_readers}};
    for (const auto& c : checks)
        if (c.value == 0 || c.value > kMaxLocationSlots) {
            char b[160];
            std::snprintf(b, sizeof b, "location table: %s = %u is out of range (1..%u)", c.name, c.value,
                          kMaxLocationSlots);
            error = b;
            return false;
        }
    const std::uint32_t account_slots = round_pow2(2ull * limits.accounts);
    std::unique_ptr<AccountSlot[]> accounts(new (std::nothrow) AccountSlot[account_slots]);
    if (!accounts) return fail("account slots", account_slots, std::uint64_t{account_slots} * sizeof(AccountSlot));
    std::unique_ptr<SeqlockMap> sources(new (std::nothrow) SeqlockMap(limits.sources));
    if (!sources || !sources->ok())
        return fail("source index", round_pow2(limits.sources), std::uint64_t{round_pow2(limits.sources)} * 16);
    std::unique_ptr<SeqlockMap> blocked(new (std::nothrow) SeqlockMap(limits.blocked));
    if (!blocked || !blocked->ok())
        return fail("blocked list", round_pow2(limits.blocked), std::uint64_t{round_pow2(limits.blocked)} * 16);
    std::unique_ptr<std::atomic<std::uint8_t>[]> failover(new (std::nothrow) std::atomic<std::uint8_t>[limits.trunks]);
    if (!failover) return fail("failover modes", limits.trunks, limits.trunks);
    for (std::uint32_t t = 0; t < limits.trunks; ++t) failover[t].store(0, std::memory_order_relaxed);
    const std::size_t size = rte_rcu_qsbr_get_memsize(limits.max_readers);
    const std::size_t rounded = (size + 63) / 64 * 64;
    void* mem = std::aligned_alloc(64, rounded);
    if (mem == nullptr) return fail("RCU reader state", limits.max_readers, rounded);
    if (rte_rcu_qsbr_init(static_cast<rte_rcu_qsbr*>(mem), limits.max_readers) != 0) {
        std::free(mem);
        error = "location table: rte_rcu_qsbr_init failed";
        return false;
    }
    // Everything allocated: commit (readers cannot see the table before init returns).
    max_readers_ = limits.max_readers;
    accounts_ = std::move(accounts);
    account_mask_ = account_slots - 1;
    sources_.store(sources.release(), std::memory_order_release);
    blocked_.store(blocked.release(), std::memory_order_release);
    failover_ = std::move(failover);
    trunks_ = limits.trunks;
    qsbr_ = static_cast<rte_rcu_qsbr*>(mem);
    return true;
}

LocationTable::~LocationTable() {
    for (std::uint32_t i = 0; accounts_ && i <= account_mask_; ++i) {
        const AccountLocation* r = accounts_[i].record.load(std::memory_order_relaxed);
        if (r != nullptr) {
            ::operator delete(const_cast<AccountLocation*>(r));
        }
    }
    for (const Retired& r : retired_) {
        ::operator delete(const_cast<AccountLocation*>(r.record));
        delete r.map;
    }
    delete sources_.load();
    delete blocked_.load();
    std::free(qsbr_);
}

bool LocationTable::register_reader(std::uint32_t id) noexcept {
    if (id >= max_readers_ || qsbr_ == nullptr) return false;
    if (rte_rcu_qsbr_thread_register(qsbr_, id) != 0) return false;
    rte_rcu_qsbr_thread_online(qsbr_, id);
    return true;
}

void LocationTable::unregister_reader(std::uint32_t id) noexcept {
    if (id >= max_readers_) return;
    rte_rcu_qsbr_thread_offline(qsbr_, id);
    rte_rcu_qsbr_thread_unregister(qsbr_, id);
}

void LocationTable::reader_online(std::uint32_t id) noexcept {
    if (id < max_readers_) rte_rcu_qsbr_thread_online(qsbr_, id);
}

void LocationTable::reader_offline(std::uint32_t id) noexcept {
    if (id < max_readers_) rte_rcu_qsbr_thread_offline(qsbr_, id);
}

void LocationTable::quiescent(std::uint32_t id) noexcept {
    if (id < max_readers_) rte_rcu_qsbr_quiescent(qsbr_, id);
}

const LocationTable::AccountSlot* LocationTable::find_slot(std::string_view username,
                                                           std::uint64_t h) const noexcept {
    if (!accounts_) return nullptr;  // empty table (init not called or failed)
    std::uint32_t i = static_cast<std::uint32_t>(h) & account_mask_;
    for (std::uint32_t probes = 0; probes <= account_mask_; ++probes, i = (i + 1) & account_mask_) {
        const AccountSlot& s = accounts_[i];
        const std::uint64_t k = s.hash.load(std::memory_order_acquire);
        if (k == 0) return nullptr;
        if (k != h) continue;
        const AccountLocation* r = s.record.load(std::memory_order_acquire);
        // A slot keeps its username for life; with no record we cannot compare names, so keep
        // probing (a 64-bit collision is the only way another slot could hold this name).
        if (r != nullptr && r->username() == username) return &s;
    }
    return nullptr;
}

const AccountLocation* LocationTable::account(std::string_view username) const noexcept {
    const AccountSlot* s = find_slot(username, name_hash(username));
    return s == nullptr ? nullptr : s->record.load(std::memory_order_acquire);
}

std::span<const LocationContact> LocationTable::contacts(std::string_view username) const noexcept {
    const AccountLocation* r = account(username);
    if (r == nullptr) return {};
    return r->contacts();
}

bool LocationTable::is_known_source(std::uint32_t ip, std::uint16_t port) const noexcept {
    const SeqlockMap* m = sources_.load(std::memory_order_acquire);
    if (m == nullptr) return false;
    return m->find(location_key_ip_port(ip, port)) != SeqlockMap::kNone ||
           m->find(location_key_ip(ip)) != SeqlockMap::kNone;
}

std::uint32_t LocationTable::trunk_for_source(std::uint32_t ip, std::uint16_t port) const noexcept {
    const SeqlockMap* m = sources_.load(std::memory_order_acquire);
    if (m == nullptr) return kNoTrunkKey;
    std::uint32_t v = m->find(location_key_ip_port(ip, port));
    if (v == SeqlockMap::kNone) v = m->find(location_key_ip(ip));
    return v == SeqlockMap::kNone ? kNoTrunkKey : v;
}

bool LocationTable::is_blocked(std::uint32_t ip, std::uint64_t now_s) const noexcept {
    const SeqlockMap* m = blocked_.load(std::memory_order_acquire);
    if (m == nullptr) return false;
    const std::uint32_t until = m->find(location_key_ip(ip));
    return until != SeqlockMap::kNone && now_s < until;
}

FailoverMode LocationTable::failover_state(std::uint32_t trunk_key) const noexcept {
    if (trunk_key >= trunks_) return FailoverMode::automatic;
    return static_cast<FailoverMode>(failover_[trunk_key].load(std::memory_order_relaxed));
}

// ---- writer ----

void LocationTable::source_add(std::uint64_t key, std::uint32_t trunk) {
    SourceRefs& refs = source_refs_[key];
    if (refs.first.count == 0) {
        refs.first = SourceRef{trunk, 1};  // a new key: no allocation beyond the map's node
    } else if (refs.first.trunk == trunk) {
        ++refs.first.count;
    } else {
        bool found = false;
        for (SourceRef& r : refs.more)
            if (r.trunk == trunk) {
                ++r.count;
                found = true;
            }
        if (!found) refs.more.push_back(SourceRef{trunk, 1});
    }
    const std::uint32_t v = refs.more.empty() ? refs.first.trunk : kAmbiguousTrunkKey;
    if (!map_put(sources_, key, v)) ++stats_.sources_full;
}

void LocationTable::source_remove(std::uint64_t key, std::uint32_t trunk) {
    auto it = source_refs_.find(key);
    if (it == source_refs_.end()) return;
    SourceRefs& refs = it->second;
    if (refs.first.trunk == trunk) {
        if (--refs.first.count == 0) {
            if (refs.more.empty()) {
                source_refs_.erase(it);
                sources_.load(std::memory_order_relaxed)->erase(key);
                return;
            }
            refs.first = refs.more.back();
            refs.more.pop_back();
        }
    } else {
        for (std::size_t i = 0; i < refs.more.size(); ++i)
            if (refs.more[i].trunk == trunk && --refs.more[i].count == 0) {
                refs.more.erase(refs.more.begin() + static_cast<std::ptrdiff_t>(i));
                break;
            }
    }
    if (!map_put(sources_, key, refs.more.empty() ? refs.first.trunk : kAmbiguousTrunkKey)) ++stats_.sources_full;
}

void LocationTable::retire(const AccountLocation* rec) {
    // A token taken after the swap: once every reader has passed it, none can hold `rec`.
    retired_.push_back(Retired{rte_rcu_qsbr_start(qsbr_), rec, nullptr});
    ++stats_.records_retired;
}

bool LocationTable::set_contacts(std::string_view username, std::uint32_t trunk_key, LocationRole role,
                                 std::span<const ContactInput> contacts) {
    if (!ok() || contacts.size() > kMaxContactsPerAccount || username.empty() || username.size() > 0xffff)
        return false;
    std::size_t arena = username.size();
    for (const ContactInput& c : contacts) {
        if (c.uri.size() > kMaxContactUri) return false;
        arena += c.uri.size();
    }
    // Find or claim the username's slot.
    AccountSlot* slot = nullptr;
    auto idx = account_index_.find(username);
    if (idx != account_index_.end()) {
        slot = &accounts_[idx->second];
    } else {
        if (contacts.empty()) return true;  // nothing to remove
        if ((account_used_ + 1) * 2ull > account_mask_ + 1ull) {
            ++stats_.accounts_full;
            return false;
        }
        const std::uint64_t h = name_hash(username);
        std::uint32_t i = static_cast<std::uint32_t>(h) & account_mask_;
        while (accounts_[i].hash.load(std::memory_order_relaxed) != 0) i = (i + 1) & account_mask_;
        slot = &accounts_[i];
        ++account_used_;
        account_index_.emplace(std::string(username), i);
        // The hash is published before any record: a reader that sees it with a null record
        // keeps probing, which is correct (no record = no contacts).
        slot->hash.store(h, std::memory_order_release);
    }
    const AccountLocation* old = slot->record.load(std::memory_order_relaxed);

    AccountLocation* rec = nullptr;
    if (!contacts.empty()) {
        const std::size_t head = sizeof(AccountLocation) + contacts.size() * sizeof(LocationContact);
        void* mem = ::operator new(head + arena);
        rec = new (mem) AccountLocation();
        auto* cs = reinterpret_cast<LocationContact*>(static_cast<char*>(mem) + sizeof(AccountLocation));
        for (std::size_t i = 0; i < contacts.size(); ++i) new (cs + i) LocationContact();
        rec->contact_ptr = cs;
        char* text = static_cast<char*>(mem) + head;
        std::memcpy(text, username.data(), username.size());
        rec->username_ptr = text;
        rec->username_len = static_cast<std::uint16_t>(username.size());
        text += username.size();
        rec->version = ++version_;
        rec->trunk_key = trunk_key;
        rec->role = role;
        rec->count = static_cast<std::uint8_t>(contacts.size());
        for (std::size_t i = 0; i < contacts.size(); ++i) {
            const ContactInput& in = contacts[i];
            LocationContact& c = cs[i];
            c.ip = in.ip;
            c.port = in.port;
            c.iface = in.iface;
            c.contact_id = in.contact_id;
            c.expires_at_s.store(in.expires_at_s, std::memory_order_relaxed);
            std::memcpy(text, in.uri.data(), in.uri.size());
            c.uri_ptr = text;
            c.uri_len = static_cast<std::uint16_t>(in.uri.size());
            text += in.uri.size();
            std::uint8_t reach = 0;
            if (old != nullptr)
                for (const LocationContact& o : old->contacts())
                    if (o.contact_id == in.contact_id) reach = o.reachability.load(std::memory_order_relaxed);
            c.reachability.store(reach, std::memory_order_relaxed);
        }
    }
    // Source index: add the new keys before removing the old ones, so that an address present
    // in both never disappears for a reader.
    for (const ContactInput& c : contacts) {
        source_add(location_key_ip_port(c.ip, c.port), trunk_key);
        source_add(location_key_ip(c.ip), trunk_key);
    }
    slot->record.store(rec, std::memory_order_release);
    if (old != nullptr) {
        for (const LocationContact& c : old->contacts()) {
            source_remove(location_key_ip_port(c.ip, c.port), old->trunk_key);
            source_remove(location_key_ip(c.ip), old->trunk_key);
        }
        stats_.contacts -= old->count;
        --stats_.accounts_with_contacts;
        stats_.bytes -= sizeof(AccountLocation) + old->count * sizeof(LocationContact) + old->username_len;
        for (const LocationContact& c : old->contacts()) stats_.bytes -= c.uri_len;
        retire(old);
    }
    if (rec != nullptr) {
        ++stats_.records_published;
        stats_.contacts += rec->count;
        ++stats_.accounts_with_contacts;
        stats_.bytes += sizeof(AccountLocation) + rec->count * sizeof(LocationContact) + arena;
    }
    return true;
}

bool LocationTable::set_reachability(std::string_view username, std::uint32_t contact_id,
                                     Reachability r) noexcept {
    const AccountLocation* rec = account(username);
    if (rec == nullptr) return false;
    for (const LocationContact& c : rec->contacts())
        if (c.contact_id == contact_id) {
            // The record is immutable except this byte, which only cp writes.
            const_cast<LocationContact&>(c).reachability.store(static_cast<std::uint8_t>(r),
                                                               std::memory_order_relaxed);
            return true;
        }
    return false;
}

bool LocationTable::set_expiry(std::string_view username, std::uint32_t contact_id,
                               std::uint64_t expires_at_s) noexcept {
    const AccountLocation* rec = account(username);
    if (rec == nullptr) return false;
    for (const LocationContact& c : rec->contacts())
        if (c.contact_id == contact_id) {
            const_cast<LocationContact&>(c).expires_at_s.store(expires_at_s, std::memory_order_relaxed);
            return true;
        }
    return false;
}

bool LocationTable::set_failover(std::uint32_t trunk_key, FailoverMode mode) noexcept {
    if (trunk_key >= trunks_) return false;
    failover_[trunk_key].store(static_cast<std::uint8_t>(mode), std::memory_order_relaxed);
    return true;
}

bool LocationTable::block(std::uint32_t ip, std::uint64_t until_s) noexcept {
    const std::uint32_t until = until_s >= SeqlockMap::kNone ? SeqlockMap::kNone - 1
                                                             : static_cast<std::uint32_t>(until_s);
    if (!map_put(blocked_, location_key_ip(ip), until)) {
        ++stats_.blocked_full;
        return false;
    }
    return true;
}

void LocationTable::unblock(std::uint32_t ip) noexcept {
    if (SeqlockMap* m = blocked_.load(std::memory_order_relaxed)) m->erase(location_key_ip(ip));
}

bool LocationTable::map_put(std::atomic<SeqlockMap*>& map, std::uint64_t key, std::uint32_t value) {
    SeqlockMap* cur = map.load(std::memory_order_relaxed);
    if (cur == nullptr) return false;  // empty table
    if (cur->put(key, value)) return true;
    // No room on the key's chain: tombstones have piled up (or the map is really full). Rebuild
    // from the live keys; readers keep the old map until their next quiescent point.
    if (cur->size() + 1ull > cur->capacity() / 2ull) return false;  // really full: refuse
    std::unique_ptr<SeqlockMap> fresh(new (std::nothrow) SeqlockMap(cur->capacity()));
    if (!fresh || !fresh->ok()) return false;  // no memory for the rebuild: refused, counted by the caller
    cur->for_each([&](std::uint64_t k, std::uint32_t v) { fresh->put(k, v); });
    if (!fresh->put(key, value)) return false;
    map.store(fresh.release(), std::memory_order_release);
    retired_.push_back(Retired{rte_rcu_qsbr_start(qsbr_), nullptr, cur});
    ++stats_.map_rebuilds;
    return true;
}

std::size_t LocationTable::reclaim() noexcept {
    std::size_t freed = 0;
    while (!retired_.empty()) {
        const Retired& r = retired_.front();
        if (rte_rcu_qsbr_check(qsbr_, r.token, false) == 0) break;  // tokens are in order
        if (r.record != nullptr) ++freed;
        ::operator delete(const_cast<AccountLocation*>(r.record));
        delete r.map;
        retired_.pop_front();
    }
    stats_.records_freed += freed;
    return freed;
}

void LocationTable::synchronize() noexcept {
    if (retired_.empty()) return;
    const std::uint64_t token = retired_.back().token;
    for (unsigned spins = 0; rte_rcu_qsbr_check(qsbr_, token, false) == 0; ++spins) {
        if (spins < 64)
            std::this_thread::yield();
        else
            std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
    reclaim();
}

LocationStats LocationTable::stats() const noexcept {
    LocationStats s = stats_;
    if (!ok()) return s;
    s.bytes += (account_mask_ + 1ull) * sizeof(AccountSlot) + sources_.load()->bytes() +
               blocked_.load()->bytes() + trunks_;
    return s;
}

}  // namespace palisade::dp
