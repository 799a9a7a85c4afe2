#include "tests/control/control_test_base.h"

#include "absl/strings/str_cat.h"

namespace switchboard::control::testing {

namespace v1 = switchboard::control::v1;

ControlOptions ControlTestBase::Options() const {
  ControlOptions options;
  options.control_id = "control-test";
  options.grpc_address = "127.0.0.1:0";
  options.admin_port = 0;
  if (nats_ != nullptr) options.nats.urls = nats_->url();
  options.stream.file_storage = false;
  options.command_timeout = absl::Seconds(2);
  options.rpc_threads = 4;
  return options;
}

void ControlTestBase::StartAll(const std::function<void(ControlOptions&)>& customize) {
  if (nats_ == nullptr) {
    auto nats = switchboard::testing::NatsServer::Start();
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = std::move(*nats);
  }
  ControlOptions options = Options();
  if (customize) customize(options);
  auto server = ControlServer::Start(std::move(options));
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = std::move(*server);
  channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->grpc_port()),
                                 grpc::InsecureChannelCredentials());
  stub_ = v1::ControlService::NewStub(channel_);
}

void ControlTestBase::TearDown() {
  stub_.reset();
  channel_.reset();
  if (server_) server_->Stop(absl::Seconds(1));
  server_.reset();
  nats_.reset();
}

std::unique_ptr<grpc::ClientContext> ControlTestBase::Ctx(absl::Duration timeout,
                                                          const std::string& api_key) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (!api_key.empty()) ctx->AddMetadata("authorization", "Bearer " + api_key);
  return ctx;
}

v1::PublishResponse ControlTestBase::MustPublish(const std::string& room, const std::string& text,
                                                 const std::string& message_id) {
  v1::PublishRequest request;
  request.set_room(room);
  request.set_message_id(message_id);
  request.mutable_payload()->set_text(text);
  v1::PublishResponse response;
  auto ctx = Ctx();
  grpc::Status status = stub_->Publish(ctx.get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  return response;
}

}  // namespace switchboard::control::testing
