#include "gateway/transport.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace switchboard::gateway {

namespace net = boost::asio;

namespace {

// The largest TLS record payload (2^14): small frames are coalesced up to it.
constexpr size_t kTlsRecordBytes = 16 * 1024;
// Plaintext encrypted per WriteSome before the socket is tried: what one
// gather write of the plain path typically carries, in four records.
constexpr size_t kTlsBatchBytes = 64 * 1024;

// Where small frames are coalesced into one record. Per thread, like the
// worker's read buffer: SSL_write consumes it before WriteSome returns.
thread_local std::array<char, kTlsRecordBytes> tls_staging;

bool WouldBlock(const boost::system::error_code& ec) {
  return ec == net::error::would_block || ec == net::error::try_again;
}

}  // namespace

size_t Transport::TlsReadSome(char* data, size_t size, boost::system::error_code& ec) {
  size_t n = 0;
  switch (tls_->Read(data, size, &n)) {
    case TlsSession::Result::kOk:
      ec = {};
      return n;
    case TlsSession::Result::kWantRead:
      ec = net::error::would_block;
      return 0;
    case TlsSession::Result::kClosed:
      ec = net::error::eof;
      return 0;
    case TlsSession::Result::kError:
      break;
  }
  ec = net::error::connection_aborted;
  return 0;
}

size_t Transport::TlsWriteSome(const net::const_buffer* buffers, size_t count,
                               boost::system::error_code& ec) {
  if (!TlsFlushOutput(ec)) return 0;
  size_t taken = 0;
  size_t staged = 0;
  bool ok = true;
  for (size_t i = 0; ok && i < count && taken + staged < kTlsBatchBytes; ++i) {
    const char* p = static_cast<const char*>(buffers[i].data());
    size_t left = buffers[i].size();
    while (ok && left > 0 && taken + staged < kTlsBatchBytes) {
      if (staged == 0 && left >= kTlsRecordBytes) {
        // A large frame is encrypted where it lies (OpenSSL cuts the records).
        const size_t n = std::min(left, kTlsBatchBytes - taken);
        ok = tls_->Write(p, n);
        taken += n;
        p += n;
        left -= n;
        continue;
      }
      const size_t n = std::min({left, kTlsRecordBytes - staged, kTlsBatchBytes - taken - staged});
      std::memcpy(tls_staging.data() + staged, p, n);
      staged += n;
      p += n;
      left -= n;
      if (staged == kTlsRecordBytes) {
        ok = tls_->Write(tls_staging.data(), staged);
        taken += staged;
        staged = 0;
      }
    }
  }
  if (ok && staged > 0) {
    ok = tls_->Write(tls_staging.data(), staged);
    taken += staged;
  }
  if (!ok) {
    ec = net::error::connection_aborted;
    return 0;
  }
  // The bytes are taken either way; what the socket refuses now waits for
  // the next call or FlushOutput.
  boost::system::error_code flush_ec;
  if (!TlsFlushOutput(flush_ec) && !WouldBlock(flush_ec)) {
    ec = flush_ec;
    return 0;
  }
  ec = {};
  return taken;
}

bool Transport::TlsFlushOutput(boost::system::error_code& ec) {
  ec = {};
  for (;;) {
    absl::string_view out = tls_->output();
    if (out.empty()) return true;
    const size_t n = socket_.write_some(net::buffer(out.data(), out.size()), ec);
    if (ec) return false;
    tls_->ConsumeOutput(n);
  }
}

bool Transport::ShutdownSend(boost::system::error_code& ec) {
  if (tls_ != nullptr) {
    tls_->Shutdown();
    if (!TlsFlushOutput(ec)) return false;
  }
  boost::system::error_code ignored;
  socket_.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  ec = {};
  return true;
}

void Transport::Close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
  // The descriptor number may be reused at once: the session must not read
  // it again.
  tls_.reset();
}

}  // namespace switchboard::gateway
