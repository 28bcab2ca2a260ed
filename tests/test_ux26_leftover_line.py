"""Several leftovers are said in one line (`firstfew.first_few`, natural order), not one line each: a new user
got 4 warnings for 4 leftovers. One leftover keeps its own wording (`plan.leftovers.leftovers_message`).
Real builds of shell agents."""

from __future__ import annotations

from pathlib import Path

from test_leftovers import PIPELINE, agentmake


def test_four_leftovers_are_one_warning_line_in_natural_order(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    for n in range(1, 12):
        (tmp_path / "src" / f"{n}.txt").write_text(f"s{n}\n")
    (tmp_path / "Agentfile").write_text(PIPELINE)
    assert agentmake(tmp_path).returncode == 0
    for n in (2, 3, 10, 11):
        (tmp_path / "src" / f"{n}.txt").unlink()
    run = agentmake(tmp_path)
    assert run.returncode == 0, run
    assert run.stderr.splitlines() == [
        "agentmake: warning: out/2.txt, out/3.txt, out/10.txt and 1 more are left over from tasks no longer"
        " in the graph, and all reads them: delete them if they are stale",
        "agentmake: `agentmake clean --leftovers` removes every leftover",
    ], run.stderr


def test_one_leftover_keeps_its_wording_and_renamed_ones_are_told_apart() -> None:
    from agentmake.plan.leftovers import Leftover, leftovers_message

    one = Leftover("out/a.md", "t:a", ("r",))
    assert leftovers_message([one]) == one.message()
    renamed = Leftover("out/b.md", "t:b", ("s", "r"), renamed=True)
    assert leftovers_message([renamed, one]) == (
        "out/a.md, out/b.md are left over from tasks no longer in the graph or that no longer make them,"
        " and r, s read them: delete them if they are stale"
    )
    assert leftovers_message([renamed, Leftover("out/c.md", "t:c", ("s",), renamed=True)]).startswith(
        "out/b.md, out/c.md are left over from tasks that no longer make them, and r, s read them"
    )
