"""Every change in the audits area: templates, rounds, scoring, finalising, amendments, corrections.

Each function takes the acting user, checks the change is allowed, applies it, writes the audit
log and flushes; the view commits once.
"""
from datetime import date

from portal import clock
from portal.auditlog.operations import log_change, snapshot
from portal.audits import rules
from portal.audits.models import AuditItem, AuditSection, AuditTemplate, AuditTemplateVersion
from portal.errors import Refused, StaleEdit, TransitionNotAllowed
from portal.extensions import db
from portal.submissions import by_submission_key

VERSION_FIELDS = ("label", "effective_from", "status", "pass_rule", "pass_mark", "required_items", "notes")
ITEM_FIELDS = ("number", "section_id", "title", "criterion", "evidence_hint", "scoring", "max_points", "pass_points",
               "allow_na", "placeholder")


def _name(actor):
    return getattr(actor, "full_name", None) or "系統"


# --- templates (issue 4 §1; forms-and-pdfs.md §2) -----------------------------------------

def create_template(actor, *, code, title, target_kind, target_subtype=None, auditor_title="查核委員",
                    pass_mark=8, required_items=None, pass_rule="items", label=None) -> AuditTemplate:
    """Create a sheet with an empty first draft version."""
    if db.session.execute(db.select(AuditTemplate).filter_by(code=code)).scalar_one_or_none():
        raise Refused("已有相同代碼的查核表。", field="code")
    template = AuditTemplate(code=code, title=title, target_kind=target_kind, target_subtype=target_subtype or None,
                             auditor_title=auditor_title)
    db.session.add(template)
    db.session.flush()
    version = AuditTemplateVersion(template=template, version_no=1, label=label or "第1版", status="draft",
                                   pass_rule=pass_rule, pass_mark=pass_mark, required_items=required_items,
                                   created_by_name=_name(actor))
    db.session.add(version)
    db.session.flush()
    log_change(actor, template, "audit_template.create",
               after=snapshot(template, ("code", "title", "target_kind", "target_subtype", "auditor_title")))
    return template


def _require_draft(version):
    if not version.editable:
        raise TransitionNotAllowed("已發布的查核表版本不能修改；請建立新版本後再修改。")


def new_draft(actor, template: AuditTemplate) -> AuditTemplateVersion:
    """Start the next version as a copy of the newest one (only one draft at a time)."""
    draft = next((v for v in template.versions if v.status == "draft"), None)
    if draft is not None:
        return draft
    latest = template.versions[-1]
    version = AuditTemplateVersion(template=template, version_no=latest.version_no + 1,
                                   label=f"第{latest.version_no + 1}版", status="draft", pass_rule=latest.pass_rule,
                                   pass_mark=latest.pass_mark, required_items=latest.required_items,
                                   notes=latest.notes, created_by_name=_name(actor))
    db.session.add(version)
    db.session.flush()
    section_map = {}
    for section in latest.sections:
        copy = AuditSection(template_version=version, position=section.position, title=section.title)
        db.session.add(copy)
        section_map[section.id] = copy
    db.session.flush()
    for item in latest.items:
        db.session.add(AuditItem(template_version=version, section=section_map.get(item.section_id),
                                 **{f: getattr(item, f) for f in ITEM_FIELDS if f != "section_id"}))
    db.session.flush()
    log_change(actor, version, "audit_template.new_version",
               after={"template_id": template.id, "version_no": version.version_no, "copied_from": latest.id})
    return version


def update_version(actor, version: AuditTemplateVersion, data: dict, *, seen_version: int) -> None:
    _require_draft(version)
    if seen_version != version.version:
        raise StaleEdit()
    before = snapshot(version, VERSION_FIELDS)
    for field in ("label", "effective_from", "pass_rule", "pass_mark", "required_items", "notes"):
        if field in data:
            setattr(version, field, data[field])
    db.session.flush()
    log_change(actor, version, "audit_template.update", before=before, after=snapshot(version, VERSION_FIELDS))


