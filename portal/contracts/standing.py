"""Contract standing for other areas: referral blocker and unit-summary facts (portal/orgs/standing.py)."""
from portal.auth import roles
from portal.calendar import roc_date
from portal.contracts import rules
from portal.contracts.operations import contracts_for_units, ineligibility, pick_current, points_for_units
from portal.dashboard.registry import ActionItem, action_source
from portal.orgs.standing import per_unit, referral_blocker, unit_summary


def _contracts(org_ids) -> dict:
    # The blocker and the facts of one list read the same contracts: shared within standing.one_pass().
    return per_unit("contracts.by_unit", org_ids, contracts_for_units)


def _contract_blocks_for(organisations, day) -> dict:
    """contract_blocks_referrals for many units: two queries in all."""
    from portal.contracts.models import ContractIneligibility
    from portal.extensions import db
    ids = [o.id for o in organisations if o.kind in (roles.A_UNIT, roles.B_UNIT)]
    if not ids:
        return {}
    barred = set(db.session.execute(db.select(ContractIneligibility.organisation_id).where(
        ContractIneligibility.organisation_id.in_(ids), ContractIneligibility.year == day.year)).scalars())
    contracts = _contracts(ids)
    result = {}
    for org_id in ids:
        reasons = [f"已取消{day.year - 1911}年度特約資格"] if org_id in barred else []
        contract = pick_current(contracts[org_id], day)
        if contract is not None:
            reasons.extend(contract.block_reasons(day))
        result[org_id] = reasons
    return result


@referral_blocker(batch=_contract_blocks_for)
def contract_blocks_referrals(organisation, day) -> list[str]:
    """A unit whose contract is paused, suspended or ended gets no new cases (§4.2, §13.2; decisions Q06).

    A unit with no contract recorded at all is left to the other checks: contracts are entered
    per unit by the bureau, and an empty table must not stop every referral.
    """
    if organisation.kind not in (roles.A_UNIT, roles.B_UNIT):
        return []
    reasons = []
    barred = ineligibility(organisation.id, day.year)
    if barred is not None:
        reasons.append(f"已取消{day.year - 1911}年度特約資格")
    contract = pick_current(contracts_for_units([organisation.id])[organisation.id], day)
    if contract is not None:
        reasons.extend(contract.block_reasons(day))
    return reasons


@unit_summary
def contract_facts(org_ids) -> dict:
    """「特約：有效（至115年12月31日）」, 「違約記點：本年度 2 點」."""
    from portal import clock
    today = clock.today()
    contracts = _contracts(org_ids)
    points = points_for_units(org_ids, today.year)
    facts = {}
    for org_id in org_ids:
        items = []
        contract = pick_current(contracts.get(org_id, []), today)
        if contract is not None:
            status = contract.current_status(today)
            label = rules.STATUS_LABELS.get(status, status)
            if status == rules.ACTIVE:
                if contract.starts_on > today:
                    detail = f"自{roc_date(contract.starts_on)}起"
                elif contract.ends_on < today:
                    label, detail = "已屆滿", f"於{roc_date(contract.ends_on)}屆滿"
                else:
                    detail = f"至{roc_date(contract.ends_on)}"
            elif status == rules.DISPATCH_PAUSED and contract.paused_until:
                detail = f"{roc_date(contract.status_since)}起至{roc_date(contract.paused_until)}止"
            else:
                detail = f"自{roc_date(contract.status_since)}起" if contract.status_since else ""
            items.append(f"特約：{label}" + (f"（{detail}）" if detail else ""))
        if points.get(org_id):
            items.append(f"違約記點：本年度 {points[org_id]} 點")
        if items:
            facts[org_id] = items
    return facts


def _open_findings(user, now):
    from portal.contracts.models import ViolationFinding
    from portal.extensions import db
    stmt = db.select(ViolationFinding.id).filter_by(state="notice_issued")
    if user.role in (roles.ADMIN, roles.BUREAU_OFFICER, roles.BUREAU_CHIEF):
        # the bureau lists only overdue notices: overdue the day after the deadline (rules.notice_overdue_on)
        return stmt.where(ViolationFinding.deadline < now.date())
    if user.role in roles.A_ROLES | roles.B_ROLES:
        return stmt.filter_by(organisation_id=user.organisation_id)
    return False


@action_source(probe=_open_findings)
def findings_to_act_on(user, now):
    """Bureau: overdue remediation notices wait for a sanction. Units: a notice to correct by its deadline."""
    from flask import url_for
    from portal.contracts.models import ViolationFinding
    from portal.extensions import db
    today = now.date()
    if user.role in (roles.ADMIN, roles.BUREAU_OFFICER, roles.BUREAU_CHIEF):
        from sqlalchemy.orm import joinedload
        rows = db.session.execute(db.select(ViolationFinding).filter_by(state="notice_issued")
                                  .options(joinedload(ViolationFinding.organisation))).scalars().all()
        return [ActionItem(f"{f.organisation.display_name}違規案件逾期未改善（{f.kind_label}），請決定處分",
                           url_for("contracts.finding", finding_id=f.id), due=f.deadline, area="特約")
                for f in rows if f.current_state(today) == "overdue"]
    if user.role in roles.A_ROLES | roles.B_ROLES:
        rows = db.session.execute(db.select(ViolationFinding).filter_by(
            organisation_id=user.organisation_id, state="notice_issued")).scalars().all()
        return [ActionItem(f"衛生局通知限期補正：{f.kind_label}", url_for("contracts.finding", finding_id=f.id),
                           due=f.deadline, area="特約") for f in rows]
    return []
