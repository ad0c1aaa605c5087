// EAL initialisation and the packet pools (start-up only, cp thread; never on the packet path).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/contract/config_spec.hpp"

struct rte_mempool;

namespace palisade::dp {

/// The EAL argument vector built from the config's [dpdk] section and the command line.
struct EalArgs {
    std::vector<std::string> args;  ///< argv, argv[0] included
    bool no_huge = false;           ///< --no-huge is in args (given or added by the fallback)
    bool fell_back = false;         ///< --no-huge was added because no hugepage was free
};

/// Free hugepages of every size, from sysfs (0 when none or when hugetlbfs is not mounted).
std::uint64_t free_hugepages() noexcept;

/// argv for rte_eal_init: program, "-l lcores", the config's args, then the overrides (later
/// arguments win where EAL keeps the last value). When neither asks for --no-huge and no
/// hugepage is free, and fall_back is set, adds --no-huge (and -m 512 when no -m/--socket-mem
/// is given) so that the daemon still starts on a machine without hugepages. Without hugepages,
/// --in-memory becomes --no-shconf (DPDK 22.11 refuses the pair --no-huge --in-memory).
EalArgs build_eal_args(const std::string& program, const EalSpec& spec,
                       const std::vector<std::string>& overrides, bool fall_back);

/// rte_eal_init with args. False with a message on failure. Once per process: a second call
/// returns true when EAL is already up (tests share one EAL).
bool eal_init(const EalArgs& args, std::string& error);
/// True when EAL is initialised in this process.
bool eal_ready() noexcept;

/// The pools every port and worker share.
struct Pools {
    rte_mempool* mbufs = nullptr;     ///< rx buffers, replies, injected packets
    rte_mempool* indirect = nullptr;  ///< fragment payload references (data room 0)
    rte_mempool* messages = nullptr;  ///< RingMessage (punt/inject), contract/rings.hpp
};

/// Creates the pools on socket_id (names carry `tag`, so that tests can make several sets).
/// message_count: RingMessages in the message pool. False with a message on failure.
bool create_pools(const EalSpec& spec, std::uint32_t message_count, const std::string& tag,
                  int socket_id, Pools& out, std::string& error);
/// Frees pools created by create_pools (every mbuf must be back).
void free_pools(Pools& pools) noexcept;

}  // namespace palisade::dp
