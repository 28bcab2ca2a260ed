"""`benchmarks/soak_kill9.py --recheck`: the Agentfile it switches to gives `notes` a check of its own (a
changed check alone), and its checks tell an annotation the check rewrote from one it did not."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import soak_kill9  # noqa: E402

from agentmake.syntax.load import load_agentfile  # noqa: E402


def test_the_recheck_agentfile_changes_the_check_of_notes_alone(tmp_path: Path) -> None:
    (tmp_path / "Agentfile").write_text(soak_kill9.AGENTFILE)
    before = load_agentfile(tmp_path / "Agentfile")
    (tmp_path / "Agentfile").write_text(soak_kill9.with_recheck(soak_kill9.AGENTFILE))
    after = load_agentfile(tmp_path / "Agentfile")
    changed = [name for name in before.agents if before.agents[name] != after.agents[name]]
    assert changed == ["notes"]
    check = after.agents["notes"].check
    assert check is not None and check.kind == "command" and "sed -i" in (check.command or "")


def test_the_checks_tell_a_rewritten_annotation_from_one_as_written(tmp_path: Path) -> None:
    (tmp_path / "build").mkdir()
    answer = "ANSWER:\nTranslate:\nline one of d0\n"
    for suffix, head in (("x", soak_kill9.REWRITTEN), ("y", soak_kill9.NOTES)):  # a stop between renames
        (tmp_path / "build" / f"d00.{suffix}").write_text(
            f"written by fake claude: build/d00.{suffix}\n{head}{answer}"
        )
    both = (soak_kill9.NOTES, soak_kill9.REWRITTEN)
    assert soak_kill9.wrong_outputs(tmp_path, 1, present_only=True, notes=both) == []
    assert [w[:16] for w in soak_kill9.wrong_outputs(tmp_path, 1, present_only=True)] == ["d00.x is wrong: "]
    log = tmp_path / "agents.log"
    log.write_text("")
    broken = soak_kill9.check(tmp_path, 1, log, notes=soak_kill9.REWRITTEN)
    assert [b for b in broken if not b.endswith("is missing")] == [
        f"d00.y is wrong: {(tmp_path / 'build/d00.y').read_text()!r}"
    ]
