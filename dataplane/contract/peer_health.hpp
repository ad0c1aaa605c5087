// Health of the core peers (ConfigSpec::core_peers, in config order), as keepalive OPTIONS see
// it (issue 5 point 5; controlplane/keepalive/). One writer (the control plane's keepalive),
// many readers (the workers, which pick a healthy core peer for a new call). One atomic byte
// per peer: a stale value for one probe interval is harmless, so relaxed loads are enough and
// a reader never waits.
//
// A reload that changes the peer list calls reset(count): every peer starts over as unknown,
// which a worker treats like up (a peer is only avoided once keepalive has seen it miss).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "dataplane/contract/location.hpp"

namespace palisade::dp {

/// Most core peers tracked (a carrier gives a handful; the rest are ignored and counted by cp).
inline constexpr std::size_t kMaxCorePeers = 64;

/// Per core peer: unknown (not probed yet), up or down. Writer: cp (keepalive); readers: workers.
class PeerHealthTable {
  public:
    PeerHealthTable() noexcept { reset(0); }
    PeerHealthTable(const PeerHealthTable&) = delete;
    PeerHealthTable& operator=(const PeerHealthTable&) = delete;

    /// Number of peers in use (ConfigSpec::core_peers.size(), at most kMaxCorePeers). Any thread.
    [[nodiscard]] std::size_t count() const noexcept {
        return count_.load(std::memory_order_acquire);
    }
    /// State of peer `index` (config order); unknown for an index out of range. Any thread.
    [[nodiscard]] Reachability state(std::size_t index) const noexcept {
        if (index >= kMaxCorePeers) return Reachability::unknown;
        return static_cast<Reachability>(state_[index].load(std::memory_order_relaxed));
    }
    /// True unless keepalive marked peer `index` down (unknown counts as usable). Any thread.
    [[nodiscard]] bool usable(std::size_t index) const noexcept {
        return state(index) != Reachability::down;
    }

    /// Sets the state of peer `index`; false when out of range. cp only.
    bool set(std::size_t index, Reachability r) noexcept {
        if (index >= kMaxCorePeers) return false;
        state_[index].store(static_cast<std::uint8_t>(r), std::memory_order_relaxed);
        return true;
    }
    /// A new peer list of `count` peers (clamped to kMaxCorePeers), every one unknown. cp only.
    void reset(std::size_t count) noexcept {
        for (auto& s : state_) s.store(0, std::memory_order_relaxed);
        count_.store(count < kMaxCorePeers ? count : kMaxCorePeers, std::memory_order_release);
    }

  private:
    std::atomic<std::size_t> count_{0};                 // cp writes, workers read
    std::atomic<std::uint8_t> state_[kMaxCorePeers]{};  // Reachability; cp writes, workers read
};

}  // namespace palisade::dp
