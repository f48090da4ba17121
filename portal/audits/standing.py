"""Audit facts for other areas (@unit_summary) and the to-do items of the home dashboard (@action_source)."""
from datetime import timedelta

from flask import url_for

from portal.audits import rules
from portal.audits.queries import finalised_audits, upcoming_audits
from portal.auth import roles
from portal.calendar import roc_date
from portal.dashboard.registry import ActionItem, action_source, queue_item, shared
from portal.extensions import db
from portal.orgs.standing import unit_summary
from portal.settings.registry import define_setting, get_setting

MAX_MONTHS = define_setting(
    "audits.max_months_between", 2, kind="int", label="查核間隔提醒（月）", area="audits",
    spec="case-management.md §13 R-AUD-01 (平均二個月一次); decisions Q06",
    help="單位最近一次查核超過此月數且尚未排定下一次查核時，於衛生局首頁提醒。")
AREA = "查核"
MANAGERS = (roles.ADMIN, roles.BUREAU_OFFICER, roles.BUREAU_CHIEF)


@unit_summary
def audit_facts(org_ids) -> dict:
    """「最近查核：合格（114年3月1日）」 and, when it matters, the run of failures."""
    facts = {}
    for org_id, audits in finalised_audits(org_ids).items():
        if not audits:
            continue
        last = audits[-1]
        items = [f"最近查核：{last.result_label}（{roc_date(last.scheduled_on)}）"]
        fails = rules.consecutive_fails([a.passed for a in audits])
        if fails >= 2:
            items.append(f"查核：連續 {fails} 次不合格")
        facts[org_id] = items
    return facts


def _bureau_view():
    """Audited units, their standings and upcoming audits, loaded once per request for both bureau sources.

    One query reads the finalised and the upcoming audits of active A and B units with their unit (a unit
    with no audit at all has no standing to act on and nothing upcoming: neither source lists it). The
    audits are plain rows of the columns the rules read (result and date), not objects: ~2,400 in a county."""
    def load():
        from portal.audits.models import Audit
        from portal.audits.queries import UnitStanding
        from portal.orgs.models import Organisation
        rows = db.session.execute(
            db.select(Audit.id, Audit.organisation_id, Audit.status, Audit.passed, Audit.scheduled_on, Organisation)
            .join(Organisation, Organisation.id == Audit.organisation_id)
            .where(Organisation.kind.in_((roles.A_UNIT, roles.B_UNIT)), Organisation.active,
                   Audit.status.in_(("finalised", "scheduled", "in_progress")))
            .order_by(Audit.scheduled_on, Audit.finalised_at, Audit.id)).all()
        units, finalised, upcoming = {}, {}, {}
        for audit in rows:   # the orders of queries.finalised_audits and queries.upcoming_audits
            units[audit.organisation_id] = audit.Organisation
            (finalised if audit.status == "finalised" else upcoming).setdefault(audit.organisation_id, []).append(audit)
        ordered = sorted(units.values(), key=lambda u: u.name)
        ids = [u.id for u in ordered]
        return (ordered, ids, {i: UnitStanding(finalised.get(i, [])) for i in ids},
                {i: upcoming.get(i, []) for i in ids})
    return shared("audits.bureau_view", load)


@action_source
def contract_consequences(user, now):
    """The bureau is prompted to suspend, terminate or reinstate when the audit rule calls for it (R-AUD-05)."""
    if user.role not in MANAGERS:
        return []
    from portal.contracts.models import ContractAction
    from portal.contracts.operations import contracts_for_units, pick_current
    today = now.date()
    units, ids, standings, _ = _bureau_view()
    contracts = contracts_for_units([i for i in ids if standings[i].last is not None])
    current = {unit.id: pick_current(contracts[unit.id], today) for unit in units if standings[unit.id].last}
    # operations.suspended_for_audits for every suspended contract in one query (not one per contract): whether
    # the last suspension's basis was the audit rule
    suspended = [c.id for c in current.values() if c is not None and c.status == "suspended"]
    audit_basis = {}
    if suspended:
        for contract_id, basis in db.session.execute(
                db.select(ContractAction.contract_id, ContractAction.basis_code).where(
                    ContractAction.contract_id.in_(suspended), ContractAction.action == "suspend")
                .order_by(ContractAction.id)):
            audit_basis[contract_id] = basis == "audit"
    items = []
    for unit in units:
        standing = standings[unit.id]
        contract = current.get(unit.id)
        if contract is None or standing.last is None:
            continue
        what = rules.consequence(standing.standing, contract.current_status(today),
                                 suspended_for_audits=audit_basis.get(contract.id, False))
        if what is None:
            continue
        title = {
            rules.SUSPEND: f"{unit.display_name}連續 3 次查核不合格：請辦理暫停特約並排定複查",
            rules.TERMINATE: f"{unit.display_name}複查仍不合格：請辦理停止特約關係",
            rules.REINSTATE: f"{unit.display_name}複查合格：請辦理恢復特約",
        }[what]
        items.append(ActionItem(title, url_for("audits.consequence", unit_id=unit.id), due=standing.last.scheduled_on,
                                area=AREA, detail=f"最近查核 {roc_date(standing.last.scheduled_on)}"))
    return items


