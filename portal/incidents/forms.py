"""Forms of the 通報單 (incidents.md §8) and the authority's records. zh-TW messages next to fields."""
import re
from datetime import datetime, time

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal import clock
from portal.formfields import ROCDateField
from portal.incidents import rules
from portal.incidents.models import (CATEGORY_LABELS, CHANNEL_LABELS, INTERVENTION_LABELS, NO_INTERVENTION_LABELS,
                                     PERIOD_LABELS, PLACE_LABELS, PLACES_NEEDING_NOTE, SEVERITY_FORM_TEXT,
                                     STAFF_TYPE_LABELS)


class RadioChoice(RadioField):
    """Radio buttons whose "nothing chosen" error comes from DataRequired alone, in zh-TW."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type = "RadioField"  # laid out by the `field` macro like any radio group

    def pre_validate(self, form):
        if self.data in (None, "", "None"):
            return
        if self.data not in {value for value, _ in self.choices}:
            raise ValidationError("選項不正確")


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes (the macro `field` lays them out as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        values = dict(self.choices)
        for value in self.data or []:
            if value not in values:
                raise ValidationError("選項不正確")


_TIME = re.compile(r"^\s*(\d{1,2})\s*(?::|：|時)?\s*(\d{2})\s*分?\s*$")


def parse_hhmm(text: str) -> time:
    """Parse 14:30, 1430, 14時30分 (full-width digits too); raise ValueError in zh-TW."""
    s = (text or "").translate(str.maketrans("０１２３４５６７８９：", "0123456789:"))
    m = _TIME.match(s)
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise ValueError("時間格式不正確，請輸入如 14:30")
    return time(int(m[1]), int(m[2]))


class HHMMField(StringField):
    """A time of day typed as 14:30 (24-hour)."""

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = kwargs.pop("render_kw", {}) or {}
        render_kw.setdefault("placeholder", "例：14:30")
        render_kw.setdefault("inputmode", "numeric")
        render_kw.setdefault("autocomplete", "off")
        render_kw.setdefault("class", "date")
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%H:%M") if isinstance(self.data, time) else ""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            self.data = parse_hhmm(valuelist[0])

    def pre_validate(self, form):
        from wtforms.validators import StopValidation
        if self.process_errors:
            raise StopValidation()


def combine(day, hhmm) -> datetime | None:
    """Join a date and a time into an aware Taipei datetime (None when either is missing)."""
    if day is None or hhmm is None:
        return None
    return datetime.combine(day, hhmm, clock.TAIPEI)


def split(moment):
    """Return (date, time) of an aware datetime in Taipei time, for filling a form."""
    if moment is None:
        return None, None
    local = moment.astimezone(clock.TAIPEI)
    return local.date(), local.time().replace(second=0, microsecond=0)


def _choices(labels, keys=None):
    return [(k, labels[k]) for k in (keys or labels)]


def _not_future(form, day_field, time_field, what):
    moment = combine(day_field.data, time_field.data)
    if moment and moment > clock.now():
        raise ValidationError(f"{what}不能晚於現在")
    return moment


class ActionsMixin:
    """§八 immediate actions, shared by the 初報 and the 續報/結報."""

    no_intervention = MultiCheckboxField("無介入如下→", choices=_choices(NO_INTERVENTION_LABELS))
    no_intervention_other = StringField("無介入之其他原因，請說明", validators=[Optional(), Length(max=200)])
    interventions = MultiCheckboxField("立即處理", choices=_choices(INTERVENTION_LABELS))
    intervention_other = StringField("其他處理，請說明", validators=[Optional(), Length(max=200)])
    suicide_reported_date = ROCDateField("自殺防治通報日期", validators=[Optional()])
    suicide_reported_time = HHMMField("時間", validators=[Optional()])
    dv_reported_date = ROCDateField("家暴性侵害責任通報日期", validators=[Optional()])
    dv_reported_time = HHMMField("時間", validators=[Optional()])

    def validate_actions(self, categories):
        """Apply the §八 rules; return the warnings (errors are put on the fields)."""
        ok = True
        errors, warnings = rules.action_problems(self.no_intervention.data, self.interventions.data, categories)
        if errors:
            self.interventions.errors = list(self.interventions.errors) + errors
            ok = False
        if "none_other" in (self.no_intervention.data or []) and not (self.no_intervention_other.data or "").strip():
            self.no_intervention_other.errors = list(self.no_intervention_other.errors) + ["勾選「其他」時請說明"]
            ok = False
        if "other" in (self.interventions.data or []) and not (self.intervention_other.data or "").strip():
            self.intervention_other.errors = list(self.intervention_other.errors) + ["勾選「其他」時請說明"]
            ok = False
        for key, day, hhmm in (("suicide_reported", self.suicide_reported_date, self.suicide_reported_time),
                               ("dv_reported", self.dv_reported_date, self.dv_reported_time)):
            if key in (self.interventions.data or []) and (day.data is None or hhmm.data is None):
                if not day.errors and not hhmm.errors:
                    day.errors = list(day.errors) + ["勾選此項時請填寫通報日期與時間"]
                ok = False
            moment = combine(day.data, hhmm.data)
            if moment and moment > clock.now():
                day.errors = list(day.errors) + ["通報時間不能晚於現在"]
                ok = False
        return ok, warnings

    def actions_data(self) -> dict:
        done = list(self.interventions.data or [])
        return {
            "no_intervention": list(self.no_intervention.data or []),
            "no_intervention_other": (self.no_intervention_other.data or "").strip() or None
            if "none_other" in (self.no_intervention.data or []) else None,
            "interventions": done,
            "intervention_other": (self.intervention_other.data or "").strip() or None if "other" in done else None,
            "suicide_reported_at": combine(self.suicide_reported_date.data, self.suicide_reported_time.data)
            if "suicide_reported" in done else None,
            "dv_reported_at": combine(self.dv_reported_date.data, self.dv_reported_time.data)
            if "dv_reported" in done else None,
        }

    def fill_actions(self, obj):
        self.no_intervention.data = list(obj.no_intervention or [])
        self.interventions.data = list(obj.interventions or [])
        self.suicide_reported_date.data, self.suicide_reported_time.data = split(obj.suicide_reported_at)
        self.dv_reported_date.data, self.dv_reported_time.data = split(obj.dv_reported_at)


class IncidentForm(ActionsMixin, FlaskForm):
    """The 通報單 §二–§九 (§一 comes from the picked client)."""

    submission_key = HiddenField()
    version = HiddenField()
    client_id = HiddenField()
    # §二
    period = RadioChoice("事件發生期間", choices=_choices(PERIOD_LABELS), validators=[DataRequired("請選擇服務期間或非服務期間")])
    occurred_date = ROCDateField("事件發生日期", validators=[DataRequired("請輸入事件發生日期")])
    occurred_time = HHMMField("時間（時:分）", validators=[DataRequired("請輸入事件發生時間")])
    learned_date = ROCDateField("知悉日期", validators=[Optional()])
    learned_time = HHMMField("知悉時間")
    # §三
    place = RadioChoice("事件發生地點", choices=_choices(PLACE_LABELS), validators=[DataRequired("請選擇事件發生地點")])
    place_note = StringField("地點說明", validators=[Length(max=200)])
    # §四
    severity = RadioChoice("事件發生後對個案的影響程度", choices=[(k, SEVERITY_FORM_TEXT[k]) for k in rules.SEVERITIES],
                          validators=[DataRequired("請選擇影響程度")])
    # §五
    provider_unit_name = StringField("服務提供單位", validators=[Optional(), Length(max=120)])
    staff_types = MultiCheckboxField("服務提供人員", choices=_choices(STAFF_TYPE_LABELS))
    staff_other = StringField("其他服務提供人員，請說明", validators=[Length(max=200)])
    # §六
    categories_service = MultiCheckboxField("（一）服務期間", choices=_choices(CATEGORY_LABELS, rules.SERVICE_CATEGORIES))
    category_other_service = StringField("（一）其他，請說明", validators=[Length(max=200)])
    categories_anytime = MultiCheckboxField("（二）不限服務時段，知悉時即通報",
                                            choices=_choices(CATEGORY_LABELS, rules.ANYTIME_CATEGORIES))
    category_other_anytime = StringField("（二）其他，請說明", validators=[Length(max=200)])
    # §七
    narrative = TextAreaField("事發經過說明", validators=[DataRequired("請說明事發經過"), Length(max=8000)],
                              render_kw={"rows": 8})
    unit_caused = BooleanField("本事件係本單位提供服務過程所致（須擬定改善建議方案，預防再發生）")
    improvement_plan = TextAreaField("改善建議方案", validators=[Length(max=4000)], render_kw={"rows": 4})
    # §九
    reporter_title = StringField("職稱", validators=[Optional(), Length(max=60)])
    supervisor_name_title = StringField("主管及職稱", validators=[Optional(), Length(max=120)])
    platform_recorded = BooleanField("已至衛生福利部照顧服務管理資訊平台完成異動通報")
    platform_recorded_date = ROCDateField("平台異動通報日期")
    platform_recorded_time = HHMMField("時間", validators=[Optional()])

    def __init__(self, *args, narrative_min=20, **kwargs):
        super().__init__(*args, **kwargs)
        self.narrative_min = narrative_min
        self.warnings = []

    @property
    def categories(self):
        return list(self.categories_service.data or []) + list(self.categories_anytime.data or [])

    def validate_occurred_time(self, field):
        _not_future(self, self.occurred_date, field, "事件發生時間")

    def validate_learned_time(self, field):
        learned = combine(self.learned_date.data, field.data)
        if (self.learned_date.data is None) != (field.data is None):
            raise ValidationError("知悉日期與時間請一併填寫")
        if learned and learned > clock.now():
            raise ValidationError("知悉時間不能晚於現在")
        occurred = combine(self.occurred_date.data, self.occurred_time.data)
        if learned and occurred and learned < occurred:
            raise ValidationError("知悉時間不能早於事件發生時間")

    def validate_place_note(self, field):
        if self.place.data in PLACES_NEEDING_NOTE and not (field.data or "").strip():
            raise ValidationError("選擇「長照特約單位」或「其他」時請說明")

    def validate_staff_other(self, field):
        if "other" in (self.staff_types.data or []) and not (field.data or "").strip():
            raise ValidationError("勾選「其他」時請說明")

    def validate_categories_service(self, field):
        if not self.categories:
            raise ValidationError("請至少勾選一項事件內容")
        if self.period.data == "non_service" and "dv_service" in (field.data or []):
            raise ValidationError("非服務期間的家庭暴力事件，請勾選（二）「家庭暴力事件暨性侵害責任通報」")

    def validate_category_other_service(self, field):
        if "other_service" in (self.categories_service.data or []) and not (field.data or "").strip():
            raise ValidationError("勾選「其他」時請說明")

    def validate_category_other_anytime(self, field):
        if "other_anytime" in (self.categories_anytime.data or []) and not (field.data or "").strip():
            raise ValidationError("勾選「其他」時請說明")

    def validate_narrative(self, field):
        if len((field.data or "").strip()) < self.narrative_min:
            raise ValidationError(f"事發經過請至少寫 {self.narrative_min} 個字（何時、何地、何人、經過）")

    def validate_improvement_plan(self, field):
        if (self.unit_caused.data and self.severity.data in ("none", "mild")
                and rules.needs_form(self.period.data or "service", self.categories)
                and not (field.data or "").strip()):
            raise ValidationError("本單位所致之無傷害／輕度事件，請擬定改善建議方案")

    def validate_platform_recorded_date(self, field):
        if self.platform_recorded.data and (field.data is None or self.platform_recorded_time.data is None):
            raise ValidationError("勾選已完成平台異動通報時，請填寫日期與時間")
        moment = combine(field.data, self.platform_recorded_time.data)
        if moment and moment > clock.now():
            raise ValidationError("平台異動通報時間不能晚於現在")

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        actions_ok, self.warnings = self.validate_actions(self.categories)
        return ok and actions_ok

    def incident_data(self) -> dict:
        occurred = combine(self.occurred_date.data, self.occurred_time.data)
        learned = combine(self.learned_date.data, self.learned_time.data)
        cats = self.categories
        data = {
            "period": self.period.data, "occurred_at": occurred, "learned_at": learned,
            "place": self.place.data,
            "place_note": (self.place_note.data or "").strip() or None if self.place.data in PLACES_NEEDING_NOTE
            else None,
            "severity": self.severity.data,
            "provider_unit_name": (self.provider_unit_name.data or "").strip() or None,
            "staff_types": list(self.staff_types.data or []),
            "staff_other": (self.staff_other.data or "").strip() or None if "other" in (self.staff_types.data or [])
            else None,
            "categories": cats,
            "category_other_service": (self.category_other_service.data or "").strip() or None
            if "other_service" in cats else None,
            "category_other_anytime": (self.category_other_anytime.data or "").strip() or None
            if "other_anytime" in cats else None,
            "narrative": self.narrative.data.strip(),
            "unit_caused": bool(self.unit_caused.data),
            "improvement_plan": (self.improvement_plan.data or "").strip() or None,
            "reporter_title": (self.reporter_title.data or "").strip() or None,
            "supervisor_name_title": (self.supervisor_name_title.data or "").strip() or None,
            "platform_recorded_at": combine(self.platform_recorded_date.data, self.platform_recorded_time.data)
            if self.platform_recorded.data else None,
        }
        data.update(self.actions_data())
        return data

    def fill_from(self, incident):
        """Fill the form from a saved draft (GET of the edit page)."""
        self.version.data = incident.version
        self.period.data = incident.period
        self.occurred_date.data, self.occurred_time.data = split(incident.occurred_at)
        self.learned_date.data, self.learned_time.data = split(incident.learned_at)
        self.place.data, self.place_note.data = incident.place, incident.place_note
        self.severity.data = incident.severity
        self.provider_unit_name.data = incident.provider_unit_name
        self.staff_types.data, self.staff_other.data = list(incident.staff_types or []), incident.staff_other
        cats = list(incident.categories or [])
        self.categories_service.data = [c for c in cats if c in rules.SERVICE_CATEGORIES]
        self.categories_anytime.data = [c for c in cats if c in rules.ANYTIME_CATEGORIES]
        self.category_other_service.data = incident.category_other_service
        self.category_other_anytime.data = incident.category_other_anytime
        self.narrative.data = incident.narrative
        self.unit_caused.data, self.improvement_plan.data = incident.unit_caused, incident.improvement_plan
        self.reporter_title.data, self.supervisor_name_title.data = (incident.reporter_title,
                                                                    incident.supervisor_name_title)
        self.platform_recorded.data = incident.platform_recorded_at is not None
        self.platform_recorded_date.data, self.platform_recorded_time.data = split(incident.platform_recorded_at)
        self.no_intervention_other.data = incident.no_intervention_other
        self.intervention_other.data = incident.intervention_other
        self.fill_actions(incident)


class ReportForm(ActionsMixin, FlaskForm):
    """A 續報 or 結報 (incidents.md §8.1): §四 current severity, new content, §八, §九 re-signed."""

    submission_key = HiddenField()
    version = HiddenField()
    change_known_date = ROCDateField("重大變化知悉日期", validators=[Optional()])
    change_known_time = HHMMField("時間")
    severity = RadioChoice("目前對個案的影響程度", choices=[(k, SEVERITY_FORM_TEXT[k]) for k in rules.SEVERITIES],
                          validators=[DataRequired("請選擇影響程度")])
    content = TextAreaField("續報內容", validators=[DataRequired("請填寫內容"), Length(max=8000)], render_kw={"rows": 8})
    improvement_plan = TextAreaField("改善建議方案", validators=[Length(max=4000)], render_kw={"rows": 4})
    reporter_title = StringField("職稱", validators=[Optional(), Length(max=60)])
    supervisor_name_title = StringField("主管及職稱", validators=[Optional(), Length(max=120)])

    def __init__(self, *args, kind="followup", categories=(), improvement_required=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.incident_categories = list(categories)
        self.improvement_required = improvement_required
        self.warnings = []
        if kind == "closing":
            self.content.label.text = "結報內容（處理結果與結案理由）"

    def validate_change_known_time(self, field):
        if self.kind != "followup":
            return
        if self.change_known_date.data is None or field.data is None:
            raise ValidationError("請填寫重大變化的知悉日期與時間")
        _not_future(self, self.change_known_date, field, "知悉時間")

    def validate_improvement_plan(self, field):
        if self.kind == "closing" and self.improvement_required and not (field.data or "").strip():
            raise ValidationError("本單位所致之事件，結報時請附改善建議方案")

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        actions_ok, self.warnings = self.validate_actions(self.incident_categories)
        return ok and actions_ok

    def report_data(self) -> dict:
        data = {
            "change_known_at": combine(self.change_known_date.data, self.change_known_time.data)
            if self.kind == "followup" else None,
            "severity": self.severity.data,
            "content": self.content.data.strip(),
            "improvement_plan": (self.improvement_plan.data or "").strip() or None,
            "reporter_title": (self.reporter_title.data or "").strip() or None,
            "supervisor_name_title": (self.supervisor_name_title.data or "").strip() or None,
        }
        data.update(self.actions_data())
        return data

    def fill_from(self, report):
        self.version.data = report.version
        self.change_known_date.data, self.change_known_time.data = split(report.change_known_at)
        self.severity.data = report.severity
        self.content.data = report.content
        self.improvement_plan.data = report.improvement_plan
        self.reporter_title.data, self.supervisor_name_title.data = report.reporter_title, report.supervisor_name_title
        self.no_intervention_other.data = report.no_intervention_other
        self.intervention_other.data = report.intervention_other
        self.fill_actions(report)


class _ChannelMixin:
    channel = RadioChoice("通報方式", choices=_choices(CHANNEL_LABELS), validators=[DataRequired("請選擇通報方式")])
    channel_other = StringField("其他方式，請說明", validators=[Length(max=100)])

    def validate_channel_other(self, field):
        if self.channel.data == "other" and not (field.data or "").strip():
            raise ValidationError("選擇「其他」時請說明")


class NotificationForm(_ChannelMixin, FlaskForm):
    """The unit supervisor's advance notification of the responsible unit (§5.1, 註2)."""

    notified_date = ROCDateField("通報日期", validators=[DataRequired("請輸入通報日期")])
    notified_time = HHMMField("時間", validators=[DataRequired("請輸入通報時間")])
    contacted = StringField("通報對象（單位及受話人）", validators=[DataRequired("請填寫通報對象"), Length(max=200)],
                            render_kw={"placeholder": "例：衛生局長照科 李承辦；東區A單位 楊主管"})
    notifier_name = StringField("通報人（單位主管）", validators=[DataRequired("請填寫通報人"), Length(max=60)])
    note = TextAreaField("說明", validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})

    def validate_notified_time(self, field):
        _not_future(self, self.notified_date, field, "通報時間")

    @property
    def notified_at(self):
        return combine(self.notified_date.data, self.notified_time.data)


