#include "gateway/auth/jws_crypto.h"

#include <climits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "openssl/bn.h"
#include "openssl/crypto.h"
#include "openssl/ec.h"
#include "openssl/err.h"
#include "openssl/hmac.h"
#include "openssl/pem.h"

namespace switchboard::gateway::auth {
namespace {

// R and S of a P-256 signature, each (RFC 7518 §3.4).
constexpr int kEs256PartBytes = 32;

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter>;

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Drains the calling thread's OpenSSL error queue into one line.
std::string TakeOpenSslErrors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    absl::StrAppend(&out, out.empty() ? "" : "; ", buffer);
  }
  return out.empty() ? "no OpenSSL detail" : out;
}

SharedEvpPkey Share(EVP_PKEY* key) { return SharedEvpPkey(key, EVP_PKEY_free); }

BioPtr ReadOnlyBio(absl::string_view text) {
  if (text.size() > INT_MAX) return nullptr;
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// pem_password_cb that refuses: without it OpenSSL would prompt on the tty.
int RefusePassphrase(char*, int, int, void*) { return -1; }

// JWS R||S -> the DER ECDSA-Sig-Value that OpenSSL verifies.
std::optional<std::string> EcdsaRawToDer(absl::string_view raw) {
  if (raw.size() != 2 * kEs256PartBytes) return std::nullopt;
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(Bytes(raw), kEs256PartBytes, nullptr);
  BIGNUM* s = BN_bin2bn(Bytes(raw) + kEs256PartBytes, kEs256PartBytes, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);  // Still ours: set0 takes ownership only when it succeeds.
    BN_free(s);
    return std::nullopt;
  }
  int length = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (length <= 0) return std::nullopt;
  std::string der(static_cast<size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != length) return std::nullopt;
  return der;
}

// OpenSSL's DER ECDSA-Sig-Value -> JWS R||S.
std::optional<std::string> EcdsaDerToRaw(absl::string_view der) {
  const unsigned char* in = Bytes(der);
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der.size())));
  if (sig == nullptr) return std::nullopt;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(2 * kEs256PartBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, kEs256PartBytes) != kEs256PartBytes ||
      BN_bn2binpad(s, out + kEs256PartBytes, kEs256PartBytes) != kEs256PartBytes) {
    return std::nullopt;
  }
  return raw;
}

}  // namespace

absl::StatusOr<SharedEvpPkey> ReadPublicKeyPem(absl::string_view pem) {
  ERR_clear_error();
  BioPtr bio = ReadOnlyBio(pem);
  EVP_PKEY* key = bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "not a PEM public key (want -----BEGIN PUBLIC KEY-----): ", TakeOpenSslErrors()));
  }
  return Share(key);
}

absl::StatusOr<SharedEvpPkey> ReadPrivateKeyPem(absl::string_view pem) {
  ERR_clear_error();
  BioPtr bio = ReadOnlyBio(pem);
  EVP_PKEY* key =
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, RefusePassphrase, nullptr) : nullptr;
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an unencrypted PEM private key: ", TakeOpenSslErrors()));
  }
  return Share(key);
}

absl::StatusOr<std::string> WritePublicKeyPem(EVP_PKEY* key) {
  ERR_clear_error();
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    return absl::InternalError(absl::StrCat("cannot write PEM: ", TakeOpenSslErrors()));
  }
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(length));
}

absl::Status CheckKeyForAlgorithm(EVP_PKEY* key, JwsAlgorithm algorithm) {
  absl::Status status = absl::OkStatus();
  switch (algorithm) {
    case JwsAlgorithm::kHs256:
      status = absl::InvalidArgumentError("HS256 takes a shared secret, not a PEM key");
      break;
    case JwsAlgorithm::kRs256:
      if (!EVP_PKEY_is_a(key, "RSA")) {
        status = absl::InvalidArgumentError("RS256 needs an RSA key");
      } else if (EVP_PKEY_get_bits(key) < kMinRsaBits) {
        status = absl::InvalidArgumentError(absl::StrCat(
            "RS256 key has ", EVP_PKEY_get_bits(key), " bits; at least ", kMinRsaBits, " needed"));
      }
      break;
    case JwsAlgorithm::kEs256: {
      char group[64] = {0};
      size_t length = 0;
      if (!EVP_PKEY_is_a(key, "EC") ||
          EVP_PKEY_get_group_name(key, group, sizeof(group), &length) != 1 ||
          absl::string_view(group, length) != SN_X9_62_prime256v1) {
        status = absl::InvalidArgumentError("ES256 needs an EC key on curve P-256");
      }
      break;
    }
  }
  ERR_clear_error();
  return status;
}

std::string HmacSha256(absl::string_view secret, absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (secret.size() > INT_MAX || HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
                                      Bytes(data), data.size(), mac, &length) == nullptr) {
    ERR_clear_error();
    return "";
  }
  return std::string(reinterpret_cast<char*>(mac), length);
}

bool VerifyHmacSha256(absl::string_view secret, absl::string_view data, absl::string_view mac) {
  std::string expected = HmacSha256(secret, data);
  if (expected.empty() || mac.size() != expected.size()) return false;
  return CRYPTO_memcmp(expected.data(), mac.data(), mac.size()) == 0;
}

absl::StatusOr<std::string> SignWithKey(EVP_PKEY* key, JwsAlgorithm algorithm,
                                        absl::string_view data) {
  if (algorithm == JwsAlgorithm::kHs256) {
    return absl::InvalidArgumentError("HS256 signs with HmacSha256");
  }
  ERR_clear_error();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::string signature(static_cast<size_t>(EVP_PKEY_get_size(key)), '\0');
  size_t length = signature.size();
  if (ctx == nullptr || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     Bytes(data), data.size()) != 1) {
    return absl::InternalError(absl::StrCat("signing failed: ", TakeOpenSslErrors()));
  }
  signature.resize(length);
  if (algorithm == JwsAlgorithm::kRs256) return signature;
  std::optional<std::string> raw = EcdsaDerToRaw(signature);
  if (!raw.has_value()) {
    ERR_clear_error();
    return absl::InternalError("ECDSA signature does not fit P-256");
  }
  return *std::move(raw);
}

bool VerifyWithKey(EVP_PKEY* key, JwsAlgorithm algorithm, absl::string_view data,
                   absl::string_view signature) {
  std::string der;
  switch (algorithm) {
    case JwsAlgorithm::kHs256:
      return false;
    case JwsAlgorithm::kRs256:
      if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(key))) return false;
      break;
    case JwsAlgorithm::kEs256: {
      std::optional<std::string> converted = EcdsaRawToDer(signature);
      ERR_clear_error();
      if (!converted.has_value()) return false;
      der = *std::move(converted);
      signature = der;
      break;
    }
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  bool valid =
      ctx != nullptr && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx.get(), Bytes(signature), signature.size(), Bytes(data), data.size()) ==
          1;
  // A bad signature queues errors; they belong to nobody once we return.
  ERR_clear_error();
  return valid;
}

}  // namespace switchboard::gateway::auth
