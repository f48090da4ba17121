"""Every state change of family-care operations and billing: checks, applies, logs, flushes.

The view commits once. Refusals a person must read raise `Refused` (with the
field), wrong states `TransitionNotAllowed`, edits over someone else's newer
save `StaleEdit`. Spec: family-care.md §4–§12; decisions.md Q11–Q18.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func

from portal import clock
from portal.auditlog.operations import jsonable, log_change, snapshot
from portal.auth import roles
from portal.billing import pricing, rules
from portal.billing import settings as billing_settings
from portal.billing.models import (
    BillingProfile, CareAdmission, Carer, CopayRatio, CorrectionRequest, CprCertificate, Declaration,
    DeclarationLine, DeclarationVersion, HealthCheck, HomeDay, OpeningHoursFiling, ServiceDay, ServiceDayRevision,
    ServicePrice, StaffChange, SubsidyChange, can_edit_home,
)
from portal.clients.models import Client, ClientAccess
from portal.errors import Refused, StaleEdit, TransitionNotAllowed
from portal.extensions import db
from portal.submissions import by_submission_key

BUREAU_DECIDERS = (roles.ADMIN, roles.BUREAU_OFFICER)


def _require_home(actor, org_id):
    if not can_edit_home(actor, org_id):
        raise TransitionNotAllowed("只有本家庭托顧單位的人員可以執行此操作（輔導單位僅能檢視）。")


def _require_head(actor, org_id):
    _require_home(actor, org_id)
    if actor.role != roles.B_HEAD:
        raise TransitionNotAllowed("申報及請款須由單位負責人送出。")


def _require_bureau(actor):
    if actor.role not in BUREAU_DECIDERS:
        raise TransitionNotAllowed("只有衛生局承辦人可以審核。")


def _for_update(model, ident):
    """Reload a row with a row lock (PostgreSQL), so two officers never decide on the same state."""
    stmt = (db.select(model).where(model.id == ident).with_for_update()
            .execution_options(populate_existing=True))
    return db.session.execute(stmt).scalar_one()


def _check_version(obj, seen_version):
    if seen_version is not None and int(seen_version) != obj.version:
        raise StaleEdit()


def _decided_message(obj, what):
    """The message the second of two officers deciding the same request sees."""
    from portal.filters import roc_dt
    who = obj.decided_by.full_name if getattr(obj, "decided_by", None) else "其他人員"
    when = f"於 {roc_dt(obj.decided_at)} " if getattr(obj, "decided_at", None) else ""
    return f"此{what}已由{who}{when}處理（目前狀態：{obj.status_label}），您的決定未儲存。"


# --- home profile and opening hours --------------------------------------------------------------

PROFILE_FIELDS = ("tax_id", "bank_name", "bank_account", "account_name")


def save_billing_profile(actor, org_id: int, data: dict, *, seen_version=None) -> BillingProfile:
    _require_home(actor, org_id)
    profile = db.session.execute(db.select(BillingProfile).filter_by(organisation_id=org_id)).scalar_one_or_none()
    before = None
    if profile is None:
        profile = BillingProfile(organisation_id=org_id)
        db.session.add(profile)
    else:
        _check_version(profile, seen_version)
        before = snapshot(profile, PROFILE_FIELDS)
    for field in PROFILE_FIELDS:
        if field in data:
            setattr(profile, field, data[field])
    profile.updated_by_id = actor.id
    db.session.flush()
    log_change(actor, profile, "billing.profile_saved", before=before, after=snapshot(profile, PROFILE_FIELDS))
    return profile


def file_opening_hours(actor, org_id: int, *, weekdays: str, opens: time, closes: time,
                       effective_from: date) -> OpeningHoursFiling:
    """Submit opening hours to the bureau for the record (收托時間備查, R-CAPF-03)."""
    _require_home(actor, org_id)
    if not weekdays:
        raise Refused("請選擇收托日。", field="weekdays")
    if closes <= opens:
        raise Refused("結束時間必須晚於開始時間。", field="closes")
    if rules.hours_between(opens, closes) > rules.DayLimits().max_hours:
        raise Refused("每日收托時間至多 12 小時。", field="closes")
    pending = db.session.execute(db.select(OpeningHoursFiling).filter_by(
        organisation_id=org_id, status="submitted")).scalars().all()
    for old in pending:  # a newer filing replaces one still waiting
        old.status = "superseded"
    filing = OpeningHoursFiling(organisation_id=org_id, weekdays="".join(sorted(set(weekdays))), opens=opens,
                                closes=closes, effective_from=effective_from, submitted_by_id=actor.id)
    db.session.add(filing)
    db.session.flush()
    log_change(actor, filing, "billing.opening_hours_filed",
               after={"weekdays": filing.weekdays, "opens": f"{opens:%H:%M}", "closes": f"{closes:%H:%M}",
                      "effective_from": effective_from})
    return filing


def decide_opening_hours(actor, filing: OpeningHoursFiling, *, accept: bool, note: str = "",
                         seen_version=None) -> OpeningHoursFiling:
    _require_bureau(actor)
    filing = _for_update(OpeningHoursFiling, filing.id)
    if filing.status != "submitted":
        raise TransitionNotAllowed(_decided_message(filing, "報備"))
    _check_version(filing, seen_version)
    if not accept and not (note or "").strip():
        raise Refused("退回時請填寫原因。", field="note")
    if accept:
        for old in db.session.execute(db.select(OpeningHoursFiling).filter_by(
                organisation_id=filing.organisation_id, status="filed")).scalars():
            if old.effective_from <= filing.effective_from:
                old.status = "superseded"
    filing.status = "filed" if accept else "rejected"
    filing.decided_by_id, filing.decided_at, filing.decision_note = actor.id, clock.utcnow(), note or None
    db.session.flush()
    log_change(actor, filing, "billing.opening_hours_" + ("accepted" if accept else "rejected"),
               before={"status": "submitted"}, after={"status": filing.status, "note": note})
    return filing


def opening_hours_on(org_id: int, day: date) -> OpeningHoursFiling | None:
    """Return the filed opening hours in effect on `day` (the newest filed one that has started)."""
    return db.session.execute(
        db.select(OpeningHoursFiling)
        .where(OpeningHoursFiling.organisation_id == org_id, OpeningHoursFiling.status.in_(("filed", "superseded")),
               OpeningHoursFiling.effective_from <= day, OpeningHoursFiling.decided_at.is_not(None))
        .order_by(OpeningHoursFiling.effective_from.desc(), OpeningHoursFiling.decided_at.desc()).limit(1)
    ).scalar_one_or_none()


def opening_rule(filing: OpeningHoursFiling | None) -> rules.OpeningHours | None:
    if filing is None:
        return None
    return rules.OpeningHours(frozenset(int(d) for d in filing.weekdays), filing.opens, filing.closes)


# --- admissions ------------------------------------------------------------------------------------

ADMISSION_FIELDS = ("admitted_on", "carer_relation", "monthly_quota", "welfare_status", "cms_level",
                    "institutional_placement", "foreign_caregiver", "special_allowance", "service_contract_on",
                    "identity_checked_on", "health_check_on", "health_check_items")
FACT_LOCKED_FIELDS = ("admitted_on", "carer_relation", "monthly_quota", "welfare_status", "cms_level",
                      "institutional_placement", "foreign_caregiver", "special_allowance")


def home_client_ids(org_id: int):
    """SQL select of the clients the home may serve: an active B-unit ClientAccess link (dispatch)."""
    return db.select(ClientAccess.client_id).where(
        ClientAccess.organisation_id == org_id, ClientAccess.relation == "b_unit", ClientAccess.ended_at.is_(None))


def active_admission(org_id: int, client_id: int) -> CareAdmission | None:
    return db.session.execute(db.select(CareAdmission).filter_by(
        organisation_id=org_id, client_id=client_id, ended_on=None)).scalar_one_or_none()


def admission_check(client: Client, data: dict, day: date) -> tuple[rules.Eligibility, tuple[bool, str]]:
    """Return the eligibility result and the carer-family result the admission screen shows (§4, Q12)."""
    facts = rules.ClientFacts(
        birth_date=client.birth_date, indigenous=client.indigenous,
        disability_certificate=client.disability_certificate,
        dementia_diagnosed_on=client.dementia_diagnosed_on if client.dementia_diagnosed else None,
        cms_level=data.get("cms_level"), welfare_status=data.get("welfare_status") or "general",
        institutional_placement=bool(data.get("institutional_placement")),
        foreign_caregiver=bool(data.get("foreign_caregiver")), special_allowance=data.get("special_allowance") or None)
    result = rules.eligibility(facts, day, billing_settings.eligibility_policy())
    family = rules.carer_family_exclusion(data.get("carer_relation") or "none", billing_settings.excluded_relations())
    return result, family


def _summary_text(result, family) -> str:
    text = result.summary
    if family[0]:
        text += "。" + family[1]
    return text


def admit_client(actor, org_id: int, client: Client, data: dict) -> CareAdmission:
    """Admit a client the home was dispatched (收托): eligibility is checked and shown, never silently."""
    _require_home(actor, org_id)
    linked = db.session.execute(home_client_ids(org_id).where(ClientAccess.client_id == client.id)).first()
    if not linked:
        raise Refused("此個案尚未派案至本單位，無法收托。", field="client_id")
    if active_admission(org_id, client.id) is not None:
        raise Refused("此個案已在本單位收托中。", field="client_id")
    result, family = admission_check(client, data, data["admitted_on"])
    admission = CareAdmission(organisation_id=org_id, client_id=client.id, created_by_id=actor.id)
    for field in ADMISSION_FIELDS:
        if field in data:
            setattr(admission, field, data[field])
    admission.health_check_items = list(data.get("health_check_items") or [])
    admission.eligibility_summary = _summary_text(result, family)
    admission.eligible_at_admission = result.paid and not family[0]
    db.session.add(admission)
    db.session.flush()
    log_change(actor, admission, "billing.admitted", after={**snapshot(admission, ADMISSION_FIELDS),
                                                            "client_id": client.id,
                                                            "eligibility": admission.eligibility_summary})
    return admission


def has_records(admission: CareAdmission) -> bool:
    return db.session.execute(db.select(ServiceDay.id).filter_by(admission_id=admission.id).limit(1)).first() is not None


def update_admission(actor, admission: CareAdmission, data: dict, *, seen_version) -> CareAdmission:
    """Edit an admission. Once records exist, the subsidy facts change only through a dated subsidy change (§7)."""
    _require_home(actor, admission.organisation_id)
    _check_version(admission, seen_version)
    if admission.ended_on is not None:
        raise TransitionNotAllowed("此收托已結束，不能再修改。")
    locked = has_records(admission)
    before = snapshot(admission, ADMISSION_FIELDS)
    for field in ADMISSION_FIELDS:
        if field not in data:
            continue
        if locked and field in FACT_LOCKED_FIELDS and jsonable(data[field]) != before[field]:
            raise Refused("已有服務紀錄：福利身分、失能等級、額度及排除條件請以「補助條件異動」登錄，並填寫事實發生日。",
                          field=field)
        setattr(admission, field, data[field])
    if not locked:
        result, family = admission_check(admission.client, data | {"admitted_on": admission.admitted_on},
                                         admission.admitted_on)
        admission.eligibility_summary = _summary_text(result, family)
        admission.eligible_at_admission = result.paid and not family[0]
    db.session.flush()
    log_change(actor, admission, "billing.admission_updated", before=before, after=snapshot(admission, ADMISSION_FIELDS))
    return admission


def end_admission(actor, admission: CareAdmission, *, ended_on: date, reason: str, seen_version=None):
    _require_home(actor, admission.organisation_id)
    _check_version(admission, seen_version)
    if admission.ended_on is not None:
        raise TransitionNotAllowed("此收托已結束。")
    if ended_on < admission.admitted_on:
        raise Refused("結束日不能早於收托日。", field="ended_on")
    last = db.session.execute(db.select(func.max(ServiceDay.day)).filter_by(
        admission_id=admission.id, attended=True)).scalar()
    if last is not None and ended_on < last:
        raise Refused(f"最後服務日為 {rules._roc(last)}，結束日不能早於該日。", field="ended_on")
    admission.ended_on, admission.end_reason = ended_on, reason.strip()
    db.session.flush()
    log_change(actor, admission, "billing.admission_ended", after={"ended_on": ended_on, "reason": reason})
    return admission


def _coerce_change_value(field, value):
    if field == "welfare_status":
        if value not in ("general", "mid_low", "low"):
            raise Refused("請選擇福利身分別。", field="value")
        return value
    if field in ("cms_level", "monthly_quota"):
        if value in (None, ""):
            if field == "cms_level":
                raise Refused("請輸入失能等級。", field="value")
            return None
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise Refused("請輸入數字。", field="value") from None
        if field == "cms_level" and not 1 <= number <= 8:
            raise Refused("失能等級為第 1 至 8 級。", field="value")
        if number < 0:
            raise Refused("金額不能為負數。", field="value")
        return number
    if field in ("institutional_placement", "foreign_caregiver"):
        return value in (True, "1", "true", "yes", "y", "on")
    if field == "special_allowance":
        return (value or "").strip() or None
    raise Refused("請選擇異動項目。", field="field")


def record_subsidy_change(actor, admission: CareAdmission, *, field: str, value, fact_date: date,
                          notified_on: date | None, evidence: str, today: date | None = None) -> SubsidyChange:
    """Record a change of subsidy conditions, effective from the fact date, and compute what was
    over- or under-paid for declared months (§九(二), §7, Q13, WE-21)."""
    if not (can_edit_home(actor, admission.organisation_id) or actor.role in BUREAU_DECIDERS):
        raise TransitionNotAllowed("只有本單位人員或衛生局承辦人可以登錄補助條件異動。")
    today = today or clock.today()
    if fact_date < admission.admitted_on:
        raise Refused("事實發生日不能早於收托日。", field="fact_date")
    if fact_date > today + timedelta(days=62):
        raise Refused("事實發生日過遠，請確認。", field="fact_date")
    change = SubsidyChange(organisation_id=admission.organisation_id, admission=admission, field=field,
                           value=_coerce_change_value(field, value), fact_date=fact_date, notified_on=notified_on,
                           evidence=(evidence or "").strip(), recorded_by_id=actor.id)
    db.session.add(change)
    db.session.flush()
    difference = pricing.client_difference(admission, fact_date, rules.month_start(today))
    change.overpaid, change.underpaid = difference.overpaid, difference.underpaid
    db.session.flush()
    log_change(actor, change, "billing.subsidy_change",
               after={"admission_id": admission.id, "field": field, "value": change.value, "fact_date": fact_date,
                      "notified_on": notified_on, "overpaid": change.overpaid, "underpaid": change.underpaid})
    return change


def cancel_subsidy_change(actor, change: SubsidyChange, *, reason: str):
    if not (can_edit_home(actor, change.organisation_id) or actor.role in BUREAU_DECIDERS):
        raise TransitionNotAllowed("沒有權限撤銷此異動。")
    if change.cancelled_at is not None:
        raise TransitionNotAllowed("此異動已撤銷。")
    if not (reason or "").strip():
        raise Refused("請填寫撤銷原因。", field="reason")
    if len(reason.strip()) > 200:
        raise Refused("撤銷原因最多 200 字。", field="reason")
    change.cancelled_at, change.cancel_reason = clock.utcnow(), reason.strip()
    db.session.flush()
    log_change(actor, change, "billing.subsidy_change_cancelled", after={"reason": reason})
    return change


# --- daily records -------------------------------------------------------------------------------

RECORD_FIELDS = ("attended", "kind", "start_time", "end_time", "bath", "dinner", "over_norm_reason", "content",
                 "incident")


def record_snapshot(record: ServiceDay | None) -> dict | None:
    if record is None:
        return None
    data = snapshot(record, RECORD_FIELDS)
    for key in ("start_time", "end_time"):
        data[key] = getattr(record, key).strftime("%H:%M")
    return data


def _normalise(data: dict) -> dict:
    out = {
        "attended": bool(data.get("attended")),
        "kind": data.get("kind") or "full_day",
        "start_time": data.get("start_time"),
        "end_time": data.get("end_time"),
        "bath": bool(data.get("bath")),
        "dinner": bool(data.get("dinner")),
        "over_norm_reason": (data.get("over_norm_reason") or "").strip() or None,
        "content": (data.get("content") or "").strip() or None,
        "incident": (data.get("incident") or "").strip() or None,
    }
    if out["kind"] not in ("full_day", "half_day"):
        raise Refused("請選擇全日或半日。", field="kind")
    return out


def _same(record: ServiceDay, data: dict) -> bool:
    current = record_snapshot(record)
    wanted = {**data, "start_time": data["start_time"].strftime("%H:%M") if data["start_time"] else None,
              "end_time": data["end_time"].strftime("%H:%M") if data["end_time"] else None}
    if not data["attended"] and not record.attended:
        return True
    return all(current[k] == wanted[k] for k in RECORD_FIELDS)


def month_declaration(org_id: int, day: date) -> Declaration | None:
    return db.session.execute(db.select(Declaration).filter_by(
        organisation_id=org_id, service_month=rules.month_start(day))).scalar_one_or_none()


def edit_block(org_id: int, day: date, today: date) -> str | None:
    """Return why records of `day` cannot be changed directly now, or None (lock, declaration)."""
    if day > today:
        return "不能登打未來日期之服務紀錄。"
    if rules.records_locked(day, today):
        return (f"{day.year - 1911}年{day.month}月之服務紀錄已於{rules._roc(rules.last_editable_day(day))}鎖定，"
                "如需修改請提出更正申請，經衛生局核准後更正。")
    declaration = month_declaration(org_id, day)
    if declaration is not None and declaration.status not in ("draft", "returned"):
        return f"本月服務費用已申報（{declaration.status_label}），紀錄不能再修改；如需修改請先撤回申報。"
    return None


def _check_limits(admission: CareAdmission, day: date, data: dict, record: ServiceDay | None) -> rules.EntryCheck:
    org_id = admission.organisation_id
    other = db.session.execute(db.select(func.count(ServiceDay.id)).where(
        ServiceDay.organisation_id == org_id, ServiceDay.day == day, ServiceDay.attended.is_(True),
        ServiceDay.client_id != admission.client_id)).scalar_one()
    home_day = db.session.execute(db.select(HomeDay).filter_by(organisation_id=org_id, day=day)).scalar_one_or_none()
    monday, sunday = rules.week_bounds(day)
    in_week = db.session.execute(db.select(func.count(ServiceDay.id)).where(
        ServiceDay.organisation_id == org_id, ServiceDay.client_id == admission.client_id,
        ServiceDay.attended.is_(True), ServiceDay.day >= monday, ServiceDay.day <= sunday,
        ServiceDay.day != day)).scalar_one()
    return rules.check_entry(
        day=day, start=data["start_time"], end=data["end_time"], other_persons=other,
        family_count=home_day.family_count if home_day else 0, days_in_week=in_week + 1,
        over_norm_reason=data["over_norm_reason"] or "", opening=opening_rule(opening_hours_on(org_id, day)),
        carer_family=(admission.carer_relation or "none") != "none", limits=billing_settings.day_limits())


def _first_service_problems(admission: CareAdmission) -> list[tuple[str, str]]:
    problems = []
    if admission.identity_checked_on is None:
        problems.append(("attended", "首次服務前須核對個案身分證明文件（seed 003 §十(二)3），請先於收托資料登錄核對日期。"))
    items = set(admission.health_check_items or [])
    missing = [label for key, label in rules.CLIENT_HEALTH_CHECK_ITEMS if key not in items]
    if admission.health_check_on is None or missing:
        problems.append(("attended", "入住前健康檢查尚未完成（seed 003 §十四(三)），請先於收托資料登錄檢查日期及項目。"))
    return problems


def _apply_record(actor, admission, day, data, record, *, reason, correction_id=None, now) -> ServiceDay:
    if record is None:
        record = ServiceDay(organisation_id=admission.organisation_id, admission_id=admission.id,
                            client_id=admission.client_id, day=day, created_by_id=actor.id,
                            late_entry=now.astimezone(clock.TAIPEI).date() > day)
        db.session.add(record)
    before = record_snapshot(record) if record.id else None
    for field in RECORD_FIELDS:
        setattr(record, field, data[field])
    record.updated_by_id, record.updated_at = actor.id, clock.utcnow()
    db.session.flush()
    number = len(record.revisions) + 1
    db.session.add(ServiceDayRevision(service_day_id=record.id, number=number, data=record_snapshot(record),
                                      reason=reason, correction_id=correction_id, changed_by_id=actor.id))
    db.session.flush()
    log_change(actor, record, "billing.record_saved" if correction_id is None else "billing.record_corrected",
               before=before, after=record_snapshot(record), note=reason)
    return record


def save_day_record(actor, admission: CareAdmission, day: date, raw: dict, *, seen_version=None,
                    now: datetime | None = None) -> tuple[ServiceDay | None, list[str]]:
    """Save one client's record for one day from the day sheet; return (record, notes).

    Refuses with the reason what breaks the home's limits (R-CAPF-01..03, Q17), what the lock or a
    submitted declaration freezes, and a first service before the identity and health checks.
    """
    _require_home(actor, admission.organisation_id)
    now = now or clock.now()
    today = now.astimezone(clock.TAIPEI).date()
    if not admission.active_on(day):
        raise Refused("此日不在個案收托期間內。", field="attended")
    block = edit_block(admission.organisation_id, day, today)
    if block:
        raise Refused(block, field="attended")
    data = _normalise(raw)
    record = db.session.execute(db.select(ServiceDay).filter_by(
        organisation_id=admission.organisation_id, client_id=admission.client_id, day=day)).scalar_one_or_none()
    if record is not None and _same(record, data | {"start_time": data["start_time"] or record.start_time,
                                                     "end_time": data["end_time"] or record.end_time}):
        return record, []                         # a repeated submit: nothing to do
    if record is not None and seen_version not in (None, "") and int(seen_version) != record.version:
        raise StaleEdit("這位個案本日的紀錄已被其他人更新，請重新載入後再修改。")
    if record is None and seen_version not in (None, ""):
        raise StaleEdit()
    if not data["attended"]:
        if record is None or not record.attended:
            return record, []
        keep = {**data, "start_time": record.start_time, "end_time": record.end_time, "kind": record.kind}
        return _apply_record(actor, admission, day, keep, record, reason=raw.get("reason") or "取消出席", now=now), []
    if data["start_time"] is None or data["end_time"] is None:
        raise Refused("請填寫到達及離開時間。", field="start_time")
    if record is None or not record.attended:
        first = db.session.execute(db.select(ServiceDay.id).filter_by(
            admission_id=admission.id, attended=True).limit(1)).first() is None
        if first:
            problems = _first_service_problems(admission)
            if problems:
                raise Refused(problems[0][1], field=problems[0][0])
    check = _check_limits(admission, day, data, record)
    if not check.ok:
        field, message = check.refusals[0]
        raise Refused("；".join(m for _, m in check.refusals), field=field)
    saved = _apply_record(actor, admission, day, data, record, reason=raw.get("reason"), now=now)
    return saved, check.notes


def set_family_count(actor, org_id: int, day: date, count: int, *, note: str = "", seen_version=None,
                     now: datetime | None = None) -> HomeDay:
    """Record how many of the carer's disabled family members (not clients) were cared for on `day`."""
    _require_home(actor, org_id)
    now = now or clock.now()
    block = edit_block(org_id, day, now.astimezone(clock.TAIPEI).date())
    if block:
        raise Refused(block, field="family_count")
    if not 0 <= count <= rules.MAX_PERSONS_PER_DAY:
        raise Refused("人數須介於 0 至 4 人。", field="family_count")
    clients = db.session.execute(db.select(func.count(ServiceDay.id)).where(
        ServiceDay.organisation_id == org_id, ServiceDay.day == day, ServiceDay.attended.is_(True))).scalar_one()
    if clients + count > rules.MAX_PERSONS_PER_DAY:
        raise Refused(f"本日已收托 {clients} 位個案，加上家托員失能家屬 {count} 人將超過每日 4 人上限。",
                      field="family_count")
    row = db.session.execute(db.select(HomeDay).filter_by(organisation_id=org_id, day=day)).scalar_one_or_none()
    before = None
    if row is None:
        row = HomeDay(organisation_id=org_id, day=day)
        db.session.add(row)
    else:
        if row.family_count == count and (row.note or "") == (note or ""):
            return row
        _check_version(row, seen_version)
        before = {"family_count": row.family_count, "note": row.note}
    row.family_count, row.note, row.updated_by_id = count, (note or "").strip() or None, actor.id
    db.session.flush()
    log_change(actor, row, "billing.family_count", before=before, after={"day": day, "family_count": count})
    return row


