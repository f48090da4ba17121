"""The demo county 「示範縣」 (decisions Q01: fictional, so no one mistakes it for a real bureau)."""
import random
from datetime import date

from portal import clock
from portal.auth import roles
from portal.auth.models import User
from portal.clients.models import Client, ClientAccess, ClientContact
from portal.clients.rules import _LETTER_VALUES, _WEIGHTS
from portal.demo import DemoContext, registered_seeders
from portal.extensions import db
from portal.orgs.models import Organisation, OrganisationLink, ServiceArea
from portal.settings.models import CountyProfile

AREAS = [("示範市", "D01"), ("東港鄉", "D02"), ("西湖鎮", "D03"), ("南山鄉", "D04"), ("北濱鄉", "D05"), ("中興鄉", "D06")]

ORGS = {
    # key: (kind, subtype, name, short, base area code, served area codes)
    "bureau": ("bureau", None, "示範縣衛生局", "衛生局", "D01", []),
    "a1": ("a_unit", None, "示範縣東區社區整合型服務中心", "東區A單位", "D02", ["D01", "D02", "D04"]),
    "a2": ("a_unit", None, "示範縣西區社區整合型服務中心", "西區A單位", "D03", ["D03", "D05", "D06"]),
    "b1": ("b_unit", "family_care", "陳美華家庭托顧服務", "陳家托顧", "D02", ["D01", "D02"]),
    "b2": ("b_unit", "family_care", "林秀英家庭托顧服務", "林家托顧", "D03", ["D03", "D05"]),
    "b3": ("b_unit", "home_care", "示範縣安心居家長照機構", "安心居家", "D01", ["D01", "D02", "D03", "D04"]),
    "b4": ("b_unit", "home_care", "示範縣康福居家長照機構", "康福居家", "D04", ["D04", "D05", "D06"]),
    "g1": ("guidance", None, "示範縣家庭托顧輔導協會", "家托輔導協會", "D01", []),
    "p1": ("applicant", None, "示範縣好鄰居居家長照機構（籌設中）", "好鄰居籌備處", "D05", []),
}

# username: (role, org key, full name, title)
USERS = {
    "admin": (roles.ADMIN, "bureau", "王志明", "資訊管理員"),
    "officer": (roles.BUREAU_OFFICER, "bureau", "李淑芬", "長照科承辦人"),
    "chief": (roles.BUREAU_CHIEF, "bureau", "張國華", "長照科科長"),
    "caremgr": (roles.CARE_MANAGER, "bureau", "黃雅婷", "照顧管理專員"),
    "supervisor": (roles.CARE_SUPERVISOR, "bureau", "吳建宏", "照顧管理督導"),
    "auditor": (roles.AUDITOR, "bureau", "劉文雄", "查核委員"),
    "a1cm": (roles.A_CASE_MANAGER, "a1", "蔡佩珊", "個案管理師"),
    "a1head": (roles.A_UNIT_HEAD, "a1", "楊振華", "A單位主管"),
    "a2cm": (roles.A_CASE_MANAGER, "a2", "許家豪", "個案管理師"),
    "a2head": (roles.A_UNIT_HEAD, "a2", "鄭麗玲", "A單位主管"),
    "b1head": (roles.B_HEAD, "b1", "陳美華", "家托員（負責人）"),
    "b2head": (roles.B_HEAD, "b2", "林秀英", "家托員（負責人）"),
    "b3head": (roles.B_HEAD, "b3", "謝明德", "機構負責人"),
    "b3staff": (roles.B_STAFF, "b3", "周怡君", "居家服務督導員"),
    "b4head": (roles.B_HEAD, "b4", "洪俊傑", "機構負責人"),
    "guide": (roles.GUIDANCE_STAFF, "g1", "邱靜怡", "專責輔導人員"),
    "applicant": (roles.APPLICANT, "p1", "郭志強", "設立申請人"),
}

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周"
GIVEN = ["阿水", "秀蘭", "金生", "玉英", "春田", "美惠", "文雄", "月娥", "清河", "素珍", "添財", "寶珠",
         "正雄", "麗卿", "榮華", "碧雲", "火旺", "淑惠", "德昌", "秋月"]


def make_national_id(rng: random.Random, letter: str, sex: str) -> str:
    """Return a checksum-valid national ID (demo only)."""
    digits = [1 if sex == "M" else 2] + [rng.randint(0, 9) for _ in range(7)]
    value = _LETTER_VALUES[letter]
    total = value // 10 + (value % 10) * 9 + sum(d * w for d, w in zip(digits, _WEIGHTS[:8]))
    check = (10 - total % 10) % 10
    return letter + "".join(map(str, digits)) + str(check)


