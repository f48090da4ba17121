"""Establishment-plan rules from worked-examples.md WE-36..WE-40 (seed 004)."""
from datetime import date
from decimal import Decimal

import pytest

from portal.establishment import rules


# --- WE-36 supervisors and care workers -------------------------------------------------

@pytest.mark.parametrize("clients, required", [(1, 1), (59, 1), (60, 1), (61, 2), (120, 2), (121, 3),
                                               (181, 4), (0, 1)])
def test_supervisors_required(clients, required):
    assert rules.supervisors_required(clients) == required


def test_business_lead_counts_as_one_supervisor():
    assert rules.supervisors_required(130) == 3
    assert rules.supervisors_to_hire(130, lead_counts_as_supervisor=True) == 2
    assert rules.supervisors_to_hire(130, lead_counts_as_supervisor=False) == 3
    assert rules.supervisors_to_hire(10, lead_counts_as_supervisor=True) == 0


def test_at_least_three_caregivers():
    bad = rules.check_staffing(caregivers=2, supervisors=1, clients=30)
    assert not bad.ok and "照服員至少需 3 人" in bad.problems[0]
    assert rules.check_staffing(caregivers=3, supervisors=1, clients=30).ok


def test_supervisor_shortfall_explained_and_lead_counted():
    check = rules.check_staffing(caregivers=8, supervisors=1, clients=130)
    assert not check.ok and "需專任居服督導 3 人" in check.problems[0] and "尚缺 2 人" in check.problems[0]
    assert rules.check_staffing(caregivers=8, supervisors=2, clients=130, lead_counts_as_supervisor=True).ok


def test_negative_clients_refused():
    with pytest.raises(ValueError):
        rules.supervisors_required(-1)


# --- WE-37 demand estimation --------------------------------------------------------------

SET1 = dict(age_65_plus=10_000, age_50_64=20_000, disabled_male_50_64=1_000, disabled_female_50_64=1_000,
            disabled_male_under_50=1_000, disabled_female_under_50=1_000, indigenous_55_64=500)
AREA_A = dict(age_65_plus=21_345, age_50_64=28_410, disabled_male_50_64=812, disabled_female_50_64=655,
              disabled_male_under_50=1_034, disabled_female_under_50=876, indigenous_55_64=37)
AREA_B = dict(age_65_plus=6_200, age_50_64=9_870, disabled_male_50_64=301, disabled_female_50_64=244,
              disabled_male_under_50=398, disabled_female_under_50=312, indigenous_55_64=12)


def test_demand_set_1():
    d = rules.estimate_demand(**SET1)
    assert d == {"elderly_disabled": Decimal("1270"), "disabled_under_65": Decimal("1037.2"),
                 "indigenous_55_64": Decimal("63.5"), "dementia_50_plus": Decimal("482.98"),
                 "frail_iadl_only": Decimal("48"), "total": Decimal("2901.68")}
    assert all(isinstance(v, Decimal) for v in d.values())


def test_demand_set_2_exact_values():
    a = rules.estimate_demand(**AREA_A)
    assert a["elderly_disabled"] == Decimal("2710.815")
    assert a["disabled_under_65"] == Decimal("872.7821")
    assert a["indigenous_55_64"] == Decimal("4.699")
    assert a["dementia_50_plus"] == Decimal("1022.50989")
    assert a["frail_iadl_only"] == Decimal("102.456")
    assert a["total"] == Decimal("4713.26199")
    b = rules.estimate_demand(**AREA_B)
    assert (b["elderly_disabled"], b["disabled_under_65"], b["indigenous_55_64"], b["dementia_50_plus"],
            b["frail_iadl_only"], b["total"]) == (Decimal("787.4"), Decimal("323.7793"), Decimal("1.524"),
                                                  Decimal("297.95743"), Decimal("29.76"), Decimal("1440.42073"))


def test_demand_table_rounds_cells_and_totals_separately():
    table = rules.demand_table([("甲區", AREA_A), ("乙區", AREA_B)])
    a, b = table.rows
    assert [a.shown[k] for k in rules.DEMAND_KEYS + ("total",)] == [2711, 873, 5, 1023, 102, 4713]
    assert [b.shown[k] for k in rules.DEMAND_KEYS + ("total",)] == [787, 324, 2, 298, 30, 1440]
    assert [table.total_shown[k] for k in rules.DEMAND_KEYS + ("total",)] == [3498, 1197, 6, 1320, 132, 6154]
    assert table.total_exact["total"] == Decimal("6153.68272")
    assert table.total_exact["dementia_50_plus"] == Decimal("1320.46732")
    assert table.rounding_differs  # 甲區 cells add to 4,714, its 合計 shows 4,713


