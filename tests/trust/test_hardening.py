"""Web hardening (issue 11 §2): cookies, HTTPS behind a proxy, security headers, password rules and the
forced change of an administrator-set password."""
import pytest

from portal.auth import roles
from portal.auth.models import User
from portal.auth.rules import password_problem
from portal.extensions import db


def _session_cookie(response):
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, "no session cookie set"
    return cookies[-1]


def _login(client, user, base_url="http://localhost", headers=None):
    return client.post("/login", data={"username": user.username, "password": "pw-test-123"},
                       base_url=base_url, headers=headers)


# --- cookies and HTTPS --------------------------------------------------------------------------

def test_session_cookie_httponly_lax_and_not_secure_over_plain_http(client, world):
    cookie = _session_cookie(_login(client, world.users[roles.BUREAU_OFFICER]))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # a development server on http must still be able to log in


def test_session_cookie_secure_over_https(client, world):
    response = _login(client, world.users[roles.BUREAU_OFFICER], base_url="https://portal.example")
    cookie = _session_cookie(response)
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_forwarded_headers_ignored_without_a_configured_proxy(client, world):
    # A client could forge these: without PROXY_HOPS they change nothing.
    response = _login(client, world.users[roles.BUREAU_OFFICER],
                      headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert "Secure" not in _session_cookie(response)
    assert "Strict-Transport-Security" not in response.headers
    from portal.auditlog.models import AuditLogEntry
    entry = db.session.execute(db.select(AuditLogEntry).filter_by(action="auth.login")).scalars().one()
    assert entry.ip == "127.0.0.1"


def test_behind_a_proxy_https_and_client_address_come_from_forwarded_headers(make_app, world):
    proxied = make_app(PROXY_HOPS=1)
    client = proxied.test_client()
    response = _login(client, world.users[roles.BUREAU_OFFICER],
                      headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert "Secure" in _session_cookie(response)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    from portal.auditlog.models import AuditLogEntry
    with proxied.app_context():
        entry = db.session.execute(db.select(AuditLogEntry).filter_by(action="auth.login")).scalars().one()
        assert entry.ip == "203.0.113.9"  # login throttling per address sees the real client


def test_forced_secure_cookie_setting(make_app, world):
    forced = make_app(SESSION_COOKIE_SECURE=True)
    assert "Secure" in _session_cookie(_login(forced.test_client(), world.users[roles.BUREAU_OFFICER]))


def test_security_headers_on_pages_files_and_errors(client, world, login):
    login(world.users[roles.BUREAU_OFFICER])
    client_id = world.clients["own"].id
    for url in ("/", f"/clients/{client_id}", f"/clients/{client_id}.pdf", "/healthz", "/no-such-page",
                "/static/css/portal.css"):
        response = client.get(url)
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert response.headers["X-Frame-Options"] == "DENY", url
        assert response.headers["Referrer-Policy"] == "same-origin", url
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in \
            csp.split("script-src", 1)[1].split(";", 1)[0], url
    pdf = client.get(f"/clients/{client_id}.pdf")
    assert "no-store" in pdf.headers["Cache-Control"]  # personal data: never kept by a shared cache
    assert "no-store" in client.get(f"/clients/{client_id}").headers["Cache-Control"]


def test_idle_session_expires(app):
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    assert app.config["SESSION_REFRESH_EACH_REQUEST"] and lifetime.total_seconds() <= 8 * 3600


# --- passwords -----------------------------------------------------------------------------------

@pytest.mark.parametrize("password, username, ok", [
    ("Zz9-long-enough", "wang01", True),
    ("demo1234", None, False),            # the demo password, and other first guesses
    ("Password1", None, False),
    ("wang01secret", "wang01", False),    # contains the account name
    ("short1", None, False),
    ("onlyletters", None, False),
])
def test_password_rules(password, username, ok):
    assert (password_problem(password, username=username) is None) == ok


def _create_account(client, world, password="Initial-pw-42"):
    data = {"username": "newofficer", "full_name": "新承辦", "organisation_id": world.orgs["bureau"].id,
            "role": roles.BUREAU_OFFICER, "password": password, "active": "y"}
    assert client.post("/admin/users/new", data=data).status_code == 303
    return db.session.execute(db.select(User).filter_by(username="newofficer")).scalar_one()


def test_new_account_must_replace_the_initial_password(client, world, login, app_ctx):
    login(world.users[roles.ADMIN])
    user = _create_account(client, world)
    assert user.must_change_password
    assert "待變更初始密碼" in client.get("/admin/users").get_data(as_text=True)
    client.post("/logout")
    client.post("/login", data={"username": "newofficer", "password": "Initial-pw-42"})
    # Every page leads to the password form, for plain requests and htmx alike.
    for url in ("/", f"/clients/{world.clients['own'].id}", "/admin/calendar"):
        response = client.get(url)
        assert response.status_code == 303 and response.headers["Location"].endswith("/account/password"), url
    htmx = client.get("/clients", headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"] == "/account/password"
    assert client.post("/admin/calendar", data={"day": "115/1/5", "kind": "off", "name": "x"}).status_code == 303
    page = client.get("/account/password").get_data(as_text=True)
    assert "請先設定只有您知道的新密碼" in page and "取消" not in page
    same = client.post("/account/password", data={"current_password": "Initial-pw-42", "new_password": "Initial-pw-42",
                                                   "confirm": "Initial-pw-42"})
    assert "新密碼不能與目前密碼相同" in same.get_data(as_text=True)
    done = client.post("/account/password", data={"current_password": "Initial-pw-42", "new_password": "Mine-only-77",
                                                   "confirm": "Mine-only-77"})
    assert done.status_code == 303
    db.session.expire_all()
    assert not db.session.get(User, user.id).must_change_password
    assert client.get("/").status_code == 200
    # Nothing was saved while the password change was pending.
    from portal.settings.models import OfficeDayOverride
    assert db.session.execute(db.select(OfficeDayOverride)).first() is None


def test_reset_by_administrator_requires_a_change_again(client, world, login, app_ctx):
    target = world.users[roles.B_HEAD]
    login(world.users[roles.ADMIN])
    data = {"username": target.username, "full_name": target.full_name, "organisation_id": target.organisation_id,
            "role": target.role, "password": "Reset-pw-2024", "active": "y"}
    assert client.post(f"/admin/users/{target.id}", data=data).status_code == 303
    db.session.expire_all()
    assert db.session.get(User, target.id).must_change_password
    # An edit that leaves the password alone does not.
    other = world.users[roles.B_STAFF]
    data = {"username": other.username, "full_name": "改名", "organisation_id": other.organisation_id,
            "role": other.role, "password": "", "active": "y"}
    assert client.post(f"/admin/users/{other.id}", data=data).status_code == 303
    db.session.expire_all()
    assert not db.session.get(User, other.id).must_change_password


def test_demo_and_command_line_accounts_are_not_forced(app, app_ctx):
    from portal.demo_data import seed_all
    ctx = seed_all("demo1234")
    db.session.commit()
    assert ctx.users and not any(u.must_change_password for u in ctx.users.values())
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "root2", "管理員乙"], input="Own-choice-99\nOwn-choice-99\n")
    assert result.exit_code == 0, result.output
    assert not db.session.execute(db.select(User).filter_by(username="root2")).scalar_one().must_change_password
