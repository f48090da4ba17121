"""Every state change of the guidance area: checked, applied, audit-logged, flushed (the view commits)."""
from datetime import date

from portal import clock
from portal.auditlog.operations import log_change, snapshot
from portal.auth import roles
from portal.errors import Refused, StaleEdit, TransitionNotAllowed
from portal.extensions import db
from portal.guidance import queries, rules
from portal.guidance.models import (
    CapacityAssessment, GrantApplication, GuidanceOfficer, GuidancePlan, GuidanceUnitProfile, GuidanceVisit,
    GuidanceYear, GuidedHome,
)
from portal.guidance.settings import (
    DEV_CAP_MONTH, DEV_CAP_YEAR, DEV_TRAVEL_CAP, HOME_TRAVEL_CAP, SELF_FUNDING, grant_settings, refund_settings,
)
from portal.orgs.models import Organisation, OrganisationLink
from portal.settings.registry import get_setting
from portal.submissions import by_submission_key


class GrantRefused(Refused):
    """A grant application over a cap: every problem, keyed by form field."""

    def __init__(self, problems: dict):
        field, message = next(iter(problems.items()))
        super().__init__(message, field=field)
        self.problems = problems


def _check_version(obj, seen_version):
    """Refuse an edit made on another version of `obj` (a tampered, non-numeric version counts as stale)."""
    if seen_version is None:
        return
    try:
        seen = int(seen_version)
    except (TypeError, ValueError):
        raise StaleEdit() from None
    if seen != obj.version:
        raise StaleEdit()


def _lock(model, obj):
    """Re-read `obj` with a row lock (PostgreSQL) so two deciders serialise; SQLite locks the file anyway."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(db.select(model).where(model.id == obj.id).with_for_update()).scalar_one()
        db.session.refresh(obj)
    return obj


def _refuse_after_exit(org: Organisation, year: int, what: str, field=None):
    """A unit settled with 「予以退場」 (two consecutive years without a new home, seed 003 §十五(十一)) is no
    longer commissioned: nothing of a later year is accepted from it or for it."""
    row = queries.exit_row(org.id)
    if row is not None and year > row.year:
        raise Refused(f"本單位已於{row.year - 1911}年度結算因連續兩年未輔導設立托顧家庭予以退場"
                      f"（seed 003 §十五(十一)），不能{what}", field=field)


# --- unit profile (seed 003 §六) -------------------------------------------------------

PROFILE_FIELDS = ("eligibility_basis", "legal_form", "last_evaluation_result", "last_evaluation_year",
                  "family_care_since", "contact_name", "contact_phone", "notes")


def save_unit_profile(actor, org: Organisation, profile: GuidanceUnitProfile | None, data: dict, *,
                      seen_version=None) -> GuidanceUnitProfile:
    """Record a guidance unit's qualification data; refuse a basis whose evaluation requirement is not met."""
    if org.kind != roles.GUIDANCE:
        raise Refused("只有家庭托顧輔導單位可填寫輔導單位資格")
    if profile is not None:
        _check_version(profile, seen_version)
    eligibility = rules.guidance_unit_eligibility(data["eligibility_basis"], data.get("last_evaluation_result"),
                                                  data.get("family_care_since"))
    if not eligibility.eligible:
        raise Refused("；".join(eligibility.reasons), field="last_evaluation_result")
    before = snapshot(profile, PROFILE_FIELDS) if profile else None
    profile = profile or GuidanceUnitProfile(organisation_id=org.id)
    for f in PROFILE_FIELDS:
        setattr(profile, f, data.get(f))
    db.session.add(profile)
    db.session.flush()
    log_change(actor, profile, "guidance.profile_saved", before=before, after=snapshot(profile, PROFILE_FIELDS))
    return profile


# --- officers (seed 003 §十五(一)) ------------------------------------------------------

OFFICER_FIELDS = ("name", "user_id", "phone", "education", "school", "department", "related_field",
                  "sw_exam_eligible", "experience_months", "started_on", "ended_on")
