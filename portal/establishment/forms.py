"""Forms: the generic section editor (fields and tables declared in outline.py) and the
WTForms of registration, receipt, review and the population table.

The section editor has dozens of sections with growable tables, so it reads
`request.form` against the outline instead of one WTForms class per section;
type errors are reported per input and nothing is saved while any remain.
CSRF is checked for every POST by Flask-WTF's CSRFProtect.
"""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional, Regexp

from portal.calendar import parse_roc_date, roc_numeric
from portal.clients.rules import national_id_problem, normalise_national_id
from portal.establishment.checks import parse_iso
from portal.formfields import ROCDateField

MAX_TEXT = 20_000
MAX_ROWS = 200


def field_input(name):
    return f"f_{name}"


def cell_input(table, i, col):
    return f"t_{table}_{i}_{col}"


def _parse_value(kind, raw, choices=()):
    """Return (value, error) for one typed value; blanks are None."""
    raw = (raw or "").strip()
    if kind in ("text", "textarea"):
        if len(raw) > MAX_TEXT:
            return None, f"內容過長（上限 {MAX_TEXT:,} 字）"
        return raw, None
    if not raw:
        return None, None
    if kind == "int":
        clean = raw.replace(",", "").replace("，", "").translate(str.maketrans("０１２３４５６７８９－", "0123456789-"))
        try:
            value = int(clean)
        except ValueError:
            return None, "請填整數"
        if value < 0:
            return None, "不可為負數"
        if value > 10**12:
            return None, "數字過大"
        return value, None
    if kind == "date":
        try:
            return parse_roc_date(raw).isoformat(), None
        except ValueError as exc:
            return None, str(exc)
    if kind == "national_id":
        value = normalise_national_id(raw)
        problem = national_id_problem(value)
        return (None, problem) if problem else (value, None)
    if kind == "choice":
        allowed = {str(c[0]) for c in choices}
        if raw not in allowed:
            return None, "選項不正確"
        return raw, None
    return raw, None


def shown_value(kind, value):
    """The value as typed in an input (ROC dates)."""
    if value is None:
        return ""
    if kind == "date":
        d = parse_iso(value)
        return roc_numeric(d) if d else value
    return value


def parse_section(section, form, *, choices_for=None, area_ids=()):
    """Read one section's inputs. Return (data, errors) where errors maps input name -> zh-TW message.

    `choices_for(field_name)` gives choices of multi fields decided at run time
    (service areas, service item codes); `area_ids` are the areas the demand table lists.
    """
    data, errors = {}, {}
    for f in section.fields:
        name = field_input(f.name)
        if f.type == "bool":
            data[f.name] = form.get(name) in ("y", "on", "1", "true")
        elif f.type == "multi":
            allowed = {str(c[0]) for c in (f.choices or (choices_for(f.name) if choices_for else ()))}
            picked = [v for v in form.getlist(name) if v in allowed]
            data[f.name] = list(dict.fromkeys(picked))
        else:
            value, error = _parse_value(f.type, form.get(name), f.choices)
            data[f.name] = value
            if error:
                errors[name] = f"{f.label}：{error}"
    for t in section.tables:
        if t.name == "population":
            data[t.name] = _parse_population(form, errors, area_ids)
            continue
        rows = []
        try:
            count = min(int(form.get(f"t_{t.name}_n", 0)), MAX_ROWS)
        except ValueError:
            count = 0
        for i in range(count):
            if form.get(cell_input(t.name, i, "_del")):
                continue
            row = {}
            preset_index = form.get(cell_input(t.name, i, "_fixed"))
            preset = None
            if preset_index not in (None, "") and preset_index.isdigit() and int(preset_index) < len(t.preset):
                preset = t.preset[int(preset_index)]
                row.update(preset)
                row["fixed"] = int(preset_index)
            elif t.groups:
                group = form.get(cell_input(t.name, i, "_group"))
                row["group"] = group if group in dict(t.groups) else t.groups[-1][0]
            for c in t.columns:
                if preset is not None and c.name in preset and c.name != "content":
                    continue  # the seed's own row label is not editable
                name = cell_input(t.name, i, c.name)
                value, error = _parse_value(c.type, form.get(name), c.choices)
                row[c.name] = value
                if error:
                    errors[name] = f"{t.label}第 {len(rows) + 1} 列「{c.label}」：{error}"
            rows.append(row)
        data[t.name] = rows
    return data, errors


POPULATION_INPUTS = ("age_65_plus", "age_50_64", "disabled_male_50_64", "disabled_female_50_64",
                     "disabled_male_under_50", "disabled_female_under_50", "indigenous_55_64")


def _parse_population(form, errors, area_ids):
    rows = []
    allowed = {str(a) for a in area_ids}
    try:
        count = min(int(form.get("t_population_n", 0)), MAX_ROWS)
    except ValueError:
        count = 0
    for i in range(count):
        area_id = form.get(cell_input("population", i, "area_id"), "")
        if area_id not in allowed:
            continue
        row = {"area_id": area_id}
        for col in POPULATION_INPUTS:
            name = cell_input("population", i, col)
            value, error = _parse_value("int", form.get(name))
            row[col] = value
            if error:
                errors[name] = f"人口數：{error}"
        rows.append(row)
    return rows


