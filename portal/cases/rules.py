"""Case-management rules of seed 000 — pure functions (no Flask, no database, no clock).

Spec: case-management.md (cited per function), decisions.md Q03–Q10, Q26–Q27,
Q29–Q30, rules-api.md `portal/cases/rules.py`. Deadlines come only from
`portal.calendar`; callers pass the bureau's calendar as `cal=`.
"""
from __future__ import annotations

import calendar as _stdcal
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from portal.calendar import add_office_days, calendar_days_due

# --- Deadlines (rules-api.md) -------------------------------------------------


def first_service_due(plan_approved_on: date, *, cal=None) -> date:
    """Return the last day for the first service: 7 office days after the plan's approval.

    seed 000 §三(二)3 「確保於7個工作天內提供第一次服務」; start event = the centre's
    approval of the care plan (Q03, rules-api.md). WE-03.
    """
    return add_office_days(plan_approved_on, 7, cal=cal)


def redispatch_due(dispatched_on: date, *, cal=None) -> date:
    """Return the last day for a B unit's first service: 5 office days after the A unit's referral.

    seed 000 §五(二)2 「以確保於5個工作天內提供第一次服務」 (Q03). WE-04.
    """
    return add_office_days(dispatched_on, 5, cal=cal)


def add_months(day: date, months: int) -> date:
    """Return the same day-of-month `months` later, or that month's last day (README §4.3)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, _stdcal.monthrange(year, month)[1]))


def next_home_visit_due(last_home_visit_on: date, months: int = 6) -> date:
    """Return when the next home visit is due: six calendar months after the last one.

    seed 000 §三(二)4 「每6個月須家訪並紀錄」; the first is counted from the case's
    acceptance (Q09). WE-09.
    """
    return add_months(last_home_visit_on, months)


def next_phone_visit_due(last_phone_visit_on: date, months: int = 1) -> date:
    """Return when the next phone visit is due (Q09: at least monthly, a setting)."""
    return add_months(last_phone_visit_on, months)


def next_case_deadline(state: str, *, accepted_on: date | None, plan_approved_on: date | None,
                       first_service_on: date | None, last_phone_visit_on: date | None = None,
                       last_home_visit_on: date | None = None, referral_due: date | None = None,
                       phone_months: int = 1, home_months: int = 6, cal=None) -> tuple[str, date] | None:
    """The next thing due on a case, as the case list shows it: (label, date), or None.

    A pending referral's answer deadline (§3.3 R-CMD-01), the first service after the plan's approval (WE-03),
    then the earlier of the next phone and home visit (§5.3 R-CMD-04, Q09: an overdue phone visit must not hide
    behind a home visit due months later), each counted from the last visit of its kind or the acceptance."""
    if state == "REFERRED_TO_A" and referral_due:
        return ("回覆期限", referral_due)
    if state == "PLAN_APPROVED" and plan_approved_on and not first_service_on:
        return ("首次服務", first_service_due(plan_approved_on, cal=cal))
    if state in ("IN_SERVICE", "SUSPENDED", "A_ACCEPTED", "PLAN_APPROVED") and accepted_on is not None:
        home = next_home_visit_due(last_home_visit_on or accepted_on, home_months)
        phone = next_phone_visit_due(last_phone_visit_on or accepted_on, phone_months)
        return ("電訪", phone) if phone < home else ("家訪", home)
    return None


def referral_answer_due(referred_on: date, days: int = 2, *, cal=None) -> date:
    """Return the last day an A unit may say it cannot take a referral.

    seed 000 §五(一)1 「2日內系統異動通報」: calendar days, rolled past rest days (Q02/Q04). WE-06.
    """
    return calendar_days_due(referred_on, days, cal=cal)


def plan_change_due(reported_on: date, days: int = 3, *, cal=None) -> date:
    """Return the last day for the CM to revise a plan after a B unit's change notice.

    seed 000 §四(二) 「三天內」: calendar days with the Q02 roll (Q04). WE-06.
    """
    return calendar_days_due(reported_on, days, cal=cal)


def pause_latest_submission(effective_on: date, notice_days: int = 3, *, cal=None) -> date:
    """Return the last day a pause-dispatch letter may be filed for `effective_on`.

    seed 000 §二(二)3 「應於三個工作日前」: counted back in office days, the effective
    day not counted (README §4.3). WE-05.
    """
    return add_office_days(effective_on, -notice_days, cal=cal)


def pause_earliest_effective(submitted_on: date, notice_days: int = 3, *, cal=None) -> date:
    """Return the earliest effective date a letter filed on `submitted_on` can ask for. WE-05.

    The inverse of `pause_latest_submission`: the first day whose latest submission day is not before
    `submitted_on`. A letter filed on a Saturday counts from the Friday before only if it had been filed
    then; counting forward from the Saturday would offer a day the backward count refuses."""
    effective = add_office_days(submitted_on, notice_days, cal=cal)
    while pause_latest_submission(effective, notice_days, cal=cal) < submitted_on:
        effective = add_office_days(effective, 1, cal=cal)
    return effective


def pause_notice_problem(submitted_on: date, effective_on: date, notice_days: int = 3, *, cal=None) -> str | None:
    """Return why `effective_on` is too early for a letter filed on `submitted_on`, else None."""
    if submitted_on <= pause_latest_submission(effective_on, notice_days, cal=cal):
        return None
    from portal.calendar import roc_date
    earliest = pause_earliest_effective(submitted_on, notice_days, cal=cal)
    return (f"暫停派案須於生效日三個工作日前函報（{notice_days} 個工作日）；"
            f"今天送出最早可自 {roc_date(earliest)} 起生效")


def earliest_non_use_closure(referred_on: date, months: int = 3) -> date:
    """Return the earliest closure date for 「無服務使用意願」 (X6): three months of tracking.

    seed 000 §六(二)6 「追蹤3個月後，經照管中心同意後結案」. WE-12.
    """
    return add_months(referred_on, months)


def suspension_followup_due(suspended_on: date, days: int = 30) -> date:
    """Return when a suspended client's 30-day follow-up is due (seed 003 §十四(十一), WE-27)."""
    return suspended_on + timedelta(days=days)