_QUALIFYING_FACTS = ("education", "related_field", "sw_exam_eligible", "experience_months", "school", "department")


def save_officer(actor, org: Organisation, officer: GuidanceOfficer | None, data: dict, *,
                 seen_version=None) -> GuidanceOfficer:
    """Record a guidance officer; refuse one who meets none of the three qualification paths."""
    if officer is not None:
        _check_version(officer, seen_version)
    qualification = rules.officer_qualification(data["education"], data["related_field"], data["sw_exam_eligible"],
                                                data["experience_months"])
    if not qualification.qualified:
        raise Refused("不符專責輔導人員資格（seed 003 §十五(一)）：" + "；".join(qualification.reasons),
                      field="education")
    if data.get("ended_on") and data.get("started_on") and data["ended_on"] < data["started_on"]:
        raise Refused("離職日期不可早於到職日期", field="ended_on")
    if data.get("user_id"):
        from portal.auth.models import User
        user = db.session.get(User, data["user_id"])
        if user is None or user.organisation_id != org.id:
            raise Refused("帳號須屬於本輔導單位", field="user_id")
    before = snapshot(officer, OFFICER_FIELDS + ("qualification_path",)) if officer else None
    facts_changed = officer is not None and any(getattr(officer, f) != data.get(f) for f in _QUALIFYING_FACTS)
    officer = officer or GuidanceOfficer(organisation_id=org.id)
    for f in OFFICER_FIELDS:
        setattr(officer, f, data.get(f))
    officer.qualification_path = qualification.path
    if facts_changed and officer.verified_at is not None:
        # The bureau checked other facts: a change needs a new check.
        officer.verified_at = officer.verified_by_id = None
        officer.verification_note = None
    db.session.add(officer)
    db.session.flush()
    log_change(actor, officer, "guidance.officer_saved", before=before,
               after=snapshot(officer, OFFICER_FIELDS + ("qualification_path",)))
    return officer


def verify_officer(actor, officer: GuidanceOfficer, note: str | None, *, seen_version=None) -> GuidanceOfficer:
    """The bureau confirms an officer's qualification against the documents."""
    _lock(GuidanceOfficer, officer)
    if officer.verified_at is not None:
        raise TransitionNotAllowed(f"此人員資格已由{officer.verified_by.full_name if officer.verified_by else '他人'}"
                                   "核對完成，無需重複核對。")
    _check_version(officer, seen_version)
    if not officer.qualification().qualified:
        raise TransitionNotAllowed("此人員不符任何一款資格，無法核對通過。")
    officer.verified_at = clock.utcnow()
    officer.verified_by_id = actor.id
    officer.verification_note = note or None
    db.session.flush()
    log_change(actor, officer, "guidance.officer_verified", after={"path": officer.qualification_path, "note": note})
    return officer


# --- homes: the development pipeline (seed 003 §十五(五), (九), (十)) --------------------

HOME_FIELDS = ("home_name", "carer_name", "carer_phone", "address", "service_area_id", "notes")
HOME_LOG_FIELDS = HOME_FIELDS + ("stage", "found_on", "env_checked_on", "licence_applied_on", "licensed_on",
                                 "licence_no", "contracted_on", "dropped_on", "drop_reason", "first_evaluated_on",
                                 "organisation_id")


def create_home(actor, guidance_org: Organisation, data: dict, found_on: date, today: date) -> GuidedHome:
    """Record a potential family-care provider the unit found (stage 「發掘潛在服務提供者」)."""
    if guidance_org.kind != roles.GUIDANCE:
        raise Refused("只有家庭托顧輔導單位可新增輔導家庭")
    if found_on > today:
        raise Refused("日期不可晚於今天", field="found_on")
    _refuse_after_exit(guidance_org, found_on.year, "再新增輔導家庭", field="found_on")
    home = GuidedHome(guidance_org_id=guidance_org.id, stage="found", found_on=found_on)
    for f in HOME_FIELDS:
        setattr(home, f, data.get(f))
    db.session.add(home)
    db.session.flush()
    log_change(actor, home, "guidance.home_created", after=snapshot(home, HOME_LOG_FIELDS))
    return home


