#!/usr/bin/env python3
"""Runs every fenced shell example in README.md and docs/ against a real installation.

  run_examples.py BUILD_DIR        run the examples (exit 77 when the binaries are absent)
  run_examples.py --list           list the examples and their not-run reasons

A block whose info string is sh, bash, console or shell is runnable unless the
line right before it is `<!-- not-run: REASON -->`; a marker without a reason
fails. Runnable blocks run in document order (README.md, then docs/ sorted), each
in a fresh `bash -euo pipefail` with a timeout, in one working directory laid out
like a reader's: demo/setup-demo.sh has set up the Grafana simulator, a keyring,
the data dir (also reachable as the default ./vitrine-data) and space `demo`;
`build/` points into the build tree; `manifests/` is the repository's; `vitrine serve`
runs there, with $VTR an admin API token and $GLSA a Grafana token, and curl is set to
fail on an HTTP error (~/.curlrc). Every block's stdin is token.txt (a valid Grafana
token), for commands reading --stdin. Blocks share this state, as a reader following the
docs would.

A `console` block is a transcript: lines starting with `$ ` are commands (with
their continuation lines), the rest is expected output. Each expected line must
appear in the command's output after NORMALISE; a command may exit non-zero
only when its expected output shows an `error:` line.
"""

import difflib
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHELLS = {"sh", "bash", "console", "shell"}
FENCE = re.compile(r"^(\s*)```(\w*)\s*$")
MARKER = re.compile(r"^\s*<!--\s*not-run\b:?(.*?)-->\s*$")
TIMEOUT = 30
# Docs whose examples another test runs, in a set-up of their own.
OWN_RUNNER = {
    "docs/writing-a-plugin.md": "tests/docs/tutorial.py (builds the tutorial's plugin from its files)",
}

# Doc placeholders and the test installation's values ({W} is the working dir,
# {KEYRING} the installation's keyring). Kept short: prefer fixing the docs.
SUBSTITUTIONS = [
    ("/etc/vitrine/keyring", "{W}/new-keyring"),  # admin.md: a fresh keyring ...
    ("/var/lib/vitrine", "{W}/new-data"),  # ... and the fresh data dir it belongs to
    ("KEYRING", "{KEYRING}"),
    ("/tmp/", "{W}/tmp/"),  # simulator.md: absolute scratch paths stay inside the test
    ("t1a2b3c4d", "{TOKEN_ID}"),
    ("127.0.0.1:8080", "127.0.0.1:{PORT}"),  # api.md: the test's `vitrine serve`
    ("/spaces/payments/", "/spaces/demo/"),  # api.md: the installation's space  # admin.md: the id of an existing token (demo's viewer token)
]

# Values that legitimately differ between the doc and a run.
NORMALISE = [
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z"), "<TIME>"),
    (re.compile(r"\bdev-\d+\b"), "dev-<ID>"),
    (re.compile(r"\bvtr_[A-Za-z0-9_]+"), "<TOKEN>"),
    (re.compile(r"\bglsa_[A-Za-z0-9_]+"), "<TOKEN>"),
    (re.compile(r"\b[0-9a-f]{32,}\b"), "<HASH>"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<PORT>"),
]


def blocks():
    """Yields (file, line, lang, indent, body lines, not-run reason or None, marker line)."""
    files = [os.path.join(ROOT, "README.md")] + sorted(
        glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True))
    for path in files:
        if os.path.relpath(path, ROOT) in OWN_RUNNER:
            continue
        lines = open(path, encoding="utf-8").read().split("\n")
        i = 0
        while i < len(lines):
            m = FENCE.match(lines[i])
            if not m or not m.group(2):
                i += 1
                continue
            indent, lang = m.group(1), m.group(2)
            j = i + 1
            while j < len(lines) and not re.match(r"^\s*```\s*$", lines[j]):
                j += 1
            if lang in SHELLS:
                marker = MARKER.match(lines[i - 1]) if i > 0 else None
                reason = marker.group(1).strip() if marker else None
                body = [ln[len(indent):] if ln.startswith(indent) else ln for ln in lines[i + 1:j]]
                yield os.path.relpath(path, ROOT), i + 1, lang, body, reason, bool(marker)
            i = j + 1


