// The daemon: `palisade -c CONFIG [-- EAL arguments]`. Loads and validates the config, starts
// the data plane (EAL, ports, a worker on every non-main lcore), then runs the control-plane
// loop (controlplane/control_plane.hpp: registrar, keepalive, call records, persistence, CLI
// socket) on the main lcore until SIGINT or SIGTERM; SIGHUP reopens the call-record file. cp only.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace palisade::cp {

/// Parsed command line.
struct DaemonOptions {
    std::string program = "palisade";
    std::string config_path;
    std::vector<std::string> eal_overrides;  ///< everything after "--"
    bool help = false;
};

/// Parses argv. false with a message for a bad command line.
bool parse_command_line(int argc, char** argv, DaemonOptions& out, std::string& error);

/// Usage text.
std::string usage(const std::string& program);

/// Runs the daemon; returns the process exit code (0 clean stop, 1 start-up failure, 2 bad
/// config or command line). stop_flag is set by the signal handlers (or a test).
int run_daemon(const DaemonOptions& options, std::atomic<bool>& stop_flag);

/// Installs SIGINT/SIGTERM handlers that set stop_flag (async-signal-safe: one atomic store).
void install_stop_signals(std::atomic<bool>& stop_flag);

}  // namespace palisade::cp
