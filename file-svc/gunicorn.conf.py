"""file-svc gunicorn config: the shared settings, plus the packaging workers.

The gunicorn master starts `python -m file_svc.packager` when ready, restarts it if it
dies, and stops it on exit; the packager dies with the master (PR_SET_PDEATHSIG), so a
SIGKILL of file-svc never leaves ffmpeg running behind it.
"""

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time

from vs_common.gunicorn_conf import *  # noqa: F403

_state = {"proc": None, "stopping": False}


def _die_with_parent():
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _supervise(server):
    while not _state["stopping"]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "file_svc.packager"], preexec_fn=_die_with_parent, cwd=os.getcwd()
        )
        _state["proc"] = proc
        code = proc.wait()
        if _state["stopping"] or code == 0:
            return  # stopped on purpose (SIGTERM to the process group, or on_exit)
        server.log.error("packager exited with %s; restarting in 2 s", code)
        time.sleep(2)


def when_ready(server):
    if os.environ.get("PACKAGER", "1") == "1":
        threading.Thread(target=_supervise, args=(server,), daemon=True, name="packager-supervisor").start()


def on_exit(server):
    _state["stopping"] = True
    proc = _state["proc"]
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