def transcript(body):
    """Splits a console block into [(command, expected lines)]."""
    steps = []
    for ln in body:
        if ln.startswith("$ "):
            steps.append([ln[2:], []])
        elif steps and steps[-1][0].endswith("\\") and not steps[-1][1]:
            steps[-1][0] += "\n" + ln
        elif steps and re.search(r"'[^']*$", steps[-1][0].replace("'\\''", "")) and not steps[-1][1]:
            steps[-1][0] += "\n" + ln  # inside an open single-quoted argument
        elif steps:
            steps[-1][1].append(ln)
    return [(cmd, [e for e in exp if e.strip()]) for cmd, exp in steps]


def normalise(text, work):
    text = text.replace(work, "<TMP>")
    for rx, rep in NORMALISE:
        text = rx.sub(rep, text)
    return text


def substitute(text, values):
    """One pass, so a replacement is never substituted again."""
    table = {old: new.format(**values) for old, new in SUBSTITUTIONS}
    return re.sub("|".join(re.escape(old) for old, _ in SUBSTITUTIONS),
                  lambda m: table[m.group(0)], text)


def run(script, work, env, stdin_path):
    """Runs one script in its own process group; kills whatever it left running."""
    # Output goes to a file, not a pipe: a background process the block started
    # (the simulator) keeps a pipe open after bash exits.
    with open(stdin_path, "rb") as stdin, tempfile.TemporaryFile() as output:
        proc = subprocess.Popen(["bash", "-euo", "pipefail", "-c", script], cwd=work, env=env,
                                stdin=stdin, stdout=output, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            code = proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            code = f"timeout after {TIMEOUT}s"
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the block and whatever it left running
        except ProcessLookupError:
            pass
        proc.wait()
        output.seek(0)
        out = output.read()
    return code, out.decode("utf-8", "replace")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup(build, work, port):
    demo = os.path.join(work, "demo")
    res = subprocess.run(["bash", os.path.join(ROOT, "demo", "setup-demo.sh"), build, demo,
                          str(port)], capture_output=True, text=True, timeout=90)
    if res.returncode != 0:
        sys.exit(f"run_examples: demo/setup-demo.sh failed:\n{res.stdout}{res.stderr}")
    os.symlink("data", os.path.join(demo, "vitrine-data"))
    os.symlink(os.path.join(ROOT, "manifests"), os.path.join(demo, "manifests"))
    os.makedirs(os.path.join(demo, "build"))
    for name in ("tools", "host"):
        os.symlink(os.path.join(build, name), os.path.join(demo, "build", name))
    shutil.copy(os.path.join(build, "plugins", "hello.so"), os.path.join(demo, "build"))
    shutil.copy(os.path.join(build, "plugins", "hello.yml"), demo)
    os.makedirs(os.path.join(demo, "tmp"))
    # HOME is the working dir: curl then reads this and an HTTP error fails the example.
    with open(os.path.join(demo, ".curlrc"), "w") as f:
        f.write("fail-with-body\n")
    sim = os.path.join(build, "tools", "grafana_sim", "vitrine-grafana-sim")
    token = subprocess.run([sim, "--print-token", "demo"], capture_output=True, text=True,
                           check=True).stdout.strip()
    with open(os.path.join(demo, "token.txt"), "w") as f:
        f.write(token)
    return demo


def serve(build, work, port):
    """Starts `vitrine serve` for the api.md examples; returns the process."""
    log = open(os.path.join(work, "serve.log"), "wb")
    proc = subprocess.Popen([os.path.join(build, "host", "cli", "vitrine"), "serve", "--config",
                             "vitrine.yml"], cwd=work, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    for _ in range(300):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    sys.exit("run_examples: `vitrine serve` did not start:\n" +
             open(os.path.join(work, "serve.log")).read())


def viewer_token_id(build, work):
    listing = subprocess.run([os.path.join(build, "host", "cli", "vitrine"), "--data-dir",
                              os.path.join(work, "data"), "tokens", "list"], capture_output=True,
                             text=True, check=True).stdout
    m = re.search(r"^(t[0-9a-f]+)\s+viewer:demo\b", listing, re.M)
    if not m:
        sys.exit(f"run_examples: no viewer:demo token in the test installation:\n{listing}")
    return m.group(1)


def check_block(path, line, lang, body, work, env, values):
    where = f"{path}:{line}"
    stdin = os.path.join(work, "token.txt")
    if lang != "console":
        script = substitute("\n".join(body), values)
        code, out = run(script, work, env, stdin)
        if code != 0:
            return [f"{where}: the example failed (exit {code}):\n{script}\n--- output ---\n{out}"]
        return []
    failures = []
    for cmd, expected in transcript(body):
        script = substitute(cmd, values)
        code, out = run(script, work, env, stdin)
        may_fail = any(e.lstrip().startswith("error:") for e in expected)
        if code != 0 and not may_fail:
            failures.append(f"{where}: `{cmd.splitlines()[0]}` failed (exit {code}):\n{out}")
            continue
        actual = normalise(out, work).splitlines()
        missing = [e for e in expected if normalise(e, work).strip() not in
                   [a.strip() for a in actual]]
        if missing:
            diff = difflib.unified_diff([normalise(e, work) for e in expected], actual,
                                        "doc", "actual", lineterm="")
            failures.append(f"{where}: `{cmd.splitlines()[0]}` output differs from the doc "
                            f"(exit {code}); not found: {missing}\n" + "\n".join(diff))
    return failures


def main(argv):
    found = list(blocks())
    problems = [f"{p}:{ln}: `<!-- not-run: -->` needs a reason after the colon"
                for p, ln, _, _, reason, marked in found if marked and not reason]
    if argv[1:] == ["--list"]:
        for p, ln, lang, _, reason, _ in found:
            print(f"{p}:{ln} {lang}: " + (f"not run: {reason}" if reason else "runs"))
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    build = os.path.abspath(argv[1])
    needed = ["host/cli/vitrine", "tools/grafana_sim/vitrine-grafana-sim", "plugins/hello.so"]
    if not all(os.path.exists(os.path.join(build, n)) for n in needed):
        print(f"run_examples: skipped, {build} lacks {needed}", file=sys.stderr)
        return 77
    tmp = tempfile.mkdtemp(prefix="vitrine-docs-")
    work = server = None
    port = free_port()
    try:
        work = setup(build, tmp, port)
        server = serve(build, work, port)
        values = {"W": work, "KEYRING": os.path.join(work, "keyring"),
                  "TOKEN_ID": viewer_token_id(build, work), "PORT": port}
        # $VTR (an admin API token) and $GLSA (a Grafana token) as api.md uses them.
        env = dict(os.environ, PATH=os.path.join(build, "host", "cli") + os.pathsep +
                   os.environ.get("PATH", ""), HOME=work,
                   VTR=open(os.path.join(work, "admin.token")).read().strip(),
                   GLSA=open(os.path.join(work, "token.txt")).read().strip())
        ran = 0
        for p, ln, lang, body, reason, marked in found:
            if marked:
                continue
            ran += 1
            problems += check_block(p, ln, lang, body, work, env, values)
        print(f"run_examples: {len(found)} shell examples, {ran} run, "
              f"{len(found) - ran} marked not-run, {len(problems)} problems")
    finally:
        if server:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait()
        if work and os.path.exists(os.path.join(work, "sim.pid")):
            try:
                os.kill(int(open(os.path.join(work, "sim.pid")).read()), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass
        shutil.rmtree(tmp, ignore_errors=True)
    for msg in problems:
        print(msg, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
