"""Unit audit history with trend, the bureau's overview (units at risk first), consequences, PDFs."""
import uuid

from flask import abort, flash, request, url_for
from flask_login import current_user

from portal import clock
from portal.audits import operations as ops
from portal.audits import rules
from portal.audits.charts import trend
from portal.audits.forms import ConsequenceForm
from portal.audits.models import Audit, AuditAmendment, AuditCorrection, AuditRound
from portal.audits.queries import unit_standings, upcoming_audits
from portal.audits.views import ASSIGNABLE_ROLES, AUDIT_MANAGERS, AUDIT_READERS, bp
from portal.auth import roles
from portal.auth.access import get_or_404, roles_required
from portal.auth.models import User
from portal.calendar import roc_date
from portal.contracts.basis import BASES
from portal.contracts.models import may_see_unit
from portal.contracts.operations import contracts_for_units, pick_current
from portal.errors import Refused, StaleEdit, TransitionNotAllowed
from portal.extensions import db
from portal.htmx import redirect_to, render
from portal.orgs.models import Organisation
from portal.pdf import pdf_response


def unit_trend(audits, **kw):
    """The chart of one unit's finalised audits (items passed; dashed line = the latest pass mark)."""
    if not audits:
        return None
    last = audits[-1].template_version
    return trend([(a.passed_count or 0, bool(a.passed), roc_date(a.scheduled_on)) for a in audits],
                 scale_max=len(last.items), pass_mark=last.pass_mark if last.pass_rule == "items" else None, **kw)


def _unit_or_404(unit_id) -> Organisation:
    org = db.session.get(Organisation, unit_id)
    if org is None or org.kind not in (roles.A_UNIT, roles.B_UNIT):
        abort(404)
    if not may_see_unit(current_user, org.id):
        abort(404)
    return org


def _unit_context(org):
    today = clock.today()
    standing = unit_standings([org.id])[org.id]
    upcoming = upcoming_audits([org.id])[org.id]
    cancelled = [] if not current_user.sees_all else db.session.execute(
        db.select(Audit).filter_by(organisation_id=org.id, status="cancelled").order_by(Audit.scheduled_on)).scalars().all()
    contract = pick_current(contracts_for_units([org.id])[org.id], today)
    audit_ids = [a.id for a in standing.audits]
    corrections = {}
    if audit_ids:
        for row in db.session.execute(db.select(AuditCorrection).where(AuditCorrection.audit_id.in_(audit_ids))).scalars():
            corrections.setdefault(row.audit_id, []).append(row)
    return {"org": org, "standing": standing, "upcoming": upcoming, "cancelled": cancelled, "contract": contract,
            "chart": unit_trend(standing.audits, width=320, height=96, pad=16), "corrections": corrections, "today": today}


@bp.route("/units/<int:unit_id>")
@roles_required(*AUDIT_READERS)
def unit(unit_id):
    """A unit's upcoming and past audits, results, trend and standing (issue 4 §2, §7)."""
    if current_user.role == roles.AUDITOR:
        abort(403)
    org = _unit_or_404(unit_id)
    ctx = _unit_context(org)
    return render("audits/unit.html", is_manager=current_user.role in AUDIT_MANAGERS, **ctx)


@bp.route("/units/<int:unit_id>.pdf")
@roles_required(*AUDIT_READERS)
def unit_pdf(unit_id):
    if current_user.role == roles.AUDITOR:
        abort(403)
    org = _unit_or_404(unit_id)
    ctx = _unit_context(org)
    return pdf_response("pdf/audits_unit_history.html", f"查核紀錄-{org.display_name}.pdf",
                        record_ref=f"單位 {org.id}", **ctx)


@bp.route("/overview")
@roles_required(*AUDIT_MANAGERS, roles.CARE_MANAGER, roles.CARE_SUPERVISOR)
def overview():
    """The bureau's view of every unit: at risk (2 fails in a row) first, then by standing."""
    today = clock.today()
    kind = request.args.get("kind", "")
    stmt = db.select(Organisation).where(Organisation.kind.in_((roles.A_UNIT, roles.B_UNIT)), Organisation.active)
    if kind in (roles.A_UNIT, roles.B_UNIT):
        stmt = stmt.where(Organisation.kind == kind)
    units = db.session.execute(stmt.order_by(Organisation.name)).scalars().all()
    ids = [u.id for u in units]
    standings, upcoming, contracts = unit_standings(ids), upcoming_audits(ids), contracts_for_units(ids)
    order = {rules.TERMINATED: 1, rules.SUSPENDED: 2, rules.MUST_CORRECT: 3, rules.GOOD: 4}
    rows = []
    for u in units:
        s = standings[u.id]
        contract = pick_current(contracts[u.id], today)
        overdue = (s.last is not None and not upcoming[u.id]
                   and rules.months_since(s.last.scheduled_on, today) >= ops_max_months())
        rows.append({"unit": u, "standing": s, "next": upcoming[u.id][0] if upcoming[u.id] else None,
                     "contract": contract, "chart": unit_trend(s.audits), "overdue": overdue})
    rows.sort(key=lambda r: (not r["standing"].at_risk, order[r["standing"].standing], r["unit"].name))
    return render("audits/overview.html", block="results", rows=rows, kind=kind, today=today,
                  at_risk=sum(1 for r in rows if r["standing"].at_risk))


