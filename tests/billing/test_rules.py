"""Family-care billing rules, from worked-examples.md WE-07, WE-16..WE-28 (spec family-care.md)."""
from datetime import date, time
from decimal import Decimal

import pytest

from portal.billing import rules
from portal.billing.rules import (
    EXCLUDED_PARSE_A, EXCLUDED_PARSE_B, ClientFacts, DayLimits, EligibilityPolicy, OpeningHours, ServiceUnit,
    amount_in_words, carer_family_exclusion, check_entry, copayment, declaration_totals, eligibility,
    payment_difference, price_units, records_locked,
)
from portal.calendar import OfficeCalendar

# The worked examples' calendar: weekends plus 2025-02-28, 04-03, 04-04 (worked-examples.md, header).
WE_CAL = OfficeCalendar(days_off=frozenset({date(2025, 2, 28), date(2025, 4, 3), date(2025, 4, 4)}))
G, M, L = Decimal("0.16"), Decimal("0.05"), Decimal("0")


# --- WE-07 lock and billing dates -----------------------------------------------------

def test_we07_lock_never_rolls():
    assert rules.last_editable_day(date(2025, 3, 28)) == date(2025, 4, 5)      # a Saturday
    assert rules.lock_starts(date(2025, 3, 1)) == date(2025, 4, 6)
    assert not records_locked(date(2025, 3, 28), date(2025, 4, 5))            # 04-05 23:59 still allowed
    assert records_locked(date(2025, 3, 28), date(2025, 4, 6))                # 04-06 00:00 read-only
    assert not records_locked(date(2025, 3, 31), date(2025, 3, 31))


def test_we07_declaration_due_rolls_and_request_due():
    assert rules.declaration_due(date(2025, 3, 1), cal=WE_CAL) == date(2025, 4, 7)
    assert rules.request_due(date(2025, 3, 1), cal=WE_CAL) == date(2025, 4, 10)


def test_lock_across_year_end_and_refuses_datetime():
    assert rules.lock_starts(date(2025, 12, 31)) == date(2026, 1, 6)
    from datetime import datetime
    with pytest.raises(TypeError):
        records_locked(date(2025, 3, 1), datetime(2025, 4, 6))


# --- WE-16 eligibility ----------------------------------------------------------------

DAY = date(2025, 3, 10)
NO_CMS = EligibilityPolicy(min_cms_level=None, max_cms_level=None)


def _born(age, day=DAY):
    return date(day.year - age, 1, 1)


@pytest.mark.parametrize("facts, eligible, paid", [
    (ClientFacts(_born(56), indigenous=True), True, True),
    (ClientFacts(_born(54), indigenous=True), False, False),
    (ClientFacts(_born(64)), False, False),
    (ClientFacts(_born(64), disability_certificate=True), True, True),
    (ClientFacts(_born(52), dementia_diagnosed_on=date(2020, 1, 1)), True, True),
    (ClientFacts(_born(49), dementia_diagnosed_on=date(2020, 1, 1)), False, False),
    (ClientFacts(_born(70), foreign_caregiver=True), True, False),
    (ClientFacts(_born(75), special_allowance="特別照顧津貼"), True, False),
])
def test_we16_eligibility(facts, eligible, paid):
    result = eligibility(facts, DAY, NO_CMS)
    assert (result.eligible, result.paid) == (eligible, paid), result.reasons


def test_we16_age_on_the_service_day():
    facts = ClientFacts(date(1960, 3, 10))
    assert not eligibility(facts, date(2025, 3, 9), NO_CMS).eligible
    assert eligibility(facts, date(2025, 3, 10), NO_CMS).eligible


def test_eligibility_reasons_are_readable():
    result = eligibility(ClientFacts(_born(70), foreign_caregiver=True, cms_level=4), DAY)
    assert "外籍看護工" in result.summary and "不予給付" in result.summary
    refused = eligibility(ClientFacts(_born(60), cms_level=4), DAY)
    assert "未滿65歲" in refused.reasons[0]
    assert "年滿65歲" in eligibility(ClientFacts(_born(80), cms_level=4), DAY).grounds[0]


def test_q18_cms_level_setting_and_dementia_needs_date():
    assert not eligibility(ClientFacts(_born(80), cms_level=1), DAY).eligible
    assert not eligibility(ClientFacts(_born(80)), DAY).eligible
    assert eligibility(ClientFacts(_born(80), cms_level=8), DAY).eligible
    later = ClientFacts(_born(55), dementia_diagnosed_on=DAY.replace(day=11), cms_level=3)
    assert not eligibility(later, DAY).eligible


def test_placement_excludes():
    assert not eligibility(ClientFacts(_born(80), institutional_placement=True, cms_level=5), DAY).paid


# --- WE-17 co-payment floor -----------------------------------------------------------

