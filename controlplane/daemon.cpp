#include "controlplane/daemon.hpp"

#include <csignal>
#include <chrono>
#include <cstdio>
#include <exception>
#include <thread>

#include "controlplane/config/loader.hpp"
#include "controlplane/control_plane.hpp"
#include "dataplane/contract/dataplane.hpp"

namespace palisade::cp {
namespace {

std::atomic<bool>* g_stop = nullptr;
// SIGHUP: reopen the call-record file (logrotate). Set by the handler, cleared by the loop.
std::atomic<bool> g_hup{false};

extern "C" void on_hup_signal(int) { g_hup.store(true); }

void install_hup_signal() {
    struct sigaction sa {};
    sa.sa_handler = on_hup_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, nullptr);
}

extern "C" void on_stop_signal(int) {
    if (g_stop != nullptr) g_stop->store(true);
}

std::string ipv4_text(std::uint32_t a) {
    return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
           std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

std::string mac_text(const std::uint8_t* m) {
    char b[18];
    std::snprintf(b, sizeof b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return b;
}

void print_counters(const dp::DataPlane& plane, const ControlPlane& control) {
    std::printf("palisade: counters (non-zero):\n");
    for (std::size_t i = 0; i < dp::kCounterCount; ++i) {
        const auto c = static_cast<dp::Counter>(i);
        const std::uint64_t v = plane.counter(c);
        if (v != 0) {
            std::printf("  %-34.*s %llu\n", static_cast<int>(dp::counter_name(c).size()),
                        dp::counter_name(c).data(), static_cast<unsigned long long>(v));
        }
    }
    for (unsigned w = 0; w < plane.worker_count(); ++w) {
        const dp::WorkerLoad l = plane.worker_load(w);
        const double total = static_cast<double>(l.busy_cycles + l.idle_cycles);
        std::printf("  worker %u (lcore %u): %llu polls, busy %.3f%%\n", w, l.lcore,
                    static_cast<unsigned long long>(l.polls),
                    total > 0 ? 100.0 * static_cast<double>(l.busy_cycles) / total : 0.0);
    }
    std::printf("%s", control.summary().c_str());
    std::fflush(stdout);
}

void print_started(const dp::DataPlane& plane, const dp::ConfigSpec& config,
                   std::chrono::steady_clock::time_point t0) {
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("palisade: started in %.0f ms: %u worker(s)\n", ms, plane.worker_count());
    for (std::size_t i = 0; i < plane.ports().size(); ++i) {
        const dp::PortInfo& p = plane.ports()[i];
        const dp::InterfaceSpec& s = config.interfaces[i];
        std::printf("palisade: interface %s: %s, port %u, %u queue(s)%s, mac %s, %s/%u, SIP port %u\n",
                    p.name.c_str(), p.device.c_str(), p.port_id, p.queues, p.rss ? " with RSS" : "",
                    mac_text(p.mac).c_str(), ipv4_text(s.address.addr).c_str(), s.address.len,
                    s.sip_port);
    }
    std::fflush(stdout);
}

}  // namespace

std::string usage(const std::string& program) {
    return "usage: " + program + " -c CONFIG [-- EAL-ARGUMENTS...]\n"
           "  -c, --config FILE   the TOML configuration (see conf/palisade.example.toml)\n"
           "  -h, --help          this text\n"
           "EAL arguments after -- are added after the config's [dpdk] eal_args and win over\n"
           "them (e.g. -- -l 0-2 --no-huge -m 1024).\n";
}

bool parse_command_line(int argc, char** argv, DaemonOptions& out, std::string& error) {
    if (argc > 0 && argv[0] != nullptr) out.program = argv[0];
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--") {
            for (int j = i + 1; j < argc; ++j) out.eal_overrides.emplace_back(argv[j]);
            break;
        }
        if (a == "-h" || a == "--help") {
            out.help = true;
        } else if (a == "-c" || a == "--config") {
            if (i + 1 >= argc) {
                error = a + " needs a file name";
                return false;
            }
            out.config_path = argv[++i];
        } else if (a.rfind("--config=", 0) == 0) {
            out.config_path = a.substr(9);
        } else {
            error = "unknown argument: " + a;
            return false;
        }
    }
    if (!out.help && out.config_path.empty()) {
        error = "no configuration file given (-c CONFIG)";
        return false;
    }
    return true;
}

void install_stop_signals(std::atomic<bool>& stop_flag) {
    g_stop = &stop_flag;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

int run_daemon(const DaemonOptions& options, std::atomic<bool>& stop_flag) {
    const auto t0 = std::chrono::steady_clock::now();
    dp::ConfigSpec config;
    Settings settings;
    std::vector<std::string> errors;
    if (!load_config(options.config_path, config, settings, errors)) {
        for (const std::string& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
        if (errors.empty()) std::fprintf(stderr, "palisade: %s: cannot load\n", options.config_path.c_str());
        return 2;
    }
    install_hup_signal();
    dp::DataPlane plane;
    ControlPlane control(plane, config, settings);
    std::string error;
    // Persisted state is read from disk before the ports start, and applied before the loop
    // handles its first punted message (control_plane.hpp).
    if (!control.load_state(error)) {
        std::fprintf(stderr, "palisade: cannot load state: %s\n", error.c_str());
        return 1;
    }
    dp::StartOptions so;
    so.program = options.program;
    so.eal_overrides = options.eal_overrides;
    // Workers drop blocked sources and answer registered contacts (issue 5 points 3 and 4).
    so.location = &control.location();
    // The workers' proxies verify INVITE digests against the registrar's nonce counts and pick
    // core peers by keepalive's health (issue 6).
    so.nonce_counts = &control.nonce_counts();
    so.peers = &control.peers();
    if (!plane.start(config, so, error)) {
        std::fprintf(stderr, "palisade: cannot start: %s\n", error.c_str());
        return 1;
    }
    if (!control.restore_state(error)) {
        std::fprintf(stderr, "palisade: cannot start: %s\n", error.c_str());
        plane.stop();
        return 1;
    }
    print_started(plane, config, t0);

    control.run(stop_flag, g_hup);

    std::printf("palisade: stopping\n");
    // Workers first: they end every call and leave its `ended` event on the punt ring, which
    // the control plane records before it closes the call-record file.
    plane.stop_workers();
    control.drain_final();
    control.close();
    plane.stop();
    print_counters(plane, control);
    return 0;
}

}  // namespace palisade::cp
