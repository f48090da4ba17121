"""「縣規模效能測試資料」: the administrator builds the county-scale benchmark data set as a job (issue 12 §3).

The same code as `bench/seed_county.py --fresh` (`portal.jobs.bench_seed.build`), run in a second app
bound to BENCH_DATABASE_URL, never in the portal's own database. Layers, each enough on its own:
- the start form refuses when the target is not configured, has the portal's URL (spelled any way),
  or is the same database once connected (PostgreSQL: database, port and server start time; SQLite: file);
- the job checks all of that again in the worker (whose configuration may differ from the web
  server's), and that the worker's target is the one the administrator saw on the form;
- it writes only into an empty database or one holding the demo county (`@demo.invalid` accounts), so
  a database with real people's records is refused even if it is not the portal's;
- the demo county's photos go to BENCH_UPLOAD_DIR, not the portal's upload folder (their report ids
  would land in live reports' folders).
The progress bar moves per table; the result is the CLI's printed summary as a text file.
"""
import os
from pathlib import Path

from flask import current_app
from sqlalchemy import create_engine, inspect, make_url, text

from portal.auth import roles
from portal.errors import Refused
from portal.extensions import db
from portal.jobs.registry import JobResult, job_handler

KIND = "system.bench_seed"
# form value -> (label, scale of the records, scale of the units); tests add a county of a few units.
SCALES = {
    "full": ("全縣規模（60,000 位個案、約 139 萬筆資料）", 1.0, 1.0),
    "sample": ("5 % 抽樣（3,000 位個案，單位數同全縣）", 0.05, 1.0),
}
DEFAULT_SEED = 10
NOT_CONFIGURED = ("尚未設定效能測試資料庫：請系統管理員在伺服器與背景工作程式的環境變數設定 BENCH_DATABASE_URL"
                  "（一個專用的空資料庫，例如 postgresql://postgres@127.0.0.1:5432/portal_bench），重新啟動後再試。")
SAME_DATABASE = ("BENCH_DATABASE_URL 指向入口網站本身的資料庫，不能在此建立測試資料（會寫入正式資料）。"
                 "請改設一個專用的空資料庫。")


def masked(url) -> str:
    """The URL as the form shows it: the password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # unparsable: show nothing of it (it may hold a password)
        return "（格式無法辨識）"


def configured_target() -> str | None:
    return current_app.config.get("BENCH_DATABASE_URL") or None


def _same_url(a, b) -> bool:
    a, b = make_url(a), make_url(b)
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        return _sqlite_path(a.database) == _sqlite_path(b.database)
    local = {"localhost", "127.0.0.1", "::1", "", None}
    host_a, host_b = ("local" if a.host in local else a.host), ("local" if b.host in local else b.host)
    return (host_a, a.port or 5432, a.database) == (host_b, b.port or 5432, b.database)


def _sqlite_path(database) -> str:
    return os.path.realpath(database) if database and database != ":memory:" else ":memory:"


def fingerprint(connection) -> tuple:
    """What identifies a database whatever URL reached it."""
    if connection.dialect.name == "postgresql":
        row = connection.execute(text(
            "SELECT current_database(), pg_postmaster_start_time()::text, current_setting('port')")).one()
        return ("postgresql",) + tuple(row)
    if connection.dialect.name == "sqlite":
        files = {name: path for _, name, path in connection.execute(text("PRAGMA database_list"))}
        return ("sqlite", os.path.realpath(files["main"]) if files.get("main") else f"memory-{id(connection)}")
    return (connection.dialect.name, str(connection.engine.url))


def _engine_options(url) -> dict:
    if make_url(url).get_backend_name() == "postgresql":
        return {"pool_pre_ping": True, "connect_args": {"connect_timeout": 10}}
    return {"connect_args": {"timeout": 30}}


def target_problem(target: str | None) -> str | None:
    """Why the target must not be used (zh-TW), or None. Connects to it to compare with the portal's database."""
    if not target:
        return NOT_CONFIGURED
    try:
        url = make_url(target)
    except Exception:
        return "BENCH_DATABASE_URL 的格式無法辨識，請以 postgresql://使用者@主機:埠/資料庫 或 sqlite:////路徑 設定。"
    portal_url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if _same_url(target, portal_url):
        return SAME_DATABASE
    engine = None
    try:
        engine = create_engine(target, **_engine_options(target))
        with engine.connect() as connection:
            theirs = fingerprint(connection)
    except Exception as exc:
        return f"無法連線到效能測試資料庫 {masked(target)}（{type(exc).__name__}），請確認資料庫已建立且可連線。"
    finally:
        if engine is not None:
            engine.dispose()
    if theirs == fingerprint(db.session.connection()):
        return SAME_DATABASE
    if "test" in (url.database or "").rsplit("/", 1)[-1]:   # the command line's guard too
        return f"目標資料庫名稱看似測試用資料庫（{masked(target)}），為避免破壞測試資料，不予建立。"
    return None


