"""An agent or a check that prints hundreds of megabytes: its logs keep all of it, but agentmake's memory does
not grow with it. A failure's message needs only the first line (or a traceback's last), and a log with no
secret in it is left as it is: neither reads the whole log into memory (a failing shell agent with 500 MB of
stderr took 1 GB, and with any secret-looking variable set, such as ANTHROPIC_API_KEY, every attempt's logs
were read whole to be redacted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentmake.runners.redact import Redactor

SIZE_MB = 150
# the peak resident memory of agentmake allowed, in MB (its own is about 30-40 MB): far below the log's size
CEILING_MB = 100

_MEASURE = """\
import json, resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux: the largest descendant
print(json.dumps({"code": proc.returncode, "out": proc.stdout, "err": proc.stderr, "peak_kb": peak}))
"""


def _build(root: Path, env: dict[str, str], *args: str) -> dict[str, object]:
    argv = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "agentmake", *args]
    proc = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, timeout=120, check=True)
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def _noisy(stream: str) -> str:
    """A shell command printing `SIZE_MB` MB of 80-character lines on `stream` (a first line that says so)."""
    redirect = " >&2" if stream == "stderr" else ""
    line = "0123456789" * 8
    return f"(echo first line; yes {line} | head -c {SIZE_MB}000000){redirect}"


@pytest.fixture
def env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(NO_COLOR="1", CI="1", AGENTMAKE_BACKOFF="0")
    return env


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in KiB, `yes`, `head -c`")
@pytest.mark.parametrize(
    ("what", "agent"),
    [
        ("failing agent's stderr", f'run = "{_noisy("stderr")}; exit 3"'),
        ("failing agent's stdout", f'run = "{_noisy("stdout")}; exit 3"'),
        ("failing check", 'run = "echo hi > {output}"\n    check = "' + _noisy("stderr") + '; exit 3"'),
        ("successful agent, secret set", f'run = "{_noisy("stdout")}; echo hi > {{output}}"'),
    ],
)
def test_a_huge_log_is_not_read_into_memory(
    tmp_path: Path, env: dict[str, str], what: str, agent: str
) -> None:
    agentfile = f"agent noisy:\n    {agent}\n    outputs = out/x.txt\n    retries = 0\n"
    (tmp_path / "Agentfile").write_text(agentfile)
    env["MY_SERVICE_TOKEN"] = "not-in-any-log-0123"
    run = _build(tmp_path, env)
    logs = tmp_path / ".agentmake" / "logs"
    assert logs.is_dir(), run
    sizes = sorted(p.stat().st_size for p in logs.iterdir())
    assert sizes and sizes[-1] >= SIZE_MB * 1_000_000, (what, sizes)  # (the log keeps it all)
    if "successful" in what:
        assert run["code"] == 0, run
    else:
        assert run["code"] == 1 and "first line" in str(run["err"]), run
    peak_mb = int(str(run["peak_kb"])) / 1024
    assert peak_mb < CEILING_MB, f"{what}: agentmake peaked at {peak_mb:.0f} MB for a {SIZE_MB} MB log"


def test_a_large_log_with_a_secret_anywhere_is_still_redacted(tmp_path: Path) -> None:
    """The scan that leaves a log without secrets alone still finds one in any chunk, even across the
    boundary between two chunks read apart."""
    redactor = Redactor({"MY_TOKEN": "s3cr3t-value-xyz"})
    chunk = 1 << 20
    for at in (0, chunk - 5, chunk, 3 * chunk + 17):
        log = tmp_path / f"log{at}"
        data = bytearray(b"x" * (4 * chunk))
        data[at : at + 16] = b"s3cr3t-value-xyz"
        log.write_bytes(bytes(data))
        inode = log.stat().st_ino
        assert redactor.redact_file(log) is True
        text = log.read_bytes()
        assert b"s3cr3t" not in text and b"[redacted MY_TOKEN]" in text, at
        assert log.stat().st_ino == inode
    clean = tmp_path / "clean"
    clean.write_bytes(b"y" * (3 * chunk))
    assert redactor.redact_file(clean) is False and clean.read_bytes() == b"y" * (3 * chunk)
