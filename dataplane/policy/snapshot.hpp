// The immutable policy snapshot as the data plane reads it (contract/policy_snapshot.hpp has
// the control plane's view: build, publish, read). Everything a worker needs to decide a call,
// in flat arrays; never modified after build; freed only after every worker passed a quiescent
// point (RCU). The live counters are NOT here (contract/limits.hpp): a reload never resets them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dataplane/contract/config_spec.hpp"
#include "dataplane/contract/limits.hpp"
#include "dataplane/contract/policy_snapshot.hpp"
#include "dataplane/policy/dest_policy.hpp"
#include "dataplane/policy/huge_alloc.hpp"
#include "dataplane/policy/lookups.hpp"

namespace palisade::dp {

inline constexpr std::uint32_t kNoTrunk = 0xffffffffu;

/// Which of a trunk's two accounts authenticated.
enum class AccountRole : std::uint8_t { primary, secondary };

/// A subnet as (network, mask) for a one-AND test.
struct SubnetMask {
    std::uint32_t net;
    std::uint32_t mask;
};

/// The fields of a trunk every outbound decision reads, in ONE cache line: the first subnet and
/// the first caller-ID interval inline (what a typical trunk needs, at no further cache miss),
/// and the limits. At 100,000 trunks the records miss the caches on every call, and a second
/// line was a second miss per decision (bench/policy_bench.cpp BM_Outbound*). The rest of the
/// caller-ID set is PolicySnapshot::caller_id_ref(t), read only when cid_more is set.
struct alignas(64) TrunkRecord {
    std::uint32_t limit_slot = kNoLimitSlot;  // LimitsTable slot (stable across reloads)
    std::uint32_t policy = 0;                 // index into DestPolicies
    std::uint32_t subnet_begin = 0;           // all subnets, in PolicySnapshot's subnet array
    std::uint32_t subnet_count : 30 = 0;
    std::uint32_t cid_more : 1 = 0;           // caller IDs beyond [cid_first0, cid_last0]
    std::uint32_t cid_from_header : 1 = 0;    // TrunkSpec::caller_id_from_header
    SubnetMask subnet_inline{};               // the first subnet
    std::uint64_t cid_first0 = 1;             // the first caller-ID interval (empty: first > last)
    std::uint64_t cid_last0 = 0;
    LimitsSpec limits;
};
static_assert(sizeof(TrunkRecord) == 64);

/// The rest of a trunk, read rarely (digest, inbound routing, CLI).
struct TrunkInfo {
    std::string id;
    AccountSpec primary;
    AccountSpec secondary;
    FailoverSpec failover;
    InboundMode inbound = InboundMode::primary_first;
    std::string policy_name;
};

/// An account found by username.
struct AccountRef {
    std::uint32_t trunk = kNoTrunk;
    AccountRole role = AccountRole::primary;
};

class PolicySnapshot {
public:
    /// Monotonic build number (process-wide), also the Hyperscan scratch key.
    [[nodiscard]] std::uint64_t generation() const noexcept { return generation_; }
    [[nodiscard]] std::uint32_t trunk_count() const noexcept {
        return static_cast<std::uint32_t>(trunks_.size());
    }
    /// Hot record of trunk `t` (t < trunk_count()).
    [[nodiscard]] const TrunkRecord& trunk(std::uint32_t t) const noexcept { return trunks_[t]; }
    /// Cold details of trunk `t`.
    [[nodiscard]] const TrunkInfo& info(std::uint32_t t) const noexcept { return infos_[t]; }
    /// Trunk index of `id`, or kNoTrunk. cp / slow path.
    [[nodiscard]] std::uint32_t find_trunk(std::string_view id) const noexcept;
    /// The account with this username, if any (digest: which trunk and which account).
    [[nodiscard]] AccountRef find_account(std::string_view username) const noexcept;

    /// True when trunk `t` allows source `addr` (host order): one AND and compare per subnet.
    [[nodiscard]] bool source_allowed(std::uint32_t t, std::uint32_t addr) const noexcept {
        const TrunkRecord& r = trunks_[t];
        if (r.subnet_count == 0) return false;
        if ((addr & r.subnet_inline.mask) == r.subnet_inline.net) return true;
        const SubnetMask* s = subnets_.data() + r.subnet_begin;
        for (std::uint32_t i = 1; i < r.subnet_count; ++i)
            if ((addr & s[i].mask) == s[i].net) return true;
        return false;
    }
    /// True when the number key is one of trunk `t`'s caller IDs.
    [[nodiscard]] bool caller_id_allowed(std::uint32_t t, std::uint64_t key) const noexcept {
        const TrunkRecord& r = trunks_[t];
        if (r.cid_first0 <= key && key <= r.cid_last0) return true;
        if (!r.cid_more) return false;
        return caller_ids_.contains(cid_refs_[t], key);
    }
    /// Trunk `t`'s whole caller-ID set in caller_ids().
    [[nodiscard]] const CallerIdTable::Ref& caller_id_ref(std::uint32_t t) const noexcept {
        return cid_refs_[t];
    }
    /// True when the number key is one of the configured emergency short codes.
    [[nodiscard]] bool is_emergency(std::uint64_t short_key) const noexcept {
        for (const std::uint64_t k : emergency_)
            if (k == short_key) return true;
        return false;
    }

    [[nodiscard]] const Ipv4Lpm& sources() const noexcept { return lpm_; }
    [[nodiscard]] const DidTable& dids() const noexcept { return dids_; }
    [[nodiscard]] const CallerIdTable& caller_ids() const noexcept { return caller_ids_; }
    [[nodiscard]] const DestPolicies& destinations() const noexcept { return dest_; }
    [[nodiscard]] const SipSettings& sip() const noexcept { return sip_; }
    [[nodiscard]] const std::vector<CorePeerSpec>& core_peers() const noexcept { return core_peers_; }
    [[nodiscard]] const SubnetMask* subnet_data(std::uint32_t begin) const noexcept {
        return subnets_.data() + begin;
    }

private:
    friend SnapshotBuild build_policy_snapshot(const ConfigSpec& spec, LimitsTable& limits);
    friend PolicySummary summarize(const PolicySnapshot& s) noexcept;
    std::uint64_t generation_ = 0;
    HugeVector<TrunkRecord> trunks_;
    std::vector<CallerIdTable::Ref> cid_refs_;  // per trunk, cold
    std::vector<TrunkInfo> infos_;
    std::vector<SubnetMask> subnets_;
    std::vector<std::uint64_t> emergency_;
    std::vector<std::pair<std::string_view, AccountRef>> accounts_;  // sorted by username
    std::vector<std::pair<std::string_view, std::uint32_t>> ids_;    // sorted by id
    Ipv4Lpm lpm_;
    DidTable dids_;
    CallerIdTable caller_ids_;
    DestPolicies dest_;
    SipSettings sip_;
    std::vector<CorePeerSpec> core_peers_;
};

}  // namespace palisade::dp
