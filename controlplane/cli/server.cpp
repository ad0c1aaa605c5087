#include "controlplane/cli/server.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>

#include "controlplane/json.hpp"

namespace palisade::cp {
namespace {

std::string errno_text(const char* what, const std::string& path) {
    return std::string(what) + " " + path + ": " + std::strerror(errno);
}

// mkdir -p for the socket's directory (0750: the socket's own mode does the gatekeeping).
bool make_parent_dirs(const std::string& path, std::string& error) {
    const std::size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) return true;
    const std::string dir = path.substr(0, slash);
    for (std::size_t i = 1; i <= dir.size(); ++i) {
        if (i != dir.size() && dir[i] != '/') continue;
        const std::string part = dir.substr(0, i);
        if (::mkdir(part.c_str(), 0750) != 0 && errno != EEXIST) {
            error = errno_text("cannot create directory", part);
            return false;
        }
    }
    return true;
}

}  // namespace

bool parse_cli_request(std::string_view line, CliRequest& out, std::string& error) {
    out = {};
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    for (const char ch : line) {
        const auto u = static_cast<unsigned char>(ch);
        if ((u < 0x20 && u != '\t') || u > 0x7e) {
            error = "request is not printable ASCII text";
            return false;
        }
    }
    std::vector<std::string> words;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        const std::size_t b = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
        if (i > b) {
            if (words.size() == kCliMaxWords) {
                error =
                    "too many words in the request (at most " + std::to_string(kCliMaxWords) + ")";
                return false;
            }
            words.emplace_back(line.substr(b, i - b));
        }
    }
    if (words.empty()) {
        error = "empty request";
        return false;
    }
    out.command = std::move(words.front());
    out.args.assign(words.begin() + 1, words.end());
    return true;
}

std::string cli_error_response(std::string_view message) {
    JsonWriter w;
    w.begin_object().member("ok", false).member("error", message).end_object();
    return w.take();
}

CliServer::CliServer(CliServerOptions options) : options_(std::move(options)) {}

CliServer::~CliServer() {
    close();
}

bool CliServer::open(std::string& error) {
    close();
    sockaddr_un addr{};
    if (options_.path.empty() || options_.path.size() >= sizeof addr.sun_path) {
        error = "cli_socket path is empty or longer than " +
                std::to_string(sizeof addr.sun_path - 1) + " octets: " + options_.path;
        return false;
    }
    if (!make_parent_dirs(options_.path, error)) return false;
    // A socket file left by a daemon that died is removed; anything else at the path is refused
    // rather than deleted.
    struct stat st {};
    if (::lstat(options_.path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            error = "cli_socket " + options_.path + " exists and is not a socket";
            return false;
        }
        ::unlink(options_.path.c_str());
    }
    gid_t gid = static_cast<gid_t>(-1);
    if (!options_.group.empty()) {
        const group* g = ::getgrnam(options_.group.c_str());
        if (g == nullptr) {
            error = "cli_group " + options_.group + ": no such group";
            return false;
        }
        gid = g->gr_gid;
    }
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = errno_text("socket() for", options_.path);
        return false;
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, options_.path.data(), options_.path.size());
    // The umask makes the socket 0660 from its creation (no window where others could connect).
    const mode_t old_mask = ::umask(0117);
    const int rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    ::umask(old_mask);
    if (rc != 0) {
        error = errno_text("cannot bind", options_.path);
        ::close(fd);
        return false;
    }
    if (::chmod(options_.path.c_str(), 0660) != 0 ||
        (gid != static_cast<gid_t>(-1) &&
         ::chown(options_.path.c_str(), static_cast<uid_t>(-1), gid) != 0)) {
        error = errno_text("cannot set the mode or group of", options_.path);
        ::close(fd);
        ::unlink(options_.path.c_str());
        return false;
    }
    if (::listen(fd, 16) != 0) {
        error = errno_text("cannot listen on", options_.path);
        ::close(fd);
        ::unlink(options_.path.c_str());
        return false;
    }
    listen_fd_ = fd;
    return true;
}

