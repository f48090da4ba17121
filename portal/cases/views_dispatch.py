"""Dispatch to B units (§7, §9) and change-of-provider requests (§10.3, 附件一)."""
import os
import uuid
from dataclasses import dataclass
from datetime import date

from flask import current_app, flash, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.orm import aliased, joinedload, selectinload

from portal.auth import roles
from portal.auth.access import get_or_404, require, roles_required, scoped
from portal.cases import dispatch as dispatching
from portal.cases import operations as ops
from portal.cases import rules
from portal.cases.forms import (ChangeNoticeForm, ChangeRequestForm, CompleteForm, DecisionForm, DispatchForm,
                                FirstServiceForm, PreferenceForm, ReasonForm, ScanForm, WithdrawForm)
from portal.cases.models import CarePlan, Case, ChangeRequest, Dispatch, SERVICE_TYPES
from portal.clients.models import Client
from portal.cases.settings import SCAN_MAX_BYTES, setting
from portal.cases.views import (A_ROLES, B_ROLES, CASE_READERS, DECIDERS, attempt, bp, is_case_unit, load_case,
                                today)
from portal.extensions import db
from portal.htmx import is_htmx, redirect_to, render
from portal.orgs.models import Organisation
from portal.settings.operations import office_calendar
from portal.pagination import requested_page

DISPATCH_READERS = CASE_READERS + B_ROLES
PAGE_SIZE = 50   # the county's change-of-provider queue and dispatch list, a page at a time


# --- Recommendation and dispatch -------------------------------------------------------


def _recommendation(case, service_type, exclude=()):
    area_id = case.client.service_area_id
    cursor = dispatching.peek_rotation(area_id, service_type) if area_id else {}
    return dispatching.recommend(case, service_type, today=today(), cal=office_calendar(), rotation_cursor=cursor,
                                 exclude_org_ids=exclude)


@bp.route("/cases/<int:case_id>/dispatch/<service_type>", methods=["GET", "POST"])
@roles_required(*CASE_READERS)
def recommend(case_id, service_type):
    """The ranked recommendation list (§7) and the dispatch decision."""
    # The client, dispatches and plan the list reads, with the case (three queries, not five).
    case = load_case(case_id, joinedload(Case.client), joinedload(Case.dispatches),
                     selectinload(Case.plans).selectinload(CarePlan.items))
    if service_type not in SERVICE_TYPES:
        return redirect_to(url_for("cases.show", case_id=case.id))
    replaces = None
    replaces_id = request.values.get("replaces", type=int)
    if replaces_id:
        replaces = get_or_404(Dispatch, replaces_id)
        if replaces.case_id != case.id or not ops.may_redispatch(replaces, today()):
            flash("此派案目前不需改派。", "warning")
            return redirect_to(url_for("cases.show", case_id=case.id))
    own = is_case_unit(case)
    form = DispatchForm()
    if request.method == "POST":
        require(own)
        if form.validate_on_submit():
            org = db.session.get(Organisation, int(form.org_id.data or 0))
            if org is None:
                form.org_id.errors = ["請選擇服務單位"]
            else:
                response = attempt(lambda: ops.dispatch_b_unit(
                    current_user, case, service_type, org, seen_proposal_id=int(form.seen_proposal_id.data or 0) or None,
                    override_reason=form.override_reason.data, today=today(), replaces=replaces),
                    form=form, success=f"已派案給 {org.name}。", then=url_for("cases.show", case_id=case.id))
                if response:
                    return response
    rec = _recommendation(case, service_type, exclude=[replaces.organisation_id] if replaces else [])
    if request.method == "GET" or not form.org_id.data:
        form.org_id.data = str(rec.proposal.org.id) if rec.proposal else ""
    form.seen_proposal_id.data = str(rec.proposal.org.id) if rec.proposal else ""
    pref = PreferenceForm()
    pref.preferred_org_id.choices = [(0, "— 個案未指定 —")] + [(r.org.id, r.org.name) for r in rec.ranked + rec.excluded]
    pref.preferred_org_id.data = int((case.preferences or {}).get(service_type) or 0)
    return render("cases/recommend.html", block="ranking", case=case, service_type=service_type,
                  label=SERVICE_TYPES[service_type], rec=rec, form=form, pref=pref, own=own, replaces=replaces,
                  criteria=rules.CRITERIA, rotation_label=rules.ROTATION_LABEL, status=422 if form.errors else 200)


