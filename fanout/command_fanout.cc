#include "fanout/command_fanout.h"

#include <algorithm>
#include <memory>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/nats_status.h"
#include "common/random_id.h"

namespace switchboard::fanout {

using switchboard::bus::v1::Command;
using switchboard::bus::v1::CommandReply;

namespace {

struct SubDeleter {
  void operator()(natsSubscription* sub) const {
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
  }
};
struct InboxDeleter {
  void operator()(natsInbox* inbox) const { natsInbox_Destroy(inbox); }
};
struct MsgDeleter {
  void operator()(natsMsg* msg) const { natsMsg_Destroy(msg); }
};

bool AllAnswered(const absl::flat_hash_set<std::string>& live,
                 const absl::flat_hash_set<std::string>& answered) {
  if (live.empty()) return false;  // nobody known yet: wait for the deadline
  for (const std::string& id : live) {
    if (!answered.contains(id)) return false;
  }
  return true;
}

}  // namespace

CommandFanout::CommandFanout(NatsConnection* nats, Subjects subjects,
                             const GatewayDirectory* directory)
    : nats_(nats), subjects_(std::move(subjects)), directory_(directory) {}

absl::StatusOr<FanoutResult> CommandFanout::Send(Command command, absl::Time deadline) const {
  if (!nats_->connected()) return absl::UnavailableError("not connected to NATS");
  // Without the directory's bucket a fresh process would stop waiting at the
  // gateways it happened to hear already, and answer partially without knowing.
  if (!directory_->WaitLoaded(deadline)) {
    return absl::UnavailableError("the gateway directory is not loaded from NATS yet; retry");
  }
  if (command.command_id().empty()) command.set_command_id(RandomId());

  natsInbox* raw_inbox = nullptr;
  natsStatus s = natsInbox_Create(&raw_inbox);
  if (s != NATS_OK) return FromNatsStatus(s, "create reply inbox");
  std::unique_ptr<natsInbox, InboxDeleter> inbox(raw_inbox);

  // A synchronous subscription: replies queue inside NATS.c and are pulled on
  // this thread, so nothing outlives the call.
  natsSubscription* raw_sub = nullptr;
  s = natsConnection_SubscribeSync(&raw_sub, nats_->raw(), inbox.get());
  if (s != NATS_OK) return FromNatsStatus(s, "subscribe to the reply inbox");
  std::unique_ptr<natsSubscription, SubDeleter> sub(raw_sub);

  const std::string subject = subjects_.AllGateways();
  const std::string data = command.SerializeAsString();
  s = natsConnection_PublishRequest(nats_->raw(), subject.c_str(), inbox.get(), data.data(),
                                    static_cast<int>(data.size()));
  if (s != NATS_OK) return FromNatsStatus(s, "publish command to " + subject);

  FanoutResult result;
  absl::flat_hash_set<std::string> answered;
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    natsMsg* raw_msg = nullptr;
    s = natsSubscription_NextMsg(&raw_msg, sub.get(),
                                 std::max<int64_t>(1, absl::ToInt64Milliseconds(left)));
    std::unique_ptr<natsMsg, MsgDeleter> msg(raw_msg);
    if (s == NATS_TIMEOUT) break;
    // No gateway subscribes to commands at all: nothing to wait for.
    if (s == NATS_NO_RESPONDERS) break;
    if (s != NATS_OK) return FromNatsStatus(s, "gather command replies");

    CommandReply reply;
    if (!reply.ParseFromArray(natsMsg_GetData(msg.get()), natsMsg_GetDataLength(msg.get()))) {
      SB_LOG_WARN("ignoring a command reply that is not a CommandReply");
      continue;
    }
    if (reply.command_id() != command.command_id() || reply.gateway_id().empty()) continue;
    if (!answered.insert(reply.gateway_id()).second) continue;  // a retransmission
    result.replies.push_back(std::move(reply));
    if (AllAnswered(directory_->LiveIds(absl::Now()), answered)) return result;
  }

  for (const std::string& id : directory_->LiveIds(absl::Now())) {
    if (!answered.contains(id)) result.missing.push_back(id);
  }
  std::sort(result.missing.begin(), result.missing.end());
  return result;
}

}  // namespace switchboard::fanout
