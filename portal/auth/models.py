"""People who log in. Real-name use (實名制): one account per person, never shared."""
from flask_login import UserMixin
from sqlalchemy import false, true
from werkzeug.security import check_password_hash, generate_password_hash

from portal import clock
from portal.auth import roles
from portal.dbtypes import UTCDateTime
from portal.extensions import db


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(60), nullable=False, unique=True)
    full_name = db.Column(db.String(60), nullable=False)   # 真實姓名 (實名制)
    job_title = db.Column(db.String(60))
    email = db.Column(db.String(120), unique=True)
    phone = db.Column(db.String(40))
    role = db.Column(db.String(30), nullable=False, index=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    password_hash = db.Column(db.String(256), nullable=False)
    active = db.Column(db.Boolean, nullable=False, default=True, server_default=true())
    # Set when an administrator sets the password (new account, reset): the person must choose their own
    # before using the portal (issue 11 §2). Cleared by changing the password.
    must_change_password = db.Column(db.Boolean, nullable=False, default=False, server_default=false())
    failed_logins = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    locked_until = db.Column(UTCDateTime)
    last_login_at = db.Column(UTCDateTime)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)

    organisation = db.relationship("Organisation")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self):  # Flask-Login refuses inactive users
        return bool(self.active)

    @property
    def role_label(self):
        return roles.ROLE_LABELS.get(self.role, self.role)

    @property
    def sees_all(self) -> bool:
        """True for bureau and care-centre roles, which see every organisation's records."""
        return self.role in roles.COUNTY_WIDE_ROLES

    def has_role(self, *wanted) -> bool:
        return self.role in wanted

    @property
    def org_kind(self):
        return self.organisation.kind if self.organisation else None

    def is_locked(self, now=None) -> bool:
        now = now or clock.now()
        return self.locked_until is not None and self.locked_until > now

    def __repr__(self):
        return f"<User {self.username} {self.role}>"
