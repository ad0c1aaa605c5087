// Call events (DESIGN.md §2, issue 5 point 6): what the workers tell the control plane about
// every call, so that the control plane can keep live calls, per-trunk counts and call records
// without ever reading worker-owned tables.
//
//   started   a new call passed every check and went to a target (outbound: to the core;
//             inbound: to a contact of the trunk). RingKind::call_started.
//   answered  a 2xx came back.                                       RingKind::call_answered.
//   ended     a started call ended: who ended it (CallParty) and why (CallEndReason, from
//             call_end_reasons.def), with the final SIP code.         RingKind::call_ended.
//   refused   a new call was refused with a final SIP code and a CallRefuseReason (the policy's
//             reasons of dataplane/policy/decide_reasons.def, then call_refuse_reasons.def).
//             A refused call has no started and no ended event.        RingKind::call_refused.
//   failover  a call moved on to another target or to the failover dialplan, and why
//             (call_failover_reasons.def).                            RingKind::call_failover.
//
// Every event carries the whole identity of its call (Call-ID, trunk, account, direction,
// caller, callee, start time), and an ended event also its answer time, so that a record can be
// written even when an earlier event of the same call was lost to a full ring (counted by the
// worker as a punt drop).
//
// One CallEvent is a fixed-size trivially copyable struct copied into the payload of one
// RingMessage (encode_call_event, on the worker: no allocation, no syscall) and copied out by the
// control plane (decode_call_event, which validates every field: a bad message is refused, never
// trusted). Ownership: the worker fills it and enqueues the message on its punt ring; the control
// plane dequeues, decodes and releases the message.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "dataplane/contract/clock.hpp"
#include "dataplane/contract/rings.hpp"

