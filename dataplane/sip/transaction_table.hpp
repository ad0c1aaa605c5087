// Per-worker table of SIP transactions (RFC 3261 §17 with RFC 6026, proxy rules of §16): the
// four state machines, their timers on the worker's timer wheel, retransmission absorption, the
// proxy's own 100 Trying, CANCEL handling and the hop-by-hop ACK.
//
// Owned by one worker: no locks. Everything is preallocated by the constructor (records, one
// fixed-size message slot per record, the hash index, the timer nodes, scratch space); the
// per-packet calls never allocate, throw or make syscalls. A failure (table full, message larger
// than a slot, timer wheel full, action list full) is a counter, never a crash.
//
// Usage by the worker (sip_stage):
//   request in  -> on_request(): new_transaction -> the core logic gets deliver_request (tx);
//                  it answers with respond(tx, ...) or forwards with make_branch() + forward().
//   response in -> on_response(): deliver_response (client tx, its server tx) -> core logic
//                  forwards it upstream with respond(server, ...).
//   every loop  -> advance(now): timers.
//   after each call: drain the ActionList in order (send datagrams, hand requests/responses to
//   the core logic, serial failover on timed_out, release state on terminated).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "dataplane/contract/rings.hpp"
#include "dataplane/sip/transaction.hpp"
#include "dataplane/timer_wheel.hpp"

namespace palisade::dp {

/// Sizing and timers of one worker's table.
struct TransactionTableConfig {
    std::uint32_t capacity = 4096;   ///< transactions alive at once
    std::uint32_t slot_size = 4096;  ///< octets per stored message (last response / request)
    TxTimers timers{};
    int worker = 0;                 ///< worker index, named in the Via branches made here
    std::uint64_t branch_salt = 0;  ///< mixed into branch counters (start-up randomness)
};

/// Counters of one table (owned by its worker; summed when read).
struct TransactionCounters {
    std::uint64_t created = 0;            ///< transactions created (all kinds)
    std::uint64_t terminated = 0;         ///< transactions ended
    std::uint64_t absorbed_requests = 0;  ///< retransmitted requests absorbed (§17.2.1, §17.2.2)
    std::uint64_t resent_responses = 0;   ///< last responses resent for a retransmission or Timer G
    std::uint64_t absorbed_acks = 0;      ///< ACKs of non-2xx finals absorbed (§17.2.1)
    std::uint64_t ack_end_to_end = 0;     ///< ACKs matching no server transaction: 2xx ACKs
    std::uint64_t absorbed_responses = 0;      ///< response retransmissions absorbed by a client tx
    std::uint64_t retransmitted_requests = 0;  ///< Timer A / E retransmissions
    std::uint64_t stray_responses = 0;         ///< responses matching no client transaction
    std::uint64_t table_full = 0;              ///< a transaction could not be created
    std::uint64_t slot_too_large = 0;          ///< a message did not fit its slot
    std::uint64_t key_too_long = 0;            ///< branch + sent-by longer than the key buffer
    std::uint64_t timer_full = 0;              ///< the timer wheel refused a timer
    std::uint64_t build_failed = 0;            ///< an ACK, CANCEL, 100 or 487 could not be built
    std::uint64_t cancels_matched = 0;         ///< CANCELs that found their INVITE server tx
    std::uint64_t cancels_unmatched = 0;  ///< CANCELs that did not (the core logic answers 481)
    std::uint64_t cancels_sent = 0;       ///< CANCELs sent downstream
    std::uint64_t acks_sent = 0;       ///< hop-by-hop ACKs generated (§17.1.1.3), resends included
    std::uint64_t late_responses = 0;  ///< respond() on a transaction that cannot take it
    std::uint64_t late_2xx_forwarded =
        0;                          ///< 2xx sent after our final (CANCEL/2xx race, §16.7 item 5)
    std::uint64_t timeouts = 0;     ///< timed_out actions (B, C, F)
    std::uint64_t no_ack = 0;       ///< Timer H fired: no ACK for a non-2xx final
    std::uint64_t unanswered = 0;   ///< server transactions ended by the guard timer
    std::uint64_t bad_forward = 0;  ///< forward() with a stale/cancelled server or a bad method
};

/// What on_request() did with a request.
enum class RequestVerdict : std::uint8_t {
    new_transaction,   ///< a server transaction was created; deliver_request(tx) was queued
    retransmission,    ///< matched a server transaction: absorbed (last response resent if any)
    ack_absorbed,      ///< ACK of a non-2xx final: absorbed by the INVITE server transaction
    ack_end_to_end,    ///< ACK of a 2xx (or unmatched): deliver_request with an invalid tx (dialog
                       ///< layer)
    cancel_matched,    ///< CANCEL answered 200; the INVITE, if still pending, got 487
    cancel_unmatched,  ///< CANCEL with no INVITE: its server tx was created and delivered (answer
                       ///< 481)
    table_full,        ///< no record left: answer statelessly (503) or drop; counted
    key_too_long,      ///< branch or sent-by too long to be a key; counted
};

/// What on_response() did with a response.
enum class ResponseVerdict : std::uint8_t {
    delivered,  ///< deliver_response queued for the core logic
    absorbed,   ///< retransmission or 100 or a response to our own CANCEL: nothing to forward
    no_match,   ///< no client transaction: stray (§16.7 item 3 leaves it to the core logic)
};

class TransactionTable {
  public:
    /// Longest transaction key (kind + method + branch + sent-by).
    static constexpr std::size_t kKeyMax = 192;

