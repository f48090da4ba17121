"""Result reports for the access matrix: another unit's (with a photo row and a submission) and the home
family-care unit's (returned for correction, so it is editable and has a submission to read)."""
import io
from datetime import datetime, timezone

from portal.extensions import db
from portal.reports.models import ReportPhoto, ReportSection, ReportSubmission, ResultReport
from tests.authz import foreign_data, matrix_data
from tests.factories import FOREIGN_MARKER

YEAR = 2025
RECEIVED = datetime(2026, 1, 10, 2, 0, tzinfo=timezone.utc)


@foreign_data
def result_reports(world):
    report = ResultReport(organisation_id=world.orgs["b_other"].id, service_year=YEAR, state="submitted",
                          received_at=RECEIVED, submitted_at=RECEIVED)
    db.session.add(report)
    db.session.flush()
    db.session.add(ReportSection(report=report, key="other", data={"remarks": FOREIGN_MARKER + "成果報告"}))
    photo = ReportPhoto(report=report, caption=FOREIGN_MARKER, **_stored(report))
    db.session.add(photo)
    db.session.add(ReportSubmission(report=report, number=1,
                                    snapshot={"sections": {"other": {"remarks": FOREIGN_MARKER}}}))
    db.session.flush()
    # Qualified keys (audits and incidents have report_id / photo_id parameters too); the section key,
    # the submission number and the year are not organisation-scoped: the same in both registries.
    world.foreign.update({"reports.report_id": report.id, "reports.photo_id": photo.id, "reports.key": "other",
                          "reports.number": 1, "reports.year": YEAR})


def _stored(report) -> dict:
    """A real (tiny) photo file, so the bureau's 200 is a file served, not a missing one."""
    from flask import current_app
    from PIL import Image
    from portal.reports.photos import store_photo
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(buffer, "PNG")
    return store_photo(buffer.getvalue(), current_app.config["UPLOAD_DIR"], report.id)


@matrix_data
def own_result_report(world):
    report = ResultReport(organisation_id=world.orgs["b"].id, service_year=YEAR, state="returned",
                          received_at=RECEIVED, submitted_at=RECEIVED)
    db.session.add(report)
    db.session.flush()
    db.session.add(ReportSection(report=report, key="other", data={"remarks": "本單位成果報告"}))
    photo = ReportPhoto(report=report, caption="本單位活動照片", **_stored(report))
    db.session.add(photo)
    db.session.add(ReportSubmission(report=report, number=1, snapshot={"sections": {"other": {"remarks": "本單位"}}}))
    db.session.flush()
    world.own.update({"reports.report_id": report.id, "reports.photo_id": photo.id, "reports.key": "other",
                      "reports.number": 1, "reports.year": YEAR})
