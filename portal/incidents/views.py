"""Incidents (異常事件通報): list, report form, the chain of reports, the authority's records,
the bureau's board, the PDF, monthly statistics and dispute mediation.

Every view: load through the organisation scope (404 when not the user's), check the role, act
through `operations`, render. Every look at an incident is written to the audit log.
"""
import uuid
from datetime import date, datetime, time, timedelta

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal import clock
from portal.auth import roles
from portal.auditlog.operations import log_change
from portal.auth.access import get_or_404, require, roles_required, scoped
from portal.calendar import parse_roc_month, roc_numeric
from portal.clients.models import Client, client_search_condition
from portal.clients.rules import mask_national_id
from portal.dashboard.registry import ActionItem, Summary, action_source, queue_summary
from portal.errors import PortalError, StaleEdit
from portal.extensions import db
from portal.htmx import redirect_to, render
from portal.incidents import forms as f
from portal.incidents import models as m
from portal.incidents import operations as ops
from portal.incidents import rules
from portal.incidents.models import DisputeMediation, Incident, IncidentReport, IncidentRoute
from portal.incidents.settings import NARRATIVE_MIN_CHARS
from portal.kept import kept
from portal.nav import register_nav
from portal.orgs.models import Organisation
from portal.settings.operations import office_calendar
from portal.settings.registry import get_setting
from portal.pagination import requested_page

import portal.incidents.demo  # noqa: F401  (registers the demo seeder)
import portal.incidents.jobs  # noqa: F401  (registers the Excel export job)

bp = Blueprint("incidents", __name__)
READERS = tuple(sorted(ops.READER_ROLES))
REPORTERS = tuple(sorted(ops.REPORTER_ROLES))
AUTHORITY = tuple(sorted(ops.AUTHORITY_ROLES))
BOARD_ROLES = tuple(sorted(roles.COUNTY_WIDE_ROLES))
DISPUTE_ROLES = tuple(sorted(ops.DISPUTE_ROLES))
register_nav("異常事件", "incidents.index", READERS, order=50)
PAGE_SIZE = 50


def _eager():
    return (selectinload(Incident.reports).selectinload(IncidentReport.routes),
            selectinload(Incident.notifications), selectinload(Incident.handling),
            joinedload(Incident.reporting_org))


def _key():
    return uuid.uuid4().hex


def _fail(form, exc):
    """Put an operation's refusal next to its field when the form has it, else flash it."""
    field = getattr(exc, "field", None)
    if form is not None and field and hasattr(form, field):
        getattr(form, field).errors = list(getattr(form, field).errors) + [str(exc)]
    else:
        flash(str(exc), "error")


# --- List ---------------------------------------------------------------------------------

FILTER_STATUS = {"open": "處理中", "draft": "尚未遞交", "closed": "已結案", "platform_only": "僅平台異動紀錄",
                 "withdrawn": "已撤銷", "all": "全部"}


@bp.route("/incidents")
@roles_required(*READERS)
def index():
    args = request.args
    status = args.get("status", "open")
    severity = args.get("severity", "")
    org_id = args.get("org", type=int)
    q = args.get("q", "").strip()
    stmt = scoped(Incident)
    if status == "open":
        stmt = stmt.where(Incident.status.in_(rules.OPEN_STATUSES))
    elif status == "draft":
        stmt = stmt.where(Incident.status.in_(rules.DRAFT_STATUSES))
    elif status in ("closed", "platform_only", "withdrawn"):
        stmt = stmt.where(Incident.status == status)
    if severity in rules.SEVERITY_RANK:
        stmt = stmt.where(Incident.severity == severity)
    if org_id:
        stmt = stmt.where(Incident.reporting_org_id == org_id)
    if q:
        stmt = stmt.where(db.or_(Incident.client_name.contains(q), Incident.client_national_id.endswith(q.upper())))
    total = db.session.execute(stmt.with_only_columns(func.count()).order_by(None)).scalar_one()
    page, pages = requested_page(total, PAGE_SIZE)
    rows = db.session.execute(stmt.options(*_eager()).order_by(Incident.occurred_at.desc(), Incident.id.desc())
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).scalars().all()
    cal = office_calendar()
    rows = [(i, rules.next_deadline(i.schedule(cal))) for i in rows]
    orgs = []
    if current_user.sees_all:
        orgs = db.session.execute(db.select(Organisation).where(Organisation.kind.in_(
            [roles.A_UNIT, roles.B_UNIT, roles.BUREAU])).order_by(Organisation.kind, Organisation.name)).scalars().all()
    return render("incidents/index.html", block="results", rows=rows, total=total, page=page,
                  pages=pages, status_filter=status, severity=severity, org_id=org_id, q=q,
                  orgs=orgs, statuses=FILTER_STATUS, can_report=current_user.role in ops.REPORTER_ROLES, m=m)


# --- New incident: pick the client, then fill the form -----------------------------------------

def _narrative_min():
    return get_setting(NARRATIVE_MIN_CHARS.key)


def _incident_form(**kwargs):
    return f.IncidentForm(narrative_min=_narrative_min(), **kwargs)


@bp.route("/incidents/new", methods=["GET", "POST"])
@roles_required(*REPORTERS)
def new():
    client_id = request.values.get("client_id", type=int)
    if not client_id:
        q = request.args.get("q", "").strip()
        stmt = scoped(Client).where(client_search_condition(q))
        total = db.session.execute(stmt.with_only_columns(func.count()).order_by(None)).scalar_one()
        clients = db.session.execute(stmt.order_by(Client.name, Client.id).limit(PAGE_SIZE)).scalars().all()
        return render("incidents/pick_client.html", block="clients", clients=clients, q=q, total=total)
    client = get_or_404(Client, client_id)
    form = _incident_form()
    if request.method == "GET":
        form.submission_key.data = _key()
        form.client_id.data = client.id
        form.provider_unit_name.data = current_user.organisation.name
        form.reporter_title.data = current_user.job_title
        form.period.data = "service"
    elif form.validate_on_submit():
        try:
            incident = ops.create_incident(current_user, client, form.incident_data(),
                                           submission_key=form.submission_key.data)
        except PortalError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash("已登錄異常事件。請確認內容後，依期限先行通報並遞交通報單。" if incident.needs_form else
                  "已登錄異常事件。非服務時段的服務期間類事件只需線上異動紀錄，請確認後登錄。", "success")
            for warning in form.warnings:
                flash(warning, "warning")
            return redirect_to(url_for("incidents.show", incident_id=incident.id))
    return render("incidents/form.html", form=form, client=client, incident=None, m=m,
                  a_unit=_a_unit_name(client.id))


