// Topology hiding (DESIGN.md §1, issue 6 point 2), as edits on a sip::EditList applied once:
// a forwarded request carries one Via (ours, on the outgoing interface), no Route or
// Record-Route of the other side (the dialog keeps them), a Contact naming Palisade, and From,
// To, P-Asserted-Identity and Remote-Party-ID whose host parts name Palisade's address of the
// outgoing side; a response going back gets the Via stack the request arrived with (top Via
// stamped received/rport, RFC 3581 §4) and From/To exactly as the original sender wrote them.
// Call-ID, tags, CSeq and SDP pass through. Pure functions: no allocation, no exceptions; the
// texts they insert are written into the caller's TextArena, which must outlive EditList::apply.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "dataplane/sip/transaction.hpp"
#include "parsers/sip/edit_list.hpp"
#include "parsers/sip/message.hpp"
#include "parsers/sip/validate.hpp"

namespace palisade::dp {

/// A bump allocator over a caller's buffer: the texts edits reference. A write that does not
/// fit fails the arena (ok() false) and returns an empty view.
class TextArena {
public:
    explicit TextArena(std::span<char> buf) noexcept : buf_(buf) {}
    /// Starts a new text; append with add/num/ip; end() returns it.
    TextArena& begin() noexcept {
        start_ = used_;
        return *this;
    }
    TextArena& add(std::string_view s) noexcept;
    TextArena& num(std::uint64_t v) noexcept;
    TextArena& ip(std::uint32_t addr) noexcept;
    /// The text written since begin().
    std::string_view end() noexcept {
        if (!ok_) return {};
        return {buf_.data() + start_, used_ - start_};
    }
    /// begin().add(s).end().
    std::string_view copy(std::string_view s) noexcept { return begin().add(s).end(); }
    [[nodiscard]] bool ok() const noexcept { return ok_; }
    [[nodiscard]] std::size_t used() const noexcept { return used_; }
    void reset() noexcept {
        used_ = 0;
        start_ = 0;
        ok_ = true;
    }

private:
    std::span<char> buf_;
    std::size_t used_ = 0;
    std::size_t start_ = 0;
    bool ok_ = true;
};

/// Which identity headers rewrite_identity_hosts touches.
inline constexpr unsigned kHostFrom = 1;
inline constexpr unsigned kHostTo = 2;
inline constexpr unsigned kHostIdentity = 4;  ///< P-Asserted-Identity and Remote-Party-ID
inline constexpr unsigned kHostAll = kHostFrom | kHostTo | kHostIdentity;

/// How to rewrite a request that leaves Palisade.
struct HideRequest {
    Endpoint us{};                   ///< our address and SIP port on the outgoing interface
    std::string_view branch;         ///< our Via branch (TransactionTable::make_branch)
    std::string_view request_uri;    ///< new Request-URI; empty: keep
    std::string_view routes;         ///< Route header value to send (the dialog's route set); empty: none
    bool max_forwards = true;        ///< decrement Max-Forwards (false for a request we originate)
    /// Identity headers whose host is rewritten (privacy_edits already replaced From and removed
    /// P-Asserted-Identity: then only kHostTo).
    unsigned hosts = kHostAll;
    /// Our digest realm: Proxy-Authorization fields with credentials for it are removed. They
    /// are Palisade's to consume (RFC 3261 §22.3) and their uri names our address on the
    /// side they came from (a UA such as baresip repeats them on in-dialog ACK and BYE).
    /// Empty: kept (the first INVITE, whose credentials call_checks removes).
    std::string_view our_realm;
};

/// Outcome of hide_request.
enum class HideResult : std::uint8_t { ok, too_many_hops, no_space };

/// Records the edits of a forwarded request (see the file comment). Max-Forwards decremented
/// (RFC 3261 §16.6 item 3): 0 gives too_many_hops (answer 483).
HideResult hide_request(const sip::Message& msg, const sip::Validated& v, const HideRequest& h,
                        TextArena& arena, sip::EditList& edits) noexcept;

/// The received request's Via stack as header lines ("Via: ...\r\n" each, one value per line),
/// the top one stamped with received= and rport= (RFC 3261 §18.2.1, RFC 3581 §4). Empty when
/// the arena is full.
std::string_view received_via_lines(const sip::Message& msg, const sip::Validated& v,
                                    Endpoint source, TextArena& arena) noexcept;

/// What a response going back upstream must carry (kept from its request).
struct HideResponse {
    std::string_view via_lines;  ///< received_via_lines() of the request
    std::string_view from_line;  ///< the request's From field line as written (with CRLF)
    std::string_view to_line;    ///< the request's To field line as written (with CRLF)
    Endpoint us{};               ///< our address on the interface the response leaves by
};

/// Records the edits of a response going back: Via stack restored, From and To as the original
/// sender wrote them (the To tag the response carries added when the request had none),
/// Contact naming Palisade, Record-Route removed, P-Asserted-Identity / Remote-Party-ID hosts
/// rewritten. False when space ran out.
bool hide_response(const sip::Message& msg, const sip::Validated& v, const HideResponse& h,
                   TextArena& arena, sip::EditList& edits) noexcept;

/// Records the rewrite of every Contact of `msg` to "<sip:user@us>" (user kept). False when
/// space ran out.
bool rewrite_contacts(const sip::Message& msg, Endpoint us, TextArena& arena,
                      sip::EditList& edits) noexcept;

/// Records the rewrite of the host part (host[:port]) of every sip/sips URI in From, To,
/// P-Asserted-Identity and Remote-Party-ID (as `which` selects) to `us`.
bool rewrite_identity_hosts(const sip::Message& msg, std::uint32_t us, unsigned which,
                            TextArena& arena, sip::EditList& edits) noexcept;

/// The Record-Route values of `msg` as one Route header value, in message order (`reverse`
/// false: the route set of a UAS, RFC 3261 §12.1.1) or reversed (a UAC, §12.1.2). Empty when
/// none or the arena is full.
std::string_view route_set(const sip::Message& msg, bool reverse, TextArena& arena) noexcept;

/// The URI of the first Contact of `msg` (empty when none).
std::string_view contact_uri(const sip::Message& msg) noexcept;

}  // namespace palisade::dp
