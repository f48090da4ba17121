"""The to-do list of a person, kept while nothing it was computed from has changed (issue 10).

The dashboard is the page everyone lands on and returns to after every action, and an open dashboard asks for
its list again every two minutes; for the bureau and the A units the list is worked out from thousands of rows
(80–120 ms at county scale). It is kept with `portal.kept.kept`: served again while every table its sources read
is unchanged, at most `KEPT_SECONDS`; overdue flags are re-checked against the clock on every request.

What is kept is one plain tuple per item, in due order, with the instant from which it is overdue: an A unit's
1,500 items cost a millisecond to read back as tuples and several as objects, and a request only has to split
them into overdue and not yet (the order is overdue first, then by due date: within each part the due order
does not change with time) and make objects of the hundred it shows.

The rendered list only changes when the clock passes an instant at which an item turns overdue or "soon"
(`filters.due_class`), or at midnight: `Todo.key` names that state (the kept list, the day, how many such
instants have passed), and the dashboard renders each state once per process (`dashboard/views.py`).
"""
import uuid
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from portal import clock
from portal.dashboard.registry import ActionItem, collect_action_items
from portal.kept import kept

_EPOCH = datetime(1970, 1, 1, tzinfo=clock.TAIPEI)
_NEVER = float("inf")
# (late_from, title, url, due, area, detail, queue, count, overdue_count): late_from in µs since the epoch.
_LATE, _TITLE, _URL, _DUE, _AREA, _DETAIL, _QUEUE, _COUNT, _OVERDUE_COUNT = range(9)


@dataclass
class TodoList:
    queues: list        # every queue item
    items: list         # the first `shown` single items
    hidden: dict        # area -> number of single items not shown
    total: int          # records behind every item
    overdue: int        # overdue records


def action_items(user, now):
    """Every action item of the person, overdue first then by due date (as `collect_action_items` sorts)."""
    return [_item(row, now) for row in _in_order(_rows(user, now), _micros(now))]


def todo_list(user, now, shown: int) -> TodoList:
    """What the dashboard shows: every queue, the `shown` most urgent single items, the others counted by area."""
    return todo(user, now).listing(shown)


@dataclass
class Todo:
    """A person's kept list at an instant: `key` names what the page shows (the same key, the same page: the
    list, the day and how many instants at which an item turns soon or overdue have passed)."""
    token: str
    rows: list
    changes: list
    now: datetime

    @property
    def key(self) -> tuple:
        return (self.token, self.now.date(), bisect_right(self.changes, _micros(self.now)))

    def listing(self, shown: int) -> TodoList:
        now = self.now
        rows = _in_order(self.rows, now_us := _micros(now))
        queues, singles, hidden = [], [], {}
        total = overdue = 0
        for row in rows:
            total += row[_COUNT]
            late = row[_LATE] <= now_us
            if row[_QUEUE]:
                overdue += row[_OVERDUE_COUNT]
                queues.append(_item(row, now))
                continue
            overdue += late
            if len(singles) < shown:
                singles.append(_item(row, now))
            else:
                area = row[_AREA] or "其他"
                hidden[area] = hidden.get(area, 0) + 1
        return TodoList(queues, singles, hidden, total, overdue)


def todo(user, now) -> Todo:
    """The person's kept list (computed when nothing is kept) at `now`."""
    return Todo(*_kept(user, now), now)


def _rows(user, now):
    return _kept(user, now)[1]


def _kept(user, now):
    """(token, rows, changes): a new token for each computed list; `changes` the sorted instants (µs) from which
    an item looks different (overdue, or due within a day: `filters.due_class`); dates change at midnight."""
    def compute():
        rows = _compact(collect_action_items(user, now))
        changes = set()
        for row in rows:
            if row[_LATE] not in (_NEVER, -_NEVER):
                changes.add(row[_LATE])
            if isinstance(row[_DUE], datetime):
                changes.add(_micros(row[_DUE] - timedelta(days=1)) + 1)
        return uuid.uuid4().hex, rows, sorted(changes)
    return kept("dashboard", f"{user.id}:{user.role}:{user.organisation_id}", compute, now=now)


def _compact(items):
    def due_order(item):
        due = item.due.date() if isinstance(item.due, datetime) else item.due
        return (due or date.max, item.title)
    return [(_late_from(item), item.title, item.url, item.due, item.area, item.detail, item.queue, item.count,
             item.overdue_count) for item in sorted(items, key=due_order)]


def _late_from(item):
    """The first instant (µs) at which `item.check_overdue` says overdue."""
    if item.queue:
        return -_NEVER if item.overdue_count > 0 else _NEVER
    if isinstance(item.due, datetime):
        return _micros(item.due) + 1            # due < now
    if isinstance(item.due, date):                # due < now.date(): from the next day's midnight in Taipei
        return _micros(datetime.combine(item.due + timedelta(days=1), time(), tzinfo=clock.TAIPEI))
    return _NEVER


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _in_order(rows, now_us):
    """Overdue first, each part keeping the due order (`registry.sort_action_items` on the kept order)."""
    return [r for r in rows if r[_LATE] <= now_us] + [r for r in rows if r[_LATE] > now_us]


def _item(row, now):
    return ActionItem(row[_TITLE], row[_URL], due=row[_DUE], area=row[_AREA], detail=row[_DETAIL],
                      queue=row[_QUEUE], count=row[_COUNT], overdue_count=row[_OVERDUE_COUNT]).check_overdue(now)
