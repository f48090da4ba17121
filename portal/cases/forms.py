"""Forms of case management; zh-TW messages; dates typed ROC or ISO."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, DecimalField, FieldList, Form, FormField, HiddenField, IntegerField, RadioField,
                     SelectField, StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from portal.cases import rules
from portal.cases.models import PAUSE_REASON_KINDS, SERVICE_TYPES, VISIT_KINDS
from portal.formfields import ROCDateField
from portal.orgs.forms import MultiCheckboxField

YES_NO = [("yes", "是"), ("no", "否")]


class AssessmentForm(FlaskForm):
    """照專's assessment decision and the referral to an A unit (§3)."""

    version = HiddenField()
    submission_key = HiddenField()
    consent = RadioField("個案同意接受個案管理", choices=[("yes", "同意"), ("no", "不同意")],
                         validators=[InputRequired("請選擇個案是否同意")])
    consent_on = ROCDateField("同意日期")
    special_flags = MultiCheckboxField("特殊或複雜個案（照管中心自行管理）", choices=list(rules.SPECIAL_CASE_LABELS.items()))
    families = MultiCheckboxField("申請之服務項目", choices=list(rules.FAMILY_LABELS.items()))
    a_unit_advisable = BooleanField("評估由A單位個案管理較佳（僅申請交通接送、輔具或無障礙改善時適用）")
    applied_by_org_id = SelectField("主動發掘並提出服務申請書之B單位", coerce=int, validators=[Optional()])
    assessment_note = TextAreaField("評估說明", validators=[Optional(), Length(max=2000)])
    a_unit_id = RadioField("轉介A單位", coerce=int, validators=[Optional()], validate_choice=False)
    skip_reason = TextAreaField("未選建議順位第一之理由", validators=[Optional(), Length(max=500)])
    capacity_confirmed = BooleanField("已知悉該單位案量已達上限，仍確認轉介")
    compliance_confirmed = BooleanField("已確認個案現可配合複評、家訪及電訪（前次因拒絕配合結案）")

    def validate_consent_on(self, field):
        if self.consent.data == "yes" and not field.data:
            raise ValidationError("請填寫個案同意日期")

    def facts(self) -> dict:
        return {"consent": self.consent.data == "yes", "consent_on": self.consent_on.data,
                "special_flags": self.special_flags.data or [], "families": self.families.data or [],
                "a_unit_advisable": self.a_unit_advisable.data, "applied_by_org_id": self.applied_by_org_id.data or None,
                "assessment_note": self.assessment_note.data, "compliance_confirmed": self.compliance_confirmed.data}


class AcceptReferralForm(FlaskForm):
    case_manager_id = SelectField("指派個管師", coerce=int, validators=[DataRequired("請選擇個管師")])


class ReasonForm(FlaskForm):
    reason = TextAreaField("原因", validators=[DataRequired("請填寫原因"), Length(max=1000)])


class CommentForm(FlaskForm):
    comment = TextAreaField("意見", validators=[Optional(), Length(max=1000)])


class PlanItemForm(Form):
    code = SelectField("服務碼", validators=[Optional()], validate_choice=False)
    quantity = IntegerField("數量", validators=[Optional(), NumberRange(0, 999, "數量須介於 0 到 999")])
    frequency = StringField("頻率", validators=[Optional(), Length(max=60)], render_kw={"placeholder": "例：每週3次"})
    note = StringField("備註", validators=[Optional(), Length(max=200)])


class PlanForm(FlaskForm):
    version = HiddenField()
    problems = TextAreaField("照顧問題", validators=[Optional(), Length(max=4000)])
    goals = TextAreaField("照顧目標", validators=[Optional(), Length(max=4000)])
    change_note = TextAreaField("本版異動說明", validators=[Optional(), Length(max=1000)])
    items = FieldList(FormField(PlanItemForm), min_entries=1, max_entries=40)

    def items_data(self):
        return [{k: entry.form[k].data for k in ("code", "quantity", "frequency", "note")} for entry in self.items]

    def validate_items(self, field):
        for entry in field:
            if entry.form.code.data and not entry.form.quantity.data:
                raise ValidationError(f"請填寫 {entry.form.code.data} 的數量")


class ChangeNoticeForm(FlaskForm):
    notice = TextAreaField("需異動之服務內容", validators=[DataRequired("請說明需要異動的內容"), Length(max=2000)])


class DispatchForm(FlaskForm):
    org_id = HiddenField()
    seen_proposal_id = HiddenField()
    override_reason = TextAreaField("未選建議單位之理由", validators=[Optional(), Length(max=1000)])


class PreferenceForm(FlaskForm):
    preferred_org_id = SelectField("個案指定之服務單位", coerce=int, validators=[Optional()])


class FirstServiceForm(FlaskForm):
    first_service_on = ROCDateField("首次服務日期", validators=[DataRequired("請填寫首次服務日期")])


