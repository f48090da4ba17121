"""CSRF on every state-changing request (issue 11 §2), with protection on as in production.

The rest of the suite runs with CSRF off (TestConfig) so that tests can post plainly; these tests use
an app with it on. Every POST route is tried without a token, with a wrong token, and with the right
token in the form field and in the `X-CSRFToken` header htmx sends (from `<body hx-headers>`).
New routes join automatically.
"""
import re

import pytest

from portal.auditlog.models import AuditLogEntry
from portal.auth import roles
from portal.extensions import db
from portal.settings.models import OfficeDayOverride
from tests.test_access_matrix import _build
from tests.trust.conftest import csrf_token, login_with_csrf

EXPIRED = "表單的安全驗證已過期"
FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
TOKEN_FIELD_RE = re.compile(r'name="(?:[\w-]+-)?csrf_token"')
HX_HEADERS_RE = re.compile(r"<body[^>]*hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'")


def _post_routes(app):
    return [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]


def _audit_rows(app):
    with app.app_context():
        return db.session.execute(db.select(db.func.count(AuditLogEntry.id))).scalar_one()


def _refused(response, htmx=False):
    body = response.get_data(as_text=True)
    return response.status_code == 400 and (EXPIRED in body if not htmx else "role=\"alert\"" in body or EXPIRED in body)


@pytest.mark.parametrize("who", ["anonymous", roles.ADMIN, roles.BUREAU_OFFICER, roles.B_HEAD, roles.APPLICANT])
def test_every_post_route_refuses_a_missing_or_wrong_token(csrf_app, world, who):
    client = csrf_app.test_client()
    if who != "anonymous":
        login_with_csrf(client, world.users[who].username)
    before = _audit_rows(csrf_app)
    problems = []
    for rule in _post_routes(csrf_app):
        url, _ = _build(csrf_app, rule, world.own)
        for label, kwargs in (
                ("no token", {"data": {"name": "x"}}),
                ("wrong token", {"data": {"name": "x", "csrf_token": "forged"}}),
                ("htmx without header", {"data": {"name": "x"}, "headers": {"HX-Request": "true"}}),
                ("htmx wrong header", {"data": {"name": "x"}, "headers": {"HX-Request": "true",
                                                                          "X-CSRFToken": "forged"}})):
            response = client.post(url, **kwargs)
            if response.status_code != 400:
                problems.append(f"{who}: POST {url} ({label}) answered {response.status_code}")
    assert not problems, "\n".join(problems)
    assert _audit_rows(csrf_app) == before  # nothing was saved


def test_token_of_another_session_is_refused(csrf_app, world):
    mallory = csrf_app.test_client()
    login_with_csrf(mallory, world.other_users[roles.B_HEAD].username)
    their_token = csrf_token(mallory.get("/account/password").get_data(as_text=True))
    victim = csrf_app.test_client()
    login_with_csrf(victim, world.users[roles.BUREAU_OFFICER].username)
    response = victim.post("/admin/calendar", data={"day": "115/1/5", "kind": "off", "name": "颱風",
                                                    "csrf_token": their_token})
    assert _refused(response)
    with csrf_app.app_context():
        assert db.session.execute(db.select(OfficeDayOverride)).first() is None


def test_login_form_needs_the_token(csrf_app, world):
    client = csrf_app.test_client()
    response = client.post("/login", data={"username": world.users[roles.ADMIN].username, "password": "pw-test-123"})
    assert _refused(response)
    assert client.get("/").status_code == 302  # not logged in (no login CSRF)


def test_right_token_in_the_form_or_the_htmx_header_is_accepted(csrf_app, world):
    client = csrf_app.test_client()
    login_with_csrf(client, world.users[roles.BUREAU_OFFICER].username)
    page = client.get("/admin/calendar").get_data(as_text=True)
    response = client.post("/admin/calendar", data={"day": "115/1/5", "kind": "off", "name": "颱風停班",
                                                    "csrf_token": csrf_token(page)})
    assert response.status_code == 303
    # htmx: the token travels in the header that <body hx-headers> sets on every htmx request.
    header_token = HX_HEADERS_RE.search(page).group(1)
    response = client.post("/admin/calendar", data={"day": "115/1/6", "kind": "off", "name": "颱風停班"},
                           headers={"HX-Request": "true", "X-CSRFToken": header_token})
    assert response.status_code == 204 and response.headers["HX-Redirect"]
    with csrf_app.app_context():
        assert len(db.session.execute(db.select(OfficeDayOverride)).all()) == 2


def test_https_posts_from_another_site_are_refused(csrf_app, world):
    """Over HTTPS Flask-WTF also checks the Referer: a form on another site cannot post even with a token."""
    client = csrf_app.test_client()
    base = "https://portal.example"
    login_with_csrf(client, world.users[roles.BUREAU_OFFICER].username, base_url=base)
    token = csrf_token(client.get("/admin/calendar", base_url=base).get_data(as_text=True))
    data = {"day": "115/1/5", "kind": "off", "name": "颱風停班", "csrf_token": token}
    evil = client.post("/admin/calendar", data=data, base_url=base, headers={"Referer": "https://evil.example/x"})
    assert evil.status_code == 400
    good = client.post("/admin/calendar", data=data, base_url=base, headers={"Referer": base + "/admin/calendar"})
    assert good.status_code == 303


@pytest.mark.parametrize("role", [roles.ADMIN, roles.BUREAU_OFFICER, roles.A_CASE_MANAGER, roles.B_HEAD,
                                  roles.APPLICANT, roles.GUIDANCE_STAFF])
def test_every_post_form_carries_the_token(csrf_app, world, role):
    """Every <form method="post"> on every page a role can open has the hidden token (so it works without
    JavaScript), and every full page gives htmx the header token."""
    client = csrf_app.test_client()
    login_with_csrf(client, world.users[role].username)
    problems, pages = [], 0
    for rule in csrf_app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        url, _ = _build(csrf_app, rule, world.own)
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        pages += 1
        if "<body" in html and not HX_HEADERS_RE.search(html):
            problems.append(f"{url}: no X-CSRFToken in <body hx-headers>")
        for attributes, inner in FORM_RE.findall(html):
            # A prefixed form (prefix="cm") names it "cm-csrf_token"; Flask-WTF takes any field ending so.
            if re.search(r'method\s*=\s*"?post', attributes, re.I) and not TOKEN_FIELD_RE.search(inner):
                problems.append(f"{url}: a POST form without csrf_token: <form{attributes[:80]}>")
    assert pages > 3
    assert not problems, "\n".join(problems)


def test_anonymous_forms_carry_the_token(csrf_app):
    client = csrf_app.test_client()
    for url in ("/login", "/establishment/register"):
        html = client.get(url).get_data(as_text=True)
        assert csrf_token(html), url