namespace palisade::dp {

/// Octets of Call-ID text kept (the hash covers the whole Call-ID; longer ones are truncated and
/// flagged kCallFlagCallIdTruncated).
inline constexpr std::size_t kCallIdTextMax = 128;
/// Octets of trunk id kept (the config's ids are short; longer ones are truncated and flagged).
inline constexpr std::size_t kCallTrunkIdMax = 64;
/// Octets of caller and callee kept (E.164 is at most 16 with the '+'; room for odd inbound URIs).
inline constexpr std::size_t kCallPartyMax = 48;

/// Which event (one RingKind each).
enum class CallEventType : std::uint8_t { started = 0, answered = 1, ended = 2, refused = 3, failover = 4 };
/// Number of event types.
inline constexpr std::size_t kCallEventTypeCount = 5;

/// Who ended a call.
enum class CallParty : std::uint8_t { none = 0, caller = 1, callee = 2, palisade = 3 };
/// Outbound: from a PBX (access side) to the core. Inbound: from the core to a trunk's DID.
enum class CallDirection : std::uint8_t { outbound = 0, inbound = 1 };
/// Which account of the trunk: the one that authenticated (outbound) or took the call (inbound).
/// none: not known yet (an inbound call refused or sent to failover before any target).
enum class CallAccount : std::uint8_t { primary = 0, secondary = 1, none = 2 };

/// Why a started call ended (call_end_reasons.def).
enum class CallEndReason : std::uint8_t {
#define X(name, party, text) name,
#include "dataplane/contract/call_end_reasons.def"
#undef X
};
/// Number of end reasons.
inline constexpr std::size_t kCallEndReasonCount = 0
#define X(name, party, text) +1
#include "dataplane/contract/call_end_reasons.def"
#undef X
    ;

/// Why a new call was refused: first the policy's reasons (same names and values as
/// DecideReason, so `static_cast<CallRefuseReason>(decide_reason)` is exact; the unit test
/// checks it), then the SIP core's (call_refuse_reasons.def).
enum class CallRefuseReason : std::uint8_t {
#define X(name, code, text) name,
#include "dataplane/policy/decide_reasons.def"
#include "dataplane/contract/call_refuse_reasons.def"
#undef X
};
/// Number of refusal reasons.
inline constexpr std::size_t kCallRefuseReasonCount = 0
#define X(name, code, text) +1
#include "dataplane/policy/decide_reasons.def"
#include "dataplane/contract/call_refuse_reasons.def"
#undef X
    ;

/// Why a call failed over (call_failover_reasons.def).
enum class CallFailoverReason : std::uint8_t {
#define X(name, text) name,
#include "dataplane/contract/call_failover_reasons.def"
#undef X
};
/// Number of failover reasons.
inline constexpr std::size_t kCallFailoverReasonCount = 0
#define X(name, text) +1
#include "dataplane/contract/call_failover_reasons.def"
#undef X
    ;

/// Where a failed-over call went.
enum class FailoverTarget : std::uint8_t {
    next_contact = 0,   ///< the next registered contact of the same account
    other_account = 1,  ///< the first contact of the other account (primary -> secondary)
    dialplan = 2,       ///< the trunk's failover dialplan
    next_core_peer = 3, ///< outbound: the next core peer
};

/// CallEvent::flags bits.
inline constexpr std::uint16_t kCallFlagCounted = 1u << 0;   ///< counted against hour/day/week (outbound admitted)
inline constexpr std::uint16_t kCallFlagEmergency = 1u << 1; ///< an emergency short code
inline constexpr std::uint16_t kCallFlagCallIdTruncated = 1u << 2;
inline constexpr std::uint16_t kCallFlagTrunkIdTruncated = 1u << 3;
inline constexpr std::uint16_t kCallFlagCallerTruncated = 1u << 4;
inline constexpr std::uint16_t kCallFlagCalleeTruncated = 1u << 5;

/// "No trunk" (an inbound call for an unknown DID, a refusal before the trunk is known).
inline constexpr std::uint32_t kCallNoTrunk = 0xffffffffu;

/// One call event: a plain struct (trivially copyable), 352 octets, the payload of one
/// RingMessage. Written by a worker, read by the control plane.
struct CallEvent {
    CallEventType type = CallEventType::started;
    CallDirection direction = CallDirection::outbound;
    CallAccount account = CallAccount::none;
    CallParty ended_by = CallParty::none;  ///< ended: who; else none
    /// ended: CallEndReason; refused: CallRefuseReason; failover: CallFailoverReason; else 0.
    std::uint8_t reason = 0;
    std::uint8_t failover_to = 0;          ///< failover: FailoverTarget
    std::uint16_t flags = 0;               ///< kCallFlag* bits
    /// SIP status: ended: the final response code of the INVITE (200 when answered, else the
    /// failure sent to the caller); refused: the code sent; failover: the code that triggered it
    /// (408, 5xx; 0 for a timeout or a skip); started/answered: 0 or 200.
    std::uint16_t code = 0;
    std::uint16_t worker = 0;              ///< the worker that owns the call
    std::uint32_t trunk_index = kCallNoTrunk;  ///< index in the snapshot of the time (diagnostics)
    std::uint32_t trunk_key = kCallNoTrunk;    ///< the trunk's LimitsTable slot (stable across reloads)
    std::uint64_t call_id_hash = 0;        ///< call_id_hash() of the whole Call-ID
    std::uint64_t time_us = 0;             ///< when this event happened, wall clock, µs since the Unix epoch
    std::uint64_t start_us = 0;            ///< when the call's INVITE arrived (every type)
    std::uint64_t answer_us = 0;           ///< when it was answered; 0 = not answered
    std::uint8_t call_id_len = 0;
    std::uint8_t trunk_id_len = 0;
    std::uint8_t caller_len = 0;
    std::uint8_t callee_len = 0;
    std::uint32_t reserved = 0;
    char call_id_text[kCallIdTextMax] = {};
    char trunk_id_text[kCallTrunkIdMax] = {};
    char caller_text[kCallPartyMax] = {};  ///< E.164 of the caller (P-Asserted-Identity, else From user)
    char callee_text[kCallPartyMax] = {};  ///< E.164 of the callee (Request-URI user)

    /// The Call-ID (possibly truncated: see flags).
    [[nodiscard]] std::string_view call_id() const noexcept { return view(call_id_text, call_id_len, kCallIdTextMax); }
    /// The trunk's configured id.
    [[nodiscard]] std::string_view trunk_id() const noexcept { return view(trunk_id_text, trunk_id_len, kCallTrunkIdMax); }
    /// The caller.
    [[nodiscard]] std::string_view caller() const noexcept { return view(caller_text, caller_len, kCallPartyMax); }
    /// The callee.
    [[nodiscard]] std::string_view callee() const noexcept { return view(callee_text, callee_len, kCallPartyMax); }

