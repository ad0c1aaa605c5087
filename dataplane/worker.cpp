#include "dataplane/worker.hpp"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <cstring>
#include <new>

#include "dataplane/contract/call_events.hpp"
#include "dataplane/contract/clock.hpp"
#include "dataplane/counters.hpp"
#include "dataplane/rings.hpp"
#include "parsers/sip/scan.hpp"
#include "parsers/sip/values.hpp"

namespace palisade::dp {
namespace {

int g_meta_offset = -1;

// Ethernet, IPv4 and UDP headers udp_output prepends to a reply, and how much of a reply's
// buffer is prefetched for writing ahead of use (a 200 to OPTIONS is ~450 bytes).
constexpr unsigned kReplyHeadersBytes = 14 + 20 + 8;
constexpr unsigned kReplyWarmBytes = 512;

SipMeta* meta_of(rte_mbuf* m) noexcept { return RTE_MBUF_DYNFIELD(m, g_meta_offset, SipMeta*); }

/// FNV-1a of the nonce secret: tells whether a new snapshot changed it without keeping a copy.
std::uint64_t secret_key(std::string_view secret) noexcept { return call_id_hash(secret) | 1u; }

}  // namespace

bool prescan_call_id(std::string_view d, std::string_view& call_id) noexcept {
    if (d.size() < 8 || d.substr(0, 4) == "SIP/") return false;  // a response: Via decides
    std::size_t pos = d.find("\r\n");
    if (pos == std::string_view::npos) return false;
    pos += 2;
    while (pos < d.size()) {
        const std::size_t end = d.find("\r\n", pos);
        if (end == std::string_view::npos || end == pos) return false;  // end of headers: none
        const std::string_view line = d.substr(pos, end - pos);
        std::size_t i = 0;
        while (i < line.size() && line[i] != ':' && line[i] != ' ' && line[i] != '\t') ++i;
        const std::string_view name = line.substr(0, i);
        if (sip::iequals(name, "call-id") || sip::iequals(name, "i")) {
            while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
            if (i >= line.size() || line[i] != ':') return false;
            ++i;
            while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
            std::size_t j = line.size();
            while (j > i && (line[j - 1] == ' ' || line[j - 1] == '\t')) --j;
            // A folded value continues on the next line: leave it to the framer.
            if (end + 2 < d.size() && (d[end + 2] == ' ' || d[end + 2] == '\t')) return false;
            if (j == i) return false;
            call_id = line.substr(i, j - i);
            return true;
        }
        pos = end + 2;
    }
    return false;
}

bool register_sip_meta(std::string& error) {
    if (g_meta_offset >= 0) return true;
    static const rte_mbuf_dynfield desc = {"palisade_sip_meta", sizeof(SipMeta), alignof(SipMeta), 0};
    const int off = rte_mbuf_dynfield_register(&desc);
    if (off < 0) {
        error = std::string("cannot register the mbuf field for handoffs: ") + rte_strerror(rte_errno);
        return false;
    }
    g_meta_offset = off;
    return true;
}

// --- Worker -----------------------------------------------------------------------------------

Worker::Worker(Engine& engine, unsigned index)
    : engine_(engine),
      index_(index),
      counters_(&engine.counters(index)),
      stage_(&engine.config().known, engine.addresses(), index,
             engine.config().tag_salt != 0 ? engine.config().tag_salt : rte_rdtsc() << 16),
      timers_(engine.config().timers_per_worker) {}

Worker::~Worker() {
    if (spare_ != nullptr) rte_pktmbuf_free(spare_);
    if (policy_registered_) engine_.config().policy->unregister_reader(index_);
    if (location_registered_) engine_.config().location->unregister_reader(index_);
    for (auto& p : l3_) {
        if (p) p->arp().clear();
    }
}

bool Worker::init(std::string& error) {
    const EngineConfig& cfg = engine_.config();
    const std::uint64_t hz = rte_get_tsc_hz();
    drain_tsc_ = hz / 1'000'000 * cfg.drain_us;
    tick_tsc_ = hz / 1000;
    for (const EnginePort& p : cfg.ports) {
        L3PortConfig lc;
        lc.port.port_id = p.port_id;
        lc.port.mac = p.mac;
        lc.port.ip = p.spec.address.addr;
        lc.port.prefix_len = p.spec.address.len;
        lc.port.gateway = p.spec.gateway;
        lc.port.sip_port = p.spec.sip_port;
        lc.port.mtu = p.spec.mtu;
        lc.tx_queue = static_cast<std::uint16_t>(index_);
        lc.direct_pool = cfg.pools.mbufs;
        lc.indirect_pool = cfg.pools.indirect;
        lc.worker_index = static_cast<std::uint16_t>(index_);
        lc.worker_count = static_cast<std::uint16_t>(cfg.workers);
        const int socket = rte_eth_dev_socket_id(p.port_id);
        auto l3 = std::make_unique<L3Port>(lc, socket < 0 ? 0 : socket);
        if (!l3->ok()) {
            error = "interface " + p.spec.name + ": worker " + std::to_string(index_) +
                    ": L2/L3 set-up failed: " + l3->err();
            return false;
        }
        l3_.push_back(std::move(l3));
    }
    // The proxy core: one per worker, every table preallocated here (never on the packet path).
    ProxyConfig pc;
    pc.worker = index_;
    pc.workers = cfg.workers;
    std::vector<Side> sides;
    for (const EnginePort& p : cfg.ports) {
        ProxyInterface pi;
        pi.side = p.spec.role == PortRole::core ? Side::core : Side::access;
        pi.address = p.spec.address.addr;
        pi.sip_port = p.spec.sip_port;
        pi.mtu = p.spec.mtu;
        pc.interfaces.push_back(pi);
        sides.push_back(pi.side);
    }
    stage_.set_sides(sides);
    pc.max_transactions = cfg.max_transactions;
    pc.max_dialogs = cfg.max_dialogs;
    pc.timers = cfg.timers;
    // Branches and tags must not repeat across restarts (RFC 3261 §8.1.1.7, §19.3): the TSC at
    // start-up, mixed with the worker index, unless a test fixes the salt.
    pc.salt = (cfg.tag_salt != 0 ? cfg.tag_salt : rte_rdtsc()) * 0x9e3779b97f4a7c15ull + index_;
    try {
        proxy_ = std::make_unique<Proxy>(pc);
    } catch (const std::bad_alloc&) {
        error = "worker " + std::to_string(index_) + ": not enough memory for the proxy tables (" +
                std::to_string(cfg.max_transactions) + " transactions, " +
                std::to_string(cfg.max_dialogs) + " dialogs)";
        return false;
    }
    if (cfg.policy != nullptr) {
        if (!cfg.policy->register_reader(index_)) {
            error = "worker " + std::to_string(index_) + ": cannot register as a policy reader";
            return false;
        }
        policy_registered_ = true;
    }
    // The location table has its own QSBR variable (location.hpp): registered contacts and
    // blocked sources change at REGISTER rate, independently of policy reloads.
    if (cfg.location != nullptr) {
        if (!cfg.location->register_reader(index_)) {
            error = "worker " + std::to_string(index_) + ": cannot register as a location reader";
            return false;
        }
        location_registered_ = true;
    }
    return true;
}

void Worker::announce(std::uint64_t now_tsc) noexcept {
    for (auto& p : l3_) p->start(now_tsc, *counters_);
}

std::uint16_t Worker::row(std::size_t port_index) const noexcept {
    return l3_[port_index]->port().port_id;
}

void Worker::flush() noexcept {
    for (auto& p : l3_) p->flush_tx(*counters_);
}

unsigned Worker::poll(std::uint64_t now) noexcept {
    unsigned work = 0;
    rte_mbuf* pkts[kBurst];
    void* objs[kBurst];
    const std::size_t nports = l3_.size();
    PolicySlot* const policy = engine_.config().policy;
    // One snapshot for the whole loop iteration; released by the quiescent report at its end.
    const PolicySnapshot* const snap = policy != nullptr ? policy->read() : nullptr;
    stage_.set_snapshot(snap);
    // One coarse wall-clock read per loop (vDSO, no syscall): blocks expire in Unix seconds,
    // the proxy's rate windows and nonces read it too.
    refresh_env(snap, now);
    LocationTable* const location = engine_.config().location;
    if (location != nullptr) stage_.set_location(location, env_.wall.seconds());

    // 1. Every port's queue of this worker (queue index = worker index).
    for (std::size_t i = 0; i < nports; ++i) {
        L3Port& port = *l3_[i];
        const std::uint16_t n =
            rte_eth_rx_burst(port.port().port_id, static_cast<std::uint16_t>(index_), pkts, kBurst);
        if (n == 0) continue;
        work += n;
        std::uint64_t bytes = 0;
        for (std::uint16_t j = 0; j < n; ++j) bytes += rte_pktmbuf_pkt_len(pkts[j]);
        counters_->add(port.port().port_id, Counter::rx_packets, n);
        counters_->add(port.port().port_id, Counter::rx_bytes, bytes);
        // Headers of the first packets now; then, one packet ahead, every line of the next
        // packet's first segment: the UDP checksum and the parser read all of it.
        for (std::uint16_t j = 0; j < n && j < 2; ++j) rte_prefetch0(rte_pktmbuf_mtod(pkts[j], void*));
        for (std::uint16_t j = 0; j < n; ++j) {
            if (j + 2 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[j + 2], void*));
            if (j + 1 < n) {
                const char* next = rte_pktmbuf_mtod(pkts[j + 1], const char*);
                const std::uint32_t len = rte_pktmbuf_data_len(pkts[j + 1]);
                for (std::uint32_t off = 64; off < len && off < 1024; off += 64) rte_prefetch0(next + off);
            }
            UdpDatagram d;
            if (l3_input(port, pkts[j], now, d, *counters_) == RxVerdict::sip) on_datagram(i, d, now);
        }
    }

