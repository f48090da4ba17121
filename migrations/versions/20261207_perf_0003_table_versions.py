"""perf: table versions, so cached results know when the tables they read have changed (issue 10)

Revision ID: perf_0003
Revises: perf_0002
Create Date: 2026-12-07 04:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'perf_0003'
down_revision = "perf_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'table_versions',
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_table_versions')),
    )


def downgrade():
    op.drop_table('table_versions')
