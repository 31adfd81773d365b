#!/usr/bin/env python3
"""Checks that the docs cannot drift from the code.

  check_docs.py generate   rewrite docs/rules.md from the C++ sources
  check_docs.py table      fail (with a diff) when docs/rules.md is stale
  check_docs.py rules      every rule id the docs mention exists in the code, and
                           every rule id has a meaning and (for the security
                           families) appears in its family's own page
  check_docs.py config     config keys: config.cpp schema == docs/config.md tables,
                           and every vitrine.example.yml key is accepted

Rule ids are found by the forms the code uses, not by guessing from the shape
of a string: a string literal is a rule id when it is an argument of a call
that takes a rule (Refusal{...}, deny(...), refuse(...), report.error(...)),
the value of a `rule` assignment or comparison, a row of a rule table, a
constant in a `rule`/`rules` namespace, or `[id]` at the end of a message.
Any other literal of the rule form must be listed in NOT_RULES with a reason;
an unclassified one fails the check, so a new form is noticed, not skipped.
"""

import difflib
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RULE_FORM = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$")
IDENT = re.compile(r"([A-Za-z_][A-Za-z_0-9:<>]*)\s*$")

# Calls whose literal arguments of the rule form are rule ids.
RULE_CALLS = {
    "Refusal", "plugins::Refusal", "deny", "refuse", "refused", "fail", "error_output",
    "invalid", "json_error", "outcome_error", "error", "warning", "ParamError", "keep",
    "literal", "Diagnostic", "ok", "push_back", "dropped",
}
# Arrays whose braced rows are (…, id, meaning) rule tables.
RULE_TABLES = {"kRules", "kVerifyRules"}

# Literals of the rule form that are not rule ids, grouped by the call or
# array they appear in (the reason is the group), or by value.
NOT_RULE_CALLS = {
    "iequals": "HTTP header/token comparison",
    "header": "HTTP header name",
    "set_header": "HTTP header value",
    "has_header": "HTTP header name",
    "one_of": "SVG attribute value",
    "starts_with": "attribute prefix",
    "unwrap": "IPv6 embedding name",
    "ClockGuard": "file name",
    "kAllowedHeaders": "HTTP request header names a plugin may send",
}
NOT_RULES = {
    # value: reason
    "share-links": "CLI subcommand name (vitrine share-links)",
    "share-link": "row kind of table rate_limits (server/share_links_limiter_db.cpp)",
    "share-client": "row kind of table rate_limits (server/share_links_limiter_db.cpp)",
    "dashboard-uses": "CLI subcommand name (vitrine spaces dashboard-uses)",
    "md-table": "audit output format (vitrine audit --format, GET /api/v1/audit?format=)",
    "client-gone": "cancellation reason (blocking.h), shown inside the render-abandoned message",
    "server-stopping": "cancellation reason (blocking.h); also a rule id where the engine uses it",
    "keep-alive": "HTTP header token",
    "transfer-encoding": "HTTP header name",
    "content-length": "HTTP header name",
    "content-type": "HTTP header name",
    "content-encoding": "HTTP header name",
    "cross-site": "Sec-Fetch-Site value",
    "same-site": "Sec-Fetch-Site value",
    "x-gzip": "Content-Encoding value",
    "in-process": "plugins.mode value",
    "vitrine-host": "audit actor",
    "vitrine-data": "default data directory",
    "vitrine-worker": "worker executable name",
    "vitrine-listen": "application_name of the PostgreSQL listen connection (store.notify)",
    "vitrine-grafana-sim": "simulator executable name",
    "svc-checkout": "dashboard uid of the simulator's fixtures",
    "vitrine-backup": "backup file format name",
    "vitrine-license-v1": "signature domain",
    "vitrine-2026": "license key id",
    "dev-local": "license key id",
    "now-6h": "time range default",
    "awaiting-approval": "plugin state name",
    "platform-admin": "role name",
    "grafana-token": "store record name",
    "key-check": "crypto binding purpose",
    "unknown-status": "status name fallback",
    "too-large": "status name",
    "vitrine-macro": "CSS class",
    "license-clock": "file name in the data directory",
    "not-found": "status/verdict name returned by to_string()",
    "not-licensed": "plugin status name",
    "d-solo": "Grafana URL path segment (/d-solo/UID, host/pages/grafana_link.cpp)",
    "panel-image": "macro key the link converter writes (host/pages/grafana_link.cpp)",
    "dashboard-library": "macro key the editor's dashboard picker renders (host/server/ui_edit_picker.cpp)",
}
# Whole arrays whose rows are not rules (name -> reason).
NOT_RULE_ARRAYS = {
    "kAllowedHeaders": "HTTP request header names a plugin may send",
    "kForbiddenHeaders": "HTTP request header names a plugin may not send",
    "kClassInfo": "IP address class names (shown in egress-address-* messages)",
    "kNames": "plugin status names",
    "kSvgAttrs": "SVG attribute names",
    "kHtmlAttrs": "HTML attribute names",
    "kAriaIdRefs": "ARIA attribute names",
}

