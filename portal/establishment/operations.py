"""Every change to an establishment plan: checked, applied, logged (ARCHITECTURE.md)."""
import hashlib
import uuid
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal import clock
from portal.auditlog.models import AuditLogEntry
from portal.auditlog.operations import log_change, snapshot
from portal.auth import roles
from portal.auth.models import User
from portal.auth.rules import password_problem
from portal.errors import Refused, StaleEdit, TransitionNotAllowed
from portal.establishment import models as m
from portal.establishment.outline import BY_KEY
from portal.establishment.settings import MAX_UPLOAD_MB, REGISTRATIONS_PER_IP_PER_DAY
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.settings.registry import get_setting

PLAN_FIELDS = ("status", "case_number", "received_on", "submission_count", "decision_note", "site_visit_on",
               "site_visit_result", "site_visit_note")
POPULATION_FIELDS = ("as_of", "age_65_plus", "age_50_64", "disabled_male_50_64", "disabled_female_50_64",
                     "disabled_male_under_50", "disabled_female_under_50", "indigenous_55_64", "source", "is_demo")


# --- registration ---------------------------------------------------------------------------

def registrations_from(ip: str, now) -> int:
    return db.session.execute(db.select(func.count(AuditLogEntry.id)).where(
        AuditLogEntry.action == "establishment.register", AuditLogEntry.ip == ip,
        AuditLogEntry.at > now - timedelta(days=1))).scalar_one()


