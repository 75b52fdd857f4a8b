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

from csup._lazy_re import LazyRegex

INTERPRETERS = frozenset({"python", "python2", "python3", "perl", "ruby", "node", "php", "bun",
                          "deno", "lua", "luajit", "pwsh", "powershell", "pwsh.exe",
                          "powershell.exe", "Rscript", "julia", "tclsh", "osascript"})  # fmt: skip
"""Programs whose ``-c``/``-e`` code is searched for hidden commands."""

_STRING = r"""[rbuf]*(?P<q>'''|\"\"\"|'|")(?P<s>(?:\\.|(?!(?P=q)).)*)(?P=q)"""
_RUNNERS = (
    r"(?:os\.system|os\.popen|os\.execute|io\.popen|subprocess\.\w+|system|popen|exec|"
    r"execSync|spawnSync|"
    r"shell_exec|passthru|check_output|check_call|call|run|Popen|spawn|qx|%x)"
)
_RUN_STRING = LazyRegex(rf"{_RUNNERS}\s*\(\s*{_STRING}", re.DOTALL)
# Perl and Ruby call without parentheses: `system "rm -rf /"`, `exec 'sh', '-c', ...`
_RUN_BARE = LazyRegex(rf"(?<![\w.])(?:system|exec|do shell script)\s+{_STRING}", re.DOTALL)
# Tcl runs a command from bare words: `exec rm -rf ~`
_TCL_EXEC = LazyRegex(r"(?:^|[\n;\[{])\s*exec\s+(?![('\"\s])([^\n;\]}]+)")
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
_BACKTICKS = LazyRegex(r"`([^`]+)`|(?<![\w$])qx\s*(?:\(([^)]*)\)|\{([^}]*)\}|/([^/]*)/)")
_RECURSIVE_DELETE = LazyRegex(
    rf"(?:rmtree|rm_rf|rm_r|remove_dir_all|rmSync|rmdirSync|rimraf|remove_tree|rmdir|"
    rf"Deno\.remove(?:Sync)?(?=[^;]*recursive))\s*\(\s*{_STRING}",
    re.DOTALL,
)
_JULIA_RM = LazyRegex(rf"(?<![\w.])rm\s*\(\s*{_STRING}(?=[^)]*recursive\s*=\s*true)", re.DOTALL)
"""Julia's ``rm(path, recursive=true)``."""
_READ = LazyRegex(
    rf"(?:(?<![\w.])open|readFileSync|readFile|readTextFileSync|readTextFile|Bun\.file|"
    rf"File\.read|File\.open|IO\.read|"
    rf"file_get_contents|read_text|read_bytes|Path)\s*\(\s*{_STRING}",
    re.DOTALL,
)
_EVALUATORS = r"\b(?:exec|eval|Function|instance_eval|system|popen|execSync)\b\s*[(\s)]"
REMOTE_CODE = LazyRegex(
    r"(?i:\b(?:iex|invoke-expression)\b[\s\S]*(?:\biwr\b|\birm\b|invoke-webrequest|"
    r"invoke-restmethod|downloadstring|downloadfile|net\.webclient|https?://)|"
    r"(?:\biwr\b|\birm\b|invoke-webrequest|invoke-restmethod|downloadstring)[\s\S]*"
    r"\|\s*(?:iex|invoke-expression)\b)|"
    rf"{_EVALUATORS}[\s\S]*(?:urlopen|urllib|requests\.get|httpx|https?\.get|Net::HTTP|"
    r"open-uri|URI\.open|\bfetch\s*\(|file_get_contents\s*\(\s*['\"]https?:|LWP::|HTTP::Tiny|"
    r"curl_exec)"
    rf"|(?:urlopen|requests\.get|Net::HTTP|\bfetch\s*\(|LWP::|HTTP::Tiny)[\s\S]*{_EVALUATORS}",
)
"""Code that downloads code and runs it (``exec(urlopen(URL).read())``)."""
DECODED_CODE = LazyRegex(
    r"(?i:\b(?:iex|invoke-expression)\b[\s\S]*frombase64string|"
    r"frombase64string[\s\S]*\|\s*(?:iex|invoke-expression)\b)|"
    rf"(?:{_RUNNERS}|\b(?:exec|eval|Function|instance_eval))\s*\(\s*[^)]*?"
    r"(?:b64decode|base64|atob\s*\(|unhexlify|fromhex|codecs\.decode|Buffer\.from|unpack)",
)
"""Code that runs a decoded payload (``os.system(base64.b64decode(...))``)."""
REVERSE_SHELL = LazyRegex(
    r"(?:spawn|exec|popen)\w*\s*\(\s*['\"](?:/bin/)?(?:ba|z|da)?sh['\"][\s\S]*"
    r"(?:net\.connect|net\.Socket|createConnection|socket|['\"]net['\"]\s*\)\s*\.\s*connect)|"
    r"(?:IO::Socket|socket)[\s\S]*(?:STDIN->fdopen|open\s*\(\s*STDIN)|"
    r"(?i:tcpclient[\s\S]*(?:iex|invoke-expression|getstream))|"
    r"(?:socket|TCPSocket|net\.Socket|IO::Socket|fsockopen|net\.connect|Socket\.new)[\s\S]*"
    r"(?:dup2|pty\.spawn|/bin/(?:ba|z|da)?sh\b|\bcmd\.exe|exec\s*\(\s*['\"](?:/bin/)?(?:ba)?sh)"
)
"""Code that connects a shell to a network socket (a reverse shell)."""
STDIN_CODE = LazyRegex(r"(?:exec|eval)\s*\(\s*(?:sys\.stdin|STDIN|\$stdin|process\.stdin|<STDIN>)")
"""Code that runs what it reads from standard input (``exec(sys.stdin.read())``)."""
_DELETE = LazyRegex(rf"(?:os\.remove|os\.unlink|unlinkSync|unlink|File\.delete)\s*\(\s*{_STRING}")