# --- corrections after the lock --------------------------------------------------------------------

def request_correction(actor, admission: CareAdmission, day: date, raw: dict, *, reason: str,
                       submission_key: str | None = None, now: datetime | None = None) -> CorrectionRequest:
    """Ask the bureau to change a locked record; nothing changes until it is approved (§9 R-REC-01)."""
    _require_home(actor, admission.organisation_id)
    now = now or clock.now()
    existing = by_submission_key(CorrectionRequest, submission_key)
    if existing is not None:
        return existing
    if not rules.records_locked(day, now.astimezone(clock.TAIPEI).date()):
        raise Refused("此月份紀錄尚未鎖定，請直接於每日紀錄修改。", field="reason")
    if not admission.active_on(day):
        raise Refused("此日不在個案收托期間內。", field="attended")
    if not (reason or "").strip():
        raise Refused("請說明更正原因。", field="reason")
    pending = db.session.execute(db.select(CorrectionRequest).filter_by(
        organisation_id=admission.organisation_id, client_id=admission.client_id, day=day,
        status="submitted")).scalar_one_or_none()
    if pending is not None:
        raise Refused("這一天已有待審核的更正申請，請等候衛生局審核或先撤回。", field="reason")
    data = _normalise(raw)
    if data["attended"] and (data["start_time"] is None or data["end_time"] is None):
        raise Refused("請填寫到達及離開時間。", field="start_time")
    record = db.session.execute(db.select(ServiceDay).filter_by(
        organisation_id=admission.organisation_id, client_id=admission.client_id, day=day)).scalar_one_or_none()
    proposed = jsonable({**data, "start_time": data["start_time"].strftime("%H:%M") if data["start_time"] else None,
                         "end_time": data["end_time"].strftime("%H:%M") if data["end_time"] else None})
    previous = record_snapshot(record)
    if previous is not None and all(previous.get(k) == proposed.get(k) for k in RECORD_FIELDS):
        raise Refused("更正內容與原紀錄相同。", field="reason")
    correction = CorrectionRequest(organisation_id=admission.organisation_id, admission_id=admission.id,
                                   client_id=admission.client_id, day=day, proposed=proposed, previous=previous,
                                   reason=reason.strip(), requested_by_id=actor.id, submission_key=submission_key)
    db.session.add(correction)
    db.session.flush()
    log_change(actor, correction, "billing.correction_requested",
               before=previous, after={"proposed": proposed, "reason": reason})
    return correction


