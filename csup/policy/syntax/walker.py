"""Shell analysis: turn a Bash command line into the simple commands it would run.

The rules must see every command a line runs, however it is disguised: chained (``;``,
``&&``, ``||``, ``|``, ``&``, newlines), nested (``$( )``, backticks, process substitution),
or handed to another program (``bash -c``, ``eval``, here-strings to a shell, ``xargs``,
``find -exec``, ``sudo``/``env``/``timeout``/... wrappers). The parser is tree-sitter-bash
(:mod:`.binding`), loaded on first use so that ``import csup.policy`` stays cheap.

What the line makes certain is used: a ``$(cmd)`` whose output the programs know
(``$(echo .env)``) is that output in the word, and the text a command reads from a pipe or a
here-string is handed to :meth:`~.knowledge.Programs.unwrap` (``echo .env | xargs cat``).

The walker knows bash and no program: which commands are wrappers, run scripts or write
files, it asks the :class:`~.knowledge.Programs` it is given (csup's is in
:mod:`csup.policy.programs.knowledge`, whose ``analyse`` is the entry to use).

The analyser never raises on any text and is bounded: input size, nesting depth, nested
shells and command count are capped. Whatever it could not see is listed in
:attr:`Analysis.problems` so that the caller can fail closed.
"""

from __future__ import annotations

import re

