"""Retention (decisions Q28): after the keeping period, a client's personal data is anonymised; the
statistics (sex, birth year, welfare status, disability, CMS level, area, service records) stay.

Nothing is ever deleted or anonymised before 7 years: `rules.purge_after` counts from the end of the
calendar year of the latest date on any of the client's records (found generically, see
personal_data.py), and only cases no organisation still holds are considered. Run by an
administrator: `flask purge-expired --dry-run`, then `flask purge-expired`.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import update

from portal import clock
from portal.auditlog.operations import log_change
from portal.clients.models import Client, ClientAccess
from portal.clients.personal_data import collect, has_active_access, latest_activity
from portal.clients.rules import MIN_RETENTION_YEARS, is_expired, mask_national_id, purge_after
from portal.extensions import db
from portal.settings.registry import define_setting, get_setting

RETENTION_YEARS = define_setting(
    "clients.retention_years", MIN_RETENTION_YEARS, kind="int", label="個案資料保存年限（年）",
    spec="decisions Q28", help="自個案最後一筆紀錄所在年度結束起算；低於 7 年時仍以 7 年計。")
ANONYMOUS_NAME = "（已匿名）"
REDACTED = {"redacted": "保存期限屆滿，個人資料已匿名化"}

_hooks = []


def on_anonymise(fn):
    """Register `fn(client_id, collected)`: an area's extra clean-up (files on disk…) when a client is anonymised."""
    _hooks.append(fn)
    return fn


@dataclass
class Expired:
    client_id: int
    masked_id: str
    last_activity: date
    kept_until: date
    rows: dict = field(default_factory=dict)  # table -> number of rows about the client


def retention_years() -> int:
    return max(int(get_setting(RETENTION_YEARS.key)), MIN_RETENTION_YEARS)


def find_expired(today: date) -> list[Expired]:
    """Clients whose keeping period ended before `today` and who are not anonymised yet."""
    years = retention_years()
    # Cheap first cut: a client with a record date in or after this year cannot be expired.
    first_kept_year = datetime.combine(date(today.year - years, 1, 1), time(), tzinfo=clock.TAIPEI)
    active = db.select(ClientAccess.id).where(ClientAccess.client_id == Client.id, ClientAccess.ended_at.is_(None))
    candidates = db.session.execute(
        db.select(Client.id).where(Client.anonymised_at.is_(None), Client.created_at < first_kept_year,
                                   Client.updated_at < first_kept_year, ~active.exists())
        .order_by(Client.id)).scalars().all()
    expired = []
    for client_id in candidates:
        collected = collect(client_id)
        if has_active_access(collected):
            continue
        last = latest_activity(collected)
        if is_expired(last, today, years):
            national_id = collected[0].rows[0]["national_id"]
            expired.append(Expired(client_id, mask_national_id(national_id), last, purge_after(last, years),
                                   {tr.name: len(tr.rows) for tr in collected}))
    return expired


def _blank_values(columns) -> dict:
    """None for nullable columns, the placeholder for required text; other required columns are kept."""
    values = {}
    for column in columns:
        if column.nullable:
            values[column.name] = None
            continue
        try:
            is_text = column.type.python_type is str
        except NotImplementedError:
            is_text = False
        if is_text:
            values[column.name] = ANONYMOUS_NAME
    return values


def anonymise(actor, item: Expired, today: date) -> None:
    """Anonymise one expired client (checked again here, so a stale list cannot purge early)."""
    client = db.session.get(Client, item.client_id)
    collected = collect(item.client_id)
    last = latest_activity(collected)
    if client is None or client.anonymised_at is not None or has_active_access(collected) or \
            not is_expired(last, today, retention_years()):
        return
    # The client: identity and contact details go; what statistics need stays (birth year kept).
    client.name = ANONYMOUS_NAME
    client.national_id = f"X{client.id:09d}"[:10]   # unique, and no real ID has 0 as its second character
    client.birth_date = date(client.birth_date.year, 7, 1)
    if client.dementia_diagnosed_on:
        client.dementia_diagnosed_on = date(client.dementia_diagnosed_on.year, 7, 1)
    client.phone = client.address = client.notes = client.submission_key = None
    client.anonymised_at = clock.utcnow()
    client.contacts = []  # family members' names and phone numbers
    # Area tables: columns marked info={"personal": True} are blanked.
    blanked = {}
    for tr in collected:
        personal = [c for c in tr.table.columns if c.info.get("personal")]
        pk = list(tr.table.primary_key.columns)
        if not personal or len(pk) != 1:
            continue
        values = _blank_values(personal)
        if values:
            ids = [row[pk[0].name] for row in tr.rows]
            db.session.execute(update(tr.table).where(pk[0].in_(ids)).values(values))
            blanked[tr.name] = sorted(values)
    # The audit log keeps who did what and when; its copies of the data are blanked.
    from portal.auditlog.models import AuditLogEntry
    log_table = AuditLogEntry.__table__
    for tr in collected:
        pk = list(tr.table.primary_key.columns)
        if len(pk) == 1:
            db.session.execute(update(log_table).where(log_table.c.entity_type == tr.name,
                                                       log_table.c.entity_id.in_([r[pk[0].name] for r in tr.rows]))
                               .values(before=None, after=REDACTED))
    for hook in _hooks:
        hook(client.id, collected)
    db.session.flush()
    log_change(actor, client, "client.anonymised",
               after={"last_activity": last, "kept_until": purge_after(last, retention_years()),
                      "rows": item.rows, "blanked": blanked})
