"""Guidance units (家庭托顧輔導單位): eligibility, officers' qualifications, the home
development pipeline, yearly targets, grant caps and the violation-point rule — pure.

Spec: family-care.md §3.2 (seed 003 §六), §13 (§十五), §14 (§十六), §15 (§十七);
decisions.md Q19, Q20; rules-api.md `portal/guidance/rules.py`; worked examples WE-29..WE-33.
No Flask, no database, no clock: callers pass `today` and the bureau's settings.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

# --- seed 003 §十六 amounts (defaults; the app passes the bureau's settings) -----------
HOME_GRANT_CAP_PER_YEAR = 150_000     # §十六(一)1 「每輔導一托顧家庭每年最高獎助新臺幣十五萬元」
GRANT_ELIGIBLE_MONTHS = 24            # §十六(三) 「取得設立許可滿二年後，則不予支付」 (Q19: 24 months incl. the permit month)
TRAVEL_CAP_PER_MONTH = 4_000          # §十六(一)2 and §十六(二) 交通費每月最高 4,000
DEVELOPMENT_CAP_PER_MONTH = 10_000    # §十六(二) 每一輔導團每月最高 10,000
DEVELOPMENT_CAP_PER_YEAR = 120_000    # §十六(二) 每年最高 120,000
SELF_FUNDING_RATIO = Decimal("0.30")  # §十六(四) 百分之三十以上之自籌款 (Q19: of the equipment cost)
NEW_HOME_TARGET = 2                   # §十五(十) 每年至少新增 2 處
REFUND_RATIO = Decimal("0.20")        # §十五(十) 繳回每年業務費之 20%
REFUND_TRIGGERS = ("zero", "below_target")   # Q19: default "zero"
VIOLATION_POINTS_CANCEL = 3           # §十七 當年度累計達3次


def _dec(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


# --- grants (seed 003 §十六) ----------------------------------------------------------

def grant_eligible_months(licensed_on: date, year: int, *, first_evaluated_on: date | None = None,
                          window_months: int = GRANT_ELIGIBLE_MONTHS) -> list[int]:
    """Return the months (1–12) of `year` for which a guided home's grant may be paid.

    The window is the `window_months` calendar months starting with the licence month
    (that month counts); the month the first evaluation (incl. improvement) was completed
    and every later month are excluded (seed 003 §十六(一)1, (三); Q19).
    """
    if licensed_on is None:
        return []
    start = _month_index(licensed_on)
    end = start + window_months            # exclusive
    if first_evaluated_on is not None:
        end = min(end, _month_index(first_evaluated_on))
    return [m for m in range(1, 13) if start <= year * 12 + m - 1 < end]


def guidance_grant_cap(licensed_on: date, year: int, *, first_evaluated_on: date | None = None,
                       annual_cap: int = HOME_GRANT_CAP_PER_YEAR,
                       window_months: int = GRANT_ELIGIBLE_MONTHS) -> int:
    """Return the most a guidance unit can be granted for one guided home in `year`.

    150,000 × eligible months / 12, rounded down (rules-api.md; WE-29).
    """
    months = len(grant_eligible_months(licensed_on, year, first_evaluated_on=first_evaluated_on,
                                       window_months=window_months))
    return annual_cap * months // 12


def capped(amount: int, cap: int) -> int:
    """Return `amount` limited to `cap` (never negative)."""
    return max(0, min(int(amount or 0), cap))


@dataclass(frozen=True)
class GrantCheck:
    """What may be granted for one application, and why anything was refused."""

    allowed: int                                   # the most the bureau may grant for this application
    requested: int
    remaining_before: int                          # what is left under the caps before this application
    limits: list = field(default_factory=list)     # the caps that apply, as zh-TW lines
    problems: dict = field(default_factory=dict)   # field name -> zh-TW message

    @property
    def ok(self) -> bool:
        return not self.problems


def grant_usage(grants) -> dict:
    """What each cap has used (seed 003 §十六): approved amounts and pending requests per guided home, and
    under "development" the development grants, for the grants that count against a cap.

    `grants`: objects with `counts_against_cap`, `kind` ("home" or "development"), `home_id`, `status`,
    `approved_amount` and `requested`. Returns {home_id or "development": {"approved": int, "pending": int}}.
    """
    used = {}
    for grant in grants:
        if not grant.counts_against_cap:
            continue
        key = grant.home_id if grant.kind == "home" else "development"
        row = used.setdefault(key, {"approved": 0, "pending": 0})
        if grant.status == "approved":
            row["approved"] += grant.approved_amount or 0
        else:
            row["pending"] += grant.requested
    return used


def development_month_allowed(items: dict, *, travel_cap: int = TRAVEL_CAP_PER_MONTH,
                              month_cap: int = DEVELOPMENT_CAP_PER_MONTH) -> int:
    """Return the development grant allowed for one month's claims (WE-30).

    `items` maps item keys to amounts; `travel` (訪視交通費) is capped at 4,000 first,
    then the month's total at 10,000 (seed 003 §十六(二)).
    """
    total = sum(int(v or 0) for k, v in items.items() if k != "travel")
    total += capped(items.get("travel", 0), travel_cap)
    return min(total, month_cap)


def min_self_funding(equipment_cost: int, ratio=SELF_FUNDING_RATIO) -> int:
    """Return the least self-funded share of an equipment cost: 30 %, rounded up to the dollar (WE-32)."""
    return int((_dec(equipment_cost) * _dec(ratio)).to_integral_value(rounding=ROUND_CEILING))


def self_funding_problem(equipment_cost: int, self_funded: int, ratio=SELF_FUNDING_RATIO) -> str | None:
    """Return why an equipment budget's self-funding is too low, or None (seed 003 §十六(四))."""
    equipment_cost, self_funded = int(equipment_cost or 0), int(self_funded or 0)
    if equipment_cost <= 0:
        return None
    if self_funded > equipment_cost:
        return "自籌款不可超過設備費總額"
    need = min_self_funding(equipment_cost, ratio)
    if self_funded < need:
        percent = (_dec(ratio) * 100).normalize()
        return f"設備費應編列 {percent}% 以上之自籌款：設備費 {equipment_cost:,} 元，自籌款至少 {need:,} 元"
    return None


