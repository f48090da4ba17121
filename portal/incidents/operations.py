"""Every change to an incident or a mediation file: check the transition, apply, log, flush.

The view commits once. Spec: incidents.md §5–§8, decisions Q21.
"""
from portal import clock
from portal.auditlog.operations import jsonable, log_change, snapshot
from portal.auth import roles
from portal.clients.models import ClientAccess
from portal.errors import Refused, StaleEdit, TransitionNotAllowed
from portal.extensions import db
from portal.incidents import rules
from portal.incidents.models import (DisputeMediation, Incident, IncidentAttachment, IncidentHandling,
                                     IncidentNotification, IncidentReport, IncidentRoute)
from portal.orgs.models import Organisation
from portal.submissions import by_submission_key

# Who may do what (incidents.md §6, README §7).
REPORTER_ROLES = frozenset({roles.A_CASE_MANAGER, roles.A_UNIT_HEAD, roles.B_STAFF, roles.B_HEAD,
                            roles.CARE_MANAGER, roles.CARE_SUPERVISOR})
AUTHORITY_ROLES = frozenset({roles.BUREAU_OFFICER, roles.BUREAU_CHIEF, roles.CARE_MANAGER, roles.CARE_SUPERVISOR})
READER_ROLES = frozenset(roles.COUNTY_WIDE_ROLES | roles.A_ROLES | roles.B_ROLES)
DISPUTE_ROLES = frozenset({roles.BUREAU_OFFICER, roles.BUREAU_CHIEF, roles.CARE_MANAGER, roles.CARE_SUPERVISOR})
HANDLING_ROLE_ROWS = {roles.CARE_MANAGER: "care_manager", roles.CARE_SUPERVISOR: "care_supervisor",
                      roles.BUREAU_OFFICER: "bureau_officer", roles.BUREAU_CHIEF: "bureau_chief"}
# Which route a receiving authority's role confirms.
ROUTE_FOR_ROLE = {roles.CARE_MANAGER: "care_centre", roles.CARE_SUPERVISOR: "care_centre",
                  roles.BUREAU_OFFICER: "bureau", roles.BUREAU_CHIEF: "bureau"}

INCIDENT_FIELDS = (
    "period", "occurred_at", "learned_at", "place", "place_note", "severity", "provider_unit_name", "staff_types",
    "staff_other", "categories", "category_other_service", "category_other_anytime", "narrative",
    "no_intervention", "no_intervention_other", "interventions", "intervention_other", "suicide_reported_at",
    "dv_reported_at", "unit_caused", "improvement_plan", "reporter_title", "supervisor_name_title",
    "platform_recorded_at",
)
REPORT_FIELDS = ("change_known_at", "severity", "content", "no_intervention", "no_intervention_other",
                 "interventions", "intervention_other", "suicide_reported_at", "dv_reported_at", "improvement_plan",
                 "reporter_title", "supervisor_name_title")


# --- Permissions -------------------------------------------------------------------------

def is_reporting_unit(user, incident) -> bool:
    """The reporting unit's staff edit and extend their own reports (incidents.md §6)."""
    return user.role in REPORTER_ROLES and user.organisation_id == incident.reporting_org_id


def is_authority(user) -> bool:
    return user.role in AUTHORITY_ROLES


def client_a_unit_id(client_id):
    """Return the organisation holding the client's case (ClientAccess relation a_unit), or None."""
    return db.session.execute(db.select(ClientAccess.organisation_id).filter_by(
        client_id=client_id, relation="a_unit", ended_at=None).order_by(ClientAccess.started_at.desc())
    ).scalars().first()


def _bureau_org_id():
    return db.session.execute(db.select(Organisation.id).filter_by(kind=roles.BUREAU)
                              .order_by(Organisation.id)).scalars().first()


def _lock(obj):
    """Re-read `obj` with a row lock (PostgreSQL; SQLite serialises writes anyway)."""
    db.session.refresh(obj, with_for_update=True)
    return obj


def _check_version(obj, seen_version):
    if seen_version is not None and str(seen_version) != str(obj.version):
        raise StaleEdit()


def _transition(incident, event):
    to = rules.next_status(incident.status, event)
    if to is None:
        raise TransitionNotAllowed(_not_allowed_message(incident, event))
    return to