# --- Dispatch status of an A unit (case-management.md §4.2) ----------------------


def paused_on(events, day: date) -> date | None:
    """Return the start of the pause in force on `day`, or None when dispatch is open.

    `events` are the bureau's approved decisions as `(kind, effective_on)` with kind
    "pause" or "resume" (R-CAP-01/02: referrals stop on the approved pause date and
    resume on approval of a resume request).
    """
    current = None
    for kind, effective_on in sorted(events, key=lambda e: (e[1], e[0] == "pause")):
        if effective_on > day:
            break
        current = effective_on if kind == "pause" else None
    return current


# --- Capacity (case-management.md §4.1, WE-10, Q26–Q27) ---------------------------


def unit_capacity(declared_caseloads) -> int:
    """Return an A unit's capacity: the sum of its active CMs' declared caseloads (R-CAP-03)."""
    return sum(int(n) for n in declared_caseloads)


@dataclass(frozen=True)
class CapacityStatus:
    load: int
    capacity: int
    level: str          # "ok", "near" (≥ warn ratio), "full" (≥ 100 %), "none" (no CM)
    message: str

    @property
    def ratio(self) -> Decimal:
        return Decimal(self.load) / Decimal(self.capacity) if self.capacity else Decimal(0)


def capacity_status(load: int, capacity: int, warn_ratio="0.9") -> CapacityStatus:
    """Classify an A unit's load against its capacity (Q26–Q27: warn at 90 %, confirm at 100 %)."""
    if capacity <= 0:
        return CapacityStatus(load, capacity, "none", "尚無可派案之個管師")
    if load >= capacity:
        return CapacityStatus(load, capacity, "full", f"案量已達上限（{load}／{capacity}）")
    if Decimal(load) >= Decimal(capacity) * Decimal(str(warn_ratio)):
        return CapacityStatus(load, capacity, "near", f"案量接近上限（{load}／{capacity}）")
    return CapacityStatus(load, capacity, "ok", f"{load}／{capacity}")


