"""The one function every state change calls."""
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from flask import has_request_context, request

from portal.auditlog.models import AuditLogEntry
from portal.extensions import db


def jsonable(value):
    """Return `value` in a form the JSON column can store."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def snapshot(obj, fields) -> dict:
    """Return the named attributes of `obj` as a JSON-safe dict (for before/after)."""
    return {f: jsonable(getattr(obj, f)) for f in fields}


def log_change(actor, entity, action: str, *, before=None, after=None, note=None,
               entity_type: str | None = None, entity_id: int | None = None) -> AuditLogEntry:
    """Append an audit-log row for `action` on `entity` by `actor` (None = the system).

    `entity` is a model instance (flushed first so it has an id) or None with
    `entity_type`/`entity_id` given.
    """
    if entity is not None:
        if getattr(entity, "id", None) is None:
            db.session.add(entity)
            db.session.flush()
        entity_type = entity_type or entity.__tablename__
        entity_id = entity_id if entity_id is not None else entity.id
    row = AuditLogEntry(
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "full_name", None) or "系統",
        actor_role=getattr(actor, "role", None),
        organisation_id=getattr(actor, "organisation_id", None),
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        note=note,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(row)
    return row
