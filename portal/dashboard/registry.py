"""What needs a person's action: each area contributes items to the home dashboard.

    @action_source
    def pending_change_requests(user, today):
        if user.role != BUREAU_OFFICER:
            return []
        return [ActionItem("更換服務單位申請待審", url, due=req.due_on, area="個案管理") ...]

Items are sorted overdue first, then by due date.
"""
from dataclasses import dataclass, field
from datetime import date, datetime


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


_sources = []


def action_source(fn):
    """Register `fn(user, now) -> list[ActionItem]` as a dashboard source."""
    _sources.append(fn)
    return fn


def collect_action_items(user, now: datetime) -> list[ActionItem]:
    items = []
    for source in _sources:
        items.extend(i.check_overdue(now) for i in source(user, now))

    def sort_key(item):
        due = item.due
        if isinstance(due, datetime):
            due = due.date()
        return (not item.overdue, due or date.max, item.title)
    return sorted(items, key=sort_key)
