"""Result-report rules (成果報告) — pure: no Flask, no session, no clock.

Spec: family-care.md §11 (seed 003 §十三, 附件3), decisions.md Q16 and Q02,
rules-api.md `portal/reports/rules.py`, worked examples WE-02 and WE-24.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Protocol

from portal.calendar import roll_to_office_day

WELFARE_KEYS = ("general", "mid_low", "low")
TABLE_COLUMNS = WELFARE_KEYS + ("total",)
TABLE_ROWS = ("persons", "person_days", "subsidy")

# Person counting (Q16): "last_status" counts a client once, in the status of their
# last service day of the year; "each_status" (family-care.md §11.2, WE-24 variant)
# counts them under every status they held. The total is distinct persons either way.
PERSON_RULES = ("last_status", "each_status")


# --- Due date and lateness (seed 003 §十三(一), WE-02) -----------------------

def result_report_due(service_year: int, *, cal=None) -> date:
    """Return the due date of the report on `service_year`: 15 January of the next year,
    rolled to the next office day (seed 003 §十三(一), rules-api.md, Q02)."""
    return roll_to_office_day(date(service_year + 1, 1, 15), cal=cal)


def result_report_deadline(service_year: int, cutoff: time, tz, *, cal=None) -> datetime:
    """Return the deadline moment: the due day at the bureau's cut-off time.

    A closure on the due day before the cut-off is an office-calendar day off,
    so the roll already moves the deadline to the same time on the next office
    day (R-RPT-02; the cut-off time is an interpretation kept as a setting).
    """
    return datetime.combine(result_report_due(service_year, cal=cal), cutoff, tzinfo=tz)


def is_late(received_at: datetime, deadline: datetime) -> bool:
    """Return True when the bureau received the report after the deadline.

    Q16: a portal submission counts as received at its submission time; late
    reports are marked late, never refused.
    """
    return received_at > deadline


def received_late(received_on: date, due: date) -> bool:
    """Return True when a receipt date (收文日期) is after the due date (WE-02: receipt date counts)."""
    return received_on > due


def days_left(today: date, due: date) -> int:
    """Return the days from `today` to `due` (negative when overdue)."""
    return (due - today).days


def parse_cutoff(text: str) -> time:
    """Parse a cut-off time "17:30"; an empty value means the end of the day."""
    text = (text or "").strip()
    if not text:
        return time(23, 59, 59)
    hours, _, minutes = text.partition(":")
    return time(int(hours), int(minutes or 0))


# --- Figures from the year's service records (family-care.md §11.2, Q16) --------

class ServiceDayLike(Protocol):
    """What billing's `ServiceDayFigure` carries (portal.billing.queries)."""

    client_id: int
    day: date
    day_fraction: Decimal          # 1 or 0.5
    welfare_status: str            # that day's status: general / mid_low / low
    declared_amount: int           # NTD, co-payment included
    copayment: int


@dataclass(frozen=True)
class ClientFacts:
    """Client facts for the user analysis (section 五), loaded from portal.clients."""

    client_id: int
    name: str
    sex: str | None = None                 # "M" / "F"
    birth_date: date | None = None
    cms_level: int | None = None           # 失能等級 1–8
    dementia: bool = False
    disability_category: str | None = None  # 1–8 (ICF), None = no certificate
    disability_degree: str | None = None


@dataclass
class ResultTable:
    """Section 四's table: rows persons / person_days / subsidy × columns general / mid_low / low / total."""

    persons: dict = field(default_factory=dict)
    person_days: dict = field(default_factory=dict)
    subsidy: dict = field(default_factory=dict)
    changed_status: list = field(default_factory=list)   # client ids whose status changed in the year
    client_ids: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {row: {col: str(getattr(self, row)[col]) for col in TABLE_COLUMNS} for row in TABLE_ROWS}


def result_table(days: Iterable[ServiceDayLike], *, person_rule: str = "last_status",
                 half_day_weight: Decimal | str = Decimal("0.5")) -> ResultTable:
    """Return the results table of section 四 from the year's service days.

    - 人日數: each day under that day's status; a half day counts `half_day_weight`
      (Q16: 0.5; family-care.md §11.2 counted it 1). Totals are the column sums.
    - 申請服務補助金額: declared amount minus co-payment, by that day's status (Q16).
    - 人數: see PERSON_RULES; 合計 is always the number of distinct clients.
    """
    if person_rule not in PERSON_RULES:
        raise ValueError(f"unknown person rule {person_rule!r}")
    half = Decimal(str(half_day_weight))
    person_days = {k: Decimal(0) for k in WELFARE_KEYS}
    subsidy = {k: 0 for k in WELFARE_KEYS}
    statuses = defaultdict(set)
    last = {}
    for d in days:
        status = d.welfare_status
        if status not in WELFARE_KEYS:
            raise ValueError(f"unknown welfare status {status!r}")
        fraction = Decimal(str(d.day_fraction))
        person_days[status] += Decimal(1) if fraction >= 1 else half * (fraction / Decimal("0.5"))
        subsidy[status] += int(d.declared_amount) - int(d.copayment)
        statuses[d.client_id].add(status)
        if d.client_id not in last or d.day >= last[d.client_id][0]:
            last[d.client_id] = (d.day, status)
    persons = {k: 0 for k in WELFARE_KEYS}
    if person_rule == "last_status":
        for _day, status in last.values():
            persons[status] += 1
    else:
        for held in statuses.values():
            for status in held:
                persons[status] += 1
    persons["total"] = len(last)
    person_days["total"] = sum(person_days[k] for k in WELFARE_KEYS)
    subsidy["total"] = sum(subsidy[k] for k in WELFARE_KEYS)
    changed = sorted(cid for cid, held in statuses.items() if len(held) > 1)
    return ResultTable(persons=persons, person_days={k: plain_number(v) for k, v in person_days.items()},
                       subsidy=subsidy, changed_status=changed, client_ids=sorted(last))