def update_home(actor, home: GuidedHome, data: dict, dates: dict, today: date, *, seen_version=None) -> GuidedHome:
    """Correct a home's details and the dates of the stages it reached."""
    _check_version(home, seen_version)
    problems = rules.stage_dates_problems(dates, home.stage, today)
    if problems:
        stage, message = next(iter(problems.items()))
        raise Refused(message, field=rules.STAGE_DATE_FIELDS[stage])
    if data.get("first_evaluated_on") is not None:
        if home.licensed_on is None and dates.get("licensed") is None:
            raise Refused("尚未取得設立許可，無第一次機構評鑑", field="first_evaluated_on")
        if data["first_evaluated_on"] < (dates.get("licensed") or home.licensed_on):
            raise Refused("第一次機構評鑑完成日不可早於取得設立許可日", field="first_evaluated_on")
        if data["first_evaluated_on"] > today:
            raise Refused("日期不可晚於今天", field="first_evaluated_on")
    before = snapshot(home, HOME_LOG_FIELDS)
    for f in HOME_FIELDS + ("first_evaluated_on", "licence_no"):
        if f in data:
            setattr(home, f, data[f])
    reached = rules.STAGES if home.stage == "dropped" else rules.STAGES[:rules.STAGES.index(home.stage) + 1]
    for stage in reached:
        if stage in dates:
            setattr(home, rules.STAGE_DATE_FIELDS[stage], dates[stage])
    if home.organisation is not None and home.organisation.name != home.home_name:
        # The licensed organisation keeps its registered name; the bureau renames it at 單位.
        home.home_name = home.organisation.name
    db.session.flush()
    log_change(actor, home, "guidance.home_updated", before=before, after=snapshot(home, HOME_LOG_FIELDS))
    return home


def advance_home(actor, home: GuidedHome, to_stage: str, on: date, today: date, *, licence_no: str | None = None,
                 seen_version=None) -> GuidedHome:
    """Move a home to the next stage of the pipeline with the date it was reached.

    Licensing creates (or links) the family-care B unit and the read-only 「guides」 link
    (seed 003 §十五(四)); the contract stage counts for the yearly target.
    """
    _lock(GuidedHome, home)
    expected = rules.next_stage(home.stage)
    if expected is None or to_stage != expected:
        current = rules.STAGE_LABELS.get(home.stage, home.stage)
        raise TransitionNotAllowed(f"此家庭目前為「{current}」，無法改為「{rules.STAGE_LABELS.get(to_stage, to_stage)}」；"
                                   "可能已有他人更新，請重新載入。")
    _check_version(home, seen_version)
    problem = rules.stage_date_problem(to_stage, on, home.stage_dates(), today)
    if problem:
        raise Refused(problem, field="on")
    before = snapshot(home, HOME_LOG_FIELDS)
    if to_stage == "licensed":
        if not (licence_no or "").strip():
            raise Refused("請填寫設立許可文號", field="licence_no")
        home.licence_no = licence_no.strip()
        home.licensed_on = on
        _link_licensed_home(actor, home, on)
    setattr(home, rules.STAGE_DATE_FIELDS[to_stage], on)
    home.stage = to_stage
    db.session.flush()
    log_change(actor, home, f"guidance.home_{to_stage}", before=before, after=snapshot(home, HOME_LOG_FIELDS))
    return home