# --- Case-manager onboarding (case-management.md §5.2, WE-11) ---------------------

CM_TRAINING_HOURS = Decimal(7)
CM_JOINT_VISITS = 12


def cm_training_done(hours) -> bool:
    """7 hours of basic training (seed 000 §三(一)2)."""
    return Decimal(str(hours or 0)) >= CM_TRAINING_HOURS


def cm_activation_problems(*, approved: bool, training_hours, joint_visits: int, review_passed: bool) -> list[str]:
    """Return why a CM may not yet take cases (empty when they may). seed 000 §三(一)2."""
    problems = []
    if not approved:
        problems.append("尚未經衛生局同意核備")
    if not cm_training_done(training_hours):
        problems.append(f"基礎訓練未滿 7 小時（已完成 {Decimal(str(training_hours or 0)).normalize()} 小時）")
    if (joint_visits or 0) < CM_JOINT_VISITS:
        problems.append(f"照專實習共訪未滿 12 次（已完成 {joint_visits or 0} 次）")
    if not review_passed:
        problems.append("尚未通過照顧計畫督導審查及評值")
    return problems


def cm_status(*, approved: bool, training_hours, joint_visits: int, review_passed: bool, removed: bool = False) -> str:
    """Return the CM's status (case-management.md §5.2) from the recorded facts."""
    if removed:
        return "REMOVED"
    if not approved:
        return "PROPOSED"
    if not cm_training_done(training_hours):
        return "APPROVED"
    if not cm_activation_problems(approved=approved, training_hours=training_hours, joint_visits=joint_visits,
                                  review_passed=review_passed):
        return "ACTIVE"
    return "PRACTISING" if (joint_visits or 0) > 0 else "TRAINED"


# --- Who manages a case (case-management.md §3.2, Q29) ----------------------------

SPECIAL_CASE_LABELS = {
    "special_memo": "專簽",
    "petition": "陳情",
    "mediation": "與單位發生服務爭議調處",
    "quality_dispute": "涉及服務品質或履約爭議",
}
# Code families requested at assessment (README §6.1).
FAMILY_LABELS = {
    "B": "B碼 照顧服務",
    "C": "C碼 專業服務",
    "D": "D碼 交通接送服務",
    "EF": "E/F碼 輔具及居家無障礙環境改善",
    "G": "G碼 喘息服務",
}
CASE_MANAGED_FAMILIES = frozenset({"B", "C", "G"})


def centre_managed_reason(*, special_flags=(), consent: bool, families=(), a_unit_advisable: bool = False) -> str | None:
    """Return why the centre keeps a case itself (照管中心自行管理), or None to refer it.

    Decision table of case-management.md §3.2, evaluated in order; Q29: the test
    is "no B, C or G code services".
    """
    flags = [SPECIAL_CASE_LABELS.get(f, f) for f in special_flags]
    if flags:
        return "特殊或複雜個案（" + "、".join(flags) + "），由照管中心自行管理"
    if not consent:
        return "個案未同意接受個案管理，由照管中心自行管理"
    families = set(families)
    if not families:
        return "尚未勾選申請之服務項目"
    if not families & CASE_MANAGED_FAMILIES and not a_unit_advisable:
        return "僅申請交通接送、輔具或無障礙改善，無B、C、G碼服務，由照管中心自行管理"
    return None


# --- Choosing an A unit (Q30) ---------------------------------------------------


@dataclass(frozen=True)
class AUnitCandidate:
    org_id: int
    name: str
    load: int
    capacity: int
    last_referred_on: date | None = None
    blockers: tuple = ()


