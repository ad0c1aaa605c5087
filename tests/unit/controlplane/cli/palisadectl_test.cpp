// Tests of palisadectl: the JSON writer (controlplane/json.hpp), describe_message
// (controlplane/cli/parse_cmd.hpp) and the built binary run on corpus files, checking its JSON
// lines and exit codes. The binary is found through PALISADE_BUILD_ROOT (tests/unit/meson.build).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "controlplane/cli/parse_cmd.hpp"
#include "controlplane/json.hpp"

namespace palisade::cp {
namespace {

// ---------------------------------------------------------------------------------------------
// A strict little JSON reader (RFC 8259), enough to check palisadectl's output: any syntax error
// fails the test, so the tests also prove the output is valid JSON.

struct Json;
using JsonObject = std::map<std::string, Json>;
using JsonArray = std::vector<Json>;
struct Json {
    std::variant<std::nullptr_t, bool, double, std::string, JsonArray, JsonObject> v;
    bool is_null() const { return std::holds_alternative<std::nullptr_t>(v); }
    bool is_object() const { return std::holds_alternative<JsonObject>(v); }
    const std::string& str() const { return std::get<std::string>(v); }
    double num() const { return std::get<double>(v); }
    bool boolean() const { return std::get<bool>(v); }
    const JsonArray& arr() const { return std::get<JsonArray>(v); }
    const JsonObject& obj() const { return std::get<JsonObject>(v); }
    bool has(const std::string& k) const { return is_object() && obj().count(k) != 0; }
    const Json& operator[](const std::string& k) const {
        static const Json missing{nullptr};
        if (!is_object()) return missing;
        const auto it = obj().find(k);
        return it == obj().end() ? missing : it->second;
    }
};

class JsonReader {
  public:
    explicit JsonReader(std::string_view s) : s_(s) {}
    bool parse(Json& out) {
        if (!value(out)) return false;
        ws();
        return i_ == s_.size();
    }