def add_section(actor, version, title: str) -> AuditSection:
    _require_draft(version)
    if not (title or "").strip():
        raise Refused("請輸入分類名稱。", field="title")
    position = max([s.position for s in version.sections], default=0) + 1
    section = AuditSection(template_version=version, position=position, title=title.strip())
    db.session.add(section)
    db.session.flush()
    log_change(actor, version, "audit_template.add_section", after={"title": section.title})
    return section


def _renumber(version):
    """Keep 項次 1…n in section order, items in their current order within each section."""
    positions = {s.id: s.position for s in version.sections}
    ordered = sorted(version.items, key=lambda i: (positions.get(i.section_id, 10_000), i.number, i.id or 0))
    for n, item in enumerate(ordered, start=1):
        item.number = n
    db.session.flush()


def save_item(actor, version, item: AuditItem | None, data: dict) -> AuditItem:
    """Add or change an item of a draft version."""
    _require_draft(version)
    if data.get("section_id") and not any(s.id == data["section_id"] for s in version.sections):
        raise Refused("分類不屬於此版本。", field="section_id")
    if data.get("scoring") == "points":
        if not data.get("max_points"):
            raise Refused("計分題請輸入滿分。", field="max_points")
        if data.get("pass_points") is None or data["pass_points"] > data["max_points"]:
            raise Refused("請輸入不超過滿分的合格分數。", field="pass_points")
    else:
        data = {**data, "max_points": None, "pass_points": None}
    before = snapshot(item, ITEM_FIELDS) if item else None
    if item is None:
        same_section = [i.number for i in version.items if i.section_id == data.get("section_id")]
        item = AuditItem(template_version=version, number=(max(same_section) + 1) if same_section else 10_000)
        db.session.add(item)
    for field in ITEM_FIELDS:
        if field in data and field != "number":
            setattr(item, field, data[field])
    db.session.flush()
    db.session.refresh(version)
    _renumber(version)
    log_change(actor, item, "audit_template.save_item", before=before, after=snapshot(item, ITEM_FIELDS))
    return item


def delete_item(actor, item: AuditItem) -> None:
    version = item.template_version
    _require_draft(version)
    log_change(actor, item, "audit_template.delete_item", before=snapshot(item, ITEM_FIELDS))
    version.items.remove(item)
    db.session.delete(item)
    db.session.flush()
    _renumber(version)


def move_item(actor, item: AuditItem, direction: int) -> None:
    """Swap the item with its neighbour in the same section (direction -1 up, +1 down)."""
    version = item.template_version
    _require_draft(version)
    siblings = [i for i in version.items if i.section_id == item.section_id]
    index = siblings.index(item)
    other_index = index + direction
    if 0 <= other_index < len(siblings):
        other = siblings[other_index]
        item.number, other.number = other.number, item.number
        db.session.flush()
        log_change(actor, item, "audit_template.move_item", after={"number": item.number})


def publish_refusal(version) -> str | None:
    """Why a draft cannot be published yet (forms-and-pdfs.md §2: the A-unit sheet must have exactly 13 items)."""
    count = len(version.items)
    if count == 0:
        return "查核表沒有題目。"
    if version.required_items and count != version.required_items:
        return f"此查核表須有 {version.required_items} 題，目前為 {count} 題。"
    if version.pass_rule == "items" and version.pass_mark > count:
        return f"合格題數（{version.pass_mark}）不可多於題數（{count}）。"
    if version.pass_rule == "points" and version.pass_mark > sum(i.max_points or 0 for i in version.items):
        return "及格分數不可高於總分。"
    if not version.effective_from:
        return "請設定生效日期。"
    return None


def publish(actor, version: AuditTemplateVersion, *, seen_version: int) -> None:
    """Publish a draft: from its effective date new audits use it; audits already scheduled keep theirs."""
    _require_draft(version)
    if seen_version != version.version:
        raise StaleEdit()
    why = publish_refusal(version)
    if why:
        raise Refused(why)
    before = snapshot(version, VERSION_FIELDS)
    for other in version.template.versions:
        if other is not version and other.status == "published":
            other.status = "retired"
    version.status = "published"
    version.published_at = clock.utcnow()
    version.published_by_name = _name(actor)
    db.session.flush()
    log_change(actor, version, "audit_template.publish", before=before, after=snapshot(version, VERSION_FIELDS))


