"""A scripted stand-in for the Anthropic Messages API, for driving the real claude binary.

Claude Code started with ``ANTHROPIC_BASE_URL=<model.base_url>`` (see
:func:`csup.testing.claude_env`) sends every model request here. Each request plays one turn
of a scenario chosen by ``[scenario:NAME]`` in the task text; see :mod:`csup.testing.script`.

    with ScriptedModel({"write": [[text("Writing."), tool("Write", file_path="a.txt",
                                                          content="x")],
                                  [text("Done.")]]}) as model:
        env = claude_env(home=tmp_path / "home", model=model)
        ...  # run claude with env and "[scenario:write] ..." as the task
        model.tool_results("write")   # what claude sent back for each tool call

A request whose ``tools`` include ``review_decision`` is a review by csup's reviewer: it is
answered with a ``review_decision`` call chosen by the model's :class:`ReviewScript` (a
verdict per rule, per command substring, or a default; or slow, an HTTP error, a malformed
answer), with the usage it reports recorded on the request (``kind == "review"``).

Endpoints: ``POST /v1/messages`` (streaming SSE or plain JSON), ``POST
/v1/messages/count_tokens``; anything else gets a 404 with Anthropic's JSON error body. Every
request is recorded in :attr:`ScriptedModel.requests`.

Run ``python -m csup.testing.model_server --scenarios FILE.json [--reviews FILE.json]`` to
serve by hand.
Standard library only (no pykka, no click): it is cheap to import from tests and demos.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import socket
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from csup.testing import messages
from csup.testing.scenarios import DEMO_SCENARIOS
from csup.testing.script import (
    DEFAULT_SCENARIO,
    REVIEW_TOOL,
    ReviewScript,
    Scenario,
    ScenarioLike,
    Turn,
    is_review,
    normalize,
    parse_reviews,
    select,
    text,
)
from csup.testing.script import load_scenarios as _load_scenarios

__all__ = ["RecordedRequest", "ScriptedModel", "ToolResult", "main"]

HEADERS_KEPT = (
    "anthropic-beta",
    "anthropic-version",
    "content-type",
    "user-agent",
    "x-app",
    "x-claude-code-session-id",
    "x-stainless-retry-count",
)


class RecordedRequest(dict[str, Any]):
    """One request as received: the parsed JSON body (the dict itself), plus attributes.

    Attributes:
        method: ``"POST"``, ``"GET"``, ...
        path: the path without the query string, e.g. ``/v1/messages``.
        query: the query string (``beta=true``).
        headers: a subset of the headers (:data:`HEADERS_KEPT`), names lower-case.
        kind: ``"turn"`` (played a scenario turn), ``"side"`` (no tools: a title etc.),
            ``"review"`` (a review by csup's reviewer), ``"count_tokens"`` or ``"other"``.
        scenario: the scenario name played (``None`` if none).
        turn: the turn index played, or ``None``.
        usage: for a review answered, the usage reported in the answer; else ``None``.
    """

    method: str
    path: str
    query: str
    headers: dict[str, str]
    kind: str
    scenario: str | None
    turn: int | None
    usage: dict[str, int] | None


@dataclass(frozen=True, slots=True)
class ToolResult:
    """A tool_result claude sent back to the model, with the tool_use it answers."""

    tool_use_id: str
    name: str | None
    input: Mapping[str, Any] | None
    content: str
    is_error: bool


def _flatten(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            b["text"] for b in content if isinstance(b, dict) and isinstance(b.get("text"), str)
        )
    return "" if content is None else json.dumps(content)


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # joined by server_close(), after their connections are shut down
    block_on_close = True
    model: ScriptedModel

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # a client gone away is no error
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed ACK
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.model._lock:
            self.server.model._connections.add(self.connection)

    def finish(self) -> None:
        with self.server.model._lock:
            self.server.model._connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: requests are recorded, not logged."""

    def _serve(self) -> None:
        model = self.server.model
        with model._lock:
            model._busy.add(self.connection)
        try:
            self._answer()
        finally:
            with model._lock:  # paired with stop(): either it shuts us down or we close
                model._busy.discard(self.connection)
                if model._stopping.is_set():
                    self.close_connection = True

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items() if k.lower() in HEADERS_KEPT}
        status, ctype, payload = self.server.model._respond(self.command, self.path, headers, raw)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("request-id", "req_scripted")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_POST = do_GET = do_HEAD = do_PUT = do_DELETE = _serve


