// Tests of the configuration: schema walk, validation messages, country data, HA1, and the
// example and demo files. Data: tests/data/config/ (bad_X.toml with bad_X.expected listing the
// exact "line:column: message" lines), conf/.
#include <gtest/gtest.h>

#include <toml++/toml.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "controlplane/cli/check_cmd.hpp"
#include "controlplane/config/loader.hpp"
#include "controlplane/config/schema.hpp"
#include "dataplane/contract/policy_snapshot.hpp"
#include "dataplane/policy/snapshot.hpp"
#include "parsers/sip/digest.hpp"

namespace palisade::cp {
namespace {

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : fallback;
}
std::string data_dir() {
    return env_or("PALISADE_TEST_DATA", "tests/data") + "/config";
}
std::string source_root() {
    return env_or("PALISADE_SOURCE_ROOT", ".");
}

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        if (!line.empty()) out.push_back(line);
    return out;
}

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const std::string& s : v) out += s + "\n";
    return out;
}

// A minimal valid file, for tests that change one thing.
std::string minimal(const std::string& extra = "") {
    return "country_data = \"" + source_root() + "/conf/countries.tsv\"\n" +
           "[[interfaces]]\nrole = \"access\"\ndevice = \"a\"\naddress = \"10.0.0.1/24\"\n"
           "[[interfaces]]\nrole = \"core\"\ndevice = \"b\"\naddress = \"10.1.0.1/24\"\n"
           "[[core_peers]]\naddress = \"10.1.0.10\"\n"
           "[sip]\nnonce_secret = \"0123456789abcdef\"\n" +
           extra;
}

// ---- digest HA1 (parsers/sip/digest)

std::string hex_of(sip::HashAlgorithm alg, std::initializer_list<std::string_view> parts) {
    std::vector<std::string_view> v(parts);
    char out[sip::kMaxDigestHexLen];
    const std::size_t n = sip::digest_hex(alg, v.data(), v.size(), out, sizeof out);
    return std::string(out, n);
}

std::string ha1(sip::HashAlgorithm alg, std::string_view u, std::string_view r,
                std::string_view p) {
    char out[sip::kMaxDigestHexLen];
    const std::size_t n = sip::compute_ha1(alg, u, r, p, out, sizeof out);
    return std::string(out, n);
}

TEST(Digest, Rfc2617Section3_5Md5) {
    // RFC 2617 §3.5: HA1 and the response of the worked example.
    const std::string a1 =
        ha1(sip::HashAlgorithm::md5, "Mufasa", "testrealm@host.com", "Circle Of Life");
    EXPECT_EQ(a1, "939e7578ed9e3c518a452acee763bce9");
    const std::string a2 = hex_of(sip::HashAlgorithm::md5, {"GET", "/dir/index.html"});
    EXPECT_EQ(hex_of(sip::HashAlgorithm::md5, {a1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001",
                                               "0a4f113b", "auth", a2}),
              "6629fae49393a05397450978507c4ef1");
}

TEST(Digest, Rfc7616Section3_9_1Md5AndSha256) {
    // RFC 7616 §3.9.1: the same request answered with MD5 and with SHA-256.
    const std::string_view nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    const std::string_view cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    for (auto [alg, expected] :
         {std::pair{sip::HashAlgorithm::md5, "8ca523f5e9506fed4657c9700eebdbec"},
          std::pair{sip::HashAlgorithm::sha256,
                    "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"}}) {
        const std::string a1 = ha1(alg, "Mufasa", "http-auth@example.org", "Circle of Life");
        ASSERT_EQ(a1.size(), sip::digest_hex_length(alg));
        const std::string a2 = hex_of(alg, {"GET", "/dir/index.html"});
        EXPECT_EQ(hex_of(alg, {a1, nonce, "00000001", cnonce, "auth", a2}), expected);
    }
}

TEST(Digest, Sha256Ha1KnownValue) {
    // sha256("Mufasa:http-auth@example.org:Circle of Life"), computed independently (sha256sum).
    EXPECT_EQ(ha1(sip::HashAlgorithm::sha256, "Mufasa", "http-auth@example.org", "Circle of Life"),
              "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232");
}

TEST(Digest, RefusesAShortBuffer) {
    char out[40];
    EXPECT_EQ(sip::compute_ha1(sip::HashAlgorithm::sha256, "u", "r", "p", out, sizeof out), 0u);
    EXPECT_EQ(sip::compute_ha1(sip::HashAlgorithm::md5, "u", "r", "p", out, 31), 0u);
    EXPECT_EQ(sip::compute_ha1(sip::HashAlgorithm::md5, "u", "r", "p", out, 32), 32u);
}

// ---- good files

