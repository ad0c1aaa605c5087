// Value checks used by the schema's setters, and the semantic checks that need the whole file:
// duplicates, overlaps, references between sections, consistency of related settings.
// Every check reports and carries on, so that one run shows every error. cp only.
#include "controlplane/config/validate.hpp"

#include <hs/hs.h>

#include "dataplane/contract/policy_snapshot.hpp"

#include <algorithm>
#include <charconv>
#include <unordered_map>

namespace palisade::cp {
namespace {

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string q(std::string_view s) {
    return "'" + std::string(s) + "'";
}

std::string line_ref(Pos p) {
    return p.line == 0 ? std::string() : " (line " + std::to_string(p.line) + ")";
}
std::string at_line(Pos p) {
    return p.line == 0 ? std::string() : " at line " + std::to_string(p.line);
}

std::string range_text(const dp::NumberRange& r) {
    return r.first == r.last ? r.first : r.first + "-" + r.last;
}

const char* kE164Rule = "('+' then 1 to 15 digits, the first not 0)";

}  // namespace

bool is_e164(std::string_view s) noexcept {
    // ITU-T E.164: at most 15 digits; country codes never start with 0.
    return s.size() >= 2 && s.size() <= 16 && s[0] == '+' && s[1] >= '1' && s[1] <= '9' &&
           all_digits(s.substr(1));
}

std::string parse_number_range(std::string_view s, dp::NumberRange& out) {
    const auto dash = s.find('-');
    if (dash == std::string_view::npos) {
        if (!is_e164(s)) return q(s) + " is not an E.164 number " + kE164Rule;
        out.first = out.last = std::string(s);
        return {};
    }
    const std::string_view a = s.substr(0, dash), b = s.substr(dash + 1);
    if (!is_e164(a)) return "range " + q(s) + ": " + q(a) + " is not an E.164 number " + kE164Rule;
    if (!is_e164(b)) return "range " + q(s) + ": " + q(b) + " is not an E.164 number " + kE164Rule;
    if (a.size() != b.size())
        return "range " + q(s) + " has ends of different lengths (" + std::to_string(a.size() - 1) +
               " and " + std::to_string(b.size() - 1) + " digits)";
    if (a > b) return "range " + q(s) + " is reversed: its first number is above its last";
    out.first = std::string(a);
    out.last = std::string(b);
    return {};
}

std::string check_prefix(std::string_view s) {
    if (s.empty() || s == "+") return "empty prefix: it would match every number";
    if (s[0] != '+') return "prefix " + q(s) + " must start with '+' (E.164)";
    if (!all_digits(s.substr(1))) return "prefix " + q(s) + " must be '+' and digits only";
    if (s[1] == '0')
        return "prefix " + q(s) + " cannot start with 0 after '+' (no E.164 country code does)";
    if (s.size() > 16) return "prefix " + q(s) + " is longer than an E.164 number (15 digits)";
    return {};
}

bool parse_ipv4(std::string_view s, std::uint32_t& out) noexcept {
    std::uint32_t a = 0;
    for (int i = 0; i < 4; ++i) {
        const auto dot = i < 3 ? s.find('.') : s.size();
        if (dot == std::string_view::npos) return false;
        const std::string_view part = s.substr(0, dot);
        // No leading zeros: "010" reads as octal in some tools, decimal in others.
        if (part.empty() || part.size() > 3 || !all_digits(part) ||
            (part.size() > 1 && part[0] == '0'))
            return false;
        unsigned v = 0;
        std::from_chars(part.data(), part.data() + part.size(), v);
        if (v > 255) return false;
        a = (a << 8) | v;
        s = i < 3 ? s.substr(dot + 1) : std::string_view();
    }
    out = a;
    return true;
}

std::string format_ipv4(std::uint32_t a) {
    return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) + "." +
           std::to_string((a >> 8) & 0xff) + "." + std::to_string(a & 0xff);
}

namespace {

std::string parse_prefix_text(std::string_view s, dp::Ipv4Prefix& out, bool need_len) {
    const auto slash = s.find('/');
    if (slash == std::string_view::npos && need_len)
        return q(s) + " needs a prefix length, e.g. \"10.0.0.1/24\"";
    const std::string_view addr = s.substr(0, slash);
    unsigned len = 32;
    if (slash != std::string_view::npos) {
        const std::string_view l = s.substr(slash + 1);
        if (!all_digits(l) || l.size() > 2) return q(s) + " has no valid prefix length (0 to 32)";
        std::from_chars(l.data(), l.data() + l.size(), len);
        if (len > 32) return q(s) + " has no valid prefix length (0 to 32)";
    }
    if (!parse_ipv4(addr, out.addr)) return q(s) + " is not an IPv4 address or CIDR prefix";
    out.len = static_cast<std::uint8_t>(len);
    return {};
}

}  // namespace

