"""Compare two versions of a plan section by section (review: versions are kept and compared)."""
import difflib
from dataclasses import dataclass

from markupsafe import Markup, escape

from portal.establishment.checks import parse_iso
from portal.establishment.outline import OUTLINE
from portal.filters import roc


@dataclass
class SectionDiff:
    key: str
    heading: str
    changed: bool
    lines: list          # [(kind, Markup)] kind in "same", "changed", "added", "removed"


def _value(v, area_names):
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, list):
        return "、".join(area_names.get(str(x), str(x)) for x in v)
    if isinstance(v, str) and len(v) == 10 and parse_iso(v):
        return roc(parse_iso(v))
    return "" if v is None else str(v)


def section_lines(section, data: dict, uploads: list, area_names: dict) -> list:
    """Flatten one section to labelled text lines."""
    lines = []
    for f in section.fields:
        lines.append(f"{f.label}：{_value(data.get(f.name), area_names)}")
    for t in section.tables:
        for i, row in enumerate(data.get(t.name) or [], 1):
            cells = [f"{c.label} {_value(row.get(c.name), area_names)}" for c in t.columns if row.get(c.name) not in (None, "")]
            label = row.get("label") or row.get("title") or row.get("item") or area_names.get(str(row.get("area_id")), "")
            if t.name == "population":
                cells = [f"{k} {v}" for k, v in row.items() if k != "area_id" and v not in (None, "")]
            lines.append(f"{t.label}第 {i} 列 {label}：" + "；".join(cells))
    for u in section.uploads:
        for a in uploads:
            if a.get("slot") == u.slot:
                lines.append(f"附檔「{u.label}」：{a.get('filename')}{'（' + a['note'] + '）' if a.get('note') else ''}")
    return lines


def _inline(a: str, b: str) -> Markup:
    """Character-level diff of one line: deletions struck through, insertions underlined."""
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape(a[i1:i2]))
        if op in ("delete", "replace"):
            out.append(Markup("<del>{}</del>").format(a[i1:i2]))
        if op in ("insert", "replace"):
            out.append(Markup("<ins>{}</ins>").format(b[j1:j2]))
    return Markup("").join(out)


def compare_versions(left: dict, right: dict, left_uploads: list, right_uploads: list, *, area_names) -> list:
    result = []
    for n in OUTLINE:
        if n.section.is_heading:
            continue
        a = section_lines(n.section, left.get(n.key) or {}, left_uploads, area_names)
        b = section_lines(n.section, right.get(n.key) or {}, right_uploads, area_names)
        lines = []
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if op == "equal":
                lines += [("same", escape(x)) for x in a[i1:i2]]
            elif op == "replace" and (i2 - i1) == (j2 - j1):
                lines += [("changed", _inline(x, y)) for x, y in zip(a[i1:i2], b[j1:j2])]
            else:
                lines += [("removed", escape(x)) for x in a[i1:i2]]
                lines += [("added", escape(y)) for y in b[j1:j2]]
        result.append(SectionDiff(n.key, n.heading, a != b, lines))
    return result
