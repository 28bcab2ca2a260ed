"""Placeholders written in the other language's spelling load and run without an error, and do the wrong
thing: `{{ input }}` in a command is literal braces (`cat { input } > { output }` writes a file named `{` at
the project's root), `$lang` in a command is the shell's (empty) variable, `cat {input}` of `src/*.py`
reads one file, and `{name}` in a prompt is sent as written. `agentmake check` now warns of each, naming
what to write; the spellings that work are no warning."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def check(root: Path, agent: str) -> subprocess.CompletedProcess[str]:
    (root / "src").mkdir(exist_ok=True)
    (root / "src" / "a.py").write_text("a = 1\n")
    (root / "src" / "b.py").write_text("b = 1\n")
    (root / "Agentfile").write_text('lang = "fr"\n\nagent scan:\n' + agent)
    cmd = [sys.executable, "-m", "agentmake", "check"]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=60)


FAN_OUT = "    inputs = src/{name}.py\n    outputs = build/{name}.md\n"


@pytest.mark.parametrize(
    ("agent", "said"),
    [
        (
            '    run = "cat {{ input }} > {{output}}"\n' + FAN_OUT,
            "scan: its run command has {{ input }}, {{ output }}, literal braces in a command:"
            " write {input}, {output}",
        ),
        (
            '    run = "echo $lang $name > {output}"\n' + FAN_OUT,
            "scan: its run command reads $lang, $name from the shell's environment, where agentmake sets no"
            " such variable: write ${lang}, {name} for the Agentfile's value",
        ),
        (  # (an option's value is no assignment the command makes)
            '    run = "tool --lang=$lang {input} > {output}"\n' + FAN_OUT,
            "scan: its run command reads $lang from the shell's environment",
        ),
        (  # (review19: an argument key=value is no assignment either: only one that starts a command is)
            '    run = "pandoc -M lang=$lang {input} -o {output}"\n' + FAN_OUT,
            "scan: its run command reads $lang from the shell's environment",
        ),
        (
            '    run = "cat {input} > {output}"\n    inputs = src/*.py\n    outputs = build/all.md\n',
            "scan: its run command names {input}, the first of its 2 inputs alone: {inputs} names them all",
        ),
        (
            '    prompt = "Review {name} in {lang}: {{ read(input) }}"\n' + FAN_OUT,
            "scan: its prompt has {lang}, {name}, which a prompt sends as written: write {{ lang }},"
            " {{ name }} for the value",
        ),
    ],
)
def test_a_placeholder_in_the_other_spelling_is_warned_of(tmp_path: Path, agent: str, said: str) -> None:
    proc = check(tmp_path, agent)
    assert proc.returncode == 0 and f"agentmake: warning: {said}" in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    "agent",
    [
        "    run = \"cat {input} > {output}; awk '{{ print }}' {input} > /dev/null\"\n" + FAN_OUT,
        '    run = "echo ${lang} $HOME {name} > {output}"\n' + FAN_OUT,
        '    run = "cat {inputs} > {output}"\n    inputs = src/*.py\n    outputs = build/all.md\n',
        # (a variable the command sets itself is its own: a loop's, an assignment's, read's)
        '    run = "for lang in {inputs}; do wc -l $lang; done > {output}"\n    inputs = src/*.py\n'
        "    outputs = build/all.md\n",
        '    run = "lang=de; echo $lang > {output}"\n' + FAN_OUT,
        '    run = "ls {inputs} | while read -r name; do echo $name; done > {output}"\n' + FAN_OUT,
        '    run = "python3 {inputs[1]} {input} > {output}"\n    inputs = src/{name}.py tools/t.py\n'
        "    outputs = build/{name}.md\n",
        '    prompt = "Review {{ name }} in {{ lang }}, as JSON {\\"file\\": 1}: {other}"\n' + FAN_OUT,
        # (Jinja sends a raw block as written, a comment not at all: `{name}` there is meant)
        '    prompt = "Write {% raw %}{name}{% endraw %} as is{# not {name} #}: {{ read(input) }}"\n'
        + FAN_OUT,
    ],
)
def test_the_spellings_that_work_are_no_warning(tmp_path: Path, agent: str) -> None:
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "t.py").write_text("")
    proc = check(tmp_path, agent)
    assert proc.returncode == 0 and "scan:" not in proc.stderr, proc.stderr
