// Creation and teardown of the per-worker rings (start-up and shutdown only).
#pragma once

#include <string>

struct rte_ring;
struct rte_mempool;

namespace palisade::dp {

/// Who uses a ring, which sets its producer/consumer synchronisation.
enum class RingRole : unsigned char {
    handoff,  ///< any worker enqueues, the owner dequeues (MP/SC)
    punt,     ///< one worker enqueues, the control plane dequeues (SP/SC)
    inject,   ///< the control plane enqueues, one worker dequeues (SP/SC)
};

/// Creates a ring of at least `size` entries (rounded up to a power of two, at least 64).
rte_ring* create_ring(RingRole role, const std::string& name, unsigned size) noexcept;
/// Gives back what is still queued (mbufs to their pool, ring messages to `messages`), then
/// frees the ring. Null is a no-op.
void drain_and_free_ring(RingRole role, rte_ring* ring, rte_mempool* messages) noexcept;

}  // namespace palisade::dp
