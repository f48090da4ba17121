"""Result reports (成果報告): list, section-by-section editor, photos, submission, review, PDF, ZIP (a job)."""
from datetime import date

from flask import Blueprint, abort, current_app, flash, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import case, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from portal import calendar, clock
from portal.auth import roles
from portal.auth.access import get_or_404, require, roles_required, scoped
from portal.dashboard.registry import ActionItem, action_source, queue_item
from portal.errors import PortalError, Refused, StaleEdit, TransitionNotAllowed
from portal.extensions import db
from portal.htmx import is_htmx, redirect_to, render
from portal.nav import register_nav
from portal.orgs.models import Organisation, overseen_org_ids
from portal.orgs.standing import unit_summary
from portal.reports import demo  # noqa: F401  (registers the demo seeder)
from portal.reports import operations as ops
from portal.reports import exports, queries, rules
from portal.reports.document import course_months, normalise, overridden, report_document, satisfaction
from portal.reports.forms import (SECTION_FORMS, CommentForm, NotRequiredForm, OverrideForm, PhotoForm, ReceiptDateForm,
                                  ReturnForm)
from portal.reports.labels import (BREAKDOWN_GROUPS, COL_LABELS, ROW_LABELS, SATISFACTION_LEVELS, disability_label,
                                   figure_label, item_label, month_label)
from portal.reports.models import (ACCEPTED, NOT_REQUIRED, RETURNED, SECTION_KEYS, SECTION_TITLES, SECTIONS,
                                   STATE_BADGES, STATE_LABELS, SUBMITTED, ReportPhoto, ReportSubmission,
                                   ResultReport)
from portal.reports.photos import photo_path, remove_files, store_photo
from portal.reports.settings import CUTOFF_TIME, current_rules
from portal.settings.operations import county_profile, office_calendar
from portal.settings.registry import get_setting

bp = Blueprint("reports", __name__)

BUREAU_READERS = (roles.ADMIN, roles.BUREAU_OFFICER, roles.BUREAU_CHIEF)
REVIEWERS = (roles.BUREAU_OFFICER, roles.BUREAU_CHIEF)
UNIT_EDITORS = (roles.B_HEAD, roles.B_STAFF)
SUBMITTERS = (roles.B_HEAD,)   # the unit head submits; never a guidance unit (seed 003 §十五(四))
COMMENTERS = REVIEWERS + (roles.GUIDANCE_STAFF,)
READERS = BUREAU_READERS + UNIT_EDITORS + (roles.GUIDANCE_STAFF,)
register_nav("成果報告", "reports.index", READERS, order=60)


# --- helpers --------------------------------------------------------------------

def _check_year(year: int) -> int:
    if not 2000 <= year <= 2100:
        abort(404)
    return year


def default_year(today: date) -> int:
    """The service year whose report is being filed now: last year's."""
    return today.year - 1


def due_date(year: int) -> date:
    return rules.result_report_due(year, cal=office_calendar())


def deadline(year: int):
    return rules.result_report_deadline(year, rules.parse_cutoff(get_setting(CUTOFF_TIME.key)), clock.TAIPEI,
                                        cal=office_calendar())


def _is_family_care(org) -> bool:
    return org is not None and org.kind == roles.B_UNIT and org.subtype == "family_care"


def _own(report) -> bool:
    return current_user.organisation_id == report.organisation_id


def can_edit(report) -> bool:
    return current_user.role in UNIT_EDITORS and _own(report) and report.editable


def can_submit(report) -> bool:
    return current_user.role in SUBMITTERS and _own(report) and report.editable


def can_review(report) -> bool:
    return current_user.role in REVIEWERS and report.state == SUBMITTED


def can_correct_receipt(report) -> bool:
    """Officers and chiefs record the paper letter's 收文日期 of a received report (R-RPT-01, Q16)."""
    return current_user.role in REVIEWERS and report.received_at is not None and report.state != NOT_REQUIRED


def can_comment(report) -> bool:
    return current_user.role in COMMENTERS and report.state != NOT_REQUIRED


def _family_care_orgs(ids=None):
    stmt = db.select(Organisation).where(Organisation.kind == roles.B_UNIT, Organisation.subtype == "family_care",
                                         Organisation.active).order_by(Organisation.name)
    if ids is not None:
        stmt = stmt.where(Organisation.id.in_(ids))
    return db.session.execute(stmt).scalars().all()


