// Data-plane counters: one block per worker, one row per port, one column per counter of
// counters.def. Written by the owning worker only (dp: wo), read by the control plane (cp: ro),
// summed when read (Seastar/VPP style: no shared cache line is written on the packet path).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace palisade::dp {

/// Every counter of counters.def.
enum class Counter : std::uint16_t {
#define PALISADE_DP_COUNTER(name, text) name,
#include "dataplane/contract/counters.def"
#undef PALISADE_DP_COUNTER
    count_
};

inline constexpr std::size_t kCounterCount = static_cast<std::size_t>(Counter::count_);
/// Ports a data plane handles (access, core, and room for more).
inline constexpr std::size_t kMaxPorts = 8;
/// Workers a data plane runs.
inline constexpr std::size_t kMaxWorkers = 64;

/// Name of a counter, as counters.def spells it (CLI and JSON field names).
constexpr std::string_view counter_name(Counter c) noexcept {
    constexpr std::string_view kNames[] = {
#define PALISADE_DP_COUNTER(name, text) #name,
#include "dataplane/contract/counters.def"
#undef PALISADE_DP_COUNTER
    };
    return kNames[static_cast<std::size_t>(c)];
}
/// One-line description of a counter.
constexpr std::string_view counter_help(Counter c) noexcept {
    constexpr std::string_view kHelp[] = {
#define PALISADE_DP_COUNTER(name, text) text,
#include "dataplane/contract/counters.def"
#undef PALISADE_DP_COUNTER
    };
    return kHelp[static_cast<std::size_t>(c)];
}

/// One worker's counters. The worker increments with a relaxed load+store (single writer: no
/// locked instruction on the packet path); readers load relaxed and may see a value one burst old.
struct alignas(64) WorkerCounters {
    std::array<std::array<std::atomic<std::uint64_t>, kCounterCount>, kMaxPorts> v{};

    /// dp only: add n to counter c of port.
    void add(std::uint16_t port, Counter c, std::uint64_t n = 1) noexcept {
        auto& a = v[port][static_cast<std::size_t>(c)];
        a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    /// any thread: current value.
    std::uint64_t get(std::uint16_t port, Counter c) const noexcept {
        return v[port][static_cast<std::size_t>(c)].load(std::memory_order_relaxed);
    }
};

}  // namespace palisade::dp
