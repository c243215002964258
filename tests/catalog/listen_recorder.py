"""A local ListenBrainz endpoint the Supysonic peer forwards scrobbles to, so tests can read them."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ListenRecorder:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                recorder.received.append({"path": self.path, **body})
                self._answer({"status": "ok"})

            def do_GET(self) -> None:  # noqa: N802
                self._answer({"valid": True, "user_name": "peer"})

            def _answer(self, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def listens(self, listen_type: str = "single") -> list[dict[str, Any]]:
        return [
            listen
            for record in self.received
            if record.get("listen_type") == listen_type
            for listen in record.get("payload", [])
        ]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