@dataclass(frozen=True)
class RankedAUnit:
    candidate: AUnitCandidate
    position: int | None
    reasons: tuple
    eligible: bool


def rank_a_units(candidates, warn_ratio="0.9") -> list[RankedAUnit]:
    """Order the A units serving a client's area, fairest first (Q30).

    Lowest load ratio first, then the longest since the last referral (never
    referred first), then registration order. Blocked units (paused, suspended)
    are listed last with their reasons and no position.
    """
    def ratio(c):
        return Decimal(c.load) / Decimal(c.capacity) if c.capacity else Decimal(10**6)

    eligible = [c for c in candidates if not c.blockers]
    eligible.sort(key=lambda c: (ratio(c), c.last_referred_on is not None, c.last_referred_on or date.min, c.org_id))
    ranked = []
    for i, c in enumerate(eligible, 1):
        status = capacity_status(c.load, c.capacity, warn_ratio)
        last = f"最近轉介 {_roc(c.last_referred_on)}" if c.last_referred_on else "尚無轉介紀錄"
        ranked.append(RankedAUnit(c, i, (f"案量 {status.message}", last), True))
    for c in sorted((c for c in candidates if c.blockers), key=lambda c: c.org_id):
        ranked.append(RankedAUnit(c, None, tuple(c.blockers), False))
    return ranked


# --- Ranking B units (case-management.md §7, Q08, WE-08) ---------------------------

CRITERIA = (
    "個案服務選擇意願優先",
    "可協助個案達成照顧目標者優先",
    "服務提供即時、可近性優先",
    "舊案維持原服務提供單位優先",
    "B服務提供單位主動發掘提出服務申請書優先派案",
    "在地資源優先",
)
ROTATION_LABEL = "符合上述各項要件不只一家時，輪派"


@dataclass(frozen=True)
class DispatchClient:
    """Facts about the client for one service type (Q08: recorded on the case)."""

    service_area_id: int | None
    required_codes: frozenset = frozenset()
    chosen_org_ids: frozenset = frozenset()      # c1: named by the client
    current_org_ids: frozenset = frozenset()     # c4: current provider of this service type
    applied_by_org_id: int | None = None         # c5: the unit found the case and applied


@dataclass(frozen=True)
class BUnitCandidate:
    """Facts about a B unit (Q08): what it offers, where, how much room, how fast."""

    org_id: int
    name: str
    registered: int = 0                 # registration order (ties after rotation)
    base_area_id: int | None = None
    offered_codes: frozenset | None = None   # None: every code of the service type
    open_capacity: int = 1
    avg_days_to_first_service: Decimal | None = None
    rating: Decimal | None = None       # A units' latest evaluation (1–5), R-AB-03
    flags: tuple | None = None          # explicit c1…c6 (tests, recorded decisions)


@dataclass(frozen=True)
class RankedBUnit:
    candidate: BUnitCandidate
    flags: tuple
    reasons: tuple          # one zh-TW line per criterion, then rotation
    position: int
    tied_with_next: bool = False
    by_rotation: bool = False
    last_rotation: datetime | None = None

    @property
    def org_id(self):
        return self.candidate.org_id


TIMELY_DAYS = Decimal(5)   # R-AB-02: first service within 5 office days
GOOD_RATING = Decimal(3)   # an A-unit rating below 3 of 5 does not "help reach the goals" [interpretation]


