"""perf: indexes for the case list, the change-of-provider queue and the client search (issue 10)

Revision ID: perf_0005
Revises: perf_0004
Create Date: 2026-12-07 06:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'perf_0005'
down_revision = "perf_0004"
branch_labels = None
depends_on = None


def upgrade():
    # The case list's page, newest change first: a unit's cases, or every case for the bureau, read in the
    # index's order and stopped at the page (it sorted every case of the county first).
    op.create_index('ix_cases_a_unit_updated', 'cases', ['a_unit_id', 'updated_at', 'id'])
    op.create_index('ix_cases_updated', 'cases', ['updated_at', 'id'])
    # The change-of-provider queue's order: submitted requests first, then newest first.
    op.create_index('ix_change_requests_queue', 'change_requests', [sa.text("(state <> 'SUBMITTED')"), sa.text('id DESC')])
    if op.get_bind().dialect.name == "postgresql":
        # The client search (portal.clients.models.client_search_condition): the characters of each name, and
        # each ID reversed, so that "ends with these digits" is a prefix an index finds.
        op.create_index('ix_clients_name_characters', 'clients', [sa.text('string_to_array(name, NULL)')],
                        postgresql_using='gin')
        op.create_index('ix_clients_national_id_reversed', 'clients', [sa.text('reverse(national_id) text_pattern_ops')])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index('ix_clients_national_id_reversed', table_name='clients')
        op.drop_index('ix_clients_name_characters', table_name='clients')
    op.drop_index('ix_change_requests_queue', table_name='change_requests')
    op.drop_index('ix_cases_updated', table_name='cases')
    op.drop_index('ix_cases_a_unit_updated', table_name='cases')
