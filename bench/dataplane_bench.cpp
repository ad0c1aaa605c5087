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

#include <unistd.h>

#include <fstream>
#include <map>
#include <memory>

#include "dataplane/contract/limits.hpp"
#include "dataplane/contract/policy_snapshot.hpp"
#include "dataplane/eal.hpp"
#include "dataplane/policy/snapshot.hpp"
#include "dataplane/port.hpp"
#include "dataplane/sip/proxy.hpp"
#include "dataplane/sip/transaction.hpp"
#include "dataplane/worker.hpp"
#include "parsers/sip/builder.hpp"
#include "parsers/sip/digest.hpp"
#include "parsers/sip/nonce.hpp"
#include "parsers/sip/validate.hpp"
#include "tests/unit/dataplane/sip_peer.hpp"

using namespace palisade::dp;
namespace dp = palisade::dp;
namespace peer = palisade::dp::peer;

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

// --- calls: the full call mix through the proxy core ---------------------------------------------

constexpr std::uint32_t kCoreOurIp = (192u << 24) | (2u << 8) | 1;   // 192.0.2.1
constexpr std::uint32_t kCarrierIp = (192u << 24) | (2u << 8) | 10;  // 192.0.2.10: the core peer
constexpr unsigned kCallTrunks = 500;  // every trunk one PBX (10.1.x.y/32), within the ARP table

std::string dotted(std::uint32_t ip) {
    return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
           std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
}
std::uint32_t pbx_ip(unsigned trunk) { return (10u << 24) | (1u << 16) | ((trunk / 250) << 8) | (trunk % 250 + 1); }
std::string trunk_did_prefix(unsigned trunk) {
    char b[16];
    std::snprintf(b, sizeof b, "+3120%04u", trunk);  // 9 characters; +2 digits = an 11-digit number
    return b;
}
std::string bench_password(const std::string& user) { return "pw-" + user; }

/// Realistic trunks (issue 6 "Benchmark"): two accounts each (SHA-256 preferred, MD5), a /32,
/// 100 DIDs and the same caller IDs, a destination policy with prefix and pattern rules, limits
/// far above what the run places (so that every call is admitted and the checks all run).
dp::ConfigSpec calls_spec() {
    dp::ConfigSpec spec;
    spec.sip.realm = "palisade";
    spec.sip.nonce_secret = "bench-secret-0123456789";
    dp::CorePeerSpec carrier;
    carrier.name = "carrier";
    carrier.address = kCarrierIp;
    spec.core_peers.push_back(carrier);
    dp::DestPolicySpec eu;
    eu.name = "eu";
    eu.rules.push_back({dp::RuleKind::prefix, dp::RuleAction::deny, "+3190"});
    eu.rules.push_back({dp::RuleKind::prefix, dp::RuleAction::deny, "+3187"});
    eu.rules.push_back({dp::RuleKind::pattern, dp::RuleAction::deny, "^\\+4919[0-9]{3,}$"});
    eu.rules.push_back({dp::RuleKind::prefix, dp::RuleAction::allow, "+31"});
    eu.rules.push_back({dp::RuleKind::prefix, dp::RuleAction::allow, "+32"});
    eu.rules.push_back({dp::RuleKind::prefix, dp::RuleAction::allow, "+49"});
    eu.default_action = dp::RuleAction::deny;
    spec.policies.push_back(eu);
    for (unsigned k = 0; k < kCallTrunks; ++k) {
        dp::TrunkSpec t;
        t.id = "trunk-" + std::to_string(k);
        for (int a = 0; a < 2; ++a) {
            dp::AccountSpec acc;
            acc.username = t.id + (a == 0 ? "-1" : "-2");
            char h[64];
            std::size_t n = palisade::sip::compute_ha1(palisade::sip::HashAlgorithm::md5, acc.username, "palisade",
                                                       bench_password(acc.username), h, sizeof h);
            acc.ha1_md5.assign(h, n);
            n = palisade::sip::compute_ha1(palisade::sip::HashAlgorithm::sha256, acc.username, "palisade",
                                           bench_password(acc.username), h, sizeof h);
            acc.ha1_sha256.assign(h, n);
            (a == 0 ? t.primary : t.secondary) = acc;
        }
        t.subnets.push_back({pbx_ip(k), 32});
        t.dids.push_back({trunk_did_prefix(k) + "00", trunk_did_prefix(k) + "99"});
        t.caller_ids.ranges.push_back({trunk_did_prefix(k) + "00", trunk_did_prefix(k) + "99"});
        t.policy = "eu";
        t.limits.max_concurrent = 100000;
        t.limits.attempts_per_second = 1000000;
        t.limits.calls_per_hour = dp::kMaxWindowLimit;
        t.limits.calls_per_day = dp::kMaxWindowLimit;
        t.limits.calls_per_week = dp::kMaxWindowLimit;
        spec.trunks.push_back(t);
    }
    return spec;
}

