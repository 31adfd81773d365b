// Shape check of a Grafana service account token before it is stored:
//   glsa_ + 32 ASCII letters/digits + _ + 8 lowercase hex digits
// where the hex is the CRC-32 (IEEE) of "glsa_<32 characters>". A typo, a
// truncated paste or a token of another kind fails here with a message that
// says which part is wrong and never echoes the token.
#pragma once

#include <string>
#include <string_view>

#include "store/result.h"

namespace vitrine::store {

Status check_glsa_token(std::string_view token);

// The 8-hex checksum Grafana appends to "glsa_<32 alphanumerics>".
std::string glsa_checksum(std::string_view head);

}  // namespace vitrine::store