TEST(Config, GoodFileLoadsIntoTheExpectedSpec) {
    dp::ConfigSpec c;
    Settings s;
    std::vector<std::string> errors;
    ASSERT_TRUE(load_config(data_dir() + "/good_full.toml", c, s, errors)) << join(errors);
    EXPECT_TRUE(errors.empty());

    EXPECT_EQ(s.cli_socket, "/tmp/pal-test.sock");
    EXPECT_EQ(s.call_records, "/tmp/pal-test-calls.jsonl");
    EXPECT_EQ(s.state_dir, "/tmp/pal-test-state");
    EXPECT_EQ(s.country_data, data_dir() + "/../../../conf/countries.tsv");

    EXPECT_EQ(c.eal.args, (std::vector<std::string>{"--no-huge", "-m", "1024", "--in-memory"}));
    EXPECT_EQ(c.eal.lcores, "0-2");
    EXPECT_EQ(c.eal.mbuf_count, 2047u);
    EXPECT_EQ(c.eal.mbuf_cache, 64u);
    EXPECT_EQ(c.eal.mbuf_data_room, 4096u);
    EXPECT_EQ(c.eal.idle_backoff_us, 100u);
    EXPECT_EQ(c.eal.ring_size, 1024u);

    ASSERT_EQ(c.interfaces.size(), 2u);
    EXPECT_EQ(c.interfaces[0].name, "access");  // defaults to the role
    EXPECT_EQ(c.interfaces[0].role, dp::PortRole::access);
    EXPECT_EQ(c.interfaces[0].device, "net_af_packet0,iface=veth-a");
    EXPECT_EQ(c.interfaces[0].address, (dp::Ipv4Prefix{0x0a0a0101, 24}));
    EXPECT_EQ(c.interfaces[0].gateway, 0x0a0a01feu);
    EXPECT_EQ(c.interfaces[0].sip_port, 5070);
    EXPECT_EQ(c.interfaces[0].mtu, 1400);
    EXPECT_EQ(c.interfaces[1].name, "carrier");
    EXPECT_EQ(c.interfaces[1].role, dp::PortRole::core);
    EXPECT_EQ(c.interfaces[1].address, (dp::Ipv4Prefix{0x0a140101, 16}));
    EXPECT_EQ(c.interfaces[1].gateway, 0u);
    EXPECT_EQ(c.interfaces[1].sip_port, 5060);
    EXPECT_EQ(c.interfaces[1].mtu, 1500);

    ASSERT_EQ(c.core_peers.size(), 2u);
    EXPECT_EQ(c.core_peers[0].name, "10.20.1.10:5060");
    EXPECT_EQ(c.core_peers[0].address, 0x0a14010au);
    EXPECT_EQ(c.core_peers[0].port, 5060);
    EXPECT_EQ(c.core_peers[0].priority, 1);
    EXPECT_EQ(c.core_peers[0].weight, 1);
    EXPECT_EQ(c.core_peers[1].name, "backup");
    EXPECT_EQ(c.core_peers[1].port, 5080);
    EXPECT_EQ(c.core_peers[1].priority, 2);
    EXPECT_EQ(c.core_peers[1].weight, 10);

    const dp::SipSettings& sip = c.sip;
    EXPECT_EQ(sip.realm, "test.example");
    EXPECT_EQ(sip.nonce_secret, "0123456789abcdef0123");
    EXPECT_EQ(sip.nonce_lifetime_s, 600u);
    EXPECT_EQ(sip.t1_ms, 250u);
    EXPECT_EQ(sip.t2_ms, 2000u);
    EXPECT_EQ(sip.t4_ms, 3000u);
    EXPECT_EQ(sip.invite_timeout_ms, 8000u);
    EXPECT_EQ(sip.session_expires_s, 30u);
    EXPECT_EQ(sip.min_se_s, 20u);
    EXPECT_TRUE(sip.test_allow_short_session_timers);
    EXPECT_EQ(sip.keepalive_interval_s, 60u);
    EXPECT_EQ(sip.keepalive_timeout_ms, 1500u);
    EXPECT_EQ(sip.keepalive_down_after, 4u);
    EXPECT_EQ(sip.keepalive_up_after, 1u);
    EXPECT_EQ(sip.register_expires_min_s, 30u);
    EXPECT_EQ(sip.register_expires_default_s, 3600u);
    EXPECT_EQ(sip.register_expires_max_s, 86400u);
    EXPECT_EQ(sip.unknown_source, dp::UnknownSourcePolicy::reject);
    EXPECT_EQ(sip.emergency_numbers, (std::vector<std::string>{"112", "999", "15"}));
    EXPECT_EQ(sip.in_dialog_methods, (std::vector<std::string>{"INFO", "UPDATE"}));

    ASSERT_EQ(c.policies.size(), 2u);
    const dp::DestPolicySpec& p = c.policies[0];
    EXPECT_EQ(p.name, "premium");
    EXPECT_EQ(p.default_action, dp::RuleAction::allow);
    ASSERT_EQ(p.rules.size(), 4u);
    EXPECT_EQ(p.rules[0].kind, dp::RuleKind::prefix);
    EXPECT_EQ(p.rules[0].action, dp::RuleAction::deny);
    EXPECT_EQ(p.rules[0].value, "+3190");
    EXPECT_EQ(p.rules[1].action, dp::RuleAction::allow);
    EXPECT_EQ(p.rules[1].value, "+3190012");
    EXPECT_EQ(p.rules[2].kind, dp::RuleKind::country);
    EXPECT_EQ(p.rules[2].value, "CA");
    EXPECT_EQ(p.rules[3].kind, dp::RuleKind::pattern);
    EXPECT_EQ(p.rules[3].value, "^\\+3190[0-9]{4}$");
    EXPECT_EQ(c.policies[1].name, "closed");
    EXPECT_EQ(c.policies[1].default_action, dp::RuleAction::deny);
    EXPECT_TRUE(c.policies[1].rules.empty());

    ASSERT_EQ(c.trunks.size(), 2u);
    const dp::TrunkSpec& a = c.trunks[0];
    EXPECT_EQ(a.id, "acme");
    EXPECT_EQ(a.subnets, (std::vector<dp::Ipv4Prefix>{{0xc0000200, 28}, {0xc6336407, 32}}));
    ASSERT_EQ(a.dids.size(), 2u);
    EXPECT_EQ(a.dids[0].first, "+31201234567");
    EXPECT_EQ(a.dids[0].last, "+31201234567");
    EXPECT_EQ(a.dids[1].first, "+31201234500");
    EXPECT_EQ(a.dids[1].last, "+31201234509");
    ASSERT_EQ(a.caller_ids.ranges.size(), 2u);
    EXPECT_EQ(a.caller_ids.prefixes, (std::vector<std::string>{"+3120"}));
    EXPECT_EQ(a.policy, "premium");
    EXPECT_EQ(a.inbound, dp::InboundMode::alternate);
    // Password -> HA1 in the configured realm, only for the allowed algorithms; never kept.
    EXPECT_EQ(a.primary.username, "Mufasa");
    EXPECT_EQ(a.primary.ha1_md5,
              "f57a3bef1e5ea8d9f4c6003b6f6279b8");  // md5("Mufasa:test.example:Circle Of Life")
    EXPECT_EQ(a.primary.ha1_sha256, "");
    EXPECT_EQ(a.primary.algorithms, (std::vector<dp::DigestAlgorithm>{dp::DigestAlgorithm::md5}));
    EXPECT_EQ(a.secondary.ha1_md5, "0123456789abcdef0123456789abcdef");  // lower-cased
    EXPECT_EQ(a.secondary.ha1_sha256,
              "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    EXPECT_EQ(a.secondary.algorithms, (std::vector<dp::DigestAlgorithm>{
                                          dp::DigestAlgorithm::md5, dp::DigestAlgorithm::sha256}));
    EXPECT_EQ(a.limits.max_concurrent, 3u);
    EXPECT_EQ(a.limits.attempts_per_second, 2u);
    EXPECT_EQ(a.limits.calls_per_hour, 10u);
    EXPECT_EQ(a.limits.calls_per_day, 20u);
    EXPECT_EQ(a.limits.calls_per_week, 30u);
    EXPECT_EQ(a.limits.max_duration_s, 5400u);
    EXPECT_EQ(a.failover.action, dp::FailoverAction::forward_uri);
    EXPECT_EQ(a.failover.target, "sip:voicemail@10.20.1.50");

    const dp::TrunkSpec& g = c.trunks[1];
    EXPECT_EQ(g.id, "globex");
    EXPECT_EQ(g.inbound, dp::InboundMode::primary_first);
    EXPECT_EQ(g.primary.algorithms, (std::vector<dp::DigestAlgorithm>{dp::DigestAlgorithm::sha256,
                                                                      dp::DigestAlgorithm::md5}));
    EXPECT_EQ(g.primary.ha1_md5, "5d8ededa73c4af7a78f64bf4cbd8dfee");
    EXPECT_EQ(g.primary.ha1_sha256,
              "9d315f7ad35b74e3b8351dde5bc96934eac23e5590fe0fb1dc5e94ca7a84e4ca");
    EXPECT_EQ(g.secondary.ha1_md5, "");
    EXPECT_EQ(g.secondary.ha1_sha256,
              "371fe6a09341c9dc277eec2238a9e76d17e8c6e2798b99dd59b9d12a748c6814");
    EXPECT_EQ(g.limits.max_concurrent, 10u);  // defaults
    EXPECT_EQ(g.limits.max_duration_s, 14400u);
    EXPECT_EQ(g.failover.action, dp::FailoverAction::reject);
    EXPECT_EQ(g.failover.reject_code, 486);
    EXPECT_EQ(g.failover.reject_reason, "Busy Here");

    EXPECT_GT(c.countries.size(), 240u);
}

