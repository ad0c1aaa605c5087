// palisade-bench-registrar: REGISTER with SHA-256 digest handled end to end by the control
// plane (issue 5), on one core, against ceilings measured in the same run.
//
//  BM_RegisterSha256/accounts:N/challenge:1
//                                 one authenticated registration = two REGISTERs through
//                                 Registrar::handle: the first without credentials (401: nonce
//                                 made with HMAC-SHA256, one challenge per allowed algorithm,
//                                 reply built), the second with SHA-256 credentials (parse,
//                                 validate, nonce checked, response verified, nonce-count
//                                 recorded, binding updated, record published to the
//                                 LocationTable, old record retired, 200 OK with Contact and Date
//                                 built). Accounts are visited in a random order; each round
//                                 every account re-registers with the next nonce-count (the
//                                 credentials are prepared outside the timing between rounds).
//  BM_RegisterSha256/accounts:N/challenge:0
//                                 the same without the 401: the PBX reuses its nonce with the
//                                 next nonce-count (one REGISTER per registration)
//  .../warm:0                     the timed loop starts from an empty registrar: with 200,000
//                                 accounts and ~100,000 iterations, most are first
//                                 registrations (binding added, location record and source keys
//                                 created): a registration storm
//  .../warm:1                     every account registered once before the timing: every timed
//                                 REGISTER refreshes an existing binding (the steady state)
//  BM_ParseBuild                  ceiling: parse + validate the same authenticated REGISTER and
//                                 build a 200 OK (no digest, no state)
//  BM_VerifySha256                ceiling: response_matches alone (HA2 + response, SHA-256)
//  BM_VerifySha256Evp             the same two hashes through OpenSSL EVP (allocates per digest)
//  BM_MillionBindings             not a speed test: 200,000 accounts x 5 contacts = 1,000,000
//                                 bindings registered through handle(); reports the heap growth
//                                 (mallinfo2) per binding (registrar + location table +
//                                 indexes), the RSS growth and the process RSS
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "controlplane/registrar/registrar.hpp"
#include "dataplane/contract/limits.hpp"
#include "parsers/sip/builder.hpp"
#include "parsers/sip/digest.hpp"
#include "parsers/sip/message.hpp"
#include "parsers/sip/validate.hpp"

// GCC 12 warns falsely on "literal" + std::string at -O3 (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

