"""Establishment-plan rules (seed 004) — pure: no Flask, no database, no clock.

Spec: establishment-plan.md; contract of `estimate_demand` and
`supervisors_required`: rules-api.md; worked examples WE-36..WE-40.
"""
import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

# --- heading numbering (seed 004 壹、三(二)2; establishment-plan.md §1) -----------------

_FORMAL = "零壹貳參肆伍陸柒捌玖拾"
_DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """Return 一…九十九 the way headings write them (十, 十一, 二十, 二十一)."""
    if not 1 <= n <= 99:
        raise ValueError("heading numbers run from 1 to 99")
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    head = "十" if tens == 1 else _DIGITS[tens] + "十"
    return head + (_DIGITS[ones] if ones else "")


def heading_number(level: int, n: int) -> str:
    """Return the ROC-style number of the n-th heading at `level` (1–5): 壹、 一、 (一) 1、 (1)、."""
    if level == 1:
        if not 1 <= n <= 10:
            raise ValueError("level-1 headings run from 壹 to 拾")
        return _FORMAL[n] + "、"
    if level == 2:
        return chinese_numeral(n) + "、"
    if level == 3:
        return f"({chinese_numeral(n)})"
    if level == 4:
        return f"{n}、"
    if level == 5:
        return f"({n})、"
    raise ValueError("headings have five levels (seed 004 壹、三(二)2)")


# --- staffing (seed 004 參、三(一); WE-36) --------------------------------------------

MIN_CAREGIVERS = 3          # R-ORG-01: 照服員至少 3 人
CLIENTS_PER_SUPERVISOR = 60  # R-ORG-02: 每 60 人應置居服督導 1 人，未滿 60 人以 60 人計


def supervisors_required(clients: int) -> int:
    """One full-time home-service supervisor per 60 clients, fewer than 60 counted as 60 (0 clients: 1, Q22)."""
    if clients < 0:
        raise ValueError("clients cannot be negative")
    return max(1, math.ceil(clients / CLIENTS_PER_SUPERVISOR))


def supervisors_to_hire(clients: int, lead_counts_as_supervisor: bool) -> int:
    """Dedicated supervisors still needed when a qualified business lead counts as one (R-ORG-03)."""
    return max(0, supervisors_required(clients) - (1 if lead_counts_as_supervisor else 0))


@dataclass
class StaffingCheck:
    caregivers: int
    supervisors: int
    clients: int
    lead_counts_as_supervisor: bool
    required: int
    problems: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.problems


def check_staffing(*, caregivers: int, supervisors: int, clients: int,
                   lead_counts_as_supervisor: bool = False) -> StaffingCheck:
    """Check the staff table against R-ORG-01..03; `clients` = year-1 expected clients (參、七(四))."""
    required = supervisors_required(clients)
    check = StaffingCheck(caregivers, supervisors, clients, lead_counts_as_supervisor, required)
    if caregivers < MIN_CAREGIVERS:
        check.problems.append(f"照服員至少需 {MIN_CAREGIVERS} 人，目前填 {caregivers} 人（參、三(一)1）。")
    counted = supervisors + (1 if lead_counts_as_supervisor else 0)
    if counted < required:
        lead = "（含具居服督導資格之業務負責人 1 人）" if lead_counts_as_supervisor else ""
        check.problems.append(
            f"預估第一年收案 {clients} 人，需專任居服督導 {required} 人（每 60 人 1 人，未滿 60 人以 60 人計）；"
            f"目前計 {counted} 人{lead}，尚缺 {required - counted} 人（參、三(一)2、3）。")
    return check


# --- demand estimation (seed 004 參、四(二); rules-api.md; WE-37; Q23) ---------------------

