"""Case management (seed 000): cases, referrals to A units, care plans, B-unit dispatches,
change-of-provider requests, suspensions, closures, visits, B-unit evaluations, A-unit
dispatch pauses, case-manager roster, B-unit service capacity.

Spec: case-management.md. State names and labels are in `portal.cases.rules`.
"""
from sqlalchemy import JSON, and_, any_, exists, false, func, literal_column, select, true

from portal import clock
from portal.auth import roles
from portal.cases import rules
from portal.dbtypes import UTCDateTime
from portal.extensions import db

# Service types: the rows of the change-of-provider form's 服務項目 (forms-and-pdfs.md §1),
# and the unit of B-unit capacity and rotation (Q08).
SERVICE_TYPES = {
    "home_care": "居家照顧服務",
    "day_care": "日間照顧服務",
    "family_care": "家庭托顧服務",
    "professional": "專業服務",
    "transport": "交通接送服務",
    "respite": "喘息服務",
    "other": "其他",
}
VISIT_KINDS = {"phone": "電訪", "home": "家訪"}
PAUSE_KINDS = {"pause": "暫停派案", "resume": "恢復派案"}
PAUSE_REASON_KINDS = {"capacity": "案量即將達上限", "staffing": "人力異動致無法持續提供個案管理", "other": "其他"}
SUSPENSION_STATES = {"REPORTED": "服務單位已通報", "FORWARDED": "A單位已轉報照管中心", "RECORDED": "照管中心已核備（暫停中）",
                     "ENDED": "已恢復服務", "REJECTED": "照管中心未核備"}
CLOSURE_STATES = {"REPORTED": "服務單位已通報", "FORWARDED": "A單位已轉報照管中心", "CLOSED": "已結案",
                  "REJECTED": "照管中心不同意結案"}
REFERRAL_STATES = {"PENDING": "待A單位回覆", "ACCEPTED": "已收案", "DECLINED": "無法收案", "CANCELLED": "已撤回"}
CM_STATUS_LABELS = {
    "PROPOSED": "資格審查中", "APPROVED": "已核備", "TRAINED": "已完成基礎訓練", "PRACTISING": "實習共訪中",
    "ACTIVE": "可正式派案", "REMOVED": "已註銷",
}


class ServiceCode(db.Model):
    """A service code of the national payment standard (README §6.1) [external]: data the bureau edits."""

    __tablename__ = "service_codes"
    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(10), nullable=False, unique=True)
    name = db.Column(db.String(80), nullable=False)
    family = db.Column(db.String(2), nullable=False)         # B, C, D, E, F, G
    service_type = db.Column(db.String(20), nullable=False)  # SERVICE_TYPES key
    unit_label = db.Column(db.String(10), nullable=False, default="次")
    active = db.Column(db.Boolean, nullable=False, default=True, server_default=true())
    sort_order = db.Column(db.Integer, nullable=False, default=0)

    @property
    def label(self):
        return f"{self.code} {self.name}"


