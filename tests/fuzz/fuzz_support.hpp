// What every libFuzzer target of tests/fuzz/ shares: the invariant check, the slice check, and
// the replay main() of debug builds. Include it once, from the target's own .cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

// Built with -DPALISADE_FUZZ_DEBUG (without libFuzzer; see README.md), a broken invariant names
// its line before trapping, and main() below replays the files named on the command line.
#ifdef PALISADE_FUZZ_DEBUG
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            __builtin_fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)
#else
#define FUZZ_CHECK(cond)               \
    do {                               \
        if (!(cond)) __builtin_trap(); \
    } while (0)
#endif

namespace {

volatile unsigned g_sink;

/// True when `s` is empty or a slice of `in`.
bool inside(std::string_view s, std::string_view in) {
    return s.empty() || (s.data() >= in.data() && s.data() + s.size() <= in.data() + in.size());
}

/// Check that `s` is a slice of `in`, and read every byte of it, so that a slice with a wild
/// length shows up under ASan too.
void touch(std::string_view s, std::string_view in) {
    FUZZ_CHECK(inside(s, in));
    unsigned sum = 0;
    for (char c : s) sum += static_cast<unsigned char>(c);
    g_sink = g_sink + sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

#ifdef PALISADE_FUZZ_DEBUG
#include <fstream>
#include <iterator>
#include <string>
int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::ifstream file(argv[i], std::ios::binary);
        const std::string input((std::istreambuf_iterator<char>(file)),
                                std::istreambuf_iterator<char>());
        std::fprintf(stderr, "%s\n", argv[i]);
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
    }
    return 0;
}
#endif
