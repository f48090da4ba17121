"""Case management views: case list and page, referrals to A units, care plans, visits,
suspension and closure. Dispatch and change of provider: views_dispatch.py; pause
requests, evaluations, roster and capacity: views_units.py (imported at the bottom).
"""
import uuid
from dataclasses import dataclass

from flask import Blueprint, flash, request, url_for
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.orm.exc import StaleDataError

from portal import clock
from portal.auditlog.models import AuditLogEntry
from portal.auth import roles
from portal.auth.access import get_or_404, require, roles_required, scoped
from portal.auth.models import User
from portal.cases import codes as service_codes
from portal.cases import operations as ops
from portal.cases import rules
from portal.cases.forms import (AcceptReferralForm, AssessmentForm, ClosureDecisionForm,
                                ClosureForm, CommentForm, EndSuspensionForm, PlanForm, ReasonForm,
                                SuspensionDecisionForm, SuspensionForm, VisitForm)
from portal.cases.models import (Case, CaseNotice, CarePlan, ChangeRequest, Closure, Referral, SERVICE_TYPES,
                                 Suspension, period_label)
from portal.clients.models import Client, client_search_condition
from portal.clients.rules import mask_national_id
from portal.errors import PortalError, Refused, StaleEdit
from portal.extensions import db
from portal.htmx import is_htmx, redirect_to, render
from portal.kept import kept
from portal.nav import register_nav
from portal.orgs.models import Organisation, ServiceArea
from portal.settings.operations import county_profile, office_calendar
from portal.pagination import read_page

bp = Blueprint("cases", __name__)

CENTRE = (roles.CARE_MANAGER, roles.CARE_SUPERVISOR)
DECIDERS = (roles.BUREAU_OFFICER, roles.BUREAU_CHIEF)
CASE_READERS = tuple(roles.COUNTY_WIDE_ROLES) + tuple(roles.A_ROLES)
A_ROLES = tuple(roles.A_ROLES)
B_ROLES = tuple(roles.B_ROLES)
PAGE_SIZE = 50
HISTORY_LABELS = {
    "case.open": "建立案件（評估結果）", "case.assessment": "更新評估結果", "case.refer": "轉介A單位",
    "case.accept": "A單位收案", "case.referral_declined": "A單位無法收案", "case.manager_changed": "更換個管師",
    "case.plan_approved": "照顧計畫核定", "case.in_service": "首次服務", "case.suspend": "暫停服務（照管中心核備）",
    "case.resume": "恢復服務", "case.closure_pending": "通報結案", "case.close": "結案",
    "case.closure_rejected": "不同意結案", "case.preference": "記錄個案指定服務單位",
    "client.access_granted": "開放單位檢視個案", "client.access_ended": "結束單位檢視個案",
}

register_nav("個案管理", "cases.index", CASE_READERS, order=30)


@bp.context_processor
def case_globals():
    return {"service_types": SERVICE_TYPES, "period_label": period_label, "iso_roc": _iso_roc,
            "family_labels": rules.FAMILY_LABELS}


def _iso_roc(text):
    """An ISO date kept in a JSON snapshot, shown ROC."""
    from datetime import date
    from portal.calendar import roc_date
    try:
        return roc_date(date.fromisoformat(text))
    except (TypeError, ValueError):
        return "—"
register_nav("派案", "cases.dispatches", B_ROLES, order=30)


def today():
    return clock.today()


# --- helpers -------------------------------------------------------------------------


def attempt(action, *, form=None, success=None, then=None):
    """Run an operation; commit and redirect on success, or roll back and show why.

    The message goes next to the form field it concerns (Refused.field), else to
    the top of the page; what the user typed stays in `form`. Returns a response
    on success, None otherwise (the view then re-renders its page).
    """
    try:
        result = action()
    except (StaleEdit, StaleDataError):
        db.session.rollback()
        flash(str(StaleEdit()), "error")
        return None
    except PortalError as exc:
        db.session.rollback()
        field = getattr(exc, "field", None)
        if form is not None and field and hasattr(form, field):
            target = getattr(form, field)
            target.errors = list(target.errors) + [str(exc)]
        else:
            flash(str(exc), "error")
        return None
    db.session.commit()
    if success:
        flash(success, "success")
    url = then(result) if callable(then) else then
    return redirect_to(url)


