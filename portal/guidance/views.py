"""Guidance units (家庭托顧輔導單位): qualification, officers, homes in development and guided homes,
guidance plans and visits, yearly targets, grant applications (seed 003 §六, §十五, §十六)."""
from datetime import date

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.orm.exc import StaleDataError

from portal import clock
from portal.auth import roles
from portal.auth.access import get_or_404, require, roles_required, scoped
from portal.auth.models import User
from portal.errors import Refused, StaleEdit, TransitionNotAllowed
from portal.extensions import db
from portal.guidance import demo  # noqa: F401  (registers the demo seeder)
from portal.guidance import hooks  # noqa: F401  (dashboard items, unit facts)
from portal.guidance import operations as ops
from portal.guidance import queries, rules
from portal.guidance.forms import (
    AdvanceForm, BusinessFeeForm, DecisionForm, DropForm, GrantForm, HomeEditForm, HomeForm, OfficerForm, PlanForm,
    SettleForm, UnitProfileForm, VerifyOfficerForm, VisitForm, assessment_form, new_submission_key,
)
from portal.guidance.models import (
    DEVELOPMENT_GRANT_ITEMS, GRANT_KINDS, GRANT_STATUS, HOME_GRANT_ITEMS, RATINGS, CapacityAssessment, GrantApplication,
    GuidanceOfficer, GuidancePlan, GuidanceUnitProfile, GuidanceVisit, GuidedHome,
)
from portal.guidance.settings import CAPACITY_ITEMS, DEV_CAP_YEAR, TARGET, grant_settings, refund_settings
from portal.htmx import redirect_to, render
from portal.nav import register_nav
from portal.orgs.models import Organisation, ServiceArea
from portal.orgs.standing import unit_summaries
from portal.settings.registry import get_setting

bp = Blueprint("guidance", __name__, url_prefix="/guidance")

VIEWERS = tuple(roles.COUNTY_WIDE_ROLES | {roles.GUIDANCE_STAFF})
HOME_VIEWERS = VIEWERS + tuple(roles.B_ROLES)
BUREAU_EDITORS = (roles.ADMIN, roles.BUREAU_OFFICER)
DECIDERS = (roles.ADMIN, roles.BUREAU_OFFICER, roles.BUREAU_CHIEF)
HOME_EDITORS = (roles.GUIDANCE_STAFF,) + BUREAU_EDITORS
register_nav("家托輔導", "guidance.index", VIEWERS, order=60)


# --- helpers ---------------------------------------------------------------------------

def _year_arg(default=None):
    year = request.args.get("year", type=int) or default or clock.today().year
    return _valid_year(year)


def _valid_year(year):
    if year < 1000:      # typed as ROC
        year += 1911
    if not 2000 <= year <= 2100:
        abort(404)
    return year


def _unit_or_404(unit_id):
    """A guidance organisation the user may see: the bureau any, a guidance unit its own."""
    unit = db.session.get(Organisation, unit_id)
    if unit is None or unit.kind != roles.GUIDANCE:
        abort(404)
    if not current_user.sees_all and current_user.organisation_id != unit.id:
        abort(404)
    return unit


def _own_unit():
    return current_user.role == roles.GUIDANCE_STAFF


def _can_edit_unit(unit):
    return current_user.role in BUREAU_EDITORS or (_own_unit() and current_user.organisation_id == unit.id)


def _can_edit_home(home):
    if current_user.role in BUREAU_EDITORS:
        return True
    return current_user.role == roles.GUIDANCE_STAFF and home.guidance_org_id == current_user.organisation_id


def _can_write_records(home):
    """Plans, assessments and visits are the guidance unit's own work."""
    return current_user.role == roles.GUIDANCE_STAFF and home.guidance_org_id == current_user.organisation_id


def _field_error(form, exc, default_field=None):
    name = exc.field if exc.field and exc.field in form else default_field
    if name and name in form:
        form[name].errors = list(form[name].errors) + [str(exc)]
    else:
        flash(str(exc), "error")


def _stale(message=None):
    db.session.rollback()
    flash(message or str(StaleEdit()), "error")


def _areas():
    return db.session.execute(db.select(ServiceArea).where(ServiceArea.active).order_by(ServiceArea.sort_order)
                              ).scalars().all()


def _officer_choices(org_id):
    return [(0, "— 未指定 —")] + [(o.id, o.name) for o in queries.active_officers(org_id)]


def _unit_progress(unit, year):
    """The year's figures for one unit (used by the unit page, the bureau overview and the PDF)."""
    target = get_setting(TARGET.key)
    homes = queries.new_homes_count(unit.id, year)
    previous = queries.new_homes_count(unit.id, year - 1)
    row = queries.year_row(unit.id, year)
    prev_row = queries.year_row(unit.id, year - 1)
    settings = refund_settings()
    if settings["trigger"] not in rules.REFUND_TRIGGERS:
        settings["trigger"] = "zero"
    forecast = rules.year_end_result(year, homes, previous if prev_row is not None else None,
                                     (row.business_fee if row else 0) or 0, **settings)
    return {"year": year, "target": target, "homes": homes, "previous": previous, "row": row, "forecast": forecast,
            "met": homes >= target}


