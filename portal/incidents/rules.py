"""Incident-reporting rules (seed 003 附件4, spec incidents.md, decisions Q21) — pure functions.

No Flask, no database, no clock: "now" and the office calendar (`cal=`) are
passed in. Hour deadlines are exact clock arithmetic and never roll (README
§4.2); office-day deadlines use `portal.calendar` (README §4.3, Q02).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from portal.calendar import OfficeCalendar, add_office_days, calendar_days_due

TAIPEI = ZoneInfo("Asia/Taipei")

# --- Severity (incidents.md §4) ---------------------------------------------
# Form order: most severe first (通報單 §四).
SEVERITIES = ("death", "extreme", "severe", "moderate", "mild", "none")
SEVERITY_RANK = {"none": 0, "mild": 1, "moderate": 2, "severe": 3, "extreme": 4, "death": 5}
# Hours within which the unit supervisor notifies the responsible unit (§5.1, §5.5).
NOTIFY_HOURS = {"moderate": 4, "severe": 1, "extreme": 1, "death": 1}
# 「於工作日(24 小時內)」 is 24 hours (Q21); every band submits the form within 24 h.
FORM_HOURS = 24
# Suicide-prevention report and DV/sexual-assault mandatory report: within 24 h of knowing (§5.5).
SUICIDE_REPORT_HOURS = 24
DV_REPORT_HOURS = 24
FOLLOWUP_OFFICE_DAYS = 5    # §5.2 「原則為 5 個工作日內」
CLOSING_OFFICE_DAYS = 10    # §5.3 「最後一次續報後 10 個工作日內」
MEDIATION_NOTICE_DAYS = 20  # §3(四) 「於受理次日起二十日內」

# --- Categories (incidents.md §2, 通報單 §六) ---------------------------------
# Group (一) 「服務期間」, in form order. 「不當利益往來」 is added because the rules list it (Q21).
SERVICE_CATEGORIES = ("medical_transfer", "security", "medication", "public_accident", "harmful_behaviour",
                      "care_accident", "dv_service", "improper_benefit", "other_service")
# Group (二) 「不限服務時段，知悉時即通報」.
ANYTIME_CATEGORIES = ("dv_sexual_assault", "suicide_self_harm", "media", "other_anytime")
DV_CATEGORIES = frozenset({"dv_service", "dv_sexual_assault"})
SUICIDE_CATEGORIES = frozenset({"suicide_self_harm"})

# Immediate actions (通報單 §八).
NO_INTERVENTION = ("none_needed", "refused", "none_other")
INTERVENTIONS = ("medical", "comfort", "police", "dv_reported", "suicide_reported", "other")

PERIODS = ("service", "non_service")


def category_group(code: str) -> int:
    """Return 1 for a 「服務期間」 category, 2 for a 「不限服務時段」 one."""
    if code in SERVICE_CATEGORIES:
        return 1
    if code in ANYTIME_CATEGORIES:
        return 2
    raise ValueError(f"unknown incident category {code!r}")


def _check_severity(severity: str) -> None:
    if severity not in SEVERITY_RANK:
        raise ValueError(f"unknown severity {severity!r}")


def incident_deadlines(severity: str, occurred_at: datetime) -> dict:
    """Return the 初報 deadlines: {"notify_by": datetime | None, "form_by": datetime}.

    none/mild → no advance notification, form within 24 h; moderate → notify
    within 4 h; severe, extreme, death → within 1 h (incidents.md §5.1, §5.5).
    `occurred_at` is the clock start (Q21: when staff learned of the event).
    """
    _check_severity(severity)
    hours = NOTIFY_HOURS.get(severity)
    return {
        "notify_by": occurred_at + timedelta(hours=hours) if hours else None,
        "form_by": occurred_at + timedelta(hours=FORM_HOURS),
    }


def followup_due(changed_on: date, *, cal: OfficeCalendar | None = None) -> date:
    """Return the last day for a 續報: 5 office days after the major change became known (§5.2)."""
    return add_office_days(changed_on, FOLLOWUP_OFFICE_DAYS, cal=cal)


def closing_due(last_followup_on: date, *, cal: OfficeCalendar | None = None) -> date:
    """Return the last day for the 結報: 10 office days after the last 續報 (§5.3).

    Without any 續報, pass the 初報 submission date (Q21).
    """
    return add_office_days(last_followup_on, CLOSING_OFFICE_DAYS, cal=cal)


def suicide_report_due(learned_at: datetime) -> datetime:
    """Return when the suicide-prevention report (自殺防治通報) is due: 24 h after knowing (§2.2, §5.5)."""
    return learned_at + timedelta(hours=SUICIDE_REPORT_HOURS)


def dv_report_due(learned_at: datetime) -> datetime:
    """Return when the DV/sexual-assault mandatory report (責任通報) is due: 24 h after knowing (§5.5)."""
    return learned_at + timedelta(hours=DV_REPORT_HOURS)


def mediation_notice_due(received_on: date, *, cal: OfficeCalendar | None = None) -> date:
    """Return the day by which the parties must be told the mediation date and place.

    20 calendar days counted from the day after receipt, rolled past rest days
    (incidents.md §3(四), Q21, Q02).
    """
    return calendar_days_due(received_on, MEDIATION_NOTICE_DAYS, cal=cal)


def clock_start(period: str, occurred_at: datetime, learned_at: datetime | None = None) -> datetime:
    """Return when the deadlines start: when staff learned of the event (Q21).

    During service that is the occurrence; otherwise the knowledge time when
    it is given and not earlier than the occurrence.
    """
    if period == "service" or learned_at is None or learned_at < occurred_at:
        return occurred_at
    return learned_at


def needs_form(period: str, categories) -> bool:
    """Return False for a group (一) event outside service hours: platform record only (§2.3)."""
    cats = set(categories or ())
    if any(category_group(c) == 2 for c in cats):
        return True
    return period == "service"


def needs_notification(severity: str) -> bool:
    """Return True when the unit supervisor must notify the responsible unit first (moderate and above)."""
    return severity in NOTIFY_HOURS


def severity_raised(old: str, new: str) -> bool:
    return SEVERITY_RANK[new] > SEVERITY_RANK[old]


def action_problems(no_intervention, interventions, categories) -> tuple[list[str], list[str]]:
    """Check the immediate actions (通報單 §八): return (errors, warnings) in zh-TW.

    At least one box; a 「無介入」 reason cannot be combined with an intervention;
    suicide and DV events should show their report box ticked (incidents.md §8).
    """
    none_set, done = set(no_intervention or ()), set(interventions or ())
    cats = set(categories or ())
    errors, warnings = [], []
    if not none_set and not done:
        errors.append("請至少勾選一項立即處理方式")
    if none_set and done:
        errors.append("已勾選「無介入」的原因，就不能同時勾選介入處理；請擇一")
    if cats & SUICIDE_CATEGORIES and "suicide_reported" not in done:
        warnings.append("自殺(含意圖)、自傷事件應於知悉 24 小時內通報自殺防治中心，目前尚未勾選「已通報自殺防治中心」")
    if cats & DV_CATEGORIES and "dv_reported" not in done:
        warnings.append("家庭暴力暨性侵害事件應於 24 小時內完成責任通報，目前尚未勾選")
    return errors, warnings


# --- Deadline schedule ---------------------------------------------------------

def end_of_day(day: date) -> datetime:
    """Return the instant a date deadline passes: the start of the next day, Taipei time."""
    return datetime.combine(day + timedelta(days=1), time(), TAIPEI)


@dataclass(frozen=True)
class Deadline:
    """One obligation with its due time and, once done, when it was done."""

    key: str
    label: str
    due: datetime | date
    done_at: datetime | None = None
    note: str = ""

    @cached_property
    def due_at(self) -> datetime:
        """The instant the deadline passes (end of day for date deadlines)."""
        return self.due if isinstance(self.due, datetime) else end_of_day(self.due)

    @property
    def done(self) -> bool:
        return self.done_at is not None

    def state(self, now: datetime) -> str:
        """Return "on_time" (準時), "late" (逾時), "pending" or "overdue"."""
        if self.done_at is not None:
            return "on_time" if self.done_at <= self.due_at else "late"
        return "pending" if now <= self.due_at else "overdue"

    def lateness(self, now: datetime | None = None) -> timedelta | None:
        """Return how late it was done (or is, when still open), else None."""
        moment = self.done_at or now
        if moment is None or moment <= self.due_at:
            return None
        return moment - self.due_at


STATE_LABELS = {"on_time": "準時", "late": "逾時", "pending": "期限內", "overdue": "已逾期"}


def duration_text(delta: timedelta) -> str:
    """Return 「2 天 3 小時」, 「15 分」 — how long, in words."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} 天")
    if hours:
        parts.append(f"{hours} 小時")
    if mins or not parts:
        parts.append(f"{mins} 分")
    return " ".join(parts)


