#include "gateway/tls_session.h"

#include <openssl/bio.h>
#include <openssl/err.h>

#include <algorithm>
#include <climits>

#include "absl/strings/str_cat.h"

namespace switchboard::gateway {
namespace {

// An output buffer above this is freed once sent, so that idle connections
// keep no large buffer; small ones are reused.
constexpr size_t kKeepOutputBytes = 4096;

// The output BIO: appends whatever OpenSSL writes to a std::string (its data
// pointer). It never refuses bytes, so OpenSSL never reports WANT_WRITE.
int OutputWrite(BIO* bio, const char* data, int len) {
  if (len <= 0) return 0;
  static_cast<std::string*>(BIO_get_data(bio))->append(data, static_cast<size_t>(len));
  return len;
}

long OutputCtrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }

int OutputCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

BIO_METHOD* OutputMethod() {
  // Built once, on first use (thread-safe static initialization), and kept
  // for the process's lifetime.
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "switchboard-output");
    if (m == nullptr) return m;
    BIO_meth_set_write(m, &OutputWrite);
    BIO_meth_set_ctrl(m, &OutputCtrl);
    BIO_meth_set_create(m, &OutputCreate);
    return m;
  }();
  return method;
}

std::string DrainErrors(bool* plain_http) {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_HTTP_REQUEST) {
      *plain_http = true;
    }
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    absl::StrAppend(&out, out.empty() ? "" : "; ", buf);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsSession>> TlsSession::Create(SSL_CTX* ctx, int fd) {
  ERR_clear_error();
  std::unique_ptr<TlsSession> self(new TlsSession());
  BIO_METHOD* method = OutputMethod();
  if (method == nullptr) return absl::InternalError("cannot create the TLS output BIO method");
  self->ssl_ = SSL_new(ctx);
  if (self->ssl_ == nullptr) return absl::ResourceExhaustedError("SSL_new failed");
  BIO* rbio = BIO_new_socket(fd, BIO_NOCLOSE);
  BIO* wbio = BIO_new(method);
  if (rbio == nullptr || wbio == nullptr) {
    BIO_free(rbio);
    BIO_free(wbio);
    return absl::ResourceExhaustedError("BIO_new failed");
  }
  BIO_set_data(wbio, &self->out_);
  SSL_set_bio(self->ssl_, rbio, wbio);  // the SSL owns both from here
  SSL_set_accept_state(self->ssl_);
  return self;
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

TlsSession::Result TlsSession::Failure(int ret) {
  const int err = SSL_get_error(ssl_, ret);
  switch (err) {
    case SSL_ERROR_WANT_READ:
      read_blocked_ = true;
      return Result::kWantRead;
    case SSL_ERROR_ZERO_RETURN:
      ERR_clear_error();
      return Result::kClosed;
    case SSL_ERROR_SYSCALL:
      // EOF or a reset without an alert (the error queue is usually empty).
      ERR_clear_error();
      return Result::kClosed;
    default: {
      // OpenSSL 3 reports a peer that left without close_notify as a
      // protocol error; for the gateway it is a peer that left.
      const unsigned long first = ERR_peek_error();
      if (ERR_GET_LIB(first) == ERR_LIB_SSL &&
          ERR_GET_REASON(first) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ERR_clear_error();
        return Result::kClosed;
      }
      last_error_ = DrainErrors(&peer_sent_plain_http_);
      if (last_error_.empty()) last_error_ = absl::StrCat("SSL error ", err);
      return Result::kError;
    }
  }
}

TlsSession::Result TlsSession::Handshake() {
  ERR_clear_error();
  const int ret = SSL_do_handshake(ssl_);
  if (ret == 1) return Result::kOk;
  return Failure(ret);
}

TlsSession::Result TlsSession::Read(char* data, size_t size, size_t* read) {
  ERR_clear_error();
  const int ret = SSL_read(ssl_, data, static_cast<int>(std::min<size_t>(size, INT_MAX)));
  if (ret > 0) {
    read_blocked_ = false;
    *read = static_cast<size_t>(ret);
    return Result::kOk;
  }
  return Failure(ret);
}

bool TlsSession::Write(const char* data, size_t size) {
  ERR_clear_error();
  while (size > 0) {
    const int ret = SSL_write(ssl_, data, static_cast<int>(std::min<size_t>(size, INT_MAX)));
    if (ret <= 0) {
      Failure(ret);
      return false;
    }
    data += ret;
    size -= static_cast<size_t>(ret);
  }
  return true;
}

void TlsSession::Shutdown() {
  if (!SSL_is_init_finished(ssl_) || (SSL_get_shutdown(ssl_) & SSL_SENT_SHUTDOWN) != 0) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);  // queues close_notify; the peer's is read (or not) later
  ERR_clear_error();
}

void TlsSession::ConsumeOutput(size_t n) {
  out_offset_ += std::min(n, out_.size() - out_offset_);
  if (out_offset_ < out_.size()) return;
  out_offset_ = 0;
  if (out_.capacity() > kKeepOutputBytes) {
    std::string().swap(out_);
  } else {
    out_.clear();
  }
}

}  // namespace switchboard::gateway