# Rule ids the code builds as PREFIX + name: the prefix literal -> (file,
# array of (.., "name", "meaning"..) rows, names that never reach the rule).
# A prefix literal of a rule that is not listed here is reported.
COMPOSED = {
    "egress-address-": ("host/egress/ip_class.cpp", "kClassInfo", {"public"}),
}


# Modules by source directory, for the table.
def module_of(path):
    p = path.replace("host/", "", 1)
    for prefix, name in [
        ("manifest/", "manifest"), ("egress/client/", "egress (network)"), ("egress/", "egress"),
        ("server/net/", "http parser"), ("server/", "api"), ("bundle/", "bundle"),
        ("store/backup", "backup"), ("store/crypto/", "keyring"), ("store/key_check", "keyring"),
        ("store/context", "keyring"), ("cli/cmd_keys", "keyring"), ("store/plugin_store", "plugin lifecycle"),
        ("store/", "store"), ("config/", "config"), ("reconcile/", "plugin lifecycle"),
        ("runtime/", "plugin lifecycle"), ("plugins/", "plugin loader"), ("worker/", "worker"),
        ("render/sanitizer", "sanitizer"), ("render/", "render"), ("license/", "license"),
        ("cli/", "cli"),
    ]:
        if p.startswith(prefix):
            return name
    return p.split("/")[0]


def family_pages(rule, module):
    """The pages of a security family, one of which must name each of its rules."""
    if module in ("egress", "egress (network)"):
        return ["docs/security/egress.md", "docs/security/egress-network.md"]
    if rule.startswith("keyring-"):
        return ["docs/security/storage.md"]
    if module == "bundle":
        return ["docs/security/bundles.md"]
    if rule.startswith("plugin-artifact-") or rule.startswith("plugin-awaiting-"):
        return ["docs/admin.md"]
    return []


def page_names(page_text, rid):
    if re.search(r"(?<![a-z0-9-])" + re.escape(rid) + r"(?![a-z0-9-])", page_text):
        return True
    # A composed id is named by its pattern (`egress-address-<class>`) and its
    # name in the page's table (`cgnat`).
    for prefix in COMPOSED:
        if rid.startswith(prefix) and (prefix + "<") in page_text and \
                ("`" + rid[len(prefix):] + "`") in page_text:
            return True
    return False


def blank_comments_and_strings(text):
    """Returns (code, literals): code has comments blanked and string contents
    replaced by 'x' (same offsets); literals is [(start, end, value)]."""
    out = list(text)
    lits = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                out[k] = " "
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                if out[k] != "\n":
                    out[k] = " "
            i = j
        elif c == "'" and not (i > 0 and (text[i - 1].isalnum())):
            j = i + 1
            while j < n and text[j] != "'":
                j += 2 if text[j] == "\\" else 1
            for k in range(i + 1, min(j, n)):
                out[k] = "x"
            i = j + 1
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            lits.append((i, j + 1, text[i + 1:j]))
            for k in range(i + 1, min(j, n)):
                out[k] = "x"
            i = j + 1
        else:
            i += 1
    return "".join(out), lits


def enclosing(code, pos):
    """The open brackets around pos, innermost first: [(char, offset)]."""
    stack = []
    for i in range(pos):
        c = code[i]
        if c in "({[":
            stack.append((c, i))
        elif c in ")}]" and stack:
            stack.pop()
    return list(reversed(stack))


def callee(code, open_pos):
    m = IDENT.search(code[max(0, open_pos - 80):open_pos])
    return m.group(1) if m else ""


