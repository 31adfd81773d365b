// The capability tables a plugin may be offered (ABI-4), through the SDK's
// C++ layer (vitrine/sdk.hpp): each table is fetched once in create() and
// may be missing; every wrapper copes with a missing table and reports it as
// an ordinary failure with a reason, never a crash.
#pragma once

#include <string>
#include <string_view>

#include "vitrine/sdk.hpp"

namespace vitrine::pc {

using vitrine::sdk::CacheHit;
using vitrine::sdk::Caps;
using vitrine::sdk::HttpResult;
using vitrine::sdk::to_vstr;

inline std::string from_vstr(vitrine_str s) { return std::string(vitrine::sdk::view(s)); }

}  // namespace vitrine::pc