def _flash_error(exc):
    flash(str(exc), "error")


# --- list -------------------------------------------------------------------------

@bp.route("/reports")
@roles_required(*READERS)
def index():
    today = clock.today()
    year = _check_year(request.args.get("year", default_year(today), type=int))
    ctx = {"year": year, "roc_year": year - 1911, "due": due_date(year), "today": today,
           "state_labels": STATE_LABELS, "state_badges": STATE_BADGES, "years": list(range(today.year, 2019, -1))}
    if current_user.role in UNIT_EDITORS:
        org = current_user.organisation
        reports = db.session.execute(scoped(ResultReport).order_by(ResultReport.service_year.desc())).scalars().all()
        current = next((r for r in reports if r.service_year == year), None)
        days = queries.year_service_days(org.id, year) if _is_family_care(org) and current is None else None
        return render("reports/index_unit.html", reports=reports, current=current, org=org,
                      family_care=_is_family_care(org), service_days=None if days is None else len(days),
                      days_left=rules.days_left(today, ctx["due"]), can_start=current_user.role in UNIT_EDITORS,
                      can_declare=current_user.role in SUBMITTERS, not_required_form=NotRequiredForm(), **ctx)
    if current_user.role == roles.GUIDANCE_STAFF:
        ids = [row for row in db.session.execute(overseen_org_ids(current_user)).scalars()]
        orgs = _family_care_orgs(ids)
    else:
        orgs = _family_care_orgs()
    reports = {r.organisation_id: r for r in db.session.execute(
        scoped(ResultReport).where(ResultReport.service_year == year)).scalars()}
    rows = [{"org": o, "report": reports.get(o.id), "status": ops.status_of(reports.get(o.id))} for o in orgs]
    state = request.args.get("state", "")
    counts = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    if state in STATE_LABELS:
        rows = [r for r in rows if r["status"] == state]
    return render("reports/index_bureau.html", block="rows", rows=rows, counts=counts, state=state,
                  can_zip=current_user.sees_all and counts.get(ACCEPTED), **ctx)


@bp.route("/reports/start", methods=["POST"])
@roles_required(*UNIT_EDITORS)
def start():
    year = _check_year(request.form.get("year", type=int) or 0)
    org = current_user.organisation
    if not _is_family_care(org):
        abort(403)
    try:
        report = ops.start_report(current_user, org, year, county_name=county_profile().county_name)
        _refresh(report)
        db.session.commit()
    except IntegrityError:  # a double click created it a moment ago
        db.session.rollback()
        report = ops.find_report(org.id, year)
    except PortalError as exc:
        db.session.rollback()
        _flash_error(exc)
        return redirect_to(url_for("reports.index", year=year))
    return redirect_to(url_for("reports.show", report_id=report.id))


@bp.route("/reports/not-required", methods=["POST"])
@roles_required(*SUBMITTERS)
def not_required():
    year = _check_year(request.form.get("year", type=int) or 0)
    org = current_user.organisation
    if not _is_family_care(org):
        abort(403)
    form = NotRequiredForm()
    days = queries.year_service_days(org.id, year)
    try:
        ops.declare_not_required(current_user, org, year, form.reason.data or "",
                                 service_days=None if days is None else len(days))
        db.session.commit()
        flash(f"已申報{year - 1911}年度成果報告免交。", "success")
    except PortalError as exc:
        db.session.rollback()
        _flash_error(exc)
    return redirect_to(url_for("reports.index", year=year))


# --- one report -----------------------------------------------------------------------

def _section_forms(report, posted_key=None, posted_form=None):
    forms = {}
    for key in SECTION_KEYS:
        if key == posted_key and posted_form is not None:
            forms[key] = posted_form
            continue
        section = report.section(key)
        form = SECTION_FORMS[key](prefix=key, formdata=None)
        form.load(section.data if section else {})
        form.version.data = section.version if section else ""
        forms[key] = form
    return forms


def _override_form(doc):
    form = OverrideForm(prefix="ov")
    keys = list((doc.get("figures") or {}).keys())
    form.key.choices = [("", "— 請選擇 —")] + [(k, figure_label(k)) for k in keys]
    return form


