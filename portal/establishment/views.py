"""Establishment plans (設立計畫書): applicant registration, the section-by-section editor with
autosave and checklist, uploads, submission, the bureau's review, versions, the PDF, and the
bureau's population table."""
from flask import Blueprint, abort, current_app, flash, make_response, request, url_for
from flask_login import current_user, login_user
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal import clock
from portal.auth import roles
from portal.auth.access import get_or_404, public, require, roles_required, scoped
from portal.dashboard.registry import ActionItem, action_source
from portal.errors import PortalError, Refused, StaleEdit, TransitionNotAllowed
from portal.establishment import checks, demo  # noqa: F401  (demo registers its seeder)
from portal.establishment import models as m
from portal.establishment import operations as ops
from portal.establishment.forms import (POPULATION_INPUTS, CommentForm, ContractReviewForm, DecisionForm, PopulationForm, ReceiveForm,
                                        RegisterForm, SiteVisitForm, cell_input, field_input, parse_section,
                                        shown_value)
from portal.establishment.outline import BY_KEY, EDITABLE_KEYS, NUMBERED, OUTLINE
from portal.establishment.settings import SERVICE_ITEMS
from portal.extensions import db
from portal.htmx import is_htmx, redirect_to, render
from portal.nav import register_nav
from portal.orgs.models import ServiceArea
from portal.settings.registry import get_setting

bp = Blueprint("establishment", __name__)
register_nav("設立計畫書", "establishment.index", m.READER_ROLES, order=70)


# --- helpers ----------------------------------------------------------------------------------

def _areas():
    return db.session.execute(db.select(ServiceArea).where(ServiceArea.active)
                              .order_by(ServiceArea.sort_order)).scalars().all()


def _area_names():
    return {str(a.id): a.name for a in _areas()}


def _choices_for(name):
    if name == "area_ids":
        return [(str(a.id), a.name) for a in _areas()]
    if name == "codes":
        return [(code, f"{code} {label}") for code, label in get_setting(SERVICE_ITEMS)]
    return []


def _facts(plan, content=None):
    return checks.plan_facts(plan, _area_names(), content)


def _can_edit(plan):
    return (current_user.role in m.AUTHOR_ROLES and current_user.organisation_id == plan.organisation_id
            and plan.editable)


def _is_reviewer():
    return current_user.role in m.REVIEWER_ROLES


def default_data(section):
    data = {}
    for t in section.tables:
        if t.preset:
            data[t.name] = [dict(p, fixed=i) for i, p in enumerate(t.preset)]
        elif t.min_rows:
            data[t.name] = [{} for _ in range(t.min_rows)]
    if section.key == "basic":
        from portal.settings.operations import county_profile
        data["county"] = county_profile().county_name
    return data


def _contract_form(plan):
    draft, review = plan.contract_draft(), plan.contract_review()
    return ContractReviewForm(formdata=None, data={"attachment_id": draft.id if draft else "",
                                                   "seen_review_id": review.id if review else 0})


def _comments_by_section(plan):
    result = {}
    for c in plan.comments:
        result.setdefault(c.section_key, []).append(c)
    return result


def _open_comment_counts(plan):
    """Comments of the round the bureau returned — what the applicant must address."""
    if plan.status != m.RETURNED:
        return {}
    counts = {}
    for c in plan.comments:
        if c.submission_number == plan.submission_count:
            counts[c.section_key] = counts.get(c.section_key, 0) + 1
    return counts


def _outline_ctx(plan, problems):
    done = sum(1 for k in EDITABLE_KEYS if not problems.get(k))
    return {"outline": OUTLINE, "problems": problems, "done": done, "total": len(EDITABLE_KEYS),
            "open_comments": _open_comment_counts(plan)}


# --- registration (public) ------------------------------------------------------------------

