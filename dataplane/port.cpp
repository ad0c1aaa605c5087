#include "dataplane/port.hpp"

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

#include <dlfcn.h>

#include <cstdio>
#include <cstring>

namespace palisade::dp {
namespace {

std::string device_name(const std::string& device) {
    const std::size_t comma = device.find(',');
    return comma == std::string::npos ? device : device.substr(0, comma);
}

std::string describe(const InterfaceSpec& spec) {
    return "interface " + spec.name + " (" + spec.device + ")";
}

std::string errno_text(int rc) { return rte_strerror(rc < 0 ? -rc : rc); }

}  // namespace

std::string device_args_for(const std::string& device, std::uint16_t queues) {
    if (device.rfind("net_af_packet", 0) == 0 && device.find("qpairs=") == std::string::npos &&
        queues > 1) {
        return device + ",qpairs=" + std::to_string(queues);
    }
    return device;
}

bool find_or_probe_port(const InterfaceSpec& spec, std::uint16_t queues, std::uint16_t& port_id,
                        std::string& error) {
    if (spec.device.empty()) {
        error = describe(spec) + ": no device given";
        return false;
    }
    const std::string name = device_name(spec.device);
    if (rte_eth_dev_get_port_by_name(name.c_str(), &port_id) == 0) return true;
    const std::string args = device_args_for(spec.device, queues);
    int rc;
    if (name.rfind("net_", 0) == 0) {
        const std::size_t comma = args.find(',');
        const std::string devargs = comma == std::string::npos ? "" : args.substr(comma + 1);
        rc = rte_eal_hotplug_add("vdev", name.c_str(), devargs.c_str());
    } else {
        rc = rte_dev_probe(args.c_str());
    }
    if (rc < 0) {
        // Drivers often fail their probe with a bare -1 (read as EPERM): say what that means.
        error = describe(spec) + ": cannot probe the device: " +
                (rc == -1 ? std::string("the driver refused it (do its arguments name an existing "
                                        "interface or file? see the driver's message above)")
                          : errno_text(rc));
        if (name.rfind("net_", 0) != 0)
            error += " (is it bound to a DPDK driver, and is --no-pci absent from the EAL args?)";
        return false;
    }
    if (rte_eth_dev_get_port_by_name(name.c_str(), &port_id) != 0) {
        error = describe(spec) + ": probed, but no ethdev named " + name + " appeared";
        return false;
    }
    return true;
}

bool configure_port(std::uint16_t port_id, const InterfaceSpec& spec, std::uint16_t queues,
                    rte_mempool* pool, PortInfo& info, std::string& error) {
    info = {};
    info.name = spec.name;
    info.device = spec.device;
    info.port_id = port_id;
    info.queues = queues;
    if (port_id >= kMaxPorts) {
        error = describe(spec) + ": DPDK port id " + std::to_string(port_id) +
                " is beyond the " + std::to_string(kMaxPorts) + " ports the counters hold";
        return false;
    }
    rte_eth_dev_info dev{};
    int rc = rte_eth_dev_info_get(port_id, &dev);
    if (rc != 0) {
        error = describe(spec) + ": cannot read device info: " + errno_text(rc);
        return false;
    }
    if (dev.max_rx_queues < queues || dev.max_tx_queues < queues) {
        error = describe(spec) + ": the port has " + std::to_string(dev.max_rx_queues) + " rx and " +
                std::to_string(dev.max_tx_queues) + " tx queues, " + std::to_string(queues) +
                " are needed (one per worker); use fewer worker lcores";
        if (spec.device.rfind("net_af_packet", 0) == 0) error += " or set qpairs= in the device";
        return false;
    }
    rte_eth_conf conf{};
    const std::uint64_t rss = dev.flow_type_rss_offloads &
                              (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_FRAG_IPV4);
    // RSS only matters with several queues; a port without it still gets every queue polled
    // (af_packet spreads by its kernel fanout group instead).
    if (queues > 1 && rss != 0) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf = rss;
        info.rss = true;
    }
    if (dev.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE) {
        conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
    }
    // Fragments (rte_ipv4_fragment_packet) are chains: keep multi-segment tx when offered.
    if (dev.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) {
        conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
    }
    rc = rte_eth_dev_configure(port_id, queues, queues, &conf);
    if (rc != 0) {
        error = describe(spec) + ": cannot configure " + std::to_string(queues) +
                " queue pairs: " + errno_text(rc);
        return false;
    }
    std::uint16_t nb_rx = kRxDescriptors;
    std::uint16_t nb_tx = kTxDescriptors;
    rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rx, &nb_tx);
    const int socket = rte_eth_dev_socket_id(port_id) < 0 ? 0 : rte_eth_dev_socket_id(port_id);
    for (std::uint16_t q = 0; q < queues; ++q) {
        rc = rte_eth_rx_queue_setup(port_id, q, nb_rx, static_cast<unsigned>(socket), nullptr, pool);
        if (rc != 0) {
            error = describe(spec) + ": cannot set up rx queue " + std::to_string(q) + ": " + errno_text(rc);
            return false;
        }
        rte_eth_txconf txconf = dev.default_txconf;
        txconf.offloads = conf.txmode.offloads;
        rc = rte_eth_tx_queue_setup(port_id, q, nb_tx, static_cast<unsigned>(socket), &txconf);
        if (rc != 0) {
            error = describe(spec) + ": cannot set up tx queue " + std::to_string(q) + ": " + errno_text(rc);
            return false;
        }
    }
    std::uint16_t mtu = 0;
    if (rte_eth_dev_get_mtu(port_id, &mtu) != 0 || mtu != spec.mtu) {
        rc = rte_eth_dev_set_mtu(port_id, spec.mtu);
        // Virtual ports often cannot change it; our own fragmentation uses spec.mtu either way,
        // so only a port that receives less than that is a problem worth stopping for.
        if (rc != 0 && mtu != 0 && mtu < spec.mtu) {
            std::fprintf(stderr, "palisade: %s: MTU %u cannot be set (%s); the port stays at %u\n",
                         describe(spec).c_str(), spec.mtu, errno_text(rc).c_str(), mtu);
        }
    }
    rc = rte_eth_dev_start(port_id);
    if (rc != 0) {
        error = describe(spec) + ": cannot start the port: " + errno_text(rc);
        return false;
    }
    rte_ether_addr mac{};
    if (rte_eth_macaddr_get(port_id, &mac) != 0) {
        error = describe(spec) + ": cannot read its MAC address";
        rte_eth_dev_stop(port_id);
        return false;
    }
    std::memcpy(info.mac, mac.addr_bytes, 6);
    rte_eth_dev_set_link_up(port_id);  // not every driver implements it; start() brought it up
    return true;
}