@dataclass(frozen=True)
class FollowupFact:
    change_known_at: datetime | None
    submitted_at: datetime | None
    seq: int = 1


@dataclass(frozen=True)
class IncidentFacts:
    """What the schedule needs to know about one incident (plain values, no ORM)."""

    severity: str                        # severity of the 初報 (or of the draft)
    clock_start: datetime
    categories: tuple = ()
    period: str = "service"
    unit_caused: bool = False
    upgrades: tuple = ()                 # ((severity, known_at), …) raised later in 續報
    notifications: tuple = ()            # times the responsible unit was notified
    form_submitted_at: datetime | None = None
    suicide_reported_at: datetime | None = None
    dv_reported_at: datetime | None = None
    platform_recorded_at: datetime | None = None
    followups: tuple = ()                # FollowupFact, drafts included (submitted_at None)
    followup_requested_by: date | None = None
    followup_requested_at: datetime | None = None
    closing_submitted_at: datetime | None = None
    closing_due_override: date | None = None
    withdrawn: bool = False


def _first_at_or_after(times, moment):
    eligible = sorted(t for t in times if moment is None or t >= moment)
    return eligible[0] if eligible else None


def _taipei_day(moment: datetime) -> date:
    return moment.astimezone(TAIPEI).date()


def incident_schedule(facts: IncidentFacts, *, cal: OfficeCalendar | None = None) -> list[Deadline]:
    """Return every deadline of an incident, in due order (incidents.md §5, Q21).

    Outside-service group (一) events (platform record only) and withdrawn
    records have none. A severity raised in a 續報 adds a new notification
    deadline counted from the time the change became known, when that is
    later than the clock start (Q21).
    """
    if facts.withdrawn or not needs_form(facts.period, facts.categories):
        return []
    start = facts.clock_start
    items: list[Deadline] = []
    first = incident_deadlines(facts.severity, start)
    if first["notify_by"]:
        items.append(Deadline("notify", "先行通報主管機關", first["notify_by"],
                              _first_at_or_after(facts.notifications, None),
                              note=f"{NOTIFY_HOURS[facts.severity]} 小時內"))
    items.append(Deadline("form", "遞交異常事件通報單（初報）", first["form_by"], facts.form_submitted_at,
                          note="24 小時內"))
    if facts.unit_caused and facts.severity in ("none", "mild"):
        items.append(Deadline("improvement", "擬定改善建議方案", first["form_by"], facts.form_submitted_at,
                              note="隨通報單提出"))
    cats = set(facts.categories)
    if cats & SUICIDE_CATEGORIES:
        items.append(Deadline("suicide_report", "自殺防治通報", suicide_report_due(start),
                              facts.suicide_reported_at, note="知悉 24 小時內"))
    if cats & DV_CATEGORIES:
        items.append(Deadline("dv_report", "家庭暴力暨性侵害事件責任通報", dv_report_due(start),
                              facts.dv_reported_at, note="24 小時內"))
    # 註1: the national platform's change report goes in together with the form.
    items.append(Deadline("platform", "照顧服務管理資訊平台異動通報", first["form_by"],
                          facts.platform_recorded_at, note="與通報單同步"))
    current = facts.severity
    for n, (severity, known_at) in enumerate(facts.upgrades, start=1):
        if not severity_raised(current, severity):
            continue
        old_hours, new_hours = NOTIFY_HOURS.get(current), NOTIFY_HOURS.get(severity)
        current = severity
        if new_hours and (old_hours is None or new_hours < old_hours):
            base = max(start, known_at)
            items.append(Deadline(f"notify_upgrade_{n}", "嚴重度升級，再行通報主管機關",
                                  incident_deadlines(severity, base)["notify_by"],
                                  _first_at_or_after(facts.notifications, known_at),
                                  note=f"{new_hours} 小時內"))
    for f in facts.followups:
        if f.change_known_at is None:
            continue
        items.append(Deadline(f"followup_{f.seq}", f"續報（第 {f.seq} 次）",
                              followup_due(_taipei_day(f.change_known_at), cal=cal), f.submitted_at,
                              note="重大變化知悉後 5 個工作日內"))
    if facts.followup_requested_by and facts.followup_requested_at:
        answered = _first_at_or_after([f.submitted_at for f in facts.followups if f.submitted_at],
                                      facts.followup_requested_at)
        items.append(Deadline("followup_requested", "主管機關要求續報", facts.followup_requested_by, answered))
    if facts.form_submitted_at is not None:
        submitted = [f.submitted_at for f in facts.followups if f.submitted_at]
        base_day = _taipei_day(max(submitted)) if submitted else _taipei_day(facts.form_submitted_at)
        due = closing_due(base_day, cal=cal)
        note = "最後一次續報後 10 個工作日內" if submitted else "初報後 10 個工作日內（無續報）"
        if facts.closing_due_override and facts.closing_due_override < due:
            due, note = facts.closing_due_override, "主管機關縮短期限"
        items.append(Deadline("closing", "結報", due, facts.closing_submitted_at, note=note))
    return sorted(items, key=lambda d: (d.due_at, d.key))