def _link_licensed_home(actor, home: GuidedHome, on: date):
    from portal.orgs.operations import save_organisation
    org = db.session.execute(db.select(Organisation).filter_by(name=home.home_name)).scalar_one_or_none()
    if org is not None:
        guided_elsewhere = db.session.execute(db.select(OrganisationLink.id).where(
            OrganisationLink.to_org_id == org.id, OrganisationLink.relation == "guides",
            OrganisationLink.ended_on.is_(None), OrganisationLink.from_org_id != home.guidance_org_id)).first()
        if org.kind != roles.B_UNIT or org.subtype != "family_care" or guided_elsewhere:
            raise Refused("已有同名單位；家庭托顧單位名稱不可與其他單位相同，請先修改托顧家庭名稱", field="home_name")
    else:
        area_ids = [home.service_area_id] if home.service_area_id else []
        org = save_organisation(actor, None, {
            "kind": roles.B_UNIT, "subtype": "family_care", "name": home.home_name, "short_name": None,
            "code": None, "head_name": home.carer_name, "phone": home.carer_phone, "address": home.address,
            "base_area_id": home.service_area_id, "active": True}, area_ids)
    home.organisation_id = org.id
    home.organisation = org
    link = db.session.execute(db.select(OrganisationLink).filter_by(
        from_org_id=home.guidance_org_id, to_org_id=org.id, relation="guides", ended_on=None)).scalar_one_or_none()
    if link is None:
        link = OrganisationLink(from_org_id=home.guidance_org_id, to_org_id=org.id, relation="guides",
                                read_only=True, started_on=on)
        db.session.add(link)
        db.session.flush()
        log_change(actor, link, "guidance.oversight_started",
                   after={"from_org_id": link.from_org_id, "to_org_id": link.to_org_id, "relation": "guides",
                          "read_only": True, "started_on": on})


def drop_home(actor, home: GuidedHome, on: date, reason: str, today: date, *, seen_version=None) -> GuidedHome:
    """Stop guiding a home (the carer gave up, or guidance ended); end the read-only link."""
    _lock(GuidedHome, home)
    if home.stage == "dropped":
        raise TransitionNotAllowed("此家庭已停止輔導。")
    _check_version(home, seen_version)
    if not (reason or "").strip():
        raise Refused("請填寫停止輔導的原因", field="reason")
    if on is None or on > today:
        raise Refused("日期不可晚於今天", field="on")
    last = max((d for d in home.stage_dates().values() if d), default=home.found_on)
    if on < last:
        raise Refused("日期不可早於目前階段的日期", field="on")
    before = snapshot(home, HOME_LOG_FIELDS)
    home.stage, home.dropped_on, home.drop_reason = "dropped", on, reason.strip()
    if home.organisation_id:
        for link in db.session.execute(db.select(OrganisationLink).filter_by(
                from_org_id=home.guidance_org_id, to_org_id=home.organisation_id, relation="guides",
                ended_on=None)).scalars():
            link.ended_on = on
            log_change(actor, link, "guidance.oversight_ended", after={"ended_on": on})
    db.session.flush()
    log_change(actor, home, "guidance.home_dropped", before=before, after=snapshot(home, HOME_LOG_FIELDS))
    return home


# --- assessments, plans, visits (seed 003 §十五(二)–(三)) --------------------------------

def _check_officer(home, officer_id, field="officer_id"):
    if officer_id is None:
        return
    officer = db.session.get(GuidanceOfficer, officer_id)
    if officer is None or officer.organisation_id != home.guidance_org_id:
        raise Refused("請選擇本輔導單位的人員", field=field)


def _require_active(home):
    if home.stage == "dropped":
        raise TransitionNotAllowed("此家庭已停止輔導，不能再新增紀錄。")


def add_assessment(actor, home: GuidedHome, data: dict, items: list, today: date, *,
                   submission_key=None) -> CapacityAssessment:
    """Record an independent-operation capacity assessment; a resent form returns the first one."""
    if (done := by_submission_key(CapacityAssessment, submission_key)) is not None:
        return done
    _require_active(home)
    _check_officer(home, data.get("officer_id"))
    if data["assessed_on"] > today:
        raise Refused("日期不可晚於今天", field="assessed_on")
    row = CapacityAssessment(home_id=home.id, assessed_on=data["assessed_on"], officer_id=data.get("officer_id"),
                             items=items, conclusion=data["conclusion"], summary=data.get("summary"),
                             created_by_id=actor.id, submission_key=submission_key)
    db.session.add(row)
    db.session.flush()
    log_change(actor, row, "guidance.assessment_added",
               after={"home_id": home.id, "assessed_on": row.assessed_on, "conclusion": row.conclusion,
                      "items": items})
    return row


