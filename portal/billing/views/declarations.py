"""Monthly declarations (申報): draft from the records, submit (by the 5th), request payment with
the receipt (by the 10th), bureau review (approve with 撥付總額 or return with a reason),
payment; the documents: 附件1 receipt, 附件2 summary with per-month lists, item list, xlsx."""
from urllib.parse import quote

from flask import abort, flash, make_response, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from portal import clock
from portal.auth.access import get_or_404, require, roles_required
from portal.billing import documents, rules
from portal.billing import operations as ops
from portal.billing.forms import ApproveForm, PaymentForm, ProfileForm, RequestForm, ReturnForm
from portal.billing.models import CareAdmission, Declaration, SubsidyChange
from portal.billing.views import (READERS, _cal, bp, can_edit, get_home_or_404, is_decider, is_head, month_key,
                                  parse_month)
from portal.errors import Refused, StaleEdit, TransitionNotAllowed
from portal.extensions import db
from portal.htmx import redirect_to, render
from portal.pdf import pdf_response


def _month_declaration(org_id, month):
    return db.session.execute(db.select(Declaration).filter_by(organisation_id=org_id,
                                                               service_month=month)).scalar_one_or_none()


@bp.route("/homes/<int:home_id>/declarations")
@roles_required(*READERS)
def declarations(home_id):
    org = get_home_or_404(home_id)
    today = clock.today()
    rows = db.session.execute(db.select(Declaration).filter_by(organisation_id=org.id)
                              .order_by(Declaration.service_month.desc())).scalars().all()
    by_month = {d.service_month: d for d in rows}
    months, month = [], rules.previous_month(rules.month_start(today))
    for _ in range(12):
        months.append(month)
        month = rules.previous_month(month)
    older = [d for d in rows if d.service_month not in months]
    return render("billing/declarations.html", org=org, months=months, by_month=by_month, older=older, today=today,
                  cal=_cal(), declaration_due=rules.declaration_due, request_due=rules.request_due)


@bp.route("/homes/<int:home_id>/declarations/<month>", methods=["GET", "POST"])
@roles_required(*READERS)
def declaration_month(home_id, month):
    """A month's declaration: the draft computed from the records, or the submitted one."""
    org = get_home_or_404(home_id)
    if request.method == "POST":
        require(is_head(org.id))  # before anything else: only the home's head declares (R-GU-04)
    month = parse_month(month)
    declaration = _month_declaration(org.id, month)
    if declaration is not None and declaration.status != "draft":
        return redirect_to(url_for("billing.declaration", declaration_id=declaration.id))
    today = clock.today()
    if request.method == "POST":
        try:
            declaration = ops.submit_declaration(current_user, org.id, month, cal=_cal())
        except TransitionNotAllowed as exc:
            db.session.rollback()
            flash(str(exc), "warning")
            existing = _month_declaration(org.id, month)
            if existing is not None:
                return redirect_to(url_for("billing.declaration", declaration_id=existing.id))
        except Refused as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            late = "（已逾申報期限）" if declaration.late_declaration else ""
            flash(f"已申報 {month.year - 1911}年{month.month}月服務費用，合計 {declaration.totals['total']:,} 元{late}。"
                  "請於每月 10 日前函送領款收據及申報總表。", "success")
            return redirect_to(url_for("billing.declaration", declaration_id=declaration.id))
    doc = documents.declaration_doc(org, month, declaration)
    return render("billing/declaration.html", doc=doc, org=org, declaration=declaration, month=month,
                  month_over=today >= rules.next_month(month), locked=rules.records_locked(month, today),
                  due=rules.declaration_due(month, cal=_cal()), request_due=rules.request_due(month, cal=_cal()),
                  today=today, **_context(org, declaration))


