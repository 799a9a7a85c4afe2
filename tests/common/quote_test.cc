#include "common/quote.h"

#include <string>

#include "gtest/gtest.h"

namespace switchboard {
namespace {

TEST(QuoteTest, ShortInputIsEscapedAndQuoted) {
  EXPECT_EQ(QuoteForError("lobby"), "\"lobby\"");
  EXPECT_EQ(QuoteForError(std::string("a\n\xff\0", 4)), "\"a\\n\\377\\000\"");
  EXPECT_EQ(QuoteForError(""), "\"\"");
}

TEST(QuoteTest, LongInputIsCutWithItsSize) {
  EXPECT_EQ(QuoteForError(std::string(10240, 'x'), 4), "\"xxxx...\" (10240 bytes)");
  EXPECT_EQ(QuoteForError(std::string(64, 'y')), "\"" + std::string(64, 'y') + "\"");
  // Escaping happens after the cut: at most 4 output bytes per input byte.
  EXPECT_LE(QuoteForError(std::string(10000, '\xff')).size(), 64u * 4 + 32);
}

}  // namespace
}  // namespace switchboard
