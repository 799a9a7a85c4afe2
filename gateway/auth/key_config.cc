#include "gateway/auth/key_config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/auth/jws_crypto.h"

namespace switchboard::gateway::auth {
namespace {

constexpr char kPemMarker[] = "-----BEGIN ";

}  // namespace

absl::StatusOr<std::string> ReadKeyFile(const std::string& path, size_t max_bytes) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(absl::StrCat("cannot open key file ", path, ": ", strerror(errno)));
  }
  std::string content;
  char buffer[4096];
  while (file.read(buffer, sizeof(buffer)) || file.gcount() > 0) {
    content.append(buffer, static_cast<size_t>(file.gcount()));
    if (content.size() > max_bytes) {
      return absl::FailedPreconditionError(
          absl::StrCat("key file ", path, " is larger than ", max_bytes, " bytes"));
    }
  }
  if (file.bad()) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read key file ", path));
  }
  return content;
}

absl::StatusOr<KeyConfig> LoadHmacSecretFile(const std::string& path, absl::string_view kid) {
  absl::StatusOr<std::string> secret = ReadKeyFile(path);
  if (!secret.ok()) return secret.status();
  if (absl::EndsWith(*secret, "\n")) secret->pop_back();
  if (absl::EndsWith(*secret, "\r")) secret->pop_back();
  if (secret->size() < kMinHmacSecretBytes) {
    return absl::FailedPreconditionError(absl::StrCat("HS256 secret in ", path, " is ",
                                                      secret->size(), " bytes; at least ",
                                                      kMinHmacSecretBytes, " needed"));
  }
  if (absl::StrContains(*secret, kPemMarker)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " holds a PEM key, not an HS256 secret"));
  }
  return KeyConfig{std::string(kid), JwsAlgorithm::kHs256, *std::move(secret)};
}

absl::StatusOr<KeyConfig> LoadPemKeyFile(JwsAlgorithm algorithm, const std::string& path,
                                         absl::string_view kid) {
  if (algorithm == JwsAlgorithm::kHs256) {
    return absl::InvalidArgumentError("HS256 keys are secrets: use LoadHmacSecretFile");
  }
  absl::StatusOr<std::string> pem = ReadKeyFile(path);
  if (!pem.ok()) return pem.status();
  if (!absl::StrContains(*pem, kPemMarker)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a PEM file"));
  }
  return KeyConfig{std::string(kid), algorithm, *std::move(pem)};
}

}  // namespace switchboard::gateway::auth