def _a_unit_name(client_id):
    org_id = ops.client_a_unit_id(client_id)
    return db.session.get(Organisation, org_id).name if org_id else None


@bp.route("/incidents/<int:incident_id>/edit", methods=["GET", "POST"])
@roles_required(*REPORTERS)
def edit(incident_id):
    incident = get_or_404(Incident, incident_id)
    require(ops.is_reporting_unit(current_user, incident))
    if not incident.is_draft:
        flash("已遞交的通報單不能修改；狀況有變化時請填寫續報。", "error")
        return redirect_to(url_for("incidents.show", incident_id=incident.id))
    form = _incident_form()
    if request.method == "GET":
        form.fill_from(incident)
    elif form.validate_on_submit():
        try:
            ops.update_incident(current_user, incident, form.incident_data(), seen_version=form.version.data)
        except (StaleEdit, StaleDataError):
            db.session.rollback()
            flash(str(StaleEdit()), "error")
        except PortalError as exc:
            db.session.rollback()
            _fail(form, exc)
        else:
            db.session.commit()
            flash("通報單已儲存。", "success")
            for warning in form.warnings:
                flash(warning, "warning")
            return redirect_to(url_for("incidents.show", incident_id=incident.id))
    return render("incidents/form.html", form=form, client=incident.client, incident=incident,
                  a_unit=incident.a_unit.name if incident.a_unit else None)


# --- The incident page -------------------------------------------------------------------------

def _show_context(incident, **bound):
    now = clock.now()
    cal = office_calendar()
    schedule = incident.schedule(cal)
    user = current_user
    own = ops.is_reporting_unit(user, incident)
    authority = ops.is_authority(user)
    forms = {}
    if own and incident.status not in ("platform_only", "withdrawn", "closed"):
        nf = bound.get("notify_form") or f.NotificationForm(formdata=None)
        if not bound.get("notify_form"):
            nf.notified_date.data, nf.notified_time.data = f.split(now)
            nf.notifier_name.data = incident.supervisor_name_title or user.full_name
        forms["notify_form"] = nf
        if incident.is_draft:
            forms["withdraw_form"] = bound.get("withdraw_form") or f.WithdrawForm(formdata=None)
        if incident.platform_recorded_at is None and not incident.is_draft:
            pf = bound.get("platform_form") or f.PlatformForm(formdata=None)
            if not bound.get("platform_form"):
                pf.recorded_date.data, pf.recorded_time.data = f.split(now)
            forms["platform_form"] = pf
    if authority and incident.status not in ("recorded", "authority_notified", "platform_only", "withdrawn"):
        forms["receipt_forms"] = {}
        for r in incident.submitted_reports:
            if r.received_at is None and r.kind != "platform":
                rf = bound.get("receipt_form") if bound.get("receipt_report_id") == r.id else None
                if rf is None:
                    rf = f.ReceiptForm(formdata=None, prefix=f"r{r.id}")
                    rf.receiver_name.data = user.full_name
                    rf.received_date.data, rf.received_time.data = f.split(now)
                forms["receipt_forms"][r.id] = rf
        if incident.status != "closed":
            forms["deadline_form"] = bound.get("deadline_form") or f.DeadlineForm(formdata=None)
        if incident.status == "closing_submitted":
            forms["return_form"] = bound.get("return_form") or f.ReturnClosingForm(formdata=None)
            forms["close_form"] = f.CloseForm(formdata=None)
    if ops.can_attach(user, incident) and incident.status != "withdrawn":
        forms["attachment_form"] = bound.get("attachment_form") or f.AttachmentForm(formdata=None)
    if user.role in ops.HANDLING_ROLE_ROWS and incident.status in rules.SUBMITTED_STATUSES \
            and incident.status != "closed":
        forms["handling_form"] = bound.get("handling_form") or f.HandlingForm(formdata=None)
    for name in ("withdraw_form", "deadline_form", "return_form"):
        if name in forms and not bound.get(name):
            forms[name].version.data = incident.version
    errors, warnings = rules.action_problems(incident.no_intervention, incident.interventions, incident.categories)
    handling_rows = [(key, label, [h for h in incident.handling if h.row == key]) for key, label in m.HANDLING_ROWS]
    return dict(incident=incident, schedule=schedule, next_due=rules.next_deadline(schedule), now=now, own=own,
                authority=authority, warnings=warnings if incident.is_draft else [], handling_rows=handling_rows,
                can_follow_up=own and rules.next_status(incident.status, "submit_followup") is not None,
                can_close_report=own and rules.next_status(incident.status, "submit_closing") is not None,
                draft_report=next(iter(incident.draft_reports), None),
                can_dispute=user.role in ops.DISPUTE_ROLES, m=m, rules=rules,
                ops_can_ack=lambda route: ops.can_acknowledge(user, route), **forms)


def _load(incident_id):
    incident = get_or_404(Incident, incident_id)
    return incident


def _show(incident, status=200, **bound):
    return render("incidents/show.html", block="incident", status=status, **_show_context(incident, **bound))


@bp.route("/incidents/<int:incident_id>")
@roles_required(*READERS)
def show(incident_id):
    incident = _load(incident_id)
    ops.log_view(current_user, incident)
    db.session.commit()
    return _show(incident)


def _after(incident, message):
    db.session.commit()
    flash(message, "success")
    return redirect_to(url_for("incidents.show", incident_id=incident.id))


def _refused(incident, exc, **bound):
    db.session.rollback()
    incident = _load(incident.id)
    if isinstance(exc, StaleDataError):
        exc = StaleEdit()
    form = next(iter(v for k, v in bound.items() if k.endswith("_form")), None)
    _fail(form, exc)
    return _show(incident, **bound)


@bp.route("/incidents/<int:incident_id>/notify", methods=["POST"])
@roles_required(*REPORTERS)
def notify(incident_id):
    incident = _load(incident_id)
    require(ops.is_reporting_unit(current_user, incident))
    form = f.NotificationForm()
    if not form.validate_on_submit():
        return _show(incident, notify_form=form)
    try:
        ops.record_notification(current_user, incident, notified_at=form.notified_at, channel=form.channel.data,
                                channel_other=form.channel_other.data, contacted=form.contacted.data,
                                notifier_name=form.notifier_name.data, note=form.note.data)
    except (PortalError, StaleDataError) as exc:
        return _refused(incident, exc, notify_form=form)
    return _after(incident, "已登錄先行通報主管機關。")


