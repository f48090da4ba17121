"""Create and change clients; grant and end organisation access. Each change is logged."""
from sqlalchemy.exc import IntegrityError

from portal import clock
from portal.auditlog.operations import log_change, snapshot
from portal.clients.models import Client, ClientAccess, ClientContact
from portal.clients.rules import normalise_national_id
from portal.errors import Refused, StaleEdit
from portal.extensions import db
from portal.submissions import by_submission_key

CLIENT_FIELDS = (
    "name", "national_id", "birth_date", "sex", "indigenous", "disability_certificate",
    "disability_category", "disability_degree", "dementia_diagnosed", "dementia_diagnosed_on",
    "welfare_status", "cms_level", "phone", "address", "service_area_id", "notes",
)


def find_by_national_id(national_id: str) -> Client | None:
    return db.session.execute(
        db.select(Client).filter_by(national_id=normalise_national_id(national_id))
    ).scalar_one_or_none()


def _pending(data: dict) -> dict:
    """The field values `_apply` would store for `data`."""
    values = {f: data[f] for f in CLIENT_FIELDS if f in data}
    if "national_id" in values:
        values["national_id"] = normalise_national_id(values["national_id"])
    if not values.get("dementia_diagnosed"):
        values["dementia_diagnosed_on"] = None
    if not values.get("disability_certificate"):
        values["disability_category"] = values["disability_degree"] = None
    return values


def _contact_rows(contacts) -> list[tuple]:
    return [(c.get("name"), c.get("relation") or None, c.get("phone") or None, bool(c.get("is_primary_caregiver")))
            for c in contacts if c.get("name")]


def is_unchanged(client: Client, data: dict, contacts: list[dict]) -> bool:
    """True when saving `data` would store exactly what the client already has (a repeated submit)."""
    current = [(c.name, c.relation or None, c.phone or None, bool(c.is_primary_caregiver)) for c in client.contacts]
    values = _pending(data)
    return all(getattr(client, f) == v for f, v in values.items()) and current == _contact_rows(contacts)


def _apply(client: Client, data: dict, contacts: list[dict]):
    for field in CLIENT_FIELDS:
        if field in data:
            setattr(client, field, data[field])
    client.national_id = normalise_national_id(client.national_id)
    if not client.dementia_diagnosed:
        client.dementia_diagnosed_on = None
    if not client.disability_certificate:
        client.disability_category = client.disability_degree = None
    client.contacts = [ClientContact(position=i, **c) for i, c in enumerate(contacts) if c.get("name")]


def _contacts_snapshot(client):
    return [{"name": c.name, "relation": c.relation, "phone": c.phone} for c in client.contacts]


def create_client(actor, data: dict, contacts: list[dict], *, submission_key: str | None = None) -> Client:
    """Register a client; the registering organisation gets access. Refuse a duplicate ID.

    `submission_key` is the form's one-time key: a repeated submit of the same form (a double click,
    a retry after a dropped connection) returns the client the first one created, even when the two
    requests run at the same time (the unique key and national ID decide; the loser finds the winner).
    """
    repeated = by_submission_key(Client, submission_key)
    if repeated is not None:
        return repeated
    existing = find_by_national_id(data["national_id"])
    if existing is not None:
        if submission_key and existing.submission_key == submission_key:
            return existing   # the same form, committed by a parallel request since the look-up above
        raise Refused("此身分證字號已建檔", field="national_id")
    client = Client(submission_key=submission_key or None)
    _apply(client, data, contacts)
    try:
        with db.session.begin_nested():
            db.session.add(client)
            db.session.flush()
    except IntegrityError:
        # A parallel request stored the same form (or the same national ID) first.
        repeated = by_submission_key(Client, submission_key)
        if repeated is not None:
            return repeated
        raise Refused("此身分證字號已建檔", field="national_id")
    if not actor.sees_all:
        grant_access(actor, client, actor.organisation_id, "registered", log=False)
    log_change(actor, client, "client.create",
               after={**snapshot(client, CLIENT_FIELDS), "contacts": _contacts_snapshot(client)})
    return client


def update_client(actor, client: Client, data: dict, contacts: list[dict], *, seen_version: int) -> Client:
    """Save changes; refuse when someone saved the client after `seen_version` was read."""
    if seen_version != client.version:
        raise StaleEdit()
    other = find_by_national_id(data.get("national_id", client.national_id))
    if other is not None and other.id != client.id:
        raise Refused("此身分證字號已建檔", field="national_id")
    before = {**snapshot(client, CLIENT_FIELDS), "contacts": _contacts_snapshot(client)}
    _apply(client, data, contacts)
    # Always write the row, so the version moves even when only the contacts changed (a second
    # editor holding the old version must then get a conflict, not overwrite the contacts).
    client.updated_at = clock.utcnow()
    db.session.flush()
    log_change(actor, client, "client.update", before=before,
               after={**snapshot(client, CLIENT_FIELDS), "contacts": _contacts_snapshot(client)})
    return client


def grant_access(actor, client: Client, organisation_id: int, relation: str, *, read_only=False, log=True):
    """Let an organisation see a client (A unit takes the case, B unit is dispatched…)."""
    existing = db.session.execute(db.select(ClientAccess).filter_by(
        client_id=client.id, organisation_id=organisation_id, relation=relation, ended_at=None)).scalar_one_or_none()
    if existing:
        return existing
    link = ClientAccess(client_id=client.id, organisation_id=organisation_id, relation=relation, read_only=read_only)
    db.session.add(link)
    if log:
        log_change(actor, client, "client.access_granted",
                   after={"organisation_id": organisation_id, "relation": relation, "read_only": read_only})
    return link


def end_access(actor, client: Client, organisation_id: int, relation: str):
    """End an organisation's access to a client (case moved, provider changed)."""
    links = db.session.execute(db.select(ClientAccess).filter_by(
        client_id=client.id, organisation_id=organisation_id, relation=relation, ended_at=None)).scalars().all()
    for link in links:
        link.ended_at = clock.utcnow()
        log_change(actor, client, "client.access_ended",
                   before={"organisation_id": organisation_id, "relation": relation})
    return links
