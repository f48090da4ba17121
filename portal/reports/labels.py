"""zh-TW labels of the report's figures (seed 003 附件3 wording where it has one)."""
from portal.clients.models import DISABILITY_DEGREE_LABELS, WELFARE_LABELS

ROW_LABELS = {"persons": "人數", "person_days": "人日數", "subsidy": "申請服務補助金額"}
COL_LABELS = {**WELFARE_LABELS, "total": "合計"}
BREAKDOWN_GROUPS = [("cms", "失能等級"), ("dementia", "失智"), ("welfare", "身分福利別"), ("sex", "性別"),
                    ("age", "年齡"), ("disability", "障別")]
_CATEGORY_SHORT = {str(i): f"第{c}類" for i, c in enumerate("一二三四五六七八", start=1)}
SATISFACTION_LEVELS = [("very_satisfied", "非常滿意"), ("satisfied", "滿意"), ("neutral", "普通"),
                       ("dissatisfied", "不滿意"), ("very_dissatisfied", "非常不滿意")]


def item_label(group: str, item: str) -> str:
    if group == "cms":
        return "未評估" if item == "none" else f"第{item}級"
    if group == "dementia":
        return {"yes": "有", "no": "無"}.get(item, item)
    if group == "welfare":
        return WELFARE_LABELS.get(item, item)
    if group == "sex":
        return {"M": "男", "F": "女"}.get(item, item)
    if group == "disability":
        return "無身障證明" if item == "none" else _CATEGORY_SHORT.get(item, item)
    return item


def figure_label(key: str) -> str:
    """Return 「人數－一般戶」 for table.persons.general, 「性別－女」 for breakdown.sex.F."""
    kind, group, item = key.split(".", 2)
    if kind == "table":
        return f"{ROW_LABELS.get(group, group)}－{COL_LABELS.get(item, item)}"
    return f"{dict(BREAKDOWN_GROUPS).get(group, group)}－{item_label(group, item)}"


def disability_label(category, degree) -> str:
    if not category:
        return "無"
    text = _CATEGORY_SHORT.get(str(category), str(category))
    return f"{text}（{DISABILITY_DEGREE_LABELS[degree]}）" if degree in DISABILITY_DEGREE_LABELS else text


def month_label(month) -> str:
    return f"{month}月" if month else "全年"