def array_name(code, stack):
    """The declared name of the array whose braced rows enclose a literal:
    `kRules[] = {`, `kRules = std::to_array<T>({`."""
    for ch, op in stack:
        m = re.search(r"([A-Za-z_][A-Za-z_0-9]*)\s*(?:\[\])?\s*=\s*(?:std::to_array<[^>]*>\s*\(\s*)?$",
                      code[max(0, op - 120):op])
        if m:
            return m.group(1)
    return ""


def composed_ids(prefix):
    path, array, skip = COMPOSED[prefix]
    text = open(os.path.join(ROOT, path), encoding="utf-8").read()
    body = text[text.index(array):]
    body = body[:body.index("};")]
    for m in re.finditer(r"\{[^{}\"]*\"([^\"]*)\"\s*,\s*\"([^\"]*)\"\s*\}", body):
        if m.group(1) not in skip:
            yield (prefix + m.group(1),
                   f"the host name resolved to an address of class {m.group(1)} ({m.group(2)}); "
                   "egress refuses it")


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def trailing_comment(text, pos):
    eol = text.find("\n", pos)
    line = text[pos:eol if eol >= 0 else len(text)]
    m = re.search(r"//\s*(.+)$", line)
    return m.group(1).strip() if m else ""


def source_files():
    for base, _, files in os.walk(os.path.join(ROOT, "host")):
        for f in sorted(files):
            if f.endswith((".cpp", ".h")):
                yield os.path.relpath(os.path.join(base, f), ROOT)


def extract_rules():
    """Returns (rules, unclassified). rules: id -> {file, line, module, meaning}."""
    rules, unclassified = {}, []
    constants = {}  # rule constant name -> id, for tables keyed by the constant
    texts = {}

    def add(rid, path, text, pos, meaning=""):
        r = rules.get(rid)
        if r is None:
            r = rules[rid] = {"file": path, "line": line_of(text, pos),
                              "module": module_of(path), "meaning": ""}
        if meaning and not r["meaning"]:
            r["meaning"] = meaning

    for path in sorted(source_files()):
        text = open(os.path.join(ROOT, path), encoding="utf-8").read()
        code, lits = blank_comments_and_strings(text)
        texts[path] = text
        for start, end, value in lits:
            # [rule-id] at the end of a message (or of a message piece).
            for m in re.finditer(r"(?<!\])\[([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\](?![\[{])", value):
                add(m.group(1), path, text, start)
            if re.fullmatch(r"[a-z][a-z0-9-]*-", value) and re.match(r"\s*\+", code[end:]):
                stmt = re.split(r"[;{}]", code[max(0, start - 200):start])[-1]
                if re.search(r"\brule\s*=", stmt):
                    if value in COMPOSED:
                        for rid, meaning in composed_ids(value):
                            add(rid, path, text, start, meaning)
                    else:
                        unclassified.append(f"{path}:{line_of(text, start)}: \"{value}\" + ... "
                                            "(a composed rule id; list it in COMPOSED)")
                continue
            if not RULE_FORM.match(value):
                continue
            stack = enclosing(code, start)
            before = code[max(0, start - 200):start]
            stmt = re.split(r"[;{}]", before)[-1]
            kind, meaning = None, ""
            if stack:
                ch, op = stack[0]
                name = callee(code, op)
                if ch == "{" and not name:
                    outer = array_name(code, stack)
                    # The row's next literal is the rule's meaning.
                    if outer in RULE_TABLES:
                        kind = "rule"
                        row_end = code.find("}", start)
                        row = [v for s, e, v in lits if start < s < row_end and " " in v]
                        meaning = " ".join(row)
                    elif outer in NOT_RULE_ARRAYS:
                        kind = "not"
                    name = outer or (callee(code, stack[1][1]) if len(stack) > 1 else "")
                    if name in RULE_CALLS:
                        kind = "rule"
                    elif name in NOT_RULE_CALLS:
                        kind = "not"
                elif name in RULE_CALLS or name.split("::")[-1] in RULE_CALLS or name.endswith(".error"):
                    kind = "rule"
                elif name in NOT_RULE_CALLS:
                    kind = "not"
            if kind is None and re.search(r"\b(?:rule|code)\s*(?:=|==|!=)(?!=)", stmt):
                kind = "rule"
            if kind is None and re.search(r"\bnamespace\s+(?:[a-z:]*::)?rules?\s*\{", code[:start]) and \
                    re.search(r"constexpr[^;]*=\s*$", code[max(0, start - 120):start]):
                # A constant in a `rule`/`rules` namespace; its comment is its meaning.
                last_ns = [m for m in re.finditer(r"\bnamespace\s+([A-Za-z_:]+)\s*\{", code[:start])]
                if last_ns and last_ns[-1].group(1).split("::")[-1] in ("rule", "rules"):
                    kind = "rule"
                    meaning = trailing_comment(text, start)
                    cm = re.search(r"([A-Za-z_][A-Za-z_0-9]*)\s*=\s*$", code[max(0, start - 120):start])
                    constants[cm.group(1)] = value
            if kind is None and value in NOT_RULES:
                kind = "not"
            if kind == "rule":
                add(value, path, text, start, meaning)
            elif kind is None:
                unclassified.append(f"{path}:{line_of(text, start)}: \"{value}\"")
    # Tables keyed by a rule constant: `{kInputSize, "meaning"}`.
    for text in texts.values():
        for m in re.finditer(r"\{\s*(k[A-Za-z0-9_]+)\s*,\s*\"([^\"]+)\"\s*\}", text):
            rid = constants.get(m.group(1))
            if rid and not rules[rid]["meaning"]:
                rules[rid]["meaning"] = m.group(2)
    return rules, unclassified


