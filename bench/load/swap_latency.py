#!/usr/bin/env python3
"""Approval-to-live latency for bench/load/plugin_swap.sh.

For each of N swaps: runs `vitrine plugins rollback versioned --to V` (the
CLI writes to the store; the serving host applies it on its next reconciler
pass) and polls the page every 5 ms over one kept-alive loopback connection
until it first shows "versioned V". Measures from the CLI's start, so the
CLI's own run time is included; prints it apart as well.

  swap_latency.py N URL AUTH_HEADER VITRINE_CLI_ARGS...

Prints one line of key=value pairs (milliseconds) for the caller's table.
"""
import http.client
import math
import random
import statistics
import subprocess
import sys
import time
import urllib.parse

POLL_S = 0.005
LIMIT_S = 5.0


def percentile(xs, p):
    """Nearest rank: with 50 samples p99 is the largest."""
    s = sorted(xs)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def main():
    n, url, auth, cli = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
    u = urllib.parse.urlsplit(url)
    name, value = auth.split(":", 1)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)

    def page():
        try:
            conn.request("GET", u.path, headers={name: value.strip()})
            r = conn.getresponse()
            return r.status, r.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            conn.close()  # reconnects on the next request
            return 0, ""

    status, body = page()
    current = "1.0.0" if "versioned 1.0.0" in body else "1.1.0"
    live, cli_ms, bad = [], [], 0
    for _ in range(n):
        target = "1.1.0" if current == "1.0.0" else "1.0.0"
        # A random pause, so the CLI lands anywhere in the reconciler's period.
        time.sleep(random.uniform(0.05, 0.3))
        start = time.monotonic()
        done = subprocess.run(cli + ["plugins", "rollback", "versioned", "--to", target],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        cli_ms.append((time.monotonic() - start) * 1000)
        if done.returncode != 0:
            sys.exit("swap_latency: the rollback failed: " + done.stderr.strip())
        while True:
            status, body = page()
            if status // 100 != 2 or "vitrine-error" in body:
                bad += 1
            if "versioned " + target in body:
                live.append((time.monotonic() - start) * 1000)
                break
            if time.monotonic() - start > LIMIT_S:
                sys.exit(f"swap_latency: {target} not live after {LIMIT_S} s")
            time.sleep(POLL_S)
        current = target
    print(f"n={n} live_median={statistics.median(live):.0f} live_p99={percentile(live, 99):.0f} "
          f"live_min={min(live):.0f} cli_median={statistics.median(cli_ms):.0f} "
          f"cli_p99={percentile(cli_ms, 99):.0f} bad_polls={bad}")


if __name__ == "__main__":
    main()