def _not_allowed_message(incident, event):
    status = incident.status_label
    messages = {
        "submit_initial": f"此事件目前為「{status}」，通報單已遞交或不能再遞交。",
        "record_platform": f"此事件目前為「{status}」，不能再登錄為平台異動紀錄。",
        "submit_followup": f"此事件目前為「{status}」，不能再送出續報。",
        "submit_closing": f"此事件目前為「{status}」，不能再送出結報。",
        "close": f"此事件目前為「{status}」，需先有結報才能結案；若已結案，請重新整理頁面。",
        "reopen": f"此事件目前為「{status}」，沒有待審的結報可以退回。",
        "withdraw": f"此事件目前為「{status}」，已遞交的通報不能撤銷。",
        "receive": f"此事件目前為「{status}」。",
    }
    return messages.get(event, f"此事件目前為「{status}」，不能執行這個動作。")


# --- Creating and editing the draft (事件登錄) ---------------------------------------------

def create_incident(actor, client, data: dict, *, submission_key=None) -> Incident:
    """Record an event for one of the unit's clients; a retried submit returns the first record."""
    if actor.role not in REPORTER_ROLES:
        raise Refused("您的角色不能通報異常事件。")
    existing = by_submission_key(Incident, submission_key)
    if existing is not None:
        return existing
    incident = Incident(
        reporting_org_id=actor.organisation_id, created_by_id=actor.id, submission_key=submission_key or None,
        client_id=client.id, a_unit_id=client_a_unit_id(client.id),
        client_name=client.name, client_national_id=client.national_id, client_sex=client.sex,
        client_birth_date=client.birth_date, reporter_name=actor.full_name, status="recorded",
    )
    if not data.get("provider_unit_name"):
        data = {**data, "provider_unit_name": actor.organisation.name}
    for field in INCIDENT_FIELDS:
        if field in data:
            setattr(incident, field, data[field])
    db.session.add(incident)
    db.session.flush()
    log_change(actor, incident, "incident.create",
               after={**snapshot(incident, INCIDENT_FIELDS), "client_id": client.id,
                      "reporting_org_id": actor.organisation_id})
    return incident


def update_incident(actor, incident: Incident, data: dict, *, seen_version) -> Incident:
    """Save changes to a draft 通報單; refuse once submitted or when someone saved it meanwhile."""
    _lock(incident)
    if not is_reporting_unit(actor, incident):
        raise Refused("只有通報單位可以修改通報內容。")
    if not incident.is_draft:
        raise TransitionNotAllowed(f"此事件目前為「{incident.status_label}」，已遞交的通報單不能修改；"
                                   "狀況有變化請填寫續報。")
    _check_version(incident, seen_version)
    before = snapshot(incident, INCIDENT_FIELDS)
    for field in INCIDENT_FIELDS:
        if field in data:
            setattr(incident, field, data[field])
    db.session.flush()
    log_change(actor, incident, "incident.update", before=before, after=snapshot(incident, INCIDENT_FIELDS))
    return incident


def withdraw_incident(actor, incident: Incident, reason: str, *, seen_version=None) -> Incident:
    """Withdraw a draft recorded by mistake (wrong client, duplicate); it stays on file [interpretation]."""
    _lock(incident)
    if not is_reporting_unit(actor, incident):
        raise Refused("只有通報單位可以撤銷。")
    to = _transition(incident, "withdraw")
    _check_version(incident, seen_version)
    before = incident.status
    incident.status, incident.withdrawn_reason = to, reason.strip()
    db.session.flush()
    log_change(actor, incident, "incident.withdraw", before={"status": before},
               after={"status": to, "reason": incident.withdrawn_reason})
    return incident


# --- Advance notification (先行通報主管機關) -------------------------------------------------

def record_notification(actor, incident: Incident, *, notified_at, channel, channel_other, contacted,
                        notifier_name, note=None) -> IncidentNotification:
    """Record that the unit supervisor notified the responsible unit (§5.1; may be recorded late)."""
    _lock(incident)
    if not is_reporting_unit(actor, incident):
        raise Refused("只有通報單位可以登錄先行通報。")
    if incident.status in ("platform_only", "withdrawn", "closed"):
        raise TransitionNotAllowed(f"此事件目前為「{incident.status_label}」，不需再登錄先行通報。")
    if notified_at < incident.occurred_at:
        raise Refused("通報時間不能早於事件發生時間。", field="notified_date")
    duplicate = next((n for n in incident.notifications if n.notified_at == notified_at and n.contacted == contacted),
                     None)
    if duplicate is not None:  # the same call submitted twice
        return duplicate
    row = IncidentNotification(incident=incident, notified_at=notified_at, channel=channel,
                               channel_other=channel_other if channel == "other" else None,
                               contacted=contacted.strip(), notifier_name=notifier_name.strip(), note=note,
                               recorded_by_id=actor.id)
    db.session.add(row)
    before = incident.status
    if incident.status == "recorded" and rules.needs_notification(incident.severity):
        incident.status = _transition(incident, "notify")
    db.session.flush()
    log_change(actor, incident, "incident.notified", before={"status": before},
               after={"status": incident.status, "notified_at": notified_at, "channel": channel,
                      "contacted": row.contacted, "notifier_name": row.notifier_name})
    return row


