// devtoken: DEV-ONLY. Mints an HS256 Switchboard token from a shared secret so
// that a developer can connect to a local gateway without an auth service. It
// holds the signing secret, so it must never run in, or ship with, production.

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gateway/auth/claims.h"
#include "gateway/auth/key_config.h"
#include "gateway/auth/token_signer.h"

ABSL_FLAG(std::string, key_file, "",
          "HS256 secret file (raw bytes, one trailing newline ignored, >= 32 bytes). Required.");
ABSL_FLAG(std::string, kid, "", "Key id to put in the token header (optional).");
ABSL_FLAG(absl::Duration, ttl, absl::Hours(1), "Token lifetime, e.g. 15m, 1h, 24h.");
ABSL_FLAG(std::vector<std::string>, publish, {},
          "Comma-separated room patterns the user may publish to (default: the join patterns).");
ABSL_FLAG(bool, read_only, false, "Grant no publish rights at all (overrides --publish).");
ABSL_FLAG(std::string, meta, "", "Presence metadata, a JSON object, e.g. '{\"name\":\"x\"}'.");

namespace {

constexpr char kUsage[] =
    "DEV-ONLY: mints an HS256 Switchboard token for local testing; never use it in "
    "production.\n"
    "Usage: devtoken --key_file=PATH [--ttl=1h] [--publish=PATTERN,...] [--read_only] "
    "[--meta='{\"name\":\"x\"}'] [--kid=ID] USER [ROOM-PATTERN...]\n"
    "Prints a token for USER allowed to join ROOM-PATTERNs (default \"*\"; '*' matches any "
    "run of characters, e.g. \"chat:*\").";

int Fail(absl::string_view message) {
  std::fprintf(stderr, "devtoken: %.*s\n", static_cast<int>(message.size()), message.data());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  // --help lists the flags of files named after the program by default; ours
  // live in main.cc.
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "tools/devtoken/main.cc");
  };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) return Fail(absl::StrCat("missing USER\n", kUsage));
  if (absl::GetFlag(FLAGS_key_file).empty()) return Fail("--key_file is required");
  absl::Duration ttl = absl::GetFlag(FLAGS_ttl);
  if (ttl <= absl::ZeroDuration()) return Fail("--ttl must be positive");

  namespace auth = switchboard::gateway::auth;
  auth::Claims claims;
  claims.user_id = args[1];
  for (size_t i = 2; i < args.size(); ++i) claims.join_patterns.push_back(args[i]);
  if (claims.join_patterns.empty()) claims.join_patterns.push_back("*");
  claims.publish_patterns = absl::GetFlag(FLAGS_publish);
  if (claims.publish_patterns.empty()) claims.publish_patterns = claims.join_patterns;
  if (absl::GetFlag(FLAGS_read_only)) claims.publish_patterns.clear();
  claims.meta_json = absl::GetFlag(FLAGS_meta);

  absl::StatusOr<auth::KeyConfig> key =
      auth::LoadHmacSecretFile(absl::GetFlag(FLAGS_key_file), absl::GetFlag(FLAGS_kid));
  if (!key.ok()) return Fail(key.status().message());
  absl::StatusOr<auth::TokenSigner> signer = auth::TokenSigner::Create(*key);
  if (!signer.ok()) return Fail(signer.status().message());
  absl::Time now = absl::Now();
  claims.expires_at = now + ttl;
  absl::StatusOr<std::string> token = signer->Sign(claims, now);
  if (!token.ok()) return Fail(token.status().message());
  std::printf("%s\n", token->c_str());
  return 0;
}
