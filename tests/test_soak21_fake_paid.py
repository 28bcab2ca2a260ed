"""The fake agents' log says `end` (an answer paid for, `benchmarks/soak_ledger.py`) for every answer they
printed whole, even when SIGTERM (agentmake's parent-death signal after a kill -9) comes right after the
answer: agentmake keeps that answer (its stdout is a log file, `runners.salvage`) and records it, so a fake
that died before its `end` line made the ledger say "notes:d05 has a record but its answer was never paid
for" (a flake of tests/test_bench_soak.py's KILL seed under load)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

FAKE = Path(__file__).resolve().parent / "fake_agents" / "fake_agent.py"


def full_pipe() -> tuple[int, int]:
    """A pipe (read end, write end) already full of blank lines: a write to it waits until it is read."""
    read, write = os.pipe()
    os.set_blocking(write, False)
    with contextlib.suppress(BlockingIOError):
        while True:
            os.write(write, b"\n" * 4096)
    os.set_blocking(write, True)
    return read, write


def test_an_answer_printed_whole_is_logged_as_paid_though_sigterm_comes_at_once(tmp_path: Path) -> None:
    log = tmp_path / "agents.log"
    os.mkfifo(log)  # (each log line opens it: the fake waits at its `end` line until this test reads)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "ANTHROPIC_API_KEY": "k"}
    env.update(FAKE_AGENT_LOG=str(log), FAKE_AGENT_AS="claude")
    read, write = full_pipe()  # (the fake's answer waits in it until the `start` line's reader is gone)
    with os.fdopen(read, encoding="utf-8") as stdout, subprocess.Popen(
        [sys.executable, str(FAKE), "-p", "--output-format", "json"], env=env, cwd=tmp_path,
        stdin=subprocess.PIPE, stdout=write, stderr=subprocess.DEVNULL, text=True,
    ) as fake:  # fmt: skip
        os.close(write)
        try:
            assert fake.stdin is not None
            fake.stdin.write("FAKE: label=d05\nTranslate:\nline one\n")
            fake.stdin.close()
            with open(log, encoding="utf-8") as fifo:  # (the `start` line)
                assert fifo.read().startswith("start "), "no start line"
            answer = next(line for line in stdout if line.strip())  # the whole answer: paid for
            assert json.loads(answer)["result"].startswith("ANSWER:")
            fake.send_signal(signal.SIGTERM)  # (pending before the fake can write its `end` line)
            reader = os.open(log, os.O_RDONLY | os.O_NONBLOCK)
            try:
                fake.wait(timeout=30)
                lines = os.read(reader, 4096).decode()
            finally:
                os.close(reader)
        finally:
            fake.kill()
    assert lines.startswith("end ") and lines.split()[-1] == "d05", (lines, fake.returncode)
