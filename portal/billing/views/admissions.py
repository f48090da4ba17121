"""Admissions (收托): eligibility at admission, the carer relationship, subsidy changes, the client file."""
from flask import abort, flash, request, url_for
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.orm.exc import StaleDataError

from portal import clock
from portal.auth.access import get_or_404, require, roles_required
from portal.billing import operations as ops
from portal.billing import pricing, rules
from portal.billing import settings as billing_settings
from portal.billing.forms import AdmissionForm, EndAdmissionForm, SubsidyChangeForm
from portal.billing.models import CHANGE_FIELD_LABELS, CareAdmission, ServiceDay, SubsidyChange
from portal.billing.views import READERS, bp, can_edit, get_home_or_404, is_decider
from portal.clients.models import Client
from portal.errors import Refused, StaleEdit, TransitionNotAllowed
from portal.extensions import db
from portal.htmx import redirect_to, render


def _candidates(org_id):
    admitted = db.select(CareAdmission.client_id).where(CareAdmission.organisation_id == org_id,
                                                        CareAdmission.ended_on.is_(None))
    return db.session.execute(
        db.select(Client).where(Client.id.in_(ops.home_client_ids(org_id)), Client.id.not_in(admitted))
        .order_by(Client.name)).scalars().all()


def _admission_form(admission=None, candidates=()):
    form = AdmissionForm(obj=admission)
    allowances = billing_settings.allowances()
    form.special_allowance.choices = [("", "無")] + [(a, a) for a in allowances]
    if admission is not None:
        form.client_id.choices = [(admission.client_id, admission.client.name)]
        if admission.special_allowance and admission.special_allowance not in allowances:
            form.special_allowance.choices.append((admission.special_allowance, admission.special_allowance))
        if request.method == "GET":
            form.version.data = admission.version
            form.cms_level.data = admission.cms_level or 0
            form.special_allowance.data = admission.special_allowance or ""
            form.health_check_items.data = list(admission.health_check_items or [])
    else:
        form.client_id.choices = [(0, "— 請選擇 —")] + [(c.id, f"{c.name}（{c.masked_id}）") for c in candidates]
        if request.method == "GET":
            form.admitted_on.data = clock.today()
            chosen = request.args.get("client_id", type=int)
            client = next((c for c in candidates if c.id == chosen), None)
            if client is not None:  # start from the client's file
                form.client_id.data = client.id
                form.welfare_status.data = client.welfare_status
                form.cms_level.data = client.cms_level or 0
    return form


def _check_result(form, client):
    if client is None or form.admitted_on.data is None:
        return None
    result, family = ops.admission_check(client, form.admission_data(), form.admitted_on.data)
    return {"result": result, "family": family}


@bp.route("/homes/<int:home_id>/admissions/new", methods=["GET", "POST"])
@roles_required(*READERS)
def admission_new(home_id):
    org = get_home_or_404(home_id)
    require(can_edit(org.id))
    candidates = _candidates(org.id)
    form = _admission_form(None, candidates)
    client = next((c for c in candidates if c.id == form.client_id.data), None)
    check = None
    if request.method == "POST":
        valid = form.validate()
        if client is None and form.client_id.data:
            form.client_id.errors.append("此個案不在本單位的派案名單中。")
            valid = False
        check = _check_result(form, client) if valid else None
        if valid and request.form.get("check"):
            return render("billing/admission_form.html", block="eligibility", form=form, org=org, check=check,
                          admission=None, candidates=candidates)
        if valid:
            try:
                admission = ops.admit_client(current_user, org.id, client, form.admission_data())
            except Refused as exc:
                getattr(form, exc.field or "client_id").errors.append(str(exc))
            else:
                db.session.commit()
                flash(f"已收托 {client.name}。{admission.eligibility_summary}", "success")
                return redirect_to(url_for("billing.admission", admission_id=admission.id))
    return render("billing/admission_form.html", block="eligibility", form=form, org=org, check=check,
                  admission=None, candidates=candidates)