class Case(db.Model):
    """One episode of a client's long-term care (case-management.md §11.3)."""

    __tablename__ = "cases"
    id = db.Column(db.Integer, primary_key=True)
    client_id = db.Column(db.ForeignKey("clients.id"), nullable=False, index=True)
    state = db.Column(db.String(20), nullable=False, default="ASSESSED", index=True)
    # Assessment facts (§3.1–3.2): consent, special/complex flags, requested code families.
    consent = db.Column(db.Boolean, nullable=False, default=False)
    consent_on = db.Column(db.Date)
    consent_explained_by_id = db.Column(db.ForeignKey("users.id"))
    special_flags = db.Column(JSON, nullable=False, default=list)
    families = db.Column(JSON, nullable=False, default=list)
    a_unit_advisable = db.Column(db.Boolean, nullable=False, default=False)
    centre_reason = db.Column(db.Text)
    assessment_note = db.Column(db.Text)
    # Dispatch facts (Q08): c5 the B unit that found the case; c1 the client's named units.
    applied_by_org_id = db.Column(db.ForeignKey("organisations.id"))
    preferences = db.Column(JSON, nullable=False, default=dict)   # service_type -> org_id
    a_unit_id = db.Column(db.ForeignKey("organisations.id"), index=True)
    case_manager_id = db.Column(db.ForeignKey("users.id"), index=True)
    first_referred_on = db.Column(db.Date)
    accepted_on = db.Column(db.Date)
    plan_approved_on = db.Column(db.Date)       # first approval: starts the 7-office-day clock (Q03)
    first_service_on = db.Column(db.Date)
    closed_on = db.Column(db.Date)
    closure_reason = db.Column(db.String(4))
    died_on = db.Column(db.Date)
    reapply_when_compliant = db.Column(db.Boolean, nullable=False, default=False)  # X5
    opened_by_id = db.Column(db.ForeignKey("users.id"))
    submission_key = db.Column(db.String(40), unique=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow, onupdate=clock.utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    client = db.relationship("Client")
    a_unit = db.relationship("Organisation", foreign_keys=[a_unit_id])
    applied_by = db.relationship("Organisation", foreign_keys=[applied_by_org_id])
    case_manager = db.relationship("User", foreign_keys=[case_manager_id])
    opened_by = db.relationship("User", foreign_keys=[opened_by_id])
    referrals = db.relationship("Referral", back_populates="case", order_by="Referral.id")
    plans = db.relationship("CarePlan", back_populates="case", order_by="CarePlan.number")
    dispatches = db.relationship("Dispatch", back_populates="case", order_by="Dispatch.id",
                                 foreign_keys="Dispatch.case_id")
    visits = db.relationship("Visit", back_populates="case", order_by="Visit.visited_on.desc(), Visit.id.desc()")

    __mapper_args__ = {"version_id_col": version}
    # The case list's page, newest change first, read in index order and stopped at the page (issue 10).
    # An A unit's open cases counted from an index alone (its caseload, on every case list page).
    __table_args__ = (db.Index("ix_cases_a_unit_updated", "a_unit_id", "updated_at", "id"),
                      db.Index("ix_cases_updated", "updated_at", "id"),
                      db.Index("ix_cases_a_unit_state", "a_unit_id", "state"))

    @property
    def state_label(self):
        return rules.CASE_STATES.get(self.state, self.state)

    @property
    def is_open(self):
        return self.state != "CLOSED"

    @property
    def current_plan(self):
        """The plan whose services are in force (approved, possibly with a change notice)."""
        in_force = [p for p in self.plans if p.state in rules.PLAN_IN_FORCE]
        return in_force[-1] if in_force else None

    @property
    def latest_plan(self):
        return self.plans[-1] if self.plans else None

    @property
    def pending_referral(self):
        return next((r for r in self.referrals if r.state == "PENDING"), None)

    @classmethod
    def visible_to(cls, user):
        if user.sees_all:
            return true()
        if user.role in roles.A_ROLES:
            return cls.a_unit_id == user.organisation_id
        if user.role in roles.B_ROLES:
            return exists().where(and_(Dispatch.case_id == cls.id, Dispatch.organisation_id == user.organisation_id))
        return false()


def _case_ids_visible(user):
    return select(Case.id).where(Case.visible_to(user))


class Referral(db.Model):
    """The centre's referral of a case to an A unit (§3), answered within 2 days (§3.3)."""

    __tablename__ = "case_referrals"
    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(db.ForeignKey("cases.id"), nullable=False, index=True)
    a_unit_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    state = db.Column(db.String(12), nullable=False, default="PENDING", index=True)
    referred_on = db.Column(db.Date, nullable=False)
    referred_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    referred_by_id = db.Column(db.ForeignKey("users.id"), nullable=False)
    answer_due = db.Column(db.Date, nullable=False)
    consent_on = db.Column(db.Date)                  # the client's consent this referral rests on (R-REF-01)
    ranking = db.Column(JSON)                        # the A-unit list the 照專 saw (Q30)
    skip_reason = db.Column(db.Text)                 # why the first unit of the list was not chosen
    capacity_confirmed = db.Column(db.Boolean, nullable=False, default=False)  # Q26–Q27 at 100 %
    answered_at = db.Column(UTCDateTime)
    answered_by_id = db.Column(db.ForeignKey("users.id"))
    decline_reason = db.Column(db.Text)
    version = db.Column(db.Integer, nullable=False, default=1)

    case = db.relationship(Case, back_populates="referrals")
    a_unit = db.relationship("Organisation")
    referred_by = db.relationship("User", foreign_keys=[referred_by_id])
    answered_by = db.relationship("User", foreign_keys=[answered_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def state_label(self):
        return REFERRAL_STATES.get(self.state, self.state)

    @classmethod
    def visible_to(cls, user):
        if user.sees_all:
            return true()
        if user.role in roles.A_ROLES:
            return cls.a_unit_id == user.organisation_id
        return false()


class CarePlan(db.Model):
    """One version of a case's care plan (§8)."""

    __tablename__ = "care_plans"
    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(db.ForeignKey("cases.id"), nullable=False, index=True)
    number = db.Column(db.Integer, nullable=False)          # 第 n 版
    state = db.Column(db.String(20), nullable=False, default="DRAFT", index=True)
    problems = db.Column(db.Text, nullable=False, default="")
    goals = db.Column(db.Text, nullable=False, default="")
    change_note = db.Column(db.Text)                         # why this version differs
    based_on_id = db.Column(db.ForeignKey("care_plans.id"))
    drafted_by_id = db.Column(db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    submitted_at = db.Column(UTCDateTime)
    submitted_by_id = db.Column(db.ForeignKey("users.id"))
    decided_at = db.Column(UTCDateTime)
    decided_by_id = db.Column(db.ForeignKey("users.id"))
    approved_on = db.Column(db.Date)
    return_comment = db.Column(db.Text)
    # A B unit's change notice (服務異動, §8 R-CP-02) on this version.
    change_notice = db.Column(db.Text)
    change_reported_on = db.Column(db.Date)
    change_reported_by_id = db.Column(db.ForeignKey("users.id"))
    change_reported_org_id = db.Column(db.ForeignKey("organisations.id"))
    change_due = db.Column(db.Date)
    superseded_at = db.Column(UTCDateTime)
    version = db.Column(db.Integer, nullable=False, default=1)

    case = db.relationship(Case, back_populates="plans")
    items = db.relationship("CarePlanItem", order_by="CarePlanItem.position", cascade="all, delete-orphan",
                            back_populates="plan")
    based_on = db.relationship("CarePlan", remote_side=[id])
    drafted_by = db.relationship("User", foreign_keys=[drafted_by_id])
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])
    change_reported_org = db.relationship("Organisation", foreign_keys=[change_reported_org_id])

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (db.UniqueConstraint("case_id", "number"),)

    @property
    def state_label(self):
        return rules.PLAN_STATES.get(self.state, self.state)

    def lines(self):
        return [rules.PlanLine(i.code, i.quantity, i.frequency or "", i.note or "") for i in self.items]

    def texts(self):
        return {"problems": self.problems or "", "goals": self.goals or ""}

    def service_types(self):
        return sorted({i.service_type for i in self.items}, key=list(SERVICE_TYPES).index)

    def items_of(self, service_type):
        return [i for i in self.items if i.service_type == service_type]

    @classmethod
    def visible_to(cls, user):
        if user.sees_all:
            return true()
        return cls.case_id.in_(_case_ids_visible(user))


class CarePlanItem(db.Model):
    __tablename__ = "care_plan_items"
    id = db.Column(db.Integer, primary_key=True)
    plan_id = db.Column(db.ForeignKey("care_plans.id", ondelete="CASCADE"), nullable=False, index=True)
    position = db.Column(db.Integer, nullable=False, default=0)
    code = db.Column(db.String(10), nullable=False)
    name = db.Column(db.String(80), nullable=False)         # snapshot of the code's name
    service_type = db.Column(db.String(20), nullable=False)
    quantity = db.Column(db.Integer, nullable=False)
    frequency = db.Column(db.String(60))
    note = db.Column(db.String(200))

    plan = db.relationship(CarePlan, back_populates="items")


class Dispatch(db.Model):
    """A referral of one service type of a case to one B unit (§9.1)."""

    __tablename__ = "b_dispatches"
    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(db.ForeignKey("cases.id"), nullable=False, index=True)
    plan_id = db.Column(db.ForeignKey("care_plans.id"), nullable=False)
    service_type = db.Column(db.String(20), nullable=False)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    state = db.Column(db.String(12), nullable=False, default="REFERRED", index=True)
    referred_on = db.Column(db.Date, nullable=False)
    referred_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    referred_by_id = db.Column(db.ForeignKey("users.id"), nullable=False)
    due_on = db.Column(db.Date, nullable=False)            # 5 office days (R-AB-02)
    answered_at = db.Column(UTCDateTime)
    answered_by_id = db.Column(db.ForeignKey("users.id"))
    decline_reason = db.Column(db.Text)
    first_service_on = db.Column(db.Date)
    first_service_by_id = db.Column(db.ForeignKey("users.id"))
    ended_on = db.Column(db.Date)
    end_reason = db.Column(db.String(200))
    # Transparency (R-AB-01): what the CM saw and decided.
    ranking = db.Column(JSON)
    flags = db.Column(JSON)
    position = db.Column(db.Integer)
    by_rotation = db.Column(db.Boolean, nullable=False, default=False)
    override_reason = db.Column(db.Text)
    replaces_id = db.Column(db.ForeignKey("b_dispatches.id"))
    version = db.Column(db.Integer, nullable=False, default=1)

    case = db.relationship(Case, back_populates="dispatches", foreign_keys=[case_id])
    plan = db.relationship(CarePlan)
    organisation = db.relationship("Organisation")
    referred_by = db.relationship("User", foreign_keys=[referred_by_id])
    replaces = db.relationship("Dispatch", remote_side=[id])

    __mapper_args__ = {"version_id_col": version}
    # The dispatch list's order: referrals waiting for an answer first, then by deadline, newest first. A
    # literal, not a bound parameter, so that PostgreSQL matches it to ix_b_dispatches_list_order (and `<>`, the
    # spelling PostgreSQL reflects, so that the migration test finds the index unchanged).
    LIST_ORDER = (state.op("<>", is_comparison=True)(literal_column("'REFERRED'")), due_on, id.desc())
    # The recommendation list counts every unit's active dispatches of a type and reads each unit's latest
    # first services: both answered from these indexes at county scale (issue 10, migration perf_0002). The
    # bureau's dispatch list reads its page from ix_b_dispatches_list_order instead of sorting the county's
    # 58,000 dispatches (perf_0004).
    __table_args__ = (db.Index("ix_b_dispatches_org_type_state", "organisation_id", "service_type", "state"),
                      db.Index("ix_b_dispatches_org_first_service", "organisation_id", "first_service_on"),
                      db.Index("ix_b_dispatches_list_order", *LIST_ORDER))

    @property
    def service_type_label(self):
        return SERVICE_TYPES.get(self.service_type, self.service_type)

    def is_overdue(self, today):
        return rules.dispatch_overdue(self.state, self.due_on, today)

    def effective_state(self, today):
        return "OVERDUE" if self.is_overdue(today) else self.state

    def state_label_on(self, today):
        return rules.DISPATCH_STATES[self.effective_state(today)]

    @property
    def state_label(self):
        return rules.DISPATCH_STATES.get(self.state, self.state)

    @property
    def is_active(self):
        return self.state in rules.DISPATCH_ACTIVE

    @classmethod
    def visible_to(cls, user, listing=False):
        """The dispatches `user` may see; `listing`: the same rows, in the form fit for a list of many."""
        if user.sees_all:
            return true()
        if user.role in roles.A_ROLES:
            own_cases = select(Case.id).where(Case.a_unit_id == user.organisation_id)
            if listing and db.engine.dialect.name == "postgresql":
                # A unit's ~1,500 cases: `IN (subquery)` makes PostgreSQL hash every dispatch of the county
                # (a sequential scan, 10–17 ms); `= ANY(ARRAY(subquery))` looks up the unit's case ids in
                # ix_b_dispatches_case_id (4–6 ms). Not for one row (get_or_404): the array is built first.
                return cls.case_id == any_(func.array(own_cases.scalar_subquery()))
            return cls.case_id.in_(own_cases)
        if user.role in roles.B_ROLES:
            return cls.organisation_id == user.organisation_id
        return false()


class RotationCursor(db.Model):
    """The round-robin cursor of one service area and service type (Q08), locked while dispatching."""

    __tablename__ = "rotation_cursors"
    id = db.Column(db.Integer, primary_key=True)
    service_area_id = db.Column(db.ForeignKey("service_areas.id"), nullable=False)
    service_type = db.Column(db.String(20), nullable=False)
    turns = db.Column(db.Integer, nullable=False, default=0)
    updated_at = db.Column(UTCDateTime)

    __table_args__ = (db.UniqueConstraint("service_area_id", "service_type"),)


class RotationTurn(db.Model):
    """When a unit last received a case by rotation under a cursor."""

    __tablename__ = "rotation_turns"
    id = db.Column(db.Integer, primary_key=True)
    cursor_id = db.Column(db.ForeignKey("rotation_cursors.id", ondelete="CASCADE"), nullable=False)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False)
    assigned_at = db.Column(UTCDateTime, nullable=False)

    __table_args__ = (db.UniqueConstraint("cursor_id", "organisation_id"),)


class ChangeRequest(db.Model):
    """更換服務單位申請表 (seed 000 §五(三)3, 附件一; forms-and-pdfs.md §1; Q05)."""

    __tablename__ = "change_requests"
    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(db.ForeignKey("cases.id"), nullable=False, index=True)
    dispatch_id = db.Column(db.ForeignKey("b_dispatches.id"), nullable=False)   # the current provider
    state = db.Column(db.String(12), nullable=False, default="DRAFT", index=True)
    # 四、更換原因
    requested_on = db.Column(db.Date)
    reasons = db.Column(db.Text)
    # 五、與原服務單位聯繫及協調情形
    contact_on = db.Column(db.Date)
    contact_person = db.Column(db.String(60))
    contact_content = db.Column(db.Text)
    coordination_result = db.Column(db.Text)
    # 六、新服務單位
    new_org_id = db.Column(db.ForeignKey("organisations.id"))
    planned_start_on = db.Column(db.Date)
    matching_note = db.Column(db.Text)
    ranking = db.Column(JSON)
    # 七、個案或家屬意願確認
    confirmer_name = db.Column(db.String(60))
    confirmer_relation = db.Column(db.String(20))
    confirmed_on = db.Column(db.Date)
    # 八、填表
    filled_by_id = db.Column(db.ForeignKey("users.id"))
    filled_on = db.Column(db.Date)
    withdrawn_reason = db.Column(db.Text)
    submitted_at = db.Column(UTCDateTime)
    rounds_count = db.Column(db.Integer, nullable=False, default=0)
    # 十、衛生局收件
    decided_at = db.Column(UTCDateTime)
    decided_by_id = db.Column(db.ForeignKey("users.id"))
    decision_comment = db.Column(db.Text)
    # 九、系統計畫異動
    plan_changed_on = db.Column(db.Date)
    uploaded_to_system = db.Column(db.Boolean, nullable=False, default=False)
    completed_at = db.Column(UTCDateTime)
    new_dispatch_id = db.Column(db.ForeignKey("b_dispatches.id"))
    # Signed scan (PDF/JPEG/PNG by content).
    scan_path = db.Column(db.String(200))
    scan_name = db.Column(db.String(200))
    scan_mime = db.Column(db.String(40))
    scan_size = db.Column(db.Integer)
    scan_uploaded_at = db.Column(UTCDateTime)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    case = db.relationship(Case)
    dispatch = db.relationship(Dispatch, foreign_keys=[dispatch_id])
    new_dispatch = db.relationship(Dispatch, foreign_keys=[new_dispatch_id])
    new_org = db.relationship("Organisation", foreign_keys=[new_org_id])
    filled_by = db.relationship("User", foreign_keys=[filled_by_id])
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])
    rounds = db.relationship("ChangeRequestRound", order_by="ChangeRequestRound.number", back_populates="request",
                             cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}
    # The change-of-provider queue's order (submitted first, newest first), read in index order (issue 10).
    __table_args__ = (db.Index("ix_change_requests_queue", db.text("(state <> 'SUBMITTED')"), db.text("id DESC")),)

    @property
    def state_label(self):
        return rules.CHANGE_STATES.get(self.state, self.state)

    @property
    def editable(self):
        return self.state in rules.CHANGE_EDITABLE

    @classmethod
    def visible_to(cls, user):
        if user.sees_all:
            return true()
        if user.role in roles.A_ROLES:
            return cls.case_id.in_(select(Case.id).where(Case.a_unit_id == user.organisation_id))
        return false()