def _parse_hhmm(text):
    if not text:
        return None
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def decide_correction(actor, correction: CorrectionRequest, *, approve: bool, note: str = "", seen_version=None,
                      now: datetime | None = None) -> CorrectionRequest:
    """Approve (apply, logged with a revision) or reject a correction of a locked record."""
    _require_bureau(actor)
    now = now or clock.now()
    correction = _for_update(CorrectionRequest, correction.id)
    if correction.status != "submitted":
        raise TransitionNotAllowed(_decided_message(correction, "更正申請"))
    _check_version(correction, seen_version)
    if not approve and not (note or "").strip():
        raise Refused("不核准時請填寫原因。", field="note")
    if approve:
        data = _normalise(correction.proposed)  # every record field, even from an older, shorter proposal
        data["start_time"], data["end_time"] = _parse_hhmm(data.get("start_time")), _parse_hhmm(data.get("end_time"))
        admission = correction.admission
        record = db.session.execute(db.select(ServiceDay).filter_by(
            organisation_id=correction.organisation_id, client_id=correction.client_id,
            day=correction.day)).scalar_one_or_none()
        if data["attended"]:
            check = _check_limits(admission, correction.day, data, record)
            if not check.ok:
                raise Refused("更正後的紀錄不符規定：" + "；".join(m for _, m in check.refusals), field="note")
        elif record is None:
            data = None
        if data is not None:
            if not data["attended"]:
                data = {**data, "start_time": record.start_time, "end_time": record.end_time, "kind": record.kind}
            _apply_record(actor, admission, correction.day, data, record, correction_id=correction.id,
                          reason=f"經衛生局核准更正（更正申請 #{correction.id}）：{correction.reason}", now=now)
    correction.status = "approved" if approve else "rejected"
    correction.decided_by_id, correction.decided_at, correction.decision_note = actor.id, clock.utcnow(), note or None
    db.session.flush()
    log_change(actor, correction, "billing.correction_" + correction.status,
               before={"status": "submitted"}, after={"status": correction.status, "note": note})
    return correction


