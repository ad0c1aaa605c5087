#include "dataplane/policy/digit_trie.hpp"

#include <algorithm>
#include <array>

namespace palisade::dp {

namespace {
// Temporary pointer trie used while building one policy (small: one policy's prefixes).
struct BuildNode {
    std::array<std::int32_t, 10> child;
    std::uint8_t value = 0;
    BuildNode() { child.fill(-1); }
};
}  // namespace

std::uint32_t DigitTrie::add(std::span<const Entry> entries) {
    std::vector<BuildNode> tmp(1);
    tmp.reserve(entries.size() * 4 + 1);
    for (const Entry& e : entries) {
        if (e.digits.empty() || e.value == 0) continue;
        if (!std::all_of(e.digits.begin(), e.digits.end(),
                         [](char c) { return c >= '0' && c <= '9'; }))
            continue;
        std::int32_t at = 0;
        for (const char c : e.digits) {
            const auto d = static_cast<unsigned>(c - '0');
            if (tmp[static_cast<std::size_t>(at)].child[d] < 0) {
                tmp[static_cast<std::size_t>(at)].child[d] = static_cast<std::int32_t>(tmp.size());
                tmp.emplace_back();
            }
            at = tmp[static_cast<std::size_t>(at)].child[d];
        }
        auto& v = tmp[static_cast<std::size_t>(at)].value;
        v = std::max(v, e.value);
    }
    // Flatten breadth-first so that every node's children are contiguous.
    const auto root = static_cast<std::uint32_t>(nodes_.size());
    std::vector<std::int32_t> order{0};
    order.reserve(tmp.size());
    nodes_.push_back(Node{});
    for (std::size_t qi = 0; qi < order.size(); ++qi) {
        const BuildNode& b = tmp[static_cast<std::size_t>(order[qi])];
        Node& out = nodes_[root + qi];
        out.value = b.value;
        out.first_child = static_cast<std::uint32_t>(root + order.size());
        for (unsigned d = 0; d < 10; ++d) {
            if (b.child[d] < 0) continue;
            out.mask = static_cast<std::uint16_t>(out.mask | (1u << d));
            order.push_back(b.child[d]);
        }
        // Reserve the children's slots now so that indices stay dense.
        nodes_.resize(root + order.size());
    }
    return root;
}

void DigitTrie::longest_batch(std::span<BatchItem> items) const noexcept {
    constexpr std::size_t kChunk = 64;
    for (std::size_t base = 0; base < items.size(); base += kChunk) {
        const std::size_t n = std::min(kChunk, items.size() - base);
        const Node* cur[kChunk];
        std::uint8_t depth[kChunk];
        std::uint64_t active = n == 64 ? ~0ULL : (1ULL << n) - 1;
        for (std::size_t j = 0; j < n; ++j) {
            cur[j] = &nodes_[items[base + j].root];
            __builtin_prefetch(cur[j]);
            depth[j] = 0;
            items[base + j].match = Match{};
        }
        while (active != 0) {
            for (std::uint64_t bits = active; bits != 0; bits &= bits - 1) {
                const auto j = static_cast<std::size_t>(__builtin_ctzll(bits));
                BatchItem& it = items[base + j];
                const Node* node = cur[j];
                if (node->value != 0) it.match = Match{node->value, depth[j]};
                const std::size_t i = depth[j];
                const unsigned d = i < it.digits.size()
                                       ? static_cast<unsigned>(static_cast<unsigned char>(it.digits[i]) - '0')
                                       : 10u;
                if (d > 9 || ((node->mask >> d) & 1u) == 0) {
                    active &= ~(1ULL << j);
                    continue;
                }
                cur[j] = &nodes_[node->first_child +
                                 static_cast<unsigned>(__builtin_popcount(node->mask & ((1u << d) - 1u)))];
                __builtin_prefetch(cur[j]);
                ++depth[j];
            }
        }
    }
}

}  // namespace palisade::dp
