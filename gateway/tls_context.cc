#include "gateway/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace switchboard::gateway {
namespace {

// Drains this thread's OpenSSL error queue into one line.
std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    absl::StrAppend(&out, out.empty() ? "" : "; ", buf);
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

absl::Status CheckReadable(const std::string& path, absl::string_view what) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("TLS ", what, " \"", path, "\": ", std::strerror(errno)));
  }
  std::fclose(f);
  return absl::OkStatus();
}

// Without this OpenSSL would prompt on the terminal for an encrypted key.
int NoPassphrase(char*, int, int, void*) { return 0; }

// WebSockets run over HTTP/1.1: select it when the client offers ALPN (a
// browser may offer h2 too), and answer without ALPN otherwise.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
               unsigned int in_len, void*) {
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_len, kHttp11, sizeof(kHttp11), in, in_len) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

// "subject CN=..., expires ..." of the leaf; warns when it is outside its
// validity period (clients will refuse it, but starting lets operators see why).
std::string DescribeCertificate(SSL_CTX* ctx) {
  X509* cert = SSL_CTX_get0_certificate(ctx);
  if (cert == nullptr) return "no certificate";
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return "certificate";
  X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
  const std::string subject = BioText(bio);
  BIO_reset(bio);
  ASN1_TIME_print(bio, X509_get0_notAfter(cert));
  const std::string expires = BioText(bio);
  BIO_free(bio);
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) {
    SB_LOG_WARN("the TLS certificate ({}) expired on {}", subject, expires);
  } else if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0) {
    SB_LOG_WARN("the TLS certificate ({}) is not valid yet", subject);
  }
  return absl::StrCat(subject, ", expires ", expires);
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsContext>> TlsContext::Create(const TlsOptions& options) {
  if (options.cert_file.empty() || options.key_file.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs both a certificate chain file and a private key file");
  }
  int min_version = 0;
  if (options.min_version == "1.2") {
    min_version = TLS1_2_VERSION;
  } else if (options.min_version == "1.3") {
    min_version = TLS1_3_VERSION;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("TLS minimum version must be 1.2 or 1.3, not \"", options.min_version, "\""));
  }
  if (absl::Status s = CheckReadable(options.cert_file, "certificate chain"); !s.ok()) return s;
  if (absl::Status s = CheckReadable(options.key_file, "private key"); !s.ok()) return s;

  ERR_clear_error();
  SSL_CTX* raw = SSL_CTX_new(TLS_server_method());
  if (raw == nullptr) return absl::InternalError(absl::StrCat("SSL_CTX_new: ", OpenSslErrors()));
  std::unique_ptr<TlsContext> self(new TlsContext(raw));
  SSL_CTX* ctx = self->ctx_;

  SSL_CTX_set_default_passwd_cb(ctx, &NoPassphrase);
  if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("TLS certificate chain \"", options.cert_file,
                     "\" is not a usable PEM certificate chain: ", OpenSslErrors()));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    const unsigned long e = ERR_peek_last_error();
    if (ERR_GET_LIB(e) == ERR_LIB_X509 && (ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH ||
                                           ERR_GET_REASON(e) == X509_R_KEY_TYPE_MISMATCH)) {
      ERR_clear_error();
      return absl::InvalidArgumentError(absl::StrCat("TLS private key \"", options.key_file,
                                                     "\" does not match the certificate in \"",
                                                     options.cert_file, "\""));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("TLS private key \"", options.key_file,
                     "\" is not a usable unencrypted PEM private key: ", OpenSslErrors()));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("TLS private key \"", options.key_file,
                                                   "\" does not match the certificate in \"",
                                                   options.cert_file, "\": ", OpenSslErrors()));
  }
  if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1) {
    return absl::InternalError(absl::StrCat("TLS minimum version: ", OpenSslErrors()));
  }
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle connections give their 16 KB record buffers back; read-ahead takes
  // whole records (and more) per recv instead of header and body apart.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_alpn_select_cb(ctx, &SelectAlpn, nullptr);
  self->description_ = DescribeCertificate(ctx);
  if (X509* cert = SSL_CTX_get0_certificate(ctx); cert != nullptr) {
    struct tm tm {};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1) {
      self->not_after_ = absl::FromTimeT(timegm(&tm));
    }
  }
  ERR_clear_error();
  return self;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

}  // namespace switchboard::gateway
