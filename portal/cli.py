"""Command-line tasks: `flask seed-demo`, `flask create-admin`."""
import click
from flask import current_app

from portal.extensions import db


def install(app):
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_admin)
    app.cli.add_command(jobs_worker)
    app.cli.add_command(backup)
    app.cli.add_command(restore)
    app.cli.add_command(purge_expired)


@click.command("seed-demo")
@click.option("--force", is_flag=True, help="Seed even when the database already has organisations.")
def seed_demo(force):
    """Create the demo county: organisations, one user per role, clients, and each area's demo data."""
    from portal.demo_data import seed_all
    from portal.orgs.models import Organisation
    if not force and db.session.execute(db.select(Organisation.id).limit(1)).first():
        click.echo("資料庫已有資料，略過示範資料（加 --force 可強制建立）。")
        return
    ctx = seed_all(current_app.config["DEMO_PASSWORD"])
    db.session.commit()
    click.echo("示範資料已建立。示範帳號（密碼皆為 %s）：" % current_app.config["DEMO_PASSWORD"])
    for username, user in ctx.users.items():
        click.echo(f"  {username:<12} {user.role_label}（{user.organisation.name}）")


@click.command("create-admin")
@click.argument("username")
@click.argument("full_name")
@click.password_option()
def create_admin(username, full_name, password):
    """Create a system administrator in the bureau organisation (first start of a real deployment)."""
    from portal.auth.operations import create_user
    from portal.orgs.models import Organisation
    bureau = db.session.execute(db.select(Organisation).filter_by(kind="bureau")).scalars().first()
    if bureau is None:
        bureau = Organisation(kind="bureau", name="衛生局")
        db.session.add(bureau)
        db.session.flush()
    create_user(None, {"username": username, "full_name": full_name, "role": "admin",
                       "organisation_id": bureau.id, "active": True}, password)
    db.session.commit()
    click.echo(f"已建立系統管理員 {username}")


@click.command("jobs-worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def jobs_worker(burst):
    """Serve the background-job queue (needs REDIS_URL)."""
    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: without Redis, jobs run inside the app process.")
    from portal.jobs.rq_engine import work
    work(current_app._get_current_object(), burst=burst)


@click.command("backup")
@click.argument("target", required=False, type=click.Path(dir_okay=False))
def backup(target):
    """Write a backup archive (all tables + uploaded files) with per-table checksums."""
    from pathlib import Path
    from portal.backup import create_backup, default_backup_name, human_size
    path = Path(target or Path(current_app.instance_path) / "backups" / default_backup_name())
    manifest = create_backup(path, Path(current_app.config["UPLOAD_DIR"]))
    rows = sum(count for count, _ in manifest["tables"].values())
    click.echo(f"已備份 {len(manifest['tables'])} 個資料表、{rows} 筆資料至 {path}（{human_size(path)}）")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--replace", is_flag=True, help="Empty a non-empty database first.")
def restore(source, replace):
    """Restore a backup archive into the migrated database and verify every table's checksum."""
    from pathlib import Path
    from portal.backup import RestoreError, restore_backup
    try:
        manifest = restore_backup(Path(source), Path(current_app.config["UPLOAD_DIR"]), replace=replace)
    except RestoreError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"已還原 {len(manifest['tables'])} 個資料表，核對碼全部相符。")


@click.command("purge-expired")
@click.option("--dry-run", is_flag=True, help="List what would be anonymised; change nothing.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Count the keeping period up to this day.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def purge_expired(dry_run, today, yes):
    """Anonymise clients whose 7-year keeping period has ended (decisions Q28); statistics are kept."""
    from portal import clock
    from portal.clients.retention import anonymise, find_expired, retention_years
    day = today.date() if today else clock.today()
    expired = find_expired(day)
    click.echo(f"保存年限 {retention_years()} 年（自最後一筆紀錄所在年度結束起算），基準日 {day.isoformat()}。")
    if not expired:
        click.echo("沒有已超過保存期限的個案。")
        return
    for item in expired:
        rows = "、".join(f"{table} {n}" for table, n in item.rows.items())
        click.echo(f"  個案 {item.client_id:>6} {item.masked_id}  最後紀錄 {item.last_activity.isoformat()}"
                   f"  保存至 {item.kept_until.isoformat()}  （{rows}）")
    if dry_run:
        click.echo(f"試算：{len(expired)} 位個案將被匿名化；未做任何變更。")
        return
    if not yes:
        click.confirm(f"確定將以上 {len(expired)} 位個案的個人資料匿名化？此動作無法復原", abort=True)
    for item in expired:
        anonymise(None, item, day)
    db.session.commit()
    click.echo(f"已匿名化 {len(expired)} 位個案；統計欄位保留。")
