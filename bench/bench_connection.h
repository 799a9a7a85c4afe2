#ifndef SWITCHBOARD_BENCH_BENCH_CONNECTION_H_
#define SWITCHBOARD_BENCH_BENCH_CONNECTION_H_

#include <array>
#include <cstdint>
#include <string>

#include <boost/asio.hpp>

#include "absl/strings/string_view.h"
#include "bench/ws_frame_codec.h"
#include "proto/switchboard/client/v1/client.pb.h"

namespace switchboard::bench {

enum class WireFormat {
  kProto,  // Switchboard protocol, subprotocol switchboard.v1.proto
  kJson,   // Switchboard protocol, subprotocol switchboard.v1.json
  // No Switchboard protocol: plain WebSocket binary messages carrying the
  // bench payload only, for comparison servers (bench/baseline) that
  // broadcast every message they receive. No token, no subprotocol.
  kRaw,
};

class BenchConnection;

// Receives the events of BenchConnections. Called on the io_context thread only.
class ConnectionListener {
 public:
  virtual ~ConnectionListener() = default;
  // Any ServerFrame, Welcome included. `received_ns` is the wall clock (ns since
  // the Unix epoch) at which the bytes were read.
  virtual void OnFrame(BenchConnection& connection, const client::v1::ServerFrame& frame,
                       int64_t received_ns) = 0;
  // The connection failed or closed; it may be Start()ed again.
  virtual void OnClosed(BenchConnection& connection, absl::string_view reason) = 0;
  // The server accepted the WebSocket upgrade (every format).
  virtual void OnUpgraded(BenchConnection& connection) {}
  // WireFormat::kRaw only: one data message, in place of OnFrame.
  virtual void OnRawMessage(BenchConnection& connection, absl::string_view payload,
                            int64_t received_ns) {}
};

// One client WebSocket to the gateway: TCP connect, HTTP upgrade with a Bearer
// token, then ClientFrames out and ServerFrames in (or, with WireFormat::kRaw,
// plain binary messages both ways). Answers pings. At most one
// write is in flight; later frames are batched into the next write.
// Single-threaded: every method must be called on the io_context thread.
class BenchConnection {
 public:
  BenchConnection(boost::asio::io_context& io, int index, boost::asio::ip::tcp::endpoint endpoint,
                  std::string token, WireFormat format, ConnectionListener* listener);
  BenchConnection(const BenchConnection&) = delete;
  BenchConnection& operator=(const BenchConnection&) = delete;

  // Connects and upgrades. Frames may be Send()-ed once Welcome arrived.
  void Start();
  void Send(const client::v1::ClientFrame& frame);
  // One binary message (WireFormat::kRaw).
  void SendBinary(absl::string_view payload);
  // Closes the socket without a Close frame (simulates a lost network).
  void Drop();

  int index() const { return index_; }
  bool open() const { return open_; }

 private:
  void OnConnect(uint64_t generation, const boost::system::error_code& ec);
  void DoRead(uint64_t generation);
  void OnRead(uint64_t generation, const boost::system::error_code& ec, size_t bytes);
  bool HandleHandshake();
  void HandleMessages();
  void SendRaw(uint8_t opcode, absl::string_view payload);
  void DoWrite();
  void Fail(absl::string_view reason);

  boost::asio::io_context& io_;
  const int index_;
  const boost::asio::ip::tcp::endpoint endpoint_;
  const std::string token_;
  const WireFormat format_;
  ConnectionListener* const listener_;

  boost::asio::ip::tcp::socket socket_;
  // Bumped on every (re)start and drop so callbacks of an old socket are ignored.
  uint64_t generation_ = 0;
  bool open_ = false;
  bool upgraded_ = false;
  std::string handshake_buffer_;
  WsFrameCodec codec_;
  std::array<char, 8192> read_buffer_;
  std::string pending_;
  std::string writing_;
  bool write_in_flight_ = false;
  uint32_t mask_state_;
};

}  // namespace switchboard::bench

#endif  // SWITCHBOARD_BENCH_BENCH_CONNECTION_H_