def check_home_grant(items: dict, *, cap: int, already: int, month_eligible: bool,
                     travel_cap: int = TRAVEL_CAP_PER_MONTH, equipment_self_funded: int = 0,
                     self_funding_ratio=SELF_FUNDING_RATIO) -> GrantCheck:
    """Check a month's grant claim for one guided home (seed 003 §十六(一), (三), (四)).

    `items` maps item keys (guidance_fee, insurance, pension, travel, business, equipment,
    management) to amounts; `equipment` is the grant asked for equipment, the project
    funds `equipment_self_funded` itself on top. `cap` is the home's yearly cap
    (`guidance_grant_cap`), `already` what is approved or pending for the home that year.
    """
    requested = sum(int(v or 0) for v in items.values())
    remaining = max(0, cap - already)
    problems = {}
    if not month_eligible:
        problems["month"] = "此月份不在獎助期間：托顧家庭取得設立許可未滿或已滿二年，或已完成第一次機構評鑑"
    if int(items.get("travel", 0) or 0) > travel_cap:
        problems["travel"] = f"輔導交通費每月最高 {travel_cap:,} 元"
    equipment = int(items.get("equipment", 0) or 0)
    if equipment:
        problem = self_funding_problem(equipment + int(equipment_self_funded or 0), equipment_self_funded,
                                       self_funding_ratio)
        if problem:
            problems["equipment_self_funded"] = problem
    if requested <= 0:
        problems.setdefault("total", "請至少填寫一項申請金額")
    elif requested > remaining:
        problems["total"] = (f"申請金額 {requested:,} 元超過此托顧家庭本年度可申請餘額 {remaining:,} 元"
                             f"（上限 {cap:,} 元，已申請或核定 {already:,} 元）")
    allowed = 0 if not month_eligible else min(
        remaining, requested - int(items.get("travel", 0) or 0) + capped(items.get("travel", 0), travel_cap))
    limits = [f"此托顧家庭本年度獎助上限 {cap:,} 元，已申請或核定 {already:,} 元，尚可申請 {remaining:,} 元",
              f"輔導交通費每月最高 {travel_cap:,} 元"]
    return GrantCheck(allowed=allowed, requested=requested, remaining_before=remaining, limits=limits,
                      problems=problems)