@bp.route("/admissions/<int:admission_id>")
@roles_required(*READERS)
def admission(admission_id):
    admission = get_or_404(CareAdmission, admission_id)
    today = clock.today()
    standing = pricing.day_standing(admission, min(today, admission.ended_on or today))
    months = db.session.execute(
        db.select(ServiceDay.day).filter_by(admission_id=admission.id, attended=True).order_by(ServiceDay.day)
    ).scalars().all()
    by_month = {}
    for d in months:
        by_month.setdefault(rules.month_start(d), []).append(d)
    last = months[-1] if months else None
    family = rules.carer_family_exclusion(admission.carer_relation or "none", billing_settings.excluded_relations())
    return render("billing/admission.html", admission=admission, client=admission.client, standing=standing,
                  by_month=by_month, family=family, end_form=EndAdmissionForm(version=admission.version),
                  relation=rules.RELATIONS_BY_KEY.get(admission.carer_relation),
                  retained_until=rules.client_file_retained_until(admission.ended_on, last), last_service=last,
                  can_record_change=can_edit(admission.organisation_id) or is_decider(),
                  client_differs=admission.client.welfare_status != standing.facts.get("welfare_status"),
                  change_labels=CHANGE_FIELD_LABELS)


@bp.route("/admissions/<int:admission_id>/edit", methods=["GET", "POST"])
@roles_required(*READERS)
def admission_edit(admission_id):
    admission = get_or_404(CareAdmission, admission_id)
    require(can_edit(admission.organisation_id))
    form = _admission_form(admission)
    check = None
    if form.validate_on_submit():
        check = _check_result(form, admission.client)
        if request.form.get("check"):
            return render("billing/admission_form.html", block="eligibility", form=form, org=admission.organisation,
                          check=check, admission=admission, candidates=[])
        try:
            ops.update_admission(current_user, admission, form.admission_data(), seen_version=form.version.data)
        except (StaleEdit, StaleDataError):
            db.session.rollback()
            flash(str(StaleEdit()), "error")
        except (Refused, TransitionNotAllowed) as exc:
            db.session.rollback()
            target = getattr(form, getattr(exc, "field", None) or "", None)
            (target.errors.append(str(exc)) if target is not None else flash(str(exc), "error"))
        else:
            db.session.commit()
            flash("收托資料已更新。", "success")
            return redirect_to(url_for("billing.admission", admission_id=admission.id))
    return render("billing/admission_form.html", block="eligibility", form=form, org=admission.organisation,
                  check=check, admission=admission, candidates=[], has_records=ops.has_records(admission))


@bp.route("/admissions/<int:admission_id>/end", methods=["POST"])
@roles_required(*READERS)
def admission_end(admission_id):
    admission = get_or_404(CareAdmission, admission_id)
    require(can_edit(admission.organisation_id))
    form = EndAdmissionForm()
    if form.validate_on_submit():
        try:
            ops.end_admission(current_user, admission, ended_on=form.ended_on.data, reason=form.reason.data,
                              seen_version=form.version.data)
        except (StaleEdit, StaleDataError):
            db.session.rollback()
            flash(str(StaleEdit()), "error")
        except (Refused, TransitionNotAllowed) as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash("已結束收托；紀錄依規定保存。", "success")
    else:
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
    return redirect_to(url_for("billing.admission", admission_id=admission.id))


