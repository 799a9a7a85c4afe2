#include "control/tls_file_mirror.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/gateway/test_certificates.h"
#include "tests/testing/temp_dir.h"

namespace switchboard::control {
namespace {

using testing::TestCertificate;
using testing::WriteSelfSignedCertificate;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void Copy(const std::string& from, const std::string& to) {
  std::ofstream(to + ".new", std::ios::binary) << Read(from);
  ASSERT_EQ(std::rename((to + ".new").c_str(), to.c_str()), 0);
}

class TlsFileMirrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto first = WriteSelfSignedCertificate(dir_.path(), "first");
    auto second = WriteSelfSignedCertificate(dir_.path(), "second");
    ASSERT_TRUE(first.ok() && second.ok());
    first_ = *first;
    second_ = *second;
    cert_ = dir_.path() + "/served.crt";
    key_ = dir_.path() + "/served.key";
    Copy(first_.cert_file, cert_);
    Copy(first_.key_file, key_);
  }

  testing::TempDir dir_{"tls_mirror"};
  TestCertificate first_;
  TestCertificate second_;
  std::string cert_;
  std::string key_;
};

TEST_F(TlsFileMirrorTest, CopiesTheFilesAndRemovesTheCopiesAtTheEnd) {
  std::string copies;
  {
    auto mirror = TlsFileMirror::Start(cert_, key_, first_.cert_file, absl::Hours(1));
    ASSERT_TRUE(mirror.ok()) << mirror.status();
    EXPECT_EQ(Read((*mirror)->cert_file()), Read(first_.cert_file));
    EXPECT_EQ(Read((*mirror)->key_file()), Read(first_.key_file));
    EXPECT_EQ(Read((*mirror)->ca_file()), Read(first_.cert_file));
    copies = std::filesystem::path((*mirror)->cert_file()).parent_path();
    EXPECT_TRUE(std::filesystem::exists(copies));
  }
  EXPECT_FALSE(std::filesystem::exists(copies));
  auto without_ca = TlsFileMirror::Start(cert_, key_, "", absl::Hours(1));
  ASSERT_TRUE(without_ca.ok()) << without_ca.status();
  EXPECT_TRUE((*without_ca)->ca_file().empty());
}

TEST_F(TlsFileMirrorTest, BadFilesStopTheStartNamingTheFile) {
  const std::string garbage = dir_.path() + "/garbage.pem";
  std::ofstream(garbage) << "not a certificate\n";
  const struct {
    std::string cert, key, ca, expected;
  } cases[] = {
      {dir_.path() + "/missing.crt", key_, "", "missing.crt"},
      {garbage, key_, "", "garbage.pem"},
      {cert_, garbage, "", "garbage.pem"},
      {cert_, second_.key_file, "", "does not match"},
      {cert_, key_, garbage, "client CA"},
  };
  for (const auto& c : cases) {
    auto mirror = TlsFileMirror::Start(c.cert, c.key, c.ca, absl::Hours(1));
    ASSERT_FALSE(mirror.ok()) << c.expected;
    EXPECT_TRUE(absl::IsInvalidArgument(mirror.status())) << mirror.status();
    EXPECT_TRUE(absl::StrContains(mirror.status().message(), c.expected)) << mirror.status();
  }
}

TEST_F(TlsFileMirrorTest, RenewalsAreCopiedAndBrokenOnesAreNot) {
  auto started = TlsFileMirror::Start(cert_, key_, "", absl::Hours(1));
  ASSERT_TRUE(started.ok()) << started.status();
  TlsFileMirror& mirror = **started;

  // Renewed: both files replaced.
  Copy(second_.cert_file, cert_);
  Copy(second_.key_file, key_);
  ASSERT_TRUE(mirror.Refresh().ok());
  EXPECT_EQ(Read(mirror.cert_file()), Read(second_.cert_file));
  EXPECT_EQ(Read(mirror.key_file()), Read(second_.key_file));

  // Half a renewal (a new certificate, the old key): not copied.
  Copy(first_.cert_file, cert_);
  EXPECT_FALSE(mirror.Refresh().ok());
  EXPECT_EQ(Read(mirror.cert_file()), Read(second_.cert_file));

  // A broken certificate file: not copied either.
  std::ofstream(cert_, std::ios::trunc) << "-----BEGIN CERTIFICATE-----\ntruncated";
  EXPECT_FALSE(mirror.Refresh().ok());
  EXPECT_EQ(Read(mirror.cert_file()), Read(second_.cert_file));
  EXPECT_EQ(Read(mirror.key_file()), Read(second_.key_file));

  // Completed: copied.
  Copy(first_.key_file, key_);
  Copy(first_.cert_file, cert_);
  ASSERT_TRUE(mirror.Refresh().ok());
  EXPECT_EQ(Read(mirror.cert_file()), Read(first_.cert_file));
  EXPECT_EQ(Read(mirror.key_file()), Read(first_.key_file));
}

}  // namespace
}  // namespace switchboard::control
