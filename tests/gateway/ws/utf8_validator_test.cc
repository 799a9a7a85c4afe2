#include "gateway/ws/utf8_validator.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"

namespace switchboard::gateway::ws {
namespace {

constexpr int kComplete = -1;
constexpr int kIncomplete = -2;

// Straight from the RFC 3629 grammar, independent of the DFA: the index of
// the first byte no valid UTF-8 text could continue with, or kComplete /
// kIncomplete.
int Reference(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t b = s[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    int need;
    uint8_t lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      need = 1;
    } else if (b == 0xE0) {
      need = 2, lo = 0xA0;
    } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
      need = 2;
    } else if (b == 0xED) {
      need = 2, hi = 0x9F;
    } else if (b == 0xF0) {
      need = 3, lo = 0x90;
    } else if (b >= 0xF1 && b <= 0xF3) {
      need = 3;
    } else if (b == 0xF4) {
      need = 3, hi = 0x8F;
    } else {
      return static_cast<int>(i);
    }
    for (int k = 1; k <= need; ++k) {
      if (i + k >= s.size()) return kIncomplete;
      const uint8_t c = s[i + k];
      if (c < lo || c > hi) return static_cast<int>(i + k);
      lo = 0x80, hi = 0xBF;
    }
    i += need + 1;
  }
  return kComplete;
}

// What the validator says when fed one byte at a time, in Reference's terms.
int FeedByteByByte(const std::string& s) {
  Utf8Validator v;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!v.Consume(absl::string_view(&s[i], 1))) return static_cast<int>(i);
  }
  return v.complete() ? kComplete : kIncomplete;
}

std::string Encode(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    s.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    s.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
  return s;
}

TEST(Utf8ValidatorTest, ReferenceSelfCheck) {
  EXPECT_EQ(Reference("a\xc3\xa9"), kComplete);
  EXPECT_EQ(Reference("\xc3"), kIncomplete);
  EXPECT_EQ(Reference("ab\xed\xa0\x80"), 3);
}

// Every string of 1 to 3 bytes: same verdict and same failing byte as the
// reference, byte by byte and whole.
TEST(Utf8ValidatorTest, AllShortStringsMatchReference) {
  std::string s;
  for (int len = 1; len <= 3; ++len) {
    s.assign(len, '\0');
    const uint32_t count = 1u << (8 * len);
    for (uint32_t n = 0; n < count; ++n) {
      for (int i = 0; i < len; ++i) s[i] = static_cast<char>(n >> (8 * i));
      const int expected = Reference(s);
      ASSERT_EQ(FeedByteByByte(s), expected) << "n=" << n << " len=" << len;
      ASSERT_EQ(Utf8Validator::IsValid(s), expected == kComplete) << "n=" << n;
    }
  }
}