def doc_files():
    yield "README.md"
    for base, _, files in os.walk(os.path.join(ROOT, "docs")):
        for f in sorted(files):
            if f.endswith(".md"):
                yield os.path.relpath(os.path.join(base, f), ROOT)


# Column headings that hold a rule's explanation, best first.
MEANING_COLUMNS = ["meaning", "rationale", "when", "cause", "the file", "what happens",
                   "what it does", "accepted", "why"]


def meaning_cell(header, cells, skip):
    for name in MEANING_COLUMNS:
        for i, h in enumerate(header):
            if h.lower() == name and i != skip and i < len(cells) and cells[i]:
                return cells[i]
    rest = [c for i, c in enumerate(cells) if i != skip and c]
    return max(rest, key=len) if rest else ""


def doc_meanings():
    """id -> (one line explaining it, page): from a docs table row that names
    the rule in one cell (the explanation is the row's meaning column), a
    bullet `- `id`: text`, or else the first sentence of the docs naming it.
    The generated table itself is not a source."""
    out = {}
    for path in doc_files():
        if path == "docs/rules.md":
            continue
        header = []
        for line in open(os.path.join(ROOT, path), encoding="utf-8"):
            if not line.startswith("|"):
                header = []
                m = re.match(r"^\s*[-*]\s*`([a-z][a-z0-9-]+)`\s*[:\u2014-]+\s*(.+)$", line)
                if m and m.group(1) not in out:
                    out[m.group(1)] = (m.group(2).strip(), path)
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not header:
                header = cells
                continue
            for i, c in enumerate(cells):
                ids = re.findall(r"`\[?([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\]?`", c)
                if ids and re.fullmatch(r"(?:`[^`]+`[\s,/or]*)+", c):
                    for rid in ids:
                        out.setdefault(rid, (meaning_cell(header, cells, i), path))
                    break
    for path in doc_files():
        if path == "docs/rules.md":
            continue
        text = re.sub(r"```.*?```", "", open(os.path.join(ROOT, path), encoding="utf-8").read(), flags=re.S)
        for para in re.split(r"\n\s*\n|\n\s*[-*] ", text):
            para = re.sub(r"\s+", " ", para).strip()
            for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z`(])", para):
                for m in re.finditer(r"`\[?([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\]?`|\[([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\]", sentence):
                    rid = m.group(1) or m.group(2)
                    out.setdefault(rid, (sentence.replace("**", "").lstrip("|-* "), path))
    return out


def one_line(s):
    s = re.sub(r"\s+", " ", s).strip().replace("|", "\\|")
    return s if len(s) <= 160 else s[:157] + "..."


def render_table():
    rules, unclassified = extract_rules()
    docs = doc_meanings()
    lines = [
        "# Rule ids",
        "",
        "Generated by `python3 tests/docs/check_docs.py generate` from the C++ sources; do not edit.",
        "`ctest -R Docs.RuleTableIsCurrent` fails when this file is stale. Each row names where the",
        "id is first defined and what it means (from the code's rule table or comment, otherwise from",
        "the page that explains it).",
        "",
        "| rule | module | defined at | meaning |",
        "|---|---|---|---|",
    ]
    for rid in sorted(rules, key=lambda r: (rules[r]["module"], r)):
        r = rules[rid]
        meaning = r["meaning"]
        if not meaning and rid in docs:
            meaning = docs[rid][0]
        r["meaning"] = meaning
        # The file only, not the line: a table that changed with every edit
        # above a rule would fail CI for no drift at all.
        lines.append(f"| `{rid}` | {r['module']} | {r['file']} | "
                     f"{one_line(meaning) if meaning else '(undocumented)'} |")
    return "\n".join(lines) + "\n", rules, unclassified


def cmd_generate():
    text, _, unclassified = render_table()
    open(os.path.join(ROOT, "docs/rules.md"), "w", encoding="utf-8").write(text)
    for u in unclassified:
        print(f"unclassified: {u}")
    return 0


def cmd_table():
    text, _, unclassified = render_table()
    path = os.path.join(ROOT, "docs/rules.md")
    old = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
    failed = False
    for u in unclassified:
        print(f"{u}: a string of the rule form that is neither a known rule form nor listed "
              "in NOT_RULES; add it to tests/docs/check_docs.py")
        failed = True
    if old != text:
        sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                                                   "docs/rules.md (committed)", "docs/rules.md (generated)"))
        print("docs/rules.md is stale; run: python3 tests/docs/check_docs.py generate")
        failed = True
    return 1 if failed else 0


# Backticked or bracketed tokens of the rule form in the docs that are not rule
# ids, each with the reason.
DOC_NON_RULES = {
    "rule-id": "placeholder in the FILE:LINE:COL message format",
    "platform-admin": "role name, written [platform-admin] in YAML role lists (auth.oidc.roles)",
    "thread-safe": "ABI threading annotation (docs/plugin-abi.md)",
    "main-thread": "ABI threading annotation (docs/plugin-abi.md)",
    "render-thread": "ABI threading annotation (docs/plugin-abi.md)",
    "host-owned": "ABI ownership annotation (docs/plugin-abi.md)",
    "plugin-owned": "ABI ownership annotation (docs/plugin-abi.md)",
    "render-429": "simulator scenario name (docs/simulator.md)",
    "render-500": "simulator scenario name (docs/simulator.md)",
    "link-local": "IP address class (docs/security/egress.md), not a link-* rule of docs/editing.md",
}


def doc_mentions():
    """(id, file, line) for every [id] and `id` of the rule form in the docs."""
    for path in doc_files():
        if path == "docs/rules.md":
            continue
        in_fence = False
        for no, line in enumerate(open(os.path.join(ROOT, path), encoding="utf-8"), 1):
            if line.lstrip().startswith("```"):
                in_fence = not in_fence
            for m in re.finditer(r"(?<!\])\[([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\](?![\[({])", line):
                yield m.group(1), path, no, True
            if not in_fence:
                for m in re.finditer(r"`([a-z][a-z0-9]*(?:-[a-z0-9]+)+)`", line):
                    yield m.group(1), path, no, False


def cmd_rules():
    _, rules, unclassified = render_table()
    families = {r.split("-")[0] for r in rules} - FAMILY_PREFIX_NOT_RULES
    failed = 0
    for u in unclassified:
        print(f"{u}: unclassified string of the rule form (see NOT_RULES in tests/docs/check_docs.py)")
        failed += 1
    for rid, path, no, bracketed in doc_mentions():
        if rid in rules or rid in DOC_NON_RULES:
            continue
        if not bracketed and rid.split("-")[0] not in families:
            continue  # a backticked word of no rule family: a class, key or value
        print(f"{path}:{no}: '{rid}' is not a rule id in the code (host/); fix the doc, or list it "
              "in DOC_NON_RULES (tests/docs/check_docs.py) with a reason if it is not a rule")
        failed += 1
    for rid, r in sorted(rules.items()):
        if not r["meaning"]:
            print(f"{r['file']}:{r['line']}: rule '{rid}' has no meaning: explain it in the docs "
                  f"(a `| `{rid}` | ... |` row or a '- `{rid}`: ...' bullet)")
            failed += 1
        pages = family_pages(rid, r["module"])
        if pages and not any(page_names(open(os.path.join(ROOT, p), encoding="utf-8").read(), rid)
                             for p in pages):
            print(f"{' or '.join(pages)}: security rule '{rid}' ({r['file']}:{r['line']}) "
                  "is not mentioned")
            failed += 1
    print(f"{len(rules)} rule ids; {failed} problem(s)")
    return 1 if failed else 0


# First words of rule ids that also start ordinary words in backticks; a
# backticked token is taken as a rule mention when its first word is the
# first word of some rule id, except these.
FAMILY_PREFIX_NOT_RULES = {"not", "time", "page", "create", "instance", "key", "header",
                           "invalid", "method", "payload", "unknown", "unsupported", "space"}


def config_schema_keys():
    path = "host/config/config.cpp"
    text = open(os.path.join(ROOT, path), encoding="utf-8").read()
    code, lits = blank_comments_and_strings(text)
    body = code.find("schema() {")
    keys = {}
    for start, end, value in lits:
        if start < body or not re.match(r"^[a-z_]+$", value):
            continue
        if code[start - 1] != "{":
            continue
        # `{"key", handler}`: the section is the section("name", ...) around it.
        prefix = ""
        for ch, op in enclosing(code, start)[1:]:
            if ch == "(" and callee(code, op) == "section":
                name = [v for s, e, v in lits if s > op][0]
                prefix = name + "."
                break
        keys[prefix + value] = f"{path}:{line_of(text, start)}"
    keys.update(auth_config_keys())
    return {k: v for k, v in keys.items() if k.split(".")[0] != k or
            not any(o.startswith(k + ".") for o in keys)}


def auth_config_keys():
    """The `auth:` section is parsed by host/config/auth_config.cpp: its keys
    are the `key == "..."` branches of parse_auth (auth.KEY) and the kKeys set
    of parse_oidc (auth.oidc.KEY)."""
    path = "host/config/auth_config.cpp"
    text = open(os.path.join(ROOT, path), encoding="utf-8").read()
    keys = {}
    oidc = re.search(r"kKeys = \{(.*?)\};", text, re.S)
    for m in re.finditer(r'"([a-z_]+)"', oidc.group(1) if oidc else ""):
        keys["auth.oidc." + m.group(1)] = f"{path}:{line_of(text, oidc.start())}"
    body = text.find("void parse_auth(")
    for m in re.finditer(r'key == "([a-z_]+)"', text[body:]):
        if m.group(1) != "oidc":
            keys["auth." + m.group(1)] = f"{path}:{line_of(text, body + m.start())}"
    return keys


def config_doc_keys():
    keys = {}
    path = "docs/config.md"
    in_key_table = False
    for no, line in enumerate(open(os.path.join(ROOT, path), encoding="utf-8"), 1):
        if re.match(r"^\|\s*key\s*\|", line):
            in_key_table = True
            continue
        if not line.startswith("|"):
            in_key_table = False
            continue
        m = re.match(r"^\|\s*`([a-z_.]+)`\s*\|", line)
        if in_key_table and m:
            keys[m.group(1)] = f"{path}:{no}"
    return keys


def yaml_keys(node, prefix=""):
    if isinstance(node, dict):
        for k, v in node.items():
            key = prefix + str(k)
            if isinstance(v, dict):
                yield from yaml_keys(v, key + ".")
            else:
                yield key


def cmd_config():
    import yaml

    code = config_schema_keys()
    docs = config_doc_keys()
    failed = 0
    for k in sorted(set(code) - set(docs)):
        print(f"{code[k]}: config key '{k}' is accepted but not documented in docs/config.md")
        failed += 1
    for k in sorted(set(docs) - set(code)):
        print(f"{docs[k]}: config key '{k}' is documented but host/config/config.cpp does not accept it")
        failed += 1
    example = yaml.safe_load(open(os.path.join(ROOT, "vitrine.example.yml"), encoding="utf-8")) or {}
    for k in yaml_keys(example):
        if k not in code:
            print(f"vitrine.example.yml: key '{k}' is not accepted by host/config/config.cpp")
            failed += 1
    print(f"{len(code)} accepted keys, {len(docs)} documented; {failed} problem(s)")
    return 1 if failed else 0


def main(argv):
    cmds = {"generate": cmd_generate, "table": cmd_table, "rules": cmd_rules, "config": cmd_config}
    if len(argv) != 2 or argv[1] not in cmds:
        print(__doc__)
        return 2
    return cmds[argv[1]]()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
