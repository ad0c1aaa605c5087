// palisade-bench-dataplane: the real worker loop (Worker::poll: rx burst, l3_input, SIP framing,
// steering, sip_stage, udp_output, buffered tx) fed prebuilt SIP packets through a net_ring
// port, and in the same run a plain io-forward loop (rx burst -> tx burst) on the same port as
// the ceiling. One JSON object per line:
//   {"scenario":"options","workers":1,"packets":...,"mpps_per_worker":...,"ceiling_mpps":...,
//    "cycles_per_packet":...,"ceiling_cycles_per_packet":...,"mpps_min":...,"mpps_max":...}
// Only time spent inside the loops is counted: refilling the rx ring and freeing what was sent
// happen between timed rounds. Time is the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so that
// other processes on a shared machine do not count against the loop; wall_mpps is the same run
// in wall-clock time. cycles_per_packet is CPU time x TSC rate / packets. Mpps figures are the
// median over rounds (mpps_min/mpps_max: the spread).
//
// Scenarios: options (one worker answers OPTIONS), options_handoff (worker 0 receives, worker 1
// owns the Call-ID and answers: every packet crosses a handoff ring; both driven from one thread),
// options_sip_only (framing, validation and the 200 alone, no DPDK: the parser's share; and
// stage_cycles, SipStage::handle as the worker calls it: validation plus the composed 200).
// Usage: palisade-bench-dataplane [--rounds N] [--batch N] [--scenario NAME] [-- EAL args]
//        (default EAL: -l 0 --no-huge -m 1024 --no-pci --no-shconf)
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/eal.hpp"
#include "dataplane/port.hpp"
#include "dataplane/worker.hpp"
#include "parsers/sip/builder.hpp"
#include "parsers/sip/validate.hpp"

using namespace palisade::dp;

namespace {

constexpr std::uint32_t kOurIp = (10u << 24) | 1;                 // 10.0.0.1
constexpr std::uint32_t kPeerBase = (10u << 24) | (1u << 8);      // 10.0.1.0/24: the trunk
const rte_ether_addr kPeerMac = {{0x02, 0, 0, 0, 0, 0x02}};

struct Fixture {
    Pools pools;
    rte_ring* rx = nullptr;  // queue 0: where every packet arrives
    rte_ring* tx[2] = {};    // one per worker queue
    rte_ring* rx_unused = nullptr;
    std::uint16_t port = 0;
    rte_ether_addr mac{};
    std::vector<std::string> frames;  // prebuilt Ethernet frames
};

std::string options_payload(unsigned i, const std::string& call_id) {
    const std::string host = "10.0.1." + std::to_string(1 + i % 200);
    return "OPTIONS sip:10.0.0.1:5060 SIP/2.0\r\n"
           "Via: SIP/2.0/UDP " + host + ":5060;branch=z9hG4bK-bench" + std::to_string(i) + ";rport\r\n"
           "Max-Forwards: 70\r\n"
           "From: <sip:probe@" + host + ":5060>;tag=" + std::to_string(1000 + i) + "\r\n"
           "To: <sip:10.0.0.1:5060>\r\n"
           "Call-ID: " + call_id + "\r\n"
           "CSeq: 1 OPTIONS\r\n"
           "Contact: <sip:probe@" + host + ":5060>\r\n"
           "Accept: application/sdp\r\n"
           "User-Agent: palisade-bench\r\n"
           "Content-Length: 0\r\n\r\n";
}

std::string frame(const rte_ether_addr& dst, std::uint32_t src_ip, const std::string& payload) {
    std::string f(sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr) + payload.size(), '\0');
    auto* eth = reinterpret_cast<rte_ether_hdr*>(f.data());
    eth->dst_addr = dst;
    eth->src_addr = kPeerMac;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = rte_cpu_to_be_16(static_cast<std::uint16_t>(f.size() - sizeof(rte_ether_hdr)));
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_UDP;
    ip->src_addr = rte_cpu_to_be_32(src_ip);
    ip->dst_addr = rte_cpu_to_be_32(kOurIp);
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
    udp->src_port = rte_cpu_to_be_16(5060);
    udp->dst_port = rte_cpu_to_be_16(5060);
    udp->dgram_len = rte_cpu_to_be_16(static_cast<std::uint16_t>(sizeof(rte_udp_hdr) + payload.size()));
    std::memcpy(udp + 1, payload.data(), payload.size());
    udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
    return f;
}

