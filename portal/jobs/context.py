"""Run a job's work as the person who asked for it.

A worker has an app context but no request and no logged-in user. Handlers that reuse an area's
helpers (scoping with `current_user`, PDF templates that build `url_for('static', …)`) wrap their
work in `acting_as(job.requested_by)`: a request context whose `current_user` is the requester, with
the PDF pipeline's base URL so static links resolve inside the PDF fetcher.
"""
from contextlib import contextmanager

from flask import current_app, g

from portal.pdf import PDF_BASE_URL


@contextmanager
def acting_as(user):
    """Push a request context in which `current_user` is `user` (no session, no login signal, no audit row).

    The request context shares the current app context (and so `g` and the database session); the
    previous `g._login_user` is put back afterwards so the requester never leaks into the caller.
    """
    with current_app.test_request_context("/", base_url=PDF_BASE_URL):
        previous = g.pop("_login_user", _NONE)
        g._login_user = user
        try:
            yield
        finally:
            g.pop("_login_user", None)
            if previous is not _NONE:
                g._login_user = previous


_NONE = object()