@bp.route("/establishment/register", methods=["GET", "POST"])
@public
def register():
    if current_user.is_authenticated:
        return redirect_to(url_for("establishment.index"))
    form = RegisterForm()
    error = None
    if form.validate_on_submit():
        if form.website.data:  # honeypot filled in: a robot; answer as if nothing happened
            abort(400)
        data = {k: getattr(form, k).data for k in ("organisation_name", "full_name", "job_title", "email", "phone",
                                                   "username")}
        try:
            user = ops.register_applicant(data, form.password.data, ip=request.remote_addr)
        except Refused as exc:
            db.session.rollback()
            if exc.field:
                getattr(form, exc.field).errors.append(str(exc))
            else:
                error = str(exc)
        else:
            db.session.commit()
            login_user(user)
            flash("帳號已建立，您可以開始撰寫設立計畫書。", "success")
            return redirect_to(url_for("establishment.index"))
    return render("establishment/register.html", form=form, error=error)


# --- lists ------------------------------------------------------------------------------------

@bp.route("/establishment")
@roles_required(*m.READER_ROLES)
def index():
    status = request.args.get("status", "")
    stmt = scoped(m.EstablishmentPlan).order_by(m.EstablishmentPlan.updated_at.desc())
    if status in m.STATUS_LABELS:
        stmt = stmt.where(m.EstablishmentPlan.status == status)
    plans = db.session.execute(stmt).scalars().all()
    rows = [(p, checks.institution_name(p.content()) or p.organisation.name) for p in plans]
    can_create = current_user.role in m.AUTHOR_ROLES and not any(
        p.status in (m.DRAFT, m.SUBMITTED, m.RECEIVED, m.RETURNED) and p.organisation_id == current_user.organisation_id
        for p in plans)
    return render("establishment/index.html", block="results", rows=rows, status_filter=status,
                  statuses=m.STATUS_LABELS, can_create=can_create)


@bp.route("/establishment/plans/new", methods=["POST"])
@roles_required(*m.AUTHOR_ROLES)
def new():
    plan = ops.create_plan(current_user, current_user.organisation)
    db.session.commit()
    return redirect_to(url_for("establishment.section", plan_id=plan.id, key="cover"))


# --- one plan -----------------------------------------------------------------------------

@bp.route("/establishment/plans/<int:plan_id>")
@roles_required(*m.READER_ROLES)
def show(plan_id):
    plan = get_or_404(m.EstablishmentPlan, plan_id)
    problems = checks.all_problems(_facts(plan))
    receive_form = ReceiveForm(data={"case_number": plan.case_number, "received_on": plan.received_on,
                                     "version": plan.version})
    return render("establishment/plan.html", plan=plan, name=checks.institution_name(plan.content()),
                  can_edit=_can_edit(plan), is_reviewer=_is_reviewer(), comments=_comments_by_section(plan),
                  receive_form=receive_form, decision_form=DecisionForm(data={"version": plan.version}),
                  visit_form=SiteVisitForm(data={"version": plan.version}), numbered=NUMBERED,
                  contract_form=_contract_form(plan), contract_reviewable=plan.status in ops.CONTRACT_REVIEW_STATUSES,
                  **_outline_ctx(plan, problems))


@bp.route("/establishment/plans/<int:plan_id>/sections/<key>", methods=["GET", "POST"])
@roles_required(*m.READER_ROLES)
def section(plan_id, key):
    plan = get_or_404(m.EstablishmentPlan, plan_id)
    spec = BY_KEY.get(key)
    if spec is None:
        abort(404)
    can_edit = _can_edit(plan)
    row = ops.section_row(plan, key)
    data = (row.data if row else None) or default_data(spec)
    version = row.version if row else 0
    errors, raw, message, saved, conflict = {}, None, None, False, False
    chosen_areas = [str(a) for a in plan.section_data("areas").get("area_ids") or []]
    if request.method == "POST":
        require(can_edit or current_user.role in m.AUTHOR_ROLES)
        action = request.form.get("action", "")
        data, errors = parse_section(spec, request.form, choices_for=_choices_for, area_ids=chosen_areas)
        if errors:
            raw = request.form
            message = "尚未儲存：請修正標示的欄位。"
        else:
            _apply_action(spec, data, action, chosen_areas)
            try:
                seen = request.form.get("version", type=int)
                saved_row = ops.save_section(current_user, plan, key, data, seen_version=seen)
                db.session.commit()
                version, saved = saved_row.version, True
            except (StaleEdit, StaleDataError) as exc:
                db.session.rollback()
                message, conflict, raw = (str(exc) if isinstance(exc, StaleEdit) else str(StaleEdit())), True, request.form
            except PortalError as exc:
                db.session.rollback()
                message, raw = str(exc), request.form
        if not is_htmx() and saved and not action.startswith(("add_row", "load_population")):
            flash("已儲存。", "success")
            target = key
            if action == "save_next":
                target = _next_key(key) or key
            return redirect_to(url_for("establishment.section", plan_id=plan.id, key=target))
        db.session.expire_all()
        plan = get_or_404(m.EstablishmentPlan, plan_id)
        if is_htmx() and not action:
            content = plan.content()
            if not saved:
                content[key] = data
            return render("establishment/section.html", block="autosave",
                          **_section_ctx(plan, spec, data, version, errors, raw, message, saved, conflict, can_edit,
                                         content))
    content = plan.content()
    content[key] = data
    return render("establishment/section.html", block="editor" if request.method == "POST" else None,
                  status=422 if errors else 200,
                  **_section_ctx(plan, spec, data, version, errors, raw, message, saved, conflict,
                                 _can_edit(plan), content))


