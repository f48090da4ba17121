"""From stored records to priced units and declaration lines (the glue between the
database and the pure rules in `rules.py`).

- `RateBook`: the dated price and co-payment tables, with the shipped defaults
  (external values, spec README §6.2, family-care.md §6) where the bureau has
  entered nothing for a date.
- `facts_for(admission, day)`: the subsidy facts in effect on a day (§7).
- `price_month(org_id, month)`: every service unit of a home's month, priced.
- `month_lines(...)`: those units summed into item-list lines (清冊, Q15).
- `declaration_lines(...)`: a declaration's lines — its own month, plus the
  differences for earlier months already declared (late corrections, subsidy
  changes: §7 / Q13 "added to the next declaration"). It reads the whole range once
  (`service_days_between`, `declarations_by_month`, `declared_lines_by_month`) and prices each
  month in memory: a fixed number of queries whatever the home's history (issue 10).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from portal.billing import rules
from portal.billing import settings as billing_settings
from sqlalchemy.orm import joinedload, selectinload

from portal.billing.models import (
    ITEM_LABELS, CareAdmission, CopayRatio, Declaration, DeclarationLine, ServiceDay, ServicePrice, SubsidyChange,
)
from portal.extensions import db

EXTERNAL_SOURCE = "系統預設：衛生福利部長期照顧給付及支付基準 [external，待確認]"
SEED_SOURCE = "seed 003 §九(一)2–3（以 1 次/天給支付單位）；代碼 [external，待確認]"
DEFAULT_FROM = date(2019, 1, 1)

# (code, item, cms_level, label, price) — family-care day prices by CMS level [external, to be
# confirmed before go-live]; bath 200 and dinner 150 per day are the seed's (§九(一)2–3).
DEFAULT_PRICES = [
    *[(f"BC{2 * i + 1:02d}", "full_day", level, f"家庭托顧(全日)-第{level}級", price)
      for i, (level, price) in enumerate(zip(range(2, 9), (625, 760, 830, 945, 1020, 1090, 1160)))],
    *[(f"BC{2 * i + 2:02d}", "half_day", level, f"家庭托顧(半日)-第{level}級", price)
      for i, (level, price) in enumerate(zip(range(2, 9), (315, 380, 415, 475, 510, 545, 580)))],
    ("BD01", "bath", None, "社區式協助沐浴", 200),
    ("BD02", "dinner", None, "社區式晚餐", 150),
]
# Care services (B/C/G) co-payment ratios [external]: README §6.2.
DEFAULT_RATIOS = {"general": "0.16", "mid_low": "0.05", "low": "0"}
ITEMS = ("full_day", "half_day", "bath", "dinner")


@dataclass(frozen=True)
class Price:
    code: str
    item: str
    cms_level: int | None
    label: str
    price: int
    effective_from: date
    effective_to: date | None
    source: str
    id: int | None = None

    def covers(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


@dataclass(frozen=True)
class Ratio:
    welfare_status: str
    ratio: Decimal
    effective_from: date
    effective_to: date | None
    source: str
    id: int | None = None

    def covers(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


class MissingRate(LookupError):
    pass


class RateBook:
    """The dated price and ratio tables: the bureau's rows win over the shipped defaults."""

    def __init__(self, prices: list[Price], ratios: list[Ratio]):
        self.prices = prices
        self.ratios = ratios
        # rows by item / welfare status: a declaration looks a price up for every unit of up to 25 months
        self._prices_by_item = _by(prices, "item")
        self._ratios_by_status = _by(ratios, "welfare_status")
        # answers already looked up: the same item, level and day recur for every client of a home (issue 10:
        # the monthly declaration prices ~5,000 units of 25 months on every request)
        self._price_memo = {}
        self._ratio_memo = {}

    @classmethod
    def load(cls) -> "RateBook":
        prices = [Price(p.code, p.item, p.cms_level, p.label, p.price, p.effective_from, p.effective_to, p.source,
                        p.id) for p in db.session.execute(db.select(ServicePrice)).scalars()]
        ratios = [Ratio(r.welfare_status, r.ratio, r.effective_from, r.effective_to, r.source, r.id)
                  for r in db.session.execute(db.select(CopayRatio)).scalars()]
        return cls(prices, ratios)

    @staticmethod
    def default_prices() -> list[Price]:
        return list(_DEFAULT_PRICES)

    @staticmethod
    def default_ratios() -> list[Ratio]:
        return list(_DEFAULT_RATIOS)

    def price(self, item: str, cms_level: int | None, day: date) -> Price:
        """Return the price of `item` for a client of `cms_level` on `day` (latest effective row wins)."""
        key = (item, cms_level, day)
        found = self._price_memo.get(key)
        if found is None:
            found = self._price_memo[key] = self._find_price(item, cms_level, day)
        return found

    def _find_price(self, item: str, cms_level: int | None, day: date) -> Price:
        def matches(p):
            return p.covers(day) and (p.cms_level is None or p.cms_level == cms_level)
        for source in (self._prices_by_item, _DEFAULT_PRICES_BY_ITEM):
            candidates = [p for p in source.get(item, ()) if matches(p)]
            if candidates:
                return max(candidates, key=lambda p: (p.effective_from, p.cms_level is not None, p.id or 0))
        level = f"第{cms_level}級" if cms_level else "未評估失能等級"
        raise MissingRate(f"{day:%Y-%m-%d} 無「{item}」（{level}）之價格，請於費率表補登。")

    def ratio(self, welfare_status: str, day: date) -> Decimal:
        key = (welfare_status, day)
        found = self._ratio_memo.get(key)
        if found is None:
            found = self._ratio_memo[key] = self._find_ratio(welfare_status, day)
        return found

    def _find_ratio(self, welfare_status: str, day: date) -> Decimal:
        for source in (self._ratios_by_status, _DEFAULT_RATIOS_BY_STATUS):
            candidates = [r for r in source.get(welfare_status, ()) if r.covers(day)]
            if candidates:
                return max(candidates, key=lambda r: (r.effective_from, r.id or 0)).ratio
        raise MissingRate(f"{day:%Y-%m-%d} 無「{welfare_status}」之部分負擔比率，請於費率表補登。")


