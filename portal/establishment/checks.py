"""What each section still needs before the plan can be sent, and the rules' live results
(establishment-plan.md §6). Pure: works on the plan's content dict and its upload list."""
from dataclasses import dataclass, field
from datetime import date

from portal.establishment import rules
from portal.establishment.outline import BY_KEY, EDITABLE_KEYS, FLOW_STAGES, PROJECTION_ROWS


@dataclass
class PlanFacts:
    """Everything the checks need, gathered once by the view."""
    content: dict                      # key -> section data
    uploads: dict                      # slot -> [{"filename", "note"}]
    area_names: dict = field(default_factory=dict)   # area id -> name
    contract_status: str = ""          # the bureau's decision on the contract draft now uploaded (參、六)


def uploads_by_slot(attachments) -> dict:
    """slot -> [{"id", "filename", "note", "att"}] of the files not removed."""
    result = {}
    for a in attachments:
        if a.removed_at is None:
            result.setdefault(a.slot, []).append({"id": a.id, "filename": a.filename, "note": a.note, "att": a})
    return result


def plan_facts(plan, area_names, content=None) -> "PlanFacts":
    return PlanFacts(content if content is not None else plan.content(), uploads_by_slot(plan.attachments), area_names,
                     plan.contract_status)


def _blank(value):
    return value is None or value == "" or value == [] or (isinstance(value, str) and not value.strip())


def parse_iso(value):
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


# --- live results --------------------------------------------------------------------------

def name_result(basic: dict, county_default: str = ""):
    """(built name, problems with the name as it will print)."""
    built = rules.build_institution_name(
        basic.get("applicant_type") or "", parent=basic.get("parent") or "", attached=bool(basic.get("attached")),
        county=basic.get("county") or "", distinctive=basic.get("distinctive") or "",
        has_same_type=bool(basic.get("has_same_type")))
    typed = (basic.get("name") or "").strip()
    if typed:
        problems = rules.check_institution_name(typed, basic.get("applicant_type") or "",
                                                parent=basic.get("parent") or "",
                                                has_same_type=bool(basic.get("has_same_type")))
        return typed, built, problems
    return built.name, built, built.problems


def institution_name(content: dict) -> str:
    name, _, _ = name_result(content.get("basic") or {})
    return name or ""


def year1_clients(content: dict) -> int:
    for row in (content.get("projection") or {}).get("projection") or []:
        if row.get("key") == "clients":
            return rules._int(row.get("year1"))
    return 0


def staff_counts(content: dict) -> dict:
    counts = {}
    for row in (content.get("duties") or {}).get("duties") or []:
        counts[(row.get("title") or "").strip()] = rules._int(row.get("count"))
    return counts


def staffing_check(content: dict):
    counts = staff_counts(content)
    return rules.check_staffing(caregivers=counts.get("照服員", 0), supervisors=counts.get("居服督導", 0),
                                clients=year1_clients(content),
                                lead_counts_as_supervisor=bool((content.get("org_chart") or {}).get("lead_qualified")))


def org_chart(content: dict):
    """The chart drawn from 參、三(二) duties and 參、三(三) roster (printed when no chart is uploaded)."""
    from portal.establishment import orgchart
    return orgchart.build((content.get("duties") or {}).get("duties") or [],
                          (content.get("staffing") or {}).get("roster") or [],
                          lead_counts_as_supervisor=bool((content.get("org_chart") or {}).get("lead_qualified")))


def demand_rows(content: dict, area_names: dict):
    """[(area name, inputs)] for the areas chosen in 四(五), in that order."""
    rows = {str(r.get("area_id")): r for r in (content.get("demand") or {}).get("population") or []}
    chosen = [str(a) for a in (content.get("areas") or {}).get("area_ids") or []]
    return [(area_names.get(a) or rows.get(a, {}).get("area") or a, rows.get(a, {})) for a in chosen]


def demand_table(content: dict, area_names: dict):
    return rules.demand_table(demand_rows(content, area_names))


def budget_totals(content: dict):
    return rules.budget_totals((content.get("budget") or {}).get("budget") or [])


def funding_total(content: dict) -> int:
    return sum(rules._int(r.get("amount")) for r in (content.get("funding") or {}).get("funding") or [])


def projection(content: dict):
    years = {y: {} for y in rules.PROJECTION_YEARS}
    for row in (content.get("projection") or {}).get("projection") or []:
        for y in rules.PROJECTION_YEARS:
            years[y][row.get("key")] = row.get(y)
    return years, rules.projection_totals(years)


def lease_ok(content: dict):
    data = content.get("att_lease") or {}
    start, end = parse_iso(data.get("lease_start")), parse_iso(data.get("lease_end"))
    if not start or not end:
        return None
    return rules.lease_long_enough(start, end)


# --- completeness ----------------------------------------------------------------------------

