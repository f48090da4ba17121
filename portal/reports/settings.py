"""Settings of the result report: interpretations kept in data (spec README §3)."""
from portal.settings.registry import define_setting, get_setting

CUTOFF_TIME = define_setting(
    "reports.cutoff_time", "17:30", kind="str", label="成果報告截止時間（截止日當天）",
    spec="family-care.md §11 R-RPT-02 [interpretation]",
    help="截止日當天幾點前收文算準時；留空表示當天 23:59 前。")
PERSON_RULE = define_setting(
    "reports.person_count_rule", "last_status", kind="str", label="成果報告人數計算方式",
    spec="decisions.md Q16；family-care.md §11.2",
    help="last_status：每位個案只計一次，計入年度最後一個服務日的身分別（Q16）；each_status：曾具有的每一身分別都計入，合計仍為不重複人數。")
HALF_DAY_WEIGHT = define_setting(
    "reports.half_day_weight", "0.5", kind="decimal", label="成果報告人日數：半日計為",
    spec="decisions.md Q16", help="Q16：半日計 0.5 人日；family-care.md §11.2 原解讀為 1。")
AGE_BANDS = define_setting(
    "reports.age_bands", [65, 75, 85], kind="json", label="成果報告年齡分組界線",
    spec="forms-and-pdfs.md §5 第五節 [interpretation]", help="例：[65, 75, 85] 分為未滿65歲、65–74歲、75–84歲、85歲以上。")


def current_rules() -> dict:
    return {"person_rule": get_setting(PERSON_RULE.key), "half_day_weight": get_setting(HALF_DAY_WEIGHT.key),
            "age_bounds": tuple(get_setting(AGE_BANDS.key) or (65, 75, 85))}