# --- index and bureau overview ----------------------------------------------------------

@bp.route("/")
@roles_required(*HOME_VIEWERS)
def index():
    if current_user.role == roles.GUIDANCE_STAFF:
        return redirect(url_for("guidance.unit", unit_id=current_user.organisation_id))
    if current_user.role in roles.B_ROLES:
        homes = db.session.execute(scoped(GuidedHome).order_by(GuidedHome.id)).scalars().all()
        if len(homes) == 1:
            return redirect(url_for("guidance.home", home_id=homes[0].id))
        return render("guidance/my_homes.html", homes=homes)
    year = _year_arg()
    units = queries.guidance_units()
    rows = []
    approved = queries.approved_grants_by_unit(year)
    for unit in units:
        progress = _unit_progress(unit, year)
        officers = queries.active_officers(unit.id)
        homes = queries.homes_of(unit.id, include_dropped=False)
        rows.append({"unit": unit, "progress": progress, "officers": officers, "exited": queries.exit_row(unit.id),
                     "stages": {s: sum(1 for h in homes if h.stage == s) for s in rules.STAGES},
                     "approved": approved.get(unit.id, 0),
                     "profile": db.session.execute(db.select(GuidanceUnitProfile).filter_by(
                         organisation_id=unit.id)).scalar_one_or_none()})
    pending = db.session.execute(db.select(func.count(GrantApplication.id)).where(
        GrantApplication.status == "submitted")).scalar_one()
    return render("guidance/overview.html", block="results", rows=rows, year=year, stages=rules.STAGES,
                  stage_labels=rules.STAGE_LABELS, pending=pending)


# --- a guidance unit --------------------------------------------------------------------

@bp.route("/units/<int:unit_id>")
@roles_required(*VIEWERS)
def unit(unit_id):
    unit = _unit_or_404(unit_id)
    year = _year_arg()
    profile = db.session.execute(db.select(GuidanceUnitProfile).filter_by(organisation_id=unit.id)
                                 ).scalar_one_or_none()
    officers = db.session.execute(db.select(GuidanceOfficer).filter_by(organisation_id=unit.id)
                                  .order_by(GuidanceOfficer.ended_on.is_not(None), GuidanceOfficer.name)
                                  ).scalars().all()
    homes = queries.homes_of(unit.id)
    grants = db.session.execute(db.select(GrantApplication).filter_by(organisation_id=unit.id, year=year)
                                .order_by(GrantApplication.submitted_at.desc())).scalars().all()
    return render("guidance/unit.html", unit=unit, profile=profile, officers=officers, homes=homes,
                  grants=grants, progress=_unit_progress(unit, year), year=year, stages=rules.STAGES,
                  stage_labels=rules.STAGE_LABELS, can_edit=_can_edit_unit(unit),
                  can_add_home=_own_unit() and current_user.organisation_id == unit.id,
                  is_bureau=current_user.role in DECIDERS, exited=queries.exit_row(unit.id))


@bp.route("/units/<int:unit_id>/profile", methods=["GET", "POST"])
@roles_required(*VIEWERS)
def unit_profile(unit_id):
    unit = _unit_or_404(unit_id)
    require(_can_edit_unit(unit))
    profile = db.session.execute(db.select(GuidanceUnitProfile).filter_by(organisation_id=unit.id)
                                 ).scalar_one_or_none()
    form = UnitProfileForm(obj=profile)
    if request.method == "GET" and profile:
        form.version.data = profile.version
    if form.validate_on_submit():
        try:
            ops.save_unit_profile(current_user, unit, profile, form.data_dict(), seen_version=form.version.data or None)
        except (StaleEdit, StaleDataError):
            _stale()
        except Refused as exc:
            _field_error(form, exc)
        else:
            db.session.commit()
            flash("輔導單位資格資料已儲存。", "success")
            return redirect_to(url_for("guidance.unit", unit_id=unit.id))
    return render("guidance/profile_form.html", form=form, unit=unit, profile=profile)


# --- officers (seed 003 §十五(一)) ------------------------------------------------------

def _officer_form(unit, officer=None):
    form = OfficerForm(obj=officer)
    users = db.session.execute(db.select(User).filter_by(organisation_id=unit.id, active=True)
                               .order_by(User.full_name)).scalars().all()
    form.user_id.choices = [(0, "— 無 —")] + [(u.id, f"{u.full_name}（{u.username}）") for u in users]
    if request.method == "GET" and officer is not None:
        form.version.data = officer.version
        form.user_id.data = officer.user_id or 0
    return form


