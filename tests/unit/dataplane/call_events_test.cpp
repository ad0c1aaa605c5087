// Call events through a RingMessage: encode on the worker, decode (and validate) on the control
// plane; the refusal reasons line up with the policy's DecideReason.
#include "dataplane/contract/call_events.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "dataplane/policy/decide.hpp"

namespace palisade::dp {
namespace {

CallEvent sample(CallEventType type) {
    CallEvent ev;
    ev.type = type;
    ev.direction = CallDirection::outbound;
    ev.account = CallAccount::secondary;
    ev.set_call_id("a84b4c76e66710@pbx.example.net");
    ev.set_trunk_id("acme-01");
    ev.set_caller("+31201234567");
    ev.set_callee("+442079460000");
    ev.trunk_index = 7;
    ev.trunk_key = 42;
    ev.worker = 1;
    ev.start_us = 1'700'000'000'123'456ull;
    ev.time_us = ev.start_us + 5'000'000;
    ev.flags |= kCallFlagCounted;
    return ev;
}

TEST(CallEvents, SizeFitsARingMessage) {
    EXPECT_EQ(sizeof(CallEvent), 352u);
    EXPECT_LE(sizeof(CallEvent), kRingPayloadMax);
}

TEST(CallEvents, KindsAreTheReservedRange) {
    EXPECT_EQ(static_cast<int>(call_event_kind(CallEventType::started)), 3);
    EXPECT_EQ(call_event_kind(CallEventType::answered), RingKind::call_answered);
    EXPECT_EQ(call_event_kind(CallEventType::ended), RingKind::call_ended);
    EXPECT_EQ(call_event_kind(CallEventType::refused), RingKind::call_refused);
    EXPECT_EQ(call_event_kind(CallEventType::failover), RingKind::call_failover);
    EXPECT_LE(static_cast<int>(RingKind::call_failover), 63);
    EXPECT_FALSE(is_call_event(RingKind::sip_register));
    EXPECT_FALSE(is_call_event(RingKind::inject_sip));
    EXPECT_TRUE(is_call_event(RingKind::call_refused));
}

TEST(CallEvents, EndedRoundTrip) {
    auto msg = std::make_unique<RingMessage>();
    CallEvent ev = sample(CallEventType::started);
    ev.answer_us = ev.start_us + 2'000'000;
    make_ended(ev, CallEndReason::session_expired, 200, ev.start_us + 1'800'000'000ull);
    ASSERT_TRUE(encode_call_event(ev, *msg));
    EXPECT_EQ(msg->kind, RingKind::call_ended);
    EXPECT_EQ(msg->cookie, call_id_hash("a84b4c76e66710@pbx.example.net"));
    EXPECT_EQ(msg->worker, 1);
    CallEvent out;
    ASSERT_TRUE(decode_call_event(*msg, out));
    EXPECT_EQ(out.type, CallEventType::ended);
    EXPECT_EQ(out.ended_by, CallParty::palisade);
    EXPECT_EQ(static_cast<CallEndReason>(out.reason), CallEndReason::session_expired);
    EXPECT_EQ(out.code, 200);
    EXPECT_EQ(out.call_id(), "a84b4c76e66710@pbx.example.net");
    EXPECT_EQ(out.trunk_id(), "acme-01");
    EXPECT_EQ(out.caller(), "+31201234567");
    EXPECT_EQ(out.callee(), "+442079460000");
    EXPECT_EQ(out.account, CallAccount::secondary);
    EXPECT_EQ(out.trunk_key, 42u);
    EXPECT_EQ(out.start_us, ev.start_us);
    EXPECT_EQ(out.answer_us, ev.answer_us);
    EXPECT_EQ(out.time_us, ev.time_us);
    EXPECT_TRUE(out.flags & kCallFlagCounted);
}

TEST(CallEvents, EndReasonsNameTheirParty) {
    EXPECT_EQ(call_end_reason_party(CallEndReason::caller_bye), CallParty::caller);
    EXPECT_EQ(call_end_reason_party(CallEndReason::callee_bye), CallParty::callee);
    EXPECT_EQ(call_end_reason_party(CallEndReason::callee_rejected), CallParty::callee);
    EXPECT_EQ(call_end_reason_party(CallEndReason::max_duration), CallParty::palisade);
    EXPECT_EQ(call_end_reason_party(CallEndReason::shutdown), CallParty::palisade);
    EXPECT_EQ(call_end_reason_name(CallEndReason::max_duration), "max_duration");
    EXPECT_EQ(call_end_reason_name(static_cast<CallEndReason>(200)), "unknown");
}

TEST(CallEvents, RefuseReasonsExtendTheDecideReasons) {
    for (std::size_t i = 0; i < kDecideReasonCount; ++i) {
        const auto d = static_cast<DecideReason>(i);
        const auto r = static_cast<CallRefuseReason>(i);
        EXPECT_EQ(call_refuse_reason_name(r), decide_reason_name(d)) << i;
        EXPECT_EQ(call_refuse_reason_code(r), decide_reason_code(d)) << i;
    }
    EXPECT_GT(kCallRefuseReasonCount, kDecideReasonCount);
    EXPECT_EQ(call_refuse_reason_code(CallRefuseReason::sdp_not_acceptable), 488);
    EXPECT_EQ(call_refuse_reason_code(CallRefuseReason::destination_denied), 403);
    EXPECT_EQ(static_cast<std::size_t>(CallRefuseReason::concurrency_limit),
              static_cast<std::size_t>(DecideReason::concurrency_limit));
}

TEST(CallEvents, RefusedAndFailoverRoundTrip) {
    auto msg = std::make_unique<RingMessage>();
    CallEvent ev = sample(CallEventType::refused);
    ev.reason = static_cast<std::uint8_t>(CallRefuseReason::hour_limit);
    ev.code = 403;
    ASSERT_TRUE(encode_call_event(ev, *msg));
    CallEvent out;
    ASSERT_TRUE(decode_call_event(*msg, out));
    EXPECT_EQ(static_cast<CallRefuseReason>(out.reason), CallRefuseReason::hour_limit);
    EXPECT_EQ(out.code, 403);

    ev = sample(CallEventType::failover);
    ev.direction = CallDirection::inbound;
    ev.reason = static_cast<std::uint8_t>(CallFailoverReason::target_5xx);
    ev.failover_to = static_cast<std::uint8_t>(FailoverTarget::other_account);
    ev.code = 503;
    ASSERT_TRUE(encode_call_event(ev, *msg));
    EXPECT_EQ(msg->kind, RingKind::call_failover);
    ASSERT_TRUE(decode_call_event(*msg, out));
    EXPECT_EQ(static_cast<CallFailoverReason>(out.reason), CallFailoverReason::target_5xx);
    EXPECT_EQ(static_cast<FailoverTarget>(out.failover_to), FailoverTarget::other_account);
    EXPECT_EQ(call_failover_reason_name(CallFailoverReason::no_registration), "no_registration");
}

TEST(CallEvents, LongTextIsTruncatedAndFlagged) {
    CallEvent ev;
    const std::string long_id(300, 'x');
    ev.set_call_id(long_id);
    EXPECT_EQ(ev.call_id().size(), kCallIdTextMax);
    EXPECT_TRUE(ev.flags & kCallFlagCallIdTruncated);
    EXPECT_EQ(ev.call_id_hash, call_id_hash(long_id));  // the hash covers the whole value
    ev.set_call_id("short");
    EXPECT_FALSE(ev.flags & kCallFlagCallIdTruncated);
    ev.set_caller(std::string(100, '1'));
    EXPECT_EQ(ev.caller().size(), kCallPartyMax);
    EXPECT_TRUE(ev.flags & kCallFlagCallerTruncated);
}

TEST(CallEvents, DecodeRefusesBadMessages) {
    auto msg = std::make_unique<RingMessage>();
    CallEvent ev = sample(CallEventType::ended);
    make_ended(ev, CallEndReason::caller_bye, 200, 1);
    ASSERT_TRUE(encode_call_event(ev, *msg));
    CallEvent out;

    RingMessage& m = *msg;
    m.kind = RingKind::sip_register;  // not an event
    EXPECT_FALSE(decode_call_event(m, out));
    m.kind = RingKind::call_started;  // kind disagrees with the type
    EXPECT_FALSE(decode_call_event(m, out));
    m.kind = RingKind::call_ended;
    m.length = sizeof(CallEvent) - 1;  // short
    EXPECT_FALSE(decode_call_event(m, out));
    m.length = sizeof(CallEvent);
    ASSERT_TRUE(decode_call_event(m, out));

    auto corrupt = [&](std::size_t offset, std::uint8_t value) {
        auto copy = std::make_unique<RingMessage>();
        ASSERT_TRUE(encode_call_event(ev, *copy));
        copy->payload[offset] = static_cast<char>(value);
        EXPECT_FALSE(decode_call_event(*copy, out)) << "offset " << offset;
    };
    corrupt(offsetof(CallEvent, reason), 250);       // end reason out of range
    corrupt(offsetof(CallEvent, direction), 7);
    corrupt(offsetof(CallEvent, account), 9);
    corrupt(offsetof(CallEvent, ended_by), 0);       // ended with nobody
    corrupt(offsetof(CallEvent, call_id_len), 200);  // longer than its buffer
    corrupt(offsetof(CallEvent, caller_len), 49);
    corrupt(offsetof(CallEvent, type), 9);

    // Random payloads never crash the decoder (and whatever it accepts stays in bounds).
    std::uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 20000; ++i) {
        auto* p = reinterpret_cast<unsigned char*>(m.payload);
        for (std::size_t j = 0; j < sizeof(CallEvent); ++j) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            p[j] = static_cast<unsigned char>(x);
        }
        m.kind = static_cast<RingKind>(3 + (x % 5));
        if (decode_call_event(m, out)) {
            EXPECT_LE(out.call_id().size(), kCallIdTextMax);
            EXPECT_LE(out.callee().size(), kCallPartyMax);
        }
    }
}

}  // namespace
}  // namespace palisade::dp
