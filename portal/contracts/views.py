"""Contracts (特約): each unit's standing, the bureau's actions with legal basis, violation points."""
import uuid

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from portal import clock
from portal.auth import roles
from portal.auth.access import get_or_404, require, roles_required
from portal.contracts import demo  # noqa: F401  (registers the demo seeder)
from portal.contracts import rules, standing  # noqa: F401  (registers the referral blocker and unit facts)
from portal.contracts.basis import BASES, basis_choices, point_clauses
from portal.contracts.forms import (ActionForm, ContractForm, FindingForm, ImprovedForm, NoticeForm, PointForm,
                                    RevokeForm, SanctionForm)
from portal.contracts.models import (CONTRACT_TYPE_LABELS, Contract, ContractIneligibility, ViolationFinding,
                                     ViolationPoint, contract_type_for, may_see_unit)
from portal.contracts.operations import (accept_improvement, active_points, contracts_for_units, create_contract,
                                         issue_notice, pick_current, points_for_units, record_action,
                                         record_finding, record_violation_point, revoke_violation_point,
                                         sanction_finding, unit_contracts)
from portal.errors import Refused, StaleEdit, TransitionNotAllowed
from portal.extensions import db
from portal.htmx import redirect_to, render
from portal.nav import register_nav
from portal.orgs.models import Organisation
from portal.pagination import requested_page

bp = Blueprint("contracts", __name__, url_prefix="/contracts")
CONTRACT_MANAGERS = (roles.ADMIN, roles.BUREAU_OFFICER, roles.BUREAU_CHIEF)
CONTRACT_READERS = tuple(roles.COUNTY_WIDE_ROLES | roles.A_ROLES | roles.B_ROLES) + (roles.GUIDANCE_STAFF,)
PAGE_SIZE = 50
register_nav("特約", "contracts.index", CONTRACT_READERS, order=60)


@bp.app_template_filter("contract_status")
def contract_status_label(status):
    return rules.STATUS_LABELS.get(status, status or "—")


def _unit_or_404(unit_id) -> Organisation:
    """The unit if it is an A/B unit the user may see (bureau: all; units: their own)."""
    org = db.session.get(Organisation, unit_id)
    if org is None or contract_type_for(org) is None:
        abort(404)
    if not may_see_unit(current_user, org.id):
        abort(404)
    return org


def _can_manage():
    return current_user.role in CONTRACT_MANAGERS


@bp.route("")
@roles_required(*CONTRACT_READERS)
def index():
    if not current_user.sees_all and current_user.role != roles.GUIDANCE_STAFF:
        return redirect_to(url_for("contracts.unit", unit_id=current_user.organisation_id))
    today = clock.today()
    kind = request.args.get("kind", "")
    status = request.args.get("status", "")
    stmt = db.select(Organisation).where(Organisation.kind.in_((roles.A_UNIT, roles.B_UNIT)))
    if current_user.role == roles.GUIDANCE_STAFF:   # the homes it guides, read-only
        from portal.orgs.models import overseen_org_ids
        stmt = stmt.where(Organisation.id.in_(overseen_org_ids(current_user)))
    if kind in (roles.A_UNIT, roles.B_UNIT):
        stmt = stmt.where(Organisation.kind == kind)
    units = db.session.execute(stmt.order_by(Organisation.kind, Organisation.name)).scalars().all()
    contracts = contracts_for_units([u.id for u in units])
    points = points_for_units([u.id for u in units], today.year)
    rows = []
    for unit in units:
        current = pick_current(contracts[unit.id], today)
        current_status = current.display_status(today) if current else "none"
        if status and status != current_status:
            continue
        rows.append({"unit": unit, "contract": current, "status": current_status,
                     "blocks": current.block_reasons(today) if current else [], "points": points.get(unit.id, 0)})
    # Every unit's standing is worked out (the status filter needs it); a page of the county's units is shown.
    page, pages = requested_page(len(rows), PAGE_SIZE)
    return render("contracts/index.html", block="results", rows=rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE],
                  total=len(rows), page=page, pages=pages, kind=kind, status_filter=status, today=today,
                  status_labels=rules.DISPLAY_LABELS)


