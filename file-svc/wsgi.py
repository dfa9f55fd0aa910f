"""gunicorn entry point: `gunicorn -c python:vs_common.gunicorn_conf wsgi:app`."""

from file_svc import create_app

app = create_app()
