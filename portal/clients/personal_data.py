"""A client's personal data wherever it lives (個人資料保護法): found through the foreign keys.

Every table with a foreign key to `clients.id` holds data about the client, and so does every table
whose foreign key points at one of those rows (an incident's reports, an admission's service days).
`collect(client_id)` walks that closure through the SQLAlchemy metadata, so each area's tables join
the access-request export and the retention purge without registering anything.

Areas may mark columns to be blanked by the retention purge with `info={"personal": True}` (free
text, names, phone numbers), label columns for the export with `info={"label": "…"}` and coded
values with `info={"choices": {"code": "標籤"}}`, and register
an `@on_anonymise` hook to remove files. Table titles come from the audit log's entity labels.
"""
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Date, DateTime, and_, or_, select

from portal import clock
from portal.extensions import db

# Links from a found row to further rows are followed this many steps from the client.
MAX_DEPTH = 4
# Columns that mean nothing to the person and are left out of the export.
HIDDEN_COLUMNS = {"stored_name", "thumb_name", "sha256", "submission_key", "version", "password_hash"}
# Names shown for rows of these tables when another row points at them.
_DISPLAY_COLUMNS = ("full_name", "name", "title")

CLIENT_COLUMN_LABELS = {
    "id": "編號", "name": "姓名", "national_id": "身分證字號", "birth_date": "出生日期", "sex": "性別",
    "indigenous": "原住民身分", "disability_certificate": "身心障礙證明", "disability_category": "障別",
    "disability_degree": "障礙等級", "dementia_diagnosed": "失智症診斷", "dementia_diagnosed_on": "失智症診斷日期",
    "welfare_status": "福利身分別", "cms_level": "失能等級", "phone": "電話", "address": "住址",
    "service_area_id": "服務區域", "notes": "備註", "created_at": "建檔時間", "updated_at": "最後更新",
    "anonymised_at": "匿名化時間", "client_id": "個案", "position": "順序", "relation": "關係",
    "is_primary_caregiver": "主要照顧者", "organisation_id": "單位", "read_only": "唯讀",
    "started_at": "開始", "ended_at": "結束",
}


@dataclass
class TableRows:
    table: object                     # sqlalchemy Table
    rows: list = field(default_factory=list)   # list of RowMapping

    @property
    def name(self):
        return self.table.name


def _single_pk(table):
    pk = list(table.primary_key.columns)
    return pk[0] if len(pk) == 1 else None


def client_tables():
    """The tables that hold data about a client, in dependency order (for documentation and tests)."""
    found, changed = {"clients"}, True
    while changed:
        changed = False
        for table in db.metadata.sorted_tables:
            if table.name in found:
                continue
            if any(fk.column.table.name in found for fk in table.foreign_keys):
                found.add(table.name)
                changed = True
    return [t for t in db.metadata.sorted_tables if t.name in found]


def _row_key(row) -> str:
    # JSON columns hold lists and dicts, which are not hashable: compare rows by their printed form.
    return repr(tuple(row.values()))


def collect(client_id: int) -> list[TableRows]:
    """Every row about the client: the client row first, then rows that point at found rows."""
    clients = db.metadata.tables["clients"]
    first = db.session.execute(select(clients).where(clients.c.id == client_id)).mappings().all()
    if not first:
        return []
    found_ids = {"clients": {client_id}}
    result = {"clients": TableRows(clients, list(first))}
    for _ in range(MAX_DEPTH):
        grew = False
        for table in db.metadata.sorted_tables:
            if table.name == "clients":
                continue
            conditions = [fk.parent.in_(sorted(found_ids[fk.column.table.name]))
                          for fk in table.foreign_keys
                          if fk.column.table.name in found_ids and fk.column.primary_key]
            if not conditions:
                continue
            rows = db.session.execute(select(table).where(or_(*conditions))).mappings().all()
            pk = _single_pk(table)
            known = result.setdefault(table.name, TableRows(table))
            seen = {_row_key(r) for r in known.rows}
            for row in rows:
                if _row_key(row) not in seen:
                    known.rows.append(row)
                    seen.add(_row_key(row))
                    grew = True
                    if pk is not None:
                        found_ids.setdefault(table.name, set()).add(row[pk.name])
        if not grew:
            break
    return [tr for tr in result.values() if tr.rows]


def is_date_column(column) -> bool:
    """Date and date-time columns, including type decorators over them (UTCDateTime)."""
    return isinstance(column.type, (Date, DateTime)) or isinstance(getattr(column.type, "impl", None), (Date, DateTime))


