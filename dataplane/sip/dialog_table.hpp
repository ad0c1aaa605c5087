// Per-worker table of calls and their dialogs (RFC 3261 §12, DESIGN.md §1): one fixed-size
// record per call, holding both legs' dialog state (tags, remote targets, route sets, real next
// hops, CSeq), the call's identity for events, its AdmissionToken and its timers.
//
// Owned by one worker: no locks. Everything is preallocated by the constructor (records and the
// index); create/find/erase never allocate. Records are found by Call-ID (one hash, one bucket,
// a short chain); the tags then say which leg a request came from (RFC 3261 §12.2.2 matches a
// request to a dialog by Call-ID and the two tags only, never by URIs).
//
// Size: a record is kDialogRecordBytes (832) octets and the index 4 octets per bucket (one
// per record rounded up to a power of two), so 1,000,000 dialogs take 0.77 GiB (measured RSS
// 0.78 GiB with every record filled: docs/proxy.md; dialog_table_test
// DialogTable.MillionDialogsFitOneGiB checks the sizeof-based figure).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "dataplane/contract/call_events.hpp"
#include "dataplane/contract/limits.hpp"
#include "dataplane/sip/transaction.hpp"
#include "dataplane/timer_wheel.hpp"

namespace palisade::dp {

/// Life of a call's dialog (RFC 3261 §12): trying (INVITE sent, no tag yet), early (a 1xx with
/// a To tag), confirmed (2xx), ended (kept only until the record is erased).
enum class DialogState : std::uint8_t { free, trying, early, confirmed, ended };

/// A slice of a record's text arena.
struct TextRef {
    std::uint16_t off = 0;
    std::uint16_t len = 0;
};

/// One side of a call as Palisade talks to it.
struct DialogLeg {
    Endpoint next_hop{};        ///< where requests to this side go (its REAL address: NAT, RFC 3581)
    std::uint16_t iface = 0;    ///< our interface facing it
    std::uint16_t reserved = 0;
    std::uint32_t cseq = 0;     ///< highest CSeq of the requests it sent (its local CSeq)
    std::uint32_t our_cseq = 0; ///< CSeq of the requests Palisade originates towards it
    TextRef tag;                ///< its tag (From tag of the caller, To tag of the callee)
    TextRef target;             ///< its remote target: the Contact URI it sent (RFC 3261 §12.1)
    TextRef routes;             ///< its route set as a Route header value, in the order to use
};

/// Text octets a record keeps (Call-ID, tags, targets, route sets, trunk id, caller, callee).
inline constexpr std::size_t kDialogTextMax = 640;

/// One call. Trivially destructible apart from the token (released by the proxy).
struct Dialog {
    DialogState state = DialogState::free;
    CallDirection direction = CallDirection::outbound;
    CallAccount account = CallAccount::none;
    std::uint8_t flags = 0;           ///< kDialog* bits
    std::uint32_t generation = 0;     ///< bumped when the record is freed (stale handles)
    std::uint32_t hash = 0;           ///< Call-ID hash (index)
    std::uint32_t next = 0xffff'ffffu;  ///< index chain
    std::uint32_t trunk_index = kCallNoTrunk;
    std::uint32_t trunk_key = kCallNoTrunk;
    std::uint16_t event_flags = 0;    ///< CallEvent flags (counted, emergency)
    std::uint16_t final_code = 0;     ///< final response code of the INVITE (events)
    std::uint32_t session_expires_s = 0;
    std::uint32_t setup = 0xffff'ffffu;  ///< setup record while the INVITE is pending
    AdmissionToken token;             ///< the concurrent-call slot (released exactly once)
    std::uint64_t start_us = 0;
    std::uint64_t answer_us = 0;
    TxId server_tx{};                 ///< the caller's INVITE server transaction
    TxId client_tx{};                 ///< the current INVITE client transaction
    TimerHandle session_timer{};      ///< RFC 4028 refresh deadline
    TimerHandle duration_timer{};     ///< trunk max_duration_s
    TimerHandle ack_timer{};          ///< 2xx not yet acknowledged (RFC 3261 §13.3.1.4)
    DialogLeg caller;                 ///< the side that sent the INVITE
    DialogLeg callee;                 ///< the side it went to
    TextRef call_id;
    TextRef trunk_id;
    TextRef caller_number;
    TextRef callee_number;
    std::uint16_t text_used = 0;
    char text[kDialogTextMax];