class ChangeRequestForm(FlaskForm):
    version = HiddenField()
    requested_on = ROCDateField("個案提出需求日期", validators=[Optional()])
    reasons = TextAreaField("更換原因（個案或家屬所述，及個管師了解之原因）", validators=[Optional(), Length(max=3000)])
    contact_on = ROCDateField("聯繫日期", validators=[Optional()])
    contact_person = StringField("聯繫對象（原服務單位人員姓名、職稱）", validators=[Optional(), Length(max=60)])
    contact_content = TextAreaField("告知內容", validators=[Optional(), Length(max=2000)])
    coordination_result = TextAreaField("協調結果", validators=[Optional(), Length(max=2000)])
    new_org_id = SelectField("新服務單位", coerce=int, validators=[Optional()], validate_choice=False)
    planned_start_on = ROCDateField("預定服務開始日", validators=[Optional()])
    matching_note = TextAreaField("媒合說明（依派案優先順序）", validators=[Optional(), Length(max=2000)])
    confirmer_name = StringField("確認人姓名", validators=[Optional(), Length(max=60)])
    confirmer_relation = StringField("與個案關係", validators=[Optional(), Length(max=20)],
                                     render_kw={"placeholder": "本人、兒子、配偶…"})
    confirmed_on = ROCDateField("確認日期", validators=[Optional()])

    FIELDS = ("requested_on", "reasons", "contact_on", "contact_person", "contact_content", "coordination_result",
              "new_org_id", "planned_start_on", "matching_note", "confirmer_name", "confirmer_relation", "confirmed_on")

    def data_dict(self):
        return {name: getattr(self, name).data for name in self.FIELDS}


class WithdrawForm(FlaskForm):
    version = HiddenField()
    withdrawn_reason = TextAreaField("協調結果／撤回原因", validators=[DataRequired("請填寫協調結果或撤回原因"),
                                                               Length(max=1000)])


class DecisionForm(FlaskForm):
    decision = RadioField("審核結果", choices=[("approve", "同意更換"), ("return", "退回補正")],
                          validators=[InputRequired("請選擇審核結果")])
    comment = TextAreaField("審核意見（退回時必填）", validators=[Optional(), Length(max=1000)])
    round = HiddenField()


class CompleteForm(FlaskForm):
    version = HiddenField()
    plan_changed_on = ROCDateField("系統計畫異動日期", validators=[DataRequired("請填寫計畫異動日期")])
    uploaded_to_system = BooleanField("已將本表上傳系統")


class ScanForm(FlaskForm):
    scan = FileField("簽名掃描檔（PDF、JPEG 或 PNG）")


class SuspensionForm(FlaskForm):
    reason = RadioField("暫停原因", validators=[InputRequired("請選擇暫停原因")])
    starts_on = ROCDateField("暫停開始日期", validators=[DataRequired("請填寫暫停開始日期")])
    away_from = ROCDateField("住院／離家起日", validators=[Optional()])
    away_to = ROCDateField("住院／離家迄日（預計）", validators=[Optional()])
    details = TextAreaField("說明", validators=[Optional(), Length(max=2000)])

    def data_dict(self):
        return {k: getattr(self, k).data for k in ("reason", "starts_on", "away_from", "away_to", "details")}


class SuspensionDecisionForm(FlaskForm):
    decision = RadioField("核備結果", choices=[("record", "核備（暫停服務）"), ("reject", "不予核備")],
                          validators=[InputRequired("請選擇")])
    comment = TextAreaField("意見", validators=[Optional(), Length(max=1000)])


class EndSuspensionForm(FlaskForm):
    ended_on = ROCDateField("恢復服務日期", validators=[DataRequired("請填寫恢復服務日期")])
    note = TextAreaField("說明（暫停要件消失之情形）", validators=[Optional(), Length(max=1000)])


class ClosureForm(FlaskForm):
    reason = RadioField("結案原因", choices=list(rules.CLOSURE_REASONS.items()),
                        validators=[InputRequired("請選擇結案原因")])
    event_on = ROCDateField("事由發生日期", validators=[DataRequired("請填寫事由發生日期")])
    details = TextAreaField("說明", validators=[Optional(), Length(max=2000)])

    def data_dict(self):
        return {k: getattr(self, k).data for k in ("reason", "event_on", "details")}


class ClosureDecisionForm(FlaskForm):
    decision = RadioField("處理結果", choices=[("close", "同意結案"), ("reject", "不同意結案")],
                          validators=[InputRequired("請選擇")])
    centre_consent = BooleanField("照管中心同意結案（「無服務使用意願」結案必須勾選）")
    comment = TextAreaField("意見（不同意時必填）", validators=[Optional(), Length(max=1000)])