def version_for(template: AuditTemplate, on: date) -> AuditTemplateVersion | None:
    """The version an audit on `on` is scored with: the newest published (or retired) one in effect by then."""
    usable = [v for v in template.versions if v.status in ("published", "retired") and v.effective_from]
    in_effect = [v for v in usable if v.effective_from <= on]
    pool = in_effect or usable
    return max(pool, key=lambda v: (v.effective_from, v.version_no)) if pool else None


def template_for(org) -> AuditTemplate | None:
    """The active sheet for a unit: one made for its B-unit kind first, else one for its organisation kind."""
    templates = db.session.execute(db.select(AuditTemplate).filter_by(active=True, target_kind=org.kind)
                                   ).scalars().all()
    matching = [t for t in templates if t.applies_to(org)]
    matching.sort(key=lambda t: (t.target_subtype is None, t.id))
    return matching[0] if matching else None



# --- rounds and scheduling (R-AUD-01, R-AUD-02) --------------------------------------------

ROUND_FIELDS = ("title", "starts_on", "ends_on", "notes")
AUDIT_FIELDS = ("round_id", "organisation_id", "template_version_id", "audit_type", "scheduled_on", "status",
                "passed_count", "failed_count", "na_count", "points", "passed", "finalised_by_name")


def create_round(actor, *, title, starts_on, ends_on, notes=None):
    from portal.audits.models import AuditRound
    if ends_on < starts_on:
        raise Refused("迄日不可早於起日。", field="ends_on")
    round_ = AuditRound(title=title.strip(), starts_on=starts_on, ends_on=ends_on, notes=notes,
                        created_by_name=_name(actor))
    db.session.add(round_)
    db.session.flush()
    log_change(actor, round_, "audit_round.create", after=snapshot(round_, ROUND_FIELDS))
    return round_


def schedule_audit(actor, org, *, scheduled_on, lead, others=(), round_=None, audit_type="regular",
                   recheck_of=None):
    """Put a unit on the schedule with its auditors; the sheet version in effect on the date is attached."""
    from portal.audits.models import Audit, AuditAnswer, AuditAssignment
    template = template_for(org)
    if template is None:
        raise Refused("沒有適用此單位的查核表，請先於「查核表管理」建立。", field="organisation_id")
    version = version_for(template, scheduled_on)
    if version is None:
        raise Refused(f"「{template.title}」尚未發布任何版本。", field="organisation_id")
    if round_ is not None:
        if not (round_.starts_on <= scheduled_on <= round_.ends_on):
            raise Refused("查核日期須在梯次期間內。", field="scheduled_on")
        if any(a.organisation_id == org.id and a.status != "cancelled" for a in round_.audits):
            raise Refused("此單位已排入本梯次。", field="organisation_id")
    if lead is None:
        raise Refused("請選擇主評委員。", field="lead_id")
    audit = Audit(round=round_, organisation_id=org.id, template_version=version, audit_type=audit_type,
                  recheck_of=recheck_of, scheduled_on=scheduled_on, status="scheduled", created_by_name=_name(actor))
    db.session.add(audit)
    audit.assignments.append(AuditAssignment(user_id=lead.id, is_lead=True))
    for other in others:
        if other.id != lead.id:
            audit.assignments.append(AuditAssignment(user_id=other.id, is_lead=False))
    db.session.flush()
    # One answer row per item from the start, so saving is always an update under a row lock.
    for item in version.items:
        db.session.add(AuditAnswer(audit_id=audit.id, item_id=item.id, revision=0))
    db.session.flush()
    log_change(actor, audit, "audit.schedule", after={**snapshot(audit, AUDIT_FIELDS),
                                                      "auditors": [a.user_id for a in audit.assignments]})
    return audit


