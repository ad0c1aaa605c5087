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

}  // namespace palisade::dp
