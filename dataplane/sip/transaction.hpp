// SIP transaction layer of the worker's transaction-stateful proxy (RFC 3261 §17, §16; RFC 6026;
// RFC 3581): the vocabulary shared by the transaction table and its caller, and the proxy checks
// that produce edits (Max-Forwards, loop detection, Via received/rport).
//
// Pure code: no DPDK, no I/O, no allocation, no exceptions. Time is given by the caller in
// milliseconds (a driven clock), so every timer is testable. The state machines themselves live
// in transaction_table.hpp. See docs/transactions.md for the decisions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "parsers/sip/edit_list.hpp"
#include "parsers/sip/message.hpp"
#include "parsers/sip/validate.hpp"
#include "parsers/sip/values.hpp"

namespace palisade::dp {

struct SipSettings;

/// An IPv4 UDP address, host byte order.
struct Endpoint {
    std::uint32_t ip = 0;
    std::uint16_t port = 0;
    bool operator==(const Endpoint&) const noexcept = default;
};

/// RFC 3261 §17 timer values, in milliseconds.
struct TxTimers {
    std::uint32_t t1_ms = 500;
    std::uint32_t t2_ms = 4000;
    std::uint32_t t4_ms = 5000;
    /// Timer B: INVITE client transaction, no response at all. RFC 3261: 64*T1. Palisade uses
    /// SipSettings::invite_timeout_ms (default 32 s = 64*T1): "no provisional in time -> next".
    std::uint32_t timer_b_ms = 32000;
    /// Timer C: proxy INVITE client transaction, no final response (RFC 3261 §16.6 item 11,
    /// §16.8: MUST be greater than 3 minutes). Restarted by every provisional response.
    std::uint32_t timer_c_ms = 181000;
    /// Timer D: wait for final response retransmissions (§17.1.1.2: at least 32 s over UDP).
    std::uint32_t timer_d_ms = 32000;
    /// Delay of the 100 Trying the INVITE server transaction sends itself (§16.2 allows at once
    /// or after 200 ms). 0 = at once (Palisade's choice: it stops the UAC's Timer A early).
    std::uint32_t trying_delay_ms = 0;
    /// Lifetime of a server transaction that never sent a final response: non-INVITE 64*T1 plus
    /// this (the client gave up at 64*T1), INVITE Timer C plus 64*T1 plus this (every branch of
    /// ours has ended by then). Not an RFC timer: a safety net against a lost request; the
    /// table sends nothing when it fires, it only reports `terminated` with TimerId::guard.
    std::uint32_t server_guard_ms = 32000;
};
/// Timer values from the configuration (t1, t2, t4, invite_timeout); the others default.
TxTimers timers_from(const SipSettings& settings) noexcept;

/// Names one transaction: index into the table plus a generation, so that a stale id (the
/// transaction ended and its record was reused) is recognised and refused.
struct TxId {
    std::uint32_t index = 0xffff'ffffu;
    std::uint32_t generation = 0;
    bool valid() const noexcept { return index != 0xffff'ffffu; }
    bool operator==(const TxId&) const noexcept = default;
};

/// The four machines of RFC 3261 §17.
enum class TxKind : std::uint8_t {
    none,
    client_invite,
    client_non_invite,
    server_invite,
    server_non_invite
};

/// States (RFC 3261 §17 figures 5-8, with RFC 6026's Accepted for INVITE 2xx).
enum class TxState : std::uint8_t {
    free,
    calling,
    trying,
    proceeding,
    completed,
    confirmed,
    accepted,
    terminated
};

/// Timers of every machine. `trying` is the delayed 100 Trying (when trying_delay_ms > 0).
/// L and M are RFC 6026's Accepted-state timers (server and client INVITE, 64*T1).
/// `guard` is Palisade's own: it ends a server transaction the core logic never answered (see
/// TxTimers::server_guard_ms), so that a lost request cannot hold a record forever.
enum class TimerId : std::uint8_t { none, a, b, c, d, e, f, g, h, i, j, k, l, m, trying, guard };
/// "A", "B", ... for logs and tests.
std::string_view timer_name(TimerId t) noexcept;
/// "calling", "proceeding", ...
std::string_view state_name(TxState s) noexcept;

/// What the caller must do, in order. Drained after every call into the table.
enum class ActionKind : std::uint8_t {
    send,              ///< send `data` (a whole datagram) to `to`
    deliver_request,   ///< a request for the core logic: a new server transaction `tx` (an
                       ///< unmatched CANCEL too: answer it 481), or an end-to-end ACK (the ACK
                       ///< of a 2xx, for the dialog layer) with an invalid `tx`
    deliver_response,  ///< a response received on client transaction `tx` (its server is `server`)
                       ///< for the core logic to forward; `code` is its status
    timed_out,         ///< client transaction `tx` ended without a final response: `timer` is B,
                       ///< C or F (serial failover); for C a CANCEL was sent if it had a 1xx
    cancelled,         ///< server INVITE transaction `tx` was cancelled: 200 went to the CANCEL,
                       ///< 487 to the INVITE, CANCEL downstream on its client transactions
    terminated,        ///< transaction `tx` ended (`timer` says which timer ended it, if any);
                       ///< its id is stale from the next call into the table
};

/// One action. `data` points into a transaction's slot or into the caller's message, and stays
/// valid until the next call into the table.
struct Action {
    ActionKind kind = ActionKind::send;
    TimerId timer = TimerId::none;
    TxId tx{};
    TxId server{};  ///< deliver_response / timed_out: the server transaction it serves
    Endpoint to{};  ///< send: destination
    std::uint16_t iface = 0;  ///< send: interface of the transaction (given to on_request/forward)
    int code =
        0;  ///< deliver_response: status code; send: status code of a response, 0 for a request
    std::string_view data{};
};

/// Fixed-capacity list of actions. When full, further actions are dropped and counted.
class ActionList {
  public:
    /// Large enough for one millisecond of timers of a worker at full load (every transaction
    /// ending reports `terminated`); the proxy keeps its lists preallocated, not on the stack.
    static constexpr std::size_t kCapacity = 1024;
    void push(const Action& a) noexcept {
        if (size_ == kCapacity) {
            ++overflow_;
            return;
        }
        items_[size_++] = a;
    }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    const Action& operator[](std::size_t i) const noexcept { return items_[i]; }
    const Action* begin() const noexcept { return items_; }
    const Action* end() const noexcept { return items_ + size_; }
    void clear() noexcept { size_ = 0; }
    /// Empties the list and forgets its overflow count (reuse).
    void reset() noexcept {
        size_ = 0;
        overflow_ = 0;
    }
    /// Actions dropped because the list was full (cumulative until reset).
    std::uint64_t overflow() const noexcept { return overflow_; }