def cancel_audit(actor, audit, reason: str):
    if audit.status in ("finalised", "cancelled"):
        raise TransitionNotAllowed(f"此查核{audit.status_label}，不能取消。")
    if not (reason or "").strip():
        raise Refused("請填寫取消理由。", field="reason")
    before = snapshot(audit, AUDIT_FIELDS)
    audit.status = "cancelled"
    audit.cancelled_reason = reason.strip()
    db.session.flush()
    log_change(actor, audit, "audit.cancel", before=before, after=snapshot(audit, AUDIT_FIELDS), note=reason)


# --- scoring (issue 4 §3) ------------------------------------------------------------------

class AnswerResult:
    """What happened to one submitted answer: saved, unchanged, duplicate (a re-send) or conflict."""

    def __init__(self, answer, status, mine=None):
        self.answer, self.status, self.mine = answer, status, mine or {}

    @property
    def conflict(self):
        return self.status == "conflict"


def _locked_answer(audit, item):
    from portal.audits.models import AuditAnswer
    answer = db.session.execute(db.select(AuditAnswer).filter_by(audit_id=audit.id, item_id=item.id)
                                .with_for_update().execution_options(populate_existing=True)).scalar_one_or_none()
    if answer is None:  # an item added to a version after scheduling cannot happen (published = frozen)
        raise Refused("此題不屬於本次查核。")
    return answer


def _check_scorable(audit):
    if audit.status == "finalised":
        raise TransitionNotAllowed(f"此查核已由{audit.finalised_by_name}送出，評分不能再修改；"
                                   "如需更正請洽衛生局辦理更正。")
    if audit.status == "cancelled":
        raise TransitionNotAllowed("此查核已取消。")


def _validate_answer(item, outcome, points):
    if item.scoring == "points":
        if outcome == rules.NA and item.allow_na:
            return rules.NA, None
        if points is None:
            raise Refused("請輸入分數。", field="points")
        if not (0 <= points <= (item.max_points or 0)):
            raise Refused(f"分數須在 0 到 {item.max_points} 之間。", field="points")
        return None, points
    allowed = (rules.PASS, rules.FAIL, rules.NA) if item.allow_na else (rules.PASS, rules.FAIL)
    if outcome not in allowed:
        raise Refused("請選擇「合格」或「不合格」。" if not item.allow_na else "請選擇評分結果。", field="outcome")
    return outcome, None


def _change_with_key(client_key, audit, item):
    """The stored change a client key was already used for (a re-send), or None.

    A key sent with another audit's or item's answer is not that re-send: it is refused, never applied twice."""
    from portal.audits.models import AuditAnswerChange
    if not client_key:
        return None
    seen = db.session.execute(db.select(AuditAnswerChange).filter_by(client_key=client_key)
                              .execution_options(populate_existing=True)).scalar_one_or_none()
    if seen is not None and (seen.answer.audit_id, seen.answer.item_id) != (audit.id, item.id):
        raise Refused("此答案的識別碼已用於其他題目，請重新整理本頁後再評分。")
    return seen