def _page_context(report, **extra):
    doc = report_document(report)
    editable = can_edit(report)
    comment_form = CommentForm(prefix="cm")
    comment_form.section_key.choices = [("overall", "整體")] + SECTIONS
    ctx = {
        "report": report, "doc": doc, "editable": editable, "submittable": can_submit(report),
        "reviewable": can_review(report), "commentable": can_comment(report),
        "forms": _section_forms(report) if editable else {},
        "missing": ops.missing_by_section(report), "due": due_date(report.service_year),
        "deadline": deadline(report.service_year), "today": clock.today(),
        "override_form": _override_form(doc), "photo_form": PhotoForm(prefix="ph"),
        "return_form": ReturnForm(prefix="rt"), "comment_form": comment_form,
        "receipt_editable": can_correct_receipt(report), "receipt_form": _receipt_form(report),
        "months": course_months(doc), "sat": satisfaction(doc), "overrides": overridden(doc),
    }
    ctx.update(extra)
    return ctx


def _receipt_form(report, formdata=None):
    form = ReceiptDateForm(prefix="rc", formdata=formdata)
    if formdata is None:
        form.received_on.data = report.receipt_date
        form.note.data = report.receipt_note or ""
        form.version.data = report.version
    return form


def _template_helpers():
    helpers = {"sections": SECTIONS, "section_titles": SECTION_TITLES, "row_labels": ROW_LABELS,
            "col_labels": COL_LABELS, "breakdown_groups": BREAKDOWN_GROUPS, "item_label": item_label,
            "figure_label": figure_label, "disability_label": disability_label, "month_label": month_label,
            "satisfaction_levels": SATISFACTION_LEVELS, "state_labels": STATE_LABELS}
    helpers["h"] = dict(helpers)
    return helpers


@bp.app_context_processor
def _reports_helpers():
    if request.blueprint != "reports":
        return {}
    return _template_helpers()


@bp.app_template_filter("rpt_num")
def _rpt_num(value):
    """A figure as text with thousands separators: "1046342" → 1,046,342; "12.5" stays 12.5."""
    text = str(value if value is not None else "")
    whole, dot, frac = text.partition(".")
    return f"{int(whole):,}{dot}{frac}" if whole.lstrip("-").isdigit() else text


@bp.app_template_filter("rpt_date")
def _rpt_date(value):
    """An ISO date string saved in a section → date (for the roc filter)."""
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


@bp.route("/reports/<int:report_id>")
@roles_required(*READERS)
def show(report_id):
    report = get_or_404(ResultReport, report_id)
    return render("reports/show.html", **_page_context(report))


@bp.route("/reports/<int:report_id>/sections/<key>", methods=["POST"])
@roles_required(*UNIT_EDITORS)
def save_section(report_id, key):
    report = get_or_404(ResultReport, report_id)
    if key not in SECTION_FORMS:
        abort(404)
    require(_own(report))
    form = SECTION_FORMS[key](prefix=key)
    error = None
    if form.validate_on_submit():
        try:
            seen = int(form.version.data) if (form.version.data or "").isdigit() else 0
            section = ops.save_section(current_user, report, key, form.data_out(), seen_version=seen)
            db.session.commit()
        except (StaleEdit, StaleDataError):
            db.session.rollback()
            error = str(StaleEdit("這個段落已被其他人更新，請重新載入後再修改；您輸入的內容仍保留在畫面上。"))
        except PortalError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            if is_htmx():
                return render("reports/_saved.html", report=report, key=key, section=section,
                              missing=ops.missing_by_section(report), saved_at=clock.now())
            flash(f"已儲存「{SECTION_TITLES[key]}」。", "success")
            return redirect_to(url_for("reports.show", report_id=report.id) + f"#sec-{key}")
    else:
        error = "資料有誤：" + "；".join(_form_errors(form))
    db.session.rollback()
    db.session.refresh(report)
    if is_htmx():
        return render("reports/_saved.html", report=report, key=key, section=None, error=error,
                      missing=ops.missing_by_section(report), saved_at=None, status=422)
    flash(error, "error")
    ctx = _page_context(report)
    if ctx["editable"]:
        ctx["forms"] = _section_forms(report, key, form)
    return render("reports/show.html", status=422, **ctx)


