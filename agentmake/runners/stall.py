"""Watch what an LLM agent prints while it runs, for a sign that it is stuck, so that its attempt ends now
instead of at its time limit (an hour unless the Agentfile sets one).

The sign (shared/RUNNERS.md): with the network down, codex prints `Reconnecting... waiting for network` and
waits forever; only agentmake's timeout ends it. Any CLI that prints those words on stderr is treated alike.
Codex also prints it during a short outage it recovers from, and a run cut short then would throw away the
work it has done (and paid for): so the attempt is ended only once the CLI has been waiting `patience`
seconds (`NETWORK_PATIENCE`) without printing anything on stdout since. The attempt is then retried later,
with backoff, as a "network" failure (see `base._process_verdict`); a network that stays down fails the task
after its retries, each bounded by the patience, not by the time limit.

Only stderr is searched for the words: stdout holds the agent's answer, which may quote them.

`NetworkWatch` is called by `process.run_process` at each turn of its wait (every few tens of milliseconds):
it looks at the logs at most every `LOOK_EVERY` seconds and reads only what stderr gained since its last
look (LLM agents write straight into their log files; see `capture`).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path

NETWORK_PATIENCE = 60.0  # seconds an agent may wait for the network before its attempt is ended
LOOK_EVERY = 0.5  # seconds between looks at the logs
_WAITING = re.compile(rb"waiting for network", re.I)
_KEEP = 64  # bytes of stderr kept from one look to the next (the words may arrive split over two)
_READ_AT_MOST = 1 << 20  # bytes of new stderr read per look (older ones are skipped)


class NetworkWatch:
    """Called while the agent of attempt `stem` runs: None while all is well, else why to end it now."""

    def __init__(
        self, stem: Path, patience: float = NETWORK_PATIENCE, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.err = stem.with_name(stem.name + ".err")
        self.out = stem.with_name(stem.name + ".out")
        self.patience = patience
        self.clock = clock
        self.offset = 0  # bytes of stderr looked at
        self.carry = b""  # the end of the last look's stderr
        self.out_size = 0
        self.waiting_since: float | None = None  # first "waiting for network" with no stdout since
        self.next_look = 0.0

    def __call__(self) -> str | None:
        now = self.clock()
        if now < self.next_look:
            return None
        self.next_look = now + LOOK_EVERY
        waiting = self._new_stderr_says_waiting()
        out_size = _size(self.out)
        if waiting:
            if self.waiting_since is None:
                self.waiting_since = now
        elif out_size > self.out_size:  # it printed its work on stdout: the network is back
            self.waiting_since = None
        self.out_size = out_size
        if self.waiting_since is not None and now - self.waiting_since >= self.patience:
            return (
                f"waited {self.patience:g}s for the network (it printed 'waiting for network'), so the "
                "attempt was ended: check the connection"
            )
        return None

    def _new_stderr_says_waiting(self) -> bool:
        size = _size(self.err)
        if size < self.offset:  # (a log replaced meanwhile: start again)
            self.offset, self.carry = 0, b""
        if size == self.offset:
            return False
        start = max(self.offset, size - _READ_AT_MOST)
        try:
            with open(self.err, "rb") as fh:
                fh.seek(start)
                data = fh.read(size - start)
        except OSError:
            return False
        self.offset = start + len(data)
        text, old = self.carry + data, len(self.carry)
        self.carry = text[-_KEEP:]
        return any(m.end() > old for m in _WAITING.finditer(text))  # (not one seen at the last look)


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