  private:
    Action items_[kCapacity];
    std::size_t size_ = 0;
    std::uint64_t overflow_ = 0;
};

// --- proxy checks as edits (RFC 3261 §16.3, §16.6; RFC 3581) ----------------------------------

/// Outcome of the Max-Forwards step (RFC 3261 §16.3 item 3, §16.6 item 3).
enum class MaxForwardsResult : std::uint8_t {
    decremented,    ///< the value was replaced by value-1
    inserted,       ///< absent: "Max-Forwards: 70" appended (§16.6 item 3)
    too_many_hops,  ///< it was 0 and the request must be forwarded: answer 483
    no_space        ///< scratch or edit list too small
};
/// Records the Max-Forwards edit for a request to forward. `scratch` (at least 4 octets) holds
/// the new value and must outlive EditList::apply.
MaxForwardsResult max_forwards_edit(const sip::Message& msg, const sip::Validated& v,
                                    std::span<char> scratch, sip::EditList& edits) noexcept;

/// Loop hash of RFC 3261 §16.6 item 8 over the fields §16.3 item 4 compares: Request-URI, To tag,
/// From tag, Call-ID, CSeq number, Proxy-Require and Proxy-Authorization, plus `context` (the
/// interface the request came in on: the same request arriving on the core side after leaving
/// on the access side is a spiral, not a loop).
std::uint32_t loop_hash(const sip::Message& msg, const sip::Validated& v,
                        std::uint32_t context) noexcept;

/// True when a Via of `msg` carries a branch Palisade made (rings.hpp format) whose unique part
/// holds `hash` in its upper 32 bits (TransactionTable::make_branch puts it there): the request
/// has been here before with the same loop-relevant fields, so it is a loop (482, §16.3 item 4).
bool detect_loop(const sip::Message& msg, std::uint32_t hash) noexcept;

/// The upper 32 bits of the unique part of a Palisade branch, or false when the branch is not ours.
bool branch_loop_hash(std::string_view branch, std::uint32_t& hash) noexcept;

/// Records RFC 3261 §18.2.1 / RFC 3581 §4 edits on the top Via of a received request: adds
/// ";received=<source ip>" when sent-by is not that address, and fills ";rport" (present without
/// a value) with the source port (received= is then always added, RFC 3581 §4). `scratch` (at
/// least 48 octets) holds the inserted text and must outlive apply. Returns false when space ran
/// out.
bool via_received_edit(const sip::Via& top, Endpoint source, std::span<char> scratch,
                       sip::EditList& edits) noexcept;

/// Where a response to a request received from `source` goes (RFC 3261 §18.2.2, RFC 3581 §4):
/// the source address; the source port when the top Via had rport, else the sent-by port (5060
/// when absent). maddr is not honoured (multicast is not used on trunks).
Endpoint response_address(const sip::Via& top, Endpoint source) noexcept;

/// Writes a dotted-quad; returns its length (out needs 15 octets).
std::size_t format_ipv4(std::uint32_t ip, std::span<char> out) noexcept;

}  // namespace palisade::dp
