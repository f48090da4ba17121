"""Concurrency without loss (issue 11 §4): requests from several browsers at the same moment against a
real threaded server on PostgreSQL (tests/concurrency.py), plus the same situations one after the
other on any database through the test client.

Areas add their approvals here or in their own tests with the same harness (docs/security.md).
"""
import pytest

from portal.auditlog.models import AuditLogEntry
from portal.auth import roles
from portal.clients.models import Client, ClientContact
from portal.establishment import models as em
from portal.establishment import operations as eops
from portal.extensions import db
from tests.concurrency import assert_no_server_errors, assert_one_winner, count_rows, fresh, needs_postgres, race
from tests.factories import make_user, valid_national_id

STALE = "這筆資料已被其他人更新"


def client_form(world, key="", **over):
    data = {"name": "王大明", "national_id": valid_national_id(4242), "birth_date": "34/5/6", "sex": "M",
            "welfare_status": "general", "cms_level": "4", "service_area_id": world.areas[0].id,
            "contacts-0-name": "王小明", "contacts-0-relation": "兒子", "contacts-0-phone": "0912-000-000",
            "submission_key": key}
    data.update(over)
    return data


def edit_form(world, client, **over):
    data = client_form(world, national_id=client.national_id, name=client.name, birth_date="34/5/5",
                       version=client.version)
    data.pop("submission_key")
    data.update(over)
    return data


# --- one after the other (any database) --------------------------------------------------------------

def test_registration_form_carries_a_one_time_key(client, world, login):
    login(world.users[roles.CARE_MANAGER])
    first = client.get("/clients/new").get_data(as_text=True)
    second = client.get("/clients/new").get_data(as_text=True)
    key = 'name="submission_key" type="hidden" value="'
    assert key in first and first.split(key)[1][:32] != second.split(key)[1][:32]


def test_resubmitted_registration_creates_one_client(client, world, login, app_ctx):
    login(world.users[roles.A_CASE_MANAGER])
    first = client.post("/clients/new", data=client_form(world, key="k-1"))
    again = client.post("/clients/new", data=client_form(world, key="k-1"))
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert count_rows(Client, national_id=valid_national_id(4242)) == 1
    assert count_rows(AuditLogEntry, action="client.create") == 1
    # A fresh form (another key) for the same person is a duplicate, said plainly.
    page = client.post("/clients/new", data=client_form(world, key="k-2")).get_data(as_text=True)
    assert "此身分證字號已建檔" in page


def test_second_editor_gets_a_conflict_not_an_overwrite(client, world, login, app_ctx):
    target = world.clients["own"]
    seen = edit_form(world, target)
    login(world.users[roles.CARE_MANAGER])
    assert client.post(f"/clients/{target.id}/edit", data={**seen, "name": "甲改的"}).status_code == 303
    login(world.users[roles.A_CASE_MANAGER])
    page = client.post(f"/clients/{target.id}/edit", data={**seen, "name": "乙改的"})
    assert page.status_code == 200 and STALE in page.get_data(as_text=True)
    assert 'value="乙改的"' in page.get_data(as_text=True)  # the second editor's input is still on screen
    assert fresh(Client, target.id).name == "甲改的"


def test_contacts_only_edit_moves_the_version(client, world, login, app_ctx):
    target = world.clients["own"]
    seen = edit_form(world, target)
    login(world.users[roles.CARE_MANAGER])
    assert client.post(f"/clients/{target.id}/edit", data={**seen, "contacts-0-phone": "0999-111-222"}).status_code == 303
    assert fresh(Client, target.id).version == seen["version"] + 1
    page = client.post(f"/clients/{target.id}/edit", data={**seen, "contacts-0-phone": "0988-000-111"})
    assert STALE in page.get_data(as_text=True)
    assert [c.phone for c in db.session.execute(db.select(ClientContact).filter_by(client_id=target.id)).scalars()] \
        == ["0999-111-222"]


def test_double_clicked_edit_is_saved_once_without_a_false_alarm(client, world, login, app_ctx):
    target = world.clients["own"]
    seen = edit_form(world, target, name="改名一次")
    login(world.users[roles.CARE_MANAGER])
    assert client.post(f"/clients/{target.id}/edit", data=seen).status_code == 303
    again = client.post(f"/clients/{target.id}/edit", data=seen)
    assert again.status_code == 303  # the same change again: already saved, not "someone else changed it"
    assert count_rows(AuditLogEntry, action="client.update") == 1


# --- at the same moment, against a real server (PostgreSQL) ---------------------------------------------

