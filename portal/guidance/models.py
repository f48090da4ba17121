"""Guidance units (家庭托顧輔導單位), their officers, the homes they develop and guide,
guidance plans, visits, yearly targets and grant applications (seed 003 §六, §十五, §十六).

Scope: the bureau sees everything; a guidance unit sees its own rows; a family-care
home sees its own guidance record (read-only) once it is an organisation.
"""
from sqlalchemy import JSON, and_, false, or_, select, true

from portal import clock
from portal.dbtypes import UTCDateTime
from portal.extensions import db
from portal.guidance import rules

OFFICER_EDUCATION_LABELS = rules.EDUCATION_LEVELS
VISIT_MODES = {"onsite": "實地訪視", "phone": "電話輔導", "video": "視訊輔導", "meeting": "會議／課程"}
# What a visit dealt with: the guidance duties of seed 003 §十五(五)–(九).
VISIT_TOPICS = {
    "setup": "設立輔導（住家環境、設立許可）",
    "substitute": "替代照顧機制",
    "accounts": "帳務管理（收費、申報、核銷）",
    "admin": "行政作業（服務紀錄、收費規定、申訴、轉介）",
    "systems": "資訊系統（照顧服務管理資訊平臺）",
    "contracts": "契約事宜（特約、服務契約）",
    "care_skills": "照顧技巧與職業安全",
    "other": "其他",
}
CONCLUSIONS = {"independent": "可獨立營運", "needs_guidance": "需持續輔導", "not_ready": "尚不具營運量能"}
RATINGS = {3: "可獨立完成", 2: "需部分協助", 1: "需大量協助"}
GRANT_KINDS = {"home": "輔導已取得特約之托顧家庭", "development": "輔導開發或培植托顧家庭"}
GRANT_STATUS = {"submitted": "待審核", "approved": "已核定", "rejected": "未核定", "withdrawn": "已撤回"}
# Items of seed 003 §十六(一)2 and §十六(二).
HOME_GRANT_ITEMS = {
    "guidance_fee": "輔導費", "insurance": "保險", "pension": "提撥勞工退休金", "travel": "輔導交通費",
    "business": "業務費", "equipment": "設備費（獎助部分）", "management": "管理費",
}
DEVELOPMENT_GRANT_ITEMS = {
    "travel": "訪視交通費", "printing": "印刷費", "materials": "材料費", "postage": "郵電費",
    "stationery": "文具紙張", "other": "其他雜支",
}


class GuidanceUnitProfile(db.Model):
    """Qualification data of a guidance unit (seed 003 §六)."""

    __tablename__ = "guidance_unit_profiles"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, unique=True)
    eligibility_basis = db.Column(db.String(30), nullable=False)
    legal_form = db.Column(db.String(120))                 # e.g. 社團法人示範縣家庭照顧協會
    last_evaluation_result = db.Column(db.String(10))
    last_evaluation_year = db.Column(db.Integer)           # AD year
    family_care_since = db.Column(db.Integer)              # AD year the unit first provided family care
    contact_name = db.Column(db.String(60))
    contact_phone = db.Column(db.String(40))
    notes = db.Column(db.Text)
    updated_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow, onupdate=clock.utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    organisation = db.relationship("Organisation")
    __mapper_args__ = {"version_id_col": version}

    @property
    def basis_label(self):
        return rules.ELIGIBILITY_BASES.get(self.eligibility_basis, "")

    def eligibility(self):
        return rules.guidance_unit_eligibility(self.eligibility_basis, self.last_evaluation_result,
                                               self.family_care_since)

    @classmethod
    def visible_to(cls, user):
        return true() if user.sees_all else cls.organisation_id == user.organisation_id


class GuidanceOfficer(db.Model):
    """A dedicated guidance officer (專責輔導人員) and the facts behind their qualification (§十五(一))."""

    __tablename__ = "guidance_officers"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    user_id = db.Column(db.ForeignKey("users.id"))
    name = db.Column(db.String(60), nullable=False)
    phone = db.Column(db.String(40))
    education = db.Column(db.String(20), nullable=False)
    school = db.Column(db.String(120))
    department = db.Column(db.String(120))
    related_field = db.Column(db.Boolean, nullable=False, default=False, server_default=false())
    sw_exam_eligible = db.Column(db.Boolean, nullable=False, default=False, server_default=false())
    experience_months = db.Column(db.Integer, nullable=False, default=0)
    qualification_path = db.Column(db.Integer)             # 1–3, computed by the rule when saved
    started_on = db.Column(db.Date)
    ended_on = db.Column(db.Date)
    verified_at = db.Column(UTCDateTime)
    verified_by_id = db.Column(db.ForeignKey("users.id"))
    verification_note = db.Column(db.Text)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    organisation = db.relationship("Organisation")
    user = db.relationship("User", foreign_keys=[user_id])
    verified_by = db.relationship("User", foreign_keys=[verified_by_id])
    __mapper_args__ = {"version_id_col": version}

    def qualification(self):
        return rules.officer_qualification(self.education, self.related_field, self.sw_exam_eligible,
                                           self.experience_months)

    @property
    def active(self):
        return self.ended_on is None

    @property
    def education_label(self):
        return OFFICER_EDUCATION_LABELS.get(self.education, "")

    @classmethod
    def visible_to(cls, user):
        return true() if user.sees_all else cls.organisation_id == user.organisation_id