def save_plan(actor, home: GuidedHome, plan: GuidancePlan | None, year: int, data: dict, today: date, *,
              seen_version=None) -> GuidancePlan:
    """Create or revise a home's individual guidance plan for `year`; saving counts as a review."""
    _require_active(home)
    fields = [f for f, _ in GuidancePlan.SECTIONS] + ["next_review_on"]
    if plan is None:
        clash = db.session.execute(db.select(GuidancePlan).filter_by(home_id=home.id, year=year)).scalar_one_or_none()
        if clash is not None:
            raise StaleEdit("此年度的輔導計畫已由他人建立，請重新載入後修改；您輸入的內容仍保留在畫面上。")
    else:
        _check_version(plan, seen_version)
    if data.get("next_review_on") and data["next_review_on"] <= today:
        raise Refused("下次檢討日期應在今天之後", field="next_review_on")
    before = snapshot(plan, fields) if plan else None
    plan = plan or GuidancePlan(home_id=home.id, year=year)
    for f in fields:
        setattr(plan, f, data.get(f))
    plan.last_reviewed_on = today
    plan.updated_by_id = actor.id
    db.session.add(plan)
    db.session.flush()
    log_change(actor, plan, "guidance.plan_created" if before is None else "guidance.plan_revised",
               before=before, after=snapshot(plan, fields))
    return plan


def add_visit(actor, home: GuidedHome, data: dict, today: date, *, submission_key=None) -> GuidanceVisit:
    """Log a guidance visit; a resent form (same key) returns the visit already saved."""
    if (done := by_submission_key(GuidanceVisit, submission_key)) is not None:
        return done
    _require_active(home)
    _check_officer(home, data.get("officer_id"))
    if data["visited_on"] > today:
        raise Refused("訪視日期不可晚於今天", field="visited_on")
    if data["visited_on"] < home.found_on:
        raise Refused("訪視日期不可早於發掘日期", field="visited_on")
    if data.get("next_visit_on") and data["next_visit_on"] <= data["visited_on"]:
        raise Refused("下次訪視日期應在本次訪視之後", field="next_visit_on")
    fields = ("visited_on", "officer_id", "mode", "topics", "content", "follow_up", "next_visit_on")
    visit = GuidanceVisit(home_id=home.id, created_by_id=actor.id, submission_key=submission_key,
                          **{f: data.get(f) for f in fields})
    db.session.add(visit)
    db.session.flush()
    log_change(actor, visit, "guidance.visit_added", after={"home_id": home.id, **snapshot(visit, fields)})
    return visit


# --- yearly targets (seed 003 §十五(十)–(十一); Q19) ------------------------------------

def set_business_fee(actor, org: Organisation, year: int, fee: int, *, seen_version=None) -> GuidanceYear:
    """The bureau enters the unit's business fee (業務費) of a year, the base of the refund (Q19)."""
    row = queries.year_row(org.id, year)
    if row is not None:
        _lock(GuidanceYear, row)
        if row.settled:
            raise TransitionNotAllowed("此年度已結算，業務費不可再修改。")
        _check_version(row, seen_version)
    if fee is None or fee < 0:
        raise Refused("請填寫業務費金額", field="business_fee")
    _refuse_after_exit(org, year, f"登錄{year - 1911}年度業務費", field="business_fee")
    before = {"business_fee": row.business_fee} if row else None
    row = row or GuidanceYear(organisation_id=org.id, year=year)
    row.business_fee = fee
    db.session.add(row)
    db.session.flush()
    log_change(actor, row, "guidance.business_fee_set", before=before, after={"year": year, "business_fee": fee})
    return row


