"""Configuration in one place. Secrets come only from the environment.

`DATABASE_URL` selects the database (PostgreSQL in production, e.g.
`postgresql+psycopg://user@host/db`); without it an SQLite file under
`instance/` is used. `PORTAL_ENV=production` refuses the development key.
"""
import os
from datetime import timedelta
from pathlib import Path

DEV_SECRET_KEY = "dev-only-not-secret"
BASE_DIR = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{BASE_DIR / 'instance' / 'portal.sqlite3'}"
    return psycopg_url(url)


def psycopg_url(url: str | None) -> str | None:
    """Accept the common `postgres://` / `postgresql://` spellings; we use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url and url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    ENV_NAME = os.environ.get("PORTAL_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {}
    # A pooled PostgreSQL connection idle this long is pinged before use (portal/db_pool.py); None: no such
    # ping (set SQLALCHEMY_ENGINE_OPTIONS {"pool_pre_ping": True} to ping on every checkout instead).
    DB_PING_AFTER_IDLE_SECONDS = float(os.environ.get("PORTAL_DB_PING_AFTER_IDLE_SECONDS", "10"))
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    WTF_CSRF_TIME_LIMIT = None  # a form left open all morning must still submit
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # The session cookie is marked Secure whenever the request came over HTTPS (also behind a proxy, see
    # PROXY_HOPS); SESSION_COOKIE_SECURE=1 forces it even when the app cannot tell.
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Reverse proxies in front of the app (nginx, a load balancer) that set X-Forwarded-For/-Proto/-Host.
    # 0 = none: forwarded headers are ignored (a client could forge them). With 1, the app trusts the
    # last proxy's headers: the client's address for login throttling and the log, https for cookies.
    PROXY_HOPS = int(os.environ.get("PORTAL_PROXY_HOPS", "0"))
    # Idle timeout: the session cookie is renewed on every request and expires after this much inactivity.
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=int(os.environ.get("PORTAL_IDLE_MINUTES", "60")))
    SESSION_REFRESH_EACH_REQUEST = True
    REMEMBER_COOKIE_DURATION = timedelta(days=1)
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024  # uploads: scans and photos
    UPLOAD_DIR = os.environ.get("PORTAL_UPLOAD_DIR", str(BASE_DIR / "instance" / "uploads"))
    # Jobs: with REDIS_URL, an RQ queue served by `make worker`; without, a thread pool in the app.
    REDIS_URL = os.environ.get("REDIS_URL") or None
    JOB_QUEUE_NAME = os.environ.get("PORTAL_JOB_QUEUE", "portal")
    JOB_STORAGE_DIR = os.environ.get("PORTAL_JOB_STORAGE_DIR")  # shared folder; default UPLOAD_DIR/jobs
    # The county-scale benchmark data set (job 「縣規模效能測試資料」): a database of its own, never the
    # portal's (the job refuses that); the demo county's photos go to their own folder, not UPLOAD_DIR.
    BENCH_DATABASE_URL = psycopg_url(os.environ.get("BENCH_DATABASE_URL") or None)
    BENCH_UPLOAD_DIR = os.environ.get("PORTAL_BENCH_UPLOAD_DIR")  # default: job storage/bench-uploads
    TIMEZONE = "Asia/Taipei"
    # Results kept while the tables they were computed from are unchanged (portal/kept.py: the dashboard's
    # to-do list, the incident board's order) are kept at most this long; 0 computes them on every request.
    KEPT_SECONDS = int(os.environ.get("PORTAL_KEPT_SECONDS", "60"))
    # Login throttling (issue 2 §4): 5 failures lock the account for 15 minutes.
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    ADDRESS_MAX_FAILURES = 20  # failed logins from one address in the window before it is refused
    # Fonts for PDFs (forms-and-pdfs.md §0, decisions Q22); paths are searched in order.
    PDF_KAI_FONTS = [
        "/usr/share/fonts/truetype/arphic/ukai.ttc",
        "/usr/share/fonts/truetype/cwtex/cwkai.ttf",
    ]
    PDF_KAI_FONT_FAMILY = "AR PL UKai TW"
    DEMO_PASSWORD = "demo1234"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


class TestConfig(Config):
    TESTING = True
    QUERY_COUNT_HEADER = True
    WTF_CSRF_ENABLED = False
    SECRET_KEY = "test-secret"
    LOGIN_MAX_FAILURES = 5


def pick_config():
    return ProductionConfig if Config.ENV_NAME == "production" else Config
