// A two-level index over one policy's digit trie, so that a longest-prefix match costs two
// dependent memory reads instead of one per digit (bench/policy_bench.cpp BM_Outbound*,
// BM_DestMatch_Index; figures in bench/README.md "## Policy").
//
//   level 1: a direct table indexed by the number's first D digits (D = 1..5 per policy, about
//            log10 of its prefix count), one 16-byte entry per D-digit block; a block with at most
//            two interval boundaries (no longer prefix, or one) is answered by its entry alone;
//   level 2: for a block that holds more longer prefixes, a bucket of at most kMaxBoundaries
//            sorted interval boundaries in one or two cache lines.
//
// Interval form: a digit string s is mapped to a key over its digit positions D..Lmax-1 (Lmax =
// the policy's longest prefix), each position coded as digit+1, 0 past the end of s, read as a
// base-11 number. The strings that start with prefix p (length k, D < k <= Lmax) are then exactly
// the keys in [key(p), key(p) + 11^(Lmax-k)), nested prefixes give nested intervals, and the
// longest match of s is the innermost interval holding key(s). The builder flattens each block's
// intervals into disjoint ones with their answers, so a lookup counts the boundaries <= key(s).
// Digits past Lmax cannot change the answer (no prefix is that long), so they are not coded.
//
// The answer is exactly DigitTrie::longest's (value and length): the index is built from the
// trie and blocks it cannot hold compactly (more boundaries than a bucket takes) point back into
// the trie at depth D, where the walk resumes. Numbers shorter than D digits, or with a non-digit
// among the first D, take the plain trie walk. tests/unit/dataplane/policy/prefix_index_test.cpp
// checks index == trie on random and clustered policies.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "dataplane/policy/digit_trie.hpp"
#include "dataplane/policy/huge_alloc.hpp"

namespace palisade::dp {

class PrefixIndex {
public:
    /// Where one policy's index lives. stride == 0: no index (use the trie).
    struct Ref {
        std::uint32_t table = 0;     // first entry in the table arena
        std::uint8_t stride = 0;     // D
        std::uint8_t max_len = 0;    // Lmax
    };
    /// Most boundaries a bucket holds (two cache lines: keys then 16-bit answers).
    static constexpr unsigned kMaxBoundaries = 12;

    /// Indexes the trie rooted at `root` of `trie`. No index (stride 0) for an empty trie or one
    /// with a prefix longer than 15 digits. cp only.
    Ref add(const DigitTrie& trie, std::uint32_t root);

    // ---- lookups (any thread, no allocation) ----

    /// One table entry: `head` is either an answer (bit 31 clear: value | length << 8, and in
    /// bits 16..17 how many inline boundaries follow: keys k[0..n) with answers a[0..n) from each
    /// on) or a bucket (bit 31 set: boundary count in bits 26..30, 0 = resume the trie walk;
    /// word offset below).
    struct alignas(16) Entry {
        std::uint32_t head = 0;
        std::uint32_t k[2] = {0, 0};
        std::uint16_t a[2] = {0, 0};
    };
    static_assert(sizeof(Entry) == 16);

