"""After a kill -9, the next build ends what the killed one left running. Each group was ended in
turn: SIGTERM, up to 3 s of grace, SIGKILL, then the next; N agents that ignore SIGTERM held the new build N
times 3 s before it started. Now every group gets its SIGTERM first and one grace serves them all: read from
the order of the signals sent to real process groups (not from wall time)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator

import pytest
from e2e_helpers import alive, wait_for

from agentmake.runners import groups


@pytest.fixture
def deaf_groups(tmp_path) -> Iterator[list[int]]:
    """Three process groups whose leader ignores SIGTERM (only SIGKILL ends them)."""
    procs = []
    for n in range(3):
        ready = tmp_path / f"ready{n}"
        procs.append(
            subprocess.Popen(
                ["sh", "-c", f'trap "" TERM; touch {ready}; while :; do sleep 0.05; done'],
                start_new_session=True,
            )
        )
        wait_for(ready.exists, what="the group to start")
    yield [p.pid for p in procs]
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        p.wait()


def test_every_group_is_told_to_end_before_any_is_killed(
    deaf_groups: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[tuple[int, int]] = []
    real = os.killpg

    def recording(pgid: int, sig: int) -> None:
        if sig in (signal.SIGTERM, signal.SIGKILL):
            sent.append((pgid, sig))
        real(pgid, sig)

    monkeypatch.setattr(os, "killpg", recording)
    existed = groups.kill_process_groups([*deaf_groups, 999_999_999 % 4_000_000], grace=0.3)
    assert existed == set(deaf_groups)  # (a group that does not exist is not counted)
    signals = [sig for pgid, sig in sent if pgid in deaf_groups]
    assert signals == [signal.SIGTERM] * 3 + [signal.SIGKILL] * 3, sent
    for pid in deaf_groups:
        os.waitpid(pid, 0)  # (our children: reaped, then gone)
        assert not alive(pid)
