#include "store/crypto/encoding.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <limits>

namespace vitrine::store::crypto {
namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(std::span<const uint8_t> in, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  std::size_t rest = in.size() - i;
  if (rest == 1) {
    uint32_t v = uint32_t{in[i]} << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t n = 0; n < 256; ++n) {
    uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[n] = c;
  }
  return t;
}

}  // namespace

std::string base64_encode(std::span<const uint8_t> bytes) { return encode(bytes, kB64, true); }

std::string base64url_encode(std::span<const uint8_t> bytes) {
  return encode(bytes, kB64Url, false);
}

std::optional<SecretBytes> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = 1;
  if (text.size() >= 2 && text[text.size() - 2] == '=') pad = 2;
  SecretBytes out(text.size() / 4 * 3 - pad);
  std::size_t o = 0;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    uint32_t v = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      char c = text[i + j];
      bool last_group = i + 4 == text.size();
      if (c == '=' && last_group && j >= 4 - pad) {
        v <<= 6;
        continue;
      }
      int d = b64_value(c);
      if (d < 0) return std::nullopt;
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    uint8_t b[3] = {static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8),
                    static_cast<uint8_t>(v)};
    for (std::size_t j = 0; j < 3 && o < out.size(); ++j) out.data()[o++] = b[j];
    // Non-canonical encodings (non-zero bits in the padding) are refused.
    if (i + 4 == text.size()) {
      if (pad == 1 && b[2] != 0) return std::nullopt;
      if (pad == 2 && (b[1] != 0 || b[2] != 0)) return std::nullopt;
    }
    OPENSSL_cleanse(b, sizeof b);
  }
  return out;
}

std::string hex_encode(std::span<const uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

uint32_t crc32_ieee(std::string_view data) {
  static const std::array<uint32_t, 256> table = make_crc_table();
  uint32_t c = 0xFFFFFFFFu;
  for (char ch : data) c = table[(c ^ static_cast<uint8_t>(ch)) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

bool random_bytes(std::span<uint8_t> out) {
  if (out.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) return false;
  return RAND_bytes(out.data(), static_cast<int>(out.size())) == 1;
}

}  // namespace vitrine::store::crypto
