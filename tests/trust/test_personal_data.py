"""Personal data (issue 11 §5): every view of a client's full file is logged; the access-request export
gathers every record about a client through the foreign keys; retention anonymises after 7 years and
never before (decisions Q28)."""
import subprocess
import tempfile
from datetime import date, datetime

import pytest
from sqlalchemy import Column, Date, ForeignKey, Integer, String, Table, Text

from portal import clock
from portal.auditlog.models import AuditLogEntry
from portal.auth import roles
from portal.clients.models import Client, ClientAccess, ClientContact
from portal.clients.personal_data import client_tables, collect, latest_activity
from portal.clients.retention import REDACTED, anonymise, find_expired
from portal.clients.rules import is_expired, purge_after
from portal.dbtypes import UTCDateTime
from portal.extensions import db
from tests.factories import FOREIGN_MARKER, make_client


def _pdf_text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        return subprocess.run(["pdftotext", "-layout", f.name, "-"], capture_output=True, text=True).stdout


def _views(client_id):
    db.session.rollback()
    return db.session.execute(db.select(AuditLogEntry).filter_by(entity_type="clients", entity_id=client_id,
                                                                 action="client.viewed")
                              .order_by(AuditLogEntry.id)).scalars().all()


# --- every view logged ------------------------------------------------------------------------------

def test_every_view_of_the_full_file_is_logged(client, world, login, app_ctx):
    own = world.clients["own"]
    user = world.users[roles.B_STAFF]
    login(user)
    client.get(f"/clients/{own.id}")
    client.get(f"/clients/{own.id}.pdf")
    client.get(f"/clients/{own.id}/edit")
    views = _views(own.id)
    assert [v.note for v in views] == ["個案頁面", "個案基本資料表（PDF）", "編輯畫面"]
    assert {v.actor_id for v in views} == {user.id} and all(v.organisation_id == user.organisation_id for v in views)
    assert all(v.ip == "127.0.0.1" for v in views)
    # Lists show masked IDs and are not a view of a file; a refused look logs nothing either.
    client.get("/clients")
    assert client.get(f"/clients/{world.clients['foreign'].id}").status_code == 404
    assert len(_views(own.id)) == 3 and not _views(world.clients["foreign"].id)


def test_bureau_sees_who_looked(client, world, login, app_ctx):
    own = world.clients["own"]
    login(world.users[roles.B_STAFF])
    client.get(f"/clients/{own.id}")
    login(world.users[roles.BUREAU_OFFICER])
    page = client.get(f"/clients/{own.id}").get_data(as_text=True)
    assert "最近查閱紀錄" in page and world.users[roles.B_STAFF].full_name in page and "個資查詢匯出" in page
    login(world.users[roles.B_HEAD])
    page = client.get(f"/clients/{own.id}").get_data(as_text=True)
    assert "最近查閱紀錄" not in page and "個資查詢匯出" not in page


# --- the access-request export ------------------------------------------------------------------------

@pytest.fixture
def area_tables(world, app_ctx):
    """Two tables an area might add: visits of a client, and notes on a visit (found through the visit)."""
    db.session.commit()
    visits = Table("trust_test_visits", db.metadata,
                   Column("id", Integer, primary_key=True),
                   Column("client_id", ForeignKey("clients.id"), nullable=False),
                   Column("organisation_id", ForeignKey("organisations.id")),
                   Column("visited_on", Date, nullable=False),
                   Column("summary", Text, info={"personal": True, "label": "訪視摘要"}),
                   Column("kind", String(10), nullable=False))
    notes = Table("trust_test_visit_notes", db.metadata,
                  Column("id", Integer, primary_key=True),
                  Column("visit_id", ForeignKey("trust_test_visits.id"), nullable=False),
                  Column("written_at", UTCDateTime, nullable=False),
                  Column("body", Text, nullable=False, info={"personal": True}))
    visits.create(db.engine)
    notes.create(db.engine)
    yield visits, notes
    db.session.rollback()
    notes.drop(db.engine)
    visits.drop(db.engine)
    db.metadata.remove(notes)
    db.metadata.remove(visits)


