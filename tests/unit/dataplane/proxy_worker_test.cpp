// The proxy core inside the real worker loop (issue 6 point 6): EAL (--no-huge --no-pci
// --in-memory), an Engine of two workers with an access and a core port made with
// rte_eth_from_rings, a policy snapshot built from a ConfigSpec with trunks. Each test plays the
// PBX and the carrier: it writes Ethernet frames into a port's rx rings, polls the workers from
// this thread (deterministic handoffs) and reads what Palisade put on the wire from the tx rings,
// and the call events from the punt rings.
#include <gtest/gtest.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include <cstring>
#include <string>
#include <vector>

#include "dataplane/contract/call_events.hpp"
#include "dataplane/contract/clock.hpp"
#include "dataplane/contract/limits.hpp"
#include "dataplane/contract/location.hpp"
#include "dataplane/contract/policy_snapshot.hpp"
#include "dataplane/eal.hpp"
#include "dataplane/policy/snapshot.hpp"
#include "dataplane/port.hpp"
#include "dataplane/sip/transaction.hpp"
#include "dataplane/worker.hpp"
#include "parsers/sip/digest.hpp"
#include "parsers/sip/nonce.hpp"
#include "tests/unit/dataplane/sip_peer.hpp"

namespace palisade::dp {
namespace {

constexpr std::uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d) {
    return (a << 24) | (b << 16) | (c << 8) | d;
}

constexpr unsigned kWorkers = 2;
constexpr std::size_t kAccess = 0, kCore = 1;  // interface indices
constexpr std::uint32_t kAccessIp = ip4(10, 0, 0, 1);
constexpr std::uint32_t kCoreIp = ip4(192, 0, 2, 1);
constexpr std::uint32_t kCarrierIp = ip4(192, 0, 2, 10);   // the core peer
constexpr std::uint32_t kStrangerCoreIp = ip4(192, 0, 2, 99);
// One PBX per trunk, each trunk allowing its own /32.
constexpr std::uint32_t kAcmeIp = ip4(10, 0, 0, 2);
constexpr std::uint32_t kHourlyIp = ip4(10, 0, 0, 3);
constexpr std::uint32_t kRateIp = ip4(10, 0, 0, 4);
constexpr std::uint32_t kConcIp = ip4(10, 0, 0, 5);
const rte_ether_addr kPeerMac = {{0x02, 0, 0, 0, 0, 0x09}};
const char* const kRealm = "palisade";

std::string dotted(std::uint32_t ip) {
    return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
           std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
}

std::string password_of(const std::string& user) { return "pw-" + user; }

AccountSpec account(const std::string& user) {
    AccountSpec a;
    a.username = user;
    char ha1[64];
    const std::size_t n = sip::compute_ha1(sip::HashAlgorithm::md5, user, kRealm, password_of(user), ha1, sizeof ha1);
    a.ha1_md5.assign(ha1, n);
    a.algorithms = {DigestAlgorithm::md5};  // what the test PBX (and many real ones) speak
    return a;
}

TrunkSpec trunk(const std::string& id, std::uint32_t src, const std::string& did_prefix) {
    TrunkSpec t;
    t.id = id;
    t.primary = account(id + "-1");
    t.secondary = account(id + "-2");
    t.subnets.push_back({src, 32});
    t.dids.push_back({did_prefix + "00", did_prefix + "99"});
    t.caller_ids.ranges.push_back({did_prefix + "00", did_prefix + "99"});
    t.policy = "eu";
    // Generous by default: only the limit a test is about is tight.
    t.limits.max_concurrent = 50;
    t.limits.attempts_per_second = 1000;
    t.limits.calls_per_hour = 100000;
    t.limits.calls_per_day = 100000;
    t.limits.calls_per_week = 100000;
    return t;
}

ConfigSpec make_spec() {
    ConfigSpec spec;
    spec.sip.realm = kRealm;
    spec.sip.nonce_secret = "proxy-worker-test-secret";
    CorePeerSpec carrier;
    carrier.name = "carrier";
    carrier.address = kCarrierIp;
    spec.core_peers.push_back(carrier);
    DestPolicySpec eu;
    eu.name = "eu";
    eu.rules.push_back({RuleKind::prefix, RuleAction::deny, "+3190"});  // premium rate
    eu.rules.push_back({RuleKind::prefix, RuleAction::allow, "+31"});
    eu.default_action = RuleAction::deny;
    spec.policies.push_back(eu);
    spec.trunks.push_back(trunk("acme", kAcmeIp, "+312012345"));
    TrunkSpec hourly = trunk("hourly", kHourlyIp, "+313012345");
    hourly.limits.calls_per_hour = 1;
    spec.trunks.push_back(hourly);
    TrunkSpec rate = trunk("rate", kRateIp, "+314012345");
    rate.limits.attempts_per_second = 1;
    spec.trunks.push_back(rate);
    TrunkSpec conc = trunk("conc", kConcIp, "+315012345");
    conc.limits.max_concurrent = 1;
    spec.trunks.push_back(conc);
    return spec;
}

/// What came out of a tx ring.
struct Sent {
    std::uint32_t src_ip, dst_ip;
    std::uint16_t src_port, dst_port;
    std::string payload;
};

Engine* g_engine = nullptr;

/// Every non-zero counter (failure messages).
std::string counters_text() {
    std::string s;
    for (std::size_t i = 0; g_engine != nullptr && i < kCounterCount; ++i) {
        const std::uint64_t v = g_engine->sum(static_cast<Counter>(i));
        if (v != 0) s += "  " + std::string(counter_name(static_cast<Counter>(i))) + " " + std::to_string(v) + "\n";
    }
    return s;
}

/// What one exchange put on the wire, per side.
struct Wire {
    std::vector<Sent> access, core;
    /// The only message sent on `side` (fails the test when there is not exactly one).
    const Sent& only(std::size_t side) const {
        const std::vector<Sent>& v = side == kAccess ? access : core;
        EXPECT_EQ(v.size(), 1u) << dump();
        static const Sent none{};
        return v.empty() ? none : v.front();
    }
    /// The only final response sent on `side` (100 Trying may precede it: RFC 3261 §17.2.1).
    const Sent& final_on(std::size_t side) const {
        const std::vector<Sent>& v = side == kAccess ? access : core;
        const Sent* found = nullptr;
        int finals = 0;
        for (const Sent& m : v) {
            const int code = peer::status(m.payload);
            if (code == 100) continue;
            ++finals;
            found = &m;
        }
        EXPECT_EQ(finals, 1) << dump();
        static const Sent none{};
        return found != nullptr ? *found : none;
    }
    std::string dump() const {
        std::string s;
        for (const Sent& m : access) s += "--- access -> " + dotted(m.dst_ip) + "\n" + m.payload;
        for (const Sent& m : core) s += "--- core -> " + dotted(m.dst_ip) + "\n" + m.payload;
        return s + "--- counters\n" + counters_text();
    }
};

class ProxyWorkerTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        std::string err;
        EalSpec eal;
        eal.lcores = "0";
        eal.args = {"--no-huge", "--no-pci", "--in-memory", "-m", "512", "--log-level", "*:error"};
        eal.mbuf_count = 4095;
        ASSERT_TRUE(eal_init(build_eal_args("proxy_worker_test", eal, {}, false), err)) << err;
        ASSERT_TRUE(create_pools(eal, 511, "_pw", 0, pools_, err)) << err;
        const char* names[2] = {"pw_access", "pw_core"};
        const std::uint32_t addrs[2] = {kAccessIp, kCoreIp};
        EngineConfig cfg;
        for (std::size_t p = 0; p < 2; ++p) {
            for (unsigned q = 0; q < kWorkers; ++q) {
                const std::string suffix = std::to_string(p) + "_" + std::to_string(q);
                rx_[p][q] = rte_ring_create(("pw_rx" + suffix).c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
                tx_[p][q] = rte_ring_create(("pw_tx" + suffix).c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
                ASSERT_NE(rx_[p][q], nullptr);
                ASSERT_NE(tx_[p][q], nullptr);
            }
            const int pid = create_ring_port(names[p], rx_[p], kWorkers, tx_[p], kWorkers, err);
            ASSERT_GE(pid, 0) << err;
            port_id_[p] = static_cast<std::uint16_t>(pid);
            InterfaceSpec ifs;
            ifs.name = p == kAccess ? "access" : "core";
            ifs.role = p == kAccess ? PortRole::access : PortRole::core;
            ifs.device = names[p];
            ifs.address = {addrs[p], 24};
            ifs.sip_port = 5060;
            PortInfo info;
            ASSERT_TRUE(configure_port(port_id_[p], ifs, kWorkers, pools_.mbufs, info, err)) << err;
            std::memcpy(mac_[p].addr_bytes, info.mac, 6);
            cfg.ports.push_back({port_id_[p], ifs, mac_[p]});
        }
        spec_ = new ConfigSpec(make_spec());
        limits_ = new LimitsTable(64);
        policy_ = new PolicySlot(kWorkers);
        SnapshotBuild b = build_policy_snapshot(*spec_, *limits_);
        ASSERT_TRUE(b.snapshot) << b.error;
        policy_->publish(std::move(b.snapshot));  // no reader registered yet: no wait
        LocationLimits ll;
        ll.accounts = 64;
        ll.sources = 64;
        ll.blocked = 64;
        ll.trunks = 64;
        ll.max_readers = kWorkers;
        location_ = new LocationTable(ll);
        nonce_counts_ = new sip::NonceCountTable(1u << 12);
        clock_ = new ManualClock(instant_from_seconds(1'800'000'000));

        cfg.workers = kWorkers;
        cfg.pools = pools_;
        cfg.ring_size = 256;
        cfg.timers_per_worker = 1024;
        cfg.tag = "_pw";
        cfg.tag_salt = 42;
        cfg.policy = policy_;
        cfg.location = location_;
        cfg.limits = limits_;
        cfg.nonce_counts = nonce_counts_;
        cfg.clock = clock_;
        cfg.timers = timers_from(spec_->sip);
        cfg.max_transactions = 1024;
        cfg.max_dialogs = 1024;
        engine_ = new Engine;
        ASSERT_TRUE(engine_->init(cfg, err)) << err;
        g_engine = engine_;
        const std::uint64_t now = rte_rdtsc();
        for (unsigned w = 0; w < kWorkers; ++w) {
            for (std::uint32_t ip : {kAcmeIp, kHourlyIp, kRateIp, kConcIp})
                engine_->worker(w).l3(kAccess).arp().learn(ip, kPeerMac, now, true);
            engine_->worker(w).l3(kCore).arp().learn(kCarrierIp, kPeerMac, now, true);
            engine_->worker(w).l3(kCore).arp().learn(kStrangerCoreIp, kPeerMac, now, true);
        }
    }

    void SetUp() override {
        ASSERT_NE(engine_, nullptr);
        drain();
    }

    /// The ManualClock moves one second per test, so that per-second windows start afresh.
    void TearDown() override { clock_->advance_seconds(1); }

    static rte_mbuf* frame(std::size_t side, std::uint32_t src_ip, std::uint16_t src_port,
                           std::string_view payload) {
        rte_mbuf* m = rte_pktmbuf_alloc(pools_.mbufs);
        EXPECT_NE(m, nullptr);
        const std::size_t len = sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr) +
                                payload.size();
        char* p = rte_pktmbuf_append(m, static_cast<std::uint16_t>(len));
        EXPECT_NE(p, nullptr) << "frame of " << len << " bytes does not fit one mbuf";
        auto* eth = reinterpret_cast<rte_ether_hdr*>(p);
        eth->dst_addr = mac_[side];
        eth->src_addr = kPeerMac;
        eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
        auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
        std::memset(ip, 0, sizeof *ip);
        ip->version_ihl = RTE_IPV4_VHL_DEF;
        ip->total_length = rte_cpu_to_be_16(static_cast<std::uint16_t>(len - sizeof(rte_ether_hdr)));
        ip->time_to_live = 64;
        ip->next_proto_id = IPPROTO_UDP;
        ip->src_addr = rte_cpu_to_be_32(src_ip);
        ip->dst_addr = rte_cpu_to_be_32(side == kAccess ? kAccessIp : kCoreIp);
        ip->hdr_checksum = rte_ipv4_cksum(ip);
        auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
        udp->src_port = rte_cpu_to_be_16(src_port);
        udp->dst_port = rte_cpu_to_be_16(5060);
        udp->dgram_len = rte_cpu_to_be_16(static_cast<std::uint16_t>(sizeof(rte_udp_hdr) + payload.size()));
        udp->dgram_cksum = 0;
        std::memcpy(udp + 1, payload.data(), payload.size());
        udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
        return m;
    }

    /// Polls every worker a few rounds: a handoff needs the owner's next poll, tx drains when a
    /// poll finds nothing. Each round is 1 ms of TSC later (the proxy's clock).
    static void pump(int rounds = 4) {
        for (int r = 0; r < rounds; ++r) {
            now_tsc_ += rte_get_tsc_hz() / 1000;
            for (unsigned w = 0; w < kWorkers; ++w) engine_->worker(w).poll(now_tsc_);
        }
    }

    static std::vector<Sent> sent(std::size_t side) {
        std::vector<Sent> out;
        for (unsigned q = 0; q < kWorkers; ++q) {
            void* obj = nullptr;
            while (rte_ring_dequeue(tx_[side][q], &obj) == 0) {
                auto* m = static_cast<rte_mbuf*>(obj);
                std::string bytes(rte_pktmbuf_pkt_len(m), '\0');
                // rte_pktmbuf_read copies only a chain; contiguous data is returned in place.
                const void* at = rte_pktmbuf_read(m, 0, static_cast<std::uint32_t>(bytes.size()), bytes.data());
                if (at != nullptr && at != bytes.data()) std::memcpy(bytes.data(), at, bytes.size());
                const auto* eth = reinterpret_cast<const rte_ether_hdr*>(bytes.data());
                if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
                    const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(eth + 1);
                    const auto* udp = reinterpret_cast<const rte_udp_hdr*>(ip + 1);
                    Sent s;
                    s.src_ip = rte_be_to_cpu_32(ip->src_addr);
                    s.dst_ip = rte_be_to_cpu_32(ip->dst_addr);
                    s.src_port = rte_be_to_cpu_16(udp->src_port);
                    s.dst_port = rte_be_to_cpu_16(udp->dst_port);
                    s.payload.assign(reinterpret_cast<const char*>(udp + 1),
                                     rte_be_to_cpu_16(udp->dgram_len) - sizeof(rte_udp_hdr));
                    out.push_back(s);
                }
                rte_pktmbuf_free(m);
            }
        }
        return out;
    }

    /// Sends `payload` from src_ip:src_port to Palisade on `side`, runs the workers, returns
    /// what they sent.
    static Wire send(std::size_t side, std::uint32_t src_ip, std::string_view payload,
                     std::uint16_t src_port = 5060) {
        EXPECT_EQ(rte_ring_enqueue(rx_[side][0], frame(side, src_ip, src_port, payload)), 0);
        pump();
        Wire w;
        w.access = sent(kAccess);
        w.core = sent(kCore);
        return w;
    }

    /// Every call event the workers queued since the last call.
    static std::vector<CallEvent> events() {
        std::vector<CallEvent> out;
        for (unsigned w = 0; w < kWorkers; ++w) {
            void* obj = nullptr;
            while (rte_ring_dequeue(engine_->punt_ring(w), &obj) == 0) {
                auto* m = static_cast<RingMessage*>(obj);
                CallEvent ev;
                if (is_call_event(m->kind)) {
                    EXPECT_TRUE(decode_call_event(*m, ev));
                    out.push_back(ev);
                }
                rte_mempool_put(pools_.messages, m);
            }
        }
        return out;
    }

    static void drain() {
        pump(2);
        sent(kAccess);
        sent(kCore);
        events();
    }

    static std::uint64_t count(Counter c) { return engine_->sum(c); }

    /// A PBX's INVITE through the digest: INVITE -> 407 -> ACK -> INVITE with the answer.
    /// Returns what the second INVITE caused; `inv` becomes the INVITE sent with credentials.
    static Wire authorized(peer::InviteSpec& s, const std::string& user, std::uint32_t src,
                           const std::string& password = {}) {
        const std::string first = peer::invite(s);
        const Wire w = send(kAccess, src, first);
        const Sent& r = w.final_on(kAccess);
        EXPECT_EQ(peer::status(r.payload), 407) << w.dump();
        EXPECT_TRUE(w.core.empty());
        const Wire ack = send(kAccess, src, peer::ack_for_failure(first, r.payload));
        EXPECT_TRUE(ack.access.empty() && ack.core.empty()) << ack.dump();  // absorbed
        s.cseq += 1;
        s.branch += "-auth";
        const std::string uri = "sip:" + s.to_user + "@" + s.palisade_ip;
        s.extra += peer::proxy_authorization(r.payload, user, password.empty() ? password_of(user) : password,
                                             "INVITE", uri);
        return send(kAccess, src, peer::invite(s));
    }

    /// The reason of the one `refused` event queued since the last events() call.
    static CallRefuseReason refused_reason() {
        const std::vector<CallEvent> ev = events();
        for (const CallEvent& e : ev)
            if (e.type == CallEventType::refused) return static_cast<CallRefuseReason>(e.reason);
        ADD_FAILURE() << "no refused event among " << ev.size();
        return CallRefuseReason::admitted;
    }

    /// The final response the PBX got for an authorized INVITE (100 Trying skipped).
    static int final_code(const Wire& w) {
        for (const Sent& m : w.access)
            if (peer::status(m.payload) >= 200) return peer::status(m.payload);
        return 0;
    }

    static peer::InviteSpec acme_call(const std::string& call_id) {
        peer::InviteSpec s;
        s.call_id = call_id;
        s.from_user = "+31201234567";
        s.to_user = "+31612345678";
        s.pbx_ip = dotted(kAcmeIp);
        s.branch = "z9hG4bK-" + call_id;
        s.pai = s.from_user;  // the caller ID the checks read (RFC 3325)
        s.body = peer::sdp(dotted(kAcmeIp));
        return s;
    }

    static inline Pools pools_{};
    static inline rte_ring* rx_[2][kWorkers]{};
    static inline rte_ring* tx_[2][kWorkers]{};
    static inline std::uint16_t port_id_[2]{};
    static inline rte_ether_addr mac_[2]{};
    static inline Engine* engine_ = nullptr;
    static inline ConfigSpec* spec_ = nullptr;
    static inline LimitsTable* limits_ = nullptr;
    static inline PolicySlot* policy_ = nullptr;
    static inline LocationTable* location_ = nullptr;
    static inline sip::NonceCountTable* nonce_counts_ = nullptr;
    static inline ManualClock* clock_ = nullptr;
    static inline std::uint64_t now_tsc_ = 0;
};

// --- refusals, each with its code on the wire ---------------------------------------------------

TEST_F(ProxyWorkerTest, InviteWithoutCredentialsIsChallenged407) {
    const peer::InviteSpec s = acme_call("c407");
    const Wire w = send(kAccess, kAcmeIp, peer::invite(s));
    const Sent& r = w.final_on(kAccess);
    EXPECT_EQ(peer::status(r.payload), 407) << r.payload;
    EXPECT_EQ(r.dst_ip, kAcmeIp);
    EXPECT_EQ(r.src_ip, kAccessIp);
    const std::vector<std::string> ch = peer::headers(r.payload, "Proxy-Authenticate");
    ASSERT_EQ(ch.size(), 1u) << r.payload;  // MD5 only: the account allows nothing else
    EXPECT_NE(ch[0].find("realm=\"palisade\""), std::string::npos) << ch[0];
    EXPECT_NE(ch[0].find("nonce=\""), std::string::npos) << ch[0];
    EXPECT_TRUE(w.core.empty());
    EXPECT_TRUE(events().empty());  // a challenge is not a refusal
}

TEST_F(ProxyWorkerTest, AccountFromAnotherTrunksSubnetGets403) {
    // acme's credentials from the hourly trunk's PBX: a known source, the wrong subnet.
    peer::InviteSpec s = acme_call("c403subnet");
    s.pbx_ip = dotted(kHourlyIp);
    const Wire w = authorized(s, "acme-1", kHourlyIp);
    EXPECT_EQ(final_code(w), 403) << w.dump();
    EXPECT_TRUE(w.core.empty());
    const std::vector<CallEvent> ev = events();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].type, CallEventType::refused);
    EXPECT_EQ(ev[0].code, 403);
    EXPECT_EQ(static_cast<CallRefuseReason>(ev[0].reason), CallRefuseReason::source_not_allowed);
}

