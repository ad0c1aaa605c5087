// The CLI server (issue 5 point 8): the daemon end of palisadectl. cp only.
//
// Protocol (docs/cli.md § Protocol): a client connects to the UNIX stream socket at
// [control] cli_socket, writes ONE request line (words separated by spaces or tabs, ended by
// "\n", at most kCliMaxRequest octets: "status", "trunk acme", "failover acme primary"), and
// reads ONE response line: a JSON object ended by "\n", after which the server closes the
// connection. Every response has "ok" (true/false); a refused request has "error" (a sentence)
// and, for reload, "errors" (the file:line:column messages). A request that is too long, not
// text, or names no command is answered {"ok":false,"error":...}: never a crash.
//
// Threads: no thread of its own. poll() is called from the control-plane loop (every pass, a
// few µs when idle: one non-blocking accept and one non-blocking read/write per open client), and
// handlers run there, so they read the control plane's state without locks. Bounds: at most
// max_clients connections at once (more are accepted and closed at once, counted), a request
// past kCliMaxRequest octets is answered with an error, a client idle for idle_timeout_ms is
// dropped, a response larger than max_response is replaced by an error.
//
// Access: the socket's directory is created when missing (0750); the socket file is mode 0660,
// owner root (the daemon's user) and group `cli_group` when configured ([control] cli_group),
// so root or a member of that group only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace palisade::cp {

/// Longest request line (octets, without the "\n").
inline constexpr std::size_t kCliMaxRequest = 4096;
/// Most words in a request.
inline constexpr std::size_t kCliMaxWords = 16;

/// Settings of the server.
struct CliServerOptions {
    std::string path;   ///< [control] cli_socket
    std::string group;  ///< [control] cli_group ("" = root only)
    std::size_t max_clients = 16;
    std::size_t max_response = 128u << 20;  ///< `trunks` of 100,000 trunks is ~50 MiB
    std::uint32_t idle_timeout_ms = 5000;
};

/// A parsed request: the command word and its arguments.
struct CliRequest {
    std::string command;
    std::vector<std::string> args;
};

/// Produces the JSON response (one object, without the newline) for a request. Runs on the
/// control-plane thread.
using CliHandler = std::function<std::string(const CliRequest& request)>;

/// What the server did.
struct CliServerCounters {
    std::uint64_t accepted = 0;
    std::uint64_t refused_busy = 0;  ///< connections closed at once: max_clients reached
    std::uint64_t requests = 0;      ///< request lines handled (good or bad)
    std::uint64_t bad_requests = 0;  ///< answered with an error before any handler ran
    std::uint64_t timeouts = 0;      ///< clients dropped for idling
    std::uint64_t write_errors = 0;
};

/// Splits a request line into words. False with `error` for an empty line, a line with a
/// control character (other than tab) or a byte past 0x7e, or more than kCliMaxWords words.
bool parse_cli_request(std::string_view line, CliRequest& out, std::string& error);
/// {"ok":false,"error":"<message>"}.
std::string cli_error_response(std::string_view message);

/// The UNIX socket server. cp only.
class CliServer {
  public:
    explicit CliServer(CliServerOptions options);
    /// close().
    ~CliServer();
    CliServer(const CliServer&) = delete;
    CliServer& operator=(const CliServer&) = delete;

    /// Creates the directory, removes a stale socket file, binds, listens (non-blocking), sets
    /// the mode and group. False with `error` (nothing left open).
    bool open(std::string& error);
    /// Closes every client and the listener, and removes the socket file.
    void close();
    /// The handler of complete requests.
    void set_handler(CliHandler handler) { handler_ = std::move(handler); }

    /// Non-blocking: accepts new clients, reads what they sent, answers complete requests, writes
    /// pending responses, drops idle clients. `now_ms`: a monotonic clock. Returns the number of
    /// requests answered in this call.
    std::size_t poll(std::uint64_t now_ms);

    [[nodiscard]] bool is_open() const noexcept { return listen_fd_ >= 0; }
    [[nodiscard]] const std::string& path() const noexcept { return options_.path; }
    [[nodiscard]] std::size_t clients() const noexcept { return clients_.size(); }
    [[nodiscard]] const CliServerCounters& counters() const noexcept { return counters_; }

  private:
    struct Client {
        int fd = -1;
        std::string in;
        std::string out;
        std::size_t written = 0;
        bool answered = false;
        std::uint64_t since_ms = 0;
    };
    void accept_clients(std::uint64_t now_ms);
    bool serve(Client& c);  // false: done with this client (close it)
    std::string answer(std::string_view line);

    CliServerOptions options_;
    CliHandler handler_;
    int listen_fd_ = -1;
    std::vector<Client> clients_;
    CliServerCounters counters_;
};

}  // namespace palisade::cp
