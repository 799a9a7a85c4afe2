#ifndef SWITCHBOARD_COMMON_LOGGING_H_
#define SWITCHBOARD_COMMON_LOGGING_H_

// The one logging header of the project: a thin layer over spdlog (Debian's
// Abseil has no absl/log). fmt-style formatting: SB_LOG_INFO("joined {}", room).
// Never log a token: pass it through RedactToken() first if it must appear.

#include <string>

#include "absl/strings/string_view.h"
#include "spdlog/spdlog.h"

// Debian's absl::string_view is its own type; let fmt print it like a string.
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  template <typename Context>
  auto format(absl::string_view s, Context& ctx) const {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(s.data(), s.size()), ctx);
  }
};

#define SB_LOG_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
#define SB_LOG_INFO(...) ::spdlog::info(__VA_ARGS__)
#define SB_LOG_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define SB_LOG_ERROR(...) ::spdlog::error(__VA_ARGS__)

namespace switchboard {

// Sets up the default logger: "debug", "info", "warn" or "error"; the process
// name is shown in every line. Call once from main().
void InitLogging(absl::string_view process, absl::string_view level);

// "eyJhbGciOi...": the first 10 characters and an ellipsis, for logs.
std::string RedactToken(absl::string_view token);

}  // namespace switchboard

#endif  // SWITCHBOARD_COMMON_LOGGING_H_
