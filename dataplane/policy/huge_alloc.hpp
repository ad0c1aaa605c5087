// An allocator for the policy engine's large read-mostly arrays (trunk records, destination
// index, trie arena, limits gauges): blocks of 2 MiB and more are 2 MiB aligned and marked
// MADV_HUGEPAGE, so that the kernel backs them with transparent huge pages when it can.
//
// Why: at 100,000 trunks and 1,000,000 destination prefixes the arrays a decision touches span
// tens of thousands of 4 KiB pages, more than the data TLB holds, so nearly every cache miss of
// a decision was also a TLB miss with its own page walk (bench/README.md "## Policy"). On 2 MiB
// pages the same arrays need a few dozen TLB entries. The advice is only advice: with THP set
// to "never" (or no huge page free) the memory is ordinary pages and behaves as before.
//
// Control plane only (allocation at snapshot build and table creation), never on the packet path.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

namespace palisade::dp {

inline constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

/// Allocates `bytes` (aligned to 64 bytes at least); huge-page advised from 2 MiB on.
inline void* huge_alloc_bytes(std::size_t bytes) {
    if (bytes >= kHugePageBytes) {
        const std::size_t rounded = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
        void* p = std::aligned_alloc(kHugePageBytes, rounded);
        if (p == nullptr) throw std::bad_alloc();
        ::madvise(p, rounded, MADV_HUGEPAGE);  // advice: failure leaves ordinary pages
        return p;
    }
    const std::size_t rounded = (bytes + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}

/// std::allocator replacement for std::vector of large arrays.
template <class T>
struct HugePageAllocator {
    using value_type = T;
    HugePageAllocator() noexcept = default;
    template <class U>
    HugePageAllocator(const HugePageAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return static_cast<T*>(huge_alloc_bytes(n * sizeof(T))); }
    void deallocate(T* p, std::size_t) noexcept { std::free(p); }
    template <class U>
    bool operator==(const HugePageAllocator<U>&) const noexcept {
        return true;
    }
};

/// A vector whose storage is huge-page advised once it reaches 2 MiB.
template <class T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;

}  // namespace palisade::dp
