"""Daily service records: one sheet per day with every client of the home, saved row by row
(htmx; a plain form post without JavaScript), and corrections of locked records."""
import uuid
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from flask import abort, flash, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal import clock
from portal.auth.access import get_or_404, require, roles_required
from portal.billing import operations as ops
from portal.billing import pricing, rules
from portal.billing import settings as billing_settings
from portal.billing.forms import CorrectionForm, DayRowForm, DecisionForm, FamilyCountForm
from portal.billing.models import CareAdmission, CorrectionRequest, HomeDay, ServiceDay, ServiceDayRevision
from portal.clients.models import Client
from portal.billing.views import DECIDERS, READERS, bp, can_edit, get_home_or_404, is_decider, parse_day
from portal.errors import Refused, StaleEdit, TransitionNotAllowed
from portal.extensions import db
from portal.htmx import is_htmx, redirect_to, render

DEFAULT_OPEN, DEFAULT_CLOSE = time(8, 0), time(17, 0)


@dataclass
class Row:
    admission: CareAdmission
    form: DayRowForm
    record: ServiceDay | None
    standing: pricing.DayStanding
    week_days: int
    errors: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    saved: bool = False

    @property
    def client(self):
        return self.admission.client


def _admissions_on(org_id, day):
    return db.session.execute(
        db.select(CareAdmission).where(CareAdmission.organisation_id == org_id, CareAdmission.admitted_on <= day,
                                       (CareAdmission.ended_on.is_(None)) | (CareAdmission.ended_on >= day))
        .join(Client, Client.id == CareAdmission.client_id).order_by(Client.name, Client.id)
        .options(contains_eager(CareAdmission.client), selectinload(CareAdmission.changes))).scalars().all()


def _week_counts(org_id, day):
    monday, sunday = rules.week_bounds(day)
    return dict(db.session.execute(
        db.select(ServiceDay.client_id, func.count(ServiceDay.id))
        .where(ServiceDay.organisation_id == org_id, ServiceDay.attended.is_(True),
               ServiceDay.day >= monday, ServiceDay.day <= sunday)
        .group_by(ServiceDay.client_id)).all())


def _row(admission, day, record, opening, week_counts, form=None, rules_in_force=None):
    if form is None:
        form = DayRowForm(prefix=f"r{admission.id}", formdata=None, meta={"csrf": False})
        if record is not None:
            for name in ops.RECORD_FIELDS:
                getattr(form, name).data = getattr(record, name)
            form.version.data = record.version
        else:
            form.start_time.data = opening.opens if opening else DEFAULT_OPEN
            form.end_time.data = opening.closes if opening else DEFAULT_CLOSE
    policy, excluded = rules_in_force or (None, None)
    return Row(admission, form, record, pricing.day_standing(admission, day, policy=policy, excluded=excluded),
               week_counts.get(admission.client_id, 0))


def _row_context(org, day):
    """What one row of the sheet needs besides the row itself (may it be edited, or corrected)."""
    today = clock.today()
    block = ops.edit_block(org.id, day, today)
    locked = rules.records_locked(day, today)
    return {"org": org, "day": day, "today": today, "edit_block": block, "locked": locked,
            "editable": can_edit(org.id) and block is None, "can_request_correction": can_edit(org.id) and locked}


def _sheet(org, day):
    """Everything the day sheet shows, and the rows keyed by admission id."""
    context = _row_context(org, day)
    opening = ops.opening_hours_on(org.id, day)
    admissions = _admissions_on(org.id, day)
    stmt = db.select(ServiceDay).filter_by(organisation_id=org.id, day=day)
    if not context["editable"]:
        # a read-only row tells who changed it last: load every row's revisions at once (no query per row)
        stmt = stmt.options(selectinload(ServiceDay.revisions).joinedload(ServiceDayRevision.changed_by))
    records = {r.client_id: r for r in db.session.execute(stmt).scalars()}
    weeks = _week_counts(org.id, day)
    in_force = (billing_settings.eligibility_policy(), billing_settings.excluded_relations())  # read once a sheet
    rows = [_row(a, day, records.get(a.client_id), opening, weeks, rules_in_force=in_force) for a in admissions]
    home_day = db.session.execute(db.select(HomeDay).filter_by(organisation_id=org.id, day=day)).scalar_one_or_none()
    attended = sum(1 for r in records.values() if r.attended)
    family = home_day.family_count if home_day else 0
    return {
        **context, "rows": rows, "opening": opening, "home_day": home_day,
        "attended": attended, "family": family, "persons": attended + family,
        "prev_day": day - timedelta(days=1), "next_day": day + timedelta(days=1),
        "family_form": FamilyCountForm(formdata=None, family_count=family, note=home_day.note if home_day else "",
                                       version=home_day.version if home_day else ""),
        "max_persons": rules.MAX_PERSONS_PER_DAY,
    }