/// A frame to Palisade's `dst_ip` on the port with MAC `dst`.
std::string frame_to(const rte_ether_addr& dst, std::uint32_t src_ip, std::uint32_t dst_ip, const std::string& payload) {
    std::string f = frame(dst, src_ip, payload);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(f.data() + sizeof(rte_ether_hdr));
    auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
    ip->dst_addr = rte_cpu_to_be_32(dst_ip);
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    udp->dgram_cksum = 0;
    udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
    return f;
}

struct CallsPort {
    rte_ring* rx = nullptr;
    rte_ring* tx = nullptr;
    std::uint16_t port = 0;
    rte_ether_addr mac{};
};

bool enqueue_frames(const Pools& pools, rte_ring* rx, const std::vector<std::string>& frames) {
    for (const std::string& f : frames) {
        rte_mbuf* m = rte_pktmbuf_alloc(pools.mbufs);
        if (m == nullptr) return false;
        char* p = rte_pktmbuf_append(m, static_cast<std::uint16_t>(f.size()));
        if (p == nullptr) {
            rte_pktmbuf_free(m);
            return false;
        }
        std::memcpy(p, f.data(), f.size());
        if (rte_ring_enqueue(rx, m) != 0) {
            rte_pktmbuf_free(m);
            return false;
        }
    }
    return true;
}

/// The SIP payloads a port sent (not timed).
std::vector<std::string> take_sent(rte_ring* tx) {
    std::vector<std::string> out;
    void* obj = nullptr;
    while (rte_ring_dequeue(tx, &obj) == 0) {
        auto* m = static_cast<rte_mbuf*>(obj);
        std::string bytes(rte_pktmbuf_pkt_len(m), '\0');
        const void* at = rte_pktmbuf_read(m, 0, static_cast<std::uint32_t>(bytes.size()), bytes.data());
        if (at != nullptr && at != bytes.data()) std::memcpy(bytes.data(), at, bytes.size());
        rte_pktmbuf_free(m);
        const auto* eth = reinterpret_cast<const rte_ether_hdr*>(bytes.data());
        if (bytes.size() < 42 || eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) continue;
        const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(eth + 1);
        if ((rte_be_to_cpu_16(ip->fragment_offset) & 0x3fff) != 0) continue;  // a fragment (not expected)
        const auto* udp = reinterpret_cast<const rte_udp_hdr*>(ip + 1);
        out.emplace_back(reinterpret_cast<const char*>(udp + 1), rte_be_to_cpu_16(udp->dgram_len) - 8u);
    }
    return out;
}

/// The call index in a Call-ID "b<round>-<index>@bench", or -1.
long call_index(const std::string& msg) {
    const std::string id = peer::header(msg, "Call-ID");
    const std::size_t dash = id.find('-'), at = id.find('@');
    if (dash == std::string::npos || at == std::string::npos) return -1;
    return std::strtol(id.c_str() + dash + 1, nullptr, 10);
}

long rss_kib() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    return -1;
}

