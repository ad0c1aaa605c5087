#include "controlplane/keepalive/failover.hpp"

#include <cstdio>

namespace palisade::cp {

std::string_view failover_mode_name(dp::FailoverMode m) noexcept {
    switch (m) {
        case dp::FailoverMode::automatic:
            return "auto";
        case dp::FailoverMode::primary:
            return "primary";
        case dp::FailoverMode::secondary:
            return "secondary";
        case dp::FailoverMode::dialplan:
            return "dialplan";
    }
    return "auto";
}

bool parse_failover_mode(std::string_view word, dp::FailoverMode& out) noexcept {
    if (word == "auto") {
        out = dp::FailoverMode::automatic;
    } else if (word == "primary") {
        out = dp::FailoverMode::primary;
    } else if (word == "secondary") {
        out = dp::FailoverMode::secondary;
    } else if (word == "dialplan") {
        out = dp::FailoverMode::dialplan;
    } else {
        return false;
    }
    return true;
}

std::string FailoverTable::trunk_name(std::uint32_t trunk_key) const {
    std::string name = namer_ ? namer_(trunk_key) : std::string();
    if (name.empty()) return "trunk key " + std::to_string(trunk_key);
    return "trunk " + name;
}

void FailoverTable::update(std::uint32_t trunk_key, TrunkFailover& t, std::string_view why) {
    const bool p = t.primary_registered && t.primary_reachable;
    const bool s = t.secondary_registered && t.secondary_reachable;
    dp::FailoverMode effective;
    dp::FailoverMode published;
    if (t.setting != dp::FailoverMode::automatic) {
        effective = published = t.setting;
    } else if (p) {
        effective = dp::FailoverMode::primary;
        published = dp::FailoverMode::automatic;  // keeps per-call fallback to the secondary
    } else if (s) {
        effective = published = dp::FailoverMode::secondary;
    } else {
        effective = published = dp::FailoverMode::dialplan;
    }
    if (effective != t.effective) {
        const dp::FailoverMode before = t.effective;
        t.effective = effective;
        ++t.changes;
        ++counters_.changes;
        if (effective == dp::FailoverMode::primary) ++counters_.to_primary;
        if (effective == dp::FailoverMode::secondary) ++counters_.to_secondary;
        if (effective == dp::FailoverMode::dialplan) ++counters_.to_dialplan;
        std::string line =
            "failover: " + trunk_name(trunk_key) + " " + std::string(failover_mode_name(before)) +
            " -> " + std::string(failover_mode_name(effective)) + " (" + std::string(why) +
            "; setting " + std::string(failover_mode_name(t.setting)) + ", primary " +
            (t.primary_registered ? "registered" : "unregistered") +
            (t.primary_registered ? (t.primary_reachable ? " up" : " down") : "") + ", secondary " +
            (t.secondary_registered ? "registered" : "unregistered") +
            (t.secondary_registered ? (t.secondary_reachable ? " up" : " down") : "") + ")";
        if (log_) {
            log_(line);
        } else {
            std::fprintf(stderr, "palisade: %s\n", line.c_str());
        }
    }
    if (published != t.published) {
        if (location_.set_failover(trunk_key, published)) {
            t.published = published;
        } else {
            ++counters_.publish_refused;
        }
    }
}

void FailoverTable::set_account(std::uint32_t trunk_key, dp::LocationRole role, bool registered,
                                bool reachable) {
    auto [it, fresh] = trunks_.try_emplace(trunk_key);
    TrunkFailover& t = it->second;
    bool& reg = role == dp::LocationRole::primary ? t.primary_registered : t.secondary_registered;
    bool& up = role == dp::LocationRole::primary ? t.primary_reachable : t.secondary_reachable;
    if (!fresh && reg == registered && up == reachable) return;
    const char* why = reg != registered ? (registered ? "registered" : "unregistered")
                                        : (reachable ? "reachable" : "unreachable");
    reg = registered;
    up = reachable;
    const std::string reason =
        std::string(role == dp::LocationRole::primary ? "primary " : "secondary ") + why;
    update(trunk_key, t, reason);
}

bool FailoverTable::force(std::uint32_t trunk_key, dp::FailoverMode setting) {
    // Check the key first: a refused key must change nothing.
    if (!location_.set_failover(trunk_key, location_.failover_state(trunk_key))) return false;
    TrunkFailover& t = trunks_[trunk_key];
    if (t.setting == setting) return true;
    const dp::FailoverMode before = t.setting;
    t.setting = setting;
    ++counters_.forced;
    const std::string line = "failover: " + trunk_name(trunk_key) + " setting " +
                             std::string(failover_mode_name(before)) + " -> " +
                             std::string(failover_mode_name(setting)) + " (operator)";
    if (log_) {
        log_(line);
    } else {
        std::fprintf(stderr, "palisade: %s\n", line.c_str());
    }
    update(trunk_key, t, "operator");
    return true;
}

void FailoverTable::remove(std::uint32_t trunk_key) {
    if (trunks_.erase(trunk_key) != 0)
        location_.set_failover(trunk_key, dp::FailoverMode::automatic);
}

TrunkFailover FailoverTable::get(std::uint32_t trunk_key) const {
    auto it = trunks_.find(trunk_key);
    return it == trunks_.end() ? TrunkFailover{} : it->second;
}

}  // namespace palisade::cp
