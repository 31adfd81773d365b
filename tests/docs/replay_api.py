#!/usr/bin/env python3
"""Replays every API example of docs/api.md against a running server.

  replay_api.py BUILD_DIR [API_MD]

Sets up a demo installation on loopback the way demo/setup-demo.sh does (the
Grafana simulator, space `demo`, viewer and platform-admin tokens), adds a
space-admin:demo token and a scratch space, starts `vitrine serve`, and for
every endpoint section of docs/api.md (a heading `### `METHOD /path` (role)`)
sends the documented request with a token of the documented role. The answer
must have the SHAPE of the section's example: the same member names at every
level (arrays: the first element), the same JSON types and status 200. Values
are not compared; they differ per installation.

Doc convention (what this script reads from a section):
  - the answer is the first ```json block of the section;
  - the request body is the `-d '...'` argument of the section's ```console
    curl example (shell-quoted; $GLSA is the space's Grafana token);
  - a documented `null` accepts any type (absent values are null); a
    documented string accepts null only when it is a timestamp (absent values
    are null, docs/api.md "Errors") or its name is in NULLABLE below; a
    documented member may be missing only when it is in OPTIONAL;
  - an example shown for a stronger role than the heading's is replayed with
    that role (ROLE_OF_EXAMPLE); enums the doc lists are checked (ENUMS).
Sections without an example answer, or that cannot be replayed here, are in
SKIP or SAME_AS with the reason, so an unchecked endpoint is never silent; an
entry of those tables that names no section of the doc fails the run.
Destructive requests (every DELETE) run after the others; DELETE of a space
runs on a scratch space.

Exit 0 when every endpoint passes, 1 otherwise, 77 when the binaries are
absent (not built in this tree).
"""

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SKIP_RC = 77

# Endpoints that cannot be replayed against this installation, and why.
SKIP = {
    ("GET", "/api/v1/spaces/{space}/pages"):
        "needs a revision id read first and changes the pages; tests/e2e/edit_pages.test.mjs calls it",
    ("GET", "/api/v1/spaces/{space}/pages/{page}?revision="):
        "needs a revision id read first and changes the pages; tests/e2e/edit_pages.test.mjs calls it",
    ("PUT", "/api/v1/spaces/{space}/pages/{page}"):
        "needs a revision id read first and changes the pages; tests/e2e/edit_pages.test.mjs calls it",
    ("DELETE", "/api/v1/spaces/{space}/pages/{page}?base=REVISION"):
        "needs a revision id read first and changes the pages; tests/e2e/edit_pages.test.mjs calls it",
    ("POST", "/api/v1/spaces/{space}/pages/{page}/rename"):
        "needs a revision id read first and changes the pages; tests/e2e/edit_pages.test.mjs calls it",
    ("POST", "/api/v1/spaces/{space}/pages/{page}/restore"):
        "needs a revision id read first and changes the pages; tests/e2e/edit_pages.test.mjs calls it",
    ("GET", "/api/v1/spaces/{space}/pages/{page}/history"):
        "needs a revision id read first and changes the pages; tests/e2e/edit_pages.test.mjs calls it",
    ("GET", "/api/v1/spaces/{space}/pages/{page}/diff?from=REVISION&to=REVISION"):
        "needs a revision id read first and changes the pages; tests/e2e/edit_pages.test.mjs calls it",
    ("GET", "/assets/{space}/{id}"):
        "answers image bytes, not JSON; asset headers are covered by the server tests",
    ("DELETE", "/api/v1/spaces/{space}/share-links/{id}"):
        "needs the random id of a link created first; tests/e2e/share_links.test.mjs revokes "
        "through it",
    ("POST", "/api/v1/plugins"):
        "needs a signed bundle in the server's plugins_dir; tests/e2e/console_plugins.test.mjs "
        "installs through the same operation (reconcile/plugin_install.h)",
    ("PUT", "/api/v1/license"):
        "needs a license signed by a trusted key; tests/e2e/console_license.test.mjs installs "
        "through the same operation (reconcile/license_ops.h)",
    ("POST", "/api/v1/plugins/{id}/withdraw"):
        "would stop alert_list for every later example; Approvals_.LC6_* and "
        "tests/e2e/console_plugins.test.mjs withdraw through the same operation",
    ("GET", "/api/v1/spaces/{space}/pages/{page}/evidence/{id}"):
        "needs the id of a record pinned first; tests/e2e/freshness_refresh_and_evidence.test.mjs "
        "pins one and reads it",
    ("DELETE", "/api/v1/tokens/{id}"):
        "needs the id of a token created first; tests/e2e/console_tokens.test.mjs revokes one "
        "and ConsoleParity checks the route is served",
}
# Sections whose doc says "same body and answer as <other endpoint>" instead
# of repeating the examples.
SAME_AS = {
    ("POST", "/api/v1/spaces/{space}/token/rotate"): ("PUT", "/api/v1/spaces/{space}/token"),
}
# Sections whose example shows a stronger role's answer than the heading's
# minimum role; replayed with that role.
ROLE_OF_EXAMPLE = {
    ("GET", "/api/v1/spaces/{space}"): "space admin",  # `token` is shown to admins only
}
# Documented strings that the doc says may be null (member name -> where).
NULLABLE = {
    "signed_by": "GET /api/v1/plugins: null for a manifest refused before install",
    "library_sha256": "GET /api/v1/plugins: null for a manifest refused before install",
    "manifest_sha256": "GET /api/v1/plugins: null for a manifest refused before install",
    "rule": "GET /api/v1/plugins: null for a running or standby version",
    "detail": "GET /api/v1/plugins: null for a running or standby version",
    "running_before": "approve: null when no version ran before",
    "trash": "DELETE a space: null unless pages is trash",
    "name": "GET /api/v1/tokens: null for a token created without a name",
    "updated_by": "GET .../warming: null while the space never had a schedule",
}
# Documented enums (JSON path in the answer -> the values the doc lists).
ENUMS = {
    ("POST", "/api/v1/spaces/{space}/render"): {
        "$.macros[0].state": {"fresh", "cached", "stale", "error"}},
    ("POST", "/api/v1/spaces/{space}/macros/{key}/render"): {
        "$.state": {"fresh", "cached", "stale", "error"}},
    ("GET", "/api/v1/plugins"): {
        "$.plugins[0].state": {"running", "standby", "awaiting-approval", "refused"}},
    ("DELETE", "/api/v1/spaces/{space}?purge=false|true"): {
        "$.pages": {"trash", "purged", "none"}},
}
# Request body members whose documented value names something of the doc's
# installation (a version), replaced by this installation's value.
INSTALLED_VERSION = {("POST", "/api/v1/plugins/{id}/rollback"): "to"}
# Documented members that the doc says may be absent (member name -> when).
OPTIONAL = {
    "approved_at": "approve: only when this call recorded the approval",
    "approved_by": "approve: only when this call recorded the approval",
    "warning": "DELETE a space: only when purging the moved pages failed",
}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
HEADING = re.compile(r"^### (.*)$")
ENDPOINT = re.compile(r"`([A-Z]+) (/[^`]*|\.\.\.)`")
ROLE = re.compile(r"\(([^()]*)\)\s*$")


