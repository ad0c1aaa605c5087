// Loads and validates Palisade's TOML configuration into dp::ConfigSpec (the data plane's view)
// and cp::Settings (what only the control plane uses). cp only.
//
// Every key is declared once, in the schema (schema.cpp); docs/configuration.md and
// conf/palisade.example.toml describe them. Errors are "file:line:column: what is wrong", every
// error of the file (sorted by position), except a TOML syntax error, which stops the parse.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/contract/config_spec.hpp"

namespace palisade::cp {

/// Control-plane-only settings. [control] keys; the paths are used by later parts (CLI server,
/// call records, persistence).
struct Settings {
    std::string config_path;   // the file loaded, as given
    std::string country_data;  // country_data, resolved against the config file's directory
    std::string cli_socket = "/run/palisade/palisade.sock";      // [control] cli_socket
    std::string cli_group;  // [control] cli_group: group allowed on the socket besides root
    std::string call_records = "/var/log/palisade/calls.jsonl";  // [control] call_records
    std::string state_dir = "/var/lib/palisade";                 // [control] state_dir
    // [security]: brute-force protection (controlplane/guard/auth_guard.hpp)
    std::uint32_t auth_fail_threshold = 10;  // failed authentications in the window that block
    std::uint32_t auth_fail_window_s = 60;   // sliding window, seconds
    std::uint32_t block_duration_s = 600;    // how long a source stays blocked, seconds
};

/// Reads, parses and validates the file at path. On success fills out and settings and returns
/// true. On failure returns false, leaves out and settings unchanged, and appends every error
/// to errors as "file:line:column: message", sorted by file and position.
bool load_config(const std::string& path, dp::ConfigSpec& out, Settings& settings,
                 std::vector<std::string>& errors);

/// Same, from text already in memory. source_name is the file name used in messages and the
/// base of a relative country_data path.
bool load_config_text(std::string_view text, const std::string& source_name, dp::ConfigSpec& out,
                      Settings& settings, std::vector<std::string>& errors);

/// Reads a country data file (conf/countries.tsv: "ISO<TAB>+prefix,+prefix", '#' comments).
/// Checks the format, that every prefix is an E.164 prefix, and that no prefix is listed twice.
bool load_countries(const std::string& path, std::vector<dp::CountrySpec>& out,
                    std::vector<std::string>& errors);

}  // namespace palisade::cp