def plain_number(value: Decimal) -> Decimal:
    """230.0 → 230, 12.50 → 12.5 (figures print without trailing zeros)."""
    value = Decimal(value)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


# --- User analysis (section 五) ----------------------------------------------

def age_band_labels(bounds: list[int]) -> list[tuple[str, int | None, int | None]]:
    """Return (label, low, high) age bands from ascending bounds, e.g. [65, 75, 85] →
    未滿65歲, 65–74歲, 75–84歲, 85歲以上 [interpretation: bands are a setting]."""
    bounds = sorted(int(b) for b in bounds)
    bands = [(f"未滿{bounds[0]}歲", None, bounds[0])] if bounds else [("全部", None, None)]
    for low, high in zip(bounds, bounds[1:]):
        bands.append((f"{low}–{high - 1}歲", low, high))
    if bounds:
        bands.append((f"{bounds[-1]}歲以上", bounds[-1], None))
    return bands


def _age(birth: date, on: date) -> int:
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


def user_analysis(days: Iterable[ServiceDayLike], clients: dict, *, age_bounds=(65, 75, 85)) -> dict:
    """Return section 五: one row per client served in the year and the breakdowns.

    A client's welfare status is that of their last service day (Q16) and their age
    is taken on that day (Q18). Breakdowns count distinct clients:
    cms (失能等級), dementia (失智), welfare (身分福利別), sex (性別), age (年齡), disability (障別).
    """
    last_day, last_status = {}, {}
    for d in days:
        if d.client_id not in last_day or d.day >= last_day[d.client_id]:
            last_day[d.client_id] = d.day
            last_status[d.client_id] = d.welfare_status
    bands = age_band_labels(list(age_bounds))
    breakdowns = {
        "cms": {str(i): 0 for i in range(1, 9)} | {"none": 0},
        "dementia": {"yes": 0, "no": 0},
        "welfare": {k: 0 for k in WELFARE_KEYS},
        "sex": {"M": 0, "F": 0},
        "age": {label: 0 for label, _, _ in bands},
        "disability": {str(i): 0 for i in range(1, 9)} | {"none": 0},
    }
    rows = []
    for client_id in sorted(last_day, key=lambda cid: (getattr(clients.get(cid), "name", ""), cid)):
        facts = clients.get(client_id) or ClientFacts(client_id=client_id, name=f"個案{client_id}")
        age = _age(facts.birth_date, last_day[client_id]) if facts.birth_date else None
        band = next((label for label, low, high in bands
                     if age is not None and (low is None or age >= low) and (high is None or age < high)), None)
        cms = str(facts.cms_level) if facts.cms_level else "none"
        disability = str(facts.disability_category) if facts.disability_category else "none"
        breakdowns["cms"][cms] = breakdowns["cms"].get(cms, 0) + 1
        breakdowns["dementia"]["yes" if facts.dementia else "no"] += 1
        breakdowns["welfare"][last_status[client_id]] += 1
        if facts.sex in breakdowns["sex"]:
            breakdowns["sex"][facts.sex] += 1
        if band:
            breakdowns["age"][band] += 1
        breakdowns["disability"][disability] = breakdowns["disability"].get(disability, 0) + 1
        rows.append({"client_id": client_id, "name": facts.name, "cms_level": facts.cms_level,
                     "dementia": bool(facts.dementia), "welfare": last_status[client_id], "sex": facts.sex,
                     "age": age, "disability_category": facts.disability_category,
                     "disability_degree": facts.disability_degree})
    return {"rows": rows, "breakdowns": breakdowns, "age_bands": [label for label, _, _ in bands]}


# --- Overrides (a figure the unit changed keeps the computed value beside it) -----

def apply_overrides(computed: dict, overrides: dict) -> dict:
    """Return {key: {"value", "computed", "overridden", "reason"}} for every computed figure key.

    `computed` maps figure keys ("table.persons.general", "breakdown.sex.M") to values;
    `overrides` maps keys to (value, reason).
    """
    result = {}
    for key, value in computed.items():
        if key in overrides:
            new, reason = overrides[key]
            result[key] = {"value": str(new), "computed": str(value), "overridden": True, "reason": reason}
        else:
            result[key] = {"value": str(value), "computed": str(value), "overridden": False, "reason": ""}
    return result


