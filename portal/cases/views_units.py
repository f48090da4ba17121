"""Unit-level screens of case management: dispatch-pause requests (§4), B-unit evaluations
(§9 R-AB-03), the case-manager roster and A-unit capacity (§4.1, §5), B-unit service
capacity (Q08) and the service-code table (README §6.1)."""
from datetime import date

from flask import abort, flash, request, url_for
from flask_login import current_user

from portal.auth import roles
from portal.auth.access import get_or_404, require, roles_required, scoped
from portal.auth.models import User
from portal.cases import codes as service_codes
from portal.cases import operations as ops
from portal.cases import rules
from portal.cases.dispatch import latest_ratings, offers_of
from portal.cases.forms import (CaseManagerForm, EvaluationForm, PauseDecisionForm, PauseRequestForm,
                                NewServiceCodeForm, ProviderServiceForm, ServiceCodeForm)
from portal.cases.models import (CaseManagerProfile, PauseRequest, ProviderEvaluation,
                                 ProviderService, SERVICE_TYPES, ServiceCode, period_label)
from portal.cases.settings import PAUSE_NOTICE_DAYS, setting
from portal.cases.views import A_ROLES, B_ROLES, DECIDERS, attempt, bp, today
from portal.extensions import db
from portal.htmx import redirect_to, render
from portal.orgs.models import Organisation
from portal.orgs.standing import referral_blockers, unit_summaries
from portal.settings.operations import office_calendar

BUREAU = tuple(roles.COUNTY_WIDE_ROLES)


# --- Pause-dispatch requests (§4.2; issue 8 item 7) -----------------------------------


def _a_units():
    return db.session.execute(db.select(Organisation).where(Organisation.kind == roles.A_UNIT)
                              .order_by(Organisation.id)).scalars().all()


def _unit_status(org, day):
    blockers = referral_blockers(org, day)
    pending = db.session.execute(db.select(PauseRequest).where(PauseRequest.organisation_id == org.id,
                                                               PauseRequest.state == "SUBMITTED")
                                 .order_by(PauseRequest.id.desc())).scalars().first()
    return {"org": org, "capacity": ops.capacity_of(org.id), "blockers": blockers, "pending": pending,
            "paused_since": ops.paused_since(org.id, day),
            "upcoming": next((e for k, e in sorted(ops.pause_events(org.id), key=lambda x: x[1])
                              if k == "pause" and e > day), None)}


@bp.route("/dispatch-pauses")
@roles_required(*(BUREAU + A_ROLES))
def pauses():
    day = today()
    units = [o for o in _a_units() if current_user.sees_all or o.id == current_user.organisation_id]
    rows = db.session.execute(scoped(PauseRequest).order_by(PauseRequest.state != "SUBMITTED",
                                                            PauseRequest.submitted_at.desc()).limit(200)).scalars().all()
    return render("cases/pauses.html", units=[_unit_status(o, day) for o in units], rows=rows,
                  can_request=current_user.role == roles.A_UNIT_HEAD)


@bp.route("/dispatch-pauses/new", methods=["GET", "POST"])
@roles_required(roles.A_UNIT_HEAD)
def pause_new():
    kind = request.values.get("kind", "pause")
    if kind not in ("pause", "resume"):
        abort(404)
    form = PauseRequestForm()
    cal, day = office_calendar(), today()
    earliest = rules.pause_earliest_effective(day, setting(PAUSE_NOTICE_DAYS), cal=cal)
    if request.method == "GET" and kind == "pause":
        form.requested_on.data = earliest
    if form.validate_on_submit():
        response = attempt(lambda: ops.submit_pause_request(current_user, kind, form.data_dict(), today=day),
                           form=form, success="已送出申請，待衛生局審核。",
                           then=lambda req: url_for("cases.pause", pause_id=req.id))
        if response:
            return response
    unit_state = _unit_status(current_user.organisation, day)
    return render("cases/pause_form.html", form=form, kind=kind, earliest=earliest, unit_status=unit_state,
                  notice_days=setting(PAUSE_NOTICE_DAYS))


