"""perf: indexes for county-scale lists (issue 10)

Revision ID: perf_0001
Revises: establishment_0002
Create Date: 2026-11-25 15:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'perf_0001'
down_revision = "establishment_0002"
branch_labels = None
depends_on = None


def upgrade():
    # Client lists check "this client, this unit, access not ended" for every row they show.
    op.create_index('ix_client_access_client_org', 'client_access', ['client_id', 'organisation_id', 'ended_at'])


def downgrade():
    op.drop_index('ix_client_access_client_org', table_name='client_access')
