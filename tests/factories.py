"""Small builders for test data (CTFd's gen_* style)."""
import itertools
from dataclasses import dataclass, field
from datetime import date

from werkzeug.security import generate_password_hash

from portal.auth import roles
from portal.auth.models import User
from portal.clients.models import Client, ClientAccess
from portal.extensions import db
from portal.orgs.models import Organisation, ServiceArea

PASSWORD = "pw-test-123"
# Private data of "the other" organisations carries this marker; an access test
# fails if a user of another unit ever sees it.
FOREIGN_MARKER = "ＺＺ他單位機密"
_seq = itertools.count(1)
# The shared test password hashed once with a cheap method: a world has ~20 users and the
# production scrypt hash costs ~0.3 s each (login checks read the method from the hash).
_PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def make_area(name=None, code=None):
    n = next(_seq)
    area = ServiceArea(name=name or f"測試鄉{n}", code=code or f"T{n:03d}", sort_order=n)
    db.session.add(area)
    db.session.flush()
    return area


def make_org(kind, name=None, subtype=None, areas=(), base_area=None):
    n = next(_seq)
    if kind == roles.B_UNIT and subtype is None:
        subtype = "family_care"
    org = Organisation(kind=kind, subtype=subtype, name=name or f"測試單位{n}", short_name=f"單位{n}",
                       code=f"TC{n:04d}", base_area=base_area, service_areas=list(areas))
    db.session.add(org)
    db.session.flush()
    return org


def make_user(role, org, username=None, full_name=None, password=PASSWORD):
    n = next(_seq)
    user = User(username=username or f"{role}{n}", full_name=full_name or f"測試人員{n}", role=role, organisation=org)
    if password == PASSWORD:
        user.password_hash = _PASSWORD_HASH
    else:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def valid_national_id(seed: int, sex: str = "M") -> str:
    from portal.clients.rules import _LETTER_VALUES, _WEIGHTS
    letter = "ABCDEFGHJKLMNPQRSTUVXYWZIO"[seed % 26]
    digits = [1 if sex == "M" else 2] + [int(c) for c in f"{seed * 7919 % 10_000_000:07d}"]
    value = _LETTER_VALUES[letter]
    total = value // 10 + (value % 10) * 9 + sum(d * w for d, w in zip(digits, _WEIGHTS[:8]))
    return letter + "".join(map(str, digits)) + str((10 - total % 10) % 10)


def make_client(orgs=(), name=None, relation="b_unit", area=None, **fields):
    n = next(_seq)
    client = Client(name=name or f"個案{n}", national_id=fields.pop("national_id", valid_national_id(n)),
                    birth_date=fields.pop("birth_date", date(1945, 5, 5)), sex=fields.pop("sex", "M"),
                    welfare_status=fields.pop("welfare_status", "general"), cms_level=fields.pop("cms_level", 4),
                    service_area=area, **fields)
    db.session.add(client)
    db.session.flush()
    for org in orgs:
        db.session.add(ClientAccess(client_id=client.id, organisation_id=org.id,
                                    relation=relation if org.kind != roles.A_UNIT else "a_unit"))
    db.session.flush()
    return client


@dataclass
class World:
    areas: list = field(default_factory=list)
    orgs: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)        # role -> user in the "home" organisations
    other_users: dict = field(default_factory=dict)  # role -> user in the "other" organisations
    clients: dict = field(default_factory=dict)
    foreign: dict = field(default_factory=dict)      # URL parameter name -> id of another unit's record
    own: dict = field(default_factory=dict)          # URL parameter name -> id of the home organisations' record


def build_world() -> World:
    w = World()
    w.areas = [make_area("甲鄉", "W01"), make_area("乙鄉", "W02")]
    a1, a2 = w.areas
    w.orgs = {
        "bureau": make_org(roles.BUREAU, "測試縣衛生局"),
        "a": make_org(roles.A_UNIT, "甲區A單位", areas=[a1], base_area=a1),
        "a_other": make_org(roles.A_UNIT, "乙區A單位", areas=[a2], base_area=a2),
        "b": make_org(roles.B_UNIT, "甲家庭托顧", subtype="family_care", areas=[a1], base_area=a1),
        "b_other": make_org(roles.B_UNIT, "乙居家機構", subtype="home_care", areas=[a2], base_area=a2),
        "guidance": make_org(roles.GUIDANCE, "測試輔導協會"),
        "guidance_other": make_org(roles.GUIDANCE, "另一輔導協會"),
        "applicant": make_org(roles.APPLICANT_ORG, "籌設中機構甲"),
        "applicant_other": make_org(roles.APPLICANT_ORG, "籌設中機構乙"),
    }
    home = {roles.A_CASE_MANAGER: "a", roles.A_UNIT_HEAD: "a", roles.B_STAFF: "b", roles.B_HEAD: "b",
            roles.GUIDANCE_STAFF: "guidance", roles.APPLICANT: "applicant"}
    for role in roles.ROLE_LABELS:
        org_key = home.get(role, "bureau")
        w.users[role] = make_user(role, w.orgs[org_key], username=f"t_{role}")
        if org_key != "bureau":
            w.other_users[role] = make_user(role, w.orgs[org_key + "_other"], username=f"t_{role}_other")
    w.clients["own"] = make_client([w.orgs["a"], w.orgs["b"]], name="本單位個案", area=a1)
    w.clients["foreign"] = make_client([w.orgs["a_other"], w.orgs["b_other"]], name=FOREIGN_MARKER + "個案", area=a2)
    w.foreign["client_id"] = w.clients["foreign"].id
    w.own["client_id"] = w.clients["own"].id
    from tests.authz import run_foreign_builders
    run_foreign_builders(w)
    return w
