"""The policy: one decision per tool call, and how a policy is found and loaded.

Order of judgement, first answer wins:

1. ``deny_tool`` lists the tool: deny.
2. A built-in rule finds the call dangerous (rm -rf of home, force push, curl | sh, secrets,
   switching csup off, ...): deny, at every level and whatever the allow rules say, unless
   an ``[[exception]]`` of the policy file excepts that rule for this command (see
   :mod:`._exceptions`). A built-in rule's deny or ask ends with its id and the
   ``csup allow`` line that would except it.
3. The user's rules (policy file, and Claude Code's settings if asked), deny before ask
   before allow.
4. ``allow_tool`` lists the tool: allow.
5. The level: ``permissive`` allows; ``moderate`` asks if a built-in rule found the call
   leaving the workspace (outside paths, network, publishing, sudo) and allows otherwise;
   ``strict`` asks.
"""

from __future__ import annotations

import os
from fnmatch import fnmatchcase

from csup.calls import Decision, ToolCall, allow, ask, deny
from csup.errors import ConfigError
from csup.policy._file import LEVELS, PolicyConfig

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from csup.policy._claude_rules import RuleSet
    from csup.policy._memory import SessionMemory
    from csup.policy.rules.base import Context, Finding
    from csup.policy.syntax.command import Analysis

# The rule modules (regexes, tree-sitter glue) load on the first decision, not on import:
# `csup hook` imports this package once per tool call.

DEFAULT_LEVEL = "moderate"


_UNKNOWN_AT_EVERY_LEVEL = frozenset({"exec.written-then-run"})
"""Asks that stand for "csup cannot know what this runs": asked at ``permissive`` too."""


class Policy:
    """Decides on tool calls. Immutable after construction: thread-safe, and never raises."""

    def __init__(self, config: PolicyConfig | None = None) -> None:
        config = config or PolicyConfig()
        if config.level not in LEVELS:
            raise ConfigError(f"Unknown policy level {config.level!r}: use {', '.join(LEVELS)}")
        self.config = config
        self.level: str = config.level

    def __repr__(self) -> str:
        return f"Policy(level={self.level!r}, source={self.config.source!r})"

    def decide(self, request: ToolCall, memory: SessionMemory | None = None) -> Decision:
        """The decision on one tool call. Fails closed: an internal error is a deny.

        ``memory``: what this session wrote before and the user's files (see
        :class:`~csup.policy.SessionMemory`); None judges the call alone.
        """
        try:
            return self._decide(request, memory)
        except Exception as error:
            return deny(
                "policy.error",
                f"Blocked {request.tool_name}: the policy could not "
                f"judge this call ({type(error).__name__}: {error}).",
            )

    def _decide(self, request: ToolCall, memory: SessionMemory | None) -> Decision:
        from csup.policy.programs.paths import make_where, note_state_dir  # noqa: PLC0415 - see above
        from csup.policy.rules.base import Context  # noqa: PLC0415

        config, tool = self.config, request.tool_name
        if _listed(tool, config.deny_tool):
            return deny("policy.deny-tool", f"Blocked {tool}: the policy denies this tool.")
        home = os.path.expanduser("~")
        note_state_dir()  # protected like csup's config: the hook's memory of the session
        rules, extra_dirs = self._rules_for(request.cwd, home)
        ctx = Context(
            make_where(request.cwd, home, extra_dirs),
            config.protected_branches,
            self._control_files(),
        )
        analysis: Analysis | None = None

        def analysed() -> Analysis:
            nonlocal analysis
            if analysis is None:
                # the shell walker loads only for the calls that need it (Bash, Bash rules)
                from csup.policy.programs.knowledge import analyse  # noqa: PLC0415

                analysis = analyse(str(request.tool_input.get("command", "")))
            return analysis

        findings = self._findings(request, ctx, analysed, memory)
        if isinstance(findings, Decision):
            return _decided(findings, None, request)
        denied = next((f for f in findings if f.behavior == "deny"), None)
        if denied is not None:
            return _decided(deny(denied.rule, denied.reason), denied, request)
        user = None
        if rules:
            from csup.policy._claude_rules import Call  # noqa: PLC0415 - only with user rules

            user = rules.judge(Call(tool, request.tool_input, request.cwd, home), analysed)
        if user is not None:
            kind, rule = user
            reason = f"The policy rule {rule.text} {_VERB[kind]} this {tool} call."
            return {"deny": deny, "ask": ask, "allow": allow}[kind](
                f"user.{kind}:{rule.text}", reason
            )
        if _listed(tool, config.allow_tool):
            return allow("policy.allow-tool", f"The policy allows the {tool} tool.")
        if self.level == "permissive":
            mine = next((f for f in findings if f.rule.startswith("user-work.")), None)
            if mine is not None:  # allowed, and marked so that the summary can name it
                return allow(mine.rule, mine.reason)
            return allow("level.permissive", "Nothing dangerous found.")
        if self.level == "moderate":
            if findings:
                return _decided(ask(findings[0].rule, findings[0].reason), findings[0], request)
            return allow(
                "level.moderate", "Nothing dangerous found, and it stays in the workspace."
            )
        return ask(
            "level.strict",
            f"{tool} is not on the policy's allow list (strict level): "
            "ask the user, or add an allow rule to the policy.",
        )

    def _findings(
        self,
        request: ToolCall,
        ctx: Context,
        analysed: Callable[[], Analysis],
        memory: SessionMemory | None = None,
    ) -> list[Finding] | Decision:
        from csup.policy.rules.judge import dangerous_word, judge_bash  # noqa: PLC0415

        if request.tool_name != "Bash":
            from csup.policy.rules.tools import judge_tool  # noqa: PLC0415 - keeps import cheap

            found = list(judge_tool(request.tool_name, request.tool_input, ctx))
            if memory is not None and memory.user_files:
                from csup.policy.rules.session import judge_tool_user_work  # noqa: PLC0415

                found += judge_tool_user_work(request.tool_name, request.tool_input, ctx, memory)
            return self._excepted(found, request)
        command = request.tool_input.get("command")
        if not isinstance(command, str):
            return deny("tool.bad-input", "Blocked Bash: its input has no `command` string.")
        analysis = analysed()
        # exceptions first: what they leave decides whether an unanalysable part is denied
        findings = self._excepted(list(judge_bash(analysis, ctx, memory=memory)), request)
        if analysis.problems:
            word = dangerous_word(command) or dangerous_word(
                " ".join(c.text for c in analysis.commands)
            )
            problem = "; ".join(analysis.problems)
            if word is not None and not any(f.behavior == "deny" for f in findings):
                return deny(
                    "shell.unanalysable",
                    f"Blocked a command csup cannot fully analyse "
                    f"({problem}) that contains `{word}`. Split it "
                    "into simple commands with literal arguments.",
                )
            if not any(f.behavior == "deny" for f in findings):
                return ask(
                    "shell.unanalysable",
                    f"csup cannot fully analyse this command ({problem}). Split it into "
                    "simple commands with literal arguments, or ask the user.",
                )
        unknown = next((f for f in findings if f.rule in _UNKNOWN_AT_EVERY_LEVEL), None)
        if unknown is not None and not any(f.behavior == "deny" for f in findings):
            # a file the line writes with content only known when it runs, then runs: as
            # unknown as a part csup cannot analyse, so asked even at permissive
            return ask(unknown.rule, unknown.reason)
        return findings

    def _excepted(self, findings: list[Finding], request: ToolCall) -> list[Finding]:
        """The findings no ``[[exception]]`` of the policy file covers."""
        if not findings or not self.config.exceptions:
            return findings
        from csup.policy._exceptions import drop_excepted  # noqa: PLC0415 - only with some

        return drop_excepted(findings, self.config.exceptions, request)

    def _rules_for(self, cwd: str, home: str) -> tuple[RuleSet | None, tuple[str, ...]]:
        """The user's rules (None: none) and the extra workspace directories."""
        config = self.config
        if not config.read_claude_settings:
            return config.rules, config.workspace_dirs
        from csup.policy._settings import read_claude_settings  # noqa: PLC0415

        settings = read_claude_settings(cwd, home)
        rules = settings.rules if config.rules is None else config.rules.merged(settings.rules)
        return rules, config.workspace_dirs + settings.directories

    def _control_files(self) -> tuple[str, ...]:
        from csup.policy.programs.paths import real  # noqa: PLC0415

        return (real(self.config.source),) if self.config.source else ()


