// Grafana service-account token format: generation from a seed and shape checks.
#pragma once

#include <string>
#include <string_view>

namespace vitrine::sim {

// Grafana's satokengen checksum: CRC-32 (IEEE) of "glsa_<secret>", its four
// bytes written little-endian and hex encoded. That is NOT printf("%08x"):
// the byte order is reversed, which is why it is spelled out here.
std::string token_checksum(std::string_view prefixed_secret);

// A token of the exact shape glsa_<32 alphanumerics>_<8 hex>, derived
// deterministically from `seed` so tests and demos can agree on one.
std::string token_from_seed(std::string_view seed);

// True when `token` has the service-account shape and a correct checksum.
bool token_has_valid_shape(std::string_view token);

}  // namespace vitrine::sim
