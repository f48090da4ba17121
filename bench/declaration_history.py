#!/usr/bin/env python
"""The monthly declaration against a long declared history (issue 10, performance.md "What remains" 3).

Builds, in a throw-away SQLite database of its own (never the demo's or a test's), one family-care home
with 4 clients, a service day every weekday, and every month declared for `--months` months; then, for
the month after them (the draft that re-prices the earlier declared months), prints the SQL statements
and the server time of the declaration page, its draft PDF data and `pricing.declaration_lines`; with
`--compare REV` also the time of `declaration_lines` as it was at git revision REV (same data).
Figures are printed, never asserted.

    PYTHONPATH=$PWD .venv/bin/python bench/declaration_history.py [--months 24] [--requests 20] [--compare REV]
"""
import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build(months: int, clients: int):
    from portal import clock
    from portal.auth import roles
    from portal.billing import operations as ops
    from portal.billing import rules
    from portal.billing.models import ServiceDay
    from portal.extensions import db
    from tests.billing.conftest import admit
    from tests.factories import build_world
    world = build_world()
    db.session.commit()
    home = world.orgs["b"]
    head, officer = world.users[roles.B_HEAD], world.users[roles.BUREAU_OFFICER]
    with clock.freeze(datetime(2024, 12, 1, 9)):
        filing = ops.file_opening_hours(head, home.id, weekdays="01234", opens=dtime(8), closes=dtime(18),
                                        effective_from=date(2024, 12, 1))
        ops.decide_opening_hours(officer, filing, accept=True)
    db.session.commit()
    admissions = [admit(world, welfare_status=("general", "mid_low", "low")[i % 3], cms_level=4 + i % 4)
                  for i in range(clients)]
    month = date(2025, 1, 1)
    for _ in range(months + 1):
        for i, a in enumerate(admissions):
            for day in rules.month_days(month):
                if day.weekday() < 5 and day >= a.admitted_on:   # rows straight in: the month's records
                    db.session.add(ServiceDay(organisation_id=home.id, admission_id=a.id, client_id=a.client_id,
                                              day=day, kind="half_day" if (day.day + i) % 7 == 0 else "full_day",
                                              start_time=dtime(8), end_time=dtime(17), bath=day.day % 3 == i % 3,
                                              dinner=(day.day + i) % 2 == 0, created_by_id=head.id))
        db.session.commit()
        if _ < months:
            with clock.freeze(datetime.combine(rules.next_month(month).replace(day=3), dtime(10))):
                ops.submit_declaration(head, home.id, month)
            db.session.commit()
        month = rules.next_month(month)
    # a subsidy change effective from a past fact date: earlier months carry adjustments
    with clock.freeze(datetime.combine(month.replace(day=2), dtime(9))):
        ops.record_subsidy_change(head, admissions[0], field="welfare_status", value="mid_low",
                                  fact_date=min(date(2025, 6, 1), rules.previous_month(month)),
                                  notified_on=month.replace(day=2), evidence="公所核定函")
    db.session.commit()
    return world, home, rules.previous_month(month)


def timed(fn, n):
    """p50 and p95 wall time, and p50 CPU time of this process (less exposed to a busy shared machine), ms."""
    times, cpu = [], []
    for _ in range(n):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], statistics.median(cpu)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--compare", help="git revision whose portal/billing/pricing.py to time as well")
    parser.add_argument("--sql", action="store_true", help="print the pages' SQL statements")
    args = parser.parse_args()
    from portal import clock, create_app
    from portal.config import TestConfig
    from portal.extensions import db
    tmp = tempfile.TemporaryDirectory()
    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp.name}/bench.sqlite3", "QUERY_COUNT_HEADER": True})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
    with app.test_request_context():
        from portal.auth import roles
        from portal.billing import pricing
        start = time.perf_counter()
        world, home, month = build(args.months, args.clients)
        print(f"built {args.months} declared months × {args.clients} clients in {time.perf_counter() - start:.0f} s;"
              f" draft month {month:%Y-%m}")
        username = world.users[roles.B_HEAD].username
        home_id = home.id
        when = datetime.combine(month.replace(day=28), dtime(10))
        with clock.freeze(when):
            lines = pricing.declaration_lines(home_id, month)
            print(f"draft lines: {len(lines)} ({sum(l.adjustment for l in lines)} adjustments),"
                  f" total {sum(l.amount - l.copay for l in lines):,}")
            p50, p95, cpu = timed(lambda: (pricing.declaration_lines(home_id, month), db.session.expire_all()),
                                  args.requests)
            print(f"{'declaration_lines (this tree)':40} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  CPU p50 {cpu:7.1f} ms")
            if args.compare:
                source = subprocess.run(["git", "show", f"{args.compare}:portal/billing/pricing.py"], cwd=ROOT,
                                        check=True, capture_output=True, text=True).stdout
                path = Path(tmp.name) / "old_pricing.py"
                path.write_text(source)
                spec = importlib.util.spec_from_file_location("old_pricing", path)
                old = importlib.util.module_from_spec(spec)
                sys.modules["old_pricing"] = old
                spec.loader.exec_module(old)
                old_lines = old.declaration_lines(home_id, month)
                same = sorted(map(repr, old_lines)) == sorted(map(repr, lines))
                p50, p95, cpu = timed(lambda: (old.declaration_lines(home_id, month), db.session.expire_all()),
                                      args.requests)
                print(f"{'declaration_lines at ' + args.compare:40} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms"
                      f"  CPU p50 {cpu:7.1f} ms  (same lines: {same})")
    client = app.test_client()
    client.post("/login", data={"username": username, "password": "pw-test-123"})
    pages = [("declaration page (draft)", f"/billing/homes/{home_id}/declarations/{month:%Y-%m}"),
             ("declaration list", f"/billing/homes/{home_id}/declarations")]
    with clock.freeze(when):
        for name, url in pages:
            client.get(url)
            response = client.get(url)
            p50, p95, cpu = timed(lambda: client.get(url), args.requests)
            print(f"{name:40} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  CPU p50 {cpu:7.1f} ms"
                  f"  SQL {response.headers['X-Query-Count']}  ({response.status_code})")
            if args.sql:
                from sqlalchemy import event
                seen = []

                def log(conn, cursor, statement, *rest):
                    seen.append(" ".join(statement.split())[:150])
                with app.app_context():
                    event.listen(db.engine, "before_cursor_execute", log)
                    client.get(url)
                    event.remove(db.engine, "before_cursor_execute", log)
                print("    " + "\n    ".join(seen))
    with app.app_context():
        db.engine.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