    /// Text of a slice.
    [[nodiscard]] std::string_view str(TextRef r) const noexcept { return {text + r.off, r.len}; }
};

/// Dialog::flags bits.
inline constexpr std::uint8_t kDialogAnswered = 1;   ///< a 2xx was forwarded
inline constexpr std::uint8_t kDialogStarted = 2;    ///< a started event was sent
inline constexpr std::uint8_t kDialogDialplan = 4;   ///< the call went to the failover dialplan
inline constexpr std::uint8_t kDialogAcked = 8;      ///< the ACK of the 2xx went through

/// Bytes of one record (a unit test keeps it under 1024).
inline constexpr std::size_t kDialogRecordBytes = sizeof(Dialog);

/// Which leg a request came from.
enum class LegFrom : std::uint8_t { none, caller, callee };

class DialogTable {
public:
    static constexpr std::uint32_t kNil = 0xffff'ffffu;

    /// Preallocates `capacity` records and the index.
    explicit DialogTable(std::uint32_t capacity);

    /// A new record for Call-ID `call_id` whose caller's tag is `caller_tag` (state trying, text
    /// holding both). kNil when the table is full or the text does not fit.
    std::uint32_t create(std::string_view call_id, std::string_view caller_tag) noexcept;

    /// The record of the dialog Call-ID `call_id` whose tags are `from_tag` / `to_tag` (either
    /// order: a request from the callee has them swapped); `from` says which leg sent it. A
    /// record whose callee tag is not known yet (trying, early) matches on the caller's tag
    /// alone. kNil when none.
    std::uint32_t find(std::string_view call_id, std::string_view from_tag, std::string_view to_tag,
                       LegFrom& from) const noexcept;

    /// Frees a record (its token must already be released; its timers cancelled by the owner).
    void erase(std::uint32_t i) noexcept;

    /// Appends `s` to the record's text; false (ref unchanged) when it does not fit.
    bool put(std::uint32_t i, TextRef& ref, std::string_view s) noexcept;

    Dialog& operator[](std::uint32_t i) noexcept { return records_[i]; }
    const Dialog& operator[](std::uint32_t i) const noexcept { return records_[i]; }
    /// A record by index + generation, or null when stale/free.
    Dialog* get(std::uint32_t i, std::uint32_t generation) noexcept {
        if (i >= records_.size()) return nullptr;
        Dialog& d = records_[i];
        return d.state == DialogState::free || d.generation != generation ? nullptr : &d;
    }

    [[nodiscard]] std::uint32_t size() const noexcept { return live_; }
    [[nodiscard]] std::uint32_t capacity() const noexcept {
        return static_cast<std::uint32_t>(records_.size());
    }
    /// Preallocated bytes (records + index).
    [[nodiscard]] std::size_t memory_bytes() const noexcept {
        return records_.size() * sizeof(Dialog) + buckets_.size() * sizeof(std::uint32_t);
    }

    /// Hash of a Call-ID (FNV-1a, 32 bits).
    static std::uint32_t hash_call_id(std::string_view call_id) noexcept;

private:
    std::vector<Dialog> records_;
    std::vector<std::uint32_t> buckets_;  // chain heads
    std::uint32_t mask_ = 0;
    std::vector<std::uint32_t> free_;
    std::uint32_t live_ = 0;
};

}  // namespace palisade::dp