def dispatch_flags(client: DispatchClient, unit: BUnitCandidate) -> tuple[tuple, tuple]:
    """Return the six criteria (c1…c6) for `unit` as booleans and the reason for each (Q08)."""
    if unit.flags is not None:
        flags = tuple(bool(f) for f in unit.flags)
        return flags, tuple(f"{name}：{'是' if f else '否'}" for name, f in zip(CRITERIA, flags))
    c1 = unit.org_id in client.chosen_org_ids
    r1 = "個案指定此單位" if c1 else ("個案指定其他單位" if client.chosen_org_ids else "個案未指定單位")
    missing = sorted(client.required_codes - unit.offered_codes) if unit.offered_codes is not None else []
    low_rating = unit.rating is not None and unit.rating < GOOD_RATING
    c2 = not missing and not low_rating
    if missing:
        r2 = "未提供照顧計畫所需服務碼 " + "、".join(missing)
    elif low_rating:
        r2 = f"A單位評核 {unit.rating.normalize()} 分，低於 {GOOD_RATING.normalize()} 分"
    else:
        r2 = "可提供照顧計畫所需之全部服務碼" + (f"；A單位評核 {unit.rating.normalize()} 分" if unit.rating is not None else "")
    avg = unit.avg_days_to_first_service
    c3 = avg is None or avg <= TIMELY_DAYS
    r3 = ("尚無派案紀錄" if avg is None else f"平均 {avg.quantize(Decimal('0.1'))} 個工作日提供首次服務") + \
        ("" if c3 else "（逾 5 個工作日）")
    c4 = unit.org_id in client.current_org_ids
    r4 = "為個案現行服務單位" if c4 else "非現行服務單位"
    c5 = client.applied_by_org_id == unit.org_id
    r5 = "由本單位主動發掘並提出服務申請書" if c5 else "非本單位提出申請"
    c6 = unit.base_area_id is not None and unit.base_area_id == client.service_area_id
    r6 = "單位設於個案所在鄉鎮市" if c6 else "單位不在個案所在鄉鎮市"
    flags = (c1, c2, c3, c4, c5, c6)
    reasons = tuple(f"{'✔' if f else '✘'} {name}：{why}" for name, f, why in
                    zip(CRITERIA, flags, (r1, r2, r3, r4, r5, r6)))
    return flags, reasons


def rank_b_units(client: DispatchClient, candidates, *, rotation_cursor) -> list[RankedBUnit]:
    """Rank eligible B units by the seven ordered criteria of seed 000 §三(四).

    Criteria 1–6 compared lexicographically (yes before no); units still tied at
    the top go by rotation (輪派): the one whose last rotation assignment for this
    service area and service type is oldest first, never-assigned first, then
    registration order. `rotation_cursor` maps org_id → last assignment time.
    The first entry is the proposal; every entry carries its reasons.
    """
    rows = []
    for unit in candidates:
        flags, reasons = dispatch_flags(client, unit)
        last = rotation_cursor.get(unit.org_id)
        rows.append((flags, last, unit, reasons))

    def key(row):
        flags, last, unit, _ = row
        return (tuple(not f for f in flags), last is not None, last or datetime.min, unit.registered, unit.org_id)

    rows.sort(key=key)
    ranked = []
    for i, (flags, last, unit, reasons) in enumerate(rows):
        tied_before = i > 0 and rows[i - 1][0] == flags
        tied_after = i + 1 < len(rows) and rows[i + 1][0] == flags
        rotation = None
        if tied_before or tied_after:
            rotation = f"輪派：最近一次輪派 {_roc(last)}" if last else "輪派：尚未輪派過"
        ranked.append(RankedBUnit(
            candidate=unit, flags=flags, position=i + 1,
            reasons=reasons + ((rotation,) if rotation else ()),
            tied_with_next=tied_after, by_rotation=bool(rotation) and i == 0 and tied_after,
            last_rotation=last,
        ))
    return ranked


@dataclass(frozen=True)
class ExclusionFacts:
    serves_area: bool
    provides_type: bool
    open_capacity: int
    accepting: bool = True
    blockers: tuple = ()


def exclusion_reasons(facts: ExclusionFacts) -> list[str]:
    """Return why a B unit is not a candidate (case-management.md §7 step 1)."""
    reasons = []
    if not facts.provides_type:
        reasons.append("未提供此服務類別")
    if not facts.serves_area:
        reasons.append("服務區域未涵蓋個案所在鄉鎮市")
    if not facts.accepting:
        reasons.append("單位目前暫停接案")
    elif facts.open_capacity <= 0:
        reasons.append("服務量能已滿")
    reasons.extend(facts.blockers)
    return reasons


