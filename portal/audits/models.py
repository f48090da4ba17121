"""Audits (查核): versioned score-sheet templates, rounds, audits, per-item answers, photos,
amendments and the unit's corrections. case-management.md §13, forms-and-pdfs.md §2, decisions Q06."""
from sqlalchemy import and_, exists, false, true

from portal import clock
from portal.audits import rules
from portal.auth import roles
from portal.dbtypes import UTCDateTime
from portal.extensions import db

TARGET_LABELS = {"a_unit": "A單位", "b_unit": "B單位"}
VERSION_STATUS_LABELS = {"draft": "草稿", "published": "已發布", "retired": "已停用"}
SCORING_LABELS = {"pass_fail": "合格／不合格", "points": "計分"}
PASS_RULE_LABELS = {"items": "合格題數", "points": "總分"}
AUDIT_TYPE_LABELS = {"regular": "定期查核", "recheck": "複查"}
AUDIT_STATUS_LABELS = {"scheduled": "已排定", "in_progress": "評分中", "finalised": "已完成", "cancelled": "已取消"}
CORRECTION_STATUS_LABELS = {"filed": "已提報", "accepted": "已確認改善", "returned": "退回補正"}


class AuditTemplate(db.Model):
    """A kind of score sheet (A-unit audit, family-care quality check); its content lives in versions."""

    __tablename__ = "audit_templates"
    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(30), nullable=False, unique=True)
    title = db.Column(db.String(120), nullable=False)        # printed title of the sheet
    target_kind = db.Column(db.String(20), nullable=False)   # a_unit / b_unit
    target_subtype = db.Column(db.String(20))                # family_care … (None = every B unit)
    auditor_title = db.Column(db.String(20), nullable=False, default="查核委員")  # Q24: label by template
    active = db.Column(db.Boolean, nullable=False, default=True, server_default=true())
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)

    versions = db.relationship("AuditTemplateVersion", back_populates="template",
                               order_by="AuditTemplateVersion.version_no")

    @property
    def target_label(self):
        label = TARGET_LABELS.get(self.target_kind, self.target_kind)
        if self.target_subtype:
            label += "・" + roles.B_SUBTYPE_LABELS.get(self.target_subtype, self.target_subtype)
        return label

    def applies_to(self, org) -> bool:
        return org.kind == self.target_kind and (self.target_subtype is None or org.subtype == self.target_subtype)

    @classmethod
    def visible_to(cls, user):
        return true() if user.sees_all else false()


class AuditTemplateVersion(db.Model):
    """One version of a sheet; published versions never change (an audit keeps the one it was scored with)."""

    __tablename__ = "audit_template_versions"
    id = db.Column(db.Integer, primary_key=True)
    template_id = db.Column(db.ForeignKey("audit_templates.id"), nullable=False, index=True)
    version_no = db.Column(db.Integer, nullable=False)
    label = db.Column(db.String(40), nullable=False)         # 「114年3月版」
    effective_from = db.Column(db.Date)
    status = db.Column(db.String(20), nullable=False, default="draft")
    pass_rule = db.Column(db.String(10), nullable=False, default="items")
    pass_mark = db.Column(db.Integer, nullable=False)
    required_items = db.Column(db.Integer)                   # 13 for the A-unit sheet (seed)
    notes = db.Column(db.Text)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    created_by_name = db.Column(db.String(60))
    published_at = db.Column(UTCDateTime)
    published_by_name = db.Column(db.String(60))
    version = db.Column(db.Integer, nullable=False, default=1)

    template = db.relationship(AuditTemplate, back_populates="versions")
    sections = db.relationship("AuditSection", back_populates="template_version", order_by="AuditSection.position",
                               cascade="all, delete-orphan")
    items = db.relationship("AuditItem", back_populates="template_version", order_by="AuditItem.number",
                            cascade="all, delete-orphan")

    __table_args__ = (db.UniqueConstraint("template_id", "version_no"),)
    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self):
        return VERSION_STATUS_LABELS.get(self.status, self.status)

    @property
    def editable(self):
        return self.status == "draft"

    @property
    def pass_rule_text(self):
        if self.pass_rule == "points":
            return f"總分達 {self.pass_mark} 分為「合格」"
        return f"合格題數未達 {self.pass_mark} 題為「不合格」"

    @property
    def has_placeholders(self):
        return any(i.placeholder for i in self.items)


