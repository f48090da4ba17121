"""Admission, daily records and their limits, the lock and corrections (family-care.md §4, §9, §12.1)."""
from datetime import date, datetime, time

import pytest

from portal import clock
from portal.auditlog.models import AuditLogEntry
from portal.auth import roles
from portal.billing import operations as ops
from portal.billing.models import CareAdmission, CorrectionRequest, ServiceDay
from portal.errors import Refused, StaleEdit, TransitionNotAllowed
from portal.extensions import db
from portal.orgs.models import OrganisationLink
from tests.billing.conftest import admit, record
from tests.factories import FOREIGN_MARKER, make_client

MON = date(2025, 3, 3)


def _row(prefix, **over):
    data = {f"{prefix}-attended": "y", f"{prefix}-kind": "full_day", f"{prefix}-start_time": "08:00",
            f"{prefix}-end_time": "17:00", f"{prefix}-content": "午餐"}
    for key, value in over.items():
        if value is None:
            data.pop(f"{prefix}-{key}", None)
        else:
            data[f"{prefix}-{key}"] = value
    return data


# --- admission ------------------------------------------------------------------------------------

def test_admission_shows_eligibility_and_needs_dispatch(client, world, home, login, app_ctx):
    login(world.users[roles.B_HEAD])
    young = make_client([home], name="年輕個案", birth_date=date(1970, 1, 1))
    page = client.get(f"/billing/homes/{home.id}/admissions/new").get_data(as_text=True)
    assert "年輕個案" in page and FOREIGN_MARKER not in page
    form = {"client_id": young.id, "admitted_on": "114/1/2", "carer_relation": "none", "welfare_status": "general",
            "cms_level": "4", "special_allowance": "", "check": "1"}
    checked = client.post(f"/billing/homes/{home.id}/admissions/new", data=form,
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in checked and "不符合補助資格" in checked and "未滿65歲" in checked
    form.pop("check")
    assert client.post(f"/billing/homes/{home.id}/admissions/new", data=form).status_code == 303
    admission = db.session.execute(db.select(CareAdmission).filter_by(client_id=young.id)).scalar_one()
    assert not admission.eligible_at_admission and "未滿65歲" in admission.eligibility_summary
    # a client of another unit cannot be admitted through a forged id
    foreign = world.clients["foreign"]
    page = client.post(f"/billing/homes/{home.id}/admissions/new",
                       data={**form, "client_id": foreign.id}).get_data(as_text=True)
    assert FOREIGN_MARKER not in page and db.session.execute(
        db.select(CareAdmission).filter_by(client_id=foreign.id, organisation_id=home.id)).first() is None


def test_admission_family_relation_explained(world, home, app_ctx):
    mother = admit(world, carer_relation="parent")
    assert not mother.eligible_at_admission
    assert "不得申請照顧服務費用補助" in mother.eligibility_summary
    sibling = admit(world, carer_relation="sibling")
    assert sibling.eligible_at_admission


def test_admission_twice_refused(world, home, app_ctx):
    admission = admit(world)
    with pytest.raises(Refused):
        ops.admit_client(world.users[roles.B_HEAD], home.id, admission.client, {"admitted_on": date(2025, 2, 1)})


def test_guidance_reads_but_never_edits(client, world, home, login, app_ctx):
    admission = admit(world)
    record(world, admission, MON)
    guide = world.users[roles.GUIDANCE_STAFF]
    login(guide)
    assert client.get(f"/billing/homes/{home.id}").status_code == 404        # not linked yet
    db.session.add(OrganisationLink(from_org_id=guide.organisation_id, to_org_id=home.id, relation="guides"))
    db.session.commit()
    page = client.get(f"/billing/homes/{home.id}/days/{MON.isoformat()}").get_data(as_text=True)
    assert admission.client.name in page and "輔導單位僅能檢視" in page and 'hx-post' not in page
    assert client.post(f"/billing/homes/{home.id}/days/{MON.isoformat()}/clients/{admission.id}",
                       data=_row(f"r{admission.id}")).status_code == 403
    assert client.get(f"/billing/homes/{home.id}/admissions/new").status_code == 403


# --- the day sheet --------------------------------------------------------------------------------

def test_day_sheet_row_saves_with_htmx_and_plain_post(client, world, home, login, app_ctx):
    admission = admit(world)
    login(world.users[roles.B_STAFF])
    url = f"/billing/homes/{home.id}/days/{MON.isoformat()}"
    with clock.freeze(datetime(2025, 3, 3, 17, 30)):
        page = client.get(url).get_data(as_text=True)
        assert f'id="row-{admission.id}"' in page and "本日收托 <strong>0</strong>" in page
        response = client.post(f"{url}/clients/{admission.id}", data=_row(f"r{admission.id}", bath="y"),
                               headers={"HX-Request": "true"})
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and "<html" not in body and "已儲存" in body
        assert response.headers["HX-Trigger"] == "billing-day-changed"
        counter = client.get(url + "?part=counter", headers={"HX-Request": "true"}).get_data(as_text=True)
        assert "本日收托 <strong>1</strong>" in counter
        saved = db.session.execute(db.select(ServiceDay).filter_by(client_id=admission.client_id)).scalar_one()
        assert saved.bath and not saved.late_entry and len(saved.revisions) == 1
        # plain post (no JavaScript): redirect back to the row
        second = client.post(f"{url}/clients/{admission.id}",
                             data=_row(f"r{admission.id}", version=str(saved.version), dinner="y"))
        assert second.status_code == 303 and second.headers["Location"].endswith(f"#row-{admission.id}")
    db.session.expire_all()
    assert db.session.get(ServiceDay, saved.id).dinner


def test_double_submit_creates_one_record_and_stale_edit_refused(client, world, home, login, app_ctx):
    admission = admit(world)
    login(world.users[roles.B_HEAD])
    url = f"/billing/homes/{home.id}/days/{MON.isoformat()}/clients/{admission.id}"
    with clock.freeze(datetime(2025, 3, 3, 17)):
        for _ in range(2):
            client.post(url, data=_row(f"r{admission.id}"), headers={"HX-Request": "true"})
        rows = db.session.execute(db.select(ServiceDay).filter_by(client_id=admission.client_id)).scalars().all()
        assert len(rows) == 1 and len(rows[0].revisions) == 1
        stale = rows[0].version
        client.post(url, data=_row(f"r{admission.id}", version=str(stale), end_time="16:00"),
                    headers={"HX-Request": "true"})
        body = client.post(url, data=_row(f"r{admission.id}", version=str(stale), end_time="15:00"),
                           headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "已被其他人更新" in body
    db.session.expire_all()
    assert db.session.get(ServiceDay, rows[0].id).end_time == time(16)


def test_fifth_person_refused_with_reason(client, world, home, login, app_ctx):
    admissions = [admit(world) for _ in range(4)]
    for a in admissions[:3]:
        record(world, a, MON)
    with clock.freeze(datetime(2025, 3, 3, 9)):
        ops.set_family_count(world.users[roles.B_HEAD], home.id, MON, 1)
    db.session.commit()
    login(world.users[roles.B_HEAD])
    last = admissions[3]
    with clock.freeze(datetime(2025, 3, 3, 17)):
        body = client.post(f"/billing/homes/{home.id}/days/{MON.isoformat()}/clients/{last.id}",
                           data=_row(f"r{last.id}"), headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "超過每日 4 人上限" in body and "家托員失能家屬 1 人" in body
    assert db.session.execute(db.select(ServiceDay).filter_by(client_id=last.client_id)).first() is None


@pytest.mark.parametrize("over, message", [
    ({"start_time": "07:00", "end_time": "19:30"}, "超過每日最多 12 小時"),
    ({"start_time": "07:30", "end_time": "18:00"}, "超過 10 小時原則，請填寫原因"),
    ({"start_time": "07:30", "end_time": "17:00"}, "超出報備之收托時間"),
])
def test_hours_and_opening_hours_refused(client, world, home, login, app_ctx, over, message):
    admission = admit(world)
    login(world.users[roles.B_HEAD])
    with clock.freeze(datetime(2025, 3, 3, 20)):
        response = client.post(f"/billing/homes/{home.id}/days/{MON.isoformat()}/clients/{admission.id}",
                               data=_row(f"r{admission.id}", **over))
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_over_ten_hours_with_reason_noted(world, home, app_ctx):
    admission = admit(world)
    with clock.freeze(datetime(2025, 3, 3, 20)):
        saved, notes = ops.save_day_record(world.users[roles.B_HEAD], admission, MON, {
            "attended": True, "kind": "full_day", "start_time": time(8), "end_time": time(18), "over_norm_reason": ""})
    assert saved and not notes
    home_hours = ops.opening_hours_on(home.id, MON)
    home_hours.opens, home_hours.closes = time(7), time(20)
    with clock.freeze(datetime(2025, 3, 4, 20)):
        saved, notes = ops.save_day_record(world.users[roles.B_HEAD], admission, date(2025, 3, 4), {
            "attended": True, "kind": "full_day", "start_time": time(7, 30), "end_time": time(19),
            "over_norm_reason": "家屬加班晚接"})
    assert "11.5 小時" in notes[0] and saved.over_norm_reason == "家屬加班晚接"


def test_sixth_day_in_a_week_refused(world, home, app_ctx):
    admission = admit(world)
    home_hours = ops.opening_hours_on(home.id, MON)
    home_hours.weekdays = "0123456"
    for offset in range(5):
        record(world, admission, date(2025, 3, 3 + offset))
    with pytest.raises(Refused, match="每週以 5 天為限"):
        record(world, admission, date(2025, 3, 8))


def test_first_service_needs_identity_and_health_check(world, home, app_ctx):
    admission = admit(world, identity_checked_on=None, health_check_items=["general"])
    with pytest.raises(Refused, match="身分證明文件"):
        record(world, admission, MON)


def test_unticking_keeps_the_row_and_history(world, home, app_ctx):
    admission = admit(world)
    saved = record(world, admission, MON)
    record(world, admission, MON, attended=False)
    db.session.expire_all()
    row = db.session.get(ServiceDay, saved.id)
    assert not row.attended and [r.data["attended"] for r in row.revisions] == [True, False]


def test_late_entry_flagged(world, home, app_ctx):
    admission = admit(world)
    saved = record(world, admission, MON, now=datetime(2025, 3, 4, 9, tzinfo=clock.TAIPEI))
    assert saved.late_entry


def test_future_day_refused(world, home, app_ctx):
    admission = admit(world)
    with pytest.raises(Refused, match="未來"):
        record(world, admission, MON, now=datetime(2025, 3, 2, 12, tzinfo=clock.TAIPEI))


# --- the lock and corrections (WE-07) ---------------------------------------------------------------

def test_lock_from_the_sixth_then_correction_approved(client, world, home, login, app_ctx):
    admission = admit(world)
    march28 = date(2025, 3, 28)
    record(world, admission, march28)
    # 114-04-05 23:59 still allowed
    record(world, admission, march28, end=time(16), now=datetime(2025, 4, 5, 23, 59, tzinfo=clock.TAIPEI))
    with pytest.raises(Refused, match="鎖定"):
        record(world, admission, march28, end=time(15), now=datetime(2025, 4, 6, 0, 0, tzinfo=clock.TAIPEI))
    login(world.users[roles.B_HEAD])
    url = f"/billing/homes/{home.id}/days/{march28.isoformat()}"
    with clock.freeze(datetime(2025, 4, 7, 10)):
        page = client.get(url).get_data(as_text=True)
        assert "已於114年4月5日鎖定" in page and "申請更正" in page
        form = client.get(f"{url}/clients/{admission.id}/correction").get_data(as_text=True)
        key = form.split('name="submission_key" type="hidden" value="')[1].split('"')[0]
        data = {"attended": "y", "kind": "full_day", "start_time": "08:00", "end_time": "15:00",
                "reason": "家屬提早接回，誤植離開時間", "submission_key": key}
        first = client.post(f"{url}/clients/{admission.id}/correction", data=data)
        client.post(f"{url}/clients/{admission.id}/correction", data=data)      # double submit
    corrections = db.session.execute(db.select(CorrectionRequest).filter_by(organisation_id=home.id)).scalars().all()
    assert first.status_code == 303 and len(corrections) == 1
    correction = corrections[0]
    officer, other = world.users[roles.BUREAU_OFFICER], world.users[roles.ADMIN]
    login(officer)
    with clock.freeze(datetime(2025, 4, 8, 10)):
        ok = client.post(f"/billing/corrections/{correction.id}",
                         data={"action": "approve", "version": correction.version, "note": ""})
        assert ok.status_code == 303
        login(other)
        late = client.post(f"/billing/corrections/{correction.id}",
                           data={"action": "reject", "version": correction.version, "note": "不同意"},
                           follow_redirects=True).get_data(as_text=True)
    assert "已由" in late and "處理" in late and "您的決定未儲存" in late
    db.session.expire_all()
    row = db.session.execute(db.select(ServiceDay).filter_by(client_id=admission.client_id)).scalar_one()
    assert row.end_time == time(15) and row.revisions[-1].correction_id == correction.id
    assert db.session.get(CorrectionRequest, correction.id).status == "approved"
    actions = [e.action for e in db.session.execute(db.select(AuditLogEntry)).scalars()]
    assert "billing.correction_requested" in actions and "billing.record_corrected" in actions


def test_correction_before_lock_refused(world, home, app_ctx):
    admission = admit(world)
    with clock.freeze(datetime(2025, 4, 3, 10)), pytest.raises(Refused, match="尚未鎖定"):
        ops.request_correction(world.users[roles.B_HEAD], admission, date(2025, 3, 28),
                               {"attended": True, "start_time": time(8), "end_time": time(16)}, reason="x")


def test_bureau_cannot_edit_records_directly(world, home, app_ctx):
    admission = admit(world)
    with pytest.raises(TransitionNotAllowed):
        record(world, admission, MON, user=world.users[roles.BUREAU_OFFICER])


def test_stale_family_count(world, home, app_ctx):
    with clock.freeze(datetime(2025, 3, 3, 9)):
        row = ops.set_family_count(world.users[roles.B_HEAD], home.id, MON, 1)
        db.session.commit()
        seen = row.version
        ops.set_family_count(world.users[roles.B_HEAD], home.id, MON, 2, seen_version=seen)
        db.session.commit()
        with pytest.raises(StaleEdit):
            ops.set_family_count(world.users[roles.B_HEAD], home.id, MON, 0, seen_version=seen)
