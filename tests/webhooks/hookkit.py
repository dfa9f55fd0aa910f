"""What the webhook tests share: a real receiver (a threaded HTTP server on a loopback
address that verifies every request's signature with the `standardwebhooks` library's
Webhook.verify, answers as the test scripts it, and can go down and come back on the
same port), and the admin API's calls."""

from __future__ import annotations

import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from harness import bearer, wait_until

ALL_EVENTS = ["video.ready", "video.failed", "video.deleted", "upload.completed"]


class Received:
    """One request the receiver got: its path, headers, body, and the body as verified
    (None, with `problem`, when the signature did not verify)."""

    def __init__(self, path: str, headers: dict[str, str], body: bytes, payload, problem: str | None):
        self.path, self.headers, self.body, self.payload, self.problem = path, headers, body, payload, problem

    @property
    def message_id(self) -> str:
        return self.headers.get("webhook-id", "")

    @property
    def type(self) -> str | None:
        return self.payload["type"] if self.payload else None


class Receiver:
    """A webhook receiver on `host` (a free port unless given). `secrets[path]` is the
    signing secret of the endpoint at that path (set once it is registered); every
    request is verified against it when it arrives. `script(path, *answers)` queues its
    next answers (a status, or (status, Location) for a redirect); 200 when none is
    queued. `delay` holds each answer that long (a slow endpoint)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, delay: float = 0.0):
        self.host, self.port, self.delay = host, port, delay
        self.secrets: dict[str, str] = {}
        self.received: list[Received] = []
        self._answers: dict[str, deque] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- running ------------------------------------------------------------------------
    def start(self) -> Receiver:
        """Listen (again, on the same port once it had one)."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver._got(self.path, dict(self.headers.items()), body)
                if receiver.delay:
                    time.sleep(receiver.delay)
                status, location = receiver._answer(self.path)
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True, name="receiver").start()
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused until start()."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def url(self, path: str = "/hook") -> str:
        return f"http://{self.host}:{self.port}{path}"

    # -- what it answers and got ----------------------------------------------------------
    def script(self, path: str, *answers) -> None:
        with self._lock:
            self._answers.setdefault(path, deque()).extend(answers)

    def _answer(self, path: str) -> tuple[int, str | None]:
        with self._lock:
            queued = self._answers.get(path)
            answer = queued.popleft() if queued else 200
        return answer if isinstance(answer, tuple) else (answer, None)

    def _got(self, path: str, headers: dict[str, str], body: bytes) -> None:
        headers = {k.lower(): v for k, v in headers.items()}
        secret = self.secrets.get(path.split("?")[0])
        payload, problem = None, None
        if secret is None:
            problem = "no secret known for this path"
        else:
            try:
                payload = Webhook(secret).verify(body, headers)
            except WebhookVerificationError as exc:
                problem = f"signature not verified: {exc}"
        with self._lock:
            self.received.append(Received(path, headers, body, payload, problem))

    def got(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.received if path is None or r.path == path]

    def events_about(self, video_id: str, path: str = "/hook") -> list[Received]:
        """The verified events whose VIDEO is `video_id`, in the order they came."""
        return [r for r in self.got(path) if r.payload and r.payload["data"]["id"] == video_id]

    def wait_event(self, event_type: str, video_id: str, path: str = "/hook", timeout: float = 90, log=None):
        """The first verified `event_type` about `video_id` (waiting for it)."""
        return wait_until(
            lambda: next((r for r in self.events_about(video_id, path) if r.type == event_type), None),
            timeout,
            f"{event_type} of {video_id} at {path}",
            log,
            interval=0.05,
        )


# -- the admin API ---------------------------------------------------------------------------


def register(st, token: str, url: str, events=None) -> requests.Response:
    return requests.post(
        st.url("auth") + "/api/webhooks",
        json={"url": url, "events": events or ALL_EVENTS},
        headers=bearer(token),
        timeout=30,
    )


def register_for(st, token: str, receiver: Receiver, path: str, events=None) -> dict:
    """Register the receiver's `path` as an endpoint; its JSON (with the secret), which
    the receiver then verifies that path's requests with."""
    resp = register(st, token, receiver.url(path), events)
    assert resp.status_code == 201, resp.text
    made = resp.json()
    receiver.secrets[path] = made["secret"]
    return made


def delivery_log(st, token: str, webhook_id: str) -> list[dict]:
    resp = requests.get(f"{st.url('auth')}/api/webhooks/{webhook_id}/deliveries", headers=bearer(token), timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()["deliveries"]


def unregister(st, token: str, webhook_id: str) -> None:
    resp = requests.delete(f"{st.url('auth')}/api/webhooks/{webhook_id}", headers=bearer(token), timeout=10)
    assert resp.status_code == 204, resp.text


def deliveries_of(st, message_id: str) -> list[dict]:
    """The delivery rows of an event, read from the database."""
    return st.query(
        "SELECT d.* FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE e.message_id = ?",
        (message_id,),
    )
