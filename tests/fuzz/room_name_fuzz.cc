// libFuzzer target for room-name validation (common/room_name.h), the gate
// between client-chosen names and NATS subjects. Checks the documented
// contract both ways: a name is accepted exactly when it is 1-128 bytes of
// [A-Za-z0-9_-:@=+] other than the bare ephemeral prefix "eph:" (an ephemeral
// room needs a name after it). So an accepted name never holds '.', '*', '>',
// whitespace, control or non-ASCII bytes, which would alias another subject or
// a wildcard. Aborts on any disagreement.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "common/room_name.h"

namespace {

bool IsRoomNameByte(unsigned char c) {
  return absl::ascii_isalnum(c) || c == '_' || c == '-' || c == ':' || c == '@' || c == '=' ||
         c == '+';
}

// The contract of ValidateRoomName, written independently of it.
bool ExpectedValid(absl::string_view room) {
  if (room.empty() || room.size() > switchboard::kMaxRoomNameBytes) return false;
  for (char c : room) {
    if (!IsRoomNameByte(static_cast<unsigned char>(c))) return false;
  }
  return room != switchboard::kEphemeralRoomPrefix;
}

[[noreturn]] void Fail(const char* what, absl::string_view room) {
  std::fprintf(stderr, "room name check failed: %s (%zu bytes)\n", what, room.size());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view room(reinterpret_cast<const char*>(data), size);
  const absl::Status status = switchboard::ValidateRoomName(room);

  if (status.ok()) {
    if (room.empty() || room.size() > switchboard::kMaxRoomNameBytes) {
      Fail("accepted a name outside 1..128 bytes", room);
    }
    for (char c : room) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '.' || c == '*' || c == '>') Fail("accepted a subject separator or wildcard", room);
      if (absl::ascii_isspace(byte)) Fail("accepted whitespace", room);
      if (byte < 0x20 || byte >= 0x7f) Fail("accepted a control or non-ASCII byte", room);
    }
  } else if (status.code() != absl::StatusCode::kInvalidArgument) {
    Fail("refused with a code other than InvalidArgument", room);
  } else if (status.message().empty()) {
    Fail("refused without a reason", room);
  }
  if (status.ok() != ExpectedValid(room)) {
    Fail(status.ok() ? "accepted a name outside the documented charset"
                     : "refused a name the contract allows",
         room);
  }
  if (switchboard::IsEphemeralRoom(room) != absl::StartsWith(room, "eph:")) {
    Fail("IsEphemeralRoom disagrees with the prefix", room);
  }
  return 0;
}
