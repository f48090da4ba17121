"""Forms for contracts, contract actions and violation points."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
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
