"""reports: the bureau's recorded receipt date (收文日期) of a result report

Revision ID: reports_0002
Revises: perf_0001
Create Date: 2026-11-25 15:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'reports_0002'
down_revision = "perf_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('result_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('received_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('receipt_note', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('result_reports', schema=None) as batch_op:
        batch_op.drop_column('receipt_note')
        batch_op.drop_column('received_on')
