"""Fixtures for the trust tests: extra app instances on the test database with one setting changed
(CSRF on, a reverse proxy in front…). They share the `app` fixture's database, which is migrated once
and emptied after each test."""
import re

import pytest

from portal import create_app
from portal.config import TestConfig
from tests.conftest import USE_POSTGRES

TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def make_app(app):
    def build(**overrides):
        config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
        config.update(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                      UPLOAD_DIR=app.config["UPLOAD_DIR"],
                      SQLALCHEMY_ENGINE_OPTIONS={} if USE_POSTGRES else {"connect_args": {"timeout": 30}})
        config.update(overrides)
        return create_app(config)
    return build


@pytest.fixture
def csrf_app(make_app):
    """The portal as deployed: CSRF protection on."""
    return make_app(WTF_CSRF_ENABLED=True)


def csrf_token(html: str) -> str:
    match = TOKEN_RE.search(html)
    assert match, "no csrf_token field on the page"
    return match.group(1)


def login_with_csrf(client, username, password="pw-test-123", base_url="http://localhost"):
    page = client.get("/login", base_url=base_url).get_data(as_text=True)
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_token(page)}, base_url=base_url,
                           headers={"Referer": base_url + "/login"})  # over HTTPS the Referer is checked too
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return response
