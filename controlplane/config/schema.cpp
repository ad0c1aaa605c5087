// The schema: every configuration key, once. To add a key: add a field to dp::ConfigSpec
// (dataplane/contract/config_spec.hpp) or cp::Settings (loader.hpp), add one row below with its
// setter, and document it in conf/palisade.example.toml (config_test checks that the example
// carries the row's key_comment() and sets the key).
//
// Units: durations are strings with a unit ("500ms", "30s", "5m", "4h", "1d"), converted to the
// row's unit (ms or s); a duration that is not a whole number of the row's unit is an error.
// Plain counts and sizes are integers.
#include "controlplane/config/schema.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <unordered_map>

#include "controlplane/config/validate.hpp"
#include "parsers/sip/digest.hpp"

namespace palisade::cp {
namespace {

using dp::DigestAlgorithm;
using K = ValueKind;

std::uint32_t u32(std::int64_t v) {
    return static_cast<std::uint32_t>(v);
}
std::uint16_t u16(std::int64_t v) {
    return static_cast<std::uint16_t>(v);
}
std::string str(const toml::node& n) {
    return std::string(n.as_string()->get());
}

std::string quoted(std::string_view s) {
    std::string out = "'";
    out += s;
    out += '\'';
    return out;
}

void noop(LoadContext&, std::string_view, const toml::node&, std::int64_t) {}

// ---- [dpdk]

void set_lcores(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    // EAL -l syntax: "0-3" or "0,2,4" or "0-1,4-5". At least two: the control plane and a worker.
    std::string s = str(n);
    std::size_t count = 0;
    bool ok = !s.empty();
    std::size_t i = 0;
    while (ok && i < s.size()) {
        auto num = [&](unsigned& v) {
            std::size_t start = i;
            v = 0;
            while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 5)
                v = v * 10 + unsigned(s[i++] - '0');
            return i > start;
        };
        unsigned a = 0, b = 0;
        if (!num(a)) {
            ok = false;
            break;
        }
        b = a;
        if (i < s.size() && s[i] == '-') {
            ++i;
            if (!num(b) || b < a) {
                ok = false;
                break;
            }
        }
        count += b - a + 1;
        if (i < s.size()) {
            if (s[i] != ',') {
                ok = false;
                break;
            }
            ++i;
            if (i == s.size()) ok = false;
        }
    }
    if (!ok) {
        c.error(
            n, c.display + ": " + quoted(s) + " is not an lcore list such as \"0-1\" or \"0,2,4\"");
    } else if (count < 2) {
        c.error(n, c.display +
                       ": needs at least 2 lcores (the control plane and one worker), found " +
                       std::to_string(count));
    }
    c.cfg.eal.lcores = s;
}

void set_ring_size(LoadContext& c, std::string_view, const toml::node& n, std::int64_t v) {
    if ((v & (v - 1)) != 0) {
        std::int64_t up = 1;
        while (up < v) up <<= 1;
        c.error(n, c.display + ": must be a power of two (rte_ring), found " + std::to_string(v) +
                       "; did you mean " + std::to_string(up) + "?");
    }
    c.cfg.eal.ring_size = u32(v);
}

// ---- [[interfaces]]

void enter_interface(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    c.iface = &c.cfg.interfaces.emplace_back();
    c.iface_src = &c.src.interfaces.emplace_back();
    c.iface_src->table = pos_of(n);
}

void set_iface_role(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    c.iface->role = str(n) == "core" ? dp::PortRole::core : dp::PortRole::access;
    c.iface_src->role = pos_of(n);
}

void set_iface_address(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    std::string err = parse_interface_address(str(n), c.iface->address);
    if (!err.empty()) c.error(n, c.display + ": " + err);
}

void set_iface_gateway(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    std::string s = str(n);
    c.iface_src->gateway = pos_of(n);
    if (s.empty()) return;  // none: peers on-link
    if (!parse_ipv4(s, c.iface->gateway) || c.iface->gateway == 0)
        c.error(n, c.display + ": " + quoted(s) + " is not an IPv4 address");
}

// ---- [[core_peers]]

void enter_peer(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    c.peer = &c.cfg.core_peers.emplace_back();
    c.src.core_peers.push_back(pos_of(n));
}

void set_peer_address(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    std::string s = str(n);
    if (!parse_ipv4(s, c.peer->address) || c.peer->address == 0)
        c.error(n, c.display + ": " + quoted(s) + " is not an IPv4 address");
}

// ---- [sip]

void set_nonce_secret(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    std::string s = str(n);
    // Nonces are HMACs under this secret (DESIGN.md §4): a short secret is guessable.
    if (s.size() < 16)
        c.error(n,
                c.display + ": must be at least 16 characters, found " + std::to_string(s.size()));
    c.cfg.sip.nonce_secret = std::move(s);
}

void set_realm(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    std::string s = str(n);
    // The realm is sent in a quoted-string (RFC 3261 §25.1) and hashed into HA1 as is.
    bool ok = !s.empty() && std::none_of(s.begin(), s.end(), [](char ch) {
        return ch == '"' || ch == '\\' || static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f;
    });
    if (!ok)
        c.error(n, c.display +
                       ": must be non-empty, without quotes, backslashes or control characters");
    c.cfg.sip.realm = std::move(s);
}

void set_emergency(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    c.cfg.sip.emergency_numbers.clear();
    for (const toml::node& e : *n.as_array()) {
        std::string s = str(e);
        // Emergency numbers are national short codes dialled without '+' (112, 911, 999, 15).
        bool ok = s.size() >= 2 && s.size() <= 6 &&
                  std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
        if (!ok) {
            c.error(e, c.display + ": " + quoted(s) +
                           " is not a short emergency code (2 to 6 digits, no '+')");
            continue;
        }
        if (std::find(c.cfg.sip.emergency_numbers.begin(), c.cfg.sip.emergency_numbers.end(), s) !=
            c.cfg.sip.emergency_numbers.end()) {
            c.error(e, c.display + ": " + quoted(s) + " is listed twice");
            continue;
        }
        c.cfg.sip.emergency_numbers.push_back(std::move(s));
    }
}

void set_in_dialog_methods(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    auto& out = c.cfg.sip.in_dialog_methods;
    out.clear();
    for (const toml::node& e : *n.as_array()) {
        std::string s = str(e);
        bool token = !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char ch) {
            return ch >= 'A' && ch <= 'Z';
        });
        if (!token) {
            c.error(e, c.display + ": " + quoted(s) +
                           " is not a SIP method name in capitals (e.g. \"INFO\")");
            continue;
        }
        if (s == "ACK" || s == "BYE" || s == "INVITE" || s == "CANCEL") {
            c.error(e,
                    c.display + ": " + s + " is always allowed in a dialog; list only the others");
            continue;
        }
        if (s == "REGISTER") {
            c.error(e, c.display + ": REGISTER is never sent within a dialog (RFC 3261 §10.2)");
            continue;
        }
        if (std::find(out.begin(), out.end(), s) != out.end()) {
            c.error(e, c.display + ": " + quoted(s) + " is listed twice");
            continue;
        }
        out.push_back(std::move(s));
    }
}

