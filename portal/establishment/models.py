"""Establishment plans (設立計畫書, seed 004): the plan, its sections, uploads, submitted versions,
the bureau's per-section comments, and the bureau's population table per township (Q23)."""
from sqlalchemy import JSON, false, or_, true

from portal import clock
from portal.auth import roles
from portal.dbtypes import UTCDateTime
from portal.extensions import db

# establishment-plan.md §5 and decisions Q22.
DRAFT, SUBMITTED, RECEIVED, RETURNED, ACCEPTED, VISITED = (
    "draft", "submitted", "received", "returned", "accepted", "visited")
STATUS_LABELS = {
    DRAFT: "草稿",
    SUBMITTED: "已送件（待收案）",
    RECEIVED: "已收案（審查中）",
    RETURNED: "退回補件",
    ACCEPTED: "審查通過（待實地訪查）",
    VISITED: "已完成實地訪查",
}
STATUS_BADGES = {DRAFT: "", SUBMITTED: "info", RECEIVED: "info", RETURNED: "warn", ACCEPTED: "ok", VISITED: "ok"}
EDITABLE_STATUSES = (DRAFT, RETURNED)
SITE_VISIT_RESULTS = {"pass": "符合設立標準", "improve": "需改善後複查", "fail": "不符合"}

# Who writes a plan: the applicant (and a B unit preparing another institution, spec §0).
AUTHOR_ROLES = (roles.APPLICANT, roles.B_HEAD)
REVIEWER_ROLES = (roles.BUREAU_OFFICER, roles.BUREAU_CHIEF)
READER_ROLES = AUTHOR_ROLES + REVIEWER_ROLES + (roles.ADMIN, roles.GUIDANCE_STAFF)


