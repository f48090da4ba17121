"""One form per section of 附件3; each saves on its own (prefix = section key)."""
from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import Form, FieldList, FormField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from portal.formfields import ROCDateField
from portal.reports import rules
from portal.reports.document import MONTHS
from portal.reports.labels import SATISFACTION_LEVELS

TEXT = {"rows": 6}


def _iso(value):
    return value.isoformat() if isinstance(value, date) else None


def _date(text):
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


class SectionForm(FlaskForm):
    """Base: a hidden version, `load(data)` to fill from saved JSON, `data_out()` to save."""

    version = HiddenField()
    dates = ()

    def load(self, data: dict):
        for name, field in self._fields.items():
            if name in ("version", "csrf_token") or name not in data:
                continue
            field.data = _date(data[name]) if name in self.dates else data[name]
        return self

    def data_out(self) -> dict:
        out = {}
        for name, field in self._fields.items():
            if name in ("version", "csrf_token"):
                continue
            value = field.data
            out[name] = _iso(value) if name in self.dates else (value.strip() if isinstance(value, str) else value)
        return out


class BasicsForm(SectionForm):
    dates = ("period_start", "period_end")
    unit_name = StringField("一、單位名稱", validators=[Optional(), Length(max=120)])
    project_name = StringField("二、計畫案名稱", validators=[Optional(), Length(max=120)])
    period_start = ROCDateField("三、執行期程（起）", validators=[Optional()])
    period_end = ROCDateField("三、執行期程（迄）", validators=[Optional()])

    def validate_period_end(self, field):
        if field.data and self.period_start.data and field.data < self.period_start.data:
            raise ValidationError("迄日不能早於起日")


class ResultsForm(SectionForm):
    note = TextAreaField("執行成效說明（選填）", validators=[Optional(), Length(max=4000)], render_kw=TEXT)


class UsersForm(SectionForm):
    analysis = TextAreaField("使用者分析說明", validators=[Optional(), Length(max=6000)], render_kw=TEXT)


class MonthForm(Form):
    month = HiddenField()
    timetable = TextAreaField("每月課程表", validators=[Optional(), Length(max=1000)], render_kw={"rows": 3})
    activities = TextAreaField("活動內容（課程規劃及名稱）", validators=[Optional(), Length(max=1000)],
                               render_kw={"rows": 3})
    participants = IntegerField("活動人數", validators=[Optional(), NumberRange(min=0, max=999, message="請輸入 0–999")],
                                render_kw={"inputmode": "numeric", "class": "narrow"})


class CoursesForm(SectionForm):
    months = FieldList(FormField(MonthForm), min_entries=12, max_entries=12)

    def load(self, data):
        saved = {int(m.get("month") or 0): m for m in data.get("months") or []}
        for entry, n in zip(self.months, MONTHS):
            row = saved.get(n, {})
            entry.form.month.data = n
            entry.form.timetable.data = row.get("timetable")
            entry.form.activities.data = row.get("activities")
            entry.form.participants.data = row.get("participants")
        return self

    def data_out(self):
        months = []
        for entry, n in zip(self.months, MONTHS):
            f = entry.form
            row = {"month": n, "timetable": (f.timetable.data or "").strip(),
                   "activities": (f.activities.data or "").strip(), "participants": f.participants.data}
            if row["timetable"] or row["activities"] or row["participants"] is not None:
                months.append(row)
        return {"months": months}


class ConclusionForm(SectionForm):
    conclusion = TextAreaField("結論", validators=[Optional(), Length(max=4000)], render_kw=TEXT)
    strengths = TextAreaField("優點", validators=[Optional(), Length(max=4000)], render_kw=TEXT)
    improvements = TextAreaField("缺點與改善事項", validators=[Optional(), Length(max=4000)], render_kw=TEXT)


_COUNT = {"validators": [Optional(), NumberRange(min=0, max=9999, message="請輸入 0–9999")],
          "render_kw": {"inputmode": "numeric", "class": "narrow"}}


class SatisfactionForm(SectionForm):
    survey_period = StringField("調查期間／方式", validators=[Optional(), Length(max=120)],
                                render_kw={"placeholder": "例：114年11月，紙本問卷"})
    issued = IntegerField("發出份數", **_COUNT)
    returned = IntegerField("回收份數", **_COUNT)
    very_satisfied = IntegerField("非常滿意", **_COUNT)
    satisfied = IntegerField("滿意", **_COUNT)
    neutral = IntegerField("普通", **_COUNT)
    dissatisfied = IntegerField("不滿意", **_COUNT)
    very_dissatisfied = IntegerField("非常不滿意", **_COUNT)
    qualitative = TextAreaField("質化分析（意見摘要與回應）", validators=[Optional(), Length(max=6000)], render_kw=TEXT)

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        problem = rules.satisfaction_problem({k: getattr(self, k).data for k in
                                              ["issued", "returned"] + [k for k, _ in SATISFACTION_LEVELS]})
        if problem:
            self.returned.errors = list(self.returned.errors) + [problem]
            return False
        return ok


class OtherForm(SectionForm):
    remarks = TextAreaField("九、其他說明及建議", validators=[Optional(), Length(max=4000)], render_kw=TEXT)


class SignerForm(SectionForm):
    dates = ("filled_on",)
    title = StringField("填表人職稱", validators=[Optional(), Length(max=60)])
    name = StringField("填表人姓名", validators=[Optional(), Length(max=60)])
    filled_on = ROCDateField("填具日期", validators=[Optional()])


SECTION_FORMS = {
    "basics": BasicsForm, "results": ResultsForm, "users": UsersForm, "courses": CoursesForm,
    "conclusion": ConclusionForm, "satisfaction": SatisfactionForm, "other": OtherForm, "signer": SignerForm,
}


class OverrideForm(FlaskForm):
    key = SelectField("調整欄位", validators=[DataRequired("請選擇欄位")])
    value = StringField("調整後數值", validators=[DataRequired("請輸入數值")],
                        render_kw={"inputmode": "decimal", "class": "narrow", "autocomplete": "off"})
    reason = StringField("理由", validators=[DataRequired("調整數值時必須填寫理由"), Length(max=500)])


class PhotoForm(FlaskForm):
    photo = FileField("活動照片（JPEG 或 PNG）", render_kw={"accept": "image/jpeg,image/png"})
    month = SelectField("月份", coerce=int, default=0, choices=[(0, "全年")] + [(m, f"{m}月") for m in MONTHS])
    caption = StringField("照片說明", validators=[Optional(), Length(max=100)])


class ReturnForm(FlaskForm):
    note = TextAreaField("整體意見", validators=[Optional(), Length(max=4000)], render_kw={"rows": 3})


class CommentForm(FlaskForm):
    section_key = SelectField("段落")
    body = TextAreaField("意見", validators=[DataRequired("請輸入意見內容"), Length(max=4000)], render_kw={"rows": 3})


class NotRequiredForm(FlaskForm):
    reason = StringField("說明", validators=[Optional(), Length(max=200)],
                         render_kw={"placeholder": "例：本年度無服務個案"})


class ReceiptDateForm(FlaskForm):
    """The bureau records the 收文日期 of the paper letter (the receipt date counts, R-RPT-01)."""
    version = HiddenField()
    received_on = ROCDateField("收文日期", validators=[DataRequired("請填寫收文日期")])
    note = StringField("更正原因", validators=[DataRequired("請說明更正原因"),
                                              Length(min=2, max=200, message="更正原因最多 200 字（至少 2 字）")],
                       render_kw={"placeholder": "例：紙本公文115年1月16日收文，收文號 1150001234"})