@bp.route("/cases/<int:case_id>/preference/<service_type>", methods=["POST"])
@roles_required(*A_ROLES)
def preference(case_id, service_type):
    """Record the client's named provider (criterion 1); the list re-ranks."""
    case = load_case(case_id)
    require(is_case_unit(case) and service_type in SERVICE_TYPES)
    form = PreferenceForm()
    form.preferred_org_id.choices = [(0, "")] + [(o.id, o.name) for o in db.session.execute(
        db.select(Organisation).where(Organisation.kind == roles.B_UNIT)).scalars()]
    if form.validate_on_submit():
        ops.set_preference(current_user, case, service_type, form.preferred_org_id.data or None)
        db.session.commit()
    args = {"replaces": request.form.get("replaces")} if request.form.get("replaces") else {}
    return redirect_to(url_for("cases.recommend", case_id=case.id, service_type=service_type, **args))


# --- Dispatch lists and the B unit's page ---------------------------------------------


# What a row of the dispatch list shows, and no other column (issue 10: notes and plans were most of the bytes read).
# A row of the dispatch list as plain columns (issue 10: 50 dispatches as ORM objects, with their cases, clients
# and units loaded by two more queries, cost more than the page's own query).
DISPATCH_PAGE_COLUMNS = (Dispatch.id, Dispatch.service_type, Dispatch.state, Dispatch.referred_on, Dispatch.due_on,
                         Dispatch.first_service_on, Dispatch.case_id, Dispatch.organisation_id)


@dataclass(frozen=True, slots=True)
class DispatchListRow:
    id: int
    service_type: str
    state: str
    referred_on: date
    due_on: date
    first_service_on: date | None
    client_name: str
    national_id: str
    unit_name: str
    unit_short_name: str | None

    # The same labels and overdue rule as Dispatch's and Client's.
    service_type_label = property(Dispatch.service_type_label.fget)
    is_overdue = Dispatch.is_overdue
    effective_state = Dispatch.effective_state
    state_label_on = Dispatch.state_label_on
    masked_id = property(Client.masked_id.fget)

    @property
    def unit_display_name(self):   # Organisation.display_name
        return self.unit_short_name or self.unit_name


@bp.route("/dispatches")
@roles_required(*DISPATCH_READERS)
def dispatches():
    state = request.args.get("state", "")
    overdue = request.args.get("overdue", type=int)
    now_day = today()
    stmt = db.select(Dispatch).where(Dispatch.visible_to(current_user, listing=True))
    if overdue:
        stmt = stmt.where(Dispatch.state.in_(("REFERRED", "ACCEPTED")), Dispatch.due_on < now_day)
    elif state in rules.DISPATCH_STATES:
        stmt = stmt.where(Dispatch.state == state)
    elif state == "active" or not state:
        stmt = stmt.where(Dispatch.state.in_(rules.DISPATCH_ACTIVE))
    total = db.session.execute(stmt.with_only_columns(func.count()).order_by(None)).scalar_one()
    page, pages = requested_page(total, PAGE_SIZE)
    # The page of dispatches first, then its 50 cases, clients and units: joined before the LIMIT, PostgreSQL
    # joined an A unit's 1,500 active dispatches to read 50 (11 ms, not 4).
    listed = (stmt.with_only_columns(*DISPATCH_PAGE_COLUMNS).order_by(*Dispatch.LIST_ORDER)
              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE).subquery())
    rows = [DispatchListRow(*row) for row in db.session.execute(
        db.select(*(listed.c[c.key] for c in DISPATCH_PAGE_COLUMNS[:-2]), Client.name, Client.national_id,
                  Organisation.name, Organisation.short_name)
        .join(Case, Case.id == listed.c.case_id).join(Client, Client.id == Case.client_id)
        .join(Organisation, Organisation.id == listed.c.organisation_id)
        .order_by(listed.c.state != "REFERRED", listed.c.due_on, listed.c.id.desc()))]
    return render("cases/dispatches.html", block="results", rows=rows, state=state or "active", overdue=overdue,
                  total=total, page=page, pages=pages, now_day=now_day,
                  states=rules.DISPATCH_STATES)