TEST(Config, MinimalFileGetsTheDefaults) {
    dp::ConfigSpec c;
    Settings s;
    std::vector<std::string> errors;
    ASSERT_TRUE(load_config_text(minimal(), "mem.toml", c, s, errors)) << join(errors);
    const dp::ConfigSpec d;
    EXPECT_EQ(c.eal.lcores, d.eal.lcores);
    EXPECT_EQ(c.eal.mbuf_count, d.eal.mbuf_count);
    EXPECT_EQ(c.sip.realm, d.sip.realm);
    EXPECT_EQ(c.sip.session_expires_s, d.sip.session_expires_s);
    EXPECT_EQ(c.sip.emergency_numbers, d.sip.emergency_numbers);
    EXPECT_EQ(s.cli_socket, Settings().cli_socket);
    EXPECT_TRUE(c.trunks.empty());
    EXPECT_EQ(
        config_summary("mem.toml", c),
        "mem.toml: ok: 0 trunks (0 accounts), 0 DID entries (0 numbers), 0 policies (0 rules), "
        "2 interfaces, 1 core peer");
}

// ---- bad files: exact messages

class BadFile : public ::testing::TestWithParam<const char*> {};

TEST_P(BadFile, GivesExactlyTheExpectedErrors) {
    const std::string base = data_dir() + "/" + GetParam();
    std::vector<std::string> expected;
    for (std::string line : lines_of(read_all(base + ".expected"))) {
        const auto at = line.find("@DIR@");
        if (at != std::string::npos) line.replace(at, 5, data_dir());
        expected.push_back(base + ".toml:" + line);
    }
    ASSERT_FALSE(expected.empty());
    dp::ConfigSpec c;
    c.eal.lcores = "untouched";
    Settings s;
    std::vector<std::string> errors;
    EXPECT_FALSE(load_config(base + ".toml", c, s, errors));
    EXPECT_EQ(join(errors), join(expected));
    EXPECT_EQ(c.eal.lcores, "untouched");  // a failed load changes nothing
}

INSTANTIATE_TEST_SUITE_P(Config, BadFile,
                         ::testing::Values("bad_syntax", "bad_schema", "bad_semantics",
                                           "bad_missing", "bad_countries", "bad_empty_lists",
                                           "bad_rules"));

TEST(Config, ErrorsAreSortedByPosition) {
    dp::ConfigSpec c;
    Settings s;
    std::vector<std::string> errors;
    ASSERT_FALSE(load_config(data_dir() + "/bad_semantics.toml", c, s, errors));
    ASSERT_GT(errors.size(), 30u);
    auto pos = [](const std::string& e) {
        auto a = e.find(".toml:") + 6;
        auto b = e.find(':', a);
        auto d = e.find(':', b + 1);
        return std::pair{std::stoi(e.substr(a, b - a)), std::stoi(e.substr(b + 1, d - b - 1))};
    };
    for (std::size_t i = 1; i < errors.size(); ++i)
        EXPECT_LE(pos(errors[i - 1]), pos(errors[i])) << errors[i];
}