@bp.route("/incidents/<int:incident_id>/platform", methods=["POST"])
@roles_required(*REPORTERS)
def platform(incident_id):
    incident = _load(incident_id)
    require(ops.is_reporting_unit(current_user, incident))
    form = f.PlatformForm()
    if not form.validate_on_submit():
        return _show(incident, platform_form=form)
    try:
        ops.record_platform_report(current_user, incident, form.recorded_at)
    except (PortalError, StaleDataError) as exc:
        return _refused(incident, exc, platform_form=form)
    return _after(incident, "已登錄照顧服務管理資訊平台異動通報。")


@bp.route("/incidents/<int:incident_id>/submit", methods=["POST"])
@roles_required(*REPORTERS)
def submit(incident_id):
    incident = _load(incident_id)
    require(ops.is_reporting_unit(current_user, incident))
    form = f.CloseForm()
    if not form.validate_on_submit():
        abort(400)
    platform_only = not incident.needs_form
    try:
        if platform_only:
            ops.record_platform_only(current_user, incident, seen_version=form.version.data or None)
        else:
            ops.submit_initial(current_user, incident, seen_version=form.version.data or None)
    except (PortalError, StaleDataError) as exc:
        return _refused(incident, exc)
    if platform_only:
        return _after(incident, "已登錄為平台異動紀錄（非服務時段，免填紙本通報單）。")
    return _after(incident, "通報單（初報）已遞交，並已通知個案所屬A單位、照管中心與衛生局。")


@bp.route("/incidents/<int:incident_id>/withdraw", methods=["POST"])
@roles_required(*REPORTERS)
def withdraw(incident_id):
    incident = _load(incident_id)
    require(ops.is_reporting_unit(current_user, incident))
    form = f.WithdrawForm()
    if not form.validate_on_submit():
        return _show(incident, withdraw_form=form)
    try:
        ops.withdraw_incident(current_user, incident, form.reason.data, seen_version=form.version.data or None)
    except (PortalError, StaleDataError) as exc:
        return _refused(incident, exc, withdraw_form=form)
    return _after(incident, "已撤銷此筆事件登錄（紀錄仍保留）。")


@bp.route("/incidents/<int:incident_id>/attachments", methods=["POST"])
@roles_required(*READERS)
def upload(incident_id):
    from flask import current_app
    incident = _load(incident_id)
    require(ops.can_attach(current_user, incident))
    form = f.AttachmentForm()
    if not form.validate_on_submit():
        return _show(incident, attachment_form=form)
    storage = request.files.get("file")
    try:
        ops.add_attachment(current_user, incident, filename=storage.filename if storage else "",
                           data=storage.read() if storage else b"", description=form.description.data,
                           upload_dir=current_app.config["UPLOAD_DIR"])
    except (PortalError, StaleDataError) as exc:
        return _refused(incident, exc, attachment_form=form)
    return _after(incident, "附件已上傳。")