class PlatformForm(FlaskForm):
    """The national platform's change report, recorded after the 通報單 (註1)."""

    recorded_date = ROCDateField("平台異動通報日期", validators=[DataRequired("請輸入日期")])
    recorded_time = HHMMField("時間", validators=[DataRequired("請輸入時間")])

    def validate_recorded_time(self, field):
        _not_future(self, self.recorded_date, field, "平台異動通報時間")

    @property
    def recorded_at(self):
        return combine(self.recorded_date.data, self.recorded_time.data)


class ReceiptForm(_ChannelMixin, FlaskForm):
    """通報單 §十 受理情形."""

    version = HiddenField()
    receiver_name = StringField("通報受理人（全名）", validators=[DataRequired("請填寫受理人全名"), Length(max=60)])
    received_date = ROCDateField("通報日期", validators=[DataRequired("請輸入受理日期")])
    received_time = HHMMField("時間", validators=[DataRequired("請輸入受理時間")])
    note = TextAreaField("受理說明", validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})

    def validate_received_time(self, field):
        _not_future(self, self.received_date, field, "受理時間")

    @property
    def received_at(self):
        return combine(self.received_date.data, self.received_time.data)


class HandlingForm(FlaskForm):
    """通報單 §十一: one entry in the row of the user's title."""

    text = TextAreaField("處理情形", validators=[DataRequired("請填寫處理情形"), Length(max=4000)], render_kw={"rows": 3})


