"""Family-care items on the home dashboard (待辦事項) and the facts shown next to a unit."""
from flask import url_for
from sqlalchemy import func
from sqlalchemy.orm import joinedload

from portal.auth import roles
from portal.billing import rules
from portal.billing.compliance import compliance_items
from portal.billing.models import CorrectionRequest, Declaration, OpeningHoursFiling, ServiceDay, StaffChange
from portal.dashboard.registry import ActionItem, action_source
from portal.extensions import db
from portal.orgs.models import Organisation, overseen_org_ids
from portal.orgs.standing import unit_summary

AREA = "家庭托顧"


def _cal():
    from portal.settings.operations import office_calendar
    return office_calendar()


def _is_home(user):
    org = user.organisation
    return user.role in roles.B_ROLES and org is not None and org.subtype == "family_care"


@action_source
def home_billing_items(user, now):
    """A home: yesterday's records not entered, last month's declaration and payment request."""
    if not _is_home(user):
        return []
    today = now.date()
    org_id = user.organisation_id
    items = []
    previous = rules.previous_month(rules.month_start(today))
    declaration = db.session.execute(db.select(Declaration).filter_by(
        organisation_id=org_id, service_month=previous)).scalar_one_or_none()
    had_service = db.session.execute(db.select(ServiceDay.id).where(
        ServiceDay.organisation_id == org_id, ServiceDay.attended.is_(True), ServiceDay.day >= previous,
        ServiceDay.day <= rules.month_end(previous)).limit(1)).first()
    month_text = f"{previous.year - 1911}年{previous.month}月"
    if had_service and (declaration is None or declaration.status == "draft"):
        items.append(ActionItem(f"申報 {month_text} 服務費用", url_for("billing.declaration_month", home_id=org_id,
                                                                       month=f"{previous:%Y-%m}"),
                                due=rules.declaration_due(previous, cal=_cal()), area=AREA))
    elif declaration is not None and declaration.status in ("submitted", "returned"):
        title = "退回補正：重新函送請款" if declaration.status == "returned" else "函送領款收據及申報總表"
        items.append(ActionItem(f"{month_text}{title}", url_for("billing.declaration", declaration_id=declaration.id),
                                due=rules.request_due(previous, cal=_cal()), area=AREA,
                                detail=declaration.return_reason or ""))
    for item in compliance_items([org_id], today):
        if item.state in ("overdue", "soon", "missing", "blocked"):
            who = f"{item.carer.name} " if item.carer else ""
            link = url_for("billing.carer", carer_id=item.carer.id) if item.carer else \
                url_for("billing.compliance", home_id=org_id)
            items.append(ActionItem(f"{who}{item.what}（{item.state_label}）", link, due=item.due, area=AREA,
                                    detail=item.detail))
    return items


def _bureau_billing_work(user, now):
    if user.role not in (roles.ADMIN, roles.BUREAU_OFFICER):
        return False
    return [db.select(Declaration.id).filter_by(status="requested"),
            db.select(CorrectionRequest.id).filter_by(status="submitted"),
            db.select(OpeningHoursFiling.id).filter_by(status="submitted"),
            db.select(StaffChange.id).filter_by(status="submitted")]


@action_source(probe=_bureau_billing_work)
def bureau_billing_items(user, now):
    """Bureau officers: declarations to review, corrections, opening hours and staff changes to decide."""
    if user.role not in (roles.ADMIN, roles.BUREAU_OFFICER):
        return []
    items = []
    for d in db.session.execute(db.select(Declaration).filter_by(status="requested")
                                .options(joinedload(Declaration.organisation))
                                .order_by(Declaration.service_month)).scalars():
        items.append(ActionItem(f"審核請款：{d.organisation.name} {d.service_month.year - 1911}年{d.service_month.month}月",
                                url_for("billing.declaration", declaration_id=d.id), area=AREA,
                                detail=f"合計 {d.totals['total']:,} 元"))
    corrections, filings = db.session.execute(db.select(  # both counts in one query
        db.select(func.count(CorrectionRequest.id)).filter_by(status="submitted").scalar_subquery(),
        db.select(func.count(OpeningHoursFiling.id)).filter_by(status="submitted").scalar_subquery())).one()
    if corrections:
        items.append(ActionItem(f"服務紀錄更正申請待審 {corrections} 件", url_for("billing.review"), area=AREA))
    if filings:
        items.append(ActionItem(f"收托時間報備待備查 {filings} 件", url_for("billing.review"), area=AREA))
    for change in db.session.execute(db.select(StaffChange).filter_by(status="submitted")
                                     .options(joinedload(StaffChange.organisation))
                                     .order_by(StaffChange.effective_on)).scalars():
        items.append(ActionItem(f"人事異動待核准：{change.organisation.name}",
                                url_for("billing.staff_change", staff_change_id=change.id), due=change.effective_on,
                                area=AREA, detail=change.kind_label))
    return items


@action_source
def guidance_billing_items(user, now):
    """A guidance unit sees what expires within the window at the homes it guides (read-only)."""
    if user.role != roles.GUIDANCE_STAFF:
        return []
    ids = [i for (i,) in db.session.execute(overseen_org_ids(user)).all()]
    homes = {o.id: o for o in db.session.execute(db.select(Organisation).where(Organisation.id.in_(ids))).scalars()}
    items = []
    for item in compliance_items([i for i, o in homes.items() if o.subtype == "family_care"], now.date()):
        if item.state in ("overdue", "soon", "blocked"):
            who = f"{item.carer.name} " if item.carer else ""
            items.append(ActionItem(f"{homes[item.organisation_id].display_name}：{who}{item.what}（{item.state_label}）",
                                    url_for("billing.compliance", home_id=item.organisation_id), due=item.due,
                                    area=AREA, detail=item.detail))
    return items


@unit_summary
def declaration_summary(org_ids):
    """「家托申報：114年3月 已撥付」 for family-care homes."""
    rows = db.session.execute(
        db.select(Declaration).where(Declaration.organisation_id.in_(list(org_ids)), Declaration.status != "draft")
        .order_by(Declaration.service_month.desc())).scalars().all()
    latest = {}
    for d in rows:
        latest.setdefault(d.organisation_id, d)
    return {org_id: [f"家托申報：{d.service_month.year - 1911}年{d.service_month.month}月 {d.status_label}"]
            for org_id, d in latest.items()}