  private:
    void ws() {
        while (i_ < s_.size() &&
               (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
            ++i_;
    }
    bool lit(std::string_view w) {
        if (s_.substr(i_, w.size()) != w) return false;
        i_ += w.size();
        return true;
    }
    static void put_utf8(std::string& o, unsigned cp) {
        if (cp < 0x80) {
            o += static_cast<char>(cp);
        } else if (cp < 0x800) {
            o += static_cast<char>(0xc0 | (cp >> 6));
            o += static_cast<char>(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            o += static_cast<char>(0xe0 | (cp >> 12));
            o += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            o += static_cast<char>(0x80 | (cp & 0x3f));
        } else {
            o += static_cast<char>(0xf0 | (cp >> 18));
            o += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
            o += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            o += static_cast<char>(0x80 | (cp & 0x3f));
        }
    }
    bool hex4(unsigned& cp) {
        if (i_ + 4 > s_.size()) return false;
        cp = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = s_[i_++];
            cp <<= 4;
            if (c >= '0' && c <= '9')
                cp |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f')
                cp |= static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                cp |= static_cast<unsigned>(c - 'A' + 10);
            else
                return false;
        }
        return true;
    }
    bool string(std::string& o) {
        if (i_ >= s_.size() || s_[i_] != '"') return false;
        ++i_;
        while (i_ < s_.size()) {
            const auto c = static_cast<unsigned char>(s_[i_++]);
            if (c == '"') return true;
            if (c < 0x20) return false;  // raw control characters are not JSON
            if (c != '\\') {
                o += static_cast<char>(c);
                continue;
            }
            if (i_ >= s_.size()) return false;
            const char e = s_[i_++];
            switch (e) {
                case '"':
                    o += '"';
                    break;
                case '\\':
                    o += '\\';
                    break;
                case '/':
                    o += '/';
                    break;
                case 'b':
                    o += '\b';
                    break;
                case 'f':
                    o += '\f';
                    break;
                case 'n':
                    o += '\n';
                    break;
                case 'r':
                    o += '\r';
                    break;
                case 't':
                    o += '\t';
                    break;
                case 'u': {
                    unsigned cp = 0;
                    if (!hex4(cp)) return false;
                    if (cp >= 0xd800 && cp <= 0xdbff) {
                        unsigned lo = 0;
                        if (!lit("\\u") || !hex4(lo) || lo < 0xdc00 || lo > 0xdfff) return false;
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    }
                    put_utf8(o, cp);
                    break;
                }
                default:
                    return false;
            }
        }
        return false;
    }
    bool value(Json& out) {
        ws();
        if (i_ >= s_.size()) return false;
        const char c = s_[i_];
        if (c == '{') {
            ++i_;
            JsonObject o;
            ws();
            if (i_ < s_.size() && s_[i_] == '}') {
                ++i_;
                out.v = std::move(o);
                return true;
            }
            for (;;) {
                ws();
                std::string k;
                if (!string(k)) return false;
                ws();
                if (!lit(":")) return false;
                Json v;
                if (!value(v)) return false;
                if (o.count(k) != 0) return false;  // duplicate member names: a writer bug
                o.emplace(std::move(k), std::move(v));
                ws();
                if (lit(",")) continue;
                if (lit("}")) break;
                return false;
            }
            out.v = std::move(o);
            return true;
        }
        if (c == '[') {
            ++i_;
            JsonArray a;
            ws();
            if (lit("]")) {
                out.v = std::move(a);
                return true;
            }
            for (;;) {
                Json v;
                if (!value(v)) return false;
                a.push_back(std::move(v));
                ws();
                if (lit(",")) continue;
                if (lit("]")) break;
                return false;
            }
            out.v = std::move(a);
            return true;
        }
        if (c == '"') {
            std::string s;
            if (!string(s)) return false;
            out.v = std::move(s);
            return true;
        }
        if (lit("null")) {
            out.v = nullptr;
            return true;
        }
        if (lit("true")) {
            out.v = true;
            return true;
        }
        if (lit("false")) {
            out.v = false;
            return true;
        }
        // number = [ minus ] int [ frac ] [ exp ]
        const std::size_t start = i_;
        if (i_ < s_.size() && s_[i_] == '-') ++i_;
        if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return false;
        if (s_[i_] == '0')
            ++i_;
        else
            while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        if (i_ < s_.size() && s_[i_] == '.') {
            ++i_;
            const std::size_t d = i_;
            while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
            if (i_ == d) return false;
        }
        if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
            ++i_;
            if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
            const std::size_t d = i_;
            while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
            if (i_ == d) return false;
        }
        out.v = std::strtod(std::string(s_.substr(start, i_ - start)).c_str(), nullptr);
        return true;
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

Json parse_json(const std::string& text) {
    Json j;
    JsonReader r(text);
    EXPECT_TRUE(r.parse(j)) << "not valid JSON: " << text;
    return j;
}

// ---------------------------------------------------------------------------------------------
// Running the binary.

std::string env_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

std::string corpus(const std::string& rel) {
    return env_or_empty("PALISADE_TEST_DATA") + "/" + rel;
}

std::string palisadectl_path() {
    return env_or_empty("PALISADE_BUILD_ROOT") + "/controlplane/palisadectl";
}

std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) {
        if (c == '\'')
            q += "'\\''";
        else
            q += c;
    }
    return q + "'";
}

struct RunResult {
    int exit_code = -1;
    std::vector<std::string> lines;  // stdout, split at '\n'
    std::string out;
};

// Runs palisadectl with `args` (each shell-quoted), optional stdin redirection, stderr discarded.
RunResult run(const std::vector<std::string>& args, const std::string& stdin_file = "") {
    std::string cmd = shell_quote(palisadectl_path());
    for (const std::string& a : args) {
        cmd += ' ';
        cmd += shell_quote(a);
    }
    if (!stdin_file.empty()) {
        cmd += " < ";
        cmd += shell_quote(stdin_file);
    }
    cmd += " 2>/dev/null";
    RunResult r;
    std::FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return r;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int status = ::pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) r.lines.push_back(line);
    return r;
}

class PalisadectlBinary : public ::testing::Test {
  protected:
    void SetUp() override {
        if (env_or_empty("PALISADE_BUILD_ROOT").empty() ||
            env_or_empty("PALISADE_TEST_DATA").empty())
            GTEST_SKIP()
                << "PALISADE_BUILD_ROOT and PALISADE_TEST_DATA must be set (meson test sets them)";
        std::ifstream f(palisadectl_path());
        ASSERT_TRUE(f.good()) << "palisadectl not built at " << palisadectl_path();
    }
    // A file of the test's own in the gtest temp directory.
    std::string write_temp(const std::string& name, const std::string& content) {
        const std::string path = ::testing::TempDir() + "palisadectl_test_" + name;
        std::ofstream f(path, std::ios::binary);
        f << content;
        return path;
    }
};

// A realistic INVITE from a PBX: two Vias (the second over TCP), a quoted display name with a
// quoted-pair, SDP with a static-PT audio stream and a rejected T.38 stream.
const std::string kSdp =
    "v=0\r\n"
    "o=- 1 1 IN IP4 198.51.100.10\r\n"
    "s=-\r\n"
    "c=IN IP4 198.51.100.10\r\n"
    "t=0 0\r\n"
    "m=audio 4000 RTP/AVP 8 0 101\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=sendonly\r\n"
    "m=image 0 udptl t38\r\n";
const std::string kInvite =
    "INVITE sip:+4930123456789@203.0.113.10;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.51.100.10:5060;rport;branch=z9hG4bKPj-abc\r\n"
    "Via: SIP/2.0/TCP 10.0.0.2;branch=z9hG4bK-second\r\n"
    "Max-Forwards: 70\r\n"
    "From: \"Acme \\\"Sales\\\"\" <sip:+4989765432100@pbx.example.com>;tag=f1\r\n"
    "To: <sip:+4930123456789@carrier.example.net>\r\n"
    "Contact: <sip:acme@198.51.100.10:5060>\r\n"
    "Call-ID: abc123@pbx\r\n"
    "CSeq: 1 INVITE\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: " +
    std::to_string(kSdp.size()) +
    "\r\n"
    "\r\n" +
    kSdp;

// ---------------------------------------------------------------------------------------------
// JSON writer

std::string json_quoted(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}

TEST(JsonString, EscapesQuoteBackslashAndNamedControls) {
    EXPECT_EQ(json_quoted("a\"b\\c"), R"("a\"b\\c")");
    EXPECT_EQ(json_quoted("\b\f\n\r\t"), R"("\b\f\n\r\t")");
    EXPECT_EQ(json_quoted("plain / text"), R"("plain / text")");
}

TEST(JsonString, EscapesOtherControlBytesNulAndDel) {
    EXPECT_EQ(json_quoted(std::string_view("\x00", 1)), R"("\u0000")");
    EXPECT_EQ(json_quoted("\x01\x1f"), R"("\u0001\u001f")");
    EXPECT_EQ(json_quoted("\x7f"), R"("\u007f")");
    EXPECT_EQ(json_quoted(std::string_view("a\0b", 3)), R"("a\u0000b")");
}

TEST(JsonString, KeepsWellFormedUtf8) {
    const std::string s = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbb\xbf";  // é € 😀 BOM
    EXPECT_EQ(json_quoted(s), "\"" + s + "\"");
}

TEST(JsonString, EscapesEveryByteOfIllFormedUtf8) {
    EXPECT_EQ(json_quoted("\xff"), R"("\u00ff")");
    EXPECT_EQ(json_quoted("\x80"), R"("\u0080")");  // lone continuation byte
    EXPECT_EQ(json_quoted("\xc3"), R"("\u00c3")");  // truncated sequence
    EXPECT_EQ(json_quoted("\xc3x"), R"("\u00c3x")");
    EXPECT_EQ(json_quoted("\xc0\x80"), R"("\u00c0\u0080")");            // overlong NUL
    EXPECT_EQ(json_quoted("\xe0\x80\xaf"), R"("\u00e0\u0080\u00af")");  // overlong '/'
    EXPECT_EQ(json_quoted("\xed\xa0\x80"), R"("\u00ed\u00a0\u0080")");  // UTF-16 surrogate
    EXPECT_EQ(json_quoted("\xf4\x90\x80\x80"), R"("\u00f4\u0090\u0080\u0080")");  // above U+10FFFF
    // A valid sequence right after an invalid byte is kept.
    EXPECT_EQ(json_quoted("\xff\xc3\xa9"), "\"\\u00ff\xc3\xa9\"");
}

TEST(JsonString, OutputReadsBackToTheSameBytesWhenValid) {
    const std::string s = std::string("q\"\\\x01\x7f ok \xc3\xa9", 13);
    std::string text = json_quoted(s);
    Json j = parse_json(text);
    EXPECT_EQ(j.str(), s);
}

TEST(JsonWriter, InsertsCommasAndNests) {
    JsonWriter w;
    w.begin_object()
        .member("a", 1)
        .member("b", "x")
        .key("c")
        .begin_array()
        .value(true)
        .null()
        .begin_object()
        .member("d", -2)
        .end_object()
        .begin_array()
        .end_array()
        .end_array()
        .key("e")
        .begin_object()
        .end_object()
        .null_member("f")
        .end_object();
    EXPECT_EQ(w.str(), R"({"a":1,"b":"x","c":[true,null,{"d":-2},[]],"e":{},"f":null})");
    const Json j = parse_json(w.str());
    EXPECT_EQ(j["c"].arr().size(), 4u);
}

TEST(JsonWriter, WritesIntegerExtremesAndNonFiniteAsNull) {
    JsonWriter w;
    w.begin_array()
        .value(18446744073709551615ull)
        .value(-9223372036854775807ll - 1)
        .value(0u)
        .value(0.5)
        .value(std::numeric_limits<double>::quiet_NaN())
        .value(std::numeric_limits<double>::infinity())
        .end_array();
    EXPECT_EQ(w.str(), "[18446744073709551615,-9223372036854775808,0,0.5,null,null]");
}

TEST(JsonWriter, TakeResets) {
    JsonWriter w;
    w.begin_array().value(1).end_array();
    EXPECT_EQ(w.take(), "[1]");
    w.begin_object().member("k", false).end_object();
    EXPECT_EQ(w.str(), R"({"k":false})");
}

// ---------------------------------------------------------------------------------------------
// describe_message (the library function behind the command)

TEST(DescribeMessage, RealisticInviteWithSdp) {
    ParseFileStatus st = ParseFileStatus::error;
    const std::string line = describe_message("invite.sip", kInvite, st);
    EXPECT_EQ(st, ParseFileStatus::ok);
    EXPECT_EQ(line.find('\n'), std::string::npos) << "one object per line";
    const Json j = parse_json(line);
    EXPECT_EQ(j["file"].str(), "invite.sip");
    EXPECT_EQ(j["status"].str(), "ok");
    EXPECT_EQ(j["kind"].str(), "request");
    EXPECT_EQ(j["method"].str(), "INVITE");
    EXPECT_EQ(j["request_uri"].str(), "sip:+4930123456789@203.0.113.10;user=phone");
    EXPECT_FALSE(j.has("status_code"));
    EXPECT_EQ(j["call_id"].str(), "abc123@pbx");
    EXPECT_EQ(j["from"]["uri"].str(), "sip:+4989765432100@pbx.example.com");
    EXPECT_EQ(j["from"]["tag"].str(), "f1");
    EXPECT_EQ(j["from"]["display"].str(), "Acme \"Sales\"");
    EXPECT_EQ(j["to"]["uri"].str(), "sip:+4930123456789@carrier.example.net");
    EXPECT_TRUE(j["to"]["tag"].is_null());
    EXPECT_TRUE(j["to"]["display"].is_null());
    EXPECT_EQ(j["cseq"]["number"].num(), 1);
    EXPECT_EQ(j["cseq"]["method"].str(), "INVITE");
    EXPECT_EQ(j["via_count"].num(), 2);
    EXPECT_EQ(j["top_via"]["sent_by"].str(), "198.51.100.10:5060");
    EXPECT_EQ(j["top_via"]["branch"].str(), "z9hG4bKPj-abc");
    EXPECT_EQ(j["top_via"]["transport"].str(), "UDP");
    EXPECT_EQ(j["max_forwards"].num(), 70);
    EXPECT_EQ(j["content_length"].num(), static_cast<double>(kSdp.size()));
    EXPECT_EQ(j["body_length"].num(), static_cast<double>(kSdp.size()));
    EXPECT_EQ(j["content_type"].str(), "application/sdp");
    ASSERT_TRUE(j["sdp"].has("media")) << line;
    const JsonArray& media = j["sdp"]["media"].arr();
    ASSERT_EQ(media.size(), 2u);
    EXPECT_EQ(media[0]["type"].str(), "audio");
    EXPECT_EQ(media[0]["port"].num(), 4000);
    EXPECT_EQ(media[0]["proto"].str(), "RTP/AVP");
    ASSERT_EQ(media[0]["codecs"].arr().size(), 3u);
    EXPECT_EQ(media[0]["codecs"].arr()[0].str(), "PCMA");  // static PT 8, no rtpmap (RFC 3551)
    EXPECT_EQ(media[0]["codecs"].arr()[1].str(), "PCMU");
    EXPECT_EQ(media[0]["codecs"].arr()[2].str(), "telephone-event");
    EXPECT_EQ(media[0]["direction"].str(), "sendonly");
    EXPECT_EQ(media[1]["type"].str(), "image");
    EXPECT_EQ(media[1]["port"].num(), 0);
    EXPECT_EQ(media[1]["proto"].str(), "udptl");
    ASSERT_EQ(media[1]["codecs"].arr().size(), 1u);
    EXPECT_EQ(media[1]["codecs"].arr()[0].str(), "t38");
    EXPECT_TRUE(j["valid"].boolean());
    EXPECT_FALSE(j.has("validation_reason"));
}

TEST(DescribeMessage, ResponseHasStatusCodeAndNoRequestFields) {
    const std::string msg =
        "SIP/2.0 180 Ringing\r\n"
        "Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKpal.1\r\n"
        "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK-2\r\n"
        "From: <sip:a@example.com>;tag=1\r\n"
        "To: <sip:b@example.com>;tag=2\r\n"
        "Call-ID: r1\r\n"
        "CSeq: 7 INVITE\r\n"
        "Content-Length: 0\r\n"
        "\r\n";
    ParseFileStatus st = ParseFileStatus::error;
    const Json j = parse_json(describe_message("r.sip", msg, st));
    EXPECT_EQ(st, ParseFileStatus::ok);
    EXPECT_EQ(j["kind"].str(), "response");
    EXPECT_EQ(j["status_code"].num(), 180);
    EXPECT_EQ(j["reason_phrase"].str(), "Ringing");
    EXPECT_FALSE(j.has("method"));
    EXPECT_FALSE(j.has("request_uri"));
    EXPECT_EQ(j["to"]["tag"].str(), "2");
    EXPECT_EQ(j["via_count"].num(), 2);
    EXPECT_TRUE(j["max_forwards"].is_null());
    EXPECT_TRUE(j["content_type"].is_null());
    EXPECT_FALSE(j.has("sdp"));
    EXPECT_TRUE(j["valid"].boolean());
    EXPECT_FALSE(j.has("response_code"));
}

TEST(DescribeMessage, MalformedGivesReasonOnly) {
    ParseFileStatus st = ParseFileStatus::ok;
    const std::string msg = "INVITE sip:a@b SIP/2.0\r\nContent-Length: five\r\n\r\n";
    const Json j = parse_json(describe_message("bad.sip", msg, st));
    EXPECT_EQ(st, ParseFileStatus::malformed);
    EXPECT_EQ(j["status"].str(), "malformed");
    EXPECT_EQ(j["reason"].str(), "bad_content_length");
    EXPECT_FALSE(j["reason_text"].str().empty());
    EXPECT_EQ(j["bytes"].num(), static_cast<double>(msg.size()));
    EXPECT_FALSE(j.has("kind"));
}

TEST(DescribeMessage, TruncatedIsIncomplete) {
    ParseFileStatus st = ParseFileStatus::ok;
    const Json j =
        parse_json(describe_message("cut.sip", kInvite.substr(0, kInvite.size() - 10), st));
    EXPECT_EQ(st, ParseFileStatus::incomplete);
    EXPECT_EQ(j["status"].str(), "incomplete");
    EXPECT_EQ(j["reason"].str(), "content_length_exceeds_datagram");
}

TEST(DescribeMessage, UnparsableFromIsShownRawWithItsError) {
    const std::string msg =
        "OPTIONS sip:a@example.com SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1\r\n"
        "From: \"unterminated <sip:x@example.com>;tag=1\r\n"
        "To: <sip:a@example.com>\r\n"
        "Call-ID: u1\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Max-Forwards: 70\r\n"
        "Content-Length: 0\r\n"
        "\r\n";
    ParseFileStatus st = ParseFileStatus::error;
    const Json j = parse_json(describe_message("u.sip", msg, st));
    EXPECT_EQ(st, ParseFileStatus::ok);  // framing succeeds; the From value does not parse
    EXPECT_EQ(j["from"]["raw"].str(), "\"unterminated <sip:x@example.com>;tag=1");
    EXPECT_FALSE(j["from"]["error"].str().empty());
    EXPECT_FALSE(j["valid"].boolean());
    EXPECT_EQ(j["response_code"].num(), 400);
}

// ---------------------------------------------------------------------------------------------
// The binary

TEST_F(PalisadectlBinary, ParsesTortureMessageWithFoldsAndCompactForms) {
    // RFC 4475 §3.1.1.1 wsinv: folding, compact names, Max-Forwards 0068, CSeq 0009.
    const RunResult r = run({"parse", corpus("rfc4475/wsinv.sip")});
    EXPECT_EQ(r.exit_code, 0);
    ASSERT_EQ(r.lines.size(), 1u);
    const Json j = parse_json(r.lines[0]);
    EXPECT_EQ(j["status"].str(), "ok");
    EXPECT_EQ(j["kind"].str(), "request");
    EXPECT_EQ(j["method"].str(), "INVITE");
    EXPECT_EQ(j["max_forwards"].num(), 68);
    EXPECT_EQ(j["cseq"]["number"].num(), 9);
    EXPECT_EQ(j["cseq"]["method"].str(), "INVITE");
    EXPECT_EQ(j["via_count"].num(), 3);
    EXPECT_EQ(j["top_via"]["transport"].str(), "UDP");
    EXPECT_EQ(j["top_via"]["branch"].str(), "390skdjuw");
    EXPECT_EQ(j["call_id"].str(), "wsinv.ndaksdj@192.0.2.1");
    EXPECT_EQ(j["from"]["tag"].str(), "98asjd8");
    EXPECT_EQ(j["to"]["tag"].str(), "1918181833n");
    EXPECT_EQ(j["content_length"].num(), 150);
    EXPECT_TRUE(j["valid"].boolean());
}

TEST_F(PalisadectlBinary, EscapesControlBytesOfDisplayNames) {
    // RFC 4475 §3.1.1.2 intmeth: the To display name holds quoted-pairs of BEL, NUL and DEL.
    const RunResult r = run({"parse", corpus("rfc4475/intmeth.sip")});
    EXPECT_EQ(r.exit_code, 0);
    ASSERT_EQ(r.lines.size(), 1u);
    EXPECT_NE(r.lines[0].find(R"(\u0000)"), std::string::npos) << r.lines[0];
    const Json j = parse_json(r.lines[0]);
    EXPECT_EQ(j["method"].str(), "!interesting-Method0123456789_*+`.%indeed'~");
    EXPECT_EQ(j["to"]["display"].str(), std::string("BEL:\x07 NUL:\x00 DEL:\x7f", 17));
}

TEST_F(PalisadectlBinary, ResponseFromCorpus) {
    // RFC 4475 §3.3.10 bcast: a 200 OK with two Vias.
    const RunResult r = run({"parse", "--json", corpus("rfc4475/bcast.sip")});
    EXPECT_EQ(r.exit_code, 0);
    ASSERT_EQ(r.lines.size(), 1u);
    const Json j = parse_json(r.lines[0]);
    EXPECT_EQ(j["kind"].str(), "response");
    EXPECT_EQ(j["status_code"].num(), 200);
    EXPECT_EQ(j["reason_phrase"].str(), "OK");
    EXPECT_EQ(j["via_count"].num(), 2);
    EXPECT_EQ(j["cseq"]["number"].num(), 35);
}

TEST_F(PalisadectlBinary, MalformedFileExitsOne) {
    // RFC 4475 §3.1.2.3 ncl: Content-Length -999.
    const RunResult r = run({"parse", corpus("rfc4475/ncl.sip")});
    EXPECT_EQ(r.exit_code, 1);
    ASSERT_EQ(r.lines.size(), 1u);
    const Json j = parse_json(r.lines[0]);
    EXPECT_EQ(j["status"].str(), "malformed");
    EXPECT_EQ(j["reason"].str(), "bad_content_length");
    EXPECT_EQ(j["file"].str(), corpus("rfc4475/ncl.sip"));
}

TEST_F(PalisadectlBinary, ContentLengthBeyondDatagramIsIncompleteAndExitsOne) {
    // RFC 4475 §3.1.2.2 clerr: Content-Length 9999 over a short body (over UDP: an error).
    const RunResult r = run({"parse", corpus("rfc4475/clerr.sip")});
    EXPECT_EQ(r.exit_code, 1);
    ASSERT_EQ(r.lines.size(), 1u);
    EXPECT_EQ(parse_json(r.lines[0])["status"].str(), "incomplete");
}

TEST_F(PalisadectlBinary, InvalidButWellFramedRequestIsOkWithValidFalse) {
    // RFC 4475 §3.1.2.17 mismatch01: CSeq method differs from the request method (400).
    const RunResult r = run({"parse", corpus("rfc4475/mismatch01.sip")});
    EXPECT_EQ(r.exit_code, 0);
    ASSERT_EQ(r.lines.size(), 1u);
    const Json j = parse_json(r.lines[0]);
    EXPECT_EQ(j["status"].str(), "ok");
    EXPECT_FALSE(j["valid"].boolean());
    EXPECT_EQ(j["validation_reason"].str(), "cseq_method_mismatch");
    EXPECT_EQ(j["response_code"].num(), 400);
}

TEST_F(PalisadectlBinary, SeveralFilesOneLineEachInOrderAndExitOneIfAnyMalformed) {
    const std::string invite = write_temp("invite.sip", kInvite);
    const RunResult r =
        run({"parse", invite, corpus("rfc4475/ncl.sip"), corpus("rfc4475/bcast.sip")});
    EXPECT_EQ(r.exit_code, 1);
    ASSERT_EQ(r.lines.size(), 3u);
    EXPECT_EQ(parse_json(r.lines[0])["file"].str(), invite);
    EXPECT_EQ(parse_json(r.lines[0])["status"].str(), "ok");
    EXPECT_EQ(parse_json(r.lines[1])["status"].str(), "malformed");
    EXPECT_EQ(parse_json(r.lines[2])["status"].str(), "ok");
}

TEST_F(PalisadectlBinary, SdpMediaAndCodecsFromAFile) {
    const RunResult r = run({"parse", write_temp("invite2.sip", kInvite)});
    EXPECT_EQ(r.exit_code, 0);
    ASSERT_EQ(r.lines.size(), 1u);
    const Json j = parse_json(r.lines[0]);
    ASSERT_EQ(j["sdp"]["media"].arr().size(), 2u) << r.lines[0];
    EXPECT_EQ(j["sdp"]["media"].arr()[0]["codecs"].arr()[0].str(), "PCMA");
}

TEST_F(PalisadectlBinary, ReadsStandardInputForDash) {
    const RunResult r = run({"parse", "-"}, corpus("rfc4475/bcast.sip"));
    EXPECT_EQ(r.exit_code, 0);
    ASSERT_EQ(r.lines.size(), 1u);
    const Json j = parse_json(r.lines[0]);
    EXPECT_EQ(j["file"].str(), "-");
    EXPECT_EQ(j["status_code"].num(), 200);
}

TEST_F(PalisadectlBinary, EveryValidCorpusMessageParsesOkAsValidJson) {
    // Every message RFC 4475 and RFC 5118 call valid, in one run: exit 0, one ok line each.
    std::vector<std::string> args = {"parse"};
    for (const char* dir : {"rfc4475", "rfc5118"}) {
        std::ifstream index(corpus(std::string(dir) + "/index.tsv"));
        ASSERT_TRUE(index.good());
        std::string line;
        std::getline(index, line);  // header row
        while (std::getline(index, line)) {
            std::istringstream cols(line);
            std::string file, section, validity;
            std::getline(cols, file, '\t');
            std::getline(cols, section, '\t');
            std::getline(cols, validity, '\t');
            if (validity == "valid") args.push_back(corpus(std::string(dir) + "/" + file));
        }
    }
    ASSERT_GT(args.size(), 30u);
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0);
    ASSERT_EQ(r.lines.size(), args.size() - 1);
    for (std::size_t i = 0; i < r.lines.size(); ++i) {
        const Json j = parse_json(r.lines[i]);
        EXPECT_EQ(j["file"].str(), args[i + 1]);
        EXPECT_EQ(j["status"].str(), "ok") << r.lines[i];
        EXPECT_TRUE(j.has("valid")) << r.lines[i];
    }
}

TEST_F(PalisadectlBinary, EveryInvalidCorpusMessageGivesOneValidJsonLine) {
    std::vector<std::string> args = {"parse"};
    std::ifstream index(corpus("rfc4475/index.tsv"));
    std::string line;
    std::getline(index, line);
    while (std::getline(index, line)) {
        std::istringstream cols(line);
        std::string file, section, validity;
        std::getline(cols, file, '\t');
        std::getline(cols, section, '\t');
        std::getline(cols, validity, '\t');
        if (validity == "invalid") args.push_back(corpus("rfc4475/" + file));
    }
    ASSERT_GT(args.size(), 10u);
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 1) << "ncl, mcl01 and clerr are not messages";
    ASSERT_EQ(r.lines.size(), args.size() - 1);
    for (const std::string& l : r.lines) {
        const Json j = parse_json(l);
        const std::string status = j["status"].str();
        EXPECT_TRUE(status == "ok" || status == "malformed" || status == "incomplete") << l;
        if (status == "ok") {
            EXPECT_TRUE(j.has("valid")) << l;
        } else {
            EXPECT_FALSE(j["reason"].str().empty()) << l;
        }
    }
}

