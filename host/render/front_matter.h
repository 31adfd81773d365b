// Optional page front matter: a leading YAML block between "---" lines.
// Only `title` is read today; other keys are reported, not fatal.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "render/page.h"

namespace vitrine::render {

struct FrontMatter {
  std::optional<std::string> title;
  std::vector<PageError> warnings;
  // The page with the front matter block replaced by as many empty lines, so
  // Markdown line numbers stay page-file line numbers.
  std::string body;
};

FrontMatter split_front_matter(std::string_view page);

}  // namespace vitrine::render
