"""Scoring on tablets, finalising, amendments, photos and the unit's corrections (issue 4 §3–§4).

Each tap saves its item at once (htmx, or static/js/audits-scoring.js which queues answers offline and
re-sends them with a client key); without JavaScript the page is one plain form that saves one item or
all of them.
"""
import io
import uuid
from pathlib import Path

from flask import abort, current_app, flash, make_response, request, send_file, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal import clock
from portal.audits import operations as ops
from portal.audits import rules
from portal.audits.forms import AmendForm, CancelAuditForm, CorrectionForm, FinaliseForm, ReviewCorrectionForm
from portal.audits.models import (
    Audit, AuditAnswer, AuditCorrection, AuditItem, AuditPhoto, AuditSection, AuditTemplateVersion,
)
from portal.audits.queries import next_audit_date, unit_standings
from portal.audits.views import AUDIT_MANAGERS, AUDIT_READERS, CORRECTION_FILERS, bp
from portal.auditlog.operations import log_change
from portal.auth.access import get_or_404, require, roles_required
from portal.errors import Refused, StaleEdit, TransitionNotAllowed
from portal.extensions import db
from portal.htmx import is_htmx, redirect_to, render, render_block

MAX_PHOTO_SIDE = 1600


def _groups(version):
    groups = [(s, list(s.items)) for s in version.sections if s.items]
    loose = [i for i in version.items if i.section_id is None]
    if loose:
        groups.append((None, loose))
    return groups


def _answers(audit):
    return {a.item_id: a for a in audit.answers}


# What the scoring page reads, loaded with the audit: without it each section's items and each answer's photos
# were a query of their own (26 statements for a 13-item sheet; issue 10 §2).
SCORING_LOADS = (
    joinedload(Audit.organisation),
    selectinload(Audit.assignments),
    selectinload(Audit.answers).selectinload(AuditAnswer.photos),
    joinedload(Audit.template_version).selectinload(AuditTemplateVersion.sections).selectinload(AuditSection.items),
    joinedload(Audit.template_version).selectinload(AuditTemplateVersion.items),
)


def _scorer_audit(audit_id, options=()) -> Audit:
    audit = get_or_404(Audit, audit_id, options=options)
    require(audit.is_assigned(current_user))
    return audit


def _item_of(audit, item_id) -> AuditItem:
    item = db.session.get(AuditItem, item_id)
    if item is None or item.template_version_id != audit.template_version_id:
        abort(404)
    return item


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _submitted(item_id, form):
    """The answer fields of one item from a form post (each field is named with the item id)."""
    points_raw = form.get(f"points-{item_id}")
    return {"outcome": form.get(f"outcome-{item_id}") or None,
            "points": _int(points_raw) if points_raw not in (None, "") else None,
            "note": form.get(f"note-{item_id}"),
            "base_revision": _int(form.get(f"rev-{item_id}"))}


def _score_context(audit, **extra):
    version = audit.template_version
    return {"audit": audit, "org": audit.organisation, "version": version, "groups": _groups(version),
            "answers": _answers(audit), "tally": ops.audit_tally(audit), "is_lead": audit.is_lead(current_user),
            "mine": {}, "messages": {}, "conflicts": set(), "today": clock.today(),
            "new_key": lambda: uuid.uuid4().hex, **extra}


@bp.route("/<int:audit_id>/score", methods=["GET", "POST"])
@roles_required(*AUDIT_READERS)
def score(audit_id):
    audit = _scorer_audit(audit_id, options=SCORING_LOADS if request.method == "GET" else ())
    if audit.status in ("finalised", "cancelled"):
        flash("此查核已送出，評分不能再修改。" if audit.finalised else "此查核已取消。", "warning")
        return redirect_to(url_for("audits.show", audit_id=audit.id))
    if request.method == "GET":
        return render("audits/score.html", **_score_context(audit))
    # A plain form post (no JavaScript): save one item (save_item) or every changed item.
    only = _int(request.form.get("save_item"))
    force_item = _int(request.form.get("force_item"))
    answers = _answers(audit)
    mine, messages, conflicts, saved = {}, {}, set(), 0
    for item in audit.template_version.items:
        if only is not None and item.id != only and item.id != force_item:
            continue
        data = _submitted(item.id, request.form)
        current = answers.get(item.id)
        note = (data["note"] or "").strip() or None
        unchanged = current is not None and (current.outcome, current.points, current.note) == (
            data["outcome"], data["points"], note)
        if unchanged or (data["outcome"] is None and data["points"] is None and not note):
            continue
        try:
            result = ops.answer_item(current_user, audit, item, outcome=data["outcome"], points=data["points"],
                                     note=data["note"], base_revision=data["base_revision"],
                                     force=(item.id == force_item))
        except TransitionNotAllowed as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect_to(url_for("audits.show", audit_id=audit.id))
        except Refused as exc:
            messages[item.id] = str(exc)
            mine[item.id] = data
            continue
        if result.conflict:
            conflicts.add(item.id)
            mine[item.id] = result.mine
        elif result.status == "saved":
            saved += 1
    db.session.commit()
    if messages or conflicts:
        if saved:
            flash(f"已儲存 {saved} 題；部分題目需要您處理。", "warning")
        return render("audits/score.html", **_score_context(audit, mine=mine, messages=messages, conflicts=conflicts))
    flash(f"已儲存 {saved} 題。" if saved else "沒有需要儲存的變更。", "success")
    anchor = f"#item-{only}" if only else ""
    return redirect_to(url_for("audits.score", audit_id=audit.id) + anchor)


