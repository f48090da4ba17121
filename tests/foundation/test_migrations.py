"""The schema is created only through migrations, and they match the models."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import Migrate

from portal.extensions import db


# SQLite cannot reflect expression indexes (ix_b_dispatches_list_order), so alembic skips them there with a
# warning; PostgreSQL compares them.
@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_models_and_migrations_agree(app):
    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            diff = compare_metadata(context, db.metadata)
    assert diff == [], f"run `flask db migrate`: models and migrations differ: {diff}"


def test_single_migration_head(app):
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several migration heads, merge them: {heads}"
