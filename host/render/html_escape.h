// Escaping for everything the sanitizer and the page assembler write. Text
// and attribute values get the same treatment (& < > " ' as references) so
// no written value can end an attribute or open a tag, whatever context a
// later edit puts it in.
#pragma once

#include <string>
#include <string_view>

namespace vitrine::render {

// Appends `text` escaped. C0 control characters other than tab, LF and CR
// (and DEL) are dropped: they have no business in rendered text and some
// parsers treat them inconsistently.
void append_escaped(std::string& out, std::string_view text);

inline std::string escape_html(std::string_view text) {
  std::string out;
  append_escaped(out, text);
  return out;
}

}  // namespace vitrine::render
