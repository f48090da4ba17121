"""Access control in one place: role gates and organisation scope.

Every endpoint needs a logged-in user unless it is marked `@public`
(enforced in `install_login_gate`). Views then use:

- `@roles_required(...)` for the role check (403 otherwise);
- `scoped(Model)` for a select limited to what the current user may see
  (`Model.visible_to(user)` is the model's scope condition);
- `get_or_404(Model, id)` to load one record: 404 when it does not exist
  *or* is outside the user's organisation scope, so ids from forms or URLs
  are never trusted.
"""
from functools import wraps

from flask import abort, current_app, make_response, redirect, request, url_for
from flask_login import current_user

from portal.extensions import db

_PUBLIC_ENDPOINTS = {"static"}


def public(view):
    """Mark a view as reachable without logging in (login page, health check)."""
    _PUBLIC_ENDPOINTS.add(f"{view.__module__}:{view.__name__}")
    view._portal_public = True
    return view


def is_public_endpoint(endpoint: str | None) -> bool:
    if endpoint is None or endpoint in _PUBLIC_ENDPOINTS:
        return True
    view = current_app.view_functions.get(endpoint)
    return bool(getattr(view, "_portal_public", False))


# What a person who must replace an administrator-set password may still open.
PASSWORD_CHANGE_ENDPOINTS = {"auth.password", "auth.logout"}


def install_login_gate(app):
    @app.before_request
    def _require_login():
        if is_public_endpoint(request.endpoint):
            return None
        if not current_user.is_authenticated:
            if request.headers.get("HX-Request"):
                abort(401)
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if current_user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
            target = url_for("auth.password")
            if request.headers.get("HX-Request"):
                response = make_response("", 204)
                response.headers["HX-Redirect"] = target
                return response
            return redirect(target, code=303)
        return None


def roles_required(*roles):
    """Allow only users holding one of `roles`; others get 403."""
    allowed = frozenset(roles)

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)
        wrapped.allowed_roles = allowed
        return wrapped
    return decorator


def scoped(model, user=None):
    """Return a select of `model` limited to the rows `user` may see."""
    user = user or current_user
    return db.select(model).where(model.visible_to(user))


def get_or_404(model, ident, user=None, options=()):
    """Load one row the user may see, or 404 (also when it belongs to another organisation).

    `options`: loader options (what the page reads with the row, loaded in the same query)."""
    user = user or current_user
    if isinstance(ident, int) and not 0 < ident < 2**63:
        abort(404)  # an id from a form that no database row can have (SQLite overflows past 64 bits)
    pk = model.__mapper__.primary_key[0]
    row = db.session.execute(
        db.select(model).where(pk == ident).where(model.visible_to(user)).options(*options)
    ).unique().scalar_one_or_none()
    if row is None:
        abort(404)
    return row


def require(condition: bool):
    """Abort with 403 unless `condition` holds (object-level permission)."""
    if not condition:
        abort(403)