def is_centre():
    return current_user.role in CENTRE


def is_case_unit(case):
    return current_user.role in roles.A_ROLES and case.a_unit_id == current_user.organisation_id


def load_case(case_id, *options):
    return get_or_404(Case, case_id, options=options)


def b_units():
    return db.session.execute(db.select(Organisation).where(Organisation.kind == roles.B_UNIT, Organisation.active)
                              .order_by(Organisation.name)).scalars().all()


def new_key():
    return uuid.uuid4().hex


# --- Case list -----------------------------------------------------------------------


@bp.route("/cases")
@roles_required(*CASE_READERS)
def index():
    q = request.args.get("q", "").strip()
    state = request.args.get("state", "")
    area_id = request.args.get("area", type=int) or None
    flag = request.args.get("flag", "")
    stmt = scoped(Case)
    if q or area_id:
        # Joined only to filter: counting every case joined to its client was most of the count's time (issue 10).
        stmt = stmt.join(Client, Client.id == Case.client_id).where(client_search_condition(q))
    if state in rules.CASE_STATES:
        stmt = stmt.where(Case.state == state)
    elif state == "open":
        stmt = stmt.where(Case.state != "CLOSED")
    if area_id:
        stmt = stmt.where(Client.service_area_id == area_id)
    if flag == "mine":
        stmt = stmt.where(Case.case_manager_id == current_user.id)
    # What a row shows, in the page's one query of plain columns: client, unit and manager joined, the last visits
    # and the pending referral's deadline as columns (no visit or referral rows, no ORM objects: issue 10).
    page_stmt = stmt.with_only_columns(*CASE_ROW_COLUMNS, ops.last_visit_on("phone"), ops.last_visit_on("home"),
                                       ops.pending_referral_due())
    if not (q or area_id):
        page_stmt = page_stmt.join(Client, Client.id == Case.client_id)
    page_stmt = (page_stmt.outerjoin(Organisation, Organisation.id == Case.a_unit_id)
                 .outerjoin(User, User.id == Case.case_manager_id)
                 .order_by(Case.updated_at.desc(), Case.id.desc()).limit(PAGE_SIZE))
    def count():
        # count(cases.id), not count(*): without the join a bare count(*) would lose its FROM clause
        def counted():
            return db.session.execute(stmt.with_only_columns(func.count(Case.id)).order_by(None)).scalar_one()
        if current_user.sees_all and not (q or area_id or state or flag):
            # The county's 60,000 cases, 3 ms of the database's time a request: kept while `cases` is unchanged.
            return kept("cases.count", "all", counted, now=clock.now(), from_session=False)
        return counted()

    rows, total, page, pages = read_page(lambda offset: db.session.execute(page_stmt.offset(offset)).all(), count,
                                         PAGE_SIZE)
    areas = db.session.execute(db.select(ServiceArea).order_by(ServiceArea.sort_order)).scalars().all()
    cal = office_calendar()
    phone_months, home_months = ops.visit_intervals()
    cases = [CaseListRow(*row[:len(CASE_ROW_COLUMNS)], due=rules.next_case_deadline(
        row.state, accepted_on=row.accepted_on, plan_approved_on=row.plan_approved_on,
        first_service_on=row.first_service_on, last_phone_visit_on=row[-3], last_home_visit_on=row[-2],
        referral_due=row[-1], phone_months=phone_months, home_months=home_months, cal=cal)) for row in rows]
    capacity = ops.capacity_of(current_user.organisation_id) if current_user.role in roles.A_ROLES else None
    return render("cases/index.html", block="results", cases=cases, q=q, state=state,
                  area_id=area_id, flag=flag, areas=areas, area_names={a.id: a.name for a in areas},
                  page=page, total=total, pages=pages,
                  states=rules.CASE_STATES, capacity=capacity, can_refer=is_centre())


