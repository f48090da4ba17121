"""Test data for result reports: fake billing service days and a ready report."""
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest

from portal.reports import queries


@dataclass(frozen=True)
class Day:
    """Exactly the attributes of billing's ServiceDayFigure."""

    client_id: int
    day: date
    day_fraction: Decimal
    welfare_status: str
    declared_amount: int
    copayment: int


def days_for(client, status, count, *, start=date(2025, 1, 6), price=1130, copay=180, fraction=Decimal(1)):
    """`count` weekday service days for `client` from `start`."""
    out, day = [], start
    while len(out) < count:
        if day.weekday() < 5:
            out.append(Day(client.id, day, fraction, status, price, copay))
        day += timedelta(days=1)
    return out


class FakeBilling:
    """Stands in for portal.billing.queries.year_service_days."""

    def __init__(self):
        self.days = {}

    def set(self, org, year, days):
        self.days[(org.id, year)] = list(days)

    def __call__(self, organisation_id, year):
        return list(self.days.get((organisation_id, year), []))


@pytest.fixture
def billing(monkeypatch):
    fake = FakeBilling()
    monkeypatch.setattr(queries, "service_days_source", lambda: fake)
    return fake


COMPLETE = {
    "basics": {},  # pre-filled at start
    "users": {"users-analysis": "服務對象以中度失能長者為主。"},
    "courses": {"courses-months-0-month": "1", "courses-months-0-timetable": "週一 懷舊團體",
                "courses-months-0-activities": "懷舊團體、手作課程", "courses-months-0-participants": "4"},
    "conclusion": {"conclusion-conclusion": "年度目標達成。", "conclusion-strengths": "長者參與度高。",
                   "conclusion-improvements": "增加戶外活動。"},
    "satisfaction": {"satisfaction-survey_period": "114年11月", "satisfaction-issued": "4", "satisfaction-returned": "4",
                     "satisfaction-very_satisfied": "3", "satisfaction-satisfied": "1",
                     "satisfaction-qualitative": "家屬肯定。"},
    "other": {"other-remarks": "無"},
    "signer": {"signer-title": "負責人", "signer-name": "測試", "signer-filled_on": "115/1/10"},
}
