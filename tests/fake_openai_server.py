"""A scripted OpenAI-compatible chat server on 127.0.0.1 for tests: it answers POST /v1/chat/completions
with queued replies, one per request, and records every request it saw (headers and JSON body)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer: a chat reply (`content`, or a function of the request body), or an HTTP error."""

    content: str | Callable[[dict[str, Any]], str] | None = None
    status: int = 200
    error: str = ""
    refusal: str | None = None
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # a body sent as is with HTTP 200 (not an OpenAI reply)
    trickle: float = 0.0  # seconds between the bytes of the answer: a server that never quite finishes


@dataclass
class Seen:
    headers: dict[str, str]
    body: dict[str, Any]


class FakeOpenAIServer:
    """Start with `with FakeOpenAIServer() as server:`; `server.url` is the base URL for the client."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}/v1"

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._http.shutdown()
        self._http.server_close()

    def _next(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
            if self.replies:
                return self.replies.pop(0)
        return Reply(status=500, error="no scripted reply left", headers={"x-should-retry": "false"})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}}, {})
                    return
                body = json.loads(raw)
                reply = server._next(Seen({k.lower(): v for k, v in self.headers.items()}, body))
                if reply.delay and server._stopping.wait(reply.delay):
                    return
                if reply.raw is not None:
                    self._send_raw(reply.raw, reply.trickle)
                    return
                if reply.status != 200:
                    self._send(reply.status, {"error": {"message": reply.error, "type": "invalid_request_error"}}, reply.headers)
                    return
                content = reply.content(body) if callable(reply.content) else reply.content
                self._send(200, {
                    "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": body.get("model", ""),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content, "refusal": reply.refusal}}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }, reply.headers)

            def _send_raw(self, data: bytes, trickle: float) -> None:
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    for index in range(len(data)):
                        if trickle and server._stopping.wait(trickle):
                            return
                        self.wfile.write(data[index : index + 1])
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler
