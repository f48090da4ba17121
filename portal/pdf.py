"""The one PDF pipeline: a record's printable HTML template rendered by WeasyPrint.

Documents live in `templates/pdf/` and extend `pdf/base.html` (A4, embedded
Kai + Times-metric serif fonts, page numbers centred at the bottom). The URL
fetcher serves our own static files only: no `file://`, no network
(style.md pitfalls).
"""
import mimetypes
from pathlib import Path

from flask import current_app, make_response, render_template
from urllib.parse import quote

_weasyprint = None


def _wp():
    # Imported once, lazily: the import costs ~0.6 s (toolchain.md) and
    # plain page requests should not pay it.
    global _weasyprint
    if _weasyprint is None:
        import weasyprint
        import weasyprint.urls  # noqa: F401  (the fetcher subclasses it)
        _weasyprint = weasyprint
    return _weasyprint


PDF_BASE_URL = "https://portal.invalid/"
_STATIC_PREFIX = PDF_BASE_URL + "static/"
# Record files a view hands over explicitly (e.g. a report's photos): `files={name: (bytes, mimetype)}`,
# referenced in the template as PDF_FILES_PREFIX + name. Nothing else outside static/ is reachable.
PDF_FILES_PREFIX = PDF_BASE_URL + "files/"


def _make_fetcher(static_dir: Path, files: dict | None = None):
    """Return a URL fetcher that serves files under `static_dir` (and `files`) and refuses everything else."""
    wp_urls = _wp().urls
    static_dir = static_dir.resolve()
    files = files or {}

    class StaticOnlyFetcher(wp_urls.URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                # Inline data (uploaded images, the 草稿 watermark) reads nothing outside the document.
                return super().fetch(url, headers)
            if url.startswith(PDF_FILES_PREFIX) and url[len(PDF_FILES_PREFIX):] in files:
                body, mime = files[url[len(PDF_FILES_PREFIX):]]
                return wp_urls.URLFetcherResponse(url, body, {"Content-Type": mime})
            if not url.startswith(_STATIC_PREFIX):
                raise ValueError(f"blocked URL in PDF: {url[:80]}")
            relative = url[len(_STATIC_PREFIX):].split("?")[0]
            path = (static_dir / relative).resolve()
            if static_dir not in path.parents or not path.is_file():
                raise ValueError(f"no such static file: {relative[:80]}")
            mime, _ = mimetypes.guess_type(str(path))
            return wp_urls.URLFetcherResponse(url, path.read_bytes(),
                                              {"Content-Type": mime or "application/octet-stream"})
    return StaticOnlyFetcher()


def html_to_pdf(html: str, files: dict | None = None) -> bytes:
    """Render HTML (already a printable document) to PDF bytes."""
    fetcher = _make_fetcher(Path(current_app.static_folder), files)
    return _wp().HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=fetcher).write_pdf()


def html_to_document(html: str, files: dict | None = None):
    """Render HTML to a WeasyPrint Document (pages and anchors known) for documents that post-process pages."""
    fetcher = _make_fetcher(Path(current_app.static_folder), files)
    return _wp().HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=fetcher).render()


def render_pdf(template_name: str, *, files: dict | None = None, **context) -> bytes:
    """Render a printable template to PDF bytes."""
    html = render_template(template_name, for_pdf=True, pdf_files_prefix=PDF_FILES_PREFIX, **context)
    return html_to_pdf(html, files)


def pdf_response(template_name: str, filename: str, *, inline=True, files: dict | None = None, **context):
    """Answer a PDF download of a printable template."""
    response = make_response(render_pdf(template_name, files=files, **context))
    response.headers["Content-Type"] = "application/pdf"
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    response.headers["Cache-Control"] = "private, no-store"
    return response
