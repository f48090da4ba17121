"""Incidents (異常事件), their chain of reports, routing, handling, and dispute mediation.

Spec: incidents.md (seed 003 附件4), forms-and-pdfs.md §6, decisions Q21.

Visibility (incidents.md §6, issue 7 §7): the reporting unit, the client's A
unit (the one routed at reporting time, or the one holding the case now), the
care management centre and the bureau. Submitted reports are immutable: the
ORM refuses any change to their content (`before_update` below).
"""
from sqlalchemy import JSON, and_, event, exists, false, or_, true
from sqlalchemy.orm import attributes

from portal import clock
from portal.calendar import roc_year
from portal.clients.models import ClientAccess
from portal.dbtypes import UTCDateTime
from portal.extensions import db
from portal.incidents import rules

# --- Labels (verbatim from 通報單, forms-and-pdfs.md §6) ------------------------------
PERIOD_LABELS = {"service": "服務期間", "non_service": "非服務期間"}
PLACE_LABELS = {"home": "案家", "near_home": "案家附近", "provider": "長照特約單位", "hospital": "醫院",
                "outing": "陪同外出活動途中", "other": "其他"}
PLACES_NEEDING_NOTE = ("provider", "other")
SEVERITY_LABELS = {"death": "死亡", "extreme": "極重度", "severe": "重度", "moderate": "中度", "mild": "輕度",
                   "none": "無傷害"}
SEVERITY_FORM_TEXT = {
    "death": "死亡。",
    "extreme": "極重度：造成個案永久性殘障或永久性功能障礙，例如：截肢、昏迷。",
    "severe": "重度：除需要額外的探視、評估或觀察外，還需住院或延長住院時間作特殊的處理。",
    "moderate": "中度：需額外的探視、評估或觀察，且需要額外的醫療處置(遇)，如：送醫。",
    "mild": "輕度：只需要緊急處置，無其他後遺症或影響。如表皮泛紅、擦傷、瘀青等。",
    "none": "無傷害：事件發生在個案身上，但是沒有造成任何的傷害。",
}
STAFF_TYPE_LABELS = {"professional": "專業人員", "home_carer": "居服員", "transport": "交通接送服務提供者",
                     "respite": "喘息服務提供人員", "day_care": "日間照顧人員", "other": "其他"}
CATEGORY_LABELS = {
    "medical_transfer": "送醫事件", "security": "治安事件", "medication": "藥物事件", "public_accident": "公共意外",
    "harmful_behaviour": "傷害行為事件", "care_accident": "照顧意外事件", "dv_service": "家庭暴力事件責任通報",
    "improper_benefit": "不當利益往來", "other_service": "其他",
    "dv_sexual_assault": "家庭暴力事件暨性侵害責任通報", "suicide_self_harm": "自殺(含意圖)、自傷事件",
    "media": "媒體事件", "other_anytime": "其他",
}
NO_INTERVENTION_LABELS = {"none_needed": "不需任何處理", "refused": "個案或家屬拒絕處置", "none_other": "其他"}
INTERVENTION_LABELS = {"medical": "送醫治療", "comfort": "予以個案家屬慰問及支持", "police": "通報警政機關",
                       "dv_reported": "已於 24 小時內完成家庭暴力暨性侵害事件責任通報",
                       "suicide_reported": "已通報自殺防治中心", "other": "其他"}
CHANNEL_LABELS = {"phone": "電話", "fax": "傳真", "email": "電子郵件", "messaging": "通訊軟體", "other": "其他"}
REPORT_KIND_LABELS = {"initial": "初報", "followup": "續報", "closing": "結報", "platform": "平台異動紀錄"}
# 通報單 §十一 rows, in order, and the role that may fill each.
HANDLING_ROWS = (("care_manager", "照顧管理專員"), ("care_supervisor", "照顧管理督導"),
                 ("bureau_officer", "負責承辦人員"), ("bureau_chief", "科長"))
ROUTE_TARGET_LABELS = {"a_unit": "個案所屬A單位（主管、個管師）", "care_centre": "照管中心（照專、照管督導）",
                       "bureau": "衛生局（業務主管機關）"}
DISPUTE_OUTCOME_LABELS = {"settled": "調處成立", "failed": "調處不成立"}