    /// Preallocates everything. `now_ms` is the clock's current value.
    explicit TransactionTable(const TransactionTableConfig& config, std::uint64_t now_ms = 0);

    /// A request received from the network (parsed and validated), to be sent responses at
    /// `reply_to` (response_address() of its top Via and source). Matches it against the server
    /// transactions (§17.2.3: top Via branch + sent-by + method, ACK and CANCEL as described in
    /// RFC 3261 §17.2.3 and §9.2; requests without the z9hG4bK cookie by the RFC 2543 fallback
    /// key Call-ID + From tag + CSeq number + sent-by + branch). Fires due timers first.
    /// `iface` (the arrival interface) is kept with a new server transaction and named in every
    /// `send` action it produces.
    RequestVerdict on_request(const sip::Message& msg, const sip::Validated& v, Endpoint reply_to,
                              std::uint64_t now_ms, ActionList& out,
                              std::uint16_t iface = 0) noexcept;

    /// Sends a response on server transaction `server` (the core logic's answer, or a response
    /// it forwards upstream): stored for retransmission, state machine advanced. False (and
    /// counted) when the transaction is stale or cannot send it (a non-2xx after a final). A 2xx
    /// is always sent while the transaction exists (RFC 3261 §16.7 item 5, RFC 6026 §7.1).
    bool respond(TxId server, std::string_view response, int code, std::uint64_t now_ms,
                 ActionList& out) noexcept;

    /// Writes a new Via branch for a request this worker forwards or originates (rings.hpp
    /// format; the unique part carries `loop_hash` in its upper 32 bits for detect_loop()).
    /// `out` needs kBranchMax octets. Returns the branch, empty when `out` is short.
    std::string_view make_branch(std::span<char> out, std::uint32_t loop_hash) noexcept;

    /// Starts a client transaction sending `request` (a whole datagram whose top Via carries
    /// `branch`) to `to`, on behalf of server transaction `server` (invalid for requests the
    /// worker originates itself). The request is copied into the transaction's slot. Returns an
    /// invalid id (and counts why) when the table is full, the request is larger than a slot,
    /// or `server` is stale or was cancelled.
    /// `iface`: the interface it leaves on (named in its `send` actions).
    TxId forward(TxId server, std::string_view request, sip::Method method, std::string_view branch,
                 Endpoint to, std::uint64_t now_ms, ActionList& out,
                 std::uint16_t iface = 0) noexcept;

    /// A response received from the network (parsed and validated): matched by top Via branch
    /// and CSeq method (§17.1.3).
    ResponseVerdict on_response(const sip::Message& msg, const sip::Validated& v,
                                std::uint64_t now_ms, ActionList& out) noexcept;

    /// The core logic cancels server INVITE transaction `server` itself (e.g. it ends the call):
    /// same as a matching CANCEL without the CANCEL's own 200. False when stale or already final.
    bool cancel(TxId server, std::uint64_t now_ms, ActionList& out) noexcept;

    /// Moves the clock to `now_ms` and runs every timer due.
    void advance(std::uint64_t now_ms, ActionList& out) noexcept;

    /// A terminated transaction's record (and the message slot the actions of the call that
    /// terminated it point into) is reused from the start of the next call. A caller that
    /// calls the table again while it is still draining an earlier call's ActionList (a
    /// handler of one of its actions) holds the reuse for that nested call: otherwise the
    /// nested call could hand the slot to a new transaction and overwrite the bytes of a `send`
    /// of the outer list not yet sent. Holds nest; every hold is released.
    void hold_reuse() noexcept { ++reuse_holds_; }
    void release_reuse() noexcept {
        if (reuse_holds_ > 0) --reuse_holds_;
    }

