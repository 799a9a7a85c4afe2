#include "control/api_key_auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace switchboard::control {

ApiKeyAuth::ApiKeyAuth(const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    if (!key.empty()) digests_.push_back(Hash(key));
  }
}

absl::StatusOr<std::unique_ptr<ApiKeyAuth>> ApiKeyAuth::FromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read API keys file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::vector<std::string> keys;
  for (absl::string_view line : absl::StrSplit(buffer.str(), '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    keys.emplace_back(line);
  }
  if (keys.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("API keys file ", path, " holds no key"));
  }
  return std::make_unique<ApiKeyAuth>(keys);
}

ApiKeyAuth::Digest ApiKeyAuth::Hash(absl::string_view key) {
  Digest digest;
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest.data());
  return digest;
}

absl::Status ApiKeyAuth::Check(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) const {
  if (!enabled()) return absl::OkStatus();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return CheckAuthorization("", false);
  return CheckAuthorization(absl::string_view(it->second.data(), it->second.size()), true);
}

absl::Status ApiKeyAuth::CheckAuthorization(absl::string_view value, bool present) const {
  if (!enabled()) return absl::OkStatus();
  if (!present) {
    return absl::UnauthenticatedError("missing `authorization: Bearer <api key>` metadata");
  }
  constexpr absl::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme)) {
    return absl::UnauthenticatedError("authorization metadata must be `Bearer <api key>`");
  }
  const Digest presented = Hash(absl::StripAsciiWhitespace(value.substr(kScheme.size())));
  // Every digest is compared, so the time taken does not tell which key matched.
  bool match = false;
  for (const Digest& d : digests_) {
    match |= CRYPTO_memcmp(d.data(), presented.data(), d.size()) == 0;
  }
  if (!match) return absl::UnauthenticatedError("unknown API key");
  return absl::OkStatus();
}

}  // namespace switchboard::control