TEST_F(ProxyWorkerTest, CallerIdNotOfTheTrunkGets403) {
    peer::InviteSpec s = acme_call("c403cid");
    s.pai = "+31999999999";
    const Wire w = authorized(s, "acme-1", kAcmeIp);
    EXPECT_EQ(final_code(w), 403) << w.dump();
    EXPECT_TRUE(w.core.empty());
    EXPECT_EQ(refused_reason(), CallRefuseReason::caller_id_not_allowed);
}

TEST_F(ProxyWorkerTest, DestinationDeniedByThePolicyGets403) {
    peer::InviteSpec s = acme_call("c403dest");
    s.to_user = "+31900123456";
    const Wire w = authorized(s, "acme-1", kAcmeIp);
    EXPECT_EQ(final_code(w), 403) << w.dump();
    EXPECT_TRUE(w.core.empty());
    EXPECT_EQ(refused_reason(), CallRefuseReason::destination_denied);
}

TEST_F(ProxyWorkerTest, NotE164RequestUriGets484) {
    peer::InviteSpec s = acme_call("c484");
    s.to_user = "0612345678";
    const Wire w = authorized(s, "acme-1", kAcmeIp);
    EXPECT_EQ(final_code(w), 484) << w.dump();
    EXPECT_TRUE(w.core.empty());
    EXPECT_EQ(refused_reason(), CallRefuseReason::ruri_not_e164);
}