def check_development_grant(items: dict, *, already_in_year: int, already_in_month: int = 0,
                            travel_cap: int = TRAVEL_CAP_PER_MONTH, month_cap: int = DEVELOPMENT_CAP_PER_MONTH,
                            year_cap: int = DEVELOPMENT_CAP_PER_YEAR) -> GrantCheck:
    """Check a month's development grant claim of a guidance team (seed 003 §十六(二); WE-30)."""
    requested = sum(int(v or 0) for v in items.values())
    month_left = max(0, month_cap - already_in_month)
    year_left = max(0, year_cap - already_in_year)
    remaining = min(month_left, year_left)
    problems = {}
    if int(items.get("travel", 0) or 0) > travel_cap:
        problems["travel"] = f"訪視交通費每月最高 {travel_cap:,} 元"
    if requested <= 0:
        problems["total"] = "請至少填寫一項申請金額"
    elif requested > month_left:
        problems["total"] = (f"申請金額 {requested:,} 元超過本月可申請餘額 {month_left:,} 元"
                             f"（每月最高 {month_cap:,} 元，本月已申請或核定 {already_in_month:,} 元）")
    elif requested > year_left:
        problems["total"] = (f"申請金額 {requested:,} 元超過本年度可申請餘額 {year_left:,} 元"
                             f"（每年最高 {year_cap:,} 元，已申請或核定 {already_in_year:,} 元）")
    allowed = min(remaining, development_month_allowed(items, travel_cap=travel_cap, month_cap=month_cap))
    limits = [f"每月最高 {month_cap:,} 元，本月已申請或核定 {already_in_month:,} 元，尚可申請 {month_left:,} 元",
              f"每年最高 {year_cap:,} 元，本年度已申請或核定 {already_in_year:,} 元，尚可申請 {year_left:,} 元",
              f"訪視交通費每月最高 {travel_cap:,} 元"]
    return GrantCheck(allowed=allowed, requested=requested, remaining_before=remaining, limits=limits,
                      problems=problems)


# --- yearly targets (seed 003 §十五(十)–(十一); Q19) -----------------------------------

def guidance_refund(homes_completed: int, business_fee: int, *, trigger: str = "zero",
                    target: int = NEW_HOME_TARGET, ratio=REFUND_RATIO) -> int:
    """Return the year-end refund: 20 % of the yearly business fee when no guided home
    completed its setting-up in the year, else 0; rounded down (rules-api.md; WE-31).

    `trigger="below_target"` (Q19 alternative) also refunds when fewer than `target` homes were completed.
    """
    if trigger not in REFUND_TRIGGERS:
        raise ValueError(f"unknown refund trigger {trigger!r}")
    missed = homes_completed == 0 if trigger == "zero" else homes_completed < target
    if not missed:
        return 0
    return int((_dec(business_fee or 0) * _dec(ratio)).to_integral_value(rounding=ROUND_FLOOR))


def target_met(homes_completed: int, target: int = NEW_HOME_TARGET) -> bool:
    """Return True when the year's new contracted homes reach the target (≥ 2)."""
    return homes_completed >= target


def guidance_exit(homes_this_year: int, homes_previous_year: int | None) -> bool:
    """Return True when no home was set up in two consecutive years (seed 003 §十五(十一); WE-31).

    `homes_previous_year` is None when the unit was not commissioned the year before.
    """
    return homes_this_year == 0 and homes_previous_year == 0


@dataclass(frozen=True)
class YearResult:
    year: int
    homes: int
    target: int
    target_met: bool
    refund: int
    exit: bool
    reasons: list


def year_end_result(year: int, homes: int, homes_previous_year: int | None, business_fee: int, *,
                    trigger: str = "zero", target: int = NEW_HOME_TARGET, ratio=REFUND_RATIO) -> YearResult:
    """Return a guidance unit's year-end settlement with the reasons a person reads."""
    refund = guidance_refund(homes, business_fee, trigger=trigger, target=target, ratio=ratio)
    leaving = guidance_exit(homes, homes_previous_year)
    met = target_met(homes, target)
    reasons = [f"{year - 1911}年完成特約之新增托顧家庭 {homes} 處，目標 {target} 處：" + ("達成" if met else "未達成")]
    if refund:
        reasons.append(f"未輔導托顧家庭設立完成，應繳回業務費 {int(business_fee or 0):,} 元之"
                       f"{(_dec(ratio) * 100).normalize()}%：{refund:,} 元")
    if leaving:
        reasons.append(f"連續兩年（{year - 1912}、{year - 1911}年）未輔導家庭托顧單位設立：予以退場")
    return YearResult(year, homes, target, met, refund, leaving, reasons)