std::string parse_cidr(std::string_view s, dp::Ipv4Prefix& out) {
    std::string err = parse_prefix_text(s, out, false);
    if (!err.empty()) return err;
    const std::uint32_t mask = out.len == 0 ? 0 : ~std::uint32_t{0} << (32 - out.len);
    if ((out.addr & ~mask) != 0) {
        return q(s) + " has host bits set; did you mean " + format_ipv4(out.addr & mask) + "/" +
               std::to_string(out.len) + "?";
    }
    return {};
}

std::string parse_interface_address(std::string_view s, dp::Ipv4Prefix& out) {
    std::string err = parse_prefix_text(s, out, true);
    if (!err.empty()) return err;
    if (out.len == 0 || out.addr == 0) return q(s) + " is not a usable interface address";
    if (out.len <= 30) {
        const std::uint32_t mask = ~std::uint32_t{0} << (32 - out.len);
        if ((out.addr & ~mask) == 0) return q(s) + " is the subnet's network address, not a host";
        if ((out.addr & ~mask) == ~mask)
            return q(s) + " is the subnet's broadcast address, not a host";
    }
    return {};
}

std::string check_pattern(std::string_view s) {
    if (s.empty()) return "empty pattern: it would match every number";
    // Compile the text as written first (HS_FLAG_SINGLEMATCH, block mode), so that Hyperscan's
    // message and offsets refer to what the operator wrote; then ask the policy engine to check it
    // exactly as its snapshot builder compiles it (anchored, its flags), so that a snapshot build
    // never fails on a validated file.
    const std::string as_written(s);
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile(as_written.c_str(), HS_FLAG_SINGLEMATCH, HS_MODE_BLOCK, nullptr, &db, &err) !=
        HS_SUCCESS) {
        std::string msg =
            "pattern " + q(s) + " does not compile: " +
            (err != nullptr && err->message != nullptr ? err->message : "unknown Hyperscan error");
        hs_free_compile_error(err);
        return msg;
    }
    hs_free_database(db);
    std::string engine_error;
    if (!dp::check_dest_pattern(s, &engine_error))
        return "pattern " + q(s) + " is refused by the policy engine: " + engine_error;
    return {};
}

