"""Log in, lock, unlock and manage accounts — each logged."""
from portal import clock
from portal.auditlog.operations import log_change, snapshot
from portal.auth import roles
from portal.auth.models import User
from portal.auth.rules import after_failed_login, password_problem
from portal.errors import Refused
from portal.extensions import db

USER_FIELDS = ("username", "full_name", "job_title", "email", "phone", "organisation_id", "role", "active")


def find_user(username: str) -> User | None:
    return db.session.execute(db.select(User).filter_by(username=(username or "").strip())).scalar_one_or_none()


def attempt_login(username: str, password: str, *, max_failures=5, lock_minutes=15):
    """Return (user, None) on success or (None, zh-TW reason). Failures and locks are logged."""
    now = clock.now()
    user = find_user(username)
    if user is None:
        log_change(None, None, "auth.login_failed", entity_type="users", after={"username": (username or "")[:60]})
        return None, "帳號或密碼錯誤。"
    if user.is_locked(now):
        log_change(user, user, "auth.login_refused_locked")
        return None, f"此帳號因連續登入失敗已暫時鎖定，請於 {user.locked_until.astimezone(clock.TAIPEI):%H:%M} 後再試，或聯絡系統管理員解除。"
    if not user.active:
        log_change(user, user, "auth.login_refused_inactive")
        return None, "此帳號已停用，請聯絡系統管理員。"
    if not user.check_password(password):
        user.failed_logins, user.locked_until = after_failed_login(
            user.failed_logins, now, max_failures=max_failures, lock_minutes=lock_minutes)
        if user.locked_until:
            log_change(user, user, "auth.locked", after={"locked_until": user.locked_until})
            return None, f"連續登入失敗 {max_failures} 次，帳號已鎖定 {lock_minutes} 分鐘。"
        log_change(user, user, "auth.login_failed", after={"failed_logins": user.failed_logins})
        return None, "帳號或密碼錯誤。"
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    log_change(user, user, "auth.login")
    return user, None


def unlock_user(actor, user: User):
    before = {"failed_logins": user.failed_logins, "locked_until": user.locked_until}
    user.failed_logins = 0
    user.locked_until = None
    log_change(actor, user, "auth.unlock", before=before, after={"failed_logins": 0, "locked_until": None})


def change_password(actor, user: User, current: str, new: str):
    if not user.check_password(current):
        raise Refused("目前密碼不正確", field="current_password")
    problem = password_problem(new, username=user.username)
    if problem:
        raise Refused(problem, field="new_password")
    if user.check_password(new):
        raise Refused("新密碼不能與目前密碼相同", field="new_password")
    was_required = user.must_change_password
    user.set_password(new)
    user.must_change_password = False
    log_change(actor, user, "auth.password_changed", note="首次登入變更初始密碼" if was_required else None)


def _check_role_fits(data):
    from portal.orgs.models import Organisation
    org = db.session.get(Organisation, data["organisation_id"])
    if org is None:
        raise Refused("所屬單位不存在", field="organisation_id")
    if data["role"] not in roles.ROLES_BY_ORG_KIND.get(org.kind, []):
        raise Refused(f"「{org.kind_label}」的人員不能擔任「{roles.ROLE_LABELS.get(data['role'], data['role'])}」",
                      field="role")


def create_user(actor, data: dict, password: str) -> User:
    if find_user(data["username"]):
        raise Refused("此帳號已有人使用", field="username")
    problem = password_problem(password, username=data["username"])
    if problem:
        raise Refused(problem, field="password")
    _check_role_fits(data)
    user = User(**{k: data[k] for k in USER_FIELDS if k in data})
    user.set_password(password)
    # An administrator chose this password: the person replaces it at first login. (`flask create-admin`
    # has no actor: the administrator typed their own.)
    user.must_change_password = actor is not None
    db.session.add(user)
    db.session.flush()
    log_change(actor, user, "user.create", after=snapshot(user, USER_FIELDS))
    return user


def update_user(actor, user: User, data: dict, password: str | None = None) -> User:
    other = find_user(data["username"])
    if other and other.id != user.id:
        raise Refused("此帳號已有人使用", field="username")
    _check_role_fits(data)
    before = snapshot(user, USER_FIELDS)
    for k in USER_FIELDS:
        if k in data:
            setattr(user, k, data[k])
    if password:
        problem = password_problem(password, username=user.username)
        if problem:
            raise Refused(problem, field="password")
        user.set_password(password)
        user.must_change_password = True  # a reset password is known to the administrator
    log_change(actor, user, "user.update", before=before, after=snapshot(user, USER_FIELDS),
               note="密碼已重設" if password else None)
    return user
