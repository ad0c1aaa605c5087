#include "dataplane/sip/dialog_table.hpp"

#include <gtest/gtest.h>

#include <string>

namespace palisade::dp {
namespace {

TEST(DialogTable, RecordStaysUnderOneKiB) {
    EXPECT_LT(sizeof(Dialog), 1024u);
    EXPECT_EQ(kDialogRecordBytes, sizeof(Dialog));
}

TEST(DialogTable, MillionDialogsFitOneGiB) {
    // Record + index per dialog, from sizeof: the 1,000,000 concurrent dialogs in under
    // 1 GiB. The index has one 4-octet bucket per record rounded up to a power of two.
    const std::size_t records = 1'000'000;
    std::size_t buckets = 16;
    while (buckets < records) buckets <<= 1;
    const std::size_t bytes = records * sizeof(Dialog) + buckets * sizeof(std::uint32_t);
    EXPECT_LT(bytes, std::size_t{1} << 30);
    DialogTable small(1000);
    EXPECT_EQ(small.memory_bytes(), 1000 * sizeof(Dialog) + 1024 * sizeof(std::uint32_t));
}

TEST(DialogTable, FindsByCallIdAndTagsFromEitherSide) {
    DialogTable t(8);
    const std::uint32_t i = t.create("abc@host", "caller-tag");
    ASSERT_NE(i, DialogTable::kNil);
    EXPECT_EQ(t[i].state, DialogState::trying);
    EXPECT_EQ(t[i].str(t[i].call_id), "abc@host");
    LegFrom from{};
    // Before the callee's tag is known: the caller's tag alone matches (responses, CANCEL).
    EXPECT_EQ(t.find("abc@host", "caller-tag", "", from), i);
    EXPECT_EQ(from, LegFrom::caller);
    ASSERT_TRUE(t.put(i, t[i].callee.tag, "callee-tag"));
    EXPECT_EQ(t.find("abc@host", "caller-tag", "callee-tag", from), i);
    EXPECT_EQ(from, LegFrom::caller);
    EXPECT_EQ(t.find("abc@host", "callee-tag", "caller-tag", from), i);
    EXPECT_EQ(from, LegFrom::callee);
    EXPECT_EQ(t.find("abc@host", "caller-tag", "other", from), DialogTable::kNil);
    EXPECT_EQ(t.find("abc@other", "caller-tag", "callee-tag", from), DialogTable::kNil);
    EXPECT_EQ(t.find("abc@host", "x", "y", from), DialogTable::kNil);
    EXPECT_EQ(from, LegFrom::none);
}

TEST(DialogTable, EraseReusesAndStalesHandles) {
    DialogTable t(2);
    const std::uint32_t a = t.create("a", "1");
    const std::uint32_t b = t.create("b", "2");
    EXPECT_EQ(t.create("c", "3"), DialogTable::kNil);  // full
    EXPECT_EQ(t.size(), 2u);
    const std::uint32_t gen = t[a].generation;
    ASSERT_NE(t.get(a, gen), nullptr);
    t.erase(a);
    EXPECT_EQ(t.get(a, gen), nullptr);
    LegFrom from{};
    EXPECT_EQ(t.find("a", "1", "", from), DialogTable::kNil);
    EXPECT_EQ(t.find("b", "2", "", from), b);
    const std::uint32_t c = t.create("c", "3");
    EXPECT_EQ(c, a);
    EXPECT_EQ(t.find("c", "3", "", from), c);
    EXPECT_EQ(t.size(), 2u);
}

std::string named(const char* prefix, int k) {
    std::string s(prefix);
    s += std::to_string(k);
    return s;
}

TEST(DialogTable, ManyCallsSameBucketChain) {
    DialogTable t(64);
    for (int k = 0; k < 64; ++k) {
        const std::string id = named("call-", k);
        ASSERT_NE(t.create(id, named("t", k)), DialogTable::kNil);
    }
    LegFrom from{};
    for (int k = 0; k < 64; k += 2) t.erase(t.find(named("call-", k), named("t", k), "", from));
    for (int k = 0; k < 64; ++k) {
        const std::uint32_t i = t.find(named("call-", k), named("t", k), "", from);
        EXPECT_EQ(i == DialogTable::kNil, k % 2 == 0) << k;
    }
    EXPECT_EQ(t.size(), 32u);
}

TEST(DialogTable, TextArenaRefusesOverflow) {
    DialogTable t(1);
    const std::uint32_t i = t.create("id", "tag");
    TextRef r;
    EXPECT_FALSE(t.put(i, r, std::string(kDialogTextMax, 'x')));
    EXPECT_EQ(r.len, 0u);
    EXPECT_TRUE(t.put(i, r, "sip:a@b"));
    EXPECT_EQ(t[i].str(r), "sip:a@b");
}

}  // namespace
}  // namespace palisade::dp