class AuditSection(db.Model):
    __tablename__ = "audit_sections"
    id = db.Column(db.Integer, primary_key=True)
    template_version_id = db.Column(db.ForeignKey("audit_template_versions.id", ondelete="CASCADE"),
                                    nullable=False, index=True)
    position = db.Column(db.Integer, nullable=False, default=0)
    title = db.Column(db.String(120), nullable=False)

    template_version = db.relationship(AuditTemplateVersion, back_populates="sections")
    items = db.relationship("AuditItem", back_populates="section", order_by="AuditItem.number")


class AuditItem(db.Model):
    """One item (項次) of a sheet version."""

    __tablename__ = "audit_items"
    id = db.Column(db.Integer, primary_key=True)
    template_version_id = db.Column(db.ForeignKey("audit_template_versions.id", ondelete="CASCADE"),
                                    nullable=False, index=True)
    section_id = db.Column(db.ForeignKey("audit_sections.id", ondelete="SET NULL"), index=True)
    number = db.Column(db.Integer, nullable=False)           # 項次 1…n, kept in order by operations
    title = db.Column(db.String(200), nullable=False)        # 查核項目
    criterion = db.Column(db.Text)                           # 查核標準／說明
    evidence_hint = db.Column(db.Text)                       # 佐證資料
    scoring = db.Column(db.String(10), nullable=False, default="pass_fail")
    max_points = db.Column(db.Integer)
    pass_points = db.Column(db.Integer)
    allow_na = db.Column(db.Boolean, nullable=False, default=False, server_default=false())
    placeholder = db.Column(db.Boolean, nullable=False, default=False, server_default=false())

    template_version = db.relationship(AuditTemplateVersion, back_populates="items")
    section = db.relationship(AuditSection, back_populates="items")

    @property
    def rule(self) -> rules.ItemRule:
        return rules.ItemRule(scoring=self.scoring, allow_na=self.allow_na, max_points=self.max_points,
                              pass_points=self.pass_points)


class AuditRound(db.Model):
    """A planned round of audits (about every two months, R-AUD-01)."""

    __tablename__ = "audit_rounds"
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(120), nullable=False)
    starts_on = db.Column(db.Date, nullable=False)
    ends_on = db.Column(db.Date, nullable=False)
    notes = db.Column(db.Text)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    created_by_name = db.Column(db.String(60))

    audits = db.relationship("Audit", back_populates="round", order_by="(Audit.scheduled_on, Audit.id)")

    @classmethod
    def visible_to(cls, user):
        return true() if user.sees_all else false()