def answer_item(actor, audit, item, *, outcome=None, points=None, note=None, base_revision=None,
                client_key=None, force=False) -> AnswerResult:
    """Save one item's answer; idempotent by `client_key`; never overwrites another auditor silently.

    `base_revision` is the answer revision the auditor's screen showed. When someone else saved the
    item since, the answer is not changed and a conflict is returned (unless `force`, the auditor's
    explicit "use my answer"). The same auditor's later answer wins (e.g. replayed from the offline queue).
    """
    from portal.audits.models import AuditAnswerChange
    if item.template_version_id != audit.template_version_id:
        raise Refused("此題不屬於本次查核。")
    # A re-send of an answer already stored (its reply was lost on a weak connection) is answered as
    # such, even when the audit was submitted since: it was saved before that.
    seen = _change_with_key(client_key, audit, item)
    if seen is not None:
        return AnswerResult(seen.answer, "duplicate")
    _check_scorable(audit)
    answer = _locked_answer(audit, item)
    # Checked again under the row lock: a retry that raced its first copy waits for it here and then
    # finds it (PostgreSQL); without this both would pass the check above.
    seen = _change_with_key(client_key, audit, item)
    if seen is not None:
        return AnswerResult(seen.answer, "duplicate")
    if outcome is None and points is None:
        outcome, points = answer.outcome, answer.points   # a note-only save keeps the score (or none yet)
    if outcome is not None or points is not None:
        outcome, points = _validate_answer(item, outcome, points)
    note = (note or "").strip() or None
    mine = {"outcome": outcome, "points": points, "note": note}
    if (answer.outcome, answer.points, answer.note) == (outcome, points, note):
        if client_key:
            db.session.add(AuditAnswerChange(answer_id=answer.id, revision=answer.revision, outcome=outcome,
                                             points=points, note=note, changed_by_id=getattr(actor, "id", None),
                                             changed_by_name=_name(actor), client_key=client_key, kind="noop"))
            db.session.flush()
        return AnswerResult(answer, "unchanged", mine)
    someone_else = answer.answered_by_id is not None and answer.answered_by_id != getattr(actor, "id", None)
    if base_revision is not None and base_revision != answer.revision and someone_else and not force:
        return AnswerResult(answer, "conflict", mine)
    before = {"outcome": answer.outcome, "points": answer.points, "note": answer.note, "revision": answer.revision}
    answer.outcome, answer.points, answer.note = outcome, points, note
    answer.revision += 1
    answer.answered_by_id = getattr(actor, "id", None)
    answer.answered_by_name = _name(actor)
    answer.answered_at = clock.utcnow()
    db.session.add(AuditAnswerChange(answer_id=answer.id, revision=answer.revision, outcome=outcome, points=points,
                                     note=note, changed_by_id=answer.answered_by_id, changed_by_name=_name(actor),
                                     client_key=client_key, kind="score"))
    if audit.status == "scheduled":
        audit.status = "in_progress"
    db.session.flush()
    log_change(actor, answer, "audit.answer", before=before,
               after={**mine, "revision": answer.revision, "audit_id": audit.id, "item": item.number})
    return AnswerResult(answer, "saved", mine)


def audit_tally(audit) -> rules.Tally:
    version = audit.template_version
    answered = [(a.item.rule, a.outcome, a.points) for a in audit.answers if a.revision > 0]
    return rules.tally(answered, total=len(version.items), pass_mark=version.pass_mark, pass_rule=version.pass_rule)


def finalise(actor, audit, *, summary_note=None, unit_representative=None, seen_version=None):
    """The lead auditor submits the audit: result from the pure rule; read-only afterwards (issue 4 §4)."""
    db.session.refresh(audit, with_for_update=True)
    if audit.status == "finalised":
        raise TransitionNotAllowed(f"此查核已由{audit.finalised_by_name}送出，結果為「{audit.result_label}」。")
    _check_scorable(audit)
    if not audit.is_lead(actor):
        raise TransitionNotAllowed("只有主評委員可以送出查核結果。")
    if seen_version is not None and seen_version != audit.version:
        raise StaleEdit("查核資料在您開啟頁面後已變更，請重新檢查評分後再送出。")
    db.session.expire(audit, ["answers"])
    result = audit_tally(audit)
    refusal = rules.finalise_refusal(result)
    if refusal:
        raise Refused(refusal)
    before = snapshot(audit, AUDIT_FIELDS)
    audit.passed_count, audit.failed_count = result.passed, result.failed
    audit.na_count, audit.points = result.not_applicable, result.points
    audit.passed = result.result
    audit.summary_note = (summary_note or "").strip() or None
    audit.unit_representative = (unit_representative or "").strip() or None
    audit.status = "finalised"
    audit.finalised_at = clock.utcnow()
    audit.finalised_by_id = getattr(actor, "id", None)
    audit.finalised_by_name = _name(actor)
    db.session.flush()
    log_change(actor, audit, "audit.finalise", before=before, after=snapshot(audit, AUDIT_FIELDS))
    return audit