    /// Table entry for `digits`, or nullptr when this number takes the trie walk.
    [[nodiscard]] const Entry* entry(const Ref& r, std::string_view digits) const noexcept {
        if (r.stride == 0 || digits.size() < r.stride) return nullptr;
        std::uint32_t idx = 0;
        for (unsigned i = 0; i < r.stride; ++i) {
            const auto d = static_cast<std::uint32_t>(static_cast<unsigned char>(digits[i]) - '0');
            if (d > 9) return nullptr;
            idx = idx * 10 + d;
        }
        return table_.data() + r.table + idx;
    }
    /// How an entry answers: by itself (leaf), with its inline boundaries, from a bucket, or by
    /// resuming the trie walk (for tests and the benchmark's figures).
    enum class EntryKind : std::uint8_t { leaf, inline_boundaries, bucket, trie };
    [[nodiscard]] static EntryKind kind(const Entry& e) noexcept {
        if ((e.head & kBucketBit) == 0) return ((e.head >> 16) & 3u) == 0 ? EntryKind::leaf : EntryKind::inline_boundaries;
        return ((e.head >> kCountShift) & kCountMask) == 0 ? EntryKind::trie : EntryKind::bucket;
    }
    /// Prefetches what entry `e` points to (its bucket), if anything.
    void prefetch_bucket(const Entry& e) const noexcept {
        if ((e.head & kBucketBit) == 0) return;
        const std::uint64_t* b = words_.data() + (e.head & kOffsetMask);
        __builtin_prefetch(b);
        if (bucket_words(e.head) + (reinterpret_cast<std::uintptr_t>(b) & 63) / 8 > 8) __builtin_prefetch(b + 8);
    }
    /// The answer for `digits` given its table entry `e` (from entry()).
    [[nodiscard]] DigitTrie::Match resolve(const Ref& r, const Entry& e, std::string_view digits,
                                           const DigitTrie& trie) const noexcept {
        const std::uint32_t h = e.head;
        if ((h & kBucketBit) == 0) {
            const unsigned n = (h >> 16) & 3u;
            if (n == 0) return leaf_match(h);
            const auto key = static_cast<std::uint32_t>(suffix_key(digits, r.stride, r.max_len));
            const unsigned i = (key >= e.k[0] ? 1u : 0u) + (n > 1 && key >= e.k[1] ? 1u : 0u);
            return i == 0 ? leaf_match(h) : leaf_match(e.a[i - 1]);
        }
        const std::uint64_t* b = words_.data() + (h & kOffsetMask);
        const unsigned m = (h >> kCountShift) & kCountMask;
        if (m == 0) {  // resume the trie walk at depth D
            const std::uint64_t w = b[0];
            const DigitTrie::Match base{static_cast<std::uint8_t>(w >> 32), static_cast<std::uint8_t>(w >> 40)};
            return trie.longest_from(static_cast<std::uint32_t>(w), digits, r.stride, base);
        }
        const std::uint64_t key = suffix_key(digits, r.stride, r.max_len);
        unsigned i = 0;
        for (unsigned k = 0; k < m; ++k) i += b[k] <= key ? 1u : 0u;
        std::uint16_t ans = 0;  // answers follow the keys, 16 bits each
        std::memcpy(&ans, reinterpret_cast<const char*>(b + m) + 2 * i, sizeof ans);
        return leaf_match(ans);
    }
    /// Longest match of `digits` (the whole lookup; the trie for numbers the index skips).
    [[nodiscard]] DigitTrie::Match longest(const Ref& r, std::string_view digits, const DigitTrie& trie,
                                           std::uint32_t root) const noexcept {
        const Entry* e = entry(r, digits);
        if (e == nullptr) return trie.longest(root, digits);
        return resolve(r, *e, digits, trie);
    }

    [[nodiscard]] std::size_t bytes() const noexcept {
        return table_.size() * sizeof(Entry) + words_.size() * 8;
    }
    /// Blocks that fell back to the trie (too many boundaries), for tests and figures.
    [[nodiscard]] std::size_t fallback_blocks() const noexcept { return fallbacks_; }
    [[nodiscard]] std::size_t bucket_count() const noexcept { return buckets_; }
    /// Blocks answered by their table entry with inline boundaries.
    [[nodiscard]] std::size_t inline_blocks() const noexcept { return inline_; }

    /// key(s) of the interval form above (exposed for tests).
    static std::uint64_t suffix_key(std::string_view digits, unsigned from, unsigned to) noexcept {
        std::uint64_t k = 0;
        bool ended = false;
        for (unsigned i = from; i < to; ++i) {
            unsigned c = 0;
            if (!ended && i < digits.size()) {
                const auto d = static_cast<unsigned>(static_cast<unsigned char>(digits[i]) - '0');
                if (d <= 9) c = d + 1;
                else ended = true;
            } else {
                ended = true;
            }
            k = k * 11 + c;
        }
        return k;
    }

private:
    static constexpr std::uint32_t kBucketBit = 0x80000000u;
    static constexpr unsigned kCountShift = 26;
    static constexpr std::uint32_t kCountMask = 0x1f;
    static constexpr std::uint32_t kOffsetMask = (1u << kCountShift) - 1;
    static constexpr DigitTrie::Match leaf_match(std::uint32_t e) noexcept {
        return {static_cast<std::uint8_t>(e), static_cast<std::uint8_t>(e >> 8)};
    }
    static unsigned bucket_words(std::uint32_t e) noexcept {
        const unsigned m = (e >> kCountShift) & kCountMask;
        return m == 0 ? 1 : m + (m + 1 + 3) / 4;
    }
    std::uint32_t place(unsigned words);  // word offset of a new bucket that crosses no needless line

    struct Builder;
    HugeVector<Entry> table_;
    HugeVector<std::uint64_t> words_;
    std::size_t fallbacks_ = 0;
    std::size_t buckets_ = 0;
    std::size_t inline_ = 0;
};

}  // namespace palisade::dp
