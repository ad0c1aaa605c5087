// `palisadectl status`: uptime, ports, workers with busy/idle %, packets and calls per second,
// drops by reason (non-zero ones in the table; every one with --json). docs/cli.md § status.
#include <cstdio>

#include "controlplane/cli/client.hpp"

namespace palisade::cp {
namespace {

void print(const JsonValue& v) {
    std::printf("uptime %s (since %s), policy generation %s, %s trunk(s), config %s\n",
                format_duration(v["uptime_s"].u64()).c_str(), v["started"].text().c_str(),
                v["policy_generation"].text().c_str(), v["trunks"].text().c_str(),
                v["config"].text().c_str());
    std::printf(
        "%s packets/s, %s calls/s, %s live call(s), %s registration(s), %s blocked source(s)\n\n",
        v["packets_per_s"].text().c_str(), v["calls_per_s"].text().c_str(),
        v["live_calls"].text().c_str(), v["registrations"].text().c_str(),
        v["blocked"].text().c_str());
    std::vector<std::vector<std::string>> ports{
        {"PORT", "DEVICE", "ID", "QUEUES", "RSS", "MAC", "RX", "TX"}};
    for (const JsonValue& p : v["ports"].items)
        ports.push_back({p["name"].text(), p["device"].text(), p["port_id"].text(),
                         p["queues"].text(), p["rss"].text(), p["mac"].text(),
                         p["rx_packets"].text(), p["tx_packets"].text()});
    print_table(ports);
    std::printf("\n");
    std::vector<std::vector<std::string>> workers{
        {"WORKER", "LCORE", "BUSY%", "IDLE%", "POLLS", "RX"}};
    for (const JsonValue& w : v["workers"].items)
        workers.push_back({w["index"].text(), w["lcore"].text(), w["busy_pct"].text(),
                           w["idle_pct"].text(), w["polls"].text(), w["rx_packets"].text()});
    print_table(workers);
    std::vector<std::vector<std::string>> peers{
        {"CORE PEER", "TARGET", "STATE", "SENT", "ANSWERED", "MISSED"}};
    for (const JsonValue& p : v["core_peers"].items)
        peers.push_back({p["index"].text(), p["target"].s, p["state"].s, p["sent"].text(),
                         p["answered"].text(), p["missed"].text()});
    if (peers.size() > 1) {
        std::printf("\n");
        print_table(peers);
    }
    std::vector<std::vector<std::string>> drops{{"DROP REASON", "COUNT"}};
    for (const auto& [name, n] : v["drops"].members)
        if (n.n != 0) drops.push_back({name, n.text()});
    std::printf("\n");
    if (drops.size() == 1)
        std::printf("no drops\n");
    else
        print_table(drops);
}

}  // namespace

int run_status(int argc, char** argv) {
    return run_remote(
        argc, argv,
        "usage: palisadectl status [--json] [--socket PATH | -c CONFIG]\n"
        "Uptime, ports, workers (busy/idle %), packets and calls per second, drops by reason.\n",
        0, 0, print);
}

}  // namespace palisade::cp