@bp.route("/incidents/<int:incident_id>/attachments/<int:attachment_id>")
@roles_required(*READERS)
def attachment(incident_id, attachment_id):
    """Download one piece of evidence (scoped through the incident; every download is logged)."""
    from flask import current_app, send_file
    from portal.incidents.models import IncidentAttachment
    incident = _load(incident_id)
    item = db.session.get(IncidentAttachment, attachment_id)
    if item is None or item.incident_id != incident.id:
        abort(404)
    ops.log_view(current_user, incident, "incident.attachment_viewed", attachment_id=item.id)
    db.session.commit()
    response = send_file(ops.attachment_path(item, current_app.config["UPLOAD_DIR"]), mimetype=item.content_type,
                         as_attachment=False,
                         download_name=item.filename, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- 續報 / 結報 ------------------------------------------------------------------------------

def _report_form(incident, kind, report=None):
    form = f.ReportForm(kind=kind, categories=incident.categories or [],
                        improvement_required=bool(incident.unit_caused))
    if kind == "closing":
        form.content.label.text = "結報內容（處理結果與結案理由）"
    return form


@bp.route("/incidents/<int:incident_id>/reports/new", methods=["GET", "POST"])
@roles_required(*REPORTERS)
def new_report(incident_id):
    incident = _load(incident_id)
    require(ops.is_reporting_unit(current_user, incident))
    kind = request.values.get("kind", "followup")
    if kind not in ("followup", "closing"):
        abort(404)
    draft = next(iter(incident.draft_reports), None)
    if draft is not None:
        flash(f"已有尚未送出的{draft.title}草稿，請先完成。", "warning")
        return redirect_to(url_for("incidents.edit_report", incident_id=incident.id, report_id=draft.id))
    form = _report_form(incident, kind)
    if request.method == "GET":
        form.submission_key.data = _key()
        form.severity.data = incident.severity
        form.reporter_title.data = incident.reporter_title if current_user.id == incident.created_by_id \
            else current_user.job_title
        form.supervisor_name_title.data = incident.supervisor_name_title
        form.no_intervention.data = []
        form.interventions.data = []
    elif form.validate_on_submit():
        try:
            report = ops.start_report(current_user, incident, kind, form.report_data(),
                                      submission_key=form.submission_key.data)
        except (PortalError, StaleDataError) as exc:
            db.session.rollback()
            _fail(form, exc)
        else:
            return _saved_report(incident, report)
    return render("incidents/report_form.html", form=form, incident=incident, report=None, kind=kind, m_models=m)


def _saved_report(incident, report):
    """After saving a draft: stay on it, or submit it at once when the user pressed 「送出」."""
    if request.form.get("action") == "submit":
        try:
            ops.submit_report(current_user, report)
        except (PortalError, StaleDataError) as exc:
            db.session.commit()  # keep the saved draft; say why it was not sent
            flash(f"草稿已儲存，但未送出：{exc}", "error")
            return redirect_to(url_for("incidents.edit_report", incident_id=incident.id, report_id=report.id))
        return _after(incident, f"{report.title}已送出，並已通知個案所屬A單位、照管中心與衛生局。")
    db.session.commit()
    flash(f"{report.title}草稿已儲存；確認無誤後請按「送出」，送出後即不能修改。", "success")
    return redirect_to(url_for("incidents.edit_report", incident_id=incident.id, report_id=report.id))


def _load_report(incident_id, report_id):
    incident = _load(incident_id)
    report = get_or_404(IncidentReport, report_id)
    if report.incident_id != incident.id:
        abort(404)
    return incident, report


@bp.route("/incidents/<int:incident_id>/reports/<int:report_id>/edit", methods=["GET", "POST"])
@roles_required(*REPORTERS)
def edit_report(incident_id, report_id):
    incident, report = _load_report(incident_id, report_id)
    require(ops.is_reporting_unit(current_user, incident))
    if report.is_submitted:
        flash(f"{report.title}已送出，送出後不能修改。", "error")
        return redirect_to(url_for("incidents.show", incident_id=incident.id) + f"#report-{report.id}")
    form = _report_form(incident, report.kind, report)
    if request.method == "GET":
        form.fill_from(report)
    elif form.validate_on_submit():
        try:
            ops.update_report(current_user, report, form.report_data(), seen_version=form.version.data)
        except (StaleEdit, StaleDataError):
            db.session.rollback()
            flash(str(StaleEdit()), "error")
        except PortalError as exc:
            db.session.rollback()
            _fail(form, exc)
        else:
            return _saved_report(incident, report)
    return render("incidents/report_form.html", form=form, incident=incident, report=report, kind=report.kind,
                  m_models=m)


@bp.route("/incidents/<int:incident_id>/reports/<int:report_id>/submit", methods=["POST"])
@roles_required(*REPORTERS)
def submit_report(incident_id, report_id):
    incident, report = _load_report(incident_id, report_id)
    require(ops.is_reporting_unit(current_user, incident))
    form = f.CloseForm()
    form.validate_on_submit()
    try:
        ops.submit_report(current_user, report, seen_version=form.version.data or None)
    except (PortalError, StaleDataError) as exc:
        db.session.rollback()
        flash(str(StaleEdit() if isinstance(exc, StaleDataError) else exc), "error")
        target = "incidents.show" if report.is_submitted else "incidents.edit_report"
        return redirect_to(url_for(target, incident_id=incident.id, report_id=report.id))
    title = report.title
    return _after(incident, f"{title}已送出，並已通知個案所屬A單位、照管中心與衛生局。")


@bp.route("/incidents/<int:incident_id>/reports/<int:report_id>/discard", methods=["POST"])
@roles_required(*REPORTERS)
def discard_report(incident_id, report_id):
    incident, report = _load_report(incident_id, report_id)
    require(ops.is_reporting_unit(current_user, incident))
    f.CloseForm().validate_on_submit()
    try:
        ops.discard_report(current_user, report)
    except (PortalError, StaleDataError) as exc:
        return _refused(incident, exc)
    return _after(incident, "草稿已刪除。")


# --- Receiving authority --------------------------------------------------------------------------

@bp.route("/incidents/<int:incident_id>/reports/<int:report_id>/receipt", methods=["POST"])
@roles_required(*AUTHORITY)
def receipt(incident_id, report_id):
    incident, report = _load_report(incident_id, report_id)
    form = f.ReceiptForm(prefix=f"r{report.id}")
    if not form.validate_on_submit():
        return _show(incident, receipt_form=form, receipt_report_id=report.id)
    try:
        ops.record_receipt(current_user, report, channel=form.channel.data, channel_other=form.channel_other.data,
                           receiver_name=form.receiver_name.data, received_at=form.received_at, note=form.note.data)
    except (PortalError, StaleDataError) as exc:
        return _refused(incident, exc, receipt_form=form, receipt_report_id=report.id)
    return _after(incident, f"已登錄{report.title}的受理情形。")


@bp.route("/incidents/<int:incident_id>/routes/<int:route_id>/ack", methods=["POST"])
@roles_required(*READERS)
def acknowledge(incident_id, route_id):
    incident = _load(incident_id)
    route = db.session.get(IncidentRoute, route_id)
    if route is None or route.report.incident_id != incident.id:
        abort(404)
    require(ops.can_acknowledge(current_user, route))
    f.CloseForm().validate_on_submit()
    try:
        ops.acknowledge_route(current_user, route)
    except (PortalError, StaleDataError) as exc:
        return _refused(incident, exc)
    return _after(incident, "已確認收到通報。")


@bp.route("/incidents/<int:incident_id>/handling", methods=["POST"])
@roles_required(*sorted(ops.HANDLING_ROLE_ROWS))
def handling(incident_id):
    incident = _load(incident_id)
    form = f.HandlingForm()
    if not form.validate_on_submit():
        return _show(incident, handling_form=form)
    try:
        ops.add_handling(current_user, incident, form.text.data)
    except (PortalError, StaleDataError) as exc:
        return _refused(incident, exc, handling_form=form)
    return _after(incident, "已填寫案件處理情形。")


@bp.route("/incidents/<int:incident_id>/close", methods=["POST"])
@roles_required(*sorted(ops.HANDLING_ROLE_ROWS))
def close(incident_id):
    incident = _load(incident_id)
    form = f.CloseForm()
    form.validate_on_submit()
    try:
        ops.close_incident(current_user, incident, seen_version=form.version.data or None)
    except (PortalError, StaleDataError) as exc:
        return _refused(incident, exc)
    return _after(incident, "本事件已結案。")


@bp.route("/incidents/<int:incident_id>/return", methods=["POST"])
@roles_required(*AUTHORITY)
def return_closing(incident_id):
    incident = _load(incident_id)
    form = f.ReturnClosingForm()
    if not form.validate_on_submit():
        return _show(incident, return_form=form)
    try:
        ops.return_closing(current_user, incident, due_on=form.due_on.data, note=form.note.data,
                           seen_version=form.version.data or None)
    except (PortalError, StaleDataError) as exc:
        return _refused(incident, exc, return_form=form)
    return _after(incident, "已退回結報，請通報單位持續追蹤並於期限內續報。")


@bp.route("/incidents/<int:incident_id>/deadline", methods=["POST"])
@roles_required(*AUTHORITY)
def deadline(incident_id):
    incident = _load(incident_id)
    form = f.DeadlineForm()
    if not form.validate_on_submit():
        return _show(incident, deadline_form=form)
    try:
        ops.set_deadline(current_user, incident, form.kind.data, form.due_on.data, form.note.data,
                         seen_version=form.version.data or None, cal=office_calendar())
    except (PortalError, StaleDataError) as exc:
        return _refused(incident, exc, deadline_form=form)
    return _after(incident, "已調整期限並通知通報單位。")


# --- PDF -----------------------------------------------------------------------------------------

def _pdf_context(incident, reports):
    return dict(incident=incident, reports=reports, m=m, rules=rules,
                local=lambda moment: moment.astimezone(clock.TAIPEI),
                handling_rows=[(key, label, [h for h in incident.handling if h.row == key])
                               for key, label in m.HANDLING_ROWS],
                record_ref=f"事件 {incident.ref_no}", version=len(incident.submitted_reports) or None,
                draft=incident.is_draft)


@bp.route("/incidents/<int:incident_id>.pdf")
@roles_required(*READERS)
def pdf(incident_id):
    """The 通報單 with the whole chain of reports (forms-and-pdfs.md §6)."""
    from portal.pdf import pdf_response
    incident = _load(incident_id)
    if not incident.needs_form:
        flash("非服務時段的服務期間類事件只需線上異動紀錄，沒有紙本通報單。", "warning")
        return redirect_to(url_for("incidents.show", incident_id=incident.id))
    ops.log_view(current_user, incident, "incident.pdf_viewed")
    db.session.commit()
    reports = incident.submitted_reports or [None]  # a draft prints the form with a 草稿 watermark
    return pdf_response("pdf/incidents_report.html", f"異常事件通報單-{incident.ref_no}.pdf",
                        **_pdf_context(incident, reports))


@bp.route("/incidents/<int:incident_id>/reports/<int:report_id>.pdf")
@roles_required(*READERS)
def report_pdf(incident_id, report_id):
    """One entry of the chain (初報, a 續報 or the 結報) as submitted."""
    from portal.pdf import pdf_response
    incident, report = _load_report(incident_id, report_id)
    if not report.is_submitted or report.kind == "platform":
        abort(404)
    ops.log_view(current_user, incident, "incident.pdf_viewed", report_id=report.id)
    db.session.commit()
    ctx = _pdf_context(incident, [report])
    ctx["draft"] = False
    return pdf_response("pdf/incidents_report.html", f"異常事件通報單-{incident.ref_no}-{report.title}.pdf", **ctx)


# --- The bureau's board and dashboard items ---------------------------------------------------------

def open_incidents(user, extra=None):
    stmt = scoped(Incident, user).where(Incident.status.in_(rules.OPEN_STATUSES)).options(*_eager())
    if extra is not None:
        stmt = stmt.where(extra)
    return db.session.execute(stmt).scalars().all()


def board_rows(incidents, cal, now):
    """Each open incident with its next open deadline, by time left (overdue first); waiting ones last."""
    rows = [{"incident": incident, **_deadline_row(incident.schedule(cal), _waiting_for(incident), now)}
            for incident in incidents]
    return _board_order(rows, lambda r: r["incident"].id)


def _deadline_row(schedule, waiting, now):
    following, overdue, late = rules.deadline_summary(schedule, now)
    return {"next": following, "overdue": overdue, "late": late, "waiting": waiting}


def _board_order(rows, incident_id):
    far = datetime.max.replace(tzinfo=clock.TAIPEI)
    rows.sort(key=lambda r: (r["next"] is None, r["next"].due_at if r["next"] else far, incident_id(r)))
    return rows


def _waiting_for(incident):
    """What the authority still has to do (no deadline of its own)."""
    todo = []
    if any(r.received_at is None and r.kind != "platform" for r in incident.submitted_reports):
        todo.append("待登錄受理情形")
    if incident.status == "closing_submitted":
        todo.append("結報待結案")
    return todo


def _board_schedules(user, now):
    """(id, schedule, waiting) of every open incident the user sees: the schedules are pure rules over each
    incident's reports and notifications, worked out for a county's hundreds of open incidents; kept while the
    incident tables and the office calendar are unchanged (portal/kept.py), as plain values."""
    def compute():
        cal = office_calendar()
        return [(i.id, i.schedule(cal), _waiting_for(i)) for i in open_incidents(user)]
    return kept("incidents.board", f"user{user.id}", compute, now=now)


@bp.route("/incidents/board")
@roles_required(*BOARD_ROLES)
def board():
    now = clock.now()
    # The order and the tiles come from every open incident's deadlines; only a page of incidents is loaded.
    rows = _board_order([{"id": incident_id, **_deadline_row(schedule, waiting, now)}
                         for incident_id, schedule, waiting in _board_schedules(current_user, now)],
                        lambda r: r["id"])
    only = request.args.get("only", "")
    if only == "overdue":
        rows = [r for r in rows if r["overdue"]]
    counts = {"open": len(rows), "overdue": sum(1 for r in rows if r["overdue"]),
              "due_24h": sum(1 for r in rows if r["next"] and not r["overdue"]
                             and r["next"].due_at - now <= timedelta(hours=24))}
    page, pages = requested_page(len(rows), PAGE_SIZE)
    rows = rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    shown = {i.id: i for i in db.session.execute(
        scoped(Incident).where(Incident.id.in_([r["id"] for r in rows])).options(joinedload(Incident.reporting_org))
    ).scalars()}
    # An incident closed or withdrawn since the order was kept is left out of the page until the next refresh.
    rows = [{**r, "incident": shown[r["id"]]} for r in rows if r["id"] in shown]
    disputes = db.session.execute(db.select(DisputeMediation).where(DisputeMediation.status == "received")
                                  .order_by(DisputeMediation.notice_due_on)).scalars().all()
    return render("incidents/board.html", block="board", rows=rows, now=now,
                  counts=counts, only=only, disputes=disputes, page=page, pages=pages)


def _item_title(incident, text):
    return f"異常事件 {incident.ref_no}｜{incident.client_name}（{incident.severity_label}）：{text}"


def _incident_work(user, now):
    """Necessary conditions for incident_actions to list anything (one EXISTS each, run with the other probes)."""
    if user.role not in ops.READER_ROLES or user.role == roles.ADMIN:
        return False
    checks = []
    open_ones = db.select(Incident.id).where(Incident.status.in_(rules.OPEN_STATUSES))
    if user.role in ops.REPORTER_ROLES and not user.sees_all:
        checks.append(open_ones.where(Incident.reporting_org_id == user.organisation_id))
    elif ops.is_authority(user):
        checks.append(open_ones)
    if user.role in roles.A_ROLES:
        checks.append(db.select(IncidentRoute.id).where(
            IncidentRoute.target == "a_unit", IncidentRoute.organisation_id == user.organisation_id,
            IncidentRoute.acknowledged_at.is_(None)))
    return checks


def _dashboard_incidents(user, extra=None):
    """Open incidents with what their schedule and waiting list read, in ONE query (issue 10: a dashboard
    stays within 12 queries): reports and notifications joined (a few of each per incident), the unit too."""
    stmt = (scoped(Incident, user).where(Incident.status.in_(rules.OPEN_STATUSES))
            .options(joinedload(Incident.reports), joinedload(Incident.notifications),
                     joinedload(Incident.reporting_org)))
    if extra is not None:
        stmt = stmt.where(extra)
    return db.session.execute(stmt).unique().scalars().all()


@action_source(probe=_incident_work)
def incident_actions(user, now):
    """Deadlines for the reporting unit and the authority; new reports for the client's A unit."""
    if user.role not in ops.READER_ROLES or user.role == roles.ADMIN:
        return []
    cal = office_calendar()
    items = []
    if user.role in ops.REPORTER_ROLES and not user.sees_all:
        mine = _dashboard_incidents(user, Incident.reporting_org_id == user.organisation_id)
    elif ops.is_authority(user):
        mine = _dashboard_incidents(user)
    else:
        mine = []
    for incident in mine:
        url = url_for("incidents.show", incident_id=incident.id)
        nxt = rules.next_deadline(incident.schedule(cal))
        if nxt is not None:
            items.append(ActionItem(_item_title(incident, nxt.label), url, due=nxt.due, area="異常事件",
                                    detail=incident.reporting_org.display_name))
        if ops.is_authority(user):
            for todo in _waiting_for(incident):
                items.append(ActionItem(_item_title(incident, todo), url, area="異常事件",
                                        detail=incident.reporting_org.display_name))
    if user.role in roles.A_ROLES:
        # Reports sent to the client's A unit and not yet confirmed, one item per open incident.
        routes = db.session.execute(
            db.select(IncidentRoute).join(IncidentReport, IncidentRoute.report_id == IncidentReport.id)
            .join(Incident, IncidentReport.incident_id == Incident.id)
            .where(IncidentRoute.target == "a_unit", IncidentRoute.organisation_id == user.organisation_id,
                   IncidentRoute.acknowledged_at.is_(None), Incident.status.in_(rules.OPEN_STATUSES))
            .options(joinedload(IncidentRoute.report).joinedload(IncidentReport.incident)
                     .joinedload(Incident.reporting_org))
            .order_by(IncidentRoute.sent_at)).scalars().all()
        by_incident = {}
        for route in routes:
            by_incident.setdefault(route.report.incident, []).append(route.report.title)
        for incident, titles in by_incident.items():
            items.append(ActionItem(_item_title(incident, f"收到{'、'.join(titles)}，請確認"),
                                    url_for("incidents.show", incident_id=incident.id), area="異常事件",
                                    detail=incident.reporting_org.display_name))
    return items


@queue_summary
def dispute_queue(user, now):
    """The bureau: disputes received, the parties to be told the mediation date by notice_due_on (§ 爭議調處);
    the incident board lists them."""
    if not (user.role in ops.DISPUTE_ROLES and user.role in (roles.BUREAU_OFFICER, roles.BUREAU_CHIEF)):
        return False
    return [Summary("爭議調處待通知雙方調處期日及地點", url_for("incidents.board"),
                    db.select(DisputeMediation.id).where(DisputeMediation.status == "received"),
                    due=DisputeMediation.notice_due_on, area="爭議調處")]


# --- Monthly statistics ---------------------------------------------------------------------------

def _month_arg():
    text = request.args.get("month", "").strip()
    if text:
        try:
            return parse_roc_month(text), None
        except ValueError as exc:
            return clock.today().replace(day=1), str(exc)
    return clock.today().replace(day=1), None


def _month_bounds(first):
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return (datetime.combine(first, time(), clock.TAIPEI), datetime.combine(nxt, time(), clock.TAIPEI))


def _shift_month(first, n):
    y, mth = divmod(first.year * 12 + first.month - 1 + n, 12)
    return date(y, mth + 1, 1)


def month_incidents(first, user=None):
    start, end = _month_bounds(first)
    return db.session.execute(
        scoped(Incident, user).where(Incident.occurred_at >= start, Incident.occurred_at < end,
                               Incident.status != "withdrawn").options(*_eager())
        .order_by(Incident.occurred_at, Incident.id)).scalars().all()


def month_statistics(first, cal, now, user=None, *, trend=True):
    """Counts of one month's incidents by category, severity and unit, with on-time rates (as `user` sees
    them: the requester of a background export; the signed-in user by default)."""
    incidents = month_incidents(first, user)
    by_category = rules.Tally(order=rules.SERVICE_CATEGORIES + rules.ANYTIME_CATEGORIES)
    by_severity = rules.Tally(order=rules.SEVERITIES)
    by_unit, units = {}, {}
    timeliness = {"notify": [0, 0], "form": [0, 0]}
    for i in incidents:
        for c in i.categories or []:
            by_category.add(c)
        severity = i.initial_severity or i.severity
        by_severity.add(severity)
        units[i.reporting_org_id] = i.reporting_org
        row = by_unit.setdefault(i.reporting_org_id, {s: 0 for s in rules.SEVERITIES})
        row[severity] += 1
        for d in i.schedule(cal):
            if d.key in timeliness and d.done:
                timeliness[d.key][1] += 1
                timeliness[d.key][0] += d.state(now) == "on_time"
    unit_rows = sorted(((units[k], v, sum(v.values())) for k, v in by_unit.items()), key=lambda r: (-r[2], r[0].name))
    months = []
    for n in range(-11, 1) if trend else ():
        month = _shift_month(first, n)
        start, end = _month_bounds(month)
        count = db.session.execute(scoped(Incident, user).where(
            Incident.occurred_at >= start, Incident.occurred_at < end, Incident.status != "withdrawn")
            .with_only_columns(func.count()).order_by(None)).scalar_one()
        months.append((f"{month.year - 1911}/{month.month:02d}", count))
    return {
        "incidents": incidents,
        "category_rows": [(m.CATEGORY_LABELS[k] + {"other_service": "（服務期間）", "other_anytime": "（不限時段）"}.get(k, ""), v)
                          for k, v in by_category.rows()],
        "severity_rows": [(m.SEVERITY_LABELS[k], v) for k, v in by_severity.rows()],
        "unit_rows": unit_rows,
        "trend": months,
        "timeliness": timeliness,
        "total": len(incidents),
        "open": sum(1 for i in incidents if i.is_open),
        "platform_only": sum(1 for i in incidents if i.status == "platform_only"),
    }


@bp.route("/incidents/stats")
@roles_required(*BOARD_ROLES)
def stats():
    first, error = _month_arg()
    if error:
        flash(error, "error")
    data = month_statistics(first, office_calendar(), clock.now())
    charts = {
        "category": rules.bar_chart([r for r in data["category_rows"]]),
        "severity": rules.bar_chart(data["severity_rows"]),
        "unit": rules.bar_chart([(u.display_name, total) for u, _, total in data["unit_rows"]]),
        "trend": rules.column_chart(data["trend"]),
    }
    return render("incidents/stats.html", block="stats", first=first, data=data, charts=charts,
                  month_text=f"{first.year - 1911}/{first.month:02d}", prev_month=_shift_month(first, -1),
                  next_month=_shift_month(first, 1), m=m, rules_sev=rules.SEVERITIES)


EXPORT_COLUMNS = ("事件編號", "通報單位", "個案姓名", "身分證字號", "事件發生時間", "知悉時間", "期間", "地點",
                  "影響程度（初報）", "目前影響程度", "事件內容", "狀態", "先行通報期限", "先行通報時間",
                  "通報單期限", "通報單遞交時間", "平台異動通報時間", "續報次數", "結報時間", "結案時間")


def _export_rows(incidents, cal):
    from portal.filters import roc_dt
    rows = []
    for i in incidents:
        by_key = {d.key: d for d in i.schedule(cal)}
        initial = i.initial_report
        closing = i.closing_report
        rows.append([
            i.ref_no, i.reporting_org.name, i.client_name, mask_national_id(i.client_national_id), roc_dt(i.occurred_at, ""),
            roc_dt(i.learned_at, ""), m.PERIOD_LABELS.get(i.period, ""),
            m.PLACE_LABELS.get(i.place, "") + (f"：{i.place_note}" if i.place_note else ""),
            m.SEVERITY_LABELS.get(i.initial_severity or i.severity, ""), i.severity_label, "、".join(i.category_labels),
            i.status_label,
            roc_dt(by_key["notify"].due, "") if "notify" in by_key else "不需",
            roc_dt(by_key["notify"].done_at, "") if "notify" in by_key else "",
            roc_dt(by_key["form"].due, "") if "form" in by_key else "免填",
            roc_dt(initial.submitted_at, "") if initial and initial.kind == "initial" else "",
            roc_dt(i.platform_recorded_at, ""),
            sum(1 for r in i.submitted_reports if r.kind == "followup"),
            roc_dt(closing.submitted_at, "") if closing else "", roc_dt(i.closed_at, ""),
        ])
    return rows


def export_summary(stats_list):
    """The 統計 sheet/table of one or more months' statistics: counts summed by label, in the first order."""
    sections = {"事件內容": {}, "影響程度": {}, "通報單位": {}}
    total = 0
    for data in stats_list:
        for label, count in data["category_rows"]:
            sections["事件內容"][label] = sections["事件內容"].get(label, 0) + count
        for label, count in data["severity_rows"]:
            sections["影響程度"][label] = sections["影響程度"].get(label, 0) + count
        for unit, _, count in data["unit_rows"]:
            sections["通報單位"][unit.name] = sections["通報單位"].get(unit.name, 0) + count
        total += data["total"]
    summary = [("項目", "類別", "件數")]
    for section, counts in sections.items():
        rows = counts.items() if section != "通報單位" else sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        summary += [(section, label, count) for label, count in rows]
    summary.append(("合計", "事件數", total))
    return summary


@bp.route("/incidents/stats/export")
@roles_required(*BOARD_ROLES)
def stats_export():
    """The month's list or summary as CSV, straight away (a month is small); Excel is a background job."""
    from portal.incidents.export import csv_response
    first, error = _month_arg()
    fmt = request.args.get("format", "csv")
    if error or fmt != "csv":
        abort(404)
    cal = office_calendar()
    data = month_statistics(first, cal, clock.now(), trend=False)
    month_text = f"{first.year - 1911}年{first.month:02d}月"
    log_change(current_user, None, "incident.exported", entity_type="incidents", entity_id=None,
               after={"month": first, "format": fmt, "count": data["total"]})
    db.session.commit()
    name = f"異常事件統計-{month_text}"
    if request.args.get("table") == "summary":
        return csv_response(f"{name}-統計.csv", export_summary([data]))
    return csv_response(f"{name}-清冊.csv", [EXPORT_COLUMNS] + _export_rows(data["incidents"], cal))


@bp.route("/incidents/stats/export.xlsx", methods=["POST"])
@roles_required(*BOARD_ROLES)
def stats_export_xlsx():
    """Start the Excel export (清冊＋統計) of a month or of its whole year as a background job."""
    from portal.incidents.jobs import XLSX_KIND
    from portal.jobs.operations import enqueue
    text = request.form.get("month", "").strip()
    try:
        first = parse_roc_month(text) if text else clock.today().replace(day=1)
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect_to(url_for("incidents.stats"))
    whole_year = request.form.get("period") == "year"
    if whole_year:
        first = first.replace(month=1)
        title = f"異常事件清冊及統計－{first.year - 1911}年全年（xlsx）"
    else:
        title = f"異常事件清冊及統計－{first.year - 1911}年{first.month:02d}月（xlsx）"
    months = 12 if whole_year else 1
    log_change(current_user, None, "incident.exported", entity_type="incidents", entity_id=None,
               after={"month": first, "months": months, "format": "xlsx"})
    job = enqueue(current_user, XLSX_KIND, {"month": first.isoformat(), "months": months}, title)  # commits
    return redirect_to(url_for("jobs.show", job_id=job.id))


# --- Dispute mediation (爭議調處) -------------------------------------------------------------------

@bp.route("/disputes")
@roles_required(*DISPUTE_ROLES)
def disputes():
    status = request.args.get("status", "open")
    stmt = scoped(DisputeMediation)
    if status == "open":
        stmt = stmt.where(DisputeMediation.status.in_(("received", "scheduled")))
    rows = db.session.execute(stmt.order_by(DisputeMediation.notice_due_on.desc(), DisputeMediation.id.desc())
                              .options(joinedload(DisputeMediation.incident))).scalars().all()
    rows.sort(key=lambda d: (not d.is_open, d.status != "received", d.notice_due_on))
    # Sorted over all (open and waiting for notice first), shown a page at a time.
    page, pages = requested_page(len(rows), PAGE_SIZE)
    return render("incidents/disputes.html", block="results", rows=rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE],
                  status_filter=status, page=page, pages=pages)