class ChangeRequestRound(db.Model):
    """Each submission of a change-of-provider request and the bureau's decision on it (Q05 history)."""

    __tablename__ = "change_request_rounds"
    id = db.Column(db.Integer, primary_key=True)
    request_id = db.Column(db.ForeignKey("change_requests.id", ondelete="CASCADE"), nullable=False, index=True)
    number = db.Column(db.Integer, nullable=False)
    submitted_at = db.Column(UTCDateTime, nullable=False)
    submitted_by_id = db.Column(db.ForeignKey("users.id"), nullable=False)
    snapshot = db.Column(JSON, nullable=False)
    decision = db.Column(db.String(12))          # APPROVED / RETURNED
    decided_at = db.Column(UTCDateTime)
    decided_by_id = db.Column(db.ForeignKey("users.id"))
    comment = db.Column(db.Text)

    request = db.relationship(ChangeRequest, back_populates="rounds")
    submitted_by = db.relationship("User", foreign_keys=[submitted_by_id])
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])

    __table_args__ = (db.UniqueConstraint("request_id", "number"),)


class Suspension(db.Model):
    """服務暫停 (§11.1): B unit notifies → A unit forwards → centre records (核備)."""

    __tablename__ = "case_suspensions"
    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(db.ForeignKey("cases.id"), nullable=False, index=True)
    reason = db.Column(db.String(4), nullable=False)
    starts_on = db.Column(db.Date, nullable=False)
    away_from = db.Column(db.Date)
    away_to = db.Column(db.Date)
    details = db.Column(db.Text)
    state = db.Column(db.String(12), nullable=False, default="REPORTED", index=True)
    reported_org_id = db.Column(db.ForeignKey("organisations.id"), nullable=False)
    reported_by_id = db.Column(db.ForeignKey("users.id"), nullable=False)
    reported_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    forwarded_at = db.Column(UTCDateTime)
    forwarded_by_id = db.Column(db.ForeignKey("users.id"))
    decided_at = db.Column(UTCDateTime)
    decided_by_id = db.Column(db.ForeignKey("users.id"))
    decision_comment = db.Column(db.Text)
    ended_on = db.Column(db.Date)
    end_note = db.Column(db.Text)
    previous_state = db.Column(db.String(20))
    version = db.Column(db.Integer, nullable=False, default=1)

    case = db.relationship(Case)
    reported_org = db.relationship("Organisation")
    reported_by = db.relationship("User", foreign_keys=[reported_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def state_label(self):
        return SUSPENSION_STATES.get(self.state, self.state)

    @classmethod
    def visible_to(cls, user):
        return _report_visible(cls, user)


def _report_visible(cls, user):
    """Suspensions and closures: the bureau, the case's A unit, the B unit that reported."""
    if user.sees_all:
        return true()
    if user.role in roles.A_ROLES:
        return cls.case_id.in_(select(Case.id).where(Case.a_unit_id == user.organisation_id))
    if user.role in roles.B_ROLES:
        return cls.reported_org_id == user.organisation_id
    return false()


class Closure(db.Model):
    """結案 (§11.2): B unit notifies → A unit forwards → the centre closes."""

    __tablename__ = "case_closures"
    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(db.ForeignKey("cases.id"), nullable=False, index=True)
    reason = db.Column(db.String(4), nullable=False)
    event_on = db.Column(db.Date, nullable=False)       # the day of death, move, admission…
    details = db.Column(db.Text)
    state = db.Column(db.String(12), nullable=False, default="REPORTED", index=True)
    reported_org_id = db.Column(db.ForeignKey("organisations.id"), nullable=False)
    reported_by_id = db.Column(db.ForeignKey("users.id"), nullable=False)
    reported_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    forwarded_at = db.Column(UTCDateTime)
    forwarded_by_id = db.Column(db.ForeignKey("users.id"))
    decided_at = db.Column(UTCDateTime)
    decided_by_id = db.Column(db.ForeignKey("users.id"))
    centre_consent = db.Column(db.Boolean, nullable=False, default=False)
    decision_comment = db.Column(db.Text)
    previous_state = db.Column(db.String(20))
    version = db.Column(db.Integer, nullable=False, default=1)

    case = db.relationship(Case)
    reported_org = db.relationship("Organisation")
    reported_by = db.relationship("User", foreign_keys=[reported_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def state_label(self):
        return CLOSURE_STATES.get(self.state, self.state)

    @classmethod
    def visible_to(cls, user):
        return _report_visible(cls, user)


class Visit(db.Model):
    """A phone or home visit by the case manager (§5.3 R-CMD-04, Q09)."""

    __tablename__ = "case_visits"
    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(db.ForeignKey("cases.id"), nullable=False, index=True)
    kind = db.Column(db.String(8), nullable=False)
    visited_on = db.Column(db.Date, nullable=False)
    visitor_id = db.Column(db.ForeignKey("users.id"), nullable=False)
    summary = db.Column(db.Text, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    submission_key = db.Column(db.String(40), unique=True)

    case = db.relationship(Case, back_populates="visits")
    visitor = db.relationship("User")

    @property
    def kind_label(self):
        return VISIT_KINDS.get(self.kind, self.kind)


class ProviderEvaluation(db.Model):
    """An A unit's periodic rating of a B unit (§9 R-AB-03)."""

    __tablename__ = "provider_evaluations"
    id = db.Column(db.Integer, primary_key=True)
    a_unit_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    b_unit_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    period = db.Column(db.String(8), nullable=False)     # 2025H1 / 2025H2
    rating = db.Column(db.Integer, nullable=False)       # 1–5
    comment = db.Column(db.Text)
    evaluated_by_id = db.Column(db.ForeignKey("users.id"), nullable=False)
    evaluated_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    a_unit = db.relationship("Organisation", foreign_keys=[a_unit_id])
    b_unit = db.relationship("Organisation", foreign_keys=[b_unit_id])
    evaluated_by = db.relationship("User")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (db.UniqueConstraint("a_unit_id", "b_unit_id", "period"),)

    @property
    def period_label(self):
        return period_label(self.period)

    @classmethod
    def visible_to(cls, user):
        if user.sees_all:
            return true()
        if user.role in roles.A_ROLES:
            return cls.a_unit_id == user.organisation_id
        return false()


def period_label(period: str) -> str:
    year, half = int(period[:4]), period[4:]
    return f"{year - 1911}年{'上' if half == 'H1' else '下'}半年"


class PauseRequest(db.Model):
    """An A unit's letter asking to pause or resume new referrals (§4, seed 000 §二(二)3, §七(三))."""

    __tablename__ = "dispatch_pause_requests"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    kind = db.Column(db.String(8), nullable=False)           # pause / resume
    reason_kind = db.Column(db.String(12))
    reason = db.Column(db.Text, nullable=False)
    measures = db.Column(db.Text)                             # 配套措施 (R-CAP-05)
    requested_on = db.Column(db.Date)                        # requested effective date (pause)
    state = db.Column(db.String(12), nullable=False, default="SUBMITTED", index=True)
    submitted_on = db.Column(db.Date, nullable=False)
    submitted_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    submitted_by_id = db.Column(db.ForeignKey("users.id"), nullable=False)
    decided_at = db.Column(UTCDateTime)
    decided_by_id = db.Column(db.ForeignKey("users.id"))
    decision_comment = db.Column(db.Text)
    effective_on = db.Column(db.Date)                        # set on approval
    version = db.Column(db.Integer, nullable=False, default=1)

    organisation = db.relationship("Organisation")
    submitted_by = db.relationship("User", foreign_keys=[submitted_by_id])
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def kind_label(self):
        return PAUSE_KINDS.get(self.kind, self.kind)

    @property
    def state_label(self):
        return rules.PAUSE_STATES.get(self.state, self.state)

    @property
    def reason_kind_label(self):
        return PAUSE_REASON_KINDS.get(self.reason_kind or "", "")

    @classmethod
    def visible_to(cls, user):
        if user.sees_all:
            return true()
        if user.role in roles.A_ROLES:
            return cls.organisation_id == user.organisation_id
        return false()


class CaseManagerProfile(db.Model):
    """A case manager's roster entry (§5): onboarding facts, declared caseload, deputy."""

    __tablename__ = "case_managers"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.ForeignKey("users.id"), nullable=False, unique=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    declared_caseload = db.Column(db.Integer, nullable=False, default=150)
    deputy_id = db.Column(db.ForeignKey("users.id"))
    approved_on = db.Column(db.Date)
    training_hours = db.Column(db.Numeric(4, 1), nullable=False, default=0)
    training_notice_on = db.Column(db.Date)
    joint_visits = db.Column(db.Integer, nullable=False, default=0)
    review_passed_on = db.Column(db.Date)
    cms_account_on = db.Column(db.Date)
    removed_on = db.Column(db.Date)
    version = db.Column(db.Integer, nullable=False, default=1)

    user = db.relationship("User", foreign_keys=[user_id])
    deputy = db.relationship("User", foreign_keys=[deputy_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def problems(self):
        return rules.cm_activation_problems(approved=self.approved_on is not None, training_hours=self.training_hours,
                                            joint_visits=self.joint_visits, review_passed=self.review_passed_on is not None)

    @property
    def status(self):
        return rules.cm_status(approved=self.approved_on is not None, training_hours=self.training_hours,
                               joint_visits=self.joint_visits, review_passed=self.review_passed_on is not None,
                               removed=self.removed_on is not None)

    @property
    def status_label(self):
        return CM_STATUS_LABELS[self.status]

    @classmethod
    def visible_to(cls, user):
        if user.sees_all:
            return true()
        if user.role in roles.A_ROLES:
            return cls.organisation_id == user.organisation_id
        return false()


class ProviderService(db.Model):
    """What a B unit offers per service type and how many clients it can take (Q08 capacity)."""

    __tablename__ = "provider_services"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    service_type = db.Column(db.String(20), nullable=False)
    capacity = db.Column(db.Integer, nullable=False)
    accepting = db.Column(db.Boolean, nullable=False, default=True, server_default=true())
    codes = db.Column(JSON)            # offered codes; null = every code of the type
    note = db.Column(db.String(200))
    updated_at = db.Column(UTCDateTime, default=clock.utcnow, onupdate=clock.utcnow)
    updated_by_id = db.Column(db.ForeignKey("users.id"))

    organisation = db.relationship("Organisation")

    __table_args__ = (db.UniqueConstraint("organisation_id", "service_type"),)

    @property
    def service_type_label(self):
        return SERVICE_TYPES.get(self.service_type, self.service_type)

    @classmethod
    def visible_to(cls, user):
        # Capacity is what A units and the bureau dispatch by; a B unit sees (and edits) only its own.
        if user.role in roles.B_ROLES:
            return cls.organisation_id == user.organisation_id
        return true()


class CaseNotice(db.Model):
    """A portal notification to an organisation (both B units on a change of provider, 照專 on a pause)."""

    __tablename__ = "case_notices"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    case_id = db.Column(db.ForeignKey("cases.id"))
    message = db.Column(db.String(300), nullable=False)
    url = db.Column(db.String(200))
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    read_at = db.Column(UTCDateTime)
    read_by_id = db.Column(db.ForeignKey("users.id"))

    @classmethod
    def visible_to(cls, user):
        return cls.organisation_id == user.organisation_id
