#include "bench/bench_report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace switchboard::bench {
namespace {

nlohmann::json LatencyJson(const LatencySummary& s) {
  return {{"count", s.count}, {"p50_us", s.p50}, {"p99_us", s.p99},
          {"p999_us", s.p999}, {"max_us", s.max}};
}

std::string LatencyRow(absl::string_view name, const LatencySummary& s) {
  return absl::StrFormat("%-26s %s\n", name,
                         absl::StrFormat("n=%d p50=%.2fms p99=%.2fms p99.9=%.2fms max=%.2fms",
                                         s.count, s.p50 / 1000.0, s.p99 / 1000.0,
                                         s.p999 / 1000.0, s.max / 1000.0));
}

}  // namespace

std::string BenchReport::ToTable() const {
  std::string out;
  auto row = [&out](absl::string_view name, const std::string& value) {
    absl::StrAppend(&out, absl::StrFormat("%-26s %s\n", name, value));
  };
  row("scenario", absl::StrCat(scenario, " (", format, ")"));
  row("connections held", absl::StrCat(connections_held, " / ", connections_requested,
                                       " (open at end: ", connections_open_at_end, ")"));
  row("rooms", absl::StrCat(rooms));
  row("measured window", absl::StrFormat("%.1f s", measured_seconds));
  row("publish rate", absl::StrFormat("%.1f msg/s (requested %.1f)", publish_rate_achieved,
                                      rate_requested));
  row("published (measured)",
      absl::StrCat(totals.published, " acked=", totals.acked, " errors=", totals.publish_errors,
                   " unacked=", totals.unacked));
  row("delivered", absl::StrFormat("%.1f msg/s", delivered_per_second));
  row("delivery ratio",
      absl::StrFormat("%.6f (expected=%d received=%d lost=%d duplicated=%d)", delivery_ratio,
                      totals.expected, totals.received, totals.lost, totals.duplicated));
  absl::StrAppend(&out, LatencyRow("end-to-end latency", end_to_end));
  absl::StrAppend(&out, LatencyRow("ack latency", ack));
  if (has_churn) {
    row("churn joins",
        absl::StrFormat("%.1f/s answered (requested %.1f/s): sent=%d joined=%d errors=%d",
                        churn.joins_per_second, churn.joins_requested_per_second, churn.joins,
                        churn.joined, churn.join_errors));
    row("churn leaves", absl::StrCat("sent=", churn.leaves, " left=", churn.left,
                                     " errors=", churn.leave_errors));
    row("churn not sent/unanswered",
        absl::StrCat(churn.skipped, " / ", churn.unanswered));
    absl::StrAppend(&out, LatencyRow("join latency", churn.join_latency));
    absl::StrAppend(&out, LatencyRow("leave latency", churn.leave_latency));
  }
  if (presence_events > 0 || has_churn) row("presence events", absl::StrCat(presence_events));
  if (storm_dropped > 0) {
    row("storm", absl::StrFormat("dropped=%d resumed=%d not_recovered=%d all_resumed_after=%.3fs",
                                 storm_dropped, storm_resumed, storm_not_recovered,
                                 storm_resume_seconds));
  }
  row("gateway", gateway_rss_bytes < 0
                     ? std::string("not sampled (--gateway_pid)")
                     : absl::StrFormat("cpu=%.1f%% rss=%.1fMiB threads=%d", gateway_cpu_percent,
                                       gateway_rss_bytes / 1048576.0, gateway_threads));
  row("loadgen", absl::StrFormat("cpu=%.1f%% rss=%.1fMiB", loadgen_cpu_percent,
                                 loadgen_rss_bytes / 1048576.0));
  for (const auto& [what, count] : errors) row("error", absl::StrCat(what, ": ", count));
  return out;
}

std::string BenchReport::ToJson() const {
  nlohmann::json j = {
      {"scenario", scenario},
      {"format", format},
      {"connections_requested", connections_requested},
      {"connections_held", connections_held},
      {"connections_open_at_end", connections_open_at_end},
      {"rooms", rooms},
      {"rate_requested", rate_requested},
      {"measured_seconds", measured_seconds},
      {"publish_rate_achieved", publish_rate_achieved},
      {"delivered_per_second", delivered_per_second},
      {"delivery_ratio", delivery_ratio},
      {"published", totals.published},
      {"acked", totals.acked},
      {"publish_errors", totals.publish_errors},
      {"unacked", totals.unacked},
      {"expected", totals.expected},
      {"received", totals.received},
      {"lost", totals.lost},
      {"duplicated", totals.duplicated},
      {"receivers", totals.receivers},
      {"end_to_end_latency", LatencyJson(end_to_end)},
      {"ack_latency", LatencyJson(ack)},
      {"errors", errors},
      {"presence_events", presence_events},
      {"gateway_cpu_percent", gateway_cpu_percent},
      {"gateway_rss_bytes", gateway_rss_bytes},
      {"gateway_threads", gateway_threads},
      {"loadgen_cpu_percent", loadgen_cpu_percent},
      {"loadgen_rss_bytes", loadgen_rss_bytes},
  };
  if (storm_dropped > 0) {
    j["storm"] = {{"dropped", storm_dropped},
                  {"resumed", storm_resumed},
                  {"not_recovered", storm_not_recovered},
                  {"all_resumed_after_seconds", storm_resume_seconds}};
  }
  if (has_churn) {
    j["churn"] = {{"joins_requested_per_second", churn.joins_requested_per_second},
                  {"joins", churn.joins},
                  {"joined", churn.joined},
                  {"join_errors", churn.join_errors},
                  {"leaves", churn.leaves},
                  {"left", churn.left},
                  {"leave_errors", churn.leave_errors},
                  {"skipped", churn.skipped},
                  {"unanswered", churn.unanswered},
                  {"joins_per_second", churn.joins_per_second},
                  {"join_latency", LatencyJson(churn.join_latency)},
                  {"leave_latency", LatencyJson(churn.leave_latency)}};
  }
  // Close reasons come from the server and may be invalid UTF-8: replace, never throw.
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace switchboard::bench
