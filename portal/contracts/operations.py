"""Every change to contracts and violation points: checked, applied, logged."""
from datetime import date

from portal.auditlog.operations import log_change, snapshot
from portal.contracts import rules
from portal.contracts.basis import get_basis
from portal.contracts.models import (CONTRACT_TYPE_LABELS, Contract, ContractAction, ContractIneligibility,
                                     ViolationPoint, contract_type_for)
from portal.errors import Refused, StaleEdit, TransitionNotAllowed
from portal.extensions import db
from portal.submissions import by_submission_key

CONTRACT_FIELDS = ("organisation_id", "contract_type", "number", "starts_on", "ends_on", "status", "status_since",
                   "paused_until", "notes")
SYSTEM_NAME = "系統"


# --- queries ---------------------------------------------------------------------------

def unit_contracts(org_id) -> list[Contract]:
    """All contracts of a unit, newest period first."""
    return db.session.execute(db.select(Contract).filter_by(organisation_id=org_id)
                              .order_by(Contract.starts_on.desc(), Contract.id.desc())).scalars().all()


def pick_current(contracts, day: date) -> Contract | None:
    """The contract in force on `day`; else the latest one started before it; else the next one."""
    covering = [c for c in contracts if c.covers(day)]
    if covering:
        return max(covering, key=lambda c: (c.starts_on, c.id))
    started = [c for c in contracts if c.starts_on <= day]
    if started:
        return max(started, key=lambda c: (c.ends_on, c.id))
    return min(contracts, key=lambda c: (c.starts_on, c.id)) if contracts else None


def current_contract(org_id, day: date) -> Contract | None:
    return pick_current(unit_contracts(org_id), day)


def ineligibility(org_id, year) -> ContractIneligibility | None:
    return db.session.execute(db.select(ContractIneligibility).filter_by(organisation_id=org_id, year=year)
                              ).scalar_one_or_none()


def active_points(org_id, year=None) -> list[ViolationPoint]:
    stmt = db.select(ViolationPoint).filter_by(organisation_id=org_id).where(ViolationPoint.revoked_at.is_(None))
    if year is not None:
        stmt = stmt.filter_by(year=year)
    return db.session.execute(stmt.order_by(ViolationPoint.occurred_on, ViolationPoint.id)).scalars().all()


def _lock(contract: Contract) -> Contract:
    """Re-read the contract under a row lock (PostgreSQL; SQLite serialises writers anyway)."""
    db.session.refresh(contract, with_for_update=True)
    return contract


def _name(actor):
    return getattr(actor, "full_name", None) or SYSTEM_NAME


# --- contracts -------------------------------------------------------------------------

def create_contract(actor, org, *, number, starts_on: date, ends_on: date, notes=None, submission_key=None) -> Contract:
    """Sign a contract period for an A or B unit; refuse overlaps and years the unit may not hold one."""
    contract_type = contract_type_for(org)
    if contract_type is None:
        raise Refused("只有A單位與B單位可以簽訂特約。")
    existing = by_submission_key(ContractAction, submission_key)
    if existing is not None:
        return existing.contract
    if ends_on < starts_on:
        raise Refused("特約迄日不可早於起日。", field="ends_on")
    for year in range(starts_on.year, ends_on.year + 1):
        barred = ineligibility(org.id, year)
        if barred is not None:
            raise Refused(f"本單位已取消{year - 1911}年度特約資格（{barred.reason}），不能簽訂涵蓋該年度的特約。",
                          field="starts_on")
    clash = db.session.execute(db.select(Contract).filter_by(organisation_id=org.id).where(
        Contract.starts_on <= ends_on, Contract.ends_on >= starts_on)).scalars().first()
    if clash is not None:
        from portal.calendar import roc_date
        raise Refused(f"此期間與現有特約（{roc_date(clash.starts_on)}至{roc_date(clash.ends_on)}，"
                      f"{rules.STATUS_LABELS.get(clash.status, clash.status)}）重疊。", field="starts_on")
    contract = Contract(organisation_id=org.id, contract_type=contract_type, number=(number or "").strip() or None,
                        starts_on=starts_on, ends_on=ends_on, status=rules.ACTIVE, status_since=starts_on,
                        notes=notes, created_by_id=getattr(actor, "id", None))
    db.session.add(contract)
    db.session.flush()
    contract.actions.append(ContractAction(
        contract_id=contract.id, action="create", from_status=None, to_status=rules.ACTIVE, effective_on=starts_on,
        basis_code="contract", basis_title="長期照顧服務特約契約書",
        reason=f"簽訂{CONTRACT_TYPE_LABELS[contract_type]}", decided_by_id=getattr(actor, "id", None),
        decided_by_name=_name(actor), submission_key=submission_key))
    log_change(actor, contract, "contract.create", after=snapshot(contract, CONTRACT_FIELDS))
    db.session.flush()
    return contract


