"""The plan as one PDF in the seed's format (seed 004 壹; forms-and-pdfs.md §7).

The printable template is rendered by WeasyPrint (one pipeline, portal.pdf). Uploaded
images are placed inline; each page of an uploaded PDF gets a numbered placeholder page
in the HTML, and after rendering the uploaded page is scaled into that page's text area,
so page numbers and the table of contents stay right.
"""
import base64
import io
import re

from flask import render_template

from portal import clock
from portal.establishment import checks
from portal.establishment import operations as ops
from portal.establishment.outline import ATTACHMENT_TITLES, BY_KEY, CHECKLIST_TITLES, OUTLINE
from portal.pdf import html_to_document

CM = 72 / 2.54
# Text area of a portrait A4 page: margins top 2.5, right 2, bottom 2.5, left 3 cm (seed 004 壹、二(一)).
A4_W, A4_H = 595.28, 841.89
BOX = (3 * CM, 2.5 * CM, A4_W - 2 * CM, A4_H - 2.5 * CM)   # x0, y0 (from bottom), x1, y1


def _pdf_page_count(data: bytes) -> int:
    from pypdf import PdfReader
    try:
        return len(PdfReader(io.BytesIO(data)).pages)
    except Exception:  # a damaged upload prints as a note, it must not stop the plan
        return 0


def _prepare_uploads(plan, summaries):
    """slot -> [{"filename", "note", "image" (data URI) | "pages" (count), "id"}] for the files of this version."""
    by_id = {a.id: a for a in plan.attachments}
    result = {}
    for s in summaries:
        att = by_id.get(s["id"])
        if att is None:
            continue
        try:
            data = ops.attachment_bytes(att)
        except OSError:
            data = b""
        item = {"id": att.id, "filename": att.filename, "note": att.note, "data": data}
        if att.is_image and data:
            item["image"] = f"data:{att.content_type};base64,{base64.b64encode(data).decode()}"
        elif data:
            item["pages"] = _pdf_page_count(data)
        result.setdefault(att.slot, []).append(item)
    return result


def page_breaks(outline) -> set:
    """Keys of the sections that start a new page: each quality document (forms-and-pdfs.md §7.5), its
    break moved up to the headings right before it so that 「(八)…」 / 「1、結構面」 never end a page alone."""
    entries = [n for n in outline if n.section.level >= 2]
    breaks = set()
    for i, n in enumerate(entries):
        if n.section.new_page:
            j = i
            while j > 0 and entries[j - 1].section.is_heading:
                j -= 1
            breaks.add(entries[j].key)
    return breaks


def _service_items() -> dict:
    from portal.establishment.settings import SERVICE_ITEMS
    from portal.settings.registry import get_setting
    return {code: label for code, label in get_setting(SERVICE_ITEMS)}


def plan_context(plan, content, uploads, area_names, submission=None):
    facts = checks.PlanFacts(content=content, uploads=uploads, area_names=area_names or {})
    years, totals = checks.projection(content)
    basic = content.get("basic") or {}
    cover = content.get("cover") or {}
    plan_date = checks.parse_iso(cover.get("plan_date")) or (
        submission.submitted_at.astimezone(clock.TAIPEI).date() if submission else clock.today())
    draft_ids = {f["id"] for f in uploads.get("contract_draft", [])}
    contract_review = next((r for r in reversed(plan.contract_reviews) if r.attachment_id in draft_ids), None)
    return dict(
        service_items=_service_items(), org_chart=checks.org_chart(content), contract_review=contract_review, contract_has_draft=bool(draft_ids), plan=plan, content=content, outline=OUTLINE, by_key=BY_KEY, page_breaks=page_breaks(OUTLINE), uploads=uploads, facts=facts,
        name=checks.institution_name(content), basic=basic, cover=cover, plan_date=plan_date,
        demand=checks.demand_table(content, area_names or {}), budget=checks.budget_totals(content),
        funding_total=checks.funding_total(content), projection=totals, years=years,
        staffing=checks.staffing_check(content), area_names=area_names or {},
        attachment_titles=ATTACHMENT_TITLES, checklist_titles=CHECKLIST_TITLES, parse_iso=checks.parse_iso,
        submission=submission)


_TAG = re.compile(r"(<[^>]*>)")
_LATIN = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")


def latin_spans(html: str) -> str:
    """Wrap every run of Latin text of the body in <span class="latin">.

    Seed 004 壹、三 asks for 標楷體 for Chinese and Times New Roman for English. With the Times-metric font
    first in the font list, every line mixes two fonts' ascents and descents and grows from 17.5 pt (14 pt ×
    1.25) to 18.7 pt; with Kai first and the Latin runs in spans of line-height 1 (which never raise a line),
    lines are exactly 14 × 1.25 pt apart (measured by tests/establishment/test_views.py). Text inside <svg>
    (the org chart) and <style> is left alone."""
    start = html.find("<body")
    if start < 0:
        return html
    cut = html.index(">", start) + 1
    head, sep, body = html[:cut], "", html[cut:]
    out, skip = [], 0
    for part in _TAG.split(body):
        if part.startswith("<"):
            name = part[1:].split()[0].split(">")[0].lower() if len(part) > 2 else ""
            if name in ("svg", "style", "script"):
                skip += 1
            elif name in ("/svg", "/style", "/script"):
                skip = max(0, skip - 1)
            out.append(part)
        elif skip or not part.strip():
            out.append(part)
        else:
            out.append(_LATIN.sub(lambda m: f'<span class="latin">{m.group(0)}</span>', part))
    return head + sep + "".join(out)


def plan_pdf(plan, submission=None, area_names=None) -> bytes:
    from pypdf import PdfReader, PdfWriter, Transformation
    content = submission.content if submission else plan.content()
    summaries = submission.attachments if submission else [a.summary() for a in plan.live_attachments()]
    uploads = _prepare_uploads(plan, summaries)
    ctx = plan_context(plan, content, uploads, area_names, submission)
    html = latin_spans(render_template("pdf/establishment_plan.html", for_pdf=True,
                                       draft=submission is None and plan.editable, **ctx))
    document = html_to_document(html)
    anchors = {}
    for index, page in enumerate(document.pages):
        for anchor in page.anchors:
            if anchor.startswith("upload-"):
                anchors[anchor] = index
    body = document.write_pdf()
    if not anchors:
        return body
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(body)))
    for items in uploads.values():
        for item in items:
            if not item.get("pages"):
                continue
            source = PdfReader(io.BytesIO(item["data"]))
            for k, page in enumerate(source.pages):
                target = anchors.get(f"upload-{item['id']}-{k}")
                if target is None:
                    continue
                _place(writer.pages[target], page, Transformation)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _place(target, page, Transformation):
    """Scale an uploaded page into the text area of `target` (certificates larger than A4 are shrunk, Q22)."""
    box = page.mediabox
    w, h = float(box.width), float(box.height)
    x0, y0, x1, y1 = BOX
    scale = min((x1 - x0) / w, (y1 - y0) / h, 1.0)
    dx = x0 + ((x1 - x0) - w * scale) / 2 - float(box.left) * scale
    dy = y1 - h * scale - float(box.bottom) * scale
    target.merge_transformed_page(page, Transformation().scale(scale).translate(dx, dy))
