"""Client list export (CSV), run as a background job with the requester's scope."""
import csv
import io

from portal.auth import roles
from portal.auth.access import scoped
from portal.clients.models import Client, client_search_condition
from portal.extensions import db
from portal.jobs.registry import JobResult, job_handler

EXPORT_ROLES = (roles.ADMIN, roles.BUREAU_OFFICER, roles.BUREAU_CHIEF, roles.CARE_MANAGER, roles.CARE_SUPERVISOR,
                roles.A_CASE_MANAGER, roles.A_UNIT_HEAD, roles.B_HEAD, roles.B_STAFF)


@job_handler("clients.export_csv", roles=EXPORT_ROLES, label="個案名單匯出")
def export_clients_csv(job, params, progress):
    """Write the requester's visible clients (national IDs masked) as CSV with a BOM for Excel."""
    user = job.requested_by
    stmt = scoped(Client, user).where(client_search_condition(params.get("q", "")))
    if params.get("area"):
        stmt = stmt.where(Client.service_area_id == int(params["area"]))
    total = db.session.execute(stmt.with_only_columns(db.func.count()).order_by(None)).scalar_one()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["姓名", "身分證字號", "性別", "出生日期", "福利身分別", "失能等級", "服務區域"])
    done = 0
    for client in db.session.execute(stmt.order_by(Client.id).execution_options(yield_per=500)).scalars():
        writer.writerow([client.name, client.masked_id, client.sex_label, client.birth_date.isoformat(),
                         client.welfare_label, client.cms_level or "", client.service_area.name if client.service_area else ""])
        done += 1
        if done % 500 == 0:
            progress(done * 100 // max(total, 1), f"已匯出 {done}／{total} 位")
    return JobResult("個案名單.csv", "text/csv; charset=utf-8", data=("\ufeff" + buffer.getvalue()).encode("utf-8"))