def _context(org, declaration):
    pending_changes = db.session.execute(
        db.select(SubsidyChange).where(SubsidyChange.organisation_id == org.id, SubsidyChange.cancelled_at.is_(None),
                                       (SubsidyChange.overpaid > 0) | (SubsidyChange.underpaid > 0))
        .order_by(SubsidyChange.recorded_at.desc()).limit(10)
        .options(joinedload(SubsidyChange.admission).joinedload(CareAdmission.client))  # the list names each client
    ).scalars().all()
    version = declaration.version if declaration else None
    total = declaration.totals["total"] if declaration and declaration.totals else 0
    return {
        "request_form": RequestForm(formdata=None, version=version, receipt_date=clock.today()),
        "return_form": ReturnForm(formdata=None, version=version),
        "approve_form": ApproveForm(formdata=None, version=version, amount=total),
        "payment_form": PaymentForm(formdata=None, version=version, paid_on=clock.today()),
        "profile_missing": ops.profile_problems(org.id), "pending_changes": pending_changes,
        "full_ids": current_user.sees_all or can_edit(org.id),
        "retained_until": rules.billing_retained_until(declaration.service_month.year) if declaration else None,
    }


@bp.route("/declarations/<int:declaration_id>")
@roles_required(*READERS)
def declaration(declaration_id):
    declaration = get_or_404(Declaration, declaration_id)
    if declaration.status == "draft":
        return redirect_to(url_for("billing.declaration_month", home_id=declaration.organisation_id,
                                   month=month_key(declaration.service_month)))
    org = declaration.organisation
    version_no = request.args.get("v", type=int)
    try:
        doc = documents.declaration_doc(org, declaration.service_month, declaration, version_no)
    except LookupError:
        abort(404)
    today = clock.today()
    month = declaration.service_month
    return render("billing/declaration.html", doc=doc, org=org, declaration=declaration, month=month,
                  month_over=True, locked=rules.records_locked(month, today),
                  due=rules.declaration_due(month, cal=_cal()), request_due=rules.request_due(month, cal=_cal()),
                  today=today, **_context(org, declaration))


ACTIONS = {
    # action: (form class, who may, operation, success message)
    "withdraw": (None, "head", "已撤回申報，可修改本月紀錄後重新申報。"),
    "request": (RequestForm, "head", "已函送請款（領款收據及申報總表），待衛生局審核。"),
    "return": (ReturnForm, "bureau", "已退回補正，單位將收到退回原因。"),
    "approve": (ApproveForm, "bureau", "已審核通過並核定撥付總額。"),
    "pay": (PaymentForm, "bureau", "已登錄撥付。"),
}


@bp.route("/declarations/<int:declaration_id>/<action>", methods=["POST"])
@roles_required(*READERS)
def declaration_action(declaration_id, action):
    declaration = get_or_404(Declaration, declaration_id)
    if action not in ACTIONS:
        abort(404)
    form_class, who, message = ACTIONS[action]
    require(is_head(declaration.organisation_id) if who == "head" else is_decider())
    form = form_class() if form_class else None
    seen = request.form.get("version")
    try:
        if form is not None and not form.validate_on_submit():
            raise Refused("；".join(e for errors in form.errors.values() for e in errors))
        if action == "withdraw":
            ops.withdraw_declaration(current_user, declaration, seen_version=seen)
        elif action == "request":
            ops.request_payment(current_user, declaration, receipt_date=form.receipt_date.data, seen_version=seen,
                                cal=_cal())
        elif action == "return":
            ops.return_declaration(current_user, declaration, reason=form.reason.data, seen_version=seen)
        elif action == "approve":
            ops.approve_declaration(current_user, declaration, amount=form.amount.data, note=form.note.data,
                                    seen_version=seen)
        elif action == "pay":
            ops.record_payment(current_user, declaration, paid_on=form.paid_on.data, seen_version=seen)
    except (StaleEdit, StaleDataError):
        db.session.rollback()
        flash("此申報已被其他人更新，請重新檢視後再操作；您的操作未儲存。", "error")
    except (TransitionNotAllowed, Refused) as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect_to(url_for("billing.declaration", declaration_id=declaration.id))


# --- documents ------------------------------------------------------------------------------------