# A row of the case list as plain columns: 50 cases as ORM objects with their clients, units and managers joined
# cost 1.3 ms more of Python and twice the database time (issue 10).
CASE_ROW_COLUMNS = (Case.id, Case.state, Case.accepted_on, Case.plan_approved_on, Case.first_service_on,
                    Client.name, Client.national_id, Client.service_area_id, Organisation.name, Organisation.short_name,
                    User.full_name)


@dataclass(frozen=True, slots=True)
class CaseListRow:
    id: int
    state: str
    accepted_on: object
    plan_approved_on: object
    first_service_on: object
    client_name: str
    national_id: str
    service_area_id: int | None
    unit_name: str | None
    unit_short_name: str | None
    manager_name: str | None
    due: tuple | None   # rules.next_case_deadline: (label, date)

    @property
    def masked_id(self):
        return mask_national_id(self.national_id)

    @property
    def state_label(self):
        return rules.CASE_STATES.get(self.state, self.state)

    @property
    def unit_display_name(self):   # Organisation.display_name
        return self.unit_short_name or self.unit_name


# --- Open a case and refer it (§3) ------------------------------------------------------


def _assessment_form(case=None, client=None):
    form = AssessmentForm(obj=None)
    form.applied_by_org_id.choices = [(0, "— 無 —")] + [(o.id, o.name) for o in b_units()]
    if request.method == "GET":
        form.submission_key.data = new_key()
        if case is not None:
            form.version.data = case.version
            form.consent.data = "yes" if case.consent else "no"
            form.consent_on.data = case.consent_on
            form.special_flags.data = case.special_flags
            form.families.data = case.families
            form.a_unit_advisable.data = case.a_unit_advisable
            form.applied_by_org_id.data = case.applied_by_org_id or 0
            form.assessment_note.data = case.assessment_note
        else:
            form.consent_on.data = today()
    return form


def _preselect(form, choices):
    """Offer the fairest A unit (Q30) unless the 照專 already picked one."""
    if request.method == "GET" and not form.a_unit_id.data:
        first = next((c for c in choices if c.eligible), None)
        form.a_unit_id.data = first.candidate.org_id if first else None


def _fill_a_unit_choices(form, choices):
    form.a_unit_id.choices = [(c.candidate.org_id, c.candidate.name) for c in choices if c.eligible]


@bp.route("/cases/new", methods=["GET", "POST"])
@roles_required(*CENTRE)
def new():
    """The 照專 records the assessment decision for a client and refers the case to an A unit."""
    client_id = request.values.get("client_id", type=int)
    if not client_id:
        q = request.args.get("q", "").strip()
        found = db.session.execute(db.select(Client).where(client_search_condition(q)).order_by(Client.name)
                                   .limit(20)).scalars().all() if q else []
        return render("cases/new.html", block="found", q=q, found=found, client=None, form=None)
    client = get_or_404(Client, client_id)
    existing = db.session.execute(db.select(Case).where(Case.client_id == client.id, Case.state != "CLOSED")
                                  ).scalars().first()
    if existing is not None:
        flash("此個案已有進行中的案件。", "warning")
        return redirect_to(url_for("cases.show", case_id=existing.id))
    form = _assessment_form(client=client)
    choices = ops.a_unit_choices(client.service_area_id, today())
    _fill_a_unit_choices(form, choices)
    _preselect(form, choices)
    if form.validate_on_submit():
        def act():
            case = ops.open_case(current_user, client, form.facts(), submission_key=form.submission_key.data or None)
            if case.state == "ASSESSED" and form.a_unit_id.data:
                unit = db.get_or_404(Organisation, form.a_unit_id.data)
                ops.refer_case(current_user, case, unit, today=today(), skip_reason=form.skip_reason.data,
                               capacity_confirmed=form.capacity_confirmed.data)
            return case
        response = attempt(act, form=form, success="已建立案件。",
                           then=lambda case: url_for("cases.show", case_id=case.id))
        if response:
            return response
    return render("cases/new.html", client=client, form=form, choices=choices, found=None, q="",
                  advice=_advice(form), reapply=_needs_compliance(client))


