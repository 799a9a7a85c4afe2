#ifndef SWITCHBOARD_TESTS_INTEGRATION_RAW_WS_CLIENT_H_
#define SWITCHBOARD_TESTS_INTEGRATION_RAW_WS_CLIENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace switchboard::testing {

// A deliberately dumb WebSocket client over a blocking socket, for tests that
// must misbehave: send malformed or oversized frames, stop reading, never
// answer pings, or stall in the middle of the HTTP upgrade. Not thread-safe.
class RawWsClient {
 public:
  struct Frame {
    uint8_t opcode = 0;
    bool fin = true;
    std::string payload;
  };

  ~RawWsClient();

  // Opens a TCP connection to 127.0.0.1:port (nothing sent yet). A
  // `receive_buffer` > 0 sets SO_RCVBUF before connecting, as a slow client on
  // a small buffer would: set later, the window the server saw first stays
  // its yardstick, and the kernel trickles data on persist probes instead.
  static absl::StatusOr<std::unique_ptr<RawWsClient>> Dial(int port, int receive_buffer = 0);

  // Sends an upgrade request for /ws (with `extra_headers`, each "Name: value")
  // and reads the response head; returns its status code (101 on success).
  absl::StatusOr<int> Upgrade(absl::string_view path_and_query = "/ws",
                              const std::vector<std::string>& extra_headers = {});
  // The response head of the last Upgrade.
  const std::string& response_head() const { return response_head_; }

  // Sends raw bytes.
  absl::Status SendBytes(absl::string_view bytes);
  // Sends one masked frame (opcode 1 text, 2 binary, 8 close, 9 ping...).
  absl::Status SendFrame(uint8_t opcode, absl::string_view payload, bool fin = true,
                         bool mask = true);

  // Reads the next complete server frame, or DeadlineExceeded.
  absl::StatusOr<Frame> ReadFrame(absl::Duration timeout);
  // Reads frames until a Close frame arrives; returns its code (1005 if none)
  // and stores the reason. Skips (and answers nothing to) every other frame.
  absl::StatusOr<uint16_t> ReadUntilClose(absl::Duration timeout, std::string* reason = nullptr,
                                          std::vector<Frame>* before = nullptr);
  // True when the server closed the TCP connection (read returns 0) in time.
  bool WaitForEof(absl::Duration timeout);

 private:
  explicit RawWsClient(int fd) : fd_(fd) {}
  absl::StatusOr<size_t> ReadSome(absl::Duration timeout);

  int fd_ = -1;
  std::string buffer_;  // bytes read but not consumed
  std::string response_head_;
};

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTS_INTEGRATION_RAW_WS_CLIENT_H_