TEST(Config, UnreadableFile) {
    dp::ConfigSpec c;
    Settings s;
    std::vector<std::string> errors;
    EXPECT_FALSE(load_config(data_dir() + "/does-not-exist.toml", c, s, errors));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(
        errors[0],
        data_dir() + "/does-not-exist.toml:1:1: cannot read the file: No such file or directory");
}

TEST(Config, ShortSessionTimersNeedTheTestSetting) {
    const std::string timers = "session_expires = \"30s\"\nmin_se = \"30s\"\n";
    dp::ConfigSpec c;
    Settings s;
    std::vector<std::string> errors;
    EXPECT_FALSE(load_config_text(minimal(timers), "m.toml", c, s, errors));
    ASSERT_EQ(errors.size(), 2u) << join(errors);
    EXPECT_EQ(errors[0],
              "m.toml:14:19: sip.session_expires: 30s is below RFC 4028's minimum of 90s "
              "(allowed only with sip.test_allow_short_session_timers = true)");
    errors.clear();
    EXPECT_TRUE(load_config_text(minimal(timers + "test_allow_short_session_timers = true\n"),
                                 "m.toml", c, s, errors))
        << join(errors);
    EXPECT_EQ(c.sip.session_expires_s, 30u);
}

// trunks[].caller_id_from_header: a boolean, default false (DESIGN.md §4's PAI/RPID rule).
TEST(Config, CallerIdFromHeaderIsABooleanDefaultFalse) {
    auto trunk = [](const std::string& extra) {
        return "[policies.p]\n"
               "[[trunks]]\nid = \"one\"\nsubnets = [\"10.9.0.0/16\"]\npolicy = \"p\"\n" +
               extra +
               "primary = { username = \"u1\", password = \"p\" }\nsecondary = { username = \"u2\", "
               "password = \"p\" }\n";
    };
    {
        dp::ConfigSpec c;
        Settings s;
        std::vector<std::string> errors;
        ASSERT_TRUE(load_config_text(minimal(trunk("")), "m.toml", c, s, errors)) << join(errors);
        ASSERT_EQ(c.trunks.size(), 1u);
        EXPECT_FALSE(c.trunks[0].caller_id_from_header);
    }
    {
        dp::ConfigSpec c;
        Settings s;
        std::vector<std::string> errors;
        ASSERT_TRUE(load_config_text(minimal(trunk("caller_id_from_header = true\n")), "m.toml", c,
                                     s, errors))
            << join(errors);
        ASSERT_EQ(c.trunks.size(), 1u);
        EXPECT_TRUE(c.trunks[0].caller_id_from_header);
        // And it reaches the snapshot.
        dp::LimitsTable limits(4);
        dp::SnapshotBuild b = dp::build_policy_snapshot(c, limits);
        ASSERT_TRUE(b.snapshot != nullptr) << b.error;
        EXPECT_EQ(b.snapshot->trunk(0).cid_from_header, 1u);
    }
    for (const char* bad : {"caller_id_from_header = \"yes\"\n", "caller_id_from_header = 1\n"}) {
        dp::ConfigSpec c;
        Settings s;
        std::vector<std::string> errors;
        EXPECT_FALSE(load_config_text(minimal(trunk(bad)), "m.toml", c, s, errors)) << bad;
        ASSERT_EQ(errors.size(), 1u) << join(errors);
        EXPECT_NE(errors[0].find("trunks[0].caller_id_from_header"), std::string::npos) << errors[0];
        EXPECT_NE(errors[0].find("boolean"), std::string::npos) << errors[0];
    }
}

TEST(Config, DidOverlapAcrossTrunksNamesBoth) {
    const std::string trunks =
        "[policies.p]\n"
        "[[trunks]]\nid = \"one\"\nsubnets = [\"10.9.0.0/16\"]\npolicy = \"p\"\n"
        "dids = [\"+442071234000-+442071234999\"]\n"
        "primary = { username = \"u1\", password = \"p\" }\nsecondary = { username = \"u2\", "
        "password = \"p\" }\n"
        "[[trunks]]\nid = \"two\"\nsubnets = [\"10.8.0.0/16\"]\npolicy = \"p\"\n"
        "dids = [\"+4420712340\", \"+442071234999-+442071235000\", \"+44207123500-+44207123599\"]\n"
        "primary = { username = \"u3\", password = \"p\" }\nsecondary = { username = \"u4\", "
        "password = \"p\" }\n";
    dp::ConfigSpec c;
    Settings s;
    std::vector<std::string> errors;
    EXPECT_FALSE(load_config_text(minimal(trunks), "m.toml", c, s, errors));
    // "+4420712340" and the 11-digit range have other lengths: different numbers, no overlap.
    ASSERT_EQ(errors.size(), 1u) << join(errors);
    EXPECT_EQ(errors[0],
              "m.toml:26:24: trunks[1].dids: DID range +442071234999-+442071235000 overlaps "
              "+442071234000-+442071234999 of trunk 'one' (line 19)");
}

