// The loader: parses the TOML file, walks the tree against the schema (unknown keys, types,
// ranges, required keys), lets each row's setter fill the ConfigSpec, then runs the semantic
// checks (validate.cpp). Every error is collected; the result is only handed out when there is
// none, so a failed reload changes nothing. cp only.
#include "controlplane/config/loader.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "controlplane/config/schema.hpp"
#include "controlplane/config/validate.hpp"
#include "parsers/sip/digest.hpp"

namespace palisade::cp {
namespace {

std::string_view last_component(std::string_view path) {
    auto dot = path.rfind('.');
    return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

std::string_view parent_of(std::string_view path) {
    auto dot = path.rfind('.');
    return dot == std::string_view::npos ? std::string_view() : path.substr(0, dot);
}

// Children of each schema path ("" = top level; "trunks[]" = an element of trunks).
const std::unordered_map<std::string_view, std::vector<const KeyDef*>>& children_index() {
    static const auto index = [] {
        std::unordered_map<std::string_view, std::vector<const KeyDef*>> m;
        for (const KeyDef& k : schema()) m[parent_of(k.path)].push_back(&k);
        return m;
    }();
    return index;
}

std::string_view type_name(const toml::node& n) {
    switch (n.type()) {
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a floating-point number";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::date:
            return "a date";
        case toml::node_type::time:
            return "a time";
        case toml::node_type::date_time:
            return "a date-time";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::table:
            return "a table";
        default:
            return "nothing";
    }
}

std::string where(const std::string& display) {
    return display.empty() ? std::string("at the top level") : "in [" + display + "]";
}

class Walker {
  public:
    explicit Walker(LoadContext& ctx) : ctx_(ctx) {}

    void walk_table(const toml::table& t, const std::string& spath, const std::string& display,
                    Pos table_pos, bool is_map) {
        for (auto&& [k, v] : t) {
            const std::string key(k.str());
            std::string child_spath =
                is_map ? spath + ".*" : (spath.empty() ? key : spath + "." + key);
            std::string child_display = display.empty() ? key : display + "." + key;
            const KeyDef* row = find_key(child_spath);
            if (row == nullptr) {
                Pos p = pos_of(k.source());
                if (p.line == 0) p = pos_of(v);
                ctx_.error(p, unknown_key_message(key, spath, display));
                continue;
            }
            apply(*row, key, v, child_spath, child_display);
        }
        if (is_map) return;
        auto it = children_index().find(spath);
        if (it == children_index().end()) return;
        for (const KeyDef* row : it->second) {
            if (!row->required) continue;
            const std::string_view name = last_component(row->path);
            if (t.contains(name)) continue;
            std::string msg;
            if (row->kind == ValueKind::table_array) {
                msg = "missing [[" + std::string(row->path) + "]]: " + std::string(row->doc);
            } else if (row->kind == ValueKind::table && spath.empty()) {
                msg = "missing [" + std::string(name) + "] table";
            } else {
                msg = "missing required key '" + std::string(name) + "' " + where(display);
            }
            ctx_.error(table_pos, std::move(msg));
        }
    }

  private:
    std::string unknown_key_message(const std::string& key, const std::string& spath,
                                    const std::string& display) {
        std::string msg = "unknown key '" + key + "' " + where(display);
        // Nearest sibling by edit distance: typos are the usual cause.
        std::string_view best;
        std::size_t best_d = ~std::size_t{0};
        auto it = children_index().find(spath);
        if (it != children_index().end()) {
            for (const KeyDef* row : it->second) {
                const std::string_view name = last_component(row->path);
                const std::size_t d = edit_distance(key, name);
                if (d < best_d) {
                    best_d = d;
                    best = name;
                }
            }
        }
        const std::size_t limit = std::max<std::size_t>(2, key.size() / 3);
        if (!best.empty() && best_d <= limit)
            return msg + "; did you mean '" + std::string(best) + "'?";
        // The right key in the wrong table: name where it belongs.
        for (const KeyDef& row : schema()) {
            if (last_component(row.path) == key && parent_of(row.path) != spath) {
                std::string parent(parent_of(row.path));
                return msg + "; '" + key + "' belongs " +
                       (parent.empty() ? std::string("at the top level") : "in [" + parent + "]");
            }
        }
        return msg;
    }

    bool type_error(const KeyDef& row, const toml::node& n, const std::string& display,
                    std::string_view extra = {}) {
        std::string msg = display + ": expected " + std::string(kind_description(row.kind)) +
                          ", found " + std::string(type_name(n));
        msg += extra;
        ctx_.error(n, std::move(msg));
        return false;
    }

    void apply(const KeyDef& row, std::string_view key, const toml::node& n,
               const std::string& spath, const std::string& display) {
        ctx_.display = display;
        const bool scalar_path = display.find('[') == std::string::npos;
        if (scalar_path) ctx_.src.scalars[display] = pos_of(n);
        switch (row.kind) {
            case ValueKind::table:
            case ValueKind::table_map: {
                const toml::table* t = n.as_table();
                if (t == nullptr) {
                    type_error(row, n, display);
                    return;
                }
                row.apply(ctx_, key, n, 0);
                walk_table(*t, spath, display, pos_of(n), row.kind == ValueKind::table_map);
                return;
            }
            case ValueKind::table_array: {
                const toml::array* a = n.as_array();
                if (a == nullptr) {
                    type_error(row, n, display,
                               "; write [[" + display + "]] for each element, or [ { ... }, ... ]");
                    return;
                }
                std::size_t i = 0;
                for (const toml::node& e : *a) {
                    const std::string edisplay = display + "[" + std::to_string(i++) + "]";
                    const toml::table* t = e.as_table();
                    if (t == nullptr) {
                        ctx_.error(
                            e, edisplay + ": expected a table, found " + std::string(type_name(e)));
                        continue;
                    }
                    ctx_.display = edisplay;
                    row.apply(ctx_, key, e, 0);
                    walk_table(*t, spath + "[]", edisplay, pos_of(e), false);
                }
                return;
            }
            case ValueKind::string:
                if (!n.is_string()) {
                    type_error(row, n, display);
                    return;
                }
                row.apply(ctx_, key, n, 0);
                return;
            case ValueKind::enumeration: {
                if (!n.is_string()) {
                    type_error(row, n, display);
                    return;
                }
                const std::string_view v = n.as_string()->get();
                std::string_view choices = row.choices;
                std::string list;
                std::string_view nearest;
                std::size_t nearest_d = ~std::size_t{0};
                while (!choices.empty()) {
                    auto bar = choices.find('|');
                    std::string_view c = choices.substr(0, bar);
                    if (c == v) {
                        row.apply(ctx_, key, n, 0);
                        return;
                    }
                    list += list.empty() ? "" : ", ";
                    list += "\"" + std::string(c) + "\"";
                    const std::size_t d = edit_distance(v, c);
                    if (d < nearest_d) {
                        nearest_d = d;
                        nearest = c;
                    }
                    choices = bar == std::string_view::npos ? std::string_view()
                                                            : choices.substr(bar + 1);
                }
                std::string msg = display + ": \"" + std::string(v) + "\" is not one of " + list;
                if (nearest_d <= std::max<std::size_t>(2, v.size() / 3))
                    msg += "; did you mean \"" + std::string(nearest) + "\"?";
                ctx_.error(n, std::move(msg));
                return;
            }
            case ValueKind::integer: {
                if (!n.is_integer()) {
                    type_error(row, n, display);
                    return;
                }
                const std::int64_t v = n.as_integer()->get();
                if (!range_ok(row, n, display, v, std::to_string(v))) return;
                row.apply(ctx_, key, n, v);
                return;
            }
            case ValueKind::boolean:
                if (!n.is_boolean()) {
                    type_error(row, n, display);
                    return;
                }
                row.apply(ctx_, key, n, 0);
                return;
            case ValueKind::duration: {
                if (!n.is_string()) {
                    type_error(row, n, display);
                    return;
                }
                const std::string text(n.as_string()->get());
                std::int64_t v = 0;
                std::string err = parse_duration(text, row.unit, v);
                if (!err.empty()) {
                    ctx_.error(n, display + ": " + err);
                    return;
                }
                if (!range_ok(row, n, display, v, "\"" + text + "\"")) return;
                row.apply(ctx_, key, n, v);
                return;
            }
            case ValueKind::string_array: {
                const toml::array* a = n.as_array();
                if (a == nullptr) {
                    type_error(row, n, display);
                    return;
                }
                bool ok = true;
                for (const toml::node& e : *a) {
                    if (!e.is_string()) {
                        ctx_.error(e, display + ": expected strings in the array, found " +
                                          std::string(type_name(e)));
                        ok = false;
                    }
                }
                if (ok) row.apply(ctx_, key, n, 0);
                return;
            }
        }
    }

    bool range_ok(const KeyDef& row, const toml::node& n, const std::string& display,
                  std::int64_t v, const std::string& found) {
        if (v >= row.min && v <= row.max) return true;
        const std::string unit =
            row.kind == ValueKind::duration ? std::string(row.unit) : std::string();
        if (v < row.min) {
            ctx_.error(n, display + ": must be at least " + std::to_string(row.min) + unit +
                              ", found " + found);
        } else {
            ctx_.error(n, display + ": must be at most " + std::to_string(row.max) + unit +
                              ", found " + found);
        }
        return false;
    }

    LoadContext& ctx_;
};

std::string format(const Diagnostic& d) {
    return d.file + ":" + std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) + ": " +
           d.message;
}

std::string dir_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

bool read_file(const std::string& path, std::string& out, std::string& err) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        err = std::strerror(errno);
        return false;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return true;
}

// Country data into diags (the file's own positions) and ctx.
void load_country_data(LoadContext& ctx, const toml::table& root, const std::string& base_dir) {
    std::string path = "countries.tsv";
    Pos key_pos{1, 1};
    if (const toml::node* n = root.get("country_data")) {
        key_pos = pos_of(*n);
        if (const auto* s = n->as_string()) path = s->get();
    }
    if (path.empty()) {
        ctx.error(key_pos, "country_data: must not be empty");
        return;
    }
    if (path[0] != '/' && !base_dir.empty()) path = base_dir + "/" + path;
    ctx.settings.country_data = path;
    std::string text, err;
    if (!read_file(path, text, err)) {
        ctx.error(key_pos, "cannot read the country data '" + path + "': " + err);
        return;
    }
    std::vector<std::string> errors;
    std::vector<dp::CountrySpec> countries;
    std::istringstream in(text);
    std::string line;
    std::unordered_map<std::string, std::pair<std::string, std::uint32_t>>
        seen;  // prefix -> iso, line
    std::uint32_t lineno = 0;
    auto cerr = [&](std::uint32_t col, std::string msg) {
        ctx.diags.push_back(Diagnostic{path, Pos{lineno, col}, std::move(msg)});
    };
    const std::size_t before = ctx.diags.size();
    while (std::getline(in, line)) {
        ++lineno;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        auto tab = line.find('\t');
        if (tab == std::string::npos) {
            cerr(1, "expected ISO<TAB>prefixes");
            continue;
        }
        dp::CountrySpec c;
        c.iso = line.substr(0, tab);
        const bool iso_ok =
            (c.iso.size() == 2 && std::all_of(c.iso.begin(), c.iso.end(),
                                              [](char ch) { return ch >= 'A' && ch <= 'Z'; })) ||
            c.iso == "001";
        if (!iso_ok) cerr(1, "'" + c.iso + "' is not an ISO 3166-1 alpha-2 code");
        std::size_t pos = tab + 1;
        while (pos <= line.size()) {
            auto comma = line.find(',', pos);
            if (comma == std::string::npos) comma = line.size();
            std::string p = line.substr(pos, comma - pos);
            std::string perr = check_prefix(p);
            const auto col = static_cast<std::uint32_t>(pos + 1);
            if (!perr.empty()) {
                cerr(col, perr);
            } else if (auto [it, fresh] = seen.emplace(p, std::make_pair(c.iso, lineno)); !fresh) {
                cerr(col, "prefix " + p + " of " + c.iso + " is also listed for " +
                              it->second.first + " (line " + std::to_string(it->second.second) +
                              ")");
            } else {
                c.prefixes.push_back(std::move(p));
            }
            pos = comma + 1;
        }
        ctx.country_isos.insert(c.iso);
        countries.push_back(std::move(c));
    }
    ctx.countries_loaded = ctx.diags.size() == before;
    ctx.cfg.countries = std::move(countries);
}

bool load_impl(std::string_view text, const std::string& source_name, dp::ConfigSpec& out,
               Settings& settings, std::vector<std::string>& errors) {
    toml::table root;
#if TOML_EXCEPTIONS
    try {
        root = toml::parse(text, source_name);
    } catch (const toml::parse_error& e) {
        errors.push_back(format(Diagnostic{source_name, pos_of(e.source()),
                                           "TOML syntax error: " + std::string(e.description())}));
        return false;
    }
#else
    toml::parse_result result = toml::parse(text, source_name);
    if (!result) {
        const toml::parse_error& e = result.error();
        errors.push_back(format(Diagnostic{source_name, pos_of(e.source()),
                                           "TOML syntax error: " + std::string(e.description())}));
        return false;
    }
    root = std::move(result).table();
#endif

    dp::ConfigSpec cfg;
    Settings st;
    st.config_path = source_name;
    std::vector<Diagnostic> diags;
    LoadContext ctx(cfg, st, source_name, diags);

    load_country_data(ctx, root, dir_of(source_name));
    Walker(ctx).walk_table(root, "", "", Pos{1, 1}, false);

    // toml++ iterates a table's keys in sorted order: put the policies back in file order.
    {
        std::vector<std::size_t> order(cfg.policies.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        const auto& ps = ctx.src.policies;
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return ps[a].line != ps[b].line ? ps[a].line < ps[b].line : ps[a].column < ps[b].column;
        });
        std::vector<dp::DestPolicySpec> sorted;
        std::vector<Pos> sorted_pos;
        std::vector<std::vector<Pos>> sorted_rules;
        for (std::size_t i : order) {
            sorted.push_back(std::move(cfg.policies[i]));
            sorted_pos.push_back(ps[i]);
            sorted_rules.push_back(std::move(ctx.src.rules[i]));
        }
        cfg.policies = std::move(sorted);
        ctx.src.policies = std::move(sorted_pos);
        ctx.src.rules = std::move(sorted_rules);
    }