@bp.route("/homes/<int:home_id>/days/<day>")
@roles_required(*READERS)
def day_sheet(home_id, day):
    org = get_home_or_404(home_id)
    day = parse_day(day)
    if request.args.get("go"):  # the "go to date" box: 114/3/10 or 2025-03-10
        from portal.calendar import parse_roc_date
        try:
            day = parse_roc_date(request.args["go"])
        except ValueError as exc:
            flash(str(exc), "error")
        return redirect_to(url_for("billing.day_sheet", home_id=org.id, day=day.isoformat()))
    context = _sheet(org, day)
    if request.args.get("part") == "counter":
        return render("billing/day.html", block="counter", **context)
    return render("billing/day.html", **context)


@bp.route("/homes/<int:home_id>/days/<day>/clients/<int:admission_id>", methods=["POST"])
@roles_required(*READERS)
def save_row(home_id, day, admission_id):
    org = get_home_or_404(home_id)
    day = parse_day(day)
    admission = get_or_404(CareAdmission, admission_id)
    if admission.organisation_id != org.id:
        abort(404)
    require(can_edit(org.id))
    form = DayRowForm(prefix=f"r{admission.id}", meta={"csrf": False})
    errors, notes, saved, record = [], [], False, None
    if form.validate():
        try:
            record, notes = ops.save_day_record(current_user, admission, day, form.record_data(),
                                                seen_version=form.version.data or None)
        except (StaleEdit, StaleDataError) as exc:
            db.session.rollback()
            errors.append(str(exc) if isinstance(exc, StaleEdit) else str(StaleEdit()))
        except Refused as exc:
            db.session.rollback()
            errors.append(str(exc))
            target = getattr(form, exc.field or "", None)
            if target is not None:
                target.errors = list(target.errors or []) + [str(exc)]
        else:
            db.session.commit()
            saved = True
    else:
        errors.extend(e for errs in form.errors.values() for e in errs)
    if saved:
        if is_htmx():
            opening = ops.opening_hours_on(org.id, day)
            row = _row(admission, day, record, opening, _week_counts(org.id, day))
            row.saved, row.notes = True, notes
            response = _render_row(org, day, row)
            response.headers["HX-Trigger"] = "billing-day-changed"
            return response
        name = admission.client.name
        flash(f"已儲存 {name} 的紀錄。" + ("　" + "；".join(notes) if notes else ""), "success")
        return redirect_to(url_for("billing.day_sheet", home_id=org.id, day=day.isoformat()) + f"#row-{admission.id}")
    # refused: show the row again with the person's input and the reason next to it
    context = _sheet(org, day)
    stale = any("其他人" in e for e in errors)
    target = next((r for r in context["rows"] if r.admission.id == admission.id), None)
    if target is None:  # not admitted on that day: show the row with the reason anyway
        target = _row(admission, day, None, context["opening"], {})
        context["rows"].append(target)
    if not stale:
        target.form = form
    target.errors = errors
    if is_htmx():
        return _render_row(org, day, target, context)
    return render("billing/day.html", status=422, **context)


def _render_row(org, day, row, context=None):
    from flask import make_response
    context = context or _row_context(org, day)   # not the whole sheet: the answer is one row
    html = render_template("billing/_day_row.html", row=row, **{k: v for k, v in context.items() if k != "rows"})
    return make_response(html)


@bp.route("/homes/<int:home_id>/days/<day>/family", methods=["POST"])
@roles_required(*READERS)
def save_family(home_id, day):
    org = get_home_or_404(home_id)
    day = parse_day(day)
    require(can_edit(org.id))
    form = FamilyCountForm()
    target = url_for("billing.day_sheet", home_id=org.id, day=day.isoformat())
    if form.validate_on_submit():
        try:
            ops.set_family_count(current_user, org.id, day, form.family_count.data, note=form.note.data,
                                 seen_version=form.version.data or None)
        except (StaleEdit, StaleDataError):
            db.session.rollback()
            flash(str(StaleEdit()), "error")
        except Refused as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash("已更新家托員失能家屬人數。", "success")
    else:
        flash("；".join(e for errs in form.errors.values() for e in errs), "error")
    return redirect_to(target)


