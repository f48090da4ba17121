"""The to-do list of a person, kept while nothing it was computed from has changed (issue 10).

The dashboard is the page everyone lands on and returns to after every action, and an open dashboard asks for
its list again every two minutes; for the bureau and the A units the list is worked out from thousands of rows
(80–120 ms at county scale). A computed list is kept with the version of every table its sources read
(`portal/table_versions.py`) and served again only while all of them are unchanged: any commit to one of those
tables, by anyone on any app server, makes the next request compute it afresh. So the list is never older than
the last change of its data.

Time passing is the other input: overdue flags are re-checked against the current time on every request, and a
list is kept at most `DASHBOARD_CACHE_SECONDS` (default 60; 0 turns the cache off) because some sources compare
with the clock in SQL (a lock that expires, a queue's overdue count). Each person's minute starts at an offset of
their own, so a county's dashboards do not all expire in the same second.

Where: in Redis when `REDIS_URL` is set (shared by every worker and app server), otherwise in this process
(a bounded LRU; each worker computes its own copy).
"""
import pickle
import threading
from collections import OrderedDict
from flask import current_app

from portal.dashboard.registry import collect_action_items, sort_action_items
from portal.table_versions import ANY_TABLE, current_versions, track_reads

MAX_LOCAL_ENTRIES = 2000
_local = OrderedDict()
_lock = threading.Lock()


def action_items(user, now):
    """The person's action items as `collect_action_items` returns them, from the cache when still valid."""
    seconds = int(current_app.config.get("DASHBOARD_CACHE_SECONDS") or 0)
    if seconds <= 0:
        return collect_action_items(user, now)
    offset = (user.id * 7919) % seconds
    key = f"{user.id}:{user.role}:{user.organisation_id}:{int((now.timestamp() + offset) // seconds)}"
    versions = current_versions()   # read before the data, so a list never outlives a change it missed
    entry = _get(key)
    if entry is not None:
        depends_on, items = entry
        if all(versions.get(table) == version for table, version in depends_on.items()):
            # In place: a worker serves one request at a time, and a list from Redis is a fresh copy.
            return sort_action_items([item.check_overdue(now) for item in items])
    with track_reads() as tables:
        items = collect_action_items(user, now)
    _put(key, ({table: versions.get(table) for table in tables | {ANY_TABLE}}, items), seconds)
    return items


def clear():
    """Forget every kept list of this process (tests empty the database between tests)."""
    with _lock:
        _local.clear()


def _redis():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    client = current_app.extensions.get("portal_dashboard_redis")
    if client is None:
        from redis import Redis
        client = current_app.extensions["portal_dashboard_redis"] = Redis.from_url(url, socket_timeout=0.5)
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
        data = client.get("portal:dashboard:" + key)
    except Exception:   # Redis away: compute the list, never fail the page
        return None
    return pickle.loads(data) if data else None


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
        client.set("portal:dashboard:" + key, pickle.dumps(entry), ex=seconds)
    except Exception:
        pass
