// libFuzzer target for client tokens (gateway/auth/token_verifier.h) and the
// room patterns their claims carry (gateway/auth/room_pattern.h).
//
// Byte 0 picks what the rest of the input is (value % 4):
//   0: a token, verified as received: splitting, base64url, header JSON, key
//      choice and the signature check;
//   1: a claims payload, signed with the fuzz key under a plain HS256 header and
//      then verified, so that the claims code behind the signature is reached;
//   2: "<header JSON>\n<payload JSON>", both signed with the fuzz key, for the
//      header checks (alg, kid, crit) behind a valid signature;
//   3: "<pattern>\n<room>": pattern validation and matching, checked against a
//      plain dynamic-programming glob matcher.
// Must never crash; every accepted token has claims that keep their contract
// (non-empty user id without control characters, valid patterns, not expired)
// and that the signer can reproduce. Any violation aborts.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/room_name.h"
#include "gateway/auth/claims.h"
#include "gateway/auth/claims_json.h"
#include "gateway/auth/jws_compact.h"
#include "gateway/auth/key_config.h"
#include "gateway/auth/room_pattern.h"
#include "gateway/auth/token_signer.h"
#include "gateway/auth/token_verifier.h"
#include "nlohmann/json.hpp"

namespace {

using switchboard::gateway::auth::Claims;
using switchboard::gateway::auth::JwsAlgorithm;
using switchboard::gateway::auth::KeyConfig;
using switchboard::gateway::auth::TokenSigner;
using switchboard::gateway::auth::TokenVerifier;
using switchboard::gateway::auth::TokenVerifierConfig;

// tests/fuzz/corpus/make_corpus.py signs the seed tokens with the same secret
// and `now`.
constexpr char kFuzzSecret[] = "switchboard-fuzz-secret-0123456789abcdef";
constexpr char kOtherSecret[] = "switchboard-other-fuzz-secret-0123456789";
constexpr char kFuzzKid[] = "k1";
constexpr int64_t kNowUnixSeconds = 1700000000;
constexpr absl::Duration kLeeway = absl::Seconds(5);

[[noreturn]] void Fail(absl::string_view what) {
  std::fprintf(stderr, "jwt check failed: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

absl::Time Now() { return absl::FromUnixSeconds(kNowUnixSeconds); }

// Two HS256 keys: the fuzz secret under kid "k1", and another secret without a
// kid, so that tokens without a kid have two candidate keys.
const TokenVerifier& Verifier() {
  static const TokenVerifier* verifier = [] {
    TokenVerifierConfig config;
    config.keys.push_back(KeyConfig{kFuzzKid, JwsAlgorithm::kHs256, kFuzzSecret});
    config.keys.push_back(KeyConfig{"", JwsAlgorithm::kHs256, kOtherSecret});
    config.leeway = kLeeway;
    absl::StatusOr<TokenVerifier> created = TokenVerifier::Create(config);
    if (!created.ok()) Fail(created.status().ToString());
    return new TokenVerifier(*std::move(created));
  }();
  return *verifier;
}

// Signs with the fuzz secret and no kid in the header.
const TokenSigner& Signer() {
  static const TokenSigner* signer = [] {
    absl::StatusOr<TokenSigner> created =
        TokenSigner::Create(KeyConfig{"", JwsAlgorithm::kHs256, kFuzzSecret});
    if (!created.ok()) Fail(created.status().ToString());
    return new TokenSigner(*std::move(created));
  }();
  return *signer;
}

// `room` matches all of `pattern`, '*' standing for any run of bytes: the
// textbook O(|pattern| x |room|) table, written independently of
// MatchRoomPattern.
bool ReferenceMatch(absl::string_view pattern, absl::string_view room) {
  // matches[j]: pattern[0, i) matches room[0, j).
  std::vector<char> matches(room.size() + 1, 0);
  matches[0] = 1;
  for (char p : pattern) {
    std::vector<char> next(room.size() + 1, 0);
    if (p == '*') {
      char any = 0;
      for (size_t j = 0; j <= room.size(); ++j) {
        any = any || matches[j];
        next[j] = any;
      }
    } else {
      for (size_t j = 1; j <= room.size(); ++j) next[j] = matches[j - 1] && room[j - 1] == p;
    }
    matches.swap(next);
  }
  return matches[room.size()] != 0;
}

void CheckPattern(absl::string_view pattern, absl::string_view room) {
  using switchboard::gateway::auth::MatchRoomPattern;
  using switchboard::gateway::auth::ValidateRoomPattern;
  // Matching is documented for any bytes, valid or not; keep the reference
  // table small.
  if (pattern.size() <= 512 && room.size() <= 512 &&
      MatchRoomPattern(pattern, room) != ReferenceMatch(pattern, room)) {
    Fail("MatchRoomPattern disagrees with the reference glob matcher");
  }
  const absl::Status valid = ValidateRoomPattern(pattern);
  if (valid.ok()) {
    if (pattern.empty() || pattern.size() > switchboard::kMaxRoomNameBytes) {
      Fail("ValidateRoomPattern accepted a pattern outside 1..128 bytes");
    }
    for (char c : pattern) {
      if (c == '.' || c == '>' || static_cast<unsigned char>(c) <= ' ' ||
          static_cast<unsigned char>(c) >= 0x7f) {
        Fail("ValidateRoomPattern accepted a forbidden byte");
      }
    }
  } else if (valid.code() != absl::StatusCode::kInvalidArgument) {
    Fail("ValidateRoomPattern failed with a code other than InvalidArgument");
  }
  Claims claims;
  claims.join_patterns.emplace_back(pattern);
  if (claims.CanJoin(room)) {
    if (!switchboard::ValidateRoomName(room).ok()) Fail("CanJoin allowed an invalid room name");
    if (!ReferenceMatch(pattern, room)) Fail("CanJoin allowed a room its pattern does not match");
  }
  if (claims.CanPublish(room)) Fail("CanPublish allowed a room with no publish pattern");
}

// The contract of claims that passed verification at Now().
void CheckClaims(const Claims& claims) {
  using switchboard::gateway::auth::ValidateRoomPattern;
  if (claims.user_id.empty()) Fail("accepted a token with an empty user id");
  if (claims.user_id.size() > switchboard::gateway::auth::kMaxUserIdBytes) {
    Fail("accepted a user id over 128 bytes");
  }
  for (char c : claims.user_id) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      Fail("accepted a user id with a control character");
    }
  }
  if (Now() >= claims.expires_at + kLeeway) Fail("accepted an expired token");
  for (const auto* patterns : {&claims.join_patterns, &claims.publish_patterns}) {
    for (const std::string& pattern : *patterns) {
      if (!ValidateRoomPattern(pattern).ok()) Fail("accepted an invalid room pattern");
    }
  }
  if (!claims.meta_json.empty() &&
      !switchboard::gateway::auth::ParseJsonObject(claims.meta_json).ok()) {
    Fail("meta_json is not a JSON object");
  }

  // What the verifier accepts, the signer reproduces (exp rounded down to a
  // whole second, so only when that still leaves the token valid).
  absl::StatusOr<std::string> token = Signer().Sign(claims, Now());
  if (!token.ok()) Fail("the signer refuses claims the verifier accepted");
  if (absl::FromUnixSeconds(absl::ToUnixSeconds(claims.expires_at)) + kLeeway <= Now()) return;
  absl::StatusOr<Claims> again = Verifier().Verify(*token, Now());
  if (!again.ok()) Fail("a re-signed token does not verify");
  if (again->user_id != claims.user_id || again->join_patterns != claims.join_patterns ||
      again->publish_patterns != claims.publish_patterns ||
      again->meta_json != claims.meta_json) {
    Fail("a re-signed token has different claims");
  }
}

void CheckVerified(const absl::StatusOr<Claims>& claims) {
  if (claims.ok()) {
    CheckClaims(*claims);
  } else if (claims.status().code() != absl::StatusCode::kUnauthenticated) {
    Fail("Verify failed with a code other than Unauthenticated");
  }
}

// Splits at the first '\n'; all of `input` and "" when there is none.
std::pair<absl::string_view, absl::string_view> SplitLine(absl::string_view input) {
  const size_t newline = input.find('\n');
  if (newline == absl::string_view::npos) return {input, absl::string_view()};
  return {input.substr(0, newline), input.substr(newline + 1)};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const absl::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0:
      CheckVerified(Verifier().Verify(input, Now()));
      break;
    case 1: {
      absl::StatusOr<std::string> token = Signer().SignPayload(input);
      if (!token.ok()) Fail("SignPayload failed");
      const absl::StatusOr<Claims> claims = Verifier().Verify(*token, Now());
      CheckVerified(claims);
      // Behind a valid signature, Verify is ParseClaimsJson.
      const absl::StatusOr<Claims> direct =
          switchboard::gateway::auth::ParseClaimsJson(input, Now(), kLeeway);
      if (claims.ok() != direct.ok() || (claims.ok() && claims->user_id != direct->user_id)) {
        Fail("Verify and ParseClaimsJson disagree on a validly signed payload");
      }
      break;
    }
    case 2: {
      const auto [header, payload] = SplitLine(input);
      const std::string signing_input =
          switchboard::gateway::auth::EncodeSigningInput(header, payload);
      absl::StatusOr<std::string> signature = Signer().SignBytes(signing_input);
      if (!signature.ok()) Fail("SignBytes failed");
      const std::string token = absl::StrCat(
          signing_input, ".", switchboard::gateway::auth::Base64UrlEncode(*signature));
      const absl::StatusOr<Claims> claims = Verifier().Verify(token, Now());
      CheckVerified(claims);
      if (claims.ok()) {
        // Only a plain HS256 header without `crit`, naming our kid or none.
        absl::StatusOr<nlohmann::json> parsed =
            switchboard::gateway::auth::ParseJsonObject(header);
        if (!parsed.ok()) Fail("accepted a token whose header is not a JSON object");
        auto alg = parsed->find("alg");
        if (alg == parsed->end() || *alg != "HS256") Fail("accepted a header without HS256");
        if (parsed->contains("crit")) Fail("accepted a header with `crit`");
        auto kid = parsed->find("kid");
        if (kid != parsed->end() && *kid != kFuzzKid) Fail("accepted a header with a foreign kid");
      }
      break;
    }
    default: {
      const auto [pattern, room] = SplitLine(input);
      CheckPattern(pattern, room);
      break;
    }
  }
  return 0;
}
