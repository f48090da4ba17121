"""What a home must keep in date (seed 003 §十四(二)): each carer's annual health check and
CPR/CPCR/BLS certificate, health findings awaiting clearance, staff changes waiting for
the bureau, and the opening-hours filing. The home and its guidance unit see what
expires within the warning window (60 days by default, a setting)."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import joinedload, selectinload

from portal.billing import rules
from portal.billing.models import Carer, OpeningHoursFiling, StaffChange
from portal.billing.settings import EXPIRY_WINDOW
from portal.extensions import db
from portal.settings.registry import get_setting


@dataclass
class ComplianceItem:
    organisation_id: int
    carer: Carer | None
    what: str
    due: date | None
    state: str          # missing, overdue, soon, pending, blocked
    detail: str = ""

    @property
    def state_label(self):
        return {"missing": "未登錄", "overdue": "已逾期", "soon": "即將到期", "pending": "待核准",
                "blocked": "不得排班"}.get(self.state, self.state)


def carer_status(carer: Carer, today: date, window: int) -> list[ComplianceItem]:
    items = []
    last = carer.health_checks[0] if carer.health_checks else None
    due = rules.health_check_due(last.checked_on) if last else None
    state = rules.expiring(due, today, window)
    if state != "ok":
        items.append(ComplianceItem(carer.organisation_id, carer, "年度健康檢查", due, state,
                                    "尚無健康檢查紀錄" if last is None else f"上次檢查 {rules._roc(last.checked_on)}"))
    if last is not None:
        needed = rules.health_clearance_needed(last.finding_route, last.clearance_on)
        if needed:
            items.append(ComplianceItem(carer.organisation_id, carer, "健康檢查異常追蹤", None,
                                        "blocked" if last.finding_route == "contact" else "pending", needed))
    cert = max(carer.certificates, key=lambda c: c.expires_on) if carer.certificates else None
    state = rules.expiring(cert.expires_on if cert else None, today, window)
    if state != "ok":
        items.append(ComplianceItem(carer.organisation_id, carer, "CPR/CPCR/BLS 證照", cert.expires_on if cert else None,
                                    state, f"{cert.kind} 有效至 {rules._roc(cert.expires_on)}" if cert else "尚無證照紀錄"))
    return items


def active_carers(org_ids, today: date) -> list[Carer]:
    return list(db.session.execute(
        db.select(Carer).where(Carer.organisation_id.in_(list(org_ids)))
        .where((Carer.ended_on.is_(None)) | (Carer.ended_on >= today))
        # a home has one or two carers with a few certificates: joined, one query fewer than a second select
        .options(selectinload(Carer.health_checks), joinedload(Carer.certificates))
        .order_by(Carer.organisation_id, Carer.role, Carer.name)).unique().scalars())


def compliance_items(org_ids, today: date) -> list[ComplianceItem]:
    """Every item of these homes that is missing, overdue, expiring within the window or pending."""
    window = int(get_setting(EXPIRY_WINDOW.key))
    org_ids = list(org_ids)
    items = []
    for carer in active_carers(org_ids, today):
        items.extend(carer_status(carer, today, window))
    for change in db.session.execute(db.select(StaffChange).where(
            StaffChange.organisation_id.in_(org_ids), StaffChange.status == "submitted")
            .options(joinedload(StaffChange.person_out))).scalars():
        items.append(ComplianceItem(change.organisation_id, change.person_out, "人事異動待衛生局核准",
                                    change.effective_on, "pending",
                                    f"{change.kind_label}：{change.person_in_name or (change.person_out.name if change.person_out else '')}"))
    filed = {f.organisation_id for f in db.session.execute(db.select(OpeningHoursFiling).where(
        OpeningHoursFiling.organisation_id.in_(org_ids),
        OpeningHoursFiling.status.in_(("filed", "superseded")))).scalars()}
    for org_id in org_ids:
        if org_id not in filed:
            items.append(ComplianceItem(org_id, None, "收托時間尚未報備衛生局備查", None, "missing",
                                        "收托時間需事前報本局備查（seed 003 §十四(一)）"))
    order = {"blocked": 0, "overdue": 1, "missing": 2, "soon": 3, "pending": 4}
    return sorted(items, key=lambda i: (order.get(i.state, 9), i.due or date.max))


def home_warnings(org_id: int, today: date) -> list[ComplianceItem]:
    return compliance_items([org_id], today)
