// Time as the policy engine sees it: a coarse wall clock read once per burst by each worker and
// passed down by value, so that every check in one burst agrees on "now" and tests can drive
// time by hand (ManualClock) without sleeping.
//
// Wall time (CLOCK_REALTIME_COARSE), not monotonic time, because the call windows of the limits
// are aligned to wall-clock minutes and hours (limits.hpp). A clock stepped backwards never
// un-counts a call: windows keep their newest bucket until time passes it again.
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>

namespace palisade::dp {

/// A point in wall time, nanoseconds since the Unix epoch.
struct Instant {
    std::uint64_t ns = 0;
    /// Whole seconds since the Unix epoch.
    [[nodiscard]] constexpr std::uint64_t seconds() const noexcept { return ns / 1'000'000'000ULL; }
    friend constexpr bool operator==(Instant, Instant) = default;
};

/// Makes an Instant from whole seconds since the Unix epoch.
constexpr Instant instant_from_seconds(std::uint64_t s) noexcept { return Instant{s * 1'000'000'000ULL}; }

/// A source of "now". Workers call now() once per burst (one virtual call per burst, never per
/// packet); the value is passed to every decision of that burst.
class Clock {
public:
    virtual ~Clock() = default;
    /// Current time. Thread-safe, never blocks, never fails.
    [[nodiscard]] virtual Instant now() const noexcept = 0;
};

/// The production clock: CLOCK_REALTIME_COARSE, served by the vDSO (no syscall), a few ms coarse.
class SystemClock final : public Clock {
public:
    [[nodiscard]] Instant now() const noexcept override {
        timespec ts{};
        clock_gettime(CLOCK_REALTIME_COARSE, &ts);
        return Instant{static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
                       static_cast<std::uint64_t>(ts.tv_nsec)};
    }
};

/// A clock tests drive by hand. Any thread may read it while one thread sets or advances it.
class ManualClock final : public Clock {
public:
    explicit ManualClock(Instant start = instant_from_seconds(1'700'000'000)) noexcept
        : ns_(start.ns) {}
    [[nodiscard]] Instant now() const noexcept override {
        return Instant{ns_.load(std::memory_order_acquire)};
    }
    /// Sets the time (may go backwards, to test a stepped clock).
    void set(Instant t) noexcept { ns_.store(t.ns, std::memory_order_release); }
    /// Moves the time forward by whole seconds.
    void advance_seconds(std::uint64_t s) noexcept {
        ns_.fetch_add(s * 1'000'000'000ULL, std::memory_order_acq_rel);
    }

private:
    std::atomic<std::uint64_t> ns_;
};

}  // namespace palisade::dp
