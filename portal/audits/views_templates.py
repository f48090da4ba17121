"""Score-sheet templates (查核表) as versioned data the bureau edits (issue 4 §1)."""
from flask import abort, flash, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from portal import clock
from portal.audits import operations as ops
from portal.audits.defaults import create_default_templates
from portal.audits.forms import ItemForm, SectionForm, TemplateForm, VersionForm
from portal.audits.models import PASS_RULE_LABELS, SCORING_LABELS, AuditItem, AuditTemplate, AuditTemplateVersion
from portal.audits.views import AUDIT_MANAGERS, TEMPLATE_EDITORS, bp, field_error
from portal.auth.access import get_or_404, roles_required
from portal.errors import Refused, StaleEdit, TransitionNotAllowed
from portal.extensions import db
from portal.htmx import redirect_to, render


@bp.route("/templates")
@roles_required(*AUDIT_MANAGERS)
def templates():
    rows = db.session.execute(db.select(AuditTemplate).order_by(AuditTemplate.target_kind, AuditTemplate.id)
                              ).scalars().all()
    return render("audits/templates.html", templates=rows, can_edit=current_user.role in TEMPLATE_EDITORS,
                  form=TemplateForm())


@bp.route("/templates/defaults", methods=["POST"])
@roles_required(*TEMPLATE_EDITORS)
def templates_defaults():
    created = create_default_templates(current_user, effective_from=clock.today().replace(day=1))
    db.session.commit()
    flash(f"已建立 {len(created)} 份預設查核表。" if created else "預設查核表已存在。", "success")
    return redirect_to(url_for("audits.templates"))


@bp.route("/templates/new", methods=["GET", "POST"])
@roles_required(*TEMPLATE_EDITORS)
def template_new():
    form = TemplateForm()
    if form.validate_on_submit():
        try:
            template = ops.create_template(
                current_user, code=form.code.data.strip(), title=form.title.data.strip(),
                target_kind=form.target_kind.data,
                target_subtype=form.target_subtype.data if form.target_kind.data == "b_unit" else None,
                auditor_title=form.auditor_title.data, pass_mark=form.pass_mark.data,
                required_items=form.required_items.data)
        except Refused as exc:
            field_error(form, exc)
        else:
            db.session.commit()
            flash("已建立查核表，請新增題目後發布。", "success")
            return redirect_to(url_for("audits.template_version", version_id=template.versions[0].id))
    return render("audits/template_new.html", form=form)


@bp.route("/templates/<int:template_id>/draft", methods=["POST"])
@roles_required(*TEMPLATE_EDITORS)
def template_draft(template_id):
    template = get_or_404(AuditTemplate, template_id)
    version = ops.new_draft(current_user, template)
    db.session.commit()
    return redirect_to(url_for("audits.template_version", version_id=version.id))


def _version_or_404(version_id) -> AuditTemplateVersion:
    version = db.session.get(AuditTemplateVersion, version_id)
    if version is None:
        abort(404)
    return version


@bp.route("/template-versions/<int:version_id>", methods=["GET", "POST"])
@roles_required(*AUDIT_MANAGERS)
def template_version(version_id):
    version = _version_or_404(version_id)
    can_edit = current_user.role in TEMPLATE_EDITORS and version.editable
    form = VersionForm(obj=version)
    if request.method == "GET":
        form.version.data = version.version
    if request.method == "POST":
        if not can_edit:
            abort(403)
        if form.validate_on_submit():
            try:
                ops.update_version(current_user, version, {
                    "label": form.label.data.strip(), "effective_from": form.effective_from.data,
                    "pass_rule": form.pass_rule.data, "pass_mark": form.pass_mark.data,
                    "required_items": form.required_items.data, "notes": form.notes.data},
                    seen_version=int(form.version.data or 0))
            except (StaleEdit, StaleDataError):
                db.session.rollback()
                flash(str(StaleEdit()), "error")
            except TransitionNotAllowed as exc:
                flash(str(exc), "error")
            else:
                db.session.commit()
                flash("已儲存版本設定。", "success")
                return redirect_to(url_for("audits.template_version", version_id=version.id))
    return render("audits/template_version.html", version=version, template=version.template, form=form,
                  can_edit=can_edit, section_form=SectionForm(), publish_refusal=ops.publish_refusal(version),
                  scoring_labels=SCORING_LABELS, pass_rule_labels=PASS_RULE_LABELS)