    // Defaults that depend on other keys.
    for (dp::InterfaceSpec& i : cfg.interfaces)
        if (i.name.empty()) i.name = i.role == dp::PortRole::access ? "access" : "core";
    for (dp::CorePeerSpec& p : cfg.core_peers)
        if (p.name.empty()) p.name = format_ipv4(p.address) + ":" + std::to_string(p.port);

    // Passwords into HA1, now that the realm is known, for the account's algorithms only; then
    // the password is wiped (it is never kept).
    for (PendingPassword& pw : ctx.passwords) {
        dp::AccountSpec& a =
            pw.account == 0 ? cfg.trunks[pw.trunk].primary : cfg.trunks[pw.trunk].secondary;
        char hex[sip::kMaxDigestHexLen];
        for (dp::DigestAlgorithm alg : a.algorithms) {
            const bool md5 = alg == dp::DigestAlgorithm::md5;
            const std::size_t n =
                sip::compute_ha1(md5 ? sip::HashAlgorithm::md5 : sip::HashAlgorithm::sha256,
                                 a.username, cfg.sip.realm, pw.password, hex, sizeof hex);
            (md5 ? a.ha1_md5 : a.ha1_sha256).assign(hex, n);
        }
        OPENSSL_cleanse(pw.password.data(), pw.password.size());
        OPENSSL_cleanse(hex, sizeof hex);
    }

