// `palisadectl trunk ID`: one trunk's registrations, reachability, failover state, live calls and
// hour/day/week counts against its limits. docs/cli.md § trunk.
#include <cstdio>

#include "controlplane/cli/client.hpp"

namespace palisade::cp {
namespace {

void print_account(const char* role, const JsonValue& a) {
    std::printf("%-10s %s: %s, %s contact(s) (%s up, %s down, %s unknown)\n", role,
                a["username"].s.empty() ? "-" : a["username"].s.c_str(),
                a["registered"].b
                    ? (a["reachable"].b ? "registered, reachable" : "registered, UNREACHABLE")
                    : "not registered",
                a["contacts"].text().c_str(), a["contacts_up"].text().c_str(),
                a["contacts_down"].text().c_str(), a["contacts_unknown"].text().c_str());
}

void print(const JsonValue& v) {
    std::printf("trunk %s (policy %s)\n", v["id"].s.c_str(), v["policy"].s.c_str());
    print_account("primary", v["primary"]);
    print_account("secondary", v["secondary"]);
    const JsonValue& f = v["failover"];
    std::printf("failover   %s, effective %s, workers see %s, %s change(s)\n",
                f["setting"].s.c_str(), f["effective"].s.c_str(), f["published"].s.c_str(),
                f["changes"].text().c_str());
    const JsonValue& c = v["calls"];
    const JsonValue& l = v["limits"];
    std::printf("calls      live %s/%s, hour %s/%s, day %s/%s, week %s/%s\n",
                c["live"].text().c_str(), l["max_concurrent"].text().c_str(),
                c["hour"].text().c_str(), l["calls_per_hour"].text().c_str(),
                c["day"].text().c_str(), l["calls_per_day"].text().c_str(),
                c["week"].text().c_str(), l["calls_per_week"].text().c_str());
    std::printf("since start: %s started, %s answered, %s ended, %s refused, %s failover(s)\n\n",
                c["started"].text().c_str(), c["answered"].text().c_str(),
                c["ended"].text().c_str(), c["refused"].text().c_str(),
                c["failovers"].text().c_str());
    std::vector<std::vector<std::string>> rows{
        {"ACCOUNT", "ROLE", "CONTACT", "SOURCE", "EXPIRES", "STATE"}};
    for (const JsonValue& r : v["registrations"].items)
        rows.push_back({r["username"].s, r["role"].s, r["uri"].s, r["source"].s,
                        r["expires_in_s"].text() + "s", r["reachability"].s});
    if (rows.size() == 1)
        std::printf("no registrations\n");
    else
        print_table(rows);
}

}  // namespace

int run_trunk(int argc, char** argv) {
    return run_remote(
        argc, argv,
        "usage: palisadectl trunk ID [--json] [--socket PATH | -c CONFIG]\n"
        "One trunk: registrations, reachability, failover, live calls, hour/day/week counts.\n",
        1, 1, print);
}

}  // namespace palisade::cp
