#include "tests/testing/nats_cluster.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "tests/testing/http_get.h"
#include "tests/testing/ports.h"
#include "tests/testing/wait.h"

namespace switchboard {
namespace testing {
namespace {

constexpr char kClusterName[] = "sbtest";
constexpr absl::Duration kHealthyTimeout = absl::Seconds(20);
constexpr absl::Duration kProbeTimeout = absl::Seconds(1);
constexpr absl::Duration kProbeInterval = absl::Milliseconds(50);

// meta_cluster.leader from a /jsz page; empty while there is none.
absl::StatusOr<std::string> LeaderFromJsz(absl::string_view body) {
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InternalError("/jsz is not a JSON object");
  }
  const auto meta = doc.find("meta_cluster");
  if (meta == doc.end() || !meta->is_object()) return std::string();
  const auto leader = meta->find("leader");
  if (leader == meta->end() || !leader->is_string()) return std::string();
  return leader->get<std::string>();
}

}  // namespace

absl::StatusOr<std::unique_ptr<NatsCluster>> NatsCluster::Start(int size) {
  if (size < 1) return absl::InvalidArgumentError(absl::StrCat("cluster size ", size));
  std::vector<int> route_ports;
  for (int i = 0; i < size; ++i) {
    absl::StatusOr<int> port = PickFreePort();
    if (!port.ok()) return port.status();
    route_ports.push_back(*port);
  }
  std::unique_ptr<NatsCluster> cluster(new NatsCluster());
  for (int i = 0; i < size; ++i) {
    NatsServerOptions options;
    options.jetstream = true;
    options.server_name = absl::StrCat("n", i);
    options.cluster_name = kClusterName;
    options.cluster_port = route_ports[i];
    for (int j = 0; j < size; ++j) {
      if (j != i) options.routes.push_back(absl::StrCat("nats-route://127.0.0.1:", route_ports[j]));
    }
    absl::StatusOr<std::unique_ptr<NatsServer>> server = NatsServer::Start(std::move(options));
    if (!server.ok()) return server.status();
    cluster->servers_.push_back(*std::move(server));
  }
  if (absl::Status healthy = cluster->WaitHealthy(kHealthyTimeout); !healthy.ok()) {
    return healthy;
  }
  return cluster;
}

std::string NatsCluster::urls() const {
  return absl::StrJoin(servers_, ",",
                       [](std::string* out, const auto& server) { out->append(server->url()); });
}

absl::StatusOr<std::string> NatsCluster::MetaLeader() {
  absl::flat_hash_set<std::string> running;
  std::vector<std::string> views;  // "n0 -> n1" for the error message.
  absl::flat_hash_set<std::string> leaders;
  for (auto& server : servers_) {
    if (!server->Running()) continue;
    running.insert(server->server_name());
    absl::StatusOr<HttpResponse> jsz = HttpGet(server->monitor_port(), "/jsz", kProbeTimeout);
    if (!jsz.ok()) return jsz.status();
    if (jsz->status != 200) {
      return absl::UnavailableError(
          absl::StrCat(server->server_name(), " /jsz answered ", jsz->status));
    }
    absl::StatusOr<std::string> leader = LeaderFromJsz(jsz->body);
    if (!leader.ok()) return leader.status();
    views.push_back(absl::StrCat(server->server_name(), " -> '", *leader, "'"));
    leaders.insert(*leader);
  }
  const std::string seen = absl::StrJoin(views, ", ");
  if (running.empty()) return absl::UnavailableError("no server is running");
  if (leaders.size() != 1) {
    return absl::UnavailableError(absl::StrCat("servers disagree on the meta leader: ", seen));
  }
  const std::string& leader = *leaders.begin();
  // A killed leader lingers in the survivors' /jsz until they elect anew.
  if (!running.contains(leader)) {
    return absl::UnavailableError(absl::StrCat("no running meta leader: ", seen));
  }
  return leader;
}

absl::Status NatsCluster::WaitHealthy(absl::Duration timeout) {
  std::string last = "not checked";
  const bool healthy = WaitFor(
      [&] {
        for (auto& server : servers_) {
          if (!server->Running()) continue;
          absl::StatusOr<HttpResponse> health =
              HttpGet(server->monitor_port(), "/healthz", kProbeTimeout);
          if (!health.ok() || health->status != 200) {
            last = absl::StrCat(server->server_name(), " /healthz: ",
                                health.ok() ? absl::StrCat(health->status, " ", health->body)
                                            : health.status().ToString());
            return false;
          }
        }
        absl::StatusOr<std::string> leader = MetaLeader();
        if (!leader.ok()) last = leader.status().ToString();
        return leader.ok();
      },
      timeout, kProbeInterval);
  if (healthy) return absl::OkStatus();
  return absl::DeadlineExceededError(
      absl::StrCat("NatsCluster not healthy after ", absl::FormatDuration(timeout), ": ", last));
}

}  // namespace testing
}  // namespace switchboard
