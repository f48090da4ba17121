"""Every change to a result report: checked, applied, audit-logged, flushed (the view commits)."""
from datetime import date
from decimal import Decimal

from portal import clock
from portal.auditlog.labels import register_labels
from portal.auditlog.operations import jsonable, log_change
from portal.errors import Refused, StaleEdit, TransitionNotAllowed
from portal.extensions import db
from portal.reports import rules
from portal.reports.document import report_document
from portal.reports.models import (ACCEPTED, DRAFT, EDITABLE_STATES, NOT_REQUIRED, RETURNED, SECTION_KEYS,
                                   SECTION_TITLES, SUBMITTED, ReportComment, ReportOverride,
                                   ReportPhoto, ReportSection, ReportSubmission, ResultReport)

register_labels(
    actions={
        "result_report.start": "建立成果報告",
        "result_report.recompute": "重新計算成果報告數值",
        "result_report.section_save": "儲存成果報告段落",
        "result_report.override": "調整成果報告數值",
        "result_report.override_cleared": "取消成果報告數值調整",
        "result_report.photo_added": "上傳成果報告照片",
        "result_report.photo_deleted": "刪除成果報告照片",
        "result_report.submit": "送出成果報告",
        "result_report.return": "退回成果報告補正",
        "result_report.accept": "核定成果報告",
        "result_report.comment": "成果報告意見",
        "result_report.not_required": "申報成果報告免交",
        "result_report.reopen": "撤回免交、改為填寫成果報告",
        "result_report.receipt_date": "更正成果報告收文日期",
    },
    entities={"result_reports": "成果報告"},
)


def _state(report):
    return {"state": report.state}


def _require_editable(report):
    if report.state not in EDITABLE_STATES:
        raise TransitionNotAllowed(f"成果報告目前為「{report.state_label}」，不能修改。")


def find_report(organisation_id: int, service_year: int):
    return db.session.execute(db.select(ResultReport).filter_by(
        organisation_id=organisation_id, service_year=service_year)).scalar_one_or_none()


def default_basics(org, service_year: int, county_name: str) -> dict:
    """Pre-fill 一～三 (family-care.md §11.1: 計畫案名稱 pre-filled; 執行期程 the plan year)."""
    return {
        "unit_name": org.name,
        "project_name": f"{service_year - 1911}年度{county_name}長期照顧家庭托顧服務",
        "period_start": date(service_year, 1, 1).isoformat(),
        "period_end": date(service_year, 12, 31).isoformat(),
    }


def start_report(actor, org, service_year: int, *, county_name: str) -> ResultReport:
    """Create the unit's report on a service year (draft); return the existing one when there is one."""
    existing = find_report(org.id, service_year)
    if existing is not None:
        return existing
    report = ResultReport(organisation_id=org.id, service_year=service_year, state=DRAFT, created_by_id=actor.id)
    db.session.add(report)
    db.session.flush()
    db.session.add(ReportSection(report=report, key="basics", data=default_basics(org, service_year, county_name),
                                 updated_by_id=actor.id))
    db.session.flush()
    log_change(actor, report, "result_report.start", after={"organisation_id": org.id, "service_year": service_year,
                                                            "state": DRAFT})
    return report


def refresh_figures(actor, report, days, clients: dict, *, person_rule="last_status", half_day_weight="0.5",
                    age_bounds=(65, 75, 85), source="billing") -> dict:
    """Recompute the figures of sections 四 and 五 from the year's service days (overrides are kept)."""
    _require_editable(report)
    days = list(days)
    table = rules.result_table(days, person_rule=person_rule, half_day_weight=half_day_weight)
    analysis = rules.user_analysis(days, clients, age_bounds=age_bounds)
    figures = {
        "table": table.as_dict(),
        "changed_status": len(table.changed_status),
        "breakdowns": analysis["breakdowns"],
        "age_bands": analysis["age_bands"],
        "clients": jsonable(analysis["rows"]),
        "rules": {"person_rule": person_rule, "half_day_weight": str(half_day_weight)},
        "source": source,
        "service_days": len(days),
    }
    before = (report.figures or {}).get("table")
    report.figures = figures
    report.figures_computed_at = clock.utcnow()
    db.session.flush()
    log_change(actor, report, "result_report.recompute", before={"table": before}, after={"table": figures["table"]})
    return figures