# --- Suspension and closure (case-management.md §11, WE-12, Q10) --------------------

SUSPENSION_REASONS = {
    "S1": "住院超過1週以上。",
    "S2": "赴台離家超過1週以上。",
    "S3": "個案或家屬要求之服務內容逾越提供單位與案家兩造服務合約範圍，且經申請長期照顧服務爭議調處後仍無共識。",
    "S4": "符合長照特約機構與案家兩造服務契約所載明之暫停要件，當暫停之要件滅失時恢復服務。",
    "S5": "若個案或其家屬有惡意傷害服務人員，如辱罵、言語暴力或言行舉止構成執行服務人員人身安全之危險、心靈恐懼、名譽及權益受損，違反相關人身安全防治之法規，致無合適人力或服務難以繼續提供。",
    "S6": "個案或家屬要求服務人員特定條件（種族、階級、語言、思想、宗教、黨派、籍貫、出生地、性別、性傾向、年齡、婚姻、容貌、五官、身心障礙或學歷等），拒絕服務提供單位安排之服務人員，致無合適人力或服務難以繼續提供。",
}
# Q01: outside Kinmen the S2 wording reads 「離開本縣超過1週以上。」.
S2_GENERIC = "離開本縣超過1週以上。"
AWAY_REASONS = frozenset({"S1", "S2"})

CLOSURE_REASONS = {
    "X1": "死亡。",
    "X2": "遷離本縣轄區。",
    "X3": "入住機構。",
    "X4": "個案失能程度(如未失能)或給付資格變更(如聘僱外籍看護)，致未符合支付/給付對象資格規定。",
    "X5": "經照管中心通知後，仍拒絕配合複評、家訪、電訪。此類個案若無生命之虞，則俟可配合服務相關規範後，始重新受理申請。",
    "X6": "派案照會後，個案仍無服務使用意願或其他可歸責於單位之因素，追蹤3個月後，經照管中心同意後結案。",
    "X7": "其他重大足以影響服務提供之事由。",
}


def suspension_reason_labels(rule_set: str = "kinmen") -> dict:
    """Return the six suspension reasons; S2 reads generically outside Kinmen (Q01)."""
    labels = dict(SUSPENSION_REASONS)
    if rule_set != "kinmen":
        labels["S2"] = S2_GENERIC
    return labels


def away_days(away_from: date, away_to: date) -> int:
    """Days away, both ends counted (hospitalised 3/1–3/7 = 7 days)."""
    return (away_to - away_from).days + 1


def suspension_problem(reason: str, *, away_from: date | None = None, away_to: date | None = None,
                       min_days: int = 7) -> str | None:
    """Return why `reason` cannot be used, else None (Q10: 「超過1週以上」 = 7 days or more)."""
    if reason not in SUSPENSION_REASONS:
        return "請選擇暫停原因"
    if reason in AWAY_REASONS:
        if not away_from or not away_to:
            return "住院或離家須填寫起訖日期"
        if away_to < away_from:
            return "結束日期不可早於開始日期"
        if away_days(away_from, away_to) < min_days:
            return f"住院或離家須達 {min_days} 日以上（目前 {away_days(away_from, away_to)} 日）"
    return None


def closure_problem(reason: str, *, referred_on: date | None, closing_on: date, centre_consent: bool,
                    months: int = 3) -> str | None:
    """Return why the centre may not close the case with `reason` on `closing_on`, else None.

    X6 needs three months of tracking after the referral and the centre's consent (WE-12).
    """
    if reason not in CLOSURE_REASONS:
        return "請選擇結案原因"
    if reason == "X6":
        if referred_on is not None and closing_on < earliest_non_use_closure(referred_on, months):
            from portal.calendar import roc_date
            return (f"「無服務使用意願」須自派案照會起追蹤 {months} 個月，"
                    f"最早可於 {roc_date(earliest_non_use_closure(referred_on, months))} 結案")
        if not centre_consent:
            return "「無服務使用意願」結案須經照管中心同意"
    return None


