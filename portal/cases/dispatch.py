"""Facts for the B-unit recommendation list (Q08) and the rotation cursor (輪派).

The ranking itself is the pure `rules.rank_b_units`; this module gathers what it
needs from the database: eligible units, open capacity, average days to first
service, A-unit ratings, the client's facts, and the cursor of the client's
service area and service type, locked with SELECT … FOR UPDATE while a
dispatch is decided so two case managers never get the same "next" unit.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import exists, func
from sqlalchemy.orm import joinedload
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal import calendar, clock
from portal.auth import roles
from portal.cases import rules
from portal.cases.models import (Case, Dispatch, ProviderEvaluation, ProviderService, RotationCursor, RotationTurn,
                                 SERVICE_TYPES)
from portal.cases.settings import DEFAULT_CAPACITY, PROVIDER_TYPES, setting
from portal.extensions import db
from portal.orgs.models import Organisation, organisation_service_areas
from portal.orgs.standing import one_pass, per_unit, referral_blockers_for, unit_summaries

RECENT_DISPATCHES = 20   # how many first services the "average days" looks at


@dataclass
class Offer:
    """What a B unit offers for one service type."""

    capacity: int
    accepting: bool = True
    codes: frozenset | None = None
    declared: bool = False      # False: default from the unit's subtype


def offers_of(orgs) -> dict:
    """Return {org_id: {service_type: Offer}} from the units' declarations or their subtype's defaults."""
    ids = [o.id for o in orgs]
    rows = db.session.execute(db.select(ProviderService).where(ProviderService.organisation_id.in_(ids))).scalars().all() \
        if ids else []
    declared = {}
    for row in rows:
        declared.setdefault(row.organisation_id, {})[row.service_type] = Offer(
            row.capacity, row.accepting, frozenset(row.codes) if row.codes else None, True)
    defaults, by_subtype = setting(DEFAULT_CAPACITY), setting(PROVIDER_TYPES)
    result = {}
    for org in orgs:
        if org.id in declared:
            result[org.id] = declared[org.id]
        else:
            result[org.id] = {t: Offer(int(defaults.get(t, 0))) for t in by_subtype.get(org.subtype or "", [])}
    return result


def office_days_between(start: date, end: date, cal) -> int:
    """Office days after `start` up to and including `end` (0 when served the same day)."""
    days, day = 0, start
    while day < end:
        day = calendar.add_office_days(day, 1, cal=cal)
        if day <= end:
            days += 1
    return days


def office_day_counter(first: date, last: date, cal):
    """Return `count(start, end)` = office_days_between(start, end) for dates within [first, last].

    Each day of the span is looked up once (a running total), not once per pair: the recommendation
    averages up to RECENT_DISPATCHES pairs for each of hundreds of units over the same few years.
    """
    running, total, day = {}, 0, first
    while day <= last:
        if calendar.is_office_day(day, cal=cal):
            total += 1
        running[day] = total
        day += timedelta(days=1)

    def count(start: date, end: date) -> int:
        return running[end] - running[start] if start < end else 0
    return count


def average_days_to_first_service(org_ids, cal) -> dict:
    """Return {org_id: Decimal average office days from referral to first service} over recent dispatches."""
    result = {}
    org_ids = list(org_ids)
    if not org_ids:
        return result
    # Each unit's most recent RECENT_DISPATCHES first services, for every unit in one query.
    rank = func.row_number().over(partition_by=Dispatch.organisation_id,
                                  order_by=(Dispatch.first_service_on.desc(), Dispatch.id.desc())).label("rank")
    recent = (db.select(Dispatch.organisation_id, Dispatch.referred_on, Dispatch.first_service_on, rank)
              .where(Dispatch.organisation_id.in_(org_ids), Dispatch.first_service_on.is_not(None)).subquery())
    by_org = {}
    rows = db.session.execute(
        db.select(recent.c.organisation_id, recent.c.referred_on, recent.c.first_service_on)
        .where(recent.c.rank <= RECENT_DISPATCHES)).all()
    if not rows:
        return result
    for org_id, referred, first in rows:
        by_org.setdefault(org_id, []).append((referred, first))
    days = [d for _, r, f in rows for d in (r, f)]
    count = office_day_counter(min(days), max(days), cal)
    for org_id in org_ids:
        pairs = by_org.get(org_id)
        if pairs:
            total = sum(count(r, f) for r, f in pairs)
            result[org_id] = (Decimal(total) / Decimal(len(pairs))).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return result


def latest_ratings(org_ids) -> dict:
    """Return {org_id: (average rating Decimal, count, latest period)} over each A unit's latest rating."""
    if not org_ids:
        return {}
    return per_unit("cases.latest_ratings", org_ids, _latest_ratings)


