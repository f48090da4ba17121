"""Demo incidents for `flask seed-demo`: every screen of the area has something to show.

Times are relative to now, so the board always has one moderate incident close to its
4-hour notification deadline, an overdue one, a 續報 awaiting its 結報, a closed case,
an outside-service-hours platform record, a suicide-attempt report by the care centre,
and an incident with a dispute-mediation request.
"""
import random
from datetime import timedelta

from portal import clock
from portal.clients.models import Client, ClientAccess
from portal.demo import demo_seeder
from portal.extensions import db


def _client_of(ctx, org_key, skip=0):
    """Return a demo client the organisation serves (the `skip`-th one)."""
    org = ctx.orgs[org_key]
    relation = "a_unit" if org.kind == "a_unit" else "b_unit"
    clients = db.session.execute(
        db.select(Client).join(ClientAccess, ClientAccess.client_id == Client.id)
        .where(ClientAccess.organisation_id == org.id, ClientAccess.relation == relation,
               ClientAccess.ended_at.is_(None)).order_by(Client.id)).scalars().all()
    return clients[skip % len(clients)] if clients else ctx.clients[0]


def _data(occurred, **over):
    data = {"period": "service", "occurred_at": occurred, "learned_at": None, "place": "home",
            "severity": "mild", "staff_types": ["home_carer"], "categories": ["care_accident"],
            "no_intervention": [], "interventions": ["comfort"], "unit_caused": False,
            "reporter_title": None, "supervisor_name_title": None}
    data.update(over)
    return data