std::string parse_duration(std::string_view s, std::string_view unit, std::int64_t& out) {
    std::size_t i = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    const std::string_view num = s.substr(0, i), suffix = s.substr(i);
    std::int64_t factor_ms = 0;
    if (suffix == "ms")
        factor_ms = 1;
    else if (suffix == "s")
        factor_ms = 1000;
    else if (suffix == "m")
        factor_ms = 60'000;
    else if (suffix == "h")
        factor_ms = 3'600'000;
    else if (suffix == "d")
        factor_ms = 86'400'000;
    if (num.empty() || num.size() > 9 || factor_ms == 0)
        return "\"" + std::string(s) +
               "\" is not a duration: write an integer and a unit, e.g. \"30s\" (units ms, s, m, "
               "h, d)";
    std::int64_t n = 0;
    std::from_chars(num.data(), num.data() + num.size(), n);
    const std::int64_t ms = n * factor_ms;
    if (unit == "ms") {
        out = ms;
    } else {
        if (ms % 1000 != 0) return "\"" + std::string(s) + "\" is not a whole number of seconds";
        out = ms / 1000;
    }
    return {};
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

namespace {

void check_interfaces(LoadContext& ctx) {
    const auto& ifs = ctx.cfg.interfaces;
    const auto& src = ctx.src.interfaces;
    // No [[interfaces]] at all is reported by the walker; "interfaces = []" here.
    if (ifs.empty() && ctx.src.scalars.count("interfaces") == 0) return;
    const Pos list_pos = ctx.src.scalar("interfaces", ctx.src.root);
    int first_of_role[2] = {-1, -1};
    for (std::size_t i = 0; i < ifs.size(); ++i) {
        const int r = ifs[i].role == dp::PortRole::access ? 0 : 1;
        if (first_of_role[r] >= 0) {
            ctx.error(src[i].role.line != 0 ? src[i].role : src[i].table,
                      "interfaces[" + std::to_string(i) + "]: a second interface with role " +
                          (r == 0 ? "access" : "core") + "; the first is interfaces[" +
                          std::to_string(first_of_role[r]) + "]" +
                          at_line(src[std::size_t(first_of_role[r])].table) +
                          ", and this release has one access and one core port");
        } else {
            first_of_role[r] = int(i);
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (!ifs[i].device.empty() && ifs[i].device == ifs[j].device)
                ctx.error(src[i].table, "interfaces[" + std::to_string(i) + "]: device " +
                                            q(ifs[i].device) + " is already used by interfaces[" +
                                            std::to_string(j) + "]" + line_ref(src[j].table));
        }
        const dp::InterfaceSpec& f = ifs[i];
        if (f.gateway != 0 && f.address.len != 0) {
            const std::uint32_t mask = ~std::uint32_t{0} << (32 - f.address.len);
            if ((f.gateway & mask) != (f.address.addr & mask)) {
                ctx.error(src[i].gateway, "interfaces[" + std::to_string(i) +
                                              "].gateway: " + format_ipv4(f.gateway) +
                                              " is outside the interface's subnet " +
                                              format_ipv4(f.address.addr & mask) + "/" +
                                              std::to_string(f.address.len));
            } else if (f.gateway == f.address.addr) {
                ctx.error(src[i].gateway, "interfaces[" + std::to_string(i) +
                                              "].gateway: is the interface's own address");
            }
        }
    }
    if (first_of_role[0] < 0) ctx.error(list_pos, "interfaces: no interface with role access");
    if (first_of_role[1] < 0) ctx.error(list_pos, "interfaces: no interface with role core");
}

void check_core_peers(LoadContext& ctx) {
    const auto& peers = ctx.cfg.core_peers;
    if (peers.empty() && ctx.src.scalars.count("core_peers") != 0)
        ctx.error(ctx.src.scalars["core_peers"], "core_peers: at least one core peer is needed");
    for (std::size_t i = 0; i < peers.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (peers[i].address != 0 && peers[i].address == peers[j].address &&
                peers[i].port == peers[j].port) {
                ctx.error(ctx.src.core_peers[i], "core_peers[" + std::to_string(i) +
                                                     "]: " + format_ipv4(peers[i].address) + ":" +
                                                     std::to_string(peers[i].port) +
                                                     " is also core_peers[" + std::to_string(j) +
                                                     "]" + line_ref(ctx.src.core_peers[j]));
            } else if (peers[i].name == peers[j].name && !peers[i].name.empty()) {
                ctx.error(ctx.src.core_peers[i],
                          "core_peers[" + std::to_string(i) + "]: name " + q(peers[i].name) +
                              " is also used by core_peers[" + std::to_string(j) + "]" +
                              line_ref(ctx.src.core_peers[j]));
            }
        }
    }
}

void check_sip(LoadContext& ctx) {
    const dp::SipSettings& s = ctx.cfg.sip;
    const Pos sip = ctx.src.scalar("sip", ctx.src.root);
    auto at = [&](const char* key) { return ctx.src.scalar(std::string("sip.") + key, sip); };
    if (s.t1_ms > s.t2_ms)
        ctx.error(at("t1"), "sip.t1 (" + std::to_string(s.t1_ms) + "ms) must not exceed sip.t2 (" +
                                std::to_string(s.t2_ms) + "ms) (RFC 3261 §17.1.2.2)");
    // RFC 4028 §4: Min-SE and Session-Expires are at least 90 s. Only tests may go below.
    if (!s.test_allow_short_session_timers) {
        if (s.session_expires_s < 90)
            ctx.error(at("session_expires"),
                      "sip.session_expires: " + std::to_string(s.session_expires_s) +
                          "s is below RFC 4028's minimum of 90s (allowed only with "
                          "sip.test_allow_short_session_timers = true)");
        if (s.min_se_s < 90)
            ctx.error(at("min_se"), "sip.min_se: " + std::to_string(s.min_se_s) +
                                        "s is below RFC 4028's minimum of 90s (allowed only with "
                                        "sip.test_allow_short_session_timers = true)");
    }
    if (s.min_se_s > s.session_expires_s)
        ctx.error(at("min_se"), "sip.min_se (" + std::to_string(s.min_se_s) +
                                    "s) must not exceed sip.session_expires (" +
                                    std::to_string(s.session_expires_s) + "s)");
    if (s.register_expires_min_s > s.register_expires_default_s)
        ctx.error(at("register_expires_min"),
                  "sip.register_expires_min (" + std::to_string(s.register_expires_min_s) +
                      "s) must not exceed sip.register_expires_default (" +
                      std::to_string(s.register_expires_default_s) + "s)");
    if (s.register_expires_default_s > s.register_expires_max_s)
        ctx.error(at("register_expires_default"),
                  "sip.register_expires_default (" + std::to_string(s.register_expires_default_s) +
                      "s) must not exceed sip.register_expires_max (" +
                      std::to_string(s.register_expires_max_s) + "s)");
    if (std::uint64_t{s.keepalive_timeout_ms} >= std::uint64_t{s.keepalive_interval_s} * 1000)
        ctx.error(at("keepalive_timeout"), "sip.keepalive_timeout (" +
                                               std::to_string(s.keepalive_timeout_ms) +
                                               "ms) must be shorter than sip.keepalive_interval (" +
                                               std::to_string(s.keepalive_interval_s) + "s)");
}

void check_trunks(LoadContext& ctx) {
    const auto& trunks = ctx.cfg.trunks;
    const auto& src = ctx.src.trunks;
    auto tsrc = [&](std::size_t i) -> const TrunkSource& {
        static const TrunkSource kNone;
        return i < src.size() ? src[i] : kNone;
    };

    std::unordered_map<std::string_view, std::size_t> policies;
    for (std::size_t i = 0; i < ctx.cfg.policies.size(); ++i) {
        const std::string& name = ctx.cfg.policies[i].name;
        policies.emplace(name, i);
        const bool ok =
            !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_';
            });
        if (!ok && i < ctx.src.policies.size())
            ctx.error(
                ctx.src.policies[i],
                "policies: " + q(name) + " is not a policy name (1 to 64 of A-Z a-z 0-9 - _)");
    }

    std::unordered_map<std::string_view, std::size_t> ids;
    struct UserRef {
        std::size_t trunk;
        int account;
    };
    std::unordered_map<std::string_view, UserRef> users;
    ids.reserve(trunks.size());
    users.reserve(trunks.size() * 2);
    for (std::size_t i = 0; i < trunks.size(); ++i) {
        const dp::TrunkSpec& t = trunks[i];
        const TrunkSource& ts = tsrc(i);
        const std::string name = "trunks[" + std::to_string(i) + "]";
        if (!t.id.empty()) {
            auto [it, fresh] = ids.emplace(t.id, i);
            if (!fresh)
                ctx.error(ts.id, name + ".id: duplicate trunk id " + q(t.id) + ", first" +
                                     at_line(tsrc(it->second).id));
        }
        const dp::AccountSpec* accounts[2] = {&t.primary, &t.secondary};
        for (int a = 0; a < 2; ++a) {
            const std::string& u = accounts[a]->username;
            if (u.empty()) continue;
            auto [it, fresh] = users.emplace(u, UserRef{i, a});
            if (!fresh) {
                const UserRef& o = it->second;
                ctx.error(ts.user[a], name + (a == 0 ? ".primary" : ".secondary") +
                                          ".username: " + q(u) + " is already the " +
                                          (o.account == 0 ? "primary" : "secondary") +
                                          " username of trunk " + q(trunks[o.trunk].id) +
                                          line_ref(tsrc(o.trunk).user[o.account]));
            }
        }
        if (!t.policy.empty() && policies.count(t.policy) == 0) {
            std::string msg = name + ".policy: unknown policy " + q(t.policy) + " (no [policies." +
                              t.policy + "])";
            std::string_view best;
            std::size_t best_d = ~std::size_t{0};
            for (const auto& p : ctx.cfg.policies) {
                const std::size_t d = edit_distance(t.policy, p.name);
                if (d < best_d) {
                    best_d = d;
                    best = p.name;
                }
            }
            if (!best.empty() && best_d <= std::max<std::size_t>(2, t.policy.size() / 3))
                msg += "; did you mean " + q(best) + "?";
            ctx.error(ts.policy.line != 0 ? ts.policy : ts.table, msg);
        }
        // A larger limit over a shorter window than over a longer one can never bind: most
        // likely a typo (a digit too many), so it is an error rather than a warning.
        const dp::LimitsSpec& l = t.limits;
        if (l.calls_per_hour > l.calls_per_day)
            ctx.error(ts.limits,
                      name + ".limits: calls_per_hour (" + std::to_string(l.calls_per_hour) +
                          ") is above calls_per_day (" + std::to_string(l.calls_per_day) +
                          "), so it could never be reached");
        if (l.calls_per_day > l.calls_per_week)
            ctx.error(ts.limits,
                      name + ".limits: calls_per_day (" + std::to_string(l.calls_per_day) +
                          ") is above calls_per_week (" + std::to_string(l.calls_per_week) +
                          "), so it could never be reached");
    }

    // DIDs: one sort of every range over all trunks, then a sweep; ranges of different lengths
    // never overlap (numbers of different lengths are different numbers), and equal-length
    // digit strings compare like the numbers they write. O(n log n) for 100,000 trunks.
    struct DidRef {
        const dp::NumberRange* r;
        std::uint32_t trunk;
        std::uint32_t index;
    };
    std::vector<DidRef> all;
    for (std::size_t i = 0; i < trunks.size(); ++i)
        for (std::size_t j = 0; j < trunks[i].dids.size(); ++j)
            all.push_back(DidRef{&trunks[i].dids[j], std::uint32_t(i), std::uint32_t(j)});
    std::sort(all.begin(), all.end(), [](const DidRef& a, const DidRef& b) {
        if (a.r->first.size() != b.r->first.size()) return a.r->first.size() < b.r->first.size();
        if (a.r->first != b.r->first) return a.r->first < b.r->first;
        if (a.r->last != b.r->last) return a.r->last < b.r->last;
        if (a.trunk != b.trunk) return a.trunk < b.trunk;
        return a.index < b.index;
    });
    auto did_pos = [&](const DidRef& d) {
        const TrunkSource& ts = tsrc(d.trunk);
        return d.index < ts.dids.size() ? ts.dids[d.index] : ts.table;
    };
    std::size_t reach = 0;  // the range reaching furthest so far, of the current length
    for (std::size_t k = 1; k < all.size(); ++k) {
        const DidRef& cur = all[k];
        const DidRef& far = all[reach];
        if (cur.r->first.size() != far.r->first.size() || cur.r->first > far.r->last) {
            reach = k;
            continue;
        }
        // Report at whichever of the two comes later in the file, so messages read top-down.
        const bool cur_later = did_pos(cur).line >= did_pos(far).line;
        const DidRef& late = cur_later ? cur : far;
        const DidRef& early = cur_later ? far : cur;
        const std::string late_name = "trunks[" + std::to_string(late.trunk) + "].dids";
        const std::string late_what = late.r->first == late.r->last ? "DID " : "DID range ";
        if (late.trunk == early.trunk) {
            ctx.error(did_pos(late), late_name + ": " + late_what + range_text(*late.r) +
                                         " overlaps " + range_text(*early.r) +
                                         line_ref(did_pos(early)) + " of the same trunk");
        } else {
            ctx.error(did_pos(late), late_name + ": " + late_what + range_text(*late.r) +
                                         " overlaps " + range_text(*early.r) + " of trunk " +
                                         q(trunks[early.trunk].id) + line_ref(did_pos(early)));
        }
        if (cur.r->last > far.r->last) reach = k;
    }
}

