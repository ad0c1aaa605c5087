// The per-call lookups of the policy engine, as flat arrays built by the control plane and read
// by every worker (immutable parts of a snapshot):
//  - Ipv4Lpm: source address -> the set of trunks whose allowed subnets contain it. DIR-16-8-8:
//    one 65,536-entry first level, 256-entry groups below for /17../32, so a lookup is one to
//    three dependent loads. Each stored prefix carries the set of every trunk whose subnets
//    contain it (its own trunks plus those of every shorter covering prefix, resolved at build
//    time), so the longest match answers "all trunks allowed from here" (a subnet shared by
//    several trunks gives a small set; the authenticated account then picks the trunk).
//    Own structure rather than DPDK's rte_lpm: rte_lpm needs EAL memory, this works in unit
//    tests and the control plane without EAL and stores sets, not one next hop.
//  - DidTable: DID number -> trunk, exact numbers and ranges as intervals of number keys
//    (numbers.hpp: length, then value) in Eytzinger order with a branch-free, prefetching search.
//  - CallerIdTable: per-trunk sets of caller IDs: merged intervals (numbers and ranges) searched
//    by binary search, plus prefixes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dataplane/policy/huge_alloc.hpp"
#include "dataplane/policy/numbers.hpp"

namespace palisade::dp {

class Ipv4Lpm {
public:
    struct Prefix {
        std::uint32_t addr;  // host byte order
        std::uint8_t len;    // 0..32
        std::uint32_t trunk;
    };
    /// Builds from every trunk's subnets (bits below the length are ignored). cp only.
    void build(std::vector<Prefix> prefixes);

    /// Trunks whose subnets contain `addr` (ascending trunk indices; empty when none).
    [[nodiscard]] std::span<const std::uint32_t> lookup(std::uint32_t addr) const noexcept {
        const std::uint32_t set = entry(addr);
        if (set == 0) return {};
        return {members_.data() + offsets_[set - 1], offsets_[set] - offsets_[set - 1]};
    }
    /// True when some trunk's subnets contain `addr` ("is this source known", for OPTIONS).
    [[nodiscard]] bool contains(std::uint32_t addr) const noexcept { return entry(addr) != 0; }
    /// Distinct trunk sets stored.
    [[nodiscard]] std::size_t set_count() const noexcept { return offsets_.empty() ? 0 : offsets_.size() - 1; }
    [[nodiscard]] std::size_t bytes() const noexcept {
        return (tbl16_.size() + tbl8_.size() + offsets_.size() + members_.size()) * 4;
    }

private:
    static constexpr std::uint32_t kExt = 0x80000000u;
    [[nodiscard]] std::uint32_t entry(std::uint32_t addr) const noexcept {
        if (tbl16_.empty()) return 0;
        std::uint32_t e = tbl16_[addr >> 16];
        if (e & kExt) {
            e = tbl8_[((e & ~kExt) << 8) | ((addr >> 8) & 0xffu)];
            if (e & kExt) e = tbl8_[((e & ~kExt) << 8) | (addr & 0xffu)];
        }
        return e;
    }
    std::uint32_t new_group(std::uint32_t fill);
    HugeVector<std::uint32_t> tbl16_;    // 0 = none, set id + 1... see build
    HugeVector<std::uint32_t> tbl8_;     // groups of 256
    std::vector<std::uint32_t> offsets_;  // set i = members_[offsets_[i-1] .. offsets_[i])
    std::vector<std::uint32_t> members_;
};

class DidTable {
public:
    struct Range {
        std::uint64_t first;  // number keys (numbers.hpp), same length
        std::uint64_t last;
        std::uint32_t trunk;
    };
    static constexpr std::uint32_t kNone = 0xffffffffu;
    /// Builds from every trunk's DIDs. Overlaps (the validator refuses them) are resolved by
    /// keeping the range that starts first. cp only.
    void build(std::vector<Range> ranges);
    /// Trunk whose DIDs contain the number `key`, or kNone.
    [[nodiscard]] std::uint32_t lookup(std::uint64_t key) const noexcept;
    [[nodiscard]] std::size_t size() const noexcept { return n_; }
    [[nodiscard]] std::size_t bytes() const noexcept {
        return eyt_.size() * 8 + rank_.size() * 4 + tail_.size() * sizeof(Tail);
    }

private:
    struct Tail {
        std::uint64_t last;
        std::uint32_t trunk;
        std::uint32_t pad;
    };
    std::size_t n_ = 0;
    HugeVector<std::uint64_t> eyt_;    // starts, Eytzinger order, 1-based (eyt_[0] unused)
    HugeVector<std::uint32_t> rank_;   // eyt index -> sorted index
    HugeVector<Tail> tail_;            // sorted order: end and trunk together (one miss)
};

class CallerIdTable {
public:
    /// Where one trunk's set lives in the table.
    struct Ref {
        std::uint32_t range_begin = 0;
        std::uint32_t range_count = 0;
        std::uint32_t prefix_begin = 0;
        std::uint32_t prefix_count = 0;
    };
    /// Adds one trunk's set: ranges as number-key intervals, prefixes as number keys. cp only.
    Ref add(std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges,
            std::vector<std::uint64_t> prefixes);
    /// True when the number `key` is in the set `ref`.
    [[nodiscard]] bool contains(const Ref& ref, std::uint64_t key) const noexcept {
        if (ref.range_count != 0) {
            const std::uint64_t* first = first_.data() + ref.range_begin;
            std::uint32_t lo = 0;
            std::uint32_t n = ref.range_count;
            // Branch-free upper bound - 1: last interval starting at or below key.
            while (n > 1) {
                const std::uint32_t half = n / 2;
                lo = first[lo + half] <= key ? lo + half : lo;
                n -= half;
            }
            if (first[lo] <= key && key <= last_[ref.range_begin + lo]) return true;
        }
        for (std::uint32_t i = 0; i < ref.prefix_count; ++i)
            if (key_has_prefix(key, prefixes_[ref.prefix_begin + i])) return true;
        return false;
    }
    /// The first (lowest) interval of a set; false when it has none.
    bool first_range(const Ref& ref, std::uint64_t& first, std::uint64_t& last) const noexcept {
        if (ref.range_count == 0) return false;
        first = first_[ref.range_begin];
        last = last_[ref.range_begin];
        return true;
    }
    void prefetch(const Ref& ref) const noexcept {
        if (ref.range_count != 0) {
            __builtin_prefetch(first_.data() + ref.range_begin);
            __builtin_prefetch(last_.data() + ref.range_begin);
        }
    }
    [[nodiscard]] std::size_t bytes() const noexcept {
        return (first_.size() + last_.size() + prefixes_.size()) * 8;
    }

private:
    HugeVector<std::uint64_t> first_;
    HugeVector<std::uint64_t> last_;
    std::vector<std::uint64_t> prefixes_;
};

}  // namespace palisade::dp
