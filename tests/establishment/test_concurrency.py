"""Two people on one section, double clicks and double submits (DEVELOPERS.md: nothing saved is lost,
nothing is duplicated). One after the other on any database; at the same moment on PostgreSQL with the
threaded server of tests/concurrency.py."""
import pytest

from portal.auditlog.models import AuditLogEntry
from portal.auth import roles
from portal.errors import StaleEdit, TransitionNotAllowed
from portal.establishment import models as m
from portal.establishment import operations as ops
from portal.establishment.demo_content import fill_plan, plan_content
from portal.extensions import db
from tests.concurrency import assert_no_server_errors, count_rows, fresh, needs_postgres, race
from tests.factories import make_user

CONFLICT = "這一節已在別處"


@pytest.fixture
def plan(world, app_ctx):
    p = ops.create_plan(world.users[roles.APPLICANT], world.orgs["applicant"])
    db.session.commit()
    return p


def _complete(world, plan):
    fill_plan(world.users[roles.APPLICANT], plan, plan_content([world.areas[0].id], "測試縣"))
    db.session.commit()


def _saves(plan_id, key):
    return [e for e in db.session.execute(db.select(AuditLogEntry).where(
        AuditLogEntry.action == "establishment.section_saved")).scalars() if e.note == f"{plan_id}:{key}"]


# --- one after the other (any database) --------------------------------------------------------------

def test_second_colleague_on_a_section_is_told_and_nothing_is_overwritten(client, world, login, plan, app_ctx):
    colleague = make_user(roles.APPLICANT, world.orgs["applicant"])
    db.session.commit()
    url = f"/establishment/plans/{plan.id}/sections/motive_reason"
    login(world.users[roles.APPLICANT])
    assert client.post(url, data={"version": "0", "f_body": "甲寫的動機"}).status_code == 303
    login(colleague)  # opened the section before 甲 saved (version 0)
    page = client.post(url, headers={"HX-Request": "true"}, data={"version": "0", "f_body": "乙寫的動機"})
    assert CONFLICT in page.get_data(as_text=True) and "重新載入本節" in page.get_data(as_text=True)
    db.session.expire_all()
    section = fresh(m.EstablishmentPlan, plan.id)
    assert section.section_data("motive_reason") == {"body": "甲寫的動機"}
    assert len(_saves(plan.id, "motive_reason")) == 1


def test_double_clicked_save_is_saved_once_without_a_false_alarm(client, world, login, plan, app_ctx):
    login(world.users[roles.APPLICANT])
    url = f"/establishment/plans/{plan.id}/sections/motive_goals"
    data = {"version": "0", "f_body": "服務目標：第一年 45 人。"}
    assert client.post(url, data=data).status_code == 303
    again = client.post(url, data=data)  # the second click carries the version the page had: 0
    assert again.status_code == 303 and CONFLICT not in again.get_data(as_text=True)
    row = fresh(m.EstablishmentPlan, plan.id)
    assert next(s for s in row.sections if s.key == "motive_goals").version == 1
    assert len(_saves(plan.id, "motive_goals")) == 1


def test_autosave_queued_while_one_is_in_flight_uses_the_new_version(client, world, login, plan, app_ctx):
    """The editor queues the last autosave (hx-sync) and the answer updates the hidden version, so a person
    typing on never collides with their own previous autosave."""
    login(world.users[roles.APPLICANT])
    url = f"/establishment/plans/{plan.id}/sections/motive_goals"
    page = client.get(url).get_data(as_text=True)
    assert 'hx-sync="this:queue last"' in page
    first = client.post(url, headers={"HX-Request": "true"}, data={"version": "0", "f_body": "一"}).get_data(as_text=True)
    assert 'id="sec-version" value="1" hx-swap-oob="true"' in first
    second = client.post(url, headers={"HX-Request": "true"}, data={"version": "1", "f_body": "一二"})
    assert "已自動儲存" in second.get_data(as_text=True)


def test_save_after_the_plan_was_sent_is_refused_and_changes_nothing(world, plan, app_ctx):
    _complete(world, plan)
    author = world.users[roles.APPLICANT]
    ops.submit_plan(author, plan, {})
    db.session.commit()
    with pytest.raises(TransitionNotAllowed):
        ops.save_section(author, plan, "motive_reason", {"body": "送件後才改"}, seen_version=None)
    db.session.rollback()
    assert fresh(m.EstablishmentPlan, plan.id).section_data("motive_reason")["body"] != "送件後才改"
    assert len(fresh(m.EstablishmentPlan, plan.id).submissions) == 1


def test_stale_version_refused_in_the_operation(world, plan, app_ctx):
    author = world.users[roles.APPLICANT]
    ops.save_section(author, plan, "fee_process", {"body": "A"}, seen_version=0)
    db.session.commit()
    with pytest.raises(StaleEdit):
        ops.save_section(author, plan, "fee_process", {"body": "B"}, seen_version=0)
    db.session.rollback()
    ops.save_section(author, plan, "fee_process", {"body": "B"}, seen_version=1)
    db.session.commit()
    assert fresh(m.EstablishmentPlan, plan.id).section_data("fee_process") == {"body": "B"}


