#include "gateway/auth/jwks.h"

#include <exception>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "gateway/auth/jws_compact.h"
#include "gateway/auth/jws_crypto.h"
#include "nlohmann/json.hpp"
#include "openssl/bn.h"
#include "openssl/core_names.h"
#include "openssl/err.h"
#include "openssl/param_build.h"

namespace switchboard::gateway::auth {
namespace {

// Each P-256 coordinate, in bytes (RFC 7518 §6.2.1.2: exactly this long).
constexpr size_t kP256CoordinateBytes = 32;

struct ParamBldDeleter {
  void operator()(OSSL_PARAM_BLD* bld) const { OSSL_PARAM_BLD_free(bld); }
};
struct ParamDeleter {
  void operator()(OSSL_PARAM* params) const { OSSL_PARAM_free(params); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
struct BnDeleter {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, ParamDeleter>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;

// A member that must be a base64url string; nullopt when absent or not one.
std::optional<std::string> Base64UrlMember(const nlohmann::json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) return std::nullopt;
  return Base64UrlDecode(it->get_ref<const std::string&>());
}

std::string StringMember(const nlohmann::json& jwk, const char* name) {
  auto it = jwk.find(name);
  return it != jwk.end() && it->is_string() ? it->get<std::string>() : "";
}

BnPtr ToBignum(const std::string& bytes) {
  return BnPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                         static_cast<int>(bytes.size()), nullptr));
}

// Builds a public EVP_PKEY of `type` ("RSA", "EC") from `params` and checks it
// (on-curve point, sane RSA numbers) before anyone trusts it.
absl::StatusOr<SharedEvpPkey> PublicKeyFromParams(const char* type, OSSL_PARAM_BLD* bld) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw_key = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw_key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("not a valid ", type, " public key"));
  }
  SharedEvpPkey key(raw_key, EVP_PKEY_free);
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  bool valid = check != nullptr && EVP_PKEY_public_check(check.get()) == 1;
  ERR_clear_error();
  if (!valid) return absl::InvalidArgumentError(absl::StrCat("not a valid ", type, " public key"));
  return key;
}

absl::StatusOr<SharedEvpPkey> RsaKey(const nlohmann::json& jwk) {
  std::optional<std::string> n = Base64UrlMember(jwk, "n");
  std::optional<std::string> e = Base64UrlMember(jwk, "e");
  if (!n || !e || n->empty() || e->empty()) {
    return absl::InvalidArgumentError("RSA key needs base64url `n` and `e`");
  }
  BnPtr n_bn = ToBignum(*n);
  BnPtr e_bn = ToBignum(*e);
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!n_bn || !e_bn || !bld ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n_bn.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e_bn.get())) {
    ERR_clear_error();
    return absl::ResourceExhaustedError("OpenSSL allocation failed");
  }
  return PublicKeyFromParams("RSA", bld.get());
}

absl::StatusOr<SharedEvpPkey> P256Key(const nlohmann::json& jwk) {
  std::optional<std::string> x = Base64UrlMember(jwk, "x");
  std::optional<std::string> y = Base64UrlMember(jwk, "y");
  if (!x || !y || x->size() != kP256CoordinateBytes || y->size() != kP256CoordinateBytes) {
    return absl::InvalidArgumentError("EC P-256 key needs 32-byte base64url `x` and `y`");
  }
  // SEC 1 uncompressed point: 0x04 || X || Y.
  std::string point = absl::StrCat("\x04", *x, *y);
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, SN_X9_62_prime256v1,
                                       0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                        point.size())) {
    ERR_clear_error();
    return absl::ResourceExhaustedError("OpenSSL allocation failed");
  }
  return PublicKeyFromParams("EC", bld.get());
}

// The KeyConfig for one JWK; nullopt (not an error) for keys to skip.
absl::StatusOr<std::optional<KeyConfig>> ConvertJwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return absl::InvalidArgumentError("key is not a JSON object");
  KeyConfig config;
  config.kid = StringMember(jwk, "kid");
  std::string kty = StringMember(jwk, "kty");
  std::string crv = StringMember(jwk, "crv");
  std::string alg = StringMember(jwk, "alg");
  if (StringMember(jwk, "use") == "enc") return std::optional<KeyConfig>();

  absl::StatusOr<SharedEvpPkey> key;
  if (kty == "RSA") {
    config.algorithm = JwsAlgorithm::kRs256;
    key = RsaKey(jwk);
  } else if (kty == "EC" && crv == "P-256") {
    config.algorithm = JwsAlgorithm::kEs256;
    key = P256Key(jwk);
  } else {
    SB_LOG_WARN("JWKS: skipping key kid=\"{}\" of type {} {} (only RSA and EC P-256 are used)",
                config.kid, kty, crv);
    return std::optional<KeyConfig>();
  }
  if (!alg.empty() && alg != JwsAlgorithmName(config.algorithm)) {
    SB_LOG_WARN("JWKS: skipping key kid=\"{}\" with alg {} (only RS256 and ES256 are used)",
                config.kid, alg);
    return std::optional<KeyConfig>();
  }
  if (!key.ok()) return key.status();
  absl::Status usable = CheckKeyForAlgorithm(key->get(), config.algorithm);
  if (!usable.ok()) return usable;
  absl::StatusOr<std::string> pem = WritePublicKeyPem(key->get());
  if (!pem.ok()) return pem.status();
  config.material = *std::move(pem);
  return std::optional<KeyConfig>(std::move(config));
}

absl::StatusOr<std::vector<KeyConfig>> ParseJwksOrThrow(absl::string_view json) {
  absl::StatusOr<nlohmann::json> set = ParseJsonObject(json);
  if (!set.ok()) return absl::InvalidArgumentError(absl::StrCat("JWKS: ", set.status().message()));
  auto keys = set->find("keys");
  if (keys == set->end() || !keys->is_array()) {
    return absl::InvalidArgumentError("JWKS: no \"keys\" array");
  }
  std::vector<KeyConfig> configs;
  for (size_t i = 0; i < keys->size(); ++i) {
    absl::StatusOr<std::optional<KeyConfig>> config = ConvertJwk((*keys)[i]);
    if (!config.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("JWKS key #", i, ": ", config.status().message()));
    }
    if (config->has_value()) configs.push_back(**std::move(config));
  }
  if (configs.empty()) return absl::InvalidArgumentError("JWKS: no usable RS256 or ES256 key");
  return configs;
}

}  // namespace

absl::StatusOr<std::vector<KeyConfig>> ParseJwks(absl::string_view json) {
  try {
    return ParseJwksOrThrow(json);
  } catch (const std::exception& e) {
    // Every JSON access checks the type first; this keeps the no-exceptions
    // contract should one slip through anyway.
    return absl::InvalidArgumentError(absl::StrCat("JWKS: ", e.what()));
  }
}

absl::StatusOr<std::vector<KeyConfig>> LoadJwksFile(const std::string& path) {
  absl::StatusOr<std::string> json = ReadKeyFile(path);
  if (!json.ok()) return json.status();
  absl::StatusOr<std::vector<KeyConfig>> keys = ParseJwks(*json);
  if (!keys.ok()) {
    return absl::Status(keys.status().code(), absl::StrCat(path, ": ", keys.status().message()));
  }
  return keys;
}

}  // namespace switchboard::gateway::auth
