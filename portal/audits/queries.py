"""Read-side helpers: each unit's audit history and standing, for pages, the dashboard and other areas."""
from dataclasses import dataclass, field
from datetime import date

from portal.audits import rules
from portal.audits.models import Audit
from portal.extensions import db


def finalised_audits(org_ids) -> dict:
    """org_id -> the unit's finalised audits in the order they count (date, then finalisation)."""
    result = {org_id: [] for org_id in org_ids}
    if not org_ids:
        return result
    rows = db.session.execute(db.select(Audit).where(Audit.organisation_id.in_(list(org_ids)),
                                                     Audit.status == "finalised")
                              .order_by(Audit.scheduled_on, Audit.finalised_at, Audit.id)).scalars()
    for audit in rows:
        result.setdefault(audit.organisation_id, []).append(audit)
    return result


def upcoming_audits(org_ids) -> dict:
    """org_id -> the unit's scheduled or in-progress audits, soonest first."""
    result = {org_id: [] for org_id in org_ids}
    if not org_ids:
        return result
    rows = db.session.execute(db.select(Audit).where(Audit.organisation_id.in_(list(org_ids)),
                                                     Audit.status.in_(("scheduled", "in_progress")))
                              .order_by(Audit.scheduled_on, Audit.id)).scalars()
    for audit in rows:
        result.setdefault(audit.organisation_id, []).append(audit)
    return result


@dataclass
class UnitStanding:
    audits: list = field(default_factory=list)

    @property
    def results(self):
        return [a.passed for a in self.audits]

    @property
    def standing(self):
        return rules.audit_standing(self.results)

    @property
    def standing_label(self):
        return rules.STANDING_LABELS[self.standing]

    @property
    def consecutive_fails(self):
        return rules.consecutive_fails(self.results)

    @property
    def at_risk(self):
        return rules.at_risk(self.results)

    @property
    def last(self) -> Audit | None:
        return self.audits[-1] if self.audits else None

    @property
    def last_failed(self) -> Audit | None:
        return next((a for a in reversed(self.audits) if a.passed is False), None)


def unit_standings(org_ids) -> dict:
    return {org_id: UnitStanding(audits) for org_id, audits in finalised_audits(org_ids).items()}


def next_audit_date(org_id, after: date) -> date | None:
    """The unit's next scheduled audit on or after `after`: failed items are due before it (R-AUD-04)."""
    return db.session.execute(db.select(Audit.scheduled_on).where(
        Audit.organisation_id == org_id, Audit.status.in_(("scheduled", "in_progress")),
        Audit.scheduled_on >= after).order_by(Audit.scheduled_on).limit(1)).scalar_one_or_none()
