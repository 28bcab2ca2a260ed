"""`agentmake clean` says what it did, counted truly. `--leftovers`: the outputs it removed and of how many
tasks, the tasks it forgot with no output left to remove said apart (not "N leftover outputs of M tasks"
counting them); `--cache`: how many cached results it dropped (-n: would drop), whose restore a build
would now pay for with an agent call. Real CLI runs (shell agents: no agent is paid for)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

AGENTFILE = """\
agent copy:
    inputs = src/{n}.txt
    outputs = out/{n}.txt
    run = "cp {input} {output}"
"""


def agentmake(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentmake", "-s", *args], cwd=root, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def built(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    for n in (1, 2, 3):
        (tmp_path / "src" / f"{n}.txt").write_text(f"s{n}\n")
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    run = agentmake(tmp_path)
    assert run.returncode == 0, run
    return tmp_path


def summary(run: subprocess.CompletedProcess[str]) -> str:
    return next((line for line in run.stdout.splitlines() if line.startswith("agentmake: ")), "")


def test_clean_leftovers_counts_the_tasks_whose_outputs_it_removed_the_others_apart(built: Path) -> None:
    for n in (2, 3):
        (built / "src" / f"{n}.txt").unlink()  # (copy:2 and copy:3 leave the graph)
    (built / "out" / "3.txt").unlink()  # (copy:3's output is gone already: nothing of it to remove)
    dry = agentmake(built, "clean", "--leftovers", "-n")
    assert summary(dry) == (
        "agentmake: would remove 1 leftover output of 1 task no longer in the graph;"
        " would forget 1 other task no longer in the graph, with no output left (dry run)"
    ), dry
    run = agentmake(built, "clean", "--leftovers")
    assert summary(run) == (
        "agentmake: removed 1 leftover output of 1 task no longer in the graph; forgot 1 other task no longer"
        " in the graph, with no output left"
    ), run
    assert not (built / "out" / "2.txt").exists() and (built / "out" / "1.txt").exists()
    assert summary(agentmake(built, "clean", "--leftovers")) == "agentmake: removed 0 leftover outputs"


def test_clean_leftovers_of_tasks_with_nothing_left_says_it_forgot_them(built: Path) -> None:
    for n in (2, 3):
        (built / "src" / f"{n}.txt").unlink()
        (built / "out" / f"{n}.txt").unlink()
    run = agentmake(built, "clean", "--leftovers")
    assert summary(run) == (
        "agentmake: removed 0 leftover outputs; forgot 2 tasks no longer in the graph, with no output left"
    ), run


def test_clean_cache_says_how_many_cached_results_it_drops_and_what_a_build_pays_for_again(
    built: Path,
) -> None:
    (built / "src" / "1.txt").write_text("s1, edited\n")
    assert agentmake(built).returncode == 0  # (copy:1's result for the old src/1.txt stays cached)
    dry = agentmake(built, "clean", "--cache", "-n")
    assert summary(dry) == (
        "agentmake: would remove 3 outputs and 1 directory left empty; would empty the cache, dropping 4"
        " cached results: a build would then call the agent again where it would have restored one of them"
        " (dry run)"
    ), dry
    run = agentmake(built, "clean", "--cache")
    assert summary(run) == (
        "agentmake: removed 3 outputs and 1 directory left empty; emptied the cache, dropping 4 cached"
        " results: a build now calls the agent again where it would have restored one of them"
    ), run
    again = agentmake(built, "clean", "--cache")
    assert summary(again) == (
        "agentmake: removed 0 outputs; emptied the cache (it held no result: no build pays for one again)"
    ), again
    build = agentmake(built)
    assert build.returncode == 0 and "3 ran, 0 cached" in build.stdout, (
        build
    )  # (as it said: run, not restored)
