"""The plan's outline in the seed's table-of-contents order (seed 004 貳, 參; establishment-plan.md §3–4).

Each section says what the applicant fills in: fields, tables (with columns), uploads.
Numbers (一、(一)、1、(1)、) are generated from the position, never typed
(`rules.heading_number`). Pure data: no Flask, no database.
"""
from dataclasses import dataclass, field

from portal.establishment.rules import heading_number


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: str = "textarea"     # text, textarea, int, date, choice, bool, multi
    required: bool = True      # needed before submission (completeness), never to save a draft
    choices: tuple = ()
    hint: str = ""
    default: object = None


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    type: str = "text"         # text, textarea, int, date, choice, national_id
    choices: tuple = ()
    required: bool = True
    width: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    label: str
    columns: tuple
    preset: tuple = ()         # rows given by the seed: ({col: value, "fixed": True}, …)
    min_rows: int = 0
    can_add: bool = True
    groups: tuple = ()         # (group key, label) — rows are added under a group (budget)
    notes: tuple = ()


@dataclass(frozen=True)
class Upload:
    slot: str
    label: str
    images_only: bool = False
    required: bool = True
    many: bool = False
    hint: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    level: int                 # 2 = 一、 3 = (一) 4 = 1、 5 = (1)、 (0 = cover, unnumbered)
    title: str
    guide: str = ""            # the seed's instruction, shown beside the editor
    fields: tuple = ()
    tables: tuple = ()
    uploads: tuple = ()
    toc_title: str = ""
    fixed_text: str = ""       # printed as is (設立類別)
    new_page: bool = False     # quality documents start on a new page (forms-and-pdfs.md §7.5)
    dated: bool = False        # 訂定日期 printed top right (參、四(八))
    landscape: bool = False

    @property
    def is_heading(self):
        return not (self.fields or self.tables or self.uploads or self.fixed_text)


ROSTER_ROLES = ("機構負責人", "業務負責人", "居服督導", "照服員", "行政人員", "其他")
SEX_CHOICES = (("M", "男"), ("F", "女"))
PAY_CHOICES = (("hourly", "時薪"), ("monthly", "月薪"))
FLOW_STAGES = ("開案", "收案", "提供服務", "轉介", "服務異常", "暫停服務", "結案")


def _quality(key, title, guide, level=5):
    return Section(key, level, title, guide, dated=True, new_page=True, fields=(
        Field("adopted_on", "訂定日期", "date", hint="印在文件右上角（參、四(八)）"),
        Field("body", "內容"),
    ), uploads=(Upload(f"{key}_forms", "相關表單", required=False, many=True,
                       hint="辦法所用之表單；PDF 或圖片，依上傳順序附於本項之後"),))


def _text(key, level, title, guide="", label="內容", toc_title=""):
    return Section(key, level, title, guide, fields=(Field("body", label),), toc_title=toc_title)


BUDGET_GROUPS = (("personnel", "人事費"), ("equipment", "設備費"), ("consumables", "耗材費"))
_BUDGET_PRESET = (
    {"group": "personnel", "item": "行政人員薪資", "content": "含薪資、獎金…等", "fixed": True},
    {"group": "personnel", "item": "月薪制照服員薪資", "content": "含薪資、年終、勞健保、勞退、績效獎金…等", "fixed": True},
    {"group": "personnel", "item": "時薪制照服員薪資", "content": "含薪資、年終、勞健保、勞退、績效獎金…等", "fixed": True},
    {"group": "personnel", "item": "其他人事費", "content": "", "fixed": True},
    {"group": "equipment", "item": "租金", "content": "", "fixed": True},
    {"group": "equipment", "item": "器材", "content": "辦公桌、影印機…等", "fixed": True},
    # seed typo 「被免」 kept verbatim? No: the content is the applicant's to edit; we print 「避免」 (spec §4 參、七(二)).
    {"group": "equipment", "item": "輔具", "content": "避免居服員職業傷害之輔具，如護腰、移位腰帶…等", "fixed": True},
    {"group": "consumables", "item": "水費、電費", "content": "", "fixed": True},
    {"group": "consumables", "item": "文具、印刷費…等", "content": "", "fixed": True},
)
_BUDGET_COLUMNS = (Column("item", "科目"), Column("content", "內容項目", required=False), Column("unit", "單位"),
                   *(Column(f"{p}_{c}", f"{label}{clabel}", "int")
                     for p, label in (("prep", "籌備期"), ("year1", "第一年"), ("year2", "第二年"))
                     for c, clabel in (("qty", "數量"), ("price", "單價"))))

