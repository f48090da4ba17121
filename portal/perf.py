"""Speed and weight: response compression, fingerprinted static files, SQL query counting.

- Responses are compressed (gzip/brotli) by Flask-Compress.
- `url_for('static', filename=...)` gets `?v=<content hash>`; such URLs are
  cached by browsers for a year (immutable), so old PCs fetch CSS/JS once.
- With `QUERY_COUNT_HEADER` on (tests, benchmarks) every response carries
  `X-Query-Count`, the number of SQL statements the request ran.
"""
import gzip
import hashlib
import mimetypes
from functools import lru_cache
from pathlib import Path

from flask import abort, g, make_response, request
from flask_compress import Compress
from sqlalchemy import event

compress = Compress()
YEAR = 365 * 24 * 3600


@lru_cache(maxsize=256)
def _file_hash(path: str, mtime: float) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]


@lru_cache(maxsize=64)
def _gzipped(path: str, mtime: float) -> bytes:
    return gzip.compress(Path(path).read_bytes(), compresslevel=9, mtime=0)


def install(app):
    app.config.setdefault("COMPRESS_MIMETYPES", ["text/html", "text/css", "application/javascript",
                                                 "text/javascript", "application/json", "image/svg+xml",
                                                 "text/csv", "text/plain"])
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    compress.init_app(app)
    static_dir = Path(app.static_folder)

    original_static = app.view_functions["static"]

    def static_compressed(filename):
        """Serve text assets gzip-compressed from memory (send_file responses bypass Flask-Compress)."""
        path = (static_dir / filename).resolve()
        if static_dir.resolve() not in path.parents or not path.is_file():
            abort(404)
        mime = mimetypes.guess_type(str(path))[0] or "application/octet-stream"
        if not (mime.startswith("text/") or mime in ("application/javascript", "image/svg+xml")) \
                or "gzip" not in request.headers.get("Accept-Encoding", ""):
            return original_static(filename=filename)
        body = _gzipped(str(path), path.stat().st_mtime)
        response = make_response(body)
        response.headers["Content-Type"] = mime + ("; charset=utf-8" if mime.startswith("text/") or "javascript" in mime else "")
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        response.set_etag(_file_hash(str(path), path.stat().st_mtime) + "-gz")
        return response.make_conditional(request)

    app.view_functions["static"] = static_compressed

    @app.url_defaults
    def fingerprint_static(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            path = static_dir / values["filename"]
            try:
                values["v"] = _file_hash(str(path), path.stat().st_mtime)
            except OSError:
                pass

    @app.after_request
    def cache_fingerprinted(response):
        if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
        return response

    if app.config.get("QUERY_COUNT_HEADER"):
        _install_query_counter(app)


def _install_query_counter(app):
    from portal.extensions import db

    def start_counting():
        g.query_count = 0

    # First of all the request's hooks, so the statements that load the logged-in user count too.
    app.before_request_funcs.setdefault(None, []).insert(0, start_counting)

    def count(conn, cursor, statement, parameters, context, executemany):
        try:
            g.query_count = g.get("query_count", 0) + 1
        except RuntimeError:  # outside a request
            pass

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)

    @app.after_request
    def report(response):
        response.headers["X-Query-Count"] = str(g.get("query_count", 0))
        return response
