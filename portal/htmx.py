"""One HTMX idiom: the page and its fragments come from the same template.

`render(template, block="results", **ctx)` answers only the named block when
the request comes from htmx (`HX-Request`), the full page otherwise. Every
HTML response carries `Vary: HX-Request` (set in create_app) so the back
button never shows a bare fragment.
"""
from flask import current_app, make_response, redirect, render_template, request
from flask_login import current_user


def is_htmx() -> bool:
    """True for an htmx request that wants a fragment.

    A history restore (back button after hx-push-url; we keep no history
    cache in localStorage, so personal data never lands there) wants the whole page.
    """
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def render_block(template_name: str, block_name: str, **context) -> str:
    """Render one `{% block %}` of a template with the normal template context."""
    app = current_app._get_current_object()
    app.update_template_context(context)
    template = app.jinja_env.get_template(template_name)
    ctx = template.new_context(context)
    return "".join(template.blocks[block_name](ctx))


def render(template_name: str, block: str | None = None, status: int = 200, **context):
    """Answer the `block` fragment for htmx requests, the full page otherwise."""
    if block and is_htmx() and not request.headers.get("HX-Boosted"):
        body = render_block(template_name, block, **context)
    else:
        body = render_template(template_name, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def redirect_to(url: str):
    """Redirect after a successful POST: a full-page navigation for htmx and plain forms alike."""
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


def current_user_or_none():
    return current_user if current_user.is_authenticated else None
