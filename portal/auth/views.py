"""Login, logout, own password, and the administrator's account pages."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from portal.auth import roles, throttle
from portal.auth.access import public, roles_required
from portal.auth.forms import ChangePasswordForm, LoginForm, UserForm
from portal.auth.models import User
from portal.auth.operations import attempt_login, change_password, create_user, unlock_user, update_user
from portal.errors import Refused
from portal.extensions import db, login_manager
from portal.htmx import redirect_to, render
from portal.nav import register_nav
from portal.orgs.models import Organisation

bp = Blueprint("auth", __name__)
register_nav("帳號管理", "auth.users", [roles.ADMIN], order=900)


@login_manager.user_loader
def load_user(user_id):
    # The user's organisation is read by every page (header, scoping): load it with the user. Every request
    # needs both, so each worker keeps them while `users` and `organisations` are unchanged (issue 10).
    from sqlalchemy.orm import joinedload
    from portal import clock
    from portal.kept import kept_row
    return kept_row("user", str(int(user_id)),
                    lambda: db.session.get(User, int(user_id), options=[joinedload(User.organisation)]),
                    now=clock.now())


def _safe_next(target):
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        address = request.remote_addr or "unknown"
        if throttle.is_blocked(address):
            user, error = None, "此網路位址登入失敗次數過多，請 15 分鐘後再試。"
        else:
            user, error = attempt_login(form.username.data, form.password.data,
                                        max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                                        lock_minutes=current_app.config["LOGIN_LOCK_MINUTES"])
            if user is None:
                throttle.record_failure(address)
        db.session.commit()
        if user:
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME of inactivity
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("dashboard.home"), code=303)
    return render("auth/login.html", form=form, error=error, status=200 if not error else 401)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash("您已登出。", "info")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/account/password", methods=["GET", "POST"])
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, current_user, form.current_password.data, form.new_password.data)
        except Refused as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            db.session.commit()
            flash("密碼已更新。", "success")
            return redirect_to(url_for("dashboard.home"))
    return render("auth/password.html", form=form)


# --- account administration (系統管理員) ---------------------------------------

@bp.route("/admin/users")
@roles_required(roles.ADMIN)
def users():
    q = request.args.get("q", "").strip()
    stmt = db.select(User).join(User.organisation).order_by(Organisation.kind, Organisation.name, User.username)
    if q:
        stmt = stmt.where(User.full_name.contains(q) | User.username.contains(q) | Organisation.name.contains(q))
    rows = db.session.execute(stmt).scalars().all()
    return render("auth/users.html", block="results", users=rows, q=q)


def _user_form(user=None):
    form = UserForm(obj=user)
    orgs = db.session.execute(db.select(Organisation).where(Organisation.active)
                              .order_by(Organisation.kind, Organisation.name)).scalars().all()
    form.organisation_id.choices = [(0, "— 請選擇 —")] + [(o.id, f"{o.name}（{o.kind_label}）") for o in orgs]
    form.role.choices = [("", "— 請選擇 —")] + list(roles.ROLE_LABELS.items())
    return form


def _user_data(form):
    return {k: getattr(form, k).data for k in
            ("username", "full_name", "job_title", "email", "phone", "organisation_id", "role", "active")} | {
        "email": form.email.data or None}


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles_required(roles.ADMIN)
def user_new():
    form = _user_form()
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors.append("新帳號需設定初始密碼")
        else:
            try:
                user = create_user(current_user, _user_data(form), form.password.data)
            except Refused as exc:
                getattr(form, exc.field).errors.append(str(exc))
            else:
                db.session.commit()
                flash(f"已建立帳號 {user.username}。", "success")
                return redirect_to(url_for("auth.users"))
    return render("auth/user_form.html", form=form, user=None)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(roles.ADMIN)
def user_edit(user_id):
    user = db.get_or_404(User, user_id)
    form = _user_form(user)
    if form.validate_on_submit():
        try:
            update_user(current_user, user, _user_data(form), form.password.data or None)
        except Refused as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            db.session.commit()
            flash("帳號資料已更新。", "success")
            return redirect_to(url_for("auth.users"))
    return render("auth/user_form.html", form=form, user=user)


@bp.route("/admin/users/<int:user_id>/unlock", methods=["POST"])
@roles_required(roles.ADMIN)
def user_unlock(user_id):
    user = db.get_or_404(User, user_id)
    unlock_user(current_user, user)
    db.session.commit()
    flash(f"已解除 {user.full_name} 的登入鎖定。", "success")
    return redirect_to(url_for("auth.users"))
