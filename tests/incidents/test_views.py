"""Incident pages: report form, scope, every view logged, the chain, receipt, close, stale edits."""
from datetime import timedelta

from portal import clock
from portal.auditlog.models import AuditLogEntry
from portal.auth import roles
from portal.extensions import db
from portal.incidents.models import Incident, IncidentReport
from tests.factories import FOREIGN_MARKER, make_client, make_user
from tests.incidents.helpers import form_data, make_incident


def _incident(db_id):
    db.session.expire_all()
    return db.session.get(Incident, db_id)


def test_b_unit_records_an_incident_for_its_own_client(client, world, login, app_ctx):
    login(world.users[roles.B_HEAD])
    own = world.clients["own"]
    page = client.get("/incidents/new?q=" + own.name).get_data(as_text=True)
    assert own.name in page and FOREIGN_MARKER not in page
    assert client.get(f"/incidents/new?client_id={own.id}").status_code == 200
    response = client.post(f"/incidents/new?client_id={own.id}", data=form_data(own.id))
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    incident = db.session.execute(db.select(Incident).filter_by(client_id=own.id)).scalar_one()
    assert incident.client_name == own.name and incident.client_national_id == own.national_id
    assert incident.reporting_org_id == world.orgs["b"].id and incident.a_unit_id == world.orgs["a"].id
    assert incident.status == "recorded" and incident.severity == "moderate"


def test_client_of_another_unit_cannot_be_picked(client, world, login):
    login(world.users[roles.B_HEAD])
    foreign = world.clients["foreign"]
    assert client.get(f"/incidents/new?client_id={foreign.id}").status_code == 404
    assert client.post(f"/incidents/new?client_id={foreign.id}", data=form_data(foreign.id)).status_code == 404


def test_double_submit_creates_one_incident(client, world, login, app_ctx):
    login(world.users[roles.B_STAFF])
    own = world.clients["own"]
    data = form_data(own.id, submission_key="same-key")
    assert client.post(f"/incidents/new?client_id={own.id}", data=data).status_code == 303
    assert client.post(f"/incidents/new?client_id={own.id}", data=data).status_code == 303
    assert db.session.execute(db.select(db.func.count(Incident.id)).filter_by(client_id=own.id)).scalar_one() == 1


def test_form_errors_next_to_fields_and_input_kept(client, world, login):
    login(world.users[roles.B_HEAD])
    own = world.clients["own"]
    future = clock.now() + timedelta(days=2)
    data = form_data(own.id, occurred=future, place="other", categories_service=[], narrative="太短",
                     interventions=["medical"], no_intervention=["none_needed"], staff_types=["other"])
    page = client.post(f"/incidents/new?client_id={own.id}", data=data).get_data(as_text=True)
    for message in ("事件發生時間不能晚於現在", "選擇「長照特約單位」或「其他」時請說明</div>", "勾選「其他」時請說明",
                    "請至少勾選一項事件內容", "至少寫 20 個字", "擇一"):
        assert message in page, message
    assert "太短" in page


def test_outside_service_dv_must_use_the_anytime_option(client, world, login):
    login(world.users[roles.B_HEAD])
    own = world.clients["own"]
    page = client.post(f"/incidents/new?client_id={own.id}", data=form_data(
        own.id, period="non_service", categories_service=["dv_service"])).get_data(as_text=True)
    assert "請勾選（二）「家庭暴力事件暨性侵害責任通報」" in page


def test_visibility_and_every_view_is_logged(client, world, login, app_ctx):
    incident = make_incident(world.users[roles.B_HEAD], world.clients["own"], submit=True)
    db.session.commit()
    allowed = [world.users[r] for r in (roles.B_HEAD, roles.B_STAFF, roles.A_CASE_MANAGER, roles.A_UNIT_HEAD,
                                        roles.BUREAU_OFFICER, roles.CARE_MANAGER, roles.CARE_SUPERVISOR,
                                        roles.BUREAU_CHIEF)]
    for user in allowed:
        login(user)
        assert client.get(f"/incidents/{incident.id}").status_code == 200, user.role
    views = db.session.execute(db.select(AuditLogEntry).filter_by(action="incident.viewed",
                                                                   entity_id=incident.id)).scalars().all()
    assert sorted(v.actor_id for v in views) == sorted(u.id for u in allowed)
    for user in (world.other_users[roles.B_HEAD], world.other_users[roles.A_CASE_MANAGER]):
        login(user)
        assert client.get(f"/incidents/{incident.id}").status_code == 404
    for role in (roles.GUIDANCE_STAFF, roles.AUDITOR, roles.APPLICANT):
        login(world.users[role])
        assert client.get(f"/incidents/{incident.id}").status_code == 403


def test_a_unit_of_the_client_sees_incidents_reported_by_a_b_unit(client, world, login, app_ctx):
    make_incident(world.users[roles.B_HEAD], world.clients["own"], narrative="甲" * 30)
    db.session.commit()
    login(world.users[roles.A_CASE_MANAGER])
    assert "本單位個案" in client.get("/incidents?status=all").get_data(as_text=True)
    login(world.other_users[roles.A_CASE_MANAGER])
    assert "本單位個案" not in client.get("/incidents?status=all").get_data(as_text=True)


