"""The dashboard's to-do list is kept only while the tables it read are unchanged (portal/kept.py).

No timings: what is asserted is that a kept list is served (fewer statements, same page) and that every kind of
change — an ORM commit, a Core or textual statement, another instance's write — shows on the next request."""
from datetime import datetime, timedelta, timezone

import zlib

import pytest
from sqlalchemy import text

from portal import clock
from portal.auth import roles
from portal.auth.models import User
from portal.dashboard import cache, registry
from portal.dashboard.registry import ActionItem
from portal.extensions import db
from portal.table_versions import current_versions, forget_current_versions

NOON = datetime(2025, 3, 12, 12, 0, tzinfo=clock.TAIPEI)


def _lock(user, until):
    db.session.get(User, user.id).locked_until = until
    db.session.commit()


def _dashboard(client):
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True), int(response.headers["X-Query-Count"])


def test_a_kept_list_is_served_until_a_table_it_read_changes(client, world, login):
    admin, victim = world.users[roles.ADMIN], world.users[roles.B_STAFF]
    with clock.freeze(NOON):
        login(admin)
        first, computed = _dashboard(client)
        again, served = _dashboard(client)
        assert again == first and served < computed
        assert victim.username not in first

        _lock(victim, clock.utcnow() + timedelta(minutes=15))   # another person's failed logins lock an account
        page, queries = _dashboard(client)
        # The list is computed again, and the logged-in user read again: the users table changed.
        assert f"帳號 {victim.username}" in page and queries == computed + 1

        # A textual statement is seen as well (its table is read from the SQL).
        db.session.execute(text("UPDATE users SET locked_until = NULL WHERE id = :id"), {"id": victim.id})
        db.session.commit()
        assert f"帳號 {victim.username}" not in _dashboard(client)[0]


def test_a_rolled_back_write_changes_no_version(app_ctx, world):
    before = current_versions()
    db.session.get(User, world.users[roles.B_STAFF].id).full_name = "不會存下"
    db.session.flush()
    db.session.rollback()
    forget_current_versions()
    assert current_versions() == before


def test_a_commit_raises_the_version_of_each_table_it_wrote(app_ctx, world):
    before = current_versions()
    db.session.get(User, world.users[roles.B_STAFF].id).full_name = "改名"
    db.session.commit()
    after = current_versions()
    assert after["users"] == before.get("users", 0) + 1
    assert {k: v for k, v in after.items() if k != "users"} == {k: v for k, v in before.items() if k != "users"}
    db.session.execute(text("DELETE FROM client_contacts WHERE 1 = 0"))
    db.session.commit()
    assert current_versions()["client_contacts"] == before.get("client_contacts", 0) + 1


@pytest.fixture
def one_source(monkeypatch):
    """Only a test source on the dashboard: one item per locked account, due when the lock ends."""
    calls = []

    def locked(user, now):
        calls.append(now)
        rows = db.session.execute(db.select(User.username, User.locked_until)
                                  .where(User.locked_until.is_not(None))).all()
        return [ActionItem(f"locked {name}", "/", due=until) for name, until in rows]
    monkeypatch.setattr(registry, "_sources", [(locked, None)])
    monkeypatch.setattr(registry, "_summaries", [])
    return calls


