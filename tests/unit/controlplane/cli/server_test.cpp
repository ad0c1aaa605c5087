// Tests of controlplane/cli: the request-line protocol, the UNIX socket server (bad requests,
// bounds, mode), the client (not-running message), the JSON reader, and the JSON fields of every
// command's handler over real modules (registrar bindings, guard blocks, call events, failover,
// a reload refused and accepted).
#include "controlplane/cli/server.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "controlplane/calls/call_records.hpp"
#include "controlplane/cli/client.hpp"
#include "controlplane/cli/handlers.hpp"
#include "controlplane/guard/auth_guard.hpp"
#include "controlplane/json.hpp"
#include "controlplane/keepalive/failover.hpp"
#include "controlplane/registrar/registrar.hpp"
#include "dataplane/contract/call_events.hpp"
#include "dataplane/contract/limits.hpp"
#include "dataplane/contract/location.hpp"
#include "dataplane/policy/snapshot.hpp"
#include "parsers/sip/digest.hpp"
#include "parsers/sip/nonce.hpp"

namespace palisade::cp {
namespace {

constexpr std::uint64_t kNow = 1'700'000'000;

std::string temp_dir() {
    char tmpl[] = "/tmp/pal-cli-test.XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    return d != nullptr ? d : "/tmp";
}

JsonValue parse(const std::string& text) {
    JsonValue v;
    std::string error;
    EXPECT_TRUE(parse_json(text, v, error)) << error << " in " << text;
    return v;
}

// ---- request lines ----

TEST(CliRequest, SplitsWords) {
    CliRequest r;
    std::string error;
    ASSERT_TRUE(parse_cli_request("failover  acme\tprimary\r", r, error)) << error;
    EXPECT_EQ(r.command, "failover");
    ASSERT_EQ(r.args.size(), 2u);
    EXPECT_EQ(r.args[0], "acme");
    EXPECT_EQ(r.args[1], "primary");
}

TEST(CliRequest, RefusesEmptyBinaryAndTooManyWords) {
    CliRequest r;
    std::string error;
    EXPECT_FALSE(parse_cli_request("", r, error));
    EXPECT_FALSE(parse_cli_request("   \t ", r, error));
    EXPECT_EQ(error, "empty request");
    EXPECT_FALSE(parse_cli_request(std::string("status\0x", 8), r, error));
    EXPECT_FALSE(parse_cli_request("st\xc3\xa4tus", r, error));
    EXPECT_EQ(error, "request is not printable ASCII text");
    std::string many = "x";
    for (std::size_t i = 0; i < kCliMaxWords; ++i) many += " y";
    EXPECT_FALSE(parse_cli_request(many, r, error));
}

TEST(CliJson, ErrorResponseAndReader) {
    const JsonValue v = parse(cli_error_response("bad \"thing\"\n"));
    EXPECT_EQ(v["ok"].type, JsonValue::Type::boolean);
    EXPECT_FALSE(v["ok"].b);
    EXPECT_EQ(v["error"].s, "bad \"thing\"\n");
    const JsonValue w = parse(R"({"a":[1,2.5,-3e2,true,null,"\u00e9\ud83d\ude00"],"b":{}})");
    ASSERT_EQ(w["a"].items.size(), 6u);
    EXPECT_EQ(w["a"].items[1].n, 2.5);
    EXPECT_EQ(w["a"].items[2].text(), "-300");
    EXPECT_EQ(w["a"].items[3].text(), "yes");
    EXPECT_EQ(w["a"].items[4].text(), "-");
    EXPECT_EQ(w["a"].items[5].s, "\xc3\xa9\xf0\x9f\x98\x80");
    JsonValue bad;
    std::string error;
    EXPECT_FALSE(parse_json("{\"a\":}", bad, error));
    EXPECT_FALSE(parse_json("[1,2", bad, error));
    EXPECT_FALSE(parse_json("{} x", bad, error));
    EXPECT_FALSE(parse_json(std::string(100, '['), bad, error));  // too deep, no stack overflow
}

TEST(CliOptions, SocketFromFlagEnvDefaultAndConfig) {
    auto parse_args = [](std::vector<std::string> words, RemoteOptions& o, std::string& error) {
        std::vector<char*> argv;
        for (std::string& w : words) argv.push_back(w.data());
        return parse_remote_options(static_cast<int>(argv.size()), argv.data(), o, error);
    };
    std::string error;
    RemoteOptions o;
    ASSERT_TRUE(parse_args({"trunk", "acme", "--json", "--socket", "/tmp/x.sock"}, o, error))
        << error;
    EXPECT_EQ(o.socket, "/tmp/x.sock");
    EXPECT_TRUE(o.json);
    ASSERT_EQ(o.args.size(), 1u);
    EXPECT_EQ(o.args[0], "acme");

    ::setenv("PALISADE_SOCKET", "/tmp/env.sock", 1);
    o = {};
    ASSERT_TRUE(parse_args({"status"}, o, error));
    EXPECT_EQ(o.socket, "/tmp/env.sock");
    ::unsetenv("PALISADE_SOCKET");
    o = {};
    ASSERT_TRUE(parse_args({"status"}, o, error));
    EXPECT_EQ(o.socket, "/run/palisade/palisade.sock");

    o = {};
    EXPECT_FALSE(parse_args({"status", "--bogus"}, o, error));
    EXPECT_EQ(error, "unknown option --bogus");
    o = {};
    EXPECT_FALSE(parse_args({"status", "--socket"}, o, error));

    const char* root = std::getenv("PALISADE_SOURCE_ROOT");
    if (root == nullptr) GTEST_SKIP() << "PALISADE_SOURCE_ROOT not set";
    o = {};
    ASSERT_TRUE(
        parse_args({"status", "-c", std::string(root) + "/conf/palisade.example.toml"}, o, error))
        << error;
    EXPECT_EQ(o.socket, "/run/palisade/palisade.sock") << "[control] cli_socket of the example";
}

// ---- the socket ----

class CliServerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir = temp_dir();
        path = dir + "/sub/dir/palisade.sock";
        server = std::make_unique<CliServer>(CliServerOptions{path, "", 4, 1u << 20, 2000});
        server->set_handler([this](const CliRequest& r) {
            ++handled;
            if (r.command == "big") return std::string(2u << 20, 'x');
            if (r.command == "throw") throw std::runtime_error("boom");
            JsonWriter w;
            w.begin_object()
                .member("ok", true)
                .member("command", r.command)
                .member("args", r.args.size())
                .end_object();
            return w.take();
        });
        std::string error;
        ASSERT_TRUE(server->open(error)) << error;
    }
    void TearDown() override {
        server.reset();
        std::system(("rm -rf " + dir).c_str());
    }
    // Sends raw bytes on a new connection while polling the server; returns what came back.
    std::string raw(const std::string& bytes, bool shut_write = false) {
        std::string got;
        std::atomic<bool> done{false};
        std::thread t([&] {
            const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
            sockaddr_un a{};
            a.sun_family = AF_UNIX;
            std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
            if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
                (void)!::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
                if (shut_write) ::shutdown(fd, SHUT_WR);
                char buf[65536];
                ssize_t n;
                while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0)
                    got.append(buf, static_cast<std::size_t>(n));
            }
            ::close(fd);
            done = true;
        });
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!done && std::chrono::steady_clock::now() < until) {
            server->poll(now_ms());
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        t.join();
        return got;
    }
    static std::uint64_t now_ms() {
        return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::steady_clock::now().time_since_epoch())
                                              .count());
    }

    std::string dir, path;
    std::unique_ptr<CliServer> server;
    int handled = 0;
};