    /// State of a transaction (free when stale).
    TxState state(TxId id) const noexcept;
    /// Kind of a transaction (none when stale).
    TxKind kind(TxId id) const noexcept;
    /// Server transaction a client transaction works for (invalid when none or stale).
    TxId server_of(TxId client) const noexcept;
    /// Transactions alive.
    std::uint32_t size() const noexcept { return live_; }
    /// Transactions that can be alive at once.
    std::uint32_t capacity() const noexcept { return static_cast<std::uint32_t>(txs_.size()); }
    /// Counters.
    const TransactionCounters& counters() const noexcept { return counters_; }
    /// The timers in use (tests, stats).
    const TimerWheel& wheel() const noexcept { return wheel_; }

  private:
    static constexpr std::uint32_t kNil = 0xffff'ffffu;
    enum Flag : std::uint8_t {
        kHadProvisional = 1,
        kCancelPending = 2,
        kCancelSent = 4,
        kInternal = 8,
        kCancelled = 16,
        kTryingSent = 32,
    };
    struct Tx {
        TxKind kind = TxKind::none;
        TxState state = TxState::free;
        std::uint8_t flags = 0;
        std::uint16_t key_len = 0;
        std::uint16_t iface = 0;  // interface it sends on (arrival for server, outgoing for client)
        std::uint32_t generation = 0;
        std::uint32_t hash = 0;
        std::uint32_t slot_len = 0;
        std::uint32_t interval = 0;  // current Timer A / E / G interval, ms
        int last_code = 0;
        Endpoint peer{};                    // server: where responses go; client: next hop
        TimerHandle retx{};                 // A, E, G or the delayed 100
        TimerHandle timeout{};              // B, D, F, H, I, J, K, L, M, guard
        TimerHandle timer_c{};              // C
        std::uint32_t parent = kNil;        // client: its server transaction
        std::uint32_t first_child = kNil;   // server: its client transactions
        std::uint32_t next_sibling = kNil;  // client: next child of the same server
        char key[kKeyMax];
    };

    void begin(std::uint64_t now_ms, ActionList& out) noexcept;
    Tx* get(TxId id) noexcept;
    const Tx* get(TxId id) const noexcept;
    TxId id_of(std::uint32_t i) const noexcept { return {i, txs_[i].generation}; }
    std::string_view slot(std::uint32_t i) const noexcept {
        return {slab_.data() + static_cast<std::size_t>(i) * slot_size_, txs_[i].slot_len};
    }
    bool store(std::uint32_t i, std::string_view bytes) noexcept;
    std::uint32_t lookup(std::string_view key, std::uint32_t hash) const noexcept;
    std::uint32_t create(TxKind kind, std::string_view key, std::uint32_t hash) noexcept;
    void index_erase(std::uint32_t i) noexcept;
    void terminate(std::uint32_t i, TimerId why, ActionList& out) noexcept;
    void arm(std::uint32_t i, TimerHandle& h, TimerId id, std::uint32_t delay_ms) noexcept;
    void disarm(TimerHandle& h) noexcept;
    void send_slot(std::uint32_t i, int code, ActionList& out) noexcept;
    void on_timer(TimerHandle h, TimerId id, std::uint64_t cookie, ActionList& out) noexcept;
    bool respond_now(TxId server, std::string_view response, int code, ActionList& out) noexcept;
    std::string_view invite_to_tag(std::uint32_t s) noexcept;
    void cancel_server(std::uint32_t s, std::string_view tag, ActionList& out) noexcept;
    void send_cancel(std::uint32_t c, ActionList& out) noexcept;
    bool build_ack(std::uint32_t c, const sip::Message& response) noexcept;
    std::string_view make_tag() noexcept;

    std::uint32_t slot_size_;
    TxTimers timers_;
    int worker_;
    std::uint64_t branch_counter_;
    std::uint32_t tag_counter_ = 0;
    std::vector<Tx> txs_;
    std::vector<char> slab_;
    std::vector<std::uint32_t> buckets_;  // open addressing, linear probing; kNil = empty
    std::uint32_t bucket_mask_;
    std::vector<std::uint32_t> free_;          // free records (stack)
    std::vector<std::uint32_t> pending_free_;  // terminated this call: freed at the next call
    std::uint32_t reuse_holds_ = 0;             // > 0: begin() keeps pending_free_ (hold_reuse)
    std::vector<char> scratch_;                // building ACK / CANCEL / 487
    char tag_[24];
    char peer_tag_[64];
    sip::Message scratch_msg_;
    TimerWheel wheel_;
    std::uint32_t live_ = 0;
    TransactionCounters counters_;
};

}  // namespace palisade::dp
