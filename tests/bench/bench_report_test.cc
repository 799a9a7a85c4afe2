#include "bench/bench_report.h"

#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace switchboard::bench {
namespace {

BenchReport SampleReport() {
  BenchReport r;
  r.scenario = "many_rooms";
  r.format = "proto";
  r.connections_requested = 10000;
  r.connections_held = 9998;
  r.connections_open_at_end = 9997;
  r.rooms = 100;
  r.rate_requested = 500;
  r.measured_seconds = 10;
  r.publish_rate_achieved = 499.5;
  r.delivered_per_second = 49950;
  r.delivery_ratio = 0.999;
  r.totals.published = 4995;
  r.totals.acked = 4990;
  r.totals.publish_errors = 3;
  r.totals.unacked = 2;
  r.totals.expected = 499200;
  r.totals.received = 498700;
  r.totals.lost = 500;
  r.totals.duplicated = 7;
  r.totals.receivers = 9998;
  r.end_to_end = {498700, 1500, 9000, 20000, 45000};
  r.ack = {4990, 800, 3000, 5000, 6000};
  r.errors = {{"closed: close 1001 going away", 2}, {"RATE_LIMITED", 3}};
  r.gateway_cpu_percent = 87.5;
  r.gateway_rss_bytes = int64_t{512} << 20;
  r.gateway_threads = 9;
  r.loadgen_cpu_percent = 40;
  r.loadgen_rss_bytes = int64_t{300} << 20;
  return r;
}

nlohmann::json Parse(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << text;
  return j;
}

TEST(BenchReportTest, JsonParsesWithExpectedKeysAndValues) {
  const nlohmann::json j = Parse(SampleReport().ToJson());
  ASSERT_TRUE(j.is_object());
  for (const char* key :
       {"scenario", "format", "connections_requested", "connections_held",
        "connections_open_at_end", "rooms", "rate_requested", "measured_seconds",
        "publish_rate_achieved", "delivered_per_second", "delivery_ratio", "published", "acked",
        "publish_errors", "unacked", "expected", "received", "lost", "duplicated", "receivers",
        "end_to_end_latency", "ack_latency", "errors", "gateway_cpu_percent",
        "gateway_rss_bytes", "gateway_threads", "loadgen_cpu_percent", "loadgen_rss_bytes"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_FALSE(j.contains("storm"));

  EXPECT_EQ(j["scenario"], "many_rooms");
  EXPECT_EQ(j["format"], "proto");
  EXPECT_EQ(j["connections_requested"], 10000);
  EXPECT_EQ(j["connections_held"], 9998);
  EXPECT_EQ(j["connections_open_at_end"], 9997);
  EXPECT_EQ(j["rooms"], 100);
  EXPECT_DOUBLE_EQ(j["publish_rate_achieved"].get<double>(), 499.5);
  EXPECT_DOUBLE_EQ(j["delivery_ratio"].get<double>(), 0.999);
  EXPECT_EQ(j["published"], 4995);
  EXPECT_EQ(j["acked"], 4990);
  EXPECT_EQ(j["publish_errors"], 3);
  EXPECT_EQ(j["unacked"], 2);
  EXPECT_EQ(j["expected"], 499200);
  EXPECT_EQ(j["received"], 498700);
  EXPECT_EQ(j["lost"], 500);
  EXPECT_EQ(j["duplicated"], 7);
  EXPECT_EQ(j["receivers"], 9998);
  EXPECT_EQ(j["gateway_rss_bytes"], int64_t{512} << 20);
  EXPECT_EQ(j["gateway_threads"], 9);

  for (const char* latency : {"end_to_end_latency", "ack_latency"}) {
    ASSERT_TRUE(j[latency].is_object()) << latency;
    for (const char* key : {"count", "p50_us", "p99_us", "p999_us", "max_us"}) {
      EXPECT_TRUE(j[latency].contains(key)) << latency << "." << key;
    }
  }
  EXPECT_EQ(j["end_to_end_latency"]["count"], 498700);
  EXPECT_EQ(j["end_to_end_latency"]["p50_us"], 1500);
  EXPECT_EQ(j["end_to_end_latency"]["p99_us"], 9000);
  EXPECT_EQ(j["end_to_end_latency"]["p999_us"], 20000);
  EXPECT_EQ(j["end_to_end_latency"]["max_us"], 45000);
  EXPECT_EQ(j["ack_latency"]["p99_us"], 3000);

  ASSERT_TRUE(j["errors"].is_object());
  EXPECT_EQ(j["errors"].size(), 2u);
  EXPECT_EQ(j["errors"]["RATE_LIMITED"], 3);
  EXPECT_EQ(j["errors"]["closed: close 1001 going away"], 2);
}

TEST(BenchReportTest, DefaultReportIsValidJsonWithUnsampledMarkers) {
  const nlohmann::json j = Parse(BenchReport().ToJson());
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["scenario"], "");
  EXPECT_TRUE(j["errors"].is_object());
  EXPECT_TRUE(j["errors"].empty());
  EXPECT_EQ(j["gateway_rss_bytes"], -1);
  EXPECT_EQ(j["gateway_threads"], -1);
  EXPECT_DOUBLE_EQ(j["gateway_cpu_percent"].get<double>(), -1);
  EXPECT_EQ(j["end_to_end_latency"]["count"], 0);
  EXPECT_FALSE(j.contains("storm"));
}

TEST(BenchReportTest, StormSectionOnlyForReconnectStorm) {
  BenchReport r = SampleReport();
  r.scenario = "reconnect_storm";
  r.storm_dropped = 1000;
  r.storm_resumed = 998;
  r.storm_not_recovered = 2;
  r.storm_resume_seconds = 1.75;
  const nlohmann::json j = Parse(r.ToJson());
  ASSERT_TRUE(j.contains("storm"));
  ASSERT_TRUE(j["storm"].is_object());
  EXPECT_EQ(j["storm"]["dropped"], 1000);
  EXPECT_EQ(j["storm"]["resumed"], 998);
  EXPECT_EQ(j["storm"]["not_recovered"], 2);
  EXPECT_DOUBLE_EQ(j["storm"]["all_resumed_after_seconds"].get<double>(), 1.75);
}

TEST(BenchReportTest, ChurnSectionOnlyForPresenceChurn) {
  EXPECT_FALSE(Parse(SampleReport().ToJson()).contains("churn"));
  EXPECT_EQ(SampleReport().ToTable().find("join latency"), std::string::npos);

  BenchReport r = SampleReport();
  r.scenario = "presence_churn";
  r.has_churn = true;
  r.presence_events = 4321;
  r.churn.joins_requested_per_second = 500;
  r.churn.joins = 5000;
  r.churn.joined = 4990;
  r.churn.join_errors = 4;
  r.churn.leaves = 5000;
  r.churn.left = 4999;
  r.churn.leave_errors = 1;
  r.churn.skipped = 3;
  r.churn.unanswered = 6;
  r.churn.joins_per_second = 499;
  r.churn.join_latency = {4990, 700, 2500, 4000, 9000};
  r.churn.leave_latency = {4999, 300, 900, 1500, 2000};
  const nlohmann::json j = Parse(r.ToJson());
  ASSERT_TRUE(j.contains("churn"));
  EXPECT_EQ(j["presence_events"], 4321);
  EXPECT_EQ(j["churn"]["joins"], 5000);
  EXPECT_EQ(j["churn"]["joined"], 4990);
  EXPECT_EQ(j["churn"]["join_errors"], 4);
  EXPECT_EQ(j["churn"]["leaves"], 5000);
  EXPECT_EQ(j["churn"]["left"], 4999);
  EXPECT_EQ(j["churn"]["leave_errors"], 1);
  EXPECT_EQ(j["churn"]["skipped"], 3);
  EXPECT_EQ(j["churn"]["unanswered"], 6);
  EXPECT_DOUBLE_EQ(j["churn"]["joins_per_second"].get<double>(), 499);
  EXPECT_DOUBLE_EQ(j["churn"]["joins_requested_per_second"].get<double>(), 500);
  EXPECT_EQ(j["churn"]["join_latency"]["p99_us"], 2500);
  EXPECT_EQ(j["churn"]["leave_latency"]["max_us"], 2000);

  const std::string table = r.ToTable();
  EXPECT_NE(table.find("499.0/s answered (requested 500.0/s)"), std::string::npos) << table;
  EXPECT_NE(table.find("join latency"), std::string::npos) << table;
  EXPECT_NE(table.find("p99=2.50ms"), std::string::npos) << table;
  EXPECT_NE(table.find("presence events            4321"), std::string::npos) << table;
}

TEST(BenchReportTest, StringsNeedingEscapesStayValidJson) {
  BenchReport r = SampleReport();
  r.scenario = "quote\" backslash\\ newline\n tab\t";
  r.errors = {{"closed: close 1008 \"policy\"\n", 1}, {std::string("nul\0byte", 8), 1}};
  const nlohmann::json j = Parse(r.ToJson());
  EXPECT_EQ(j["scenario"], r.scenario);
  EXPECT_EQ(j["errors"].size(), 2u);
  EXPECT_EQ(j["errors"]["closed: close 1008 \"policy\"\n"], 1);
  EXPECT_EQ(j["errors"][std::string("nul\0byte", 8)], 1);
}

TEST(BenchReportTest, TableNamesTheRunAndItsCounts) {
  BenchReport r = SampleReport();
  const std::string table = r.ToTable();
  EXPECT_NE(table.find("many_rooms (proto)"), std::string::npos) << table;
  EXPECT_NE(table.find("9998 / 10000"), std::string::npos) << table;
  EXPECT_NE(table.find("lost=500"), std::string::npos) << table;
  EXPECT_NE(table.find("duplicated=7"), std::string::npos) << table;
  EXPECT_NE(table.find("RATE_LIMITED: 3"), std::string::npos) << table;
  EXPECT_EQ(table.find("storm"), std::string::npos) << table;
  EXPECT_NE(BenchReport().ToTable().find("not sampled"), std::string::npos);
}

}  // namespace
}  // namespace switchboard::bench