def ops_max_months():
    from portal.audits.standing import MAX_MONTHS
    from portal.settings.registry import get_setting
    return get_setting(MAX_MONTHS.key)


@bp.route("/units/<int:unit_id>/consequence", methods=["GET", "POST"])
@roles_required(*AUDIT_MANAGERS)
def consequence(unit_id):
    """Suspend (and schedule the re-check), terminate or reinstate as the audit rule calls for (R-AUD-05)."""
    org = _unit_or_404(unit_id)
    today = clock.today()
    ctx = _unit_context(org)
    contract = ctx["contract"]
    what = None
    if contract is not None and ctx["standing"].last is not None:
        what = rules.consequence(ctx["standing"].standing, contract.current_status(today),
                                 suspended_for_audits=ops.suspended_for_audits(contract))
    form = ConsequenceForm()
    auditors = db.session.execute(db.select(User).where(User.role.in_(ASSIGNABLE_ROLES), User.active)
                                  .order_by(User.full_name)).scalars().all()
    form.lead_id.choices = [(u.id, u.full_name) for u in auditors]
    last = ctx["standing"].last
    if request.method == "GET":
        form.effective_on.data = today
        form.submission_key.data = uuid.uuid4().hex
        if last is not None and last.lead is not None:
            form.lead_id.data = last.lead.id
        if what == rules.SUSPEND:
            form.reason.data = (f"本單位連續 3 次查核不合格（最近一次 {roc_date(last.scheduled_on)}，合格 {last.passed_count} 題），"
                                "依規定暫停特約，並於一個月後進行複查。")
        elif what == rules.TERMINATE:
            form.reason.data = f"本單位暫停特約後，{roc_date(last.scheduled_on)} 複查仍不合格，依規定停止特約關係。"
        elif what == rules.REINSTATE:
            form.reason.data = f"本單位 {roc_date(last.scheduled_on)} 複查合格，恢復特約。"
    if request.method == "POST" and form.validate_on_submit():
        lead = db.session.get(User, form.lead_id.data) if form.lead_id.data else None
        try:
            done, action, recheck = ops.act_on_standing(
                current_user, org, today=today, effective_on=form.effective_on.data, reason=form.reason.data,
                letter_ref=form.letter_ref.data, lead=lead, submission_key=form.submission_key.data or None,
                cal=_calendar())
        except TransitionNotAllowed as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect_to(url_for("audits.unit", unit_id=org.id))
        except (Refused, StaleEdit) as exc:
            db.session.rollback()
            field = getattr(form, getattr(exc, "field", None) or "", None)
            if field is not None:
                field.errors = list(field.errors) + [str(exc)]
            else:
                flash(str(exc), "error")
        else:
            db.session.commit()
            message = f"已登錄「{rules.CONSEQUENCE_LABELS[done]}」。"
            if recheck is not None:
                message += f"複查已排定於 {roc_date(recheck.scheduled_on)}。"
            flash(message, "success")
            return redirect_to(url_for("audits.unit", unit_id=org.id))
    return render("audits/consequence.html", form=form, what=what, labels=rules.CONSEQUENCE_LABELS,
                  basis=BASES["audit"], recheck_on=rules.recheck_due(today, cal=_calendar()), **ctx)


def _calendar():
    from portal.settings.operations import office_calendar
    return office_calendar()


# --- PDFs ------------------------------------------------------------------------------------

@bp.route("/<int:audit_id>.pdf")
@roles_required(*AUDIT_READERS)
def audit_pdf(audit_id):
    """查核評分表 (forms-and-pdfs.md §2); a draft watermark until the audit is finalised."""
    audit = get_or_404(Audit, audit_id)
    if not (audit.finalised or current_user.sees_all or audit.is_assigned(current_user)):
        abort(404)
    standing = unit_standings([audit.organisation_id])[audit.organisation_id]
    counted = [a for a in standing.audits if (a.scheduled_on, a.id) <= (audit.scheduled_on, audit.id)]
    fails = rules.consecutive_fails([a.passed for a in counted]) if audit.finalised else None
    answers = {a.item_id: a for a in audit.answers}
    amendments = db.session.execute(db.select(AuditAmendment).filter_by(audit_id=audit.id)
                                    .order_by(AuditAmendment.amended_at)).scalars().all()
    version = audit.template_version
    groups = [(s, list(s.items)) for s in version.sections if s.items]
    loose = [i for i in version.items if i.section_id is None]
    if loose:
        groups.append((None, loose))
    return pdf_response("pdf/audits_score_sheet.html", f"查核評分表-{audit.organisation.display_name}-{roc_date(audit.scheduled_on)}.pdf",
                        audit=audit, org=audit.organisation, sheet=version, groups=groups, answers=answers,
                        tally=ops.audit_tally(audit), consecutive_fails=fails, amendments=amendments,
                        draft=not audit.finalised, record_ref=f"查核 {audit.id}", version=audit.version)


@bp.route("/rounds/<int:round_id>.pdf")
@roles_required(*AUDIT_MANAGERS)
def round_pdf(round_id):
    round_ = get_or_404(AuditRound, round_id)
    audits = [a for a in round_.audits if a.status != "cancelled"]
    standings = unit_standings([a.organisation_id for a in audits])
    return pdf_response("pdf/audits_round_summary.html", f"查核梯次總表-{round_.title}.pdf", round=round_,
                        audits=audits, standings=standings, record_ref=f"梯次 {round_.id}", today=clock.today())