@bp.route("/units/<int:unit_id>")
@roles_required(*CONTRACT_READERS)
def unit(unit_id):
    org = _unit_or_404(unit_id)
    today = clock.today()
    contracts = unit_contracts(org.id)
    current = pick_current(contracts, today)
    points = active_points(org.id)
    revoked = db.session.execute(db.select(ViolationPoint).filter_by(organisation_id=org.id)
                                 .where(ViolationPoint.revoked_at.is_not(None))
                                 .order_by(ViolationPoint.occurred_on)).scalars().all()
    years = sorted({p.year for p in points} | {today.year}, reverse=True)
    points_by_year = {y: [p for p in points if p.year == y] for y in years}
    bars = db.session.execute(db.select(ContractIneligibility).filter_by(organisation_id=org.id)
                              .order_by(ContractIneligibility.year)).scalars().all()
    findings = db.session.execute(db.select(ViolationFinding).filter_by(organisation_id=org.id)
                                  .order_by(ViolationFinding.found_on.desc())).scalars().all()
    return render("contracts/unit.html", org=org, contracts=contracts, current=current, today=today, findings=findings,
                  points_by_year=points_by_year, revoked=revoked, bars=bars, can_manage=_can_manage(),
                  actions=rules.ACTIONS, blocks=standing.contract_blocks_referrals(org, today),
                  revoke_form=RevokeForm(), threshold=rules.POINTS_THRESHOLD, audits_url=_audits_url(org))


@bp.route("/units/<int:unit_id>/new", methods=["GET", "POST"])
@roles_required(*CONTRACT_MANAGERS)
def new(unit_id):
    org = _unit_or_404(unit_id)
    form = ContractForm()
    if request.method == "GET":
        form.submission_key.data = uuid.uuid4().hex
        year = clock.today().year
        latest = pick_current(unit_contracts(org.id), clock.today())
        if latest is not None and latest.ends_on.year >= year:
            year = latest.ends_on.year + 1
        from datetime import date
        form.starts_on.data, form.ends_on.data = date(year, 1, 1), date(year, 12, 31)
    if form.validate_on_submit():
        try:
            contract = create_contract(current_user, org, number=form.number.data, starts_on=form.starts_on.data,
                                       ends_on=form.ends_on.data, notes=form.notes.data,
                                       submission_key=form.submission_key.data or None)
        except Refused as exc:
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(f"已登錄{org.display_name}的特約。", "success")
            return redirect_to(url_for("contracts.show", contract_id=contract.id))
    return render("contracts/contract_form.html", form=form, org=org, type_label=CONTRACT_TYPE_LABELS[contract_type_for(org)])


@bp.route("/<int:contract_id>")
@roles_required(*CONTRACT_READERS)
def show(contract_id):
    contract = get_or_404(Contract, contract_id)
    today = clock.today()
    points = db.session.execute(db.select(ViolationPoint).filter_by(contract_id=contract.id)
                                .order_by(ViolationPoint.occurred_on)).scalars().all()
    return render("contracts/show.html", contract=contract, org=contract.organisation, today=today, points=points,
                  can_manage=_can_manage(), actions=rules.ACTIONS,
                  allowed=rules.allowed_actions(contract.current_status(today)))


@bp.route("/<int:contract_id>/actions/<action>", methods=["GET", "POST"])
@roles_required(*CONTRACT_MANAGERS)
def act(contract_id, action):
    contract = get_or_404(Contract, contract_id)
    spec = rules.ACTIONS.get(action)
    if spec is None:
        abort(404)
    today = clock.today()
    form = ActionForm()
    form.basis_code.choices = basis_choices()
    if request.method == "GET":
        form.effective_on.data = today
        form.basis_code.data = request.args.get("basis") if request.args.get("basis") in BASES else spec.default_basis
        form.reason.data = request.args.get("reason", "")
        form.version.data = contract.version
        form.submission_key.data = uuid.uuid4().hex
    allowed, why = rules.action_allowed(contract.current_status(today), action)
    if form.validate_on_submit():
        try:
            record_action(current_user, contract, action, reason=form.reason.data, basis_code=form.basis_code.data,
                          effective_on=form.effective_on.data, today=today, paused_until=form.paused_until.data,
                          letter_ref=form.letter_ref.data, seen_version=_int(form.version.data),
                          submission_key=form.submission_key.data or None,
                          source_type=request.args.get("source_type") or None,
                          source_id=request.args.get("source_id", type=int))
        except (StaleEdit, StaleDataError) as exc:
            db.session.rollback()
            flash(str(exc) if isinstance(exc, StaleEdit) else str(StaleEdit()), "error")
        except TransitionNotAllowed as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect_to(url_for("contracts.show", contract_id=contract.id))
        except Refused as exc:
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(f"已登錄「{spec.label}」。", "success")
            return redirect_to(url_for("contracts.unit", unit_id=contract.organisation_id))
    bases = {code: {"title": b.title, "text": b.text} for code, b in BASES.items()}
    from flask import current_app
    consequence_url = (url_for("audits.consequence", unit_id=contract.organisation_id)
                       if "audits.consequence" in current_app.view_functions else None)
    return render("contracts/action_form.html", form=form, contract=contract, org=contract.organisation, spec=spec,
                  allowed=allowed, why=why, bases=bases, today=today, consequence_url=consequence_url)