def _item_response(audit, item, *, status=200, mine=None, message=None, conflict=False, state=None):
    """The item's fieldset and the tally (out of band): what htmx and the offline script swap in."""
    db.session.expire(audit, ["answers"])
    ctx = _score_context(audit)
    ctx.update(item=item, answer=ctx["answers"][item.id], item_mine=mine, item_message=message,
               item_conflict=conflict, item_state=state)
    body = render_block("audits/score.html", "item", **ctx) + render_block("audits/score.html", "tally_oob", **ctx)
    response = make_response(body, status)
    response.headers["X-Answer-Status"] = state or ("conflict" if conflict else "error")
    return response


@bp.route("/<int:audit_id>/items/<int:item_id>", methods=["GET"])
@roles_required(*AUDIT_READERS)
def item_fragment(audit_id, item_id):
    # the sheet (sections and their items) with the audit: the tally and the item's neighbours read it
    audit = _scorer_audit(audit_id, options=SCORING_LOADS)
    item = _item_of(audit, item_id)
    if not is_htmx():
        return redirect_to(url_for("audits.score", audit_id=audit.id) + f"#item-{item.id}")
    return _item_response(audit, item, state="current")


@bp.route("/<int:audit_id>/items/<int:item_id>/answer", methods=["POST"])
@roles_required(*AUDIT_READERS)
def answer(audit_id, item_id):
    """Save one item (one tap). Idempotent by `client_key`; a conflict never overwrites another auditor."""
    audit = _scorer_audit(audit_id)
    item = _item_of(audit, item_id)
    data = _submitted(item.id, request.form)
    force = _int(request.form.get("force_item")) == item.id
    try:
        result = ops.answer_item(current_user, audit, item, outcome=data["outcome"], points=data["points"],
                                 note=data["note"], base_revision=data["base_revision"],
                                 client_key=(request.form.get("client_key") or "")[:64] or None, force=force)
    except TransitionNotAllowed as exc:
        db.session.rollback()
        if not is_htmx():
            flash(str(exc), "error")
            return redirect_to(url_for("audits.show", audit_id=audit.id))
        return _item_response(audit, item, status=409, message=str(exc), state="closed")
    except Refused as exc:
        db.session.rollback()
        if not is_htmx():
            flash(f"第 {item.number} 題：{exc}", "error")
            return redirect_to(url_for("audits.score", audit_id=audit.id) + f"#item-{item.id}")
        return _item_response(audit, item, status=422, mine=data, message=str(exc), state="invalid")
    except IntegrityError:
        # The same client key stored a moment ago by a copy of this request (a retry that overtook a
        # slow reply, SQLite has no row lock to make it wait): that copy saved it; nothing to apply twice.
        db.session.rollback()
        if not is_htmx():
            return redirect_to(url_for("audits.score", audit_id=audit.id) + f"#item-{item.id}")
        return _item_response(audit, item, state="duplicate")
    db.session.commit()
    if not is_htmx():
        if result.conflict:
            flash(f"第 {item.number} 題已由{result.answer.answered_by_name}評分，您的答案未儲存。", "warning")
        return redirect_to(url_for("audits.score", audit_id=audit.id) + f"#item-{item.id}")
    return _item_response(audit, item, mine=result.mine if result.conflict else None, conflict=result.conflict,
                          state=result.status)


# --- photos ---------------------------------------------------------------------------------

def _photo_dir(audit) -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "audits" / str(audit.id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _resize(stream) -> tuple[bytes, int, int]:
    """Decode, upright by EXIF, drop metadata, fit in 1600 px, re-encode as JPEG."""
    from PIL import Image, ImageOps, UnidentifiedImageError
    try:
        with Image.open(stream) as image:
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            image.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=82, optimize=True)
            return out.getvalue(), image.width, image.height
    except (UnidentifiedImageError, OSError, ValueError):
        raise Refused("無法讀取此檔案，請上傳 JPEG 或 PNG 照片。", field="photo") from None


