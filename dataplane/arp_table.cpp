// ARP cache of one worker on one port. See arp_table.hpp.
#include "dataplane/arp_table.hpp"

namespace palisade::dp {

void ArpTable::init(const ArpConfig& cfg, std::uint64_t tsc_hz) noexcept {
    retry_tsc_ = tsc_hz / 1000 * cfg.retry_ms;
    reachable_tsc_ = tsc_hz * cfg.reachable_s;
    max_retries_ = cfg.max_retries == 0 ? 1 : cfg.max_retries;
}

void ArpTable::clear() noexcept {
    for (std::uint32_t i = 0; i < queued_; ++i) rte_pktmbuf_free(queue_[i].m);
    queued_ = 0;
    slots_.fill(ArpEntry{});
    size_ = 0;
}

std::uint32_t ArpTable::home(std::uint32_t ip) noexcept {
    // Fibonacci hashing: neighbours are usually consecutive addresses of one subnet.
    return (ip * 2654435769u) >> (32 - 10);
}
static_assert(ArpTable::kSlots == 1u << 10, "home() shifts for 1024 slots");

std::uint32_t ArpTable::slot_of(std::uint32_t ip) const noexcept {
    if (ip == 0) return kSlots;
    for (std::uint32_t i = home(ip), n = 0; n < kSlots; i = (i + 1) & (kSlots - 1), ++n) {
        if (slots_[i].ip == ip) return i;
        if (slots_[i].ip == 0) return kSlots;
    }
    return kSlots;
}

const rte_ether_addr* ArpTable::lookup(std::uint32_t ip) const noexcept {
    const std::uint32_t i = slot_of(ip);
    if (i == kSlots || slots_[i].state != ArpEntry::reachable) return nullptr;
    return &slots_[i].mac;
}

ArpEntry* ArpTable::find(std::uint32_t ip) noexcept {
    const std::uint32_t i = slot_of(ip);
    return i == kSlots ? nullptr : &slots_[i];
}

ArpEntry* ArpTable::insert(std::uint32_t ip) noexcept {
    if (size_ >= kMaxEntries || ip == 0) return nullptr;
    std::uint32_t i = home(ip);
    while (slots_[i].ip != 0) i = (i + 1) & (kSlots - 1);  // load <= 0.75: a free slot exists
    slots_[i] = ArpEntry{};
    slots_[i].ip = ip;
    ++size_;
    return &slots_[i];
}

// Backward-shift deletion (Knuth 6.4 algorithm R): keeps every probe chain unbroken without
// tombstones.
void ArpTable::erase_slot(std::uint32_t i) noexcept {
    std::uint32_t j = i;
    for (;;) {
        j = (j + 1) & (kSlots - 1);
        if (slots_[j].ip == 0) break;
        const std::uint32_t k = home(slots_[j].ip);
        // Leave slots_[j] where it is when its home lies cyclically in (i, j].
        const bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (stays) continue;
        slots_[i] = slots_[j];
        i = j;
    }
    slots_[i] = ArpEntry{};
    --size_;
}

std::uint32_t ArpTable::drop_queued(std::uint32_t ip) noexcept {
    std::uint32_t kept = 0, dropped = 0;
    for (std::uint32_t i = 0; i < queued_; ++i) {
        if (queue_[i].ip == ip) {
            rte_pktmbuf_free(queue_[i].m);
            ++dropped;
        } else {
            queue_[kept++] = queue_[i];
        }
    }
    queued_ = kept;
    return dropped;
}

std::uint32_t ArpTable::erase(std::uint32_t ip) noexcept {
    const std::uint32_t i = slot_of(ip);
    if (i != kSlots) erase_slot(i);
    return drop_queued(ip);
}

ArpTable::LearnResult ArpTable::learn(std::uint32_t ip, const rte_ether_addr& mac,
                                      std::uint64_t now, bool create) noexcept {
    if (ip == 0) return LearnResult::ignored;
    ArpEntry* e = find(ip);
    if (e == nullptr) {
        if (!create) return LearnResult::ignored;
        e = insert(ip);
        if (e == nullptr) return LearnResult::full;
        e->mac = mac;
        e->state = ArpEntry::reachable;
        e->updated_tsc = now;
        return LearnResult::added;
    }
    const bool was_incomplete = e->state == ArpEntry::incomplete;
    const bool changed = !was_incomplete && !rte_is_same_ether_addr(&e->mac, &mac);
    e->mac = mac;
    e->state = ArpEntry::reachable;
    e->updated_tsc = now;
    e->retries = 0;
    if (was_incomplete) return LearnResult::resolved;
    return changed ? LearnResult::updated : LearnResult::unchanged;
}

ArpTable::ResolveResult ArpTable::enqueue(std::uint32_t ip, rte_mbuf* m,
                                          std::uint64_t now) noexcept {
    ArpEntry* e = find(ip);
    bool fresh = false;
    if (e == nullptr) {
        if (queued_ >= kMaxQueued) return ResolveResult::queue_full;
        e = insert(ip);
        if (e == nullptr) return ResolveResult::table_full;
        e->state = ArpEntry::incomplete;
        e->retries = 1;  // the request the caller sends now
        e->last_req_tsc = now;
        fresh = true;
    }
    if (queued_ >= kMaxQueued) return ResolveResult::queue_full;
    queue_[queued_++] = Queued{ip, m};
    return fresh ? ResolveResult::queued_send_request : ResolveResult::queued;
}

bool ArpTable::resolve_ahead(std::uint32_t ip, std::uint64_t now) noexcept {
    if (find(ip) != nullptr) return false;
    ArpEntry* e = insert(ip);
    if (e == nullptr) return false;
    e->state = ArpEntry::incomplete;
    e->retries = 1;
    e->last_req_tsc = now;
    return true;
}

std::uint32_t ArpTable::take_queued(std::uint32_t ip, rte_mbuf** out, std::uint32_t n) noexcept {
    std::uint32_t kept = 0, taken = 0;
    for (std::uint32_t i = 0; i < queued_; ++i) {
        if (queue_[i].ip == ip && taken < n) {
            out[taken++] = queue_[i].m;
        } else {
            queue_[kept++] = queue_[i];
        }
    }
    queued_ = kept;
    return taken;
}

void ArpTable::tick(std::uint64_t now, ArpTickResult& out) noexcept {
    out = ArpTickResult{};
    std::uint32_t i = 0;
    // Erasing shifts a later entry into slot i, so i advances only when nothing was erased; a
    // shift across the wrap can show an entry twice, which the request timestamps make harmless.
    std::uint32_t steps = 0;
    while (i < kSlots && steps < 2 * kSlots) {
        ++steps;
        ArpEntry& e = slots_[i];
        if (e.ip == 0) {
            ++i;
            continue;
        }
        const bool due = now - e.last_req_tsc >= retry_tsc_;
        if (e.state == ArpEntry::incomplete) {
            if (!due) {
                ++i;
                continue;
            }
            if (e.retries >= max_retries_) {  // RFC 1122 §2.3.2.1: give up, drop what waited
                const std::uint32_t ip = e.ip;
                erase_slot(i);
                out.unresolved_dropped += drop_queued(ip);
                ++out.given_up;
                continue;
            }
            if (out.requests == ArpTickResult::kMaxRequests) {
                ++i;
                continue;  // next tick
            }
            out.request_ip[out.requests] = e.ip;
            out.request_unicast[out.requests] = false;
            ++out.requests;
            ++e.retries;
            e.last_req_tsc = now;
            ++i;
            continue;
        }
        // Reachable: refresh once older than reachable_s, by unicast requests to the known MAC
        // (as Linux's PROBE state); drop the entry when max_retries refreshes went unanswered.
        if (now - e.updated_tsc < reachable_tsc_ || !due) {
            ++i;
            continue;
        }
        if (e.retries >= max_retries_) {
            erase_slot(i);
            ++out.aged;
            continue;
        }
        if (out.requests == ArpTickResult::kMaxRequests) {
            ++i;
            continue;
        }
        out.request_ip[out.requests] = e.ip;
        out.request_unicast[out.requests] = true;
        out.request_mac[out.requests] = e.mac;
        ++out.requests;
        ++e.retries;
        e.last_req_tsc = now;
        ++i;
    }
}

}  // namespace palisade::dp
