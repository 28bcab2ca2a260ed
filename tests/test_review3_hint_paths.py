"""The rename hint (`mv OLD NEW && agentmake -t TASK`) copied from where the user stands: given -C DIR (or
-f DIR/FILE), its `agentmake` words repeat DIR as given (relative to the shell's directory), so its `mv` and
`mkdir -p` paths must be too; they were the project root's, and the copied hint failed (review3)."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent a:
    inputs = a.md
    outputs = out/a.md
    prompt = "FAKE: label=a\\nWrite {{ output }} from {{ read(input) }}"
"""


@pytest.mark.parametrize(
    ("given", "new"),
    [
        (("-C", "my dir"), "out/renamed.md"),
        (("-C", "my dir"), "new/dir/renamed.md"),
        (("-f", "my dir/Agentfile"), "out/renamed.md"),
    ],
)
def test_the_rename_hint_copied_from_the_shells_directory_keeps_the_result(
    tmp_path: Path, fake_agents: FakeAgents, given: tuple[str, ...], new: str
) -> None:
    e2e = E2E(tmp_path / "my dir", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    e2e.write("a.md", "alpha\n")
    assert e2e.am().code == 0
    e2e.write("Agentfile", AGENTFILE.replace("out/a.md", new), dedent=False)
    argv = [*e2e.argv(given), "-n"]
    run = subprocess.run(argv, cwd=tmp_path, env=e2e.env(), capture_output=True, text=True, timeout=60)
    assert "keeps the result it made" in run.stderr, run.stderr
    hint = run.stderr.split("keeps the result it made")[0].rsplit("`", 2)[1]
    words = shlex.split(hint)
    assert words.count("agentmake") == 1, hint
    at = words.index("agentmake")
    assert words[at + 1 : at + 1 + len(given)] == list(given), hint
    python = " ".join(shlex.quote(w) for w in e2e.argv(()))
    done = subprocess.run(
        ["sh", "-c", hint.replace("agentmake", python, 1)], cwd=tmp_path, env=e2e.env(), capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, (hint, done.stderr)
    assert (e2e.root / new).is_file()
    after = e2e.am()
    assert after.code == 0 and after.summary.ran == 0, after
    assert e2e.calls() == ["a"]


@pytest.mark.parametrize(
    ("directory", "agentfile", "path", "said"),
    [
        (".", None, "out/a.md", "out/a.md"),
        (".", None, "-a.md", "./-a.md"),
        ("my dir", None, "out/a.md", "my dir/out/a.md"),
        ("my dir", "sub/Other.af", "a.md", "my dir/sub/a.md"),
        (".", "Other.af", "a.md", "a.md"),
        ("ignored", "/abs/Agentfile", "a.md", "/abs/a.md"),
        ("-d", None, "a.md", "./-d/a.md"),
    ],
)
def test_from_here(directory: str, agentfile: str | None, path: str, said: str) -> None:
    from agentmake.invocation import Invocation, from_here

    assert from_here(path, Invocation(directory, agentfile)) == said


def test_a_directory_or_agentfile_that_starts_with_a_dash_is_not_taken_for_an_option(tmp_path: Path) -> None:
    """`agentmake --directory=-odd explain` was told `agentmake -C -odd list`: argparse refuses it (-C
    expected one argument)."""
    import os
    import sys

    (tmp_path / "-odd").mkdir()
    (tmp_path / "-odd/-my.af").write_text('agent a:\n    outputs = a.txt\n    run = "echo a > {output}"\n')
    env = {**os.environ, "NO_COLOR": "1", "CI": "1"}
    am = [sys.executable, "-m", "agentmake"]
    run = subprocess.run(
        [*am, "--directory=-odd", "--file=-my.af", "explain"], cwd=tmp_path, env=env, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    hint = run.stderr.split("names them")[0].rsplit("`", 2)[1]
    words = shlex.split(hint)
    assert words[0] == "agentmake", hint
    listed = subprocess.run(
        [*am, *words[1:]], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert listed.returncode == 0 and "a" in listed.stdout.split(), (hint, listed.stderr)


@pytest.mark.parametrize(
    "given", [("-kC", "my dir"), ("-kCmy dir",), ("-j2", "-C", "my dir"), ("-j", "2", "-Cmy dir")]
)
def test_the_dash_dash_hint_finds_c_among_short_options_run_together(
    tmp_path: Path, given: tuple[str, ...]
) -> None:
    """`agentmake -kC 'my dir' -notes.md` (argparse takes -k, then -C 'my dir') was told `agentmake --
    -notes.md`: copied, it ran in the shell's directory, which has no Agentfile."""
    import os
    import sys

    root = tmp_path / "my dir"
    root.mkdir()
    (root / "Agentfile").write_text('agent notes:\n    outputs = -notes.md\n    run = "echo n > {output}"\n')
    env = {**os.environ, "NO_COLOR": "1", "CI": "1"}
    am = [sys.executable, "-m", "agentmake"]
    run = subprocess.run([*am, *given, "-notes.md"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 2, run.stderr
    hint = run.stderr.rsplit("goes after '--': ", 1)[1].rstrip(")\n")
    built = subprocess.run(
        [*am, *shlex.split(hint)[1:]], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert built.returncode == 0 and (root / "-notes.md").read_text() == "n\n", (hint, built.stderr)


@pytest.mark.parametrize("given", [("--directory=-new",), ("-C", "my new")])
def test_the_init_hint_for_a_missing_directory_makes_it(tmp_path: Path, given: tuple[str, ...]) -> None:
    """`agentmake --directory=-new init` was told `agentmake init -f -new/Agentfile`, which argparse refuses
    (-f expected one argument)."""
    import os
    import sys

    env = {**os.environ, "NO_COLOR": "1", "CI": "1"}
    am = [sys.executable, "-m", "agentmake"]
    run = subprocess.run([*am, *given, "init"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 2, run.stderr
    hint = run.stderr.split("` makes it")[0].rsplit("`", 1)[1]
    made = subprocess.run(
        [*am, *shlex.split(hint)[1:]], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert made.returncode == 0, (hint, made.stderr)
    assert (tmp_path / given[-1].removeprefix("--directory=") / "Agentfile").is_file()