def settle_year(actor, org: Organisation, year: int, today: date, *, seen_version=None) -> GuidanceYear:
    """Year-end settlement: count the year's new contracted homes, compute the refund and the exit flag."""
    if today.year <= year:
        raise TransitionNotAllowed(f"{year - 1911}年度尚未結束，年底結算請於{year - 1910}年1月1日以後辦理。")
    row = queries.year_row(org.id, year)
    if row is None or row.business_fee is None:
        raise Refused("請先填寫此年度的業務費", field="business_fee")
    _lock(GuidanceYear, row)
    if row.settled:
        raise TransitionNotAllowed(f"此年度已由{row.settled_by.full_name if row.settled_by else '他人'}結算完成。")
    _check_version(row, seen_version)
    homes = queries.new_homes_count(org.id, year)
    previous = queries.year_row(org.id, year - 1)
    # A year before the unit was commissioned does not count towards the exit rule.
    homes_previous = (previous.homes if previous is not None and previous.settled
                      else queries.new_homes_count(org.id, year - 1) if previous is not None else None)
    settings = refund_settings()
    if settings["trigger"] not in rules.REFUND_TRIGGERS:
        settings["trigger"] = "zero"
    result = rules.year_end_result(year, homes, homes_previous, row.business_fee, **settings)
    row.homes, row.homes_previous, row.target = homes, homes_previous, result.target
    row.refund, row.exit_flag, row.refund_trigger = result.refund, result.exit, settings["trigger"]
    row.reasons = result.reasons
    row.settled_at, row.settled_by_id = clock.utcnow(), actor.id
    db.session.flush()
    log_change(actor, row, "guidance.year_settled",
               after={"year": year, "homes": homes, "homes_previous": homes_previous, "refund": result.refund,
                      "exit": result.exit, "trigger": settings["trigger"], "reasons": result.reasons})
    return row


# --- grants (seed 003 §十六) -----------------------------------------------------------

def grant_check(org: Organisation, kind: str, items: dict, year: int, month: int, *, home: GuidedHome | None = None,
                equipment_self_funded: int = 0, exclude_id: int | None = None):
    """Run the cap rules for an application (also used by the live preview on the form)."""
    if kind == "home":
        caps = grant_settings()
        cap = home.grant_cap(year, **caps) if home is not None else 0
        months = rules.grant_eligible_months(home.licensed_on, year, first_evaluated_on=home.first_evaluated_on,
                                             window_months=caps["window_months"]) if home is not None else []
        return rules.check_home_grant(
            items, cap=cap, already=queries.home_grant_used(home.id, year, exclude_id) if home else 0,
            month_eligible=month in months, travel_cap=get_setting(HOME_TRAVEL_CAP.key),
            equipment_self_funded=equipment_self_funded, self_funding_ratio=get_setting(SELF_FUNDING.key))
    return rules.check_development_grant(
        items, already_in_year=queries.development_used(org.id, year, exclude_id=exclude_id),
        already_in_month=queries.development_used(org.id, year, month, exclude_id=exclude_id),
        travel_cap=get_setting(DEV_TRAVEL_CAP.key), month_cap=get_setting(DEV_CAP_MONTH.key),
        year_cap=get_setting(DEV_CAP_YEAR.key))


