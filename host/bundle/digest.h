// SHA-256 as lowercase hex: the digest the index lists for each entry and
// the one approvals and the content-addressed store pin.
#pragma once

#include <string>
#include <string_view>

namespace vitrine::bundle {

std::string sha256_hex(std::string_view bytes);

}  // namespace vitrine::bundle
