"""The county-scale benchmark data set as an administrator's job (issue 12 §3), and its safety:
it writes only into BENCH_DATABASE_URL, never into the portal's own database."""
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from portal.auth import roles
from portal.extensions import db
from portal.jobs import bench_job
from portal.jobs.models import Job
from portal.jobs.operations import run_job
from tests.conftest import PG_ADMIN_URL, USE_POSTGRES
from tests.jobs.helpers import SyncJobs, result_bytes

ROOT = Path(__file__).resolve().parents[2]
KIND = bench_job.KIND
# A county of a few units: 30 clients, the demo's units plus at most a handful.
TINY = ("測試用迷你縣", 0.0005, 0.025)


@pytest.fixture
def jobs(monkeypatch):
    return SyncJobs(monkeypatch)


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setitem(bench_job.SCALES, "tiny", TINY)


@pytest.fixture
def bench_url(tmp_path):
    """A throw-away target database (never named *test*: the job refuses those)."""
    if not USE_POSTGRES:
        yield f"sqlite:///{tmp_path}/bench.sqlite3"
        return
    name = f"portal_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n "
                          "AND pid <> pg_backend_pid()"), {"n": name})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture
def target(app, monkeypatch):
    """`target(url)` configures BENCH_DATABASE_URL for the web app and the (same-process) worker."""
    return lambda url: monkeypatch.setitem(app.config, "BENCH_DATABASE_URL", url)


def _count(url, table):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
    finally:
        engine.dispose()


def _files(folder: Path) -> set:
    return {p for p in folder.rglob("*")} if folder.exists() else set()