def test_demand_formula_text_shows_figures_and_rates():
    f = rules.demand_formulas(AREA_A)
    assert f["elderly_disabled"] == "21,345×12.7%"
    assert f["frail_iadl_only"] == "21,345×0.48%"
    assert "812×27.49%" in f["disabled_under_65"] and "876×27.62%" in f["disabled_under_65"]
    assert f["dementia_50_plus"] == "21,345×8%×58.9%＋28,410×0.1%×58.9%"


def test_half_up_rounding():
    assert rules.whole_persons(Decimal("4.5")) == 5
    assert rules.whole_persons(Decimal("1.4999")) == 1


# --- WE-38 institution names ---------------------------------------------------------------

def test_names_from_the_four_patterns():
    assert rules.build_institution_name("natural", county="金門縣", distinctive="安心").name == "金門縣私立安心居家長照機構"
    assert rules.build_institution_name(
        "legal", parent="財團法人金門縣安康社會福利基金會", attached=True, county="金門縣", distinctive="安康"
    ).name == "財團法人金門縣安康社會福利基金會附設金門縣私立安康居家長照機構"
    assert rules.build_institution_name("government", parent="衛生福利部金門醫院", attached=True).name == \
        "衛生福利部金門醫院附設居家長照機構"
    assert rules.build_institution_name(
        "school", parent="私立浯江高級中學", attached=True, county="金門縣", distinctive="浯江"
    ).name == "私立浯江高級中學附設金門縣私立浯江居家長照機構"


def test_school_cannot_run_residential_institution():
    result = rules.build_institution_name("school", parent="私立浯江高級中學", attached=True, county="金門縣",
                                          distinctive="浯江", kind="住宿長照機構")
    assert not result.ok and "不能是住宿長照機構" in result.problems[0]


def test_missing_parts_are_explained():
    assert "特取名稱" in rules.build_institution_name("natural", county="金門縣").problems[0]
    assert "須加註特取名稱" in rules.build_institution_name("legal", parent="社團法人某協會",
                                                          has_same_type=True).problems[0]
    assert rules.build_institution_name("legal", parent="社團法人某協會").name == "社團法人某協會私立居家長照機構"
    assert "不加縣市" in rules.build_institution_name("government", parent="某醫院", county="金門縣").problems[0]


def test_check_typed_name_against_pattern():
    assert rules.check_institution_name("金門縣私立安心居家長照機構", "natural") == []
    assert rules.check_institution_name("私立安心居家長照機構", "natural") == []
    missing = rules.check_institution_name("金門縣安心居家長照機構", "natural")
    assert "缺少「私立」" in missing[0] and "(○○縣/市)+私立+○○+居家長照機構" in missing[0]
    assert "須以「居家長照機構」結尾" in rules.check_institution_name("金門縣私立安心長照中心", "natural")[0]
    assert "不是「社區長照機構」" in rules.check_institution_name("金門縣私立安心社區長照機構", "natural")[0]
    assert "缺少特取名稱" in rules.check_institution_name("金門縣私立居家長照機構", "natural")[0]
    assert rules.check_institution_name("衛生福利部金門醫院附設居家長照機構", "government",
                                        parent="衛生福利部金門醫院") == []
    assert "多出「金門縣私立」" in rules.check_institution_name(
        "衛生福利部金門醫院附設金門縣私立居家長照機構", "government", parent="衛生福利部金門醫院")[0]
    assert "須以申請人名稱" in rules.check_institution_name("金門縣私立安心居家長照機構", "legal",
                                                         parent="社團法人某協會")[0]
    assert "只能是縣市名稱" in rules.check_institution_name("好地方私立安心居家長照機構", "natural")[0]


def test_responsible_person_by_applicant_type():
    assert rules.responsible_person("natural") == "applicant"
    assert rules.responsible_person("government") == "applicant"
    assert rules.responsible_person("legal", "group") == "applicant"
    assert rules.responsible_person("legal", "foundation") == "representative"
    assert rules.responsible_person("school") == "principal"


# --- WE-39 budget and projection -------------------------------------------------------------

