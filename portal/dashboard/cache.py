"""The to-do list of a person, kept while nothing it was computed from has changed (issue 10).

The dashboard is the page everyone lands on and returns to after every action, and an open dashboard asks for
its list again every two minutes; for the bureau and the A units the list is worked out from thousands of rows
(80–120 ms at county scale). It is kept with `portal.kept.kept`: served again while every table its sources read
is unchanged, at most `KEPT_SECONDS`; overdue flags are re-checked against the clock on every request.
"""
from portal.dashboard.registry import collect_action_items, sort_action_items
from portal.kept import kept


def action_items(user, now):
    """The person's action items as `collect_action_items` returns them, from the kept list when still valid."""
    items = kept("dashboard", f"{user.id}:{user.role}:{user.organisation_id}",
                 lambda: collect_action_items(user, now), now=now)
    # In place: a worker serves one request at a time, and a list from Redis is a fresh copy.
    return sort_action_items([item.check_overdue(now) for item in items])
