"""Every state change of case management: check the transition, apply it, log it, flush.

Views commit once. Decisions taken by two people on the same record load it
`with_for_update()` and re-check the state, so the second one gets a clear
message and changes nothing (TransitionNotAllowed).
"""
from datetime import date, timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from portal import clock
from portal.auditlog.operations import log_change, snapshot
from portal.auth import roles
from portal.auth.models import User
from portal.cases import codes as service_codes
from portal.cases import dispatch as dispatching
from portal.cases import rules
from portal.cases.models import (Case, CaseManagerProfile, CaseNotice, CarePlan, CarePlanItem, ChangeRequest,
                                 ChangeRequestRound, Closure, Dispatch, PauseRequest, ProviderEvaluation,
                                 ProviderService, Referral, SERVICE_TYPES, Suspension, Visit)
from portal.cases.settings import (CASELOAD_PER_MANAGER, CAPACITY_WARN_RATIO, HOME_VISIT_MONTHS, NON_USE_MONTHS,
                                   PAUSE_NOTICE_DAYS, PLAN_CHANGE_DAYS, REFERRAL_ANSWER_DAYS, SUSPENSION_MIN_DAYS,
                                   setting)
from portal.clients.operations import end_access, grant_access
from portal.errors import Refused, StaleEdit, TransitionNotAllowed
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.orgs.standing import referral_blockers
from portal.settings.operations import office_calendar
from portal.submissions import by_submission_key

CASE_FIELDS = ("state", "a_unit_id", "case_manager_id", "accepted_on", "plan_approved_on", "first_service_on",
               "closed_on", "closure_reason")
ALREADY_DECIDED = "此案件已由其他人處理（目前狀態：{}），您的操作未執行；請重新載入頁面查看最新狀態。"


