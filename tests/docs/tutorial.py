#!/usr/bin/env python3
"""Follows docs/writing-a-plugin.md as a reader would, so the tutorial cannot rot.

  tutorial.py BUILD_DIR     (exit 77 when the binaries are absent)

The tutorial's files are the fenced blocks that follow a `<!-- file: PATH -->`
line; its commands are its sh blocks, in document order, unless the line before
one is `<!-- not-run: REASON -->`. The one block not run, installing the SDK
from a source checkout, is done here from BUILD_DIR instead (`cmake --install`
into $HOME/vitrine-sdk, HOME being a fresh working directory). Every file is
written where its marker says, then every command block runs in one
`bash -euo pipefail` in that directory, in order, each announced on the output
so a failure names the block. Whatever the blocks started in the background
(the Grafana simulator, `vitrine serve`) is killed at the end. With
VITRINE_TUTORIAL_KEEP=1 the working directory is kept (and printed) for a look.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOC = os.path.join(ROOT, "docs", "writing-a-plugin.md")
FENCE = re.compile(r"^```(\w*)")
FILE = re.compile(r"^<!--\s*file:\s*(\S+)\s*-->\s*$")
NOT_RUN = re.compile(r"^<!--\s*not-run:\s*(.+?)\s*-->\s*$")
TIMEOUT = 600


def parse(text):
    """Returns ([(path, content)], [(line, script)])."""
    files, steps = [], []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        if j == len(lines):
            sys.exit(f"{DOC}:{i + 1}: a fenced block is never closed")
        body = "\n".join(lines[i + 1:j]) + "\n"
        before = lines[i - 1] if i > 0 else ""
        if FILE.match(before):
            path = FILE.match(before).group(1)
            if os.path.isabs(path) or ".." in path.split("/"):
                sys.exit(f"{DOC}:{i}: file marker '{path}' must be a relative path inside the work dir")
            files.append((path, body))
        elif m.group(1) in ("sh", "bash") and not NOT_RUN.match(before):
            steps.append((i + 1, body))
        i = j + 1
    return files, steps


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    build = os.path.abspath(sys.argv[1])
    if not os.path.exists(os.path.join(build, "host", "cli", "vitrine")):
        print("tutorial: vitrine is not built in", build, "- skipped")
        return 77
    files, steps = parse(open(DOC, encoding="utf-8").read())
    if not files or not steps:
        sys.exit(f"{DOC}: no files or no commands found; the markers are described in {__file__}")
    keep = os.environ.get("VITRINE_TUTORIAL_KEEP") == "1"  # keep the work dir to look at a failure
    home = tempfile.mkdtemp(prefix="vitrine-tutorial-")
    try:
        sdk = os.path.join(home, "vitrine-sdk")
        subprocess.run(["cmake", "--install", build, "--prefix", sdk], check=True,
                       stdout=subprocess.DEVNULL)
        for path, body in files:
            dest = os.path.join(home, path)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "w", encoding="utf-8") as f:
                f.write(body)
        script = ["cd \"$HOME\""]
        for line, body in steps:
            script.append(f"echo '>>> docs/writing-a-plugin.md:{line}'")
            script.append(body)
        env = dict(os.environ, HOME=home, PATH=f"{sdk}/bin:{os.environ['PATH']}")
        env.pop("VITRINE_CONFIG", None)
        proc = subprocess.Popen(["bash", "-euo", "pipefail", "-c", "\n".join(script)], cwd=home,
                                env=env, start_new_session=True)
        try:
            code = proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            code = f"timeout after {TIMEOUT}s"
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    finally:
        if keep:
            print("tutorial: kept", home)
        else:
            shutil.rmtree(home, ignore_errors=True)
    if code != 0:
        print(f"tutorial: FAILED ({code}); the last '>>>' line above names the block", file=sys.stderr)
        return 1
    print(f"tutorial: {len(files)} files written, {len(steps)} command blocks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
