"""Annual result reports (成果報告) of family-care units — family-care.md §11, seed 003 附件3.

A report belongs to one family-care B unit and one service year. Its sections
are rows of their own (each saved on its own, with its own version, so two
people editing different sections never collide); figures computed from the
year's service records live on the report, and a unit's override of a figure
keeps the computed value beside it. Every submission keeps a snapshot, so the
history of returns and resubmissions stays readable.
"""
from sqlalchemy import JSON, false, or_, true

from portal import clock
from portal.auth import roles
from portal.dbtypes import UTCDateTime
from portal.extensions import db

# States (family-care.md §11.3; Q16: a portal submission counts as received, so
# SUBMITTED is also 已收文). "untouched" is shown for a unit with no report yet.
DRAFT, SUBMITTED, RETURNED, ACCEPTED, NOT_REQUIRED = "draft", "submitted", "returned", "accepted", "not_required"
STATE_LABELS = {
    "untouched": "未填",
    DRAFT: "填寫中",
    SUBMITTED: "已送出",
    RETURNED: "退回補正",
    ACCEPTED: "已核定",
    NOT_REQUIRED: "免交",
}
STATE_BADGES = {"untouched": "", DRAFT: "info", SUBMITTED: "warn", RETURNED: "bad", ACCEPTED: "ok", NOT_REQUIRED: ""}
EDITABLE_STATES = (DRAFT, RETURNED)

# Sections of 附件3, in the order of the form (labels verbatim where the seed has them).
SECTIONS = [
    ("basics", "一～三、單位名稱、計畫案名稱、執行期程"),
    ("results", "四、執行成效"),
    ("users", "五、使用者分析"),
    ("courses", "六、課程安排"),
    ("conclusion", "七、結論與優缺點改善事項"),
    ("satisfaction", "八、服務滿意度情形"),
    ("other", "九、其他說明及建議"),
    ("signer", "填表人"),
]
SECTION_KEYS = [k for k, _ in SECTIONS]
SECTION_TITLES = dict(SECTIONS)


class ResultReport(db.Model):
    __tablename__ = "result_reports"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    service_year = db.Column(db.Integer, nullable=False)      # AD year of the services (2025 = 114年度)
    state = db.Column(db.String(20), nullable=False, default=DRAFT, index=True)
    figures = db.Column(JSON)                  # computed from service records (see operations.refresh_figures)
    figures_computed_at = db.Column(UTCDateTime)
    received_at = db.Column(UTCDateTime)       # first submission = 收文 (Q16)
    late = db.Column(db.Boolean, nullable=False, default=False, server_default=false())
    # 收文日期 as the bureau recorded it from the paper letter (R-RPT-01: the receipt date counts; Q16: the
    # portal submission is the receipt unless the bureau records otherwise). None: received_at stands.
    received_on = db.Column(db.Date)
    receipt_note = db.Column(db.String(200))
    submitted_at = db.Column(UTCDateTime)      # latest submission
    decided_at = db.Column(UTCDateTime)
    decided_by_id = db.Column(db.ForeignKey("users.id"))
    not_required_reason = db.Column(db.String(200))
    created_by_id = db.Column(db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow, onupdate=clock.utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    organisation = db.relationship("Organisation")
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])
    sections = db.relationship("ReportSection", back_populates="report", cascade="all, delete-orphan")
    overrides = db.relationship("ReportOverride", back_populates="report", cascade="all, delete-orphan",
                                order_by="ReportOverride.key")
    photos = db.relationship("ReportPhoto", back_populates="report", cascade="all, delete-orphan",
                             order_by="ReportPhoto.id")
    submissions = db.relationship("ReportSubmission", back_populates="report", cascade="all, delete-orphan",
                                  order_by="ReportSubmission.number")
    comments = db.relationship("ReportComment", back_populates="report", cascade="all, delete-orphan",
                               order_by="ReportComment.created_at")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (db.UniqueConstraint("organisation_id", "service_year", name="uq_result_reports_org_year"),)

    @property
    def state_label(self):
        return STATE_LABELS.get(self.state, self.state)

    @property
    def state_badge(self):
        return STATE_BADGES.get(self.state, "")

    @property
    def roc_year(self):
        return self.service_year - 1911

    @property
    def receipt_date(self):
        """The 收文日期 that counts: the bureau's recorded date, else the date of the first portal submission."""
        if self.received_on is not None:
            return self.received_on
        return self.received_at.astimezone(clock.TAIPEI).date() if self.received_at else None

    @property
    def editable(self):
        return self.state in EDITABLE_STATES

    def section(self, key):
        return next((s for s in self.sections if s.key == key), None)

    @property
    def live_photos(self):
        return [p for p in self.photos if p.deleted_at is None]

    @classmethod
    def visible_to(cls, user):
        """SQL condition: the bureau sees all; a unit its own; a guidance unit the homes it guides (read-only)."""
        if user.sees_all:
            return true()
        if user.role == roles.GUIDANCE_STAFF:
            from portal.orgs.models import overseen_org_ids
            return or_(cls.organisation_id == user.organisation_id, cls.organisation_id.in_(overseen_org_ids(user)))
        if user.role in roles.B_ROLES:
            return cls.organisation_id == user.organisation_id
        return false()

    def __repr__(self):
        return f"<ResultReport {self.organisation_id} {self.service_year} {self.state}>"