void CliServer::close() {
    for (Client& c : clients_) ::close(c.fd);
    clients_.clear();
    if (listen_fd_ >= 0) {
        ::close(listen_fd_);
        listen_fd_ = -1;
        ::unlink(options_.path.c_str());
    }
}

void CliServer::accept_clients(std::uint64_t now_ms) {
    for (int n = 0; n < 16; ++n) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;  // EAGAIN (nothing waiting) or a transient error: try next poll
        if (clients_.size() >= options_.max_clients) {
            ++counters_.refused_busy;
            const std::string busy = cli_error_response("too many CLI clients, try again") + "\n";
            (void)!::send(fd, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            ::close(fd);
            continue;
        }
        ++counters_.accepted;
        Client c;
        c.fd = fd;
        c.since_ms = now_ms;
        clients_.push_back(std::move(c));
    }
}

std::string CliServer::answer(std::string_view line) {
    ++counters_.requests;
    CliRequest req;
    std::string error;
    if (!parse_cli_request(line, req, error)) {
        ++counters_.bad_requests;
        return cli_error_response(error);
    }
    if (!handler_) return cli_error_response("no handler");
    std::string out;
    try {
        out = handler_(req);
    } catch (const std::exception& e) {
        // A handler allocates; running out of memory answers this request, it does not stop the
        // daemon.
        return cli_error_response(std::string("internal error: ") + e.what());
    }
    if (out.size() > options_.max_response) return cli_error_response("response too large");
    return out;
}

bool CliServer::serve(Client& c) {
    if (!c.answered) {
        char buf[1024];
        for (;;) {
            const ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n > 0) {
                c.in.append(buf, static_cast<std::size_t>(n));
                if (c.in.find('\n') != std::string::npos || c.in.size() > kCliMaxRequest) break;
                continue;
            }
            if (n == 0) break;  // peer closed its side: answer what it sent (no newline needed)
            if (errno == EAGAIN || errno == EWOULDBLOCK) return true;  // wait for more
            if (errno == EINTR) continue;
            return false;
        }
        const std::size_t nl = c.in.find('\n');
        if (nl == std::string::npos && c.in.size() > kCliMaxRequest) {
            ++counters_.requests;
            ++counters_.bad_requests;
            c.out = cli_error_response("request longer than " + std::to_string(kCliMaxRequest) +
                                       " octets");
        } else if (nl != std::string::npos && nl > kCliMaxRequest) {
            ++counters_.requests;
            ++counters_.bad_requests;
            c.out = cli_error_response("request longer than " + std::to_string(kCliMaxRequest) +
                                       " octets");
        } else {
            c.out = answer(
                std::string_view(c.in).substr(0, nl == std::string::npos ? c.in.size() : nl));
        }
        c.out += '\n';
        c.answered = true;
    }
    while (c.written < c.out.size()) {
        const ssize_t n = ::send(c.fd, c.out.data() + c.written, c.out.size() - c.written,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c.written += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        if (n < 0 && errno == EINTR) continue;
        ++counters_.write_errors;
        return false;
    }
    return false;  // all written: close
}

std::size_t CliServer::poll(std::uint64_t now_ms) {
    if (listen_fd_ < 0) return 0;
    accept_clients(now_ms);
    std::size_t answered = 0;
    for (std::size_t i = 0; i < clients_.size();) {
        Client& c = clients_[i];
        const bool was_answered = c.answered;
        bool keep = serve(c);
        if (!was_answered && c.answered) ++answered;
        if (keep && now_ms - c.since_ms > options_.idle_timeout_ms) {
            ++counters_.timeouts;
            keep = false;
        }
        if (keep) {
            ++i;
            continue;
        }
        ::close(c.fd);
        clients_[i] = std::move(clients_.back());
        clients_.pop_back();
    }
    return answered;
}

}  // namespace palisade::cp
