#include "dataplane/eal.hpp"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fstream>

#include "dataplane/contract/rings.hpp"

namespace palisade::dp {
namespace {

std::atomic<bool> g_eal_up{false};

bool has_arg(const std::vector<std::string>& args, const char* a) {
    return std::find(args.begin(), args.end(), a) != args.end();
}

bool has_arg_prefix(const std::vector<std::string>& args, const char* prefix) {
    const std::size_t n = std::strlen(prefix);
    return std::any_of(args.begin(), args.end(),
                       [&](const std::string& s) { return s.compare(0, n, prefix) == 0; });
}

}  // namespace

std::uint64_t free_hugepages() noexcept {
    std::uint64_t total = 0;
    // A hugetlbfs mount is needed as well as free pages.
    {
        std::ifstream mounts("/proc/mounts");
        std::string line;
        bool mounted = false;
        while (std::getline(mounts, line)) {
            if (line.find(" hugetlbfs ") != std::string::npos) mounted = true;
        }
        if (!mounted) return 0;
    }
    DIR* d = opendir("/sys/kernel/mm/hugepages");
    if (d == nullptr) return 0;
    while (dirent* e = readdir(d)) {
        if (std::strncmp(e->d_name, "hugepages-", 10) != 0) continue;
        std::ifstream f(std::string("/sys/kernel/mm/hugepages/") + e->d_name + "/free_hugepages");
        std::uint64_t n = 0;
        if (f >> n) total += n;
    }
    closedir(d);
    return total;
}

EalArgs build_eal_args(const std::string& program, const EalSpec& spec,
                       const std::vector<std::string>& overrides, bool fall_back) {
    EalArgs out;
    out.args.push_back(program.empty() ? std::string("palisade") : program);
    std::vector<std::string> rest = spec.args;
    rest.insert(rest.end(), overrides.begin(), overrides.end());
    // -l from the config unless the args name the lcores themselves.
    if (!has_arg(rest, "-l") && !has_arg(rest, "--lcores") && !has_arg(rest, "-c") &&
        !has_arg_prefix(rest, "--lcores=") && !spec.lcores.empty()) {
        out.args.push_back("-l");
        out.args.push_back(spec.lcores);
    }
    out.args.insert(out.args.end(), rest.begin(), rest.end());
    out.no_huge = has_arg(out.args, "--no-huge");
    if (!out.no_huge && fall_back && free_hugepages() == 0) {
        out.args.push_back("--no-huge");
        if (!has_arg(out.args, "-m") && !has_arg_prefix(out.args, "--socket-mem")) {
            out.args.push_back("-m");
            out.args.push_back("512");
        }
        out.no_huge = true;
        out.fell_back = true;
    }
    if (out.no_huge) {
        // DPDK 22.11 treats --no-huge as legacy memory, which it refuses with --in-memory. What
        // --in-memory is asked for here (no files shared with other processes, so that parallel
        // tests do not collide) is what --no-shconf gives without hugepages.
        auto it = std::find(out.args.begin(), out.args.end(), "--in-memory");
        if (it != out.args.end()) {
            if (has_arg(out.args, "--no-shconf")) {
                out.args.erase(it);
            } else {
                *it = "--no-shconf";
            }
        }
    }
    return out;
}

bool eal_ready() noexcept { return g_eal_up.load(); }

bool eal_init(const EalArgs& args, std::string& error) {
    if (g_eal_up.load()) return true;
    std::vector<char*> argv;
    std::vector<std::string> copy = args.args;  // rte_eal_init may permute argv
    argv.reserve(copy.size() + 1);
    for (std::string& s : copy) argv.push_back(s.data());
    argv.push_back(nullptr);
    const int rc = rte_eal_init(static_cast<int>(copy.size()), argv.data());
    if (rc < 0) {
        std::string joined;
        for (const std::string& s : args.args) joined += (joined.empty() ? "" : " ") + s;
        error = "EAL initialisation failed (" + std::string(rte_strerror(rte_errno)) +
                "); arguments: " + joined;
        return false;
    }
    g_eal_up.store(true);
    return true;
}

bool create_pools(const EalSpec& spec, std::uint32_t message_count, const std::string& tag,
                  int socket_id, Pools& out, std::string& error) {
    const std::string mbuf_name = "pal_mbuf" + tag;
    const std::string ind_name = "pal_ind" + tag;
    const std::string msg_name = "pal_msg" + tag;
    const unsigned cache = std::min<std::uint32_t>(spec.mbuf_cache, RTE_MEMPOOL_CACHE_MAX_SIZE);
    if (spec.mbuf_data_room < RTE_PKTMBUF_HEADROOM + 256 || spec.mbuf_data_room > 65535) {
        error = "[dpdk] mbuf_data_room " + std::to_string(spec.mbuf_data_room) +
                " must be in " + std::to_string(RTE_PKTMBUF_HEADROOM + 256) + "..65535";
        return false;
    }
    out.mbufs = rte_pktmbuf_pool_create(mbuf_name.c_str(), spec.mbuf_count, cache, 0,
                                        static_cast<std::uint16_t>(spec.mbuf_data_room), socket_id);
    if (out.mbufs == nullptr) {
        error = "cannot create the mbuf pool (" + std::to_string(spec.mbuf_count) + " x " +
                std::to_string(spec.mbuf_data_room) + " bytes): " + rte_strerror(rte_errno) +
                "; give EAL more memory (-m) or lower [dpdk] mbuf_count";
        free_pools(out);
        return false;
    }
    out.indirect = rte_pktmbuf_pool_create(ind_name.c_str(), std::max<std::uint32_t>(spec.mbuf_count / 2, 1023),
                                           cache, 0, 0, socket_id);
    if (out.indirect == nullptr) {
        error = std::string("cannot create the indirect mbuf pool: ") + rte_strerror(rte_errno);
        free_pools(out);
        return false;
    }
    out.messages = rte_mempool_create(msg_name.c_str(), message_count, sizeof(RingMessage),
                                      std::min<unsigned>(32, message_count / 8), 0, nullptr,
                                      nullptr, nullptr, nullptr, socket_id, 0);
    if (out.messages == nullptr) {
        error = "cannot create the ring message pool (" + std::to_string(message_count) +
                " x 8 KiB): " + rte_strerror(rte_errno);
        free_pools(out);
        return false;
    }
    return true;
}

void free_pools(Pools& pools) noexcept {
    rte_mempool_free(pools.messages);
    rte_mempool_free(pools.indirect);
    rte_mempool_free(pools.mbufs);
    pools = {};
}

}  // namespace palisade::dp
