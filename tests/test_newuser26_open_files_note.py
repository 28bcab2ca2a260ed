"""The note that lowers -j under a tight limit on open files counts its tasks in good English: under
`ulimit -n 40`, `agentmake -j 100` said "running 1 tasks at once, not 100"."""

from __future__ import annotations

import resource

import pytest

from agentmake.workflow.building import FILES_KEPT, FILES_PER_TASK, jobs_within_open_files


def _limit(monkeypatch: pytest.MonkeyPatch, soft: int) -> None:
    monkeypatch.setattr(resource, "getrlimit", lambda which: (soft, soft))


def test_one_task_at_once_is_said_in_the_singular(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _limit(monkeypatch, FILES_KEPT + FILES_PER_TASK)  # room for one task
    assert jobs_within_open_files(100) == 1
    err = capsys.readouterr().err
    assert "running 1 task at once, not 100: the limit on open files is" in err, err


def test_several_tasks_at_once_keep_the_plural(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _limit(monkeypatch, FILES_KEPT + 3 * FILES_PER_TASK)
    assert jobs_within_open_files(100) == 3
    assert "running 3 tasks at once, not 100" in capsys.readouterr().err
