"""Shell commands hidden in one-line programs: ``python -c``, ``perl -e``, ``node -e``, ...

``python3 -c "import os; os.system('rm -rf ~')"`` runs ``rm -rf ~``. This is a heuristic, not
a parser for each language: string literals passed to the usual ways of running a command
(``os.system``, ``subprocess.run``, ``system``, ``execSync``, backticks, ...) are analysed as
shell, and the usual recursive deletes (``shutil.rmtree``, ``FileUtils.rm_rf``,
``fs.rmSync``) become ``rm -rf``. Text that merely mentions a command (``print('rm -rf /')``)
is left alone.
"""

from __future__ import annotations

import re

from csup.policy._lazy_re import LazyRegex

INTERPRETERS = frozenset({"python", "python2", "python3", "perl", "ruby", "node", "php", "bun",
                          "deno", "lua"})  # fmt: skip
"""Programs whose ``-c``/``-e`` code is searched for hidden commands."""

_STRING = r"""[rbuf]*(?P<q>'''|\"\"\"|'|")(?P<s>(?:\\.|(?!(?P=q)).)*)(?P=q)"""
_RUNNERS = (
    r"(?:os\.system|os\.popen|subprocess\.\w+|system|popen|exec|execSync|spawnSync|"
    r"shell_exec|passthru|check_output|check_call|call|run|Popen|spawn|qx|%x)"
)
_RUN_STRING = LazyRegex(rf"{_RUNNERS}\s*\(\s*{_STRING}", re.DOTALL)
# Perl and Ruby call without parentheses: `system "rm -rf /"`, `exec 'sh', '-c', ...`
_RUN_BARE = LazyRegex(rf"(?<![\w.])(?:system|exec)\s+{_STRING}", re.DOTALL)
_ONE = r"""(?:'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")"""
# a program and its arguments as separate strings or a list: `system("rm", "-rf", "/")`,
# `spawnSync('rm', ['-rf', '/'])`, `execFileSync("rm", ["-rf", "/"])`
_RUN_ARGS = LazyRegex(
    rf"(?:{_RUNNERS[3:-1]}|execFile|execFileSync)\s*(?:\(\s*|\s+)"
    rf"(?P<args>{_ONE}(?:\s*,\s*(?:{_ONE}|\[[^\]]*\]))+)",
    re.DOTALL,
)
_RUN_LIST = LazyRegex(rf"{_RUNNERS}\s*\(\s*\[(?P<items>[^\]]*)\]", re.DOTALL)
_ITEM = LazyRegex(r"""(?P<q>'|")(?P<s>(?:\\.|(?!(?P=q)).)*)(?P=q)""")
_BACKTICKS = LazyRegex(r"`([^`]+)`")
_RECURSIVE_DELETE = LazyRegex(
    rf"(?:rmtree|rm_rf|rm_r|remove_dir_all|rmSync|rmdirSync|rimraf|remove_tree|rmdir)\s*\(\s*{_STRING}",
    re.DOTALL,
)
_READ = LazyRegex(
    rf"(?:(?<![\w.])open|readFileSync|readFile|File\.read|File\.open|IO\.read|"
    rf"file_get_contents|read_text|read_bytes|Path)\s*\(\s*{_STRING}",
    re.DOTALL,
)
_EVALUATORS = r"\b(?:exec|eval|Function|instance_eval|system|popen|execSync)\b\s*[(\s)]"
REMOTE_CODE = LazyRegex(
    rf"{_EVALUATORS}[\s\S]*(?:urlopen|urllib|requests\.get|httpx|https?\.get|Net::HTTP|"
    r"open-uri|URI\.open|\bfetch\s*\(|file_get_contents\s*\(\s*['\"]https?:|LWP::|HTTP::Tiny|"
    r"curl_exec)"
    rf"|(?:urlopen|requests\.get|Net::HTTP|\bfetch\s*\(|LWP::|HTTP::Tiny)[\s\S]*{_EVALUATORS}",
)
"""Code that downloads code and runs it (``exec(urlopen(URL).read())``)."""
DECODED_CODE = LazyRegex(
    rf"(?:{_RUNNERS}|\b(?:exec|eval|Function|instance_eval))\s*\(\s*[^)]*?"
    r"(?:b64decode|base64|atob\s*\(|unhexlify|fromhex|codecs\.decode|Buffer\.from|unpack)",
)
"""Code that runs a decoded payload (``os.system(base64.b64decode(...))``)."""
REVERSE_SHELL = LazyRegex(
    r"(?:socket|TCPSocket|net\.Socket|IO::Socket|fsockopen|net\.connect|Socket\.new)[\s\S]*"
    r"(?:dup2|pty\.spawn|/bin/(?:ba|z|da)?sh\b|\bcmd\.exe|exec\s*\(\s*['\"](?:/bin/)?(?:ba)?sh)"
)
"""Code that connects a shell to a network socket (a reverse shell)."""
STDIN_CODE = LazyRegex(r"(?:exec|eval)\s*\(\s*(?:sys\.stdin|STDIN|\$stdin|process\.stdin|<STDIN>)")
"""Code that runs what it reads from standard input (``exec(sys.stdin.read())``)."""
_DELETE = LazyRegex(rf"(?:os\.remove|os\.unlink|unlinkSync|unlink|File\.delete)\s*\(\s*{_STRING}")