class CloseForm(FlaskForm):
    version = HiddenField()


class WithdrawForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField("撤銷原因", validators=[DataRequired("請說明撤銷原因"), Length(min=4, max=2000)],
                           render_kw={"rows": 2})


class DeadlineForm(FlaskForm):
    """The authority shortens the 結報 deadline or asks for a 續報 by a date (§5.2, §5.3)."""

    version = HiddenField()
    kind = RadioChoice("項目", choices=[("followup", "要求於期限內續報（持續追蹤）"), ("closing", "縮短結報期限")],
                      validators=[DataRequired("請選擇項目")])
    due_on = ROCDateField("期限", validators=[DataRequired("請輸入期限")])
    note = TextAreaField("說明", validators=[DataRequired("請說明理由"), Length(max=2000)], render_kw={"rows": 2})


class ReturnClosingForm(FlaskForm):
    """Send a 結報 back: the case needs more tracking (a 續報 by a date)."""

    version = HiddenField()
    due_on = ROCDateField("續報期限", validators=[DataRequired("請輸入續報期限")])
    note = TextAreaField("退回理由", validators=[DataRequired("請說明需持續追蹤的事項"), Length(max=2000)],
                         render_kw={"rows": 2})


# --- Dispute mediation (爭議調處) ---------------------------------------------------------