@bp.route("/units/<int:unit_id>/officers/new", methods=["GET", "POST"])
@roles_required(*VIEWERS)
def officer_new(unit_id):
    unit = _unit_or_404(unit_id)
    require(_can_edit_unit(unit))
    return _officer_edit(unit, None)


@bp.route("/officers/<int:officer_id>/edit", methods=["GET", "POST"])
@roles_required(*VIEWERS)
def officer_edit(officer_id):
    officer = get_or_404(GuidanceOfficer, officer_id)
    require(_can_edit_unit(officer.organisation))
    return _officer_edit(officer.organisation, officer)


def _officer_edit(unit, officer):
    form = _officer_form(unit, officer)
    check = None
    if form.validate_on_submit():
        data = form.data_dict()
        check = rules.officer_qualification(data["education"], data["related_field"], data["sw_exam_eligible"],
                                            data["experience_months"])
        try:
            officer = ops.save_officer(current_user, unit, officer, data, seen_version=form.version.data or None)
        except (StaleEdit, StaleDataError):
            _stale()
        except Refused as exc:
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(f"已儲存專責輔導人員 {officer.name}（符合第{officer.qualification_path}款資格）。", "success")
            return redirect_to(url_for("guidance.officer", officer_id=officer.id))
    return render("guidance/officer_form.html", form=form, unit=unit, officer=officer, check=check,
                  paths=rules.QUALIFICATION_PATHS)


@bp.route("/officers/<int:officer_id>")
@roles_required(*VIEWERS)
def officer(officer_id):
    officer = get_or_404(GuidanceOfficer, officer_id)
    form = VerifyOfficerForm(version=officer.version)
    return render("guidance/officer.html", officer=officer, form=form, qualification=officer.qualification(),
                  paths=rules.QUALIFICATION_PATHS, can_edit=_can_edit_unit(officer.organisation),
                  can_verify=current_user.role in DECIDERS)


@bp.route("/officers/<int:officer_id>/verify", methods=["POST"])
@roles_required(*DECIDERS)
def officer_verify(officer_id):
    officer = get_or_404(GuidanceOfficer, officer_id)
    form = VerifyOfficerForm()
    if form.validate_on_submit():
        try:
            ops.verify_officer(current_user, officer, form.note.data, seen_version=form.version.data or None)
        except (StaleEdit, StaleDataError):
            _stale("此人員資料已被修改，請重新確認資格後再核對。")
        except TransitionNotAllowed as exc:
            db.session.rollback()
            flash(str(exc), "warning")
        else:
            db.session.commit()
            flash(f"已核對 {officer.name} 的資格。", "success")
    return redirect_to(url_for("guidance.officer", officer_id=officer_id))


# --- homes: pipeline ---------------------------------------------------------------------

@bp.route("/homes/new", methods=["GET", "POST"])
@roles_required(roles.GUIDANCE_STAFF)
def home_new():
    form = HomeForm()
    form.service_area_id.choices = [(0, "— 請選擇 —")] + [(a.id, a.name) for a in _areas()]
    if form.validate_on_submit():
        try:
            home = ops.create_home(current_user, current_user.organisation, form.data_dict(), form.found_on.data,
                                   clock.today())
        except Refused as exc:
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(f"已新增輔導家庭「{home.home_name}」。", "success")
            return redirect_to(url_for("guidance.home", home_id=home.id))
    return render("guidance/home_form.html", form=form, home=None)


@bp.route("/homes/<int:home_id>")
@roles_required(*HOME_VIEWERS)
def home(home_id):
    home = get_or_404(GuidedHome, home_id)
    today = clock.today()
    year = today.year
    nxt = rules.next_stage(home.stage)
    contract = queries.contracts_on_record([home.organisation_id]).get(home.organisation_id)
    on = today
    if nxt == "contracted" and contract and home.licensed_on and home.licensed_on <= contract.starts_on <= today:
        on = contract.starts_on     # the contract the bureau recorded: its first day is the 完成特約 date
    advance = AdvanceForm(version=home.version, to_stage=nxt, on=on) if nxt else None
    plan = next((p for p in home.plans if p.year == year), None)
    caps = grant_settings()
    grant_years = []
    if home.licensed_on and current_user.role not in roles.B_ROLES:
        for y in range(home.licensed_on.year, home.licensed_on.year + 3):
            cap = home.grant_cap(y, **caps)
            if cap:
                grant_years.append({"year": y, "cap": cap, "used": queries.home_grant_used(home.id, y),
                                    "months": rules.grant_eligible_months(
                                        home.licensed_on, y, first_evaluated_on=home.first_evaluated_on,
                                        window_months=caps["window_months"])})
    return render("guidance/home.html", home=home, advance=advance, next_stage=nxt, plan=plan, year=year,
                  clients=queries.clients_served_by(home.organisation_id) if home.organisation_id else [],
                  stages=rules.STAGES, stage_labels=rules.STAGE_LABELS, grant_years=grant_years,
                  can_edit=_can_edit_home(home), can_write=_can_write_records(home),
                  visit_due=hooks.visit_due(home, today), contract=contract,
                  standing=_standing(home))