# --- Reports: 初報, 續報, 結報 ---------------------------------------------------------------

def _report_snapshot(incident: Incident, report: IncidentReport) -> dict:
    """The whole 通報單 as submitted: §一–§六 from the incident, the rest from this report."""
    data = snapshot(incident, ("client_name", "client_national_id", "client_sex", "client_birth_date", "period",
                               "occurred_at", "learned_at", "place", "place_note", "provider_unit_name",
                               "staff_types", "staff_other", "categories", "category_other_service",
                               "category_other_anytime", "unit_caused", "platform_recorded_at"))
    data.update(snapshot(report, REPORT_FIELDS + ("kind", "seq", "reporter_name", "submitted_at")))
    data["reporting_org"] = incident.reporting_org.name
    data["client_id"] = incident.client_id
    return jsonable(data)


def _route_targets(incident: Incident):
    """Where a submitted report goes: the client's A unit, the care management centre, the bureau (§6)."""
    bureau_id = _bureau_org_id()
    targets = []
    a_unit_id = incident.a_unit_id or client_a_unit_id(incident.client_id)
    if a_unit_id and a_unit_id != incident.reporting_org_id:
        targets.append(("a_unit", a_unit_id))
    if bureau_id:
        targets += [("care_centre", bureau_id), ("bureau", bureau_id)]
    return targets


def _finalise(actor, report: IncidentReport, incident: Incident, *, route=True):
    """Date, snapshot and route a report, then mark it submitted — all in one flush, so the
    immutability guard sees a single draft → submitted change."""
    targets = _route_targets(incident) if route else []
    incident.reporting_org.name  # noqa: B018  (load before autoflush is switched off)
    with db.session.no_autoflush:
        report.submitted_at, report.submitted_by_id = clock.now(), actor.id
        report.snapshot = _report_snapshot(incident, report)
        for target, org_id in targets:
            report.routes.append(IncidentRoute(target=target, organisation_id=org_id, sent_at=report.submitted_at))
        report.status = "submitted"
    return targets


def _actions_from(report: IncidentReport, source):
    for field in ("no_intervention", "no_intervention_other", "interventions", "intervention_other",
                  "suicide_reported_at", "dv_reported_at"):
        setattr(report, field, getattr(source, field))


def submit_initial(actor, incident: Incident, *, seen_version=None) -> IncidentReport:
    """Submit the 通報單 (初報): freeze it as the first entry of the chain and route it.

    Moderate and worse need the advance notification recorded first (incidents.md §7).
    """
    _lock(incident)
    if not is_reporting_unit(actor, incident):
        raise Refused("只有通報單位可以遞交通報單。")
    if incident.status == "initial_submitted" or incident.initial_report is not None:
        raise TransitionNotAllowed("此事件的通報單已經遞交過了，不會重複遞交。")
    if not incident.needs_form:
        raise Refused("非服務期間發生的服務期間類事件只需線上異動紀錄，請改用「登錄平台異動紀錄」。")
    to = _transition(incident, "submit_initial")
    _check_version(incident, seen_version)
    if rules.needs_notification(incident.severity) and not incident.notifications:
        raise Refused(f"{incident.severity_label}以上的事件，須先登錄「先行通報主管機關」（時間、方式、對象）才能遞交通報單。",
                      field="notification")
    if not (incident.supervisor_name_title or "").strip():
        raise Refused("請先於通報單填寫「主管及職稱」再遞交。", field="supervisor_name_title")
    report = IncidentReport(kind="initial", seq=0, status="draft", created_by_id=actor.id,
                            severity=incident.severity, content=incident.narrative,
                            improvement_plan=incident.improvement_plan, reporter_name=incident.reporter_name,
                            reporter_title=incident.reporter_title,
                            supervisor_name_title=incident.supervisor_name_title)
    _actions_from(report, incident)
    targets = _finalise(actor, report, incident)
    incident.reports.append(report)
    before = incident.status
    incident.status, incident.initial_severity = to, incident.severity
    db.session.flush()
    log_change(actor, incident, "incident.initial_submitted", before={"status": before},
               after={"status": to, "report_id": report.id, "routed_to": [t for t, _ in targets]})
    return report


