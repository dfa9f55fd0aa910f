"""Real components for the tests, the benchmarks and `make run`, a module per concern:

- basics: a free port, waiting for a condition, stopping a process we started;
- processes: the five processes, listed once (name, folder, command, port);
- components: MariaDB, the S3 store (SeaweedFS) and the TCP proxy a test can cut;
- stack: Service and Stack, the processes wired together on free ports;
- client: the API as a person's client calls it (Api, bearer);
- state: what a stack holds behind its API (rows, objects, temp files);
- procfs: processes found in /proc (trees, CPU time, memory, command lines);
- media: test clips made by ffmpeg, ffprobe of a stream;
- apps: the services' Flask apps built in this process (unit tests);
- browser: how Chromium is started (the browser tests and bench.ttff).

`import harness` gives the names below; the modules can be imported on their own.
"""

from .apps import embedded_settings, in_process_app, served
from .basics import free_port, stop_process, wait_until
from .client import TEST_PASSWORD, Api, bearer, hidden_redirect
from .components import MariaDB, S3Server, TcpProxy
from .media import ffprobe_url, make_clip
from .processes import BIN, PROCESSES, ROOT, Process
from .stack import Service, Stack, own_stack, stack_env
from .state import StackState

__all__ = [
    "BIN",
    "PROCESSES",
    "ROOT",
    "TEST_PASSWORD",
    "Api",
    "MariaDB",
    "Process",
    "S3Server",
    "Service",
    "Stack",
    "StackState",
    "TcpProxy",
    "bearer",
    "embedded_settings",
    "ffprobe_url",
    "free_port",
    "hidden_redirect",
    "in_process_app",
    "make_clip",
    "own_stack",
    "served",
    "stack_env",
    "stop_process",
    "wait_until",
]
