"""Family-care billing rules — pure functions (no Flask, no database, no clock).

Spec: family-care.md §4 (eligibility), §6–§7 (subsidy, co-payment, changes),
§9–§10 (records, lock, declaration), §12 (operating limits, carer compliance),
decisions.md Q11–Q18, Q25, Q28; rules-api.md `portal/billing/rules.py`
(`copayment`, `records_locked` are a contract: keep names and meanings).

Money is `int` NTD, ratios `Decimal` (a `str` such as "0.16" is accepted),
never binary floats.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal

from portal.calendar import OfficeCalendar, roll_to_office_day

# --- money ---------------------------------------------------------------------


def as_ratio(ratio) -> Decimal:
    """Return `ratio` as an exact Decimal; refuse binary floats (README §4.4)."""
    if isinstance(ratio, float):
        raise TypeError("ratios must be Decimal or str, never float")
    value = ratio if isinstance(ratio, Decimal) else Decimal(str(ratio))
    if value < 0 or value > 1:
        raise ValueError(f"ratio out of range: {value}")
    return value


def copayment(amount, ratio) -> int:
    """Return the client's share: `amount × ratio` rounded down to the whole dollar (無條件捨去).

    Seed 003 §十二(三); WE-17. Computed exactly in decimal; never derived from
    the subsidy (that rounds the wrong way, WE-17's rejected method).
    """
    amount = int(amount)
    if amount < 0:
        raise ValueError("amount must not be negative")
    return _floored_share(amount, as_ratio(ratio))


def _floored_share(amount: int, ratio: Decimal) -> int:
    """`copayment` for an amount and a ratio already checked."""
    return int((Decimal(amount) * ratio).to_integral_value(rounding=ROUND_FLOOR))


_DIGITS = "零壹貳參肆伍陸柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_GROUP_UNITS = ("", "萬", "億", "兆")


def chinese_numerals(amount: int) -> str:
    """Return `amount` in Chinese financial numerals: 70732 → 柒萬零柒佰參拾貳 (Q25, WE-23)."""
    amount = int(amount)
    if amount < 0:
        raise ValueError("amount must not be negative")
    if amount == 0:
        return "零"
    groups = []
    while amount:
        groups.append(amount % 10000)
        amount //= 10000
    if len(groups) > len(_GROUP_UNITS):
        raise ValueError("amount too large")
    out = []
    pending_zero = False  # zeros seen since the last digit written: one 零 before the next digit
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            pending_zero = pending_zero or bool(out)
            continue
        for pos, power in enumerate((1000, 100, 10, 1)):
            digit = (group // power) % 10
            if digit == 0:
                pending_zero = pending_zero or bool(out)
                continue
            if pending_zero:
                out.append("零")
                pending_zero = False
            out.append(_DIGITS[digit] + _SMALL_UNITS[3 - pos])
        out.append(_GROUP_UNITS[index])
    return "".join(out)


def amount_in_words(amount: int) -> str:
    """Return the receipt wording 「柒萬零柒佰參拾貳元整」 (附件1 「計新台幣 … 元整」)."""
    return chinese_numerals(amount) + "元整"


# --- months, lock and billing deadlines (§9 R-REC-01, §10, Q02, Q14, WE-07) ---------


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    """Return the first day of the month after `day`'s month."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_month(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def month_end(day: date) -> date:
    return next_month(day) - timedelta(days=1)


def month_days(month: date) -> list[date]:
    start = month_start(month)
    return [start + timedelta(days=i) for i in range((month_end(start) - start).days + 1)]


def lock_starts(service_day: date) -> date:
    """Return the first day on which records of `service_day`'s month are read-only: the 6th of M+1.

    The lock is carried out on the 5th and never rolls (Q02, Q14).
    """
    return next_month(service_day).replace(day=6)


def last_editable_day(service_day: date) -> date:
    """Return the last day records of `service_day`'s month can be changed: the 5th of M+1."""
    return next_month(service_day).replace(day=5)


def records_locked(service_day: date, today: date) -> bool:
    """Return True once the 5th of the month after `service_day`'s month has passed (locked from the 6th).

    rules-api.md contract; family-care.md §9 R-REC-01; WE-07.
    """
    if isinstance(today, datetime):
        raise TypeError("pass the Taipei date, not a datetime")
    return today >= lock_starts(service_day)


def declaration_due(service_month: date, *, cal: OfficeCalendar | None = None) -> date:
    """Return when the month's declaration (申報) is due: the 5th of M+1, rolled to an office day (Q02, WE-07)."""
    return roll_to_office_day(next_month(service_month).replace(day=5), cal=cal)


def request_due(service_month: date, *, cal: OfficeCalendar | None = None) -> date:
    """Return when the receipt and summary (請款) are due: the 10th of M+1, rolled (§10 R-BILL-02, Q02)."""
    return roll_to_office_day(next_month(service_month).replace(day=10), cal=cal)


def week_bounds(day: date) -> tuple[date, date]:
    """Return Monday and Sunday of `day`'s calendar week (R-CAPF-02 counts Mon–Sun)."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


# --- eligibility (§4, Q18, WE-16) ---------------------------------------------------

AGE_GENERAL = 65       # §七(一)
AGE_INDIGENOUS = 55    # §七(一)
AGE_DEMENTIA = 50      # §七(三)


def age_on(birth_date: date, day: date) -> int:
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


@dataclass(frozen=True)
class ClientFacts:
    """What eligibility and subsidy depend on, as they stand on one day (§4, §7)."""

    birth_date: date
    indigenous: bool = False
    disability_certificate: bool = False
    dementia_diagnosed_on: date | None = None   # Q18: dementia counts only with a diagnosis date
    cms_level: int | None = None
    welfare_status: str = "general"
    institutional_placement: bool = False        # N1
    foreign_caregiver: bool = False              # N2
    special_allowance: str | None = None         # N3: the excluding allowance's name, if any


@dataclass(frozen=True)
class EligibilityPolicy:
    """The settings eligibility uses (Q18: CMS level 2–8 is a setting)."""

    min_cms_level: int | None = 2
    max_cms_level: int | None = 8


@dataclass(frozen=True)
class Eligibility:
    eligible: bool                 # meets E1–E3 (and the CMS-level setting)
    paid: bool                     # eligible and not excluded (N1–N3): a subsidy may be claimed
    grounds: tuple[str, ...] = ()  # why eligible (zh-TW)
    reasons: tuple[str, ...] = ()  # why not eligible / not paid (zh-TW)

    @property
    def summary(self) -> str:
        if self.paid:
            return "符合補助資格（" + "、".join(self.grounds) + "）"
        if self.eligible:
            return "符合服務對象資格，但不予給付：" + "；".join(self.reasons)
        return "不符合補助資格：" + "；".join(self.reasons)


def eligibility(facts: ClientFacts, day: date, policy: EligibilityPolicy = EligibilityPolicy()) -> Eligibility:
    """Return whether `facts` qualify for a family-care subsidy on `day`, with the reasons (§4, WE-16).

    Eligible iff (E1 ∨ E2 ∨ E3) ∧ CMS level in range; paid iff eligible ∧ ¬(N1 ∨ N2 ∨ N3).
    Age is taken on the service day, "以上" inclusive (Q18).
    """
    age = age_on(facts.birth_date, day)
    grounds, reasons = [], []
    if facts.indigenous and age >= AGE_INDIGENOUS:
        grounds.append(f"具原住民身分且年滿{AGE_INDIGENOUS}歲（{age}歲）")
    elif age >= AGE_GENERAL:
        grounds.append(f"年滿{AGE_GENERAL}歲（{age}歲）")
    if facts.disability_certificate:
        grounds.append("領有身心障礙證明")
    dementia = facts.dementia_diagnosed_on is not None and facts.dementia_diagnosed_on <= day
    if dementia and age >= AGE_DEMENTIA:
        grounds.append(f"{AGE_DEMENTIA}歲以上失智症者（{age}歲）")
    if not grounds:
        limit = AGE_INDIGENOUS if facts.indigenous else AGE_GENERAL
        text = f"未滿{limit}歲（服務日{age}歲）"
        if facts.indigenous:
            text = "具原住民身分但" + text
        text += "，且未領有身心障礙證明"
        if dementia:
            text += f"，失智症但未滿{AGE_DEMENTIA}歲"
        elif facts.dementia_diagnosed_on is not None:
            text += "，失智症診斷日期晚於服務日"
        else:
            text += "，亦無失智症診斷"
        reasons.append(text)
    level = facts.cms_level
    if policy.min_cms_level is not None or policy.max_cms_level is not None:
        low = policy.min_cms_level or 1
        high = policy.max_cms_level or 8
        if level is None:
            reasons.append(f"尚無失能等級（需第{low}至{high}級）")
        elif not low <= level <= high:
            reasons.append(f"失能等級第{level}級，不在第{low}至{high}級範圍")
    eligible = not reasons
    if facts.institutional_placement:
        reasons.append("接受機構收容安置者，不予給付")
    if facts.foreign_caregiver:
        reasons.append("已聘僱外籍看護工，不予給付")
    if facts.special_allowance:
        reasons.append(f"領有政府提供之特別照顧津貼或其他照顧費用補助（{facts.special_allowance}），不予給付")
    paid = eligible and not reasons
    return Eligibility(eligible=eligible, paid=paid, grounds=tuple(grounds), reasons=tuple(reasons))


# --- the carer's family (§6.1 R-SUB-07, Q12, WE-20) ---------------------------------

@dataclass(frozen=True)
class Relation:
    key: str
    label: str
    kind: str     # lineal_blood, lineal_marriage, collateral_marriage, collateral_blood, spouse, none, other
    degree: int   # 親等 (0 for spouse / none)


# The client is the carer's … (data: the bureau changes which of these are excluded, Q12).
CARER_RELATIONS = (
    Relation("none", "非家托員親屬", "none", 0),
    Relation("spouse", "配偶", "spouse", 0),
    Relation("parent", "父母", "lineal_blood", 1),
    Relation("child", "子女", "lineal_blood", 1),
    Relation("grandparent", "祖父母、外祖父母", "lineal_blood", 2),
    Relation("grandchild", "孫子女、外孫子女", "lineal_blood", 2),
    Relation("parent_in_law", "配偶之父母（公婆、岳父母）", "lineal_marriage", 1),
    Relation("step_parent", "父母之配偶（繼父母）", "lineal_marriage", 1),
    Relation("step_child", "配偶之子女", "lineal_marriage", 1),
    Relation("child_spouse", "子女之配偶（媳婦、女婿）", "lineal_marriage", 1),
    Relation("grandparent_in_law", "配偶之祖父母", "lineal_marriage", 2),
    Relation("grandchild_spouse", "孫子女之配偶", "lineal_marriage", 2),
    Relation("spouse_sibling", "配偶之兄弟姊妹", "collateral_marriage", 2),
    Relation("sibling_spouse", "兄弟姊妹之配偶", "collateral_marriage", 2),
    Relation("sibling", "兄弟姊妹", "collateral_blood", 2),
    Relation("other_relative", "其他親屬（三親等以上）", "other", 3),
)
RELATIONS_BY_KEY = {r.key: r for r in CARER_RELATIONS}

# Parse B (default, Q12): lineal blood ≤ 2 degrees, all relatives by marriage ≤ 2, and the spouse.
EXCLUDED_PARSE_B = tuple(r.key for r in CARER_RELATIONS
                         if r.kind in ("spouse", "lineal_blood", "lineal_marriage", "collateral_marriage"))
# Parse A: lineal relatives only (blood or marriage), and the spouse.
EXCLUDED_PARSE_A = tuple(r.key for r in CARER_RELATIONS if r.kind in ("spouse", "lineal_blood", "lineal_marriage"))


def carer_family_exclusion(relation_key: str, excluded_keys=EXCLUDED_PARSE_B) -> tuple[bool, str]:
    """Return (excluded, explanation): may no care-service subsidy be claimed for this relation? (R-SUB-07)."""
    relation = RELATIONS_BY_KEY.get(relation_key)
    if relation is None:
        raise ValueError(f"unknown relation: {relation_key}")
    if relation.kind == "none":
        return False, "個案非家托員之親屬，可申請補助。"
    if relation_key in set(excluded_keys):
        degree = f"{relation.degree}親等" if relation.degree else ""
        return True, (f"個案為家托員之{relation.label}（{degree or '配偶'}），屬二親等內直系血親或姻親之家屬，"
                      "不得申請照顧服務費用補助；服務紀錄照常登打並計入每日收托人數，費用由個案自付。")
    return False, f"個案為家托員之{relation.label}，不在不予補助之親屬範圍內，可申請補助。"


# --- daily limits (§12.1 R-CAPF-01..03, Q17, WE-25) ---------------------------------

MAX_PERSONS_PER_DAY = 4  # 含家托員之失能家屬 (seed)


@dataclass(frozen=True)
class DayLimits:
    max_persons: int = MAX_PERSONS_PER_DAY
    normal_hours: Decimal = Decimal(10)
    max_hours: Decimal = Decimal(12)
    max_days_per_week: int = 5
    refuse_over_week: bool = True          # Q17: more than 5 days a week is refused (setting)
    refuse_outside_hours: bool = True      # issue 5: outside the filed opening hours is refused (setting)


@dataclass(frozen=True)
class OpeningHours:
    """Opening hours filed with the bureau (收托時間, R-CAPF-03)."""

    weekdays: frozenset   # 0 = Monday … 6 = Sunday
    opens: time
    closes: time


WEEKDAY_LABELS = "一二三四五六日"


def hours_between(start: time, end: time) -> Decimal:
    """Return the hours from `start` to `end` on one day, as a Decimal (07:30–19:00 → 11.5)."""
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return Decimal(minutes) / Decimal(60)


@dataclass
class EntryCheck:
    """The outcome of checking one client's record for one day: refusals block saving, notes do not."""

    refusals: list = field(default_factory=list)   # (field, zh-TW message)
    notes: list = field(default_factory=list)      # zh-TW messages

    @property
    def ok(self) -> bool:
        return not self.refusals

    def refuse(self, field_name, message):
        self.refusals.append((field_name, message))


def check_entry(*, day: date, start: time, end: time, other_persons: int, family_count: int,
                days_in_week: int, over_norm_reason: str = "", opening: OpeningHours | None = None,
                carer_family: bool = False, limits: DayLimits = DayLimits()) -> EntryCheck:
    """Check one client's attendance on `day` against the home's limits (R-CAPF-01..03, Q17, WE-25).

    `other_persons`: other clients already recorded that day; `family_count`: the carer's disabled
    family members (not clients) cared for that day; `days_in_week`: the client's service days in
    the Mon–Sun week including this one. The weekly and hourly limits do not apply to the carer's
    own disabled family (「除失能家屬外」).
    """
    check = EntryCheck()
    persons = other_persons + family_count + 1
    if persons > limits.max_persons:
        check.refuse("attended", f"本日收托人數將達 {persons} 人（含家托員失能家屬 {family_count} 人），"
                                 f"超過每日 {limits.max_persons} 人上限，無法再收托。")
    if end <= start:
        check.refuse("end_time", "離開時間必須晚於到達時間。")
        return check
    hours = hours_between(start, end)
    if not carer_family:
        if hours > limits.max_hours:
            check.refuse("end_time", f"本日服務 {_fmt_hours(hours)} 小時，超過每日最多 {_fmt_hours(limits.max_hours)} 小時。")
        elif hours > limits.normal_hours:
            if not (over_norm_reason or "").strip():
                check.refuse("over_norm_reason", f"本日服務 {_fmt_hours(hours)} 小時，超過 {_fmt_hours(limits.normal_hours)} "
                                                 "小時原則，請填寫原因。")
            else:
                check.notes.append(f"超過 {_fmt_hours(limits.normal_hours)} 小時原則（{_fmt_hours(hours)} 小時）：{over_norm_reason.strip()}")
        if days_in_week > limits.max_days_per_week:
            message = f"本週（週一至週日）已服務 {days_in_week - 1} 天，每週以 {limits.max_days_per_week} 天為限。"
            if limits.refuse_over_week:
                check.refuse("attended", message)
            else:
                check.notes.append(message)
    if opening is not None:
        problem = outside_opening_hours(opening, day, start, end)
        if problem:
            if limits.refuse_outside_hours:
                check.refuse("start_time", problem)
            else:
                check.notes.append(problem)
    return check


def outside_opening_hours(opening: OpeningHours, day: date, start: time, end: time) -> str | None:
    """Return why `start`–`end` on `day` is outside the filed opening hours, or None."""
    filed = f"已報備收托時間：週{''.join(WEEKDAY_LABELS[d] for d in sorted(opening.weekdays))} " \
            f"{opening.opens:%H:%M}–{opening.closes:%H:%M}"
    if day.weekday() not in opening.weekdays:
        return f"週{WEEKDAY_LABELS[day.weekday()]}不在報備之收托日（{filed}）。"
    if start < opening.opens or end > opening.closes:
        return f"服務時間 {start:%H:%M}–{end:%H:%M} 超出報備之收托時間（{filed}）。"
    return None


def _fmt_hours(hours: Decimal) -> str:
    text = f"{hours.quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")
    return text or "0"