def _latest_ratings(org_ids) -> dict:
    # Each A unit's latest rating of each B unit (later periods win), averaged per B unit in SQL.
    E = ProviderEvaluation
    latest = func.row_number().over(partition_by=(E.b_unit_id, E.a_unit_id),
                                    order_by=(E.period.desc(), E.id.desc())).label("latest")
    rows = db.select(E.b_unit_id, E.rating, E.period, latest).where(E.b_unit_id.in_(list(org_ids))).subquery()
    result = {}
    for org_id, total, count, period in db.session.execute(
            db.select(rows.c.b_unit_id, func.sum(rows.c.rating), func.count(), func.max(rows.c.period))
            .where(rows.c.latest == 1).group_by(rows.c.b_unit_id)).all():
        avg = (Decimal(int(total)) / Decimal(count)).quantize(Decimal("0.1"), ROUND_HALF_UP)
        result[org_id] = (avg, count, period)
    return result


@dataclass
class CandidateRow:
    """One B unit on the recommendation screen: the ranking entry plus what the screen shows."""

    org: Organisation
    ranked: rules.RankedBUnit | None = None
    exclusions: list = field(default_factory=list)
    capacity: int = 0
    open_capacity: int = 0
    facts: list = field(default_factory=list)      # unit_summaries (audits, contract standing…)
    rating: tuple | None = None


@dataclass
class Recommendation:
    case: Case
    service_type: str
    client: rules.DispatchClient
    ranked: list            # CandidateRow, in ranking order
    excluded: list          # CandidateRow that are not candidates, with reasons

    @property
    def proposal(self):
        return self.ranked[0] if self.ranked else None

    def row_for(self, org_id):
        return next((r for r in self.ranked if r.org.id == org_id), None)

    def snapshot(self) -> list:
        """The list as the CM saw it, stored with the decision (R-AB-01 transparency)."""
        return [{"org_id": r.org.id, "name": r.org.name, "position": r.ranked.position,
                 "flags": list(r.ranked.flags), "reasons": list(r.ranked.reasons),
                 "open_capacity": r.open_capacity, "facts": r.facts} for r in self.ranked]


def client_facts(case: Case, service_type: str) -> rules.DispatchClient:
    plan = case.current_plan
    codes = frozenset(i.code for i in plan.items_of(service_type)) if plan else frozenset()
    chosen = case.preferences.get(service_type) if case.preferences else None
    current = {d.organisation_id for d in case.dispatches if d.service_type == service_type and d.is_active}
    if not current:   # 舊案: the provider of this service type in the client's previous episode
        previous = db.session.execute(
            db.select(Dispatch.organisation_id).join(Case, Case.id == Dispatch.case_id)
            .where(Case.client_id == case.client_id, Case.id != case.id, Dispatch.service_type == service_type,
                   Dispatch.first_service_on.is_not(None))
            .order_by(Dispatch.first_service_on.desc()).limit(1)).scalar_one_or_none()
        if previous:
            current = {previous}
    return rules.DispatchClient(
        service_area_id=case.client.service_area_id, required_codes=codes,
        chosen_org_ids=frozenset({int(chosen)}) if chosen else frozenset(),
        current_org_ids=frozenset(current), applied_by_org_id=case.applied_by_org_id)


