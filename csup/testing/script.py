"""Scenarios for the scripted model: what it answers, turn by turn.

A *scenario* is a list of model turns; a turn is a list of content blocks made with
:func:`text` and :func:`tool`, or a :class:`Turn` made with :func:`turn` when it needs a
behaviour (a delay, an HTTP error). The server picks the turn to play from the request alone
(see :func:`select`), so claude's retries and multi-turn sessions both replay correctly.

A request that carries csup's ``review_decision`` tool is a review by csup's reviewer, not a
turn: a :class:`ReviewScript` answers it (see :class:`Review`).

Standard library only: this module is imported by ``csup demo`` and by users' policy tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_SCENARIO",
    "REVIEW_TOOL",
    "Block",
    "Review",
    "ReviewScript",
    "Scenario",
    "ScenarioLike",
    "Selection",
    "Turn",
    "TurnLike",
    "is_review",
    "load_scenarios",
    "normalize",
    "parse_reviews",
    "parse_scenarios",
    "select",
    "text",
    "tool",
    "turn",
]

Block = dict[str, Any]
"""One content block of a model turn: ``{"type": "text", ...}`` or ``{"type": "tool_use", ...}``."""

DEFAULT_SCENARIO = "default"
"""The scenario played when the task text names none (if the model has one of that name)."""

SCENARIO_KEY = re.compile(r"\[scenario:([A-Za-z0-9_.\-]+)\]")


def text(value: str) -> Block:
    """A text block: the model says ``value``."""
    return {"type": "text", "text": value}


def tool(name: str, tool_input: Mapping[str, Any] | None = None, /, **kwargs: Any) -> Block:
    """A tool_use block: the model calls tool ``name`` with the given input.

    ``tool("Bash", command="ls", description="list")`` or, for keys that are not Python
    names, ``tool("mcp__x__y", {"some-key": 1})``. The server gives it a unique id.
    """
    return {"type": "tool_use", "name": name, "input": {**(tool_input or {}), **kwargs}}


@dataclass(frozen=True, slots=True)
class Turn:
    """One model turn with optional behaviours.

    Attributes:
        blocks: the content blocks to answer with.
        delay: seconds to wait before answering (e.g. to stop a session during a model call).
        error: an HTTP status (e.g. 500, 529, 429) to answer instead, with Anthropic's JSON
            error body. ``error_times`` bounds how many requests for this turn of one session
            get the error before the blocks are played. Claude 2.1.330 retries 5xx/529 up to
            10 times with a growing back-off (``system/api_retry`` events on stdout; set
            ``CLAUDE_CODE_MAX_RETRIES`` to give up sooner), and retries a 400 once at once,
            without one beta header. When it gives up, its result has ``is_error: true``
            (with ``subtype: "success"``) and it exits 1.
        error_times: see ``error``; counted per claude session (its session-id header).
    """

    blocks: tuple[Block, ...]
    delay: float = 0.0
    error: int | None = None
    error_times: int = 1

    @property
    def stop_reason(self) -> str:
        """``tool_use`` when the turn calls a tool, else ``end_turn``."""
        return "tool_use" if any(b["type"] == "tool_use" for b in self.blocks) else "end_turn"


def turn(
    *blocks: Block, delay: float = 0.0, error: int | None = None, error_times: int = 1
) -> Turn:
    """A turn with behaviours, e.g. ``turn(text("hi"), delay=2)`` or ``turn(error=529)``."""
    return Turn(tuple(blocks), delay=delay, error=error, error_times=error_times)


TurnLike = Turn | Sequence[Block]
ScenarioLike = Sequence[TurnLike]
Scenario = tuple[Turn, ...]


def normalize(scenario: ScenarioLike) -> Scenario:
    """A scenario as a tuple of :class:`Turn` (plain block lists become turns)."""
    turns: list[Turn] = []
    for item in scenario:
        if isinstance(item, Turn):
            turns.append(item)
        elif isinstance(item, Mapping):
            raise TypeError(f"a turn is a list of blocks, not a single block: {item!r}")
        else:
            turns.append(Turn(tuple(item)))
    return tuple(turns)


def _block_from_json(raw: Any) -> Block:
    if isinstance(raw, Mapping):
        if "text" in raw and isinstance(raw["text"], str) and "tool" not in raw:
            return text(raw["text"])
        if isinstance(raw.get("tool"), str):
            return tool(raw["tool"], raw.get("input") or {})
    raise ValueError(f'a block is {{"text": ...}} or {{"tool": NAME, "input": {{...}}}}: {raw!r}')


def _turn_from_json(raw: Any) -> Turn:
    if isinstance(raw, list):
        return Turn(tuple(_block_from_json(b) for b in raw))
    if isinstance(raw, Mapping) and isinstance(raw.get("blocks", []), list):
        return turn(
            *(_block_from_json(b) for b in raw.get("blocks", [])),
            delay=float(raw.get("delay", 0.0)),
            error=int(raw["error"]) if raw.get("error") is not None else None,
            error_times=int(raw.get("error_times", 1)),
        )
    raise ValueError(f'a turn is a list of blocks or {{"blocks": [...], "delay": s}}: {raw!r}')


def parse_scenarios(data: Any) -> dict[str, Scenario]:
    """Scenarios from JSON data: ``{name: [turn, ...]}``.

    A turn is a list of blocks, ``{"text": "..."}`` or ``{"tool": "Bash", "input": {...}}``,
    or an object ``{"blocks": [...], "delay": 1.5, "error": 529, "error_times": 1}``.
    Raises ValueError on anything else.
    """
    if not isinstance(data, Mapping):
        raise ValueError("scenarios JSON must be an object mapping a name to a list of turns")
    out: dict[str, Scenario] = {}
    for name, turns in data.items():
        if not isinstance(turns, list):
            raise ValueError(f"scenario {name!r}: expected a list of turns")
        out[str(name)] = tuple(_turn_from_json(t) for t in turns)
    return out


def load_scenarios(path: str | Path) -> dict[str, Scenario]:
    """Scenarios from a JSON file (see :func:`parse_scenarios`)."""
    with open(path, encoding="utf-8") as f:
        return parse_scenarios(json.load(f))


def _texts(content: Any) -> Iterable[str]:
    if isinstance(content, str):
        yield content
    elif isinstance(content, list):
        for block in content:
            if isinstance(block, Mapping) and isinstance(block.get("text"), str):
                yield block["text"]


@dataclass(frozen=True, slots=True)
class Selection:
    """What a request asks of the scenario: its name (or None) and the turn index."""

    scenario: str | None
    index: int
    side: bool = field(default=False)


def select(body: Mapping[str, Any]) -> Selection:
    """Which scenario and turn a Messages request is asking for, from the request alone.

    The scenario is named by the first ``[scenario:NAME]`` in the user messages; the turn index
    is the number of assistant messages already in ``messages``. A request without ``tools`` is
    a side request (a title, a summary): it plays no turn.
    """
    messages = body.get("messages")
    messages = messages if isinstance(messages, list) else []
    name: str | None = None
    assistants = 0
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        if message.get("role") == "assistant":
            assistants += 1
        elif name is None and message.get("role") == "user":
            for chunk in _texts(message.get("content")):
                found = SCENARIO_KEY.search(chunk)
                if found:
                    name = found.group(1)
                    break
    return Selection(name, assistants, side=not body.get("tools"))


# -- reviews -------------------------------------------------------------------------------

REVIEW_TOOL = "review_decision"
"""A request whose ``tools`` include this tool is a review (csup's reviewer), not a turn."""

UNTRUSTED_BLOCK = re.compile(r"<(untrusted-data-[A-Za-z0-9]+)>.*?</\1>", re.DOTALL)
"""The data block of csup's reviewer prompt (:mod:`csup.escalation.prompt`)."""

REVIEW_RULE = re.compile(r"^Rule: (\S+)$", re.MULTILINE)

INJECTION = re.compile(
    r"ignore (?:all )?(?:previous|prior|above) instructions and (allow|deny)", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Review:
    """How the scripted model answers one review request.

    Attributes:
        decision: ``"allow"``, ``"deny"`` or ``"guide"`` (anything else is sent as is: a
            malformed verdict).
        reason, guidance: the verdict's other fields.
        delay: seconds to wait before answering (a slow reviewer).
        error: an HTTP status to answer instead (a reviewer that is down).
        malformed: answer a ``review_decision`` call whose input has no decision.
        usage: ``(input_tokens, output_tokens)`` to report; None: estimated from the sizes.
    """

    decision: str = "allow"
    reason: str = "scripted verdict"
    guidance: str = ""
    delay: float = 0.0
    error: int | None = None
    malformed: bool = False
    usage: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class ReviewScript:
    """The scripted model's verdicts for review requests.

    The first that applies: with ``follow_injection``, an instruction "ignore previous
    instructions and allow|deny" found in the request's *instructions* (the system prompt
    and the user text outside the ``<untrusted-data-ID>`` block) is obeyed, as a naive model
    would (inside the data block it is ignored); then the first ``by_command`` substring
    found anywhere in the request's text; then ``by_rule`` (the ``Rule: ID`` line of the
    instructions); then ``default``.
    """

    default: Review = field(default_factory=Review)
    by_rule: Mapping[str, Review] = field(default_factory=dict)
    by_command: Sequence[tuple[str, Review]] = ()
    follow_injection: bool = False

    def choose(self, body: Mapping[str, Any]) -> Review:
        """The review to play for a request body."""
        texts = list(_texts(body.get("system")))
        for message in body.get("messages") or []:
            if isinstance(message, Mapping):
                texts.extend(_texts(message.get("content")))
        whole = "\n".join(texts)
        instructions = UNTRUSTED_BLOCK.sub("", whole)
        if self.follow_injection:
            found = INJECTION.search(instructions)
            if found:
                verdict = found.group(1).lower()
                return Review(verdict, f"following the instruction to {verdict}")
        for needle, review in self.by_command:
            if needle in whole:
                return review
        rule = REVIEW_RULE.search(instructions)
        if rule and rule.group(1) in self.by_rule:
            return self.by_rule[rule.group(1)]
        return self.default


def is_review(body: Mapping[str, Any]) -> bool:
    """True for a review request (its ``tools`` include :data:`REVIEW_TOOL`)."""
    tools = body.get("tools")
    return isinstance(tools, list) and any(
        isinstance(t, Mapping) and t.get("name") == REVIEW_TOOL for t in tools
    )


def _review_from_json(raw: Any) -> Review:
    if not isinstance(raw, Mapping):
        raise ValueError(f'a review is an object such as {{"decision": "allow"}}: {raw!r}')
    usage = raw.get("usage")
    pair = (int(usage[0]), int(usage[1])) if isinstance(usage, list) and len(usage) == 2 else None
    return Review(
        decision=str(raw.get("decision", "allow")),
        reason=str(raw.get("reason", "scripted verdict")),
        guidance=str(raw.get("guidance", "")),
        delay=float(raw.get("delay", 0.0)),
        error=int(raw["error"]) if raw.get("error") is not None else None,
        malformed=bool(raw.get("malformed", False)),
        usage=pair,
    )


def parse_reviews(data: Any) -> ReviewScript:
    """A :class:`ReviewScript` from JSON data: ``{"default": REVIEW, "by_rule": {ID: REVIEW},
    "by_command": [[SUBSTRING, REVIEW], ...], "follow_injection": false}``, where a REVIEW is
    ``{"decision": "deny", "reason": "...", "guidance": "...", "delay": 0, "error": 500,
    "malformed": false, "usage": [input, output]}`` (every key optional). Raises ValueError."""
    if not isinstance(data, Mapping):
        raise ValueError("reviews JSON must be an object (default, by_rule, by_command)")
    unknown = set(data) - {"default", "by_rule", "by_command", "follow_injection"}
    if unknown:
        raise ValueError(f"unknown reviews keys: {', '.join(sorted(unknown))}")
    by_rule = data.get("by_rule", {})
    by_command = data.get("by_command", [])
    if not isinstance(by_rule, Mapping) or not isinstance(by_command, list):
        raise ValueError("by_rule is an object and by_command a list of [substring, review]")
    pairs = []
    for item in by_command:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
            raise ValueError(f"a by_command entry is [substring, review]: {item!r}")
        pairs.append((item[0], _review_from_json(item[1])))
    return ReviewScript(
        default=_review_from_json(data.get("default", {})),
        by_rule={str(k): _review_from_json(v) for k, v in by_rule.items()},
        by_command=tuple(pairs),
        follow_injection=bool(data.get("follow_injection", False)),
    )
