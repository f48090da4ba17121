"""What needs a person's action: each area contributes items to the home dashboard.

    @action_source
    def pending_change_requests(user, today):
        if user.role != BUREAU_OFFICER:
            return []
        return [ActionItem("更換服務單位申請待審", url, due=req.due_on, area="個案管理") ...]

Items are sorted overdue first, then by due date.

Query budget (issue 10 §2): a source may declare a *probe*, `probe(user, now)` returning
- `False`: the source has nothing for this user (wrong role) and is not called;
- a `Select` (or a list of them): the source is called only when one of them has a row;
- `None`: no probe, the source is always called.
All probes of one dashboard run as ONE statement (`SELECT EXISTS(...), EXISTS(...), …`), so sources
with nothing to show cost no query of their own. A probe must be a necessary condition for the
source returning any item (the rows the source lists, with the same filters or looser ones).

    @action_source(probe=lambda user, now: db.select(Thing.id).where(Thing.state == "submitted"))
    def things_to_review(user, now): ...

Sources that read the same rows share them through `shared(key, load)` (once per collection).
"""
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import g, has_app_context


@dataclass
class ActionItem:
    title: str
    url: str
    due: date | datetime | None = None
    area: str = ""
    detail: str = ""
    overdue: bool = field(default=False)

    def check_overdue(self, now: datetime):
        if isinstance(self.due, datetime):
            self.overdue = self.due < now
        elif isinstance(self.due, date):
            self.overdue = self.due < now.date()
        return self


_sources = []   # (fn, probe or None)


def action_source(fn=None, *, probe=None):
    """Register `fn(user, now) -> list[ActionItem]` as a dashboard source (optionally with a probe)."""
    def register(f):
        _sources.append((f, probe))
        return f
    return register(fn) if fn is not None else register


def shared(key, load):
    """`load()` once per dashboard collection: sources that read the same rows share one query.

    Outside `collect_action_items` it simply calls `load()`.
    """
    memo = g.get("_dashboard_shared") if has_app_context() else None
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return memo[key]


def _sources_to_run(user, now):
    """The sources worth calling for this user, after one combined EXISTS query for all probes."""
    from portal.extensions import db
    plan, checks = [], []
    for fn, probe in _sources:
        answer = probe(user, now) if probe is not None else None
        if answer is False:
            continue
        if answer is None:
            plan.append((fn, None))
            continue
        selects = list(answer) if isinstance(answer, (list, tuple)) else [answer]
        if not selects:
            continue
        plan.append((fn, range(len(checks), len(checks) + len(selects))))
        checks.extend(selects)
    found = db.session.execute(db.select(*[s.exists() for s in checks])).one() if checks else ()
    return [fn for fn, slots in plan if slots is None or any(found[i] for i in slots)]


def collect_action_items(user, now: datetime) -> list[ActionItem]:
    items = []
    g._dashboard_shared = {}
    try:
        for source in _sources_to_run(user, now):
            items.extend(i.check_overdue(now) for i in source(user, now))
    finally:
        g.pop("_dashboard_shared", None)

    def sort_key(item):
        due = item.due
        if isinstance(due, datetime):
            due = due.date()
        return (not item.overdue, due or date.max, item.title)
    return sorted(items, key=sort_key)
