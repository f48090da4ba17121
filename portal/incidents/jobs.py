"""The Excel export of incidents (事件清冊＋統計) as a background job (issue 12 item 3): a month, or a
whole year of a county's incidents, is built off the request and downloaded from 我的匯出."""
from datetime import date

from portal import clock
from portal.auth import roles
from portal.jobs.registry import JobResult, job_handler

XLSX_KIND = "incidents.export_xlsx"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@job_handler(XLSX_KIND, roles=tuple(sorted(roles.COUNTY_WIDE_ROLES)), label="異常事件清冊及統計（xlsx）")
def export_xlsx(job, params, progress):
    """Every month's incidents the requester may see (the statistics page's scope), masked IDs.

    The export is audit-logged when it is asked for (the view); the job itself writes no audit rows.
    """
    from portal.incidents.export import xlsx_bytes
    from portal.incidents.views import EXPORT_COLUMNS, _export_rows, _shift_month, export_summary, month_statistics
    from portal.settings.operations import office_calendar
    user = job.requested_by
    first = date.fromisoformat(params["month"])
    count = max(1, min(int(params.get("months", 1)), 12))
    cal, now = office_calendar(), clock.now()
    rows, stats = [EXPORT_COLUMNS], []
    for n in range(count):
        month = _shift_month(first, n)
        progress(n * 90 // count, f"正在整理 {month.year - 1911}年{month.month:02d}月")
        data = month_statistics(month, cal, now, user, trend=False)
        rows += _export_rows(data["incidents"], cal)
        stats.append(data)
    progress(95, "正在寫入 Excel 檔")
    body = xlsx_bytes([("事件清冊", rows), ("統計", export_summary(stats))])
    period = f"{first.year - 1911}年全年" if count == 12 else f"{first.year - 1911}年{first.month:02d}月"
    return JobResult(f"異常事件統計-{period}.xlsx", XLSX_MIME, data=body)
