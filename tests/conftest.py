"""Shared fixtures: one database per test run (SQLite file or a throw-away PostgreSQL
database), schema built by the migrations, every table emptied after each test.

`PORTAL_TEST_DATABASE=postgres` runs the suite on PostgreSQL; the admin URL
(`PORTAL_TEST_PG_ADMIN_URL`, default postgres@127.0.0.1:5432) is used to
create and drop a database named `portal_test_<random>`.
"""
import importlib
import os
import pkgutil
import tempfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from portal import create_app
from portal.config import TestConfig
from portal.extensions import db

TESTS_DIR = Path(__file__).parent
USE_POSTGRES = os.environ.get("PORTAL_TEST_DATABASE") == "postgres"
PG_ADMIN_URL = os.environ.get("PORTAL_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _load_area_test_plugins():
    """Import every `tests/<area>/authz_data.py` so areas join the access matrix."""
    for path in sorted(TESTS_DIR.glob("*/authz_data.py")):
        importlib.import_module(f"tests.{path.parent.name}.authz_data")


@pytest.fixture(scope="session")
def database_url():
    if USE_POSTGRES:
        name = f"portal_test_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        yield url
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"),
                {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    else:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/portal-test.sqlite3"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    _load_area_test_plugins()
    application = create_app({
        **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")),
        "SQLALCHEMY_ENGINE_OPTIONS": {} if USE_POSTGRES else {"connect_args": {"timeout": 30}},
    })
    with application.app_context():
        from flask_migrate import upgrade
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


def _empty_all_tables():
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    if USE_POSTGRES:
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(autouse=True)
def _clean_database(request):
    yield
    if "app" in request.fixturenames:
        application = request.getfixturevalue("app")
        from portal.jobs.operations import wait_for_local_jobs
        wait_for_local_jobs()
        with application.app_context():
            db.session.rollback()
            _empty_all_tables()
        from portal import kept
        kept.clear()   # the emptied tables start their versions again


@pytest.fixture
def app_ctx(app):
    with app.test_request_context():
        yield app
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(app_ctx):
    """Organisations of every kind, one user per role, and another unit's private data."""
    from tests.factories import build_world
    w = build_world()
    db.session.commit()
    return w


@pytest.fixture
def login(client):
    """`login(user)` logs the test client in as `user` (password 'pw-test-123')."""
    def do(user, password="pw-test-123"):
        client.post("/logout")
        response = client.post("/login", data={"username": user.username, "password": password})
        assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
        return client
    return do


# The concurrency harness's live server (tests/concurrency.py), available to every test.
from tests.concurrency import race_server  # noqa: E402,F401
