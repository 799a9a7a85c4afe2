#include "tools/sbctl/sbctl.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "control/grpc_status.h"
#include "tools/sbctl/format.h"
#include "tools/sbctl/table.h"

namespace switchboard::sbctl {

namespace v1 = switchboard::control::v1;

namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

grpc::Status InvalidArgument(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

std::string Offset(uint64_t offset) { return offset == 0 ? "-" : absl::StrCat(offset); }

}  // namespace

const char Sbctl::kUsage[] =
    R"(usage: sbctl [--addr=127.0.0.1:50051] [--api_key=KEY | $SBCTL_API_KEY] [--json] COMMAND ...

commands:
  publish ROOM TEXT            [--json_payload] [--message_id=ID]
  broadcast ROOM[,ROOM...] TEXT [--json_payload] [--message_id=ID]
  presence ROOM                [--page_size=N] [--page_token=T]
  stats ROOM
  history ROOM                 [--after=OFFSET | --latest=N] [--limit=N]
  kick USER                    [--reason=TEXT] [--ban_for=1h]
  disconnect CONNECTION        [--reason=TEXT] [--reconnect]
  subscribe USER ROOM          [--since=OFFSET] [--presence]
  unsubscribe USER ROOM        [--reason=TEXT]
  info
  watch ROOM                   [--since=OFFSET] [--presence]   (Ctrl-C stops)
)";

Sbctl::Sbctl(SbctlOptions options, std::shared_ptr<grpc::ChannelInterface> channel,
             std::ostream& out, std::ostream& err)
    : options_(std::move(options)),
      stub_(v1::ControlService::NewStub(std::move(channel))),
      out_(out),
      err_(err) {}

absl::StatusOr<std::shared_ptr<grpc::Channel>> Sbctl::MakeChannel(const SbctlOptions& options) {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  const bool tls = options.tls || !options.tls_ca_file.empty() || !options.tls_cert_file.empty();
  if (!tls) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    if (!options.tls_ca_file.empty()) {
      auto ca = ReadFile(options.tls_ca_file);
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
    }
    if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
      return absl::InvalidArgumentError("--tls_cert_file and --tls_key_file go together");
    }
    if (!options.tls_cert_file.empty()) {
      auto cert = ReadFile(options.tls_cert_file);
      if (!cert.ok()) return cert.status();
      auto key = ReadFile(options.tls_key_file);
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    credentials = grpc::SslCredentials(ssl);
  }
  return grpc::CreateChannel(options.addr, credentials);
}

std::unique_ptr<grpc::ClientContext> Sbctl::Context(bool unary) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!options_.api_key.empty()) ctx->AddMetadata("authorization", "Bearer " + options_.api_key);
  if (unary) ctx->set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
  return ctx;
}

absl::StatusOr<switchboard::client::v1::Payload> Sbctl::Payload(const std::string& text) const {
  if (options_.json_payload) return JsonPayload(text);
  switchboard::client::v1::Payload payload;
  payload.set_text(text);
  return payload;
}

grpc::Status Sbctl::UsageError(const std::string& message) {
  usage_error_ = true;
  return InvalidArgument(message);
}

int Sbctl::Run(const std::vector<std::string>& args) {
  if (args.empty()) {
    err_ << kUsage;
    return 2;
  }
  const std::string& command = args[0];
  const Args operands(args.begin() + 1, args.end());
  grpc::Status status;
  if (command == "publish") {
    status = Publish(operands);
  } else if (command == "broadcast") {
    status = Broadcast(operands);
  } else if (command == "presence") {
    status = Presence(operands);
  } else if (command == "stats") {
    status = Stats(operands);
  } else if (command == "history") {
    status = History(operands);
  } else if (command == "kick") {
    status = Kick(operands);
  } else if (command == "disconnect") {
    status = Disconnect(operands);
  } else if (command == "subscribe") {
    status = Subscribe(operands);
  } else if (command == "unsubscribe") {
    status = Unsubscribe(operands);
  } else if (command == "info") {
    status = Info(operands);
  } else if (command == "watch") {
    status = Watch(operands);
  } else if (command == "help") {
    out_ << kUsage;
    return 0;
  } else {
    status = UsageError(absl::StrCat("unknown command \"", command, "\""));
  }
  if (status.ok() && !partial_failure_.empty()) {
    // The call went through, but not for everything it asked (broadcast).
    err_ << "sbctl: " << command << ": " << partial_failure_ << "\n";
    return 1;
  }
  if (status.ok()) return 0;
  if (usage_error_) {
    err_ << "sbctl: " << status.error_message() << "\n\n" << kUsage;
    return 2;
  }
  err_ << "sbctl: " << command << ": " << switchboard::control::StatusCodeName(status.error_code()) << ": "
       << status.error_message() << "\n";
  return 1;
}