_SHORT_FLAGS = LazyRegex(r"-[A-Za-z]{1,4}")


def code_of(argv: tuple[str, ...]) -> str | None:
    """The program text given with ``-c``/``-e``/``--eval`` (``-ce`` combined too), if any."""
    letters = "ceEr" if argv[0] == "php" else "ceE"
    for i, arg in enumerate(argv[1:-1], start=1):
        if arg in ("--eval", "--command", "--run") or (
            _SHORT_FLAGS.fullmatch(arg) and arg[-1] in letters
        ):
            return argv[i + 1]
    return None


UNKNOWN = '"$CSUP_RUNTIME_VALUE"'
"""Stands, in a command found in a program, for a value only known when it runs."""
_PLACEHOLDER = LazyRegex(r"#\{[^}]*\}|%\(\w+\)[sdr]|%[sdr]")
_FORMAT_FIELD = LazyRegex(r"(?<!\$)\{[^{}]*\}")
_JOINED = LazyRegex(r"\s*(?:\+|%|\.format\b|\.\.|<<|,\s*(?![\]\)]))")
_RECURSIVE_DELETE_OF_VALUE = LazyRegex(
    r"(?:rmtree|rm_rf|rm_r|remove_dir_all|rmSync|rimraf|remove_tree)\s*\(\s*(?![\s'\"\)])"
)


def _with_values(match: re.Match[str], code: str) -> str:
    """The string a runner got, with placeholders and joined values marked as unknown.

    ``f"rm -rf {d}"``, ``"rm -rf %s" % d``, ``"rm -rf #{d}"``, ``'rm -rf ' + d``: the
    command's words include a value only known when the program runs.
    """
    text = _PLACEHOLDER.sub(UNKNOWN, match.group("s"))
    prefix = code[match.start() : match.start("q")]
    after = code[match.end() : match.end() + 12]
    if "f" in prefix.lower() or after.startswith(".format"):
        text = _FORMAT_FIELD.sub(UNKNOWN, text)
    if _JOINED.match(after) and not after.lstrip().startswith(","):
        text += " " + UNKNOWN
    return text


def hidden_commands(code: str) -> list[str]:
    """Shell command lines the program would run, as best a regex can tell."""
    import shlex  # noqa: PLC0415 - only one-liners need it

    found = [_with_values(m, code) for m in _RUN_STRING.finditer(code)]
    found += [_with_values(m, code) for m in _RUN_BARE.finditer(code)]
    for match in _RUN_ARGS.finditer(code):
        items = [m.group("s") for m in _ITEM.finditer(match.group("args"))]
        found.append(" ".join(shlex.quote(item) for item in items))
    for match in _RUN_LIST.finditer(code):
        items = [m.group("s") for m in _ITEM.finditer(match.group("items"))]
        if items:
            found.append(" ".join(shlex.quote(item) for item in items))
    found += _BACKTICKS.findall(code)
    found += [f"rm -rf -- {shlex.quote(m.group('s'))}" for m in _RECURSIVE_DELETE.finditer(code)]
    found += [f"rm -f -- {shlex.quote(m.group('s'))}" for m in _DELETE.finditer(code)]
    found += [f"cat -- {shlex.quote(m.group('s'))}" for m in _READ.finditer(code)]
    if _RECURSIVE_DELETE_OF_VALUE.search(code):
        found.append(f"rm -rf -- {UNKNOWN}")
    return found