# --- corrections ---------------------------------------------------------------------------------

@bp.route("/homes/<int:home_id>/days/<day>/clients/<int:admission_id>/correction", methods=["GET", "POST"])
@roles_required(*READERS)
def correction_new(home_id, day, admission_id):
    org = get_home_or_404(home_id)
    day = parse_day(day)
    admission = get_or_404(CareAdmission, admission_id)
    require(admission.organisation_id == org.id and can_edit(org.id))
    record = db.session.execute(db.select(ServiceDay).filter_by(
        organisation_id=org.id, client_id=admission.client_id, day=day)).scalar_one_or_none()
    form = CorrectionForm()
    if request.method == "GET":
        form.submission_key.data = uuid.uuid4().hex
        if record is not None:
            for name in ops.RECORD_FIELDS:
                getattr(form, name).data = getattr(record, name)
        else:
            opening = ops.opening_hours_on(org.id, day)
            form.attended.data = True
            form.start_time.data = opening.opens if opening else DEFAULT_OPEN
            form.end_time.data = opening.closes if opening else DEFAULT_CLOSE
    if form.validate_on_submit():
        try:
            correction = ops.request_correction(current_user, admission, day, form.record_data(),
                                                reason=form.reason.data, submission_key=form.submission_key.data)
        except Refused as exc:
            db.session.rollback()
            getattr(form, exc.field or "reason", form.reason).errors.append(str(exc))
        else:
            db.session.commit()
            flash("已送出更正申請，待衛生局核准後更正紀錄。", "success")
            return redirect_to(url_for("billing.correction", correction_id=correction.id))
    return render("billing/correction_form.html", org=org, day=day, admission=admission, record=record, form=form)


@bp.route("/corrections")
@roles_required(*READERS)
def corrections():
    status = request.args.get("status", "submitted")
    stmt = db.select(CorrectionRequest).where(CorrectionRequest.visible_to(current_user))
    if status in ("submitted", "approved", "rejected", "withdrawn"):
        stmt = stmt.where(CorrectionRequest.status == status)
    rows = db.session.execute(stmt.order_by(CorrectionRequest.requested_at.desc()).limit(200)
                              .options(joinedload(CorrectionRequest.organisation),   # each row names both:
                                       joinedload(CorrectionRequest.client))).scalars().all()  # no query per row
    return render("billing/corrections.html", rows=rows, selected=status)


@bp.route("/corrections/<int:correction_id>", methods=["GET", "POST"])
@roles_required(*READERS)
def correction(correction_id):
    correction = get_or_404(CorrectionRequest, correction_id)
    form = DecisionForm()
    if request.method == "GET":
        form.version.data = correction.version
    if request.method == "POST":
        # Only the bureau's deciders and the home's own staff act here; readers (the chief, care
        # managers, the guidance unit: seed 003 §十五(四)) are refused whatever the action.
        require(is_decider() or can_edit(correction.organisation_id))
        action = request.form.get("action")
        try:
            if action in ("approve", "reject"):
                require(is_decider())
                if not form.validate_on_submit():
                    raise Refused("表單已過期，請重新整理。", field="note")
                ops.decide_correction(current_user, correction, approve=action == "approve", note=form.note.data,
                                      seen_version=form.version.data)
            elif action == "withdraw":
                require(can_edit(correction.organisation_id))
                ops.withdraw_correction(current_user, correction, seen_version=request.form.get("version"))
            else:
                raise Refused("未知的操作。")
        except (StaleEdit, StaleDataError):
            db.session.rollback()
            flash("此更正申請已被其他人更新，請重新檢視後再決定。", "error")
        except TransitionNotAllowed as exc:
            db.session.rollback()
            flash(str(exc), "error")
        except Refused as exc:
            db.session.rollback()
            if exc.field == "note":
                form.note.errors.append(str(exc))
                return render("billing/correction.html", correction=correction, form=form, status=422,
                              can_decide=is_decider() and correction.status == "submitted")
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash({"approve": "已核准並更正紀錄。", "reject": "已不予核准。", "withdraw": "已撤回更正申請。"}[action],
                  "success")
        return redirect_to(url_for("billing.correction", correction_id=correction.id))
    return render("billing/correction.html", correction=correction, form=form,
                  can_decide=is_decider() and correction.status == "submitted")


# the deciders' list lives in the review queue; keep the name importable for templates
CORRECTION_DECIDERS = DECIDERS