def _standing(home):
    """The home's contract, audit and report facts from the other areas (the guidance line is this page's own)."""
    if not home.organisation_id:
        return []
    facts = unit_summaries([home.organisation_id]).get(home.organisation_id, [])
    return [f for f in facts if not f.startswith("輔導單位")]


@bp.route("/homes/<int:home_id>/edit", methods=["GET", "POST"])
@roles_required(*HOME_EDITORS)
def home_edit(home_id):
    home = get_or_404(GuidedHome, home_id)
    require(_can_edit_home(home))
    form = HomeEditForm(obj=home)
    form.service_area_id.choices = [(0, "— 請選擇 —")] + [(a.id, a.name) for a in _areas()]
    if request.method == "GET":
        form.version.data = home.version
        form.service_area_id.data = home.service_area_id or 0
    if form.validate_on_submit():
        data = form.data_dict()
        data["first_evaluated_on"] = form.first_evaluated_on.data
        data["licence_no"] = form.licence_no.data or home.licence_no
        dates = form.stage_dates()
        dates["found"] = form.found_on.data
        try:
            ops.update_home(current_user, home, data, dates, clock.today(), seen_version=form.version.data or None)
        except (StaleEdit, StaleDataError):
            _stale()
        except Refused as exc:
            _field_error(form, exc)
        else:
            db.session.commit()
            flash("輔導家庭資料已更新。", "success")
            return redirect_to(url_for("guidance.home", home_id=home.id))
    reached = rules.STAGES if home.stage == "dropped" else rules.STAGES[:rules.STAGES.index(home.stage) + 1]
    return render("guidance/home_form.html", form=form, home=home, reached=reached)


@bp.route("/homes/<int:home_id>/advance", methods=["POST"])
@roles_required(*HOME_EDITORS)
def home_advance(home_id):
    home = get_or_404(GuidedHome, home_id)
    require(_can_edit_home(home))
    form = AdvanceForm()
    if form.validate_on_submit():
        try:
            ops.advance_home(current_user, home, form.to_stage.data, form.on.data, clock.today(),
                             licence_no=form.licence_no.data, seen_version=form.version.data or None)
        except (StaleEdit, StaleDataError):
            _stale()
        except TransitionNotAllowed as exc:
            db.session.rollback()
            flash(str(exc), "warning")
        except Refused as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            msg = f"「{home.home_name}」已進入「{home.stage_label}」階段。"
            if home.stage == "licensed":
                msg += "已建立家庭托顧單位並設定本單位唯讀輔導連結。"
            flash(msg, "success")
    else:
        for errors in form.errors.values():
            flash("；".join(errors), "error")
    return redirect_to(url_for("guidance.home", home_id=home_id))


@bp.route("/homes/<int:home_id>/drop", methods=["GET", "POST"])
@roles_required(*HOME_EDITORS)
def home_drop(home_id):
    home = get_or_404(GuidedHome, home_id)
    require(_can_edit_home(home))
    form = DropForm()
    if request.method == "GET":
        form.version.data, form.on.data = home.version, clock.today()
    if form.validate_on_submit():
        try:
            ops.drop_home(current_user, home, form.on.data, form.reason.data, clock.today(),
                          seen_version=form.version.data or None)
        except (StaleEdit, StaleDataError):
            _stale()
        except TransitionNotAllowed as exc:
            db.session.rollback()
            flash(str(exc), "warning")
            return redirect_to(url_for("guidance.home", home_id=home_id))
        except Refused as exc:
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(f"已停止輔導「{home.home_name}」。", "success")
            return redirect_to(url_for("guidance.home", home_id=home_id))
    return render("guidance/drop_form.html", form=form, home=home)


# --- capacity assessments, plans, visits -------------------------------------------------

def _my_officer_id(org_id):
    mine = next((o for o in queries.active_officers(org_id) if o.user_id == current_user.id), None)
    return mine.id if mine else 0


def _capacity_items():
    items = get_setting(CAPACITY_ITEMS.key)
    return [i for i in items if isinstance(i, dict) and i.get("key") and i.get("label")]


@bp.route("/homes/<int:home_id>/assessments/new", methods=["GET", "POST"])
@roles_required(roles.GUIDANCE_STAFF)
def assessment_new(home_id):
    home = get_or_404(GuidedHome, home_id)
    require(_can_write_records(home))
    items = _capacity_items()
    form = assessment_form(items)
    form.officer_id.choices = _officer_choices(home.guidance_org_id)
    if request.method == "GET":
        form.submission_key.data, form.assessed_on.data = new_submission_key(), clock.today()
        form.officer_id.data = _my_officer_id(home.guidance_org_id)
    if form.validate_on_submit():
        data = {"assessed_on": form.assessed_on.data, "officer_id": form.officer_id.data or None,
                "conclusion": form.conclusion.data, "summary": form.summary.data or None}
        try:
            row = ops.add_assessment(current_user, home, data, form.items_data(), clock.today(),
                                     submission_key=form.submission_key.data or None)
        except TransitionNotAllowed as exc:
            flash(str(exc), "warning")
            return redirect_to(url_for("guidance.home", home_id=home.id))
        except Refused as exc:
            _field_error(form, exc)
        else:
            db.session.commit()
            flash("已儲存獨立營運量能評估。", "success")
            return redirect_to(url_for("guidance.assessment", assessment_id=row.id))
    return render("guidance/assessment_form.html", form=form, home=home)


