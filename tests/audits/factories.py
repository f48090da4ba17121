"""Builders for audit test data."""
from datetime import date

from portal.audits import operations as ops
from portal.audits.defaults import create_default_templates
from portal.audits.models import AuditTemplate
from portal.extensions import db


def ensure_templates(actor=None, effective_from=date(2024, 1, 1)):
    if db.session.execute(db.select(AuditTemplate.id).limit(1)).first() is None:
        create_default_templates(actor, effective_from=effective_from)


def make_audit(org, lead, *, on=date(2025, 3, 10), others=(), audit_type="regular", round_=None):
    ensure_templates()
    return ops.schedule_audit(None, org, scheduled_on=on, lead=lead, others=list(others), round_=round_,
                              audit_type=audit_type)


def score(audit, user, *, fails=(), na=()):
    """Answer every item: 合格 except the numbers in `fails` (and `na` 不適用)."""
    for item in audit.template_version.items:
        outcome = "na" if item.number in na else ("fail" if item.number in fails else "pass")
        ops.answer_item(user, audit, item, outcome=outcome, note="缺失" if outcome == "fail" else None)


def finished_audit(org, lead, *, on, passed=True, audit_type="regular"):
    """A finalised audit: 13 of 13 when passed, 7 of 13 when not."""
    audit = make_audit(org, lead, on=on, audit_type=audit_type)
    score(audit, lead, fails=() if passed else (1, 2, 3, 4, 5, 6))
    ops.finalise(lead, audit)
    return audit
