#include "control/control_service.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "control/grpc_status.h"

namespace switchboard::control {


namespace {

// Left of the RPC deadline for the reply to reach the caller.
constexpr absl::Duration kReplyMargin = absl::Milliseconds(200);

}  // namespace

ControlService::ControlService(ControlServiceBackends backends) : backends_(std::move(backends)) {}

absl::Time ControlService::DeadlineOf(const grpc::CallbackServerContext& ctx) {
  const auto deadline = ctx.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

absl::Time ControlService::CommandDeadline(absl::Time rpc_deadline) const {
  return std::min(rpc_deadline - kReplyMargin, absl::Now() + backends_.command_timeout);
}

grpc::ServerUnaryReactor* ControlService::RunUnary(grpc::CallbackServerContext* ctx,
                                                   const char* method, Work work) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const absl::Time start = absl::Now();
  RpcMetrics* metrics = backends_.metrics;
  metrics->Started(method);
  auto finish = [reactor, metrics, method, start](const absl::Status& status) {
    grpc::Status result = ToGrpcStatus(status);
    metrics->Finished(method, result.error_code(), absl::Now() - start);
    reactor->Finish(result);
  };
  if (absl::Status auth = backends_.auth->Check(ctx->client_metadata()); !auth.ok()) {
    finish(auth);
    return reactor;
  }
  const absl::Time deadline = DeadlineOf(*ctx);
  // gRPC keeps the request and response alive until Finish, so the work may
  // use them from the pool thread.
  if (!backends_.pool->TrySubmit([work = std::move(work), finish, deadline] {
        if (absl::Now() >= deadline) {
          finish(absl::DeadlineExceededError("deadline passed while queued"));
          return;
        }
        finish(work(deadline));
      })) {
    finish(absl::ResourceExhaustedError("control plane overloaded; retry"));
  }
  return reactor;
}

grpc::ServerUnaryReactor* ControlService::Publish(grpc::CallbackServerContext* ctx,
                                                  const v1::PublishRequest* request,
                                                  v1::PublishResponse* response) {
  return RunUnary(ctx, "Publish", [this, request, response](absl::Time) {
    auto ack = backends_.publisher->Publish(*request);
    if (!ack.ok()) return ack.status();
    *response = std::move(*ack);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ControlService::Broadcast(grpc::CallbackServerContext* ctx,
                                                    const v1::BroadcastRequest* request,
                                                    v1::BroadcastResponse* response) {
  return RunUnary(ctx, "Broadcast", [this, request, response](absl::Time) {
    return backends_.publisher->Broadcast(*request, response);
  });
}

grpc::ServerUnaryReactor* ControlService::GetHistory(grpc::CallbackServerContext* ctx,
                                                     const v1::GetHistoryRequest* request,
                                                     v1::GetHistoryResponse* response) {
  return RunUnary(ctx, "GetHistory", [this, request, response](absl::Time) {
    return backends_.history->Get(*request, response);
  });
}

grpc::ServerUnaryReactor* ControlService::GetPresence(grpc::CallbackServerContext* ctx,
                                                      const v1::GetPresenceRequest* request,
                                                      v1::GetPresenceResponse* response) {
  return RunUnary(ctx, "GetPresence", [this, request, response](absl::Time deadline) {
    return backends_.commands->GetPresence(*request, CommandDeadline(deadline), response);
  });
}

grpc::ServerUnaryReactor* ControlService::GetPresenceStats(
    grpc::CallbackServerContext* ctx, const v1::GetPresenceStatsRequest* request,
    v1::GetPresenceStatsResponse* response) {
  return RunUnary(ctx, "GetPresenceStats", [this, request, response](absl::Time deadline) {
    return backends_.commands->GetPresenceStats(*request, CommandDeadline(deadline), response);
  });
}

grpc::ServerUnaryReactor* ControlService::KickUser(grpc::CallbackServerContext* ctx,
                                                   const v1::KickUserRequest* request,
                                                   v1::KickUserResponse* response) {
  return RunUnary(ctx, "KickUser", [this, request, response](absl::Time deadline) {
    return backends_.commands->KickUser(*request, CommandDeadline(deadline), response);
  });
}

grpc::ServerUnaryReactor* ControlService::Disconnect(grpc::CallbackServerContext* ctx,
                                                     const v1::DisconnectRequest* request,
                                                     v1::DisconnectResponse*) {
  return RunUnary(ctx, "Disconnect", [this, request](absl::Time deadline) {
    return backends_.commands->Disconnect(*request, CommandDeadline(deadline));
  });
}

grpc::ServerUnaryReactor* ControlService::Subscribe(grpc::CallbackServerContext* ctx,
                                                    const v1::SubscribeRequest* request,
                                                    v1::SubscribeResponse* response) {
  return RunUnary(ctx, "Subscribe", [this, request, response](absl::Time deadline) {
    return backends_.commands->Subscribe(*request, CommandDeadline(deadline), response);
  });
}

grpc::ServerUnaryReactor* ControlService::Unsubscribe(grpc::CallbackServerContext* ctx,
                                                      const v1::UnsubscribeRequest* request,
                                                      v1::UnsubscribeResponse* response) {
  return RunUnary(ctx, "Unsubscribe", [this, request, response](absl::Time deadline) {
    return backends_.commands->Unsubscribe(*request, CommandDeadline(deadline), response);
  });
}

grpc::ServerUnaryReactor* ControlService::GetInfo(grpc::CallbackServerContext* ctx,
                                                  const v1::GetInfoRequest*,
                                                  v1::GetInfoResponse* response) {
  return RunUnary(ctx, "GetInfo", [this, response](absl::Time deadline) {
    return backends_.commands->GetInfo(CommandDeadline(deadline), response);
  });
}

grpc::ServerWriteReactor<v1::WatchEvent>* ControlService::Watch(grpc::CallbackServerContext* ctx,
                                                                const v1::WatchRequest* request) {
  return new WatchReactor(backends_.watch, *request, backends_.auth->Check(ctx->client_metadata()));
}

}  // namespace switchboard::control
