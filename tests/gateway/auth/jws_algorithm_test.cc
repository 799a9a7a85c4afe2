#include "gateway/auth/jws_algorithm.h"

#include "gtest/gtest.h"

namespace switchboard::gateway::auth {
namespace {

TEST(JwsAlgorithmTest, NamesRoundTrip) {
  for (JwsAlgorithm algorithm :
       {JwsAlgorithm::kHs256, JwsAlgorithm::kRs256, JwsAlgorithm::kEs256}) {
    EXPECT_EQ(ParseJwsAlgorithm(JwsAlgorithmName(algorithm)), algorithm);
  }
  EXPECT_EQ(JwsAlgorithmName(JwsAlgorithm::kEs256), "ES256");
}

TEST(JwsAlgorithmTest, RefusesEverythingElse) {
  for (const char* name : {"none", "None", "NONE", "", "hs256", "HS256 ", "HS384", "RS512", "PS256",
                           "ES256K", "EdDSA"}) {
    EXPECT_EQ(ParseJwsAlgorithm(name), std::nullopt) << name;
  }
}

}  // namespace
}  // namespace switchboard::gateway::auth
