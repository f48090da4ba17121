"""Results kept while the tables they were computed from are unchanged (issue 10).

    rows = kept("incidents.board", f"user{user.id}", compute, now=now)

`compute()` runs with the tables it reads noted (`portal/table_versions.py`); its result is kept with their
versions and returned again while every one of them is unchanged — any commit to one of them, by anyone on any
app server, makes the next call compute afresh, so a kept result is never older than the last change of its
data. Time passing is the other input: a result is kept at most `seconds` (default `KEPT_SECONDS`, 60; 0 turns
keeping off), and each key's window starts at an offset of its own so a county's results do not all expire in
the same second. Callers re-check against `now` whatever depends on the clock (overdue flags).

Keep plain values only (ids, strings, dates, small dataclasses): never ORM objects, which belong to one
request's session, and never change a value you were given: a kept value is shared by the requests this
process serves. Each process keeps what it computed or fetched (a bounded LRU), and when `REDIS_URL` is set
Redis holds a copy for every other worker and app server; `here=True` keeps a value in this process only (the
small values nearly every request reads: settings, the office calendar, where a Redis round trip and
unpickling would cost what the query does). Whichever copy is used, the versions decide.

`kept_row(name, key, load)` does the same for one ORM row (the logged-in user with the organisation): the
process keeps a detached copy, and each request gets its own instance of it in its session without SQL.
"""
import pickle
import threading
import zlib
from collections import OrderedDict

from flask import current_app

from portal.table_versions import ANY_TABLE, current_versions, track_reads

MAX_LOCAL_ENTRIES = 2000
_local = OrderedDict()
_lock = threading.Lock()


def kept(name: str, key: str, compute, *, now, seconds: int | None = None, here: bool = False,
         from_session: bool = True):
    """`compute()`, or its kept result while the tables it read are unchanged and its window is open.

    `from_session=False`: `compute` reads all it uses with its own SQL, so the rows already in the session (the
    user, the organisation) are not among its inputs — a login elsewhere then does not make it compute again."""
    if seconds is None:
        seconds = int(current_app.config.get("KEPT_SECONDS") or 0)
    if seconds <= 0:
        return compute()
    offset = zlib.crc32(key.encode()) % seconds
    full_key = f"{name}:{key}:{int((now.timestamp() + offset) // seconds)}"
    versions = current_versions()   # read before the data, so a result never outlives a change it missed

    def valid(entry):
        return entry is not None and all(versions.get(table) == version for table, version in entry[0].items())

    # This process's copy first (no round trip, nothing to unpickle), then the one another worker kept.
    entry = _local_get(full_key)
    if not valid(entry) and not here:
        entry = _redis_get(full_key)
        if valid(entry):
            _local_put(full_key, entry)
    if valid(entry):
        return entry[1]
    with track_reads(from_session) as tables:
        value = compute()
    entry = ({table: versions.get(table) for table in tables | {ANY_TABLE}}, value)
    _local_put(full_key, entry)
    if not here:
        _redis_put(full_key, entry, seconds)
    return value


def kept_row(name: str, key: str, load, *, now, from_session: bool = True):
    """The row `load()` returns (or None), as an instance of this request's session: loaded once, then made
    from this process's detached copy (`Session.merge(load=False)`, no SQL) while its tables are unchanged.

    The copy holds the row's loaded columns and its loaded many-to-one relationships (e.g. the user's
    organisation); anything else loads lazily as usual. The request may change its instance: the copy is
    never attached to a session, and a committed change raises the table's version."""
    from portal.extensions import db
    template = kept(name, key, lambda: _detached_copy(load()), now=now, here=True, from_session=from_session)
    return None if template is None else db.session.merge(template, load=False)


def _detached_copy(obj):
    from sqlalchemy import inspect
    from sqlalchemy.orm import make_transient_to_detached
    from sqlalchemy.orm.attributes import set_committed_value
    if obj is None:
        return None
    state = inspect(obj)
    mapper = state.mapper
    copy = mapper.class_manager.new_instance()
    for attr in mapper.column_attrs:
        if attr.key in state.dict:
            set_committed_value(copy, attr.key, state.dict[attr.key])
    for rel in mapper.relationships:
        if not rel.uselist and rel.key in state.dict:
            set_committed_value(copy, rel.key, _detached_copy(state.dict[rel.key]))
    make_transient_to_detached(copy)
    return copy


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


def _local_get(key):
    with _lock:
        entry = _local.get(key)
        if entry is not None:
            _local.move_to_end(key)
        return entry


def _local_put(key, entry):
    with _lock:
        _local[key] = entry
        _local.move_to_end(key)
        while len(_local) > MAX_LOCAL_ENTRIES:
            _local.popitem(last=False)


def _redis_get(key):
    client = _redis()
    if client is None:
        return None
    try:
        data = client.get("portal:kept:" + key)
        return pickle.loads(data) if data else None
    except Exception:   # Redis away, or a result kept by an older release of the code: compute, never fail
        return None


def _redis_put(key, entry, seconds):
    client = _redis()
    if client is None:
        return
    try:
        client.set("portal:kept:" + key, pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL), ex=seconds)
    except Exception:
        pass
