#include "gateway/auth/jws_compact.h"

#include <cstdint>
#include <exception>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace switchboard::gateway::auth {
namespace {

int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

std::string Base64UrlEncode(absl::string_view bytes) { return absl::WebSafeBase64Escape(bytes); }

std::optional<std::string> Base64UrlDecode(absl::string_view text) {
  // A final group of one character cannot carry a whole byte.
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  uint32_t bits = 0;
  int bit_count = 0;
  for (char c : text) {
    int value = Base64UrlValue(c);
    if (value < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out.push_back(static_cast<char>((bits >> bit_count) & 0xff));
      bits &= (1u << bit_count) - 1;
    }
  }
  if (bits != 0) return std::nullopt;  // Unused trailing bits must be zero.
  return out;
}

absl::StatusOr<nlohmann::json> ParseJsonObject(absl::string_view text) {
  try {
    absl::flat_hash_set<std::string> top_level_names;
    bool duplicate = false;
    // Depth 1 is the members of the top-level object.
    nlohmann::json::parser_callback_t watch_names =
        [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
          if (event == nlohmann::json::parse_event_t::key && depth == 1 && parsed.is_string()) {
            if (!top_level_names.insert(parsed.get_ref<const std::string&>()).second) {
              duplicate = true;
            }
          }
          return true;
        };
    nlohmann::json value = nlohmann::json::parse(text.data(), text.data() + text.size(),
                                                 watch_names, /*allow_exceptions=*/false);
    if (value.is_discarded()) return absl::InvalidArgumentError("not valid JSON");
    if (!value.is_object()) return absl::InvalidArgumentError("not a JSON object");
    if (duplicate) return absl::InvalidArgumentError("duplicate member name in JSON object");
    return value;
  } catch (const std::exception& e) {
    // parse() does not throw with allow_exceptions=false; this keeps the
    // no-exceptions contract even if a future version (or bad_alloc) does.
    return absl::InvalidArgumentError(absl::StrCat("JSON parse failed: ", e.what()));
  }
}

absl::StatusOr<CompactJws> ParseCompactJws(absl::string_view token) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) {
    return absl::InvalidArgumentError("token is not three dot-separated parts");
  }
  for (absl::string_view part : parts) {
    if (part.empty()) return absl::InvalidArgumentError("token has an empty part");
  }
  std::optional<std::string> header_json = Base64UrlDecode(parts[0]);
  std::optional<std::string> payload = Base64UrlDecode(parts[1]);
  std::optional<std::string> signature = Base64UrlDecode(parts[2]);
  if (!header_json || !payload || !signature) {
    return absl::InvalidArgumentError("token part is not base64url");
  }
  absl::StatusOr<nlohmann::json> header = ParseJsonObject(*header_json);
  if (!header.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("token header: ", header.status().message()));
  }
  CompactJws jws;
  jws.header = *std::move(header);
  jws.signing_input = token.substr(0, parts[0].size() + 1 + parts[1].size());
  jws.payload = *std::move(payload);
  jws.signature = *std::move(signature);
  return jws;
}

std::string EncodeSigningInput(absl::string_view header_json, absl::string_view payload_json) {
  return absl::StrCat(Base64UrlEncode(header_json), ".", Base64UrlEncode(payload_json));
}

}  // namespace switchboard::gateway::auth
