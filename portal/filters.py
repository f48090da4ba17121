"""Template filters: ROC dates, money, masked IDs, Taipei times."""
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from markupsafe import Markup, escape

from portal import calendar, clock
from portal.clients.rules import mask_national_id

_WEEKDAYS = "一二三四五六日"


def roc(value, empty="—"):
    """114年1月15日."""
    if value is None or value == "":
        return empty
    if isinstance(value, datetime):
        value = value.astimezone(clock.TAIPEI).date()
    return calendar.roc_date(value)


def roc_short(value, empty="—"):
    """114/01/15."""
    if not value:
        return empty
    if isinstance(value, datetime):
        value = value.astimezone(clock.TAIPEI).date()
    return calendar.roc_numeric(value)


def roc_weekday(value):
    """114年1月15日（三）."""
    if not value:
        return "—"
    return f"{calendar.roc_date(value)}（{_WEEKDAYS[value.weekday()]}）"


def roc_dt(value, empty="—"):
    """114年1月15日 14:30 (Taipei time)."""
    if not value:
        return empty
    local = value.astimezone(clock.TAIPEI)
    return f"{calendar.roc_date(local.date())} {local:%H:%M}"


def twd(value, empty="—"):
    """12,345 (whole NT dollars)."""
    if value is None or value == "":
        return empty
    return f"{int(value):,}"


def number(value, places=0):
    if value is None:
        return "—"
    q = Decimal(1).scaleb(-places)
    return f"{Decimal(value).quantize(q, rounding=ROUND_HALF_UP):,}"


def mask_id(value):
    return mask_national_id(value or "")


def nl2br(value):
    if not value:
        return ""
    return Markup("<br>").join(escape(value).split("\n"))


def due_class(due, now=None):
    """CSS class for a due date: overdue (red), soon (amber) or ''."""
    if not due:
        return ""
    now = now or clock.now()
    if isinstance(due, datetime):
        if due < now:
            return "overdue"
        return "soon" if (due - now).total_seconds() < 86400 else ""
    today = now.date()
    if due < today:
        return "overdue"
    return "soon" if (due - today).days <= 2 else ""


def install(app):
    from portal.auditlog.labels import action_label, entity_label
    for fn in (roc, roc_short, roc_weekday, roc_dt, twd, number, mask_id, nl2br, due_class, action_label, entity_label):
        app.add_template_filter(fn)
