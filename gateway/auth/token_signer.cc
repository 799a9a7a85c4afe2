#include "gateway/auth/token_signer.h"

#include <exception>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/auth/claims_json.h"
#include "gateway/auth/jws_compact.h"
#include "nlohmann/json.hpp"

namespace switchboard::gateway::auth {
namespace {

// The protected header, built by hand so the members keep the conventional
// order; the kid is escaped like any JSON string.
absl::StatusOr<std::string> HeaderJson(JwsAlgorithm algorithm, const std::string& kid) {
  std::string header = absl::StrCat(R"({"alg":")", JwsAlgorithmName(algorithm), R"(","typ":"JWT")");
  if (!kid.empty()) {
    try {
      absl::StrAppend(&header, R"(,"kid":)", nlohmann::json(kid).dump());
    } catch (const std::exception&) {
      return absl::InvalidArgumentError("kid is not valid UTF-8");
    }
  }
  header.push_back('}');
  return header;
}

}  // namespace

absl::StatusOr<TokenSigner> TokenSigner::Create(const KeyConfig& key) {
  absl::StatusOr<std::string> header = HeaderJson(key.algorithm, key.kid);
  if (!header.ok()) return header.status();
  if (key.algorithm == JwsAlgorithm::kHs256) {
    if (key.material.size() < kMinHmacSecretBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("HS256 secret shorter than ", kMinHmacSecretBytes, " bytes"));
    }
    if (absl::StrContains(key.material, "-----BEGIN ")) {
      return absl::InvalidArgumentError("a PEM key is not an HS256 secret");
    }
    return TokenSigner(*std::move(header), key.algorithm, key.material, nullptr);
  }
  absl::StatusOr<SharedEvpPkey> private_key = ReadPrivateKeyPem(key.material);
  if (!private_key.ok()) return private_key.status();
  absl::Status usable = CheckKeyForAlgorithm(private_key->get(), key.algorithm);
  if (!usable.ok()) return usable;
  return TokenSigner(*std::move(header), key.algorithm, "", *std::move(private_key));
}

TokenSigner::TokenSigner(std::string header_json, JwsAlgorithm algorithm, std::string secret,
                         SharedEvpPkey private_key)
    : header_json_(std::move(header_json)),
      algorithm_(algorithm),
      secret_(std::move(secret)),
      private_key_(std::move(private_key)) {}

absl::StatusOr<std::string> TokenSigner::Sign(const Claims& claims, absl::Time issued_at) const {
  absl::StatusOr<std::string> payload = ClaimsToJson(claims, issued_at);
  if (!payload.ok()) return payload.status();
  return SignPayload(*payload);
}

absl::StatusOr<std::string> TokenSigner::SignPayload(absl::string_view payload_json) const {
  std::string signing_input = EncodeSigningInput(header_json_, payload_json);
  absl::StatusOr<std::string> signature = SignBytes(signing_input);
  if (!signature.ok()) return signature.status();
  return absl::StrCat(signing_input, ".", Base64UrlEncode(*signature));
}

absl::StatusOr<std::string> TokenSigner::SignBytes(absl::string_view signing_input) const {
  if (algorithm_ == JwsAlgorithm::kHs256) {
    std::string mac = HmacSha256(secret_, signing_input);
    if (mac.empty()) return absl::InternalError("HMAC-SHA256 failed");
    return mac;
  }
  return SignWithKey(private_key_.get(), algorithm_, signing_input);
}

}  // namespace switchboard::gateway::auth
