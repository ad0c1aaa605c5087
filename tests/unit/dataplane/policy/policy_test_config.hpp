// A small validated configuration for the snapshot and decision tests, built in code.
#pragma once

#include <string>

#include "dataplane/contract/config_spec.hpp"

namespace palisade::dp::test {

constexpr std::uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d) {
    return (a << 24) | (b << 16) | (c << 8) | d;
}

inline NumberRange range(std::string a, std::string b = {}) {
    return NumberRange{a, b.empty() ? a : b};
}

inline TrunkSpec trunk(std::string id, std::string policy, Ipv4Prefix subnet) {
    TrunkSpec t;
    t.id = id;
    t.primary.username = id + "-1";
    t.secondary.username = id + "-2";
    t.subnets = {subnet};
    t.policy = std::move(policy);
    return t;
}

/// "acme" (192.0.2.0/24 and 198.51.100.7/32, NL only) and "beta" (203.0.113.0/24, open, sharing
/// 198.51.100.7/32 with acme).
inline ConfigSpec small_config() {
    ConfigSpec c;
    c.countries = {{"NL", {"+31"}}, {"GB", {"+44"}}, {"JE", {"+441534"}}};
    c.sip.emergency_numbers = {"112", "911"};
    c.policies.push_back({"nl-only",
                          {{RuleKind::country, RuleAction::allow, "NL"},
                           {RuleKind::prefix, RuleAction::deny, "+3190"},
                           {RuleKind::pattern, RuleAction::deny, R"(\+3184[0-9]{7})"}},
                          RuleAction::deny});
    c.policies.push_back({"open", {{RuleKind::country, RuleAction::deny, "JE"}}, RuleAction::allow});
    TrunkSpec a = trunk("acme", "nl-only", {ip(192, 0, 2, 0), 24});
    a.subnets.push_back({ip(198, 51, 100, 7), 32});
    a.caller_ids.ranges = {range("+31201234500", "+31201234599")};
    a.caller_ids.prefixes = {"+3130"};
    a.dids = {range("+31205550000", "+31205550099"), range("+31207770000")};
    a.limits.max_concurrent = 2;
    a.limits.attempts_per_second = 100;
    a.limits.calls_per_hour = 1000;
    a.limits.calls_per_day = 1000;
    a.limits.calls_per_week = 1000;
    TrunkSpec b = trunk("beta", "open", {ip(203, 0, 113, 0), 24});
    b.subnets.push_back({ip(198, 51, 100, 7), 32});
    b.caller_ids.ranges = {range("+442071234567")};
    b.dids = {range("+442070000000", "+442070009999")};
    b.failover.action = FailoverAction::forward_number;
    b.failover.target = "+31201234599";
    c.trunks = {a, b};
    return c;
}

}  // namespace palisade::dp::test