# --- WTForms --------------------------------------------------------------------------------

USERNAME_RULE = Regexp(r"^[A-Za-z0-9_.\-]+$", message="帳號限用英文字母、數字及 _ . -")


class RegisterForm(FlaskForm):
    organisation_name = StringField("籌設機構名稱（暫定）", validators=[
        DataRequired("請填寫籌設中機構的名稱"), Length(4, 100, "名稱長度 4–100 字")],
        render_kw={"placeholder": "例：示範縣私立好鄰居居家長照機構（籌設中）"})
    full_name = StringField("申請人真實姓名", validators=[DataRequired("請填寫真實姓名（實名制）"), Length(2, 60)],
                            render_kw={"autocomplete": "name"})
    job_title = StringField("職稱", validators=[Optional(), Length(max=60)])
    email = StringField("電子郵件", validators=[DataRequired("請填寫電子郵件"), Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="電子郵件格式不正確"),
                                            Length(max=120)], render_kw={"autocomplete": "email"})
    phone = StringField("聯絡電話", validators=[DataRequired("請填寫聯絡電話"), Length(max=40)],
                        render_kw={"autocomplete": "tel"})
    username = StringField("登入帳號", validators=[DataRequired("請設定登入帳號"), Length(3, 60, "帳號長度 3–60 字元"),
                                               USERNAME_RULE], render_kw={"autocomplete": "username"})
    password = PasswordField("密碼", validators=[DataRequired("請設定密碼")], render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("再次輸入密碼", validators=[DataRequired("請再輸入一次"), EqualTo("password", "兩次輸入的密碼不同")],
                            render_kw={"autocomplete": "new-password"})
    real_name = BooleanField("本人確認以真實姓名申請，帳號僅限本人使用，不借用或共用。",
                             validators=[DataRequired("請確認實名制使用規定")])
    website = StringField("網站", validators=[Optional()])  # honeypot: people leave it empty


class ReceiveForm(FlaskForm):
    case_number = StringField("案件編號", validators=[DataRequired("請填寫案件編號"), Length(max=40)])
    received_on = ROCDateField("收案日期", validators=[DataRequired("請填寫收案日期")])
    version = HiddenField()


class CommentForm(FlaskForm):
    section_key = HiddenField(validators=[DataRequired()])
    body = TextAreaField("審查意見", validators=[DataRequired("請填寫審查意見"), Length(max=5000)])


class DecisionForm(FlaskForm):
    note = TextAreaField("審查說明", validators=[Optional(), Length(max=5000)])
    version = HiddenField()


class ContractReviewForm(FlaskForm):
    """參、六: the bureau's decision on the service-contract draft now uploaded."""
    letter_no = StringField("同意函文號（選填）", validators=[Optional(), Length(max=60)])
    note = TextAreaField("審查說明", validators=[Optional(), Length(max=5000)],
                         render_kw={"rows": 3, "placeholder": "需修正時請寫明條款，例如不符定型化契約應記載事項之處"})
    attachment_id = HiddenField()
    seen_review_id = HiddenField()


class SiteVisitForm(FlaskForm):
    visited_on = ROCDateField("實地訪查日期", validators=[DataRequired("請填寫訪查日期")])
    result = SelectField("訪查結果", choices=[("", "— 請選擇 —"), ("pass", "符合設立標準"), ("improve", "需改善後複查"),
                                          ("fail", "不符合")], validators=[DataRequired("請選擇訪查結果")])
    note = TextAreaField("訪查紀要", validators=[Optional(), Length(max=5000)])
    version = HiddenField()


class PopulationForm(FlaskForm):
    as_of = ROCDateField("資料時間", validators=[Optional()])
    age_65_plus = IntegerField("65 歲以上人口數", validators=[Optional(), NumberRange(min=0, message="不可為負數")])
    age_50_64 = IntegerField("50-64 歲人口數", validators=[Optional(), NumberRange(min=0, message="不可為負數")])
    disabled_male_50_64 = IntegerField("50-64 歲身障者（男）", validators=[Optional(), NumberRange(min=0, message="不可為負數")])
    disabled_female_50_64 = IntegerField("50-64 歲身障者（女）", validators=[Optional(), NumberRange(min=0, message="不可為負數")])
    disabled_male_under_50 = IntegerField("未滿 50 歲身障者（男）", validators=[Optional(), NumberRange(min=0, message="不可為負數")])
    disabled_female_under_50 = IntegerField("未滿 50 歲身障者（女）", validators=[Optional(), NumberRange(min=0, message="不可為負數")])
    indigenous_55_64 = IntegerField("55-64 歲原住民", validators=[Optional(), NumberRange(min=0, message="不可為負數")])
    source = StringField("資料來源", validators=[Optional(), Length(max=200)])
    is_demo = BooleanField("示範數字（非真實統計）")