/// One worker, an access and a core port, the complete policy: per round `batch` calls, each
/// INVITE(SDP) -> 407, ACK, INVITE with digest -> 100 + INVITE to the carrier, 100, 180,
/// 200(SDP) from the carrier, ACK, BYE from the PBX, 200 to the BYE from the carrier: nine
/// messages received per call. The far ends are played by this thread between the timed parts
/// (building their messages is not timed); each timed part is one phase of every call of the
/// round, the worker polling until it has handled all of it.
bool run_calls(Fixture& fx, CallsPort& core, unsigned rounds, unsigned batch) {
    namespace sip = palisade::sip;
    std::string err;
    const dp::ConfigSpec spec = calls_spec();
    dp::LimitsTable limits(2 * kCallTrunks + 16);
    dp::PolicySlot slot(1);
    {
        dp::SnapshotBuild b = dp::build_policy_snapshot(spec, limits);
        if (!b.snapshot) {
            std::fprintf(stderr, "calls: snapshot: %s\n", b.error.c_str());
            return false;
        }
        slot.publish(std::move(b.snapshot));
    }
    sip::NonceCountTable nonce_counts(std::size_t{1} << 20);
    InterfaceSpec access_if;
    access_if.name = "access";
    access_if.role = PortRole::access;
    access_if.device = "bench_ring";
    access_if.address = {kOurIp, 8};
    InterfaceSpec core_if;
    core_if.name = "core";
    core_if.role = PortRole::core;
    core_if.device = "bench_core";
    core_if.address = {kCoreOurIp, 24};
    EngineConfig cfg;
    cfg.workers = 1;
    cfg.ports.push_back({fx.port, access_if, fx.mac});
    cfg.ports.push_back({core.port, core_if, core.mac});
    cfg.pools = fx.pools;
    cfg.ring_size = 8192;
    cfg.timers_per_worker = 1024;
    cfg.tag = "_calls";
    cfg.policy = &slot;
    cfg.limits = &limits;
    cfg.nonce_counts = &nonce_counts;
    cfg.timers = dp::timers_from(spec.sip);
    cfg.max_transactions = 1u << 16;
    cfg.max_dialogs = 1u << 15;
    Engine engine;
    if (!engine.init(cfg, err)) {
        std::fprintf(stderr, "calls: %s\n", err.c_str());
        return false;
    }
    Worker& w = engine.worker(0);
    // The worker's clock: the TSC plus a jump after each round, so that every transaction and
    // dialog of the round has expired (Timer J, 64*T1) before the next; neighbours are
    // re-learned at the new time (ARP would age them).
    std::uint64_t offset = 0;
    const std::uint64_t hz = rte_get_tsc_hz();
    auto learn = [&] {
        const std::uint64_t now = rte_rdtsc() + offset;
        for (unsigned k = 0; k < kCallTrunks; ++k) w.l3(0).arp().learn(pbx_ip(k), kPeerMac, now, true);
        w.l3(1).arp().learn(kCarrierIp, kPeerMac, now, true);
    };
    learn();
    auto drain_punts = [&] {
        void* obj = nullptr;
        while (rte_ring_dequeue(engine.punt_ring(0), &obj) == 0) rte_mempool_put(fx.pools.messages, obj);
    };
    // Runs the worker until both rx rings are empty and a poll found nothing (thread CPU time).
    double cpu = 0;
    // Per phase (A 407, B ACK + INVITE with digest, C 100/180/200, D ACK + BYE, E 200 to the
    // BYE, R expiry of the round's state), summed over rounds.
    double phase_cpu[6] = {};
    unsigned phase = 0;
    auto run = [&] {
        const double c0 = thread_cpu_seconds();
        while (w.poll(rte_rdtsc() + offset) != 0 || rte_ring_count(fx.rx) != 0 || rte_ring_count(core.rx) != 0) {
        }
        w.flush();
        const double d = thread_cpu_seconds() - c0;
        cpu += d;
        phase_cpu[phase++ % 6] += d;
    };
    auto fail = [&](const char* what, unsigned round, std::size_t got) {
        std::fprintf(stderr, "calls round %u: %s: %zu of %u\n", round, what, got, batch);
        for (std::size_t i = 0; i < kCounterCount; ++i) {
            const std::uint64_t v = engine.sum(static_cast<Counter>(i));
            if (v) std::fprintf(stderr, "  %s %llu\n", std::string(counter_name(static_cast<Counter>(i))).c_str(),
                                static_cast<unsigned long long>(v));
        }
        return false;
    };
    const std::string pal_access = dotted(kOurIp);
    const std::string pal_core = dotted(kCoreOurIp);
    std::vector<double> cps;
    std::uint64_t calls = 0, messages = 0;
    double total_cpu = 0;
    std::vector<std::string> frames;
    std::vector<peer::InviteSpec> specs(batch);
    std::vector<std::string> first(batch), r407(batch), fwd(batch), ok(batch), bye(batch);
    for (unsigned round = 0; round < rounds; ++round) {
        cpu = 0;
        phase = 0;
        const std::uint64_t round_t0 = rte_rdtsc() + offset;  // the worker's time at its start
        // A: INVITE with SDP -> 407.
        frames.clear();
        for (unsigned i = 0; i < batch; ++i) {
            const unsigned k = (round * batch + i) % kCallTrunks;
            peer::InviteSpec& s = specs[i];
            s = peer::InviteSpec{};
            s.call_id = "b" + std::to_string(round) + "-" + std::to_string(i) + "@bench";
            s.from_user = trunk_did_prefix(k) + std::to_string(10 + i % 90);
            s.to_user = (i % 3 == 0 ? "+4930" : "+3161") + std::to_string(2000000 + i);
            s.pbx_ip = dotted(pbx_ip(k));
            s.palisade_ip = pal_access;
            s.branch = "z9hG4bK-b" + std::to_string(round) + "x" + std::to_string(i);
            s.pai = s.from_user;
            s.extra = "Supported: timer, replaces\r\nAllow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\nUser-Agent: bench-pbx\r\n";
            s.body = peer::sdp(s.pbx_ip, "8 0 18 101");
            first[i] = peer::invite(s);
            frames.push_back(frame_to(fx.mac, pbx_ip(k), kOurIp, first[i]));
        }
        if (!enqueue_frames(fx.pools, fx.rx, frames)) return fail("enqueue A", round, 0);
        run();
        std::size_t got = 0;
        for (std::string& m : take_sent(fx.tx[0])) {
            const long i = call_index(m);
            if (peer::status(m) == 407 && i >= 0 && static_cast<unsigned>(i) < batch) {
                r407[i] = std::move(m);
                ++got;
            }
        }
        if (got != batch) return fail("407", round, got);
        // B: ACK to the 407, INVITE with the digest -> 100 to the PBX, INVITE to the carrier.
        frames.clear();
        for (unsigned i = 0; i < batch; ++i) {
            peer::InviteSpec& s = specs[i];
            const unsigned k = (round * batch + i) % kCallTrunks;
            const std::string user = "trunk-" + std::to_string(k) + "-1";
            frames.push_back(frame_to(fx.mac, pbx_ip(k), kOurIp, peer::ack_for_failure(first[i], r407[i])));
            s.cseq = 2;
            s.branch += "a";
            s.extra += peer::proxy_authorization(r407[i], user, bench_password(user), "INVITE",
                                                 "sip:" + s.to_user + "@" + pal_access);
            frames.push_back(frame_to(fx.mac, pbx_ip(k), kOurIp, peer::invite(s)));
            first[i] = peer::invite(s);
        }
        if (!enqueue_frames(fx.pools, fx.rx, frames)) return fail("enqueue B", round, 0);
        run();
        take_sent(fx.tx[0]);  // 100 Trying
        got = 0;
        for (std::string& m : take_sent(core.tx)) {
            const long i = call_index(m);
            // The first copy only (a retransmission after T1 on a slow machine is not a call).
            if (peer::method(m) == "INVITE" && i >= 0 && static_cast<unsigned>(i) < batch && fwd[i].empty()) {
                fwd[i] = std::move(m);
                ++got;
            }
        }
        if (got != batch) return fail("INVITE to the carrier", round, got);
        // C: 100, 180, 200 with the answer, from the carrier.
        frames.clear();
        for (unsigned i = 0; i < batch; ++i) {
            const std::string tag = "cr" + std::to_string(i);
            const std::string contact = "Contact: <sip:" + specs[i].to_user + "@" + dotted(kCarrierIp) + ">\r\n";
            frames.push_back(frame_to(core.mac, kCarrierIp, kCoreOurIp, peer::response(fwd[i], 100, "Trying")));
            frames.push_back(frame_to(core.mac, kCarrierIp, kCoreOurIp, peer::response(fwd[i], 180, "Ringing", tag, contact)));
            frames.push_back(frame_to(core.mac, kCarrierIp, kCoreOurIp,
                                      peer::response(fwd[i], 200, "OK", tag, contact + "Session-Expires: 1800;refresher=uac\r\n",
                                                     peer::sdp(dotted(kCarrierIp), "8 101"))));
        }
        if (!enqueue_frames(fx.pools, core.rx, frames)) return fail("enqueue C", round, 0);
        run();
        got = 0;
        for (std::string& m : take_sent(fx.tx[0])) {
            const long i = call_index(m);
            if (peer::status(m) == 200 && i >= 0 && static_cast<unsigned>(i) < batch) {
                ok[i] = std::move(m);
                ++got;
            }
        }
        if (got != batch) return fail("200 to the PBX", round, got);
        drain_punts();
        // D: ACK and BYE from the PBX, in the dialog.
        frames.clear();
        for (unsigned i = 0; i < batch; ++i) {
            const unsigned k = (round * batch + i) % kCallTrunks;
            const std::string via = dotted(pbx_ip(k)) + ":5060";
            frames.push_back(frame_to(fx.mac, pbx_ip(k), kOurIp,
                                      peer::in_dialog("ACK", first[i], ok[i], 2, via, specs[i].branch + "k")));
            frames.push_back(frame_to(fx.mac, pbx_ip(k), kOurIp,
                                      peer::in_dialog("BYE", first[i], ok[i], 3, via, specs[i].branch + "b")));
        }
        if (!enqueue_frames(fx.pools, fx.rx, frames)) return fail("enqueue D", round, 0);
        run();
        got = 0;
        for (std::string& m : take_sent(core.tx)) {
            const long i = call_index(m);
            if (peer::method(m) == "BYE" && i >= 0 && static_cast<unsigned>(i) < batch) {
                bye[i] = std::move(m);
                ++got;
            }
        }
        if (got != batch) return fail("BYE to the carrier", round, got);
        // E: 200 to the BYE from the carrier -> to the PBX.
        frames.clear();
        for (unsigned i = 0; i < batch; ++i)
            frames.push_back(frame_to(core.mac, kCarrierIp, kCoreOurIp, peer::response(bye[i], 200, "OK")));
        if (!enqueue_frames(fx.pools, core.rx, frames)) return fail("enqueue E", round, 0);
        run();
        got = 0;
        for (const std::string& m : take_sent(fx.tx[0]))
            if (peer::status(m) == 200 && peer::header(m, "CSeq").find("BYE") != std::string::npos) ++got;
        if (got != batch) return fail("200 to the BYE", round, got);
        drain_punts();
        // Every transaction of the round ends later (Timers I and K at T4 = 5 s; B, D, F, H, J
        // at 64*T1 = 32 s): the worker's clock jumps ahead and steps 1 ms at a time through
        // those two windows (a proxy advance() handles one millisecond of timers; a 40 s jump
        // in one poll would overflow its action list). Timed too: freeing a call's state is
        // part of its cost; the idle polls of the windows count against it.
        {
            const std::uint64_t round_t1 = rte_rdtsc() + offset;
            const std::uint64_t ms = hz / 1000;
            const double c0 = thread_cpu_seconds();
            for (const std::uint64_t d : {std::uint64_t{cfg.timers.t4_ms}, std::uint64_t{64} * cfg.timers.t1_ms}) {
                for (std::uint64_t t = round_t0 + d * ms - 10 * ms; t <= round_t1 + d * ms + 50 * ms; t += ms)
                    while (w.poll(t) != 0) {
                    }
            }
            w.flush();
            const double dt = thread_cpu_seconds() - c0;
            cpu += dt;
            phase_cpu[5] += dt;
            offset = round_t1 + 40 * hz - rte_rdtsc();
        }
        learn();
        take_sent(fx.tx[0]);
        take_sent(core.tx);
        drain_punts();
        for (std::string* v : {first.data(), r407.data(), fwd.data(), ok.data(), bye.data()})
            for (unsigned i = 0; i < batch; ++i) v[i].clear();
        total_cpu += cpu;
        calls += batch;
        messages += 9ull * batch;
        cps.push_back(batch / cpu);
    }
    const ProxyStats st = w.proxy().stats();
    // Nothing may have been lost on the way: every call above completed, and no action list,
    // mbuf pool or ring overflowed.
    for (const Counter c : {Counter::proxy_actions_overflow, Counter::proxy_send_no_mbuf,
                            Counter::call_event_ring_full, Counter::call_event_no_buffer}) {
        if (engine.sum(c) != 0) {
            std::fprintf(stderr, "calls: %s %llu\n", std::string(counter_name(c)).c_str(),
                         static_cast<unsigned long long>(engine.sum(c)));
            return false;
        }
    }

    // The ceiling: io-forward of the same number of packets (the authorized INVITEs, the largest
    // messages of the mix) on the same port and queue.
    std::vector<double> ceiling;
    double ceiling_cpu = 0;
    std::uint64_t ceiling_packets = 0;
    for (unsigned round = 0; round < rounds; ++round) {
        frames.clear();
        for (unsigned i = 0; i < batch; ++i) {
            const unsigned k = i % kCallTrunks;
            peer::InviteSpec s;
            s.call_id = "f" + std::to_string(i) + "@bench";
            s.pbx_ip = dotted(pbx_ip(k));
            s.body = peer::sdp(s.pbx_ip, "8 0 18 101");
            frames.push_back(frame_to(fx.mac, pbx_ip(k), kOurIp, peer::invite(s)));
        }
        if (!enqueue_frames(fx.pools, fx.rx, frames)) return false;
        rte_mbuf* pkts[32];
        const double c0 = thread_cpu_seconds();
        for (;;) {
            const std::uint16_t n = rte_eth_rx_burst(fx.port, 0, pkts, 32);
            if (n == 0) break;
            const std::uint16_t sent = rte_eth_tx_burst(fx.port, 0, pkts, n);
            if (sent < n) rte_pktmbuf_free_bulk(pkts + sent, n - sent);
        }
        const double c1 = thread_cpu_seconds();
        drain_tx(fx);
        ceiling_cpu += c1 - c0;
        ceiling_packets += batch;
        ceiling.push_back(batch / (c1 - c0) / 1e6);
    }
    const double dhz = static_cast<double>(hz);
    std::printf("{\"scenario\":\"calls\",\"workers\":1,\"calls\":%llu,\"messages\":%llu,\"rounds\":%u,\"batch\":%u,"
                "\"mpps_per_worker\":%.3f,\"calls_per_second\":%.0f,\"calls_per_second_min\":%.0f,"
                "\"calls_per_second_max\":%.0f,\"cycles_per_packet\":%.0f,\"cycles_per_call\":%.0f,"
                "\"ceiling_mpps\":%.3f,\"ceiling_cycles_per_packet\":%.1f,\"trunks\":%u,"
                "\"proxy_memory_bytes\":%zu,\"dialogs_left\":%u,\"transactions_left\":%u,\"tsc_mhz\":%.0f,"
                "\"cycles_per_call_by_phase\":{\"invite_407\":%.0f,\"ack_invite_digest\":%.0f,"
                "\"trying_ringing_ok\":%.0f,\"ack_bye\":%.0f,\"bye_ok\":%.0f,\"expiry\":%.0f}}\n",
                static_cast<unsigned long long>(calls), static_cast<unsigned long long>(messages), rounds, batch,
                static_cast<double>(messages) / total_cpu / 1e6, median(cps),
                *std::min_element(cps.begin(), cps.end()), *std::max_element(cps.begin(), cps.end()),
                total_cpu * dhz / static_cast<double>(messages), total_cpu * dhz / static_cast<double>(calls),
                median(ceiling), ceiling_cpu * dhz / static_cast<double>(ceiling_packets), kCallTrunks,
                st.memory_bytes, st.dialogs, st.transactions, dhz / 1e6,
                phase_cpu[0] * dhz / calls, phase_cpu[1] * dhz / calls, phase_cpu[2] * dhz / calls,
                phase_cpu[3] * dhz / calls, phase_cpu[4] * dhz / calls, phase_cpu[5] * dhz / calls);
    std::fflush(stdout);
    return true;
}

