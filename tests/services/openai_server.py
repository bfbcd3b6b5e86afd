"""A small OpenAI-compatible HTTP server for tests: real HTTP, recorded requests, scripted replies.

`POST /v1/chat/completions` answers from a script (a list of `Reply`, one per request; the
last one repeats), `GET /v1/models` lists one model. Every request body is recorded so
tests can assert what left the application (privacy) and how often it was retried.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    content: str | None = None
    """The assistant message's content (a JSON document as text, usually)."""
    empty_choices: bool = False
    delay_s: float = 0.0
    prompt_tokens: int = 120
    completion_tokens: int = 80
    raw_body: str | None = None
    """Send this body verbatim instead of building a completion."""

    @classmethod
    def json(cls, payload: Any, **kwargs: Any) -> Reply:
        return cls(content=json.dumps(payload), **kwargs)

    @classmethod
    def error(cls, status: int, message: str = "scripted failure") -> Reply:
        body = json.dumps({"error": {"message": message, "type": "server_error", "code": None}})
        return cls(status=status, raw_body=body)


@dataclass
class Recorded:
    path: str
    body: dict[str, Any]
    raw: str
    headers: dict[str, str] = field(default_factory=dict)


class FakeOpenAI:
    """Start with `start()`; set `script`; read `requests`."""

    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.requests: list[Recorded] = []
        self._served = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def reset(self, *replies: Reply) -> None:
        with self._lock:
            self.script = list(replies)
            self.requests = []
            self._served = 0

    @property
    def completions(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def _next(self) -> Reply:
        with self._lock:
            if not self.script:
                return Reply.error(500, "no scripted reply")
            reply = self.script[min(self._served, len(self.script) - 1)]
            self._served += 1
            return reply

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
                data = body.encode()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)

            def do_GET(self) -> None:
                fake.requests.append(
                    Recorded(self.path, {}, "", {k.lower(): v for k, v in self.headers.items()})
                )
                if self.path.rstrip("/").endswith("/models"):
                    self._send(
                        200, json.dumps({"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
                    )
                else:
                    self._send(404, json.dumps({"error": {"message": "not found"}}))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {}
                with fake._lock:
                    fake.requests.append(
                        Recorded(self.path, body, raw, {k.lower(): v for k, v in self.headers.items()})
                    )
                reply = fake._next()
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                # Tiny retry delays keep the client's backoff fast in tests.
                headers = {"retry-after-ms": "10"} if reply.status >= 400 else {}
                if reply.raw_body is not None:
                    self._send(reply.status, reply.raw_body, headers)
                    return
                choices = (
                    []
                    if reply.empty_choices
                    else [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": reply.content, "refusal": None},
                        }
                    ]
                )
                completion = {
                    "id": f"chatcmpl-{fake._served}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model", "fake-model"),
                    "choices": choices,
                    "usage": {
                        "prompt_tokens": reply.prompt_tokens,
                        "completion_tokens": reply.completion_tokens,
                        "total_tokens": reply.prompt_tokens + reply.completion_tokens,
                    },
                }
                self._send(reply.status, json.dumps(completion), headers)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
