"""Legal bases (法令依據) of contract actions and violation points.

The contract articles' texts are not in the seeds (decisions Q07, Q20): each
text is a *(setting)* the bureau fills in at 系統設定; the sentences the seeds
do contain are shipped verbatim as defaults. An action keeps a copy of the
text it was decided under, so later edits never rewrite history.
"""
from dataclasses import dataclass

from portal.settings.registry import define_setting, get_setting

_PLACEHOLDER = "（條文內容未收錄於須知，請衛生局於「系統設定」填入契約書原文。）"


@dataclass(frozen=True)
class LegalBasis:
    code: str
    title: str
    setting_key: str

    @property
    def text(self) -> str:
        return get_setting(self.setting_key) or ""


def _basis(code, title, default, spec):
    key = f"contracts.basis.{code}"
    define_setting(key, default, kind="text", label=f"法令依據：{title}", spec=spec, area="contracts",
                   help="記錄特約處分時，本條文字會一併存入處分紀錄。")
    return LegalBasis(code, title, key)


BASES = {b.code: b for b in (
    _basis("audit", "社區整合型服務中心(A單位)服務須知 七、(六) 查核",
           "「不合格」單位需於下次查核前修正不符合之項目；連續3次查核為不合格之單位，暫停特約，並一個月後進行複查，如再不合格，即停止特約關係。",
           "case-management.md §13 (seed 000 §七(六)); forms-and-pdfs.md §2"),
    _basis("violation", "社區整合型服務中心(A單位)服務須知 七、(五) 違規處理",
           "經本局查證屬實者，通知限期補正給予限期改善，上限為1次；屆期仍未改善者，必要時得依契約第19條暫停派案或第20條終止契約，並不予特約。（依須知內容摘錄，請核對原文）",
           "case-management.md §12 (seed 000 §七(五)); decisions Q07"),
    _basis("art19", "特約契約書第十九條（暫停派案）", _PLACEHOLDER, "case-management.md §12; decisions Q07"),
    _basis("art20", "特約契約書第二十條（終止契約）", _PLACEHOLDER, "case-management.md §12; decisions Q07"),
    _basis("art21", "特約契約書第二十一條（違約記點）", _PLACEHOLDER, "family-care.md §15; decisions Q20"),
    _basis("art22", "特約契約書第二十二條（暫停派案及終止契約）", _PLACEHOLDER, "family-care.md §15; decisions Q20"),
    _basis("points", "家庭托顧服務實施計畫 十七、違約記點",
           "單位若有本縣長期照顧服務契約書第二十一條，或本縣家庭托顧服務品質查核機制之異常單位查核指標之情形者，將依本縣長期照顧服務契約第二十一條及第二十二條規定進行違約記點暫停太案及終止契約，當年度累計達3次者，除解除當年度特約外，並取消次年度特約資格。",
           "family-care.md §15 (seed 003 §十七, verbatim incl. the seed's typo 「太案」)"),
    _basis("quality", "家庭托顧服務實施計畫 十、(二) 品質管理",
           "不得借此服務向個案、家屬介紹或推銷購買相關保健產品、藥物、保險...，經查屬實，立即終止合約。",
           "family-care.md §8.2 item 7 (seed 003 §十(二)7(7), verbatim)"),
    _basis("other", "其他（請於理由中敘明依據）", "", "decisions Q07"),
)}

# What a violation point may be recorded for (decisions Q20: "recorded with its clause text (setting list)"):
# contract art. 21, the quality-audit mechanism's abnormal-unit indicators, and the prohibited conduct
# of seed 003 §十(二)7 (family-care.md §8.2: "the others feed violation points"). Item (7) is not here:
# it ends the contract at once (basis "quality").
POINT_CLAUSES = define_setting(
    "contracts.point_clauses",
    [
        "特約契約書第二十一條所列情形",
        "家庭托顧服務品質查核機制之異常單位查核指標",
        "遺棄、身心虐待、歧視、傷害、違法限制個案人身自由或其他侵害其權益之行為。",
        "侵害個案及其家屬隱私權。",
        "因個案之性別、性傾向、出生地、種族、宗教、教育、職業、婚姻狀況、生理狀況而為歧視或不公平待遇。",
        "向個案推銷、販售、借貸及不當金錢往來之行為。",
        "假借廣告名義，行招攬服務。",
        "巧立名目向民眾收取費用。",
        "拒絕訪查輔導之行為。",
        "未配合主管機關出席相關教育訓練或長照相關聯繫會議。",
    ],
    kind="json", label="違約記點事由清單", area="contracts",
    spec="family-care.md §15, §8.2 item 7 (seed 003 §十七, §十(二)7); decisions Q20",
    help="JSON 字串陣列；記點時從此清單選擇事由，事由文字會存入記點紀錄。",
)


def point_clauses() -> list[str]:
    value = get_setting(POINT_CLAUSES.key)
    return [str(v) for v in value] if isinstance(value, list) else []


def basis_choices(codes=None):
    return [(b.code, b.title) for b in BASES.values() if codes is None or b.code in codes]


def get_basis(code) -> LegalBasis | None:
    return BASES.get(code)
