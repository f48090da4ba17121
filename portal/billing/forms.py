"""Forms of family-care operations and billing (zh-TW messages, ROC dates)."""
import re

from flask_wtf import FlaskForm
from wtforms import (BooleanField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField,
                     TextAreaField, TimeField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.billing import rules
from portal.billing.models import CARER_ROLE_LABELS, CERTIFICATE_KINDS, KIND_LABELS, STAFF_CHANGE_KIND_LABELS, \
    WELFARE_LABELS
from portal.formfields import ROCDateField


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


CMS_CHOICES = [(0, "尚未評估")] + [(i, f"第 {i} 級") for i in range(1, 9)]
RELATION_CHOICES = [(r.key, r.label) for r in rules.CARER_RELATIONS]
WEEKDAY_CHOICES = [(str(i), "週" + rules.WEEKDAY_LABELS[i]) for i in range(7)]


class AdmissionForm(FlaskForm):
    version = HiddenField()
    client_id = SelectField("個案", coerce=int, validators=[DataRequired("請選擇個案")])
    admitted_on = ROCDateField("收托日期", validators=[DataRequired("請輸入收托日期")])
    carer_relation = SelectField("個案與家托員的關係", choices=RELATION_CHOICES, default="none")
    welfare_status = SelectField("福利身分別", choices=list(WELFARE_LABELS.items()))
    cms_level = SelectField("失能等級（CMS）", coerce=int, choices=CMS_CHOICES)
    monthly_quota = IntegerField("本單位可使用之每月核定額度（元）", validators=[
        Optional(), NumberRange(min=0, max=200000, message="額度請輸入 0 至 200,000 元")])
    institutional_placement = BooleanField("接受機構收容安置")
    foreign_caregiver = BooleanField("已聘僱外籍看護工")
    special_allowance = SelectField("領有特別照顧津貼或其他照顧費用補助", choices=[])
    service_contract_on = ROCDateField("書面服務契約簽訂日", validators=[Optional()])
    identity_checked_on = ROCDateField("身分證明文件核對日", validators=[Optional()])
    health_check_on = ROCDateField("入住前健康檢查日期", validators=[Optional()])
    health_check_items = MultiCheckboxField("已完成之健康檢查項目", choices=list(rules.CLIENT_HEALTH_CHECK_ITEMS))

    def admission_data(self) -> dict:
        return {
            "admitted_on": self.admitted_on.data, "carer_relation": self.carer_relation.data,
            "welfare_status": self.welfare_status.data, "cms_level": self.cms_level.data or None,
            "monthly_quota": self.monthly_quota.data, "institutional_placement": self.institutional_placement.data,
            "foreign_caregiver": self.foreign_caregiver.data, "special_allowance": self.special_allowance.data or None,
            "service_contract_on": self.service_contract_on.data, "identity_checked_on": self.identity_checked_on.data,
            "health_check_on": self.health_check_on.data, "health_check_items": list(self.health_check_items.data or []),
        }


class EndAdmissionForm(FlaskForm):
    version = HiddenField()
    ended_on = ROCDateField("結束日期", validators=[DataRequired("請輸入結束日期")])
    reason = StringField("結束原因", validators=[DataRequired("請填寫結束原因"), Length(max=200)])


class SubsidyChangeForm(FlaskForm):
    fact_date = ROCDateField("事實發生日（自該日起生效）", validators=[DataRequired("請輸入事實發生日")])
    notified_on = ROCDateField("通知衛生局日期", validators=[Optional()])
    welfare_status = SelectField("新福利身分別", choices=list(WELFARE_LABELS.items()))
    cms_level = SelectField("新失能等級", coerce=int, choices=CMS_CHOICES[1:])
    monthly_quota = IntegerField("新每月核定額度（元）", validators=[Optional(), NumberRange(min=0, max=200000)])
    flag = SelectField("狀態", choices=[("1", "是（自事實發生日起不予給付）"), ("0", "否（已解除）")])
    allowance = SelectField("津貼或補助", choices=[])
    evidence = TextAreaField("佐證說明", validators=[DataRequired("請說明事實及佐證資料"), Length(max=2000)])


class DayRowForm(FlaskForm):
    """One client's row of the day sheet (prefix = the admission id). Rows are built with
    `meta={"csrf": False}`: the request-wide CSRF check covers them (hx-headers / a hidden field)."""

    version = HiddenField()
    attended = BooleanField("出席")
    kind = SelectField("全日／半日", choices=list(KIND_LABELS.items()), default="full_day")
    start_time = TimeField("到達", validators=[Optional()], format="%H:%M")
    end_time = TimeField("離開", validators=[Optional()], format="%H:%M")
    bath = BooleanField("沐浴")
    dinner = BooleanField("晚餐")
    over_norm_reason = StringField("超過10小時原因", validators=[Optional(), Length(max=200)])
    content = StringField("服務內容", validators=[Optional(), Length(max=500)])
    incident = StringField("意外事件", validators=[Optional(), Length(max=500)])

    def record_data(self) -> dict:
        return {f: getattr(self, f).data for f in ("attended", "kind", "start_time", "end_time", "bath", "dinner",
                                                    "over_norm_reason", "content", "incident")}


class FamilyCountForm(FlaskForm):
    version = HiddenField()
    family_count = IntegerField("家托員失能家屬（非個案）本日受照顧人數", default=0,
                                validators=[InputRequired("請輸入人數"), NumberRange(min=0, max=4, message="0 至 4 人")])
    note = StringField("備註", validators=[Optional(), Length(max=200)])


class CorrectionForm(DayRowForm):
    submission_key = HiddenField()
    reason = TextAreaField("更正原因", validators=[DataRequired("請說明更正原因"), Length(max=2000)])


class DecisionForm(FlaskForm):
    version = HiddenField()
    note = TextAreaField("審核意見", validators=[Optional(), Length(max=500)])


class RequestForm(FlaskForm):
    version = HiddenField()
    receipt_date = ROCDateField("領款收據日期", validators=[DataRequired("請輸入收據日期")])


class ReturnForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField("退回原因", validators=[DataRequired("請填寫退回原因"), Length(max=2000)])


class ApproveForm(FlaskForm):
    version = HiddenField()
    amount = IntegerField("撥付總額（元）", validators=[InputRequired("請輸入撥付總額"), NumberRange(min=0)])
    note = TextAreaField("說明（撥付總額與合計不同時必填）", validators=[Optional(), Length(max=500)])


class PaymentForm(FlaskForm):
    version = HiddenField()
    paid_on = ROCDateField("撥付日期", validators=[DataRequired("請輸入撥付日期")])


class PriceForm(FlaskForm):
    code = StringField("服務代碼", validators=[DataRequired("請輸入代碼"), Length(max=10)])
    item = SelectField("項目", choices=[("full_day", "家庭托顧（全日）"), ("half_day", "家庭托顧（半日）"),
                                        ("bath", "社區式協助沐浴"), ("dinner", "社區式晚餐")])
    cms_level = SelectField("失能等級", coerce=int, choices=[(0, "不分等級")] + CMS_CHOICES[2:])
    label = StringField("名稱", validators=[DataRequired("請輸入名稱"), Length(max=80)])
    price = IntegerField("價格（元）", validators=[InputRequired("請輸入價格"), NumberRange(min=0, max=100000)])
    effective_from = ROCDateField("生效日", validators=[DataRequired("請輸入生效日")])
    source = StringField("依據", validators=[DataRequired("請註明依據（公告文號等）"), Length(max=200)])


class RatioForm(FlaskForm):
    welfare_status = SelectField("福利身分別", choices=list(WELFARE_LABELS.items()))
    ratio = StringField("部分負擔比率（小數，例 0.16）", validators=[DataRequired("請輸入比率")])
    effective_from = ROCDateField("生效日", validators=[DataRequired("請輸入生效日")])
    source = StringField("依據", validators=[DataRequired("請註明依據"), Length(max=200)])


class OpeningHoursForm(FlaskForm):
    weekdays = MultiCheckboxField("收托日", choices=WEEKDAY_CHOICES, default=["0", "1", "2", "3", "4"])
    opens = TimeField("開始時間", validators=[DataRequired("請輸入開始時間")], format="%H:%M")
    closes = TimeField("結束時間", validators=[DataRequired("請輸入結束時間")], format="%H:%M")
    effective_from = ROCDateField("自何日起適用", validators=[DataRequired("請輸入適用日")])


class ProfileForm(FlaskForm):
    version = HiddenField()
    tax_id = StringField("統一編號", validators=[Optional(), Length(max=8)], render_kw={"inputmode": "numeric"})
    bank_name = StringField("匯款銀行（含分行）", validators=[Optional(), Length(max=60)])
    bank_account = StringField("存簿帳號", validators=[Optional(), Length(max=30)])
    account_name = StringField("戶名", validators=[Optional(), Length(max=60)])

    def validate_tax_id(self, field):
        if field.data and not re.fullmatch(r"\d{8}", field.data.strip()):
            raise ValidationError("統一編號為 8 位數字")


class CarerForm(FlaskForm):
    version = HiddenField()
    name = StringField("姓名", validators=[DataRequired("請輸入姓名"), Length(max=60)])
    role = SelectField("身分", choices=list(CARER_ROLE_LABELS.items()))
    phone = StringField("電話", validators=[Optional(), Length(max=40)])
    registration_no = StringField("長照人員登錄證號", validators=[Optional(), Length(max=40)])
    started_on = ROCDateField("到職日", validators=[Optional()])
    ended_on = ROCDateField("離職日", validators=[Optional()])


HEALTH_RESULT_CHOICES = [("", "未檢查"), ("normal", "正常"), ("abnormal", "異常")]


class HealthCheckForm(FlaskForm):
    checked_on = ROCDateField("檢查日期", validators=[DataRequired("請輸入檢查日期")])
    finding_route = SelectField("異常之傳染途徑", choices=[
        ("", "無傳染性疾病"), ("contact", "腸道、呼吸道或接觸傳染（如肺結核、A型肝炎、疥瘡）"),
        ("blood", "血液傳染（如B型肝炎）")])
    finding_note = StringField("異常說明", validators=[Optional(), Length(max=300)])
    clearance_on = ROCDateField("不具傳染性證明／追蹤治療證明日期", validators=[Optional()])


for _key, _label in rules.HEALTH_CHECK_ITEMS:
    setattr(HealthCheckForm, f"item_{_key}", SelectField(_label, choices=HEALTH_RESULT_CHOICES, default="normal"))


class CertificateForm(FlaskForm):
    kind = SelectField("證照種類", choices=[(k, k) for k in CERTIFICATE_KINDS])
    number = StringField("證書字號", validators=[Optional(), Length(max=40)])
    issued_on = ROCDateField("發證日", validators=[Optional()])
    expires_on = ROCDateField("有效期限", validators=[DataRequired("請輸入有效期限")])


class StaffChangeForm(FlaskForm):
    kind = SelectField("異動類別", choices=list(STAFF_CHANGE_KIND_LABELS.items()))
    person_out_id = SelectField("異動之現任人員", coerce=int, choices=[])
    person_in_name = StringField("新任人員姓名", validators=[Optional(), Length(max=60)])
    person_in_role = SelectField("新任人員身分", choices=list(CARER_ROLE_LABELS.items()))
    effective_on = ROCDateField("異動生效日", validators=[DataRequired("請輸入生效日")])
    reason = TextAreaField("異動原因及新任人員資格說明", validators=[DataRequired("請說明"), Length(max=2000)])