def record_platform_only(actor, incident: Incident, *, seen_version=None) -> IncidentReport:
    """Close an outside-service group (一) event as a platform change record only (§2.3)."""
    _lock(incident)
    if not is_reporting_unit(actor, incident):
        raise Refused("只有通報單位可以登錄。")
    if incident.needs_form:
        raise Refused("此事件須填寫通報單（服務期間發生，或屬不限服務時段之事件），不能只登錄平台異動紀錄。")
    to = _transition(incident, "record_platform")
    _check_version(incident, seen_version)
    if incident.platform_recorded_at is None:
        raise Refused("請先於表單勾選「已至衛生福利部照顧服務管理資訊平台完成異動通報」並填寫日期時間。",
                      field="platform_recorded")
    report = IncidentReport(kind="platform", seq=0, status="draft", created_by_id=actor.id,
                            severity=incident.severity, content=incident.narrative,
                            reporter_name=incident.reporter_name, reporter_title=incident.reporter_title,
                            supervisor_name_title=incident.supervisor_name_title)
    _actions_from(report, incident)
    _finalise(actor, report, incident, route=False)
    incident.reports.append(report)
    before = incident.status
    incident.status, incident.initial_severity = to, incident.severity
    db.session.flush()
    log_change(actor, incident, "incident.platform_recorded", before={"status": before},
               after={"status": to, "report_id": report.id, "platform_recorded_at": incident.platform_recorded_at})
    return report


def record_platform_report(actor, incident: Incident, recorded_at) -> Incident:
    """Record the national platform's change report after the 通報單 went in (註1)."""
    _lock(incident)
    if not is_reporting_unit(actor, incident):
        raise Refused("只有通報單位可以登錄平台異動通報。")
    if incident.platform_recorded_at is not None:
        raise TransitionNotAllowed("平台異動通報已登錄過了。")
    if recorded_at < incident.occurred_at:
        raise Refused("平台異動通報時間不能早於事件發生時間。", field="recorded_date")
    incident.platform_recorded_at = recorded_at
    db.session.flush()
    log_change(actor, incident, "incident.platform_report", after={"platform_recorded_at": recorded_at})
    return incident


def _open_draft(incident):
    return next((r for r in incident.reports if r.status == "draft"), None)


def start_report(actor, incident: Incident, kind: str, data: dict, *, submission_key=None) -> IncidentReport:
    """Create a draft 續報 or 結報 (the reporting unit may edit it until it is submitted)."""
    if kind not in ("followup", "closing"):
        raise Refused("報告種類不正確。")
    existing = by_submission_key(IncidentReport, submission_key)
    if existing is not None:
        return existing
    _lock(incident)
    if not is_reporting_unit(actor, incident):
        raise Refused("只有通報單位可以填寫續報或結報。")
    if rules.next_status(incident.status, "submit_" + kind) is None:
        raise TransitionNotAllowed(_not_allowed_message(incident, "submit_" + kind))
    draft = _open_draft(incident)
    if draft is not None:
        raise Refused(f"已有尚未送出的{draft.title}草稿，請先送出或刪除該草稿。")
    seq = 1 + sum(1 for r in incident.reports if r.kind == "followup") if kind == "followup" else 0
    report = IncidentReport(incident=incident, kind=kind, seq=seq, status="draft", created_by_id=actor.id,
                            submission_key=submission_key or None, reporter_name=actor.full_name)
    for field in REPORT_FIELDS:
        if field in data:
            setattr(report, field, data[field])
    db.session.add(report)
    db.session.flush()
    log_change(actor, incident, f"incident.{kind}_drafted", after={"report_id": report.id, "seq": seq,
                                                                  **snapshot(report, REPORT_FIELDS)})
    return report


def _refuse_if_submitted(report):
    if report.status == "submitted":
        raise TransitionNotAllowed(f"{report.title}已於 {_roc_dt(report.submitted_at)} 送出，送出後不能修改或刪除；"
                                   "如有新的狀況請另填續報。")


def _roc_dt(moment):
    from portal.filters import roc_dt
    return roc_dt(moment)


