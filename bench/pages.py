#!/usr/bin/env python
"""Page benchmark (issue 10 §2): server time p50/p95, SQL queries, bytes raw/gzip, and the floor.

Runs in-process against the configured database (DATABASE_URL, or the SQLite default) after
`flask db upgrade && flask seed-demo` (demo scale) or `bench/seed_county.py` (county scale).
For each page: 200 requests as the page's user; server time is the WSGI call; the floor is the
same bytes served by a trivial Flask route in the same process, measured the same way.

    .venv/bin/python bench/pages.py [--requests 200] [--only dashboard]
"""
import argparse
import gc
import gzip
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask  # noqa: E402

from portal import create_app  # noqa: E402

# name, username, url (may contain {placeholders} filled by resolve()), htmx fragment?
PAGES = [
    ("admin dashboard", "admin", "/", False),
    ("officer dashboard", "officer", "/", False),
    ("chief dashboard", "chief", "/", False),
    ("caremgr dashboard", "caremgr", "/", False),
    ("A-unit CM dashboard", "a1cm", "/", False),
    ("A-unit head dashboard", "a1head", "/", False),
    ("B home head dashboard", "b1head", "/", False),
    ("B unit staff dashboard", "b3staff", "/", False),
    ("guidance dashboard", "guide", "/", False),
    ("auditor dashboard", "auditor", "/", False),
    ("applicant dashboard", "applicant", "/", False),
    ("client search (fragment)", "officer", "/clients?q=陳", True),
    ("client list", "a1cm", "/clients", False),
    ("A-unit case list", "a1cm", "/cases", False),
    ("dispatch recommendation", "a1cm", "/cases/{case_id}/dispatch/{service_type}", False),
    ("change-of-provider queue", "officer", "/changes", False),
    ("audit scoring page", "auditor", "/audits/{audit_id}/score", False),
    ("audit scoring tap (fragment)", "auditor", "/audits/{audit_id}/items/{item_id}", True),
    ("incident board", "officer", "/incidents/board", False),
    ("A-unit dispatch list", "a1cm", "/dispatches", False),
    ("organisation list", "officer", "/orgs", False),
    ("monthly declaration", "b1head", "/billing/homes/{home_id}/declarations/{month}", False),
    ("result report edit", "b1head", "/reports/{report_id}", False),
    ("audit log", "officer", "/admin/audit-log", False),
    ("establishment plan section", "applicant", "/establishment/plans/{plan_id}/sections/basic", False),
]


def resolve(app):
    """Fill URL placeholders with ids from the database (the demo users' own records)."""
    from portal import clock
    from portal.auth.models import User
    from portal.extensions import db
    values = {}

    def first(stmt):
        return db.session.execute(stmt).first()

    with app.app_context():
        def org_of(username):
            return db.session.execute(db.select(User.organisation_id).filter_by(username=username)).scalar()
        try:
            from portal.establishment.models import EstablishmentPlan
            values["plan_id"] = db.session.execute(
                db.select(EstablishmentPlan.id).order_by(EstablishmentPlan.id)).scalars().first()
        except Exception:
            pass
        from portal.cases.models import Case, CarePlan, CarePlanItem
        row = first(db.select(Case.id, CarePlanItem.service_type).join(CarePlan, CarePlan.case_id == Case.id)
                    .join(CarePlanItem, CarePlanItem.plan_id == CarePlan.id)
                    .where(Case.a_unit_id == org_of("a1cm"), Case.state.in_(("PLAN_APPROVED", "IN_SERVICE")),
                           CarePlan.state == "APPROVED").order_by(Case.state, Case.id))
        if row:
            values["case_id"], values["service_type"] = row
        from portal.audits.models import Audit, AuditAssignment, AuditItem
        row = first(db.select(Audit.id, Audit.template_version_id)
                    .join(AuditAssignment, AuditAssignment.audit_id == Audit.id)
                    .join(User, User.id == AuditAssignment.user_id)
                    .where(User.username == "auditor", Audit.status.in_(("scheduled", "in_progress")))
                    .order_by(Audit.id))
        if row:
            values["audit_id"] = row[0]
            values["item_id"] = db.session.execute(db.select(AuditItem.id).filter_by(template_version_id=row[1])
                                                   .order_by(AuditItem.id)).scalars().first()
        values["home_id"] = org_of("b1head")
        values["month"] = f"{clock.today():%Y-%m}"   # the month being recorded: the declaration as it builds up
        from portal.reports.models import ResultReport
        values["report_id"] = db.session.execute(db.select(ResultReport.id).filter_by(organisation_id=values["home_id"])
                                                 .order_by(ResultReport.service_year.desc())).scalars().first()
    return {k: v for k, v in values.items() if v is not None}