@action_source
def units_at_risk_and_overdue(user, now):
    """Units one fail away from suspension; units not audited for too long (Q06)."""
    if user.role not in MANAGERS:
        return []
    today = now.date()
    units, ids, standings, upcoming = _bureau_view()
    limit = get_setting(MAX_MONTHS.key)
    items, unscheduled = [], []
    for unit in units:
        standing = standings[unit.id]
        if standing.at_risk:
            items.append(ActionItem(f"{unit.display_name}連續 {standing.consecutive_fails} 次查核不合格，下次不合格即暫停特約",
                                    url_for("audits.unit", unit_id=unit.id), area=AREA,
                                    detail=(f"下次查核 {roc_date(upcoming[unit.id][0].scheduled_on)}"
                                            if upcoming[unit.id] else "尚未排定下次查核")))
        last = standing.last
        if last is not None and not upcoming[unit.id] and rules.months_since(last.scheduled_on, today) >= limit:
            unscheduled.append(rules.add_months(last.scheduled_on, limit))
    if unscheduled:   # a county has hundreds of units: one queue item, the overview marks each 「逾期未排定」
        items.append(queue_item(f"已逾 {limit} 個月未查核、尚未排定下次查核之單位", url_for("audits.overview"),
                                len(unscheduled), min(unscheduled), sum(1 for d in unscheduled if d < today),
                                area=AREA, unit="個", detail="請排定查核"))
    return items


def _assigned_audits(user, now):
    if user.role not in (roles.AUDITOR, roles.BUREAU_OFFICER, roles.BUREAU_CHIEF):
        return False
    from portal.audits.models import Audit, AuditAssignment
    return db.select(Audit.id).join(AuditAssignment, AuditAssignment.audit_id == Audit.id).where(
        AuditAssignment.user_id == user.id, Audit.status.in_(("scheduled", "in_progress")))


def _correction_work(user, now):
    from portal.audits.models import Audit, AuditCorrection
    if user.role in MANAGERS:
        return db.select(AuditCorrection.id).where(AuditCorrection.status == "filed")
    if user.role not in roles.A_ROLES | roles.B_ROLES:
        return False
    # the unit's last finalised audit failed => it has a failed finalised audit
    return db.select(Audit.id).where(Audit.organisation_id == user.organisation_id, Audit.status == "finalised",
                                     Audit.passed.is_(False))


@action_source(probe=_assigned_audits)
def audits_to_score(user, now):
    """Auditors: their assigned audits not yet submitted."""
    if user.role not in (roles.AUDITOR, roles.BUREAU_OFFICER, roles.BUREAU_CHIEF):
        return []
    from portal.audits.models import Audit, AuditAssignment
    from sqlalchemy.orm import joinedload
    rows = db.session.execute(db.select(Audit).join(AuditAssignment, AuditAssignment.audit_id == Audit.id).where(
        AuditAssignment.user_id == user.id, Audit.status.in_(("scheduled", "in_progress"))
    ).options(joinedload(Audit.organisation)).order_by(Audit.scheduled_on)).scalars().all()
    horizon = now.date() + timedelta(days=14)
    return [ActionItem(f"查核評分：{a.organisation.display_name}（{a.type_label}）", url_for("audits.score", audit_id=a.id),
                       due=a.scheduled_on, area=AREA, detail="評分中" if a.status == "in_progress" else "已排定")
            for a in rows if a.scheduled_on <= horizon]


@action_source(probe=_correction_work)
def corrections(user, now):
    """Units: failed items to correct before the next audit; the bureau: correction reports to review."""
    from portal.audits.models import Audit, AuditCorrection
    if user.role in MANAGERS:
        from sqlalchemy import func
        from sqlalchemy.orm import joinedload
        # each audit with filed corrections and how many, in one query (earliest filing first)
        filed = (db.select(AuditCorrection.audit_id, func.count().label("n"),
                           func.min(AuditCorrection.filed_at).label("first"))
                 .where(AuditCorrection.status == "filed").group_by(AuditCorrection.audit_id).subquery())
        rows = db.session.execute(db.select(Audit, filed.c.n).join(filed, filed.c.audit_id == Audit.id)
                                  .order_by(filed.c.first, Audit.id).options(joinedload(Audit.organisation))).all()
        return [ActionItem(f"{audit.organisation.display_name}提報查核缺失改善 {n} 題，待審查",
                           url_for("audits.show", audit_id=audit.id) + "#corrections", area=AREA)
                for audit, n in rows]
    if user.role not in roles.A_ROLES | roles.B_ROLES:
        return []
    audits = finalised_audits([user.organisation_id])[user.organisation_id]
    if not audits or audits[-1].passed is not False:
        return []
    last = audits[-1]
    filed = {c.item_id: c for c in db.session.execute(db.select(AuditCorrection).filter_by(audit_id=last.id)).scalars()}
    open_items = [a for a in last.answers if a.result == rules.FAIL
                  and (a.item_id not in filed or filed[a.item_id].status == "returned")]
    if not open_items:
        return []
    nxt = upcoming_audits([user.organisation_id])[user.organisation_id]
    return [ActionItem(f"查核不合格：請於下次查核前提報 {len(open_items)} 題缺失改善",
                       url_for("audits.show", audit_id=last.id) + "#corrections",
                       due=nxt[0].scheduled_on if nxt else None, area=AREA)]
