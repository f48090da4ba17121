"""Background jobs of family-care billing (issue 12 §3): a month's or a year's declarations as one
xlsx, and a month's 附件2 summaries + 附件1 receipts as a ZIP of PDFs.

Started from the billing pages through `POST /jobs/start/<kind>` (portal/jobs/views.py). The scope
is the page's: `readable_home_ids(user)` — the bureau every home, a home its own, a guidance unit the
homes it guides; applied again when the job runs (the form is never trusted). Only declarations that
were submitted count (a draft is not a declaration yet); each shows its latest submitted version, as
the declaration page and its PDFs do.
"""
import io
import zipfile
from datetime import date

from flask import abort

from portal import clock
from portal.auth import roles
from portal.billing import documents, rules
from portal.billing.models import Declaration, can_edit_home
from portal.billing.views import READERS, readable_home_ids
from portal.billing.xlsx import Bold, workbook
from portal.calendar import roc_slash_month, roc_year_month
from portal.errors import Refused
from portal.extensions import db
from portal.jobs.context import acting_as
from portal.jobs.registry import JobResult, form_id, job_handler
from portal.orgs.models import Organisation

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Who may export declarations: whoever reads them (each within their scope).
EXPORT_ROLES = READERS
# Who prints a month's receipts and summaries for every home: the bureau's billing desk.
PRINT_ROLES = (roles.ADMIN, roles.BUREAU_OFFICER, roles.BUREAU_CHIEF)
FIRST_YEAR = 2017   # 長照 2.0 began in 2017: no declaration is older


# --- the form: period and (optionally) one home ----------------------------------------------------

def _int(value):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def parse_period(form, *, month_required=False, today=None):
    """(year, month or None) from the form's `year` (西元 or 民國) and `month`; Refused with a plain message."""
    today = today or clock.today()
    year = _int(form.get("year"))
    if year is not None and year < 1911:
        year += 1911  # typed as 民國年
    if year is None or not FIRST_YEAR <= year <= today.year:
        raise Refused("請選擇要匯出的年度。")
    month = _int(form.get("month")) if form.get("month") else None
    if form.get("month") and (month is None or not 1 <= month <= 12):
        raise Refused("請選擇月份（1 至 12 月）。")
    if month_required and month is None:
        raise Refused("請選擇月份：列印以一個月的申報為單位。")
    if month is not None and date(year, month, 1) > today:
        raise Refused("所選月份尚未開始，沒有申報可匯出。")
    return year, month


def scoped_home(user, value):
    """A home id from the form, if it is one the user may read; 404 otherwise (another unit's home)."""
    if value in (None, ""):
        return None
    home_id = form_id(value)
    if home_id is None or not db.session.execute(
            readable_home_ids(user).where(Organisation.id == home_id)).first():
        abort(404)
    return home_id


def period_label(year, month):
    return f"{year - 1911}年{month}月" if month else f"{year - 1911}年"


def _title(what, user, params):
    where = "全部單位"
    if params.get("home_id"):
        where = db.session.get(Organisation, params["home_id"]).name
    elif not user.sees_all:
        names = db.session.execute(db.select(Organisation.name).where(
            Organisation.id.in_(readable_home_ids(user))).order_by(Organisation.name)).scalars().all()
        where = names[0] if len(names) == 1 else "所輔導單位"
    return f"{what}・{where}・{period_label(params['year'], params.get('month'))}"


def start_declarations_xlsx(user, form):
    year, month = parse_period(form)
    params = {"year": year, "month": month, "home_id": scoped_home(user, form.get("home_id"))}
    return params, _title("申報資料匯出（xlsx）", user, params)


def start_month_pdfs(user, form):
    year, month = parse_period(form, month_required=True)
    params = {"year": year, "month": month, "home_id": scoped_home(user, form.get("home_id"))}
    return params, _title("申報總表及領款收據（ZIP）", user, params)