@bp.route("/disputes/new", methods=["GET", "POST"])
@roles_required(*DISPUTE_ROLES)
def new_dispute():
    incident_id = request.values.get("incident_id", type=int)
    incident = _load(incident_id) if incident_id else None
    form = f.DisputeForm()
    if request.method == "GET":
        form.submission_key.data = _key()
        form.received_on.data = clock.today()
        if incident is not None:
            form.incident_id.data = incident.id
            form.subject.data = f"異常事件 {incident.ref_no}（{'、'.join(incident.category_labels)}）"
    elif form.validate_on_submit():
        try:
            dispute = ops.create_dispute(current_user, _dispute_data(form), incident=incident, cal=office_calendar(),
                                         submission_key=form.submission_key.data)
        except PortalError as exc:
            db.session.rollback()
            _fail(form, exc)
        else:
            db.session.commit()
            flash(f"已受理爭議調處，請於 {roc_numeric(dispute.notice_due_on)} 前通知雙方調處期日及地點。", "success")
            return redirect_to(url_for("incidents.dispute", dispute_id=dispute.id))
    preview = rules.mediation_notice_due(form.received_on.data, cal=office_calendar()) if form.received_on.data \
        else None
    return render("incidents/dispute_form.html", form=form, incident=incident, dispute=None, preview=preview)


