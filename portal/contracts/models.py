"""Contracts (特約) of A and B units, their actions with legal basis, and violation points."""
from sqlalchemy import false, true

from portal import clock
from portal.auth import roles
from portal.contracts import rules
from portal.dbtypes import UTCDateTime
from portal.extensions import db

# Contract type follows the unit: A units hold the case-management contract (R-A-02);
# B units a service contract of their kind (README §5).
CONTRACT_TYPE_LABELS = {
    "a_unit": "社區整合型服務中心（A單位）特約",
    "family_care": "家庭托顧服務特約",
    "home_care": "居家式長照服務特約",
    "day_care": "日間照顧服務特約",
    "professional": "專業服務特約",
    "transport": "交通接送服務特約",
    "other": "長照服務特約",
}


def contract_type_for(org) -> str | None:
    if org.kind == roles.A_UNIT:
        return "a_unit"
    if org.kind == roles.B_UNIT:
        return org.subtype if org.subtype in CONTRACT_TYPE_LABELS else "other"
    return None


def _unit_scope(cls, user):
    if user.sees_all:
        return true()
    if user.role in roles.A_ROLES | roles.B_ROLES:
        return cls.organisation_id == user.organisation_id
    return false()


class Contract(db.Model):
    """One contract period of a unit (a renewal is a new row)."""

    __tablename__ = "contracts"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    contract_type = db.Column(db.String(20), nullable=False)
    number = db.Column(db.String(40))                 # 契約編號
    starts_on = db.Column(db.Date, nullable=False)
    ends_on = db.Column(db.Date, nullable=False)
    status = db.Column(db.String(20), nullable=False, default=rules.ACTIVE)
    status_since = db.Column(db.Date)
    paused_until = db.Column(db.Date)                 # last day of a fixed-period 暫停派案
    notes = db.Column(db.Text)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    created_by_id = db.Column(db.ForeignKey("users.id"))
    version = db.Column(db.Integer, nullable=False, default=1)

    organisation = db.relationship("Organisation")
    actions = db.relationship("ContractAction", back_populates="contract", order_by="ContractAction.id",
                              cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def type_label(self):
        return CONTRACT_TYPE_LABELS.get(self.contract_type, self.contract_type)

    def current_status(self, today):
        return rules.effective_status(self.status, self.paused_until, today)

    def display_status(self, today):
        return rules.display_status(self.status, self.paused_until, self.starts_on, self.ends_on, today)

    def status_label(self, today):
        return rules.DISPLAY_LABELS.get(self.display_status(today), self.status)

    def block_reasons(self, today):
        return rules.referral_block_reasons(status=self.status, paused_until=self.paused_until,
                                            starts_on=self.starts_on, ends_on=self.ends_on, today=today,
                                            status_since=self.status_since)

    def covers(self, day):
        return self.starts_on <= day <= self.ends_on

    @classmethod
    def visible_to(cls, user):
        return _unit_scope(cls, user)

    def __repr__(self):
        return f"<Contract {self.id} org={self.organisation_id} {self.status}>"


class ContractAction(db.Model):
    """A decision on a contract (暫停派案, 暫停特約, 終止…) with its legal basis, kept forever."""

    __tablename__ = "contract_actions"
    id = db.Column(db.Integer, primary_key=True)
    contract_id = db.Column(db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False, index=True)
    action = db.Column(db.String(20), nullable=False)
    from_status = db.Column(db.String(20))
    to_status = db.Column(db.String(20), nullable=False)
    effective_on = db.Column(db.Date, nullable=False)
    ends_on = db.Column(db.Date)                      # last day of a fixed-period dispatch pause
    basis_code = db.Column(db.String(20), nullable=False)
    basis_title = db.Column(db.String(120), nullable=False)
    basis_text = db.Column(db.Text)                   # copy of the article text at decision time
    reason = db.Column(db.Text, nullable=False)
    letter_ref = db.Column(db.String(60))             # 發文字號
    source_type = db.Column(db.String(20))            # audit / violation_point / system
    source_id = db.Column(db.Integer)
    decided_by_id = db.Column(db.ForeignKey("users.id"))
    decided_by_name = db.Column(db.String(60), nullable=False)
    decided_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    submission_key = db.Column(db.String(64), unique=True)

    contract = db.relationship(Contract, back_populates="actions")
    decided_by = db.relationship("User")

    @property
    def label(self):
        spec = rules.ACTIONS.get(self.action)
        return spec.label if spec else {"create": "簽訂特約"}.get(self.action, self.action)


class ViolationPoint(db.Model):
    """One 違約記點 (seed 003 §十七): date, clause, description, who decided."""

    __tablename__ = "violation_points"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    contract_id = db.Column(db.ForeignKey("contracts.id"), index=True)
    occurred_on = db.Column(db.Date, nullable=False)   # 記點日期 (decides the calendar year, Q20)
    year = db.Column(db.Integer, nullable=False, index=True)
    clause = db.Column(db.Text, nullable=False)        # 事由 (copy of the clause chosen)
    basis_code = db.Column(db.String(20), nullable=False)
    basis_title = db.Column(db.String(120), nullable=False)
    basis_text = db.Column(db.Text)
    description = db.Column(db.Text, nullable=False)
    letter_ref = db.Column(db.String(60))
    recorded_by_id = db.Column(db.ForeignKey("users.id"))
    recorded_by_name = db.Column(db.String(60), nullable=False)
    recorded_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    revoked_at = db.Column(UTCDateTime)
    revoked_by_name = db.Column(db.String(60))
    revoke_reason = db.Column(db.Text)
    submission_key = db.Column(db.String(64), unique=True)

    organisation = db.relationship("Organisation")
    contract = db.relationship(Contract)

    @property
    def active(self):
        return self.revoked_at is None

    @classmethod
    def visible_to(cls, user):
        return _unit_scope(cls, user)


class ContractIneligibility(db.Model):
    """A year in which the unit may not hold a contract (取消次年度特約資格 / 不予特約)."""

    __tablename__ = "contract_ineligibilities"
    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    year = db.Column(db.Integer, nullable=False)
    reason = db.Column(db.Text, nullable=False)
    source_type = db.Column(db.String(20))
    source_id = db.Column(db.Integer)
    created_by_name = db.Column(db.String(60), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)

    __table_args__ = (db.UniqueConstraint("organisation_id", "year"),)

    @classmethod
    def visible_to(cls, user):
        return _unit_scope(cls, user)