// ---- [policies.NAME]

void enter_policy(LoadContext& c, std::string_view key, const toml::node& n, std::int64_t) {
    c.policy = &c.cfg.policies.emplace_back();
    c.policy->name = std::string(key);
    c.src.policies.push_back(pos_of(n));
    c.src.rules.emplace_back();
}

void enter_rule(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    c.rule = &c.policy->rules.emplace_back();
    c.src.rules.back().push_back(pos_of(n));
    const toml::table& t = *n.as_table();
    std::vector<std::string_view> kinds;
    for (std::string_view k : {"country", "prefix", "pattern"})
        if (t.contains(k)) kinds.push_back(k);
    if (kinds.empty()) {
        c.error(n, c.display + ": a rule needs one of country, prefix or pattern");
    } else if (kinds.size() > 1) {
        c.error(n, c.display + ": a rule has one of country, prefix or pattern, found both " +
                       std::string(kinds[0]) + " and " + std::string(kinds[1]) +
                       "; write one rule for each");
    }
}

void set_rule_action(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    c.rule->action = str(n) == "allow" ? dp::RuleAction::allow : dp::RuleAction::deny;
}

void set_rule_country(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    c.rule->kind = dp::RuleKind::country;
    c.rule->value = str(n);
    if (!c.countries_loaded) return;  // the country file's own error is reported
    if (c.country_isos.count(c.rule->value) != 0) return;
    std::string upper = c.rule->value;
    for (char& ch : upper) ch = static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
    std::string msg = c.display + ": unknown country code " + quoted(c.rule->value) +
                      " (ISO 3166-1 alpha-2, as in the country data)";
    if (upper != c.rule->value && c.country_isos.count(upper) != 0)
        msg += "; did you mean " + quoted(upper) + "?";
    c.error(n, msg);
}

void set_rule_prefix(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    c.rule->kind = dp::RuleKind::prefix;
    c.rule->value = str(n);
    std::string err = check_prefix(c.rule->value);
    if (!err.empty()) c.error(n, c.display + ": " + err);
}

void set_rule_pattern(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    c.rule->kind = dp::RuleKind::pattern;
    c.rule->value = str(n);
    auto it = c.pattern_checks.find(c.rule->value);
    if (it == c.pattern_checks.end())
        it = c.pattern_checks.emplace(c.rule->value, check_pattern(c.rule->value)).first;
    if (!it->second.empty()) c.error(n, c.display + ": " + it->second);
}

void set_policy_default(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    c.policy->default_action = str(n) == "allow" ? dp::RuleAction::allow : dp::RuleAction::deny;
}

// ---- [[trunks]]

void enter_trunk(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    c.trunk = &c.cfg.trunks.emplace_back();
    c.trunk_src = &c.src.trunks.emplace_back();
    c.trunk_src->table = pos_of(n);
    c.trunk_src->limits = pos_of(n);
}

void set_trunk_id(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    std::string s = str(n);
    c.trunk_src->id = pos_of(n);
    // Ids appear in CLI output, call records and file names: keep them to a safe alphabet.
    bool ok = !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
               ch == '-' || ch == '_' || ch == '.';
    });
    if (!ok)
        c.error(n,
                c.display + ": " + quoted(s) + " is not a trunk id (1 to 64 of A-Z a-z 0-9 - _ .)");
    c.trunk->id = std::move(s);
}

