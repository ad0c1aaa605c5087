// Writing SIP messages Palisade originates (responses, OPTIONS keepalives, BYE) straight into a
// caller's buffer: no allocation, no exceptions. Every call appends; the first call that does
// not fit marks the builder failed, later calls do nothing, and finish() returns 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "parsers/sip/message.hpp"

namespace palisade::sip {

/// Appends a start line, header lines and a body into a fixed buffer.
class Builder {
public:
    /// Writes into `out`, from its start.
    explicit Builder(std::span<char> out) noexcept : out_(out) {}

    /// "METHOD SP uri SP SIP/2.0 CRLF" (RFC 3261 §7.1).
    Builder& request_line(std::string_view method, std::string_view uri) noexcept;
    /// Same, with a known method.
    Builder& request_line(Method method, std::string_view uri) noexcept {
        return request_line(method_name(method), uri);
    }
    /// "SIP/2.0 SP code SP reason CRLF" (RFC 3261 §7.2); code must be 100..699.
    Builder& status_line(int code, std::string_view reason) noexcept;
    /// "Canonical-Name: value CRLF".
    Builder& header(HeaderId id, std::string_view value) noexcept {
        return header(header_name(id), value);
    }
    /// "name: value CRLF" for any name.
    Builder& header(std::string_view name, std::string_view value) noexcept;
    /// "Canonical-Name: decimal CRLF".
    Builder& header_uint(HeaderId id, std::uint64_t value) noexcept;
    /// "CSeq: number METHOD CRLF" (RFC 3261 §20.16), for the requests Palisade builds (ACK,
    /// CANCEL, BYE, a re-sent INVITE's answer).
    Builder& cseq(std::uint32_t number, Method method) noexcept;
    /// Verbatim octets: one or more complete header lines, each ending in CRLF.
    Builder& raw(std::string_view text) noexcept;
    /// "Content-Length: N CRLF CRLF body"; returns the message size, or 0 when anything did not
    /// fit (or status_line got a bad code). Content-Length is always written (RFC 3261 §20.14
    /// makes it mandatory over stream transports and it costs nothing over UDP).
    std::size_t finish(std::string_view body = {}) noexcept;

    /// Octets written so far.
    std::size_t size() const noexcept { return size_; }
    /// False once something did not fit.
    bool ok() const noexcept { return ok_; }

private:
    void put(std::string_view s) noexcept;
    void put_uint(std::uint64_t v) noexcept;

    std::span<char> out_;
    std::size_t size_ = 0;
    bool ok_ = true;
};

/// Builds a response to `req` (RFC 3261 §8.2.6.2): the status line, every Via line in order,
/// From, To (with ";tag=<to_tag>" appended when the request's To has no tag, code > 100 and
/// to_tag is not empty), Call-ID and CSeq copied from the request as written (fields absent
/// from the request are skipped, RFC 4475 insuf), then `extra_header_lines` verbatim (complete
/// lines with their CRLFs, e.g. "Allow: INVITE, ACK\r\n"), Content-Length and `body`.
/// Returns the size written into `out`, or 0 when it does not fit or `code` is not 100..699.
std::size_t build_response(const Message& req, int code, std::string_view reason,
                           std::string_view to_tag, std::string_view extra_header_lines,
                           std::string_view body, std::span<char> out) noexcept;

}  // namespace palisade::sip