_SHORT_FLAGS = LazyRegex(r"-[A-Za-z]{1,4}")


_POWERSHELL = frozenset({"pwsh", "powershell", "pwsh.exe", "powershell.exe"})


def _powershell_code(argv: tuple[str, ...]) -> str | None:
    """``pwsh -Command CODE`` (any prefix of the flag, any case); ``-EncodedCommand B64`` is a
    decoded payload. ``powershell CODE`` runs its first operand as a command, ``pwsh F`` a file."""
    i = 1
    while i < len(argv):
        arg = argv[i]
        flag = arg.lower().lstrip("-/")
        if not arg.startswith(("-", "/")):
            return " ".join(argv[i:]) if argv[0].startswith("powershell") else None
        if flag and "command".startswith(flag):
            return " ".join(argv[i + 1 :]) or None
        if flag in ("e", "ec", "en", "enc") or (
            "encodedcommand".startswith(flag) and len(flag) > 2
        ):
            value = argv[i + 1] if i + 1 < len(argv) else ""
            return f"iex ([Convert]::FromBase64String('{value}'))"
        if flag in ("f", "file"):
            return None
        i += 2 if flag in _POWERSHELL_VALUE_FLAGS else 1
    return None


_POWERSHELL_VALUE_FLAGS = frozenset(
    {"executionpolicy", "ep", "ex", "windowstyle", "w", "configurationname", "workingdirectory",
     "wd", "inputformat", "if", "outputformat", "of", "o", "settingsfile", "psconsolefile",
     "version", "v"}
)  # fmt: skip


def code_of(argv: tuple[str, ...]) -> str | None:
    """The program text given with ``-c``/``-e``/``--eval`` (``-ce`` combined too), if any.

    Also ``deno eval CODE``, ``bun eval CODE`` and PowerShell's ``-Command``.
    """
    if argv[0] in _POWERSHELL:
        return _powershell_code(argv)
    if argv[0] in ("deno", "bun") and len(argv) > 2 and argv[1] == "eval":
        rest = [a for a in argv[2:] if not a.startswith("-")]
        return rest[0] if rest else None
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
    r"(?:rmtree|rm_rf|rm_r|remove_dir_all|rmSync|rimraf|remove_tree|"
    r"Deno\.remove(?:Sync)?(?=[^;]*recursive))\s*\(\s*(?![\s'\"\)])"
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


_DENO_COMMAND = LazyRegex(
    r"""Deno\.Command\s*\(\s*(?P<q>'|")(?P<s>[^'"]*)(?P=q)\s*(?:,\s*\{[^}]*?args\s*:\s*"""
    r"""\[(?P<items>[^\]]*)\])?|Deno\.run\s*\(\s*\{[^}]*?cmd\s*:\s*\[(?P<cmd>[^\]]*)\]""",
    re.DOTALL,
)
_PS_REMOVE = LazyRegex(
    r"""(?i)(?<![\w-])(?:remove-item|ri|rm|del|erase|rd|rmdir)\s+(?P<opts>(?:-\w+\s+)*)"""
    r"""(?:-(?:path|literalpath)\s+)?(?P<q>['"]?)(?P<s>[^\s'";|)]+)(?P=q)(?P<after>(?:\s+-\w+)*)"""
)
"""PowerShell's ``Remove-Item PATH -Recurse -Force`` (and its aliases)."""


