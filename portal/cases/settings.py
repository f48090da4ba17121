"""Values of case management the bureau may change (decisions.md *(setting)*, spec [interpretation])."""
from portal.settings.registry import define_setting, get_setting

CASELOAD_PER_MANAGER = define_setting(
    "cases.caseload_per_manager", 150, kind="int", label="個管師基本案量（每位個管師）",
    spec="case-management.md §4.1 R-CAP-06（本縣個管師以1:150案為基礎案量）",
    help="新增個管師時的預設申報案量；各A單位可依事前準備會議申報之量能調整每位個管師的案量。")
CAPACITY_WARN_RATIO = define_setting(
    "cases.capacity_warn_ratio", "0.9", kind="decimal", label="A單位案量警示比例",
    spec="decisions.md Q26–Q27", help="案量達此比例時，A單位與照管中心看到警示；達 100% 時轉介須確認。")
REFERRAL_ANSWER_DAYS = define_setting(
    "cases.referral_answer_days", 2, kind="int", label="A單位無法收案回覆期限（日曆天）",
    spec="case-management.md §3.3 R-REF-05；decisions.md Q04（末日為休息日順延）")
PLAN_CHANGE_DAYS = define_setting(
    "cases.plan_change_days", 3, kind="int", label="服務異動後修正照顧計畫期限（日曆天）",
    spec="case-management.md §8 R-CP-02；decisions.md Q04")
PAUSE_NOTICE_DAYS = define_setting(
    "cases.pause_notice_office_days", 3, kind="int", label="暫停派案須提前函報（工作日）",
    spec="case-management.md §4.1 R-CAP-01（應於三個工作日前）")
PHONE_VISIT_MONTHS = define_setting(
    "cases.phone_visit_months", 1, kind="int", label="電訪頻率（每幾個月至少一次）",
    spec="decisions.md Q09")
HOME_VISIT_MONTHS = define_setting(
    "cases.home_visit_months", 6, kind="int", label="家訪頻率（每幾個月至少一次）",
    spec="case-management.md §5.3 R-CMD-04（每6個月須家訪並紀錄）")
SUSPENSION_MIN_DAYS = define_setting(
    "cases.suspension_min_days", 7, kind="int", label="住院／離家暫停門檻（日）",
    spec="decisions.md Q10（「超過1週以上」= 7 日以上）")
SUSPENSION_FOLLOWUP_DAYS = define_setting(
    "cases.suspension_followup_days", 30, kind="int", label="暫停服務追蹤提醒（日）",
    spec="case-management.md §11.1（仍須持續追蹤）；seed 003 §十四(十一)")
NON_USE_MONTHS = define_setting(
    "cases.non_use_tracking_months", 3, kind="int", label="無服務使用意願結案前追蹤期間（月）",
    spec="case-management.md §11.2 X6")
SCAN_MAX_BYTES = define_setting(
    "cases.scan_max_bytes", 5 * 1024 * 1024, kind="int", label="簽名掃描檔大小上限（位元組）",
    spec="issue 3 item 8（上傳簽名掃描檔，限制大小）")
DEFAULT_CAPACITY = define_setting(
    "cases.default_capacity", {"home_care": 60, "day_care": 30, "family_care": 4, "professional": 30,
                               "transport": 40, "respite": 10, "other": 10},
    kind="json", label="B單位預設服務量能（各服務類別可服務人數）",
    spec="decisions.md Q08（開放量能）", help="B單位尚未填報服務量能時使用；家庭托顧每日至多 4 人（seed 003 §十四(一)）。")
PROVIDER_TYPES = define_setting(
    "cases.provider_types", {"family_care": ["family_care", "respite"], "home_care": ["home_care", "respite", "professional"],
                             "day_care": ["day_care", "respite"], "professional": ["professional"],
                             "transport": ["transport"], "other": ["other"]},
    kind="json", label="B單位類型可提供之服務類別", spec="decisions.md Q08（B單位服務類別）")


def setting(definition):
    return get_setting(definition.key)
