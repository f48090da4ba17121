#!/usr/bin/env python
"""Family-care pages benchmark (issue 5 §2: entry fast on a low-spec PC): the same measures as
bench/pages.py — server time p50/p95, SQL queries, bytes raw/gzip — for the day sheet (full page and
one htmx row save), the home's month, the declaration and its PDFs.

Run after `flask db upgrade && flask seed-demo` (the demo's b1 home):

    .venv/bin/python bench/billing.py [--requests 50]
"""
import argparse
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pages import measure  # noqa: E402
from portal import clock, create_app  # noqa: E402


def targets(app):
    from portal.billing.models import CareAdmission, Declaration
    from portal.extensions import db
    from portal.orgs.models import Organisation
    with app.app_context():
        home = db.session.execute(db.select(Organisation).where(Organisation.subtype == "family_care")
                                  .order_by(Organisation.id)).scalars().first()
        day = clock.today() - timedelta(days=1)
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        admission = db.session.execute(db.select(CareAdmission).filter_by(organisation_id=home.id)
                                       .order_by(CareAdmission.id)).scalars().first()
        declaration = db.session.execute(db.select(Declaration).filter_by(organisation_id=home.id)
                                         .order_by(Declaration.id.desc())).scalars().first()
        return home.id, day, admission.id, declaration.id


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    app = create_app({"QUERY_COUNT_HEADER": True, "WTF_CSRF_ENABLED": False})
    home_id, day, admission_id, declaration_id = targets(app)
    pages = [
        ("day sheet", f"/billing/homes/{home_id}/days/{day.isoformat()}", {}),
        ("day sheet (htmx fragment)", f"/billing/homes/{home_id}/days/{day.isoformat()}", {"HX-Request": "true"}),
        ("home month calendar", f"/billing/homes/{home_id}", {}),
        ("declaration page", f"/billing/declarations/{declaration_id}", {}),
        ("summary PDF (附件2)", f"/billing/declarations/{declaration_id}/summary.pdf", {}),
        ("client receipts PDF", f"/billing/homes/{home_id}/receipts/{day:%Y-%m}.pdf", {}),
    ]
    client = app.test_client()
    client.post("/login", data={"username": "b1head", "password": app.config["DEMO_PASSWORD"]})
    print(f"{'page':30} {'p50 ms':>7} {'p95 ms':>7} {'SQL':>4} {'raw B':>8} {'gzip B':>7}")
    for name, url, headers in pages:
        n = args.requests if not url.endswith(".pdf") else max(3, args.requests // 10)
        measure(app, client, url, headers, 2)
        r = measure(app, client, url, headers, n)
        print(f"{name:30} {r['p50']:7.1f} {r['p95']:7.1f} {r['queries']:4d} {r['raw']:8d} {r['gzip']:7d}")
    # one row saved through htmx, as the carer does for each client (repeated: the same data, a no-op)
    with app.app_context():
        from portal.billing.models import ServiceDay
        from portal.extensions import db
        record = db.session.execute(db.select(ServiceDay).filter_by(admission_id=admission_id, day=day)).scalar_one_or_none()
    if record is not None:
        prefix = f"r{admission_id}"
        data = {f"{prefix}-attended": "y", f"{prefix}-kind": record.kind,
                f"{prefix}-start_time": record.start_time.strftime("%H:%M"),
                f"{prefix}-end_time": record.end_time.strftime("%H:%M"), f"{prefix}-version": record.version}
        url = f"/billing/homes/{home_id}/days/{day.isoformat()}/clients/{admission_id}"
        import statistics
        import time
        times = []
        for _ in range(args.requests):
            start = time.perf_counter()
            response = client.post(url, data=data, headers={"HX-Request": "true"})
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        print(f"{'row save (htmx POST)':30} {statistics.median(times):7.1f} {times[int(len(times) * 0.95) - 1]:7.1f}"
              f" {int(response.headers.get('X-Query-Count', 0)):4d} {len(response.data):8d}       -   ({response.status_code})")
    print(f"\ndatabase: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}; home {home_id}, day {day}")


if __name__ == "__main__":
    main()
