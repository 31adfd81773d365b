#!/usr/bin/env python3
"""Helpers of bench/load/idle_flood.sh (loopback only).

  idle_flood.py flood PORT COUNT SOURCE REOPEN_MS
      holds COUNT idle connections from SOURCE (a 127/8 address) and, every
      REOPEN_MS, reopens those the server closed, until killed; prints the
      number of reopen attempts at exit (SIGTERM).
  idle_flood.py probe PORT PATH COUNT SOURCE [HEADER] [--fresh]
      COUNT GETs of PATH from SOURCE, on one keep-alive connection (or a new
      connection each with --fresh); prints "p50 p99 max non200" in ms.
"""
import selectors
import signal
import socket
import sys
import time


def connect(port, source, blocking):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.setblocking(blocking)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    return s


def flood(port, count, source, reopen_ms):
    sel = selectors.DefaultSelector()
    attempts = 0
    stop = False

    def on_term(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    closed = count
    while not stop:
        for _ in range(closed):
            try:
                s = connect(port, source, False)
                sel.register(s, selectors.EVENT_READ)
                attempts += 1
            except OSError:
                break
        closed = 0
        deadline = time.monotonic() + reopen_ms / 1000
        while not stop and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=max(0.0, deadline - time.monotonic())):
                s = key.fileobj
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if not data:  # closed by the server (after its 503, if any)
                    sel.unregister(s)
                    s.close()
                    closed += 1
    print(attempts)


def probe(port, path, count, source, header, fresh):
    req = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{header}\r\n".encode()
    times, bad = [], 0
    s = None
    for _ in range(count):
        t0 = time.perf_counter()
        if s is None:
            s = connect(port, source, True)
        s.sendall(req)
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        head, _, body = buf.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            body += chunk
        times.append((time.perf_counter() - t0) * 1000)
        if not head.startswith(b"HTTP/1.1 200"):
            bad += 1
            s.close()
            s = None
        elif fresh:
            s.close()
            s = None
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    print(f"{pick(0.5):.2f} {pick(0.99):.2f} {times[-1]:.2f} {bad}")


def main():
    if sys.argv[1] == "flood":
        flood(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
    elif sys.argv[1] == "probe":
        args = [a for a in sys.argv[2:] if a != "--fresh"]
        header = args[4] + "\r\n" if len(args) > 4 and args[4] else ""
        probe(int(args[0]), args[1], int(args[2]), args[3], header, "--fresh" in sys.argv)


if __name__ == "__main__":
    main()
