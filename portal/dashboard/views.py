"""Home: each person's list of what needs their action, overdue first; and /healthz."""
from flask import Blueprint, jsonify, render_template
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import text

from portal import clock
from portal.auth import roles
from portal.auth.access import public
from portal.auth.models import User
from portal.dashboard import cache
from portal.dashboard.registry import ActionItem, action_source
from portal.extensions import db
from portal.htmx import render

bp = Blueprint("dashboard", __name__)


# At county scale an A unit can have 1,500 open items and the bureau hundreds: the page lists the most
# urgent ones (overdue first, then by due date) and counts the rest by area (issue 10: light pages).
SHOWN_ITEMS = 100


# The rendered to-do lists of this process, by `cache.Todo.key`: the page everyone returns to after every action
# and polls every two minutes is rendered once per state of their kept list (rendering 100 items was half the
# dashboard's time; issue 10). Bounded: the oldest go first.
_rendered = {}
MAX_RENDERED = 1000


@bp.route("/")
def home():
    todo = cache.todo(current_user, clock.now())
    shown = _rendered.get(todo.key)
    if shown is None:
        shown = _render_items(todo)
        if len(_rendered) >= MAX_RENDERED:
            _rendered.pop(next(iter(_rendered)), None)
        _rendered[todo.key] = shown
    has_items, total, overdue, items_html = shown
    return render("dashboard/home.html", block="items", items_html=items_html, has_items=has_items, total=total,
                  overdue=overdue)


def _render_items(todo):
    # Queue items (one line for a whole queue, a dozen at most) are always shown, above the single items:
    # a bureau officer's queues must not sink below a hundred overdue incidents.
    listing = todo.listing(SHOWN_ITEMS)
    html = render_template("dashboard/_items.html", queues=listing.queues, items=listing.items,
                           hidden=listing.hidden, hidden_total=sum(listing.hidden.values()))
    return bool(listing.items or listing.queues), listing.total, listing.overdue, Markup(html)


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # the database is down: say so, do not crash
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@action_source(probe=lambda user, now: db.select(User.id).where(User.locked_until > now)
               if user.role == roles.ADMIN else False)
def locked_accounts(user, now):
    """Administrators see accounts locked by failed logins."""
    if user.role != roles.ADMIN:
        return []
    from flask import url_for
    locked = db.session.execute(db.select(User).where(User.locked_until > now)).scalars().all()
    return [ActionItem(f"帳號 {u.username}（{u.full_name}）因登入失敗遭鎖定", url_for("auth.users", q=u.username),
                       due=u.locked_until, area="帳號") for u in locked]


@action_source
def next_year_calendar(user, now):
    """From December, remind the calendar editors to check next year's office calendar."""
    if user.role not in (roles.ADMIN, roles.BUREAU_OFFICER) or now.month != 12:
        return []
    from datetime import date
    from flask import url_for
    from portal.settings.operations import office_calendar
    next_year = now.year + 1
    cal = office_calendar()   # every override, already read for the other sources' deadlines: no query of its own
    if any(day >= date(next_year, 1, 1) for day in cal.office_days | cal.days_off):
        return []
    return [ActionItem(f"請核對 {next_year - 1911} 年政府行政機關辦公日曆（補班、停止辦公）",
                       url_for("settings.calendar", year=next_year), due=date(now.year, 12, 31), area="系統設定")]