def _doc_for(declaration_id=None, home_id=None, month=None):
    """The declaration's document data: a stored declaration (by id) or a month's draft (by home/month)."""
    if declaration_id is not None:
        declaration = get_or_404(Declaration, declaration_id)
        org = declaration.organisation
        version_no = request.args.get("v", type=int)
        try:
            return documents.declaration_doc(org, declaration.service_month, declaration, version_no)
        except LookupError:
            abort(404)
    org = get_home_or_404(home_id)
    month = parse_month(month)
    return documents.declaration_doc(org, month, _month_declaration(org.id, month))


def _ref(doc):
    if doc.declaration is not None and doc.version_no:
        return f"申報 {doc.declaration.id}", doc.version_no
    return f"草稿 {doc.org.id}-{doc.fee_month_text}", None


def _summary_pdf(doc):
    ref, version = _ref(doc)
    return pdf_response("pdf/billing_summary.html", f"申報總表-{doc.org.name}-{doc.fee_month_text}.pdf", doc=doc,
                        draft=doc.draft, record_ref=ref, version=version, rows=rules.CARE_ROWS,
                        non_care=rules.NON_CARE_ROWS, roc_slash_month=doc.month_label)


def _items_pdf(doc):
    ref, version = _ref(doc)
    return pdf_response("pdf/billing_items.html", f"服務費用項目清冊-{doc.org.name}-{doc.fee_month_text}.pdf",
                        doc=doc, draft=doc.draft, record_ref=ref, version=version,
                        full_ids=current_user.sees_all or can_edit(doc.org.id), days_text=documents.days_text,
                        welfare_label=documents.welfare_label, ratio_percent=documents.ratio_percent)


def _receipt_pdf(doc):
    ref, version = _ref(doc)
    profile = documents.profile_for(doc.org.id)
    receipt_date = doc.declaration.receipt_date if doc.declaration is not None else None
    return pdf_response("pdf/billing_receipt.html", f"領款收據-{doc.org.name}-{doc.fee_month_text}.pdf", doc=doc,
                        draft=doc.draft or doc.declaration.status == "submitted", record_ref=ref, version=version,
                        profile=profile, amount=doc.payable, words=rules.chinese_numerals(doc.payable),
                        receipt_date=receipt_date)


