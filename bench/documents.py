#!/usr/bin/env python
"""Document benchmark (issue 12 §3 "any request that would take more than ~2 s becomes a job"):
the wall time of every PDF / xlsx / ZIP / CSV route and of the export jobs, on the configured database.

    DATABASE_URL=sqlite:////tmp/demo.sqlite3 .venv/bin/python bench/documents.py [--repeat 3]

Run after `flask db upgrade && flask seed-demo`. Each route is requested `--repeat` times as a bureau
officer (the guidance plan as the guidance officer) after one warm-up request (WeasyPrint's import and
font loading are paid once per process, not per request); the median wall time and the median CPU time of this process are printed (on a shared, loaded
machine the CPU time is the figure to compare with the 2 s budget). Jobs are run in-process,
synchronously, as the officer.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from portal import create_app  # noqa: E402

# name, user, url template, SQL for the ids (first row; columns name the placeholders)
ROUTES = [
    ("audit score sheet", "officer", "/audits/{id}.pdf", "select id from audits where status='finalised' order by id"),
    ("audit round summary", "officer", "/audits/rounds/{id}.pdf", "select id from audit_rounds order by id"),
    ("audit unit history", "officer", "/audits/units/{id}.pdf", "select organisation_id as id from audits order by id"),
    ("billing client file", "officer", "/billing/admissions/{id}/file.pdf", "select id from billing_admissions order by id"),
    ("declaration xlsx", "officer", "/billing/declarations/{id}/declaration.xlsx", "select id from billing_declarations order by id"),
    ("declaration items", "officer", "/billing/declarations/{id}/items.pdf", "select id from billing_declarations order by id"),
    ("declaration receipt", "officer", "/billing/declarations/{id}/receipt.pdf", "select id from billing_declarations order by id"),
    ("declaration summary", "officer", "/billing/declarations/{id}/summary.pdf", "select id from billing_declarations order by id"),
    ("draft declaration xlsx", "officer", "/billing/homes/{id}/declarations/{month}/declaration.xlsx",
     "select organisation_id as id, strftime('%Y-%m', max(day)) as month from billing_service_days group by organisation_id"),
    ("draft items", "officer", "/billing/homes/{id}/declarations/{month}/items.pdf",
     "select organisation_id as id, strftime('%Y-%m', max(day)) as month from billing_service_days group by organisation_id"),
    ("draft summary", "officer", "/billing/homes/{id}/declarations/{month}/summary.pdf",
     "select organisation_id as id, strftime('%Y-%m', max(day)) as month from billing_service_days group by organisation_id"),
    ("change request", "officer", "/changes/{id}.pdf", "select id from change_requests order by id"),
    ("client record", "officer", "/clients/{id}.pdf", "select id from clients order by id"),
    ("contract history", "officer", "/contracts/{id}.pdf", "select id from contracts order by id"),
    ("establishment plan", "officer", "/establishment/plans/{id}.pdf",
     "select id from establishment_plans where status != 'draft' order by id"),
    ("guidance plan", "guide", "/guidance/homes/{id}/plan.pdf", "select id from guided_homes order by id"),
    ("guidance summary", "officer", "/guidance/units/{id}/summary/{year}.pdf",
     "select guidance_org_id as id, cast(strftime('%Y', 'now') as int) as year from guided_homes order by id"),
    ("incident", "officer", "/incidents/{id}.pdf", "select id from incidents order by id"),
    ("incident report", "officer", "/incidents/{incident_id}/reports/{id}.pdf",
     "select incident_id, id from incident_reports order by id"),
    ("incident stats export", "officer", "/incidents/stats/export", None),
    ("care plan", "officer", "/plans/{id}.pdf", "select id from care_plans order by id"),
    ("result report", "officer", "/reports/{id}.pdf", "select id from result_reports order by id"),
    ("approved reports zip", "officer", "/reports/year/{year}/approved.zip",
     "select service_year as year from result_reports where state = 'approved' order by service_year desc"),
]

JOBS = [
    ("declarations xlsx (year)", "billing.declarations_xlsx", "select cast(strftime('%Y', max(service_month)) as int) as year from billing_declarations", {}),
    ("declarations ZIP (month)", "billing.month_pdfs",
     "select cast(strftime('%Y', service_month) as int) as year, cast(strftime('%m', service_month) as int) as month "
     "from billing_declarations group by service_month order by count(*) desc", {}),
    ("audit results xlsx (year)", "audits.results_xlsx", "select cast(strftime('%Y', max(scheduled_on)) as int) as year from audits", {}),
    ("round score sheets PDF", "audits.round_score_sheets",
     "select round_id from audits where round_id is not null group by round_id order by count(*) desc", {}),
]


def ids(app, sql):
    from portal.extensions import db
    if sql is None:
        return {}
    with app.app_context():
        try:
            row = db.session.execute(text(sql)).mappings().first()
        except Exception as exc:  # a table of an area not merged here
            return {"error": str(exc).splitlines()[0][:80]}
    return dict(row) if row else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--password", default="demo1234")
    args = parser.parse_args()
    app = create_app()
    app.config.update(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    clients = {}

    def client_for(username):
        if username not in clients:
            c = app.test_client()
            response = c.post("/login", data={"username": username, "password": args.password})
            assert response.status_code in (302, 303), f"login {username}: {response.status_code}"
            clients[username] = c
        return clients[username]

    print(f"{'document':32} {'status':>6} {'median ms':>10} {'max ms':>8} {'cpu ms':>8} {'bytes':>9}  url")
    for name, user, template, sql in ROUTES:
        values = ids(app, sql)
        if not values or "error" in values:
            print(f"{name:32} {'-':>6} {'':>10} {'':>8} {'':>9}  no data {values.get('error', '') if values else ''}")
            continue
        url = template.format(**values)
        c = client_for(user)
        c.get(url)  # warm-up
        times, cpu, status, size = [], [], None, 0
        for _ in range(args.repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = c.get(url)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            status, size = response.status_code, len(response.data)
        print(f"{name:32} {status:>6} {statistics.median(times):>10.0f} {max(times):>8.0f} "
              f"{statistics.median(cpu):>8.0f} {size:>9}  {url}", flush=True)

    from werkzeug.datastructures import MultiDict

    from portal.auth.models import User
    from portal.extensions import db
    from portal.jobs.models import Job
    from portal.jobs.operations import run_job
    from portal.jobs.registry import find_kind
    print()
    print(f"{'job':32} {'state':>6} {'ms':>10} {'cpu ms':>8} {'bytes':>9}  params")
    with app.app_context():
        officer = db.session.execute(db.select(User).filter_by(username="officer")).scalar_one()
        for name, kind, sql, extra in JOBS:
            definition = find_kind(kind)
            values = ids(app, sql)
            if definition is None or not values:
                print(f"{name:32} {'-':>6}  no data")
                continue
            params, title = definition.start(officer, MultiDict({**{k: str(v) for k, v in values.items()}, **extra}))
            job = Job(kind=kind, title=title, params=params, requested_by_id=officer.id,
                      organisation_id=officer.organisation_id)
            db.session.add(job)
            db.session.commit()
            start, start_cpu = time.perf_counter(), time.process_time()
            run_job(job.id)
            elapsed = (time.perf_counter() - start) * 1000
            cpu = (time.process_time() - start_cpu) * 1000
            db.session.expire_all()
            job = db.session.get(Job, job.id)
            print(f"{name:32} {job.state:>6} {elapsed:>10.0f} {cpu:>8.0f} {job.result_size or 0:>9}  {params}", flush=True)


if __name__ == "__main__":
    main()