def _decided(decision: Decision, finding: Finding | None, request: ToolCall) -> Decision:
    """A built-in rule's deny or ask, its reason ending with the rule id and how to allow it."""
    from csup.policy._exceptions import decided  # noqa: PLC0415 - only for a deny or an ask

    return decided(decision, finding, request)


_VERB = {"deny": "denies", "ask": "asks the user about", "allow": "allows"}


def _listed(tool: str, patterns: Iterable[str]) -> bool:
    return any(tool == p or fnmatchcase(tool, p) for p in patterns)


def load_policy(spec: str | os.PathLike[str] | None = None) -> Policy:
    """A policy from a level name (``permissive``, ``moderate``, ``strict``) or a TOML file.

    ``None`` is the default level, ``moderate``. Raises
    :class:`~csup.errors.PolicyFileError` for a bad file, :class:`~csup.errors.ConfigError`
    for a spec that is neither a level nor a file.
    """
    if spec is None:
        return Policy(PolicyConfig(level=DEFAULT_LEVEL))
    text = os.fspath(spec)
    if text in LEVELS:
        return Policy(PolicyConfig(level=text))
    if not os.path.isfile(text):
        raise ConfigError(
            f"Unknown policy {text!r}: give a level ({', '.join(LEVELS)}) "
            "or the path of a TOML policy file"
        )
    from csup.policy._file import read_policy_file  # noqa: PLC0415

    return Policy(read_policy_file(text))


def resolve_policy(spec: str | None = None, *, cwd: str | os.PathLike[str]) -> Policy:
    """The policy every front end uses for a session in ``cwd``.

    First found wins: ``spec``; ``$CSUP_POLICY``; ``.csup/policy.toml`` in ``cwd`` or a
    parent; ``~/.config/csup/policy.toml``; the default level (``moderate``).
    """
    if spec:
        return load_policy(spec)
    from_env = os.environ.get("CSUP_POLICY")
    if from_env:
        return load_policy(from_env)
    directory = os.path.abspath(cwd)
    while True:
        candidate = os.path.join(directory, ".csup", "policy.toml")
        if os.path.isfile(candidate):
            return load_policy(candidate)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    user = os.path.join(os.path.expanduser("~"), ".config", "csup", "policy.toml")
    if os.path.isfile(user):
        return load_policy(user)
    return load_policy(None)
