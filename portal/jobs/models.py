"""Background jobs, recorded in the database so a restart loses nothing (issue 12)."""
from sqlalchemy import JSON

from portal import clock
from portal.dbtypes import UTCDateTime
from portal.extensions import db

JOB_STATES = {"queued": "排隊中", "running": "處理中", "done": "完成", "failed": "失敗"}


class Job(db.Model):
    __tablename__ = "jobs"
    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(60), nullable=False, index=True)
    title = db.Column(db.String(200), nullable=False)
    params = db.Column(JSON, nullable=False, default=dict)
    requested_by_id = db.Column(db.ForeignKey("users.id"), nullable=False, index=True)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    state = db.Column(db.String(10), nullable=False, default="queued", index=True)
    progress = db.Column(db.Integer, nullable=False, default=0)      # 0–100
    progress_note = db.Column(db.String(200))
    attempts = db.Column(db.Integer, nullable=False, default=0)
    result_path = db.Column(db.String(300))   # relative to the job storage folder
    result_name = db.Column(db.String(200))   # download file name
    result_mime = db.Column(db.String(100))
    result_size = db.Column(db.Integer)
    error = db.Column(db.Text)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow, index=True)
    started_at = db.Column(UTCDateTime)
    heartbeat_at = db.Column(UTCDateTime)
    finished_at = db.Column(UTCDateTime)

    requested_by = db.relationship("User")

    @property
    def state_label(self):
        return JOB_STATES.get(self.state, self.state)

    @property
    def active(self):
        return self.state in ("queued", "running")

    @classmethod
    def visible_to(cls, user):
        """A person sees the jobs they asked for; administrators see all."""
        if user.role == "admin":
            return db.true()
        return cls.requested_by_id == user.id
