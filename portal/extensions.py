"""Flask extensions, created without an app and bound in `create_app`."""
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData

# A naming convention so constraint names agree on SQLite and PostgreSQL and
# migrations can drop them by name (style.md §9).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


def engine_to_instrument(app, purpose: str):
    """The app's engine the first time `purpose` asks for it, else None: a module adds its engine events once,
    however often its `install` runs for apps that share the engine."""
    with app.app_context():
        engine = db.engine
    done = engine.__dict__.setdefault("_portal_instrumented", set())
    if purpose in done:
        return None
    done.add(purpose)
    return engine
