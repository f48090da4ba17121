"""zh-TW labels for audit-log actions and entity types. Areas add theirs:

    from portal.auditlog.labels import register_labels
    register_labels(actions={"incident.submit": "送出通報"}, entities={"incidents": "異常事件"})
"""
ACTION_LABELS = {
    "auth.login": "登入",
    "auth.login_failed": "登入失敗",
    "auth.locked": "帳號鎖定",
    "auth.login_refused_locked": "鎖定中拒絕登入",
    "auth.login_refused_inactive": "停用帳號拒絕登入",
    "auth.unlock": "解除鎖定",
    "auth.password_changed": "變更密碼",
    "user.create": "新增帳號",
    "user.update": "修改帳號",
    "client.create": "新增個案",
    "client.update": "修改個案",
    "client.access_granted": "開放單位檢視個案",
    "client.access_ended": "結束單位檢視個案",
    "organisation.create": "新增單位",
    "organisation.update": "修改單位",
    "service_area.create": "新增鄉鎮市",
    "service_area.update": "修改鄉鎮市",
    "county_profile.update": "修改縣市資料",
    "calendar.override": "調整辦公日曆",
    "calendar.override_removed": "刪除辦公日曆調整",
    "setting.change": "變更設定值",
}
ENTITY_LABELS = {
    "users": "帳號", "clients": "個案", "organisations": "單位", "service_areas": "鄉鎮市",
    "county_profile": "縣市資料", "office_day_overrides": "辦公日曆", "settings": "設定",
}


def register_labels(actions=None, entities=None):
    ACTION_LABELS.update(actions or {})
    ENTITY_LABELS.update(entities or {})


def action_label(code):
    return ACTION_LABELS.get(code, code)


def entity_label(code):
    return ENTITY_LABELS.get(code, code)