def save_section(actor, report, key: str, data: dict, *, seen_version: int | None) -> ReportSection:
    """Save one section's content; unchanged content is a no-op; an outdated version is refused."""
    if key not in SECTION_KEYS:
        raise Refused("沒有這個段落。")
    _require_editable(report)
    section = report.section(key)
    data = jsonable(data)
    if section is not None and section.data == data:
        return section          # a retry or a second autosave of the same text
    # `seen_version` 0 means the form was opened before the section existed.
    if section is not None and seen_version is not None and seen_version != section.version:
        raise StaleEdit("這個段落已被其他人更新，請重新載入後再修改；您輸入的內容仍保留在畫面上。")
    before = section.data if section is not None else None
    if section is None:
        section = ReportSection(report=report, key=key, data=data, updated_by_id=actor.id)
        db.session.add(section)
    else:
        section.data = data
        section.updated_by_id = actor.id
        section.updated_at = clock.utcnow()
    db.session.flush()
    log_change(actor, report, "result_report.section_save", before={"section": key, "data": before},
               after={"section": key, "data": data})
    return section


def _computed_flat(report) -> dict:
    figures = report.figures or {}
    if not figures:
        return {}
    return rules.flatten_figures(figures["table"], figures["breakdowns"])


def set_override(actor, report, key: str, value: str, reason: str) -> ReportOverride:
    """Override one computed figure with a reason; the computed value stays beside it."""
    _require_editable(report)
    computed = _computed_flat(report)
    if key not in computed:
        raise Refused("請先依服務紀錄計算數值，再選擇要調整的欄位。", field="key")
    problem = rules.override_problem(value, reason, decimal_allowed=key.startswith("table.person_days."))
    if problem:
        raise Refused(problem, field="reason" if "理由" in problem else "value")
    clean = str(rules.plain_number(Decimal(value.strip().replace(",", ""))))
    row = next((o for o in report.overrides if o.key == key), None)
    before = {"key": key, "value": row.value, "reason": row.reason} if row else None
    if row is None:
        row = ReportOverride(report=report, key=key, created_by_id=actor.id)
        db.session.add(row)
    row.value, row.reason, row.computed_value = clean, reason.strip(), str(computed[key])
    row.created_by_id, row.created_at = actor.id, clock.utcnow()
    db.session.flush()
    log_change(actor, report, "result_report.override", before=before,
               after={"key": key, "value": clean, "computed": str(computed[key]), "reason": row.reason})
    return row


def clear_override(actor, report, key: str) -> None:
    _require_editable(report)
    row = next((o for o in report.overrides if o.key == key), None)
    if row is None:
        return
    log_change(actor, report, "result_report.override_cleared",
               before={"key": key, "value": row.value, "reason": row.reason})
    report.overrides.remove(row)
    db.session.flush()


def add_photo(actor, report, *, month, caption, stored) -> ReportPhoto:
    """Record an uploaded photo (`stored` is the result of photos.store_photo)."""
    _require_editable(report)
    photo = ReportPhoto(report=report, month=month, caption=caption or "", uploaded_by_id=actor.id, **stored)
    db.session.add(photo)
    db.session.flush()
    log_change(actor, report, "result_report.photo_added",
               after={"photo_id": photo.id, "month": month, "caption": caption, "size": stored["size_bytes"]})
    return photo


def delete_photo(actor, photo) -> None:
    """Mark a photo deleted; the file stays for the submission history."""
    _require_editable(photo.report)
    if photo.deleted_at is not None:
        return
    photo.deleted_at = clock.utcnow()
    db.session.flush()
    log_change(actor, photo.report, "result_report.photo_deleted", before={"photo_id": photo.id,
                                                                         "caption": photo.caption})


def missing_by_section(report) -> dict:
    """Return {section key: [what is missing]} for the progress list."""
    computed = report.figures_computed_at is not None
    photos = len(report.live_photos)
    return {key: rules.section_missing(key, (report.section(key).data if report.section(key) else {}),
                                       figures_computed=computed, photo_count=photos)
            for key in SECTION_KEYS}


