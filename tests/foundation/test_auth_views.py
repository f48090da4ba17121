"""Login, throttling, logout, the login gate and account administration."""
from portal.auditlog.models import AuditLogEntry
from portal.auth import roles
from portal.extensions import db


def test_pages_need_login(client, world):
    response = client.get("/clients")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_healthz_is_public(client, app):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_login_and_dashboard(client, world, login):
    login(world.users[roles.BUREAU_OFFICER])
    page = client.get("/").get_data(as_text=True)
    assert "待辦事項" in page and world.users[roles.BUREAU_OFFICER].full_name in page


def test_open_redirect_refused(client, world):
    user = world.users[roles.B_HEAD]
    response = client.post("/login?next=https://evil.example/", data={"username": user.username, "password": "pw-test-123"})
    assert response.headers["Location"] == "/"


def test_five_failures_lock_the_account(client, world, app_ctx):
    user = world.users[roles.B_STAFF]
    for i in range(5):
        response = client.post("/login", data={"username": user.username, "password": "wrong"})
        assert response.status_code == 401
    assert "鎖定" in response.get_data(as_text=True)
    # Even the right password is refused while locked.
    response = client.post("/login", data={"username": user.username, "password": "pw-test-123"})
    assert response.status_code == 401
    db.session.expire_all()
    actions = db.session.execute(db.select(AuditLogEntry.action).where(AuditLogEntry.entity_id == user.id)).scalars().all()
    assert "auth.locked" in actions and "auth.login_refused_locked" in actions


def test_admin_unlocks(client, world, login, app_ctx):
    user = world.users[roles.B_STAFF]
    for _ in range(5):
        client.post("/login", data={"username": user.username, "password": "wrong"})
    login(world.users[roles.ADMIN])
    assert client.post(f"/admin/users/{user.id}/unlock").status_code == 303
    login(user)  # succeeds again


def test_logout_needs_post(client, world, login):
    login(world.users[roles.B_HEAD])
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 303
    assert client.get("/").status_code == 302


def test_admin_creates_user_with_role_check(client, world, login, app_ctx):
    login(world.users[roles.ADMIN])
    data = {"username": "newcm", "full_name": "新個管", "organisation_id": world.orgs["b"].id,
            "role": roles.A_CASE_MANAGER, "password": "abcd1234", "active": "y"}
    page = client.post("/admin/users/new", data=data).get_data(as_text=True)
    assert "不能擔任" in page  # a B-unit person cannot be an A-unit case manager
    data["organisation_id"] = world.orgs["a"].id
    assert client.post("/admin/users/new", data=data).status_code == 303
    assert client.post("/admin/users/new", data=data).status_code == 200  # duplicate username refused


def test_non_admin_cannot_manage_users(client, world, login):
    login(world.users[roles.BUREAU_OFFICER])
    assert client.get("/admin/users").status_code == 403


def test_change_password(client, world, login):
    user = world.users[roles.GUIDANCE_STAFF]
    login(user)
    page = client.post("/account/password", data={"current_password": "nope", "new_password": "abcd1234",
                                                   "confirm": "abcd1234"}).get_data(as_text=True)
    assert "目前密碼不正確" in page
    assert client.post("/account/password", data={"current_password": "pw-test-123", "new_password": "abcd1234",
                                                  "confirm": "abcd1234"}).status_code == 303
    login(user, "abcd1234")


def test_address_throttle_blocks_many_failures_across_accounts(client, world, app):
    app.config["ADDRESS_MAX_FAILURES"] = 6
    try:
        for i in range(6):
            client.post("/login", data={"username": f"nobody{i}", "password": "x"})
        user = world.users[roles.BUREAU_OFFICER]
        response = client.post("/login", data={"username": user.username, "password": "pw-test-123"})
        assert response.status_code == 401 and "網路位址" in response.get_data(as_text=True)
    finally:
        app.config["ADDRESS_MAX_FAILURES"] = 20
