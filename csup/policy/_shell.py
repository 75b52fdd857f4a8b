"""Shell analysis: turn a Bash command line into the simple commands it would run.

The rules must see every command a line runs, however it is disguised: chained (``;``,
``&&``, ``||``, ``|``, ``&``, newlines), nested (``$( )``, backticks, process substitution),
or handed to another program (``bash -c``, ``eval``, here-strings to a shell, ``xargs``,
``find -exec``, ``sudo``/``env``/``timeout``/... wrappers, see :mod:`._wrappers`). The parser
is tree-sitter-bash, loaded on first use so that ``import csup.policy`` stays cheap.

The analyser never raises on any text and is bounded: input size, nesting depth, nested
shells and command count are capped. Whatever it could not see is listed in
:attr:`Analysis.problems` so that the caller can fail closed.
"""

from __future__ import annotations

import re
import sys
from _thread import _local

from csup.policy._command import Analysis, Command, Redirect
from csup.policy._inline import INTERPRETERS
from csup.policy._record import Frozen, Record
from csup.policy._shell_text import DQ_ESCAPE, ESCAPE, ansi_c, shield
from csup.policy._wrappers import SHELLS, command_name, unwrap

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from tree_sitter import Node

MAX_INPUT = 64 * 1024
"""Longest command line analysed; longer ones are reported as a problem."""
MAX_NESTING = 64
"""Deepest syntax nesting followed (subshells, substitutions, blocks)."""
MAX_SHELL_DEPTH = 8
"""Deepest chain of scripts handed to a shell (``bash -c "eval '...'"``)."""
MAX_COMMANDS = 2000
"""Most simple commands collected from one line."""

KNOWN_VARIABLES = frozenset({"HOME", "PWD", "TMPDIR"})
"""Variables whose value the path rules know (expanded in :mod:`._paths`)."""


_thread_local = _local()


def binding(package: str) -> Any:
    """``package._binding``, the compiled module, without running ``package/__init__.py``.

    ``tree_sitter/__init__`` imports ``typing`` and ``tree_sitter_bash/__init__`` imports
    ``importlib.resources`` (pathlib, tempfile, shutil, lzma, bz2...) for what csup never
    uses; together they cost more start-up time than the rest of a ``csup hook`` call. The
    extension is found and loaded the way ``import`` would (same ``sys.path``) and put in
    ``sys.modules``, so a later ``import tree_sitter`` uses this same module. Anything
    unexpected (no such file, another loader, a Python without these internals) falls back
    to the ordinary import.
    """
    name = f"{package}._binding"
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    try:
        external = sys.modules["_frozen_importlib_external"]
        bootstrap = sys.modules["_frozen_importlib"]
        spec = external.PathFinder.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ImportError(package)
        found = external.PathFinder.find_spec(name, spec.submodule_search_locations)
        if found is None or not isinstance(found.loader, external.ExtensionFileLoader):
            raise ImportError(name)
        module = bootstrap.module_from_spec(found)
        found.loader.exec_module(module)
    except Exception:  # the ordinary import says what is wrong, if anything
        import importlib  # noqa: PLC0415

        return importlib.import_module(name)
    return sys.modules.setdefault(name, module)


def _parser() -> Any:
    parser = getattr(_thread_local, "parser", None)
    if parser is None:
        # loaded lazily: import csup.policy stays cheap
        tree_sitter = binding("tree_sitter")
        language = tree_sitter.Language(binding("tree_sitter_bash").language())
        parser = tree_sitter.Parser(language)
        _thread_local.parser = parser
    return parser


def analyse(script: str) -> Analysis:
    """Analyse one Bash command line. Never raises; problems are listed in the result."""
    result = Analysis()
    try:
        _Walker(result).script(script, _Scope(0, ()))
    except RecursionError:
        result.problems.append("the command is nested too deeply to analyse")
    except Exception as error:
        result.problems.append(f"the analyser failed ({type(error).__name__})")
    return result


def _piped_scripts(source: Command, shell: str) -> list[tuple[str | None, str]]:
    """What ``echo S | sh`` or ``printf S | sh`` runs; None when it cannot be known."""
    how = f"{source.name} | {shell}"
    if source.name in ("echo", "printf") and not any(i > 0 for i in source.dynamic):
        args = [a for a in source.argv[1:] if not a.startswith("-")]
        if source.name == "echo":
            return [(" ".join(args), how)]
        return [(arg.replace("\\n", "\n"), how) for arg in args]
    return [(None, how)]