int create_ring_port(const std::string& name, rte_ring* const rx[], unsigned nrx,
                     rte_ring* const tx[], unsigned ntx, std::string& error) {
    using FromRings = int (*)(const char*, rte_ring* const[], unsigned, rte_ring* const[],
                              unsigned, unsigned);
    void* lib = dlopen("librte_net_ring.so.23", RTLD_NOW | RTLD_NOLOAD);
    if (lib == nullptr) lib = dlopen("librte_net_ring.so.23", RTLD_NOW);
    if (lib == nullptr) lib = dlopen("librte_net_ring.so", RTLD_NOW);
    void* sym = lib == nullptr ? nullptr : dlsym(lib, "rte_eth_from_rings");
    if (sym == nullptr) {
        error = "net_ring driver not found (librte_net_ring.so)";
        return -1;
    }
    FromRings from_rings = nullptr;
    static_assert(sizeof(from_rings) == sizeof(sym));
    std::memcpy(&from_rings, &sym, sizeof sym);
    const int id = from_rings(name.c_str(), rx, nrx, tx, ntx, 0);
    if (id < 0) error = "rte_eth_from_rings(" + name + ") failed: " + rte_strerror(rte_errno);
    return id;
}

void close_port(std::uint16_t port_id) noexcept {
    if (!rte_eth_dev_is_valid_port(port_id)) return;
    rte_eth_dev_stop(port_id);
    rte_eth_dev_close(port_id);
}

}  // namespace palisade::dp