# --- subsidy facts over time (§7, Q13) ----------------------------------------------

def facts_on(baseline: dict, changes, day: date) -> dict:
    """Return the subsidy facts in effect on `day`: `baseline` with every change dated on or before it applied.

    `changes` are (fact_date, field, value) in any order; a change takes effect from its fact date (§九(二)).
    """
    facts = dict(baseline)
    for fact_date, field_name, value in sorted(changes, key=lambda c: c[0]):
        if fact_date <= day:
            facts[field_name] = value
    return facts


# --- pricing (§6.2, Q11, WE-17..19) -------------------------------------------------

ITEM_ORDER = {"full_day": 0, "half_day": 1, "bath": 2, "dinner": 3}
DAY_FRACTION = {"full_day": Decimal(1), "half_day": Decimal("0.5")}
GRANULARITIES = ("per_month", "per_unit")


@dataclass(frozen=True)
class ServiceUnit:
    """One claimable unit: one client, one day, one item (a family-care day, a bath, a dinner)."""

    client_id: int
    day: date
    item: str                 # full_day, half_day, bath, dinner
    code: str                 # service code, e.g. BC05, BD01
    price: int
    ratio: Decimal            # co-payment ratio for the client's welfare status that day
    row: str                  # declaration row key (DECLARATION_ROWS)
    subsidised: bool = True   # False: family of the carer, not eligible, excluded → self-paid
    uses_quota: bool = True
    quota: int | None = None  # the client's monthly quota in effect that day (None: no limit recorded)
    welfare_status: str = "general"
    label: str = ""