/// The memory a proxy sized for 1,000,000 concurrent dialogs holds: its preallocated tables
/// (ProxyStats::memory_bytes) and the resident-set growth of building it and touching it all.
void dialogs_memory(std::uint32_t dialogs) {
    const long before = rss_kib();
    ProxyConfig pc;
    pc.interfaces = {ProxyInterface{Side::access, kOurIp, 5060, 1500}, ProxyInterface{Side::core, kCoreOurIp, 5060, 1500}};
    pc.max_dialogs = dialogs;
    pc.max_transactions = 16384;  // the default: transactions live seconds, dialogs hours
    auto proxy = std::make_unique<Proxy>(pc);
    const long after = rss_kib();
    ProxyConfig none = pc;
    none.max_dialogs = 1;
    const std::size_t base = Proxy(none).stats().memory_bytes;  // everything but the dialogs
    std::printf("{\"scenario\":\"dialogs_memory\",\"max_dialogs\":%u,\"max_transactions\":%u,"
                "\"memory_bytes\":%zu,\"dialog_tables_bytes\":%zu,\"bytes_per_dialog\":%.0f,"
                "\"rss_growth_bytes\":%ld}\n",
                dialogs, pc.max_transactions, proxy->stats().memory_bytes, proxy->stats().memory_bytes - base,
                static_cast<double>(proxy->stats().memory_bytes - base) / dialogs, (after - before) * 1024);
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
            std::fprintf(stderr, "usage: %s [--rounds N] [--batch N] [--scenario options|options_handoff|options_sip_only|calls|dialogs_memory] [-- EAL args]\n", argv[0]);
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
    // Ring messages: the calls scenario's events (3 per call) wait on the punt ring for a phase.
    if (!create_pools(spec, 4095, "_bench", 0, fx.pools, err)) {
        std::fprintf(stderr, "%s\n", err.c_str());
        return 1;
    }
    // Room for the calls scenario's largest phase (three messages per call).
    const unsigned ring_size = rte_align32pow2(4 * batch + 1);
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
    // calls: the full call mix through the proxy core, on an access and a core port.
    if (only.empty() || only == "calls") {
        CallsPort core;
        core.rx = rte_ring_create("bench_core_rx", ring_size, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
        core.tx = rte_ring_create("bench_core_tx", ring_size * 2, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
        const int cpid = create_ring_port("bench_core", &core.rx, 1, &core.tx, 1, err);
        InterfaceSpec cifs;
        cifs.name = "core";
        cifs.role = PortRole::core;
        cifs.device = "bench_core";
        cifs.address = {kCoreOurIp, 24};
        PortInfo cinfo;
        if (cpid < 0 || !core.rx || !core.tx ||
            !configure_port(static_cast<std::uint16_t>(cpid), cifs, 1, fx.pools.mbufs, cinfo, err)) {
            std::fprintf(stderr, "core ring port: %s\n", err.c_str());
            return 1;
        }
        core.port = static_cast<std::uint16_t>(cpid);
        std::memcpy(core.mac.addr_bytes, cinfo.mac, 6);
        ok &= run_calls(fx, core, std::max(1u, rounds / 10), std::min(batch, 1024u));
    }
    // dialogs_memory: a proxy sized for 1,000,000 concurrent dialogs.
    if (only.empty() || only == "dialogs_memory") dialogs_memory(1000000);
    return ok ? 0 : 1;
}