def test_overdue_is_checked_on_every_request_and_a_list_is_kept_at_most_a_minute(app, app_ctx, world, one_source):
    officer = db.session.get(User, world.users[roles.BUREAU_OFFICER].id)
    # The first second of this person's minute (each person's minute starts at an offset of their own).
    offset = zlib.crc32(f"{officer.id}:{officer.role}:{officer.organisation_id}".encode()) % 60
    start = datetime.fromtimestamp((int(NOON.timestamp() + offset) // 60) * 60 - offset, clock.TAIPEI)
    _lock(world.users[roles.B_STAFF], start + timedelta(seconds=10))
    items = cache.action_items(officer, start + timedelta(seconds=1))
    assert not items[0].overdue and len(one_source) == 1
    assert cache.action_items(officer, start + timedelta(seconds=30))[0].overdue   # the kept list, deadline passed
    assert len(one_source) == 1
    cache.action_items(officer, start + timedelta(seconds=61))
    assert len(one_source) == 2   # its minute is over: computed again


def test_each_person_has_their_own_list(app_ctx, world, one_source):
    officer, chief = (db.session.get(User, world.users[r].id) for r in (roles.BUREAU_OFFICER, roles.BUREAU_CHIEF))
    cache.action_items(officer, NOON)
    cache.action_items(chief, NOON)
    assert len(one_source) == 2


def test_the_cache_can_be_turned_off(app, app_ctx, world, one_source, monkeypatch):
    monkeypatch.setitem(app.config, "KEPT_SECONDS", 0)
    officer = db.session.get(User, world.users[roles.BUREAU_OFFICER].id)
    cache.action_items(officer, NOON)
    cache.action_items(officer, NOON)
    assert len(one_source) == 2


def test_the_same_page_with_and_without_the_cache(app, client, world, login, monkeypatch):
    """Every role's dashboard, computed afresh and then served from the cache, is the same page."""
    from tests.authz import run_matrix_builders
    run_matrix_builders(world)
    with clock.freeze(NOON):
        for role in roles.ROLE_LABELS:
            login(world.users[role])
            monkeypatch.setitem(app.config, "KEPT_SECONDS", 0)
            _dashboard(client)   # the login's messages
            fresh = _dashboard(client)[0]
            monkeypatch.setitem(app.config, "KEPT_SECONDS", 60)
            _dashboard(client)
            kept = _dashboard(client)[0]
            assert _without_token(kept) == _without_token(fresh), role


def _without_token(page):
    import re
    return re.sub(r'(csrf_token|X-CSRFToken)[^>]*', "", page)


def test_a_write_inside_a_cte_counts_as_a_change_of_every_table(app_ctx, world):
    from tests.conftest import USE_POSTGRES
    if not USE_POSTGRES:
        pytest.skip("SQLite has no data-modifying CTE")
    before = current_versions().get("*", 0)
    db.session.execute(text("WITH gone AS (DELETE FROM client_contacts WHERE 1 = 0 RETURNING id) "
                            "SELECT count(*) FROM gone"))
    db.session.commit()
    assert current_versions()["*"] == before + 1


def test_the_kept_rows_give_the_order_and_overdue_flags_of_sort_action_items_at_any_later_time():
    """The dashboard keeps plain tuples in due order and only splits them by the clock on each request: at every
    moment that gives exactly what sorting the items afresh gives (dates, Taipei midnights, times, queues)."""
    from dataclasses import replace
    from datetime import date
    start = datetime(2025, 3, 12, 8, 0, tzinfo=clock.TAIPEI)
    items = [
        ActionItem("日期 今天", "/a", due=date(2025, 3, 12), area="個案管理"),
        ActionItem("日期 明天", "/b", due=date(2025, 3, 13)),
        ActionItem("日期 昨天", "/c", due=date(2025, 3, 11), area="查核"),
        ActionItem("時間 今天十點", "/d", due=datetime(2025, 3, 12, 10, 0, tzinfo=clock.TAIPEI)),
        ActionItem("時間 明天零點", "/e", due=datetime(2025, 3, 13, 0, 0, tzinfo=clock.TAIPEI)),
        ActionItem("時間 UTC 今天下午", "/f", due=datetime(2025, 3, 12, 7, 30, tzinfo=timezone.utc)),
        ActionItem("同日 甲", "/g", due=date(2025, 3, 13)),
        ActionItem("同日 甲", "/h", due=datetime(2025, 3, 13, 9, 0, tzinfo=clock.TAIPEI)),
        ActionItem("沒有期限", "/i"),
        registry.queue_item("待審清單", "/q1", 12, date(2025, 3, 1), 3),
        registry.queue_item("待審清單 未逾期", "/q2", 4, date(2025, 3, 20), 0),
        registry.queue_item("沒有期限的清單", "/q3", 2),
    ]
    rows = cache._compact(registry.sort_action_items([replace(i).check_overdue(start) for i in items]))
    for minutes in range(0, 3 * 24 * 60, 17):
        now = start + timedelta(minutes=minutes)
        expected = registry.sort_action_items([replace(i).check_overdue(now) for i in items])
        assert [cache._item(r, now) for r in cache._in_order(rows, cache._micros(now))] == expected, now
    for moment in (datetime(2025, 3, 12, 23, 59, 59, 999999, tzinfo=clock.TAIPEI),
                   datetime(2025, 3, 13, 0, 0, tzinfo=clock.TAIPEI), datetime(2025, 3, 12, 10, 0, tzinfo=clock.TAIPEI),
                   datetime(2025, 3, 12, 10, 0, 0, 1, tzinfo=clock.TAIPEI)):
        expected = registry.sort_action_items([replace(i).check_overdue(moment) for i in items])
        assert [cache._item(r, moment) for r in cache._in_order(rows, cache._micros(moment))] == expected, moment


def test_the_dashboard_lists_the_most_urgent_items_and_counts_the_rest_by_area(app_ctx, world, monkeypatch):
    from datetime import date
    officer = world.users[roles.BUREAU_OFFICER]
    items = [ActionItem(f"事項 {n:03d}", f"/x/{n}", due=date(2025, 3, 1) + timedelta(days=n),
                        area="個案管理" if n % 3 else "查核") for n in range(30)]
    items.append(registry.queue_item("待審清單", "/q", 5, date(2025, 3, 2), 2))
    monkeypatch.setattr(cache, "collect_action_items", lambda user, now: registry.sort_action_items(
        [i.check_overdue(now) for i in items]))
    todo = cache.todo_list(officer, NOON, shown=10)
    assert [i.title for i in todo.queues] == ["待審清單 5 件（逾期 2 件）"]
    assert [i.title for i in todo.items] == [f"事項 {n:03d}" for n in range(10)]
    assert all(i.overdue for i in todo.items)                      # due 1–10 March, before NOON on the 12th
    assert todo.hidden == {"個案管理": 14, "查核": 6}
    assert todo.total == 35 and todo.overdue == 2 + 11               # the queue's 2, and 1–11 March


def test_a_rendered_list_is_reused_only_while_the_page_would_be_the_same(app, client, world, login, monkeypatch):
    """Each state of a kept list is rendered once per process (dashboard/views._rendered): walking the clock
    past items turning "soon" (due within a day), overdue and past midnight, the page reused is the page rendered
    afresh at that moment."""
    from datetime import date
    from portal.dashboard import views
    items = [ActionItem("時間 下午三點", "/a", due=datetime(2025, 3, 12, 15, 0, tzinfo=clock.TAIPEI)),
             ActionItem("時間 明天十點", "/b", due=datetime(2025, 3, 13, 10, 0, tzinfo=clock.TAIPEI)),
             ActionItem("日期 後天", "/c", due=date(2025, 3, 14)),
             ActionItem("日期 今天", "/d", due=date(2025, 3, 12))]
    monkeypatch.setattr(cache, "collect_action_items", lambda user, now: registry.sort_action_items(
        [ActionItem(i.title, i.url, due=i.due).check_overdue(now) for i in items]))
    monkeypatch.setitem(app.config, "KEPT_SECONDS", 3600 * 24)
    login(world.users[roles.BUREAU_OFFICER])
    client.get("/")   # the login's messages
    seen = set()
    for minutes in range(0, 48 * 60, 23):
        with clock.freeze(NOON + timedelta(minutes=minutes)):
            reused = _dashboard(client)[0]
            views._rendered.clear()
            fresh = _dashboard(client)[0]
        assert _without_token(reused) == _without_token(fresh), minutes
        seen.add(fresh.count("（已逾期）") * 10 + fresh.count('class="due soon"'))
    assert len(seen) >= 4   # the walk went through several different pages


def test_a_dashboard_computed_afresh_computes_its_list_once(app, client, world, login, monkeypatch, one_source):
    """The rendered list's key and the list it renders come from one computation (nothing kept: KEPT_SECONDS=0)."""
    monkeypatch.setitem(app.config, "KEPT_SECONDS", 0)
    login(world.users[roles.BUREAU_OFFICER])
    client.get("/")
    before = len(one_source)
    with clock.freeze(NOON):
        _dashboard(client)
    assert len(one_source) == before + 1