def _by(rows, attribute) -> dict:
    grouped = defaultdict(list)
    for row in rows:
        grouped[getattr(row, attribute)].append(row)
    return dict(grouped)


# the shipped defaults, built once (frozen rows, shared by every book)
_DEFAULT_PRICES = tuple(Price(code, item, level, label, price, DEFAULT_FROM, None,
                              SEED_SOURCE if item in ("bath", "dinner") else EXTERNAL_SOURCE)
                        for code, item, level, label, price in DEFAULT_PRICES)
_DEFAULT_RATIOS = tuple(Ratio(status, Decimal(text), DEFAULT_FROM, None, EXTERNAL_SOURCE)
                        for status, text in DEFAULT_RATIOS.items())
_DEFAULT_PRICES_BY_ITEM = _by(_DEFAULT_PRICES, "item")
_DEFAULT_RATIOS_BY_STATUS = _by(_DEFAULT_RATIOS, "welfare_status")


# --- facts ------------------------------------------------------------------------------------

FACT_FIELDS = ("welfare_status", "cms_level", "monthly_quota", "institutional_placement", "foreign_caregiver",
               "special_allowance")


def baseline_facts(admission: CareAdmission) -> dict:
    return {f: getattr(admission, f) for f in FACT_FIELDS}


def change_tuples(admission: CareAdmission) -> list[tuple]:
    return [(c.fact_date, c.field, c.value) for c in admission.changes if c.cancelled_at is None]


def facts_for(admission: CareAdmission, day: date) -> dict:
    """Return the subsidy facts of an admission in effect on `day` (changes effective from the fact date, §7)."""
    return rules.facts_on(baseline_facts(admission), change_tuples(admission), day)


def client_facts(admission: CareAdmission, facts: dict) -> rules.ClientFacts:
    client = admission.client
    return rules.ClientFacts(
        birth_date=client.birth_date, indigenous=client.indigenous,
        disability_certificate=client.disability_certificate,
        dementia_diagnosed_on=client.dementia_diagnosed_on if client.dementia_diagnosed else None,
        cms_level=facts.get("cms_level"), welfare_status=facts.get("welfare_status") or "general",
        institutional_placement=bool(facts.get("institutional_placement")),
        foreign_caregiver=bool(facts.get("foreign_caregiver")),
        special_allowance=facts.get("special_allowance") or None,
    )