def _form_errors(form):
    messages = []
    for name, errors in form.errors.items():
        if isinstance(errors, dict) or (errors and isinstance(errors[0], dict)):
            for sub in (errors if isinstance(errors, list) else [errors]):
                for inner in (sub or {}).values():
                    messages.extend(inner)
        else:
            field = getattr(form, name, None)
            label = field.label.text if field is not None else name
            messages.extend(f"{label}：{e}" for e in errors)
    return messages or ["請檢查輸入內容"]


def _refresh(report):
    """Recompute figures from billing's service days; say so when records are not available."""
    days = queries.year_service_days(report.organisation_id, report.service_year)
    if days is None:
        return False
    ops.refresh_figures(current_user, report, days, queries.client_facts(d.client_id for d in days),
                        **current_rules())
    return True


@bp.route("/reports/<int:report_id>/recompute", methods=["POST"])
@roles_required(*UNIT_EDITORS)
def recompute(report_id):
    report = get_or_404(ResultReport, report_id)
    require(can_edit(report))
    try:
        done = _refresh(report)
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        _flash_error(exc)
    else:
        if done:
            flash("已依本年度服務紀錄重新計算數值；您調整過的數值保留並列出系統計算值。", "success")
        else:
            flash("目前無法讀取服務紀錄（服務紀錄功能尚未啟用），數值未更新。", "warning")
    return redirect_to(url_for("reports.show", report_id=report.id) + "#sec-results")


@bp.route("/reports/<int:report_id>/overrides", methods=["POST"])
@roles_required(*UNIT_EDITORS)
def override(report_id):
    report = get_or_404(ResultReport, report_id)
    require(can_edit(report))
    form = _override_form(report_document(report))
    anchor = "#sec-users" if (form.key.data or "").startswith("breakdown.") else "#sec-results"
    if form.validate_on_submit():
        try:
            ops.set_override(current_user, report, form.key.data, form.value.data, form.reason.data)
            db.session.commit()
            flash(f"已調整「{figure_label(form.key.data)}」，系統計算值保留於旁。", "success")
        except PortalError as exc:
            db.session.rollback()
            _flash_error(exc)
    else:
        flash("資料有誤：" + "；".join(_form_errors(form)), "error")
    return redirect_to(url_for("reports.show", report_id=report.id) + anchor)


@bp.route("/reports/<int:report_id>/overrides/clear", methods=["POST"])
@roles_required(*UNIT_EDITORS)
def clear_override(report_id):
    report = get_or_404(ResultReport, report_id)
    require(can_edit(report))
    key = request.form.get("key", "")
    try:
        ops.clear_override(current_user, report, key)
        db.session.commit()
        flash("已取消調整，改用系統計算值。", "success")
    except PortalError as exc:
        db.session.rollback()
        _flash_error(exc)
    return redirect_to(url_for("reports.show", report_id=report.id) + "#sec-results")


# --- photos ---------------------------------------------------------------------------

@bp.route("/reports/<int:report_id>/photos", methods=["POST"])
@roles_required(*UNIT_EDITORS)
def upload_photo(report_id):
    report = get_or_404(ResultReport, report_id)
    require(can_edit(report))
    form = PhotoForm(prefix="ph")
    upload_dir = current_app.config["UPLOAD_DIR"]
    error = None
    if not form.validate_on_submit():
        error = "資料有誤：" + "；".join(_form_errors(form))
    else:
        stored = None
        try:
            file = form.photo.data
            raw = file.read() if file else b""
            stored = store_photo(raw, upload_dir, report.id)
            ops.add_photo(current_user, report, month=form.month.data or None,
                          caption=(form.caption.data or "").strip(),
                          stored=stored)
            db.session.commit()
        except PortalError as exc:
            db.session.rollback()
            if stored:
                remove_files(upload_dir, report.id, stored)
            error = str(exc)
    if is_htmx():
        db.session.refresh(report)
        ctx = _page_context(report, photo_error=error, photo_saved=error is None)
        if error is None:
            ctx["photo_form"] = PhotoForm(prefix="ph", formdata=None)
        return render("reports/show.html", block="photos", **ctx)  # 200 so htmx shows the message
    if error:
        flash(error, "error")
    else:
        flash("照片已上傳。", "success")
    return redirect_to(url_for("reports.show", report_id=report.id) + "#photos")


