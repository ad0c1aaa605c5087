// Sum-when-read helpers over the per-worker counter blocks (contract/counters.hpp). Any thread;
// relaxed loads: a reader may see a value one burst old.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/contract/counters.hpp"

namespace palisade::dp {

/// Counter c summed over `workers` blocks, for one port row, or every row when row < 0.
std::uint64_t sum_counter(const WorkerCounters* blocks, std::size_t workers, Counter c,
                          int row = -1) noexcept;
/// Counter c of one block summed over every port row.
std::uint64_t sum_rows(const WorkerCounters& block, Counter c) noexcept;

}  // namespace palisade::dp