def measure(app, client, url, headers, n):
    times, queries, body = [], [], b""
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        queries.append(int(response.headers.get("X-Query-Count", 0)))
        body = response.get_data()
        if response.status_code != 200:
            return {"error": f"{url} answered {response.status_code}"}
    times.sort()
    # Statements as served: the most common count of the run (a kept result that ran out of its window during the
    # run is computed once again: that request's count is the fresh one, printed beside it).
    return {"p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1],
            "queries": statistics.mode(queries), "raw": len(body), "gzip": len(gzip.compress(body)), "body": body}


def floor_app(bodies):
    floor = Flask("floor")

    @floor.route("/<int:i>")
    def page(i):
        return bodies[i]
    return floor


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--only")
    args = parser.parse_args()
    app = create_app({"QUERY_COUNT_HEADER": True, "WTF_CSRF_ENABLED": False})
    gc.collect()
    gc.freeze()   # as wsgi.py does in every app server process
    gc.set_threshold(10_000, 10, 10)
    values = resolve(app)
    kept_seconds = app.config["KEPT_SECONDS"]
    rows = []
    for name, username, url, fragment in PAGES:
        if args.only and args.only not in name:
            continue
        try:
            url = url.format(**values)
        except KeyError:
            continue
        client = app.test_client()
        login = client.post("/login", data={"username": username, "password": app.config["DEMO_PASSWORD"]})
        if login.status_code not in (302, 303):
            print(f"skip {name}: cannot log in as {username}")
            continue
        headers = {"HX-Request": "true"} if fragment else {}
        warm = measure(app, client, url, headers, 5)  # warm-up
        if "error" in warm:
            print(f"skip {name}: {warm['error']}")
            continue
        result = measure(app, client, url, headers, args.requests)
        # The same page computed on every request (no kept results, portal/kept.py): what the first request
        # after a change costs.
        app.config["KEPT_SECONDS"] = 0
        fresh = measure(app, client, url, headers, max(5, args.requests // 10))
        result["fresh"], result["fresh_sql"] = fresh["p50"], fresh["queries"]
        app.config["KEPT_SECONDS"] = kept_seconds
        rows.append((name, result))
    floor = floor_app([r["body"] for _, r in rows]).test_client()
    print(f"{'page':34} {'p50 ms':>7} {'p95 ms':>7} {'fresh50':>7} {'floor95':>7} {'ratio':>6} {'SQL':>5} "
          f"{'raw B':>8} {'gzip B':>7}")
    for i, (name, r) in enumerate(rows):
        f = measure(None, floor, f"/{i}", {}, args.requests)
        ratio = r["p95"] / f["p95"] if f["p95"] else 0
        flag = "" if r["p95"] <= 150 and ratio <= 3 and max(r["queries"], r["fresh_sql"]) <= 12 else "  <-- over target"
        sql = str(r["queries"]) if r["queries"] == r["fresh_sql"] else f"{r['queries']}/{r['fresh_sql']}"
        print(f"{name:34} {r['p50']:7.1f} {r['p95']:7.1f} {r['fresh']:7.1f} {f['p95']:7.2f} {ratio:6.1f} {sql:>5} "
              f"{r['raw']:8d} {r['gzip']:7d}{flag}")
    print(f"\ndatabase: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}; requests per page: {args.requests}; "
          f"fresh50 = p50 with nothing kept (KEPT_SECONDS=0); SQL = statements of a request as served (the run's most common "
          f"count) / with nothing kept, where they differ")


if __name__ == "__main__":
    main()
