"""長照行政入口 (LTC Admin Portal) — application factory."""
import logging

from flask import Flask, has_request_context, render_template, request
from flask_login import current_user

from portal.config import DEV_SECRET_KEY, pick_config
from portal.extensions import csrf, db, login_manager, migrate

# The areas, in the order their menus appear. Each module exposes `bp`.
BLUEPRINT_MODULES = [
    "portal.auth.views",
    "portal.dashboard.views",
    "portal.clients.views",
    "portal.incidents.views",
    "portal.orgs.views",
    "portal.settings.views",
    "portal.auditlog.views",
    "portal.jobs.views",
    "portal.establishment.views",
    "portal.cases.views",
    "portal.contracts.views",
    "portal.audits.views",
    "portal.billing.views",
    "portal.guidance.views",
    "portal.reports.views",
]


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def create_app(config=None):
    app = Flask(__name__, static_folder="../static", template_folder="../templates", instance_relative_config=True)
    app.config.from_object(pick_config())
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)

    if app.config.get("ENV_NAME") == "production" and app.config["SECRET_KEY"] == DEV_SECRET_KEY:
        raise RuntimeError("SECRET_KEY must be set in the environment when PORTAL_ENV=production")

    _ensure_instance_dir(app)
    _install_transport_security(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "請先登入。"
    login_manager.session_protection = "strong"

    from portal import filters, links
    from portal.auth.access import install_login_gate
    filters.install(app)
    links.install(app)
    install_login_gate(app)

    import importlib

    import portal.models  # noqa: F401  (all tables known before migrations run)
    for module_name in BLUEPRINT_MODULES:
        app.register_blueprint(importlib.import_module(module_name).bp)

    app.json.ensure_ascii = False
    _install_template_globals(app)
    _install_error_pages(app)
    _install_response_headers(app)
    _install_input_guard(app)
    from portal import db_pool, db_reads, perf, table_versions
    db_pool.install(app)
    db_reads.install(app)
    perf.install(app)
    table_versions.install(app)

    from portal import cli
    cli.install(app)
    _install_job_recovery(app)
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO)
    return app


def _install_transport_security(app):
    """Behind a reverse proxy, believe its forwarded headers (only as many hops as configured), and
    mark the session cookie Secure on every HTTPS request."""
    from flask.sessions import SecureCookieSessionInterface
    from werkzeug.middleware.proxy_fix import ProxyFix

    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)

    class SessionInterface(SecureCookieSessionInterface):
        def get_cookie_secure(self, app):
            return bool(app.config.get("SESSION_COOKIE_SECURE")) or (has_request_context() and request.is_secure)

    app.session_interface = SessionInterface()


def _ensure_instance_dir(app):
    import os
    os.makedirs(app.instance_path, exist_ok=True)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(uri[len("sqlite:///"):]) or ".", exist_ok=True)


def _install_template_globals(app):
    from portal import clock
    from portal.auth import roles
    from portal.nav import nav_for
    from portal.settings.operations import county_profile

    @app.context_processor
    def portal_globals():
        return {
            "nav_items": nav_for(current_user),
            "county": county_profile(),
            "roles": roles,
            "now": clock.now(),
            "today": clock.today(),
        }


def _install_error_pages(app):
    messages = {
        400: ("無法處理的要求", "送出的資料不完整或已過期，請重新整理頁面再試一次。"),
        401: ("請先登入", "您的登入已逾時，請重新登入。"),
        403: ("沒有權限", "您的帳號沒有檢視或執行此項目的權限。"),
        404: ("找不到資料", "您要找的頁面或資料不存在，或不屬於您的單位。"),
        405: ("不支援的操作", "此頁面不支援這個操作方式。"),
        409: ("資料已變更", "這筆資料已被其他人處理，請重新載入。"),
        413: ("檔案太大", "上傳的檔案超過大小上限。"),
        500: ("系統發生錯誤", "系統暫時無法處理，已記錄錯誤；請稍後再試，或聯絡系統管理員。"),
    }

    def handler(error):
        code = getattr(error, "code", 500) or 500
        if code == 500:
            db.session.rollback()
        title, text = messages.get(code, ("錯誤", str(error)))
        if request.headers.get("HX-Request"):
            return f'<div class="flash error" role="alert">{title}：{text}</div>', code
        return render_template("error.html", code=code, title=title, text=text), code

    for code in messages:
        app.register_error_handler(code, handler)

    from sqlalchemy.exc import DataError

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def number_too_large(error):
        # A number in the URL or form that the database cannot hold (e.g. ?area=99999999999999999999: SQLite
        # cannot bind past 64 bits, PostgreSQL's integer columns refuse past 32): no record can match it, so
        # this is a bad request, not a crash. Any other data error stays a server error.
        if isinstance(error, DataError) and type(error.orig).__name__ != "NumericValueOutOfRange":
            raise error
        db.session.rollback()
        title, text = "無法處理的要求", "網址或表單中的數字過大，請確認後再試一次。"
        if request.headers.get("HX-Request"):
            return f'<div class="flash error" role="alert">{title}：{text}</div>', 400
        return render_template("error.html", code=400, title=title, text=text), 400

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("error.html", code=400, title="表單已過期",
                               text="表單的安全驗證已過期，請重新整理頁面後再送出；您輸入的內容可能需要重新填寫。"), 400


def _install_response_headers(app):
    @app.after_request
    def headers(response):
        if response.mimetype == "text/html":
            response.vary.add("HX-Request")
            response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # No inline script anywhere: scripts come from our static files only.
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def _install_job_recovery(app):
    """Embedded mode: the first request of a process requeues jobs a dead process left running."""
    if app.config.get("REDIS_URL") or app.testing:
        return
    state = {"done": False}

    @app.before_request
    def recover_jobs_once():
        if not state["done"]:
            state["done"] = True
            from portal.jobs.operations import recover_stale_jobs
            try:
                recover_stale_jobs()
            except Exception:  # never block a page for this
                db.session.rollback()


def _install_input_guard(app):
    """Refuse NUL bytes in form input: PostgreSQL cannot store them and no person types them."""
    from flask import abort

    @app.before_request
    def refuse_nul_bytes():
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            if any("\x00" in value for values in request.form.listvalues() for value in values):
                abort(400)