    // 2. SIP messages other workers received for calls this worker owns.
    unsigned n = rte_ring_sc_dequeue_burst(engine_.handoff_ring(index_), objs, kBurst, nullptr);
    for (unsigned j = 0; j < n; ++j) on_handoff(static_cast<rte_mbuf*>(objs[j]), now);
    work += n;

    // 3. Datagrams the control plane sends through this worker.
    n = rte_ring_sc_dequeue_burst(engine_.inject_ring(index_), objs, kBurst, nullptr);
    for (unsigned j = 0; j < n; ++j) on_inject(static_cast<RingMessage*>(objs[j]), now);
    work += n;

    // 4. L2/L3 timers (ARP retries, reassembly expiry) and the timer wheel (1 ms ticks).
    for (auto& p : l3_) p->poll(now, *counters_);
    if (now >= next_tick_) {
        const std::uint64_t target = now / tick_tsc_;
        if (ticks_ == 0) ticks_ = target;  // first poll: start the wheel at the present
        // The proxy keeps its own timers (transactions, failover, session timers); this wheel
        // has no user yet.
        timers_.advance(target - ticks_ + timers_.now(), [](TimerHandle, std::uint32_t, std::uint64_t) {});
        ticks_ = target;
        next_tick_ = (target + 1) * tick_tsc_;
    }
    // The proxy's timers due by now (retransmissions, timeouts, failover, session expiry).
    proxy_->advance(env_, sink_, *counters_);

