"""Clients (個案): search, register, view, edit — organisation-scoped."""
import uuid
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, flash, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import func
from sqlalchemy.orm.exc import StaleDataError

from portal.auth import roles
from portal.auth.access import get_or_404, require, roles_required, scoped
from portal.auditlog.operations import log_change
from portal.clients.forms import REQUESTER_RELATIONS, ClientForm, DataRequestForm
from portal.clients.models import (ACCESS_RELATION_LABELS, Client, ClientAccess, client_search_condition,
                                   visible_client_count)
from portal.clients.exports import EXPORT_ROLES
from portal.clients.operations import create_client, find_by_national_id, is_unchanged, update_client
from portal.errors import Refused, StaleEdit
from portal.extensions import db
from portal.htmx import redirect_to, render
from portal.nav import register_nav
from portal.orgs.models import ServiceArea

from portal.auditlog.labels import register_labels  # noqa: E402
from portal.clients import retention  # noqa: E402,F401  (registers the retention setting)
from portal.pagination import read_page

bp = Blueprint("clients", __name__)
register_labels(actions={"client.viewed": "查閱個案資料", "client.data_exported": "個資查詢匯出",
                         "client.anonymised": "保存期限屆滿匿名化"},
                entities={"client_access": "服務單位（可檢視個案的單位）", "client_contacts": "聯絡人"})
PAGE_SIZE = 50
# Who may register and edit clients: the care centre and bureau; units for the
# clients they hold (they see only those).
CLIENT_EDITORS = (roles.ADMIN, roles.BUREAU_OFFICER, roles.CARE_MANAGER, roles.CARE_SUPERVISOR,
                  roles.A_CASE_MANAGER, roles.A_UNIT_HEAD, roles.B_HEAD, roles.B_STAFF)
CLIENT_READERS = CLIENT_EDITORS + (roles.BUREAU_CHIEF, roles.GUIDANCE_STAFF)
# Who answers a data subject's access request (個資查詢): the bureau and its care centre.
DATA_REQUEST_ROLES = tuple(sorted(roles.BUREAU_ROLES))
register_nav("個案", "clients.index", CLIENT_READERS, order=20)


@bp.route("/clients")
@roles_required(*CLIENT_READERS)
def index():
    q = request.args.get("q", "").strip()
    area_id = request.args.get("area", type=int) or None
    stmt = (scoped(Client).where(client_search_condition(q)) if q
            else db.select(Client).where(Client.listed_for(current_user)))
    if area_id:
        stmt = stmt.where(Client.service_area_id == area_id)

    def count():
        if not q and not area_id:
            return visible_client_count(current_user)
        # count(clients.id), not count(*): a bare count(*) loses the FROM clause and always answered 1
        return db.session.execute(stmt.with_only_columns(func.count(Client.id)).order_by(None)).scalar_one()

    rows, total, page, pages = read_page(
        lambda offset: [ClientListRow(*row) for row in db.session.execute(
            stmt.with_only_columns(*CLIENT_LIST_COLUMNS).order_by(Client.name, Client.id).limit(PAGE_SIZE)
            .offset(offset))], count, PAGE_SIZE)
    areas = db.session.execute(db.select(ServiceArea).order_by(ServiceArea.sort_order)).scalars().all()
    return render("clients/index.html", block="results", clients=rows, q=q, area_id=area_id, areas=areas,
                  area_names={a.id: a.name for a in areas},
                  page=page, total=total, pages=pages,
                  can_create=current_user.role in CLIENT_EDITORS, can_export=current_user.role in EXPORT_ROLES)


# What a row of the list shows, as plain columns (issue 10: the rest of a client's columns are notes and addresses
# it does not show, and 50 ORM objects cost more than the page's query).
CLIENT_LIST_COLUMNS = (Client.id, Client.name, Client.national_id, Client.sex, Client.birth_date, Client.welfare_status,
                       Client.cms_level, Client.service_area_id)


@dataclass(frozen=True, slots=True)
class ClientListRow:
    id: int
    name: str
    national_id: str
    sex: str | None
    birth_date: date | None
    welfare_status: str | None
    cms_level: int | None
    service_area_id: int | None

    # The same labels as Client's.
    masked_id = property(Client.masked_id.fget)
    sex_label = property(Client.sex_label.fget)
    welfare_label = property(Client.welfare_label.fget)
    age = Client.age


def _client_form(client=None):
    form = ClientForm(obj=client)
    areas = db.session.execute(db.select(ServiceArea).where(ServiceArea.active).order_by(ServiceArea.sort_order)).scalars().all()
    form.service_area_id.choices = [(0, "— 請選擇 —")] + [(a.id, a.name) for a in areas]
    if client is not None and request.method == "GET":
        form.version.data = client.version
        form.cms_level.data = client.cms_level or 0
        form.disability_category.data = client.disability_category or ""
        form.disability_degree.data = client.disability_degree or ""
    return form


def _duplicate_message(national_id):
    existing = find_by_national_id(national_id)
    if existing is not None and db.session.execute(
            scoped(Client).where(Client.id == existing.id)).scalar_one_or_none():
        link = url_for("clients.show", client_id=existing.id)
        return Markup('此身分證字號已建檔：<a href="{}">{}（{}）</a>').format(link, existing.name, existing.masked_id)
    return escape("此身分證字號已建檔，但不在您的單位名下；請洽照管中心轉介。")


