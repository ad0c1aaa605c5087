// Port set-up (start-up only, cp thread): find or probe the device of an InterfaceSpec,
// configure one rx and one tx queue per worker (RSS when the port has it and there is more than
// one worker), MTU, start. A port that cannot be used fails with a message naming it and why.
#pragma once

#include <cstdint>
#include <string>

#include "dataplane/contract/config_spec.hpp"
#include "dataplane/contract/dataplane.hpp"

struct rte_mempool;
struct rte_ring;

namespace palisade::dp {

/// Descriptors per queue.
inline constexpr std::uint16_t kRxDescriptors = 1024;
inline constexpr std::uint16_t kTxDescriptors = 1024;

/// The device string with what its driver needs for `queues` queue pairs: net_af_packet gets
/// qpairs=N (its default is 1) unless the string sets it.
std::string device_args_for(const std::string& device, std::uint16_t queues);

/// Finds the ethdev of spec.device (an existing port of that name, e.g. made by
/// rte_eth_from_rings or EAL --vdev), or probes it (a vdev "net_xxx,args" or a PCI address).
/// False with a message on failure.
bool find_or_probe_port(const InterfaceSpec& spec, std::uint16_t queues, std::uint16_t& port_id,
                        std::string& error);

/// Configures and starts port_id with `queues` rx and tx queues (queue i is polled by worker i),
/// rx buffers from pool. Fills info. False with a message naming the interface on failure.
bool configure_port(std::uint16_t port_id, const InterfaceSpec& spec, std::uint16_t queues,
                    rte_mempool* pool, PortInfo& info, std::string& error);

/// rte_eth_from_rings (net_ring), resolved at run time from the PMD EAL loaded as a plugin, so
/// that nothing links the driver (tests and the benchmark feed ports through rings). Returns the
/// port id, or -1 with a message.
int create_ring_port(const std::string& name, rte_ring* const rx[], unsigned nrx,
                     rte_ring* const tx[], unsigned ntx, std::string& error);

/// Stops and closes a port (and removes a vdev probed by find_or_probe_port).
void close_port(std::uint16_t port_id) noexcept;

}  // namespace palisade::dp
