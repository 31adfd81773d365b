#include "render/front_matter.h"

#include <yaml-cpp/yaml.h>

namespace vitrine::render {
namespace {

// The line starting at `pos` without its line ending.
std::string_view line_at(std::string_view s, size_t pos, size_t* next) {
  size_t end = s.find('\n', pos);
  *next = end == std::string_view::npos ? s.size() : end + 1;
  if (end == std::string_view::npos) end = s.size();
  std::string_view line = s.substr(pos, end - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

FrontMatter split_front_matter(std::string_view page) {
  FrontMatter fm;
  size_t next = 0;
  if (line_at(page, 0, &next) != "---") {
    fm.body = std::string(page);
    return fm;
  }
  const size_t yaml_start = next;
  size_t pos = next;
  int lines = 1;
  while (pos < page.size()) {
    const std::string_view line = line_at(page, pos, &next);
    ++lines;
    if (line == "---" || line == "...") {
      const std::string_view yaml = page.substr(yaml_start, pos - yaml_start);
      fm.body = std::string(static_cast<size_t>(lines), '\n');
      fm.body.append(page.substr(next));
      try {
        const YAML::Node root = YAML::Load(std::string(yaml));
        if (root && root.IsMap()) {
          for (auto it = root.begin(); it != root.end(); ++it) {
            const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string();
            const YAML::Mark mark = it->first.Mark();
            if (key == "title" && it->second.IsScalar()) {
              fm.title = it->second.Scalar();
            } else {
              fm.warnings.push_back({mark.line + 2, mark.column + 1,
                                     key == "title" ? "front matter 'title' must be a string"
                                                    : "front matter key '" + key +
                                                          "' is not used; only 'title' is read"});
            }
          }
        } else if (root && !root.IsNull()) {
          fm.warnings.push_back({2, 1, "front matter must be a map such as `title: Runbook`"});
        }
      } catch (const YAML::Exception& e) {
        fm.warnings.push_back({e.mark.line >= 0 ? e.mark.line + 2 : 2,
                               e.mark.column >= 0 ? e.mark.column + 1 : 1,
                               "invalid YAML in front matter: " + e.msg});
      }
      return fm;
    }
    pos = next;
  }
  // No closing line: not front matter ("---" is then a thematic break).
  fm.body = std::string(page);
  return fm;
}

}  // namespace vitrine::render
