// palisadectl: the operator's command line. One subcommand per file (controlplane/cli/
// <name>_cmd.cpp, `int run_<name>(int argc, char** argv)` with argv[0] the subcommand name),
// listed once in kCommands below. Commands that talk to the daemon (status, trunks, ...) join the
// table as they are written; `check` and `parse` work offline. Documented in docs/cli.md.
#include <cstdio>
#include <string_view>

#include "controlplane/cli/check_cmd.hpp"
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
};

constexpr int kExitUsage = 2;

void print_usage(std::FILE* to) {
    std::fputs("usage: palisadectl COMMAND [ARGS...]\n\ncommands:\n", to);
    for (const Command& c : kCommands)
        std::fprintf(to, "  %-10.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                     static_cast<int>(c.summary.size()), c.summary.data());
    std::fputs(
        "\n`palisadectl COMMAND --help` describes a command; docs/cli.md documents them all.\n",
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
