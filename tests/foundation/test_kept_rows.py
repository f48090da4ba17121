"""The logged-in user, the county profile, settings and the office calendar are read once per worker and kept while
their tables are unchanged (portal/kept.py `kept_row`, `here=True`): every request needs them, and a change to
any of them — by this request, another request, another instance, or plain SQL — shows on the next request."""
from contextlib import contextmanager

from sqlalchemy import event, text

from portal.auth import roles
from portal.auth.models import User
from portal.auth.views import load_user
from portal.extensions import db
from portal.settings.models import CountyProfile


@contextmanager
def _statements():
    seen = []

    def note(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def _page(client, url="/"):
    with _statements() as seen:
        response = client.get(url)
    return response, seen


def test_a_page_reads_the_user_once_then_only_the_versions(client, world, login):
    user = world.users[roles.A_CASE_MANAGER]
    login(user)
    _page(client)
    response, seen = _page(client)
    assert response.status_code == 200 and user.full_name in response.get_data(as_text=True)
    assert not [s for s in seen if "FROM users" in s or "FROM organisations" in s or "FROM county_profile" in s
                or "FROM settings" in s], seen


def test_a_deactivated_account_is_refused_on_its_next_request(client, world, login):
    user = world.users[roles.B_STAFF]
    login(user)
    assert _page(client)[0].status_code == 200
    db.session.execute(text("UPDATE users SET active = :no WHERE id = :id"), {"no": False, "id": user.id})
    db.session.commit()
    response, _ = _page(client)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_renamed_organisation_and_county_show_on_the_next_page(client, world, login):
    user = world.users[roles.B_HEAD]
    db.session.add(CountyProfile(county_name="測試縣", bureau_name="測試縣衛生局", care_centre_name="測試縣照管中心",
                                 rule_set="generic"))
    db.session.commit()
    login(user)
    assert "測試縣衛生局" in _page(client)[0].get_data(as_text=True)
    user.organisation.name = "改名後的家托"
    user.organisation.short_name = None
    db.session.execute(db.update(CountyProfile).values(bureau_name="改名後的衛生局"))
    db.session.commit()
    page = _page(client)[0].get_data(as_text=True)
    assert "改名後的家托" in page
    assert "改名後的衛生局" in page and "測試縣衛生局" not in page


def test_what_a_request_changes_on_its_user_stays_in_that_request(app_ctx, world):
    user_id = world.users[roles.BUREAU_OFFICER].id
    name = world.users[roles.BUREAU_OFFICER].full_name
    db.session.remove()
    first = load_user(str(user_id))
    first.full_name = "沒有存下的名字"
    first.organisation.name = "沒有存下的單位"
    db.session.rollback()
    db.session.remove()
    again = load_user(str(user_id))
    assert again is not first and again.full_name == name and again.organisation.name != "沒有存下的單位"
    again.full_name = "存下的名字"
    db.session.commit()
    db.session.remove()
    assert load_user(str(user_id)).full_name == "存下的名字"
    assert db.session.get(User, user_id).full_name == "存下的名字"


def test_a_login_elsewhere_reads_the_users_again_but_not_the_settings(client, world, login):
    """Settings, the calendar and the county profile depend on their own tables only, not on the rows that happened
    to be in the session (the user) when they were read: a write to `users` (any login) does not re-read them."""
    from portal import kept
    user = world.users[roles.A_CASE_MANAGER]
    login(user)
    kept.clear()
    reference = ("FROM settings", "FROM office_day_overrides", "FROM county_profile")

    def page():
        # The test shares one app context with its requests: forget what a request keeps in `g`, as a new one would.
        from flask import g
        for name in ("_settings_rows", "_settings_cache", "office_calendar", "county_profile", "_table_versions"):
            g.pop(name, None)
        return _page(client, "/cases")
    first = page()[1]
    assert all(any(table in s for s in first) for table in reference), first
    assert not any(table in s for s in page()[1] for table in reference)
    db.session.execute(text("UPDATE users SET last_login_at = created_at WHERE id = :id"),
                       {"id": world.users[roles.B_STAFF].id})
    db.session.commit()
    response, seen = page()
    assert response.status_code == 200
    assert any("FROM users" in s for s in seen)
    assert not any(table in s for s in seen for table in reference), seen
