"""PostgreSQL pool: a pooled connection is pinged before use only when it has sat idle for a while.

Why: SQLAlchemy's `pool_pre_ping` pings on every checkout, one round trip (and the database's work for it) on
every request, although a connection handed back a moment ago is almost never dead (issue 10: less CPU in the
workers and in PostgreSQL a request; docs/performance.md). What the ping is for, surviving a database restart or
a connection dropped by a firewall overnight, happens to connections that sat idle: one idle longer than
`DB_PING_AFTER_IDLE_SECONDS` is pinged, and a dead one is replaced before the request sees it. A connection
that dies within those seconds of its last use fails its request once; SQLAlchemy then recognises the
disconnect and discards the pool's other connections made before it, so the next requests get new ones.

Setting `DB_PING_AFTER_IDLE_SECONDS` to None leaves the engine options alone (`pool_pre_ping` if configured).
SQLite is left alone: it has no server to lose.
"""
import time

from sqlalchemy import event, exc

from portal.extensions import engine_to_instrument

CHECKED_IN_AT = "portal_checked_in_at"   # in the pool entry's info: lives as long as the DBAPI connection


def install(app):
    idle_seconds = app.config.get("DB_PING_AFTER_IDLE_SECONDS")
    if idle_seconds is None or not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    engine = engine_to_instrument(app, "ping_if_idle")
    if engine is None:
        return

    @event.listens_for(engine, "checkin")
    def note_checkin(dbapi_connection, record):
        record.info[CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection, record, proxy):
        checked_in_at = record.info.get(CHECKED_IN_AT)
        if checked_in_at is None or time.monotonic() - checked_in_at < idle_seconds:
            return   # new, or back in the pool a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out another (SQLAlchemy's documented recipe).
            raise exc.DisconnectionError() from error
