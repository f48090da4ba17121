"""perf: the client list's scope check reads the unit's own index (issue 10)

Revision ID: perf_0007
Revises: perf_0006
Create Date: 2026-12-07 10:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'perf_0007'
down_revision = "perf_0006"
branch_labels = None
depends_on = None


def upgrade():
    # An A unit's client list walks the clients by name and asks, for each, "does this unit have an active link?".
    # With the one-column index on client_id PostgreSQL answered from each link row (6.2 ms for a page at county
    # scale); without it, from ix_client_access_org_active_client alone (2.9 ms). Both one-column indexes begin
    # the composite ones (client_id: ix_client_access_client_org), so nothing else loses an index.
    op.drop_index('ix_client_access_client_id', table_name='client_access')
    op.drop_index('ix_client_access_organisation_id', table_name='client_access')


def downgrade():
    op.create_index('ix_client_access_organisation_id', 'client_access', ['organisation_id'])
    op.create_index('ix_client_access_client_id', 'client_access', ['client_id'])
