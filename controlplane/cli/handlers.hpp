// The CLI server's commands (docs/cli.md): each turns the control plane's state into one JSON
// object. cp only: they run on the control-plane thread from CliServer::poll(), so they read the
// registrar, guard, keepalive, failover, call records and persistence without locks. Every
// pointer of CliContext may be null (unit tests, or a module the daemon runs without): the
// fields that come from it are then reported empty or zero.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "controlplane/cli/server.hpp"

namespace palisade::dp {
class DataPlane;
class LocationTable;
class LimitsTable;
class PolicySnapshot;
}  // namespace palisade::dp

namespace palisade::cp {

class Registrar;
class AuthGuard;
class Keepalive;
class FailoverTable;
class CallRecords;
class Persist;

/// What a reload did (the daemon's reload path: load + validate, build, publish).
struct ReloadOutcome {
    bool ok = false;
    std::vector<std::string> errors;  ///< "file:line:column: message" (refused: nothing changed)
    std::uint64_t generation = 0;     ///< of the published snapshot
    std::string summary;              ///< check's one-line summary of the new file
};

/// Everything the commands read or act on.
struct CliContext {
    dp::DataPlane* plane = nullptr;
    const dp::LocationTable* location = nullptr;
    const dp::LimitsTable* limits = nullptr;
    /// The current policy snapshot (may return null).
    std::function<const dp::PolicySnapshot*()> snapshot;
    const Registrar* registrar = nullptr;
    AuthGuard* guard = nullptr;
    const Keepalive* keepalive = nullptr;
    FailoverTable* failover = nullptr;
    const CallRecords* calls = nullptr;
    const Persist* persist = nullptr;
    const CliServer* server = nullptr;
    /// The reload path; null: reload refused.
    std::function<ReloadOutcome()> reload;
    std::string config_path;
    std::uint64_t started_unix_s = 0;
    /// Clocks (tests drive them): wall seconds since the epoch, and a monotonic ms clock.
    std::function<std::uint64_t()> now_unix_s;
    std::function<std::uint64_t()> now_ms;
};

/// The command table. cp only.
class CliHandlers {
  public:
    explicit CliHandlers(CliContext ctx);

    /// Answers one request (the CliHandler of CliServer).
    std::string handle(const CliRequest& request);
    /// Takes a rate sample (packets and calls per second). Call about once a second from the
    /// loop; status reports the rates over the last two samples.
    void sample();

    /// Every command name, in help order.
    static const std::vector<std::string>& commands();

  private:
    std::string status();
    std::string trunks();
    std::string trunk(const std::string& id);
    std::string registrations();
    std::string calls();
    std::string counters();
    std::string blocked();
    std::string reload();
    std::string failover(const std::string& id, const std::string& mode);
    std::uint64_t calls_started_total() const;

    CliContext ctx_;
    std::uint64_t prev_ms_ = 0, prev_packets_ = 0, prev_calls_ = 0;
    std::uint64_t last_ms_ = 0, last_packets_ = 0, last_calls_ = 0;
};

}  // namespace palisade::cp