@bp.route("/clients/new", methods=["GET", "POST"])
@roles_required(*CLIENT_EDITORS)
def new():
    form = _client_form()
    if not form.submission_key.data:
        form.submission_key.data = uuid.uuid4().hex
    if form.validate_on_submit():
        try:
            client = create_client(current_user, form.client_data(), form.contacts_data(),
                                   submission_key=form.submission_key.data[:36])
        except Refused as exc:
            message = _duplicate_message(form.national_id.data) if exc.field == "national_id" else str(exc)
            getattr(form, exc.field).errors.append(message)
        else:
            db.session.commit()
            flash(f"已建立個案 {client.name}。", "success")
            return redirect_to(url_for("clients.show", client_id=client.id))
    return render("clients/form.html", form=form, client=None)


def log_view(client, what: str) -> None:
    """Every look at a client's full file is logged (issue 11 §5): who, when, from where, which view."""
    log_change(current_user, client, "client.viewed", note=what)
    db.session.commit()


def _recent_views(client, limit=10):
    from portal.auditlog.models import AuditLogEntry
    return db.session.execute(db.select(AuditLogEntry).filter_by(entity_type="clients", entity_id=client.id,
                                                                 action="client.viewed")
                              .order_by(AuditLogEntry.at.desc(), AuditLogEntry.id.desc()).limit(limit)).scalars().all()


@bp.route("/clients/<int:client_id>")
@roles_required(*CLIENT_READERS)
def show(client_id):
    client = get_or_404(Client, client_id)
    log_view(client, "個案頁面")
    links = db.session.execute(db.select(ClientAccess).filter_by(client_id=client.id)
                               .order_by(ClientAccess.started_at)).scalars().all()
    bureau = current_user.role in DATA_REQUEST_ROLES
    return render("clients/show.html", client=client, links=links, relation_labels=ACCESS_RELATION_LABELS,
                  can_edit=_can_edit(client), can_export_data=bureau,
                  views=_recent_views(client) if bureau else [])


def _int(value):
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _can_edit(client):
    if current_user.role not in CLIENT_EDITORS:
        return False
    if current_user.sees_all:
        return True
    return any(link.organisation_id == current_user.organisation_id and link.ended_at is None and not link.read_only
               for link in client.access)


@bp.route("/clients/<int:client_id>/edit", methods=["GET", "POST"])
@roles_required(*CLIENT_EDITORS)
def edit(client_id):
    client = get_or_404(Client, client_id)
    require(_can_edit(client))
    if request.method == "GET":
        log_view(client, "編輯畫面")
    form = _client_form(client)
    if form.validate_on_submit():
        try:
            update_client(current_user, client, form.client_data(), form.contacts_data(),
                          seen_version=_int(form.version.data))
        except (StaleEdit, StaleDataError):
            db.session.rollback()
            client = get_or_404(Client, client_id)
            if is_unchanged(client, form.client_data(), form.contacts_data()):
                # The same changes were saved a moment ago (a double click): nothing is lost.
                flash("個案資料已更新。", "success")
                return redirect_to(url_for("clients.show", client_id=client.id))
            flash(str(StaleEdit()), "error")
        except Refused as exc:
            message = _duplicate_message(form.national_id.data) if exc.field == "national_id" else str(exc)
            getattr(form, exc.field).errors.append(message)
        else:
            db.session.commit()
            flash("個案資料已更新。", "success")
            return redirect_to(url_for("clients.show", client_id=client.id))
    return render("clients/form.html", form=form, client=client)


@bp.route("/clients/<int:client_id>.pdf")
@roles_required(*CLIENT_READERS)
def pdf(client_id):
    """The client's basic-data sheet (個案基本資料表), masked ID."""
    from portal.pdf import pdf_response
    client = get_or_404(Client, client_id)
    log_view(client, "個案基本資料表（PDF）")
    return pdf_response("pdf/client.html", f"個案基本資料表-{client.name}.pdf", client=client,
                        record_ref=f"個案 {client.id}", version=client.version)


@bp.route("/clients/export", methods=["POST"])
@roles_required(*EXPORT_ROLES)
def export():
    """Start the CSV export of the current search as a background job."""
    from portal.jobs.operations import enqueue
    params = {"q": request.form.get("q", "").strip()[:100], "area": request.form.get("area", type=int) or None}
    job = enqueue(current_user, "clients.export_csv", params, "個案名單匯出（CSV）")
    return redirect_to(url_for("jobs.show", job_id=job.id))


@bp.route("/clients/<int:client_id>/data-request", methods=["GET", "POST"])
@roles_required(*DATA_REQUEST_ROLES)
def data_request(client_id):
    """個資查詢: one PDF with every record the portal keeps about the client, for the person or their agent."""
    from portal import clock
    from portal.clients.personal_data import collect, processing_log, readable
    from portal.pdf import pdf_response
    client = get_or_404(Client, client_id)
    form = DataRequestForm()
    if request.method == "GET":
        form.received_on.data = clock.today()
    collected = collect(client.id)
    counts = {section["title"]: len(section["rows"]) for section in readable(collected)}
    if form.validate_on_submit():
        request_info = {"requester_name": form.requester_name.data.strip(),
                        "requester_relation": REQUESTER_RELATIONS.get(form.requester_relation.data, ""),
                        "received_on": form.received_on.data, "reference": (form.reference.data or "").strip()}
        response = pdf_response("pdf/client_data_export.html", f"個人資料查詢-{client.id}.pdf", inline=False,
                                client=client, sections=readable(collected), entries=processing_log(collected),
                                request_info=request_info, record_ref=f"個案 {client.id}")
        log_change(current_user, client, "client.data_exported",
                   after={**request_info, "rows": {tr.name: len(tr.rows) for tr in collected}})
        db.session.commit()
        return response
    return render("clients/data_request.html", form=form, client=client, counts=counts)
