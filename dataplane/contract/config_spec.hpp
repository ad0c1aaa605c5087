// The validated configuration, as plain values: what the control plane's loader produces from
// the TOML file (controlplane/config/) and what the data plane builds its snapshots and ports
// from. Nothing here is read on the packet path: workers read the immutable snapshots built from
// it (policy/snapshot.hpp), never this.
//
// Ownership: built by the control plane (cp only); passed by const reference to snapshot and
// port builders. Every key of the file maps to one field here; the schema that declares the keys,
// their defaults and units is controlplane/config/schema.cpp, documented in
// conf/palisade.example.toml.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace palisade::dp {

/// An IPv4 prefix, address in host byte order. len 32 is a single host.
struct Ipv4Prefix {
    std::uint32_t addr = 0;
    std::uint8_t len = 32;
    friend bool operator==(const Ipv4Prefix&, const Ipv4Prefix&) = default;
};

/// [dpdk]: EAL and worker settings.
struct EalSpec {
    std::vector<std::string> args;  // extra EAL arguments, e.g. "--no-huge", "-m", "1024"
    std::string lcores = "0-1";     // EAL -l: first is the control plane, the rest are workers
    std::uint32_t mbuf_count = 8191;     // per pool
    std::uint32_t mbuf_cache = 256;
    std::uint32_t mbuf_data_room = 2048 + 128;  // bytes, RTE_PKTMBUF_HEADROOM included
    std::uint32_t idle_backoff_us = 0;   // worker sleep after an empty poll; 0 = busy poll (production)
    std::uint32_t ring_size = 4096;      // handoff, punt and inject rings, per worker
};

enum class PortRole : std::uint8_t { access, core };

/// [[interfaces]]: one DPDK port each.
struct InterfaceSpec {
    std::string name;            // "access", "core", or an operator's label
    PortRole role = PortRole::access;
    std::string device;          // PCI address ("0000:03:00.0") or vdev ("net_af_packet0,iface=x")
    Ipv4Prefix address;          // our address and the subnet's prefix length
    std::uint32_t gateway = 0;   // 0 = none (peers on-link)
    std::uint16_t sip_port = 5060;
    std::uint16_t mtu = 1500;
};

/// [[core_peers]]: carrier softswitches, tried by priority (lower first), then weight.
struct CorePeerSpec {
    std::string name;
    std::uint32_t address = 0;   // host byte order
    std::uint16_t port = 5060;
    std::uint16_t priority = 1;
    std::uint16_t weight = 1;
};

enum class UnknownSourcePolicy : std::uint8_t { drop, reject };  // drop = silent, counted

/// [sip]: protocol settings shared by every trunk.
struct SipSettings {
    std::string realm = "palisade";
    std::string nonce_secret;                 // hex or text; shared by every worker (and node)
    std::uint32_t nonce_lifetime_s = 300;
    std::uint32_t t1_ms = 500;                // RFC 3261 §17 timers
    std::uint32_t t2_ms = 4000;
    std::uint32_t t4_ms = 5000;
    std::uint32_t invite_timeout_ms = 32000;  // no provisional response in time -> next target
    std::uint32_t session_expires_s = 1800;   // RFC 4028, inserted when the PBX set none
    std::uint32_t min_se_s = 90;
    bool test_allow_short_session_timers = false;  // only tests may go below 90 s
    std::uint32_t keepalive_interval_s = 30;
    std::uint32_t keepalive_timeout_ms = 2000;
    std::uint32_t keepalive_down_after = 3;   // missed OPTIONS before a contact is down
    std::uint32_t keepalive_up_after = 2;     // answered OPTIONS before it is up again
    std::uint32_t register_expires_min_s = 60;
    std::uint32_t register_expires_default_s = 3600;
    std::uint32_t register_expires_max_s = 7200;
    UnknownSourcePolicy unknown_source = UnknownSourcePolicy::drop;
    std::vector<std::string> emergency_numbers{"112", "911"};
    std::vector<std::string> in_dialog_methods;  // beyond ACK, BYE, INVITE, CANCEL, e.g. "INFO"
};