@pytest.mark.parametrize("price, ratio, co, sub", [
    (1130, G, 180, 950), (1045, M, 52, 993), (1045, G, 167, 878), (200, G, 32, 168),
    (150, G, 24, 126), (150, M, 7, 143), (1210, L, 0, 1210),
])
def test_we17_copayment_floor(price, ratio, co, sub):
    assert copayment(price, ratio) == co
    assert price - copayment(price, ratio) == sub


def test_we17_wrong_method_rejected_and_str_ratio():
    assert copayment(1130, "0.16") == 180 != 1130 - int(Decimal(1130) * Decimal("0.84"))
    with pytest.raises(TypeError):
        copayment(1130, 0.16)


def _units(client, n, price, item="full_day", code="BC11", ratio=G, start=date(2025, 3, 3), **kw):
    days = [d for d in rules.month_days(start) if d.weekday() < 6 and d >= start][:n]
    assert len(days) == n
    row = "b_family_care" if item in ("full_day", "half_day") else kw.pop("row", "b_community")
    return [ServiceUnit(client, d, item, code, price, ratio, row, **kw) for d in days]


# --- WE-18 granularity ----------------------------------------------------------------

def _client_a():
    return (_units(1, 20, 1130) + _units(1, 8, 200, "bath", "BD01")
            + _units(1, 20, 150, "dinner", "BD02"))


def test_we18_per_unit():
    priced = price_units(_client_a(), granularity="per_unit")
    assert sum(p.unit.price for p in priced) == 27200
    assert sum(p.copay for p in priced) == 4336
    assert sum(p.subsidy for p in priced) == 22864


def test_we18_per_month_is_the_decisions_default():
    priced = price_units(_client_a())
    assert sum(p.copay for p in priced) == 4352
    assert sum(p.subsidy for p in priced) == 22848
    # each unit carries the increment of the floored running total (no unit below 0)
    assert all(p.copay >= 0 for p in priced)


# --- WE-19 over-quota ------------------------------------------------------------------

def test_we19_quota_split_per_unit():
    priced = price_units(_units(1, 20, 1130, quota=20000), granularity="per_unit")
    assert [p.copay for p in priced[:17]] == [180] * 17
    day18 = priced[17]
    assert (day18.declared, day18.copay, day18.subsidy, day18.self_pay) == (790, 126, 664, 340)
    assert [p.self_pay for p in priced[18:]] == [1130, 1130]
    assert sum(p.subsidy for p in priced) == 16814
    assert sum(p.copay for p in priced) == 3186
    assert sum(p.self_pay for p in priced) == 2600
    assert sum(p.client_pays for p in priced) == 5786
    assert sum(p.subsidy + p.copay for p in priced) == 20000


def test_we19_quota_per_month_floor():
    priced = price_units(_units(1, 20, 1130, quota=20000))
    assert sum(p.copay for p in priced) == 3200 and sum(p.subsidy for p in priced) == 16800


def test_units_outside_quota_and_unsubsidised():
    units = _units(1, 2, 200, "bath", "BD01", uses_quota=False, quota=0) + _units(2, 1, 1130, subsidised=False)
    priced = price_units(units, granularity="per_unit")
    assert [p.copay for p in priced[:2]] == [32, 32]
    assert (priced[2].declared, priced[2].self_pay) == (0, 1130)


# --- WE-20 the carer's family ----------------------------------------------------------

@pytest.mark.parametrize("relation, b_excluded, a_excluded", [
    ("parent", True, True), ("grandparent", True, True), ("parent_in_law", True, True),
    ("spouse_sibling", True, False), ("sibling", False, False), ("other_relative", False, False),
    ("spouse", True, True), ("none", False, False),
])
def test_we20_family_of_the_carer(relation, b_excluded, a_excluded):
    assert carer_family_exclusion(relation)[0] is b_excluded
    assert carer_family_exclusion(relation, EXCLUDED_PARSE_B)[0] is b_excluded
    assert carer_family_exclusion(relation, EXCLUDED_PARSE_A)[0] is a_excluded


def test_we20_explanation():
    excluded, text = carer_family_exclusion("parent")
    assert excluded and "不得申請照顧服務費用補助" in text and "計入每日收托人數" in text
    with pytest.raises(ValueError):
        carer_family_exclusion("cousin-twice-removed")


# --- WE-21 subsidy change ---------------------------------------------------------------