def open_deadlines(schedule: list[Deadline]) -> list[Deadline]:
    return [d for d in schedule if not d.done]


def next_deadline(schedule: list[Deadline]) -> Deadline | None:
    """Return the open deadline that passes first (overdue ones first), or None."""
    pending = open_deadlines(schedule)
    return min(pending, key=lambda d: d.due_at) if pending else None


def deadline_summary(schedule: list[Deadline], now: datetime):
    """(next deadline, the overdue ones, the ones done late) of one incident at `now`, in one pass: what the
    bureau's board shows for each of a county's open incidents on every request. The same as `next_deadline`
    and each deadline's `state(now)` ("overdue", "late")."""
    pending = [d for d in schedule if d.done_at is None]
    return (min(pending, key=lambda d: d.due_at) if pending else None,
            [d for d in pending if now > d.due_at],
            [d for d in schedule if d.done_at is not None and d.done_at > d.due_at])


# --- State machine (incidents.md §7) ---------------------------------------------

STATUS_LABELS = {
    "recorded": "事件登錄",
    "authority_notified": "已先行通報主管機關",
    "initial_submitted": "初報已遞交",
    "received": "已受理",
    "follow_up": "續報中",
    "closing_submitted": "結報已遞交",
    "closed": "結案",
    "platform_only": "僅平台異動紀錄",
    "withdrawn": "已撤銷",
}
OPEN_STATUSES = frozenset({"recorded", "authority_notified", "initial_submitted", "received", "follow_up",
                           "closing_submitted"})
