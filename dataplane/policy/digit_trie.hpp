// A compact digit trie for longest-prefix match over E.164 digit strings, many tries in one
// arena (one per destination policy). Each node is 8 bytes: a 10-bit child mask, the value of
// the prefix ending here (0 = none) and the index of its first child; the children of a node are
// contiguous, so child d is first_child + popcount(mask below d). One pointer chase per digit,
// no per-node allocation. Built by the control plane, read-only afterwards (any thread).
//
// Chosen over Hyperscan for plain prefixes by measurement: bench/policy_bench.cpp
// (BM_DestMatch_*), numbers in bench/README.md "## Policy".
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "dataplane/policy/huge_alloc.hpp"

namespace palisade::dp {

class DigitTrie {
public:
    /// One prefix (digits only, no '+') and its value 1..255 (0 is "no value").
    struct Entry {
        std::string_view digits;
        std::uint8_t value;
    };
    /// Result of a lookup: the value of the longest prefix found and its length (0/0 = none).
    struct Match {
        std::uint8_t value = 0;
        std::uint8_t length = 0;
    };
    struct Node {
        std::uint32_t first_child = 0;
        std::uint16_t mask = 0;
        std::uint8_t value = 0;
        std::uint8_t pad = 0;
    };

    /// Adds a trie built from `entries` and returns its root. When two entries have the same
    /// digits, the larger value is kept (callers encode "deny wins" as deny > allow). Entries
    /// with a non-digit are ignored (the validator refuses them). cp only.
    std::uint32_t add(std::span<const Entry> entries);

    /// Longest prefix of `digits` present in the trie rooted at `root`. Any thread.
    [[nodiscard]] Match longest(std::uint32_t root, std::string_view digits) const noexcept {
        const Node* n = &nodes_[root];
        Match m;
        for (std::size_t i = 0; i < digits.size(); ++i) {
            const unsigned d = static_cast<unsigned>(static_cast<unsigned char>(digits[i]) - '0');
            if (d > 9 || ((n->mask >> d) & 1u) == 0) break;
            n = &nodes_[n->first_child +
                        static_cast<unsigned>(__builtin_popcount(n->mask & ((1u << d) - 1u)))];
            if (n->value != 0) m = Match{n->value, static_cast<std::uint8_t>(i + 1)};
        }
        return m;
    }

    /// longest() resumed at `node`, the trie node reached after digits[0..depth) (the caller
    /// walked them), with `best` the longest match among those first `depth` digits.
    [[nodiscard]] Match longest_from(std::uint32_t node, std::string_view digits, std::size_t depth,
                                     Match best) const noexcept {
        const Node* n = &nodes_[node];
        for (std::size_t i = depth; i < digits.size(); ++i) {
            const unsigned d = static_cast<unsigned>(static_cast<unsigned char>(digits[i]) - '0');
            if (d > 9 || ((n->mask >> d) & 1u) == 0) break;
            n = &nodes_[n->first_child +
                        static_cast<unsigned>(__builtin_popcount(n->mask & ((1u << d) - 1u)))];
            if (n->value != 0) best = Match{n->value, static_cast<std::uint8_t>(i + 1)};
        }
        return best;
    }
    /// Node `i` and the index of its child for digit `d` (kNoChild if none): for the builders
    /// of derived structures (prefix_index.hpp). cp.
    static constexpr std::uint32_t kNoChild = 0xffffffffu;
    [[nodiscard]] const Node& node(std::uint32_t i) const noexcept { return nodes_[i]; }
    [[nodiscard]] std::uint32_t child(std::uint32_t i, unsigned d) const noexcept {
        const Node& n = nodes_[i];
        if (d > 9 || ((n.mask >> d) & 1u) == 0) return kNoChild;
        return n.first_child + static_cast<unsigned>(__builtin_popcount(n.mask & ((1u << d) - 1u)));
    }

    /// One lookup of a batch: in root and digits, out match.
    struct BatchItem {
        std::uint32_t root = 0;
        std::string_view digits;
        Match match;
    };
    /// longest() for many lookups at once, walking them level by level so that the cache misses
    /// of different lookups overlap (each next node is prefetched a whole round before it is
    /// read). Same results as longest(). Any thread.
    void longest_batch(std::span<BatchItem> items) const noexcept;

    /// Prefetches the root of a trie (the decision functions call it early).
    void prefetch(std::uint32_t root) const noexcept { __builtin_prefetch(&nodes_[root]); }
    /// Total nodes in the arena.
    [[nodiscard]] std::size_t node_count() const noexcept { return nodes_.size(); }
    /// Bytes used by the arena.
    [[nodiscard]] std::size_t bytes() const noexcept { return nodes_.size() * sizeof(Node); }
    void reserve(std::size_t nodes) { nodes_.reserve(nodes); }

private:
    HugeVector<Node> nodes_;
};

}  // namespace palisade::dp
