// A small JSON writer for palisadectl's --json output and the CLI server's replies (cp only).
//
// Output is one compact JSON text per writer (no spaces, no newlines), so that a command can
// print one object per line. Strings are written byte-exactly where they are valid UTF-8 and
// escaped otherwise (RFC 8259 §7): '"' and '\' as \" and \\, the usual control characters as
// \b \f \n \r \t, every other byte below 0x20 and DEL as \u00XX, and every byte that is not part
// of a well-formed UTF-8 sequence (RFC 3629 §4: no overlongs, no surrogates, nothing above
// U+10FFFF) as \u00XX, i.e. as the Latin-1 character of that byte, so the output is always valid
// UTF-8 and a captured message with stray octets can still be printed and read back.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace palisade::cp {

/// Appends `s` as a JSON string literal (with its quotes) to `out`, escaped as described above.
void append_json_string(std::string& out, std::string_view s);

/// Builds one JSON text. Calls must nest correctly (begin/end pairs, key before each member of
/// an object); the writer inserts the commas. Misuse is a programming error, not checked.
///
///   JsonWriter w;
///   w.begin_object().member("file", path).key("cseq").begin_object()
///    .member("number", 1).end_object().end_object();
///   std::puts(w.str().c_str());
class JsonWriter {
  public:
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    /// The name of the next member of the current object.
    JsonWriter& key(std::string_view name);

    JsonWriter& value(std::string_view s);
    JsonWriter& value(const char* s) { return value(std::string_view(s)); }
    JsonWriter& value(bool b);
    JsonWriter& value(int v) { return write_int(v); }
    JsonWriter& value(long v) { return write_int(v); }
    JsonWriter& value(long long v) { return write_int(v); }
    JsonWriter& value(unsigned v) { return write_uint(v); }
    JsonWriter& value(unsigned long v) { return write_uint(v); }
    JsonWriter& value(unsigned long long v) { return write_uint(v); }
    JsonWriter& value(double v);  // non-finite values are written as null (JSON has no NaN)
    JsonWriter& null();

    /// key(name) then value(v).
    template <typename T>
    JsonWriter& member(std::string_view name, const T& v) {
        key(name);
        return value(v);
    }
    /// key(name) then null().
    JsonWriter& null_member(std::string_view name) {
        key(name);
        return null();
    }

    /// The text written so far.
    const std::string& str() const noexcept { return out_; }
    /// Moves the text out and resets the writer.
    std::string take();

  private:
    JsonWriter& write_int(long long v);
    JsonWriter& write_uint(unsigned long long v);
    void before_value();

    std::string out_;
    std::vector<bool> has_members_;  // per open container: something already written in it
    bool after_key_ = false;
};

}  // namespace palisade::cp
