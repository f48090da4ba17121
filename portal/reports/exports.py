"""The ZIP of a year's approved result reports, built as a background job (portal/jobs): rendering
dozens of PDFs with photos takes longer than a request may (issue 6 item 6)."""
import os
import tempfile
import zipfile

from flask import current_app

from portal.auth import roles
from portal.auth.access import scoped
from portal.errors import Refused
from portal.extensions import db
from portal.jobs.registry import JobResult, job_handler
from portal.reports.models import ACCEPTED, ResultReport

ZIP_ROLES = (roles.ADMIN, roles.BUREAU_OFFICER, roles.BUREAU_CHIEF)
ZIP_KIND = "reports.approved_zip"


def approved_reports(user, year: int):
    """The approved reports of `year` the user may read, in the order of the archive."""
    reports = db.session.execute(scoped(ResultReport, user).where(ResultReport.service_year == year,
                                                                  ResultReport.state == ACCEPTED)).scalars().all()
    return sorted(reports, key=lambda r: (r.organisation.name, r.id))


def zip_name(year: int) -> str:
    return f"{year - 1911}年度家庭托顧成果報告（已核定）.zip"


@job_handler(ZIP_KIND, roles=ZIP_ROLES, label="已核定成果報告 ZIP")
def approved_zip(job, params, progress):
    """One PDF per approved report (as the single download prints it), written to a file, not memory."""
    from portal.jobs.operations import storage_dir
    from portal.pdf import render_pdf
    from portal.reports.views import _pdf_context, _pdf_files, _pdf_name
    year = int(params["year"])
    reports = approved_reports(job.requested_by, year)
    if not reports:
        raise Refused(f"{year - 1911}年度尚無已核定的成果報告。")
    handle, path = tempfile.mkstemp(suffix=".zip.tmp", dir=storage_dir())
    os.close(handle)
    try:
        # PDF templates build URLs (static files): give them a request context, as the page would.
        with current_app.test_request_context("/reports"), \
                zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for number, report in enumerate(reports, start=1):
                progress((number - 1) * 100 // len(reports), f"正在產生第 {number}／{len(reports)} 份："
                                                                f"{report.organisation.name}")
                ctx = _pdf_context(report)
                archive.writestr(_pdf_name(report), render_pdf("pdf/reports_result.html",
                                                               files=_pdf_files(report, ctx["doc"]), **ctx))
        progress(100, f"已產生 {len(reports)} 份成果報告")
    except BaseException:
        os.remove(path)
        raise
    return JobResult(zip_name(year), "application/zip", path=path)
