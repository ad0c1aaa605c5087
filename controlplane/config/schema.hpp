// The one declaration of every configuration key: path, type, default, unit, range, meaning,
// and the setter that stores a checked value into dp::ConfigSpec or cp::Settings. The loader
// walks the TOML tree against this table; docs and the example file are checked against it.
// Later parts of Palisade add their keys here, as rows of kSchema in schema.cpp. cp only.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <toml++/toml.h>

namespace palisade::cp {

struct LoadContext;

/// What a key holds, as written in TOML.
enum class ValueKind : std::uint8_t {
    table,        // [name] or { ... }
    table_array,  // [[name]] or [ {...}, ... ]
    table_map,    // [name.ANY]: every sub-key is a table named by the operator (policies)
    string,
    enumeration,  // a string among KeyDef::choices
    integer,
    boolean,
    duration,  // a string "<integer><unit>", unit ms, s, m, h or d; stored in KeyDef::unit
    string_array,
};

/// Stores a checked value. key: the key's own name (the name of a table_map entry);
/// number: the integer or the duration converted to KeyDef::unit. For table and table_array
/// rows it is called on entering each table (to select the element the children fill).
using ApplyFn = void (*)(LoadContext& ctx, std::string_view key, const toml::node& node,
                         std::int64_t number);

/// One key. path: dotted from the top; "name[]" is an element of an array of tables,
/// "name.*" an entry of a table_map (policies.*.default).
struct KeyDef {
    std::string_view path;
    ValueKind kind;
    bool required;
    std::string_view default_text;  // as written in TOML; empty when there is none
    std::string_view unit;          // ms, s, us, bytes, ... ; empty when none
    std::int64_t min;               // integer and duration (in unit): allowed range
    std::int64_t max;
    std::string_view choices;  // enumeration: "a|b|c"
    std::string_view doc;      // one line: the meaning
    ApplyFn apply;
};

/// Every key, parents before children.
std::span<const KeyDef> schema() noexcept;

/// The key at a schema path ("trunks[].limits.max_concurrent"), or nullptr.
const KeyDef* find_key(std::string_view path) noexcept;

/// Name of a kind as used in messages ("a duration string such as \"30s\"").
std::string_view kind_description(ValueKind kind) noexcept;

/// The comment line that documents a key in conf/palisade.example.toml: "# <doc> [type; unit;
/// range; default]". A test checks that the example carries it for every key.
std::string key_comment(const KeyDef& key);

}  // namespace palisade::cp
