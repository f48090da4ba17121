"""perf: indexes for the dispatch recommendation (issue 10)

Revision ID: perf_0002
Revises: reports_0002
Create Date: 2026-11-25 19:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'perf_0002'
down_revision = "reports_0002"
branch_labels = None
depends_on = None


def upgrade():
    # Active dispatches per unit of one service type (open capacity) and each unit's latest first
    # services (average days to first service), for every B unit of the county at once.
    op.create_index('ix_b_dispatches_org_type_state', 'b_dispatches', ['organisation_id', 'service_type', 'state'])
    op.create_index('ix_b_dispatches_org_first_service', 'b_dispatches', ['organisation_id', 'first_service_on'])


def downgrade():
    op.drop_index('ix_b_dispatches_org_first_service', table_name='b_dispatches')
    op.drop_index('ix_b_dispatches_org_type_state', table_name='b_dispatches')
