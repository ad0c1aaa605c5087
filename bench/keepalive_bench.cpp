// Keepalive cost on the control-plane core: whole intervals of OPTIONS to N registered contacts
// (build the request, schedule, expire or match the response, run the state machine), and the
// memory it keeps per contact. The control plane shares its core with the registrar, so what
// matters is the share of one core keepalive takes: probes per second of CPU time against the
// rate it must sustain (contacts / keepalive_interval).
//
//   ninja -C build-q2 bench/palisade-bench-keepalive && ./build-q2/bench/palisade-bench-keepalive
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <memory>
#include <string>
#include <vector>

#include "controlplane/keepalive/keepalive.hpp"

namespace {

using namespace palisade;

constexpr std::uint32_t kAccessIp = 0x0a000001;

dp::ConfigSpec config() {
    dp::ConfigSpec c;
    dp::InterfaceSpec a;
    a.role = dp::PortRole::access;
    a.address = {kAccessIp, 24};
    dp::InterfaceSpec k;
    k.role = dp::PortRole::core;
    k.address = {0x0a010001, 24};
    c.interfaces = {a, k};
    c.sip.keepalive_interval_s = 30;
    c.sip.keepalive_timeout_ms = 2000;
    return c;
}

struct World {
    std::unique_ptr<dp::LocationTable> location;
    dp::PeerHealthTable peers;
    std::unique_ptr<cp::FailoverTable> failover;
    std::unique_ptr<cp::Keepalive> ka;
    std::size_t heap_bytes = 0;  // keepalive's own heap growth for the contacts

    explicit World(std::uint32_t contacts) {
        dp::LocationLimits l;
        l.accounts = contacts;  // 2 contacts per account: 2x headroom
        l.sources = contacts * 4;
        l.trunks = contacts;
        location = std::make_unique<dp::LocationTable>(l);
        failover = std::make_unique<cp::FailoverTable>(*location);
        failover->set_log([](std::string_view) {});
        ka = std::make_unique<cp::Keepalive>(*location, peers, failover.get(), 42);
        ka->set_log([](std::string_view) {});
        ka->configure(config());
        cp::KeepaliveSettings s = ka->settings();
        s.max_sends_per_tick = 1u << 20;
        s.max_timeouts_per_tick = 1u << 20;
        ka->set_settings(s);
        std::vector<dp::LocationTable::ContactInput> in(2);
        std::size_t keepalive_bytes = 0;
        for (std::uint32_t a = 0; a < contacts / 2; ++a) {
            const std::string user = "pbx-" + std::to_string(a);
            const std::string uri0 = "sip:" + std::to_string(100 + a) + "@192.168.1.10:5060";
            const std::string uri1 = "sip:" + std::to_string(100 + a) + "@192.168.1.11:5060";
            for (int k = 0; k < 2; ++k) {
                in[k].uri = k == 0 ? uri0 : uri1;
                in[k].ip = 0xc6120000u + a;  // 198.18.0.0/15
                in[k].port = static_cast<std::uint16_t>(5060 + k);
                in[k].contact_id = a * 2 + k + 1;
                in[k].expires_at_s = 1'800'000'000;
            }
            location->set_contacts(user, a % (contacts / 2), dp::LocationRole::primary, in);
            const std::size_t before = mallinfo2().uordblks;
            ka->set_account_contacts(user, a % (contacts / 2), dp::LocationRole::primary, in);
            keepalive_bytes += mallinfo2().uordblks - before;
        }
        heap_bytes = keepalive_bytes;
    }
};

// A 200 to a probe: its Via (with our branch) copied, as any UAS does (RFC 3261 §8.2.6.2).
std::string answer_to(std::string_view probe) {
    const std::size_t v = probe.find("\r\nVia: ");
    const std::size_t e = probe.find("\r\n", v + 2);
    std::string r = "SIP/2.0 200 OK";
    r.append(probe.substr(v, e - v));
    r += "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    return r;
}

// One whole keepalive interval per iteration, in 10 ms ticks; every probe answered.
void BM_IntervalAnswered(benchmark::State& state) {
    const auto contacts = static_cast<std::uint32_t>(state.range(0));
    World w(contacts);
    struct Pending {
        std::string text;
        std::uint32_t ip;
    };
    std::vector<Pending> out;
    cp::SendFn send = [&](const cp::Datagram& d) {
        out.push_back({answer_to(d.text), d.ip});
        return true;
    };
    std::uint64_t now = 1;
    std::uint64_t matched = 0;
    auto step = [&] {
        w.ka->tick(now, send);
        for (const Pending& p : out)
            matched += w.ka->on_response(p.text, p.ip, 5060, now) == cp::ResponseMatch::matched;
        out.clear();
    };
    step();
    for (auto _ : state) {
        for (int i = 0; i < 3000; ++i) {
            now += 10;
            step();
        }
    }
    if (matched != w.ka->counters().sent || w.ka->counters().timeouts != 0)
        state.SkipWithError("a probe was not matched");
    state.counters["probes_per_s"] =
        benchmark::Counter(static_cast<double>(w.ka->counters().sent), benchmark::Counter::kIsRate);
    state.counters["needed_per_s"] = static_cast<double>(contacts) / 30.0;
    state.counters["heap_B_per_contact"] = static_cast<double>(w.heap_bytes) / contacts;
}
BENCHMARK(BM_IntervalAnswered)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2);

// The same with nobody answering: every probe times out, every contact goes down once.
void BM_IntervalUnanswered(benchmark::State& state) {
    const auto contacts = static_cast<std::uint32_t>(state.range(0));
    World w(contacts);
    cp::SendFn send = [](const cp::Datagram&) { return true; };
    std::uint64_t now = 1;
    w.ka->tick(now, send);
    for (auto _ : state) {
        for (int step = 0; step < 3000; ++step) {
            now += 10;
            w.ka->tick(now, send);
        }
    }
    state.counters["probes_per_s"] =
        benchmark::Counter(static_cast<double>(w.ka->counters().sent), benchmark::Counter::kIsRate);
    state.counters["went_down"] = static_cast<double>(w.ka->counters().went_down);
}
BENCHMARK(BM_IntervalUnanswered)->Arg(100'000)->Unit(benchmark::kMillisecond)->Iterations(4);

}  // namespace

BENCHMARK_MAIN();