def declarations_in(user, params):
    """The submitted declarations of the period that `user` may read, by month then home name."""
    year, month = int(params["year"]), params.get("month")
    first = date(year, month or 1, 1)
    last = rules.next_month(first) if month else date(year + 1, 1, 1)
    homes = readable_home_ids(user)
    if params.get("home_id"):
        homes = homes.where(Organisation.id == int(params["home_id"]))
    return db.session.execute(
        db.select(Declaration).join(Organisation, Organisation.id == Declaration.organisation_id)
        .where(Declaration.organisation_id.in_(homes), Declaration.status != "draft",
               Declaration.version_no > 0, Declaration.service_month >= first, Declaration.service_month < last)
        .order_by(Declaration.service_month, Organisation.name, Declaration.id)).scalars().all()


# --- xlsx -----------------------------------------------------------------------------------------

TOTAL_HEADS = ([f"{code} {label}" for _, code, label in rules.CARE_ROWS]
               + ["申報費用(含部分負擔)(1)", "部分負擔(2)", "申請補助(1)-(2)"]
               + [label for _, label in rules.NON_CARE_ROWS] + ["非照顧組合小計(3)", "合計(1)-(2)+(3)"])


def total_cells(t):
    """The 附件2 figures of one declaration (or a sum of them), in TOTAL_HEADS order."""
    return ([t["rows"][key] for key, _, _ in rules.CARE_ROWS] + [t["declared"], t["copay"], t["claim"]]
            + [t["rows"][key] for key, _ in rules.NON_CARE_ROWS] + [t["non_care_subtotal"], t["total"]])


def _roc(day):
    return f"{day.year - 1911}/{day.month:02d}/{day.day:02d}" if day else ""


def _roc_dt(moment):
    return _roc(moment.astimezone(clock.TAIPEI).date()) if moment else ""


@job_handler("billing.declarations_xlsx", roles=EXPORT_ROLES, label="申報資料匯出（xlsx）",
             start=start_declarations_xlsx)