def _next_key(key):
    keys = list(EDITABLE_KEYS)
    i = keys.index(key) if key in keys else -1
    return keys[i + 1] if 0 <= i < len(keys) - 1 else None


def _prev_key(key):
    keys = list(EDITABLE_KEYS)
    i = keys.index(key) if key in keys else -1
    return keys[i - 1] if i > 0 else None


def _apply_action(spec, data, action, chosen_areas):
    """The editor's buttons: add a table row (under a group), or copy the bureau's population figures."""
    parts = action.split(":")
    if parts[0] == "add_row" and len(parts) >= 2:
        table = next((t for t in spec.tables if t.name == parts[1] and t.can_add), None)
        if table is not None:
            row = {}
            if table.groups:
                row["group"] = parts[2] if len(parts) > 2 and parts[2] in dict(table.groups) else table.groups[0][0]
            data.setdefault(table.name, []).append(row)
            if table.groups:
                order = [g for g, _ in table.groups]
                data[table.name].sort(key=lambda r: order.index(r.get("group", order[-1])))
    elif parts[0] == "load_population" and spec.key == "demand":
        figures = {str(p.service_area_id): p for p in db.session.execute(db.select(m.PopulationFigure)).scalars()}
        rows = {str(r.get("area_id")): r for r in data.get("population") or []}
        sources = set()
        for area_id in chosen_areas:
            fig = figures.get(area_id)
            if fig is None:
                continue
            rows[area_id] = {"area_id": area_id, **{k: getattr(fig, k) for k in POPULATION_INPUTS}}
            sources.add((fig.source or "衛生局人口資料") + ("（示範數字）" if fig.is_demo else ""))
        data["population"] = [rows[a] for a in chosen_areas if a in rows]
        if sources and not data.get("source"):
            data["source"] = "、".join(sorted(sources))


def _section_ctx(plan, spec, data, version, errors, raw, message, saved, conflict, can_edit, content):
    facts = _facts(plan, content)
    problems = checks.all_problems(facts)
    numbered = NUMBERED[spec.key]
    comments = _comments_by_section(plan).get(spec.key, [])
    return dict(plan=plan, spec=spec, numbered=numbered, data=data, version=version, errors=errors, raw=raw,
                message=message, saved=saved, conflict=conflict, can_edit=can_edit, content=content, facts=facts,
                section_problems=problems.get(spec.key, []), comments=comments, uploads=facts.uploads,
                is_reviewer=_is_reviewer(), comment_form=CommentForm(data={"section_key": spec.key}),
                choices_for=_choices_for, area_names=facts.area_names, next_key=_next_key(spec.key),
                prev_key=_prev_key(spec.key), contract_form=_contract_form(plan),
                contract_reviewable=plan.status in ops.CONTRACT_REVIEW_STATUSES, field_input=field_input, cell_input=cell_input, shown=shown_value,
                computed=_computed(spec.key, content, facts), now=clock.now(), **_outline_ctx(plan, problems))


