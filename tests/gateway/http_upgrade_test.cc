// CheckUpgrade's refusals that browsers and proxies meet, the Origin
// patterns, and the probe a client uses to learn why its upgrades fail.
#include "gateway/http_upgrade.h"

#include <string>
#include <vector>

#include <boost/beast/http.hpp>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace switchboard::gateway {
namespace {

namespace http = boost::beast::http;

http::request<http::empty_body> Upgrade(const std::string& target = "/ws") {
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "gw.example:8080");
  req.set(http::field::upgrade, "websocket");
  req.set(http::field::connection, "Upgrade");
  req.set(http::field::sec_websocket_version, "13");
  req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  return req;
}

http::request<http::empty_body> Probe(const std::string& origin,
                                      const std::string& target = "/ws?probe=1") {
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "gw.example:8080");
  if (!origin.empty()) req.set(http::field::origin, origin);
  return req;
}

bool Allowed(const std::vector<std::string>& patterns, const std::string& origin) {
  auto req = Upgrade();
  req.set(http::field::origin, origin);
  UpgradeRefusal refusal;
  return CheckUpgrade(req, patterns, &refusal).ok();
}

TEST(HttpUpgradeTest, AnUpgradeWithoutHostIsRefusedWith400) {
  auto req = Upgrade();
  req.erase(http::field::host);
  UpgradeRefusal refusal;
  EXPECT_FALSE(CheckUpgrade(req, {}, &refusal).ok());
  EXPECT_EQ(refusal.status, 400);
  EXPECT_EQ(refusal.reason, "a Host header is required");
  EXPECT_TRUE(CheckUpgrade(Upgrade(), {}, &refusal).ok());
}

TEST(HttpUpgradeTest, APortWildcardMatchesAnyPortOfThatOriginOnly) {
  const std::vector<std::string> dev = {"http://localhost:*", "http://127.0.0.1:*"};
  EXPECT_TRUE(Allowed(dev, "http://localhost"));
  EXPECT_TRUE(Allowed(dev, "http://localhost:5173"));
  EXPECT_TRUE(Allowed(dev, "HTTP://LOCALHOST:3000"));
  EXPECT_TRUE(Allowed(dev, "http://127.0.0.1:65535"));
  EXPECT_FALSE(Allowed(dev, "https://localhost:5173"));  // another scheme
  EXPECT_FALSE(Allowed(dev, "http://localhost.evil.example"));
  EXPECT_FALSE(Allowed(dev, "http://localhost:5173.evil.example"));
  EXPECT_FALSE(Allowed(dev, "http://localhost:"));
  EXPECT_FALSE(Allowed(dev, "http://localhost:123456"));
  EXPECT_FALSE(Allowed(dev, "http://localhost:80x"));
  EXPECT_FALSE(Allowed(dev, "http://127.0.0.10:80"));
  // The subdomain wildcard still works beside it.
  EXPECT_TRUE(Allowed({"https://*.example.com"}, "https://a.example.com"));
  EXPECT_FALSE(Allowed({"https://*.example.com"}, "https://example.com"));
}

TEST(HttpUpgradeTest, AProbeIsAPlainGetOnTheEndpointWithProbe1) {
  EXPECT_TRUE(IsUpgradeProbe(Probe("")));
  EXPECT_TRUE(IsUpgradeProbe(Probe("", "/ws?format=protobuf&probe=1")));
  EXPECT_FALSE(IsUpgradeProbe(Probe("", "/ws")));
  EXPECT_FALSE(IsUpgradeProbe(Probe("", "/ws?probe=0")));
  EXPECT_FALSE(IsUpgradeProbe(Probe("", "/index.html?probe=1")));
  auto post = Probe("");
  post.method(http::verb::post);
  EXPECT_FALSE(IsUpgradeProbe(post));
}

TEST(HttpUpgradeTest, AProbeIsAnsweredWhatTheUpgradeWouldBe) {
  const std::vector<std::string> allowed = {"https://app.example"};
  EXPECT_EQ(ProbeUpgrade(Probe("https://app.example"), allowed).status, 200);
  UpgradeRefusal refused = ProbeUpgrade(Probe("https://evil.example"), allowed);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.reason, "origin not allowed");
  // The same refusal as the upgrade itself.
  auto upgrade = Upgrade();
  upgrade.set(http::field::origin, "https://evil.example");
  UpgradeRefusal from_upgrade;
  ASSERT_FALSE(CheckUpgrade(upgrade, allowed, &from_upgrade).ok());
  EXPECT_EQ(from_upgrade.status, refused.status);
  EXPECT_EQ(from_upgrade.reason, refused.reason);

  EXPECT_EQ(ProbeUpgrade(Probe("https://app.example", "/ws?probe=1&format=xml"), allowed).status,
            400);
  auto no_host = Probe("https://app.example");
  no_host.erase(http::field::host);
  EXPECT_EQ(ProbeUpgrade(no_host, allowed).status, 400);
  // No Origin: not a browser; same-origin rule with an empty list.
  EXPECT_EQ(ProbeUpgrade(Probe(""), {}).status, 200);
  EXPECT_EQ(ProbeUpgrade(Probe("http://gw.example:8080"), {}).status, 200);
  EXPECT_EQ(ProbeUpgrade(Probe("http://other.example"), {}).status, 403);
}

TEST(HttpUpgradeTest, TheProbeAnswerIsJsonWithStatusAndReason) {
  const std::string body = ProbeAnswerJson(UpgradeRefusal{403, "origin \"x\" not allowed"});
  auto json = nlohmann::json::parse(body);
  EXPECT_EQ(json["status"], 403);
  EXPECT_EQ(json["reason"], "origin \"x\" not allowed");
}

}  // namespace
}  // namespace switchboard::gateway
