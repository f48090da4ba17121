"""Roles and organisation kinds (spec README §5, §7). Labels are what users see."""

ADMIN = "admin"
BUREAU_OFFICER = "bureau_officer"
BUREAU_CHIEF = "bureau_chief"
CARE_MANAGER = "care_manager"          # 照管專員 (照專), care management centre
CARE_SUPERVISOR = "care_supervisor"    # 照管督導
A_CASE_MANAGER = "a_case_manager"      # 個管師
A_UNIT_HEAD = "a_unit_head"
B_STAFF = "b_staff"
B_HEAD = "b_head"
GUIDANCE_STAFF = "guidance_staff"
AUDITOR = "auditor"                    # 查核委員 / 評鑑委員 (Q24)
APPLICANT = "applicant"                # 設立申請人 (seed 004)

ROLE_LABELS = {
    ADMIN: "系統管理員",
    BUREAU_OFFICER: "衛生局承辦人",
    BUREAU_CHIEF: "衛生局科長",
    CARE_MANAGER: "照管專員",
    CARE_SUPERVISOR: "照管督導",
    A_CASE_MANAGER: "A單位個案管理師",
    A_UNIT_HEAD: "A單位主管",
    B_STAFF: "B單位服務人員",
    B_HEAD: "B單位負責人",
    GUIDANCE_STAFF: "輔導人員",
    AUDITOR: "查核委員",
    APPLICANT: "設立申請人",
}

# Organisation kinds.
BUREAU = "bureau"
A_UNIT = "a_unit"
B_UNIT = "b_unit"
GUIDANCE = "guidance"
APPLICANT_ORG = "applicant"

ORG_KIND_LABELS = {
    BUREAU: "衛生局／照管中心",
    A_UNIT: "A單位（社區整合型服務中心）",
    B_UNIT: "B單位（特約服務單位）",
    GUIDANCE: "家庭托顧輔導單位",
    APPLICANT_ORG: "設立申請中機構",
}

# B-unit subtypes (spec README §5).
B_SUBTYPE_LABELS = {
    "family_care": "家庭托顧",
    "home_care": "居家式長照機構",
    "day_care": "日間照顧",
    "professional": "專業服務",
    "transport": "交通接送",
    "other": "其他",
}

# Which roles a person of each organisation kind may hold.
ROLES_BY_ORG_KIND = {
    BUREAU: [ADMIN, BUREAU_OFFICER, BUREAU_CHIEF, CARE_MANAGER, CARE_SUPERVISOR, AUDITOR],
    A_UNIT: [A_CASE_MANAGER, A_UNIT_HEAD],
    B_UNIT: [B_STAFF, B_HEAD],
    GUIDANCE: [GUIDANCE_STAFF],
    APPLICANT_ORG: [APPLICANT],
}

# Roles that see every organisation's records (the bureau and its centre).
# Auditors sit in the bureau but see only the audits they are assigned.
COUNTY_WIDE_ROLES = frozenset({ADMIN, BUREAU_OFFICER, BUREAU_CHIEF, CARE_MANAGER, CARE_SUPERVISOR})
BUREAU_ROLES = COUNTY_WIDE_ROLES
A_ROLES = frozenset({A_CASE_MANAGER, A_UNIT_HEAD})
B_ROLES = frozenset({B_STAFF, B_HEAD})
ALL_ROLES = frozenset(ROLE_LABELS)