def _powershell_commands(code: str) -> list[str]:
    """The recursive deletes of a PowerShell program, as ``rm -rf``."""
    import shlex  # noqa: PLC0415 - rare

    found = []
    for match in _PS_REMOVE.finditer(code):
        options = (match.group("opts") + match.group("after")).lower()
        if re.search(r"-r(?:e(?:c(?:u(?:r(?:s(?:e)?)?)?)?)?)?\b", options):
            path = match.group("s")
            if path.startswith("$"):
                path = "$HOME" + path[5:] if path.lower().startswith("$home") else UNKNOWN
            found.append(f"rm -rf -- {path if path == UNKNOWN else shlex.quote(path)}")
    return found


_CONCATENATED = LazyRegex(
    r"""'([^'\\\n]*)'\s*(?:\+|\.\.|\.)\s*'([^'\\\n]*)'"""
    r"""|"([^"\\\n$]*)"\s*(?:\+|\.\.|\.)\s*"([^"\\\n$]*)\""""
)
"""Two string literals joined (``'rm ' + '-rf ~'``): one literal, as the program makes it."""
_HOME_VALUE = LazyRegex(
    r"""\$ENV\{['"]?HOME['"]?\}|os\.environ\[['"]HOME['"]\]|os\.getenv\(\s*['"]HOME['"]\s*\)"""
    r"""|process\.env\.HOME\b|process\.env\[['"]HOME['"]\]|ENV\[['"]HOME['"]\]|Dir\.home\b"""
    r"""|os\.homedir\(\)|os\.path\.expanduser\(\s*['"]~['"]\s*\)|Path\.home\(\)"""
    r"""|Deno\.env\.get\(\s*['"]HOME['"]\s*\)|Bun\.env\.HOME\b|Deno\.homeDir\(\)"""
    r"""|(?<![\w.])homedir\(\)|Sys\.getenv\(\s*['"]HOME['"]\s*\)|\[file\s+home\]"""
    r"""|\$env\(HOME\)"""
)
"""The home directory as a program spells it: stands for ``~`` in the commands found."""
_HOME = "__CSUP_HOME__"


def _normalised(code: str) -> str:
    """``code`` with the home directory written as a literal and joined literals folded."""
    if "HOME" in code or "home" in code:
        code = _HOME_VALUE.sub(f'"{_HOME}"', code)
    for _ in range(8):
        if "+" not in code and "." not in code:
            break
        folded = _CONCATENATED.sub(_fold, code)
        if folded == code:
            break
        code = folded
    return code


def _fold(match: re.Match[str]) -> str:
    if match.group(1) is not None:
        return f"'{match.group(1)}{match.group(2)}'"
    return f'"{match.group(3)}{match.group(4)}"'


def hidden_commands(code: str) -> list[str]:
    """Shell command lines the program would run, as best a regex can tell.

    Literals joined in the program (``'rm ' + '-rf ~'``) are read as one, and the home
    directory as the program spells it (``$ENV{HOME}``, ``os.homedir()``) as ``~``.
    """
    normalised = _normalised(code)
    found = _hidden_commands(normalised)
    if _HOME in normalised:
        found = [f.replace(_HOME, "~") for f in found]
    return found


def _hidden_commands(code: str) -> list[str]:
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
    for match in _DENO_COMMAND.finditer(code):
        listed: str = match.group("cmd") or match.group("items") or ""
        words = ([match.group("s")] if match.group("s") else []) + [
            m.group("s") for m in _ITEM.finditer(listed)
        ]
        found.append(" ".join(shlex.quote(w) for w in words))
    if "-" in code and re.search(r"(?i)remove-item|\brm\b|\bri\b|\bdel\b|\brd\b", code):
        found += _powershell_commands(code)
    found += [next(g for g in m.groups() if g is not None) for m in _BACKTICKS.finditer(code)]
    found += [m.group(1) for m in _TCL_EXEC.finditer(code)]
    found += [f"rm -rf -- {shlex.quote(m.group('s'))}" for m in _RECURSIVE_DELETE.finditer(code)]
    found += [f"rm -rf -- {shlex.quote(m.group('s'))}" for m in _JULIA_RM.finditer(code)]
    found += [f"rm -f -- {shlex.quote(m.group('s'))}" for m in _DELETE.finditer(code)]
    found += [f"cat -- {shlex.quote(m.group('s'))}" for m in _READ.finditer(code)]
    if _RECURSIVE_DELETE_OF_VALUE.search(code):
        found.append(f"rm -rf -- {UNKNOWN}")
    return found
