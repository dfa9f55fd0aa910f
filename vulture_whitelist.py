"""What vulture (make lint) takes for unused but something outside our code uses.

Read by vulture only, never imported. Patterns that cover a whole kind (Flask's route
and hook decorators, pytest's hooks and `pytestmark`, http.server's handler methods)
are in pyproject.toml's [tool.vulture]; here are the single names, each with its user.
"""

# Attributes a library reads.
_.trust_env  # requests.Session: ignore proxy variables (auth_client, file_client, bench/mixed)
_.row_factory  # sqlite3.Connection (db.py, harness)
_.request_started  # flask.g, read back with g.get() (observe.py)
_._log_add_style  # werkzeug.serving's switch for coloured request lines (logs.py)
_.exc_text  # logging.Formatter.format's cached traceback, reset by logs.TextFormatter

# gunicorn reads these settings and hooks from common/vs_common/gunicorn_conf.py.
worker_class
graceful_timeout
keepalive
accesslog
access_log_format
errorlog
forwarded_allow_ips
limit_request_field_size
control_socket_disable
logger_class
on_starting
child_exit
on_exit
post_fork

# The io.RawIOBase protocol of file-svc's streamed S3 body (storage.py): io's buffering calls them.
_.seekable
_.tell
_.readinto
# html.parser.HTMLParser calls it for each tag (tests/sharing: the share pages' tags).
_.handle_starttag
# Issue 22's settings, read by the parts being built (remove each once it is used).
