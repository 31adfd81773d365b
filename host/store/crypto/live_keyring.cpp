#include "store/crypto/live_keyring.h"

#include <algorithm>

namespace vitrine::store::crypto {

LiveKeyring::LiveKeyring(std::optional<Keyring> initial, std::optional<std::filesystem::path> file)
    : file_(std::move(file)) {
  if (initial) current_ = std::make_shared<const Keyring>(std::move(*initial));
}

std::shared_ptr<const Keyring> LiveKeyring::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

uint64_t LiveKeyring::swaps() const {
  std::lock_guard<std::mutex> lock(mu_);
  return swaps_;
}

std::shared_ptr<const Keyring> LiveKeyring::for_key(std::string_view key_id) {
  auto ring = current();
  if (ring && ring->find(key_id) != nullptr) return ring;
  if (!file_) return nullptr;
  (void)reload();
  ring = current();
  if (ring && ring->find(key_id) != nullptr) return ring;
  return nullptr;
}

Result<bool> LiveKeyring::reload() {
  if (!file_) return false;
  std::lock_guard<std::mutex> reading(reload_mu_);
  auto fresh = Keyring::load_file(*file_);
  if (!fresh) return fresh.error();
  auto old = current();
  if (old && old->ids() == fresh->ids()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::make_shared<const Keyring>(std::move(*fresh));
  ++swaps_;
  return true;
}

}  // namespace vitrine::store::crypto
