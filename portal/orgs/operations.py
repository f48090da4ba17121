"""Create and change organisations and service areas — each logged."""
from portal.auditlog.operations import log_change, snapshot
from portal.errors import Refused
from portal.extensions import db
from portal.orgs.models import Organisation, ServiceArea

ORG_FIELDS = ("kind", "subtype", "name", "short_name", "code", "head_name", "phone", "address",
              "base_area_id", "active")


def _org_snapshot(org):
    return {**snapshot(org, ORG_FIELDS), "service_areas": sorted(a.id for a in org.service_areas)}


def save_organisation(actor, org: Organisation | None, data: dict, area_ids: list[int]) -> Organisation:
    creating = org is None
    clash = db.session.execute(db.select(Organisation).filter_by(name=data["name"])).scalar_one_or_none()
    if clash and clash is not org:
        raise Refused("已有同名單位", field="name")
    if data.get("code"):
        clash = db.session.execute(db.select(Organisation).filter_by(code=data["code"])).scalar_one_or_none()
        if clash and clash is not org:
            raise Refused("此代碼已由其他單位使用", field="code")
    before = None if creating else _org_snapshot(org)
    org = org or Organisation()
    for field in ORG_FIELDS:
        if field in data:
            setattr(org, field, data[field])
    if org.kind != "b_unit":
        org.subtype = None
    org.service_areas = db.session.execute(db.select(ServiceArea).where(ServiceArea.id.in_(area_ids))).scalars().all()
    db.session.add(org)
    db.session.flush()
    log_change(actor, org, "organisation.create" if creating else "organisation.update",
               before=before, after=_org_snapshot(org))
    return org


def save_service_area(actor, area: ServiceArea | None, data: dict) -> ServiceArea:
    creating = area is None
    for field in ("name", "code"):
        clash = db.session.execute(db.select(ServiceArea).filter_by(**{field: data[field]})).scalar_one_or_none()
        if clash and clash is not area:
            raise Refused("已有相同的" + ("名稱" if field == "name" else "代碼"), field=field)
    before = None if creating else snapshot(area, ("name", "code", "sort_order", "active"))
    area = area or ServiceArea()
    data = {**data, "sort_order": data.get("sort_order") or 0}  # the field is optional; the column is not
    for field in ("name", "code", "sort_order", "active"):
        setattr(area, field, data[field])
    db.session.add(area)
    db.session.flush()
    log_change(actor, area, "service_area.create" if creating else "service_area.update",
               before=before, after=snapshot(area, ("name", "code", "sort_order", "active")))
    return area