class GuidedHome(db.Model):
    """A family-care home a guidance unit develops (pipeline) and, once licensed, guides."""

    __tablename__ = "guided_homes"
    id = db.Column(db.Integer, primary_key=True)
    guidance_org_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), index=True)   # the B unit, once licensed
    home_name = db.Column(db.String(120), nullable=False)
    carer_name = db.Column(db.String(60), nullable=False)
    carer_phone = db.Column(db.String(40))
    address = db.Column(db.String(200))
    service_area_id = db.Column(db.ForeignKey("service_areas.id"))
    stage = db.Column(db.String(20), nullable=False, default="found", index=True)
    found_on = db.Column(db.Date, nullable=False)
    env_checked_on = db.Column(db.Date)
    licence_applied_on = db.Column(db.Date)
    licensed_on = db.Column(db.Date)
    licence_no = db.Column(db.String(60))
    contracted_on = db.Column(db.Date, index=True)
    dropped_on = db.Column(db.Date)
    drop_reason = db.Column(db.Text)
    first_evaluated_on = db.Column(db.Date)
    notes = db.Column(db.Text)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow, onupdate=clock.utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    guidance_org = db.relationship("Organisation", foreign_keys=[guidance_org_id])
    organisation = db.relationship("Organisation", foreign_keys=[organisation_id])
    service_area = db.relationship("ServiceArea")
    __mapper_args__ = {"version_id_col": version}

    @property
    def stage_label(self):
        return rules.STAGE_LABELS.get(self.stage, self.stage)

    def stage_dates(self) -> dict:
        return {s: getattr(self, f) for s, f in rules.STAGE_DATE_FIELDS.items()}

    @property
    def active(self):
        return self.stage != "dropped"

    def grant_cap(self, year, **settings):
        if self.licensed_on is None:
            return 0
        return rules.guidance_grant_cap(self.licensed_on, year, first_evaluated_on=self.first_evaluated_on,
                                        **settings)

    @classmethod
    def visible_to(cls, user):
        if user.sees_all:
            return true()
        return or_(cls.guidance_org_id == user.organisation_id,
                   and_(cls.organisation_id.is_not(None), cls.organisation_id == user.organisation_id))


def _home_visible(home_id_col, user):
    if user.sees_all:
        return true()
    return home_id_col.in_(select(GuidedHome.id).where(GuidedHome.visible_to(user)))