@dataclass(frozen=True)
class PricedUnit:
    unit: ServiceUnit
    declared: int    # amount declared to the bureau (within quota), including the co-payment
    copay: int       # co-payment on the declared amount
    self_pay: int    # paid by the client in full (over quota, or not subsidised)

    @property
    def subsidy(self) -> int:
        return self.declared - self.copay

    @property
    def client_pays(self) -> int:
        return self.copay + self.self_pay


def price_units(units, *, granularity: str = "per_month") -> list[PricedUnit]:
    """Price a set of service units (§6.2, Q11, WE-17..19).

    Units are taken per client in date order against the client's monthly quota; a unit that
    crosses the quota is split (in-quota part declared, the rest self-paid) and later units are
    self-paid. Co-payment: `per_unit` floors each unit's share; `per_month` (decisions Q11) floors
    per client, service code, ratio and month — each unit then carries the increment of the
    floored running total, so the month's units always add up to the floored month total.
    """
    if granularity not in GRANULARITIES:
        raise ValueError(f"unknown granularity: {granularity}")
    ordered = sorted(units, key=lambda u: (u.client_id, u.day, ITEM_ORDER.get(u.item, 9), u.code))
    used = defaultdict(int)          # (client, month) -> quota used
    running = {}                     # (client, month, code, ratio) -> (declared so far, its floored share)
    result = []
    for unit in ordered:
        month = month_start(unit.day)
        if not unit.subsidised:
            result.append(PricedUnit(unit, 0, 0, unit.price))
            continue
        declared = unit.price
        if unit.uses_quota and unit.quota is not None:
            remaining = max(0, unit.quota - used[(unit.client_id, month)])
            declared = min(unit.price, remaining)
            used[(unit.client_id, month)] += declared
        ratio = as_ratio(unit.ratio)
        if granularity == "per_unit":
            copay = copayment(declared, ratio)
        else:
            key = (unit.client_id, month, unit.code, ratio)
            before, floored_before = running.get(key, (0, 0))
            if declared < 0:
                raise ValueError("amount must not be negative")
            floored = _floored_share(int(before + declared), ratio)
            running[key] = (before + declared, floored)
            copay = floored - floored_before
        result.append(PricedUnit(unit, declared, copay, unit.price - declared))
    return result


