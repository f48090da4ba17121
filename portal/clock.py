"""The current time, Taiwan time (README §4.2). Rules never call this: "now" is passed in.

Tests and demo scripts can pin the clock with `freeze(...)`.
"""
from contextlib import contextmanager
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

TAIPEI = ZoneInfo("Asia/Taipei")
_frozen: datetime | None = None


def now() -> datetime:
    """Return the current time, aware, in Asia/Taipei."""
    if _frozen is not None:
        return _frozen
    return datetime.now(TAIPEI)


def today() -> date:
    return now().date()


def utcnow() -> datetime:
    return now().astimezone(timezone.utc)


@contextmanager
def freeze(moment: datetime):
    """Pin `now()` to `moment` (aware; naive is read as Taipei time)."""
    global _frozen
    previous = _frozen
    _frozen = moment if moment.tzinfo else moment.replace(tzinfo=TAIPEI)
    try:
        yield
    finally:
        _frozen = previous
