"""Family-care operations and billing: admissions, daily records, corrections, declarations,
dated rate tables, carer compliance (spec family-care.md §4–§12).

Scope: the bureau sees every home; a home's own staff see their home; a guidance
unit sees the homes it guides, read-only (seed 003 §十五(四)). Nothing here is
ever hard-deleted (§9 R-REC-04: kept at least 7 years): rows are ended, voided
or superseded, with their history.
"""
from decimal import Decimal

from sqlalchemy import JSON, false, true

from portal import clock
from portal.auth import roles
from portal.dbtypes import UTCDateTime
from portal.extensions import db
from portal.orgs.models import overseen_org_ids

ITEM_LABELS = {"full_day": "家庭托顧（全日）", "half_day": "家庭托顧（半日）", "bath": "社區式協助沐浴",
               "dinner": "社區式晚餐"}
KIND_LABELS = {"full_day": "全日", "half_day": "半日"}
WELFARE_LABELS = {"general": "一般戶", "mid_low": "長照中低收入戶", "low": "長照低收入戶"}


def org_scope(column, user):
    """SQL condition: rows of organisation `column` that `user` may read."""
    if user.sees_all:
        return true()
    if user.role == roles.GUIDANCE_STAFF:
        return column.in_(overseen_org_ids(user))
    if user.role in roles.B_ROLES:
        return column == user.organisation_id
    return false()


def can_edit_home(user, organisation_id) -> bool:
    """The home's own staff edit its records; guidance units never do (§十五(四))."""
    return user.role in roles.B_ROLES and user.organisation_id == organisation_id


class _Scoped:
    @classmethod
    def visible_to(cls, user):
        return org_scope(cls.organisation_id, user)


# --- dated rate tables (external values the bureau edits) -----------------------------

class ServicePrice(db.Model):
    """A service code's price from a date (給付及支付基準 [external]; bath/dinner seed 003 §九(一)2–3)."""

    __tablename__ = "billing_service_prices"
    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(10), nullable=False, index=True)
    item = db.Column(db.String(12), nullable=False)         # full_day, half_day, bath, dinner
    cms_level = db.Column(db.Integer)                        # None: every level
    label = db.Column(db.String(80), nullable=False)
    price = db.Column(db.Integer, nullable=False)
    effective_from = db.Column(db.Date, nullable=False)
    effective_to = db.Column(db.Date)
    source = db.Column(db.String(200), nullable=False)
    created_by_id = db.Column(db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)

    @classmethod
    def visible_to(cls, user):
        return true()


class CopayRatio(db.Model):
    """The co-payment ratio of a welfare status from a date (README §6.2 [external])."""

    __tablename__ = "billing_copay_ratios"
    id = db.Column(db.Integer, primary_key=True)
    welfare_status = db.Column(db.String(10), nullable=False, index=True)
    ratio_text = db.Column(db.String(10), nullable=False)    # exact decimal, e.g. "0.16"
    effective_from = db.Column(db.Date, nullable=False)
    effective_to = db.Column(db.Date)
    source = db.Column(db.String(200), nullable=False)
    created_by_id = db.Column(db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)

    @property
    def ratio(self) -> Decimal:
        return Decimal(self.ratio_text)

    @classmethod
    def visible_to(cls, user):
        return true()


# --- the home ---------------------------------------------------------------------------

class BillingProfile(_Scoped, db.Model):
    """The home's data printed on the receipt (附件1): uniform number, bank, account."""

    __tablename__ = "billing_profiles"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, unique=True)
    tax_id = db.Column(db.String(8))            # 統一編號
    bank_name = db.Column(db.String(60))        # 匯款銀行
    bank_account = db.Column(db.String(30))     # 存簿帳號
    account_name = db.Column(db.String(60))     # 戶名 (the passbook copy is pasted on the printed receipt)
    updated_by_id = db.Column(db.ForeignKey("users.id"))
    updated_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow, onupdate=clock.utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    organisation = db.relationship("Organisation")
    __mapper_args__ = {"version_id_col": version}