@bp.route("/template-versions/<int:version_id>/sections", methods=["POST"])
@roles_required(*TEMPLATE_EDITORS)
def template_section_add(version_id):
    version = _version_or_404(version_id)
    form = SectionForm()
    try:
        ops.add_section(current_user, version, form.title.data or "")
    except (Refused, TransitionNotAllowed) as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
    return redirect_to(url_for("audits.template_version", version_id=version.id) + "#items")


def _item_form(version, item=None):
    form = ItemForm(obj=item)
    form.section_id.choices = [(0, "（未分類）")] + [(s.id, s.title) for s in version.sections]
    if request.method == "GET":
        if item is None:
            form.section_id.data = request.args.get("section_id", type=int) or 0
        else:
            form.section_id.data = item.section_id or 0
    return form


def _item_data(form):
    return {"section_id": form.section_id.data or None, "title": form.title.data.strip(),
            "criterion": form.criterion.data, "evidence_hint": form.evidence_hint.data, "scoring": form.scoring.data,
            "max_points": form.max_points.data, "pass_points": form.pass_points.data,
            "allow_na": form.allow_na.data, "placeholder": form.placeholder.data}


@bp.route("/template-versions/<int:version_id>/items/new", methods=["GET", "POST"])
@roles_required(*TEMPLATE_EDITORS)
def template_item_new(version_id):
    version = _version_or_404(version_id)
    if not version.editable:
        flash("已發布的查核表版本不能修改；請建立新版本後再修改。", "error")
        return redirect_to(url_for("audits.template_version", version_id=version.id))
    form = _item_form(version)
    if form.validate_on_submit():
        try:
            ops.save_item(current_user, version, None, _item_data(form))
        except Refused as exc:
            field_error(form, exc)
        else:
            db.session.commit()
            flash("已新增題目。", "success")
            return redirect_to(url_for("audits.template_version", version_id=version.id) + "#items")
    return render("audits/template_item.html", form=form, version=version, item=None)


@bp.route("/template-items/<int:item_id>/edit", methods=["GET", "POST"])
@roles_required(*TEMPLATE_EDITORS)
def template_item_edit(item_id):
    item = db.session.get(AuditItem, item_id) or abort(404)
    version = item.template_version
    if not version.editable:
        flash("已發布的查核表版本不能修改；請建立新版本後再修改。", "error")
        return redirect_to(url_for("audits.template_version", version_id=version.id))
    form = _item_form(version, item)
    if form.validate_on_submit():
        try:
            ops.save_item(current_user, version, item, _item_data(form))
        except Refused as exc:
            field_error(form, exc)
        else:
            db.session.commit()
            flash(f"已更新第 {item.number} 題。", "success")
            return redirect_to(url_for("audits.template_version", version_id=version.id) + f"#ti-{item.id}")
    return render("audits/template_item.html", form=form, version=version, item=item)


@bp.route("/template-items/<int:item_id>/<any(up, down, delete):op>", methods=["POST"])
@roles_required(*TEMPLATE_EDITORS)
def template_item_op(item_id, op):
    item = db.session.get(AuditItem, item_id) or abort(404)
    version = item.template_version
    try:
        if op == "delete":
            ops.delete_item(current_user, item)
        else:
            ops.move_item(current_user, item, -1 if op == "up" else 1)
    except TransitionNotAllowed as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
    return redirect_to(url_for("audits.template_version", version_id=version.id) + "#items")


@bp.route("/template-versions/<int:version_id>/publish", methods=["POST"])
@roles_required(*TEMPLATE_EDITORS)
def template_publish(version_id):
    version = _version_or_404(version_id)
    try:
        ops.publish(current_user, version, seen_version=request.form.get("version", type=int) or 0)
    except (StaleEdit, StaleDataError):
        db.session.rollback()
        flash(str(StaleEdit()), "error")
    except (Refused, TransitionNotAllowed) as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"已發布「{version.label}」，{version.effective_from.year - 1911}年{version.effective_from.month}月"
              f"{version.effective_from.day}日起排定的查核使用此版本。", "success")
    return redirect_to(url_for("audits.template_version", version_id=version.id))