TEST(Config, DidOverlapMatchesABruteForceCheck) {
    // Random DIDs and ranges over a small space (so that they collide), against an O(n^2)
    // reference: the validator reports exactly the entries that overlap an entry before them in
    // (length, first, last, trunk, position) order, and nothing when no two overlap.
    std::mt19937 rng(7);
    int with_overlap = 0;
    for (int round = 0; round < 200; ++round) {
        struct Entry {
            std::string first, last;
            int trunk, index;
        };
        std::vector<Entry> entries;
        std::string trunks;
        const int n_trunks = 1 + int(rng() % 4);
        for (int t = 0; t < n_trunks; ++t) {
            trunks += "[[trunks]]\nid = \"t" + std::to_string(t) + "\"\nsubnets = [\"10." +
                      std::to_string(t) + ".0.0/16\"]\npolicy = \"p\"\ndids = [";
            const int n = int(rng() % 4);
            for (int i = 0; i < n; ++i) {
                // 7 or 8 digits after +31, in a narrow band.
                const int len = 7 + int(rng() % 2);
                const unsigned base = len == 7 ? 2000000 : 20000000;
                const unsigned a = base + rng() % 60, b = a + (rng() % 3 == 0 ? 0 : rng() % 20);
                std::string fa = "+31" + std::to_string(a), fb = "+31" + std::to_string(b);
                trunks += (i != 0 ? ", \"" : "\"") + fa + (fa == fb ? "" : "-" + fb) + "\"";
                entries.push_back({fa, fb, t, i});
            }
            trunks += "]\nprimary = { username = \"a" + std::to_string(t) +
                      "\", password = \"x\" }\nsecondary = { username = \"b" + std::to_string(t) +
                      "\", password = \"x\" }\n";
        }
        std::sort(entries.begin(), entries.end(), [](const Entry& x, const Entry& y) {
            return std::make_tuple(x.first.size(), x.first, x.last, x.trunk, x.index) <
                   std::make_tuple(y.first.size(), y.first, y.last, y.trunk, y.index);
        });
        std::size_t expected = 0;
        for (std::size_t k = 0; k < entries.size(); ++k) {
            for (std::size_t j = 0; j < k; ++j) {
                const Entry &x = entries[j], &y = entries[k];
                if (x.first.size() == y.first.size() && y.first <= x.last && x.first <= y.last) {
                    ++expected;
                    break;
                }
            }
        }
        dp::ConfigSpec c;
        Settings s;
        std::vector<std::string> errors;
        const bool ok =
            load_config_text(minimal("[policies.p]\n" + trunks), "r.toml", c, s, errors);
        EXPECT_EQ(ok, expected == 0) << trunks << join(errors);
        EXPECT_EQ(errors.size(), expected) << trunks << join(errors);
        for (const std::string& e : errors) EXPECT_NE(e.find(" overlaps "), std::string::npos) << e;
        with_overlap += expected != 0;
    }
    EXPECT_GT(with_overlap, 20);   // the generator does produce overlaps
    EXPECT_LT(with_overlap, 190);  // and clean files
}

// ---- the example and the demo

TEST(Config, ExampleAndDemoLoad) {
    for (const char* f : {"/conf/palisade.example.toml", "/conf/demo.toml"}) {
        dp::ConfigSpec c;
        Settings s;
        std::vector<std::string> errors;
        EXPECT_TRUE(load_config(source_root() + f, c, s, errors)) << f << "\n" << join(errors);
        EXPECT_EQ(c.trunks.size(), 2u) << f;
    }
}

// The contract with the policy engine: a file the validator accepts always builds a snapshot.
TEST(Config, ValidatedFilesBuildAPolicySnapshot) {
    for (const std::string& f :
         {source_root() + "/conf/palisade.example.toml", source_root() + "/conf/demo.toml",
          data_dir() + "/good_full.toml"}) {
        dp::ConfigSpec c;
        Settings s;
        std::vector<std::string> errors;
        ASSERT_TRUE(load_config(f, c, s, errors)) << f << "\n" << join(errors);
        dp::LimitsTable limits(16);
        dp::SnapshotBuild b = dp::build_policy_snapshot(c, limits);
        EXPECT_TRUE(b.snapshot != nullptr) << f << ": " << b.error;
        EXPECT_EQ(b.error, "") << f;
        if (b.snapshot) {
            const dp::PolicySummary sum = dp::summarize(*b.snapshot);
            EXPECT_EQ(sum.trunks, c.trunks.size()) << f;
            EXPECT_EQ(sum.policies, c.policies.size()) << f;
        }
    }
}

TEST(Config, DemoIsWhatTheDemoNeeds) {
    dp::ConfigSpec c;
    Settings s;
    std::vector<std::string> errors;
    ASSERT_TRUE(load_config(source_root() + "/conf/demo.toml", c, s, errors)) << join(errors);
    EXPECT_EQ(c.eal.idle_backoff_us, 100u);
    // scripts/demo.sh makes these veths.
    EXPECT_EQ(c.interfaces[0].device, "net_af_packet0,iface=pe-d-acc");
    EXPECT_EQ(c.interfaces[1].device, "net_af_packet1,iface=pe-d-cor");
    EXPECT_EQ(c.core_peers[0].address, 0x0a14010au);
    EXPECT_EQ(c.core_peers[1].address, 0x0a14010bu);
    for (const dp::TrunkSpec& t : c.trunks) {
        for (const dp::AccountSpec* a : {&t.primary, &t.secondary}) {
            // SIPp does MD5 only.
            EXPECT_EQ(a->algorithms, (std::vector<dp::DigestAlgorithm>{dp::DigestAlgorithm::md5}));
            EXPECT_EQ(a->ha1_md5.size(), 32u);
        }
    }
}

// Schema path of a node: array indices become [], policy names become *.
void collect_paths(const toml::table& t, const std::string& spath, std::set<std::string>& out) {
    for (auto&& [k, v] : t) {
        std::string p = spath.empty() ? std::string(k.str()) : spath + "." + std::string(k.str());
        if (spath == "policies") p = "policies.*";
        out.insert(p);
        if (const toml::table* sub = v.as_table()) {
            collect_paths(*sub, p, out);
        } else if (const toml::array* a = v.as_array()) {
            for (const toml::node& e : *a)
                if (const toml::table* et = e.as_table()) collect_paths(*et, p + "[]", out);
        }
    }
}

