#include "tests/gateway/test_certificates.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace switchboard::testing {
namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
};

absl::Status OpenSslError(absl::string_view what) {
  char buf[256] = "unknown error";
  if (unsigned long e = ERR_get_error()) ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return absl::InternalError(absl::StrCat(what, ": ", buf));
}

bool AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, Free> ext(
      X509V3_EXT_conf_nid(nullptr, &ctx, nid, const_cast<char*>(value)));
  return ext != nullptr && X509_add_ext(cert, ext.get(), -1) == 1;
}

}  // namespace

absl::StatusOr<TestCertificate> WriteSelfSignedCertificate(const std::string& dir,
                                                           const std::string& name,
                                                           absl::Duration validity) {
  std::unique_ptr<EVP_PKEY, Free> key(EVP_EC_gen("P-256"));
  if (key == nullptr) return OpenSslError("EC key");
  std::unique_ptr<X509, Free> cert(X509_new());
  if (cert == nullptr) return OpenSslError("X509_new");
  X509_set_version(cert.get(), 2);  // v3
  uint64_t serial = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof(serial));
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial >> 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), absl::ToInt64Seconds(validity));
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), subject);
  X509_set_pubkey(cert.get(), key.get());
  if (!AddExtension(cert.get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !AddExtension(cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign") ||
      !AddExtension(cert.get(), NID_ext_key_usage, "serverAuth") ||
      !AddExtension(cert.get(), NID_subject_key_identifier, "hash") ||
      !AddExtension(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1")) {
    return OpenSslError("certificate extensions");
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return OpenSslError("X509_sign");

  TestCertificate out{absl::StrCat(dir, "/", name, ".crt"), absl::StrCat(dir, "/", name, ".key")};
  std::unique_ptr<BIO, Free> cert_bio(BIO_new_file(out.cert_file.c_str(), "w"));
  if (cert_bio == nullptr || PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1) {
    return OpenSslError(out.cert_file);
  }
  std::unique_ptr<BIO, Free> key_bio(BIO_new_file(out.key_file.c_str(), "w"));
  if (key_bio == nullptr || PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0,
                                                     nullptr, nullptr) != 1) {
    return OpenSslError(out.key_file);
  }
  return out;
}

absl::Status WriteEncryptedKey(const std::string& key_file, const std::string& out_file,
                               const std::string& passphrase) {
  std::unique_ptr<BIO, Free> in(BIO_new_file(key_file.c_str(), "r"));
  if (in == nullptr) return OpenSslError(key_file);
  std::unique_ptr<EVP_PKEY, Free> key(PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) return OpenSslError(key_file);
  std::unique_ptr<BIO, Free> out(BIO_new_file(out_file.c_str(), "w"));
  if (out == nullptr ||
      PEM_write_bio_PrivateKey(out.get(), key.get(), EVP_aes_256_cbc(),
                               reinterpret_cast<const unsigned char*>(passphrase.data()),
                               static_cast<int>(passphrase.size()), nullptr, nullptr) != 1) {
    return OpenSslError(out_file);
  }
  return absl::OkStatus();
}

}  // namespace switchboard::testing