TEST_F(PalisadectlBinary, UnreadableFileIsAnErrorLineAndExitTwo) {
    const std::string missing = ::testing::TempDir() + "palisadectl_test_does_not_exist.sip";
    const RunResult r = run({"parse", missing, corpus("rfc4475/bcast.sip")});
    EXPECT_EQ(r.exit_code, 2);
    ASSERT_EQ(r.lines.size(), 2u);
    const Json j = parse_json(r.lines[0]);
    EXPECT_EQ(j["status"].str(), "error");
    EXPECT_EQ(j["reason"].str(), "unreadable");
    EXPECT_EQ(parse_json(r.lines[1])["status"].str(), "ok");
}

TEST_F(PalisadectlBinary, EmptyFileIsIncomplete) {
    const RunResult r = run({"parse", write_temp("empty.sip", "")});
    EXPECT_EQ(r.exit_code, 1);
    ASSERT_EQ(r.lines.size(), 1u);
    EXPECT_EQ(parse_json(r.lines[0])["status"].str(), "incomplete");
}

TEST_F(PalisadectlBinary, BinaryGarbageIsMalformedAndStillValidJson) {
    std::string junk;
    for (int i = 0; i < 256; ++i) junk += static_cast<char>(255 - i);
    const RunResult r = run({"parse", write_temp("junk.bin", junk)});
    EXPECT_EQ(r.exit_code, 1);
    ASSERT_EQ(r.lines.size(), 1u);
    EXPECT_EQ(parse_json(r.lines[0])["status"].str(), "malformed");
}

TEST_F(PalisadectlBinary, UsageErrorsExitTwo) {
    EXPECT_EQ(run({}).exit_code, 2);
    EXPECT_EQ(run({"no-such-command"}).exit_code, 2);
    EXPECT_EQ(run({"parse"}).exit_code, 2);
    EXPECT_EQ(run({"parse", "--no-such-option", corpus("rfc4475/bcast.sip")}).exit_code, 2);
    const RunResult help = run({"--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("parse"), std::string::npos);
    EXPECT_EQ(run({"parse", "--help"}).exit_code, 0);
}

}  // namespace
}  // namespace palisade::cp