class _Scope(Frozen):
    """Where the walker is: how many shells deep, and through which wrappers."""

    __slots__ = ("depth", "via")

    depth: int
    via: tuple[str, ...]

    def __init__(self, depth: int, via: tuple[str, ...]) -> None:
        object.__setattr__(self, "depth", depth)
        object.__setattr__(self, "via", via)


class _Word(Record):
    __slots__ = ("text", "dynamic", "feeds")  # noqa: RUF023 - constructor order

    def __init__(self) -> None:
        self.text = ""
        self.dynamic = False
        self.feeds: list[Command] = []


class _Walker:
    """Walks one tree-sitter tree, appending what it finds to an :class:`Analysis`."""

    def __init__(self, result: Analysis) -> None:
        self.result = result
        self.restore: dict[int, str] = {}
        """Characters swapped out before parsing (see :func:`_shield`), to put back."""

    def text(self, node: Node) -> str:
        """The source text of ``node``, with shielded characters put back."""
        raw = node.text.decode("utf-8", "replace") if node.text is not None else ""
        return raw.translate(self.restore) if self.restore else raw

    # -- entry points ------------------------------------------------------------------

    def script(self, text: str, scope: _Scope) -> list[Command]:
        if scope.depth > MAX_SHELL_DEPTH:
            self.result.problems.append("too many shells nested inside each other")
            return []
        if len(text) > MAX_INPUT:
            self.result.problems.append(f"the command is longer than {MAX_INPUT} characters")
            return []
        shielded, restore = shield(text)
        if shielded is None:
            self.problem("the command has too many unusual characters to analyse")
            return []
        tree = _parser().parse(shielded.encode("utf-8", "surrogatepass"))
        root = tree.root_node
        if root.has_error:
            self.problem("the command is not valid shell syntax")
        saved, self.restore = self.restore, restore
        try:
            return self.node(root, 0, scope, ())
        finally:
            self.restore = saved

    def problem(self, message: str) -> None:
        if message not in self.result.problems:
            self.result.problems.append(message)

    # -- statements --------------------------------------------------------------------

    def node(
        self,
        node: Node,
        nesting: int,
        scope: _Scope,
        upstream: tuple[Command, ...],
        redirects: tuple[Node, ...] = (),
    ) -> list[Command]:
        """Collect the commands under ``node``; returns those whose output it produces."""
        if nesting > MAX_NESTING:
            self.problem("the command is nested too deeply to analyse")
            return []
        kind = node.type
        if kind == "command":
            return self.command(node, nesting, scope, upstream, redirects)
        if kind == "pipeline":
            produced: list[Command] = []
            flow = upstream
            for child in node.named_children:
                produced = self.node(child, nesting + 1, scope, flow)
                flow = flow + tuple(produced)
            return produced
        if kind == "redirected_statement":
            body = node.child_by_field_name("body")
            reds = tuple(c for c in node.children if c.type.endswith("_redirect"))
            for red in reds:
                here = red.type in ("herestring_redirect", "heredoc_redirect")
                if not (here and body is not None and body.type == "command"):
                    self.redirect(red, nesting, scope)
            if body is None:
                return []
            return self.node(body, nesting + 1, scope, upstream, reds)
        if kind == "function_definition":
            name = node.child_by_field_name("name")
            body = node.child_by_field_name("body")
            if name is not None and body is not None:
                self.check_fork_bomb(self.text(name), body)
        if kind in ("heredoc_body", "comment", "heredoc_start", "heredoc_end"):
            return []
        produced = []
        for child in node.named_children:
            if child.type.endswith("_redirect"):
                self.redirect(child, nesting, scope)
                continue
            if child.type in ("word", "string", "raw_string", "concatenation", "number"):
                self.word(child, nesting, scope)  # e.g. `for x in $(cmd)` values
                continue
            produced += self.node(child, nesting + 1, scope, upstream)
        return produced

    def check_fork_bomb(self, name: str, body: Node) -> None:
        text = self.text(body)
        calls_itself = re.search(rf"(^|[\s;|&{{(]){re.escape(name)}([\s;|&}})]|$)", text)
        if calls_itself and ("&" in text or "|" in text):
            self.result.fork_bomb = True

    def redirect(self, node: Node, nesting: int, scope: _Scope) -> None:
        if node.type in ("herestring_redirect", "heredoc_redirect"):
            for child in node.named_children:
                if child.type not in ("heredoc_start", "heredoc_end"):
                    if child.type.endswith("_redirect"):
                        self.redirect(child, nesting, scope)
                    else:
                        self.word(child, nesting, scope)
            return
        op = "".join(c.type for c in node.children if not c.is_named)
        dest = node.child_by_field_name("destination")
        if dest is None:
            return
        word = self.word(dest, nesting, scope)
        if not op.endswith("&") or not word.text.isdigit():
            self.result.redirects.append(Redirect(op, word.text, word.dynamic))

    def stdin_text(
        self, reds: tuple[Node, ...], nesting: int, scope: _Scope
    ) -> tuple[str | None, tuple[Command, ...]]:
        """The literal text a here-string or here-document gives a command, and its feeds."""
        text: str | None = None
        feeds: list[Command] = []
        for red in reds:
            if red.type not in ("herestring_redirect", "heredoc_redirect"):
                continue
            for child in red.named_children:
                if child.type.endswith("_redirect"):
                    self.redirect(child, nesting, scope)
                elif child.type not in ("heredoc_start", "heredoc_end"):
                    word = self.word(child, nesting, scope)
                    feeds += word.feeds
                    text = None if word.dynamic else word.text
        return text, tuple(feeds)

    # -- simple commands ---------------------------------------------------------------

    def command(
        self,
        node: Node,
        nesting: int,
        scope: _Scope,
        upstream: tuple[Command, ...],
        reds: tuple[Node, ...],
    ) -> list[Command]:
        words: list[_Word] = []
        for child in node.named_children:
            if child.type == "variable_assignment":
                value = child.child_by_field_name("value")
                if value is not None:
                    self.word(value, nesting + 1, scope)
            elif child.type in ("herestring_redirect", "heredoc_redirect"):
                reds = (*reds, child)
            elif child.type.endswith("_redirect"):
                self.redirect(child, nesting, scope)
            elif child.type == "command_name":
                words.extend(self.word(c, nesting + 1, scope) for c in child.children)
            else:
                words.append(self.word(child, nesting + 1, scope))
        if not words:
            return []
        argv = tuple(w.text for w in words)
        dynamic = frozenset(i for i, w in enumerate(words) if w.dynamic)
        feeds = tuple(c for w in words for c in w.feeds)
        stdin, stdin_feeds = self.stdin_text(reds, nesting, scope)
        written = Command(argv, dynamic, upstream, feeds + stdin_feeds, stdin, scope.via)
        return self.emit(written, scope.depth)

    def emit(self, written: Command, depth: int) -> list[Command]:
        """Record a command as written after unwrapping it, and whatever it hands to a shell."""
        if len(self.result.commands) >= MAX_COMMANDS:
            self.problem(f"the command runs more than {MAX_COMMANDS} commands")
            return []
        unwrapped = unwrap((command_name(written.argv[0]), *written.argv[1:]), written.dynamic)
        if unwrapped.problem:
            self.problem(unwrapped.problem)
        if not unwrapped.argv:
            return []
        if 0 in unwrapped.dynamic:
            self.problem("the name of a command is only known at run time")
        via = (*written.via, *unwrapped.wrappers)
        command = Command(
            unwrapped.argv, unwrapped.dynamic, written.upstream, written.feeds, written.stdin, via
        )
        self.result.commands.append(command)
        for sub in unwrapped.subcommands:
            vias = (*via, sub.via)
            self.emit(
                Command(sub.argv, sub.dynamic, written.upstream, written.feeds, None, vias), depth
            )
        for script, how in self.scripts_of(command):
            if script is None:
                self.problem(f"cannot see the script given to {how}: it is built at run time")
            else:
                self.script(script, _Scope(depth + 1, (*via, how)))
        return [command]

    def scripts_of(self, command: Command) -> list[tuple[str | None, str]]:
        """Scripts a command hands to a shell: ``sh -c S``, ``eval S``, ``sh <<< S``."""
        argv, name = command.argv, command.name
        if name == "eval":
            known = not any(i > 0 for i in command.dynamic)
            return [(" ".join(argv[1:]) if known else None, "eval")]
        if name == "alias":
            return [(a.split("=", 1)[1], "alias") for a in argv[1:] if "=" in a]
        if name in INTERPRETERS or name.startswith(("python3.", "python2.")):
            from csup.policy._inline import code_of, hidden_commands  # noqa: PLC0415 - rare

            code = code_of(argv)
            if code is None or any(i > 1 for i in command.dynamic):
                return []
            return [(script, f"{name} code") for script in hidden_commands(code)]
        if name in ("su", "runuser"):
            for i, arg in enumerate(argv[1:-1], start=1):
                if arg in ("-c", "--command"):
                    return [(None if i + 1 in command.dynamic else argv[i + 1], f"{name} -c")]
            return []
        if name not in SHELLS:
            return []
        for i, arg in enumerate(argv[1:], start=1):
            if arg == "--" or not arg.startswith("-"):
                break
            if "c" in arg.lstrip("-") and not arg.startswith("--"):
                at = i + 2 if argv[i + 1 : i + 2] == ("--",) else i + 1
                if at >= len(argv):
                    return []
                return [(None if at in command.dynamic else argv[at], f"{name} -c")]
        if any(not a.startswith("-") or a == "-" for a in argv[1:]):
            return []  # runs a script file
        if command.stdin is not None:
            return [(command.stdin, f"{name} <<<")]
        if command.upstream:
            return _piped_scripts(command.upstream[-1], name)
        return []

    # -- words -------------------------------------------------------------------------

    def word(self, node: Node, nesting: int, scope: _Scope) -> _Word:
        out = _Word()
        self.word_into(out, node, nesting, scope, quoted=False)
        return out

    def word_into(self, out: _Word, node: Node, nesting: int, scope: _Scope, quoted: bool) -> None:
        if nesting > MAX_NESTING:
            self.problem("the command is nested too deeply to analyse")
            out.dynamic = True
            return
        kind = node.type
        raw = self.text(node)
        if kind in ("command_substitution", "process_substitution"):
            start = len(self.result.commands)
            for child in node.named_children:
                self.node(child, nesting + 1, _Scope(scope.depth, (*scope.via, "$( )")), ())
            out.feeds.extend(self.result.commands[start:])
            out.text += "$(...)"
            out.dynamic = True
        elif kind == "raw_string":
            out.text += raw[1:-1] if raw.endswith("'") and len(raw) > 1 else raw[1:]
        elif kind == "ansi_c_string":
            out.text += ansi_c(raw[2:-1])
        elif kind in ("string", "translated_string", "heredoc_body"):
            for child in node.named_children:
                self.word_into(out, child, nesting + 1, scope, quoted=True)
            if kind == "heredoc_body" and not node.named_children:
                out.text += raw
        elif kind in ("string_content", "heredoc_content"):
            if kind == "string_content" and "\\" in raw:
                raw = DQ_ESCAPE.sub(r"\1", raw)
            out.text += raw
        elif kind in ("simple_expansion", "expansion"):
            names = [
                c
                for c in node.named_children
                if c.type in ("variable_name", "special_variable_name")
            ]
            if len(names) == 1 and node.named_child_count == 1 and names[0].text:
                var = self.text(names[0])
                out.text += f"${var}"
                out.dynamic = out.dynamic or var not in KNOWN_VARIABLES
            else:
                out.text += raw
                out.dynamic = True
                for child in node.named_children:
                    self.word_into(_Word(), child, nesting + 1, scope, quoted)
        elif kind == "concatenation":
            for child in node.children:
                self.word_into(out, child, nesting + 1, scope, quoted)
        elif (
            kind in ("word", "number", "variable_name", "special_variable_name")
            or not node.is_named
        ):
            if not quoted and "\\" in raw:
                raw = ESCAPE.sub(r"\1", raw.replace("\\\n", ""))
            out.text += raw
        else:
            # arithmetic, brace expressions, ...: unknown value; still look inside
            out.text += raw
            out.dynamic = True
            for child in node.named_children:
                self.word_into(_Word(), child, nesting + 1, scope, quoted)