def _computed(key, content, facts):
    """The rules' live results shown beside a section."""
    out = {}
    if key == "basic":
        name, built, problems = checks.name_result(content.get("basic") or {})
        basic = content.get("basic") or {}
        from portal.establishment import rules
        out.update(name=name, built=built, name_problems=problems,
                   pattern=rules.NAME_PATTERNS.get(basic.get("applicant_type") or ""),
                   responsible=rules.RESPONSIBLE_LABELS[rules.responsible_person(basic.get("applicant_type") or "",
                                                                                basic.get("legal_form") or "")])
    if key == "org_chart":
        out["org_chart"] = checks.org_chart(content)
        out["org_chart_uploaded"] = bool(facts.uploads.get("org_chart"))
    if key in ("org_chart", "duties", "staffing", "projection"):
        from portal.establishment import rules
        check = checks.staffing_check(content)
        out.update(staffing=check, to_hire=rules.supervisors_to_hire(check.clients, check.lead_counts_as_supervisor))
    if key in ("demand", "areas"):
        out["demand"] = checks.demand_table(content, facts.area_names)
    if key in ("budget", "funding"):
        out["budget"] = checks.budget_totals(content)
        out["funding_total"] = checks.funding_total(content)
    if key == "projection":
        out["years"], out["projection"] = checks.projection(content)
    if key == "att_lease":
        out["lease_ok"] = checks.lease_ok(content)
    return out


# --- uploads ----------------------------------------------------------------------------------

def _upload_spec(slot):
    for s in BY_KEY.values():
        for u in s.uploads:
            if u.slot == slot:
                return s, u
    abort(404)


@bp.route("/establishment/plans/<int:plan_id>/uploads/<slot>", methods=["POST"])
@roles_required(*m.AUTHOR_ROLES)
def upload(plan_id, slot):
    plan = get_or_404(m.EstablishmentPlan, plan_id)
    section_spec, spec = _upload_spec(slot)
    file = request.files.get("file")
    try:
        ops.add_attachment(current_user, plan, slot, file.filename if file else "", file.read() if file else b"",
                           note=request.form.get("note", ""), images_only=spec.images_only, many=spec.many)
    except PortalError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"已上傳「{spec.label}」。", "success")
    return redirect_to(url_for("establishment.section", plan_id=plan.id, key=section_spec.key) + "#uploads")


@bp.route("/establishment/plans/<int:plan_id>/attachments/<int:att_id>/remove", methods=["POST"])
@roles_required(*m.AUTHOR_ROLES)
def remove_upload(plan_id, att_id):
    plan = get_or_404(m.EstablishmentPlan, plan_id)
    att = next((a for a in plan.attachments if a.id == att_id), None)
    if att is None:
        abort(404)
    try:
        ops.remove_attachment(current_user, plan, att)
    except PortalError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"已移除「{att.filename}」。", "success")
    section_spec, _ = _upload_spec(att.slot)
    return redirect_to(url_for("establishment.section", plan_id=plan.id, key=section_spec.key) + "#uploads")


@bp.route("/establishment/plans/<int:plan_id>/attachments/<int:att_id>")
@roles_required(*m.READER_ROLES)
def attachment(plan_id, att_id):
    plan = get_or_404(m.EstablishmentPlan, plan_id)
    att = next((a for a in plan.attachments if a.id == att_id), None)
    if att is None:
        abort(404)
    from urllib.parse import quote
    response = make_response(ops.attachment_bytes(att))
    response.headers["Content-Type"] = att.content_type
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(att.filename)}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- submission, PDF, versions --------------------------------------------------------------

@bp.route("/establishment/plans/<int:plan_id>/submit", methods=["POST"])
@roles_required(*m.AUTHOR_ROLES)
def submit(plan_id):
    plan = get_or_404(m.EstablishmentPlan, plan_id)
    try:
        submission = ops.submit_plan(current_user, plan, lambda p: checks.all_problems(_facts(p)))
    except PortalError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"計畫書第 {submission.number} 版已送出。請另以公文函送 1 式 7 份文件。", "success")
    return redirect_to(url_for("establishment.show", plan_id=plan.id))