@bp.route("/admissions/<int:admission_id>/changes/new", methods=["GET", "POST"])
@roles_required(*READERS)
def change_new(admission_id):
    admission = get_or_404(CareAdmission, admission_id)
    require(can_edit(admission.organisation_id) or is_decider())
    field = request.args.get("field") or request.form.get("field")
    if field is not None and field not in CHANGE_FIELD_LABELS:
        abort(404)
    form = SubsidyChangeForm()
    form.allowance.choices = [(a, a) for a in billing_settings.allowances()] + [("", "無（已解除）")]
    if request.method == "GET":
        form.notified_on.data = clock.today()
    if field and form.validate_on_submit():
        value = {"welfare_status": form.welfare_status.data, "cms_level": form.cms_level.data,
                 "monthly_quota": form.monthly_quota.data, "institutional_placement": form.flag.data == "1",
                 "foreign_caregiver": form.flag.data == "1", "special_allowance": form.allowance.data}[field]
        try:
            change = ops.record_subsidy_change(current_user, admission, field=field, value=value,
                                               fact_date=form.fact_date.data, notified_on=form.notified_on.data,
                                               evidence=form.evidence.data)
        except Refused as exc:
            db.session.rollback()
            target = {"value": _value_field(form, field)}.get(exc.field) or getattr(form, exc.field or "", None)
            (target.errors.append(str(exc)) if target is not None else flash(str(exc), "error"))
        except TransitionNotAllowed as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            message = f"已登錄{change.field_label}，自 {rules._roc(change.fact_date)} 起生效。"
            if change.overpaid:
                message += f" 已申報月份溢領 {change.overpaid:,} 元，將於下次申報扣回。"
            if change.underpaid:
                message += f" 已申報月份少領 {change.underpaid:,} 元，將於下次申報補報。"
            flash(message, "success")
            return redirect_to(url_for("billing.admission", admission_id=admission.id))
    return render("billing/change_form.html", admission=admission, form=form, change_field=field,
                  labels=CHANGE_FIELD_LABELS, value_field=_value_field(form, field) if field else None,
                  facts=pricing.facts_for(admission, clock.today()))


def _value_field(form, field):
    return {"welfare_status": form.welfare_status, "cms_level": form.cms_level, "monthly_quota": form.monthly_quota,
            "institutional_placement": form.flag, "foreign_caregiver": form.flag,
            "special_allowance": form.allowance}.get(field)


@bp.route("/changes/<int:change_id>/cancel", methods=["POST"])
@roles_required(*READERS)
def change_cancel(change_id):
    change = get_or_404(SubsidyChange, change_id)
    require(can_edit(change.organisation_id) or is_decider())
    try:
        ops.cancel_subsidy_change(current_user, change, reason=request.form.get("reason", ""))
    except (Refused, TransitionNotAllowed) as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("已撤銷此筆補助條件異動。", "success")
    return redirect_to(url_for("billing.admission", admission_id=change.admission_id))


@bp.route("/admissions/<int:admission_id>/file.pdf")
@roles_required(*READERS)
def client_file_pdf(admission_id):
    """The case-management record book (個案管理紀錄本, §十四(四)2–3): the client's file and every
    daily record in date order with its revisions."""
    from portal.pdf import pdf_response
    admission = get_or_404(CareAdmission, admission_id)
    records = db.session.execute(db.select(ServiceDay).filter_by(admission_id=admission.id)
                                 .order_by(ServiceDay.day)).scalars().all()
    today = clock.today()
    standing = pricing.day_standing(admission, min(today, admission.ended_on or today))
    last = max((r.day for r in records if r.attended), default=None)
    revisions = sum(len(r.revisions) for r in records)
    return pdf_response("pdf/billing_client_file.html", f"個案管理紀錄本-{admission.client.name}.pdf",
                        admission=admission, client=admission.client, records=records, facts=standing.facts,
                        standing=standing, relation=rules.RELATIONS_BY_KEY.get(admission.carer_relation),
                        retained_until=rules.client_file_retained_until(admission.ended_on, last),
                        record_ref=f"收托 {admission.id}", version=revisions or 1,
                        attended=sum(1 for r in records if r.attended))


def months_with_records(admission_id):
    return db.session.execute(db.select(func.count(ServiceDay.id)).filter_by(admission_id=admission_id)).scalar_one()
