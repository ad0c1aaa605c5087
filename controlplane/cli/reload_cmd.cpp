// `palisadectl reload`: the daemon re-reads its configuration file, validates it, builds and
// publishes it (the start-up path). A refused file changes nothing; its errors are printed as
// file:line:column: message. docs/cli.md § reload.
#include <cstdio>

#include "controlplane/cli/client.hpp"

namespace palisade::cp {
namespace {

void print(const JsonValue& v) {
    std::printf("reloaded: policy generation %s: %s\n", v["generation"].text().c_str(),
                v["summary"].s.c_str());
}

}  // namespace

int run_reload(int argc, char** argv) {
    return run_remote(
        argc, argv,
        "usage: palisadectl reload [--json] [--socket PATH | -c CONFIG]\n"
        "Re-reads, validates and publishes the daemon's configuration file; a refused file\n"
        "changes nothing and its errors are printed (exit 1).\n",
        0, 0, print);
}

}  // namespace palisade::cp