class ScriptedModel:
    """The scripted Messages API server; a context manager that serves on 127.0.0.1.

    Args:
        scenarios: name → list of turns (each a list of :func:`text` / :func:`tool` blocks or
            a :func:`turn`).
        default: the scenario played when the task text names none; if there is no scenario
            of that name, such sessions get a plain ``end_turn`` with ``final_text``.
        final_text: the text answered once a scenario is exhausted.
        side_text: the text answered to side requests (no ``tools``: titles, summaries).
        reviews: how review requests (csup's reviewer) are answered; default: allow.
        port: 0 for a free port.
    """

    def __init__(
        self,
        scenarios: Mapping[str, ScenarioLike] | None = None,
        *,
        default: str = DEFAULT_SCENARIO,
        final_text: str = "Done.",
        side_text: str = "Scripted session",
        reviews: ReviewScript | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.scenarios: dict[str, Scenario] = {
            name: normalize(turns) for name, turns in (scenarios or {}).items()
        }
        self.default = default
        self.final_text = final_text
        self.side_text = side_text
        self.reviews = reviews or ReviewScript()
        self._address = (host, port)
        self._lock = threading.Condition()
        self._requests: list[RecordedRequest] = []
        self._errors_served: dict[tuple[str, str | None, int], int] = {}
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._busy: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> ScriptedModel:
        """Bind and serve in a background thread. Returns self."""
        if self._server is not None:
            raise RuntimeError("ScriptedModel already started")
        self._stopping.clear()
        server = _Server(self._address, _Handler)
        server.model = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="scripted-model"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every connection and join every thread. Idempotent."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        thread.join()
        with self._lock:
            self._stopping.set()  # handlers answering now close their connection after it
            idle = self._connections - self._busy
        for conn in idle:  # wake handlers waiting on a keep-alive connection's next request
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()  # joins the handler threads
        self._server = self._thread = None

    def __enter__(self) -> ScriptedModel:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port served on (only while started)."""
        if self._server is None:
            raise RuntimeError("ScriptedModel not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: the value for ``ANTHROPIC_BASE_URL``."""
        return f"http://{self._address[0]}:{self.port}"

    # -- what was asked --------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received, oldest first."""
        with self._lock:
            return list(self._requests)

    def turn_requests(self, scenario: str | None = None) -> list[RecordedRequest]:
        """The requests that played a scenario turn (of ``scenario`` if given)."""
        return [
            r
            for r in self.requests
            if r.kind == "turn" and (scenario is None or r.scenario == scenario)
        ]

    def review_requests(self) -> list[RecordedRequest]:
        """The review requests answered (or failed), oldest first."""
        return [r for r in self.requests if r.kind == "review"]

    def tool_results(self, scenario: str | None = None) -> list[ToolResult]:
        """Every tool_result claude sent back (once each, first seen), with its tool_use."""
        seen: dict[str, ToolResult] = {}
        for request in self.turn_requests(scenario):
            uses: dict[str, Mapping[str, Any]] = {}
            for msg in request.get("messages") or []:
                content = msg.get("content") if isinstance(msg, dict) else None
                for block in content if isinstance(content, list) else []:
                    if not isinstance(block, dict):
                        continue
                    if block.get("type") == "tool_use":
                        uses[str(block.get("id"))] = block
                    elif block.get("type") == "tool_result":
                        use_id = str(block.get("tool_use_id"))
                        use = uses.get(use_id, {})
                        seen.setdefault(
                            use_id,
                            ToolResult(
                                tool_use_id=use_id,
                                name=use.get("name"),
                                input=use.get("input"),
                                content=_flatten(block.get("content")),
                                is_error=bool(block.get("is_error")),
                            ),
                        )
        return list(seen.values())

    def wait_for(self, predicate: Callable[[list[RecordedRequest]], bool], timeout: float) -> bool:
        """Wait until ``predicate(requests)`` holds; False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: predicate(list(self._requests)), timeout)

    # -- answering -------------------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)
            self._lock.notify_all()

    def _respond(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, str, bytes]:
        url = urlsplit(target)
        body: Any = {}
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        request = RecordedRequest(body if isinstance(body, dict) else {})
        request.method, request.path, request.query, request.headers = (
            method,
            url.path,
            url.query,
            headers,
        )
        request.kind, request.scenario, request.turn = "other", None, None
        request.usage = None
        if method == "POST" and url.path == "/v1/messages/count_tokens":
            request.kind = "count_tokens"
            self._record(request)
            return _json(200, {"input_tokens": messages.estimate_tokens(request)})
        if method in ("GET", "HEAD") and url.path in ("/", "/api/hello"):
            self._record(request)  # claude's connectivity check, unless nonessential traffic is off
            return _json(200, {})
        if method != "POST" or url.path != "/v1/messages":
            self._record(request)
            return _json(404, messages.error_body(404, f"{method} {url.path}: not scripted"))
        if not isinstance(body, dict):
            self._record(request)
            return _json(400, messages.error_body(400, "request body is not a JSON object"))
        if is_review(body):
            return self._review(request)
        return self._play(request)

    def _review(self, request: RecordedRequest) -> tuple[int, str, bytes]:
        """Answer a review request with the verdict the review script chooses."""
        request.kind = "review"
        review = self.reviews.choose(request)
        self._record(request)
        if review.delay and self._stopping.wait(review.delay):
            return _json(529, messages.error_body(529, "scripted model stopping"))
        if review.error is not None:
            return _json(review.error, messages.error_body(review.error, "scripted error"))
        verdict: dict[str, Any] = {
            "decision": review.decision,
            "reason": review.reason,
            "guidance": review.guidance,
        }
        if review.malformed:
            verdict = {"verdict": "yes", "why": review.reason}
        block = {
            "type": "tool_use",
            "id": f"toolu_{next(self._ids):04d}",
            "name": REVIEW_TOOL,
            "input": verdict,
        }
        msg = messages.message(
            f"msg_{next(self._ids):04d}",
            str(request.get("model") or "claude-scripted"),
            [block],
            "tool_use",
            messages.estimate_tokens(request),
        )
        if review.usage is not None:
            msg["usage"]["input_tokens"], msg["usage"]["output_tokens"] = review.usage
        with self._lock:
            request.usage = dict(msg["usage"])
        if request.get("stream"):
            return 200, "text/event-stream", messages.sse_stream(msg)
        return _json(200, msg)

    def _play(self, request: RecordedRequest) -> tuple[int, str, bytes]:
        chosen = select(request)
        turn: Turn | None = None
        if chosen.side:
            request.kind = "side"
            blocks: list[dict[str, Any]] = [text(self.side_text)]
        else:
            name = chosen.scenario or self.default
            request.kind, request.scenario, request.turn = "turn", name, chosen.index
            scenario = self.scenarios.get(name)
            if scenario is None and chosen.scenario is not None:
                blocks = [text(f"csup scripted model: no scenario {name!r}.")]
            elif scenario is None or chosen.index >= len(scenario):
                blocks = [text(self.final_text)]
            else:
                turn = scenario[chosen.index]
                blocks = [dict(b) for b in turn.blocks]
        self._record(request)
        if turn is not None:
            if turn.delay and self._stopping.wait(turn.delay):
                return _json(529, messages.error_body(529, "scripted model stopping"))
            if turn.error is not None and self._count_error(request, turn):
                return _json(turn.error, messages.error_body(turn.error, "scripted error"))
        for block in blocks:
            if block["type"] == "tool_use":
                block["id"] = f"toolu_{next(self._ids):04d}"
        stop_reason = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
        msg = messages.message(
            f"msg_{next(self._ids):04d}",
            str(request.get("model") or "claude-scripted"),
            blocks,
            stop_reason,
            messages.estimate_tokens(request.get("messages") or []),
        )
        if request.get("stream"):
            return 200, "text/event-stream", messages.sse_stream(msg)
        return _json(200, msg)

    def _count_error(self, request: RecordedRequest, turn: Turn) -> bool:
        """True if this request for ``turn`` still gets the scripted error (per session)."""
        session = request.headers.get("x-claude-code-session-id") or _metadata_user(request)
        key = (session, request.scenario, request.turn or 0)
        with self._lock:
            served = self._errors_served.get(key, 0)
            if served >= turn.error_times:
                return False
            self._errors_served[key] = served + 1
            return True


def _metadata_user(body: Mapping[str, Any]) -> str:
    metadata = body.get("metadata")
    return str(metadata.get("user_id", "")) if isinstance(metadata, dict) else ""


def _json(status: int, data: Any) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(data).encode()


def main(argv: list[str] | None = None) -> int:
    """``python -m csup.testing.model_server``: serve scenarios until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m csup.testing.model_server",
        description="Serve a scripted Anthropic Messages API on 127.0.0.1 for claude.",
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument(
        "--scenarios",
        metavar="FILE.json",
        help='{"name": [[{"text": "..."}, {"tool": "Bash", "input": {...}}], ...]}; '
        "default: the built-in demo scenarios",
    )
    parser.add_argument(
        "--reviews",
        metavar="FILE.json",
        help='verdicts for csup\'s reviewer: {"default": {"decision": "deny", "reason": "..."}, '
        '"by_rule": {"net.publish": {...}}, "by_command": [["git push", {...}]]}; '
        "default: allow everything",
    )
    args = parser.parse_args(argv)
    reviews = None
    if args.reviews:
        try:
            with open(args.reviews, encoding="utf-8") as handle:
                reviews = parse_reviews(json.load(handle))
        except (OSError, ValueError) as exc:
            parser.error(f"--reviews {args.reviews}: {exc}")
    if args.scenarios:
        try:
            scenarios: Mapping[str, ScenarioLike] = _load_scenarios(args.scenarios)
        except (OSError, ValueError) as exc:
            parser.error(f"--scenarios {args.scenarios}: {exc}")
    else:
        scenarios = DEMO_SCENARIOS
    served = ScriptedModel(scenarios, port=args.port, reviews=reviews)
    with contextlib.suppress(KeyboardInterrupt), served as model:
        print(model.base_url, flush=True)
        print(f"scenarios: {', '.join(sorted(scenarios)) or '(none)'}", file=sys.stderr)
        threading.Event().wait()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
