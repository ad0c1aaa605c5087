#include "controlplane/cli/check_cmd.hpp"

#include <charconv>
#include <cstdio>
#include <string_view>
#include <vector>

#include "controlplane/config/loader.hpp"
#include "controlplane/config/schema.hpp"

namespace palisade::cp {
namespace {

constexpr int kExitUsage = 2;

void usage(std::FILE* to) {
    std::fputs(
        "usage: palisadectl check CONFIG\n"
        "       palisadectl check --keys\n\n"
        "Loads and validates CONFIG offline: prints every error as file:line:column: message\n"
        "and exits 1, or prints a one-line summary and exits 0.\n"
        "--keys lists every configuration key with its type, unit, range and default.\n",
        to);
}

std::uint64_t range_size(const dp::NumberRange& r) {
    std::uint64_t a = 0, b = 0;
    std::from_chars(r.first.data() + 1, r.first.data() + r.first.size(), a);
    std::from_chars(r.last.data() + 1, r.last.data() + r.last.size(), b);
    return b >= a ? b - a + 1 : 0;
}

std::string plural(std::uint64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::string config_summary(const std::string& file, const dp::ConfigSpec& cfg) {
    std::uint64_t entries = 0, numbers = 0, rules = 0;
    for (const dp::TrunkSpec& t : cfg.trunks) {
        entries += t.dids.size();
        for (const dp::NumberRange& r : t.dids) numbers += range_size(r);
    }
    for (const dp::DestPolicySpec& p : cfg.policies) rules += p.rules.size();
    return file + ": ok: " + plural(cfg.trunks.size(), "trunk", "trunks") + " (" +
           plural(cfg.trunks.size() * 2, "account", "accounts") + "), " +
           plural(entries, "DID entry", "DID entries") + " (" +
           plural(numbers, "number", "numbers") + "), " +
           plural(cfg.policies.size(), "policy", "policies") + " (" +
           plural(rules, "rule", "rules") + "), " +
           plural(cfg.interfaces.size(), "interface", "interfaces") + ", " +
           plural(cfg.core_peers.size(), "core peer", "core peers");
}

int run_check(int argc, char** argv) {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    if (args.size() == 1 && (args[0] == "-h" || args[0] == "--help")) {
        usage(stdout);
        return 0;
    }
    if (args.size() == 1 && args[0] == "--keys") {
        for (const KeyDef& k : schema()) {
            const std::string c = key_comment(k);
            std::printf("%-45.*s %s\n", static_cast<int>(k.path.size()), k.path.data(),
                        c.c_str() + 2);
        }
        return 0;
    }
    if (args.size() != 1 || args[0].empty() || args[0][0] == '-') {
        usage(stderr);
        return kExitUsage;
    }
    const std::string path(args[0]);
    dp::ConfigSpec cfg;
    Settings settings;
    std::vector<std::string> errors;
    if (!load_config(path, cfg, settings, errors)) {
        // Every line is "file:line:column: message" (editors and scripts parse them), so no
        // closing count line.
        for (const std::string& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
        return 1;
    }
    std::printf("%s\n", config_summary(path, cfg).c_str());
    return 0;
}

}  // namespace palisade::cp