# --- declaration summary (附件2, §10.1, Q11, Q15, WE-22) -----------------------------

CARE_ROWS = (
    ("a_care_management", "A碼", "照顧管理"),
    ("a_policy", "A碼", "政策鼓勵"),
    ("b_home_care", "B碼", "居家照顧服務"),
    ("b_day_care", "B碼", "日間照顧服務"),
    ("b_family_care", "B碼", "家庭托顧服務"),
    ("b_community", "B碼", "社區式照顧"),
    ("c_professional", "C碼", "專業服務"),
    ("d_transport", "D碼", "交通接送服務"),
    ("g_respite", "G碼", "家庭照顧者支持性服務-喘息服務"),
)
NON_CARE_ROWS = (
    ("meal", "營養餐飲服務(膳費)"),
    ("county_subsidy", "縣市政府補助費用"),
    ("other", "其他服務"),
)
CARE_ROW_KEYS = tuple(r[0] for r in CARE_ROWS)
NON_CARE_ROW_KEYS = tuple(r[0] for r in NON_CARE_ROWS)
DECLARATION_ROW_KEYS = CARE_ROW_KEYS + NON_CARE_ROW_KEYS


@dataclass(frozen=True)
class DeclarationTotals:
    rows: dict                 # row key -> amount
    declared: int              # 申報費用(含部分負擔費用) (1)
    copay: int                 # 僅部分負擔費用 (2)
    non_care_subtotal: int     # 非照顧組合 小計 (3)

    @property
    def claim(self) -> int:
        """申請(補助)費用 (1)−(2)."""
        return self.declared - self.copay

    @property
    def total(self) -> int:
        """合計 = (1) − (2) + 小計."""
        return self.claim + self.non_care_subtotal

    def as_dict(self) -> dict:
        return {"rows": dict(self.rows), "declared": self.declared, "copay": self.copay,
                "claim": self.claim, "non_care_subtotal": self.non_care_subtotal, "total": self.total}