PROJECTION_ROWS = (
    ("clients", "預估收案人數"),
    ("home_service_income", "居家服務收入"), ("self_pay_income", "自費服務收入"), ("other_income", "其他"),
    ("salaries", "薪資"), ("rent", "租金"), ("insurance", "保險"), ("other_expenses", "其他"),
)

ATTACHMENT_TITLES = (
    ("att_registration", "相關立案、登記、決議、核准或預查證明文件影本"),
    ("att_floor_plan", "平面圖"),
    ("att_staff_documents", "相關人員之切結書、刑事紀錄證明正本及其他工作人員個人資料使用同意書正本、證照及身分證文件影本"),
    ("att_lease", "至少期限 3 年以上房屋租賃契約書或土地使用同意書"),
    ("att_g2", "建築物 G-2 證明文件"),
    ("att_other", "其他補充資料"),
)
# the 附件 checklist of 參、一 uses the seed's own (shorter) wording for (四)
CHECKLIST_TITLES = dict(ATTACHMENT_TITLES) | {"att_lease": "至少 3 年以上房屋租賃契約書或土地使用同意書"}

COVER = Section("cover", 0, "封面", "封面依範本印出機構名稱、「設立計畫書」、聯絡資料；案件編號及收案日期由衛生局填寫。", fields=(
    Field("contact_person", "聯絡人", "text"),
    Field("contact_phone", "聯絡電話", "text"),
    Field("fax", "傳真電話", "text", required=False),
    Field("plan_date", "計畫書日期", "date", required=False, hint="印在封面「中華民國〇年〇月〇日」；空白時印送件日期"),
))

