"""The chain 初報 → 續報 → 結報: immutable entries, routing and receipt, §十一, closing, deadlines."""
from datetime import timedelta

import pytest

from portal import clock
from portal.auditlog.models import AuditLogEntry
from portal.auth import roles
from portal.errors import TransitionNotAllowed
from portal.extensions import db
from portal.incidents import operations as ops
from portal.incidents.models import ImmutableReportError, Incident, IncidentReport
from tests.incidents.helpers import form_data, make_incident


def _roc(moment):
    local = moment.astimezone(clock.TAIPEI)
    return f"{local.year - 1911}/{local.month}/{local.day}", f"{local:%H:%M}"


def _followup_post(**over):
    day, hhmm = _roc(clock.now() - timedelta(minutes=10))
    data = {"submission_key": "fu-1", "change_known_date": day, "change_known_time": hhmm, "severity": "severe",
            "content": "個案經醫師評估需住院治療骨折，預計住院一週。", "interventions": ["comfort"],
            "reporter_title": "家托員", "supervisor_name_title": "王主任（負責人）", "action": "save"}
    data.update(over)
    return data


def _reload(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


@pytest.fixture
def submitted(world, app_ctx):
    incident = make_incident(world.users[roles.B_HEAD], world.clients["own"], submit=True)
    db.session.commit()
    return incident


def test_followup_draft_then_submit_and_it_cannot_be_edited(client, world, login, submitted):
    login(world.users[roles.B_HEAD])
    response = client.post(f"/incidents/{submitted.id}/reports/new?kind=followup", data=_followup_post())
    assert response.status_code == 303
    report = db.session.execute(db.select(IncidentReport).filter_by(incident_id=submitted.id, kind="followup")
                                ).scalar_one()
    assert report.status == "draft" and report.seq == 1
    # The draft can still change.
    edit_url = f"/incidents/{submitted.id}/reports/{report.id}/edit"
    assert client.post(edit_url, data=_followup_post(content="住院治療中，家屬陪同，情況穩定持續觀察。",
                                                     version=report.version)).status_code == 303
    report = _reload(IncidentReport, report.id)
    assert client.post(f"/incidents/{submitted.id}/reports/{report.id}/submit",
                       data={"version": report.version}).status_code == 303
    report = _reload(IncidentReport, report.id)
    assert report.status == "submitted" and report.content.startswith("住院治療中")
    incident = _reload(Incident, submitted.id)
    assert incident.status == "follow_up" and incident.severity == "severe"
    assert incident.initial_severity == "moderate"
    # A submitted 續報 cannot be edited: the page refuses, the post changes nothing.
    response = client.post(edit_url, data=_followup_post(content="竄改的內容竄改的內容竄改的內容", version=report.version))
    assert response.status_code == 303
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "送出後不能修改" in follow
    assert _reload(IncidentReport, report.id).content.startswith("住院治療中")
    assert client.post(f"/incidents/{submitted.id}/reports/{report.id}/discard").status_code == 200
    assert _reload(IncidentReport, report.id) is not None


def test_submitted_report_is_immutable_in_the_model(world, submitted):
    report = submitted.reports[0]
    report.content = "改寫"
    with pytest.raises(ImmutableReportError):
        db.session.flush()
    db.session.rollback()
    report = _reload(IncidentReport, report.id)
    with pytest.raises(ImmutableReportError):
        db.session.delete(report)
        db.session.flush()
    db.session.rollback()


def test_update_of_a_submitted_report_is_refused_by_the_operation(world, submitted):
    user = world.users[roles.B_HEAD]
    report = ops.start_report(user, submitted, "followup", {"severity": "moderate", "content": "內容",
                                                          "supervisor_name_title": "主管",
                                                          "change_known_at": clock.now()})
    ops.submit_report(user, report)
    with pytest.raises(TransitionNotAllowed, match="送出後不能修改"):
        ops.update_report(user, report, {"content": "新內容"}, seen_version=report.version)
    with pytest.raises(TransitionNotAllowed):
        ops.submit_report(user, report)


def test_save_and_submit_in_one_step(client, world, login, submitted):
    login(world.users[roles.B_HEAD])
    response = client.post(f"/incidents/{submitted.id}/reports/new?kind=followup",
                           data=_followup_post(action="submit"))
    assert response.status_code == 303 and response.headers["Location"].endswith("#top")
    assert _reload(Incident, submitted.id).status == "follow_up"


def test_double_submit_of_a_new_followup_makes_one_draft(client, world, login, submitted):
    login(world.users[roles.B_HEAD])
    url = f"/incidents/{submitted.id}/reports/new?kind=followup"
    assert client.post(url, data=_followup_post()).status_code == 303
    assert client.post(url, data=_followup_post()).status_code == 303
    count = db.session.execute(db.select(db.func.count(IncidentReport.id)).filter_by(
        incident_id=submitted.id, kind="followup")).scalar_one()
    assert count == 1


def test_followup_needs_the_change_time(client, world, login, submitted):
    login(world.users[roles.B_HEAD])
    page = client.post(f"/incidents/{submitted.id}/reports/new?kind=followup",
                       data=_followup_post(change_known_date="", change_known_time="")).get_data(as_text=True)
    assert "請填寫重大變化的知悉日期與時間" in page


def test_receipt_routing_acknowledgement_handling_and_close(client, world, login, submitted):
    report = submitted.reports[0]
    # The A unit confirms it received the report.
    login(world.users[roles.A_UNIT_HEAD])
    route = next(r for r in report.routes if r.target == "a_unit")
    assert client.post(f"/incidents/{submitted.id}/routes/{route.id}/ack").status_code == 303
    assert client.post(f"/incidents/{submitted.id}/routes/{route.id}/ack").status_code == 303  # no-op
    # A B unit cannot record the receipt; the bureau officer can, once.
    login(world.users[roles.B_HEAD])
    assert client.post(f"/incidents/{submitted.id}/reports/{report.id}/receipt").status_code == 403
    officer = world.users[roles.BUREAU_OFFICER]
    login(officer)
    day, hhmm = _roc(clock.now())
    receipt = {f"r{report.id}-channel": "phone", f"r{report.id}-receiver_name": officer.full_name,
               f"r{report.id}-received_date": day, f"r{report.id}-received_time": hhmm}
    assert client.post(f"/incidents/{submitted.id}/reports/{report.id}/receipt", data=receipt).status_code == 303
    incident = _reload(Incident, submitted.id)
    assert incident.status == "received"
    assert incident.reports[0].receipt_channel == "phone"
    assert {r.target for r in incident.reports[0].routes if r.acknowledged_at} == {"a_unit", "bureau"}
    # The supervisor records it a second time: clear message, nothing changes.
    login(world.users[roles.CARE_SUPERVISOR])
    receipt[f"r{report.id}-channel"] = "fax"
    page = client.post(f"/incidents/{submitted.id}/reports/{report.id}/receipt", data=receipt).get_data(as_text=True)
    assert "不會重複登錄" in page
    assert _reload(Incident, submitted.id).reports[0].receipt_channel == "phone"
    # The unit sends its 結報; §十一 rows are filled by their own roles; then the case closes.
    user = world.users[roles.B_HEAD]
    closing = ops.start_report(user, incident, "closing", {"severity": "moderate", "content": "個案已康復出院，結案。",
                                                         "supervisor_name_title": "王主任"})
    ops.submit_report(user, closing)
    db.session.commit()
    login(world.users[roles.BUREAU_CHIEF])
    page = client.post(f"/incidents/{submitted.id}/close", data={}).get_data(as_text=True)
    assert "請先填寫「案件處理情形」" in page
    assert client.post(f"/incidents/{submitted.id}/handling", data={"text": "已督導單位改善，同意結案。"}).status_code == 303
    assert client.post(f"/incidents/{submitted.id}/close", data={}).status_code == 303
    incident = _reload(Incident, submitted.id)
    assert incident.status == "closed" and incident.handling[0].row == "bureau_chief"
    login(world.users[roles.BUREAU_OFFICER])
    page = client.post(f"/incidents/{submitted.id}/close", data={}).get_data(as_text=True)
    assert "已由" in page and "結案" in page
    actions = {e.action for e in db.session.execute(db.select(AuditLogEntry).filter_by(
        entity_type="incidents", entity_id=submitted.id)).scalars()}
    assert {"incident.create", "incident.notified", "incident.initial_submitted", "incident.route_acknowledged",
            "incident.received", "incident.closing_submitted", "incident.handling", "incident.closed"} <= actions


def test_handling_rows_belong_to_their_roles(client, world, login, submitted):
    for role, row in ((roles.CARE_MANAGER, "care_manager"), (roles.CARE_SUPERVISOR, "care_supervisor"),
                      (roles.BUREAU_OFFICER, "bureau_officer")):
        login(world.users[role])
        assert client.post(f"/incidents/{submitted.id}/handling", data={"text": f"{row} 的處理"}).status_code == 303
    login(world.users[roles.ADMIN])
    assert client.post(f"/incidents/{submitted.id}/handling", data={"text": "x"}).status_code == 403
    rows = [h.row for h in _reload(Incident, submitted.id).handling]
    assert rows == ["care_manager", "care_supervisor", "bureau_officer"]


def test_authority_returns_a_closing_report_for_more_tracking(client, world, login, submitted):
    user = world.users[roles.B_HEAD]
    closing = ops.start_report(user, submitted, "closing", {"severity": "moderate", "content": "結案。",
                                                          "supervisor_name_title": "王主任"})
    ops.submit_report(user, closing)
    db.session.commit()
    login(world.users[roles.CARE_MANAGER])
    due = clock.today() + timedelta(days=7)
    response = client.post(f"/incidents/{submitted.id}/return", data={
        "due_on": f"{due.year - 1911}/{due.month}/{due.day}", "note": "請持續追蹤復健情形"})
    assert response.status_code == 303
    incident = _reload(Incident, submitted.id)
    assert incident.status == "follow_up" and incident.followup_requested_by == due
    assert incident.reports[-1].returned_at is not None
    assert any(d.key == "followup_requested" for d in incident.schedule())


def test_authority_shortens_the_closing_deadline_only(client, world, login, submitted):
    login(world.users[roles.BUREAU_OFFICER])
    far = clock.today() + timedelta(days=60)
    page = client.post(f"/incidents/{submitted.id}/deadline", data={
        "kind": "closing", "due_on": f"{far.year - 1911}/{far.month}/{far.day}", "note": "延長"}).get_data(as_text=True)
    assert "只能縮短結報期限" in page
    soon = clock.today() + timedelta(days=1)
    assert client.post(f"/incidents/{submitted.id}/deadline", data={
        "kind": "closing", "due_on": f"{soon.year - 1911}/{soon.month}/{soon.day}",
        "note": "家屬陳情，請儘速結報"}).status_code == 303
    closing = [d for d in _reload(Incident, submitted.id).schedule() if d.key == "closing"][0]
    assert closing.due == soon and closing.note == "主管機關縮短期限"


def test_outside_service_group_one_event_is_a_platform_record_only(client, world, login, app_ctx):
    login(world.users[roles.B_HEAD])
    own = world.clients["own"]
    occurred = clock.now() - timedelta(hours=10)
    day, hhmm = _roc(occurred - timedelta(hours=1))
    data = form_data(own.id, occurred=occurred - timedelta(hours=1), period="non_service",
                     categories_service=["care_accident"], severity="mild", supervisor_name_title="")
    assert client.post(f"/incidents/new?client_id={own.id}", data=data).status_code == 303
    incident = db.session.execute(db.select(Incident).filter_by(client_id=own.id)).scalar_one()
    assert not incident.needs_form and incident.schedule() == []
    page = client.post(f"/incidents/{incident.id}/submit", data={}).get_data(as_text=True)
    assert "平台完成異動通報" in page
    data.update(platform_recorded="y", platform_recorded_date=day, platform_recorded_time=hhmm,
                version=incident.version)
    assert client.post(f"/incidents/{incident.id}/edit", data=data).status_code == 303
    assert client.post(f"/incidents/{incident.id}/submit", data={}).status_code == 303
    incident = _reload(Incident, incident.id)
    assert incident.status == "platform_only" and incident.reports[0].kind == "platform"
    assert client.get(f"/incidents/{incident.id}.pdf").status_code == 303  # no paper form


def test_group_two_event_outside_service_still_needs_the_form(world, app_ctx):
    incident = make_incident(world.users[roles.B_HEAD], world.clients["own"], period="non_service",
                             categories=["suicide_self_harm"], severity="none",
                             learned_at=clock.now() - timedelta(minutes=30))
    assert incident.needs_form
    keys = {d.key for d in incident.schedule()}
    assert {"form", "suicide_report", "platform"} <= keys and "notify" not in keys


def test_withdraw_a_draft(client, world, login, app_ctx):
    incident = make_incident(world.users[roles.B_HEAD], world.clients["own"])
    db.session.commit()
    login(world.users[roles.B_STAFF])
    assert client.post(f"/incidents/{incident.id}/withdraw", data={"reason": "選錯個案，重新登錄",
                                                                   "version": incident.version}).status_code == 303
    incident = _reload(Incident, incident.id)
    assert incident.status == "withdrawn" and incident.schedule() == []


def test_mild_unit_caused_needs_an_improvement_plan(client, world, login):
    login(world.users[roles.B_HEAD])
    own = world.clients["own"]
    page = client.post(f"/incidents/new?client_id={own.id}", data=form_data(
        own.id, severity="mild", unit_caused="y")).get_data(as_text=True)
    assert "請擬定改善建議方案" in page
