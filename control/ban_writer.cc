#include "control/ban_writer.h"

namespace switchboard::control {

absl::Status BanWriter::Put(const switchboard::bus::v1::Ban& ban) {
  fanout::BanStore* store = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (store_ == nullptr) {
      if (!nats_->connected()) return absl::UnavailableError("not connected to NATS");
      auto opened = fanout::BanStore::Open(nats_->jetstream(), subjects_, replicas_, file_storage_);
      if (!opened.ok()) return opened.status();
      store_ = std::move(*opened);
    }
    store = store_.get();
  }
  return store->Put(ban);
}

}  // namespace switchboard::control
