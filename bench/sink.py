"""A trivial HTTP sink: writes each request body to a file, answers 201. The baseline
of bench/ingest.py (`python -m bench.sink PORT DIR`)."""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHUNK = 1024 * 1024


def make_handler(folder: Path):
    class Sink(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # answers Expect: 100-continue, as gunicorn does

        def do_POST(self):  # noqa: N802 - http.server's naming
            left = int(self.headers.get("Content-Length", "0"))
            with open(folder / "upload.bin", "wb") as out:
                while left:
                    chunk = self.rfile.read(min(CHUNK, left))
                    if not chunk:
                        break
                    out.write(chunk)
                    left -= len(chunk)
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    return Sink


def main() -> None:
    port, folder = int(sys.argv[1]), Path(sys.argv[2])
    ThreadingHTTPServer(("127.0.0.1", port), make_handler(folder)).serve_forever()


if __name__ == "__main__":
    main()