    // 5. Buffered tx: drain every drain_us while busy, and at once when this poll was idle
    // (nothing more is coming to fill the burst).
    bool staged = false;
    for (auto& p : l3_) staged |= p->staged() != 0;
    if (staged && (work == 0 || now - last_drain_ >= drain_tsc_)) {
        flush();
        last_drain_ = now;
    }

    // 6. This worker holds no reference into any RCU-protected object between polls.
    stage_.set_snapshot(nullptr);
    env_.snapshot = nullptr;
    if (policy != nullptr) policy->quiescent(index_);
    if (location != nullptr) location->quiescent(index_);
    rte_rcu_qsbr_quiescent(engine_.rcu(), index_);
    return work;
}

void Worker::on_datagram(std::size_t port_index, const UdpDatagram& d, std::uint64_t now) noexcept {
    SipMeta meta;
    meta.src_ip = d.src_ip;
    meta.dst_ip = d.dst_ip;
    meta.src_port = d.src_port;
    meta.dst_port = d.dst_port;
    meta.length = d.length;
    meta.port_index = static_cast<std::uint16_t>(port_index);
    const unsigned workers = engine_.workers();
    unsigned owner = index_;
    std::string_view call_id;
    if (workers > 1 && prescan_call_id({d.payload, d.length}, call_id)) {
        // A request owned by another worker is handed over unframed: the owner frames it.
        owner = owner_worker(call_id, workers);
        if (owner != index_) {
            hand_off(owner, port_index, d, meta);
            return;
        }
    }
    const sip::ParseStatus st = msg_.parse({d.payload, d.length});
    if (workers > 1 && call_id.empty() && !msg_.start_line().empty()) {
        bool by_call_id = true;
        if (!msg_.is_request()) {
            // A response to a request we originated carries our branch in its top Via (RFC 3261
            // §18.2.1): its originator owns it. The control plane's are punted by any worker.
            sip::Via via;
            const sip::ValueRange vias = msg_.values(sip::HeaderId::via);
            auto it = vias.begin();
            if (it != vias.end() && sip::parse_via(*it, via) == sip::Reason::none) {
                const BranchOwner bo = parse_branch(via.branch);
                if (bo.kind == BranchOwner::Kind::control_plane) {
                    by_call_id = false;
                } else if (bo.kind == BranchOwner::Kind::worker && bo.worker < workers) {
                    owner = bo.worker;
                    by_call_id = false;
                }
            }
        }
        if (by_call_id) {
            if (const sip::HeaderField* f = msg_.find(sip::HeaderId::call_id))
                owner = owner_worker(f->value, workers);
        }
    }
    if (owner == index_) {
        process(port_index, d.m, d.payload, d.length, st, meta, now);
        return;
    }
    hand_off(owner, port_index, d, meta);
}