TEST_F(ProxyWorkerTest, SecondCallInTheHourGets403) {
    peer::InviteSpec first = acme_call("c-hour-1");
    first.pbx_ip = dotted(kHourlyIp);
    first.from_user = first.pai = "+31301234567";
    const Wire w1 = authorized(first, "hourly-1", kHourlyIp);
    ASSERT_EQ(w1.core.size(), 1u) << w1.dump();  // admitted: forwarded to the carrier
    peer::InviteSpec second = first;
    second.call_id = "c-hour-2";
    second.branch = "z9hG4bK-c-hour-2";
    second.cseq = 1;
    second.extra.clear();
    events();
    const Wire w2 = authorized(second, "hourly-1", kHourlyIp);
    EXPECT_EQ(final_code(w2), 403) << w2.dump();
    EXPECT_TRUE(w2.core.empty());
    EXPECT_EQ(refused_reason(), CallRefuseReason::hour_limit);
    // The first call gets its final answer from the carrier, so that nothing stays pending.
    const Wire r = send(kCore, kCarrierIp, peer::response(w1.core[0].payload, 486, "Busy Here", "cx1"));
    EXPECT_EQ(final_code(r), 486) << r.dump();
}

TEST_F(ProxyWorkerTest, SecondAttemptInTheSameSecondGets503WithRetryAfter) {
    peer::InviteSpec first = acme_call("c-rate-1");
    first.pbx_ip = dotted(kRateIp);
    first.from_user = first.pai = "+31401234567";
    const Wire w1 = authorized(first, "rate-1", kRateIp);
    ASSERT_EQ(w1.core.size(), 1u) << w1.dump();
    peer::InviteSpec second = first;
    second.call_id = "c-rate-2";
    second.branch = "z9hG4bK-c-rate-2";
    second.cseq = 1;
    second.extra.clear();
    events();
    const Wire w2 = authorized(second, "rate-1", kRateIp);
    EXPECT_EQ(final_code(w2), 503) << w2.dump();
    EXPECT_EQ(refused_reason(), CallRefuseReason::rate_limited);
    for (const Sent& m : w2.access) {
        if (peer::status(m.payload) == 503) {
            EXPECT_FALSE(peer::header(m.payload, "Retry-After").empty());
        }
    }
    EXPECT_TRUE(w2.core.empty());
    send(kCore, kCarrierIp, peer::response(w1.core[0].payload, 486, "Busy Here", "cx2"));
}

