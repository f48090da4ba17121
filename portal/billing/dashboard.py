"""Family-care items on the home dashboard (待辦事項) and the facts shown next to a unit."""
from flask import url_for

from portal.auth import roles
from portal.billing import rules
from portal.billing.compliance import ComplianceItem, active_carers, carer_status
from portal.billing.models import (
    DECLARATION_STATUS_LABELS, CorrectionRequest, Declaration, OpeningHoursFiling, ServiceDay, StaffChange,
)
from portal.billing.settings import EXPIRY_WINDOW
from portal.dashboard.registry import ActionItem, Summary, action_source, queue_summary
from portal.extensions import db
from portal.orgs.models import Organisation, overseen_org_ids
from portal.orgs.standing import unit_summary
from portal.settings.registry import get_setting

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
    served = db.select(ServiceDay.id).where(   # the month's declaration and whether it had service: one query
        ServiceDay.organisation_id == org_id, ServiceDay.attended.is_(True), ServiceDay.day >= previous,
        ServiceDay.day <= rules.month_end(previous)).exists()
    filed = db.select(OpeningHoursFiling.id).where(   # compliance_items' "收托時間尚未報備" check
        OpeningHoursFiling.organisation_id == org_id, OpeningHoursFiling.status.in_(("filed", "superseded"))).exists()
    had_service, hours_filed, declaration = db.session.execute(
        db.select(served.label("had_service"), filed.label("hours_filed"), Declaration).select_from(Organisation)
        .outerjoin(Declaration, (Declaration.organisation_id == Organisation.id)
                   & (Declaration.service_month == previous))
        .where(Organisation.id == org_id)).one()
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
    # compliance_items without its pending staff changes (a home is not shown them): the carers' items and
    # the missing opening-hours filing, read above
    window = int(get_setting(EXPIRY_WINDOW.key))
    compliance = [item for carer in active_carers([org_id], today) for item in carer_status(carer, today, window)]
    if not hours_filed:
        compliance.append(ComplianceItem(org_id, None, "收托時間尚未報備衛生局備查", None, "missing",
                                         "收托時間需事前報本局備查（seed 003 §十四(一)）"))
    for item in compliance:
        if item.state in ("overdue", "soon", "missing", "blocked"):
            who = f"{item.carer.name} " if item.carer else ""
            link = url_for("billing.carer", carer_id=item.carer.id) if item.carer else \
                url_for("billing.compliance", home_id=org_id)
            items.append(ActionItem(f"{who}{item.what}（{item.state_label}）", link, due=item.due, area=AREA,
                                    detail=item.detail))
    return items


@queue_summary
def bureau_billing_queues(user, now):
    """Bureau officers: the review page's four queues (declarations, corrections, opening hours, staff changes)."""
    if user.role not in (roles.ADMIN, roles.BUREAU_OFFICER):
        return False
    url = url_for("billing.review")
    return [Summary("請款待審核", url, db.select(Declaration.id).filter_by(status="requested"), area=AREA),
            Summary("服務紀錄更正申請待審", url, db.select(CorrectionRequest.id).filter_by(status="submitted"), area=AREA),
            Summary("收托時間報備待備查", url, db.select(OpeningHoursFiling.id).filter_by(status="submitted"), area=AREA),
            Summary("人事異動待核准", url, db.select(StaffChange.effective_on).filter_by(status="submitted"),
                    due=StaffChange.effective_on, area=AREA)]


@action_source
def guidance_billing_items(user, now):
    """A guidance unit sees what expires within the window at the homes it guides (read-only)."""
    if user.role != roles.GUIDANCE_STAFF:
        return []
    homes = {o.id: o for o in db.session.execute(   # the guided homes in one query (the ids as a subquery)
        db.select(Organisation).where(Organisation.id.in_(overseen_org_ids(user)))).scalars()}
    items = []
    # the carers' items only: a guidance unit is not shown the pending staff changes or the missing filing
    today, window = now.date(), int(get_setting(EXPIRY_WINDOW.key))
    for carer in active_carers([i for i, o in homes.items() if o.subtype == "family_care"], today):
        for item in carer_status(carer, today, window):
            if item.state not in ("overdue", "soon", "blocked"):
                continue
            who = f"{item.carer.name} " if item.carer else ""
            items.append(ActionItem(f"{homes[item.organisation_id].display_name}：{who}{item.what}（{item.state_label}）",
                                    url_for("billing.compliance", home_id=item.organisation_id), due=item.due,
                                    area=AREA, detail=item.detail))
    return items


@unit_summary
def declaration_summary(org_ids):
    """「家托申報：114年3月 已撥付」 for family-care homes."""
    # Only each home's latest filed month (one per home and month), not two years of declarations per home:
    # the dispatch recommendation asks this for every ranked unit.
    filed = Declaration.status != "draft"
    latest_month = (db.select(Declaration.organisation_id, db.func.max(Declaration.service_month).label("month"))
                    .where(Declaration.organisation_id.in_(list(org_ids)), filed)
                    .group_by(Declaration.organisation_id).subquery())
    rows = db.session.execute(
        db.select(Declaration.organisation_id, Declaration.service_month, Declaration.status)
        .join(latest_month, db.and_(latest_month.c.organisation_id == Declaration.organisation_id,
                                    latest_month.c.month == Declaration.service_month))).all()
    return {org_id: [f"家托申報：{month.year - 1911}年{month.month}月 {DECLARATION_STATUS_LABELS.get(status, status)}"]
            for org_id, month, status in rows}
