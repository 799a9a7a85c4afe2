#include "common/logging.h"

#include "absl/strings/str_cat.h"
#include "spdlog/sinks/stdout_color_sinks.h"

namespace switchboard {

void InitLogging(absl::string_view process, absl::string_view level) {
  auto logger = spdlog::stderr_color_mt(std::string(process));
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%L%$ [%n] %v");
  spdlog::level::level_enum parsed = spdlog::level::from_str(std::string(level));
  // from_str answers "off" for anything it does not know; a typo must not
  // silence the process.
  if (parsed == spdlog::level::off && level != "off") parsed = spdlog::level::info;
  spdlog::set_level(parsed);
}

std::string RedactToken(absl::string_view token) {
  if (token.size() <= 10) return "[redacted]";
  return absl::StrCat(token.substr(0, 10), "...");
}

}  // namespace switchboard