def load_pause(pause_id):
    return get_or_404(PauseRequest, pause_id)


@bp.route("/dispatch-pauses/<int:pause_id>")
@roles_required(*(BUREAU + A_ROLES))
def pause(pause_id):
    return _render_pause(load_pause(pause_id))


def _render_pause(req, status=200, form=None):
    day = today()
    latest = rules.pause_latest_submission(req.requested_on, setting(PAUSE_NOTICE_DAYS), cal=office_calendar()) \
        if req.requested_on else None
    return render("cases/pause.html", status=status, req=req, form=form or PauseDecisionForm(),
                  decider=current_user.role in DECIDERS, unit=_unit_status(req.organisation, day),
                  own=current_user.role == roles.A_UNIT_HEAD and req.organisation_id == current_user.organisation_id,
                  latest=latest)


@bp.route("/dispatch-pauses/<int:pause_id>/decide", methods=["POST"])
@roles_required(*DECIDERS)
def pause_decide(pause_id):
    req = load_pause(pause_id)
    form = PauseDecisionForm()
    if form.validate_on_submit():
        approve = form.decision.data == "approve"
        response = attempt(lambda: ops.decide_pause_request(current_user, req, approve, form.comment.data,
                                                            today=today()), form=form,
                           success="已核准，並通知照管中心及該單位。" if approve else "已不予核准，並通知該單位。",
                           then=url_for("cases.pause", pause_id=req.id))
        if response:
            return response
    db.session.expire_all()
    return _render_pause(db.session.get(PauseRequest, req.id), status=422, form=form)


@bp.route("/dispatch-pauses/<int:pause_id>/withdraw", methods=["POST"])
@roles_required(roles.A_UNIT_HEAD)
def pause_withdraw(pause_id):
    req = load_pause(pause_id)
    require(req.organisation_id == current_user.organisation_id)
    return attempt(lambda: ops.withdraw_pause_request(current_user, req), success="已撤回申請。",
                   then=url_for("cases.pauses")) or redirect_to(url_for("cases.pause", pause_id=req.id))


# --- B-unit evaluations (§9 R-AB-03) -------------------------------------------------------


def periods(day: date, back: int = 4):
    """The current half-year and the ones before it, newest first: [("2025H2", "114年下半年"), …]."""
    year, half = day.year, 1 if day.month <= 6 else 2
    result = []
    for _ in range(back):
        code = f"{year}H{half}"
        result.append((code, period_label(code)))
        year, half = (year, 1) if half == 2 else (year - 1, 2)
    return result


@bp.route("/evaluations", methods=["GET", "POST"])
@roles_required(*(BUREAU + A_ROLES))
def evaluations():
    b_units = db.session.execute(db.select(Organisation).where(Organisation.kind == roles.B_UNIT, Organisation.active)
                                 .order_by(Organisation.name)).scalars().all()
    form = EvaluationForm()
    form.b_unit_id.choices = [(0, "— 請選擇 —")] + [(o.id, o.name) for o in b_units]
    form.period.choices = periods(today())
    if request.method == "GET":
        form.period.data = form.period.choices[0][0]
        form.b_unit_id.data = request.args.get("b_unit", 0, type=int)
    can_rate = current_user.role in roles.A_ROLES
    if request.method == "POST":
        require(can_rate)
        if form.validate_on_submit():
            unit = db.get_or_404(Organisation, form.b_unit_id.data)
            response = attempt(lambda: ops.save_evaluation(current_user, unit, form.period.data, form.rating.data,
                                                           form.comment.data), form=form,
                               success=f"已儲存對 {unit.name} 的評核。", then=url_for("cases.evaluations"))
            if response:
                return response
    rows = db.session.execute(scoped(ProviderEvaluation).order_by(ProviderEvaluation.period.desc(),
                                                                  ProviderEvaluation.evaluated_at.desc())
                              .limit(300)).scalars().all()
    summary = latest_ratings([o.id for o in b_units])
    return render("cases/evaluations.html", form=form, rows=rows, b_units=b_units, summary=summary,
                  can_rate=can_rate, status=422 if form.errors else 200)


