"""Another unit's result report (with a photo row and a submission) for the access matrix."""
from portal.extensions import db
from portal.reports.models import ReportPhoto, ReportSection, ReportSubmission, ResultReport
from tests.authz import foreign_data
from tests.factories import FOREIGN_MARKER


@foreign_data
def result_reports(world):
    report = ResultReport(organisation_id=world.orgs["b_other"].id, service_year=2025, state="submitted")
    db.session.add(report)
    db.session.flush()
    db.session.add(ReportSection(report=report, key="other", data={"remarks": FOREIGN_MARKER + "成果報告"}))
    photo = ReportPhoto(report=report, caption=FOREIGN_MARKER, stored_name="x.jpg", thumb_name="x-t.jpg",
                        mimetype="image/jpeg", width=10, height=10, size_bytes=1, sha256="0" * 64)
    db.session.add(photo)
    db.session.add(ReportSubmission(report=report, number=1,
                                    snapshot={"sections": {"other": {"remarks": FOREIGN_MARKER}}}))
    db.session.flush()
    world.foreign["report_id"] = report.id
    world.foreign["photo_id"] = photo.id