    /// Sets the Call-ID text and its hash (the hash always covers the whole value).
    void set_call_id(std::string_view s) noexcept {
        call_id_hash = ::palisade::dp::call_id_hash(s);
        call_id_len = copy(call_id_text, kCallIdTextMax, s, kCallFlagCallIdTruncated);
    }
    /// Sets the trunk id (truncated, and flagged, past kCallTrunkIdMax).
    void set_trunk_id(std::string_view s) noexcept { trunk_id_len = copy(trunk_id_text, kCallTrunkIdMax, s, kCallFlagTrunkIdTruncated); }
    /// Sets the caller.
    void set_caller(std::string_view s) noexcept { caller_len = copy(caller_text, kCallPartyMax, s, kCallFlagCallerTruncated); }
    /// Sets the callee.
    void set_callee(std::string_view s) noexcept { callee_len = copy(callee_text, kCallPartyMax, s, kCallFlagCalleeTruncated); }

private:
    static std::string_view view(const char* p, std::uint8_t len, std::size_t max) noexcept {
        return {p, len <= max ? len : max};
    }
    std::uint8_t copy(char* dst, std::size_t max, std::string_view s, std::uint16_t flag) noexcept {
        std::size_t n = s.size();
        if (n > max) {
            n = max;
            flags = static_cast<std::uint16_t>(flags | flag);
        } else {
            flags = static_cast<std::uint16_t>(flags & ~flag);
        }
        std::memcpy(dst, s.data(), n);
        return static_cast<std::uint8_t>(n);
    }
};
static_assert(std::is_trivially_copyable_v<CallEvent>, "events are copied byte-wise through rings");
static_assert(sizeof(CallEvent) <= kRingPayloadMax, "an event fits one RingMessage");
static_assert(kCallIdTextMax <= 255 && kCallTrunkIdMax <= 255 && kCallPartyMax <= 255);

/// Microseconds since the Unix epoch of an Instant (the events' time unit).
constexpr std::uint64_t to_event_us(Instant t) noexcept { return t.ns / 1000u; }

/// The RingKind of an event type.
constexpr RingKind call_event_kind(CallEventType t) noexcept {
    return static_cast<RingKind>(static_cast<std::uint16_t>(RingKind::call_started) + static_cast<std::uint16_t>(t));
}
/// True for the RingKinds that carry a CallEvent.
constexpr bool is_call_event(RingKind k) noexcept {
    return k >= RingKind::call_started && k <= RingKind::call_failover;
}

/// Copies `ev` into `msg` (kind from ev.type, worker, cookie = Call-ID hash, payload, length).
/// Worker, on the packet path: no allocation, no syscall. False (msg untouched) for an invalid
/// type.
inline bool encode_call_event(const CallEvent& ev, RingMessage& msg) noexcept {
    if (static_cast<std::size_t>(ev.type) >= kCallEventTypeCount) return false;
    msg.kind = call_event_kind(ev.type);
    msg.worker = ev.worker;
    msg.flags = 0;
    msg.cookie = ev.call_id_hash;
    std::memcpy(msg.payload, &ev, sizeof(CallEvent));
    msg.length = static_cast<std::uint32_t>(sizeof(CallEvent));
    return true;
}

/// Copies the event out of `msg` and checks it: the kind is a call event and agrees with the
/// type, the length is exact, every enum is in range, every text length within its buffer.
/// False (out unspecified) otherwise: the caller counts it and drops the message. cp.
inline bool decode_call_event(const RingMessage& msg, CallEvent& out) noexcept {
    if (!is_call_event(msg.kind) || msg.length != sizeof(CallEvent)) return false;
    std::memcpy(&out, msg.payload, sizeof(CallEvent));
    std::uint8_t raw[4];
    std::memcpy(&raw[0], &out.type, 1);
    std::memcpy(&raw[1], &out.direction, 1);
    std::memcpy(&raw[2], &out.account, 1);
    std::memcpy(&raw[3], &out.ended_by, 1);
    if (raw[0] >= kCallEventTypeCount || call_event_kind(out.type) != msg.kind) return false;
    if (raw[1] > 1 || raw[2] > 2 || raw[3] > 3) return false;
    if (out.call_id_len > kCallIdTextMax || out.trunk_id_len > kCallTrunkIdMax ||
        out.caller_len > kCallPartyMax || out.callee_len > kCallPartyMax)
        return false;
    switch (out.type) {
        case CallEventType::ended:
            if (out.reason >= kCallEndReasonCount || out.ended_by == CallParty::none) return false;
            break;
        case CallEventType::refused:
            if (out.reason >= kCallRefuseReasonCount) return false;
            break;
        case CallEventType::failover:
            if (out.reason >= kCallFailoverReasonCount || out.failover_to > 3) return false;
            break;
        default: break;
    }
    return true;
}

namespace detail {
inline constexpr std::array<std::string_view, kCallEndReasonCount> kEndNames{
#define X(name, party, text) #name,
#include "dataplane/contract/call_end_reasons.def"
#undef X
};
inline constexpr std::array<CallParty, kCallEndReasonCount> kEndParties{
#define X(name, party, text) CallParty::party,
#include "dataplane/contract/call_end_reasons.def"
#undef X
};
inline constexpr std::array<std::string_view, kCallRefuseReasonCount> kRefuseNames{
#define X(name, code, text) #name,
#include "dataplane/policy/decide_reasons.def"
#include "dataplane/contract/call_refuse_reasons.def"
#undef X
};
inline constexpr std::array<std::uint16_t, kCallRefuseReasonCount> kRefuseCodes{
#define X(name, code, text) code,
#include "dataplane/policy/decide_reasons.def"
#include "dataplane/contract/call_refuse_reasons.def"
#undef X
};
inline constexpr std::array<std::string_view, kCallFailoverReasonCount> kFailoverNames{
#define X(name, text) #name,
#include "dataplane/contract/call_failover_reasons.def"
#undef X
};
}  // namespace detail

/// Name of an end reason ("session_expired"); "unknown" out of range.
constexpr std::string_view call_end_reason_name(CallEndReason r) noexcept {
    const auto i = static_cast<std::size_t>(r);
    return i < kCallEndReasonCount ? detail::kEndNames[i] : std::string_view("unknown");
}
/// Who ends a call for this reason.
constexpr CallParty call_end_reason_party(CallEndReason r) noexcept {
    const auto i = static_cast<std::size_t>(r);
    return i < kCallEndReasonCount ? detail::kEndParties[i] : CallParty::palisade;
}
/// Name of a refusal reason ("destination_denied"); "unknown" out of range.
constexpr std::string_view call_refuse_reason_name(CallRefuseReason r) noexcept {
    const auto i = static_cast<std::size_t>(r);
    return i < kCallRefuseReasonCount ? detail::kRefuseNames[i] : std::string_view("unknown");
}
/// The SIP code a refusal reason answers with (0: carried in the event).
constexpr std::uint16_t call_refuse_reason_code(CallRefuseReason r) noexcept {
    const auto i = static_cast<std::size_t>(r);
    return i < kCallRefuseReasonCount ? detail::kRefuseCodes[i] : 0;
}
/// Name of a failover reason ("target_timeout"); "unknown" out of range.
constexpr std::string_view call_failover_reason_name(CallFailoverReason r) noexcept {
    const auto i = static_cast<std::size_t>(r);
    return i < kCallFailoverReasonCount ? detail::kFailoverNames[i] : std::string_view("unknown");
}
/// "caller", "callee", "palisade" (or "none").
constexpr std::string_view call_party_name(CallParty p) noexcept {
    switch (p) {
        case CallParty::caller: return "caller";
        case CallParty::callee: return "callee";
        case CallParty::palisade: return "palisade";
        case CallParty::none: break;
    }
    return "none";
}
/// "outbound" or "inbound".
constexpr std::string_view call_direction_name(CallDirection d) noexcept {
    return d == CallDirection::inbound ? "inbound" : "outbound";
}
/// "primary", "secondary" or "none".
constexpr std::string_view call_account_name(CallAccount a) noexcept {
    switch (a) {
        case CallAccount::primary: return "primary";
        case CallAccount::secondary: return "secondary";
        case CallAccount::none: break;
    }
    return "none";
}
/// "next_contact", "other_account", "dialplan", "next_core_peer".
constexpr std::string_view failover_target_name(FailoverTarget t) noexcept {
    switch (t) {
        case FailoverTarget::next_contact: return "next_contact";
        case FailoverTarget::other_account: return "other_account";
        case FailoverTarget::dialplan: return "dialplan";
        case FailoverTarget::next_core_peer: return "next_core_peer";
    }
    return "unknown";
}

/// Makes an ended event from what the call's other events carried: sets type, ended_by (from the
/// reason's party), reason, code and time. Worker.
inline void make_ended(CallEvent& ev, CallEndReason why, std::uint16_t final_code, std::uint64_t now_us) noexcept {
    ev.type = CallEventType::ended;
    ev.reason = static_cast<std::uint8_t>(why);
    ev.ended_by = call_end_reason_party(why);
    ev.code = final_code;
    ev.time_us = now_us;
}

}  // namespace palisade::dp
