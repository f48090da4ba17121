"""Forms of the guidance area (zh-TW messages; ROC dates and years)."""
import uuid
from functools import partial

import wtforms
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from portal.formfields import ROCDateField
from portal.guidance import rules
from portal.guidance.models import (CONCLUSIONS, DEVELOPMENT_GRANT_ITEMS, GuidancePlan, HOME_GRANT_ITEMS, RATINGS,
                                    VISIT_MODES, VISIT_TOPICS)
from portal.orgs.forms import MultiCheckboxField as _MultiCheckboxField

# Choices come from the server; a value outside them was tampered with or went stale.
PICK = "請從清單中選擇"
SelectField = partial(wtforms.SelectField, invalid_choice_message=PICK)
RadioField = partial(wtforms.RadioField, invalid_choice_message=PICK)
MultiCheckboxField = partial(_MultiCheckboxField, invalid_choice_message=PICK)


class AmountField(StringField):
    """A whole-dollar amount (or count); accepts 12,000 and full-width digits; empty is None."""

    def __init__(self, label=None, validators=None, minimum=0, maximum=100_000_000, **kwargs):
        render_kw = kwargs.pop("render_kw", {}) or {}
        render_kw.setdefault("inputmode", "numeric")
        render_kw.setdefault("autocomplete", "off")
        render_kw.setdefault("class", "amount")
        self.minimum, self.maximum = minimum, maximum
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "").strip().replace(",", "").replace("，", "").translate(
            str.maketrans("０１２３４５６７８９", "0123456789"))
        if not text:
            return
        if not text.isdigit():
            raise ValueError("請輸入整數（不含小數點或符號）")
        self.data = int(text)
        if not self.minimum <= self.data <= self.maximum:
            raise ValueError(f"請輸入 {self.minimum:,} 至 {self.maximum:,} 之間的數字")


