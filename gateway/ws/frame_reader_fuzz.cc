#include "gateway/ws/frame_reader_fuzz.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gateway/ws/frame_reader.h"
#include "gateway/ws/utf8_validator.h"

namespace switchboard::gateway::ws {
namespace {

constexpr uint64_t kLimitChoices[8] = {0, 1, 16, 125, 126, 1000, 65536, 1 << 20};

// Records events as strings and checks each against the reader's contract.
class CheckingHandler final : public FrameReader::Handler {
 public:
  explicit CheckingHandler(const FrameReader::Limits& limits) : limits_(limits) {}

  void OnMessage(Opcode type, absl::string_view payload) override {
    Check(type == Opcode::kText || type == Opcode::kBinary, "message with a non-data opcode");
    Check(payload.size() <= limits_.max_message_bytes, "message over the limit");
    if (type == Opcode::kText) Check(Utf8Validator::IsValid(payload), "text is not UTF-8");
    Record(type == Opcode::kText ? "text:" : "binary:", payload);
  }
  void OnPing(absl::string_view payload) override {
    Check(payload.size() <= kMaxControlPayloadBytes, "ping over 125 bytes");
    Record("ping:", payload);
  }
  void OnPong(absl::string_view payload) override {
    Check(payload.size() <= kMaxControlPayloadBytes, "pong over 125 bytes");
    Record("pong:", payload);
  }
  void OnClose(uint16_t code, absl::string_view reason) override {
    Check(code == kCloseNoStatus || IsValidReceivedCloseCode(code), "invalid close code");
    Check(Utf8Validator::IsValid(reason), "close reason is not UTF-8");
    Record(absl::StrCat("close:", code, ":"), reason);
  }

  const std::vector<std::string>& events() const { return events_; }
  const std::string& violation() const { return violation_; }

 private:
  void Record(absl::string_view kind, absl::string_view payload) {
    Check(!closed_, "event after close");
    if (kind.substr(0, 6) == "close:") closed_ = true;
    events_.push_back(absl::StrCat(kind, payload));
  }
  void Check(bool ok, absl::string_view what) {
    if (!ok && violation_.empty()) violation_ = std::string(what);
  }

  const FrameReader::Limits limits_;
  std::vector<std::string> events_;
  std::string violation_;
  bool closed_ = false;
};

struct Outcome {
  std::vector<std::string> events;
  absl::Status status;
  uint16_t close_code = 0;
};

// Parses `input` in chunks of at most `max_chunk` bytes (sizes drawn from
// `seed`; 0 means one chunk), alternating Consume() and ConsumeInPlace() if
// `mixed`, else only in place if `in_place`.
absl::Status Parse(const FrameReader::Limits& limits, std::string input, uint32_t seed,
                   bool in_place, bool mixed, Outcome& out) {
  FrameReader reader(limits);
  CheckingHandler handler(limits);
  absl::Status status;
  size_t pos = 0;
  uint32_t rng = seed | 1;
  bool use_in_place = in_place;
  do {
    size_t chunk = input.size() - pos;
    if (seed != 0) {
      rng ^= rng << 13;
      rng ^= rng >> 17;
      rng ^= rng << 5;
      chunk = std::min<size_t>(chunk, 1 + rng % 40);
    }
    status = use_in_place ? reader.ConsumeInPlace(&input[pos], chunk, handler)
                          : reader.Consume(input.data() + pos, chunk, handler);
    pos += chunk;
    if (mixed) use_in_place = !use_in_place;
  } while (pos < input.size());
  if (!handler.violation().empty()) return absl::InternalError(handler.violation());
  if (status.ok() != !reader.failed()) return absl::InternalError("status disagrees with failed()");
  if (!status.ok()) {
    const uint16_t code = reader.close_code();
    if (code != kCloseProtocolError && code != kCloseInvalidPayload &&
        code != kCloseMessageTooBig) {
      return absl::InternalError(absl::StrCat("unexpected close code ", code));
    }
  }
  out.events = handler.events();
  out.status = status;
  out.close_code = reader.close_code();
  return absl::OkStatus();
}

absl::Status Compare(const Outcome& a, const Outcome& b, absl::string_view what) {
  if (a.events != b.events) return absl::InternalError(absl::StrCat(what, ": events differ"));
  if (a.status != b.status || a.close_code != b.close_code) {
    return absl::InternalError(absl::StrCat(what, ": errors differ: ", a.status.ToString(),
                                            " vs ", b.status.ToString()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckFrameReaderOnInput(const uint8_t* data, size_t size) {
  if (size < 5) return absl::OkStatus();
  FrameReader::Limits limits;
  limits.max_message_bytes = kLimitChoices[data[0] & 7];
  limits.max_frame_bytes = kLimitChoices[(data[0] >> 3) & 7];
  const uint32_t seed = static_cast<uint32_t>(data[1]) | (static_cast<uint32_t>(data[2]) << 8) |
                        (static_cast<uint32_t>(data[3]) << 16) |
                        (static_cast<uint32_t>(data[4]) << 24);
  const std::string input(reinterpret_cast<const char*>(data + 5), size - 5);

  Outcome whole, in_place, chunked;
  absl::Status status = Parse(limits, input, 0, false, false, whole);
  if (!status.ok()) return status;
  status = Parse(limits, input, 0, true, false, in_place);
  if (!status.ok()) return status;
  status = Parse(limits, input, seed == 0 ? 1 : seed, (seed & 1) != 0, true, chunked);
  if (!status.ok()) return status;
  status = Compare(whole, in_place, "Consume vs ConsumeInPlace");
  if (!status.ok()) return status;
  return Compare(whole, chunked, "whole vs chunked");
}

}  // namespace switchboard::gateway::ws