def test_budget_total():
    rows = [
        {"group": "personnel", "prep_qty": 2, "prep_price": 30_000, "year1_qty": 12, "year1_price": 30_000,
         "year2_qty": 12, "year2_price": 31_000},
        {"group": "equipment", "prep_qty": 3, "prep_price": 15_000, "year1_qty": 12, "year1_price": 15_000,
         "year2_qty": 12, "year2_price": 15_000},
    ]
    totals = rules.budget_totals(rows)
    assert totals.lines[0] == {"prep": 60_000, "year1": 360_000, "year2": 372_000}
    assert totals.lines[1] == {"prep": 45_000, "year1": 180_000, "year2": 180_000}
    assert totals.grand_total == 1_197_000
    assert totals.groups["personnel"]["all"] == 792_000
    assert totals.periods["prep"] == 105_000


def test_projection_balance():
    result = rules.projection_totals({
        "year1": {"home_service_income": 3_000_000, "self_pay_income": 200_000, "other_income": 0,
                  "salaries": 2_600_000, "rent": 180_000, "insurance": 250_000, "other_expenses": 100_000},
        "year2": {"home_service_income": 2_900_000, "salaries": 3_000_000},
    })
    assert result["year1"] == {"income_total": 3_200_000, "expense_total": 3_130_000, "balance": 70_000}
    assert result["year2"]["balance"] == -100_000
    assert result["year3"] == {"income_total": 0, "expense_total": 0, "balance": 0}


# --- WE-40 lease length ----------------------------------------------------------------------

def test_lease_length():
    assert rules.lease_long_enough(date(2025, 7, 1), date(2028, 6, 30))
    assert not rules.lease_long_enough(date(2025, 7, 1), date(2028, 6, 29))
    assert rules.lease_long_enough(date(2024, 2, 29), date(2027, 2, 27))


# --- heading numbers ---------------------------------------------------------------------

def test_heading_numbers_five_levels():
    assert [rules.heading_number(1, n) for n in (1, 2, 3, 10)] == ["壹、", "貳、", "參、", "拾、"]
    assert [rules.heading_number(2, n) for n in (1, 8, 10, 11, 20, 21)] == ["一、", "八、", "十、", "十一、", "二十、",
                                                                           "二十一、"]
    assert rules.heading_number(3, 8) == "(八)"
    assert rules.heading_number(4, 3) == "3、"
    assert rules.heading_number(5, 12) == "(12)、"
    with pytest.raises(ValueError):
        rules.heading_number(6, 1)


# --- 參、三(一) the organisation chart drawn from the staff tables (orgchart.py) ---------------------

def test_org_chart_from_duties_and_roster():
    from portal.establishment import orgchart
    duties = [{"title": "機構負責人", "count": 1}, {"title": "業務負責人", "count": 1}, {"title": "居服督導", "count": 1},
              {"title": "照服員", "count": 8}, {"title": "行政人員", "count": 1}, {"title": "社工", "count": 1}]
    roster = [{"role": "機構負責人", "name": "郭志強"}, {"role": "業務負責人", "name": "林佩君"}] + [
        {"role": "照服員", "name": f"照服員{i}"} for i in range(8)]
    chart = orgchart.build(duties, roster, lead_counts_as_supervisor=True)
    boxes = {b.title: b for b in chart.boxes}
    assert list(boxes) == ["機構負責人", "業務負責人", "居服督導", "行政人員", "社工", "照服員"]
    assert boxes["機構負責人"].lines == ["1 人", "郭志強"]
    assert boxes["業務負責人"].lines == ["1 人", "兼居服督導", "林佩君"]
    assert boxes["照服員"].lines[0] == "8 人" and boxes["照服員"].lines[-1].endswith("…")  # six names, then …
    assert not chart.problems
    # head above lead above the third row; carers under the supervisors; nothing outside the drawing
    assert boxes["機構負責人"].y < boxes["業務負責人"].y < boxes["居服督導"].y < boxes["照服員"].y
    assert boxes["照服員"].cx == boxes["居服督導"].cx
    assert all(0 <= b.x and b.x + b.w <= chart.width and b.y + b.h <= chart.height for b in chart.boxes)
    assert all(0 <= v <= max(chart.width, chart.height) for line in chart.lines for v in line)


def test_org_chart_names_what_r_org_01_lacks():
    from portal.establishment import orgchart
    chart = orgchart.build([{"title": "照服員", "count": 2}], [])
    assert chart.problems == ["組織架構需有機構負責人（參、三(一)1）。", "組織架構需有業務負責人（參、三(一)1）。",
                              "照服員至少需 3 人（參、三(一)1）。"]
    # a role only in the roster still appears, counted from the roster
    chart = orgchart.build([], [{"role": "行政人員", "name": "甲"}, {"role": "行政人員", "name": "乙"}])
    assert next(b for b in chart.boxes if b.title == "行政人員").lines == ["2 人", "甲、乙"]
