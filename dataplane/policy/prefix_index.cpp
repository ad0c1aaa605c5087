#include "dataplane/policy/prefix_index.hpp"

#include <algorithm>
#include <vector>

namespace palisade::dp {

namespace {
constexpr std::uint64_t pow11(unsigned e) {
    std::uint64_t v = 1;
    for (unsigned i = 0; i < e; ++i) v *= 11;
    return v;
}
constexpr std::uint32_t pow10u(unsigned e) {
    std::uint32_t v = 1;
    for (unsigned i = 0; i < e; ++i) v *= 10;
    return v;
}
constexpr std::uint16_t code(DigitTrie::Match m) {
    return static_cast<std::uint16_t>(m.value | (m.length << 8));
}
// Blocks with more prefixes below them than this go to the trie without trying intervals.
constexpr std::size_t kMaxBlockEntries = 64;
}  // namespace

struct PrefixIndex::Builder {
    Builder(PrefixIndex& index, const DigitTrie& t, Ref r) : ix(index), trie(t), ref(r) {}
    PrefixIndex& ix;
    const DigitTrie& trie;
    Ref ref;
    bool overflow = false;

    struct Interval {
        std::uint64_t first;
        std::uint64_t end;  // exclusive
        std::uint16_t answer;
        std::uint8_t length;
    };

    Entry fallback(std::uint32_t node, DigitTrie::Match base) {
        const std::uint32_t off = ix.place(1);
        if (off > kOffsetMask) {
            overflow = true;
            return {};
        }
        ix.words_[off] = std::uint64_t{node} | (std::uint64_t{base.value} << 32) |
                         (std::uint64_t{base.length} << 40);
        ++ix.fallbacks_;
        return Entry{kBucketBit | off};
    }

    // The entry of the block whose first D digits lead to trie node `x`.
    // Scratch reused across blocks: a million blocks at 1,000,000 prefixes, so no allocation
    // per block (the snapshot build has a 2 s budget, issue 3).
    struct Item {
        std::uint32_t node;
        unsigned depth;
        std::uint64_t key;
    };
    std::vector<Interval> iv;
    std::vector<Item> stack;
    std::vector<std::uint64_t> points;
    std::vector<std::uint64_t> keys;
    std::vector<std::uint16_t> answers;

    Entry block(std::uint32_t x, DigitTrie::Match base) {
        const unsigned D = ref.stride;
        const unsigned L = ref.max_len;
        if (trie.node(x).mask == 0) return Entry{code(base)};  // no longer prefix below
        iv.clear();
        stack.clear();
        stack.push_back({x, D, 0});
        while (!stack.empty()) {
            const Item it = stack.back();
            stack.pop_back();
            for (unsigned d = 0; d < 10; ++d) {
                const std::uint32_t c = trie.child(it.node, d);
                if (c == DigitTrie::kNoChild) continue;
                const unsigned k = it.depth + 1;  // length of the prefix at c
                const std::uint64_t key = it.key + (d + 1) * pow11(L - 1 - it.depth);
                const DigitTrie::Node& n = trie.node(c);
                if (n.value != 0) {
                    if (iv.size() == kMaxBlockEntries) return fallback(x, base);
                    iv.push_back({key, key + pow11(L - k), code({n.value, static_cast<std::uint8_t>(k)}),
                                  static_cast<std::uint8_t>(k)});
                }
                stack.push_back({c, k, key});
            }
        }
        const std::uint16_t base_code = code(base);
        if (iv.empty()) return Entry{base_code};
        // Elementary boundaries and the answer from each one on: the longest interval holding it.
        points.clear();
        for (const Interval& i : iv) {
            points.push_back(i.first);
            points.push_back(i.end);
        }
        std::sort(points.begin(), points.end());
        points.erase(std::unique(points.begin(), points.end()), points.end());
        const std::uint64_t block_end = pow11(L - D);
        keys.clear();
        answers.assign(1, base_code);
        for (const std::uint64_t p : points) {
            if (p >= block_end) break;
            std::uint16_t a = base_code;
            unsigned best = 0;
            for (const Interval& i : iv)
                if (i.first <= p && p < i.end && i.length > best) {
                    best = i.length;
                    a = i.answer;
                }
            if (a == answers.back()) continue;
            keys.push_back(p);
            answers.push_back(a);
        }
        const auto m = static_cast<unsigned>(keys.size());
        if (m == 0) return Entry{base_code};
        // Up to two boundaries inline in the entry, when the keys fit 32 bits (11^9 < 2^32).
        if (m <= 2 && L - D <= 9) {
            Entry e{static_cast<std::uint32_t>(base_code) | (m << 16)};
            for (unsigned i = 0; i < m; ++i) {
                e.k[i] = static_cast<std::uint32_t>(keys[i]);
                e.a[i] = answers[i + 1];
            }
            ++ix.inline_;
            return e;
        }
        if (m > kMaxBoundaries) return fallback(x, base);
        const unsigned words = m + (m + 1 + 3) / 4;
        const std::uint32_t off = ix.place(words);
        if (off > kOffsetMask) {
            overflow = true;
            return {};
        }
        std::uint64_t* b = ix.words_.data() + off;
        for (unsigned i = 0; i < m; ++i) b[i] = keys[i];
        std::memcpy(reinterpret_cast<char*>(b + m), answers.data(), answers.size() * sizeof(std::uint16_t));
        ++ix.buckets_;
        return Entry{kBucketBit | (m << kCountShift) | off};
    }