def parse_sections(text):
    """Yields endpoint sections: method(s), path, role, answer, body."""
    sections = []
    cur = None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = HEADING.match(line)
        if m or line.startswith("## "):
            cur = None
            if m and m.group(1).lstrip().startswith("`"):
                eps = ENDPOINT.findall(m.group(1))
                role = ROLE.search(m.group(1))
                path = eps[0][1]
                methods = [eps[0][0]]
                # "`PUT /x` / `DELETE ...`": the second method on the same path.
                for meth, p in eps[1:]:
                    if p in ("...", path):
                        methods.append(meth)
                cur = {"methods": methods, "path": path, "heading": m.group(1),
                       "role": role.group(1) if role else "", "answer": None,
                       "body": None}
                sections.append(cur)
            i += 1
            continue
        if cur is not None and line.startswith("```"):
            lang = line[3:].strip()
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            block = "\n".join(lines[i + 1:j])
            if lang == "json" and cur["answer"] is None:
                cur["answer"] = json.loads(block)
            elif lang == "console" and "curl" in block:
                args = shlex.split(block.replace("\\\n", " ").replace("$ curl", "curl", 1))
                if "-d" in args:
                    cur["body"] = args[args.index("-d") + 1]
            i = j + 1
            continue
        i += 1
    return sections