/// Fills the rx ring with `n` copies of the prebuilt frames (not timed).
bool refill(Fixture& fx, unsigned n) {
    std::vector<rte_mbuf*> ms(n);
    if (rte_pktmbuf_alloc_bulk(fx.pools.mbufs, ms.data(), n) != 0) return false;
    for (unsigned i = 0; i < n; ++i) {
        const std::string& f = fx.frames[i % fx.frames.size()];
        char* p = rte_pktmbuf_append(ms[i], static_cast<std::uint16_t>(f.size()));
        std::memcpy(p, f.data(), f.size());
    }
    return rte_ring_enqueue_bulk(fx.rx, reinterpret_cast<void**>(ms.data()), n, nullptr) == n;
}

/// Frees what the port sent (not timed); returns how many.
unsigned drain_tx(Fixture& fx) {
    void* objs[256];
    unsigned total = 0, n;
    for (rte_ring* r : fx.tx) {
        if (r == nullptr) continue;
        while ((n = rte_ring_dequeue_burst(r, objs, 256, nullptr)) > 0) {
            rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf**>(objs), n);
            total += n;
        }
    }
    return total;
}

/// A Call-ID whose owner among `workers` is `owner`.
std::string call_id_owned_by(unsigned i, unsigned owner, unsigned workers) {
    for (unsigned k = 0;; ++k) {
        std::string id = std::to_string(i) + "." + std::to_string(k) + "-bench@10.0.1.1";
        if (owner_worker(id, workers) == owner) return id;
    }
}

/// CPU time of this thread, in seconds: the machine is shared (2 cores, builds running), so
/// wall time would count other processes' time slices against the loop.
double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

struct Result {
    std::vector<double> mpps, ceiling;
    double cpu = 0, wall = 0, ceiling_cpu = 0;
    std::uint64_t packets = 0;
};

/// Runs one scenario: `workers` workers, every packet arriving on worker 0's queue with a
/// Call-ID owned by worker `owner` (owner != 0: every packet crosses a handoff ring).
bool run_scenario(const char* name, unsigned workers, unsigned owner, Fixture& fx, unsigned rounds,
                  unsigned batch, int engine_no) {
    std::string err;
    fx.frames.clear();
    for (unsigned i = 0; i < 1024; ++i) {
        fx.frames.push_back(frame(fx.mac, kPeerBase + 1 + i % 200,
                                  options_payload(i, call_id_owned_by(i, owner, workers))));
    }
    InterfaceSpec ifs;
    ifs.name = "access";
    ifs.device = "bench_ring";
    ifs.address = {kOurIp, 8};
    EngineConfig cfg;
    cfg.workers = workers;
    cfg.ports.push_back({fx.port, ifs, fx.mac});
    cfg.pools = fx.pools;
    cfg.ring_size = 4096;
    cfg.timers_per_worker = 1024;
    cfg.known.add({kPeerBase, 24});
    cfg.tag = "_bench" + std::to_string(engine_no);
    Engine engine;
    if (!engine.init(cfg, err)) {
        std::fprintf(stderr, "%s\n", err.c_str());
        return false;
    }
    const std::uint64_t now0 = rte_rdtsc();
    for (unsigned w = 0; w < workers; ++w)
        for (unsigned i = 0; i < 200; ++i)
            engine.worker(w).l3(0).arp().learn(kPeerBase + 1 + i, kPeerMac, now0, true);
    const double hz = static_cast<double>(rte_get_tsc_hz());
    // Until every packet was received, handed off and answered.
    auto run_all = [&] {
        bool again = true;
        while (again) {
            again = false;
            for (unsigned w = 0; w < workers; ++w) again |= engine.worker(w).poll(rte_rdtsc()) != 0;
            again |= rte_ring_count(fx.rx) != 0;
        }
        for (unsigned w = 0; w < workers; ++w) engine.worker(w).flush();
    };

    // Check the input before timing it: every OPTIONS answered 200 by its owner.
    if (!refill(fx, 1024)) return false;
    run_all();
    const unsigned check_sent = drain_tx(fx);
    const std::uint64_t answered = engine.sum(Counter::sip_options_answered);
    if (answered != 1024 || check_sent != 1024 || engine.sum(Counter::handoff_in) != (owner != 0 ? 1024u : 0u)) {
        std::fprintf(stderr, "%s: input check failed: %llu answered, %u sent of 1024\n", name,
                     static_cast<unsigned long long>(answered), check_sent);
        for (std::size_t i = 0; i < kCounterCount; ++i) {
            const std::uint64_t v = engine.sum(static_cast<Counter>(i));
            if (v) std::fprintf(stderr, "  %s %llu\n", std::string(counter_name(static_cast<Counter>(i))).c_str(),
                                static_cast<unsigned long long>(v));
        }
        return false;
    }

    Result r;
    for (unsigned round = 0; round < rounds; ++round) {
        // The real worker loop(s).
        if (!refill(fx, batch)) return false;
        const std::uint64_t before = engine.sum(Counter::sip_options_answered);
        double c0 = thread_cpu_seconds();
        const std::uint64_t t0 = rte_rdtsc();
        run_all();
        const std::uint64_t t1 = rte_rdtsc();
        double c1 = thread_cpu_seconds();
        const std::uint64_t done = engine.sum(Counter::sip_options_answered) - before;
        if (done != batch) {
            std::fprintf(stderr, "%s round %u: %llu of %u answered\n", name, round,
                         static_cast<unsigned long long>(done), batch);
            return false;
        }
        drain_tx(fx);
        r.cpu += c1 - c0;
        r.wall += static_cast<double>(t1 - t0) / hz;
        r.packets += batch;
        r.mpps.push_back(batch / (c1 - c0) / 1e6);

        // The ceiling: io-forward on the same port and queue, same packets.
        if (!refill(fx, batch)) return false;
        rte_mbuf* pkts[32];
        c0 = thread_cpu_seconds();
        for (;;) {
            const std::uint16_t n = rte_eth_rx_burst(fx.port, 0, pkts, 32);
            if (n == 0) break;
            const std::uint16_t sent = rte_eth_tx_burst(fx.port, 0, pkts, n);
            if (sent < n) rte_pktmbuf_free_bulk(pkts + sent, n - sent);
        }
        c1 = thread_cpu_seconds();
        drain_tx(fx);
        r.ceiling_cpu += c1 - c0;
        r.ceiling.push_back(batch / (c1 - c0) / 1e6);
    }
    // mpps_per_worker: packets per second of worker CPU time, whichever worker spent it (with a
    // handoff, two workers share each packet's cost).
    std::printf("{\"scenario\":\"%s\",\"workers\":%u,\"packets\":%llu,\"rounds\":%u,\"batch\":%u,"
                "\"mpps_per_worker\":%.3f,\"mpps_min\":%.3f,\"mpps_max\":%.3f,"
                "\"ceiling_mpps\":%.3f,\"cycles_per_packet\":%.1f,\"ceiling_cycles_per_packet\":%.1f,"
                "\"wall_mpps\":%.3f,\"tsc_mhz\":%.0f,\"request_bytes\":%zu}\n",
                name, workers, static_cast<unsigned long long>(r.packets), rounds, batch, median(r.mpps),
                *std::min_element(r.mpps.begin(), r.mpps.end()),
                *std::max_element(r.mpps.begin(), r.mpps.end()), median(r.ceiling),
                r.cpu * hz / static_cast<double>(r.packets),
                r.ceiling_cpu * hz / static_cast<double>(r.packets),
                static_cast<double>(r.packets) / r.wall / 1e6, hz / 1e6, fx.frames[0].size() - 42);
    std::fflush(stdout);
    return true;
}

