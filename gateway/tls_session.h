#ifndef SWITCHBOARD_GATEWAY_TLS_SESSION_H_
#define SWITCHBOARD_GATEWAY_TLS_SESSION_H_

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace switchboard::gateway {

// The server side of one TLS connection on a non-blocking socket. OpenSSL
// reads the socket's file descriptor itself, but everything it writes
// (handshake messages, records, alerts, close_notify) is appended to an output
// buffer that the owner sends when the socket is writable. So no OpenSSL call
// ever waits for writability: reads wait only for readable, writes only for
// writable, and a read that makes OpenSSL answer something (an alert, a key
// update) never blocks on a full send buffer.
//
// Not thread-safe: one thread at a time (the owning worker's). Every call
// starts from an empty OpenSSL error queue, so errors left on the thread by
// other OpenSSL users (JWT verification) are not mistaken for this session's.
class TlsSession {
 public:
  enum class Result {
    kOk,        // done (Handshake) or data read (Read)
    kWantRead,  // needs more bytes from the socket: send output() and wait
    kClosed,    // the peer closed (close_notify, EOF or reset)
    kError,     // protocol error; last_error() says which
  };

  // Binds a new server-side session to `fd`, which must stay open for the
  // session's lifetime (the session never closes it).
  static absl::StatusOr<std::unique_ptr<TlsSession>> Create(SSL_CTX* ctx, int fd);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Advances the handshake with what the socket holds. Its answer, if any,
  // is in output() whatever the result (on kError: the alert).
  Result Handshake();

  // Decrypts up to `size` bytes into `data` (*read set on kOk).
  Result Read(char* data, size_t size, size_t* read);

  // True when decrypted or received bytes wait inside OpenSSL that no socket
  // readiness event will announce: Read again instead of waiting.
  bool HasBufferedInput() const { return !read_blocked_ && SSL_has_pending(ssl_) == 1; }

  // Encrypts `size` bytes (as records of up to 16 KB) onto output(). False
  // only if the session is broken (after an error or Shutdown).
  bool Write(const char* data, size_t size);

  // Queues close_notify on output() (once; only after the handshake).
  void Shutdown();

  // Ciphertext waiting for the socket, and how much of it the socket took.
  absl::string_view output() const {
    return absl::string_view(out_.data() + out_offset_, out_.size() - out_offset_);
  }
  void ConsumeOutput(size_t n);

  // The last kError's OpenSSL errors, for logs.
  const std::string& last_error() const { return last_error_; }
  // The last kError came from plain HTTP sent to the TLS port.
  bool peer_sent_plain_http() const { return peer_sent_plain_http_; }

 private:
  TlsSession() = default;
  Result Failure(int ret);

  SSL* ssl_ = nullptr;
  // Written by OpenSSL through the output BIO.
  std::string out_;
  size_t out_offset_ = 0;
  bool read_blocked_ = false;
  bool peer_sent_plain_http_ = false;
  std::string last_error_;
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_TLS_SESSION_H_