@bp.route("/<int:audit_id>/items/<int:item_id>/photos", methods=["POST"])
@roles_required(*AUDIT_READERS)
def photo_upload(audit_id, item_id):
    audit = _scorer_audit(audit_id)
    item = _item_of(audit, item_id)
    upload = request.files.get("photo")
    key = (request.form.get("client_key") or "")[:64] or None
    try:
        if audit.status in ("finalised", "cancelled"):
            raise TransitionNotAllowed("此查核已送出，不能再加照片。")
        if upload is None or not upload.filename:
            raise Refused("請選擇照片。", field="photo")
        existing = db.session.execute(db.select(AuditPhoto).filter_by(client_key=key)).scalar_one_or_none() if key else None
        if existing is None:
            data, width, height = _resize(upload.stream)
            answer_row = db.session.execute(db.select(AuditAnswer).filter_by(audit_id=audit.id, item_id=item.id)
                                            ).scalar_one()
            name = f"{uuid.uuid4().hex}.jpg"
            (_photo_dir(audit) / name).write_bytes(data)
            photo = AuditPhoto(answer_id=answer_row.id, filename=name, width=width, height=height, size=len(data),
                               uploaded_by_name=current_user.full_name, client_key=key)
            db.session.add(photo)
            try:
                db.session.flush()
            except IntegrityError:
                # A copy of this upload (same client key) was stored a moment ago: keep that one only.
                db.session.rollback()
                (_photo_dir(audit) / name).unlink(missing_ok=True)
                return _photos_fragment(audit, item) if is_htmx() else redirect_to(
                    url_for("audits.score", audit_id=audit.id) + f"#item-{item.id}")
            log_change(current_user, photo, "audit.photo", after={"audit_id": audit.id, "item": item.number,
                                                                  "size": len(data)})
            db.session.commit()
            if not is_htmx():
                flash(f"已加入第 {item.number} 題的照片。", "success")
    except (Refused, TransitionNotAllowed) as exc:
        db.session.rollback()
        if is_htmx():
            return _photos_fragment(audit, item, message=str(exc), status=422)
        flash(str(exc), "error")
    if is_htmx():
        return _photos_fragment(audit, item)
    return redirect_to(url_for("audits.score", audit_id=audit.id) + f"#item-{item.id}")


def _photos_fragment(audit, item, message=None, status=200):
    db.session.expire(audit, ["answers"])
    ctx = _score_context(audit)
    ctx.update(item=item, answer=ctx["answers"][item.id], photo_message=message)
    return make_response(render_block("audits/score.html", "photos", **ctx), status)


@bp.route("/photos/<int:photo_id>")
@roles_required(*AUDIT_READERS)
def photo(photo_id):
    row = db.session.get(AuditPhoto, photo_id) or abort(404)
    audit = get_or_404(Audit, row.answer.audit_id)
    if not (audit.finalised or audit.is_assigned(current_user) or current_user.sees_all):
        abort(404)
    path = _photo_dir(audit) / row.filename
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- finalise, read-only view, amendments, corrections ------------------------------------

@bp.route("/<int:audit_id>/finalise", methods=["GET", "POST"])
@roles_required(*AUDIT_READERS)
def finalise(audit_id):
    audit = _scorer_audit(audit_id)
    if audit.status in ("finalised", "cancelled"):
        return redirect_to(url_for("audits.show", audit_id=audit.id))
    form = FinaliseForm()
    if request.method == "GET":
        form.version.data = audit.version
    if form.validate_on_submit():
        try:
            ops.finalise(current_user, audit, summary_note=form.summary_note.data,
                         unit_representative=form.unit_representative.data, seen_version=_int(form.version.data))
        except TransitionNotAllowed as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect_to(url_for("audits.show", audit_id=audit.id))
        except (StaleEdit, StaleDataError) as exc:
            db.session.rollback()
            flash(str(exc) if isinstance(exc, StaleEdit) else str(StaleEdit()), "error")
            form.version.data = audit.version
        except Refused as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"查核結果已送出：{audit.result_label}（合格 {audit.passed_count}／"
                  f"{len(audit.template_version.items)}）。", "success" if audit.passed else "warning")
            return redirect_to(url_for("audits.show", audit_id=audit.id))
    ctx = _score_context(audit)
    return render("audits/finalise.html", form=form, refusal=rules.finalise_refusal(ctx["tally"]), **ctx)