@bp.route("/assessments/<int:assessment_id>")
@roles_required(*HOME_VIEWERS)
def assessment(assessment_id):
    row = get_or_404(CapacityAssessment, assessment_id)
    return render("guidance/assessment.html", row=row, home=row.home, ratings=RATINGS)


@bp.route("/homes/<int:home_id>/plan", methods=["GET", "POST"])
@roles_required(*HOME_VIEWERS)
def plan(home_id):
    home = get_or_404(GuidedHome, home_id)
    year = _year_arg()
    plan = db.session.execute(db.select(GuidancePlan).filter_by(home_id=home.id, year=year)).scalar_one_or_none()
    if request.method == "POST":
        require(_can_write_records(home))
    editing = request.method == "POST" or request.args.get("edit")
    if not editing or not _can_write_records(home):
        if plan is None:
            if _can_write_records(home) and home.active:
                return redirect(url_for("guidance.plan", home_id=home.id, year=year, edit=1))
            abort(404)
        return render("guidance/plan.html", plan=plan, home=home, year=year, can_write=_can_write_records(home))
    require(_can_write_records(home))
    form = PlanForm(obj=plan)
    if request.method == "GET":
        source = plan or next((p for p in home.plans if p.year < year), None)   # else start from last year's plan
        if plan is not None:
            form.version.data = plan.version
        if source is not None:
            for f, _ in GuidancePlan.SECTIONS:
                form[f"sec_{f}"].data = getattr(source, f)
    if form.validate_on_submit():
        data = {f: form[f"sec_{f}"].data for f, _ in GuidancePlan.SECTIONS}
        data["next_review_on"] = form.next_review_on.data
        try:
            ops.save_plan(current_user, home, plan, year, data, clock.today(), seen_version=form.version.data or None)
        except (StaleEdit, StaleDataError) as exc:
            _stale(str(exc) if isinstance(exc, StaleEdit) else None)
        except TransitionNotAllowed as exc:
            flash(str(exc), "warning")
        except Refused as exc:
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(f"已儲存{year - 1911}年度個別化輔導工作計畫。", "success")
            return redirect_to(url_for("guidance.plan", home_id=home.id, year=year))
    return render("guidance/plan_form.html", form=form, plan=plan, home=home, year=year,
                  sections=GuidancePlan.SECTIONS)


@bp.route("/homes/<int:home_id>/plan.pdf")
@roles_required(*HOME_VIEWERS)
def plan_pdf(home_id):
    from portal.pdf import pdf_response
    home = get_or_404(GuidedHome, home_id)
    year = _year_arg()
    plan = db.session.execute(db.select(GuidancePlan).filter_by(home_id=home.id, year=year)).scalar_one_or_none()
    if plan is None:
        abort(404)
    return pdf_response("pdf/guidance_plan.html", f"個別化輔導工作計畫-{home.home_name}-{year - 1911}年度.pdf",
                        plan=plan, home=home, year=year, record_ref=f"輔導計畫 {plan.id}", version=plan.version)


@bp.route("/homes/<int:home_id>/visits/new", methods=["GET", "POST"])
@roles_required(roles.GUIDANCE_STAFF)
def visit_new(home_id):
    home = get_or_404(GuidedHome, home_id)
    require(_can_write_records(home))
    form = VisitForm()
    form.officer_id.choices = _officer_choices(home.guidance_org_id)
    if request.method == "GET":
        form.submission_key.data, form.visited_on.data = new_submission_key(), clock.today()
        form.officer_id.data = _my_officer_id(home.guidance_org_id)
    if form.validate_on_submit():
        data = {f: form[f].data for f in ("visited_on", "mode", "topics", "content", "follow_up", "next_visit_on")}
        data["officer_id"] = form.officer_id.data or None
        data["follow_up"] = data["follow_up"] or None
        try:
            visit = ops.add_visit(current_user, home, data, clock.today(),
                                  submission_key=form.submission_key.data or None)
        except TransitionNotAllowed as exc:
            flash(str(exc), "warning")
            return redirect_to(url_for("guidance.home", home_id=home.id))
        except Refused as exc:
            _field_error(form, exc)
        else:
            db.session.commit()
            flash("已新增訪視紀錄。", "success")
            return redirect_to(url_for("guidance.visit", visit_id=visit.id))
    return render("guidance/visit_form.html", form=form, home=home)


