#include "tests/testing/nats_cluster.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nats/nats.h"
#include "tests/testing/http_get.h"

namespace switchboard {
namespace testing {
namespace {

// Creates a replicated stream through the cluster URLs with NATS.c.
absl::Status CreateReplicatedStream(const std::string& urls, int replicas) {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  jsStreamInfo* si = nullptr;
  natsStatus s = natsConnection_ConnectTo(&nc, urls.c_str());
  if (s == NATS_OK) s = natsConnection_JetStream(&js, nc, nullptr);
  if (s == NATS_OK) {
    const char* subjects[] = {"fixture.>"};
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = "FIXTURE";
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    config.Storage = js_FileStorage;
    config.Replicas = replicas;
    s = js_AddStream(&si, js, &config, nullptr, nullptr);
  }
  jsStreamInfo_Destroy(si);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  if (s != NATS_OK) return absl::UnavailableError(natsStatus_GetText(s));
  return absl::OkStatus();
}

void ExpectHealthz(NatsServer& server) {
  absl::StatusOr<HttpResponse> health = HttpGet(server.monitor_port(), "/healthz");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, 200) << server.server_name() << ": " << health->body;
}

TEST(NatsClusterTest, ThreeServersElectALeaderAndSurviveLosingIt) {
  absl::StatusOr<std::unique_ptr<NatsCluster>> started = NatsCluster::Start(3);
  ASSERT_TRUE(started.ok()) << started.status();
  NatsCluster& cluster = **started;
  ASSERT_EQ(cluster.size(), 3);

  std::vector<std::string> urls = absl::StrSplit(cluster.urls(), ',');
  ASSERT_EQ(urls.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(cluster.server(i).server_name(), absl::StrCat("n", i));
    EXPECT_EQ(urls[i], cluster.server(i).url());
    ExpectHealthz(cluster.server(i));
  }
  absl::StatusOr<std::string> leader = cluster.MetaLeader();
  ASSERT_TRUE(leader.ok()) << leader.status();
  int leader_index = -1;
  for (int i = 0; i < 3; ++i) {
    if (cluster.server(i).server_name() == *leader) leader_index = i;
  }
  ASSERT_GE(leader_index, 0) << *leader;
  absl::Status created = CreateReplicatedStream(cluster.urls(), 3);
  EXPECT_TRUE(created.ok()) << created;

  // Losing the meta leader is the harder case: the others must elect anew.
  ASSERT_TRUE(cluster.server(leader_index).Kill().ok());
  absl::Status healthy = cluster.WaitHealthy(absl::Seconds(20));
  ASSERT_TRUE(healthy.ok()) << healthy;
  absl::StatusOr<std::string> new_leader = cluster.MetaLeader();
  ASSERT_TRUE(new_leader.ok()) << new_leader.status();
  EXPECT_NE(*new_leader, *leader);
  for (int i = 0; i < 3; ++i) {
    if (i != leader_index) ExpectHealthz(cluster.server(i));
  }

  // The killed server comes back into the cluster on its old ports.
  absl::Status restarted = cluster.server(leader_index).Restart();
  ASSERT_TRUE(restarted.ok()) << restarted;
  healthy = cluster.WaitHealthy(absl::Seconds(20));
  ASSERT_TRUE(healthy.ok()) << healthy;
  for (int i = 0; i < 3; ++i) ExpectHealthz(cluster.server(i));
}

TEST(NatsClusterTest, RefusesEmptyCluster) {
  EXPECT_EQ(NatsCluster::Start(0).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace testing
}  // namespace switchboard
