"""Contract standing for other areas: referral blocker and unit-summary facts (portal/orgs/standing.py)."""
from portal.auth import roles
from portal.calendar import roc_date
from portal.contracts import rules
from portal.contracts.operations import contracts_for_units, ineligibility, pick_current, points_for_units
from portal.orgs.standing import referral_blocker, unit_summary


@referral_blocker
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
    contracts = contracts_for_units(org_ids)
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
