#ifndef SWITCHBOARD_CONTROL_PRESENCE_PAGE_H_
#define SWITCHBOARD_CONTROL_PRESENCE_PAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "proto/switchboard/bus/v1/bus.pb.h"
#include "proto/switchboard/control/v1/control.pb.h"

namespace switchboard::control {

inline constexpr uint32_t kDefaultPresencePageSize = 100;
inline constexpr uint32_t kMaxPresencePageSize = 1000;

// Pages a room's presence, merged from every gateway's survey reply. Entries
// are ordered by (user_id, connection_id), duplicates of a connection_id are
// dropped, and a page token is an opaque encoding (web-safe base64) of the
// last key of the previous page: paging is stable while members come and go,
// with no server-side cursor. A page size of 0 means kDefaultPresencePageSize;
// larger than kMaxPresencePageSize is capped. A token that does not decode is
// InvalidArgument. Pure function; any thread.
absl::Status PagePresence(std::vector<switchboard::bus::v1::PresenceEntry> entries,
                          uint32_t page_size, const std::string& page_token,
                          switchboard::control::v1::GetPresenceResponse* response);

}  // namespace switchboard::control

#endif  // SWITCHBOARD_CONTROL_PRESENCE_PAGE_H_
