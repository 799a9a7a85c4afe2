// Runs //bench/micro:micro_bench with a short filter and a tiny min_time: CI
// proves the micro-benchmarks build, run and report without errors (the
// figures themselves are in docs/performance.md, not checked here).
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/runfiles.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace switchboard::bench {
namespace {

using testing::Runfile;
using testing::Subprocess;
using testing::TempDir;

// One benchmark of each group, on the smallest shapes.
constexpr char kFilter[] =
    "BM_DecodeClientPublish|BM_EncodeSharedFrame|BM_FrameReaderConsumeInPlace|"
    "BM_WsEncodeFrame/64$|BM_SendToRecipients/n:100/json:0/|BM_LocalRoomsDeliver/10$|"
    "BM_DeliverAndFlush/n:100/batch:16$|BM_JoinLeave/1$";

TEST(MicroBenchSmokeTest, FilteredRunReportsEveryBenchmarkWithoutError) {
  TempDir dir("micro_bench");
  const std::string out_path = dir.path() + "/out.json";
  auto proc = Subprocess::Start({Runfile("bench/micro/micro_bench"),
                                 std::string("--benchmark_filter=") + kFilter,
                                 "--benchmark_min_time=0.005", "--benchmark_out=" + out_path,
                                 "--benchmark_out_format=json"});
  ASSERT_TRUE(proc.ok()) << proc.status();
  absl::StatusOr<int> code = (*proc)->Wait(absl::Seconds(120));
  ASSERT_TRUE(code.ok()) << code.status() << "\n" << (*proc)->Log();
  ASSERT_EQ(*code, 0) << (*proc)->Log();

  std::ifstream in(out_path);
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json report = nlohmann::json::parse(text.str(), nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << text.str();
  ASSERT_TRUE(report.contains("benchmarks")) << text.str();

  std::set<std::string> seen;
  for (const nlohmann::json& b : report["benchmarks"]) {
    const std::string name = b.value("name", "");
    EXPECT_FALSE(b.value("error_occurred", false)) << name << ": " << b.value("error_message", "");
    EXPECT_GT(b.value("iterations", 0), 0) << name;
    EXPECT_GT(b.value("real_time", 0.0), 0.0) << name;
    seen.insert(name.substr(0, name.find('/')));
  }
  for (const char* expected :
       {"BM_DecodeClientPublish", "BM_EncodeSharedFrame", "BM_FrameReaderConsumeInPlace",
        "BM_WsEncodeFrame", "BM_SendToRecipients", "BM_LocalRoomsDeliver",
        "BM_DeliverAndFlush", "BM_JoinLeave"}) {
    EXPECT_TRUE(seen.count(expected)) << expected << " missing from\n" << text.str();
  }
}

}  // namespace
}  // namespace switchboard::bench
