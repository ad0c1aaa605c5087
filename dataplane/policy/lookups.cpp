#include "dataplane/policy/lookups.hpp"

#include <algorithm>
#include <map>

namespace palisade::dp {

// ---- Ipv4Lpm ----

std::uint32_t Ipv4Lpm::new_group(std::uint32_t fill) {
    const auto g = static_cast<std::uint32_t>(tbl8_.size() / 256);
    tbl8_.resize(tbl8_.size() + 256, fill);
    return g;
}

void Ipv4Lpm::build(std::vector<Prefix> prefixes) {
    tbl16_.assign(65536, 0);
    tbl8_.clear();
    offsets_.assign(1, 0);
    members_.clear();
    for (Prefix& p : prefixes) {
        if (p.len > 32) p.len = 32;
        p.addr &= p.len == 0 ? 0u : ~0u << (32 - p.len);
    }
    // Ascending length, so that a longer prefix is always inserted over its covering ones and
    // can read the covering set from the structure built so far.
    std::sort(prefixes.begin(), prefixes.end(), [](const Prefix& a, const Prefix& b) {
        return a.len != b.len ? a.len < b.len : a.addr != b.addr ? a.addr < b.addr : a.trunk < b.trunk;
    });
    std::map<std::vector<std::uint32_t>, std::uint32_t> interned;
    auto intern = [&](std::vector<std::uint32_t>&& m) {
        const auto it = interned.find(m);
        if (it != interned.end()) return it->second;
        members_.insert(members_.end(), m.begin(), m.end());
        offsets_.push_back(static_cast<std::uint32_t>(members_.size()));
        const auto id = static_cast<std::uint32_t>(offsets_.size() - 1);
        interned.emplace(std::move(m), id);
        return id;
    };
    std::vector<std::uint32_t> set;
    for (std::size_t i = 0; i < prefixes.size();) {
        const Prefix p = prefixes[i];
        set.clear();
        for (; i < prefixes.size() && prefixes[i].len == p.len && prefixes[i].addr == p.addr; ++i)
            set.push_back(prefixes[i].trunk);
        const auto covering = lookup(p.addr);
        set.insert(set.end(), covering.begin(), covering.end());
        std::sort(set.begin(), set.end());
        set.erase(std::unique(set.begin(), set.end()), set.end());
        const std::uint32_t id = intern(std::vector<std::uint32_t>(set));
        if (p.len <= 16) {
            const std::uint32_t first = p.addr >> 16;
            const std::uint32_t count = 1u << (16 - p.len);
            for (std::uint32_t k = 0; k < count; ++k) tbl16_[first + k] = id;
            continue;
        }
        std::uint32_t& e16 = tbl16_[p.addr >> 16];
        if ((e16 & kExt) == 0) {
            const std::uint32_t g = new_group(e16);
            tbl16_[p.addr >> 16] = g | kExt;
        }
        const std::uint32_t g1 = tbl16_[p.addr >> 16] & ~kExt;
        if (p.len <= 24) {
            const std::uint32_t first = (g1 << 8) | ((p.addr >> 8) & 0xffu);
            const std::uint32_t count = 1u << (24 - p.len);
            for (std::uint32_t k = 0; k < count; ++k) tbl8_[first + k] = id;
            continue;
        }
        const std::uint32_t at1 = (g1 << 8) | ((p.addr >> 8) & 0xffu);
        if ((tbl8_[at1] & kExt) == 0) {
            const std::uint32_t fill = tbl8_[at1];
            const std::uint32_t g = new_group(fill);  // may reallocate tbl8_
            tbl8_[at1] = g | kExt;
        }
        const std::uint32_t g2 = tbl8_[at1] & ~kExt;
        const std::uint32_t first = (g2 << 8) | (p.addr & 0xffu);
        const std::uint32_t count = 1u << (32 - p.len);
        for (std::uint32_t k = 0; k < count; ++k) tbl8_[first + k] = id;
    }
}

// ---- DidTable ----

void DidTable::build(std::vector<Range> ranges) {
    std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) {
        return a.first != b.first ? a.first < b.first : a.trunk < b.trunk;
    });
    std::vector<Range> kept;
    kept.reserve(ranges.size());
    for (const Range& r : ranges) {
        if (r.last < r.first) continue;
        if (!kept.empty() && r.first <= kept.back().last) continue;  // overlap: first wins
        kept.push_back(r);
    }
    n_ = kept.size();
    eyt_.assign(n_ + 1, 0);
    rank_.assign(n_ + 1, 0);
    tail_.resize(n_);
    for (std::size_t i = 0; i < n_; ++i) tail_[i] = Tail{kept[i].last, kept[i].trunk, 0};
    // In-order walk of the implicit tree fills the Eytzinger layout.
    std::size_t next = 0;
    std::vector<std::size_t> stack;
    std::size_t k = 1;
    while (k <= n_ || !stack.empty()) {
        while (k <= n_) {
            stack.push_back(k);
            k = 2 * k;
        }
        k = stack.back();
        stack.pop_back();
        eyt_[k] = kept[next].first;
        rank_[k] = static_cast<std::uint32_t>(next);
        ++next;
        k = 2 * k + 1;
    }
}

std::uint32_t DidTable::lookup(std::uint64_t key) const noexcept {
    if (n_ == 0) return kNone;
    const std::uint64_t* e = eyt_.data();
    std::size_t k = 1;
    while (k <= n_) {
        // The 16 descendants four levels down: two cache lines.
        const char* ahead = reinterpret_cast<const char*>(e) + (k * 16) * sizeof(std::uint64_t);
        __builtin_prefetch(ahead);
        __builtin_prefetch(ahead + 64);
        k = 2 * k + (e[k] <= key ? 1 : 0);
    }
    // k >> (trailing ones + 1) is the first start > key (0: none), Eytzinger index.
    k >>= __builtin_ffsll(static_cast<long long>(~k));
    const std::size_t upper = k == 0 ? n_ : rank_[k];
    if (upper == 0) return kNone;
    const std::size_t r = upper - 1;
    return key <= tail_[r].last ? tail_[r].trunk : kNone;
}

// ---- CallerIdTable ----

CallerIdTable::Ref CallerIdTable::add(std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges,
                                      std::vector<std::uint64_t> prefixes) {
    Ref ref;
    std::sort(ranges.begin(), ranges.end());
    ref.range_begin = static_cast<std::uint32_t>(first_.size());
    for (const auto& [f, l] : ranges) {
        if (l < f) continue;
        if (first_.size() > ref.range_begin && f <= last_.back() + 1) {
            last_.back() = std::max(last_.back(), l);  // merge overlapping or adjacent
            continue;
        }
        first_.push_back(f);
        last_.push_back(l);
    }
    ref.range_count = static_cast<std::uint32_t>(first_.size() - ref.range_begin);
    std::sort(prefixes.begin(), prefixes.end());
    prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
    ref.prefix_begin = static_cast<std::uint32_t>(prefixes_.size());
    prefixes_.insert(prefixes_.end(), prefixes.begin(), prefixes.end());
    ref.prefix_count = static_cast<std::uint32_t>(prefixes.size());
    return ref;
}

}  // namespace palisade::dp
