// `palisadectl blocked`: sources blocked by brute-force protection. docs/cli.md § blocked.
#include <cstdio>

#include "controlplane/cli/client.hpp"

namespace palisade::cp {
namespace {

void print(const JsonValue& v) {
    std::vector<std::vector<std::string>> rows{
        {"SOURCE", "REASON", "USERNAME", "FAILURES", "SINCE", "REMAINING"}};
    for (const JsonValue& b : v["blocked"].items)
        rows.push_back({b["ip"].s, b["reason"].s, b["username"].s, b["failures"].text(),
                        b["since"].s, format_duration(b["remaining_s"].u64())});
    if (rows.size() == 1)
        std::printf("no blocked sources\n");
    else
        print_table(rows);
}

}  // namespace

int run_blocked(int argc, char** argv) {
    return run_remote(argc, argv,
                      "usage: palisadectl blocked [--json] [--socket PATH | -c CONFIG]\n"
                      "Sources blocked after repeated failed authentications, and until when.\n",
                      0, 0, print);
}

}  // namespace palisade::cp