def _add_visit(visits, notes, client_id, day, text, org_id=None):
    visit_id = db.session.execute(visits.insert().values(client_id=client_id, organisation_id=org_id, visited_on=day,
                                                         summary=text + "訪視摘要", kind="home")).inserted_primary_key[0]
    db.session.execute(notes.insert().values(visit_id=visit_id, body=text + "後續紀錄",
                                             written_at=datetime(day.year, day.month, day.day, 9, tzinfo=clock.TAIPEI)))
    return visit_id


def test_tables_about_a_client_are_found_through_foreign_keys(area_tables):
    names = [t.name for t in client_tables()]
    assert names[0] == "clients"
    assert {"client_contacts", "client_access", "trust_test_visits", "trust_test_visit_notes"} <= set(names)
    assert "users" not in names and "organisations" not in names and "audit_log" not in names


def test_data_export_pdf_has_every_record_and_is_logged(client, world, login, app_ctx, area_tables):
    visits, notes = area_tables
    own, foreign = world.clients["own"], world.clients["foreign"]
    own.contacts = [ClientContact(name="王小明", relation="兒子", phone="0912-000-000")]
    _add_visit(visits, notes, own.id, date(2025, 3, 4), "本人", org_id=world.orgs["a"].id)
    _add_visit(visits, notes, foreign.id, date(2025, 3, 4), FOREIGN_MARKER)
    db.session.commit()
    login(world.users[roles.B_HEAD])
    client.get(f"/clients/{own.id}")  # a view, to appear in the processing record
    login(world.users[roles.BUREAU_OFFICER])
    page = client.get(f"/clients/{own.id}/data-request").get_data(as_text=True)
    assert "訪視" in page or "trust_test_visits" in page
    refused = client.post(f"/clients/{own.id}/data-request", data={
        "requester_name": "王小明", "requester_relation": "legal", "received_on": "114/3/5"})
    assert refused.status_code == 200 and "請先核對申請人身分" in refused.get_data(as_text=True)
    response = client.post(f"/clients/{own.id}/data-request", data={
        "requester_name": "王小明", "requester_relation": "legal", "received_on": "114/3/5",
        "reference": "衛長字第1140001號", "identity_checked": "y"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = _pdf_text(response.data)
    for expected in (own.name, own.national_id, "王小明", "兒子", "甲區A單位", "本人訪視摘要", "本人後續紀錄",
                     "衛長字第1140001號", "法定代理人", "處理紀錄", "查閱個案資料", "B單位負責人"):
        assert expected in text, expected
    assert FOREIGN_MARKER not in text and world.users[roles.B_HEAD].full_name not in text
    entry = db.session.execute(db.select(AuditLogEntry).filter_by(action="client.data_exported")).scalar_one()
    assert entry.entity_id == own.id and entry.after["requester_name"] == "王小明"
    assert entry.after["rows"]["trust_test_visit_notes"] == 1


# --- retention ------------------------------------------------------------------------------------------

def test_purge_after_counts_seven_years_from_the_year_end():
    assert purge_after(date(2017, 3, 1)) == date(2024, 12, 31)
    assert purge_after(date(2017, 12, 31)) == date(2024, 12, 31)  # billing: end of the service year + 7
    assert purge_after(date(2017, 3, 1), years=3) == date(2024, 12, 31)  # never fewer than 7 years
    assert purge_after(date(2017, 3, 1), years=10) == date(2027, 12, 31)
    assert not is_expired(date(2017, 3, 1), date(2024, 12, 31))
    assert is_expired(date(2017, 3, 1), date(2025, 1, 1))
    assert not is_expired(None, date(2099, 1, 1))


def _old_case(world, name, ended, *, created=datetime(2015, 5, 1, 10, tzinfo=clock.TAIPEI)):
    """A client registered in 2015 whose case ended on `ended` (None: still held by the A unit)."""
    with clock.freeze(created):
        from portal.clients.operations import create_client
        c = create_client(world.users[roles.CARE_MANAGER], {
            "name": name, "national_id": f"A1{abs(hash(name)) % 10**8:08d}", "birth_date": date(1940, 2, 3),
            "sex": "F", "welfare_status": "low", "cms_level": 5, "service_area_id": world.areas[0].id,
            "phone": "0911-222-333", "address": "甲鄉和平路1號", "notes": "獨居"},
            [{"name": name + "之子", "relation": "兒子", "phone": "0922-333-444"}])
        db.session.add(ClientAccess(client_id=c.id, organisation_id=world.orgs["a"].id, relation="a_unit",
                                    started_at=created, ended_at=ended))
    db.session.flush()
    return c


def test_expired_cases_are_found_and_nothing_before_seven_years(world, app_ctx, area_tables):
    visits, notes = area_tables
    ended = _old_case(world, "結案甲", datetime(2017, 3, 1, 12, tzinfo=clock.TAIPEI))
    held = _old_case(world, "仍在案", None)
    recent_visit = _old_case(world, "近期訪視", datetime(2017, 3, 1, 12, tzinfo=clock.TAIPEI))
    _add_visit(visits, notes, recent_visit.id, date(2019, 6, 1), "近期")
    db.session.commit()
    assert [e.client_id for e in find_expired(date(2024, 12, 31))] == []          # 7 years not over yet
    expired = find_expired(date(2025, 1, 1))
    assert [e.client_id for e in expired] == [ended.id]
    assert expired[0].last_activity == date(2017, 3, 1) and expired[0].kept_until == date(2024, 12, 31)
    assert expired[0].masked_id != ended.national_id and "*" in expired[0].masked_id
    assert held.id not in [e.client_id for e in find_expired(date(2099, 1, 1))]  # a held case is never purged
    assert recent_visit.id not in [e.client_id for e in find_expired(date(2026, 12, 31))]
    assert recent_visit.id in [e.client_id for e in find_expired(date(2027, 1, 1))]


def test_anonymise_keeps_statistics_and_blanks_personal_data(world, app_ctx, area_tables):
    visits, notes = area_tables
    case = _old_case(world, "結案乙", datetime(2017, 3, 1, 12, tzinfo=clock.TAIPEI))
    _add_visit(visits, notes, case.id, date(2016, 6, 1), "乙")
    db.session.commit()
    national_id = case.national_id
    [item] = find_expired(date(2025, 1, 1))
    anonymise(None, item, date(2025, 1, 1))
    db.session.commit()
    db.session.expire_all()
    c = db.session.get(Client, case.id)
    assert c.name == "（已匿名）" and c.national_id != national_id and c.anonymised_at
    assert c.phone is None and c.address is None and c.notes is None and c.contacts == []
    assert (c.sex, c.birth_date.year, c.welfare_status, c.cms_level, c.service_area_id) == \
        ("F", 1940, "low", 5, world.areas[0].id)
    visit = db.session.execute(visits.select().where(visits.c.client_id == case.id)).mappings().one()
    assert visit["summary"] is None and visit["visited_on"] == date(2016, 6, 1) and visit["kind"] == "home"
    note = db.session.execute(notes.select().where(notes.c.visit_id == visit["id"])).mappings().one()
    assert note["body"] == "（已匿名）"
    # The audit log keeps who did what and when, not the data.
    created = db.session.execute(db.select(AuditLogEntry).filter_by(action="client.create", entity_id=case.id)).scalar_one()
    assert created.after == REDACTED
    done = db.session.execute(db.select(AuditLogEntry).filter_by(action="client.anonymised")).scalar_one()
    assert national_id not in str(done.after) and "結案乙" not in str(done.after)
    assert find_expired(date(2030, 1, 1)) == []  # done once


def test_purge_command_dry_run_then_real(app, world, app_ctx):
    case = _old_case(world, "結案丙", datetime(2017, 3, 1, 12, tzinfo=clock.TAIPEI))
    db.session.commit()
    national_id = case.national_id
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["purge-expired", "--dry-run", "--today", "2025-01-01"])
    assert dry.exit_code == 0, dry.output
    assert f"個案 {case.id:>6}" in dry.output and "試算：1 位" in dry.output and national_id not in dry.output
    db.session.expire_all()
    assert db.session.get(Client, case.id).name == "結案丙"
    early = runner.invoke(args=["purge-expired", "--today", "2024-12-31", "--yes"])
    assert "沒有已超過保存期限的個案" in early.output
    real = runner.invoke(args=["purge-expired", "--today", "2025-01-01", "--yes"])
    assert real.exit_code == 0 and "已匿名化 1 位" in real.output
    db.session.expire_all()
    assert db.session.get(Client, case.id).anonymised_at is not None


def test_latest_activity_reads_every_date_column(world, app_ctx):
    c = make_client([world.orgs["a"]])
    db.session.commit()
    collected = collect(c.id)
    assert latest_activity(collected) == clock.today()