@dataclass(frozen=True)
class DayStanding:
    """Why a client's day is or is not subsidised, for the day sheet and the item list."""

    subsidised: bool
    reason: str
    facts: dict


def day_standing(admission: CareAdmission, day: date, *, policy=None, excluded=None, facts=None,
                 memo: dict | None = None) -> DayStanding:
    """`memo`: a dict kept across the days of one pricing run; the carer's exclusion and the client's facts are
    then worked out once per admission and set of facts, not once per day (issue 10)."""
    facts = facts_for(admission, day) if facts is None else facts
    policy = policy or billing_settings.eligibility_policy()
    excluded = billing_settings.excluded_relations() if excluded is None else excluded
    key = (admission.id, tuple(facts.items())) if memo is not None else None
    try:
        known = memo.get(key) if memo is not None else None
    except TypeError:   # a fact that is not a plain value: no memo for it
        memo = key = known = None
    if known is None:
        family, _ = rules.carer_family_exclusion(admission.carer_relation or "none", excluded)
        known = (family, None if family else client_facts(admission, facts))
        if memo is not None:
            memo[key] = known
    family, facts_of_client = known
    if family:
        return DayStanding(False, "家托員親屬，不予補助（自費）", facts)
    result = rules.eligibility(facts_of_client, day, policy)
    if not result.paid:
        return DayStanding(False, "；".join(result.reasons), facts)
    return DayStanding(True, "", facts)


# --- pricing a month ----------------------------------------------------------------------------

@dataclass(frozen=True)
class PricingOptions:
    granularity: str
    bath_dinner_row: str
    bath_dinner_quota: bool

    @classmethod
    def current(cls) -> "PricingOptions":
        from portal.settings.registry import get_setting
        return cls(billing_settings.granularity(), billing_settings.bath_dinner_row(),
                   bool(get_setting(billing_settings.BATH_DINNER_QUOTA.key)))

    @classmethod
    def from_dict(cls, data: dict | None) -> "PricingOptions":
        current = cls.current()
        if not data:
            return current
        return cls(data.get("granularity", current.granularity), data.get("bath_dinner_row", current.bath_dinner_row),
                   bool(data.get("bath_dinner_quota", current.bath_dinner_quota)))

    def as_dict(self) -> dict:
        return {"granularity": self.granularity, "bath_dinner_row": self.bath_dinner_row,
                "bath_dinner_quota": self.bath_dinner_quota}


@dataclass(frozen=True)
class UnitInfo:
    """Extra facts about a unit the rules do not need but the item list shows."""

    label: str
    reason: str


class AttendedDay(NamedTuple):
    """An attended service day as pricing reads it: its columns and its admission (with the admission's
    subsidy changes and client). Plain rows, not one ORM object per day: a declaration prices up to
    25 months of every client's days."""

    day: date
    client_id: int
    kind: str
    bath: bool
    dinner: bool
    admission: CareAdmission


def service_days_between(org_id: int, first: date, last: date, client_id: int | None = None) -> list[AttendedDay]:
    """Attended service days of a home from `first` to `last` (inclusive), in date order, with what
    pricing reads: at most 3 queries (days, admissions with clients, subsidy changes) for any range."""
    stmt = (db.select(ServiceDay.day, ServiceDay.client_id, ServiceDay.kind, ServiceDay.bath, ServiceDay.dinner,
                      ServiceDay.admission_id)
            .where(ServiceDay.organisation_id == org_id, ServiceDay.attended.is_(True),
                   ServiceDay.day >= first, ServiceDay.day <= last)
            .order_by(ServiceDay.day, ServiceDay.client_id))
    if client_id is not None:
        stmt = stmt.where(ServiceDay.client_id == client_id)
    rows = db.session.execute(stmt).all()
    if not rows:
        return []
    admissions = {a.id: a for a in db.session.execute(
        db.select(CareAdmission).where(CareAdmission.id.in_({r.admission_id for r in rows}))
        .options(selectinload(CareAdmission.changes), joinedload(CareAdmission.client))).unique().scalars()}
    return [AttendedDay(r.day, r.client_id, r.kind, r.bath, r.dinner, admissions[r.admission_id]) for r in rows]


def service_days_of_month(org_id: int, month: date, client_id: int | None = None) -> list[AttendedDay]:
    return service_days_between(org_id, rules.month_start(month), rules.month_end(month), client_id)


