#!/usr/bin/env python3
"""Change-to-all-hosts latency of desired-state changes.

Makes COUNT changes (alternately enables and disables a plugin in a space,
starting with enable, so an even COUNT leaves it as it was) through
--change-base, and times each from its acknowledgment until every host in
--hosts reports the change applied: /readyz "reconcile.applied_seq" at or
past the change feed seq the change committed (read from the database with
psql). Each host is polled on its own thread over one keep-alive connection
every --poll-ms, so the measurement adds about that much.

Prints one line: "median_ms=N p99_ms=N max_ms=N count=N"; exits 1 when a
change was not seen on every host within --deadline-s.
"""
import argparse
import http.client
import json
import math
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse


class HostPoller(threading.Thread):
    """Polls one host's /readyz until its applied_seq reaches the target."""

    def __init__(self, base, poll_s):
        super().__init__(daemon=True)
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        self.poll_s = poll_s
        self.target = None  # set once the committed seq is known
        self.samples = []  # (monotonic time, applied_seq)
        self.done = threading.Event()
        self.conn = None

    def applied_seq(self):
        for _ in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=5)
                self.conn.request("GET", "/readyz")
                body = self.conn.getresponse().read()
                return json.loads(body).get("reconcile", {}).get("applied_seq", -1)
            except (OSError, http.client.HTTPException, ValueError):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
        return -1

    def run(self):
        while not self.done.is_set():
            seq = self.applied_seq()
            self.samples.append((time.monotonic(), seq))
            target = self.target
            if target is not None and seq >= target:
                return
            time.sleep(self.poll_s)

    def seen_at(self, target):
        for t, seq in self.samples:
            if seq >= target:
                return t
        return None


def committed_seq(db):
    out = subprocess.run(["psql", "-Atq", db, "-c", "SELECT seq FROM change_feed WHERE id = 1"],
                         check=True, capture_output=True, text=True).stdout
    return int(out.strip())


def change(base, path, header, enable):
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    name, _, value = header.partition(":")
    conn.request("PUT" if enable else "DELETE", path, headers={name.strip(): value.strip()})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    if resp.status != 200:
        sys.exit(f"change_latency: {'PUT' if enable else 'DELETE'} {path} answered {resp.status}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--hosts", required=True, help="comma-separated base URLs of every host")
    p.add_argument("--change-base", required=True, help="where changes are sent (nginx or a host)")
    p.add_argument("--header", required=True, help="'Authorization: Bearer ...' of a space admin")
    p.add_argument("--db", required=True, help="the PostgreSQL URL, for the committed seq")
    p.add_argument("--space", default="demo")
    p.add_argument("--plugin", default="alert_list")
    p.add_argument("--count", type=int, default=50)
    p.add_argument("--poll-ms", type=float, default=2.0)
    p.add_argument("--deadline-s", type=float, default=10.0)
    a = p.parse_args()
    hosts = a.hosts.split(",")
    path = f"/api/v1/spaces/{a.space}/plugins/{a.plugin}"
    latencies = []
    for i in range(a.count):
        pollers = [HostPoller(h, a.poll_ms / 1000.0) for h in hosts]
        for t in pollers:
            t.start()
        change(a.change_base, path, a.header, enable=(i % 2 == 0))
        acked = time.monotonic()
        target = committed_seq(a.db)
        for t in pollers:
            t.target = target
        worst = 0.0
        for n, t in enumerate(pollers):
            t.join(a.deadline_s)
            t.done.set()
            seen = t.seen_at(target)
            if seen is None:
                print(f"change_latency: change {i + 1} (seq {target}) not seen on host {n} "
                      f"within {a.deadline_s} s", file=sys.stderr)
                sys.exit(1)
            worst = max(worst, seen - acked)
        latencies.append(max(0.0, worst) * 1000.0)
        time.sleep(0.05)  # let the hosts settle; changes are not a burst
    latencies.sort()
    p99 = latencies[math.ceil(0.99 * len(latencies)) - 1]  # nearest rank
    print("change_latency: sorted ms: " + " ".join(f"{x:.0f}" for x in latencies), file=sys.stderr)
    print(f"median_ms={statistics.median(latencies):.0f} p99_ms={p99:.0f} "
          f"max_ms={latencies[-1]:.0f} count={len(latencies)}")


if __name__ == "__main__":
    main()