TEST_F(ProxyWorkerTest, CallBeyondTheConcurrentLimitGets503) {
    peer::InviteSpec first = acme_call("c-conc-1");
    first.pbx_ip = dotted(kConcIp);
    first.from_user = first.pai = "+31501234567";
    const Wire w1 = authorized(first, "conc-1", kConcIp);
    ASSERT_EQ(w1.core.size(), 1u) << w1.dump();
    peer::InviteSpec second = first;
    second.call_id = "c-conc-2";
    second.branch = "z9hG4bK-c-conc-2";
    second.cseq = 1;
    second.extra.clear();
    events();
    const Wire w2 = authorized(second, "conc-1", kConcIp);
    EXPECT_EQ(final_code(w2), 503) << w2.dump();
    EXPECT_EQ(refused_reason(), CallRefuseReason::concurrency_limit);
    EXPECT_TRUE(w2.core.empty());
    // Once the first call failed, its slot is free again: a third call goes through.
    send(kCore, kCarrierIp, peer::response(w1.core[0].payload, 486, "Busy Here", "cx3"));
    peer::InviteSpec third = second;
    third.call_id = "c-conc-3";
    third.branch = "z9hG4bK-c-conc-3";
    third.cseq = 1;
    third.extra.clear();
    const Wire w3 = authorized(third, "conc-1", kConcIp);
    ASSERT_EQ(w3.core.size(), 1u) << w3.dump();
    send(kCore, kCarrierIp, peer::response(w3.core[0].payload, 486, "Busy Here", "cx4"));
}