FILING_STATUS_LABELS = {"submitted": "已報備待核", "filed": "已備查", "rejected": "退回", "superseded": "已更新"}


class OpeningHoursFiling(_Scoped, db.Model):
    """Opening hours filed with the bureau before service (收托時間備查, §十四(一) R-CAPF-03)."""

    __tablename__ = "billing_opening_hours"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    weekdays = db.Column(db.String(7), nullable=False)    # "01234" = Mon–Fri
    opens = db.Column(db.Time, nullable=False)
    closes = db.Column(db.Time, nullable=False)
    effective_from = db.Column(db.Date, nullable=False)
    status = db.Column(db.String(12), nullable=False, default="submitted")
    submitted_by_id = db.Column(db.ForeignKey("users.id"))
    submitted_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    decided_by_id = db.Column(db.ForeignKey("users.id"))
    decided_at = db.Column(UTCDateTime)
    decision_note = db.Column(db.String(300))
    version = db.Column(db.Integer, nullable=False, default=1)

    organisation = db.relationship("Organisation")
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])
    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self):
        return FILING_STATUS_LABELS.get(self.status, self.status)

    @property
    def weekdays_label(self):
        return "週" + "、".join("一二三四五六日"[int(d)] for d in self.weekdays)


class HomeDay(_Scoped, db.Model):
    """Per home and day: the carer's disabled family members (not clients) cared for (R-CAPF-01)."""

    __tablename__ = "billing_home_days"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False)
    day = db.Column(db.Date, nullable=False)
    family_count = db.Column(db.Integer, nullable=False, default=0)
    note = db.Column(db.String(200))
    updated_by_id = db.Column(db.ForeignKey("users.id"))
    updated_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow, onupdate=clock.utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    __table_args__ = (db.UniqueConstraint("organisation_id", "day", name="uq_billing_home_days_org_day"),)
    __mapper_args__ = {"version_id_col": version}


# --- admissions and subsidy facts -----------------------------------------------------------

