"""Settings of the establishment-plan area (shown and editable at 系統設定)."""
from portal.settings.registry import define_setting

REGISTRATIONS_PER_IP_PER_DAY = define_setting(
    "establishment.registrations_per_ip_per_day", 5, kind="int", label="設立申請帳號：同一網路位址每日可申請數",
    spec="issue 9 §1（帳號申請防濫用）", area="establishment").key
MAX_UPLOAD_MB = define_setting(
    "establishment.max_upload_mb", 10, kind="int", label="設立計畫書：單一上傳檔案大小上限（MB）",
    spec="establishment-plan.md §4 參、八", area="establishment").key

# 給付及支付基準 service items a home-care institution offers [external]: codes and names to be
# confirmed against the current MOHW standard (README §6.1); the bureau edits this list.
SERVICE_ITEMS_DEFAULT = [
    ["BA01", "基本身體清潔"], ["BA02", "基本日常照顧"], ["BA03", "測量生命徵象"], ["BA04", "協助進食或管灌餵食"],
    ["BA05", "餐食照顧"], ["BA07", "協助沐浴及洗頭"], ["BA08", "足部照護"], ["BA09", "到宅沐浴車服務－第一型"],
    ["BA10", "翻身拍背"], ["BA11", "肢體關節活動"], ["BA12", "協助上（下）樓梯"], ["BA13", "陪同外出"],
    ["BA14", "陪同就醫"], ["BA15", "家務協助"], ["BA16", "代購或代領或代送服務"], ["BA17a", "人工氣道管內分泌物抽吸"],
    ["BA17b", "口腔內（懸雍垂之前）分泌物抽吸"], ["BA17c", "管路清潔"], ["BA17d", "甘油球通便"], ["BA17e", "導尿"],
    ["BA18", "安全看視"], ["BA20", "陪伴服務"], ["BA22", "巡視服務"], ["BA23", "協助洗頭"], ["BA24", "協助排泄"],
    ["GA09", "居家喘息服務"],
]
SERVICE_ITEMS = define_setting(
    "establishment.service_items", SERVICE_ITEMS_DEFAULT, kind="json",
    label="設立計畫書：服務項目選單（給付及支付基準代碼與名稱）", spec="establishment-plan.md §4 參、四(六) [external]",
    help="JSON 陣列，每項為 [代碼, 名稱]；以衛生福利部現行給付及支付基準為準。", area="establishment").key
