#include "dataplane/sip/dialog_table.hpp"

#include <cstring>

namespace palisade::dp {

DialogTable::DialogTable(std::uint32_t capacity) : records_(capacity == 0 ? 1 : capacity) {
    std::uint32_t buckets = 16;
    while (buckets < records_.size()) buckets <<= 1;
    buckets_.assign(buckets, kNil);
    mask_ = buckets - 1;
    free_.reserve(records_.size());
    for (std::uint32_t i = static_cast<std::uint32_t>(records_.size()); i-- > 0;) free_.push_back(i);
}

std::uint32_t DialogTable::hash_call_id(std::string_view call_id) noexcept {
    std::uint32_t h = 2166136261u;
    for (const char ch : call_id) {
        h ^= static_cast<unsigned char>(ch);
        h *= 16777619u;
    }
    return h;
}

bool DialogTable::put(std::uint32_t i, TextRef& ref, std::string_view s) noexcept {
    Dialog& d = records_[i];
    if (s.size() > kDialogTextMax - d.text_used) return false;
    if (!s.empty()) std::memcpy(d.text + d.text_used, s.data(), s.size());
    ref.off = d.text_used;
    ref.len = static_cast<std::uint16_t>(s.size());
    d.text_used = static_cast<std::uint16_t>(d.text_used + s.size());
    return true;
}

std::uint32_t DialogTable::create(std::string_view call_id, std::string_view caller_tag) noexcept {
    if (free_.empty() || call_id.size() + caller_tag.size() > kDialogTextMax) return kNil;
    const std::uint32_t i = free_.back();
    free_.pop_back();
    Dialog& d = records_[i];
    // Field by field, keeping the generation; the text arena is not cleared (text_used is).
    d.state = DialogState::trying;
    d.direction = CallDirection::outbound;
    d.account = CallAccount::none;
    d.flags = 0;
    d.trunk_index = kCallNoTrunk;
    d.trunk_key = kCallNoTrunk;
    d.event_flags = 0;
    d.final_code = 0;
    d.session_expires_s = 0;
    d.setup = kNil;
    d.start_us = 0;
    d.answer_us = 0;
    d.server_tx = {};
    d.client_tx = {};
    d.session_timer = {};
    d.duration_timer = {};
    d.ack_timer = {};
    d.caller = {};
    d.callee = {};
    d.trunk_id = {};
    d.caller_number = {};
    d.callee_number = {};
    d.text_used = 0;
    put(i, d.call_id, call_id);
    put(i, d.caller.tag, caller_tag);
    d.hash = hash_call_id(call_id);
    const std::uint32_t b = d.hash & mask_;
    d.next = buckets_[b];
    buckets_[b] = i;
    ++live_;
    return i;
}

std::uint32_t DialogTable::find(std::string_view call_id, std::string_view from_tag,
                                std::string_view to_tag, LegFrom& from) const noexcept {
    from = LegFrom::none;
    const std::uint32_t h = hash_call_id(call_id);
    for (std::uint32_t i = buckets_[h & mask_]; i != kNil; i = records_[i].next) {
        const Dialog& d = records_[i];
        if (d.hash != h || d.str(d.call_id) != call_id) continue;
        const std::string_view caller_tag = d.str(d.caller.tag);
        const std::string_view callee_tag = d.str(d.callee.tag);
        if (from_tag == caller_tag &&
            (to_tag.empty() || callee_tag.empty() || to_tag == callee_tag)) {
            from = LegFrom::caller;
            return i;
        }
        if (to_tag == caller_tag && (callee_tag.empty() || from_tag == callee_tag)) {
            from = LegFrom::callee;
            return i;
        }
    }
    return kNil;
}

void DialogTable::erase(std::uint32_t i) noexcept {
    Dialog& d = records_[i];
    if (d.state == DialogState::free) return;
    std::uint32_t* link = &buckets_[d.hash & mask_];
    while (*link != kNil && *link != i) link = &records_[*link].next;
    if (*link == i) *link = d.next;
    d.next = kNil;
    d.state = DialogState::free;
    ++d.generation;
    free_.push_back(i);
    --live_;
}

}  // namespace palisade::dp
