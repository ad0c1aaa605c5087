#include "controlplane/registrar/bindings.hpp"

namespace palisade::cp {

std::uint32_t BindingStore::find_account(std::string_view username) const {
    const auto it = by_name_.find(username);
    return it == by_name_.end() ? kNoIndex : it->second;
}

std::uint32_t BindingStore::upsert_account(std::string_view username, std::uint32_t trunk_key,
                                           dp::LocationRole role) {
    std::uint32_t a = find_account(username);
    if (a == kNoIndex) {
        a = static_cast<std::uint32_t>(accounts_.size());
        accounts_.emplace_back();
        accounts_.back().username = std::string(username);
        by_name_.emplace(std::string(username), a);
    }
    accounts_[a].trunk_key = trunk_key;
    accounts_[a].role = role;
    return a;
}

std::uint32_t BindingStore::add(std::uint32_t a, BindingData&& data) {
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
    heap_.push_back(id);
    b.heap_pos = static_cast<std::uint32_t>(heap_.size() - 1);
    sift_up(heap_.size() - 1);
    return id;
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
    const std::uint32_t last = heap_.back();
    heap_.pop_back();
    if (pos < heap_.size()) {
        place(pos, last);
        sift_up(pos);
        sift_down(slab_[last].heap_pos);
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
    sift_up(b.heap_pos);
    sift_down(b.heap_pos);
}

std::uint32_t BindingStore::expired(std::uint64_t now_s) const noexcept {
    if (heap_.empty() || slab_[heap_[0]].expires_at > now_s) return kNoIndex;
    return heap_[0];
}

void BindingStore::sift_up(std::size_t i) noexcept {
    const std::uint32_t id = heap_[i];
    const std::uint64_t key = slab_[id].expires_at;
    while (i > 0) {
        const std::size_t parent = (i - 1) / 2;
        if (slab_[heap_[parent]].expires_at <= key) break;
        place(i, heap_[parent]);
        i = parent;
    }
    place(i, id);
}

void BindingStore::sift_down(std::size_t i) noexcept {
    const std::size_t n = heap_.size();
    const std::uint32_t id = heap_[i];
    const std::uint64_t key = slab_[id].expires_at;
    for (;;) {
        std::size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && slab_[heap_[c + 1]].expires_at < slab_[heap_[c]].expires_at) ++c;
        if (slab_[heap_[c]].expires_at >= key) break;
        place(i, heap_[c]);
        i = c;
    }
    place(i, id);
}

std::size_t BindingStore::bytes() const noexcept {
    std::size_t n = slab_.capacity() * sizeof(Binding) + heap_.capacity() * 4 + free_.capacity() * 4 +
                    generation_.capacity() + accounts_.capacity() * sizeof(AccountBindings) +
                    by_name_.size() * (sizeof(std::string) + 32) + by_name_.bucket_count() * sizeof(void*);
    for (const Binding& b : slab_) {
        if (b.uri.capacity() > 15) n += b.uri.capacity() + 1;
        if (b.call_id.capacity() > 15) n += b.call_id.capacity() + 1;
    }
    return n;
}

}  // namespace palisade::cp
