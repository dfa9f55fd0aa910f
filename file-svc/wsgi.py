"""gunicorn entry point: `gunicorn -c gunicorn.conf.py wsgi:app`."""

from file_svc import create_app

app = create_app()