def withdraw_correction(actor, correction: CorrectionRequest, *, seen_version=None):
    _require_home(actor, correction.organisation_id)
    correction = _for_update(CorrectionRequest, correction.id)
    if correction.status != "submitted":
        raise TransitionNotAllowed(f"此更正申請已{correction.status_label}，不能撤回。")
    _check_version(correction, seen_version)
    correction.status = "withdrawn"
    db.session.flush()
    log_change(actor, correction, "billing.correction_withdrawn", before={"status": "submitted"},
               after={"status": "withdrawn"})
    return correction


# --- declarations ------------------------------------------------------------------------------------

def _store_version(actor, declaration: Declaration, lines, now) -> DeclarationVersion:
    by_month = pricing.totals_by_month(lines)
    options = pricing.month_options(declaration.organisation_id, declaration.service_month)
    totals = by_month.pop(None).as_dict() | {"options": options.as_dict()}
    months = [{"month": m.isoformat(), **t.as_dict()} for m, t in by_month.items()]
    declaration.version_no += 1
    version = DeclarationVersion(declaration=declaration, number=declaration.version_no, totals=totals,
                                 months=months, submitted_by_id=actor.id, submitted_at=clock.utcnow())
    db.session.add(version)
    for line in lines:
        db.session.add(DeclarationLine(
            declaration_id=declaration.id, version_no=declaration.version_no, service_month=line.service_month,
            client_id=line.client_id, code=line.code, item=line.item, label=line.label, row=line.row,
            welfare_status=line.welfare_status, ratio_text=line.ratio_text, price=line.price, units=line.units,
            amount=line.amount, copay=line.copay, self_pay=line.self_pay, days=list(line.days),
            adjustment=line.adjustment))
    declaration.totals = totals
    return version