def declaration_totals(lines) -> DeclarationTotals:
    """Add up declaration lines into the 附件2 rows (§10.1).

    Each line has `row`, `amount` (declared, incl. co-payment) and `copay`. Care rows carry the
    amount and their co-payments make (2); the non-care rows (營養餐飲, 縣市政府補助, 其他) carry
    only the part claimed from the bureau (amount − co-payment), since 合計 adds them after (1)−(2).
    """
    rows = {key: 0 for key in DECLARATION_ROW_KEYS}
    declared = copay = 0
    for line in lines:
        if line.row in CARE_ROW_KEYS:
            rows[line.row] += line.amount
            declared += line.amount
            copay += line.copay
        elif line.row in NON_CARE_ROW_KEYS:
            rows[line.row] += line.amount - line.copay
        else:
            raise ValueError(f"unknown declaration row: {line.row}")
    subtotal = sum(rows[k] for k in NON_CARE_ROW_KEYS)
    return DeclarationTotals(rows=rows, declared=declared, copay=copay, non_care_subtotal=subtotal)


# --- subsidy changes: over- and under-payment (§7, Q13, WE-21) ----------------------

@dataclass(frozen=True)
class PaymentDifference:
    overpaid: int    # to recover (溢領款): the unit refunds the bureau (Q13)
    underpaid: int   # to add to the next declaration (Q13)

    @property
    def net(self) -> int:
        return self.underpaid - self.overpaid


