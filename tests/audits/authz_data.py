"""Another unit's audit (finalised, with notes, a correction and a photo row) for the access matrix."""
from datetime import date

from portal.audits import operations as ops
from portal.audits.models import AuditPhoto
from portal.auth import roles
from portal.extensions import db
from tests.audits.factories import make_audit
from tests.authz import foreign_data
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
