"""Another unit's audit (finalised, with notes, a correction and a photo row) for the access matrix."""
from datetime import date

from portal.audits import operations as ops
from portal.audits.models import Audit, AuditPhoto
from portal.auth import roles
from portal.extensions import db
from tests.audits.factories import make_audit
from tests.authz import foreign_data, matrix_data
from tests.factories import FOREIGN_MARKER, make_user


@foreign_data
def audits(world):
    org = world.orgs["a_other"]
    # An auditor who is not the world's auditor: the world's auditor must not see this audit.
    lead = make_user(roles.AUDITOR, world.orgs["bureau"], username="t_auditor_foreign")
    round_ = ops.create_round(None, title=FOREIGN_MARKER + "梯次", starts_on=date(2025, 3, 1), ends_on=date(2025, 3, 31))
    audit = make_audit(org, lead, on=date(2025, 3, 10), round_=round_)
    for item in audit.template_version.items:
        ops.answer_item(lead, audit, item, outcome="fail" if item.number == 1 else "pass",
                        note=FOREIGN_MARKER + "缺失說明")
    ops.finalise(lead, audit, summary_note=FOREIGN_MARKER + "綜合意見")
    item = audit.template_version.items[0]
    correction = ops.file_correction(None, audit, item, FOREIGN_MARKER + "改善說明")
    answer = next(a for a in audit.answers if a.item_id == item.id)
    photo = AuditPhoto(answer_id=answer.id, filename="missing.jpg", width=10, height=10, size=1,
                       uploaded_by_name="x")
    db.session.add(photo)
    db.session.flush()
    world.foreign.update(audit_id=audit.id, item_id=item.id, photo_id=photo.id, correction_id=correction.id,
                         round_id=round_.id, version_id=audit.template_version_id, template_id=audit.template_version.template_id)
    # Blueprint-qualified keys: other areas use the same parameter names for their own tables.
    world.foreign.update({
        "audits.audit_id": audit.id, "audits.item_id": item.id, "audits.photo_id": photo.id,
        "audits.correction_id": correction.id, "audits.round_id": round_.id,
        "audits.version_id": audit.template_version_id, "audits.template_id": audit.template_version.template_id,
        "audits.unit_id": org.id, "audits.op": "down"})


def _photo_file(audit, name):
    from pathlib import Path

    from flask import current_app
    path = Path(current_app.config["UPLOAD_DIR"]) / "audits" / str(audit.id)
    path.mkdir(parents=True, exist_ok=True)
    (path / name).write_bytes(b"\xff\xd8\xff\xe0matrix\xff\xd9")


def _photo(answer, audit, name):
    """A photo row with a real (tiny) file, so the bureau and the assigned auditor get the image."""
    _photo_file(audit, name)
    photo = AuditPhoto(answer_id=answer.id, filename=name, width=10, height=10, size=12, uploaded_by_name="委員")
    db.session.add(photo)
    db.session.flush()
    return photo


def _answer(audit, number):
    return next(a for a in audit.answers if a.item.number == number)


@matrix_data
def audits_home(world):
    """The home organisations' audits: each user is given the record of their own organisation.

    - the auditor (and the bureau): an audit of the home A unit in progress, assigned to the world's auditor;
    - A-unit staff: their unit's finished (failed) audit, with a correction filed;
    - B-unit staff: their family-care home's finished audit;
    - guidance staff: the finished audit of a family-care home their unit guides (read-only, seed 003 §十五(四)).
    Template routes (bureau only) get a draft version of the A-unit sheet.
    """
    from portal.auth import roles as r
    from tests.audits.factories import score
    from tests.contracts.factories import guided_home
    auditor = world.users[r.AUDITOR]
    a, b = world.orgs["a"], world.orgs["b"]
    guided = guided_home(world)
    round_ = ops.create_round(None, title="本梯次查核", starts_on=date(2025, 5, 1), ends_on=date(2025, 5, 31))
    open_a = make_audit(a, auditor, on=date(2025, 5, 20), round_=round_)
    ops.answer_item(auditor, open_a, open_a.template_version.items[0], outcome="pass", note="評分中")
    finished = {}
    for key, org in (("a", a), ("b", b), ("guided", guided)):
        audit = make_audit(org, auditor, on=date(2025, 5, 10), round_=round_ if key == "b" else None)
        score(audit, auditor, fails=(1, 2, 3, 4, 5, 6) if key == "a" else (1,))
        ops.finalise(auditor, audit, summary_note="綜合意見")
        finished[key] = audit
    correction = ops.file_correction(None, finished["a"], finished["a"].template_version.items[0], "已改善")
    photos = {"open": _photo(_answer(open_a, 1), open_a, "open.jpg")}
    for key, audit in finished.items():
        photos[key] = _photo(_answer(audit, 1), audit, f"{key}.jpg")
    a_version = open_a.template_version
    draft = ops.new_draft(None, a_version.template)
    b_item = finished["b"].template_version.items[0]

    def which(user):
        """The audit family a user's own record comes from."""
        if user.role in r.A_ROLES:
            return "a"
        if user.role in r.B_ROLES:
            return "b"
        if user.role == r.GUIDANCE_STAFF:
            return "guided"
        return "open"

    audit_of = {"open": open_a, **finished}
    unit_of = {"open": a, "a": a, "b": b, "guided": guided}

    def item_of(user):
        if user.sees_all:
            return draft.items[0].id            # template editing; the bureau does not score unassigned audits
        return b_item.id if which(user) in ("b", "guided") else a_version.items[0].id

    world.own.update({
        "audits.audit_id": lambda user: audit_of[which(user)].id,
        "audits.item_id": item_of,
        "audits.photo_id": lambda user: photos[which(user)].id,
        "audits.unit_id": lambda user: unit_of[which(user)].id,
        "audits.correction_id": correction.id,
        "audits.round_id": round_.id,
        "audits.version_id": draft.id,
        "audits.template_id": a_version.template_id,
        "audits.op": "down",
    })
    # Another unit's photo exists on disk too: the bureau sees it, nobody else does.
    foreign_photo = db.session.get(AuditPhoto, world.foreign["audits.photo_id"])
    foreign_audit = db.session.get(Audit, world.foreign["audits.audit_id"])
    _photo_file(foreign_audit, foreign_photo.filename)
