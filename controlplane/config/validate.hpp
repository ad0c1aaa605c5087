// Internals shared by the schema (schema.cpp), the loader (loader.cpp) and the semantic checks
// (validate.cpp): the load context the schema's setters fill, source positions kept beside the
// ConfigSpec for error messages, and the value checks (E.164, CIDR, patterns, durations).
// cp only. Not for other parts of Palisade: they call load_config() (loader.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <toml++/toml.h>

#include "controlplane/config/loader.hpp"
#include "dataplane/contract/config_spec.hpp"

namespace palisade::cp {

/// 1-based line and column in a file; 0:0 when unknown.
struct Pos {
    std::uint32_t line = 0;
    std::uint32_t column = 0;
};

inline Pos pos_of(const toml::source_region& r) noexcept {
    return Pos{static_cast<std::uint32_t>(r.begin.line),
               static_cast<std::uint32_t>(r.begin.column)};
}
inline Pos pos_of(const toml::node& n) noexcept {
    return pos_of(n.source());
}

/// One error, before formatting as "file:line:column: message".
struct Diagnostic {
    std::string file;
    Pos pos;
    std::string message;
};

/// Where the parts of a trunk were written (for cross-trunk checks after the walk).
struct TrunkSource {
    Pos table;  // [[trunks]] header or inline table
    Pos id;
    Pos policy;
    Pos limits;             // [trunks.limits], or the trunk table when absent
    Pos user[2];            // primary, secondary username
    std::vector<Pos> dids;  // parallel to TrunkSpec::dids
};

struct InterfaceSource {
    Pos table;
    Pos role;
    Pos gateway;
};

/// A password read from the file, turned into HA1 once [sip] realm is known, then wiped.
struct PendingPassword {
    std::size_t trunk = 0;
    int account = 0;  // 0 primary, 1 secondary
    std::string password;
};

/// Positions of what the semantic checks refer to.
struct SourceMap {
    Pos root{1, 1};
    std::unordered_map<std::string, Pos> scalars;  // display path of keys outside arrays
    std::vector<InterfaceSource> interfaces;
    std::vector<Pos> core_peers;          // table of each peer
    std::vector<Pos> policies;            // table of each policy, parallel to ConfigSpec::policies
    std::vector<std::vector<Pos>> rules;  // each rule's table, parallel to policies' rules
    std::vector<TrunkSource> trunks;

    /// Position of a scalar key by display path ("sip.t1"), or fallback.
    Pos scalar(const std::string& path, Pos fallback) const {
        auto it = scalars.find(path);
        return it == scalars.end() ? fallback : it->second;
    }
};

/// Everything the schema's setters need while the loader walks the TOML tree.
struct LoadContext {
    LoadContext(dp::ConfigSpec& c, Settings& s, std::string f, std::vector<Diagnostic>& d)
        : cfg(c), settings(s), file(std::move(f)), diags(d) {}

    dp::ConfigSpec& cfg;
    Settings& settings;
    std::string file;  // as given, for messages
    std::vector<Diagnostic>& diags;
    SourceMap src;
    std::vector<PendingPassword> passwords;
    std::unordered_set<std::string> country_isos;  // from the country data file
    bool countries_loaded = false;
    // Pattern -> check_pattern() result: one Hyperscan compile per distinct pattern, however
    // many policies repeat it.
    std::unordered_map<std::string, std::string> pattern_checks;

    // The element being filled; set by the table and array hooks of the schema, valid while
    // the walker is inside that element.
    dp::InterfaceSpec* iface = nullptr;
    InterfaceSource* iface_src = nullptr;
    dp::CorePeerSpec* peer = nullptr;
    dp::DestPolicySpec* policy = nullptr;
    dp::DestRule* rule = nullptr;
    dp::TrunkSpec* trunk = nullptr;
    TrunkSource* trunk_src = nullptr;
    dp::AccountSpec* account = nullptr;
    int account_index = 0;
    std::string display;  // display path of the node being applied ("trunks[2].dids")

    void error(Pos p, std::string msg) { diags.push_back(Diagnostic{file, p, std::move(msg)}); }
    void error(const toml::node& n, std::string msg) { error(pos_of(n), std::move(msg)); }
};

// ---- value checks (validate.cpp). Each returns an empty string when the value is good, else
// the message (without position).

/// '+' then 1..15 digits, the first not 0 (ITU-T E.164).
bool is_e164(std::string_view s) noexcept;
/// A DID or caller-ID entry: "+31201234500" or "+31201234500-+31201234599".
std::string parse_number_range(std::string_view s, dp::NumberRange& out);
/// A destination or caller-ID prefix: '+' then 1..15 digits, first not 0.
std::string check_prefix(std::string_view s);
/// Dotted-quad IPv4, host byte order.
bool parse_ipv4(std::string_view s, std::uint32_t& out) noexcept;
/// "a.b.c.d/len" (or "a.b.c.d" = /32) with no host bits set.
std::string parse_cidr(std::string_view s, dp::Ipv4Prefix& out);
/// "a.b.c.d/len": an interface address (host bits expected) with its prefix length.
std::string parse_interface_address(std::string_view s, dp::Ipv4Prefix& out);
/// Compiles the pattern with Hyperscan (HS_FLAG_SINGLEMATCH); Hyperscan's message on failure.
std::string check_pattern(std::string_view s);
/// "500ms", "30s", "5m", "4h", "1d" into a count of unit ("ms" or "s").
std::string parse_duration(std::string_view s, std::string_view unit, std::int64_t& out);
/// Text of an IPv4 address or prefix.
std::string format_ipv4(std::uint32_t a);

/// Cross-entity checks after the walk: duplicates, overlaps, references, consistency.
void validate_semantics(LoadContext& ctx);

/// Levenshtein distance, for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace palisade::cp