def _settle_lapsed_pause(actor, contract: Contract, today: date):
    """Record the automatic end of a fixed-period dispatch pause before the next decision."""
    if contract.status == rules.DISPATCH_PAUSED and contract.current_status(today) == rules.ACTIVE:
        from datetime import timedelta
        resumed_on = contract.paused_until + timedelta(days=1)
        contract.actions.append(ContractAction(
            contract_id=contract.id, action="resume_dispatch", from_status=rules.DISPATCH_PAUSED,
            to_status=rules.ACTIVE, effective_on=resumed_on, basis_code="art19",
            basis_title=get_basis("art19").title, basis_text=get_basis("art19").text,
            reason="暫停派案期間屆滿，自動恢復派案", source_type="system", decided_by_id=None,
            decided_by_name=SYSTEM_NAME))
        contract.status, contract.status_since, contract.paused_until = rules.ACTIVE, resumed_on, None


def record_action(actor, contract: Contract, action: str, *, reason: str, basis_code: str, effective_on: date,
                  today: date, paused_until: date | None = None, letter_ref: str | None = None,
                  source_type: str | None = None, source_id: int | None = None, seen_version: int | None = None,
                  submission_key: str | None = None) -> ContractAction:
    """Decide an action on a contract (暫停派案, 暫停特約, 終止…) with its legal basis."""
    existing = by_submission_key(ContractAction, submission_key)
    if existing is not None:
        return existing  # the same form sent twice
    spec = rules.ACTIONS.get(action)
    if spec is None:
        raise Refused("不明的特約處分。")
    _lock(contract)
    latest = contract.actions[-1] if contract.actions else None
    current = contract.current_status(today)
    if current == spec.to_status and latest is not None and latest.action == action:
        from portal.calendar import roc_date
        raise TransitionNotAllowed(f"此特約已由{latest.decided_by_name}於{roc_date(latest.effective_on)}"
                                   f"「{spec.label}」，您的處分未重複登錄。")
    if seen_version is not None and seen_version != contract.version:
        raise StaleEdit("這份特約在您開啟表單後已有其他處分，請重新載入後再決定；您輸入的內容仍保留在畫面上。")
    allowed, why = rules.action_allowed(current, action)
    if not allowed:
        raise TransitionNotAllowed(why)
    basis = get_basis(basis_code)
    if basis is None:
        raise Refused("請選擇法令依據。", field="basis_code")
    if not (reason or "").strip():
        raise Refused("請填寫處分理由。", field="reason")
    if effective_on > today:
        raise Refused("生效日不可晚於今天；請於生效當日登錄。", field="effective_on")
    if effective_on < contract.starts_on <= today:  # a contract not started yet may be ended beforehand
        raise Refused("生效日不可早於特約起日。", field="effective_on")
    if paused_until is not None:
        if action != "pause_dispatch":
            paused_until = None
        elif paused_until < effective_on:
            raise Refused("暫停派案迄日不可早於生效日。", field="paused_until")
    before = snapshot(contract, CONTRACT_FIELDS)
    _settle_lapsed_pause(actor, contract, today)
    row = ContractAction(
        contract_id=contract.id, action=action, from_status=current, to_status=spec.to_status,
        effective_on=effective_on, ends_on=paused_until, basis_code=basis.code, basis_title=basis.title,
        basis_text=basis.text, reason=reason.strip(), letter_ref=(letter_ref or "").strip() or None,
        source_type=source_type, source_id=source_id, decided_by_id=getattr(actor, "id", None),
        decided_by_name=_name(actor), submission_key=submission_key)
    contract.actions.append(row)
    contract.status = spec.to_status
    contract.status_since = effective_on
    contract.paused_until = paused_until if action == "pause_dispatch" else None
    db.session.flush()
    log_change(actor, contract, f"contract.{action}", before=before, after=snapshot(contract, CONTRACT_FIELDS),
               note=f"{basis.title}：{row.reason}")
    return row


