"""Forms for contracts, contract actions and violation points."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.formfields import ROCDateField


class ContractForm(FlaskForm):
    number = StringField("契約編號", validators=[Optional(), Length(max=40)])
    starts_on = ROCDateField("特約起日", validators=[DataRequired("請輸入特約起日")])
    ends_on = ROCDateField("特約迄日", validators=[DataRequired("請輸入特約迄日")])
    notes = TextAreaField("備註", validators=[Optional(), Length(max=2000)])
    submission_key = HiddenField()


class ActionForm(FlaskForm):
    effective_on = ROCDateField("生效日", validators=[DataRequired("請輸入生效日")])
    paused_until = ROCDateField("暫停派案迄日（不填表示至恢復派案為止）", validators=[Optional()])
    basis_code = SelectField("法令依據", validators=[DataRequired("請選擇法令依據")])
    reason = TextAreaField("處分理由", validators=[DataRequired("請填寫處分理由"), Length(max=4000)])
    letter_ref = StringField("發文字號", validators=[Optional(), Length(max=60)])
    version = HiddenField()
    submission_key = HiddenField()


class PointForm(FlaskForm):
    occurred_on = ROCDateField("記點日期", validators=[DataRequired("請輸入記點日期")])
    clause = SelectField("記點事由", validators=[DataRequired("請選擇記點事由")])
    description = TextAreaField("違約事實", validators=[DataRequired("請說明違約事實"), Length(max=4000)])
    letter_ref = StringField("發文字號", validators=[Optional(), Length(max=60)])
    submission_key = HiddenField()


class RevokeForm(FlaskForm):
    reason = TextAreaField("撤銷理由", validators=[DataRequired("請填寫撤銷理由"), Length(max=2000)])


class FindingForm(FlaskForm):
    kind = SelectField("違規類型", validators=[DataRequired("請選擇違規類型")])
    found_on = ROCDateField("查證日期", validators=[DataRequired("請輸入查證日期")])
    description = TextAreaField("查證事實", validators=[DataRequired("請說明查證事實"), Length(max=4000)])


class NoticeForm(FlaskForm):
    notice_on = ROCDateField("通知日期", validators=[DataRequired("請輸入通知日期")])
    deadline = ROCDateField("改善期限", validators=[DataRequired("請輸入改善期限")])
    letter_ref = StringField("發文字號", validators=[Optional(), Length(max=60)])
    version = HiddenField()


class ImprovedForm(FlaskForm):
    improved_on = ROCDateField("改善完成日期", validators=[DataRequired("請輸入改善完成日期")])
    note = TextAreaField("改善情形", validators=[Optional(), Length(max=4000)])
    version = HiddenField()


class SanctionForm(FlaskForm):
    sanction = SelectField("處分")
    start = ROCDateField("生效日", validators=[DataRequired("請輸入生效日")])
    reason = TextAreaField("處分理由", validators=[Optional(), Length(max=4000)])
    letter_ref = StringField("發文字號", validators=[Optional(), Length(max=60)])
    prosecutor_referral = BooleanField("個管人員登載不實，移送檢察機關偵辦（刑法第216條）")
    version = HiddenField()
    submission_key = HiddenField()
