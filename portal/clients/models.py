"""Clients (個案) and who may see them.

A client is visible to the bureau and to every organisation holding an
active `ClientAccess` link: the A unit managing the case, the B units
serving it, the unit that registered it. Areas add and end links through
`portal.clients.operations.grant_access` / `end_access`; visibility is
decided here and nowhere else.
"""
from sqlalchemy import and_, any_, exists, func, null, or_, true
from sqlalchemy.dialects.postgresql import ARRAY

from portal import clock
from portal.clients.rules import age_on, mask_national_id
from portal.dbtypes import UTCDateTime
from portal.extensions import db

SEX_LABELS = {"M": "男", "F": "女"}
# spec README §6.2; the result report prints the short forms (seed 003 附件3).
WELFARE_LABELS = {"general": "一般戶", "mid_low": "中低收入戶", "low": "低收入戶"}
WELFARE_FULL_LABELS = {"general": "一般戶", "mid_low": "長照中低收入戶", "low": "長照低收入戶"}
# 身心障礙類別 (ICF eight categories, 身心障礙者權益保障法 [external]).
DISABILITY_CATEGORY_LABELS = {
    "1": "第一類 神經系統構造及精神、心智功能",
    "2": "第二類 眼、耳及相關構造與感官功能及疼痛",
    "3": "第三類 涉及聲音與言語構造及其功能",
    "4": "第四類 循環、造血、免疫與呼吸系統構造及其功能",
    "5": "第五類 消化、新陳代謝與內分泌系統相關構造及其功能",
    "6": "第六類 泌尿與生殖系統相關構造及其功能",
    "7": "第七類 神經、肌肉、骨骼之移動相關構造及其功能",
    "8": "第八類 皮膚與相關構造及其功能",
}
DISABILITY_DEGREE_LABELS = {"mild": "輕度", "moderate": "中度", "severe": "重度", "extreme": "極重度"}
ACCESS_RELATION_LABELS = {
    "registered": "建檔單位",
    "a_unit": "個案管理（A單位）",
    "b_unit": "服務提供（B單位）",
    "guidance": "輔導（唯讀）",
}


class Client(db.Model):
    __tablename__ = "clients"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(60), nullable=False, index=True)
    national_id = db.Column(db.String(10), nullable=False, unique=True)
    birth_date = db.Column(db.Date, nullable=False)
    sex = db.Column(db.String(1), nullable=False)
    indigenous = db.Column(db.Boolean, nullable=False, default=False)
    disability_certificate = db.Column(db.Boolean, nullable=False, default=False)
    disability_category = db.Column(db.String(4))
    disability_degree = db.Column(db.String(10))
    dementia_diagnosed = db.Column(db.Boolean, nullable=False, default=False)
    dementia_diagnosed_on = db.Column(db.Date)
    welfare_status = db.Column(db.String(10), nullable=False, default="general")
    cms_level = db.Column(db.Integer)  # 失能等級 1–8
    phone = db.Column(db.String(40))
    address = db.Column(db.String(200))
    service_area_id = db.Column(db.ForeignKey("service_areas.id"), index=True)
    notes = db.Column(db.Text)
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow, onupdate=clock.utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)
    # The registration form's one-time key: a double-clicked 儲存 finds the client the first click created.
    submission_key = db.Column(db.String(36), unique=True)
    # Set when the retention purge anonymised the record (decisions Q28); statistics fields are kept.
    anonymised_at = db.Column(UTCDateTime)

    service_area = db.relationship("ServiceArea")
    contacts = db.relationship("ClientContact", order_by="ClientContact.position",
                               cascade="all, delete-orphan", back_populates="client")
    access = db.relationship("ClientAccess", back_populates="client", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def masked_id(self):
        return mask_national_id(self.national_id)

    @property
    def sex_label(self):
        return SEX_LABELS.get(self.sex, "")

    @property
    def welfare_label(self):
        return WELFARE_LABELS.get(self.welfare_status, "")

    def age(self, on=None):
        return age_on(self.birth_date, on or clock.today())

    @classmethod
    def visible_to(cls, user):
        """SQL condition: the client is visible to `user` (organisation scope)."""
        if user.sees_all:
            return true()
        return exists().where(and_(
            ClientAccess.client_id == cls.id,
            ClientAccess.organisation_id == user.organisation_id,
            ClientAccess.ended_at.is_(None),
        ))

    @classmethod
    def listed_for(cls, user):
        """`visible_to(user)` for a whole list in name order, nothing searched: on PostgreSQL the unit's links are
        read first (one index range) and its clients looked up by id. The EXISTS form walked the county's 60,000
        clients in name order, checking each for a link, to find a unit's first 50 (issue 10: 5.3 -> 2.5 ms)."""
        if user.sees_all or db.engine.dialect.name != "postgresql":
            return cls.visible_to(user)
        linked = db.select(ClientAccess.client_id).where(
            ClientAccess.organisation_id == user.organisation_id, ClientAccess.ended_at.is_(None)).scalar_subquery()
        return cls.id == any_(func.array(linked))

    def __repr__(self):
        return f"<Client {self.id} {self.name}>"


# The search box's indexes on PostgreSQL (client_search_condition): each name's characters, each ID reversed.
db.Index("ix_clients_name_characters", func.string_to_array(Client.name, null()),
         postgresql_using="gin").ddl_if(dialect="postgresql")
db.Index("ix_clients_national_id_reversed", func.reverse(Client.national_id).label("national_id_reversed"),
         postgresql_ops={"national_id_reversed": "text_pattern_ops"}).ddl_if(dialect="postgresql")


class ClientContact(db.Model):
    """A family contact (主要照顧者 first)."""

    __tablename__ = "client_contacts"
    id = db.Column(db.Integer, primary_key=True)
    client_id = db.Column(db.ForeignKey("clients.id", ondelete="CASCADE"), nullable=False, index=True)
    position = db.Column(db.Integer, nullable=False, default=0)
    name = db.Column(db.String(60), nullable=False)
    relation = db.Column(db.String(20))
    phone = db.Column(db.String(40))
    is_primary_caregiver = db.Column(db.Boolean, nullable=False, default=False)

    client = db.relationship(Client, back_populates="contacts")


class ClientAccess(db.Model):
    """Why an organisation may see a client; ended links keep the history."""

    __tablename__ = "client_access"
    id = db.Column(db.Integer, primary_key=True)
    # Indexed by the two composite indexes below, which begin with each of them (perf_0007).
    client_id = db.Column(db.ForeignKey("clients.id", ondelete="CASCADE"), nullable=False)
    organisation_id = db.Column(db.ForeignKey("organisations.id"), nullable=False)
    relation = db.Column(db.String(20), nullable=False)
    read_only = db.Column(db.Boolean, nullable=False, default=False)
    started_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)
    ended_at = db.Column(UTCDateTime)

    client = db.relationship(Client, back_populates="access")
    organisation = db.relationship("Organisation")

    __table_args__ = (db.Index("ix_client_access_org_active_client", "organisation_id", "ended_at", "client_id"),
                      # the scope check of every client list: "this client, this unit, not ended" (issue 10)
                      db.Index("ix_client_access_client_org", "client_id", "organisation_id", "ended_at"))