@needs_postgres
def test_double_clicked_registration_creates_one_client(race_server, world, app_ctx):
    browser = race_server.browser(world.users[roles.A_CASE_MANAGER])
    form = client_form(world, key=browser.form_values("/clients/new")["submission_key"])
    replies = race([lambda: browser.post("/clients/new", form) for _ in range(5)])
    assert_no_server_errors(replies)
    assert {r.status for r in replies} == {303}
    assert len({r.location for r in replies}) == 1  # every click lands on the same new client
    assert count_rows(Client, national_id=form["national_id"]) == 1
    assert count_rows(AuditLogEntry, action="client.create") == 1


def test_a_repeat_that_looked_for_its_key_before_the_first_committed_lands_on_the_same_client(world, app_ctx,
                                                                                               monkeypatch):
    """The window the race above can hit: the repeat's key look-up ran before the first request committed and
    its national-ID check after: it is the same form, not a second person with that ID."""
    from datetime import date
    from portal.clients import operations as ops
    data = {"name": "王大明", "national_id": valid_national_id(4243), "birth_date": date(1945, 5, 6), "sex": "M",
            "welfare_status": "general", "cms_level": 4, "service_area_id": world.areas[0].id}
    actor = world.users[roles.A_CASE_MANAGER]
    first = ops.create_client(actor, data, [], submission_key="same-form")
    db.session.commit()
    monkeypatch.setattr(ops, "by_submission_key", lambda model, key: None)   # looked up before that commit
    assert ops.create_client(actor, data, [], submission_key="same-form").id == first.id
    with pytest.raises(ops.Refused, match="此身分證字號已建檔"):
        ops.create_client(actor, data, [], submission_key="another-form")


@needs_postgres
def test_two_people_registering_the_same_person_at_once(race_server, world, app_ctx):
    a = race_server.browser(world.users[roles.A_CASE_MANAGER])
    b = race_server.browser(world.users[roles.CARE_MANAGER])
    form_a, form_b = client_form(world, key="a-form"), client_form(world, key="b-form")
    replies = race([lambda: a.post("/clients/new", form_a), lambda: b.post("/clients/new", form_b)])
    assert_no_server_errors(replies)
    assert sorted(r.status for r in replies) == [200, 303]
    loser = next(r for r in replies if r.status == 200)
    assert "此身分證字號已建檔" in loser.text
    assert count_rows(Client, national_id=valid_national_id(4242)) == 1


@needs_postgres
def test_two_editors_at_once_one_saves_one_is_told(race_server, world, app_ctx):
    target = world.clients["own"]
    url, version = f"/clients/{target.id}/edit", target.version
    editors = [race_server.browser(world.users[roles.CARE_MANAGER]), race_server.browser(world.users[roles.A_CASE_MANAGER])]
    forms = []
    for editor, name in zip(editors, ("甲改的", "乙改的")):
        seen = editor.form_values(url)
        forms.append(edit_form(world, target, name=name, version=seen["version"]))
    replies = race([lambda e=e, f=f: e.post(url, f) for e, f in zip(editors, forms)])
    assert_no_server_errors(replies)
    assert sorted(r.status for r in replies) == [200, 303]
    winner = forms[[r.status for r in replies].index(303)]["name"]
    loser = next(r for r in replies if r.status == 200)
    assert STALE in loser.text
    saved = fresh(Client, target.id)
    assert saved.name == winner and saved.version == version + 1
    assert count_rows(AuditLogEntry, action="client.update") == 1


@needs_postgres
def test_twenty_parallel_decisions_on_an_establishment_plan(race_server, world, app_ctx):
    author = world.users[roles.APPLICANT]
    plan = eops.create_plan(author, world.orgs["applicant"])
    plan.status, plan.case_number, plan.submission_count = em.RECEIVED, "TEST-001", 1
    db.session.commit()
    reviewers = [make_user(roles.BUREAU_OFFICER if i % 2 else roles.BUREAU_CHIEF, world.orgs["bureau"])
                 for i in range(20)]
    db.session.commit()
    browsers = race_server.browsers(reviewers)
    url, version = f"/establishment/plans/{plan.id}/decide", plan.version
    # Objects loaded in the test's session must not be touched inside the threads: build everything first.
    calls = [lambda b=b, i=i: b.post(url, {"decision": "accept" if i % 2 else "return", "note": f"第 {i} 位審查",
                                           "version": version}, follow=True)
             for i, b in enumerate(browsers)]
    pages = race(calls)
    assert_no_server_errors(pages)
    decided = fresh(em.EstablishmentPlan, plan.id)
    assert decided.status in (em.ACCEPTED, em.RETURNED)
    assert count_rows(AuditLogEntry, action="establishment.accepted") + \
        count_rows(AuditLogEntry, action="establishment.returned") == 1
    success = "審查通過" if decided.status == em.ACCEPTED else "已退回補件"
    assert_one_winner(pages, success=success, refusal="計畫書")
    # The losers are told who decided, not just that something failed.
    assert all(decided.decided_by.full_name in " ".join(p.flashes("error")) for p in pages
               if not p.flashes("success"))