@bp.route("/establishment/plans/<int:plan_id>.pdf")
@roles_required(*m.READER_ROLES)
def pdf(plan_id):
    from portal.establishment.pdf import plan_pdf
    plan = get_or_404(m.EstablishmentPlan, plan_id)
    number = request.args.get("version", type=int)
    submission = next((s for s in plan.submissions if s.number == number), None) if number else None
    body = plan_pdf(plan, submission=submission, area_names=_area_names())
    name = checks.institution_name(submission.content if submission else plan.content()) or "設立計畫書"
    response = make_response(body)
    response.headers["Content-Type"] = "application/pdf"
    from urllib.parse import quote
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(name + '設立計畫書.pdf')}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/establishment/plans/<int:plan_id>/versions")
@roles_required(*m.READER_ROLES)
def versions(plan_id):
    from portal.establishment.diff import compare_versions
    plan = get_or_404(m.EstablishmentPlan, plan_id)
    numbers = [s.number for s in plan.submissions]
    a = request.args.get("a", type=int) or (numbers[-2] if len(numbers) >= 2 else (numbers[-1] if numbers else None))
    b_arg = request.args.get("b", "")
    b = int(b_arg) if b_arg.isdigit() else ("current" if plan.editable or not numbers else numbers[-1])
    if a is not None and a not in numbers:
        abort(404)
    if b != "current" and b not in numbers:
        abort(404)
    left = next((s for s in plan.submissions if s.number == a), None)
    right = next((s for s in plan.submissions if s.number == b), None)
    diffs = compare_versions(left.content if left else {}, right.content if right else plan.content(),
                             left.attachments if left else [],
                             right.attachments if right else [x.summary() for x in plan.live_attachments()],
                             area_names=_area_names())
    return render("establishment/versions.html", plan=plan, diffs=diffs, a=a, b=b, numbers=numbers,
                  comments=_comments_by_section(plan), numbered=NUMBERED)


# --- review (bureau) --------------------------------------------------------------------------

def _review_done(plan, message):
    db.session.commit()
    flash(message, "success")
    return redirect_to(url_for("establishment.show", plan_id=plan.id))


def _review_failed(plan, exc):
    db.session.rollback()
    flash(str(exc) if isinstance(exc, PortalError) else str(StaleEdit()), "error")
    return redirect_to(url_for("establishment.show", plan_id=plan.id))


@bp.route("/establishment/plans/<int:plan_id>/receive", methods=["POST"])
@roles_required(*m.REVIEWER_ROLES)
def receive(plan_id):
    plan = get_or_404(m.EstablishmentPlan, plan_id)
    form = ReceiveForm()
    if not form.validate_on_submit():
        flash("；".join(e for errs in form.errors.values() for e in errs), "error")
        return redirect_to(url_for("establishment.show", plan_id=plan.id))
    try:
        ops.receive_plan(current_user, plan, form.case_number.data, form.received_on.data,
                         seen_version=form.version.data)
    except (PortalError, StaleDataError) as exc:
        return _review_failed(plan, exc)
    return _review_done(plan, f"已收案：案件編號 {plan.case_number}。")


@bp.route("/establishment/plans/<int:plan_id>/comments", methods=["POST"])
@roles_required(*m.REVIEWER_ROLES)
def comment(plan_id):
    plan = get_or_404(m.EstablishmentPlan, plan_id)
    form = CommentForm()
    key = form.section_key.data if form.section_key.data in BY_KEY else None
    if key is None:
        abort(404)
    if not form.validate_on_submit():
        flash("請填寫審查意見。", "error")
    else:
        try:
            ops.add_comment(current_user, plan, key, form.body.data)
        except PortalError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash("已加入審查意見。", "success")
    return redirect_to(url_for("establishment.section", plan_id=plan.id, key=key) + "#comments")


@bp.route("/establishment/plans/<int:plan_id>/comments/<int:comment_id>/delete", methods=["POST"])
@roles_required(*m.REVIEWER_ROLES)
def delete_comment(plan_id, comment_id):
    plan = get_or_404(m.EstablishmentPlan, plan_id)
    target = next((c for c in plan.comments if c.id == comment_id), None)
    if target is None:
        abort(404)
    key = target.section_key
    try:
        ops.delete_comment(current_user, plan, target)
    except PortalError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("已刪除審查意見。", "success")
    return redirect_to(url_for("establishment.section", plan_id=plan.id, key=key) + "#comments")