from csup._lazy_re import LazyRegex
from csup.policy.syntax.binding import parser
from csup.policy.syntax.command import WRITE_OPS, Analysis, Command, Redirect
from csup.policy.syntax.text import DQ_ESCAPE, ESCAPE, ansi_c, command_name, shield
from csup.policy.syntax.words import (
    VARIABLE_WORD,
    Scope,
    Word,
    brace_expanded,
    misparsed_herestrings,
    only_misparsed_herestrings,
    reads_input,
    split_words,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tree_sitter import Node

    from csup.policy.syntax.knowledge import Programs

MAX_INPUT = 64 * 1024
"""Longest command line analysed; longer ones are reported as a problem."""
MAX_NESTING = 64
"""Deepest syntax nesting followed (subshells, substitutions, blocks)."""
MAX_SHELL_DEPTH = 8
"""Deepest chain of scripts handed to a shell (``bash -c "eval '...'"``)."""
MAX_COMMANDS = 2000
"""Most simple commands collected from one line."""

KNOWN_VARIABLES = frozenset({"HOME", "PWD", "TMPDIR", "CODEX_HOME", "CLAUDE_CONFIG_DIR",
                             "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "GNUPGHOME",
                             "DOCKER_CONFIG", "CARGO_HOME", "PASSWORD_STORE_DIR"})  # fmt: skip
"""Variables whose value the path rules know (see ``expand`` in ``csup.policy.programs.paths``)."""


def walk(script: str, programs: Programs) -> Analysis:
    """Analyse one Bash command line, told about programs by ``programs``.

    Never raises; problems are listed in the result.
    """
    result = Analysis()
    try:
        _Walker(result, programs, script).script(script, Scope(0, ()))
    except RecursionError:
        result.problems.append("the command is nested too deeply to analyse")
    except Exception as error:
        result.problems.append(f"the analyser failed ({type(error).__name__})")
    return result


_ASSIGNERS = LazyRegex(
    r"(?<![\w-])(?:read|mapfile|readarray|getopts|declare|typeset|local|export|readonly|"
    r"eval|let|source|unset|set|trap|fc|alias|select|coproc|function)(?![\w-])"
    r"|(?<![\w-])printf\s+(?:--\s+)?-v|(?<![\w-])\.\s|\$\{!|:?=[^=]*\}",
)
"""Ways to set a variable other than ``NAME=value``: with one in the line, none is trusted."""
_TMPDIR_DEFAULT = LazyRegex(r"\$\{TMPDIR:?[-=](?:/tmp|/var/tmp)/?\}")
_KNOWN_ASSIGNED = LazyRegex(rf"(?<![\w$])({'|'.join(sorted(KNOWN_VARIABLES))})\+?=")
_TILDE_BEFORE_BRACKET = LazyRegex(r"(?<=\s)~(?=\s+\]\]?(?:\s|$|[;&|)]))")


_ALL_ARGUMENTS = frozenset({"$@", "$*", "${@}", "${*}"})
"""A command word that is all of a function's arguments."""

_STATEMENTS = frozenset(
    {"command", "pipeline", "list", "redirected_statement", "subshell", "compound_statement",
     "if_statement", "while_statement", "for_statement", "c_style_for_statement",
     "case_statement", "negated_command", "function_definition", "declaration_command",
     "unset_command", "test_command"}
)  # fmt: skip
"""Node types that are statements (run), not words."""


class _Walker:
    """Walks one tree-sitter tree, appending what it finds to an :class:`Analysis`."""

    def __init__(self, result: Analysis, programs: Programs, line: str = "") -> None:
        self.result = result
        self.programs = programs
        self.line = line
        self.variables: dict[str, str] = {}
        """Variables set earlier in the line whose value is certain (see :meth:`assign`)."""
        self.unconditional: set[int] = set()
        """Ids of the top-level statements that run whenever the line gets that far."""
        self.tracking = "=" in line and _ASSIGNERS.search(line) is None
        self.reassigned = (
            frozenset(m.group(1) for m in _KNOWN_ASSIGNED.finditer(line))
            if "=" in line
            else frozenset()
        )
        self.restore: dict[int, str] = {}
        """Characters swapped out before parsing (see :func:`_shield`), to put back."""
        self.function: str | None = None
        """The function whose body is being walked, if any."""
        self.forwarders: set[str] = set()
        """Functions of the line that run their arguments as a command (``run() { "$@"; }``)."""
        self.aliases: dict[str, str] = {}
        """Aliases the line defines (``alias r=rm``), expanded where a later command uses them."""
        self.unknown_stdin = False
        """Whether the here-string being read is only known at run time."""
        self.pending: list[Node] = []
        """Statements found inside a here-document redirect, to walk after its command."""
        self.here_ids: set[int] = set()
        """``<`` redirects that are really here-strings (see :func:`misparsed_herestrings`)."""
        self.piped: tuple[tuple[Command, ...], str] | None = None
        """(upstream, text): a command walked with exactly this ``upstream`` reads ``text``
        on its standard input (``echo .env | xargs cat``: the output of the stage before)."""
        self.last_redirected: set[int] = set()
        """Pipelines whose last command reads a redirect, not the pipe (``a | b < f``)."""

    def text(self, node: Node) -> str:
        """The source text of ``node``, with shielded characters put back."""
        raw = node.text.decode("utf-8", "replace") if node.text is not None else ""
        return raw.translate(self.restore) if self.restore else raw

    # -- entry points ------------------------------------------------------------------

    def script(self, text: str, scope: Scope) -> list[Command]:
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
        if "~" in shielded:
            # tree-sitter-bash 0.25 reads `[ -d ~ ]` as the operator `~` applied to `]`
            shielded = _TILDE_BEFORE_BRACKET.sub("~/", shielded)
        tree = parser().parse(shielded.encode("utf-8", "surrogatepass"))
        root = tree.root_node
        if root.has_error and not only_misparsed_herestrings(root):
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
        scope: Scope,
        upstream: tuple[Command, ...],
        redirects: tuple[Node, ...] = (),
    ) -> list[Command]:
        """Collect the commands under ``node``; returns those whose output it produces."""
        if nesting > MAX_NESTING:
            self.problem("the command is nested too deeply to analyse")
            return []
        kind = node.type
        if self.tracking and scope.depth == 0:
            if kind == "program":
                self.unconditional.update(c.id for c in node.named_children)
            elif kind == "list" and node.id in self.unconditional and node.named_children:
                self.unconditional.add(node.named_children[0].id)
        if kind == "command":
            return self.command(node, nesting, scope, upstream, redirects)
        if kind in ("variable_assignment", "variable_assignments"):
            certain = node.id in self.unconditional and scope.depth == 0
            parts = node.named_children if kind == "variable_assignments" else [node]
            for part in parts:
                value = part.child_by_field_name("value")
                if part.type == "variable_assignment" and value is not None:
                    word = self.word(value, nesting + 1, scope)
                    self.command_variable(part, word, scope)
                    if certain:
                        self.assign(part, word)
            return []
        if kind == "pipeline":
            produced: list[Command] = []
            flow = upstream
            saved_piped = self.piped
            stages = node.named_children
            try:
                for k, child in enumerate(stages):
                    if k:
                        text = self.stage_output(produced)
                        redirected = k == len(stages) - 1 and node.id in self.last_redirected
                        self.piped = None if text is None or redirected else (flow, text)
                    produced = self.node(child, nesting + 1, scope, flow)
                    flow = flow + tuple(produced)
            finally:
                self.piped = saved_piped
            return produced
        if kind == "redirected_statement":
            body = node.child_by_field_name("body")
            reds = tuple(c for c in node.children if c.type.endswith("_redirect"))
            before = sum(1 for r in self.result.redirects if r.op in WRITE_OPS)
            herestrings = misparsed_herestrings(node)
            simple = body is not None and body.type == "command"
            # `a && echo x > f`: tree-sitter-bash hangs the redirect on the whole list, bash
            # on its last command, whose output is what the file gets
            last = body.named_children[-1] if body is not None and body.type == "list" else None
            last_simple = simple or (last is not None and last.type == "command")
            single = last_simple or (body is not None and body.type == "declaration_command")
            saved_piped = self.piped
            if not simple and body is not None and any(reads_input(r) for r in reds):
                # the redirect, not the pipe, is the input: of the last command of a pipeline
                # (`echo a | xargs rm < f`), of every command of a block
                if body.type == "pipeline":
                    self.last_redirected.add(body.id)
                else:
                    self.piped = None
            for red in reds:
                here = red.type in ("herestring_redirect", "heredoc_redirect")
                if red.id in herestrings:
                    self.here_ids.add(red.id)
                    if not simple:
                        self.word(red.named_children[-1], nesting, scope)
                elif not (here and simple):
                    # `cmd < <(producer)` reads what producer writes, as `producer | cmd`
                    fed = self.redirect(red, nesting, scope)
                    upstream = (*upstream, *fed) if fed else upstream
            if body is None:
                return []
            try:
                produced = self.node(body, nesting + 1, scope, upstream, reds)
            finally:
                self.piped = saved_piped
            printed = produced[-1] if last_simple and produced else None
            content = self.programs.printed_text(printed) if printed is not None else None
            made = [r for r in self.result.redirects if r.op in WRITE_OPS][before:]
            for made_redirect in made:
                known = None if made_redirect.dynamic else content
                self.result.writes.append((made_redirect.target, known))
                if single and produced and not made_redirect.dynamic:
                    self.result.written_by.append((made_redirect.target, produced[-1]))
            return produced
        if kind == "function_definition":
            name = node.child_by_field_name("name")
            body = node.child_by_field_name("body")
            if name is not None and body is not None:
                self.check_fork_bomb(self.text(name), body)
                saved, self.function = self.function, self.text(name)
                try:
                    return self.node(body, nesting + 1, scope, upstream)
                finally:
                    self.function = saved
        if kind in ("heredoc_body", "comment", "heredoc_start", "heredoc_end"):
            return []
        if kind == "declaration_command" and node.children:
            named = node.named_children
            if all(c.type == "word" and self.text(c).startswith("-") for c in named):
                # `export -p`, `declare -x`: a listing of variables, a command like `env`
                argv = (self.text(node.children[0]), *(self.text(c) for c in named))
                return self.emit(Command(argv, upstream=upstream, via=scope.via), scope.depth)
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

    def redirect(self, node: Node, nesting: int, scope: Scope) -> list[Command]:
        """Record a redirect; returns the commands whose output it reads (``< <(cmd)``)."""
        if node.type in ("herestring_redirect", "heredoc_redirect"):
            for child in node.named_children:
                if child.type in _STATEMENTS:
                    self.node(child, nesting + 1, scope, ())  # `{ ...; } <<E && rm -rf ~`
                elif child.type not in ("heredoc_start", "heredoc_end"):
                    if child.type.endswith("_redirect"):
                        self.redirect(child, nesting, scope)
                    else:
                        self.word(child, nesting, scope)
            return []
        op = "".join(c.type for c in node.children if not c.is_named)
        dest = node.child_by_field_name("destination")
        if dest is None:
            return []
        word = self.word(dest, nesting, scope)
        if not op.endswith("&") or not word.text.isdigit():
            self.result.redirects.append(Redirect(op, word.text, word.dynamic))
        return word.feeds if op == "<" and dest.type == "process_substitution" else []

    def stdin_text(
        self, reds: tuple[Node, ...], nesting: int, scope: Scope
    ) -> tuple[str | None, tuple[Command, ...]]:
        """The literal text a here-string or here-document gives a command, and its feeds."""
        text: str | None = None
        feeds: list[Command] = []
        for red in reds:
            if red.id in self.here_ids:
                word = self.word(red.named_children[-1], nesting, scope)
                feeds += word.feeds
                text = self.here_text(word)
                continue
            if red.type not in ("herestring_redirect", "heredoc_redirect"):
                continue
            for child in red.named_children:
                if child.type in _STATEMENTS:
                    # tree-sitter-bash puts what follows `cmd <<EOF` on its line (`| bash`,
                    # `&& rm -rf ~`) inside the redirect: it runs after the command
                    self.pending.append(child)
                elif child.type.endswith("_redirect"):
                    self.redirect(child, nesting, scope)
                elif child.type not in ("heredoc_start", "heredoc_end"):
                    word = self.word(child, nesting, scope)
                    feeds += word.feeds
                    text = self.here_text(word)
        return text, tuple(feeds)

    def stage_output(self, produced: list[Command]) -> str | None:
        """What a pipeline stage writes to the pipe when it is certain: the output of the
        one command it runs (``echo .env`` in ``echo .env | xargs cat``)."""
        return self.programs.certain_output(produced[0]) if len(produced) == 1 else None

    def piped_input(
        self, upstream: tuple[Command, ...], stdin: str | None, reds: list[Node]
    ) -> str | None:
        """The text a command reads when the line makes it certain: its here-string or
        here-document, else what the pipe brings it (see :attr:`piped`); None when a
        redirect reads a file instead, or the text is only known at run time."""
        if any(reads_input(r) and r.id not in self.here_ids for r in reds):
            return None
        if stdin is not None or self.unknown_stdin:
            return stdin
        if any(r.type in ("herestring_redirect", "heredoc_redirect") for r in reds):
            return None
        piped = self.piped
        return piped[1] if piped is not None and piped[0] is upstream and upstream else None

    def here_text(self, word: Word) -> str | None:
        """A here-string's text: literal, or what ``$(echo ...)`` prints; else None (and,
        for a shell or interpreter, a problem noted where it is run)."""
        if not word.dynamic:
            return word.text
        if word.text == "$(...)" and len(word.feeds) == 1:
            printed = self.programs.printed_text(word.feeds[0])
            if printed is not None and not any(i > 0 for i in word.feeds[0].dynamic):
                return printed
        self.unknown_stdin = True
        return None

    # -- simple commands ---------------------------------------------------------------

    def command(
        self,
        node: Node,
        nesting: int,
        scope: Scope,
        upstream: tuple[Command, ...],
        reds: tuple[Node, ...],
    ) -> list[Command]:
        words: list[Word] = []
        given = upstream
        own: list[Node] = []
        for child in node.named_children:
            if child.type == "variable_assignment":
                value = child.child_by_field_name("value")
                if value is not None:
                    self.command_variable(child, self.word(value, nesting + 1, scope), scope)
            elif child.type in ("herestring_redirect", "heredoc_redirect"):
                reds = (*reds, child)
            elif child.type.endswith("_redirect"):
                own.append(child)
                upstream = (*upstream, *self.redirect(child, nesting, scope))
            elif child.type == "command_name":
                words.extend(self.word(c, nesting + 1, scope) for c in child.children)
            else:
                words.append(self.word(child, nesting + 1, scope))
        for red in reds:
            # `rm 2>/dev/null -rf /`: tree-sitter-bash reads the words after a redirect's
            # target as more targets; they are the command's arguments
            if red.type == "file_redirect":
                extra = red.children_by_field_name("destination")[1:]
                words.extend(self.word(c, nesting + 1, scope) for c in extra)
        if any(w.split for w in words):
            words = split_words(words)
        if not words:
            return []
        if any("{" in w.text and "," in w.text for w in words):
            words = brace_expanded(words)
        argv = tuple(w.text for w in words)
        dynamic = frozenset(i for i, w in enumerate(words) if w.dynamic)
        feeds = tuple(c for w in words for c in w.feeds)
        saved, self.pending = self.pending, []
        saved_piped = self.piped
        self.unknown_stdin = False
        try:
            stdin, stdin_feeds = self.stdin_text(reds, nesting, scope)
            name = command_name(argv[0])
            if self.unknown_stdin and self.programs.reads_script(name):
                self.problem(f"cannot see the script given to {name} <<<: it is built at run time")
            written = Command(argv, dynamic, upstream, feeds + stdin_feeds, stdin, scope.via)
            known = self.piped_input(given, stdin, [*reds, *own])
            emitted = self.emit(written, scope.depth, known)
            produced = emitted
            for after in self.pending:
                piped = after.type == "pipeline"
                flow = tuple(emitted) if piped else ()
                text = self.stage_output(emitted) if piped else None
                self.piped = None if text is None else (flow, text)  # `cat <<EOF | xargs rm`
                out = self.node(after, nesting + 1, scope, flow)
                produced = out if piped else produced
            return produced
        finally:
            self.pending = saved
            self.piped = saved_piped

    def emit(self, written: Command, depth: int, stdin: str | None = None) -> list[Command]:
        """Record a command as written after unwrapping it, and whatever it hands to a shell.

        ``stdin``: the text it reads when the line makes it certain (for ``xargs``)."""
        if len(self.result.commands) >= MAX_COMMANDS:
            self.problem(f"the command runs more than {MAX_COMMANDS} commands")
            return []
        for i, word in enumerate(written.argv[1:], start=1):
            if "=" in word and (assigned := VARIABLE_WORD.fullmatch(word)) is not None:
                scope = Scope(depth, written.via)
                name, value = assigned.groups()
                self.variable_command(name, value, i in written.dynamic, scope)
        if written.argv[0] in _ALL_ARGUMENTS and self.function is not None:
            # `run() { "$@"; }`: the function runs its arguments, judged where it is called
            self.forwarders.add(self.function)
            if len(written.argv) == 1:
                return []
        if written.argv[0] in self.forwarders and len(written.argv) > 1:
            shifted = frozenset(i - 1 for i in written.dynamic if i > 0)
            forwarded = Command(
                written.argv[1:], shifted, written.upstream, written.feeds, written.stdin,
                (*written.via, f"{written.argv[0]}()"),
            )  # fmt: skip
            self.emit(forwarded, depth)
        if self.aliases and 0 not in written.dynamic and written.argv[0] in self.aliases:
            return self.expand_alias(written, depth)
        argv = (command_name(written.argv[0]), *written.argv[1:])
        unwrapped = self.programs.unwrap(argv, written.dynamic, stdin)
        if unwrapped.problem:
            self.problem(unwrapped.problem)
        if not unwrapped.argv:
            return []
        if 0 in unwrapped.dynamic:
            self.problem("the name of a command is only known at run time")
        via = (*written.via, *unwrapped.wrappers)
        chdir = written.chdir if unwrapped.chdir is None else unwrapped.chdir[0]
        if unwrapped.chdir is not None and unwrapped.chdir[1]:
            chdir = "$(...)"
        command = Command(
            unwrapped.argv, unwrapped.dynamic, written.upstream, written.feeds, written.stdin, via,
            chdir=chdir,
        )  # fmt: skip
        self.result.commands.append(command)
        if command.name == "alias":
            self.define_aliases(command)
        self.result.writes.extend(self.programs.written_files(command))
        for sub in unwrapped.subcommands:
            vias = (*via, sub.via)
            sub_command = Command(
                sub.argv, sub.dynamic, written.upstream, written.feeds, None, vias, chdir=chdir
            )
            self.emit(sub_command, depth)
        for script, how in self.programs.scripts_of(command):
            if script is None:
                self.problem(f"cannot see the script given to {how}: it is built at run time")
            else:
                self.script(script, Scope(depth + 1, (*via, how)))
        return [command]

    def define_aliases(self, command: Command) -> None:
        """Note ``alias NAME=VALUE``: bash expands NAME where a later command starts with it.

        Bash expands an alias only on lines read after the definition, and only with
        ``expand_aliases`` on (Claude Code's shell snapshot turns it on); csup expands it
        everywhere after the definition, which is never less careful.
        """
        for i, word in enumerate(command.argv[1:], start=1):
            name, equals, value = word.partition("=")
            if equals and name and not name.startswith("-"):
                if i in command.dynamic:
                    self.aliases[name] = "$(csup-unknown-alias)"
                else:
                    self.aliases[name] = value

    def expand_alias(self, written: Command, depth: int) -> list[Command]:
        """The commands an alias runs: its value with the command's arguments after it."""
        import shlex  # noqa: PLC0415 - only lines that use an alias they define

        name = written.argv[0]
        value = self.aliases[name]
        if value.startswith("$(csup-unknown-alias)"):
            self.problem(f"the alias `{name}` is only known at run time")
            return []
        rest = " ".join(
            word if i in written.dynamic else shlex.quote(word)
            for i, word in enumerate(written.argv[1:], start=1)
        )
        return self.script(f"{value} {rest}", Scope(depth + 1, (*written.via, f"alias {name}")))

    def command_variable(self, node: Node, value: Word, scope: Scope) -> None:
        """``GIT_SSH_COMMAND='rm -rf ~' git fetch``: a program runs the value as a command."""
        name_node = node.child_by_field_name("name")
        if name_node is not None:
            self.variable_command(self.text(name_node), value.text, value.dynamic, scope)

    def variable_command(self, name: str, value: str, dynamic: bool, scope: Scope) -> None:
        """Judge the value of a variable some program runs as a command (``GIT_SSH_COMMAND``)."""
        self.result.assigned.append((name, value))
        if not self.programs.runs_value_of(name) or not value.strip():
            return
        if dynamic:
            self.problem(f"cannot see the command in {name}: it is built at run time")
        else:
            self.script(value, Scope(scope.depth + 1, (*scope.via, f"{name}=")))

    def assign(self, node: Node, value: Word) -> None:
        """Remember ``NAME=value`` when the value of ``$NAME`` later in the line is certain.

        Only a plain assignment that runs whenever the line gets that far (a top-level
        statement, or the first of an ``&&`` chain), the only one to that name in the whole
        line, in a line with no command that can set variables by a computed name
        (``read``, ``declare``, ``printf -v``, ``eval`` ...). The value is literal, or a fresh
        temporary directory (``$(mktemp -d)``).
        """
        name_node = node.child_by_field_name("name")
        if name_node is None or name_node.type != "variable_name":
            return
        if any(c.type == "+=" for c in node.children):
            return
        name = self.text(name_node)
        if name in self.variables or (value.text == "" and value.dynamic):
            return
        text = value.text
        if value.dynamic:
            if not value.temp:
                return
            text = value.temp
        # the name written bare only once (here): no `read NAME`, `for NAME in`, `NAME+=`;
        # `-d` (an option) and `$NAME` (a use) do not count
        if len(re.findall(rf"(?<![\w$./{{-]){name}(?!\w)", self.line)) == 1:
            self.variables[name] = text

    # -- words -------------------------------------------------------------------------

    def word(self, node: Node, nesting: int, scope: Scope) -> Word:
        out = Word()
        self.word_into(out, node, nesting, scope, quoted=False)
        if out.temp is not None and out.text == "$(...)":
            out.text, out.dynamic = out.temp, False
        return out

    def word_into(self, out: Word, node: Node, nesting: int, scope: Scope, quoted: bool) -> None:
        if nesting > MAX_NESTING:
            self.problem("the command is nested too deeply to analyse")
            out.dynamic = True
            return
        kind = node.type
        raw = self.text(node)
        if kind in ("command_substitution", "process_substitution"):
            start = len(self.result.commands)
            inner = Scope(scope.depth, (*scope.via, "$( )"))
            for child in node.named_children:
                self.node(child, nesting + 1, inner, ())
            made = self.result.commands[start:]
            out.feeds.extend(made)
            command = kind == "command_substitution"
            printed = self.substituted(node, made, inner) if command else None
            if printed is not None:
                # `cat "$(echo .env)"`: the word holds what the command prints, as bash makes it
                out.text += printed
                # unquoted, it splits into words (none when it is empty: `rm -rf $(echo -n)`)
                spaces = not printed or any(c in printed for c in " \t\n")
                out.split = out.split or (not quoted and spaces)
                return
            if not out.text and len(made) == 1 and "TMPDIR" not in self.line:
                out.temp = self.programs.made_path(made[0])
            out.text += "$(...)"
            out.dynamic = True
        elif kind == "raw_string":
            out.quoted = True
            out.text += raw[1:-1] if raw.endswith("'") and len(raw) > 1 else raw[1:]
        elif kind == "ansi_c_string":
            out.quoted = True
            out.text += ansi_c(raw[2:-1])
        elif kind in ("string", "translated_string", "heredoc_body"):
            out.quoted = True
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
                known = self.variables.get(var) if scope.depth == 0 else None
                if known is not None and not quoted and "IFS" in self.line:
                    out.text += f"${var}"  # split on an IFS set somewhere in the line
                    out.dynamic = True
                elif known is not None:
                    out.text += known
                    out.split = out.split or (not quoted and any(c in known for c in " \t\n"))
                else:
                    out.text += f"${var}"
                    unknown = var not in KNOWN_VARIABLES or var in self.reassigned
                    out.dynamic = out.dynamic or unknown
            elif _TMPDIR_DEFAULT.fullmatch(raw) and "TMPDIR" not in self.reassigned:
                out.text += "$TMPDIR"  # `${TMPDIR:-/tmp}`: a temporary directory either way
            else:
                out.text += raw
                out.dynamic = True
                for child in node.named_children:
                    self.word_into(Word(), child, nesting + 1, scope, quoted)
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
                self.word_into(Word(), child, nesting + 1, scope, quoted)

    def substituted(self, node: Node, made: list[Command], inner: Scope) -> str | None:
        """What ``$(cmd)`` becomes when cmd's output is certain (``$(echo .env)``,
        ``$(printf %s ~/.ssh/config)``): cmd is one simple command, run as written (no
        wrapper, no redirect), whose output the program knowledge computes; trailing
        newlines go, as bash takes them off."""
        statements = [c for c in node.named_children if c.type != "comment"]
        if len(statements) != 1 or statements[0].type != "command" or len(made) != 1:
            return None
        if made[0].via != inner.via:
            return None
        printed = self.programs.certain_output(made[0])
        return None if printed is None else printed.rstrip("\n").replace("\0", "")