def payment_difference(paid: dict, recomputed: dict) -> PaymentDifference:
    """Compare subsidies already paid with subsidies recomputed under the facts in effect (§7).

    `paid` and `recomputed` map a key (e.g. (client, day, item)) to the subsidy in NTD.
    """
    over = under = 0
    for key in set(paid) | set(recomputed):
        diff = recomputed.get(key, 0) - paid.get(key, 0)
        if diff < 0:
            over -= diff
        else:
            under += diff
    return PaymentDifference(overpaid=over, underpaid=under)


def notified_late(fact_date: date, notified_on: date | None, *, grace_days: int = 0) -> bool:
    """Return True when the bureau learned of a subsidy change after the fact (§7: notify proactively)."""
    return notified_on is None or notified_on > fact_date + timedelta(days=grace_days)


# --- carer compliance (§12.2, WE-26) ------------------------------------------------

STAFF_CHANGE_NOTICE_DAYS = 30   # 「事實發生前三十日函文本局核准」
HEALTH_CHECK_ITEMS = (
    ("skin", "皮膚檢查"),
    ("chest_xray", "胸部 X 光（含肺結核）"),
    ("blood", "血液常規及生化"),
    ("urine", "尿液"),
    ("hepatitis", "A、B 型肝炎抗原體報告"),
    ("stool", "糞便檢查(阿米巴痢疾、桿菌性痢疾、寄生蟲)"),
    ("scabies", "疥瘡"),
    ("typhoid", "傷寒"),
)
CLIENT_HEALTH_CHECK_ITEMS = (
    ("general", "一般體檢(身高、體重、聽力、視力、血壓、色盲、腰圍、疥瘡及醫師問診)"),
    ("chest_xray", "胸部 X 光"),
    ("blood", "血液常規及生化檢查"),
)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def staff_change_submit_by(effective_on: date) -> date:
    """Return the last day a staff-change letter may be submitted: 30 calendar days before (WE-26)."""
    return effective_on - timedelta(days=STAFF_CHANGE_NOTICE_DAYS)


