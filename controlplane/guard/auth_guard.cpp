#include "controlplane/guard/auth_guard.hpp"

#include <algorithm>
#include <cstdio>

#include "controlplane/config/validate.hpp"

namespace palisade::cp {

std::string_view block_reason_name(BlockReason r) noexcept {
    return r == BlockReason::username_failures ? "username" : "source";
}

AuthGuard::AuthGuard(dp::LocationTable& location, const AuthGuardSettings& settings)
    : location_(location) {
    configure(settings);
}

void AuthGuard::configure(const AuthGuardSettings& settings) {
    settings_ = settings;
    // Zero would block on nothing or never expire: clamp to the smallest meaningful values
    // (the schema already refuses them; this keeps a hand-built settings struct safe).
    settings_.threshold = std::max<std::uint32_t>(settings_.threshold, 1);
    settings_.window_s = std::max<std::uint32_t>(settings_.window_s, 1);
    settings_.block_s = std::max<std::uint32_t>(settings_.block_s, 1);
    settings_.forbid_after =
        std::clamp<std::uint32_t>(settings_.forbid_after, 1, settings_.threshold);
    settings_.max_tracked = std::max<std::uint32_t>(settings_.max_tracked, 1);
}

void AuthGuard::emit(const std::string& line) const {
    if (log_) {
        log_(line);
    } else {
        std::fprintf(stderr, "palisade: %s\n", line.c_str());
    }
}

std::uint32_t AuthGuard::count_in(const Window& w, std::uint64_t now_s) const noexcept {
    // A failure at t counts while now - t < window (the window is (now - window, now]).
    std::uint32_t n = 0;
    for (auto it = w.times.rbegin(); it != w.times.rend(); ++it) {
        if (now_s >= *it && now_s - *it >= settings_.window_s) break;
        ++n;
    }
    return n;
}

void AuthGuard::add(Window& w, std::uint64_t now_s) {
    while (!w.times.empty() && now_s >= w.times.front() &&
           now_s - w.times.front() >= settings_.window_s)
        w.times.pop_front();
    w.times.push_back(now_s);
    // Only the newest `threshold` times can decide anything.
    while (w.times.size() > settings_.threshold) w.times.pop_front();
}

void AuthGuard::block(std::uint32_t ip, BlockReason reason, std::string_view username,
                      std::uint32_t failures, std::uint64_t now_s) {
    BlockedSource b;
    b.ip = ip;
    b.reason = reason;
    b.username = std::string(username);
    b.failures = failures;
    b.since_s = now_s;
    b.until_s = now_s + settings_.block_s;
    if (!location_.block(ip, b.until_s)) {
        // The workers' list is full: the source keeps reaching us, and should_forbid still
        // answers 403 for it. Counted and logged, never fatal.
        ++counters_.block_refused;
        emit("auth-guard: cannot block " + format_ipv4(ip) + ": blocked list full");
    }
    ++counters_.blocks;
    if (reason == BlockReason::username_failures) ++counters_.blocks_by_username;
    emit("auth-guard: blocked " + format_ipv4(ip) + " for " + std::to_string(settings_.block_s) +
         "s: " + std::to_string(failures) + " failed authentications of the " +
         std::string(block_reason_name(reason)) + " in " + std::to_string(settings_.window_s) +
         "s (username '" + b.username + "')");
    blocked_[ip] = std::move(b);
    // Start the source over: when the block ends it gets the full threshold again.
    by_source_.erase(ip);
}

bool AuthGuard::on_auth_failure(std::uint32_t source_ip, std::string_view username,
                                std::uint64_t now_s) {
    ++counters_.failures;
    if (is_blocked(source_ip, now_s)) {
        // The registrar drops blocked sources before authenticating; a failure reported anyway
        // (a packet in flight when the block started) changes nothing.
        ++counters_.failures_while_blocked;
        return false;
    }
    std::uint32_t by_src = 0;
    auto s = by_source_.find(source_ip);
    if (s == by_source_.end() && by_source_.size() >= settings_.max_tracked) {
        ++counters_.untracked;
    } else {
        Window& w = s != by_source_.end() ? s->second : by_source_[source_ip];
        add(w, now_s);
        by_src = count_in(w, now_s);
    }
    std::uint32_t by_user = 0;
    auto u = by_username_.find(username);
    if (u == by_username_.end() && by_username_.size() >= settings_.max_tracked) {
        ++counters_.untracked;
    } else {
        Window& w = u != by_username_.end()
                        ? u->second
                        : by_username_.emplace(std::string(username), Window{}).first->second;
        add(w, now_s);
        by_user = count_in(w, now_s);
    }
    if (by_src >= settings_.threshold) {
        block(source_ip, BlockReason::source_failures, username, by_src, now_s);
        return true;
    }
    if (by_user >= settings_.threshold) {
        block(source_ip, BlockReason::username_failures, username, by_user, now_s);
        return true;
    }
    return false;
}

void AuthGuard::on_auth_success(std::uint32_t source_ip, std::string_view, std::uint64_t) {
    ++counters_.successes;
    by_source_.erase(source_ip);
}

bool AuthGuard::should_forbid(std::uint32_t source_ip, std::string_view username,
                              std::uint64_t now_s) {
    bool forbid = is_blocked(source_ip, now_s) ||
                  source_failures(source_ip, now_s) >= settings_.forbid_after ||
                  username_failures(username, now_s) >= settings_.forbid_after;
    if (forbid) ++counters_.forbidden;
    return forbid;
}

std::size_t AuthGuard::tick(std::uint64_t now_s) {
    std::size_t lifted = 0;
    for (auto it = blocked_.begin(); it != blocked_.end();) {
        if (now_s >= it->second.until_s) {
            location_.unblock(it->first);
            ++counters_.unblocks;
            ++lifted;
            emit("auth-guard: unblocked " + format_ipv4(it->first) + " (block of " +
                 std::to_string(it->second.until_s - it->second.since_s) + "s ended)");
            it = blocked_.erase(it);
        } else {
            ++it;
        }
    }
    if (now_s >= last_prune_s_ + settings_.window_s) {
        last_prune_s_ = now_s;
        auto stale = [&](const Window& w) {
            return w.times.empty() ||
                   (now_s >= w.times.back() && now_s - w.times.back() >= settings_.window_s);
        };
        std::erase_if(by_source_, [&](const auto& kv) { return stale(kv.second); });
        std::erase_if(by_username_, [&](const auto& kv) { return stale(kv.second); });
    }
    return lifted;
}

bool AuthGuard::unblock(std::uint32_t ip, std::uint64_t) {
    auto it = blocked_.find(ip);
    if (it == blocked_.end()) return false;
    location_.unblock(ip);
    ++counters_.unblocks;
    emit("auth-guard: unblocked " + format_ipv4(ip) + " by the operator");
    blocked_.erase(it);
    return true;
}

bool AuthGuard::is_blocked(std::uint32_t ip, std::uint64_t now_s) const {
    auto it = blocked_.find(ip);
    return it != blocked_.end() && now_s < it->second.until_s;
}

std::uint32_t AuthGuard::source_failures(std::uint32_t ip, std::uint64_t now_s) const {
    auto it = by_source_.find(ip);
    return it == by_source_.end() ? 0 : count_in(it->second, now_s);
}

std::uint32_t AuthGuard::username_failures(std::string_view username, std::uint64_t now_s) const {
    auto it = by_username_.find(username);
    return it == by_username_.end() ? 0 : count_in(it->second, now_s);
}

std::vector<BlockedSource> AuthGuard::blocked() const {
    std::vector<BlockedSource> out;
    out.reserve(blocked_.size());
    for (const auto& [ip, b] : blocked_) out.push_back(b);
    std::sort(out.begin(), out.end(), [](const BlockedSource& a, const BlockedSource& b) {
        return a.since_s != b.since_s ? a.since_s < b.since_s : a.ip < b.ip;
    });
    return out;
}

}  // namespace palisade::cp