    // Fills the table entries below trie node `node` at `depth` (block index prefix `idx`).
    void fill(std::uint32_t node, unsigned depth, std::uint32_t idx, DigitTrie::Match best) {
        const unsigned D = ref.stride;
        if (depth == D) {
            ix.table_[ref.table + idx] = block(node, best);
            return;
        }
        const std::uint32_t span = pow10u(D - depth - 1);
        for (unsigned d = 0; d < 10; ++d) {
            const std::uint32_t sub = idx * 10 + d;
            const std::uint32_t c = trie.child(node, d);
            if (c == DigitTrie::kNoChild) {
                std::fill_n(ix.table_.begin() + ref.table + sub * span, span, Entry{code(best)});
                continue;
            }
            const DigitTrie::Node& n = trie.node(c);
            fill(c, depth + 1, sub,
                 n.value != 0 ? DigitTrie::Match{n.value, static_cast<std::uint8_t>(depth + 1)} : best);
        }
    }
};

std::uint32_t PrefixIndex::place(unsigned words) {
    std::size_t off = words_.size();
    // A bucket of up to 8 words must sit in one cache line; a bigger one starts a line.
    if ((words <= 8 && off % 8 + words > 8) || (words > 8 && off % 8 != 0)) off = (off + 7) / 8 * 8;
    if (off + words > kOffsetMask) return kOffsetMask + 1;
    words_.resize(off + words, 0);
    return static_cast<std::uint32_t>(off);
}

PrefixIndex::Ref PrefixIndex::add(const DigitTrie& trie, std::uint32_t root) {
    // Prefix count and longest prefix.
    std::size_t n = 0;
    unsigned lmax = 0;
    struct Item {
        std::uint32_t node;
        unsigned depth;
    };
    std::vector<Item> stack{{root, 0}};
    while (!stack.empty()) {
        const Item it = stack.back();
        stack.pop_back();
        if (trie.node(it.node).value != 0) {
            ++n;
            lmax = std::max(lmax, it.depth);
        }
        for (unsigned d = 0; d < 10; ++d) {
            const std::uint32_t c = trie.child(it.node, d);
            if (c != DigitTrie::kNoChild) stack.push_back({c, it.depth + 1});
        }
    }
    // Keys of up to 15 base-11 positions fit in 64 bits (11^15 < 2^52).
    if (n == 0 || lmax > 15) return {};
    // D ~ log10(n): about one prefix per block, so most buckets fit one cache line.
    unsigned D = 1;
    for (std::size_t v = n; v >= 100 && D < 5; v /= 10) ++D;
    D = std::min(D, lmax);
    const std::uint32_t blocks = pow10u(D);
    if (table_.size() + blocks > 0xffffffffu) return {};
    Builder b(*this, trie, Ref{static_cast<std::uint32_t>(table_.size()), static_cast<std::uint8_t>(D),
                               static_cast<std::uint8_t>(lmax)});
    table_.resize(table_.size() + blocks);
    b.fill(root, 0, 0, DigitTrie::Match{});
    if (b.overflow) return {};
    return b.ref;
}

}  // namespace palisade::dp