RATE_ELDERLY = Decimal("0.127")          # 65 歲以上者長照需要率 12.7%（99 年人口及住宅普查）
RATE_DISABLED_50_64_MALE = Decimal("0.2749")
RATE_DISABLED_50_64_FEMALE = Decimal("0.2507")
RATE_DISABLED_UNDER_50_MALE = Decimal("0.2354")
RATE_DISABLED_UNDER_50_FEMALE = Decimal("0.2762")
RATE_INDIGENOUS = Decimal("0.127")
RATE_DEMENTIA_65 = Decimal("0.08")
RATE_DEMENTIA_50_64 = Decimal("0.001")
NO_ADL_SHARE = Decimal("0.411")          # 失智症者中無 ADLs 失能比率 41.1%
RATE_FRAIL = Decimal("0.0048")           # 衰弱老人盛行率 0.48%

DEMAND_KEYS = ("elderly_disabled", "disabled_under_65", "indigenous_55_64", "dementia_50_plus", "frail_iadl_only")
DEMAND_LABELS = {
    "elderly_disabled": "65 歲以上失能老年人",
    "disabled_under_65": "64 歲以下失能身心障礙者",
    "indigenous_55_64": "55-64 歲失能原住民",
    "dementia_50_plus": "50 歲以上失智者",
    "frail_iadl_only": "僅 IADL 需協助之衰弱老人",
}
POPULATION_FIELDS = ("age_65_plus", "age_50_64", "disabled_male_50_64", "disabled_female_50_64",
                     "disabled_male_under_50", "disabled_female_under_50", "indigenous_55_64")
POPULATION_LABELS = {
    "age_65_plus": "65 歲以上人口數",
    "age_50_64": "50-64 歲人口數",
    "disabled_male_50_64": "50-64 歲身心障礙者（男）",
    "disabled_female_50_64": "50-64 歲身心障礙者（女）",
    "disabled_male_under_50": "未滿 50 歲身心障礙者（男）",
    "disabled_female_under_50": "未滿 50 歲身心障礙者（女）",
    "indigenous_55_64": "55-64 歲原住民人口數",
}


def estimate_demand(*, age_65_plus, age_50_64, disabled_male_under_50, disabled_female_under_50,
                    disabled_male_50_64, disabled_female_50_64, indigenous_55_64) -> dict:
    """Return the five LTC-demand estimates and their total, exact (population × need rate)."""
    p65, p50 = Decimal(age_65_plus), Decimal(age_50_64)
    with_adl = 1 - NO_ADL_SHARE
    result = {
        "elderly_disabled": p65 * RATE_ELDERLY,
        "disabled_under_65": (Decimal(disabled_male_50_64) * RATE_DISABLED_50_64_MALE
                              + Decimal(disabled_female_50_64) * RATE_DISABLED_50_64_FEMALE
                              + Decimal(disabled_male_under_50) * RATE_DISABLED_UNDER_50_MALE
                              + Decimal(disabled_female_under_50) * RATE_DISABLED_UNDER_50_FEMALE),
        "indigenous_55_64": Decimal(indigenous_55_64) * RATE_INDIGENOUS,
        "dementia_50_plus": p65 * RATE_DEMENTIA_65 * with_adl + p50 * RATE_DEMENTIA_50_64 * with_adl,
        "frail_iadl_only": p65 * RATE_FRAIL,
    }
    result["total"] = sum((result[k] for k in DEMAND_KEYS), Decimal(0))
    return result