// Four-byte strings around every lead byte that can start one.
TEST(Utf8ValidatorTest, FourByteStringsMatchReference) {
  const uint8_t edges[] = {0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
  std::string s(4, '\0');
  for (int b0 = 0xE0; b0 <= 0xFF; ++b0) {
    for (int b1 = 0; b1 <= 0xFF; ++b1) {
      for (uint8_t b2 : edges) {
        for (uint8_t b3 : edges) {
          s[0] = static_cast<char>(b0), s[1] = static_cast<char>(b1);
          s[2] = static_cast<char>(b2), s[3] = static_cast<char>(b3);
          ASSERT_EQ(FeedByteByByte(s), Reference(s)) << b0 << " " << b1 << " " << +b2;
        }
      }
    }
  }
}

TEST(Utf8ValidatorTest, EveryScalarValueIsValidAndSurrogatesAreNot) {
  for (uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    const std::string s = Encode(cp);
    const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    ASSERT_EQ(Utf8Validator::IsValid(s), !surrogate) << std::hex << cp;
  }
}

TEST(Utf8ValidatorTest, RefusesOverlongSurrogateAndOutOfRange) {
  EXPECT_EQ(FeedByteByByte("\xc0\x80"), 0);          // Overlong NUL.
  EXPECT_EQ(FeedByteByByte("\xc1\xbf"), 0);          // Overlong U+007F.
  EXPECT_EQ(FeedByteByByte("\xe0\x80\x80"), 1);      // Overlong, 3 bytes.
  EXPECT_EQ(FeedByteByByte("\xe0\x9f\xbf"), 1);      // Overlong U+07FF.
  EXPECT_EQ(FeedByteByByte("\xf0\x8f\xbf\xbf"), 1);  // Overlong U+FFFF.
  EXPECT_EQ(FeedByteByByte("\xed\xa0\x80"), 1);      // U+D800.
  EXPECT_EQ(FeedByteByByte("\xed\xbf\xbf"), 1);      // U+DFFF.
  EXPECT_EQ(FeedByteByByte("\xf4\x90\x80\x80"), 1);  // U+110000.
  EXPECT_EQ(FeedByteByByte("\xf5\x80\x80\x80"), 0);
  EXPECT_EQ(FeedByteByByte("\xff"), 0);
  EXPECT_EQ(FeedByteByByte("\x80"), 0);              // Stray continuation.
  EXPECT_EQ(FeedByteByByte("\xc3\xa9\xa9"), 2);
  EXPECT_EQ(FeedByteByByte("\xe2\x82" "a"), 2);      // Truncated, then ASCII.
  EXPECT_TRUE(Utf8Validator::IsValid("\xf4\x8f\xbf\xbf"));  // U+10FFFF.
  EXPECT_TRUE(Utf8Validator::IsValid("\xef\xbf\xbf"));      // U+FFFF.
  EXPECT_TRUE(Utf8Validator::IsValid(""));
}

// The ASCII fast path skips eight bytes at a time: a bad byte anywhere in or
// after a run of ASCII is still caught, at its own position.
TEST(Utf8ValidatorTest, BadByteAfterAsciiRunsIsFoundAtItsPosition) {
  for (size_t prefix = 0; prefix < 40; ++prefix) {
    for (size_t suffix = 0; suffix < 20; ++suffix) {
      std::string s(prefix, 'a');
      s += "\xe2\x82\xac";  // Euro sign.
      s += std::string(suffix, 'b');
      EXPECT_TRUE(Utf8Validator::IsValid(s));
      s[prefix + 1] = 'x';
      Utf8Validator v;
      EXPECT_FALSE(v.Consume(s));
      EXPECT_EQ(FeedByteByByte(s), static_cast<int>(prefix + 1));
    }
  }
}

TEST(Utf8ValidatorTest, AnySplitGivesTheSameVerdict) {
  const std::string good = "ascii \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 and more ascii text";
  const std::string bad = "ascii \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98 and more ascii text";
  for (size_t a = 0; a <= good.size(); ++a) {
    for (size_t b = a; b <= good.size(); ++b) {
      Utf8Validator v;
      EXPECT_TRUE(v.Consume(absl::string_view(good).substr(0, a)));
      EXPECT_TRUE(v.Consume(absl::string_view(good).substr(a, b - a)));
      EXPECT_TRUE(v.Consume(absl::string_view(good).substr(b)));
      EXPECT_TRUE(v.complete()) << a << " " << b;
    }
  }
  for (size_t a = 0; a <= bad.size(); ++a) {
    Utf8Validator v;
    const bool first = v.Consume(absl::string_view(bad).substr(0, a));
    const bool second = v.Consume(absl::string_view(bad).substr(a));
    EXPECT_FALSE(first && second) << a;
    EXPECT_EQ(first, a <= 16) << a;  // Byte 16 (' ') cannot follow F0 9F 98.
    EXPECT_TRUE(v.failed());
  }
}

TEST(Utf8ValidatorTest, EndingMidSequenceIsNotComplete) {
  Utf8Validator v;
  EXPECT_TRUE(v.Consume("abc\xf0\x9f"));
  EXPECT_FALSE(v.complete());
  EXPECT_FALSE(v.failed());
  EXPECT_TRUE(v.Consume("\x98\x80"));
  EXPECT_TRUE(v.complete());
}

TEST(Utf8ValidatorTest, StaysFailedUntilReset) {
  Utf8Validator v;
  EXPECT_FALSE(v.Consume("\xff"));
  EXPECT_FALSE(v.Consume("valid"));
  EXPECT_FALSE(v.Consume(""));
  EXPECT_FALSE(v.complete());
  EXPECT_TRUE(v.failed());
  v.Reset();
  EXPECT_TRUE(v.Consume("valid"));
  EXPECT_TRUE(v.complete());
}

TEST(Utf8ValidatorTest, ValidPrefixLength) {
  EXPECT_EQ(Utf8Validator::ValidPrefixLength("hello", 10), 5u);
  EXPECT_EQ(Utf8Validator::ValidPrefixLength("hello", 3), 3u);
  // "a€b": the cut may not fall inside the euro sign.
  const std::string s = "a\xe2\x82\xac" "b";
  EXPECT_EQ(Utf8Validator::ValidPrefixLength(s, 1), 1u);
  EXPECT_EQ(Utf8Validator::ValidPrefixLength(s, 2), 1u);
  EXPECT_EQ(Utf8Validator::ValidPrefixLength(s, 3), 1u);
  EXPECT_EQ(Utf8Validator::ValidPrefixLength(s, 4), 4u);
  EXPECT_EQ(Utf8Validator::ValidPrefixLength(s, 5), 5u);
  EXPECT_EQ(Utf8Validator::ValidPrefixLength("ok\xff" "more", 100), 2u);
  EXPECT_EQ(Utf8Validator::ValidPrefixLength("", 100), 0u);
}

}  // namespace
}  // namespace switchboard::gateway::ws
