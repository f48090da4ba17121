"""Carer compliance (seed 003 §十四(二)) and opening hours (§十四(一)): carers, annual health
checks, CPR/CPCR/BLS certificates, staff changes filed 30 days ahead, the opening-hours filing."""
from datetime import timedelta

from flask import flash, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from portal import clock
from portal.auth.access import get_or_404, require, roles_required
from portal.billing import operations as ops
from portal.billing import rules
from portal.billing.compliance import carer_status, compliance_items
from portal.billing.forms import (CarerForm, CertificateForm, DecisionForm, HealthCheckForm, OpeningHoursForm,
                                  StaffChangeForm)
from portal.billing.models import Carer, OpeningHoursFiling, StaffChange
from portal.billing.settings import EXPIRY_WINDOW
from portal.billing.views import READERS, bp, can_edit, get_home_or_404, is_decider, readable_home_ids
from portal.errors import Refused, StaleEdit, TransitionNotAllowed
from portal.extensions import db
from portal.htmx import redirect_to, render
from portal.orgs.models import Organisation
from portal.settings.registry import get_setting


def _field_error(form, exc):
    target = getattr(form, getattr(exc, "field", None) or "", None)
    if target is not None:
        target.errors = list(target.errors or []) + [str(exc)]
    else:
        flash(str(exc), "error")


@bp.route("/compliance")
@roles_required(*READERS)
def compliance_overview():
    """Every readable home's items that are missing, overdue or expire within the window."""
    today = clock.today()
    homes = {o.id: o for o in db.session.execute(db.select(Organisation).where(
        Organisation.id.in_(readable_home_ids())).order_by(Organisation.name)).scalars()}
    items = compliance_items(homes.keys(), today) if homes else []
    return render("billing/compliance_overview.html", homes=homes, items=items, today=today,
                  window=get_setting(EXPIRY_WINDOW.key))


@bp.route("/homes/<int:home_id>/compliance")
@roles_required(*READERS)
def compliance(home_id):
    org = get_home_or_404(home_id)
    today = clock.today()
    window = int(get_setting(EXPIRY_WINDOW.key))
    carers = db.session.execute(db.select(Carer).filter_by(organisation_id=org.id)
                                .order_by(Carer.ended_on.is_not(None), Carer.role, Carer.name)).scalars().all()
    changes = db.session.execute(db.select(StaffChange).filter_by(organisation_id=org.id)
                                 .order_by(StaffChange.submitted_on.desc())).scalars().all()
    filings = db.session.execute(db.select(OpeningHoursFiling).filter_by(organisation_id=org.id)
                                 .order_by(OpeningHoursFiling.submitted_at.desc())).scalars().all()
    return render("billing/compliance.html", org=org, carers=carers, changes=changes, filings=filings,
                  carer_states={c.id: carer_status(c, today, window) for c in carers}, today=today, window=window,
                  items=compliance_items([org.id], today), opening=ops.opening_hours_on(org.id, today),
                  rules=rules)


@bp.route("/homes/<int:home_id>/carers/new", methods=["GET", "POST"])
@bp.route("/carers/<int:carer_id>/edit", methods=["GET", "POST"], endpoint="carer_edit")
@roles_required(*READERS)
def carer_new(home_id=None, carer_id=None):
    carer = get_or_404(Carer, carer_id) if carer_id else None
    org = get_home_or_404(carer.organisation_id if carer else home_id)
    require(can_edit(org.id))
    form = CarerForm(obj=carer)
    if request.method == "GET" and carer is not None:
        form.version.data = carer.version
    if form.validate_on_submit():
        data = {f: getattr(form, f).data for f in ops.CARER_FIELDS}
        try:
            carer = ops.save_carer(current_user, org.id, carer, data, seen_version=form.version.data or None)
        except (StaleEdit, StaleDataError):
            db.session.rollback()
            flash(str(StaleEdit()), "error")
        else:
            db.session.commit()
            flash(f"已儲存 {carer.name} 的資料。", "success")
            return redirect_to(url_for("billing.carer", carer_id=carer.id))
    return render("billing/carer_form.html", org=org, carer=carer, form=form)


@bp.route("/carers/<int:carer_id>", methods=["GET", "POST"])
@roles_required(*READERS)
def carer(carer_id):
    carer = get_or_404(Carer, carer_id)
    org = carer.organisation_id
    health_form = HealthCheckForm(prefix="h")
    cert_form = CertificateForm(prefix="c")
    if request.method == "POST":
        require(can_edit(org))
        which = request.form.get("record")
        try:
            if which == "health" and health_form.validate_on_submit():
                items = {key: getattr(health_form, f"item_{key}").data for key, _ in rules.HEALTH_CHECK_ITEMS}
                ops.record_health_check(current_user, carer, checked_on=health_form.checked_on.data,
                                        items={k: v for k, v in items.items() if v},
                                        finding_route=health_form.finding_route.data or None,
                                        finding_note=health_form.finding_note.data,
                                        clearance_on=health_form.clearance_on.data)
            elif which == "certificate" and cert_form.validate_on_submit():
                ops.record_certificate(current_user, carer, kind=cert_form.kind.data, number=cert_form.number.data,
                                       issued_on=cert_form.issued_on.data, expires_on=cert_form.expires_on.data)
            else:
                raise Refused("")
        except Refused as exc:
            db.session.rollback()
            if str(exc):
                _field_error(health_form if which == "health" else cert_form, exc)
        else:
            db.session.commit()
            flash("已登錄。", "success")
            return redirect_to(url_for("billing.carer", carer_id=carer.id))
    today = clock.today()
    return render("billing/carer.html", carer=carer, org=carer.organisation_id, health_form=health_form,
                  cert_form=cert_form, today=today, items=carer_status(carer, today, int(get_setting(EXPIRY_WINDOW.key))),
                  labels=dict(rules.HEALTH_CHECK_ITEMS), health_due=rules.health_check_due,
                  status=422 if request.method == "POST" else 200)