def load_dispatch(dispatch_id):
    return get_or_404(Dispatch, dispatch_id)


def _is_provider(dispatch):
    return current_user.role in roles.B_ROLES and dispatch.organisation_id == current_user.organisation_id


@bp.route("/dispatches/<int:dispatch_id>")
@roles_required(*DISPATCH_READERS)
def dispatch(dispatch_id):
    return _render_dispatch(load_dispatch(dispatch_id))


def _render_dispatch(d, status=200, **forms):
    plan = d.case.current_plan if d.is_active else d.plan
    return render("cases/dispatch.html", status=status, d=d, case=d.case, client=d.case.client, plan=plan,
                  items=plan.items_of(d.service_type) if plan else [], provider=_is_provider(d),
                  own=is_case_unit(d.case), now_day=today(),
                  decline_form=forms.get("decline_form") or ReasonForm(),
                  first_form=forms.get("first_form") or FirstServiceForm(),
                  notice_form=forms.get("notice_form") or ChangeNoticeForm(),
                  first_due=rules.first_service_due(d.case.plan_approved_on, cal=office_calendar())
                  if d.case.plan_approved_on else None)


@bp.route("/dispatches/<int:dispatch_id>/accept", methods=["POST"])
@roles_required(*B_ROLES)
def dispatch_accept(dispatch_id):
    d = load_dispatch(dispatch_id)
    require(_is_provider(d))
    return attempt(lambda: ops.accept_dispatch(current_user, d), success="已接案，請於期限內提供首次服務。",
                   then=url_for("cases.dispatch", dispatch_id=d.id)) or \
        redirect_to(url_for("cases.dispatch", dispatch_id=d.id))


@bp.route("/dispatches/<int:dispatch_id>/decline", methods=["POST"])
@roles_required(*B_ROLES)
def dispatch_decline(dispatch_id):
    d = load_dispatch(dispatch_id)
    require(_is_provider(d))
    form = ReasonForm()
    if form.validate_on_submit():
        response = attempt(lambda: ops.decline_dispatch(current_user, d, form.reason.data), form=form,
                           success="已回覆無法接案，A單位將改派。", then=url_for("cases.dispatches"))
        if response:
            return response
    return _render_dispatch(d, status=422, decline_form=form)


@bp.route("/dispatches/<int:dispatch_id>/first-service", methods=["POST"])
@roles_required(*(B_ROLES + A_ROLES))
def dispatch_first_service(dispatch_id):
    d = load_dispatch(dispatch_id)
    require(_is_provider(d) or is_case_unit(d.case))
    form = FirstServiceForm()
    if form.validate_on_submit():
        response = attempt(lambda: ops.record_first_service(current_user, d, form.first_service_on.data,
                                                            today=today()), form=form,
                           success="已登錄首次服務日期。", then=url_for("cases.dispatch", dispatch_id=d.id))
        if response:
            return response
    return _render_dispatch(d, status=422, first_form=form)


@bp.route("/dispatches/<int:dispatch_id>/change-notice", methods=["POST"])
@roles_required(*B_ROLES)
def dispatch_change_notice(dispatch_id):
    """服務異動通報 (R-CP-02): the B unit tells the A unit the plan must change."""
    d = load_dispatch(dispatch_id)
    require(_is_provider(d) and d.is_active)
    form = ChangeNoticeForm()
    if form.validate_on_submit():
        response = attempt(lambda: ops.report_plan_change(current_user, d, form.notice.data, today=today()),
                           form=form, success="已通報服務異動，個管師將於 3 日內修正照顧計畫。",
                           then=url_for("cases.dispatch", dispatch_id=d.id))
        if response:
            return response
    return _render_dispatch(d, status=422, notice_form=form)


# --- Change of provider ---------------------------------------------------------------


def load_change(change_id):
    return get_or_404(ChangeRequest, change_id)


# A row of the change queue as plain columns, and no other column (issue 10: the forms' texts are most of a
# request; ORM objects with their case, client, dispatch and both units joined cost more than the query).
_OLD_UNIT, _NEW_UNIT = aliased(Organisation), aliased(Organisation)
CHANGE_ROW_COLUMNS = (ChangeRequest.id, ChangeRequest.state, ChangeRequest.submitted_at, Client.name,
                      Dispatch.service_type, _OLD_UNIT.name, _OLD_UNIT.short_name, _NEW_UNIT.name, _NEW_UNIT.short_name)


