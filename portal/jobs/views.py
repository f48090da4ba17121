"""「我的匯出」: the jobs a person started, with progress bars polled through htmx."""
from flask import Blueprint, abort, flash, request, send_file, url_for
from flask_login import current_user

from portal.auth import roles
from portal.auth.access import get_or_404, require, roles_required, scoped
from portal.errors import PortalError, Refused
from portal.extensions import db
from portal.htmx import redirect_to, render
from portal.jobs import bench_job
from portal.jobs import builtin  # noqa: F401  (registers the self-test job)
from portal.jobs.registry import all_kinds, find_kind
from portal.jobs.models import Job
from portal.jobs.operations import enqueue, retry, storage_dir
from portal.nav import register_nav

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
register_nav("我的匯出", "jobs.index", roles.ALL_ROLES, order=850)


def startable_job_kinds():
    """The kinds the current user may start from a page (a Jinja global, so imported macros see it)."""
    role = getattr(current_user, "role", None)
    return {k.name for k in all_kinds() if k.start is not None and role in k.roles}


@bp.record_once
def _template_globals(state):
    state.app.jinja_env.globals["startable_job_kinds"] = startable_job_kinds


@bp.route("/")
def index():
    jobs = db.session.execute(scoped(Job).order_by(Job.id.desc()).limit(50)).scalars().all()
    return render("jobs/index.html", block="jobs", jobs=jobs, polling=any(j.active for j in jobs))


@bp.route("/<int:job_id>")
def show(job_id):
    job = get_or_404(Job, job_id)
    return render("jobs/show.html", block="progress", job=job)


@bp.route("/<int:job_id>/download")
def download(job_id):
    job = get_or_404(Job, job_id)
    if job.state != "done" or not job.result_path:
        abort(404)
    path = storage_dir() / job.result_path
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype=job.result_mime, as_attachment=True, download_name=job.result_name)


@bp.route("/<int:job_id>/retry", methods=["POST"])
def retry_job(job_id):
    job = get_or_404(Job, job_id)
    try:
        retry(current_user, job)
    except PortalError as exc:
        flash(str(exc), "error")
    return redirect_to(url_for("jobs.show", job_id=job.id))


@bp.route("/start/<kind>", methods=["POST"])
def start(kind):
    """Start a job a page offers (a button or a small form posting here).

    The kind's declared roles decide who may (403 otherwise); its `start` function reads the
    form and scopes every id in it to the user (404 for another unit's record), so nothing
    from the form is trusted. Bad input comes back as a plain message on 我的匯出.
    """
    definition = find_kind(kind)
    if definition is None or definition.start is None:
        abort(404)
    require(current_user.role in definition.roles)
    try:
        params, title = definition.start(current_user, request.form)
        job = enqueue(current_user, kind, params, title)
    except Refused as exc:
        flash(str(exc), "error")
        return redirect_to(url_for(definition.page or "jobs.index"))
    return redirect_to(url_for("jobs.show", job_id=job.id))


@bp.route("/selftest", methods=["POST"])
@roles_required(roles.ADMIN)
def selftest():
    job = enqueue(current_user, "system.selftest", {"seconds": 5}, "背景工作自我檢查")
    return redirect_to(url_for("jobs.show", job_id=job.id))


@bp.route("/bench-seed")
@roles_required(roles.ADMIN)
def bench_seed():
    """The start form of the county-scale benchmark data set: its target (password masked), why it
    cannot be used if so, the scale, and the latest runs with their progress bars."""
    target = bench_job.configured_target()
    jobs = db.session.execute(scoped(Job).where(Job.kind == bench_job.KIND).order_by(Job.id.desc())
                              .limit(5)).scalars().all()
    return render("jobs/bench_seed.html", block="jobs", jobs=jobs,
                  target=bench_job.masked(target) if target else None, problem=bench_job.target_problem(target),
                  scales=bench_job.SCALES, kind=bench_job.KIND)


# Job kinds of other areas that pages start through `jobs.start` (imported here so that the app and
# the worker, which both build the app, register them).
from portal.audits import exports as _audits_exports  # noqa: E402,F401
from portal.billing import exports as _billing_exports  # noqa: E402,F401
from portal.jobs import heavy as _heavy  # noqa: E402,F401
