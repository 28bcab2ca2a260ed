"""An output that changes after agentmake hashed it (a background process the task left, which wrote on after
its shell exited; an editor saving it as the build commits) must not be recorded as holding the content that
was hashed. `Hasher.note_written` stat'ed the output after its rename and paired that stat with the digest
read earlier: a write in between (seen more than the racy margin later: the commit waited for the database,
the build was busy) was then trusted by the next build's stat shortcut, a content agentmake never read taken
for its own result (the edit never seen; a dependent made from it never re-run once it goes: a WRONG output
kept). Now the record's read time is the attempt's end, taken before its outputs are hashed, so such a write
leaves the record racily clean and the next look reads the file. (A writer left in the task's own process
group cannot do it: the group is ended before the outputs are hashed. One that left the group with `setsid`
can.) In-process builds; the write is made just before the commit renames the output into place."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import FakeAgents

from agentmake import workflow
from agentmake.plan import hashing as hashing_mod
from agentmake.scheduler import outcomes as outcomes_mod
from agentmake.store import Store

USE = 'agent use:\n    inputs = a.txt\n    outputs = b.txt\n    run = "cp {input} {output}"\n'
MAKE = {
    "shell": 'agent make:\n    outputs = a.txt\n    run = "echo v1 > {output}"\n\n',  # (run inline)
    "llm": 'agent make:\n    outputs = a.txt\n    prompt = """\n        FAKE: label=make\n        Say v1\n'
    '        """\n\n',  # (on a worker)
}


def _build(root: Path) -> Any:
    request = workflow.Request(directory=root, silent=True)  # type: ignore[call-arg]
    project = workflow.load_project(request)
    with Store.open(root) as store:
        return workflow.run_graph(project, project.graph, store, request)


@pytest.fixture(params=sorted(MAKE))
def late_write(
    request: pytest.FixtureRequest, tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A first build (`make` a shell agent run inline, or an LLM agent run on a worker) in which `a.txt`,
    once hashed, is appended to before the commit renames it into place, and the commit looks at it a second
    later (it waited for the database; the build was busy): the hasher's clock runs a second ahead from then
    on, for the rest of that build."""
    (tmp_path / "Agentfile").write_text(MAKE[request.param] + USE)
    real_commit = outcomes_mod.commit_outputs

    def commit(root: Path, staged: dict[str, Path], *args: Any, **kwargs: Any) -> Any:
        tmp = staged.get("a.txt")
        if tmp is not None:  # hashed already: a writer the task left running appends to it now
            with open(tmp, "a") as fh:
                fh.write("late\n")
            real_ns = time.time_ns
            monkeypatch.setattr(hashing_mod, "time", SimpleNamespace(time_ns=lambda: real_ns() + 10**9))
        return real_commit(root, staged, *args, **kwargs)

    monkeypatch.setattr(outcomes_mod, "commit_outputs", commit)
    assert _build(tmp_path).ok
    monkeypatch.setattr(outcomes_mod, "commit_outputs", real_commit)
    monkeypatch.setattr(hashing_mod, "time", time)
    made = (tmp_path / "a.txt").read_text()
    assert made.endswith("late\n") and (tmp_path / "b.txt").read_text() == made
    return tmp_path


def test_a_write_after_the_hash_is_seen_by_the_next_build(late_write: Path) -> None:
    again = _build(late_write)
    assert again.ok
    assert again.outcomes["make"].notice == "a.txt was edited by hand; keeping it", again.outcomes


def test_a_dependent_made_from_the_late_content_is_remade_when_it_goes(late_write: Path) -> None:
    fixed = (late_write / "a.txt").read_text().replace("late\n", "")
    (late_write / "a.txt").write_text(fixed)  # (the user takes the stray line out)
    again = _build(late_write)
    assert again.ok
    assert (late_write / "b.txt").read_text() == fixed, again.outcomes  # not the copy of a content gone


class Crash(BaseException):
    """Stands for agentmake killed between a task's record and its rename (`recover_commits` next time)."""


def _crash(*args: Any, **kwargs: Any) -> None:
    raise Crash


def _late_restores(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each output the cache restores is appended to once written, and looked at a second later."""
    real_restore = Store.cache_restore

    def restore(self: Store, *args: Any, **kwargs: Any) -> dict[str, str]:
        written = real_restore(self, *args, **kwargs)
        for path in written:
            with open(self.root / path, "a") as fh:
                fh.write("late\n")
        real_ns = time.time_ns
        monkeypatch.setattr(hashing_mod, "time", SimpleNamespace(time_ns=lambda: real_ns() + 10**9))
        return written

    monkeypatch.setattr(Store, "cache_restore", restore)


@pytest.mark.parametrize("how", ["restored", "recovered"])
def test_a_write_after_a_restore_is_seen_by_the_next_build(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "Agentfile").write_text(MAKE["shell"] + USE)
    if how == "restored":  # (the output deleted: the next build restores it from the cache)
        assert _build(tmp_path).ok
        (tmp_path / "a.txt").unlink()
    else:  # (killed before the rename: the next build puts the recorded result in place)
        with monkeypatch.context() as m:
            m.setattr(outcomes_mod, "commit_outputs", _crash)
            with pytest.raises(Crash):
                _build(tmp_path)
    with monkeypatch.context() as m:
        _late_restores(m)
        assert _build(tmp_path).ok
    assert (tmp_path / "a.txt").read_text() == "v1\nlate\n"
    again = _build(tmp_path)
    assert again.ok
    assert again.outcomes["make"].notice == "a.txt was edited by hand; keeping it", again.outcomes


def test_the_build_stamp_does_not_vouch_for_a_write_after_the_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no dependent to read it again, the stamp the build writes (every task up to date or done) took the
    late write's stat for the content hashed: the next build said "nothing changed since the last build"."""
    from agentmake.cli import main

    (tmp_path / "Agentfile").write_text(MAKE["shell"])
    real_commit = outcomes_mod.commit_outputs

    def commit(root: Path, staged: dict[str, Path], *args: Any, **kwargs: Any) -> Any:
        with open(staged["a.txt"], "a") as fh:  # (hashed already)
            fh.write("late\n")
        real_ns = time.time_ns
        monkeypatch.setattr(hashing_mod, "time", SimpleNamespace(time_ns=lambda: real_ns() + 10**9))
        return real_commit(root, staged, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(outcomes_mod, "commit_outputs", commit)
        assert main(["-C", str(tmp_path)]) == 0
    monkeypatch.setattr(hashing_mod, "time", time)
    capsys.readouterr()
    assert main(["-C", str(tmp_path), "-v"]) == 0
    said = capsys.readouterr()
    assert "a.txt was edited by hand; keeping it" in said.out + said.err, said
