"""Which tables changed since a result was computed: one version number per table.

Every transaction that writes a table bumps that table's row in `table_versions` in the same transaction,
just before it commits. A cached result (the dashboard's to-do list, `portal/dashboard/cache.py`) remembers the
versions of the tables it read and is served only while every one of them is unchanged, so a cache never shows
data older than the last commit: a write by anyone, on any app server, is seen by the next request.

How writes are seen: at the cursor, whatever the path (ORM flush, Core `insert()`, `text()`), every
INSERT/UPDATE/DELETE names its table first; the table is noted on the connection and bumped when the
connection commits (ConnectionEvents.commit runs before the database's COMMIT). A statement whose table cannot
be read (TRUNCATE, a DML we cannot parse) bumps `*`, on which every cached result depends. Reads are noted only
while a `track_reads()` block is open: every known table name in the statement counts (a column named like a
table only causes an extra refresh, never a stale one).

Lock order: the rows are upserted in name order in one statement, just before COMMIT, so two writers
cannot deadlock on them and a writer holds them only for its commit.
"""
import re
from contextlib import contextmanager

from flask import g, has_app_context
from sqlalchemy import BigInteger, Column, String, event, text
from sqlalchemy import select as sa_select

from portal.extensions import db, engine_to_instrument

ANY_TABLE = "*"
_DML = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+"?(\w+)"?',
                  re.IGNORECASE)
_CTE_WRITE = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\b", re.IGNORECASE)
_SKIP_PREFIXES = ("SELECT", "WITH", "PRAGMA", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "SET ",
                  "SHOW", "EXPLAIN")


class TableVersion(db.Model):
    __tablename__ = "table_versions"
    name = Column(String(80), primary_key=True)
    version = Column(BigInteger, nullable=False, default=0)


_READ_VERSIONS = sa_select(TableVersion.__table__.c.name, TableVersion.__table__.c.version)
_UPSERT = ("INSERT INTO table_versions (name, version) VALUES {values} "
           "ON CONFLICT (name) DO UPDATE SET version = table_versions.version + 1")


def install(app):
    """Listen on the app's engine: note written tables, bump them on commit; note read tables when asked."""
    engine = engine_to_instrument(app, "table_versions")
    if engine is None:
        return
    names = sorted((t for t in db.metadata.tables if t != "table_versions"), key=len, reverse=True)
    known = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")

    @event.listens_for(engine, "before_cursor_execute")
    def note(conn, cursor, statement, parameters, context, executemany):
        head = statement.lstrip()[:10].upper()
        if not head.startswith(_SKIP_PREFIXES):
            match = _DML.match(statement)
            table = match.group(1).lower() if match else ANY_TABLE
            if table != "table_versions":
                conn.info.setdefault("written_tables", set()).add(table)
        elif head.startswith("WITH") and _CTE_WRITE.search(statement):   # a write inside a CTE
            conn.info.setdefault("written_tables", set()).add(ANY_TABLE)
        if head.startswith(("SELECT", "WITH")) and has_app_context():
            reads = g.get("_tables_read")
            if reads is not None:
                reads.update(known.findall(statement))

    @event.listens_for(engine, "commit")
    def bump(conn):
        written = conn.info.pop("written_tables", None)
        if written and _has_table(conn):
            bump_versions(conn, written)
            forget_current_versions()   # this request's later reads must see its own commit

    @event.listens_for(engine, "rollback")
    def forget(conn):
        if not conn.invalidated:   # a lost connection's info went with it (reading it would raise)
            conn.info.pop("written_tables", None)


def _has_table(conn) -> bool:
    """False only while the migrations have not yet created `table_versions` (then nothing is cached)."""
    key = ("table_versions_exist", conn.engine.url)
    if not _known_tables.get(key):
        _known_tables[key] = conn.dialect.has_table(conn, "table_versions")
    return _known_tables[key]


_known_tables = {}


def bump_versions(conn, tables):
    """Raise the version of `tables` by one (rows created as needed), on `conn`, in its transaction."""
    names = sorted(tables)
    values = ", ".join(f"(:n{i}, 1)" for i in range(len(names)))
    conn.execute(text(_UPSERT.format(values=values)), {f"n{i}": n for i, n in enumerate(names)})


def current_versions() -> dict:
    """Every table's version, read once per request (one small query)."""
    if has_app_context() and "_table_versions" in g:
        return g._table_versions
    # Core on the session's connection, not an ORM select: this runs on every request (0.4 -> 0.3 ms, issue 10).
    versions = dict(db.session.connection().execute(_READ_VERSIONS).all())
    if has_app_context():
        g._table_versions = versions
    return versions


def forget_current_versions():
    """After this request wrote and committed, re-read the versions before serving a cached result."""
    if has_app_context():
        g.pop("_table_versions", None)


def note_read(*tables):
    """Count `tables` as read by the result being computed: for values a request reads once and keeps in `g`
    (settings, office calendar, county profile), which later uses take without SQL."""
    if has_app_context():
        reads = g.get("_tables_read")
        if reads is not None:
            reads.update(tables)


@contextmanager
def track_reads(from_session: bool = True):
    """Collect the names of the tables read inside the block: `with track_reads() as tables: …`.

    Rows already in the session when the block starts can be used inside it without SQL (a lazy load of a
    loaded row, `session.get`): their tables count as read too, unless `from_session=False` says the block
    reads everything it uses with SQL of its own."""
    from sqlalchemy import inspect
    previous = g.get("_tables_read")
    tables = ({t.name for key in list(db.session.identity_map.keys()) for t in inspect(key[0]).tables}
              if from_session else set())
    g._tables_read = tables
    try:
        yield tables
    finally:
        if previous is None:
            g.pop("_tables_read", None)
        else:
            previous.update(tables)
            g._tables_read = previous
