#include "gateway/auth/claims_json.h"

#include <cmath>
#include <cstdint>
#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/auth/auth_failure.h"
#include "gateway/auth/jws_compact.h"
#include "gateway/auth/room_pattern.h"
#include "nlohmann/json.hpp"

namespace switchboard::gateway::auth {
namespace {

using nlohmann::json;

// NumericDates at or past this (year 5138) are refused, so that every accepted
// one converts to absl::Time exactly and without overflow.
constexpr double kMaxNumericDate = 1e11;

absl::Status BadClaims(absl::string_view message) {
  return AuthFailure(AuthFailureReason::kBadClaims, message);
}

std::optional<absl::Time> NumericDateToTime(const json& value) {
  if (!value.is_number()) return std::nullopt;
  double seconds = value.get<double>();
  if (!(seconds >= 0 && seconds < kMaxNumericDate)) return std::nullopt;  // Also NaN.
  return absl::FromUnixMillis(static_cast<int64_t>(std::floor(seconds * 1000)));
}

std::optional<int64_t> TimeToNumericDate(absl::Time time) {
  if (time < absl::UnixEpoch() ||
      time >= absl::FromUnixSeconds(static_cast<int64_t>(kMaxNumericDate))) {
    return std::nullopt;
  }
  return absl::ToUnixSeconds(time);
}

absl::Status ValidateUserId(absl::string_view user_id) {
  if (user_id.empty() || user_id.size() > kMaxUserIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat("`sub` must be 1-", kMaxUserIdBytes, " bytes"));
  }
  for (char c : user_id) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return absl::InvalidArgumentError("`sub` has a control character");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePatterns(absl::string_view claim, const std::vector<std::string>& patterns) {
  for (const std::string& pattern : patterns) {
    absl::Status status = ValidateRoomPattern(pattern);
    if (!status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("`", claim, "`: ", status.message()));
    }
  }
  return absl::OkStatus();
}

// Reads an optional array-of-patterns claim. nullopt when absent.
absl::StatusOr<std::optional<std::vector<std::string>>> ReadPatterns(const json& payload,
                                                                     const char* claim) {
  auto it = payload.find(claim);
  if (it == payload.end()) return std::optional<std::vector<std::string>>();
  if (!it->is_array()) {
    return BadClaims(absl::StrCat("`", claim, "` is not an array of room patterns"));
  }
  std::vector<std::string> patterns;
  patterns.reserve(it->size());
  for (const json& element : *it) {
    if (!element.is_string()) {
      return BadClaims(absl::StrCat("`", claim, "` is not an array of room patterns"));
    }
    patterns.push_back(element.get<std::string>());
  }
  absl::Status valid = ValidatePatterns(claim, patterns);
  if (!valid.ok()) return BadClaims(valid.message());
  return std::optional<std::vector<std::string>>(std::move(patterns));
}

// Reads an optional NumericDate claim; nullopt when absent.
absl::StatusOr<std::optional<absl::Time>> ReadTime(const json& payload, const char* claim) {
  auto it = payload.find(claim);
  if (it == payload.end()) return std::optional<absl::Time>();
  std::optional<absl::Time> time = NumericDateToTime(*it);
  if (!time.has_value()) {
    return BadClaims(absl::StrCat("`", claim, "` is not a NumericDate"));
  }
  return time;
}

absl::StatusOr<Claims> ParseClaimsOrThrow(absl::string_view payload_json, absl::Time now,
                                          absl::Duration leeway) {
  absl::StatusOr<json> payload = ParseJsonObject(payload_json);
  if (!payload.ok()) {
    return AuthFailure(AuthFailureReason::kMalformed,
                       absl::StrCat("token payload: ", payload.status().message()));
  }
  Claims claims;

  auto sub = payload->find("sub");
  if (sub == payload->end() || !sub->is_string()) return BadClaims("token has no `sub` string");
  absl::Status user_valid = ValidateUserId(sub->get_ref<const std::string&>());
  if (!user_valid.ok()) return BadClaims(user_valid.message());
  claims.user_id = sub->get<std::string>();

  absl::StatusOr<std::optional<absl::Time>> exp = ReadTime(*payload, "exp");
  if (!exp.ok()) return exp.status();
  if (!exp->has_value()) return BadClaims("token has no `exp`");
  claims.expires_at = **exp;
  absl::StatusOr<std::optional<absl::Time>> nbf = ReadTime(*payload, "nbf");
  if (!nbf.ok()) return nbf.status();
  absl::StatusOr<std::optional<absl::Time>> iat = ReadTime(*payload, "iat");
  if (!iat.ok()) return iat.status();

  absl::StatusOr<std::optional<std::vector<std::string>>> rooms = ReadPatterns(*payload, "rooms");
  if (!rooms.ok()) return rooms.status();
  absl::StatusOr<std::optional<std::vector<std::string>>> publish =
      ReadPatterns(*payload, "publish");
  if (!publish.ok()) return publish.status();
  if (rooms->has_value()) claims.join_patterns = **std::move(rooms);
  claims.publish_patterns = publish->has_value() ? **std::move(publish) : claims.join_patterns;

  auto meta = payload->find("meta");
  if (meta != payload->end() && !meta->is_null()) {
    if (!meta->is_object()) return BadClaims("`meta` is not a JSON object");
    claims.meta_json = meta->dump(-1, ' ', false, json::error_handler_t::replace);
  }

  if (now >= claims.expires_at + leeway) {
    return AuthFailure(AuthFailureReason::kExpired, "token expired");
  }
  if (nbf->has_value() && now + leeway < **nbf) {
    return AuthFailure(AuthFailureReason::kNotYetValid, "token not valid yet (`nbf`)");
  }
  return claims;
}

}  // namespace

absl::StatusOr<Claims> ParseClaimsJson(absl::string_view payload_json, absl::Time now,
                                       absl::Duration leeway) {
  try {
    return ParseClaimsOrThrow(payload_json, now, leeway);
  } catch (const std::exception&) {
    // Every access above checks the JSON type first; this keeps the
    // no-exceptions contract should one slip through anyway.
    return AuthFailure(AuthFailureReason::kMalformed, "token payload could not be read");
  }
}

absl::StatusOr<std::string> ClaimsToJson(const Claims& claims, absl::Time issued_at) {
  absl::Status status = ValidateUserId(claims.user_id);
  if (status.ok()) status = ValidatePatterns("rooms", claims.join_patterns);
  if (status.ok()) status = ValidatePatterns("publish", claims.publish_patterns);
  if (!status.ok()) return status;
  std::optional<int64_t> exp = TimeToNumericDate(claims.expires_at);
  std::optional<int64_t> iat = TimeToNumericDate(issued_at);
  if (!exp || !iat) return absl::InvalidArgumentError("`exp` or `iat` out of range");
  try {
    json payload = {
        {"sub", claims.user_id},
        {"iat", *iat},
        {"exp", *exp},
        {"rooms", claims.join_patterns},
        {"publish", claims.publish_patterns},
    };
    if (!claims.meta_json.empty()) {
      absl::StatusOr<json> meta = ParseJsonObject(claims.meta_json);
      if (!meta.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("meta: ", meta.status().message()));
      }
      payload["meta"] = *std::move(meta);
    }
    return payload.dump();
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("claims cannot be encoded: ", e.what()));
  }
}

}  // namespace switchboard::gateway::auth
