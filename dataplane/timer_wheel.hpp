// Per-worker timer wheel: the timers of the SIP transaction layer (RFC 3261 §17 timers A-K,
// session expiry) live here. Owned by one worker (no locks); O(1) add and cancel; no allocation
// after construction (nodes are preallocated; a full wheel refuses the add, and the caller counts
// that).
//
// A hashed wheel (Varghese & Lauck, scheme 6): kSlots slots of one tick each; a timer further
// away than one revolution keeps a "rounds" count that advance() decrements when it passes the
// slot. Time is in ticks chosen by the owner (the worker uses 1 ms). advance() walks every slot
// between the last tick and now, so its cost is O(ticks elapsed + timers expired + timers sharing
// the slots passed with more rounds to go).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace palisade::dp {

/// Names one armed timer. A handle whose timer fired or was cancelled goes stale: cancel() of a
/// stale handle is a harmless no-op (the generation differs).
struct TimerHandle {
    std::uint32_t index = 0xffff'ffffu;
    std::uint32_t generation = 0;
    bool valid() const noexcept { return index != 0xffff'ffffu; }
};

class TimerWheel {
public:
    /// Slots per revolution (a power of two): 4096 ticks = 4.096 s at 1 ms.
    static constexpr std::uint32_t kSlots = 4096;

    /// capacity: timers that can be armed at once. start_tick: the current time.
    explicit TimerWheel(std::uint32_t capacity, std::uint64_t start_tick = 0);

    /// Arms a timer that fires once at tick `now() + delay` (delay 0 counts as 1: the next tick).
    /// kind and cookie are given back to the expiry callback. Returns an invalid handle when
    /// every node is in use.
    TimerHandle add(std::uint64_t delay, std::uint32_t kind, std::uint64_t cookie) noexcept;
    /// Disarms a timer; false when it had already fired or been cancelled.
    bool cancel(TimerHandle h) noexcept;
    /// True while h is armed.
    bool armed(TimerHandle h) const noexcept;

    /// Moves time to `now` and calls on_expire(TimerHandle, kind, cookie) for every timer due,
    /// in order of slot. The callback may add and cancel any timer. Returns the number fired.
    template <class F>
    std::size_t advance(std::uint64_t now, F&& on_expire) noexcept;

    /// Timers armed.
    std::uint32_t size() const noexcept { return armed_; }
    /// Timers that can be armed at once.
    std::uint32_t capacity() const noexcept { return static_cast<std::uint32_t>(nodes_.size()); }
    /// The tick advance() last reached.
    std::uint64_t now() const noexcept { return now_; }

private:
    static constexpr std::uint32_t kNil = 0xffff'ffffu;
    struct Node {
        std::uint32_t next = kNil;   // in the slot list, or the free list
        std::uint32_t prev = kNil;   // in the slot list; kNil at the head
        std::uint32_t generation = 0;
        std::uint32_t kind = 0;
        std::uint64_t rounds = 0;    // revolutions still to wait once the slot is reached
        std::uint64_t cookie = 0;
        std::uint32_t slot = kNil;   // kNil when free
    };
    static constexpr std::uint32_t kDueList = kSlots;  // extra list: timers firing now
    void link(std::uint32_t i, std::uint32_t slot) noexcept;
    void unlink(std::uint32_t i) noexcept;
    void release(std::uint32_t i) noexcept;

    std::vector<Node> nodes_;
    std::vector<std::uint32_t> heads_;  // kSlots slot list heads + the due list
    std::uint32_t free_ = kNil;
    std::uint32_t armed_ = 0;
    std::uint64_t now_ = 0;
};

template <class F>
std::size_t TimerWheel::advance(std::uint64_t now, F&& on_expire) noexcept {
    std::size_t fired = 0;
    while (now_ < now) {
        ++now_;
        const std::uint32_t slot = static_cast<std::uint32_t>(now_ & (kSlots - 1));
        // Move what is due to the due list first: a callback may then cancel or add any timer
        // (including one of those still due) without breaking this walk.
        std::uint32_t i = heads_[slot];
        while (i != kNil) {
            Node& n = nodes_[i];
            const std::uint32_t next = n.next;
            if (n.rounds == 0) {
                unlink(i);
                link(i, kDueList);
            } else {
                --n.rounds;
            }
            i = next;
        }
        while (heads_[kDueList] != kNil) {
            const std::uint32_t d = heads_[kDueList];
            Node& n = nodes_[d];
            unlink(d);
            const TimerHandle h{d, n.generation};
            const std::uint32_t kind = n.kind;
            const std::uint64_t cookie = n.cookie;
            release(d);
            on_expire(h, kind, cookie);
            ++fired;
        }
    }
    return fired;
}

}  // namespace palisade::dp