TEST_F(ProxyWorkerTest, OfferWithoutPcmaOrPcmuGets488) {
    peer::InviteSpec s = acme_call("c488");
    s.body = peer::sdp(dotted(kAcmeIp), "18");  // G.729 only
    const Wire w = authorized(s, "acme-1", kAcmeIp);
    EXPECT_EQ(final_code(w), 488) << w.dump();
    EXPECT_TRUE(w.core.empty());
}

TEST_F(ProxyWorkerTest, Require100relGets420WithUnsupported) {
    peer::InviteSpec s = acme_call("c420");
    s.extra = "Require: 100rel\r\n";
    const Wire w = authorized(s, "acme-1", kAcmeIp);
    EXPECT_EQ(final_code(w), 420) << w.dump();
    for (const Sent& m : w.access) {
        if (peer::status(m.payload) == 420) {
            EXPECT_EQ(peer::header(m.payload, "Unsupported"), "100rel");
        }
    }
    EXPECT_TRUE(w.core.empty());
}

TEST_F(ProxyWorkerTest, OutOfDialogMethodGets405WithAllow) {
    std::string sub = peer::invite(acme_call("c405"));
    sub.replace(0, 6, "SUBSCRIBE");
    sub.replace(sub.find("CSeq: 1 INVITE"), 14, "CSeq: 1 SUBSCRIBE");
    const Wire w = send(kAccess, kAcmeIp, sub);
    const Sent& r = w.only(kAccess);
    EXPECT_EQ(peer::status(r.payload), 405) << r.payload;
    EXPECT_FALSE(peer::header(r.payload, "Allow").empty());
    EXPECT_TRUE(w.core.empty());
}

