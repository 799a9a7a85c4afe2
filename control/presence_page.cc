#include "control/presence_page.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "control/request_validation.h"

namespace switchboard::control {

using switchboard::bus::v1::PresenceEntry;

namespace {

using Key = std::pair<std::string, std::string>;

Key KeyOf(const PresenceEntry& e) { return {e.info().user_id(), e.info().connection_id()}; }

}  // namespace

absl::Status PagePresence(std::vector<PresenceEntry> entries, uint32_t page_size,
                          const std::string& page_token,
                          switchboard::control::v1::GetPresenceResponse* response) {
  if (page_size == 0) page_size = kDefaultPresencePageSize;
  page_size = std::min(page_size, kMaxPresencePageSize);
  Key after;
  const bool has_token = !page_token.empty();
  if (has_token) {
    absl::StatusOr<PresencePageKey> key = DecodePresencePageToken(page_token);
    if (!key.ok()) return key.status();
    after = {std::move(key->user_id), std::move(key->connection_id)};
  }

  std::sort(entries.begin(), entries.end(),
            [](const PresenceEntry& a, const PresenceEntry& b) { return KeyOf(a) < KeyOf(b); });
  // One connection is held by one gateway; a repeat is a stale survey answer.
  entries.erase(std::unique(entries.begin(), entries.end(),
                            [](const PresenceEntry& a, const PresenceEntry& b) {
                              return KeyOf(a) == KeyOf(b);
                            }),
                entries.end());

  auto it = entries.begin();
  if (has_token) {
    it = std::upper_bound(entries.begin(), entries.end(), after,
                          [](const Key& k, const PresenceEntry& e) { return k < KeyOf(e); });
  }
  for (; it != entries.end() && static_cast<uint32_t>(response->members_size()) < page_size;
       ++it) {
    auto* member = response->add_members();
    *member->mutable_info() = std::move(*it->mutable_info());
    member->set_gateway_id(it->gateway_id());
  }
  if (it != entries.end() && response->members_size() > 0) {
    const auto& last = response->members(response->members_size() - 1).info();
    response->set_next_page_token(
        EncodePresencePageToken({last.user_id(), last.connection_id()}));
  }
  return absl::OkStatus();
}

}  // namespace switchboard::control