@dataclass(frozen=True, slots=True)
class ChangeListRow:
    id: int
    state: str
    submitted_at: object
    client_name: str
    service_type: str
    old_unit_name: str
    old_unit_short_name: str | None
    new_unit_name: str | None
    new_unit_short_name: str | None

    state_label = property(ChangeRequest.state_label.fget)
    service_type_label = property(Dispatch.service_type_label.fget)

    @property
    def old_unit_display_name(self):   # Organisation.display_name
        return self.old_unit_short_name or self.old_unit_name

    @property
    def new_unit_display_name(self):
        return self.new_unit_short_name or self.new_unit_name


@bp.route("/changes")
@roles_required(*CASE_READERS)
def changes():
    state = request.args.get("state", "")
    stmt = scoped(ChangeRequest)
    if state in rules.CHANGE_STATES:
        stmt = stmt.where(ChangeRequest.state == state)
    elif state == "open" or not state:
        stmt = stmt.where(ChangeRequest.state.not_in(("WITHDRAWN", "COMPLETED")))
    total = db.session.execute(stmt.with_only_columns(func.count(ChangeRequest.id)).order_by(None)).scalar_one()
    page, pages = requested_page(total, PAGE_SIZE)
    rows = [ChangeListRow(*row) for row in db.session.execute(
        stmt.with_only_columns(*CHANGE_ROW_COLUMNS)   # case, client and units joined: one query, not four a row
        .join(Case, Case.id == ChangeRequest.case_id).join(Client, Client.id == Case.client_id)
        .join(Dispatch, Dispatch.id == ChangeRequest.dispatch_id)
        .join(_OLD_UNIT, _OLD_UNIT.id == Dispatch.organisation_id)
        .outerjoin(_NEW_UNIT, _NEW_UNIT.id == ChangeRequest.new_org_id)
        .order_by(ChangeRequest.state != "SUBMITTED", ChangeRequest.id.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))]
    return render("cases/changes.html", block="results", rows=rows, state=state or "open", states=rules.CHANGE_STATES,
                  total=total, page=page, pages=pages)


@bp.route("/dispatches/<int:dispatch_id>/change", methods=["POST"])
@roles_required(*A_ROLES)
def change_start(dispatch_id):
    d = load_dispatch(dispatch_id)
    require(is_case_unit(d.case))
    return attempt(lambda: ops.start_change_request(current_user, d, today=today()),
                   then=lambda req: url_for("cases.change_edit", change_id=req.id)) or \
        redirect_to(url_for("cases.show", case_id=d.case_id))


def _change_form(req, rec):
    form = ChangeRequestForm() if request.method == "POST" else ChangeRequestForm(obj=req)
    choices = [(0, "— 請選擇 —")] + [(r.org.id, f"第 {r.ranked.position} 順位　{r.org.name}（可再收 {r.open_capacity} 人）")
                                     for r in rec.ranked]
    if req.new_org_id and req.new_org_id not in {r.org.id for r in rec.ranked}:
        choices.append((req.new_org_id, f"{req.new_org.name}（目前不符派案條件）"))
    form.new_org_id.choices = choices
    if request.method == "GET":
        form.version.data = req.version
        form.new_org_id.data = req.new_org_id or 0
    return form


def _matching_suggestion(row):
    met = [reason.split("：")[0][2:] for reason in row.ranked.reasons[:6] if reason.startswith("✔")]
    text = "依派案優先順序：" + "、".join(met) if met else "依派案優先順序建議"
    if row.ranked.by_rotation or any(r.startswith("輪派") for r in row.ranked.reasons[6:]):
        text += "；" + rules.ROTATION_LABEL
    return text + f"（建議名單第 {row.ranked.position} 順位）。"