def submit_declaration(actor, org_id: int, month: date, *, now: datetime | None = None, cal=None) -> Declaration:
    """Declare a finished month (申報, due the 5th of M+1 rolled, Q02): the figures are frozen as a version."""
    _require_head(actor, org_id)
    now = now or clock.now()
    today = now.astimezone(clock.TAIPEI).date()
    month = rules.month_start(month)
    if today < rules.next_month(month):
        raise Refused("服務月份尚未結束，月底後才能申報。")
    declaration = db.session.execute(db.select(Declaration).filter_by(
        organisation_id=org_id, service_month=month).with_for_update()).scalar_one_or_none()
    if declaration is None:
        declaration = Declaration(organisation_id=org_id, service_month=month, status="draft")
        db.session.add(declaration)
        db.session.flush()
    elif declaration.status != "draft":
        raise TransitionNotAllowed(f"本月已申報（{declaration.status_label}），不會重複送出。")
    lines = pricing.declaration_lines(org_id, month, declaration_id=declaration.id)
    if not lines:
        raise Refused("本月沒有可申報的服務紀錄。")
    declaration.status = "submitted"
    _store_version(actor, declaration, lines, now)
    declaration.submitted_at, declaration.submitted_by_id = clock.utcnow(), actor.id
    declaration.late_declaration = today > rules.declaration_due(month, cal=cal)
    db.session.flush()
    log_change(actor, declaration, "billing.declaration_submitted",
               after={"service_month": month, "version": declaration.version_no, "total": declaration.totals["total"],
                      "late": declaration.late_declaration})
    return declaration