def _needs_compliance(client):
    """X5: the client's last case was closed for refusing re-assessment or visits (§六(二)5)."""
    return db.session.execute(db.select(Case.id).where(Case.client_id == client.id, Case.reapply_when_compliant)
                              .limit(1)).first() is not None


def _advice(form):
    """What the decision table says for what is ticked now (§3.2)."""
    if not form.consent.data:
        return None
    return rules.centre_managed_reason(special_flags=form.special_flags.data or [], consent=form.consent.data == "yes",
                                       families=form.families.data or [], a_unit_advisable=form.a_unit_advisable.data)


@bp.route("/cases/<int:case_id>/refer", methods=["GET", "POST"])
@roles_required(*CENTRE)
def refer(case_id):
    """Re-refer a case (after a decline, or from centre management) to an A unit."""
    case = load_case(case_id)
    if case.state not in ("ASSESSED", "CENTER_MANAGED"):
        flash(f"案件目前為「{case.state_label}」，不能轉介。", "warning")
        return redirect_to(url_for("cases.show", case_id=case.id))
    form = _assessment_form(case=case)
    choices = ops.a_unit_choices(case.client.service_area_id, today())
    _fill_a_unit_choices(form, choices)
    _preselect(form, choices)
    if form.validate_on_submit():
        def act():
            ops.update_assessment(current_user, case, form.facts(), seen_version=form.version.data or None)
            if case.state == "ASSESSED" and form.a_unit_id.data:
                unit = db.get_or_404(Organisation, form.a_unit_id.data)
                ops.refer_case(current_user, case, unit, today=today(), skip_reason=form.skip_reason.data,
                               capacity_confirmed=form.capacity_confirmed.data)
            elif case.state == "ASSESSED":
                raise Refused("請選擇轉介的A單位。", field="a_unit_id")
            return case
        response = attempt(act, form=form, success="已更新評估並轉介。" if form.a_unit_id.data else "已更新評估。",
                           then=url_for("cases.show", case_id=case.id))
        if response:
            return response
    return render("cases/new.html", client=case.client, case=case, form=form, choices=choices, found=None, q="",
                  advice=_advice(form))


# --- The case page -----------------------------------------------------------------------


@bp.route("/cases/<int:case_id>")
@roles_required(*CASE_READERS)
def show(case_id):
    return _render_case(load_case(case_id))


def _render_case(case, status=200, **forms):
    cal, now_day = office_calendar(), today()
    own = is_case_unit(case)
    ctx = {
        "case": case, "client": case.client, "own": own, "centre": is_centre(),
        "decider": current_user.role in DECIDERS, "now_day": now_day,
        "first_service_due": rules.first_service_due(case.plan_approved_on, cal=cal) if case.plan_approved_on else None,
        "dues": ops.visit_dues(case),
        "referrals": db.session.execute(scoped(Referral).where(Referral.case_id == case.id).order_by(Referral.id))
        .scalars().all(),
        "suspensions": db.session.execute(db.select(Suspension).where(Suspension.case_id == case.id)
                                          .order_by(Suspension.id.desc())).scalars().all(),
        "closures": db.session.execute(db.select(Closure).where(Closure.case_id == case.id)
                                       .order_by(Closure.id.desc())).scalars().all(),
        "changes": db.session.execute(db.select(ChangeRequest).where(ChangeRequest.case_id == case.id)
                                      .order_by(ChangeRequest.id.desc())).scalars().all(),
        "service_rows": _service_rows(case, now_day),
        "history": db.session.execute(db.select(AuditLogEntry).where(
            AuditLogEntry.entity_type == "cases", AuditLogEntry.entity_id == case.id)
            .order_by(AuditLogEntry.at.desc()).limit(30)).scalars().all(),
        "managers": ops.assignable_managers(case.a_unit_id) if case.a_unit_id else [],
        "capacity": ops.capacity_of(case.a_unit_id) if case.a_unit_id else None,
        "suspension_reasons": rules.suspension_reason_labels(county_profile().rule_set),
        "closure_reasons": rules.CLOSURE_REASONS,
        "action_labels": HISTORY_LABELS, "case_states": rules.CASE_STATES,
        "non_use_earliest": rules.earliest_non_use_closure(case.first_referred_on) if case.first_referred_on else None,
    }
    accept_form = forms.pop("accept_form", None) or AcceptReferralForm()
    accept_form.case_manager_id.choices = [(u.id, u.full_name) for u in ctx["managers"]]
    if not accept_form.case_manager_id.data and current_user.role == roles.A_CASE_MANAGER:
        accept_form.case_manager_id.data = current_user.id
    visit_form = forms.pop("visit_form", None) or VisitForm(submission_key=new_key(), visited_on=None)
    if not visit_form.submission_key.data:
        visit_form.submission_key.data = new_key()
    ctx.update(accept_form=accept_form, decline_form=forms.pop("decline_form", None) or ReasonForm(),
               visit_form=visit_form,
               suspension_decision_form=forms.pop("suspension_decision_form", None) or SuspensionDecisionForm(),
               end_suspension_form=forms.pop("end_suspension_form", None) or EndSuspensionForm(),
               closure_decision_form=forms.pop("closure_decision_form", None) or ClosureDecisionForm(), **forms)
    return render("cases/show.html", block=request.args.get("block") if is_htmx() else None, status=status, **ctx)


