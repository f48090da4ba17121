"""On PostgreSQL, a GET request reads outside a transaction: no BEGIN before its first query, no ROLLBACK after.

Why: a page's reads need no transaction of their own. Under READ COMMITTED (PostgreSQL's default, ours) every
statement sees the data committed when it starts, inside a transaction or not, so a page reads exactly what it
read before. Dropping BEGIN and ROLLBACK saves two of the four to eight round trips of a typical page, and the
database's work for each (issue 10: less CPU in the workers and in PostgreSQL a request; docs/performance.md).

Writes stay atomic whatever the method: on such a connection, the first statement that is not a plain read (an
INSERT/UPDATE/DELETE, a locking `SELECT … FOR UPDATE`, an advisory lock, a SAVEPOINT, anything unrecognised)
first opens a transaction with an explicit BEGIN. From there on the request's writes, and the table-version bump
at its commit (`portal/table_versions.py`), commit or roll back together as on any other request. POST, PUT,
PATCH and DELETE requests, the jobs and the CLI are untouched: they run in transactions as before.

SQLite is left alone: it has no round trips to save.
"""
import re
from functools import lru_cache

from flask import request
from sqlalchemy import event

from portal.extensions import db, engine_to_instrument

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Marks the connections this module put in autocommit (others may use autocommit for their own reasons, e.g. a
# CLI's CREATE DATABASE, and must not get a BEGIN).
OPTION = "portal_reads_outside_transaction"

_PLAIN_READ = re.compile(r"^\s*(?:SELECT|WITH|SHOW)\b", re.IGNORECASE)
_NOT_PLAIN = re.compile(
    r"\bFOR\s+(?:NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b|\bpg_(?:try_)?advisory|\b(?:nextval|setval)\s*\("
    r"|\b(?:INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM)\b",
    re.IGNORECASE)
_IDLE = None   # psycopg.pq.TransactionStatus.IDLE, imported with the driver


@lru_cache(maxsize=1024)   # the statements are SQLAlchemy's compiled strings: the same few hundred again and again
def needs_transaction(statement: str) -> bool:
    """False only for a statement that reads and neither writes nor locks: it may run outside a transaction."""
    return not _PLAIN_READ.match(statement) or bool(_NOT_PLAIN.search(statement))


def install(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") or \
            not app.config.get("READS_OUTSIDE_TRANSACTION", True):
        return
    global _IDLE
    from psycopg.pq import TransactionStatus
    _IDLE = TransactionStatus.IDLE

    def read_outside_transaction():
        # A session already in a transaction (a test's request inside its app context) stays in it.
        if request.method in READ_METHODS and request.endpoint != "static" and not db.session().in_transaction():
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT", OPTION: True})

    # First, before the login gate loads the user: the session's connection is chosen by its first use.
    app.before_request_funcs.setdefault(None, []).insert(0, read_outside_transaction)

    engine = engine_to_instrument(app, "reads_outside_transaction")
    if engine is None:
        return

    @event.listens_for(engine, "before_cursor_execute")
    def open_transaction_before_writing(conn, cursor, statement, parameters, context, executemany):
        if not conn.get_execution_options().get(OPTION):
            return
        dbapi_connection = cursor.connection
        if dbapi_connection.info.transaction_status == _IDLE and needs_transaction(statement):
            dbapi_connection.execute("BEGIN")   # COMMIT or ROLLBACK ends it: psycopg sends them when not idle