def test_we21a_foreign_caregiver_overpayment():
    march = [d for d in rules.month_days(date(2025, 3, 1)) if d >= date(2025, 3, 10) and d.weekday() < 5][:16]
    paid = {(1, d): 950 for d in march}
    facts = {"foreign_caregiver": False}
    changes = [(date(2025, 3, 10), "foreign_caregiver", True)]
    recomputed = {}
    for d in march:
        on = rules.facts_on(facts, changes, d)
        recomputed[(1, d)] = 0 if on["foreign_caregiver"] else 950
    diff = payment_difference(paid, recomputed)
    assert diff.overpaid == 15200 and diff.underpaid == 0
    assert rules.facts_on(facts, changes, date(2025, 3, 9))["foreign_caregiver"] is False


def test_we21b_welfare_status_change():
    may = [d for d in rules.month_days(date(2025, 5, 1)) if d.weekday() < 5][:20]
    paid = {(1, d): 1130 for d in may}
    units = [ServiceUnit(1, d, "full_day", "BC11", 1130, G, "b_family_care") for d in may]
    recomputed = {(1, p.unit.day): p.subsidy for p in price_units(units, granularity="per_unit")}
    assert payment_difference(paid, recomputed).overpaid == 3600
    assert rules.notified_late(date(2025, 5, 1), date(2025, 6, 20))
    assert not rules.notified_late(date(2025, 5, 1), date(2025, 4, 30))


# --- WE-22 declaration summary -----------------------------------------------------------

def _we22_units(bath_dinner_row):
    return (
        _units(1, 20, 1130) + _units(1, 8, 200, "bath", "BD01", row=bath_dinner_row)
        + _units(1, 20, 150, "dinner", "BD02", row=bath_dinner_row)
        + _units(2, 18, 1045, code="BC09", ratio=M) + _units(2, 18, 150, "dinner", "BD02", ratio=M, row=bath_dinner_row)
        + _units(3, 22, 1210, code="BC13", ratio=L, start=date(2025, 3, 3))
        + _units(3, 4, 200, "bath", "BD01", ratio=L, row=bath_dinner_row)
    )


class _Line:
    def __init__(self, priced):
        self.row, self.amount, self.copay = priced.unit.row, priced.declared, priced.copay


def test_we22_declaration_with_the_examples_settings():
    """WE-22 uses per-unit flooring and bath/dinner on B碼 社區式照顧 (Q11 settings)."""
    totals = declaration_totals(_Line(p) for p in price_units(_we22_units("b_community"), granularity="per_unit"))
    assert totals.rows["b_family_care"] == 68030
    assert totals.rows["b_community"] == 8100
    assert totals.declared == 76130
    assert totals.copay == 5398
    assert totals.claim == 70732
    assert totals.non_care_subtotal == 0
    assert totals.total == 70732
    assert all(totals.rows[k] == 0 for k in ("a_care_management", "a_policy", "b_home_care", "b_day_care",
                                            "c_professional", "d_transport", "g_respite"))


def test_we22_with_the_decisions_defaults():
    """decisions Q11: per-month flooring, bath and dinner on 縣市政府補助費用 (claimed part only)."""
    priced = price_units(_we22_units("county_subsidy"))
    totals = declaration_totals(_Line(p) for p in priced)
    # family care: A floor(22,600×16%)=3,616; B floor(18,810×5%)=940; C 0
    assert totals.declared == 68030 and totals.copay == 3616 + 940
    # bath+dinner claimed: A (1,600+3,000) − 256 − 480; B 2,700 − 135; C 800
    assert totals.rows["county_subsidy"] == (4600 - 736) + (2700 - 135) + 800
    assert totals.total == totals.claim + totals.non_care_subtotal == 63474 + 7229


def test_declaration_rejects_unknown_row():
    class Bad:
        row, amount, copay = "zz", 1, 0
    with pytest.raises(ValueError):
        declaration_totals([Bad()])


# --- WE-23 amount in words ----------------------------------------------------------------

@pytest.mark.parametrize("amount, words", [
    (70732, "柒萬零柒佰參拾貳元整"), (150000, "壹拾伍萬元整"), (10005, "壹萬零伍元整"), (120000, "壹拾貳萬元整"),
    (100500, "壹拾萬零伍佰元整"), (1002000, "壹佰萬零貳仟元整"), (0, "零元整"), (15, "壹拾伍元整"),
    (12345678, "壹仟貳佰參拾肆萬伍仟陸佰柒拾捌元整"),
])
def test_we23_amount_in_words(amount, words):
    assert amount_in_words(amount) == words
    assert "新台幣" + amount_in_words(70732) == "新台幣柒萬零柒佰參拾貳元整"


# --- WE-25 capacity and hours ---------------------------------------------------------------

MON = date(2025, 3, 3)


def _check(**kw):
    args = dict(day=MON, start=time(8), end=time(18), other_persons=0, family_count=0, days_in_week=1)
    args.update(kw)
    return check_entry(**args)


