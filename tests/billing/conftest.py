"""Fixtures for family-care billing: a home with filed opening hours, admitted clients, records."""
from datetime import date, datetime, time

import pytest

from portal import clock
from portal.auth import roles
from portal.billing import operations as ops
from portal.extensions import db
from tests.factories import make_client

FULL_CHECK = ["general", "chest_xray", "blood"]


def admission_data(**over):
    data = {"admitted_on": date(2025, 1, 2), "carer_relation": "none", "welfare_status": "general", "cms_level": 5,
            "monthly_quota": None, "institutional_placement": False, "foreign_caregiver": False,
            "special_allowance": None, "service_contract_on": date(2025, 1, 2),
            "identity_checked_on": date(2025, 1, 2), "health_check_on": date(2024, 12, 20),
            "health_check_items": list(FULL_CHECK)}
    data.update(over)
    return data


def admit(world, client=None, *, org=None, **over):
    org = org or world.orgs["b"]
    client = client or make_client([org], birth_date=over.pop("birth_date", date(1940, 3, 3)))
    with clock.freeze(datetime(2025, 1, 2, 9)):
        admission = ops.admit_client(world.users[roles.B_HEAD], org.id, client, admission_data(**over))
    db.session.commit()
    return admission


def record(world, admission, day, *, start=time(8), end=time(17), kind="full_day", bath=False, dinner=False,
           attended=True, reason=None, user=None, now=None):
    """Save a day record as the home's head, at `now` (default: the evening of `day`)."""
    data = {"attended": attended, "kind": kind, "start_time": start, "end_time": end, "bath": bath, "dinner": dinner,
            "over_norm_reason": reason, "content": "午餐、團體活動"}
    moment = now or datetime(day.year, day.month, day.day, 18, tzinfo=clock.TAIPEI)
    with clock.freeze(moment):
        saved, notes = ops.save_day_record(user or world.users[roles.B_HEAD], admission, day, data, now=moment)
    db.session.commit()
    return saved


def weekdays(month: date, count: int | None = None, start_day: int = 1):
    from portal.billing.rules import month_days
    days = [d for d in month_days(month) if d.weekday() < 5 and d.day >= start_day]
    return days[:count] if count else days


@pytest.fixture
def home(world):
    """The world's family-care home with Mon–Fri 08:00–18:00 filed and its receipt data."""
    org = world.orgs["b"]
    org.head_name = "陳測試"
    org.address = "測試縣甲鄉中正路1號"
    head, officer = world.users[roles.B_HEAD], world.users[roles.BUREAU_OFFICER]
    with clock.freeze(datetime(2024, 12, 1, 9)):
        filing = ops.file_opening_hours(head, org.id, weekdays="01234", opens=time(8), closes=time(18),
                                        effective_from=date(2024, 12, 1))
        ops.decide_opening_hours(officer, filing, accept=True)
        ops.save_billing_profile(head, org.id, {"tax_id": "12345678", "bank_name": "示範銀行甲鄉分行",
                                                "bank_account": "0123-456-789012", "account_name": org.name})
    db.session.commit()
    return org