def whole_persons(value: Decimal) -> int:
    """Round an estimate half up to whole persons for display (Q23)."""
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _pct(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def demand_formulas(inputs: dict) -> dict:
    """Return, per category, the formula with this area's figures, shown under each estimate."""
    g = {k: f"{int(inputs.get(k) or 0):,}" for k in POPULATION_FIELDS}
    keep = _pct(1 - NO_ADL_SHARE)
    return {
        "elderly_disabled": f"{g['age_65_plus']}×{_pct(RATE_ELDERLY)}",
        "disabled_under_65": (f"({g['disabled_male_50_64']}×{_pct(RATE_DISABLED_50_64_MALE)}＋"
                              f"{g['disabled_female_50_64']}×{_pct(RATE_DISABLED_50_64_FEMALE)})＋"
                              f"({g['disabled_male_under_50']}×{_pct(RATE_DISABLED_UNDER_50_MALE)}＋"
                              f"{g['disabled_female_under_50']}×{_pct(RATE_DISABLED_UNDER_50_FEMALE)})"),
        "indigenous_55_64": f"{g['indigenous_55_64']}×{_pct(RATE_INDIGENOUS)}",
        "dementia_50_plus": (f"{g['age_65_plus']}×{_pct(RATE_DEMENTIA_65)}×{keep}＋"
                             f"{g['age_50_64']}×{_pct(RATE_DEMENTIA_50_64)}×{keep}"),
        "frail_iadl_only": f"{g['age_65_plus']}×{_pct(RATE_FRAIL)}",
    }


@dataclass
class DemandRow:
    area: str
    inputs: dict
    exact: dict
    shown: dict
    formulas: dict


@dataclass
class DemandTable:
    rows: list
    total_exact: dict
    total_shown: dict

    @property
    def rounding_differs(self) -> bool:
        """True when some displayed row or column does not add up to its displayed total (footnote)."""
        for row in self.rows:
            if sum(row.shown[k] for k in DEMAND_KEYS) != row.shown["total"]:
                return True
        for key in DEMAND_KEYS + ("total",):
            if sum(r.shown[key] for r in self.rows) != self.total_shown[key]:
                return True
        return False


def demand_table(areas: list) -> DemandTable:
    """Build the per-area demand table; `areas` = [(area name, population inputs dict)].

    Cells show whole persons rounded half up; totals are computed from exact values and
    rounded separately, so displayed sums may differ by 1–2 (Q23, WE-37).
    """
    rows = []
    totals = {k: Decimal(0) for k in DEMAND_KEYS + ("total",)}
    for name, inputs in areas:
        clean = {k: int(inputs.get(k) or 0) for k in POPULATION_FIELDS}
        exact = estimate_demand(**clean)
        for k in totals:
            totals[k] += exact[k]
        rows.append(DemandRow(name, clean, exact, {k: whole_persons(v) for k, v in exact.items()},
                              demand_formulas(clean)))
    return DemandTable(rows, totals, {k: whole_persons(v) for k, v in totals.items()})


# --- institution names (seed 004 參、一; WE-38) ---------------------------------------------

APPLICANT_TYPES = {
    "natural": "以自然人為申請人者",
    "legal": "以法人或團體為申請人者",
    "government": "以直轄市、縣市政府及其他政府機關/構為申請人者",
    "school": "以私立學校之校長為申請人者",
}
INSTITUTION_KINDS = ("居家長照機構", "社區長照機構", "住宿長照機構", "綜合長照機構")
PLAN_KIND = "居家長照機構"   # this plan is for a home-care institution (參、四(三))
NAME_PATTERNS = {
    "natural": "(○○縣/市)+私立+○○+居家長照機構",
    "legal": "法人或團體名稱+(附設)+(○○縣/市)+私立+○○居家長照機構",
    "government": "政府機關/構名稱+(附設)+居家長照機構",
    "school": "私立學校名稱+(附設)+(○○縣/市)+私立+○○+居家長照機構",
}
_KINDS_ALLOWED = {"natural": INSTITUTION_KINDS, "legal": INSTITUTION_KINDS, "government": INSTITUTION_KINDS,
                  "school": ("居家長照機構", "社區長照機構", "綜合長照機構")}
_COUNTY = re.compile(r"^\S{1,4}[縣市]$")


@dataclass
class NameResult:
    name: str | None
    problems: list = field(default_factory=list)

    @property
    def ok(self):
        return self.name is not None and not self.problems


def build_institution_name(applicant_type: str, *, parent: str = "", attached: bool = False, county: str = "",
                           distinctive: str = "", kind: str = PLAN_KIND,
                           has_same_type: bool = False) -> NameResult:
    """Build the institution name from its parts by naming rule N1–N4, or say which part is wrong."""
    parent, county, distinctive = (parent or "").strip(), (county or "").strip(), (distinctive or "").strip()
    problems = []
    if applicant_type not in APPLICANT_TYPES:
        return NameResult(None, ["請選擇申請人類別（自然人、法人或團體、政府機關/構、私立學校校長）。"])
    pattern = f"{APPLICANT_TYPES[applicant_type]}，名稱為：{NAME_PATTERNS[applicant_type].replace(PLAN_KIND, kind)}。"
    if kind not in _KINDS_ALLOWED[applicant_type]:
        allowed = "／".join(_KINDS_ALLOWED[applicant_type])
        problems.append(f"{APPLICANT_TYPES[applicant_type]}，機構類型只能是{allowed}，不能是{kind}。")
    if county and not _COUNTY.match(county):
        problems.append(f"縣市名稱「{county}」應以「縣」或「市」結尾。")
    if applicant_type in ("legal", "government", "school") and not parent:
        label = {"legal": "法人或團體名稱", "government": "政府機關/構名稱", "school": "私立學校名稱"}[applicant_type]
        problems.append(f"請填寫{label}（{pattern}）")
    if applicant_type == "school" and parent and not parent.startswith("私立"):
        problems.append(f"私立學校名稱應以「私立」開頭（{pattern}）")
    if applicant_type in ("natural", "school") and not distinctive:
        problems.append(f"請填寫特取名稱○○（{pattern}）")
    if applicant_type == "legal" and has_same_type and not distinctive:
        problems.append("法人或團體設立一個以上同類型之長照機構，須加註特取名稱。")
    if applicant_type == "government" and (county or distinctive):
        problems.append(f"政府機關/構附設之機構名稱不加縣市、私立及特取名稱（{pattern}）")
    if problems:
        return NameResult(None, problems)
    if applicant_type == "natural":
        name = f"{county}私立{distinctive}{kind}"
    elif applicant_type == "government":
        name = f"{parent}{'附設' if attached else ''}{kind}"
    else:
        name = f"{parent}{'附設' if attached else ''}{county}私立{distinctive}{kind}"
    return NameResult(name, [])


def check_institution_name(name: str, applicant_type: str, *, parent: str = "", kind: str = PLAN_KIND,
                           has_same_type: bool = False) -> list:
    """Return why `name` does not fit the naming rule of `applicant_type` (empty list: it fits)."""
    name = (name or "").strip()
    if applicant_type not in APPLICANT_TYPES:
        return ["請選擇申請人類別。"]
    pattern = f"{APPLICANT_TYPES[applicant_type]}，名稱應為：{NAME_PATTERNS[applicant_type].replace(PLAN_KIND, kind)}"
    if not name:
        return ["請填寫機構名稱。"]
    problems = []
    suffix = next((k for k in INSTITUTION_KINDS if name.endswith(k)), None)
    if suffix is None:
        return [f"名稱須以「{kind}」結尾（{pattern}）。"]
    if suffix != kind:
        problems.append(f"本計畫書為居家式長照機構，名稱須以「{kind}」結尾，不是「{suffix}」。")
    body = name[: -len(suffix)]
    parent = (parent or "").strip()
    if applicant_type in ("legal", "government", "school"):
        if not parent:
            problems.append(f"請先填寫申請之法人、團體、機關或學校名稱（{pattern}）。")
            return problems
        if not body.startswith(parent):
            problems.append(f"名稱須以申請人名稱「{parent}」開頭（{pattern}）。")
            return problems
        body = body[len(parent):]
        if body.startswith("附設"):
            body = body[2:]
    if applicant_type == "government":
        if body:
            problems.append(f"政府機關/構附設之機構名稱在機關名稱（及「附設」）之後應直接接「{kind}」，"
                            f"不加縣市、私立或特取名稱；多出「{body}」（{pattern}）。")
        return problems
    county_part, _, rest = body.partition("私立")
    if "私立" not in body:
        problems.append(f"名稱缺少「私立」（{pattern}）。")
        return problems
    if county_part and not _COUNTY.match(county_part):
        problems.append(f"「私立」之前只能是縣市名稱（○○縣/市），不能是「{county_part}」（{pattern}）。")
    if not rest and (applicant_type in ("natural", "school") or has_same_type):
        reason = "法人或團體設立一個以上同類型之長照機構，須加註特取名稱" if applicant_type == "legal" else pattern
        problems.append(f"「私立」與「{suffix}」之間缺少特取名稱○○（{reason}）。")
    return problems


# 負責人 (seed 004 參、一「負責人姓名」)
LEGAL_FORMS = {
    "group": "團體附設",
    "ltc_foundation": "長照機構財團法人附設",
    "ltc_association": "長照機構社團法人附設",
    "foundation": "財團法人附設",
    "association": "社團法人附設",
}
RESPONSIBLE_LABELS = {"applicant": "申請人", "representative": "法人之代表人", "principal": "校長"}


def responsible_person(applicant_type: str, legal_form: str = "") -> str:
    """Return who must be the responsible person: 'applicant', 'representative' or 'principal'."""
    if applicant_type == "school":
        return "principal"
    if applicant_type == "legal" and legal_form and legal_form != "group":
        return "representative"
    return "applicant"


# --- budget and projection (seed 004 參、七; WE-39) ------------------------------------------

PERIODS = ("prep", "year1", "year2")
PERIOD_LABELS = {"prep": "籌備期", "year1": "第一年", "year2": "第二年"}


def _int(value) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def line_total(quantity, unit_price) -> int:
    """總金額 = 數量 × 單價 (integers, NTD)."""
    return _int(quantity) * _int(unit_price)


@dataclass
class BudgetTotals:
    lines: list            # per row: {period: total}
    periods: dict          # period -> total
    groups: dict           # group -> {period: total, "all": total}
    grand_total: int       # 總經費需求


def budget_totals(rows: list) -> BudgetTotals:
    """Sum a budget: each row {"group", "prep_qty", "prep_price", …}; 總經費需求 = Σ over all periods."""
    lines, periods, groups = [], {p: 0 for p in PERIODS}, {}
    for row in rows:
        totals = {p: line_total(row.get(f"{p}_qty"), row.get(f"{p}_price")) for p in PERIODS}
        lines.append(totals)
        g = groups.setdefault(row.get("group", ""), {p: 0 for p in PERIODS} | {"all": 0})
        for p in PERIODS:
            periods[p] += totals[p]
            g[p] += totals[p]
            g["all"] += totals[p]
    return BudgetTotals(lines, periods, groups, sum(periods.values()))


PROJECTION_YEARS = ("year1", "year2", "year3")
INCOME_ITEMS = ("home_service_income", "self_pay_income", "other_income")
EXPENSE_ITEMS = ("salaries", "rent", "insurance", "other_expenses")


def projection_totals(years: dict) -> dict:
    """Per year: 收入總額, 支出總額 and 本期餘絀 = 收入總額 − 支出總額 (參、七(四))."""
    result = {}
    for y in PROJECTION_YEARS:
        values = years.get(y) or {}
        income = sum(_int(values.get(k)) for k in INCOME_ITEMS)
        expenses = sum(_int(values.get(k)) for k in EXPENSE_ITEMS)
        result[y] = {"income_total": income, "expense_total": expenses, "balance": income - expenses}
    return result


# --- lease (seed 004 參、八(四); WE-40) -----------------------------------------------------

def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def lease_long_enough(start: date, end: date, years: int = 3) -> bool:
    """A lease of at least 3 years: end ≥ start + 3 years − 1 day (both days counted)."""
    return end >= add_years(start, years) - timedelta(days=1)