template <int kIndex>
void enter_account(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    c.account = kIndex == 0 ? &c.trunk->primary : &c.trunk->secondary;
    c.account_index = kIndex;
    c.trunk_src->user[kIndex] = pos_of(n);
    // Credentials: a password (turned into HA1 by the loader), or the HA1 of every allowed
    // algorithm, never both.
    const toml::table& t = *n.as_table();
    const bool pw = t.contains("password");
    const bool md5 = t.contains("ha1_md5");
    const bool sha = t.contains("ha1_sha256");
    bool want_md5 = true, want_sha = true;
    if (const toml::array* algs = t["algorithms"].as_array()) {
        want_md5 = want_sha = false;
        for (const toml::node& a : *algs) {
            if (const auto* s = a.as_string()) {
                want_md5 = want_md5 || s->get() == "md5";
                want_sha = want_sha || s->get() == "sha256";
            }
        }
    }
    if (pw && (md5 || sha)) {
        c.error(n, c.display + ": give either password or ha1_md5/ha1_sha256, not both");
    } else if (!pw && !md5 && !sha) {
        c.error(n, c.display + ": needs credentials: password, or ha1_md5 and/or ha1_sha256");
    } else if (!pw) {
        if (want_md5 && !md5)
            c.error(n, c.display + ": algorithms include md5 but ha1_md5 is missing");
        if (want_sha && !sha)
            c.error(n, c.display + ": algorithms include sha256 but ha1_sha256 is missing");
        if (md5 && !want_md5)
            c.error(n, c.display + ": ha1_md5 is given but md5 is not in algorithms");
        if (sha && !want_sha)
            c.error(n, c.display + ": ha1_sha256 is given but sha256 is not in algorithms");
    }
}

void set_username(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    std::string s = str(n);
    c.trunk_src->user[c.account_index] = pos_of(n);
    // The username is hashed into HA1 with ':' separators (RFC 2617 §3.2.2.2) and sent
    // quoted: no ':', quotes, backslashes, spaces or controls.
    bool ok = !s.empty() && s.size() <= 128 && std::none_of(s.begin(), s.end(), [](char ch) {
        return ch == ':' || ch == '"' || ch == '\\' || ch == ' ' ||
               static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f;
    });
    if (!ok)
        c.error(
            n, c.display + ": " + quoted(s) +
                   " is not a username (1 to 128 characters, no ':', quotes, backslashes, spaces)");
    c.account->username = std::move(s);
}

void set_password(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    std::string s = str(n);
    if (s.empty()) {
        c.error(n, c.display + ": must not be empty");
        return;
    }
    c.passwords.push_back(PendingPassword{c.cfg.trunks.size() - 1, c.account_index, std::move(s)});
}

template <std::size_t kLen>
void set_ha1(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    std::string s = str(n);
    bool ok =
        s.size() == kLen && std::all_of(s.begin(), s.end(), [](char ch) {
            return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
        });
    if (!ok) {
        c.error(n, c.display + ": must be " + std::to_string(kLen) + " hexadecimal digits, found " +
                       std::to_string(s.size()) + " characters");
        return;
    }
    for (char& ch : s) ch = static_cast<char>(ch >= 'A' && ch <= 'F' ? ch + 32 : ch);
    (kLen == sip::kMd5HexLen ? c.account->ha1_md5 : c.account->ha1_sha256) = std::move(s);
}

void set_algorithms(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    auto& out = c.account->algorithms;
    out.clear();
    for (const toml::node& e : *n.as_array()) {
        std::string s = str(e);
        DigestAlgorithm a;
        if (s == "sha256") {
            a = DigestAlgorithm::sha256;
        } else if (s == "md5") {
            a = DigestAlgorithm::md5;
        } else {
            std::string msg = c.display + ": unknown digest algorithm " + quoted(s) +
                              "; use \"sha256\" or \"md5\"";
            c.error(e, msg);
            continue;
        }
        if (std::find(out.begin(), out.end(), a) != out.end()) {
            c.error(e, c.display + ": " + quoted(s) + " is listed twice");
            continue;
        }
        out.push_back(a);
    }
    if (n.as_array()->empty()) c.error(n, c.display + ": must list at least one algorithm");
}

void set_subnets(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    auto& out = c.trunk->subnets;
    std::vector<const toml::node*> nodes;
    if (n.as_array()->empty())
        c.error(n, c.display + ": needs at least one subnet (\"0.0.0.0/0\" allows every source)");
    for (const toml::node& e : *n.as_array()) {
        dp::Ipv4Prefix p;
        std::string err = parse_cidr(str(e), p);
        if (!err.empty()) {
            c.error(e, c.display + ": " + err);
            continue;
        }
        // Within one trunk an overlapping subnet is redundant, and most likely a typo.
        bool bad = false;
        for (std::size_t i = 0; i < out.size() && !bad; ++i) {
            const dp::Ipv4Prefix& q = out[i];
            const std::uint8_t len = std::min(p.len, q.len);
            const std::uint32_t mask = len == 0 ? 0 : ~std::uint32_t{0} << (32 - len);
            if ((p.addr & mask) != (q.addr & mask)) continue;
            const std::string a = format_ipv4(p.addr) + "/" + std::to_string(p.len);
            const std::string b = format_ipv4(q.addr) + "/" + std::to_string(q.len);
            if (p == q) {
                c.error(e, c.display + ": subnet " + a + " is listed twice (line " +
                               std::to_string(pos_of(*nodes[i]).line) + ")");
            } else {
                c.error(e, c.display + ": subnet " + a + " overlaps " + b + " (line " +
                               std::to_string(pos_of(*nodes[i]).line) +
                               ") of the same trunk: redundant");
            }
            bad = true;
        }
        if (bad) continue;
        out.push_back(p);
        nodes.push_back(&e);
    }
}

