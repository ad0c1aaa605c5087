// Building, publishing and freeing policy snapshots (contract/policy_snapshot.hpp).
#include "dataplane/policy/snapshot.hpp"

#include <rte_rcu_qsbr.h>

#include <chrono>
#include <cstdlib>
#include <thread>
#include <new>
#include <unordered_map>

namespace palisade::dp {

namespace {
std::atomic<std::uint64_t> g_generation{0};

bool range_keys(const NumberRange& r, std::uint64_t& first, std::uint64_t& last) {
    const std::string_view l = r.last.empty() ? std::string_view(r.first) : std::string_view(r.last);
    if (!parse_e164(r.first, first) || !parse_e164(l, last)) return false;
    return key_length(first) == key_length(last) && first <= last;
}
}  // namespace

void PolicySnapshotDeleter::operator()(const PolicySnapshot* s) const noexcept { delete s; }

bool check_dest_pattern(std::string_view pattern, std::string* error);  // pattern_matcher.cpp

std::uint32_t PolicySnapshot::find_trunk(std::string_view id) const noexcept {
    const auto it = std::lower_bound(ids_.begin(), ids_.end(), id,
                                     [](const auto& e, std::string_view k) { return e.first < k; });
    return it != ids_.end() && it->first == id ? it->second : kNoTrunk;
}

AccountRef PolicySnapshot::find_account(std::string_view username) const noexcept {
    const auto it =
        std::lower_bound(accounts_.begin(), accounts_.end(), username,
                         [](const auto& e, std::string_view k) { return e.first < k; });
    return it != accounts_.end() && it->first == username ? it->second : AccountRef{};
}

SnapshotBuild build_policy_snapshot(const ConfigSpec& spec, LimitsTable& limits) {
    SnapshotBuild out;
    std::unique_ptr<PolicySnapshot> s(new PolicySnapshot());
    if (!s->dest_.build(spec.policies, spec.countries, &out.error)) return out;

    const std::size_t n = spec.trunks.size();
    s->trunks_.resize(n);
    s->infos_.resize(n);
    s->cid_refs_.resize(n);
    std::vector<Ipv4Lpm::Prefix> lpm;
    std::vector<DidTable::Range> dids;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> cid_ranges;
    std::vector<std::uint64_t> cid_prefixes;
    auto fail = [&](const TrunkSpec& t, const std::string& what) {
        out.error = "trunk '" + t.id + "': " + what;
        return std::move(out);
    };
    for (std::size_t i = 0; i < n; ++i) {
        const TrunkSpec& t = spec.trunks[i];
        const auto ti = static_cast<std::uint32_t>(i);
        TrunkRecord& r = s->trunks_[i];
        r.policy = s->dest_.index_of(t.policy);
        if (r.policy == DestPolicies::kNoPolicy) return fail(t, "unknown policy '" + t.policy + "'");
        r.limits = t.limits;
        r.subnet_begin = static_cast<std::uint32_t>(s->subnets_.size());
        for (const Ipv4Prefix& p : t.subnets) {
            const std::uint8_t len = std::min<std::uint8_t>(p.len, 32);
            const std::uint32_t mask = len == 0 ? 0u : ~0u << (32 - len);
            s->subnets_.push_back({p.addr & mask, mask});
            lpm.push_back({p.addr, len, ti});
        }
        r.subnet_count = static_cast<std::uint32_t>(s->subnets_.size()) - r.subnet_begin;
        if (r.subnet_count != 0) r.subnet_inline = s->subnets_[r.subnet_begin];
        for (const NumberRange& d : t.dids) {
            std::uint64_t f = 0;
            std::uint64_t l = 0;
            if (!range_keys(d, f, l)) return fail(t, "DID '" + d.first + "' is not an E.164 number or range");
            dids.push_back({f, l, ti});
        }
        cid_ranges.clear();
        cid_prefixes.clear();
        for (const NumberRange& c : t.caller_ids.ranges) {
            std::uint64_t f = 0;
            std::uint64_t l = 0;
            if (!range_keys(c, f, l)) return fail(t, "caller ID '" + c.first + "' is not E.164");
            cid_ranges.emplace_back(f, l);
        }
        for (const std::string& p : t.caller_ids.prefixes) {
            std::uint64_t k = 0;
            if (!parse_e164(p, k)) return fail(t, "caller-ID prefix '" + p + "' is not E.164");
            cid_prefixes.push_back(k);
        }
        const CallerIdTable::Ref cref = s->caller_ids_.add(cid_ranges, cid_prefixes);
        s->cid_refs_[i] = cref;
        s->caller_ids_.first_range(cref, r.cid_first0, r.cid_last0);
        r.cid_more = cref.range_count > 1 || cref.prefix_count != 0 ? 1 : 0;
        r.cid_from_header = t.caller_id_from_header ? 1 : 0;
        TrunkInfo& info = s->infos_[i];
        info.id = t.id;
        info.primary = t.primary;
        info.secondary = t.secondary;
        info.failover = t.failover;
        info.inbound = t.inbound;
        info.policy_name = t.policy;
    }
    // Limits slots last, once nothing else can fail for a trunk: existing ids keep their slot.
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t slot = limits.bind(spec.trunks[i].id);
        if (slot == kNoLimitSlot) return fail(spec.trunks[i], "limits table full");
        s->trunks_[i].limit_slot = slot;
    }
    s->lpm_.build(std::move(lpm));
    s->dids_.build(std::move(dids));
    for (const std::string& e : spec.sip.emergency_numbers) {
        std::uint64_t k = 0;
        if (parse_short_code(e, k)) s->emergency_.push_back(k);
    }
    // Views into infos_, which no longer moves.
    s->ids_.reserve(n);
    s->accounts_.reserve(2 * n);
    for (std::size_t i = 0; i < n; ++i) {
        const auto ti = static_cast<std::uint32_t>(i);
        s->ids_.emplace_back(s->infos_[i].id, ti);
        if (!s->infos_[i].primary.username.empty())
            s->accounts_.emplace_back(s->infos_[i].primary.username, AccountRef{ti, AccountRole::primary});
        if (!s->infos_[i].secondary.username.empty())
            s->accounts_.emplace_back(s->infos_[i].secondary.username, AccountRef{ti, AccountRole::secondary});
    }
    std::sort(s->ids_.begin(), s->ids_.end());
    std::sort(s->accounts_.begin(), s->accounts_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    s->sip_ = spec.sip;
    s->core_peers_ = spec.core_peers;
    s->generation_ = g_generation.fetch_add(1, std::memory_order_relaxed) + 1;
    out.snapshot = PolicySnapshotPtr(s.release());
    return out;
}

PolicySummary summarize(const PolicySnapshot& s) noexcept {
    PolicySummary p;
    p.generation = s.generation_;
    p.trunks = s.trunk_count();
    p.policies = static_cast<std::uint32_t>(s.dest_.size());
    p.hs_databases = static_cast<std::uint32_t>(s.dest_.database_count());
    p.did_ranges = static_cast<std::uint32_t>(s.dids_.size());
    p.trie_nodes = static_cast<std::uint32_t>(s.dest_.trie().node_count());
    p.bytes = s.trunks_.size() * sizeof(TrunkRecord) + s.subnets_.size() * sizeof(SubnetMask) +
              s.lpm_.bytes() + s.dids_.bytes() + s.caller_ids_.bytes() + s.dest_.trie().bytes() + s.dest_.index().bytes();
    return p;
}

// ---- PolicySlot ----

PolicySlot::PolicySlot(std::uint32_t max_readers) : max_readers_(max_readers) {
    const std::size_t size = rte_rcu_qsbr_get_memsize(max_readers);
    const std::size_t rounded = (size + RTE_CACHE_LINE_SIZE - 1) / RTE_CACHE_LINE_SIZE * RTE_CACHE_LINE_SIZE;
    void* mem = std::aligned_alloc(RTE_CACHE_LINE_SIZE, rounded);
    if (mem == nullptr) throw std::bad_alloc();
    qsbr_ = static_cast<rte_rcu_qsbr*>(mem);
    if (rte_rcu_qsbr_init(qsbr_, max_readers) != 0) {
        std::free(mem);
        throw std::bad_alloc();
    }
}

PolicySlot::~PolicySlot() {
    delete current_.exchange(nullptr, std::memory_order_acq_rel);
    std::free(qsbr_);
}

bool PolicySlot::register_reader(std::uint32_t id) noexcept {
    if (id >= max_readers_) return false;
    if (rte_rcu_qsbr_thread_register(qsbr_, id) != 0) return false;
    rte_rcu_qsbr_thread_online(qsbr_, id);
    return true;
}

void PolicySlot::unregister_reader(std::uint32_t id) noexcept {
    if (id >= max_readers_) return;
    rte_rcu_qsbr_thread_offline(qsbr_, id);
    rte_rcu_qsbr_thread_unregister(qsbr_, id);
}

void PolicySlot::reader_online(std::uint32_t id) noexcept {
    if (id < max_readers_) rte_rcu_qsbr_thread_online(qsbr_, id);
}

void PolicySlot::reader_offline(std::uint32_t id) noexcept {
    if (id < max_readers_) rte_rcu_qsbr_thread_offline(qsbr_, id);
}

void PolicySlot::quiescent(std::uint32_t id) noexcept { rte_rcu_qsbr_quiescent(qsbr_, id); }

std::uint64_t PolicySlot::publish(PolicySnapshotPtr next) {
    const PolicySnapshot* fresh = next.release();
    const std::uint64_t gen = fresh ? fresh->generation() : 0;
    const PolicySnapshot* old = current_.exchange(fresh, std::memory_order_acq_rel);
    // Every reader that could still hold `old` read it before the swap; once each has reported
    // a quiescent point (or is offline), nobody holds it.
    // rte_rcu_qsbr_synchronize would spin; the control plane may sleep, and on a machine with
    // fewer cores than threads the readers need the core to reach their quiescent point.
    const std::uint64_t token = rte_rcu_qsbr_start(qsbr_);
    for (unsigned spins = 0; rte_rcu_qsbr_check(qsbr_, token, false) == 0; ++spins) {
        if (spins < 64)
            std::this_thread::yield();
        else
            std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
    delete old;
    ++publishes_;
    return gen;
}

ReloadResult reload_policy(PolicySlot& slot, LimitsTable& limits, const ConfigSpec& spec) {
    ReloadResult r;
    SnapshotBuild b = build_policy_snapshot(spec, limits);
    if (!b.snapshot) {
        r.error = std::move(b.error);
        return r;
    }
    r.generation = slot.publish(std::move(b.snapshot));
    std::vector<std::string_view> ids;
    ids.reserve(spec.trunks.size());
    for (const TrunkSpec& t : spec.trunks) ids.emplace_back(t.id);
    limits.retire_except(ids);
    r.reaped = limits.reap();
    r.ok = true;
    return r;
}

}  // namespace palisade::dp
