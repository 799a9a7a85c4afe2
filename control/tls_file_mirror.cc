#include "control/tls_file_mirror.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace switchboard::control {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(what, " \"", path, "\" cannot be read"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Writes `content` to `path` atomically (temp file, then rename), readable
// by this process only.
absl::Status WriteAtomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

BioPtr Bio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
}

// The first certificate of a PEM chain, or null.
X509Ptr FirstCertificate(const std::string& pem) {
  BioPtr bio = Bio(pem);
  return X509Ptr(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr,
                 &X509_free);
}

// Checks what the files hold; the error names the file.
absl::Status Check(const std::string& cert, const std::string& cert_file, const std::string& key,
                   const std::string& key_file, const std::string& ca,
                   const std::string& ca_file) {
  ERR_clear_error();
  X509Ptr leaf = FirstCertificate(cert);
  if (leaf == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("TLS certificate \"", cert_file, "\" holds no PEM certificate"));
  }
  BioPtr key_bio = Bio(key);
  // No passphrase callback prompt: an encrypted key fails here.
  static pem_password_cb* const kNoPassphrase = [](char*, int, int, void*) { return 0; };
  KeyPtr pkey(key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, kNoPassphrase, nullptr)
                      : nullptr,
              &EVP_PKEY_free);
  if (pkey == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("TLS key \"", key_file, "\" is not an unencrypted PEM private key"));
  }
  if (X509_check_private_key(leaf.get(), pkey.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("TLS key \"", key_file,
                                                   "\" does not match the certificate in \"",
                                                   cert_file, "\""));
  }
  if (!ca_file.empty() && FirstCertificate(ca) == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("client CA \"", ca_file, "\" holds no PEM certificate"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsFileMirror>> TlsFileMirror::Start(const std::string& cert_file,
                                                                    const std::string& key_file,
                                                                    const std::string& ca_file,
                                                                    absl::Duration interval) {
  std::unique_ptr<TlsFileMirror> self(new TlsFileMirror());
  self->cert_file_ = cert_file;
  self->key_file_ = key_file;
  self->ca_file_ = ca_file;
  std::error_code ec;
  std::string pattern = (std::filesystem::temp_directory_path(ec) / "switchboard-tls-XXXXXX");
  if (ec || mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError("cannot create a directory for the TLS files");
  }
  self->dir_ = pattern;
  self->cert_copy_ = self->dir_ + "/cert.pem";
  self->key_copy_ = self->dir_ + "/key.pem";
  if (!ca_file.empty()) self->ca_copy_ = self->dir_ + "/ca.pem";
  if (absl::Status s = self->Refresh(); !s.ok()) return s;
  TlsFileMirror* raw = self.get();
  self->watcher_ = std::thread([raw, interval] {
    while (!raw->stop_.WaitForNotificationWithTimeout(interval)) {
      raw->Refresh().IgnoreError();  // logged by Refresh
    }
  });
  return self;
}

TlsFileMirror::~TlsFileMirror() {
  stop_.Notify();
  if (watcher_.joinable()) watcher_.join();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

absl::Status TlsFileMirror::Refresh() {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::string> cert = ReadFile(cert_file_, "TLS certificate");
  absl::StatusOr<std::string> key = ReadFile(key_file_, "TLS key");
  absl::StatusOr<std::string> ca =
      ca_file_.empty() ? absl::StatusOr<std::string>("") : ReadFile(ca_file_, "client CA");
  absl::Status status = !cert.ok() ? cert.status() : !key.ok() ? key.status() : ca.status();
  if (status.ok() && *cert == cert_ && *key == key_ && *ca == ca_) return absl::OkStatus();
  if (status.ok()) status = Check(*cert, cert_file_, *key, key_file_, *ca, ca_file_);
  if (!status.ok()) {
    if (!cert_.empty() && status.ToString() != last_error_) {
      SB_LOG_ERROR("TLS files not reloaded, keeping the last good ones: {}", status.ToString());
    }
    last_error_ = status.ToString();
    return status;
  }
  for (const auto& [path, content] : {std::pair{&key_copy_, &*key}, std::pair{&cert_copy_, &*cert},
                                      std::pair{&ca_copy_, &*ca}}) {
    if (path->empty()) continue;
    if (absl::Status s = WriteAtomically(*path, *content); !s.ok()) return s;
  }
  if (!cert_.empty()) SB_LOG_INFO("TLS files reloaded from {}", cert_file_);
  cert_ = *std::move(cert);
  key_ = *std::move(key);
  ca_ = *std::move(ca);
  last_error_.clear();
  return absl::OkStatus();
}

}  // namespace switchboard::control