@bp.route("/changes/<int:change_id>/edit", methods=["GET", "POST"])
@roles_required(*A_ROLES)
def change_edit(change_id):
    """更換服務單位申請表: the CM fills it in steps; htmx shows the chosen unit's ranking reasons."""
    req = load_change(change_id)
    require(is_case_unit(req.case))
    if not req.editable:
        return redirect_to(url_for("cases.change", change_id=req.id))
    rec = _recommendation(req.case, req.dispatch.service_type, exclude=[req.dispatch.organisation_id])
    form = _change_form(req, rec)
    if form.validate_on_submit():
        action = request.form.get("action", "save")
        data = form.data_dict()
        row = rec.row_for(data["new_org_id"]) if data["new_org_id"] else None
        if row is not None and not (data["matching_note"] or "").strip():
            data["matching_note"] = _matching_suggestion(row)

        def act():
            ops.save_change_request(current_user, req, data, seen_version=form.version.data or None, today=today(),
                                    ranking=rec.snapshot() if row is not None else None)
            if action == "submit":
                ops.submit_change_request(current_user, req)
            return req
        response = attempt(act, form=form, success="已送衛生局審核。" if action == "submit" else "已儲存。",
                           then=url_for("cases.change", change_id=req.id) if action == "submit"
                           else url_for("cases.change_edit", change_id=req.id))
        if response:
            return response
    chosen = rec.row_for(form.new_org_id.data) if form.new_org_id.data else None
    return render("cases/change_form.html", req=req, case=req.case, form=form, rec=rec, chosen=chosen,
                  withdraw_form=WithdrawForm(version=req.version), problems=ops.change_request_problems(req),
                  suggestion=_matching_suggestion(chosen) if chosen else None)


@bp.route("/changes/<int:change_id>/candidate")
@roles_required(*A_ROLES)
def change_candidate(change_id):
    """htmx: why the unit picked as the new provider stands where it stands."""
    req = load_change(change_id)
    require(is_case_unit(req.case))
    if not is_htmx():  # the fragment belongs to the form page; a plain request gets the page
        return redirect_to(url_for("cases.change_edit", change_id=req.id))
    rec = _recommendation(req.case, req.dispatch.service_type, exclude=[req.dispatch.organisation_id])
    chosen = rec.row_for(request.args.get("new_org_id", type=int) or 0)
    return render("cases/change_form.html", block="candidate", req=req, rec=rec, chosen=chosen,
                  suggestion=_matching_suggestion(chosen) if chosen else None)


@bp.route("/changes/<int:change_id>/withdraw", methods=["POST"])
@roles_required(*A_ROLES)
def change_withdraw(change_id):
    req = load_change(change_id)
    require(is_case_unit(req.case))
    form = WithdrawForm()
    if form.validate_on_submit():
        response = attempt(lambda: ops.withdraw_change_request(current_user, req, form.withdrawn_reason.data,
                                                               seen_version=form.version.data or None),
                           form=form, success="已結束申請（協調後不更換）。",
                           then=url_for("cases.change", change_id=req.id))
        if response:
            return response
    flash("請填寫協調結果或撤回原因。", "error")
    return redirect_to(url_for("cases.change_edit", change_id=req.id))


@bp.route("/changes/<int:change_id>")
@roles_required(*CASE_READERS)
def change(change_id):
    return _render_change(load_change(change_id))


def _render_change(req, status=200, **forms):
    decision_form = forms.get("decision_form") or DecisionForm(round=req.rounds_count)
    complete_form = forms.get("complete_form") or CompleteForm(version=req.version)
    return render("cases/change.html", status=status, req=req, case=req.case,
                  own=is_case_unit(req.case), decider=current_user.role in DECIDERS,
                  decision_form=decision_form, complete_form=complete_form,
                  scan_form=forms.get("scan_form") or ScanForm(),
                  max_mb=round(setting(SCAN_MAX_BYTES) / 1024 / 1024, 1))


@bp.route("/changes/<int:change_id>/submit", methods=["POST"])
@roles_required(*A_ROLES)
def change_submit(change_id):
    req = load_change(change_id)
    require(is_case_unit(req.case))
    return attempt(lambda: ops.submit_change_request(current_user, req,
                                                     seen_version=request.form.get("version") or None),
                   success="已送衛生局審核。", then=url_for("cases.change", change_id=req.id)) or \
        redirect_to(url_for("cases.change_edit", change_id=req.id) if req.editable
                    else url_for("cases.change", change_id=req.id))