# --- at the same moment (PostgreSQL) ------------------------------------------------------------------

@needs_postgres
@pytest.mark.parametrize("existing", [False, True], ids=["first-save", "later-save"])
def test_two_people_save_one_section_at_once(race_server, world, app_ctx, plan, existing):
    author = world.users[roles.APPLICANT]
    colleague = make_user(roles.APPLICANT, world.orgs["applicant"])
    if existing:
        ops.save_section(author, plan, "motive_reason", {"body": "原本的內容"}, seen_version=0)
    db.session.commit()
    version = 1 if existing else 0
    url = f"/establishment/plans/{plan.id}/sections/motive_reason"
    browsers = [race_server.browser(author), race_server.browser(colleague)]
    texts = ["甲的版本", "乙的版本"]
    replies = race([lambda b=b, t=t: b.post(url, {"version": version, "f_body": t}) for b, t in zip(browsers, texts)])
    assert_no_server_errors(replies)
    assert sorted(r.status for r in replies) == [200, 303]
    winner = texts[[r.status for r in replies].index(303)]
    loser = next(r for r in replies if r.status == 200)
    assert CONFLICT in loser.text and texts[[r.status for r in replies].index(200)] in loser.text  # input kept
    saved = fresh(m.EstablishmentPlan, plan.id)
    assert saved.section_data("motive_reason") == {"body": winner}
    assert count_rows(m.PlanSection, plan_id=plan.id, key="motive_reason") == 1
    assert next(s for s in saved.sections if s.key == "motive_reason").version == version + 1
    assert len(_saves(plan.id, "motive_reason")) == version + 1


@needs_postgres
def test_double_clicked_save_at_once_is_saved_once(race_server, world, app_ctx, plan):
    author = world.users[roles.APPLICANT]
    browser = race_server.browser(author)
    url = f"/establishment/plans/{plan.id}/sections/motive_goals"
    form = {"version": 0, "f_body": "同一次儲存按了兩下"}
    replies = race([lambda: browser.post(url, form), lambda: browser.post(url, form)])
    assert_no_server_errors(replies)
    assert [r.status for r in replies] == [303, 303]
    assert count_rows(m.PlanSection, plan_id=plan.id, key="motive_goals") == 1
    assert len(_saves(plan.id, "motive_goals")) == 1


@needs_postgres
def test_double_submit_at_once_makes_one_version(race_server, world, app_ctx, plan):
    _complete(world, plan)
    browser = race_server.browser(world.users[roles.APPLICANT])
    url = f"/establishment/plans/{plan.id}/submit"
    pages = race([lambda: browser.post(url, {}, follow=True) for _ in range(4)])
    assert_no_server_errors(pages)
    assert count_rows(m.PlanSubmission, plan_id=plan.id) == 1
    assert count_rows(AuditLogEntry, action="establishment.submit") == 1
    assert sum(1 for p in pages if any("已送出" in f for f in p.flashes("success"))) == 1
    assert all(any("不需重複送件" in f for f in p.flashes("error")) for p in pages
               if not p.flashes("success"))
    saved = fresh(m.EstablishmentPlan, plan.id)
    assert saved.status == m.SUBMITTED and saved.submission_count == 1


@needs_postgres
def test_a_save_and_a_colleagues_submit_at_once_do_not_cross(race_server, world, app_ctx, plan):
    """Either the save went in before 送件 (and is in the frozen version) or it is refused: never saved to a
    plan the bureau already has while missing from the version it reviews."""
    _complete(world, plan)
    author = world.users[roles.APPLICANT]
    colleague = make_user(roles.APPLICANT, world.orgs["applicant"])
    db.session.commit()
    row = next(s for s in plan.sections if s.key == "motive_reason")
    version, text = row.version, row.data["body"] + "（最後補充）"
    sec_url = f"/establishment/plans/{plan.id}/sections/motive_reason"
    editor, sender = race_server.browser(author), race_server.browser(colleague)
    replies = race([lambda: editor.post(sec_url, {"version": version, "f_body": text}),
                    lambda: sender.post(f"/establishment/plans/{plan.id}/submit", {}, follow=True)])
    assert_no_server_errors(replies)
    saved = fresh(m.EstablishmentPlan, plan.id)
    assert saved.status == m.SUBMITTED and len(saved.submissions) == 1
    frozen = saved.submissions[0].content["motive_reason"]["body"]
    assert saved.section_data("motive_reason")["body"] == frozen
    if replies[0].status == 303:
        assert frozen == text
    else:
        assert "不能修改" in replies[0].text and frozen != text


def test_the_same_file_uploaded_twice_is_kept_once(client, world, login, plan, app_ctx):
    from portal.establishment.demo_content import demo_image
    import io
    login(world.users[roles.APPLICANT])
    image = demo_image("平面圖")
    for _ in range(2):
        client.post(f"/establishment/plans/{plan.id}/uploads/att_floor_plan", content_type="multipart/form-data",
                    data={"file": (io.BytesIO(image), "平面圖.png")})
    files = [a for a in fresh(m.EstablishmentPlan, plan.id).live_attachments() if a.slot == "att_floor_plan"]
    assert len(files) == 1
    assert count_rows(AuditLogEntry, action="establishment.upload") == 1
