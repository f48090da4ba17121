"""One-time form keys: a form carries a fresh key, and the record it created is found again by it, so a double
submit (a double click, a resent POST after a dropped connection) returns that record instead of a second one."""
from portal.extensions import db


def by_submission_key(model, key: str | None):
    """The `model` row a form with this key already created, if any (None for no key)."""
    if not key:
        return None
    return db.session.execute(db.select(model).filter_by(submission_key=key)).scalar_one_or_none()