@bp.route("/units/<int:unit_id>/points/new", methods=["GET", "POST"])
@roles_required(*CONTRACT_MANAGERS)
def point_new(unit_id):
    org = _unit_or_404(unit_id)
    today = clock.today()
    form = PointForm()
    form.clause.choices = [("", "— 請選擇 —")] + [(c, c) for c in point_clauses()]
    if request.method == "GET":
        form.occurred_on.data = today
        form.submission_key.data = uuid.uuid4().hex
    if form.validate_on_submit():
        try:
            point, outcome = record_violation_point(
                current_user, org, occurred_on=form.occurred_on.data, clause=form.clause.data,
                description=form.description.data, letter_ref=form.letter_ref.data, today=today,
                submission_key=form.submission_key.data or None)
        except Refused as exc:
            _field_error(form, exc)
        else:
            db.session.commit()
            roc_year = point.year - 1911
            if outcome["cancel"]:
                flash(f"已記點。{org.display_name}{roc_year}年度累計{outcome['count']}點：已解除{roc_year}年度特約，"
                      f"並取消{roc_year + 1}年度特約資格。", "warning")
            else:
                flash(f"已記點。{org.display_name}{roc_year}年度累計{outcome['count']}點"
                      f"（再{outcome['remaining']}點即解除當年度特約）。", "success")
            return redirect_to(url_for("contracts.unit", unit_id=org.id))
    year_points = len(active_points(org.id, today.year))
    return render("contracts/point_form.html", form=form, org=org, year_points=year_points,
                  threshold=rules.POINTS_THRESHOLD, basis=BASES["points"])