def _service_rows(case, now_day):
    """One row per service type of the plan in force: its dispatches, newest first."""
    plan = case.current_plan
    types = plan.service_types() if plan else []
    types += sorted({d.service_type for d in case.dispatches} - set(types), key=list(SERVICE_TYPES).index)
    rows = []
    for t in types:
        dispatches = sorted((d for d in case.dispatches if d.service_type == t), key=lambda d: d.id, reverse=True)
        active = next((d for d in dispatches if d.is_active), None)
        redispatch = next((d for d in dispatches if ops.may_redispatch(d, now_day) and not any(
            x.replaces_id == d.id for x in case.dispatches)), None)
        rows.append({"type": t, "label": SERVICE_TYPES[t], "items": plan.items_of(t) if plan else [],
                     "dispatches": dispatches, "active": active, "redispatch": redispatch,
                     "in_plan": t in (plan.service_types() if plan else [])})
    return rows


# --- Referral answers (§3.3) ------------------------------------------------------------


def _own_referral(referral_id):
    referral = get_or_404(Referral, referral_id)
    require(current_user.role in roles.A_ROLES and referral.a_unit_id == current_user.organisation_id)
    return referral


@bp.route("/referrals/<int:referral_id>/accept", methods=["POST"])
@roles_required(*A_ROLES)
def accept_referral(referral_id):
    referral = _own_referral(referral_id)
    form = AcceptReferralForm()
    form.case_manager_id.choices = [(u.id, u.full_name) for u in ops.assignable_managers(referral.a_unit_id)]
    if form.validate_on_submit():
        manager = db.session.get(User, form.case_manager_id.data)
        response = attempt(lambda: ops.accept_referral(current_user, referral, manager, today=today()), form=form,
                           success="已收案，請擬定照顧計畫。", then=url_for("cases.show", case_id=referral.case_id))
        if response:
            return response
    return _render_case(referral.case, status=422, accept_form=form)


@bp.route("/referrals/<int:referral_id>/decline", methods=["POST"])
@roles_required(*A_ROLES)
def decline_referral(referral_id):
    referral = _own_referral(referral_id)
    form = ReasonForm()
    if form.validate_on_submit():
        response = attempt(lambda: ops.decline_referral(current_user, referral, form.reason.data), form=form,
                           success="已回覆無法收案，照管中心將重新轉介。", then=url_for("cases.index"))
        if response:
            return response
    return _render_case(referral.case, status=422, decline_form=form)


@bp.route("/cases/<int:case_id>/manager", methods=["POST"])
@roles_required(*A_ROLES)
def change_manager(case_id):
    case = load_case(case_id)
    require(is_case_unit(case))
    form = AcceptReferralForm()
    form.case_manager_id.choices = [(u.id, u.full_name) for u in ops.assignable_managers(case.a_unit_id)]
    if form.validate_on_submit():
        manager = db.session.get(User, form.case_manager_id.data)
        response = attempt(lambda: ops.reassign_manager(current_user, case, manager), form=form,
                           success="已更換個管師。", then=url_for("cases.show", case_id=case.id))
        if response:
            return response
    return _render_case(case, status=422, accept_form=form)


