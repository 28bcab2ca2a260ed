"""`benchmarks/budget.py` builds every output with both process models and reports a ratio per amount of
work (a short run: the numbers themselves are for the benchmark, not for a test)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BUDGET = Path(__file__).resolve().parent.parent / "benchmarks" / "budget.py"


@pytest.mark.parametrize("model", ["popen", "coshell"])
def test_the_minimal_scheduler_builds_every_output(tmp_path: Path, model: str) -> None:
    sys.path.insert(0, str(BUDGET.parent))
    from bench_fanout import make_project

    make_project(tmp_path, 30)
    (tmp_path / "out").mkdir()
    run = subprocess.run(
        [sys.executable, str(BUDGET), "--child", model, "30", "200"], cwd=tmp_path, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    for i in (0, 29):
        assert (tmp_path / "out" / f"{i:05d}.txt").read_text() == f"{i}\n"
    assert len(list((tmp_path / "out").iterdir())) == 30


def test_the_coshell_scheduler_stops_on_a_failing_command(tmp_path: Path) -> None:
    sys.path.insert(0, str(BUDGET.parent))
    from bench_fanout import make_project

    make_project(tmp_path, 5)  # no out/: cp fails
    run = subprocess.run(
        [sys.executable, str(BUDGET), "--child", "coshell", "5", "0"], cwd=tmp_path, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode != 0 and "a command failed" in run.stderr, run.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_a_short_run_reports_a_ratio_per_work_and_model() -> None:
    run = subprocess.run(
        [sys.executable, str(BUDGET), "--n", "20", "--rounds", "1", "--work", "0,100"],
        capture_output=True, text=True, timeout=120, cwd=BUDGET.parent,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    for model in ("popen", "coshell"):
        line = next(x for x in run.stdout.splitlines() if x.startswith(f"{model}: "))
        assert re.search(r"0 µs: [\d.]+×, 100 µs: [\d.]+×", line), run.stdout
