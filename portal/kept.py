"""Results kept while the tables they were computed from are unchanged (issue 10).

    rows = kept("incidents.board", f"user{user.id}", compute, now=now)

`compute()` runs with the tables it reads noted (`portal/table_versions.py`); its result is kept with their
versions and returned again while every one of them is unchanged — any commit to one of them, by anyone on any
app server, makes the next call compute afresh, so a kept result is never older than the last change of its
data. Time passing is the other input: a result is kept at most `seconds` (default `KEPT_SECONDS`, 60; 0 turns
keeping off), and each key's window starts at an offset of its own so a county's results do not all expire in
the same second. Callers re-check against `now` whatever depends on the clock (overdue flags).

Keep plain values only (ids, strings, dates, small dataclasses): never ORM objects, which belong to one
request's session. Stored in Redis when `REDIS_URL` is set (shared by every worker and app server), otherwise in
this process (a bounded LRU: each worker keeps its own copy).
"""
import pickle
import threading
import zlib
from collections import OrderedDict

from flask import current_app

from portal.table_versions import ANY_TABLE, current_versions, track_reads

MAX_LOCAL_ENTRIES = 4000
_local = OrderedDict()
_lock = threading.Lock()


def kept(name: str, key: str, compute, *, now, seconds: int | None = None):
    """`compute()`, or its kept result while the tables it read are unchanged and its window is open."""
    if seconds is None:
        seconds = int(current_app.config.get("KEPT_SECONDS") or 0)
    if seconds <= 0:
        return compute()
    offset = zlib.crc32(key.encode()) % seconds
    full_key = f"{name}:{key}:{int((now.timestamp() + offset) // seconds)}"
    versions = current_versions()   # read before the data, so a result never outlives a change it missed
    entry = _get(full_key)
    if entry is not None:
        depends_on, value = entry
        if all(versions.get(table) == version for table, version in depends_on.items()):
            return value
    with track_reads() as tables:
        value = compute()
    _put(full_key, ({table: versions.get(table) for table in tables | {ANY_TABLE}}, value), seconds)
    return value


def clear():
    """Forget every result kept in this process (tests empty the database between tests)."""
    with _lock:
        _local.clear()


def _redis():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    client = current_app.extensions.get("portal_kept_redis")
    if client is None:
        # One client a process with a short timeout: a page must not wait on Redis (the jobs' connection,
        # portal.jobs.rq_engine, has none, for RQ's blocking reads).
        from redis import Redis
        client = current_app.extensions["portal_kept_redis"] = Redis.from_url(url, socket_timeout=0.5)
    return client


def _get(key):
    client = _redis()
    if client is None:
        with _lock:
            entry = _local.get(key)
            if entry is not None:
                _local.move_to_end(key)
            return entry
    try:
        data = client.get("portal:kept:" + key)
        return pickle.loads(data) if data else None
    except Exception:   # Redis away, or a result kept by an older release of the code: compute, never fail
        return None


def _put(key, entry, seconds):
    client = _redis()
    if client is None:
        with _lock:
            _local[key] = entry
            _local.move_to_end(key)
            while len(_local) > MAX_LOCAL_ENTRIES:
                _local.popitem(last=False)
        return
    try:
        client.set("portal:kept:" + key, pickle.dumps(entry), ex=seconds)
    except Exception:
        pass
