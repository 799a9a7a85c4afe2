#ifndef SWITCHBOARD_CONTROL_API_KEY_AUTH_H_
#define SWITCHBOARD_CONTROL_API_KEY_AUTH_H_

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/support/string_ref.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace switchboard::control {

// API-key authentication of control-plane calls: a call must carry the
// metadata `authorization: Bearer <key>` with one of the configured keys.
// Keys are kept only as SHA-256 digests and compared in constant time. With
// no keys configured, authentication is off (development); the server logs a
// warning at start. Immutable after construction; safe from any thread.
class ApiKeyAuth {
 public:
  // Authentication off.
  ApiKeyAuth() = default;
  // Authentication on with these keys (empty keys are ignored).
  explicit ApiKeyAuth(const std::vector<std::string>& keys);

  // Reads one key per line; blank lines and lines starting with '#' are
  // skipped, surrounding whitespace trimmed. A file that cannot be read or
  // holds no key is an error: a typo must not silently turn auth off.
  static absl::StatusOr<std::unique_ptr<ApiKeyAuth>> FromFile(const std::string& path);

  bool enabled() const { return !digests_.empty(); }
  size_t key_count() const { return digests_.size(); }

  // OK, or Unauthenticated saying what is wrong (never echoing the key).
  absl::Status Check(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) const;
  // The same for one `authorization` value; `present` false when there is none.
  absl::Status CheckAuthorization(absl::string_view value, bool present) const;

 private:
  using Digest = std::array<unsigned char, 32>;
  static Digest Hash(absl::string_view key);

  std::vector<Digest> digests_;
};

}  // namespace switchboard::control

#endif  // SWITCHBOARD_CONTROL_API_KEY_AUTH_H_
