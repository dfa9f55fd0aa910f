"""Shared gunicorn settings: `gunicorn -c python:vs_common.gunicorn_conf wsgi:app`.

Threads (gthread) so that a long upload or a slow reader holds a thread, not a process.
PORT, WEB_CONCURRENCY and GUNICORN_THREADS tune it; the same command runs under
`make run`, the tests and the containers.
"""

import os

bind = f"{os.environ.get('BIND_HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
timeout = 120
graceful_timeout = 10
keepalive = 15
accesslog = "-" if os.environ.get("ACCESS_LOG", "1") == "1" else None
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
limit_request_field_size = 16384
# gunicorn >= 25 opens a control socket at one fixed path per user: several services
# on one machine would fight over it. Older versions ignore this setting.
control_socket_disable = True