@demo_seeder(order=60)
def seed_incidents(ctx):
    from portal.incidents import operations as ops

    users, now = ctx.users, clock.now().replace(second=0, microsecond=0)

    def at(moment):
        return clock.freeze(moment)

    def notify(user, incident, moment, contacted="示範縣衛生局長照科 李淑芬承辦"):
        with at(moment):
            ops.record_notification(user, incident, notified_at=moment, channel="phone", channel_other=None,
                                    contacted=contacted, notifier_name=incident.supervisor_name_title or user.full_name)

    def receive(user, report, moment, channel="phone"):
        with at(moment):
            ops.record_receipt(user, report, channel=channel, channel_other=None, receiver_name=user.full_name,
                               received_at=moment)

    # 1. Moderate, during service, 3 h 10 min ago: the 4-hour notification is almost due.
    b1, c1 = users["b1head"], _client_of(ctx, "b1")
    occurred = now - timedelta(hours=3, minutes=10)
    with at(occurred + timedelta(minutes=40)):
        ops.create_incident(b1, c1, _data(
            occurred, severity="moderate", place="provider", place_note="陳美華家庭托顧服務據點客廳",
            categories=["care_accident", "medical_transfer"], interventions=["medical", "comfort"],
            narrative="個案午睡起身時自行走向廁所，家托員在旁照顧另一位長輩，個案於客廳滑倒，左髖部疼痛無法站立。"
                      "家托員立即協助個案平躺並通知家屬，撥打119送往示範醫院急診，照X光待報告。",
            reporter_title="家托員（負責人）", supervisor_name_title="陳美華（負責人）"))

    # 2. Severe, with a 續報 (hospitalised) and awaiting the 結報.
    b3, b3staff, c3 = users["b3head"], users["b3staff"], _client_of(ctx, "b3")
    occurred = now - timedelta(days=6, hours=2)
    with at(occurred + timedelta(minutes=25)):
        inc2 = ops.create_incident(b3staff, c3, _data(
            occurred, severity="severe", categories=["care_accident"], staff_types=["home_carer"],
            interventions=["medical", "comfort"], provider_unit_name="示範縣安心居家長照機構",
            narrative="居服員協助個案沐浴後移位至輪椅時，個案突然腿軟跌坐地面，右前臂變形腫脹。居服員立即通知督導及家屬，"
                      "由救護車送至示範醫院急診，診斷為右橈骨骨折，需住院手術。",
            reporter_title="居家服務督導員", supervisor_name_title="謝明德（機構負責人）",
            platform_recorded_at=occurred + timedelta(hours=4, minutes=50)))
    notify(b3, inc2, occurred + timedelta(minutes=45))
    with at(occurred + timedelta(hours=5)):
        ops.submit_initial(b3staff, inc2)
    receive(users["officer"], inc2.reports[0], occurred + timedelta(hours=6), channel="email")
    known = now - timedelta(days=3, hours=4)
    with at(known + timedelta(hours=20)):
        fu = ops.start_report(b3staff, inc2, "followup", {
            "change_known_at": known, "severity": "severe", "interventions": ["comfort"],
            "content": "個案已於示範醫院完成骨折復位手術，預計再住院五天；家屬表示理解，機構督導已至醫院探視。"
                       "出院後將重新評估居家沐浴移位方式，並增加一名居服員協助。",
            "reporter_title": "居家服務督導員", "supervisor_name_title": "謝明德（機構負責人）"})
        ops.submit_report(b3staff, fu)
    with at(known + timedelta(days=1)):
        ops.add_handling(users["caremgr"], inc2, "已電訪家屬，了解手術順利；出院後將重新評估照顧計畫。")

    # 3. Mild medication event, closed.
    b2, c2 = users["b2head"], _client_of(ctx, "b2")
    occurred = now - timedelta(days=24, hours=5)
    with at(occurred + timedelta(hours=1)):
        inc3 = ops.create_incident(b2, c2, _data(
            occurred, severity="mild", categories=["medication"], staff_types=["other"], staff_other="家托員",
            interventions=["comfort", "other"], intervention_other="聯絡藥師確認並觀察生命徵象", unit_caused=True,
            narrative="中午協助個案服藥時，誤將晚餐後的降血壓藥一併給予，發現後立即聯絡社區藥局藥師，"
                      "依指示量測血壓每小時一次，個案無頭暈等不適。",
            improvement_plan="服藥改用分格藥盒並標示時段，給藥前與家屬確認藥袋；本月參加用藥安全課程。",
            reporter_title="家托員（負責人）", supervisor_name_title="林秀英（負責人）",
            platform_recorded_at=occurred + timedelta(hours=2, minutes=40)))
    with at(occurred + timedelta(hours=3)):
        ops.submit_initial(b2, inc3)
    receive(users["caremgr"], inc3.reports[0], occurred + timedelta(hours=4))
    with at(occurred + timedelta(days=6)):
        closing = ops.start_report(b2, inc3, "closing", {
            "severity": "none", "interventions": ["comfort"],
            "content": "個案經一週觀察血壓穩定，無後遺症。已改用分格藥盒並完成用藥安全課程，申請結案。",
            "improvement_plan": "分格藥盒、給藥雙重確認（家托員與家屬），每月自我檢核一次。",
            "reporter_title": "家托員（負責人）", "supervisor_name_title": "林秀英（負責人）"})
        ops.submit_report(b2, closing)
    receive(users["officer"], closing, occurred + timedelta(days=6, hours=2))
    with at(occurred + timedelta(days=7)):
        ops.add_handling(users["supervisor"], inc3, "已確認改善措施落實，建議結案。")
        ops.add_handling(users["officer"], inc3, "同意結案，列入年度查核追蹤。")
        _acknowledge_all(ctx, inc3)
        ops.close_incident(users["officer"], inc3)

    # 4. Outside service hours: a fall at night at home — platform record only.
    b4, c4 = users["b4head"], _client_of(ctx, "b4")
    occurred = now - timedelta(days=2, hours=14)
    learned = occurred + timedelta(hours=11)
    with at(learned + timedelta(hours=1)):
        inc4 = ops.create_incident(b4, c4, _data(
            occurred, period="non_service", learned_at=learned, severity="mild", categories=["care_accident"],
            interventions=["comfort"], platform_recorded_at=learned + timedelta(minutes=50),
            narrative="個案夜間自行如廁時於房內跌倒，右膝擦傷，由家屬處理。居服員隔日上午到宅服務時得知，已協助消毒傷口並提醒夜間照明。",
            reporter_title="機構負責人"))
        ops.record_platform_only(b4, inc4)

    # 5. Security event with a dispute-mediation request from the family.
    c5 = _client_of(ctx, "b3", skip=1)
    occurred = now - timedelta(days=9, hours=3)
    with at(occurred + timedelta(hours=1)):
        inc5 = ops.create_incident(b3, c5, _data(
            occurred, severity="none", categories=["security", "improper_benefit"], staff_types=["home_carer"],
            interventions=["comfort", "other"], intervention_other="暫停該居服員服務並啟動內部調查",
            narrative="家屬表示個案存放於抽屜的現金短少新臺幣五千元，懷疑服務期間遺失，並指稱居服員曾向個案推銷保健食品。"
                      "機構已向家屬致歉並說明將調查釐清。",
            reporter_title="機構負責人", supervisor_name_title="謝明德（機構負責人）",
            platform_recorded_at=occurred + timedelta(hours=5)))
    with at(occurred + timedelta(hours=6)):
        ops.submit_initial(b3, inc5)
    receive(users["officer"], inc5.reports[0], occurred + timedelta(hours=20))
    with at(now - timedelta(days=5)):
        ops.create_dispute(users["officer"], {
            "applicant_name": c5.contacts[0].name if c5.contacts else "家屬", "applicant_relation": "子女",
            "applicant_contact": c5.contacts[0].phone if c5.contacts else None,
            "subject": "居家服務期間財物短少及不當推銷",
            "claim": "申請人主張服務期間個案現金短少，請求機構賠償並更換服務人員。",
            "received_on": (now - timedelta(days=5)).date()}, incident=inc5)

    # 6. Suicide attempt learned of by the care centre's 照專 during a home visit.
    caremgr, c6 = users["caremgr"], _client_of(ctx, "a1", skip=5)
    learned = now - timedelta(hours=20)
    with at(learned + timedelta(hours=2)):
        inc6 = ops.create_incident(caremgr, c6, _data(
            learned - timedelta(hours=14), period="non_service", learned_at=learned, severity="mild",
            place="home", categories=["suicide_self_harm"], staff_types=["professional"],
            interventions=["suicide_reported", "comfort"], suicide_reported_at=learned + timedelta(hours=1),
            provider_unit_name="示範縣長期照顧管理中心",
            narrative="照專家訪時，主要照顧者表示個案昨晚服用過量安眠藥後自行催吐，今日意識清楚。照專已陪同家屬聯繫身心科門診，"
                      "並完成自殺防治通報。",
            reporter_title="照顧管理專員", supervisor_name_title="吳建宏（照顧管理督導）",
            platform_recorded_at=learned + timedelta(hours=2)))
        ops.submit_initial(caremgr, inc6)

    # 7. Domestic violence learned of 30 hours ago; the form is overdue.
    a2cm, c7 = users["a2cm"], _client_of(ctx, "a2", skip=3)
    learned = now - timedelta(hours=30)
    with at(learned + timedelta(hours=3)):
        ops.create_incident(a2cm, c7, _data(
            learned, period="service", severity="moderate", categories=["dv_sexual_assault"],
            staff_types=["other"], staff_other="個案管理師", interventions=["dv_reported", "comfort"],
            dv_reported_at=learned + timedelta(hours=2),
            narrative="個管師家訪時發現個案手臂多處瘀青，個案表示遭同住兒子推倒。已於當日完成家庭暴力責任通報（E關懷），"
                      "並安排個案暫時至親戚家居住。",
            reporter_title="個案管理師", supervisor_name_title=None))

    _seed_history(ctx, now)