# --- Care plans (§8) ----------------------------------------------------------------------


def load_plan(plan_id):
    return get_or_404(CarePlan, plan_id)


@bp.route("/cases/<int:case_id>/plans", methods=["POST"])
@roles_required(*A_ROLES)
def start_plan(case_id):
    case = load_case(case_id)
    require(is_case_unit(case))
    return attempt(lambda: ops.start_plan(current_user, case), then=lambda plan: url_for("cases.plan_edit",
                                                                                        plan_id=plan.id)) \
        or redirect_to(url_for("cases.show", case_id=case.id))


@bp.route("/plans/<int:plan_id>")
@roles_required(*CASE_READERS)
def plan(plan_id):
    plan = load_plan(plan_id)
    return _render_plan(plan)


def _render_plan(plan, status=200, **forms):
    diff = ops.plan_diff(plan)
    return render("cases/plan.html", status=status, plan=plan, case=plan.case, diff=diff,
                  own=is_case_unit(plan.case), centre=is_centre(),
                  return_form=forms.get("return_form") or CommentForm(),
                  versions=plan.case.plans)


def _plan_form(plan):
    form = PlanForm()
    catalogue = service_codes.active_codes()
    choices = [("", "— 選擇服務碼 —")] + [(c.code, f"{c.code} {c.name}（{SERVICE_TYPES[c.service_type]}）")
                                        for c in catalogue]
    if request.method == "GET":
        form.version.data = plan.version
        form.problems.data = plan.problems
        form.goals.data = plan.goals
        form.change_note.data = plan.change_note
        while len(form.items):
            form.items.pop_entry()
        for item in plan.items:
            form.items.append_entry({"code": item.code, "quantity": item.quantity, "frequency": item.frequency,
                                     "note": item.note})
        for _ in range(3):
            form.items.append_entry()
    for entry in form.items:
        entry.form.code.choices = choices
    return form, choices


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@roles_required(*A_ROLES)
def plan_edit(plan_id):
    plan = load_plan(plan_id)
    require(is_case_unit(plan.case))
    if plan.state not in ("DRAFT", "RETURNED"):
        flash(f"照顧計畫目前為「{plan.state_label}」，不能修改。", "warning")
        return redirect_to(url_for("cases.plan", plan_id=plan.id))
    form, choices = _plan_form(plan)
    if form.validate_on_submit():
        submit = request.form.get("action") == "submit"

        def act():
            ops.save_plan(current_user, plan, {"problems": form.problems.data, "goals": form.goals.data,
                                               "change_note": form.change_note.data}, form.items_data(),
                          seen_version=form.version.data or None)
            if submit:
                ops.submit_plan(current_user, plan)
            return plan
        response = attempt(act, form=form, success="已送照管中心核定。" if submit else "已儲存草稿。",
                           then=url_for("cases.plan", plan_id=plan.id) if submit else
                           url_for("cases.plan_edit", plan_id=plan.id))
        if response:
            return response
    return render("cases/plan_form.html", plan=plan, case=plan.case, form=form, code_choices=choices,
                  diff=ops.plan_diff(plan))


@bp.route("/plans/<int:plan_id>/row")
@roles_required(*A_ROLES)
def plan_row(plan_id):
    """One more blank service row for the plan form (htmx)."""
    plan = load_plan(plan_id)
    require(is_case_unit(plan.case))
    index = max(min(request.args.get("index", 0, type=int), 39), 0)
    form, choices = _plan_form(plan)
    while len(form.items) <= index:
        form.items.append_entry()
    for entry in form.items:
        entry.form.code.choices = choices
    return render("cases/plan_form.html", block="row", entry=form.items[index], index=index, plan=plan, form=form,
                  code_choices=choices, case=plan.case, diff=None)