void Worker::hand_off(unsigned owner, std::size_t port_index, const UdpDatagram& d,
                      SipMeta& meta) noexcept {
    // The mbuf travels with its metadata; the owner frames it (a Message is too large to copy,
    // and framing is cheaper than a copy of one).
    if (d.in_scratch) {
        // The payload is in our scratch only; in the chain it starts after the headers.
        meta.payload_offset = static_cast<std::uint32_t>(d.m->l2_len + d.m->l3_len + 8);
    } else {
        meta.payload_offset =
            static_cast<std::uint32_t>(d.payload - rte_pktmbuf_mtod(d.m, const char*));
    }
    *meta_of(d.m) = meta;
    const std::uint16_t r = row(port_index);
    if (rte_ring_mp_enqueue(engine_.handoff_ring(owner), d.m) != 0) {
        counters_->add(r, Counter::handoff_ring_full);
        rte_pktmbuf_free(d.m);
        return;
    }
    counters_->add(r, Counter::handoff_out);
}

void Worker::on_handoff(rte_mbuf* m, std::uint64_t now) noexcept {
    const SipMeta meta = *meta_of(m);
    counters_->add(row(meta.port_index), Counter::handoff_in);
    // Contiguous data is read in place; a chain is copied into this worker's scratch.
    const char* p = static_cast<const char*>(
        rte_pktmbuf_read(m, meta.payload_offset, meta.length, scratch_.data()));
    if (p == nullptr) {
        counters_->add(row(meta.port_index), Counter::steer_unparsable);
        rte_pktmbuf_free(m);
        return;
    }
    if (p == scratch_.data()) counters_->add(row(meta.port_index), Counter::rx_multiseg_linearised);
    const sip::ParseStatus st = msg_.parse({p, meta.length});
    process(meta.port_index, m, p, meta.length, st, meta, now);
}

