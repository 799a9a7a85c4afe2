#include "clients/cpp/message_util.h"

#include <cstdint>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"

namespace switchboard {
namespace client {

v1::Payload TextPayload(absl::string_view text) {
  v1::Payload payload;
  payload.set_text(std::string(text));
  return payload;
}

v1::Payload BinaryPayload(absl::string_view bytes) {
  v1::Payload payload;
  payload.set_binary(std::string(bytes));
  return payload;
}

absl::StatusOr<v1::Payload> JsonPayload(absl::string_view json) {
  v1::Payload payload;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()),
      payload.mutable_json());
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "payload is not JSON: ",
        std::string(status.message().data(), status.message().size())));
  }
  return payload;
}

std::string NewMessageId() {
  // absl::BitGen is not thread-safe; one per thread is.
  thread_local absl::BitGen bitgen;
  uint64_t high = absl::Uniform<uint64_t>(bitgen);
  uint64_t low = absl::Uniform<uint64_t>(bitgen);
  high = (high & ~uint64_t{0xF000}) | uint64_t{0x4000};          // version 4
  low = (low & ~(uint64_t{0xC} << 60)) | (uint64_t{0x8} << 60);  // variant 1
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", high >> 32,
                         (high >> 16) & 0xFFFF, high & 0xFFFF, low >> 48,
                         low & 0xFFFFFFFFFFFFULL);
}

}  // namespace client
}  // namespace switchboard
