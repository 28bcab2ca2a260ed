"""The soaks' checks that what was paid for is not paid again and that `agentmake -n` hides no run
(`soak_kill9.unforeseen`, `dry_run`, `again`; `soak_edits.dry_run`, `ran_since`) see what they are for, on
real projects built by the real CLI."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import soak_edits  # noqa: E402
import soak_kill9  # noqa: E402


def test_a_call_the_dry_run_did_not_foresee_is_told(tmp_path: Path) -> None:
    log = tmp_path / "agents.log"
    log.write_text(
        "start 5.0 11 claude d00\nend 6.0 11 claude d00\n"  # (before the build: not its call)
        "start 10.0 12 claude d01\nstart 10.5 13 claude notes-d02\nstart 11.0 14 claude notes-d03\n"
    )
    assert soak_kill9.unforeseen(log, 9.0, None) == []  # (no dry run before that build)
    assert soak_kill9.unforeseen(log, 9.0, {"translate:d01", "notes:d02", "notes:d03"}) == []
    hidden = soak_kill9.unforeseen(log, 9.0, {"translate:d01", "notes:d02", "translate:d00"})
    assert hidden == ["agents called for ['notes:d03'], which the dry run before did not say would run"]
    assert soak_kill9.unforeseen(tmp_path / "none.log", 0.0, set()) == []  # (no agent called yet)


def test_the_kill9_soak_reads_the_dry_run_and_sees_a_build_after_the_last_that_does_something(
    tmp_path: Path,
) -> None:
    root, log = tmp_path / "p", tmp_path / "agents.log"
    soak_kill9.project(root, 1, random.Random(1))
    soak_kill9.fake_claude(tmp_path / "bin", log)
    env = {
        **os.environ,
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{soak_kill9.BIN}{os.pathsep}{os.environ['PATH']}",
    }
    env.update(NO_COLOR="1", ANTHROPIC_API_KEY="soak-fake-key")
    expected = {"translate:d00", "count:d00", "pair:d00", "notes:d00", "summary"}
    assert soak_kill9.dry_run(root, env) == expected
    build = subprocess.run(
        [str(soak_kill9.BIN / "agentmake"), "report", "-s"], cwd=root, env=env, timeout=120
    )
    assert build.returncode == 0
    assert soak_kill9.dry_run(root, env) == set()
    assert soak_kill9.again(root, env, log) == []
    (root / "build" / "d00.count").unlink()  # (restored from the cache: no call, yet not nothing)
    broken = soak_kill9.again(root, env, log)
    assert broken[0] == "agentmake -q after the completed build exited 1", broken  # (-q saw it too)
    assert len(broken) == 2 and "did something (0): agentmake: 0 ran, 1 cached," in broken[1], broken
    (root / "docs" / "d00.md").write_text("FAKE: label=d00 sleep=0.05\nline one of d0, edited\n")
    assert {"translate:d00", "notes:d00", "summary"} <= soak_kill9.dry_run(root, env)
    broken = soak_kill9.again(root, env, log)
    assert "did something" in broken[1] and "the build after the completed one called agents" in broken[2]


def test_the_edit_soak_reads_the_dry_run_and_what_a_build_ran(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    for i, word in enumerate(("alpha", "bravo")):
        (tmp_path / "src" / f"{i:02d}.txt").write_text(f"{word}\n")
    (tmp_path / "Agentfile").write_text(soak_edits.AGENTFILE)
    assert soak_edits.dry_run(tmp_path) == {"up:00", "up:01", "rev:00", "rev:01", "all"}
    agentmake = [str(soak_edits.BIN / "agentmake"), "-s"]
    assert subprocess.run(agentmake, cwd=tmp_path, timeout=120).returncode == 0
    first = soak_edits.last_run(tmp_path)
    assert soak_edits.ran_since(tmp_path, 0) == {"up:00", "up:01", "rev:00", "rev:01", "all"}
    assert soak_edits.ran_since(tmp_path, first) == set()
    (tmp_path / "src" / "01.txt").write_text("charl\n")
    assert soak_edits.dry_run(tmp_path) == {"up:01", "rev:01", "all"}
    assert subprocess.run(agentmake, cwd=tmp_path, timeout=120).returncode == 0
    assert soak_edits.last_run(tmp_path) > first
    assert soak_edits.ran_since(tmp_path, first) == {"up:01", "rev:01", "all"}