@bp.route("/visits/<int:visit_id>")
@roles_required(*HOME_VIEWERS)
def visit(visit_id):
    row = get_or_404(GuidanceVisit, visit_id)
    return render("guidance/visit.html", visit=row, home=row.home)


# --- yearly targets (seed 003 §十五(十)–(十一)) -------------------------------------------

@bp.route("/units/<int:unit_id>/years/<int:year>", methods=["GET", "POST"])
@roles_required(*VIEWERS)
def year(unit_id, year):
    unit = _unit_or_404(unit_id)
    year = _valid_year(year)
    progress = _unit_progress(unit, year)
    row = progress["row"]
    fee_form = BusinessFeeForm(obj=row)
    if request.method == "GET" and row is not None:
        fee_form.version.data = row.version
    if request.method == "POST":
        require(current_user.role in BUREAU_EDITORS)
        if fee_form.validate_on_submit():
            try:
                ops.set_business_fee(current_user, unit, year, fee_form.business_fee.data,
                                     seen_version=fee_form.version.data or None)
            except (StaleEdit, StaleDataError):
                _stale()
            except TransitionNotAllowed as exc:
                db.session.rollback()
                flash(str(exc), "warning")
            except Refused as exc:
                _field_error(fee_form, exc)
            else:
                db.session.commit()
                flash("已儲存業務費。", "success")
                return redirect_to(url_for("guidance.year", unit_id=unit.id, year=year))
    homes = db.session.execute(db.select(GuidedHome).where(
        GuidedHome.guidance_org_id == unit.id, GuidedHome.contracted_on >= date(year, 1, 1),
        GuidedHome.contracted_on <= date(year, 12, 31), GuidedHome.stage == "contracted")
        .order_by(GuidedHome.contracted_on)).scalars().all()
    settle_form = SettleForm(version=row.version if row else None)
    return render("guidance/year.html", unit=unit, year=year, progress=progress, row=row, homes=homes,
                  contracts=queries.contracts_on_record([h.organisation_id for h in homes]),
                  fee_form=fee_form, settle_form=settle_form, can_edit=current_user.role in BUREAU_EDITORS,
                  year_over=clock.today().year > year)


@bp.route("/units/<int:unit_id>/years/<int:year>/settle", methods=["POST"])
@roles_required(*BUREAU_EDITORS)
def year_settle(unit_id, year):
    unit = _unit_or_404(unit_id)
    year = _valid_year(year)
    form = SettleForm()
    if form.validate_on_submit():
        try:
            row = ops.settle_year(current_user, unit, year, clock.today(), seen_version=form.version.data or None)
        except (StaleEdit, StaleDataError):
            _stale()
        except (TransitionNotAllowed, Refused) as exc:
            db.session.rollback()
            flash(str(exc), "warning")
        else:
            db.session.commit()
            flash(f"{year - 1911}年度結算完成：" + "；".join(row.reasons), "success")
    return redirect_to(url_for("guidance.year", unit_id=unit.id, year=year))


@bp.route("/units/<int:unit_id>/summary/<int:year>.pdf")
@roles_required(*VIEWERS)
def summary_pdf(unit_id, year):
    """The guidance unit's yearly summary (輔導單位年度辦理情形摘要)."""
    from portal.pdf import pdf_response
    unit = _unit_or_404(unit_id)
    year = _valid_year(year)
    ctx = _summary_context(unit, year)
    return pdf_response("pdf/guidance_summary.html", f"家庭托顧輔導單位年度摘要-{unit.name}-{year - 1911}年度.pdf",
                        record_ref=f"{unit.display_name} {year - 1911}年度",
                        not_settled=not (ctx["progress"]["row"] and ctx["progress"]["row"].settled), **ctx)