def update_report(actor, report: IncidentReport, data: dict, *, seen_version) -> IncidentReport:
    """Save a draft 續報/結報; a submitted one never changes."""
    _lock(report)
    if not is_reporting_unit(actor, report.incident):
        raise Refused("只有通報單位可以修改。")
    _refuse_if_submitted(report)
    _check_version(report, seen_version)
    before = snapshot(report, REPORT_FIELDS)
    for field in REPORT_FIELDS:
        if field in data:
            setattr(report, field, data[field])
    db.session.flush()
    log_change(actor, report.incident, f"incident.{report.kind}_draft_updated", before=before,
               after={"report_id": report.id, **snapshot(report, REPORT_FIELDS)})
    return report


def discard_report(actor, report: IncidentReport) -> None:
    """Delete a draft 續報/結報 that will not be sent."""
    _lock(report)
    if not is_reporting_unit(actor, report.incident):
        raise Refused("只有通報單位可以刪除草稿。")
    _refuse_if_submitted(report)
    incident = report.incident
    log_change(actor, incident, f"incident.{report.kind}_draft_discarded",
               before={"report_id": report.id, **snapshot(report, REPORT_FIELDS)})
    incident.reports.remove(report)
    db.session.flush()


def submit_report(actor, report: IncidentReport, *, seen_version=None) -> IncidentReport:
    """Submit a 續報/結報: it becomes an immutable, dated entry, is routed, and the status follows."""
    _lock(report)
    incident = report.incident
    _lock(incident)
    if not is_reporting_unit(actor, incident):
        raise Refused("只有通報單位可以送出。")
    if report.status == "submitted":
        raise TransitionNotAllowed(f"{report.title}已經送出過了，不會重複送出。")
    to = _transition(incident, "submit_" + report.kind)
    _check_version(report, seen_version)
    if not (report.supervisor_name_title or "").strip():
        raise Refused("請先填寫「主管及職稱」再送出。", field="supervisor_name_title")
    if report.kind == "closing" and incident.unit_caused and not (report.improvement_plan or "").strip():
        raise Refused("本單位所致之事件，結報須附改善建議方案。", field="improvement_plan")
    before = {"status": incident.status, "severity": incident.severity}
    if report.severity and report.severity != incident.severity:
        incident.severity = report.severity  # the current severity; the upgrade counts from change_known_at (Q21)
    if report.suicide_reported_at and not incident.suicide_reported_at:
        incident.suicide_reported_at = report.suicide_reported_at
    if report.dv_reported_at and not incident.dv_reported_at:
        incident.dv_reported_at = report.dv_reported_at
    report.reporter_name = actor.full_name
    targets = _finalise(actor, report, incident)
    incident.status = to
    db.session.flush()
    log_change(actor, incident, f"incident.{report.kind}_submitted", before=before,
               after={"status": to, "severity": incident.severity, "report_id": report.id, "seq": report.seq,
                      "routed_to": [t for t, _ in targets]})
    return report


# --- Receiving authority: 受理 (§十), handling (§十一), close ------------------------------------

def record_receipt(actor, report: IncidentReport, *, channel, channel_other, receiver_name, received_at,
                   note=None) -> IncidentReport:
    """Record how a submitted report was received (通報單 §十); once per report."""
    _lock(report)
    incident = report.incident
    _lock(incident)
    if not is_authority(actor):
        raise Refused("只有照管中心或衛生局人員可以登錄受理情形。")
    if report.status != "submitted" or report.kind == "platform":
        raise TransitionNotAllowed("只有已送出的通報單、續報或結報可以登錄受理。")
    if report.received_at is not None:
        who = report.receipt_receiver_name or "其他人員"
        raise TransitionNotAllowed(f"{report.title}已由 {who} 於 {_roc_dt(report.receipt_recorded_at)} 登錄受理，"
                                   "不會重複登錄。")
    if received_at < report.submitted_at.replace(second=0, microsecond=0):
        raise Refused("受理時間不能早於送出時間。", field="received_date")
    report.receipt_channel = channel
    report.receipt_channel_other = channel_other if channel == "other" else None
    report.receipt_receiver_name = receiver_name.strip()
    report.received_at = received_at
    report.receipt_recorded_by_id = actor.id
    report.receipt_recorded_at = clock.now()
    report.receipt_note = note
    before = incident.status
    if report.kind == "initial" and incident.status == "initial_submitted":
        incident.status = _transition(incident, "receive")
    _acknowledge_for(actor, report)
    db.session.flush()
    log_change(actor, incident, "incident.received", before={"status": before},
               after={"status": incident.status, "report_id": report.id, "channel": channel,
                      "receiver_name": report.receipt_receiver_name, "received_at": received_at})
    return report