void set_dids(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    for (const toml::node& e : *n.as_array()) {
        dp::NumberRange r;
        std::string err = parse_number_range(str(e), r);
        if (!err.empty()) {
            c.error(e, c.display + ": " + err);
            continue;
        }
        c.trunk->dids.push_back(std::move(r));
        c.trunk_src->dids.push_back(pos_of(e));
    }
}

void set_caller_ids(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    for (const toml::node& e : *n.as_array()) {
        std::string s = str(e);
        if (!s.empty() && s.back() == '*') {
            // A prefix: "+3120*" is every number that starts with +3120.
            std::string p = s.substr(0, s.size() - 1);
            std::string err = check_prefix(p);
            if (!err.empty()) {
                c.error(e, c.display + ": " + quoted(s) + ": " + err);
                continue;
            }
            c.trunk->caller_ids.prefixes.push_back(std::move(p));
            continue;
        }
        dp::NumberRange r;
        std::string err = parse_number_range(s, r);
        if (!err.empty()) {
            c.error(e, c.display + ": " + err + " (or a prefix such as \"+3120*\")");
            continue;
        }
        c.trunk->caller_ids.ranges.push_back(std::move(r));
    }
}

void set_trunk_policy(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    c.trunk->policy = str(n);
    c.trunk_src->policy = pos_of(n);
}

void enter_limits(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    c.trunk_src->limits = pos_of(n);
}

void enter_failover(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    const toml::table& t = *n.as_table();
    const std::string action = t["action"].value_or(std::string("reject"));
    const toml::node* target = t.get("target");
    const std::string tv = target != nullptr ? target->value_or(std::string()) : std::string();
    if (action == "forward_number") {
        if (target == nullptr)
            c.error(n, c.display + ": action forward_number needs a target number");
        else if (!is_e164(tv))
            c.error(*target,
                    c.display + ".target: " + quoted(tv) +
                        " is not an E.164 number ('+' then 1 to 15 digits, the first not 0)");
    } else if (action == "forward_uri") {
        const bool sip = tv.rfind("sip:", 0) == 0 && tv.size() > 4;
        const bool sips = tv.rfind("sips:", 0) == 0 && tv.size() > 5;
        if (target == nullptr)
            c.error(n, c.display + ": action forward_uri needs a target SIP URI");
        else if (!sip && !sips)
            c.error(*target,
                    c.display + ".target: " + quoted(tv) + " is not a SIP URI (\"sip:user@host\")");
    } else if (action == "reject" && target != nullptr) {
        c.error(*target,
                c.display + ".target: is not used with action reject (code and reason are)");
    }
}

void set_failover_action(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    std::string s = str(n);
    c.trunk->failover.action = s == "forward_number" ? dp::FailoverAction::forward_number
                               : s == "forward_uri"  ? dp::FailoverAction::forward_uri
                                                     : dp::FailoverAction::reject;
}

void set_failover_reason(LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
    std::string s = str(n);
    // A Reason-Phrase (RFC 3261 §25.1): text without CR or LF.
    bool ok = !s.empty() && s.size() <= 128 &&
              std::none_of(s.begin(), s.end(), [](char ch) { return ch == '\r' || ch == '\n'; });
    if (!ok) c.error(n, c.display + ": must be a non-empty reason phrase on one line");
    c.trunk->failover.reject_reason = std::move(s);
}

constexpr std::int64_t kMaxCount = 1'000'000'000;