def override_problem(value_text: str, reason: str, *, decimal_allowed: bool) -> str | None:
    """Return why an override cannot be saved (zh-TW), or None."""
    if not (reason or "").strip():
        return "調整數值時必須填寫理由"
    try:
        value = Decimal((value_text or "").strip().replace(",", ""))
    except Exception:
        return "請輸入數字"
    if not value.is_finite() or value < 0:
        return "數值不能為負數"
    if not decimal_allowed and value != value.to_integral_value():
        return "此欄位須為整數"
    if decimal_allowed and (value * 2) != (value * 2).to_integral_value():
        return "人日數以 0.5 日為單位"
    return None


def table_inconsistencies(final: dict, *, persons_add_up: bool = True) -> list[str]:
    """Return warnings when a column sum no longer equals its 合計 after overrides.

    Persons add up only under the "last_status" rule (each client in one column).
    """
    labels = {"person_days": "人日數", "subsidy": "申請服務補助金額", "persons": "人數"}
    problems = []
    for row in (("persons",) if persons_add_up else ()) + ("person_days", "subsidy"):
        parts = sum(Decimal(final[f"table.{row}.{k}"]["value"]) for k in WELFARE_KEYS)
        total = Decimal(final[f"table.{row}.total"]["value"])
        if parts != total:
            problems.append(f"{labels[row]}：各身分別加總 {plain_number(parts)} 與合計 {plain_number(total)} 不一致")
    return problems


def flatten_figures(table: dict, breakdowns: dict) -> dict:
    """Return the figure keys of a report: table.<row>.<col> and breakdown.<group>.<item>."""
    flat = {}
    for row in TABLE_ROWS:
        for col in TABLE_COLUMNS:
            flat[f"table.{row}.{col}"] = table[row][col]
    for group, items in breakdowns.items():
        for item, count in items.items():
            flat[f"breakdown.{group}.{item}"] = count
    return flat


# --- Section completeness (progress list) --------------------------------------

def satisfaction_summary(counts: dict) -> dict:
    """Return the percentage of each satisfaction level among answers, one decimal, half up,
    and the share satisfied (非常滿意 + 滿意)."""
    levels = ("very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied")
    values = {k: int(counts.get(k) or 0) for k in levels}
    answered = sum(values.values())
    q = Decimal("0.1")
    if not answered:
        return {"answered": 0, "percent": {k: None for k in levels}, "satisfied_percent": None}
    pct = {k: (Decimal(v) * 100 / answered).quantize(q, rounding=ROUND_HALF_UP) for k, v in values.items()}
    sat = (Decimal(values["very_satisfied"] + values["satisfied"]) * 100 / answered).quantize(q, rounding=ROUND_HALF_UP)
    return {"answered": answered, "percent": pct, "satisfied_percent": sat}


def _filled(data: dict, key: str) -> bool:
    value = data.get(key)
    return value not in (None, "") and (not isinstance(value, str) or bool(value.strip()))


def section_missing(key: str, data: dict, *, figures_computed: bool = False, photo_count: int = 0) -> list[str]:
    """Return what a section still lacks (zh-TW labels); an empty list means complete."""
    data = data or {}
    need = []
    if key == "basics":
        for field_key, label in (("unit_name", "單位名稱"), ("project_name", "計畫案名稱"),
                                 ("period_start", "執行期程起日"), ("period_end", "執行期程迄日")):
            if not _filled(data, field_key):
                need.append(label)
    elif key == "results":
        if not figures_computed:
            need.append("依服務紀錄計算數值")
    elif key == "users":
        if not figures_computed:
            need.append("依服務紀錄帶入使用者資料")
        if not _filled(data, "analysis"):
            need.append("分析說明")
    elif key == "courses":
        months = data.get("months") or []
        if not any(_filled(m, "activities") for m in months):
            need.append("至少一個月的活動內容")
        if not photo_count:
            need.append("活動照片")
    elif key == "conclusion":
        for field_key, label in (("conclusion", "結論"), ("strengths", "優點"), ("improvements", "缺點與改善事項")):
            if not _filled(data, field_key):
                need.append(label)
    elif key == "satisfaction":
        if not int(data.get("returned") or 0):
            need.append("問卷回收份數")
        if not _filled(data, "qualitative"):
            need.append("質化分析")
    elif key == "other":
        if not _filled(data, "remarks"):
            need.append("其他說明及建議（無則填「無」）")
    elif key == "signer":
        for field_key, label in (("title", "填表人職稱"), ("filled_on", "填具日期")):
            if not _filled(data, field_key):
                need.append(label)
    return need


def satisfaction_problem(data: dict) -> str | None:
    """Return why the satisfaction counts do not add up, or None."""
    issued = int(data.get("issued") or 0)
    returned = int(data.get("returned") or 0)
    answered = sum(int(data.get(k) or 0) for k in
                   ("very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied"))
    if issued and returned > issued:
        return "回收份數不能多於發出份數"
    if answered > returned:
        return "各滿意程度份數加總不能多於回收份數"
    return None