void Worker::process(std::size_t port_index, rte_mbuf* m, const char* payload, std::uint16_t length,
                     sip::ParseStatus st, const SipMeta& meta, std::uint64_t now) noexcept {
    SipSource src;
    src.src_ip = meta.src_ip;
    src.dst_ip = meta.dst_ip;
    src.src_port = meta.src_port;
    src.dst_port = meta.dst_port;
    src.port_id = row(port_index);
    src.iface = static_cast<std::uint16_t>(port_index);
    if (spare_ == nullptr) spare_ = rte_pktmbuf_alloc(engine_.config().pools.mbufs);
    std::span<char> room;
    if (spare_ != nullptr) {
        // Leave the headroom for udp_output's Ethernet/IPv4/UDP headers.
        room = {rte_pktmbuf_mtod(spare_, char*), rte_pktmbuf_tailroom(spare_)};
    }
    const SipOutcome o = stage_.handle(msg_, st, src, room, *counters_);
    switch (o.action) {
    case SipOutcome::Action::drop:
        break;
    case SipOutcome::Action::reply: {
        rte_mbuf* out = spare_;
        spare_ = nullptr;
        rte_pktmbuf_append(out, static_cast<std::uint16_t>(o.reply_length));  // fits: built there
        // udp_output counts its own drops (ARP queue full, no route, ...).
        udp_output(*l3_[port_index], out, o.reply_ip, o.reply_port, now, *counters_);
        // The next reply's buffer now, warmed for writing while this one's request is freed
        // and the next packet is checked: its headers and the first lines of the reply.
        spare_ = rte_pktmbuf_alloc(engine_.config().pools.mbufs);
        if (spare_ != nullptr) {
            char* room = rte_pktmbuf_mtod(spare_, char*);
            __builtin_prefetch(spare_, 1, 3);
            __builtin_prefetch(room - kReplyHeadersBytes, 1, 3);
            for (unsigned off = 64 - kReplyHeadersBytes; off < kReplyWarmBytes; off += 64)
                __builtin_prefetch(room + off, 1, 3);
        }
        break;
    }
    case SipOutcome::Action::punt:
        punt(o.punt_kind, meta, payload, length, now);
        break;
    case SipOutcome::Action::proxy:
        // The message (a view into m or the scratch) stays valid until m is freed below; the
        // proxy copies what it keeps.
        if (msg_.is_request()) {
            proxy_->on_request(msg_, stage_.validated(), src, src.iface, env_, sink_, *counters_);
        } else {
            proxy_->on_response(msg_, stage_.validated(), src, src.iface, env_, sink_, *counters_);
        }
        break;
    }
    rte_pktmbuf_free(m);
}

void Worker::refresh_env(const PolicySnapshot* snap, std::uint64_t now) noexcept {
    const EngineConfig& cfg = engine_.config();
    now_tsc_ = now;
    env_.snapshot = snap;
    env_.limits = cfg.limits;
    env_.location = cfg.location;
    env_.peers = cfg.peers;
    env_.nonce_counts = cfg.nonce_counts;
    env_.wall = cfg.clock != nullptr ? cfg.clock->now() : SystemClock{}.now();
    env_.now_ms = tick_tsc_ != 0 ? now / tick_tsc_ : 0;
    if (snap != nullptr && snap->generation() != nonce_generation_) {
        // A new snapshot (start-up or reload): this worker's Hyperscan scratch must fit its
        // databases (cloned only when they need a bigger one), and the nonce codec follows the
        // configured secret. A reload that keeps the secret keeps the codec, so that nonces
        // handed out before the reload still verify.
        if (!hs_scratch_.refresh(snap->destinations().scratch_prototype(), snap->generation()))
            counters_->add(row(0), Counter::policy_scratch_failed);
        const std::uint64_t key = secret_key(snap->sip().nonce_secret);
        if (!nonces_ || key != nonce_secret_key_) {
            // Issuer = worker index (the registrar's codec is 0xffff): ids never collide in the
            // shared nonce-count table. An empty secret reads random bytes once (a reload only).
            nonces_.emplace(snap->sip().nonce_secret, static_cast<std::uint16_t>(index_));
            nonce_secret_key_ = key;
        }
        nonce_generation_ = snap->generation();
    }
    env_.scratch = &hs_scratch_;
    env_.nonces = nonces_ ? &*nonces_ : nullptr;
}