// The table. Order: parents before children; the example file follows the same order.
constexpr KeyDef kSchema[] = {
    // ---- top level
    {"country_data", K::string, false, "\"countries.tsv\"", "path", 0, 0, "",
     "country data file (ISO code to E.164 prefixes); relative paths are relative to this file's "
     "directory",
     noop},

    // ---- [control]: control-plane paths (used by the CLI server, call records, persistence)
    {"control", K::table, false, "", "", 0, 0, "", "control-plane settings", noop},
    {"control.cli_socket", K::string, false, "\"/run/palisade/palisade.sock\"", "path", 0, 0, "",
     "UNIX socket that palisadectl talks to",
     [](LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
         c.settings.cli_socket = str(n);
     }},
    {"control.cli_group", K::string, false, "\"\"", "", 0, 0, "",
     "group allowed to use the CLI socket besides root (empty: root only)",
     [](LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
         c.settings.cli_group = str(n);
     }},
    {"control.call_records", K::string, false, "\"/var/log/palisade/calls.jsonl\"", "path", 0, 0,
     "", "call record file, one JSON object per ended or refused call",
     [](LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
         c.settings.call_records = str(n);
     }},
    {"control.state_dir", K::string, false, "\"/var/lib/palisade\"", "path", 0, 0, "",
     "directory where registrations and counters persist across restarts",
     [](LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
         c.settings.state_dir = str(n);
     }},

    // ---- [dpdk]
    {"dpdk", K::table, false, "", "", 0, 0, "", "DPDK EAL and worker settings", noop},
    {"dpdk.eal_args", K::string_array, false, "[]", "", 0, 0, "",
     "extra EAL arguments, e.g. [\"--no-huge\", \"-m\", \"512\", \"--no-pci\"]",
     [](LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
         c.cfg.eal.args.clear();
         for (const toml::node& e : *n.as_array()) c.cfg.eal.args.push_back(str(e));
     }},
    {"dpdk.lcores", K::string, false, "\"0-1\"", "", 0, 0, "",
     "EAL -l lcore list; the first runs the control plane, the others are workers", set_lcores},
    {"dpdk.mbuf_count", K::integer, false, "8191", "mbufs", 1023, 16'777'215, "",
     "mbufs per packet pool (best 2^n - 1)",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.cfg.eal.mbuf_count = u32(v);
     }},
    {"dpdk.mbuf_cache", K::integer, false, "256", "mbufs", 0, 512, "", "per-lcore mbuf cache size",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.cfg.eal.mbuf_cache = u32(v);
     }},
    {"dpdk.mbuf_data_room", K::integer, false, "2176", "bytes", 512, 65535, "",
     "mbuf data room including RTE_PKTMBUF_HEADROOM (128)",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.cfg.eal.mbuf_data_room = u32(v);
     }},
    {"dpdk.idle_backoff_us", K::integer, false, "0", "us", 0, 1'000'000, "",
     "worker sleep after an empty poll; 0 = busy poll (production), 100 for tests and demos",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.cfg.eal.idle_backoff_us = u32(v);
     }},
    {"dpdk.ring_size", K::integer, false, "4096", "entries", 64, 1'048'576, "",
     "size of each handoff, punt and inject ring, per worker (a power of two)", set_ring_size},

    // ---- [[interfaces]]
    {"interfaces", K::table_array, true, "", "", 0, 0, "",
     "DPDK ports: exactly one with role access and one with role core", enter_interface},
    {"interfaces[].name", K::string, false, "the role", "", 0, 0, "", "label in logs and the CLI",
     [](LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
         c.iface->name = str(n);
     }},
    {"interfaces[].role", K::enumeration, true, "", "", 0, 0, "access|core",
     "access faces the customers' PBXs, core the carrier's softswitches", set_iface_role},
    {"interfaces[].device", K::string, true, "", "", 0, 0, "",
     "PCI address (\"0000:03:00.0\") or vdev (\"net_af_packet0,iface=pal-acc\")",
     [](LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
         c.iface->device = str(n);
         if (c.iface->device.empty()) c.error(n, c.display + ": must not be empty");
     }},
    {"interfaces[].address", K::string, true, "", "CIDR", 0, 0, "",
     "Palisade's IPv4 address on this port with the subnet's prefix length, \"10.10.1.1/24\"",
     set_iface_address},
    {"interfaces[].gateway", K::string, false, "\"\"", "", 0, 0, "",
     "next hop for destinations outside the subnet; empty = every peer is on-link",
     set_iface_gateway},
    {"interfaces[].sip_port", K::integer, false, "5060", "UDP port", 1, 65535, "",
     "SIP port on this address",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.iface->sip_port = u16(v);
     }},
    {"interfaces[].mtu", K::integer, false, "1500", "bytes", 576, 9216, "",
     "IP MTU; larger datagrams are fragmented",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.iface->mtu = u16(v);
     }},

    // ---- [[core_peers]]
    {"core_peers", K::table_array, true, "", "", 0, 0, "",
     "carrier softswitches, tried by priority (lower first), then by weight", enter_peer},
    {"core_peers[].name", K::string, false, "address:port", "", 0, 0, "",
     "label in logs and the CLI",
     [](LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
         c.peer->name = str(n);
     }},
    {"core_peers[].address", K::string, true, "", "IPv4", 0, 0, "", "the peer's IPv4 address",
     set_peer_address},
    {"core_peers[].port", K::integer, false, "5060", "UDP port", 1, 65535, "",
     "the peer's SIP port",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.peer->port = u16(v);
     }},
    {"core_peers[].priority", K::integer, false, "1", "", 1, 65535, "",
     "lower is tried first; a 503 or timeout moves the call to the next",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.peer->priority = u16(v);
     }},
    {"core_peers[].weight", K::integer, false, "1", "", 1, 65535, "",
     "share of new calls among healthy peers of the same priority",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.peer->weight = u16(v);
     }},

    // ---- [sip]
    {"sip", K::table, true, "", "", 0, 0, "", "SIP settings shared by every trunk", noop},
    {"sip.realm", K::string, false, "\"palisade\"", "", 0, 0, "",
     "digest realm (RFC 7616 §3.3); HA1 of password accounts is computed with it", set_realm},
    {"sip.nonce_secret", K::string, true, "", "", 0, 0, "",
     "secret for nonces, at least 16 characters; the same on every node", set_nonce_secret},
    {"sip.nonce_lifetime", K::duration, false, "\"300s\"", "s", 10, 86400, "",
     "a nonce older than this is stale (a new challenge with stale=true)",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.cfg.sip.nonce_lifetime_s = u32(v);
     }},
    {"sip.t1", K::duration, false, "\"500ms\"", "ms", 10, 10000, "",
     "RFC 3261 §17 T1, round-trip estimate",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.cfg.sip.t1_ms = u32(v);
     }},
    {"sip.t2", K::duration, false, "\"4s\"", "ms", 100, 60000, "",
     "RFC 3261 §17 T2, longest retransmit interval of non-INVITE requests",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.cfg.sip.t2_ms = u32(v);
     }},
    {"sip.t4", K::duration, false, "\"5s\"", "ms", 0, 60000, "",
     "RFC 3261 §17 T4, how long a message may stay in the network",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.cfg.sip.t4_ms = u32(v);
     }},
    {"sip.invite_timeout", K::duration, false, "\"32s\"", "ms", 1000, 300000, "",
     "no provisional response to an INVITE in this time: try the next target",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.cfg.sip.invite_timeout_ms = u32(v);
     }},
    {"sip.session_expires", K::duration, false, "\"1800s\"", "s", 1, 86400, "",
     "RFC 4028 Session-Expires inserted when the PBX set none; 90s or more unless "
     "test_allow_short_session_timers",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.cfg.sip.session_expires_s = u32(v);
     }},
    {"sip.min_se", K::duration, false, "\"90s\"", "s", 1, 86400, "",
     "RFC 4028 Min-SE; a shorter Session-Expires gets 422; 90s or more unless "
     "test_allow_short_session_timers",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.cfg.sip.min_se_s = u32(v);
     }},
    {"sip.test_allow_short_session_timers", K::boolean, false, "false", "", 0, 0, "",
     "tests only: allow session_expires and min_se below RFC 4028's 90s",
     [](LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
         c.cfg.sip.test_allow_short_session_timers = n.as_boolean()->get();
     }},
    {"sip.keepalive_interval", K::duration, false, "\"30s\"", "s", 1, 3600, "",
     "OPTIONS to each registered contact this often",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.cfg.sip.keepalive_interval_s = u32(v);
     }},
    {"sip.keepalive_timeout", K::duration, false, "\"2s\"", "ms", 100, 60000, "",
     "an OPTIONS not answered in this time counts as missed",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.cfg.sip.keepalive_timeout_ms = u32(v);
     }},
    {"sip.keepalive_down_after", K::integer, false, "3", "OPTIONS", 1, 100, "",
     "missed OPTIONS in a row before a contact is down",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.cfg.sip.keepalive_down_after = u32(v);
     }},
    {"sip.keepalive_up_after", K::integer, false, "2", "OPTIONS", 1, 100, "",
     "answered OPTIONS in a row before a down contact is up again",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.cfg.sip.keepalive_up_after = u32(v);
     }},
    {"sip.register_expires_min", K::duration, false, "\"60s\"", "s", 1, 604800, "",
     "shortest registration accepted; shorter gets 423 with Min-Expires",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.cfg.sip.register_expires_min_s = u32(v);
     }},
    {"sip.register_expires_default", K::duration, false, "\"3600s\"", "s", 1, 604800, "",
     "registration time when the REGISTER asks for none",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.cfg.sip.register_expires_default_s = u32(v);
     }},
    {"sip.register_expires_max", K::duration, false, "\"7200s\"", "s", 1, 604800, "",
     "longest registration granted; longer requests are shortened",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.cfg.sip.register_expires_max_s = u32(v);
     }},
    {"sip.unknown_source", K::enumeration, false, "\"drop\"", "", 0, 0, "drop|reject",
     "requests from sources of no trunk: drop silently (counted) or reject with 403",
     [](LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
         c.cfg.sip.unknown_source =
             str(n) == "reject" ? dp::UnknownSourcePolicy::reject : dp::UnknownSourcePolicy::drop;
     }},
    {"sip.emergency_numbers", K::string_array, false, "[\"112\", \"911\"]", "", 0, 0, "",
     "short codes routed to the core without number, caller-ID, destination and rate checks",
     set_emergency},
    {"sip.in_dialog_methods", K::string_array, false, "[]", "", 0, 0, "",
     "methods allowed in a dialog besides ACK, BYE, INVITE and CANCEL, e.g. [\"INFO\"]",
     set_in_dialog_methods},

    // ---- [security]: brute-force protection (controlplane/guard/auth_guard.hpp)
    {"security", K::table, false, "", "", 0, 0, "", "brute-force protection", noop},
    {"security.auth_fail_threshold", K::integer, false, "10", "failures", 1, 1'000'000, "",
     "failed authentications of one source, or against one username, within auth_fail_window "
     "that block the source",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.settings.auth_fail_threshold = u32(v);
     }},
    {"security.auth_fail_window", K::duration, false, "\"60s\"", "s", 1, 86400, "",
     "sliding window over which failed authentications are counted",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.settings.auth_fail_window_s = u32(v);
     }},
    {"security.block_duration", K::duration, false, "\"10m\"", "s", 1, 604800, "",
     "how long a blocked source's packets are dropped silently (counted)",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.settings.block_duration_s = u32(v);
     }},

    // ---- [policies.NAME]
    {"policies", K::table_map, false, "", "", 0, 0, "",
     "destination policies by name, shared by any number of trunks", noop},
    {"policies.*", K::table, false, "", "", 0, 0, "", "one destination policy; its key is its name",
     enter_policy},
    {"policies.*.default", K::enumeration, false, "\"deny\"", "", 0, 0, "allow|deny",
     "decision when no rule matches", set_policy_default},
    {"policies.*.rules", K::table_array, false, "[]", "", 0, 0, "",
     "rules { action = \"allow\"|\"deny\", and one of country, prefix, pattern }; a matching "
     "pattern, else the longest prefix decides",
     enter_rule},
    {"policies.*.rules[].action", K::enumeration, true, "", "", 0, 0, "allow|deny",
     "what a match of this rule decides", set_rule_action},
    {"policies.*.rules[].country", K::string, false, "", "", 0, 0, "",
     "ISO 3166-1 alpha-2 code: every prefix of that country in the country data", set_rule_country},
    {"policies.*.rules[].prefix", K::string, false, "", "", 0, 0, "",
     "E.164 prefix with '+', e.g. \"+3190\"", set_rule_prefix},
    {"policies.*.rules[].pattern", K::string, false, "", "", 0, 0, "",
     "Hyperscan regular expression that must match the whole number, '+' included, e.g. "
     "'\\+3190[0-9]{4}'",
     set_rule_pattern},

    // ---- [[trunks]]
    {"trunks", K::table_array, false, "", "", 0, 0, "", "customer trunks", enter_trunk},
    {"trunks[].id", K::string, true, "", "", 0, 0, "",
     "unique name of the trunk (A-Z a-z 0-9 - _ .)", set_trunk_id},
    {"trunks[].primary", K::table, true, "", "", 0, 0, "", "first SIP account of the trunk",
     enter_account<0>},
    {"trunks[].primary.username", K::string, true, "", "", 0, 0, "",
     "digest username, unique across every trunk and account", set_username},
    {"trunks[].primary.password", K::string, false, "", "", 0, 0, "",
     "password, turned into HA1 at load and never kept; or give ha1_md5/ha1_sha256", set_password},
    {"trunks[].primary.ha1_md5", K::string, false, "", "hex", 0, 0, "",
     "MD5(username:realm:password), 32 hex digits", set_ha1<sip::kMd5HexLen>},
    {"trunks[].primary.ha1_sha256", K::string, false, "", "hex", 0, 0, "",
     "SHA-256(username:realm:password), 64 hex digits", set_ha1<sip::kSha256HexLen>},
    {"trunks[].primary.algorithms", K::string_array, false, "[\"sha256\", \"md5\"]", "", 0, 0, "",
     "digest algorithms allowed, preferred first (\"sha256\", \"md5\")", set_algorithms},
    {"trunks[].secondary", K::table, true, "", "", 0, 0, "", "second SIP account of the trunk",
     enter_account<1>},
    {"trunks[].secondary.username", K::string, true, "", "", 0, 0, "",
     "digest username, unique across every trunk and account", set_username},
    {"trunks[].secondary.password", K::string, false, "", "", 0, 0, "",
     "password, turned into HA1 at load and never kept; or give ha1_md5/ha1_sha256", set_password},
    {"trunks[].secondary.ha1_md5", K::string, false, "", "hex", 0, 0, "",
     "MD5(username:realm:password), 32 hex digits", set_ha1<sip::kMd5HexLen>},
    {"trunks[].secondary.ha1_sha256", K::string, false, "", "hex", 0, 0, "",
     "SHA-256(username:realm:password), 64 hex digits", set_ha1<sip::kSha256HexLen>},
    {"trunks[].secondary.algorithms", K::string_array, false, "[\"sha256\", \"md5\"]", "", 0, 0, "",
     "digest algorithms allowed, preferred first (\"sha256\", \"md5\")", set_algorithms},
    {"trunks[].subnets", K::string_array, true, "", "CIDR", 0, 0, "",
     "IPv4 source subnets allowed to send, \"192.0.2.0/28\" (a bare address is a /32)",
     set_subnets},
    {"trunks[].dids", K::string_array, false, "[]", "E.164", 0, 0, "",
     "numbers that ring this trunk: \"+31201234567\" or ranges \"+31201234500-+31201234599\"",
     set_dids},
    {"trunks[].caller_ids", K::string_array, false, "[]", "E.164", 0, 0, "",
     "caller IDs the trunk may present: numbers, ranges, or prefixes \"+3120*\"", set_caller_ids},
    {"trunks[].policy", K::string, true, "", "", 0, 0, "",
     "name of a [policies.NAME] destination policy", set_trunk_policy},
    {"trunks[].limits", K::table, false, "", "", 0, 0, "", "call limits (every one at least 1)",
     enter_limits},
    {"trunks[].limits.max_concurrent", K::integer, false, "10", "calls", 1, 1'000'000, "",
     "calls in progress at once, both directions",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.trunk->limits.max_concurrent = u32(v);
     }},
    {"trunks[].limits.attempts_per_second", K::integer, false, "5", "calls/s", 1, 100'000, "",
     "new outbound call attempts per second (503 with Retry-After beyond)",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.trunk->limits.attempts_per_second = u32(v);
     }},
    {"trunks[].limits.calls_per_hour", K::integer, false, "100", "calls", 1, kMaxCount, "",
     "admitted outbound calls per rolling hour (403 beyond); at most calls_per_day",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.trunk->limits.calls_per_hour = u32(v);
     }},
    {"trunks[].limits.calls_per_day", K::integer, false, "1000", "calls", 1, kMaxCount, "",
     "admitted outbound calls per rolling day (403 beyond); at most calls_per_week",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.trunk->limits.calls_per_day = u32(v);
     }},
    {"trunks[].limits.calls_per_week", K::integer, false, "5000", "calls", 1, kMaxCount, "",
     "admitted outbound calls per rolling week (403 beyond)",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.trunk->limits.calls_per_week = u32(v);
     }},
    {"trunks[].limits.max_duration", K::duration, false, "\"4h\"", "s", 1, 604800, "",
     "a longer call is ended with BYE to both sides",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.trunk->limits.max_duration_s = u32(v);
     }},
    {"trunks[].failover", K::table, false, "", "", 0, 0, "",
     "what an inbound call the PBX cannot take does", enter_failover},
    {"trunks[].failover.action", K::enumeration, false, "\"reject\"", "", 0, 0,
     "forward_number|forward_uri|reject",
     "forward to a number through the core, to a SIP URI, or reject", set_failover_action},
    {"trunks[].failover.target", K::string, false, "", "", 0, 0, "",
     "E.164 number (forward_number) or SIP URI (forward_uri)",
     [](LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
         c.trunk->failover.target = str(n);
     }},
    {"trunks[].failover.code", K::integer, false, "480", "SIP status", 400, 699, "",
     "response code of reject",
     [](LoadContext& c, std::string_view, const toml::node&, std::int64_t v) {
         c.trunk->failover.reject_code = u16(v);
     }},
    {"trunks[].failover.reason", K::string, false, "\"Temporarily Unavailable\"", "", 0, 0, "",
     "reason phrase of reject", set_failover_reason},
    {"trunks[].inbound", K::enumeration, false, "\"primary_first\"", "", 0, 0,
     "primary_first|alternate",
     "inbound call targets: primary account's contacts first, or the two accounts in turn",
     [](LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
         c.trunk->inbound =
             str(n) == "alternate" ? dp::InboundMode::alternate : dp::InboundMode::primary_first;
     }},
    {"trunks[].caller_id_from_header", K::boolean, false, "false", "", 0, 0, "",
     "without P-Asserted-Identity and Remote-Party-ID, take the caller ID from the From user "
     "(for UAs that cannot add a header); still E.164 and one of caller_ids",
     [](LoadContext& c, std::string_view, const toml::node& n, std::int64_t) {
         c.trunk->caller_id_from_header = n.as_boolean()->get();
     }},
};

}  // namespace

