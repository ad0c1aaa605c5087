// `palisadectl check [--keys] CONFIG`: loads and validates a configuration offline, exactly as
// the daemon does on start and reload. cp only.
#pragma once

#include <string>

#include "dataplane/contract/config_spec.hpp"

namespace palisade::cp {

/// The one-line summary printed for a valid file: "FILE: ok: 2 trunks (4 accounts), 3 DID
/// entries (201 numbers), 1 policy (3 rules), 2 interfaces, 2 core peers".
std::string config_summary(const std::string& file, const dp::ConfigSpec& cfg);

/// Entry point of the subcommand; argv[0] is "check". Prints every error as
/// "file:line:column: message" on stderr and exits 1 when there is any; else prints the summary
/// on stdout and exits 0. `--keys` prints every configuration key of the schema instead.
/// Exit 2 on a usage error.
int run_check(int argc, char** argv);

}  // namespace palisade::cp
