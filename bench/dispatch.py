#!/usr/bin/env python
"""Dispatch recommendation profile (issue 10 §1, docs/performance.md "What remains" 4).

Times the A-unit case manager's recommendation list (/cases/<id>/dispatch/<type>) and the bureau's long
lists against the configured database (DATABASE_URL) after `bench/seed_county.py` (any --scale: the
400 B units are built at every scale), and with --profile prints where the recommendation's time goes.

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python bench/dispatch.py [--requests 20] [--profile]

Prints figures only; nothing here asserts a time.
"""
import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from portal import create_app  # noqa: E402

PAGES = [
    ("dispatch recommendation", "a1cm", "/cases/{case_id}/dispatch/{service_type}"),
    ("change-of-provider queue", "officer", "/changes"),
    ("incident board", "officer", "/incidents/board"),
    ("contracts list", "officer", "/contracts"),
    ("audit schedule", "officer", "/audits"),
    ("dispute list", "officer", "/disputes?status=all"),
]


def login(app, username):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": app.config["DEMO_PASSWORD"]})
    if response.status_code not in (302, 303):
        raise SystemExit(f"cannot log in as {username}")
    return client


def timed(client, url, n):
    times, queries, size = [], 0, 0
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        queries, size = int(response.headers.get("X-Query-Count", 0)), len(response.get_data())
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], queries, size


def make_eligible(app):
    """The seeded contracts are copies of the demo's and may have ended; with every unit excluded the list
    ranks nothing and measures only the exclusions. Renew them and open capacity (benchmark data only)."""
    from datetime import timedelta

    from portal import clock
    from portal.cases.models import ProviderService
    from portal.contracts.models import Contract
    from portal.extensions import db
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if "test" in url.rsplit("/", 1)[-1]:
        raise SystemExit(f"refusing to change what looks like a test database: {url}")
    with app.app_context():
        today = clock.today()
        renewed = db.session.execute(db.update(Contract).where(Contract.ends_on < today)
                                     .values(ends_on=today + timedelta(days=365))).rowcount
        opened = db.session.execute(db.update(ProviderService).values(capacity=1000, accepting=True)).rowcount
        db.session.commit()
    print(f"renewed {renewed} contracts, opened {opened} offers")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="cProfile the recommendation (top 25 by cumtime)")
    parser.add_argument("--only")
    parser.add_argument("--make-eligible", action="store_true",
                        help="first renew the seeded contracts that have ended and give every offer room for "
                             "1,000 clients, so the B units in the client's area are ranked (changes the database)")
    parser.add_argument("--queries", action="store_true", help="list the recommendation's SQL statements")
    args = parser.parse_args()
    app = create_app({"QUERY_COUNT_HEADER": True, "WTF_CSRF_ENABLED": False})
    from bench.pages import resolve
    values = resolve(app)
    if args.make_eligible:
        make_eligible(app)
    with app.app_context():
        from portal.auth import roles
        from portal.extensions import db
        from portal.orgs.models import Organisation
        units = db.session.execute(db.select(db.func.count(Organisation.id))
                                   .where(Organisation.kind == roles.B_UNIT)).scalar_one()
    print(f"B units: {units}; database: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
    print(f"{'page':28} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>4} {'raw B':>8}")
    for name, user, url in PAGES:
        if args.only and args.only not in name:
            continue
        client = login(app, user)
        url = url.format(**values)
        timed(client, url, 2)   # warm-up: settings and the office calendar are cached per process
        p50, p95, queries, size = timed(client, url, args.requests)
        print(f"{name:28} {p50:8.1f} {p95:8.1f} {queries:4d} {size:8d}")
    if args.queries:
        from sqlalchemy import event
        with app.app_context():
            from portal.extensions import db
            engine = db.engine
        seen = []

        def before(conn, cursor, statement, parameters, context, executemany):
            context._bench_started = time.perf_counter()

        def after(conn, cursor, statement, parameters, context, executemany):
            seen.append(((time.perf_counter() - context._bench_started) * 1000, " ".join(statement.split())))
        client = login(app, "a1cm")
        url = PAGES[0][2].format(**values)
        client.get(url)
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        client.get(url)
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        for ms, sql in seen:
            print(f"{ms:7.1f} ms  {sql[:150]}")
    if args.profile:
        client = login(app, "a1cm")
        url = PAGES[0][2].format(**values)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(3):
            client.get(url)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
