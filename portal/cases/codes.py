"""The shipped service-code table (README §6.1) [external: 長期照顧給付及支付基準, to be confirmed].

Loaded into `service_codes` the first time the portal needs it; the bureau edits
it afterwards at 服務碼 (names, active flag) — it is data, not code.
"""
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.extensions import db

# (code, name, family, service_type, unit)
DEFAULT_CODES = [
    ("BA01", "基本身體清潔", "B", "home_care", "次"),
    ("BA02", "基本日常照顧", "B", "home_care", "次"),
    ("BA03", "測量生命徵象", "B", "home_care", "次"),
    ("BA04", "協助進食或管灌餵食", "B", "home_care", "次"),
    ("BA05", "餐食照顧", "B", "home_care", "次"),
    ("BA07", "協助沐浴及洗頭", "B", "home_care", "次"),
    ("BA08", "足部照護", "B", "home_care", "次"),
    ("BA10", "翻身拍背", "B", "home_care", "次"),
    ("BA11", "肢體關節活動", "B", "home_care", "次"),
    ("BA12", "協助上下樓梯", "B", "home_care", "次"),
    ("BA13", "陪同外出", "B", "home_care", "次"),
    ("BA14", "陪同就醫", "B", "home_care", "次"),
    ("BA15", "家務協助", "B", "home_care", "次"),
    ("BA16", "代購或代領或代送服務", "B", "home_care", "次"),
    ("BA17", "協助執行輔助性醫療", "B", "home_care", "次"),
    ("BA18", "安全看視", "B", "home_care", "次"),
    ("BA20", "陪伴服務", "B", "home_care", "次"),
    ("BA22", "巡視服務", "B", "home_care", "次"),
    ("BA23", "協助洗頭", "B", "home_care", "次"),
    ("BA24", "協助排泄", "B", "home_care", "次"),
    ("BB01", "日間照顧（全日）", "B", "day_care", "日"),
    ("BB02", "日間照顧（半日）", "B", "day_care", "日"),
    ("BC01", "家庭托顧（全日）", "B", "family_care", "日"),
    ("BC02", "家庭托顧（半日）", "B", "family_care", "日"),
    ("BD01", "社區式協助沐浴", "B", "family_care", "次"),
    ("BD02", "社區式晚餐", "B", "family_care", "次"),
    ("BD03", "社區式服務交通接送", "B", "transport", "趟"),
    ("CA07", "IADLs復能照護", "C", "professional", "組"),
    ("CA08", "ADLs復能照護", "C", "professional", "組"),
    ("CB01", "營養照護", "C", "professional", "組"),
    ("CB02", "進食與吞嚥照護", "C", "professional", "組"),
    ("CB03", "困擾行為照護", "C", "professional", "組"),
    ("CB04", "臥床或長期活動受限照護", "C", "professional", "組"),
    ("CC01", "居家環境安全或無障礙空間規劃", "C", "professional", "次"),
    ("CD02", "居家護理指導與諮詢", "C", "professional", "次"),
    ("DA01", "交通接送（就醫或復健）", "D", "transport", "趟"),
    ("GA03", "日間照顧中心喘息服務（全日）", "G", "respite", "日"),
    ("GA04", "日間照顧中心喘息服務（半日）", "G", "respite", "日"),
    ("GA05", "機構住宿式喘息服務", "G", "respite", "日"),
    ("GA09", "居家喘息服務", "G", "respite", "次"),
    ("EA01", "輔具購置或租賃", "E", "other", "件"),
    ("FA01", "居家無障礙設施改善", "F", "other", "件"),
]


def ensure_default_codes() -> None:
    """Insert the shipped codes once (a fresh deployment, a test database); never overwrite edits."""
    from portal.cases.models import ServiceCode
    if db.session.execute(db.select(ServiceCode.id).limit(1)).first():
        return
    rows = [{"code": c, "name": n, "family": f, "service_type": t, "unit_label": u, "active": True, "sort_order": i}
            for i, (c, n, f, t, u) in enumerate(DEFAULT_CODES)]
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(ServiceCode).values(rows).on_conflict_do_nothing(index_elements=["code"]))


def active_codes():
    """Return the active service codes, in table order (shipped defaults on first use)."""
    from portal.cases.models import ServiceCode
    ensure_default_codes()
    return db.session.execute(db.select(ServiceCode).where(ServiceCode.active)
                              .order_by(ServiceCode.sort_order, ServiceCode.code)).scalars().all()


def codes_by_code():
    from portal.cases.models import ServiceCode
    ensure_default_codes()
    return {c.code: c for c in db.session.execute(db.select(ServiceCode)).scalars()}
