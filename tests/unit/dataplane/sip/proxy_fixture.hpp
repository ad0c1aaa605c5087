// A worker's Proxy driven as pure code (driven clock, no DPDK) for proxy_test and
// proxy_calls_test: a policy snapshot from a ConfigSpec, a LocationTable, a sink recording the
// datagrams (parsed back) and the call events, and helpers playing the PBX and the core with
// sip_peer.hpp.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/contract/peer_health.hpp"
#include "dataplane/policy/decide.hpp"
#include "dataplane/sip/proxy.hpp"
#include "dataplane/sip_stage.hpp"
#include "parsers/sip/digest.hpp"
#include "parsers/sip/validate.hpp"
#include "tests/unit/dataplane/policy/policy_test_config.hpp"
#include "tests/unit/dataplane/sip_peer.hpp"

namespace palisade::dp::test {

inline constexpr std::uint64_t kWallS = 1'700'000'000;
inline constexpr std::uint32_t kAccessIp = ip(192, 0, 2, 1);
inline constexpr std::uint32_t kCoreIp = ip(198, 18, 0, 254);
inline constexpr std::uint32_t kPbxIp = ip(192, 0, 2, 10);
inline constexpr std::uint32_t kPeerA = ip(198, 18, 0, 1);
inline constexpr std::uint32_t kPeerB = ip(198, 18, 0, 2);
inline constexpr std::uint16_t kAccess = 0;
inline constexpr std::uint16_t kCore = 1;

struct Sent {
    std::uint16_t iface = 0;
    Endpoint to{};
    std::string data;
    int status() const { return peer::status(data); }
    std::string method() const { return peer::method(data); }
};

class RecordingSink final : public ProxySink {
public:
    void send(std::uint16_t iface, Endpoint to, std::string_view datagram) noexcept override {
        sent.push_back({iface, to, std::string(datagram)});
    }
    void event(const CallEvent& ev) noexcept override { events.push_back(ev); }
    std::vector<Sent> sent;
    std::vector<CallEvent> events;
};

inline std::string ha1_md5(const std::string& user, const std::string& pw) {
    char out[sip::kMaxDigestHexLen];
    return std::string(out, sip::compute_ha1(sip::HashAlgorithm::md5, user, "palisade", pw, out, sizeof out));
}

inline std::string ip_text(std::uint32_t a) {
    return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
           std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

class ProxyFixture : public ::testing::Test {
protected:
    void SetUp() override {
        spec_ = small_config();
        spec_.sip.realm = "palisade";
        spec_.sip.nonce_secret = "test-secret";
        spec_.sip.test_allow_short_session_timers = true;
        for (TrunkSpec& t : spec_.trunks) {
            t.primary.algorithms = {DigestAlgorithm::md5};
            t.primary.ha1_md5 = ha1_md5(t.primary.username, "pw1");
            t.secondary.algorithms = {DigestAlgorithm::md5};
            t.secondary.ha1_md5 = ha1_md5(t.secondary.username, "pw2");
        }
        spec_.core_peers = {{"a", kPeerA, 5060, 1, 1}, {"b", kPeerB, 5060, 2, 1}};
        config_.worker = 0;
        config_.interfaces = {{Side::access, kAccessIp, 5060, 1500}, {Side::core, kCoreIp, 5060, 1500}};
        config_.max_transactions = 256;
        config_.max_dialogs = 64;
        config_.timers.timer_b_ms = 5000;  // invite_timeout_ms: no provisional in 5 s -> next
        config_.salt = 42;
    }
    // Builds the snapshot and the proxy (call after changing spec_ / config_).
    void start() {
        SnapshotBuild b = build_policy_snapshot(spec_, limits_);
        ASSERT_TRUE(b.snapshot) << b.error;
        snap_ = std::move(b.snapshot);
        ASSERT_TRUE(scratch_.refresh(snap_->destinations().scratch_prototype(), snap_->generation()));
        peers_.reset(spec_.core_peers.size());
        proxy_ = std::make_unique<Proxy>(config_);
        env_.snapshot = snap_.get();
        env_.limits = &limits_;
        env_.scratch = &scratch_;
        env_.location = &location_;
        env_.peers = &peers_;
        env_.nonce_counts = &counts_;
        env_.nonces = &codec_;
        set_time(1000);
    }
    void set_time(std::uint64_t ms) {
        now_ms_ = ms;
        env_.now_ms = ms;
        env_.wall = Instant{kWallS * 1'000'000'000ULL + ms * 1'000'000ULL};
    }
    // Moves the clock forward by `ms` in steps of `step` ms, running the proxy's timers.
    void advance(std::uint64_t ms, std::uint64_t step = 100) {
        const std::uint64_t end = now_ms_ + ms;
        while (now_ms_ < end) {
            set_time(std::min(end, now_ms_ + step));
            proxy_->advance(env_, sink_, counters_);
        }
    }
    // Feeds a datagram from `from` arriving on `iface`.
    void feed(const std::string& text, std::uint16_t iface, Endpoint from) {
        inputs_.push_back(text);
        const std::string& t = inputs_.back();
        sip::Message msg;
        ASSERT_EQ(msg.parse(t), sip::ParseStatus::ok) << t;
        sip::Validated v;
        SipSource src;
        src.src_ip = from.ip;
        src.src_port = from.port;
        src.dst_ip = iface == kAccess ? kAccessIp : kCoreIp;
        src.dst_port = 5060;
        src.port_id = iface;
        if (msg.is_request()) {
            ASSERT_EQ(sip::validate_request(msg, {}, v), sip::Reason::none) << t;
            proxy_->on_request(msg, v, src, iface, env_, sink_, counters_);
        } else {
            ASSERT_EQ(sip::validate_response(msg, v), sip::Reason::none) << t;
            proxy_->on_response(msg, v, src, iface, env_, sink_, counters_);
        }
    }
    void from_pbx(const std::string& text, Endpoint pbx = {kPbxIp, 5060}) { feed(text, kAccess, pbx); }
    void from_core(const std::string& text, Endpoint peer = {kPeerA, 5060}) { feed(text, kCore, peer); }

    // Everything sent since the last take().
    std::vector<Sent> take() {
        std::vector<Sent> out = std::move(sink_.sent);
        sink_.sent.clear();
        for (const Sent& s : out) check_hidden(s);
        return out;
    }
    // The only datagram sent since the last take() that matches (method or status).
    static const Sent* find(const std::vector<Sent>& v, const std::string& method, int status = 0) {
        for (const Sent& s : v)
            if ((status != 0 && s.status() == status) || (!method.empty() && s.method() == method)) return &s;
        return nullptr;
    }
    std::vector<CallEvent> events() {
        std::vector<CallEvent> out = std::move(sink_.events);
        sink_.events.clear();
        return out;
    }
    // Topology hiding: whatever leaves on one side names no address of the other, outside the
    // Call-ID and the SDP (which pass through, DESIGN.md §1).
    static void check_hidden(const Sent& s) {
        std::string headers = s.data.substr(0, s.data.find("\r\n\r\n"));
        const std::size_t cid = headers.find("\r\nCall-ID:");
        if (cid != std::string::npos) headers.erase(cid, headers.find("\r\n", cid + 2) - cid);
        sip::Message m;
        ASSERT_EQ(m.parse(s.data), sip::ParseStatus::ok) << s.data;
        if (s.iface == kCore) {
            EXPECT_EQ(headers.find("192.0.2."), std::string::npos) << "PBX address to the core:\n" << s.data;
            EXPECT_EQ(headers.find("192.168."), std::string::npos) << "PBX address to the core:\n" << s.data;
            EXPECT_EQ(m.count(sip::HeaderId::via), 1u) << s.data;
        } else {
            EXPECT_EQ(headers.find("198.18."), std::string::npos) << "core address to the PBX:\n" << s.data;
        }
    }
    std::uint32_t gauge(const char* trunk = "acme") const {
        return limits_.concurrent(snap_->trunk(snap_->find_trunk(trunk)).limit_slot);
    }
    std::uint64_t counter(Counter k) const {
        std::uint64_t n = 0;
        for (std::uint16_t p = 0; p < kMaxPorts; ++p) n += counters_.get(p, k);
        return n;
    }

    // --- the PBX's side of an outbound call
    peer::InviteSpec pbx_invite(const std::string& call_id = "out-1@pbx") {
        peer::InviteSpec s;
        s.call_id = call_id;
        s.from_user = "+31201234567";
        s.pai = "+31201234567";
        s.to_user = "+31201112222";
        s.pbx_ip = "192.0.2.10";
        s.palisade_ip = "192.0.2.1";
        s.body = peer::sdp("192.0.2.10", "8 0 18 101");
        return s;
    }
    // Sends the INVITE, answers the 407 with credentials: returns the authenticated INVITE and
    // the INVITE that reached the core (leaves the outputs consumed).
    struct Outbound {
        std::string invite;   // as the PBX sent it (with credentials)
        Sent to_core;         // as the core got it
    };
    // Sends INVITE `s`, takes the 407 (its ACK too when `ack`), then sends the INVITE again with
    // credentials (CSeq + 1, a new branch): returns what the proxy sent in answer to that one
    // and leaves the authenticated INVITE in `*sent`. `c407_out` gets the 407 (empty: none came,
    // and nothing more was sent).
    std::vector<Sent> send_with_credentials(peer::InviteSpec s, Endpoint pbx = {kPbxIp, 5060},
                                            bool ack = false, std::string* sent = nullptr,
                                            std::string* c407_out = nullptr) {
        const std::string first = peer::invite(s);
        from_pbx(first, pbx);
        std::vector<Sent> out = take();
        const Sent* c407 = find(out, "", 407);
        if (c407_out != nullptr) *c407_out = c407 != nullptr ? c407->data : std::string();
        if (c407 == nullptr) return out;
        const std::string challenge = c407->data;
        if (ack) {
            from_pbx(peer::ack_for_failure(first, challenge), pbx);
            EXPECT_TRUE(take().empty());  // the ACK of the 407 is absorbed (RFC 3261 §17.2.1)
        }
        s.cseq += 1;
        s.branch += "-2";
        s.extra += peer::proxy_authorization(challenge, "acme-1", "pw1", "INVITE",
                                             "sip:" + s.to_user + "@" + s.palisade_ip);
        const std::string again = peer::invite(s);
        if (sent != nullptr) *sent = again;
        from_pbx(again, pbx);
        return take();
    }

    Outbound authenticated_call(peer::InviteSpec s, Endpoint pbx = {kPbxIp, 5060}) {
        Outbound o;
        std::string c407;
        std::vector<Sent> out = send_with_credentials(s, pbx, true, &o.invite, &c407);
        EXPECT_FALSE(c407.empty());
        if (c407.empty()) return o;
        const Sent* inv = find(out, "INVITE");
        EXPECT_NE(inv, nullptr) << (out.empty() ? std::string("nothing sent") : out.back().data);
        if (inv != nullptr) o.to_core = *inv;
        return o;
    }

    ConfigSpec spec_;
    ProxyConfig config_;
    LimitsTable limits_{16};
    PolicySnapshotPtr snap_;
    WorkerScratch scratch_;
    sip::NonceCodec codec_{"test-secret", 3};
    sip::NonceCountTable counts_{1u << 12, 4};
    LocationTable location_{LocationLimits{64, 256, 64, 16, 4}};
    PeerHealthTable peers_;
    std::unique_ptr<Proxy> proxy_;
    ProxyEnv env_;
    RecordingSink sink_;
    WorkerCounters counters_;
    std::uint64_t now_ms_ = 0;
    std::deque<std::string> inputs_;
};

}  // namespace palisade::dp::test
