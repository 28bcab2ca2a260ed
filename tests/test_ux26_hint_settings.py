"""A hint for a command that runs nothing leaves out the settings only a build's running reads: `agentmake
budget=0.5 -n` (or `timeout=1s`) was told "`agentmake clean --leftovers budget=0.5` removes every leftover",
though only variables make a configuration; a hint that builds keeps them, as every variable
(`invocation.command_line`, `invocation.runs_tasks`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentmake.invocation import Invocation, command_line

GIVEN = Invocation(".", None, {"budget": "0.5", "lang": "fr", "timeout": "1s", "model": "m", "jobs": "2"})


@pytest.mark.parametrize(
    "words",
    [
        ("clean", "--leftovers"),
        ("status",),
        ("explain", "x"),
        ("list",),
        ("-t",),
        ("-t", "out/a.md"),
        ("check",),
    ],
)
def test_a_hint_that_runs_nothing_leaves_out_the_run_only_settings(words: tuple[str, ...]) -> None:
    said = command_line(*words, invocation=GIVEN)
    assert said == " ".join(("agentmake", *words, "lang=fr", "model=m")), said


@pytest.mark.parametrize(
    "words", [(), ("-n",), ("out/a.md",), ("build", "clean"), ("report", "-k", "r"), ("watch",)]
)
def test_a_hint_that_builds_keeps_every_word(words: tuple[str, ...]) -> None:
    said = command_line(*words, invocation=GIVEN)
    assert said == " ".join(("agentmake", *words, "budget=0.5", "lang=fr", "timeout=1s", "model=m", "jobs=2"))


def test_a_target_named_t_after_dash_dash_is_built_with_the_settings() -> None:
    said = command_line("--", "-t", invocation=Invocation(".", None, {"budget": "1"}))
    assert said == "agentmake -- -t budget=1"


AGENTFILE = """\
lang = "en"

agent copy:
    inputs = src/{stem}.txt
    outputs = out/{stem}.txt
    run = "cp {input} {output}"

agent r:
    inputs = out/*.txt
    outputs = R.md
    run = "cat {inputs} > {output}"
"""


@pytest.mark.parametrize("setting", ["budget=0.5", "timeout=1s"])
def test_the_leftover_hint_of_a_dry_run_names_no_setting(tmp_path: Path, setting: str) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    for stem in ("a", "b"):
        (tmp_path / f"src/{stem}.txt").write_text(stem)
    env = {**os.environ, "NO_COLOR": "1", "CI": "1"}

    def am(*words: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "agentmake", *words]
        return subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)

    assert am("lang=fr").returncode == 0
    (tmp_path / "src/b.txt").unlink()
    dry = am(setting, "lang=fr", "-n")
    assert "`agentmake clean --leftovers lang=fr` removes" in dry.stderr, dry
    assert setting not in dry.stderr, dry
