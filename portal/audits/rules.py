"""Audit rules: pass marks, the running tally and the unit's standing (seed 000 §七(六)).

Pure functions: no Flask, no database, no clock. Sources: case-management.md §13,
rules-api.md (`audit_passed`, `audit_standing`), decisions Q06, worked examples WE-13, WE-14.
"""
from dataclasses import dataclass
from datetime import date

from portal.calendar import roll_to_office_day
from portal.contracts.rules import add_months

PASS, FAIL, NA = "pass", "fail", "na"
OUTCOME_LABELS = {PASS: "合格", FAIL: "不合格", NA: "不適用"}

GOOD, MUST_CORRECT, SUSPENDED, TERMINATED = "good", "must_correct", "suspended", "terminated"
STANDING_LABELS = {
    GOOD: "正常",
    MUST_CORRECT: "待改善",
    SUSPENDED: "暫停特約，待複查",
    TERMINATED: "停止特約關係",
}
CONSECUTIVE_FAILS_TO_SUSPEND = 3   # 「連續3次查核為不合格」 (seed)
AT_RISK_FAILS = 2                  # one more fail suspends the contract (issue 4 §7)
RECHECK_AFTER_MONTHS = 1           # 「一個月後進行複查」 (seed)


def audit_passed(items_passed: int, pass_mark: int = 8) -> bool:
    """Fewer than `pass_mark` items passing is 不合格 (R-AUD-03: 「合格題數未達8題為「不合格」」)."""
    return items_passed >= pass_mark


def audit_standing(results) -> str:
    """The unit's standing after its audits in order (True = 合格), as rules-api.md defines it.

    good: last passed or none yet; must_correct: last failed, fewer than 3 in a row; suspended: 3 in a
    row (re-check one month later); terminated: the audit after a suspension failed (final).
    A passed audit after a suspension restores good and restarts the count (decisions Q06).
    """
    standing, fails = GOOD, 0
    for passed in results:
        if standing == TERMINATED:
            break
        if standing == SUSPENDED:  # this audit is the re-check
            standing, fails = (GOOD, 0) if passed else (TERMINATED, fails)
            continue
        if passed:
            standing, fails = GOOD, 0
        else:
            fails += 1
            standing = SUSPENDED if fails >= CONSECUTIVE_FAILS_TO_SUSPEND else MUST_CORRECT
    return standing


def consecutive_fails(results) -> int:
    """Number of most recent 不合格 in a row, reset by a 合格 (case-management.md §13 computation)."""
    count = 0
    for passed in results:
        count = 0 if passed else count + 1
    return count


def at_risk(results) -> bool:
    """Two failures in a row and not yet suspended: the next fail suspends the contract."""
    return audit_standing(results) == MUST_CORRECT and consecutive_fails(results) >= AT_RISK_FAILS


def recheck_due(suspended_on: date, *, cal=None) -> date:
    """Re-check one month after the suspension (WE-14: 114-05-16 → on/after 114-06-16), on an office day."""
    return roll_to_office_day(add_months(suspended_on, RECHECK_AFTER_MONTHS), cal=cal)


@dataclass(frozen=True)
class ItemRule:
    """How one item is scored: pass/fail (optionally N/A) or points with the points that pass it."""
    scoring: str = "pass_fail"          # pass_fail | points
    allow_na: bool = False
    max_points: int | None = None
    pass_points: int | None = None


def item_outcome(rule: ItemRule, outcome: str | None, points: int | None) -> str | None:
    """合格/不合格/不適用 of one answer; a points item passes at `pass_points` or more."""
    if outcome == NA:
        return NA if rule.allow_na else None
    if rule.scoring == "points":
        if points is None:
            return None
        return PASS if points >= (rule.pass_points if rule.pass_points is not None else 0) else FAIL
    return outcome if outcome in (PASS, FAIL) else None


@dataclass(frozen=True)
class Tally:
    total: int
    scored: int
    passed: int
    failed: int
    not_applicable: int
    points: int
    pass_rule: str
    pass_mark: int

    @property
    def unscored(self) -> int:
        return self.total - self.scored

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.scored == self.total

    @property
    def achieved(self) -> int:
        return self.points if self.pass_rule == "points" else self.passed

    @property
    def needed(self) -> int:
        """How many more passing items (or points) the pass mark still needs."""
        return max(0, self.pass_mark - self.achieved)

    @property
    def passing(self) -> bool:
        return audit_passed(self.achieved, self.pass_mark)

    @property
    def result(self) -> bool | None:
        """True 合格 / False 不合格 once every item is scored, else None."""
        return self.passing if self.complete else None

    @property
    def still_possible(self) -> bool:
        """Whether the unscored items could still reach the pass mark (for the live tally)."""
        return self.needed <= self.unscored or self.passing

    def summary(self) -> str:
        """「已合格 7／13，尚差 1 題」 (issue 4 §3)."""
        if self.pass_rule == "points":
            head = f"已得 {self.points} 分（及格 {self.pass_mark} 分）"
            return head + (f"，尚差 {self.needed} 分" if self.needed else "，已達及格分數")
        head = f"已合格 {self.passed}／{self.total}"
        return head + (f"，尚差 {self.needed} 題" if self.needed else "，已達合格題數")


def tally(answers, *, total: int, pass_mark: int, pass_rule: str = "items") -> Tally:
    """Count `answers` — (ItemRule, outcome, points) for each item answered — against the pass rule."""
    passed = failed = na = points = 0
    for rule, outcome, pts in answers:
        result = item_outcome(rule, outcome, pts)
        if result == PASS:
            passed += 1
        elif result == FAIL:
            failed += 1
        elif result == NA:
            na += 1
        if result in (PASS, FAIL) and rule.scoring == "points" and pts:
            points += pts
    return Tally(total=total, scored=passed + failed + na, passed=passed, failed=failed, not_applicable=na,
                 points=points, pass_rule=pass_rule, pass_mark=pass_mark)


def finalise_refusal(t: Tally) -> str | None:
    """Why an audit cannot be finalised yet (WE-13: all items must be scored), or None."""
    if t.total == 0:
        return "查核表沒有題目，無法送出。"
    if not t.complete:
        return f"尚有 {t.unscored} 題未評分，全部題目評分後才能送出。"
    return None


SUSPEND, TERMINATE, REINSTATE = "suspend", "terminate", "reinstate"
CONSEQUENCE_LABELS = {SUSPEND: "暫停特約", TERMINATE: "終止契約（停止特約關係）", REINSTATE: "恢復特約"}


def consequence(standing: str, contract_status: str | None, *, suspended_for_audits: bool = False) -> str | None:
    """The contract action the bureau should be prompted to take (R-AUD-05; decisions Q06), or None.

    `contract_status` is the contract's effective status (portal/contracts/rules.py), None without one.
    """
    if contract_status is None:
        return None
    if standing == SUSPENDED and contract_status in ("active", "dispatch_paused"):
        return SUSPEND
    if standing == TERMINATED and contract_status in ("active", "dispatch_paused", "suspended"):
        return TERMINATE
    if standing == GOOD and contract_status == "suspended" and suspended_for_audits:
        return REINSTATE
    return None


def months_since(last: date, today: date) -> int:
    """Whole calendar months from `last` to `today` (for the 'no audit for 2 months' warning, Q06)."""
    months = (today.year - last.year) * 12 + today.month - last.month
    if today.day < last.day:
        months -= 1
    return max(0, months)