class DisputeForm(FlaskForm):
    submission_key = HiddenField()
    version = HiddenField()
    incident_id = HiddenField()
    applicant_name = StringField("申請人", validators=[DataRequired("請填寫申請人"), Length(max=60)])
    applicant_relation = StringField("與個案關係", validators=[Optional(), Length(max=40)],
                                     render_kw={"placeholder": "例：個案本人、子女、服務單位"})
    applicant_contact = StringField("聯絡方式", validators=[Optional(), Length(max=120)])
    subject = StringField("爭議事由", validators=[DataRequired("請填寫爭議事由"), Length(max=200)])
    claim = TextAreaField("申請內容及請求", validators=[DataRequired("請填寫申請內容"), Length(max=8000)],
                          render_kw={"rows": 6})
    received_on = ROCDateField("受理日期", validators=[DataRequired("請輸入受理日期")])

    def validate_received_on(self, field):
        if field.data and field.data > clock.today():
            raise ValidationError("受理日期不能晚於今天")


class DisputeScheduleForm(FlaskForm):
    version = HiddenField()
    hearing_date = ROCDateField("調處日期", validators=[DataRequired("請輸入調處日期")])
    hearing_time = HHMMField("時間", validators=[DataRequired("請輸入調處時間")])
    hearing_place = StringField("調處地點", validators=[DataRequired("請填寫調處地點"), Length(max=200)])
    notified_on = ROCDateField("通知雙方日期", validators=[DataRequired("請輸入通知日期")])

    def validate_notified_on(self, field):
        if field.data and field.data > clock.today():
            raise ValidationError("通知日期不能晚於今天")

    def validate_hearing_date(self, field):
        if field.data and self.notified_on.data and field.data < self.notified_on.data:
            raise ValidationError("調處日期不能早於通知日期")


class DisputeConcludeForm(FlaskForm):
    version = HiddenField()
    outcome = RadioChoice("結果", choices=[("settle", "調處成立"), ("fail", "調處不成立"), ("withdraw", "申請人撤回")],
                         validators=[DataRequired("請選擇結果")])
    concluded_on = ROCDateField("日期", validators=[DataRequired("請輸入日期")])
    note = TextAreaField("說明", validators=[DataRequired("請填寫說明"), Length(max=4000)], render_kw={"rows": 3})

    def validate_concluded_on(self, field):
        if field.data and field.data > clock.today():
            raise ValidationError("日期不能晚於今天")