def start_bench_seed(user, form):
    problem = target_problem(configured_target())
    if problem:
        raise Refused(problem)
    key = form.get("scale")
    if key not in SCALES:
        raise Refused("請選擇資料規模。", field="scale")
    target = masked(configured_target())
    return {"scale": key, "target": target}, f"縣規模效能測試資料・{SCALES[key][0]}・{target}"


def _bench_app(target):
    """A second app on the target database: the seeding code's `db.session` is the target's there."""
    from portal import create_app
    from portal.jobs.operations import storage_dir
    config = current_app.config
    uploads = config.get("BENCH_UPLOAD_DIR") or str(storage_dir() / "bench-uploads")
    return create_app({
        "SQLALCHEMY_DATABASE_URI": target,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(target),
        "UPLOAD_DIR": uploads, "JOB_STORAGE_DIR": str(Path(uploads) / "jobs"),
        "BENCH_DATABASE_URL": None, "REDIS_URL": None,
        "SECRET_KEY": config["SECRET_KEY"], "TESTING": config.get("TESTING", False),
        "DEMO_PASSWORD": config["DEMO_PASSWORD"],
    })


def _holds_other_data() -> bool:
    """True when the target has organisations but no demo accounts: someone's data, not a bench county."""
    names = set(inspect(db.engine).get_table_names())
    if "organisations" not in names or "users" not in names:
        return False
    if db.session.execute(text("SELECT 1 FROM organisations LIMIT 1")).first() is None:
        return False
    return db.session.execute(text("SELECT 1 FROM users WHERE email LIKE '%@demo.invalid' LIMIT 1")).first() is None


@job_handler(KIND, roles=(roles.ADMIN,), label="縣規模效能測試資料", start=start_bench_seed,
             page="jobs.bench_seed", timeout=6 * 3600)
def bench_seed_job(job, params, progress):
    from portal.jobs.bench_seed import MissingTemplate, build
    if params.get("scale") not in SCALES:
        raise Refused("資料規模不正確，請重新啟動工作。")
    label, scale, units = SCALES[params["scale"]]
    target = configured_target()
    problem = target_problem(target)   # again: this process's configuration, which the form did not see
    if problem:
        raise Refused(problem)
    if masked(target) != params.get("target"):
        raise Refused(f"背景工作程式設定的效能測試資料庫（{masked(target)}）與啟動時畫面顯示的"
                      f"（{params.get('target')}）不同，未建立資料。請統一 BENCH_DATABASE_URL 設定後重試。")
    portal_app = current_app._get_current_object()
    job_id, attempt = job.id, job.attempts
    # End this session's transaction: progress is written from another session (below), and on SQLite a
    # read transaction left open here would lock that writer out; on PostgreSQL it would idle for the run.
    db.session.rollback()

    def report(fraction, note):
        # The job row is in the portal's database: a context of the portal app has that session.
        with portal_app.app_context():
            progress(min(99, int(fraction * 100)), note)

    bench = _bench_app(target)
    with bench.app_context():
        try:
            if _holds_other_data():
                raise Refused(f"效能測試資料庫 {masked(target)} 已有非示範資料（沒有示範帳號），"
                              "為避免改動真實資料，不予建立。請使用專用的空資料庫。")
            summary = build(scale=scale, seed=DEFAULT_SEED, units=units, fresh=True, progress=report)
        except MissingTemplate:
            db.session.rollback()
            raise Refused("效能測試資料庫缺少可複製的示範縣資料，請使用專用的空資料庫重新建立。")
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.engine.dispose()   # no connection left open on the target (it may be dropped next)
    lines = [
        "縣規模效能測試資料（與 bench/seed_county.py --fresh 相同的程式）",
        f"目標資料庫：{masked(target)}",
        f"規模：{label}（--scale {scale:g} --units {units:g} --seed {DEFAULT_SEED}）",
        f"工作編號：{job_id}，第 {attempt} 次執行",
        "",
        *summary.lines(),
    ]
    return JobResult("縣規模效能測試資料摘要.txt", "text/plain; charset=utf-8",
                     data=("\n".join(lines) + "\n").encode("utf-8"))
