#ifndef SWITCHBOARD_GATEWAY_TRANSPORT_H_
#define SWITCHBOARD_GATEWAY_TRANSPORT_H_

#include <cstddef>
#include <memory>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "gateway/tls_session.h"

namespace switchboard::gateway {

// The byte stream under an upgrade and a connection: a non-blocking TCP
// socket, plain (ws://) or with a TlsSession on top (wss://). Deliberately
// not virtual: the plain path costs one predictable branch per read or write
// syscall, and its writes stay gather writes straight from the shared frames.
// With TLS, writes are coalesced into records of up to 16 KB, and ciphertext
// the socket did not take yet waits in the session (bounded: WriteSome takes
// nothing new while any is waiting).
//
// Errors follow Asio's non-blocking socket calls: would_block (or try_again)
// means "wait until the socket is readable" after a read and "writable" after
// a write or flush; eof or any other error means the peer is gone.
//
// Not thread-safe: one thread at a time (the owning worker's).
class Transport {
 public:
  explicit Transport(boost::asio::ip::tcp::socket socket, std::unique_ptr<TlsSession> tls = nullptr)
      : socket_(std::move(socket)), tls_(std::move(tls)) {}
  Transport(Transport&&) = default;
  Transport& operator=(Transport&&) = default;

  // Reads up to `size` bytes of application data into `data`.
  size_t ReadSome(char* data, size_t size, boost::system::error_code& ec) {
    if (tls_ == nullptr) return socket_.read_some(boost::asio::buffer(data, size), ec);
    return TlsReadSome(data, size, ec);
  }

  // True when TLS holds input that no readiness event will announce: read
  // again (soon) rather than wait for the socket. Always false for plain TCP.
  bool HasBufferedInput() const { return tls_ != nullptr && tls_->HasBufferedInput(); }

  // Writes from `buffers[0..count)` as much as the transport takes now, and
  // returns how many of their bytes it took. With TLS, taken bytes may still
  // wait as ciphertext (FlushOutput sends it), and would_block means that
  // ciphertext from an earlier call is still waiting.
  size_t WriteSome(const boost::asio::const_buffer* buffers, size_t count,
                   boost::system::error_code& ec) {
    if (tls_ == nullptr) return socket_.write_some(BufferRange{buffers, buffers + count}, ec);
    return TlsWriteSome(buffers, count, ec);
  }

  // Sends the ciphertext left by earlier calls. True when none is left;
  // otherwise false with ec set. Always true for plain TCP.
  bool FlushOutput(boost::system::error_code& ec) {
    if (tls_ == nullptr) return true;
    return TlsFlushOutput(ec);
  }
  bool has_pending_output() const { return tls_ != nullptr && !tls_->output().empty(); }

  // Ends the sending direction once everything written is out: with TLS,
  // close_notify goes first. True when done; false with ec as FlushOutput
  // (call again when writable).
  bool ShutdownSend(boost::system::error_code& ec);

  // Closes the socket (cancelling pending waits) and ends the TLS session.
  void Close();

  boost::asio::ip::tcp::socket& socket() { return socket_; }
  bool tls() const { return tls_ != nullptr; }
  TlsSession* tls_session() { return tls_.get(); }

 private:
  // A view of part of an array of buffers, as an Asio buffer sequence, so
  // that a gather write needs no allocation.
  struct BufferRange {
    const boost::asio::const_buffer* first;
    const boost::asio::const_buffer* last;
    const boost::asio::const_buffer* begin() const { return first; }
    const boost::asio::const_buffer* end() const { return last; }
  };

  size_t TlsReadSome(char* data, size_t size, boost::system::error_code& ec);
  size_t TlsWriteSome(const boost::asio::const_buffer* buffers, size_t count,
                      boost::system::error_code& ec);
  bool TlsFlushOutput(boost::system::error_code& ec);

  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsSession> tls_;
};

}  // namespace switchboard::gateway

#endif  // SWITCHBOARD_GATEWAY_TRANSPORT_H_
