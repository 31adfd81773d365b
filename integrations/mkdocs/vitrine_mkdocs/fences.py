"""Finds Vitrine macro fences in a Markdown page.

A macro fence is a fenced code block whose info string is exactly a macro key
(docs/pages.md): ``` or ~~~, at least three, indented by at most three
spaces, closed by the same character at least as long. Fences inside other
fenced code blocks are not macros. Macros inside list items and block quotes
are not rendered by this plugin (they stay code blocks); write them at the
top level of the page.
"""

import re
from dataclasses import dataclass

_OPEN = re.compile(r"^( {0,3})(`{3,}|~{3,})[ \t]*([^`\s]*)[ \t]*$")


@dataclass
class Fence:
    key: str
    start: int  # 0-based index of the opening line
    end: int  # 0-based index of the closing line (the last line when unclosed)
    text: str  # the block, fences included

    @property
    def line(self):
        """1-based line of the opening fence."""
        return self.start + 1


def find_fences(markdown, macro_keys):
    """Returns the macro fences of `markdown` in page order."""
    lines = markdown.split("\n")
    out = []
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        marker, info = m.group(2), m.group(3)
        close = re.compile(r"^ {0,3}" + re.escape(marker[0]) + "{" + str(len(marker)) + r",}[ \t]*$")
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        end = min(j, len(lines) - 1)
        if info in macro_keys:
            out.append(Fence(info, i, end, "\n".join(lines[i:end + 1])))
        i = end + 1
    return out
