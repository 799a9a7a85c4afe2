#include "gateway/presence_queries.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "gateway/connection.h"
#include "gateway/worker.h"

namespace switchboard::gateway {

namespace bv1 = switchboard::bus::v1;
namespace cv1 = switchboard::client::v1;

namespace {

// Surveys in flight at once, and waiting. A survey takes one bus round trip
// when every gateway answers, and up to the timeout while a dead gateway is
// still listed as live.
constexpr int kThreads = 2;
constexpr size_t kMaxQueued = 1000;

}  // namespace

PresenceQueries::PresenceQueries(NatsConnection* nats, Subjects subjects,
                                 const fanout::GatewayDirectory* directory, absl::Duration timeout)
    : fanout_(nats, std::move(subjects), directory), timeout_(timeout), pool_(kThreads, kMaxQueued) {}

void PresenceQueries::Query(const std::shared_ptr<Connection>& conn, uint64_t reply_id,
                            std::string room, uint32_t limit) {
  Worker* worker = &conn->worker();
  std::weak_ptr<Connection> weak = conn;
  auto answer = [worker, weak](cv1::ServerFrame frame, bool is_error) {
    worker->Post([weak, frame = std::move(frame), is_error] {
      auto c = weak.lock();
      if (c == nullptr || !c->open()) return;
      if (is_error) {
        c->session().SendError(frame.id(), frame.error().code(), frame.error().message(),
                               frame.error().room());
      } else {
        c->session().SendFrame(frame, MessageClass::kControl);
      }
    });
  };
  auto error_frame = [reply_id, room](absl::string_view message) {
    cv1::ServerFrame frame;
    frame.set_id(reply_id);
    frame.mutable_error()->set_code(cv1::ERROR_CODE_UNAVAILABLE);
    frame.mutable_error()->set_message(std::string(message));
    frame.mutable_error()->set_room(room);
    return frame;
  };
  const bool queued = pool_.TrySubmit([this, answer, error_frame, reply_id, room, limit] {
    bv1::Command command;
    command.mutable_presence_survey()->set_room(room);
    auto result = fanout_.Send(std::move(command), absl::Now() + timeout_);
    if (!result.ok()) {
      return answer(error_frame(absl::StrCat("presence unavailable: ", result.status().message())),
                    true);
    }
    std::vector<cv1::PresenceInfo> members;
    for (auto& reply : result->replies) {
      for (auto& entry : *reply.mutable_presence()->mutable_entries()) {
        cv1::PresenceInfo* info = entry.mutable_info();
        if (info->gateway_id().empty()) info->set_gateway_id(reply.gateway_id());
        members.push_back(std::move(*info));
      }
    }
    // A stable order, so that a client paging through a large room by
    // repeated queries sees the same first members.
    std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) {
      return std::tie(a.user_id(), a.connection_id()) < std::tie(b.user_id(), b.connection_id());
    });
    absl::flat_hash_set<std::string> users;
    cv1::ServerFrame frame;
    frame.set_id(reply_id);
    auto* snapshot = frame.mutable_presence_snapshot();
    snapshot->set_room(room);
    for (auto& m : members) {
      users.insert(m.user_id());
      if (snapshot->members_size() < static_cast<int>(limit)) *snapshot->add_members() = std::move(m);
    }
    snapshot->set_connections(members.size());
    snapshot->set_users(users.size());
    answer(std::move(frame), false);
  });
  if (!queued) answer(error_frame("too many presence queries in flight; retry"), true);
}

}  // namespace switchboard::gateway
