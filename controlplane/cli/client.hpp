// palisadectl's side of the CLI protocol (controlplane/cli/server.hpp, docs/cli.md § Protocol):
// finding the socket, sending one request line, reading the one JSON response, a small JSON
// reader for the human tables, and the entry points of the commands that talk to the daemon
// (one per file, cli/<name>_cmd.cpp). cp only (palisadectl).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace palisade::cp {

/// Exit codes of the daemon commands: 0 ok, 1 the daemon refused (response ok=false), 2 usage,
/// 3 the daemon is not running (no socket, or nobody listening), 4 a protocol error.
inline constexpr int kExitRefused = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotRunning = 3;
inline constexpr int kExitProtocol = 4;

/// A parsed JSON value (enough for palisadectl's tables).
struct JsonValue {
    enum class Type : std::uint8_t { null, boolean, number, string, array, object };
    Type type = Type::null;
    bool b = false;
    double n = 0;
    std::string s;
    std::vector<JsonValue> items;                            ///< array
    std::vector<std::pair<std::string, JsonValue>> members;  ///< object, in order

    /// Member `key` of an object, or a static null value.
    [[nodiscard]] const JsonValue& operator[](std::string_view key) const;
    /// The value as text for a table cell: strings as is, numbers without a trailing ".0",
    /// booleans yes/no, null "-".
    [[nodiscard]] std::string text() const;
    [[nodiscard]] std::uint64_t u64() const { return n > 0 ? static_cast<std::uint64_t>(n) : 0; }
};

/// Parses one JSON text. False with `error` on malformed input.
bool parse_json(std::string_view text, JsonValue& out, std::string& error);

/// Common options of the daemon commands: `--socket PATH`, `-c/--config FILE` (its
/// [control] cli_socket), `--json`. The socket defaults to $PALISADE_SOCKET, else
/// /run/palisade/palisade.sock.
struct RemoteOptions {
    std::string socket;
    bool json = false;
    bool help = false;
    std::vector<std::string> args;  ///< the rest (the command's own arguments)
};
/// Parses argv (argv[0] = the command name). False with a message for a usage error.
bool parse_remote_options(int argc, char** argv, RemoteOptions& out, std::string& error);

/// Sends `request` (one line, no newline) and reads the response line. Returns 0 with
/// `response` set, kExitNotRunning with "palisade is not running (no socket at PATH)" (or "...
/// (nobody listening at PATH)"), or kExitProtocol with a message.
int cli_call(const std::string& socket, const std::string& request, std::string& response,
             std::string& error, int timeout_ms = 10000);

/// Runs one daemon command: parses options, sends `request_words` + args, and prints the
/// response: with --json the JSON line as received; else `print` renders it. Exit code as
/// above. `usage` is printed for --help (stdout) or a usage error (stderr). `min_args`..
/// `max_args`: how many arguments the command takes.
int run_remote(int argc, char** argv, std::string_view usage, std::size_t min_args,
               std::size_t max_args, void (*print)(const JsonValue& response));

/// Prints rows as an aligned table (first row: headings).
void print_table(const std::vector<std::vector<std::string>>& rows);
/// "1d 02:03:04" for seconds.
std::string format_duration(std::uint64_t seconds);

// ---- the daemon commands (each in cli/<name>_cmd.cpp; argv[0] is the command name) ----
int run_status(int argc, char** argv);
int run_trunks(int argc, char** argv);
int run_trunk(int argc, char** argv);
int run_registrations(int argc, char** argv);
int run_calls(int argc, char** argv);
int run_counters(int argc, char** argv);
int run_blocked(int argc, char** argv);
int run_reload(int argc, char** argv);
int run_failover(int argc, char** argv);

}  // namespace palisade::cp
