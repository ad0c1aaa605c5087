#include "controlplane/cli/client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "controlplane/config/loader.hpp"

namespace palisade::cp {
namespace {

// ---- JSON reader (RFC 8259; \u escapes decoded to UTF-8, surrogate pairs joined) ----

struct Reader {
    std::string_view t;
    std::size_t i = 0;
    std::string error;
    int depth = 0;

    void ws() {
        while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
    }
    bool fail(const char* what) {
        if (error.empty()) error = std::string(what) + " at offset " + std::to_string(i);
        return false;
    }
    bool literal(std::string_view word) {
        if (t.substr(i, word.size()) != word) return fail("bad literal");
        i += word.size();
        return true;
    }
    static void put_utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xc0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xe0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else {
            out += static_cast<char>(0xf0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        }
    }
    bool hex4(unsigned& v) {
        if (i + 4 > t.size()) return fail("short \\u escape");
        v = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = t[i++];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v |= static_cast<unsigned>(c - 'A' + 10);
            else
                return fail("bad \\u escape");
        }
        return true;
    }
    bool string(std::string& out) {
        ++i;  // opening quote
        while (i < t.size()) {
            const char c = t[i++];
            if (c == '"') return true;
            if (static_cast<unsigned char>(c) < 0x20) return fail("control character in string");
            if (c != '\\') {
                out += c;
                continue;
            }
            if (i >= t.size()) break;
            const char e = t[i++];
            switch (e) {
                case '"':
                    out += '"';
                    break;
                case '\\':
                    out += '\\';
                    break;
                case '/':
                    out += '/';
                    break;
                case 'b':
                    out += '\b';
                    break;
                case 'f':
                    out += '\f';
                    break;
                case 'n':
                    out += '\n';
                    break;
                case 'r':
                    out += '\r';
                    break;
                case 't':
                    out += '\t';
                    break;
                case 'u': {
                    unsigned v = 0;
                    if (!hex4(v)) return false;
                    if (v >= 0xd800 && v < 0xdc00 && t.substr(i, 2) == "\\u") {
                        i += 2;
                        unsigned lo = 0;
                        if (!hex4(lo)) return false;
                        v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
                    }
                    put_utf8(out, v);
                    break;
                }
                default:
                    return fail("bad escape");
            }
        }
        return fail("unterminated string");
    }
    bool value(JsonValue& v) {
        if (++depth > 64) return fail("nesting too deep");
        ws();
        if (i >= t.size()) return fail("unexpected end");
        const char c = t[i];
        bool ok = true;
        if (c == '{') {
            v.type = JsonValue::Type::object;
            ++i;
            ws();
            if (i < t.size() && t[i] == '}') {
                ++i;
            } else {
                for (;;) {
                    ws();
                    if (i >= t.size() || t[i] != '"') return fail("expected a member name");
                    std::string k;
                    if (!string(k)) return false;
                    ws();
                    if (i >= t.size() || t[i] != ':') return fail("expected ':'");
                    ++i;
                    JsonValue m;
                    if (!value(m)) return false;
                    v.members.emplace_back(std::move(k), std::move(m));
                    ws();
                    if (i < t.size() && t[i] == ',') {
                        ++i;
                        continue;
                    }
                    if (i < t.size() && t[i] == '}') {
                        ++i;
                        break;
                    }
                    return fail("expected ',' or '}'");
                }
            }
        } else if (c == '[') {
            v.type = JsonValue::Type::array;
            ++i;
            ws();
            if (i < t.size() && t[i] == ']') {
                ++i;
            } else {
                for (;;) {
                    JsonValue m;
                    if (!value(m)) return false;
                    v.items.push_back(std::move(m));
                    ws();
                    if (i < t.size() && t[i] == ',') {
                        ++i;
                        continue;
                    }
                    if (i < t.size() && t[i] == ']') {
                        ++i;
                        break;
                    }
                    return fail("expected ',' or ']'");
                }
            }
        } else if (c == '"') {
            v.type = JsonValue::Type::string;
            ok = string(v.s);
        } else if (c == 't') {
            v.type = JsonValue::Type::boolean;
            v.b = true;
            ok = literal("true");
        } else if (c == 'f') {
            v.type = JsonValue::Type::boolean;
            ok = literal("false");
        } else if (c == 'n') {
            ok = literal("null");
        } else {
            const std::size_t b = i;
            while (i < t.size() && (std::strchr("+-0123456789.eE", t[i]) != nullptr)) ++i;
            if (i == b) return fail("unexpected character");
            const std::string num(t.substr(b, i - b));
            char* end = nullptr;
            v.type = JsonValue::Type::number;
            v.n = std::strtod(num.c_str(), &end);
            if (end != num.c_str() + num.size()) return fail("bad number");
        }
        --depth;
        return ok;
    }
};

const std::string kDefaultSocket = "/run/palisade/palisade.sock";

}  // namespace

