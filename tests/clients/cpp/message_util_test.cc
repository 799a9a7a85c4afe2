#include "clients/cpp/message_util.h"

#include <set>

#include "gtest/gtest.h"

namespace switchboard {
namespace client {
namespace {

TEST(MessageUtilTest, BuildsPayloads) {
  EXPECT_EQ(TextPayload("hi").text(), "hi");
  EXPECT_EQ(BinaryPayload(std::string("\0\1", 2)).binary(),
            std::string("\0\1", 2));
  absl::StatusOr<v1::Payload> json = JsonPayload(R"({"n": 1, "s": ["x"]})");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(json->json().struct_value().fields().at("n").number_value(), 1);
  EXPECT_EQ(JsonPayload("{oops").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(MessageUtilTest, MessageIdsAreVersion4UuidsAndDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewMessageId();
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[8], '-');
    EXPECT_EQ(id[14], '4');
    EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' ||
                id[19] == 'b')
        << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

}  // namespace
}  // namespace client
}  // namespace switchboard