def record_date_problem(record_on: date, *, closed_on: date | None = None, died_on: date | None = None) -> str | None:
    """Refuse a record dated after the client's death or the case's closure (§11.2, R-VIO-03). WE-12."""
    if died_on is not None and record_on > died_on:
        return "紀錄日期晚於個案死亡日期，不得登錄"
    if closed_on is not None and record_on > closed_on:
        return "紀錄日期晚於結案日期，不得登錄"
    return None


# --- Care-plan versions (case-management.md §8) -----------------------------------


@dataclass(frozen=True)
class PlanLine:
    code: str
    quantity: int
    frequency: str = ""
    note: str = ""


@dataclass
class PlanDiff:
    added: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    changed: list = field(default_factory=list)     # (old, new)
    text_changed: list = field(default_factory=list)  # names of changed text fields

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.text_changed)

    @property
    def services_changed(self) -> bool:
        """Q04: a change of services or amounts needs the centre's re-approval."""
        return bool(self.added or self.removed or self.changed)


def plan_differences(old_lines, new_lines, old_texts=None, new_texts=None) -> PlanDiff:
    """Compare two plan versions line by line (by service code) and their text fields."""
    diff = PlanDiff()
    old = {line.code: line for line in old_lines}
    new = {line.code: line for line in new_lines}
    for code, line in new.items():
        if code not in old:
            diff.added.append(line)
        elif old[code] != line:
            diff.changed.append((old[code], line))
    diff.removed = [line for code, line in old.items() if code not in new]
    for name in (old_texts or {}):
        if (old_texts or {}).get(name, "") != (new_texts or {}).get(name, ""):
            diff.text_changed.append(name)
    return diff


# --- State machines (allowed transitions) ------------------------------------------

CASE_STATES = {
    "ASSESSED": "照專評估完成",
    "CENTER_MANAGED": "照管中心自行管理",
    "REFERRED_TO_A": "已派案A單位",
    "A_ACCEPTED": "A單位已收案",
    "PLAN_APPROVED": "照顧計畫已核定",
    "IN_SERVICE": "服務中",
    "SUSPENDED": "暫停服務",
    "CLOSURE_PENDING": "結案通報中",
    "CLOSED": "結案",
}
CASE_TRANSITIONS = {
    ("ASSESSED", "refer"): "REFERRED_TO_A",
    ("CENTER_MANAGED", "refer"): "REFERRED_TO_A",
    ("ASSESSED", "self_manage"): "CENTER_MANAGED",
    ("REFERRED_TO_A", "accept"): "A_ACCEPTED",
    ("REFERRED_TO_A", "decline"): "ASSESSED",
    ("A_ACCEPTED", "approve_plan"): "PLAN_APPROVED",
    ("PLAN_APPROVED", "first_service"): "IN_SERVICE",
    ("IN_SERVICE", "suspend"): "SUSPENDED",
    ("PLAN_APPROVED", "suspend"): "SUSPENDED",
    ("SUSPENDED", "resume"): "IN_SERVICE",
}
OPEN_CASE_STATES = frozenset(CASE_STATES) - {"CLOSED"}
# Closure may be notified from any non-closed state; a rejected closure returns to the previous one.

PLAN_STATES = {
    "DRAFT": "草擬中",
    "SUBMITTED": "送照管中心核定",
    "APPROVED": "已核定",
    "RETURNED": "退回修正",
    "CHANGE_REQUESTED": "服務單位提出異動",
    "SUPERSEDED": "已被新版取代",
}
PLAN_TRANSITIONS = {
    ("DRAFT", "submit"): "SUBMITTED",
    ("RETURNED", "submit"): "SUBMITTED",
    ("SUBMITTED", "approve"): "APPROVED",
    ("SUBMITTED", "return"): "RETURNED",
    ("APPROVED", "change_notice"): "CHANGE_REQUESTED",
    ("APPROVED", "supersede"): "SUPERSEDED",
    ("CHANGE_REQUESTED", "supersede"): "SUPERSEDED",
}
# A plan whose services are in force (a change request keeps the approved services running, Q04).
PLAN_IN_FORCE = frozenset({"APPROVED", "CHANGE_REQUESTED"})