# --- violation points (seed 003 §十七; Q20) --------------------------------------------

def contract_cancelled(violation_points_in_year: int, *, limit: int = VIOLATION_POINTS_CANCEL) -> bool:
    """Return True at 3 violation points or more in one calendar year (WE-33)."""
    return violation_points_in_year >= limit


# --- guidance-unit eligibility (seed 003 §六; family-care.md §3.2) ---------------------

ELIGIBILITY_BASES = {
    "ltc_medical": "長照服務機構（家庭托顧除外）、醫療機構或護理機構",
    "welfare_institution": "老人福利機構或身心障礙福利機構",
    "foundation": "財團法人或公益社團法人",
    "welfare_group": "社會福利團體或照顧服務勞動合作社",
    "sw_office": "社會工作師事務所",
}
EVALUATION_RESULTS = ("優等", "甲等", "乙等", "丙等", "丁等", "合格", "不合格", "未評鑑")
_PASS_RESULTS = {"ltc_medical": {"合格", "優等", "甲等"}, "welfare_institution": {"優等", "甲等"}}
PRIORITY_LAST_YEAR = 2017  # 「以 106 年度以前辦理家庭托顧服務提供者為優先」 (106年 = 2017)


@dataclass(frozen=True)
class UnitEligibility:
    eligible: bool
    priority: bool
    reasons: list


def guidance_unit_eligibility(basis: str, last_evaluation_result: str | None,
                              family_care_since: int | None = None) -> UnitEligibility:
    """Check a guidance unit's qualification (seed 003 §六).

    Kinds (一) and (二) depend on their most recent evaluation: 「合格」 for (一),
    「甲等」 or better for (二). `family_care_since` is the year (AD) the unit first
    provided family care; 2017 (106年) or earlier gives priority.
    """
    reasons = []
    if basis not in ELIGIBILITY_BASES:
        return UnitEligibility(False, False, ["請選擇單位資格類別"])
    eligible = True
    if basis in _PASS_RESULTS:
        need = "合格" if basis == "ltc_medical" else "甲等以上"
        if last_evaluation_result in _PASS_RESULTS[basis]:
            reasons.append(f"最近一次評鑑結果「{last_evaluation_result}」，符合「{need}」")
        else:
            eligible = False
            got = last_evaluation_result or "未填寫"
            reasons.append(f"{ELIGIBILITY_BASES[basis]}須最近一次評鑑{need}；目前為「{got}」")
    else:
        reasons.append(f"{ELIGIBILITY_BASES[basis]}：無評鑑結果要求")
    priority = family_care_since is not None and family_care_since <= PRIORITY_LAST_YEAR
    if priority:
        reasons.append(f"自{family_care_since - 1911}年度起辦理家庭托顧服務（106年度以前）：優先")
    return UnitEligibility(eligible, priority, reasons)


# --- guidance officers (seed 003 §十五(一)) --------------------------------------------

EDUCATION_LEVELS = {"college": "專科以上學校畢業", "senior_high": "高中（職）學校畢業", "other": "其他"}
QUALIFICATION_PATHS = {
    1: "第一款：專科以上學校社會工作、醫學、護理、職能治療、物理治療、營養、藥學、公共衛生、老人照顧等相關系所科畢業",
    2: "第二款：專科以上學校非相關系所科畢業，具社會工作師考試應考資格，且具一年以上相關工作經驗",
    3: "第三款：高中（職）學校護理、老人照顧等相關科組畢業，且具三年以上相關工作經驗",
}


@dataclass(frozen=True)
class OfficerQualification:
    path: int | None              # 1, 2 or 3 (seed 003 §十五(一)), None when no path is met
    reasons: list                 # why each path is or is not met

    @property
    def qualified(self) -> bool:
        return self.path is not None