@bp.route("/points/<int:point_id>/revoke", methods=["POST"])
@roles_required(*CONTRACT_MANAGERS)
def point_revoke(point_id):
    point = get_or_404(ViolationPoint, point_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        flash("請填寫撤銷理由。", "error")
    else:
        try:
            revoke_violation_point(current_user, point, form.reason.data)
        except (TransitionNotAllowed, Refused) as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash("已撤銷記點。", "success")
    return redirect_to(url_for("contracts.unit", unit_id=point.organisation_id))


@bp.route("/<int:contract_id>.pdf")
@roles_required(*CONTRACT_READERS)
def pdf(contract_id):
    """特約歷程: the contract's period, status and every action with its legal basis (issue 8 item 8)."""
    from portal.pdf import pdf_response
    contract = get_or_404(Contract, contract_id)
    require(may_see_unit(current_user, contract.organisation_id))
    points = db.session.execute(db.select(ViolationPoint).filter_by(organisation_id=contract.organisation_id)
                                .where(ViolationPoint.occurred_on >= contract.starts_on,
                                       ViolationPoint.occurred_on <= contract.ends_on)
                                .order_by(ViolationPoint.occurred_on)).scalars().all()
    org = contract.organisation
    today = clock.today()
    bars = db.session.execute(db.select(ContractIneligibility).filter_by(organisation_id=org.id)
                              .order_by(ContractIneligibility.year)).scalars().all()
    year_points = len(active_points(org.id, today.year))
    return pdf_response("pdf/contracts_history.html", f"特約歷程-{org.display_name}-{contract.starts_on.year - 1911}.pdf",
                        contract=contract, org=org, points=points, today=today, bars=bars, year_points=year_points,
                        threshold=rules.POINTS_THRESHOLD,
                        blocks=standing.contract_blocks_referrals(org, today) if contract.covers(today) else None,
                        record_ref=f"特約 {contract.id}", version=contract.version)


def _audits_url(org):
    from flask import current_app
    if "audits.unit" in current_app.view_functions:
        return url_for("audits.unit", unit_id=org.id)
    return None


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _field_error(form, exc):
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [str(exc)]
    else:
        flash(str(exc), "error")



# --- violation findings (違規案件, case-management.md §12) --------------------------------------

@bp.route("/units/<int:unit_id>/findings/new", methods=["GET", "POST"])
@roles_required(*CONTRACT_MANAGERS)
def finding_new(unit_id):
    org = _unit_or_404(unit_id)
    form = FindingForm()
    form.kind.choices = [("", "— 請選擇 —")] + list(rules.FINDING_KINDS.items())
    if request.method == "GET":
        form.found_on.data = clock.today()
    if form.validate_on_submit():
        try:
            finding = record_finding(current_user, org, kind=form.kind.data, found_on=form.found_on.data,
                                     description=form.description.data, today=clock.today())
        except Refused as exc:
            _field_error(form, exc)
        else:
            db.session.commit()
            flash("已登錄違規案件。", "success")
            return redirect_to(url_for("contracts.finding", finding_id=finding.id))
    return render("contracts/finding_new.html", form=form, org=org)


def _finding_forms(finding, today):
    notice, improved, sanction = NoticeForm(prefix="n"), ImprovedForm(prefix="i"), SanctionForm(prefix="s")
    state = finding.current_state(today)
    sanction.sanction.choices = ([("terminate", rules.SANCTIONS["terminate"])] if state == "found"
                                 else list(rules.SANCTIONS.items()))
    if request.method == "GET":
        notice.notice_on.data, improved.improved_on.data, sanction.start.data = today, today, today
        for form in (notice, improved, sanction):
            form.version.data = finding.version
        sanction.submission_key.data = uuid.uuid4().hex
        if finding.kind == "false_records":
            sanction.sanction.data = "stop_3_months"
    return notice, improved, sanction


@bp.route("/findings/<int:finding_id>", methods=["GET"])
@roles_required(*CONTRACT_READERS)
def finding(finding_id):
    item = get_or_404(ViolationFinding, finding_id)
    today = clock.today()
    notice, improved, sanction = _finding_forms(item, today)
    return render("contracts/finding.html", finding=item, org=item.organisation, today=today,
                  actions=rules.finding_actions(item.current_state(today), item.kind) if _can_manage() else [],
                  notice_form=notice, improved_form=improved, sanction_form=sanction)


@bp.route("/findings/<int:finding_id>/<any(notice, improved, sanction):step>", methods=["POST"])
@roles_required(*CONTRACT_MANAGERS)
def finding_step(finding_id, step):
    item = get_or_404(ViolationFinding, finding_id)
    today = clock.today()
    notice, improved, sanction = _finding_forms(item, today)
    form = {"notice": notice, "improved": improved, "sanction": sanction}[step]
    if form.validate_on_submit():
        try:
            seen = _int(form.version.data)
            if step == "notice":
                issue_notice(current_user, item, notice_on=form.notice_on.data, deadline=form.deadline.data,
                             letter_ref=form.letter_ref.data, today=today, seen_version=seen)
                message = "已通知限期補正。"
            elif step == "improved":
                accept_improvement(current_user, item, improved_on=form.improved_on.data, note=form.note.data,
                                   today=today, seen_version=seen)
                message = "已確認改善。"
            else:
                contract = pick_current(unit_contracts(item.organisation_id), today)
                sanction_finding(current_user, item, contract, sanction=form.sanction.data, start=form.start.data,
                                 reason=form.reason.data, letter_ref=form.letter_ref.data,
                                 prosecutor_referral=form.prosecutor_referral.data, today=today,
                                 seen_version=seen, submission_key=form.submission_key.data or None)
                message = f"已處分：{rules.SANCTIONS[form.sanction.data]}。"
        except (TransitionNotAllowed, StaleEdit, StaleDataError) as exc:
            db.session.rollback()
            flash(str(exc) if not isinstance(exc, StaleDataError) else str(StaleEdit()), "error")
            return redirect_to(url_for("contracts.finding", finding_id=item.id))
        except Refused as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(message, "success")
            return redirect_to(url_for("contracts.finding", finding_id=item.id))
    return render("contracts/finding.html", finding=item, org=item.organisation, today=today,
                  actions=rules.finding_actions(item.current_state(today), item.kind),
                  notice_form=notice, improved_form=improved, sanction_form=sanction)
