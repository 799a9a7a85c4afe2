#ifndef SWITCHBOARD_GATEWAY_AUTH_JWS_COMPACT_H_
#define SWITCHBOARD_GATEWAY_AUTH_JWS_COMPACT_H_

// The JWS compact serialization (RFC 7515 §7.1) and its encodings, strictly:
// BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature). Pure
// functions over untrusted bytes; thread-safe; nothing here throws.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace switchboard::gateway::auth {

// Base64url without padding (RFC 7515 §2).
std::string Base64UrlEncode(absl::string_view bytes);

// Inverse of Base64UrlEncode, and only of it: refuses '=', '+', '/',
// whitespace, impossible lengths and non-zero unused trailing bits, so every
// byte string has exactly one accepted encoding.
std::optional<std::string> Base64UrlDecode(absl::string_view text);

// Parses `text` as one JSON object. Refuses (InvalidArgument) invalid JSON or
// UTF-8, any other top-level value, and duplicate member names at the top level:
// RFC 7515 §5.2 allows refusing them, and a token whose `sub` means one thing
// to us and another to a different parser must not get through.
absl::StatusOr<nlohmann::json> ParseJsonObject(absl::string_view text);

// A compact JWS split and decoded, before any verification.
struct CompactJws {
  // The protected header, parsed (ParseJsonObject).
  nlohmann::json header;
  // "<header>.<payload>" exactly as received: the bytes the signature covers.
  // Points into the token passed to ParseCompactJws.
  absl::string_view signing_input;
  // The decoded payload. Not parsed: it is untrusted until the signature is
  // checked.
  std::string payload;
  // The decoded signature.
  std::string signature;
};

// Splits and decodes `token`: exactly three non-empty parts, each strict
// base64url, the header a JSON object. InvalidArgument otherwise.
absl::StatusOr<CompactJws> ParseCompactJws(absl::string_view token);

// BASE64URL(header_json) "." BASE64URL(payload_json): what a signer signs.
std::string EncodeSigningInput(absl::string_view header_json, absl::string_view payload_json);

}  // namespace switchboard::gateway::auth

#endif  // SWITCHBOARD_GATEWAY_AUTH_JWS_COMPACT_H_