def incident_visibility(user, incident_cls):
    """SQL condition: the reporting unit, the routed or current A unit; the bureau sees all."""
    if user.sees_all:
        return true()
    return or_(
        incident_cls.reporting_org_id == user.organisation_id,
        incident_cls.a_unit_id == user.organisation_id,
        exists().where(and_(ClientAccess.client_id == incident_cls.client_id,
                            ClientAccess.organisation_id == user.organisation_id,
                            ClientAccess.relation == "a_unit",
                            ClientAccess.ended_at.is_(None))),
    )


class Incident(db.Model):
    """One incident and the 通報單 draft; the submitted versions live in `IncidentReport`."""

    __tablename__ = "incidents"
    id = db.Column(db.Integer, primary_key=True)
    status = db.Column(db.String(20), nullable=False, default="recorded", index=True)
    reporting_org_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    created_by_id = db.Column(db.ForeignKey("users.id"), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow, onupdate=clock.utcnow)
    submission_key = db.Column(db.String(40), unique=True)  # double-submit guard for "create"
    version = db.Column(db.Integer, nullable=False, default=1)

    # §一 client: picked from the unit's clients; copied so the form stays as filed.
    client_id = db.Column(db.ForeignKey("clients.id"), nullable=False, index=True)
    a_unit_id = db.Column(db.ForeignKey("organisations.id"), index=True)  # the client's A unit when reported
    client_name = db.Column(db.String(60), nullable=False)
    client_national_id = db.Column(db.String(10), nullable=False)
    client_sex = db.Column(db.String(1), nullable=False)
    client_birth_date = db.Column(db.Date, nullable=False)

    # §二 when; §三 where; §四 severity.
    period = db.Column(db.String(12), nullable=False)
    occurred_at = db.Column(UTCDateTime, nullable=False, index=True)
    learned_at = db.Column(UTCDateTime)
    place = db.Column(db.String(12), nullable=False)
    place_note = db.Column(db.String(200))
    severity = db.Column(db.String(10), nullable=False, index=True)   # current
    initial_severity = db.Column(db.String(10))                      # as in the 初報

    # §五 units/people involved.
    provider_unit_name = db.Column(db.String(120))
    staff_types = db.Column(JSON, nullable=False, default=list)
    staff_other = db.Column(db.String(200))

    # §六 categories (several may be ticked, Q21).
    categories = db.Column(JSON, nullable=False, default=list)
    category_other_service = db.Column(db.String(200))
    category_other_anytime = db.Column(db.String(200))

    # §七 narrative; §八 immediate actions.
    narrative = db.Column(db.Text, nullable=False)
    no_intervention = db.Column(JSON, nullable=False, default=list)
    no_intervention_other = db.Column(db.String(200))
    interventions = db.Column(JSON, nullable=False, default=list)
    intervention_other = db.Column(db.String(200))
    suicide_reported_at = db.Column(UTCDateTime)
    dv_reported_at = db.Column(UTCDateTime)

    unit_caused = db.Column(db.Boolean, nullable=False, default=False)
    improvement_plan = db.Column(db.Text)

    # §九 reporter.
    reporter_name = db.Column(db.String(60), nullable=False)
    reporter_title = db.Column(db.String(60))
    supervisor_name_title = db.Column(db.String(120))

    # 註1: the national platform's change report (異動通報).
    platform_recorded_at = db.Column(UTCDateTime)

    # Deadlines the authority set (§5.2/§5.3: it may shorten them or ask for more tracking).
    closing_due_override = db.Column(db.Date)
    followup_requested_by = db.Column(db.Date)
    followup_requested_at = db.Column(UTCDateTime)
    deadline_note = db.Column(db.Text)

    withdrawn_reason = db.Column(db.Text)
    closed_at = db.Column(UTCDateTime)
    closed_by_id = db.Column(db.ForeignKey("users.id"))

    reporting_org = db.relationship("Organisation", foreign_keys=[reporting_org_id])
    a_unit = db.relationship("Organisation", foreign_keys=[a_unit_id])
    client = db.relationship("Client")
    created_by = db.relationship("User", foreign_keys=[created_by_id])
    closed_by = db.relationship("User", foreign_keys=[closed_by_id])
    reports = db.relationship("IncidentReport", back_populates="incident", order_by="IncidentReport.id",
                              cascade="all, delete-orphan")
    notifications = db.relationship("IncidentNotification", back_populates="incident",
                                    order_by="IncidentNotification.notified_at", cascade="all, delete-orphan")
    handling = db.relationship("IncidentHandling", back_populates="incident", order_by="IncidentHandling.id",
                               cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (db.Index("ix_incidents_status_occurred", "status", "occurred_at"),)

    @classmethod
    def visible_to(cls, user):
        return incident_visibility(user, cls)

    # --- Derived facts -------------------------------------------------------------
    @property
    def ref_no(self):
        """Case number, e.g. 「114-00012」 (ROC year of recording, then the record id)."""
        created = (self.created_at or clock.utcnow()).astimezone(clock.TAIPEI)
        return f"{roc_year(created.date())}-{self.id or 0:05d}"

    @property
    def status_label(self):
        return rules.STATUS_LABELS.get(self.status, self.status)

    @property
    def severity_label(self):
        return SEVERITY_LABELS.get(self.severity, self.severity)

    @property
    def is_open(self):
        return self.status in rules.OPEN_STATUSES

    @property
    def is_draft(self):
        return self.status in rules.DRAFT_STATUSES

    @property
    def needs_form(self):
        return rules.needs_form(self.period, self.categories or [])

    @property
    def clock_start(self):
        return rules.clock_start(self.period, self.occurred_at, self.learned_at)

    @property
    def category_labels(self):
        labels = []
        for code in self.categories or []:
            label = CATEGORY_LABELS.get(code, code)
            note = self.category_other_service if code == "other_service" else (
                self.category_other_anytime if code == "other_anytime" else None)
            labels.append(f"{label}：{note}" if note else label)
        return labels

    @property
    def submitted_reports(self):
        return [r for r in self.reports if r.status == "submitted"]

    @property
    def draft_reports(self):
        return [r for r in self.reports if r.status == "draft"]

    @property
    def initial_report(self):
        return next((r for r in self.reports if r.kind in ("initial", "platform") and r.status == "submitted"), None)

    @property
    def closing_report(self):
        """The latest submitted 結報 (an earlier one may have been sent back for more tracking)."""
        closings = [r for r in self.reports if r.kind == "closing" and r.status == "submitted"]
        return closings[-1] if closings else None

    def facts(self) -> rules.IncidentFacts:
        """Return the plain facts the deadline schedule is computed from."""
        followups, upgrades, seen = [], [], self.initial_severity or self.severity
        for r in self.reports:
            if r.kind != "followup":
                continue
            followups.append(rules.FollowupFact(r.change_known_at, r.submitted_at if r.status == "submitted" else None,
                                                r.seq))
            if r.status == "submitted" and r.severity and rules.severity_raised(seen, r.severity):
                upgrades.append((r.severity, r.change_known_at or r.submitted_at))
                seen = r.severity
        initial = self.initial_report
        closing = self.closing_report
        return rules.IncidentFacts(
            severity=self.initial_severity or self.severity,
            clock_start=self.clock_start,
            categories=tuple(self.categories or ()),
            period=self.period,
            unit_caused=bool(self.unit_caused),
            upgrades=tuple(upgrades),
            notifications=tuple(n.notified_at for n in self.notifications),
            form_submitted_at=initial.submitted_at if initial and initial.kind == "initial" else None,
            suicide_reported_at=self.suicide_reported_at,
            dv_reported_at=self.dv_reported_at,
            platform_recorded_at=self.platform_recorded_at,
            followups=tuple(followups),
            followup_requested_by=self.followup_requested_by,
            followup_requested_at=self.followup_requested_at,
            closing_submitted_at=closing.submitted_at if closing and self.status in ("closing_submitted", "closed")
            else None,
            closing_due_override=self.closing_due_override,
            withdrawn=self.status == "withdrawn",
        )

    def schedule(self, cal=None):
        if self.status in ("withdrawn", "platform_only"):
            return []
        return rules.incident_schedule(self.facts(), cal=cal)

    def __repr__(self):
        return f"<Incident {self.id} {self.status}>"


# Columns of a report that can never change once it is submitted.
REPORT_CONTENT_FIELDS = ("kind", "seq", "change_known_at", "severity", "content", "no_intervention",
                         "no_intervention_other", "interventions", "intervention_other", "suicide_reported_at",
                         "dv_reported_at", "improvement_plan", "reporter_name", "reporter_title",
                         "supervisor_name_title", "snapshot", "submitted_at", "submitted_by_id", "incident_id")


class IncidentReport(db.Model):
    """One entry of the chain: 初報, 續報 (第 n 次) or 結報 — a dated, immutable snapshot once submitted.

    Follow-up and closing reports start as drafts the reporting unit may edit;
    the initial report is written at submission from the incident's form.
    The authority's 受理情形 (§十) is recorded on each entry afterwards.
    """

    __tablename__ = "incident_reports"
    id = db.Column(db.Integer, primary_key=True)
    incident_id = db.Column(db.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = db.Column(db.String(12), nullable=False)      # initial, followup, closing, platform
    seq = db.Column(db.Integer, nullable=False, default=0)  # 續報 number; 0 otherwise
    status = db.Column(db.String(12), nullable=False, default="draft")
    submission_key = db.Column(db.String(40), unique=True)
    version = db.Column(db.Integer, nullable=False, default=1)
    created_by_id = db.Column(db.ForeignKey("users.id"), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)

    change_known_at = db.Column(UTCDateTime)             # 續報: when the major change became known
    severity = db.Column(db.String(10))                  # §四 at this report
    content = db.Column(db.Text)                         # §七 (初報) / follow-up content / closing summary
    no_intervention = db.Column(JSON, nullable=False, default=list)
    no_intervention_other = db.Column(db.String(200))
    interventions = db.Column(JSON, nullable=False, default=list)
    intervention_other = db.Column(db.String(200))
    suicide_reported_at = db.Column(UTCDateTime)
    dv_reported_at = db.Column(UTCDateTime)
    improvement_plan = db.Column(db.Text)
    reporter_name = db.Column(db.String(60))
    reporter_title = db.Column(db.String(60))
    supervisor_name_title = db.Column(db.String(120))
    snapshot = db.Column(JSON)                           # the whole form as submitted (§一–§九)
    submitted_at = db.Column(UTCDateTime)
    submitted_by_id = db.Column(db.ForeignKey("users.id"))

    # §十 受理情形 — filled by the receiving authority.
    receipt_channel = db.Column(db.String(12))
    receipt_channel_other = db.Column(db.String(100))
    receipt_receiver_name = db.Column(db.String(60))
    received_at = db.Column(UTCDateTime)
    receipt_recorded_by_id = db.Column(db.ForeignKey("users.id"))
    receipt_recorded_at = db.Column(UTCDateTime)
    receipt_note = db.Column(db.Text)
    returned_at = db.Column(UTCDateTime)                 # 結報 sent back for more tracking
    returned_note = db.Column(db.Text)

    incident = db.relationship(Incident, back_populates="reports")
    created_by = db.relationship("User", foreign_keys=[created_by_id])
    submitted_by = db.relationship("User", foreign_keys=[submitted_by_id])
    receipt_recorded_by = db.relationship("User", foreign_keys=[receipt_recorded_by_id])
    routes = db.relationship("IncidentRoute", back_populates="report", order_by="IncidentRoute.id",
                             cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @classmethod
    def visible_to(cls, user):
        return exists().where(and_(Incident.id == cls.incident_id, incident_visibility(user, Incident)))

    @property
    def title(self):
        if self.kind == "followup":
            return f"續報（第{self.seq}次）"
        return REPORT_KIND_LABELS.get(self.kind, self.kind)

    @property
    def is_submitted(self):
        return self.status == "submitted"

    @property
    def receipt_channel_label(self):
        label = CHANNEL_LABELS.get(self.receipt_channel or "", "")
        if self.receipt_channel == "other" and self.receipt_channel_other:
            return f"{label}：{self.receipt_channel_other}"
        return label


class ImmutableReportError(RuntimeError):
    """A submitted report was about to change."""


@event.listens_for(IncidentReport, "before_update")
def _refuse_changing_submitted(mapper, connection, target):
    state = db.inspect(target)
    was_submitted = state.attrs.status.history.deleted or [target.status]
    if "submitted" not in was_submitted:
        return  # a draft (or the submission itself)
    for name in REPORT_CONTENT_FIELDS:
        if attributes.get_history(target, name).has_changes():
            raise ImmutableReportError(f"submitted incident reports never change ({name})")


@event.listens_for(IncidentReport, "before_delete")
def _refuse_deleting_submitted(mapper, connection, target):
    if target.status == "submitted":
        raise ImmutableReportError("submitted incident reports are never deleted")


class IncidentNotification(db.Model):
    """The unit supervisor's advance notification of the responsible unit (§5.1; 註2: phone, e-mail, app)."""

    __tablename__ = "incident_notifications"
    id = db.Column(db.Integer, primary_key=True)
    incident_id = db.Column(db.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False, index=True)
    notified_at = db.Column(UTCDateTime, nullable=False)
    channel = db.Column(db.String(12), nullable=False)
    channel_other = db.Column(db.String(100))
    contacted = db.Column(db.String(200), nullable=False)   # who was reached: unit and person
    notifier_name = db.Column(db.String(60), nullable=False)
    note = db.Column(db.Text)
    recorded_by_id = db.Column(db.ForeignKey("users.id"), nullable=False)
    recorded_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)

    incident = db.relationship(Incident, back_populates="notifications")
    recorded_by = db.relationship("User")

    @property
    def channel_label(self):
        label = CHANNEL_LABELS.get(self.channel, self.channel)
        return f"{label}：{self.channel_other}" if self.channel == "other" and self.channel_other else label


class IncidentRoute(db.Model):
    """Where a submitted report was sent (incidents.md §6) and who confirmed receiving it."""

    __tablename__ = "incident_routes"
    id = db.Column(db.Integer, primary_key=True)
    report_id = db.Column(db.ForeignKey("incident_reports.id", ondelete="CASCADE"), nullable=False, index=True)
    target = db.Column(db.String(12), nullable=False)          # a_unit, care_centre, bureau
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    sent_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    acknowledged_at = db.Column(UTCDateTime)
    acknowledged_by_id = db.Column(db.ForeignKey("users.id"))

    report = db.relationship(IncidentReport, back_populates="routes")
    organisation = db.relationship("Organisation")
    acknowledged_by = db.relationship("User")

    __table_args__ = (db.UniqueConstraint("report_id", "target", name="uq_incident_routes_report_target"),)

    @property
    def target_label(self):
        return ROUTE_TARGET_LABELS.get(self.target, self.target)


class IncidentHandling(db.Model):
    """An entry of 通報單 §十一 「案件處理情形」: one row per title, filled by that role."""

    __tablename__ = "incident_handling"
    id = db.Column(db.Integer, primary_key=True)
    incident_id = db.Column(db.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False, index=True)
    row = db.Column(db.String(20), nullable=False)              # a key of HANDLING_ROWS
    text = db.Column(db.Text, nullable=False)
    user_id = db.Column(db.ForeignKey("users.id"), nullable=False)
    user_name = db.Column(db.String(60), nullable=False)
    at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)

    incident = db.relationship(Incident, back_populates="handling")

    @property
    def row_label(self):
        return dict(HANDLING_ROWS).get(self.row, self.row)


class DisputeMediation(db.Model):
    """A dispute-mediation request (爭議調處, incidents.md §3(四)): the county tells the parties
    the mediation date and place within 20 days from the day after receipt (Q21)."""

    __tablename__ = "dispute_mediations"
    id = db.Column(db.Integer, primary_key=True)
    status = db.Column(db.String(12), nullable=False, default="received", index=True)
    incident_id = db.Column(db.ForeignKey("incidents.id"), index=True)
    client_id = db.Column(db.ForeignKey("clients.id"), index=True)
    respondent_org_id = db.Column(db.ForeignKey("organisations.id"), index=True)
    applicant_name = db.Column(db.String(60), nullable=False)
    applicant_relation = db.Column(db.String(40))
    applicant_contact = db.Column(db.String(120))
    subject = db.Column(db.String(200), nullable=False)
    claim = db.Column(db.Text, nullable=False)
    received_on = db.Column(db.Date, nullable=False)
    notice_due_on = db.Column(db.Date, nullable=False, index=True)
    hearing_at = db.Column(UTCDateTime)
    hearing_place = db.Column(db.String(200))
    parties_notified_on = db.Column(db.Date)
    outcome_note = db.Column(db.Text)
    concluded_on = db.Column(db.Date)
    created_by_id = db.Column(db.ForeignKey("users.id"), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    submission_key = db.Column(db.String(40), unique=True)
    version = db.Column(db.Integer, nullable=False, default=1)

    incident = db.relationship(Incident, backref=db.backref("disputes", order_by="DisputeMediation.id"))
    client = db.relationship("Client")
    respondent_org = db.relationship("Organisation")
    created_by = db.relationship("User")

    __mapper_args__ = {"version_id_col": version}

    @classmethod
    def visible_to(cls, user):
        """Mediation files are the bureau's; units see the schedule through the incident page."""
        return true() if user.sees_all else false()

    @property
    def ref_no(self):
        return f"調{roc_year(self.received_on)}-{self.id or 0:04d}"

    @property
    def status_label(self):
        return rules.DISPUTE_STATUS_LABELS.get(self.status, self.status)

    @property
    def is_open(self):
        return self.status in ("received", "scheduled")
