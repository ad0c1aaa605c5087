// Message builder. See builder.hpp for the contract.
#include "parsers/sip/builder.hpp"

#include <cstring>

#include "parsers/sip/values.hpp"

namespace palisade::sip {

void Builder::put(std::string_view s) noexcept {
    if (!ok_) return;
    if (s.size() > out_.size() - size_) {
        ok_ = false;
        return;
    }
    if (!s.empty()) std::memcpy(out_.data() + size_, s.data(), s.size());
    size_ += s.size();
}

void Builder::put_uint(std::uint64_t v) noexcept {
    char tmp[20];
    std::size_t n = 0;
    do {
        tmp[sizeof tmp - 1 - n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    put(std::string_view(tmp + sizeof tmp - n, n));
}

Builder& Builder::request_line(std::string_view method, std::string_view uri) noexcept {
    put(method);
    put(" ");
    put(uri);
    put(" SIP/2.0\r\n");
    return *this;
}

Builder& Builder::status_line(int code, std::string_view reason) noexcept {
    if (code < 100 || code > 699) {
        ok_ = false;
        return *this;
    }
    put("SIP/2.0 ");
    put_uint(static_cast<std::uint64_t>(code));
    put(" ");
    put(reason);
    put("\r\n");
    return *this;
}

Builder& Builder::header(std::string_view name, std::string_view value) noexcept {
    put(name);
    put(": ");
    put(value);
    put("\r\n");
    return *this;
}

Builder& Builder::cseq(std::uint32_t number, Method method) noexcept {
    put(header_name(HeaderId::cseq));
    put(": ");
    put_uint(number);
    put(" ");
    put(method_name(method));
    put("\r\n");
    return *this;
}

Builder& Builder::header_uint(HeaderId id, std::uint64_t value) noexcept {
    put(header_name(id));
    put(": ");
    put_uint(value);
    put("\r\n");
    return *this;
}

Builder& Builder::raw(std::string_view text) noexcept {
    put(text);
    return *this;
}

std::size_t Builder::finish(std::string_view body) noexcept {
    put("Content-Length: ");
    put_uint(body.size());
    put("\r\n\r\n");
    put(body);
    return ok_ ? size_ : 0;
}

std::size_t build_response(const Message& req, int code, std::string_view reason,
                           std::string_view to_tag, std::string_view extra_header_lines,
                           std::string_view body, std::span<char> out) noexcept {
    Builder b(out);
    b.status_line(code, reason);
    // RFC 3261 §8.2.6.2: Via (all, in order), From, Call-ID, CSeq copied; To copied with a tag
    // added when it has none (a 100 Trying does not carry one, §8.2.6.1).
    for (const HeaderField& f : req.fields(HeaderId::via)) b.raw(f.line);
    if (const HeaderField* f = req.find(HeaderId::from)) b.raw(f->line);
    if (const HeaderField* f = req.find(HeaderId::to)) {
        NameAddr to{};
        const bool add_tag = code > 100 && !to_tag.empty() &&
                             parse_name_addr(f->value, to) == Reason::none && to.tag.empty();
        if (add_tag) {
            // The field as written up to the end of its value (folds kept), then the tag.
            const auto value_end =
                static_cast<std::size_t>(f->value.data() + f->value.size() - f->line.data());
            b.raw(f->line.substr(0, value_end)).raw(";tag=").raw(to_tag).raw("\r\n");
        } else {
            b.raw(f->line);
        }
    }
    if (const HeaderField* f = req.find(HeaderId::call_id)) b.raw(f->line);
    if (const HeaderField* f = req.find(HeaderId::cseq)) b.raw(f->line);
    b.raw(extra_header_lines);
    return b.finish(body);
}

}  // namespace palisade::sip
