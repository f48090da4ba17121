"""The organisation chart (參、三(一) 組織架構) drawn from the staff tables, for applicants who do not
upload their own chart (establishment-plan.md §4 參、三(一): "organisation chart image, or a generated chart
from the staff table" [interpretation]). Pure: rows in, boxes and connector lines out; the SVG is written
by templates/establishment/_org_chart.svg.html for the screen and the PDF alike.

Structure (R-ORG-01..04): 機構負責人 → 業務負責人 → 居服督導 → 照服員; 行政人員 and any role the applicant
added to the duties table sit beside 居服督導 under the business lead.
"""
import re
from dataclasses import dataclass, field

from portal.establishment import rules

BOX_W = 150          # px in the SVG's own units
LINE_H = 18
PAD = 8
GAP_X = 24
GAP_Y = 34
NAMES_PER_LINE = 3
MAX_NAMES = 6        # names printed in a box (two lines); more end in 「…」

FIXED = ("機構負責人", "業務負責人", "居服督導", "照服員", "行政人員")


@dataclass
class Box:
    key: str
    title: str
    count: int
    lines: list                      # text lines under the title (count, names, notes)
    x: float = 0
    y: float = 0
    w: float = BOX_W
    h: float = 0

    @property
    def cx(self):
        return self.x + self.w / 2

    @property
    def title_runs(self):
        return runs(self.title)

    @property
    def line_runs(self):
        return [runs(line) for line in self.lines]


_RUN = re.compile(r"([\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)")


def runs(text: str) -> list:
    """[(text, is_latin)]: Latin runs are drawn in the Times-metric serif, the rest in Kai (seed 004 壹、三)."""
    return [(part, bool(_RUN.fullmatch(part))) for part in _RUN.split(text) if part]


@dataclass
class OrgChart:
    boxes: list = field(default_factory=list)
    lines: list = field(default_factory=list)        # [(x1, y1, x2, y2)]
    width: float = 0
    height: float = 0
    problems: list = field(default_factory=list)     # what the chart lacks under R-ORG-01


def _names_by_role(roster) -> dict:
    names = {}
    for row in roster or []:
        role, name = (row.get("role") or "").strip(), (row.get("name") or "").strip()
        if role and name:
            names.setdefault(role, []).append(name)
    return names


def _people_lines(count, names, extra=()):
    lines = [f"{count} 人"] + list(extra)
    shown = names[:MAX_NAMES]
    for i in range(0, len(shown), NAMES_PER_LINE):
        lines.append("、".join(shown[i:i + NAMES_PER_LINE]))
    if len(names) > MAX_NAMES:
        lines[-1] += "…"
    return lines


def build(duties, roster, *, lead_counts_as_supervisor=False) -> OrgChart:
    """`duties`: rows of the 職稱/人數 table (參、三(二)); `roster`: the staff roster (參、三(三)3)."""
    names = _names_by_role(roster)
    counts, order = {}, []
    for row in duties or []:
        title = (row.get("title") or "").strip()
        if not title:
            continue
        if title not in counts:
            order.append(title)
        counts[title] = counts.get(title, 0) + rules._int(row.get("count"))
    for role, people in names.items():   # a role only in the roster still shows (its count from the roster)
        if role not in counts and role != "其他":
            counts[role] = len(people)
            order.append(role)

    def count(title):
        return counts.get(title) or len(names.get(title, []))

    def box(key, title, extra=()):
        return Box(key, title, count(title), _people_lines(count(title), names.get(title, []), extra))

    chart = OrgChart()
    head = box("head", "機構負責人")
    lead = box("lead", "業務負責人", ("兼居服督導",) if lead_counts_as_supervisor else ())
    supervisors = box("supervisors", "居服督導")
    carers = box("carers", "照服員")
    side = [box(f"role{i}", title) for i, title in enumerate(order)
            if title not in FIXED[:4] and count(title) > 0]
    if head.count < 1:
        chart.problems.append("組織架構需有機構負責人（參、三(一)1）。")
    if lead.count < 1:
        chart.problems.append("組織架構需有業務負責人（參、三(一)1）。")
    if carers.count < rules.MIN_CAREGIVERS:
        chart.problems.append(f"照服員至少需 {rules.MIN_CAREGIVERS} 人（參、三(一)1）。")

    # rows: head / lead / supervisors + side roles / carers (under the supervisors)
    row3 = [supervisors] + side
    rows = [[head], [lead], row3, [carers]]
    for b in (head, lead, *row3, carers):
        b.h = PAD * 2 + LINE_H * (1 + len(b.lines))
    width = max(len(r) for r in rows) * (BOX_W + GAP_X) - GAP_X
    y = 1.0
    for r in rows:
        row_w = len(r) * (BOX_W + GAP_X) - GAP_X
        x = (width - row_w) / 2 + 1
        h = max(b.h for b in r)
        for b in r:
            b.x, b.y, b.h = x, y, h
            x += BOX_W + GAP_X
        y += h + GAP_Y
    carers.x = supervisors.x    # the carers hang under the supervisors
    chart.boxes = [head, lead, *row3, carers]
    chart.width, chart.height = width + 2, y - GAP_Y + 1

    def connect(parent, children):
        top = parent.y + parent.h
        mid = top + GAP_Y / 2
        chart.lines.append((parent.cx, top, parent.cx, mid))
        xs = [c.cx for c in children]
        if len(children) > 1:
            chart.lines.append((min(xs), mid, max(xs), mid))
        elif xs[0] != parent.cx:
            chart.lines.append((min(xs[0], parent.cx), mid, max(xs[0], parent.cx), mid))
        for c in children:
            chart.lines.append((c.cx, mid, c.cx, c.y))
    connect(head, [lead])
    connect(lead, row3)
    connect(supervisors, [carers])
    return chart