def _acknowledge_for(actor, report):
    target = ROUTE_FOR_ROLE.get(actor.role)
    for route in report.routes:
        if route.target == target and route.acknowledged_at is None:
            route.acknowledged_at, route.acknowledged_by_id = clock.now(), actor.id


def can_acknowledge(user, route: IncidentRoute) -> bool:
    if route.target == "a_unit":
        return user.role in roles.A_ROLES and user.organisation_id == route.organisation_id
    return ROUTE_FOR_ROLE.get(user.role) == route.target


def acknowledge_route(actor, route: IncidentRoute) -> IncidentRoute:
    """Confirm that the routed unit received a report (確認收到); a second click changes nothing."""
    _lock(route)
    if not can_acknowledge(actor, route):
        raise Refused("您不是這份通報的收件單位。")
    if route.acknowledged_at is not None:
        return route
    route.acknowledged_at, route.acknowledged_by_id = clock.now(), actor.id
    db.session.flush()
    log_change(actor, route.report.incident, "incident.route_acknowledged",
               after={"report_id": route.report_id, "target": route.target})
    return route


def add_handling(actor, incident: Incident, text: str) -> IncidentHandling:
    """Add the actor's entry to their row of 通報單 §十一 (only that title's role may fill it)."""
    row = HANDLING_ROLE_ROWS.get(actor.role)
    if row is None:
        raise Refused("只有照顧管理專員、照顧管理督導、負責承辦人員或科長可以填寫案件處理情形。")
    _lock(incident)
    if incident.status not in rules.SUBMITTED_STATUSES or incident.status == "closed":
        raise TransitionNotAllowed(f"此事件目前為「{incident.status_label}」，不能填寫案件處理情形。")
    text = text.strip()
    last = next((h for h in reversed(incident.handling) if h.user_id == actor.id), None)
    if last is not None and last.text == text:  # a double submit
        return last
    entry = IncidentHandling(incident=incident, row=row, text=text, user_id=actor.id, user_name=actor.full_name,
                             at=clock.now())
    db.session.add(entry)
    db.session.flush()
    log_change(actor, incident, "incident.handling", after={"row": row, "text": text})
    return entry


def close_incident(actor, incident: Incident, *, seen_version=None) -> Incident:
    """Close the case after the 結報, once §十一 has an entry (incidents.md §7)."""
    _lock(incident)
    if actor.role not in HANDLING_ROLE_ROWS:
        raise Refused("只有照管中心或衛生局人員可以結案。")
    if incident.status == "closed":
        who = incident.closed_by.full_name if incident.closed_by else "其他人員"
        raise TransitionNotAllowed(f"此事件已由 {who} 於 {_roc_dt(incident.closed_at)} 結案。")
    to = _transition(incident, "close")
    _check_version(incident, seen_version)
    if not incident.handling:
        raise Refused("結案前請先填寫「案件處理情形」。", field="handling")
    before = incident.status
    incident.status, incident.closed_at, incident.closed_by_id = to, clock.now(), actor.id
    db.session.flush()
    log_change(actor, incident, "incident.closed", before={"status": before}, after={"status": to})
    return incident


def return_closing(actor, incident: Incident, *, due_on, note, seen_version=None) -> Incident:
    """Send the 結報 back: the case needs more tracking, with a 續報 due by `due_on` (§5.2)."""
    _lock(incident)
    if not is_authority(actor):
        raise Refused("只有照管中心或衛生局人員可以要求持續追蹤。")
    to = _transition(incident, "reopen")
    _check_version(incident, seen_version)
    if due_on < clock.today():
        raise Refused("續報期限不能早於今天。", field="due_on")
    closing = incident.closing_report
    if closing is not None:
        closing.returned_at, closing.returned_note = clock.now(), note.strip()
    before = {"status": incident.status, "followup_requested_by": incident.followup_requested_by}
    incident.status = to
    incident.followup_requested_by, incident.followup_requested_at = due_on, clock.now()
    incident.deadline_note = note.strip()
    db.session.flush()
    log_change(actor, incident, "incident.closing_returned", before=before,
               after={"status": to, "followup_requested_by": due_on, "note": note.strip()})
    return incident


