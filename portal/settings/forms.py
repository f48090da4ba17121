from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from portal.formfields import ROCDateField


class CountyProfileForm(FlaskForm):
    county_name = StringField("縣市名稱", validators=[DataRequired("請輸入縣市名稱"), Length(max=20)])
    bureau_name = StringField("衛生局名稱（表單中的「本局」）", validators=[DataRequired("請輸入衛生局名稱"), Length(max=40)])
    care_centre_name = StringField("長期照顧管理中心名稱", validators=[DataRequired("請輸入照管中心名稱"), Length(max=60)])
    bureau_address = StringField("衛生局地址", validators=[Optional(), Length(max=200)])
    bureau_phone = StringField("衛生局電話", validators=[Optional(), Length(max=40)])
    rule_set = SelectField("縣市規則組", choices=[("generic", "通用"), ("kinmen", "金門縣"), ("changhua", "彰化縣")])


class CalendarOverrideForm(FlaskForm):
    day = ROCDateField("日期", validators=[DataRequired("請輸入日期")])
    kind = SelectField("類別", choices=[("off", "停止辦公（如颱風假、臨時放假）"), ("on", "補行上班（辦公日）")])
    name = StringField("說明", validators=[DataRequired("請輸入說明，例如：颱風停止上班"), Length(max=60)])


class SettingForm(FlaskForm):
    value = StringField("設定值", validators=[DataRequired("請輸入設定值")])
