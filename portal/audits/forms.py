"""Forms of the audits area (zh-TW messages)."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from portal.auth import roles
from portal.formfields import ROCDateField

AUDITOR_TITLES = [("查核委員", "查核委員"), ("評鑑委員", "評鑑委員")]


class TemplateForm(FlaskForm):
    code = StringField("代碼（英數字）", validators=[DataRequired("請輸入代碼"), Length(max=30)])
    title = StringField("查核表名稱", validators=[DataRequired("請輸入查核表名稱"), Length(max=120)])
    target_kind = SelectField("適用單位", choices=[("a_unit", "A單位"), ("b_unit", "B單位")])
    target_subtype = SelectField("B單位類別", choices=[("", "全部B單位")] + list(roles.B_SUBTYPE_LABELS.items()))
    auditor_title = SelectField("委員稱謂", choices=AUDITOR_TITLES)
    pass_mark = IntegerField("合格題數", default=8, validators=[DataRequired("請輸入合格題數"), NumberRange(min=1, message="至少 1 題")])
    required_items = IntegerField("固定題數（不固定免填）", validators=[Optional(), NumberRange(min=1, message="至少 1 題")])

    def validate_code(self, field):
        if not field.data.replace("_", "").isalnum() or not field.data.isascii():
            raise ValidationError("代碼只能使用英文字母、數字與底線")


class VersionForm(FlaskForm):
    label = StringField("版本名稱", validators=[DataRequired("請輸入版本名稱，例如：114年3月版"), Length(max=40)])
    effective_from = ROCDateField("生效日期", validators=[Optional()])
    pass_rule = SelectField("及格規則", choices=[("items", "合格題數"), ("points", "總分")])
    pass_mark = IntegerField("合格題數／及格分數", validators=[DataRequired("請輸入合格門檻"), NumberRange(min=1, message="至少為 1")])
    required_items = IntegerField("固定題數（不固定免填）", validators=[Optional(), NumberRange(min=1, message="至少 1 題")])
    notes = TextAreaField("版本說明", validators=[Optional(), Length(max=2000)])
    version = HiddenField()


class SectionForm(FlaskForm):
    title = StringField("分類名稱", validators=[DataRequired("請輸入分類名稱"), Length(max=120)])


class ItemForm(FlaskForm):
    section_id = SelectField("分類", coerce=int)
    title = StringField("查核項目", validators=[DataRequired("請輸入查核項目"), Length(max=200)])
    criterion = TextAreaField("查核標準／說明", validators=[Optional(), Length(max=4000)])
    evidence_hint = TextAreaField("佐證資料", validators=[Optional(), Length(max=2000)])
    scoring = RadioField("評分方式", choices=[("pass_fail", "合格／不合格"), ("points", "計分")], default="pass_fail")
    max_points = IntegerField("滿分", validators=[Optional(), NumberRange(min=1, max=1000, message="請輸入 1–1000")])
    pass_points = IntegerField("合格分數", validators=[Optional(), NumberRange(min=0, max=1000, message="請輸入 0–1000")])
    allow_na = BooleanField("可評「不適用」")
    placeholder = BooleanField("示範題目（待衛生局公告正式題目）")


class RoundForm(FlaskForm):
    title = StringField("梯次名稱", validators=[DataRequired("請輸入梯次名稱，例如：114年第3次查核"), Length(max=120)])
    starts_on = ROCDateField("查核期間起日", validators=[DataRequired("請輸入起日")])
    ends_on = ROCDateField("查核期間迄日", validators=[DataRequired("請輸入迄日")])
    notes = TextAreaField("說明", validators=[Optional(), Length(max=2000)])

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError("迄日不可早於起日")


class ScheduleForm(FlaskForm):
    """Add a unit to a round: date, lead and other auditors (template picked by the unit's kind)."""
    organisation_id = SelectField("受查單位", coerce=int, validators=[DataRequired("請選擇受查單位")])
    scheduled_on = ROCDateField("查核日期", validators=[DataRequired("請輸入查核日期")])
    lead_id = SelectField("主評委員", coerce=int, validators=[DataRequired("請選擇主評委員")])
    other_ids = SelectMultipleField("其他委員", coerce=int, validators=[Optional()])
    audit_type = SelectField("查核類別", choices=[("regular", "定期查核"), ("recheck", "複查")])


class FinaliseForm(FlaskForm):
    summary_note = TextAreaField("綜合意見", validators=[Optional(), Length(max=4000)])
    unit_representative = StringField("受查單位代表", validators=[Optional(), Length(max=60)])
    confirm = BooleanField("本人確認以上評分內容無誤，送出後不能再修改", validators=[DataRequired("請勾選確認")])
    version = HiddenField()


class AmendForm(FlaskForm):
    item_id = SelectField("題目", coerce=int)
    outcome = SelectField("更正後結果", choices=[("pass", "合格"), ("fail", "不合格"), ("na", "不適用")], validators=[Optional()])
    points = IntegerField("更正後分數", validators=[Optional()])
    reason = TextAreaField("更正理由", validators=[DataRequired("請填寫更正理由"), Length(max=2000)])


class CorrectionForm(FlaskForm):
    description = TextAreaField("改善說明", validators=[DataRequired("請說明改善情形"), Length(max=4000)])


class ReviewCorrectionForm(FlaskForm):
    decision = SelectField("審查結果", choices=[("accepted", "確認改善"), ("returned", "退回補正")])
    review_note = TextAreaField("審查意見", validators=[Optional(), Length(max=2000)])


class PhotoForm(FlaskForm):
    photo = FileField("照片")
    client_key = HiddenField()


class CancelAuditForm(FlaskForm):
    reason = TextAreaField("取消理由", validators=[DataRequired("請填寫取消理由"), Length(max=2000)])


class ConsequenceForm(FlaskForm):
    """The contract action the audit rule calls for (R-AUD-05)."""
    effective_on = ROCDateField("生效日", validators=[DataRequired("請輸入生效日")])
    reason = TextAreaField("處分理由", validators=[DataRequired("請填寫處分理由"), Length(max=4000)])
    letter_ref = StringField("發文字號", validators=[Optional(), Length(max=60)])
    lead_id = SelectField("複查主評委員", coerce=int, validators=[Optional()])
    submission_key = HiddenField()