class CareAdmission(_Scoped, db.Model):
    """A client admitted to a family-care home (收托), with the facts checked at admission (§4, §6, §十(二))."""

    __tablename__ = "billing_admissions"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    client_id = db.Column(db.ForeignKey("clients.id"), nullable=False, index=True)
    admitted_on = db.Column(db.Date, nullable=False)
    ended_on = db.Column(db.Date)
    end_reason = db.Column(db.String(200))
    carer_relation = db.Column(db.String(30), nullable=False, default="none")   # Q12
    monthly_quota = db.Column(db.Integer)                   # 核定長照服務額度 usable here (R-SUB-06)
    welfare_status = db.Column(db.String(10), nullable=False, default="general")
    cms_level = db.Column(db.Integer)
    institutional_placement = db.Column(db.Boolean, nullable=False, default=False)
    foreign_caregiver = db.Column(db.Boolean, nullable=False, default=False)
    special_allowance = db.Column(db.String(60))
    service_contract_on = db.Column(db.Date)               # 書面服務契約 (§十(二)2)
    identity_checked_on = db.Column(db.Date)               # 身分證明文件核對 (§十(二)3)
    health_check_on = db.Column(db.Date)                   # 入住前健康檢查 (§十四(三))
    health_check_items = db.Column(JSON, nullable=False, default=list)
    eligibility_summary = db.Column(db.Text)               # what the admission screen showed
    eligible_at_admission = db.Column(db.Boolean, nullable=False, default=False)
    created_by_id = db.Column(db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    client = db.relationship("Client")
    organisation = db.relationship("Organisation")
    changes = db.relationship("SubsidyChange", back_populates="admission", order_by="SubsidyChange.fact_date")
    __mapper_args__ = {"version_id_col": version}

    def active_on(self, day) -> bool:
        return self.admitted_on <= day and (self.ended_on is None or day <= self.ended_on)


CHANGE_FIELD_LABELS = {
    "welfare_status": "福利身分別變更",
    "cms_level": "失能等級變更",
    "monthly_quota": "核定額度變更",
    "institutional_placement": "接受機構收容安置",
    "foreign_caregiver": "聘僱外籍看護",
    "special_allowance": "領有特別照顧津貼或其他照顧費用補助",
}


class SubsidyChange(_Scoped, db.Model):
    """A change of subsidy conditions, effective from the fact date (§九(二), §7)."""

    __tablename__ = "billing_subsidy_changes"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    admission_id = db.Column(db.ForeignKey("billing_admissions.id"), nullable=False, index=True)
    field = db.Column(db.String(30), nullable=False)
    value = db.Column(JSON)
    fact_date = db.Column(db.Date, nullable=False)
    notified_on = db.Column(db.Date)          # when the bureau was told
    evidence = db.Column(db.Text)
    overpaid = db.Column(db.Integer, nullable=False, default=0)     # computed when recorded
    underpaid = db.Column(db.Integer, nullable=False, default=0)
    recorded_by_id = db.Column(db.ForeignKey("users.id"))
    recorded_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    cancelled_at = db.Column(UTCDateTime)
    cancel_reason = db.Column(db.String(200))

    admission = db.relationship(CareAdmission, back_populates="changes")
    recorded_by = db.relationship("User", foreign_keys=[recorded_by_id])

    @property
    def field_label(self):
        return CHANGE_FIELD_LABELS.get(self.field, self.field)

    @property
    def value_label(self):
        if self.field == "welfare_status":
            return WELFARE_LABELS.get(self.value, self.value)
        if self.field == "cms_level":
            return f"第 {self.value} 級"
        if self.field == "monthly_quota":
            return f"{int(self.value):,} 元" if self.value is not None else "未設定"
        if self.field in ("institutional_placement", "foreign_caregiver"):
            return "是" if self.value else "否（已解除）"
        return self.value or "無（已解除）"


# --- daily records ------------------------------------------------------------------------------

class ServiceDay(_Scoped, db.Model):
    """One client's day at the home (每日服務紀錄, §十一, §十四(四)). Never deleted: un-ticking
    attendance keeps the row with `attended` False; every change leaves a revision (R-REC-07)."""

    __tablename__ = "billing_service_days"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False)
    admission_id = db.Column(db.ForeignKey("billing_admissions.id"), nullable=False, index=True)
    client_id = db.Column(db.ForeignKey("clients.id"), nullable=False, index=True)
    day = db.Column(db.Date, nullable=False)
    attended = db.Column(db.Boolean, nullable=False, default=True)
    kind = db.Column(db.String(10), nullable=False, default="full_day")
    start_time = db.Column(db.Time, nullable=False)
    end_time = db.Column(db.Time, nullable=False)
    bath = db.Column(db.Boolean, nullable=False, default=False)
    dinner = db.Column(db.Boolean, nullable=False, default=False)
    over_norm_reason = db.Column(db.String(200))
    content = db.Column(db.String(500))      # 服務內容
    incident = db.Column(db.String(500))     # 意外事件
    late_entry = db.Column(db.Boolean, nullable=False, default=False)
    created_by_id = db.Column(db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    updated_by_id = db.Column(db.ForeignKey("users.id"))
    updated_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    admission = db.relationship(CareAdmission)
    client = db.relationship("Client")
    revisions = db.relationship("ServiceDayRevision", order_by="ServiceDayRevision.number",
                                back_populates="service_day")

    __table_args__ = (db.UniqueConstraint("organisation_id", "client_id", "day", name="uq_billing_service_days_day"),
                      db.Index("ix_billing_service_days_org_day", "organisation_id", "day"))
    __mapper_args__ = {"version_id_col": version}

    @property
    def hours(self) -> Decimal:
        from portal.billing.rules import hours_between
        return hours_between(self.start_time, self.end_time)

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, self.kind)