def days_by_month(days: list[AttendedDay]) -> dict[date, list[AttendedDay]]:
    """Group service days (in date order) by service month, keeping their order."""
    grouped = defaultdict(list)
    for record in days:
        grouped[rules.month_start(record.day)].append(record)
    return grouped


def units_for_days(days: list[AttendedDay], options: PricingOptions, book: RateBook | None = None,
                   policy=None, excluded=None) -> list[tuple[rules.ServiceUnit, UnitInfo]]:
    """Turn attended service days into claimable units (family-care day, bath, dinner)."""
    book = book or RateBook.load()
    policy = policy or billing_settings.eligibility_policy()
    excluded = billing_settings.excluded_relations() if excluded is None else excluded
    out = []
    known = {}   # admission id -> (baseline facts, changes): read once per admission, not once per day
    standings = {}
    for record in days:
        admission = record.admission
        facts = known.get(admission.id)
        if facts is None:
            facts = known[admission.id] = (baseline_facts(admission), change_tuples(admission))
        standing = day_standing(admission, record.day, policy=policy, excluded=excluded,
                                facts=rules.facts_on(facts[0], facts[1], record.day), memo=standings)
        facts = standing.facts
        welfare = facts.get("welfare_status") or "general"
        ratio = book.ratio(welfare, record.day)
        items = [record.kind] + (["bath"] if record.bath else []) + (["dinner"] if record.dinner else [])
        for item in items:
            try:
                price = book.price(item, facts.get("cms_level"), record.day)
            except MissingRate:
                if standing.subsidised:
                    raise  # a gap in the bureau's rate table: say so (the views show the message)
                # Not subsidised and no national price for the client's level (not assessed, level 1):
                # nothing is declared; the home charges its own filed fee standard (§12.6), not modelled.
                level = facts.get("cms_level")
                price = Price("—", item, level, f"{ITEM_LABELS.get(item, item)}（無給付價格，依單位收費標準自費）",
                              0, record.day, None, "")
            extra = item in ("bath", "dinner")
            unit = rules.ServiceUnit(
                client_id=record.client_id, day=record.day, item=item, code=price.code, price=price.price,
                ratio=ratio, row=options.bath_dinner_row if extra else "b_family_care",
                subsidised=standing.subsidised, uses_quota=(options.bath_dinner_quota if extra else True),
                quota=facts.get("monthly_quota"), welfare_status=welfare, label=price.label)
            out.append((unit, UnitInfo(price.label, standing.reason)))
    return out


def price_days(days: list[AttendedDay], options: PricingOptions, book: RateBook | None = None,
               policy=None, excluded=None) -> list[tuple]:
    """Return (PricedUnit, UnitInfo) for the days, priced per `options`."""
    pairs = units_for_days(days, options, book, policy, excluded)
    info = {id(u): i for u, i in pairs}
    priced = rules.price_units([u for u, _ in pairs], granularity=options.granularity)
    return [(p, info[id(p.unit)]) for p in priced]


def price_month(org_id: int, month: date, options: PricingOptions | None = None, book: RateBook | None = None,
                client_id: int | None = None) -> list[tuple]:
    return price_days(service_days_of_month(org_id, month, client_id), options or PricingOptions.current(), book)


# --- lines ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LineData:
    service_month: date
    client_id: int
    code: str
    item: str
    label: str
    row: str
    welfare_status: str
    ratio_text: str
    price: int
    units: int
    amount: int
    copay: int
    self_pay: int = 0
    adjustment: bool = False
    days: tuple = ()

    @property
    def key(self):
        return (self.service_month, self.client_id, self.code, self.item, self.row, self.welfare_status,
                self.ratio_text, self.price)

    @property
    def subsidy(self) -> int:
        return self.amount - self.copay


