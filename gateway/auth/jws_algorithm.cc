#include "gateway/auth/jws_algorithm.h"

namespace switchboard::gateway::auth {

absl::string_view JwsAlgorithmName(JwsAlgorithm algorithm) {
  switch (algorithm) {
    case JwsAlgorithm::kHs256:
      return "HS256";
    case JwsAlgorithm::kRs256:
      return "RS256";
    case JwsAlgorithm::kEs256:
      return "ES256";
  }
  return "";
}

std::optional<JwsAlgorithm> ParseJwsAlgorithm(absl::string_view name) {
  for (JwsAlgorithm algorithm :
       {JwsAlgorithm::kHs256, JwsAlgorithm::kRs256, JwsAlgorithm::kEs256}) {
    if (name == JwsAlgorithmName(algorithm)) return algorithm;
  }
  return std::nullopt;
}

}  // namespace switchboard::gateway::auth