def seed_all(password: str) -> DemoContext:
    rng = random.Random(20251125)
    ctx = DemoContext(today=clock.today())
    db.session.add(CountyProfile(county_name="示範縣", bureau_name="示範縣衛生局",
                                 care_centre_name="示範縣長期照顧管理中心",
                                 bureau_address="示範縣示範市健康路1號", bureau_phone="(08)123-4567",
                                 rule_set="generic"))
    for i, (name, code) in enumerate(AREAS):
        area = ServiceArea(name=name, code=code, sort_order=i + 1)
        db.session.add(area)
        ctx.areas[code] = area
    db.session.flush()
    for n, (key, (kind, subtype, name, short, base, served)) in enumerate(ORGS.items()):
        org = Organisation(kind=kind, subtype=subtype, name=name, short_name=short, base_area=ctx.areas[base],
                           code=f"DEMO{n:03d}", head_name=None, phone=f"(08)765-{4321 + n}",
                           address=f"示範縣{ctx.areas[base].name}中正路{10 + n}號",
                           service_areas=[ctx.areas[c] for c in served])
        db.session.add(org)
        ctx.orgs[key] = org
    db.session.flush()
    for username, (role, org_key, full_name, title) in USERS.items():
        user = User(username=username, full_name=full_name, job_title=title, role=role,
                    organisation=ctx.orgs[org_key], email=f"{username}@demo.invalid")
        user.set_password(password)
        db.session.add(user)
        ctx.users[username] = user
        if role == roles.B_HEAD and not ctx.orgs[org_key].head_name:
            ctx.orgs[org_key].head_name = full_name
    db.session.flush()
    for home in ("b1", "b2"):  # the guidance association guides both family-care homes (read-only)
        db.session.add(OrganisationLink(from_org_id=ctx.orgs["g1"].id, to_org_id=ctx.orgs[home].id,
                                        relation="guides", read_only=True, started_on=date(2024, 1, 1)))
    _seed_clients(ctx, rng)
    for seeder in registered_seeders():
        seeder(ctx)
        db.session.flush()
    return ctx


def _seed_clients(ctx: DemoContext, rng: random.Random):
    area_codes = list(ctx.areas)
    welfare = ["general"] * 6 + ["mid_low"] * 3 + ["low"]
    for i in range(36):
        sex = "M" if i % 2 == 0 else "F"
        area = ctx.areas[area_codes[i % len(area_codes)]]
        birth = date(rng.randint(1930, 1958), rng.randint(1, 12), rng.randint(1, 28))
        dementia = i % 5 == 0
        disabled = i % 4 == 1
        client = Client(
            name=SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)],
            national_id=make_national_id(rng, "ABDEFGHJKLMNPQRSTUVX"[i % 20], sex),
            birth_date=birth, sex=sex, indigenous=(i % 9 == 4), welfare_status=welfare[i % len(welfare)],
            cms_level=2 + i % 7, disability_certificate=disabled,
            disability_category=("7" if disabled else None), disability_degree=("moderate" if disabled else None),
            dementia_diagnosed=dementia, dementia_diagnosed_on=(date(2023, 3, 1 + i % 27) if dementia else None),
            phone=f"09{rng.randint(10, 99)}-{rng.randint(100, 999)}-{rng.randint(100, 999)}",
            address=f"示範縣{area.name}民生路{i + 1}號", service_area=area,
        )
        client.contacts = [ClientContact(position=0, name=SURNAMES[(i + 3) % 20] + "小姐" if sex == "M" else
                                         SURNAMES[i % 20] + "先生", relation="子女",
                                         phone=f"09{rng.randint(10, 99)}-{rng.randint(100, 999)}-{rng.randint(100, 999)}",
                                         is_primary_caregiver=True)]
        db.session.add(client)
        ctx.clients.append(client)
    db.session.flush()
    # Base visibility: A units by area; the two family-care homes and the home-care
    # institutions get a few clients each. Areas refine this with real referrals.
    a1_areas = {a.id for a in ctx.orgs["a1"].service_areas}
    for i, client in enumerate(ctx.clients):
        a_unit = ctx.orgs["a1"] if client.service_area_id in a1_areas else ctx.orgs["a2"]
        db.session.add(ClientAccess(client_id=client.id, organisation_id=a_unit.id, relation="a_unit"))
        b_key = ["b1", "b2", "b3", "b4"][i % 4]
        if i < 24:
            db.session.add(ClientAccess(client_id=client.id, organisation_id=ctx.orgs[b_key].id, relation="b_unit"))
