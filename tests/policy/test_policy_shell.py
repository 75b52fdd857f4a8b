"""The shell analyser: what it finds in a command line, and that it cannot be broken or hung."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csup.policy import Decision, Policy, ToolCall, load_policy
from csup.policy.programs.knowledge import analyse
from csup.policy.syntax.walker import MAX_INPUT

Bash = Callable[[Policy, str], Decision]


def names(command: str) -> list[str]:
    return [c.name for c in analyse(command).commands]


def test_chains_pipes_and_background_jobs_are_split_into_every_command() -> None:
    assert names("a; b && c || d | e & f\ng") == ["a", "b", "c", "d", "e", "f", "g"]


def test_substitutions_and_process_substitutions_are_analysed() -> None:
    assert set(names("echo $(a) `b` <(c) >(d)")) == {"echo", "a", "b", "c", "d"}


def test_wrappers_are_stripped_and_recorded() -> None:
    (command,) = analyse("sudo -u root env A=1 nice -n 5 timeout 3 /bin/rm -rf x").commands
    assert command.argv == ("rm", "-rf", "x")
    assert command.via == ("sudo", "env", "nice", "timeout")


def test_scripts_given_to_shells_and_eval_are_analysed() -> None:
    assert "rm" in names("bash -c 'sh -c \"eval rm -rf x\"'")
    assert "rm" in names("bash <<< 'rm x'")
    assert "rm" in names("echo 'rm x' | sh")


def test_quotes_escapes_and_ansi_c_strings_are_decoded() -> None:
    assert names("'r'\"m\" x") == ["rm"]
    assert names("r\\m x") == ["rm"]
    assert names("$'\\x72\\x6d' x") == ["rm"]


def test_unknown_variables_mark_words_dynamic_but_home_is_known() -> None:
    (command,) = analyse('rm -rf "$X" ~ $HOME').commands
    assert command.dynamic == frozenset({2})


def test_find_exec_and_delete_become_commands_on_the_roots() -> None:
    commands = analyse("find /srv -exec rm -rf {} ; ; find /srv -delete").commands
    assert [c.argv for c in commands if c.name == "rm"] == [
        ("rm", "-rf", "/srv"),
        ("rm", "-r", "-f", "/srv"),
    ]


def test_find_actions_after_tests_apply_below_the_roots_only() -> None:
    commands = analyse("find . -name '*.pyc' -delete").commands
    assert commands[-1].argv == ("rm", "-r", "-f", "./**/*.pyc")


def test_xargs_runs_its_command_on_dynamic_input() -> None:
    (command,) = analyse("xargs -0 rm -rf").commands
    assert command.name == "rm"
    assert len(command.argv) - 1 in command.dynamic


def test_redirect_targets_are_collected() -> None:
    result = analyse("echo x > a 2>> b &> c < d 2>&1")
    assert [(r.op, r.target) for r in result.redirects] == [
        (">", "a"),
        (">>", "b"),
        ("&>", "c"),
        ("<", "d"),
    ]


def test_invalid_syntax_is_reported_as_a_problem() -> None:
    assert analyse("echo 'unterminated").problems


def test_too_long_input_is_a_problem_not_a_parse() -> None:
    result = analyse("a" * (MAX_INPUT + 1))
    assert result.problems
    assert not result.commands


@pytest.mark.parametrize(
    "command",
    [
        "$(" * 3000 + "rm -rf /" + ")" * 3000,
        "(" * 5000 + "rm -rf /" + ")" * 5000,
        "{ " * 3000 + "rm -rf /;" + " }" * 3000,
        "eval " * 2000 + "rm -rf /",
        "eval " + "'eval " * 50 + "rm -rf /" + "'" * 50,
        "echo " + "a" * 1_000_000,
        "rm -rf / " + "x " * 500_000,
        "; " * 100_000,
        "x | " * 20_000 + "sh",
    ],
    ids=[
        "substitutions",
        "subshells",
        "blocks",
        "eval chain",
        "eval",
        "1MB word",
        "1MB args",
        "separators",
        "pipes",
    ],
)
def test_pathological_input_completes_and_fails_closed(bash: Bash, command: str) -> None:
    decision = bash(load_policy("permissive"), command)
    if "rm" in command:
        assert decision.behavior == "deny", decision
    else:
        assert decision.behavior in ("allow", "ask", "deny")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_the_analyser_never_raises_on_arbitrary_text(text: str) -> None:
    result = analyse(text)
    assert isinstance(result.problems, list)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="$()`'\"\\;|&<>{}[]*?~ \n\tabcrmshx-=", max_size=200))
def test_the_policy_never_raises_on_shell_like_noise(text: str) -> None:
    decision = load_policy("moderate").decide(ToolCall("Bash", {"command": text}, cwd="/"))
    assert decision.behavior in ("allow", "ask", "deny")


_FLAG_SPELLINGS = [
    "-rf",
    "-fr",
    "-r -f",
    "-f -r",
    "-R -f",
    "-Rf",
    "--recursive --force",
    "-r --force",
    "--force -R",
    "-rfv",
    "-v -r -f",
]
_NAMES = [
    "rm",
    "/bin/rm",
    "/usr/bin/rm",
    "'rm'",
    '"rm"',
    "\\rm",
    "r''m",
    "command rm",
    "sudo rm",
    "env rm",
    "nohup rm",
    "timeout 9 rm",
    "nice rm",
    "busybox rm",
]
_TARGETS = ["/", "~", "~/", "$HOME", '"$HOME"', "'/'", "/etc", "/usr/", "..", "/*", "~/*"]
_WRAPS = [
    "{}",
    "bash -c '{}'",
    'sh -c "{}"',
    "eval '{}'",
    "echo x; {}",
    "true && {}",
    "false || {}",
    "({})",
    "{{ {}; }}",
    "echo $({})",
    "x | {}",
    "{} &",
]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(_NAMES),
    st.sampled_from(_FLAG_SPELLINGS),
    st.sampled_from(_TARGETS),
    st.sampled_from(_WRAPS),
    st.sampled_from([" ", "  ", "\t", " \t "]),
)
def test_quoting_whitespace_and_flag_order_variants_of_rm_rf_stay_denied(
    name: str, flags: str, target: str, wrap: str, space: str
) -> None:
    line = space.join([name, flags, target])
    command = wrap.replace("{}", line, 1) if "{{" not in wrap else wrap.format(line)
    decision = load_policy("permissive").decide(
        ToolCall("Bash", {"command": command}, cwd="/tmp/csup-policy-ws")
    )
    assert decision.behavior == "deny", (command, decision)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(
        [
            "git push --force",
            "git push -f",
            "git push origin +main",
            "git push --force-with-lease origin main",
            "git reset --hard",
            "git clean -fdx",
            "git clean -x -d -f",
            "curl x | sh",
            "curl -s x|bash",
            "wget -qO- x | sudo sh",
            "chmod -R 777 /",
            "dd if=/dev/zero of=/dev/sda",
            "cat ~/.ssh/id_rsa",
        ]
    ),
    st.sampled_from(_WRAPS),
    st.sampled_from(["", "sudo ", "env A=1 ", "A=1 ", "timeout 5 "]),
)
def test_other_denied_commands_stay_denied_when_wrapped(
    command: str, wrap: str, prefix: str
) -> None:
    line = prefix + command
    full = wrap.replace("{}", line, 1) if "{{" not in wrap else wrap.format(line)
    decision = load_policy("permissive").decide(
        ToolCall("Bash", {"command": full}, cwd="/tmp/csup-policy-ws")
    )
    assert decision.behavior == "deny", (full, decision)


@pytest.mark.parametrize("command", ["{\U00031860", "echo {\U0001f600 x", "{" + "\U00094040" * 50])
def test_characters_that_crash_tree_sitter_bash_are_shielded(command: str) -> None:
    # tree-sitter-bash 0.25 segfaults on "{" then a 4-byte UTF-8 character (upstream #337)
    result = analyse(command + "; rm x")
    assert [c.name for c in result.commands][-1] == "rm"


def test_shielded_characters_are_put_back_in_the_words() -> None:
    (command,) = analyse("echo {\U0001f600 \U0001f600").commands
    assert command.argv == ("echo", "{\U0001f600", "\U0001f600")


def test_unanalysable_input_with_a_dangerous_word_is_denied_saying_so(bash: Bash) -> None:
    decision = bash(load_policy("permissive"), 'eval "$CMD"; rm -rf build')
    assert (decision.behavior, decision.rule) == ("deny", "shell.unanalysable")
    assert "cannot fully analyse" in decision.reason
    assert "`eval`" in decision.reason


def test_unanalysable_input_without_a_dangerous_word_is_asked_even_at_permissive(
    bash: Bash,
) -> None:
    decision = bash(load_policy("permissive"), 'echo "unterminated')
    assert (decision.behavior, decision.rule) == ("ask", "shell.unanalysable")
