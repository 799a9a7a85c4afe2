#ifndef SWITCHBOARD_GATEWAY_WS_UTF8_VALIDATOR_H_
#define SWITCHBOARD_GATEWAY_WS_UTF8_VALIDATOR_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace switchboard::gateway::ws {

// Incremental UTF-8 validator (RFC 3629) for a text message that arrives in
// pieces: a multi-byte character may straddle two Consume() calls.
//
// Refuses overlong forms, UTF-16 surrogates (U+D800-U+DFFF), code points past
// U+10FFFF, stray continuation bytes and the bytes C0, C1, F5-FF. It fails
// fast: Consume() returns false at the first byte that no valid UTF-8 text
// could continue with (e.g. at the A0 of "ED A0", not at the end of a
// would-be sequence), which is what RFC 6455 §8.1 asks of an endpoint.
//
// A DFA (Bjoern Hoehrmann's) with one byte of state and an ASCII fast path;
// it sits on the read path of every text message. Not thread-safe; one
// validator per message stream.
class Utf8Validator {
 public:
  // Validates the next bytes of the stream. Returns false if the stream so
  // far is invalid; once false, stays false until Reset().
  bool Consume(absl::string_view bytes);

  // True if nothing invalid was seen and the stream does not stop in the
  // middle of a multi-byte character: call at the end of a message.
  bool complete() const { return state_ == kAccept; }

  // True once an invalid byte was seen.
  bool failed() const { return state_ == kReject; }

  // Starts a new stream.
  void Reset() { state_ = kAccept; }

  // Whole-string check: `bytes` is complete, valid UTF-8.
  static bool IsValid(absl::string_view bytes);

  // Length of the longest prefix of `bytes`, at most `max_len` long, that is
  // complete, valid UTF-8: where to cut a string so that it stays valid.
  static size_t ValidPrefixLength(absl::string_view bytes, size_t max_len);

 private:
  static constexpr uint8_t kAccept = 0;
  static constexpr uint8_t kReject = 12;

  uint8_t state_ = kAccept;
};

}  // namespace switchboard::gateway::ws

#endif  // SWITCHBOARD_GATEWAY_WS_UTF8_VALIDATOR_H_