class ServiceDayRevision(db.Model):
    """A saved state of a service record: who, when, why (R-REC-07)."""

    __tablename__ = "billing_service_day_revisions"
    id = db.Column(db.Integer, primary_key=True)
    service_day_id = db.Column(db.ForeignKey("billing_service_days.id"), nullable=False, index=True)
    number = db.Column(db.Integer, nullable=False)
    data = db.Column(JSON, nullable=False)
    reason = db.Column(db.String(300))
    correction_id = db.Column(db.ForeignKey("billing_corrections.id"))
    changed_by_id = db.Column(db.ForeignKey("users.id"))
    changed_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)

    service_day = db.relationship(ServiceDay, back_populates="revisions")
    changed_by = db.relationship("User")


CORRECTION_STATUS_LABELS = {"submitted": "待衛生局審核", "approved": "已核准並更正", "rejected": "未核准",
                            "withdrawn": "已撤回"}


class CorrectionRequest(_Scoped, db.Model):
    """A change to a locked record, applied only when the bureau approves it (§9 R-REC-01)."""

    __tablename__ = "billing_corrections"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    admission_id = db.Column(db.ForeignKey("billing_admissions.id"), nullable=False)
    client_id = db.Column(db.ForeignKey("clients.id"), nullable=False)
    day = db.Column(db.Date, nullable=False)
    proposed = db.Column(JSON, nullable=False)
    previous = db.Column(JSON)
    reason = db.Column(db.Text, nullable=False)
    status = db.Column(db.String(12), nullable=False, default="submitted", index=True)
    submission_key = db.Column(db.String(40), unique=True)
    requested_by_id = db.Column(db.ForeignKey("users.id"))
    requested_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    decided_by_id = db.Column(db.ForeignKey("users.id"))
    decided_at = db.Column(UTCDateTime)
    decision_note = db.Column(db.String(500))
    version = db.Column(db.Integer, nullable=False, default=1)

    admission = db.relationship(CareAdmission)
    client = db.relationship("Client")
    organisation = db.relationship("Organisation")
    requested_by = db.relationship("User", foreign_keys=[requested_by_id])
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])
    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self):
        return CORRECTION_STATUS_LABELS.get(self.status, self.status)


# --- declarations -------------------------------------------------------------------------------

DECLARATION_STATUS_LABELS = {
    "draft": "草稿",
    "submitted": "已申報",
    "requested": "已函送請款",
    "returned": "退回補正",
    "approved": "審核通過",
    "paid": "已撥付",
}


class Declaration(_Scoped, db.Model):
    """The monthly declaration of one home for one service month (§10, 附件1–2)."""

    __tablename__ = "billing_declarations"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    service_month = db.Column(db.Date, nullable=False)       # first day of the service month
    status = db.Column(db.String(12), nullable=False, default="draft", index=True)
    version_no = db.Column(db.Integer, nullable=False, default=0)   # last submitted version
    totals = db.Column(JSON)                                  # current figures (draft or submitted)
    submitted_at = db.Column(UTCDateTime)
    submitted_by_id = db.Column(db.ForeignKey("users.id"))
    late_declaration = db.Column(db.Boolean, nullable=False, default=False)
    requested_at = db.Column(UTCDateTime)
    requested_by_id = db.Column(db.ForeignKey("users.id"))
    receipt_date = db.Column(db.Date)
    late_request = db.Column(db.Boolean, nullable=False, default=False)
    approved_amount = db.Column(db.Integer)                   # 撥付總額 (Q15)
    decided_by_id = db.Column(db.ForeignKey("users.id"))
    decided_at = db.Column(UTCDateTime)
    return_reason = db.Column(db.Text)
    paid_on = db.Column(db.Date)
    paid_by_id = db.Column(db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    organisation = db.relationship("Organisation")
    submitted_by = db.relationship("User", foreign_keys=[submitted_by_id])
    requested_by = db.relationship("User", foreign_keys=[requested_by_id])
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])
    versions = db.relationship("DeclarationVersion", order_by="DeclarationVersion.number",
                               back_populates="declaration")

    __table_args__ = (db.UniqueConstraint("organisation_id", "service_month", name="uq_billing_declarations_month"),)
    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self):
        return DECLARATION_STATUS_LABELS.get(self.status, self.status)

    @property
    def counts_as_declared(self) -> bool:
        """Its latest submitted lines are what the bureau has been asked to pay."""
        return self.version_no > 0