def _photo(report_id, photo_id):
    report = get_or_404(ResultReport, report_id)
    photo = db.session.get(ReportPhoto, photo_id)
    if photo is None or photo.report_id != report.id:
        abort(404)
    return report, photo


@bp.route("/reports/<int:report_id>/photos/<int:photo_id>")
@roles_required(*READERS)
def photo(report_id, photo_id):
    report, photo = _photo(report_id, photo_id)
    name = photo.thumb_name if request.args.get("size") == "thumb" else photo.stored_name
    path = photo_path(current_app.config["UPLOAD_DIR"], report.id, name)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=photo.mimetype, max_age=0, conditional=True)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.route("/reports/<int:report_id>/photos/<int:photo_id>/delete", methods=["POST"])
@roles_required(*UNIT_EDITORS)
def delete_photo(report_id, photo_id):
    report, photo = _photo(report_id, photo_id)
    require(can_edit(report))
    try:
        ops.delete_photo(current_user, photo)
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        _flash_error(exc)
    else:
        flash("照片已刪除。", "success")
    return redirect_to(url_for("reports.show", report_id=report.id) + "#photos")


# --- submit, review, comments -------------------------------------------------------------

@bp.route("/reports/<int:report_id>/submit", methods=["POST"])
@roles_required(*SUBMITTERS)
def submit(report_id):
    report = get_or_404(ResultReport, report_id)
    require(_own(report))
    try:
        submission = ops.submit_report(current_user, report, now=clock.now(), deadline=deadline(report.service_year))
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        _flash_error(exc)
    else:
        if submission is None:
            flash("這份成果報告已經送出，不需要再送一次。", "warning")
        elif submission.late:
            flash("成果報告已送出（已逾截止時間，標示為逾期收文）。", "warning")
        else:
            flash("成果報告已送出，衛生局收文。", "success")
    return redirect_to(url_for("reports.show", report_id=report.id))


@bp.route("/reports/<int:report_id>/return", methods=["POST"])
@roles_required(*REVIEWERS)
def return_report(report_id):
    report = get_or_404(ResultReport, report_id)
    form = ReturnForm(prefix="rt")
    comments = {key: request.form.get(f"rt-comment-{key}", "") for key in SECTION_KEYS}
    try:
        ops.return_report(current_user, report, comments, form.note.data or "", now=clock.now())
        db.session.commit()
        flash("已退回補正，單位會在各段落看到您的意見。", "success")
    except PortalError as exc:
        db.session.rollback()
        _flash_error(exc)
    return redirect_to(url_for("reports.show", report_id=report.id))


@bp.route("/reports/<int:report_id>/accept", methods=["POST"])
@roles_required(*REVIEWERS)
def accept(report_id):
    report = get_or_404(ResultReport, report_id)
    form = ReturnForm(prefix="rt")
    try:
        ops.accept_report(current_user, report, form.note.data or "", now=clock.now())
        db.session.commit()
        flash("成果報告已核定。", "success")
    except PortalError as exc:
        db.session.rollback()
        _flash_error(exc)
    return redirect_to(url_for("reports.show", report_id=report.id))


@bp.route("/reports/<int:report_id>/comments", methods=["POST"])
@roles_required(*COMMENTERS)
def comment(report_id):
    report = get_or_404(ResultReport, report_id)
    require(can_comment(report))
    form = CommentForm(prefix="cm")
    form.section_key.choices = [("overall", "整體")] + SECTIONS
    if form.validate_on_submit():
        try:
            ops.add_comment(current_user, report, form.section_key.data, form.body.data, now=clock.now())
            db.session.commit()
            flash("意見已送出。", "success")
        except PortalError as exc:
            db.session.rollback()
            _flash_error(exc)
    else:
        flash("資料有誤：" + "；".join(_form_errors(form)), "error")
    return redirect_to(url_for("reports.show", report_id=report.id) + "#comments")


@bp.route("/reports/<int:report_id>/reopen", methods=["POST"])
@roles_required(*SUBMITTERS)
def reopen(report_id):
    report = get_or_404(ResultReport, report_id)
    require(_own(report))
    try:
        ops.reopen_report(current_user, report)
        _refresh(report)
        db.session.commit()
        flash("已撤回免交，請填寫成果報告。", "success")
    except PortalError as exc:
        db.session.rollback()
        _flash_error(exc)
    return redirect_to(url_for("reports.show", report_id=report.id))