void WorkerSink::send(std::uint16_t iface, Endpoint to, std::string_view datagram) noexcept {
    worker_.send_datagram(iface, to, datagram);
}

void WorkerSink::event(const CallEvent& ev) noexcept { worker_.send_event(ev); }

void Worker::send_datagram(std::uint16_t iface, Endpoint to, std::string_view d) noexcept {
    rte_mempool* const pool = engine_.config().pools.mbufs;
    if (iface >= l3_.size() || d.empty() || d.size() > 65535u - 28u) {
        counters_->add(row(iface < l3_.size() ? iface : 0), Counter::proxy_send_bad);
        return;
    }
    const std::uint16_t r = row(iface);
    // Copied into a chain of mbufs from the pool (the proxy's buffer is reused at once); the
    // head keeps its headroom for udp_output's headers, which fragments above the MTU.
    rte_mbuf* head = rte_pktmbuf_alloc(pool);
    if (head == nullptr) {
        counters_->add(r, Counter::proxy_send_no_mbuf);
        return;
    }
    std::size_t done = 0;
    rte_mbuf* seg = head;
    while (true) {
        const std::size_t room = rte_pktmbuf_tailroom(seg);
        const std::size_t n = d.size() - done < room ? d.size() - done : room;
        std::memcpy(rte_pktmbuf_append(seg, static_cast<std::uint16_t>(n)), d.data() + done, n);
        done += n;
        // rte_pktmbuf_chain adds the tail's length and segments to the head.
        if (seg != head && rte_pktmbuf_chain(head, seg) != 0) {
            rte_pktmbuf_free(seg);
            rte_pktmbuf_free(head);
            counters_->add(r, Counter::proxy_send_no_mbuf);
            return;
        }
        if (done == d.size()) break;
        seg = rte_pktmbuf_alloc(pool);
        if (seg == nullptr) {
            rte_pktmbuf_free(head);
            counters_->add(r, Counter::proxy_send_no_mbuf);
            return;
        }
    }
    if (udp_output(*l3_[iface], head, to.ip, to.port, now_tsc_, *counters_))
        counters_->add(r, Counter::proxy_sent);
}

void Worker::send_event(const CallEvent& ev) noexcept {
    const std::uint16_t r = row(0);
    rte_mempool* const messages = engine_.config().pools.messages;
    void* obj = nullptr;
    if (rte_mempool_get(messages, &obj) != 0) {
        counters_->add(r, Counter::call_event_no_buffer);
        return;
    }
    auto* msg = static_cast<RingMessage*>(obj);
    msg->port = 0;
    msg->remote_ip = msg->local_ip = 0;
    msg->remote_port = msg->local_port = 0;
    msg->rx_tsc = now_tsc_;
    if (!encode_call_event(ev, *msg)) {
        rte_mempool_put(messages, msg);
        counters_->add(r, Counter::call_event_bad);
        return;
    }
    // The control plane (drain_punts -> handle_call_event) reads it from our punt ring.
    if (rte_ring_sp_enqueue(engine_.punt_ring(index_), msg) != 0) {
        rte_mempool_put(messages, msg);
        counters_->add(r, Counter::call_event_ring_full);
        return;
    }
    counters_->add(r, Counter::call_event_sent);
}

