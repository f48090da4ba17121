"""The authorisation matrix: every registered GET route × every role.

New routes join automatically. For each route the URL parameters are filled
with the ids of *another* unit's records (`world.foreign`, extended by each
area's `tests/<area>/authz_data.py`); other parameters get harmless values.
Asserts: no 500 anywhere; a user outside the bureau never gets a 200 on a
route that names another unit's record, and never sees the foreign marker.
"""
import pytest

from portal.auth import roles
from tests.factories import FOREIGN_MARKER

DEFAULTS = {"int": 1, "default": "x", "string": "x", "path": "x"}
SKIP_ENDPOINTS = {"static", "auth.logout"}
# Pages anyone may open: login, health check, and the applicant registration (issue 9 §1).
PUBLIC_ENDPOINTS = {"auth.login", "dashboard.healthz", "establishment.register"}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS or "GET" not in rule.methods:
            continue
        yield rule


def _build(app, rule, foreign):
    values, names_foreign = {}, False
    for arg in rule.arguments:
        conv = rule._converters[arg]
        converter = conv.__class__.__name__.replace("Converter", "").lower()
        if converter == "any":
            values[arg] = sorted(conv.items)[0]
        elif arg in foreign:
            values[arg] = foreign[arg]
            names_foreign = True
        elif converter in ("integer", "int"):
            values[arg] = 1
        else:
            values[arg] = DEFAULTS.get(converter, "x")
    with app.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, **values), names_foreign


@pytest.mark.parametrize("role", sorted(roles.ROLE_LABELS))
def test_every_route_for_every_role(app, client, world, login, role):
    user = world.users[role]
    login(user)
    problems = []
    for rule in _routes(app):
        url, names_foreign = _build(app, rule, world.foreign)
        response = client.get(url)
        status = response.status_code
        if status >= 500:
            problems.append(f"{status} {url}")
            continue
        if user.sees_all:
            continue
        if names_foreign and status == 200:
            problems.append(f"{url} answered 200 with another unit's record")
        if response.mimetype == "text/html" and FOREIGN_MARKER in response.get_data(as_text=True):
            problems.append(f"{url} shows another unit's data")
    assert not problems, "\n".join(problems)


def test_anonymous_gets_login_or_public(app, client, world):
    for rule in _routes(app):
        url, _ = _build(app, rule, world.foreign)
        response = client.get(url)
        assert response.status_code in (200, 302, 401, 404), url
        if response.status_code == 200:
            assert rule.endpoint in PUBLIC_ENDPOINTS, f"{url} is open without login"