@bp.route("/plans/<int:plan_id>/approve", methods=["POST"])
@roles_required(*CENTRE)
def plan_approve(plan_id):
    plan = load_plan(plan_id)
    return attempt(lambda: ops.approve_plan(current_user, plan, today=today()), success="照顧計畫已核定。",
                   then=url_for("cases.plan", plan_id=plan.id)) or redirect_to(url_for("cases.plan", plan_id=plan.id))


@bp.route("/plans/<int:plan_id>/return", methods=["POST"])
@roles_required(*CENTRE)
def plan_return(plan_id):
    plan = load_plan(plan_id)
    form = CommentForm()
    if form.validate_on_submit():
        response = attempt(lambda: ops.return_plan(current_user, plan, form.comment.data), form=form,
                           success="已退回修正。", then=url_for("cases.plan", plan_id=plan.id))
        if response:
            return response
    return _render_plan(plan, status=422, return_form=form)


@bp.route("/plans/<int:plan_id>.pdf")
@roles_required(*CASE_READERS)
def plan_pdf(plan_id):
    from portal.pdf import pdf_response
    plan = load_plan(plan_id)
    return pdf_response("pdf/cases_care_plan.html", f"照顧計畫-{plan.case.client.name}-第{plan.number}版.pdf",
                        plan=plan, case=plan.case, diff=ops.plan_diff(plan), record_ref=f"照顧計畫 {plan.id}",
                        version=plan.number, draft=plan.state not in rules.PLAN_IN_FORCE | {"SUPERSEDED"})


# --- Visits (§5.3) -----------------------------------------------------------------------


@bp.route("/cases/<int:case_id>/visits", methods=["POST"])
@roles_required(*A_ROLES)
def add_visit(case_id):
    case = load_case(case_id)
    require(is_case_unit(case))
    form = VisitForm()
    if form.validate_on_submit():
        try:
            ops.record_visit(current_user, case, form.kind.data, form.visited_on.data, form.summary.data,
                             today=today(), submission_key=form.submission_key.data or None)
        except PortalError as exc:
            db.session.rollback()
            target = getattr(form, getattr(exc, "field", "") or "summary", form.summary)
            target.errors = list(target.errors) + [str(exc)]
        else:
            db.session.commit()
            flash("已登錄訪視紀錄。", "success")
            if is_htmx():
                db.session.expire_all()
                return _render_case(db.session.get(Case, case.id), visit_form=VisitForm(
                    formdata=None, submission_key=new_key()))
            return redirect_to(url_for("cases.show", case_id=case.id) + "#visits")
    return _render_case(case, status=200 if is_htmx() else 422, visit_form=form)


# --- Suspension and closure (§11) ----------------------------------------------------------


def _reporter_may_act(case):
    """The case's A unit, the centre, or a B unit currently serving the case."""
    if is_centre() or is_case_unit(case):
        return True
    if current_user.role in roles.B_ROLES:
        return any(d.organisation_id == current_user.organisation_id and d.is_active for d in case.dispatches)
    return False


def _back_to(case):
    if current_user.role in roles.B_ROLES:
        mine = next((d for d in case.dispatches if d.organisation_id == current_user.organisation_id and d.is_active),
                    None)
        return url_for("cases.dispatch", dispatch_id=mine.id) if mine else url_for("cases.dispatches")
    return url_for("cases.show", case_id=case.id)


@bp.route("/cases/<int:case_id>/suspensions/new", methods=["GET", "POST"])
@roles_required(*(CENTRE + A_ROLES + B_ROLES))
def suspension_new(case_id):
    case = load_case(case_id)
    require(_reporter_may_act(case) and not is_centre())
    form = SuspensionForm()
    form.reason.choices = list(rules.suspension_reason_labels(county_profile().rule_set).items())
    if form.validate_on_submit():
        response = attempt(lambda: ops.report_suspension(current_user, case, form.data_dict(), today=today()),
                           form=form, success="已通報暫停服務。", then=_back_to(case))
        if response:
            return response
    return render("cases/report_form.html", case=case, form=form, kind="suspension", back=_back_to(case))


