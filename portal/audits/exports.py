"""Background jobs of audits (issue 12 §3): a round's or a year's results as xlsx, and every score
sheet of a round as one PDF to print.

Started from the audit pages through `POST /jobs/start/<kind>` (portal/jobs/views.py). Both are the
bureau's (the round page's roles, AUDIT_MANAGERS); the scope is applied again when the job runs:
rounds and audits through their `visible_to`, and a score sheet only where the single-sheet route
would print it (finalised, or the bureau, or an assigned auditor).

Why one merged PDF for the score sheets and not a ZIP: the officer prints the round's sheets for the
file or for the committee meeting in one go; one document is one print job in the round's order
(date, then unit), each sheet starting on a new page and keeping its own 「第 n 頁／共 N 頁」 and footer,
with a bookmark per unit to find a sheet on screen. A ZIP would mean opening and printing dozens
of files one by one.
"""
import io
from datetime import date

from flask import abort

from portal import clock
from portal.audits import operations as ops
from portal.audits import rules
from portal.audits.models import Audit, AuditAmendment, AuditRound
from portal.audits.queries import unit_standings
from portal.audits.views import AUDIT_MANAGERS
from portal.auth.access import scoped
from portal.billing.xlsx import Bold, workbook
from portal.calendar import roc_date
from portal.errors import Refused
from portal.extensions import db
from portal.jobs.context import acting_as
from portal.jobs.registry import JobResult, form_id, job_handler

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIRST_YEAR = 2017


def _int(value):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def scoped_round(user, value) -> AuditRound:
    """The round named in the form, if the user may see it; 404 otherwise."""
    round_id = form_id(value)
    row = None if round_id is None else db.session.execute(
        scoped(AuditRound, user).where(AuditRound.id == round_id)).scalar_one_or_none()
    if row is None:
        abort(404)
    return row


def start_results_xlsx(user, form):
    """A round (`round_id`) or a calendar year (`year`, 西元 or 民國)."""
    if form.get("round_id"):
        round_ = scoped_round(user, form.get("round_id"))
        return {"round_id": round_.id}, f"查核結果匯出（xlsx）・{round_.title}"
    year = _int(form.get("year"))
    if year is not None and year < 1911:
        year += 1911
    if year is None or not FIRST_YEAR <= year <= clock.today().year + 1:
        raise Refused("請選擇要匯出的查核年度。")
    return {"year": year}, f"查核結果匯出（xlsx）・{year - 1911}年"


def start_round_pdf(user, form):
    round_ = scoped_round(user, form.get("round_id"))
    return {"round_id": round_.id}, f"查核評分表列印（PDF）・{round_.title}"


def audits_for(user, params):
    """The non-cancelled audits of the round or year that `user` may see, by date then unit."""
    from portal.orgs.models import Organisation
    stmt = scoped(Audit, user).join(Organisation, Organisation.id == Audit.organisation_id).where(
        Audit.status != "cancelled")
    if params.get("round_id"):
        round_ = db.session.execute(scoped(AuditRound, user).where(AuditRound.id == int(params["round_id"]))
                                    ).scalar_one_or_none()
        if round_ is None:
            raise Refused("找不到此查核梯次，或您已無權限檢視。")
        stmt, label = stmt.where(Audit.round_id == round_.id), round_.title
    else:
        year = int(params["year"])
        stmt = stmt.where(Audit.scheduled_on >= date(year, 1, 1), Audit.scheduled_on < date(year + 1, 1, 1))
        label = f"{year - 1911}年"
    return db.session.execute(stmt.order_by(Audit.scheduled_on, Organisation.name, Audit.id)).scalars().all(), label


def _safe(text):
    return "".join(c for c in text if c not in '/\\:*?"<>|\0').strip()


# --- xlsx -----------------------------------------------------------------------------------------