void check_policies(LoadContext& ctx) {
    // The same match written twice in one policy is redundant (same action) or contradictory
    // (allow and deny): the engine would let deny win silently, so the operator hears of it.
    for (std::size_t p = 0; p < ctx.cfg.policies.size(); ++p) {
        const dp::DestPolicySpec& pol = ctx.cfg.policies[p];
        const std::vector<Pos>* pos = p < ctx.src.rules.size() ? &ctx.src.rules[p] : nullptr;
        auto at = [&](std::size_t r) {
            return pos != nullptr && r < pos->size() ? (*pos)[r] : Pos{};
        };
        std::unordered_map<std::string, std::size_t> seen;
        for (std::size_t r = 0; r < pol.rules.size(); ++r) {
            const dp::DestRule& rule = pol.rules[r];
            if (rule.value.empty()) continue;  // already reported
            std::string key(1, char('0' + int(rule.kind)));
            key += rule.value;
            auto [it, fresh] = seen.emplace(std::move(key), r);
            if (fresh) continue;
            const dp::DestRule& first = pol.rules[it->second];
            const std::string name = "policies." + pol.name + ".rules[" + std::to_string(r) + "]";
            const std::string other =
                "rules[" + std::to_string(it->second) + "]" + line_ref(at(it->second));
            if (first.action == rule.action)
                ctx.error(at(r), name + ": repeats " + other);
            else
                ctx.error(at(r), name + ": contradicts " + other +
                                     ": the same match cannot both allow and deny");
        }
    }
}

}  // namespace

void validate_semantics(LoadContext& ctx) {
    check_interfaces(ctx);
    check_core_peers(ctx);
    check_sip(ctx);
    check_policies(ctx);
    check_trunks(ctx);
}

}  // namespace palisade::cp
