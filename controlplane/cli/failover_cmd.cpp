// `palisadectl failover ID auto|primary|secondary|dialplan`: forces a trunk's failover state, or
// gives it back to keepalive (auto). docs/cli.md § failover.
#include <cstdio>

#include "controlplane/cli/client.hpp"

namespace palisade::cp {
namespace {

void print(const JsonValue& v) {
    std::printf("trunk %s: failover %s (effective %s, workers see %s)\n", v["trunk"].s.c_str(),
                v["setting"].s.c_str(), v["effective"].s.c_str(), v["published"].s.c_str());
}

}  // namespace

int run_failover(int argc, char** argv) {
    return run_remote(
        argc, argv,
        "usage: palisadectl failover ID auto|primary|secondary|dialplan [--json] [--socket PATH | "
        "-c CONFIG]\n"
        "Forces trunk ID to its primary or secondary account or to its failover dialplan,\n"
        "or back to auto (keepalive and registrations decide).\n",
        2, 2, print);
}

}  // namespace palisade::cp
