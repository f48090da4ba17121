"""The settings family-care billing reads (decisions.md Q11, Q12, Q17, Q18; issue 5).

Prices and co-payment ratios are many and dated, so they live in their own
tables (`ServicePrice`, `CopayRatio`); these are the single-valued choices.
"""
from portal.billing.rules import EXCLUDED_PARSE_B
from portal.settings.registry import define_setting, get_setting

GRANULARITY = define_setting(
    "billing.copayment_granularity", "per_month", kind="str", label="部分負擔無條件捨去之計算單位",
    spec="decisions.md Q11；family-care.md §6.2",
    help="per_month：每位個案每一服務代碼每月合計後捨去（預設）；per_unit：每次／每日服務分別捨去。")
BATH_DINNER_ROW = define_setting(
    "billing.bath_dinner_row", "county_subsidy", kind="str", label="沐浴及晚餐申報列別",
    spec="decisions.md Q11；family-care.md §10.1",
    help="county_subsidy：非照顧組合「縣市政府補助費用」（預設，列入申請補助部分）；b_community：B碼「社區式照顧」。")
BATH_DINNER_QUOTA = define_setting(
    "billing.bath_dinner_use_quota", False, kind="bool", label="沐浴及晚餐是否使用長照服務額度",
    spec="decisions.md Q11")
REFUSE_OVER_WEEK = define_setting(
    "billing.refuse_over_week", True, kind="bool", label="每週服務超過 5 天時拒絕登打（否則僅提醒）",
    spec="decisions.md Q17；seed 003 §十四(一)")
REFUSE_OUTSIDE_HOURS = define_setting(
    "billing.refuse_outside_hours", True, kind="bool", label="超出報備收托時間時拒絕登打（否則僅提醒）",
    spec="family-care.md §12.1 R-CAPF-03；issue 5")
MIN_CMS = define_setting("billing.min_cms_level", 2, kind="int", label="家庭托顧補助最低失能等級",
                         spec="decisions.md Q18 [external]")
MAX_CMS = define_setting("billing.max_cms_level", 8, kind="int", label="家庭托顧補助最高失能等級",
                         spec="decisions.md Q18 [external]")
ALLOWANCES = define_setting(
    "billing.excluding_allowances",
    ["中低收入老人特別照顧津貼", "身心障礙者家庭照顧者津貼", "其他政府提供之照顧費用補助"],
    kind="json", label="不予給付之特別照顧津貼及照顧費用補助（清單）",
    spec="seed 003 §七(三)N3；decisions.md Q18 [interpretation]")
EXCLUDED_RELATIONS = define_setting(
    "billing.excluded_carer_relations", list(EXCLUDED_PARSE_B), kind="json",
    label="不得申請補助之家托員親屬關係（代碼清單）", spec="seed 003 §九(一)6；decisions.md Q12",
    help="預設：二親等內直系血親、二親等內姻親及配偶；兄弟姊妹不在內。")
EXPIRY_WINDOW = define_setting(
    "billing.expiry_warning_days", 60, kind="int", label="家托員健康檢查及急救證照到期提醒天數",
    spec="issue 5 §6；family-care.md §12.2")


def granularity() -> str:
    value = get_setting(GRANULARITY.key)
    return value if value in ("per_month", "per_unit") else GRANULARITY.default


def bath_dinner_row() -> str:
    value = get_setting(BATH_DINNER_ROW.key)
    return value if value in ("county_subsidy", "b_community") else BATH_DINNER_ROW.default


def eligibility_policy():
    from portal.billing.rules import EligibilityPolicy
    return EligibilityPolicy(min_cms_level=get_setting(MIN_CMS.key), max_cms_level=get_setting(MAX_CMS.key))


def day_limits():
    from portal.billing.rules import DayLimits
    return DayLimits(refuse_over_week=bool(get_setting(REFUSE_OVER_WEEK.key)),
                     refuse_outside_hours=bool(get_setting(REFUSE_OUTSIDE_HOURS.key)))


def excluded_relations() -> tuple:
    value = get_setting(EXCLUDED_RELATIONS.key)
    return tuple(value) if isinstance(value, (list, tuple)) else EXCLUDED_PARSE_B


def allowances() -> list[str]:
    value = get_setting(ALLOWANCES.key)
    return list(value) if isinstance(value, (list, tuple)) else list(ALLOWANCES.default)
