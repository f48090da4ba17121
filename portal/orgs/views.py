"""Organisations and service areas."""
from flask import Blueprint, flash, request, url_for
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.orm import joinedload, selectinload

from portal.auth import roles
from portal.auth.access import roles_required
from portal.auth.models import User
from portal.errors import Refused
from portal.extensions import db
from portal.htmx import redirect_to, render
from portal.nav import register_nav
from portal.orgs.forms import OrganisationForm, ServiceAreaForm
from portal.orgs.models import Organisation, ServiceArea
from portal.orgs.standing import unit_summaries
from portal.orgs.operations import save_organisation, save_service_area
from portal.pagination import requested_page

bp = Blueprint("orgs", __name__)
ORG_MANAGERS = (roles.ADMIN, roles.BUREAU_OFFICER)
register_nav("單位", "orgs.index", roles.ALL_ROLES, order=800)
register_nav("鄉鎮市", "orgs.areas", [roles.ADMIN], order=910)
PAGE_SIZE = 50   # a county has hundreds of units: a page at a time, like the other bureau lists


@bp.route("/orgs")
def index():
    kind = request.args.get("kind", "")
    q = request.args.get("q", "").strip()
    stmt = db.select(Organisation).order_by(Organisation.kind, Organisation.name)
    if kind in roles.ORG_KIND_LABELS:
        stmt = stmt.where(Organisation.kind == kind)
    if q:
        stmt = stmt.where(Organisation.name.contains(q))
    total = db.session.execute(stmt.with_only_columns(func.count(Organisation.id)).order_by(None)).scalar_one()
    page, pages = requested_page(total, PAGE_SIZE)
    # Each row shows its base area and its service areas: load them with the page, not one query per row.
    orgs = db.session.execute(stmt.options(joinedload(Organisation.base_area),
                                           selectinload(Organisation.service_areas))
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).scalars().all()
    return render("orgs/index.html", block="results", orgs=orgs, kind=kind, q=q,
                  page=page, pages=pages, total=total, can_manage=current_user.role in ORG_MANAGERS)


@bp.route("/orgs/<int:org_id>")
def show(org_id):
    org = db.get_or_404(Organisation, org_id)
    # Staff lists are internal: the bureau and the organisation itself see them.
    own = current_user.sees_all or current_user.organisation_id == org.id
    staff = db.session.execute(db.select(User).filter_by(organisation_id=org.id).order_by(User.role, User.full_name)
                               ).scalars().all() if own else []
    return render("orgs/show.html", org=org, staff=staff, own=own, facts=unit_summaries([org.id])[org.id],
                  can_manage=current_user.role in ORG_MANAGERS)


def _org_form(org=None):
    form = OrganisationForm(obj=org)
    areas = db.session.execute(db.select(ServiceArea).order_by(ServiceArea.sort_order)).scalars().all()
    form.base_area_id.choices = [(0, "— 未指定 —")] + [(a.id, a.name) for a in areas]
    form.service_area_ids.choices = [(a.id, a.name) for a in areas]
    if org is not None and request.method == "GET":
        form.service_area_ids.data = [a.id for a in org.service_areas]
        form.base_area_id.data = org.base_area_id or 0
    return form


def _org_data(form):
    data = {f: getattr(form, f).data for f in
            ("kind", "subtype", "name", "short_name", "code", "head_name", "phone", "address", "active")}
    data["code"] = data["code"] or None
    data["subtype"] = data["subtype"] or None
    data["base_area_id"] = form.base_area_id.data or None
    return data


@bp.route("/orgs/new", methods=["GET", "POST"])
@roles_required(*ORG_MANAGERS)
def new():
    return _edit(None)


@bp.route("/orgs/<int:org_id>/edit", methods=["GET", "POST"])
@roles_required(*ORG_MANAGERS)
def edit(org_id):
    return _edit(db.get_or_404(Organisation, org_id))


def _edit(org):
    form = _org_form(org)
    if form.validate_on_submit():
        try:
            org = save_organisation(current_user, org, _org_data(form), form.service_area_ids.data or [])
        except Refused as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            db.session.commit()
            flash("單位資料已儲存。", "success")
            return redirect_to(url_for("orgs.show", org_id=org.id))
    return render("orgs/form.html", form=form, org=org)


@bp.route("/admin/areas", methods=["GET", "POST"])
@roles_required(roles.ADMIN)
def areas():
    form = ServiceAreaForm()
    if form.validate_on_submit():
        try:
            save_service_area(current_user, None, {f: getattr(form, f).data for f in ("name", "code", "sort_order", "active")})
        except Refused as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            db.session.commit()
            flash("已新增鄉鎮市。", "success")
            return redirect_to(url_for("orgs.areas"))
    rows = db.session.execute(db.select(ServiceArea).order_by(ServiceArea.sort_order)).scalars().all()
    return render("orgs/areas.html", form=form, areas=rows)


@bp.route("/admin/areas/<int:area_id>", methods=["GET", "POST"])
@roles_required(roles.ADMIN)
def area_edit(area_id):
    area = db.get_or_404(ServiceArea, area_id)
    form = ServiceAreaForm(obj=area)
    if form.validate_on_submit():
        try:
            save_service_area(current_user, area, {f: getattr(form, f).data for f in ("name", "code", "sort_order", "active")})
        except Refused as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            db.session.commit()
            flash("已更新鄉鎮市。", "success")
            return redirect_to(url_for("orgs.areas"))
    return render("orgs/area_form.html", form=form, area=area)