def declarations_xlsx(job, params, progress):
    """One row per declaration with its 附件2 totals, a sheet of monthly sums, and every item line."""
    user = job.requested_by
    with acting_as(user):
        found = declarations_in(user, params)
        heads = (["費用月份", "服務單位", "狀態", "申報版本", "申報日期", "逾期申報", "請款(收據)日期", "逾期請款"]
                 + TOTAL_HEADS + ["撥付總額", "撥付日期"])
        summary = [[Bold(f"家庭托顧服務費用申報資料 {period_label(params['year'], params.get('month'))}")],
                   [f"匯出：{user.full_name}　{_roc_dt(clock.utcnow())}　共 {len(found)} 份申報（僅列已申報者）"], [],
                   [Bold(h) for h in heads]]
        by_month, items = {}, [[Bold(h) for h in (
            "費用月份", "服務單位", "服務月份", "個案姓名", "身分證字號", "福利身分別", "服務日期", "服務代碼", "服務項目",
            "單價", "數量", "金額", "部分負擔", "申請補助金額", "備註")]]
        grand = None
        for index, declaration in enumerate(found, start=1):
            org = declaration.organisation
            doc = documents.declaration_doc(org, declaration.service_month, declaration)
            summary.append([roc_slash_month(declaration.service_month), org.name, declaration.status_label,
                            doc.version_no, _roc_dt(declaration.submitted_at), declaration.late_declaration,
                            _roc(declaration.receipt_date), declaration.late_request]
                           + total_cells(doc.totals)
                           + [declaration.approved_amount if declaration.approved_amount is not None else "",
                              _roc(declaration.paid_on)])
            grand = _add(grand, doc.totals)
            month_sum = by_month.setdefault(declaration.service_month, [0, None, 0])
            month_sum[0] += 1
            month_sum[1] = _add(month_sum[1], doc.totals)
            month_sum[2] += declaration.approved_amount or 0
            full_ids = user.sees_all or can_edit_home(user, org.id)
            for month, groups in doc.groups:
                for group in groups:
                    national_id = group.client.national_id if full_ids else group.client.masked_id
                    for line in group.lines:
                        items.append([roc_slash_month(declaration.service_month), org.name, roc_slash_month(month),
                                      group.client.name, national_id, documents.welfare_label(line.welfare_status),
                                      documents.days_text(line.days), line.code, line.label, line.price, line.units,
                                      line.amount, line.copay, line.amount - line.copay,
                                      "更正差額" if line.adjustment else ""])
            progress(index * 95 // max(len(found), 1), f"已處理 {index}／{len(found)} 份申報")
        if grand is not None:
            summary.append([Bold("總計"), "", "", "", "", "", "", ""] + [Bold(v) for v in total_cells(grand)]
                           + [Bold(sum(d.approved_amount or 0 for d in found)), ""])
        else:
            summary.append(["此期間沒有已申報的資料。"])
        months = [[Bold(h) for h in ["費用月份", "申報份數"] + TOTAL_HEADS + ["撥付總額"]]]
        for month in sorted(by_month):
            count, totals, approved = by_month[month]
            months.append([roc_year_month(month), count] + total_cells(totals) + [approved])
        widths = [10, 26, 11, 8, 11, 8, 12, 8] + [13] * len(TOTAL_HEADS) + [12, 11]
        body = workbook([
            ("申報總表", summary, widths),
            ("各月合計", months, [14, 9] + [13] * len(TOTAL_HEADS) + [12]),
            ("服務費用項目清冊", items, [10, 26, 10, 12, 13, 12, 30, 9, 22, 8, 6, 10, 10, 12, 10]),
        ])
        name = f"家托申報-{period_label(params['year'], params.get('month'))}.xlsx"
        return JobResult(name, XLSX_MIME, data=body)


def _add(total, t):
    if total is None:
        return {"rows": dict(t["rows"]), **{k: t[k] for k in ("declared", "copay", "claim", "non_care_subtotal", "total")}}
    for key, value in t["rows"].items():
        total["rows"][key] = total["rows"].get(key, 0) + value
    for key in ("declared", "copay", "claim", "non_care_subtotal", "total"):
        total[key] += t[key]
    return total


# --- PDFs: a month's 附件2 summaries and 附件1 receipts -----------------------------------------------

def summary_pdf(doc) -> bytes:
    """附件2 申報總表 with the per-month lists, exactly as the declaration page prints it."""
    from portal.pdf import render_pdf
    return render_pdf("pdf/billing_summary.html", doc=doc, draft=doc.draft, record_ref=f"申報 {doc.declaration.id}",
                      version=doc.version_no, rows=rules.CARE_ROWS, non_care=rules.NON_CARE_ROWS,
                      roc_slash_month=doc.month_label)


def receipt_pdf(doc) -> bytes:
    """附件1 領款收據 (草稿 until the payment is requested), as the declaration page prints it."""
    from portal.pdf import render_pdf
    return render_pdf("pdf/billing_receipt.html", doc=doc,
                      draft=doc.draft or doc.declaration.status == "submitted",
                      record_ref=f"申報 {doc.declaration.id}", version=doc.version_no,
                      profile=documents.profile_for(doc.org.id), amount=doc.payable,
                      words=rules.chinese_numerals(doc.payable), receipt_date=doc.declaration.receipt_date)


def _zip_name(text):
    return "".join(c for c in text if c not in '/\\:*?"<>|\0').strip()


@job_handler("billing.month_pdfs", roles=PRINT_ROLES, label="申報總表及領款收據（ZIP）", start=start_month_pdfs)
def month_pdfs(job, params, progress):
    """A ZIP with, per home, the month's 附件2 summary and 附件1 receipt; progress per document."""
    user = job.requested_by
    with acting_as(user):
        found = declarations_in(user, params)
        if not found:
            raise Refused(f"{period_label(params['year'], params.get('month'))}沒有已申報的家庭托顧申報可列印。")
        total = 2 * len(found)
        buffer = io.BytesIO()
        done = 0
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for declaration in found:
                org = declaration.organisation
                doc = documents.declaration_doc(org, declaration.service_month, declaration)
                stem = f"{_zip_name(org.name)}-{doc.fee_month_text}"
                for label, render in (("附件2申報總表", summary_pdf), ("附件1領款收據", receipt_pdf)):
                    progress(done * 98 // total, f"正在產生第 {done + 1}／{total} 份文件（{org.name}{label[:3]}）")
                    archive.writestr(f"{stem}-{label}.pdf", render(doc))
                    done += 1
                    progress(done * 98 // total, f"已產生 {done}／{total} 份文件（{org.name}）")
        name = f"家托申報列印-{period_label(params['year'], params.get('month'))}.zip"
        return JobResult(name, "application/zip", data=buffer.getvalue())