std::span<const KeyDef> schema() noexcept {
    return kSchema;
}

const KeyDef* find_key(std::string_view path) noexcept {
    static const std::unordered_map<std::string_view, const KeyDef*> index = [] {
        std::unordered_map<std::string_view, const KeyDef*> m;
        for (const KeyDef& k : kSchema) m.emplace(k.path, &k);
        return m;
    }();
    auto it = index.find(path);
    return it == index.end() ? nullptr : it->second;
}

std::string_view kind_description(ValueKind kind) noexcept {
    switch (kind) {
        case K::table:
            return "a table";
        case K::table_array:
            return "an array of tables";
        case K::table_map:
            return "a table of named tables";
        case K::string:
            return "a string";
        case K::enumeration:
            return "a string";
        case K::integer:
            return "an integer";
        case K::boolean:
            return "a boolean (true or false)";
        case K::duration:
            return "a duration string such as \"500ms\", \"30s\", \"5m\" or \"4h\"";
        case K::string_array:
            return "an array of strings";
    }
    return "a value";
}

std::string key_comment(const KeyDef& k) {
    std::string out = "# ";
    out += k.doc;
    out += " [";
    switch (k.kind) {
        case K::duration:
            out += "duration";
            break;
        case K::integer:
            out += "integer";
            break;
        case K::boolean:
            out += "boolean";
            break;
        case K::enumeration:
            out += k.choices;
            break;
        case K::string_array:
            out += "strings";
            break;
        case K::table:
            out += "table";
            break;
        case K::table_array:
            out += "array of tables";
            break;
        case K::table_map:
            out += "named tables";
            break;
        case K::string:
            out += "string";
            break;
    }
    if (!k.unit.empty()) {
        out += ", ";
        out += k.unit;
    }
    if (k.kind == K::integer || k.kind == K::duration) {
        out += ", " + std::to_string(k.min) + ".." + std::to_string(k.max);
    }
    if (k.required) {
        out += ", required";
    } else if (!k.default_text.empty()) {
        out += ", default ";
        out += k.default_text;
    }
    out += "]";
    return out;
}

}  // namespace palisade::cp