def withdraw_declaration(actor, declaration: Declaration, *, seen_version=None) -> Declaration:
    """Take back a declaration the bureau has not received yet, to change records before the lock."""
    _require_head(actor, declaration.organisation_id)
    declaration = _for_update(Declaration, declaration.id)
    if declaration.status != "submitted":
        raise TransitionNotAllowed(f"申報已{declaration.status_label}，不能撤回。")
    _check_version(declaration, seen_version)
    declaration.status = "draft"
    if declaration.versions:
        current = declaration.versions[-1]
        current.outcome, current.outcome_at, current.outcome_by_id = "withdrawn", clock.utcnow(), actor.id
    db.session.flush()
    log_change(actor, declaration, "billing.declaration_withdrawn", before={"status": "submitted"},
               after={"status": "draft"})
    return declaration


def profile_problems(org_id: int) -> list[str]:
    profile = db.session.execute(db.select(BillingProfile).filter_by(organisation_id=org_id)).scalar_one_or_none()
    missing = []
    if profile is None or not profile.tax_id:
        missing.append("統一編號")
    if profile is None or not profile.bank_name:
        missing.append("匯款銀行")
    if profile is None or not profile.bank_account:
        missing.append("存簿帳號")
    return missing


def request_payment(actor, declaration: Declaration, *, receipt_date: date, seen_version=None,
                    now: datetime | None = None, cal=None) -> Declaration:
    """Send the receipt (附件1) and summary (附件2) to the bureau (請款, due the 10th rolled).

    From 「已申報」 the figures stay as declared; from 「退回補正」 they are recomputed from the
    records and the corrections since, and kept as a new version (the earlier one stays in history).
    """
    _require_head(actor, declaration.organisation_id)
    now = now or clock.now()
    today = now.astimezone(clock.TAIPEI).date()
    declaration = _for_update(Declaration, declaration.id)
    if declaration.status not in ("submitted", "returned"):
        raise TransitionNotAllowed(f"申報目前為「{declaration.status_label}」，不能函送請款。")
    _check_version(declaration, seen_version)
    missing = profile_problems(declaration.organisation_id)
    if missing:
        raise Refused("領款收據需要單位的" + "、".join(missing) + "，請先至「請款資料」填寫。", field="receipt_date")
    if receipt_date > today:
        raise Refused("收據日期不能晚於今天。", field="receipt_date")
    before = declaration.status
    if declaration.status == "returned":
        lines = pricing.declaration_lines(declaration.organisation_id, declaration.service_month,
                                          declaration_id=declaration.id)
        if not lines:
            raise Refused("重新計算後沒有可申報的金額。")
        _store_version(actor, declaration, lines, now)
        declaration.return_reason = None
    declaration.status = "requested"
    declaration.receipt_date = receipt_date
    declaration.requested_at, declaration.requested_by_id = clock.utcnow(), actor.id
    declaration.late_request = today > rules.request_due(declaration.service_month, cal=cal)
    declaration.decided_by_id = declaration.decided_at = None
    db.session.flush()
    log_change(actor, declaration, "billing.payment_requested", before={"status": before},
               after={"status": "requested", "version": declaration.version_no, "receipt_date": receipt_date,
                      "total": declaration.totals["total"], "late": declaration.late_request})
    return declaration


