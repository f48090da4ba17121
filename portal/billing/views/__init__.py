"""Family-care operations and monthly billing (家庭托顧): the blueprint and shared helpers.

Who sees what: the bureau every home; a home's staff their own home (and edit
it); a guidance unit the homes it guides, read-only (seed 003 §十五(四)).
The pages are split by topic: admissions, daily records and corrections,
declarations and documents, rate tables, carer compliance.
"""
from datetime import date

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.orm import joinedload, selectinload

from portal import clock
from portal.auth import roles
from portal.auth.access import roles_required
from portal.billing import rules
from portal.billing.pricing import MissingRate
from portal.billing.models import (CareAdmission, CorrectionRequest, Declaration, OpeningHoursFiling, ServiceDay,
                                   StaffChange, can_edit_home)
from portal.extensions import db
from portal.htmx import render
from portal.nav import register_nav
from portal.orgs.models import Organisation, overseen_org_ids

bp = Blueprint("billing", __name__, url_prefix="/billing")

READERS = tuple(sorted(roles.COUNTY_WIDE_ROLES)) + (roles.B_HEAD, roles.B_STAFF, roles.GUIDANCE_STAFF)
DECIDERS = (roles.ADMIN, roles.BUREAU_OFFICER)
register_nav("家庭托顧", "billing.index", READERS, order=40)
register_nav("托顧審核", "billing.review", DECIDERS + (roles.BUREAU_CHIEF,), order=41)


def readable_home_ids(user=None):
    """SQL select of the family-care homes `user` may read."""
    user = user or current_user
    stmt = db.select(Organisation.id).where(Organisation.kind == roles.B_UNIT, Organisation.subtype == "family_care")
    if user.sees_all:
        return stmt
    if user.role == roles.GUIDANCE_STAFF:
        return stmt.where(Organisation.id.in_(overseen_org_ids(user)))
    if user.role in roles.B_ROLES:
        return stmt.where(Organisation.id == user.organisation_id)
    return stmt.where(Organisation.id.is_(None))


def get_home_or_404(home_id) -> Organisation:
    """Load a family-care home the user may read, or 404 (also for another unit's home)."""
    if not db.session.execute(readable_home_ids().where(Organisation.id == home_id)).first():
        abort(404)
    return db.session.get(Organisation, home_id)


def can_edit(org_id) -> bool:
    return can_edit_home(current_user, org_id)


def is_head(org_id) -> bool:
    return can_edit(org_id) and current_user.role == roles.B_HEAD


def is_decider() -> bool:
    return current_user.role in DECIDERS


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        abort(404)


def parse_month(text: str | None, default: date | None = None) -> date:
    """Parse 「2025-03」 (URLs) or a ROC month 「114/03」 (typed); 404 on nonsense."""
    if not text:
        return rules.month_start(default or clock.today())
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except (ValueError, AttributeError):
        pass
    from portal.calendar import parse_roc_month
    try:
        return parse_roc_month(text)
    except ValueError:
        abort(404)


def month_key(month: date) -> str:
    return f"{month:%Y-%m}"


@bp.app_template_filter("roc_month")
def roc_month_filter(month):
    return f"{month.year - 1911}年{month.month}月" if month else "—"


@bp.app_template_filter("hours")
def hours_filter(value):
    return rules._fmt_hours(value)


def relation_label(key):
    relation = rules.RELATIONS_BY_KEY.get(key or "none")
    return relation.label if relation else key


def welfare_label(status):
    from portal.billing.models import WELFARE_LABELS
    return WELFARE_LABELS.get(status, status or "—")


@bp.context_processor
def billing_globals():
    from portal.billing.documents import days_text
    return {"month_key": month_key, "can_edit": can_edit, "is_head": is_head, "is_decider": is_decider,
            "relation_label": relation_label, "welfare_label": welfare_label, "days_text": days_text,
            "care_rows": rules.CARE_ROWS, "non_care_rows": rules.NON_CARE_ROWS}


@bp.errorhandler(MissingRate)
def missing_rate(error):
    """A day priced without a rate (the bureau's table has a gap) is explained, not a 500."""
    from flask import render_template
    from markupsafe import escape
    db.session.rollback()
    text = f"{error.args[0] if error.args else error} 補登後即可計算申報金額與收據（費率表由衛生局維護）。"
    if request.headers.get("HX-Request"):
        return f'<div class="flash error" role="alert">無法計價：{escape(text)}</div>', 409
    return render_template("error.html", code=409, title="無法計價", text=text), 409