grpc::Status Sbctl::Publish(const Args& args) {
  if (args.size() != 2) return UsageError("publish takes ROOM TEXT");
  v1::PublishRequest request;
  request.set_room(args[0]);
  request.set_message_id(options_.message_id);
  auto payload = Payload(args[1]);
  if (!payload.ok()) return UsageError(std::string(payload.status().message()));
  *request.mutable_payload() = std::move(*payload);
  v1::PublishResponse response;
  auto ctx = Context(true);
  grpc::Status status = stub_->Publish(ctx.get(), request, &response);
  if (!status.ok()) return status;
  if (options_.json) {
    out_ << ToJsonLine(response) << "\n";
  } else if (response.offset() == 0) {
    out_ << "sent to " << args[0] << " (ephemeral: no offset)  message_id " << response.message_id()
         << "\n";
  } else {
    out_ << "stored in " << args[0] << " at offset " << response.offset() << "  message_id "
         << response.message_id() << (response.duplicate() ? "  (duplicate: stored before)" : "")
         << "\n";
  }
  return status;
}

grpc::Status Sbctl::Broadcast(const Args& args) {
  if (args.size() != 2) return UsageError("broadcast takes ROOM[,ROOM...] TEXT");
  v1::BroadcastRequest request;
  for (absl::string_view room : absl::StrSplit(args[0], ',', absl::SkipEmpty())) {
    request.add_rooms(std::string(room));
  }
  request.set_message_id(options_.message_id);
  auto payload = Payload(args[1]);
  if (!payload.ok()) return UsageError(std::string(payload.status().message()));
  *request.mutable_payload() = std::move(*payload);
  v1::BroadcastResponse response;
  auto ctx = Context(true);
  grpc::Status status = stub_->Broadcast(ctx.get(), request, &response);
  if (!status.ok()) return status;
  int failed = 0;
  for (const auto& result : response.results()) failed += result.has_ack() ? 0 : 1;
  if (failed > 0) {
    partial_failure_ = absl::StrCat(failed, " of ", response.results_size(),
                                    " rooms failed; the others were published");
  }
  if (options_.json) {
    out_ << ToJsonLine(response) << "\n";
    return status;
  }
  Table table({"ROOM", "OFFSET", "MESSAGE_ID", "RESULT"});
  for (const auto& result : response.results()) {
    if (result.has_ack()) {
      table.AddRow({result.room(), Offset(result.ack().offset()), result.ack().message_id(),
                    result.ack().duplicate() ? "duplicate" : "ok"});
    } else {
      table.AddRow({result.room(), "-", "-", "error: " + result.error()});
    }
  }
  out_ << table.Render();
  return status;
}