TEST_F(ProxyWorkerTest, MaxForwardsZeroGets483) {
    peer::InviteSpec s = acme_call("c483");
    s.max_forwards = 0;
    const Wire w = send(kAccess, kAcmeIp, peer::invite(s));
    EXPECT_EQ(peer::status(w.only(kAccess).payload), 483) << w.dump();
    EXPECT_TRUE(w.core.empty());
}

TEST_F(ProxyWorkerTest, RequestOnTheCoreSideFromANonPeerIsDroppedSilently) {
    const std::uint64_t before = count(Counter::sip_core_unknown_source_dropped);
    peer::InviteSpec s = acme_call("c-core-stranger");
    s.pbx_ip = dotted(kStrangerCoreIp);
    s.palisade_ip = dotted(kCoreIp);
    s.to_user = "+31201234501";
    const Wire w = send(kCore, kStrangerCoreIp, peer::invite(s));
    EXPECT_TRUE(w.access.empty() && w.core.empty()) << w.dump();
    EXPECT_EQ(count(Counter::sip_core_unknown_source_dropped), before + 1);
}

// --- admitted calls ---------------------------------------------------------------------------

TEST_F(ProxyWorkerTest, AdmittedCallGoesToTheCarrierWithTheTopologyHidden) {
    peer::InviteSpec s = acme_call("c-fwd");
    const Wire w = authorized(s, "acme-1", kAcmeIp);
    ASSERT_EQ(w.core.size(), 1u) << w.dump();
    const Sent& out = w.core[0];
    EXPECT_EQ(out.dst_ip, kCarrierIp);
    EXPECT_EQ(out.dst_port, 5060);
    EXPECT_EQ(out.src_ip, kCoreIp);
    EXPECT_EQ(peer::method(out.payload), "INVITE");
    const std::string head = out.payload.substr(0, out.payload.find("\r\n\r\n"));
    // Nothing of the access side in the headers: one Via (ours), Contact and From name our core
    // address; the credentials are consumed.
    EXPECT_EQ(head.find("10.0.0."), std::string::npos) << head;
    const std::vector<std::string> vias = peer::headers(out.payload, "Via");
    ASSERT_EQ(vias.size(), 1u) << head;
    EXPECT_NE(vias[0].find(dotted(kCoreIp)), std::string::npos);
    EXPECT_EQ(peer::param(vias[0], "branch").rfind("z9hG4bK-pl-w", 0), 0u) << vias[0];
    EXPECT_NE(peer::header(out.payload, "Contact").find(dotted(kCoreIp)), std::string::npos) << head;
    EXPECT_TRUE(peer::header(out.payload, "Proxy-Authorization").empty());
    EXPECT_EQ(peer::header(out.payload, "Call-ID"), "c-fwd");  // passes through
    EXPECT_EQ(peer::user_of(peer::request_uri(out.payload)), "+31612345678");
    // The PBX hears 100 Trying from us at once (RFC 3261 §16.2: an INVITE proxy sends it).
    ASSERT_FALSE(w.access.empty()) << w.dump();
    EXPECT_EQ(peer::status(w.access[0].payload), 100);
    // Session timer inserted (RFC 4028), 100rel gone, SDP kept with PCMA first.
    EXPECT_FALSE(peer::header(out.payload, "Session-Expires").empty()) << head;
    EXPECT_NE(peer::body(out.payload).find("m=audio 40000 RTP/AVP 8"), std::string::npos) << out.payload;
    send(kCore, kCarrierIp, peer::response(out.payload, 486, "Busy Here", "cx5"));
}