@bp.route("/cases/<int:case_id>/closures/new", methods=["GET", "POST"])
@roles_required(*(CENTRE + A_ROLES + B_ROLES))
def closure_new(case_id):
    case = load_case(case_id)
    require(_reporter_may_act(case))
    form = ClosureForm()
    if form.validate_on_submit():
        response = attempt(lambda: ops.report_closure(current_user, case, form.data_dict(), today=today()),
                           form=form, success="已通報結案。", then=_back_to(case))
        if response:
            return response
    return render("cases/report_form.html", case=case, form=form, kind="closure", back=_back_to(case),
                  non_use_earliest=rules.earliest_non_use_closure(case.first_referred_on)
                  if case.first_referred_on else None)


@bp.route("/suspensions/<int:suspension_id>/forward", methods=["POST"])
@roles_required(*A_ROLES)
def suspension_forward(suspension_id):
    susp = get_or_404(Suspension, suspension_id)
    require(is_case_unit(susp.case))
    return attempt(lambda: ops.forward_report(current_user, susp), success="已轉報照管中心。",
                   then=url_for("cases.show", case_id=susp.case_id)) or \
        redirect_to(url_for("cases.show", case_id=susp.case_id))


@bp.route("/suspensions/<int:suspension_id>/decide", methods=["POST"])
@roles_required(*CENTRE)
def suspension_decide(suspension_id):
    susp = get_or_404(Suspension, suspension_id)
    form = SuspensionDecisionForm()
    if form.validate_on_submit():
        approve = form.decision.data == "record"
        response = attempt(lambda: ops.record_suspension(current_user, susp, approve, form.comment.data), form=form,
                           success="已核備暫停服務。" if approve else "已不予核備。",
                           then=url_for("cases.show", case_id=susp.case_id))
        if response:
            return response
    return _render_case(susp.case, status=422, suspension_decision_form=form)


@bp.route("/suspensions/<int:suspension_id>/end", methods=["POST"])
@roles_required(*(CENTRE + A_ROLES))
def suspension_end(suspension_id):
    susp = get_or_404(Suspension, suspension_id)
    require(is_centre() or is_case_unit(susp.case))
    form = EndSuspensionForm()
    if form.validate_on_submit():
        response = attempt(lambda: ops.end_suspension(current_user, susp, form.ended_on.data, form.note.data,
                                                      today=today()), form=form, success="已恢復服務。",
                           then=url_for("cases.show", case_id=susp.case_id))
        if response:
            return response
    return _render_case(susp.case, status=422, end_suspension_form=form)


@bp.route("/closures/<int:closure_id>/forward", methods=["POST"])
@roles_required(*A_ROLES)
def closure_forward(closure_id):
    closure = get_or_404(Closure, closure_id)
    require(is_case_unit(closure.case))
    return attempt(lambda: ops.forward_report(current_user, closure), success="已轉報照管中心。",
                   then=url_for("cases.show", case_id=closure.case_id)) or \
        redirect_to(url_for("cases.show", case_id=closure.case_id))


@bp.route("/closures/<int:closure_id>/decide", methods=["POST"])
@roles_required(*CENTRE)
def closure_decide(closure_id):
    closure = get_or_404(Closure, closure_id)
    form = ClosureDecisionForm()
    if form.validate_on_submit():
        close = form.decision.data == "close"
        response = attempt(lambda: ops.decide_closure(current_user, closure, close, today=today(),
                                                      centre_consent=form.centre_consent.data,
                                                      comment=form.comment.data), form=form,
                           success="已結案，並依行政程序停止補助。" if close else "已不同意結案，個案回復原狀態。",
                           then=url_for("cases.show", case_id=closure.case_id))
        if response:
            return response
    return _render_case(closure.case, status=422, closure_decision_form=form)


# --- Notices -------------------------------------------------------------------------------


@bp.route("/notices/<int:notice_id>")
def notice(notice_id):
    row = get_or_404(CaseNotice, notice_id)
    ops.mark_notice_read(current_user, row)
    db.session.commit()
    if row.url:
        return redirect_to(row.url)
    flash(row.message, "success")
    return redirect_to(url_for("dashboard.home"))


from portal.cases import demo, hooks, views_dispatch, views_units  # noqa: E402,F401  (register routes, hooks, seeder)