grpc::Status Sbctl::Presence(const Args& args) {
  if (args.size() != 1) return UsageError("presence takes ROOM");
  v1::GetPresenceRequest request;
  request.set_room(args[0]);
  request.set_page_size(options_.page_size);
  request.set_page_token(options_.page_token);
  // Without --page_token every page is fetched; with it, just that one.
  const bool one_page = !options_.page_token.empty();
  Table table({"USER", "CONNECTION", "GATEWAY", "JOINED", "META"});
  size_t members = 0;
  while (true) {
    v1::GetPresenceResponse response;
    auto ctx = Context(true);
    grpc::Status status = stub_->GetPresence(ctx.get(), request, &response);
    if (!status.ok()) return status;
    if (options_.json) {
      out_ << ToJsonLine(response) << "\n";
    } else {
      for (const auto& m : response.members()) {
        table.AddRow({m.info().user_id(), m.info().connection_id(), m.gateway_id(),
                      FormatTime(m.info().joined_at()), FormatStruct(m.info().meta())});
      }
    }
    members += response.members_size();
    if (one_page || response.next_page_token().empty()) {
      if (!options_.json) {
        out_ << table.Render();
        if (one_page && !response.next_page_token().empty()) {
          out_ << "next page: --page_token=" << response.next_page_token() << "\n";
        }
        out_ << members << (members == 1 ? " connection\n" : " connections\n");
      }
      return status;
    }
    request.set_page_token(response.next_page_token());
  }
}

grpc::Status Sbctl::Stats(const Args& args) {
  if (args.size() != 1) return UsageError("stats takes ROOM");
  v1::GetPresenceStatsRequest request;
  request.set_room(args[0]);
  v1::GetPresenceStatsResponse response;
  auto ctx = Context(true);
  grpc::Status status = stub_->GetPresenceStats(ctx.get(), request, &response);
  if (!status.ok()) return status;
  if (options_.json) {
    out_ << ToJsonLine(response) << "\n";
  } else {
    out_ << "room:         " << args[0] << "\nconnections:  " << response.connections()
         << "\nusers:        " << response.users() << "\n";
  }
  return status;
}

grpc::Status Sbctl::History(const Args& args) {
  if (args.size() != 1) return UsageError("history takes ROOM");
  if (options_.after >= 0 && options_.latest > 0) {
    return UsageError("history takes --after or --latest, not both");
  }
  v1::GetHistoryRequest request;
  request.set_room(args[0]);
  if (options_.latest > 0) {
    request.set_latest(true);
    request.set_limit(static_cast<uint32_t>(options_.latest));
  } else {
    request.set_after_offset(options_.after >= 0 ? options_.after : 0);
    request.set_limit(options_.limit);
  }
  if (options_.limit > 0) request.set_limit(options_.limit);
  v1::GetHistoryResponse response;
  auto ctx = Context(true);
  grpc::Status status = stub_->GetHistory(ctx.get(), request, &response);
  if (!status.ok()) return status;
  if (options_.json) {
    out_ << ToJsonLine(response) << "\n";
    return status;
  }
  Table table({"OFFSET", "TIME", "SENDER", "MESSAGE_ID", "PAYLOAD"});
  for (const auto& m : response.messages()) {
    table.AddRow({absl::StrCat(m.offset()), FormatTime(m.time()), FormatSender(m.sender()),
                  m.message_id(), FormatPayload(m.payload())});
  }
  out_ << table.Render() << response.messages_size() << " messages; retained offsets "
       << Offset(response.earliest_offset()) << ".." << Offset(response.latest_offset()) << "\n";
  return status;
}

grpc::Status Sbctl::Kick(const Args& args) {
  if (args.size() != 1) return UsageError("kick takes USER");
  v1::KickUserRequest request;
  request.set_user_id(args[0]);
  request.set_reason(options_.reason);
  if (options_.ban_for > absl::ZeroDuration()) {
    const int64_t ns = absl::ToInt64Nanoseconds(options_.ban_for);
    request.mutable_ban_for()->set_seconds(ns / 1000000000);
    request.mutable_ban_for()->set_nanos(static_cast<int32_t>(ns % 1000000000));
  }
  v1::KickUserResponse response;
  auto ctx = Context(true);
  grpc::Status status = stub_->KickUser(ctx.get(), request, &response);
  if (!status.ok()) return status;
  if (options_.json) {
    out_ << ToJsonLine(response) << "\n";
  } else {
    out_ << "kicked " << args[0] << ": " << response.connections_closed()
         << " connections closed" << "\n";
  }
  return status;
}