TEST(Config, ExampleSetsAndDocumentsEveryKey) {
    const std::string path = source_root() + "/conf/palisade.example.toml";
    const std::string text = read_all(path);
    const toml::table root = toml::parse(text, path);
    std::set<std::string> present;
    collect_paths(root, "", present);
    for (const KeyDef& k : schema()) {
        EXPECT_TRUE(present.count(std::string(k.path)) == 1)
            << "the example does not set " << k.path;
        EXPECT_NE(text.find(key_comment(k) + "\n"), std::string::npos)
            << "the example lacks the doc line of " << k.path << ":\n"
            << key_comment(k);
    }
    for (const std::string& p : present) EXPECT_NE(find_key(p), nullptr) << p;
}

TEST(Config, SchemaIsWellFormed) {
    std::set<std::string_view> paths;
    for (const KeyDef& k : schema()) {
        EXPECT_TRUE(paths.insert(k.path).second) << "duplicate " << k.path;
        EXPECT_FALSE(k.doc.empty()) << k.path;
        EXPECT_NE(k.apply, nullptr) << k.path;
        if (k.kind == ValueKind::integer || k.kind == ValueKind::duration) {
            EXPECT_LE(k.min, k.max) << k.path;
        }
        if (k.kind == ValueKind::duration) {
            EXPECT_TRUE(k.unit == "ms" || k.unit == "s") << k.path;
        }
        // Parents come first.
        const auto dot = k.path.rfind('.');
        if (dot != std::string_view::npos) {
            std::string_view parent = k.path.substr(0, dot);
            if (parent.size() > 2 && parent.substr(parent.size() - 2) == "[]")
                parent.remove_suffix(2);
            EXPECT_TRUE(paths.count(parent) == 1) << k.path << " before its parent " << parent;
        }
    }
}

// ---- schema defaults against the ConfigSpec's own defaults

// Every value of a spec, as text, for comparisons.
std::string dump(const dp::ConfigSpec& c, const Settings& st) {
    std::ostringstream o;
    auto strs = [&](const std::vector<std::string>& v) {
        for (const std::string& x : v) o << x << ',';
        o << ';';
    };
    auto ranges = [&](const std::vector<dp::NumberRange>& v) {
        for (const dp::NumberRange& r : v) o << r.first << '-' << r.last << ',';
        o << ';';
    };
    o << st.cli_socket << st.call_records << st.state_dir << ';';
    strs(c.eal.args);
    o << c.eal.lcores << c.eal.mbuf_count << ',' << c.eal.mbuf_cache << ',' << c.eal.mbuf_data_room
      << ',' << c.eal.idle_backoff_us << ',' << c.eal.ring_size << ';';
    for (const dp::InterfaceSpec& i : c.interfaces)
        o << i.name << int(i.role) << i.device << i.address.addr << '/' << int(i.address.len) << ','
          << i.gateway << ',' << i.sip_port << ',' << i.mtu << ';';
    for (const dp::CorePeerSpec& p : c.core_peers)
        o << p.name << p.address << ',' << p.port << ',' << p.priority << ',' << p.weight << ';';
    const dp::SipSettings& s = c.sip;
    o << s.realm << s.nonce_secret << s.nonce_lifetime_s << ',' << s.t1_ms << ',' << s.t2_ms << ','
      << s.t4_ms << ',' << s.invite_timeout_ms << ',' << s.session_expires_s << ',' << s.min_se_s
      << ',' << s.test_allow_short_session_timers << ',' << s.keepalive_interval_s << ','
      << s.keepalive_timeout_ms << ',' << s.keepalive_down_after << ',' << s.keepalive_up_after
      << ',' << s.register_expires_min_s << ',' << s.register_expires_default_s << ','
      << s.register_expires_max_s << ',' << int(s.unknown_source) << ';';
    strs(s.emergency_numbers);
    strs(s.in_dialog_methods);
    for (const dp::DestPolicySpec& p : c.policies) {
        o << p.name << int(p.default_action) << ':';
        for (const dp::DestRule& r : p.rules) o << int(r.kind) << int(r.action) << r.value << ',';
        o << ';';
    }
    for (const dp::TrunkSpec& t : c.trunks) {
        o << t.id << ';';
        for (const dp::AccountSpec* a : {&t.primary, &t.secondary}) {
            o << a->username << a->ha1_md5 << a->ha1_sha256;
            for (dp::DigestAlgorithm x : a->algorithms) o << int(x);
            o << ';';
        }
        for (const dp::Ipv4Prefix& p : t.subnets) o << p.addr << '/' << int(p.len) << ',';
        ranges(t.dids);
        ranges(t.caller_ids.ranges);
        strs(t.caller_ids.prefixes);
        const dp::LimitsSpec& l = t.limits;
        o << t.policy << l.max_concurrent << ',' << l.attempts_per_second << ',' << l.calls_per_hour
          << ',' << l.calls_per_day << ',' << l.calls_per_week << ',' << l.max_duration_s << ';'
          << int(t.failover.action) << t.failover.target << t.failover.reject_code
          << t.failover.reject_reason << int(t.inbound) << t.caller_id_from_header << ';';
    }
    return o.str();
}

