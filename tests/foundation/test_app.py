"""App factory: configuration, production safety, response headers."""
import pytest

from portal import create_app
from portal.config import DEV_SECRET_KEY


def test_production_refuses_default_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": DEV_SECRET_KEY,
                    "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_starts_with_a_real_key():
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY"] == "x" * 40


def test_database_url_spellings(monkeypatch):
    from portal import config
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    assert config._database_url() == "postgresql+psycopg://u@h/db"
    monkeypatch.delenv("DATABASE_URL")
    assert config._database_url().startswith("sqlite:///")


def test_html_responses_vary_on_hx_request(client, app):
    response = client.get("/login")
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers["X-Frame-Options"] == "DENY"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp


def test_history_restore_gets_the_full_page(client, world, login):
    from portal.auth import roles
    login(world.users[roles.BUREAU_OFFICER])
    fragment = client.get("/clients", headers={"HX-Request": "true"}).get_data(as_text=True)
    full = client.get("/clients", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "<html" in full


def test_no_inline_scripts_in_templates():
    """CSP forbids inline script: every <script> must have a src, and no on*= handlers."""
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parents[2] / "templates"
    for path in root.rglob("*.html"):
        text = path.read_text("utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag, f"inline <script> in {path}"
        assert not re.search(r"\son(click|change|submit|load|input)\s*=", text), f"inline handler in {path}"


def test_htmx_vendored_not_cdn(client, app):
    page = client.get("/login").get_data(as_text=True)
    assert "/static/js/htmx-2.0.11.min.js" in page and "unpkg" not in page and "cdn" not in page.lower()
    assert client.get("/static/js/htmx-2.0.11.min.js").status_code == 200


def test_pdf_fetcher_blocks_files_and_network(app):
    from portal.pdf import html_to_pdf
    import subprocess, tempfile
    with app.test_request_context():
        pdf = html_to_pdf('<img src="file:///etc/passwd"><img src="http://example.com/x.png"><p>安全</p>')
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        text = subprocess.run(["pdftotext", f.name, "-"], capture_output=True, text=True).stdout
    assert "安全" in text and "root:" not in text