def test_we25_persons_per_day():
    assert _check(other_persons=2, family_count=1).ok            # mother + 3 clients = 4
    refused = _check(other_persons=3, family_count=1)              # mother + 4 clients = 5
    assert not refused.ok and "超過每日 4 人上限" in refused.refusals[0][1]
    assert _check(other_persons=3).ok                              # 4 clients


def test_we25_hours():
    assert _check(start=time(8), end=time(18)).ok and not _check().notes
    needs_reason = _check(start=time(7, 30), end=time(19))
    assert not needs_reason.ok and needs_reason.refusals[0][0] == "over_norm_reason"
    noted = _check(start=time(7, 30), end=time(19), over_norm_reason="家屬加班")
    assert noted.ok and "11.5 小時" in noted.notes[0]
    too_long = _check(start=time(7), end=time(19, 30), over_norm_reason="x")
    assert not too_long.ok and "超過每日最多 12 小時" in too_long.refusals[0][1]
    assert not _check(start=time(9), end=time(9)).ok


def test_we25_week_limit_is_a_setting():
    assert not _check(days_in_week=6).ok
    warned = _check(days_in_week=6, limits=DayLimits(refuse_over_week=False))
    assert warned.ok and "每週以 5 天為限" in warned.notes[0]
    assert _check(days_in_week=6, carer_family=True).ok   # 「除失能家屬外」


def test_opening_hours():
    hours = OpeningHours(frozenset(range(5)), time(8), time(18))
    assert _check(opening=hours).ok
    early = _check(opening=hours, start=time(7, 30), end=time(17))
    assert not early.ok and "超出報備之收托時間" in early.refusals[0][1]
    saturday = _check(opening=hours, day=date(2025, 3, 8))
    assert not saturday.ok and "週六不在報備之收托日" in saturday.refusals[0][1]
    assert _check(opening=hours, start=time(7), end=time(17), limits=DayLimits(refuse_outside_hours=False)).notes


def test_hours_between():
    assert rules.hours_between(time(7, 30), time(19)) == Decimal("11.5")


# --- WE-26 staff and health deadlines ---------------------------------------------------------

def test_we26_staff_change_30_days():
    assert rules.staff_change_submit_by(date(2025, 5, 2)) == date(2025, 4, 2)
    assert rules.staff_change_problem(date(2025, 4, 2), date(2025, 5, 2)) is None
    assert "114年4月2日" in rules.staff_change_problem(date(2025, 4, 3), date(2025, 5, 2))


def test_we26_cpr_and_health_check():
    assert rules.certificate_valid(date(2025, 8, 31), date(2025, 8, 31))
    assert not rules.certificate_valid(date(2025, 8, 31), date(2025, 9, 1))
    assert not rules.certificate_valid(None, date(2025, 9, 1))
    assert rules.health_check_due(date(2025, 3, 15)) == date(2026, 3, 15)
    assert rules.health_check_due(date(2024, 2, 29)) == date(2025, 2, 28)
    assert "不具傳染性之證明" in rules.health_clearance_needed("contact", None)
    assert rules.health_clearance_needed("contact", date(2025, 4, 1)) is None
    assert "追蹤治療證明" in rules.health_clearance_needed("blood", None)
    assert rules.health_clearance_needed(None, None) is None


def test_expiring_windows():
    today = date(2025, 6, 1)
    assert rules.expiring(None, today) == "missing"
    assert rules.expiring(date(2025, 5, 31), today) == "overdue"
    assert rules.expiring(date(2025, 7, 31), today) == "soon"
    assert rules.expiring(date(2025, 8, 1), today) == "ok"


# --- WE-27, WE-28 ------------------------------------------------------------------------------

def test_we27_suspension_follow_up():
    assert rules.suspension_follow_up_due(date(2025, 6, 1)) == date(2025, 7, 1)


@pytest.mark.parametrize("kw, eligible, escort", [
    (dict(cms_level=4), True, False),
    (dict(cms_level=5, dementia="mild", agitation=True), True, True),
    (dict(cms_level=7), False, False),
    (dict(cms_level=3, dementia="moderate"), False, False),
    (dict(cms_level=4, destination_county="臺中市"), False, False),
    (dict(cms_level=4, carer_drives=True), False, False),
])
def test_we28_transport(kw, eligible, escort):
    args = dict(origin_county="彰化縣", destination_county="彰化縣", county="彰化縣")
    args.update(kw)
    result = rules.transport_eligibility(**args)
    assert (result.eligible, result.escort_required) == (eligible, escort), result.reasons


# --- retention (Q28) ----------------------------------------------------------------------------

def test_retention():
    assert rules.client_file_retained_until(None, date(2025, 1, 1)) is None
    assert rules.client_file_retained_until(date(2025, 6, 30), date(2025, 6, 20)) == date(2032, 6, 30)
    assert rules.billing_retained_until(2025) == date(2032, 12, 31)
