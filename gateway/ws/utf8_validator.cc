#include "gateway/ws/utf8_validator.h"

#include <cstring>

namespace switchboard::gateway::ws {
namespace {

// Bjoern Hoehrmann's UTF-8 DFA (http://bjoern.hoehrmann.de/utf-8/decoder/dfa/),
// validation only. kByteClass sorts bytes into 12 classes:
//   0: 00-7F  1: 80-8F  9: 90-9F  7: A0-BF  8: C0-C1, F5-FF  2: C2-DF
//   10: E0  3: E1-EC, EE-EF  4: ED  11: F0  6: F1-F3  5: F4
constexpr uint8_t kByteClass[256] = {
    0,  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0,  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0,  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0,  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1,  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
    7,  7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    8,  8, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    10, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 3, 3, 11, 6, 6, 6, 5, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
};

// kTransition[state + class] is the next state. States are multiples of 12:
// 0 accept, 12 reject, 24/36 expect one/two more continuation bytes, and
// 48 (after E0), 60 (ED), 72 (F0), 84 (F1-F3), 96 (F4) narrow the next byte's
// range to rule out overlong forms, surrogates and code points > U+10FFFF.
constexpr uint8_t kTransition[108] = {
    0,  12, 24, 36, 60, 96, 84, 12, 12, 12, 48, 72,  // 0
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,  // 12
    12, 0,  12, 12, 12, 12, 12, 0,  12, 0,  12, 12,  // 24
    12, 24, 12, 12, 12, 12, 12, 24, 12, 24, 12, 12,  // 36
    12, 12, 12, 12, 12, 12, 12, 24, 12, 12, 12, 12,  // 48
    12, 24, 12, 12, 12, 12, 12, 12, 12, 24, 12, 12,  // 60
    12, 12, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12,  // 72
    12, 36, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12,  // 84
    12, 36, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,  // 96
};

constexpr uint64_t kHighBits = 0x8080808080808080ULL;

}  // namespace

bool Utf8Validator::Consume(absl::string_view bytes) {
  if (state_ == kReject) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned char* const end = p + bytes.size();
  uint8_t state = state_;
  while (p != end) {
    if (state == kAccept) {
      // Between characters, skip ASCII eight bytes at a time.
      while (end - p >= 8) {
        uint64_t word;
        std::memcpy(&word, p, sizeof(word));
        if ((word & kHighBits) != 0) break;
        p += 8;
      }
      if (p == end) break;
    }
    state = kTransition[state + kByteClass[*p++]];
    if (state == kReject) break;
  }
  state_ = state;
  return state != kReject;
}

bool Utf8Validator::IsValid(absl::string_view bytes) {
  Utf8Validator validator;
  return validator.Consume(bytes) && validator.complete();
}

size_t Utf8Validator::ValidPrefixLength(absl::string_view bytes, size_t max_len) {
  const size_t len = bytes.size() < max_len ? bytes.size() : max_len;
  size_t valid = 0;
  uint8_t state = kAccept;
  for (size_t i = 0; i < len; ++i) {
    state = kTransition[state + kByteClass[static_cast<unsigned char>(bytes[i])]];
    if (state == kReject) break;
    if (state == kAccept) valid = i + 1;
  }
  return valid;
}

}  // namespace switchboard::gateway::ws