def register_applicant(data: dict, password: str, *, ip: str | None) -> User:
    """Create an applicant organisation and its one applicant account (real-name use)."""
    now = clock.now()
    if ip and registrations_from(ip, now) >= get_setting(REGISTRATIONS_PER_IP_PER_DAY):
        raise Refused("此網路位址今日申請帳號次數已達上限，請明日再試或洽衛生局長照科。")
    problem = password_problem(password)
    if problem:
        raise Refused(problem, field="password")
    username = data["username"].strip()
    email = data["email"].strip().lower()
    taken = db.session.execute(db.select(User.id).where(
        (func.lower(User.username) == username.lower()) | (func.lower(User.email) == email))).first()
    if taken:
        # one message for both, so the form does not tell which e-mail addresses have accounts
        raise Refused("此帳號或電子郵件已被使用，請更換帳號名稱或改用其他電子郵件；忘記密碼請洽衛生局。",
                      field="username")
    org_name = data["organisation_name"].strip()
    if db.session.execute(db.select(Organisation.id).filter_by(name=org_name)).first():
        raise Refused("已有同名的機構或申請案，請改用其他名稱（可加註「籌設中」或地區）。", field="organisation_name")
    org = Organisation(kind=roles.APPLICANT_ORG, name=org_name, short_name=org_name[:40], phone=data.get("phone"))
    db.session.add(org)
    db.session.flush()
    user = User(username=username, full_name=data["full_name"].strip(), job_title=data.get("job_title") or "設立申請人",
                email=email, phone=data.get("phone"), role=roles.APPLICANT, organisation_id=org.id, active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    log_change(user, user, "establishment.register",
               after={"username": user.username, "full_name": user.full_name, "organisation": org.name})
    create_plan(user, org)
    return user


# --- the plan -------------------------------------------------------------------------------

def _require_author(actor, plan):
    if actor.role not in m.AUTHOR_ROLES or actor.organisation_id != plan.organisation_id:
        raise Refused("只有申請單位的人員可以編輯計畫書。")


def _require_editable(plan):
    if not plan.editable:
        raise TransitionNotAllowed(f"計畫書目前為「{plan.status_label}」，不能修改；衛生局退回補件後才能再編輯。")


def create_plan(actor, org) -> m.EstablishmentPlan:
    open_plan = db.session.execute(db.select(m.EstablishmentPlan).where(
        m.EstablishmentPlan.organisation_id == org.id,
        m.EstablishmentPlan.status.in_((m.DRAFT, m.SUBMITTED, m.RECEIVED, m.RETURNED)))).scalars().first()
    if open_plan is not None:
        return open_plan  # one plan in progress per applicant; a double click opens the same one
    plan = m.EstablishmentPlan(organisation_id=org.id, created_by_id=actor.id, status=m.DRAFT)
    db.session.add(plan)
    db.session.flush()
    log_change(actor, plan, "establishment.create", after=snapshot(plan, PLAN_FIELDS))
    return plan


def section_row(plan, key) -> m.PlanSection | None:
    return next((s for s in plan.sections if s.key == key), None)


def _changed_keys(before: dict, after: dict) -> list:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


STALE_SECTION = "這一節已在別處（另一個視窗或同事）更新過，為免覆蓋，本次未儲存；請重新載入本節後再修改。"


def _read_section(plan, key) -> m.PlanSection | None:
    """The section as committed now (not an older copy this request loaded before)."""
    return db.session.execute(
        db.select(m.PlanSection).where(m.PlanSection.plan_id == plan.id, m.PlanSection.key == key)
        .execution_options(populate_existing=True)).scalar_one_or_none()


def save_section(actor, plan, key: str, data: dict, *, seen_version: int | None) -> m.PlanSection:
    """Save one section (autosave or the 儲存 button). `seen_version` is the version the editor loaded.

    Two people on one section: the second save based on an older version is refused (StaleEdit), never
    written over the first, also when both arrive at the same moment (the version column and the unique
    (plan, key) row decide inside a savepoint). The same content sent twice (a double click, a retry after a
    dropped connection) is saved once and is not a conflict. A save and a colleague's 送件 at the same moment
    do not cross: the save holds a shared lock on the plan, 送件 an exclusive one."""
    if key not in BY_KEY:
        raise Refused("沒有這個章節。")
    _require_author(actor, plan)
    _lock(plan, shared=True)
    _require_editable(plan)
    row = _read_section(plan, key)
    current = row.version if row else 0
    if row is not None and (row.data or {}) == data:
        return row  # nothing changed (or this very save went through already): no new version, no log row
    if seen_version is not None and seen_version != current:
        raise StaleEdit(STALE_SECTION)
    before = dict(row.data or {}) if row else {}
    now = clock.now()
    try:
        with db.session.begin_nested():
            if row is None:
                row = m.PlanSection(plan=plan, key=key, data=data, updated_by_id=actor.id, updated_at=now)
                db.session.add(row)
            else:
                row.data = data
                row.updated_by_id = actor.id
                row.updated_at = now
            db.session.flush()
    except (IntegrityError, StaleDataError):
        # Another request saved this section between our read and our write.
        db.session.expire(plan)
        again = _read_section(plan, key)
        if again is not None and (again.data or {}) == data:
            return again
        raise StaleEdit(STALE_SECTION) from None
    log_change(actor, row, "establishment.section_saved", note=f"{plan.id}:{key}",
               after={"plan_id": plan.id, "section": key, "changed": _changed_keys(before, data)})
    return row


# --- uploads --------------------------------------------------------------------------------

_MAGIC = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "establishment"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sniff_type(head: bytes) -> str | None:
    return next((mime for magic, mime in _MAGIC.items() if head.startswith(magic)), None)


def add_attachment(actor, plan, slot: str, filename: str, content: bytes, *, note: str = "",
                   images_only=False, many=True) -> m.PlanAttachment:
    _require_author(actor, plan)
    _lock(plan, shared=True)  # not into a version being frozen by a colleague's 送件
    _require_editable(plan)
    if not content:
        raise Refused("請選擇要上傳的檔案。", field="file")
    limit = get_setting(MAX_UPLOAD_MB) * 1024 * 1024
    if len(content) > limit:
        raise Refused(f"檔案超過 {get_setting(MAX_UPLOAD_MB)} MB，請壓縮或分檔上傳。", field="file")
    mime = sniff_type(content[:16])
    if mime is None or (images_only and mime == "application/pdf"):
        allowed = "PNG 或 JPEG 圖片" if images_only else "PDF、PNG 或 JPEG"
        raise Refused(f"檔案格式不符，請上傳 {allowed}。", field="file")
    digest = hashlib.sha256(content).hexdigest()
    same = next((a for a in plan.live_attachments() if a.slot == slot and a.sha256 == digest), None)
    if same is not None:
        return same  # the same file again (a double click, a retry after a dropped connection): kept once
    if not many:
        for old in [a for a in plan.live_attachments() if a.slot == slot]:
            old.removed_at = clock.now()
    stored = f"{uuid.uuid4().hex}{'.pdf' if mime == 'application/pdf' else '.png' if mime == 'image/png' else '.jpg'}"
    (upload_dir() / stored).write_bytes(content)
    att = m.PlanAttachment(plan=plan, slot=slot, filename=(filename or "upload")[-200:], stored_name=stored,
                           content_type=mime, size=len(content), sha256=digest, note=(note or "").strip()[:200] or None,
                           uploaded_by_id=actor.id)
    db.session.add(att)
    db.session.flush()
    log_change(actor, att, "establishment.upload", after=att.summary())
    return att


def remove_attachment(actor, plan, att: m.PlanAttachment):
    _require_author(actor, plan)
    _lock(plan, shared=True)
    _require_editable(plan)
    if att.plan_id != plan.id or att.removed_at is not None:
        return
    att.removed_at = clock.now()  # the file stays: an earlier submitted version may list it
    log_change(actor, att, "establishment.upload_removed", before=att.summary())


def attachment_bytes(att: m.PlanAttachment) -> bytes:
    return (upload_dir() / att.stored_name).read_bytes()


# --- submission and review ------------------------------------------------------------------

def _lock(plan, *, shared=False):
    """Reload the plan with a row lock (PostgreSQL) so two decisions cannot both pass the state check.
    `shared`: section saves (many at once are fine) against 送件 (waits for them, they wait for it)."""
    db.session.execute(db.select(m.EstablishmentPlan.id).where(m.EstablishmentPlan.id == plan.id)
                       .with_for_update(read=shared))
    db.session.refresh(plan)


def _check_version(plan, seen_version):
    if seen_version not in (None, "") and int(seen_version) != plan.version:
        raise StaleEdit("計畫書已被其他人處理或更新，請重新載入後再操作。")


def submit_plan(actor, plan, problems) -> m.PlanSubmission:
    """送件: freeze a copy; the first submission waits for 收案, a resubmission goes straight back to review.

    `problems` is the checklist (section key -> open items), or a function of the plan that computes it:
    then it is computed after the lock, on the content that is frozen (a save a moment earlier counts)."""
    _require_author(actor, plan)
    _lock(plan)
    if plan.status in (m.SUBMITTED, m.RECEIVED):
        raise TransitionNotAllowed("計畫書已送出，正等待衛生局審查；不需重複送件。")
    _require_editable(plan)
    db.session.execute(db.select(m.PlanSection).where(m.PlanSection.plan_id == plan.id)
                       .execution_options(populate_existing=True)).scalars().all()  # freeze what is committed now
    if callable(problems):
        problems = problems(plan)
    open_items = {k: v for k, v in problems.items() if v}
    if open_items:
        raise Refused(f"尚有 {len(open_items)} 節未完成，請依檢核清單補齊後再送件。")
    before = snapshot(plan, PLAN_FIELDS)
    plan.submission_count += 1
    now = clock.now()
    submission = m.PlanSubmission(plan=plan, number=plan.submission_count, submitted_at=now, submitted_by_id=actor.id,
                                  content=plan.content(), attachments=[a.summary() for a in plan.live_attachments()])
    db.session.add(submission)
    plan.submitted_at = now
    plan.status = m.RECEIVED if plan.case_number else m.SUBMITTED
    db.session.flush()
    log_change(actor, plan, "establishment.submit", before=before, after=snapshot(plan, PLAN_FIELDS),
               note=f"第 {submission.number} 版")
    return submission


def _require_reviewer(actor):
    if actor.role not in m.REVIEWER_ROLES:
        raise Refused("只有衛生局承辦人或科長可以審查計畫書。")


def receive_plan(actor, plan, case_number: str, received_on, *, seen_version=None):
    """收案: the bureau gives the case number (案件編號) and the receipt date (收案日期); later corrections allowed."""
    _require_reviewer(actor)
    _lock(plan)
    _check_version(plan, seen_version)
    if plan.status == m.DRAFT:
        raise TransitionNotAllowed("計畫書尚未送件，不能收案。")
    case_number = case_number.strip()
    other = db.session.execute(db.select(m.EstablishmentPlan.id).where(
        m.EstablishmentPlan.case_number == case_number, m.EstablishmentPlan.id != plan.id)).first()
    if other:
        raise Refused("此案件編號已用於另一件計畫書。", field="case_number")
    before = snapshot(plan, PLAN_FIELDS)
    plan.case_number = case_number
    plan.received_on = received_on
    if plan.status == m.SUBMITTED:
        plan.status = m.RECEIVED
    db.session.flush()
    log_change(actor, plan, "establishment.receive", before=before, after=snapshot(plan, PLAN_FIELDS))


def add_comment(actor, plan, section_key: str, body: str) -> m.PlanComment:
    _require_reviewer(actor)
    _lock(plan, shared=True)  # a colleague returning the plan at this moment: the comment is in that round or refused
    if plan.status != m.RECEIVED:
        raise TransitionNotAllowed("只能對審查中的計畫書提出意見（請先收案）。")
    if section_key not in BY_KEY:
        raise Refused("沒有這個章節。")
    comment = m.PlanComment(plan=plan, submission_number=plan.submission_count, section_key=section_key,
                            body=body.strip(), author_id=actor.id)
    db.session.add(comment)
    db.session.flush()
    log_change(actor, comment, "establishment.comment", after={"plan_id": plan.id, "section": section_key,
                                                               "body": comment.body})
    return comment


def delete_comment(actor, plan, comment: m.PlanComment):
    _require_reviewer(actor)
    if comment.plan_id != plan.id or plan.status != m.RECEIVED or comment.submission_number != plan.submission_count:
        raise TransitionNotAllowed("已送出的審查意見不能刪除。")
    log_change(actor, comment, "establishment.comment_deleted", before={"section": comment.section_key,
                                                                        "body": comment.body})
    db.session.delete(comment)


def _decide(actor, plan, to_status, note, seen_version, action):
    _require_reviewer(actor)
    _lock(plan)
    if plan.status != m.RECEIVED:
        who = f"（{plan.decided_by.full_name} 已處理）" if plan.decided_by else ""
        raise TransitionNotAllowed(f"計畫書目前為「{plan.status_label}」{who}，不能再{action}。")
    _check_version(plan, seen_version)
    before = snapshot(plan, PLAN_FIELDS)
    plan.status = to_status
    plan.decided_at = clock.now()
    plan.decided_by_id = actor.id
    plan.decision_note = (note or "").strip() or None
    db.session.flush()
    log_change(actor, plan, f"establishment.{to_status}", before=before, after=snapshot(plan, PLAN_FIELDS))


def return_plan(actor, plan, note: str, *, seen_version=None):
    """退回補件, with the per-section comments of this round."""
    this_round = [c for c in plan.comments if c.submission_number == plan.submission_count]
    if not this_round and not (note or "").strip():
        raise Refused("退回補件前，請至少對一節提出審查意見，或填寫退回說明。", field="note")
    _decide(actor, plan, m.RETURNED, note, seen_version, "退回")


def accept_plan(actor, plan, note: str, *, seen_version=None):
    _decide(actor, plan, m.ACCEPTED, note, seen_version, "審查通過")


def record_site_visit(actor, plan, visited_on, result: str, note: str, *, seen_version=None):
    """實地訪查 after acceptance (decisions Q22)."""
    _require_reviewer(actor)
    _lock(plan)
    if plan.status != m.ACCEPTED:
        raise TransitionNotAllowed(f"計畫書目前為「{plan.status_label}」；審查通過後才能登錄實地訪查。")
    _check_version(plan, seen_version)
    if result not in m.SITE_VISIT_RESULTS:
        raise Refused("請選擇訪查結果。", field="result")
    before = snapshot(plan, PLAN_FIELDS)
    plan.site_visit_on = visited_on
    plan.site_visit_result = result
    plan.site_visit_note = (note or "").strip() or None
    plan.status = m.VISITED
    db.session.flush()
    log_change(actor, plan, "establishment.site_visit", before=before, after=snapshot(plan, PLAN_FIELDS))


CONTRACT_REVIEW_STATUSES = (m.RECEIVED, m.ACCEPTED, m.VISITED)


def review_contract(actor, plan, decision: str, *, attachment_id, seen_review_id, letter_no="", note=""):
    """參、六: the bureau agrees to the service-contract draft (已同意) or asks for changes (需修正).

    The decision is made on the file the reviewer looked at (`attachment_id`); `seen_review_id` is the latest
    decision the page showed (0: none), so a colleague's decision in between is not overwritten unseen. The
    same decision sent twice (a double click) is recorded once."""
    _require_reviewer(actor)
    _lock(plan)
    if decision not in m.CONTRACT_DECISIONS:
        raise Refused("請選擇同意或需修正。", field="decision")
    if plan.status not in CONTRACT_REVIEW_STATUSES:
        raise TransitionNotAllowed(f"計畫書目前為「{plan.status_label}」；收案後才能審查服務契約。")
    draft = plan.contract_draft()
    if draft is None or draft.id != _as_int(attachment_id):
        raise StaleEdit("申請人已更換服務契約草案，請重新載入後審閱新的草案。")
    current = plan.contract_review()
    if current is not None and current.decision == decision:
        return current  # already so (a double click, or a colleague decided the same): recorded once
    if (current.id if current else 0) != _as_int(seen_review_id):
        who = f"{current.decided_by.full_name} 已將服務契約審查為「{current.decision_label}」" if current else \
            "服務契約的審查紀錄已變更"
        raise StaleEdit(f"{who}，請重新載入後再決定。")
    if decision == m.CONTRACT_REVISE and not (note or "").strip():
        raise Refused("請說明契約需修正之處（例如不符定型化契約應記載事項之條款）。", field="note")
    review = m.ContractReview(plan=plan, attachment_id=draft.id, decision=decision,
                              letter_no=(letter_no or "").strip()[:60] or None, note=(note or "").strip() or None,
                              decided_by_id=actor.id, decided_at=clock.now())
    db.session.add(review)
    db.session.flush()
    log_change(actor, review, f"establishment.contract_{decision}",
               before=current.summary() if current else None, after=review.summary(),
               note=f"{plan.id}:{draft.filename}")
    return review


def _as_int(value) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return -1


# --- the bureau's population table ----------------------------------------------------------

def save_population(actor, area, data: dict) -> m.PopulationFigure:
    if actor.role not in (roles.ADMIN, roles.BUREAU_OFFICER, roles.BUREAU_CHIEF):
        raise Refused("只有衛生局人員可以維護人口資料。")
    row = db.session.execute(db.select(m.PopulationFigure).filter_by(service_area_id=area.id)).scalar_one_or_none()
    before = snapshot(row, POPULATION_FIELDS) if row else None
    if row is None:
        row = m.PopulationFigure(service_area_id=area.id)
        db.session.add(row)
    for k in POPULATION_FIELDS:
        if k in data:
            setattr(row, k, data[k] if data[k] is not None or k in ("as_of", "source") else 0)
    row.updated_by_id = actor.id
    db.session.flush()
    log_change(actor, row, "establishment.population", before=before, after=snapshot(row, POPULATION_FIELDS),
               note=area.name)
    return row
