"""`flask billing retention-report`: which family-care records have passed their retention period.

Records are never deleted by the portal (seed 003 §十四(四)1: kept at least 7 years). Q28 counts
7 years from the end of the case (client files) and from the end of the service year (billing).
This command only reports; anonymising personal data after the period is an administrator's
decision made for all areas together.
"""
import click
from sqlalchemy import func

from portal import clock
from portal.billing import rules
from portal.billing.models import CareAdmission, Declaration, ServiceDay
from portal.billing.views import bp
from portal.extensions import db


@bp.cli.command("retention-report")
@click.option("--on", "on_date", default=None, help="Report as of this ISO date (default: today).")
def retention_report(on_date):
    """List family-care client files and billing years past the 7-year retention period."""
    from datetime import date
    today = date.fromisoformat(on_date) if on_date else clock.today()
    last_days = dict(db.session.execute(
        db.select(ServiceDay.admission_id, func.max(ServiceDay.day)).group_by(ServiceDay.admission_id)).all())
    due = []
    for admission in db.session.execute(db.select(CareAdmission).where(CareAdmission.ended_on.is_not(None))).scalars():
        until = rules.client_file_retained_until(admission.ended_on, last_days.get(admission.id))
        if until is not None and until <= today:
            due.append((admission, until))
    click.echo(f"基準日 {rules._roc(today)}：已逾保存期限之收托個案檔案 {len(due)} 筆")
    for admission, until in due:
        click.echo(f"  收托 {admission.id}｜單位 {admission.organisation_id}｜保存至 {rules._roc(until)}")
    years = sorted({d.service_month.year for d in db.session.execute(db.select(Declaration)).scalars()
                    if rules.billing_retained_until(d.service_month.year) <= today})
    click.echo(f"已逾保存期限之申報年度：{'、'.join(str(y - 1911) for y in years) or '無'}")
    click.echo("本指令僅列出清單，不會刪除或修改任何資料。")
