#include "dataplane/counters.hpp"

namespace palisade::dp {

std::uint64_t sum_rows(const WorkerCounters& block, Counter c) noexcept {
    std::uint64_t total = 0;
    for (std::uint16_t r = 0; r < kMaxPorts; ++r) total += block.get(r, c);
    return total;
}

std::uint64_t sum_counter(const WorkerCounters* blocks, std::size_t workers, Counter c,
                          int row) noexcept {
    std::uint64_t total = 0;
    for (std::size_t w = 0; w < workers; ++w) {
        total += row >= 0 ? blocks[w].get(static_cast<std::uint16_t>(row), c) : sum_rows(blocks[w], c);
    }
    return total;
}

}  // namespace palisade::dp