@bp.route("/changes/<int:change_id>/decide", methods=["POST"])
@roles_required(*DECIDERS)
def change_decide(change_id):
    req = load_change(change_id)
    form = DecisionForm()
    if form.validate_on_submit():
        approve = form.decision.data == "approve"
        response = attempt(lambda: ops.decide_change_request(current_user, req, form.decision.data, form.comment.data,
                                                             today=today(), seen_round=form.round.data or None),
                           form=form, success="已同意更換服務單位，並通知新舊服務單位。" if approve else "已退回補正。",
                           then=url_for("cases.change", change_id=req.id))
        if response:
            return response
    db.session.expire_all()
    return _render_change(db.session.get(ChangeRequest, req.id), status=422, decision_form=form)


@bp.route("/changes/<int:change_id>/complete", methods=["POST"])
@roles_required(*A_ROLES)
def change_complete(change_id):
    req = load_change(change_id)
    require(is_case_unit(req.case))
    form = CompleteForm()
    if form.validate_on_submit():
        response = attempt(lambda: ops.complete_change_request(current_user, req, form.plan_changed_on.data,
                                                               form.uploaded_to_system.data, today=today(),
                                                               seen_version=form.version.data or None),
                           form=form, success="已完成計畫異動。", then=url_for("cases.change", change_id=req.id))
        if response:
            return response
    return _render_change(req, status=422, complete_form=form)


@bp.route("/changes/<int:change_id>/scan", methods=["GET", "POST"])
@roles_required(*CASE_READERS)
def change_scan(change_id):
    """Upload (A unit) or open the signed scan of the request. The type is checked by content."""
    req = load_change(change_id)
    if request.method == "GET":
        if not req.scan_path:
            return redirect_to(url_for("cases.change", change_id=req.id))
        path = os.path.join(current_app.config["UPLOAD_DIR"], req.scan_path)
        if not os.path.isfile(path):
            flash("掃描檔已不存在，請重新上傳。", "error")
            return redirect_to(url_for("cases.change", change_id=req.id))
        return send_file(path, mimetype=req.scan_mime, download_name=req.scan_name,
                         as_attachment=req.scan_mime != "application/pdf")
    require(is_case_unit(req.case))
    form = ScanForm()
    if form.validate_on_submit():
        problem, stored = _store_scan(req, request.files.get("scan"))
        if problem:
            form.scan.errors = [problem]
        else:
            response = attempt(lambda: ops.attach_scan(current_user, req, **stored), form=form,
                               success="已上傳簽名掃描檔。", then=url_for("cases.change", change_id=req.id))
            if response:
                return response
    return _render_change(req, status=422, scan_form=form)


def _store_scan(req, upload):
    if upload is None or not upload.filename:
        return "請選擇要上傳的檔案。", None
    limit = setting(SCAN_MAX_BYTES)
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        return f"檔案超過 {round(limit / 1024 / 1024, 1)} MB 上限，請降低掃描解析度後再上傳。", None
    if not data:
        return "檔案是空的。", None
    mime = rules.sniff_scan(data[:16])
    if mime is None:
        return "只接受 PDF、JPEG 或 PNG 檔（依檔案內容判斷）。", None
    relative = os.path.join("cases", f"change-{req.id}-{uuid.uuid4().hex}.{rules.SCAN_TYPES[mime]}")
    path = os.path.join(current_app.config["UPLOAD_DIR"], relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
    name = os.path.basename(upload.filename)[:150] or f"scan.{rules.SCAN_TYPES[mime]}"
    return None, {"path": relative, "name": name, "mime": mime, "size": len(data)}


@bp.route("/changes/<int:change_id>.pdf")
@roles_required(*CASE_READERS)
def change_pdf(change_id):
    """更換服務單位申請表 (附件一) with section 十 (the bureau's decision) when decided."""
    from portal.pdf import pdf_response
    req = load_change(change_id)
    return pdf_response("pdf/cases_change_request.html", f"更換服務單位申請表-{req.case.client.name}.pdf",
                        req=req, case=req.case, client=req.case.client, service_types=SERVICE_TYPES,
                        record_ref=f"申請 {req.id}", version=req.rounds_count or None,
                        draft=req.state in ("DRAFT", "COORDINATING", "MATCHED", "WITHDRAWN"))
