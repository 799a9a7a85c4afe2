#ifndef SWITCHBOARD_TESTS_CLIENTS_CPP_FAKE_SERVER_H_
#define SWITCHBOARD_TESTS_CLIENTS_CPP_FAKE_SERVER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "clients/cpp/frame_format.h"
#include "proto/switchboard/client/v1/client.pb.h"
#include "tests/clients/cpp/fake_server_session.h"

namespace switchboard {
namespace client {
namespace testing {

// An in-process stand-in for the gateway, for the client's unit tests: a
// Beast WebSocket server on 127.0.0.1 (port 0) with its own thread that speaks
// a scripted subset of the protocol:
//  - subprotocol negotiation, optional token check (upgrade or Connect),
//    Welcome pushed when the token came with the upgrade;
//  - Join -> Joined (+ replay after since_offset, or history), Leave -> Left,
//    Publish -> PublishAck with a global offset sequence and dedupe by message
//    id, then the Message fanned out to the room's members; ephemeral fan-out;
//    Ping -> Pong;
//  - levers for tests: a hook that answers frames instead, pushes, closes with
//    any code, drops without a close frame, declined upgrades, no Welcome,
//    Joined.recovered = false, replays that overlap (duplicates), the
//    Welcome's dedupe_window (unlike the gateway, the fake's own dedupe by
//    message id never expires: tests see every Publish in frames()).
//
// Thread-safe: the levers may be called from any thread; they run on the
// server thread and return once done. The hook runs on the server thread.
// Levers aimed at a connection act only once the fake finished its side of
// the upgrade (a client that received Welcome can be sure of that).
class FakeServer {
 public:
  struct Frame {
    int connection = 0;
    switchboard::client::v1::ClientFrame frame;
  };
  struct BadFrame {
    int connection = 0;
    std::string data;
    bool binary = false;
  };

  // Returns true when it handled `frame`; the frames in `replies` are sent to
  // that connection in order. False: default behaviour.
  using Hook = std::function<bool(
      int connection, const switchboard::client::v1::ClientFrame& frame,
      std::vector<switchboard::client::v1::ServerFrame>* replies)>;

  FakeServer();
  ~FakeServer();

  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  int port() const { return port_; }

  // --- Script ---------------------------------------------------------------
  void SetHook(Hook hook);
  // Token the client must present (upgrade header or query: else HTTP 401;
  // Connect frame: else Error UNAUTHENTICATED and close 4001). Empty: any.
  void RequireToken(std::string token);
  // Decline every upgrade with this HTTP status; 0 accepts again.
  void DeclineUpgrades(int http_status);
  // Subprotocol to select instead of the offered one (nullopt: the offered).
  void ForceSubprotocol(std::optional<std::string> subprotocol);
  // Never answer with Welcome (to time the client out).
  void WithholdWelcome(bool withhold);
  // Joined.recovered for joins with since_offset.
  void SetRecovered(bool recovered);
  // Replays after since_offset also carry this many older messages.
  void SetReplayOverlap(int messages);
  // Replays and history as one MessageBatch instead of single messages.
  void SetBatchReplay(bool batch);
  // Welcome.dedupe_window of every Welcome from now on; nullopt (the
  // default): the field is left out.
  void SetDedupeWindow(std::optional<absl::Duration> window);

  // --- Levers ---------------------------------------------------------------
  // Stores a message in `room` as if published by the control plane and
  // sends it to the room's members; returns its offset.
  uint64_t AppendMessage(const std::string& room,
                         switchboard::client::v1::Payload payload);
  void Push(int connection, const switchboard::client::v1::ServerFrame& frame);
  void SendRaw(int connection, std::string bytes, bool binary);
  void Close(int connection, uint16_t code, std::string reason);
  void Drop(int connection);

  // --- Observations ---------------------------------------------------------
  // Connections upgraded so far (ids count from 1).
  int connections() const;
  bool WaitForConnections(int count, absl::Duration timeout) const;
  // Waits for the first decoded frame matching `match` (earliest first).
  std::optional<Frame> WaitForFrame(std::function<bool(const Frame&)> match,
                                    absl::Duration timeout) const;
  std::vector<Frame> frames() const;
  std::vector<BadFrame> bad_frames() const;
  bool WaitForBadFrames(size_t count, absl::Duration timeout) const;
  std::vector<UpgradeRecord> upgrades() const;
  // Close codes clients sent, by connection (0: none).
  std::optional<uint16_t> WaitForClientClose(int connection,
                                             absl::Duration timeout) const;
  uint64_t latest_offset() const;

 private:
  struct StoredMessage {
    uint64_t offset;
    switchboard::client::v1::Message message;
  };
  struct Connection {
    std::shared_ptr<FakeServerSession> session;
    std::set<std::string> rooms;
    bool welcomed = false;
    std::string session_id;
  };

  // Runs `fn` on the server thread and waits for it.
  void RunOnServer(std::function<void()> fn);
  void DoAccept();
  int OnUpgrade(UpgradeRecord* record);
  void OnOpen(int connection);
  void OnMessage(int connection, std::string message, bool binary);
  void OnClosed(int connection, uint16_t client_code);

  void HandleFrame(int connection,
                   const switchboard::client::v1::ClientFrame& frame,
                   std::vector<switchboard::client::v1::ServerFrame>* replies);
  void HandleJoin(int connection, uint64_t id,
                  const switchboard::client::v1::Join& join,
                  std::vector<switchboard::client::v1::ServerFrame>* replies);
  void HandlePublish(
      int connection, uint64_t id,
      const switchboard::client::v1::Publish& publish,
      std::vector<switchboard::client::v1::ServerFrame>* replies);
  switchboard::client::v1::Welcome MakeWelcome(int connection,
                                               const std::string& session_id);
  uint64_t Store(const std::string& room,
                 switchboard::client::v1::Message message);
  void FanOut(const switchboard::client::v1::Message& message);
  void SendFrame(int connection,
                 const switchboard::client::v1::ServerFrame& frame);

  boost::asio::io_context io_context_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type>
      work_;
  boost::asio::ip::tcp::acceptor acceptor_;
  int port_ = 0;
  int next_connection_ = 1;
  std::thread thread_;

  // Server-thread state.
  std::map<int, Connection> connections_;
  std::map<std::string, std::vector<StoredMessage>> rooms_;
  std::map<std::string, std::pair<std::string, uint64_t>> message_ids_;

  mutable absl::Mutex mu_;
  // Script, set by tests.
  Hook hook_ ABSL_GUARDED_BY(mu_);
  std::string required_token_ ABSL_GUARDED_BY(mu_);
  int decline_status_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<std::string> forced_subprotocol_ ABSL_GUARDED_BY(mu_);
  bool withhold_welcome_ ABSL_GUARDED_BY(mu_) = false;
  bool recovered_ ABSL_GUARDED_BY(mu_) = true;
  int replay_overlap_ ABSL_GUARDED_BY(mu_) = 0;
  bool batch_replay_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<absl::Duration> dedupe_window_ ABSL_GUARDED_BY(mu_);
  // Observations.
  int upgraded_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_offset_ ABSL_GUARDED_BY(mu_) = 1;
  std::vector<Frame> frames_ ABSL_GUARDED_BY(mu_);
  std::vector<BadFrame> bad_frames_ ABSL_GUARDED_BY(mu_);
  std::vector<UpgradeRecord> upgrades_ ABSL_GUARDED_BY(mu_);
  std::map<int, uint16_t> client_closes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace testing
}  // namespace client
}  // namespace switchboard

#endif  // SWITCHBOARD_TESTS_CLIENTS_CPP_FAKE_SERVER_H_
