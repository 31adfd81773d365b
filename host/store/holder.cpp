#include "store/holder.h"

#include <unistd.h>

#include <array>
#include <cstdint>

#include "store/crypto/encoding.h"

namespace vitrine::store {

std::string process_holder_name() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  std::array<uint8_t, 4> rnd{};
  (void)crypto::random_bytes(rnd);  // a zero suffix still names host and pid
  return std::string(host.data()) + ":" + std::to_string(getpid()) + ":" + crypto::hex_encode(rnd);
}

}  // namespace vitrine::store
