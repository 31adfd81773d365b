// The YAML body of a macro block: a flat map whose values are scalars or
// lists of scalars. Positions in errors are page-file positions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "render/page.h"

namespace vitrine::render {

struct MacroParams {
  std::map<std::string, std::string> params;
  std::optional<PageError> error;
};

// `first_line` is the page line of the body's first line (1-based);
// `column_offset` is added to columns (the fence's indentation).
MacroParams parse_macro_params(std::string_view body, int first_line, int column_offset);

}  // namespace vitrine::render