/// Where an answered OPTIONS spends its time inside the SIP code alone (no DPDK): framing,
/// validation, building the 200. Same message, same machine, thread CPU time, so that the
/// worker-loop figure can be read against what the parser costs.
void sip_breakdown(unsigned iterations) {
    const std::string text = options_payload(1, "1.0-bench@10.0.1.1");
    static palisade::sip::Message msg;
    char out[2048];
    volatile unsigned sink = 0;
    double c0 = thread_cpu_seconds();
    for (unsigned i = 0; i < iterations; ++i) sink = sink + static_cast<unsigned>(msg.parse(text));
    double c1 = thread_cpu_seconds();
    for (unsigned i = 0; i < iterations; ++i)
        sink = sink + static_cast<unsigned>(palisade::sip::validate_request(msg));
    double c2 = thread_cpu_seconds();
    for (unsigned i = 0; i < iterations; ++i)
        sink = sink + static_cast<unsigned>(palisade::sip::build_response(
                          msg, 200, "OK", "pl00.0000000000000001",
                          "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER\r\nAccept: "
                          "application/sdp\r\nSupported: timer\r\n",
                          {}, out));
    double c3 = thread_cpu_seconds();
    // What the worker runs after framing: SipStage::handle (validation with what it parsed kept,
    // the 200 composed with the stamped Via), answering the same OPTIONS from a trunk source.
    KnownSources known;
    known.add({kPeerBase, 24});
    const std::uint32_t ours[] = {kOurIp};
    SipStage stage(&known, ours, 0, 1);
    static WorkerCounters counters;
    SipSource src;
    src.src_ip = kPeerBase + 2;
    src.dst_ip = kOurIp;
    src.src_port = 5060;
    src.dst_port = 5060;
    const palisade::sip::ParseStatus st = msg.parse(text);
    double c4 = thread_cpu_seconds();
    for (unsigned i = 0; i < iterations; ++i)
        sink = sink + static_cast<unsigned>(stage.handle(msg, st, src, out, counters).reply_length);
    double c5 = thread_cpu_seconds();
    const double hz = static_cast<double>(rte_get_tsc_hz());
    const double n = iterations;
    std::printf("{\"scenario\":\"options_sip_only\",\"iterations\":%u,\"parse_cycles\":%.0f,"
                "\"validate_cycles\":%.0f,\"build_response_cycles\":%.0f,\"stage_cycles\":%.0f,"
                "\"parse_ns\":%.0f,\"validate_ns\":%.0f,\"build_response_ns\":%.0f,"
                "\"stage_ns\":%.0f}\n",
                iterations, (c1 - c0) * hz / n, (c2 - c1) * hz / n, (c3 - c2) * hz / n,
                (c5 - c4) * hz / n, (c1 - c0) * 1e9 / n, (c2 - c1) * 1e9 / n, (c3 - c2) * 1e9 / n,
                (c5 - c4) * 1e9 / n);
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    unsigned rounds = 200;
    unsigned batch = 1024;  // like a NIC rx ring of 1024 descriptors: packets still in cache
    std::string only;
    std::vector<std::string> eal = {"--no-huge", "-m", "1024", "--no-pci", "--no-shconf",
                                    "--log-level", "*:error"};
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--rounds" && i + 1 < argc) {
            rounds = static_cast<unsigned>(std::atoi(argv[++i]));
        } else if (a == "--batch" && i + 1 < argc) {
            batch = static_cast<unsigned>(std::atoi(argv[++i]));
        } else if (a == "--scenario" && i + 1 < argc) {
            only = argv[++i];
        } else if (a == "--") {
            eal.assign(argv + i + 1, argv + argc);
            break;
        } else {
            std::fprintf(stderr, "usage: %s [--rounds N] [--batch N] [--scenario options|options_handoff] [-- EAL args]\n", argv[0]);
            return 2;
        }
    }
    if (rounds == 0 || batch < 64 || batch > 60000) {
        std::fprintf(stderr, "rounds >= 1, batch in 64..60000\n");
        return 2;
    }
    std::string err;
    EalSpec spec;
    spec.lcores = "0";
    spec.args = eal;
    spec.mbuf_count = 2 * batch + 8191;
    spec.mbuf_cache = 256;
    if (!eal_init(build_eal_args("palisade-bench-dataplane", spec, {}, false), err)) {
        std::fprintf(stderr, "%s\n", err.c_str());
        return 1;
    }
    Fixture fx;
    if (!create_pools(spec, 511, "_bench", 0, fx.pools, err)) {
        std::fprintf(stderr, "%s\n", err.c_str());
        return 1;
    }
    const unsigned ring_size = rte_align32pow2(batch + 1);
    fx.rx = rte_ring_create("bench_rx0", ring_size, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    fx.rx_unused = rte_ring_create("bench_rx1", 64, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    fx.tx[0] = rte_ring_create("bench_tx0", ring_size * 2, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    fx.tx[1] = rte_ring_create("bench_tx1", ring_size * 2, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    rte_ring* rxs[2] = {fx.rx, fx.rx_unused};
    const int pid = create_ring_port("bench_ring", rxs, 2, fx.tx, 2, err);
    if (pid < 0 || !fx.rx || !fx.rx_unused || !fx.tx[0] || !fx.tx[1]) {
        std::fprintf(stderr, "ring port: %s\n", err.c_str());
        return 1;
    }
    fx.port = static_cast<std::uint16_t>(pid);
    InterfaceSpec ifs;
    ifs.name = "access";
    ifs.device = "bench_ring";
    ifs.address = {kOurIp, 8};
    PortInfo info;
    if (!configure_port(fx.port, ifs, 2, fx.pools.mbufs, info, err)) {
        std::fprintf(stderr, "%s\n", err.c_str());
        return 1;
    }
    std::memcpy(fx.mac.addr_bytes, info.mac, 6);
    bool ok = true;
    // options: one worker receives and answers every OPTIONS.
    if (only.empty() || only == "options") ok &= run_scenario("options", 1, 0, fx, rounds, batch, 0);
    // options_handoff: received by worker 0, owned (by Call-ID) and answered by worker 1.
    if (only.empty() || only == "options_handoff")
        ok &= run_scenario("options_handoff", 2, 1, fx, rounds, batch, 1);
    // options_sip_only: the SIP code's share of the options scenario.
    if (only.empty() || only == "options_sip_only") sip_breakdown(500000);
    return ok ? 0 : 1;
}