@bp.route("/homes/<int:home_id>/staff-changes/new", methods=["GET", "POST"])
@roles_required(*READERS)
def staff_change_new(home_id):
    org = get_home_or_404(home_id)
    require(can_edit(org.id))
    form = StaffChangeForm()
    carers = db.session.execute(db.select(Carer).filter_by(organisation_id=org.id, ended_on=None)
                                .order_by(Carer.name)).scalars().all()
    form.person_out_id.choices = [(0, "— 無 —")] + [(c.id, f"{c.name}（{c.role_label}）") for c in carers]
    today = clock.today()
    if form.validate_on_submit():
        person_out = next((c for c in carers if c.id == form.person_out_id.data), None)
        try:
            change = ops.submit_staff_change(current_user, org.id, kind=form.kind.data, person_out=person_out,
                                             person_in_name=form.person_in_name.data,
                                             person_in_role=form.person_in_role.data,
                                             effective_on=form.effective_on.data, reason=form.reason.data, today=today)
        except Refused as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            db.session.commit()
            flash("已送出人事異動，待衛生局核准後方可異動。", "success")
            return redirect_to(url_for("billing.staff_change", staff_change_id=change.id))
    return render("billing/staff_change_form.html", org=org, form=form, today=today,
                  earliest=today + timedelta(days=rules.STAFF_CHANGE_NOTICE_DAYS))


@bp.route("/staff-changes/<int:staff_change_id>", methods=["GET", "POST"])
@roles_required(*READERS)
def staff_change(staff_change_id):
    change = get_or_404(StaffChange, staff_change_id)
    form = DecisionForm()
    if request.method == "GET":
        form.version.data = change.version
    if request.method == "POST":
        require(is_decider() or can_edit(change.organisation_id))  # readers never act (§十五(四))
        action = request.form.get("action")
        try:
            if action in ("approve", "reject"):
                require(is_decider())
                form.validate_on_submit()
                ops.decide_staff_change(current_user, change, approve=action == "approve", note=form.note.data,
                                        seen_version=form.version.data)
            elif action == "withdraw":
                require(can_edit(change.organisation_id))
                ops.withdraw_staff_change(current_user, change, seen_version=request.form.get("version"))
            else:
                raise Refused("未知的操作。")
        except (StaleEdit, StaleDataError):
            db.session.rollback()
            flash("此人事異動已被其他人更新，請重新檢視。", "error")
        except (TransitionNotAllowed, Refused) as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash({"approve": "已核准人事異動。", "reject": "已不予核准。", "withdraw": "已撤回。"}[action], "success")
        return redirect_to(url_for("billing.staff_change", staff_change_id=change.id))
    return render("billing/staff_change.html", change=change, form=form,
                  can_decide=is_decider() and change.status == "submitted")


@bp.route("/homes/<int:home_id>/opening-hours", methods=["GET", "POST"])
@roles_required(*READERS)
def opening_hours(home_id):
    org = get_home_or_404(home_id)
    form = OpeningHoursForm()
    if request.method == "GET":
        form.effective_from.data = clock.today()
    if request.method == "POST":
        require(can_edit(org.id))
        if form.validate_on_submit():
            try:
                ops.file_opening_hours(current_user, org.id, weekdays="".join(form.weekdays.data or []),
                                       opens=form.opens.data, closes=form.closes.data,
                                       effective_from=form.effective_from.data)
            except Refused as exc:
                db.session.rollback()
                _field_error(form, exc)
            else:
                db.session.commit()
                flash("已送出收托時間報備，待衛生局備查。", "success")
                return redirect_to(url_for("billing.opening_hours", home_id=org.id))
    filings = db.session.execute(db.select(OpeningHoursFiling).filter_by(organisation_id=org.id)
                                 .order_by(OpeningHoursFiling.submitted_at.desc())).scalars().all()
    return render("billing/opening_hours.html", org=org, form=form, filings=filings,
                  current=ops.opening_hours_on(org.id, clock.today()), editable=can_edit(org.id),
                  decision_form=DecisionForm(formdata=None))


@bp.route("/opening-hours/<int:filing_id>/decide", methods=["POST"])
@roles_required(*READERS)
def opening_hours_decide(filing_id):
    filing = get_or_404(OpeningHoursFiling, filing_id)
    require(is_decider())
    form = DecisionForm()
    form.validate_on_submit()
    try:
        ops.decide_opening_hours(current_user, filing, accept=request.form.get("action") == "accept",
                                 note=form.note.data or "", seen_version=form.version.data or None)
    except (StaleEdit, StaleDataError):
        db.session.rollback()
        flash("此報備已被其他人更新，請重新檢視。", "error")
    except (TransitionNotAllowed, Refused) as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("已備查收托時間。" if filing.status == "filed" else "已退回收托時間報備。", "success")
    back = request.form.get("next") or ""
    if not back.startswith("/") or back.startswith("//"):  # only our own pages
        back = url_for("billing.opening_hours", home_id=filing.organisation_id)
    return redirect_to(back)
