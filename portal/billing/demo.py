"""Demo data for family care (`flask seed-demo`): the two demo homes with admitted clients,
two full past months of records (declared), the current month in progress, a payment
request for the officer to review, a correction to decide, and carer items expiring soon."""
from datetime import date, datetime, time, timedelta

from portal import clock
from portal.billing import operations as ops
from portal.billing import rules
from portal.billing.models import Carer, CprCertificate, HealthCheck, ServiceDay, ServiceDayRevision
from portal.demo import demo_seeder
from portal.extensions import db

CONTENTS = ["午餐、午休、團體懷舊活動", "血壓量測、肢體伸展運動", "午餐、桌遊認知訓練", "協助如廁、散步、唱歌",
            "午餐、手工藝活動", "復健運動、點心時間"]


def _admission_data(client, admitted_on, **over):
    data = {"admitted_on": admitted_on, "carer_relation": "none", "welfare_status": client.welfare_status,
            "cms_level": client.cms_level, "monthly_quota": None, "institutional_placement": False,
            "foreign_caregiver": False, "special_allowance": None, "service_contract_on": admitted_on,
            "identity_checked_on": admitted_on, "health_check_on": admitted_on - timedelta(days=10),
            "health_check_items": [key for key, _ in rules.CLIENT_HEALTH_CHECK_ITEMS]}
    data.update(over)
    return data


def _add_day(user, admission, day, k, *, half=False):
    """Write a day's record directly (seeding history bypasses the lock), with its first revision."""
    record = ServiceDay(organisation_id=admission.organisation_id, admission_id=admission.id,
                        client_id=admission.client_id, day=day, attended=True,
                        kind="half_day" if half else "full_day", start_time=time(8, 0),
                        end_time=time(12, 0) if half else time(17, 0), bath=(day.day + k) % 4 == 0,
                        dinner=(day.day + k) % 3 == 0, content=CONTENTS[(day.day + k) % len(CONTENTS)],
                        created_by_id=user.id, updated_by_id=user.id)
    db.session.add(record)
    db.session.flush()
    db.session.add(ServiceDayRevision(service_day_id=record.id, number=1, data=ops.record_snapshot(record),
                                      changed_by_id=user.id))


def _fill(user, admissions, start, end):
    """Each client comes four weekdays out of five (one different client stays home each weekday), so a
    day never has more than four persons and a week never more than five days (R-CAPF-01/02)."""
    day = start
    while day <= end:
        if day.weekday() < 5:
            for k, admission in enumerate(admissions):
                if admission.active_on(day) and (day.weekday() + k) % 5 != 0:
                    _add_day(user, admission, day, k, half=(admission.client_id + day.day) % 9 == 0)
        day += timedelta(days=1)


def _carer(org, name, role, started, *, checked, cert_expires, phone):
    carer = Carer(organisation_id=org.id, name=name, role=role, started_on=started, phone=phone,
                  registration_no=f"LTC-{org.id:03d}-{len(name)}{started.year % 100:02d}")
    db.session.add(carer)
    db.session.flush()
    db.session.add(HealthCheck(carer_id=carer.id, checked_on=checked,
                               items={key: "normal" for key, _ in rules.HEALTH_CHECK_ITEMS}))
    db.session.add(CprCertificate(carer_id=carer.id, kind="BLS" if role == "carer" else "CPR",
                                  number=f"急救-{carer.id:04d}", issued_on=cert_expires - timedelta(days=730),
                                  expires_on=cert_expires))
    return carer


def _moment(day: date, hour=10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=clock.TAIPEI)


