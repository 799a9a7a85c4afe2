#include "gateway/auth/token_verifier.h"

#include <exception>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/auth/auth_failure.h"
#include "gateway/auth/claims_json.h"
#include "gateway/auth/jws_compact.h"
#include "nlohmann/json.hpp"

namespace switchboard::gateway::auth {
namespace {

constexpr absl::Duration kMaxLeeway = absl::Hours(1);

absl::Status BadKey(size_t index, const KeyConfig& config, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("key #", index, " (kid \"", config.kid, "\", ",
                                                 JwsAlgorithmName(config.algorithm), "): ", why));
}

}  // namespace

absl::StatusOr<TokenVerifier> TokenVerifier::Create(const TokenVerifierConfig& config) {
  if (config.keys.empty()) return absl::InvalidArgumentError("no verification key configured");
  if (config.leeway < absl::ZeroDuration() || config.leeway > kMaxLeeway) {
    return absl::InvalidArgumentError("leeway must be between 0 and 1 hour");
  }
  if (config.max_token_bytes == 0) return absl::InvalidArgumentError("max_token_bytes is 0");

  std::vector<Key> keys;
  absl::flat_hash_set<std::string> kids;
  for (size_t i = 0; i < config.keys.size(); ++i) {
    const KeyConfig& key_config = config.keys[i];
    if (!key_config.kid.empty() && !kids.insert(key_config.kid).second) {
      return BadKey(i, key_config, "duplicate kid");
    }
    Key key{key_config.kid, key_config.algorithm, "", nullptr};
    if (key_config.algorithm == JwsAlgorithm::kHs256) {
      if (key_config.material.size() < kMinHmacSecretBytes) {
        return BadKey(i, key_config,
                      absl::StrCat("secret shorter than ", kMinHmacSecretBytes, " bytes"));
      }
      if (absl::StrContains(key_config.material, "-----BEGIN ")) {
        return BadKey(i, key_config, "a PEM key is not an HS256 secret");
      }
      key.secret = key_config.material;
    } else {
      absl::StatusOr<SharedEvpPkey> public_key = ReadPublicKeyPem(key_config.material);
      if (!public_key.ok()) return BadKey(i, key_config, public_key.status().message());
      absl::Status usable = CheckKeyForAlgorithm(public_key->get(), key_config.algorithm);
      if (!usable.ok()) return BadKey(i, key_config, usable.message());
      key.public_key = *std::move(public_key);
    }
    keys.push_back(std::move(key));
  }
  return TokenVerifier(std::move(keys), config.leeway, config.max_token_bytes);
}

TokenVerifier::TokenVerifier(std::vector<Key> keys, absl::Duration leeway, size_t max_token_bytes)
    : keys_(std::move(keys)), leeway_(leeway), max_token_bytes_(max_token_bytes) {}

absl::StatusOr<Claims> TokenVerifier::Verify(absl::string_view token, absl::Time now) const {
  try {
    return VerifyOrThrow(token, now);
  } catch (const std::exception&) {
    // Every JSON access checks the type first; this keeps untrusted input from
    // ever unwinding into the caller should one slip through anyway.
    return AuthFailure(AuthFailureReason::kMalformed, "token could not be read");
  }
}

absl::StatusOr<Claims> TokenVerifier::VerifyOrThrow(absl::string_view token, absl::Time now) const {
  if (token.size() > max_token_bytes_) {
    return AuthFailure(AuthFailureReason::kMalformed,
                       absl::StrCat("token is longer than ", max_token_bytes_, " bytes"));
  }
  absl::StatusOr<CompactJws> jws = ParseCompactJws(token);
  if (!jws.ok()) return AuthFailure(AuthFailureReason::kMalformed, jws.status().message());
  const nlohmann::json& header = jws->header;

  auto alg_member = header.find("alg");
  if (alg_member == header.end() || !alg_member->is_string()) {
    return AuthFailure(AuthFailureReason::kMalformed, "token header has no `alg`");
  }
  // Unknown, "none", or a case variant of a known name: all refused here.
  std::optional<JwsAlgorithm> alg = ParseJwsAlgorithm(alg_member->get_ref<const std::string&>());
  if (!alg.has_value()) {
    return AuthFailure(AuthFailureReason::kBadAlgorithm, "token algorithm is not accepted");
  }
  // RFC 7515 §4.1.11: extensions we do not implement must fail the token.
  if (header.contains("crit")) {
    return AuthFailure(AuthFailureReason::kMalformed, "token header has `crit` extensions");
  }

  std::vector<const Key*> candidates;
  auto kid_member = header.find("kid");
  if (kid_member != header.end()) {
    if (!kid_member->is_string()) {
      return AuthFailure(AuthFailureReason::kMalformed, "token `kid` is not a string");
    }
    const std::string& kid = kid_member->get_ref<const std::string&>();
    for (const Key& key : keys_) {
      if (!key.kid.empty() && key.kid == kid) candidates.push_back(&key);
    }
    if (candidates.empty()) {
      return AuthFailure(AuthFailureReason::kUnknownKey, "token `kid` names no configured key");
    }
    if (candidates.front()->algorithm != *alg) {
      return AuthFailure(AuthFailureReason::kBadAlgorithm,
                         "token algorithm is not the algorithm of its key");
    }
  } else {
    for (const Key& key : keys_) {
      if (key.algorithm == *alg) candidates.push_back(&key);
    }
    if (candidates.empty()) {
      return AuthFailure(AuthFailureReason::kBadAlgorithm,
                         "no key is configured for the token's algorithm");
    }
  }

  bool signed_by_candidate = false;
  for (const Key* key : candidates) {
    if (CheckSignature(*key, jws->signing_input, jws->signature)) {
      signed_by_candidate = true;
      break;
    }
  }
  if (!signed_by_candidate) {
    return AuthFailure(AuthFailureReason::kBadSignature, "token signature is not valid");
  }
  return ParseClaimsJson(jws->payload, now, leeway_);
}

bool TokenVerifier::CheckSignature(const Key& key, absl::string_view signing_input,
                                   absl::string_view signature) {
  // key.algorithm, not the header, picks the primitive: the heart of the
  // algorithm-confusion defence.
  if (key.algorithm == JwsAlgorithm::kHs256) {
    return VerifyHmacSha256(key.secret, signing_input, signature);
  }
  return VerifyWithKey(key.public_key.get(), key.algorithm, signing_input, signature);
}

}  // namespace switchboard::gateway::auth
