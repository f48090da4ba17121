"""Audit rounds (查核梯次): the bureau plans rounds, assigns auditors and units (issue 4 §2)."""
from flask import flash, request, url_for
from flask_login import current_user

from portal import clock
from portal.audits import operations as ops
from portal.audits.forms import CancelAuditForm, RoundForm, ScheduleForm
from portal.audits.models import Audit, AuditRound
from portal.audits.queries import unit_standings
from portal.audits.views import ASSIGNABLE_ROLES, AUDIT_MANAGERS, bp, field_error
from portal.auth import roles
from portal.auth.access import get_or_404, roles_required
from portal.auth.models import User
from portal.errors import Refused, TransitionNotAllowed
from portal.extensions import db
from portal.htmx import redirect_to, render
from portal.orgs.models import Organisation


@bp.route("/rounds/new", methods=["GET", "POST"])
@roles_required(*AUDIT_MANAGERS)
def round_new():
    form = RoundForm()
    if request.method == "GET":
        today = clock.today()
        n = db.session.execute(db.select(db.func.count()).select_from(AuditRound).where(
            AuditRound.starts_on >= today.replace(month=1, day=1))).scalar() + 1
        form.title.data = f"{today.year - 1911}年第{n}次查核"
    if form.validate_on_submit():
        try:
            round_ = ops.create_round(current_user, title=form.title.data, starts_on=form.starts_on.data,
                                      ends_on=form.ends_on.data, notes=form.notes.data)
        except Refused as exc:
            field_error(form, exc)
        else:
            db.session.commit()
            flash("已建立查核梯次，請排入受查單位與委員。", "success")
            return redirect_to(url_for("audits.round_show", round_id=round_.id))
    return render("audits/round_new.html", form=form)


def _schedule_form(round_):
    form = ScheduleForm()
    units = db.session.execute(db.select(Organisation).where(
        Organisation.kind.in_((roles.A_UNIT, roles.B_UNIT)), Organisation.active)
        .order_by(Organisation.kind, Organisation.name)).scalars().all()
    taken = {a.organisation_id for a in round_.audits if a.status != "cancelled"}
    form.organisation_id.choices = [(0, "— 請選擇 —")] + [
        (u.id, f"{u.name}（{u.kind_label.split('（')[0]}{'・' + u.subtype_label if u.subtype else ''}）")
        for u in units if u.id not in taken]
    auditors = db.session.execute(db.select(User).where(User.role.in_(ASSIGNABLE_ROLES), User.active)
                                  .order_by(User.role, User.full_name)).scalars().all()
    form.lead_id.choices = [(0, "— 請選擇 —")] + [(u.id, f"{u.full_name}（{u.job_title or u.role_label}）") for u in auditors]
    form.other_ids.choices = [(u.id, f"{u.full_name}（{u.job_title or u.role_label}）") for u in auditors]
    if request.method == "GET":
        form.scheduled_on.data = max(round_.starts_on, min(clock.today(), round_.ends_on))
    return form, units


@bp.route("/rounds/<int:round_id>", methods=["GET", "POST"])
@roles_required(*AUDIT_MANAGERS)
def round_show(round_id):
    round_ = get_or_404(AuditRound, round_id)
    form, units = _schedule_form(round_)
    if form.validate_on_submit():
        org = db.session.get(Organisation, form.organisation_id.data)
        lead = db.session.get(User, form.lead_id.data)
        others = [u for u in (db.session.get(User, i) for i in form.other_ids.data or []) if u is not None]
        allowed = {c for c, _ in form.lead_id.choices}
        if org is None or org.kind not in (roles.A_UNIT, roles.B_UNIT):
            form.organisation_id.errors.append("請選擇受查單位")
        elif lead is None or lead.id not in allowed or any(u.id not in allowed for u in others):
            form.lead_id.errors.append("請選擇委員")
        else:
            try:
                audit = ops.schedule_audit(current_user, org, scheduled_on=form.scheduled_on.data, lead=lead,
                                           others=others, round_=round_, audit_type=form.audit_type.data)
            except Refused as exc:
                field_error(form, exc)
            else:
                db.session.commit()
                flash(f"已排定 {org.display_name} 於 {audit.scheduled_on.year - 1911}年{audit.scheduled_on.month}月"
                      f"{audit.scheduled_on.day}日查核（{audit.template_version.template.title}・"
                      f"{audit.template_version.label}）。", "success")
                return redirect_to(url_for("audits.round_show", round_id=round_.id))
    standings = unit_standings([a.organisation_id for a in round_.audits])
    return render("audits/round.html", round=round_, form=form, standings=standings, today=clock.today(),
                  cancel_form=CancelAuditForm())


@bp.route("/<int:audit_id>/cancel", methods=["POST"])
@roles_required(*AUDIT_MANAGERS)
def cancel(audit_id):
    audit = get_or_404(Audit, audit_id)
    form = CancelAuditForm()
    try:
        ops.cancel_audit(current_user, audit, form.reason.data or "")
    except (Refused, TransitionNotAllowed) as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("已取消此次查核。", "success")
    if audit.round_id:
        return redirect_to(url_for("audits.round_show", round_id=audit.round_id))
    return redirect_to(url_for("audits.show", audit_id=audit.id))