def _lock(obj):
    """Reload `obj` FOR UPDATE (PostgreSQL) with fresh values, so a decision sees the latest state."""
    model = type(obj)
    return db.session.execute(db.select(model).where(model.id == obj.id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one()


def _check_version(obj, seen_version):
    if seen_version is not None and int(seen_version) != obj.version:
        raise StaleEdit()


def _move(obj, transitions, event, labels):
    target = rules.next_state(transitions, obj.state, event)
    if target is None:
        raise TransitionNotAllowed(ALREADY_DECIDED.format(labels.get(obj.state, obj.state)))
    obj.state = target
    return target


def _case_move(actor, case, event, note=None):
    before = snapshot(case, CASE_FIELDS)
    _move(case, rules.CASE_TRANSITIONS, event, rules.CASE_STATES)
    return before


def notify(org_id, message, url=None, case=None):
    """Leave a portal notice for an organisation (shown on its dashboard until read)."""
    db.session.add(CaseNotice(organisation_id=org_id, message=message[:300], url=url,
                              case_id=case.id if case is not None else None))


def mark_notice_read(actor, notice: CaseNotice):
    if notice.read_at is None:
        notice.read_at = clock.utcnow()
        notice.read_by_id = actor.id


def bureau_org_ids():
    return db.session.execute(db.select(Organisation.id).where(Organisation.kind == roles.BUREAU)).scalars().all()


# --- A-unit capacity and dispatch status ------------------------------------------


def case_managers_of(org_id: int) -> list[tuple[User, CaseManagerProfile | None]]:
    """The unit's active case managers by name, each with their roster entry in this unit (None without one)."""
    return [tuple(row) for row in db.session.execute(
        db.select(User, CaseManagerProfile)
        .outerjoin(CaseManagerProfile, (CaseManagerProfile.user_id == User.id)
                   & (CaseManagerProfile.organisation_id == org_id))   # one entry a user at most (unique user_id)
        .where(User.organisation_id == org_id, User.active, User.role == roles.A_CASE_MANAGER)
        .order_by(User.full_name))]


def assignable_managers(org_id: int) -> list[User]:
    """CMs who may take cases (§5.2: only ACTIVE; a CM without a roster entry counts as active)."""
    return [u for u, p in case_managers_of(org_id) if p is None or p.status == "ACTIVE"]


def unit_capacity(org_id: int) -> int:
    default = setting(CASELOAD_PER_MANAGER)
    return rules.unit_capacity(p.declared_caseload if p else default for u, p in case_managers_of(org_id)
                               if p is None or p.status == "ACTIVE")


def unit_load(org_id: int) -> int:
    return db.session.execute(db.select(func.count()).select_from(Case).where(
        Case.a_unit_id == org_id, Case.state.in_(rules.OPEN_CASE_STATES - {"CENTER_MANAGED", "ASSESSED"}))).scalar_one()


def capacity_of(org_id: int) -> rules.CapacityStatus:
    return rules.capacity_status(unit_load(org_id), unit_capacity(org_id), setting(CAPACITY_WARN_RATIO))


def pause_events(org_id: int) -> list:
    rows = db.session.execute(db.select(PauseRequest).where(
        PauseRequest.organisation_id == org_id, PauseRequest.state == "APPROVED")).scalars().all()
    return [(r.kind, r.effective_on) for r in rows if r.effective_on]


def paused_since(org_id: int, day: date) -> date | None:
    return rules.paused_on(pause_events(org_id), day)


# --- Cases and referrals to A units (§3) -----------------------------------------------


def open_case(actor, client, facts: dict, *, submission_key=None) -> Case:
    """Record the 照專's assessment decision for a client; a double submit returns the same case."""
    existing = by_submission_key(Case, submission_key)
    if existing is not None:
        return existing
    open_one = db.session.execute(db.select(Case).where(Case.client_id == client.id, Case.state != "CLOSED")
                                  ).scalars().first()
    if open_one is not None:
        if submission_key and open_one.submission_key == submission_key:
            return open_one   # the same form, committed by a parallel request since the look-up above
        raise Refused("此個案已有進行中的案件，請由該案件繼續轉介或處理。", field="client_id")
    last = db.session.execute(db.select(Case).where(Case.client_id == client.id, Case.reapply_when_compliant)
                              .order_by(Case.id.desc())).scalars().first()
    if last is not None and not facts.get("compliance_confirmed"):
        raise Refused("此個案前次因拒絕配合複評、家訪、電訪結案，須確認已可配合後始重新受理（§六(二)5）。",
                      field="compliance_confirmed")
    case = Case(client_id=client.id, opened_by_id=actor.id, submission_key=submission_key, state="ASSESSED")
    _apply_facts(case, facts, actor)
    db.session.add(case)
    db.session.flush()
    reason = rules.centre_managed_reason(special_flags=case.special_flags, consent=case.consent,
                                         families=case.families, a_unit_advisable=case.a_unit_advisable)
    if reason:
        case.state = "CENTER_MANAGED"
        case.centre_reason = reason
    log_change(actor, case, "case.open", after={**snapshot(case, ("client_id", "state", "consent", "special_flags",
                                                                   "families", "a_unit_advisable", "centre_reason"))})
    return case


def _apply_facts(case, facts, actor):
    case.consent = bool(facts.get("consent"))
    case.consent_on = facts.get("consent_on") if case.consent else None
    case.consent_explained_by_id = actor.id
    case.special_flags = list(facts.get("special_flags") or [])
    case.families = list(facts.get("families") or [])
    case.a_unit_advisable = bool(facts.get("a_unit_advisable"))
    case.assessment_note = facts.get("assessment_note") or None
    case.applied_by_org_id = facts.get("applied_by_org_id") or None


def update_assessment(actor, case: Case, facts: dict, *, seen_version=None) -> Case:
    """Change the assessment facts of a case not yet with an A unit (re-referral after a decline)."""
    _check_version(case, seen_version)
    if case.state not in ("ASSESSED", "CENTER_MANAGED"):
        raise TransitionNotAllowed(ALREADY_DECIDED.format(case.state_label))
    before = snapshot(case, ("state", "consent", "special_flags", "families", "a_unit_advisable", "centre_reason"))
    _apply_facts(case, facts, actor)
    reason = rules.centre_managed_reason(special_flags=case.special_flags, consent=case.consent,
                                         families=case.families, a_unit_advisable=case.a_unit_advisable)
    case.state = "CENTER_MANAGED" if reason else "ASSESSED"
    case.centre_reason = reason
    db.session.flush()
    log_change(actor, case, "case.assessment", before=before,
               after=snapshot(case, ("state", "consent", "special_flags", "families", "a_unit_advisable",
                                     "centre_reason")))
    return case


def a_unit_choices(area_id: int | None, today: date) -> list[rules.RankedAUnit]:
    """The A units serving a client's area, fairest first (Q30), blocked ones last with reasons."""
    from sqlalchemy import func
    orgs = db.session.execute(db.select(Organisation).where(Organisation.kind == roles.A_UNIT, Organisation.active)
                              .order_by(Organisation.id)).scalars().all()
    orgs = [o for o in orgs if area_id in {a.id for a in o.service_areas}]
    last = dict(db.session.execute(db.select(Referral.a_unit_id, func.max(Referral.referred_on))
                                   .group_by(Referral.a_unit_id)).all())
    candidates = [rules.AUnitCandidate(o.id, o.name, unit_load(o.id), unit_capacity(o.id), last.get(o.id),
                                       tuple(referral_blockers(o, today))) for o in orgs]
    return rules.rank_a_units(candidates, setting(CAPACITY_WARN_RATIO))


def refer_case(actor, case: Case, a_unit: Organisation, *, today: date, skip_reason=None,
               capacity_confirmed=False, seen_version=None) -> Referral:
    """Refer a case to an A unit (§3): consent needed; paused or suspended units refused; Q30 choice recorded."""
    case = _lock(case)
    _check_version(case, seen_version)
    if case.state not in ("ASSESSED", "CENTER_MANAGED"):
        raise TransitionNotAllowed(ALREADY_DECIDED.format(case.state_label))
    if not case.consent:
        raise Refused("個案未同意接受個案管理，不得轉介A單位（§二(一)）。", field="a_unit_id")
    reason = rules.centre_managed_reason(special_flags=case.special_flags, consent=case.consent,
                                         families=case.families, a_unit_advisable=case.a_unit_advisable)
    if reason:
        raise Refused(reason + "；如評估由A單位管理較佳，請勾選「評估由A單位個案管理較佳」。", field="a_unit_id")
    choices = a_unit_choices(case.client.service_area_id, today)
    chosen = next((c for c in choices if c.candidate.org_id == a_unit.id), None)
    if chosen is None:
        raise Refused("此A單位的服務區域未涵蓋個案所在鄉鎮市。", field="a_unit_id")
    if not chosen.eligible:
        raise Refused("此A單位目前不能接受轉介：" + "；".join(chosen.reasons), field="a_unit_id")
    first = next((c for c in choices if c.eligible), None)
    if first is not None and first.candidate.org_id != a_unit.id and not (skip_reason or "").strip():
        raise Refused(f"未選擇建議順位第一的「{first.candidate.name}」，請說明理由（Q30）。", field="skip_reason")
    status = rules.capacity_status(chosen.candidate.load, chosen.candidate.capacity, setting(CAPACITY_WARN_RATIO))
    if status.level in ("full", "none") and not capacity_confirmed:
        raise Refused(f"{a_unit.name}{status.message}，請勾選確認後再轉介（Q26–Q27）。", field="capacity_confirmed")
    before = snapshot(case, CASE_FIELDS)
    _move(case, rules.CASE_TRANSITIONS, "refer", rules.CASE_STATES)
    referral = Referral(case=case, a_unit_id=a_unit.id, referred_on=today, referred_by_id=actor.id,
                        answer_due=rules.referral_answer_due(today, setting(REFERRAL_ANSWER_DAYS),
                                                             cal=office_calendar()),
                        consent_on=case.consent_on, skip_reason=(skip_reason or "").strip() or None,
                        capacity_confirmed=bool(capacity_confirmed),
                        ranking=[{"org_id": c.candidate.org_id, "name": c.candidate.name, "position": c.position,
                                  "reasons": list(c.reasons)} for c in choices])
    db.session.add(referral)
    case.a_unit_id = a_unit.id
    case.first_referred_on = case.first_referred_on or today
    case.centre_reason = None
    db.session.flush()
    log_change(actor, case, "case.refer", before=before, after=snapshot(case, CASE_FIELDS))
    log_change(actor, referral, "referral.create",
               after=snapshot(referral, ("a_unit_id", "referred_on", "answer_due", "skip_reason", "capacity_confirmed")))
    return referral


def accept_referral(actor, referral: Referral, manager: User, *, today: date) -> Case:
    """The A unit takes the case: assign an ACTIVE CM; the unit now sees the client (ClientAccess)."""
    referral = _lock(referral)
    if referral.state != "PENDING":
        raise TransitionNotAllowed(ALREADY_DECIDED.format(referral.state_label))
    if manager.id not in {u.id for u in assignable_managers(referral.a_unit_id)}:
        raise Refused("請指派本單位可正式派案的個管師（§三(一)2）。", field="case_manager_id")
    case = _lock(referral.case)
    before = snapshot(case, CASE_FIELDS)
    _move(case, rules.CASE_TRANSITIONS, "accept", rules.CASE_STATES)
    referral.state = "ACCEPTED"
    referral.answered_at = clock.utcnow()
    referral.answered_by_id = actor.id
    case.case_manager_id = manager.id
    case.accepted_on = today
    grant_access(actor, case.client, referral.a_unit_id, "a_unit")
    db.session.flush()
    log_change(actor, referral, "referral.accept", after={"case_manager_id": manager.id})
    log_change(actor, case, "case.accept", before=before, after=snapshot(case, CASE_FIELDS))
    return case


def decline_referral(actor, referral: Referral, reason: str) -> Referral:
    """The A unit cannot take the case (§3.3): back to the centre for re-referral."""
    if not (reason or "").strip():
        raise Refused("請說明無法收案的原因。", field="reason")
    referral = _lock(referral)
    if referral.state != "PENDING":
        raise TransitionNotAllowed(ALREADY_DECIDED.format(referral.state_label))
    case = _lock(referral.case)
    before = snapshot(case, CASE_FIELDS)
    _move(case, rules.CASE_TRANSITIONS, "decline", rules.CASE_STATES)
    referral.state = "DECLINED"
    referral.decline_reason = reason.strip()
    referral.answered_at = clock.utcnow()
    referral.answered_by_id = actor.id
    case.a_unit_id = None
    db.session.flush()
    log_change(actor, referral, "referral.decline", after={"reason": referral.decline_reason})
    log_change(actor, case, "case.referral_declined", before=before, after=snapshot(case, CASE_FIELDS))
    return referral


def reassign_manager(actor, case: Case, manager: User, *, seen_version=None) -> Case:
    _check_version(case, seen_version)
    if manager.id not in {u.id for u in assignable_managers(case.a_unit_id)}:
        raise Refused("請指派本單位可正式派案的個管師。", field="case_manager_id")
    before = {"case_manager_id": case.case_manager_id}
    case.case_manager_id = manager.id
    db.session.flush()
    log_change(actor, case, "case.manager_changed", before=before, after={"case_manager_id": manager.id})
    return case


# --- Care plans (§8) -------------------------------------------------------------------

PLAN_FIELDS = ("state", "number", "problems", "goals", "change_note", "approved_on", "return_comment", "change_notice",
               "change_due")


def _items_snapshot(plan):
    return [{"code": i.code, "quantity": i.quantity, "frequency": i.frequency, "note": i.note} for i in plan.items]


def start_plan(actor, case: Case) -> CarePlan:
    """Start the first plan, or a new version of the plan in force; an open draft is returned as is."""
    if case.state in ("CLOSED", "CLOSURE_PENDING") or case.accepted_on is None:
        raise TransitionNotAllowed("個案尚未收案或已結案，不能擬定照顧計畫。")
    open_draft = next((p for p in case.plans if p.state in ("DRAFT", "SUBMITTED", "RETURNED")), None)
    if open_draft is not None:
        return open_draft
    base = case.current_plan
    number = len(case.plans) + 1
    items = [CarePlanItem(position=i.position, code=i.code, name=i.name, service_type=i.service_type,
                          quantity=i.quantity, frequency=i.frequency, note=i.note) for i in base.items] if base else []
    plan = CarePlan(number=number, drafted_by_id=actor.id, state="DRAFT", items=items)
    if base is not None:
        plan.based_on_id = base.id
        plan.problems, plan.goals = base.problems, base.goals
        plan.change_note = (f"服務單位異動通報：{base.change_notice}" if base.state == "CHANGE_REQUESTED" else None)
    db.session.add(plan)
    plan.case = case
    try:
        db.session.flush()
    except IntegrityError:   # a second click created the same version number at the same moment
        db.session.rollback()
        raise StaleEdit("另一個視窗剛建立了新版照顧計畫，請重新載入。") from None
    log_change(actor, plan, "plan.create", after={**snapshot(plan, PLAN_FIELDS), "items": _items_snapshot(plan)})
    return plan


def save_plan(actor, plan: CarePlan, data: dict, items: list[dict], *, seen_version=None) -> CarePlan:
    """Save a draft (or returned) plan; items are (code, quantity, frequency, note) rows."""
    _check_version(plan, seen_version)
    if plan.state not in ("DRAFT", "RETURNED"):
        raise TransitionNotAllowed(f"照顧計畫目前為「{plan.state_label}」，不能修改。")
    catalogue = service_codes.codes_by_code()
    lines, seen = [], set()
    for row in items:
        code = (row.get("code") or "").strip().upper()
        if not code:
            continue
        if code not in catalogue or not catalogue[code].active:
            raise Refused(f"服務碼 {code} 不存在或已停用。", field="items")
        if code in seen:
            raise Refused(f"服務碼 {code} 重複，請合併為一列。", field="items")
        seen.add(code)
        lines.append((code, row))
    before = {**snapshot(plan, PLAN_FIELDS), "items": _items_snapshot(plan)}
    plan.problems = (data.get("problems") or "").strip()
    plan.goals = (data.get("goals") or "").strip()
    plan.change_note = (data.get("change_note") or "").strip() or plan.change_note
    plan.items = [CarePlanItem(position=i, code=code, name=catalogue[code].name,
                               service_type=catalogue[code].service_type, quantity=int(row.get("quantity") or 0),
                               frequency=(row.get("frequency") or "").strip() or None,
                               note=(row.get("note") or "").strip() or None)
                  for i, (code, row) in enumerate(lines)]
    db.session.flush()
    log_change(actor, plan, "plan.save", before=before,
               after={**snapshot(plan, PLAN_FIELDS), "items": _items_snapshot(plan)})
    return plan


def plan_diff(plan: CarePlan) -> rules.PlanDiff | None:
    if plan.based_on is None:
        return None
    return rules.plan_differences(plan.based_on.lines(), plan.lines(), plan.based_on.texts(), plan.texts())


def submit_plan(actor, plan: CarePlan, *, seen_version=None) -> CarePlan:
    """Send the plan to the centre for approval (R-CP-01)."""
    plan = _lock(plan)
    _check_version(plan, seen_version)
    if not plan.problems or not plan.goals:
        raise Refused("請填寫照顧問題及照顧目標。", field="problems")
    if not plan.items:
        raise Refused("請至少列一項服務。", field="items")
    if any(i.quantity <= 0 for i in plan.items):
        raise Refused("每項服務的數量須大於 0。", field="items")
    diff = plan_diff(plan)
    if diff is not None and diff.empty:
        raise Refused("新版內容與現行核定版本相同，無須送核定。", field="items")
    before = snapshot(plan, PLAN_FIELDS)
    _move(plan, rules.PLAN_TRANSITIONS, "submit", rules.PLAN_STATES)
    plan.submitted_at = clock.utcnow()
    plan.submitted_by_id = actor.id
    db.session.flush()
    log_change(actor, plan, "plan.submit", before=before, after=snapshot(plan, PLAN_FIELDS))
    return plan


def approve_plan(actor, plan: CarePlan, *, today: date) -> CarePlan:
    """The centre approves (核定); the previous version is superseded; dropped services end."""
    plan = _lock(plan)
    before = snapshot(plan, PLAN_FIELDS)
    _move(plan, rules.PLAN_TRANSITIONS, "approve", rules.PLAN_STATES)
    plan.decided_at = clock.utcnow()
    plan.decided_by_id = actor.id
    plan.approved_on = today
    plan.return_comment = None
    case = _lock(plan.case)
    if plan.based_on is not None and plan.based_on.state in rules.PLAN_IN_FORCE:
        old = plan.based_on
        old.state = "SUPERSEDED"
        old.superseded_at = clock.utcnow()
        log_change(actor, old, "plan.superseded", after={"by_plan_id": plan.id})
    kept = set(plan.service_types())
    for dispatch in case.dispatches:
        if dispatch.is_active and dispatch.service_type not in kept:
            _end_dispatch(actor, dispatch, today, "照顧計畫異動，已刪除此服務類別")
    if case.state == "A_ACCEPTED":
        case_before = snapshot(case, CASE_FIELDS)
        _move(case, rules.CASE_TRANSITIONS, "approve_plan", rules.CASE_STATES)
        case.plan_approved_on = case.plan_approved_on or today
        log_change(actor, case, "case.plan_approved", before=case_before, after=snapshot(case, CASE_FIELDS))
    db.session.flush()
    log_change(actor, plan, "plan.approve", before=before, after=snapshot(plan, PLAN_FIELDS))
    return plan


def return_plan(actor, plan: CarePlan, comment: str) -> CarePlan:
    if not (comment or "").strip():
        raise Refused("退回時請填寫修正意見。", field="comment")
    plan = _lock(plan)
    before = snapshot(plan, PLAN_FIELDS)
    _move(plan, rules.PLAN_TRANSITIONS, "return", rules.PLAN_STATES)
    plan.decided_at = clock.utcnow()
    plan.decided_by_id = actor.id
    plan.return_comment = comment.strip()
    db.session.flush()
    log_change(actor, plan, "plan.return", before=before, after=snapshot(plan, PLAN_FIELDS))
    return plan


def report_plan_change(actor, dispatch: Dispatch, notice: str, *, today: date) -> CarePlan:
    """A B unit reports a needed change (服務異動, R-CP-02): the CM has 3 days to revise."""
    if not (notice or "").strip():
        raise Refused("請說明需要異動的內容。", field="notice")
    plan = dispatch.case.current_plan
    if plan is None:
        raise TransitionNotAllowed("此個案目前沒有已核定的照顧計畫。")
    plan = _lock(plan)
    if plan.state == "CHANGE_REQUESTED":
        raise TransitionNotAllowed("已有服務異動通報處理中，請待個管師修正照顧計畫。")
    before = snapshot(plan, PLAN_FIELDS)
    _move(plan, rules.PLAN_TRANSITIONS, "change_notice", rules.PLAN_STATES)
    plan.change_notice = notice.strip()
    plan.change_reported_on = today
    plan.change_reported_by_id = actor.id
    plan.change_reported_org_id = actor.organisation_id
    plan.change_due = rules.plan_change_due(today, setting(PLAN_CHANGE_DAYS), cal=office_calendar())
    db.session.flush()
    log_change(actor, plan, "plan.change_notice", before=before, after=snapshot(plan, PLAN_FIELDS))
    return plan


# --- Dispatch to B units (§7, §9) ----------------------------------------------------


def set_preference(actor, case: Case, service_type: str, org_id: int | None):
    """Record the client's named provider for a service type (criterion 1, Q08)."""
    prefs = dict(case.preferences or {})
    before = dict(prefs)
    if org_id:
        prefs[service_type] = int(org_id)
    else:
        prefs.pop(service_type, None)
    case.preferences = prefs
    db.session.flush()
    log_change(actor, case, "case.preference", before=before, after=prefs)


def dispatch_b_unit(actor, case: Case, service_type: str, org: Organisation, *, seen_proposal_id: int | None,
                    override_reason: str | None, today: date, replaces: Dispatch | None = None) -> Dispatch:
    """Refer one service type of the case to a B unit using the §7 ranking, under the rotation lock.

    The cursor row of the client's area and service type is locked first, then the
    ranking is recomputed; when it no longer proposes what the CM saw, nothing is
    saved and the CM is asked to look again (two CMs never get the same "next" unit).
    """
    case = _lock(case)
    plan = case.current_plan
    if case.state not in ("PLAN_APPROVED", "IN_SERVICE") or plan is None:
        raise TransitionNotAllowed("照顧計畫經照管中心核定後才能連結服務單位（§四(一)）。")
    if service_type not in plan.service_types():
        raise Refused("照顧計畫沒有此服務類別。", field="org_id")
    active = [d for d in case.dispatches if d.service_type == service_type and d.is_active and d is not replaces]
    if active:
        raise TransitionNotAllowed(f"{SERVICE_TYPES[service_type]}已派案給 {active[0].organisation.name}，"
                                   "如需更換請填寫更換服務單位申請表。")
    if case.client.service_area_id is None:
        raise Refused("個案未設定服務區域，無法派案。", field="org_id")
    cal = office_calendar()
    cursor = dispatching.lock_cursor(case.client.service_area_id, service_type)
    exclude = [replaces.organisation_id] if replaces is not None else []
    rec = dispatching.recommend(case, service_type, today=today, cal=cal,
                                rotation_cursor=dispatching.rotation_map(cursor), exclude_org_ids=exclude)
    proposal = rec.proposal
    if proposal is None:
        raise Refused("目前沒有符合條件的服務單位。", field="org_id")
    if seen_proposal_id is not None and proposal.org.id != int(seen_proposal_id):
        raise Refused(f"建議名單已更新（可能有其他個管師剛完成派案），目前建議單位為「{proposal.org.name}」，"
                      "請重新檢視後再送出。", field="org_id")
    chosen = rec.row_for(org.id)
    if chosen is None:
        raise Refused("此單位目前不符合派案條件。", field="org_id")
    override = (override_reason or "").strip()
    if chosen is not proposal and not override:
        raise Refused(f"未選擇建議單位「{proposal.org.name}」，請填寫理由（§三(四)、R-AB-01）。", field="override_reason")
    now = clock.utcnow()
    by_rotation = chosen is proposal and proposal.ranked.by_rotation
    if by_rotation:
        dispatching.record_turn(cursor, org.id, now)
    dispatch = Dispatch(case=case, plan_id=plan.id, service_type=service_type, organisation_id=org.id,
                        referred_on=today, referred_by_id=actor.id, due_on=rules.redispatch_due(today, cal=cal),
                        ranking=rec.snapshot(), flags=list(chosen.ranked.flags), position=chosen.ranked.position,
                        by_rotation=by_rotation, override_reason=override or None,
                        replaces_id=replaces.id if replaces is not None else None)
    db.session.add(dispatch)
    if replaces is not None:
        _reassign(actor, replaces, today)
    grant_access(actor, case.client, org.id, "b_unit")
    db.session.flush()
    log_change(actor, dispatch, "dispatch.create",
               after={**snapshot(dispatch, ("case_id", "service_type", "organisation_id", "referred_on", "due_on",
                                            "position", "by_rotation", "override_reason", "replaces_id")),
                      "flags": dispatch.flags})
    return dispatch


def _reassign(actor, old: Dispatch, today: date):
    old = _lock(old)
    before = {"state": old.state}
    if rules.next_state(rules.DISPATCH_TRANSITIONS, old.state, "reassign") is None:
        raise TransitionNotAllowed(f"原派案目前為「{old.state_label}」，不能改派。")
    old.state = "REASSIGNED"
    old.ended_on = today
    old.end_reason = "逾期未提供服務或無法接案，已改派"
    end_access(actor, old.case.client, old.organisation_id, "b_unit")
    log_change(actor, old, "dispatch.reassigned", before=before, after={"state": old.state})


def may_redispatch(dispatch: Dispatch, today: date) -> bool:
    return dispatch.state == "DECLINED" or dispatch.is_overdue(today)


def accept_dispatch(actor, dispatch: Dispatch) -> Dispatch:
    dispatch = _lock(dispatch)
    before = {"state": dispatch.state}
    _move(dispatch, rules.DISPATCH_TRANSITIONS, "accept", rules.DISPATCH_STATES)
    dispatch.answered_at = clock.utcnow()
    dispatch.answered_by_id = actor.id
    db.session.flush()
    log_change(actor, dispatch, "dispatch.accept", before=before, after={"state": dispatch.state})
    return dispatch


def decline_dispatch(actor, dispatch: Dispatch, reason: str) -> Dispatch:
    """The B unit cannot take the referral; the CM re-dispatches (§9.1)."""
    if not (reason or "").strip():
        raise Refused("請說明無法接案的原因。", field="reason")
    dispatch = _lock(dispatch)
    before = {"state": dispatch.state}
    _move(dispatch, rules.DISPATCH_TRANSITIONS, "decline", rules.DISPATCH_STATES)
    dispatch.answered_at = clock.utcnow()
    dispatch.answered_by_id = actor.id
    dispatch.decline_reason = reason.strip()
    end_access(actor, dispatch.case.client, dispatch.organisation_id, "b_unit")
    db.session.flush()
    log_change(actor, dispatch, "dispatch.decline", before=before,
               after={"state": dispatch.state, "reason": dispatch.decline_reason})
    return dispatch


def record_first_service(actor, dispatch: Dispatch, day: date, *, today: date) -> Dispatch:
    """The first service was delivered (§9.1); the case is in service (§11.3)."""
    dispatch = _lock(dispatch)
    if day > today:
        raise Refused("首次服務日期不可晚於今天。", field="first_service_on")
    if day < dispatch.referred_on:
        raise Refused("首次服務日期不可早於派案日期。", field="first_service_on")
    case = dispatch.case
    problem = rules.record_date_problem(day, closed_on=case.closed_on, died_on=case.died_on)
    if problem:
        raise Refused(problem, field="first_service_on")
    before = {"state": dispatch.state}
    _move(dispatch, rules.DISPATCH_TRANSITIONS, "first_service", rules.DISPATCH_STATES)
    dispatch.first_service_on = day
    dispatch.first_service_by_id = actor.id
    case = _lock(case)
    if case.state == "PLAN_APPROVED":
        case_before = snapshot(case, CASE_FIELDS)
        _move(case, rules.CASE_TRANSITIONS, "first_service", rules.CASE_STATES)
        case.first_service_on = day
        log_change(actor, case, "case.in_service", before=case_before, after=snapshot(case, CASE_FIELDS))
    elif case.first_service_on is None:
        case.first_service_on = day
    db.session.flush()
    log_change(actor, dispatch, "dispatch.first_service", before=before,
               after={"state": dispatch.state, "first_service_on": day})
    return dispatch


def _end_dispatch(actor, dispatch: Dispatch, today: date, reason: str, *, keep_access=False):
    """End a referral; the unit stops seeing the client unless it must still record past services."""
    before = {"state": dispatch.state}
    if rules.next_state(rules.DISPATCH_TRANSITIONS, dispatch.state, "end") is None:
        return
    dispatch.state = "ENDED"
    dispatch.ended_on = today
    dispatch.end_reason = reason
    if not keep_access:
        end_access(actor, dispatch.case.client, dispatch.organisation_id, "b_unit")
    log_change(actor, dispatch, "dispatch.end", before=before, after={"state": "ENDED", "reason": reason})


# --- Visits (§5.3 R-CMD-04, Q09) -------------------------------------------------------


def record_visit(actor, case: Case, kind: str, visited_on: date, summary: str, *, today: date,
                 submission_key=None) -> Visit:
    existing = by_submission_key(Visit, submission_key)
    if existing is not None:
        return existing
    if case.accepted_on is None:
        raise TransitionNotAllowed("個案尚未收案，不能登錄訪視。")
    if visited_on > today:
        raise Refused("訪視日期不可晚於今天。", field="visited_on")
    problem = rules.record_date_problem(visited_on, closed_on=case.closed_on, died_on=case.died_on)
    if problem:
        raise Refused(problem, field="visited_on")
    if not (summary or "").strip():
        raise Refused("請填寫訪視紀要。", field="summary")
    visit = Visit(case_id=case.id, kind=kind, visited_on=visited_on, visitor_id=actor.id, summary=summary.strip(),
                  submission_key=submission_key)
    db.session.add(visit)
    db.session.flush()
    log_change(actor, visit, "visit.record", after=snapshot(visit, ("case_id", "kind", "visited_on")))
    return visit


def visit_dues(case: Case) -> dict:
    """Next phone and home visit due dates (None when the case is not being managed)."""
    if case.accepted_on is None or case.state == "CLOSED":
        return {"phone": None, "home": None}
    last = {}
    for v in case.visits:
        if v.kind not in last or v.visited_on > last[v.kind]:
            last[v.kind] = v.visited_on
    return visit_dues_after(case, last)


def last_visit_on(kind: str):
    """The case's last visit date of `kind`, as a column of a query of cases (no visit rows loaded)."""
    return (db.select(func.max(Visit.visited_on)).where(Visit.case_id == Case.id, Visit.kind == kind)
            .scalar_subquery())


def pending_referral_due():
    """The answer deadline of the case's pending referral (Case.pending_referral), as a column of a query of cases."""
    return (db.select(Referral.answer_due).where(Referral.case_id == Case.id, Referral.state == "PENDING")
            .order_by(Referral.id).limit(1).scalar_subquery())


def visit_intervals() -> tuple[int, int]:
    """(phone, home) visit intervals in months, the bureau's settings: read once for a list of cases."""
    from portal.cases.settings import PHONE_VISIT_MONTHS
    return setting(PHONE_VISIT_MONTHS), setting(HOME_VISIT_MONTHS)


def visit_dues_after(case: Case, last: dict, intervals: tuple[int, int] | None = None) -> dict:
    """visit_dues from the case's last visit date per kind ({"phone": date, "home": date}), e.g. from a GROUP BY.
    `intervals`: `visit_intervals()`, when the caller works through many cases."""
    if case.accepted_on is None or case.state == "CLOSED":
        return {"phone": None, "home": None}
    phone_months, home_months = intervals or visit_intervals()
    return {
        "phone": rules.next_phone_visit_due(last.get("phone", case.accepted_on), phone_months),
        "home": rules.next_home_visit_due(last.get("home", case.accepted_on), home_months),
    }


# --- Change of provider (§10.3, forms-and-pdfs.md §1, Q05) -------------------------

CHANGE_FIELDS = ("requested_on", "reasons", "contact_on", "contact_person", "contact_content", "coordination_result",
                 "new_org_id", "planned_start_on", "matching_note", "confirmer_name", "confirmer_relation",
                 "confirmed_on", "filled_on")
CHANGE_REQUIRED = {
    "requested_on": "個案提出需求日期", "reasons": "更換原因", "contact_on": "與原服務單位聯繫日期",
    "contact_person": "聯繫對象", "contact_content": "告知內容", "coordination_result": "協調結果",
    "new_org_id": "新服務單位", "planned_start_on": "預定服務開始日", "matching_note": "媒合說明",
    "confirmer_name": "確認人姓名", "confirmer_relation": "與個案關係", "confirmed_on": "確認日期",
}


def start_change_request(actor, dispatch: Dispatch, *, today: date) -> ChangeRequest:
    """Open a change-of-provider request on a current provider; an open one is returned as is."""
    if dispatch.state not in rules.DISPATCH_ACTIVE:
        raise TransitionNotAllowed("此派案已結束，不能申請更換。")
    existing = db.session.execute(db.select(ChangeRequest).where(
        ChangeRequest.dispatch_id == dispatch.id,
        ChangeRequest.state.in_(rules.CHANGE_EDITABLE | {"SUBMITTED", "APPROVED"}))).scalars().first()
    if existing is not None:
        return existing
    req = ChangeRequest(case_id=dispatch.case_id, dispatch_id=dispatch.id, state="DRAFT", requested_on=today,
                        filled_by_id=actor.id, filled_on=today)
    db.session.add(req)
    db.session.flush()
    log_change(actor, req, "change_request.create", after={"dispatch_id": dispatch.id})
    return req


def save_change_request(actor, req: ChangeRequest, data: dict, *, seen_version=None, today: date,
                        ranking=None) -> ChangeRequest:
    """Save the form; the state follows what is filled in (協調中 once contact is recorded, 已媒合 with a new unit)."""
    _check_version(req, seen_version)
    if not req.editable:
        raise TransitionNotAllowed(f"申請目前為「{req.state_label}」，不能修改。")
    new_org_id = data.get("new_org_id", req.new_org_id) or None
    if new_org_id and int(new_org_id) == req.dispatch.organisation_id:
        raise Refused("新服務單位不可與原服務單位相同。", field="new_org_id")
    before = snapshot(req, CHANGE_FIELDS + ("state",))
    for name in CHANGE_FIELDS:
        if name in data:
            value = data[name]
            setattr(req, name, value.strip() if isinstance(value, str) else value)
    req.new_org_id = int(new_org_id) if new_org_id else None
    if ranking is not None and req.new_org_id:
        req.ranking = ranking
    req.filled_by_id = actor.id
    req.filled_on = req.filled_on or today
    if req.state in ("DRAFT", "COORDINATING") and req.contact_on and req.state == "DRAFT":
        req.state = "COORDINATING"
    if req.state in ("DRAFT", "COORDINATING") and req.new_org_id:
        req.state = "MATCHED"
    db.session.flush()
    log_change(actor, req, "change_request.save", before=before, after=snapshot(req, CHANGE_FIELDS + ("state",)))
    return req


def withdraw_change_request(actor, req: ChangeRequest, reason: str, *, seen_version=None) -> ChangeRequest:
    """協調後不更換 (or the CM drops the request)."""
    if not (reason or "").strip():
        raise Refused("請填寫協調結果或撤回原因。", field="withdrawn_reason")
    req = _lock(req)
    _check_version(req, seen_version)
    before = {"state": req.state}
    _move(req, rules.CHANGE_TRANSITIONS, "withdraw", rules.CHANGE_STATES)
    req.withdrawn_reason = reason.strip()
    db.session.flush()
    log_change(actor, req, "change_request.withdraw", before=before, after={"state": req.state, "reason": reason})
    return req


def change_request_problems(req: ChangeRequest) -> dict:
    """Return {field: message} for what is still missing before the form can be sent."""
    problems = {name: f"請填寫{label}" for name, label in CHANGE_REQUIRED.items()
                if getattr(req, name) in (None, "")}
    if req.contact_on and req.requested_on and req.contact_on < req.requested_on:
        problems["contact_on"] = "聯繫日期不可早於個案提出需求日期"
    if req.planned_start_on and req.requested_on and req.planned_start_on < req.requested_on:
        problems["planned_start_on"] = "預定服務開始日不可早於提出需求日期"
    return problems


def change_snapshot(req: ChangeRequest) -> dict:
    data = snapshot(req, CHANGE_FIELDS)
    data["new_org_name"] = req.new_org.name if req.new_org else None
    data["current_org_name"] = req.dispatch.organisation.name
    data["service_type"] = req.dispatch.service_type
    return data


def submit_change_request(actor, req: ChangeRequest, *, seen_version=None) -> ChangeRequest:
    """Send the request to the bureau (已送衛生局); each submission is kept as a round (Q05)."""
    req = _lock(req)
    _check_version(req, seen_version)
    if req.state not in ("MATCHED", "RETURNED"):
        if req.state in ("DRAFT", "COORDINATING"):
            raise Refused("請先完成與原服務單位的協調並選定新服務單位。", field="new_org_id")
        raise TransitionNotAllowed(ALREADY_DECIDED.format(req.state_label))
    problems = change_request_problems(req)
    if problems:
        field, message = next(iter(problems.items()))
        raise Refused(f"申請表尚未填寫完整：{message}。", field=field)
    if req.dispatch.state not in rules.DISPATCH_ACTIVE:
        raise TransitionNotAllowed("原服務單位的派案已結束，此申請不能送出。")
    _check_new_provider(req, clock.today())
    before = {"state": req.state}
    _move(req, rules.CHANGE_TRANSITIONS, "submit", rules.CHANGE_STATES)
    req.submitted_at = clock.utcnow()
    req.rounds_count += 1
    db.session.add(ChangeRequestRound(request_id=req.id, number=req.rounds_count, submitted_at=req.submitted_at,
                                      submitted_by_id=actor.id, snapshot=change_snapshot(req)))
    db.session.flush()
    log_change(actor, req, "change_request.submit", before=before, after={"state": req.state,
                                                                          "round": req.rounds_count})
    return req


def decide_change_request(actor, req: ChangeRequest, decision: str, comment: str, *, today: date,
                          seen_round: int | None = None) -> ChangeRequest:
    """The bureau approves or returns the request (Q05). On approval the provider changes:
    the old dispatch ends, the new unit is referred, access moves, a new plan version
    records the change, and both B units are notified."""
    req = _lock(req)
    if req.state != "SUBMITTED":
        raise TransitionNotAllowed(ALREADY_DECIDED.format(req.state_label))
    if seen_round is not None and int(seen_round) != req.rounds_count:
        raise TransitionNotAllowed("申請內容已重新送出，請重新載入後再審核。")
    comment = (comment or "").strip()
    if decision == "return" and not comment:
        raise Refused("退回時請填寫意見。", field="comment")
    if decision not in ("approve", "return"):
        raise Refused("請選擇審核結果。", field="decision")
    if decision == "approve":
        _check_new_provider(req, today)
    before = {"state": req.state}
    _move(req, rules.CHANGE_TRANSITIONS, decision, rules.CHANGE_STATES)
    req.decided_at = clock.utcnow()
    req.decided_by_id = actor.id
    req.decision_comment = comment or None
    current_round = req.rounds[-1]
    current_round.decision = req.state
    current_round.decided_at = req.decided_at
    current_round.decided_by_id = actor.id
    current_round.comment = comment or None
    if decision == "approve":
        _change_provider(actor, req, today)
    db.session.flush()
    log_change(actor, req, f"change_request.{decision}", before=before,
               after={"state": req.state, "comment": comment, "new_dispatch_id": req.new_dispatch_id})
    return req


def _check_new_provider(req: ChangeRequest, today: date):
    """The new unit must still be able to receive a referral (contract standing, pauses)."""
    reasons = referral_blockers(req.new_org, today)
    if reasons:
        raise Refused(f"新服務單位「{req.new_org.name}」目前不能接受派案：" + "；".join(reasons), field="new_org_id")


def _change_provider(actor, req: ChangeRequest, today: date):
    old = _lock(req.dispatch)
    case = _lock(req.case)
    if old.state not in rules.DISPATCH_ACTIVE:
        raise TransitionNotAllowed("原服務單位的派案已結束，不能核准更換。")
    cal = office_calendar()
    start = max(req.planned_start_on or today, today)
    new = Dispatch(case=case, plan_id=old.plan_id, service_type=old.service_type,
                   organisation_id=req.new_org_id, referred_on=today, referred_by_id=req.filled_by_id or actor.id,
                   due_on=rules.redispatch_due(today, cal=cal), ranking=req.ranking, replaces_id=old.id,
                   override_reason=f"更換服務單位申請 #{req.id} 經衛生局同意")
    db.session.add(new)
    _end_dispatch(actor, old, today, f"更換服務單位（申請 #{req.id}）")
    grant_access(actor, case.client, req.new_org_id, "b_unit")
    db.session.flush()
    req.new_dispatch_id = new.id
    # A change of provider creates a new care-plan version (§10.3 [interpretation]); the
    # services are unchanged, so it is in force at once (Q04).
    plan = case.current_plan
    if plan is not None:
        version = CarePlan(number=len(case.plans) + 1, state="APPROVED", problems=plan.problems,
                           goals=plan.goals, based_on_id=plan.id, drafted_by_id=actor.id, decided_by_id=actor.id,
                           decided_at=clock.utcnow(), approved_on=today,
                           change_note=f"更換服務單位：{old.organisation.name} → {req.new_org.name}"
                                       f"（{SERVICE_TYPES[old.service_type]}，申請 #{req.id}，衛生局同意）",
                           items=[CarePlanItem(position=i.position, code=i.code, name=i.name,
                                               service_type=i.service_type, quantity=i.quantity,
                                               frequency=i.frequency, note=i.note) for i in plan.items])
        db.session.add(version)
        version.case = case
        plan.state = "SUPERSEDED"
        plan.superseded_at = clock.utcnow()
        db.session.flush()
        new.plan_id = version.id
        for d in case.dispatches:
            if d.is_active:
                d.plan_id = version.id
        log_change(actor, version, "plan.provider_changed", after={"based_on_id": plan.id, "change_request_id": req.id})
    client = case.client.name
    label = SERVICE_TYPES[old.service_type]
    notify(old.organisation_id, f"個案 {client} 的{label}已更換服務單位為 {req.new_org.name}，"
                                f"自 {rules._roc(today)} 起結束服務（衛生局同意更換服務單位申請）。", case=case)
    notify(req.new_org_id, f"新派案：個案 {client} 的{label}由原服務單位 {old.organisation.name} 更換至貴單位，"
                           f"預定 {rules._roc(start)} 開始服務，請於期限內回覆接案。",
           url=f"/dispatches/{new.id}", case=case)


def complete_change_request(actor, req: ChangeRequest, plan_changed_on: date, uploaded: bool, *,
                            today: date, seen_version=None) -> ChangeRequest:
    """九、系統計畫異動: the CM recorded the plan change in the national system and uploaded the form."""
    req = _lock(req)
    _check_version(req, seen_version)
    if not plan_changed_on:
        raise Refused("請填寫計畫異動日期。", field="plan_changed_on")
    if plan_changed_on > today:
        raise Refused("計畫異動日期不可晚於今天。", field="plan_changed_on")
    if not uploaded:
        raise Refused("請確認已將本表上傳系統。", field="uploaded_to_system")
    before = {"state": req.state}
    _move(req, rules.CHANGE_TRANSITIONS, "complete", rules.CHANGE_STATES)
    req.plan_changed_on = plan_changed_on
    req.uploaded_to_system = True
    req.completed_at = clock.utcnow()
    db.session.flush()
    log_change(actor, req, "change_request.complete", before=before,
               after={"state": req.state, "plan_changed_on": plan_changed_on})
    return req


def attach_scan(actor, req: ChangeRequest, *, path: str, name: str, mime: str, size: int) -> ChangeRequest:
    before = snapshot(req, ("scan_name", "scan_mime", "scan_size"))
    req.scan_path, req.scan_name, req.scan_mime, req.scan_size = path, name, mime, size
    req.scan_uploaded_at = clock.utcnow()
    db.session.flush()
    log_change(actor, req, "change_request.scan", before=before,
               after=snapshot(req, ("scan_name", "scan_mime", "scan_size")))
    return req


# --- Suspension and closure (§11) -----------------------------------------------------

SUSPENSION_FIELDS = ("reason", "starts_on", "away_from", "away_to", "details", "state", "ended_on")
CLOSURE_FIELDS = ("reason", "event_on", "details", "state", "centre_consent", "decision_comment")


def report_suspension(actor, case: Case, data: dict, *, today: date) -> Suspension:
    """A B unit (or the A unit itself) reports that service must pause (§11.1)."""
    if case.state not in ("IN_SERVICE", "PLAN_APPROVED"):
        raise TransitionNotAllowed(f"個案目前為「{case.state_label}」，不能通報暫停服務。")
    pending = db.session.execute(db.select(Suspension).where(
        Suspension.case_id == case.id, Suspension.state.in_(("REPORTED", "FORWARDED", "RECORDED")))).scalars().first()
    if pending is not None:
        raise TransitionNotAllowed("此個案已有暫停服務通報處理中。")
    problem = rules.suspension_problem(data.get("reason"), away_from=data.get("away_from"),
                                       away_to=data.get("away_to"), min_days=setting(SUSPENSION_MIN_DAYS))
    if problem:
        raise Refused(problem, field="away_to" if "日" in problem and data.get("reason") in rules.AWAY_REASONS
                      else "reason")
    if data["starts_on"] > today + timedelta(days=31):
        raise Refused("暫停開始日期請勿超過一個月後。", field="starts_on")
    is_a = actor.role in roles.A_ROLES
    susp = Suspension(case_id=case.id, reason=data["reason"], starts_on=data["starts_on"],
                      away_from=data.get("away_from"), away_to=data.get("away_to"),
                      details=(data.get("details") or "").strip() or None,
                      reported_org_id=actor.organisation_id, reported_by_id=actor.id,
                      state="FORWARDED" if is_a else "REPORTED")
    if is_a:
        susp.forwarded_at = clock.utcnow()
        susp.forwarded_by_id = actor.id
    db.session.add(susp)
    db.session.flush()
    log_change(actor, susp, "suspension.report", after=snapshot(susp, SUSPENSION_FIELDS))
    return susp


def forward_report(actor, report, *, seen_version=None):
    """The A unit passes a B unit's suspension or closure report on to the centre."""
    report = _lock(report)
    _check_version(report, seen_version)
    if report.state != "REPORTED":
        raise TransitionNotAllowed(ALREADY_DECIDED.format(report.state_label))
    report.state = "FORWARDED"
    report.forwarded_at = clock.utcnow()
    report.forwarded_by_id = actor.id
    db.session.flush()
    log_change(actor, report, f"{_kind(report)}.forward", before={"state": "REPORTED"}, after={"state": "FORWARDED"})
    return report


def _kind(report):
    return "suspension" if isinstance(report, Suspension) else "closure"


def record_suspension(actor, susp: Suspension, approve: bool, comment: str = "") -> Suspension:
    """The centre records (核備) the suspension: the case is suspended, tracking continues."""
    susp = _lock(susp)
    if susp.state not in ("FORWARDED", "REPORTED"):
        raise TransitionNotAllowed(ALREADY_DECIDED.format(susp.state_label))
    if not approve and not (comment or "").strip():
        raise Refused("不予核備時請填寫理由。", field="comment")
    before = {"state": susp.state}
    susp.decided_at = clock.utcnow()
    susp.decided_by_id = actor.id
    susp.decision_comment = (comment or "").strip() or None
    if approve:
        case = _lock(susp.case)
        susp.previous_state = case.state
        case_before = snapshot(case, CASE_FIELDS)
        _move(case, rules.CASE_TRANSITIONS, "suspend", rules.CASE_STATES)
        susp.state = "RECORDED"
        log_change(actor, case, "case.suspend", before=case_before, after=snapshot(case, CASE_FIELDS))
    else:
        susp.state = "REJECTED"
    db.session.flush()
    log_change(actor, susp, "suspension.record" if approve else "suspension.reject", before=before,
               after={"state": susp.state, "comment": susp.decision_comment})
    return susp


def end_suspension(actor, susp: Suspension, ended_on: date, note: str, *, today: date) -> Suspension:
    """Service resumes (the condition ceased); the centre is informed by the log and the case page."""
    susp = _lock(susp)
    if susp.state != "RECORDED":
        raise TransitionNotAllowed(ALREADY_DECIDED.format(susp.state_label))
    if ended_on < susp.starts_on or ended_on > today:
        raise Refused("恢復服務日期須介於暫停開始日與今天之間。", field="ended_on")
    case = _lock(susp.case)
    case_before = snapshot(case, CASE_FIELDS)
    if case.state == "SUSPENDED":
        case.state = susp.previous_state if susp.previous_state in ("PLAN_APPROVED", "IN_SERVICE") else "IN_SERVICE"
    susp.state = "ENDED"
    susp.ended_on = ended_on
    susp.end_note = (note or "").strip() or None
    db.session.flush()
    log_change(actor, case, "case.resume", before=case_before, after=snapshot(case, CASE_FIELDS))
    log_change(actor, susp, "suspension.end", before={"state": "RECORDED"}, after={"state": "ENDED",
                                                                                 "ended_on": ended_on})
    return susp


def report_closure(actor, case: Case, data: dict, *, today: date) -> Closure:
    """A B unit (or the A unit, or the centre itself) reports a closure reason (§11.2)."""
    if case.state in ("CLOSED", "CLOSURE_PENDING"):
        raise TransitionNotAllowed(f"個案目前為「{case.state_label}」，不能再通報結案。")
    if data.get("reason") not in rules.CLOSURE_REASONS:
        raise Refused("請選擇結案原因。", field="reason")
    if data["event_on"] > today:
        raise Refused("事由發生日期不可晚於今天。", field="event_on")
    case = _lock(case)
    is_b = actor.role in roles.B_ROLES
    closure = Closure(case_id=case.id, reason=data["reason"], event_on=data["event_on"],
                      details=(data.get("details") or "").strip() or None, reported_org_id=actor.organisation_id,
                      reported_by_id=actor.id, state="REPORTED" if is_b else "FORWARDED", previous_state=case.state)
    if not is_b:
        closure.forwarded_at = clock.utcnow()
        closure.forwarded_by_id = actor.id
    db.session.add(closure)
    case_before = snapshot(case, CASE_FIELDS)
    case.state = "CLOSURE_PENDING"
    db.session.flush()
    log_change(actor, case, "case.closure_pending", before=case_before, after=snapshot(case, CASE_FIELDS))
    log_change(actor, closure, "closure.report", after=snapshot(closure, CLOSURE_FIELDS))
    return closure


def decide_closure(actor, closure: Closure, close: bool, *, today: date, centre_consent=False,
                   comment: str = "") -> Closure:
    """The centre closes the case (subsidy stops) or rejects the closure (the case returns to its state)."""
    closure = _lock(closure)
    if closure.state not in ("FORWARDED", "REPORTED"):
        raise TransitionNotAllowed(ALREADY_DECIDED.format(closure.state_label))
    case = _lock(closure.case)
    comment = (comment or "").strip()
    if close:
        problem = rules.closure_problem(closure.reason, referred_on=case.first_referred_on, closing_on=today,
                                        centre_consent=centre_consent, months=setting(NON_USE_MONTHS))
        if problem:
            raise Refused(problem, field="centre_consent" if "同意" in problem and "最早" not in problem else "reason")
    elif not comment:
        raise Refused("不同意結案時請填寫理由。", field="comment")
    before = snapshot(closure, CLOSURE_FIELDS)
    case_before = snapshot(case, CASE_FIELDS)
    closure.decided_at = clock.utcnow()
    closure.decided_by_id = actor.id
    closure.decision_comment = comment or None
    closure.centre_consent = bool(centre_consent)
    if close:
        closure.state = "CLOSED"
        case.state = "CLOSED"
        case.closed_on = today
        case.closure_reason = closure.reason
        if closure.reason == "X1":
            case.died_on = closure.event_on
        if closure.reason == "X5":
            case.reapply_when_compliant = True
        for d in case.dispatches:
            if d.is_active:
                # The unit keeps read access: services up to the closure date are still recorded and billed.
                _end_dispatch(actor, d, today, f"結案（{rules.CLOSURE_REASONS[closure.reason]}）", keep_access=True)
        for s in db.session.execute(db.select(Suspension).where(Suspension.case_id == case.id,
                                                                 Suspension.state == "RECORDED")).scalars():
            s.state, s.ended_on, s.end_note = "ENDED", today, "結案"
        for r in db.session.execute(db.select(ChangeRequest).where(
                ChangeRequest.case_id == case.id, ChangeRequest.state.in_(rules.CHANGE_EDITABLE))).scalars():
            r.state, r.withdrawn_reason = "WITHDRAWN", "個案已結案"
    else:
        closure.state = "REJECTED"
        case.state = closure.previous_state or "IN_SERVICE"
    db.session.flush()
    log_change(actor, case, "case.close" if close else "case.closure_rejected", before=case_before,
               after=snapshot(case, CASE_FIELDS))
    log_change(actor, closure, "closure.decide", before=before, after=snapshot(closure, CLOSURE_FIELDS))
    return closure


# --- B-unit evaluations (§9 R-AB-03) ------------------------------------------------


def save_evaluation(actor, b_unit: Organisation, period: str, rating: int, comment: str, *,
                    seen_version=None) -> ProviderEvaluation:
    if b_unit.kind != roles.B_UNIT:
        raise Refused("請選擇B單位。", field="b_unit_id")
    if not 1 <= int(rating) <= 5:
        raise Refused("評分須為 1 到 5 分。", field="rating")
    row = db.session.execute(db.select(ProviderEvaluation).filter_by(
        a_unit_id=actor.organisation_id, b_unit_id=b_unit.id, period=period)).scalar_one_or_none()
    before = snapshot(row, ("rating", "comment")) if row else None
    if row is None:
        row = ProviderEvaluation(a_unit_id=actor.organisation_id, b_unit_id=b_unit.id, period=period,
                                 evaluated_by_id=actor.id, rating=int(rating))
        db.session.add(row)
    else:
        _check_version(row, seen_version)
    row.rating = int(rating)
    row.comment = (comment or "").strip() or None
    row.evaluated_by_id = actor.id
    row.evaluated_at = clock.utcnow()
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise StaleEdit("同一期間已有評核紀錄（可能剛由其他人儲存），請重新載入。") from None
    log_change(actor, row, "evaluation.save", before=before, after=snapshot(row, ("b_unit_id", "period", "rating",
                                                                                 "comment")))
    return row


# --- Dispatch pause / resume requests (§4.2, issue 8 item 7) --------------------------


def submit_pause_request(actor, kind: str, data: dict, *, today: date) -> PauseRequest:
    """An A unit asks to pause (3 office days ahead, with reason and measures) or resume new referrals."""
    org_id = actor.organisation_id
    pending = db.session.execute(db.select(PauseRequest).where(
        PauseRequest.organisation_id == org_id, PauseRequest.state == "SUBMITTED")).scalars().first()
    if pending is not None:
        raise Refused(f"已有一件{pending.kind_label}申請待衛生局審核，請待審核後再提出。", field="reason")
    paused = paused_since(org_id, today)
    future_pause = next((e for k, e in sorted(pause_events(org_id), key=lambda e: e[1]) if k == "pause" and e > today),
                        None)
    if kind == "pause":
        if paused:
            raise Refused("本單位目前已暫停派案。", field="requested_on")
        if future_pause:
            raise Refused(f"本單位已核准自 {rules._roc(future_pause)} 起暫停派案。", field="requested_on")
        if not data.get("requested_on"):
            raise Refused("請填寫希望暫停派案的生效日期。", field="requested_on")
        problem = rules.pause_notice_problem(today, data["requested_on"], setting(PAUSE_NOTICE_DAYS),
                                             cal=office_calendar())
        if problem:
            raise Refused(problem, field="requested_on")
        if not (data.get("measures") or "").strip():
            raise Refused("請說明既有個案的配套措施（§七(三)）。", field="measures")
    elif kind == "resume":
        if not paused and not future_pause:
            raise Refused("本單位目前未暫停派案。", field="reason")
    else:
        raise Refused("申請類別不正確。", field="kind")
    if not (data.get("reason") or "").strip():
        raise Refused("請說明申請理由。", field="reason")
    req = PauseRequest(organisation_id=org_id, kind=kind, reason_kind=data.get("reason_kind") or None,
                       reason=data["reason"].strip(), measures=(data.get("measures") or "").strip() or None,
                       requested_on=data.get("requested_on") if kind == "pause" else None,
                       submitted_on=today, submitted_by_id=actor.id)
    db.session.add(req)
    db.session.flush()
    log_change(actor, req, f"pause_request.{kind}",
               after=snapshot(req, ("kind", "reason_kind", "reason", "measures", "requested_on", "submitted_on")))
    return req


def withdraw_pause_request(actor, req: PauseRequest) -> PauseRequest:
    req = _lock(req)
    if req.state != "SUBMITTED":
        raise TransitionNotAllowed(ALREADY_DECIDED.format(req.state_label))
    req.state = "WITHDRAWN"
    db.session.flush()
    log_change(actor, req, "pause_request.withdraw", before={"state": "SUBMITTED"}, after={"state": "WITHDRAWN"})
    return req


def decide_pause_request(actor, req: PauseRequest, approve: bool, comment: str, *, today: date) -> PauseRequest:
    """The bureau approves or rejects. A pause starts on the requested date (or today if later);
    a resume takes effect on approval. The 照專 are notified (§4.2)."""
    req = _lock(req)
    if req.state != "SUBMITTED":
        raise TransitionNotAllowed(ALREADY_DECIDED.format(req.state_label))
    comment = (comment or "").strip()
    if not approve and not comment:
        raise Refused("未核准時請填寫理由。", field="comment")
    before = {"state": req.state}
    req.state = "APPROVED" if approve else "REJECTED"
    req.decided_at = clock.utcnow()
    req.decided_by_id = actor.id
    req.decision_comment = comment or None
    unit = req.organisation.name
    if approve:
        req.effective_on = max(req.requested_on, today) if req.kind == "pause" else today
        message = (f"{unit}自 {rules._roc(req.effective_on)} 起暫停派案（衛生局核准），請勿轉介新案；既有個案照常服務。"
                   if req.kind == "pause" else f"{unit}自 {rules._roc(req.effective_on)} 起恢復派案（衛生局核准）。")
        for org_id in bureau_org_ids():
            notify(org_id, message, url="/dispatch-pauses")
    notify(req.organisation_id, f"{req.kind_label}申請（{rules._roc(req.submitted_on)}）"
                                f"{'已核准' if approve else '未核准'}" + (f"：{comment}" if comment else "。"),
           url=f"/dispatch-pauses/{req.id}")
    db.session.flush()
    log_change(actor, req, "pause_request.approve" if approve else "pause_request.reject", before=before,
               after={"state": req.state, "effective_on": req.effective_on, "comment": comment})
    return req


# --- Roster and capacity ---------------------------------------------------------------

CM_FIELDS = ("declared_caseload", "deputy_id", "approved_on", "training_hours", "training_notice_on", "joint_visits",
             "review_passed_on", "cms_account_on", "removed_on")


def save_case_manager(actor, user: User, data: dict, *, seen_version=None) -> CaseManagerProfile:
    """Save a CM's roster entry: the unit declares caseload and deputy, the bureau records onboarding."""
    profile = db.session.execute(db.select(CaseManagerProfile).filter_by(user_id=user.id)).scalar_one_or_none()
    before = snapshot(profile, CM_FIELDS) if profile else None
    if profile is None:
        profile = CaseManagerProfile(user_id=user.id, organisation_id=user.organisation_id,
                                     declared_caseload=setting(CASELOAD_PER_MANAGER))
        db.session.add(profile)
    else:
        _check_version(profile, seen_version)
    deputy_id = data.get("deputy_id")
    if deputy_id:
        deputy = db.session.get(User, int(deputy_id))
        if deputy is None or deputy.organisation_id != user.organisation_id or deputy.id == user.id \
                or deputy.role != roles.A_CASE_MANAGER:
            raise Refused("職務代理人須為本單位另一位個管師（§三(二)5）。", field="deputy_id")
    if "joint_visits" in data and not 0 <= int(data["joint_visits"] or 0) <= 12:
        raise Refused("照專實習共訪次數須介於 0 到 12 次。", field="joint_visits")
    if "declared_caseload" in data and not 1 <= int(data["declared_caseload"] or 0) <= 400:
        raise Refused("申報案量須介於 1 到 400 案。", field="declared_caseload")
    visits = int(data["joint_visits"] or 0) if "joint_visits" in data else (profile.joint_visits or 0)
    if data.get("review_passed_on") and visits < rules.CM_JOINT_VISITS:
        raise Refused("照專實習共訪須滿 12 次才能登錄督導審查通過（§三(一)2）。", field="review_passed_on")
    for name in CM_FIELDS:
        if name in data:
            setattr(profile, name, data[name] if data[name] != "" else None)
    if profile.training_hours is None:
        profile.training_hours = 0
    if profile.joint_visits is None:
        profile.joint_visits = 0
    db.session.flush()
    log_change(actor, profile, "case_manager.save", before=before, after=snapshot(profile, CM_FIELDS))
    return profile


def save_provider_service(actor, org: Organisation, service_type: str, data: dict) -> ProviderService:
    if service_type not in SERVICE_TYPES:
        raise Refused("服務類別不正確。", field="service_type")
    capacity = int(data.get("capacity") or 0)
    if capacity < 0 or capacity > 2000:
        raise Refused("服務量能須介於 0 到 2000 人。", field="capacity")
    row = db.session.execute(db.select(ProviderService).filter_by(organisation_id=org.id, service_type=service_type)
                             ).scalar_one_or_none()
    before = snapshot(row, ("capacity", "accepting", "codes", "note")) if row else None
    if row is None:
        row = ProviderService(organisation_id=org.id, service_type=service_type, capacity=capacity)
        db.session.add(row)
    row.capacity = capacity
    row.accepting = bool(data.get("accepting"))
    row.codes = sorted(data["codes"]) if data.get("codes") else None
    row.note = (data.get("note") or "").strip() or None
    row.updated_by_id = actor.id
    db.session.flush()
    log_change(actor, row, "provider_service.save", before=before,
               after=snapshot(row, ("service_type", "capacity", "accepting", "codes", "note")))
    return row


def remove_provider_service(actor, row: ProviderService):
    log_change(actor, row, "provider_service.remove", before=snapshot(row, ("service_type", "capacity")))
    db.session.delete(row)


def update_service_code(actor, row, name: str, active: bool):
    """The bureau renames or retires a service code (README §6.1, data not code)."""
    before = snapshot(row, ("name", "active"))
    row.name = name.strip()
    row.active = bool(active)
    db.session.flush()
    log_change(actor, row, "service_code.update", before=before, after=snapshot(row, ("name", "active")))
    return row


def add_service_code(actor, data: dict):
    """The bureau adds a code the national payment standard introduced (README §6.1, data not code)."""
    from sqlalchemy import func
    from portal.cases.models import ServiceCode
    code = data["code"]
    existing = db.session.execute(db.select(ServiceCode).filter_by(code=code)).scalar_one_or_none()
    if existing is not None:
        raise Refused(f"服務碼 {code}（{existing.name}）已在表中，請直接修改該列。", field="code")
    last = db.session.execute(db.select(func.max(ServiceCode.sort_order))).scalar() or 0
    row = ServiceCode(code=code, name=data["name"].strip(), family=code[0], service_type=data["service_type"],
                      unit_label=data["unit_label"].strip(), active=True, sort_order=last + 1)
    db.session.add(row)
    db.session.flush()
    log_change(actor, row, "service_code.create",
               after=snapshot(row, ("code", "name", "family", "service_type", "unit_label")))
    return row
