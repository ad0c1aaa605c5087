// palisadectl: the operator's command line. One subcommand per file (controlplane/cli/
// <name>_cmd.cpp, `int run_<name>(int argc, char** argv)` with argv[0] the subcommand name),
// listed once in kCommands below. Commands that talk to the daemon (status, trunks, ...) join the
// table as they are written; `check` and `parse` work offline. Documented in docs/cli.md.
#include <cstdio>
#include <string_view>

#include "controlplane/cli/check_cmd.hpp"
#include "controlplane/cli/client.hpp"
#include "controlplane/cli/parse_cmd.hpp"

namespace palisade::cp {
namespace {

struct Command {
    std::string_view name;
    int (*run)(int argc, char** argv);
    std::string_view summary;
};

constexpr Command kCommands[] = {
    {"check", run_check, "validate a configuration file offline, as the daemon would load it"},
    {"parse", run_parse, "parse captured SIP messages offline, one JSON object per file"},
    {"status", run_status, "uptime, ports, workers, packets and calls per second, drops"},
    {"trunks", run_trunks, "one row per trunk: registrations, failover, live calls, limits"},
    {"trunk", run_trunk, "one trunk: registrations, reachability, failover, call counts"},
    {"registrations", run_registrations, "every registered contact"},
    {"calls", run_calls, "calls in progress"},
    {"counters", run_counters, "every counter of the data and control planes"},
    {"blocked", run_blocked, "sources blocked by brute-force protection"},
    {"reload", run_reload, "re-read, validate and publish the configuration"},
    {"failover", run_failover, "force a trunk's failover: auto|primary|secondary|dialplan"},
};

void print_usage(std::FILE* to) {
    std::fputs("usage: palisadectl COMMAND [ARGS...]\n\ncommands:\n", to);
    for (const Command& c : kCommands)
        std::fprintf(to, "  %-14.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                     static_cast<int>(c.summary.size()), c.summary.data());
    std::fputs(
        "\n`palisadectl COMMAND --help` describes a command; docs/cli.md documents them all.\n"
        "Daemon commands take --json (print the JSON response), --socket PATH or -c CONFIG\n"
        "(default $PALISADE_SOCKET, else /run/palisade/palisade.sock); exit 3 when palisade\n"
        "is not running.\n",
        to);
}

}  // namespace
}  // namespace palisade::cp

int main(int argc, char** argv) {
    using namespace palisade::cp;
    if (argc < 2) {
        print_usage(stderr);
        return kExitUsage;
    }
    const std::string_view name = argv[1];
    if (name == "-h" || name == "--help" || name == "help") {
        print_usage(stdout);
        return 0;
    }
    for (const Command& c : kCommands) {
        if (c.name == name) return c.run(argc - 1, argv + 1);
    }
    std::fprintf(stderr, "palisadectl: unknown command '%s'\n\n", argv[1]);
    print_usage(stderr);
    return kExitUsage;
}
