#ifndef SWITCHBOARD_CONTROL_TLS_FILE_MIRROR_H_
#define SWITCHBOARD_CONTROL_TLS_FILE_MIRROR_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace switchboard::control {

// Keeps checked copies of the control plane's TLS files in a private
// directory, for gRPC's FileWatcherCertificateProvider to watch. gRPC's
// watcher hands new connections whatever the files hold, so a certificate
// file caught half-written, or replaced by a broken one, would fail every
// new handshake. The mirror reads the operator's files every `interval` and
// copies them only once they parse (PEM certificate chain, PEM private key
// that matches it, PEM CA bundle): a broken renewal is logged and the last
// good files stay. Each copy is replaced by rename, so the watcher never reads
// a half-written one. Thread-safe; the copies are removed on destruction.
class TlsFileMirror {
 public:
  // Checks and copies the files once (InvalidArgument, naming the file, when
  // one is missing, unreadable or does not parse, or the key does not match
  // the certificate), then watches them. `ca_file` may be empty.
  static absl::StatusOr<std::unique_ptr<TlsFileMirror>> Start(const std::string& cert_file,
                                                              const std::string& key_file,
                                                              const std::string& ca_file,
                                                              absl::Duration interval);
  ~TlsFileMirror();
  TlsFileMirror(const TlsFileMirror&) = delete;
  TlsFileMirror& operator=(const TlsFileMirror&) = delete;

  // The checked copies, for the certificate provider.
  const std::string& cert_file() const { return cert_copy_; }
  const std::string& key_file() const { return key_copy_; }
  // Empty when no CA file was given.
  const std::string& ca_file() const { return ca_copy_; }

  // Reads the operator's files now and copies them if they changed and are
  // good; the watcher thread calls it every interval. Returns the check's
  // error (the copies are then left as they were).
  absl::Status Refresh();

 private:
  TlsFileMirror() = default;

  std::string cert_file_;
  std::string key_file_;
  std::string ca_file_;
  std::string dir_;
  std::string cert_copy_;
  std::string key_copy_;
  std::string ca_copy_;
  // What the copies hold now (compared, so that unchanged files are not
  // rewritten and a broken one is logged once).
  std::string cert_ ABSL_GUARDED_BY(mu_);
  std::string key_ ABSL_GUARDED_BY(mu_);
  std::string ca_ ABSL_GUARDED_BY(mu_);
  absl::Mutex mu_;
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread watcher_;
};

}  // namespace switchboard::control

#endif  // SWITCHBOARD_CONTROL_TLS_FILE_MIRROR_H_