@job_handler("audits.results_xlsx", roles=AUDIT_MANAGERS, label="查核結果匯出（xlsx）", start=start_results_xlsx)
def results_xlsx(job, params, progress):
    """Sheet 1: one row per audit (result, items passed, points); sheet 2: every item's answer."""
    user = job.requested_by
    with acting_as(user):
        audits, label = audits_for(user, params)
        heads = ["查核日期", "梯次", "受查單位", "單位類別", "查核類別", "查核表", "版本", "狀態", "合格題數", "不合格題數",
                 "不適用題數", "總題數", "合格標準", "得分", "結果", "主評委員", "綜合意見", "送出時間"]
        results = [[Bold(f"查核結果 {label}")],
                   [f"匯出：{user.full_name}　共 {len(audits)} 次查核（已取消者不列）；結果以送出者為準"], [],
                   [Bold(h) for h in heads]]
        answers = [[Bold(h) for h in ("查核日期", "受查單位", "查核表", "項次", "查核項目", "評分", "分數", "結果",
                                      "缺失說明／建議", "評分委員")]]
        for index, audit in enumerate(audits, start=1):
            version = audit.template_version
            org = audit.organisation
            final = audit.finalised
            results.append([
                roc_date(audit.scheduled_on), audit.round.title if audit.round else "", org.name,
                org.kind_label.split("（")[0] + (f"・{org.subtype_label}" if org.subtype else ""), audit.type_label,
                version.template.title, version.label, audit.status_label,
                audit.passed_count if final else "", audit.failed_count if final else "",
                audit.na_count if final else "", len(version.items), version.pass_rule_text,
                audit.points if final and audit.points is not None else "",
                audit.result_label if final else "尚未送出", audit.lead.full_name if audit.lead else "",
                (audit.summary_note or "") if final else "",
                audit.finalised_at.astimezone(clock.TAIPEI).strftime("%Y-%m-%d %H:%M") if audit.finalised_at else ""])
            if final:
                by_item = {a.item_id: a for a in audit.answers}
                for item in version.items:
                    answer = by_item.get(item.id)
                    answers.append([
                        roc_date(audit.scheduled_on), org.name, version.template.title, item.number, item.title,
                        rules.OUTCOME_LABELS.get(answer.outcome, "未評") if answer and answer.outcome else "未評",
                        answer.points if answer and answer.points is not None else "",
                        answer.result_label if answer else "未評", (answer.note or "") if answer else "",
                        (answer.answered_by_name or "") if answer else ""])
            progress(index * 95 // max(len(audits), 1), f"已處理 {index}／{len(audits)} 次查核")
        if not audits:
            results.append(["此範圍沒有查核。"])
        body = workbook([
            ("查核結果", results, [11, 18, 26, 16, 8, 26, 12, 8, 8, 8, 8, 8, 20, 6, 8, 10, 40, 16]),
            ("各題評分", answers, [11, 26, 26, 6, 40, 8, 6, 8, 40, 10]),
        ])
        return JobResult(f"查核結果-{_safe(label)}.xlsx", XLSX_MIME, data=body)


# --- every score sheet of a round, merged --------------------------------------------------------

def score_sheet_pdf(audit) -> bytes:
    """The 查核評分表 as `audits.audit_pdf` prints it (draft watermark until finalised)."""
    from portal.pdf import render_pdf
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
    return render_pdf("pdf/audits_score_sheet.html", audit=audit, org=audit.organisation, sheet=version,
                      groups=groups, answers=answers, tally=ops.audit_tally(audit), consecutive_fails=fails,
                      amendments=amendments, draft=not audit.finalised, record_ref=f"查核 {audit.id}",
                      version=audit.version)


def printable(user, audit) -> bool:
    """Where `audits.audit_pdf` would print the sheet for this user."""
    return audit.finalised or user.sees_all or audit.is_assigned(user)


@job_handler("audits.round_score_sheets", roles=AUDIT_MANAGERS, label="查核評分表列印（PDF）", start=start_round_pdf)
def round_score_sheets(job, params, progress):
    """One PDF with every score sheet of the round, in order, a bookmark per unit; progress per sheet."""
    from pypdf import PdfReader, PdfWriter
    user = job.requested_by
    with acting_as(user):
        audits, label = audits_for(user, params)
        audits = [a for a in audits if printable(user, a)]
        if not audits:
            raise Refused("此梯次沒有可列印的評分表。")
        writer = PdfWriter()
        for index, audit in enumerate(audits, start=1):
            name = f"{roc_date(audit.scheduled_on)} {audit.organisation.name}"
            progress((index - 1) * 97 // len(audits), f"正在產生第 {index}／{len(audits)} 份評分表（{audit.organisation.name}）")
            writer.append(PdfReader(io.BytesIO(score_sheet_pdf(audit))), outline_item=name)
            progress(index * 97 // len(audits), f"已產生 {index}／{len(audits)} 份評分表（{audit.organisation.name}）")
        writer.add_metadata({"/Title": f"查核評分表－{label}"})
        buffer = io.BytesIO()
        writer.write(buffer)
        return JobResult(f"查核評分表-{_safe(label)}.pdf", "application/pdf", data=buffer.getvalue())