@bp.route("/establishment/plans/<int:plan_id>/decide", methods=["POST"])
@roles_required(*m.REVIEWER_ROLES)
def decide(plan_id):
    plan = get_or_404(m.EstablishmentPlan, plan_id)
    form = DecisionForm()
    decision = request.form.get("decision")
    if not form.validate_on_submit() or decision not in ("return", "accept"):
        abort(400)
    try:
        if decision == "return":
            ops.return_plan(current_user, plan, form.note.data, seen_version=form.version.data)
        else:
            ops.accept_plan(current_user, plan, form.note.data, seen_version=form.version.data)
    except (PortalError, StaleDataError) as exc:
        return _review_failed(plan, exc)
    return _review_done(plan, "已退回補件，申請人會在各節旁看到審查意見。" if decision == "return"
                        else "計畫書審查通過，請安排實地訪查。")


@bp.route("/establishment/plans/<int:plan_id>/site-visit", methods=["POST"])
@roles_required(*m.REVIEWER_ROLES)
def site_visit(plan_id):
    plan = get_or_404(m.EstablishmentPlan, plan_id)
    form = SiteVisitForm()
    if not form.validate_on_submit():
        flash("；".join(e for errs in form.errors.values() for e in errs), "error")
        return redirect_to(url_for("establishment.show", plan_id=plan.id))
    try:
        ops.record_site_visit(current_user, plan, form.visited_on.data, form.result.data, form.note.data,
                              seen_version=form.version.data)
    except (PortalError, StaleDataError) as exc:
        return _review_failed(plan, exc)
    return _review_done(plan, "已登錄實地訪查結果。")


@bp.route("/establishment/plans/<int:plan_id>/contract-review", methods=["POST"])
@roles_required(*m.REVIEWER_ROLES)
def contract_review(plan_id):
    """參、六: 已同意 / 需修正 on the service-contract draft."""
    plan = get_or_404(m.EstablishmentPlan, plan_id)
    form = ContractReviewForm()
    back = url_for("establishment.section", plan_id=plan.id, key="contract") + "#contract-review"
    if not form.validate_on_submit():
        flash("；".join(e for errs in form.errors.values() for e in errs) or "請重新載入後再試。", "error")
        return redirect_to(back)
    try:
        review = ops.review_contract(current_user, plan, request.form.get("decision", ""),
                                     attachment_id=form.attachment_id.data, seen_review_id=form.seen_review_id.data,
                                     letter_no=form.letter_no.data, note=form.note.data)
    except (PortalError, StaleDataError) as exc:
        db.session.rollback()
        flash(str(exc) if isinstance(exc, PortalError) else str(StaleEdit()), "error")
        return redirect_to(back)
    db.session.commit()
    flash(f"服務契約草案審查：{review.decision_label}。", "success")
    return redirect_to(back)


# --- the bureau's population table (Q23) ------------------------------------------------------

POPULATION_EDITORS = (roles.ADMIN, roles.BUREAU_OFFICER, roles.BUREAU_CHIEF)


@bp.route("/establishment/population")
@roles_required(*m.READER_ROLES)
def population():
    figures = {p.service_area_id: p for p in db.session.execute(db.select(m.PopulationFigure)).scalars()}
    return render("establishment/population.html", areas=_areas(), figures=figures, inputs=POPULATION_INPUTS,
                  can_edit=current_user.role in POPULATION_EDITORS)


@bp.route("/establishment/population/<int:area_id>", methods=["GET", "POST"])
@roles_required(*POPULATION_EDITORS)
def population_edit(area_id):
    area = db.get_or_404(ServiceArea, area_id)
    row = db.session.execute(db.select(m.PopulationFigure).filter_by(service_area_id=area.id)).scalar_one_or_none()
    form = PopulationForm(obj=row)
    if form.validate_on_submit():
        data = {k: getattr(form, k).data for k in ops.POPULATION_FIELDS}
        ops.save_population(current_user, area, data)
        db.session.commit()
        flash(f"已更新{area.name}人口資料。", "success")
        return redirect_to(url_for("establishment.population"))
    return render("establishment/population_form.html", form=form, area=area)


