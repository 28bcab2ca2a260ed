"""The live display is chosen for a terminal only: not when TERM is `dumb` or a `CI` variable says CI (any
value but `false`, `0`, `no` or empty: `CI=false`, as a script sets it to say it is not CI, keeps the live
display on a real terminal). A real pseudo-terminal, not a mock of isatty."""

from __future__ import annotations

import os
import pty
from collections.abc import Iterator
from typing import TextIO

import pytest

from agentmake.display.factory import is_interactive


@pytest.fixture
def terminal() -> Iterator[TextIO]:
    leader, follower = pty.openpty()
    stream = os.fdopen(follower, "w")
    yield stream
    stream.close()
    os.close(leader)


@pytest.mark.parametrize(
    ("env", "live"),
    [
        ({"TERM": "xterm"}, True),
        ({"TERM": "dumb"}, False),
        ({"TERM": "xterm", "CI": "true"}, False),
        ({"TERM": "xterm", "CI": "1"}, False),
        ({"TERM": "xterm", "CI": "false"}, True),
        ({"TERM": "xterm", "CI": "0"}, True),
        ({"TERM": "xterm", "CI": ""}, True),
    ],
)
def test_live_only_on_a_terminal_outside_ci(terminal: TextIO, env: dict[str, str], live: bool) -> None:
    assert is_interactive(terminal, env) is live


def test_a_pipe_is_never_live() -> None:
    read, write = os.pipe()
    with os.fdopen(write, "w") as stream:
        assert is_interactive(stream, {"TERM": "xterm"}) is False
    os.close(read)