def _missing_fields(section, data) -> list:
    problems = []
    for f in section.fields:
        if f.required and _blank(data.get(f.name)):
            problems.append(f"請填寫「{f.label}」。")
    for t in section.tables:
        rows = data.get(t.name) or []
        if t.min_rows and len([r for r in rows if any(not _blank(v) for k, v in r.items() if k not in ("fixed", "group", "key", "label"))]) < t.min_rows:
            problems.append(f"「{t.label}」至少需填 {t.min_rows} 列。")
        for i, row in enumerate(rows, 1):
            if not any(not _blank(row.get(c.name)) for c in t.columns):
                continue
            empty = [c.label for c in t.columns if c.required and _blank(row.get(c.name))]
            if empty and t.name != "projection":
                problems.append(f"「{t.label}」第 {i} 列尚缺：{'、'.join(empty)}。")
    return problems


def _missing_uploads(section, uploads) -> list:
    return [f"請上傳「{u.label}」。" for u in section.uploads if u.required and not uploads.get(u.slot)]


def section_problems(key: str, facts: PlanFacts) -> list:
    """Return what section `key` still needs (empty: complete)."""
    section = BY_KEY[key]
    data = facts.content.get(key) or {}
    problems = _missing_fields(section, data) + _missing_uploads(section, facts.uploads)
    c = facts.content
    if key == "basic":
        name, _, name_problems = name_result(data)
        problems += name_problems
        if not name and not name_problems:
            problems.append("請填寫機構名稱或名稱各組成部分。")
        expected = rules.responsible_person(data.get("applicant_type") or "", data.get("legal_form") or "")
        if data.get("head_capacity") and data.get("applicant_type") and data["head_capacity"] != expected:
            problems.append(f"依申請人類別，負責人應為{rules.RESPONSIBLE_LABELS[expected]}。")
        if data.get("applicant_type") == "legal" and not data.get("legal_form"):
            problems.append("請選擇法人或團體類別（決定負責人應為申請人或法人之代表人）。")
    elif key == "org_chart":
        if not facts.uploads.get("org_chart"):  # the drawn chart is printed: it needs the head and the lead
            problems += [p for p in org_chart(c).problems if "照服員" not in p]  # carers: checked under (二)
    elif key == "duties":
        problems += staffing_check(c).problems
    elif key == "staffing":
        roster = data.get("roster") or []
        carers = sum(1 for r in roster if r.get("role") == "照服員")
        if roster and carers < rules.MIN_CAREGIVERS:
            problems.append(f"名冊內照服員 {carers} 人，至少需 {rules.MIN_CAREGIVERS} 人。")
        tagged = {(u.get("note") or "").strip() for u in facts.uploads.get("att_staff_documents", [])}
        untagged = [r.get("name") for r in roster if r.get("name") and r.get("name").strip() not in tagged]
        if untagged:
            problems.append(f"尚未上傳身分證明文件影本（八、附件(三)，上傳時註明姓名）：{'、'.join(untagged)}。")
    elif key == "demand":
        chosen = (c.get("areas") or {}).get("area_ids") or []
        if not chosen:
            problems.append("請先於「(五)服務區域」選擇服務區域，需求評估表依此列出各區。")
        have = {str(r.get("area_id")) for r in data.get("population") or [] if rules._int(r.get("age_65_plus")) > 0}
        lacking = [facts.area_names.get(str(a), str(a)) for a in chosen if str(a) not in have]
        if lacking:
            problems.append(f"尚缺以下服務區域的人口數：{'、'.join(lacking)}。")
    elif key == "flow":
        missing = [s for s in FLOW_STAGES if s not in (data.get("stages") or [])]
        if missing:
            problems.append(f"服務流程圖應包含：{'、'.join(missing)}（請確認後勾選）。")
    elif key == "budget":
        if budget_totals(c).grand_total <= 0:
            problems.append("經費概算表尚未填寫數量與單價。")
    elif key == "funding":
        need = budget_totals(c).grand_total
        have = funding_total(c)
        if need and have < need:
            problems.append(f"經費來源合計 {have:,} 元，少於總經費需求 {need:,} 元。")
    elif key == "projection":
        rows = {r.get("key"): r for r in data.get("projection") or []}
        blank_rows = [label for k, label in PROJECTION_ROWS
                      if all(_blank((rows.get(k) or {}).get(y)) for y in rules.PROJECTION_YEARS)]
        if blank_rows:
            problems.append(f"三年業務預估尚缺：{'、'.join(blank_rows)}。")
        if year1_clients(c) <= 0:
            problems.append("請填寫第一年預估收案人數（決定居服督導人數）。")
    elif key == "contract":
        if facts.contract_status == "revise":
            problems.append("衛生局審查服務契約草案為「需修正」：請依審查說明修正後，上傳修正後的草案。")
    elif key == "att_lease":
        ok = lease_ok(c)
        if ok is False:
            problems.append("租賃期限未滿 3 年（參、八(四)：至少期限 3 年以上）。")
    return problems


def all_problems(facts: PlanFacts) -> dict:
    """Section key -> problems, for every section the applicant fills in."""
    return {key: section_problems(key, facts) for key in EDITABLE_KEYS}