enum class DigestAlgorithm : std::uint8_t { md5, sha256 };

/// One SIP account of a trunk. Credentials are HA1 only: a password in the file is turned into
/// HA1 by the loader and never kept.
struct AccountSpec {
    std::string username;
    std::string ha1_md5;      // lower-case hex, empty when MD5 is not allowed
    std::string ha1_sha256;   // lower-case hex, empty when SHA-256 is not allowed
    std::vector<DigestAlgorithm> algorithms{DigestAlgorithm::sha256, DigestAlgorithm::md5};
};

/// A number or an inclusive range of E.164 numbers ("+31201234500" to "+31201234599"): both ends
/// have a leading '+' and the same number of digits. A single number has first == last.
struct NumberRange {
    std::string first;
    std::string last;
};

enum class RuleAction : std::uint8_t { allow, deny };
enum class RuleKind : std::uint8_t { country, prefix, pattern };

/// One destination rule. value: an ISO 3166-1 alpha-2 code (country), an E.164 prefix with '+'
/// (prefix), or a regular expression over the whole E.164 number including '+' (pattern).
struct DestRule {
    RuleKind kind = RuleKind::prefix;
    RuleAction action = RuleAction::deny;
    std::string value;
};

/// [policies.NAME]: a destination policy, shared by any number of trunks.
struct DestPolicySpec {
    std::string name;
    std::vector<DestRule> rules;
    RuleAction default_action = RuleAction::deny;
};

/// Caller IDs a trunk may present: exact numbers and ranges, and prefixes.
struct CallerIdSpec {
    std::vector<NumberRange> ranges;
    std::vector<std::string> prefixes;
};

enum class FailoverAction : std::uint8_t { forward_number, forward_uri, reject };

/// What happens to an inbound call the PBX cannot take.
struct FailoverSpec {
    FailoverAction action = FailoverAction::reject;
    std::string target;               // E.164 number (forward_number) or SIP URI (forward_uri)
    std::uint16_t reject_code = 480;  // reject
    std::string reject_reason = "Temporarily Unavailable";
};

enum class InboundMode : std::uint8_t { primary_first, alternate };

/// Per-trunk limits; every one is > 0 once validated.
struct LimitsSpec {
    std::uint32_t max_concurrent = 10;
    std::uint32_t attempts_per_second = 5;
    std::uint32_t calls_per_hour = 100;
    std::uint32_t calls_per_day = 1000;
    std::uint32_t calls_per_week = 5000;
    std::uint32_t max_duration_s = 14400;
};

/// [[trunks]]: one customer.
struct TrunkSpec {
    std::string id;
    AccountSpec primary;
    AccountSpec secondary;
    std::vector<Ipv4Prefix> subnets;
    std::vector<NumberRange> dids;
    CallerIdSpec caller_ids;
    std::string policy;               // name of a DestPolicySpec
    LimitsSpec limits;
    FailoverSpec failover;
    InboundMode inbound = InboundMode::primary_first;
    // Caller ID from the From user when neither P-Asserted-Identity nor Remote-Party-ID is
    // present (UAs that cannot add a header, e.g. baresip 1.0); still E.164 and still checked
    // against caller_ids. False: DESIGN.md §4 (PAI, else RPID, required).
    bool caller_id_from_header = false;
};

/// Country data: ISO code to the E.164 prefixes (with '+') that belong to it
/// (conf/countries.tsv, loaded by the control plane).
struct CountrySpec {
    std::string iso;
    std::vector<std::string> prefixes;
};

/// The whole validated file.
struct ConfigSpec {
    EalSpec eal;
    std::vector<InterfaceSpec> interfaces;
    std::vector<CorePeerSpec> core_peers;
    SipSettings sip;
    std::vector<DestPolicySpec> policies;
    std::vector<TrunkSpec> trunks;
    std::vector<CountrySpec> countries;  // resolved from the country data file
};

}  // namespace palisade::dp