def lines_from_priced(month: date, priced) -> list[LineData]:
    """Sum priced units into item-list lines: client × code × row × status × ratio × price (Q15)."""
    sums = {}   # key -> [label, units, amount, copay, self_pay, days]: summed in place, built once at the end
    service_month = rules.month_start(month)
    for p, info in priced:
        u = p.unit
        if p.declared == 0:
            continue  # self-paid in full (family of the carer, not eligible, over the quota): not declared
        key = (service_month, u.client_id, u.code, u.item, u.row, u.welfare_status, str(rules.as_ratio(u.ratio)),
               u.price)
        current = sums.get(key)
        if current is None:
            sums[key] = [info.label, 1, p.declared, p.copay, p.self_pay, [u.day.day]]
        else:
            current[1] += 1
            current[2] += p.declared
            current[3] += p.copay
            current[4] += p.self_pay
            current[5].append(u.day.day)
    lines = [LineData(key[0], key[1], key[2], key[3], label, key[4], key[5], key[6], key[7], units, amount, copay,
                      self_pay, days=tuple(days))
             for key, (label, units, amount, copay, self_pay, days) in sums.items()]
    return sorted(lines, key=lambda l: (l.service_month, l.client_id, rules.ITEM_ORDER.get(l.item, 9), l.code))


def month_lines(org_id: int, month: date, options: PricingOptions | None = None,
                book: RateBook | None = None) -> list[LineData]:
    return lines_from_priced(month, price_month(org_id, month, options, book))


def _declared_stmt(org_id: int, exclude_declaration_id: int | None):
    stmt = (db.select(DeclarationLine)
            .join(Declaration, Declaration.id == DeclarationLine.declaration_id)
            .where(Declaration.organisation_id == org_id, Declaration.status != "draft",
                   DeclarationLine.version_no == Declaration.version_no))
    if exclude_declaration_id is not None:
        stmt = stmt.where(Declaration.id != exclude_declaration_id)
    return stmt


def declared_lines(org_id: int, month: date, *, exclude_declaration_id: int | None = None,
                   client_id: int | None = None) -> list[DeclarationLine]:
    """Lines already declared for service month `month`: the latest submitted version of every
    declaration of the home that still stands (not a draft)."""
    stmt = _declared_stmt(org_id, exclude_declaration_id).where(
        DeclarationLine.service_month == rules.month_start(month))
    if client_id is not None:
        stmt = stmt.where(DeclarationLine.client_id == client_id)
    return list(db.session.execute(stmt).scalars())


def declared_lines_by_month(org_id: int, months, *, exclude_declaration_id: int | None = None,
                            client_id: int | None = None) -> dict[date, list[DeclarationLine]]:
    """`declared_lines` of several service months in one query: {service month: lines}."""
    months = sorted({rules.month_start(m) for m in months})
    grouped = defaultdict(list)
    if not months:
        return grouped
    stmt = _declared_stmt(org_id, exclude_declaration_id).where(DeclarationLine.service_month.in_(months))
    if client_id is not None:
        stmt = stmt.where(DeclarationLine.client_id == client_id)
    for line in db.session.execute(stmt.order_by(DeclarationLine.id)).scalars():
        grouped[line.service_month].append(line)
    return grouped


def difference(current: list[LineData], declared: list, *, adjustment: bool) -> list[LineData]:
    """Return `current` minus what was `declared`, line by line (zero lines dropped)."""
    result = {l.key: l for l in current}
    for d in declared:
        key = (d.service_month, d.client_id, d.code, d.item, d.row, d.welfare_status, d.ratio_text, d.price)
        base = result.get(key) or LineData(d.service_month, d.client_id, d.code, d.item, d.label, d.row,
                                           d.welfare_status, d.ratio_text, d.price, 0, 0, 0, 0)
        days = tuple(sorted(set(base.days) ^ set(d.days or ())))  # days added or removed since declared
        result[key] = replace(base, units=base.units - d.units, amount=base.amount - d.amount,
                              copay=base.copay - d.copay, self_pay=base.self_pay - (d.self_pay or 0), days=days)
    out = [replace(l, adjustment=adjustment) for l in result.values() if l.units or l.amount or l.copay]
    return sorted(out, key=lambda l: (l.service_month, l.client_id, rules.ITEM_ORDER.get(l.item, 9), l.code))


CATCH_UP_MONTHS = 24


def options_of(declaration: Declaration | None) -> PricingOptions:
    """The settings a month is priced with: those its own declaration was submitted with, if any."""
    if declaration is not None and declaration.totals and declaration.status != "draft":
        return PricingOptions.from_dict(declaration.totals.get("options"))
    return PricingOptions.current()


def month_options(org_id: int, month: date) -> PricingOptions:
    declaration = db.session.execute(db.select(Declaration).filter_by(
        organisation_id=org_id, service_month=rules.month_start(month))).scalar_one_or_none()
    return options_of(declaration)