class DeclarationVersion(db.Model):
    """One submission of a declaration, kept with its outcome (resubmissions keep history)."""

    __tablename__ = "billing_declaration_versions"
    id = db.Column(db.Integer, primary_key=True)
    declaration_id = db.Column(db.ForeignKey("billing_declarations.id"), nullable=False, index=True)
    number = db.Column(db.Integer, nullable=False)
    totals = db.Column(JSON, nullable=False)
    months = db.Column(JSON, nullable=False)      # per service month figures (the per-month list)
    submitted_by_id = db.Column(db.ForeignKey("users.id"))
    submitted_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    outcome = db.Column(db.String(12))             # returned / approved / withdrawn / None (pending)
    outcome_note = db.Column(db.Text)
    outcome_by_id = db.Column(db.ForeignKey("users.id"))
    outcome_at = db.Column(UTCDateTime)

    declaration = db.relationship(Declaration, back_populates="versions")
    submitted_by = db.relationship("User", foreign_keys=[submitted_by_id])
    outcome_by = db.relationship("User", foreign_keys=[outcome_by_id])

    __table_args__ = (db.UniqueConstraint("declaration_id", "number", name="uq_billing_declaration_versions_no"),)


class DeclarationLine(db.Model):
    """One row of the item list (清冊): client × service code × service month × ratio, per version (Q15)."""

    __tablename__ = "billing_declaration_lines"
    id = db.Column(db.Integer, primary_key=True)
    declaration_id = db.Column(db.ForeignKey("billing_declarations.id"), nullable=False)
    version_no = db.Column(db.Integer, nullable=False)
    service_month = db.Column(db.Date, nullable=False)
    client_id = db.Column(db.ForeignKey("clients.id"), nullable=False, index=True)
    code = db.Column(db.String(10), nullable=False)
    item = db.Column(db.String(12), nullable=False)
    label = db.Column(db.String(80), nullable=False)
    row = db.Column(db.String(30), nullable=False)
    welfare_status = db.Column(db.String(10), nullable=False)
    ratio_text = db.Column(db.String(10), nullable=False)
    price = db.Column(db.Integer, nullable=False)
    units = db.Column(db.Integer, nullable=False)
    amount = db.Column(db.Integer, nullable=False)       # declared, incl. co-payment
    copay = db.Column(db.Integer, nullable=False)
    self_pay = db.Column(db.Integer, nullable=False, default=0)
    days = db.Column(JSON, nullable=False, default=list)   # days of the month served (item list 服務日期)
    adjustment = db.Column(db.Boolean, nullable=False, default=False)  # difference for an earlier declared month

    client = db.relationship("Client")
    __table_args__ = (db.Index("ix_billing_declaration_lines_version", "declaration_id", "version_no"),)

    @property
    def subsidy(self) -> int:
        return self.amount - self.copay


# --- carer compliance (§十四(二)) -------------------------------------------------------------------

CARER_ROLE_LABELS = {"carer": "家托員", "substitute": "替代照顧者"}


