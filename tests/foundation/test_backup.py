"""flask backup / flask restore round trip: row counts and a checksum of every table match."""
from pathlib import Path

import pytest

from portal.auth import roles
from portal.backup import RestoreError, create_backup, restore_backup, table_checksums
from portal.extensions import db


def test_round_trip(app_ctx, world, tmp_path):
    uploads = tmp_path / "uploads"
    (uploads / "scans").mkdir(parents=True)
    (uploads / "scans" / "a.pdf").write_bytes(b"%PDF-1.4 test")
    from portal.auditlog.operations import log_change
    log_change(world.users[roles.ADMIN], world.clients["own"], "test.backup", after={"金額": 100})
    db.session.commit()
    before = table_checksums()
    archive = tmp_path / "b.tar.gz"
    manifest = create_backup(archive, uploads)
    assert manifest["tables"] == before and manifest["tables"]["clients"][0] == 2

    with pytest.raises(RestoreError, match="不是空的"):
        restore_backup(archive, tmp_path / "restored")
    restore_backup(archive, tmp_path / "restored", replace=True)
    assert table_checksums() == before
    assert (tmp_path / "restored" / "scans" / "a.pdf").read_bytes() == b"%PDF-1.4 test"
    # New rows after a restore get fresh ids (sequences moved past the restored rows).
    from tests.factories import make_area
    assert make_area().id > max(a.id for a in world.areas)


def test_cli_commands(app, world, tmp_path):
    runner = app.test_cli_runner()
    archive = tmp_path / "cli.tar.gz"
    result = runner.invoke(args=["backup", str(archive)])
    assert result.exit_code == 0 and "已備份" in result.output
    result = runner.invoke(args=["restore", str(archive), "--replace"])
    assert result.exit_code == 0 and "核對碼全部相符" in result.output
