"""gunicorn entry point: `gunicorn wsgi:app`."""

from auth_svc import create_app

app = create_app()