class Carer(_Scoped, db.Model):
    """A carer or substitute carer of a home (家托員 / 替代照顧者)."""

    __tablename__ = "billing_carers"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    name = db.Column(db.String(60), nullable=False)
    role = db.Column(db.String(12), nullable=False, default="carer")
    phone = db.Column(db.String(40))
    registration_no = db.Column(db.String(40))   # 長照人員登錄 (§十四(二)2)
    started_on = db.Column(db.Date)
    ended_on = db.Column(db.Date)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    health_checks = db.relationship("HealthCheck", order_by="HealthCheck.checked_on.desc()", back_populates="carer")
    certificates = db.relationship("CprCertificate", order_by="CprCertificate.expires_on.desc()",
                                   back_populates="carer")
    __mapper_args__ = {"version_id_col": version}

    @property
    def role_label(self):
        return CARER_ROLE_LABELS.get(self.role, self.role)


class HealthCheck(db.Model):
    """An annual health check of a carer, item by item (§十四(二)3)."""

    __tablename__ = "billing_health_checks"
    id = db.Column(db.Integer, primary_key=True)
    carer_id = db.Column(db.ForeignKey("billing_carers.id"), nullable=False, index=True)
    checked_on = db.Column(db.Date, nullable=False)
    items = db.Column(JSON, nullable=False, default=dict)   # item key -> "normal" / "abnormal"
    finding_route = db.Column(db.String(10))                 # None, "contact", "blood"
    finding_note = db.Column(db.String(300))
    clearance_on = db.Column(db.Date)                        # non-infectiousness / follow-up proof
    recorded_by_id = db.Column(db.ForeignKey("users.id"))
    recorded_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)

    carer = db.relationship(Carer, back_populates="health_checks")


CERTIFICATE_KINDS = ("CPR", "CPCR", "BLS")


class CprCertificate(db.Model):
    """A CPR/CPCR/BLS training certificate with its expiry (§十四(二)4)."""

    __tablename__ = "billing_certificates"
    id = db.Column(db.Integer, primary_key=True)
    carer_id = db.Column(db.ForeignKey("billing_carers.id"), nullable=False, index=True)
    kind = db.Column(db.String(6), nullable=False)
    number = db.Column(db.String(40))
    issued_on = db.Column(db.Date)
    expires_on = db.Column(db.Date, nullable=False)
    recorded_by_id = db.Column(db.ForeignKey("users.id"))
    recorded_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)

    carer = db.relationship(Carer, back_populates="certificates")


STAFF_CHANGE_STATUS_LABELS = {"submitted": "待衛生局核准", "approved": "已核准", "rejected": "未核准",
                              "withdrawn": "已撤回"}
STAFF_CHANGE_KIND_LABELS = {"add": "新增人員", "remove": "人員離職", "replace": "人員更替"}


class StaffChange(_Scoped, db.Model):
    """A personnel change, filed ≥ 30 days before it takes effect and approved by the bureau (§十四(二)5)."""

    __tablename__ = "billing_staff_changes"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    kind = db.Column(db.String(10), nullable=False)
    person_out_id = db.Column(db.ForeignKey("billing_carers.id"))
    person_in_name = db.Column(db.String(60))
    person_in_role = db.Column(db.String(12))
    effective_on = db.Column(db.Date, nullable=False)
    reason = db.Column(db.Text, nullable=False)
    status = db.Column(db.String(12), nullable=False, default="submitted", index=True)
    submitted_on = db.Column(db.Date, nullable=False)
    submitted_by_id = db.Column(db.ForeignKey("users.id"))
    decided_by_id = db.Column(db.ForeignKey("users.id"))
    decided_at = db.Column(UTCDateTime)
    decision_note = db.Column(db.String(500))
    version = db.Column(db.Integer, nullable=False, default=1)

    organisation = db.relationship("Organisation")
    person_out = db.relationship(Carer)
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])
    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self):
        return STAFF_CHANGE_STATUS_LABELS.get(self.status, self.status)

    @property
    def kind_label(self):
        return STAFF_CHANGE_KIND_LABELS.get(self.kind, self.kind)