SECTIONS = (
    COVER,
    Section("basic", 2, "單位基本資料", "機構名稱依「長期照顧服務機構名稱訂定原則」；機構建築物使用類別應符合 G-2 類組，請檢附建物使用執照。",
            toc_title="居家式長照機構設立計畫書-基本資料", fields=(
                Field("applicant_type", "申請人類別", "choice", choices=(
                    ("natural", "自然人"), ("legal", "法人或團體"), ("government", "政府機關/構"),
                    ("school", "私立學校之校長"))),
                Field("legal_form", "法人或團體類別", "choice", required=False, choices=(
                    ("", "—"), ("group", "團體附設"), ("ltc_foundation", "長照機構財團法人附設"),
                    ("ltc_association", "長照機構社團法人附設"), ("foundation", "財團法人附設"),
                    ("association", "社團法人附設"))),
                Field("parent", "法人、團體、機關或學校名稱", "text", required=False),
                Field("attached", "附設", "bool", required=False),
                Field("county", "縣市", "text", required=False),
                Field("distinctive", "特取名稱（○○）", "text", required=False),
                Field("has_same_type", "申請人已設有同類型長照機構", "bool", required=False),
                Field("name", "機構名稱", "text", required=False, hint="留空則採依上列資料組成之名稱"),
                Field("address", "機構地址", "text"),
                Field("head_name", "負責人姓名", "text"),
                Field("head_capacity", "負責人身分", "choice", choices=(
                    ("applicant", "申請人"), ("representative", "法人之代表人"), ("principal", "校長"))),
                Field("household_address", "戶籍", "text"),
                Field("mailing_address", "通訊地", "text"),
            ), uploads=(Upload("id_front", "身分證影本(正面)", images_only=True),
                        Upload("id_back", "身分證影本(反面)", images_only=True))),
    Section("motive", 2, "動機及目標"),
    _text("motive_reason", 3, "申請動機"),
    _text("motive_goals", 3, "服務目標"),
    Section("staff", 2, "組織與人力"),
    Section("org_chart", 3, "組織架構",
            "1. 基本架構需包含機構負責人、業務負責人、照顧服務員(以下簡稱照服員)至少 3 人。2. 服務人數每 60 人應置居家服務督導員 1 人(以下簡稱居服督導)，未滿 60 人，以 60 人計，且居服督導應為專任。3. 業務負責人具居服督導資格者，得以居服督導身分與各該人力合併計算。4. 另可視機構需求設置行政人員。",
            fields=(Field("lead_qualified", "業務負責人具居服督導資格，並以居服督導身分合併計算", "bool", required=False),
                    Field("body", "組織架構說明")),
            uploads=(Upload("org_chart", "組織架構圖", images_only=True, required=False,
                            hint="可不上傳：計畫書將印出依(二)職掌表及(三)名冊自動繪製的組織架構圖（見下方預覽）。"),)),
    Section("duties", 3, "主管與工作人員人數及工作職掌",
            "需說明機構負責人、業務負責人、行政人員、居服督導、照服員等人員人數，並詳述各自所職掌的工作範圍、項目（填寫時可自行增加欄位）",
            tables=(Table("duties", "職稱、人數及工作項目", (
                Column("title", "職稱"), Column("count", "人數", "int"), Column("tasks", "工作項目", "textarea")),
                preset=tuple({"title": t, "fixed": True} for t in ("機構負責人", "業務負責人", "居服督導", "照服員", "行政人員"))),)),
    Section("staffing", 3, "人員編制", fields=(
        Field("conditions", "1. 工作人員進用資格、條件、項目及福利等事項"),
        Field("documents", "2. 工作人員身分證明文件、個人資料使用同意書、證照影本說明", required=False,
              hint="證照影本（如照服員 90 小時研習證明、照服員單一級證照、醫事人員證書、社工師證書）請上傳於「八、附件(三)」"),
    ), tables=(Table("roster", "3. 機構工作人員名冊", (
        Column("role", "職別", "choice", tuple((r, r) for r in ROSTER_ROLES)),
        Column("name", "姓名"), Column("national_id", "身分證字號", "national_id"),
        Column("birth_date", "出生年月日", "date"), Column("sex", "性別", "choice", SEX_CHOICES),
        Column("licence_no", "證照證書編號", required=False),
        Column("pay_type", "薪資類別", "choice", PAY_CHOICES), Column("pay", "薪資金額", "int"),
        Column("remark", "備註", required=False)), min_rows=1,
        notes=("備註：1.有出現在上述表內，請附上身分證明文件影本資料(正反面)。", "2.若有更換姓名，請檢附戶籍謄本影本。",
               "3.照服員之證書應含基礎訓及複訓之證明。", "4.影本請註明「與正本相符」並核章。")),)),
    Section("service", 2, "服務計畫"),
    Section("resources", 3, "當地資源概況",
            "以本縣同類型長照機構資源為主，瞭解本縣居服資源分佈現況及供需是否平衡。內容應包含目前本縣居家服務單位特約單位數。",
            fields=(Field("contracted_units", "目前本縣居家服務特約單位數", "int"), Field("body", "當地資源概況說明"))),
    Section("demand", 3, "服務人數及需求評估",
            "推估公式為人口推計數×長照需要率(%)＝長照需求推估人數。人口數可由衛生局人口資料帶入，或自行填寫並註明來源。",
            fields=(Field("source", "人口資料來源", "text"), Field("body", "需求評估說明")),
            tables=(Table("population", "各服務區域人口數", (), can_add=False),)),
    Section("category", 3, "設立類別", fixed_text="居家式長期照顧服務機構"),
    Section("business", 3, "機構業務", "機構業務為身體照顧、日常生活照顧及家事服務；倘有其他服務業務（如喘息服務、醫事照護服務等），請自行新增，並於計畫書後續內容詳述。",
            fixed_text="身體照顧、日常生活照顧及家事服務。",
            fields=(Field("other", "其他長照業務（如有）", required=False),)),
    Section("areas", 3, "服務區域", "請列出服務之區域；需求評估表依此列出各區。", fields=(
        Field("area_ids", "服務區域", "multi"), Field("body", "補充說明", required=False))),
    Section("items", 3, "服務項目", "依據衛生福利部「長期照顧(照顧服務、專業服務、交通接送服務、輔具服務及居家無障礙環境改善服務)給付及支付基準」之服務項目填寫。",
            fields=(Field("codes", "服務項目", "multi"), Field("body", "補充說明", required=False))),
    Section("flow", 3, "服務流程圖", "請勿貼上各長照中心公告之長照服務流程圖，請就單位服務流程撰寫，其中應包含開案、收案、提供服務、轉介、服務異常、暫停服務、結案等各階段。",
            fields=(Field("stages", "流程圖已包含之階段", "multi", choices=tuple((s, s) for s in FLOW_STAGES)),
                    Field("body", "流程說明", required=False)),
            uploads=(Upload("flow_chart", "服務流程圖", images_only=True),)),
    Section("quality", 3, "服務品質管理規劃", "依據結構、過程、結果三面向進行管理；相關辦法、規定、標準請於文件右上角載明訂定日期，並提供相對應之表單。"),
    Section("q_structure", 4, "結構面"),
    _quality("q_s1", "訂有開案/收案、轉介、暫停與結案作業標準", "該標準與程序需與服務流程相對照。A.開案/收案 B.轉介 C.暫停：擬定暫停指標 D.結案：擬定結案指標並繪製結案流程圖。"),
    _quality("q_s2", "訂有服務對象個案管理辦法", "開案/收案後如何了解個案生活樣貌，藉由表單工具評估蒐集資料，導入風險管理之高危指標並擬定督導管理策略。"),
    _quality("q_s3", "訂有服務對象評估及照顧計畫", "制定長照使用者服務計畫表，含個案基本資料、生理心理社會評估、家庭基本概況、短中長期照顧目標。"),
    _quality("q_s4", "訂有居家訪視人員安全管理辦法(含流程圖)", "針對服務前、中、後提出因應機制；載明服務員因應方式及機構給予之協助。"),
    _quality("q_s5", "訂有職前與在職訓練年度計畫(含期程表)", "依「長期照顧服務人員訓練認證繼續教育及登錄辦法」；依居服督導、照服員、行政人力提供不同課程，含課程內容、時數與期程表。"),
    _quality("q_s6", "訂有服務單位感染管制作業手冊(含流程圖)", "服務前、中、後之防護措施、用品、工作人員健檢頻率與追蹤、教育訓練；應轉換為外展性質之居家長照機構內容。"),
    _quality("q_s7", "訂有個人資料管理與保密辦法", "含員工資料使用、個資處理原則及資料保存年限。"),
    _quality("q_s8", "訂有個案紀錄與保管辦法", "含個案資料使用、個資處理原則及資料保存年限。"),
    _quality("q_s9", "訂有用物管理辦法", "物資來源、存量、設備維護（受贈來源、安全存量、維修期限或保存期限等）。"),
    _quality("q_s10", "訂有工作倫理與工作守則", "針對負責人、業務負責人、居服督導、照服員、行政人員等所有人員。"),
    _quality("q_s11", "訂有人員管理辦法", "A.進用資格與條件、離職規範 B.工作項目及福利 C.差勤管理及查班機制 D.服務紀錄表填寫規定。"),
    _quality("q_s12", "訂有工作人員獎懲辦法", "內容需有 A 碼相關獎勵機制。"),
    Section("q_process", 4, "過程面"),
    _quality("q_p1", "居服督導舉辦團督、個督、個案研討會及行政會議辦法", "各會議辦理規劃、頻率與參與對象，並提供相關表單。"),
    _quality("q_p2", "居服督導定期的電訪、家訪", "依風險指標擬定電訪、家訪頻率；居服督導原則應每月至少執行 1 次電訪、每 3 個月執行 1 次家訪。"),
    _quality("q_p3", "工作人員考核（應包含居服督導、照顧服務員）辦法", "呈現各項評量內容之定義，並提供相關表單。"),
    Section("q_result", 4, "結果面"),
    _quality("q_r1", "服務滿意度", "擬定服務滿意度調查內容與調查方式（質性、量化）。"),
    _quality("q_r2", "工作人員申訴事件處理辦法(含流程圖)", "申訴管道、申訴電話、處理過程與紀錄表單。"),
    _quality("q_r3", "服務使用者申訴事件處理辦法(含流程圖)", "申訴管道、申訴電話、處理過程與紀錄表單。"),
    _quality("q_r4", "異常及意外事件處理辦法(含流程圖)及改善策略", "A.異常事件定義 B.意外事件定義 C.一線人員及機構因應處理方式 D.表單及通報權責單位與溝通方式。"),
    Section("fees", 2, "收費基準", "請參酌衛生福利部「長期照顧(照顧服務、專業服務、交通接送服務、輔具服務及居家無障礙環境改善服務)給付及支付基準」；倘提供自費服務項目，應詳實撰寫收費標準。"),
    Section("fee_items", 3, "收費項目", tables=(Table("fees", "收費項目", (
        Column("item", "項目"), Column("unit", "單位"), Column("price", "價格（元）", "int"),
        Column("kind", "類別", "choice", (("subsidised", "長照給付"), ("self_pay", "自費")))), min_rows=1),)),
    _text("fee_standard", 3, "收費標準"),
    _text("fee_process", 3, "收費流程"),
    Section("contract", 2, "服務契約", "照顧服務契約須經本縣主管機關同意後才能使用（修正亦須同意），並依中央主管機關公告定型化契約及應記載不得記載事項規定辦理。",
            fields=(Field("body", "契約說明"),), uploads=(Upload("contract_draft", "服務契約草案"),)),
    Section("budget_h", 2, "經費概算"),
    Section("capital", 3, "單位組織財務狀況(資本額陳述)", fields=(
        Field("capital", "資本額（元）", "int"), Field("body", "財務狀況說明"))),
    Section("budget", 3, "經費需求", "需詳列經費概算表，包含人事費、設備費及耗材費等，並將經費科目概要說明。總金額＝數量×單價。",
            fields=(Field("body", "經費科目概要說明", required=False),),
            tables=(Table("budget", "經費概算表", _BUDGET_COLUMNS, preset=_BUDGET_PRESET, groups=BUDGET_GROUPS),),
            landscape=True),
    Section("funding", 3, "經費來源與使用計畫(含預算書)", "詳述需要贊助的經費項目及自籌或其他團體贊助的金額；使用計畫同經費需求。",
            fields=(Field("body", "使用計畫說明"),),
            tables=(Table("funding", "經費來源", (
                Column("source", "來源"), Column("kind", "類別", "choice", (
                    ("self", "自籌"), ("subsidy", "申請補助"), ("sponsor", "其他團體贊助"))),
                Column("amount", "金額（元）", "int"), Column("use", "用途", required=False)), min_rows=1),)),
    Section("projection", 3, "預定營運日期及營運後三年內機構業務預估",
            "可從未來預期的收案人數開始，繼而預估機構的收入及支出。",
            fields=(Field("start_on", "預定營運日期", "date"), Field("body", "業務預估說明", required=False)),
            tables=(Table("projection", "營運後三年內機構業務預估", (
                Column("year1", "第一年", "int"), Column("year2", "第二年", "int"), Column("year3", "第三年", "int")),
                preset=tuple({"key": k, "label": label, "fixed": True} for k, label in PROJECTION_ROWS),
                can_add=False),)),
    Section("attachments", 2, "附件", "附件依(一)至(六)順序附於計畫書後。"),
    *(Section(key, 3, title,
              {"att_floor_plan": "應有辦公桌空間、存放個案資料及紀錄的地方並與實地訪查一致；不得與其他空間共用出入口及門牌號碼，所使用空間須明確、獨立、完整區隔（衛生福利部 110 年 3 月 24 日衛部顧字第 1101960783 號函）。",
               "att_lease": "租賃期限至少 3 年。", "att_staff_documents": "名冊內每位人員均需附身分證明文件影本（正反面）；上傳時請註明人員姓名。"}.get(key, ""),
              fields=((Field("lease_start", "租約起日", "date"), Field("lease_end", "租約迄日", "date"))
                      if key == "att_lease" else ()),
              uploads=(Upload(key, title, required=key != "att_other", many=True),))
      for key, title in ATTACHMENT_TITLES),
)

BY_KEY = {s.key: s for s in SECTIONS}


@dataclass
class Numbered:
    section: Section
    number: str
    parent_key: str | None = None
    children: list = field(default_factory=list)

    @property
    def key(self):
        return self.section.key

    @property
    def heading(self):
        return f"{self.number}{self.section.title}" if self.number else self.section.title


def numbered_outline() -> list:
    """Return every section with its generated number, in order."""
    counters = {2: 0, 3: 0, 4: 0, 5: 0}
    parents = {}
    result = []
    for s in SECTIONS:
        if s.level == 0:
            result.append(Numbered(s, ""))
            continue
        counters[s.level] += 1
        for deeper in range(s.level + 1, 6):
            counters[deeper] = 0
        parent = parents.get(s.level - 1)
        parents[s.level] = s.key
        item = Numbered(s, heading_number(s.level, counters[s.level]), parent)
        result.append(item)
    by_key = {n.key: n for n in result}
    for n in result:
        if n.parent_key:
            by_key[n.parent_key].children.append(n)
    return result


OUTLINE = numbered_outline()
NUMBERED = {n.key: n for n in OUTLINE}
EDITABLE_KEYS = tuple(n.key for n in OUTLINE if not n.section.is_heading)