def _dispute_data(form):
    return {k: (getattr(form, k).data.strip() if isinstance(getattr(form, k).data, str) else getattr(form, k).data)
            for k in ("applicant_name", "applicant_relation", "applicant_contact", "subject", "claim", "received_on")}


@bp.route("/disputes/<int:dispute_id>", methods=["GET"])
@roles_required(*DISPUTE_ROLES)
def dispute(dispute_id, **bound):
    d = get_or_404(DisputeMediation, dispute_id)
    schedule_form = bound.get("schedule_form") or f.DisputeScheduleForm(formdata=None)
    if not bound.get("schedule_form"):
        schedule_form.notified_on.data = clock.today()
        if d.hearing_at:
            schedule_form.hearing_date.data, schedule_form.hearing_time.data = f.split(d.hearing_at)
            schedule_form.hearing_place.data = d.hearing_place
    conclude_form = bound.get("conclude_form") or f.DisputeConcludeForm(formdata=None)
    if not bound.get("conclude_form"):
        conclude_form.concluded_on.data = clock.today()
    if d.status == "received":  # before a hearing is set the only result is a withdrawal
        conclude_form.outcome.choices = [("withdraw", "申請人撤回")]
    for form in (schedule_form, conclude_form):
        if form is not bound.get("schedule_form") and form is not bound.get("conclude_form"):
            form.version.data = d.version
    return render("incidents/dispute_show.html", block="dispute", d=d, schedule_form=schedule_form,
                  conclude_form=conclude_form, today=clock.today())


