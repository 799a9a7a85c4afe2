#include "control/presence_page.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace switchboard::control {

using switchboard::bus::v1::PresenceEntry;

namespace {

// Version byte first, so the encoding can change without misreading old tokens.
constexpr char kTokenVersion = '1';
// Neither a user id from a JWT `sub` nor a connection id contains NUL in
// practice; if one did, the ordering would still be total, only less exact.
constexpr char kSeparator = '\0';

using Key = std::pair<std::string, std::string>;

Key KeyOf(const PresenceEntry& e) { return {e.info().user_id(), e.info().connection_id()}; }

std::string EncodeToken(const Key& key) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(std::string(1, kTokenVersion), key.first, std::string(1, kSeparator),
                   key.second));
}

absl::Status DecodeToken(const std::string& token, Key* key) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.empty() || raw[0] != kTokenVersion) {
    return absl::InvalidArgumentError("page_token is not one this server issued");
  }
  const size_t sep = raw.find(kSeparator, 1);
  if (sep == std::string::npos) {
    return absl::InvalidArgumentError("page_token is not one this server issued");
  }
  key->first = raw.substr(1, sep - 1);
  key->second = raw.substr(sep + 1);
  return absl::OkStatus();
}

}  // namespace

absl::Status PagePresence(std::vector<PresenceEntry> entries, uint32_t page_size,
                          const std::string& page_token,
                          switchboard::control::v1::GetPresenceResponse* response) {
  if (page_size == 0) page_size = kDefaultPresencePageSize;
  page_size = std::min(page_size, kMaxPresencePageSize);
  Key after;
  const bool has_token = !page_token.empty();
  if (has_token) {
    if (absl::Status s = DecodeToken(page_token, &after); !s.ok()) return s;
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
    response->set_next_page_token(EncodeToken({last.user_id(), last.connection_id()}));
  }
  return absl::OkStatus();
}

}  // namespace switchboard::control
