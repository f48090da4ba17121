from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.auth import roles


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OrganisationForm(FlaskForm):
    kind = SelectField("單位類別", choices=[("", "— 請選擇 —")] + list(roles.ORG_KIND_LABELS.items()),
                       validators=[DataRequired("請選擇單位類別")])
    subtype = SelectField("B單位服務類型", choices=[("", "（非B單位）")] + list(roles.B_SUBTYPE_LABELS.items()),
                          validators=[Optional()])
    name = StringField("單位全名", validators=[DataRequired("請輸入單位名稱"), Length(max=120)])
    short_name = StringField("簡稱", validators=[Optional(), Length(max=40)])
    code = StringField("特約／機構代碼", validators=[Optional(), Length(max=30)])
    head_name = StringField("負責人", validators=[Optional(), Length(max=60)])
    phone = StringField("電話", validators=[Optional(), Length(max=40)])
    address = StringField("地址", validators=[Optional(), Length(max=200)])
    base_area_id = SelectField("所在鄉鎮市", coerce=int, validators=[Optional()])
    service_area_ids = MultiCheckboxField("服務區域", coerce=int)
    active = BooleanField("啟用", default=True)

    def validate_subtype(self, field):
        if self.kind.data == roles.B_UNIT and not field.data:
            raise ValidationError("B單位需選擇服務類型")


class ServiceAreaForm(FlaskForm):
    name = StringField("鄉鎮市名稱", validators=[DataRequired("請輸入名稱"), Length(max=40)])
    code = StringField("代碼", validators=[DataRequired("請輸入代碼"), Length(max=20)])
    sort_order = IntegerField("排序", default=0, validators=[Optional(), NumberRange(0, 999)])
    active = BooleanField("啟用", default=True)