@demo_seeder(order=50)
def seed_family_care(ctx):
    today = ctx.today
    officer = ctx.users["officer"]
    this_month = rules.month_start(today)
    last_month = rules.previous_month(this_month)
    two_ago = rules.previous_month(last_month)
    admitted_on = rules.previous_month(two_ago) + timedelta(days=14)
    homes = {}
    for key, head_name in (("b1", "b1head"), ("b2", "b2head")):
        org, head = ctx.orgs[key], ctx.users[head_name]
        filing = ops.file_opening_hours(head, org.id, weekdays="01234", opens=time(7, 30), closes=time(18, 0),
                                        effective_from=admitted_on - timedelta(days=30))
        ops.decide_opening_hours(officer, filing, accept=True)
        ops.save_billing_profile(head, org.id, {"tax_id": "8765432" + key[-1], "bank_name": "示範縣農會信用部",
                                                "bank_account": f"0{key[-1]}12-345-67890{key[-1]}",
                                                "account_name": org.name})
        linked = [c for c in ctx.clients if any(a.organisation_id == org.id and a.relation == "b_unit"
                                                for a in c.access)]
        admissions = []
        for i, client in enumerate(linked[:5]):  # the sixth waits to be admitted
            over = {}
            if key == "b2" and i == 4:
                over["carer_relation"] = "parent"     # the carer's own mother: served, not subsidised (Q12)
            if key == "b1" and i == 3:
                over["monthly_quota"] = 15000          # over-quota days are self-paid (R-SUB-06)
            admissions.append(ops.admit_client(head, org.id, client, _admission_data(client, admitted_on, **over)))
        homes[key] = (org, head, admissions)

    # a welfare status change in the middle of last month (effective from the fact date, §九(二))
    b1_org, b1_head, b1_adm = homes["b1"]
    ops.record_subsidy_change(b1_head, b1_adm[0], field="welfare_status", value="mid_low",
                              fact_date=last_month + timedelta(days=14), notified_on=last_month + timedelta(days=16),
                              evidence="公所核定長照中低收入戶資格函（示範）", today=last_month + timedelta(days=16))

    for key, (org, head, admissions) in homes.items():
        _fill(head, admissions, admitted_on, today - timedelta(days=1))

    # two months ago: declared, approved and paid for both homes (the clock pinned so the history reads true)
    for key, (org, head, _) in homes.items():
        with clock.freeze(_moment(last_month.replace(day=3))):
            declaration = ops.submit_declaration(head, org.id, two_ago, now=_moment(last_month.replace(day=3)))
        with clock.freeze(_moment(last_month.replace(day=8))):
            ops.request_payment(head, declaration, receipt_date=last_month.replace(day=8),
                                now=_moment(last_month.replace(day=8)))
        with clock.freeze(_moment(last_month.replace(day=15), 15)):
            ops.approve_declaration(officer, declaration, amount=declaration.totals["total"])
        with clock.freeze(_moment(last_month.replace(day=25), 11)):
            ops.record_payment(officer, declaration, paid_on=last_month.replace(day=25))
    # last month: b1 has sent its payment request for the officer to review; b2 still has to declare
    if today >= this_month.replace(day=2):
        submitted_on, requested_on = min(today, this_month.replace(day=3)), min(today, this_month.replace(day=4))
        with clock.freeze(_moment(submitted_on)):
            declaration = ops.submit_declaration(b1_head, b1_org.id, last_month, now=_moment(submitted_on))
        with clock.freeze(_moment(requested_on, 14)):
            ops.request_payment(b1_head, declaration, receipt_date=requested_on, now=_moment(requested_on, 14))

    # a correction of a locked record, waiting for the bureau
    locked_month = last_month if rules.records_locked(last_month, today) else two_ago
    first_days = [d for d in rules.month_days(locked_month) if d.weekday() == 2]
    target = first_days[1]
    admission = next(a for k, a in enumerate(b1_adm) if (target.weekday() + k) % 5 != 0)
    ops.request_correction(b1_head, admission, target,
                           {"attended": True, "kind": "full_day", "start_time": time(8), "end_time": time(17, 30),
                            "bath": True, "dinner": True, "content": "午餐、沐浴、晚餐"},
                           reason="當日有協助沐浴並供應晚餐，家屬 17:30 才接回，登打時漏填（示範）", submission_key="demo-correction-1",
                           now=_moment(today))

    # carers: items expiring within 60 days for the home and its guidance unit to see
    b2_org = homes["b2"][0]
    _carer(b1_org, "陳美華", "carer", date(2021, 3, 1), checked=today - timedelta(days=330),
           cert_expires=today + timedelta(days=40), phone="0912-111-222")
    _carer(b1_org, "王小琪", "substitute", date(2023, 8, 1), checked=today - timedelta(days=90),
           cert_expires=today + timedelta(days=400), phone="0922-333-444")
    _carer(b2_org, "林秀英", "carer", date(2020, 6, 1), checked=today - timedelta(days=120),
           cert_expires=today + timedelta(days=300), phone="0933-555-666")
    substitute = _carer(b2_org, "黃阿嬌", "substitute", date(2022, 2, 1), checked=today - timedelta(days=380),
                        cert_expires=today + timedelta(days=20), phone="0955-777-888")
    db.session.flush()
    ops.submit_staff_change(ctx.users["b2head"], b2_org.id, kind="replace", person_out=substitute,
                            person_in_name="張美玲", person_in_role="substitute",
                            effective_on=today + timedelta(days=45),
                            reason="替代照顧者黃阿嬌因家庭因素離職；新任張美玲已完成照顧服務員訓練，持有效 CPR 證明，健康檢查報告附後。",
                            today=today)