def staff_change_problem(submitted_on: date, effective_on: date) -> str | None:
    """Return why a staff change submitted on `submitted_on` is too late for `effective_on`, or None."""
    last = staff_change_submit_by(effective_on)
    if submitted_on > last:
        return (f"人事異動應於事實發生前三十日函文核准：生效日 {_roc(effective_on)} 之異動最晚應於 {_roc(last)} "
                "送出，請改訂較晚之生效日。")
    return None


def health_check_due(last_checked_on: date) -> date:
    """Return when the next annual health check is due (a year after the last, WE-26)."""
    return add_years(last_checked_on, 1)


def certificate_valid(expires_on: date | None, day: date) -> bool:
    """Return True when a CPR/CPCR/BLS certificate is valid on `day` (valid through its expiry date)."""
    return expires_on is not None and day <= expires_on


def health_clearance_needed(route: str | None, clearance_on: date | None) -> str | None:
    """Return what a health-check finding still requires before the person may be scheduled, or None.

    route "contact" (腸道、呼吸道或接觸傳染, e.g. 肺結核): a certificate of non-infectiousness;
    route "blood" (血液傳染, e.g. B型肝炎): may work, with periodic follow-up proof (§十四(二)3).
    """
    if route == "contact" and clearance_on is None:
        return "檢查發現腸道、呼吸道或接觸傳染之疾病，須經治療並提出不具傳染性之證明後方可排班。"
    if route == "blood" and clearance_on is None:
        return "檢查發現血液傳染疾病（如 B 型肝炎），請提供定期追蹤治療證明並落實口罩、手套等防護措施。"
    return None


