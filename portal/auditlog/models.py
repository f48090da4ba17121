"""Append-only audit log: who, organisation, when, entity, action, before/after."""
from sqlalchemy import JSON, event

from portal import clock
from portal.dbtypes import UTCDateTime
from portal.extensions import db


class AuditLogEntry(db.Model):
    __tablename__ = "audit_log"
    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow, index=True)
    actor_id = db.Column(db.ForeignKey("users.id"), index=True)
    actor_name = db.Column(db.String(60))  # snapshot: the log outlives renames
    actor_role = db.Column(db.String(30))
    organisation_id = db.Column(db.ForeignKey("organisations.id"), index=True)
    entity_type = db.Column(db.String(60), nullable=False, index=True)
    entity_id = db.Column(db.Integer, index=True)
    action = db.Column(db.String(60), nullable=False, index=True)
    before = db.Column(JSON)
    after = db.Column(JSON)
    note = db.Column(db.Text)
    ip = db.Column(db.String(64))

    actor = db.relationship("User")
    organisation = db.relationship("Organisation")


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(AuditLogEntry, "before_update")
def _refuse_update(mapper, connection, target):
    raise AppendOnlyError("audit log rows are never changed")


@event.listens_for(AuditLogEntry, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise AppendOnlyError("audit log rows are never deleted")
