// Buffers for key material and plaintext secrets. Their memory is wiped with
// OPENSSL_cleanse when they die, so a key or token does not linger in freed
// heap blocks (it can still be in registers, swap or core dumps: see
// docs/security/storage.md, threat model).
#pragma once

#include <openssl/crypto.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vitrine::store::crypto {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t n) : b_(n, 0) {}
  SecretBytes(const uint8_t* p, std::size_t n) : b_(p, p + n) {}
  SecretBytes(const SecretBytes& o) : b_(o.b_) {}
  SecretBytes(SecretBytes&& o) noexcept : b_(std::move(o.b_)) { o.b_.clear(); }
  SecretBytes& operator=(const SecretBytes& o) {
    if (this != &o) {
      wipe();
      b_ = o.b_;
    }
    return *this;
  }
  SecretBytes& operator=(SecretBytes&& o) noexcept {
    if (this != &o) {
      wipe();
      b_ = std::move(o.b_);
      o.b_.clear();
    }
    return *this;
  }
  ~SecretBytes() { wipe(); }

  uint8_t* data() { return b_.data(); }
  const uint8_t* data() const { return b_.data(); }
  std::size_t size() const { return b_.size(); }
  bool empty() const { return b_.empty(); }
  std::string_view view() const { return {reinterpret_cast<const char*>(b_.data()), b_.size()}; }
  void wipe() {
    if (!b_.empty()) OPENSSL_cleanse(b_.data(), b_.size());
    b_.clear();
  }

 private:
  std::vector<uint8_t> b_;
};

// A secret text (a Grafana token) that is wiped on destruction. Move-only so
// copies are explicit (clone()).
class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string s) : s_(std::move(s)) {}
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  SecretString(SecretString&& o) noexcept : s_(std::move(o.s_)) { o.wipe(); }
  SecretString& operator=(SecretString&& o) noexcept {
    if (this != &o) {
      wipe();
      s_ = std::move(o.s_);
      o.wipe();
    }
    return *this;
  }
  ~SecretString() { wipe(); }

  std::string_view view() const { return s_; }
  std::size_t size() const { return s_.size(); }
  bool empty() const { return s_.empty(); }
  SecretString clone() const { return SecretString(s_); }
  void wipe() {
    if (!s_.empty()) OPENSSL_cleanse(s_.data(), s_.size());
    s_.clear();
  }

 private:
  std::string s_;
};

}  // namespace vitrine::store::crypto