const JsonValue& JsonValue::operator[](std::string_view key) const {
    static const JsonValue kNull;
    for (const auto& [k, v] : members)
        if (k == key) return v;
    return kNull;
}

std::string JsonValue::text() const {
    switch (type) {
        case Type::null:
            return "-";
        case Type::boolean:
            return b ? "yes" : "no";
        case Type::string:
            return s;
        case Type::number: {
            char buf[64];
            if (std::floor(n) == n && std::fabs(n) < 1e18)
                std::snprintf(buf, sizeof buf, "%.0f", n);
            else
                std::snprintf(buf, sizeof buf, "%.2f", n);
            return buf;
        }
        default:
            return type == Type::array ? "[...]" : "{...}";
    }
}

bool parse_json(std::string_view text, JsonValue& out, std::string& error) {
    Reader r;
    r.t = text;
    out = {};
    if (!r.value(out)) {
        error = r.error;
        return false;
    }
    r.ws();
    if (r.i != text.size()) {
        error = "trailing characters at offset " + std::to_string(r.i);
        return false;
    }
    return true;
}

bool parse_remote_options(int argc, char** argv, RemoteOptions& out, std::string& error) {
    std::string config;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--json") {
            out.json = true;
        } else if (a == "-h" || a == "--help") {
            out.help = true;
        } else if (a == "--socket" || a == "-s" || a == "-c" || a == "--config") {
            if (i + 1 >= argc) {
                error = std::string(a) + " needs a value";
                return false;
            }
            (a == "-c" || a == "--config" ? config : out.socket) = argv[++i];
        } else if (a.size() > 1 && a[0] == '-' && !(a[1] >= '0' && a[1] <= '9')) {
            error = "unknown option " + std::string(a);
            return false;
        } else {
            out.args.emplace_back(a);
        }
    }
    if (out.socket.empty() && !config.empty()) {
        dp::ConfigSpec cfg;
        Settings settings;
        std::vector<std::string> errors;
        if (!load_config(config, cfg, settings, errors)) {
            error = config + ": cannot load" + (errors.empty() ? "" : ": " + errors.front());
            return false;
        }
        out.socket = settings.cli_socket;
    }
    if (out.socket.empty()) {
        const char* env = std::getenv("PALISADE_SOCKET");
        out.socket = env != nullptr && *env != '\0' ? env : kDefaultSocket;
    }
    return true;
}