DRAFT_STATUSES = frozenset({"recorded", "authority_notified"})
SUBMITTED_STATUSES = frozenset({"initial_submitted", "received", "follow_up", "closing_submitted", "closed"})

# (from, event) -> to. A 續報/結報 may follow the 初報 before the authority records
# its receipt: the receiving officer's delay must not make the unit late [interpretation].
TRANSITIONS = {
    ("recorded", "notify"): "authority_notified",
    ("recorded", "submit_initial"): "initial_submitted",
    ("authority_notified", "submit_initial"): "initial_submitted",
    ("recorded", "record_platform"): "platform_only",
    ("recorded", "withdraw"): "withdrawn",
    ("authority_notified", "withdraw"): "withdrawn",
    ("initial_submitted", "receive"): "received",
    ("initial_submitted", "submit_followup"): "follow_up",
    ("received", "submit_followup"): "follow_up",
    ("follow_up", "submit_followup"): "follow_up",
    ("initial_submitted", "submit_closing"): "closing_submitted",
    ("received", "submit_closing"): "closing_submitted",
    ("follow_up", "submit_closing"): "closing_submitted",
    ("closing_submitted", "reopen"): "follow_up",
    ("closing_submitted", "close"): "closed",
}


def next_status(status: str, event: str) -> str | None:
    """Return the status after `event`, or None when the event is not allowed now."""
    return TRANSITIONS.get((status, event))


