// Failover state per trunk (issue 5; DESIGN.md §3). cp only.
//
// Each trunk has a setting, `auto` (the default) or forced `primary`, `secondary` or `dialplan`
// (palisadectl `failover ID auto|primary|secondary|dialplan`), and an effective state:
//   auto:   primary when the primary account is usable, else secondary when the secondary is,
//           else dialplan;
//   forced: the forced state, whatever the accounts do.
// An account is usable when it is registered (at least one contact) and at least one of its
// contacts is not marked down by keepalive (unknown counts as usable: a contact that just
// registered has just shown it is there).
//
// What the workers get (LocationTable::set_failover): a forced state as is; in auto,
// FailoverMode::automatic while the primary is usable (targets in order, primary first, skipping
// unreachable contacts, so a call whose primary target times out still falls over to the
// secondary, DESIGN.md §3), else secondary or dialplan. Every change of the effective state is
// logged and counted; the location byte is written whenever it changes.
//
// Inputs: set_account() from keepalive (which sees both registrations and reachability), and
// force() from the CLI.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "dataplane/contract/location.hpp"

namespace palisade::cp {

/// One log line (no trailing newline). The default sink writes "palisade: <line>" to stderr.
using LogSink = std::function<void(std::string_view line)>;

/// "auto", "primary", "secondary", "dialplan".
std::string_view failover_mode_name(dp::FailoverMode m) noexcept;
/// Parses the CLI's word ("auto" for automatic); false for anything else.
bool parse_failover_mode(std::string_view word, dp::FailoverMode& out) noexcept;

/// One trunk's failover view (CLI `trunk ID`).
struct TrunkFailover {
    dp::FailoverMode setting = dp::FailoverMode::automatic;    ///< auto or forced
    dp::FailoverMode effective = dp::FailoverMode::dialplan;   ///< primary, secondary or dialplan
    dp::FailoverMode published = dp::FailoverMode::automatic;  ///< what the workers read
    bool primary_registered = false, primary_reachable = false;
    bool secondary_registered = false, secondary_reachable = false;
    std::uint64_t changes = 0;  ///< effective-state changes of this trunk
};

/// What the table did. cp only.
struct FailoverCounters {
    std::uint64_t changes = 0;  ///< effective-state changes, every trunk
    std::uint64_t to_primary = 0, to_secondary = 0, to_dialplan = 0;
    std::uint64_t forced = 0;           ///< force() calls that changed the setting
    std::uint64_t publish_refused = 0;  ///< LocationTable refused the trunk key (out of range)
};

/// Per-trunk failover state. cp only.
class FailoverTable {
  public:
    explicit FailoverTable(dp::LocationTable& location) : location_(location) {}

    /// Where log lines go.
    void set_log(LogSink sink) { log_ = std::move(sink); }
    /// Names trunks in log lines (trunk key -> id); the key is printed without it.
    void set_trunk_namer(std::function<std::string(std::uint32_t)> namer) {
        namer_ = std::move(namer);
    }

    /// An account of trunk `trunk_key` changed: `registered` (has a contact), `reachable` (some
    /// contact is not down). Recomputes and publishes the trunk's state when it changes.
    void set_account(std::uint32_t trunk_key, dp::LocationRole role, bool registered,
                     bool reachable);
    /// Sets the trunk's setting (automatic = auto). Returns false when the trunk key is out of the
    /// LocationTable's range (nothing changed).
    bool force(std::uint32_t trunk_key, dp::FailoverMode setting);
    /// Forgets a trunk (removed by a reload): its location byte goes back to automatic.
    void remove(std::uint32_t trunk_key);

    /// The trunk's view; a trunk never seen is auto with nothing registered (dialplan).
    [[nodiscard]] TrunkFailover get(std::uint32_t trunk_key) const;
    /// Effective state of a trunk.
    [[nodiscard]] dp::FailoverMode effective(std::uint32_t trunk_key) const {
        return get(trunk_key).effective;
    }
    [[nodiscard]] const FailoverCounters& counters() const noexcept { return counters_; }
    [[nodiscard]] std::size_t size() const noexcept { return trunks_.size(); }

  private:
    void update(std::uint32_t trunk_key, TrunkFailover& t, std::string_view why);
    std::string trunk_name(std::uint32_t trunk_key) const;

    dp::LocationTable& location_;
    LogSink log_;
    std::function<std::string(std::uint32_t)> namer_;
    std::unordered_map<std::uint32_t, TrunkFailover> trunks_;
    FailoverCounters counters_;
};

}  // namespace palisade::cp
