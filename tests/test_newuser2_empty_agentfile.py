"""A build of an Agentfile that declares no agent and no report (empty, or variables alone: a new user's
first lines) said `0 ran, 0 cached, 0 up to date, 0 failed` and nothing else, as if all were built. It
now warns that there is nothing to build, at every build (no build stamp answers the next one unseen)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

WARNING = (
    "agentmake: warning: Agentfile declares no agent and no report: nothing to build "
    "(an `agent NAME:` block declares one;"
    " `agentmake init -f starter/Agentfile` writes an example in starter/)"
)


def agentmake(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "agentmake", *args], cwd=root, capture_output=True, text=True, env=env
    )


@pytest.mark.parametrize("text", ["", "# my project\nlang = en\njobs = 2\n"])
def test_a_build_of_an_agentfile_declaring_nothing_says_so_every_time(tmp_path: Path, text: str) -> None:
    (tmp_path / "Agentfile").write_text(text)
    for _ in range(2):
        run = agentmake(tmp_path)
        assert run.returncode == 0, run
        assert run.stderr.splitlines() == [WARNING], run.stderr
        assert run.stdout.startswith("agentmake: 0 ran, 0 cached, 0 up to date, 0 failed in "), run.stdout


def test_an_agentfile_with_an_agent_gets_no_such_warning(tmp_path: Path) -> None:
    (tmp_path / "Agentfile").write_text('agent a:\n    outputs = a.txt\n    run = "echo a > {output}"\n')
    run = agentmake(tmp_path, "-s")
    assert run.returncode == 0 and run.stderr == "", run


def test_the_init_it_names_writes_the_example(tmp_path: Path) -> None:
    """review3: it named `agentmake init`, which refuses (the Agentfile is there: "already exists, nothing
    written"); under -C too."""
    (tmp_path / "my dir").mkdir()
    (tmp_path / "my dir/Agentfile").write_text("")
    run = agentmake(tmp_path, "-C", "my dir")
    said = run.stderr.split("writes an example")[0].rsplit("`", 2)[1]
    words = shlex.split(said)
    assert words[0] == "agentmake", said
    init = agentmake(tmp_path, *words[1:])
    assert init.returncode == 0, (said, init.stderr)
    assert (tmp_path / "my dir/starter/Agentfile").is_file()
    assert agentmake(tmp_path / "my dir/starter", "check").returncode == 0
