"""GET requests read outside a transaction on PostgreSQL, and their writes stay atomic (portal/db_reads.py)."""
import pytest
from flask import Blueprint, jsonify
from sqlalchemy import text

from portal import create_app
from portal.auth.access import public
from portal.config import TestConfig
from portal.db_reads import needs_transaction
from portal.extensions import db
from portal.table_versions import TableVersion
from tests.conftest import USE_POSTGRES


@pytest.mark.parametrize("statement, needed", [
    ("SELECT cases.id FROM cases WHERE cases.state = %(state)s", False),
    ("  select 1", False),
    ("WITH page AS (SELECT id FROM b_dispatches LIMIT 50) SELECT * FROM page", False),
    ("SHOW server_version", False),
    ("INSERT INTO audit_log (actor_id) VALUES (%(a)s)", True),
    ("UPDATE cases SET state = %(s)s WHERE cases.id = %(id)s", True),
    ("DELETE FROM uploads WHERE id = 1", True),
    ("SELECT change_requests.id FROM change_requests WHERE id = 3 FOR UPDATE", True),
    ("SELECT id FROM cases FOR NO KEY UPDATE SKIP LOCKED", True),
    ("SELECT id FROM cases FOR SHARE", True),
    ("SELECT pg_advisory_xact_lock(42)", True),
    ("SELECT nextval('cases_id_seq')", True),
    ("WITH moved AS (UPDATE cases SET state = 'CLOSED' RETURNING id) SELECT count(*) FROM moved", True),
    ("WITH gone AS (DELETE FROM uploads RETURNING id) SELECT id FROM gone", True),
    ("SAVEPOINT sa_savepoint_1", True),
    ("SET LOCAL statement_timeout = 1000", True),
    ("TRUNCATE cases", True),
])
def test_only_plain_reads_run_outside_a_transaction(statement, needed):
    assert needs_transaction(statement) is needed


class Boom(Exception):
    pass


@pytest.fixture(scope="module")
def probe_app(app, database_url):
    """A second app on the test database with routes that report the transaction and write on GET."""
    if not USE_POSTGRES:
        pytest.skip("reads outside a transaction apply to PostgreSQL only")
    bp = Blueprint("probe", __name__)

    def status():
        return db.session.connection().connection.dbapi_connection.info.transaction_status.name

    @bp.route("/_probe/read", methods=["GET", "POST"])
    @public
    def read():
        db.session.execute(text("SELECT 1"))
        return jsonify(after_read=status())

    @bp.route("/_probe/write/<name>")
    @public
    def write(name):
        db.session.execute(text("SELECT 1"))
        before = status()
        db.session.add(TableVersion(name=f"probe-{name}-1", version=1))
        db.session.flush()
        during = status()
        if name == "fail":
            db.session.add(TableVersion(name=f"probe-{name}-2", version=1))
            db.session.flush()
            raise Boom()
        db.session.add(TableVersion(name=f"probe-{name}-2", version=1))
        db.session.commit()
        return jsonify(before=before, during=during, after_commit=status())

    application = create_app({
        **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
        "SQLALCHEMY_DATABASE_URI": database_url, "SQLALCHEMY_ENGINE_OPTIONS": {},
        "PROPAGATE_EXCEPTIONS": False,
    })
    application.register_blueprint(bp)
    yield application
    with application.app_context():
        db.session.execute(text("DELETE FROM table_versions WHERE name LIKE 'probe-%'"))
        db.session.commit()
        db.engine.dispose()


def _probe_rows(app):
    with app.app_context():
        return sorted(db.session.execute(text(
            "SELECT name FROM table_versions WHERE name LIKE 'probe-%' ORDER BY name")).scalars())


def test_a_get_reads_without_begin_and_a_post_in_a_transaction(probe_app):
    client = probe_app.test_client()
    assert client.get("/_probe/read").json == {"after_read": "IDLE"}
    assert client.post("/_probe/read").json == {"after_read": "INTRANS"}
    assert client.get("/_probe/read").json == {"after_read": "IDLE"}   # the pooled connection was reset


def test_a_get_that_writes_opens_a_transaction_and_commits_all_of_it(probe_app):
    client = probe_app.test_client()
    assert client.get("/_probe/write/ok").json == {"before": "IDLE", "during": "INTRANS", "after_commit": "IDLE"}
    assert _probe_rows(probe_app) == ["probe-ok-1", "probe-ok-2"]
    assert client.post("/_probe/read").json == {"after_read": "INTRANS"}


def test_a_get_that_fails_half_way_leaves_nothing_written(probe_app):
    client = probe_app.test_client()
    assert client.get("/_probe/write/fail").status_code == 500
    assert "probe-fail-1" not in _probe_rows(probe_app)
    assert client.get("/_probe/read").json == {"after_read": "IDLE"}
    assert client.post("/_probe/read").json == {"after_read": "INTRANS"}
