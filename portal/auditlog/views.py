"""The bureau's audit-log page: list and filter every recorded change."""
from datetime import datetime, time, timedelta

from flask import Blueprint, request
from sqlalchemy import func

from portal import clock
from portal.auditlog.models import AuditLogEntry
from portal.auth import roles
from portal.auth.access import roles_required
from portal.calendar import parse_roc_date
from portal.extensions import db
from portal.htmx import render
from portal.nav import register_nav
from portal.orgs.models import Organisation
from portal.pagination import requested_page

bp = Blueprint("auditlog", __name__)
LOG_READERS = (roles.ADMIN, roles.BUREAU_OFFICER, roles.BUREAU_CHIEF)
register_nav("稽核紀錄", "auditlog.index", LOG_READERS, order=940)
PAGE_SIZE = 100


def _day(text):
    try:
        return parse_roc_date(text) if text else None
    except ValueError:
        return None


def _row_id(text):
    """A filter id no row can have (not digits, or past 64 bits) filters nothing instead of overflowing SQLite."""
    return text.isdigit() and len(text) <= 18


@bp.route("/admin/audit-log")
@roles_required(*LOG_READERS)
def index():
    args = request.args
    filters = {k: args.get(k, "").strip() for k in ("q", "entity", "action", "actor", "org", "from", "to", "entity_id")}
    stmt = db.select(AuditLogEntry)
    if filters["entity"]:
        stmt = stmt.where(AuditLogEntry.entity_type == filters["entity"])
    if _row_id(filters["entity_id"]):
        stmt = stmt.where(AuditLogEntry.entity_id == int(filters["entity_id"]))
    if filters["action"]:
        stmt = stmt.where(AuditLogEntry.action.startswith(filters["action"]))
    if filters["actor"]:
        stmt = stmt.where(AuditLogEntry.actor_name.contains(filters["actor"]))
    if _row_id(filters["org"]):
        stmt = stmt.where(AuditLogEntry.organisation_id == int(filters["org"]))
    start, end = _day(filters["from"]), _day(filters["to"])
    if start:
        stmt = stmt.where(AuditLogEntry.at >= datetime.combine(start, time(), clock.TAIPEI))
    if end:
        stmt = stmt.where(AuditLogEntry.at < datetime.combine(end + timedelta(days=1), time(), clock.TAIPEI))
    total = db.session.execute(stmt.with_only_columns(func.count())).scalar_one()
    page, pages = requested_page(total, PAGE_SIZE)
    rows = db.session.execute(stmt.order_by(AuditLogEntry.id.desc()).limit(PAGE_SIZE)
                              .offset((page - 1) * PAGE_SIZE)).scalars().all()
    entity_types = db.session.execute(db.select(AuditLogEntry.entity_type).distinct()
                                      .order_by(AuditLogEntry.entity_type)).scalars().all()
    orgs = db.session.execute(db.select(Organisation).order_by(Organisation.name)).scalars().all()
    return render("auditlog/index.html", block="results", rows=rows, filters=filters, page=page, total=total,
                  pages=pages, entity_types=entity_types, orgs=orgs)
