// Every valid message cut at every byte length (issue 2 §6): the prefix frames as incomplete or
// malformed, or ok only where the prefix is itself a complete message (its header section ends
// with CRLFCRLF and it has no Content-Length, or its Content-Length fits), and never crashes.
// Each prefix is copied into a buffer of exactly its length, so that a read past the end is
// caught under AddressSanitizer (meson setup ... -Db_sanitize=address,undefined).
#include "parsers/sip/message.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace palisade::sip {
namespace {

std::string data_dir() {
    const char* root = std::getenv("PALISADE_TEST_DATA");
    return root ? root : "tests/data";
}

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// (name, bytes) of every file an index.tsv calls valid.
std::vector<std::pair<std::string, std::string>> valid_corpus() {
    std::vector<std::pair<std::string, std::string>> out;
    for (const char* set : {"rfc4475", "rfc5118"}) {
        const std::string dir = data_dir() + "/" + set;
        std::istringstream index(read_file(dir + "/index.tsv"));
        std::string line;
        while (std::getline(index, line)) {
            const auto t1 = line.find('\t');
            if (t1 == std::string::npos) continue;
            const auto t2 = line.find('\t', t1 + 1);
            const auto t3 = line.find('\t', t2 + 1);
            if (t2 == std::string::npos || t3 == std::string::npos) continue;
            if (line.compare(t2 + 1, t3 - t2 - 1, "valid") != 0) continue;
            const std::string name = line.substr(0, t1);
            out.emplace_back(std::string(set) + "/" + name, read_file(dir + "/" + name));
        }
    }
    return out;
}

const std::string kInviteSdp =
    "INVITE sip:+15551234567@carrier.example.net;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK-524287-1---b4f7c2a9d1e3f5a7;rport\r\n"
    "Max-Forwards: 70\r\n"
    "Contact: <sip:+15559876543@198.51.100.10:5060;transport=udp>\r\n"
    "To: <sip:+15551234567@carrier.example.net;user=phone>\r\n"
    "From: \"Reception\" <sip:+15559876543@pbx.example.com;user=phone>;tag=8c2f1e07\r\n"
    "Call-ID: 5f3a9b2c7d1e4f60a8b9c0d1e2f3a4b5@198.51.100.10\r\n"
    "CSeq: 102 INVITE\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, UPDATE\r\n"
    "Content-Type: application/sdp\r\n"
    "Supported: replaces, timer\r\n"
    "Session-Expires: 1800;refresher=uac\r\n"
    "Min-SE: 90\r\n"
    "P-Asserted-Identity: \"Reception\" <sip:+15559876543@pbx.example.com>\r\n"
    "User-Agent: ExamplePBX/16.2\r\n"
    "Content-Length: 279\r\n"
    "\r\n"
    "v=0\r\n"
    "o=- 1234567890 1234567890 IN IP4 198.51.100.10\r\n"
    "s=ExamplePBX\r\n"
    "c=IN IP4 198.51.100.20\r\n"
    "t=0 0\r\n"
    "m=audio 16384 RTP/AVP 0 8 18 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=fmtp:18 annexb=no\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

// Checks every prefix of `msg`, which must itself frame ok. Returns the number of prefixes
// that framed ok.
std::size_t check_prefixes(const std::string& name, const std::string& msg) {
    Message full;
    EXPECT_EQ(full.parse(msg), ParseStatus::ok) << name << ": " << reason_name(full.reason());
    if (full.status() != ParseStatus::ok) return 0;
    const std::size_t headers_end = full.headers_end();
    const bool has_cl = full.has_content_length();
    const std::size_t cl = full.content_length();

    std::size_t oks = 0;
    Message m;
    for (std::size_t len = 0; len <= msg.size(); ++len) {
        // Exactly `len` octets on the heap: ASan sees any read past the prefix.
        std::unique_ptr<char[]> buf(new char[len == 0 ? 1 : len]);
        if (len != 0) std::memcpy(buf.get(), msg.data(), len);
        const ParseStatus st = m.parse(std::string_view(buf.get(), len));
        // The first CRLFCRLF of the prefix is the full message's, so a prefix is a complete
        // message exactly when it reaches headers_end and (without Content-Length, RFC 3261
        // §18.3) or with all Content-Length octets.
        const bool complete = len >= headers_end && (!has_cl || len >= headers_end + cl);
        if (complete) {
            EXPECT_EQ(st, ParseStatus::ok) << name << " cut at " << len;
            if (st == ParseStatus::ok) {
                ++oks;
                EXPECT_EQ(m.headers_end(), headers_end) << name << " cut at " << len;
                EXPECT_EQ(m.body().size(), has_cl ? cl : len - headers_end) << name;
                EXPECT_EQ(m.header_count(), full.header_count()) << name;
            }
        } else {
            EXPECT_NE(st, ParseStatus::ok) << name << " cut at " << len;
            // A prefix of a valid message is never refused for good: more octets complete it.
            EXPECT_EQ(st, ParseStatus::incomplete)
                << name << " cut at " << len << ": " << reason_name(m.reason());
            if (len >= headers_end) {
                EXPECT_EQ(m.reason(), Reason::content_length_exceeds_datagram) << name;
            }
        }
    }
    return oks;
}

TEST(TruncationTest, EveryValidCorpusMessageAtEveryLength) {
    const auto corpus = valid_corpus();
    ASSERT_GE(corpus.size(), 38u);   // 27 RFC 4475 + 11 RFC 5118
    for (const auto& [name, bytes] : corpus) {
        ASSERT_FALSE(bytes.empty()) << name;
        check_prefixes(name, bytes);
    }
}

TEST(TruncationTest, InviteWithSdpAtEveryLength) {
    ASSERT_EQ(check_prefixes("invite_sdp", kInviteSdp), 1u);   // only the whole message
}

TEST(TruncationTest, InviteWithoutContentLengthAtEveryLength) {
    // Without Content-Length every prefix that holds the whole header section is a message
    // whose body is what arrived (RFC 3261 §18.3 over UDP).
    std::string m = kInviteSdp;
    const auto at = m.find("Content-Length: 279\r\n");
    m.erase(at, 21);
    const std::size_t body = 279;
    EXPECT_EQ(check_prefixes("invite_no_cl", m), body + 1);
}

TEST(TruncationTest, InvalidCorpusNeverCrashes) {
    // Not a correctness check (the corpus test does that): every prefix of every corpus file,
    // valid or not, is framed without a crash or a sanitizer report.
    Message m;
    std::size_t n = 0;
    for (const char* set : {"rfc4475", "rfc5118"}) {
        std::istringstream index(read_file(data_dir() + "/" + set + "/index.tsv"));
        std::string line;
        while (std::getline(index, line)) {
            const std::string file = line.substr(0, line.find('\t'));
            if (file.size() < 5 || file.compare(file.size() - 4, 4, ".sip") != 0) continue;
            const std::string bytes = read_file(data_dir() + "/" + set + "/" + file);
            for (std::size_t len = 0; len <= bytes.size(); ++len) {
                std::unique_ptr<char[]> buf(new char[len == 0 ? 1 : len]);
                if (len != 0) std::memcpy(buf.get(), bytes.data(), len);
                const ParseStatus st = m.parse(std::string_view(buf.get(), len));
                EXPECT_TRUE(st == ParseStatus::ok || st == ParseStatus::incomplete ||
                            st == ParseStatus::malformed);
                if (st == ParseStatus::ok) {
                    EXPECT_LE(m.size(), len);
                }
            }
            ++n;
        }
    }
    EXPECT_GE(n, 61u);
}

}  // namespace
}  // namespace palisade::sip