def _lock(report):
    """Reload the report row with a row lock (PostgreSQL) so two decisions cannot both apply."""
    db.session.execute(db.select(ResultReport.id).where(ResultReport.id == report.id).with_for_update())
    db.session.refresh(report)


def submit_report(actor, report, *, now, deadline) -> ReportSubmission | None:
    """Submit (DRAFT/RETURNED → SUBMITTED): the report locks; the first submission is the receipt (Q16).

    Late submissions are marked late, never refused. Submitting an already
    submitted report is a no-op (double click, retry after a dropped connection).
    """
    _lock(report)
    if report.state == SUBMITTED:
        return None
    if report.state not in EDITABLE_STATES:
        raise TransitionNotAllowed(f"成果報告目前為「{report.state_label}」，不能送出。")
    missing = {k: v for k, v in missing_by_section(report).items() if v}
    if missing:
        parts = "；".join(f"{SECTION_TITLES[k]}（{'、'.join(v)}）" for k, v in missing.items())
        raise Refused(f"尚有段落未完成，不能送出：{parts}")
    before = _state(report)
    late = rules.is_late(now, deadline)
    if report.received_at is None:
        report.received_at = now
        report.late = late
    report.state = SUBMITTED
    report.submitted_at = now
    number = len(report.submissions) + 1
    submission = ReportSubmission(report=report, number=number, submitted_at=now, submitted_by_id=actor.id,
                                  late=late, snapshot=jsonable(report_document(report)))
    db.session.add(submission)
    db.session.flush()
    log_change(actor, report, "result_report.submit", before=before,
               after={"state": SUBMITTED, "submission": number, "late": late, "received_at": report.received_at})
    return submission


def _current_submission(report):
    return report.submissions[-1] if report.submissions else None


def return_report(actor, report, comments: dict, note: str, *, now) -> ReportSubmission:
    """Return a submitted report for correction with comments per section (SUBMITTED → RETURNED)."""
    _lock(report)
    if report.state != SUBMITTED:
        raise TransitionNotAllowed(f"這份成果報告已是「{report.state_label}」，可能已由其他人處理；未做任何變更。")
    comments = {k: (v or "").strip() for k, v in comments.items() if (v or "").strip()}
    if not comments and not (note or "").strip():
        raise Refused("退回時請至少在一個段落填寫意見。", field="note")
    submission = _current_submission(report)
    for key, body in comments.items():
        if key not in SECTION_KEYS:
            continue
        db.session.add(ReportComment(report=report, submission=submission, section_key=key, kind="return", body=body,
                                     author_id=actor.id, author_name=actor.full_name,
                                     author_org_name=actor.organisation.name, created_at=now))
    if (note or "").strip():
        db.session.add(ReportComment(report=report, submission=submission, section_key="overall", kind="return",
                                     body=note.strip(), author_id=actor.id, author_name=actor.full_name,
                                     author_org_name=actor.organisation.name, created_at=now))
    _decide(actor, report, submission, RETURNED, note, now)
    log_change(actor, report, "result_report.return", before={"state": SUBMITTED},
               after={"state": RETURNED, "comments": comments, "note": note or ""})
    return submission


def accept_report(actor, report, note: str, *, now) -> ReportSubmission:
    """Approve a submitted report (SUBMITTED → ACCEPTED)."""
    _lock(report)
    if report.state != SUBMITTED:
        raise TransitionNotAllowed(f"這份成果報告已是「{report.state_label}」，可能已由其他人處理；未做任何變更。")
    submission = _current_submission(report)
    _decide(actor, report, submission, ACCEPTED, note, now)
    log_change(actor, report, "result_report.accept", before={"state": SUBMITTED},
               after={"state": ACCEPTED, "note": note or ""})
    return submission


def _decide(actor, report, submission, state, note, now):
    report.state = state
    report.decided_at = now
    report.decided_by_id = actor.id
    if submission is not None:
        submission.outcome = state
        submission.decided_at = now
        submission.decided_by_id = actor.id
        submission.decision_note = (note or "").strip() or None
    db.session.flush()


