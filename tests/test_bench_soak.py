"""`benchmarks/soak_kill9.py` runs (one short seed: builds killed at random, then one that completes) and
its checks catch what they are for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import soak_kill9  # noqa: E402


@pytest.mark.parametrize("signame", ["KILL", "INT"])
def test_one_seed_of_the_soak_holds_every_rule(tmp_path: Path, signame: str) -> None:
    args = ["--seeds", "3", "--docs", "6", "--signal", signame, "--work", str(tmp_path)]
    run = subprocess.run(
        [sys.executable, str(BENCH / "soak_kill9.py"), *args], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "seed 3: " in run.stdout and "every rule held" in run.stdout, run.stdout
    assert (tmp_path / "seed3" / "SUMMARY.md").is_file()


def test_the_checks_see_a_wrong_output_a_second_payment_and_a_staged_file(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "build").mkdir(parents=True)
    answer = "ANSWER:\nTranslate:\nline one of d0\n"
    for suffix, text in ((".md", answer), (".count", "3\n"), (".a", answer), (".b", "half")):
        (root / "build" / f"d00{suffix}").write_text(text)
    (root / "build" / ".d00.agentmake-tmp-x.md").write_text("partial")
    log = tmp_path / "agents.log"
    log.write_text("start 1.0 999999 claude d00\nend 2.0 999999 claude d00\nend 3.0 999998 claude d00\n")
    broken = soak_kill9.check(root, 1, log)
    assert broken[0] == "d00.b is wrong" and "staged files left" in broken[1], broken
    assert broken[2:] == ["d00 paid 2 times"], broken