class YearField(StringField):
    """A year typed as ROC (106) or AD (2017); stored as AD."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data - 1911)

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "").strip().removesuffix("年").removeprefix("民國")
        if not text:
            return
        if not text.isdigit():
            raise ValueError("請輸入民國年，例如 106")
        year = int(text)
        year = year + 1911 if year < 1000 else year
        if not 1950 <= year <= 2100:
            raise ValueError("年份不正確，請輸入民國年，例如 106")
        self.data = year


def new_submission_key() -> str:
    return uuid.uuid4().hex


class UnitProfileForm(FlaskForm):
    version = HiddenField()
    eligibility_basis = RadioField("輔導單位資格類別（seed 003 §六）", choices=list(rules.ELIGIBILITY_BASES.items()),
                                   validators=[DataRequired("請選擇資格類別")])
    legal_form = StringField("立案名稱／法人登記名稱", validators=[Optional(), Length(max=120)])
    last_evaluation_result = SelectField("最近一次評鑑結果", validators=[Optional()],
                                         choices=[("", "— 無／不適用 —")] + [(r, r) for r in rules.EVALUATION_RESULTS])
    last_evaluation_year = YearField("最近一次評鑑年度（民國）", validators=[Optional()])
    family_care_since = YearField("開始辦理家庭托顧服務年度（民國）", validators=[Optional()])
    contact_name = StringField("聯絡人", validators=[Optional(), Length(max=60)])
    contact_phone = StringField("聯絡電話", validators=[Optional(), Length(max=40)])
    notes = TextAreaField("備註", validators=[Optional(), Length(max=2000)])

    def data_dict(self):
        return {f: getattr(self, f).data or None for f in (
            "eligibility_basis", "legal_form", "last_evaluation_result", "last_evaluation_year", "family_care_since",
            "contact_name", "contact_phone", "notes")}


class OfficerForm(FlaskForm):
    version = HiddenField()
    name = StringField("姓名", validators=[DataRequired("請輸入姓名"), Length(max=60)])
    user_id = SelectField("入口網站帳號（選填）", coerce=int, validators=[Optional()])
    phone = StringField("電話", validators=[Optional(), Length(max=40)])
    education = RadioField("最高學歷", choices=list(rules.EDUCATION_LEVELS.items()),
                           validators=[DataRequired("請選擇學歷")])
    school = StringField("畢業學校", validators=[Optional(), Length(max=120)])
    department = StringField("科系／所／學位學程", validators=[Optional(), Length(max=120)])
    related_field = BooleanField("所學屬規定之相關科系（專科以上：社會工作、醫學、護理、職能治療、物理治療、營養、藥學、"
                                 "公共衛生、老人照顧等；高中職：護理、老人照顧等）")
    sw_exam_eligible = BooleanField("具專門職業及技術人員高等考試社會工作師考試應考資格")
    experience_months = AmountField("老人、身心障礙或長期照顧服務相關工作經驗（月）", maximum=600,
                                    validators=[InputRequired("請填寫工作經驗月數（無則填 0）")])
    started_on = ROCDateField("到職日期", validators=[Optional()])
    ended_on = ROCDateField("離職日期", validators=[Optional()])

    def data_dict(self):
        return {
            "name": self.name.data.strip(), "user_id": self.user_id.data or None, "phone": self.phone.data or None,
            "education": self.education.data, "school": self.school.data or None,
            "department": self.department.data or None, "related_field": bool(self.related_field.data),
            "sw_exam_eligible": bool(self.sw_exam_eligible.data),
            "experience_months": self.experience_months.data or 0,
            "started_on": self.started_on.data, "ended_on": self.ended_on.data,
        }


class VerifyOfficerForm(FlaskForm):
    version = HiddenField()
    note = TextAreaField("核對說明（查驗之證明文件）", validators=[Optional(), Length(max=1000)])


class HomeForm(FlaskForm):
    version = HiddenField()
    home_name = StringField("托顧家庭名稱（預定設立名稱）", validators=[DataRequired("請輸入名稱"), Length(max=120)],
                            description="例：王小美家庭托顧服務")
    carer_name = StringField("家托員（潛在服務提供者）姓名", validators=[DataRequired("請輸入姓名"), Length(max=60)])
    carer_phone = StringField("電話", validators=[Optional(), Length(max=40)])
    address = StringField("住址", validators=[Optional(), Length(max=200)])
    service_area_id = SelectField("鄉鎮市", coerce=int, validators=[DataRequired("請選擇鄉鎮市")])
    found_on = ROCDateField("發掘日期", validators=[DataRequired("請填寫發掘日期")])
    notes = TextAreaField("備註", validators=[Optional(), Length(max=2000)])

    def data_dict(self):
        return {"home_name": self.home_name.data.strip(), "carer_name": self.carer_name.data.strip(),
                "carer_phone": self.carer_phone.data or None, "address": self.address.data or None,
                "service_area_id": self.service_area_id.data or None, "notes": self.notes.data or None}


class HomeEditForm(HomeForm):
    env_checked_on = ROCDateField("住家環境檢核完成日期", validators=[Optional()])
    licence_applied_on = ROCDateField("申請設立許可日期", validators=[Optional()])
    licensed_on = ROCDateField("取得設立許可日期", validators=[Optional()])
    licence_no = StringField("設立許可文號", validators=[Optional(), Length(max=60)])
    contracted_on = ROCDateField("完成特約日期", validators=[Optional()])
    first_evaluated_on = ROCDateField("第一次機構評鑑（含後續改善）完成日期", validators=[Optional()],
                                      description="填寫後，該月起不再支付輔導獎助（seed 003 §十六(三)）")

    def stage_dates(self):
        return {stage: getattr(self, field).data for stage, field in rules.STAGE_DATE_FIELDS.items()}


class AdvanceForm(FlaskForm):
    version = HiddenField()
    to_stage = HiddenField()
    on = ROCDateField("日期", validators=[DataRequired("請填寫日期")])
    licence_no = StringField("設立許可文號", validators=[Optional(), Length(max=60)])


class DropForm(FlaskForm):
    version = HiddenField()
    on = ROCDateField("停止輔導日期", validators=[DataRequired("請填寫日期")])
    reason = TextAreaField("原因", validators=[DataRequired("請填寫原因"), Length(max=1000)])


def assessment_form(items: list, formdata=None):
    """Build the capacity-assessment form for the bureau's current item list."""

    class AssessmentForm(FlaskForm):
        submission_key = HiddenField()
        assessed_on = ROCDateField("評估日期", validators=[DataRequired("請填寫評估日期")])
        officer_id = SelectField("評估人員", coerce=int, validators=[Optional()])
        conclusion = RadioField("評估結論", choices=list(CONCLUSIONS.items()), validators=[DataRequired("請選擇評估結論")])
        summary = TextAreaField("綜合說明", validators=[Optional(), Length(max=4000)])

        def item_fields(self):
            return [(item, self[f"rating_{item['key']}"], self[f"note_{item['key']}"]) for item in items]

        def items_data(self):
            return [{"key": i["key"], "label": i["label"], "rating": int(r.data), "note": n.data or ""}
                    for i, r, n in self.item_fields()]

    for item in items:
        setattr(AssessmentForm, f"rating_{item['key']}", RadioField(
            item["label"], choices=[(str(k), v) for k, v in RATINGS.items()], validators=[DataRequired("請評定此項目")]))
        setattr(AssessmentForm, f"note_{item['key']}", StringField("說明", validators=[Optional(), Length(max=500)]))
    return AssessmentForm(formdata=formdata) if formdata is not None else AssessmentForm()


