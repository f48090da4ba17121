"""Queue summaries of the home dashboard (issue 10): the SQL cutoffs equal the pure rules, and a queue is one
item with its count, earliest due and overdue count."""
from datetime import date, timedelta

from portal import calendar
from portal.calendar import OfficeCalendar
from portal.cases import rules
from portal.cases.hooks import first_service_overdue_cutoff
from portal.dashboard.registry import queue_item
from portal.guidance.hooks import grant_overdue_cutoff

# a typhoon day off and a make-up Saturday, around the Lunar New Year 2025
CAL = OfficeCalendar(office_days=frozenset({date(2025, 2, 8)}), days_off=frozenset({date(2025, 2, 11)}))


def _days(start, n):
    return [start + timedelta(days=i) for i in range(n)]


def test_first_service_cutoff_is_the_rule():
    """Approved on or before the cutoff ⇔ rules.first_service_due(approved) < today (7 office days, WE-03)."""
    for today in _days(date(2025, 1, 15), 60):
        cutoff = first_service_overdue_cutoff(today, CAL)
        for approved in _days(today - timedelta(days=40), 41):
            assert (approved <= cutoff) == (rules.first_service_due(approved, cal=CAL) < today), (today, approved)


def test_grant_cutoff_is_the_rule():
    """Submitted before the cutoff ⇔ submitted + N office days < today (GRANT_DECISION_DAYS)."""
    for days in (5, 10):
        for today in _days(date(2025, 1, 15), 60):
            cutoff = grant_overdue_cutoff(today, days, CAL)
            for submitted in _days(today - timedelta(days=40), 41):
                assert (submitted < cutoff) == (calendar.add_office_days(submitted, days, cal=CAL) < today)


def test_queue_item_counts_and_marks_overdue():
    from datetime import datetime
    from portal import clock
    now = datetime(2025, 3, 3, 9, tzinfo=clock.TAIPEI)
    late = queue_item("更換服務單位申請待審", "/changes", 12, date(2025, 2, 1), 3, area="個案管理").check_overdue(now)
    assert late.title == "更換服務單位申請待審 12 件（逾期 3 件）" and late.overdue and late.overdue_records == 3
    calm = queue_item("請款待審核", "/billing/review", 4).check_overdue(now)
    assert calm.title == "請款待審核 4 件" and not calm.overdue and calm.overdue_records == 0
    quiet = queue_item("A單位首次服務逾期", "/cases", 5, date(2025, 2, 1), 5, say_late=False).check_overdue(now)
    assert quiet.title == "A單位首次服務逾期 5 件" and quiet.overdue and quiet.overdue_records == 5


def test_queue_items_link_to_pages_the_role_may_open(client, world, login):
    """Every queue item on every role's dashboard links to a page that role can open (the queue's list)."""
    import html
    import re
    from portal.auth import roles
    from tests.authz import run_matrix_builders
    run_matrix_builders(world)
    seen = {}
    for role in roles.ROLE_LABELS:
        login(world.users[role])
        page = client.get("/").get_data(as_text=True)
        for url, title in re.findall(r'<li class="[^"]*queue[^"]*">.*?<a href="([^"]+)">([^<]+)</a>', page, re.S):
            seen.setdefault(role, []).append(title)
            assert re.search(r" \d+ (件|個)", title), title
            assert client.get(html.unescape(url)).status_code == 200, (role, url)
    assert seen.get(roles.BUREAU_OFFICER), seen   # the matrix world gives the officer queues to work through