def declarations_by_month(org_id: int, first: date, last: date) -> dict[date, Declaration]:
    """The home's declarations of service months `first`..`last`, one query: {service month: declaration}."""
    return {d.service_month: d for d in db.session.execute(
        db.select(Declaration).where(Declaration.organisation_id == org_id,
                                     Declaration.service_month >= rules.month_start(first),
                                     Declaration.service_month <= rules.month_start(last))).scalars()}


def declaration_lines(org_id: int, month: date, *, declaration_id: int | None = None,
                      book: RateBook | None = None, clients: dict | None = None) -> list[LineData]:
    """Return the lines a declaration of `month` carries now (§10.1, Q13, Q15).

    Its own month: the month's priced records minus anything other declarations already
    declared for it. Earlier months the home has already declared (the last 24): the difference
    between their records priced today and everything declared for them (late corrections approved
    by the bureau, subsidy changes effective from a past fact date).

    A fixed number of queries whatever the history (issue 10): the declarations, the service days
    (with admissions, changes and clients) and the declared lines of the whole range are read once
    each, then every month is priced in memory. A `clients` dict is filled with the clients read with the
    days ({id: Client}), for documents that print them.
    """
    book = book or RateBook.load()
    month = rules.month_start(month)
    declarations = declarations_by_month(org_id, _months_back(month, CATCH_UP_MONTHS), month)
    earlier_months = sorted(m for m, d in declarations.items() if d.status != "draft" and m < month)
    first = earlier_months[0] if earlier_months else month
    days = service_days_between(org_id, first, rules.month_end(month))
    if clients is not None:
        clients.update((d.client_id, d.admission.client) for d in days)
    records = days_by_month(days)
    declared = declared_lines_by_month(org_id, earlier_months + [month], exclude_declaration_id=declaration_id)
    policy, excluded = billing_settings.eligibility_policy(), billing_settings.excluded_relations()

    def priced_lines(m):
        options = options_of(declarations.get(m))
        return lines_from_priced(m, price_days(records.get(m, []), options, book, policy, excluded))

    adjustments = []
    for earlier in earlier_months:
        adjustments += difference(priced_lines(earlier), declared.get(earlier, []), adjustment=True)
    own = difference(priced_lines(month), declared.get(month, []), adjustment=False)
    return adjustments + own


def _months_back(month: date, count: int) -> date:
    for _ in range(count):
        month = rules.previous_month(month)
    return month


def totals_by_month(lines: list[LineData]) -> dict:
    """Return {service month: DeclarationTotals} and the overall totals under key None."""
    grouped = defaultdict(list)
    for line in lines:
        grouped[line.service_month].append(line)
    result = {m: rules.declaration_totals(ls) for m, ls in sorted(grouped.items())}
    result[None] = rules.declaration_totals(lines)
    return result


def client_difference(admission: CareAdmission, since: date, until: date) -> rules.PaymentDifference:
    """Return what was over- or under-paid for one client from `since` to `until`, comparing the records
    priced with today's facts with what was declared (§7, Q13)."""
    book = RateBook.load()
    org_id, client_id = admission.organisation_id, admission.client_id
    first, last = rules.month_start(since), rules.month_start(until)
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = rules.next_month(month)
    paid, recomputed = {}, {}
    if months:
        # one pass over the range (issue 10); pricing is per client (quota, co-payment), so the
        # client's own days price exactly as they do within the whole home's month
        declarations = declarations_by_month(org_id, first, last)
        records = days_by_month(service_days_between(org_id, first, rules.month_end(last), client_id))
        declared = declared_lines_by_month(org_id, months, client_id=client_id)
        policy, excluded = billing_settings.eligibility_policy(), billing_settings.excluded_relations()
        for month in months:
            options = options_of(declarations.get(month))
            priced = price_days(records.get(month, []), options, book, policy, excluded)
            for line in lines_from_priced(month, priced):
                if line.client_id == client_id:
                    recomputed[(month, line.row)] = recomputed.get((month, line.row), 0) + line.subsidy
            for line in declared.get(month, []):
                paid[(month, line.row)] = paid.get((month, line.row), 0) + line.subsidy
    # only months that were declared can have been over- or under-paid
    declared_months = {k[0] for k in paid}
    recomputed = {k: v for k, v in recomputed.items() if k[0] in declared_months}
    return rules.payment_difference(paid, recomputed)