# A year of closed cases, so the monthly statistics and their 12-month trend have something to show.
_HISTORY = [
    ("b1head", "b1", "mild", ["care_accident"], "協助個案由椅子起身時個案膝蓋無力跌坐，右膝輕微擦傷，已消毒包紮並通知家屬。"),
    ("b2head", "b2", "none", ["medication"], "發現個案自備藥盒內藥物份量與藥單不符，未服用前即發現，已聯絡家屬與藥師重新分裝。"),
    ("b3staff", "b3", "moderate", ["medical_transfer"], "服務中個案突發胸悶冒冷汗，居服員立即撥打119送醫，急診檢查後留院觀察。"),
    ("b4head", "b4", "mild", ["harmful_behaviour"], "個案情緒激動推擠居服員，居服員手臂瘀青；已安撫個案並與家屬討論照顧方式。"),
    ("b3staff", "b3", "none", ["security"], "到宅時發現大門未鎖、個案不在家，協同家屬於附近公園尋獲個案，個案平安。"),
    ("a1cm", "a1", "moderate", ["care_accident", "medical_transfer"], "個管師家訪時個案於浴室滑倒，額頭撕裂傷，協助送醫縫合三針。"),
    ("b1head", "b1", "none", ["public_accident"], "托顧期間颱風停電，家托員啟動緊急應變，以備用照明與電扇照顧個案，無人受傷。"),
    ("b4head", "b4", "severe", ["care_accident"], "協助移位時個案跌倒致左手腕骨折，送醫後住院手術，機構已檢討移位輔具使用。"),
]