TEST_F(ProxyWorkerTest, FullCallWithItsEventsAndTheSlotReleased) {
    events();
    peer::InviteSpec s = acme_call("c-full");
    // INVITE -> 407, ACK, INVITE with digest -> 100 + INVITE to the carrier.
    const Wire w = authorized(s, "acme-1", kAcmeIp);
    ASSERT_EQ(w.core.size(), 1u) << w.dump();
    const std::string fwd = w.core[0].payload;
    const std::string pbx_invite = peer::invite(s);
    // 100 and 180 from the carrier: the 100 stops there (hop by hop), the 180 reaches the PBX.
    Wire r = send(kCore, kCarrierIp, peer::response(fwd, 100, "Trying"));
    EXPECT_TRUE(r.access.empty()) << r.dump();
    r = send(kCore, kCarrierIp, peer::response(fwd, 180, "Ringing", "carrier-tag",
                                                 "Contact: <sip:+31612345678@192.0.2.10>\r\n"));
    ASSERT_EQ(r.access.size(), 1u) << r.dump();
    EXPECT_EQ(peer::status(r.access[0].payload), 180);
    EXPECT_EQ(r.access[0].dst_ip, kAcmeIp);
    // The PBX's Via is back, and nothing of the core side shows.
    EXPECT_EQ(peer::headers(r.access[0].payload, "Via").size(), 1u);
    EXPECT_NE(peer::headers(r.access[0].payload, "Via")[0].find("z9hG4bK-c-full-auth"), std::string::npos);
    EXPECT_EQ(r.access[0].payload.find("192.0.2."), std::string::npos) << r.access[0].payload;
    // 200 with the answer.
    r = send(kCore, kCarrierIp,
             peer::response(fwd, 200, "OK", "carrier-tag", "Contact: <sip:+31612345678@192.0.2.10>\r\n",
                            peer::sdp("192.0.2.10", "0 8 101")));
    ASSERT_EQ(r.access.size(), 1u) << r.dump();
    const std::string ok = r.access[0].payload;
    EXPECT_EQ(peer::status(ok), 200);
    EXPECT_NE(peer::header(ok, "Contact").find(dotted(kAccessIp)), std::string::npos) << ok;
    EXPECT_NE(peer::body(ok).find("m=audio 40000 RTP/AVP 8 0 101"), std::string::npos) << ok;  // PCMA first
    // ACK (end to end) and BYE from the PBX, routed by the dialog to the carrier.
    r = send(kAccess, kAcmeIp, peer::in_dialog("ACK", pbx_invite, ok, s.cseq, dotted(kAcmeIp), "z9hG4bK-ack2xx"));
    ASSERT_EQ(r.core.size(), 1u) << r.dump();
    EXPECT_EQ(peer::method(r.core[0].payload), "ACK");
    EXPECT_EQ(r.core[0].dst_ip, kCarrierIp);
    r = send(kAccess, kAcmeIp, peer::in_dialog("BYE", pbx_invite, ok, s.cseq + 1, dotted(kAcmeIp), "z9hG4bK-bye"));
    ASSERT_EQ(r.core.size(), 1u) << r.dump();
    const std::string bye = r.core[0].payload;
    EXPECT_EQ(peer::method(bye), "BYE");
    EXPECT_EQ(peer::header(bye, "Call-ID"), "c-full");
    r = send(kCore, kCarrierIp, peer::response(bye, 200, "OK"));
    ASSERT_EQ(r.access.size(), 1u) << r.dump();
    EXPECT_EQ(peer::status(r.access[0].payload), 200);
    EXPECT_NE(peer::header(r.access[0].payload, "CSeq").find("BYE"), std::string::npos);

    const std::vector<CallEvent> ev = events();
    ASSERT_EQ(ev.size(), 3u);
    EXPECT_EQ(ev[0].type, CallEventType::started);
    EXPECT_EQ(ev[0].direction, CallDirection::outbound);
    EXPECT_EQ(ev[0].trunk_id(), "acme");
    EXPECT_EQ(ev[0].call_id(), "c-full");
    EXPECT_EQ(ev[0].callee(), "+31612345678");
    EXPECT_TRUE(ev[0].flags & kCallFlagCounted);
    EXPECT_EQ(ev[1].type, CallEventType::answered);
    EXPECT_EQ(ev[2].type, CallEventType::ended);
    EXPECT_EQ(ev[2].ended_by, CallParty::caller);
    EXPECT_NE(ev[2].answer_us, 0u);
    // Every slot is back: no call of any trunk is live.
    EXPECT_EQ(engine_->worker(0).proxy().stats().dialogs + engine_->worker(1).proxy().stats().dialogs, 0u);
}

TEST_F(ProxyWorkerTest, InDialogInfoNotAllowedByTheConfigGets405) {
    peer::InviteSpec s = acme_call("c-info");
    const Wire w = authorized(s, "acme-1", kAcmeIp);
    ASSERT_EQ(w.core.size(), 1u) << w.dump();
    const std::string fwd = w.core[0].payload;
    Wire r = send(kCore, kCarrierIp, peer::response(fwd, 200, "OK", "ct-info", "Contact: <sip:x@192.0.2.10>\r\n",
                                                     peer::sdp("192.0.2.10")));
    ASSERT_EQ(r.access.size(), 1u) << r.dump();
    const std::string ok = r.access[0].payload;
    const std::string pbx_invite = peer::invite(s);
    send(kAccess, kAcmeIp, peer::in_dialog("ACK", pbx_invite, ok, s.cseq, dotted(kAcmeIp), "z9hG4bK-ack-i"));
    r = send(kAccess, kAcmeIp, peer::in_dialog("INFO", pbx_invite, ok, s.cseq + 1, dotted(kAcmeIp), "z9hG4bK-info"));
    EXPECT_EQ(peer::status(r.only(kAccess).payload), 405) << r.dump();
    EXPECT_TRUE(r.core.empty());
    r = send(kAccess, kAcmeIp, peer::in_dialog("BYE", pbx_invite, ok, s.cseq + 2, dotted(kAcmeIp), "z9hG4bK-bye-i"));
    ASSERT_EQ(r.core.size(), 1u) << r.dump();
    send(kCore, kCarrierIp, peer::response(r.core[0].payload, 200, "OK"));
}

