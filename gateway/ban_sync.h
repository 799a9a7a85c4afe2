#ifndef SWITCHBOARD_GATEWAY_BAN_SYNC_H_
#define SWITCHBOARD_GATEWAY_BAN_SYNC_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "absl/status/status.h"
#include "common/nats_connection.h"
#include "common/subjects.h"
#include "fanout/ban_store.h"
#include "fanout/kv_watch.h"
#include "gateway/ban_list.h"

namespace switchboard::gateway {

// Keeps this gateway's BanList a cache of the cluster's bans bucket: opens
// the bucket once NATS is there, loads every ban, then follows each new one.
// A gateway is not ready until the bans are loaded, so a gateway started after
// a ban (or restarted under the same id) never lets the banned user in.
// A ban learned from the bucket that the Kick command did not bring (this
// gateway was cut off from NATS when it was sent) closes the user's
// connections through `kick`. The control plane stores a ban just before it
// sends the Kick, so the bucket often comes first: such a kick waits until
// kKickGrace after the ban was stored, and the Kick command, which counts the
// connections it closes, finds them still open.
//
// Open(), Restart() and KickDue() are called from the gateway's provisioning
// thread; loaded() from any thread; `kick` runs on the provisioning thread.
class BanSync {
 public:
  using Kick = std::function<void(const std::string& user_id, const std::string& reason)>;
  static constexpr absl::Duration kKickGrace = absl::Seconds(1);

  // `nats` and `bans` must outlive this object.
  BanSync(NatsConnection* nats, Subjects subjects, int replicas, bool file_storage,
          BanList* bans, Kick kick);
  ~BanSync();

  // Opens the bucket and starts watching it, unless already done. Blocking
  // (NATS round trips); Unavailable while NATS or JetStream is away.
  absl::Status Open();
  // Reloads every ban (after a NATS reconnect: changes may have been missed).
  void Restart();
  // Kicks the users whose deferred kick is due.
  void KickDue(absl::Time now);
  // True once every ban in the bucket has been loaded.
  bool loaded() const { return loaded_.load(); }
  void Stop();

 private:
  void OnEntry(const fanout::KvWatch::Entry& entry);

  NatsConnection* const nats_;
  const Subjects subjects_;
  const int replicas_;
  const bool file_storage_;
  BanList* const bans_;
  Kick kick_;
  std::unique_ptr<fanout::BanStore> store_;
  std::unique_ptr<fanout::KvWatch> watch_;
  std::atomic<bool> loaded_{false};
  struct DeferredKick {
    absl::Time due;
    std::string user_id;
    std::string reason;
  };
  absl::Mutex mu_;
  std::vector<DeferredKick> deferred_ ABSL_GUARDED_BY(mu_);
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_BAN_SYNC_H_
