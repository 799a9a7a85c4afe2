#ifndef SWITCHBOARD_CONTROL_CONTROL_SERVICE_H_
#define SWITCHBOARD_CONTROL_CONTROL_SERVICE_H_

#include <functional>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "control/api_key_auth.h"
#include "control/gateway_commands.h"
#include "control/history_query.h"
#include "control/room_publisher.h"
#include "control/rpc_metrics.h"
#include "control/watch_reactor.h"
#include "common/worker_pool.h"
#include "proto/switchboard/control/v1/control.grpc.pb.h"

namespace switchboard::control {

// What the service delegates to; all of it outlives the gRPC server.
struct ControlServiceBackends {
  const ApiKeyAuth* auth = nullptr;
  RpcMetrics* metrics = nullptr;
  WorkerPool* pool = nullptr;
  const RoomPublisher* publisher = nullptr;
  const HistoryQuery* history = nullptr;
  GatewayCommands* commands = nullptr;
  WatchContext watch;
  // Upper bound of a scatter-gather wait (the RPC deadline may shorten it).
  absl::Duration command_timeout = absl::Seconds(2);
};

// switchboard.control.v1.ControlService on gRPC's callback API. Each unary
// call is authenticated on gRPC's thread, then its blocking work (JetStream
// acks, history reads, command scatter-gather) runs on the WorkerPool, which
// finishes the reactor; a full pool answers RESOURCE_EXHAUSTED. Watch is a
// self-owning WatchReactor. Every outcome is counted in RpcMetrics, and every
// error is an absl::Status turned into a gRPC status by ToGrpcStatus.
class ControlService final : public switchboard::control::v1::ControlService::CallbackService {
 public:
  explicit ControlService(ControlServiceBackends backends);

  grpc::ServerUnaryReactor* Publish(grpc::CallbackServerContext* ctx,
                                    const switchboard::control::v1::PublishRequest* request,
                                    switchboard::control::v1::PublishResponse* response) override;
  grpc::ServerUnaryReactor* Broadcast(
      grpc::CallbackServerContext* ctx, const switchboard::control::v1::BroadcastRequest* request,
      switchboard::control::v1::BroadcastResponse* response) override;
  grpc::ServerUnaryReactor* GetPresence(
      grpc::CallbackServerContext* ctx, const switchboard::control::v1::GetPresenceRequest* request,
      switchboard::control::v1::GetPresenceResponse* response) override;
  grpc::ServerUnaryReactor* GetPresenceStats(
      grpc::CallbackServerContext* ctx,
      const switchboard::control::v1::GetPresenceStatsRequest* request,
      switchboard::control::v1::GetPresenceStatsResponse* response) override;
  grpc::ServerUnaryReactor* GetHistory(
      grpc::CallbackServerContext* ctx, const switchboard::control::v1::GetHistoryRequest* request,
      switchboard::control::v1::GetHistoryResponse* response) override;
  grpc::ServerUnaryReactor* KickUser(grpc::CallbackServerContext* ctx,
                                     const switchboard::control::v1::KickUserRequest* request,
                                     switchboard::control::v1::KickUserResponse* response) override;
  grpc::ServerUnaryReactor* Disconnect(
      grpc::CallbackServerContext* ctx, const switchboard::control::v1::DisconnectRequest* request,
      switchboard::control::v1::DisconnectResponse* response) override;
  grpc::ServerUnaryReactor* Subscribe(
      grpc::CallbackServerContext* ctx, const switchboard::control::v1::SubscribeRequest* request,
      switchboard::control::v1::SubscribeResponse* response) override;
  grpc::ServerUnaryReactor* Unsubscribe(
      grpc::CallbackServerContext* ctx, const switchboard::control::v1::UnsubscribeRequest* request,
      switchboard::control::v1::UnsubscribeResponse* response) override;
  grpc::ServerUnaryReactor* GetInfo(grpc::CallbackServerContext* ctx,
                                    const switchboard::control::v1::GetInfoRequest* request,
                                    switchboard::control::v1::GetInfoResponse* response) override;
  grpc::ServerWriteReactor<switchboard::control::v1::WatchEvent>* Watch(
      grpc::CallbackServerContext* ctx,
      const switchboard::control::v1::WatchRequest* request) override;

 private:
  // The work of one unary call, given its deadline; runs on the pool.
  using Work = std::function<absl::Status(absl::Time deadline)>;

  grpc::ServerUnaryReactor* RunUnary(grpc::CallbackServerContext* ctx, const char* method,
                                     Work work);
  // The RPC's deadline (InfiniteFuture when the caller set none).
  static absl::Time DeadlineOf(const grpc::CallbackServerContext& ctx);
  // How long a scatter-gather may wait: the RPC deadline less a margin for
  // the answer to travel back, and at most command_timeout.
  absl::Time CommandDeadline(absl::Time rpc_deadline) const;

  const ControlServiceBackends backends_;
};

}  // namespace switchboard::control

#endif  // SWITCHBOARD_CONTROL_CONTROL_SERVICE_H_