def return_declaration(actor, declaration: Declaration, *, reason: str, seen_version=None) -> Declaration:
    """Return a declaration with the reason (退回補正); the unit fixes and resubmits."""
    _require_bureau(actor)
    declaration = _for_update(Declaration, declaration.id)
    if declaration.status not in ("submitted", "requested"):
        raise TransitionNotAllowed(_decided_message(declaration, "申報"))
    _check_version(declaration, seen_version)
    if not (reason or "").strip():
        raise Refused("退回時請填寫原因。", field="reason")
    before = declaration.status
    declaration.status, declaration.return_reason = "returned", reason.strip()
    declaration.decided_by_id, declaration.decided_at = actor.id, clock.utcnow()
    current = declaration.versions[-1]
    current.outcome, current.outcome_note, current.outcome_by_id, current.outcome_at = \
        "returned", reason.strip(), actor.id, clock.utcnow()
    db.session.flush()
    log_change(actor, declaration, "billing.declaration_returned", before={"status": before},
               after={"status": "returned", "reason": reason})
    return declaration


def approve_declaration(actor, declaration: Declaration, *, amount: int, note: str = "",
                        seen_version=None) -> Declaration:
    """Approve a payment request and fix 撥付總額 (pre-filled with 合計, Q15)."""
    _require_bureau(actor)
    declaration = _for_update(Declaration, declaration.id)
    if declaration.status != "requested":
        raise TransitionNotAllowed(_decided_message(declaration, "申報"))
    _check_version(declaration, seen_version)
    if amount is None or amount < 0:
        raise Refused("請輸入撥付總額。", field="amount")
    total = declaration.totals["total"]
    if amount != total and not (note or "").strip():
        raise Refused(f"撥付總額與合計（{total:,} 元）不同，請說明原因。", field="note")
    declaration.status, declaration.approved_amount = "approved", amount
    declaration.decided_by_id, declaration.decided_at = actor.id, clock.utcnow()
    current = declaration.versions[-1]
    current.outcome, current.outcome_note, current.outcome_by_id, current.outcome_at = \
        "approved", (note or "").strip() or None, actor.id, clock.utcnow()
    db.session.flush()
    log_change(actor, declaration, "billing.declaration_approved", before={"status": "requested"},
               after={"status": "approved", "approved_amount": amount, "total": total, "note": note})
    return declaration


def record_payment(actor, declaration: Declaration, *, paid_on: date, seen_version=None) -> Declaration:
    _require_bureau(actor)
    declaration = _for_update(Declaration, declaration.id)
    if declaration.status != "approved":
        raise TransitionNotAllowed(f"申報目前為「{declaration.status_label}」，不能登錄撥付。")
    _check_version(declaration, seen_version)
    declaration.status, declaration.paid_on, declaration.paid_by_id = "paid", paid_on, actor.id
    db.session.flush()
    log_change(actor, declaration, "billing.declaration_paid", before={"status": "approved"},
               after={"status": "paid", "paid_on": paid_on})
    return declaration


# --- rate tables -------------------------------------------------------------------------------------