// --- inbound ----------------------------------------------------------------------------------

TEST_F(ProxyWorkerTest, InboundCallToAnUnknownDidGets404) {
    peer::InviteSpec s;
    s.call_id = "in-404";
    s.from_user = "+4930123456";
    s.to_user = "+31999000000";
    s.pbx_ip = dotted(kCarrierIp);
    s.palisade_ip = dotted(kCoreIp);
    s.branch = "z9hG4bK-in-404";
    s.body = peer::sdp(dotted(kCarrierIp));
    const Wire w = send(kCore, kCarrierIp, peer::invite(s));
    int code = 0;
    for (const Sent& m : w.core)
        if (peer::status(m.payload) >= 200) code = peer::status(m.payload);
    EXPECT_EQ(code, 404) << w.dump();
    EXPECT_TRUE(w.access.empty());
}

TEST_F(ProxyWorkerTest, InboundCallGoesToTheRegisteredContact) {
    const PolicySnapshot* snap = policy_->read();
    ASSERT_NE(snap, nullptr);
    const std::uint32_t t = snap->find_trunk("acme");
    ASSERT_NE(t, kNoTrunk);
    LocationTable::ContactInput c;
    c.uri = "sip:pbx@10.0.0.2:5062";
    c.ip = kAcmeIp;
    c.port = 5062;
    c.iface = kAccess;
    c.contact_id = 7;
    c.expires_at_s = clock_->now().seconds() + 3600;
    ASSERT_TRUE(location_->set_contacts("acme-1", snap->trunk(t).limit_slot, LocationRole::primary, {&c, 1}));
    struct Deregister {
        std::uint32_t key;
        ~Deregister() {
            location_->set_contacts("acme-1", key, LocationRole::primary, {});
            location_->reclaim();
        }
    } deregister{snap->trunk(t).limit_slot};
    peer::InviteSpec s;
    s.call_id = "in-contact";
    s.from_user = "+4930123456";
    s.to_user = "+31201234542";  // one of acme's DIDs
    s.pbx_ip = dotted(kCarrierIp);
    s.palisade_ip = dotted(kCoreIp);
    s.branch = "z9hG4bK-in-contact";
    s.body = peer::sdp(dotted(kCarrierIp));
    const Wire w = send(kCore, kCarrierIp, peer::invite(s));
    ASSERT_EQ(w.access.size(), 1u) << w.dump();
    const Sent& out = w.access[0];
    EXPECT_EQ(peer::method(out.payload), "INVITE");
    EXPECT_EQ(out.dst_ip, kAcmeIp);
    EXPECT_EQ(out.dst_port, 5062);
    EXPECT_EQ(out.src_ip, kAccessIp);
    EXPECT_EQ(peer::request_uri(out.payload), "sip:pbx@10.0.0.2:5062");
    const std::string head = out.payload.substr(0, out.payload.find("\r\n\r\n"));
    EXPECT_EQ(head.find("192.0.2."), std::string::npos) << head;  // the core stays hidden
    // The PBX busy: a real answer goes back to the carrier.
    const Wire r = send(kAccess, kAcmeIp, peer::response(out.payload, 486, "Busy Here", "pbx-busy"), 5062);
    int code = 0;
    for (const Sent& m : r.core)
        if (peer::status(m.payload) >= 200) code = peer::status(m.payload);
    EXPECT_EQ(code, 486) << r.dump();
}

// Last: it ends every call of every worker.
TEST_F(ProxyWorkerTest, ShutdownEndsAnAnsweredCallWithByeToBothSides) {
    peer::InviteSpec s = acme_call("c-shutdown");
    const Wire w = authorized(s, "acme-1", kAcmeIp);
    ASSERT_EQ(w.core.size(), 1u) << w.dump();
    Wire r = send(kCore, kCarrierIp, peer::response(w.core[0].payload, 200, "OK", "ct-sd",
                                                     "Contact: <sip:x@192.0.2.10>\r\n", peer::sdp("192.0.2.10")));
    ASSERT_EQ(r.access.size(), 1u) << r.dump();
    send(kAccess, kAcmeIp, peer::in_dialog("ACK", peer::invite(s), r.access[0].payload, s.cseq, dotted(kAcmeIp), "z9hG4bK-ack-sd"));
    events();
    // What DataPlane::stop makes each worker do when its loop ends (Worker::run).
    for (unsigned k = 0; k < kWorkers; ++k) engine_->worker(k).shutdown_calls(now_tsc_ += 1000);
    const std::vector<Sent> to_pbx = sent(kAccess), to_carrier = sent(kCore);
    ASSERT_EQ(to_pbx.size(), 1u);
    ASSERT_EQ(to_carrier.size(), 1u);
    EXPECT_EQ(peer::method(to_pbx[0].payload), "BYE");
    EXPECT_EQ(to_pbx[0].dst_ip, kAcmeIp);
    EXPECT_EQ(peer::method(to_carrier[0].payload), "BYE");
    EXPECT_EQ(to_carrier[0].dst_ip, kCarrierIp);
    const std::vector<CallEvent> ev = events();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].type, CallEventType::ended);
    EXPECT_EQ(ev[0].call_id(), "c-shutdown");
    EXPECT_EQ(static_cast<CallEndReason>(ev[0].reason), CallEndReason::shutdown);
}

}  // namespace
}  // namespace palisade::dp
