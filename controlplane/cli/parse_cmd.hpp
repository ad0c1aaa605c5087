// `palisadectl parse [--json] FILE...`: the CLI's offline mode. Each FILE holds one SIP datagram
// (a captured message); for each, one JSON object per line says what the parser found, or why
// the message is malformed. Documented field by field in docs/cli.md. cp only (never on a worker).
#pragma once

#include <string>
#include <string_view>

namespace palisade::cp {

/// Outcome of one file, as the "status" member says it.
enum class ParseFileStatus { ok, malformed, incomplete, error };

/// The "status" string of an outcome ("ok", "malformed", "incomplete", "error").
std::string_view parse_file_status_name(ParseFileStatus s) noexcept;

/// Describes one datagram `bytes` read from `file` as the one-line JSON object printed by
/// `palisadectl parse` (no trailing newline); `status` receives the outcome.
std::string describe_message(std::string_view file, std::string_view bytes,
                             ParseFileStatus& status);

/// Entry point of the subcommand; argv[0] is "parse". Prints one JSON line per FILE on stdout
/// ("-" reads standard input). Exit status: 0 when every file is a complete, well-framed
/// message; 1 when any is malformed or incomplete; 2 on a usage error or an unreadable file
/// (which still gets its JSON line, status "error").
int run_parse(int argc, char** argv);

}  // namespace palisade::cp