def test_admin_builds_a_tiny_county_in_the_bench_database(client, world, login, jobs, tiny, bench_url, target,
                                                          app, monkeypatch):
    target(bench_url)
    from portal.jobs import operations
    original, notes = operations._set_progress, []

    def recording(job_id, percent, note, attempt=None):
        original(job_id, percent, note, attempt)
        # the bar moves in the portal's database, not in the target's
        notes.append((percent, note, db.session.get(Job, job_id).progress))
    monkeypatch.setattr(operations, "_set_progress", recording)
    portal_clients = db.session.execute(text("SELECT count(*) FROM clients")).scalar()
    portal_reports = _files(Path(app.config["UPLOAD_DIR"]) / "reports")

    login(world.users[roles.ADMIN])
    page = client.get("/jobs/bench-seed").get_data(as_text=True)
    assert bench_job.masked(bench_url) in page and f'action="/jobs/start/{KIND}"' in page
    assert TINY[0] in page and "全縣規模" in page and "5 % 抽樣" in page
    response, job = jobs.start(client, KIND, {"scale": "tiny"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/jobs/{job.id}")
    assert job.state == "done", job.error
    assert job.params == {"scale": "tiny", "target": bench_job.masked(bench_url)}

    # progress per table, recorded on the portal's job row
    assert all(percent == stored for percent, _, stored in notes)
    said = " ".join(note for _, note, _ in notes)
    for step in ("建立資料表", "建立示範縣資料", "clients", "case_visits", "incidents", "result_reports"):
        assert step in said, step
    percents = [percent for percent, _, _ in notes]
    assert percents == sorted(percents) and 96 <= percents[-1] < 100

    summary = result_bytes(job).decode("utf-8")
    assert job.result_name.endswith(".txt") and "rows added" in summary and "schema and demo data" in summary
    lines = {line.split()[0]: line.split()[1:] for line in summary.splitlines() if line[:1].islower() and " " in line}
    assert lines["clients"][0] == "30" and int(lines["case_visits"][0].replace(",", "")) > 0
    assert client.get(f"/jobs/{job.id}/download").status_code == 200

    # the rows are in the target; the portal's database and upload folder are as they were
    assert _count(bench_url, "clients") == int(lines["clients"][1])
    db.session.expire_all()
    assert db.session.execute(text("SELECT count(*) FROM clients")).scalar() == portal_clients
    assert _files(Path(app.config["UPLOAD_DIR"]) / "reports") == portal_reports
    page = client.get("/jobs/bench-seed").get_data(as_text=True)
    assert f'id="job-{job.id}"' in page and "下載" in page


def test_refused_when_not_configured(client, world, login, jobs, target):
    target(None)
    login(world.users[roles.ADMIN])
    page = client.get("/jobs/bench-seed").get_data(as_text=True)
    assert "尚未設定效能測試資料庫" in page and "<form method=\"post\" action=\"/jobs/start" not in page
    response, job = jobs.start(client, KIND, {"scale": "sample"})
    assert job is None and response.status_code == 303 and response.headers["Location"].endswith("/jobs/bench-seed")
    assert "尚未設定效能測試資料庫" in client.get("/jobs/bench-seed").get_data(as_text=True)


def _other_spelling(url):
    """The portal's own database under another URL."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        return f"sqlite:///{path.parent}/./{path.name}"
    return url.replace("@127.0.0.1:", "@localhost:")


def test_refused_when_the_target_is_the_portals_database(client, world, login, jobs, target, app):
    portal_url = app.config["SQLALCHEMY_DATABASE_URI"]
    login(world.users[roles.ADMIN])
    for url in (portal_url, _other_spelling(portal_url)):
        target(url)
        assert "指向入口網站本身的資料庫" in client.get("/jobs/bench-seed").get_data(as_text=True)
        response, job = jobs.start(client, KIND, {"scale": "sample"})
        assert job is None and response.status_code == 303
        assert "指向入口網站本身的資料庫" in client.get("/jobs/bench-seed").get_data(as_text=True)


def test_same_database_is_recognised_once_connected(app_ctx, monkeypatch):
    """An alias the URL comparison cannot see through (another host name, a proxy) is caught by the
    database's own identity."""
    monkeypatch.setattr(bench_job, "_same_url", lambda a, b: False)
    assert bench_job.target_problem(app_ctx.config["SQLALCHEMY_DATABASE_URI"]) == bench_job.SAME_DATABASE


def test_password_is_masked_and_an_unreachable_target_explained(client, world, login, target):
    target("postgresql+psycopg://bench:s3cret-pw@127.0.0.1:1/portal_bench")
    login(world.users[roles.ADMIN])
    page = client.get("/jobs/bench-seed").get_data(as_text=True)
    assert "bench:***@127.0.0.1:1/portal_bench" in page and "s3cret-pw" not in page
    assert "無法連線到效能測試資料庫" in page
    for url, message in (("nosuchdb://u:pw@host/db", "無法連線到效能測試資料庫"), ("not a url", "格式無法辨識")):
        target(url)
        page = client.get("/jobs/bench-seed").get_data(as_text=True)
        assert message in page and ":pw@" not in page


def test_bad_scale_is_refused(client, world, login, jobs, target, bench_url):
    target(bench_url)
    login(world.users[roles.ADMIN])
    response, job = jobs.start(client, KIND, {"scale": "everything"})
    assert job is None and response.headers["Location"].endswith("/jobs/bench-seed")
    assert "請選擇資料規模" in client.get("/jobs/bench-seed").get_data(as_text=True)


@pytest.mark.parametrize("role", [r for r in roles.ALL_ROLES if r != roles.ADMIN])
def test_refused_for_every_other_role(client, world, login, jobs, target, bench_url, role):
    target(bench_url)
    login(world.users[role])
    assert client.get("/jobs/bench-seed").status_code == 403
    response, job = jobs.start(client, KIND, {"scale": "sample"})
    assert response.status_code == 403 and job is None
    assert f"/jobs/start/{KIND}" not in client.get("/jobs/").get_data(as_text=True)


def _queued(world, target_shown):
    admin = world.users[roles.ADMIN]
    job = Job(kind=KIND, title="t", params={"scale": "tiny", "target": target_shown}, requested_by_id=admin.id,
              organisation_id=admin.organisation_id)
    db.session.add(job)
    db.session.commit()
    return job.id


def test_the_worker_checks_its_own_configuration_again(world, app_ctx, tiny, target, bench_url, tmp_path):
    """The worker may be configured differently from the web server that showed the form."""
    portal_url = app_ctx.config["SQLALCHEMY_DATABASE_URI"]
    before = db.session.execute(text("SELECT count(*) FROM organisations")).scalar()
    cases = [(portal_url, bench_job.masked(bench_url), "指向入口網站本身的資料庫"),
             (None, bench_job.masked(bench_url), "尚未設定效能測試資料庫"),
             (bench_url, "sqlite:////elsewhere/other.sqlite3", "與啟動時畫面顯示的")]
    for configured, shown, message in cases:
        target(configured)
        job_id = _queued(world, shown)
        run_job(job_id)
        db.session.expire_all()
        job = db.session.get(Job, job_id)
        assert job.state == "failed" and message in job.error
    assert db.session.execute(text("SELECT count(*) FROM organisations")).scalar() == before


def test_a_target_holding_other_data_is_left_alone(world, app_ctx, tiny, target, tmp_path):
    """A database with organisations but no demo accounts is someone's data, not a bench county."""
    url = f"sqlite:///{tmp_path}/copy-of-live.sqlite3"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE organisations (id INTEGER PRIMARY KEY, name TEXT)"))
        conn.execute(text("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)"))
        conn.execute(text("INSERT INTO organisations VALUES (1, '真實單位')"))
        conn.execute(text("INSERT INTO users VALUES (1, 'someone@county.gov.tw')"))
    engine.dispose()
    target(url)
    job_id = _queued(world, bench_job.masked(url))
    run_job(job_id)
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    assert job.state == "failed" and "已有非示範資料" in job.error
    assert _count(url, "organisations") == 1 and "alembic_version" not in _tables(url)


def _tables(url):
    from sqlalchemy import inspect
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.skipif(USE_POSTGRES, reason="the command line on SQLite; on PostgreSQL it is run by hand (docs)")
def test_command_line_prints_the_same_summary(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/cli-bench.sqlite3"}
    out = subprocess.run([sys.executable, "bench/seed_county.py", "--fresh", "--scale", "0.0005", "--units", "0.025"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=True).stdout
    assert out.startswith("schema and demo data:") and "rows added" in out and "rows now" in out
    assert any(line.split()[:2] == ["clients", "30"] for line in out.splitlines())
    refused = subprocess.run([sys.executable, "bench/seed_county.py"], cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/portal-test.sqlite3"})
    assert refused.returncode != 0 and "test database" in refused.stderr
