from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, FieldList, FormField, HiddenField, IntegerField, RadioField, SelectField, \
    StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from portal.clients.models import DISABILITY_CATEGORY_LABELS, DISABILITY_DEGREE_LABELS, SEX_LABELS, WELFARE_FULL_LABELS
from portal.clients.rules import national_id_problem
from portal.formfields import ROCDateField


class ContactForm(Form):
    name = StringField("姓名", validators=[Optional(), Length(max=60)])
    relation = StringField("關係", validators=[Optional(), Length(max=20)])
    phone = StringField("電話", validators=[Optional(), Length(max=40)])
    is_primary_caregiver = BooleanField("主要照顧者")


class ClientForm(FlaskForm):
    version = HiddenField()
    submission_key = HiddenField()  # one per opened registration form: a double submit creates one client
    name = StringField("姓名", validators=[DataRequired("請輸入姓名"), Length(max=60)])
    national_id = StringField("身分證字號", validators=[DataRequired("請輸入身分證字號")],
                              render_kw={"autocomplete": "off", "maxlength": 10, "class": "id"})
    birth_date = ROCDateField("出生日期", validators=[DataRequired("請輸入出生日期")])
    sex = RadioField("性別", choices=list(SEX_LABELS.items()), validators=[DataRequired("請選擇性別")])
    indigenous = BooleanField("原住民身分")
    welfare_status = SelectField("福利身分別", choices=list(WELFARE_FULL_LABELS.items()))
    cms_level = SelectField("失能等級（CMS）", coerce=int,
                            choices=[(0, "尚未評估")] + [(i, f"第 {i} 級") for i in range(1, 9)])
    disability_certificate = BooleanField("領有身心障礙證明")
    disability_category = SelectField("障別", choices=[("", "— 無 —")] + list(DISABILITY_CATEGORY_LABELS.items()),
                                      validators=[Optional()])
    disability_degree = SelectField("障礙等級", choices=[("", "— 無 —")] + list(DISABILITY_DEGREE_LABELS.items()),
                                    validators=[Optional()])
    dementia_diagnosed = BooleanField("經醫師診斷失智症")
    dementia_diagnosed_on = ROCDateField("失智症診斷日期", validators=[Optional()])
    phone = StringField("電話", validators=[Optional(), Length(max=40)])
    address = StringField("住址", validators=[Optional(), Length(max=200)])
    service_area_id = SelectField("服務區域（鄉鎮市）", coerce=int, validators=[DataRequired("請選擇服務區域")])
    notes = TextAreaField("備註", validators=[Optional(), Length(max=2000)])
    contacts = FieldList(FormField(ContactForm), min_entries=2, max_entries=4)

    def validate_national_id(self, field):
        problem = national_id_problem(field.data)
        if problem:
            raise ValidationError(problem)

    def validate_dementia_diagnosed_on(self, field):
        # Q18: dementia needs a recorded diagnosis date.
        if self.dementia_diagnosed.data and not field.data:
            raise ValidationError("勾選失智症時請填寫診斷日期")

    def validate_disability_category(self, field):
        if self.disability_certificate.data and not field.data:
            raise ValidationError("領有身心障礙證明時請選擇障別")

    def validate_birth_date(self, field):
        from portal import clock
        if field.data and field.data > clock.today():
            raise ValidationError("出生日期不能晚於今天")

    def client_data(self) -> dict:
        return {
            "name": self.name.data.strip(), "national_id": self.national_id.data,
            "birth_date": self.birth_date.data, "sex": self.sex.data, "indigenous": self.indigenous.data,
            "welfare_status": self.welfare_status.data, "cms_level": self.cms_level.data or None,
            "disability_certificate": self.disability_certificate.data,
            "disability_category": self.disability_category.data or None,
            "disability_degree": self.disability_degree.data or None,
            "dementia_diagnosed": self.dementia_diagnosed.data,
            "dementia_diagnosed_on": self.dementia_diagnosed_on.data,
            "phone": self.phone.data, "address": self.address.data,
            "service_area_id": self.service_area_id.data, "notes": self.notes.data,
        }

    def contacts_data(self) -> list[dict]:
        return [{k: entry.form[k].data for k in ("name", "relation", "phone", "is_primary_caregiver")}
                for entry in self.contacts if entry.form.name.data]


class ClientSearchForm(FlaskForm):
    class Meta:
        csrf = False
    q = StringField("搜尋", validators=[Optional()])
    area = IntegerField("區域", validators=[Optional(), NumberRange(min=0)])


REQUESTER_RELATIONS = {"self": "本人", "legal": "法定代理人", "agent": "受任人（附委任書）", "heir": "繼承人", "other": "其他"}


class DataRequestForm(FlaskForm):
    """A data subject's access request (個資查詢，個人資料保護法第 3、10 條) received by the bureau."""
    requester_name = StringField("申請人姓名", validators=[DataRequired("請輸入申請人姓名"), Length(max=60)])
    requester_relation = SelectField("申請人與個案關係", choices=list(REQUESTER_RELATIONS.items()))
    received_on = ROCDateField("收件日期", validators=[DataRequired("請輸入收件日期")])
    reference = StringField("收文文號", validators=[Optional(), Length(max=60)])
    identity_checked = BooleanField("已核對申請人身分證明文件（代理人另核對委任或法定代理證明）",
                                    validators=[DataRequired("請先核對申請人身分")])
