"""Pure rules of the foundation: national IDs, ages, login throttling, passwords."""
from datetime import date, datetime, timedelta

import pytest

from portal.auth.rules import after_failed_login, password_problem
from portal.clients.rules import age_on, mask_national_id, national_id_problem, sex_from_national_id
from portal.clock import TAIPEI


@pytest.mark.parametrize("nid", ["A123456789", "a123456789", "F131104093", "B218920186"])
def test_valid_national_ids(nid):
    assert national_id_problem(nid) is None


@pytest.mark.parametrize("nid, fragment", [
    ("A123456788", "檢查碼"), ("A12345678", "10 碼"), ("1123456789", "格式"), ("A323456789", "第 2 碼"),
    ("", "10 碼"), ("AB23456789", "格式"),
])
def test_invalid_national_ids(nid, fragment):
    assert fragment in national_id_problem(nid)


def test_mask():
    assert mask_national_id("A123456789") == "A12****789"


def test_sex_from_id():
    assert sex_from_national_id("A123456789") == "M"
    assert sex_from_national_id("B218920186") == "F"


def test_age_on_birthday_boundary():
    assert age_on(date(1960, 3, 10), date(2025, 3, 9)) == 64
    assert age_on(date(1960, 3, 10), date(2025, 3, 10)) == 65


def test_fifth_failure_locks_for_15_minutes():
    now = datetime(2025, 3, 10, 9, 0, tzinfo=TAIPEI)
    failures = 0
    for _ in range(4):
        failures, locked = after_failed_login(failures, now)
        assert locked is None
    failures, locked = after_failed_login(failures, now)
    assert locked == now + timedelta(minutes=15)
    assert failures == 0


@pytest.mark.parametrize("pw, ok", [("short1", False), ("abcdefgh", False), ("12345678", False), ("abcd1234", True)])
def test_password_rules(pw, ok):
    assert (password_problem(pw) is None) == ok


def test_address_window_and_block():
    from portal.auth.rules import address_blocked, address_window
    t0 = datetime(2025, 3, 10, 9, 0, tzinfo=TAIPEI)
    count, start = 0, None
    for i in range(20):
        count, start = address_window(count, start, t0 + timedelta(seconds=i))
    assert address_blocked(count, start, t0 + timedelta(minutes=1))
    assert not address_blocked(count, start, t0 + timedelta(minutes=15))
    assert address_window(count, start, t0 + timedelta(minutes=16)) == (1, t0 + timedelta(minutes=16))