TEST(Config, SchemaDefaultsAreTheSpecDefaults) {
    // A file that leaves every optional key out, then the same file with one key set to the
    // default the schema documents: the two must load into the same spec.
    const std::string base_text = minimal(
        "[policies.p]\n[[trunks]]\nid = \"t\"\nsubnets = [\"10.9.0.0/16\"]\npolicy = \"p\"\n"
        "primary = { username = \"u1\", password = \"x\" }\n"
        "secondary = { username = \"u2\", password = \"y\" }\n");
    dp::ConfigSpec base;
    Settings base_st;
    std::vector<std::string> errors;
    ASSERT_TRUE(
        load_config_text(base_text, source_root() + "/conf/base.toml", base, base_st, errors))
        << join(errors);
    const std::string expected = dump(base, base_st);

    std::set<std::string> not_toml;
    int checked = 0;
    for (const KeyDef& k : schema()) {
        if (k.default_text.empty() || k.kind == ValueKind::table || k.kind == ValueKind::table_map)
            continue;
        toml::table value_doc;
        try {
            value_doc = toml::parse("v = " + std::string(k.default_text));
        } catch (const toml::parse_error&) {
            not_toml.insert(std::string(k.path));  // described in words ("the role")
            continue;
        }
        toml::table doc = toml::parse(base_text);
        toml::table* t = &doc;
        std::string_view path = k.path;
        while (true) {
            const auto dot = path.find('.');
            std::string seg(path.substr(0, dot));
            if (dot == std::string_view::npos) {
                t->insert_or_assign(seg, *value_doc.get("v"));
                break;
            }
            path.remove_prefix(dot + 1);
            if (seg == "*") seg = "p";
            if (seg.size() > 2 && seg.substr(seg.size() - 2) == "[]") {
                t = t->get(seg.substr(0, seg.size() - 2))->as_array()->get(0)->as_table();
            } else {
                if (t->get(seg) == nullptr) t->insert(seg, toml::table{});
                t = t->get(seg)->as_table();
            }
        }
        std::ostringstream text;
        text << doc;
        dp::ConfigSpec c;
        Settings st;
        errors.clear();
        ASSERT_TRUE(load_config_text(text.str(), source_root() + "/conf/base.toml", c, st, errors))
            << k.path << "\n"
            << join(errors) << text.str();
        EXPECT_EQ(dump(c, st), expected)
            << k.path << " = " << k.default_text << " is not the ConfigSpec default";
        ++checked;
    }
    EXPECT_EQ(not_toml, (std::set<std::string>{"interfaces[].name", "core_peers[].name"}));
    EXPECT_GT(checked, 50);
}

// ---- palisadectl check

int run_check_with(std::vector<std::string> args) {
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    return run_check(static_cast<int>(args.size()), argv.data());
}

TEST(CheckCommand, ExitStatus) {
    EXPECT_EQ(run_check_with({"check", source_root() + "/conf/demo.toml"}), 0);
    EXPECT_EQ(run_check_with({"check", data_dir() + "/bad_semantics.toml"}), 1);
    EXPECT_EQ(run_check_with({"check", data_dir() + "/does-not-exist.toml"}), 1);
    EXPECT_EQ(run_check_with({"check"}), 2);
    EXPECT_EQ(run_check_with({"check", "a.toml", "b.toml"}), 2);
    EXPECT_EQ(run_check_with({"check", "--keys"}), 0);
}

TEST(CheckCommand, PrintsExactlyTheErrorLines) {
    const std::string file = data_dir() + "/bad_empty_lists.toml";
    testing::internal::CaptureStderr();
    testing::internal::CaptureStdout();
    EXPECT_EQ(run_check_with({"check", file}), 1);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(testing::internal::GetCapturedStdout(), "");
    EXPECT_EQ(err, file + ":3:14: interfaces: no interface with role access\n" + file +
                       ":3:14: interfaces: no interface with role core\n" + file +
                       ":4:14: core_peers: at least one core peer is needed\n");

    testing::internal::CaptureStderr();
    testing::internal::CaptureStdout();
    EXPECT_EQ(run_check_with({"check", source_root() + "/conf/demo.toml"}), 0);
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
    EXPECT_EQ(testing::internal::GetCapturedStdout(),
              source_root() +
                  "/conf/demo.toml: ok: 2 trunks (4 accounts), 3 DID entries (111 numbers), "
                  "1 policy (3 rules), 2 interfaces, 2 core peers\n");
}

TEST(CheckCommand, Summary) {
    dp::ConfigSpec c;
    Settings s;
    std::vector<std::string> errors;
    ASSERT_TRUE(load_config(source_root() + "/conf/demo.toml", c, s, errors)) << join(errors);
    EXPECT_EQ(
        config_summary("demo.toml", c),
        "demo.toml: ok: 2 trunks (4 accounts), 3 DID entries (111 numbers), 1 policy (3 rules), "
        "2 interfaces, 2 core peers");
}

// ---- country data

struct Countries {
    std::vector<dp::CountrySpec> list;
    std::map<std::string, std::string> owner;  // prefix -> ISO

    Countries() {
        std::vector<std::string> errors;
        EXPECT_TRUE(load_countries(source_root() + "/conf/countries.tsv", list, errors))
            << join(errors);
        for (const dp::CountrySpec& c : list)
            for (const std::string& p : c.prefixes) owner[p] = c.iso;
    }
    // The country of a number by longest prefix.
    std::string of(const std::string& number) const {
        for (std::size_t n = number.size(); n > 1; --n) {
            auto it = owner.find(number.substr(0, n));
            if (it != owner.end()) return it->second;
        }
        return "";
    }
    bool has(const std::string& iso, const std::string& prefix) const {
        auto it = owner.find(prefix);
        return it != owner.end() && it->second == iso;
    }
    // Every number that starts with p has a country (checked to depth digits below p).
    bool covered(const std::string& p, int depth) const {
        for (std::size_t n = p.size(); n > 1; --n)
            if (owner.count(p.substr(0, n)) != 0) return true;
        if (depth == 0) return false;
        for (char d = '0'; d <= '9'; ++d)
            if (!covered(p + d, depth - 1)) return false;
        return true;
    }
};