def _summary_context(unit, year):
    start, end = date(year, 1, 1), date(year, 12, 31)
    profile = db.session.execute(db.select(GuidanceUnitProfile).filter_by(organisation_id=unit.id)
                                 ).scalar_one_or_none()
    officers = db.session.execute(db.select(GuidanceOfficer).where(
        GuidanceOfficer.organisation_id == unit.id,
        (GuidanceOfficer.started_on.is_(None)) | (GuidanceOfficer.started_on <= end),
        (GuidanceOfficer.ended_on.is_(None)) | (GuidanceOfficer.ended_on >= start)).order_by(GuidanceOfficer.name)
    ).scalars().all()
    homes = [h for h in queries.homes_of(unit.id) if h.found_on <= end and (h.dropped_on is None or h.dropped_on >= start)]
    visits = dict(db.session.execute(db.select(GuidanceVisit.home_id, func.count(GuidanceVisit.id)).where(
        GuidanceVisit.visited_on >= start, GuidanceVisit.visited_on <= end,
        GuidanceVisit.home_id.in_([h.id for h in homes] or [0])).group_by(GuidanceVisit.home_id)).all())
    plans = {p.home_id for p in db.session.execute(db.select(GuidancePlan).where(
        GuidancePlan.year == year, GuidancePlan.home_id.in_([h.id for h in homes] or [0]))).scalars()}
    grants = db.session.execute(db.select(GrantApplication).filter_by(organisation_id=unit.id, year=year)
                                .order_by(GrantApplication.month, GrantApplication.id)).scalars().all()
    approved = {"home": 0, "development": 0}
    for g in grants:
        if g.status == "approved":
            approved[g.kind] += g.approved_amount or 0
    as_of = min(end, clock.today())
    stages = {h.id: rules.stage_on(h.stage_dates(), h.dropped_on, as_of) for h in homes}
    return {"unit": unit, "year": year, "profile": profile, "officers": officers, "homes": homes, "visits": visits,
            "stages": stages, "as_of": as_of, "short_labels": rules.STAGE_SHORT_LABELS, "caps": _grant_caps(homes, grants, year),
            "plans": plans, "grants": grants, "approved": approved, "progress": _unit_progress(unit, year),
            "stage_labels": rules.STAGE_LABELS, "paths": rules.QUALIFICATION_PATHS}


def _grant_caps(homes, grants, year):
    """Each guided home's grant cap in `year` (seed 003 §十六(一)、(三)) and the development cap (§十六(二)),
    with what was approved and what is still pending against them, for the yearly summary."""
    caps = grant_settings()
    used = rules.grant_usage(grants)
    rows = []
    for h in sorted(homes, key=lambda h: (h.licensed_on is None, h.licensed_on or date.max, h.id)):
        cap = h.grant_cap(year, **caps)
        if not cap and h.id not in used:
            continue
        months = rules.grant_eligible_months(h.licensed_on, year, first_evaluated_on=h.first_evaluated_on,
                                             window_months=caps["window_months"]) if h.licensed_on else []
        rows.append({"home": h, "cap": cap, "months": months, **used.get(h.id, {"approved": 0, "pending": 0})})
    development = {"cap": get_setting(DEV_CAP_YEAR.key), **used.get("development", {"approved": 0, "pending": 0})}
    return {"homes": rows, "development": development}


# --- grant applications (seed 003 §十六) --------------------------------------------------

@bp.route("/grants")
@roles_required(*VIEWERS)
def grants():
    status = request.args.get("status", "")
    year = _year_arg()
    stmt = scoped(GrantApplication).where(GrantApplication.year == year)
    if status in GRANT_STATUS:
        stmt = stmt.where(GrantApplication.status == status)
    rows = db.session.execute(stmt.order_by(GrantApplication.status != "submitted",
                                            GrantApplication.submitted_at.desc())).scalars().all()
    return render("guidance/grants.html", block="results", grants=rows, status_filter=status, year=year,
                  statuses=GRANT_STATUS, can_apply=_own_unit())


def _grant_form():
    form = GrantForm()
    kind = request.values.get("kind", "home")
    if kind not in GRANT_KINDS:
        abort(404)
    form.kind.data = kind
    org_id = current_user.organisation_id
    homes = [h for h in queries.homes_of(org_id, include_dropped=False) if h.stage == "contracted" and h.licensed_on]
    form.home_id.choices = [(0, "— 請選擇 —")] + [(h.id, f"{h.home_name}（{h.carer_name}）") for h in homes]
    this_year = clock.today().year
    form.year.choices = [(y, f"{y - 1911} 年") for y in (this_year - 1, this_year, this_year + 1)]
    form.item_travel.label.text = HOME_GRANT_ITEMS["travel"] if kind == "home" else DEVELOPMENT_GRANT_ITEMS["travel"]
    if request.method == "GET":
        form.submission_key.data = new_submission_key()
        form.year.data, form.month.data = this_year, clock.today().month
        form.home_id.data = request.args.get("home_id", 0, type=int)
    return form, {h.id: h for h in homes}


