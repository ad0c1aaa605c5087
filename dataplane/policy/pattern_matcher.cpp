#include "dataplane/policy/pattern_matcher.hpp"

#include <hs/hs.h>

#include <vector>

namespace palisade::dp {

namespace {
std::string anchored(std::string_view p) {
    std::string s;
    s.reserve(p.size() + 6);
    s += "^(?:";
    s += p;
    s += ")$";
    return s;
}

constexpr unsigned kFlags = HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;

struct ScanCtx {
    const std::uint8_t* verdicts;
    std::uint8_t result;
};

int on_match(unsigned id, unsigned long long /*from*/, unsigned long long /*to*/,
             unsigned /*flags*/, void* ctx) {
    auto* c = static_cast<ScanCtx*>(ctx);
    const std::uint8_t v = c->verdicts[id];
    if (v > c->result) c->result = v;
    return c->result == kVerdictDeny ? 1 : 0;  // deny decides: stop scanning
}
}  // namespace

PatternSet::~PatternSet() { hs_free_database(db_); }

std::unique_ptr<PatternSet> PatternSet::compile(std::span<const std::string> patterns,
                                                std::span<const std::uint8_t> verdicts,
                                                std::string* error) {
    if (patterns.empty() || patterns.size() != verdicts.size()) {
        if (error) *error = "empty pattern set";
        return nullptr;
    }
    std::vector<std::string> exprs;
    exprs.reserve(patterns.size());
    std::vector<const char*> ptrs;
    std::vector<unsigned> flags(patterns.size(), kFlags);
    std::vector<unsigned> ids;
    for (std::size_t i = 0; i < patterns.size(); ++i) {
        exprs.push_back(anchored(patterns[i]));
        ids.push_back(static_cast<unsigned>(i));
    }
    for (const auto& e : exprs) ptrs.push_back(e.c_str());
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile_multi(ptrs.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(ptrs.size()), HS_MODE_BLOCK, nullptr, &db,
                         &err) != HS_SUCCESS) {
        if (error) {
            const int at = err ? err->expression : -1;
            *error = "pattern ";
            if (at >= 0 && static_cast<std::size_t>(at) < patterns.size())
                *error += "'" + patterns[static_cast<std::size_t>(at)] + "' ";
            *error += "refused by Hyperscan: ";
            *error += err && err->message ? err->message : "unknown error";
        }
        hs_free_compile_error(err);
        return nullptr;
    }
    std::unique_ptr<PatternSet> set(new PatternSet());
    set->db_ = db;
    set->count_ = patterns.size();
    set->verdicts_ = std::make_unique<std::uint8_t[]>(patterns.size());
    for (std::size_t i = 0; i < patterns.size(); ++i) set->verdicts_[i] = verdicts[i];
    return set;
}

std::uint8_t PatternSet::match(std::string_view number, hs_scratch* scratch) const noexcept {
    if (scratch == nullptr) return kVerdictError;
    ScanCtx ctx{verdicts_.get(), kVerdictNone};
    const hs_error_t rc = hs_scan(db_, number.data(), static_cast<unsigned>(number.size()), 0,
                                  scratch, on_match, &ctx);
    if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED) return kVerdictError;
    return ctx.result;
}

bool check_dest_pattern(std::string_view pattern, std::string* error) {
    const std::string e = anchored(pattern);
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile(e.c_str(), kFlags, HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) {
        if (error) *error = err && err->message ? err->message : "refused by Hyperscan";
        hs_free_compile_error(err);
        return false;
    }
    hs_free_database(db);
    return true;
}

ScratchPrototype::~ScratchPrototype() { hs_free_scratch(scratch_); }

bool ScratchPrototype::fit(const hs_database* db) {
    return hs_alloc_scratch(db, &scratch_) == HS_SUCCESS;
}

WorkerScratch::~WorkerScratch() { hs_free_scratch(scratch_); }

bool WorkerScratch::refresh(const ScratchPrototype& proto, std::uint64_t key) noexcept {
    if (key == key_ && (scratch_ != nullptr || proto.get() == nullptr)) return scratch_ != nullptr;
    key_ = key;
    if (proto.get() == nullptr) return true;  // no patterns anywhere: no scratch needed
    hs_scratch_t* fresh = nullptr;
    if (hs_clone_scratch(proto.get(), &fresh) != HS_SUCCESS) {
        hs_free_scratch(scratch_);
        scratch_ = nullptr;
        return false;
    }
    hs_free_scratch(scratch_);
    scratch_ = fresh;
    return true;
}

}  // namespace palisade::dp
