"""The guidance area's settings (系統設定): seed 003 §十五–§十六 amounts and the spec's interpretations."""
from portal.guidance import rules
from portal.settings.registry import define_setting, get_setting

HOME_GRANT_CAP = define_setting(
    "guidance.home_grant_cap_per_year", rules.HOME_GRANT_CAP_PER_YEAR, kind="int",
    label="輔導托顧家庭獎助：每家每年上限（元）", spec="family-care.md §14 R-GS-01（seed 003 §十六(一)1）")
GRANT_WINDOW_MONTHS = define_setting(
    "guidance.grant_window_months", rules.GRANT_ELIGIBLE_MONTHS, kind="int",
    label="輔導托顧家庭獎助：自取得設立許可月份起可支付月數", spec="family-care.md §14 R-GS-04; decisions.md Q19",
    help="含取得許可當月；完成第一次機構評鑑（含後續改善）之當月起不予支付。")
HOME_TRAVEL_CAP = define_setting(
    "guidance.home_travel_cap_per_month", rules.TRAVEL_CAP_PER_MONTH, kind="int",
    label="輔導托顧家庭獎助：輔導交通費每月上限（元）", spec="family-care.md §14 R-GS-02（seed 003 §十六(一)2）")
DEV_CAP_MONTH = define_setting(
    "guidance.development_cap_per_month", rules.DEVELOPMENT_CAP_PER_MONTH, kind="int",
    label="開發培植托顧家庭獎助：每月上限（元）", spec="family-care.md §14 R-GS-03（seed 003 §十六(二)）")
DEV_CAP_YEAR = define_setting(
    "guidance.development_cap_per_year", rules.DEVELOPMENT_CAP_PER_YEAR, kind="int",
    label="開發培植托顧家庭獎助：每年上限（元）", spec="family-care.md §14 R-GS-03（seed 003 §十六(二)）")
DEV_TRAVEL_CAP = define_setting(
    "guidance.development_travel_cap_per_month", rules.TRAVEL_CAP_PER_MONTH, kind="int",
    label="開發培植托顧家庭獎助：訪視交通費每月上限（元）", spec="family-care.md §14 R-GS-03（seed 003 §十六(二)）")
SELF_FUNDING = define_setting(
    "guidance.self_funding_ratio", str(rules.SELF_FUNDING_RATIO), kind="decimal",
    label="設備費自籌款最低比率", spec="family-care.md §14 R-GS-05; decisions.md Q19（以設備費總額計）")
TARGET = define_setting(
    "guidance.new_home_target", rules.NEW_HOME_TARGET, kind="int",
    label="輔導單位每年應新增完成特約之托顧家庭數", spec="family-care.md §13 R-GU-10（seed 003 §十五(十)）")
REFUND_RATIO = define_setting(
    "guidance.refund_ratio", str(rules.REFUND_RATIO), kind="decimal",
    label="年底結算未輔導設立完成者繳回業務費比率", spec="family-care.md §13 R-GU-10（seed 003 §十五(十)）")
REFUND_TRIGGER = define_setting(
    "guidance.refund_trigger", "zero", kind="str",
    label="繳回業務費之條件（zero：全年未完成任何一處；below_target：未達目標數）",
    spec="decisions.md Q19; family-care.md §13")
VISIT_INTERVAL = define_setting(
    "guidance.visit_interval_days", 30, kind="int",
    label="輔導訪視提醒間隔（日）", spec="family-care.md §13 R-GU-02 [interpretation]",
    help="未填下次訪視日期時，以上次訪視後此日數提醒。")
PLAN_DUE_DAYS = define_setting(
    "guidance.plan_due_days", 30, kind="int",
    label="取得設立許可後應完成量能評估與個別化輔導計畫之日數", spec="family-care.md §13 R-GU-03 [interpretation]")
GRANT_DECISION_DAYS = define_setting(
    "guidance.grant_decision_office_days", 10, kind="int",
    label="獎助申請審核期限（辦公日）", spec="family-care.md §14 [interpretation]")
TARGET_WARNING_MONTH = define_setting(
    "guidance.target_warning_month", 7, kind="int",
    label="自每年幾月起提醒年度新增目標落後", spec="family-care.md §13 R-GU-10 [interpretation]")
CAPACITY_ITEMS = define_setting(
    "guidance.capacity_items", [
        {"key": "care_skills", "label": "照顧能力與證照（家托員、替代照顧者）"},
        {"key": "environment", "label": "住家照顧環境與設施安全"},
        {"key": "substitute", "label": "替代照顧機制"},
        {"key": "accounts", "label": "帳務管理（收費、費用申報、核銷）"},
        {"key": "records", "label": "服務紀錄與行政作業"},
        {"key": "systems", "label": "資訊系統操作（照顧服務管理資訊平臺）"},
        {"key": "clients", "label": "個案來源與轉介、社區資源連結"},
        {"key": "finance", "label": "營運收支與財務穩定"},
    ], kind="json",
    label="獨立營運量能評估項目", spec="family-care.md §13 R-GU-02 [interpretation]",
    help="JSON 陣列，每項含 key 與 label；已完成之評估保留當時的項目文字。")


def grant_settings() -> dict:
    """The bureau's grant caps, as keyword arguments for the rules."""
    return {
        "annual_cap": get_setting(HOME_GRANT_CAP.key), "window_months": get_setting(GRANT_WINDOW_MONTHS.key),
    }


def refund_settings() -> dict:
    return {"trigger": get_setting(REFUND_TRIGGER.key), "target": get_setting(TARGET.key),
            "ratio": get_setting(REFUND_RATIO.key)}
