// The policy snapshot as the control plane sees it: build one from a validated ConfigSpec,
// publish it to the workers through an RCU slot, read it (workers). The snapshot's contents are
// defined in dataplane/policy/snapshot.hpp (data plane only); here it is opaque.
//
// Life of a reload (DESIGN.md §2, §5: validate -> build snapshot -> publish), all cp only:
//   PolicySnapshotPtr s = build_policy_snapshot(spec, limits).snapshot;   // may fail: nothing changed
//   slot.publish(std::move(s));   // atomic swap, rte_rcu_qsbr_synchronize, old one freed
//   limits.retire_except(ids); limits.reap();                             // or reload_policy()
// Workers: slot.register_reader(id) once; then per loop: snap = slot.read() once per burst, use
// it for the whole burst, slot.quiescent(id) once per loop when holding no snapshot pointer.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "dataplane/contract/config_spec.hpp"
#include "dataplane/contract/limits.hpp"

struct rte_rcu_qsbr;

namespace palisade::dp {

class PolicySnapshot;  // dataplane/policy/snapshot.hpp

/// Frees a snapshot (the type is opaque to the control plane).
struct PolicySnapshotDeleter {
    void operator()(const PolicySnapshot* s) const noexcept;
};
/// Owning pointer to an immutable snapshot.
using PolicySnapshotPtr = std::unique_ptr<const PolicySnapshot, PolicySnapshotDeleter>;

/// Result of a build: a snapshot, or an error and no snapshot.
struct SnapshotBuild {
    PolicySnapshotPtr snapshot;
    std::string error;
};

/// Builds an immutable snapshot from a validated spec. Binds every trunk id to its stable limits
/// slot (existing ids keep theirs). Fails (error set, nothing published) only on input the
/// validator refuses (unknown country or policy, a pattern Hyperscan rejects, a number that is not
/// E.164) or when the limits table is full. cp only.
SnapshotBuild build_policy_snapshot(const ConfigSpec& spec, LimitsTable& limits);

/// A few figures about a snapshot, for logs and the CLI.
struct PolicySummary {
    std::uint64_t generation = 0;
    std::uint32_t trunks = 0;
    std::uint32_t policies = 0;
    std::uint32_t hs_databases = 0;
    std::uint32_t did_ranges = 0;
    std::uint32_t trie_nodes = 0;
    std::size_t bytes = 0;  // approximate memory of the lookup structures
};
/// Summarises a snapshot. Any thread holding it.
PolicySummary summarize(const PolicySnapshot& s) noexcept;

/// Checks a destination pattern the way the snapshot builder will compile it (for the config
/// validator, so that a build never fails on a validated file). False with `error` set.
bool check_dest_pattern(std::string_view pattern, std::string* error);

/// The RCU slot through which workers read the current snapshot (rte_rcu_qsbr, no EAL needed:
/// the QSBR variable is allocated with rte_rcu_qsbr_get_memsize + aligned allocation).
class PolicySlot {
public:
    /// A slot for reader ids 0..max_readers-1 (worker lcore indices). cp only.
    explicit PolicySlot(std::uint32_t max_readers);
    /// Frees the current snapshot. Every reader must have unregistered.
    ~PolicySlot();
    PolicySlot(const PolicySlot&) = delete;
    PolicySlot& operator=(const PolicySlot&) = delete;

    /// Registers reader `id` and puts it online: from now on publish() waits for it. Called by
    /// the worker (or for it, before it starts). False for an id out of range.
    bool register_reader(std::uint32_t id) noexcept;
    /// Takes reader `id` offline and unregisters it (the worker stops).
    void unregister_reader(std::uint32_t id) noexcept;
    /// Reader `id` stops (online) / resumes (offline) being waited for, e.g. around a sleep.
    void reader_online(std::uint32_t id) noexcept;
    void reader_offline(std::uint32_t id) noexcept;

    /// The current snapshot (null before the first publish). Worker: once per burst; the pointer
    /// stays valid until this reader reports quiescence.
    [[nodiscard]] const PolicySnapshot* read() const noexcept {
        return current_.load(std::memory_order_acquire);
    }
    /// Reader `id` holds no snapshot pointer any more. Worker: once per loop.
    void quiescent(std::uint32_t id) noexcept;

    /// Publishes `next`: swaps it in, waits until every online reader has passed a quiescent
    /// point, then frees the previous snapshot. Returns the new snapshot's generation. cp only
    /// (one writer); must not be called from a registered reader thread.
    std::uint64_t publish(PolicySnapshotPtr next);

    /// Number of publishes so far.
    [[nodiscard]] std::uint64_t publishes() const noexcept { return publishes_; }

private:
    rte_rcu_qsbr* qsbr_ = nullptr;
    std::uint32_t max_readers_ = 0;
    std::atomic<const PolicySnapshot*> current_{nullptr};
    std::uint64_t publishes_ = 0;  // cp only
};

/// What reload_policy did.
struct ReloadResult {
    bool ok = false;
    std::string error;            // why the build failed (nothing changed)
    std::uint64_t generation = 0; // of the published snapshot
    std::uint32_t reaped = 0;     // limits slots freed (removed trunks with no call left)
};

/// The whole reload path after validation: build, publish, retire the limits slots of removed
/// trunks, reap those whose last call has ended. A failed build changes nothing. cp only.
ReloadResult reload_policy(PolicySlot& slot, LimitsTable& limits, const ConfigSpec& spec);

}  // namespace palisade::dp