class EstablishmentPlan(db.Model):
    __tablename__ = "establishment_plans"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    created_by_id = db.Column(db.ForeignKey("users.id"), nullable=False)
    status = db.Column(db.String(20), nullable=False, default=DRAFT, index=True)
    case_number = db.Column(db.String(40), unique=True)   # 案件編號 (由主辦單位填寫)
    received_on = db.Column(db.Date)                       # 收案日期
    submission_count = db.Column(db.Integer, nullable=False, default=0)
    submitted_at = db.Column(UTCDateTime)
    decided_at = db.Column(UTCDateTime)
    decided_by_id = db.Column(db.ForeignKey("users.id"))
    decision_note = db.Column(db.Text)
    site_visit_on = db.Column(db.Date)
    site_visit_result = db.Column(db.String(20))
    site_visit_note = db.Column(db.Text)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow, onupdate=clock.utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    organisation = db.relationship("Organisation")
    created_by = db.relationship("User", foreign_keys=[created_by_id])
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])
    sections = db.relationship("PlanSection", back_populates="plan", cascade="all, delete-orphan")
    attachments = db.relationship("PlanAttachment", back_populates="plan", cascade="all, delete-orphan",
                                  order_by="PlanAttachment.id")
    submissions = db.relationship("PlanSubmission", back_populates="plan", cascade="all, delete-orphan",
                                  order_by="PlanSubmission.number")
    comments = db.relationship("PlanComment", back_populates="plan", cascade="all, delete-orphan",
                               order_by="PlanComment.id")
    contract_reviews = db.relationship("ContractReview", back_populates="plan", cascade="all, delete-orphan",
                                       order_by="ContractReview.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def status_badge(self):
        return STATUS_BADGES.get(self.status, "")

    @property
    def editable(self):
        return self.status in EDITABLE_STATUSES

    @property
    def site_visit_result_label(self):
        return SITE_VISIT_RESULTS.get(self.site_visit_result or "", "")

    def section_data(self, key) -> dict:
        for s in self.sections:
            if s.key == key:
                return s.data or {}
        return {}

    def content(self) -> dict:
        """All sections' data by key."""
        return {s.key: (s.data or {}) for s in self.sections}

    def live_attachments(self):
        return [a for a in self.attachments if a.removed_at is None]

    def contract_draft(self):
        """The service-contract draft now uploaded (參、六), or None."""
        return next((a for a in reversed(self.live_attachments()) if a.slot == CONTRACT_SLOT), None)

    def contract_review(self):
        """The bureau's latest decision on the current draft, or None (待審)."""
        draft = self.contract_draft()
        if draft is None:
            return None
        return next((r for r in reversed(self.contract_reviews) if r.attachment_id == draft.id), None)

    @property
    def contract_status(self):
        if self.contract_draft() is None:
            return CONTRACT_NONE
        review = self.contract_review()
        return review.decision if review else CONTRACT_PENDING

    @property
    def contract_status_label(self):
        return CONTRACT_LABELS[self.contract_status]

    @property
    def contract_status_badge(self):
        return CONTRACT_BADGES[self.contract_status]

    @classmethod
    def visible_to(cls, user):
        """Bureau reviewers see every plan; authors their organisation's; guidance units the plans of
        organisations they guide (read-only, README §7)."""
        if user.sees_all:
            return true()
        if user.role in AUTHOR_ROLES:
            return cls.organisation_id == user.organisation_id
        if user.role == roles.GUIDANCE_STAFF:
            from portal.orgs.models import overseen_org_ids
            return cls.organisation_id.in_(overseen_org_ids(user))
        return false()


class PlanSection(db.Model):
    """One section's content (fields and tables as JSON); `version` guards autosave against stale edits."""

    __tablename__ = "establishment_plan_sections"
    id = db.Column(db.Integer, primary_key=True)
    plan_id = db.Column(db.ForeignKey("establishment_plans.id", ondelete="CASCADE"), nullable=False, index=True)
    key = db.Column(db.String(40), nullable=False)
    data = db.Column(JSON, nullable=False, default=dict)
    version = db.Column(db.Integer, nullable=False, default=1)
    updated_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    updated_by_id = db.Column(db.ForeignKey("users.id"))

    plan = db.relationship(EstablishmentPlan, back_populates="sections")
    updated_by = db.relationship("User")

    __table_args__ = (db.UniqueConstraint("plan_id", "key"),)
    __mapper_args__ = {"version_id_col": version}


class PlanAttachment(db.Model):
    """An uploaded file (ID copies, charts, attachments 參、八). Removed files are kept for old versions."""

    __tablename__ = "establishment_plan_attachments"
    id = db.Column(db.Integer, primary_key=True)
    plan_id = db.Column(db.ForeignKey("establishment_plans.id", ondelete="CASCADE"), nullable=False, index=True)
    slot = db.Column(db.String(40), nullable=False)
    filename = db.Column(db.String(200), nullable=False)
    stored_name = db.Column(db.String(80), nullable=False, unique=True)
    content_type = db.Column(db.String(60), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    note = db.Column(db.String(200))
    uploaded_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    uploaded_by_id = db.Column(db.ForeignKey("users.id"))
    removed_at = db.Column(UTCDateTime)

    plan = db.relationship(EstablishmentPlan, back_populates="attachments")

    @property
    def is_image(self):
        return self.content_type in ("image/png", "image/jpeg")

    def summary(self):
        return {"id": self.id, "slot": self.slot, "filename": self.filename, "size": self.size,
                "sha256": self.sha256, "note": self.note}


class PlanSubmission(db.Model):
    """A frozen copy of the plan as it was sent (送件), so versions can be compared."""

    __tablename__ = "establishment_plan_submissions"
    id = db.Column(db.Integer, primary_key=True)
    plan_id = db.Column(db.ForeignKey("establishment_plans.id", ondelete="CASCADE"), nullable=False, index=True)
    number = db.Column(db.Integer, nullable=False)
    submitted_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    submitted_by_id = db.Column(db.ForeignKey("users.id"))
    content = db.Column(JSON, nullable=False)
    attachments = db.Column(JSON, nullable=False, default=list)

    plan = db.relationship(EstablishmentPlan, back_populates="submissions")
    submitted_by = db.relationship("User")

    __table_args__ = (db.UniqueConstraint("plan_id", "number"),)


class PlanComment(db.Model):
    """The bureau's review comment on one section of one submitted version."""

    __tablename__ = "establishment_plan_comments"
    id = db.Column(db.Integer, primary_key=True)
    plan_id = db.Column(db.ForeignKey("establishment_plans.id", ondelete="CASCADE"), nullable=False, index=True)
    submission_number = db.Column(db.Integer, nullable=False)
    section_key = db.Column(db.String(40), nullable=False)
    body = db.Column(db.Text, nullable=False)
    author_id = db.Column(db.ForeignKey("users.id"), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)

    plan = db.relationship(EstablishmentPlan, back_populates="comments")
    author = db.relationship("User")


# 參、六 服務契約: the bureau agrees to the draft contract before use; a changed draft needs agreeing again
# (establishment-plan.md §4 參、六: status 待審/已同意 set by the bureau).
CONTRACT_APPROVED, CONTRACT_REVISE = "approved", "revise"
CONTRACT_DECISIONS = {CONTRACT_APPROVED: "已同意", CONTRACT_REVISE: "需修正"}
CONTRACT_NONE, CONTRACT_PENDING = "none", "pending"
CONTRACT_LABELS = {CONTRACT_NONE: "尚未上傳", CONTRACT_PENDING: "待審", **CONTRACT_DECISIONS}
CONTRACT_BADGES = {CONTRACT_NONE: "warn", CONTRACT_PENDING: "info", CONTRACT_APPROVED: "ok", CONTRACT_REVISE: "warn"}
CONTRACT_SLOT = "contract_draft"


class ContractReview(db.Model):
    """The bureau's decision on one uploaded draft of the service contract (參、六). A decision belongs to
    the file it was made on: a new draft is 待審 again."""

    __tablename__ = "establishment_contract_reviews"
    id = db.Column(db.Integer, primary_key=True)
    plan_id = db.Column(db.ForeignKey("establishment_plans.id", ondelete="CASCADE"), nullable=False, index=True)
    attachment_id = db.Column(db.ForeignKey("establishment_plan_attachments.id"), nullable=False, index=True)
    decision = db.Column(db.String(20), nullable=False)
    letter_no = db.Column(db.String(60))     # 同意函文號
    note = db.Column(db.Text)
    decided_by_id = db.Column(db.ForeignKey("users.id"), nullable=False)
    decided_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)

    plan = db.relationship(EstablishmentPlan, back_populates="contract_reviews")
    attachment = db.relationship(PlanAttachment)
    decided_by = db.relationship("User")

    @property
    def decision_label(self):
        return CONTRACT_DECISIONS.get(self.decision, self.decision)

    def summary(self):
        return {"attachment_id": self.attachment_id, "decision": self.decision, "letter_no": self.letter_no,
                "note": self.note}


class PopulationFigure(db.Model):
    """The bureau's population figures per township for demand estimation (Q23 setting; seed 004 參、四(二))."""

    __tablename__ = "establishment_population"
    id = db.Column(db.Integer, primary_key=True)
    service_area_id = db.Column(db.ForeignKey("service_areas.id"), nullable=False, unique=True)
    as_of = db.Column(db.Date)                 # 資料時間
    age_65_plus = db.Column(db.Integer, nullable=False, default=0)
    age_50_64 = db.Column(db.Integer, nullable=False, default=0)
    disabled_male_50_64 = db.Column(db.Integer, nullable=False, default=0)
    disabled_female_50_64 = db.Column(db.Integer, nullable=False, default=0)
    disabled_male_under_50 = db.Column(db.Integer, nullable=False, default=0)
    disabled_female_under_50 = db.Column(db.Integer, nullable=False, default=0)
    indigenous_55_64 = db.Column(db.Integer, nullable=False, default=0)
    source = db.Column(db.String(200))
    is_demo = db.Column(db.Boolean, nullable=False, default=False, server_default=false())
    updated_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow, onupdate=clock.utcnow)
    updated_by_id = db.Column(db.ForeignKey("users.id"))

    service_area = db.relationship("ServiceArea")

    @classmethod
    def visible_to(cls, user):
        return true()  # public statistics


def plans_to_review_condition():
    return or_(EstablishmentPlan.status == SUBMITTED, EstablishmentPlan.status == RECEIVED)
