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

Queues (issue 10 §2): the bureau sees county-wide queues, not one item per record. A *summary*
`fn(user, now)` returns `False` or a list of `Summary(title, url, rows, due=…)`: `rows` selects the
queue's records, `due` (optional) is the SQL expression of each record's deadline. All summaries run
in the probes' statement (three scalar subqueries each: count, earliest due, count overdue), and each
non-empty queue becomes one item 「更換服務單位申請待審 12 件（逾期 3 件）」 linking to the queue's page.

    @queue_summary
    def change_queue(user, now):
        if user.role not in DECIDERS:
            return False
        return [Summary("更換服務單位申請待審", url_for("cases.changes", state="SUBMITTED"),
                        db.select(ChangeRequest.id).where(ChangeRequest.state == "SUBMITTED"), area="個案管理")]
"""
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import g, has_app_context
from sqlalchemy import DateTime, func, select


@dataclass
class ActionItem:
    title: str
    url: str
    due: date | datetime | None = None
    area: str = ""
    detail: str = ""
    overdue: bool = field(default=False)
    queue: bool = False         # one item for a whole queue (queue_item): `count` records,
    count: int = 1              # `overdue_count` of them overdue, `due` the earliest deadline
    overdue_count: int = 0

    @property
    def overdue_records(self):
        return self.overdue_count if self.queue else int(self.overdue)

    def check_overdue(self, now: datetime):
        if self.queue:
            self.overdue = self.overdue_count > 0
        elif isinstance(self.due, datetime):
            self.overdue = self.due < now
        elif isinstance(self.due, date):
            self.overdue = self.due < now.date()
        return self


@dataclass
class Summary:
    """One queue on a dashboard: its records (`rows`), each one's deadline (`due`, a SQL expression)."""
    title: str
    url: str
    rows: Any
    due: Any = None
    area: str = ""
    detail: str = ""
    # When the deadline is a pure rule over `due` (office days): `late`, the SQL condition equivalent to the
    # rule's "overdue", and `due_of`, the rule giving the earliest deadline from the earliest `due` value.
    late: Any = None
    due_of: Any = None
    say_late: bool = True   # False when every record of the queue is overdue by definition (the title says so)


_sources = []   # (fn, probe or None)
_summaries = []  # fn(user, now) -> list[Summary] | False


def queue_summary(fn):
    """Register `fn(user, now) -> list[Summary] | False` (no query of its own: it returns selects)."""
    _summaries.append(fn)
    return fn


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


def _summary_columns(summary, now):
    """count, earliest due, overdue count of one queue, as scalar subqueries (the last two only with a due)."""
    if summary.due is None:
        sub = summary.rows.subquery()
        return [select(func.count()).select_from(sub).scalar_subquery()]
    late = summary.late
    if late is None:
        kind = getattr(summary.due.type, "impl", summary.due.type)   # UTCDateTime decorates DateTime
        late = summary.due < (now if isinstance(kind, DateTime) else now.date())
    sub = summary.rows.with_only_columns(summary.due.label("due"), late.label("late")).subquery()
    return [select(func.count()).select_from(sub).scalar_subquery(),
            select(func.min(sub.c.due)).scalar_subquery(),
            select(func.count()).select_from(sub).where(sub.c.late).scalar_subquery()]


def queue_item(title, url, count, due=None, late=0, *, area="", detail="", unit="件", say_late=True):
    """The one item that stands for a queue: 「更換服務單位申請待審 12 件（逾期 3 件）」, its earliest due."""
    text = f"{title} {count} {unit}" + (f"（逾期 {late} {unit}）" if late and say_late else "")
    return ActionItem(text, url, due=due, area=area, detail=detail, queue=True, count=count, overdue_count=late)


def _summary_item(summary, values):
    count = values[0] or 0
    due, late = (values[1], values[2] or 0) if len(values) > 1 else (None, 0)
    if due is not None and summary.due_of is not None:
        due = summary.due_of(due)
    return queue_item(summary.title, summary.url, count, due, late, area=summary.area, detail=summary.detail,
                      say_late=summary.say_late)


def _sources_to_run(user, now):
    """The sources worth calling for this user and the queue summaries' items, after ONE statement that
    answers every probe (EXISTS) and every summary (scalar subqueries)."""
    from portal.extensions import db
    summaries = []
    for fn in _summaries:
        summaries.extend(fn(user, now) or [])
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
    columns = [s.exists() for s in checks]
    slices = []
    for summary in summaries:
        cols = _summary_columns(summary, now)
        slices.append((summary, slice(len(columns), len(columns) + len(cols))))
        columns.extend(cols)
    found = db.session.execute(db.select(*columns)).one() if columns else ()
    queues = [_summary_item(summary, found[part]) for summary, part in slices if found[part][0]]
    return [fn for fn, slots in plan if slots is None or any(found[i] for i in slots)], queues


def collect_action_items(user, now: datetime) -> list[ActionItem]:
    items = []
    g._dashboard_shared = {}
    try:
        sources, queues = _sources_to_run(user, now)
        items.extend(i.check_overdue(now) for i in queues)
        for source in sources:
            items.extend(i.check_overdue(now) for i in source(user, now))
    finally:
        g.pop("_dashboard_shared", None)

    return sort_action_items(items)


def sort_action_items(items):
    """Overdue first, then by due date, then by title."""
    def sort_key(item):
        due = item.due
        if isinstance(due, datetime):
            due = due.date()
        return (not item.overdue, due or date.max, item.title)
    return sorted(items, key=sort_key)