@bp.route("/reports/<int:report_id>/receipt", methods=["POST"])
@roles_required(*REVIEWERS)
def receipt_date(report_id):
    """Correct the 收文日期 to the paper letter's (the late flag follows the recorded date)."""
    report = get_or_404(ResultReport, report_id)
    require(can_correct_receipt(report))
    form = _receipt_form(report, formdata=request.form)
    if form.validate_on_submit():
        try:
            ops.correct_receipt_date(current_user, report, form.received_on.data, form.note.data,
                                     due=due_date(report.service_year), today=clock.today(),
                                     seen_version=form.version.data)
            db.session.commit()
        except (StaleEdit, StaleDataError):
            # Another officer corrected it meanwhile: show the current record with what this one typed kept.
            db.session.rollback()
            flash(str(StaleEdit()), "error")
            report = get_or_404(ResultReport, report_id)
            return render("reports/show.html", status=409, **_page_context(report, receipt_form=form))
        except Refused as exc:
            db.session.rollback()
            field = getattr(form, exc.field or "", None)
            if field is None:
                raise
            field.errors = list(field.errors) + [str(exc)]
            report = get_or_404(ResultReport, report_id)
            return render("reports/show.html", status=422, **_page_context(report, receipt_form=form))
        except PortalError as exc:
            db.session.rollback()
            _flash_error(exc)
        else:
            late = "，逾期收文" if report.late else "，準時"
            flash(f"收文日期已更正為 {calendar.roc_date(report.receipt_date)}{late}。", "success")
        return redirect_to(url_for("reports.show", report_id=report.id) + "#receipt")
    report = get_or_404(ResultReport, report_id)
    return render("reports/show.html", status=422, **_page_context(report, receipt_form=form))


@bp.route("/reports/<int:report_id>/submissions/<int:number>")
@roles_required(*READERS)
def submission(report_id, number):
    report = get_or_404(ResultReport, report_id)
    sub = db.session.execute(db.select(ReportSubmission).filter_by(report_id=report.id, number=number)
                             ).scalar_one_or_none()
    if sub is None:
        abort(404)
    doc = normalise(sub.snapshot)
    return render("reports/submission.html", report=report, sub=sub, doc=doc, months=course_months(doc),
                  sat=satisfaction(doc), overrides=overridden(doc))


# --- PDF and ZIP -------------------------------------------------------------------------

def _pdf_files(report, doc):
    files = {}
    upload_dir = current_app.config["UPLOAD_DIR"]
    photos = {p.id: p for p in report.photos}
    for item in doc["photos"]:
        photo = photos.get(item["id"])
        if photo is None:
            continue
        path = photo_path(upload_dir, report.id, photo.thumb_name)
        if path.is_file():
            files[f"photo-{photo.id}"] = (path.read_bytes(), photo.mimetype)
    return files


def _pdf_context(report):
    doc = report_document(report)
    return {"report": report, "doc": doc, "months": course_months(doc), "sat": satisfaction(doc),
            "overrides": overridden(doc),
            "record_ref": f"{report.roc_year}年度 編號 {report.id}",
            "version": len(report.submissions) or None, "draft": report.state not in (SUBMITTED, ACCEPTED),
            **_template_helpers()}


def _pdf_name(report):
    return f"{report.organisation.name}-{report.roc_year}年度成果報告.pdf"


@bp.route("/reports/<int:report_id>.pdf")
@roles_required(*READERS)
def pdf(report_id):
    from portal.pdf import pdf_response
    report = get_or_404(ResultReport, report_id)
    if report.state == NOT_REQUIRED:
        abort(404)
    ctx = _pdf_context(report)
    return pdf_response("pdf/reports_result.html", _pdf_name(report), files=_pdf_files(report, ctx["doc"]), **ctx)


@bp.route("/reports/year/<int:year>/approved.zip", methods=["POST"])
@roles_required(*BUREAU_READERS)
def approved_zip(year):
    """Start the ZIP of the year's approved reports as a background job; its page shows the progress."""
    from portal.jobs.operations import enqueue
    _check_year(year)
    if not exports.approved_reports(current_user, year):
        flash(f"{year - 1911}年度尚無已核定的成果報告。", "warning")
        return redirect_to(url_for("reports.index", year=year))
    job = enqueue(current_user, exports.ZIP_KIND, {"year": year}, f"{year - 1911}年度已核定成果報告（ZIP）")
    return redirect_to(url_for("jobs.show", job_id=job.id))