void Worker::shutdown_calls(std::uint64_t now) noexcept {
    PolicySlot* const policy = engine_.config().policy;
    const PolicySnapshot* const snap = policy != nullptr ? policy->read() : nullptr;
    refresh_env(snap, now);
    proxy_->shutdown(env_, sink_, *counters_);
    flush();
    env_.snapshot = nullptr;
    if (policy != nullptr) policy->quiescent(index_);
}

void Worker::punt(RingKind kind, const SipMeta& meta, const char* payload, std::uint16_t length,
                  std::uint64_t now) noexcept {
    const std::uint16_t r = row(meta.port_index);
    if (length > kRingPayloadMax) {
        counters_->add(r, Counter::punt_too_large);
        return;
    }
    void* obj = nullptr;
    if (rte_mempool_get(engine_.config().pools.messages, &obj) != 0) {
        counters_->add(r, Counter::punt_no_buffer);
        return;
    }
    auto* msg = static_cast<RingMessage*>(obj);
    msg->kind = kind;
    msg->port = meta.port_index;
    msg->worker = static_cast<std::uint16_t>(index_);
    msg->flags = 0;
    msg->remote_ip = meta.src_ip;
    msg->local_ip = meta.dst_ip;
    msg->remote_port = meta.src_port;
    msg->local_port = meta.dst_port;
    msg->rx_tsc = now;
    msg->cookie = 0;
    msg->length = length;
    std::memcpy(msg->payload, payload, length);
    if (rte_ring_sp_enqueue(engine_.punt_ring(index_), msg) != 0) {
        rte_mempool_put(engine_.config().pools.messages, msg);
        counters_->add(r, Counter::punt_ring_full);
        return;
    }
    counters_->add(r, Counter::punt_sent);
}

void Worker::on_inject(RingMessage* r, std::uint64_t now) noexcept {
    rte_mempool* messages = engine_.config().pools.messages;
    const bool port_ok = r->port < l3_.size();
    const std::uint16_t crow = port_ok ? row(r->port) : row(0);
    counters_->add(crow, Counter::inject_received);
    rte_mbuf* m = nullptr;
    char* dst = nullptr;
    if (r->kind != RingKind::inject_sip || !port_ok || r->length == 0 || r->length > kRingPayloadMax ||
        (m = rte_pktmbuf_alloc(engine_.config().pools.mbufs)) == nullptr ||
        (dst = rte_pktmbuf_append(m, static_cast<std::uint16_t>(r->length))) == nullptr) {
        // A missing mbuf is counted as a failed send; the rest is a bad message.
        counters_->add(crow, (r->kind == RingKind::inject_sip && port_ok && r->length != 0 &&
                              r->length <= kRingPayloadMax && m == nullptr)
                                 ? Counter::inject_send_failed
                                 : Counter::inject_bad);
        if (m != nullptr) rte_pktmbuf_free(m);
        rte_mempool_put(messages, r);
        return;
    }
    std::memcpy(dst, r->payload, r->length);
    const std::uint32_t ip = r->remote_ip;
    const std::uint16_t port = r->remote_port;
    const std::size_t port_index = r->port;
    rte_mempool_put(messages, r);
    if (udp_output(*l3_[port_index], m, ip, port, now, *counters_)) {
        counters_->add(crow, Counter::inject_sent);
    } else {
        counters_->add(crow, Counter::inject_send_failed);
    }
}

