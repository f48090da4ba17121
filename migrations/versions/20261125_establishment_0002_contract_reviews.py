"""establishment: the bureau's decisions on the service-contract draft (參、六)

Revision ID: establishment_0002
Revises: audits_0003
Create Date: 2026-11-25 15:30:00

"""
from alembic import op
import sqlalchemy as sa

import portal.dbtypes


# revision identifiers, used by Alembic.
revision = 'establishment_0002'
down_revision = 'audits_0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('establishment_contract_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('attachment_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('letter_no', sa.String(length=60), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', portal.dbtypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['attachment_id'], ['establishment_plan_attachments.id'], name=op.f('fk_establishment_contract_reviews_attachment_id_establishment_plan_attachments')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_establishment_contract_reviews_decided_by_id_users')),
    sa.ForeignKeyConstraint(['plan_id'], ['establishment_plans.id'], name=op.f('fk_establishment_contract_reviews_plan_id_establishment_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_establishment_contract_reviews'))
    )
    with op.batch_alter_table('establishment_contract_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_establishment_contract_reviews_attachment_id'), ['attachment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_establishment_contract_reviews_plan_id'), ['plan_id'], unique=False)


def downgrade():
    with op.batch_alter_table('establishment_contract_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_establishment_contract_reviews_plan_id'))
        batch_op.drop_index(batch_op.f('ix_establishment_contract_reviews_attachment_id'))
    op.drop_table('establishment_contract_reviews')