# --- dashboard ------------------------------------------------------------------------------

def _report_work(user, now):
    if user.role in UNIT_EDITORS and _is_family_care(user.organisation):
        return None   # the year's report is due whether or not it exists yet
    if user.role in REVIEWERS:
        return db.select(ResultReport.id).where(ResultReport.state == SUBMITTED)
    if user.role == roles.GUIDANCE_STAFF:
        return scoped(ResultReport, user).where(ResultReport.state == RETURNED).with_only_columns(ResultReport.id)
    return False


@action_source(probe=_report_work)
def report_actions(user, now):
    """Units: the report due (ROC date, days left, red when overdue). Bureau: reports to review."""
    today = now.date()
    items = []
    if user.role in UNIT_EDITORS and _is_family_care(user.organisation):
        years = [default_year(today)] + ([today.year] if today.month == 12 else [])
        # both December years in one query (a dashboard stays within 12)
        reports = {r.service_year: r for r in db.session.execute(db.select(ResultReport).where(
            ResultReport.organisation_id == user.organisation_id, ResultReport.service_year.in_(years))).scalars()}
        for year in years:
            report = reports.get(year)
            if report is not None and report.state in (SUBMITTED, ACCEPTED, NOT_REQUIRED):
                continue
            url = url_for("reports.show", report_id=report.id) if report else url_for("reports.index", year=year)
            if report is not None and report.received_at is not None:   # returned: receipt already counted
                returned_on = report.decided_at.astimezone(clock.TAIPEI).date() if report.decided_at else None
                items.append(ActionItem(f"{year - 1911}年度成果報告退回補正，請修正後再送出", url, area="成果報告",
                                        detail=f"衛生局退回於 {calendar.roc_date(returned_on)}" if returned_on else ""))
                continue
            due = due_date(year)
            left = rules.days_left(today, due)
            detail = f"剩 {left} 天" if left >= 0 else f"已逾期 {-left} 天（仍可送出，標示逾期）"
            items.append(ActionItem(f"{year - 1911}年度成果報告待填寫送出", url, due=due, area="成果報告", detail=detail))
    elif user.role in REVIEWERS:
        # one queue per service year (a county has a hundred family-care homes): the year's list, filtered
        pending = db.session.execute(
            db.select(ResultReport.service_year, func.count(), func.sum(case((ResultReport.late, 1), else_=0)))
            .where(ResultReport.state == SUBMITTED).group_by(ResultReport.service_year)
            .order_by(ResultReport.service_year)).all()
        for year, count, late in pending:
            items.append(queue_item(f"{year - 1911}年度成果報告待審", url_for("reports.index", year=year, state=SUBMITTED),
                                    count, area="成果報告", detail=f"其中 {late} 件逾期收文" if late else ""))
    elif user.role == roles.GUIDANCE_STAFF:
        returned = db.session.execute(scoped(ResultReport, user).where(ResultReport.state == RETURNED)
                                      .options(joinedload(ResultReport.organisation))).scalars().all()
        for report in returned:
            items.append(ActionItem(f"輔導之 {report.organisation.display_name} {report.roc_year}年度成果報告退回補正",
                                    url_for("reports.show", report_id=report.id), area="成果報告"))
    return items


@unit_summary
def report_summary(org_ids):
    """「114年度成果報告：已核定」 for family-care units (orgs page, dispatch lists)."""
    year = default_year(clock.today())
    from portal.orgs.standing import organisations   # the list's units are usually loaded already
    orgs = {o.id: o for o in organisations(org_ids) if o.kind == roles.B_UNIT and o.subtype == "family_care"
            and o.active} if org_ids else {}
    if not orgs:
        return {}
    reports = {r.organisation_id: r for r in db.session.execute(db.select(ResultReport).where(
        ResultReport.service_year == year, ResultReport.organisation_id.in_(list(orgs)))).scalars()}
    facts = {}
    for org_id in orgs:
        report = reports.get(org_id)
        label = STATE_LABELS[ops.status_of(report)]
        if report is not None and report.late:
            label += "（逾期收文）"
        facts[org_id] = [f"{year - 1911}年度成果報告：{label}"]
    return facts