def submit_grant(actor, org: Organisation, data: dict, *, submission_key=None) -> GrantApplication:
    """File a grant application; refuse it when any amount is over its cap (seed 003 §十六)."""
    if (done := by_submission_key(GrantApplication, submission_key)) is not None:
        return done
    kind, home = data["kind"], data.get("home")
    if kind not in ("home", "development"):
        raise Refused("請選擇獎助類別", field="kind")
    if kind == "home":
        if home is None or home.guidance_org_id != org.id:
            raise Refused("請選擇本單位輔導的托顧家庭", field="home_id")
        if home.stage != "contracted" or home.licensed_on is None:
            # §十六(一) funds guiding homes that hold a contract (「輔導已取得特約之托顧家庭」).
            raise Refused("此家庭尚未完成特約或已停止輔導，不能申請輔導獎助；開發中的家庭請申請開發培植獎助",
                          field="home_id")
    _refuse_after_exit(org, data["year"], f"申請{data['year'] - 1911}年度獎助", field="year")
    items = {k: int(v) for k, v in data["items"].items() if v}
    self_funded = int(data.get("equipment_self_funded") or 0) if kind == "home" else 0
    check = grant_check(org, kind, items, data["year"], data["month"], home=home, equipment_self_funded=self_funded)
    if check.problems:
        raise GrantRefused(check.problems)
    grant = GrantApplication(organisation_id=org.id, kind=kind, home_id=home.id if home else None,
                             year=data["year"], month=data["month"], items=items,
                             equipment_self_funded=self_funded, requested=check.requested,
                             description=data.get("description"), status="submitted",
                             submitted_by_id=actor.id, submitted_at=clock.utcnow(), submission_key=submission_key)
    db.session.add(grant)
    db.session.flush()
    log_change(actor, grant, "guidance.grant_submitted",
               after={"kind": kind, "home_id": grant.home_id, "year": grant.year, "month": grant.month,
                      "items": items, "equipment_self_funded": self_funded, "requested": check.requested})
    return grant


def decide_grant(actor, grant: GrantApplication, decision: str, *, approved_amount: int | None = None,
                 comment: str | None = None, seen_version=None) -> GrantApplication:
    """The bureau approves (full or part) or rejects a submitted application; decided once only."""
    _lock(GrantApplication, grant)
    if grant.status != "submitted":
        if grant.status == "withdrawn":
            raise TransitionNotAllowed("此申請已由申請單位撤回，未再變更。")
        who = grant.decided_by.full_name if grant.decided_by else "他人"
        raise TransitionNotAllowed(f"此申請已由{who}決定為「{grant.status_label}」，未再變更。")
    _check_version(grant, seen_version)
    if decision not in ("approve", "reject"):
        raise Refused("請選擇核定或不予核定", field="decision")
    comment = (comment or "").strip() or None
    if decision == "reject":
        if not comment:
            raise Refused("不予核定時請填寫理由", field="comment")
        grant.status, grant.approved_amount = "rejected", None
    else:
        amount = grant.requested if approved_amount is None else int(approved_amount)
        if amount <= 0 or amount > grant.requested:
            raise Refused(f"核定金額應介於 1 元與申請金額 {grant.requested:,} 元之間", field="approved_amount")
        check = grant_check(grant.organisation, grant.kind, grant.items, grant.year, grant.month, home=grant.home,
                            equipment_self_funded=grant.equipment_self_funded, exclude_id=grant.id)
        if amount > check.allowed:
            raise Refused(f"核定金額超過上限：此申請最多可核定 {check.allowed:,} 元（{check.limits[0]}）",
                          field="approved_amount")
        if amount < grant.requested and not comment:
            raise Refused("核定金額低於申請金額時請填寫說明", field="comment")
        grant.status, grant.approved_amount = "approved", amount
    grant.decided_by_id, grant.decided_at, grant.decision_comment = actor.id, clock.utcnow(), comment
    db.session.flush()
    log_change(actor, grant, f"guidance.grant_{grant.status}", before={"status": "submitted"},
               after={"status": grant.status, "approved_amount": grant.approved_amount, "comment": comment})
    return grant


def withdraw_grant(actor, grant: GrantApplication) -> GrantApplication:
    """The guidance unit withdraws an application the bureau has not decided yet."""
    _lock(GrantApplication, grant)
    if grant.status != "submitted":
        raise TransitionNotAllowed(f"此申請已{grant.status_label}，無法撤回。")
    grant.status = "withdrawn"
    db.session.flush()
    log_change(actor, grant, "guidance.grant_withdrawn", before={"status": "submitted"}, after={"status": "withdrawn"})
    return grant
