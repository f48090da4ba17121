"""Another applicant's plan for the access matrix: no one outside the bureau may open it."""
from portal.establishment import operations as ops
from tests.authz import foreign_data
from tests.factories import FOREIGN_MARKER


@foreign_data
def establishment_plan(world):
    other = world.other_users["applicant"]
    plan = ops.create_plan(other, world.orgs["applicant_other"])
    ops.save_section(other, plan, "basic", {"applicant_type": "natural", "county": "測試縣",
                                            "distinctive": FOREIGN_MARKER, "name": "",
                                            "address": FOREIGN_MARKER + "路1號"}, seen_version=0)
    world.foreign["plan_id"] = plan.id


# --- for the access matrix only (tests/access_table.py) -------------------------------------------
from portal.auth import roles  # noqa: E402
from portal.establishment import models as m  # noqa: E402
from portal.extensions import db  # noqa: E402
from tests.authz import matrix_data  # noqa: E402

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a730000001649444154789c63"
                    "3c71e20403030313030303030303001c4a025c7298f2380000000049454e44ae426082")  # 2×2 grey


def _file_and_comment(world, plan, author, text):
    att = ops.add_attachment(author, plan, "id_front", text + ".png", PNG, images_only=True, many=False)
    comment = m.PlanComment(plan=plan, submission_number=1, section_key="basic", body=text + "審查意見",
                            author_id=world.users[roles.BUREAU_OFFICER].id)
    db.session.add(comment)
    db.session.flush()
    return att, comment


@matrix_data
def establishment_plans(world):
    """The home applicant's plan (world.own); both plans get an upload and a review comment."""
    foreign_plan = db.session.get(m.EstablishmentPlan, world.foreign["plan_id"])
    att, comment = _file_and_comment(world, foreign_plan, world.other_users["applicant"], FOREIGN_MARKER)
    world.foreign.update(att_id=att.id, comment_id=comment.id)
    author = world.users["applicant"]
    plan = ops.create_plan(author, world.orgs["applicant"])
    ops.save_section(author, plan, "basic", {"applicant_type": "natural", "county": "測試縣", "distinctive": "安心",
                                             "name": "", "address": "測試路1號"}, seen_version=0)
    att, comment = _file_and_comment(world, plan, author, "本單位")
    world.own.update(plan_id=plan.id, att_id=att.id, comment_id=comment.id)
    for registry in (world.own, world.foreign):  # not organisation-scoped: the same value both ways
        registry.update({"establishment.key": "basic", "slot": "id_front"})