TEST(Countries, SharedCodesAreResolved) {
    const Countries c;
    EXPECT_EQ(c.of("+14165551234"), "CA");
    EXPECT_EQ(c.of("+12125551234"), "US");
    EXPECT_EQ(c.of("+77012345678"), "KZ");
    EXPECT_EQ(c.of("+74951234567"), "RU");
    EXPECT_EQ(c.of("+441481123456"), "GG");
    EXPECT_EQ(c.of("+442071234567"), "GB");
    EXPECT_EQ(c.of("+441534123456"), "JE");
    EXPECT_EQ(c.of("+441624123456"), "IM");
    EXPECT_EQ(c.of("+390669812345"), "VA");
    EXPECT_EQ(c.of("+390612345678"), "IT");
    EXPECT_EQ(c.of("+31201234567"), "NL");
    EXPECT_EQ(c.of("+18765551234"), "JM");
    // The main country of a shared code never owns the bare code: "deny US" must not deny Canada.
    EXPECT_FALSE(c.has("US", "+1"));
    EXPECT_FALSE(c.has("RU", "+7"));
    EXPECT_FALSE(c.has("GB", "+44"));
    EXPECT_FALSE(c.has("NO", "+47"));
    EXPECT_FALSE(c.has("IT", "+39"));
    EXPECT_FALSE(c.has("AU", "+61"));
}

TEST(Countries, NoPrefixBelongsToTwoCountries) {
    const Countries c;
    std::size_t total = 0;
    for (const dp::CountrySpec& cs : c.list) total += cs.prefixes.size();
    EXPECT_EQ(total, c.owner.size());  // load_countries also refuses duplicates
    // Nor is one country's prefix inside another's: longest match would split it silently.
    std::string prev;
    for (const auto& [p, iso] : c.owner) {
        if (!prev.empty()) {
            EXPECT_NE(p.rfind(prev, 0), 0u) << prev << " contains " << p;
        }
        prev = p;
    }
}

TEST(Countries, EveryItuCountryCodeIsCovered) {
    // Country calling codes of ITU-T E.164 (as in libphonenumber 8.12.57).
    const int kCodes[] = {
        1,   7,   20,  27,  30,  31,  32,  33,  34,  36,  39,  40,  41,  43,  44,  45,  46,  47,
        48,  49,  51,  52,  53,  54,  55,  56,  57,  58,  60,  61,  62,  63,  64,  65,  66,  81,
        82,  84,  86,  90,  91,  92,  93,  94,  95,  98,  211, 212, 213, 216, 218, 220, 221, 222,
        223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240,
        241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255, 256, 257, 258,
        260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 290, 291, 297, 298, 299, 350, 351, 352,
        353, 354, 355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375, 376, 377, 378, 380, 381,
        382, 383, 385, 386, 387, 389, 420, 421, 423, 500, 501, 502, 503, 504, 505, 506, 507, 508,
        509, 590, 591, 592, 593, 594, 595, 596, 597, 598, 599, 670, 672, 673, 674, 675, 676, 677,
        678, 679, 680, 681, 682, 683, 685, 686, 687, 688, 689, 690, 691, 692, 800, 808, 850, 852,
        853, 855, 856, 870, 878, 880, 881, 882, 883, 886, 888, 960, 961, 962, 963, 964, 965, 966,
        967, 968, 970, 971, 972, 973, 974, 975, 976, 977, 979, 992, 993, 994, 995, 996, 998};
    const Countries c;
    for (int code : kCodes) {
        std::string prefix(1, '+');
        prefix += std::to_string(code);
        EXPECT_TRUE(c.covered(prefix, 8)) << prefix;
    }
}

// ---- scale

TEST(Config, HundredThousandTrunksValidate) {
    constexpr int kTrunks = 100'000;
    std::string text = minimal(
        "[policies.p]\ndefault = \"allow\"\nrules = [{ action = \"deny\", prefix = \"+3190\" }]\n");
    text.reserve(text.size() + std::size_t{kTrunks} * 420);
    char buf[512];
    for (int i = 0; i < kTrunks; ++i) {
        // Each trunk: its own /28, one DID and one range of 100, two password accounts.
        const unsigned a = 0x0b000000u + unsigned(i) * 16;
        std::snprintf(
            buf, sizeof buf,
            "[[trunks]]\nid = \"t%d\"\nsubnets = [\"%u.%u.%u.%u/28\"]\npolicy = \"p\"\n"
            "dids = [\"+3120%07d\", \"+3130%05d00-+3130%05d99\"]\ncaller_ids = [\"+3120%07d\"]\n"
            "primary = { username = \"t%d-a\", password = \"pw%d\", algorithms = [\"md5\"] }\n"
            "secondary = { username = \"t%d-b\", password = \"pw%d\", algorithms = [\"md5\"] }\n",
            i, a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, i, i, i, i, i, i, i, i);
        text += buf;
    }
    dp::ConfigSpec c;
    Settings s;
    std::vector<std::string> errors;
    const auto t0 = std::chrono::steady_clock::now();
    const bool ok = load_config_text(text, "big.toml", c, s, errors);
    const auto t1 = std::chrono::steady_clock::now();
    ASSERT_TRUE(ok) << (errors.empty() ? "" : errors[0]);
    EXPECT_EQ(c.trunks.size(), std::size_t{kTrunks});
    std::printf("[ config   ] %d trunks, %zu bytes: load + validate in %.0f ms\n", kTrunks,
                text.size(), std::chrono::duration<double, std::milli>(t1 - t0).count());

    // The same with one DID claimed twice, at the very end: found, and only that.
    text +=
        "[[trunks]]\nid = \"late\"\nsubnets = [\"10.200.0.0/16\"]\npolicy = \"p\"\n"
        "dids = [\"+31300000042\"]\n"
        "primary = { username = \"late-a\", password = \"x\" }\nsecondary = { username = "
        "\"late-b\", password = \"x\" }\n";
    const auto t2 = std::chrono::steady_clock::now();
    EXPECT_FALSE(load_config_text(text, "big.toml", c, s, errors));
    const auto t3 = std::chrono::steady_clock::now();
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("DID +31300000042 overlaps +31300000000-+31300000099 of trunk 't0'"),
              std::string::npos)
        << errors[0];
    std::printf("[ config   ] %d trunks with one DID overlap: refused in %.0f ms\n", kTrunks + 1,
                std::chrono::duration<double, std::milli>(t3 - t2).count());
}

}  // namespace
}  // namespace palisade::cp