@bp.route("/grants/new", methods=["GET", "POST"])
@roles_required(roles.GUIDANCE_STAFF)
def grant_new():
    form, homes = _grant_form()
    unit = current_user.organisation
    kind = form.kind.data
    home = homes.get(form.home_id.data or 0)
    if home is None and form.home_id.data:
        # Not selectable (not contracted yet, dropped): load it so the operation can say why.
        home = db.session.execute(scoped(GuidedHome).where(GuidedHome.id == form.home_id.data,
                                                           GuidedHome.guidance_org_id == unit.id)).scalar_one_or_none()
    check = None
    if request.method == "POST" and request.form.get("preview"):
        # Live preview (htmx): recompute the caps without saving.
        form.validate()
        check = ops.grant_check(unit, kind, form.items_data(), form.year.data, form.month.data, home=home,
                                equipment_self_funded=form.equipment_self_funded.data or 0) \
            if (home or kind == "development") and not _amount_errors(form) else None
        return render("guidance/grant_form.html", block="check", form=form, check=check, home=home, kind=kind,
                      posted=False, **_eligible_months(home, form.year.data))
    if form.validate_on_submit():
        data = {"kind": kind, "home": home, "year": form.year.data, "month": form.month.data,
                "items": form.items_data(), "equipment_self_funded": form.equipment_self_funded.data,
                "description": form.description.data or None}
        try:
            grant = ops.submit_grant(current_user, unit, data, submission_key=form.submission_key.data or None)
        except ops.GrantRefused as exc:
            for field, message in exc.problems.items():
                name = {"total": None, "month": "month"}.get(field, field)
                name = name if name in form else (f"item_{field}" if f"item_{field}" in form else None)
                if name:
                    form[name].errors = list(form[name].errors) + [message]
                else:
                    flash(message, "error")
        except Refused as exc:
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(f"已送出獎助申請，申請金額 {grant.requested:,} 元。", "success")
            return redirect_to(url_for("guidance.grant", grant_id=grant.id))
    if home is not None or kind == "development":
        if not _amount_errors(form):
            check = ops.grant_check(unit, kind, form.items_data(), form.year.data or clock.today().year,
                                    form.month.data or clock.today().month, home=home,
                                    equipment_self_funded=form.equipment_self_funded.data or 0)
    return render("guidance/grant_form.html", form=form, check=check, home=home, kind=kind,
                  posted=request.method == "POST", **_eligible_months(home, form.year.data or clock.today().year))


def _eligible_months(home, year):
    """The months of `year` a home's grant may be paid for, as a line for the cap panel."""
    if home is None or not year:
        return {"eligible_months": None, "eligible_text": ""}
    months = rules.grant_eligible_months(home.licensed_on, year, first_evaluated_on=home.first_evaluated_on,
                                         window_months=grant_settings()["window_months"])
    if not months:
        text = f"此家庭於{year - 1911}年無可支付月份（取得設立許可滿二年或已完成第一次機構評鑑）"
    else:
        text = f"此家庭於{year - 1911}年可支付月份：{months[0]}–{months[-1]} 月（共 {len(months)} 個月）"
    return {"eligible_months": months, "eligible_text": text}


def _amount_errors(form):
    return any(f.errors for f in form.item_fields()) or bool(form.equipment_self_funded.errors)


@bp.route("/grants/<int:grant_id>")
@roles_required(*VIEWERS)
def grant(grant_id):
    grant = get_or_404(GrantApplication, grant_id)
    form = DecisionForm(version=grant.version)
    check = None
    if grant.status == "submitted":
        check = ops.grant_check(grant.organisation, grant.kind, grant.items, grant.year, grant.month, home=grant.home,
                                equipment_self_funded=grant.equipment_self_funded, exclude_id=grant.id)
    return render("guidance/grant.html", grant=grant, form=form, check=check,
                  can_decide=current_user.role in DECIDERS and grant.status == "submitted",
                  can_withdraw=_own_unit() and grant.organisation_id == current_user.organisation_id
                  and grant.status == "submitted")


@bp.route("/grants/<int:grant_id>/decide", methods=["POST"])
@roles_required(*DECIDERS)
def grant_decide(grant_id):
    grant = get_or_404(GrantApplication, grant_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            ops.decide_grant(current_user, grant, form.decision.data, approved_amount=form.approved_amount.data,
                             comment=form.comment.data, seen_version=form.version.data or None)
        except (StaleEdit, StaleDataError):
            _stale("此申請已被他人處理或修改，請重新檢視後再決定。")
            return redirect_to(url_for("guidance.grant", grant_id=grant_id))
        except TransitionNotAllowed as exc:
            db.session.rollback()
            flash(str(exc), "warning")
            return redirect_to(url_for("guidance.grant", grant_id=grant_id))
        except Refused as exc:
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(f"已{grant.status_label}此獎助申請。", "success")
            return redirect_to(url_for("guidance.grant", grant_id=grant_id))
    check = ops.grant_check(grant.organisation, grant.kind, grant.items, grant.year, grant.month, home=grant.home,
                            equipment_self_funded=grant.equipment_self_funded, exclude_id=grant.id)
    return render("guidance/grant.html", grant=grant, form=form, check=check, can_decide=True, can_withdraw=False)


@bp.route("/grants/<int:grant_id>/withdraw", methods=["POST"])
@roles_required(roles.GUIDANCE_STAFF)
def grant_withdraw(grant_id):
    grant = get_or_404(GrantApplication, grant_id)
    form = SettleForm()
    if form.validate_on_submit():
        try:
            ops.withdraw_grant(current_user, grant)
        except TransitionNotAllowed as exc:
            db.session.rollback()
            flash(str(exc), "warning")
        else:
            db.session.commit()
            flash("已撤回此獎助申請。", "success")
    return redirect_to(url_for("guidance.grant", grant_id=grant_id))
