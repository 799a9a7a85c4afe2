#include "tests/gateway/auth/test_keys.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "gateway/auth/jws_compact.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "openssl/bn.h"
#include "openssl/core_names.h"
#include "openssl/err.h"
#include "openssl/evp.h"
#include "openssl/pem.h"

namespace switchboard::gateway::auth {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "test_keys: %s failed\n", what);
  ERR_print_errors_fp(stderr);
  std::abort();
}

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(length));
}

TestKeyPair ToPems(EVP_PKEY* key) {
  BioPtr private_bio(BIO_new(BIO_s_mem()), BIO_free);
  BioPtr public_bio(BIO_new(BIO_s_mem()), BIO_free);
  if (PEM_write_bio_PrivateKey(private_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) !=
          1 ||
      PEM_write_bio_PUBKEY(public_bio.get(), key) != 1) {
    Die("PEM_write");
  }
  return TestKeyPair{BioText(private_bio.get()), BioText(public_bio.get())};
}

PkeyPtr ReadPublic(const TestKeyPair& pair) {
  BioPtr bio(BIO_new_mem_buf(pair.public_pem.data(), static_cast<int>(pair.public_pem.size())),
             BIO_free);
  PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (key == nullptr) Die("PEM_read_bio_PUBKEY");
  return key;
}

std::string BignumParam(EVP_PKEY* key, const char* name, int pad_to) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) Die("EVP_PKEY_get_bn_param");
  int length = pad_to > 0 ? pad_to : BN_num_bytes(bn);
  std::string bytes(static_cast<size_t>(length), '\0');
  if (BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(bytes.data()), length) != length) {
    Die("BN_bn2binpad");
  }
  BN_free(bn);
  return Base64UrlEncode(bytes);
}

}  // namespace

TestKeyPair GenerateRsaKeyPair(int bits) {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)), EVP_PKEY_free);
  if (key == nullptr) Die("RSA keygen");
  return ToPems(key.get());
}

TestKeyPair GenerateEcKeyPair(const char* curve) {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve), EVP_PKEY_free);
  if (key == nullptr) Die("EC keygen");
  return ToPems(key.get());
}

const TestKeyPair& RsaKeyPair() {
  static const TestKeyPair* pair = new TestKeyPair(GenerateRsaKeyPair(2048));
  return *pair;
}

const TestKeyPair& EcKeyPair() {
  static const TestKeyPair* pair = new TestKeyPair(GenerateEcKeyPair("P-256"));
  return *pair;
}

std::string RsaPublicJwk(const TestKeyPair& pair, absl::string_view kid) {
  PkeyPtr key = ReadPublic(pair);
  nlohmann::json jwk = {{"kty", "RSA"},
                        {"n", BignumParam(key.get(), OSSL_PKEY_PARAM_RSA_N, 0)},
                        {"e", BignumParam(key.get(), OSSL_PKEY_PARAM_RSA_E, 0)}};
  if (!kid.empty()) jwk["kid"] = std::string(kid);
  return jwk.dump();
}

std::string EcPublicJwk(const TestKeyPair& pair, absl::string_view kid) {
  PkeyPtr key = ReadPublic(pair);
  nlohmann::json jwk = {{"kty", "EC"},
                        {"crv", "P-256"},
                        {"x", BignumParam(key.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32)},
                        {"y", BignumParam(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32)}};
  if (!kid.empty()) jwk["kid"] = std::string(kid);
  return jwk.dump();
}

std::string EncryptedPrivatePem(const TestKeyPair& pair) {
  BioPtr in(BIO_new_mem_buf(pair.private_pem.data(), static_cast<int>(pair.private_pem.size())),
            BIO_free);
  PkeyPtr key(PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (key == nullptr) Die("PEM_read_bio_PrivateKey");
  BioPtr out(BIO_new(BIO_s_mem()), BIO_free);
  char passphrase[] = "correct horse";
  if (PEM_write_bio_PKCS8PrivateKey(out.get(), key.get(), EVP_aes_256_cbc(), passphrase,
                                    sizeof(passphrase) - 1, nullptr, nullptr) != 1) {
    Die("PEM_write_bio_PKCS8PrivateKey");
  }
  return BioText(out.get());
}

std::string WriteTempFile(absl::string_view name, absl::string_view content) {
  static int counter = 0;
  std::string path = absl::StrCat(::testing::TempDir(), "/", ++counter, "-", name);
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(content.data(), static_cast<std::streamsize>(content.size()));
  file.close();
  if (!file) Die("writing a temp file");
  return path;
}

}  // namespace switchboard::gateway::auth
