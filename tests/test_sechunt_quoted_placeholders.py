"""A placeholder written inside quotes in a shell command (`cat "{input}"`, `echo 'file {n}'`) is quoted for
its place: the command sees the exact name, and a file name holding `$(...)`, a backquote or a quote runs
nothing. `shlex.quote` alone put `'...'` inside the author's double quotes, where `$(...)` still runs, and
let a `'` close the author's single quotes. A placeholder where no quoting is known to be exact (backquotes,
a here-document, a comment, `${...}`, right after `$` or `\\`) is an Agentfile error, located."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agentmake.errors import AgentfileError
from agentmake.templates import render_command

HOSTILE = [
    "plain",
    "a b",
    "it's",
    'say "hi"',
    "$(touch PWNED)",
    "`touch PWNED`",
    "x;touch PWNED",
    "back\\slash",
    "$HOME",
    "${HOME}",
    "*",
    "line\nbreak",
    "'\"$(touch PWNED)\"'",
    "\\",
    "end\\",
    "",
]

# (template, the words it should print for the value v: printf '[%s]' prints each argument)
TEMPLATES = [
    ("printf '[%s]' {n}", lambda v: [v]),
    ("printf '[%s]' \"{n}\"", lambda v: [v]),
    ("printf '[%s]' '{n}'", lambda v: [v]),
    ("printf '[%s]' \"name: {n}!\"", lambda v: [f"name: {v}!"]),
    ("printf '[%s]' 'name: {n}!'", lambda v: [f"name: {v}!"]),
    ("printf '[%s]' \"$(printf '%s' {n})\"", lambda v: [v.rstrip("\n")]),
    ("printf '[%s]' \"$(printf '%s' \"{n}\")\"", lambda v: [v.rstrip("\n")]),
    ("printf '[%s]' x{n}y \"{n}\"'{n}'", lambda v: [f"x{v}y", v + v]),
    ("# a comment\nprintf '[%s]' \"{n}\"", lambda v: [v]),
    ("cat <<EOF >/dev/null\n' \"\nEOF\nprintf '[%s]' \"{n}\"", lambda v: [v]),
]


@pytest.mark.parametrize("shell", ["sh", "bash"])
@pytest.mark.parametrize(("template", "expected"), TEMPLATES)
def test_the_command_sees_exactly_the_value_wherever_it_stands(
    tmp_path: Path, shell: str, template: str, expected: object
) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"no {shell}")
    for value in HOSTILE:
        command = render_command(template, {"n": value})
        proc = subprocess.run(
            [shell, "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=30
        )
        assert proc.returncode == 0, (value, command, proc.stderr)
        assert callable(expected)
        assert proc.stdout == "".join(f"[{w}]" for w in expected(value)), (value, command)
        assert not (tmp_path / "PWNED").exists(), (value, command)


def test_a_list_inside_quotes_is_one_string_of_its_words(tmp_path: Path) -> None:
    command = render_command("printf '[%s]' \"{inputs}\" '{inputs}' {inputs}", {"inputs": ["a b", "c$(x)"]})
    proc = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=30)
    assert proc.stdout == "[a b c$(x)][a b c$(x)][a b][c$(x)]"


@pytest.mark.parametrize(
    ("template", "where"),
    [
        ("echo `basename {n}`", "in a `...` command"),
        ('echo "`basename {n}`"', "in a `...` command"),
        ("cat <<EOF\n{n}\nEOF", "in a here-document"),
        ("cat <<{n}\nx\nEOF", "as a here-document's delimiter"),
        ("true # {n}", "in a comment"),
        ("echo ${{x:-{n}}}", "in a ${...} expansion"),
        ("echo $(( {n} + 1 ))", "in a $((...)) expression"),
        ("echo $'{n}'", "in a $'...' string"),
        ("echo ${n}", "right after a $"),
        ('echo "${n}"', "right after a $"),
        ('echo "\\{n}"', "right after a \\"),
        ("echo \\{n}", "right after a \\"),
        ("echo $(case x in x) echo;; esac) {n}", "after `case` inside $(...)"),
    ],
)
def test_a_placeholder_without_an_exact_quoting_is_refused(template: str, where: str) -> None:
    with pytest.raises(AgentfileError) as info:
        render_command(template, {"n": "x"})
    assert f"placeholder '{{n}}' {where}" in info.value.message


AGENTFILE = """\
agent c:
    inputs = in/{n}.txt
    outputs = out/{n}.res
    run = "cat \\"{input}\\" > \\"{output}\\"; echo \\"name: {n}\\" >> '{output}'"
"""


def _agentmake(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    cmd = [sys.executable, "-m", "agentmake", *args]
    return subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=120, env=env)


def test_a_file_name_runs_nothing_through_a_quoted_placeholder(tmp_path: Path) -> None:
    project = tmp_path / "p"
    (project / "in").mkdir(parents=True)
    (project / "Agentfile").write_text(AGENTFILE)
    names = ["ok", "d$(touch PWNED1)", "b`touch PWNED2`", "q';touch PWNED3;'", 'q";touch PWNED4;"']
    for name in names:
        (project / "in" / f"{name}.txt").write_text(f"data of {name}\n")
    proc = _agentmake(project)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in project.iterdir()) == [".agentmake", "Agentfile", "in", "out"]
    for name in names:
        assert (project / "out" / f"{name}.res").read_text() == f"data of {name}\nname: {name}\n"


def test_check_locates_a_placeholder_in_a_here_document(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in/a.txt").write_text("a\n")
    (tmp_path / "Agentfile").write_text(
        "agent c:\n    inputs = in/{n}.txt\n    outputs = out/{n}.md\n"
        '    run = "cat <<EOF > {output}\\n{n}\\nEOF"\n'
    )
    proc = _agentmake(tmp_path, "check")
    assert proc.returncode == 2, proc.stderr
    assert "Agentfile:4:" in proc.stderr
    assert (
        "placeholder '{n}' in a here-document: no quoting of a value there is known to be exact"
        in proc.stderr
    )
    assert "Traceback" not in proc.stderr