grpc::Status Sbctl::Disconnect(const Args& args) {
  if (args.size() != 1) return UsageError("disconnect takes CONNECTION");
  v1::DisconnectRequest request;
  request.set_connection_id(args[0]);
  request.set_reason(options_.reason);
  request.set_reconnect(options_.reconnect);
  v1::DisconnectResponse response;
  auto ctx = Context(true);
  grpc::Status status = stub_->Disconnect(ctx.get(), request, &response);
  if (!status.ok()) return status;
  if (options_.json) {
    out_ << ToJsonLine(response) << "\n";
  } else {
    out_ << "disconnected " << args[0] << "\n";
  }
  return status;
}

grpc::Status Sbctl::Subscribe(const Args& args) {
  if (args.size() != 2) return UsageError("subscribe takes USER ROOM");
  v1::SubscribeRequest request;
  request.set_user_id(args[0]);
  request.set_room(args[1]);
  if (options_.since >= 0) request.set_since_offset(options_.since);
  request.set_presence(options_.presence);
  v1::SubscribeResponse response;
  auto ctx = Context(true);
  grpc::Status status = stub_->Subscribe(ctx.get(), request, &response);
  if (!status.ok()) return status;
  if (options_.json) {
    out_ << ToJsonLine(response) << "\n";
  } else {
    out_ << "joined " << response.connections() << " connections of " << args[0] << " to "
         << args[1] << "\n";
  }
  return status;
}

grpc::Status Sbctl::Unsubscribe(const Args& args) {
  if (args.size() != 2) return UsageError("unsubscribe takes USER ROOM");
  v1::UnsubscribeRequest request;
  request.set_user_id(args[0]);
  request.set_room(args[1]);
  request.set_reason(options_.reason);
  v1::UnsubscribeResponse response;
  auto ctx = Context(true);
  grpc::Status status = stub_->Unsubscribe(ctx.get(), request, &response);
  if (!status.ok()) return status;
  if (options_.json) {
    out_ << ToJsonLine(response) << "\n";
  } else {
    out_ << "removed " << response.connections() << " connections of " << args[0] << " from "
         << args[1] << "\n";
  }
  return status;
}

grpc::Status Sbctl::Info(const Args& args) {
  if (!args.empty()) return UsageError("info takes no operands");
  v1::GetInfoResponse response;
  auto ctx = Context(true);
  grpc::Status status = stub_->GetInfo(ctx.get(), v1::GetInfoRequest(), &response);
  if (!status.ok()) return status;
  if (options_.json) {
    out_ << ToJsonLine(response) << "\n";
    return status;
  }
  Table table({"GATEWAY", "ADDRESS", "CONNECTIONS", "ROOMS", "STARTED", "STATE", "VERSION"});
  for (const auto& gw : response.gateways()) {
    table.AddRow({gw.gateway_id(), gw.advertise_address(), absl::StrCat(gw.connections()),
                  absl::StrCat(gw.rooms()), FormatTime(gw.started_at()),
                  gw.draining() ? "draining" : "serving", gw.version()});
  }
  out_ << table.Render() << response.gateways_size() << " gateways, " << response.connections()
       << " connections, " << response.rooms() << " rooms\n";
  return status;
}

grpc::Status Sbctl::Watch(const Args& args) {
  if (args.size() != 1) return UsageError("watch takes ROOM");
  v1::WatchRequest request;
  request.set_room(args[0]);
  if (options_.since >= 0) request.set_since_offset(options_.since);
  request.set_presence(options_.presence);
  auto ctx = Context(false);
  auto reader = stub_->Watch(ctx.get(), request);
  v1::WatchEvent event;
  while (reader->Read(&event)) {
    if (options_.json) {
      out_ << ToJsonLine(event) << std::endl;
      continue;
    }
    out_ << FormatWatchEvent(event) << std::endl;
  }
  return reader->Finish();
}

}  // namespace switchboard::sbctl