def _acknowledge_all(ctx, incident):
    """The client's A unit confirmed every report it was sent (closed demo cases)."""
    from portal.incidents import operations as ops
    for report in incident.submitted_reports:
        for route in report.routes:
            if route.target == "a_unit" and route.acknowledged_at is None:
                head = next((u for u in ctx.users.values()
                             if u.role == "a_unit_head" and u.organisation_id == route.organisation_id), None)
                if head is not None:
                    ops.acknowledge_route(head, route)


def _seed_history(ctx, now):
    from portal.incidents import operations as ops

    rng = random.Random(7)
    users = ctx.users
    for back in range(1, 12):
        for n in range(rng.randint(1, 3)):
            username, org_key, severity, categories, text = _HISTORY[(back * 3 + n) % len(_HISTORY)]
            user = users[username]
            client = _client_of(ctx, org_key, skip=back + n)
            occurred = (now - timedelta(days=30 * back + rng.randint(0, 20))).replace(hour=rng.choice((9, 10, 14, 15)))
            with clock.freeze(occurred + timedelta(minutes=30)):
                incident = ops.create_incident(user, client, _data(
                    occurred, severity=severity, categories=categories, narrative=text,
                    interventions=["medical", "comfort"] if severity in ("moderate", "severe") else ["comfort"],
                    reporter_title=user.job_title, supervisor_name_title=f"{user.organisation.head_name or user.full_name}（主管）",
                    platform_recorded_at=occurred + timedelta(hours=2)))
                if severity in ("moderate", "severe"):
                    ops.record_notification(user, incident, notified_at=occurred + timedelta(minutes=35),
                                            channel="phone", channel_other=None, contacted="示範縣衛生局長照科",
                                            notifier_name=incident.supervisor_name_title)
            with clock.freeze(occurred + timedelta(hours=3)):
                ops.submit_initial(user, incident)
            with clock.freeze(occurred + timedelta(hours=5)):
                ops.record_receipt(users["officer"], incident.reports[0], channel="phone", channel_other=None,
                                   receiver_name=users["officer"].full_name, received_at=occurred + timedelta(hours=5))
            with clock.freeze(occurred + timedelta(days=7)):
                closing = ops.start_report(user, incident, "closing", {
                    "severity": severity, "interventions": ["comfort"], "content": "個案狀況穩定，已完成後續追蹤，申請結案。",
                    "improvement_plan": "已於單位內部會議檢討並加強教育訓練。",
                    "reporter_title": user.job_title, "supervisor_name_title": incident.supervisor_name_title})
                ops.submit_report(user, closing)
            with clock.freeze(occurred + timedelta(days=7, hours=2)):
                _acknowledge_all(ctx, incident)
            with clock.freeze(occurred + timedelta(days=8)):
                ops.add_handling(users["officer"], incident, "已確認單位改善情形，同意結案。")
                ops.close_incident(users["officer"], incident)
