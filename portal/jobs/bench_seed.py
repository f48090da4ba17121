"""The county-scale benchmark data set (issue 10 §1), one code path for two callers (issue 12 §3):
`bench/seed_county.py` on the command line and the administrator's background job
(`portal/jobs/bench_job.py`).

`build()` works on the database of the current app context: 60,000 clients, 40 A units, 400 B units of
which 120 family-care homes, two years of daily service records for the homes (and their monthly
declarations), monthly case-management visits for the other clients, 3,000 incidents, 2,400 audits,
3,000 change-of-provider requests and 1,000 result reports, on top of the demo county. The demo users
(officer, a1cm, b1head, …) belong to units of the county, so their pages carry a county's share of the load.

Rows are copied from the demo's own rows (so every column has a value the application wrote) with
their keys, names, dates and states changed, and inserted with SQLAlchemy Core executemany in chunks.
The random generator is seeded: the same arguments build the same rows. `scale` sizes the records
(clients, cases, incidents…); `units` sizes the 40 A / 400 B units (1 except in tests, which want a
county of a few units in seconds).
"""
import logging
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, insert, select, text

from portal.extensions import db


class MissingTemplate(Exception):
    """The database has no demo row of a table to copy (the demo county was not loaded)."""


CHUNK = 5000
SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝洪郭邱曾廖賴徐周葉蘇莊呂江何蕭羅高潘簡朱鍾游彭詹胡施沈余盧梁趙顏柯翁魏孫戴"
GIVEN = "阿秀美麗玉金春英月雲明德文財福清水火土旺信義忠國華志偉淑惠珍芬蘭梅桂香鳳嬌"
_LETTERS = "ABCDEFGHJKLMNPQRSTUVXYWZIO"


def national_id(n: int, sex: str) -> str:
    """A checksum-valid 身分證字號 (the same algorithm as the client form's check)."""
    from portal.clients.rules import _LETTER_VALUES, _WEIGHTS
    letter = _LETTERS[n % 26]
    digits = [1 if sex == "M" else 2] + [int(c) for c in f"{(n * 7919 + 4_000_000) % 10_000_000:07d}"]
    value = _LETTER_VALUES[letter]
    total = value // 10 + (value % 10) * 9 + sum(d * w for d, w in zip(digits, _WEIGHTS[:8]))
    return letter + "".join(map(str, digits)) + str((10 - total % 10) % 10)


# The steps of `Seeder.run`, with a progress note and their share of the rows of a full county
# (710,945 visits of 1,387,094 rows…), so the progress bar moves roughly with the time spent.
STEPS = (
    ("units", "單位（organisations、contracts…）", 0.01),
    ("clients", "個案（clients、client_access）", 0.13),
    ("cases", "個案管理（cases、care_plans、b_dispatches）", 0.13),
    ("visits", "訪視紀錄（case_visits）", 0.51),
    ("change_requests", "更換服務單位（change_requests）", 0.005),
    ("billing", "家庭托顧服務紀錄與申報（billing_*）", 0.22),
    ("incidents", "異常事件（incidents、incident_reports）", 0.005),
    ("audits", "查核（audits）", 0.005),
    ("result_reports", "成果報告（result_reports）", 0.005),
)


