"""`stall.NetworkWatch`: when an agent waiting for the network is given up on, read from real log files with
a clock the test moves (the end to end case, a real fake codex, is in test_runners.py)."""

from __future__ import annotations

from pathlib import Path

from agentmake.runners.stall import LOOK_EVERY, NetworkWatch

LINE = b"Reconnecting... waiting for network\n"


class Logs:
    def __init__(self, tmp_path: Path) -> None:
        self.stem = tmp_path / "a.1"
        self.now = 0.0
        self.watch = NetworkWatch(self.stem, patience=10.0, clock=lambda: self.now)

    def err(self, data: bytes) -> None:
        with open(self.stem.with_name("a.1.err"), "ab") as fh:
            fh.write(data)

    def out(self, data: bytes) -> None:
        with open(self.stem.with_name("a.1.out"), "ab") as fh:
            fh.write(data)

    def at(self, seconds: float) -> str | None:
        self.now = seconds
        return self.watch()


def test_an_agent_that_keeps_waiting_for_the_network_is_ended_after_the_patience(tmp_path: Path) -> None:
    logs = Logs(tmp_path)
    logs.err(b"Reading additional input from stdin...\n")
    assert logs.at(1.0) is None
    logs.err(LINE)
    assert logs.at(2.0) is None  # first seen at 2s
    logs.err(LINE)
    assert logs.at(11.0) is None
    said = logs.at(12.0)
    assert said is not None and "waited 10s for the network" in said


def test_a_cli_that_says_it_once_and_then_nothing_is_ended_too(tmp_path: Path) -> None:
    logs = Logs(tmp_path)
    logs.err(LINE)
    assert logs.at(1.0) is None
    assert logs.at(11.0) is not None


def test_work_printed_after_the_wait_means_the_network_came_back(tmp_path: Path) -> None:
    logs = Logs(tmp_path)
    logs.out(b'{"type":"turn.started"}\n')
    assert logs.at(1.0) is None
    logs.err(LINE)
    assert logs.at(2.0) is None
    logs.out(b'{"type":"item.completed"}\n')  # reconnected: it goes on with its turn
    assert logs.at(3.0) is None
    assert logs.at(30.0) is None  # the same line, still in stderr, is not counted again
    logs.err(LINE)  # a new outage: its own patience
    assert logs.at(31.0) is None
    assert logs.at(40.0) is None
    assert logs.at(41.0) is not None


def test_the_words_split_over_two_looks_are_found(tmp_path: Path) -> None:
    logs = Logs(tmp_path)
    logs.err(LINE[:20])
    assert logs.at(1.0) is None
    logs.err(LINE[20:])
    assert logs.at(2.0) is None
    assert logs.at(12.0) is not None


def test_only_stderr_counts_and_the_logs_are_looked_at_every_half_second(tmp_path: Path) -> None:
    logs = Logs(tmp_path)
    logs.out(b"the answer quotes it: Reconnecting... waiting for network\n")  # the agent's own text
    assert logs.at(1.0) is None
    assert logs.at(100.0) is None
    logs.err(LINE)
    assert logs.at(100.0 + LOOK_EVERY / 2) is None  # (not looked at yet)
    assert logs.at(109.0) is None  # first seen at 109
    assert logs.at(118.5) is None
    assert logs.at(119.0) is not None
