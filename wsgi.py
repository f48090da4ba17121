"""Entry point for gunicorn (`gunicorn wsgi:app`) and `flask` (FLASK_APP=wsgi:app)."""
from portal import create_app

app = create_app()