# --- Case-manager roster and A-unit capacity (§4.1, §5) ------------------------------------


@bp.route("/case-managers")
@roles_required(*(BUREAU + A_ROLES))
def managers():
    units = [o for o in _a_units() if current_user.sees_all or o.id == current_user.organisation_id]
    day = today()
    data = []
    for org in units:
        loads = _loads_by_manager(org.id)
        data.append({"org": org, "status": _unit_status(org, day), "managers": ops.case_managers_of(org.id),
                     "loads": loads, "pending": loads.get(None, 0)})
    return render("cases/managers.html", units=data, default_caseload=ops.setting(ops.CASELOAD_PER_MANAGER),
                  can_edit=current_user.role in (roles.A_UNIT_HEAD, roles.BUREAU_OFFICER, roles.ADMIN))


def _loads_by_manager(org_id):
    from sqlalchemy import func
    from portal.cases.models import Case
    return dict(db.session.execute(db.select(Case.case_manager_id, func.count()).where(
        Case.a_unit_id == org_id, Case.state.in_(rules.OPEN_CASE_STATES)).group_by(Case.case_manager_id)).all())


@bp.route("/case-managers/<int:cm_id>", methods=["GET", "POST"])
@roles_required(roles.A_UNIT_HEAD, roles.BUREAU_OFFICER, roles.ADMIN)
def manager_edit(cm_id):
    user = db.session.get(User, cm_id)
    if user is None or user.role != roles.A_CASE_MANAGER or not (
            current_user.sees_all or user.organisation_id == current_user.organisation_id):
        abort(404)
    profile = db.session.execute(db.select(CaseManagerProfile).filter_by(user_id=user.id)).scalar_one_or_none()
    form = CaseManagerForm(obj=profile) if request.method == "GET" else CaseManagerForm()
    colleagues = [u for u, _ in ops.case_managers_of(user.organisation_id) if u.id != user.id]
    form.deputy_id.choices = [(0, "— 未指定 —")] + [(u.id, u.full_name) for u in colleagues]
    if request.method == "GET":
        form.version.data = profile.version if profile else ""
        form.declared_caseload.data = profile.declared_caseload if profile else ops.setting(ops.CASELOAD_PER_MANAGER)
        form.deputy_id.data = (profile.deputy_id if profile else None) or 0
    # The unit declares caseload and deputy; the bureau records onboarding facts (§5.2).
    editable = CaseManagerForm.UNIT_FIELDS if current_user.role == roles.A_UNIT_HEAD else \
        CaseManagerForm.UNIT_FIELDS + CaseManagerForm.BUREAU_FIELDS
    if form.validate_on_submit():
        data = {name: getattr(form, name).data for name in editable}
        data["deputy_id"] = data.get("deputy_id") or None
        response = attempt(lambda: ops.save_case_manager(current_user, user, data,
                                                         seen_version=form.version.data or None),
                           form=form, success=f"已更新 {user.full_name} 的名冊資料。", then=url_for("cases.managers"))
        if response:
            return response
    return render("cases/manager_form.html", form=form, cm=user, profile=profile, editable=editable)


# --- B-unit service capacity (Q08) ----------------------------------------------------------


