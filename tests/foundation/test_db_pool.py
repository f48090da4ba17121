"""A pooled PostgreSQL connection is pinged only after sitting idle, and a dead one is replaced (portal/db_pool.py)."""
import time

import pytest
from flask import Blueprint, jsonify
from sqlalchemy import create_engine, text

from portal import create_app
from portal.auth.access import public
from portal.config import TestConfig
from portal.db_pool import CHECKED_IN_AT
from portal.extensions import db
from tests.conftest import PG_ADMIN_URL, USE_POSTGRES


@pytest.fixture
def pool_app(app, database_url):
    if not USE_POSTGRES:
        pytest.skip("the idle ping applies to PostgreSQL only")
    bp = Blueprint("pool_probe", __name__)

    @bp.route("/_pool/pid")
    @public
    def pid():
        return jsonify(pid=db.session.execute(text("SELECT pg_backend_pid()")).scalar())

    application = create_app({
        **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
        "SQLALCHEMY_DATABASE_URI": database_url, "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1},
        "DB_PING_AFTER_IDLE_SECONDS": 30, "PROPAGATE_EXCEPTIONS": False,
    })
    application.register_blueprint(bp)
    pings = []
    with application.app_context():
        dialect = db.engine.dialect
        real_ping = dialect.do_ping
        dialect.do_ping = lambda dbapi_connection: (pings.append(1), real_ping(dbapi_connection))[1]
    application.pings = pings
    yield application
    with application.app_context():
        db.engine.dispose()


def _terminate(pid):
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        for _ in range(50):   # terminate only signals the backend
            if not conn.execute(text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).first():
                break
            time.sleep(0.05)
    admin.dispose()


def _age_pooled_connection(app, seconds):
    with app.app_context():
        for record in list(db.engine.pool._pool.queue):
            record.info[CHECKED_IN_AT] -= seconds


def test_a_connection_back_in_the_pool_a_moment_ago_is_not_pinged(pool_app):
    client = pool_app.test_client()
    first = client.get("/_pool/pid").json["pid"]
    for _ in range(5):
        assert client.get("/_pool/pid").json["pid"] == first
    assert pool_app.pings == []


def test_an_idle_connection_is_pinged_and_a_dead_one_replaced_before_the_request_sees_it(pool_app):
    client = pool_app.test_client()
    first = client.get("/_pool/pid").json["pid"]
    _age_pooled_connection(pool_app, 31)
    assert client.get("/_pool/pid").json["pid"] == first   # idle, pinged, alive: kept
    assert len(pool_app.pings) == 1

    _terminate(first)   # a database restart or a firewall overnight
    _age_pooled_connection(pool_app, 31)
    response = client.get("/_pool/pid")
    assert response.status_code == 200 and response.json["pid"] != first
    assert len(pool_app.pings) == 2


def test_a_connection_that_died_just_after_use_fails_one_request_then_the_pool_recovers(pool_app):
    client = pool_app.test_client()
    first = client.get("/_pool/pid").json["pid"]
    _terminate(first)
    assert client.get("/_pool/pid").status_code == 500
    response = client.get("/_pool/pid")
    assert response.status_code == 200 and response.json["pid"] != first
    assert pool_app.pings == []
