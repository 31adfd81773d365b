#include "store/crypto/secret_box.h"

#include <openssl/evp.h>

#include <limits>
#include <memory>

#include "store/crypto/encoding.h"

namespace vitrine::store::crypto {
namespace {

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

void put_field(std::string& out, std::string_view field) {
  auto n = static_cast<uint32_t>(field.size());
  out += static_cast<char>((n >> 24) & 0xFF);
  out += static_cast<char>((n >> 16) & 0xFF);
  out += static_cast<char>((n >> 8) & 0xFF);
  out += static_cast<char>(n & 0xFF);
  out.append(field);
}

Error crypto_error(std::string message) { return make_error(Errc::crypto, std::move(message)); }

bool fits_int(std::size_t n) {
  return n <= static_cast<std::size_t>(std::numeric_limits<int>::max());
}

struct Parsed {
  std::string key_id;
  SecretBytes blob;
};

Result<Parsed> parse(std::string_view record) {
  const std::string bad =
      "the stored record is malformed (expected v1:KEY_ID:BASE64); it was damaged or written by "
      "another program. Set the secret again";
  if (record.substr(0, 3) != "v1:") return crypto_error(bad);
  std::string_view rest = record.substr(3);
  std::size_t colon = rest.find(':');
  if (colon == std::string_view::npos) return crypto_error(bad);
  std::string id(rest.substr(0, colon));
  if (!valid_key_id(id)) return crypto_error(bad);
  auto blob = base64_decode(rest.substr(colon + 1));
  if (!blob || blob->size() < kNonceBytes + kTagBytes) return crypto_error(bad);
  return Parsed{std::move(id), std::move(*blob)};
}

}  // namespace

std::string build_aad(std::string_view key_id, const Binding& b) {
  std::string aad = "vitrine.record.v1";
  put_field(aad, key_id);
  put_field(aad, b.kind);
  put_field(aad, b.space);
  put_field(aad, b.name);
  put_field(aad, b.context);
  return aad;
}

Result<std::string> seal(const Keyring& ring, const Binding& binding,
                         std::span<const uint8_t> plaintext) {
  if (ring.empty()) return make_error(Errc::key, "the keyring is empty; run 'vitrine keys init'");
  if (!fits_int(plaintext.size())) return make_error(Errc::invalid, "value too large to encrypt");
  const Key& key = ring.newest();
  const std::string aad = build_aad(key.id, binding);
  std::string blob(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* nonce = reinterpret_cast<uint8_t*>(blob.data());
  auto* ct = nonce + kNonceBytes;
  auto* tag = ct + plaintext.size();
  if (!random_bytes({nonce, kNonceBytes})) {
    return crypto_error("the system random generator failed; nothing was stored, try again");
  }
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  bool ok =
      ctx != nullptr &&
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.bytes.data(), nonce) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const uint8_t*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), ct, &len, plaintext.data(),
                        static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), ct + len, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, tag) == 1;
  if (!ok) return crypto_error("AES-256-GCM encryption failed inside OpenSSL; nothing was stored");
  return std::string(kRecordVersion) + ":" + key.id + ":" + base64_encode(as_bytes(blob));
}

Result<SecretBytes> open(const Keyring& ring, const Binding& binding, std::string_view record) {
  auto parsed = parse(record);
  if (!parsed) return parsed.error();
  const Key* key = ring.find(parsed->key_id);
  if (key == nullptr) {
    return make_error(Errc::key, "the record was encrypted with key '" + parsed->key_id +
                                     "', which is not in the keyring; restore the keyring file "
                                     "that contains it");
  }
  const std::string aad = build_aad(key->id, binding);
  const uint8_t* nonce = parsed->blob.data();
  const uint8_t* ct = nonce + kNonceBytes;
  std::size_t ct_len = parsed->blob.size() - kNonceBytes - kTagBytes;
  uint8_t tag[kTagBytes];
  std::copy(ct + ct_len, ct + ct_len + kTagBytes, tag);
  SecretBytes out(ct_len);
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  bool ok =
      ctx != nullptr &&
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key->bytes.data(), nonce) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const uint8_t*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), out.data(), &len, ct, static_cast<int>(ct_len)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &len) == 1;
  if (!ok) {
    out.wipe();
    return crypto_error(
        "the stored record failed authentication: it was modified, or moved from another "
        "space, record or origin. It cannot be used; set the secret again");
  }
  return out;
}

std::string record_key_id(std::string_view record) {
  auto p = parse(record);
  return p ? p->key_id : std::string{};
}

std::string record_nonce(std::string_view record) {
  auto p = parse(record);
  if (!p) return {};
  return std::string(p->blob.view().substr(0, kNonceBytes));
}

}  // namespace vitrine::store::crypto