namespace palisade::cp {
namespace {

constexpr std::uint64_t kNow = 1'700'000'000;
constexpr std::string_view kSecret = "bench-secret";

std::size_t rss_bytes() {
    FILE* f = std::fopen("/proc/self/statm", "r");
    if (f == nullptr) return 0;
    unsigned long size = 0, resident = 0;
    const int n = std::fscanf(f, "%lu %lu", &size, &resident);
    std::fclose(f);
    return n == 2 ? resident * 4096ul : 0;
}

// Octets malloc has handed out and not taken back (heap and mmap'd chunks): unlike RSS, not
// hidden by memory freed earlier and reused.
std::size_t heap_in_use() {
    const struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

std::string hex_ha1(sip::HashAlgorithm alg, std::string_view user) {
    char out[sip::kMaxDigestHexLen];
    return std::string(out, sip::compute_ha1(alg, user, "palisade", "pw-" + std::string(user), out, sizeof out));
}

std::string user_name(std::uint32_t i) {
    std::string s("pbx");
    s.append(std::to_string(i));
    return s;
}

// `trunks` trunks, two accounts each (SHA-256 preferred, MD5 allowed), HA1 only.
struct World {
    dp::ConfigSpec spec;
    dp::LimitsTable limits;
    dp::PolicySnapshotPtr snap;
    std::uint32_t trunks;
    explicit World(std::uint32_t n) : limits(n + 16), trunks(n) {
        spec.sip.realm = "palisade";
        spec.sip.nonce_secret = std::string(kSecret);
        spec.sip.nonce_lifetime_s = 3600;
        spec.policies.push_back({"open", {}, dp::RuleAction::allow});
        spec.trunks.reserve(n);
        for (std::uint32_t t = 0; t < n; ++t) {
            dp::TrunkSpec ts;
            ts.id = "t" + std::to_string(t);
            ts.policy = "open";
            ts.subnets = {{0x0a000000u + (t << 8), 24}};
            for (int r = 0; r < 2; ++r) {
                dp::AccountSpec& a = r == 0 ? ts.primary : ts.secondary;
                a.username = user_name(2 * t + static_cast<std::uint32_t>(r));
                a.ha1_sha256 = hex_ha1(sip::HashAlgorithm::sha256, a.username);
                a.ha1_md5 = hex_ha1(sip::HashAlgorithm::md5, a.username);
            }
            spec.trunks.push_back(std::move(ts));
        }
        dp::SnapshotBuild b = dp::build_policy_snapshot(spec, limits);
        if (!b.snapshot) {
            std::fprintf(stderr, "snapshot: %s\n", b.error.c_str());
            std::abort();
        }
        snap = std::move(b.snapshot);
    }
};

std::unique_ptr<World> g_world;  // shared by the runs of BM_RegisterSha256

std::string register_text(std::string_view user, std::uint32_t cseq, int contacts, std::string_view auth) {
    std::string r;
    r.reserve(1024);
    r.append("REGISTER sip:sbc.example.net SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-")
        .append(user).append("-").append(std::to_string(cseq)).append(";rport\r\n"
             "Max-Forwards: 70\r\n"
             "From: <sip:").append(user).append("@sbc.example.net>;tag=8f3a1c\r\n"
             "To: <sip:").append(user).append("@sbc.example.net>\r\n"
             "Call-ID: 5c1e9a7b-").append(user).append("@192.0.2.10\r\n"
             "CSeq: ").append(std::to_string(cseq)).append(" REGISTER\r\n");
    for (int c = 0; c < contacts; ++c)
        r.append("Contact: <sip:").append(user).append("@192.0.2.10:").append(std::to_string(5060 + c))
            .append(";transport=udp>\r\n");
    r.append("Expires: 3600\r\n"
             "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE\r\n"
             "User-Agent: Asterisk PBX 20.5.0\r\n");
    r.append(auth);
    r.append("Content-Length: 0\r\n\r\n");
    return r;
}

std::string auth_header(sip::HashAlgorithm alg, std::string_view user, std::string_view ha1, std::string_view nonce,
                        std::uint32_t nc) {
    char nc_text[9];
    std::snprintf(nc_text, sizeof nc_text, "%08x", nc);
    char resp[sip::kMaxDigestHexLen];
    const std::size_t n = sip::compute_response(alg, ha1, nonce, nc_text, "6c4b1f0a9e2d", "auth", "REGISTER",
                                                "sip:sbc.example.net", resp, sizeof resp);
    std::string h("Authorization: Digest username=\"");
    h.append(user).append("\", realm=\"palisade\", nonce=\"").append(nonce)
        .append("\", uri=\"sip:sbc.example.net\", response=\"").append(resp, n)
        .append("\", algorithm=").append(sip::algorithm_name(alg))
        .append(", cnonce=\"6c4b1f0a9e2d\", qop=auth, nc=").append(nc_text).append("\r\n");
    return h;
}

struct Rig {
    dp::LocationTable location;
    sip::NonceCountTable counts{1u << 20};
    Registrar reg;
    explicit Rig(std::uint32_t accounts, std::uint32_t contacts_per_account)
        : location(dp::LocationLimits{accounts, accounts * (contacts_per_account + 1) * 2, 1024,
                                      accounts / 2 + 16, 8}),
          reg(location, counts, kSecret) {}
};

void BM_RegisterSha256(benchmark::State& state) {
    const auto accounts = static_cast<std::uint32_t>(state.range(0));
    // 1: every registration is challenged first (two REGISTERs); 0: the PBX reuses its nonce
    // with the next nonce-count (RFC 7616 §3.4; one REGISTER, the steady state of refreshes).
    const bool challenge = state.range(1) != 0;
    const bool warm = state.range(2) != 0;
    std::unique_ptr<World>& world = g_world;
    if (!world || world->trunks != accounts / 2) {
        world.reset();
        world = std::make_unique<World>(accounts / 2);
    }
    auto rig = std::make_unique<Rig>(accounts, 1);
    sip::NonceCodec ua_nonces(kSecret, 7);  // stands in for the nonce the 401 carried
    std::vector<std::uint32_t> order(accounts);
    for (std::uint32_t i = 0; i < accounts; ++i) order[i] = i;
    std::mt19937_64 rng(42);
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<std::string> nonce(accounts), ha1(accounts), plain(accounts), authed(accounts);
    for (std::uint32_t i = 0; i < accounts; ++i) {
        char buf[sip::kNonceLen];
        nonce[i].assign(buf, ua_nonces.make(kNow, 3600, buf, sizeof buf));
        ha1[i] = hex_ha1(sip::HashAlgorithm::sha256, user_name(i));
    }
    auto prepare = [&](std::uint32_t round) {
        for (std::uint32_t i = 0; i < accounts; ++i) {
            const std::string u = user_name(i);
            plain[i] = register_text(u, 2 * round + 1, 1, {});
            authed[i] = register_text(u, 2 * round + 2, 1,
                                      auth_header(sip::HashAlgorithm::sha256, u, ha1[i], nonce[i], round + 1));
        }
    };
    auto in = std::make_unique<dp::RingMessage>();
    auto out = std::make_unique<dp::RingMessage>();
    in->kind = dp::RingKind::sip_register;
    in->remote_port = 5060;
    std::uint32_t round = 0;
    prepare(round);
    // Check before timing: the first REGISTER is challenged, the second bound.
    {
        in->remote_ip = 0xc000020a;
        in->set_text(plain[0]);
        if (!rig->reg.handle(*in, *world->snap, kNow, *out) || out->text().substr(0, 11) != "SIP/2.0 401") {
            state.SkipWithError("first REGISTER not challenged");
            return;
        }
        rig = std::make_unique<Rig>(accounts, 1);  // start clean
    }
    if (warm) {  // every account bound once, outside the timing
        for (std::uint32_t i = 0; i < accounts; ++i) {
            in->remote_ip = 0xc0000000u + i;
            in->set_text(plain[i]);
            rig->reg.handle(*in, *world->snap, kNow, *out);
            in->set_text(authed[i]);
            rig->reg.handle(*in, *world->snap, kNow, *out);
        }
        rig->location.synchronize();
        if (rig->reg.bindings().size() != accounts) {
            state.SkipWithError("warm-up did not bind every account");
            return;
        }
        prepare(++round);
    }
    std::size_t pos = 0;
    std::uint64_t ok = 0;
    for (auto _ : state) {
        if (pos == accounts) {
            state.PauseTiming();
            prepare(++round);
            pos = 0;
            state.ResumeTiming();
        }
        const std::uint32_t i = order[pos++];
        in->remote_ip = 0xc0000000u + i;
        if (challenge) {
            in->set_text(plain[i]);
            rig->reg.handle(*in, *world->snap, kNow, *out);
        }
        in->set_text(authed[i]);
        rig->reg.handle(*in, *world->snap, kNow, *out);
        if (out->payload[8] == '2') {
            ++ok;
        } else if (ok + 1 == static_cast<std::uint64_t>(pos)) {
            std::fprintf(stderr, "%.*s\n", static_cast<int>(out->length), out->payload);
        }
        benchmark::DoNotOptimize(out->length);
    }
    if (ok != static_cast<std::uint64_t>(state.iterations())) {
        state.SkipWithError("an authenticated REGISTER did not get 200");
        return;
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["registers_per_s"] = benchmark::Counter(
        (challenge ? 2.0 : 1.0) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["bindings"] = static_cast<double>(rig->reg.bindings().size());
}
BENCHMARK(BM_RegisterSha256)
    ->ArgsProduct({{10'000, 200'000}, {1, 0}, {0, 1}})
    ->ArgNames({"accounts", "challenge", "warm"})
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(2.0);

void BM_ParseBuild(benchmark::State& state) {
    sip::NonceCodec codec(kSecret);
    char buf[sip::kNonceLen];
    const std::string nonce(buf, codec.make(kNow, 3600, buf, sizeof buf));
    const std::string text = register_text(user_name(1), 2, 1,
        auth_header(sip::HashAlgorithm::sha256, user_name(1), hex_ha1(sip::HashAlgorithm::sha256, user_name(1)), nonce, 1));
    auto in = std::make_unique<dp::RingMessage>();
    auto out = std::make_unique<dp::RingMessage>();
    for (auto _ : state) {
        in->set_text(text);
        sip::Message m;
        if (m.parse(in->text()) != sip::ParseStatus::ok || sip::validate_request(m) != sip::Reason::none) {
            state.SkipWithError("parse");
            return;
        }
        sip::DigestCredentials c;
        sip::parse_credentials(m.find(sip::HeaderId::authorization)->value, c);
        benchmark::DoNotOptimize(c.response.data());
        const std::size_t n = sip::build_response(m, 200, "OK", "abcdef0123456789",
            "Contact: <sip:pbx1@192.0.2.10:5060;transport=udp>;expires=3600\r\nDate: Tue, 14 Nov 2023 22:13:20 GMT\r\n",
            {}, std::span<char>(out->payload, dp::kRingPayloadMax));
        benchmark::DoNotOptimize(n);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseBuild);

struct VerifyInput {
    std::string ha1, text;
    sip::DigestCredentials creds;
    VerifyInput() {
        ha1 = hex_ha1(sip::HashAlgorithm::sha256, "pbx1");
        text = auth_header(sip::HashAlgorithm::sha256, "pbx1", ha1, "0123456789abcdef0123456789abcdef0123456789abcdef01234567", 1);
        text = text.substr(std::string_view("Authorization: ").size());
        text.resize(text.size() - 2);
        sip::parse_credentials(text, creds);
    }
};

void BM_VerifySha256(benchmark::State& state) {
    VerifyInput v;
    if (!sip::response_matches(sip::HashAlgorithm::sha256, v.ha1, v.creds, "REGISTER")) {
        state.SkipWithError("vector");
        return;
    }
    for (auto _ : state) benchmark::DoNotOptimize(sip::response_matches(sip::HashAlgorithm::sha256, v.ha1, v.creds, "REGISTER"));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifySha256);

// The same two hashes through EVP, as digest.cpp did before (one provider allocation each).
void BM_VerifySha256Evp(benchmark::State& state) {
    VerifyInput v;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    auto hex_hash = [&](std::initializer_list<std::string_view> parts, char* out) {
        EVP_DigestInit_ex2(ctx, EVP_sha256(), nullptr);
        bool first = true;
        for (std::string_view p : parts) {
            if (!first) EVP_DigestUpdate(ctx, ":", 1);
            first = false;
            EVP_DigestUpdate(ctx, p.data(), p.size());
        }
        unsigned char raw[32];
        unsigned int n = 0;
        EVP_DigestFinal_ex(ctx, raw, &n);
        static constexpr char kHex[] = "0123456789abcdef";
        for (unsigned i = 0; i < n; ++i) {
            out[2 * i] = kHex[raw[i] >> 4];
            out[2 * i + 1] = kHex[raw[i] & 15];
        }
    };
    char ha2[64], resp[64];
    hex_hash({"REGISTER", v.creds.uri}, ha2);
    hex_hash({v.ha1, v.creds.nonce, v.creds.nc_text, v.creds.cnonce, v.creds.qop, std::string_view(ha2, 64)}, resp);
    if (std::string_view(resp, 64) != v.creds.response) {
        state.SkipWithError("evp vector");
        EVP_MD_CTX_free(ctx);
        return;
    }
    for (auto _ : state) {
        hex_hash({"REGISTER", v.creds.uri}, ha2);
        hex_hash({v.ha1, v.creds.nonce, v.creds.nc_text, v.creds.cnonce, v.creds.qop, std::string_view(ha2, 64)}, resp);
        benchmark::DoNotOptimize(std::string_view(resp, 64) == v.creds.response);
    }
    EVP_MD_CTX_free(ctx);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifySha256Evp);

void BM_MillionBindings(benchmark::State& state) {
    constexpr std::uint32_t kAccounts = 200'000;
    constexpr int kContacts = 5;
    g_world.reset();
    malloc_trim(0);
    for (auto _ : state) {
        auto world = std::make_unique<World>(kAccounts / 2);
        sip::NonceCodec ua(kSecret, 9);
        world->spec = dp::ConfigSpec{};  // only the snapshot is kept, as in the daemon
        malloc_trim(0);
        const std::size_t before = rss_bytes();
        const std::size_t heap_before = heap_in_use();
        auto rig = std::make_unique<Rig>(kAccounts, kContacts);
        auto in = std::make_unique<dp::RingMessage>();
        auto out = std::make_unique<dp::RingMessage>();
        in->kind = dp::RingKind::sip_register;
        std::uint64_t ok = 0;
        for (std::uint32_t i = 0; i < kAccounts; ++i) {
            const std::string u = user_name(i);
            char buf[sip::kNonceLen];
            const std::string nonce(buf, ua.make(kNow, 3600, buf, sizeof buf));
            in->remote_ip = 0x0b000000u + i;
            in->remote_port = 5060;
            in->set_text(register_text(u, 1, kContacts,
                                       auth_header(sip::HashAlgorithm::sha256, u, hex_ha1(sip::HashAlgorithm::sha256, u), nonce, 1)));
            rig->reg.handle(*in, *world->snap, kNow, *out);
            ok += out->payload[8] == '2' ? 1 : 0;
        }
        rig->location.synchronize();
        const std::size_t after = rss_bytes();
        const std::size_t heap_after = heap_in_use();
        const double bindings = static_cast<double>(rig->reg.bindings().size());
        if (ok != kAccounts || bindings != kAccounts * kContacts) {
            state.SkipWithError("not every REGISTER was bound");
            return;
        }
        state.counters["bindings"] = bindings;
        state.counters["rss_growth_MiB"] = static_cast<double>(after - before) / (1 << 20);
        state.counters["heap_MiB"] = static_cast<double>(heap_after - heap_before) / (1 << 20);
        state.counters["bytes_per_binding"] = static_cast<double>(heap_after - heap_before) / bindings;
        state.counters["location_MiB"] = static_cast<double>(rig->location.stats().bytes) / (1 << 20);
        state.counters["store_MiB"] = static_cast<double>(rig->reg.bindings().bytes()) / (1 << 20);
        state.counters["rss_total_MiB"] = static_cast<double>(after) / (1 << 20);
    }
}
BENCHMARK(BM_MillionBindings)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace palisade::cp

BENCHMARK_MAIN();
