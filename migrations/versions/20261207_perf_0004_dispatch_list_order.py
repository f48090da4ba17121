"""perf: the dispatch list's order as an index (issue 10)

Revision ID: perf_0004
Revises: perf_0003
Create Date: 2026-12-07 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'perf_0004'
down_revision = "perf_0003"
branch_labels = None
depends_on = None


def upgrade():
    # The bureau's dispatch list (/dispatches): referrals first, then by deadline, newest first
    # (Dispatch.LIST_ORDER). Its first page is read from this index instead of sorting every dispatch of the
    # county (PostgreSQL county set: 29 → 0.5 ms).
    op.create_index('ix_b_dispatches_list_order', 'b_dispatches',
                    [sa.text("(state <> 'REFERRED')"), 'due_on', sa.text('id DESC')])


def downgrade():
    op.drop_index('ix_b_dispatches_list_order', table_name='b_dispatches')