@bp.route("/")
@roles_required(*READERS)
def index():
    homes = db.session.execute(db.select(Organisation).where(Organisation.id.in_(readable_home_ids()))
                               .order_by(Organisation.name)).scalars().all()
    if current_user.role in roles.B_ROLES and len(homes) == 1:
        return redirect(url_for("billing.home", home_id=homes[0].id))
    today = clock.today()
    month = rules.month_start(today)
    previous = rules.previous_month(month)
    ids = [h.id for h in homes]
    clients = dict(db.session.execute(
        db.select(CareAdmission.organisation_id, func.count(CareAdmission.id))
        .where(CareAdmission.organisation_id.in_(ids), CareAdmission.ended_on.is_(None))
        .group_by(CareAdmission.organisation_id)).all()) if ids else {}
    days = dict(db.session.execute(
        db.select(ServiceDay.organisation_id, func.count(ServiceDay.id))
        .where(ServiceDay.organisation_id.in_(ids), ServiceDay.attended.is_(True), ServiceDay.day >= month)
        .group_by(ServiceDay.organisation_id)).all()) if ids else {}
    declarations = {d.organisation_id: d for d in db.session.execute(
        db.select(Declaration).where(Declaration.organisation_id.in_(ids), Declaration.service_month == previous)
    ).scalars()} if ids else {}
    return render("billing/index.html", homes=homes, clients=clients, days=days, declarations=declarations,
                  month=month, previous=previous, today=today,
                  declaration_due=rules.declaration_due(previous, cal=_cal()))


def _cal():
    from portal.settings.operations import office_calendar
    return office_calendar()


@bp.route("/homes/<int:home_id>")
@roles_required(*READERS)
def home(home_id):
    org = get_home_or_404(home_id)
    today = clock.today()
    month = parse_month(request.args.get("month"), today)
    days = rules.month_days(month)
    counts = dict(db.session.execute(
        db.select(ServiceDay.day, func.count(ServiceDay.id))
        .where(ServiceDay.organisation_id == org.id, ServiceDay.attended.is_(True),
               ServiceDay.day >= days[0], ServiceDay.day <= days[-1])
        .group_by(ServiceDay.day)).all())
    admissions = db.session.execute(
        db.select(CareAdmission).where(CareAdmission.organisation_id == org.id)
        .order_by(CareAdmission.ended_on.is_not(None), CareAdmission.admitted_on.desc())
        .options(selectinload(CareAdmission.client))).scalars().all()
    declaration = db.session.execute(db.select(Declaration).filter_by(
        organisation_id=org.id, service_month=month)).scalar_one_or_none()
    pending_corrections = db.session.execute(db.select(func.count(CorrectionRequest.id)).filter_by(
        organisation_id=org.id, status="submitted")).scalar_one()
    from portal.billing.operations import opening_hours_on
    from portal.billing.compliance import home_warnings
    weeks = _weeks(days)
    return render("billing/home.html", org=org, month=month, weeks=weeks, counts=counts, admissions=admissions,
                  declaration=declaration, today=today, locked=rules.records_locked(month, today),
                  lock_day=rules.last_editable_day(month), declaration_due=rules.declaration_due(month, cal=_cal()),
                  request_due=rules.request_due(month, cal=_cal()), pending_corrections=pending_corrections,
                  opening=opening_hours_on(org.id, min(today, days[-1])), warnings=home_warnings(org.id, today),
                  prev_month=rules.previous_month(month), next_month=rules.next_month(month),
                  pending_filing=db.session.execute(db.select(OpeningHoursFiling).filter_by(
                      organisation_id=org.id, status="submitted")).scalars().first())


def _weeks(days):
    """Split a month's days into Monday-first weeks for the calendar grid (None pads)."""
    weeks, week = [], [None] * days[0].weekday()
    for d in days:
        week.append(d)
        if len(week) == 7:
            weeks.append(week)
            week = []
    if week:
        weeks.append(week + [None] * (7 - len(week)))
    return weeks


@bp.route("/review")
@roles_required(*DECIDERS, roles.BUREAU_CHIEF)
def review():
    """The bureau's queue: declarations to review, corrections, opening hours, staff changes."""
    # every row names its home (and client, carer): loaded with the rows, not one query per row
    declarations = db.session.execute(
        db.select(Declaration).where(Declaration.status.in_(("submitted", "requested")))
        .order_by(Declaration.service_month, Declaration.organisation_id)
        .options(joinedload(Declaration.organisation))).scalars().all()
    corrections = db.session.execute(db.select(CorrectionRequest).filter_by(status="submitted")
                                     .order_by(CorrectionRequest.requested_at)
                                     .options(joinedload(CorrectionRequest.organisation),
                                              joinedload(CorrectionRequest.client))).scalars().all()
    filings = db.session.execute(db.select(OpeningHoursFiling).filter_by(status="submitted")
                                 .order_by(OpeningHoursFiling.submitted_at)
                                 .options(joinedload(OpeningHoursFiling.organisation))).scalars().all()
    staff_changes = db.session.execute(db.select(StaffChange).filter_by(status="submitted")
                                       .order_by(StaffChange.effective_on)
                                       .options(joinedload(StaffChange.organisation),
                                                joinedload(StaffChange.person_out))).scalars().all()
    recent = db.session.execute(
        db.select(Declaration).where(Declaration.status.in_(("approved", "returned", "paid")))
        .order_by(Declaration.decided_at.desc()).limit(15)
        .options(joinedload(Declaration.organisation))).scalars().all()
    return render("billing/review.html", declarations=declarations, corrections=corrections, filings=filings,
                  staff_changes=staff_changes, recent=recent)


from portal.billing.views import admissions, compliance, declarations, rates, records  # noqa: E402,F401
from portal.billing import cli, dashboard, demo  # noqa: E402,F401