TEST_F(CliServerTest, SocketModeAndDirectory) {
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0660u);
    server->close();
    EXPECT_NE(::stat(path.c_str(), &st), 0) << "close() removes the socket file";
}

TEST_F(CliServerTest, OneLineOneJsonResponse) {
    const std::string got = raw("trunk acme\n");
    ASSERT_FALSE(got.empty());
    EXPECT_EQ(got.back(), '\n');
    EXPECT_EQ(got.find('\n'), got.size() - 1) << "exactly one line";
    const JsonValue v = parse(got.substr(0, got.size() - 1));
    EXPECT_TRUE(v["ok"].b);
    EXPECT_EQ(v["command"].s, "trunk");
    EXPECT_EQ(v["args"].n, 1);
    // Without a newline, a request ended by shutdown is answered too.
    EXPECT_NE(raw("status", true).find("\"command\":\"status\""), std::string::npos);
    EXPECT_EQ(server->counters().requests, 2u);
}

TEST_F(CliServerTest, BadRequestsAnsweredNeverACrash) {
    JsonValue v = parse(raw("\n"));
    EXPECT_FALSE(v["ok"].b);
    EXPECT_EQ(v["error"].s, "empty request");
    v = parse(raw(std::string(kCliMaxRequest + 10, 'a') + "\n"));
    EXPECT_FALSE(v["ok"].b);
    EXPECT_NE(v["error"].s.find("longer than"), std::string::npos);
    v = parse(raw(std::string(kCliMaxRequest + 2000, 'a')));  // no newline at all
    EXPECT_FALSE(v["ok"].b);
    v = parse(raw("\x01\x02\xff\n"));
    EXPECT_FALSE(v["ok"].b);
    v = parse(raw("big\n"));
    EXPECT_EQ(v["error"].s, "response too large");
    v = parse(raw("throw\n"));
    EXPECT_EQ(v["error"].s, "internal error: boom");
    EXPECT_EQ(server->counters().bad_requests, 4u);
    EXPECT_EQ(handled, 2);
    // A client that connects and sends nothing is dropped after the idle timeout.
    const std::string silent = raw("", true);
    EXPECT_FALSE(parse(silent)["ok"].b);  // empty request at EOF
}