class Audit(db.Model):
    """One audit of one unit, scored against one template version."""

    __tablename__ = "audits"
    id = db.Column(db.Integer, primary_key=True)
    round_id = db.Column(db.ForeignKey("audit_rounds.id"), index=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    template_version_id = db.Column(db.ForeignKey("audit_template_versions.id"), nullable=False, index=True)
    audit_type = db.Column(db.String(10), nullable=False, default="regular")
    recheck_of_id = db.Column(db.ForeignKey("audits.id"))
    scheduled_on = db.Column(db.Date, nullable=False, index=True)
    status = db.Column(db.String(20), nullable=False, default="scheduled")
    passed_count = db.Column(db.Integer)
    failed_count = db.Column(db.Integer)
    na_count = db.Column(db.Integer)
    points = db.Column(db.Integer)
    passed = db.Column(db.Boolean)                           # the result: True 合格 / False 不合格
    summary_note = db.Column(db.Text)                        # 綜合意見
    unit_representative = db.Column(db.String(60))           # 受查單位代表
    finalised_at = db.Column(UTCDateTime)
    finalised_by_id = db.Column(db.ForeignKey("users.id"))
    finalised_by_name = db.Column(db.String(60))
    cancelled_reason = db.Column(db.Text)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    created_by_name = db.Column(db.String(60))
    version = db.Column(db.Integer, nullable=False, default=1)

    round = db.relationship(AuditRound, back_populates="audits")
    organisation = db.relationship("Organisation")
    template_version = db.relationship(AuditTemplateVersion)
    assignments = db.relationship("AuditAssignment", back_populates="audit", cascade="all, delete-orphan",
                                  order_by="(AuditAssignment.is_lead.desc(), AuditAssignment.id)")
    answers = db.relationship("AuditAnswer", back_populates="audit", cascade="all, delete-orphan")
    recheck_of = db.relationship("Audit", remote_side=[id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def type_label(self):
        return AUDIT_TYPE_LABELS.get(self.audit_type, self.audit_type)

    @property
    def status_label(self):
        return AUDIT_STATUS_LABELS.get(self.status, self.status)

    @property
    def finalised(self):
        return self.status == "finalised"

    @property
    def result_label(self):
        if self.passed is None:
            return "—"
        return "合格" if self.passed else "不合格"

    @property
    def lead(self):
        return next((a.user for a in self.assignments if a.is_lead), None)

    @property
    def auditors(self):
        return [a.user for a in self.assignments]

    def is_assigned(self, user) -> bool:
        return any(a.user_id == user.id for a in self.assignments)

    def is_lead(self, user) -> bool:
        return any(a.user_id == user.id and a.is_lead for a in self.assignments)

    @classmethod
    def visible_to(cls, user):
        """Bureau: all; auditors: the audits they are assigned; units: their own audits."""
        if user.sees_all:
            return true()
        if user.role == roles.AUDITOR:
            return exists().where(and_(AuditAssignment.audit_id == cls.id, AuditAssignment.user_id == user.id))
        if user.role in roles.A_ROLES | roles.B_ROLES:
            return and_(cls.organisation_id == user.organisation_id, cls.status != "cancelled")
        return false()


class AuditAssignment(db.Model):
    __tablename__ = "audit_assignments"
    id = db.Column(db.Integer, primary_key=True)
    audit_id = db.Column(db.ForeignKey("audits.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id = db.Column(db.ForeignKey("users.id"), nullable=False, index=True)
    is_lead = db.Column(db.Boolean, nullable=False, default=False, server_default=false())

    audit = db.relationship(Audit, back_populates="assignments")
    user = db.relationship("User")

    __table_args__ = (db.UniqueConstraint("audit_id", "user_id"),)


class AuditAnswer(db.Model):
    """The current answer to one item of one audit; `revision` counts its saved changes."""

    __tablename__ = "audit_answers"
    id = db.Column(db.Integer, primary_key=True)
    audit_id = db.Column(db.ForeignKey("audits.id", ondelete="CASCADE"), nullable=False, index=True)
    item_id = db.Column(db.ForeignKey("audit_items.id"), nullable=False)
    outcome = db.Column(db.String(4))                        # pass / fail / na
    points = db.Column(db.Integer)
    note = db.Column(db.Text)                                # 缺失說明／建議
    revision = db.Column(db.Integer, nullable=False, default=0)
    answered_by_id = db.Column(db.ForeignKey("users.id"))
    answered_by_name = db.Column(db.String(60))
    answered_at = db.Column(UTCDateTime)

    audit = db.relationship(Audit, back_populates="answers")
    item = db.relationship(AuditItem)
    photos = db.relationship("AuditPhoto", back_populates="answer", order_by="AuditPhoto.id",
                             cascade="all, delete-orphan")

    __table_args__ = (db.UniqueConstraint("audit_id", "item_id"),)

    @property
    def result(self):
        return rules.item_outcome(self.item.rule, self.outcome, self.points)

    @property
    def result_label(self):
        return rules.OUTCOME_LABELS.get(self.result, "未評")


class AuditAnswerChange(db.Model):
    """Every saved change of an answer, append-only; `client_key` makes re-sends idempotent."""

    __tablename__ = "audit_answer_changes"
    id = db.Column(db.Integer, primary_key=True)
    answer_id = db.Column(db.ForeignKey("audit_answers.id", ondelete="CASCADE"), nullable=False, index=True)
    revision = db.Column(db.Integer, nullable=False)
    outcome = db.Column(db.String(4))
    points = db.Column(db.Integer)
    note = db.Column(db.Text)
    changed_by_id = db.Column(db.ForeignKey("users.id"))
    changed_by_name = db.Column(db.String(60), nullable=False)
    changed_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    client_key = db.Column(db.String(64), unique=True)
    kind = db.Column(db.String(12), nullable=False, default="score")   # score / amendment

    answer = db.relationship(AuditAnswer)


class AuditPhoto(db.Model):
    """A photo taken as evidence for one item, resized on the server."""

    __tablename__ = "audit_photos"
    id = db.Column(db.Integer, primary_key=True)
    answer_id = db.Column(db.ForeignKey("audit_answers.id", ondelete="CASCADE"), nullable=False, index=True)
    filename = db.Column(db.String(80), nullable=False)      # stored name under UPLOAD_DIR/audits/<audit id>/
    width = db.Column(db.Integer, nullable=False)
    height = db.Column(db.Integer, nullable=False)
    size = db.Column(db.Integer, nullable=False)
    uploaded_by_name = db.Column(db.String(60), nullable=False)
    uploaded_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    client_key = db.Column(db.String(64), unique=True)

    answer = db.relationship(AuditAnswer, back_populates="photos")


class AuditAmendment(db.Model):
    """A bureau correction of a finalised audit, with its reason (issue 4 §4)."""

    __tablename__ = "audit_amendments"
    id = db.Column(db.Integer, primary_key=True)
    audit_id = db.Column(db.ForeignKey("audits.id", ondelete="CASCADE"), nullable=False, index=True)
    item_id = db.Column(db.ForeignKey("audit_items.id"), nullable=False)
    before_outcome = db.Column(db.String(4))
    before_points = db.Column(db.Integer)
    after_outcome = db.Column(db.String(4))
    after_points = db.Column(db.Integer)
    result_before = db.Column(db.Boolean)
    result_after = db.Column(db.Boolean)
    reason = db.Column(db.Text, nullable=False)
    amended_by_name = db.Column(db.String(60), nullable=False)
    amended_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)

    item = db.relationship(AuditItem)


class AuditCorrection(db.Model):
    """The unit's correction of a failed item, due before the next audit (R-AUD-04)."""

    __tablename__ = "audit_corrections"
    id = db.Column(db.Integer, primary_key=True)
    audit_id = db.Column(db.ForeignKey("audits.id", ondelete="CASCADE"), nullable=False, index=True)
    item_id = db.Column(db.ForeignKey("audit_items.id"), nullable=False)
    description = db.Column(db.Text, nullable=False)          # 改善說明
    status = db.Column(db.String(20), nullable=False, default="filed")
    filed_by_name = db.Column(db.String(60), nullable=False)
    filed_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    reviewed_by_name = db.Column(db.String(60))
    reviewed_at = db.Column(UTCDateTime)
    review_note = db.Column(db.Text)
    version = db.Column(db.Integer, nullable=False, default=1)

    item = db.relationship(AuditItem)

    __table_args__ = (db.UniqueConstraint("audit_id", "item_id"),)
    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self):
        return CORRECTION_STATUS_LABELS.get(self.status, self.status)
