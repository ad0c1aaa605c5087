// palisade: the SBC daemon. See controlplane/daemon.hpp.
#include <atomic>
#include <cstdio>
#include <exception>
#include <string>

#include "controlplane/daemon.hpp"

int main(int argc, char** argv) {
    static std::atomic<bool> stop{false};
    try {
        palisade::cp::DaemonOptions options;
        std::string error;
        if (!palisade::cp::parse_command_line(argc, argv, options, error)) {
            std::fprintf(stderr, "palisade: %s\n%s", error.c_str(),
                         palisade::cp::usage(options.program).c_str());
            return 2;
        }
        if (options.help) {
            std::printf("%s", palisade::cp::usage(options.program).c_str());
            return 0;
        }
        palisade::cp::install_stop_signals(stop);
        return palisade::cp::run_daemon(options, stop);
    } catch (const std::exception& e) {
        // Start-up and shutdown allocate; whatever fails there is reported, never a crash.
        std::fprintf(stderr, "palisade: fatal: %s\n", e.what());
        return 1;
    }
}
