"""`flask backup` and `flask restore`: a portable archive of every table and every uploaded file.

The archive (`.tar.gz`) holds `manifest.json` (schema revision, row counts and a
SHA-256 checksum per table), `tables/<table>.jsonl` (one row per line) and
`files/…` (the upload folder). It is database-neutral: a backup taken on
SQLite restores into PostgreSQL and back. Restore needs a database migrated
to the same revision and empty (or `--replace`, which empties it first).
"""
import base64
import hashlib
import io
import json
import os
import tarfile
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

from portal import clock
from portal.extensions import db

FORMAT_VERSION = 1


def _encode(value):
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b64": base64.b64encode(bytes(value)).decode()}
    return value


def _decode(value):
    if isinstance(value, dict) and len(value) == 1:
        (key, raw), = value.items()
        if key == "$dt":
            return datetime.fromisoformat(raw)
        if key == "$date":
            return date.fromisoformat(raw)
        if key == "$time":
            return time.fromisoformat(raw)
        if key == "$dec":
            return Decimal(raw)
        if key == "$b64":
            return base64.b64decode(raw)
    return value


def _row_line(row: dict) -> str:
    return json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"), default=str)


def _ordered_select(table):
    return table.select().order_by(*(table.primary_key.columns or table.columns))


def table_checksums() -> dict:
    """Return {table: (row count, sha256 of its rows)} for the current database."""
    result = {}
    for table in _data_tables():
        digest, count = hashlib.sha256(), 0
        for row in db.session.execute(_ordered_select(table)).mappings():
            digest.update(_row_line(dict(row)).encode("utf-8") + b"\n")
            count += 1
        result[table.name] = [count, digest.hexdigest()]
    return result


def _revision() -> str | None:
    try:
        return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:
        db.session.rollback()
        return None


def create_backup(target: Path, upload_dir: Path) -> dict:
    """Write the archive to `target`; return the manifest."""
    manifest = {"format": FORMAT_VERSION, "created_at": clock.now().isoformat(), "revision": _revision(),
                "dialect": db.engine.dialect.name, "tables": {}}
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(target, "w:gz") as tar:
        for table in _data_tables():
            digest, count, buffer = hashlib.sha256(), 0, io.BytesIO()
            for row in db.session.execute(_ordered_select(table)).mappings():
                line = _row_line(dict(row)).encode("utf-8") + b"\n"
                digest.update(line)
                buffer.write(line)
                count += 1
            manifest["tables"][table.name] = [count, digest.hexdigest()]
            _add_bytes(tar, f"tables/{table.name}.jsonl", buffer.getvalue())
        if upload_dir.is_dir():
            for path in sorted(upload_dir.rglob("*")):
                if path.is_file() and not path.name.endswith(".part"):
                    tar.add(path, arcname=f"files/{path.relative_to(upload_dir)}")
        _add_bytes(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))
    return manifest


def _add_bytes(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(clock.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


def _data_tables():
    """Every table but `table_versions`: it only counts changes, and a restore is itself a change."""
    return [t for t in db.metadata.sorted_tables if t.name != "table_versions"]


class RestoreError(RuntimeError):
    pass


def restore_backup(source: Path, upload_dir: Path, *, replace=False) -> dict:
    """Load an archive into the (migrated) database and upload folder; verify the checksums."""
    with tarfile.open(source, "r:gz") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        if manifest.get("format") != FORMAT_VERSION:
            raise RestoreError("備份檔格式不符")
        if manifest.get("revision") != _revision():
            raise RestoreError(f"資料庫結構版本不同：備份為 {manifest.get('revision')}，目前為 {_revision()}；"
                               "請先以相同版本的程式執行 flask db upgrade")
        tables = _data_tables()
        non_empty = [t.name for t in tables if db.session.execute(t.select().limit(1)).first()]
        if non_empty and not replace:
            raise RestoreError("資料庫不是空的（" + "、".join(non_empty[:5]) + "…）；確定要覆蓋請加 --replace")
        for table in reversed(tables):
            db.session.execute(table.delete())
        for table in tables:
            member = tar.extractfile(f"tables/{table.name}.jsonl")
            rows = [{k: _decode(v) for k, v in json.loads(line).items()} for line in member.read().splitlines() if line]
            for start in range(0, len(rows), 1000):
                db.session.execute(table.insert(), rows[start:start + 1000])
        _reset_sequences(tables)
        db.session.commit()
        upload_dir.mkdir(parents=True, exist_ok=True)
        for member in tar.getmembers():
            if member.isfile() and member.name.startswith("files/"):
                relative = Path(member.name[len("files/"):])
                if relative.is_absolute() or ".." in relative.parts:
                    raise RestoreError(f"備份檔含不安全的路徑：{member.name}")
                target = upload_dir / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src, open(target, "wb") as dst:
                    dst.write(src.read())
    actual = table_checksums()
    mismatched = [name for name, expected in manifest["tables"].items() if actual.get(name) != expected]
    if mismatched:
        raise RestoreError("還原後資料核對不符：" + "、".join(mismatched))
    return manifest


def _reset_sequences(tables):
    """PostgreSQL: move each serial id past the restored rows."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and pk[0].autoincrement and pk[0].type.python_type is int:
            db.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                f"COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"))


def default_backup_name() -> str:
    return f"portal-backup-{clock.now():%Y%m%d-%H%M%S}.tar.gz"


def human_size(path: Path) -> str:
    return f"{os.path.getsize(path) / 1024:.0f} KB"