def stop_dispatch(actor, contract: Contract, *, start: date, today: date, reason: str, months: int = 3,
                  basis_code="violation", **kwargs) -> ContractAction:
    """停止派案 for a fixed number of months from `start` (R-VIO-03, WE-15; starts on the decision date, Q07)."""
    _, last_day = rules.dispatch_stop_period(start, months)
    return record_action(actor, contract, "pause_dispatch", reason=reason, basis_code=basis_code, effective_on=start,
                         today=today, paused_until=last_day, **kwargs)


# --- violation points (seed 003 §十七) ---------------------------------------------------

def record_violation_point(actor, org, *, occurred_on: date, clause: str, description: str, today: date,
                           letter_ref: str | None = None, submission_key: str | None = None):
    """Record a point; at the 3rd in a calendar year cancel that year's contract and bar the next year.

    Returns (point, outcome) where outcome is `rules.points_outcome(...)` plus the cancelled contracts.
    """
    existing = by_submission_key(ViolationPoint, submission_key)
    if existing is not None:
        dates = [p.occurred_on for p in active_points(org.id, existing.year)]
        return existing, {**rules.points_outcome(dates, existing.year), "cancelled": [], "repeat": True}
    if contract_type_for(org) is None:
        raise Refused("只有特約單位可以記點。")
    if occurred_on > today:
        raise Refused("記點日期不可晚於今天。", field="occurred_on")
    if not (clause or "").strip():
        raise Refused("請選擇記點事由。", field="clause")
    if not (description or "").strip():
        raise Refused("請說明違約事實。", field="description")
    # One officer at a time records a point for a unit (PostgreSQL row lock on the unit): two officers
    # recording the 3rd and 4th point at once must not both cancel or both bar the next year.
    db.session.refresh(org, with_for_update=True)
    contracts = unit_contracts(org.id)
    covering = [c for c in contracts if c.covers(occurred_on)]
    basis = get_basis("points")
    point = ViolationPoint(
        organisation_id=org.id, contract_id=covering[0].id if covering else None, occurred_on=occurred_on,
        year=occurred_on.year, clause=clause.strip(), basis_code=basis.code, basis_title=basis.title,
        basis_text=basis.text, description=description.strip(), letter_ref=(letter_ref or "").strip() or None,
        recorded_by_id=getattr(actor, "id", None), recorded_by_name=_name(actor), submission_key=submission_key)
    db.session.add(point)
    db.session.flush()
    log_change(actor, point, "violation_point.create",
               after=snapshot(point, ("organisation_id", "occurred_on", "clause", "description", "contract_id")))
    dates = [p.occurred_on for p in active_points(org.id, point.year)]
    outcome = {**rules.points_outcome(dates, point.year), "cancelled": []}
    if outcome["cancel"]:
        year, roc_year = point.year, point.year - 1911
        reason = (f"{roc_year}年度違約記點累計達{outcome['count']}點，依規定解除{roc_year}年度特約，"
                  f"並取消{roc_year + 1}年度特約資格。")
        # Cancel the year's contract and any already signed for the next year (取消次年度特約資格).
        for contract in contracts:
            touches = contract.starts_on.year <= year + 1 and contract.ends_on.year >= year
            if touches:
                _lock(contract)   # its status as committed now, not as read before the lock
            if touches and contract.status not in rules.FINAL_STATUSES:
                effective = min(today, contract.ends_on)
                outcome["cancelled"].append(record_action(
                    actor, contract, "cancel", reason=reason, basis_code="points", effective_on=effective,
                    today=today, source_type="violation_point", source_id=point.id))
        if ineligibility(org.id, year + 1) is None:
            barred = ContractIneligibility(organisation_id=org.id, year=year + 1, reason=reason,
                                           source_type="violation_point", source_id=point.id,
                                           created_by_name=_name(actor))
            db.session.add(barred)
            db.session.flush()
            log_change(actor, barred, "contract.ineligible", after={"organisation_id": org.id, "year": year + 1})
    return point, outcome


