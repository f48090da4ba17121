"""The guidance unit's read-only view of the homes it guides (seed 003 §十五(四)): the home's legal duties —
service records, fee declarations — stay with the home. Licensing a home through the guidance pipeline
gives the unit a read-only 「guides」 link: every family-care page of that home answers, every action on it
is refused and changes nothing; a home the unit does not guide stays invisible (404).

Complements the access matrix (tests/guidance/access_rows.py for the guidance pages, the billing rows for
the home's pages) with every billing route of a home, derived from the URL map so a new route is covered."""
from datetime import date, datetime

import pytest

from portal import clock
from portal.auditlog.models import AuditLogEntry
from portal.auth import roles
from portal.extensions import db
from portal.guidance.models import GuidedHome
from tests.factories import make_org
from tests.guidance.helpers import make_home

NOW = datetime(2025, 11, 20, 10, 0)
VALUES = {"day": "2025-11-03", "month": "2025-10"}


@pytest.fixture
def frozen():
    with clock.freeze(NOW):
        yield


def _home_routes(app, method):
    """billing.* rules of `method` naming only a home (and a day or month)."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("billing.") and method in rule.methods and "home_id" in rule.arguments \
                and rule.arguments <= {"home_id", "day", "month"}:
            yield rule


def _url(app, rule, home_id):
    with app.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, home_id=home_id, **{k: VALUES[k] for k in rule.arguments if k in VALUES})


def _audit_rows():
    return db.session.execute(db.select(db.func.count(AuditLogEntry.id))).scalar_one()


def _license(client, world, login):
    """Take a home through the pipeline as the guidance unit: licensing creates the B unit and the link."""
    unit = world.orgs["guidance"]
    home = make_home(unit, stage="licence_applied", name="唯讀測試家庭托顧服務")
    db.session.commit()
    login(world.users[roles.GUIDANCE_STAFF])
    response = client.post(f"/guidance/homes/{home.id}/advance", data={
        "version": home.version, "to_stage": "licensed", "on": "114/11/03", "licence_no": "府衛字第1140000001號"})
    assert response.status_code in (302, 303)
    home = db.session.get(GuidedHome, home.id)
    assert home.stage == "licensed" and home.organisation_id
    return home.organisation_id


def test_guidance_unit_reads_every_page_of_its_guided_home(app, client, world, login, app_ctx, frozen):
    org_id = _license(client, world, login)
    stranger = make_org(roles.B_UNIT, "未受輔導家庭托顧", subtype="family_care")
    db.session.commit()
    rules = list(_home_routes(app, "GET"))
    assert any(r.endpoint == "billing.home" for r in rules) and len(rules) >= 5
    assert client.get(f"/billing/homes/{org_id}/admissions/new").status_code == 403
    problems = []
    for rule in rules:
        got = client.get(_url(app, rule, org_id)).status_code
        # A page of its own is read (200); an entry form of the home's (new admission…) is refused (403).
        expected = {200, 403} if "POST" in rule.methods else {200}
        if got not in expected:
            problems.append(f"GET {rule.endpoint} of the guided home answered {got}")
        got = client.get(_url(app, rule, stranger.id)).status_code
        if got != 404:
            problems.append(f"GET {rule.endpoint} of a home not guided answered {got}, expected 404")
    assert not problems, "\n".join(problems)


def test_guidance_unit_cannot_act_for_its_guided_home(app, client, world, login, app_ctx, frozen):
    org_id = _license(client, world, login)
    rules = list(_home_routes(app, "POST"))
    assert any(r.endpoint == "billing.save_family" for r in rules)
    problems = []
    for rule in rules:
        before = _audit_rows()
        got = client.post(_url(app, rule, org_id), data={"confirm": "1", "note": "代填"}).status_code
        if got not in (403, 404):
            problems.append(f"POST {rule.endpoint} answered {got}, expected 403")
        if _audit_rows() != before:
            problems.append(f"POST {rule.endpoint} changed data")
    assert not problems, "\n".join(problems)


def test_the_view_ends_when_guidance_stops(client, world, login, app_ctx, frozen):
    org_id = _license(client, world, login)
    assert client.get(f"/billing/homes/{org_id}").status_code == 200
    home = db.session.execute(db.select(GuidedHome).filter_by(organisation_id=org_id)).scalar_one()
    response = client.post(f"/guidance/homes/{home.id}/drop", data={
        "version": home.version, "on": "114/11/20", "reason": "家托員決定不再經營"})
    assert response.status_code in (302, 303)
    assert client.get(f"/billing/homes/{org_id}").status_code == 404
    # The guidance record itself stays readable to the unit.
    assert client.get(f"/guidance/homes/{home.id}").status_code == 200
