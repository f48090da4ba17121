#!/usr/bin/env python
"""Load driver (issue 10 §3): N concurrent users on keep-alive connections, a mix of page requests.

Standard library only. Each virtual user logs in as one of the demo accounts (round robin), then
repeats the mix for its role until the request budget or the time limit is reached. It prints
requests/s, latency p50/p95/p99 and errors (any status other than 200, or a connection failure).

    python bench/load.py --targets 127.0.0.1:8000,127.0.0.1:8001 --users 50 --requests 3000 --seconds 60

With several targets the users are spread over them (what a reverse proxy in front of N instances does).
"""
import argparse
import gzip
import http.client
import os
import random
import resource
import re
import statistics
import sys
import threading
import time
from urllib.parse import quote, urlencode

# Who the 50 users are (a county's mix: mostly unit staff, some bureau staff) and what each of them opens.
USERS = ["a1cm", "a1cm", "a2cm", "a1head", "b1head", "b2head", "b3head", "b3staff", "b4head", "officer",
         "officer", "chief", "caremgr", "supervisor", "guide", "auditor"]
MIX = {
    "default": ["/", "/", "/clients", "/clients?q=陳"],
    "a1cm": ["/", "/clients", "/clients?q=林", "/cases", "/dispatches"],
    "a2cm": ["/", "/clients", "/cases", "/dispatches"],
    "a1head": ["/", "/cases", "/clients"],
    "officer": ["/", "/changes", "/incidents/board", "/clients?q=王", "/orgs"],
    "chief": ["/", "/changes", "/incidents/board"],
    "caremgr": ["/", "/clients?q=張", "/cases"],
    "supervisor": ["/", "/cases"],
    "auditor": ["/", "/audits"],
}
FRAGMENT = {"/clients?q=陳", "/clients?q=林", "/clients?q=王", "/clients?q=張"}


class User(threading.Thread):
    def __init__(self, n, target, username, password, deadline, budget, results, lock):
        super().__init__(daemon=True)
        self.n, self.target, self.username, self.password = n, target, username, password
        self.deadline, self.budget, self.results, self.lock = deadline, budget, results, lock
        self.cookies = {}
        self.conn = None
        self.rnd = random.Random(n)

    def connect(self):
        host, port = self.target.split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        headers["Accept-Encoding"] = "gzip"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.connect()
                self.conn.request(method, quote(path, safe="/?=&"), body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                if response.headers.get("Content-Encoding") == "gzip":
                    data = gzip.decompress(data)
                break
            except (ConnectionError, http.client.HTTPException, OSError):
                self.conn = None
                if attempt == 2:
                    raise
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";")[0]
        return response.status, data

    def login(self):
        status, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
            re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
        body = urlencode({"username": self.username, "password": self.password,
                          "csrf_token": token.group(1).decode() if token else ""})
        status, _ = self.request("POST", "/login", body=body)
        if status not in (302, 303):
            raise RuntimeError(f"{self.username} could not log in ({status})")

    def run(self):
        try:
            self.login()
        except Exception as exc:   # counted as an error, the user stops
            with self.lock:
                self.results["errors"].append(f"login {self.username}: {exc}")
            return
        paths = MIX.get(self.username, MIX["default"])
        while time.monotonic() < self.deadline:
            with self.lock:
                if self.budget[0] <= 0:
                    return
                self.budget[0] -= 1
            path = self.rnd.choice(paths)
            headers = {"HX-Request": "true"} if path in FRAGMENT else {}
            start = time.perf_counter()
            try:
                status, _ = self.request("GET", path, headers=headers)
                error = None if status == 200 else f"{status} {path}"
            except Exception as exc:
                error = f"{type(exc).__name__} {path}"
            elapsed = (time.perf_counter() - start) * 1000
            with self.lock:
                self.results["times"].append(elapsed)
                self.results["by_path"].setdefault(path, []).append(elapsed)
                if error:
                    self.results["errors"].append(error)


def _cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


SERVERS = ("gunicorn", "postgres", "redis-server")


def _server_cpu():
    """{pid: (name, user s, system s)} of this machine's gunicorn, PostgreSQL and Redis processes (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if name.startswith(SERVERS):
            found[entry] = (next(s for s in SERVERS if name.startswith(s)),
                            int(fields[11]) / ticks, int(fields[12]) / ticks)
    return found


def _server_cpu_line(before, after, requests):
    """CPU a request of each kind of server process alive through the whole run (a gunicorn master's
    workers are gunicorn processes; PostgreSQL's backends are postgres processes)."""
    totals = {}
    for pid, (name, user, system) in after.items():
        if pid in before:
            u, s = totals.get(name, (0.0, 0.0))
            totals[name] = (u + user - before[pid][1], s + system - before[pid][2])
    return "; ".join(f"{name} {u / requests * 1000:.2f} + {s / requests * 1000:.2f} sys"
                     for name, (u, s) in sorted(totals.items()))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", default="127.0.0.1:8000", help="host:port[,host:port…]")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--requests", type=int, default=3000, help="total requests (after logging in)")
    parser.add_argument("--seconds", type=float, default=60, help="stop after this long in any case")
    parser.add_argument("--password", default="demo1234")
    parser.add_argument("--by-path", action="store_true", help="also latency per path")
    args = parser.parse_args()
    targets = args.targets.split(",")
    results = {"times": [], "errors": [], "by_path": {}}
    lock = threading.Lock()
    budget = [args.requests]
    users = [User(n, targets[n % len(targets)], USERS[n % len(USERS)], args.password,
                  0, budget, results, lock) for n in range(args.users)]
    for u in users:   # log everyone in first, then start the clock
        try:
            u.login()
            u.login = lambda: None
        except Exception as exc:
            results["errors"].append(f"login {u.username}: {exc}")
    cpu_before, servers_before = _cpu_seconds(), _server_cpu()
    start = time.monotonic()
    for u in users:
        u.deadline = start + args.seconds
        u.start()
    for u in users:
        u.join()
    elapsed = time.monotonic() - start
    driver_cpu, servers_after = _cpu_seconds() - cpu_before, _server_cpu()
    times = sorted(results["times"])
    if not times:
        sys.exit("no requests completed: " + "; ".join(results["errors"][:5]))

    def pct(p):
        return times[min(len(times) - 1, int(len(times) * p))]
    print(f"targets {args.targets}; {args.users} users; {len(times)} requests in {elapsed:.1f} s")
    print(f"throughput {len(times) / elapsed:.0f} req/s; latency p50 {statistics.median(times):.0f} ms, "
          f"p95 {pct(0.95):.0f} ms, p99 {pct(0.99):.0f} ms; errors {len(results['errors'])}")
    print(f"driver CPU {driver_cpu:.1f} s of the run's {elapsed:.1f} s "
          f"({driver_cpu / len(times) * 1000:.2f} ms a request; it shares the machine with the server)")
    if servers_after:
        print(f"server CPU, ms a request (user + system; every such process on this machine): "
              f"{_server_cpu_line(servers_before, servers_after, len(times))}")
    if results["errors"]:
        print("first errors:", "; ".join(results["errors"][:5]))
    if args.by_path:
        print(f"  {'path':28} {'requests':>8} {'p50 ms':>7} {'p95 ms':>7}")
        for path, values in sorted(results["by_path"].items(), key=lambda kv: -statistics.median(kv[1])):
            values.sort()
            print(f"  {path:28} {len(values):8d} {statistics.median(values):7.0f} "
                  f"{values[min(len(values) - 1, int(len(values) * 0.95))]:7.0f}")


if __name__ == "__main__":
    main()