int cli_call(const std::string& socket_path, const std::string& request, std::string& response,
             std::string& error, int timeout_ms) {
    struct stat st {};
    if (::stat(socket_path.c_str(), &st) != 0 && (errno == ENOENT || errno == ENOTDIR)) {
        error = "palisade is not running (no socket at " + socket_path + ")";
        return kExitNotRunning;
    }
    sockaddr_un addr{};
    if (socket_path.size() >= sizeof addr.sun_path) {
        error = "socket path too long: " + socket_path;
        return kExitUsage;
    }
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = std::string("socket(): ") + std::strerror(errno);
        return kExitProtocol;
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        const int e = errno;
        ::close(fd);
        if (e == ECONNREFUSED || e == ENOENT) {
            error = "palisade is not running (nobody listening at " + socket_path + ")";
            return kExitNotRunning;
        }
        error = "cannot connect to " + socket_path + ": " + std::strerror(e) +
                (e == EACCES ? " (root or the configured cli_group only)" : "");
        return kExitProtocol;
    }
    const std::string line = request + "\n";
    std::size_t sent = 0;
    while (sent < line.size()) {
        const ssize_t n = ::send(fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            error = std::string("cannot send the request: ") + std::strerror(errno);
            ::close(fd);
            return kExitProtocol;
        }
        sent += static_cast<std::size_t>(n);
    }
    response.clear();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    char buf[65536];
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                              deadline - std::chrono::steady_clock::now())
                              .count();
        if (left <= 0) {
            error = "no response from palisade within " + std::to_string(timeout_ms) + " ms";
            ::close(fd);
            return kExitProtocol;
        }
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) < 0 && errno != EINTR) break;
        const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
            response.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0) break;
        if (errno == EAGAIN || errno == EINTR) continue;
        break;
    }
    ::close(fd);
    while (!response.empty() && (response.back() == '\n' || response.back() == '\r'))
        response.pop_back();
    if (response.empty()) {
        error = "palisade closed the connection without a response";
        return kExitProtocol;
    }
    return 0;
}

int run_remote(int argc, char** argv, std::string_view usage, std::size_t min_args,
               std::size_t max_args, void (*print)(const JsonValue& response)) {
    RemoteOptions o;
    std::string error;
    if (!parse_remote_options(argc, argv, o, error)) {
        std::fprintf(stderr, "palisadectl %s: %s\n%.*s", argv[0], error.c_str(),
                     static_cast<int>(usage.size()), usage.data());
        return kExitUsage;
    }
    if (o.help) {
        std::fwrite(usage.data(), 1, usage.size(), stdout);
        return 0;
    }
    if (o.args.size() < min_args || o.args.size() > max_args) {
        std::fwrite(usage.data(), 1, usage.size(), stderr);
        return kExitUsage;
    }
    std::string request = argv[0];
    for (const std::string& a : o.args) request += " " + a;
    std::string response;
    if (const int rc = cli_call(o.socket, request, response, error); rc != 0) {
        std::fprintf(stderr, "palisadectl: %s\n", error.c_str());
        return rc;
    }
    JsonValue v;
    if (!parse_json(response, v, error) || v.type != JsonValue::Type::object) {
        std::fprintf(stderr, "palisadectl: bad response from palisade: %s\n", error.c_str());
        return kExitProtocol;
    }
    const bool ok = v["ok"].type == JsonValue::Type::boolean && v["ok"].b;
    if (o.json) {
        std::printf("%s\n", response.c_str());
    } else if (!ok) {
        std::fprintf(stderr, "palisadectl %s: %s\n", argv[0], v["error"].text().c_str());
        for (const JsonValue& e : v["errors"].items) std::fprintf(stderr, "%s\n", e.text().c_str());
    } else {
        print(v);
    }
    return ok ? 0 : kExitRefused;
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (const auto& r : rows)
        for (std::size_t c = 0; c < r.size(); ++c) {
            if (width.size() <= c) width.push_back(0);
            if (r[c].size() > width[c]) width[c] = r[c].size();
        }
    for (const auto& r : rows) {
        std::string line;
        for (std::size_t c = 0; c < r.size(); ++c) {
            line += r[c];
            if (c + 1 < r.size()) line.append(width[c] - r[c].size() + 2, ' ');
        }
        std::printf("%s\n", line.c_str());
    }
}

std::string format_duration(std::uint64_t s) {
    char buf[64];
    if (s >= 86400)
        std::snprintf(buf, sizeof buf, "%llud %02llu:%02llu:%02llu",
                      static_cast<unsigned long long>(s / 86400),
                      static_cast<unsigned long long>(s / 3600 % 24),
                      static_cast<unsigned long long>(s / 60 % 60),
                      static_cast<unsigned long long>(s % 60));
    else
        std::snprintf(
            buf, sizeof buf, "%02llu:%02llu:%02llu", static_cast<unsigned long long>(s / 3600),
            static_cast<unsigned long long>(s / 60 % 60), static_cast<unsigned long long>(s % 60));
    return buf;
}

}  // namespace palisade::cp