TEST_F(CliServerTest, ClientCallAndNotRunning) {
    std::string response, error;
    int rc = -1;
    std::thread t([&] { rc = cli_call(path, "counters", response, error, 3000); });
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (rc == -1 && std::chrono::steady_clock::now() < until) {
        server->poll(now_ms());
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    t.join();
    ASSERT_EQ(rc, 0) << error;
    EXPECT_EQ(parse(response)["command"].s, "counters");

    server->close();
    rc = cli_call(path, "status", response, error, 1000);
    EXPECT_EQ(rc, kExitNotRunning);
    EXPECT_EQ(error, "palisade is not running (no socket at " + path + ")");
}

TEST(CliServer, RefusesAPathThatIsNotASocket) {
    const std::string dir = temp_dir();
    const std::string file = dir + "/not-a-socket";
    std::FILE* f = std::fopen(file.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fclose(f);
    CliServerOptions o;
    o.path = file;
    CliServer s(o);
    std::string error;
    EXPECT_FALSE(s.open(error));
    EXPECT_NE(error.find("is not a socket"), std::string::npos);
    o.path = dir + "/s.sock";
    o.group = "no-such-group-palisade";
    CliServer g(o);
    EXPECT_FALSE(g.open(error));
    EXPECT_NE(error.find("no such group"), std::string::npos);
    std::system(("rm -rf " + dir).c_str());
}

// ---- the handlers over real modules ----

std::string hex_ha1(std::string_view user) {
    char out[sip::kMaxDigestHexLen];
    return std::string(out, sip::compute_ha1(sip::HashAlgorithm::md5, user, "palisade", "secret",
                                             out, sizeof out));
}

dp::ConfigSpec test_config(std::uint32_t calls_per_hour) {
    dp::ConfigSpec c;
    c.sip.realm = "palisade";
    c.sip.nonce_secret = "cli-test";
    c.policies.push_back({"open", {}, dp::RuleAction::allow});
    dp::TrunkSpec t;
    t.id = "acme";
    t.policy = "open";
    t.subnets = {{0xc0000200, 24}};
    t.primary.username = "alice";
    t.primary.algorithms = {dp::DigestAlgorithm::md5};
    t.primary.ha1_md5 = hex_ha1("alice");
    t.secondary.username = "alice2";
    t.secondary.algorithms = {dp::DigestAlgorithm::md5};
    t.secondary.ha1_md5 = hex_ha1("alice2");
    t.limits.calls_per_hour = calls_per_hour;
    c.trunks = {t};
    return c;
}

CallRecordsOptions records_options() {
    CallRecordsOptions o;
    o.path = "/dev/null";
    return o;
}

class CliHandlersTest : public ::testing::Test {
  protected:
    CliHandlersTest()
        : counts(1u << 12),
          registrar(location, counts, "cli-test"),
          guard(location, AuthGuardSettings{3, 60, 600, 3, 1024}),
          failover(location),
          calls(records_options()) {
        slot.publish(dp::build_policy_snapshot(test_config(100), limits).snapshot);
        CliContext ctx;
        ctx.location = &location;
        ctx.limits = &limits;
        ctx.snapshot = [this] { return slot.read(); };
        ctx.registrar = &registrar;
        ctx.guard = &guard;
        ctx.failover = &failover;
        ctx.calls = &calls;
        ctx.config_path = "/etc/palisade/palisade.toml";
        ctx.started_unix_s = kNow - 3700;
        ctx.now_unix_s = [this] { return now; };
        ctx.now_ms = [this] { return now * 1000; };
        ctx.reload = [this] {
            ReloadOutcome r;
            if (refuse_reload) {
                r.errors = {"/etc/palisade/palisade.toml:3:7: bad thing"};
                return r;
            }
            slot.publish(dp::build_policy_snapshot(test_config(150), limits).snapshot);
            r.ok = true;
            r.generation = slot.read()->generation();
            r.summary = "ok: 1 trunk";
            return r;
        };
        handlers = std::make_unique<CliHandlers>(std::move(ctx));
    }
    JsonValue ask(const std::string& line) {
        CliRequest r;
        std::string error;
        EXPECT_TRUE(parse_cli_request(line, r, error));
        return parse(handlers->handle(r));
    }

    std::uint64_t now = kNow;
    bool refuse_reload = false;
    dp::LocationTable location;
    sip::NonceCountTable counts;
    dp::LimitsTable limits{64};
    dp::PolicySlot slot{4};
    Registrar registrar;
    AuthGuard guard;
    FailoverTable failover;
    CallRecords calls;
    std::unique_ptr<CliHandlers> handlers;
};

TEST_F(CliHandlersTest, UnknownCommandAndArity) {
    JsonValue v = ask("frobnicate");
    EXPECT_FALSE(v["ok"].b);
    EXPECT_EQ(v["error"].s, "unknown command 'frobnicate'");
    EXPECT_EQ(ask("trunk")["error"].s, "usage: trunk ID");
    EXPECT_EQ(ask("status extra")["error"].s, "usage: status");
    EXPECT_EQ(ask("failover acme")["error"].s,
              "usage: failover ID auto|primary|secondary|dialplan");
}

TEST_F(CliHandlersTest, StatusFields) {
    const JsonValue v = ask("status");
    EXPECT_TRUE(v["ok"].b);
    EXPECT_EQ(v["command"].s, "status");
    EXPECT_EQ(v["uptime_s"].n, 3700);
    EXPECT_EQ(v["config"].s, "/etc/palisade/palisade.toml");
    EXPECT_EQ(v["trunks"].n, 1);
    EXPECT_EQ(v["policy_generation"].n, static_cast<double>(slot.read()->generation()));
    EXPECT_EQ(v["ports"].type, JsonValue::Type::array);
    EXPECT_EQ(v["workers"].type, JsonValue::Type::array);
    for (const char* k :
         {"packets_per_s", "calls_per_s", "live_calls", "registrations", "blocked", "started"})
        EXPECT_NE(v[k].type, JsonValue::Type::null) << k;
    EXPECT_EQ(v["drops"]["sip_unknown_source_dropped"].n, 0);
    EXPECT_EQ(v["drops"]["punt_ring_full"].n, 0);
    EXPECT_EQ(v["drops"]["rx_packets"].type, JsonValue::Type::null) << "not a drop counter";
}

TEST_F(CliHandlersTest, RegistrationsAndTrunk) {
    BindingData b;
    b.uri = "sip:alice@192.0.2.10:5070";
    b.call_id = "c1";
    b.cseq = 2;
    b.expires_at = kNow + 600;
    b.ip = 0xc000020a;
    b.port = 5070;
    ASSERT_TRUE(registrar.restore(*slot.read(), "alice", b));
    JsonValue v = ask("registrations");
    EXPECT_EQ(v["count"].n, 1);
    ASSERT_EQ(v["registrations"].items.size(), 1u);
    const JsonValue& r = v["registrations"].items[0];
    EXPECT_EQ(r["username"].s, "alice");
    EXPECT_EQ(r["trunk"].s, "acme");
    EXPECT_EQ(r["role"].s, "primary");
    EXPECT_EQ(r["uri"].s, "sip:alice@192.0.2.10:5070");
    EXPECT_EQ(r["source"].s, "192.0.2.10:5070");
    EXPECT_EQ(r["ip"].s, "192.0.2.10");
    EXPECT_EQ(r["port"].n, 5070);
    EXPECT_EQ(r["expires_in_s"].n, 600);
    EXPECT_EQ(r["expires_at"].s, "2023-11-14T22:23:20.000Z");
    EXPECT_EQ(r["call_id"].s, "c1");
    EXPECT_EQ(r["cseq"].n, 2);
    EXPECT_EQ(r["reachability"].s, "unknown");

    v = ask("trunks");
    ASSERT_EQ(v["trunks"].items.size(), 1u);
    const JsonValue& t = v["trunks"].items[0];
    EXPECT_EQ(t["id"].s, "acme");
    EXPECT_TRUE(t["primary"]["registered"].b);
    EXPECT_TRUE(t["primary"]["reachable"].b);
    EXPECT_EQ(t["primary"]["contacts"].n, 1);
    EXPECT_FALSE(t["secondary"]["registered"].b);
    EXPECT_EQ(t["failover"].s, "auto");
    EXPECT_EQ(t["calls_per_hour"].n, 100);
    EXPECT_EQ(t["max_concurrent"].n, 10);

    v = ask("trunk acme");
    EXPECT_EQ(v["id"].s, "acme");
    EXPECT_EQ(v["policy"].s, "open");
    EXPECT_EQ(v["registrations"].items.size(), 1u);
    EXPECT_EQ(v["failover"]["setting"].s, "auto");
    EXPECT_EQ(v["limits"]["calls_per_hour"].n, 100);
    EXPECT_EQ(v["calls"]["hour"].n, 0);
    EXPECT_FALSE(ask("trunk nosuch")["ok"].b);
}

TEST_F(CliHandlersTest, CallsCountsAndLiveCalls) {
    dp::CallEvent ev;
    ev.type = dp::CallEventType::started;
    ev.direction = dp::CallDirection::outbound;
    ev.account = dp::CallAccount::primary;
    ev.flags = dp::kCallFlagCounted;
    ev.trunk_key = slot.read()->trunk(0).limit_slot;
    ev.set_call_id("call-1@pbx");
    ev.set_trunk_id("acme");
    ev.set_caller("+31201234567");
    ev.set_callee("+442071234567");
    ev.time_us = ev.start_us = (kNow - 10) * 1'000'000ull;
    calls.on_event(ev);
    JsonValue v = ask("calls");
    EXPECT_EQ(v["count"].n, 1);
    ASSERT_EQ(v["calls"].items.size(), 1u);
    const JsonValue& c = v["calls"].items[0];
    EXPECT_EQ(c["call_id"].s, "call-1@pbx");
    EXPECT_EQ(c["trunk"].s, "acme");
    EXPECT_EQ(c["direction"].s, "outbound");
    EXPECT_EQ(c["account"].s, "primary");
    EXPECT_EQ(c["caller"].s, "+31201234567");
    EXPECT_EQ(c["callee"].s, "+442071234567");
    EXPECT_FALSE(c["answered"].b);
    EXPECT_EQ(c["answer"].type, JsonValue::Type::null);
    EXPECT_EQ(c["age_s"].n, 10);
    v = ask("trunk acme");
    EXPECT_EQ(v["calls"]["live"].n, 1);
    EXPECT_EQ(v["calls"]["hour"].n, 1);
    EXPECT_EQ(v["calls"]["day"].n, 1);
    EXPECT_EQ(v["calls"]["week"].n, 1);
    EXPECT_EQ(v["calls"]["started"].n, 1);
    EXPECT_EQ(ask("trunks")["trunks"].items[0]["live_calls"].n, 1);
    EXPECT_EQ(ask("status")["live_calls"].n, 1);
}

TEST_F(CliHandlersTest, BlockedAndCounters) {
    for (int i = 0; i < 3; ++i) guard.on_auth_failure(0xc0000263, "alice", kNow);
    JsonValue v = ask("blocked");
    EXPECT_EQ(v["count"].n, 1);
    ASSERT_EQ(v["blocked"].items.size(), 1u);
    const JsonValue& b = v["blocked"].items[0];
    EXPECT_EQ(b["ip"].s, "192.0.2.99");
    EXPECT_EQ(b["reason"].s, "source");
    EXPECT_EQ(b["username"].s, "alice");
    EXPECT_EQ(b["failures"].n, 3);
    EXPECT_EQ(b["remaining_s"].n, 600);
    EXPECT_EQ(b["since"].s, "2023-11-14T22:13:20.000Z");
    v = ask("counters");
    EXPECT_EQ(v["guard"]["failures"].n, 3);
    EXPECT_EQ(v["guard"]["blocks"].n, 1);
    EXPECT_EQ(v["dataplane"]["rx_packets"].n, 0);
    for (const char* g :
         {"registrar", "keepalive", "failover", "call_records", "persistence", "location", "cli"})
        EXPECT_EQ(v[g].type, JsonValue::Type::object) << g;
    EXPECT_EQ(v["location"]["blocked_full"].n, 0);
}

TEST_F(CliHandlersTest, FailoverForcesAndRefuses) {
    JsonValue v = ask("failover acme dialplan");
    EXPECT_TRUE(v["ok"].b);
    EXPECT_EQ(v["trunk"].s, "acme");
    EXPECT_EQ(v["setting"].s, "dialplan");
    EXPECT_EQ(v["effective"].s, "dialplan");
    EXPECT_EQ(v["published"].s, "dialplan");
    EXPECT_EQ(location.failover_state(slot.read()->trunk(0).limit_slot), dp::FailoverMode::dialplan)
        << "the workers' byte is written";
    EXPECT_EQ(ask("trunk acme")["failover"]["setting"].s, "dialplan");
    EXPECT_FALSE(ask("failover acme sideways")["ok"].b);
    EXPECT_FALSE(ask("failover nosuch primary")["ok"].b);
    EXPECT_EQ(ask("failover acme auto")["setting"].s, "auto");
}

TEST_F(CliHandlersTest, ReloadRefusedChangesNothingAcceptedPublishes) {
    const std::uint64_t before = slot.read()->generation();
    refuse_reload = true;
    JsonValue v = ask("reload");
    EXPECT_FALSE(v["ok"].b);
    EXPECT_EQ(v["command"].s, "reload");
    ASSERT_EQ(v["errors"].items.size(), 1u);
    EXPECT_EQ(v["errors"].items[0].s, "/etc/palisade/palisade.toml:3:7: bad thing");
    EXPECT_EQ(slot.read()->generation(), before);
    EXPECT_EQ(ask("trunk acme")["limits"]["calls_per_hour"].n, 100);
    refuse_reload = false;
    v = ask("reload");
    EXPECT_TRUE(v["ok"].b);
    EXPECT_GT(v["generation"].n, static_cast<double>(before));
    EXPECT_EQ(v["summary"].s, "ok: 1 trunk");
    EXPECT_EQ(ask("trunk acme")["limits"]["calls_per_hour"].n, 150);
}

}  // namespace
}  // namespace palisade::cp