def _xlsx(doc):
    body = documents.xlsx_export(doc, full_ids=current_user.sees_all or can_edit(doc.org.id))
    response = make_response(body)
    response.headers["Content-Type"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"申報總表-{doc.org.name}-{doc.fee_month_text}{'-草稿' if doc.draft else ''}.xlsx"
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/declarations/<int:declaration_id>/summary.pdf")
@roles_required(*READERS)
def summary_pdf(declaration_id):
    return _summary_pdf(_doc_for(declaration_id=declaration_id))


@bp.route("/declarations/<int:declaration_id>/items.pdf")
@roles_required(*READERS)
def items_pdf(declaration_id):
    return _items_pdf(_doc_for(declaration_id=declaration_id))


@bp.route("/declarations/<int:declaration_id>/receipt.pdf")
@roles_required(*READERS)
def receipt_pdf(declaration_id):
    return _receipt_pdf(_doc_for(declaration_id=declaration_id))


@bp.route("/declarations/<int:declaration_id>/declaration.xlsx")
@roles_required(*READERS)
def declaration_xlsx(declaration_id):
    return _xlsx(_doc_for(declaration_id=declaration_id))


@bp.route("/homes/<int:home_id>/declarations/<month>/summary.pdf")
@roles_required(*READERS)
def draft_summary_pdf(home_id, month):
    return _summary_pdf(_doc_for(home_id=home_id, month=month))


@bp.route("/homes/<int:home_id>/declarations/<month>/items.pdf")
@roles_required(*READERS)
def draft_items_pdf(home_id, month):
    return _items_pdf(_doc_for(home_id=home_id, month=month))


@bp.route("/homes/<int:home_id>/declarations/<month>/declaration.xlsx")
@roles_required(*READERS)
def draft_xlsx(home_id, month):
    return _xlsx(_doc_for(home_id=home_id, month=month))


# --- the home's billing profile (receipt data) ------------------------------------------------------

@bp.route("/homes/<int:home_id>/profile", methods=["GET", "POST"])
@roles_required(*READERS)
def profile(home_id):
    org = get_home_or_404(home_id)
    current = documents.profile_for(org.id)
    form = ProfileForm(obj=current)
    if request.method == "GET" and current is not None:
        form.version.data = current.version
    if request.method == "POST":
        require(can_edit(org.id))
        if form.validate_on_submit():
            try:
                ops.save_billing_profile(current_user, org.id, {f: (getattr(form, f).data or "").strip() or None for f in
                                                                ("tax_id", "bank_name", "bank_account", "account_name")},
                                         seen_version=form.version.data or None)
            except (StaleEdit, StaleDataError):
                db.session.rollback()
                flash(str(StaleEdit()), "error")
            else:
                db.session.commit()
                flash("請款資料已儲存。", "success")
                return redirect_to(url_for("billing.profile", home_id=org.id))
    return render("billing/profile.html", org=org, form=form, profile=current, editable=can_edit(org.id))


# --- the cover letter (請款函) and the clients' receipts (收據) ----------------------------------------

@bp.route("/declarations/<int:declaration_id>/letter.pdf")
@roles_required(*READERS)
def letter_pdf(declaration_id):
    """The formal letter sent with the receipt and the summary by the 10th (seed 003 §十二; decisions
    Q14: the letter and the summary are both produced); a draft until the payment is requested."""
    from portal.filters import roc
    doc = _doc_for(declaration_id=declaration_id)
    declaration = doc.declaration
    ref, version = _ref(doc)
    returned = [v for v in declaration.versions if v.outcome == "returned" and v.number < doc.version_no]
    resubmission = "；".join(f"第 {v.number} 版於{roc(v.outcome_at.astimezone(clock.TAIPEI).date())}退回"
                             + (f"：{v.outcome_note}" if v.outcome_note else "") for v in returned)
    letter_date = declaration.receipt_date if declaration.status not in ("draft", "submitted") else None
    return pdf_response("pdf/billing_letter.html", f"請款函-{doc.org.name}-{doc.fee_month_text}.pdf", doc=doc,
                        t=doc.totals, amount=doc.totals["total"], words=rules.chinese_numerals(doc.totals["total"]),
                        draft=doc.draft or declaration.status == "submitted", record_ref=ref, version=version,
                        letter_date=letter_date, resubmission=resubmission)


def _receipts_pdf(org, month, client_id=None):
    receipts = documents.client_receipts(org, month, client_id)
    name = f"家庭托顧服務收據-{org.name}-{documents.roc_compact_month(month)}"
    if client_id is not None and receipts:
        name += f"-{receipts[0].client.name}"
    return pdf_response("pdf/billing_copay_receipt.html", name + ".pdf", receipts=receipts, month=month,
                        profile=documents.profile_for(org.id), words=rules.chinese_numerals,
                        draft=clock.today() < rules.next_month(month),  # the month is not over yet
                        record_ref=f"收據 {org.id}-{documents.roc_compact_month(month)}",
                        days_text=documents.days_text, welfare_label=documents.welfare_label,
                        ratio_percent=documents.ratio_percent)


@bp.route("/homes/<int:home_id>/receipts/<month>.pdf")
@roles_required(*READERS)
def client_receipts_pdf(home_id, month):
    """Every client's receipt of a month (開立載明收費項目之收據, seed 003 §十四(六)2), one page each."""
    org = get_home_or_404(home_id)
    return _receipts_pdf(org, parse_month(month))


@bp.route("/admissions/<int:admission_id>/receipts/<month>.pdf")
@roles_required(*READERS)
def client_receipt_pdf(admission_id, month):
    """One client's receipt of a month."""
    from portal.billing.models import CareAdmission
    admission = get_or_404(CareAdmission, admission_id)
    return _receipts_pdf(admission.organisation, parse_month(month), admission.client_id)
