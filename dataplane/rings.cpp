#include "dataplane/rings.hpp"

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

namespace palisade::dp {

rte_ring* create_ring(RingRole role, const std::string& name, unsigned size) noexcept {
    const unsigned n = rte_align32pow2(size < 64 ? 64 : size);
    const unsigned flags = role == RingRole::handoff ? RING_F_SC_DEQ : (RING_F_SP_ENQ | RING_F_SC_DEQ);
    return rte_ring_create(name.c_str(), n, SOCKET_ID_ANY, flags);
}

void drain_and_free_ring(RingRole role, rte_ring* ring, rte_mempool* messages) noexcept {
    if (ring == nullptr) return;
    void* obj = nullptr;
    while (rte_ring_dequeue(ring, &obj) == 0) {
        if (role == RingRole::handoff) {
            rte_pktmbuf_free(static_cast<rte_mbuf*>(obj));
        } else if (messages != nullptr) {
            rte_mempool_put(messages, obj);
        }
    }
    rte_ring_free(ring);
}

}  // namespace palisade::dp
