// Destination policies: may this trunk call this number?
//
// Precedence (the one documented order, DESIGN.md §1 "most specific rule wins"):
//  1. Patterns outrank prefixes. A pattern is a regular expression over the whole number
//     including '+' (it must match all of it); operators write patterns for exceptions that a
//     prefix cannot express (premium-rate blocks, number lengths), so a matching pattern decides.
//     If several patterns match, deny wins.
//  2. Otherwise the longest matching prefix decides. A country rule counts as each of its E.164
//     prefixes (from ConfigSpec::countries) at that prefix's own length: "allow NL" is "+31", so
//     "deny +3190" (longer) beats it, and "deny US" (+1201, +1202, ...) beats "allow +1".
//     Between rules of the same length (a prefix and a country prefix that coincide), deny wins.
//  3. Otherwise the policy's default action.
// A number that is not E.164 never reaches this (the decision refuses it earlier).
//
// Plain prefixes (and expanded countries) go into a digit trie with a two-level index over it
// (prefix_index.hpp: one table read and one bucket read instead of one read per digit),
// patterns into one Hyperscan database per distinct pattern set: measured side by side in
// bench/policy_bench.cpp (BM_DestMatch_*), trie and index are faster than Hyperscan for prefix
// sets of every size measured.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dataplane/contract/config_spec.hpp"
#include "dataplane/policy/digit_trie.hpp"
#include "dataplane/policy/pattern_matcher.hpp"
#include "dataplane/policy/prefix_index.hpp"

namespace palisade::dp {

/// Which rule decided.
enum class DestDecidedBy : std::uint8_t { pattern, prefix, default_action, scan_error };

/// The answer for one number.
struct DestVerdict {
    bool allowed = false;
    DestDecidedBy by = DestDecidedBy::default_action;
    std::uint8_t prefix_length = 0;  // digits of the deciding prefix (by == prefix)
};

/// Every destination policy of a snapshot, compiled. Immutable after build; any thread reads.
class DestPolicies {
public:
    /// Compiles `policies`, expanding country rules through `countries`. False with `error` set
    /// on an unknown country or a pattern Hyperscan refuses (the validator refuses both first).
    /// cp only.
    bool build(std::span<const DestPolicySpec> policies, std::span<const CountrySpec> countries,
               std::string* error);

    /// Index of the policy called `name`, or kNoPolicy.
    [[nodiscard]] std::uint32_t index_of(std::string_view name) const;
    static constexpr std::uint32_t kNoPolicy = 0xffffffffu;

    /// Decides `number` ("+" and digits) under policy `policy`. `scratch` may be null when the
    /// policy has no patterns. No allocation, lock or syscall.
    [[nodiscard]] DestVerdict match(std::uint32_t policy, std::string_view number,
                                    hs_scratch* scratch) const noexcept {
        const Compiled& p = policies_[policy];
        if (p.patterns != nullptr) {
            const std::uint8_t v = p.patterns->match(number, scratch);
            if (v == kVerdictError) return {false, DestDecidedBy::scan_error, 0};
            if (v != kVerdictNone) return {v == kVerdictAllow, DestDecidedBy::pattern, 0};
        }
        if (p.has_prefixes) {
            const DigitTrie::Match m = index_.longest(p.index, number.substr(1), trie_, p.root);
            if (m.value != kVerdictNone)
                return {m.value == kVerdictAllow, DestDecidedBy::prefix, m.length};
        }
        return {p.default_allow, DestDecidedBy::default_action, 0};
    }

    // match() in two steps, for burst processing (decide_outbound_burst): patterns first; when
    // they do not decide, the caller looks the digits up in trie() at prefix_root() (possibly in
    // a batch) and finishes with from_prefix().
    /// True (and `v` set) when the policy's patterns decide, or the scan failed.
    [[nodiscard]] bool match_patterns(std::uint32_t policy, std::string_view number, hs_scratch* scratch,
                                      DestVerdict& v) const noexcept {
        const Compiled& p = policies_[policy];
        if (p.patterns == nullptr) return false;
        const std::uint8_t r = p.patterns->match(number, scratch);
        if (r == kVerdictError) {
            v = {false, DestDecidedBy::scan_error, 0};
            return true;
        }
        if (r == kVerdictNone) return false;
        v = {r == kVerdictAllow, DestDecidedBy::pattern, 0};
        return true;
    }
    /// True when the policy has prefix rules (else from_prefix with an empty match).
    [[nodiscard]] bool has_prefixes(std::uint32_t policy) const noexcept {
        return policies_[policy].has_prefixes;
    }
    [[nodiscard]] std::uint32_t prefix_root(std::uint32_t policy) const noexcept {
        return policies_[policy].root;
    }
    // The prefix step of match() in two memory reads, for burst processing: prefix_entry()
    // names the index entry to prefetch (null: this number takes the trie walk at prefix_root),
    // prefetch_prefix_bucket() the bucket it points to, prefix_resolve() the longest match.
    [[nodiscard]] const PrefixIndex::Entry* prefix_entry(std::uint32_t policy, std::string_view number) const noexcept {
        return index_.entry(policies_[policy].index, number.substr(1));
    }
    void prefetch_prefix_bucket(const PrefixIndex::Entry& entry) const noexcept { index_.prefetch_bucket(entry); }
    [[nodiscard]] DigitTrie::Match prefix_resolve(std::uint32_t policy, const PrefixIndex::Entry& entry,
                                                  std::string_view number) const noexcept {
        return index_.resolve(policies_[policy].index, entry, number.substr(1), trie_);
    }

    /// The verdict from the trie's longest match (or the default when it found none).
    [[nodiscard]] DestVerdict from_prefix(std::uint32_t policy, DigitTrie::Match m) const noexcept {
        if (m.value != kVerdictNone) return {m.value == kVerdictAllow, DestDecidedBy::prefix, m.length};
        return {policies_[policy].default_allow, DestDecidedBy::default_action, 0};
    }

    /// Prefetches the policy's trie root.
    void prefetch(std::uint32_t policy) const noexcept {
        const Compiled& p = policies_[policy];
        if (p.has_prefixes) trie_.prefetch(p.root);
    }

    [[nodiscard]] std::size_t size() const noexcept { return policies_.size(); }
    [[nodiscard]] bool has_patterns(std::uint32_t policy) const noexcept {
        return policies_[policy].patterns != nullptr;
    }
    /// The scratch every worker must clone to scan this snapshot's databases (null get() when
    /// no policy has patterns).
    [[nodiscard]] const ScratchPrototype& scratch_prototype() const noexcept { return proto_; }
    /// Distinct Hyperscan databases compiled.
    [[nodiscard]] std::size_t database_count() const noexcept { return sets_.size(); }
    [[nodiscard]] const DigitTrie& trie() const noexcept { return trie_; }
    [[nodiscard]] const PrefixIndex& index() const noexcept { return index_; }

private:
    struct Compiled {
        std::uint32_t root = 0;
        PrefixIndex::Ref index;  // over the trie at root (prefix_index.hpp)
        bool has_prefixes = false;
        bool default_allow = false;
        const PatternSet* patterns = nullptr;
    };
    std::vector<Compiled> policies_;
    DigitTrie trie_;
    PrefixIndex index_;
    std::vector<std::unique_ptr<PatternSet>> sets_;
    std::unordered_map<std::string, std::uint32_t> by_name_;
    ScratchPrototype proto_;
};

}  // namespace palisade::dp
