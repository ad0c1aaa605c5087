// `palisadectl trunks`: one row per trunk: registrations, reachability, failover state, live
// calls and limits. docs/cli.md § trunks.
#include <cstdio>

#include "controlplane/cli/client.hpp"

namespace palisade::cp {
namespace {

std::string account_cell(const JsonValue& a) {
    if (a["username"].s.empty()) return "-";
    if (!a["registered"].b) return a["username"].s + " (not registered)";
    return a["username"].s + " " + a["contacts"].text() + (a["reachable"].b ? " up" : " DOWN");
}

void print(const JsonValue& v) {
    std::vector<std::vector<std::string>> rows{
        {"TRUNK", "PRIMARY", "SECONDARY", "FAILOVER", "LIVE/MAX", "HOUR", "DAY", "WEEK"}};
    for (const JsonValue& t : v["trunks"].items) {
        std::string fo = t["failover"].s;
        if (fo == "auto") fo += " (" + t["failover_effective"].s + ")";
        rows.push_back({t["id"].s, account_cell(t["primary"]), account_cell(t["secondary"]), fo,
                        t["live_calls"].text() + "/" + t["max_concurrent"].text(),
                        t["calls_hour"].text() + "/" + t["calls_per_hour"].text(),
                        t["calls_day"].text() + "/" + t["calls_per_day"].text(),
                        t["calls_week"].text() + "/" + t["calls_per_week"].text()});
    }
    print_table(rows);
}

}  // namespace

int run_trunks(int argc, char** argv) {
    return run_remote(
        argc, argv,
        "usage: palisadectl trunks [--json] [--socket PATH | -c CONFIG]\n"
        "One row per trunk: registrations, reachability, failover, live calls and limits.\n",
        0, 0, print);
}

}  // namespace palisade::cp