def recommend(case: Case, service_type: str, *, today: date, cal, rotation_cursor: dict,
              exclude_org_ids=()) -> Recommendation:
    """Build the ranked recommendation for one service type of a case.

    Every unit's facts come from a few set-based queries (no query or loop per unit); the slower facts
    (first-service averages, ratings, the areas' unit summaries) are gathered only for the units that
    pass the exclusions, since only those are ranked and shown with facts.
    """
    client = client_facts(case, service_type)
    # Each unit with whether it serves the client's area and its active dispatches of the type: one statement.
    # (Counted with one GROUP BY joined in: PostgreSQL 18 ms on the county set, a correlated count 114 ms.)
    serves = exists().where(organisation_service_areas.c.organisation_id == Organisation.id,
                            organisation_service_areas.c.service_area_id == client.service_area_id)
    active = (db.select(Dispatch.organisation_id, func.count().label("n"))
              .where(Dispatch.service_type == service_type, Dispatch.state.in_(rules.DISPATCH_ACTIVE))
              .group_by(Dispatch.organisation_id).subquery())
    found = db.session.execute(
        db.select(Organisation, serves.label("serves"), func.coalesce(active.c.n, 0))
        .outerjoin(active, active.c.organisation_id == Organisation.id)
        .where(Organisation.kind == roles.B_UNIT, Organisation.active)
        .options(joinedload(Organisation.base_area)).order_by(Organisation.id)).all()
    excluded_ids = set(exclude_org_ids)
    serving = {org.id for org, serves_area, _ in found if serves_area}
    counts = {org.id: n for org, _, n in found}
    orgs = [org for org, _, _ in found if org.id not in excluded_ids]
    with one_pass():   # blockers and unit facts read the same contracts: load them once
        blockers = referral_blockers_for(orgs, today)   # every unit's blockers in a few queries
        offers = offers_of(orgs)
        candidates, rows, excluded = [], {}, []
        for org in orgs:
            offer = offers[org.id].get(service_type)
            if offer is None:
                continue    # units that do not offer the service type are not listed at all
            open_capacity = max(offer.capacity - counts.get(org.id, 0), 0)
            # A unit already serving the client keeps its place even when full (舊案維持原單位).
            keeps_client = org.id in client.current_org_ids
            reasons = rules.exclusion_reasons(rules.ExclusionFacts(
                serves_area=org.id in serving,
                provides_type=True, open_capacity=open_capacity if not keeps_client else max(open_capacity, 1),
                accepting=offer.accepting, blockers=tuple(blockers[org.id])))
            row = CandidateRow(org, exclusions=reasons, capacity=offer.capacity, open_capacity=open_capacity)
            if reasons:
                excluded.append(row)
            else:
                rows[org.id] = row
        ids = list(rows)
        averages = average_days_to_first_service(ids, cal)
        ratings = latest_ratings(ids)
        facts = unit_summaries(ids)
    for org_id, row in rows.items():
        org, offer = row.org, offers[org_id][service_type]
        row.facts, row.rating = facts.get(org_id, []), ratings.get(org_id)
        candidates.append(rules.BUnitCandidate(
            org_id=org.id, name=org.name, registered=org.id, base_area_id=org.base_area_id,
            offered_codes=offer.codes, open_capacity=row.open_capacity,
            avg_days_to_first_service=averages.get(org.id),
            rating=ratings[org.id][0] if org.id in ratings else None))
    ranked = rules.rank_b_units(client, candidates, rotation_cursor=rotation_cursor)
    ordered = []
    for entry in ranked:
        rows[entry.org_id].ranked = entry
        ordered.append(rows[entry.org_id])
    return Recommendation(case, service_type, client, ordered, excluded)


# --- The rotation cursor --------------------------------------------------------------


def _cursor_row(area_id: int, service_type: str, *, lock: bool) -> RotationCursor | None:
    stmt = db.select(RotationCursor).filter_by(service_area_id=area_id, service_type=service_type)
    if lock:
        # PostgreSQL: a second case manager waits here until the first commits (Q08).
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    row = db.session.execute(stmt).scalar_one_or_none()
    if row is None and lock:
        # First dispatch of this area and type: create the row; a concurrent creator wins, we lock it.
        insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
        db.session.execute(insert(RotationCursor).values(service_area_id=area_id, service_type=service_type, turns=0)
                           .on_conflict_do_nothing(index_elements=["service_area_id", "service_type"]))
        row = db.session.execute(stmt).scalar_one()
    return row


def lock_cursor(area_id: int, service_type: str) -> RotationCursor:
    """Return the cursor row of an area and service type, created if missing, locked FOR UPDATE."""
    return _cursor_row(area_id, service_type, lock=True)


def rotation_map(cursor: RotationCursor | None) -> dict:
    """Return {org_id: last rotation assignment (Taipei time)} of a cursor."""
    if cursor is None:
        return {}
    rows = db.session.execute(db.select(RotationTurn).filter_by(cursor_id=cursor.id)).scalars().all()
    return {r.organisation_id: r.assigned_at.astimezone(clock.TAIPEI) for r in rows}


def peek_rotation(area_id: int, service_type: str) -> dict:
    """The cursor's assignments without locking (for showing the list)."""
    return rotation_map(_cursor_row(area_id, service_type, lock=False))


def record_turn(cursor: RotationCursor, org_id: int, now) -> None:
    """Advance the cursor: `org_id` received a case by rotation now."""
    turn = db.session.execute(db.select(RotationTurn).filter_by(cursor_id=cursor.id, organisation_id=org_id)
                              ).scalar_one_or_none()
    if turn is None:
        db.session.add(RotationTurn(cursor_id=cursor.id, organisation_id=org_id, assigned_at=now))
    else:
        turn.assigned_at = now
    cursor.turns += 1
    cursor.updated_at = now


def service_type_label(service_type):
    return SERVICE_TYPES.get(service_type, service_type)