DISPATCH_STATES = {
    "REFERRED": "已照會",
    "ACCEPTED": "已接案",
    "DECLINED": "無法接案",
    "IN_SERVICE": "已提供首次服務",
    "OVERDUE": "逾期未提供服務",
    "REASSIGNED": "已改派",
    "ENDED": "已終止",
}
DISPATCH_TRANSITIONS = {
    ("REFERRED", "accept"): "ACCEPTED",
    ("REFERRED", "decline"): "DECLINED",
    ("REFERRED", "first_service"): "IN_SERVICE",
    ("ACCEPTED", "first_service"): "IN_SERVICE",
    ("REFERRED", "reassign"): "REASSIGNED",
    ("ACCEPTED", "reassign"): "REASSIGNED",
    ("DECLINED", "reassign"): "REASSIGNED",
    ("REFERRED", "end"): "ENDED",
    ("ACCEPTED", "end"): "ENDED",
    ("IN_SERVICE", "end"): "ENDED",
}
DISPATCH_ACTIVE = frozenset({"REFERRED", "ACCEPTED", "IN_SERVICE"})


def dispatch_overdue(state: str, due_on: date | None, today: date) -> bool:
    """A referral without a first service after its 5-office-day deadline is OVERDUE (R-AB-02, WE-04)."""
    return state in ("REFERRED", "ACCEPTED") and due_on is not None and today > due_on


CHANGE_STATES = {
    "DRAFT": "草稿",
    "COORDINATING": "協調中",
    "WITHDRAWN": "協調後不更換",
    "MATCHED": "已媒合新單位",
    "SUBMITTED": "已送衛生局",
    "RETURNED": "退回補正",
    "APPROVED": "衛生局已同意",
    "COMPLETED": "已完成計畫異動",
}
CHANGE_TRANSITIONS = {
    ("DRAFT", "coordinate"): "COORDINATING",
    ("DRAFT", "match"): "MATCHED",
    ("COORDINATING", "match"): "MATCHED",
    ("COORDINATING", "withdraw"): "WITHDRAWN",
    ("DRAFT", "withdraw"): "WITHDRAWN",
    ("MATCHED", "withdraw"): "WITHDRAWN",
    ("RETURNED", "withdraw"): "WITHDRAWN",
    ("MATCHED", "submit"): "SUBMITTED",
    ("RETURNED", "submit"): "SUBMITTED",
    ("SUBMITTED", "approve"): "APPROVED",
    ("SUBMITTED", "return"): "RETURNED",
    ("APPROVED", "complete"): "COMPLETED",
}
CHANGE_EDITABLE = frozenset({"DRAFT", "COORDINATING", "MATCHED", "RETURNED"})

PAUSE_STATES = {"SUBMITTED": "待衛生局審核", "APPROVED": "已核准", "REJECTED": "未核准", "WITHDRAWN": "已撤回"}


def next_state(transitions: dict, state: str, event: str) -> str | None:
    """Return the state after `event`, or None when the transition is not allowed."""
    return transitions.get((state, event))


def _roc(day) -> str:
    from portal.calendar import roc_date
    if isinstance(day, datetime):
        day = day.date()
    return roc_date(day) if day else "—"


# --- Uploads -----------------------------------------------------------------------

SCAN_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def sniff_scan(head: bytes) -> str | None:
    """Return the MIME type of a signed scan from its first bytes (PDF, JPEG, PNG), else None.

    The type is decided by content, never by the file name or the browser's claim.
    """
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None