def add_price(actor, *, code: str, item: str, cms_level: int | None, label: str, price: int,
              effective_from: date, source: str) -> ServicePrice:
    """Add a dated price; the previous open row of the same code and level ends the day before."""
    _require_bureau(actor)
    if item not in pricing.ITEMS:
        raise Refused("請選擇服務項目。", field="item")
    if price < 0:
        raise Refused("價格不能為負數。", field="price")
    for old in db.session.execute(db.select(ServicePrice).filter_by(code=code, item=item, cms_level=cms_level,
                                                                    effective_to=None)).scalars():
        if old.effective_from >= effective_from:
            raise Refused("已有同一代碼相同或較晚生效日的價格；請改用較晚的生效日。", field="effective_from")
        old.effective_to = effective_from - timedelta(days=1)
    row = ServicePrice(code=code.strip().upper(), item=item, cms_level=cms_level, label=label.strip(), price=price,
                       effective_from=effective_from, source=source.strip(), created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    log_change(actor, row, "billing.price_added",
               after=snapshot(row, ("code", "item", "cms_level", "label", "price", "effective_from", "source")))
    return row


def add_ratio(actor, *, welfare_status: str, ratio: str, effective_from: date, source: str) -> CopayRatio:
    _require_bureau(actor)
    try:
        value = rules.as_ratio(ratio)
    except Exception:
        raise Refused("比率請輸入 0 至 1 之間的小數，例如 0.16。", field="ratio") from None
    for old in db.session.execute(db.select(CopayRatio).filter_by(welfare_status=welfare_status,
                                                                  effective_to=None)).scalars():
        if old.effective_from >= effective_from:
            raise Refused("已有相同或較晚生效日的比率；請改用較晚的生效日。", field="effective_from")
        old.effective_to = effective_from - timedelta(days=1)
    row = CopayRatio(welfare_status=welfare_status, ratio_text=str(value), effective_from=effective_from,
                     source=source.strip(), created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    log_change(actor, row, "billing.ratio_added",
               after=snapshot(row, ("welfare_status", "ratio_text", "effective_from", "source")))
    return row


# --- carer compliance --------------------------------------------------------------------------------

CARER_FIELDS = ("name", "role", "phone", "registration_no", "started_on", "ended_on")


def save_carer(actor, org_id: int, carer: Carer | None, data: dict, *, seen_version=None) -> Carer:
    _require_home(actor, org_id)
    before = None
    if carer is None:
        carer = Carer(organisation_id=org_id)
        db.session.add(carer)
    else:
        _check_version(carer, seen_version)
        before = snapshot(carer, CARER_FIELDS)
    for field in CARER_FIELDS:
        if field in data:
            setattr(carer, field, data[field])
    db.session.flush()
    log_change(actor, carer, "billing.carer_saved", before=before, after=snapshot(carer, CARER_FIELDS))
    return carer


def record_health_check(actor, carer: Carer, *, checked_on: date, items: dict, finding_route: str | None,
                        finding_note: str, clearance_on: date | None) -> HealthCheck:
    _require_home(actor, carer.organisation_id)
    if finding_route not in (None, "", "contact", "blood"):
        raise Refused("請選擇傳染途徑。", field="finding_route")
    row = HealthCheck(carer=carer, checked_on=checked_on, items=items, finding_route=finding_route or None,
                      finding_note=(finding_note or "").strip() or None, clearance_on=clearance_on,
                      recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    log_change(actor, row, "billing.health_check",
               after={"carer_id": carer.id, "checked_on": checked_on, "items": items, "route": finding_route})
    return row


def record_certificate(actor, carer: Carer, *, kind: str, number: str, issued_on: date | None,
                       expires_on: date) -> CprCertificate:
    _require_home(actor, carer.organisation_id)
    if issued_on and expires_on < issued_on:
        raise Refused("到期日不能早於發證日。", field="expires_on")
    row = CprCertificate(carer=carer, kind=kind, number=(number or "").strip() or None, issued_on=issued_on,
                         expires_on=expires_on, recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    log_change(actor, row, "billing.certificate",
               after={"carer_id": carer.id, "kind": kind, "expires_on": expires_on})
    return row


def submit_staff_change(actor, org_id: int, *, kind: str, person_out: Carer | None, person_in_name: str,
                        person_in_role: str | None, effective_on: date, reason: str,
                        today: date | None = None) -> StaffChange:
    """File a personnel change ≥ 30 days before it takes effect (§十四(二)5, WE-26)."""
    _require_home(actor, org_id)
    today = today or clock.today()
    problem = rules.staff_change_problem(today, effective_on)
    if problem:
        raise Refused(problem, field="effective_on")
    if kind in ("remove", "replace") and person_out is None:
        raise Refused("請選擇異動之人員。", field="person_out_id")
    if kind in ("add", "replace") and not (person_in_name or "").strip():
        raise Refused("請填寫新任人員姓名。", field="person_in_name")
    if not (reason or "").strip():
        raise Refused("請說明異動原因。", field="reason")
    change = StaffChange(organisation_id=org_id, kind=kind, person_out=person_out,
                         person_in_name=(person_in_name or "").strip() or None, person_in_role=person_in_role,
                         effective_on=effective_on, reason=reason.strip(), submitted_on=today,
                         submitted_by_id=actor.id)
    db.session.add(change)
    db.session.flush()
    log_change(actor, change, "billing.staff_change_submitted",
               after=snapshot(change, ("kind", "person_out_id", "person_in_name", "effective_on", "reason")))
    return change


def decide_staff_change(actor, change: StaffChange, *, approve: bool, note: str = "",
                        seen_version=None) -> StaffChange:
    _require_bureau(actor)
    change = _for_update(StaffChange, change.id)
    if change.status != "submitted":
        raise TransitionNotAllowed(_decided_message(change, "人事異動"))
    _check_version(change, seen_version)
    if not approve and not (note or "").strip():
        raise Refused("不核准時請填寫原因。", field="note")
    change.status = "approved" if approve else "rejected"
    change.decided_by_id, change.decided_at, change.decision_note = actor.id, clock.utcnow(), note or None
    db.session.flush()
    log_change(actor, change, "billing.staff_change_" + change.status, before={"status": "submitted"},
               after={"status": change.status, "note": note})
    return change


def withdraw_staff_change(actor, change: StaffChange, *, seen_version=None) -> StaffChange:
    _require_home(actor, change.organisation_id)
    change = _for_update(StaffChange, change.id)
    if change.status != "submitted":
        raise TransitionNotAllowed(f"此異動已{change.status_label}，不能撤回。")
    _check_version(change, seen_version)
    change.status = "withdrawn"
    db.session.flush()
    log_change(actor, change, "billing.staff_change_withdrawn", before={"status": "submitted"},
               after={"status": "withdrawn"})
    return change
