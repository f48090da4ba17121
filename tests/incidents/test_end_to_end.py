"""From 初報 to 結報 and 結案 as the demo users (b1head, a1head, officer, caremgr, chief)."""
from datetime import timedelta

from portal import clock
from portal.auth.models import User
from portal.clients.models import Client, ClientAccess
from portal.extensions import db
from portal.incidents.models import Incident


def _roc(moment):
    local = moment.astimezone(clock.TAIPEI)
    return f"{local.year - 1911}/{local.month}/{local.day}", f"{local:%H:%M}"


def _demo(app_ctx):
    from portal.demo_data import seed_all
    seed_all("demo1234")
    db.session.commit()
    return {u.username: u for u in db.session.execute(db.select(User)).scalars()}


def test_initial_to_closing_report_as_the_demo_users(client, login, app_ctx):
    users = _demo(app_ctx)
    b1 = users["b1head"]
    served = db.session.execute(db.select(Client).join(ClientAccess, ClientAccess.client_id == Client.id).where(
        ClientAccess.organisation_id == b1.organisation_id, ClientAccess.relation == "b_unit")
        .order_by(Client.id.desc())).scalars().first()

    # 1. The family-care carer records a moderate fall during service, picking the client from her list.
    login(b1, "demo1234")
    assert served.name in client.get("/incidents/new").get_data(as_text=True)
    occurred = clock.now() - timedelta(hours=2)
    day, hhmm = _roc(occurred)
    response = client.post(f"/incidents/new?client_id={served.id}", data={
        "submission_key": "e2e-1", "client_id": served.id, "period": "service", "occurred_date": day,
        "occurred_time": hhmm, "place": "provider", "place_note": "托顧家庭客廳", "severity": "moderate",
        "provider_unit_name": "陳美華家庭托顧服務", "staff_types": ["other"], "staff_other": "家托員",
        "categories_service": ["care_accident", "medical_transfer"],
        "narrative": "個案午睡後起身如廁時滑倒，左髖疼痛無法站立，家托員協助平躺並通知家屬，送醫檢查。",
        "interventions": ["medical", "comfort"], "reporter_title": "家托員", "supervisor_name_title": "陳美華（負責人）"})
    assert response.status_code == 303
    incident = db.session.execute(db.select(Incident).filter_by(client_id=served.id)
                                  .order_by(Incident.id.desc())).scalars().first()
    assert incident.a_unit_id is not None
    page = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "先行通報主管機關" in page and "data-deadline" in page

    # 2. She phones the bureau within 4 hours, records it, and submits the 初報.
    day, hhmm = _roc(occurred + timedelta(hours=1))
    assert client.post(f"/incidents/{incident.id}/notify", data={
        "notified_date": day, "notified_time": hhmm, "channel": "phone", "contacted": "衛生局長照科 李淑芬",
        "notifier_name": "陳美華"}).status_code == 303
    assert client.post(f"/incidents/{incident.id}/submit", data={}).status_code == 303

    # 3. The client's A unit confirms it received the report.
    a_head = next(u for u in users.values() if u.role == "a_unit_head" and u.organisation_id == incident.a_unit_id)
    login(a_head, "demo1234")
    home = client.get("/").get_data(as_text=True)
    assert incident.ref_no in home
    db.session.expire_all()
    incident = db.session.get(Incident, incident.id)
    route = next(r for r in incident.reports[0].routes if r.target == "a_unit")
    assert client.post(f"/incidents/{incident.id}/routes/{route.id}/ack").status_code == 303

    # 4. The bureau officer records the receipt (§十).
    login(users["officer"], "demo1234")
    assert incident.ref_no in client.get("/incidents/board").get_data(as_text=True)
    report = incident.reports[0]
    day, hhmm = _roc(clock.now())
    assert client.post(f"/incidents/{incident.id}/reports/{report.id}/receipt", data={
        f"r{report.id}-channel": "phone", f"r{report.id}-receiver_name": "李淑芬",
        f"r{report.id}-received_date": day, f"r{report.id}-received_time": hhmm}).status_code == 303

    # 5. A 續報: the client was admitted to hospital (severity raised).
    login(b1, "demo1234")
    day, hhmm = _roc(clock.now() - timedelta(minutes=5))
    assert client.post(f"/incidents/{incident.id}/reports/new?kind=followup", data={
        "submission_key": "e2e-fu", "change_known_date": day, "change_known_time": hhmm, "severity": "severe",
        "content": "個案經診斷為左股骨頸骨折，已住院等待手術。", "interventions": ["comfort"],
        "reporter_title": "家托員", "supervisor_name_title": "陳美華（負責人）", "action": "submit"}).status_code == 303
    db.session.expire_all()
    incident = db.session.get(Incident, incident.id)
    assert incident.status == "follow_up" and incident.severity == "severe"
    assert any(d.key.startswith("notify_upgrade") for d in incident.schedule())

    # 6. The 結報.
    assert client.post(f"/incidents/{incident.id}/reports/new?kind=closing", data={
        "submission_key": "e2e-close", "severity": "severe",
        "content": "個案手術順利，已出院返家由家屬照顧，暫停托顧服務，申請結案。", "interventions": ["comfort"],
        "reporter_title": "家托員", "supervisor_name_title": "陳美華（負責人）", "action": "submit"}).status_code == 303

    # 7. The 照專 and the chief fill §十一; the chief closes the case.
    login(users["caremgr"], "demo1234")
    assert client.post(f"/incidents/{incident.id}/handling", data={"text": "已家訪確認，出院後重新評估照顧計畫。"}
                       ).status_code == 303
    login(users["chief"], "demo1234")
    assert client.post(f"/incidents/{incident.id}/handling", data={"text": "同意結案。"}).status_code == 303
    assert client.post(f"/incidents/{incident.id}/close", data={}).status_code == 303
    db.session.expire_all()
    incident = db.session.get(Incident, incident.id)
    assert incident.status == "closed"
    assert [r.title for r in incident.submitted_reports] == ["初報", "續報（第1次）", "結報"]
    closing = next(d for d in incident.schedule() if d.key == "closing")
    assert closing.state(clock.now()) == "on_time"
    pdf = client.get(f"/incidents/{incident.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_demo_data_has_every_kind_of_incident(app_ctx):
    _demo(app_ctx)
    incidents = db.session.execute(db.select(Incident)).scalars().all()
    statuses = {i.status for i in incidents}
    assert {"recorded", "follow_up", "closed", "platform_only", "received", "initial_submitted"} <= statuses
    now = clock.now()
    near = [i for i in incidents if i.status == "recorded" and i.severity == "moderate"
            and any(d.key == "notify" and d.state(now) == "pending" and d.due_at - now < timedelta(hours=1)
                    for d in i.schedule())]
    assert near, "one open moderate incident close to its notification deadline"
    assert any(i.disputes for i in incidents)
    assert len({i.reporting_org_id for i in incidents}) >= 4
