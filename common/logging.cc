#include "common/logging.h"

#include "absl/strings/str_cat.h"
#include "spdlog/sinks/stdout_color_sinks.h"

namespace switchboard {

void InitLogging(absl::string_view process, absl::string_view level) {
  auto logger = spdlog::stderr_color_mt(std::string(process));
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%L%$ [%n] %v");
  spdlog::set_level(spdlog::level::from_str(std::string(level)));
}

std::string RedactToken(absl::string_view token) {
  if (token.size() <= 10) return "[redacted]";
  return absl::StrCat(token.substr(0, 10), "...");
}

}  // namespace switchboard
