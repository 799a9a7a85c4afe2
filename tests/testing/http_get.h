#ifndef SWITCHBOARD_TESTS_TESTING_HTTP_GET_H_
#define SWITCHBOARD_TESTS_TESTING_HTTP_GET_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace switchboard {
namespace testing {

struct HttpResponse {
  int status = 0;
  std::string body;  // De-chunked when the server used chunked encoding.
};

// A tiny blocking HTTP/1.1 client for probing local endpoints (/healthz,
// /metrics, NATS monitoring): one GET to 127.0.0.1:`port` with
// "Connection: close", read to EOF. `path` includes any query string.
// Any HTTP status is a successful call; the error cases are transport
// failures (Unavailable), an unparsable answer (Internal) and the whole
// exchange taking longer than `timeout` (DeadlineExceeded). Thread-safe.
absl::StatusOr<HttpResponse> HttpGet(int port, absl::string_view path,
                                     absl::Duration timeout = absl::Seconds(5));
// The same with extra request headers (e.g. an Origin).
absl::StatusOr<HttpResponse> HttpGet(
    int port, absl::string_view path, absl::Duration timeout,
    const std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace testing
}  // namespace switchboard

#endif  // SWITCHBOARD_TESTS_TESTING_HTTP_GET_H_