@bp.route("/disputes/<int:dispute_id>/edit", methods=["GET", "POST"])
@roles_required(*DISPUTE_ROLES)
def edit_dispute(dispute_id):
    d = get_or_404(DisputeMediation, dispute_id)
    form = f.DisputeForm(obj=d if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = d.version
    elif form.validate_on_submit():
        try:
            ops.update_dispute(current_user, d, _dispute_data(form), seen_version=form.version.data,
                               cal=office_calendar())
        except (StaleEdit, StaleDataError):
            db.session.rollback()
            flash(str(StaleEdit()), "error")
        except PortalError as exc:
            db.session.rollback()
            _fail(form, exc)
        else:
            db.session.commit()
            flash("爭議調處資料已更新。", "success")
            return redirect_to(url_for("incidents.dispute", dispute_id=d.id))
    return render("incidents/dispute_form.html", form=form, incident=d.incident, dispute=d,
                  preview=d.notice_due_on)


@bp.route("/disputes/<int:dispute_id>/schedule", methods=["POST"])
@roles_required(*DISPUTE_ROLES)
def schedule_dispute(dispute_id):
    d = get_or_404(DisputeMediation, dispute_id)
    form = f.DisputeScheduleForm()
    if not form.validate_on_submit():
        return dispute(dispute_id, schedule_form=form)
    try:
        ops.schedule_dispute(current_user, d, hearing_at=f.combine(form.hearing_date.data, form.hearing_time.data),
                             hearing_place=form.hearing_place.data, notified_on=form.notified_on.data,
                             seen_version=form.version.data or None)
    except (PortalError, StaleDataError) as exc:
        db.session.rollback()
        _fail(form, StaleEdit() if isinstance(exc, StaleDataError) else exc)
        return dispute(dispute_id, schedule_form=form)
    db.session.commit()
    flash("已排定調處期日並登錄通知日期。", "success")
    return redirect_to(url_for("incidents.dispute", dispute_id=d.id))


@bp.route("/disputes/<int:dispute_id>/conclude", methods=["POST"])
@roles_required(*DISPUTE_ROLES)
def conclude_dispute(dispute_id):
    d = get_or_404(DisputeMediation, dispute_id)
    form = f.DisputeConcludeForm()
    if not form.validate_on_submit():
        return dispute(dispute_id, conclude_form=form)
    try:
        ops.conclude_dispute(current_user, d, outcome=form.outcome.data, concluded_on=form.concluded_on.data,
                             note=form.note.data, seen_version=form.version.data or None)
    except (PortalError, StaleDataError) as exc:
        db.session.rollback()
        _fail(form, StaleEdit() if isinstance(exc, StaleDataError) else exc)
        return dispute(dispute_id, conclude_form=form)
    db.session.commit()
    flash("已登錄調處結果。", "success")
    return redirect_to(url_for("incidents.dispute", dispute_id=d.id))


# --- Template filters (countdown text matches static/js/portal.js) -------------------------------

@bp.app_template_filter("incident_left")
def incident_left(deadline, now):
    """Return 「剩 1 天 03:20」 or 「逾期 00:15」 for a deadline."""
    left = (deadline.due_at - now).total_seconds()
    seconds = int(abs(left))
    days, rest = divmod(seconds, 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    return ("逾期 " if left < 0 else "剩 ") + (f"{days} 天 " if days else "") + f"{hours:02d}:{minutes:02d}"


@bp.app_template_filter("incident_duration")
def incident_duration(delta):
    return rules.duration_text(delta) if delta else ""
