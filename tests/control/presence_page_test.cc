#include "control/presence_page.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace switchboard::control {
namespace {

using switchboard::bus::v1::PresenceEntry;
using switchboard::control::v1::GetPresenceResponse;

PresenceEntry Entry(const std::string& user, const std::string& conn, const std::string& gw) {
  PresenceEntry e;
  e.set_gateway_id(gw);
  e.mutable_info()->set_user_id(user);
  e.mutable_info()->set_connection_id(conn);
  return e;
}

std::vector<std::string> Keys(const GetPresenceResponse& r) {
  std::vector<std::string> out;
  for (const auto& m : r.members()) {
    out.push_back(absl::StrCat(m.info().user_id(), "/", m.info().connection_id(), "@", m.gateway_id()));
  }
  return out;
}

TEST(PresencePageTest, SortsDedupesAndPages) {
  std::vector<PresenceEntry> entries = {Entry("bob", "b1", "g2"), Entry("alice", "a2", "g1"),
                                        Entry("alice", "a1", "g2"), Entry("bob", "b1", "g2"),
                                        Entry("carol", "c1", "g1")};
  GetPresenceResponse first;
  ASSERT_TRUE(PagePresence(entries, 2, "", &first).ok());
  EXPECT_EQ(Keys(first), (std::vector<std::string>{"alice/a1@g2", "alice/a2@g1"}));
  ASSERT_FALSE(first.next_page_token().empty());

  GetPresenceResponse second;
  ASSERT_TRUE(PagePresence(entries, 2, first.next_page_token(), &second).ok());
  EXPECT_EQ(Keys(second), (std::vector<std::string>{"bob/b1@g2", "carol/c1@g1"}));
  EXPECT_TRUE(second.next_page_token().empty()) << "last page";
}

TEST(PresencePageTest, TokensStayValidWhileMembersChange) {
  std::vector<PresenceEntry> entries = {Entry("a", "1", "g"), Entry("b", "1", "g"),
                                        Entry("c", "1", "g")};
  GetPresenceResponse first;
  ASSERT_TRUE(PagePresence(entries, 1, "", &first).ok());
  // "a" leaves and "aa" joins before the next page: the page continues after "a".
  entries = {Entry("aa", "1", "g"), Entry("b", "1", "g"), Entry("c", "1", "g")};
  GetPresenceResponse second;
  ASSERT_TRUE(PagePresence(entries, 1, first.next_page_token(), &second).ok());
  EXPECT_EQ(Keys(second), (std::vector<std::string>{"aa/1@g"}));
}

TEST(PresencePageTest, DefaultAndMaximumPageSizes) {
  std::vector<PresenceEntry> entries;
  for (int i = 0; i < 1500; ++i) entries.push_back(Entry(absl::StrCat("u", 10000 + i), "c", "g"));
  GetPresenceResponse by_default;
  ASSERT_TRUE(PagePresence(entries, 0, "", &by_default).ok());
  EXPECT_EQ(by_default.members_size(), static_cast<int>(kDefaultPresencePageSize));
  GetPresenceResponse capped;
  ASSERT_TRUE(PagePresence(entries, 100000, "", &capped).ok());
  EXPECT_EQ(capped.members_size(), static_cast<int>(kMaxPresencePageSize));
}

TEST(PresencePageTest, EmptyAndBadTokens) {
  GetPresenceResponse empty;
  ASSERT_TRUE(PagePresence({}, 10, "", &empty).ok());
  EXPECT_EQ(empty.members_size(), 0);
  EXPECT_TRUE(empty.next_page_token().empty());
  GetPresenceResponse bad;
  for (const char* token : {"!!!", "eA", "MmFsaWNl"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(PagePresence({}, 10, token, &bad))) << token;
  }
}

}  // namespace
}  // namespace switchboard::control