class PlanForm(FlaskForm):
    version = HiddenField()
    next_review_on = ROCDateField("下次檢討日期", validators=[Optional()])


for _field, _label in GuidancePlan.SECTIONS:
    # Prefixed: a field named `process` would hide Form.process().
    setattr(PlanForm, f"sec_{_field}", TextAreaField(_label, validators=[DataRequired(f"請填寫{_label}"), Length(max=8000)]))


class VisitForm(FlaskForm):
    submission_key = HiddenField()
    visited_on = ROCDateField("訪視日期", validators=[DataRequired("請填寫訪視日期")])
    officer_id = SelectField("輔導人員", coerce=int, validators=[Optional()])
    mode = RadioField("方式", choices=list(VISIT_MODES.items()), default="onsite", validators=[DataRequired("請選擇方式")])
    topics = MultiCheckboxField("輔導項目", choices=list(VISIT_TOPICS.items()))
    content = TextAreaField("訪視內容與發現", validators=[DataRequired("請填寫訪視內容"), Length(max=8000)])
    follow_up = TextAreaField("後續追蹤事項", validators=[Optional(), Length(max=4000)])
    next_visit_on = ROCDateField("下次訪視日期", validators=[Optional()])

    def validate_topics(self, field):
        if not field.data:
            raise ValidationError("請至少勾選一項輔導項目")


class BusinessFeeForm(FlaskForm):
    version = HiddenField()
    business_fee = AmountField("本年度業務費（元）", validators=[DataRequired("請填寫業務費金額")])


class SettleForm(FlaskForm):
    version = HiddenField()


class GrantForm(FlaskForm):
    submission_key = HiddenField()
    kind = HiddenField()
    home_id = SelectField("托顧家庭", coerce=int, validators=[Optional()], validate_choice=False)  # checked by the operation
    year = SelectField("年度", coerce=int)
    month = SelectField("申請月份", coerce=int, choices=[(m, f"{m} 月") for m in range(1, 13)])
    equipment_self_funded = AmountField("設備費自籌款（元）", validators=[Optional()])
    description = TextAreaField("說明", validators=[Optional(), Length(max=2000)])

    def item_keys(self):
        return list((HOME_GRANT_ITEMS if self.kind.data == "home" else DEVELOPMENT_GRANT_ITEMS).keys())

    def item_fields(self):
        return [self[f"item_{k}"] for k in self.item_keys()]

    def items_data(self):
        return {k: self[f"item_{k}"].data or 0 for k in self.item_keys()}


for _key, _label in {**HOME_GRANT_ITEMS, **DEVELOPMENT_GRANT_ITEMS}.items():
    setattr(GrantForm, f"item_{_key}", AmountField(_label, validators=[Optional()]))


class DecisionForm(FlaskForm):
    version = HiddenField()
    decision = RadioField("審核結果", choices=[("approve", "核定"), ("reject", "不予核定")],
                          validators=[DataRequired("請選擇審核結果")])
    approved_amount = AmountField("核定金額（元，空白為全額）", validators=[Optional()])
    comment = TextAreaField("審核意見", validators=[Optional(), Length(max=2000)])
