// `palisadectl calls`: calls in progress. docs/cli.md § calls.
#include <cstdio>

#include "controlplane/cli/client.hpp"

namespace palisade::cp {
namespace {

void print(const JsonValue& v) {
    std::vector<std::vector<std::string>> rows{{"TRUNK", "DIRECTION", "ACCOUNT", "CALLER", "CALLEE",
                                                "START", "ANSWERED", "AGE", "CALL-ID"}};
    for (const JsonValue& c : v["calls"].items)
        rows.push_back({c["trunk"].s, c["direction"].s, c["account"].s, c["caller"].s,
                        c["callee"].s, c["start"].s, c["answered"].text(),
                        format_duration(c["age_s"].u64()), c["call_id"].s});
    if (rows.size() == 1)
        std::printf("no calls in progress\n");
    else
        print_table(rows);
}

}  // namespace

int run_calls(int argc, char** argv) {
    return run_remote(argc, argv,
                      "usage: palisadectl calls [--json] [--socket PATH | -c CONFIG]\n"
                      "Calls in progress, oldest first.\n",
                      0, 0, print);
}

}  // namespace palisade::cp