def latest_activity(collected: list[TableRows]) -> date | None:
    """The latest date or time found in any of the client's rows (Taipei calendar day)."""
    latest = None
    for tr in collected:
        columns = [c for c in tr.table.columns if is_date_column(c)]
        for row in tr.rows:
            for column in columns:
                value = row[column.name]
                if isinstance(value, datetime):
                    value = (value if value.tzinfo else value.replace(tzinfo=clock.TAIPEI)).astimezone(clock.TAIPEI).date()
                if isinstance(value, date) and (latest is None or value > latest):
                    latest = value
    return latest


def has_active_access(collected: list[TableRows]) -> bool:
    """True while an organisation still holds the case (an access link without an end)."""
    return any(row["ended_at"] is None for tr in collected if tr.name == "client_access" for row in tr.rows)


# --- showing the rows (export) ----------------------------------------------------------------------

def column_label(column) -> str:
    return column.info.get("label") or CLIENT_COLUMN_LABELS.get(column.name) or column.comment or column.name


def _value_labels(table, column):
    from portal.clients import models as cm
    known = {("clients", "sex"): cm.SEX_LABELS, ("clients", "welfare_status"): cm.WELFARE_FULL_LABELS,
             ("clients", "disability_category"): cm.DISABILITY_CATEGORY_LABELS,
             ("clients", "disability_degree"): cm.DISABILITY_DEGREE_LABELS,
             ("client_access", "relation"): cm.ACCESS_RELATION_LABELS}
    return column.info.get("choices") or known.get((table.name, column.name))


def _display_names(collected):
    """{(table, id): name} for the rows that found rows point at (organisations, users, areas…)."""
    wanted = {}
    for tr in collected:
        for fk in tr.table.foreign_keys:
            target = fk.column.table
            if not any(c in target.c for c in _DISPLAY_COLUMNS) or not fk.column.primary_key:
                continue
            ids = {row[fk.parent.name] for row in tr.rows if row[fk.parent.name] is not None}
            wanted.setdefault(target, set()).update(ids)
    names = {}
    for target, ids in wanted.items():
        if not ids:
            continue
        display = next(target.c[c] for c in _DISPLAY_COLUMNS if c in target.c)
        pk = _single_pk(target)
        for ident, name in db.session.execute(select(pk, display).where(pk.in_(sorted(ids)))):
            names[(target.name, ident)] = name
    return names


def _format(value):
    from portal.filters import roc, roc_dt
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return roc_dt(value)
    if isinstance(value, date):
        return roc(value)
    if isinstance(value, (dict, list)):
        import json
        return json.dumps(value, ensure_ascii=False, indent=1, default=str)
    return str(value)


def readable(collected: list[TableRows]) -> list[dict]:
    """Sections for the export: {title, table, columns, rows: [[(label, text)…]…]}."""
    from portal.auditlog.labels import ENTITY_LABELS
    names = _display_names(collected)
    sections = []
    for tr in collected:
        links = {fk.parent.name: fk.column.table.name for fk in tr.table.foreign_keys}
        columns = [c for c in tr.table.columns if c.name not in HIDDEN_COLUMNS]
        rows = []
        choices = {c.name: _value_labels(tr.table, c) for c in columns}
        for row in tr.rows:
            cells = []
            for column in columns:
                value = row[column.name]
                if column.name in links and (links[column.name], value) in names:
                    text = f"{names[(links[column.name], value)]}（{value}）"
                elif choices[column.name] and value in choices[column.name]:
                    text = choices[column.name][value]
                else:
                    text = _format(value)
                cells.append((column_label(column), text))
            rows.append(cells)
        sections.append({"title": ENTITY_LABELS.get(tr.name, tr.name), "table": tr.name, "rows": rows})
    return sections


def processing_log(collected: list[TableRows]):
    """Audit-log entries about the client's rows (who — as organisation and role — did what, when)."""
    from portal.auditlog.models import AuditLogEntry
    conditions = []
    for tr in collected:
        pk = _single_pk(tr.table)
        if pk is not None:
            conditions.append(and_(AuditLogEntry.entity_type == tr.name,
                                   AuditLogEntry.entity_id.in_([row[pk.name] for row in tr.rows])))
    if not conditions:
        return []
    return db.session.execute(db.select(AuditLogEntry).where(or_(*conditions))
                              .order_by(AuditLogEntry.at, AuditLogEntry.id)).scalars().all()
