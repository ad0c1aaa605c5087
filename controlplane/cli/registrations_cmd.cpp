// `palisadectl registrations`: every current binding. docs/cli.md § registrations.
#include <cstdio>

#include "controlplane/cli/client.hpp"

namespace palisade::cp {
namespace {

void print(const JsonValue& v) {
    std::vector<std::vector<std::string>> rows{
        {"ACCOUNT", "TRUNK", "ROLE", "CONTACT", "SOURCE", "EXPIRES", "STATE"}};
    for (const JsonValue& r : v["registrations"].items)
        rows.push_back({r["username"].s, r["trunk"].s, r["role"].s, r["uri"].s, r["source"].s,
                        r["expires_in_s"].text() + "s", r["reachability"].s});
    if (rows.size() == 1)
        std::printf("no registrations\n");
    else
        print_table(rows);
}

}  // namespace

int run_registrations(int argc, char** argv) {
    return run_remote(
        argc, argv,
        "usage: palisadectl registrations [--json] [--socket PATH | -c CONFIG]\n"
        "Every registered contact: account, trunk, contact URI, source address, expiry.\n",
        0, 0, print);
}

}  // namespace palisade::cp
