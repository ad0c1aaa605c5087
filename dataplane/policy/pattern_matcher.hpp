// Destination patterns through Hyperscan: one immutable block-mode database per distinct set of
// patterns, shared by every worker; scratch space per worker (Hyperscan scratch is not
// thread-safe), cloned by the worker from the snapshot's prototype (hs_clone_scratch) when it
// first sees a snapshot whose databases need a bigger scratch.
//
// A pattern is a regular expression over the WHOLE number including '+': it is compiled as
// ^(?:pattern)$ with HS_FLAG_SINGLEMATCH, ids = the pattern's index in the set.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

struct hs_database;
struct hs_scratch;

namespace palisade::dp {

/// Verdict codes shared by the trie and the pattern set: deny > allow so "deny wins" is max().
inline constexpr std::uint8_t kVerdictNone = 0;
inline constexpr std::uint8_t kVerdictAllow = 1;
inline constexpr std::uint8_t kVerdictDeny = 2;
inline constexpr std::uint8_t kVerdictError = 3;  // scan failed (no scratch): callers deny

/// A compiled set of patterns, each with a verdict (allow or deny). Immutable after compile.
class PatternSet {
public:
    ~PatternSet();
    PatternSet(const PatternSet&) = delete;
    PatternSet& operator=(const PatternSet&) = delete;

    /// Compiles `patterns` (verdicts[i] for patterns[i]). nullptr and `error` set when Hyperscan
    /// refuses a pattern (the message names it). cp only.
    static std::unique_ptr<PatternSet> compile(std::span<const std::string> patterns,
                                               std::span<const std::uint8_t> verdicts,
                                               std::string* error);

    /// kVerdictDeny if any deny pattern matches the whole number, else kVerdictAllow if an allow
    /// pattern does, else kVerdictNone; kVerdictError when the scan could not run. Any thread,
    /// each with its own scratch.
    [[nodiscard]] std::uint8_t match(std::string_view number, hs_scratch* scratch) const noexcept;

    /// The database (for scratch allocation).
    [[nodiscard]] const hs_database* database() const noexcept { return db_; }
    /// Number of patterns.
    [[nodiscard]] std::size_t size() const noexcept { return count_; }

private:
    PatternSet() = default;
    hs_database* db_ = nullptr;
    std::unique_ptr<std::uint8_t[]> verdicts_;
    std::size_t count_ = 0;
};

/// Checks that Hyperscan accepts `pattern` as a destination pattern (for the config validator).
bool check_dest_pattern(std::string_view pattern, std::string* error);

/// A scratch prototype big enough for a set of databases (owned by a snapshot). cp builds it.
class ScratchPrototype {
public:
    ScratchPrototype() = default;
    ~ScratchPrototype();
    ScratchPrototype(const ScratchPrototype&) = delete;
    ScratchPrototype& operator=(const ScratchPrototype&) = delete;
    /// Grows the prototype to fit `db`. False on allocation failure.
    bool fit(const hs_database* db);
    [[nodiscard]] const hs_scratch* get() const noexcept { return scratch_; }

private:
    hs_scratch* scratch_ = nullptr;
};

/// One worker's Hyperscan scratch (lives with the worker). refresh() clones the snapshot's
/// prototype when the snapshot's scratch key differs from the one it was cloned for: an
/// allocation once per reload per worker, never per packet.
class WorkerScratch {
public:
    WorkerScratch() = default;
    ~WorkerScratch();
    WorkerScratch(const WorkerScratch&) = delete;
    WorkerScratch& operator=(const WorkerScratch&) = delete;
    /// Makes the scratch fit `proto` (identified by `key`). False when cloning failed (pattern
    /// scans then report kVerdictError and the call is refused, counted).
    bool refresh(const ScratchPrototype& proto, std::uint64_t key) noexcept;
    [[nodiscard]] hs_scratch* get() const noexcept { return scratch_; }

private:
    hs_scratch* scratch_ = nullptr;
    std::uint64_t key_ = 0;
};

}  // namespace palisade::dp