def amend_answer(actor, audit, item, *, outcome=None, points=None, reason: str):
    """A bureau correction of a finalised audit: logged with its reason; the result is recomputed."""
    from portal.audits.models import AuditAmendment, AuditAnswerChange
    if audit.status != "finalised":
        raise TransitionNotAllowed("只有已送出的查核可以辦理更正；評分中的查核請由委員修改。")
    if not (reason or "").strip():
        raise Refused("請填寫更正理由。", field="reason")
    if item.template_version_id != audit.template_version_id:
        raise Refused("此題不屬於本次查核。", field="item_id")
    outcome, points = _validate_answer(item, outcome, points)
    answer = _locked_answer(audit, item)
    if (answer.outcome, answer.points) == (outcome, points):
        raise Refused("更正後結果與原結果相同。", field="outcome")
    result_before = audit.passed
    amendment = AuditAmendment(audit_id=audit.id, item_id=item.id, before_outcome=answer.outcome,
                               before_points=answer.points, after_outcome=outcome, after_points=points,
                               result_before=result_before, reason=reason.strip(), amended_by_name=_name(actor))
    answer.outcome, answer.points = outcome, points
    answer.revision += 1
    db.session.add(AuditAnswerChange(answer_id=answer.id, revision=answer.revision, outcome=outcome, points=points,
                                     note=answer.note, changed_by_id=getattr(actor, "id", None),
                                     changed_by_name=_name(actor), kind="amendment"))
    db.session.flush()
    db.session.expire(audit, ["answers"])
    result = audit_tally(audit)
    before = snapshot(audit, AUDIT_FIELDS)
    audit.passed_count, audit.failed_count = result.passed, result.failed
    audit.na_count, audit.points, audit.passed = result.not_applicable, result.points, result.result
    amendment.result_after = audit.passed
    db.session.add(amendment)
    db.session.flush()
    log_change(actor, audit, "audit.amend", before=before, after=snapshot(audit, AUDIT_FIELDS),
               note=f"第{item.number}題：{reason.strip()}")
    return amendment


# --- the unit's corrections (R-AUD-04) -----------------------------------------------------

def file_correction(actor, audit, item, description: str):
    from portal.audits.models import AuditCorrection
    if audit.status != "finalised":
        raise TransitionNotAllowed("查核結果送出後才能提報改善。")
    answer = next((a for a in audit.answers if a.item_id == item.id), None)
    if answer is None or answer.result != rules.FAIL:
        raise Refused("只有不合格的題目需要提報改善。")
    if not (description or "").strip():
        raise Refused("請說明改善情形。", field="description")
    correction = db.session.execute(db.select(AuditCorrection).filter_by(audit_id=audit.id, item_id=item.id)
                                    ).scalar_one_or_none()
    if correction is not None and correction.status == "accepted":
        raise TransitionNotAllowed("此題改善已經衛生局確認。")
    before = snapshot(correction, ("description", "status")) if correction else None
    if correction is None:
        correction = AuditCorrection(audit_id=audit.id, item_id=item.id, description="", filed_by_name="")
        db.session.add(correction)
    correction.description = description.strip()
    correction.status = "filed"
    correction.filed_by_name = _name(actor)
    correction.filed_at = clock.utcnow()
    correction.reviewed_by_name = correction.reviewed_at = None
    db.session.flush()
    log_change(actor, correction, "audit.correction_filed", before=before,
               after=snapshot(correction, ("description", "status")))
    return correction


def review_correction(actor, correction, decision: str, note=None):
    if decision not in ("accepted", "returned"):
        raise Refused("請選擇審查結果。", field="decision")
    if correction.status != "filed":
        raise TransitionNotAllowed(f"此改善已由{correction.reviewed_by_name or '他人'}審查（{correction.status_label}）。")
    if decision == "returned" and not (note or "").strip():
        raise Refused("退回補正請填寫審查意見。", field="review_note")
    before = snapshot(correction, ("status", "review_note"))
    correction.status = decision
    correction.review_note = (note or "").strip() or None
    correction.reviewed_by_name = _name(actor)
    correction.reviewed_at = clock.utcnow()
    db.session.flush()
    log_change(actor, correction, "audit.correction_reviewed", before=before,
               after=snapshot(correction, ("status", "review_note")))
    return correction