def expiring(due: date | None, today: date, within_days: int = 60) -> str:
    """Return 'missing', 'overdue', 'soon' (within `within_days`) or 'ok' for a due/expiry date."""
    if due is None:
        return "missing"
    if due < today:
        return "overdue"
    if due <= today + timedelta(days=within_days):
        return "soon"
    return "ok"


# --- 30-day suspension follow-up (§12.11, Q10, WE-27) -------------------------------

SUSPENSION_FOLLOW_UP_DAYS = 30


def suspension_follow_up_due(suspended_from: date) -> date:
    """Return the day a suspended client's follow-up becomes due: 30 days after the start (WE-27).

    The suspension itself is the cases area's record; the family-care home reports the follow-up.
    """
    return suspended_from + timedelta(days=SUSPENSION_FOLLOW_UP_DAYS)


# --- BD03 transport (§12.13, WE-28) ---------------------------------------------------

@dataclass(frozen=True)
class TransportCheck:
    eligible: bool
    escort_required: bool
    reasons: tuple[str, ...] = ()


def transport_eligibility(*, cms_level: int | None, dementia: str = "none", agitation: bool = False,
                          origin_county: str, destination_county: str, county: str,
                          carer_drives: bool = False) -> TransportCheck:
    """Return whether a BD03 trip qualifies (§十四(十三)): levels 2–6, no or mild dementia, both ends in the county.

    `dementia` is "none", "mild", "moderate" or "severe"; a mildly demented client with agitation
    or needing restraint must travel with an escort; the carer may never drive clients.
    """
    reasons = []
    if cms_level is None or not 2 <= cms_level <= 6:
        reasons.append("交通接送限失能等級第2至6級")
    if dementia not in ("none", "mild"):
        reasons.append("交通接送限無失智或輕度失智個案")
    if origin_county != county or destination_county != county:
        reasons.append(f"起訖點兩端皆需位於{county}內")
    if carer_drives:
        reasons.append("家托員不得自行接送長輩，須由特約交通單位接送")
    escort = dementia == "mild" and agitation
    return TransportCheck(eligible=not reasons, escort_required=escort, reasons=tuple(reasons))


# --- retention (§9 R-REC-04, Q28) ---------------------------------------------------

RETENTION_YEARS = 7


def client_file_retained_until(case_ended_on: date | None, last_service_on: date | None) -> date | None:
    """Return the earliest date a client's file may be purged: 7 years after the case ended (Q28).

    While the case is open (no end date) there is no purge date.
    """
    if case_ended_on is None:
        return None
    end = max(d for d in (case_ended_on, last_service_on) if d is not None)
    return add_years(end, RETENTION_YEARS)


def billing_retained_until(service_year: int) -> date:
    """Return the earliest purge date of a service year's billing records: 7 years after the year ends (Q28)."""
    return date(service_year + RETENTION_YEARS, 12, 31)


def _roc(day: date) -> str:
    return f"{day.year - 1911}年{day.month}月{day.day}日"