def visible_client_count(user) -> int:
    """How many clients `user` may see: the client list's total when nothing is searched.

    A unit's are its active links' clients, counted from the links alone (a link's client always exists: the
    foreign key, ON DELETE CASCADE); the EXISTS of Client.visible_to read every client of the county (issue 10).
    """
    if user.sees_all:
        # The county's 60,000 clients counted on each request was 3 ms of the database's time: kept while the
        # clients table is unchanged (portal/kept.py; a write anywhere counts them again).
        from portal.kept import kept
        return kept("clients.count", "all", lambda: db.session.execute(db.select(func.count(Client.id))).scalar_one(),
                    now=clock.now(), from_session=False)
    return db.session.execute(db.select(func.count(ClientAccess.client_id.distinct())).where(
        ClientAccess.organisation_id == user.organisation_id, ClientAccess.ended_at.is_(None))).scalar_one()


# LIKE's own characters: a search holding one is matched as typed, without the indexed forms.
LIKE_SPECIAL = frozenset("%_\\")


def client_search_condition(text: str):
    """SQL condition for the client search box: name part, full ID, or ID's last digits."""
    text = (text or "").strip()
    if not text:
        return true()
    up = text.upper()
    name_part, id_end = Client.name.contains(text), Client.national_id.endswith(up)
    if db.engine.dialect.name == "postgresql" and not set(text) & LIKE_SPECIAL:
        # The same matches in forms an index answers (issue 10: a search read all 60,000 clients; a name part is
        # often one or two Chinese characters, too short for trigrams): a name holding the part holds each of its
        # characters (GIN index of the name's characters); an ID ending in the digits is a reversed ID starting
        # with them reversed. A part holding %, _ or \ keeps LIKE's reading of them, as typed.
        name_part = and_(_name_characters().contains(list(dict.fromkeys(text))), name_part)
        id_end = func.reverse(Client.national_id).startswith(up[::-1])
    return or_(name_part, Client.national_id == up, id_end)


def _name_characters():
    """The characters of a client's name, as PostgreSQL's index ix_clients_name_characters holds them."""
    return func.string_to_array(Client.name, null(), type_=ARRAY(db.Text))