# --- consequences for the contract (R-AUD-05; issue 4 §5) -----------------------------------

def suspended_for_audits(contract) -> bool:
    """Whether the contract's current suspension was decided on the audit rule."""
    if contract.status != "suspended":  # no need to load the contract's actions
        return False
    last = next((a for a in reversed(contract.actions) if a.action == "suspend"), None)
    return last is not None and last.basis_code == "audit"


def act_on_standing(actor, org, *, today, effective_on, reason, letter_ref=None, lead=None, submission_key=None,
                    cal=None):
    """Take the contract action the unit's audit standing calls for, with the audit rule as legal basis.

    Suspension schedules the re-check one month later (WE-14). Returns (consequence, action, recheck).
    """
    from portal.audits.models import Audit
    from portal.audits.queries import unit_standings
    from portal.contracts.models import ContractAction
    from portal.contracts.operations import current_contract, record_action
    done = by_submission_key(ContractAction, submission_key)
    if done is not None:   # the same form sent twice
        recheck = db.session.execute(db.select(Audit).filter_by(audit_type="recheck", recheck_of_id=done.source_id)
                                     ).scalars().first()
        return {"suspend": rules.SUSPEND, "terminate": rules.TERMINATE}.get(done.action, rules.REINSTATE), done, recheck
    contract = current_contract(org.id, today)
    if contract is None:
        raise Refused("此單位尚未登錄特約，請先於「特約」登錄。")
    standing = unit_standings([org.id])[org.id]
    what = rules.consequence(standing.standing, contract.current_status(today),
                             suspended_for_audits=suspended_for_audits(contract))
    if what is None:
        raise TransitionNotAllowed("目前的查核結果不需要特約處分（可能已由其他承辦人處理）。")
    source = standing.last
    action = record_action(actor, contract, what, reason=reason, basis_code="audit", effective_on=effective_on,
                           today=today, letter_ref=letter_ref, source_type="audit", source_id=source.id,
                           submission_key=submission_key)
    recheck = None
    if what == rules.SUSPEND:
        recheck = schedule_audit(actor, org, scheduled_on=rules.recheck_due(effective_on, cal=cal),
                                 lead=lead or source.lead, others=[u for u in source.auditors if u is not (lead or source.lead)],
                                 audit_type="recheck", recheck_of=source)
    return what, action, recheck


def reschedule_audit(actor, audit, *, scheduled_on, lead, others=()):
    """Move a not-yet-started audit or change its auditors; the sheet version follows the new date."""
    from portal.audits.models import AuditAnswer, AuditAssignment
    if audit.status != "scheduled":
        raise TransitionNotAllowed("已開始評分或已結束的查核不能改期；如需更換委員請取消後重新排定。")
    if lead is None:
        raise Refused("請選擇主評委員。", field="lead_id")
    round_ = audit.round
    if round_ is not None and not (round_.starts_on <= scheduled_on <= round_.ends_on):
        raise Refused("查核日期須在梯次期間內。", field="scheduled_on")
    before = {**snapshot(audit, AUDIT_FIELDS), "auditors": [a.user_id for a in audit.assignments]}
    version = version_for(audit.template_version.template, scheduled_on)
    if version is not None and version.id != audit.template_version_id:
        for answer in list(audit.answers):
            db.session.delete(answer)
        db.session.flush()
        audit.template_version = version
        for item in version.items:
            db.session.add(AuditAnswer(audit_id=audit.id, item_id=item.id, revision=0))
    audit.scheduled_on = scheduled_on
    audit.assignments.clear()
    db.session.flush()
    audit.assignments.append(AuditAssignment(user_id=lead.id, is_lead=True))
    for other in others:
        if other.id != lead.id:
            audit.assignments.append(AuditAssignment(user_id=other.id, is_lead=False))
    db.session.flush()
    log_change(actor, audit, "audit.reschedule", before=before,
               after={**snapshot(audit, AUDIT_FIELDS), "auditors": [a.user_id for a in audit.assignments]})
    return audit
