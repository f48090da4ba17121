"""Requests measured above the ~2 s budget on demo data (bench/documents.py), offered as jobs.

The establishment plan PDF lays out the whole plan and then places every page of every uploaded PDF
into it: tens of seconds for a plan with attachments, far past what a request should take (and a
gunicorn worker would be blocked all that time). The page keeps its direct link for a quick look at
a short draft; the job is the way to get a full plan without a timeout. The scope is the plan page's:
`EstablishmentPlan.visible_to` (applicants their own plans, the bureau all, guidance read-only).
"""
from flask import abort

from portal.auth.access import scoped
from portal.errors import Refused
from portal.extensions import db
from portal.jobs.context import acting_as
from portal.jobs.registry import JobResult, form_id, job_handler


def _plan(user, plan_id):
    from portal.establishment.models import EstablishmentPlan
    if plan_id is None:
        return None
    return db.session.execute(scoped(EstablishmentPlan, user).where(EstablishmentPlan.id == plan_id)).scalar_one_or_none()


def start_plan_pdf(user, form):
    from portal.establishment import checks
    plan = _plan(user, form_id(form.get("plan_id")))
    if plan is None:
        abort(404)
    number = form_id(form.get("version")) if form.get("version") else None
    if form.get("version") and not any(s.number == number for s in plan.submissions):
        abort(404)
    name = checks.institution_name(plan.content()) or "設立計畫書"
    return {"plan_id": plan.id, "version": number}, f"設立計畫書 PDF・{name}" + (f"・第 {number} 版" if number else "")


def _readers():
    from portal.establishment.models import READER_ROLES
    return READER_ROLES


@job_handler("establishment.plan_pdf", roles=_readers(), label="設立計畫書 PDF", start=start_plan_pdf)
def plan_pdf_job(job, params, progress):
    from portal.establishment import checks
    from portal.establishment.pdf import plan_pdf
    from portal.establishment.views import _area_names
    user = job.requested_by
    with acting_as(user):
        plan = _plan(user, params.get("plan_id"))
        if plan is None:
            raise Refused("找不到此設立計畫書，或您已無權限檢視。")
        number = params.get("version")
        submission = next((s for s in plan.submissions if s.number == number), None) if number else None
        if number and submission is None:
            raise Refused(f"找不到第 {number} 版的設立計畫書。")
        progress(5, "排版中（含附件頁）")
        body = plan_pdf(plan, submission=submission, area_names=_area_names())
        name = checks.institution_name(submission.content if submission else plan.content()) or ""
        return JobResult(f"{name}設立計畫書.pdf", "application/pdf", data=body)