@bp.route("/<int:audit_id>")
@roles_required(*AUDIT_READERS)
def show(audit_id):
    audit = get_or_404(Audit, audit_id)
    from portal.audits.models import AuditAmendment
    today = clock.today()
    can_see_scores = audit.finalised or current_user.sees_all or audit.is_assigned(current_user)
    corrections = {c.item_id: c for c in db.session.execute(
        db.select(AuditCorrection).filter_by(audit_id=audit.id)).scalars()}
    amendments = db.session.execute(db.select(AuditAmendment).filter_by(audit_id=audit.id)
                                    .order_by(AuditAmendment.amended_at)).scalars().all()
    is_manager = current_user.role in AUDIT_MANAGERS
    amend_form = AmendForm()
    amend_form.item_id.choices = [(i.id, f"第 {i.number} 題　{i.title}") for i in audit.template_version.items]
    standing = unit_standings([audit.organisation_id])[audit.organisation_id] if audit.finalised else None
    reschedule_form = None
    if is_manager and audit.status == "scheduled":
        from portal.audits.forms import RescheduleForm
        from portal.audits.views_rounds import _auditor_choices
        reschedule_form = _auditor_choices(RescheduleForm())
        reschedule_form.scheduled_on.data = audit.scheduled_on
        reschedule_form.lead_id.data = audit.lead.id if audit.lead else 0
        reschedule_form.other_ids.data = [a.user_id for a in audit.assignments if not a.is_lead]
    return render("audits/show.html", audit=audit, org=audit.organisation, version=audit.template_version,
                  groups=_groups(audit.template_version), answers=_answers(audit), can_see_scores=can_see_scores,
                  corrections=corrections, amendments=amendments, is_manager=is_manager, amend_form=amend_form,
                  can_file=(current_user.role in CORRECTION_FILERS
                            and current_user.organisation_id == audit.organisation_id),
                  correction_form=CorrectionForm(), review_form=ReviewCorrectionForm(),
                  due=next_audit_date(audit.organisation_id, today) if audit.passed is False else None,
                  standing=standing, today=today, tally=ops.audit_tally(audit) if can_see_scores else None,
                  reschedule_form=reschedule_form, cancel_form=CancelAuditForm())


@bp.route("/<int:audit_id>/amend", methods=["POST"])
@roles_required(*AUDIT_MANAGERS)
def amend(audit_id):
    audit = get_or_404(Audit, audit_id)
    form = AmendForm()
    form.item_id.choices = [(i.id, str(i.number)) for i in audit.template_version.items]
    if not form.validate_on_submit():
        flash("更正資料不完整：" + "；".join(e for errs in form.errors.values() for e in errs), "error")
    else:
        item = _item_of(audit, form.item_id.data)
        try:
            amendment = ops.amend_answer(current_user, audit, item, outcome=form.outcome.data or None,
                                         points=form.points.data, reason=form.reason.data)
        except (Refused, TransitionNotAllowed) as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            changed = amendment.result_before != amendment.result_after
            flash(f"已更正第 {item.number} 題" + (f"；查核結果改為「{audit.result_label}」。" if changed else "。"),
                  "warning" if changed else "success")
    return redirect_to(url_for("audits.show", audit_id=audit.id) + "#amendments")


@bp.route("/<int:audit_id>/corrections/<int:item_id>", methods=["POST"])
@roles_required(*CORRECTION_FILERS)
def correction_file(audit_id, item_id):
    audit = get_or_404(Audit, audit_id)
    require(current_user.organisation_id == audit.organisation_id)
    item = _item_of(audit, item_id)
    form = CorrectionForm()
    try:
        ops.file_correction(current_user, audit, item, form.description.data or "")
    except (Refused, TransitionNotAllowed) as exc:
        db.session.rollback()
        flash(f"第 {item.number} 題：{exc}", "error")
    else:
        db.session.commit()
        flash(f"已提報第 {item.number} 題改善情形。", "success")
    return redirect_to(url_for("audits.show", audit_id=audit.id) + "#corrections")


@bp.route("/corrections/<int:correction_id>/review", methods=["POST"])
@roles_required(*AUDIT_MANAGERS)
def correction_review(correction_id):
    correction = db.session.get(AuditCorrection, correction_id) or abort(404)
    form = ReviewCorrectionForm()
    try:
        ops.review_correction(current_user, correction, form.decision.data, form.review_note.data)
    except (Refused, TransitionNotAllowed) as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("已完成改善審查。", "success")
    return redirect_to(url_for("audits.show", audit_id=correction.audit_id) + "#corrections")