def revoke_violation_point(actor, point: ViolationPoint, reason: str) -> ViolationPoint:
    """Withdraw a point recorded in error, unless it has already cost the unit its contract."""
    if not point.active:
        raise TransitionNotAllowed(f"此記點已於先前由{point.revoked_by_name}撤銷。")
    if not (reason or "").strip():
        raise Refused("請填寫撤銷理由。", field="reason")
    barred = ineligibility(point.organisation_id, point.year + 1)
    if barred is not None and barred.source_type == "violation_point":
        raise TransitionNotAllowed("此年度記點已達3點並已解除特約，不能撤銷記點；如有錯誤請循行政救濟程序處理。")
    from portal import clock
    point.revoked_at = clock.utcnow()
    point.revoked_by_name = _name(actor)
    point.revoke_reason = reason.strip()
    log_change(actor, point, "violation_point.revoke", before={"active": True}, after={"active": False},
               note=point.revoke_reason)
    db.session.flush()
    return point


def contracts_for_units(org_ids) -> dict:
    """org_id -> list of contracts (newest first), in one query."""
    result = {org_id: [] for org_id in org_ids}
    if not org_ids:
        return result
    rows = db.session.execute(db.select(Contract).where(Contract.organisation_id.in_(list(org_ids)))
                              .order_by(Contract.starts_on.desc(), Contract.id.desc())).scalars()
    for row in rows:
        result.setdefault(row.organisation_id, []).append(row)
    return result


def points_for_units(org_ids, year) -> dict:
    from sqlalchemy import func
    result = {org_id: 0 for org_id in org_ids}
    if not org_ids:
        return result
    rows = db.session.execute(db.select(ViolationPoint.organisation_id, func.count()).where(
        ViolationPoint.organisation_id.in_(list(org_ids)), ViolationPoint.year == year,
        ViolationPoint.revoked_at.is_(None)).group_by(ViolationPoint.organisation_id))
    for org_id, count in rows:
        result[org_id] = count
    return result



# --- violation findings (§12.1; WE-15) -----------------------------------------------------

FINDING_FIELDS = ("kind", "found_on", "state", "notice_on", "deadline", "improved_on", "sanction",
                  "sanction_action_id", "prosecutor_referral")


def record_finding(actor, org, *, kind, found_on, description, today):
    from portal.contracts.models import ViolationFinding
    if contract_type_for(org) is None:
        raise Refused("只有特約單位可以登錄違規案件。")
    if kind not in rules.FINDING_KINDS:
        raise Refused("請選擇違規類型。", field="kind")
    if found_on > today:
        raise Refused("查證日期不可晚於今天。", field="found_on")
    if not (description or "").strip():
        raise Refused("請說明查證事實。", field="description")
    finding = ViolationFinding(organisation_id=org.id, kind=kind, found_on=found_on, description=description.strip(),
                               found_by_name=_name(actor), state="found")
    db.session.add(finding)
    db.session.flush()
    log_change(actor, finding, "violation_finding.create", after=snapshot(finding, FINDING_FIELDS))
    return finding


