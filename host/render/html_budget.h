// A resource guard run before the HTML parser. gumbo's tree construction is
// super-linear in nesting depth (each block start tag walks the stack of open
// elements; 40 000 nested <div> take tens of seconds), so a plugin could stall
// a render thread with a few hundred kilobytes. This scan follows the HTML
// tokenizer's tag syntax (quoted attribute values, comments, raw text
// elements) and keeps a deliberately pessimistic model of the open-element
// stack: it never pops an element the real parser could keep or recreate
// (misnested formatting elements, adoption agency), so its depth is an upper
// bound of the parser's. It makes no safety decision: it only finds the
// byte offset where the input must be cut.
#pragma once

#include <cstddef>
#include <string_view>

namespace vitrine::render {

struct BudgetResult {
  size_t keep = 0;        // bytes of the input to hand to the parser
  std::string_view rule;  // empty, or the limit rule that cut the input
};

BudgetResult check_html_budget(std::string_view html, size_t max_depth, size_t max_start_tags);

}  // namespace vitrine::render
