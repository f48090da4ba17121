"""The bureau's audit schedule a page at a time (issue 10): soonest first, no query per audit."""
from datetime import date, timedelta

from portal.auth import roles
from portal.extensions import db
from tests.audits.factories import make_audit
from tests.factories import make_org


def _get(client, url, **kwargs):
    db.session.commit()   # every request starts from the same (expired) test session
    return client.get(url, **kwargs)


def _schedule(world, n, start=0):
    lead = world.users[roles.AUDITOR]
    ids = []
    for i in range(start, start + n):
        org = make_org(roles.B_UNIT, f"受查單位{i:03d}")
        ids.append(make_audit(org, lead, on=date(2026, 1, 5) + timedelta(days=i)).id)
    db.session.commit()
    return ids


def _audit_ids(page):
    return [int(p.split('"', 1)[0]) for p in page.split('href="/audits/')[1:] if p.split('"', 1)[0].isdigit()]


def test_audit_schedule_second_page_and_constant_queries(client, world, login, app_ctx):
    login(world.users[roles.BUREAU_OFFICER])
    _schedule(world, 3)
    _get(client, "/audits")
    few = int(_get(client, "/audits").headers["X-Query-Count"])
    _schedule(world, 55, start=3)
    response = _get(client, "/audits")
    assert int(response.headers["X-Query-Count"]) == few
    page1 = response.get_data(as_text=True)
    upcoming1 = page1.split('id="upcoming"')[1].split("</section>")[0]
    assert "第 1 / 2 頁" in upcoming1 and 'hx-target="#upcoming"' in upcoming1
    page2 = _get(client, "/audits?page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in page2 and "上一頁" in page2
    from portal.audits.models import Audit
    expected = [a.id for a in db.session.execute(db.select(Audit).where(
        Audit.status.not_in(("cancelled", "finalised")))).scalars()]
    expected.sort(key=lambda i: (db.session.get(Audit, i).scheduled_on, i))   # soonest first
    assert _audit_ids(upcoming1) == expected[:50] and _audit_ids(page2) == expected[50:]
    assert _get(client, "/audits?page=99999999999999999999").status_code == 200   # the last page
