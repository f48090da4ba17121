"""The bureau's long incident lists a page at a time (issue 10): order kept, filter kept, no query per row."""
from datetime import timedelta

from portal import clock
from portal.auth import roles
from portal.extensions import db
from tests.incidents.helpers import make_incident


def _ids(page):
    return [int(part.split('"', 1)[0]) for part in page.split('href="/incidents/')[1:]
            if part.split('"', 1)[0].isdigit()]


def _get(client, url, **kwargs):
    db.session.commit()   # every request starts from the same (expired) test session
    return client.get(url, **kwargs)


def _open_incidents(world, n, start=0, hours_ago=0):
    """n open incidents, older ones first due (their notification deadline runs from the occurrence)."""
    b, own = world.users[roles.B_HEAD], world.clients["own"]
    ids = [make_incident(b, own, occurred_at=clock.now() - timedelta(hours=hours_ago,
                                                                      minutes=30 + 2 * (start + i))).id
           for i in range(n)]
    db.session.commit()
    return ids


def test_board_second_page_holds_the_rest_in_deadline_order(client, world, login, app_ctx):
    login(world.users[roles.BUREAU_OFFICER])
    _open_incidents(world, 3)
    _get(client, "/incidents/board")
    kept_order = int(_get(client, "/incidents/board").headers["X-Query-Count"])
    # The first request after a change works the order out again, in a number of queries that does not grow
    # with the incidents; the next ones take the kept order (portal/kept.py) and load only the page's incidents.
    _open_incidents(world, 1, start=3)
    few = int(_get(client, "/incidents/board").headers["X-Query-Count"])
    _open_incidents(world, 54, start=4)
    response = _get(client, "/incidents/board")
    assert int(response.headers["X-Query-Count"]) == few
    assert int(_get(client, "/incidents/board").headers["X-Query-Count"]) == kept_order < few
    page1 = response.get_data(as_text=True)
    page2 = _get(client, "/incidents/board?page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    # One order across the pages: the board's own (next deadline first), as the full list gives it.
    from portal.incidents.views import board_rows, open_incidents
    from portal.settings.operations import office_calendar
    whole = [r["incident"].id for r in board_rows(open_incidents(world.users[roles.BUREAU_OFFICER]),
                                                   office_calendar(), clock.now())]
    assert 58 <= len(whole) <= 100   # ours and any the world holds
    first, second = _ids(page1), _ids(page2)
    assert first == whole[:50] and second == whole[50:] and "第 1 / 2 頁" in page1
    assert f'<span class="num">{len(whole)}</span>處理中' in page1   # the tiles count every open incident
    assert 'href="/incidents/board?page=2"' in page1 and 'hx-target="#board"' in page1
    assert "<html" not in page2 and "上一頁" in page2
    # The minute's refresh reloads the page being looked at.
    assert 'hx-get="/incidents/board?page=2"' in page2 and 'hx-trigger="every 60s"' in page2


def test_board_filter_is_kept_across_pages(client, world, login, app_ctx):
    login(world.users[roles.BUREAU_OFFICER])
    overdue = _open_incidents(world, 52, hours_ago=6)   # notification overdue
    recent = _open_incidents(world, 3, start=52)
    page = _get(client, "/incidents/board?only=overdue").get_data(as_text=True)
    link = page.split("下一頁")[0].rsplit("<a", 1)[1]
    assert "only=overdue" in link and "page=2" in link
    page2 = _get(client, "/incidents/board?only=overdue&page=2").get_data(as_text=True)
    shown = set(_ids(page)) | set(_ids(page2))
    assert set(overdue) <= shown and not set(recent) & shown


def test_dispute_list_is_paginated_without_a_query_per_row(client, world, login, app_ctx):
    from portal.incidents import operations as ops
    officer = world.users[roles.BUREAU_OFFICER]
    incident_id = make_incident(world.users[roles.B_HEAD], world.clients["own"], submit=True).id
    login(officer)

    def disputes(n, start=0):
        from portal.incidents.models import Incident
        incident = db.session.get(Incident, incident_id)
        for i in range(start, start + n):
            ops.create_dispute(officer, {"applicant_name": f"申請人{i}", "subject": f"爭議{i:03d}", "claim": "內容",
                                         "received_on": clock.today() - timedelta(days=i % 10)}, incident=incident)
        db.session.commit()
    disputes(2)
    _get(client, "/disputes")
    few = int(_get(client, "/disputes").headers["X-Query-Count"])
    disputes(53, start=2)
    response = _get(client, "/disputes")
    page1 = response.get_data(as_text=True)
    assert int(response.headers["X-Query-Count"]) == few
    assert page1.count('href="/disputes/') >= 50 and "第 1 / 2 頁" in page1
    page2 = _get(client, "/disputes?page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    shown = {t.split("<", 1)[0] for t in (page1 + page2).split("爭議")[1:] if t[:3].isdigit()}
    assert "<html" not in page2 and {f"{i:03d}" for i in range(55)} <= shown


def test_board_shows_a_change_on_the_next_request(client, world, login, app_ctx):
    """The kept order (portal/kept.py) is worked out again as soon as an incident table changes."""
    from portal.incidents.models import Incident
    login(world.users[roles.BUREAU_OFFICER])
    first, second = _open_incidents(world, 2)
    for _ in range(2):
        page = _get(client, "/incidents/board").get_data(as_text=True)
        assert {first, second} <= set(_ids(page))
    db.session.get(Incident, first).status = "closed"
    db.session.commit()
    page = _get(client, "/incidents/board").get_data(as_text=True)
    assert first not in _ids(page) and second in _ids(page)