@bp.route("/provider-services", methods=["GET", "POST"])
@roles_required(*(BUREAU + B_ROLES + A_ROLES))
def provider_services():
    if current_user.role in roles.B_ROLES:
        orgs = [current_user.organisation]
    else:
        orgs = db.session.execute(db.select(Organisation).where(Organisation.kind == roles.B_UNIT)
                                  .order_by(Organisation.name)).scalars().all()
    can_edit = current_user.role in (roles.B_HEAD, roles.BUREAU_OFFICER, roles.ADMIN)
    form = ProviderServiceForm()
    catalogue = service_codes.active_codes()
    form.codes.choices = [(c.code, f"{c.code} {c.name}") for c in catalogue]
    target = None
    if request.method == "POST":
        require(can_edit)
        target_id = request.form.get("org_id", type=int)
        if target_id is None and current_user.role in roles.B_ROLES:
            target_id = current_user.organisation_id  # a B unit declares its own services
        target = next((o for o in orgs if o.id == target_id), None)
        if target is None and target_id is not None:
            abort(404)  # not a B unit this user may declare for
        if target is None:
            form.validate_on_submit()
            form.service_type.errors = list(form.service_type.errors) + ["請選擇要更新的服務單位。"]
        elif form.validate_on_submit():
            data = {"capacity": form.capacity.data, "accepting": form.accepting.data, "note": form.note.data,
                    "codes": [c for c in (form.codes.data or []) if c in {x.code for x in catalogue
                                                                          if x.service_type == form.service_type.data}]}
            response = attempt(lambda: ops.save_provider_service(current_user, target, form.service_type.data, data),
                               form=form, success="已更新服務量能。", then=url_for("cases.provider_services"))
            if response:
                return response
    offers = offers_of(orgs)
    counts = {o.id: {t: n for t, n in _counts_by_type(o.id).items()} for o in orgs}
    declared = {(r.organisation_id, r.service_type): r for r in db.session.execute(
        db.select(ProviderService).where(ProviderService.organisation_id.in_([o.id for o in orgs]))).scalars()}
    return render("cases/provider_services.html", orgs=orgs, offers=offers, counts=counts, declared=declared,
                  form=form, can_edit=can_edit, target=target, catalogue=catalogue,
                  facts=unit_summaries([o.id for o in orgs]), status=422 if form.errors else 200)


def _counts_by_type(org_id):
    from sqlalchemy import func
    from portal.cases.models import Dispatch
    return dict(db.session.execute(db.select(Dispatch.service_type, func.count()).where(
        Dispatch.organisation_id == org_id, Dispatch.state.in_(rules.DISPATCH_ACTIVE))
        .group_by(Dispatch.service_type)).all())


@bp.route("/provider-services/<int:service_id>/delete", methods=["POST"])
@roles_required(roles.B_HEAD, roles.BUREAU_OFFICER, roles.ADMIN)
def provider_service_delete(service_id):
    row = get_or_404(ProviderService, service_id)
    require(current_user.sees_all or row.organisation_id == current_user.organisation_id)
    return attempt(lambda: ops.remove_provider_service(current_user, row), success="已刪除此服務類別。",
                   then=url_for("cases.provider_services")) or redirect_to(url_for("cases.provider_services"))


# --- Service codes (README §6.1, [external]) --------------------------------------------------


@bp.route("/service-codes", methods=["GET", "POST"])
@roles_required(roles.ADMIN, roles.BUREAU_OFFICER)
def service_code_list():
    service_codes.ensure_default_codes()
    db.session.commit()
    form = NewServiceCodeForm()
    if form.validate_on_submit():
        response = attempt(lambda: ops.add_service_code(current_user, form.data), form=form,
                           success=f"已新增服務碼 {form.code.data}。", then=url_for("cases.service_code_list"))
        if response:
            return response
    rows = db.session.execute(db.select(ServiceCode).order_by(ServiceCode.sort_order, ServiceCode.code)).scalars().all()
    return render("cases/service_codes.html", rows=rows, types=SERVICE_TYPES, form=form,
                  status=422 if form.errors else 200)


@bp.route("/service-codes/<int:code_id>", methods=["POST"])
@roles_required(roles.ADMIN, roles.BUREAU_OFFICER)
def service_code_edit(code_id):
    row = db.get_or_404(ServiceCode, code_id)
    form = ServiceCodeForm()
    if form.validate_on_submit():
        ops.update_service_code(current_user, row, form.name.data, form.active.data)
        db.session.commit()
        flash(f"已更新服務碼 {row.code}。", "success")
    else:
        flash("名稱不可空白。", "error")
    return redirect_to(url_for("cases.service_code_list"))
