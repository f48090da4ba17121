"""Contract (特約) rules: statuses, allowed actions, dispatch stops and violation points.

Pure functions: no Flask, no database, no clock ("today" is passed in).
Sources: case-management.md §12 (violations, art. 19/20), §13.2 (contract
states), family-care.md §15 (違約記點, seed 003 §十七), decisions Q06, Q07, Q20,
worked examples WE-14, WE-15, WE-33.
"""
import calendar as _calendar
from dataclasses import dataclass
from datetime import date, timedelta

from portal.calendar import roc_date

ACTIVE = "active"
DISPATCH_PAUSED = "dispatch_paused"
SUSPENDED = "suspended"
TERMINATED = "terminated"
CANCELLED = "cancelled"
NOT_RENEWED = "not_renewed"

# issue 8 item 1 names 有效/暫停派案/暫停特約/終止/不予續約; seed 003 §十七 adds 解除 (當年度特約).
STATUS_LABELS = {
    ACTIVE: "有效",
    DISPATCH_PAUSED: "暫停派案",
    SUSPENDED: "暫停特約",
    TERMINATED: "終止",
    CANCELLED: "解除特約",
    NOT_RENEWED: "不予續約",
}
# Shown for an active contract outside its period (display only, never stored).
EXPIRED, PENDING = "expired", "pending"
DISPLAY_LABELS = {**STATUS_LABELS, EXPIRED: "期滿", PENDING: "尚未生效"}
FINAL_STATUSES = frozenset({TERMINATED, CANCELLED, NOT_RENEWED})
# Statuses in which the unit receives no new referrals (§4.2 last paragraph; decisions Q06).
BLOCKING_STATUSES = frozenset({DISPATCH_PAUSED, SUSPENDED, TERMINATED, CANCELLED, NOT_RENEWED})


@dataclass(frozen=True)
class ContractAction:
    code: str
    label: str
    from_statuses: frozenset
    to_status: str
    default_basis: str


ACTIONS = {a.code: a for a in (
    # art. 19: 暫停派案 (a sanction, optionally for a fixed period such as 停止派案3個月, R-VIO-03).
    ContractAction("pause_dispatch", "暫停派案", frozenset({ACTIVE}), DISPATCH_PAUSED, "art19"),
    ContractAction("resume_dispatch", "恢復派案", frozenset({DISPATCH_PAUSED}), ACTIVE, "art19"),
    # R-AUD-05: 3 consecutive fails → 暫停特約; passed re-check → back to 有效 (Q06).
    ContractAction("suspend", "暫停特約", frozenset({ACTIVE, DISPATCH_PAUSED}), SUSPENDED, "audit"),
    ContractAction("reinstate", "恢復特約", frozenset({SUSPENDED}), ACTIVE, "audit"),
    # R-AUD-05 failed re-check, R-VIO-01/02: 停止特約關係 / 終止契約 (art. 20).
    ContractAction("terminate", "終止契約", frozenset({ACTIVE, DISPATCH_PAUSED, SUSPENDED}), TERMINATED, "art20"),
    # seed 003 §十七: 3 violation points in a year → 解除當年度特約.
    ContractAction("cancel", "解除特約", frozenset({ACTIVE, DISPATCH_PAUSED, SUSPENDED}), CANCELLED, "points"),
    ContractAction("not_renew", "不予續約", frozenset({ACTIVE, DISPATCH_PAUSED, SUSPENDED}), NOT_RENEWED, "art20"),
)}


def action_allowed(status: str, action: str) -> tuple[bool, str]:
    """Return (allowed, zh-TW reason when not) for `action` on a contract in `status`."""
    spec = ACTIONS.get(action)
    if spec is None:
        return False, "不明的特約處分"
    if status in spec.from_statuses:
        return True, ""
    label = STATUS_LABELS.get(status, status)
    if status in FINAL_STATUSES:
        return False, f"此特約已「{label}」，不能再「{spec.label}」"
    return False, f"特約目前為「{label}」，不能「{spec.label}」"


def allowed_actions(status: str) -> list[str]:
    return [code for code, spec in ACTIONS.items() if status in spec.from_statuses]


def effective_status(status: str, paused_until: date | None, today: date) -> str:
    """A fixed-period dispatch pause ends by itself after its last day ([interpretation] §4.2 'end date reached')."""
    if status == DISPATCH_PAUSED and paused_until is not None and today > paused_until:
        return ACTIVE
    return status


def display_status(status: str, paused_until: date | None, starts_on: date, ends_on: date, today: date) -> str:
    """The status to show: an active contract before or after its period reads 尚未生效 / 期滿."""
    current = effective_status(status, paused_until, today)
    if current == ACTIVE and today > ends_on:
        return EXPIRED
    if current == ACTIVE and today < starts_on:
        return PENDING
    return current


def add_months(day: date, months: int) -> date:
    """Same day of month `months` later, or that month's last day (README §4.3 'Months')."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def dispatch_stop_period(start: date, months: int = 3) -> tuple[date, date]:
    """First and last stopped day of a dispatch stop of `months` months (WE-15: 114-06-17 → 114-09-16)."""
    return start, add_months(start, months) - timedelta(days=1)


def notice_overdue_on(deadline: date) -> date:
    """The day a remediation notice becomes overdue: the day after its deadline (WE-15)."""
    return deadline + timedelta(days=1)


_BLOCK_TEXT = {DISPATCH_PAUSED: "暫停派案", SUSPENDED: "暫停特約", TERMINATED: "特約已終止",
               CANCELLED: "已解除特約", NOT_RENEWED: "不予續約"}


def referral_block_reasons(*, status: str, paused_until: date | None, starts_on: date, ends_on: date,
                           today: date, status_since: date | None = None) -> list[str]:
    """Why a unit with this contract may not receive new referrals on `today` (empty when it may)."""
    current = effective_status(status, paused_until, today)
    if current in BLOCKING_STATUSES:
        text = _BLOCK_TEXT[current]
        if current == DISPATCH_PAUSED and paused_until and status_since:
            return [f"{text}（{roc_date(status_since)}起至{roc_date(paused_until)}止）"]
        if current == DISPATCH_PAUSED and paused_until:
            return [f"{text}（至{roc_date(paused_until)}止）"]
        return [f"{text}（自{roc_date(status_since)}起）" if status_since else text]
    if today < starts_on:
        return [f"特約期間自{roc_date(starts_on)}起，尚未生效"]
    if today > ends_on:
        return [f"特約期間已於{roc_date(ends_on)}屆滿"]
    return []


# --- Violation points (違約記點), seed 003 §十七 / family-care.md §15 -----------------

POINTS_THRESHOLD = 3  # 「當年度累計達3次」 (seed)


def points_in_year(point_dates, year: int) -> int:
    """Number of points dated in calendar `year` (當年度 = calendar year, decisions Q20)."""
    return sum(1 for d in point_dates if d.year == year)


def contract_cancelled(violation_points_in_year: int) -> bool:
    """True at 3 points or more in one year: cancel that year's contract (rules-api.md)."""
    return violation_points_in_year >= POINTS_THRESHOLD


def points_outcome(point_dates, year: int) -> dict:
    """What `year`'s points mean (WE-33): count, whether the contract is cancelled, the year made ineligible."""
    count = points_in_year(point_dates, year)
    cancel = contract_cancelled(count)
    return {"year": year, "count": count, "cancel": cancel, "ineligible_year": year + 1 if cancel else None,
            "remaining": max(0, POINTS_THRESHOLD - count)}
