#include "tests/integration/cluster_topology.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/testing/wait.h"

namespace switchboard::testing {

namespace cv1 = switchboard::control::v1;

absl::StatusOr<std::unique_ptr<ClusterTopology>> ClusterTopology::Start(
    ClusterTopologyOptions options) {
  std::unique_ptr<ClusterTopology> self(new ClusterTopology());
  absl::StatusOr<std::unique_ptr<NatsCluster>> nats = NatsCluster::Start(options.nats_nodes);
  if (!nats.ok()) return nats.status();
  self->nats_ = *std::move(nats);
  // Every process gets the whole list of nodes (as in production), so that
  // it can connect and fail over whichever node is down.
  const std::string urls = self->nats_->urls();

  std::vector<std::string> stream_flags = {
      absl::StrCat("--replicas=", std::min(3, options.nats_nodes)),
      options.file_storage ? "--storage=file" : "--storage=memory",
  };
  std::vector<std::string> gateway_flags = stream_flags;
  gateway_flags.push_back("--publish_rate=100000");
  gateway_flags.push_back("--publish_burst=100000");
  gateway_flags.insert(gateway_flags.end(), options.gateway_flags.begin(),
                       options.gateway_flags.end());

  // The first control provisions the stream; gateways and the other controls
  // then find it with the same settings.
  for (int i = 0; i < options.controls; ++i) {
    const std::string id = absl::StrCat("ctl-", std::string(1, static_cast<char>('a' + i)));
    absl::StatusOr<std::unique_ptr<ControlProcess>> control =
        ControlProcess::Start(urls, id, stream_flags);
    if (!control.ok()) return control.status();
    self->controls_.push_back(*std::move(control));
  }
  for (int i = 0; i < options.gateways; ++i) {
    absl::StatusOr<std::unique_ptr<GatewayProcess>> gateway =
        GatewayProcess::Start(urls, absl::StrCat("gw-", i + 1), gateway_flags);
    if (!gateway.ok()) return gateway.status();
    self->gateways_.push_back(*std::move(gateway));
  }
  return self;
}

std::vector<std::string> ClusterTopology::GatewayIds() const {
  std::vector<std::string> ids;
  for (int i = 0; i < gateway_count(); ++i) ids.push_back(absl::StrCat("gw-", i + 1));
  return ids;
}

absl::Status ClusterTopology::WaitForDirectory(const std::vector<std::string>& gateway_ids,
                                               absl::Duration timeout) {
  std::vector<std::string> want = gateway_ids;
  std::sort(want.begin(), want.end());
  std::string last;
  for (auto& control : controls_) {
    if (!control->process().Running()) continue;
    auto stub = control->NewStub();
    const bool listed = WaitFor(
        [&] {
          cv1::GetInfoResponse info;
          grpc::Status status = stub->GetInfo(ControlProcess::Context(absl::Seconds(5)).get(),
                                              cv1::GetInfoRequest(), &info);
          if (!status.ok()) {
            last = absl::StrCat(control->id(), ": GetInfo ", status.error_code(), " ",
                                status.error_message());
            return false;
          }
          std::vector<std::string> have;
          for (const cv1::Gateway& gateway : info.gateways()) have.push_back(gateway.gateway_id());
          std::sort(have.begin(), have.end());
          last = absl::StrCat(control->id(), " lists [", absl::StrJoin(have, ", "), "]");
          return have == want;
        },
        timeout, absl::Milliseconds(100));
    if (!listed) {
      return absl::DeadlineExceededError(absl::StrCat(
          "control does not list [", absl::StrJoin(want, ", "), "]: ", last));
    }
  }
  return absl::OkStatus();
}

}  // namespace switchboard::testing
