"""The report's figures from billing's real service records (portal.billing.queries.year_service_days)."""
from collections import defaultdict
from datetime import date, time
from decimal import Decimal

from portal.auth import roles
from portal.billing.queries import year_service_days
from portal.extensions import db
from portal.reports.models import ResultReport
from tests.billing.conftest import admit, home, record, weekdays  # noqa: F401  (home is a fixture)


def test_year_of_billing_records_gives_the_report_figures(client, world, login, home):  # noqa: F811
    plan = {"general": (12, 3), "mid_low": (8, 2), "low": (6, 0)}   # status: (full days, half days)
    expected_days, admissions = {}, {}
    for n, (status, (full, half)) in enumerate(plan.items()):
        admission = admit(world, welfare_status=status, birth_date=date(1938 + n, 5, 5))
        admissions[status] = admission
        days = weekdays(date(2025, 2 + n, 1))[:full + half]
        for i, day in enumerate(days):
            if i < full:
                record(world, admission, day, bath=(i == 0))
            else:
                record(world, admission, day, kind="half_day", end=time(12))
        expected_days[status] = Decimal(full) + Decimal("0.5") * half
    figures = year_service_days(home.id, 2025)
    assert figures, "billing returned no service days"
    login(world.users[roles.B_HEAD])
    assert client.post("/reports/start", data={"year": 2025}).status_code == 303
    report = db.session.execute(db.select(ResultReport).filter_by(organisation_id=home.id)).scalar_one()
    table = report.figures["table"]
    subsidy = defaultdict(int)
    for f in figures:
        subsidy[f.welfare_status] += f.declared_amount - f.copayment
    for status in plan:
        assert table["persons"][status] == "1"
        assert Decimal(table["person_days"][status]) == expected_days[status]
        assert int(table["subsidy"][status]) == subsidy[status]
    assert table["persons"]["total"] == "3"
    assert Decimal(table["person_days"]["total"]) == sum(expected_days.values())
    assert int(table["subsidy"]["general"]) > 0 and int(table["subsidy"]["low"]) > 0
    # 免交 is refused once the year has records.
    page = client.post("/reports/not-required", data={"year": 2025}, follow_redirects=True).get_data(as_text=True)
    assert "已有 31 筆服務紀錄，須繳交成果報告" in page
