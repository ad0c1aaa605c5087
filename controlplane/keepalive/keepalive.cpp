#include "controlplane/keepalive/keepalive.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include "controlplane/config/validate.hpp"
#include "controlplane/registrar/bindings.hpp"
#include "parsers/sip/builder.hpp"
#include "parsers/sip/message.hpp"
#include "parsers/sip/values.hpp"

namespace palisade::cp {
namespace {

// splitmix64: spreads first probes over the interval from a target's identity.
std::uint64_t mix(std::uint64_t x) noexcept {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

std::string_view state_name(dp::Reachability r) noexcept {
    switch (r) {
        case dp::Reachability::up:
            return "up";
        case dp::Reachability::down:
            return "down";
        case dp::Reachability::unknown:
            break;
    }
    return "unknown";
}

void append_hex(std::string& s, std::uint64_t v) {
    constexpr char kHex[] = "0123456789abcdef";
    for (int shift = 60; shift >= 0; shift -= 4) s += kHex[(v >> shift) & 0xfu];
}

}  // namespace

KeepaliveSettings keepalive_settings(const dp::SipSettings& sip) {
    KeepaliveSettings s;
    s.interval_ms = sip.keepalive_interval_s * 1000u;
    s.timeout_ms = sip.keepalive_timeout_ms;
    s.down_after = sip.keepalive_down_after;
    s.up_after = sip.keepalive_up_after;
    return s;
}

bool to_ring_message(const Datagram& d, dp::RingMessage& m) noexcept {
    if (!m.set_text(d.text)) return false;
    m.kind = dp::RingKind::inject_sip;
    m.port = d.iface;
    m.remote_ip = d.ip;
    m.remote_port = d.port;
    return true;
}

std::size_t build_options(std::span<char> out, std::string_view request_uri, std::uint32_t local_ip,
                          std::uint16_t local_port, std::uint64_t unique) noexcept {
    // The URI goes into the request line and the To header between <>: nothing that could end
    // either (RFC 3261 §25.1 allows none of these in a SIP-URI anyway).
    if (request_uri.empty()) return 0;
    for (char c : request_uri)
        if (c == '\r' || c == '\n' || c == ' ' || c == '<' || c == '>' || c == '\0') return 0;
    try {
        char branch[dp::kBranchMax];
        const std::size_t blen = dp::format_branch(branch, -1, unique);
        const std::string host = format_ipv4(local_ip);
        std::string via = "SIP/2.0/UDP " + host + ":" + std::to_string(local_port) +
                          ";branch=" + std::string(branch, blen) +
                          ";rport";  // RFC 3581 §3: reply to our port
        std::string tag;
        append_hex(tag, mix(unique));
        std::string call_id;
        append_hex(call_id, unique);
        call_id += '@';
        call_id += host;
        std::string to = "<";
        to += request_uri;
        to += '>';
        sip::Builder b(out);
        // RFC 3261 §11.1: an OPTIONS is built like any request (§8.1.1); Accept SHOULD be there.
        b.request_line(sip::Method::options, request_uri)
            .header(sip::HeaderId::via, via)
            .header_uint(sip::HeaderId::max_forwards, 70)
            .header(sip::HeaderId::from, "<sip:palisade@" + host + ">;tag=" + tag)
            .header(sip::HeaderId::to, to)
            .header(sip::HeaderId::call_id, call_id)
            .header(sip::HeaderId::cseq, "1 OPTIONS")
            .header(sip::HeaderId::accept, "application/sdp");
        return b.finish();
    } catch (...) {  // std::string allocation: cp code, but the signature promises noexcept
        return 0;
    }
}

bool parse_cp_branch(std::string_view branch, std::uint64_t& unique) noexcept {
    constexpr std::string_view kCp = "-c-";
    if (branch.substr(0, dp::kBranchPrefix.size()) != dp::kBranchPrefix) return false;
    std::string_view rest = branch.substr(dp::kBranchPrefix.size() - 1);  // the prefix ends in '-'
    if (rest.substr(0, kCp.size()) != kCp) return false;
    rest.remove_prefix(kCp.size());
    if (rest.empty() || rest.size() > 16) return false;
    std::uint64_t v = 0;
    for (char c : rest) {
        unsigned d;
        if (c >= '0' && c <= '9') {
            d = unsigned(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            d = unsigned(c - 'a' + 10);
        } else {
            return false;  // format_branch writes lower case only
        }
        v = (v << 4) | d;
    }
    unique = v;
    return true;
}

Keepalive::Keepalive(dp::LocationTable& location, dp::PeerHealthTable& peers,
                     FailoverTable* failover, std::uint64_t salt)
    : location_(location), peer_health_(peers), failover_(failover), salt_(salt) {}

void Keepalive::set_settings(const KeepaliveSettings& s) {
    settings_ = s;
    settings_.interval_ms = std::max<std::uint32_t>(settings_.interval_ms, 1);
    settings_.down_after = std::max<std::uint32_t>(settings_.down_after, 1);
    settings_.up_after = std::max<std::uint32_t>(settings_.up_after, 1);
    settings_.max_sends_per_tick = std::max<std::uint32_t>(settings_.max_sends_per_tick, 1);
    settings_.max_timeouts_per_tick = std::max<std::uint32_t>(settings_.max_timeouts_per_tick, 1);
}

void Keepalive::configure(const dp::ConfigSpec& cfg) {
    KeepaliveSettings s = keepalive_settings(cfg.sip);
    s.max_sends_per_tick = settings_.max_sends_per_tick;
    s.max_timeouts_per_tick = settings_.max_timeouts_per_tick;
    set_settings(s);
    interfaces_ = cfg.interfaces;
    std::uint16_t core_iface = 0;
    for (std::size_t i = 0; i < cfg.interfaces.size(); ++i)
        if (cfg.interfaces[i].role == dp::PortRole::core)
            core_iface = static_cast<std::uint16_t>(i);
    bool same = cfg.core_peers.size() == peer_specs_.size();
    for (std::size_t i = 0; same && i < cfg.core_peers.size(); ++i)
        same = cfg.core_peers[i].address == peer_specs_[i].address &&
               cfg.core_peers[i].port == peer_specs_[i].port &&
               cfg.core_peers[i].name == peer_specs_[i].name;
    if (!same || peer_targets_.empty() != cfg.core_peers.empty())
        set_peers(cfg.core_peers, core_iface);
}

void Keepalive::set_peers(std::span<const dp::CorePeerSpec> peers, std::uint16_t core_iface) {
    for (std::uint32_t t : peer_targets_) free_target(t);
    peer_targets_.clear();
    peer_specs_.assign(peers.begin(), peers.end());
    const std::size_t n = std::min(peers.size(), dp::kMaxCorePeers);
    peer_health_.reset(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t t = new_target();
        TargetStatus& st = targets_[t].st;
        st.kind = TargetKind::core_peer;
        st.peer_index = static_cast<std::uint32_t>(i);
        st.ip = peers[i].address;
        st.port = peers[i].port;
        st.iface = core_iface;
        st.name = "sip:" + format_ipv4(peers[i].address) + ":" + std::to_string(peers[i].port);
        st.username = peers[i].name;
        peer_targets_.push_back(t);
        pending_.push_back(t);
    }
}

std::uint32_t Keepalive::new_target() {
    std::uint32_t t;
    if (!free_.empty()) {
        t = free_.back();
        free_.pop_back();
    } else {
        t = static_cast<std::uint32_t>(targets_.size());
        targets_.emplace_back();
    }
    Target& x = targets_[t];
    const std::uint32_t gen = x.gen + 1;
    x = Target{};
    x.gen = gen;
    x.live = true;
    return t;
}

void Keepalive::free_target(std::uint32_t t) {
    Target& x = targets_[t];
    x.live = false;
    ++x.gen;  // heap entries and probes of the old generation are ignored from now on
    x.st = TargetStatus{};
    free_.push_back(t);
}

void Keepalive::push_due(std::uint32_t t, std::uint64_t due_ms) {
    targets_[t].due_ms = due_ms;
    targets_[t].scheduled = true;
    heap_.push_back(Due{due_ms, t, targets_[t].gen});
    std::push_heap(heap_.begin(), heap_.end(), std::greater<Due>{});
}

void Keepalive::set_account_contacts(std::string_view username, std::uint32_t trunk_key,
                                     dp::LocationRole role,
                                     std::span<const dp::LocationTable::ContactInput> contacts) {
    auto it = accounts_.find(username);
    if (it == accounts_.end()) {
        if (contacts.empty()) return;
        it = accounts_.emplace(std::string(username), Account{}).first;
        it->second.trunk_key = trunk_key;
        it->second.role = role;
    }
    Account& a = it->second;
    if (contacts.empty()) {
        // Removal: the account's own trunk and role, whatever the caller passed.
        trunk_key = a.trunk_key;
        role = a.role;
    }
    if ((a.trunk_key != trunk_key || a.role != role) && failover_ != nullptr)
        failover_->set_account(a.trunk_key, a.role, false, false);  // moved by a reload
    a.trunk_key = trunk_key;
    a.role = role;
    std::vector<std::uint32_t> next;
    next.reserve(contacts.size());
    for (const auto& c : contacts) {
        std::uint32_t t = dp::SeqlockMap::kNone;
        for (std::uint32_t old : a.targets)
            if (targets_[old].st.contact_id == c.contact_id) t = old;
        if (t == dp::SeqlockMap::kNone) {
            t = new_target();
            targets_[t].st.kind = TargetKind::contact;
            targets_[t].st.username = std::string(username);
            targets_[t].st.contact_id = c.contact_id;
            pending_.push_back(t);
        }
        TargetStatus& st = targets_[t].st;
        st.ip = c.ip;
        st.port = c.port;
        st.iface = c.iface;
        st.name = c.uri.empty() ? "sip:" + format_ipv4(c.ip) + ":" + std::to_string(c.port)
                                : std::string(c.uri);
        targets_[t].trunk_key = trunk_key;
        targets_[t].role = role;
        next.push_back(t);
    }
    for (std::uint32_t old : a.targets)
        if (std::find(next.begin(), next.end(), old) == next.end()) free_target(old);
    a.targets = std::move(next);
    if (a.targets.empty()) {
        if (failover_ != nullptr) failover_->set_account(trunk_key, role, false, false);
        accounts_.erase(it);
        return;
    }
    account_changed(username);
}

void Keepalive::sync_from_bindings(const BindingStore& store) {
    std::unordered_map<std::string, bool, NameHash, std::equal_to<>> seen;
    std::vector<dp::LocationTable::ContactInput> in;
    for (std::size_t i = 0; i < store.account_count(); ++i) {
        const AccountBindings& a = store.account(static_cast<std::uint32_t>(i));
        in.clear();
        for (std::uint8_t k = 0; k < a.count; ++k) {
            const Binding& b = store.binding(a.ids[k]);
            if (!b.live) continue;
            dp::LocationTable::ContactInput c;
            c.uri = b.uri;
            c.ip = b.ip;
            c.port = b.port;
            c.iface = b.iface;
            c.contact_id = b.contact_id;
            c.expires_at_s = b.expires_at;
            in.push_back(c);
        }
        seen[a.username] = true;
        set_account_contacts(a.username, a.trunk_key, a.role, in);
    }
    std::vector<std::string> gone;
    for (const auto& [name, acc] : accounts_)
        if (seen.find(name) == seen.end()) gone.push_back(name);
    for (const std::string& name : gone)
        set_account_contacts(name, dp::kNoTrunkKey, dp::LocationRole::primary, {});
}

void Keepalive::account_changed(std::string_view username) {
    if (failover_ == nullptr) return;
    auto it = accounts_.find(username);
    if (it == accounts_.end()) return;
    bool reachable = false;
    for (std::uint32_t t : it->second.targets)
        reachable = reachable || targets_[t].st.state != dp::Reachability::down;
    failover_->set_account(it->second.trunk_key, it->second.role, !it->second.targets.empty(),
                           reachable);
}

bool Keepalive::send_probe(std::uint32_t t, std::uint64_t now_ms, const SendFn& send) {
    Target& x = targets_[t];
    if (x.st.iface >= interfaces_.size()) {
        ++counters_.build_failed;
        return false;
    }
    const dp::InterfaceSpec& ifc = interfaces_[x.st.iface];
    const std::uint64_t unique = (++counter_ * 0x9e3779b97f4a7c15ull) ^ salt_;  // a bijection
    std::array<char, 2048> buf;
    const std::size_t n = build_options(buf, x.st.name, ifc.address.addr, ifc.sip_port, unique);
    if (n == 0) {
        ++counters_.build_failed;
        return false;
    }
    Datagram d{x.st.iface, x.st.ip, x.st.port, std::string_view(buf.data(), n)};
    if (!send || !send(d)) {
        ++counters_.send_failed;
        return false;
    }
    ++counters_.sent;
    ++x.st.sent;
    x.st.probing = true;
    probes_[unique] = Probe{t, x.gen, now_ms};
    deadlines_.push_back(Deadline{now_ms + settings_.timeout_ms, unique});
    return true;
}

std::size_t Keepalive::tick(std::uint64_t now_ms, const SendFn& send) {
    // New targets: first probe at a fixed offset within one interval.
    for (std::uint32_t t : pending_)
        if (targets_[t].live && !targets_[t].scheduled) {
            const TargetStatus& st = targets_[t].st;
            const std::uint64_t key =
                st.kind == TargetKind::core_peer
                    ? (0xc0ull << 56) | st.peer_index
                    : (std::uint64_t(st.contact_id) << 32) ^ std::hash<std::string>{}(st.username);
            push_due(t, now_ms + mix(key ^ salt_) % settings_.interval_ms);
        }
    pending_.clear();

    // Timeouts first: a target whose probe just expired is then free to be probed again.
    std::uint32_t budget = settings_.max_timeouts_per_tick;
    while (!deadlines_.empty() && deadlines_.front().at_ms <= now_ms) {
        if (budget == 0) {
            ++counters_.deferred_ticks;
            break;
        }
        --budget;
        const std::uint64_t unique = deadlines_.front().unique;
        deadlines_.pop_front();
        auto p = probes_.find(unique);
        if (p == probes_.end()) continue;  // answered
        const Probe probe = p->second;
        probes_.erase(p);
        if (probe.target < targets_.size() && targets_[probe.target].gen == probe.gen &&
            targets_[probe.target].live) {
            ++counters_.timeouts;
            targets_[probe.target].st.probing = false;
            record(probe.target, false, now_ms);
        }
    }

    std::size_t sent = 0;
    budget = settings_.max_sends_per_tick;
    while (!heap_.empty() && heap_.front().due_ms <= now_ms) {
        const Due d = heap_.front();
        Target& x = targets_[d.target];
        if (!x.live || x.gen != d.gen || x.due_ms != d.due_ms) {  // stale entry
            std::pop_heap(heap_.begin(), heap_.end(), std::greater<Due>{});
            heap_.pop_back();
            continue;
        }
        if (budget == 0) {
            ++counters_.deferred_ticks;
            break;
        }
        --budget;
        std::pop_heap(heap_.begin(), heap_.end(), std::greater<Due>{});
        heap_.pop_back();
        if (x.st.probing) {
            ++counters_.skipped_busy;
        } else if (send_probe(d.target, now_ms, send)) {
            ++sent;
        }
        // Keep the target's phase; after a long stall, start again from now rather than burst.
        std::uint64_t next = d.due_ms + settings_.interval_ms;
        if (next <= now_ms) next = now_ms + settings_.interval_ms;
        push_due(d.target, next);
    }
    return sent;
}

void Keepalive::record(std::uint32_t t, bool answered, std::uint64_t now_ms) {
    TargetStatus& st = targets_[t].st;
    const dp::Reachability before = st.state;
    if (answered) {
        ++st.answered;
        ++st.answered_run;
        st.missed_run = 0;
        if (st.state == dp::Reachability::unknown ||
            (st.state == dp::Reachability::down && st.answered_run >= settings_.up_after))
            st.state = dp::Reachability::up;
    } else {
        ++st.missed;
        ++st.missed_run;
        st.answered_run = 0;
        if (st.state != dp::Reachability::down && st.missed_run >= settings_.down_after)
            st.state = dp::Reachability::down;
    }
    if (st.state == before) return;
    st.last_change_ms = now_ms;
    ++st.changes;
    if (st.state == dp::Reachability::up) ++counters_.went_up;
    if (st.state == dp::Reachability::down) ++counters_.went_down;
    std::string line = "keepalive: ";
    if (st.kind == TargetKind::core_peer) {
        line += "core peer " + st.username + " (" + format_ipv4(st.ip) + ":" +
                std::to_string(st.port) + ")";
    } else {
        line += "contact " + st.username + " id " + std::to_string(st.contact_id) + " " + st.name +
                " at " + format_ipv4(st.ip) + ":" + std::to_string(st.port);
    }
    line += ' ';
    line += state_name(before);
    line += " -> ";
    line += state_name(st.state);
    line += " after ";
    line += std::to_string(answered ? st.answered_run : st.missed_run);
    line += answered ? " answered" : " missed";
    line += " (sent " + std::to_string(st.sent) + ", answered " + std::to_string(st.answered) +
            ", missed " + std::to_string(st.missed) + ")";
    if (log_) {
        log_(line);
    } else {
        std::fprintf(stderr, "palisade: %s\n", line.c_str());
    }
    if (st.kind == TargetKind::core_peer) {
        peer_health_.set(st.peer_index, st.state);
    } else {
        // False when the registrar removed the contact in between: nothing to mark then.
        location_.set_reachability(st.username, st.contact_id, st.state);
        const std::string username = st.username;
        account_changed(username);
    }
}

ResponseMatch Keepalive::on_response(const dp::RingMessage& m, std::uint64_t now_ms) {
    return on_response(m.text(), m.remote_ip, m.remote_port, now_ms);
}

ResponseMatch Keepalive::on_response(std::string_view datagram, std::uint32_t src_ip, std::uint16_t,
                                     std::uint64_t now_ms) {
    sip::Message msg;
    if (msg.parse(datagram) != sip::ParseStatus::ok || msg.is_request()) {
        ++counters_.malformed;
        return ResponseMatch::malformed;
    }
    std::string_view top;
    for (std::string_view v : msg.values(sip::HeaderId::via)) {
        top = v;
        break;
    }
    sip::Via via;
    if (top.empty() || sip::parse_via(top, via) != sip::Reason::none || via.branch.empty()) {
        ++counters_.malformed;
        return ResponseMatch::malformed;
    }
    std::uint64_t unique = 0;
    auto p = parse_cp_branch(via.branch, unique) ? probes_.find(unique) : probes_.end();
    if (p == probes_.end()) {
        ++counters_.unmatched;
        return ResponseMatch::not_ours;
    }
    const Probe probe = p->second;
    if (probe.target >= targets_.size() || targets_[probe.target].gen != probe.gen ||
        !targets_[probe.target].live) {
        probes_.erase(p);  // its target is gone
        ++counters_.unmatched;
        return ResponseMatch::not_ours;
    }
    // The branch is not secret from the path, but an off-path host cannot guess it; still, only
    // the probed address may answer (a NATed PBX answers from the address it registered from).
    if (src_ip != targets_[probe.target].st.ip) {
        ++counters_.wrong_source;
        return ResponseMatch::wrong_source;
    }
    probes_.erase(p);
    ++counters_.answered;
    targets_[probe.target].st.probing = false;
    record(probe.target, true, now_ms);
    return ResponseMatch::matched;
}

std::optional<TargetStatus> Keepalive::contact_status(std::string_view username,
                                                      std::uint32_t contact_id) const {
    auto it = accounts_.find(username);
    if (it == accounts_.end()) return std::nullopt;
    for (std::uint32_t t : it->second.targets)
        if (targets_[t].st.contact_id == contact_id) return targets_[t].st;
    return std::nullopt;
}

std::optional<TargetStatus> Keepalive::peer_status(std::uint32_t index) const {
    if (index >= peer_targets_.size()) return std::nullopt;
    return targets_[peer_targets_[index]].st;
}

std::vector<TargetStatus> Keepalive::targets() const {
    std::vector<TargetStatus> out;
    for (const Target& t : targets_)
        if (t.live) out.push_back(t.st);
    return out;
}

}  // namespace palisade::cp