class Seeder:
    def __init__(self, scale: float, seed: int, today: date, units: float = 1.0, progress=None):
        self.rnd = random.Random(seed)
        self.scale = scale
        self.units_scale = units
        self.progress = progress or (lambda fraction, note: None)
        self.done_share, self.step_note = 0.0, ""
        self.today = today
        self.now = datetime.combine(today, datetime.min.time(), timezone.utc) + timedelta(hours=2)
        self.added = {}
        self.conn = db.session.connection()
        self.meta = db.metadata

    # --- helpers ---------------------------------------------------------------------------------
    def n(self, full: int) -> int:
        return max(1, int(full * self.scale))

    def u(self, full: int) -> int:
        return max(1, int(full * self.units_scale))

    def table(self, name):
        return self.meta.tables[name]

    def template(self, name, **where):
        t = self.table(name)
        stmt = select(t)
        for k, v in where.items():
            stmt = stmt.where(t.c[k] == v)
        row = self.conn.execute(stmt.order_by(t.c.id).limit(1)).mappings().first()
        if row is None:
            raise MissingTemplate(f"no {name} row to copy{where}: run `flask seed-demo` first (or --fresh)")
        return dict(row)

    def next_id(self, name):
        t = self.table(name)
        return (self.conn.execute(select(func.max(t.c.id))).scalar() or 0) + 1

    def insert(self, name, rows):
        t = self.table(name)
        rows = list(rows)
        for i in range(0, len(rows), CHUNK):
            self.conn.execute(insert(t), rows[i:i + CHUNK])
            self.added[name] = self.added.get(name, 0) + len(rows[i:i + CHUNK])
            self.progress(self.done_share, f"{self.step_note}：{name} 已寫入 {self.added[name]:,} 筆")
        self.added.setdefault(name, 0)
        return rows

    def clone(self, template, **values):
        row = dict(template)
        row.update(values)
        return row

    def day_between(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rnd.randrange(max(1, (end - start).days)))

    def at(self, day: date, hour=9) -> datetime:
        return datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(hours=hour - 8)

    def name(self):
        return self.rnd.choice(SURNAMES) + self.rnd.choice(GIVEN) + self.rnd.choice(GIVEN)

    # --- the county --------------------------------------------------------------------------------
    def run(self):
        total = sum(share for _, _, share in STEPS)
        for method, note, share in STEPS:
            self.step_note = note
            self.progress(self.done_share, note)
            getattr(self, method)()
            self.done_share += share / total
        self.progress(1.0, "資料寫入完成")
        if db.engine.dialect.name == "postgresql":
            for name in self.added:
                if "id" not in self.table(name).c:
                    continue
                self.conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                       f"(SELECT coalesce(max(id), 1) FROM {name}))"))

    def units(self):
        c = self.conn
        orgs = self.table("organisations")
        self.areas = [r for (r,) in c.execute(select(self.table("service_areas").c.id))]
        users = self.table("users")
        self.officer_id = c.execute(select(users.c.id).where(users.c.role == "bureau_officer")).scalar()
        self.a_cm = dict(c.execute(select(users.c.organisation_id, users.c.id).where(
            users.c.role == "a_case_manager")).all())
        self.b_user = dict(c.execute(select(users.c.organisation_id, users.c.id).where(
            users.c.role.in_(("b_head", "b_staff")))).all())
        existing = c.execute(select(orgs.c.id, orgs.c.kind, orgs.c.subtype)).all()
        a_units = [i for i, k, _ in existing if k == "a_unit"]
        homes = [i for i, k, s in existing if k == "b_unit" and s == "family_care"]
        others = [i for i, k, s in existing if k == "b_unit" and s != "family_care"]
        self.a_units = a_units + self.add_orgs("a_unit", None, self.u(40) - len(a_units), "社區整合型服務中心")
        self.homes = homes + self.add_orgs("b_unit", "family_care", self.u(120) - len(homes), "家庭托顧服務")
        self.others = others + self.add_orgs("b_unit", "home_care", self.u(280) - len(others), "居家長照機構")

    def add_orgs(self, kind, subtype, count, suffix):
        if count <= 0:
            return []
        tpl = self.template("organisations", kind=kind)
        start = self.next_id("organisations")
        ids = list(range(start, start + count))
        rows = [self.clone(tpl, id=i, subtype=subtype, name=f"縣測{i:04d}{suffix}", short_name=f"縣測{i:04d}",
                           code=f"CTY{i:05d}", base_area_id=self.rnd.choice(self.areas), active=True)
                for i in ids]
        self.insert("organisations", rows)
        self.insert("organisation_service_areas", [
            {"organisation_id": r["id"], "service_area_id": r["base_area_id"]} for r in rows])
        if kind == "b_unit":
            svc = self.template("provider_services")
            start_svc = self.next_id("provider_services")
            self.insert("provider_services", [self.clone(svc, id=start_svc + n, organisation_id=i)
                                              for n, i in enumerate(ids)])
        if self.exists("contracts"):
            con = self.template("contracts")
            start_con = self.next_id("contracts")
            self.insert("contracts", [self.clone(con, id=start_con + n, organisation_id=i, number=f"CTY-{i}")
                                      for n, i in enumerate(ids)])
        return ids

    def exists(self, name):
        t = self.table(name)
        return self.conn.execute(select(t.c.id).limit(1)).first() is not None

    def clients(self):
        tpl = self.template("clients")
        access_tpl = self.template("client_access")
        taken = {n for (n,) in self.conn.execute(select(self.table("clients").c.national_id))}
        start = self.next_id("clients")
        count = self.n(60_000)
        rows, self.client_ids = [], []
        i = 0
        while len(rows) < count:
            sex = "M" if self.rnd.random() < 0.45 else "F"
            nid = national_id(start + i + 100_000, sex)
            i += 1
            if nid in taken:
                continue
            taken.add(nid)
            cid = start + len(rows)
            birth = self.day_between(date(1925, 1, 1), date(1960, 12, 31))
            rows.append(self.clone(tpl, id=cid, name=self.name(), national_id=nid, birth_date=birth, sex=sex,
                                   cms_level=self.rnd.randint(2, 8), service_area_id=self.rnd.choice(self.areas),
                                   phone=f"09{self.rnd.randrange(10**8):08d}", submission_key=None,
                                   anonymised_at=None, created_at=self.now, updated_at=self.now, version=1))
            self.client_ids.append(cid)
        self.insert("clients", rows)
        # 480 clients attend a family-care home (4 per home); the rest get home care from other B units.
        self.home_of = {}
        per_home = 4
        for n, cid in enumerate(self.client_ids[:len(self.homes) * per_home]):
            self.home_of[cid] = self.homes[n // per_home]
        self.b_of = {cid: self.home_of.get(cid) or self.rnd.choice(self.others) for cid in self.client_ids}
        self.a_of = {cid: self.a_units[n % len(self.a_units)] for n, cid in enumerate(self.client_ids)}
        start_access = self.next_id("client_access")
        access = []
        for cid in self.client_ids:
            for org, relation in ((self.a_of[cid], "a_unit"), (self.b_of[cid], "b_unit")):
                access.append(self.clone(access_tpl, id=start_access + len(access), client_id=cid,
                                         organisation_id=org, relation=relation, read_only=False,
                                         started_at=self.now - timedelta(days=800), ended_at=None))
        self.insert("client_access", access)

    def cases(self):
        case_tpl = self.template("cases", state="IN_SERVICE")
        plan_tpl = self.template("care_plans", state="APPROVED")
        disp_tpl = self.template("b_dispatches", state="IN_SERVICE")
        case_id, plan_id, disp_id = self.next_id("cases"), self.next_id("care_plans"), self.next_id("b_dispatches")
        cases, plans, dispatches = [], [], []
        self.in_service = []     # (case_id, dispatch_id, b_org)
        for cid in self.client_ids:
            r = self.rnd.random()
            state = "IN_SERVICE" if r < 0.9 else ("PLAN_APPROVED" if r < 0.93 else
                                                  ("SUSPENDED" if r < 0.95 else "CLOSED"))
            accepted = self.day_between(self.today - timedelta(days=730), self.today - timedelta(days=30))
            a_unit = self.a_of[cid]
            cases.append(self.clone(case_tpl, id=case_id, client_id=cid, state=state, a_unit_id=a_unit,
                                    case_manager_id=self.a_cm.get(a_unit), first_referred_on=accepted,
                                    accepted_on=accepted, plan_approved_on=accepted + timedelta(days=5),
                                    first_service_on=(accepted + timedelta(days=8)) if state != "PLAN_APPROVED"
                                    else None, closed_on=self.today - timedelta(days=10) if state == "CLOSED" else None,
                                    closure_reason="1" if state == "CLOSED" else None, died_on=None,
                                    submission_key=None, created_at=self.at(accepted), updated_at=self.now,
                                    version=1))
            plans.append(self.clone(plan_tpl, id=plan_id, case_id=case_id, number=1, state="APPROVED",
                                    based_on_id=None, created_at=self.at(accepted), submitted_at=self.at(accepted),
                                    decided_at=self.at(accepted + timedelta(days=5)),
                                    approved_on=accepted + timedelta(days=5), superseded_at=None, version=1))
            if state in ("IN_SERVICE", "SUSPENDED", "CLOSED"):
                referred = accepted + timedelta(days=5)
                dispatches.append(self.clone(disp_tpl, id=disp_id, case_id=case_id, plan_id=plan_id,
                                             organisation_id=self.b_of[cid], state="IN_SERVICE",
                                             referred_on=referred, referred_at=self.at(referred),
                                             referred_by_id=self.a_cm.get(a_unit) or disp_tpl["referred_by_id"],
                                             due_on=referred + timedelta(days=7), answered_at=self.at(referred),
                                             first_service_on=referred + timedelta(days=3),
                                             ended_on=None, replaces_id=None, version=1))
                if state == "IN_SERVICE":
                    self.in_service.append((case_id, disp_id, self.b_of[cid], accepted))
                disp_id += 1
            case_id += 1
            plan_id += 1
        self.insert("cases", cases)
        self.insert("care_plans", plans)
        self.insert("b_dispatches", dispatches)

    def visits(self):
        """A phone visit a month and a home visit a quarter for two years, per case in service."""
        tpl = self.template("case_visits")
        visit_id = self.next_id("case_visits")
        rows = []
        months = 24 if self.scale >= 1 else max(2, int(24 * self.scale))
        for case_id, _, _, accepted in self.in_service:
            for m in range(months):
                day = self.today - timedelta(days=30 * m + self.rnd.randrange(5))
                if day < accepted:
                    break
                kind = "home" if m % 3 == 0 else "phone"
                rows.append(self.clone(tpl, id=visit_id, case_id=case_id, kind=kind, visited_on=day,
                                       visitor_id=tpl["visitor_id"], summary="個案狀況穩定，持續服務。",
                                       created_at=self.at(day), submission_key=None))
                visit_id += 1
            if len(rows) >= CHUNK * 10:
                self.insert("case_visits", rows)
                rows = []
        self.insert("case_visits", rows)

    def change_requests(self):
        tpl = self.template("change_requests")
        start = self.next_id("change_requests")
        chosen = self.rnd.sample(self.in_service, min(len(self.in_service), self.n(3000)))
        states = ["COMPLETED"] * 70 + ["APPROVED"] * 8 + ["SUBMITTED"] * 6 + ["RETURNED"] * 3 + \
            ["WITHDRAWN"] * 8 + ["DRAFT"] * 5
        rows = []
        for n, (case_id, disp_id, b_org, accepted) in enumerate(chosen):
            state = self.rnd.choice(states)
            requested = self.day_between(accepted, self.today)
            rows.append(self.clone(tpl, id=start + n, case_id=case_id, dispatch_id=disp_id, state=state,
                                   requested_on=requested, new_org_id=self.rnd.choice(self.others),
                                   submitted_at=self.at(requested) if state not in ("DRAFT", "WITHDRAWN") else None,
                                   decided_at=self.at(requested + timedelta(days=3))
                                   if state in ("APPROVED", "COMPLETED") else None,
                                   new_dispatch_id=None, scan_path=None, created_at=self.at(requested), version=1))
        self.insert("change_requests", rows)

    def billing(self):
        """Admissions, daily service records for two years and monthly declarations of every home."""
        adm_tpl = self.template("billing_admissions")
        day_tpl = self.template("billing_service_days", attended=True)
        dec_tpl = self.template("billing_declarations")
        adm_id, day_id, dec_id = (self.next_id("billing_admissions"), self.next_id("billing_service_days"),
                                  self.next_id("billing_declarations"))
        first = self.today - timedelta(days=int(730 * min(1, self.scale)) if self.scale < 1 else 730)
        existing = {(o, cl, d) for o, cl, d in self.conn.execute(select(
            self.table("billing_service_days").c.organisation_id, self.table("billing_service_days").c.client_id,
            self.table("billing_service_days").c.day))}
        admissions, days = [], []
        for cid, home in self.home_of.items():
            admissions.append(self.clone(adm_tpl, id=adm_id, organisation_id=home, client_id=cid, admitted_on=first,
                                         ended_on=None, created_at=self.at(first), version=1))
            day = first
            while day < self.today:
                if day.weekday() < 6 and (home, cid, day) not in existing:
                    days.append(self.clone(day_tpl, id=day_id, organisation_id=home, admission_id=adm_id,
                                           client_id=cid, day=day, created_by_id=self.b_user.get(home),
                                           updated_by_id=None, created_at=self.at(day, 17),
                                           updated_at=self.at(day, 17), late_entry=False, version=1))
                    day_id += 1
                day += timedelta(days=1)
            adm_id += 1
            if len(days) >= CHUNK * 10:
                self.insert("billing_admissions", admissions)
                self.insert("billing_service_days", days)
                admissions, days = [], []
        self.insert("billing_admissions", admissions)
        self.insert("billing_service_days", days)
        taken = {(o, m) for o, m in self.conn.execute(select(self.table("billing_declarations").c.organisation_id,
                                                             self.table("billing_declarations").c.service_month))}
        decs = []
        month = date(first.year, first.month, 1)
        last = date(self.today.year, self.today.month, 1)
        while month < last:
            for home in self.homes:
                if (home, month) in taken:
                    continue
                status = "paid" if month < date(last.year - (last.month < 3), (last.month - 3) % 12 + 1, 1) \
                    else self.rnd.choice(["requested", "submitted", "paid"])
                decs.append(self.clone(dec_tpl, id=dec_id, organisation_id=home, service_month=month, status=status,
                                       version_no=1, created_at=self.at(month), version=1))
                dec_id += 1
            month = (month + timedelta(days=32)).replace(day=1)
        self.insert("billing_declarations", decs)

    def incidents(self):
        inc_tpl = self.template("incidents")
        rep_tpl = self.template("incident_reports", kind="initial")
        inc_id, rep_id = self.next_id("incidents"), self.next_id("incident_reports")
        incidents, reports = [], []
        clients = self.table("clients")
        sample = self.rnd.sample(self.client_ids, min(len(self.client_ids), self.n(3000)))
        info = {r.id: r for r in self.conn.execute(select(clients.c.id, clients.c.name, clients.c.national_id,
                                                          clients.c.sex, clients.c.birth_date)
                                                   .where(clients.c.id >= min(self.client_ids)))}
        for n, cid in enumerate(sample):
            c = info[cid]
            occurred = self.day_between(self.today - timedelta(days=730), self.today)
            status = "closed" if occurred < self.today - timedelta(days=60) else self.rnd.choice(
                ["closed", "received", "follow_up", "initial_submitted"])
            incidents.append(self.clone(inc_tpl, id=inc_id + n, status=status, reporting_org_id=self.b_of[cid],
                                        client_id=cid, a_unit_id=self.a_of[cid], client_name=c.name,
                                        client_national_id=c.national_id, client_sex=c.sex,
                                        client_birth_date=c.birth_date, occurred_at=self.at(occurred, 10),
                                        learned_at=self.at(occurred, 11), created_at=self.at(occurred, 12),
                                        updated_at=self.at(occurred, 12), submission_key=None,
                                        closed_at=self.at(occurred + timedelta(days=20)) if status == "closed" else None,
                                        version=1))
            reports.append(self.clone(rep_tpl, id=rep_id + n, incident_id=inc_id + n, kind="initial", seq=1,
                                      status="submitted", submission_key=None, created_at=self.at(occurred, 12),
                                      submitted_at=self.at(occurred, 12), received_at=self.at(occurred, 14),
                                      version=1))
        self.insert("incidents", incidents)
        self.insert("incident_reports", reports)

    def audits(self):
        tpl = self.template("audits", status="finalised")
        start = self.next_id("audits")
        units = self.a_units + self.homes + self.others
        rows = []
        for n in range(self.n(2400)):
            org = units[n % len(units)]
            scheduled = self.day_between(self.today - timedelta(days=730), self.today + timedelta(days=60))
            done = scheduled < self.today
            passed = self.rnd.random() < 0.9
            rows.append(self.clone(tpl, id=start + n, round_id=None, organisation_id=org, audit_type="regular",
                                   recheck_of_id=None, scheduled_on=scheduled,
                                   status="finalised" if done else "scheduled",
                                   passed=passed if done else None, finalised_at=self.at(scheduled, 16) if done else None,
                                   created_at=self.at(scheduled - timedelta(days=30)), version=1))
        self.insert("audits", rows)

    def result_reports(self):
        tpl = self.template("result_reports", state="accepted")
        start = self.next_id("result_reports")
        taken = {(o, y) for o, y in self.conn.execute(select(self.table("result_reports").c.organisation_id,
                                                             self.table("result_reports").c.service_year))}
        rows = []
        year = self.today.year - 1
        while len(rows) < self.n(1000) and year > 2000:
            for home in self.homes:
                if len(rows) >= self.n(1000):
                    break
                if (home, year) in taken:
                    continue
                state = "accepted" if year < self.today.year - 1 else self.rnd.choice(["accepted", "submitted", "draft"])
                rows.append(self.clone(tpl, id=start + len(rows), organisation_id=home, service_year=year, state=state,
                                       submitted_at=self.at(date(year + 1, 1, 10)) if state != "draft" else None,
                                       received_at=self.at(date(year + 1, 1, 10)) if state != "draft" else None,
                                       decided_at=self.at(date(year + 1, 1, 25)) if state == "accepted" else None,
                                       created_at=self.at(date(year + 1, 1, 2)), updated_at=self.now, version=1))
            year -= 1
        self.insert("result_reports", rows)




@dataclass
class Summary:
    """What a run added: the lines `bench/seed_county.py` prints, and the job's result file."""
    database: str                     # the target without user or password
    added: dict = field(default_factory=dict)     # table -> rows added
    totals: dict = field(default_factory=dict)    # table -> rows now
    seconds: float = 0.0              # the county rows (not the schema and demo data)
    prepare_seconds: float | None = None          # migrations and demo county (--fresh)

    @property
    def rows(self) -> int:
        return sum(self.added.values())

    def lines(self) -> list[str]:
        out = []
        if self.prepare_seconds is not None:
            out.append(f"schema and demo data: {self.prepare_seconds:.1f} s")
        out.append(f"\n{'table':32} {'rows added':>11} {'rows now':>10}")
        for name, count in sorted(self.added.items()):
            out.append(f"{name:32} {count:11,d} {self.totals[name]:10,d}")
        seconds = max(self.seconds, 1e-6)
        out.append(f"\n{self.rows:,d} rows in {self.seconds:.1f} s ({self.rows / seconds:,.0f} rows/s); "
                   f"database: {self.database}")
        return out


def database_label(url) -> str:
    """The URL without user and password (`postgresql+psycopg://…@host/db` → `host/db`)."""
    return str(url).split("@")[-1]


@contextmanager
def logging_kept():
    """Alembic's env.py runs logging.fileConfig, which disables every logger already made and replaces
    the root handlers; a worker or app process that migrates a bench database must keep its own logging."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    disabled = {name: lg.disabled for name, lg in logging.root.manager.loggerDict.items()
                if isinstance(lg, logging.Logger)}
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, lg in logging.root.manager.loggerDict.items():
            if isinstance(lg, logging.Logger):
                lg.disabled = disabled.get(name, False)


def build(*, scale: float = 1.0, seed: int = 10, units: float = 1.0, fresh: bool = False,
          progress=None) -> Summary:
    """Add the county to the database of the current app context and commit; return the summary.

    `fresh`: migrate first and load the demo county when the database has no organisation yet.
    `progress(fraction 0–1, note)` is called per step and per chunk written. Raises MissingTemplate
    when there is no demo row to copy.
    """
    from flask import current_app

    from portal import clock
    report = progress or (lambda fraction, note: None)
    started = time.perf_counter()
    summary = Summary(database=database_label(current_app.config["SQLALCHEMY_DATABASE_URI"]))
    if fresh:
        from flask_migrate import upgrade

        from portal.orgs.models import Organisation
        report(0.0, "建立資料表（資料庫遷移）")
        with logging_kept():
            upgrade()
        if not db.session.execute(db.select(Organisation.id).limit(1)).first():
            report(0.03, "建立示範縣資料")
            from portal.demo_data import seed_all
            seed_all(current_app.config["DEMO_PASSWORD"])
            db.session.commit()
        summary.prepare_seconds = time.perf_counter() - started
    head = 0.1 if fresh else 0.0   # share of the bar for the schema and the demo county
    seeder = Seeder(scale, seed, clock.today(), units=units,
                    progress=lambda fraction, note: report(head + (0.95 - head) * fraction, note))
    county_started = time.perf_counter()
    seeder.run()
    db.session.commit()
    summary.seconds = time.perf_counter() - county_started
    summary.added = dict(seeder.added)
    report(0.96, "統計各資料表筆數")
    for name in summary.added:
        summary.totals[name] = db.session.execute(text(f"SELECT count(*) FROM {name}")).scalar()
    if db.engine.dialect.name == "postgresql":
        # VACUUM as well as ANALYZE: a production database's autovacuum would have visited tables this size
        # (the visibility map lets PostgreSQL count and read from indexes alone); a machine may run with
        # autovacuum off, and freshly loaded rows are otherwise measured as no deployed database sees them.
        report(0.98, "整理資料表並更新統計（VACUUM ANALYZE）")
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return summary
