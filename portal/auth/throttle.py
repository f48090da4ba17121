"""Login throttling per address, shared by every app instance: Redis when configured, else the database."""
from flask import current_app

from portal import clock
from portal.auth.rules import address_blocked, address_window
from portal.dbtypes import UTCDateTime
from portal.extensions import db


class AddressLoginFailures(db.Model):
    __tablename__ = "address_login_failures"
    address = db.Column(db.String(64), primary_key=True)
    count = db.Column(db.Integer, nullable=False, default=0)
    window_start = db.Column(UTCDateTime)


def _limits():
    return current_app.config["ADDRESS_MAX_FAILURES"], current_app.config["LOGIN_LOCK_MINUTES"]


def _redis():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    from portal.jobs.rq_engine import _connection
    return _connection(url)


def is_blocked(address: str) -> bool:
    max_failures, minutes = _limits()
    redis = _redis()
    if redis is not None:
        count = redis.get(f"portal:login-fail:{address}")
        return int(count or 0) >= max_failures
    row = db.session.get(AddressLoginFailures, address)
    return bool(row) and address_blocked(row.count, row.window_start, clock.now(),
                                         max_failures=max_failures, window_minutes=minutes)


def record_failure(address: str) -> None:
    _, minutes = _limits()
    redis = _redis()
    if redis is not None:
        key = f"portal:login-fail:{address}"
        pipe = redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, minutes * 60, nx=True)
        pipe.execute()
        return
    row = db.session.get(AddressLoginFailures, address) or AddressLoginFailures(address=address)
    row.count, row.window_start = address_window(row.count or 0, row.window_start, clock.now(), window_minutes=minutes)
    db.session.add(row)