def officer_qualification(education: str, related_field: bool, sw_exam_eligible: bool,
                          experience_months: int) -> OfficerQualification:
    """Return which of the three qualification paths a guidance officer meets (seed 003 §十五(一)).

    `related_field`: the department is one the path names (社工、醫學、護理… for college;
    護理、老人照顧 for senior high). `experience_months`: work in elderly, disability or LTC services.
    """
    months = int(experience_months or 0)
    college, senior = education == "college", education == "senior_high"
    if college and related_field:
        return OfficerQualification(1, ["專科以上相關系所科畢業，符合第一款"])
    if college:
        missing = []
        if not sw_exam_eligible:
            missing.append("未具社會工作師考試應考資格")
        if months < 12:
            missing.append(f"相關工作經驗 {months} 個月，未滿一年")
        if not missing:
            return OfficerQualification(2, ["專科以上非相關系所科畢業，具社工師應考資格且相關工作經驗滿一年，符合第二款"])
        return OfficerQualification(None, ["專科以上非相關系所科畢業：" + "、".join(missing) + "，不符第二款"])
    if senior:
        missing = []
        if not related_field:
            missing.append("非護理、老人照顧等相關科組")
        if months < 36:
            missing.append(f"相關工作經驗 {months} 個月，未滿三年")
        if not missing:
            return OfficerQualification(3, ["高中（職）相關科組畢業且相關工作經驗滿三年，符合第三款"])
        return OfficerQualification(None, ["高中（職）畢業：" + "、".join(missing) + "，不符第三款"])
    return OfficerQualification(None, ["學歷須為專科以上或高中（職）相關科組畢業"])


# --- the development pipeline (seed 003 §十五(五), (九), (十)) --------------------------

STAGES = ("found", "env_checked", "licence_applied", "licensed", "contracted")
STAGE_LABELS = {
    "found": "發掘潛在服務提供者",
    "env_checked": "住家環境檢核完成",
    "licence_applied": "已申請設立許可",
    "licensed": "取得設立許可",
    "contracted": "完成特約",
    "dropped": "停止輔導",
}
STAGE_SHORT_LABELS = {"found": "發掘", "env_checked": "環境檢核", "licence_applied": "申請許可", "licensed": "取得許可",
                      "contracted": "完成特約", "dropped": "停止輔導"}
STAGE_DATE_FIELDS = {
    "found": "found_on", "env_checked": "env_checked_on", "licence_applied": "licence_applied_on",
    "licensed": "licensed_on", "contracted": "contracted_on",
}


def next_stage(stage: str) -> str | None:
    """Return the stage after `stage`, or None at the end (or when dropped)."""
    if stage not in STAGES:
        return None
    i = STAGES.index(stage)
    return STAGES[i + 1] if i + 1 < len(STAGES) else None


def stage_date_problem(stage: str, on: date, dates: dict, today: date) -> str | None:
    """Return why `on` cannot be the date of reaching `stage`, or None.

    `dates` maps earlier stages to their dates; a stage cannot precede the one before
    it, nor lie in the future.
    """
    if on is None:
        return "請填寫日期"
    if on > today:
        return "日期不可晚於今天"
    i = STAGES.index(stage)
    for earlier in reversed(STAGES[:i]):
        prev = dates.get(earlier)
        if prev is not None:
            if on < prev:
                return f"日期不可早於「{STAGE_LABELS[earlier]}」的日期"
            break
    return None


def stage_dates_problems(dates: dict, stage: str, today: date) -> dict:
    """Check every reached stage's date (edit form): return {stage: message}."""
    problems = {}
    reached = STAGES if stage == "dropped" else STAGES[:STAGES.index(stage) + 1]
    previous = None
    for s in reached:
        on = dates.get(s)
        if on is None:
            if stage != "dropped":
                problems[s] = "已進行到此階段，請填寫日期"
            continue
        if on > today:
            problems[s] = "日期不可晚於今天"
        elif previous is not None and on < previous[1]:
            problems[s] = f"日期不可早於「{STAGE_LABELS[previous[0]]}」的日期"
        previous = (s, on)
    return problems


def stage_on(dates: dict, dropped_on: date | None, day: date) -> str | None:
    """Return the stage a home was at on `day` (None before it was found), e.g. at a year's end."""
    if dropped_on is not None and dropped_on <= day:
        return "dropped"
    reached = None
    for stage in STAGES:
        on = dates.get(stage)
        if on is not None and on <= day:
            reached = stage
    return reached