def set_deadline(actor, incident: Incident, kind: str, due_on, note: str, *, seen_version=None, cal=None) -> Incident:
    """The authority shortens the 結報 deadline or asks for a 續報 by a date (§5.2, §5.3)."""
    _lock(incident)
    if not is_authority(actor):
        raise Refused("只有照管中心或衛生局人員可以調整期限。")
    if incident.status not in ("initial_submitted", "received", "follow_up"):
        raise TransitionNotAllowed(f"此事件目前為「{incident.status_label}」，不能調整期限。")
    _check_version(incident, seen_version)
    if due_on < clock.today():
        raise Refused("期限不能早於今天。", field="due_on")
    before = snapshot(incident, ("closing_due_override", "followup_requested_by", "deadline_note"))
    if kind == "closing":
        current = next((d for d in incident.schedule(cal) if d.key == "closing"), None)
        if current is not None and due_on >= current.due:
            raise Refused("主管機關只能縮短結報期限；新期限須早於目前的期限。", field="due_on")
        incident.closing_due_override = due_on
    elif kind == "followup":
        incident.followup_requested_by, incident.followup_requested_at = due_on, clock.now()
    else:
        raise Refused("項目不正確。", field="kind")
    incident.deadline_note = note.strip()
    db.session.flush()
    log_change(actor, incident, f"incident.deadline_{kind}", before=before,
               after=snapshot(incident, ("closing_due_override", "followup_requested_by", "deadline_note")))
    return incident


# --- Evidence (照片、驗傷單, incidents.md §3(三)) ----------------------------------------------------

ATTACHMENT_TYPES = {  # content type -> (extension, magic bytes)
    "image/jpeg": (".jpg", (b"\xff\xd8\xff",)),
    "image/png": (".png", (b"\x89PNG\r\n\x1a\n",)),
    "application/pdf": (".pdf", (b"%PDF-",)),
}
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


def attachment_type(data: bytes) -> str | None:
    """Return the content type the file really is (by its first bytes), or None when not allowed."""
    for content_type, (_, magics) in ATTACHMENT_TYPES.items():
        if any(data.startswith(m) for m in magics):
            return content_type
    return None


def can_attach(user, incident) -> bool:
    return is_reporting_unit(user, incident) or is_authority(user)


def add_attachment(actor, incident: Incident, *, filename: str, data: bytes, description: str | None,
                   upload_dir: str) -> IncidentAttachment:
    """Keep a photo or scan with the incident; the same file twice is stored once."""
    import hashlib
    import os
    import uuid

    if not can_attach(actor, incident):
        raise Refused("只有通報單位或主管機關可以上傳附件。")
    if incident.status == "withdrawn":
        raise TransitionNotAllowed("已撤銷的事件不能再上傳附件。")
    if not data:
        raise Refused("請選擇要上傳的檔案。", field="file")
    if len(data) > ATTACHMENT_MAX_BYTES:
        raise Refused("檔案超過 10 MB，請縮小後再上傳。", field="file")
    content_type = attachment_type(data)
    if content_type is None:
        raise Refused("只接受 JPG、PNG 照片或 PDF 檔。", field="file")
    digest = hashlib.sha256(data).hexdigest()
    existing = next((a for a in incident.attachments if a.sha256 == digest), None)
    if existing is not None:
        return existing
    stored = uuid.uuid4().hex + ATTACHMENT_TYPES[content_type][0]
    folder = os.path.join(upload_dir, "incidents", str(incident.id))
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, stored), "wb") as fh:
        fh.write(data)
    name = os.path.basename((filename or "").replace("\\", "/")).strip()[:200] or "附件" + ATTACHMENT_TYPES[content_type][0]
    attachment = IncidentAttachment(incident=incident, filename=name, stored_name=stored, content_type=content_type,
                                    size=len(data), sha256=digest, description=(description or "").strip() or None,
                                    uploaded_by_id=actor.id, uploaded_at=clock.now())
    db.session.add(attachment)
    db.session.flush()
    log_change(actor, incident, "incident.attachment_added",
               after={"attachment_id": attachment.id, "filename": name, "size": len(data), "sha256": digest})
    return attachment


def attachment_path(attachment: IncidentAttachment, upload_dir: str) -> str:
    import os
    return os.path.join(upload_dir, "incidents", str(attachment.incident_id), attachment.stored_name)


def log_view(actor, incident: Incident, what="incident.viewed", **after):
    """Every look at an incident is logged (issue 7 §7: privacy)."""
    log_change(actor, incident, what, after=after or None)


# --- Dispute mediation (爭議調處) -------------------------------------------------------------

DISPUTE_FIELDS = ("applicant_name", "applicant_relation", "applicant_contact", "subject", "claim", "received_on",
                  "incident_id", "client_id", "respondent_org_id")


