"""trust: password change flag, client submission key and anonymisation

Revision ID: trust_0001
Revises: incidents_0002
Create Date: 2026-11-25 12:57:54.866514

"""
from alembic import op
import sqlalchemy as sa

import portal.dbtypes


# revision identifiers, used by Alembic.
revision = 'trust_0001'
down_revision = 'incidents_0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_key', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('anonymised_at', portal.dbtypes.UTCDateTime(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_clients_submission_key'), ['submission_key'])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')

    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_clients_submission_key'), type_='unique')
        batch_op.drop_column('anonymised_at')
        batch_op.drop_column('submission_key')

