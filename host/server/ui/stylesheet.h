// The one stylesheet, compiled in so the binary needs no asset directory.
#pragma once

#include <string_view>

namespace vitrine::server::ui {

std::string_view stylesheet();

}  // namespace vitrine::server::ui
