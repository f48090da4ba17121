"""The report as plain values: what the read view, the PDF and a submission's snapshot show.

Built from the live rows, or read back from a submission's snapshot, so the
history of what was sent renders with the same templates.
"""
from portal.reports import rules
from portal.reports.models import SECTION_KEYS

MONTHS = list(range(1, 13))


def report_document(report) -> dict:
    """Return the report's content as JSON-safe plain values."""
    figures = report.figures or None
    final = None
    warnings = []
    if figures:
        flat = rules.flatten_figures(figures["table"], figures["breakdowns"])
        final = rules.apply_overrides(flat, {o.key: (o.value, o.reason) for o in report.overrides})
        person_rule = (figures.get("rules") or {}).get("person_rule", "last_status")
        warnings = rules.table_inconsistencies(final, persons_add_up=person_rule == "last_status")
    sections = {key: dict(report.section(key).data) if report.section(key) else {} for key in SECTION_KEYS}
    return {
        "organisation_id": report.organisation_id,
        "org_name": report.organisation.name,
        "service_year": report.service_year,
        "figures": final,
        "figure_meta": {k: v for k, v in (figures or {}).items() if k not in ("table", "breakdowns")},
        "figures_computed_at": report.figures_computed_at.isoformat() if report.figures_computed_at else None,
        "warnings": warnings,
        "sections": sections,
        "photos": [{"id": p.id, "month": p.month, "caption": p.caption, "width": p.width, "height": p.height}
                   for p in report.live_photos],
    }


def normalise(doc: dict) -> dict:
    """Fill keys an older snapshot may lack, so every stored version still renders."""
    base = {"org_name": "", "service_year": None, "figures": None, "figure_meta": {}, "figures_computed_at": None,
            "warnings": [], "photos": []}
    doc = {**base, **(doc or {})}
    doc["sections"] = {key: dict((doc.get("sections") or {}).get(key) or {}) for key in SECTION_KEYS}
    return doc


def course_months(doc: dict) -> list[dict]:
    """Return twelve month rows for section 六, filled from the saved data."""
    saved = {int(m.get("month") or 0): m for m in (doc["sections"].get("courses") or {}).get("months") or []}
    return [{"month": n, **{k: saved.get(n, {}).get(k) for k in ("timetable", "activities", "participants")}}
            for n in MONTHS]


def satisfaction(doc: dict) -> dict:
    return rules.satisfaction_summary(doc["sections"].get("satisfaction") or {})


def overridden(doc: dict) -> list[tuple[str, dict]]:
    """Return the overridden figures (key, cell) for footnotes."""
    return [(k, v) for k, v in (doc.get("figures") or {}).items() if v["overridden"]]