class CapacityAssessment(db.Model):
    """獨立營運之量能評估 (seed 003 §十五(二)): one rating per item, a conclusion, a summary."""

    __tablename__ = "guidance_capacity_assessments"
    id = db.Column(db.Integer, primary_key=True)
    home_id = db.Column(db.ForeignKey("guided_homes.id"), nullable=False, index=True)
    assessed_on = db.Column(db.Date, nullable=False)
    officer_id = db.Column(db.ForeignKey("guidance_officers.id"))
    items = db.Column(JSON, nullable=False, default=list)   # [{key, label, rating, note}] as shown when assessed
    conclusion = db.Column(db.String(20), nullable=False)
    summary = db.Column(db.Text)
    created_by_id = db.Column(db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    submission_key = db.Column(db.String(40), unique=True)

    home = db.relationship(GuidedHome, backref=db.backref("assessments", order_by="CapacityAssessment.assessed_on.desc()"))
    officer = db.relationship(GuidanceOfficer)
    created_by = db.relationship("User")

    @property
    def conclusion_label(self):
        return CONCLUSIONS.get(self.conclusion, "")

    @classmethod
    def visible_to(cls, user):
        return _home_visible(cls.home_id, user)


class GuidancePlan(db.Model):
    """個別化之輔導工作計畫 of one home for one year (seed 003 §十五(二)–(三))."""

    __tablename__ = "guidance_plans"
    id = db.Column(db.Integer, primary_key=True)
    home_id = db.Column(db.ForeignKey("guided_homes.id"), nullable=False, index=True)
    year = db.Column(db.Integer, nullable=False)
    problem_analysis = db.Column(db.Text, nullable=False)
    goals = db.Column(db.Text, nullable=False)
    strategies = db.Column(db.Text, nullable=False)
    process = db.Column(db.Text, nullable=False)
    measures = db.Column(db.Text, nullable=False)
    community_resources = db.Column(db.Text, nullable=False)
    expected_benefits = db.Column(db.Text, nullable=False)
    next_review_on = db.Column(db.Date)
    last_reviewed_on = db.Column(db.Date)
    updated_by_id = db.Column(db.ForeignKey("users.id"))
    updated_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow, onupdate=clock.utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    home = db.relationship(GuidedHome, backref=db.backref("plans", order_by="GuidancePlan.year.desc()"))
    updated_by = db.relationship("User")
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (db.UniqueConstraint("home_id", "year", name="uq_guidance_plans_home_year"),)

    SECTIONS = (
        ("problem_analysis", "問題分析"), ("goals", "輔導目標"), ("strategies", "輔導策略"), ("process", "輔導流程"),
        ("measures", "具體執行措施"), ("community_resources", "社區服務資源連結與運用"), ("expected_benefits", "預期效益"),
    )

    @classmethod
    def visible_to(cls, user):
        return _home_visible(cls.home_id, user)


class GuidanceVisit(db.Model):
    """A guidance visit (輔導訪視紀錄) to one home."""

    __tablename__ = "guidance_visits"
    id = db.Column(db.Integer, primary_key=True)
    home_id = db.Column(db.ForeignKey("guided_homes.id"), nullable=False, index=True)
    visited_on = db.Column(db.Date, nullable=False, index=True)
    officer_id = db.Column(db.ForeignKey("guidance_officers.id"))
    mode = db.Column(db.String(20), nullable=False)
    topics = db.Column(JSON, nullable=False, default=list)
    content = db.Column(db.Text, nullable=False)
    follow_up = db.Column(db.Text)
    next_visit_on = db.Column(db.Date)
    created_by_id = db.Column(db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    submission_key = db.Column(db.String(40), unique=True)

    home = db.relationship(GuidedHome, backref=db.backref("visits", order_by="GuidanceVisit.visited_on.desc()"))
    officer = db.relationship(GuidanceOfficer)
    created_by = db.relationship("User")

    @property
    def mode_label(self):
        return VISIT_MODES.get(self.mode, "")

    @property
    def topic_labels(self):
        return [VISIT_TOPICS.get(t, t) for t in self.topics or []]

    @classmethod
    def visible_to(cls, user):
        return _home_visible(cls.home_id, user)


class GuidanceYear(db.Model):
    """A guidance unit's year: the business fee the bureau enters and the year-end settlement (§十五(十)–(十一))."""

    __tablename__ = "guidance_years"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    year = db.Column(db.Integer, nullable=False)
    business_fee = db.Column(db.Integer)
    settled_at = db.Column(UTCDateTime)
    settled_by_id = db.Column(db.ForeignKey("users.id"))
    homes = db.Column(db.Integer)
    homes_previous = db.Column(db.Integer)
    target = db.Column(db.Integer)
    refund = db.Column(db.Integer)
    exit_flag = db.Column(db.Boolean, nullable=False, default=False, server_default=false())
    refund_trigger = db.Column(db.String(20))
    reasons = db.Column(JSON)
    note = db.Column(db.Text)
    version = db.Column(db.Integer, nullable=False, default=1)

    organisation = db.relationship("Organisation")
    settled_by = db.relationship("User")
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (db.UniqueConstraint("organisation_id", "year", name="uq_guidance_years_org_year"),)

    @property
    def settled(self):
        return self.settled_at is not None

    @classmethod
    def visible_to(cls, user):
        return true() if user.sees_all else cls.organisation_id == user.organisation_id


class GrantApplication(db.Model):
    """A guidance unit's monthly grant application (seed 003 §十六), decided by the bureau."""

    __tablename__ = "guidance_grant_applications"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    kind = db.Column(db.String(20), nullable=False)
    home_id = db.Column(db.ForeignKey("guided_homes.id"), index=True)
    year = db.Column(db.Integer, nullable=False)
    month = db.Column(db.Integer, nullable=False)
    items = db.Column(JSON, nullable=False, default=dict)
    equipment_self_funded = db.Column(db.Integer, nullable=False, default=0)
    requested = db.Column(db.Integer, nullable=False)
    description = db.Column(db.Text)
    status = db.Column(db.String(20), nullable=False, default="submitted", index=True)
    submitted_by_id = db.Column(db.ForeignKey("users.id"))
    submitted_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    submission_key = db.Column(db.String(40), unique=True)
    decided_by_id = db.Column(db.ForeignKey("users.id"))
    decided_at = db.Column(UTCDateTime)
    decision_comment = db.Column(db.Text)
    approved_amount = db.Column(db.Integer)
    version = db.Column(db.Integer, nullable=False, default=1)

    organisation = db.relationship("Organisation")
    home = db.relationship(GuidedHome)
    submitted_by = db.relationship("User", foreign_keys=[submitted_by_id])
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])
    __mapper_args__ = {"version_id_col": version}

    @property
    def kind_label(self):
        return GRANT_KINDS.get(self.kind, "")

    @property
    def status_label(self):
        return GRANT_STATUS.get(self.status, "")

    def item_rows(self):
        labels = HOME_GRANT_ITEMS if self.kind == "home" else DEVELOPMENT_GRANT_ITEMS
        return [(labels[k], int(self.items.get(k) or 0)) for k in labels if int(self.items.get(k) or 0)]

    @property
    def counts_against_cap(self):
        return self.status in ("submitted", "approved")

    @classmethod
    def visible_to(cls, user):
        return true() if user.sees_all else cls.organisation_id == user.organisation_id


def counted_amount():
    """SQL expression: what an application counts against a cap (approved amount, else requested)."""
    return db.func.coalesce(GrantApplication.approved_amount, GrantApplication.requested)

