// Brute-force protection (issue 5 point 4, DESIGN.md §4). cp only.
//
// Failed digest authentications are counted per source address and per username over a sliding
// window. When either count reaches the threshold, the failing source is blocked for the block
// duration: it is written into the workers' LocationTable blocked list (the workers drop its
// packets silently, counted) and lifted by tick() once the time has passed. Counting per username
// as well catches one account attacked from many addresses: every address that fails against it
// while it is over the threshold is blocked (a PBX that knows its password never fails, so it is
// never caught by this).
//
// Before the block, a source or username that keeps failing gets 403 instead of a new challenge
// (should_forbid; "403 after repeated failures", DESIGN.md §4): RFC 3261 §22.2 lets a UAS refuse
// with 403 when it will not accept the credentials, and it stops PBXs that loop on 401 with a
// wrong password.
//
// Memory is bounded: per key at most `threshold` failure times are kept (older ones cannot
// change a decision), and at most `max_tracked` keys of each kind; keys idle for a whole window
// are pruned by tick().
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dataplane/contract/location.hpp"

namespace palisade::cp {

/// One log line (no trailing newline). The default sink writes "palisade: <line>" to stderr.
using LogSink = std::function<void(std::string_view line)>;

/// Thresholds ([security] in the config; cp::Settings).
struct AuthGuardSettings {
    std::uint32_t threshold = 10;    ///< failures in the window that block the source
    std::uint32_t window_s = 60;     ///< sliding window
    std::uint32_t block_s = 600;     ///< how long a block lasts
    std::uint32_t forbid_after = 3;  ///< failures in the window after which should_forbid (403)
    std::uint32_t max_tracked = 1u << 16;  ///< most sources and most usernames counted at once
};

/// Why a source was blocked.
enum class BlockReason : std::uint8_t {
    source_failures,    ///< too many failures from this address
    username_failures,  ///< it failed against a username that too many failures target
};

/// One blocked source, for the CLI (`palisadectl blocked`).
struct BlockedSource {
    std::uint32_t ip = 0;  ///< host order
    BlockReason reason = BlockReason::source_failures;
    std::string username;  ///< the username of the failure that triggered the block
    std::uint32_t failures =
        0;                      ///< failures in the window when blocked (of the source or username)
    std::uint64_t since_s = 0;  ///< Unix seconds
    std::uint64_t until_s = 0;  ///< Unix seconds
};

/// What the guard did. cp writes; the CLI reads on the same thread.
struct AuthGuardCounters {
    std::uint64_t failures = 0;                ///< on_auth_failure calls
    std::uint64_t successes = 0;               ///< on_auth_success calls
    std::uint64_t blocks = 0;                  ///< sources blocked
    std::uint64_t blocks_by_username = 0;      ///< of which because of the username's count
    std::uint64_t unblocks = 0;                ///< blocks lifted (expired or by the operator)
    std::uint64_t block_refused = 0;           ///< LocationTable's blocked list was full
    std::uint64_t forbidden = 0;               ///< should_forbid answered true
    std::uint64_t untracked = 0;               ///< a key not counted: max_tracked reached
    std::uint64_t failures_while_blocked = 0;  ///< failures of a source already blocked
};

/// Brute-force protection. cp only.
class AuthGuard {
  public:
    /// `location`: the workers' table; this guard writes its blocked list.
    explicit AuthGuard(dp::LocationTable& location, const AuthGuardSettings& settings = {});

    /// New thresholds (reload). Existing counts and blocks stay.
    void configure(const AuthGuardSettings& settings);
    [[nodiscard]] const AuthGuardSettings& settings() const noexcept { return settings_; }
    /// Where log lines go (a block, a lift).
    void set_log(LogSink sink) { log_ = std::move(sink); }

    /// A request from `source_ip` (host order) carried credentials for `username` that were
    /// refused (wrong response, unknown user, ...). `now_s`: Unix seconds. Returns true when this
    /// failure blocked the source.
    bool on_auth_failure(std::uint32_t source_ip, std::string_view username, std::uint64_t now_s);
    /// Credentials for `username` from `source_ip` were accepted: the source's failures are
    /// forgotten (a PBX that mistyped once and was fixed starts clean). The username's are kept,
    /// so that a legitimate login does not reset the count of an attack on that account from
    /// elsewhere.
    void on_auth_success(std::uint32_t source_ip, std::string_view username, std::uint64_t now_s);
    /// True when a refused request from this source for this username should get 403 rather
    /// than a new 401 challenge: the source, or the username, has failed at least forbid_after
    /// times in the window (the failure being answered already counted), or the source is blocked.
    [[nodiscard]] bool should_forbid(std::uint32_t source_ip, std::string_view username,
                                     std::uint64_t now_s);

    /// Lifts the blocks that have expired at `now_s`, and once per window drops the counts that
    /// have aged out. Call once per control-plane tick (cost: O(blocked), plus O(tracked keys)
    /// once per window). Returns how many blocks were lifted.
    std::size_t tick(std::uint64_t now_s);
    /// Operator: lifts the block of `ip` now. False when it was not blocked.
    bool unblock(std::uint32_t ip, std::uint64_t now_s);

    /// True while `ip` is blocked (this guard's view; the workers read the LocationTable).
    [[nodiscard]] bool is_blocked(std::uint32_t ip, std::uint64_t now_s) const;
    /// Failures of a source / username within the window ending at now_s.
    [[nodiscard]] std::uint32_t source_failures(std::uint32_t ip, std::uint64_t now_s) const;
    [[nodiscard]] std::uint32_t username_failures(std::string_view username,
                                                  std::uint64_t now_s) const;
    /// Every blocked source, oldest block first (CLI `blocked`).
    [[nodiscard]] std::vector<BlockedSource> blocked() const;
    [[nodiscard]] const AuthGuardCounters& counters() const noexcept { return counters_; }

  private:
    // Failure times (Unix seconds) of one key, oldest first, at most settings_.threshold of them.
    struct Window {
        std::deque<std::uint64_t> times;
    };
    struct NameHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    std::uint32_t count_in(const Window& w, std::uint64_t now_s) const noexcept;
    void add(Window& w, std::uint64_t now_s);
    void block(std::uint32_t ip, BlockReason reason, std::string_view username,
               std::uint32_t failures, std::uint64_t now_s);
    void emit(const std::string& line) const;

    dp::LocationTable& location_;
    AuthGuardSettings settings_;
    LogSink log_;
    std::unordered_map<std::uint32_t, Window> by_source_;
    std::unordered_map<std::string, Window, NameHash, std::equal_to<>> by_username_;
    std::unordered_map<std::uint32_t, BlockedSource> blocked_;
    std::uint64_t last_prune_s_ = 0;
    AuthGuardCounters counters_;
};

/// "source" / "username": the CLI's text of a block reason.
std::string_view block_reason_name(BlockReason r) noexcept;

}  // namespace palisade::cp
