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


# --- the letters behind the filings (forms-and-pdfs.md §8) ---------------------------------------------

def _letter(org, **context):
    from portal.pdf import pdf_response
    return pdf_response("pdf/billing_filing_letter.html", f"{context['title']}-{org.name}.pdf", org=org, **context)


@bp.route("/staff-changes/<int:staff_change_id>/letter.pdf")
@roles_required(*READERS)
def staff_change_letter_pdf(staff_change_id):
    """人事異動函: filed at least 30 days before the change and approved by the bureau (§十四(二)5)."""
    from portal.filters import roc
    change = get_or_404(StaffChange, staff_change_id)
    out = change.person_out
    rows = [("異動類別", change.kind_label), ("生效日期", roc(change.effective_on))]
    if out is not None:
        rows.append(("異動（離職）人員", f"{out.name}（{out.role_label}"
                     + (f"，長照人員登錄 {out.registration_no}" if out.registration_no else "") + "）"))
    if change.person_in_name:
        from portal.billing.models import CARER_ROLE_LABELS
        rows.append(("新任人員", change.person_in_name + (f"（{CARER_ROLE_LABELS.get(change.person_in_role, '')}）"
                                                       if change.person_in_role else "")))
    effective = f"{change.effective_on.year - 1911}年{change.effective_on.month}月{change.effective_on.day}日"
    items = [f"依{county_name()}家庭托顧服務實施計畫第十四點(二)5 規定：「人事異動應於事實發生前三十日函文本局核准，方可異動。」"
             f"本案預定生效日為{effective}，本函於{roc(change.submitted_on)}送出。",
             "異動內容如下：",
             f"異動原因：{change.reason}"]
    attachments = None
    if change.person_in_name:
        items.append("新任人員之長照人員登錄資料、CPR／CPCR／BLS 有效期限內之完訓證明及年度健康檢查紀錄影本如附件。")
        attachments = "新任人員資格、急救訓練證明及健康檢查紀錄影本"
    status = {"approved": "衛生局已核准", "rejected": "衛生局不予核准", "withdrawn": "單位已撤回"}.get(change.status)
    if status and change.decided_at:
        from portal.filters import roc_dt
        status += f"（{roc_dt(change.decided_at)}）" + (f"：{change.decision_note}" if change.decision_note else "")
    return _letter(change.organisation, title="人事異動函", letter_date=change.submitted_on,
                   subject=f"本單位擬自{effective}起辦理家庭托顧人員異動（{change.kind_label}），請　核准。",
                   items=items, rows=rows, table_after=1, attachments=attachments, status_text=status,
                   record_ref=f"人事異動 {change.id}", version=change.version)


@bp.route("/opening-hours/<int:filing_id>/letter.pdf")
@roles_required(*READERS)
def opening_hours_letter_pdf(filing_id):
    """收托時間備查: the opening hours filed with the bureau before service (§十四(一), R-CAPF-03)."""
    from portal.filters import roc
    filing = get_or_404(OpeningHoursFiling, filing_id)
    org = db.session.get(Organisation, filing.organisation_id)
    hours = rules.hours_between(filing.opens, filing.closes)
    rows = [("收托日", filing.weekdays_label), ("收托時間", f"{filing.opens:%H:%M}～{filing.closes:%H:%M}"),
            ("每日時數", f"{rules._fmt_hours(hours)} 小時"), ("實施日期", roc(filing.effective_from))]
    items = [f"依{county_name()}家庭托顧服務實施計畫第十四點(一)規定：「每日服務人數含家托員之失能家屬不得超過四人；"
             "除失能家屬外，每週五天，以十小時為原則，至多十二小時，收托時間需事前報本局備查。」",
             "本單位收托時間如下：",
             "實施後如有變更，將另行函報。"]
    submitted = filing.submitted_at.astimezone(clock.TAIPEI).date()
    status = {"filed": "衛生局已備查", "rejected": "衛生局退回", "superseded": "已由較新之報備取代"}.get(filing.status)
    if status and filing.decided_at:
        from portal.filters import roc_dt
        status += f"（{roc_dt(filing.decided_at)}）" + (f"：{filing.decision_note}" if filing.decision_note else "")
    return _letter(org, title="收托時間報備函", letter_date=submitted,
                   subject=f"檢送本單位自{roc(filing.effective_from)}起之收托時間，請　備查。",
                   items=items, rows=rows, table_after=1, attachments=None, status_text=status,
                   record_ref=f"收托時間 {filing.id}", version=filing.version)


def county_name():
    from portal.settings.operations import county_profile
    return county_profile().county_name
