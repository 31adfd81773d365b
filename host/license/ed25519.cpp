// Ed25519 through OpenSSL's EVP one-shot API. Kept apart from the verifier so
// that the only code touching raw key bytes is these three functions.
#include <openssl/evp.h>

#include <memory>

#include "license/verifier.h"

namespace vitrine::license {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

bool ed25519_verify(std::string_view public_key, std::string_view message,
                    std::string_view signature) {
  if (public_key.size() != 32 || signature.size() != 64) return false;
  Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes(public_key), 32));
  MdCtx ctx(EVP_MD_CTX_new());
  if (!key || !ctx) return false;
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(message),
                          message.size()) == 1;
}

std::string ed25519_sign(std::string_view private_key, std::string_view message) {
  if (private_key.size() != 32) return {};
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes(private_key), 32));
  MdCtx ctx(EVP_MD_CTX_new());
  if (!key || !ctx) return {};
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return {};
  std::string sig(64, '\0');
  size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, bytes(message),
                     message.size()) != 1) {
    return {};
  }
  sig.resize(len);
  return sig;
}

bool ed25519_generate(std::string& private_key, std::string& public_key) {
  EVP_PKEY* raw = nullptr;
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr), &EVP_PKEY_CTX_free);
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    return false;
  }
  Pkey key(raw);
  size_t priv_len = 32, pub_len = 32;
  private_key.assign(32, '\0');
  public_key.assign(32, '\0');
  return EVP_PKEY_get_raw_private_key(
             key.get(), reinterpret_cast<unsigned char*>(private_key.data()), &priv_len) == 1 &&
         EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(public_key.data()),
                                     &pub_len) == 1;
}

}  // namespace vitrine::license
