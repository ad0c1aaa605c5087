// `palisadectl counters`: every counter, grouped (non-zero ones in the table, all with --json).
// docs/cli.md § counters.
#include <cstdio>

#include "controlplane/cli/client.hpp"

namespace palisade::cp {
namespace {

void print(const JsonValue& v) {
    std::vector<std::vector<std::string>> rows{{"GROUP", "COUNTER", "VALUE"}};
    for (const auto& [group, members] : v.members) {
        if (members.type != JsonValue::Type::object) continue;
        for (const auto& [name, n] : members.members)
            if (n.n != 0) rows.push_back({group, name, n.text()});
    }
    if (rows.size() == 1)
        std::printf("every counter is zero\n");
    else
        print_table(rows);
}

}  // namespace

int run_counters(int argc, char** argv) {
    return run_remote(
        argc, argv,
        "usage: palisadectl counters [--json] [--socket PATH | -c CONFIG]\n"
        "Every counter: data plane, registrar, guard, keepalive, failover, call records,\n"
        "persistence, location table, CLI. The table shows the non-zero ones.\n",
        0, 0, print);
}

}  // namespace palisade::cp
