#!/usr/bin/env python3
"""Messages the docs quote are the binary's words.

The docs quote refusal and error texts (`error: ...`, `refused plugin ...`,
`... [rule-id]`) so that an admin can recognise what the binary printed. A
quote is checked against the one place its words come from: the string
literals of the C++ sources under host/ (adjacent literals joined, as the
compiler joins them). A message is built there from fixed words and values,
so the quote is cut at its values (paths, numbers, 'names', ALL-CAPS
placeholders such as PATH, `...`) and every run of two or more fixed words
must appear, in order, in one literal of the code. A rewording in the code
without the doc (or the reverse) fails here, naming the doc line and the
phrase.

What counts as a quote:
  - in a fenced block, a line starting with `error:`, `warning:` or
    `refused `, with the lines that continue it (up to a blank line or the
    next such line);
  - in a fenced block, the value of a "message", "error" or "reason" field
    of three words or more (an API answer);
  - outside fenced blocks, an inline code span that ends with `[rule-id]`
    and has at least four words, and a double-quoted text of three words or
    more that ends with `[rule-id]` or starts with "lowercase words: ".
A quote that is not a message of the binary (a plugin's or the simulator's
words) is marked on the line before with `<!-- not-a-message: REASON -->`;
on the line before a fenced block, the marker covers the whole block.

  check_messages.py            check; exit 1 with one line per problem
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from check_docs import ROOT, blank_comments_and_strings, doc_files, source_files  # noqa: E402

MESSAGE_START = re.compile(r"^\s*(?:\$ .*?\s)?(error:|warning:|refused )")
RULE_AT_END = re.compile(r"\s*\[[a-z][a-z0-9]*(?:-[a-z0-9]+)+\]\s*$")


def code_literals():
    """Every string literal of host/, adjacent literals joined, whitespace
    collapsed and escapes undone where they matter to prose."""
    out = []
    for path in source_files():
        text = open(os.path.join(ROOT, path), encoding="utf-8").read()
        code, lits = blank_comments_and_strings(text)
        joined, last_end = None, None
        for start, end, value in lits:
            value = value.replace('\\"', '"').replace("\\n", " ").replace("\\'", "'")
            if joined is not None and code[last_end:start].strip() == "":
                joined += value
            else:
                if joined is not None:
                    out.append(joined)
                joined = value
            last_end = end
        if joined is not None:
            out.append(joined)
    return [re.sub(r"\s+", " ", s) for s in out]


def is_value(token):
    """A token the code fills in, not one of its fixed words."""
    t = token.strip("`.,;:()[]")
    if not t:
        return False
    if t in ("...", "…") or "..." in token or "…" in token:
        return True
    if re.search(r"[0-9/'\"<>=@]", t) or re.search(r"\w\.\w", t):
        return True
    if re.fullmatch(r"[A-Z][A-Z_]+", t):  # PATH, ID, MESSAGE placeholders
        return True
    if "_" in t or re.fullmatch(r"[a-z]+(?:-[a-z0-9]+)+", t):  # identifiers, ids, keys
        return True
    return False


def phrases(quote):
    """Runs of two or more fixed words, cut at the values."""
    quote = RULE_AT_END.sub("", quote)
    quote = re.sub(r"^(?:error:|warning:)\s*", "", quote.strip())
    # "(No such file or directory)": the operating system's words.
    quote = re.sub(r"\([A-Z][^()]*\)", " <os> ", quote)
    runs, cur = [], []
    for tok in quote.split():
        if is_value(tok):
            runs.append(cur)
            cur = []
            continue
        # Brackets and punctuation that end a clause also end a run: the
        # code may put a value between the two halves.
        if tok.startswith("("):
            runs.append(cur)
            cur = []
        cur.append(tok)
        if tok.endswith((":", ";", ",", ")")):
            runs.append(cur)
            cur = []
    runs.append(cur)
    out = []
    for r in runs:
        words = [w.strip("`()") for w in r]
        words = [w for w in words if w]
        if len(words) >= 2:
            out.append(" ".join(words).rstrip(".:;,"))
    return out


def said(phrase, literals, blob, splits=2):
    """The phrase is in one literal, or is the end of one literal followed by
    the start of another (a message built as "refused " + "plugin '...")."""
    if phrase in blob:
        return True
    if splits == 0:
        return False
    words = phrase.split(" ")
    for k in range(1, len(words)):
        head, tail = " ".join(words[:k]), " ".join(words[k:])
        if any(lit.rstrip().endswith(head) for lit in literals) and \
                (any(lit.lstrip().startswith(tail) for lit in literals) or
                 said(tail, literals, "", splits - 1)):
            return True
    return False


def doc_quotes():
    """(path, line, quote) for every quoted message."""
    for path in doc_files():
        if path == "docs/rules.md":
            continue
        lines = open(os.path.join(ROOT, path), encoding="utf-8").read().split("\n")
        in_fence, fence_marked, i = False, False, 0
        while i < len(lines):
            line = lines[i]
            marked = i > 0 and "<!-- not-a-message:" in lines[i - 1]
            if line.lstrip().startswith("```"):
                in_fence = not in_fence
                fence_marked = in_fence and marked  # a marker before a fence covers the block
                i += 1
                continue
            marked = marked or fence_marked
            if in_fence and not marked:
                # An API answer's message: {"code": "...", "message": "TEXT"}.
                for m in re.finditer(r'"(?:message|error|reason)"\s*:\s*"((?:[^"\\]|\\.)*)"', line):
                    if len(m.group(1).split()) >= 3:
                        yield path, i + 1, m.group(1).replace('\\"', '"')
            if in_fence and MESSAGE_START.match(line):
                start, text = i, MESSAGE_START.sub(r"\1", line).strip()
                i += 1
                while i < len(lines) and lines[i].strip() and not lines[i].lstrip().startswith("```") \
                        and not MESSAGE_START.match(lines[i]) and not lines[i].lstrip().startswith("$"):
                    text += " " + lines[i].strip()
                    i += 1
                if not marked:
                    yield path, start + 1, text
                continue
            if not in_fence and not marked:
                for m in re.finditer(r"`([^`]+)`", line):
                    span = m.group(1)
                    if RULE_AT_END.search(span) and len(span.split()) >= 4:
                        yield path, i + 1, span
                # A message quoted in prose: "... [rule-id]" or "word word: ...".
                for m in re.finditer(r'"([^"`]{12,})"', line):
                    span = m.group(1)
                    if len(span.split()) >= 3 and (RULE_AT_END.search(span) or
                                                   re.match(r"^[a-z][a-z ]+: ", span)):
                        yield path, i + 1, span
            i += 1


def main(argv):
    if len(argv) != 1:
        print(__doc__)
        return 2
    corpus = code_literals()
    blob = "\n".join(corpus)
    failed = checked = 0
    for path, no, quote in doc_quotes():
        checked += 1
        for p in phrases(quote):
            if said(p, corpus, blob):
                continue
            print(f"{path}:{no}: the quoted message has '{p}', which no message in host/ says; "
                  "quote the binary's words (or fix the code), or mark a quote that is not the "
                  "binary's with <!-- not-a-message: REASON -->")
            failed += 1
    print(f"{checked} quoted messages; {failed} problem(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
