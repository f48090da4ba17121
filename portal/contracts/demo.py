"""Demo contracts: one contract per demo A and B unit for this year (and last year's, ended), one violation point."""
from datetime import date, timedelta

from portal.contracts.operations import create_contract, record_violation_point
from portal.demo import demo_seeder


@demo_seeder(order=40)
def seed_contracts(ctx):
    officer = ctx.users["officer"]
    year = ctx.today.year
    for n, key in enumerate(("a1", "a2", "b1", "b2", "b3", "b4"), start=1):
        org = ctx.orgs[key]
        create_contract(officer, org, number=f"示範長照特字第{year - 1912}{n:03d}號", starts_on=date(year - 1, 1, 1),
                        ends_on=date(year - 1, 12, 31))
        create_contract(officer, org, number=f"示範長照特字第{year - 1911}{n:03d}號", starts_on=date(year, 1, 1),
                        ends_on=date(year, 12, 31))
    occurred = max(ctx.today - timedelta(days=40), date(year, 1, 1))
    record_violation_point(officer, ctx.orgs["b2"], occurred_on=occurred, clause="拒絕訪查輔導之行為。",
                           description="衛生局訪查輔導人員到訪時，家托員拒絕開門並拒絕出示服務紀錄。（示範資料）",
                           letter_ref="示衛長字第1140000001號", today=ctx.today)