# --- Dispute mediation (爭議調處, incidents.md §3(四)) -------------------------------

DISPUTE_STATUS_LABELS = {
    "received": "已受理",
    "scheduled": "已通知調處期日",
    "settled": "調處成立",
    "failed": "調處不成立",
    "withdrawn": "撤回",
}
DISPUTE_TRANSITIONS = {
    ("received", "schedule"): "scheduled",
    ("scheduled", "schedule"): "scheduled",   # rescheduling re-notifies the parties
    ("scheduled", "settle"): "settled",
    ("scheduled", "fail"): "failed",
    ("received", "withdraw"): "withdrawn",
    ("scheduled", "withdraw"): "withdrawn",
}


def dispute_next_status(status: str, event: str) -> str | None:
    return DISPUTE_TRANSITIONS.get((status, event))


# --- Monthly statistics ---------------------------------------------------------------

@dataclass
class Tally:
    """Counts by key, keeping the order keys are offered in."""

    order: tuple = ()
    counts: dict = field(default_factory=dict)

    def add(self, key, n=1):
        self.counts[key] = self.counts.get(key, 0) + n

    def rows(self):
        keys = list(self.order) + [k for k in self.counts if k not in self.order]
        return [(k, self.counts.get(k, 0)) for k in keys]

    @property
    def total(self):
        return sum(self.counts.values())


def bar_chart(rows, *, width=560, bar_height=22, gap=6, label_width=190, value_width=48):
    """Return the geometry of a horizontal bar chart: bars scaled to the largest value.

    `rows` is [(label, value)]; returns a dict with the SVG size and one entry per bar.
    """
    peak = max((v for _, v in rows), default=0) or 1
    span = width - label_width - value_width
    bars = []
    for i, (label, value) in enumerate(rows):
        y = i * (bar_height + gap)
        length = round(span * value / peak, 1) if value else 0
        bars.append({"label": label, "value": value, "x": label_width, "y": y, "width": length,
                     "height": bar_height, "text_y": y + bar_height * 0.7,
                     "value_x": label_width + length + 6})
    return {"width": width, "height": max(len(rows) * (bar_height + gap) - gap, bar_height),
            "label_width": label_width, "bars": bars}


def column_chart(rows, *, width=560, height=200, gap=8, label_height=22, top=18):
    """Return the geometry of a vertical column chart (e.g. incidents per month)."""
    peak = max((v for _, v in rows), default=0) or 1
    n = max(len(rows), 1)
    slot = width / n
    plot = height - label_height - top
    cols = []
    for i, (label, value) in enumerate(rows):
        h = round(plot * value / peak, 1) if value else 0
        x = round(i * slot + gap / 2, 1)
        cols.append({"label": label, "value": value, "x": x, "width": round(slot - gap, 1),
                     "y": round(top + plot - h, 1), "height": h, "center": round(x + (slot - gap) / 2, 1),
                     "label_y": height - 6, "value_y": round(top + plot - h - 4, 1)})
    return {"width": width, "height": height, "columns": cols, "baseline": top + plot}