# --- dashboard --------------------------------------------------------------------------------

def _plan_work(user, now):
    if user.role in m.REVIEWER_ROLES:
        return db.select(m.EstablishmentPlan.id).where(
            m.EstablishmentPlan.status.in_((m.SUBMITTED, m.RECEIVED, m.ACCEPTED)))
    if user.role in m.AUTHOR_ROLES:
        return db.select(m.EstablishmentPlan.id).where(
            m.EstablishmentPlan.organisation_id == user.organisation_id,
            m.EstablishmentPlan.status.in_((m.RETURNED, m.DRAFT)))
    return False


@action_source(probe=_plan_work)
def plan_actions(user, now):
    if user.role in m.REVIEWER_ROLES:
        # one query: each plan with its unit, its basic section (the institution's name) and the current
        # contract draft's file name (PlanAttachment order, the last live one in its slot: contract_draft())
        basic = (db.select(m.PlanSection.data).where(m.PlanSection.plan_id == m.EstablishmentPlan.id,
                                                     m.PlanSection.key == "basic").limit(1).scalar_subquery())
        def current_draft(column):
            return (db.select(column).where(
                m.PlanAttachment.plan_id == m.EstablishmentPlan.id, m.PlanAttachment.slot == m.CONTRACT_SLOT,
                m.PlanAttachment.removed_at.is_(None)).order_by(m.PlanAttachment.id.desc()).limit(1).scalar_subquery())
        # contract_status == CONTRACT_PENDING: a current draft and no decision on it yet
        pending = current_draft(m.PlanAttachment.id).is_not(None) & ~db.select(m.ContractReview.id).where(
            m.ContractReview.attachment_id == current_draft(m.PlanAttachment.id)).exists()
        rows = db.session.execute(db.select(m.EstablishmentPlan, basic, current_draft(m.PlanAttachment.filename),
                                            pending).where(
            m.EstablishmentPlan.status.in_((m.SUBMITTED, m.RECEIVED, m.ACCEPTED, m.VISITED)))
            .options(joinedload(m.EstablishmentPlan.organisation))).all()
        items = []
        for p, basic_data, draft_name, contract_pending in rows:
            name = checks.institution_name({"basic": basic_data or {}}) or p.organisation.name
            title = {m.SUBMITTED: "設立計畫書待收案（填案件編號、收案日期）", m.RECEIVED: "設立計畫書待審查",
                     m.ACCEPTED: "設立計畫書已通過，待登錄實地訪查"}.get(p.status)
            if title:
                items.append(ActionItem(f"{title}：{name}", url_for("establishment.show", plan_id=p.id),
                                        area="設立計畫書", detail=f"第 {p.submission_count} 版"))
            if p.status in ops.CONTRACT_REVIEW_STATUSES and contract_pending:
                items.append(ActionItem(f"服務契約草案待審（參、六）：{name}",
                                        url_for("establishment.section", plan_id=p.id, key="contract"),
                                        area="設立計畫書", detail=draft_name or ""))
        return items
    if user.role in m.AUTHOR_ROLES:
        plans = db.session.execute(db.select(m.EstablishmentPlan).where(
            m.EstablishmentPlan.organisation_id == user.organisation_id,
            m.EstablishmentPlan.status.in_((m.RETURNED, m.DRAFT)))
            .options(selectinload(m.EstablishmentPlan.comments))).scalars().all()
        items = []
        for p in plans:
            if p.status == m.RETURNED:
                n = sum(1 for c in p.comments if c.submission_number == p.submission_count)
                items.append(ActionItem(f"設立計畫書退回補件：請依 {n} 則審查意見修正後再送件",
                                        url_for("establishment.show", plan_id=p.id), area="設立計畫書",
                                        detail=p.decision_note or ""))
            else:
                items.append(ActionItem("設立計畫書撰寫中：完成各節後送件", url_for("establishment.show", plan_id=p.id),
                                        area="設立計畫書"))
        return items
    return []