def test_another_b_unit_serving_the_same_client_does_not_see_it(client, world, login, app_ctx):
    other_b = make_user(roles.B_HEAD, world.orgs["b_other"])
    shared = make_client([world.orgs["a"], world.orgs["b"], world.orgs["b_other"]], name="共同個案")
    incident = make_incident(world.users[roles.B_HEAD], shared)
    db.session.commit()
    login(other_b)
    assert client.get(f"/incidents/{incident.id}").status_code == 404


def test_submit_needs_the_advance_notification_for_moderate(client, world, login, app_ctx):
    incident = make_incident(world.users[roles.B_HEAD], world.clients["own"])
    db.session.commit()
    login(world.users[roles.B_HEAD])
    page = client.post(f"/incidents/{incident.id}/submit", data={"version": incident.version}).get_data(as_text=True)
    assert "先行通報主管機關" in page and _incident(incident.id).status == "recorded"
    now = clock.now()
    response = client.post(f"/incidents/{incident.id}/notify", data={
        "notified_date": f"{now.year - 1911}/{now.month}/{now.day}", "notified_time": f"{now:%H:%M}",
        "channel": "phone", "contacted": "衛生局長照科 李承辦", "notifier_name": "王主任"})
    assert response.status_code == 303
    assert _incident(incident.id).status == "authority_notified"
    assert client.post(f"/incidents/{incident.id}/submit", data={}).status_code == 303
    incident = _incident(incident.id)
    assert incident.status == "initial_submitted"
    report = incident.reports[0]
    assert report.kind == "initial" and report.snapshot["client_name"] == "本單位個案"
    assert {r.target for r in report.routes} == {"a_unit", "care_centre", "bureau"}
    # A second click is refused with a clear message and nothing changes.
    page = client.post(f"/incidents/{incident.id}/submit", data={}).get_data(as_text=True)
    assert "已經遞交過了" in page
    assert db.session.execute(db.select(db.func.count(IncidentReport.id)).filter_by(incident_id=incident.id)).scalar_one() == 1


def test_submitted_form_cannot_be_edited(client, world, login, app_ctx):
    incident = make_incident(world.users[roles.B_HEAD], world.clients["own"], submit=True)
    db.session.commit()
    login(world.users[roles.B_HEAD])
    response = client.post(f"/incidents/{incident.id}/edit", data=form_data(world.clients["own"].id,
                                                                            narrative="改寫" * 20))
    assert response.status_code == 303
    assert _incident(incident.id).narrative.startswith("個案於上午")


def test_stale_edit_of_a_draft(client, world, login, app_ctx):
    incident = make_incident(world.users[roles.B_HEAD], world.clients["own"])
    db.session.commit()
    seen = incident.version
    own = world.clients["own"]
    login(world.users[roles.B_HEAD])
    first = form_data(own.id, narrative="第一位修改的內容，說明事發經過與處理情形完整。", version=seen)
    second = form_data(own.id, narrative="第二位修改的內容，說明事發經過與處理情形完整。", version=seen)
    assert client.post(f"/incidents/{incident.id}/edit", data=first).status_code == 303
    page = client.post(f"/incidents/{incident.id}/edit", data=second).get_data(as_text=True)
    assert "已被其他人更新" in page and "第二位修改的內容" in page
    assert _incident(incident.id).narrative.startswith("第一位")


def test_only_the_reporting_unit_edits(client, world, login, app_ctx):
    incident = make_incident(world.users[roles.B_HEAD], world.clients["own"])
    db.session.commit()
    login(world.users[roles.A_CASE_MANAGER])
    assert client.get(f"/incidents/{incident.id}/edit").status_code == 403
    login(world.users[roles.BUREAU_OFFICER])
    assert client.get(f"/incidents/{incident.id}/edit").status_code == 403


def test_list_fragment_and_scope(client, world, login, app_ctx):
    make_incident(world.users[roles.B_HEAD], world.clients["own"])
    db.session.commit()
    login(world.users[roles.B_HEAD])
    response = client.get("/incidents?status=all", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert "<html" not in body and "本單位個案" in body and FOREIGN_MARKER not in body
    login(world.users[roles.BUREAU_OFFICER])
    assert FOREIGN_MARKER in client.get("/incidents?status=all").get_data(as_text=True)


def test_list_filters_answer_200_with_the_filter_selected(client, world, login, app_ctx):
    """The status filter is a template variable, not the HTTP status (it once answered「0 open」)."""
    login(world.users[roles.BUREAU_OFFICER])
    for url, selected in (("/incidents", '<option value="open" selected>'),
                          ("/incidents?status=closed", '<option value="closed" selected>'),
                          ("/disputes", '<option value="open" selected>'),
                          ("/disputes?status=all", '<option value="all" selected>')):
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code == 200, (url, response.status)
        assert selected in client.get(url).get_data(as_text=True), url


def test_new_dispute_with_an_impossible_incident_id_is_not_found(client, world, login):
    """Found by the hostile-input test: a 20-digit incident_id overflowed SQLite's integer (500)."""
    from portal.auth import roles
    login(world.users[roles.BUREAU_OFFICER])
    assert client.get("/disputes/new?incident_id=" + "9" * 20).status_code == 404