def type_name(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def compare(doc, got, where, problems, notes, enums):
    """Appends shape differences between the documented and actual values."""
    if where in enums and got not in enums[where]:
        problems.append(f"{where}: {got!r} is not one of the documented "
                        f"{sorted(enums[where])}")
    dt, gt = type_name(doc), type_name(got)
    if dt == "null":
        return
    if gt == "null" and dt == "string":
        name = where.rsplit(".", 1)[-1]
        if TIMESTAMP.match(doc) or name in NULLABLE:
            return
    if dt != gt:
        problems.append(f"{where}: documented {dt}, got {gt}")
        return
    if dt == "object":
        dk, gk = set(doc), set(got)
        absent = {k for k in dk - gk if k in OPTIONAL}
        dk -= absent
        if dk != gk:
            problems.append(f"{where}: members differ\n"
                            f"      documented: {sorted(dk)}\n"
                            f"      actual:     {sorted(gk)}\n"
                            f"      only documented: {sorted(dk - gk)}"
                            f"  only actual: {sorted(gk - dk)}")
        for k in sorted(dk & gk):
            compare(doc[k], got[k], f"{where}.{k}", problems, notes, enums)
    elif dt == "array":
        if doc and got:
            compare(doc[0], got[0], f"{where}[0]", problems, notes, enums)
        elif doc and not got:
            # Not a failure: the array's type matches, and this installation
            # has nothing to list (e.g. no refused request yet).
            notes.append(f"{where}: [] here, element shape not checked")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fill_path(path, values):
    """Fills placeholders and picks the first documented query alternative."""
    base, _, query = path.partition("?")
    for k, v in values.items():
        base = base.replace("{" + k + "}", v)
    parts = []
    for item in filter(None, query.split("&")):
        name, _, val = item.partition("=")
        val = val.split("|")[0]
        if name == "space" and not val:
            val = values["space"]
        if val:
            parts.append(f"{name}={val}")
    return base + ("?" + "&".join(parts) if parts else "")


def request(port, method, path, token, body):
    data = body.encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Installation:
    """A demo installation in a temp dir; stops its processes by pid."""

    def __init__(self, build):
        self.build = build
        self.vitrine = os.path.join(build, "host", "cli", "vitrine")
        self.sim = os.path.join(build, "tools", "grafana_sim", "vitrine-grafana-sim")
        self.dir = tempfile.mkdtemp(prefix="vitrine-replay-")
        self.demo = os.path.join(self.dir, "demo")
        self.port = free_port()
        self.server = None

    def v(self, *args):
        out = subprocess.run([self.vitrine, "--data-dir", os.path.join(self.demo, "data"),
                              "--key-file", os.path.join(self.demo, "keyring"), *args],
                             check=True, capture_output=True, text=True, timeout=60)
        return out.stdout

    def plugin_version(self, plugin):
        with open(os.path.join(self.build, "plugins", plugin + ".yml")) as f:
            return re.search(r"^\s*version:\s*(\S+)", f.read(), re.M).group(1)

    def token(self, role):
        out = self.v("tokens", "create", "--role", role)
        return re.search(r"vtr_\S+", out).group(0)

    def start(self):
        subprocess.run(["bash", os.path.join(ROOT, "demo", "setup-demo.sh"), self.build,
                        self.demo, str(self.port)], check=True, capture_output=True,
                       timeout=60)
        self.tokens = {"viewer": open(os.path.join(self.demo, "viewer.token")).read().strip(),
                       "platform-admin":
                           open(os.path.join(self.demo, "admin.token")).read().strip(),
                       "space-admin": self.token("space-admin:demo")}
        self.grafana_token = subprocess.run([self.sim, "--print-token", "demo"], check=True,
                                            capture_output=True, text=True).stdout.strip()
        # The scratch space the DELETE of a space removes, with a page and a
        # token so that `trash` and `tokens_revoked` have values to show.
        self.v("spaces", "create", "scratch", "--name", "Scratch")
        self.token("space-admin:scratch")
        pages = os.path.join(self.demo, "data", "pages", "scratch")
        os.makedirs(pages)
        with open(os.path.join(pages, "index.md"), "w") as f:
            f.write("# Scratch\n")
        # The free port was probed, then released: another process may take it
        # before the server binds it, so a failed start retries on a new port.
        for attempt in range(3):
            if attempt:
                self.port = free_port()
                self.rewrite_listen()
            if self.serve():
                return
        raise RuntimeError("vitrine serve did not start on 3 ports:\n" + self.log_tail())

    def rewrite_listen(self):
        cfg = os.path.join(self.demo, "vitrine.yml")
        with open(cfg) as f:
            text = re.sub(r"^listen: .*$", f"listen: 127.0.0.1:{self.port}", f.read(), flags=re.M)
        with open(cfg, "w") as f:
            f.write(text)

    def log_tail(self):
        with open(os.path.join(self.dir, "serve.log"), errors="replace") as f:
            return "".join(f.readlines()[-15:])

    def serve(self):
        """Starts the server; True once /healthz answers, False if it exited."""
        log = open(os.path.join(self.dir, "serve.log"), "w")
        self.server = subprocess.Popen(
            [self.vitrine, "serve", "--config", os.path.join(self.demo, "vitrine.yml")],
            cwd=self.demo, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.server.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz",
                                            timeout=2) as r:
                    if r.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("vitrine serve did not answer /healthz within 30 s:\n" +
                           self.log_tail())

    def stop(self):
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        # The simulator is setup-demo.sh's background child, not ours: its pid
        # file is read here so that it stops even when the setup failed later.
        try:
            with open(os.path.join(self.demo, "sim.pid")) as f:
                sim_pid = int(f.read())
            os.kill(sim_pid, signal.SIGTERM)
            for _ in range(50):  # it exits within a second; wait before removing its files
                os.kill(sim_pid, 0)
                time.sleep(0.1)
        except (OSError, ValueError):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def role_token(role, tokens):
    if "platform admin" in role:
        return tokens["platform-admin"]
    if "space admin" in role:
        return tokens["space-admin"]
    return tokens["viewer"]  # "viewer and up", "any role"


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    build = os.path.abspath(sys.argv[1])
    api_md = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "docs", "api.md")
    for b in ("host/cli/vitrine", "tools/grafana_sim/vitrine-grafana-sim", "plugins/alert_list.so"):
        if not os.path.exists(os.path.join(build, b)):
            print(f"SKIP: {b} is not built in {build}")
            return SKIP_RC
    with open(api_md) as f:
        sections = parse_sections(f.read())
    by_key = {(s["methods"][0], s["path"]): s for s in sections}
    keys = {(m, s["path"]) for s in sections for m in s["methods"]}
    stale = [k for k in [*SKIP, *SAME_AS, *SAME_AS.values(), *ROLE_OF_EXAMPLE, *ENUMS,
                         *INSTALLED_VERSION] if k not in keys]
    if not sections or stale:
        print(f"FAIL: {api_md}: no endpoint sections found" if not sections else
              f"FAIL: tables of {__file__} name endpoints the doc no longer has: {stale}")
        return 1

    plan = []
    for s in sections:
        for meth in s["methods"]:
            plan.append((meth, s))
    # Destructive requests last (stable sort keeps the doc order otherwise).
    plan.sort(key=lambda p: p[0] == "DELETE")

    inst = Installation(build)
    failures = 0
    checked = 0
    try:
        inst.start()
        for meth, s in plan:
            key = (meth, s["path"])
            label = f"{meth} {s['path']}"
            if key in SKIP:
                print(f"SKIP {label}: {SKIP[key]}")
                continue
            doc, body = s["answer"], s["body"]
            if key in SAME_AS:
                doc, body = by_key[SAME_AS[key]]["answer"], by_key[SAME_AS[key]]["body"]
            if doc is None:
                print(f"FAIL {label}: the section has no ```json example answer "
                      "(add one, or list it in SAME_AS/SKIP with the reason)")
                failures += 1
                continue
            space = "scratch" if meth == "DELETE" and s["path"].startswith(
                "/api/v1/spaces/{space}?") else "demo"
            path = fill_path(s["path"], {"space": space, "id": "alert_list",
                                         "key": "dashboard", "page": "checkout",
                                         "uid": "svc-checkout"})
            if body is not None:
                body = body.replace("$GLSA", inst.grafana_token)
            if key in INSTALLED_VERSION:
                obj = json.loads(body)
                obj[INSTALLED_VERSION[key]] = inst.plugin_version("alert_list")
                body = json.dumps(obj)
            role = ROLE_OF_EXAMPLE.get(key, s["role"])
            status, raw = request(inst.port, meth, path, role_token(role, inst.tokens), body)
            checked += 1
            problems, notes = [], []
            if status != 200:
                problems.append(f"status: documented 200, got {status}")
            try:
                got = json.loads(raw)
            except ValueError:
                problems.append(f"answer is not JSON: {raw[:200]!r}")
                got = None
            if got is not None:
                compare(doc, got, "$", problems, notes, ENUMS.get(key, {}))
            if problems:
                failures += 1
                print(f"FAIL {label} -> {meth} {path}")
                for p in problems:
                    print(f"    {p}")
                if got is not None and status != 200:
                    print(f"    answer: {raw[:300].decode(errors='replace')}")
            else:
                print(f"PASS {label}" + "".join(f"\n    note: {n}" for n in notes))
    except Exception as e:  # setup failures are a failure of the test, with the reason
        print(f"FAIL: {e}")
        return 1
    finally:
        inst.stop()
    print(f"{checked} endpoints replayed, {failures} failed, {len(SKIP)} skipped")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