    validate_semantics(ctx);

    if (!diags.empty()) {
        // The config file's errors by position; the country file's (if any) first.
        std::stable_sort(diags.begin(), diags.end(), [&](const Diagnostic& a, const Diagnostic& b) {
            const bool am = a.file == source_name, bm = b.file == source_name;
            if (am != bm) return bm;
            if (a.pos.line != b.pos.line) return a.pos.line < b.pos.line;
            return a.pos.column < b.pos.column;
        });
        for (const Diagnostic& d : diags) errors.push_back(format(d));
        return false;
    }
    out = std::move(cfg);
    settings = std::move(st);
    return true;
}

}  // namespace

bool load_config_text(std::string_view text, const std::string& source_name, dp::ConfigSpec& out,
                      Settings& settings, std::vector<std::string>& errors) {
    return load_impl(text, source_name, out, settings, errors);
}

bool load_config(const std::string& path, dp::ConfigSpec& out, Settings& settings,
                 std::vector<std::string>& errors) {
    std::string text, err;
    if (!read_file(path, text, err)) {
        errors.push_back(path + ":1:1: cannot read the file: " + err);
        return false;
    }
    return load_impl(text, path, out, settings, errors);
}

bool load_countries(const std::string& path, std::vector<dp::CountrySpec>& out,
                    std::vector<std::string>& errors) {
    // Reuse the loader's reader through a one-key document.
    dp::ConfigSpec cfg;
    Settings st;
    std::vector<Diagnostic> diags;
    LoadContext ctx(cfg, st, path, diags);
    toml::table root;
    root.insert("country_data", path);
    load_country_data(ctx, root, "");  // relative to the working directory
    if (!diags.empty()) {
        for (const Diagnostic& d : diags) errors.push_back(format(d));
        return false;
    }
    out = std::move(cfg.countries);
    return true;
}

}  // namespace palisade::cp
