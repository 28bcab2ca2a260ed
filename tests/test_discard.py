"""Replacing an output keeps the old file aside for the rename and unlinks it off the scheduler thread
(`agentmake.scheduler.discard`): the target is always whole, nothing is left behind, a kill's leftover is
removed, and a link output is replaced without touching what it pointed to."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentmake.scheduler.commit import commit_outputs, remove_stale_temps
from agentmake.scheduler.discard import Discard


def _staged(directory: Path, name: str, text: str) -> Path:
    tmp = directory / f".{name}.agentmake-tmp-test"
    tmp.write_text(text)
    return tmp


def test_commit_with_discard_replaces_and_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.md").write_text("old a\n")
    reader = open(out / "a.md")  # noqa: SIM115 (a reader of the old file while it is replaced)
    discard = Discard()
    try:
        targets = commit_outputs(
            tmp_path,
            {"out/a.md": _staged(out, "a.md", "new a\n"), "out/b.md": _staged(out, "b.md", "new b\n")},
            discard,
        )
        assert (out / "a.md").read_text() == "new a\n" and (out / "b.md").read_text() == "new b\n"
        assert targets == {"out/a.md": out / "a.md", "out/b.md": out / "b.md"}
    finally:
        discard.close()
    assert reader.read() == "old a\n"  # the old file stayed whole for whoever had it open
    reader.close()
    assert sorted(p.name for p in out.iterdir()) == ["a.md", "b.md"]  # the spare of a.md is unlinked


def test_aside_links_the_old_file_and_names_a_stale_temp(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    assert Discard().aside(os.fspath(target)) is None  # nothing there: nothing to keep aside
    target.write_text("old\n")
    spare = Discard().aside(os.fspath(target))
    assert spare is not None and os.path.samefile(spare, target)
    assert os.stat(target).st_nlink == 2
    # a build killed before the discard thread ran leaves the spare: the next build removes it as it
    # removes every stale staged file
    assert remove_stale_temps(tmp_path, ["report.md"]) == [Path(spare)]
    assert target.read_text() == "old\n" and os.stat(target).st_nlink == 1


def test_a_link_output_is_replaced_not_its_target(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.md"
    elsewhere.write_text("not ours\n")
    (tmp_path / "out.md").symlink_to(elsewhere)
    discard = Discard()
    try:
        commit_outputs(tmp_path, {"out.md": _staged(tmp_path, "out.md", "ours\n")}, discard)
    finally:
        discard.close()
    assert not (tmp_path / "out.md").is_symlink() and (tmp_path / "out.md").read_text() == "ours\n"
    assert elsewhere.read_text() == "not ours\n" and os.stat(elsewhere).st_nlink == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere.md", "out.md"]


def _copies(root: Path, n: int) -> None:
    """A project of `n` tasks, each writing out/N.txt from src/N.txt and seed.txt (holding "1")."""
    (root / "src").mkdir()
    for i in range(n):
        (root / "src" / f"{i}.txt").write_text(f"{i}\n")
    (root / "seed.txt").write_text("1\n")
    (root / "Agentfile").write_text(
        "agent copy:\n    inputs = src/{n}.txt seed.txt\n    outputs = out/{n}.txt\n"
        '    run = "cat {inputs} > {output}"\n'
    )


def test_a_rebuild_leaves_no_spare_beside_its_outputs(tmp_path: Path) -> None:
    _copies(tmp_path, 6)
    for seed in ("1", "2"):  # the second build replaces every output
        (tmp_path / "seed.txt").write_text(f"{seed}\n")
        done = subprocess.run(
            [sys.executable, "-m", "agentmake", "-C", str(tmp_path), "-j", "3", "-s"], capture_output=True
        )
        assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [f"{n}.txt" for n in range(6)]
    assert all((tmp_path / "out" / f"{n}.txt").read_text() == f"{n}\n2\n" for n in range(6))


def test_a_held_discard_hands_a_burst_over_at_once_when_flushed(tmp_path: Path) -> None:
    """The scheduler's `Discard` (held) only notes the spares of a burst of commits: none is unlinked, and
    its thread is not woken, until the scheduler is about to wait (`flush`); then all go in one hand-over.
    `close` unlinks what is still held."""
    spares = []
    for name in ("a", "b", "c"):
        (tmp_path / name).write_text(name)
        spare = Discard().aside(os.fspath(tmp_path / name))
        assert spare is not None
        spares.append(spare)
    discard = Discard(held=True)
    handed: list[list[str]] = []
    hand = discard._hand
    discard._hand = lambda paths: (handed.append(list(paths)), hand(paths))  # type: ignore[method-assign]
    try:
        discard.later(spares[0])
        discard.later(spares[1])
        assert handed == [] and all(os.path.exists(s) for s in spares)
        discard.flush()
        discard.flush()  # (nothing more held: nothing handed)
        assert handed == [spares[:2]]
        discard.later(spares[2])
    finally:
        discard.close()
    assert handed == [spares[:2], spares[2:]]
    assert not any(os.path.exists(s) for s in spares)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c"]


def test_a_build_hands_the_spares_over_while_it_waits_not_only_at_its_end(tmp_path: Path) -> None:
    """The build loop flushes its held `Discard` before it waits: the spare of an output replaced early is
    unlinked while a later task still runs (here the task itself waits for it to go, up to 20 s, and says
    what it saw), not left until the build ends."""
    (tmp_path / "seed.txt").write_text("1\n")
    wait = (
        "for i in $(seq 200); do ls out/.a.txt.agentmake-tmp-old-* >/dev/null 2>&1 || break; sleep 0.1; done;"
        " if ls out/.a.txt.agentmake-tmp-old-* >/dev/null 2>&1; then echo kept; else echo gone; fi > {output}"
    )
    (tmp_path / "Agentfile").write_text(
        'agent a:\n    inputs = seed.txt\n    outputs = out/a.txt\n    run = "cat {inputs} > {output}"\n\n'
        f'agent b:\n    inputs = out/a.txt\n    outputs = out/b.txt\n    run = "{wait}"\n'
    )
    for seed in ("1", "2"):  # the second build replaces out/a.txt (a spare), then runs b
        (tmp_path / "seed.txt").write_text(f"{seed}\n")
        done = subprocess.run(
            [sys.executable, "-m", "agentmake", "-C", str(tmp_path), "-s"], capture_output=True
        )
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "b.txt").read_text() == "gone\n"


def _asides(monkeypatch: pytest.MonkeyPatch, root: Path) -> list[str]:
    """The targets (relative to `root`) `Discard.aside` is asked to link aside from now on (it still does)."""
    asked: list[str] = []
    real = Discard.aside

    def aside(self: Discard, target: str) -> str | None:
        asked.append(os.path.relpath(target, root))
        return real(self, target)

    monkeypatch.setattr(Discard, "aside", aside)
    return asked


def test_an_output_found_not_there_at_its_commit_has_no_old_file_linked_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first build's outputs are not there when decided nor at the commit (`Outcomes._save_mid_run_edits`
    looks): no hard link of an old file is tried for them (it would fail). A rebuild's outputs are there: each
    old file is linked aside for the rename (the other side of that skip), and the outputs are replaced."""
    from agentmake import workflow
    from agentmake.store import Store

    _copies(tmp_path, 3)
    asked = _asides(monkeypatch, tmp_path)
    outputs = [os.path.join("out", f"{n}.txt") for n in range(3)]
    for seed, linked in (("1", []), ("2", outputs)):  # the second build replaces every output
        (tmp_path / "seed.txt").write_text(f"{seed}\n")
        asked.clear()
        req = workflow.Request(directory=tmp_path, silent=True, jobs=2)  # type: ignore[call-arg]
        project = workflow.load_project(req)
        with Store.open(tmp_path) as store:
            assert workflow.run_graph(project, project.graph, store, req).ok
        assert sorted(asked) == linked
        assert all((tmp_path / "out" / f"{n}.txt").read_text() == f"{n}\n{seed}\n" for n in range(3))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"{n}.txt" for n in range(3)]


def test_an_output_made_by_hand_while_its_task_ran_is_still_linked_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An output not there when its task was decided, but there at the commit (made by hand meanwhile) is
    not one `commit_outputs` skips: it is saved as a hand edit, and its old file linked aside as any."""
    from agentmake import workflow
    from agentmake.store import Store

    (tmp_path / "Agentfile").write_text(
        'agent a:\n    outputs = out/a.txt\n    run = "echo by hand > out/a.txt; echo ours > {output}"\n'
    )
    asked = _asides(monkeypatch, tmp_path)
    req = workflow.Request(directory=tmp_path, silent=True, jobs=1)  # type: ignore[call-arg]
    project = workflow.load_project(req)
    with Store.open(tmp_path) as store:
        assert workflow.run_graph(project, project.graph, store, req).ok
    assert asked == [os.path.join("out", "a.txt")]
    assert (tmp_path / "out" / "a.txt").read_text() == "ours\n"
