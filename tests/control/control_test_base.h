#ifndef SWITCHBOARD_TESTS_CONTROL_CONTROL_TEST_BASE_H_
#define SWITCHBOARD_TESTS_CONTROL_CONTROL_TEST_BASE_H_

#include <functional>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/time/time.h"
#include "control/control_options.h"
#include "control/control_server.h"
#include "gtest/gtest.h"
#include "proto/switchboard/control/v1/control.grpc.pb.h"
#include "tests/testing/nats_server.h"

namespace switchboard::control::testing {

// A real nats-server (JetStream) and an in-process ControlServer on free
// ports, reached over real gRPC. Tests customise the options before StartAll.
class ControlTestBase : public ::testing::Test {
 protected:
  // Starts NATS, then the control server with Options() as adjusted by
  // `customize`. Fails the test (fatally) on error.
  void StartAll(const std::function<void(ControlOptions&)>& customize = nullptr);
  void TearDown() override;

  // Defaults for tests: port 0 everywhere, memory storage, short timeouts.
  ControlOptions Options() const;

  // A context with a deadline and, if non-empty, `authorization: Bearer key`.
  std::unique_ptr<grpc::ClientContext> Ctx(absl::Duration timeout = absl::Seconds(10),
                                           const std::string& api_key = "") const;

  switchboard::control::v1::ControlService::Stub& stub() { return *stub_; }

  // Publishes a text message to `room` and returns the ack (fails the test
  // on a non-OK status).
  switchboard::control::v1::PublishResponse MustPublish(const std::string& room,
                                                        const std::string& text,
                                                        const std::string& message_id = "");

  std::unique_ptr<switchboard::testing::NatsServer> nats_;
  std::unique_ptr<ControlServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<switchboard::control::v1::ControlService::Stub> stub_;
};

}  // namespace switchboard::control::testing

#endif  // SWITCHBOARD_TESTS_CONTROL_CONTROL_TEST_BASE_H_
