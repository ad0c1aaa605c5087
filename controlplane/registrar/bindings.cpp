#include "controlplane/registrar/bindings.hpp"

namespace palisade::cp {

namespace {
std::uint64_t name_hash(std::string_view s) noexcept {
    return std::hash<std::string_view>{}(s);
}
}  // namespace

std::uint32_t BindingStore::find_account(std::string_view username) const {
    if (by_name_.empty()) return kNoIndex;
    const std::uint64_t h = name_hash(username);
    const std::size_t mask = by_name_.size() - 1;
    const std::uint64_t tag = h >> 32;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
        const std::uint64_t slot = by_name_[i];
        if (slot == kEmptySlot) return kNoIndex;
        if ((slot >> 32) == tag) {
            const auto a = static_cast<std::uint32_t>(slot);
            if (accounts_[a].username == username) return a;
        }
    }
}

void BindingStore::rehash(std::size_t slots) {
    std::vector<std::uint64_t> next(slots, kEmptySlot);
    const std::size_t mask = next.size() - 1;
    for (std::uint32_t a = 0; a < accounts_.size(); ++a) {
        const std::uint64_t h = name_hash(accounts_[a].username);
        std::size_t i = h & mask;
        while (next[i] != kEmptySlot) i = (i + 1) & mask;
        next[i] = (h >> 32) << 32 | a;
    }
    by_name_.swap(next);
}

std::uint32_t BindingStore::upsert_account(std::string_view username, std::uint32_t trunk_key,
                                           dp::LocationRole role) {
    std::uint32_t a = find_account(username);
    if (a == kNoIndex) {
        a = static_cast<std::uint32_t>(accounts_.size());
        accounts_.emplace_back();
        accounts_.back().username = std::string(username);
        if (accounts_.size() * 2 > by_name_.size()) {
            rehash(by_name_.empty() ? 64 : by_name_.size() * 2);  // re-inserts every account, this one included
        } else {
            const std::uint64_t h = name_hash(username);
            const std::size_t mask = by_name_.size() - 1;
            std::size_t i = h & mask;
            while (by_name_[i] != kEmptySlot) i = (i + 1) & mask;
            by_name_[i] = (h >> 32) << 32 | a;
        }
    }
    accounts_[a].trunk_key = trunk_key;
    accounts_[a].role = role;
    return a;
}

std::uint32_t BindingStore::add(std::uint32_t a, BindingData&& data, bool defer_heap) {
    std::uint32_t id;
    if (!free_.empty()) {
        id = free_.back();
        free_.pop_back();
    } else {
        id = static_cast<std::uint32_t>(slab_.size());
        slab_.emplace_back();
        generation_.push_back(0);
    }
    Binding& b = slab_[id];
    static_cast<BindingData&>(b) = std::move(data);
    b.account = a;
    b.live = true;
    b.contact_id = (id & 0xffffffu) | static_cast<std::uint32_t>(++generation_[id]) << 24;
    AccountBindings& acc = accounts_[a];
    acc.ids[acc.count++] = id;
    heap_.push_back(HeapEntry{b.expires_at, id});
    b.heap_pos = static_cast<std::uint32_t>(heap_.size() - 1);
    if (!defer_heap) sift_up(heap_.size() - 1);
    return id;
}

void BindingStore::rebuild_heap() noexcept {
    // Floyd's heapify: sift down every inner node, last first.
    for (std::size_t i = heap_.size() / 2; i-- > 0;) sift_down(i);
}

void BindingStore::reserve(std::size_t bindings, std::size_t accounts) {
    slab_.reserve(bindings);
    generation_.reserve(bindings);
    heap_.reserve(bindings);
    accounts_.reserve(accounts);
    if (accounts * 2 > by_name_.size()) {
        std::size_t n = 64;
        while (n < accounts * 2) n *= 2;
        rehash(n);
    }
}

void BindingStore::remove(std::uint32_t id) {
    Binding& b = slab_[id];
    if (!b.live) return;
    AccountBindings& acc = accounts_[b.account];
    for (std::uint8_t i = 0; i < acc.count; ++i)
        if (acc.ids[i] == id) {
            for (std::uint8_t j = i; j + 1 < acc.count; ++j) acc.ids[j] = acc.ids[j + 1];
            --acc.count;
            break;
        }
    const std::size_t pos = b.heap_pos;
    const HeapEntry last = heap_.back();
    heap_.pop_back();
    if (pos < heap_.size()) {
        place(pos, last);
        sift_up(pos);
        sift_down(slab_[last.id].heap_pos);
    }
    b.live = false;
    b.heap_pos = kNoIndex;
    b.uri.clear();
    b.uri.shrink_to_fit();
    b.call_id.clear();
    b.call_id.shrink_to_fit();
    free_.push_back(id);
}

void BindingStore::set_expiry(std::uint32_t id, std::uint64_t at) noexcept {
    Binding& b = slab_[id];
    b.expires_at = at;
    // Later (or equal): the entry's key is still a valid "look by" time; expired() re-keys it.
    if (at < heap_[b.heap_pos].key) {
        heap_[b.heap_pos].key = at;
        sift_up(b.heap_pos);
    }
}

std::uint32_t BindingStore::expired(std::uint64_t now_s) noexcept {
    while (!heap_.empty() && heap_[0].key <= now_s) {
        const std::uint32_t id = heap_[0].id;
        const std::uint64_t at = slab_[id].expires_at;
        if (at <= now_s) return id;
        heap_[0].key = at;  // extended since it was keyed: look again then
        sift_down(0);
    }
    return kNoIndex;
}

void BindingStore::sift_up(std::size_t i) noexcept {
    const HeapEntry e = heap_[i];
    while (i > 0) {
        const std::size_t parent = (i - 1) / 2;
        if (heap_[parent].key <= e.key) break;
        place(i, heap_[parent]);
        i = parent;
    }
    place(i, e);
}

void BindingStore::sift_down(std::size_t i) noexcept {
    const std::size_t n = heap_.size();
    const HeapEntry e = heap_[i];
    for (;;) {
        std::size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && heap_[c + 1].key < heap_[c].key) ++c;
        if (heap_[c].key >= e.key) break;
        place(i, heap_[c]);
        i = c;
    }
    place(i, e);
}

std::size_t BindingStore::bytes() const noexcept {
    std::size_t n = slab_.capacity() * sizeof(Binding) + heap_.capacity() * sizeof(HeapEntry) + free_.capacity() * 4 +
                    generation_.capacity() + accounts_.capacity() * sizeof(AccountBindings) +
                    by_name_.capacity() * sizeof(std::uint64_t);
    for (const Binding& b : slab_) {
        if (b.uri.capacity() > 15) n += b.uri.capacity() + 1;
        if (b.call_id.capacity() > 15) n += b.call_id.capacity() + 1;
    }
    return n;
}

}  // namespace palisade::cp