def add_comment(actor, report, section_key: str, body: str, *, now) -> ReportComment:
    """A note on a section by the bureau or the guidance unit; it changes nothing else."""
    body = (body or "").strip()
    if not body:
        raise Refused("請輸入意見內容。", field="body")
    if section_key not in SECTION_KEYS and section_key != "overall":
        raise Refused("請選擇段落。", field="section_key")
    comment = ReportComment(report=report, submission=_current_submission(report), section_key=section_key,
                            kind="note", body=body, author_id=actor.id, author_name=actor.full_name,
                            author_org_name=actor.organisation.name, created_at=now)
    db.session.add(comment)
    db.session.flush()
    log_change(actor, report, "result_report.comment", after={"section": section_key, "body": body})
    return comment


def declare_not_required(actor, org, service_year: int, reason: str, *, service_days: int | None) -> ResultReport:
    """免交: a unit with no clients in the year needs no report (seed 003 §十三(一)).

    Refused when the year has service records. `service_days` is None only when
    the records cannot be counted; the reason is then kept for the bureau.
    """
    if service_days:
        raise Refused(f"本年度已有 {service_days} 筆服務紀錄，須繳交成果報告，不能申報免交。")
    report = find_report(org.id, service_year)
    if report is not None and report.state == NOT_REQUIRED:
        return report
    if report is not None and report.state not in (DRAFT,):
        raise TransitionNotAllowed(f"成果報告目前為「{report.state_label}」，不能改為免交。")
    if report is None:
        report = ResultReport(organisation_id=org.id, service_year=service_year, created_by_id=actor.id)
        db.session.add(report)
    before = _state(report) if report.id else None
    report.state = NOT_REQUIRED
    report.not_required_reason = (reason or "").strip() or "本年度無服務個案"
    db.session.flush()
    log_change(actor, report, "result_report.not_required", before=before,
               after={"state": NOT_REQUIRED, "reason": report.not_required_reason})
    return report


def reopen_report(actor, report) -> ResultReport:
    """Withdraw a 免交 declaration: the report becomes a draft again."""
    if report.state != NOT_REQUIRED:
        raise TransitionNotAllowed(f"成果報告目前為「{report.state_label}」，不需撤回免交。")
    report.state = DRAFT
    db.session.flush()
    log_change(actor, report, "result_report.reopen", before={"state": NOT_REQUIRED}, after={"state": DRAFT})
    return report


def correct_receipt_date(actor, report, received_on: date, note: str, *, due: date, today: date,
                         seen_version=None) -> ResultReport:
    """Record the 收文日期 of the paper letter (R-RPT-01: the bureau's receipt date counts; Q16 default is the
    portal submission). The late flag follows the recorded date (rules.received_late, WE-02)."""
    _lock(report)
    if seen_version not in (None, "") and str(seen_version) != str(report.version):
        raise StaleEdit()
    if report.received_at is None or report.state == NOT_REQUIRED:
        raise TransitionNotAllowed("這份成果報告尚未送出，沒有收文資料可以更正。")
    if received_on is None:
        raise Refused("請填寫收文日期。", field="received_on")
    if received_on > today:
        raise Refused("收文日期不能晚於今天。", field="received_on")
    if received_on < date(report.service_year, 1, 1):
        raise Refused(f"收文日期不能早於{report.roc_year}年度開始。", field="received_on")
    note = (note or "").strip()
    if len(note) < 2:
        raise Refused("請說明更正原因（例：紙本公文收文號）。", field="note")
    if len(note) > 200:
        raise Refused("更正原因最多 200 字。", field="note")   # refused, not cut: the officer's words are kept whole
    before = {"received_on": report.receipt_date, "late": report.late, "note": report.receipt_note}
    late = rules.received_late(received_on, due)
    if received_on == before["received_on"] and late == report.late and note == (report.receipt_note or ""):
        return report   # the same correction twice (double submit): nothing to change
    report.received_on = received_on
    report.receipt_note = note
    report.late = late
    db.session.flush()
    log_change(actor, report, "result_report.receipt_date", before=before,
               after={"received_on": received_on, "late": late, "note": report.receipt_note})
    return report


def status_of(report) -> str:
    """The state shown in lists: 未填 for no report or a draft with nothing entered yet."""
    if report is None:
        return "untouched"
    return report.state

