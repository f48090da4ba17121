"""Audits (查核): the blueprint, the schedule each person sees, and shared helpers.

Routes live in several modules registered on this blueprint (imported at the bottom):
views_templates (score sheets), views_rounds (rounds and scheduling), views_scoring
(tablet scoring, finalise, amendments, corrections), views_reports (unit history, overview, PDFs).
"""
from flask import Blueprint, flash, request
from flask_login import current_user

from portal import clock
from portal.auth import roles
from portal.auth.access import roles_required, scoped
from portal.extensions import db
from portal.htmx import render
from portal.nav import register_nav
from portal.pagination import requested_page

bp = Blueprint("audits", __name__, url_prefix="/audits")

AUDIT_MANAGERS = (roles.ADMIN, roles.BUREAU_OFFICER, roles.BUREAU_CHIEF)
TEMPLATE_EDITORS = (roles.ADMIN, roles.BUREAU_OFFICER)
UNIT_ROLES = tuple(roles.A_ROLES | roles.B_ROLES)
CORRECTION_FILERS = (roles.A_UNIT_HEAD, roles.B_HEAD, roles.A_CASE_MANAGER, roles.B_STAFF)
AUDIT_READERS = tuple(roles.COUNTY_WIDE_ROLES) + (roles.AUDITOR, roles.GUIDANCE_STAFF) + UNIT_ROLES
ASSIGNABLE_ROLES = (roles.AUDITOR, roles.BUREAU_OFFICER, roles.BUREAU_CHIEF)
register_nav("查核", "audits.index", AUDIT_READERS, order=55)
PAGE_SIZE = 50


def field_error(form, exc):
    """Put an operation's refusal next to its field, or flash it."""
    field = getattr(form, exc.field, None) if getattr(exc, "field", None) else None
    if field is not None:
        field.errors = list(field.errors) + [str(exc)]
    else:
        flash(str(exc), "error")


@bp.route("")
@roles_required(*AUDIT_READERS)
def index():
    """The schedule: the bureau sees rounds and upcoming audits, auditors their assignments, units their audits."""
    from sqlalchemy import func
    from sqlalchemy.orm import joinedload, selectinload

    from portal.audits.models import Audit, AuditAssignment, AuditItem, AuditRound, AuditTemplateVersion
    today = clock.today()
    # The county's schedule a page at a time, soonest first; unit, sheet and auditors loaded with it.
    upcoming_stmt = scoped(Audit).where(Audit.status.not_in(("cancelled", "finalised")))
    total = db.session.execute(upcoming_stmt.with_only_columns(func.count(Audit.id)).order_by(None)).scalar_one()
    page, pages = requested_page(total, PAGE_SIZE)
    upcoming = db.session.execute(
        upcoming_stmt.order_by(Audit.scheduled_on, Audit.id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
        .options(joinedload(Audit.organisation), joinedload(Audit.template_version)
                 .joinedload(AuditTemplateVersion.template),
                 selectinload(Audit.assignments).joinedload(AuditAssignment.user))).scalars().all()
    past = db.session.execute(
        scoped(Audit).where(Audit.status == "finalised").order_by(Audit.scheduled_on.desc(), Audit.id.desc())
        .limit(50).options(joinedload(Audit.organisation))
    ).scalars().all()
    # Counted, not loaded (issue 10): every item of the past audits' sheets, every audit of every round.
    item_counts = dict(db.session.execute(
        db.select(AuditItem.template_version_id, func.count(AuditItem.id))
        .where(AuditItem.template_version_id.in_({a.template_version_id for a in past}))
        .group_by(AuditItem.template_version_id)).all()) if past else {}
    rounds = []
    if current_user.sees_all:
        live = Audit.status != "cancelled"
        rounds = db.session.execute(
            db.select(AuditRound, func.count(Audit.id).filter(live),
                      func.count(Audit.id).filter(live, Audit.status == "finalised"),
                      func.count(Audit.id).filter(live, Audit.passed.is_(False)))
            .outerjoin(Audit, Audit.round_id == AuditRound.id).group_by(AuditRound.id)
            .order_by(AuditRound.starts_on.desc())).all()
    return render("audits/index.html", block="upcoming", upcoming=upcoming, past=past, item_counts=item_counts,
                  rounds=rounds, today=today, is_manager=current_user.role in AUDIT_MANAGERS, total=total,
                  page=page, pages=pages)


from portal.audits import demo, standing, views_reports, views_rounds, views_scoring, views_templates  # noqa: E402,F401
