#include "tools/sbctl/format.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"

namespace switchboard::sbctl {

using switchboard::client::v1::Payload;

std::string FormatPayload(const Payload& payload) {
  switch (payload.data_case()) {
    case Payload::kText:
      return payload.text();
    case Payload::kJson: {
      std::string json;
      if (!google::protobuf::util::MessageToJsonString(payload.json(), &json).ok()) {
        return "<unprintable json>";
      }
      return json;
    }
    case Payload::kBinary:
      return absl::StrCat("<", payload.binary().size(),
                          " bytes> base64:", absl::Base64Escape(payload.binary()));
    default:
      return "<empty>";
  }
}

std::string FormatTime(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "-";
  const absl::Time t = absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

std::string FormatSender(const switchboard::client::v1::Sender& sender) {
  if (sender.user_id().empty() && sender.connection_id().empty()) return "control plane";
  if (sender.connection_id().empty()) return sender.user_id();
  return absl::StrCat(sender.user_id(), "/", sender.connection_id());
}

std::string FormatWatchEvent(const switchboard::control::v1::WatchEvent& event) {
  namespace client = switchboard::client::v1;
  if (event.has_message()) {
    const auto& m = event.message();
    const std::string offset = m.offset() == 0 ? "-" : absl::StrCat(m.offset());
    return absl::StrCat(FormatTime(m.time()), "  [", offset, "] ", FormatSender(m.sender()), ": ",
                        FormatPayload(m.payload()));
  }
  if (event.has_presence()) {
    const auto& p = event.presence();
    const char* change = p.change() == client::PRESENCE_CHANGE_JOIN    ? "joined"
                         : p.change() == client::PRESENCE_CHANGE_LEAVE ? "left"
                                                                       : "changed";
    return absl::StrCat("presence: ", p.info().user_id(), " (", p.info().connection_id(), ") ",
                        change);
  }
  if (event.has_ephemeral()) {
    const auto& e = event.ephemeral();
    return absl::StrCat(FormatTime(e.time()), "  ~", client::EphemeralType_Name(e.type()),
                        e.name().empty() ? "" : " ", e.name(), " ", FormatSender(e.sender()),
                        ": ", FormatPayload(e.payload()));
  }
  return "<unknown event>";
}

std::string FormatStruct(const google::protobuf::Struct& value) {
  if (value.fields().empty()) return "";
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(value, &json).ok()) return "<unprintable>";
  return json;
}

std::string ToJsonLine(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) return absl::StrCat("{\"error\": \"", absl::CEscape(status.ToString()), "\"}");
  return json;
}

absl::StatusOr<Payload> JsonPayload(absl::string_view json) {
  Payload payload;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), payload.mutable_json());
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("payload is not JSON: ", status.ToString()));
  }
  return payload;
}

}  // namespace switchboard::sbctl