def _finding_step(actor, finding, step, today, seen_version):
    db.session.refresh(finding, with_for_update=True)
    state = finding.current_state(today)
    if step not in rules.finding_actions(state, finding.kind):
        if step == "notice" and finding.notice_on is not None:
            raise TransitionNotAllowed("限期補正通知以1次為限，此案已於先前通知，不能再次通知。")
        raise TransitionNotAllowed(f"此違規案件目前為「{rules.FINDING_STATE_LABELS[state]}」，不能執行此操作。")
    if seen_version is not None and seen_version != finding.version:
        raise StaleEdit()
    return snapshot(finding, FINDING_FIELDS)


def issue_notice(actor, finding, *, notice_on, deadline, letter_ref=None, today, seen_version=None):
    """Notify the unit to correct by a deadline — at most once (R-VIO-01: 上限為1次)."""
    before = _finding_step(actor, finding, "notice", today, seen_version)
    if notice_on > today:
        raise Refused("通知日期不可晚於今天。", field="notice_on")
    if deadline <= notice_on:
        raise Refused("改善期限須晚於通知日期。", field="deadline")
    finding.state, finding.notice_on, finding.deadline = "notice_issued", notice_on, deadline
    finding.notice_letter_ref = (letter_ref or "").strip() or None
    db.session.flush()
    log_change(actor, finding, "violation_finding.notice", before=before, after=snapshot(finding, FINDING_FIELDS))
    return finding


def accept_improvement(actor, finding, *, improved_on, note, today, seen_version=None):
    before = _finding_step(actor, finding, "improved", today, seen_version)
    if improved_on > finding.deadline or improved_on > today:
        raise Refused("改善日期須在改善期限內且不晚於今天。", field="improved_on")
    finding.state, finding.improved_on = "improved", improved_on
    finding.improvement_note = (note or "").strip() or None
    db.session.flush()
    log_change(actor, finding, "violation_finding.improved", before=before, after=snapshot(finding, FINDING_FIELDS))
    return finding


def sanction_finding(actor, finding, contract, *, sanction, start, reason, today, letter_ref=None,
                     prosecutor_referral=False, seen_version=None, submission_key=None):
    """Sanction an overdue finding (or terminate directly, R-VIO-02) through a contract action."""
    step = "terminate" if finding.current_state(today) == "found" else "sanction"
    before = _finding_step(actor, finding, step, today, seen_version)
    if step == "terminate" and sanction != "terminate":
        raise Refused("未經限期補正者只能直接終止契約。", field="sanction")
    if sanction not in rules.SANCTIONS:
        raise Refused("請選擇處分。", field="sanction")
    if contract is None:
        raise Refused("此單位尚未登錄特約，無法處分。")
    text = f"{finding.kind_label}（{_roc(finding.found_on)}查證屬實）：{(reason or '').strip()}".rstrip("：")
    common = dict(reason=text, today=today, letter_ref=letter_ref, source_type="violation_finding",
                  source_id=finding.id, submission_key=submission_key)
    basis = "quality" if finding.kind == "selling" else "violation"
    if sanction == "stop_3_months":
        action = stop_dispatch(actor, contract, start=start, basis_code=basis, **common)
    elif sanction == "pause_dispatch":
        action = record_action(actor, contract, "pause_dispatch", basis_code="art19", effective_on=start, **common)
    else:
        action = record_action(actor, contract, "terminate", basis_code=basis if basis == "quality" else "art20",
                               effective_on=start, **common)
    finding.state, finding.sanction, finding.sanction_action_id = "sanctioned", sanction, action.id
    finding.prosecutor_referral = bool(prosecutor_referral)
    db.session.flush()
    log_change(actor, finding, "violation_finding.sanction", before=before, after=snapshot(finding, FINDING_FIELDS))
    return action


def _roc(day):
    from portal.calendar import roc_date
    return roc_date(day)
