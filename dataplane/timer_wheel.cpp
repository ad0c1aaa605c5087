#include "dataplane/timer_wheel.hpp"

namespace palisade::dp {

TimerWheel::TimerWheel(std::uint32_t capacity, std::uint64_t start_tick)
    : nodes_(capacity), heads_(kSlots + 1, kNil), now_(start_tick) {
    // Free list threaded through next, lowest index first.
    for (std::uint32_t i = capacity; i-- > 0;) {
        nodes_[i].next = free_;
        free_ = i;
    }
}

void TimerWheel::link(std::uint32_t i, std::uint32_t slot) noexcept {
    Node& n = nodes_[i];
    n.slot = slot;
    n.prev = kNil;
    n.next = heads_[slot];
    if (n.next != kNil) nodes_[n.next].prev = i;
    heads_[slot] = i;
}

void TimerWheel::unlink(std::uint32_t i) noexcept {
    Node& n = nodes_[i];
    if (n.prev != kNil) {
        nodes_[n.prev].next = n.next;
    } else {
        heads_[n.slot] = n.next;
    }
    if (n.next != kNil) nodes_[n.next].prev = n.prev;
    n.next = n.prev = kNil;
}

void TimerWheel::release(std::uint32_t i) noexcept {
    Node& n = nodes_[i];
    n.slot = kNil;
    ++n.generation;  // every handle to this use of the node goes stale
    n.next = free_;
    free_ = i;
    --armed_;
}

TimerHandle TimerWheel::add(std::uint64_t delay, std::uint32_t kind, std::uint64_t cookie) noexcept {
    if (free_ == kNil) return {};
    if (delay == 0) delay = 1;
    const std::uint32_t i = free_;
    Node& n = nodes_[i];
    free_ = n.next;
    n.kind = kind;
    n.cookie = cookie;
    // The slot of tick now+delay is first reached after ((delay-1) % kSlots) + 1 ticks, then
    // every kSlots ticks: it fires on visit (delay-1) / kSlots.
    n.rounds = (delay - 1) / kSlots;
    link(i, static_cast<std::uint32_t>((now_ + delay) & (kSlots - 1)));
    ++armed_;
    return {i, n.generation};
}

bool TimerWheel::armed(TimerHandle h) const noexcept {
    return h.index < nodes_.size() && nodes_[h.index].generation == h.generation &&
           nodes_[h.index].slot != kNil;
}

bool TimerWheel::cancel(TimerHandle h) noexcept {
    if (!armed(h)) return false;
    unlink(h.index);
    release(h.index);
    return true;
}

}  // namespace palisade::dp