def create_dispute(actor, data: dict, *, incident=None, cal=None, submission_key=None) -> DisputeMediation:
    """Register a mediation request; the parties must hear of the date within 20 days (§3(四), Q21)."""
    if actor.role not in DISPUTE_ROLES:
        raise Refused("只有衛生局或照管中心人員可以受理爭議調處。")
    existing = by_submission_key(DisputeMediation, submission_key)
    if existing is not None:
        return existing
    dispute = DisputeMediation(created_by_id=actor.id, submission_key=submission_key or None, status="received")
    for field in DISPUTE_FIELDS:
        if field in data:
            setattr(dispute, field, data[field])
    if incident is not None:
        dispute.incident_id, dispute.client_id = incident.id, incident.client_id
        dispute.respondent_org_id = incident.reporting_org_id
    dispute.notice_due_on = rules.mediation_notice_due(dispute.received_on, cal=cal)
    db.session.add(dispute)
    db.session.flush()
    log_change(actor, dispute, "dispute.create", after={**snapshot(dispute, DISPUTE_FIELDS),
                                                        "notice_due_on": dispute.notice_due_on})
    if incident is not None:
        log_change(actor, incident, "incident.dispute_linked", after={"dispute_id": dispute.id})
    return dispute


def update_dispute(actor, dispute: DisputeMediation, data: dict, *, seen_version, cal=None) -> DisputeMediation:
    _lock(dispute)
    if actor.role not in DISPUTE_ROLES:
        raise Refused("只有衛生局或照管中心人員可以修改爭議調處。")
    if not dispute.is_open:
        raise TransitionNotAllowed(f"此爭議調處目前為「{dispute.status_label}」，不能再修改。")
    _check_version(dispute, seen_version)
    before = snapshot(dispute, DISPUTE_FIELDS + ("notice_due_on",))
    for field in ("applicant_name", "applicant_relation", "applicant_contact", "subject", "claim", "received_on"):
        if field in data:
            setattr(dispute, field, data[field])
    dispute.notice_due_on = rules.mediation_notice_due(dispute.received_on, cal=cal)
    db.session.flush()
    log_change(actor, dispute, "dispute.update", before=before, after=snapshot(dispute, DISPUTE_FIELDS +
                                                                              ("notice_due_on",)))
    return dispute


def schedule_dispute(actor, dispute: DisputeMediation, *, hearing_at, hearing_place, notified_on,
                     seen_version=None) -> DisputeMediation:
    """Set the mediation date and place and record when the parties were told."""
    _lock(dispute)
    if actor.role not in DISPUTE_ROLES:
        raise Refused("只有衛生局或照管中心人員可以排定調處。")
    to = rules.dispute_next_status(dispute.status, "schedule")
    if to is None:
        raise TransitionNotAllowed(f"此爭議調處目前為「{dispute.status_label}」，不能再排定。")
    _check_version(dispute, seen_version)
    if notified_on < dispute.received_on:
        raise Refused("通知日期不能早於受理日期。", field="notified_on")
    before = snapshot(dispute, ("status", "hearing_at", "hearing_place", "parties_notified_on"))
    dispute.status, dispute.hearing_at, dispute.hearing_place = to, hearing_at, hearing_place.strip()
    dispute.parties_notified_on = notified_on
    db.session.flush()
    log_change(actor, dispute, "dispute.schedule", before=before,
               after=snapshot(dispute, ("status", "hearing_at", "hearing_place", "parties_notified_on")))
    return dispute


def conclude_dispute(actor, dispute: DisputeMediation, *, outcome, concluded_on, note,
                     seen_version=None) -> DisputeMediation:
    """Record the result: settled, not settled, or withdrawn by the applicant."""
    _lock(dispute)
    if actor.role not in DISPUTE_ROLES:
        raise Refused("只有衛生局或照管中心人員可以登錄調處結果。")
    to = rules.dispute_next_status(dispute.status, outcome)
    if to is None:
        if dispute.status in ("settled", "failed", "withdrawn"):
            raise TransitionNotAllowed(f"此爭議調處已登錄結果（{dispute.status_label}），不會重複登錄。")
        raise TransitionNotAllowed("尚未排定調處期日，只能登錄「申請人撤回」。")
    _check_version(dispute, seen_version)
    if concluded_on < dispute.received_on:
        raise Refused("日期不能早於受理日期。", field="concluded_on")
    before = dispute.status
    dispute.status, dispute.concluded_on, dispute.outcome_note = to, concluded_on, note.strip()
    db.session.flush()
    log_change(actor, dispute, "dispute.conclude", before={"status": before},
               after={"status": to, "concluded_on": concluded_on, "note": dispute.outcome_note})
    return dispute