class ReportSection(db.Model):
    """One section's entered content (JSON of the section form's fields)."""

    __tablename__ = "result_report_sections"
    id = db.Column(db.Integer, primary_key=True)
    report_id = db.Column(db.ForeignKey("result_reports.id", ondelete="CASCADE"), nullable=False, index=True)
    key = db.Column(db.String(20), nullable=False)
    data = db.Column(JSON, nullable=False, default=dict)
    updated_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    updated_by_id = db.Column(db.ForeignKey("users.id"))
    version = db.Column(db.Integer, nullable=False, default=1)

    report = db.relationship(ResultReport, back_populates="sections")
    updated_by = db.relationship("User")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (db.UniqueConstraint("report_id", "key", name="uq_result_report_sections_key"),)


class ReportOverride(db.Model):
    """A figure the unit changed: the value and the reason; the computed value stays on the report."""

    __tablename__ = "result_report_overrides"
    id = db.Column(db.Integer, primary_key=True)
    report_id = db.Column(db.ForeignKey("result_reports.id", ondelete="CASCADE"), nullable=False, index=True)
    key = db.Column(db.String(60), nullable=False)
    value = db.Column(db.String(30), nullable=False)
    computed_value = db.Column(db.String(30))        # the computed value when the override was made
    reason = db.Column(db.String(500), nullable=False)
    created_by_id = db.Column(db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)

    report = db.relationship(ResultReport, back_populates="overrides")
    created_by = db.relationship("User")

    __table_args__ = (db.UniqueConstraint("report_id", "key", name="uq_result_report_overrides_key"),)


class ReportPhoto(db.Model):
    """An activity photo (section 六), resized and stripped of EXIF on upload.

    Deleting marks the row (and keeps the file) so earlier submissions still show what was sent.
    """

    __tablename__ = "result_report_photos"
    id = db.Column(db.Integer, primary_key=True)
    report_id = db.Column(db.ForeignKey("result_reports.id", ondelete="CASCADE"), nullable=False, index=True)
    month = db.Column(db.Integer)                  # 1–12, or None for the whole year
    caption = db.Column(db.String(100), nullable=False, default="")
    stored_name = db.Column(db.String(80), nullable=False)   # under UPLOAD_DIR/reports/<report_id>/
    thumb_name = db.Column(db.String(80), nullable=False)
    mimetype = db.Column(db.String(20), nullable=False)
    width = db.Column(db.Integer, nullable=False)
    height = db.Column(db.Integer, nullable=False)
    size_bytes = db.Column(db.Integer, nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    uploaded_by_id = db.Column(db.ForeignKey("users.id"))
    uploaded_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    deleted_at = db.Column(UTCDateTime)

    report = db.relationship(ResultReport, back_populates="photos")


class ReportSubmission(db.Model):
    """One submission of the report, with a snapshot of what was sent and the bureau's decision on it."""

    __tablename__ = "result_report_submissions"
    id = db.Column(db.Integer, primary_key=True)
    report_id = db.Column(db.ForeignKey("result_reports.id", ondelete="CASCADE"), nullable=False, index=True)
    number = db.Column(db.Integer, nullable=False)
    submitted_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    submitted_by_id = db.Column(db.ForeignKey("users.id"))
    late = db.Column(db.Boolean, nullable=False, default=False, server_default=false())
    snapshot = db.Column(JSON, nullable=False)
    outcome = db.Column(db.String(20))        # returned / accepted, None while under review
    decided_at = db.Column(UTCDateTime)
    decided_by_id = db.Column(db.ForeignKey("users.id"))
    decision_note = db.Column(db.Text)

    report = db.relationship(ResultReport, back_populates="submissions")
    submitted_by = db.relationship("User", foreign_keys=[submitted_by_id])
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])

    __table_args__ = (db.UniqueConstraint("report_id", "number", name="uq_result_report_submissions_number"),)

    @property
    def outcome_label(self):
        return {"returned": "退回補正", "accepted": "已核定"}.get(self.outcome or "", "審查中")


class ReportComment(db.Model):
    """A comment on one section: the bureau's return comments, or a note (bureau or guidance unit)."""

    __tablename__ = "result_report_comments"
    id = db.Column(db.Integer, primary_key=True)
    report_id = db.Column(db.ForeignKey("result_reports.id", ondelete="CASCADE"), nullable=False, index=True)
    submission_id = db.Column(db.ForeignKey("result_report_submissions.id", ondelete="SET NULL"))
    section_key = db.Column(db.String(20), nullable=False)
    kind = db.Column(db.String(10), nullable=False, default="note")   # return / note
    body = db.Column(db.Text, nullable=False)
    author_id = db.Column(db.ForeignKey("users.id"))
    author_name = db.Column(db.String(60), nullable=False)
    author_org_name = db.Column(db.String(120), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)

    report = db.relationship(ResultReport, back_populates="comments")
    submission = db.relationship(ReportSubmission)

    @property
    def section_title(self):
        return SECTION_TITLES.get(self.section_key, "整體")
