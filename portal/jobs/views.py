"""「我的匯出」: the jobs a person started, with progress bars polled through htmx."""
from flask import Blueprint, abort, flash, send_file, url_for
from flask_login import current_user

from portal.auth import roles
from portal.auth.access import get_or_404, roles_required, scoped
from portal.errors import PortalError
from portal.extensions import db
from portal.htmx import redirect_to, render
from portal.jobs import builtin  # noqa: F401  (registers the self-test job)
from portal.jobs.models import Job
from portal.jobs.operations import enqueue, retry, storage_dir
from portal.nav import register_nav

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
register_nav("我的匯出", "jobs.index", roles.ALL_ROLES, order=850)


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


@bp.route("/selftest", methods=["POST"])
@roles_required(roles.ADMIN)
def selftest():
    job = enqueue(current_user, "system.selftest", {"seconds": 5}, "背景工作自我檢查")
    return redirect_to(url_for("jobs.show", job_id=job.id))