int Worker::run() noexcept {
    const std::uint32_t backoff_us = engine_.config().idle_backoff_us;
    WorkerLoadCounters& load = engine_.load(index_);
    auto bump = [](std::atomic<std::uint64_t>& a, std::uint64_t n) {
        a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    };
    // Local sums, published once per 1024 polls and at exit: no store per poll to a line the
    // control plane reads.
    std::uint64_t busy = 0, idle = 0, polls = 0, busy_polls = 0;
    std::uint64_t start = rte_rdtsc();
    while (!engine_.stop_requested()) {
        const unsigned work = poll(start);
        std::uint64_t end = rte_rdtsc();
        ++polls;
        if (work != 0) {
            busy += end - start;
            ++busy_polls;
        } else {
            if (backoff_us != 0) {
                // Only after a poll that found nothing: test and demo configs keep a small
                // machine usable; production sets 0 (DESIGN.md §2).
                rte_delay_us_sleep(backoff_us);
                end = rte_rdtsc();
            }
            idle += end - start;
        }
        start = end;
        if ((polls & 1023) == 0) {
            bump(load.busy_cycles, busy);
            bump(load.idle_cycles, idle);
            bump(load.polls, polls);
            bump(load.busy_polls, busy_polls);
            busy = idle = polls = busy_polls = 0;
        }
    }
    // Every call ends with the worker (BYE to both sides, slots released) while the ports are
    // still up: DataPlane::stop closes them only after every worker returned.
    shutdown_calls(rte_rdtsc());
    flush();
    bump(load.busy_cycles, busy);
    bump(load.idle_cycles, idle);
    bump(load.polls, polls);
    bump(load.busy_polls, busy_polls);
    return 0;
}

// --- Engine -----------------------------------------------------------------------------------

Engine::~Engine() { shutdown(); }

void Engine::shutdown() noexcept {
    workers_.clear();
    for (rte_ring* r : handoff_) drain_and_free_ring(RingRole::handoff, r, nullptr);
    for (rte_ring* r : punt_) drain_and_free_ring(RingRole::punt, r, config_.pools.messages);
    for (rte_ring* r : inject_) drain_and_free_ring(RingRole::inject, r, config_.pools.messages);
    handoff_.clear();
    punt_.clear();
    inject_.clear();
    rte_free(rcu_);
    rcu_ = nullptr;
}

bool Engine::init(const EngineConfig& config, std::string& error) {
    config_ = config;
    const unsigned n = config.workers;
    if (n == 0 || n > kMaxWorkers) {
        error = "need 1.." + std::to_string(kMaxWorkers) + " workers, got " + std::to_string(n);
        return false;
    }
    if (config.ports.size() > kMaxPorts) {
        error = "at most " + std::to_string(kMaxPorts) + " interfaces";
        return false;
    }
    if (!register_sip_meta(error)) return false;
    for (const EnginePort& p : config.ports) addresses_.push_back(p.spec.address.addr);
    counters_ = std::make_unique<WorkerCounters[]>(n);
    loads_ = std::make_unique<WorkerLoadCounters[]>(n);
    for (unsigned w = 0; w < n; ++w) {
        const std::string suffix = config.tag + "_" + std::to_string(w);
        rte_ring* h = create_ring(RingRole::handoff, "pal_ho" + suffix, config.ring_size);
        rte_ring* p = create_ring(RingRole::punt, "pal_pu" + suffix, config.ring_size);
        rte_ring* i = create_ring(RingRole::inject, "pal_in" + suffix, config.ring_size);
        if (h) handoff_.push_back(h);
        if (p) punt_.push_back(p);
        if (i) inject_.push_back(i);
        if (!h || !p || !i) {
            error = std::string("cannot create the rings of worker ") + std::to_string(w) + ": " +
                    rte_strerror(rte_errno);
            return false;
        }
    }
    const std::size_t sz = rte_rcu_qsbr_get_memsize(n);
    rcu_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc("pal_rcu", sz, RTE_CACHE_LINE_SIZE));
    if (rcu_ == nullptr || rte_rcu_qsbr_init(rcu_, n) != 0) {
        error = "cannot create the RCU variable";
        return false;
    }
    for (unsigned w = 0; w < n; ++w) {
        rte_rcu_qsbr_thread_register(rcu_, w);
        rte_rcu_qsbr_thread_online(rcu_, w);
        auto worker = std::make_unique<Worker>(*this, w);
        if (!worker->init(error)) return false;
        workers_.push_back(std::move(worker));
    }
    return true;
}

std::uint64_t Engine::sum(Counter c, int row) const noexcept {
    return counters_ ? sum_counter(counters_.get(), config_.workers, c, row) : 0;
}

}  // namespace palisade::dp
