#!/usr/bin/env python
"""PDF benchmark (issue 10 §5): each kind of PDF, median of 5 after a warm-up, and the floor.

The floor is a one-line PDF through the same pipeline (pdf/base.html, the same embedded fonts).
Each document is fetched as the bureau officer through the application (in-process), so the time
includes loading the record, rendering the HTML and WeasyPrint. Pages and font subsetting are read
from the PDF itself (a subset font's name carries a six-letter prefix, e.g. ABCDEF+Kai).

Needs the demo data (`flask seed-demo`, or bench/seed_county.py --fresh). To print a result report
with 12 photos it adds copies of the report's photo rows for the run and removes them afterwards.

    DATABASE_URL=... .venv/bin/python bench/pdfs.py [--runs 5]
"""
import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402

ONE_LINE = ('{% extends "pdf/base.html" %}{% block doc_title %}測試{% endblock %}'
            '{% block body %}<p>長照行政入口 一行 PDF（same fonts）</p>{% endblock %}')


def pdf_facts(data: bytes):
    """Pages (pdfinfo) and fonts with whether each is subset (pdffonts), from the PDF itself."""
    import subprocess
    import tempfile
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True).stdout
        listing = subprocess.run(["pdffonts", f.name], capture_output=True, text=True).stdout.splitlines()[2:]
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1)) if "Pages:" in info else 0
    fonts = sorted({line.split()[0] for line in listing if line.strip()})
    subset = bool(fonts) and all(re.match(r"[A-Z]{6}\+", name) for name in fonts)
    return pages, fonts, subset


def documents(app):
    """(label, url) of each PDF kind, ids taken from the database."""
    from portal.audits.models import Audit
    from portal.billing.models import Declaration
    from portal.cases.models import ChangeRequest
    from portal.establishment.models import PlanSection
    from portal.incidents.models import Incident, IncidentReport
    from portal.reports.models import ReportPhoto
    from sqlalchemy import func
    q = db.session.execute
    out = []
    with app.app_context():
        change = q(db.select(ChangeRequest.id).where(ChangeRequest.reasons.is_not(None))
                   .order_by(ChangeRequest.id)).scalars().first()
        if change:
            out.append(("change-of-provider request", f"/changes/{change}.pdf"))
        audit = q(db.select(Audit.id).where(Audit.status == "finalised").order_by(Audit.id)).scalars().first()
        if audit:
            out.append(("audit sheet", f"/audits/{audit}.pdf"))
        declaration = q(db.select(Declaration.id).where(Declaration.status != "draft").order_by(Declaration.id)
                        ).scalars().first()
        if declaration:
            out.append(("declaration (申報總表)", f"/billing/declarations/{declaration}/summary.pdf"))
        report = q(db.select(ReportPhoto.report_id, func.count()).group_by(ReportPhoto.report_id)
                   .order_by(func.count().desc())).first()
        if report:
            out.append(("result report, 12 photos", f"/reports/{report[0]}.pdf"))
        incident = q(db.select(IncidentReport.incident_id, func.count()).group_by(IncidentReport.incident_id)
                     .order_by(func.count().desc())).first()
        if incident:
            out.append(("incident chain", f"/incidents/{incident[0]}.pdf"))
        plan = q(db.select(PlanSection.plan_id, func.count()).group_by(PlanSection.plan_id)
                 .order_by(func.count().desc())).first()
        if plan:
            out.append(("establishment plan", f"/establishment/plans/{plan[0]}.pdf"))
    return out, (report[0] if report else None)


def pad_photos(app, report_id, target=12):
    """Copy the report's photo rows until it has `target`; return the ids added (removed after the run)."""
    from portal.reports.models import ReportPhoto
    from sqlalchemy import inspect
    added = []
    with app.app_context():
        photos = db.session.execute(db.select(ReportPhoto).filter_by(report_id=report_id)).scalars().all()
        columns = [c.key for c in inspect(ReportPhoto).mapper.column_attrs if c.key != "id"]
        n = 0
        while len(photos) + len(added) < target:
            source = photos[n % len(photos)]
            copy = ReportPhoto(**{k: getattr(source, k) for k in columns})
            if hasattr(copy, "position"):
                copy.position = len(photos) + len(added) + 1
            db.session.add(copy)
            db.session.flush()
            added.append(copy.id)
            n += 1
        db.session.commit()
    return added


def remove_photos(app, ids):
    from portal.reports.models import ReportPhoto
    with app.app_context():
        if ids:
            db.session.execute(db.delete(ReportPhoto).where(ReportPhoto.id.in_(ids)))
            db.session.commit()


def timed(fn, runs):
    fn()   # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        data = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), data


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    app = create_app({"WTF_CSRF_ENABLED": False})
    docs, report_id = documents(app)
    added = pad_photos(app, report_id) if report_id else []
    rows = []
    try:
        with app.test_request_context():
            from flask import render_template_string
            from portal import clock
            from portal.pdf import html_to_pdf

            def floor():
                return html_to_pdf(render_template_string(ONE_LINE, now=clock.now()))
            rows.append(("floor: one-line PDF", *timed(floor, args.runs)))
        client = app.test_client()
        client.post("/login", data={"username": "officer", "password": app.config["DEMO_PASSWORD"]})
        for label, url in docs:
            def fetch(url=url):
                response = client.get(url)
                if response.status_code != 200 or response.mimetype != "application/pdf":
                    raise SystemExit(f"{url} answered {response.status_code} {response.mimetype}")
                return response.get_data()
            rows.append((label, *timed(fetch, args.runs)))
    finally:
        remove_photos(app, added)
    floor_s = rows[0][1]
    print(f"{'PDF':30} {'median s':>9} {'× floor':>8} {'pages':>6} {'KB':>7}  fonts (subset?)")
    for label, seconds, data in rows:
        pages, fonts, subset = pdf_facts(data)
        print(f"{label:30} {seconds:9.2f} {seconds / floor_s:8.1f} {pages:6d} {len(data) / 1024:7.0f}  "
              f"{', '.join(f.split('+')[-1] for f in fonts)} ({'subset' if subset else 'NOT all subset'})")
    print(f"\nmedian of {args.runs} after one warm-up; database: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")


if __name__ == "__main__":
    main()