class VisitForm(FlaskForm):
    submission_key = HiddenField()
    kind = RadioField("訪視方式", choices=list(VISIT_KINDS.items()), default="phone",
                      validators=[InputRequired("請選擇訪視方式")])
    visited_on = ROCDateField("訪視日期", validators=[DataRequired("請填寫訪視日期")])
    summary = TextAreaField("訪視紀要（服務情形、照顧目標達成、滿意度與問題）",
                            validators=[DataRequired("請填寫訪視紀要"), Length(max=3000)])


class EvaluationForm(FlaskForm):
    version = HiddenField()
    b_unit_id = SelectField("B單位", coerce=int, validators=[DataRequired("請選擇B單位")])
    period = SelectField("評核期間", validators=[DataRequired("請選擇評核期間")])
    rating = RadioField("評分", coerce=int, choices=[(5, "5 優良"), (4, "4 良好"), (3, "3 普通"), (2, "2 待改善"),
                                                   (1, "1 不佳")], validators=[InputRequired("請選擇評分")])
    comment = TextAreaField("評語（服務品質、配合度、首次服務時效等）", validators=[Optional(), Length(max=2000)])


class PauseRequestForm(FlaskForm):
    reason_kind = SelectField("申請原因類別", choices=[("", "— 請選擇 —")] + list(PAUSE_REASON_KINDS.items()),
                              validators=[Optional()])
    requested_on = ROCDateField("暫停派案生效日期", validators=[Optional()])
    reason = TextAreaField("申請理由", validators=[DataRequired("請說明申請理由"), Length(max=2000)])
    measures = TextAreaField("既有個案之配套措施", validators=[Optional(), Length(max=2000)])

    def data_dict(self):
        return {k: getattr(self, k).data for k in ("reason_kind", "requested_on", "reason", "measures")}


class PauseDecisionForm(FlaskForm):
    decision = RadioField("審核結果", choices=[("approve", "核准"), ("reject", "不予核准")],
                          validators=[InputRequired("請選擇審核結果")])
    comment = TextAreaField("意見（不予核准時必填）", validators=[Optional(), Length(max=1000)])


class CaseManagerForm(FlaskForm):
    version = HiddenField()
    declared_caseload = IntegerField("申報案量", validators=[InputRequired("請填寫申報案量"), NumberRange(1, 400)])
    deputy_id = SelectField("職務代理人", coerce=int, validators=[Optional()])
    approved_on = ROCDateField("衛生局同意核備日期", validators=[Optional()])
    training_hours = DecimalField("基礎訓練時數", places=1, validators=[Optional(), NumberRange(0, 99)])
    training_notice_on = ROCDateField("完訓合格通知日期", validators=[Optional()])
    joint_visits = IntegerField("照專實習共訪次數", validators=[Optional(), NumberRange(0, 12, "須介於 0 到 12 次")])
    review_passed_on = ROCDateField("照顧計畫督導審查通過日期", validators=[Optional()])
    cms_account_on = ROCDateField("CMS 個人帳號開通日期", validators=[Optional()])
    removed_on = ROCDateField("註銷日期", validators=[Optional()])

    UNIT_FIELDS = ("declared_caseload", "deputy_id")
    BUREAU_FIELDS = ("approved_on", "training_hours", "training_notice_on", "joint_visits", "review_passed_on",
                     "cms_account_on", "removed_on")


class ProviderServiceForm(FlaskForm):
    service_type = SelectField("服務類別", choices=list(SERVICE_TYPES.items()))
    capacity = IntegerField("可服務人數", validators=[InputRequired("請填寫可服務人數"), NumberRange(0, 2000)])
    accepting = BooleanField("目前可接受新派案", default=True)
    codes = MultiCheckboxField("提供之服務碼（不勾選表示提供此類別全部服務碼）", validate_choice=False)
    note = StringField("備註", validators=[Optional(), Length(max=200)])


class ServiceCodeForm(FlaskForm):
    name = StringField("名稱", validators=[DataRequired("請填寫名稱"), Length(max=80)])
    active = BooleanField("啟用")


class NewServiceCodeForm(FlaskForm):
    """A code the national payment standard added (README §6.1): the bureau enters it as data."""

    code = StringField("服務碼", filters=[lambda v: (v or "").strip().upper()],
                       validators=[DataRequired("請填寫服務碼"),
                                   Regexp(r"^[BCDEFG][A-Z][0-9A-Z]{1,6}$",
                                          message="服務碼格式如 BA01、CB02、GA09（B、C、D、E、F、G 碼）")])
    name = StringField("名稱", validators=[DataRequired("請填寫名稱"), Length(max=80)])
    service_type = SelectField("服務類別", choices=list(SERVICE_TYPES.items()))
    unit_label = StringField("計價單位", default="次", validators=[DataRequired("請填寫計價單位"), Length(max=10)],
                             render_kw={"placeholder": "次、日、趟、件…"})
